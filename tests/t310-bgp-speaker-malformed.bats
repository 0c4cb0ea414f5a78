#!/usr/bin/env bats
# bgp-speaker: malformed UPDATEs from a raw-bytes peer get RFC 7606 handling.

load lib/common
load lib/netns
source "$TESTS_DIR/tools/bgp-lab.bash"

teardown() { netns_cleanup; }

O="40 01 01 00"
A='40 02 06 02 01 00 00 fd e9'
N='40 03 04 c6 12 00 0a'
L='40 05 04 00 00 00 64'
P='18 c6 12 c8'         # 198.18.200.0/24
Q='18 c6 12 c9'         # 198.18.201.0/24
R6='80 0e 1c 00 02 01 10 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 0a 00 30 20 01 0d b8 02 00'
F='ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff'

# run_case STEP: a fresh speaker in NS, the raw peer runs the case; sets
# $T/case.rec, $T/case.err, $T/case.out. The speaker answers on loopback at
# once; the 300 ms wait is what shows that no NOTIFICATION follows.
run_case() {
	local step=$1
	ip netns exec "$NS" bgp-speaker --local-as 65000 --router-id 198.18.0.2 \
		--listen 127.0.0.1:1179 --neighbor 127.0.0.1 -r none > "$T/case.rec" 2> "$T/case.err" &
	local spk=$!
	netns_track_pid "$spk"
	{
		echo "U||$O $A $N $L c0 08 04 00 00 00 01|$P"
		eval "echo \"$step\""
		echo "U||$O $A $N $L|$Q"
	} > "$T/case.script"
	ip netns exec "$NS" bgp-rawpeer -w 300 127.0.0.1 1179 < "$T/case.script" > "$T/case.out"
	kill -TERM "$spk"
	wait "$spk" || true
	rec-json < "$T/case.rec" > "$T/case.jsonl"
}

# table_case NAME: the row NAME of bgp-malformed.table, run and checked
# against its expected handling; each row is its own test below, so that a
# failure names its case.
table_case() {
	local name expect step row
	row=$(awk -F';' -v n="$1" '$1 == n' "$TESTS_DIR/tools/bgp-malformed.table")
	[ -n "$row" ] || fail "no row \"$1\" in bgp-malformed.table"
	IFS=';' read -r name expect step <<< "$row"
	need_root
	netns_init
	netns_add raw > /dev/null
	NS=$(netns_name raw)
	run_case "$step"
	local why=""
	local lastp; lastp=$(jq -c 'select(.type == "route" and .prefix == "198.18.200.0/24")' "$T/case.jsonl" | tail -1)
	local qok; qok=$(jq -c 'select(.type == "route" and .prefix == "198.18.201.0/24" and .op == "add")' "$T/case.jsonl" | wc -l)
	local down; down=$(jq -c 'select(.type == "peer" and .state == "down")' "$T/case.jsonl" | head -1)
	case "$expect" in
	withdraw)
		echo "$lastp" | grep -q '"op":"del"' || why="route not withdrawn: $lastp"
		[ "$qok" = 1 ] || why="$why; session did not survive"
		grep -q "treat-as-withdraw" "$T/case.err" || why="$why; not logged"
		grep -q "notification" "$T/case.out" && why="$why; NOTIFICATION sent" ;;
	discard|ok)
		echo "$lastp" | grep -q '"op":"add"' || why="route not kept: $lastp"
		[ "$qok" = 1 ] || why="$why; session did not survive"
		[ "$expect" = discard ] && { grep -q "attribute discarded" "$T/case.err" || why="$why; not logged"; }
		grep -q "notification" "$T/case.out" && why="$why; NOTIFICATION sent" ;;
	reset*)
		local want="notification ${expect#reset }"
		grep -qx "$want" "$T/case.out" || why="expected $want, peer saw: $(tr '\n' ' ' < "$T/case.out")"
		[ -n "$down" ] || why="$why; no peer down record"
		[ "$qok" = 0 ] || why="$why; routes after the reset" ;;
	*)
		why="unknown expectation \"$expect\"" ;;
	esac
	grep -q "runtime error\|AddressSanitizer" "$T/case.err" && why="$why; sanitizer report"
	[ -z "$why" ] || fail "$name: $why
