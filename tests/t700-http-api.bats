#!/usr/bin/env bats
# http-api: sFlow-RT's BGP REST paths over prefix-rank, the errors, the
# static files (no traversal), and the request limits and access rules.
load lib/common
load tools/http-lib

setup() {
	http_rank_start
	http_start --rank "$T/ctl" -s "$T/rank.stats" --router 198.19.0.1
}

teardown() {
	http_teardown
}

get() { curl -sf "$URL$1"; }

@test "t700 usage, version, check: exit 0, 2 for a bad flag or value" {
	run http-api --help
	assert_success
	assert_output --partial "usage: http-api"
	run http-api --version
	assert_success
	assert_output --partial "http-api (activeroute)"
	run http-api --bogus
	assert_failure 2
	run http-api -n --listen 'not an address'
	assert_failure 2
	assert_output --partial "--listen: bad address"
	run http-api -n --allow 300.1.1.0/24
	assert_failure 2
	printf 'http.write = perhaps\n' > "$T/c.conf"
	run http-api -n -c "$T/c.conf"
	assert_failure 2
	printf 'http.listen = 127.0.0.1:8123\nhttp.max-body = lots\n' > "$T/c.conf"
	run http-api -n -c "$T/c.conf"
	assert_failure 2
	printf 'http.listen = 127.0.0.1:8123\nhttp.write = yes\nhttp.timeout = 2\n' > "$T/c.conf"
	run http-api -n -c "$T/c.conf"
	assert_success
}

@test "t701 topprefixes answers what prefix-rank answers, in sFlow-RT's fields" {
	get "/bgp/topprefixes/198.19.0.1/json?maxPrefixes=10" > "$T/h.json"
	jq -e '(keys | sort) == (["as","direction","id","state","startTime","nPrefixes",
		"learnedPrefixesAdded","learnedPrefixesRemoved","pushedPrefixesAdded","pushedPrefixesRemoved",
		"topPrefixes","valueTotal","valueTopPrefixes","valuePercentCoverage"] | sort)' "$T/h.json"
	jq -e '.nPrefixes == 4 and .topPrefixes[0].aspath == "65001-65002" and .topPrefixes[0].origin == "IGP"' "$T/h.json"
	jq -e '.topPrefixes[0] | has("prefix") and has("localpref") and has("med") and has("nexthop") and has("value")' "$T/h.json"
	prefix-rank -C "$T/ctl" -q "top family=4 maxPrefixes=10" > "$T/r.json"
	run diff <(jq -c '[.topPrefixes[] | [.prefix, .parentprefix]]' "$T/h.json") \
		<(jq -c '[.topPrefixes[] | [.prefix, .parentprefix]]' "$T/r.json")
	assert_success
	run jq -r '[.topPrefixes[] | .prefix + "<" + (.parentprefix // "-")] | join(" ")' "$T/h.json"
	assert_output "198.18.0.0/16<- 198.18.1.0/24<198.18.0.0/16 198.18.2.0/24<198.18.0.0/16"
}

@test "t702 topprefixes parameters: maxPrefixes, minPrefix, includeCovered, pruneCovered, direction" {
	tops() { get "$1" | jq -r '[.topPrefixes[] | .prefix + "<" + (.parentprefix // "-")] | join(" ")'; }
	run tops "/bgp/topprefixes/198.19.0.1/json?maxPrefixes=1"
	assert_output "198.18.0.0/16<-"
	run tops "/bgp/topprefixes/198.19.0.1/json?minPrefix=20"
	assert_output "198.18.1.0/24<- 198.18.2.0/24<-"
	run tops "/bgp/topprefixes/198.19.0.1/json?maxPrefixes=3&includeCovered=true"
	assert_output "198.18.0.0/16<- 198.18.2.0/24<198.18.0.0/16 198.18.3.0/25<198.18.0.0/16"
	run tops "/bgp/topprefixes/198.19.0.1/json?pruneCovered=true"
	assert_output "198.18.0.0/16<- 198.18.2.0/24<198.18.0.0/16"
	run tops "/bgp/topprefixes/198.19.0.1/json?direction=source"
	assert_output "198.18.3.0/25<-"
	v=$(get "/bgp/topprefixes/198.19.0.1/json" | jq '(.topPrefixes[1].value + .topPrefixes[2].value) / 2')
	run tops "/bgp/topprefixes/198.19.0.1/json?minValue=$v"
	assert_output "198.18.0.0/16<- 198.18.1.0/24<198.18.0.0/16"
	run tops "/bgp/topprefixes6/198.19.0.1/json"
	assert_output "2001:db8:1::/48<-"
	get "/bgp/topprefixes6/198.19.0.1/json" | jq -e '.nPrefixes == 1'
}

