#!/usr/bin/env bats
# route-push without a kernel: --dry-run, ordering, cap, guards, options.

load lib/common
load tools/push-lib

GEN="$TESTS_DIR/tools/push-gen-snapshots"
CHECK="$TESTS_DIR/tools/push-trace-check"


@test "t500 route-push --help, --version, bad flags and values exit 2" {
	run route-push --help
	assert_success
	assert_output --partial "usage: route-push"
	run route-push --version
	assert_success
	assert_output --regexp '^route-push \(activeroute\) [0-9]'
	run route-push --bogus
	assert_failure 2
	run route-push --proto 2 --check
	assert_failure 2
	assert_output --partial "belongs to the kernel"
	run route-push --table nosuch --check
	assert_failure 2
	run route-push --max-withdraw-percent 150 --check
	assert_failure 2
	run route-push --check extra
	assert_failure 2
}

@test "t501 config file: push. keys are read, a bad value is file:line" {
	printf 'push.max-routes = 2\npush.dry-run = yes\n' > "$T/ok.conf"
	snap 198.18.2.0/24=198.18.1.1 198.18.3.0/24=198.18.1.1 198.18.4.0/24=198.18.1.1 |
		rec-json -r > "$T/s.rec"
	run route-push -c "$T/ok.conf" -i "$T/s.rec"
	assert_success
	[ "$(grep -c '^add' <<<"$output")" -eq 2 ]
	printf 'push.max-routes = lots\n' > "$T/bad.conf"
	run route-push -c "$T/bad.conf" --check
	assert_failure 2
	assert_output --partial "bad.conf:1"
}

@test "t502 dry-run: more-specifics added first, covers replaced in place, removed last" {
	rec-json -r "$TESTS_DIR/fixtures/push-nested.jsonl" > "$T/in.rec"
	route-push --dry-run --trace "$T/trace" < "$T/in.rec" > "$T/out" 2>"$T/err"
	assert_golden t502-dry-run "$T/out"
	run "$CHECK" --final "$T/trace"
	assert_success
}

@test "t503 random nested snapshots: the trace checker finds no hiding at any step" {
	local seed
	for seed in $(gate_seeds 1 2 3 4 5 6); do
		"$GEN" --seed $seed --count 8 --routes 60 --churn 0.5 --v6 | rec-json -r |
			route-push --dry-run --max-withdraw-percent 100 --trace "$T/t$seed" >/dev/null 2>&1
		run "$CHECK" --final "$T/t$seed"
		assert_success
		assert_output --partial "no hiding"
	done
}

@test "t504 the trace checker fails on a hiding order" {
	printf 'have 198.18.0.0/16 A\nhave 198.18.4.0/24 B\nplan 1\nwant 198.18.0.0/16 B\ndel 198.18.4.0/24\nreplace 198.18.0.0/16 B\n' > "$T/bad"
	run "$CHECK" "$T/bad"
	assert_failure 1
	assert_output --partial "hiding"
}

@test "t505 the cap holds at every step, refused covers go before what they cover" {
	local seed
	for seed in $(gate_seeds 1 2 3 4); do
		"$GEN" --seed $seed --count 8 --routes 60 --churn 0.6 | rec-json -r |
			route-push --dry-run --max-withdraw-percent 100 --max-routes 40 \
				--trace "$T/t$seed" --stats "$T/st$seed" >/dev/null 2>&1
		run "$CHECK" --final --max 40 "$T/t$seed"
		assert_success
		[ "$(rec-json < "$T/st$seed" | tail -1 | jq .refused)" -gt 0 ]
	done
	# a /16 covering a /24: a cap of 1 keeps the /24, never the /16 alone
	snap 198.18.0.0/16=198.18.1.1@100 198.18.4.0/24=198.18.1.2@1 | rec-json -r > "$T/s.rec"
	run route-push --dry-run --max-routes 1 -i "$T/s.rec"
	assert_success
	assert_line "add 198.18.4.0/24 via 198.18.1.2"
	refute_line --partial "198.18.0.0/16"
}

