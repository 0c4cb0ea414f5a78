#!/usr/bin/env bats
# bgp-speaker: options, and sessions with BIRD 2 in network namespaces.

load lib/common
load lib/netns
source "$TESTS_DIR/tools/bgp-lab.bash"

teardown() { netns_cleanup; }

@test "bgp-speaker --help, --version, usage and config errors" {
	run bgp-speaker --help
	assert_success
	assert_output --partial "usage: bgp-speaker"
	run bgp-speaker --version
	assert_success
	assert_output --regexp '^bgp-speaker \(activeroute\) [0-9]'
	run bgp-speaker --bogus
	assert_failure 2
	run bgp-speaker --router-id 198.18.0.2
	assert_failure 2
	assert_output --partial "--local-as is required"
	run bgp-speaker --local-as 65000 --router-id 198.18.0.2 --hold-time 2 --check
	assert_failure 2
	printf 'bgp.local-as = 65000\nbgp.router-id = 198.18.0.2\nbgp.hold-time = 30\n' > "$T/c.conf"
	run bgp-speaker -c "$T/c.conf" --check
	assert_success
	# an instance's keys apply with --name only
	printf 'bgp.local-as = 65000\nbgp.learn.router-id = 198.18.0.2\n' > "$T/inst.conf"
	run bgp-speaker -c "$T/inst.conf" --name learn --check
	assert_success
	run bgp-speaker -c "$T/inst.conf" --check
	assert_failure 2
	assert_output --partial "--router-id is required"
	printf 'bgp.local-as = 65000\nbgp.router-id = nope\n' > "$T/bad.conf"
	run bgp-speaker -c "$T/bad.conf" --check
	assert_failure 2
	assert_output --partial "bad.conf:2"
}

@test "learn: the table equals BIRD's peers table (IPv4 + IPv6, attributes), sync-framed" {
	lab_setup
	gen_upstream 300 40
	bird_conf "$T/bird.conf"
	bird_start "$T/bird.conf"
	speaker_bg learn -r none
	wait_for 20 rec_has_end "$T/learn.rec" || fail "no sync end: $(cat "$T/learn.err")"
	{ bird_table_norm peers; bird_table_norm peers6; } | sort > "$T/bird.txt"
	rec_table_norm "$T/learn.rec" > "$T/ours.txt"
	[ "$(wc -l < "$T/bird.txt")" -eq 341 ] || fail "BIRD has $(wc -l < "$T/bird.txt") routes"
	run diff -u "$T/bird.txt" "$T/ours.txt"
	assert_success
	rec-json < "$T/learn.rec" | head -2 | jq -r .type | tr '\n' ' ' > "$T/first"
	[ "$(cat "$T/first")" = "peer sync " ]
	run rec_count "$T/learn.rec" 'select(.type == "peer" and .state == "up" and .as == 65000)'
	assert_output 1
}

@test "announce: records become routes in BIRD's master table and the kernel; withdrawals remove them" {
	lab_setup
	bird_conf "$T/bird.conf"
	bird_start "$T/bird.conf"
	mkfifo "$T/in.fifo"
	speaker_bg ann --listen :1180 -r "$T/in.fifo" -o /dev/null
	exec 7> "$T/in.fifo"
	{
		echo '{"type":"sync","phase":"begin"}'
		for i in $(seq 0 49); do
			echo "{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"198.19.$i.0/24\",\"nexthop\":\"$SPK_A4\",\"aspath\":[4200000009],\"communities\":[\"65000:$((i % 2))\"]}"
		done
		echo "{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"2001:db8:beef::/48\",\"nexthop\":\"$SPK_A6\"}"
		echo '{"type":"sync","phase":"end"}'
	} | rec-json -r >&7
	wait_for 15 bash -c "[ \$(ip -n $NS_B route | grep -c '^198.19.*proto bird') -eq 50 ]" || fail "kernel: $(ip -n "$NS_B" route)"
	wait_for 5 bash -c "ip -n $NS_B -6 route | grep -q '2001:db8:beef::/48 via 2001:db8::2'"
	run birdc_ show route protocol from_sflow_rt 198.19.7.0/24 all
	assert_output --partial "BGP.as_path: 4200000009"
	assert_output --partial "(65000,1)"
	# a deletion, then a complete state that drops 198.19.1-49 and adds one
	echo '{"type":"route","op":"del","prefix":"198.19.0.0/24"}' | rec-json -r >&7
	{
		echo '{"type":"sync","phase":"begin"}'
		echo "{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"198.19.1.0/24\",\"nexthop\":\"$SPK_A4\",\"aspath\":[4200000009],\"communities\":[\"65000:1\"]}"
		echo "{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"198.19.200.0/24\",\"nexthop\":\"$SPK_A4\"}"
		echo '{"type":"sync","phase":"end"}'
	} | rec-json -r >&7
	wait_for 15 bash -c "[ \$(ip -n $NS_B route | grep -c '^198.19.*proto bird') -eq 2 ]" || fail "kernel: $(ip -n "$NS_B" route)"
	ip -n "$NS_B" route | grep -q '^198.19.200.0/24 via 198.18.0.2'
	ip -n "$NS_B" route | grep -q '^198.19.1.0/24 via 198.18.0.2'
	! ip -n "$NS_B" -6 route | grep -q 'beef'
	exec 7>&-
}

