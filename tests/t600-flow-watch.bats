#!/usr/bin/env bats
# flow-watch: options, the config's watch.* keys, refusing bad definitions,
# and the control socket's protocol (what http-api speaks).
load lib/common
load tools/watch-lib

start() {
	mkfifo "$T/f.fifo"
	flow-watch "$@" -f "$T/f.fifo" -C "$T/ctl" -o "$T/ev.rec" 2> "$T/err" 3>&- &
	PID=$!
	wait_for 5 test -S "$T/ctl"
	exec 7> "$T/f.fifo"
}

teardown() {
	exec 7>&- 2>/dev/null || true
	[ -z "${PID:-}" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; } || true
}

@test "t600 --help, --version, usage errors" {
	run flow-watch --help
	assert_success
	assert_output --partial "usage: flow-watch"
	run flow-watch --version
	assert_success
	assert_output --partial "flow-watch (activeroute)"
	run flow-watch --bogus
	assert_failure 2
	run flow-watch -q flows
	assert_failure 2
	assert_output --partial "--query needs --control"
}

@test "t601 config check: good definitions and thresholds pass; defaults are there" {
	cat > "$T/c.conf" <<-'E'
	watch.flow.ddos.keys = mask:ipsource,bgpsourceas
	watch.flow.ddos.value = frames
	watch.flow.ddos.filter = ipprotocol=17&sourceport=53
	watch.flow.ddos.t = 2
	watch.threshold.ddos.metric = ddos
	watch.threshold.ddos.value = 100000
	watch.threshold.ddos.byflow = true
	watch.threshold.ddos.timeout = 10
	E
	run flow-watch -n -c "$T/c.conf"
	assert_success
	assert_output ""
}

@test "t602 a bad definition in the config is refused with file:line" {
	printf 'watch.flow.a.keys = ipsource\nwatch.flow.a.keys = ipsource,nosuchkey\n' > "$T/c1.conf"
	run flow-watch -n -c "$T/c1.conf"
	assert_failure 2
	assert_output "$T/c1.conf:2: watch.flow.a: keys: unknown key \"nosuchkey\""
	printf 'watch.flow.b.keys = ipsource\nwatch.flow.b.filter = ipprotocol=udp\n' > "$T/c2.conf"
	run flow-watch -n -c "$T/c2.conf"
	assert_failure 2
	assert_output --partial "$T/c2.conf:2: watch.flow.b: filter: ipprotocol needs a number"
	printf 'watch.flow.c.keys = ipsource\n\nwatch.flow.c.t = -2\n' > "$T/c3.conf"
	run flow-watch -n -c "$T/c3.conf"
	assert_failure 2
	assert_output --partial "$T/c3.conf:3: watch.flow.c: t: the averaging time must be more than 0"
	printf 'watch.flow.d.keyz = ipsource\n' > "$T/c4.conf"
	run flow-watch -n -c "$T/c4.conf"
	assert_failure 2
	assert_output --partial "$T/c4.conf:1: unknown key watch.flow.d.keyz"
	printf 'watch.flow.e.keys = ipsource\nwatch.threshold.x.metric = e\nwatch.threshold.x.value = -1\n' > "$T/c5.conf"
	run flow-watch -n -c "$T/c5.conf"
	assert_failure 2
	assert_output --partial "$T/c5.conf:3: watch.threshold.x: value:"
}

