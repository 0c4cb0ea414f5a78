# Helpers for the route-push suites (t5xx):  load tools/push-lib

# snap PREFIX=NEXTHOP[@VALUE] ... : one complete state (sync markers) as
# JSON Lines on stdout; VALUE (an integer, bytes/s) defaults to 0.
snap() {
	echo '{"type":"sync","phase":"begin"}'
	local a p nh v
	for a in "$@"; do
		p=${a%%=*}; nh=${a#*=}; v=0
		case $nh in *@*) v=${nh#*@}; nh=${nh%@*} ;; esac
		printf '{"type":"route","op":"add","prefix":"%s","nexthop":"%s","value":%s.0}\n' "$p" "$nh" "$v"
	done
	echo '{"type":"sync","phase":"end"}'
}

# reader_state FILE: what a reader of FILE (route records from route-push
# --bgp) holds: each complete state between sync markers replaces the whole,
# changes after it apply one by one; an unfinished state is not applied.
# Sorted "PREFIX NEXTHOP" lines. A record still being written is ignored.
reader_state() {
	rec-json < "$1" 2>/dev/null | awk '
		function val(k) { return match($0, "\"" k "\":\"[^\"]*\"") ? substr($0, RSTART + length(k) + 4, RLENGTH - length(k) - 5) : "" }
		/^\{"type":"sync"/ {
			if (val("phase") == "begin") { split("", nw); open = 1 }
			else if (open) { split("", have); for (p in nw) have[p] = nw[p]; open = 0 }
			next
		}
		/^\{"type":"route"/ {
			p = val("prefix")
			if (open) { if (val("op") == "add") nw[p] = val("nexthop"); else delete nw[p] }
			else { if (val("op") == "add") have[p] = val("nexthop"); else delete have[p] }
		}
		END { for (p in have) print p, have[p] }' | sort
}

# push_lab [v4]: route-push's lab, two namespaces NS (ours) and PEER joined by
# v0 198.18.1.254 / v1 198.18.1.1, and 2001:db8:1::fe / ::1 unless v4; the
# caller's teardown runs netns_cleanup (load lib/netns).
push_lab() {
	need_root
	netns_init
	netns_add push >/dev/null
	NS=$(netns_name push)
	netns_add peer >/dev/null
	PEER=$(netns_name peer)
	if [ "${1:-}" = v4 ]; then
		netns_link "$NS" v0 198.18.1.254/24 "$PEER" v1 198.18.1.1/24
	else
		netns_link "$NS" v0 198.18.1.254/24 "$PEER" v1 198.18.1.1/24 \
			2001:db8:1::fe/64 2001:db8:1::1/64
	fi
}
