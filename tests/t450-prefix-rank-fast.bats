#!/usr/bin/env bats
# prefix-rank between ticks: promotions at once (the fast path) and the
# delta stream (a complete state, then changes). Replay mode makes the
# order of the records exact: no timing.
load lib/common
load tools/rank-lib

teardown() {
	[ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true
	[ -n "${PID:-}" ] && wait "$PID" 2>/dev/null || true
}

# flows_at OUT.jsonl DST FROM_MS TO_MS EVERY_MS: samples of 1000 bytes at
# rate 10 toward DST (ts in µs)
flows_at() {
	python3 - "$@" >> "$1" <<-'EOF'
	import json, sys
	out, dst, a, b, every = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:6])
	t = a
	while t < b:
	    print(json.dumps({"type": "flow", "src": "198.19.255.1", "dst": dst, "len": 1000, "rate": 10, "ts": int(t * 1000)}))
	    t += every
	EOF
}

# sorted_flows IN.jsonl OUT.rec
sorted_flows() {
	jq -c -s 'sort_by(.ts) | .[]' "$1" | rec-json -r > "$2"
}

# records OUT.rec: one line per record: "sync begin", "add P NH", "del P", "stats N"
records() {
	rec-json < "$1" | jq -r 'if .type == "sync" then "sync \(.phase)"
		elif .type == "route" then "\(.op // "add") \(.prefix)\(if .nexthop then " " + .nexthop else "" end)"
		elif .type == "stats" then "stats \(.ticks)" else .type end'
}

setup_two() {
	rank_routes "$T/r.jsonl" 198.18.1.0/24=198.19.0.1 198.18.2.0/24=198.19.0.2
	to_rec "$T/r.jsonl" "$T/r.rec"
	: > "$T/f.jsonl"
	flows_at "$T/f.jsonl" 198.18.1.1 0 3000 10
	flows_at "$T/f.jsonl" 198.18.2.1 1500 3000 10
	sorted_flows "$T/f.jsonl" "$T/f.rec"
}

@test "t450 a new hot prefix goes out between ticks, as a change after the complete state" {
	setup_two
	prefix-rank --replay -r "$T/r.rec" -f "$T/f.rec" -o "$T/out.rec"
	records "$T/out.rec" > "$T/recs"
	cat "$T/recs"
	# tick 1: the complete state with 198.18.1.0/24; the new prefix between
	# tick 1 and tick 2, outside any sync markers
	run awk '/^stats 1$/ {s=1; next} /^stats 2$/ {exit} s' "$T/recs"
	assert_output "add 198.18.2.0/24 198.19.0.2"
	run sed -n 1,4p "$T/recs"
	assert_output "sync begin
add 198.18.1.0/24 198.19.0.1
sync end
stats 1"
	[ "$(rank_stat "$T/out.rec" fastadds)" = 1 ]
	# the file ends with the whole last state
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.1.0/24 198.19.0.1 -
198.18.2.0/24 198.19.0.2 -"
}

@test "t451 --no-fast-path: the new prefix waits for the tick, which sends it as a change" {
	setup_two
	prefix-rank --replay --no-fast-path -r "$T/r.rec" -f "$T/f.rec" -o "$T/out.rec"
	records "$T/out.rec" > "$T/recs"
	[ "$(rank_stat "$T/out.rec" fastadds)" = 0 ]
	# tick 2 finds it: a change just before tick 2's stats
	run awk '/^stats 1$/ {s=1; next} /^stats 2$/ {exit} s' "$T/recs"
	assert_output "add 198.18.2.0/24 198.19.0.2"
	run grep -c "^sync begin" "$T/recs"
	assert_output 2        # the first and the last state only
}

