#!/usr/bin/env bash
# Run the unit tests (cmocka) and/or the bats tests and end with one line
#   N passed, N failed, N skipped
# Usage: tests/run-tests.sh all|unit|bats|valgrind
# Environment: BUILD (build dir), SEVMIG_HW=1 to include hardware tests,
# SEVMIG_VALGRIND=1 to run the unit tests under valgrind memcheck,
# SEVMIG_VALGRIND_PASS=1 to add, after `all`, one more pass of the unit
# tests under valgrind (make check does, for a build without sanitizers),
# BATS_FILTER=regex to run only some bats tests.
set -u
mode=${1:-all}
root=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build/default}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
export SEVMIG_BUILD=$BUILD
export SEVMIG_ROOT=$root
export SEVMIG_AMD_CERTS=${SEVMIG_AMD_CERTS:-$root/../shared/testdata/amd-certs}
export SEVMIG_FIXTURES=$root/tests/fixtures

passed=0 failed=0 skipped=0
failures=()

run_unit() {
	local t out rc p f s
	for t in "$BUILD"/tests/unit/test-*; do
		[ -x "$t" ] || continue
		if [ "${SEVMIG_VALGRIND:-}" = 1 ]; then
			out=$(cd "$root" && valgrind -q --error-exitcode=99 \
				--leak-check=full --errors-for-leak-kinds=definite \
				"$t" 2>&1)
		else
			out=$(cd "$root" && "$t" 2>&1)
		fi
		rc=$?
		printf '%s\n' "$out"
		p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -1)
		p=${p:-0} f=${f:-0} s=${s:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			# crashed, or valgrind found errors: count it once
			f=1
		fi
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
		[ "$f" -gt 0 ] && failures+=("unit${SEVMIG_VALGRIND:+ (valgrind)}: $(basename "$t") (exit $rc)")
	done
}

run_bats() {
	local files=() args=() out line
	files=("$root"/tests/bats/*.bats)
	[ -e "${files[0]}" ] || return 0
	args=(--tap)
	[ "${SEVMIG_HW:-}" = 1 ] || args+=(--filter-tags '!hw')
	[ -n "${BATS_FILTER:-}" ] && args+=(--filter "$BATS_FILTER")
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case $line in
		"ok "*"# skip"*) skipped=$((skipped + 1)) ;;
		"ok "*) passed=$((passed + 1)) ;;
		"not ok "*) failed=$((failed + 1)); failures+=("bats: ${line#not ok }") ;;
		esac
	done < <(cd "$root" && bats "${args[@]}" "${files[@]}" 2>&1)
}

run_valgrind() {
	if ! command -v valgrind >/dev/null; then
		echo "valgrind is not installed: no valgrind pass"
		return 0
	fi
	echo "# the unit tests again, under valgrind memcheck"
	SEVMIG_VALGRIND=1 run_unit
}

case $mode in
all)
	run_unit
	run_bats
	[ "${SEVMIG_VALGRIND_PASS:-}" = 1 ] && run_valgrind
	;;
unit) run_unit ;;
bats) run_bats ;;
valgrind) run_valgrind ;;
*) echo "usage: $0 all|unit|bats|valgrind" >&2; exit 2 ;;
esac

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failures[@]}"
fi
mkdir -p "$BUILD"
echo "$passed $failed $skipped" >"$BUILD/test-summary-$mode"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ $((passed + failed)) -gt 0 ]
