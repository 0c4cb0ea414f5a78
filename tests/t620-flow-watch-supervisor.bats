#!/usr/bin/env bats
# active-route wires flow-watch when the config defines a flow: check with
# the real programs, the runit service, prefix-rank's --flows-out.
load lib/common

setup() {
	for p in sflow-decode bgp-speaker prefix-rank route-push flow-watch; do
		[ -x "$AR_BUILD/bin/$p" ] || skip "$p is not built"
	done
	export AR_BINDIR=$AR_BUILD/bin
	cp "$TOP_DIR/pipelines/activeroute.conf.example" "$T/base.conf"
	{ cat "$T/base.conf"; cat <<-'E'
	watch.max-keys = 5000
	watch.flow.ddos.keys = mask:ipsource,bgpsourceas
	watch.flow.ddos.value = frames
	watch.flow.ddos.filter = ipprotocol=17&sourceport=53
	watch.threshold.ddos.metric = ddos
	watch.threshold.ddos.value = 100000
	watch.threshold.ddos.byflow = yes
	E
	} > "$T/w.conf"
}

@test "t620 check: flow-watch is a stage only when a flow is defined; its keys pass" {
	run active-route -c "$T/base.conf" check
	assert_success
	refute_output --partial flow-watch
	run active-route -c "$T/w.conf" check
	assert_success
	assert_output --partial "ok (sflow-decode bgp-learn prefix-rank flow-watch route-push bgp-announce http-api;"
}

@test "t621 check: a bad definition or watch key is named with its line" {
	sed 's/^watch.flow.ddos.keys = .*/watch.flow.ddos.keys = mask:ipsource,nosuchkey/' "$T/w.conf" > "$T/bad.conf"
	n=$(grep -n '^watch.flow.ddos.keys' "$T/bad.conf" | cut -d: -f1)
	run active-route -c "$T/bad.conf" check
	assert_failure 2
	assert_output --partial "bad.conf:$n: watch.flow.ddos: keys: unknown key \"nosuchkey\""
	sed 's/^watch.max-keys = .*/watch.max-key = 5000/' "$T/w.conf" > "$T/bad2.conf"
	run active-route -c "$T/bad2.conf" check
	assert_failure 2
	assert_output --partial "unknown key \"watch.max-key\": flow-watch has no option --max-key"
}

@test "t622 runit: a flow-watch service; prefix-rank writes its enriched flows to it" {
	run active-route -c "$T/w.conf" runit "$T/sv"
	assert_success
	[ -x "$T/sv/flow-watch/run" ] && [ -x "$T/sv/flow-watch/log/run" ]
	grep -q 'exec flow-watch$' "$T/sv/flow-watch/run"
	run active-route -c "$T/base.conf" runit "$T/sv2"
	[ ! -e "$T/sv2/flow-watch" ]
	# the wiring: what each stage would run with
	source_stage_cmd() {
		bash -c 'source <(sed "/^# ---* main/,\$d" "$1"); SELF=$1; CONF=$2; PROG=active-route
			conf_load "$CONF"; conf_shared; stage_cmd "$3" nowrap; printf "%s\n" "${CMD[@]}"' _ \
			"$TOP_DIR/pipelines/active-route" "$1" "$2"
	}
	run source_stage_cmd "$T/w.conf" prefix-rank
	assert_output --partial "--flows-out"
	assert_output --partial "watchflows.fifo"
	run source_stage_cmd "$T/w.conf" flow-watch
	assert_output --partial "--flows"
	assert_output --partial "watch.sock"
	run source_stage_cmd "$T/base.conf" prefix-rank
	refute_output --partial "--flows-out"
}
