#!/usr/bin/env bats
# http-api: the web UI in a real browser (headless Chromium) against
# prefix-rank fed from records and a stand-in flow-watch: the figures shown
# equal the REST answers, charts gain points; screenshots kept in
# $AR_BUILD/artifacts/.
load lib/common
load tools/http-lib

setup() {
	need_cmd chromium chromedriver
	/usr/bin/python3 -c 'import selenium' 2>/dev/null || skip "python3-selenium is not installed (make deps)"
	plain_build_only "a browser run that mostly waits on the page's timers"
	http_rank_start
	"$TESTS_DIR/tools/fake-flow-watch" "$T/flow.sock" "$T/flow.log" 3>&- 7>&- 8>&- &
	FLOW=$!
	wait_for 5 test -S "$T/flow.sock"
	printf 'rank.max-routes = 3\nrank.max-routes6 = 2\nbgp.learn.neighbor = 198.19.0.1\n' > "$T/c.conf"
	http_start -c "$T/c.conf" --rank "$T/ctl" --flow "$T/flow.sock" -s "$T/rank.stats"
}

teardown() {
	http_teardown
	[ -n "${FLOW:-}" ] && { kill "$FLOW" 2>/dev/null; wait "$FLOW" 2>/dev/null; }
	return 0
}

@test "t720 the UI in headless Chromium shows the REST values and live charts" {
	mkdir -p "$AR_BUILD/artifacts"
	run timeout 120 "$TESTS_DIR/tools/http-browser-check" "$URL" "$T/chrome" "$AR_BUILD/artifacts/t720-ui"
	echo "$output"
	assert_success
	[ -s "$AR_BUILD/artifacts/t720-ui-active4.png" ]
	[ -s "$AR_BUILD/artifacts/t720-ui-traffic.png" ]
}
