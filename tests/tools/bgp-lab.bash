# bgp-speaker test lab: BIRD in one namespace, bgp-speaker in another,
# joined by a veth pair; the seed's BIRD configuration.
#   load lib/common; load lib/netns; source "$TESTS_DIR/tools/bgp-lab.bash"
# Addresses: BIRD 198.18.0.1 / 2001:db8::1, speaker 198.18.0.2 / 2001:db8::2.

BIRD_A4=198.18.0.1
SPK_A4=198.18.0.2
BIRD_A6=2001:db8::1
SPK_A6=2001:db8::2

# lab_setup: two namespaces NS_B (BIRD) and NS_S (speaker) and their link.
lab_setup() {
	need_root
	need_cmd bird birdc
	netns_init
	# not NS=$(netns_add ...): a subshell would lose netns_add's record
	# of the namespace and netns_cleanup would leave it behind
	netns_add bird > /dev/null || return 1
	netns_add spk > /dev/null || return 1
	NS_B=$(netns_name bird)
	NS_S=$(netns_name spk)
	netns_link "$NS_B" vb "$BIRD_A4/24" "$NS_S" vs "$SPK_A4/24" "$BIRD_A6/64" "$SPK_A6/64"
}

# bird_conf FILE [LEARN_PORT] [ANNOUNCE_PORT] [extra config]: the seed's
# setup. The upstream filling the peers tables is a static protocol here
# (routes with BGP attributes); routes from $T/upstream4.conf and
# $T/upstream6.conf when present.
bird_conf() {
	local f=$1 lport=${2:-1179} aport=${3:-1180} extra=${4:-}
	cat > "$f" <<CONF
log "$T/bird.log" all;
router id $BIRD_A4;
ipv4 table peers;
ipv6 table peers6;
protocol device { scan time 10; }
protocol direct { ipv4; ipv6; interface "vb"; }
protocol kernel kernel4 { ipv4 { export all; import none; }; }
protocol kernel kernel6 { ipv6 { export all; import none; }; }
protocol static upstream4 {
	ipv4 { table peers; };
	$(cat "$T/upstream4.conf" 2>/dev/null)
}
protocol static upstream6 {
	ipv6 { table peers6; };
	$(cat "$T/upstream6.conf" 2>/dev/null)
}
protocol bgp to_sflow_rt {
	local $BIRD_A4 as 65000;
	neighbor $SPK_A4 port $lport as 65000;
	hold time 9;
	connect delay time 1;
	connect retry time 1;
	error wait time 1, 2;
	ipv4 { table peers; import none; export all; };
	ipv6 { table peers6; import none; export all; next hop address $BIRD_A6; };
}
protocol bgp from_sflow_rt {
	local $BIRD_A4 as 65000;
	neighbor $SPK_A4 port $aport as 65000;
	hold time 9;
	connect delay time 1;
	connect retry time 1;
	error wait time 1, 2;
	ipv4 { import all; export none; };
	ipv6 { import all; export none; };
}
$extra
CONF
}

# bird_start CONF: BIRD inside NS_B with its own socket and pid file.
bird_start() {
	BIRD_SOCK="$T/bird.ctl"
	ip netns exec "$NS_B" bird -c "$1" -s "$BIRD_SOCK" -P "$T/bird.pid" || return 1
	wait_for 5 test -s "$T/bird.pid" || return 1
	netns_track_pid "$(cat "$T/bird.pid")"
}

birdc_() { birdc -s "$BIRD_SOCK" "$@"; }

# bird_proto_up NAME: true when the BGP protocol NAME is Established.
bird_proto_up() { birdc_ show protocols "$1" | grep -q Established; }

# gen_upstream N4 N6: N4 IPv4 and N6 IPv6 static routes with BGP attributes
# (4-byte ASNs, communities, large communities, MED, origin, local pref).
gen_upstream() {
	# one awk, not a shell loop: forks cost milliseconds each here
	awk -v n4="$1" -v n6="$2" -v a4="$BIRD_A4" -v a6="$BIRD_A6" \
		-v f4="$T/upstream4.conf" -v f6="$T/upstream6.conf" 'BEGIN {
		for (i = 0; i < n4; i++)
			printf "route 10.%d.%d.0/24 via %s { bgp_path.prepend(%d); bgp_path.prepend(%.0f); bgp_community.add((65000,%d)); bgp_large_community.add((4200000000,%d,7)); bgp_med = %d; bgp_origin = %s; %s };\n", \
				int(i / 256), i % 256, a4, 64512 + i % 7, 4200000000 + i % 5, i % 3, i, i % 11, \
				(i % 4 == 0 ? "ORIGIN_INCOMPLETE" : "ORIGIN_IGP"), (i % 5 == 0 ? "bgp_local_pref = 300;" : "") > f4
		printf "route 172.16.0.0/12 via %s;\n", a4 > f4
		printf "" > f6
		for (i = 0; i < n6; i++)
			printf "route 2001:db8:%x::/48 via %s { bgp_path.prepend(%d); bgp_community.add((65001,%d)); };\n", \
				4096 + i, a6, 65100 + i % 3, i > f6
	}'
}

