#!/usr/bin/env bats
# make install (all, then install-files) puts every command, man page and completion under
# DESTDIR/PREFIX, and the installed commands run.

load helpers
bats_require_minimum_version 1.8.0

@test "make install-files DESTDIR=... installs commands, man pages and completions" {
	local d=$BATS_TEST_TMPDIR/root c m
	run -0 make -s -C "$SEVMIG_ROOT" install-files BUILD="$SEVMIG_BUILD" \
		DESTDIR="$d" PREFIX=/usr SEVMIG_SKIP_DEPS=1
	for c in "$SEVMIG_ROOT"/cmd/sevmig-*.c; do
		c=$(basename "$c" .c)
		[ -x "$d/usr/bin/$c" ] || fail "missing /usr/bin/$c"
		[ -f "$d/usr/share/man/man1/$c.1" ] || fail "missing man page $c.1"
		[ -f "$d/usr/share/bash-completion/completions/$c" ] || fail "missing bash completion $c"
		[ -f "$d/usr/share/zsh/vendor-completions/_$c" ] || fail "missing zsh completion _$c"
		run -0 "$d/usr/bin/$c" --version
	done
	for m in "$SEVMIG_ROOT"/docs/*.[57]; do
		[ -f "$d/usr/share/man/man${m##*.}/$(basename "$m")" ] || fail "missing $(basename "$m")"
	done
}