@test "announce: the Adj-RIB-Out is sent again after the peer restarts, then End-of-RIB" {
	lab_setup
	bird_conf "$T/bird.conf"
	bird_start "$T/bird.conf"
	echo "{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"198.19.9.0/24\",\"nexthop\":\"$SPK_A4\"}" | rec-json -r > "$T/in.rec"
	speaker_bg ann --listen :1180 -r "$T/in.rec" -o /dev/null
	wait_for 15 bash -c "ip -n $NS_B route | grep -q '^198.19.9.0/24'"
	local bpid; bpid=$(cat "$T/bird.pid")
	birdc_ down > /dev/null
	wait_for 5 bash -c "! kill -0 $bpid 2>/dev/null"
	! ip -n "$NS_B" route | grep -q '^198.19.9.0/24' || true
	bird_start "$T/bird.conf"
	wait_for 20 bash -c "ip -n $NS_B route | grep -q '^198.19.9.0/24'" || fail "$(cat "$T/ann.err")"
	grep -q "session closed" "$T/ann.err"
}

@test "learn: peer restart gives peer down, then a new complete table" {
	lab_setup
	gen_upstream 20 5
	bird_conf "$T/bird.conf"
	bird_start "$T/bird.conf"
	speaker_bg learn -r none
	wait_for 20 rec_has_end "$T/learn.rec"
	local bpid; bpid=$(cat "$T/bird.pid")
	birdc_ down > /dev/null
	wait_for 5 bash -c "! kill -0 $bpid 2>/dev/null"
	bird_start "$T/bird.conf"
	wait_for 20 rec_has_end "$T/learn.rec" 2 || fail "$(cat "$T/learn.err")"
	rec-json < "$T/learn.rec" | jq -r 'select(.type != "route") | .type + " " + (.state // .phase)' > "$T/seq"
	run cat "$T/seq"
	assert_output "peer up
sync begin
sync end
peer down
peer up
sync begin
sync end"
	run rec_count "$T/learn.rec" 'select(.type == "peer" and .state == "down" and (.reason | test("shutdown|closed"; "i")))'
	assert_output 1
}

@test "hold timer expiry when the peer is frozen (SIGSTOP)" {
	lab_setup
	bird_conf "$T/bird.conf"
	bird_start "$T/bird.conf"
	speaker_bg learn -r none --hold-time 3
	wait_for 15 grep -q "Established" "$T/learn.err"
	kill -STOP "$(cat "$T/bird.pid")"
	wait_for 10 grep -q "hold timer expired" "$T/learn.err" || { kill -CONT "$(cat "$T/bird.pid")"; fail "$(cat "$T/learn.err")"; }
	kill -CONT "$(cat "$T/bird.pid")"
	grep -q "sent NOTIFICATION 4/0" "$T/learn.err"
	run rec_count "$T/learn.rec" 'select(.type == "peer" and .state == "down" and (.reason | test("hold timer")))'
	assert_output 1
}

@test "a NOTIFICATION from the peer is logged with its shutdown communication" {
	lab_setup
	bird_conf "$T/bird.conf"
	bird_start "$T/bird.conf"
	speaker_bg learn -r none
	wait_for 15 grep -q "Established" "$T/learn.err"
	birdc_ disable to_sflow_rt '"maintenance window 42"' > /dev/null
	wait_for 5 grep -q "received NOTIFICATION 6/2" "$T/learn.err" || fail "$(cat "$T/learn.err")"
	grep -q 'maintenance window 42' "$T/learn.err"
}

