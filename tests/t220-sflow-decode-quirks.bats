#!/usr/bin/env bats
# sflow-decode on datagrams of our own making (sflow-gen): every sample type,
# record type, header encapsulation and agent quirk the decoder handles;
# sequence-loss counting; malformed datagrams. Outputs are compared with
# golden files and the fields each case is about are checked by name.
load lib/common
load tools/sflow-lib

setup() {
	sflow-gen -o "$T/quirks.pcap" quirks
	decode --counters -r "$T/quirks.pcap" > "$T/q"
}

# nth N FILTER: the jq FILTER applied to the Nth flow record
nth() { jq -c "select(.type == \"flow\")" "$T/q" | sed -n "$1p" | jq -c "$2"; }

@test "t220: the quirks capture decodes as the golden file says" {
	assert_golden t220-quirks "$T/q"
}

@test "t220: header protocol 0 is decoded as Ethernet when it parses" {
	run nth 2 '[.src, .dst, .proto, .sport, .dport]'
	assert_output '["198.18.10.1","198.19.11.2",6,40000,443]'
}

@test "t220: opaque header without XDR padding; record longer than its content" {
	run nth 3 '[.src, .sport, .dport, .tcpflags]'
	assert_output '["198.18.10.1",40000,443,24]'
	run nth 4 '[.src, .sport, .dport, .len]'
	assert_output '["198.18.10.1",40000,443,1500]'
}

@test "t220: header protocols 11 (IPv4), 12 (IPv6), 13 (MPLS)" {
	run nth 5 '[.src, .dst, .proto, .dport]'
	assert_output '["198.18.10.1","198.19.11.2",6,443]'
	run nth 6 '[.src, .dst, .proto, .dport, .tos]'
	assert_output '["2001:db8::1","2001:db8:1::2",17,53,32]'
	run nth 9 '[.src, .dst, .proto, .dport]'
	assert_output '["2001:db8::1","2001:db8:1::2",17,53]'
}

@test "t220: QinQ (0x9100 outer) gives the outer VLAN; MPLS stack in Ethernet" {
	run nth 7 '[.vlan, .src, .dport]'
	assert_output '[300,"198.18.10.1",443]'
	run nth 8 '[.src, .proto, .sport, .dport]'
	assert_output '["198.18.10.1",6,40000,443]'
}

@test "t220: IPv4 options and IPv6 extension headers are skipped to the ports" {
	run nth 10 '[.proto, .sport, .dport, .tcpflags]'
	assert_output '[6,40000,443,24]'
	run nth 11 '[.proto, .sport, .dport]'
	assert_output '[17,5353,53]'
}

@test "t220: a header cut inside TCP keeps addresses and protocol, no ports" {
	run nth 12 '[.src, .dst, .proto, .sport, .dport]'
	assert_output '["198.18.10.1","198.19.11.2",6,null,null]'
	sflow-decode -q -r "$T/quirks.pcap" | rec-json -t stats > "$T/s"
	run jq .headers_truncated "$T/s"
	assert_output 1
}

@test "t220: ICMPv6 type and code in sport and dport" {
	run nth 13 '[.proto, .sport, .dport]'
	assert_output '[58,128,0]'
}

@test "t220: unknown record and sample types are skipped by length" {
	run nth 14 '[.src, .dport]'
	assert_output '["198.18.10.1",443]'
	sflow-decode -q -r "$T/quirks.pcap" | rec-json -t stats > "$T/s"
	run jq -c '[.other_records, .other_samples]' "$T/s"
	assert_output '[1,1]'
}

@test "t220: sampled_ipv4 then sampled_ipv6: the first one is used" {
	run nth 15 '[.src, .dst, .proto, .sport, .dport, .tos, .len]'
	assert_output '["198.18.10.5","198.19.11.6",17,1234,53,8,576]'
}

@test "t220: extended_router and extended_gateway (AS path with a set, communities)" {
	run nth 16 '[.nexthop, .srcmask, .dstmask, .srcas, .peeras, .dstas, .aspath, .communities, .localpref]'
	assert_output '["198.18.0.1",24,22,65010,65001,65005,[65001,65002,65003,[65004,65005]],["65001:100","65001:200"],150]'
}

@test "t220: extended_switch VLAN wins over the header's" {
	run nth 17 .vlan
	assert_output 77
}

@test "t220: interface formats: expanded ifIndex >= 2^24, discarded, multiple, internal" {
	run nth 18 '[.ds, .in, .out, .dropped, .reason]'
	assert_output '[19088743,3,null,true,36984440]'
	run nth 19 '[.out, .outn]'
	assert_output '[null,5]'
	run nth 20 .out
	assert_output 1073741823
}

