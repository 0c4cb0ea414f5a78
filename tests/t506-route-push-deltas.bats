#!/usr/bin/env bats
# route-push on the delta stream: a complete state, then changes applied as
# they arrive (--dry-run shows each change it would make).
load lib/common
load tools/push-lib

teardown() {
	[ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true
	[ -n "${PID:-}" ] && wait "$PID" 2>/dev/null || true
}

add() { printf '{"type":"route","op":"add","prefix":"%s","nexthop":"%s","value":%s}\n' "$1" "$2" "${3:-1.0}"; }
del() { printf '{"type":"route","op":"del","prefix":"%s"}\n' "$1"; }
push() { route-push --dry-run --max-withdraw-percent 100 "$@"; }

@test "t506 changes after a complete state: add, replace and del, each applied" {
	{
		snap 198.18.1.0/24=198.19.0.1@1
		add 198.18.2.0/24 198.19.0.2
		add 198.18.1.0/24 198.19.0.9
		del 198.18.2.0/24
	} | rec-json -r > "$T/in.rec"
	run --separate-stderr push --stats "$T/st.rec" -i "$T/in.rec"
	assert_success
	assert_output --partial "add 198.18.1.0/24 via 198.19.0.1"
	# the three changes came in one read: merged, the last word on a prefix wins
	assert_output --partial "replace 198.18.1.0/24 via 198.19.0.9"
	refute_output --partial "198.18.2.0/24"
	[ "$(rec-json -t stats < "$T/st.rec" | tail -1 | jq .deltas)" = 3 ]
}

@test "t507 changes before any complete state are ignored and counted" {
	{
		add 198.18.2.0/24 198.19.0.2
		snap 198.18.1.0/24=198.19.0.1@1
	} | rec-json -r > "$T/in.rec"
	run --separate-stderr push --stats "$T/st.rec" -i "$T/in.rec"
	assert_success
	refute_output --partial "198.18.2.0/24"
	[ "$(rec-json -t stats < "$T/st.rec" | tail -1 | jq .deltaignored)" = 1 ]
}

@test "t508 a change is applied while the writer stays open, without the next snapshot" {
	mkfifo "$T/in.fifo"
	route-push --dry-run -i "$T/in.fifo" > "$T/out" 2> "$T/err" &
	PID=$!
	exec 7> "$T/in.fifo"
	snap 198.18.1.0/24=198.19.0.1@1 | rec-json -r >&7
	wait_for 5 grep -q "add 198.18.1.0/24" "$T/out"
	add 198.18.3.0/24 198.19.0.3 | rec-json -r >&7
	wait_for 5 grep -q "add 198.18.3.0/24 via 198.19.0.3" "$T/out" || fail "$(cat "$T/out" "$T/err")"
	del 198.18.1.0/24 | rec-json -r >&7
	wait_for 5 grep -q "del 198.18.1.0/24" "$T/out" || fail "$(cat "$T/out" "$T/err")"
	exec 7>&-
}

@test "t509 changes keep the ordering rules and the cap" {
	{
		snap 198.18.0.0/16=198.19.0.1@1
		# a more-specific added and its cover replaced in one batch
		add 198.18.5.0/24 198.19.0.5
		add 198.18.0.0/16 198.19.0.2
	} | rec-json -r > "$T/in.rec"
	run --separate-stderr push -i "$T/in.rec"
	assert_success
	echo "$output"
	# the more-specific goes in before its cover changes next hop
	local a r
	a=$(grep -n "add 198.18.5.0/24" <<< "$output" | cut -d: -f1)
	r=$(grep -n "replace 198.18.0.0/16" <<< "$output" | cut -d: -f1)
	[ -n "$a" ] && [ -n "$r" ] && [ "$a" -lt "$r" ]
	# the cap holds for changes as for snapshots
	{
		snap 198.18.1.0/24=198.19.0.1@1 198.18.2.0/24=198.19.0.2@1
		add 198.18.3.0/24 198.19.0.3 0.5
	} | rec-json -r > "$T/cap.rec"
	run --separate-stderr push --max-routes 2 --stats "$T/st.rec" -i "$T/cap.rec"
	assert_success
	refute_output --partial "198.18.3.0/24"
	[ "$(rec-json -t stats < "$T/st.rec" | tail -1 | jq .installed)" = 2 ]
	[ "$(rec-json -t stats < "$T/st.rec" | tail -1 | jq .refused)" = 1 ]
}

# first_writer OPTIONS... -- ROUTES...: route-push --dry-run OPTIONS on a
# FIFO, given one complete state of ROUTES by a writer that then leaves.
first_writer() {
	local opts=() last
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	mkfifo "$T/in.fifo"
	route-push --dry-run "${opts[@]}" -i "$T/in.fifo" > "$T/out" 2> "$T/err" &
	PID=$!
	snap "$@" | rec-json -r > "$T/in.fifo"
	last=${!#}
	wait_for 5 grep -q "add ${last%%=*}" "$T/out"
	# a new writer opening before the end of the old one is read would be
	# the same writer to route-push: no restart, no grace
	wait_for 5 grep -q "writer went away" "$T/err" || fail "$(cat "$T/err")"
}

@test "t510a routes kept over a writer's restart leave when the grace ends, changes or not" {
	first_writer --grace 1 -- 198.18.1.0/24=198.19.0.1@1 198.18.2.0/24=198.19.0.2@1
	# the writer restarts: its first state lacks 198.18.2.0/24, then a change
	exec 7> "$T/in.fifo"
	{ snap 198.18.1.0/24=198.19.0.1@1; add 198.18.3.0/24 198.19.0.3; } | rec-json -r >&7
	wait_for 5 grep -q "add 198.18.3.0/24" "$T/out" || fail "$(cat "$T/out" "$T/err")"
	! grep -q "del 198.18.2.0/24" "$T/out"
	wait_for 5 grep -q "del 198.18.2.0/24" "$T/out" || fail "$(cat "$T/out" "$T/err")"
	grep -q "restart grace over" "$T/err"
	exec 7>&-
}

@test "t510b at the cap a restarted writer's routes win over the ones kept for the grace" {
	first_writer --grace 30 --max-routes 2 -- 198.18.1.0/24=198.19.0.1@1000 198.18.2.0/24=198.19.0.2@1000
	# the new writer's rates start small: its hot prefix must not wait for
	# the grace behind the old routes' old values
	exec 7> "$T/in.fifo"
	snap 198.18.1.0/24=198.19.0.1@1 198.18.3.0/24=198.19.0.3@1 | rec-json -r >&7
	wait_for 5 grep -q "add 198.18.3.0/24" "$T/out" || fail "$(cat "$T/out" "$T/err")"
	grep -q "del 198.18.2.0/24" "$T/out"
	exec 7>&-
}

@test "t510c a kept cover leaves with the new writer's more-specific it covered (never hides it)" {
	# the old writer: a /16 via .1 and, under it, a /24 via .2 (its closure)
	first_writer --grace 30 -- 198.18.0.0/16=198.19.0.1@10 198.18.5.0/24=198.19.0.2@10
	# the new writer has the /24 only, the /16 is kept for the grace;
	# then the new writer drops the /24: the kept /16 alone would send
	# 198.18.5.0/24's traffic to .1
	exec 7> "$T/in.fifo"
	snap 198.18.5.0/24=198.19.0.2@10 198.18.9.0/24=198.19.0.3@10 | rec-json -r >&7
	wait_for 5 grep -q "add 198.18.9.0/24" "$T/out" || fail "$(cat "$T/out" "$T/err")"
	! grep -q "del 198.18.0.0/16" "$T/out"
	del 198.18.5.0/24 | rec-json -r >&7
	wait_for 5 grep -q "del 198.18.5.0/24" "$T/out" || fail "$(cat "$T/out" "$T/err")"
	grep -q "del 198.18.0.0/16" "$T/out" || fail "the kept /16 stayed: $(cat "$T/out")"
	# the cover went first (or in the same plan): never the /24 alone
	[ "$(grep -n "del 198.18.0.0/16" "$T/out" | cut -d: -f1)" -le "$(grep -n "del 198.18.5.0/24" "$T/out" | cut -d: -f1)" ]
	# the writer's own routes stay
	! grep -q "del 198.18.9.0/24" "$T/out"
	exec 7>&-
}