$(cat "$T/case.err")"
}

@test "malformed UPDATE table: every row has its test below" {
	awk -F';' '$1 != "" && $1 !~ /^#/ {print $1}' "$TESTS_DIR/tools/bgp-malformed.table" | sort > "$T/rows"
	sed -n 's/^@test "malformed: \(.*\)" { table_case .*/\1/p' "$BATS_TEST_FILENAME" | sort > "$T/tests"
	[ "$(wc -l < "$T/rows")" -ge 20 ]
	run diff "$T/rows" "$T/tests"
	assert_success
}

@test "malformed: ORIGIN value 3 (RFC 7606 7.1)" { table_case 'ORIGIN value 3 (RFC 7606 7.1)'; }
@test "malformed: ORIGIN length 2 (RFC 7606 7.1)" { table_case 'ORIGIN length 2 (RFC 7606 7.1)'; }
@test "malformed: ORIGIN with the optional flag (RFC 7606 3 c)" { table_case 'ORIGIN with the optional flag (RFC 7606 3 c)'; }
@test "malformed: AS_PATH segment type 5 (RFC 7606 7.2)" { table_case 'AS_PATH segment type 5 (RFC 7606 7.2)'; }
@test "malformed: AS_PATH segment overruns the attribute (RFC 7606 7.2)" { table_case 'AS_PATH segment overruns the attribute (RFC 7606 7.2)'; }
@test "malformed: AS_PATH segment of 0 ASes (RFC 7606 7.2)" { table_case 'AS_PATH segment of 0 ASes (RFC 7606 7.2)'; }
@test "malformed: NEXT_HOP length 5 (RFC 7606 7.3)" { table_case 'NEXT_HOP length 5 (RFC 7606 7.3)'; }
@test "malformed: NEXT_HOP with the optional flag (RFC 7606 3 c)" { table_case 'NEXT_HOP with the optional flag (RFC 7606 3 c)'; }
@test "malformed: MULTI_EXIT_DISC length 3 (RFC 7606 7.4)" { table_case 'MULTI_EXIT_DISC length 3 (RFC 7606 7.4)'; }
@test "malformed: LOCAL_PREF length 2 (RFC 7606 7.5)" { table_case 'LOCAL_PREF length 2 (RFC 7606 7.5)'; }
@test "malformed: ATOMIC_AGGREGATE length 1 (RFC 7606 7.6)" { table_case 'ATOMIC_AGGREGATE length 1 (RFC 7606 7.6)'; }
@test "malformed: AGGREGATOR length 7 (RFC 7606 7.7)" { table_case 'AGGREGATOR length 7 (RFC 7606 7.7)'; }
@test "malformed: COMMUNITIES length 3 (RFC 7606 7.8)" { table_case 'COMMUNITIES length 3 (RFC 7606 7.8)'; }
@test "malformed: COMMUNITIES length 0 (RFC 7606 7.8)" { table_case 'COMMUNITIES length 0 (RFC 7606 7.8)'; }
@test "malformed: EXTENDED_COMMUNITIES length 7 (RFC 7606 7.14)" { table_case 'EXTENDED_COMMUNITIES length 7 (RFC 7606 7.14)'; }
@test "malformed: EXTENDED_COMMUNITIES length 0 (RFC 7606 7.14)" { table_case 'EXTENDED_COMMUNITIES length 0 (RFC 7606 7.14)'; }
@test "malformed: EXTENDED_COMMUNITIES with the transitive flag clear (RFC 7606 3 c)" { table_case 'EXTENDED_COMMUNITIES with the transitive flag clear (RFC 7606 3 c)'; }
@test "malformed: LARGE_COMMUNITIES length 8 (RFC 8092 6)" { table_case 'LARGE_COMMUNITIES length 8 (RFC 8092 6)'; }
@test "malformed: ORIGINATOR_ID length 3 (RFC 7606 7.9)" { table_case 'ORIGINATOR_ID length 3 (RFC 7606 7.9)'; }
@test "malformed: CLUSTER_LIST length 5 (RFC 7606 7.10)" { table_case 'CLUSTER_LIST length 5 (RFC 7606 7.10)'; }
@test "malformed: missing ORIGIN (RFC 7606 3 d)" { table_case 'missing ORIGIN (RFC 7606 3 d)'; }
@test "malformed: missing AS_PATH (RFC 7606 3 d)" { table_case 'missing AS_PATH (RFC 7606 3 d)'; }
@test "malformed: missing NEXT_HOP (RFC 7606 3 d)" { table_case 'missing NEXT_HOP (RFC 7606 3 d)'; }
@test "malformed: missing LOCAL_PREF from an internal peer (RFC 7606 3 d)" { table_case 'missing LOCAL_PREF from an internal peer (RFC 7606 3 d)'; }
@test "malformed: duplicate COMMUNITIES: the first is kept (RFC 7606 3 g)" { table_case 'duplicate COMMUNITIES: the first is kept (RFC 7606 3 g)'; }
@test "malformed: attribute length overruns the attribute block (RFC 7606 4)" { table_case 'attribute length overruns the attribute block (RFC 7606 4)'; }
@test "malformed: unknown optional attribute is ignored (RFC 4271 5)" { table_case 'unknown optional attribute is ignored (RFC 4271 5)'; }
@test "malformed: unknown well-known attribute (RFC 4271 6.3)" { table_case 'unknown well-known attribute (RFC 4271 6.3)'; }
@test "malformed: MP_REACH_NLRI twice (RFC 7606 3 g)" { table_case 'MP_REACH_NLRI twice (RFC 7606 3 g)'; }
@test "malformed: truncated MP_REACH_NLRI next hop (RFC 7606 7.11)" { table_case 'truncated MP_REACH_NLRI next hop (RFC 7606 7.11)'; }
@test "malformed: MP_REACH_NLRI prefix length 129 (RFC 7606 5.3)" { table_case 'MP_REACH_NLRI prefix length 129 (RFC 7606 5.3)'; }
@test "malformed: MP_UNREACH_NLRI prefix length 200 (RFC 7606 5.3)" { table_case 'MP_UNREACH_NLRI prefix length 200 (RFC 7606 5.3)'; }
@test "malformed: NLRI prefix length 33 (RFC 7606 5.3)" { table_case 'NLRI prefix length 33 (RFC 7606 5.3)'; }
@test "malformed: withdrawn prefix length 40 (RFC 7606 5.3)" { table_case 'withdrawn prefix length 40 (RFC 7606 5.3)'; }
@test "malformed: withdrawn routes length exceeds the message (RFC 4271 6.3)" { table_case 'withdrawn routes length exceeds the message (RFC 4271 6.3)'; }
@test "malformed: total attribute length exceeds the message (RFC 4271 6.3)" { table_case 'total attribute length exceeds the message (RFC 4271 6.3)'; }
@test "malformed: bad marker (RFC 4271 6.1)" { table_case 'bad marker (RFC 4271 6.1)'; }
@test "malformed: message length 18 (RFC 4271 6.1)" { table_case 'message length 18 (RFC 4271 6.1)'; }
@test "malformed: unknown message type 9 (RFC 4271 6.1)" { table_case 'unknown message type 9 (RFC 4271 6.1)'; }
@test "malformed: KEEPALIVE of length 20 (RFC 4271 6.1)" { table_case 'KEEPALIVE of length 20 (RFC 4271 6.1)'; }