@test "a connection from another address is refused and logged" {
	lab_setup
	bird_conf "$T/bird.conf"
	bird_start "$T/bird.conf"
	ip netns exec "$NS_S" bgp-speaker --local-as 65000 --router-id "$SPK_A4" --neighbor 198.18.0.9 \
		-r none > "$T/x.rec" 2> "$T/x.err" &
	netns_track_pid $!
	wait_for 10 grep -q "connection from 198.18.0.1 refused" "$T/x.err" || fail "$(cat "$T/x.err")"
	! grep -q Established "$T/x.err"
}

@test "SIGTERM sends a Cease with the shutdown communication (RFC 9003)" {
	lab_setup
	bird_conf "$T/bird.conf"
	bird_start "$T/bird.conf"
	speaker_bg learn -r none --shutdown-message "planned restart 7"
	wait_for 15 grep -q "Established" "$T/learn.err"
	kill -TERM "$SPK_PID"
	wait "$SPK_PID" || fail "exit status $?"
	wait_for 5 grep -q 'Administrative shutdown: "planned restart 7"' "$T/bird.log" || fail "$(grep RMT "$T/bird.log")"
	run rec_count "$T/learn.rec" 'select(.type == "peer" and .state == "down")'
	assert_output 1
}

@test "a stopped reader of the output for 3x the hold time does not cost the session" {
	plain_build_only "10 s of waiting on timers; the blocked-output paths run under ASan in the FIFO tests"
	lab_setup
	gen_upstream 3000 0
	bird_conf "$T/bird.conf"
	sed -i 's/hold time 9;/hold time 3;/' "$T/bird.conf"
	mkfifo "$T/out.fifo"
	speaker_bg learn -r none -o "$T/out.fifo" --output-buffer 8192 --hold-time 3
	cat "$T/out.fifo" > "$T/got.rec" &
	local reader=$!
	netns_track_pid "$reader"
	# the reader has the FIFO open, then stops before the table comes
	wait_for 10 bash -c "ls -l /proc/$SPK_PID/fd | grep -q out.fifo" || fail "$(cat "$T/learn.err")"
	kill -STOP "$reader"
	bird_start "$T/bird.conf"
	wait_for 15 grep -q "Established" "$T/learn.err" || fail "$(cat "$T/learn.err")"
	sleep 10
	bird_proto_up to_sflow_rt || fail "BIRD dropped the session"
	! grep -q "session closed" "$T/learn.err"
	kill -CONT "$reader"
	wait_for 20 bash -c "rec-json < $T/got.rec 2>/dev/null | grep -q '\"end\"'" || fail "$(cat "$T/learn.err")"
	run rec_count "$T/got.rec" 'select(.type == "route" and .op == "add")'
	assert_output 3001
	! grep -q "session closed" "$T/learn.err"
}

@test "a restarted reader of the output FIFO gets the complete table again, session kept" {
	lab_setup
	gen_upstream 100 10
	bird_conf "$T/bird.conf"
	bird_start "$T/bird.conf"
	mkfifo "$T/out.fifo"
	speaker_bg learn -r none -o "$T/out.fifo"
	cat "$T/out.fifo" > "$T/one.rec" &
	local r1=$!
	wait_for 20 rec_has_end "$T/one.rec" || fail "$(cat "$T/learn.err")"
	kill "$r1"; wait "$r1" || true
	# the writer learns the reader is gone at its next write: a keepalive
	# does not write records, so make BIRD send an UPDATE
	echo "route 10.250.0.0/24 via $BIRD_A4;" >> "$T/upstream4.conf"
	bird_conf "$T/bird.conf"
	birdc_ configure > /dev/null
	sleep 1
	cat "$T/out.fifo" > "$T/two.rec" &
	local r2=$!
	netns_track_pid "$r2"
	wait_for 20 rec_has_end "$T/two.rec" || fail "$(cat "$T/learn.err")"
	rec-json < "$T/two.rec" > "$T/two.jsonl"
	[ "$(jq -c 'select(.type == "route" and .op == "add")' "$T/two.jsonl" | sort -u | wc -l)" -ge 112 ]
	grep -q '"phase":"begin"' "$T/two.jsonl"
	! grep -q "session closed" "$T/learn.err"
	grep -q "route refresh sent (enhanced)" "$T/learn.err"
}

