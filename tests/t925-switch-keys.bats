#!/usr/bin/env bats
# Every switch key of every program, "= yes" and "= no" and each synonym,
# tested by what it makes the program do (activeroute.conf(5): a switch is
# yes/no, true/false, on/off, 1/0, in any case).
load lib/common
load lib/netns
load tools/push-lib

YES=(yes Yes true TRUE on 1)
NO=(no NO false off Off 0)

snapshot() {
	printf '%s\n' '{"type":"sync","phase":"begin"}' \
		'{"type":"route","op":"add","prefix":"198.18.4.0/24","nexthop":"198.18.1.1","value":1.0}' \
		'{"type":"route","op":"add","prefix":"2001:db8:5::/48","nexthop":"2001:db8:1::1","value":1.0}' \
		'{"type":"sync","phase":"end"}' | rec-json -r > "$T/snap.rec"
}

@test "t925 push.netlink = yes with push.bgp = no programs the kernel (namespace), prints nothing" {
	push_lab
	snapshot
	local v
	for v in "${NO[@]}"; do
		printf 'push.netlink = yes\npush.bgp = %s\npush.table = 100\n' "$v" > "$T/x.conf"
		ip -n "$NS" route flush table 100 2>/dev/null || true
		run ip netns exec "$NS" route-push -c "$T/x.conf" -i "$T/snap.rec"
		assert_success
		# no route records on stdout: the kernel got them
		[ -z "$(rec-json -q <<<"$output" 2>/dev/null)" ] || fail "push.bgp = $v wrote records"
		run ip -n "$NS" route show table 100 proto 77
		assert_output --partial "198.18.4.0/24 via 198.18.1.1"
		run ip -n "$NS" -6 route show table 100 proto 77
		assert_output --partial "2001:db8:5::/48 via 2001:db8:1::1"
	done
	netns_cleanup
}

@test "t926 push.bgp = yes writes route records; = no leaves the other target" {
	snapshot
	local v
	for v in "${YES[@]}"; do
		printf 'push.bgp = %s\n' "$v" > "$T/x.conf"
		route-push -c "$T/x.conf" -i "$T/snap.rec" > "$T/out"
		[ "$(rec-json "$T/out" | jq -r 'select(.type=="route") | .prefix' | sort | tr '\n' ' ')" = "198.18.4.0/24 2001:db8:5::/48 " ] ||
			fail "push.bgp = $v: no route records"
	done
	for v in "${NO[@]}"; do
		printf 'push.bgp = %s\npush.dry-run = yes\n' "$v" > "$T/x.conf"
		run route-push -c "$T/x.conf" -i "$T/snap.rec"
		assert_success
		assert_output --partial "add 198.18.4.0/24"
	done
	# two targets on in the file is an error; the command line wins over it
	printf 'push.bgp = yes\npush.dry-run = on\n' > "$T/x.conf"
	run route-push -c "$T/x.conf" --check
	assert_failure 2
	assert_output --partial "x.conf:2: bad value for push.dry-run"
	printf 'push.bgp = yes\n' > "$T/x.conf"
	run route-push -c "$T/x.conf" --dry-run -i "$T/snap.rec"
	assert_success
	assert_output --partial "add 198.18.4.0/24"
	# netlink off and nothing else on: no target, said so
	printf 'push.netlink = off\n' > "$T/x.conf"
	run route-push -c "$T/x.conf" --check
	assert_failure 2
	assert_output --partial "no target"
}

@test "t927 push.dry-run = yes prints the changes; = no does not" {
	snapshot
	local v
	for v in "${YES[@]}"; do
		printf 'push.dry-run = %s\n' "$v" > "$T/x.conf"
		run route-push -c "$T/x.conf" -i "$T/snap.rec"
		assert_success
		assert_output --partial "add 2001:db8:5::/48"
	done
	for v in "${NO[@]}"; do
		printf 'push.dry-run = %s\npush.bgp = yes\n' "$v" > "$T/x.conf"
		route-push -c "$T/x.conf" -i "$T/snap.rec" > "$T/out"
		! grep -q "add 198.18.4.0/24" "$T/out" || fail "push.dry-run = $v printed a dry run"
		[ -s "$T/out" ]
	done
}