@test "t452 at capacity the fast path displaces the weakest incumbent only by the hysteresis margin" {
	rank_routes "$T/r.jsonl" 198.18.1.0/24=198.19.0.1 198.18.2.0/24=198.19.0.2 198.18.3.0/24=198.19.0.3
	to_rec "$T/r.jsonl" "$T/r.rec"
	: > "$T/f.jsonl"
	flows_at "$T/f.jsonl" 198.18.1.1 0 3000 10       # 1 MB/s
	flows_at "$T/f.jsonl" 198.18.2.1 0 3000 100      # 100 kB/s: the weakest
	flows_at "$T/f.jsonl" 198.18.3.1 1200 1400 1     # a burst: 10 MB/s for 0.2 s
	sorted_flows "$T/f.jsonl" "$T/f.rec"
	prefix-rank --replay -m 2 --min-samples 0 -r "$T/r.rec" -f "$T/f.rec" -o "$T/out.rec"
	records "$T/out.rec" > "$T/recs"
	cat "$T/recs"
	run awk '/^stats 1$/ {s=1; next} /^stats 2$/ {exit} s' "$T/recs"
	# the removal first (room for a reader with a cap), then the newcomer
	assert_output "del 198.18.2.0/24
add 198.18.3.0/24 198.19.0.3"
	[ "$(rank_stat "$T/out.rec" fastdels)" = 1 ]
	# a weaker burst does not displace anyone between ticks
	: > "$T/g.jsonl"
	flows_at "$T/g.jsonl" 198.18.1.1 0 3000 10
	flows_at "$T/g.jsonl" 198.18.2.1 0 3000 100
	flows_at "$T/g.jsonl" 198.18.3.1 1200 1210 5
	sorted_flows "$T/g.jsonl" "$T/g.rec"
	prefix-rank --replay -m 2 --min-samples 0 -r "$T/r.rec" -f "$T/g.rec" -o "$T/out2.rec"
	[ "$(rank_stat "$T/out2.rec" fastadds)" = 0 ]
}

@test "t453 changes at ticks: a route's new next hop is a replacement, a withdrawn one a del" {
	{
		rank_routes /dev/stdout 198.18.1.0/24=198.19.0.1 198.18.2.0/24=198.19.0.2
	} > "$T/r.jsonl"
	to_rec "$T/r.jsonl" "$T/r.rec"
	: > "$T/f.jsonl"
	flows_at "$T/f.jsonl" 198.18.1.1 0 4000 10
	flows_at "$T/f.jsonl" 198.18.2.1 0 4000 10
	sorted_flows "$T/f.jsonl" "$T/f.rec"
	# live: routes on a FIFO so the change comes after the first state
	mkfifo "$T/r.fifo" "$T/f.fifo"
	prefix-rank -r "$T/r.fifo" -f "$T/f.fifo" -t 0.2 -o "$T/out.rec" -C "$T/ctl" 2> "$T/err" &
	PID=$!
	exec 7> "$T/r.fifo" 8> "$T/f.fifo"
	cat "$T/r.rec" >&7
	for i in 1 2 3 4 5 6 7 8 9 10; do rec-json -r <<< '{"type":"flow","dst":"198.18.1.1","len":1000,"rate":10}
{"type":"flow","dst":"198.18.2.1","len":1000,"rate":10}' >&8; done
	wait_for 5 bash -c "rec-json -t route < '$T/out.rec' | grep -q 198.18.2.0/24"
	printf '%s\n' '{"type":"route","op":"add","prefix":"198.18.1.0/24","nexthop":"198.19.0.9","aspath":[65001],"peer":"198.19.0.1","origin":"igp"}' \
		'{"type":"route","op":"del","prefix":"198.18.2.0/24","peer":"198.19.0.1"}' | rec-json -r >&7
	wait_for 5 bash -c "rec-json -t route < '$T/out.rec' | grep -q '198.19.0.9'"
	wait_for 5 bash -c "rec-json -t route < '$T/out.rec' | grep '\"del\"' | grep -q 198.18.2.0/24"
	records "$T/out.rec" > "$T/recs"
	# one complete state only (full-every 60), then the changes
	run grep -c "^sync begin" "$T/recs"
	assert_output 1
	grep -q "^add 198.18.1.0/24 198.19.0.9$" "$T/recs"
	grep -q "^del 198.18.2.0/24$" "$T/recs"
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.1.0/24 198.19.0.9 -"
	# a reader that lost track asks for a complete state
	run prefix-rank -C "$T/ctl" -q full
	assert_output '{"sent":true}'
	wait_for 5 bash -c "[ \$(rec-json -t sync < '$T/out.rec' | grep -c begin) = 2 ]"
	exec 7>&- 8>&-
}

@test "t454 --full-every 0: a complete state every tick, as before" {
	setup_two
	prefix-rank --replay --full-every 0 --no-fast-path -r "$T/r.rec" -f "$T/f.rec" -o "$T/out.rec"
	records "$T/out.rec" > "$T/recs"
	run grep -c "^sync begin" "$T/recs"
	assert_output 3        # ticks 1 and 2, and the last state (at 3 s)
	! grep -q "^del " "$T/recs"
}

