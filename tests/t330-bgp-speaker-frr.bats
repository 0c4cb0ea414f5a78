#!/usr/bin/env bats
# bgp-speaker with FRR (Debian frr: bgpd and zebra started by hand in the
# peer's namespace): FRR reflects a table to the learn session, receives
# routes from announce sessions (iBGP and eBGP), and restarts.

load lib/common
load lib/netns
source "$TESTS_DIR/tools/peers-lab.bash"

teardown() { peers_cleanup; }

# frr_conf FILE [N4] [N6] [EXTRA]: AS 65000, router id 198.18.0.1; the learn
# session to [2001:db8::2]:1179 as a route-reflector client; N4 IPv4 and
# N6 IPv6 networks of its own with varied attributes (four route-maps), an
# aggregate with an AS_SET; EXTRA lines inside router bgp
frr_conf() {
	local f=$1 n4=${2:-40} n6=${3:-8} extra=${4:-} i
	{
		echo "frr defaults traditional"
		echo "hostname frr-lab"
		echo "log file @FRR_DIR@/bgpd.log"
		echo "route-map RM0 permit 10"
		echo " set metric 10"
		echo " set local-preference 200"
		echo " set community 65000:1 65000:100"
		echo " set large-community 65000:0:1"
		echo " set as-path prepend 64512 4200000001"
		echo " set origin egp"
		echo "route-map RM1 permit 10"
		echo " set metric 20"
		echo " set community 65000:2"
		echo " set as-path prepend 4200000002"
		echo "route-map RM2 permit 10"
		echo " set large-community 4200000000:1:2 4200000000:3:4"
		echo " set origin incomplete"
		echo "route-map RM3 permit 10"
		echo "route-map AS1 permit 10"
		echo " set as-path prepend 64601"
		echo "route-map AS2 permit 10"
		echo " set as-path prepend 64602 64603"
		echo "router bgp 65000"
		echo " bgp router-id $BIRD_A4"
		echo " no bgp ebgp-requires-policy"
		echo " no bgp network import-check"
		echo " no bgp default ipv4-unicast"
		echo " bgp cluster-id $BIRD_A4"
		echo " neighbor $SPK_A6 remote-as 65000"
		echo " neighbor $SPK_A6 port 1179"
		echo " neighbor $SPK_A6 timers 3 9"
		echo " neighbor $SPK_A6 timers connect 1"
		printf '%s\n' "$extra"
		echo " address-family ipv4 unicast"
		for ((i = 0; i < n4; i++)); do echo "  network 10.20.$i.0/24 route-map RM$((i % 4))"; done
		echo "  network 10.30.1.0/24 route-map AS1"
		echo "  network 10.30.2.0/24 route-map AS2"
		echo "  aggregate-address 10.30.0.0/16 as-set"
		echo "  neighbor $SPK_A6 activate"
		echo "  neighbor $SPK_A6 route-reflector-client"
		echo " exit-address-family"
		echo " address-family ipv6 unicast"
		for ((i = 0; i < n6; i++)); do printf '  network 2001:db8:%x::/48 route-map RM%d\n' $((0x2000 + i)) $((i % 4)); done
		echo "  neighbor $SPK_A6 activate"
		echo "  neighbor $SPK_A6 route-reflector-client"
		echo " exit-address-family"
	} > "$f"
}

