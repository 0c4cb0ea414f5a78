#!/usr/bin/env bats
# flow-watch with the reader of its event output stopped for longer than
# its own timers: the flow input is still read, the control socket still
# answers (a long poll times out on time), events past the backlog are
# dropped and counted, not queued; when the reader reads again new events
# reach it. Then the reader goes away and the next one gets the events.
load lib/common
load tools/watch-lib

teardown() { stall_teardown; }

# flows FROM COUNT: one sample from each of COUNT sources 198.18.x.y
# (numbered from FROM); at sampling rate 1000 each is a key over the
# threshold at once, so each raises an event. Written to $T/fFROM.rec.
flows() {
	awk -v from="$1" -v n="$2" 'BEGIN {
		for (j = from; j < from + n; j++)
			printf "{\"type\":\"flow\",\"agent\":\"198.18.255.9\",\"src\":\"198.18.%d.%d\",\"dst\":\"198.19.0.1\",\"rate\":1000,\"len\":100}\n",
				int(j / 256), j % 256
	}' | rec-json -r > "$T/f$1.rec"
}

# To flow-watch's input; a batch is more than the FIFO's buffer, so a
# flow-watch that stopped reading makes this time out.
feed() { timeout 2 cat "$T/f$1.rec" >&7 || fail "the writer of flow-watch's input blocked (batch $1)"; }

events_got() { rec-json -t event < "${1:-$T/ev.rec}" 2>/dev/null | wc -l; }
got_is() { [ "$(events_got "${2:-}")" -ge "$1" ]; }
sock() { q stats | jq -r ".$1"; }
sock_is() { [ "$(sock "$1")" = "$2" ]; }
file_stat() { rec-json < "$T/st.rec" 2>/dev/null | jq -r ".$1"; }
reading() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q ev.fifo; }
ms_since() { awk -v a="$EPOCHREALTIME" -v b="$1" 'BEGIN {printf "%d", (a - b) * 1000}'; }

