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
	NS_B=$(netns_add bird)
	NS_S=$(netns_add spk)
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
