#!/usr/bin/env bats
# route-push into a kernel table, inside a network namespace made here
# (never the root namespace): a veth pair so next hops 198.18.1.x and
# 2001:db8:1::x resolve; table 100, protocol 196.

load lib/common
load tools/push-lib
load lib/netns

GEN="$TESTS_DIR/tools/push-gen-snapshots"
CHECK="$TESTS_DIR/tools/push-trace-check"

setup() {
	need_cmd jq
	push_lab
	ROOT_ROUTES=$(ip route show)
}

teardown() {
	netns_cleanup
	# the root namespace is as it was
	[ "$(ip route show)" = "$ROOT_ROUTES" ]
}


push() { ip netns exec "$NS" route-push --table 100 --proto 196 "$@"; }

# The kernel table as "PREFIX NEXTHOP" lines, IPv4 then IPv6, sorted.
table() {
	local f
	for f in -4 -6; do
		# a table that does not exist yet (no route of the family) is empty
		ip -n "$NS" -j $f route show table 100 proto 196 2>/dev/null || echo '[]'
	done | jq -r '.[]? | "\(.dst) \(.gateway)"' 2>/dev/null |
		awk '$1 !~ /\// { $1 = $1 (index($1, ":") ? "/128" : "/32") } { print }' | sort
}

# What a JSON Lines file's last snapshot says, in the same form.
want() {
	jq -r 'select(.type=="sync" and .phase=="begin") |= "BEGIN" | if . == "BEGIN" then "BEGIN" elif .type=="route" then "\(.prefix) \(.nexthop)" else empty end' "$1" |
		awk '/^BEGIN$/ { n = 0; delete a; next } { a[n++] = $0 } END { for (i = 0; i < n; i++) print a[i] }' |
		python3 -c 'import sys, ipaddress
for l in sys.stdin:
    p, nh = l.split(); print(ipaddress.ip_network(p), nh)' | sort
}

@test "t510 a snapshot lands in the kernel table exactly, IPv4 and IPv6" {
	snap 198.18.0.0/16=198.18.1.1 198.18.4.0/24=198.18.1.2 198.18.4.128/25=198.18.1.3 \
		198.18.7.7/32=198.18.1.4 2001:db8:5::/48=2001:db8:1::2 2001:db8:6::/64=2001:db8:1::3 \
		> "$T/s.jsonl"
	rec-json -r "$T/s.jsonl" > "$T/s.rec"
	run push -i "$T/s.rec"
	assert_success
	diff -u <(want "$T/s.jsonl") <(table)
	# nothing outside table 100 was touched
	[ -z "$(ip -n "$NS" route show table main proto 196)" ]
}

@test "t511 every snapshot of a churning series lands exactly; the trace shows no hiding" {
	"$GEN" --seed 4 --count 6 --routes 80 --churn 0.5 --v6 > "$T/all.jsonl"
	# one process per snapshot: each start also reconciles with the kernel
	awk '/"phase": "begin"/ { n++ } { print > (dir "/snap" n ".jsonl") }' dir="$T" "$T/all.jsonl"
	local i
	for i in 1 2 3 4 5 6; do
		rec-json -r "$T/snap$i.jsonl" > "$T/snap$i.rec"
		push --max-withdraw-percent 100 --trace "$T/trace$i" -i "$T/snap$i.rec"
		diff -u <(want "$T/snap$i.jsonl") <(table)
		run "$CHECK" --final "$T/trace$i"
		assert_success
	done
	# one process for the whole series
	ip netns exec "$NS" ip route flush table 100
	rec-json -r "$T/all.jsonl" | push --max-withdraw-percent 100 --trace "$T/trace"
	diff -u <(want "$T/snap6.jsonl") <(table)
	run "$CHECK" --final "$T/trace"
	assert_success
}

@test "t512 a next-hop change is one replace, in place" {
	snap 198.18.4.0/24=198.18.1.2 2001:db8:5::/48=2001:db8:1::2 | rec-json -r > "$T/a.rec"
	snap 198.18.4.0/24=198.18.1.3 2001:db8:5::/48=2001:db8:1::3 | rec-json -r > "$T/b.rec"
	push -i "$T/a.rec"
	push --trace "$T/trace" -i "$T/b.rec"
	run grep -E '^(add|del|replace)' "$T/trace"
	assert_output "replace 2001:db8:5::/48 2001:db8:1::3
replace 198.18.4.0/24 198.18.1.3"
	run table
	assert_output "198.18.4.0/24 198.18.1.3
2001:db8:5::/48 2001:db8:1::3"
}

