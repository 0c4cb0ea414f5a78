#!/usr/bin/env bats
# prefix-rank with a reader that came after it started and then stopped
# reading: the ticks, the inputs and the control socket go on; the reader
# gets a complete state when it reads again.
load lib/common
load tools/rank-lib

teardown() {
	# (-KILL after a moment: a prefix-rank stuck in a blocked write is the
	# bug this suite looks for, and must not hang the run)
	[ -n "${PID:-}" ] && { kill "$PID"; sleep 0.2; kill -KILL "$PID"; } 2>/dev/null || true
	[ -n "${PID:-}" ] && wait "$PID" 2>/dev/null || true
	[ -n "${CAT:-}" ] && kill "$CAT" 2>/dev/null || true
	exec 7>&- 9<&- 2>/dev/null || true
}

ticks() { rec-json -t stats < "$T/st.rec" 2>/dev/null | jq -r .ticks; }

@test "t460 a stalled late reader does not stop the ticks, the inputs or the queries" {
	# 3000 routes, all with traffic: a complete state of several pipe buffers
	python3 - > "$T/r.jsonl" <<-'EOF'
	import json
	print('{"type":"sync","phase":"begin"}')
	for i in range(3000):
	    print(json.dumps({"type": "route", "op": "add", "prefix": "10.%d.%d.0/24" % (i >> 8, i & 255),
	                      "nexthop": "198.19.0.1", "aspath": [65001, 65002], "peer": "198.19.0.1", "origin": "igp"}))
	print('{"type":"sync","phase":"end"}')
	EOF
	to_rec "$T/r.jsonl" "$T/r.rec"
	python3 - > "$T/f.jsonl" <<-'EOF'
	import json
	for i in range(3000):
	    print(json.dumps({"type": "flow", "dst": "10.%d.%d.1" % (i >> 8, i & 255), "len": 1000, "rate": 10}))
	EOF
	to_rec "$T/f.jsonl" "$T/f.rec"
	mkfifo "$T/f.fifo" "$T/out.fifo"
	prefix-rank -r "$T/r.rec" -f "$T/f.fifo" -t 0.1 -m 5000 -o "$T/out.fifo" --stats "$T/st.rec" \
		-C "$T/ctl" 2> "$T/err" &
	PID=$!
	exec 7> "$T/f.fifo"
	cat "$T/f.rec" >&7
	wait_for 5 test -S "$T/ctl"
	wait_for 5 test -s "$T/st.rec"
	# the reader arrives late and reads nothing
	exec 9< "$T/out.fifo"
	sleep 1
	local t0; t0=$(ticks)
	sleep 2
	local t1; t1=$(ticks)
	echo "ticks during the stall: $t0 -> $t1" >&3
	# about 20 ticks in 2 s at -t 0.1; a blocked output made it 0 to 3
	[ $((t1 - t0)) -ge 10 ]
	# queries answered, flows still read
	run timeout 2 prefix-rank -C "$T/ctl" -q "top maxPrefixes=1"
	assert_success
	assert_output --partial '"prefix"'
	cat "$T/f.rec" >&7
	wait_for 5 bash -c "[ \$(rec-json -t stats < '$T/st.rec' | jq -r .flows) -ge 6000 ]"
	[ "$(rec-json -t stats < "$T/st.rec" | jq -r .skipped)" -gt 0 ]
	# reading again: a complete state comes through
	cat <&9 > "$T/out.rec" &
	CAT=$!
	exec 9<&-
	wait_for 10 bash -c "rec-json -t sync < '$T/out.rec' 2>/dev/null | grep -q end"
}
