#!/usr/bin/env bats
# bgp-speaker with OpenBGPD (Debian openbgpd, bgpd -d -f CONF in the peer's
# namespace, bgpctl on its own socket): announce sessions (iBGP and eBGP)
# feed it, it reflects its table to the learn session.

load lib/common
load lib/netns
source "$TESTS_DIR/tools/peers-lab.bash"

teardown() { peers_cleanup; }

# obgpd_conf FILE: AS 65000; the learn session to 198.18.0.2:1179 (route
# reflector client, both families, its own next hops of each family), an
# iBGP feed from 198.18.0.3:1179 and an eBGP one (AS 65100) from 198.18.0.4:1179
obgpd_conf() {
	cat > "$1" <<CONF
AS 65000
router-id $BIRD_A4
socket "$T/obgpd.sock"
listen on $BIRD_A4
fib-update no
connect-retry 1
network 10.40.0.0/24 set { med 10 localpref 200 community 65000:1 large-community 65000:0:1 }
# (its own IPv6 route over an IPv4 session would go with next hop ::1)
network 2001:db8:4000::/48 set { community 65000:6 nexthop $BIRD_A6 }
neighbor $SPK_A4 {
	remote-as 65000
	port 1179
	route-reflector
	holdtime 9
	local-address $BIRD_A4
	local-address $BIRD_A6
	announce IPv4 unicast
	announce IPv6 unicast
}
neighbor $ANN_I4 {
	remote-as 65000
	port 1179
	holdtime 9
	announce IPv4 unicast
	announce IPv6 unicast
}
neighbor $ANN_E4 {
	remote-as 65100
	port 1179
	holdtime 9
}
allow from any
allow to any
CONF
}

# feed_routes TAG NEXTHOP: 12 IPv4 routes 198.19.TAG.16i/28 with varied
# attributes (4-byte ASNs, an AS_SET, MED, local pref, communities, large
# communities, origins); TAG 1 also 4 IPv6 routes
feed_routes() {
	local tag=$1 nh=$2 i path origin
	for ((i = 0; i < 12; i++)); do
		case $((i % 3)) in
		0) path='[4200000009,65009]' origin=igp ;;
		1) path='[65010,[64701,64702]]' origin=egp ;;
		2) path='[4200000011]' origin=incomplete ;;
		esac
		echo "{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"198.19.$tag.$((i * 16))/28\",\"nexthop\":\"$nh\",\"aspath\":$path,\"origin\":\"$origin\",\"med\":$((i * 5)),\"localpref\":$((100 + i)),\"communities\":[\"65000:$i\",\"65001:7\"],\"lcommunities\":[\"4200000000:$tag:$i\"]}"
	done
	if [ "$tag" = 1 ]; then
		for ((i = 0; i < 4; i++)); do
			echo "{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"2001:db8:41$i::/48\",\"nexthop\":\"$SPK_A6\",\"aspath\":[65009],\"med\":$i,\"communities\":[\"65000:$i\"]}"
		done
	fi
}

# obgpd_count JQ-SELECT: how many best routes OpenBGPD holds that match
obgpd_count() { bgpctl_ -j show rib detail | jq "[.rib[] | select(.best) | $1] | length"; }

@test "OpenBGPD: fed over iBGP and eBGP, attributes as sent; its table reflected, field by field; half withdrawn; route refresh" {
	peers_setup
	obgpd_conf "$T/obgpd.conf"
	announce_bg ibgp "$ANN_I4" 65000
	announce_bg ebgp "$ANN_E4" 65100
	exec 7> "$T/ibgp.in" 8> "$T/ebgp.in"
	{ echo '{"type":"sync","phase":"begin"}'; feed_routes 1 "$ANN_I4"; echo '{"type":"sync","phase":"end"}'; } | rec-json -r >&7
	{ echo '{"type":"sync","phase":"begin"}'; feed_routes 2 "$ANN_E4"; echo '{"type":"sync","phase":"end"}'; } | rec-json -r >&8
	ip netns exec "$NS_S" bgp-speaker --local-as 65000 --router-id "$SPK_A4" --listen "$SPK_A4:1179" \
		--neighbor "$BIRD_A4" --hold-time 9 -r none > "$T/learn.rec" 2> "$T/learn.err" &
	netns_track_pid $!
	obgpd_start "$T/obgpd.conf"
	# 2 of its own + 16 iBGP + 12 eBGP
	wait_for 20 bash -c "[ \$(bgpctl -s $OBGPD_SOCK -j show rib detail | jq '[.rib[] | select(.best)] | length') = 30 ]" ||
		fail "$(bgpctl_ show; bgpctl_ show rib; cat "$T/ibgp.err" "$T/obgpd.log")"
	# received as sent: iBGP with local pref, eBGP with the neighbor's AS first
	run obgpd_rib neighbor "$ANN_I4"
	assert_line "198.19.1.16/28|198.18.0.3|-|65010 {64701,64702}|egp|5|101|65000:1 65001:7|4200000000:1:1|-|-"
	assert_line "198.19.1.32/28|198.18.0.3|-|4200000011|incomplete|10|102|65000:2 65001:7|4200000000:1:2|-|-"
	assert_line "2001:db8:411::/48|2001:db8::2|-|65009|igp|1|100|65000:1||-|-"
	[ "${#lines[@]}" = 16 ]
	run obgpd_rib neighbor "$ANN_E4"
	assert_line "198.19.2.0/28|198.18.0.4|-|65100 4200000009 65009|igp|0|100|65000:0 65001:7|4200000000:2:0|-|-"
	[ "${#lines[@]}" = 12 ]
	# the learn session: OpenBGPD's whole table
	wait_for 10 bash -c "[ \$(rec-json < $T/learn.rec | grep -c '\"op\":\"add\"') -ge 30 ]" || fail "$(cat "$T/learn.err")"
	obgpd_rib > "$T/obgpd.table"
	rec_full_norm "$T/learn.rec" | awk -F'|' -v OFS='|' '$6 == "-" {$6 = 0} {print}' > "$T/ours.table"
	diff -u "$T/obgpd.table" "$T/ours.table"
	# half withdrawn on each feed: gone from OpenBGPD and from the learn session
	for i in 0 1 2 3 4 5; do
		echo "{\"type\":\"route\",\"op\":\"del\",\"prefix\":\"198.19.1.$((i * 16))/28\"}" | rec-json -r >&7
		echo "{\"type\":\"route\",\"op\":\"del\",\"prefix\":\"198.19.2.$((i * 16))/28\"}" | rec-json -r >&8
	done
	wait_for 10 bash -c "[ \$(rec-json < $T/learn.rec | grep -c '\"op\":\"del\"') -ge 12 ]" || fail "$(rec-json < "$T/learn.rec" | tail)"
	[ "$(obgpd_count 'select(.prefix | startswith("198.19."))')" = 12 ]
	obgpd_rib > "$T/obgpd.table"
	rec_full_norm "$T/learn.rec" | awk -F'|' -v OFS='|' '$6 == "-" {$6 = 0} {print}' > "$T/ours.table"
	diff -u "$T/obgpd.table" "$T/ours.table"
	[ "$(wc -l < "$T/ours.table")" = 18 ]
	# route refresh: OpenBGPD asks the eBGP feed, which sends its routes again
	bgpctl_ neighbor "$ANN_E4" refresh
	wait_for 10 grep -q "route refresh for IPv4 requested" "$T/ebgp.err" || fail "$(cat "$T/ebgp.err")"
	sleep 0.5
	run obgpd_rib neighbor "$ANN_E4"
	[ "${#lines[@]}" = 6 ]
	exec 7>&- 8>&-
}