@test "t513 at start: stale routes of our protocol go, others' routes stay, correct ones are not touched" {
	ip -n "$NS" route add 198.18.9.0/24 via 198.18.1.9 table 100 proto 196
	ip -n "$NS" route add 198.18.4.0/24 via 198.18.1.7 table 100 proto 196
	ip -n "$NS" route add 198.18.2.0/24 via 198.18.1.2 table 100 proto 196
	ip -n "$NS" route add 198.18.10.0/24 via 198.18.1.9 table 100 proto static
	ip -n "$NS" route add 198.18.11.0/24 via 198.18.1.9 table 101 proto 196
	ip -n "$NS" -6 route add 2001:db8:9::/48 via 2001:db8:1::9 table 100 proto 196
	snap 198.18.2.0/24=198.18.1.2 198.18.4.0/24=198.18.1.3 | rec-json -r > "$T/s.rec"
	push --trace "$T/trace" -i "$T/s.rec"
	run grep -E '^(add|del|replace)' "$T/trace"
	assert_output "del 198.18.9.0/24
del 2001:db8:9::/48
replace 198.18.4.0/24 198.18.1.3"
	run table
	assert_output "198.18.2.0/24 198.18.1.2
198.18.4.0/24 198.18.1.3"
	run ip -n "$NS" route show table 100 proto static
	assert_output --partial "198.18.10.0/24"
	run ip -n "$NS" route show table 101
	assert_output --partial "198.18.11.0/24"
}

@test "t514 a restart with the routes present changes nothing" {
	"$GEN" --seed 7 --count 1 --routes 100 --v6 | rec-json -r > "$T/s.rec"
	push -i "$T/s.rec"
	local before; before=$(table)
	push --trace "$T/trace" --stats "$T/st" -i "$T/s.rec"
	run grep -cE '^(add|del|replace)' "$T/trace"
	assert_output 0
	[ "$(table)" = "$before" ]
	[ "$(rec-json < "$T/st" | tail -1 | jq '.added + .removed + .replaced')" -eq 0 ]
}

@test "t515 kernel errors are counted by errno, not fatal; a failed route's cover waits" {
	ip -n "$NS" route add 198.18.3.0/24 via 198.18.1.9 table 100 proto static
	snap 198.18.2.0/24=198.18.1.2 198.18.3.0/24=198.18.1.3 198.19.0.0/16=198.18.1.4 \
		198.19.7.0/24=198.18.77.1 2001:db8:7::/48=2001:db8:1::7 | rec-json -r > "$T/s.rec"
	run push --stats "$T/st" --trace "$T/trace" -i "$T/s.rec"
	assert_success
	assert_output --partial "198.19.7.0/24: Network is unreachable"
	rec-json < "$T/st" | tail -1 > "$T/last"
	[ "$(jq .failed_ENETUNREACH "$T/last")" -eq 1 ]
	[ "$(jq .failed_EEXIST "$T/last")" -eq 1 ]
	[ "$(jq .deferred "$T/last")" -eq 1 ]
	run table
	assert_output "198.18.2.0/24 198.18.1.2
2001:db8:7::/48 2001:db8:1::7"
	# the route someone else owns is still theirs
	run ip -n "$NS" route show table 100 proto static
	assert_output --partial "198.18.3.0/24 via 198.18.1.9"
	run "$CHECK" "$T/trace"
	assert_success
}

@test "t516 the cap holds in the kernel at every step" {
	"$GEN" --seed 5 --count 5 --routes 60 --churn 0.6 | rec-json -r > "$T/s.rec"
	push --max-routes 40 --max-withdraw-percent 100 --trace "$T/trace" --stats "$T/st" -i "$T/s.rec"
	[ "$(table | wc -l)" -le 40 ]
	run "$CHECK" --final --max 40 "$T/trace"
	assert_success
	[ "$(rec-json < "$T/st" | tail -1 | jq .refused)" -gt 0 ]
}

@test "t517 withdraw guard holds a mass withdrawal for one snapshot" {
	{ snap 198.18.2.0/24=198.18.1.2 198.18.3.0/24=198.18.1.2 198.18.4.0/24=198.18.1.2
	  snap; } | rec-json -r > "$T/a.rec"
	push --stats "$T/st" -i "$T/a.rec"
	[ "$(table | wc -l)" -eq 3 ]
	[ "$(rec-json < "$T/st" | tail -1 | jq .held)" -eq 1 ]
	# a restart fed an empty snapshot: held again; a second one agrees
	{ snap; snap; } | rec-json -r > "$T/b.rec"
	push -i "$T/b.rec"
	[ "$(table | wc -l)" -eq 0 ]
}

