# Helpers for the prefix-rank suites (t4xx):  load tools/rank-lib
# Fixtures are written as JSON Lines and packed with rec-json -r.

# rank_flows OUT.jsonl SECONDS SPEC... : steady flow samples, one line each.
# SPEC is DST,LEN,RATE,EVERY_MS[,SRC] - a sample of LEN bytes at sampling
# rate RATE toward DST every EVERY_MS, from t=0 for SECONDS (ts in µs).
# The true rate of a SPEC is LEN*RATE*1000/EVERY_MS bytes per second.
rank_flows() {
	local out=$1 secs=$2; shift 2
	python3 - "$secs" "$@" > "$out" <<'EOF'
import json, sys
secs = float(sys.argv[1])
ev = []
for spec in sys.argv[2:]:
    f = spec.split(',')
    dst, ln, rate, every = f[0], int(f[1]), int(f[2]), float(f[3])
    src = f[4] if len(f) > 4 else ('198.19.255.1' if ':' not in dst else '2001:db8:ffff::9')
    t = 0.0
    while t < secs * 1000:
        ev.append((int(t * 1000), dst, src, ln, rate))
        t += every
ev.sort()
for ts, dst, src, ln, rate in ev:
    print(json.dumps({"type": "flow", "src": src, "dst": dst, "len": ln, "rate": rate, "ts": ts}))
EOF
}

# rank_routes OUT.jsonl PREFIX=NEXTHOP... : one complete state (sync markers),
# peer 198.19.0.1.
rank_routes() {
	local out=$1; shift
	{
		echo '{"type":"sync","phase":"begin"}'
		for r in "$@"; do
			printf '{"type":"route","op":"add","prefix":"%s","nexthop":"%s","aspath":[65001,65002],"peer":"198.19.0.1","origin":"igp"}\n' "${r%%=*}" "${r#*=}"
		done
		echo '{"type":"sync","phase":"end"}'
	} > "$out"
}

# The routes a reader of the record file holds at its end (the last complete
# state with the changes after it applied), as "prefix nexthop parent"
# lines in the order they arrived.
rank_last_fib() {
	rec-json < "$1" | python3 -c '
import json, sys
fib, cur = None, None
for line in sys.stdin:
    r = json.loads(line)
    if r["type"] == "sync":
        if r["phase"] == "begin": cur = {}
        elif cur is not None: fib, cur = cur, None
    elif r["type"] == "route":
        t = cur if cur is not None else fib
        if t is None: continue
        t.pop(r["prefix"], None)
        if r.get("op", "add") == "add": t[r["prefix"]] = r
for r in (fib or {}).values():
    print(r["prefix"], r.get("nexthop", "-"), r.get("parent", "-"))
'
}

# A field of the last stats record: rank_stat FILE.rec KEY
rank_stat() {
	rec-json -t stats < "$1" | tail -1 | jq -r ".$2"
}

# The value (bytes/s) of PREFIX in the last snapshot.
rank_value() {
	rec-json < "$1" | python3 -c '
import json, sys
want, v = sys.argv[1], None
for line in sys.stdin:
    r = json.loads(line)
    if r["type"] == "sync" and r["phase"] == "begin": v = None
    if r["type"] == "route" and r["prefix"] == want: v = r["value"]
print(v if v is not None else "none")
' "$2"
}

# within VALUE EXPECTED FRACTION: |VALUE - EXPECTED| <= FRACTION * EXPECTED
within() {
	python3 -c 'import sys; v, e, f = map(float, sys.argv[1:]); sys.exit(0 if abs(v - e) <= f * e else 1)' "$1" "$2" "$3" \
		|| { echo "value $1 not within $3 of $2" >&2; return 1; }
}