@test "t455 --full-every and --no-fast-path are rank. keys and in the man page" {
	printf 'rank.full-every = 0.5\nrank.no-fast-path = no\n' > "$T/c.conf"
	run prefix-rank -c "$T/c.conf" -r x -n
	assert_success
	printf 'rank.full-every = soon\n' > "$T/bad.conf"
	run prefix-rank -c "$T/bad.conf" -r x -n
	assert_failure
	for f in --full-every --no-fast-path; do
		grep -q -- "Fl ${f#-}" "$TESTS_DIR/../man/man1/prefix-rank.1" || fail "$f not in prefix-rank(1)"
		prefix-rank --help | grep -q -- "$f"
	done
}

@test "t456 rank.no-fast-path = yes and = no from the config, by what they do" {
	setup_two
	printf 'rank.no-fast-path = yes\n' > "$T/on.conf"
	printf 'rank.no-fast-path = no\n' > "$T/off.conf"
	prefix-rank -c "$T/on.conf" --replay -r "$T/r.rec" -f "$T/f.rec" -o "$T/on.rec"
	prefix-rank -c "$T/off.conf" --replay -r "$T/r.rec" -f "$T/f.rec" -o "$T/off.rec"
	[ "$(rank_stat "$T/on.rec" fastadds)" = 0 ]
	[ "$(rank_stat "$T/off.rec" fastadds)" = 1 ]
	# rank.full-every = 0: a complete state every tick
	printf 'rank.full-every = 0\n' > "$T/full.conf"
	prefix-rank -c "$T/full.conf" --replay --no-fast-path -r "$T/r.rec" -f "$T/f.rec" -o "$T/full.rec"
	[ "$(rec-json -t sync < "$T/full.rec" | grep -c begin)" = 3 ]
}

# route CHANGE lines: "add PREFIX NEXTHOP" or "del PREFIX", as route records
route_recs() {
	local op p nh
	while read -r op p nh; do
		if [ "$op" = add ]; then
			printf '{"type":"route","op":"add","prefix":"%s","nexthop":"%s","aspath":[65001],"peer":"198.19.0.1","origin":"igp"}\n' "$p" "$nh"
		else
			printf '{"type":"route","op":"del","prefix":"%s","peer":"198.19.0.1"}\n' "$p"
		fi
	done | rec-json -r
}

@test "t457 a RIB change that would hide a route is repaired at once, between ticks" {
	# /16 via .1 carries the traffic; the /24 under it via .2 is its
	# closure; the /25 under that goes the /24's way. Capacity 3.
	rank_routes "$T/r.jsonl" 198.18.0.0/16=198.19.0.1 198.18.4.0/24=198.19.0.2 198.18.4.0/25=198.19.0.2
	to_rec "$T/r.jsonl" "$T/r.rec"
	mkfifo "$T/r.fifo" "$T/f.fifo"
	prefix-rank -r "$T/r.fifo" -f "$T/f.fifo" -t 6 -m 3 --min-samples 0 -o "$T/out.rec" 2> "$T/err" &
	PID=$!
	exec 7> "$T/r.fifo" 8> "$T/f.fifo"
	cat "$T/r.rec" >&7
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rec-json -r <<< '{"type":"flow","dst":"198.18.1.1","len":1000,"rate":10}' >&8
	done
	wait_for 10 bash -c "rec-json -t stats < '$T/out.rec' | grep -q ."
	rank_last_fib "$T/out.rec" | sort > "$T/fib1"
	run cat "$T/fib1"
	assert_output "198.18.0.0/16 198.19.0.1 -
198.18.4.0/24 198.19.0.2 198.18.0.0/16"
	# 1. a more-specific via another next hop under the /16, with room: taken
	echo "add 198.18.9.0/24 198.19.0.3" | route_recs >&7
	wait_for 3 bash -c "rec-json -t route < '$T/out.rec' | grep -q 198.18.9.0/24"
	# 2. the selected /24 withdrawn: its /25 would fall to the /16's next hop
	echo "del 198.18.4.0/24" | route_recs >&7
	wait_for 3 bash -c "rec-json -t route < '$T/out.rec' | grep -q 198.18.4.0/25"
	# 3. one more via another next hop, no room: the /16 goes, the default
	#    route takes what it carried
	echo "add 198.18.20.0/24 198.19.0.4" | route_recs >&7
	wait_for 3 bash -c "rec-json -t route < '$T/out.rec' | grep '\"del\"' | grep -q 198.18.0.0/16"
	# 4. a selected prefix's new next hop is a replacement at once
	echo "add 198.18.9.0/24 198.19.0.5" | route_recs >&7
	wait_for 3 bash -c "rec-json -t route < '$T/out.rec' | grep -q 198.19.0.5"
	wait_for 10 bash -c "[ \$(rec-json -t stats < '$T/out.rec' | wc -l) -ge 2 ]"
	records "$T/out.rec" > "$T/recs"
	cat "$T/recs"
	# all of it between tick 1 and tick 2, in this order (tick 2's own
	# changes come last: nothing of the /16's tree has traffic any more)
	run bash -c "awk '/^stats 1\$/ {s=1; next} /^stats 2\$/ {exit} s' '$T/recs' | head -5"
	assert_output "add 198.18.9.0/24 198.19.0.3
del 198.18.4.0/24
add 198.18.4.0/25 198.19.0.2
del 198.18.0.0/16
add 198.18.9.0/24 198.19.0.5"
	run bash -c "rec-json -t stats < '$T/out.rec' | sed -n 2p | jq -c '[.repairadds, .repairdels]'"
	assert_output "[2,1]"
	exec 7>&- 8>&-
}