@test "duplicate COMMUNITIES keep the first; a discarded ATOMIC_AGGREGATE is absent" {
	need_root
	netns_init
	netns_add raw > /dev/null
	NS=$(netns_name raw)
	run_case "U||\$O \$A \$N \$L c0 08 04 00 00 00 05 c0 08 04 00 00 00 06|\$P"
	run jq -c 'select(.prefix == "198.18.200.0/24") | .communities' "$T/case.jsonl"
	assert_output '["0:1"]
["0:5"]'
	run_case "U||\$O \$A \$N \$L 40 06 01 00|\$P"
	run jq -c 'select(.prefix == "198.18.200.0/24") | .atomic // false' "$T/case.jsonl"
	assert_output 'false
false'
	grep -q "ATOMIC_AGGREGATE (type 6): attribute discarded; bytes: 40 06 01 00" "$T/case.err"
}

# both_ways NAME JSON STEP [RAWPEER-FLAGS]: a speaker announcing the route
# record JSON to the raw peer, which sends STEP; learned records in
# $T/NAME.rec (log $T/NAME.err), the peer's view of our UPDATEs in $T/out
both_ways() {
	local name=$1 json=$2 step=$3; shift 3
	need_root
	netns_init
	netns_add raw > /dev/null
	NS=$(netns_name raw)
	echo "$json" | rec-json -r > "$T/in.rec"
	ip netns exec "$NS" bgp-speaker --local-as 65000 --router-id 198.18.0.2 \
		--listen 127.0.0.1:1179 --neighbor 127.0.0.1 -r "$T/in.rec" > "$T/$name.rec" 2> "$T/$name.err" &
	local spk=$!
	netns_track_pid "$spk"
	echo "$step" > "$T/s"
	ip netns exec "$NS" bgp-rawpeer "$@" -u -w 700 127.0.0.1 1179 < "$T/s" > "$T/out"
	kill -TERM "$spk"; wait "$spk" || true
}

