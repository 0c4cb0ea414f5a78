#!/usr/bin/env bats
# The pipeline end to end in the lab (pipelines/lab/lab.bash), second run:
# route-push --netlink writes the switch's kernel FIB itself (route protocol
# 77), without BIRD in that path. The same lab as t950 otherwise.
load lib/common

setup_file() {
	export LAB_DIR=$BATS_FILE_TMPDIR/lab
	mkdir -p "$LAB_DIR"
	# missing prerequisites skip; a lab that does not come up fails
	[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" > "$LAB_DIR/SKIP"; return 0; }
	for c in bird birdc pmacctd python3 jq ip; do
		command -v $c >/dev/null || { echo "$c is not installed (make deps)" > "$LAB_DIR/SKIP"; return 0; }
	done
	for p in sflow-decode bgp-speaker prefix-rank route-push; do
		[ -x "$AR_BUILD/bin/$p" ] || { echo "$p is not built" > "$LAB_DIR/SKIP"; return 0; }
	done
	export AR_BINDIR=$AR_BUILD/bin
	export ROOT_ROUTES_BEFORE="$(ip route show; ip -6 route show)"
	export LAB_TAG=t96$$
	# a part of the table is enough here; fast averages so tests are short
	export LAB_TABLE_MAX=20000 LAB_MAX_ROUTES=300
	export LAB_CONF_EXTRA="rank.time-constant = 2
rank.min-value = 300
rank.grace = 10"
	. "$TOP_DIR/pipelines/lab/lab.bash"
	lab_init "$LAB_TAG" "$LAB_DIR"
	export LAB_UP LAB_SW LAB_TR
	lab_up netlink > "$LAB_DIR/up.log" 2>&1 || { echo "lab_up failed: $(tail -n 5 "$LAB_DIR/up.log")" > "$LAB_DIR/FAILED"; return 0; }
	lab_wait_rib 20000 || { echo "the table did not reach prefix-rank" > "$LAB_DIR/FAILED"; return 0; }
	# steady traffic: 150 prefixes alike, well under the capacity
	lab_traffic --duration 240 --pps 1500 --dests 150 --zipf 0 --share6 0.1 --shift 0 --dests-out "$LAB_DIR/dests"
	for _ in $(seq 1 300); do [ -s "$LAB_DIR/dests" ] && break; sleep 0.1; done
	[ -s "$LAB_DIR/dests" ] || { echo "the traffic did not start: $(cat "$LAB_DIR/traffic.log")" > "$LAB_DIR/FAILED"; return 0; }
	echo ok > "$LAB_DIR/READY"
}

teardown_file() {
	[ -n "${LAB_TAG:-}" ] || return 0
	. "$TOP_DIR/pipelines/lab/lab.bash"
	lab_init "$LAB_TAG" "$LAB_DIR"
	lab_down
}

setup() {
	[ -e "$LAB_DIR/SKIP" ] && skip "$(cat "$LAB_DIR/SKIP")"
	[ -e "$LAB_DIR/FAILED" ] && fail "the lab did not come up: $(cat "$LAB_DIR/FAILED")"
	[ -e "$LAB_DIR/READY" ] || fail "the lab did not come up"
	. "$TOP_DIR/pipelines/lab/lab.bash"
	lab_init "$LAB_TAG" "$LAB_DIR"
	LAB_TARGET=netlink
}

# Each test starts from a converged pipeline: when an earlier test left it
# broken, restart it (and say so), so one failure does not cascade.
ensure_converged() {
	wait_for 30 fib_has_dests 130 && return 0
	echo "# the pipeline had not converged: restarting it" >&3
	ip netns exec "$LAB_SW" "$TOP_DIR/pipelines/active-route" -c "$LAB_DIR/activeroute.conf" stop >/dev/null 2>&1
	ip netns exec "$LAB_SW" "$TOP_DIR/pipelines/active-route" -c "$LAB_DIR/activeroute.conf" start >/dev/null 2>&1
	wait_for 60 fib_has_dests 130
}

# How many of the traffic's destination prefixes are in the FIB.
dests_in_fib() {
	lab_fib_dump | awk '{print $1}' > "$T/fibp"
	local n
	n=$(grep -cxFf "$T/fibp" "$LAB_DIR/dests" 2>/dev/null)
	echo "${n:-0}"
}
fib_has_dests() { [ "$(dests_in_fib)" -ge "$1" ]; }

# kill_and_converge STAGE: SIGKILL one stage; the supervisor restarts it,
# the FIB is never flushed meanwhile, and it comes back to the same set.
kill_and_converge() {
	local s=$1 pid before min n i
	ensure_converged
	lab_fib_dump | awk '{print $1}' > "$T/before"
	before=$(wc -l < "$T/before")
	pid=$(awk '{print $1}' "$LAB_DIR/run/sup/$s.state")
	[ "$pid" != 0 ] && kill -0 "$pid"
	kill -KILL "$pid"
	min=$before
	for i in $(seq 1 12); do
		sleep 0.4
		n=$(lab_fib_count)
		[ "$n" -lt "$min" ] && min=$n
	done
	# restarted by the supervisor
	newpid=$(awk '{print $1}' "$LAB_DIR/run/sup/$s.state")
	[ "$newpid" != "$pid" ] && [ "$newpid" != 0 ] && kill -0 "$newpid" || fail "$s was not restarted"
	# never flushed: at least 90% of the routes stayed at every sample
	[ "$min" -ge $((before * 9 / 10)) ] || fail "the FIB fell from $before to $min routes after killing $s"
	# converges back: the destinations are in the FIB again
	wait_for 30 fib_has_dests $((before * 9 / 10 < 130 ? before * 9 / 10 : 130)) ||
		fail "after killing $s: $(dests_in_fib) destinations in the FIB, $before before"
}

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
