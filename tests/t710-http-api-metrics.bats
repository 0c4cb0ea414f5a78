#!/usr/bin/env bats
# http-api: /metrics in Prometheus' text format (promtool clean, scraped by
# a real Prometheus), /agents/json and the trend from the stats files.
load lib/common
load tools/http-lib

setup() {
	http_rank_start
	# the other stages' stats files, as they write them
	echo '{"type":"stats","stage":"sflow-decode","datagrams":10,"dgram_lost":2,"flow_samples":90,"agents":{"198.18.0.9":{"datagrams":7,"dgram_lost":1,"flow_samples":70,"sample_lost":0},"2001:db8::9":{"datagrams":3,"dgram_lost":1,"flow_samples":20,"sample_lost":2}}}' |
		rec-json -r > "$T/sflow-decode.stats"
	echo '{"type":"stats","stage":"route-push","ts":1,"installed":3,"installed6":1,"added":5,"removed":1,"stalledms":1500}' |
		rec-json -r > "$T/route-push.stats"
	printf 'rank.max-routes = 3\nrank.max-routes6 = 2\nbgp.md5-password = hunter2\n' > "$T/c.conf"
	http_start -c "$T/c.conf" --rank "$T/ctl" -s "$T/rank.stats" -s "$T/sflow-decode.stats" \
		-s "$T/route-push.stats" -s "$T/missing.stats"
}

teardown() {
	http_teardown
	if [ -n "${PROM:-}" ]; then kill "$PROM" 2>/dev/null; wait "$PROM" 2>/dev/null; fi
	return 0
}

@test "t710 /metrics: every stage's numbers, promtool check metrics clean" {
	need_cmd promtool
	curl -sf "$URL/metrics" > "$T/m.txt"
	run promtool check metrics < "$T/m.txt"
	assert_success
	assert_output ""
	grep -qx 'activeroute_prefix_rank_rib4 4' "$T/m.txt"
	grep -q '^# TYPE activeroute_prefix_rank_flows_total counter$' "$T/m.txt"
	grep -q '^# TYPE activeroute_prefix_rank_selected4 gauge$' "$T/m.txt"
	grep -qx 'activeroute_sflow_decode_datagrams_total 10' "$T/m.txt"
	grep -qx 'activeroute_route_push_installed 3' "$T/m.txt"
	# how long a reader has been stalled is a level, not a count
	grep -q '^# TYPE activeroute_route_push_stalledms gauge$' "$T/m.txt"
	grep -qx 'activeroute_route_push_stalledms 1500' "$T/m.txt"
	grep -qx 'activeroute_rib_prefixes{family="ipv4"} 4' "$T/m.txt"
	grep -qx 'activeroute_rib_prefixes{family="ipv6"} 1' "$T/m.txt"
	grep -qx 'activeroute_fib_routes{family="ipv4"} 3' "$T/m.txt"
	grep -qx 'activeroute_fib_capacity_routes{family="ipv6"} 2' "$T/m.txt"
	grep -q '^activeroute_coverage_percent{family="ipv4"} ' "$T/m.txt"
	grep -q '^activeroute_fib_churn_routes ' "$T/m.txt"
	grep -qx 'activeroute_agent_datagrams_total{agent="198.18.0.9"} 7' "$T/m.txt"
	grep -qx 'activeroute_agent_datagrams_lost_total{agent="2001:db8::9"} 1' "$T/m.txt"
	grep -q '^activeroute_stage_stats_age_seconds{stage="prefix-rank"} ' "$T/m.txt"
	# prefix-rank's fast-path counters, through the generic mapping: HELP,
	# TYPE counter and the stats file's value (read again until the file
	# holds the same values before and after the scrape: it is rewritten
	# each tick)
	local keys='{fastadds, fastdels, fulls, deltas}' a b i k v
	for i in 1 2 3 4 5 6 7 8 9 10; do
		a=$(rec-json < "$T/rank.stats" | jq -c "$keys")
		curl -sf "$URL/metrics" > "$T/m2.txt"
		b=$(rec-json < "$T/rank.stats" | jq -c "$keys")
		[ "$a" = "$b" ] && break
	done
	[ "$a" = "$b" ] || fail "prefix-rank's stats changed at every scrape: $a, $b"
	[ "$(jq .fulls <<< "$b")" -ge 1 ] || fail "prefix-rank wrote no complete state: $b"
	for k in fastadds fastdels fulls deltas; do
		v=$(jq ".$k" <<< "$b")
		grep -qx "# HELP activeroute_prefix_rank_${k}_total .*" "$T/m2.txt" || fail "no HELP for $k"
		grep -qx "# TYPE activeroute_prefix_rank_${k}_total counter" "$T/m2.txt" || fail "no TYPE counter for $k"
		grep -qx "activeroute_prefix_rank_${k}_total $v" "$T/m2.txt" ||
			fail "$k: $(grep "prefix_rank_${k}_total " "$T/m2.txt") in /metrics, $v in the stats file"
	done
	# every sample belongs to the family its TYPE line announced
	awk '/^# TYPE/ {fam=$3; next} /^#/ {next} {n=$1; sub(/\{.*/, "", n); if (n != fam) {print "stray " n " under " fam; bad=1}} END {exit bad}' "$T/m.txt"
}

