#!/usr/bin/env bats
# sflow-decode over UDP, inside a network namespace of the test's own
# (loopback only): IPv4 and IPv6 sockets, the agent filter, periodic stats,
# SIGTERM, and the kernel's drop counter when the output stalls.
load lib/common
load lib/netns
load tools/sflow-lib

setup() { sflow_ns; }

teardown() { netns_cleanup; }

# start ARGS...: sflow-decode in the namespace, records to $T/out, log to $T/err
start() {
	netns_bg "$NS" "$T/bg.log" bash -c "exec sflow-decode $* > '$T/out' 2> '$T/err'"
	PID=$NETNS_LAST_PID
	wait_for 5 grep -q "listening on" "$T/err"
}


@test "t230: IPv4 and IPv6 sockets; records equal those decoded from the same datagrams in a pcap" {
	start -l 127.0.0.1 -l "'[::1]:6343'" --log-level info -s 0 --limit 200
	wait_for 5 grep -q "listening on \[::1\]:6343" "$T/err"
	send -u 127.0.0.1:6343 -n 100 bench
	send -u '[::1]:6343' -n 100 bench
	wait_for 10 bash -c "! kill -0 $PID 2>/dev/null"
	wait "$PID" || fail "sflow-decode exited $?"
	grep -q "summary: 200 datagrams" "$T/err"
	sflow-gen -n 100 -o "$T/b.pcap" bench
	sflow-decode -q -s 0 -r "$T/b.pcap" | rec-json | jq -c 'del(.ts)' > "$T/one"
	cat "$T/one" "$T/one" > "$T/want"
	rec-json < "$T/out" | jq -c 'del(.ts)' > "$T/got"
	[ "$(wc -l < "$T/got")" = 1600 ]
	cmp "$T/want" "$T/got"
}

@test "t230: SIGTERM stops cleanly: exit 0, final stats record, summary" {
	start -l 127.0.0.1:6399 -s 0.2
	# periodic stats come while idle ...
	wait_for 5 bash -c "rec-json -q -t stats < '$T/out' | jq -c 'select(.datagrams == 0)' | grep -q ."
	send -u 127.0.0.1:6399 -n 10 bench
	# ... and count what came
	wait_for 5 bash -c "rec-json -q -t stats < '$T/out' | jq -c 'select(.datagrams == 10)' | grep -q ."
	kill -TERM "$PID"
	wait "$PID"
	grep -q "summary: 10 datagrams" "$T/err"
	# one more at the stop
	[ "$(rec-json -t stats < "$T/out" | wc -l)" -ge 3 ]
	run bash -c "rec-json -t stats < '$T/out' | tail -n 1 | jq -c '[.datagrams, .flows, .kernel_drops]'"
	assert_output "[10,80,0]"
}

@test "t230: --agents on UDP: datagrams from other agents are counted and dropped" {
	# the sender (127.0.0.1) is allowed; of the agents inside, one is
	start -l 127.0.0.1 -s 0 --agents 198.18.1.0/24,127.0.0.1 --limit 7
	send -u 127.0.0.1:6343 agents
	wait_for 10 bash -c "! kill -0 $PID 2>/dev/null"
	run bash -c "rec-json < '$T/out' | jq -r .agent | sort -u"
	assert_output "198.18.1.1"
	grep -q "7 datagrams, [0-9]* bytes, 5 filtered" "$T/err"
}

@test "t230: --agents checks the UDP source: an allowed agent address written by another sender is dropped" {
	# 127.0.0.1 writes agent fields of 198.18.1.1 (allowed) and others
	start -l 127.0.0.1 -s 60 --agents 198.18.1.0/24 --limit 7
	send -u 127.0.0.1:6343 agents
	wait_for 10 bash -c "! kill -0 $PID 2>/dev/null"
	run bash -c "rec-json -t flow < '$T/out' | wc -l"
	assert_output 0
	run bash -c "rec-json -t stats < '$T/out' | jq -c '[.filtered, .filtered_source, .flows]'"
	assert_output "[7,7,0]"
}

@test "t230: a forged sampling rate of 2^31-1 over UDP is refused and counted" {
	start -l 127.0.0.1 -s 60 --limit 7
	send -u 127.0.0.1:6343 implausible
	wait_for 10 bash -c "! kill -0 $PID 2>/dev/null"
	run bash -c "rec-json -t flow < '$T/out' | jq -c .rate | sort -u"
	assert_output 512
	run bash -c "rec-json -t stats < '$T/out' | jq -c '[.refused_rate, .dgram_jumps, .dgram_lost]'"
	assert_output "[2,1,3]"
}

