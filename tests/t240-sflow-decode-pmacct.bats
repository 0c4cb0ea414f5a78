#!/usr/bin/env bats
# A real sFlow agent: pmacct's pmacctd with the sfprobe plugin samples a
# veth in one namespace while a bounded sender sends UDP across it; it
# exports to sflow-decode in the other namespace. What sflow-decode wrote
# live must equal tshark's decode of the same datagrams, captured beside it.
load lib/common
load lib/netns

setup() {
	need_root
	need_cmd pmacctd dumpcap tshark python3
	netns_init
	netns_add agent > /dev/null
	netns_add coll > /dev/null
	A=$(netns_name agent)
	C=$(netns_name coll)
	netns_link "$A" sfa0 198.18.50.1/24 "$C" sfc0 198.18.50.2/24
}

teardown() { netns_cleanup; }

# count_flows: flow records sflow-decode has written so far to the test port
count_flows() { rec-json -q -t flow < "$T/out" | grep -c '"dport":9999' || true; }

@test "t240: pmacctd sfprobe, 1:1 sampling: what it exports is decoded as tshark decodes it" {
	plain_build_only "an interop run; pmacctd's datagrams go through the decoder under ASan in t210"
	cat > "$T/pmacctd.conf" <<-EOF
	daemonize: false
	pcap_interface: sfa0
	pcap_filter: udp and dst port 9999
	plugins: sfprobe
	sampling_rate: 1
	sfprobe_receiver: 198.18.50.2:6343
	sfprobe_agentip: 198.18.50.1
	sfprobe_agentsubid: 7
	pidfile: $T/pmacctd.pid
	logfile: $T/pmacctd.log
	EOF
	netns_bg "$C" "$T/dec.log" bash -c "exec sflow-decode -l 198.18.50.2 --counters -s 0 > '$T/out' 2> '$T/err'"
	DEC=$NETNS_LAST_PID
	netns_bg "$C" "$T/dumpcap.log" dumpcap -q -i sfc0 -f "udp dst port 6343" -w "$T/cap.pcapng"
	DUMP=$NETNS_LAST_PID
	wait_for 5 grep -q "listening on" "$T/err"
	wait_for 5 grep -q "Capturing on\|File:" "$T/dumpcap.log" || sleep 1
	netns_bg "$A" "$T/pmacctd.out" pmacctd -f "$T/pmacctd.conf"
	PM=$NETNS_LAST_PID
	wait_for 10 grep -q "Exporting flows" "$T/pmacctd.log"
	sleep 1
	# bounded sender: 200 datagrams, about a second
	ip netns exec "$A" bash -c 'for i in $(seq 200); do echo "packet $i" > /dev/udp/198.18.50.2/9999; sleep 0.005; done'
	wait_for 15 bash -c "[ \$(rec-json -q -t flow < '$T/out' | grep -c '\"dport\":9999') -ge 180 ]" || true
	# pmacctd sends what it still holds when it stops
	kill -TERM "$PM"
	wait_for 10 bash -c "! kill -0 $PM 2>/dev/null"
	sleep 1
	kill -TERM "$DUMP" "$DEC"
	wait "$DEC"
	wait "$DUMP" || true

	n=$(count_flows)
	echo "# $n of 200 packets came back as flow samples" >&3
	# pmacctd may lose some in its own capture; what it sent must all be here (below)
	[ "$n" -ge 100 ] && [ "$n" -le 200 ] || fail "expected most of 200 samples of the test traffic, got $n"
	run bash -c "rec-json -t flow < '$T/out' | jq -c 'select(.dport == 9999) | [.agent, .subagent, .rate, .src, .dst, .proto]' | sort -u"
	assert_output '["198.18.50.1",7,1,"198.18.50.1","198.18.50.2",17]'

	tshark -T json --no-duplicate-keys -r "$T/cap.pcapng" > "$T/tshark.json" 2>/dev/null
	rec-json -t flow < "$T/out" > "$T/ours.jsonl"
	run "$TESTS_DIR/tools/sflow-tshark-cmp" "$T/tshark.json" "$T/ours.jsonl"
	assert_success
	echo "# flows: $output" >&3
	rec-json -t counter < "$T/out" > "$T/ours-c.jsonl"
	if [ -s "$T/ours-c.jsonl" ]; then
		run "$TESTS_DIR/tools/sflow-tshark-cmp" --counters "$T/tshark.json" "$T/ours-c.jsonl"
		assert_success
		echo "# counters: $output" >&3
	fi
	grep -q "0 datagrams lost" "$T/err"
}
