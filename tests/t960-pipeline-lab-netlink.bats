#!/usr/bin/env bats
# The pipeline end to end in the lab (pipelines/lab/lab.bash), second run:
# route-push --netlink writes the switch's kernel FIB itself (route protocol
# 77), without BIRD in that path. The same lab as t950 otherwise.
load lib/common
load lib/lab

setup_file() {
	lab_file_up netlink t96
}

teardown_file() { lab_file_down; }

setup() { lab_test_setup; }

@test "t960 routes that carry traffic reach the kernel FIB through route-push --netlink" {
	ndest=$(wc -l < "$LAB_DIR/dests")
	wait_for 40 fib_has_dests $((ndest * 9 / 10)) || fail "only $(dests_in_fib) of $ndest destinations in the FIB"
	# only our protocol's routes: BIRD's kernel protocol wrote none
	[ "$(ip -n "$LAB_SW" route show proto bird | wc -l)" = 0 ]
}

@test "t961 capacity and no hiding, route-push --netlink" {
	ensure_converged
	lab_rib_dump > "$T/rib"
	for i in 1 2 3; do
		lab_fib_dump > "$T/fib.$i"
		n4=$(ip -n "$LAB_SW" route show proto 77 | wc -l)
		n6=$(ip -n "$LAB_SW" -6 route show proto 77 | wc -l)
		[ "$n4" -le 300 ] || fail "$n4 IPv4 routes over a capacity of 300"
		[ "$n6" -le 30 ] || fail "$n6 IPv6 routes over a capacity of 30"
		run "$TOP_DIR/pipelines/lab/nohide" "$T/rib" "$T/fib.$i"
		assert_success
		sleep 1
	done
}

@test "t962 SIGKILL of route-push --netlink: restarted, routes left in place, converges" {
	kill_and_converge route-push
}

@test "t965 SIGKILL of sflow-decode, netlink target: restarted, FIB kept, follows the traffic" {
	kill_and_converge sflow-decode
}

@test "t966 SIGKILL of bgp-speaker (learn), netlink target: restarted, FIB kept, follows the traffic" {
	kill_and_converge bgp-learn
}

@test "t967 SIGKILL of prefix-rank, netlink target: restarted, FIB kept, follows the traffic" {
	kill_and_converge prefix-rank
}

@test "t963 active-route status: stages, the ranking's RIB and coverage, installed routes" {
	ensure_converged
	run ip netns exec "$LAB_SW" "$TOP_DIR/pipelines/active-route" -c "$LAB_DIR/activeroute.conf" status
	assert_success
	for s in sflow-decode bgp-learn prefix-rank route-push; do
		assert_line --regexp "^$s +[0-9]+ +[0-9]+(s|m[0-9]+s) +[0-9]+ "
	done
	assert_line --regexp "^prefix-rank IPv4: RIB [0-9]{5} prefixes, top [0-9]+ carry [0-9]+% of [0-9]+ bytes/s"
	assert_line --regexp "^route-push: [1-9][0-9]* IPv4 and [0-9]+ IPv6 routes of protocol 77 installed in table main"
	# the stages' own last stats (--stats files): selection and sFlow input
	assert_line --regexp "^prefix-rank: RIB [0-9]{5} IPv4 \+ [0-9]+ IPv6, selected [1-9][0-9]* \+ [0-9]+ .*% of traffic, churn [0-9]+ "
	assert_line --regexp "^sflow-decode: [1-9][0-9]* datagrams, [1-9][0-9]* flow records, 0 malformed, [0-9]+ datagrams lost upstream, [0-9]+ dropped by the kernel"
}

@test "t964 routes leave the kernel FIB after their traffic stops" {
	plain_build_only "10 s of rates decaying; route removal runs under ASan in t510-t519"
	ensure_converged
	kill -TERM $(ip netns pids "$LAB_TR")
	wait_for 30 bash -c "[ \$(ip -n $LAB_SW route show proto 77 | wc -l) -le 5 ]" ||
		fail "$(lab_fib_count) routes still in the FIB 30 s after the traffic stopped"
}

@test "t969 the root namespace's routes are unchanged" {
	[ "$(ip route show; ip -6 route show)" = "$ROOT_ROUTES_BEFORE" ]
}
