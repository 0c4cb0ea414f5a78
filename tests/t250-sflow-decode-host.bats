#!/usr/bin/env bats
# sflow-decode on Host sFlow (hsflowd) counter samples: the host structures
# (0:2000-0:2006) into host records, Broadcom's ASIC tables (4413:3) into
# asic records. sflow-gen's host scenario writes every number distinct and
# one more than the one before it on the wire (from 1000; a 64-bit one as
# n * 2^32 + n): listed in the order of the structures as the specs give it,
# the decoded values must count up by one, so a swapped or misplaced field
# fails. tshark decodes none of these fields (t210 checks what it does).
load lib/common

# The fields in the order of sflow_host.txt and sflow_broadcom_tables.txt.
HOST_ORDER='machinetype osname adapters[0] adapters[1] parenttype parentindex
procrun proctotal cpunum cpuspeed uptime cpuuser cpunice cpusystem cpuidle cpuwio
cpuintr cpusintr interrupts contexts cpusteal cpuguest cpuguestnice
memtotal memfree memshared membuffers memcached swaptotal swapfree
pagein pageout swapin swapout disktotal diskfree diskreads diskreadbytes
diskreadtime diskwrites diskwritebytes diskwritetime
netbytesin netpktsin neterrsin netdropsin netbytesout netpktsout neterrsout netdropsout'
ASIC_ORDER='host hostmax ipv4 ipv4max ipv6 ipv6max ipv46 ipv46max ipv6long ipv6longmax
routes routesmax ecmp ecmpmax mac macmax ipv4nbr ipv6nbr ipv4routes ipv6routes
aclin aclinmax aclinctr aclinctrmax aclinmeter aclinmetermax aclinslice aclinslicemax
aclout acloutmax acloutctr acloutctrmax acloutmeter acloutmetermax acloutslice acloutslicemax'

setup() {
	sflow-gen -o "$T/h.pcap" host
	sflow-decode -q -s 60 --counters -r "$T/h.pcap" | rec-json > "$T/h"
}

# in_order TYPE N FIELDS: the Nth record of TYPE, its FIELDS as one number
# each (a 64-bit n * 2^32 + n as n, after checking both halves agree)
in_order() {
	local jqf="" f
	for f in $3; do jqf="$jqf.$f,"; done
	jq -c "select(.type == \"$1\")" "$T/h" | sed -n "$2p" |
		jq -c "[${jqf%,}] | map(if . >= 4294967296 then
			(if (. % 4294967296) == ((. / 4294967296) | floor) then (. / 4294967296 | floor) else \"halves differ: \\(.)\" end)
			else . end)"
}

# consecutive JSON-ARRAY: succeeds when each number is one more than the last
consecutive() {
	echo "$1" | jq -e '. as $a | [range(1; length)] | all($a[.] == $a[. - 1] + 1)' > /dev/null ||
		fail "not in wire order: $1"
}

@test "t250: every host structure field decodes in wire order (distinct values, none swapped)" {
	run in_order host 1 "$HOST_ORDER"
	assert_success
	consecutive "$output"
	assert_output --regexp '^\[1000,1001,'
	run jq -c 'select(.type == "host") | [.hostname, .uuid, .osrelease, .macs, .load1, .load5, .load15, .partmaxused, .ds]' "$T/h"
	assert_line --index 0 '["switch-1","a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf","6.1.0-ar","02:00:00:00:00:01,02:00:00:00:00:02,02:00:00:00:00:03",1.5,2.25,3.125,4321,33554433]'
}

@test "t250: the Broadcom ASIC table record: 36 numbers in wire order, each with its maximum" {
	run in_order asic 1 "$ASIC_ORDER"
	assert_success
	consecutive "$output"
	# right after the last host number (net_io's drops out, 1049)
	assert_output --regexp '^\[1050,1051,'
	run jq -c 'select(.type == "asic") | [.agent, .ds]' "$T/h"
	assert_line --index 0 '["198.18.0.1",33554433]'
	run in_order asic 2 "$ASIC_ORDER"
	consecutive "$output"
}

