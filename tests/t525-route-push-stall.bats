#!/usr/bin/env bats
# route-push --bgp with a reader that came after it started and then
# stopped reading (bgp-speaker frozen): the input is still read, the stats
# still written, memory stays bounded; what could not be written is
# replaced by the newest state, which the reader gets when it reads again.
load lib/common
load tools/push-lib

teardown() { stall_teardown; }

N=3000          # routes a snapshot: one state is several pipe buffers

# Snapshot K: the same N /28s of 198.18.0.0/15, all via 198.19.K.1 (each
# snapshot changes every next hop: N changes, no removal).
gen_snaps() {
	local k
	for k in "$@"; do
		awk -v n="$N" -v k="$k" 'BEGIN {
			print "{\"type\":\"sync\",\"phase\":\"begin\"}"
			for (i = 0; i < n; i++)
				printf "{\"type\":\"route\",\"op\":\"add\",\"prefix\":\"198.18.%d.%d/28\",\"nexthop\":\"198.19.%d.1\",\"value\":%d.0}\n",
					int(i / 16), (i % 16) * 16, k, n - i
			print "{\"type\":\"sync\",\"phase\":\"end\"}"
		}' | rec-json -r > "$T/s$k.rec"
	done
}

# One snapshot to route-push's input; the writer must not be held up (a
# snapshot is more than the input FIFO's buffer: a route-push that does
# not read makes this time out).
feed() { timeout 2 cat "$T/s$1.rec" >&7 || fail "the writer of route-push's input blocked (snapshot $1)"; }

stat_of() { rec-json -t stats < "$T/st.rec" 2>/dev/null | tail -1 | jq -r ".$1"; }
stat_is() { [ "$(stat_of "$1")" = "$2" ]; }
nstats() { rec-json -t stats < "$T/st.rec" 2>/dev/null | wc -l; }
# The reader holds snapshot K: all N routes, all via 198.19.K.1 (holds K
# [FILE], default what the first reader read).
holds() { [ "$(reader_state "${2:-$T/out.rec}" | awk '{print $2}' | sort | uniq -c | awk '{print $1, $2}')" = "$N 198.19.$1.1" ]; }

