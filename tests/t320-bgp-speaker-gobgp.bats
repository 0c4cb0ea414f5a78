#!/usr/bin/env bats
# bgp-speaker with GoBGP, an independent second peer.

load lib/common
load lib/netns
source "$TESTS_DIR/tools/bgp-lab.bash"

teardown() { netns_cleanup; }

@test "GoBGP: learn its routes and announce ours in one session (IPv4 + IPv6)" {
	plain_build_only "a second interop peer; the same learn and announce paths run under ASan against BIRD"
	lab_setup
	need_cmd gobgpd gobgp
	gobgp_start 1179
	gobgp_ global rib add -a ipv4 10.7.0.0/16 nexthop "$BIRD_A4" aspath 4200000001,65010 community 65000:70 large-community 65000:1:2 med 33 origin egp
	gobgp_ global rib add -a ipv6 2001:db8:700::/40 nexthop "$BIRD_A6" aspath 65020
	{
		echo '{"type":"sync","phase":"begin"}'
		echo "{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"198.19.5.0/24\",\"nexthop\":\"$SPK_A4\",\"aspath\":[65005],\"lcommunities\":[\"65000:5:5\"]}"
		echo "{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"2001:db8:500::/48\",\"nexthop\":\"$SPK_A6\"}"
		echo '{"type":"sync","phase":"end"}'
	} | rec-json -r > "$T/in.rec"
	speaker_bg both -r "$T/in.rec"
	wait_for 20 rec_has_end "$T/both.rec" || fail "$(cat "$T/both.err")"
	run rec_table_norm "$T/both.rec"
	assert_output "10.7.0.0/16|198.18.0.1|4200000001 65010|egp|33|100|65000:70|65000:1:2
2001:db8:700::/40|2001:db8::1|65020|incomplete|-|100||"
	wait_for 10 bash -c "ip netns exec $NS_B gobgp -u 127.0.0.1 -p 50051 global rib -a ipv4 | grep -q 198.19.5.0/24" || fail "$(gobgp_ global rib -a ipv4; cat "$T/both.err")"
	run gobgp_ global rib -a ipv4 198.19.5.0/24
	assert_output --partial "65005"
	wait_for 10 bash -c "ip netns exec $NS_B gobgp -u 127.0.0.1 -p 50051 global rib -a ipv6 | grep -q 2001:db8:500::/48"
	# a withdrawal from GoBGP reaches our output
	gobgp_ global rib del -a ipv4 10.7.0.0/16
	wait_for 10 bash -c "rec-json < $T/both.rec | grep -q '\"op\":\"del\",\"prefix\":\"10.7.0.0/16\"'" || fail "$(rec-json < "$T/both.rec")"
}

@test "GoBGP: an active session (--connect) to its port 179" {
	plain_build_only "a second interop peer; --connect runs under ASan in the collision tests"
	lab_setup
	need_cmd gobgpd gobgp
	gobgp_start 179
	gobgp_ global rib add -a ipv4 10.8.0.0/16 nexthop "$BIRD_A4"
	ip netns exec "$NS_S" bgp-speaker --local-as 65000 --router-id "$SPK_A4" --connect "$BIRD_A4" \
		--hold-time 9 --connect-retry 1 -r none > "$T/act.rec" 2> "$T/act.err" &
	netns_track_pid $!
	wait_for 20 rec_has_end "$T/act.rec" || fail "$(cat "$T/act.err")"
	run rec_table_norm "$T/act.rec"
	assert_output "10.8.0.0/16|198.18.0.1||incomplete|-|100||"
}
