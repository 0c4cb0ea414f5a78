#!/usr/bin/env bats
# active-route starts http-api as one more stage when http.listen is set,
# wired to the run directory's sockets and stats files, as the unprivileged
# user; the other stages are stubs here (t900's way), http-api the real one.
load lib/common

# A stub stage whose --check is the real program's, as in t900.
stub() {
	cat > "$T/bin/$1" <<-EOF
	#!/bin/bash
	for a in "\$@"; do [ "\$a" = --check ] && exec "$AR_BUILD/bin/$1" "\$@"; done
	trap 'exit 0' TERM
	while :; do sleep 0.3; done
	EOF
	chmod 755 "$T/bin/$1"
}

setup() {
	plain_build_only "the supervisor is bash; http-api's code runs under the sanitizers in t70x"
	chmod o+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" 2>/dev/null || true
	mkdir -p "$T/bin"
	stub sflow-decode
	stub bgp-speaker
	stub prefix-rank
	stub route-push
	ln -s "$AR_BUILD/bin/http-api" "$T/bin/http-api"
	ln -s "$AR_BUILD/bin/ar-conf" "$T/bin/ar-conf"
	export AR_BINDIR=$T/bin AR_STOP_WAIT_S=3
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat > "$T/ar.conf" <<-EOF
	rundir = $T/run
	sflow.listen = 127.0.0.1:16343
	bgp.local-as = 65000
	bgp.peer-as = 65000
	bgp.router-id = 198.18.0.254
	bgp.neighbor = 198.18.0.1
	bgp.learn.listen = 127.0.0.1:11179
	rank.max-routes = 1234
	push.netlink = yes
	http.listen = 127.0.0.1:$port
	EOF
	chmod 644 "$T/ar.conf"
}

teardown() {
	active-route -c "$T/ar.conf" stop >/dev/null 2>&1 || true
}

@test "t740 active-route start runs http-api wired to the run directory" {
	run active-route -c "$T/ar.conf" start
	assert_success
	wait_for 10 sh -c "curl -sf http://127.0.0.1:$port/config/json >/dev/null" ||
		{ cat "$T/run/sup/"*.log; fail "http-api did not answer"; }
	curl -sf "http://127.0.0.1:$port/config/json" | jq -e '.capacity.ipv4 == 1234 and .router == "198.18.0.1"'
	# its argv: the rank socket, the flow socket and the stats files
	pid=$(awk '{print $1}' "$T/run/sup/http-api.state")
	tr '\0' ' ' < "/proc/$pid/cmdline" > "$T/argv"
	grep -q -- "--rank $T/run/rank.sock --flow $T/run/watch.sock" "$T/argv"
	grep -q -- "--stats $T/run/prefix-rank.stats" "$T/argv"
	grep -q -- "--stats $T/run/route-push.stats" "$T/argv"
	if [ "$(id -u)" = 0 ]; then
		[ "$(stat -c %U "/proc/$pid")" = activeroute ] || fail "http-api runs as $(stat -c %U "/proc/$pid")"
	fi
	# prefix-rank is a stub without a socket: a 503, not a hang
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/bgp/topprefixes/198.18.0.1/json"
	assert_output 503
	run active-route -c "$T/ar.conf" status
	assert_output --partial http-api
	run active-route -c "$T/ar.conf" stop
	assert_success
	run curl -s -m 2 "http://127.0.0.1:$port/metrics"
	assert_failure
}