@test "t525 --bgp: a stalled late reader does not stop the input or the stats; it then gets the newest state" {
	gen_snaps 1 2 3 4 5 6 7 8 9 10 11 12
	mkfifo "$T/in.fifo" "$T/out.fifo" "$T/st.fifo"
	# the stats as a stream (a FIFO; a file holds only the last record)
	cat "$T/st.fifo" > "$T/st.rec" &
	route-push --bgp -i "$T/in.fifo" -o "$T/out.fifo" --stats "$T/st.fifo" --stats-interval 1 \
		--grace 0 2> "$T/err" &
	PID=$!
	# the writer's end, opened without waiting for route-push
	exec 7<> "$T/in.fifo"
	# no reader yet: the first snapshot is still taken
	feed 1
	wait_for 5 stat_is snapshots 1 ||
		fail "snapshot 1 not taken: $(cat "$T/err")"
	# the reader comes late and gets the complete state
	cat "$T/out.fifo" > "$T/out.rec" &
	RD=$!
	wait_for 5 holds 1 || fail "late reader: $(reader_state "$T/out.rec" | head -3); $(cat "$T/err")"
	# the reader stops for 2.5 s: 10 snapshots in the first second, then
	# only route-push's own timers (stats every second)
	kill -STOP "$RD"
	local n0 c0 r0 b0 t0 k
	n0=$(nstats) c0=$(cpu_ticks "$PID") r0=$(rss_kb "$PID") t0=$EPOCHREALTIME
	b0=$(stat -c %s "$T/out.rec")
	for k in 2 3 4 5 6 7 8 9 10 11; do
		feed "$k"
		sleep 0.05
	done
	wait_for 2 stat_is snapshots 11 || fail "snapshots taken during the stall: $(stat_of snapshots)"
	local nq; nq=$(nstats)
	sleep 1.3
	local n1 c1 r1 stalled age
	n1=$(nstats) c1=$(cpu_ticks "$PID") r1=$(rss_kb "$PID")
	# stalledms and ts of one record (a new one can come between two reads)
	local ts
	read -r stalled ts < <(rec-json -t stats < "$T/st.rec" 2>/dev/null | tail -1 | jq -r '"\(.stalledms) \(.ts)"')
	# how long the reader had been stopped when that record was written
	age=$(awk -v ts="$ts" -v t0="$t0" 'BEGIN {printf "%d", ts / 1000 - t0 * 1000}')
	echo "# stall of $(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN {printf "%.1f", a - b}') s: 10 snapshots taken; stats records: $((nq - n0)) for them," \
		"$((n1 - nq)) of the timer in the last 1.3 s; $((c1 - c0)) CPU ticks; RSS $r0 -> $r1 kB;" \
		"stalledms $stalled when stopped for $age ms" >&3
	[ $((nq - n0)) -ge 10 ] || fail "stats records for the 10 snapshots: $((nq - n0))"
	[ $((n1 - nq)) -ge 1 ] || fail "no stats record of the timer in the quiet 1.3 s of the stall"
	# (from the first write it could not make, just after the stop)
	[ "$stalled" -le "$age" ] && [ "$stalled" -ge $((age - 300)) ] ||
		fail "stalledms $stalled in a record written $age ms into the stall"
	# no spinning on the full output (the 10 snapshots' own work is a few ticks)
	[ $((c1 - c0)) -lt 100 ] || fail "$((c1 - c0)) CPU ticks in 2.5 s of stall"
	# nothing queued without bound: at most about a complete state waits
	# (ASan's quarantine keeps what the snapshots freed: not there)
	case $AR_BUILD in
	*-asan) ;;
	*) [ $((r1 - r0)) -lt 20000 ] || fail "RSS grew by $((r1 - r0)) kB during the stall" ;;
	esac
	# the reader reads again: the newest state, not the ten behind it
	kill -CONT "$RD"
	wait_for 5 holds 11 || fail "after the stall: $(reader_state "$T/out.rec" | awk '{print $2}' | sort | uniq -c); $(cat "$T/err")"
	local after
	after=$(tail -c +$((b0 + 1)) "$T/out.rec" | rec-json -t route 2>/dev/null | wc -l)
	echo "# route records the reader got after the stall: $after (10 snapshots of $N changes behind)" >&3
	[ "$after" -le $((4 * N)) ] || fail "$after route records after the stall: queued, not replaced"
	wait_for 3 stat_is stalledms 0 ||
		fail "stalledms stays $(stat_of stalledms) after the reader caught up"
	# and changes flow again as changes
	feed 12
	wait_for 5 holds 12 || fail "snapshot 12 after the recovery: $(cat "$T/err")"
	# one complete state for the late reader, one replacing the stall's
	# ten snapshots; snapshot 12 went out as changes
	[ "$(stat_of fulls)" = 2 ] || fail "complete states written: $(stat_of fulls)"
	# the reader goes away: told by poll() without a write, and no
	# spinning on it while no reader comes
	kill "$RD"
	wait "$RD" || true
	RD=
	wait_for 3 grep -q "reader went away" "$T/err" || fail "the reader's exit not noticed: $(cat "$T/err")"
	c0=$(cpu_ticks "$PID")
	sleep 0.5
	c1=$(cpu_ticks "$PID")
	echo "# CPU ticks in 0.5 s without a reader: $((c1 - c0))" >&3
	[ $((c1 - c0)) -lt 10 ] || fail "route-push busy while its reader is gone: $((c1 - c0)) ticks in 0.5 s"
	# the next reader gets the complete state
	cat "$T/out.fifo" > "$T/out2.rec" &
	RD=$!
	wait_for 5 holds 12 "$T/out2.rec" || fail "a new reader: $(cat "$T/err")"
}