@test "FRR reflects a table: every field as show bgp json has it; withdrawals" {
	peers_setup
	frr_conf "$T/frr.conf"
	frr_start "$T/frr.conf"
	learn_bg learn
	wait_for 20 rec_has_end "$T/learn.rec" || fail "$(cat "$T/learn.err" "$T/frr-bgpd.out")"
	frr_table_norm > "$T/frr.table"
	rec_full_norm "$T/learn.rec" > "$T/ours.table"
	# 40 + 3 IPv4 (the aggregate with AS_SET {64601,64602,64603}), 8 IPv6
	[ "$(wc -l < "$T/frr.table")" = 51 ] || fail "$(cat "$T/frr.table")"
	diff -u "$T/frr.table" "$T/ours.table" || fail "tables differ"
	grep -q '^10.30.0.0/16|198.18.0.1|-|{64601,64602,64603}|igp|' "$T/ours.table"
	grep -q '^2001:db8:2000::/48|2001:db8::1|fe80::' "$T/ours.table"
	# withdrawals: two networks gone, one of each family
	frr_conf_bgp 'address-family ipv4 unicast' 'no network 10.20.5.0/24' 'exit-address-family' \
		'address-family ipv6 unicast' 'no network 2001:db8:2001::/48'
	wait_for 10 bash -c "rec-json < '$T/learn.rec' | grep -c '\"op\":\"del\"' | grep -qx 2" ||
		fail "$(rec-json < "$T/learn.rec" | grep '"del"')"
	rec-json < "$T/learn.rec" | grep '"op":"del"' | jq -r .prefix | sort > "$T/dels"
	printf '10.20.5.0/24\n2001:db8:2001::/48\n' | diff -u - "$T/dels"
	frr_table_norm > "$T/frr.table"
	rec_full_norm "$T/learn.rec" > "$T/ours.table"
	diff -u "$T/frr.table" "$T/ours.table"
	[ "$(wc -l < "$T/ours.table")" = 49 ]
}

# records for an announce session: the FRR peer's view of them is checked
ann_routes() {
	local nh=$1 tag=$2 i
	echo '{"type":"sync","phase":"begin"}'
	for ((i = 0; i < 10; i++)); do
		echo "{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"198.19.$tag.$((i * 16))/28\",\"nexthop\":\"$nh\",\"aspath\":[4200000009,65009],\"origin\":\"igp\",\"med\":$((i * 5)),\"localpref\":250,\"communities\":[\"65000:$i\"],\"lcommunities\":[\"4200000000:$tag:$i\"]}"
	done
	echo '{"type":"sync","phase":"end"}'
}

@test "FRR receives announced routes over iBGP and eBGP: attributes, half withdrawn, route refresh" {
	peers_setup
	local extra=" neighbor $ANN_I4 remote-as 65000
 neighbor $ANN_I4 port 1179
 neighbor $ANN_I4 timers connect 1
 neighbor $ANN_E4 remote-as 65100
 neighbor $ANN_E4 port 1179
 neighbor $ANN_E4 timers connect 1
 address-family ipv4 unicast
  neighbor $ANN_I4 activate
  neighbor $ANN_E4 activate
 exit-address-family"
	frr_conf "$T/frr.conf" 2 0 "$extra"
	announce_bg ibgp "$ANN_I4" 65000
	announce_bg ebgp "$ANN_E4" 65100
	exec 7> "$T/ibgp.in" 8> "$T/ebgp.in"
	frr_start "$T/frr.conf"
	ann_routes "$ANN_I4" 1 | rec-json -r >&7
	ann_routes "$ANN_E4" 2 | rec-json -r >&8
	wait_for 20 bash -c "[ \$(vtysh --vty_socket $FRR_DIR -c 'show bgp ipv4 unicast json' | jq '[.routes | keys[] | select(startswith(\"198.19.\"))] | length') = 20 ]" ||
		fail "$(vtysh_ -c 'show bgp summary'; cat "$T/ibgp.err" "$T/ebgp.err")"
	# iBGP: as sent, local pref kept; eBGP: our AS first, no local pref
	# (RFC 4271 5.1.5), MED kept toward the neighboring AS (FRR shows no local pref)
	run frr_received "$ANN_I4" ipv4
	assert_line --index 0 "198.19.1.0/28|198.18.0.3|4200000009 65009|igp|0|250|65000:0|4200000000:1:0"
	assert_line --index 9 "198.19.1.96/28|198.18.0.3|4200000009 65009|igp|30|250|65000:6|4200000000:1:6"
	[ "${#lines[@]}" = 10 ]
	run frr_received "$ANN_E4" ipv4
	assert_line --index 0 "198.19.2.0/28|198.18.0.4|65100 4200000009 65009|igp|0|-|65000:0|4200000000:2:0"
	[ "${#lines[@]}" = 10 ]
	# half withdrawn on each
	for i in 0 1 2 3 4; do
		echo "{\"type\":\"route\",\"op\":\"del\",\"prefix\":\"198.19.1.$((i * 16))/28\"}" | rec-json -r >&7
		echo "{\"type\":\"route\",\"op\":\"del\",\"prefix\":\"198.19.2.$((i * 16))/28\"}" | rec-json -r >&8
	done
	wait_for 10 bash -c "[ \$(vtysh --vty_socket $FRR_DIR -c 'show bgp ipv4 unicast json' | jq '[.routes | keys[] | select(startswith(\"198.19.\"))] | length') = 10 ]" ||
		fail "$(vtysh_ -c 'show bgp ipv4 unicast')"
	run frr_received "$ANN_I4" ipv4
	[ "${#lines[@]}" = 5 ]
	assert_line --index 0 --partial "198.19.1.112/28|198.18.0.3|"
	# route refresh: FRR asks, the speaker sends its Adj-RIB-Out again
	vtysh_ -c "clear bgp ipv4 unicast $ANN_E4 soft in"
	wait_for 10 grep -q "route refresh for IPv4 requested" "$T/ebgp.err" || fail "$(cat "$T/ebgp.err")"
	sleep 0.5
	run frr_received "$ANN_E4" ipv4
	[ "${#lines[@]}" = 5 ]
	exec 7>&- 8>&-
}

