#!/usr/bin/env bats
# The capacity follows the ASIC, through the whole pipeline: sflow-gen's
# capacity capture (traffic toward 40 /24s; from t = 10 s the switch's
# ASIC counter samples say its IPv4 route table holds 22, then 12, then
# 1000) -> sflow-decode --counters -> prefix-rank --asic-headroom 2 (-m 30
# until the first ASIC counter) -> route-push --max-routes 25, whose cap is
# the operator's and wins.
load lib/common

setup() {
	sflow-gen -o "$T/cap.pcap" capacity
	{
		echo '{"type":"sync","phase":"begin"}'
		for k in $(seq 1 40); do
			printf '{"type":"route","op":"add","prefix":"198.18.%d.0/24","nexthop":"198.19.0.1","aspath":[65001],"peer":"198.19.0.1","origin":"igp"}\n' "$k"
		done
		echo '{"type":"sync","phase":"end"}'
	} | rec-json -r > "$T/routes.rec"
	sflow-decode -q -s 0 --counters -r "$T/cap.pcap" > "$T/flows.rec"
}

# trace: one line per tick "tick capacity4 selected4 installed", also on fd 3 (prefix-rank --full-every 0: a complete state and one route-push stats record a tick)
trace() {
	rec-json -t stats < "$T/snap.rec" | jq -r '[.ticks, .capacity4, .selected4] | @tsv' > "$T/rank.tsv"
	# route-push writes one stats record per snapshot, and one at exit (to a FIFO: a stream)
	rec-json -t stats < "$T/push.st" | jq -r '.installed' | head -n "$(wc -l < "$T/rank.tsv")" > "$T/push.tsv"
	paste "$T/rank.tsv" "$T/push.tsv" > "$T/trace"
	echo "# tick capacity4 selected4 installed" >&3
	sed 's/^/# /' "$T/trace" >&3
}

@test "t260: the capacity follows the ASIC's IPv4 maximum less the headroom; route-push's cap wins" {
	prefix-rank --replay --full-every 0 --asic-headroom 2 -m 30 -r "$T/routes.rec" -f "$T/flows.rec" \
		> "$T/snap.rec" 2> "$T/rank.err"
	# a FIFO: route-push's stats as a stream, a record a snapshot (a file holds the last)
	mkfifo "$T/push.fifo"
	cat "$T/push.fifo" > "$T/push.st" &
	local rd=$!
	route-push --dry-run --max-routes 25 --max-withdraw-percent 100 --trace "$T/push.trace" \
		--stats "$T/push.fifo" -i "$T/snap.rec" > /dev/null 2>&1
	wait "$rd"
	trace
	# until the first ASIC counter (t = 10 s) the configured capacity holds
	run awk '$1 <= 10 && !($2 == 30 && $3 == 30) { print "tick " $1 ": " $0 }' "$T/trace"
	assert_output ""
	# then 22 - 2, 12 - 2, 1000 - 2 (all 40 prefixes fit)
	run awk '$1 > 10 && $1 <= 20 && !($2 == 20 && $3 == 20) || $1 > 20 && $1 <= 30 && !($2 == 10 && $3 == 10) ||
		 $1 > 30 && !($2 == 998 && $3 == 40) { print "tick " $1 ": " $0 }' "$T/trace"
	assert_output ""
	[ "$(wc -l < "$T/trace")" = 40 ]
	# installed: never above route-push's 25, and what the selection gives below it
	run awk '$4 > 25 || ($3 <= 25 && $4 != $3) || ($3 > 25 && $4 != 25) { print "tick " $1 ": " $0 }' "$T/trace"
	assert_output ""
	run "$TESTS_DIR/tools/push-trace-check" --final --max 25 "$T/push.trace"
	assert_success
	# IPv6: the IPv6 and long IPv6 tables together, less the headroom
	run bash -c "rec-json -t stats < '$T/snap.rec' | tail -n 1 | jq -c '[.capacity6, .capacitychanges]'"
	assert_output "[148,3]"
	grep -q "capacity from the ASIC: IPv4 30 -> 20, IPv6 10000 -> 148" "$T/rank.err"
}

@test "t260: without --asic-headroom the asic records are ignored and the configured capacity stays" {
	prefix-rank --replay -m 30 -r "$T/routes.rec" -f "$T/flows.rec" > "$T/snap.rec" 2> "$T/rank.err"
	run bash -c "rec-json -t stats < '$T/snap.rec' | jq -c '[.capacity4, .selected4]' | sort -u"
	assert_output "[30,30]"
}

@test "t260: --asic-headroom is in prefix-rank's help and man page" {
	run prefix-rank --help
	assert_output --partial "--asic-headroom N"
	grep -q 'Fl -asic-headroom' "$TESTS_DIR/../man/man1/prefix-rank.1"
}
