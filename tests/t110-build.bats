#!/usr/bin/env bats
# The build's own promises: install layout, man pages, usage conventions.

load lib/common

@test "make install puts programs, man pages, pipeline scripts and runit templates under DESTDIR" {
	run make -s -C "$TOP_DIR" B="$AR_BUILD" install DESTDIR="$T/root" PREFIX=/usr/local
	assert_success
	for p in "$TOP_DIR"/cmd/*; do
		[ -x "$T/root/usr/local/bin/$(basename "$p")" ] || fail "$(basename "$p") not installed"
	done
	for m in "$TOP_DIR"/man/man*/*; do
		local s; s=$(basename "$(dirname "$m")")
		[ -f "$T/root/usr/local/share/man/$s/$(basename "$m")" ] || fail "$m not installed"
	done
	if [ -f "$TOP_DIR/pipelines/active-route" ]; then
		[ -x "$T/root/usr/local/bin/active-route" ]
	fi
}

@test "every program answers --help and --version with exit 0, and a bad flag with exit 2" {
	for p in "$TOP_DIR"/cmd/*; do
		local name; name=$(basename "$p")
		run "$name" --help
		[ "$status" -eq 0 ] || fail "$name --help exited $status"
		[[ "$output" == *"usage"* || "$output" == *"Usage"* ]] || fail "$name --help prints no usage"
		run "$name" --version
		[ "$status" -eq 0 ] || fail "$name --version exited $status"
		[[ "$output" == "$name"* ]] || fail "$name --version: $output"
		run "$name" --no-such-flag
		[ "$status" -eq 2 ] || fail "$name --no-such-flag exited $status"
	done
}

@test "every program has a man page, and every long flag in its usage is in the page" {
	for p in "$TOP_DIR"/cmd/*; do
		local name page; name=$(basename "$p"); page="$TOP_DIR/man/man1/$name.1"
		[ -f "$page" ] || fail "no man page for $name"
		for flag in $("$name" --help | grep -oE -- '--[a-z0-9][a-z0-9-]+' | sort -u); do
			grep -qE -- "(Fl|, ) ?-${flag#--}( |$)" "$page" || fail "$name: $flag is not in $page"
		done
	done
}

@test "mandoc -Tlint reports nothing on any page" {
	run bash -c "mandoc -Tlint -W warning '$TOP_DIR'/man/*/*"
	assert_success
	assert_output ""
}