@test "a quiet table: the reader's exit is noticed without an UPDATE, the next reader gets it all" {
	lab_setup
	gen_upstream 100 10
	bird_conf "$T/bird.conf"
	bird_start "$T/bird.conf"
	mkfifo "$T/out.fifo"
	speaker_bg learn -r none -o "$T/out.fifo"
	cat "$T/out.fifo" > "$T/one.rec" &
	local r1=$!
	wait_for 20 rec_has_end "$T/one.rec" || fail "$(cat "$T/learn.err")"
	kill "$r1"; wait "$r1" || true
	# no UPDATE follows: POLLERR on the FIFO tells the speaker
	wait_for 5 grep -q "reopening" "$T/learn.err" || fail "reader's exit not noticed: $(cat "$T/learn.err")"
	# and with no reader it does not spin on that POLLERR
	local t0; t0=$(cpu_ticks "$SPK_PID")
	sleep 2
	[ $(( $(cpu_ticks "$SPK_PID") - t0 )) -lt 50 ] || fail "bgp-speaker busy while its reader is gone"
	cat "$T/out.fifo" > "$T/two.rec" &
	local r2=$!
	netns_track_pid "$r2"
	wait_for 20 rec_has_end "$T/two.rec" || fail "$(cat "$T/learn.err")"
	rec-json < "$T/two.rec" > "$T/two.jsonl"
	[ "$(jq -c 'select(.type == "route" and .op == "add")' "$T/two.jsonl" | sort -u | wc -l)" -ge 110 ]
	! grep -q "session closed" "$T/learn.err"
}

@test "route refresh from the peer re-sends the Adj-RIB-Out (enhanced: BoRR/EoRR)" {
	lab_setup
	bird_conf "$T/bird.conf"
	bird_start "$T/bird.conf"
	echo "{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"198.19.9.0/24\",\"nexthop\":\"$SPK_A4\"}" | rec-json -r > "$T/in.rec"
	speaker_bg ann --listen :1180 -r "$T/in.rec" -o /dev/null
	wait_for 15 bash -c "ip -n $NS_B route | grep -q '^198.19.9.0/24'"
	birdc_ reload in from_sflow_rt > /dev/null
	wait_for 5 grep -q "route refresh for IPv4 requested" "$T/ann.err" || fail "$(cat "$T/ann.err")"
	sleep 1
	ip -n "$NS_B" route | grep -q '^198.19.9.0/24'
	! grep -q "session closed" "$T/ann.err"
}

@test "TCP MD5 signatures (RFC 2385) with BIRD" {
	lab_setup
	bird_conf "$T/bird.conf"
	sed -i 's/\tneighbor 198.18.0.2 port 1179 as 65000;/&\n\tpassword "s3cret";/' "$T/bird.conf"
	bird_start "$T/bird.conf"
	speaker_bg learn -r none --md5-password s3cret
	wait_for 15 grep -q "Established" "$T/learn.err" || fail "$(cat "$T/learn.err")"
}

@test "extended messages (RFC 8654) are used only when both sides advertise them" {
	lab_setup
	gen_upstream 5 0
	bird_conf "$T/bird.conf"
	sed -i 's/\thold time 9;/&\n\tenable extended messages on;/' "$T/bird.conf"
	bird_start "$T/bird.conf"
	speaker_bg learn -r none
	wait_for 20 rec_has_end "$T/learn.rec" || fail "$(cat "$T/learn.err")"
	grep -q "OPEN AS 65000 .* extended-messages" "$T/learn.err"
	netns_cleanup
	lab_setup
	bird_conf "$T/bird.conf"
	sed -i 's/\thold time 9;/&\n\tenable extended messages on;/' "$T/bird.conf"
	bird_start "$T/bird.conf"
	speaker_bg learn2 -r none --no-extended-messages
	wait_for 20 rec_has_end "$T/learn2.rec" || fail "$(cat "$T/learn2.err")"
	! grep -q "extended-messages" "$T/learn2.err"
}

