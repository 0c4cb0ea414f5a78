# The activeroute lab: three network namespaces, never the root namespace.
# shellcheck shell=bash
#
#   traffic (tr) ---- switch (sw) ====== upstream (up)
#   198.18.0.1/30     198.18.0.2/30      peer a 198.18.1.2/30 AS 65001 (full table)
#   2001:db8::1/64    .1.1  .2.1         peer b 198.18.2.2/30 AS 65002 (a few more-specifics)
#                     BIRD, pmacctd,     BIRD with the table as blackhole static
#                     the pipeline       routes: it is also the sink
#
# The switch's BIRD is configured as in the seed: upstream sessions fill a
# "peers" table; to_sflow_rt reflects it to bgp-speaker (learn, 127.0.0.1
# port 1179); from_sflow_rt imports what bgp-speaker (announce, 127.0.0.2
# port 1179) announces into master; the kernel protocol writes master into
# the switch's kernel FIB. The default route points to peer a. pmacctd with
# the sfprobe plugin samples the switch's traffic-facing port as the ASIC's
# sFlow agent would, toward sflow-decode on 127.0.0.1:6343.
#
# Usage (as root):
#   . pipelines/lab/lab.bash
#   lab_init TAG DIR        names and the work directory (made world-searchable)
#   lab_up [bgp|netlink]    namespaces, table, BIRDs, pmacctd, pipeline
#   lab_traffic ARGS...     the bounded sender, in the background
#   lab_down                every process by PID, every namespace
# Addresses only from 198.18.0.0/15 and 2001:db8::/32.

LAB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_TOP=$(cd "$LAB_HERE/../.." && pwd)
LAB_PIDS=()
LAB_NS=()

lab_init() {
	LAB_TAG=$1 LAB_DIR=$2
	LAB_UP=ar-$LAB_TAG-up LAB_SW=ar-$LAB_TAG-sw LAB_TR=ar-$LAB_TAG-tr
	mkdir -p "$LAB_DIR"
	chmod 755 "$LAB_DIR"
	# the pipeline's user must reach its config and run directory
	local d=$LAB_DIR
	while [ "$d" != / ]; do d=$(dirname "$d"); chmod o+x "$d" 2>/dev/null || true; done
	# sanitizer reports of stages running as the unprivileged user must
	# land where make check looks for them
	local opts o
	for opts in ${ASAN_OPTIONS:-} ${UBSAN_OPTIONS:-}; do
		for o in ${opts//:/ }; do
			case $o in log_path=*) d=$(dirname "${o#log_path=}"); [ -d "$d" ] && chmod 1777 "$d" ;; esac
		done
	done
	LAB_MAX_ROUTES=${LAB_MAX_ROUTES:-1000}
	LAB_SAMPLING=${LAB_SAMPLING:-10}
	LAB_PROTO=${LAB_PROTO:-77}
}

lab_log() { echo "lab: $*" >&2; }

# lab_bg NS LOG CMD...: a process inside NS, remembered for lab_down.
lab_bg() {
	local ns=$1 log=$2; shift 2
	ip netns exec "$ns" "$@" >>"$log" 2>&1 &
	LAB_LAST=$!
	LAB_PIDS+=("$LAB_LAST")
}

lab_ns() {
	ip netns add "$1" || return 1
	LAB_NS+=("$1")
	ip -n "$1" link set lo up
}

# veth NS1 IF1 NS2 IF2 A1 A2 B1 B2
lab_veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
	ip -n "$1" addr add "$5" dev "$2"
	ip -n "$3" addr add "$6" dev "$4"
	ip -n "$1" addr add "$7" dev "$2" nodad
	ip -n "$3" addr add "$8" dev "$4" nodad
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

