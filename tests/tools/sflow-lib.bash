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
