#!/usr/bin/env bats
# prefix-rank --flows-out (flows with the RIB's answer) into flow-watch:
# the DDoS-sources and elephant-flow cases, on generated traffic replayed
# with its own clock (record time, so the timings asserted are the
# detector's, not the machine's).
load lib/common

T0=1700000000000000     # watch-gen's time origin, microseconds

setup() {
	cat > "$T/routes.jsonl" <<-'E'
	{"type":"sync","phase":"begin"}
	{"type":"route","op":"add","prefix":"198.18.64.0/24","nexthop":"198.19.0.1","aspath":[65001,64601],"peer":"198.19.0.1","origin":"igp"}
	{"type":"route","op":"add","prefix":"198.18.65.0/24","nexthop":"198.19.0.1","aspath":[65001,64602],"peer":"198.19.0.1","origin":"igp"}
	{"type":"route","op":"add","prefix":"198.18.66.0/24","nexthop":"198.19.0.1","aspath":[65001,64603],"peer":"198.19.0.1","origin":"igp"}
	{"type":"route","op":"add","prefix":"198.19.8.0/24","nexthop":"198.19.0.2","aspath":[65002,[64700,64701]],"peer":"198.19.0.1","origin":"igp","localpref":150,"communities":["65002:80"],"lcommunities":["65002:1:2"]}
	{"type":"route","op":"add","prefix":"2001:db8:8::/48","nexthop":"2001:db8::2","aspath":[65003,64800],"peer":"198.19.0.1","origin":"igp"}
	{"type":"route","op":"add","prefix":"2001:db8:64::/48","nexthop":"2001:db8::2","aspath":[65004],"peer":"198.19.0.1","origin":"igp"}
	{"type":"sync","phase":"end"}
	E
	to_rec "$T/routes.jsonl" "$T/routes.rec"
}