@test "extended communities (RFC 4360): learned into records, shown by rec-json, announced from records" {
	# ours: route target 65001:100 and 0x8006 (traffic-rate 0); the peer's:
	# route target 65001:100 and a 4-byte-AS route target 4200000001:7
	both_ways ec '{"type":"route","op":"add","prefix":"198.18.50.0/24","nexthop":"198.18.0.2","extcommunities":["0x0002fde900000064","0x8006000000000000"]}' \
		"U||$O $A $N $L c0 10 10 00 02 fd e9 00 00 00 64 02 02 fa 56 ea 01 00 07|$P"
	run jq -c 'select(.type == "route") | .extcommunities' <(rec-json < "$T/ec.rec")
	assert_output '["0x0002fde900000064","0x0202fa56ea010007"]'
	grep -q "^update .*c0 10 10 00 02 fd e9 00 00 00 64 80 06 00 00 00 00 00 00" "$T/out" || fail "$(cat "$T/out")"
	# and back: rec-json -r of what rec-json printed gives the same bytes
	rec-json < "$T/ec.rec" | rec-json -r | cmp - "$T/ec.rec"
}

@test "a 2-byte-AS peer: AS4_PATH merged when learning, AS_TRANS + AS4_PATH when announcing (RFC 6793)" {
	both_ways as2 '{"type":"route","op":"add","prefix":"198.18.50.0/24","nexthop":"198.18.0.2","aspath":[4200000001],"aggas":4200000002,"aggid":"198.18.0.7"}' \
		"U||$O 40 02 06 02 02 5b a0 fd e9 $N $L c0 11 0a 02 02 fa 56 ea 01 00 00 fd e9|$P" -2
	run jq -c 'select(.type == "route") | .aspath' <(rec-json < "$T/as2.rec")
	assert_output '[4200000001,65001]'
	# our UPDATE: AS_PATH with AS_TRANS, AS4_PATH with the real AS, AGGREGATOR likewise
	grep -q "^update .*40 02 04 02 01 5b a0 " "$T/out" || fail "$(cat "$T/out")"
	grep -q "^update .*c0 11 06 02 01 fa 56 ea 01 " "$T/out"
	grep -q "^update .*c0 07 06 5b a0 c6 12 00 07 c0 12 08 fa 56 ea 02 c6 12 00 07" "$T/out"
}

