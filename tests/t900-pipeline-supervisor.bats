#!/usr/bin/env bats
# active-route, the supervisor: check, start/status/stop, restarts with
# backoff, least privilege, runit. Stage programs are stubs made here (shell
# scripts with the real programs' option names), so these tests do not
# depend on the stages; t950 runs the real ones.
load lib/common

# A stub stage: --check is the real program's (the config's one judge);
# running, it logs its argv, uid and capabilities on stderr, drains the
# FIFOs it is given, writes a line a tick to stdout, and stops on SIGTERM.
make_stub() {
	local name=$1
	cat > "$T/bin/$name" <<-EOF
	#!/bin/bash
	for a in "\$@"; do [ "\$a" = --check ] && exec "$AR_BUILD/bin/$name" "\$@"; done
	[ -e "$T/fail-$name" ] && { echo "$name: error: told to fail" >&2; exit 1; }
	echo "$name: info: started uid=\$(id -u) \$(grep CapEff /proc/self/status | tr -d '\t') args: \$*" >&2
	trap 'echo "$name: info: stopping" >&2; exit 0' TERM
	prev=
	for a in "\$@"; do
		# drain a FIFO while this stub lives (its writers come and go)
		case \$prev in --routes|--flows|--input)
			( while kill -0 \$\$ 2>/dev/null; do timeout 1 cat "\$a" >/dev/null; done ) & ;; esac
		prev=\$a
	done
	n=0
	while :; do
		n=\$((n + 1))
		echo "tick \$n" 2>/dev/null
		echo "$name: info: stats: ticks=\$n" >&2
		sleep 0.3
	done
	EOF
	chmod 755 "$T/bin/$name"
}

setup() {
	# these test the supervisor (bash) with stub stages: once per make
	# check is enough; the sanitizer pass runs only t910
	case $AR_BUILD in *-asan)
		[[ $BATS_TEST_DESCRIPTION == t910* ]] || skip "bash and stubs only: run in the plain build" ;;
	esac
	# the unprivileged stages must reach the config and the run directory
	chmod o+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" 2>/dev/null || true
	mkdir -p "$T/bin"
	for p in sflow-decode bgp-speaker prefix-rank route-push; do make_stub "$p"; done
	# the config is read through the real ar-conf, as the programs read it
	ln -s "$AR_BUILD/bin/ar-conf" "$T/bin/ar-conf"
	export AR_BINDIR=$T/bin AR_BACKOFF_MIN_MS=200 AR_BACKOFF_MAX_MS=800 AR_STOP_WAIT_S=3
	RUN=$T/run
	cat > "$T/ar.conf" <<-EOF
	# a complete config in the seed layout
	rundir = $RUN
	log-level = info
	sflow.listen = 127.0.0.1:16343
	bgp.router-id = 198.18.0.254
	bgp.learn.listen = 127.0.0.1
	bgp.learn.neighbor = 127.0.0.1
	bgp.learn.local-as = 65000
	bgp.learn.peer-as = 65000
	bgp.announce.listen = 127.0.0.2
	bgp.announce.neighbor = 127.0.0.1
	bgp.announce.local-as = 65000
	bgp.announce.peer-as = 65000
	rank.max-routes = 1000
	push.bgp = yes
	EOF
	chmod 644 "$T/ar.conf"
}