@test "t928 push.flush-on-exit = yes removes our routes on SIGTERM, = no keeps them (namespace)" {
	push_lab
	snapshot
	local v want
	for v in yes off; do
		printf 'push.table = 100\npush.flush-on-exit = %s\n' "$v" > "$T/x.conf"
		ip -n "$NS" route flush table 100 2>/dev/null || true
		rm -f "$T/fifo"; mkfifo "$T/fifo"
		netns_bg "$NS" "$T/log" route-push -c "$T/x.conf" -i "$T/fifo"
		cat "$T/snap.rec" > "$T/fifo"
		wait_for 5 bash -c "ip -n $NS route show table 100 proto 77 | grep -q 198.18.4.0"
		kill -TERM "$NETNS_LAST_PID"
		wait "$NETNS_LAST_PID" || true
		if [ "$v" = yes ]; then want=0; else want=1; fi
		[ "$(ip -n "$NS" route show table 100 proto 77 | wc -l)" = "$want" ] ||
			fail "push.flush-on-exit = $v: $(ip -n "$NS" route show table 100 proto 77 | wc -l) routes left"
	done
	netns_cleanup
}

@test "t929 sflow.counters and sflow.quiet: yes and no" {
	need_shared_data sflow/tcpdump-sflow-print-v6.pcap
	local pcap=$SHARED_DATA/sflow/tcpdump-sflow-print-v6.pcap v n
	for v in "${YES[@]}"; do
		printf 'sflow.counters = %s\n' "$v" > "$T/x.conf"
		n=$(sflow-decode -q -c "$T/x.conf" -r "$pcap" | rec-json -t counter | wc -l)
		[ "$n" -gt 0 ] || fail "sflow.counters = $v: no counter records"
	done
	for v in "${NO[@]}"; do
		printf 'sflow.counters = %s\n' "$v" > "$T/x.conf"
		n=$(sflow-decode -q -c "$T/x.conf" -r "$pcap" | rec-json -t counter | wc -l)
		[ "$n" = 0 ] || fail "sflow.counters = $v: $n counter records"
	done
	# quiet: the summary at exit on stderr, or not
	for v in "${YES[@]}"; do
		printf 'sflow.quiet = %s\n' "$v" > "$T/x.conf"
		sflow-decode -c "$T/x.conf" -r "$pcap" 2>"$T/err" >/dev/null
		! grep -q "summary:" "$T/err" || fail "sflow.quiet = $v: a summary"
	done
	for v in "${NO[@]}"; do
		printf 'sflow.quiet = %s\n' "$v" > "$T/x.conf"
		sflow-decode -c "$T/x.conf" -r "$pcap" 2>"$T/err" >/dev/null
		grep -q "summary:" "$T/err" || fail "sflow.quiet = $v: no summary"
	done
}

@test "t930 rank.replay = yes ends at the end of input; = no keeps running" {
	printf '%s\n' '{"type":"sync","phase":"begin"}' \
		'{"type":"route","op":"add","prefix":"198.18.4.0/24","nexthop":"198.18.1.1"}' \
		'{"type":"sync","phase":"end"}' | rec-json -r > "$T/r.rec"
	local v rc
	for v in "${YES[@]}"; do
		printf 'rank.replay = %s\n' "$v" > "$T/x.conf"
		rc=0; timeout 10 prefix-rank -c "$T/x.conf" -r "$T/r.rec" >/dev/null 2>&1 || rc=$?
		[ "$rc" = 0 ] || fail "rank.replay = $v: exit $rc"
	done
	for v in "${NO[@]}"; do
		printf 'rank.replay = %s\n' "$v" > "$T/x.conf"
		rc=0; timeout 1.5 prefix-rank -c "$T/x.conf" -r "$T/r.rec" >/dev/null 2>&1 || rc=$?
		[ "$rc" = 124 ] || fail "rank.replay = $v: exit $rc, not still running"
	done
}
