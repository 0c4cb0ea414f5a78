#!/usr/bin/env bats
# prefix-rank: complete states (mark and sweep), stale routes and grace,
# peer down and up, restarts.
load lib/common
load tools/rank-lib

teardown() {
	[ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true
	[ -n "${PID:-}" ] && wait "$PID" 2>/dev/null || true
	exec 7>&- 2>/dev/null || true
}

has() { [ "$(q prefix "$1" | jq -r .prefix)" = "$2" ]; }
stale() { [ "$(q prefix "$1" | jq -r '.routes[0].stale')" = "$2" ]; }

fib_has_two() { [ "$(rank_last_fib "$T/out.rec" | wc -l)" = 2 ]; }

# start OPTIONS...: prefix-rank on FIFOs $T/r.fifo and $T/f.fifo
start() {
	[ -p "$T/r.fifo" ] || mkfifo "$T/r.fifo"
	[ -p "$T/f.fifo" ] || mkfifo "$T/f.fifo"
	prefix-rank -r "$T/r.fifo" -f "$T/f.fifo" -C "$T/ctl" -t 0.1 -o "$T/out.rec" "$@" 2> "$T/err" 3>&- &
	PID=$!
	wait_for 5 test -S "$T/ctl"
}

@test "t430 a second complete state sweeps what it no longer holds (replay)" {
	rank_routes "$T/a.jsonl" 198.18.1.0/24=198.19.0.1 198.18.2.0/24=198.19.0.1 198.18.3.0/24=198.19.0.1
	rank_routes "$T/b.jsonl" 198.18.1.0/24=198.19.0.1 198.18.3.0/24=198.19.0.9
	cat "$T/a.jsonl" "$T/b.jsonl" | rec-json -r > "$T/r.rec"
	rank_flows "$T/f.jsonl" 5 198.18.1.1,1000,10,10 198.18.2.1,1000,10,10 198.18.3.1,1000,10,10
	to_rec "$T/f.jsonl" "$T/f.rec"
	prefix-rank --replay -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.1.0/24 198.19.0.1 -
198.18.3.0/24 198.19.0.9 -"
	[ "$(rank_stat "$T/out.rec" rib4)" = 2 ]
	[ "$(rank_stat "$T/out.rec" learnedremoved)" = 1 ]
}

@test "t431 a complete state of one peer leaves the other peer's routes alone" {
	{
		echo '{"type":"route","op":"add","prefix":"198.18.1.0/24","nexthop":"198.19.0.1","peer":"198.19.0.1"}'
		echo '{"type":"route","op":"add","prefix":"198.18.2.0/24","nexthop":"198.19.0.2","peer":"198.19.0.2"}'
		echo '{"type":"sync","phase":"begin","peer":"198.19.0.1"}'
		echo '{"type":"sync","phase":"end","peer":"198.19.0.1"}'
	} | rec-json -r > "$T/r.rec"
	rank_flows "$T/f.jsonl" 5 198.18.1.1,1000,10,10 198.18.2.1,1000,10,10
	to_rec "$T/f.jsonl" "$T/f.rec"
	prefix-rank --replay -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.2.0/24 198.19.0.2 -"
}

@test "t432 best path across peers: local pref, AS path, origin, MED, lowest peer" {
	{
		echo '{"type":"route","op":"add","prefix":"198.18.1.0/24","nexthop":"198.19.0.1","peer":"198.19.0.1","localpref":100,"aspath":[1,2,3]}'
		echo '{"type":"route","op":"add","prefix":"198.18.1.0/24","nexthop":"198.19.0.2","peer":"198.19.0.2","localpref":100,"aspath":[1,2]}'
		echo '{"type":"route","op":"add","prefix":"198.18.2.0/24","nexthop":"198.19.0.1","peer":"198.19.0.1","localpref":200,"aspath":[1,2,3]}'
		echo '{"type":"route","op":"add","prefix":"198.18.2.0/24","nexthop":"198.19.0.2","peer":"198.19.0.2","localpref":100,"aspath":[1]}'
		echo '{"type":"route","op":"add","prefix":"198.18.3.0/24","nexthop":"198.19.0.1","peer":"198.19.0.1","origin":"incomplete","aspath":[1]}'
		echo '{"type":"route","op":"add","prefix":"198.18.3.0/24","nexthop":"198.19.0.2","peer":"198.19.0.2","origin":"igp","aspath":[1]}'
		echo '{"type":"route","op":"add","prefix":"198.18.4.0/24","nexthop":"198.19.0.1","peer":"198.19.0.1","med":10,"aspath":[1]}'
		echo '{"type":"route","op":"add","prefix":"198.18.4.0/24","nexthop":"198.19.0.2","peer":"198.19.0.2","med":5,"aspath":[1]}'
		echo '{"type":"route","op":"add","prefix":"198.18.5.0/24","nexthop":"198.19.0.2","peer":"198.19.0.2","aspath":[1]}'
		echo '{"type":"route","op":"add","prefix":"198.18.5.0/24","nexthop":"198.19.0.1","peer":"198.19.0.1","aspath":[1]}'
		echo '{"type":"route","op":"add","prefix":"198.18.6.0/24","nexthop":"198.19.0.1","peer":"198.19.0.1","aspath":[1]}'
		echo '{"type":"route","op":"add","prefix":"198.18.6.0/24","nexthop":"198.19.0.2","peer":"198.19.0.2","aspath":[1]}'
		echo '{"type":"route","op":"del","prefix":"198.18.6.0/24","peer":"198.19.0.1"}'
	} | rec-json -r > "$T/r.rec"
	rank_flows "$T/f.jsonl" 5 198.18.1.1,1000,10,10 198.18.2.1,900,10,10 198.18.3.1,800,10,10 \
		198.18.4.1,700,10,10 198.18.5.1,600,10,10 198.18.6.1,500,10,10
	to_rec "$T/f.jsonl" "$T/f.rec"
	prefix-rank --replay -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.1.0/24 198.19.0.2 -
198.18.2.0/24 198.19.0.1 -
198.18.3.0/24 198.19.0.2 -
198.18.4.0/24 198.19.0.2 -
198.18.5.0/24 198.19.0.1 -
198.18.6.0/24 198.19.0.2 -"
}

@test "t433 route feed lost: routes kept stale for the grace time, then swept" {
	rank_routes "$T/a.jsonl" 198.18.1.0/24=198.19.0.1 198.18.2.0/24=198.19.0.1
	to_rec "$T/a.jsonl" "$T/a.rec"
	start -g 2
	cat "$T/a.rec" > "$T/r.fifo"            # the writer comes and goes
	wait_for 5 has 198.18.1.1 198.18.1.0/24
	wait_for 5 stale 198.18.1.1 true
	grep -q "route feed ended" "$T/err"
	wait_for 5 has 198.18.1.1 null
	has 198.18.2.1 null
}

@test "t434 feed back within grace: its complete state sweeps only what it lacks" {
	rank_routes "$T/a.jsonl" 198.18.1.0/24=198.19.0.1 198.18.2.0/24=198.19.0.1
	rank_routes "$T/b.jsonl" 198.18.1.0/24=198.19.0.1
	to_rec "$T/a.jsonl" "$T/a.rec"
	to_rec "$T/b.jsonl" "$T/b.rec"
	start -g 30
	cat "$T/a.rec" > "$T/r.fifo"
	wait_for 5 stale 198.18.2.1 true
	cat "$T/b.rec" > "$T/r.fifo"
	wait_for 5 has 198.18.2.1 null
	has 198.18.1.1 198.18.1.0/24
	# the new state was complete: 198.18.1.0/24 is fresh (then stale again,
	# since this writer left too, but still there)
	kill -0 "$PID"
}

@test "t434b a feed back within grace with its complete state: nothing swept when the grace ends" {
	# bgp-speaker's shape: the complete state names its peer
	rank_routes "$T/a0.jsonl" 198.18.1.0/24=198.19.0.1
	sed 's/"phase":"\([a-z]*\)"}/"phase":"\1","peer":"198.19.0.1"}/' "$T/a0.jsonl" > "$T/a.jsonl"
	to_rec "$T/a.jsonl" "$T/a.rec"
	start -g 1
	cat "$T/a.rec" > "$T/r.fifo"
	wait_for 5 grep -q "route feed ended" "$T/err"
	exec 7> "$T/r.fifo"                     # the new writer stays
	cat "$T/a.rec" >&7
	wait_for 5 stale 198.18.1.1 false
	sleep 2
	has 198.18.1.1 198.18.1.0/24
	# no peer made up for the lost feed, no grace to run out
	run grep "grace time over" "$T/err"
	assert_failure
	exec 7>&-
	# the last writer leaves: that peer's routes go, and the log names it
	wait_for 5 has 198.18.1.1 null
	grep -q "peer 198.19.0.1: grace time over: 1 stale routes swept" "$T/err"
}

@test "t435 peer down record: stale; peer up and a complete state: fresh" {
	start -g 30
	exec 7> "$T/r.fifo"
	{
		echo '{"type":"peer","state":"up","peer":"198.19.0.1","as":65001,"id":"198.19.0.1"}'
		echo '{"type":"sync","phase":"begin","peer":"198.19.0.1"}'
		echo '{"type":"route","op":"add","prefix":"198.18.1.0/24","nexthop":"198.19.0.1","peer":"198.19.0.1"}'
		echo '{"type":"route","op":"add","prefix":"198.18.2.0/24","nexthop":"198.19.0.1","peer":"198.19.0.1"}'
		echo '{"type":"sync","phase":"end","peer":"198.19.0.1"}'
	} | rec-json -r >&7
	wait_for 5 stale 198.18.1.1 false
	echo '{"type":"peer","state":"down","peer":"198.19.0.1","reason":"hold timer expired"}' | rec-json -r >&7
	wait_for 5 stale 198.18.1.1 true
	{
		echo '{"type":"peer","state":"up","peer":"198.19.0.1","as":65001}'
		echo '{"type":"sync","phase":"begin","peer":"198.19.0.1"}'
		echo '{"type":"route","op":"add","prefix":"198.18.1.0/24","nexthop":"198.19.0.1","peer":"198.19.0.1"}'
		echo '{"type":"sync","phase":"end","peer":"198.19.0.1"}'
	} | rec-json -r >&7
	wait_for 5 stale 198.18.1.1 false
	has 198.18.2.1 null
	[ "$(q top | jq -r .as)" = 65001 ]
}

@test "t436 peer down with --grace 0 drops its routes at once" {
	start -g 0
	exec 7> "$T/r.fifo"
	{
		echo '{"type":"route","op":"add","prefix":"198.18.1.0/24","nexthop":"198.19.0.1","peer":"198.19.0.1"}'
		echo '{"type":"peer","state":"down","peer":"198.19.0.1"}'
	} | rec-json -r >&7
	wait_for 5 has 198.18.1.1 null
}

@test "t437 a restarted prefix-rank rebuilds from the next complete state" {
	rank_routes "$T/a.jsonl" 198.18.1.0/24=198.19.0.1 198.18.2.0/24=198.19.0.2
	to_rec "$T/a.jsonl" "$T/a.rec"
	rank_flows "$T/f.jsonl" 600 198.18.1.1,1000,10,10 198.18.2.1,1000,10,20
	to_rec "$T/f.jsonl" "$T/f.rec"
	for run in 1 2; do
		rm -f "$T/out.rec"
		start -g 30
		exec 7> "$T/r.fifo"
		cat "$T/a.rec" >&7
		wait_for 5 has 198.18.2.1 198.18.2.0/24
		head -c 20000 "$T/f.rec" > "$T/f.fifo"
		wait_for 5 fib_has_two
		kill "$PID"; wait "$PID"; st=$?; PID=
		exec 7>&-
		[ "$st" = 0 ]
		[ ! -e "$T/ctl" ]
		run rank_last_fib "$T/out.rec"
		assert_output "198.18.1.0/24 198.19.0.1 -
198.18.2.0/24 198.19.0.2 -"
	done
}

@test "t438 output FIFO: a reader that goes away and comes back gets a complete state" {
	rank_routes "$T/a.jsonl" 198.18.1.0/24=198.19.0.1
	to_rec "$T/a.jsonl" "$T/a.rec"
	rank_flows "$T/f.jsonl" 600 198.18.1.1,1000,10,10
	to_rec "$T/f.jsonl" "$T/f.rec"
	mkfifo "$T/r.fifo" "$T/f.fifo" "$T/out.fifo"
	prefix-rank -r "$T/r.fifo" -f "$T/f.fifo" -C "$T/ctl" -t 0.1 -o "$T/out.fifo" -g 30 2> "$T/err" 3>&- &
	PID=$!
	wait_for 5 test -S "$T/ctl"
	exec 7> "$T/r.fifo"
	cat "$T/a.rec" >&7
	head -c 20000 "$T/f.rec" > "$T/f.fifo"
	timeout 1 cat "$T/out.fifo" > "$T/first.rec" || true     # the reader leaves
	sleep 0.5
	timeout 1 cat "$T/out.fifo" > "$T/second.rec" || true    # and comes back
	kill -0 "$PID"
	run rank_last_fib "$T/second.rec"
	assert_output "198.18.1.0/24 198.19.0.1 -"
	# it starts with a sync begin (a complete state, not the tail of one)
	rec-json < "$T/second.rec" | head -1 | jq -e '.type == "sync" and .phase == "begin"'
}

@test "t439 SIGHUP reads the selection knobs again; a bad file changes nothing" {
	rank_routes "$T/a.jsonl" 198.18.1.0/24=198.19.0.1 198.18.2.0/24=198.19.0.2
	to_rec "$T/a.jsonl" "$T/a.rec"
	rank_flows "$T/f.jsonl" 600 198.18.1.1,1000,10,10 198.18.2.1,1000,10,20
	to_rec "$T/f.jsonl" "$T/f.rec"
	printf 'rank.max-routes = 2\n' > "$T/c.conf"
	start -c "$T/c.conf"
	exec 7> "$T/r.fifo"
	cat "$T/a.rec" >&7
	wait_for 5 has 198.18.2.1 198.18.2.0/24
	head -c 20000 "$T/f.rec" > "$T/f.fifo"
	wait_for 5 fib_has_two
	printf 'rank.max-routes = 1\n' > "$T/c.conf"
	kill -HUP "$PID"
	wait_for 5 sh -c "[ \"\$(rec-json -t stats < '$T/out.rec' | tail -1 | jq .selected4)\" = 1 ]"
	printf 'rank.max-routes = lots\n' > "$T/c.conf"
	kill -HUP "$PID"
	wait_for 5 grep -q "configuration unchanged" "$T/err"
	kill -0 "$PID"
	[ "$(rec-json -t stats < "$T/out.rec" | tail -1 | jq .selected4)" = 1 ]
}
