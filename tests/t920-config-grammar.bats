#!/usr/bin/env bats
# One config grammar: active-route check and each program's own --check
# agree on every line of tests/fixtures/config-lines.table.
load lib/common

TABLE="$TESTS_DIR/fixtures/config-lines.table"

setup() {
	for p in sflow-decode bgp-speaker prefix-rank route-push ar-conf; do
		[ -x "$AR_BUILD/bin/$p" ] || skip "$p is not built"
	done
	export AR_BINDIR=$AR_BUILD/bin
	mkdir -p "$T/run"
	cat > "$T/base.conf" <<-EOF
	rundir = $T/run
	sflow.listen = 127.0.0.1:16343
	bgp.local-as = 65000
	bgp.router-id = 198.18.0.254
	bgp.learn.listen = 127.0.0.1:11179
	bgp.announce.listen = 127.0.0.2:11179
	rank.max-routes = 1000
	push.bgp = yes
	EOF
}

# The program that owns a key, run with --check as the supervisor would
# (its wiring flags), or route-push for a key of no namespace.
prog_check() {
	local conf=$1 key=$2
	case $key in
	sflow.*) sflow-decode -c "$conf" --listen 127.0.0.1:16343 --check ;;
	bgp.*) bgp-speaker -c "$conf" --name learn --input none --check ;;
	rank.*) prefix-rank -c "$conf" --routes /dev/null --check ;;
	*) route-push -c "$conf" --bgp --check ;;
	esac
}

@test "t920 active-route check and the programs agree on every line of the table" {
	local n=0 bad=0 want_check want_prog line conf key first rc_check rc_prog lineno
	while IFS=$'\t' read -r want_check want_prog line; do
		[[ $want_check == \#* || -z $want_check ]] && continue
		n=$((n + 1))
		conf=$T/c$n.conf
		cp "$T/base.conf" "$conf"
		printf '%b\n' "$line" >> "$conf"
		lineno=$(($(wc -l < "$T/base.conf") + 1))
		first=$(printf '%b\n' "$line" | head -n 1)
		key=$(sed -E 's/^[[:space:]]*([^=[:space:]]*).*/\1/' <<<"$first")
		rc_check=0; active-route -c "$conf" check >"$T/out" 2>&1 || rc_check=$?
		rc_prog=0; prog_check "$conf" "$key" >"$T/pout" 2>&1 || rc_prog=$?
		[ $rc_check = 0 ] && got_check=ok || got_check=bad
		[ $rc_prog = 0 ] && got_prog=ok || got_prog=bad
		if [ "$got_check" != "$want_check" ] || [ "$got_prog" != "$want_prog" ]; then
			echo "line \"$line\": check $got_check (want $want_check), program $got_prog (want $want_prog)" >&3
			cat "$T/out" "$T/pout" | sed 's/^/    /' >&3
			bad=$((bad + 1)); continue
		fi
		# a refusal is a usage error naming the file and the line
		if [ "$want_check" = bad ]; then
			if [ $rc_check != 2 ] || ! grep -q "c$n.conf:$lineno:" "$T/out"; then
				echo "line \"$line\": check exit $rc_check, no c$n.conf:$lineno: in" >&3
				sed 's/^/    /' "$T/out" >&3
				bad=$((bad + 1))
			fi
		fi
		if [ "$want_prog" = bad ] && [ $rc_prog != 2 ]; then
			echo "line \"$line\": program exit $rc_prog, not 2" >&3; bad=$((bad + 1))
		fi
	done < "$TABLE"
	[ "$n" -ge 40 ]
	[ "$bad" = 0 ]
}

@test "t921 ar-conf: the entries as the programs read them; bool and get" {
	printf 'a = 1   # c\nb = "x # y"\nrank.flush = Off\nbroken\n' > "$T/x.conf"
	run ar-conf -c "$T/x.conf" dump
	assert_failure 2
	assert_line --partial "x.conf:4: expected"
	assert_line "$(printf '1\ta\t1')"
	assert_line "$(printf '2\tb\tx # y')"
	run ar-conf -c "$T/base.conf" bool push.bgp no
	assert_success
	assert_output yes
	run ar-conf -c "$T/base.conf" bool push.netlink no
	assert_output no
	echo "push.netlink = maybe" >> "$T/base.conf"
	run ar-conf -c "$T/base.conf" bool push.netlink no
	assert_failure 2
	assert_output --partial "base.conf:9: bad value for push.netlink"
	run ar-conf -c "$T/base.conf" get rank.max-routes
	assert_output 1000
	run ar-conf -c "$T/base.conf" get nosuch
	assert_failure 1
	run ar-conf -c "$T/base.conf" get nosuch dflt
	assert_output dflt
}