lab_net() {
	lab_ns "$LAB_UP" && lab_ns "$LAB_SW" && lab_ns "$LAB_TR" || return 1
	lab_veth "$LAB_TR" tr0 "$LAB_SW" swtr 198.18.0.1/30 198.18.0.2/30 2001:db8::1/64 2001:db8::2/64
	lab_veth "$LAB_SW" swa "$LAB_UP" upa 198.18.1.1/30 198.18.1.2/30 2001:db8:0:1::1/64 2001:db8:0:1::2/64
	lab_veth "$LAB_SW" swb "$LAB_UP" upb 198.18.2.1/30 198.18.2.2/30 2001:db8:0:2::1/64 2001:db8:0:2::2/64
	ip -n "$LAB_TR" route add default via 198.18.0.2
	ip -n "$LAB_TR" -6 route add default via 2001:db8::2
	ip netns exec "$LAB_SW" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip netns exec "$LAB_SW" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.swtr.rp_filter=0
	# the default route: the full-table router (peer a)
	ip -n "$LAB_SW" route add default via 198.18.1.2
	ip -n "$LAB_SW" -6 route add default via 2001:db8:0:1::2
	# the upstream is the sink for every destination
	ip -n "$LAB_UP" route add blackhole default
	ip -n "$LAB_UP" -6 route add blackhole default
	# let the kernel hold the FIB we write (IPv6 route cache limit)
	ip netns exec "$LAB_SW" sysctl -qw net.ipv6.route.max_size=1048576 2>/dev/null || true
}

lab_bird_upstream() {
	{ echo 'protocol static table4 { ipv4 { import all; };'; cat "$LAB_DIR/table4.conf"; echo '}'
	  echo 'protocol static table6 { ipv6 { import all; };'; cat "$LAB_DIR/table6.conf"; echo '}'; } > "$LAB_DIR/static.conf"
	cat > "$LAB_DIR/bird-up.conf" <<-EOF
	# The upstream: two eBGP peers toward the switch, the table as static routes.
	router id 198.18.1.2;
	protocol device { }
	include "$LAB_DIR/static.conf";
	filter only_a { if (65535,2) ~ bgp_community then reject; accept; }
	filter only_b { if (65535,2) ~ bgp_community then { bgp_community.delete([(65535,2)]); accept; } reject; }
	template bgp up { hold time 90; strict bind yes; }
	protocol bgp peer_a from up { local 198.18.1.2 as 65001; neighbor 198.18.1.1 as 65000;
		ipv4 { import none; export filter only_a; }; }
	protocol bgp peer_a6 from up { local 2001:db8:0:1::2 as 65001; neighbor 2001:db8:0:1::1 as 65000;
		ipv6 { import none; export filter only_a; }; }
	protocol bgp peer_b from up { local 198.18.2.2 as 65002; neighbor 198.18.2.1 as 65000;
		ipv4 { import none; export filter only_b; }; }
	protocol bgp peer_b6 from up { local 2001:db8:0:2::2 as 65002; neighbor 2001:db8:0:2::1 as 65000;
		ipv6 { import none; export filter only_b; }; }
	EOF
	lab_bg "$LAB_UP" "$LAB_DIR/bird-up.log" bird -f -c "$LAB_DIR/bird-up.conf" -s "$LAB_DIR/bird-up.ctl" -P "$LAB_DIR/bird-up.pid"
}

