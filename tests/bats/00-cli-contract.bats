#!/usr/bin/env bats
# The CLI contract every sevmig command keeps (style guide rules 23, 24, 42,
# 45, 46): --help and the man page SYNOPSIS agree, every long option is in
# the man page and in the completions, -V names the linked libraries, a bad
# option exits 2 with the try-help line, and the man pages lint clean.
# Each test walks every built command and reports every mismatch at once.

load helpers
bats_require_minimum_version 1.8.0

setup() {
	mapfile -t CMDS < <(find "$SEVMIG_BUILD/bin" -maxdepth 1 -name 'sevmig-*' -type f -perm -u+x -printf '%f\n' 2>/dev/null | sort)
	[ "${#CMDS[@]}" -gt 0 ] || skip "no commands built in '$SEVMIG_BUILD/bin'"
}

# The lines under "Usage:" up to the first blank line, leading space removed.
help_synopsis() {
	awk 'NR==1 && $0!="Usage:" {exit 1} NR>1 && /^$/ {exit} NR>1 {sub(/^ /,""); print}'
}

# The SYNOPSIS block of a man page as plain text.
man_synopsis() {
	awk '/^\.SH +"?SYNOPSIS"?/ {on=1; next} on && /^\.SH/ {exit} on && !/^\./ {print}' "$1" |
		sed -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\e/\\/g' -e 's/[[:space:]]*$//'
}

# Subcommands named by a synopsis: the second word, when the tool has several.
subcommands() {
	awk '{print $2}' | grep -E '^[a-z][a-z0-9-]*$' | sort -u
}

# Every --long option a help text prints in its option list.
long_options() {
	awk '/^Options:/ {on=1; next} on' | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u
}

# All help texts of a command: the top one and each subcommand's.
all_helps() {
	local cmd=$1 syn sub n
	"$cmd" --help
	syn=$("$cmd" --help | help_synopsis)
	n=$(printf '%s\n' "$syn" | subcommands | wc -l)
	if [ "$n" -gt 1 ]; then
		for sub in $(printf '%s\n' "$syn" | subcommands); do
			"$cmd" "$sub" --help
		done
	fi
}

