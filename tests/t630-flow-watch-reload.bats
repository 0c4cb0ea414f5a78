#!/usr/bin/env bats
# flow-watch on SIGHUP: the watch.* keys read again; what is unchanged keeps
# its rates, what the control socket added stays, a bad file changes nothing.
load lib/common
load tools/watch-lib

teardown() {
	exec 7>&- 2>/dev/null || true
	[ -z "${PID:-}" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; } || true
}

@test "t630 SIGHUP reloads definitions and thresholds; socket ones and unchanged rates kept; a bad file changes nothing" {
	cat > "$T/w.conf" <<-'E'
	watch.flow.keep.keys = ipsource
	watch.flow.keep.value = frames
	watch.flow.keep.t = 600
	watch.flow.gone.keys = ipdestination
	watch.threshold.big.metric = keep
	watch.threshold.big.value = 1000
	E
	mkfifo "$T/f.fifo"
	flow-watch --no-defaults -c "$T/w.conf" -f "$T/f.fifo" -C "$T/ctl" -o /dev/null 2> "$T/err" 3>&- &
	PID=$!
	wait_for 5 test -S "$T/ctl"
	exec 7> "$T/f.fifo"
	q "setflow mine keys=ipprotocol" > /dev/null
	python3 -c '
import json
for i in range(50): print(json.dumps({"type":"flow","src":"198.18.1.1","dst":"198.18.9.9","proto":17,"len":100,"rate":1}))' |
		rec-json -r >&7
	wait_for 5 sh -c "flow-watch -C '$T/ctl' -q 'top keep' | jq -e 'length == 1' >/dev/null"
	# the new file: keep unchanged, gone removed, added new, big changed
	cat > "$T/w.conf" <<-'E'
	watch.flow.keep.keys = ipsource
	watch.flow.keep.value = frames
	watch.flow.keep.t = 600
	watch.flow.added.keys = ipprotocol,sourceport
	watch.threshold.big.metric = keep
	watch.threshold.big.value = 2000
	E
	kill -HUP "$PID"
	wait_for 5 sh -c "flow-watch -C '$T/ctl' -q flows | jq -e 'has(\"added\")' >/dev/null"
	run q flows
	echo "$output" | jq -e 'keys == ["added", "keep", "mine"]'
	run q threshold big
	assert_output --partial '"value":2000.0'
	# keep's rates were kept: no new record came since
	run q "top keep"
	echo "$output" | jq -e 'length == 1 and .[0].key == "198.18.1.1"'
	# a bad file: logged with its line, nothing changed, still running
	printf 'watch.flow.keep.keys = ipsource\nwatch.flow.added.keys = nosuchkey\n' > "$T/w.conf"
	kill -HUP "$PID"
	wait_for 5 grep -q "configuration unchanged" "$T/err"
	grep -q "$T/w.conf:2: watch.flow.added: keys: unknown key" "$T/err"
	run q flows
	echo "$output" | jq -e 'keys == ["added", "keep", "mine"]'
	run q "top keep"
	echo "$output" | jq -e 'length == 1'
	kill -0 "$PID"
}