@test "an IPv6 session: global + link-local next hops learned from BIRD, announced back" {
	lab_setup
	gen_upstream 0 3
	bird_conf "$T/bird.conf" 1179 1180 "
protocol bgp to_v6 {
	local $BIRD_A6 as 65000;
	neighbor $SPK_A6 port 1181 as 65000;
	direct;
	hold time 9;
	connect delay time 1;
	connect retry time 1;
	ipv6 { table peers6; import none; export all; next hop self; };
}
protocol bgp from_v6 {
	local $BIRD_A6 as 65000;
	neighbor $SPK_A6 port 1182 as 65000;
	direct;
	hold time 9;
	connect delay time 1;
	connect retry time 1;
	ipv6 { import all; export none; };
}"
	# BIRD sends a link-local next hop only once the address is usable
	wait_for 10 bash -c "[ -z \"\$(ip -n $NS_B -6 addr show dev vb tentative)\" ] && [ -z \"\$(ip -n $NS_S -6 addr show dev vs tentative)\" ]"
	bird_start "$T/bird.conf"
	ip netns exec "$NS_S" bgp-speaker --local-as 65000 --router-id "$SPK_A4" --neighbor "$BIRD_A6" \
		--listen "[$SPK_A6]:1181" --family ipv6 -r none > "$T/v6.rec" 2> "$T/v6.err" &
	netns_track_pid $!
	wait_for 20 rec_has_end "$T/v6.rec" || fail "$(cat "$T/v6.err")"
	rec-json < "$T/v6.rec" | jq -c 'select(.type == "route")' > "$T/v6.jsonl"
	[ "$(wc -l < "$T/v6.jsonl")" -eq 3 ]
	local ll; ll=$(ip -n "$NS_B" -6 addr show dev vb scope link | awk '/inet6/ {sub(/\/.*/, "", $2); print $2}')
	[ -n "$ll" ]
	run jq -r '.nexthop + " " + .nexthopll' "$T/v6.jsonl"
	assert_line "$BIRD_A6 $ll"
	# announce with both next hops (as learned), over the IPv6 session
	local myll; myll=$(ip -n "$NS_S" -6 addr show dev vs scope link | awk '/inet6/ {sub(/\/.*/, "", $2); print $2}')
	echo "{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"2001:db8:f00::/48\",\"nexthop\":\"$SPK_A6\",\"nexthopll\":\"$myll\"}" |
		rec-json -r > "$T/in6.rec"
	ip netns exec "$NS_S" bgp-speaker --local-as 65000 --router-id "$SPK_A4" --neighbor "$BIRD_A6" \
		--listen "[$SPK_A6]:1182" -r "$T/in6.rec" -o /dev/null 2> "$T/a6.err" &
	netns_track_pid $!
	wait_for 15 bash -c "ip -n $NS_B -6 route | grep -q '2001:db8:f00::/48'" || fail "$(cat "$T/a6.err"; birdc_ show route all protocol from_v6)"
}

# bird_gr FILE: the seed's configuration with graceful restart on toward us,
# and a short recovery wait for the restarted BIRD
bird_gr() {
	bird_conf "$1"
	sed -i "s/neighbor $SPK_A4 port 1179 as 65000;/& graceful restart on; graceful restart time 30;/" "$1"
	sed -i '1i graceful restart wait 1;' "$1"
}

@test "graceful restart helper with BIRD: routes kept over its restart, the one not announced again goes at End-of-RIB" {
	lab_setup
	gen_upstream 20 0
	bird_gr "$T/bird.conf"
	bird_start "$T/bird.conf"
	speaker_bg learn -r none --family ipv4
	wait_for 20 rec_has_end "$T/learn.rec" || fail "$(cat "$T/learn.err")"
	local bpid; bpid=$(cat "$T/bird.pid")
	# BIRD goes without a NOTIFICATION, keeping its kernel routes
	birdc_ graceful restart > /dev/null
	wait_for 5 bash -c "! kill -0 $bpid 2>/dev/null"
	wait_for 5 grep -q "its routes kept for up to 30 s" "$T/learn.err" || fail "$(cat "$T/learn.err")"
	# and comes back (-R: recovery) with one route fewer
	sed -i '/route 10\.0\.5\.0\/24/d' "$T/upstream4.conf"
	bird_gr "$T/bird.conf"
	rm -f "$T/bird.pid"
	ip netns exec "$NS_B" bird -R -c "$T/bird.conf" -s "$BIRD_SOCK" -P "$T/bird.pid"
	wait_for 5 test -s "$T/bird.pid" && netns_track_pid "$(cat "$T/bird.pid")"
	wait_for 20 rec_has_end "$T/learn.rec" 2 || fail "$(cat "$T/learn.err")"
	framing "$T/learn.rec" > "$T/framing"
	cat "$T/learn.err" "$T/framing"
	if grep -q "back without its forwarding state" "$T/learn.err"; then
		# BIRD's recovery OPEN sometimes lacks the F bit (its kernel
		# protocol's state at that moment): RFC 4724 4.2 says drop the
		# stale routes then, and the speaker must have done just that.
		run cat "$T/framing"
		assert_output "peer up
sync begin
sync end
peer down
sync begin
sync end
peer up
sync begin
sync end"
		skip "BIRD came back without its forwarding state this time: the helper path was not exercised"
	fi
	run cat "$T/framing"
	assert_output "peer up
sync begin
sync end
peer up
sync begin
sync end"
	# the reader's mark and sweep at the second sync end drops 10.0.5.0/24
	rec-json < "$T/learn.rec" | awk '/"phase":"begin"/ {n++} n == 2 && /"op":"add"/' > "$T/second"
	[ "$(wc -l < "$T/second")" = 20 ]
	! grep -q '"10.0.5.0/24"' "$T/second"
	grep -q "graceful restart: back" "$T/learn.err"
}

