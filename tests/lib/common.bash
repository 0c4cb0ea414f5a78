# Shared setup for every bats suite: load bats-support/assert, put the build
# under test first in PATH, give each test its own scratch directory.
#   load lib/common
# bats sources this file again for every test, so it forks nothing: a fork
# and exec costs milliseconds here, and the libraries' own load.bash spends
# fifteen $(dirname) on it (half a second a test, minutes a make check).
bats_require_minimum_version 1.5.0
if [ -d /usr/lib/bats/bats-support/src ] && [ -d /usr/lib/bats/bats-assert/src ]; then
	for _lib in /usr/lib/bats/bats-support/src/*.bash /usr/lib/bats/bats-assert/src/*.bash; do
		# shellcheck disable=SC1090
		source "$_lib"
	done
	unset _lib
else
	bats_load_library bats-support
	bats_load_library bats-assert
fi

_here=${BASH_SOURCE[0]%/*}
[[ $_here == /* ]] || _here=$PWD/$_here
TESTS_DIR=${_here%/lib}
TOP_DIR=${TESTS_DIR%/tests}
unset _here
AR_BUILD="${AR_BUILD:-$TOP_DIR/build}"
# Debian's own tools before the rest: the packages make deps installs are
# what the tests use (python3-selenium is for /usr/bin/python3), and a
# version manager's shim in front of python3 costs up to a second a call.
PATH="$AR_BUILD/bin:$AR_BUILD/tools:$TOP_DIR/pipelines:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
SHARED_DATA="${SHARED_DATA:-$TOP_DIR/../shared/data}"
export PATH AR_BUILD TOP_DIR TESTS_DIR SHARED_DATA

# $BATS_TEST_TMPDIR is per test; T is a short alias.
T="${BATS_TEST_TMPDIR:-$(mktemp -d)}"

# Skip (with the reason) when the third-party data is not beside the repo.
need_shared_data() {
	local f="$SHARED_DATA/$1"
	[ -e "$f" ] || skip "third-party data $1 not found in $SHARED_DATA"
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed (make deps)"
	done
}

# A test that mostly waits on timers, or repeats an interop whose code paths
# other tests already run under the sanitizers, runs once: in the plain
# build. make check's ASan+UBSan pass skips it, saying why (its time budget).
plain_build_only() {
	case ${AR_BUILD:-} in *-asan) skip "plain build only: $1" ;; esac
}

# A process's CPU time in clock ticks (user + system), and its RSS in kB.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# stall_teardown: for the suites that stop a stage's reader. $RD is the
# stopped reader, $PID the stage, fd 7 the stage's input; -KILL after a
# moment: a stage stuck in a blocked write or open is the bug those suites
# look for, and must not hang the run.
stall_teardown() {
	[ -n "${RD:-}" ] && kill -CONT "$RD" 2>/dev/null
	[ -n "${PID:-}" ] && { kill "$PID"; sleep 0.2; kill -KILL "$PID"; } 2>/dev/null || true
	[ -n "${PID:-}" ] && wait "$PID" 2>/dev/null || true
	[ -n "${RD:-}" ] && { kill "$RD"; wait "$RD"; } 2>/dev/null || true
	exec 7>&- 2>/dev/null || true
}

# gate_seeds SEED...: the seeds a randomized test runs: every one under make
# check-full (and by hand), the first two in the gate.
gate_seeds() {
	if [ "${AR_CHECK:-full}" = full ]; then echo "$@"; else echo "${@:1:2}"; fi
}

# JSON Lines -> records file: to_rec IN.jsonl OUT.rec
to_rec() { rec-json -r < "$1" > "$2"; }

# Compare output with a golden file tests/golden/NAME.ok; AR_UPDATE_GOLDEN=1
# rewrites it instead (make update-golden).
assert_golden() {
	local name=$1 actual=$2 golden="$TESTS_DIR/golden/$1.ok"
	if [ -n "${AR_UPDATE_GOLDEN:-}" ]; then
		cp "$actual" "$golden"
		return 0
	fi
	[ -f "$golden" ] || fail "golden file $golden is missing (make update-golden)"
	diff -u "$golden" "$actual" || fail "output differs from $golden"
}

# Wait until a command succeeds: wait_for SECONDS CMD...
# The limit is a bound for a broken program, not a speed target: it is
# WAIT_SCALE times longer (2 by default) so a loaded CI machine does not
# fail a working one; a passing test never waits longer for it.
wait_for() {
	local now=${EPOCHREALTIME/./}
	local deadline=$((now + $1 * ${WAIT_SCALE:-2} * 1000000)); shift
	until "$@"; do
		now=${EPOCHREALTIME/./}
		[ "$now" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}