@test "t518 --verify-interval repairs drift; the writer restarting keeps the routes" {
	mkfifo "$T/fifo"
	snap 198.18.2.0/24=198.18.1.2 198.18.3.0/24=198.18.1.3 2001:db8:5::/48=2001:db8:1::2 |
		rec-json -r > "$T/s.rec"
	netns_bg "$NS" "$T/log" route-push --table 100 --proto 196 --verify-interval 0.3 \
		--stats "$T/st" -i "$T/fifo"
	cat "$T/s.rec" > "$T/fifo"
	wait_for 5 bash -c "[ \"\$(ip -n $NS route show table 100 proto 196 | wc -l)\" -eq 2 ]"
	# someone deletes one and changes another
	ip -n "$NS" route del 198.18.2.0/24 table 100
	ip -n "$NS" route replace 198.18.3.0/24 via 198.18.1.9 table 100 proto 196
	wait_for 5 bash -c "ip -n $NS route show table 100 | grep -q '198.18.2.0/24 via 198.18.1.2' &&
		ip -n $NS route show table 100 | grep -q '198.18.3.0/24 via 198.18.1.3'"
	wait_for 5 bash -c "[ \"\$(rec-json < $T/st | tail -1 | jq .repaired)\" -ge 2 ]"
	# the writer went away (the FIFO was closed): routes stay, a new writer is read
	snap 198.18.2.0/24=198.18.1.2 198.18.3.0/24=198.18.1.3 198.18.8.0/24=198.18.1.8 \
		2001:db8:5::/48=2001:db8:1::2 | rec-json -r > "$T/fifo"
	wait_for 5 bash -c "ip -n $NS route show table 100 | grep -q 198.18.8.0/24"
	kill -TERM "$NETNS_LAST_PID"
	wait "$NETNS_LAST_PID"
	# no --flush-on-exit: the routes outlive their manager
	[ "$(table | wc -l)" -eq 4 ]
}

@test "t519 --flush-on-exit removes our routes on SIGTERM, and only ours" {
	ip -n "$NS" route add 198.18.10.0/24 via 198.18.1.9 table 100 proto static
	mkfifo "$T/fifo"
	snap 198.18.2.0/24=198.18.1.2 2001:db8:5::/48=2001:db8:1::2 | rec-json -r > "$T/s.rec"
	netns_bg "$NS" "$T/log" route-push --table 100 --proto 196 --flush-on-exit -i "$T/fifo"
	cat "$T/s.rec" > "$T/fifo"
	wait_for 5 bash -c "[ \"\$(ip -n $NS route show table 100 proto 196 | wc -l)\" -eq 1 ]"
	kill -TERM "$NETNS_LAST_PID"
	local rc=0
	wait "$NETNS_LAST_PID" || rc=$?
	[ "$rc" -eq 0 ]
	[ -z "$(table)" ]
	run ip -n "$NS" route show table 100
	assert_output --partial "198.18.10.0/24"
}

@test "t530 SIGHUP re-reads the table and repairs it at once" {
	mkfifo "$T/fifo"
	snap 198.18.2.0/24=198.18.1.2 2001:db8:5::/48=2001:db8:1::2 | rec-json -r > "$T/s.rec"
	netns_bg "$NS" "$T/log" route-push --table 100 --proto 196 --stats "$T/st" -i "$T/fifo"
	cat "$T/s.rec" > "$T/fifo"
	wait_for 5 bash -c "[ \"\$(ip -n $NS -6 route show table 100 proto 196 | wc -l)\" -eq 1 ]"
	ip -n "$NS" -6 route del 2001:db8:5::/48 table 100
	kill -HUP "$NETNS_LAST_PID"
	wait_for 5 bash -c "ip -n $NS -6 route show table 100 | grep -q 2001:db8:5::/48" ||
		fail "not repaired: $(cat "$T/log")"
	[ "$(rec-json < "$T/st" | tail -1 | jq .repaired)" -eq 1 ]
}

@test "t531 after the writer restarts, its snapshots remove nothing for --grace" {
	mkfifo "$T/fifo"
	snap 198.18.2.0/24=198.18.1.2 198.18.3.0/24=198.18.1.3 198.18.4.0/24=198.18.1.4 |
		rec-json -r > "$T/a.rec"
	snap 198.18.2.0/24=198.18.1.5 198.18.9.0/24=198.18.1.9 | rec-json -r > "$T/b.rec"
	netns_bg "$NS" "$T/log" route-push --table 100 --proto 196 --grace 2 \
		--max-withdraw-percent 100 --stats "$T/st" -i "$T/fifo"
	cat "$T/a.rec" > "$T/fifo"
	wait_for 5 bash -c "[ \"\$(ip -n $NS route show table 100 proto 196 | wc -l)\" -eq 3 ]"
	# a new writer: its thin snapshot adds and changes, removes nothing
	cat "$T/b.rec" > "$T/fifo"
	wait_for 5 bash -c "ip -n $NS route show table 100 | grep -q 198.18.9.0/24"
	run table
	assert_output "198.18.2.0/24 198.18.1.5
198.18.3.0/24 198.18.1.3
198.18.4.0/24 198.18.1.4
198.18.9.0/24 198.18.1.9"
	[ "$(rec-json < "$T/st" | tail -1 | jq .kept_stale)" -eq 2 ]
	# after the grace time the same snapshot is the whole state
	sleep 2.2
	cat "$T/b.rec" > "$T/fifo"
	wait_for 5 bash -c "[ \"\$(ip -n $NS route show table 100 proto 196 | wc -l)\" -eq 2 ]"
	run table
	assert_output "198.18.2.0/24 198.18.1.5
198.18.9.0/24 198.18.1.9"
}