@test "t250: an older agent: host_cpu without steal and guest, load unknown (-1), no disk or network" {
	run jq -c 'select(.type == "host")' "$T/h"
	[ "${#lines[@]}" = 2 ]
	run bash -c "jq -c 'select(.type == \"host\")' '$T/h' | sed -n 2p | jq -c '[has(\"cpusteal\"), has(\"load1\"), has(\"load5\"), has(\"diskfree\"), has(\"netbytesin\"), .contexts, .memtotal > 0]'"
	assert_output '[false,false,true,false,false,1105,true]'
	run in_order host 2 'machinetype osname adapters[0] adapters[1] parenttype parentindex procrun proctotal cpunum cpuspeed uptime cpuuser cpunice cpusystem cpuidle cpuwio cpuintr cpusintr interrupts contexts memtotal memfree'
	consecutive "$output"
}

@test "t250: unknown enterprise/format pairs are skipped by length; the sample's other records stay" {
	run jq -c 'select(.type == "stats") | [.counter_samples, .other_records, .hosts, .asics, .counters, .badrec_counter_record, .malformed]' "$T/h"
	assert_output '[3,4,2,2,1,0,0]'
	# the interface counters after the host sample in the same datagram
	run jq -c 'select(.type == "counter") | [.ds, .ifindex, .speed]' "$T/h"
	assert_output '[7,7,10000000000]'
}

@test "t250: without --counters no host or asic record is written" {
	run bash -c "sflow-decode -q -s 0 -r '$T/h.pcap' | rec-json | jq -r .type | sort -u"
	assert_output ""
}

@test "t250: host and asic records survive the JSON round trip (rec-json -r)" {
	grep -v '"stats"' "$T/h" > "$T/want"
	rec-json -r < "$T/want" | rec-json > "$T/got"
	cmp "$T/want" "$T/got"
}

@test "t250: a real hsflowd capture: host records with the agents' values" {
	need_shared_data sflow/tcpdump-sflow_multiple_counter_30_pdus.pcap
	run bash -c "sflow-decode -q -s 0 --counters -r '$SHARED_DATA/sflow/tcpdump-sflow_multiple_counter_30_pdus.pcap' 2>/dev/null | rec-json -t host | jq -c '[.agent, .hostname, .osrelease, .cpunum, .cpuspeed, .memtotal, .partmaxused, .adapters]'"
	assert_line --index 0 '["15.184.4.165","proxy-use03147k2","2.6.18-194.el5",24,1600,25268961280,1954,[2,3,5,6]]'
	assert_line --index 1 '["15.184.13.52","use03710ff","2.6.18-194.el5",24,1600,16284798976,2021,[2,3]]'
}

@test "t250: --host-stats keeps the last host and asic record, without --counters too" {
	sflow-decode -q -s 60 --host-stats "$T/hs.rec" -r "$T/h.pcap" > "$T/out.rec"
	run bash -c "rec-json < '$T/out.rec' | jq -r .type"
	assert_output stats
	run bash -c "rec-json < '$T/hs.rec' | jq -c '[.type, .ts]'"
	assert_output "$(printf '%s\n' '["host",1700000000000100]' '["asic",1700000000000100]')"
}

@test "t250: active-route status shows the switch's CPU, memory and ASIC tables (--host-stats)" {
	printf 'rundir = %s\n' "$T/run" > "$T/ar.conf"
	mkdir -p "$T/run"
	sflow-decode -q -s 60 --host-stats "$T/run/sflow-decode.host" -r "$T/h.pcap" > /dev/null
	run env AR_BINDIR="$AR_BUILD/bin" "$TESTS_DIR/../pipelines/active-route" -c "$T/ar.conf" status
	assert_line "switch 198.18.0.1 switch-1: CPU load ? 2.25 3.12 on 1094 CPUs; memory 4428 of 4424 GB free"
	assert_line "switch 198.18.0.1 ASIC: IPv4 routes 1119/1120, IPv6 1121/1122, long IPv6 1125/1126, all routes 1127/1128, host 1117/1118, ECMP next hops 1129/1130"
}
