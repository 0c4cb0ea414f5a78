# Labs for bgp-speaker against other BGP implementations (FRR, OpenBGPD,
# ExaBGP): the peer in namespace NS_B, bgp-speaker in NS_S, one veth pair.
#   load lib/common; load lib/netns; source "$TESTS_DIR/tools/peers-lab.bash"
# Addresses: peer 198.18.0.1 / 2001:db8::1; speaker 198.18.0.2 / 2001:db8::2
# (learn), 198.18.0.3 (iBGP announce), 198.18.0.4 (eBGP announce, AS 65100).
source "$TESTS_DIR/tools/bgp-lab.bash"

ANN_I4=198.18.0.3
ANN_E4=198.18.0.4

peers_setup() {
	need_root
	netns_init
	netns_add peer > /dev/null || return 1
	netns_add spk > /dev/null || return 1
	NS_B=$(netns_name peer)
	NS_S=$(netns_name spk)
	netns_link "$NS_B" vb "$BIRD_A4/24" "$NS_S" vs "$SPK_A4/24" "$BIRD_A6/64" "$SPK_A6/64"
	ip -n "$NS_S" addr add "$ANN_I4/24" dev vs
	ip -n "$NS_S" addr add "$ANN_E4/24" dev vs
	# the link-local next hop the peer sends with its IPv6 routes
	wait_for 5 bash -c "ip -n $NS_B -6 -o addr show dev vb scope link | grep -q fe80" || return 1
	PEER_LL=$(ip -n "$NS_B" -6 -o addr show dev vb scope link | awk '{sub(/\/.*/, "", $4); print $4}')
}

# learn_bg NAME ARGS...: a learn-only speaker in NS_S for the session from
# the peer over IPv6 (both families in it); $T/NAME.rec, $T/NAME.err
learn_bg() {
	local name=$1; shift
	ip netns exec "$NS_S" bgp-speaker --local-as 65000 --router-id "$SPK_A4" \
		--listen "[$SPK_A6]:1179" --neighbor "$BIRD_A6" --hold-time 9 -r none "$@" \
		> "$T/$name.rec" 2> "$T/$name.err" &
	netns_track_pid $!
	SPK_PID=$!
}

# announce_bg NAME ADDR AS: an announce speaker on ADDR:1179 (passive; the
# peer connects) reading records from the FIFO $T/NAME.in, opened as fd 7
# (NAME ibgp) or 8 (NAME ebgp); learned records in $T/NAME.rec.
announce_bg() {
	local name=$1 addr=$2 as=$3
	mkfifo "$T/$name.in"
	ip netns exec "$NS_S" bgp-speaker --local-as "$as" --peer-as 65000 --router-id "$addr" \
		--listen "$addr:1179" --neighbor "$BIRD_A4" --hold-time 9 -r "$T/$name.in" \
		> "$T/$name.rec" 2> "$T/$name.err" &
	netns_track_pid $!
}