# feed N FLOWS(yes|no): every 0.2 s a stats record (sflow-decode's
# heartbeat) and, with yes, a flow sample toward 198.18.1.1
feed() {
	local i f='{"type":"flow","dst":"198.18.1.1","len":1000,"rate":10}
' s='{"type":"stats","stage":"sflow-decode"}'
	for ((i = 0; i < $1; i++)); do
		if [ "$2" = yes ]; then printf '%s%s\n' "$f" "$s"; else printf '%s\n' "$s"; fi | rec-json -r
		sleep 0.2
	done
}

@test "t458 no record at all from the flow input holds the rates; stats records without flows let them decay" {
	rank_routes "$T/r.jsonl" 198.18.1.0/24=198.19.0.1
	to_rec "$T/r.jsonl" "$T/r.rec"
	mkfifo "$T/r.fifo" "$T/f.fifo"
	prefix-rank -r "$T/r.fifo" -f "$T/f.fifo" -t 0.2 -T 1 --min-value 5000 --min-samples 0 \
		-o "$T/out.rec" --stats "$T/st" 2> "$T/err" &
	PID=$!
	exec 7> "$T/r.fifo" 8> "$T/f.fifo"
	cat "$T/r.rec" >&7
	feed 10 yes >&8
	wait_for 5 bash -c "rec-json -t route < '$T/out.rec' | grep -q 198.18.1.0/24"
	# the decoder stops: 3 s (3 time constants) without a record
	sleep 3
	feed 5 yes >&8
	run bash -c "rec-json -t route < '$T/out.rec' | grep -c '\"del\"'"
	assert_output 0
	grep -q "the measurement is lost, rates are held" "$T/err"
	held=$(rec-json -q < "$T/st" | jq .heldms)
	[ "$held" -ge 2000 ] || fail "held ${held} ms of a 3 s silence"
	# the decoder runs and hears no traffic: the rates decay, the route goes
	feed 15 no >&8
	wait_for 5 bash -c "rec-json -t route < '$T/out.rec' | grep '\"del\"' | grep -q 198.18.1.0/24"
	exec 7>&- 8>&-
}

@test "t459 at capacity a prefix the tick already ranked waits for the next tick; a new destination does not" {
	rank_routes "$T/r.jsonl" 198.18.1.0/24=198.19.0.1 198.18.2.0/24=198.19.0.2 198.18.3.0/24=198.19.0.3
	to_rec "$T/r.jsonl" "$T/r.rec"
	: > "$T/f.jsonl"
	flows_at "$T/f.jsonl" 198.18.1.1 0 3000 10       # 1 MB/s
	flows_at "$T/f.jsonl" 198.18.2.1 0 3000 100      # 100 kB/s: the weakest incumbent
	flows_at "$T/f.jsonl" 198.18.3.1 0 3000 1000     # 10 kB/s: ranked at tick 1, below the cut
	flows_at "$T/f.jsonl" 198.18.3.1 1200 1400 1     # then the burst that t452's newcomer has
	sorted_flows "$T/f.jsonl" "$T/f.rec"
	prefix-rank --replay -m 2 --min-samples 0 -r "$T/r.rec" -f "$T/f.rec" -o "$T/out.rec"
	records "$T/out.rec" > "$T/recs"
	cat "$T/recs"
	[ "$(rank_stat "$T/out.rec" fastadds)" = 0 ]
	# tick 2 makes the swap, by its own rules
	run awk '/^stats 1$/ {s=1; next} /^stats 2$/ {exit} s' "$T/recs"
	assert_output "del 198.18.2.0/24
add 198.18.3.0/24 198.19.0.3"
}