@test "t703 prefix: the matching route and its traffic; 404 when none covers" {
	get "/bgp/prefix/198.19.0.1/json?address=198.18.2.77" > "$T/p.json"
	jq -e '.prefix == "198.18.2.0/24" and .nexthop == "198.19.0.2" and .value > 0' "$T/p.json"
	get "/bgp/prefix/198.19.0.1/json?address=2001:db8:1::99" | jq -e '.prefix == "2001:db8:1::/48"'
	run code "/bgp/prefix/198.19.0.1/json?address=203.0.113.1"
	assert_output 404
	jq -e '.error | test("no route")' "$T/body"
}

@test "t704 errors are sFlow-RT's statuses with a JSON body" {
	for c in "400 /bgp/topprefixes/198.19.0.1/json?maxPrefixes=ten" \
		"400 /bgp/topprefixes/198.19.0.1/json?direction=up" \
		"400 /bgp/topprefixes/198.19.0.1/json?minPrefix=33" \
		"400 /bgp/topprefixes/198.19.0.1/json?includeCovered=maybe" \
		"400 /bgp/topprefixes/198.19.0.1/json?colour=blue" \
		"400 /bgp/topprefixes/not-an-address/json" \
		"404 /bgp/topprefixes/198.19.0.9/json" \
		"400 /bgp/prefix/198.19.0.1/json" \
		"404 /bgp/nothing/198.19.0.1/json" \
		"404 /no/such/json" \
		"404 /no-such-file.html" \
		"400 /bgp//json" ; do
		run code "${c#* }"
		[ "$output" = "${c%% *}" ] || fail "${c#* }: $output, not ${c%% *}"
		jq -e '.error | type == "string"' "$T/body" >/dev/null || fail "${c#* }: no JSON error body"
	done
	run code /bgp/topprefixes/198.19.0.1/json -X PUT -d '{}'
	assert_output 405
	run curl -s -D - -o /dev/null -X DELETE "$URL/bgp/topprefixes/198.19.0.1/json"
	assert_output --partial "Allow: GET, HEAD"
}

@test "t705 a stage that is not there is a 503; one that does not answer a 504" {
	http_stop
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
c = [s.accept()[0] for _ in range(1)]
time.sleep(5)' "$T/mute.sock" &
mute=$!
wait_for 5 test -S "$T/mute.sock"
http_start --rank "$T/mute.sock" --timeout 0.5
run code /bgp/topprefixes/1.2.3.4/json
assert_output 504
http_stop
http_start --rank "$T/nothing.sock"
run code /bgp/topprefixes/1.2.3.4/json
assert_output 503
jq -e '.error | test("cannot ask")' "$T/body"
kill "$mute" 2>/dev/null; wait "$mute" 2>/dev/null || true
}

@test "t706 static files only from the www directory: no traversal" {
	# a copy of the UI with a link out of it and a hidden file
	cp -r "$TOP_DIR/cmd/http-api/www" "$T/www"
	mkdir -p "$T/secret"; echo "do not serve" > "$T/secret/x.txt"
	ln -s "$T/secret/x.txt" "$T/www/link.txt"
	echo "do not serve" > "$T/www/.hidden.txt"
	http_stop
	http_start --rank "$T/ctl" --www "$T/www"
	run code /
	assert_output 200
	grep -q '<title>activeroute</title>' "$T/body"
	run code /app.js
	assert_output 200
	run code /javascript/chart.js/chart.min.js
	assert_output 200
	grep -q 'Chart.js v' "$T/body"
	for p in /../../../../etc/passwd /%2e%2e/%2e%2e/etc/passwd /..%2f..%2fetc%2fpasswd \
		/javascript/chart.js/..%2f..%2f..%2fetc%2fpasswd /javascript/chart.js/%2e%2e/%2e%2e/passwd \
		/link.txt /.hidden.txt /%2ehidden.txt "/index.html%00.js" /index.html/.. /./index.html \
		"/..\\..\\etc\\passwd" /etc/passwd "/$T/secret/x.txt"; do
		run curl -s --path-as-is -o "$T/body" -w '%{http_code}' "$URL$p"
		case $output in 400|404) ;; *) fail "$p: $output" ;; esac
		! grep -q -e 'root:' -e 'do not serve' "$T/body" || fail "$p served a file outside"
	done
}