@test "output reopened, the peer has no route refresh: the session is reset, the new table follows" {
	lab_setup
	gen_upstream 30 0
	bird_conf "$T/bird.conf"
	sed -i "s/neighbor $SPK_A4 port 1179 as 65000;/& enable route refresh off;/" "$T/bird.conf"
	bird_start "$T/bird.conf"
	mkfifo "$T/out.fifo"
	speaker_bg learn -r none -o "$T/out.fifo" --family ipv4
	cat "$T/out.fifo" > "$T/one.rec" &
	local r1=$!
	wait_for 20 rec_has_end "$T/one.rec" || fail "$(cat "$T/learn.err")"
	kill "$r1"; wait "$r1" || true
	wait_for 5 grep -q "reopening" "$T/learn.err" || fail "$(cat "$T/learn.err")"
	cat "$T/out.fifo" > "$T/two.rec" &
	netns_track_pid $!
	wait_for 20 rec_has_end "$T/two.rec" || fail "$(cat "$T/learn.err")"
	grep -q "output reopened and the peer has no route refresh (sent NOTIFICATION 6/4" "$T/learn.err"
	run framing "$T/two.rec"
	assert_output "peer down
peer up
sync begin
sync end"
	run rec_count "$T/two.rec" 'select(.type == "route" and .op == "add")'
	assert_output 31
}

# learner ARGS...: bgp-speaker in NS_B connecting to ours (198.18.0.2:1179),
# its records in $T/peer.rec
learner() {
	ip netns exec "$NS_B" bgp-speaker --local-as 65000 --router-id "$BIRD_A4" \
		--connect "$SPK_A4:1179" --connect-retry 1 --eor-timeout 1 -r none "$@" \
		> "$T/peer.rec" 2> "$T/peer.err" &
	netns_track_pid $!
}

# learned PREFIX: the learner's records of PREFIX, "op nexthop [med]" a line
learned() {
	rec-json < "$T/peer.rec" | jq -r --arg p "$1" \
		'select(.type == "route" and .prefix == $p) | [.op, .nexthop // "-", (.med // "-" | tostring)] | join(" ")'
}

rt() { printf '{"type":"route","op":"add","prefix":"%s"%s}\n' "$1" "${2:+,$2}"; }

# announce_first N ARGS...: ours announces $T/in.rec (read whole before any
# session) with ARGS, then the learner connects and learns N routes
announce_first() {
	local n=$1; shift
	speaker_bg ann --listen "$SPK_A4:1179" "$@" -r "$T/in.rec" -o /dev/null
	wait_for 5 grep -q "end of input" "$T/ann.err"
	learner
	wait_for 15 bash -c "[ \$(rec-json < '$T/peer.rec' | grep -c '\"op\":\"add\"') -eq $n ]" ||
		fail "$(cat "$T/ann.err" "$T/peer.err")"
}