@test "t615 a stopped reader of the events: input, queries and timers go on; events dropped and counted" {
	cat > "$T/c.conf" <<-'E'
	watch.flow.src.keys = ipsource
	watch.flow.src.value = frames
	watch.flow.src.t = 1
	watch.flow.src.maxkeys = 20000
	watch.threshold.big.metric = src
	watch.threshold.big.value = 10
	watch.threshold.big.byflow = yes
	watch.threshold.big.timeout = 60
	E
	flows 0 10
	for b in 10 2010 4010 6010; do flows $b 2000; done
	flows 8010 10
	flows 8020 10
	mkfifo "$T/f.fifo" "$T/ev.fifo"
	cat "$T/ev.fifo" > "$T/ev.rec" &
	RD=$!
	flow-watch -c "$T/c.conf" --no-defaults -f "$T/f.fifo" -o "$T/ev.fifo" -C "$T/ctl" \
		--stats "$T/st.rec" 2> "$T/err" &
	PID=$!
	exec 7<> "$T/f.fifo"
	wait_for 5 test -S "$T/ctl" || fail "no control socket: $(cat "$T/err")"
	wait_for 5 reading "$RD" || fail "the reader did not get the FIFO open: $(cat "$T/err")"
	feed 0
	wait_for 5 got_is 10 || fail "events before the stall: $(events_got); $(cat "$T/err")"
	# the reader stops; 8000 new keys come in four batches, 8000 events
	# (about 0.9 MB of them: more than the pipe and the 256 KiB backlog)
	kill -STOP "$RD"
	local t0=$EPOCHREALTIME c0 b0 b
	c0=$(cpu_ticks "$PID")
	b0=$(stat -c %s "$T/ev.rec")
	# meanwhile a client asks every 100 ms (each answer timed from its
	# connect), then waits in a long poll of 1 s (the housekeeping timer
	# answers it); the flows come while it asks
	python3 - "$T/ctl" > "$T/lat" <<-'EOF' &
	import socket, sys, time
	def ask(req):
	    s = socket.socket(socket.AF_UNIX)
	    t = time.monotonic()
	    s.connect(sys.argv[1])
	    s.sendall(req.encode() + b"\n")
	    s.shutdown(socket.SHUT_WR)
	    a = b""
	    while True:
	        d = s.recv(65536)
	        if not d:
	            break
	        a += d
	    s.close()
	    return (time.monotonic() - t) * 1000, a
	lat = []
	open(sys.argv[1] + ".asking", "w").close()
	for i in range(12):
	    ms, a = ask("stats")
	    assert b'"records":' in a, a
	    lat.append(ms)
	    time.sleep(0.1)
	ms, a = ask("events eventID=1000000&timeout=1")
	assert a.strip() == b"[]", a
	print(len(lat), "%.1f" % max(lat), "%d" % ms)
	EOF
	local asker=$!
	wait_for 3 test -e "$T/ctl.asking"
	local tf=$EPOCHREALTIME
	for b in 10 2010 4010 6010; do
		feed $b
		sleep 0.2
	done
	wait_for 3 sock_is records 8010 || fail "flows read during the stall: $(sock records)"
	wait "$asker" || fail "the control socket during the stall: $(cat "$T/lat")"
	local nq lat lp
	read -r nq lat lp < "$T/lat"
	local ev dropped stalled ticks el
	stalled=$(sock stalledms) el=$(ms_since "$tf")
	ev=$(sock events) dropped=$(sock eventsdropped)
	ticks=$(( $(cpu_ticks "$PID") - c0 ))
	echo "# stall of $(ms_since "$t0") ms: 8000 flows read; $nq stats queries, the slowest answered in $lat ms;" \
		"a 1 s long poll answered in $lp ms;" \
		"$ev events, $dropped dropped; stalledms $stalled ($el ms after the first batch); $ticks CPU ticks" >&3
	[ "${lat%.*}" -lt 100 ] || fail "a stats query took $lat ms during the stall"
	[ "$lp" -ge 950 ] && [ "$lp" -lt 1300 ] || fail "a long poll of 1 s answered after $lp ms"
	[ "$ev" = 8010 ] || fail "events raised: $ev"
	# what the pipe and the backlog cannot hold is dropped, not queued
	[ "$dropped" -ge 3000 ] || fail "events dropped: $dropped"
	# (since the first event it could not write, in the first batch)
	[ "$stalled" -le "$el" ] && [ "$stalled" -ge $((el - 500)) ] ||
		fail "stalledms $stalled $el ms after the first batch"
	[ "$ticks" -lt 100 ] || fail "$ticks CPU ticks during the stall"
	# the stats file is kept each second, with the same numbers
	wait_for 2 bash -c "[ \"\$(rec-json < '$T/st.rec' 2>/dev/null | jq -r .eventsdropped)\" = $dropped ]" ||
		fail "stats file: $(rec-json < "$T/st.rec")"
	[ "$(file_stat records)" = 8010 ]
	# the reader reads again: what waited (no more than the pipe and the
	# backlog), then new events
	kill -CONT "$RD"
	wait_for 5 got_is $((8010 - dropped)) || fail "after the stall: $(events_got) of $((8010 - dropped))"
	local after; after=$(( $(stat -c %s "$T/ev.rec") - b0 ))
	echo "# the reader got $after bytes after the stop" >&3
	[ "$after" -le $(( (64 + 256 + 4) * 1024 )) ] || fail "$after bytes waited for the reader"
	feed 8010
	wait_for 5 got_is $((8020 - dropped)) || fail "new events after the stall: $(events_got)"
	rec-json -t event < "$T/ev.rec" | tail -10 | jq -e -s 'map(.eventid) == [range(8011; 8021)]' > /dev/null ||
		fail "the last events: $(rec-json -t event < "$T/ev.rec" | tail -3)"
	wait_for 3 sock_is stalledms 0 || fail "stalledms $(sock stalledms) after the reader caught up"
	[ "$(sock eventsdropped)" = "$dropped" ]
	# the reader goes away, told without a write; the next one gets the
	# events from then on
	kill "$RD"
	wait "$RD" || true
	RD=
	wait_for 3 grep -q "the reader went away" "$T/err" || fail "the reader's exit not noticed: $(cat "$T/err")"
	cat "$T/ev.fifo" > "$T/ev2.rec" &
	RD=$!
	wait_for 3 reading "$RD" || fail "the next reader did not get the FIFO open: $(cat "$T/err")"
	feed 8020
	wait_for 5 got_is 10 "$T/ev2.rec" || fail "the next reader: $(events_got "$T/ev2.rec") events; $(cat "$T/err")"
}
