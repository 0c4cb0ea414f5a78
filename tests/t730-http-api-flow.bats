#!/usr/bin/env bats
# http-api: sFlow-RT's flow, threshold, activeflows and events paths over
# flow-watch's control socket (a stand-in speaking its protocol): what line
# each request becomes, what comes back, and write methods off by default.
load lib/common
load tools/http-lib

setup() {
	"$TESTS_DIR/tools/fake-flow-watch" "$T/flow.sock" "$T/flow.log" 3>&- &
	FLOW=$!
	wait_for 5 test -S "$T/flow.sock"
	http_start --flow "$T/flow.sock" --write
}

teardown() {
	http_teardown
	[ -n "${FLOW:-}" ] && { kill "$FLOW" 2>/dev/null; wait "$FLOW" 2>/dev/null; }
	return 0
}

# What the requests asked, without the trend's own once-a-second questions.
heard() { grep -v -x -E 'top (arm-aspath|arm-dstas|arm-peeras|arm-srcas) maxFlows=10' "$T/flow.log"; }
asked() { heard | tail -n 1; }

@test "t730 PUT, GET, DELETE /flow/{name}/json become setflow, flow, delflow" {
	run code /flow/f1/json -X PUT -H 'Content-Type: application/json' \
		-d '{"keys":"ipsource,ipdestination","value":"bytes","filter":"ipprotocol=6&tcpdestinationport=80","t":2}'
	assert_output 200
	run asked
	assert_output "setflow f1 keys=ipsource,ipdestination&value=bytes&filter=ipprotocol%3D6%26tcpdestinationport%3D80&t=2"
	run code /flow/f2/json -X PUT -d '{"keys":["bgpdestinationaspath","ipdestination"],"value":"frames"}'
	assert_output 200
	run asked
	assert_output "setflow f2 keys=bgpdestinationaspath,ipdestination&value=frames"
	run code /flow/f1/json
	assert_output 200
	jq -e '.filter == "ipprotocol=6&tcpdestinationport=80" and .t == "2"' "$T/body"
	run asked
	assert_output "flow f1"
	curl -sf "$URL/flow/json" | jq -e 'map(.name) | sort == ["f1","f2"]'
	assert_equal "$(asked)" flows
	run code /flow/f1/json -X DELETE
	assert_output 200
	assert_equal "$(asked)" "delflow f1"
	run code /flow/f1/json
	assert_output 404
	jq -e '.error | test("unknown flow")' "$T/body"
}

@test "t731 bad flow bodies and names are 400 before flow-watch hears of them" {
	n=$(heard | wc -l)
	for b in '' 'not json' '[1,2]' '{"value":"bytes"}' '{"keys":"a"}' '{"keys":[],"value":"bytes"}' \
		'{"keys":[1],"value":"bytes"}' '{"keys":"a","value":7}' '{"keys":"a","value":"bytes","t":-1}' \
		'{"keys":"a","value":"bytes","t":"2"}' '{"keys":"a","keys":"b","value":"bytes"}'; do
		run code /flow/f1/json -X PUT -d "$b"
		[ "$output" = 400 ] || fail "body '$b': $output"
		jq -e '.error' "$T/body" >/dev/null || fail "body '$b': no error"
	done
	for p in '/flow/bad%20name/json' "/flow/$(printf 'x%.0s' $(seq 1 65))/json" '/flow/a%0Ab/json'; do
		run code "$p" -X PUT -d '{"keys":"a","value":"bytes"}'
		[ "$output" = 400 ] || fail "$p: $output"
	done
	assert_equal "$(heard | wc -l)" "$n"
}

@test "t732 thresholds, then an event by long poll" {
	run code /threshold/t1/json -X PUT -d '{"metric":"f2","value":1000,"byFlow":true,"timeout":60}'
	assert_output 200
	assert_equal "$(asked)" "setthreshold t1 metric=f2&value=1000&byFlow=true&timeout=60"
	curl -sf "$URL/threshold/t1/json" | jq -e '.metric == "f2"'
	curl -sf "$URL/threshold/json" | jq -e 'length == 1'
	run code /threshold/t2/json -X PUT -d '{"metric":"f2"}'
	assert_output 400
	# the stand-in makes an event half a second after the threshold: the
	# long poll waits for it, then answers
	start=$(date +%s%N)
	curl -sf "$URL/events/json?eventID=0&maxEvents=10&timeout=5&thresholdID=t1" > "$T/ev.json"
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -lt 4500 ] || fail "the long poll waited ${ms} ms for an event due after 500"
	jq -e 'length == 1 and (.[0] | (keys | sort) == (["eventID","thresholdID","metric","agent","dataSource","flowKey","value","threshold","timestamp"] | sort))' "$T/ev.json"
	jq -e '.[0].thresholdID == "t1" and .[0].threshold == 1000' "$T/ev.json"
	assert_equal "$(asked)" "events eventID=0&maxEvents=10&timeout=5&thresholdID=t1"
	# nothing newer: the poll ends at its timeout with an empty list
	curl -sf "$URL/events/json?eventID=1&timeout=0.5" | jq -e 'length == 0'
	run code "/events/json?timeout=soon"
	assert_output 400
	run code /threshold/t1/json -X DELETE
	assert_output 200
	run code /threshold/t1/json
	assert_output 404
}

@test "t733 activeflows: maxFlows, minValue, aggMode, agent" {
	curl -sf "$URL/activeflows/ALL/dst-as/json?maxFlows=2" > "$T/a.json"
	jq -e 'length == 2 and (.[0] | has("key") and has("value") and has("agent"))' "$T/a.json"
	assert_equal "$(asked)" "top dst-as maxFlows=2"
	curl -sf "$URL/activeflows/198.18.0.9/dst-as/json?maxFlows=5&minValue=10&aggMode=max" >/dev/null
	assert_equal "$(asked)" "top dst-as maxFlows=5&minValue=10&aggMode=max&agent=198.18.0.9"
	run code "/activeflows/not-an-agent/dst-as/json"
	assert_output 400
	run code "/activeflows/ALL/dst-as/json?aggMode=median"
	assert_output 400
	run code "/activeflows/ALL/dst-as/json" -X PUT -d '{}'
	assert_output 405
}

@test "t734 write methods are off unless --write (http.write = yes)" {
	http_stop
	http_start --flow "$T/flow.sock"
	n=$(heard | wc -l)
	run code /flow/f1/json -X PUT -d '{"keys":"a","value":"bytes"}'
	assert_output 403
	jq -e '.error | test("http.write")' "$T/body"
	run code /threshold/t1/json -X DELETE
	assert_output 403
	assert_equal "$(heard | wc -l)" "$n"
	run code /flow/f1/json
	assert_output 404
	http_stop
	printf 'http.write = no\n' > "$T/c.conf"
	http_start -c "$T/c.conf" --flow "$T/flow.sock"
	run code /flow/f1/json -X PUT -d '{"keys":"a","value":"bytes"}'
	assert_output 403
	http_stop
	printf 'http.write = yes\n' > "$T/c.conf"
	http_start -c "$T/c.conf" --flow "$T/flow.sock"
	run code /flow/f1/json -X PUT -d '{"keys":"a","value":"bytes"}'
	assert_output 200
}
