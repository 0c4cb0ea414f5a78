#!/usr/bin/env bats
# route-push and the changes after a complete state: route records outside
# sync markers are applied at once, with the ordering, cap, grace and
# --bgp rules of a snapshot. Dry runs and --bgp here; the kernel table in a
# namespace made here (never the root namespace) in t547.

load lib/common
load tools/push-lib
load lib/netns

CHECK="$TESTS_DIR/tools/push-trace-check"

teardown() { netns_cleanup; }


# add PREFIX NEXTHOP [VALUE] / del PREFIX: one change as JSON Lines
add() { printf '{"type":"route","op":"add","prefix":"%s","nexthop":"%s","value":%s.0}\n' "$1" "$2" "${3:-0}"; }
del() { printf '{"type":"route","op":"del","prefix":"%s"}\n' "$1"; }

last_stat() { rec-json < "$T/st" | tail -1 | jq ".$1"; }

@test "t540 after a snapshot: a change adds, a replace changes the next hop, a del removes" {
	{ snap 198.18.2.0/24=198.18.1.1
	  add 198.18.3.0/24 198.18.1.3
	  add 198.18.2.0/24 198.18.1.5
	  del 198.18.77.0/24; } | rec-json -r > "$T/a.rec"
	run route-push --dry-run --stats "$T/st" --trace "$T/tr" -i "$T/a.rec"
	assert_success
	assert_line "add 198.18.2.0/24 via 198.18.1.1"
	assert_line "add 198.18.3.0/24 via 198.18.1.3"
	assert_line "replace 198.18.2.0/24 via 198.18.1.5"
	# a del of a prefix not wanted is a no-op, but a change applied
	refute_line --partial "198.18.77.0"
	[ "$(last_stat deltas)" -eq 3 ]
	[ "$(last_stat deltaignored)" -eq 0 ]
	[ "$(last_stat installed)" -eq 2 ]
	run "$CHECK" --final "$T/tr"
	assert_success
	# the del, then a change back to the old next hop
	{ snap 198.18.2.0/24=198.18.1.1 198.18.3.0/24=198.18.1.3
	  del 198.18.3.0/24
	  add 2001:db8:5::/48 2001:db8:1::2; } | rec-json -r > "$T/b.rec"
	run route-push --dry-run --stats "$T/st" --trace "$T/tr" -i "$T/b.rec"
	assert_success
	assert_line "del 198.18.3.0/24"
	assert_line "add 2001:db8:5::/48 via 2001:db8:1::2"
	[ "$(last_stat installed)" -eq 1 ]
	[ "$(last_stat installed6)" -eq 1 ]
	run "$CHECK" --final "$T/tr"
	assert_success
}

@test "t541 changes before any complete state are ignored and counted; unusable ones too" {
	{ add 198.18.9.0/24 198.18.1.9
	  del 198.18.2.0/24
	  snap 198.18.2.0/24=198.18.1.1
	  echo '{"type":"route","op":"add","prefix":"198.18.4.0/24"}'
	  echo '{"type":"route","op":"add","prefix":"198.18.5.0/24","nexthop":"2001:db8:1::1"}'
	  add 198.18.6.0/24 198.18.1.6; } | rec-json -r > "$T/in.rec"
	run route-push --dry-run --stats "$T/st" -i "$T/in.rec"
	assert_success
	refute_line --partial "198.18.9.0"
	refute_line "del 198.18.2.0/24"
	assert_line "add 198.18.2.0/24 via 198.18.1.1"
	refute_line --partial "198.18.4.0"
	refute_line --partial "198.18.5.0"
	assert_line "add 198.18.6.0/24 via 198.18.1.6"
	[ "$(last_stat deltaignored)" -eq 2 ]
	[ "$(last_stat ignored)" -eq 2 ]
	[ "$(last_stat deltas)" -eq 1 ]
}

