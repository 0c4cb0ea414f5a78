#!/usr/bin/env bats
# prefix-rank: the control socket and every query argument.
load lib/common
load tools/rank-lib

tops() { q "$@" | jq -r '[.topPrefixes[] | .prefix + "<" + (.parentprefix // "-")] | join(" ")'; }

setup() {
	mkfifo "$T/r.fifo" "$T/f.fifo"
	prefix-rank -r "$T/r.fifo" -f "$T/f.fifo" -C "$T/ctl" -t 0.2 -o /dev/null 2> "$T/err" 3>&- &
	PID=$!
	wait_for 5 test -S "$T/ctl"
	rank_routes "$T/r.jsonl" 198.18.0.0/16=198.19.0.1 198.18.1.0/24=198.19.0.1 \
		198.18.2.0/24=198.19.0.2 198.18.3.0/25=198.19.0.3 2001:db8:1::/48=2001:db8:ffff::1
	to_rec "$T/r.jsonl" "$T/r.rec"
	exec 7> "$T/r.fifo"
	cat "$T/r.rec" >&7
	# samples: 198.18.0.x (only the /16) 300, 198.18.1.x 200, 198.18.2.x 100,
	# IPv6 50; every source is in 198.18.3.0/25
	rank_flows "$T/f.jsonl" 1 198.18.9.1,1000,10,3.33,198.18.3.1 198.18.1.1,1000,10,5,198.18.3.2 \
		198.18.2.1,1000,10,10,198.18.3.3 2001:db8:1::1,1000,10,20
	to_rec "$T/f.jsonl" "$T/f.rec"
	wait_for 5 sh -c "prefix-rank -C '$T/ctl' -q 'prefix 198.18.2.1' | jq -e '.prefix == \"198.18.2.0/24\"' >/dev/null"
	cat "$T/f.rec" > "$T/f.fifo"
	wait_for 5 sh -c "prefix-rank -C '$T/ctl' -q 'prefix 2001:db8:1::1' | jq -e '.value > 0' >/dev/null"
}

teardown() {
	exec 7>&- 2>/dev/null || true
	kill "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
}

@test "t440 top answers with sFlow-RT's topprefixes field names" {
	run q top
	assert_success
	echo "$output" | jq -e '(keys | sort) == (["as","direction","id","state","startTime","nPrefixes",
		"learnedPrefixesAdded","learnedPrefixesRemoved","pushedPrefixesAdded","pushedPrefixesRemoved",
		"topPrefixes","valueTotal","valueTopPrefixes","valuePercentCoverage"] | sort)'
	echo "$output" | jq -e '.topPrefixes[0] | has("prefix") and has("aspath") and has("nexthop") and
		has("localpref") and has("med") and has("origin") and has("communities") and has("value")'
	echo "$output" | jq -e '.direction == "destination" and .nPrefixes == 4 and .learnedPrefixesAdded == 5'
	echo "$output" | jq -e '.topPrefixes[0].aspath == "65001-65002" and .topPrefixes[0].origin == "IGP"'
	echo "$output" | jq -e '.valuePercentCoverage > 99.9 and .valueTopPrefixes <= .valueTotal * 1.0001'
}

@test "t441 top ranks by value; maxPrefixes, minValue, minPrefix" {
	run tops top
	assert_output "198.18.0.0/16<- 198.18.1.0/24<198.18.0.0/16 198.18.2.0/24<198.18.0.0/16"
	run tops top maxPrefixes=1
	assert_output "198.18.0.0/16<-"
	run tops top minPrefix=20
	assert_output "198.18.1.0/24<- 198.18.2.0/24<-"
	# between the second and the third (rates decay alike between queries)
	v=$(q top | jq '(.topPrefixes[1].value + .topPrefixes[2].value) / 2')
	run tops top minValue=$v
	assert_output "198.18.0.0/16<- 198.18.1.0/24<198.18.0.0/16"
	run tops "top?maxPrefixes=2&minPrefix=8"
	assert_output "198.18.0.0/16<- 198.18.1.0/24<198.18.0.0/16"
}

