#!/usr/bin/env bats
# route-push --bgp: route records (sync-framed) for bgp-speaker; and through
# bgp-speaker into BIRD, whose kernel protocol programs the FIB of its
# namespace (the seed's setup).

load lib/common
load tools/push-lib
load lib/netns
source "$TESTS_DIR/tools/bgp-lab.bash"

teardown() { netns_cleanup; }


@test "t520 --bgp writes the full state in sync markers, then ordered deltas" {
	{ snap 198.18.0.0/16=198.18.1.1 198.18.4.0/24=198.18.1.2 2001:db8:5::/48=2001:db8:1::2
	  snap 198.18.0.0/16=198.18.1.3 198.18.4.0/24=198.18.1.2 198.18.5.0/24=198.18.1.4; } |
		rec-json -r > "$T/in.rec"
	route-push --bgp -i "$T/in.rec" > "$T/out.rec"
	rec-json < "$T/out.rec" > "$T/out.jsonl"
	assert_golden t520-bgp "$T/out.jsonl"
}

# lab_setup of bgp-lab.bash, keeping the namespace list for the cleanup
push_lab_setup() {
	need_root
	need_cmd bird birdc jq
	netns_init
	netns_add bird > /dev/null
	netns_add spk > /dev/null
	NS_B=$(netns_name bird)
	NS_S=$(netns_name spk)
	netns_link "$NS_B" vb "$BIRD_A4/24" "$NS_S" vs "$SPK_A4/24" "$BIRD_A6/64" "$SPK_A6/64"
}

# BIRD's kernel table in its namespace: our prefixes (198.19/16, 2001:db8:b000::/36)
bird_kernel() {
	{ ip -n "$NS_B" -j -4 route show proto bird; ip -n "$NS_B" -j -6 route show proto bird; } |
		jq -r '.[] | "\(.dst) \(.gateway)"' | grep -E '^(198\.19\.|2001:db8:b)' | sort
}

want() { grep '"route"' "$1" | jq -r '"\(.prefix) \(.nexthop)"' | sort; }

@test "t521 --bgp through bgp-speaker into BIRD: the kernel table ends equal to each snapshot" {
	push_lab_setup
	bird_conf "$T/bird.conf"
	bird_start "$T/bird.conf"
	mkfifo "$T/ann.fifo" "$T/fib.fifo"
	speaker_bg ann --listen :1180 -r "$T/ann.fifo" -o /dev/null
	netns_bg "$NS_S" "$T/push.log" route-push --bgp -i "$T/fib.fifo" -o "$T/ann.fifo"
	exec 7> "$T/fib.fifo"
	snap 198.19.0.0/16=198.18.0.2@9 198.19.4.0/24=198.18.0.3@5 198.19.4.128/25=198.18.0.4 \
		198.19.9.0/24=198.18.0.3 2001:db8:b001::/48=2001:db8::2 > "$T/s1.jsonl"
	rec-json -r "$T/s1.jsonl" >&7
	wait_for 20 bash -c "[ \"\$(ip -n $NS_B route show proto bird | grep -c '^198.19')\" -eq 4 ]" ||
		fail "kernel: $(ip -n "$NS_B" route); push: $(cat "$T/push.log"); speaker: $(cat "$T/ann.err")"
	wait_for 10 bash -c "ip -n $NS_B -6 route show proto bird | grep -q 2001:db8:b001::/48"
	diff -u <(want "$T/s1.jsonl") <(bird_kernel)
	# next-hop changes, a removal under a kept cover, an addition
	snap 198.19.0.0/16=198.18.0.3@9 198.19.4.0/24=198.18.0.3@5 198.19.9.0/24=198.18.0.4 \
		198.19.10.0/24=198.18.0.2 2001:db8:b001::/48=2001:db8::2 > "$T/s2.jsonl"
	rec-json -r "$T/s2.jsonl" >&7
	wait_for 20 bash -c "diff <(grep '\"route\"' $T/s2.jsonl | jq -r '\"\\(.prefix) \\(.nexthop)\"' | sort) \
		<({ ip -n $NS_B -j -4 route show proto bird; ip -n $NS_B -j -6 route show proto bird; } |
		  jq -r '.[] | \"\\(.dst) \\(.gateway)\"' | grep -E '^(198\\.19\\.|2001:db8:b)' | sort) >/dev/null" ||
		fail "kernel: $(bird_kernel)"
	diff -u <(want "$T/s2.jsonl") <(bird_kernel)
	exec 7>&-
}

@test "t522 --bgp: a reader that restarts gets the complete state again" {
	mkfifo "$T/in.fifo" "$T/out.fifo"
	route-push --bgp -i "$T/in.fifo" -o "$T/out.fifo" 2> "$T/push.err" &
	local pid=$!
	netns_track_pid $pid
	# the first reader takes the first state, then goes away
	exec 8< "$T/out.fifo"
	exec 7> "$T/in.fifo"
	snap 198.18.2.0/24=198.18.1.2 198.18.3.0/24=198.18.1.3 | rec-json -r >&7
	wait_for 5 bash -c "timeout 0.5 cat <&8 >> $T/r1.rec; [ \"\$(rec-json < $T/r1.rec | grep -c phase)\" -ge 2 ]" ||
		{ kill $pid; fail "first reader: $(rec-json < "$T/r1.rec")"; }
	exec 8<&-
	# a change finds the reader gone: reopen, full state to the next reader
	snap 198.18.2.0/24=198.18.1.2 198.18.3.0/24=198.18.1.3 198.18.4.0/24=198.18.1.4 |
		rec-json -r >&7
	wait_for 5 grep -q "reader went away" "$T/push.err"
	timeout 5 cat "$T/out.fifo" > "$T/r2.rec" &
	local rd=$!
	wait_for 5 bash -c "[ \"\$(rec-json < $T/r2.rec 2>/dev/null | grep -c '\"phase\":\"end\"')\" -ge 1 ]" ||
		{ kill $pid; fail "second reader: $(rec-json < "$T/r2.rec"); $(cat "$T/push.err")"; }
	exec 7>&-
	kill -TERM $pid
	wait $pid
	wait $rd || true
	run rec-json < "$T/r2.rec"
	assert_line --index 0 '{"type":"sync","phase":"begin"}'
	assert_output --partial '"prefix":"198.18.4.0/24"'
	assert_output --partial '"prefix":"198.18.2.0/24"'
}
