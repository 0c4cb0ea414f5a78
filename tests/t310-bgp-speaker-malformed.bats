#!/usr/bin/env bats
# bgp-speaker: malformed UPDATEs from a raw-bytes peer get RFC 7606 handling.

load lib/common
load lib/netns

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
# $T/case.rec, $T/case.err, $T/case.out
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
	ip netns exec "$NS" bgp-rawpeer -w 500 127.0.0.1 1179 < "$T/case.script" > "$T/case.out"
	kill -TERM "$spk"
	wait "$spk" || true
	rec-json < "$T/case.rec" > "$T/case.jsonl"
}

@test "malformed UPDATE table: RFC 7606 treat-as-withdraw, attribute discard, session reset" {
	need_root
	netns_init
	netns_add raw > /dev/null
	NS=$(netns_name raw)
	local name expect step n=0 bad=0 msgs=""
	while IFS=';' read -r name expect step; do
		case "$name" in ''|'#'*) continue ;; esac
		n=$((n + 1))
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
		esac
		grep -q "runtime error\|AddressSanitizer" "$T/case.err" && why="$why; sanitizer report"
		if [ -n "$why" ]; then
			bad=$((bad + 1))
			msgs="$msgs
$name: $why"
		fi
	done < "$TESTS_DIR/tools/bgp-malformed.table"
	echo "$n cases, $bad failed$msgs" >&3
	[ "$n" -ge 20 ]
	[ "$bad" = 0 ] || fail "$msgs"
}

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

@test "a 2-byte-AS peer: AS4_PATH merged when learning, AS_TRANS + AS4_PATH when announcing (RFC 6793)" {
	need_root
	netns_init
	netns_add raw > /dev/null
	NS=$(netns_name raw)
	echo '{"type":"route","op":"add","prefix":"198.18.50.0/24","nexthop":"198.18.0.2","aspath":[4200000001],"aggas":4200000002,"aggid":"198.18.0.7"}' |
		rec-json -r > "$T/in.rec"
	ip netns exec "$NS" bgp-speaker --local-as 65000 --router-id 198.18.0.2 \
		--listen 127.0.0.1:1179 --neighbor 127.0.0.1 -r "$T/in.rec" > "$T/as2.rec" 2> "$T/as2.err" &
	local spk=$!
	netns_track_pid "$spk"
	echo "U||$O 40 02 06 02 02 5b a0 fd e9 $N $L c0 11 0a 02 02 fa 56 ea 01 00 00 fd e9|$P" > "$T/s"
	ip netns exec "$NS" bgp-rawpeer -2 -u -w 700 127.0.0.1 1179 < "$T/s" > "$T/out"
	kill -TERM "$spk"; wait "$spk" || true
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