# rank_random_rib OUT_ROUTES.jsonl OUT_FLOWS.jsonl SEED N: N random nested
# prefixes in 198.18.0.0/15 and 2001:db8::/32 with 3 next hops each, and
# 60 s of Zipf-like traffic over them.
rank_random_rib() {
	python3 - "$@" <<'EOF2'
import ipaddress, json, random, sys
out_r, out_f, seed, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
pfx = {}
for i in range(n):
    if rnd.random() < 0.7:
        base = int(ipaddress.IPv4Address("198.18.0.0")) + rnd.randrange(1 << 17)
        plen = rnd.choice([15, 16, 17, 18, 20, 22, 23, 24, 24, 24, 25, 26, 28, 32])
        net = ipaddress.IPv4Network((base >> (32 - plen) << (32 - plen), plen))
        nh = "198.19.0.%d" % rnd.randrange(1, 4)
    else:
        base = (int(ipaddress.IPv6Address("2001:db8::")) + (rnd.randrange(1 << 20) << 76))
        plen = rnd.choice([32, 36, 40, 44, 48, 48, 52, 56, 64])
        net = ipaddress.IPv6Network((base >> (128 - plen) << (128 - plen), plen))
        nh = "2001:db8:ffff::%d" % rnd.randrange(1, 4)
    pfx[str(net)] = nh
with open(out_r, "w") as f:
    print(json.dumps({"type": "sync", "phase": "begin"}), file=f)
    for p, nh in pfx.items():
        print(json.dumps({"type": "route", "op": "add", "prefix": p, "nexthop": nh,
                          "aspath": [65001], "peer": "198.19.0.1"}), file=f)
    print(json.dumps({"type": "sync", "phase": "end"}), file=f)
nets = [ipaddress.ip_network(p) for p in pfx]
rnd.shuffle(nets)
with open(out_f, "w") as f:
    t = 0
    while t < 60_000_000:
        k = min(int(rnd.paretovariate(1.0)) - 1, len(nets) - 1)
        net = nets[k]
        a = net.network_address + rnd.randrange(net.num_addresses)
        src = "198.19.255.1" if net.version == 4 else "2001:db8:ffff::9"
        print(json.dumps({"type": "flow", "src": src, "dst": str(a), "len": 1000,
                          "rate": 10, "ts": t}), file=f)
        t += 5000
EOF2
}

# rank_check_fib ROUTES.jsonl SNAPSHOT.rec CAP4 CAP6: checks, independently
# of the C code, that the last snapshot is within capacity, hides nothing
# (for every address where an answer may change, the longest selected match
# has the RIB's next hop, or there is none), prunes redundant prefixes, and
# names each prefix's covering selected parent.
rank_check_fib() {
	rec-json < "$2" > "$BATS_TEST_TMPDIR/snap.jsonl"
	python3 - "$1" "$BATS_TEST_TMPDIR/snap.jsonl" "$3" "$4" <<'EOF2'
import ipaddress, json, sys
rib = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["type"] == "route":
        rib[ipaddress.ip_network(r["prefix"])] = r["nexthop"]
snap, cur = [], None
for line in open(sys.argv[2]):
    r = json.loads(line)
    if r["type"] == "sync":
        if r["phase"] == "begin": cur = []
        elif cur is not None: snap, cur = cur, None
    elif r["type"] == "route" and cur is not None:
        cur.append(r)
fib = {ipaddress.ip_network(r["prefix"]): r for r in snap}
bad = 0
for v, cap in ((4, int(sys.argv[3])), (6, int(sys.argv[4]))):
    n = sum(1 for p in fib if p.version == v)
    if n > cap:
        print("capacity: %d IPv%d routes > %d" % (n, v, cap)); bad += 1
def lpm(table, a):
    best = None
    for p in table:
        if p.version == a.version and a in p and (best is None or p.prefixlen > best.prefixlen):
            best = p
    return best
points = set()
for p in rib:
    points.add(p.network_address)
    if int(p.broadcast_address) + 1 < (1 << p.max_prefixlen):
        points.add(p.network_address.__class__(int(p.broadcast_address) + 1))
for a in points:
    s = lpm(fib, a)
    if s is None: continue
    r = lpm(rib, a)
    if fib[s]["nexthop"] != rib[r]:
        print("hidden: %s goes to %s in the FIB, %s in the RIB" % (a, fib[s]["nexthop"], rib[r])); bad += 1
for p, r in fib.items():
    if rib.get(p) != r["nexthop"]:
        print("%s: next hop %s is not the RIB's" % (p, r["nexthop"])); bad += 1
    par = [q for q in fib if q != p and q.version == p.version and p.subnet_of(q)]
    par = max(par, key=lambda q: q.prefixlen) if par else None
    if (str(par) if par else None) != r.get("parent"):
        print("%s: parent %s, expected %s" % (p, r.get("parent"), par)); bad += 1
    if par and fib[par]["nexthop"] == r["nexthop"]:
        print("%s: redundant under %s" % (p, par)); bad += 1
print("checked %d addresses, %d FIB routes, %d problems" % (len(points), len(fib), bad))
sys.exit(1 if bad else 0)
EOF2
}

# q QUERY...: ask the prefix-rank whose control socket is $T/ctl
q() { prefix-rank -C "$T/ctl" -q "$*"; }
