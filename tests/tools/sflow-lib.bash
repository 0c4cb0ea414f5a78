# Helpers for the sflow-decode suites (t2xx):  load tools/sflow-lib

# decode ARGS...: records as JSON Lines on stdout
decode() { sflow-decode -q -s 0 "$@" | rec-json; }

# sflow_ns: a namespace of the test's own for the UDP suites, in $NS (not
# in $(...): netns_add must record the namespace for the cleanup)
sflow_ns() {
	need_root
	netns_init
	netns_add sfd > /dev/null
	NS=$(netns_name sfd)
}

# send ARGS...: sflow-gen in the namespace (-u ADDR:PORT sends over UDP)
send() { ip netns exec "$NS" sflow-gen "$@" 2>/dev/null; }

# fifo_decode ARGS...: sflow-decode in the namespace writing to the FIFO
# $T/fifo (made here), log in $T/err, PID in $PID; returns once it waits
# for its reader.
fifo_decode() {
	mkfifo "$T/fifo"
	netns_bg "$NS" "$T/bg.log" bash -c "exec sflow-decode $* -o '$T/fifo' 2> '$T/err'"
	PID=$NETNS_LAST_PID
	wait_for 5 grep -q "waiting for a reader" "$T/err"
}

# fifo_read FILE: one reader of $T/fifo for up to 2 s, into FILE
fifo_read() { timeout 2 cat "$T/fifo" > "$1" || true; }