# The learned table from records, one route a line:
# prefix|nexthop|nexthopll|aspath|origin|med|localpref|communities|lcommunities|atomic|aggregator
# (an AS_SET as {a,b}; adds after the last sync begin, withdrawals applied)
rec_full_norm() {
	rec-json < "$1" | jq -r -s '
		(map(.type == "sync" and .phase == "begin") | rindex(true) // 0) as $b
		| .[$b:] | reduce (.[] | select(.type == "route")) as $r ({};
			if $r.op == "del" then del(.[$r.prefix]) else .[$r.prefix] = $r end)
		| .[] | [.prefix, .nexthop, (.nexthopll // "-"),
		 ((.aspath // []) | map(if type == "array" then "{" + (sort | map(tostring) | join(",")) + "}" else tostring end) | join(" ")),
		 .origin, ((.med // "-") | tostring), ((.localpref // 100) | tostring),
		 ((.communities // []) | join(" ")), ((.lcommunities // []) | join(" ")),
		 (if .atomic then "atomic" else "-" end),
		 (if .aggas then "\(.aggas) \(.aggid)" else "-" end)] | join("|")' | sort
}

# teardown: the namespaces and what runs in them, then FRR's directory
peers_cleanup() {
	netns_cleanup
	if [ -n "${FRR_DIR:-}" ]; then
		cp "$FRR_DIR/bgpd.log" "$T/frr-bgpd.log" 2>/dev/null || true
		rm -rf "$FRR_DIR"
	fi
}

# --- FRR: zebra and bgpd by hand, their own paths under $T/frr ---------

FRR_DIR=
frr_start() {
	local conf=$1
	need_cmd vtysh
	[ -x /usr/lib/frr/bgpd ] || skip "FRR is not installed (make deps)"
	# the daemons drop to user frr (root is not in its vty group), who
	# cannot reach into bats' private directory: a directory of their own
	FRR_DIR=$(mktemp -d /tmp/ar-frr.XXXXXX)
	sed "s|@FRR_DIR@|$FRR_DIR|g" "$conf" > "$FRR_DIR/bgpd.conf"
	: > "$FRR_DIR/zebra.conf"
	chown -R frr:frr "$FRR_DIR"
	frr_daemon zebra
	frr_daemon bgpd
}

# frr_restart_bgpd [SECONDS]: bgpd stopped (SIGTERM), after SECONDS (0)
# started again with the same configuration
frr_restart_bgpd() {
	kill -TERM "$FRR_BGPD_PID"
	wait "$FRR_BGPD_PID" 2>/dev/null || true
	sleep "${1:-0}"
	frr_daemon bgpd
}

# frr_daemon NAME [ARGS]: one FRR daemon in NS_B in the foreground
frr_daemon() {
	local d=$1; shift
	rm -f "$FRR_DIR/$d.pid"
	netns_bg "$NS_B" "$T/frr-$d.out" /usr/lib/frr/"$d" -u frr -g frr -P 0 \
		-i "$FRR_DIR/$d.pid" -z "$FRR_DIR/zserv.api" --vty_socket "$FRR_DIR" \
		-f "$FRR_DIR/$d.conf" "$@"
	eval "FRR_${d^^}_PID=\$NETNS_LAST_PID"
	wait_for 10 test -S "$FRR_DIR/$d.vty"
}

vtysh_() { vtysh --vty_socket "$FRR_DIR" "$@"; }

# frr_conf_bgp CMD...: configuration commands under router bgp 65000
frr_conf_bgp() {
	local args=(-c 'configure terminal' -c 'router bgp 65000') c
	for c in "$@"; do args+=(-c "$c"); done
	vtysh_ "${args[@]}"
}

# frr_table_norm: FRR's table (both families), the rec_full_norm form. What
# FRR originates itself (next hop 0.0.0.0 or ::) goes out with its own
# addresses, the IPv6 routes with its link-local address too. FRR 8.4
# sends MED 0 to iBGP peers for a route it received without a MED (its
# advertised-routes say Metric 0, the route's JSON has none).
frr_table_norm() {
	local afi args=() p
	for afi in ipv4 ipv6; do
		for p in $(vtysh_ -c "show bgp $afi unicast json" | jq -r '.routes | keys[]'); do
			args+=(-c "show bgp $afi unicast $p json")
		done
	done
	vtysh_ "${args[@]}" | jq -r --arg a4 "$BIRD_A4" --arg a6 "$BIRD_A6" --arg ll "$PEER_LL" '
		.prefix as $p | .paths[] | select(.bestpath.overall) |
		($p | test(":")) as $v6 |
		[$p,
		 (.nexthops[0].ip | if . == "0.0.0.0" or . == "::" then (if $v6 then $a6 else $a4 end) else . end),
		 (if $v6 then $ll else "-" end),
		 ([.aspath.segments[]? | if .type == "as-set" then "{" + (.list | sort | map(tostring) | join(",")) + "}" else (.list | map(tostring) | join(" ")) end] | join(" ")),
		 (.origin | ascii_downcase), ((.metric // 0) | tostring), ((.locPrf // 100) | tostring),
		 (.community.string // ""), (.largeCommunity.string // ""),
		 (if .atomicAggregate then "atomic" else "-" end),
		 (if .aggregatorAs then "\(.aggregatorAs) \(.aggregatorId)" else "-" end)] | join("|")' | sort
}

# frr_received NEIGHBOR AFI: prefix|nexthop|aspath|origin|med|localpref|communities|lcommunities
# of the routes FRR holds from NEIGHBOR
frr_received() {
	local args=() p
	for p in $(vtysh_ -c "show bgp $2 unicast neighbors $1 routes json" | jq -r '.routes | keys[]'); do
		args+=(-c "show bgp $2 unicast $p json")
	done
	[ ${#args[@]} -gt 0 ] || return 0
	vtysh_ "${args[@]}" | jq -r --arg n "$1" '
		.prefix as $p | .paths[] | select(.peer.peerId == $n) |
		[$p, .nexthops[0].ip, .aspath.string, (.origin | ascii_downcase),
		 ((.metric // "-") | tostring), ((.locPrf // "-") | tostring),
		 (.community.string // ""), (.largeCommunity.string // "")] | join("|")' | sort
}

# --- OpenBGPD: bgpd -d -f CONF in NS_B, its control socket in $T ----------

obgpd_start() {
	need_cmd bgpctl
	[ -x /usr/sbin/bgpd ] && /usr/sbin/bgpd -V 2>&1 | grep -q OpenBGPD || skip "OpenBGPD is not installed (make deps)"
	# its chroot, the package's runtime directory (systemd would make it)
	mkdir -p /run/openbgpd
	OBGPD_SOCK="$T/obgpd.sock"
	/usr/sbin/bgpd -n -f "$1" > "$T/obgpd.check" 2>&1 || fail "$(cat "$T/obgpd.check")"
	netns_bg "$NS_B" "$T/obgpd.log" /usr/sbin/bgpd -d -f "$1"
	OBGPD_PID=$NETNS_LAST_PID
	wait_for 10 bgpctl_ show > /dev/null 2>&1
}

bgpctl_() { bgpctl -s "$OBGPD_SOCK" "$@"; }

# obgpd_rib [neighbor ADDR]: OpenBGPD's best routes (or those from ADDR) in
# the rec_full_norm form; what it originates goes out with its own
# addresses; MED 0 when it shows 0 (it shows 0 for none, too)
obgpd_rib() {
	bgpctl_ -j show rib "$@" detail | jq -r --arg a4 "$BIRD_A4" --arg a6 "$BIRD_A6" '
		.rib[] | select(.best) | (.prefix | test(":")) as $v6 |
		[.prefix,
		 (.exit_nexthop | if . == "0.0.0.0" or . == "::" then (if $v6 then $a6 else $a4 end) else . end),
		 "-",
		 (.aspath | gsub("\\{ "; "{") | gsub(" \\}"; "}") | gsub("(?<a>[0-9]) (?=[0-9][^{]*\\})"; "\(.a),")),
		 (.origin | ascii_downcase), (.metric | tostring), (.localpref | tostring),
		 ((.communities // []) | join(" ")), ((.large_communities // []) | join(" ")),
		 (if .atomicaggregate then "atomic" else "-" end), "-"] | join("|")' | sort
}

# --- ExaBGP: a scriptable sender; commands written to $T/exa.cmd go to its
# API (one a line); the speaker listens on 198.18.0.2:1179 ----------------

exabgp_start() {
	need_cmd exabgp
	mkfifo "$T/exa.cmd"
	# the API process: ExaBGP runs each line it prints as a command
	printf '#!/bin/sh\nexec cat %s\n' "$T/exa.cmd" > "$T/exa-api"
	chmod 755 "$T/exa-api"
	cat > "$T/exabgp.conf" <<CONF
process cmds {
	run $T/exa-api;
	encoder text;
}
neighbor $SPK_A4 {
	router-id $BIRD_A4;
	local-address $BIRD_A4;
	local-as 65000;
	peer-as 65000;
	connect 1179;
	hold-time 9;
	group-updates true;
	family {
		ipv4 unicast;
		ipv6 unicast;
	}
	capability {
		asn4 enable;
		route-refresh;
	}
	api {
		processes [ cmds ];
	}
}
CONF
	# root, no daemon, no CLI pipes, no listener, logs to its stdout
	netns_bg "$NS_B" "$T/exabgp.log" env exabgp.daemon.user=root exabgp.daemon.daemonize=false \
		exabgp.api.cli=false exabgp.tcp.bind= exabgp.log.destination=stdout \
		exabgp.tcp.attempts=0 exabgp.log.packets=false exabgp "$T/exabgp.conf"
	EXA_PID=$NETNS_LAST_PID
	exec 9> "$T/exa.cmd"
}

exa_cmd() { printf '%s\n' "$@" >&9; }