# The switch's BIRD as in the seed (see pipelines/bird-switch.conf.example).
lab_bird_switch() {
	cat > "$LAB_DIR/bird-sw.conf" <<-EOF
	router id 198.18.1.1;
	protocol device { }
	ipv4 table peers4;
	ipv6 table peers6;
	# connected networks, to resolve the next hops of the active routes
	ipv4 table igp4;
	ipv6 table igp6;
	protocol direct { ipv4 { table igp4; }; ipv6 { table igp6; }; }
	template bgp up4 { local as 65000; hold time 90; ipv4 { table peers4; import all; export none; }; }
	template bgp up6 { local as 65000; hold time 90; ipv6 { table peers6; import all; export none; }; }
	protocol bgp peer_a from up4 { local 198.18.1.1; neighbor 198.18.1.2 as 65001; }
	protocol bgp peer_a6 from up6 { local 2001:db8:0:1::1; neighbor 2001:db8:0:1::2 as 65001; }
	protocol bgp peer_b from up4 { local 198.18.2.1; neighbor 198.18.2.2 as 65002; }
	protocol bgp peer_b6 from up6 { local 2001:db8:0:2::1; neighbor 2001:db8:0:2::2 as 65002; }
	# the full table to activeroute's learn session
	protocol bgp to_sflow_rt { local 127.0.0.1 as 65000; neighbor 127.0.0.1 port 1179 as 65000;
		rr client; hold time 90;
		ipv4 { table peers4; import none; export all; };
		ipv6 { table peers6; import none; export all; }; }
	# the active routes from activeroute's announce session
	protocol bgp from_sflow_rt { local 127.0.0.1 as 65000; neighbor 127.0.0.2 port 1179 as 65000;
		hold time 90; graceful restart on;
		ipv4 { import all; export none; igp table igp4; };
		ipv6 { import all; export none; igp table igp6; }; }
	protocol kernel { ipv4 { export all; }; }
	protocol kernel { ipv6 { export all; }; }
	EOF
	lab_bg "$LAB_SW" "$LAB_DIR/bird-sw.log" bird -f -c "$LAB_DIR/bird-sw.conf" -s "$LAB_DIR/bird-sw.ctl" -P "$LAB_DIR/bird-sw.pid"
}

# The lab's sFlow agent, timed like a switch's. A switch's agent sends a
# datagram when the next sample would not fit in its maximum datagram size
# (1400 bytes by default on Dell OS10, Aruba CX, LCOS SX; "the rate that the
# agent sends datagrams depends on the sampling rate, the traffic rate, and
# the configured maximum datagram size", Pluribus ONVL guide), and within a
# second otherwise. pmacctd 1.7.7 with sfprobe, from its sources (reference
# only, nothing copied) and CONFIG-KEYS (/usr/share/doc/pmacct):
# - sfprobe itself follows the same rule: a 1400-byte datagram
#   (SFL_DEFAULT_DATAGRAM_SIZE, sfl_receiver_writeFlowSample) is sent when the
#   next sample would overflow it, and any partial one at each wall-clock
#   second (sfl_agent_tick from sfprobe_plugin.c's loop). No sfprobe_* key
#   changes either. With 128-byte sampled headers that is ~7 samples a
#   datagram: at the bench's 2000 pps sampled 1:10, one every ~35 ms.
# - core to plugin: plugin_buffer_size defaults to "the size of the smallest
#   element to buffer" (CONFIG-KEYS), i.e. one packet per buffer handed over
#   at once (pmacctd -d logs plugin_buffer_size=416 bytes); plugin_pipe_size
#   is only the queue's capacity. Both left at their defaults: already tight.
# - the capture is what holds packets back: pm_pcap_open() (pmacctd.c) uses
#   a fixed 1000 ms timeout and no immediate mode, so libpcap's TPACKET_V3
#   ring (256 KiB blocks, retire_blk_tov 1000, read from PACKET_RX_RING in a
#   running pmacctd) passes packets on only when a block fills or a second
#   is up. No key sets it; pcap-immediate.so (LD_PRELOAD, our own) turns on
#   libpcap's immediate mode instead. LAB_AGENT_IMMEDIATE=0 keeps the stock
#   behaviour, to compare.
lab_pcap_immediate() {
	local so=$LAB_DIR/pcap-immediate.so
	[ "${LAB_AGENT_IMMEDIATE:-1}" = 1 ] || return 1
	[ -e "$so" ] && { echo "$so"; return 0; }
	if ! ${CC:-cc} -std=c17 -shared -fPIC -O2 -Wall -Wextra -Werror -o "$so" \
		"$LAB_HERE/pcap-immediate.c" -ldl >"$LAB_DIR/pcap-immediate.log" 2>&1; then
		lab_log "pcap-immediate.so not built (the agent keeps pmacctd's 1 s capture timeout): $(cat "$LAB_DIR/pcap-immediate.log")"
		return 1
	fi
	echo "$so"
}