@test "t220: discarded_packet (0:5) becomes a flow record marked dropped" {
	run nth 21 '[.seq, .ds, .drops, .in, .out, .dropped, .reason, .rate, .src]'
	assert_output '[1,7,12,7,0,true,259,null,"198.18.10.1"]'
}

@test "t220: IPv6 agent with sub-agent; unknown agent address type 0" {
	run nth 22 '[.agent, .subagent]'
	assert_output '["2001:db8::99",3]'
	run nth 24 '[.agent, .subagent, .src]'
	assert_output '[null,0,"198.18.10.1"]'
}

@test "t220: sequence gaps, late datagrams, restarts and sample losses are counted" {
	sflow-gen -o "$T/s.pcap" seqgap
	sflow-decode -q -r "$T/s.pcap" | rec-json -t stats > "$T/s"
	run jq -c '[.dgram_lost, .dgram_reordered, .restarts, .sample_lost, .sample_reordered]' "$T/s"
	assert_output '[2,1,1,5,0]'
	run sflow-decode -s 0 -r "$T/s.pcap"
	assert_output --partial "sequence: 2 datagrams lost, 1 late, 5 samples lost, 0 late, 1 restarts"
}

@test "t220: malformed datagrams are counted by reason and skipped whole" {
	sflow-gen -o "$T/m.pcap" malformed
	sflow-decode -q -r "$T/m.pcap" | rec-json > "$T/m"
	jq -c 'select(.type == "stats") | with_entries(select(.key | test("^bad|^malformed|^flows$|^datagrams$")))' "$T/m" > "$T/stats"
	assert_golden t220-malformed-stats "$T/stats"
	# only the good datagrams, and the sample whose bad records were ignored
	run jq -c 'select(.type == "flow") | .dseq' "$T/m"
	assert_output "$(seq 1 11)"
}

@test "t220: an AS path longer than the decoder keeps is cut at a segment, counted" {
	sflow-gen -o "$T/b.pcap" big
	sflow-decode -q -r "$T/b.pcap" | rec-json > "$T/b"
	run jq -c 'select(.type == "flow") | [(.aspath | length), .dstas, (.communities | length), .localpref]' "$T/b"
	assert_output '[200,7,256,100]'
	run jq -c 'select(.type == "stats") | .aspath_cut' "$T/b"
	assert_output 2
}

@test "t220: implausible values are counted and refused: sampling rates 0 and 2^31-1, a sequence jump of 2^30" {
	sflow-gen -o "$T/i.pcap" implausible
	sflow-decode -q -r "$T/i.pcap" | rec-json > "$T/i"
	# the two refused samples make no record; every record keeps rate 512
	run jq -c 'select(.type == "flow") | .rate' "$T/i"
	assert_output "$(printf '512\n%.0s' 1 2 3 4 5)"
	run jq -c 'select(.type == "stats") | [.flow_samples, .flows, .refused_rate, .dgram_jumps, .dgram_lost, .sample_jumps, .sample_lost, .restarts]' "$T/i"
	# the jump of 2^30 is not 2^30 losses; the real gap of 3 is 3
	assert_output "[7,5,2,1,3,1,0,0]"
	# without the bounds the numbers are believed (this is what the bounds stop)
	run bash -c "sflow-decode -q --max-rate 0 --max-seq-gap 0 -r '$T/i.pcap' | rec-json -t stats | jq -c '[.refused_rate, .dgram_lost > 1000000]'"
	assert_output "[1,true]"
}

@test "t220: a jump confirmed by the next number moves the stream without counting losses" {
	sflow-gen -o "$T/i.pcap" implausible
	# with a bound of 2 the real gap of 3 is a jump too; the number after it
	# (a second datagram would confirm it) is not there: 1 jump more, 0 lost
	run bash -c "sflow-decode -q --max-seq-gap 2 -r '$T/i.pcap' | rec-json -t stats | jq -c '[.dgram_jumps, .dgram_lost]'"
	assert_output "[2,0]"
}

@test "t220: --agents checks the capture's IP source as well as the agent field" {
	sflow-gen -o "$T/a.pcap" agents
	# every datagram's IP source is its agent: the agent filter keeps 2
	run bash -c "sflow-decode -q --agents 198.18.1.0/24 -r '$T/a.pcap' | rec-json -t flow | wc -l"
	assert_output 2
	# the same agent fields sent from 2001:db8::1 (-6): all dropped
	sflow-gen -6 -o "$T/f.pcap" agents
	run bash -c "sflow-decode -q --agents 198.18.1.0/24 -r '$T/f.pcap' | rec-json -t stats | jq -c '[.filtered, .filtered_source, .flows]'"
	assert_output "[7,7,0]"
}
