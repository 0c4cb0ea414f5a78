#!/usr/bin/env bats
# bgp-speaker: a peer that sends End-of-RIB before its table is complete
# (FRR 8.4 after a restart). The routes the readers hold are not swept at
# such an End-of-RIB, only once the table is quiet, or at --eor-hold.

load lib/common
load lib/netns

teardown() { netns_cleanup; }

ATTRS='40 01 01 00 40 02 00 40 03 04 c6 12 00 0a 40 05 04 00 00 00 64'
EOR='U|||
U||80 0f 03 00 02 01|'

# routes FROM TO: UPDATEs (50 NLRI each) for 10.1.I.0/24, FROM <= I < TO
routes() {
	local i n=0 nlri="" one
	for ((i = $1; i < $2; i++)); do
		printf -v one ' 18 0a 01 %02x' "$i"; nlri+=$one
		if ((++n == 50)); then echo "U||$ATTRS|$nlri"; nlri=""; n=0; fi
	done
	[ -z "$nlri" ] || echo "U||$ATTRS|$nlri"
}

# speaker ARGS...: a speaker in a fresh namespace NS; $T/c.rec, $T/c.err
speaker() {
	need_root
	netns_init
	netns_add raw > /dev/null
	NS=$(netns_name raw)
	ip netns exec "$NS" bgp-speaker --local-as 65000 --router-id 198.18.0.2 \
		--listen 127.0.0.1:1179 --neighbor 127.0.0.1 -r none "$@" > "$T/c.rec" 2> "$T/c.err" &
	SPK=$!
	netns_track_pid "$SPK"
}

# first_table: the peer's 200 routes and End-of-RIB; then it goes
first_table() {
	{ routes 0 200; echo "$EOR"; } > "$T/one"
	ip netns exec "$NS" bgp-rawpeer -w 300 127.0.0.1 1179 < "$T/one" > /dev/null
}

stop_speaker() { kill -TERM "$SPK"; wait "$SPK" || true; }

# reconnect MS: the peer back with the script on stdin, for MS ms after it
reconnect() {
	cat > "$T/two"
	ip netns exec "$NS" bgp-rawpeer -w "$1" 127.0.0.1 1179 < "$T/two" > /dev/null
}

# The second session's records: "add N" (adds before its sync end), then "end", then "add N" after
second() {
	rec-json < "$T/c.rec" | awk '
		/"phase":"begin"/ { n++; next }
		n != 2 { next }
		/"op":"add"/ { a++ }
		/"op":"del"/ { d++ }
		/"phase":"end"/ { print "add " a+0; a = 0; print "end" }
		END { if (a) print "add " a; if (d) print "del " d }'
}

@test "End-of-RIB early after a reconnect (10 of 200 routes): the sync end waits for the rest" {
	speaker --eor-hold 10
	first_table
	# back with 10 routes, End-of-RIB, 2.5 s quiet, then the other 190
	{ routes 0 10; echo "$EOR"; echo "S|2500"; routes 10 200; } | reconnect 1800
	stop_speaker
	run second
	assert_output "add 200
end"
	grep -q "End-of-RIB with 190 of 200 routes from before not sent again" "$T/c.err" || fail "$(cat "$T/c.err")"
	grep -q "complete table delivered (End-of-RIB, then the rest of the table): 200 routes, 0 from before swept" "$T/c.err"
}

@test "End-of-RIB early, --eor-hold 0: End-of-RIB is the end, as the wire says" {
	speaker --eor-hold 0
	first_table
	{ routes 0 10; echo "$EOR"; echo "S|500"; routes 10 200; } | reconnect 300
	stop_speaker
	run second
	assert_output "add 10
end
add 190"
}

@test "a peer that does it right: the sync end at its End-of-RIB, the table quiet or not" {
	speaker
	first_table
	# all 200 again (and 5 new), End-of-RIB, then more UPDATEs at once
	{ routes 0 205; echo "$EOR"; routes 205 210; } | reconnect 300
	stop_speaker
	run second
	assert_output "add 205
end
add 5"
	grep -q "complete table delivered (End-of-RIB): 205 routes, 0 from before swept" "$T/c.err"
	! grep -q "held open" "$T/c.err"
}

@test "a few routes gone for real (5 of 200): swept once the table is quiet" {
	plain_build_only "waits on the quiet timer; the hold's code runs under ASan in the other cases"
	speaker
	first_table
	{ routes 0 195; echo "$EOR"; } | reconnect 1800
	stop_speaker
	run second
	assert_output "add 195
end"
	grep -q "complete table delivered (End-of-RIB, then quiet): 195 routes, 5 from before swept" "$T/c.err" ||
		fail "$(cat "$T/c.err")"
}

@test "half the table gone for real: kept until --eor-hold, then swept" {
	plain_build_only "waits on the --eor-hold bound"
	speaker --eor-hold 2
	first_table
	{ routes 0 100; echo "$EOR"; } | reconnect 1500
	# 1.5 s quiet after End-of-RIB: still held (more than 1/16 missing)
	run second
	assert_output "add 100"
	# the session is down now; a new one comes with the same half table
	{ routes 0 100; echo "$EOR"; } > "$T/three"
	ip netns exec "$NS" bgp-rawpeer -w 2500 127.0.0.1 1179 < "$T/three" > /dev/null
	stop_speaker
	grep -q "100 routes from before still not sent again 2 s after End-of-RIB; swept" "$T/c.err" ||
		fail "$(cat "$T/c.err")"
	grep -q "complete table delivered (End-of-RIB, hold time over): 100 routes, 100 from before swept" "$T/c.err"
}

@test "a withdrawal during the hold counts: what the peer withdrew is not waited for" {
	speaker --eor-hold 20
	first_table
	# 150 again, End-of-RIB, then the other 50 withdrawn
	local w="" i one
	for ((i = 150; i < 200; i++)); do printf -v one ' 18 0a 01 %02x' "$i"; w+=$one; done
	{ routes 0 150; echo "$EOR"; echo "S|300"; echo "U|$w||"; } | reconnect 1800
	stop_speaker
	run second
	assert_output "add 150
end
del 50"
}