@test "t542 a cover and its more-specific in one batch: more-specific in first, cover out first" {
	{ snap 198.18.2.0/24=198.18.1.1
	  add 198.19.0.0/16 198.18.1.1
	  add 198.19.4.0/24 198.18.1.2
	  add 198.19.4.128/25 198.18.1.3; } | rec-json -r > "$T/a.rec"
	route-push --dry-run --stats "$T/st" --trace "$T/tr" -i "$T/a.rec" > "$T/out"
	# one batch: one plan after the snapshot's
	[ "$(last_stat deltabatches)" -eq 1 ]
	run grep -E '^(add|replace|del) 198\.19' "$T/tr"
	assert_output "add 198.19.4.128/25 198.18.1.3
add 198.19.4.0/24 198.18.1.2
add 198.19.0.0/16 198.18.1.1"
	run "$CHECK" --final "$T/tr"
	assert_success
	# and the other way: the cover goes before what it covered
	{ snap 198.19.0.0/16=198.18.1.1 198.19.4.0/24=198.18.1.2 198.19.4.128/25=198.18.1.3
	  del 198.19.4.128/25
	  del 198.19.0.0/16
	  del 198.19.4.0/24; } | rec-json -r > "$T/b.rec"
	route-push --dry-run --max-withdraw-percent 100 --trace "$T/tr" -i "$T/b.rec" > "$T/out"
	run grep '^del' "$T/tr"
	assert_output "del 198.19.0.0/16
del 198.19.4.0/24
del 198.19.4.128/25"
	run "$CHECK" --final "$T/tr"
	assert_success
}

@test "t543 the cap holds with changes: the least valuable top goes, covers before what they cover" {
	{ snap 198.18.2.0/24=198.18.1.1@10 198.18.3.0/24=198.18.1.1@5
	  add 198.18.4.0/24 198.18.1.4 50
	  add 198.19.0.0/16 198.18.1.9 1
	  add 198.19.4.0/24 198.18.1.2 100; } | rec-json -r > "$T/in.rec"
	run route-push --dry-run --max-routes 3 --stats "$T/st" --trace "$T/tr" -i "$T/in.rec"
	assert_success
	run "$CHECK" --final --max 3 "$T/tr"
	assert_success
	[ "$(last_stat installed)" -le 3 ]
	[ "$(last_stat refused)" -gt 0 ]
	run route-push --dry-run --max-routes 3 -i "$T/in.rec"
	# the cheap /16 goes first (kept alone it would hide its /24), then the
	# cheapest other top
	refute_line --partial "198.19.0.0/16"
	assert_line "add 198.19.4.0/24 via 198.18.1.2"
	assert_line "add 198.18.4.0/24 via 198.18.1.4"
	assert_line "del 198.18.3.0/24"
	refute_line "del 198.18.2.0/24"
}

# gen SEED: a snapshot, then 400 random changes of nested IPv4 and IPv6
# prefixes (adds, replaces, dels), as JSON Lines
gen() {
	python3 - "$1" <<'EOF'
import ipaddress, json, random, sys
r = random.Random(int(sys.argv[1]))
def pfx():
    if r.random() < 0.2:
        n = r.choice([32, 40, 48])
        a = ipaddress.ip_address("2001:db8::") + (r.getrandbits(16) << 80)
        return str(ipaddress.ip_network(f"{a}/{n}", strict=False)), f"2001:db8:1::{r.randint(1, 4)}"
    n = r.choice([16, 20, 24, 24, 25, 26])
    a = ipaddress.ip_address("198.18.0.0") + r.getrandbits(17)
    return str(ipaddress.ip_network(f"{a}/{n}", strict=False)), f"198.18.1.{r.randint(1, 4)}"
def route(op, p, nh=None):
    d = {"type": "route", "op": op, "prefix": p}
    if nh:
        d["nexthop"] = nh
        d["value"] = float(r.randint(0, 100))
    print(json.dumps(d))
print('{"type":"sync","phase":"begin"}')
seen = {}
for _ in range(40):
    p, nh = pfx(); seen[p] = nh; route("add", p, nh)
print('{"type":"sync","phase":"end"}')
for _ in range(400):
    if seen and r.random() < 0.35:
        p = r.choice(list(seen)); del seen[p]; route("del", p)
    else:
        p, nh = pfx(); seen[p] = nh; route("add", p, nh)
EOF
}