@test "announce: an --input FIFO whose writer restarts: routes kept, the new complete state replaces them (only changes sent)" {
	lab_setup
	mkfifo "$T/in.fifo"
	speaker_bg ann --listen "$SPK_A4:1179" -r "$T/in.fifo" -o /dev/null
	learner
	exec 7> "$T/in.fifo"
	{
		echo '{"type":"sync","phase":"begin"}'
		rt 198.19.1.0/24 '"nexthop":"198.18.0.9"'
		rt 198.19.2.0/24 '"nexthop":"198.18.0.9"'
		rt 198.19.3.0/24 '"nexthop":"198.18.0.9","med":1'
		echo '{"type":"sync","phase":"end"}'
	} | rec-json -r >&7
	wait_for 15 bash -c "[ \$(rec-json < '$T/peer.rec' | grep -c '\"op\":\"add\"') -eq 3 ]" ||
		fail "$(cat "$T/ann.err" "$T/peer.err")"
	exec 7>&-       # the writer goes (route-push restarted)
	wait_for 5 grep -q "the writer went away; 3 routes kept (stale)" "$T/ann.err" || fail "$(cat "$T/ann.err")"
	sleep 0.3
	! rec-json < "$T/peer.rec" | grep -q '"op":"del"'
	{
		echo '{"type":"sync","phase":"begin"}'
		rt 198.19.2.0/24 '"nexthop":"198.18.0.9"'
		rt 198.19.3.0/24 '"nexthop":"198.18.0.9","med":2'
		rt 198.19.4.0/24 '"nexthop":"198.18.0.9"'
		echo '{"type":"sync","phase":"end"}'
	} | rec-json -r > "$T/two.rec"
	cat "$T/two.rec" > "$T/in.fifo"     # a new writer, which goes too
	wait_for 10 bash -c "rec-json < '$T/peer.rec' | grep -q '\"198.19.4.0/24\"'" || fail "$(cat "$T/ann.err")"
	wait_for 5 bash -c "rec-json < '$T/peer.rec' | grep -q '\"op\":\"del\"'" || fail "$(cat "$T/ann.err")"
	sleep 0.3
	run learned 198.19.1.0/24
	assert_output "add 198.18.0.9 -
del - -"
	run learned 198.19.2.0/24
	assert_output "add 198.18.0.9 -"     # unchanged: not sent again
	run learned 198.19.3.0/24
	assert_output "add 198.18.0.9 1
add 198.18.0.9 2"
	run learned 198.19.4.0/24
	assert_output "add 198.18.0.9 -"
	kill -0 "$SPK_PID"
	[ "$(grep -c "the writer went away" "$T/ann.err")" = 2 ]
}

@test "announce: records read before the session without a next hop of their family get ours (IPv6 over an IPv4 session too)" {
	lab_setup
	{
		rt 198.19.1.0/24 '"nexthop":"198.18.0.9"'
		rt 198.19.2.0/24
		rt 2001:db8:1::/48
		rt 2001:db8:2::/48 '"nexthop":"198.18.0.9"'
		rt 2001:db8:3::/48 '"nexthop":"2001:db8::9"'
	} | rec-json -r > "$T/in.rec"
	announce_first 5
	run learned 198.19.1.0/24
	assert_output "add 198.18.0.9 -"
	run learned 198.19.2.0/24
	assert_output "add $SPK_A4 -"
	# the IPv4 session's interface has 2001:db8::2: the IPv6 next hop
	run learned 2001:db8:1::/48
	assert_output "add $SPK_A6 -"
	run learned 2001:db8:2::/48
	assert_output "add $SPK_A6 -"
	run learned 2001:db8:3::/48
	assert_output "add 2001:db8::9 -"
	! grep -q "next hop" "$T/ann.err"
}

@test "announce: --next-hop-self for records read before the session is up" {
	lab_setup
	{
		rt 198.19.1.0/24 '"nexthop":"198.18.0.9"'
		rt 2001:db8:1::/48 '"nexthop":"2001:db8::9"'
	} | rec-json -r > "$T/in.rec"
	announce_first 2 --next-hop-self
	run learned 198.19.1.0/24
	assert_output "add $SPK_A4 -"
	run learned 2001:db8:1::/48
	assert_output "add $SPK_A6 -"
}

@test "announce: an IPv6 route with no IPv6 address on an IPv4 session's interface waits for a session that has one" {
	lab_setup
	ip -n "$NS_S" -6 addr flush dev vs
	rt 2001:db8:1::/48 | rec-json -r > "$T/in.rec"
	speaker_bg ann --listen "$SPK_A4:1179" -r "$T/in.rec" -o /dev/null
	learner
	wait_for 10 grep -q "no IPv6 next hop on this session" "$T/ann.err" || fail "$(cat "$T/ann.err")"
	grep -q "no IPv6 address on the session's interface" "$T/ann.err"
	! rec-json < "$T/peer.rec" | grep -q '2001:db8:1::'
}

