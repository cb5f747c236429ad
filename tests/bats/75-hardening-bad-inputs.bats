#!/usr/bin/env bats
# docs/bad-inputs.md lists every bad input the suite tries; each row names
# its test.  Every test named there must exist, and every test of the
# hardening files (70- to 79-, this one aside) must be named there.

load helpers
bats_require_minimum_version 1.8.0

TABLE=$SEVMIG_ROOT/docs/bad-inputs.md

# The tests the table names, one "FILE<TAB>TITLE" per line.
named_tests() {
	python3 - "$TABLE" <<-'PY'
		import re, sys
		for line in open(sys.argv[1], encoding="utf-8"):
		    if not line.startswith("| ") or line.startswith("|---"):
		        continue
		    cell = line.rstrip().rstrip("|").rsplit(" | ", 1)[-1].strip()
		    m = re.fullmatch(r"`([^`]+\.(?:bats|c))`: (.+)", cell)
		    if m:
		        print("%s\t%s" % (m.group(1), m.group(2)))
	PY
}

@test "every test docs/bad-inputs.md names exists" {
	local file title n=0 missing=()
	while IFS=$'\t' read -r file title; do
		n=$((n + 1))
		case $file in
		*.bats)
			grep -qxF "@test \"$title\" {" "$SEVMIG_ROOT/tests/bats/$file" ||
				missing+=("$file: $title") ;;
		*.c)
			grep -qE "^static void $title\(" "$SEVMIG_ROOT/tests/unit/$file" ||
				missing+=("$file: $title") ;;
		esac
	done < <(named_tests)
	[ "${#missing[@]}" -eq 0 ] || {
		printf 'no such test: %s\n' "${missing[@]}"
		false
	}
	# the table is not empty (a parser that reads nothing passes nothing)
	[ "$n" -gt 150 ]
}

@test "every hardening test is in docs/bad-inputs.md" {
	local f t missing=()
	for f in "$SEVMIG_ROOT"/tests/bats/7[0-46-9]-*.bats; do
		while IFS= read -r t; do
			named_tests | grep -qxF "$(basename "$f")"$'\t'"$t" ||
				missing+=("$(basename "$f"): $t")
		done < <(sed -n 's/^@test "\(.*\)" {$/\1/p' "$f")
	done
	[ "${#missing[@]}" -eq 0 ] || {
		printf 'not in the table: %s\n' "${missing[@]}"
		false
	}
}