# two connections from the neighbor: the second replaces the first only when
# the first session advertised graceful restart (RFC 4724 4.2); otherwise the
# Established session wins (RFC 4271 6.8) and the newcomer gets a Cease 7
second_connection() {
	local flag=$1
	netns_add raw > /dev/null
	NS=$(netns_name raw)
	ip netns exec "$NS" bgp-speaker --local-as 65000 --router-id 198.18.0.2 \
		--listen 127.0.0.1:1179 --neighbor 127.0.0.1 -r none > "$T/c.rec" 2> "$T/c.err" &
	local spk=$!
	netns_track_pid "$spk"
	printf 'U||%s %s %s %s|%s\nS|1500\n' "$O" "$A" "$N" "$L" "$P" > "$T/one"
	printf 'U||%s %s %s %s|%s\n' "$O" "$A" "$N" "$L" "$Q" > "$T/two"
	ip netns exec "$NS" bgp-rawpeer $flag -w 1000 127.0.0.1 1179 < "$T/one" > "$T/one.out" &
	local first=$!
	sleep 0.7
	ip netns exec "$NS" bgp-rawpeer $flag -i 198.18.0.11 -w 500 127.0.0.1 1179 < "$T/two" > "$T/two.out" || true
	wait "$first" || true
	kill -TERM "$spk"; wait "$spk" || true
	rec-json < "$T/c.rec" > "$T/c.jsonl"
}

@test "collision: an Established session refuses a second connection (no graceful restart)" {
	need_root
	netns_init
	second_connection ""
	cat "$T/two.out"
	grep -qx "notification 6 7" "$T/two.out" || fail "second: $(cat "$T/two.out")"
	! grep -q "notification" "$T/one.out" || fail "first: $(cat "$T/one.out")"
	grep -q '"prefix":"198.18.200.0/24"' "$T/c.jsonl"
	! grep -q '"prefix":"198.18.201.0/24"' "$T/c.jsonl"
}

@test "graceful restart helper: a restarting peer's new connection replaces the old session" {
	need_root
	netns_init
	second_connection -g
	grep -qx "notification 6 7" "$T/one.out" || fail "first: $(cat "$T/one.out") $(cat "$T/c.err")"
	! grep -q "notification" "$T/two.out" || fail "second: $(cat "$T/two.out")"
	run jq -r 'select(.type != "route") | .type + " " + (.state // .phase)' "$T/c.jsonl"
	assert_output "peer up
sync begin
peer down
peer up
sync begin
peer down"
	grep -q '"prefix":"198.18.201.0/24"' "$T/c.jsonl"
}

@test "graceful restart helper: a new connection from a peer that kept its forwarding state: no peer down" {
	need_root
	netns_init
	second_connection "-G 30"
	grep -qx "notification 6 7" "$T/one.out" || fail "first: $(cat "$T/one.out") $(cat "$T/c.err")"
	run jq -r 'select(.type != "route") | .type + " " + (.state // .phase)' "$T/c.jsonl"
	assert_output "peer up
sync begin
peer up
sync begin
peer down"
}

# collide RAWPEER-ID: bgp-speaker (id 198.18.0.2) both listens and connects;
# the raw peer accepts its connection, then opens its own: the OPENs decide
collide() {
	netns_add raw > /dev/null
	NS=$(netns_name raw)
	ip netns exec "$NS" bgp-speaker --local-as 65000 --router-id 198.18.0.2 \
		--listen 127.0.0.1:1179 --connect 127.0.0.1:1180 --connect-retry 1 -r none > "$T/c.rec" 2> "$T/c.err" &
	local spk=$!
	netns_track_pid "$spk"
	ip netns exec "$NS" bgp-rawpeer -i "$1" -L 1180 -w 800 127.0.0.1 1179 > "$T/col.out" < /dev/null ||
		fail "raw peer: $(cat "$T/col.out" "$T/c.err")"
	kill -TERM "$spk"; wait "$spk" || true
	rec-json < "$T/c.rec" > "$T/c.jsonl"
}