@test "t442 includeCovered adds more-specifics with another next hop; pruneCovered drops same next hop" {
	# the /16 covers 198.18.2.0/24 and 198.18.3.0/25 with other next hops
	run tops top maxPrefixes=3 includeCovered=true
	assert_output "198.18.0.0/16<- 198.18.2.0/24<198.18.0.0/16 198.18.3.0/25<198.18.0.0/16"
	# with room for 2 the /16 cannot come without hiding: left out
	run tops top maxPrefixes=2 includeCovered=true
	assert_output "198.18.1.0/24<- 198.18.2.0/24<-"
	run tops top pruneCovered=true
	assert_output "198.18.0.0/16<- 198.18.2.0/24<198.18.0.0/16"
	run tops top maxPrefixes=1 includeCovered=true pruneCovered=true
	assert_output "198.18.1.0/24<-"
	run tops top includeCovered=false pruneCovered=false
	assert_output "198.18.0.0/16<- 198.18.1.0/24<198.18.0.0/16 198.18.2.0/24<198.18.0.0/16"
}

@test "t443 direction: source (ingress) ranks by source address; egress is destination" {
	run tops top direction=source
	assert_output "198.18.3.0/25<-"
	run tops top direction=ingress
	assert_output "198.18.3.0/25<-"
	q top direction=ingress | jq -e '.direction == "source"'
	run tops top direction=egress maxPrefixes=1
	assert_output "198.18.0.0/16<-"
}

@test "t444 family=6 ranks IPv6" {
	run tops top family=6
	assert_output "2001:db8:1::/48<-"
	q top family=ipv6 | jq -e '.nPrefixes == 1'
}

@test "t445 prefix ADDRESS: the matching route, its rates, its peers" {
	run q prefix 198.18.2.77
	assert_success
	echo "$output" | jq -e '.prefix == "198.18.2.0/24" and .nexthop == "198.19.0.2" and .value > 0 and
		.parentprefix == "198.18.0.0/16" and (.routes | length) == 1 and .routes[0].best and
		.routes[0].peer == "198.19.0.1"'
	q prefix 198.18.3.1 | jq -e '.sourceValue > 0 and .value == 0'
	q prefix 2001:db8:1::77 | jq -e '.prefix == "2001:db8:1::/48"'
	q prefix 203.0.113.1 | jq -e '.prefix == null'
}

@test "t446 curve: the share of traffic of the top N prefixes" {
	run q curve max=2
	assert_success
	echo "$output" | jq -e '(.curve | length) == 2 and .curve[0].n == 1 and .curve[0].percent < .curve[1].percent and .curve[1].percent <= 100.0001'
	q curve | jq -e '(.curve | length) == 3 and .curve[2].percent > 99.9'
	q curve step=2 | jq -e '[.curve[].n] == [2,3]'
	q curve family=6 | jq -e '(.curve | length) == 1'
}

@test "t447 bad queries answer an error and the client exits 1" {
	for bad in "bogus" "top maxPrefixes=x" "top direction=up" "top includeCovered=maybe" \
		"top colour=red" "prefix" "prefix 300.1.1.1" "top minValue=-1" "curve step=0" "top nokey"; do
		run q "$bad"
		assert_failure 1
		echo "$output" | jq -e '.error | length > 0'
	done
	# still answering
	run q top maxPrefixes=1
	assert_success
}

@test "t448 the client reports a missing socket (exit 1)" {
	run prefix-rank -C "$T/nothere" -q top
	assert_failure 1
	assert_output --partial "cannot connect"
}

@test "t449 SIGTERM: clean stop, exit 0, socket removed" {
	kill -TERM "$PID"
	wait "$PID"
	st=$?
	PID=
	[ "$st" = 0 ]
	[ ! -e "$T/ctl" ]
}