@test "--connect leaves from --source, or from the --listen address; the peer sees it" {
	lab_setup
	ip -n "$NS_S" addr add 198.18.0.3/24 dev vs
	# the peer accepts 198.18.0.3 only
	ip netns exec "$NS_B" bgp-speaker --local-as 65000 --router-id "$BIRD_A4" \
		--listen "$BIRD_A4:1179" --neighbor 198.18.0.3 -r none > "$T/peer.rec" 2> "$T/peer.err" &
	netns_track_pid $!
	run bgp-speaker --local-as 65000 --router-id 198.18.0.3 --connect "$BIRD_A4" --source 2001:db8::3 --check
	assert_failure 2
	assert_output --partial "--source: an IPv6 address for an IPv4 neighbor"
	printf 'bgp.local-as = 65000\nbgp.router-id = 198.18.0.3\nbgp.source = nope\n' > "$T/src.conf"
	run bgp-speaker -c "$T/src.conf" --check
	assert_failure 2
	assert_output --partial "src.conf:3"
	# the interface's primary address: refused
	speaker_bg plain --connect "$BIRD_A4:1179" --connect-retry 1 -r none
	wait_for 5 grep -q "connection from $SPK_A4 refused" "$T/peer.err" || fail "$(cat "$T/peer.err")"
	kill "$SPK_PID"; wait "$SPK_PID" || true
	speaker_bg src --connect "$BIRD_A4:1179" --source 198.18.0.3 --connect-retry 1 -r none
	wait_for 5 grep -q "neighbor 198.18.0.3: connection accepted" "$T/peer.err" || fail "$(cat "$T/peer.err" "$T/src.err")"
	wait_for 5 bash -c "rec-json < '$T/src.rec' | grep -q '\"state\":\"up\"'" || fail "$(cat "$T/src.err")"
	kill "$SPK_PID"; wait "$SPK_PID" || true
	: > "$T/peer.err.before"; cp "$T/peer.err" "$T/peer.err.before"
	speaker_bg lsn --listen 198.18.0.3:1180 --connect "$BIRD_A4:1179" --connect-retry 1 -r none
	wait_for 5 bash -c "[ \$(grep -c 'neighbor 198.18.0.3: connection accepted' '$T/peer.err') -ge 2 ]" ||
		fail "$(cat "$T/peer.err" "$T/lsn.err")"
	wait_for 5 bash -c "rec-json < '$T/lsn.rec' | grep -q '\"state\":\"up\"'" || fail "$(cat "$T/lsn.err")"
}

@test "bgp.next-hop-self from the config: yes and its synonyms replace the next hop, no and its synonyms keep it" {
	local v want
	for v in yes On 1 no off FALSE; do
		lab_setup
		rt 198.19.1.0/24 '"nexthop":"198.18.0.9"' | rec-json -r > "$T/in.rec"
		printf 'bgp.next-hop-self = %s\n' "$v" > "$T/nhs.conf"
		announce_first 1 -c "$T/nhs.conf"
		case $v in yes|On|1) want=$SPK_A4 ;; *) want=198.18.0.9 ;; esac
		run learned 198.19.1.0/24
		assert_output "add $want -"
		netns_cleanup
	done
}

@test "bgp.no-extended-messages from the config: yes offers none, no offers them (RFC 8654)" {
	local v
	for v in yes no; do
		lab_setup
		bird_conf "$T/bird.conf"
		sed -i 's/\thold time 9;/&\n\tenable extended messages on;/' "$T/bird.conf"
		bird_start "$T/bird.conf"
		printf 'bgp.no-extended-messages = %s\n' "$v" > "$T/ext.conf"
		speaker_bg ext$v -r none -c "$T/ext.conf"
		wait_for 20 rec_has_end "$T/ext$v.rec" || fail "$(cat "$T/ext$v.err")"
		if [ "$v" = yes ]; then
			! grep -q "extended-messages" "$T/ext$v.err" || fail "no-extended-messages = yes: still offered"
		else
			grep -q "OPEN AS 65000 .* extended-messages" "$T/ext$v.err" || fail "no-extended-messages = no: not used"
		fi
		netns_cleanup
	done
}