@test "t603 control socket: flows, flow, setflow, delflow and their errors" {
	start
	run q flows
	assert_success
	echo "$output" | jq -e 'keys == ["arm-aspath","arm-dstas","arm-peeras","arm-srcas"]'
	echo "$output" | jq -e '."arm-aspath" == {"keys":"bgpdestinationaspath","value":"bytes","filter":"","t":10,"maxKeys":10000}'
	run q "setflow ddos keys=mask%3Aipsource%2Cbgpsourceas&value=frames&filter=ipprotocol%3D17%26sourceport%3D53&t=2&maxKeys=500"
	assert_success
	assert_output '{"ok":true}'
	run q flow ddos
	assert_output '{"keys":"mask:ipsource,bgpsourceas","value":"frames","filter":"ipprotocol=17&sourceport=53","t":2.0,"maxKeys":500}'
	# bad ones: an error object, and nothing running changes
	run q "setflow ddos keys=ipsource%2Cnokey"
	assert_failure 1
	assert_output '{"error":"keys: unknown key \"nokey\""}'
	run q "setflow ddos keys=ipsource&filter=ipprotocol%3E%3E1"
	assert_failure 1
	assert_output --partial '"error":"filter:'
	run q "setflow ddos keys=ipsource&t=-1"
	assert_failure 1
	assert_output --partial '"error":"t:'
	run q "setflow ddos keys=ipsource&colour=red"
	assert_failure 1
	assert_output '{"error":"unknown argument \"colour\""}'
	run q flow ddos
	assert_output --partial '"keys":"mask:ipsource,bgpsourceas"'
	run q delflow ddos
	assert_output '{"ok":true}'
	run q flow ddos
	assert_failure 1
	assert_output '{"error":"no flow definition \"ddos\""}'
	run q delflow ddos
	assert_failure 1
	run q nonsense
	assert_failure 1
	assert_output --partial '"error":"unknown request'
}

@test "t604 control socket: thresholds, top, events and a long poll that waits without blocking" {
	start --no-defaults
	q "setflow src keys=ipsource&value=frames&t=1" >/dev/null
	run q "setthreshold big metric=src&value=50&byFlow=true&timeout=60"
	assert_output '{"ok":true}'
	run q thresholds
	assert_output '{"big":{"metric":"src","value":50.0,"byFlow":true,"timeout":60.0}}'
	run q threshold big
	assert_output '{"metric":"src","value":50.0,"byFlow":true,"timeout":60.0}'
	run q "setthreshold bad metric=src&value=x"
	assert_failure 1
	assert_output --partial '"error":"value:'
	# a long poll waits; other requests are answered meanwhile
	flow-watch -C "$T/ctl" -q "events eventID=0&timeout=10" > "$T/lp.out" &
	lp=$!
	sleep 0.3
	run q stats
	assert_success
	echo "$output" | jq -e '.records == 0 and .flows == 1 and .thresholds == 1'
	[ ! -s "$T/lp.out" ]
	# 100 samples of 1.1.1.1 at once: far over 50 frames/s; 2.2.2.2 once
	python3 -c '
import json
for i in range(100): print(json.dumps({"type":"flow","agent":"198.18.0.9","src":"198.18.1.1","dst":"198.18.9.9","rate":1}))
print(json.dumps({"type":"flow","agent":"198.18.0.9","src":"198.18.2.2","dst":"198.18.9.9","rate":1}))' | rec-json -r >&7
	wait_for 5 test -s "$T/lp.out"
	wait "$lp"
	jq -e 'length == 1 and .[0].eventID == 1 and .[0].thresholdID == "big" and .[0].metric == "src" and
		.[0].flowKey == "198.18.1.1" and .[0].agent == "198.18.0.9" and .[0].threshold == 50 and
		(.[0] | has("dataSource") and has("timestamp") and has("value"))' "$T/lp.out"
	run q "top src maxFlows=5"
	echo "$output" | jq -e 'length == 2 and .[0].key == "198.18.1.1" and .[0].agent == "198.18.0.9" and .[0].value > .[1].value'
	run q "top src?maxFlows=1"
	echo "$output" | jq -e 'length == 1'
	run q "top src minValue=1000000"
	assert_output '[]'
	run q "top src agent=198.18.0.1"
	assert_output '[]'
	# no new event: a poll with a timeout answers [] when it runs out
	run q "events eventID=1&timeout=0.3"
	assert_output '[]'
	run q "events eventID=0&thresholdID=other"
	assert_output '[]'
	run q delthreshold big
	assert_output '{"ok":true}'
	# events also went to the output as records
	kill "$PID"; wait "$PID" || true; PID=
	rec-json < "$T/ev.rec" | jq -e 'select(.type == "event") | .eventid == 1 and .flowkey == "198.18.1.1"'
}