# speaker_bg NAME ARGS...: bgp-speaker in NS_S, stdout/stderr to $T/NAME.rec
# and $T/NAME.err; its PID in SPK_PID.
speaker_bg() {
	local name=$1; shift
	ip netns exec "$NS_S" bgp-speaker --local-as 65000 --router-id "$SPK_A4" \
		--neighbor "$BIRD_A4" --hold-time 9 "$@" > "$T/$name.rec" 2> "$T/$name.err" &
	SPK_PID=$!
	netns_track_pid "$SPK_PID"
}

# The BIRD table, one route a line: prefix|nexthop|aspath|origin|med|localpref|communities|lcommunities
bird_table_norm() {
	birdc_ show route table "$1" all | awk '
	function flush() {
		if (pfx != "") print pfx "|" nh "|" path "|" origin "|" med "|" lp "|" comm "|" lcomm
		pfx = ""
	}
	/^[0-9a-f.:]+\/[0-9]+ / { flush(); pfx = $1; nh = ""; path = ""; origin = "igp"; med = "-"; lp = "100"; comm = ""; lcomm = "" ; next }
	/^\tvia / { nh = $2 }
	/BGP.next_hop:/ { }
	/BGP.origin:/ { origin = tolower($2) }
	/BGP.as_path:/ { sub(/^.*BGP.as_path: ?/, ""); path = $0 }
	/BGP.med:/ { med = $2 }
	/BGP.local_pref:/ { lp = $2 }
	/BGP.community:/ { sub(/^.*BGP.community: /, ""); gsub(/\(/, ""); gsub(/\)/, ""); gsub(/,/, ":"); comm = $0 }
	/BGP.large_community:/ { sub(/^.*BGP.large_community: /, ""); gsub(/, /, ":"); gsub(/\(/, ""); gsub(/\)/, ""); lcomm = $0 }
	END { flush() }' | sort
}

# Our learned table from records, the same form (adds after the last sync begin).
rec_table_norm() {
	rec-json < "$1" | jq -r 'select(.type == "route" and .op == "add") |
		[.prefix, .nexthop, ((.aspath // []) | map(tostring) | join(" ")), .origin,
		 ((.med // "-") | tostring), ((.localpref // 100) | tostring),
		 ((.communities // []) | join(" ")), ((.lcommunities // []) | join(" "))] | join("|")' | sort
}

# Count records of a kind in a records file: rec_count FILE JQ-FILTER
rec_count() { rec-json < "$1" | jq -c "$2" | wc -l; }

# framing FILE: the records other than routes, "type state|phase", one a line
framing() { rec-json < "$1" | jq -r 'select(.type != "route") | .type + " " + (.state // .phase)'; }

# rec_has_end FILE [N]: at least N (1) sync end records in FILE.
rec_has_end() {
	[ "$(rec-json < "$1" 2>/dev/null | grep -c '"phase":"end"')" -ge "${2:-1}" ]
}

# gobgp_start [REMOTE_PORT]: gobgpd in NS_B (AS 65000, router id BIRD_A4)
# with the speaker as its neighbor on REMOTE_PORT (1179); gobgp_ runs the CLI.
gobgp_start() {
	local port=${1:-1179}
	need_cmd gobgpd gobgp
	cat > "$T/gobgpd.toml" <<CONF
[global.config]
  as = 65000
  router-id = "$BIRD_A4"
  local-address-list = ["$BIRD_A4"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$SPK_A4"
    peer-as = 65000
  [neighbors.transport.config]
    remote-port = $port
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 9
    keepalive-interval = 3
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
CONF
	netns_bg "$NS_B" "$T/gobgpd.log" gobgpd -f "$T/gobgpd.toml" -p --api-hosts 127.0.0.1:50051 --pprof-disable
	GOBGPD_PID=$NETNS_LAST_PID
	wait_for 10 gobgp_ global > /dev/null 2>&1
}

gobgp_() { ip netns exec "$NS_B" gobgp -u 127.0.0.1 -p 50051 "$@"; }
