#!/usr/bin/env bash
# Run each libFuzzer harness for $FUZZ_SECONDS seconds over a scratch copy
# of its seed corpus (tests/fuzz/corpus/NAME) after replaying its saved
# regression inputs (tests/fuzz/regress/NAME).  A crash fails that harness;
# the crashing input is left in build/fuzz/crashes/NAME/ to be kept as a
# regression.  Ends with "N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${FUZZ_SECONDS:-10}
passed=0 failed=0
for bin in "$@"; do
	name=$(basename "$bin"); name=${name#fuzz-}
	work=$root/build/fuzz/run/$name crashes=$root/build/fuzz/crashes/$name
	rm -rf "$work"; mkdir -p "$work" "$crashes"
	[ -d "$root/tests/fuzz/corpus/$name" ] && cp -r "$root/tests/fuzz/corpus/$name/." "$work/"
	ok=1
	if [ -d "$root/tests/fuzz/regress/$name" ] &&
	   [ -n "$(ls -A "$root/tests/fuzz/regress/$name")" ]; then
		"$bin" -runs=0 "$root/tests/fuzz/regress/$name" >"$crashes/regress.log" 2>&1 || ok=0
	fi
	if [ $ok = 1 ]; then
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix="$crashes/" -print_final_stats=1 \
			"$work" >"$crashes/fuzz.log" 2>&1 || ok=0
	fi
	if [ $ok = 1 ]; then
		echo "ok - fuzz $name ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$crashes/fuzz.log" | awk '{print $2}') runs)"
		passed=$((passed + 1))
	else
		echo "not ok - fuzz $name: see $crashes/"
		tail -30 "$crashes/fuzz.log" "$crashes/regress.log" 2>/dev/null
		failed=$((failed + 1))
	fi
done
mkdir -p "$root/build/fuzz"
echo "$passed $failed 0" >"$root/build/fuzz/test-summary-fuzz"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
