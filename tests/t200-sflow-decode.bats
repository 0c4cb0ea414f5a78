#!/usr/bin/env bats
# sflow-decode: options, configuration, file input, counters and stats.
# Captures are made by sflow-gen (tests/tools/sflow-gen.c); the third-party
# captures are compared with tshark in t210.
load lib/common
load lib/netns
load tools/sflow-lib

teardown() { netns_cleanup; }

gen() { sflow-gen -o "$T/$1.pcap" "${@:2}" "$1"; }

@test "t200: --help prints every option and exits 0" {
	run sflow-decode --help
	assert_success
	for o in --listen --read --port --agents --counters --stats-interval --rcvbuf \
		 --limit --max-sources --quiet --log-level --config --check --help --version; do
		assert_output --partial -- "$o"
	done
}

@test "t200: --version" {
	run sflow-decode --version
	assert_success
	assert_output --regexp '^sflow-decode \(activeroute\) [0-9]'
}

@test "t200: usage errors exit 2 with a message" {
	run sflow-decode
	assert_failure 2
	assert_output --partial "give either --listen or --read"
	run sflow-decode -r x.pcap -l 127.0.0.1
	assert_failure 2
	run sflow-decode -r x.pcap --port 70000
	assert_failure 2
	assert_output --partial "--port"
	run sflow-decode -r x.pcap --agents 10.0.0.1/33
	assert_failure 2
	assert_output --partial "--agents"
	run sflow-decode -r x.pcap --stats-interval -1
	assert_failure 2
	run sflow-decode -r x.pcap --log-level loud
	assert_failure 2
	run sflow-decode -r x.pcap extra
	assert_failure 2
	assert_output --partial "unexpected argument"
	run sflow-decode --no-such-option
	assert_failure 2
}

@test "t200: a missing or unreadable capture is a runtime failure (exit 1)" {
	run sflow-decode -r "$T/none.pcap"
	assert_failure 1
	assert_output --partial "sflow-decode: error: $T/none.pcap"
	echo "not a capture" > "$T/text"
	run sflow-decode -r "$T/text"
	assert_failure 1
	assert_output --partial "error: $T/text"
}

@test "t200: -c reads sflow. keys; flags override them; -n checks only" {
	gen agents
	cat > "$T/conf" <<-EOF
	# shared file: other stages' keys are ignored
	rank.max-routes = 100
	sflow.agents = 198.18.0.0/24
	sflow.stats-interval = 0
	sflow.quiet = yes
	EOF
	run sflow-decode -c "$T/conf" -n -r "$T/agents.pcap"
	assert_success
	assert_output ""
	sflow-decode -c "$T/conf" -r "$T/agents.pcap" | rec-json > "$T/out"
	run jq -r .agent "$T/out"
	assert_output "$(printf '198.18.0.1\n198.18.0.1')"
	# a flag given on the command line adds to the configured list
	sflow-decode -c "$T/conf" --agents 2001:db8::/32 -r "$T/agents.pcap" | rec-json > "$T/out"
	run jq -r .agent "$T/out"
	assert_output "$(printf '198.18.0.1\n198.18.0.1\n2001:db8::99')"
}

@test "t200: a bad config value is reported as file:line and exits 2" {
	printf 'sflow.port = 6343\nsflow.port = many\n' > "$T/conf"
	run sflow-decode -c "$T/conf" -n -r x.pcap
	assert_failure 2
	assert_output --partial "$T/conf:2"
	printf 'sflow.no-such-key = 1\n' > "$T/conf2"
	run sflow-decode -c "$T/conf2" -n -r x.pcap
	assert_output --partial "$T/conf2:1"
}

@test "t200: -r - reads the capture from stdin" {
	gen quirks
	decode -r "$T/quirks.pcap" > "$T/a"
	sflow-decode -q -s 0 -r - < "$T/quirks.pcap" | rec-json > "$T/b"
	[ -s "$T/a" ]
	cmp "$T/a" "$T/b"
}

@test "t200: pcapng, Linux cooked v1/v2, raw IP, loopback, 802.1Q, IPv6 transport" {
	need_cmd editcap
	gen agents
	decode -r "$T/agents.pcap" > "$T/want"
	[ "$(wc -l < "$T/want")" = 7 ]
	editcap -F pcapng "$T/agents.pcap" "$T/agents.pcapng"
	decode -r "$T/agents.pcapng" > "$T/got"
	cmp "$T/want" "$T/got"
	for args in "-l sll" "-l sll2" "-l raw" "-l null" "-V" "-6" "-6 -l sll" "-6 -l raw"; do
		# shellcheck disable=SC2086
		sflow-gen $args -o "$T/x.pcap" agents
		decode -r "$T/x.pcap" | jq -c 'del(.ts)' > "$T/got"
		jq -c 'del(.ts)' "$T/want" | cmp - "$T/got" || fail "link/transport $args differs"
	done
}

@test "t200: --port selects the sFlow UDP port; others count as not sflow" {
	sflow-gen -P 9999 -o "$T/p.pcap" agents
	run sflow-decode -s 0 -r "$T/p.pcap"
	assert_success
	assert_output --partial "pcap: 7 packets, 7 not sflow"
	decode --port 9999 -r "$T/p.pcap" > "$T/out"
	[ "$(wc -l < "$T/out")" = 7 ]
}

@test "t200: IPv4 fragments are counted, not decoded" {
	sflow-gen -F -o "$T/f.pcap" agents
	run sflow-decode -s 0 -r "$T/f.pcap"
	assert_success
	assert_output --partial "7 fragments"
}