lab_pmacctd() {
	local so
	cat > "$LAB_DIR/pmacctd.conf" <<-EOF
	daemonize: false
	pidfile: $LAB_DIR/pmacctd.pid
	pcap_interface: swtr
	pcap_interface_wait: true
	plugins: sfprobe
	sfprobe_receiver: 127.0.0.1:6343
	sfprobe_agentip: 198.18.0.2
	sfprobe_agentsubid: 1
	sampling_rate: $LAB_SAMPLING
	EOF
	if so=$(lab_pcap_immediate); then
		lab_bg "$LAB_SW" "$LAB_DIR/pmacctd.log" env LD_PRELOAD="$so" pmacctd -f "$LAB_DIR/pmacctd.conf"
	else
		lab_bg "$LAB_SW" "$LAB_DIR/pmacctd.log" pmacctd -f "$LAB_DIR/pmacctd.conf"
	fi
}

# The pipeline's config: the seed layout (target bgp) or netlink.
lab_conf() {
	local target=$1
	cat > "$LAB_DIR/activeroute.conf" <<-EOF
	# the lab's switch (written by pipelines/lab/lab.bash)
	rundir = $LAB_DIR/run
	log-level = info
	sflow.listen = 127.0.0.1:6343
	sflow.stats-interval = 1
	bgp.local-as = 65000
	bgp.peer-as = 65000
	bgp.router-id = 198.18.0.254
	bgp.neighbor = 127.0.0.1
	bgp.learn.listen = 127.0.0.1:1179
	rank.max-routes = $LAB_MAX_ROUTES
	rank.max-routes6 = $((LAB_MAX_ROUTES / 10))
	push.max-routes = $LAB_MAX_ROUTES
	push.max-routes6 = $((LAB_MAX_ROUTES / 10))
	EOF
	if [ "$target" = bgp ]; then
		cat >> "$LAB_DIR/activeroute.conf" <<-EOF
		bgp.announce.listen = 127.0.0.2:1179
		# the announce session offers graceful restart (active-route's
		# default): BIRD keeps the FIB while bgp-announce restarts, and the
		# new one withdraws what went before it announces what came (the
		# cap, issue 16, tests/tools/fib-trace-check)
		push.bgp = yes
		EOF
	else
		cat >> "$LAB_DIR/activeroute.conf" <<-EOF
		push.netlink = yes
		push.proto = $LAB_PROTO
		EOF
	fi
	chmod 644 "$LAB_DIR/activeroute.conf"
	[ -n "${LAB_CONF_EXTRA:-}" ] && printf '%s\n' "$LAB_CONF_EXTRA" >> "$LAB_DIR/activeroute.conf"
	true
}

lab_pipeline() {
	lab_bg "$LAB_SW" "$LAB_DIR/active-route.log" "$LAB_TOP/pipelines/active-route" -c "$LAB_DIR/activeroute.conf" -f start
	LAB_SUP=$LAB_LAST
}

birdc_sw() { birdc -s "$LAB_DIR/bird-sw.ctl" "$@"; }
birdc_up() { birdc -s "$LAB_DIR/bird-up.ctl" "$@"; }

# lab_established PROTO: the switch BIRD's session is up.
lab_established() { birdc_sw show protocols "$1" 2>/dev/null | grep -q Established; }