@test "t544 random changes, with and without a cap: no step hides a route, the end is what was asked" {
	local seed
	for seed in $(gate_seeds 1 2 3 4 5); do
		gen $seed | rec-json -r > "$T/in$seed.rec"
		route-push --dry-run --trace "$T/t$seed" -i "$T/in$seed.rec" >/dev/null 2>&1
		run "$CHECK" --final "$T/t$seed"
		assert_success
		assert_output --partial "no hiding"
		route-push --dry-run --max-routes 25 --max-routes6 6 --trace "$T/c$seed" \
			-i "$T/in$seed.rec" >/dev/null 2>&1
		run "$CHECK" --final --max 25 --max6 6 "$T/c$seed"
		assert_success
	done
	# the end state is the generator's own: its last add per prefix, minus dels
	gen "$seed" | jq -r 'select(.type=="route") | "\(.op) \(.prefix) \(.nexthop)"' |
		awk '$1=="add" { a[$2]=$3 } $1=="del" { delete a[$2] } END { for (p in a) print p, a[p] }' |
		python3 -c 'import sys, ipaddress
for l in sys.stdin:
    p, nh = l.split(); print(ipaddress.ip_network(p), nh)' | sort > "$T/expect"
	awk '/^plan/ { delete w } /^want/ { w[$2]=$3 } END { for (p in w) print p, w[p] }' "$T/t$seed" |
		sort > "$T/got"
	diff -u "$T/expect" "$T/got"
}

@test "t545 --bgp: a change comes out as one route record right after the complete state" {
	# two changes of one batch: one record each, in plan order (a removal
	# with nothing kept above it goes first)
	{ snap 198.18.2.0/24=198.18.1.2 198.18.3.0/24=198.18.1.3
	  add 198.18.4.0/24 198.18.1.4
	  del 198.18.3.0/24; } | rec-json -r > "$T/in.rec"
	route-push --bgp -i "$T/in.rec" > "$T/out.rec"
	rec-json < "$T/out.rec" | jq -c '{type, phase, op, prefix, nexthop} | with_entries(select(.value != null))' > "$T/out"
	run cat "$T/out"
	assert_output '{"type":"sync","phase":"begin"}
{"type":"route","op":"add","prefix":"198.18.2.0/24","nexthop":"198.18.1.2"}
{"type":"route","op":"add","prefix":"198.18.3.0/24","nexthop":"198.18.1.3"}
{"type":"sync","phase":"end"}
{"type":"route","op":"del","prefix":"198.18.3.0/24"}
{"type":"route","op":"add","prefix":"198.18.4.0/24","nexthop":"198.18.1.4"}'
}

