#!/usr/bin/env bats
# bgp-speaker with ExaBGP (Debian exabgp) as a scriptable sender of unusual
# but valid UPDATEs, each checked in the records bgp-speaker writes.

load lib/common
load lib/netns
source "$TESTS_DIR/tools/peers-lab.bash"

teardown() { exec 9>&- 2>/dev/null || true; peers_cleanup; }

# speaker_exa [ARGS]: the speaker on 198.18.0.2:1179, ExaBGP connecting to
# it; returns once the session is Established
speaker_exa() {
	peers_setup
	ip netns exec "$NS_S" bgp-speaker --local-as 65000 --router-id "$SPK_A4" --listen "$SPK_A4:1179" \
		--neighbor "$BIRD_A4" --hold-time 9 "$@" > "$T/l.rec" 2> "$T/l.err" &
	SPK_PID=$!
	netns_track_pid "$SPK_PID"
	exabgp_start
	wait_for 20 grep -q "OpenConfirm -> Established" "$T/l.err" || fail "$(cat "$T/l.err" "$T/exabgp.log")"
}

# route PREFIX: its last record, as JSON
route() { rec-json < "$T/l.rec" | jq -c --arg p "$1" 'select(.type == "route" and .prefix == $p)' | tail -1; }
has_route() { [ -n "$(route "$1")" ]; }

stop_speaker() { kill -TERM "$SPK_PID"; wait "$SPK_PID" || true; }

@test "ExaBGP: 300 NLRI in a few UPDATEs, AS4 paths, large communities, ATOMIC_AGGREGATE and AGGREGATOR, IPv6 with a link-local next hop" {
	speaker_exa -r none
	local nlri="" i
	for ((i = 0; i < 300; i++)); do nlri+=" 10.51.$((i / 256)).$((i % 256))/32"; done
	exa_cmd "announce attributes next-hop $BIRD_A4 origin egp med 7 as-path [ 65001 ] nlri$nlri"
	exa_cmd "announce route 10.50.0.0/24 next-hop $BIRD_A4 as-path [ 4200000001 65001 4294967294 ] large-community [ 4200000000:1:2 65000:4294967295:0 ] community [ 65000:1 65535:65281 ] atomic-aggregate aggregator ( 4200000010:198.18.0.9 )"
	# ExaBGP cannot send a link-local next hop itself: the IPv6 route goes
	# in a generic MP_REACH_NLRI beside an IPv4 route (next hops
	# 2001:db8::1 and fe80::1, RFC 2545 3)
	exa_cmd "announce route 10.52.0.0/24 next-hop $BIRD_A4 attribute [ 0x0e 0x80 0x0002012020010db8000000000000000000000001fe800000000000000000000000000001003020010db80500 ]"
	wait_for 10 has_route 2001:db8:500::/48 || fail "$(rec-json < "$T/l.rec" | tail -3; cat "$T/exabgp.log")"
	wait_for 10 bash -c "[ \$(rec-json < $T/l.rec | grep -c '\"prefix\":\"10.51.') = 300 ]"
	stop_speaker
	# the 300 in a few UPDATEs (ExaBGP 4.2 packs some 60 NLRI in each);
	# the others: three routes, two End-of-RIBs
	local n
	n=$(sed -n 's/.*stopped: \([0-9]*\) UPDATEs in, 303 routes.*/\1/p' "$T/l.err")
	[ -n "$n" ] && [ "$n" -le 10 ] || fail "$(grep stopped "$T/l.err")"
	run route 10.51.1.43/32
	assert_output '{"type":"route","op":"add","prefix":"10.51.1.43/32","nexthop":"198.18.0.1","aspath":[65001],"origin":"egp","med":7,"localpref":100,"peer":"198.18.0.1"}'
	run route 10.50.0.0/24
	assert_output '{"type":"route","op":"add","prefix":"10.50.0.0/24","nexthop":"198.18.0.1","aspath":[4200000001,65001,4294967294],"origin":"igp","localpref":100,"communities":["65000:1","65535:65281"],"lcommunities":["4200000000:1:2","65000:4294967295:0"],"atomic":true,"aggas":4200000010,"aggid":"198.18.0.9","peer":"198.18.0.1"}'
	run route 2001:db8:500::/48
	assert_output '{"type":"route","op":"add","prefix":"2001:db8:500::/48","nexthop":"2001:db8::1","nexthopll":"fe80::1","aspath":[],"origin":"igp","localpref":100,"peer":"198.18.0.1"}'
	has_route 10.52.0.0/24
}

@test "ExaBGP: extended communities (route target, origin) arrive in the extcommunities key" {
	speaker_exa -r none
	exa_cmd "announce route 10.53.0.0/24 next-hop $BIRD_A4 extended-community [ target:65000:100 origin:65000:1 ] community [ 65000:53 ]"
	wait_for 10 has_route 10.53.0.0/24 || fail "$(cat "$T/l.err")"
	run route 10.53.0.0/24
	# the rest of the route is intact
	assert_output --partial '"communities":["65000:53"]'
	# RFC 4360: type 0x00 (two-octet AS, transitive), subtype 0x02 route
	# target and 0x03 route origin, AS 65000 (0xfde8), local 100 and 1
	jq -e '.extcommunities | sort == ["0x0002fde800000064", "0x0003fde800000001"]' <<< "$output" ||
		fail "extcommunities: $(jq -c .extcommunities <<< "$output")"
}

@test "ExaBGP: its route refresh request gets our routes again; its Cease carries a shutdown communication (RFC 9003)" {
	{
		echo '{"type":"sync","phase":"begin"}'
		echo "{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"198.19.9.0/24\",\"nexthop\":\"$SPK_A4\"}"
		echo '{"type":"sync","phase":"end"}'
	} | rec-json -r > "$T/in.rec"
	speaker_exa -r "$T/in.rec"
	sleep 0.5
	exa_cmd "announce route-refresh ipv4 unicast"
	wait_for 10 grep -q "route refresh for IPv4 requested" "$T/l.err" || fail "$(cat "$T/l.err")"
	exa_cmd "neighbor $SPK_A4 teardown 2"
	wait_for 10 bash -c "rec-json < $T/l.rec | grep -q '\"state\":\"down\"'" || fail "$(cat "$T/l.err")"
	run bash -c "rec-json < $T/l.rec | jq -r 'select(.type == \"peer\" and .state == \"down\") | .reason' | head -1"
	assert_output 'received NOTIFICATION 6/2 administrative shutdown: "Administrative Shutdown"'
	stop_speaker
	# the Adj-RIB-Out went twice: after the session came up and on the refresh
	grep -q "stopped: .* UPDATEs out" "$T/l.err"
	# one route and two End-of-RIBs when the session came up, the route again on the refresh
	[ "$(sed -n 's/.* \([0-9]*\) UPDATEs out.*/\1/p' "$T/l.err")" -ge 4 ] || fail "$(grep stopped "$T/l.err")"
}