# Routes in the switch's kernel FIB written by the pipeline (BIRD's kernel
# protocol, or route-push's protocol number), IPv4 + IPv6.
lab_fib_count() {
	local p=bird
	[ "${LAB_TARGET:-bgp}" = netlink ] && p=$LAB_PROTO
	echo $(( $(ip -n "$LAB_SW" route show proto "$p" | wc -l) + $(ip -n "$LAB_SW" -6 route show proto "$p" | wc -l) ))
}
lab_fib_dump() {
	local p=bird
	[ "${LAB_TARGET:-bgp}" = netlink ] && p=$LAB_PROTO
	{ ip -n "$LAB_SW" route show proto "$p"; ip -n "$LAB_SW" -6 route show proto "$p"; } | awk '{print $1, $3}' | sort
}

# The switch's RIB as BIRD's peers tables hold it (best routes):
# "prefix nexthop" lines, for pipelines/lab/nohide.
lab_rib_dump() {
	{ birdc_sw show route table peers4 primary; birdc_sw show route table peers6 primary; } 2>/dev/null |
		awk '$1 ~ /\// { p = $1 } /^[ \t]+via / && p != "" { print p, $2; p = "" }' | sort
}

# lab_wait_rib N: until prefix-rank holds N IPv4 prefixes (up to 90 s).
lab_wait_rib() {
	local n
	for _ in $(seq 1 90); do
		n=$(timeout 2 "${AR_BINDIR:-$LAB_TOP/build/bin}/prefix-rank" -C "$LAB_DIR/run/rank.sock" -q "top maxPrefixes=1" 2>/dev/null |
			jq -r '.nPrefixes // 0' 2>/dev/null)
		[ -n "$n" ] && [ "$n" -ge "$1" ] 2>/dev/null && return 0
		sleep 1
	done
	lab_log "prefix-rank holds ${n:-no} prefixes, not $1"
	return 1
}

# lab_up [bgp|netlink]: everything but the traffic.
lab_up() {
	LAB_TARGET=${1:-bgp}
	lab_net || return 1
	SHARED_DATA=${SHARED_DATA:-$LAB_TOP/../shared/data} "$LAB_HERE/mktable" "$LAB_DIR" "${LAB_TABLE_MAX:-0}" >"$LAB_DIR/table.log" 2>&1 ||
		{ lab_log "mktable failed: $(cat "$LAB_DIR/table.log")"; return 1; }
	lab_bird_upstream
	lab_bird_switch
	lab_conf "$LAB_TARGET"
	"$LAB_TOP/pipelines/active-route" -c "$LAB_DIR/activeroute.conf" check >"$LAB_DIR/check.log" 2>&1 ||
		{ lab_log "active-route check failed:"; cat "$LAB_DIR/check.log" >&2; return 1; }
	lab_pipeline
	lab_pmacctd
}

lab_traffic() {
	lab_bg "$LAB_TR" "$LAB_DIR/traffic.log" "$LAB_HERE/traffic" \
		--prefixes4 "$LAB_DIR/prefixes4" --prefixes6 "$LAB_DIR/prefixes6" "$@"
	# shellcheck disable=SC2034 # the PID, for a caller that stops the traffic
	LAB_TRAFFIC=$LAB_LAST
}

lab_down() {
	local p ns
	# the supervisor first: it stops the stages it started
	[ -n "${LAB_SUP:-}" ] && kill -TERM "$LAB_SUP" 2>/dev/null
	for p in "${LAB_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for _ in $(seq 1 50); do
		local alive=0
		for p in "${LAB_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for p in "${LAB_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	LAB_PIDS=() LAB_SUP=
	# by name too: lab_down may run in another shell than lab_up
	[ ${#LAB_NS[@]} = 0 ] && [ -n "${LAB_TAG:-}" ] && LAB_NS=("$LAB_UP" "$LAB_SW" "$LAB_TR")
	for ns in "${LAB_NS[@]}"; do
		ip netns list | grep -q "^$ns\b" || continue
		# anything still inside (a stage the supervisor had not reaped)
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	LAB_NS=()
}
