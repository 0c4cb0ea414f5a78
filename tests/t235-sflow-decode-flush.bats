#!/usr/bin/env bats
# sflow-decode over UDP leaves no record waiting in its output buffer: what
# a datagram carried reaches the reader while sflow-decode keeps running and
# nothing more arrives (no buffer filling up, no timer). Bounded waits only;
# no speed is asserted.
load lib/common
load lib/netns
load tools/sflow-lib

setup() {
	sflow_ns
	mkfifo "$T/fifo"
	: > "$T/out"
	: > "$T/err"
}

teardown() { netns_cleanup; }

# flows FILE: the number of flow records in FILE so far
flows() { rec-json -q -t flow < "$1" 2>/dev/null | wc -l; }

@test "t235: one datagram's flow records come out of -o FIFO at once; sflow-decode keeps running" {
	# the reader copies as it reads (cat writes each read through)
	( exec cat "$T/fifo" > "$T/out" ) &
	netns_track_pid $!
	# stats off: no timer may be what pushes the records out
	netns_bg "$NS" "$T/bg.log" bash -c "exec sflow-decode -l 127.0.0.1 -s 0 -o '$T/fifo' --log-level info 2> '$T/err'"
	PID=$NETNS_LAST_PID
	wait_for 5 grep -q "listening on" "$T/err"
	send -u 127.0.0.1:6343 -n 1 bench
	wait_for 5 bash -c "[ \$(rec-json -q -t flow < '$T/out' 2>/dev/null | wc -l) -ge 8 ]" ||
		fail "the datagram's 8 flow records did not reach the reader (got $(flows "$T/out"))"
	kill -0 "$PID" || fail "sflow-decode is not running"
	[ "$(flows "$T/out")" = 8 ]
	# and the next one alone, too
	send -u 127.0.0.1:6343 -n 1 bench
	wait_for 5 bash -c "[ \$(rec-json -q -t flow < '$T/out' 2>/dev/null | wc -l) -ge 16 ]" ||
		fail "the second datagram's records did not reach the reader (got $(flows "$T/out"))"
	kill -TERM "$PID"
	wait "$PID"
}

@test "t235: records left over when the pipe was full go out once the reader drains it, with no new datagram" {
	# The reader holds the FIFO open but does not read for 2 s: the pipe
	# (64 KiB) fills and a tail (below the writer's 4 MiB pause mark) stays
	# in sflow-decode's buffer. When the reader starts, that tail must follow
	# on its own: nothing else arrives and there are no stats records.
	( exec 3< "$T/fifo"; sleep 2; exec cat <&3 > "$T/out" ) &
	netns_track_pid $!
	netns_bg "$NS" "$T/bg.log" bash -c "exec sflow-decode -l 127.0.0.1 -s 0 2> '$T/err' > '$T/fifo'"
	PID=$NETNS_LAST_PID
	wait_for 5 grep -q "listening on" "$T/err"
	send -u 127.0.0.1:6343 -n 500 bench
	wait_for 10 bash -c "[ \$(rec-json -q -t flow < '$T/out' 2>/dev/null | wc -l) -ge 4000 ]" ||
		fail "only $(flows "$T/out") of 4000 flow records reached the reader"
	kill -0 "$PID" || fail "sflow-decode is not running"
	kill -TERM "$PID"
	wait "$PID"
	grep -q "summary: 500 datagrams" "$T/err"
}
