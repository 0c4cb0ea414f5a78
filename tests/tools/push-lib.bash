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