@test "t707 limits: URL, header, body sizes; connections" {
	http_stop
	http_start --rank "$T/ctl" --max-url 200 --max-body 100 --max-header 8192 --write --flow "$T/none.sock"
	run code "/bgp/topprefixes/198.19.0.1/json?maxPrefixes=1&x=$(printf 'a%.0s' $(seq 1 300))"
	assert_output 414
	run curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(printf 'b%.0s' $(seq 1 9000))" "$URL/"
	[ "$output" = 431 ] || [ "$output" = 413 ] || [ "$output" = 414 ] || fail "big header: $output"
	run code /flow/f1/json -X PUT -H 'Content-Type: application/json' --data "{\"keys\":\"$(printf 'k%.0s' $(seq 1 200))\",\"value\":\"bytes\"}"
	assert_output 413
	run code /flow/f1/json -X PUT -H 'Transfer-Encoding: chunked' --data "{\"keys\":\"$(printf 'k%.0s' $(seq 1 200))\",\"value\":\"bytes\"}"
	assert_output 413
	http_stop
	http_start --rank "$T/ctl" --max-connections 2
	# two idle connections take the limit; a third is refused
	exec 5<>/dev/tcp/127.0.0.1/"${URL##*:}" 6<>/dev/tcp/127.0.0.1/"${URL##*:}"
	sleep 0.3
	run curl -s -m 3 -o /dev/null -w '%{http_code}' "$URL/metrics"
	exec 5>&- 6>&-
	[ "$output" != 200 ] || fail "a third connection was served"
	wait_for 5 sh -c "curl -sf -o /dev/null '$URL/metrics'"
}

@test "t708 the allow-list closes other clients; basic auth from a file" {
	http_stop
	http_start --rank "$T/ctl" --allow 198.18.0.0/15
	run curl -s -m 3 -o /dev/null -w '%{http_code}' "$URL/metrics"
	[ "$output" = 000 ] || fail "127.0.0.1 was served: $output"
	http_stop
	printf '# users\nops:s3cret\n' > "$T/auth"
	http_start --rank "$T/ctl" --auth "$T/auth"
	run code /metrics
	assert_output 401
	run curl -s -D - -o /dev/null "$URL/metrics"
	assert_output --partial 'WWW-Authenticate: Basic realm="activeroute"'
	run code /metrics -u ops:wrong
	assert_output 401
	run code /metrics -u ops:s3cret
	assert_output 200
	run code /bgp/topprefixes/1.2.3.4/json -u ops:s3cret
	assert_output 200
	printf 'no colon here\n' > "$T/bad-auth"
	run http-api -n --auth "$T/bad-auth"
	assert_failure 2
}

@test "t709 supervisor: an http-api stage only when http.listen is set" {
	cat > "$T/c.conf" <<-EOF
	rundir = $T/run
	sflow.listen = 127.0.0.1:6343
	bgp.local-as = 65000
	bgp.peer-as = 65000
	bgp.router-id = 198.18.0.254
	bgp.neighbor = 127.0.0.1
	bgp.learn.listen = 127.0.0.1:1179
	push.netlink = yes
	EOF
	run active-route -c "$T/c.conf" check
	assert_success
	refute_output --partial http-api
	echo "http.listen = 127.0.0.1:8008" >> "$T/c.conf"
	echo "http.write = yes" >> "$T/c.conf"
	run active-route -c "$T/c.conf" check
	assert_success
	assert_output --partial http-api
	AR_BINDIR=$AR_BUILD/bin run active-route -c "$T/c.conf" runit "$T/sv"
	assert_success
	[ -x "$T/sv/http-api/run" ]
	grep -q 'exec http-api' "$T/sv/http-api/run"
	echo "http.write = perhaps" >> "$T/c.conf"
	run active-route -c "$T/c.conf" check
	assert_failure 2
	assert_output --partial 'bad value for http.write: "perhaps"'
}