@test "t546 a change is applied while its writer stays open, without another snapshot" {
	mkfifo "$T/in.fifo"
	route-push --bgp -i "$T/in.fifo" -o "$T/out.rec" --stats "$T/st" 2> "$T/err" &
	local pid=$!
	netns_track_pid $pid
	exec 7> "$T/in.fifo"
	snap 198.18.2.0/24=198.18.1.2 | rec-json -r >&7
	wait_for 10 bash -c "rec-json < $T/out.rec | grep -q '\"phase\":\"end\"'" ||
		fail "no complete state out: $(cat "$T/err")"
	# the writer is still open and sends no snapshot: the change goes out alone
	add 198.18.4.0/24 198.18.1.4 | rec-json -r >&7
	wait_for 10 bash -c "rec-json < $T/out.rec | grep -q '198.18.4.0/24'" ||
		fail "the change did not come out: $(rec-json < "$T/out.rec"); $(cat "$T/err")"
	del 198.18.2.0/24 | rec-json -r >&7
	wait_for 10 bash -c "rec-json < $T/out.rec | grep -q '\"op\":\"del\"'" ||
		fail "the del did not come out: $(rec-json < "$T/out.rec")"
	wait_for 10 bash -c "[ \"\$(rec-json < $T/st | tail -1 | jq .deltas)\" = 2 ]" ||
		fail "stats: $(rec-json < "$T/st" | tail -1)"
	# the writer goes away; a new one's change before its complete state is ignored
	exec 7>&-
	wait_for 10 grep -q "writer went away" "$T/err" || fail "$(cat "$T/err")"
	exec 7> "$T/in.fifo"
	add 198.18.9.0/24 198.18.1.9 | rec-json -r >&7
	wait_for 10 bash -c "[ \"\$(rec-json < $T/st | tail -1 | jq .deltaignored)\" = 1 ]" ||
		fail "stats: $(rec-json < "$T/st" | tail -1)"
	snap 198.18.4.0/24=198.18.1.4 198.18.5.0/24=198.18.1.5 | rec-json -r >&7
	add 198.18.6.0/24 198.18.1.6 | rec-json -r >&7
	wait_for 10 bash -c "rec-json < $T/out.rec | grep -q '198.18.6.0/24'" ||
		fail "no change after the new state: $(rec-json < "$T/out.rec")"
	exec 7>&-
	kill -TERM $pid
	wait $pid || true
	run rec-json < "$T/out.rec"
	refute_output --partial "198.18.9.0"
	# one complete state only (the output never went away), changes after it
	[ "$(grep -c '"phase":"begin"' <<<"$output")" -eq 1 ]
}

@test "t547 the kernel table in a namespace follows changes while the writer stays open" {
	need_cmd jq
	push_lab
	mkfifo "$T/in.fifo"
	netns_bg "$NS" "$T/log" route-push --table 100 --proto 196 -i "$T/in.fifo" --trace "$T/tr"
	exec 7> "$T/in.fifo"
	snap 198.18.2.0/24=198.18.1.2 | rec-json -r >&7
	rt() { ip -n "$NS" route show table 100 proto 196 2>/dev/null; }
	wait_for 10 bash -c "ip -n $NS route show table 100 proto 196 | grep -q '198.18.2.0/24 via 198.18.1.2'" ||
		fail "snapshot not installed: $(rt); $(cat "$T/log")"
	{ add 198.19.0.0/16 198.18.1.3; add 198.19.4.0/24 198.18.1.4
	  add 2001:db8:5::/48 2001:db8:1::1; } | rec-json -r >&7
	wait_for 10 bash -c "ip -n $NS route show table 100 proto 196 | grep -q '198.19.0.0/16 via 198.18.1.3'" ||
		fail "change not installed: $(rt); $(cat "$T/log")"
	wait_for 10 bash -c "ip -n $NS route show table 100 proto 196 | grep -q '198.19.4.0/24 via 198.18.1.4'"
	wait_for 10 bash -c "ip -n $NS -6 route show table 100 proto 196 | grep -q '2001:db8:5::/48'" ||
		fail "IPv6 change not installed: $(ip -n "$NS" -6 route show table 100)"
	add 198.18.2.0/24 198.18.1.5 | rec-json -r >&7
	wait_for 10 bash -c "ip -n $NS route show table 100 proto 196 | grep -q '198.18.2.0/24 via 198.18.1.5'" ||
		fail "replace not seen: $(rt)"
	del 198.19.0.0/16 | rec-json -r >&7
	wait_for 10 bash -c "! ip -n $NS route show table 100 proto 196 | grep -q '198.19.0.0/16'" ||
		fail "del not seen: $(rt)"
	run rt
	assert_line --partial "198.19.4.0/24 via 198.18.1.4"
	assert_line --partial "198.18.2.0/24 via 198.18.1.5"
	exec 7>&-
	run "$CHECK" "$T/tr"
	assert_success
}