teardown() {
	[ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true
	[ -n "${PID:-}" ] && wait "$PID" 2>/dev/null || true
}

# enrich IN.jsonl OUT.rec: through prefix-rank's RIB
enrich() {
	to_rec "$1" "$T/in.rec"
	prefix-rank --replay -r "$T/routes.rec" -f "$T/in.rec" -o /dev/null --flows-out "$2"
}

@test "t610 --flows-out: the RIB's answer for dst and src, both families; the agent's values kept" {
	cat > "$T/f.jsonl" <<-'E'
	{"type":"flow","agent":"198.18.255.1","src":"198.18.64.9","dst":"198.19.8.7","len":100,"rate":10,"ts":1000,"dstas":1,"aspath":[9,1],"srcmask":20}
	{"type":"flow","src":"2001:db8:64::1","dst":"2001:db8:8::5","len":100,"rate":10,"ts":2000}
	{"type":"flow","src":"203.0.113.1","dst":"10.1.1.1","len":100,"rate":10,"ts":3000}
	E
	enrich "$T/f.jsonl" "$T/out.rec"
	rec-json < "$T/out.rec" > "$T/out.jsonl"
	[ "$(wc -l < "$T/out.jsonl")" = 3 ]
	sed -n 1p "$T/out.jsonl" | jq -e '.ribdstlen == 24 and .ribsrclen == 24 and .ribnexthop == "198.19.0.2" and
		.ribaspath == [65002,[64700,64701]] and .ribdstas == 64700 and .ribdstpeeras == 65002 and
		.ribsrcas == 64601 and .ribsrcpeeras == 65001 and .ribcommunities == ["65002:80"] and
		.riblcommunities == ["65002:1:2"] and .riblocalpref == 150 and
		.dstas == 1 and .aspath == [9,1] and .srcmask == 20'
	sed -n 2p "$T/out.jsonl" | jq -e '.ribdstlen == 48 and .ribnexthop == "2001:db8::2" and .ribdstas == 64800 and
		.ribsrclen == 48 and .ribsrcas == 65004 and .ribsrcpeeras == 65004'
	# no route: nothing added, the record passes unchanged
	sed -n 3p "$T/out.jsonl" | jq -e '(keys | map(select(startswith("rib"))) | length) == 0 and .dst == "10.1.1.1"'
	# the stats count what went out
	prefix-rank --replay -r "$T/routes.rec" -f "$T/in.rec" -o "$T/snap.rec" --flows-out /dev/null
	rec-json -t stats < "$T/snap.rec" | tail -1 | jq -e '.flowsout == 3 and .flowsoutdropped == 0'
}

@test "t611 DDoS sources: two networks over 100,000 packets/s fire within 2 s, the third does not; again after the timeout" {
	# UDP from port 53, sampled 1 in 1000: 64 and 65 over the threshold,
	# 66 under it; other traffic of 64 (TCP) does not count. 64 again at 40 s.
	"$TESTS_DIR/tools/watch-gen" \
		src=198.18.64.0/24,dst=198.19.8.0/24,proto=17,sport=53,pps=300000,from=5,to=15 \
		src=198.18.65.0/24,dst=198.19.8.0/24,proto=17,sport=53,pps=200000,from=5,to=15 \
		src=198.18.66.0/24,dst=198.19.8.0/24,proto=17,sport=53,pps=60000,from=5,to=15 \
		src=198.18.64.0/24,dst=198.19.8.0/24,proto=6,sport=80,pps=500000,from=0,to=15 \
		src=198.18.64.0/24,dst=198.19.8.0/24,proto=17,sport=53,pps=300000,from=40,to=45,seed=9 \
		> "$T/f.jsonl"
	enrich "$T/f.jsonl" "$T/enr.rec"
	cat > "$T/w.conf" <<-'E'
	watch.flow.ddos.keys = mask:ipsource,bgpsourceas
	watch.flow.ddos.value = frames
	watch.flow.ddos.filter = ipprotocol=17&sourceport=53
	watch.flow.ddos.t = 2
	watch.threshold.ddos.metric = ddos
	watch.threshold.ddos.value = 100000
	watch.threshold.ddos.byflow = true
	watch.threshold.ddos.timeout = 10
	E
	flow-watch -c "$T/w.conf" --replay -f "$T/enr.rec" | rec-json > "$T/ev.jsonl"
	cat "$T/ev.jsonl"
	run jq -r --argjson t0 "$T0" '"\(.flowkey) \(((.ts - $t0) / 100000 | floor) / 10)"' "$T/ev.jsonl"
	[ "${#lines[@]}" = 3 ]
	# first wave: exactly the two, each within 2 s of 5 s
	[[ ${lines[0]} =~ ^198\.18\.6[45]\.0/24,6460[12]\ [56]\. ]]
	[[ ${lines[1]} =~ ^198\.18\.6[45]\.0/24,6460[12]\ [56]\. ]]
	[ "${lines[0]%% *}" != "${lines[1]%% *}" ]
	# after the timeout, the new attack fires again within 2 s of 40 s
	[[ ${lines[2]} =~ ^198\.18\.64\.0/24,64601\ 4[01]\. ]]
	! grep -q 198.18.66 "$T/ev.jsonl"
	jq -e 'select(.eventid) | .thresholdid == "ddos" and .metric == "ddos" and .threshold == 100000 and
		.value > 100000 and .agent == "198.18.255.1"' "$T/ev.jsonl"
}

@test "t612 elephant flows: the one over 125,000,000 bytes/s is reported with its destination AS path; mice are not" {
	# the elephant: 150,000 packets/s of 1500 bytes (225 MB/s); mice: 200,000
	# packets/s of 1500 bytes spread over a /24 x /24 of pairs
	"$TESTS_DIR/tools/watch-gen" \
		src=198.18.64.10/32,dst=198.19.8.20/32,proto=6,len=1500,pps=150000,from=1,to=10 \
		src=198.18.66.0/24,dst=198.19.8.0/24,proto=6,len=1500,pps=200000,from=0,to=10 \
		> "$T/f.jsonl"
	enrich "$T/f.jsonl" "$T/enr.rec"
	cat > "$T/w.conf" <<-'E'
	watch.flow.elephant.keys = ipsource,ipdestination,bgpdestinationaspath
	watch.flow.elephant.value = bytes
	watch.flow.elephant.t = 2
	watch.threshold.elephant.metric = elephant
	watch.threshold.elephant.value = 125000000
	watch.threshold.elephant.byflow = true
	watch.threshold.elephant.timeout = 60
	E
	flow-watch -c "$T/w.conf" --replay -f "$T/enr.rec" | rec-json > "$T/ev.jsonl"
	cat "$T/ev.jsonl"
	run jq -r .flowkey "$T/ev.jsonl"
	assert_output "198.18.64.10,198.19.8.20,65002-{64700,64701}"
}

@test "t613 sFlow-RT's key names and ours are the same keys; the agent's values when there is no RIB answer" {
	cat > "$T/f.jsonl" <<-'E'
	{"type":"flow","src":"198.18.64.9","dst":"198.19.8.7","len":100,"rate":10,"ts":1000000}
	{"type":"flow","src":"203.0.113.1","dst":"10.1.1.1","len":100,"rate":10,"ts":1000000,"dstas":65099,"srcmask":8,"aspath":[65098,65099]}
	E
	enrich "$T/f.jsonl" "$T/enr.rec"
	cat > "$T/w.conf" <<-'E'
	watch.flow.a.keys = bgpdestinationas,ribdstas
	watch.flow.b.keys = mask:ipsource,ipsourcemaskbits,bgpdestinationaspath
	watch.threshold.a.metric = a
	watch.threshold.a.value = 0
	watch.threshold.b.metric = b
	watch.threshold.b.value = 0
	watch.threshold.b.byflow = yes
	E
	flow-watch --no-defaults -c "$T/w.conf" --replay -f "$T/enr.rec" | rec-json > "$T/ev.jsonl"
	cat "$T/ev.jsonl"
	run jq -r '"\(.metric) \(.flowkey)"' "$T/ev.jsonl"
	# a: only the first record has ribdstas; b: RIB prefix, else the agent's mask
	assert_output "a 64700,64700
b 198.18.64.0/24,24,65002-{64700,64701}
b 203.0.0.0/8,8,65098-65099"
}

@test "t614 --flows-out live: the answer follows the RIB (a new best path, a sweep, a withdrawal)" {
	# two peers' routes for one prefix: .1's is best (local preference)
	cat > "$T/r.jsonl" <<-'E'
	{"type":"sync","phase":"begin"}
	{"type":"route","op":"add","prefix":"198.18.1.0/24","nexthop":"198.19.0.1","aspath":[65001],"peer":"198.19.0.1","origin":"igp","localpref":200}
	{"type":"route","op":"add","prefix":"198.18.1.0/24","nexthop":"198.19.0.2","aspath":[65002],"peer":"198.19.0.2","origin":"igp"}
	{"type":"sync","phase":"end"}
	E
	mkfifo "$T/r.fifo" "$T/f.fifo"
	prefix-rank -r "$T/r.fifo" -f "$T/f.fifo" -o /dev/null --flows-out "$T/out.rec" -C "$T/ctl" 2> "$T/err" &
	PID=$!
	exec 7> "$T/r.fifo" 8> "$T/f.fifo"
	# routes BEST RECORD...: to prefix-rank, until its best path for the
	# prefix is BEST (the AS path as its queries give it, or null)
	routes() {
		local best=$1
		shift
		printf '%s\n' "$@" | rec-json -r >&7
		wait_for 5 bash -c "prefix-rank -C '$T/ctl' -q 'prefix 198.18.1.1' 2>/dev/null |
			jq -e '(.aspath // null) == $best' > /dev/null"
	}
	# flow N: the Nth flow to the prefix; the AS path its record got
	flow() {
		rec-json -r <<< '{"type":"flow","src":"203.0.113.1","dst":"198.18.1.1","len":100,"rate":1}' >&8
		wait_for 5 bash -c "[ \$(rec-json < '$T/out.rec' | wc -l) = $1 ]"
		rec-json < "$T/out.rec" | tail -1 | jq -c '.ribaspath'
	}
	routes '"65001"' "$(cat "$T/r.jsonl")"
	run flow 1
	assert_output "[65001]"
	run flow 2
	assert_output "[65001]"
	# .1 sends a complete state without it: the sweep leaves .2's route
	routes '"65002"' '{"type":"sync","phase":"begin","peer":"198.19.0.1"}' '{"type":"sync","phase":"end","peer":"198.19.0.1"}'
	run flow 3
	assert_output "[65002]"
	# .2 changes its path, then withdraws it: no answer
	routes '"65003"' '{"type":"route","op":"add","prefix":"198.18.1.0/24","nexthop":"198.19.0.2","aspath":[65003],"peer":"198.19.0.2","origin":"igp"}'
	run flow 4
	assert_output "[65003]"
	routes null '{"type":"route","op":"del","prefix":"198.18.1.0/24","peer":"198.19.0.2"}'
	run flow 5
	assert_output "null"
	exec 7>&- 8>&-
}