@test "t711 a real Prometheus scrapes /metrics and answers a query with our value" {
	need_cmd prometheus
	plain_build_only "waits for Prometheus to start and scrape"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat > "$T/prom.yml" <<-EOF
	global:
	  scrape_interval: 1s
	scrape_configs:
	  - job_name: activeroute
	    static_configs:
	      - targets: ['${URL#http://}']
	EOF
	prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/prom-data" \
		--web.listen-address="127.0.0.1:$port" --log.level=warn 2> "$T/prom.err" 3>&- 7>&- 8>&- &
	PROM=$!
	q() { curl -sf "http://127.0.0.1:$port/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'; }
	# Prometheus answers 503 until its storage is open, then empty until
	# the first scrape
	for i in $(seq 1 400); do
		[ -n "$(q 'activeroute_rib_prefixes{family="ipv4"}')" ] && break
		sleep 0.1
	done
	run q 'activeroute_rib_prefixes{family="ipv4"}'
	assert_output 4
	run q 'activeroute_agent_datagrams_total{agent="198.18.0.9"}'
	assert_output 7
	run q 'up{job="activeroute"}'
	assert_output 1
}

@test "t712 /agents/json: the agents sflow-decode heard, in sFlow-RT's names" {
	curl -sf "$URL/agents/json" > "$T/a.json"
	jq -e '."198.18.0.9".sFlowDatagramsReceived == 7 and ."198.18.0.9".sFlowDatagramsLost == 1' "$T/a.json"
	jq -e '."2001:db8::9".sFlowFlowSamples == 20 and ."2001:db8::9".sFlowFlowLost == 2' "$T/a.json"
	http_stop
	http_start --rank "$T/ctl" -s "$T/rank.stats"
	run code /agents/json
	assert_output 503
}

@test "t713 the trend: ARM's names, one point a second, after= gives only newer ones" {
	wait_for 5 sh -c "curl -sf '$URL/app/active-routes/scripts/active.js/trend/json' | jq -e '.trend.times | length >= 3' >/dev/null"
	curl -sf "$URL/app/active-routes/scripts/active.js/trend/json" > "$T/t.json"
	jq -e '.trend.maxPoints == 3600' "$T/t.json"
	for n in bgp-nprefixes bgp-adds bgp-removes cache-prefixes cache-prefixes-added cache-prefixes-removed \
		cache-hitrate cache-missrate active-prefixes active-coverage active-coveredprefixes \
		bgp-nprefixes6 cache-prefixes6 active-prefixes6 active-coverage6 \
		top-dst-aspath top-dst-as top-dst-peer-as top-src-as cpu_util mem_util disk_util load_per_cpu; do
		jq -e --arg n "$n" '(.trend.trends[$n] | length) == (.trend.times | length)' "$T/t.json" >/dev/null || fail "trend $n"
	done
	jq -e '.trend.trends["bgp-nprefixes"][-1] == 4 and .trend.trends["bgp-nprefixes6"][-1] == 1' "$T/t.json"
	jq -e '.trend.trends["cache-prefixes"][-1] == 3 and .trend.trends["active-prefixes"][-1] == 3' "$T/t.json"
	jq -e '.trend.trends["cache-hitrate"][-1] <= 100 and .trend.trends["mem_util"][-1] > 0' "$T/t.json"
	# a point at the start, then one on each second
	jq -e '.trend.times | [range(2; length) as $i | .[$i] - .[$i - 1]] | all(. > 500 and . < 1900)' "$T/t.json"
	jq -e '.trend.times | .[1:] | all(. % 1000 < 300)' "$T/t.json"
	last=$(jq '.trend.times[-1]' "$T/t.json")
	curl -sf "$URL/app/active-routes/scripts/active.js/trend/json?after=$last" | jq -e --argjson l "$last" '.trend.times | all(. > $l)'
	run code "/app/active-routes/scripts/active.js/trend/json?after=yesterday"
	assert_output 400
}

@test "t715 the answer cache: the same question within --cache is asked once" {
	for i in 1 2 3; do curl -sf "$URL/bgp/topprefixes/1.2.3.4/json?maxPrefixes=2" > "$T/a$i.json"; done
	cmp "$T/a1.json" "$T/a3.json"
	curl -sf "$URL/metrics" > "$T/m.txt"
	grep -qx 'activeroute_http_cache_hits_total 2' "$T/m.txt"
	grep -qx 'activeroute_http_cache_misses_total 1' "$T/m.txt"
	http_stop
	http_start --rank "$T/ctl" --cache 0
	for i in 1 2; do curl -sf "$URL/bgp/topprefixes/1.2.3.4/json?maxPrefixes=2" > "$T/b$i.json"; done
	! cmp -s "$T/b1.json" "$T/b2.json"       # the rates moved between the two
	grep -qx 'activeroute_http_cache_misses_total 0' <(curl -sf "$URL/metrics")
}

@test "t714 /config/json lists the running config, secrets hidden" {
	curl -sf "$URL/config/json" > "$T/c.json"
	jq -e '.capacity.ipv4 == 3 and .capacity.ipv6 == 2' "$T/c.json"
	jq -e '[.keys[] | select(.key == "rank.max-routes")][0].value == "3"' "$T/c.json"
	jq -e '[.keys[] | select(.key == "bgp.md5-password")][0].value == "(hidden)"' "$T/c.json"
	! grep -q hunter2 "$T/c.json"
}
