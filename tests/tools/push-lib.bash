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