@test "--help exits 0, prints Usage: on stdout and nothing on stderr" {
	local c bad=()
	for c in "${CMDS[@]}"; do
		run --separate-stderr "$c" --help
		[ "$status" -eq 0 ] || bad+=("$c: --help exited $status")
		[ "${lines[0]}" = "Usage:" ] || bad+=("$c: --help does not start with 'Usage:'")
		[ -z "$stderr" ] || bad+=("$c: --help wrote to stderr: $stderr")
	done
	[ ${#bad[@]} -eq 0 ] || { printf '%s\n' "${bad[@]}"; false; }
}

@test "the man page SYNOPSIS equals the --help synopsis" {
	local c bad=() want got sub
	for c in "${CMDS[@]}"; do
		if [ ! -f "$SEVMIG_ROOT/docs/$c.1" ]; then
			bad+=("$c: no man page docs/$c.1")
			continue
		fi
		want=$("$c" --help | help_synopsis)
		got=$(man_synopsis "$SEVMIG_ROOT/docs/$c.1")
		[ "$want" = "$got" ] || bad+=("$c: SYNOPSIS differs:" "--- help:" "$want" "--- man:" "$got")
		# each subcommand's own synopsis lines appear in the top-level one
		for sub in $(printf '%s\n' "$want" | subcommands); do
			[ "$(printf '%s\n' "$want" | subcommands | wc -l)" -gt 1 ] || break
			while IFS= read -r line; do
				grep -qxF -- "$line" <<<"$want" ||
					bad+=("$c $sub --help: synopsis line not in '$c --help': $line")
			done < <("$c" "$sub" --help | help_synopsis)
		done
	done
	[ ${#bad[@]} -eq 0 ] || { printf '%s\n' "${bad[@]}"; false; }
}

@test "every long option in --help is in the man page and the completions" {
	local c bad=() opt man bash_c zsh_c
	for c in "${CMDS[@]}"; do
		man=$SEVMIG_ROOT/docs/$c.1
		bash_c=$SEVMIG_ROOT/completions/bash/$c
		zsh_c=$SEVMIG_ROOT/completions/zsh/_$c
		[ -f "$bash_c" ] || bad+=("$c: no bash completion $bash_c")
		for opt in $(all_helps "$c" | long_options); do
			grep -qF -- "\\-\\-${opt#--}" "$man" 2>/dev/null ||
				bad+=("$c: $opt missing from docs/$c.1")
			grep -qE -- "(^|[^a-z0-9-])$opt([^a-z0-9-]|$)" "$bash_c" 2>/dev/null ||
				bad+=("$c: $opt missing from completions/bash/$c")
			if [ -f "$zsh_c" ]; then
				grep -qF -- "$opt" "$zsh_c" ||
					bad+=("$c: $opt missing from completions/zsh/_$c")
			fi
		done
	done
	[ ${#bad[@]} -eq 0 ] || { printf '%s\n' "${bad[@]}"; false; }
}

@test "every man page documents all seven exit codes" {
	local c bad=() code
	for c in "${CMDS[@]}"; do
		local man=$SEVMIG_ROOT/docs/$c.1
		[ -f "$man" ] || continue
		grep -q '^\.SH "\?EXIT STATUS' "$man" || { bad+=("$c: no EXIT STATUS section"); continue; }
		for code in 0 1 2 3 4 5 6; do
			awk '/^\.SH "?EXIT STATUS/ {on=1; next} on && /^\.SH/ {exit} on' "$man" |
				grep -qE "^(\.[A-Z]+ +)?\\\\?(fB)?$code(\\\\fR|\\\\fP)?\b" ||
				bad+=("$c: exit code $code not in EXIT STATUS")
		done
	done
	[ ${#bad[@]} -eq 0 ] || { printf '%s\n' "${bad[@]}"; false; }
}

@test "-V prints the tool version and the linked library versions" {
	local c bad=()
	for c in "${CMDS[@]}"; do
		run -0 --separate-stderr "$c" -V
		for lib in OpenSSL libcurl libarchive jansson; do
			grep -q "$lib" <<<"$output" || bad+=("$c -V: no $lib version")
		done
		grep -q "^$c (sevmig) " <<<"$output" || bad+=("$c -V: first line is not '$c (sevmig) VERSION'")
	done
	[ ${#bad[@]} -eq 0 ] || { printf '%s\n' "${bad[@]}"; false; }
}

@test "an unknown option exits 2 with one diagnostic and the try-help line" {
	local c bad=()
	for c in "${CMDS[@]}"; do
		run --separate-stderr "$c" --no-such-option
		[ "$status" -eq 2 ] || bad+=("$c --no-such-option: exit $status, not 2")
		grep -qxF "Try '$c --help' for more information." <<<"$stderr" ||
			bad+=("$c --no-such-option: no try-help line in: $stderr")
		[ -z "$output" ] || bad+=("$c --no-such-option: wrote to stdout: $output")
	done
	[ ${#bad[@]} -eq 0 ] || { printf '%s\n' "${bad[@]}"; false; }
}

@test "man pages pass mandoc -Tlint and completions parse" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	local m bad=() out c
	for m in "$SEVMIG_ROOT"/docs/*.[1-8]; do
		[ -f "$m" ] || continue
		out=$(mandoc -Tlint -W warning "$m" 2>&1) || bad+=("$m: $out")
	done
	for c in "$SEVMIG_ROOT"/completions/bash/*; do
		[ -f "$c" ] || continue
		bash -n "$c" 2>/dev/null || bad+=("$c: bash syntax error")
	done
	[ ${#bad[@]} -eq 0 ] || { printf '%s\n' "${bad[@]}"; false; }
}