@test "t548 during the grace a del is the writer's word; at its end the kept routes go without a snapshot" {
	mkfifo "$T/in.fifo"
	route-push --dry-run --grace 3 --max-withdraw-percent 100 -i "$T/in.fifo" \
		--stats "$T/st" > "$T/out" 2> "$T/err" &
	local pid=$!
	netns_track_pid $pid
	snap 198.18.2.0/24=198.18.1.2 198.18.3.0/24=198.18.1.3 198.18.4.0/24=198.18.1.4 |
		rec-json -r > "$T/in.fifo"
	wait_for 10 bash -c "[ \"\$(grep -c ^add $T/out)\" -eq 3 ]" || fail "$(cat "$T/out" "$T/err")"
	wait_for 10 grep -q "writer went away" "$T/err" || fail "$(cat "$T/err")"
	# a new writer, thin: nothing removed; then its del removes at once
	exec 7> "$T/in.fifo"
	snap 198.18.2.0/24=198.18.1.2 | rec-json -r >&7
	del 198.18.3.0/24 | rec-json -r >&7
	wait_for 10 grep -q "^del 198.18.3.0/24" "$T/out" || fail "$(cat "$T/out" "$T/err")"
	[ "$(last_stat kept_stale)" -eq 2 ]
	# the grace ends with the writer still open and silent: the kept route goes
	wait_for 10 grep -q "^del 198.18.4.0/24" "$T/out" || fail "$(cat "$T/out" "$T/err")"
	refute grep -q "^del 198.18.2.0/24" "$T/out"
	exec 7>&-
	kill -TERM $pid
	wait $pid || true
}

@test "t549 a route the cap refused comes back when a change makes room; a long burst is split" {
	{ snap 198.18.2.0/24=198.18.1.1@10 198.18.3.0/24=198.18.1.1@5 198.18.4.0/24=198.18.1.4@1
	  del 198.18.2.0/24; } | rec-json -r > "$T/in.rec"
	run route-push --dry-run --max-routes 2 --stats "$T/st" --trace "$T/tr" -i "$T/in.rec"
	assert_success
	assert_line "add 198.18.3.0/24 via 198.18.1.1"
	assert_line "del 198.18.2.0/24"
	assert_line "add 198.18.4.0/24 via 198.18.1.4"
	run "$CHECK" --final --max 2 "$T/tr"
	assert_success
	# 10000 changes in one file: batches of at most 4096
	{ snap 198.18.2.0/24=198.18.1.1
	  python3 -c 'for i in range(10000): print("{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"198.%d.%d.0/24\",\"nexthop\":\"198.18.1.2\"}" % (18 + i // 256 % 2, i % 256))'; } |
		rec-json -r > "$T/big.rec"
	route-push --dry-run --stats "$T/st" -i "$T/big.rec" > /dev/null
	[ "$(last_stat deltas)" -eq 10000 ]
	[ "$(last_stat deltabatches)" -ge 3 ]
}

@test "t550 a change after a held first state keeps the routes found installed" {
	need_cmd jq
	push_lab v4
	local i
	for i in 2 3 4 5; do
		ip -n "$NS" route add 198.18.$i.0/24 via 198.18.1.1 table 100 proto 196
	done
	mkfifo "$T/in.fifo"
	netns_bg "$NS" "$T/log" route-push --table 100 --proto 196 -i "$T/in.fifo" --stats "$T/st"
	exec 7> "$T/in.fifo"
	# a thin first state: it would remove 3 of 4, so it is held
	snap 198.18.2.0/24=198.18.1.1 | rec-json -r >&7
	wait_for 10 grep -q "held until" "$T/log" || fail "$(cat "$T/log")"
	add 198.18.9.0/24 198.18.1.1 | rec-json -r >&7
	wait_for 10 bash -c "ip -n $NS route show table 100 proto 196 | grep -q 198.18.9.0/24" ||
		fail "change not applied: $(ip -n "$NS" route show table 100); $(cat "$T/log")"
	run ip -n "$NS" route show table 100 proto 196
	[ "${#lines[@]}" -eq 5 ] || fail "routes found installed were removed: $output"
	exec 7>&-
}
