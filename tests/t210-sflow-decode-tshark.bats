#!/usr/bin/env bats
# sflow-decode against tshark, field by field, on every third-party capture
# in $SHARED_DATA/sflow and on captures of our own making.
load lib/common

CMP="$TESTS_DIR/tools/sflow-tshark-cmp"

# agree CAPTURE: every flow sample's agent, sequence numbers, rate,
# interfaces, frame length, addresses, protocol, ports and VLAN equal tshark's.
agree() {
	tshark -T json --no-duplicate-keys -r "$1" > "$T/tshark.json" 2>/dev/null
	sflow-decode -q -s 0 -r "$1" 2>/dev/null | rec-json -t flow > "$T/ours.jsonl"
	run "$CMP" "$T/tshark.json" "$T/ours.jsonl"
	assert_success
	assert_output --regexp "^[0-9]+ flow samples agree with tshark$"
}

setup() { need_cmd tshark python3; }

@test "t210: akvorado captures agree with tshark" {
	need_shared_data sflow/akvorado-data-1140.pcap
	for f in "$SHARED_DATA"/sflow/akvorado-data-*.pcap; do
		agree "$f"
		echo "# $(basename "$f"): $output" >&3
	done
}

@test "t210: pmacctd sfprobe capture (85 datagrams) agrees with tshark" {
	need_shared_data sflow/pmacctd-sfprobe-udp.pcap
	agree "$SHARED_DATA/sflow/pmacctd-sfprobe-udp.pcap"
	assert_output "499 flow samples agree with tshark"
}

@test "t210: tcpdump captures agree with tshark (IPv6 agent, expanded, counters)" {
	need_shared_data sflow/tcpdump-sflow-print-v6.pcap
	for f in tcpdump-sflow-print-v6 tcpdump-sflow_expanded tcpdump-sflow_multiple_counter_30_pdus; do
		agree "$SHARED_DATA/sflow/$f.pcap"
		echo "# $f: $output" >&3
	done
}

@test "t210: counter samples (generic interface and ethernet) agree with tshark" {
	need_shared_data sflow/tcpdump-sflow_multiple_counter_30_pdus.pcap
	for f in tcpdump-sflow_multiple_counter_30_pdus tcpdump-sflow-print-v6; do
		f=$SHARED_DATA/sflow/$f.pcap
		tshark -T json --no-duplicate-keys -r "$f" > "$T/tshark.json" 2>/dev/null
		sflow-decode -q -s 0 --counters -r "$f" 2>/dev/null | rec-json -t counter > "$T/ours.jsonl"
		run "$CMP" --counters "$T/tshark.json" "$T/ours.jsonl"
		assert_success
		assert_output --regexp "^[1-9][0-9]* counter samples agree with tshark$"
		echo "# $(basename "$f"): $output" >&3
	done
	# the ethernet (dot3) counters are really there, with non-zero values
	f=$SHARED_DATA/sflow/tcpdump-sflow_multiple_counter_30_pdus.pcap
	run bash -c "sflow-decode -q -s 0 --counters -r '$f' 2>/dev/null | rec-json -t counter | jq -s 'map(.fcserrors // empty) | length, add'"
	assert_line --index 0 142
	assert_line --index 1 28
}

@test "t210: host counter samples (hsflowd) agree with tshark on what it decodes of them" {
	# tshark 4.0 decodes no field of the host structures (t250 checks them
	# against sflow-gen); the sample's agent and data source it does
	sflow-gen -o "$T/h.pcap" host
	for f in "$T/h.pcap" "$SHARED_DATA/sflow/tcpdump-sflow_multiple_counter_30_pdus.pcap"; do
		[ -e "$f" ] || continue
		tshark -T json --no-duplicate-keys -r "$f" > "$T/tshark.json" 2>/dev/null
		sflow-decode -q -s 0 --counters -r "$f" 2>/dev/null | rec-json -t host > "$T/ours.jsonl"
		run "$CMP" --host "$T/tshark.json" "$T/ours.jsonl"
		assert_success
		assert_output "2 host counter samples agree with tshark"
	done
	# and the comparison sees a wrong data source
	sed 's/"ds":33554433/"ds":33554434/' "$T/ours.jsonl" > "$T/bad.jsonl"
	run "$CMP" --host "$T/tshark.json" "$T/bad.jsonl"
	assert_failure
}

@test "t210: the malformed tcpdump capture is counted and skipped, no crash" {
	need_shared_data sflow/tcpdump-sflow_print-segv.pcap
	run sflow-decode -s 0 -r "$SHARED_DATA/sflow/tcpdump-sflow_print-segv.pcap"
	assert_success
	assert_output --partial "1 malformed"
	assert_output --partial "malformed short: 1"
}

@test "t210: our own captures (sequence, agents, long AS path) agree with tshark" {
	for s in seqgap agents big; do
		sflow-gen -o "$T/$s.pcap" "$s"
		agree "$T/$s.pcap"
	done
	sflow-gen -n 300 -o "$T/bench.pcap" bench
	agree "$T/bench.pcap"
	assert_output "2400 flow samples agree with tshark"
}

@test "t210: the comparison fails when a field differs" {
	sflow-gen -o "$T/a.pcap" agents
	tshark -T json --no-duplicate-keys -r "$T/a.pcap" > "$T/tshark.json" 2>/dev/null
	sflow-decode -q -s 0 -r "$T/a.pcap" | rec-json -t flow > "$T/ours.jsonl"
	run "$CMP" "$T/tshark.json" "$T/ours.jsonl"
	assert_success
	for edit in 's/"sport":40000/"sport":40001/' 's/"seq":1,/"seq":3,/' \
		    's/"agent":"198.18.1.1"/"agent":"198.18.1.2"/' 's/"len":1500/"len":1499/'; do
		sed "3$edit" "$T/ours.jsonl" > "$T/bad.jsonl"
		run "$CMP" "$T/tshark.json" "$T/bad.jsonl"
		assert_failure 1
	done
	head -n 5 "$T/ours.jsonl" > "$T/short.jsonl"
	run "$CMP" "$T/tshark.json" "$T/short.jsonl"
	assert_failure 1
	assert_output --partial "flow samples: tshark 7, ours 5"
}
