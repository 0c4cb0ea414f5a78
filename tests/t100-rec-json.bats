#!/usr/bin/env bats
# rec-json: the JSON Lines <-> records lens, and the records contract.

load lib/common

@test "rec-json --help and --version exit 0, a bad flag exits 2" {
	run rec-json --help
	assert_success
	assert_output --partial "usage: rec-json"
	run rec-json --version
	assert_success
	assert_output --regexp '^rec-json \(activeroute\) [0-9]'
	run rec-json --bogus
	assert_failure 2
}

@test "every record type round-trips JSON -> records -> JSON unchanged" {
	rec-json -r "$TESTS_DIR/fixtures/all-records.jsonl" > "$T/all.rec"
	rec-json "$T/all.rec" > "$T/all.jsonl"
	run diff -u "$TESTS_DIR/fixtures/all-records.jsonl" "$T/all.jsonl"
	assert_success
	[ "$(wc -l < "$T/all.jsonl")" -eq 14 ]
}

@test "records -> JSON -> records reproduces the same bytes" {
	rec-json -r "$TESTS_DIR/fixtures/all-records.jsonl" > "$T/a.rec"
	rec-json < "$T/a.rec" | rec-json -r > "$T/b.rec"
	run cmp "$T/a.rec" "$T/b.rec"
	assert_success
}

@test "the msgpack form is the contract: golden bytes" {
	rec-json -r "$TESTS_DIR/fixtures/all-records.jsonl" | od -An -tx1 -v > "$T/all.hex"
	assert_golden t100-all-records.hex "$T/all.hex"
}

@test "addresses are 4/16-byte bin and prefixes carry plen (checked with jq on the generic view)" {
	echo '{"type":"route","op":"add","prefix":"2001:db8::/32","nexthop":"198.18.1.1"}' | rec-json -r > "$T/r.rec"
	# 0xc4 0x10 = bin 16 for the prefix, 0xc4 0x04 = bin 4 for the next hop
	run bash -c "od -An -tx1 -v '$T/r.rec' | tr -d '\n'"
	assert_output --partial "c4 10 20 01 0d b8"
	assert_output --partial "a4 70 6c 65 6e 20"     # "plen" = 32
	assert_output --partial "c4 04 c6 12 01 01"
}

@test "malformed JSON lines are reported with their line number and skipped" {
	run --separate-stderr rec-json -r "$TESTS_DIR/fixtures/bad-lines.jsonl"
	assert_success
	for n in 2 3 4 5 6 7 8 9 10 11 12; do
		[[ "$stderr" == *"bad-lines.jsonl:$n: "* ]] || fail "line $n not reported: $stderr"
	done
	[[ "$stderr" == *"host bits are set"* ]]
	[[ "$stderr" == *"missing field: op"* ]]
	[[ "$stderr" == *"11 bad lines skipped"* ]]
	rec-json -r "$TESTS_DIR/fixtures/bad-lines.jsonl" 2>/dev/null | rec-json > "$T/out.jsonl"
	run cat "$T/out.jsonl"
	assert_line --index 0 '{"type":"sync","phase":"begin"}'
	assert_line --index 1 '{"type":"sync","phase":"end"}'
	[ "$(wc -l < "$T/out.jsonl")" -eq 2 ]
}

@test "--strict stops at the first bad JSON line with exit 1" {
	run --separate-stderr rec-json -r --strict "$TESTS_DIR/fixtures/bad-lines.jsonl"
	assert_failure 1
	[[ "$stderr" == *"bad-lines.jsonl:2: "* ]]
	[[ "$stderr" != *"bad-lines.jsonl:3: "* ]]
}

@test "malformed msgpack is reported with its byte offset and skipped; later records survive" {
	rec-json -r "$TESTS_DIR/fixtures/all-records.jsonl" > "$T/good.rec"
	# cut inside the first record's last address: msgpack cannot see that cut
	# (the garbage fills the 4-byte bin); the garbage after it is skipped
	{ head -c 30 "$T/good.rec"; printf '\xc1\xc1garbage\x93\x01\x02'; cat "$T/good.rec"; } > "$T/bad.rec"
	run --separate-stderr rec-json "$T/bad.rec"
	assert_success
	[[ "$stderr" == *"malformed record at byte 34: not a map"* ]]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 15 ]
	run --separate-stderr rec-json --strict "$T/bad.rec"
	assert_failure 1
	[ "${#lines[@]}" -eq 1 ]
}

@test "a map without type, a wrong field kind, a truncated tail: counted by reason" {
	{ printf '\x81\xa1x\x01'; printf '\x82\xa4type\xa4flow\xa4rate\xa3abc'; \
	  printf '\x82\xa4type\xa4sync\xa5phase\xa5begin'; printf '\x82\xa4type\xa4sync'; } > "$T/m.rec"
	run --separate-stderr rec-json "$T/m.rec"
	assert_success
	assert_output '{"type":"sync","phase":"begin"}'
	[[ "$stderr" == *"1 malformed (no type)"* ]]
	[[ "$stderr" == *"1 malformed (bad field)"* ]]
	[[ "$stderr" == *"1 malformed (truncated)"* ]]
}

@test "-t keeps one record type" {
	rec-json -r "$TESTS_DIR/fixtures/all-records.jsonl" > "$T/a.rec"
	run rec-json -t flow "$T/a.rec"
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 0 --partial '"type":"flow"'
}

@test "works as a filter between FIFOs, and -o writes to a FIFO" {
	mkfifo "$T/in.fifo" "$T/out.fifo"
	rec-json -r -o "$T/out.fifo" "$T/in.fifo" &
	local pid=$!
	cat "$T/out.fifo" > "$T/got.rec" &
	local rd=$!
	cat "$TESTS_DIR/fixtures/all-records.jsonl" > "$T/in.fifo"
	wait "$pid"
	wait "$rd"
	run rec-json "$T/got.rec"
	assert_success
	[ "${#lines[@]}" -eq 14 ]
}

@test "a closed reader (EPIPE) ends rec-json without a signal" {
	rec-json -r "$TESTS_DIR/fixtures/all-records.jsonl" > "$T/big.rec"
	for i in $(seq 1 11); do cat "$T/big.rec" "$T/big.rec" > "$T/x" && mv "$T/x" "$T/big.rec"; done
	run bash -c "rec-json '$T/big.rec' | head -n 1 >/dev/null; echo \${PIPESTATUS[0]}"
	assert_success
	[ "$output" -lt 128 ]
}

# doubles fixture -> file of 14 * 2^n lines
double_up() {
	cp "$1" "$2"
	for i in $(seq 1 "$3"); do cat "$2" "$2" > "$2.x" && mv "$2.x" "$2"; done
}

@test "streams with constant memory: 229k records through both directions" {
	double_up "$TESTS_DIR/fixtures/all-records.jsonl" "$T/big.jsonl" 14
	run bash -c "rec-json -r '$T/big.jsonl' | rec-json | wc -l"
	assert_output 229376
	# peak RSS of the forward direction stays small whatever the input size
	local rss
	rss=$(rec-json -r "$T/big.jsonl" | bash -c 'rec-json > /dev/null & p=$!; m=0; while kill -0 $p 2>/dev/null; do r=$(awk "/VmHWM/{print \$2}" /proc/$p/status 2>/dev/null); [ -n "$r" ] && m=$r; sleep 0.05; done; echo $m')
	[ "${rss:-0}" -lt 65536 ] || fail "rec-json peak RSS ${rss} kB"
}