teardown() {
	[ -n "${AR_DEBUG:-}" ] && { tail -n 20 "$RUN"/sup/*.log >&3 || true; }
	active-route -c "$T/ar.conf" stop >/dev/null 2>&1 || true
	for p in $(cat "$RUN"/sup/*.state 2>/dev/null | awk '{print $1}'); do
		[ "$p" != 0 ] && kill -KILL "$p" 2>/dev/null || true
	done
	if [ -n "${RUNSV_PID:-}" ]; then
		sv force-stop "$T/sv/prefix-rank" >/dev/null 2>&1 || true
		kill "$RUNSV_PID" 2>/dev/null || true
		wait "$RUNSV_PID" 2>/dev/null || true
	fi
}

stage_pid() { awk '{print $1}' "$RUN/sup/$1.state"; }
stage_restarts() { awk '{print $3}' "$RUN/sup/$1.state"; }
all_running() {
	local s p
	for s in sflow-decode bgp-learn prefix-rank route-push bgp-announce; do
		p=$(stage_pid "$s" 2>/dev/null) || return 1
		[ -n "$p" ] && [ "$p" != 0 ] && kill -0 "$p" 2>/dev/null || return 1
	done
}

@test "t900 active-route: --help, --version, usage errors exit 2" {
	run active-route --help
	assert_success
	assert_output --partial "start|stop|status|check|runit DIR"
	run active-route --version
	assert_success
	assert_output --regexp '^active-route \(activeroute\) [0-9]'
	run active-route
	assert_failure 2
	run active-route -c "$T/ar.conf" frobnicate
	assert_failure 2
	assert_output --partial "unknown command frobnicate"
	run active-route -c "$T/ar.conf" runit
	assert_failure 2
}

@test "t901 check: a good config passes and names the wiring" {
	run active-route -c "$T/ar.conf" check
	assert_success
	assert_output --partial "ok (sflow-decode bgp-learn prefix-rank route-push bgp-announce; target bgp)"
	# without push.bgp the target is the kernel, and there is no announcer
	sed -i '/^push.bgp/d; /^bgp.announce/d' "$T/ar.conf"
	run active-route -c "$T/ar.conf" check
	assert_success
	assert_output --partial "ok (sflow-decode bgp-learn prefix-rank route-push; target netlink)"
}

@test "t902 check: every error names its line; nothing is started" {
	cat > "$T/bad.conf" <<-EOF
	rundir = $RUN
	rank.max-routse = 10
	bgp.learn.listen = 198.18.0.300
	bgp.learn.hold-time = 2
	bgp.learn.local-as = 0
	this line has no equals sign
	bgp.other.listen = 127.0.0.1
	push.max-withdraw-percent = 150
	sflow.agents = 198.18.0.0/33,2001:db8::/32
	color = blue
	push.dry-run = maybe
	rank.routes = /tmp/x
	bgp.learn.router-id = 2001:db8::1
	sflow.listen = [2001:db8::1]:6343
	push.bgp = yes
	EOF
	run active-route -c "$T/bad.conf" check
	assert_failure 2
	# the programs' own --check judges keys and values, ar-conf the
	# namespaces, the supervisor the wiring; each error once, with its line
	assert_line --partial "bad.conf:2: unknown key \"rank.max-routse\": prefix-rank has no option --max-routse"
	assert_line --partial "bad.conf:3: bad value for bgp.learn.listen: \"198.18.0.300\""
	assert_line --partial "bgp-speaker: error: --listen: bad address \"198.18.0.300\""
	assert_line --partial "bad.conf:4: bad value for bgp.learn.hold-time: \"2\""
	assert_line --partial "bgp-speaker: error: --hold-time: 0 or at least 3 seconds"
	assert_line --partial "bad.conf:5: bad value for bgp.learn.local-as: \"0\""
	assert_line --partial "bad.conf:6: expected \"key = value\""
	assert_line --partial "bad.conf:7: \"bgp.other.listen\": bgp has no instance \"other\""
	assert_line --partial "bad.conf:8: bad value for push.max-withdraw-percent: \"150\""
	assert_line --partial "bad.conf:9: bad value for sflow.agents"
	assert_line --partial "prefix length must be 0 to 32"
	assert_line --partial "bad.conf:10: unknown key \"color\""
	assert_line --partial "bad.conf:11: bad value for push.dry-run: \"maybe\""
	assert_line --partial "route-push: error: --dry-run: a switch: yes or no"
	assert_line --partial "bad.conf:12: \"rank.routes\": --routes is set by active-route itself"
	assert_line --partial "bad.conf:13: bad value for bgp.learn.router-id"
	assert_line --partial "bad.conf:15: push.bgp needs an announce session"
	[ "$(grep -c 'bad.conf:6: expected' <<<"$output")" = 1 ]
	refute_line --partial "bad.conf:14:"
	refute_line --partial "bad.conf:1:"
	[ ! -e "$RUN" ]
}

@test "t903 check: missing programs, two sessions on one address, unreadable file" {
	rm "$T/bin/route-push"
	sed -i 's/^bgp.announce.listen = .*/bgp.announce.listen = 127.0.0.1:1179/' "$T/ar.conf"
	run active-route -c "$T/ar.conf" check
	assert_failure 2
	assert_output --partial "program route-push (stage route-push) not found"
	assert_output --regexp "ar.conf:10: bgp.announce.listen: 127.0.0.1:1179 is already the listen address of line 6"
	sed -i '/^sflow.listen/d' "$T/ar.conf"
	run active-route -c "$T/ar.conf" check
	assert_failure 2
	assert_output --partial "ar.conf: sflow.listen is missing"
	run active-route -c "$T/nonexistent.conf" check
	assert_failure 2
	assert_output --partial "cannot read $T/nonexistent.conf"
}

@test "t904 start, status, stop: the five stages wired by FIFOs, stopped by SIGTERM" {
	run active-route -c "$T/ar.conf" start
	assert_success
	assert_output --partial "started (pid"
	wait_for 10 all_running
	# wired: prefix-rank reads the FIFOs and writes the FIB FIFO
	wait_for 5 grep -q -- "--routes $RUN/routes.fifo --flows $RUN/flows.fifo" "$RUN/sup/prefix-rank.log"
	wait_for 5 grep -q -- "--input $RUN/fib.fifo --stats $RUN/route-push.stats --bgp" "$RUN/sup/route-push.log"
	wait_for 5 grep -q -- "--name learn" "$RUN/sup/bgp-learn.log"
	wait_for 5 grep -q -- "--name announce" "$RUN/sup/bgp-announce.log"
	wait_for 5 grep -q "stats: ticks=" "$RUN/sup/prefix-rank.log"
	for f in flows routes fib announce; do [ -p "$RUN/$f.fifo" ]; done
	run active-route -c "$T/ar.conf" status
	assert_success
	assert_output --regexp "prefix-rank +[0-9]+ +[0-9]+s +0 +- +prefix-rank: info: stats: ticks="
	assert_output --partial "supervisor: pid"
	# a second start is refused
	run active-route -c "$T/ar.conf" start
	assert_failure 1
	assert_output --partial "already running"
	pids=$(cat "$RUN"/sup/*.state | awk '{print $1}')
	sup=$(cat "$RUN/sup/supervisor.pid")
	run active-route -c "$T/ar.conf" stop
	assert_success
	assert_output --partial "stopped"
	! kill -0 "$sup" 2>/dev/null
	for p in $pids; do ! kill -0 "$p" 2>/dev/null; done
	grep -q "prefix-rank: info: stopping" "$RUN/sup/prefix-rank.log"
	run active-route -c "$T/ar.conf" status
	assert_failure 3
	assert_output --partial "not running"
}

@test "t905 least privilege: stages as the system user, route-push with CAP_NET_ADMIN only" {
	need_root
	active-route -c "$T/ar.conf" start
	wait_for 10 all_running
	wait_for 5 grep -q "started uid" "$RUN/sup/route-push.log"
	wait_for 5 grep -q "started uid" "$RUN/sup/prefix-rank.log"
	uid=$(id -u activeroute)
	[ "$uid" != 0 ]
	for s in sflow-decode bgp-learn prefix-rank bgp-announce; do
		wait_for 5 grep -q "started uid" "$RUN/sup/$s.log"
		grep -q "started uid=$uid CapEff:0000000000000000 " "$RUN/sup/$s.log"
	done
	# CAP_NET_ADMIN is bit 12
	grep -q "started uid=$uid CapEff:0000000000001000 " "$RUN/sup/route-push.log"
	# the run directory and FIFOs are the user's alone
	[ "$(stat -c '%a %U' "$RUN")" = "700 activeroute" ]
	for f in flows routes fib announce; do
		[ "$(stat -c '%a %U' "$RUN/$f.fifo")" = "600 activeroute" ]
	done
	[ "$(stat -c '%a %U' "$RUN/sup")" = "700 root" ]
}

@test "t906 a stage killed with SIGKILL is restarted; a crashing one backs off" {
	active-route -c "$T/ar.conf" start
	wait_for 10 all_running
	old=$(stage_pid prefix-rank)
	other=$(stage_pid bgp-learn)
	kill -KILL "$old"
	wait_for 5 bash -c "p=\$(awk '{print \$1}' $RUN/sup/prefix-rank.state); [ \"\$p\" != 0 ] && [ \"\$p\" != $old ] && kill -0 \$p"
	[ "$(stage_restarts prefix-rank)" = 1 ]
	# the others keep running
	[ "$(stage_pid bgp-learn)" = "$other" ]
	grep -q "prefix-rank (pid $old) exited with status 137" "$RUN/sup/supervisor.log"
	# a stage that keeps failing: delays double up to the maximum
	touch "$T/fail-sflow-decode"
	kill -TERM "$(stage_pid sflow-decode)"
	wait_for 10 bash -c "grep -c 'sflow-decode .* exited with status 1' $RUN/sup/supervisor.log | grep -qx '[4-9]'"
	grep 'sflow-decode .* exited' "$RUN/sup/supervisor.log" | grep -o 'restart in [0-9]* ms' | head -4 > "$T/delays"
	printf 'restart in %s ms\n' 200 400 800 800 | diff - "$T/delays"
	rm "$T/fail-sflow-decode"
	wait_for 5 grep -q "sflow-decode: info: started" "$RUN/sup/sflow-decode.log"
	grep -q "sflow-decode: error: told to fail" "$RUN/sup/sflow-decode.log"
}

@test "t907 SIGHUP to the supervisor reaches every stage" {
	active-route -c "$T/ar.conf" -f start &
	sup=$!
	wait_for 10 all_running
	old=$(stage_pid route-push)
	kill -HUP "$sup"
	# the stub has no HUP handler: it dies and is restarted, which shows
	# the signal arrived
	wait_for 5 bash -c "[ \"\$(awk '{print \$3}' $RUN/sup/route-push.state)\" -ge 1 ]"
	kill -TERM "$sup"
	wait "$sup"
	! kill -0 "$old" 2>/dev/null
}

@test "t908 runit: service directories that runsv runs, sv restarts" {
	need_cmd runsv sv svlogd chpst
	run active-route -c "$T/ar.conf" runit "$T/sv"
	assert_success
	for s in sflow-decode bgp-learn prefix-rank route-push bgp-announce; do
		[ -x "$T/sv/$s/run" ] && [ -x "$T/sv/$s/finish" ] && [ -x "$T/sv/$s/log/run" ]
		grep -q "exec $s\$" "$T/sv/$s/run"
	done
	grep -q "svlogd -tt" "$T/sv/prefix-rank/log/run"
	# one service under runsv: prefix-rank opens its input FIFOs itself;
	# the test reads its output FIFO in route-push's place
	( for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do [ -p "$RUN/fib.fifo" ] && timeout 1 cat "$RUN/fib.fifo"; sleep 0.1; done >/dev/null 2>&1 ) &
	runsv "$T/sv/prefix-rank" &
	RUNSV_PID=$!
	wait_for 10 bash -c "sv status $T/sv/prefix-rank | grep -q '^run:'"
	pid1=$(sv status "$T/sv/prefix-rank" | sed -E 's/^run: [^(]*\(pid ([0-9]+)\).*/\1/')
	sv restart "$T/sv/prefix-rank"
	wait_for 10 bash -c "sv status $T/sv/prefix-rank | grep -q '^run:' && ! sv status $T/sv/prefix-rank | grep -q '^run: [^(]*(pid $pid1)'"
	wait_for 10 grep -q "args: -c $T/ar.conf --routes" "$T/sv/prefix-rank/log/main/current"
	sv force-stop "$T/sv/prefix-rank"
	sv exit "$T/sv/prefix-rank"
	wait "$RUNSV_PID" || true
	RUNSV_PID=
}

@test "t909 runit refuses a bad config and writes nothing" {
	echo "bgp.learn.peer-as = none" >> "$T/ar.conf"
	run active-route -c "$T/ar.conf" runit "$T/sv"
	assert_output --partial "bad value for bgp.learn.peer-as"
	assert_failure 2
	assert_output --partial "not written" || assert_output --partial "nothing written"
	[ ! -e "$T/sv" ]
}

@test "t910 the example config passes check with the real programs" {
	for p in sflow-decode bgp-speaker prefix-rank route-push flow-watch http-api; do
		[ -x "$AR_BUILD/bin/$p" ] || skip "$p is not built"
	done
	AR_BINDIR=$AR_BUILD/bin run active-route -c "$TOP_DIR/pipelines/activeroute.conf.example" check
	assert_success
	assert_output --partial "ok (sflow-decode bgp-learn prefix-rank route-push bgp-announce http-api; target bgp)"
	# its commented flow-watch block, taken in, is a flow-watch stage
	sed 's/^# \(watch\.\)/\1/' "$TOP_DIR/pipelines/activeroute.conf.example" > "$T/w.conf"
	AR_BINDIR=$AR_BUILD/bin run active-route -c "$T/w.conf" check
	assert_success
	assert_output --partial "ok (sflow-decode bgp-learn prefix-rank flow-watch route-push bgp-announce http-api; target bgp)"
	# a key the real program does not have is named with its line
	sed 's/^rank.max-routes = 10000$/rank.max-route = 10000/' "$TOP_DIR/pipelines/activeroute.conf.example" > "$T/ex.conf"
	n=$(grep -n '^rank.max-route = ' "$T/ex.conf" | cut -d: -f1)
	AR_BINDIR=$AR_BUILD/bin run active-route -c "$T/ex.conf" check
	assert_failure 2
	assert_output --partial "ex.conf:$n: unknown key \"rank.max-route\": prefix-rank has no option --max-route"
}
