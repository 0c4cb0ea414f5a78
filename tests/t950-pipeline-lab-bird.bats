#!/usr/bin/env bats
# The pipeline end to end, in the lab (pipelines/lab/lab.bash): an upstream
# BIRD with a table, the switch's BIRD as in the seed, pmacctd as the sFlow
# agent, the five stages under active-route, traffic. Routes reach the
# switch's kernel FIB through BIRD. One lab for the whole file; each test
# leaves it running as it found it.
load lib/common
load lib/lab

setup_file() {
	# make check's sanitizer pass runs the stages end to end in t960; this
	# longer file only once, to keep make check short
	case $AR_BUILD in *-asan)
		mkdir -p "$BATS_FILE_TMPDIR/lab"
		echo "the BIRD lab runs in the plain build only (t960 runs under ASan)" > "$BATS_FILE_TMPDIR/lab/SKIP"
		export LAB_DIR=$BATS_FILE_TMPDIR/lab; return 0 ;;
	esac
	lab_file_up bgp t95
}

teardown_file() { lab_file_down; }

setup() { lab_test_setup; }

@test "t950 routes that carry traffic reach the switch's kernel FIB through BIRD" {
	ndest=$(wc -l < "$LAB_DIR/dests")
	wait_for 40 fib_has_dests $((ndest * 9 / 10)) || fail "only $(dests_in_fib) of $ndest destinations in the FIB"
	# installed by BIRD's kernel protocol from what bgp-speaker announced
	birdc_sw show route protocol from_sflow_rt count | grep -q '[1-9][0-9]* of'
}

@test "t951 the FIB never exceeds its capacity and never hides a RIB route" {
	wait_for 40 fib_has_dests 100
	lab_rib_dump > "$T/rib"
	[ "$(wc -l < "$T/rib")" -gt 20000 ]
	for i in 1 2 3; do
		lab_fib_dump > "$T/fib.$i"
		n4=$(ip -n "$LAB_SW" route show proto bird | wc -l)
		n6=$(ip -n "$LAB_SW" -6 route show proto bird | wc -l)
		[ "$n4" -le 300 ] || fail "$n4 IPv4 routes over a capacity of 300"
		[ "$n6" -le 30 ] || fail "$n6 IPv6 routes over a capacity of 30"
		run "$TOP_DIR/pipelines/lab/nohide" "$T/rib" "$T/fib.$i"
		assert_success
		sleep 1
	done
}

@test "t952 SIGKILL of sflow-decode: restarted, FIB kept, converges" {
	kill_and_converge sflow-decode
}

@test "t953 SIGKILL of bgp-speaker (learn): restarted, FIB kept, converges" {
	kill_and_converge bgp-learn
}

@test "t954 SIGKILL of route-push: restarted, FIB kept, converges" {
	kill_and_converge route-push
}

# The announce session offers graceful restart (active-route's default):
# BIRD keeps a dead announcer's routes, so the FIB stays; the new announcer
# is given what BIRD holds, then the changes, and withdraws what went
# before it announces what came, so the kernel never holds the two sets at
# once. Traced with ip monitor while the traffic has moved to other
# prefixes than those installed, more of them than the headroom: at no
# event over the cap, no hiding, and the FIB never emptied.
@test "t955 SIGKILL of bgp-speaker (announce) after the traffic moved: FIB kept, never over the cap nor hiding at any instant, converges" {
	ensure_converged
	local pid newpid cap=$LAB_MAX_ROUTES cap6=$((LAB_MAX_ROUTES / 10))
	lab_rib_dump > "$T/rib"
	timeout 40 ip -n "$LAB_SW" -ts monitor route > "$T/trace" 2>&1 &
	local mon=$!
	sleep 0.3
	lab_fib_dump > "$T/start"
	pid=$(awk '{print $1}' "$LAB_DIR/run/sup/bgp-announce.state")
	# stopped, it reads nothing: route-push's state moves on without it
	kill -STOP "$pid"
	lab_bg "$LAB_TR" "$LAB_DIR/shift.log" "$LAB_HERE/traffic" \
		--prefixes4 "$LAB_DIR/prefixes4" --prefixes6 "$LAB_DIR/prefixes6" \
		--seed 955 --dests 200 --zipf 0 --pps 4000 --count 56000 --share6 0.1 --duration 14 --shift 0
	local shift=$LAB_LAST
	sleep 8
	kill -KILL "$pid"
	kill -CONT "$pid" 2>/dev/null || true
	wait_for 20 bash -c "p=\$(awk '{print \$1}' $LAB_DIR/run/sup/bgp-announce.state); [ \"\$p\" != $pid ] && [ \"\$p\" != 0 ]" ||
		fail "bgp-announce was not restarted"
	# the FIB was kept: wait for the new session, then for its changes
	sleep 1
	wait_for 30 lab_established from_sflow_rt || fail "the announce session did not come back"
	sleep 3
	kill "$mon" 2>/dev/null; wait "$mon" 2>/dev/null || true
	wait "$shift" 2>/dev/null || true
	# the new IPv4 set differs from the old by more than the headroom: both
	# at once would be over the cap
	local old4 new4
	old4=$(grep -vc : "$T/start")
	awk '{print $1}' "$T/start" > "$T/startp"
	new4=$(awk '$2 != "Deleted" && / proto bird / && $2 !~ /:/ {print $2}' "$T/trace" | sort -u | grep -vxcFf "$T/startp" || true)
	[ $((old4 + new4)) -gt "$cap" ] || fail "$old4 routes before, $new4 new ones: the sets did not move apart enough"
	# kept: never below half of what it held
	run "$TOP_DIR/tests/tools/fib-trace-check" --max "$cap" --max6 "$cap6" --min "$(($(wc -l < "$T/start") / 2))" \
		--rib "$T/rib" "$T/start" "$T/trace"
	echo "$output" | head -n 12 >&3
	assert_success
	ensure_converged
}

@test "t956 SIGKILL of prefix-rank: restarted, FIB kept, converges" {
	kill_and_converge prefix-rank
}

@test "t957 a lost learn session keeps the FIB for the grace time" {
	ensure_converged
	# the steady traffic's destinations: an earlier burst's hot prefixes
	# (promoted at once by the fast path) leave the FIB by themselves
	before=$(dests_in_fib)
	birdc_sw disable to_sflow_rt
	# rank.grace = 10: kept for 7 s at least, by the clock (a loaded machine
	# takes longer than its sleeps to count the FIB)
	local t0 el
	t0=$(date +%s%N)
	while :; do
		sleep 0.5
		n=$(dests_in_fib)
		el=$((($(date +%s%N) - t0) / 1000000))
		[ "$el" -lt 7000 ] || break
		[ "$n" -ge $((before * 9 / 10)) ] || { birdc_sw enable to_sflow_rt; fail "FIB fell from $before to $n of the traffic's destinations, $el ms into the grace time"; }
	done
	birdc_sw enable to_sflow_rt
	wait_for 40 lab_established to_sflow_rt
	wait_for 40 fib_has_dests 130
}

@test "t958 routes leave the FIB after their traffic stops" {
	ensure_converged
	kill -TERM $(ip netns pids "$LAB_TR")
	# time constant 2 s, min-value 300 B/s, hysteresis: gone within 30 s
	wait_for 30 bash -c "[ \$(ip -n $LAB_SW route show proto bird | wc -l) -le 5 ]" ||
		fail "$(lab_fib_count) routes still in the FIB 30 s after the traffic stopped"
}

@test "t959 the root namespace's routes are unchanged" {
	[ "$(ip route show; ip -6 route show)" = "$ROOT_ROUTES_BEFORE" ]
}
