# The lab suites' shared part (t950 through BIRD, t960 through netlink): one
# lab per file, each test finding it converged, and the checks the kill
# tests make. The lab itself is pipelines/lab/lab.bash.
#   load lib/lab
#   setup_file()    { lab_file_up bgp|netlink TAG; }
#   teardown_file() { lab_file_down; }
#   setup()         { lab_test_setup; }

# lab_file_up TARGET TAG: the lab with a part of the table, fast averages,
# steady traffic toward 150 prefixes; missing prerequisites skip the file
# (SKIP), a lab that does not come up fails it (FAILED).
lab_file_up() {
	local target=$1 tag=$2
	export LAB_DIR=$BATS_FILE_TMPDIR/lab LAB_TARGET=$target
	mkdir -p "$LAB_DIR"
	[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" > "$LAB_DIR/SKIP"; return 0; }
	for c in bird birdc pmacctd python3 jq ip; do
		command -v $c >/dev/null || { echo "$c is not installed (make deps)" > "$LAB_DIR/SKIP"; return 0; }
	done
	for p in sflow-decode bgp-speaker prefix-rank route-push ar-conf; do
		[ -x "$AR_BUILD/bin/$p" ] || { echo "$p is not built" > "$LAB_DIR/SKIP"; return 0; }
	done
	export AR_BINDIR=$AR_BUILD/bin
	ROOT_ROUTES_BEFORE="$(ip route show; ip -6 route show)"
	export ROOT_ROUTES_BEFORE LAB_TAG=$tag$$
	# a part of the table is enough here; fast averages so tests are short
	export LAB_TABLE_MAX=20000 LAB_MAX_ROUTES=300
	export LAB_CONF_EXTRA="rank.time-constant = 2
rank.min-value = 300
rank.grace = 10"
	. "$TOP_DIR/pipelines/lab/lab.bash"
	lab_init "$LAB_TAG" "$LAB_DIR"
	export LAB_UP LAB_SW LAB_TR
	lab_up "$target" > "$LAB_DIR/up.log" 2>&1 || { echo "lab_up failed: $(tail -n 5 "$LAB_DIR/up.log")" > "$LAB_DIR/FAILED"; return 0; }
	lab_wait_rib 20000 || { echo "the table did not reach prefix-rank" > "$LAB_DIR/FAILED"; return 0; }
	# steady traffic: 150 prefixes alike, well under the capacity
	lab_traffic --duration 240 --pps 1500 --dests 150 --zipf 0 --share6 0.1 --shift 0 --dests-out "$LAB_DIR/dests"
	for _ in $(seq 1 300); do [ -s "$LAB_DIR/dests" ] && break; sleep 0.1; done
	[ -s "$LAB_DIR/dests" ] || { echo "the traffic did not start: $(cat "$LAB_DIR/traffic.log")" > "$LAB_DIR/FAILED"; return 0; }
	echo ok > "$LAB_DIR/READY"
}

lab_file_down() {
	[ -n "${LAB_TAG:-}" ] || return 0
	. "$TOP_DIR/pipelines/lab/lab.bash"
	lab_init "$LAB_TAG" "$LAB_DIR"
	lab_down
}

lab_test_setup() {
	[ -e "$LAB_DIR/SKIP" ] && skip "$(cat "$LAB_DIR/SKIP")"
	[ -e "$LAB_DIR/FAILED" ] && fail "the lab did not come up: $(cat "$LAB_DIR/FAILED")"
	[ -e "$LAB_DIR/READY" ] || fail "the lab did not come up"
	. "$TOP_DIR/pipelines/lab/lab.bash"
	lab_init "$LAB_TAG" "$LAB_DIR"
}

# How many of the traffic's destination prefixes are in the FIB.
dests_in_fib() {
	lab_fib_dump | awk '{print $1}' > "$T/fibp"
	local n
	n=$(grep -cxFf "$T/fibp" "$LAB_DIR/dests" 2>/dev/null)
	echo "${n:-0}"
}
fib_has_dests() { [ "$(dests_in_fib)" -ge "$1" ]; }

# Each test starts from a converged pipeline: when an earlier test left it
# broken, restart it (and say so), so one failure does not cascade.
ensure_converged() {
	wait_for 30 fib_has_dests 130 && return 0
	echo "# the pipeline had not converged: restarting it" >&3
	ip netns exec "$LAB_SW" "$TOP_DIR/pipelines/active-route" -c "$LAB_DIR/activeroute.conf" stop >/dev/null 2>&1
	ip netns exec "$LAB_SW" "$TOP_DIR/pipelines/active-route" -c "$LAB_DIR/activeroute.conf" start >/dev/null 2>&1
	wait_for 60 fib_has_dests 130
}

# follows_traffic SEED: new hot prefixes (a short burst of traffic toward
# destinations the steady traffic does not use) reach the FIB within 10 s
# of their first packet: a FIB that is kept but frozen fails here. The FIB
# is sampled while the burst runs, not after it: once the burst ends the hot
# prefixes' rates decay and they rightly leave, sooner on a loaded machine.
follows_traffic() {
	local seed=$1 ev=$T/hot.$1 seen=$T/seen.$1 p t0 first missing=0 n=0 i
	: > "$ev"
	: > "$seen"
	lab_bg "$LAB_TR" "$LAB_DIR/hot.$seed.log" "$LAB_HERE/traffic" \
		--prefixes4 "$LAB_DIR/prefixes4" --prefixes6 "$LAB_DIR/prefixes6" \
		--seed "$seed" --dests 200 --zipf 1.1 --pps 600 --share6 0 --duration 8 \
		--shift 1 --hot-share 0.6 --events "$ev"
	# "ms prefix" each time a prefix is in the FIB; bounded: 12 s
	for ((i = 0; i < 48; i++)); do
		t0=${EPOCHREALTIME/./}
		ip -n "$LAB_SW" route show | awk -v t="${t0:0:13}" '{ p = $1; if (p !~ /\//) p = p "/32"; print t, p }' >> "$seen"
		sleep 0.25
	done
	while read -r first p _; do
		n=$((n + 1))
		awk -v p="$p" -v t="$first" '$2 == p && $1 >= t && $1 <= t + 10000 { f = 1 } END { exit !f }' "$seen" ||
			missing=$((missing + 1))
	done < "$ev"
	[ "$n" -ge 3 ] || { echo "only $n hot prefixes were started" >&2; return 1; }
	# one may still be ramping when the burst ends
	[ "$missing" -le 1 ] || { echo "$missing of $n new hot prefixes did not reach the FIB within 10 s" >&2; return 1; }
}

# kill_and_converge STAGE: SIGKILL one stage; the supervisor restarts it,
# the FIB is never flushed meanwhile, it comes back to the same set, and it
# still follows the traffic: new hot prefixes reach it.
kill_and_converge() {
	local s=$1 pid newpid before min n
	ensure_converged
	# the steady traffic's destinations, not the whole FIB: the hot prefixes
	# of an earlier test's burst leave it by themselves as their rates decay
	before=$(dests_in_fib)
	pid=$(awk '{print $1}' "$LAB_DIR/run/sup/$s.state")
	[ "$pid" != 0 ] && kill -0 "$pid"
	kill -KILL "$pid"
	min=$before
	for _ in $(seq 1 12); do
		sleep 0.4
		n=$(dests_in_fib)
		[ "$n" -lt "$min" ] && min=$n
	done
	# restarted by the supervisor
	newpid=$(awk '{print $1}' "$LAB_DIR/run/sup/$s.state")
	[ "$newpid" != "$pid" ] && [ "$newpid" != 0 ] && kill -0 "$newpid" || fail "$s was not restarted"
	# never flushed: at least 90% of the routes stayed at every sample
	[ "$min" -ge $((before * 9 / 10)) ] || fail "the FIB fell from $before to $min of the traffic's destinations after killing $s"
	# converges back: the destinations are in the FIB again
	wait_for 30 fib_has_dests $((before * 9 / 10 < 130 ? before * 9 / 10 : 130)) ||
		fail "after killing $s: $(dests_in_fib) destinations in the FIB, $before before"
	follows_traffic "$((RANDOM % 1000 + 10))" ||
		fail "after killing $s the FIB no longer follows the traffic; the stages say:
$(for g in sflow-decode prefix-rank route-push; do tail -n 4 "$LAB_DIR/run/sup/$g.log" 2>/dev/null | sed "s/^/  /"; done)
prefix-rank: $(timeout 2 "${AR_BINDIR:-$TOP_DIR/build/bin}/prefix-rank" -C "$LAB_DIR/run/rank.sock" -q "top maxPrefixes=1" 2>&1 | head -c 300)"
}