@test "t230: a stalled reader pauses reading; the kernel's drops are counted" {
	plain_build_only "9 s of a stalled reader; the blocked-output paths run under ASan in the FIFO test"
	# the reader sleeps while 4000 datagrams (~32000 records) arrive: the
	# writer's buffer fills, sflow-decode stops reading, the small socket
	# buffer overflows
	# The reader opens the FIFO at once and reads nothing until told: the
	# stall lasts exactly as long as the sending, however slow the machine.
	mkfifo "$T/fifo"
	( exec 3< "$T/fifo"; while [ ! -e "$T/go" ]; do sleep 0.1; done; cat <&3 > /dev/null ) &
	netns_track_pid $!
	netns_bg "$NS" "$T/bg.log" bash -c "exec sflow-decode -l 127.0.0.1 --rcvbuf 65536 -s 0 2> '$T/err' > '$T/fifo'"
	PID=$NETNS_LAST_PID
	wait_for 15 grep -qs "listening on" "$T/err"
	send -u 127.0.0.1:6343 -n 40000 bench
	touch "$T/go"
	sleep 3
	kill -TERM "$PID"
	wait_for 10 grep -q "kernel drops" "$T/err"
	drops=$(sed -n 's/.*udp: \([0-9]*\) kernel drops.*/\1/p' "$T/err")
	got=$(sed -n 's/.*summary: \([0-9]*\) datagrams.*/\1/p' "$T/err")
	echo "# received $got, kernel drops $drops" >&3
	[ "$drops" -gt 0 ] || fail "no kernel drops counted"
	# every datagram sent was either received or counted as dropped
	[ $((got + drops)) = 40000 ] || fail "received $got + dropped $drops != 40000 sent"
}

@test "t230: -o FIFO: waits for a reader, keeps datagrams in the socket meanwhile, reopens for the next" {
	fifo_decode -l 127.0.0.1 -s 0
	send -u 127.0.0.1:6343 -n 10 bench
	fifo_read "$T/r1"
	wait_for 5 grep -q "the reader went away" "$T/err"
	send -u 127.0.0.1:6343 -n 5 bench
	fifo_read "$T/r2"
	kill -TERM "$PID"
	wait "$PID"
	[ "$(rec-json < "$T/r1" | wc -l)" = 80 ]
	[ "$(rec-json < "$T/r2" | wc -l)" = 40 ]
	run grep -c "a reader is there" "$T/err"
	assert_output 2
}

@test "t230: SIGHUP reloads the agent filter from the config; a bad config keeps the old one" {
	# the sender, 127.0.0.1, is in every list: the agent fields decide
	printf 'sflow.agents = 198.18.0.0/24,127.0.0.1\n' > "$T/conf"
	start -c "$T/conf" -l 127.0.0.1 -s 0
	send -u 127.0.0.1:6343 agents
	wait_for 5 bash -c "[ \$(rec-json -q < '$T/out' | wc -l) = 2 ]"
	printf 'sflow.agents = 198.19.0.0/16,127.0.0.1\n' > "$T/conf"
	kill -HUP "$PID"
	wait_for 5 grep -q "reloaded: 2 agent prefixes" "$T/err"
	send -u 127.0.0.1:6343 agents
	wait_for 5 bash -c "[ \$(rec-json -q < '$T/out' | wc -l) = 4 ]"
	printf 'sflow.agents = 198.19.0.0/99,127.0.0.1\n' > "$T/conf"
	kill -HUP "$PID"
	wait_for 5 grep -q "reload failed" "$T/err"
	send -u 127.0.0.1:6343 agents
	wait_for 5 bash -c "[ \$(rec-json -q < '$T/out' | wc -l) = 6 ]"
	kill -TERM "$PID"
	wait "$PID"
	run bash -c "rec-json < '$T/out' | jq -r .agent | uniq -c | awk '{print \$1, \$2}'"
	assert_output "$(printf '2 198.18.0.1\n4 198.19.0.1')"
}

@test "t230: --agents from the command line still apply after a reload" {
	printf 'sflow.agents = 198.19.0.0/16\n' > "$T/conf"
	start -c "$T/conf" -a 198.18.0.0/24 -l 127.0.0.1:6402 -s 0
	kill -HUP "$PID"
	wait_for 5 grep -q "reloaded: 2 agent prefixes" "$T/err"
	kill -TERM "$PID"
	wait "$PID"
}

@test "t230: --rcvbuf sets the socket receive buffer" {
	need_cmd ss
	start -l 127.0.0.1:6401 -s 0 --rcvbuf 3000000
	# the kernel doubles the value it is given (socket(7))
	run ip netns exec "$NS" ss -uamn sport = :6401
	assert_output --partial "rb6000000"
	kill -TERM "$PID"
	wait "$PID"
}