@test "collision (RFC 4271 6.8): --listen with --connect; a higher neighbor identifier keeps the neighbor's connection" {
	need_root
	netns_init
	collide 198.18.0.10
	run cat "$T/col.out"
	assert_output "out notification 6 7
out closed
in established"
	grep -q "connection collision" "$T/c.err"
	[ "$(jq -c 'select(.type == "peer" and .state == "up")' "$T/c.jsonl" | wc -l)" = 1 ]
}

@test "collision (RFC 4271 6.8): a lower neighbor identifier keeps our connection" {
	need_root
	netns_init
	collide 198.18.0.1
	run cat "$T/col.out"
	assert_output "in notification 6 7
out established
in closed"
	[ "$(jq -c 'select(.type == "peer" and .state == "up")' "$T/c.jsonl" | wc -l)" = 1 ]
}

# gr_speaker: bgp-speaker on 127.0.0.1 in a fresh namespace, for the raw peer
# (--eor-hold 0: End-of-RIB taken as the end, as here; t335 tests the hold)
gr_speaker() {
	netns_add raw > /dev/null
	NS=$(netns_name raw)
	ip netns exec "$NS" bgp-speaker --local-as 65000 --router-id 198.18.0.2 --eor-timeout 1 --eor-hold 0 \
		--listen 127.0.0.1:1179 --neighbor 127.0.0.1 -r none > "$T/c.rec" 2> "$T/c.err" &
	SPK=$!
	netns_track_pid "$SPK"
}

@test "graceful restart helper: a lost session keeps the routes; the restart time over, they go (RFC 4724 4.2)" {
	need_root
	netns_init
	gr_speaker
	printf 'U||%s %s %s %s|%s\n' "$O" "$A" "$N" "$L" "$P" > "$T/one"
	# -G 2: restart time 2 s, forwarding state kept; the peer then just
	# goes (TCP closed, no NOTIFICATION)
	ip netns exec "$NS" bgp-rawpeer -G 2 -w 300 127.0.0.1 1179 < "$T/one" > /dev/null
	wait_for 2 grep -q "graceful restart (connection closed by peer): its routes kept for up to 2 s" "$T/c.err" ||
		fail "$(cat "$T/c.err")"
	run framing "$T/c.rec"
	assert_output "peer up
sync begin"
	wait_for 5 bash -c "rec-json < '$T/c.rec' | grep -q '\"phase\":\"end\"'" || fail "$(cat "$T/c.err")"
	kill -TERM "$SPK"; wait "$SPK" || true
	run framing "$T/c.rec"
	assert_output "peer up
sync begin
peer down
sync begin
sync end"
	rec-json < "$T/c.rec" | grep -q '"reason":"restart time expired"'
}

@test "graceful restart helper: the peer back in time; what it does not announce again goes at its End-of-RIB" {
	need_root
	netns_init
	gr_speaker
	printf 'U||%s %s %s %s|%s %s\n' "$O" "$A" "$N" "$L" "$P" "$Q" > "$T/one"
	# then End-of-RIB for IPv4 and IPv6
	printf 'U||%s %s %s %s|%s\nS|200\nU|||\nU||80 0f 03 00 02 01|\n' "$O" "$A" "$N" "$L" "$P" > "$T/two"
	ip netns exec "$NS" bgp-rawpeer -G 30 -w 300 127.0.0.1 1179 < "$T/one" > /dev/null
	sleep 0.3
	ip netns exec "$NS" bgp-rawpeer -G 30 -w 300 127.0.0.1 1179 < "$T/two" > /dev/null
	sleep 0.3
	kill -TERM "$SPK"; wait "$SPK" || true
	run framing "$T/c.rec"
	# no peer down while it restarted: the second table, complete at its
	# End-of-RIB, replaces the first (a reader's mark and sweep drops
	# 198.18.201.0/24); the down at the end is the second session's
	assert_output "peer up
sync begin
peer up
sync begin
sync end
peer down"
	rec-json < "$T/c.rec" | awk '/"phase":"begin"/ {n++} n == 2 && /"op":"add"/' > "$T/second"
	grep -q '"198.18.200.0/24"' "$T/second"
	! grep -q '"198.18.201.0/24"' "$T/second"
	grep -q "graceful restart: back, stale routes replaced at End-of-RIB" "$T/c.err"
}

