# Helpers for the flow-watch suites (t6xx):  load tools/watch-lib

# q QUERY...: ask the flow-watch whose control socket is $T/ctl
q() { flow-watch -C "$T/ctl" -q "$*"; }