@test "FRR restarted: its early End-of-RIB sweeps nothing; the table complete again" {
	plain_build_only "waits on FRR's restart and connect timers"
	peers_setup
	# FRR's table comes from a feed (an announce speaker, 300 routes) besides its own networks
	local extra=" neighbor $ANN_I4 remote-as 65000
 neighbor $ANN_I4 port 1179
 neighbor $ANN_I4 timers connect 1
 address-family ipv4 unicast
  neighbor $ANN_I4 activate
  neighbor $SPK_A6 route-reflector-client
 exit-address-family"
	frr_conf "$T/frr.conf" 4 2 "$extra"
	{
		echo '{"type":"sync","phase":"begin"}'
		for ((i = 0; i < 300; i++)); do
			echo "{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"198.19.$((i / 16)).$((i % 16 * 16))/28\",\"nexthop\":\"$ANN_I4\",\"aspath\":[65009]}"
		done
		echo '{"type":"sync","phase":"end"}'
	} | rec-json -r > "$T/feed.rec"
	frr_start "$T/frr.conf"
	learn_bg learn
	ip netns exec "$NS_S" bgp-speaker --local-as 65000 --router-id "$ANN_I4" --listen "$ANN_I4:1179" \
		--neighbor "$BIRD_A4" --hold-time 9 -r "$T/feed.rec" > /dev/null 2> "$T/feed.err" &
	local feed=$!
	netns_track_pid "$feed"
	wait_for 20 bash -c "[ \$(rec-json < '$T/learn.rec' | grep -c '\"op\":\"add\"') -ge 307 ]" ||
		fail "$(cat "$T/learn.err" "$T/feed.err")"
	# the feed goes too: FRR back has its own 7 routes at first, the feed
	# comes 3 s after it
	kill -TERM "$feed"; wait "$feed" || true
	frr_restart_bgpd 0.5
	wait_for 15 grep -q "End-of-RIB with .* routes from before not sent again" "$T/learn.err" ||
		fail "$(cat "$T/learn.err")"
	sleep 3
	ip netns exec "$NS_S" bgp-speaker --local-as 65000 --router-id "$ANN_I4" --listen "$ANN_I4:1179" \
		--neighbor "$BIRD_A4" --hold-time 9 -r "$T/feed.rec" > /dev/null 2> "$T/feed2.err" &
	netns_track_pid $!
	wait_for 20 rec_has_end "$T/learn.rec" 2 || fail "$(cat "$T/learn.err")"
	# in the second table, every route arrived before its sync end: none swept
	rec-json < "$T/learn.rec" | awk '/"phase":"begin"/ {n++} n == 2 && /"op":"add"/ {a++} n == 2 && /"phase":"end"/ {print a; exit}' > "$T/n"
	[ "$(cat "$T/n")" -ge 307 ] || fail "$(cat "$T/n") routes at the sync end; $(cat "$T/learn.err")"
	grep -q "complete table delivered (End-of-RIB, then the rest of the table)" "$T/learn.err"
	frr_table_norm > "$T/frr.table"
	rec_full_norm "$T/learn.rec" > "$T/ours.table"
	diff -u "$T/frr.table" "$T/ours.table"
}