@test "t200: --counters adds counter records; without it they are only counted" {
	gen quirks
	decode -r "$T/quirks.pcap" > "$T/out"
	run jq -r .type "$T/out"
	refute_output --partial counter
	decode --counters -r "$T/quirks.pcap" > "$T/out"
	run jq -c 'select(.type == "counter") | [.ds, .ifindex, .speed, .inoctets, .outoctets, .inpkts, .outpkts, .inerrors, .outerrors, .indiscards, .outdiscards, .ifstatus, .iftype]' "$T/out"
	assert_output "$(printf '%s\n' '[7,7,10000000000,1000000,2000000,1015,2026,2,4,1,3,3,6]' \
		'[33554433,33554433,10000000000,1000000,2000000,1015,2026,2,4,1,3,3,6]')"
}

@test "t200: --agents accepts addresses and prefixes, IPv4 and IPv6; others are counted" {
	gen agents
	sflow-decode -s 0 --agents 198.18.1.1,2001:db8::/64 -r "$T/agents.pcap" 2>"$T/err" | rec-json > "$T/out"
	run jq -r 'select(.type == "flow") | .agent' "$T/out"
	assert_output "$(printf '198.18.1.1\n198.18.1.1\n2001:db8::99')"
	grep -q "7 datagrams, [0-9]* bytes, 4 filtered" "$T/err"
	decode -s 1 --agents 198.18.0.0/15 --agents 2001:db8::99 -r "$T/agents.pcap" > "$T/out"
	run jq -c 'select(.type == "stats") | [.datagrams, .filtered, .flows]' "$T/out"
	assert_output "[7,0,7]"
}

@test "t200: --limit stops after N datagrams" {
	sflow-gen -n 50 -o "$T/b.pcap" bench
	decode --limit 3 -r "$T/b.pcap" > "$T/out"
	[ "$(jq -r .dseq "$T/out" | sort -u | wc -l)" = 3 ]
	[ "$(wc -l < "$T/out")" = 24 ]
}

@test "t200: stats record at the end with every counter; -s 0 writes none" {
	sflow-gen -n 40 -o "$T/b.pcap" bench
	sflow-decode -q -r "$T/b.pcap" | rec-json -t stats > "$T/stats"
	[ "$(wc -l < "$T/stats")" = 1 ]
	run jq -c '[.stage, .datagrams, .flow_samples, .counter_samples, .flows, .counters, .malformed, .packets]' "$T/stats"
	assert_output '["sflow-decode",40,320,2,320,0,0,40]'
	decode -r "$T/b.pcap" > "$T/out"
	run jq -r .type "$T/out"
	refute_output --partial stats
}

@test "t200: summary on stderr; -q silences it; --log-level error hides warnings" {
	gen malformed
	run sflow-decode -s 0 -r "$T/malformed.pcap"
	assert_success
	assert_output --partial "summary: 20 datagrams"
	assert_output --partial "9 malformed"
	assert_output --partial "warning: datagram 2 (8 bytes): malformed: short"
	run sflow-decode -q -s 0 --log-level error -r "$T/malformed.pcap"
	assert_success
	refute_output --partial "summary"
	refute_output --partial "warning"
}

@test "t200: --max-sources bounds the sequence table; the rest is untracked" {
	gen agents
	sflow-decode -q --max-sources 1 -r "$T/agents.pcap" | rec-json -t stats > "$T/stats"
	run jq -r '.untracked > 0' "$T/stats"
	assert_output true
	sflow-decode -q -r "$T/agents.pcap" | rec-json -t stats > "$T/stats"
	run jq -r .untracked "$T/stats"
	assert_output 0
}

@test "t200: a reader that goes away is a runtime failure, not a signal" {
	sflow-gen -n 20000 -o "$T/b.pcap" bench
	run bash -c "sflow-decode -q -r '$T/b.pcap' | head -c 10 > /dev/null; echo \"rc=\${PIPESTATUS[0]}\""
	assert_output --partial "rc=1"
	assert_output --partial "the reader went away"
}

@test "t200: the man page names every option of --help and is lint clean" {
	need_cmd mandoc
	man=$TOP_DIR/man/man1/sflow-decode.1
	run mandoc -Tlint -W warning "$man"
	assert_output ""
	for o in $(sflow-decode --help | grep -o -- '--[a-z-]*' | sort -u); do
		grep -q -- "Fl -${o#--}\b\|Fl -${o#--}$" "$man" || fail "$o is not in the man page"
	done
}

@test "t200: -o writes the records to a file; an unwritable path is exit 1" {
	sflow-gen -o "$T/a.pcap" agents
	sflow-decode -q -s 0 -r "$T/a.pcap" -o "$T/out.rec"
	[ "$(rec-json < "$T/out.rec" | wc -l)" = 7 ]
	run sflow-decode -q -s 0 -r "$T/a.pcap" -o "$T/no/such/dir/out"
	assert_failure 1
	assert_output --partial "cannot open $T/no/such/dir/out"
}

# Under the sanitizer pass (make check runs t200 there) a timer left linked
# in the loop after its owner was freed is a report and a failed exit.
@test "t200: SIGTERM while the output FIFO waits for its next reader, periodic stats on: exit 0" {
	sflow_ns
	fifo_decode -l 127.0.0.1:6398 -s 0.2
	send -u 127.0.0.1:6398 -n 5 bench
	fifo_read "$T/r1"
	wait_for 5 grep -q "the reader went away" "$T/err"
	sleep 0.5        # a stats tick and a reopen try while nobody reads
	kill -TERM "$PID"
	local rc=0
	wait "$PID" || rc=$?
	run cat "$T/err"
	refute_output --partial "ERROR:"
	[ "$rc" = 0 ]
	[ "$(rec-json -t flow < "$T/r1" | wc -l)" = 40 ]
}