@test "hold time 0 negotiated: no keepalives, no hold timer (RFC 4271 4.2)" {
	need_root
	netns_init
	netns_add raw > /dev/null
	NS=$(netns_name raw)
	ip netns exec "$NS" bgp-speaker --local-as 65000 --router-id 198.18.0.2 --hold-time 0 \
		--listen 127.0.0.1:1179 --neighbor 127.0.0.1 -r none > "$T/c.rec" 2> "$T/c.err" &
	local spk=$!
	netns_track_pid "$spk"
	# the raw peer offers 30 s, we 0: the smaller wins; it then sends one
	# UPDATE and nothing for 2 s (a table coming in would get a KEEPALIVE
	# after 1 s of quiet were the hold time not 0)
	printf 'U||%s %s %s %s|%s\n' "$O" "$A" "$N" "$L" "$P" > "$T/one"
	ip netns exec "$NS" bgp-rawpeer -k -w 1200 127.0.0.1 1179 < "$T/one" > "$T/one.out"
	kill -TERM "$spk"; wait "$spk" || true
	run cat "$T/one.out"
	assert_output "keepalives 0
open"
	[ "$(rec-json < "$T/c.rec" | jq -c 'select(.type == "peer" and .state == "up" and .hold == 0)' | wc -l)" = 1 ]
	! grep -q "hold timer" "$T/c.err"
}

@test "output reopened, the peer has route refresh but not enhanced: a plain ROUTE-REFRESH, the table ends when quiet" {
	need_root
	netns_init
	netns_add raw > /dev/null
	NS=$(netns_name raw)
	mkfifo "$T/out.fifo"
	ip netns exec "$NS" bgp-speaker --local-as 65000 --router-id 198.18.0.2 --eor-timeout 1 \
		--listen 127.0.0.1:1179 --neighbor 127.0.0.1 -r none -o "$T/out.fifo" 2> "$T/c.err" &
	netns_track_pid $!
	cat "$T/out.fifo" > "$T/one.rec" &
	local r1=$!
	# the route, and again (as a peer answering the refresh would) after
	# the reader was replaced; an End-of-RIB in between must not end the
	# new table: after a plain refresh it is not the refresh's end
	printf 'U||%s %s %s %s|%s\nS|2500\nU|||\nU||%s %s %s %s|%s\n' "$O" "$A" "$N" "$L" "$P" \
		"$O" "$A" "$N" "$L" "$P" > "$T/one"
	ip netns exec "$NS" bgp-rawpeer -w 1500 127.0.0.1 1179 < "$T/one" > "$T/one.out" &
	local peer=$!
	wait_for 5 rec_has_end "$T/one.rec" || fail "$(cat "$T/c.err")"
	kill "$r1"; wait "$r1" || true
	wait_for 5 grep -q "reopening" "$T/c.err" || fail "$(cat "$T/c.err")"
	cat "$T/out.fifo" > "$T/two.rec" &
	netns_track_pid $!
	wait "$peer"
	wait_for 5 rec_has_end "$T/two.rec" || fail "$(cat "$T/c.err")"
	grep -qx "route-refresh 1 0" "$T/one.out"
	grep -qx "route-refresh 2 0" "$T/one.out"
	grep -q "route refresh sent$" "$T/c.err"
	[ "$(grep -c "complete table delivered (timeout): 1 routes" "$T/c.err")" = 2 ]
	run framing "$T/two.rec"
	assert_output "peer up
sync begin
sync end
peer down"
	grep -q '"198.18.200.0/24"' <(rec-json < "$T/two.rec")
}
