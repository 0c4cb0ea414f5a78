#!/usr/bin/env bats
# prefix-rank: usage, config, and the property tests of its core.
load lib/common
load tools/rank-lib

@test "t400 --help and --version" {
	run prefix-rank --help
	assert_success
	assert_output --partial "usage: prefix-rank"
	assert_output --partial "--max-routes6"
	run prefix-rank --version
	assert_success
	assert_output --partial "prefix-rank"
}

@test "t401 usage errors exit 2 with a message" {
	run prefix-rank
	assert_failure 2
	assert_output --partial "give at least one --routes or --flows"
	run prefix-rank --bogus
	assert_failure 2
	run prefix-rank -r x --tick 0
	assert_failure 2
	run prefix-rank -r x --max-routes lots
	assert_failure 2
	run prefix-rank -q top
	assert_failure 2
	assert_output --partial "--query needs --control"
	run prefix-rank -r x extra
	assert_failure 2
}

@test "t402 --check reads the rank. keys of a config file" {
	printf 'rank.max-routes = 5\nrank.tick = 2\nbgp.port = 1179\n' > "$T/ok.conf"
	run prefix-rank -c "$T/ok.conf" -r /nonexistent -n
	assert_success
	printf 'rank.max-routes = many\n' > "$T/bad.conf"
	run prefix-rank -c "$T/bad.conf" -r x -n
	assert_failure 2
	assert_output --partial "bad.conf:1"
}

@test "t403 a config key takes effect: rank.max-routes = 1" {
	rank_routes "$T/r.jsonl" 198.18.1.0/24=198.19.0.1 198.18.2.0/24=198.19.0.2
	rank_flows "$T/f.jsonl" 5 198.18.1.1,1000,10,10 198.18.2.1,1000,10,20
	to_rec "$T/r.jsonl" "$T/r.rec"; to_rec "$T/f.jsonl" "$T/f.rec"
	printf 'rank.max-routes = 1\n' > "$T/c.conf"
	prefix-rank -c "$T/c.conf" --replay -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.1.0/24 198.19.0.1 -"
}

@test "t404 property test: LPM, parents, capacity and no hiding over random RIBs, also for promotions between ticks" {
	for seed in 1 2 3 4 5; do
		run --separate-stderr rank-prop "$seed" 15
		assert_success
		assert_output --regexp "^[0-9]+ passed, 0 failed$"
	done
}

@test "t405 a missing input file is a runtime error (exit 1)" {
	run prefix-rank --replay -r "$T/nope.rec"
	assert_failure 1
	assert_output --partial "cannot open"
}

@test "t406 malformed records are counted and skipped, never fatal" {
	rank_routes "$T/r.jsonl" 198.18.1.0/24=198.19.0.1
	to_rec "$T/r.jsonl" "$T/r.rec"
	rank_flows "$T/f.jsonl" 3 198.18.1.1,1000,10,10
	to_rec "$T/f.jsonl" "$T/f.rec"
	{ printf '\xc1\xc1garbage'; cat "$T/f.rec"; printf '\x81\xa4type\xa4flow\x92'; } > "$T/bad.rec"
	run prefix-rank --replay -r "$T/r.rec" -f "$T/bad.rec" -o "$T/out.rec"
	assert_success
	[ "$(rank_stat "$T/out.rec" bad)" -ge 1 ]
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.1.0/24 198.19.0.1 -"
}

@test "t407 --replay: a flow timestamp years ahead skips the idle ticks, it does not run them" {
	rank_routes "$T/r.jsonl" 198.18.1.0/24=198.19.0.1
	{ echo '{"type":"flow","dst":"198.18.1.1","len":1000,"rate":10,"ts":1700000000000000}'
	  echo '{"type":"flow","dst":"198.18.1.1","len":1000,"rate":10,"ts":1800000000000000}'; } > "$T/f.jsonl"
	to_rec "$T/r.jsonl" "$T/r.rec"; to_rec "$T/f.jsonl" "$T/f.rec"
	# 100,000,000 s of one-second ticks would never end; timeout makes that a failure
	run --separate-stderr timeout 20 prefix-rank --replay -r "$T/r.rec" -f "$T/f.rec" -o "$T/out.rec"
	assert_success
	[[ "$stderr" == *"idle ticks skipped"* ]]
	# the ticks before the jump (until every rate decayed) and the one after it
	local n; n=$(rec-json -t stats "$T/out.rec" | wc -l)
	[ "$n" -gt 500 ] && [ "$n" -lt 1000 ] || fail "$n ticks"
	# and the flow after the jump still counts
	run rank_last_fib "$T/out.rec"
	assert_output --partial "198.18.1.0/24 198.19.0.1"
}

@test "t408 property test: a bulk load (sorted, its fallback, settled half way) builds the RIB one by one would" {
	for seed in $(gate_seeds 1 2 3 4 5); do
		run --separate-stderr rank-bulk "$seed" 10
		assert_success
		assert_output --regexp "^[0-9]+ passed, 0 failed$"
	done
}

@test "t409 --replay: a table loaded in bulk gives the outputs of one loaded one by one" {
	rank-gen routes 30000 6000 3 > "$T/bulk.rec"
	rank-gen flows 30000 6000 3 300000 20 > "$T/f.rec"
	# Deletes of prefixes the table never has, after its first route: both
	# families settle there and the rest goes in one by one.
	rec-json < "$T/bulk.rec" | python3 -c '
import sys
for i, line in enumerate(sys.stdin):
    sys.stdout.write(line)
    if i == 1:
        for p in ("203.0.113.1/32", "3fff::1/128"):
            print("{\"type\":\"route\",\"op\":\"del\",\"prefix\":\"%s\",\"peer\":\"198.18.0.1\"}" % p)
' | rec-json -r > "$T/one.rec"
	# (a tree built wrong can make a walk loop: timeout turns that into a failure)
	timeout 120 prefix-rank --replay -t 1 -r "$T/bulk.rec" -f "$T/f.rec" -o "$T/bulk.out"
	timeout 120 prefix-rank --replay -t 1 -r "$T/one.rec" -f "$T/f.rec" -o "$T/one.out"
	# Per tick the same records (their order within a tick follows internal
	# ids and sibling order: no reader depends on it), and the same stats.
	for f in bulk one; do
		rec-json < "$T/$f.out" | python3 -c '
import json, sys
cur = []
for line in sys.stdin:
    r = json.loads(line)
    if r["type"] == "stats":
        for k in ("tickms", "routedels"):
            r.pop(k, None)
        for k in ("coverage4", "coverage6", "coverage"):
            r[k] = round(r[k], 9)    # sums in walk order: the last bits vary
        print("\n".join(sorted(cur))); print(json.dumps(r, sort_keys=True)); cur = []
    else:
        cur.append(json.dumps(r, sort_keys=True))
' > "$T/$f.ticks"
	done
	[ "$(grep -c '"type": "route"' "$T/bulk.ticks")" -gt 10000 ]
	[ "$(rank_stat "$T/bulk.out" selected4)" -gt 1000 ]
	run diff "$T/bulk.ticks" "$T/one.ticks"
	assert_success
}
