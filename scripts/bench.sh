#!/usr/bin/env bash
# make bench: throughput figures measured in this run.  Not a test: it
# never fails on a number.  BENCH_SECONDS sets each micro-benchmark's time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build/default}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
secs=${BENCH_SECONDS:-2}

echo "sevmig bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
	"$(awk '/model name/ {sub(/.*: /,""); print; exit}' /proc/cpuinfo)"
echo
echo "== per-page crypto (one core, ${secs}s each)"
"$BUILD/tests/helpers/bench-crypto" "$secs"
if [ -f "$root/scripts/bench-pipeline.sh" ]; then
	# shellcheck source=scripts/bench-pipeline.sh
	. "$root/scripts/bench-pipeline.sh"
fi