@test "t506 withdraw guard: a mass withdrawal waits for a second snapshot that agrees" {
	{ snap 198.18.2.0/24=198.18.1.1 198.18.3.0/24=198.18.1.1 198.18.4.0/24=198.18.1.1
	  snap 198.18.2.0/24=198.18.1.1; } | rec-json -r > "$T/one.rec"
	run route-push --dry-run --stats "$T/st" -i "$T/one.rec"
	assert_success
	refute_line --regexp "^del"
	[ "$(rec-json < "$T/st" | tail -1 | jq .held)" -eq 1 ]
	{ snap 198.18.2.0/24=198.18.1.1 198.18.3.0/24=198.18.1.1 198.18.4.0/24=198.18.1.1
	  snap 198.18.2.0/24=198.18.1.1
	  snap 198.18.2.0/24=198.18.1.1; } | rec-json -r > "$T/two.rec"
	run route-push --dry-run -i "$T/two.rec"
	assert_success
	assert_line "del 198.18.3.0/24"
	assert_line "del 198.18.4.0/24"
	# a snapshot that does not agree replaces the held one
	{ snap 198.18.2.0/24=198.18.1.1 198.18.3.0/24=198.18.1.1 198.18.4.0/24=198.18.1.1
	  snap 198.18.2.0/24=198.18.1.1
	  snap 198.18.2.0/24=198.18.1.1 198.18.3.0/24=198.18.1.1 198.18.4.0/24=198.18.1.1 198.18.5.0/24=198.18.1.1; } |
		rec-json -r > "$T/three.rec"
	run route-push --dry-run -i "$T/three.rec"
	assert_success
	refute_line --regexp "^del"
	assert_line "add 198.18.5.0/24 via 198.18.1.1"
}

@test "t507 only complete snapshots apply; malformed records are skipped" {
	{ snap 198.18.2.0/24=198.18.1.1
	  echo '{"type":"sync","phase":"begin"}'
	  echo '{"type":"route","op":"add","prefix":"198.18.9.0/24","nexthop":"198.18.1.9"}'; } |
		rec-json -r > "$T/cut.rec"
	printf '\xc1\xc1garbage' >> "$T/cut.rec"
	run route-push --dry-run --stats "$T/st" -i "$T/cut.rec"
	assert_success
	assert_line "add 198.18.2.0/24 via 198.18.1.1"
	refute_line --partial "198.18.9.0"
	[ "$(rec-json < "$T/st" | tail -1 | jq .dropped)" -eq 1 ]
}

@test "t508 rate limit: changes beyond the rate wait, all arrive, order still safe" {
	"$GEN" --seed 9 --count 2 --routes 30 --churn 0.6 | rec-json -r > "$T/in.rec"
	run route-push --dry-run --max-withdraw-percent 100 --max-changes-per-second 20 \
		--trace "$T/trace" --stats "$T/st" -i "$T/in.rec"
	assert_success
	[ "$(rec-json < "$T/st" | tail -1 | jq .deferred)" -gt 0 ]
	run "$CHECK" --final "$T/trace"
	assert_success
}

@test "t509 IPv4 and IPv6 caps are separate, both hold at every step" {
	local seed
	for seed in $(gate_seeds 11 12 13); do
		"$GEN" --seed $seed --count 6 --routes 80 --churn 0.5 --v6 | rec-json -r |
			route-push --dry-run --max-withdraw-percent 100 --max-routes 30 --max-routes6 8 \
				--trace "$T/t$seed" --stats "$T/st$seed" >/dev/null 2>&1
		run "$CHECK" --final --max 30 --max6 8 "$T/t$seed"
		assert_success
		rec-json < "$T/st$seed" | tail -1 > "$T/last"
		[ "$(jq .installed "$T/last")" -le 30 ]
		[ "$(jq .installed6 "$T/last")" -le 8 ]
		[ "$(jq .installed6 "$T/last")" -gt 0 ]
	done
}

@test "t500b --stats FILE holds the last stats record only, replaced (as every stage's file)" {
	{ snap 198.18.2.0/24=198.18.1.1
	  snap 198.18.2.0/24=198.18.1.1 198.18.3.0/24=198.18.1.1
	  snap 198.18.2.0/24=198.18.1.2 198.18.3.0/24=198.18.1.1; } | rec-json -r > "$T/three.rec"
	run route-push --dry-run --stats "$T/st" -i "$T/three.rec"
	assert_success
	run bash -c "rec-json -t stats < '$T/st' | jq -c '[.snapshots, .installed]'"
	assert_output "[3,2]"
	[ ! -e "$T/st.tmp" ]
}
