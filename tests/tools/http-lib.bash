# Helpers for the http-api suites (t7xx):  load tools/http-lib
# prefix-rank fed from records (the t440 fixture), http-api on a free port
# of 127.0.0.1, both stopped by http_teardown.
load tools/rank-lib

RANK_PID= HTTP_PID= URL=

# http_rank_start: prefix-rank with a small IPv4 and IPv6 table and steady
# traffic, its control socket $T/ctl and stats file $T/rank.stats.
http_rank_start() {
	mkfifo "$T/r.fifo" "$T/f.fifo"
	prefix-rank -r "$T/r.fifo" -f "$T/f.fifo" -C "$T/ctl" -t 0.2 -o /dev/null \
		--stats "$T/rank.stats" "$@" 2> "$T/rank.err" 3>&- &
	RANK_PID=$!
	wait_for 5 test -S "$T/ctl"
	rank_routes "$T/r.jsonl" 198.18.0.0/16=198.19.0.1 198.18.1.0/24=198.19.0.1 \
		198.18.2.0/24=198.19.0.2 198.18.3.0/25=198.19.0.3 2001:db8:1::/48=2001:db8:ffff::1
	to_rec "$T/r.jsonl" "$T/r.rec"
	exec 7> "$T/r.fifo"
	cat "$T/r.rec" >&7
	rank_flows "$T/f.jsonl" 1 198.18.9.1,1000,10,3.33,198.18.3.1 198.18.1.1,1000,10,5,198.18.3.2 \
		198.18.2.1,1000,10,10,198.18.3.3 2001:db8:1::1,1000,10,20
	to_rec "$T/f.jsonl" "$T/f.rec"
	wait_for 5 sh -c "prefix-rank -C '$T/ctl' -q 'prefix 198.18.2.1' | jq -e '.prefix == \"198.18.2.0/24\"' >/dev/null"
	exec 8> "$T/f.fifo"
	cat "$T/f.rec" >&8
	wait_for 5 sh -c "prefix-rank -C '$T/ctl' -q 'prefix 2001:db8:1::1' | jq -e '.value > 0' >/dev/null"
	wait_for 5 test -s "$T/rank.stats"
}

# http_start ARGS...: http-api on 127.0.0.1 port 0 (a free one); URL is
# where it listens, from its log line.
http_start() {
	: > "$T/http.err"
	http-api -l 127.0.0.1:0 --log-level info "$@" 2> "$T/http.err" 3>&- 7>&- 8>&- &
	HTTP_PID=$!
	wait_for 5 grep -q 'listening on http://' "$T/http.err" || { cat "$T/http.err"; return 1; }
	URL=$(grep -o 'http://[^ ]*' "$T/http.err" | head -n 1)
	URL=${URL%/}
}

http_stop() {
	[ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null && wait "$HTTP_PID" 2>/dev/null
	HTTP_PID=
	return 0
}

http_teardown() {
	http_stop
	exec 7>&- 8>&- 2>/dev/null || true
	if [ -n "$RANK_PID" ]; then
		kill "$RANK_PID" 2>/dev/null || true
		wait "$RANK_PID" 2>/dev/null || true
	fi
	RANK_PID=
}

# code PATH [CURL ARGS]: the HTTP status only; body in $T/body
code() {
	local p=$1; shift
	curl -s -o "$T/body" -w '%{http_code}' "$@" "$URL$p"
}
