# Lab network namespaces for tests: never the root namespace.
# Addresses only from 198.18.0.0/15 and 2001:db8::/32. Everything made here
# is removed by netns_cleanup (call it from teardown); processes started with
# netns_bg are killed by PID.
#   load lib/netns
#   setup()    { need_root; netns_init; }
#   teardown() { netns_cleanup; }

NETNS_PREFIX="ar$$x${BATS_TEST_NUMBER:-0}"
NETNS_LIST=()
NETNS_PIDS=()

netns_init() {
	command -v ip >/dev/null || skip "iproute2 missing"
	NETNS_LIST=()
	NETNS_PIDS=()
}

# netns_add NAME -> creates "$NETNS_PREFIX-NAME", loopback up; echoes full name
netns_add() {
	local ns="$NETNS_PREFIX-$1"
	ip netns add "$ns" || return 1
	NETNS_LIST+=("$ns")
	ip -n "$ns" link set lo up
	echo "$ns"
}

# netns_name NAME -> full name
netns_name() { echo "$NETNS_PREFIX-$1"; }

# netns_link NS1 IF1 ADDR1 NS2 IF2 ADDR2 [ADDR6_1 ADDR6_2]: a veth pair between
# two namespaces (full names), addresses with prefix length, up.
netns_link() {
	local ns1=$1 if1=$2 a1=$3 ns2=$4 if2=$5 a2=$6 b1=${7:-} b2=${8:-}
	ip link add "$if1" netns "$ns1" type veth peer name "$if2" netns "$ns2" || return 1
	ip -n "$ns1" addr add "$a1" dev "$if1"
	ip -n "$ns2" addr add "$a2" dev "$if2"
	if [ -n "$b1" ]; then
		ip -n "$ns1" addr add "$b1" dev "$if1" nodad
		ip -n "$ns2" addr add "$b2" dev "$if2" nodad
	fi
	ip -n "$ns1" link set "$if1" up
	ip -n "$ns2" link set "$if2" up
}

# netns_bg NS LOGFILE CMD...: run CMD in the background inside NS; the PID
# is remembered for cleanup and echoed... into $NETNS_LAST_PID.
netns_bg() {
	local ns=$1 log=$2; shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	NETNS_LAST_PID=$!
	NETNS_PIDS+=("$NETNS_LAST_PID")
}

# Remember a PID started some other way.
netns_track_pid() { NETNS_PIDS+=("$1"); }

netns_cleanup() {
	local p ns
	for p in "${NETNS_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${NETNS_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	NETNS_PIDS=()
	# Also the namespaces made in a subshell (NS=$(netns_add x)): they carry
	# our prefix ($$ is the same in subshells) but never reached NETNS_LIST.
	local made
	made=$(ip netns list 2>/dev/null | awk -v p="$NETNS_PREFIX-" 'index($1, p) == 1 {print $1}')
	for ns in "${NETNS_LIST[@]}" $made; do
		# anything still running inside (e.g. a daemon that forked) dies with it
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	NETNS_LIST=()
}
