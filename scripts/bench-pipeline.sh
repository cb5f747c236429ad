# shellcheck shell=bash
# Sourced by scripts/bench.sh (make bench): the whole pipeline on the
# simulated host, export | import through a pipe, for a few guest sizes
# (BENCH_SIZES, default "64M 256M 1G"), with throughput, peak RSS of each
# side (target: at most 64 MiB whatever the guest size) and where the
# exporter's time went.  Uses $BUILD and $root from bench.sh.

bench_dir=$(mktemp -d "${TMPDIR:-/tmp}/sevmig-bench.XXXXXX")
bench_pids=()
bench_cleanup() {
	local p
	for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$bench_dir"
}
trap bench_cleanup EXIT

bench_vmm() {
	"$BUILD/bin/sevmig-sim" run --platform "$1" --socket "$2" "${@:3}" \
		>/dev/null 2>&1 &
	bench_pids+=("$!")
	for _ in $(seq 300); do [ -S "$2" ] && return 0; sleep 0.1; done
	echo "VMM on '$2' did not start" >&2
	return 1
}

echo
echo "== export | import through a pipe (simulated PSP, one core each side)"
if [ ! -x /usr/bin/time ]; then
	echo "(no /usr/bin/time: peak RSS not measured)"
fi
"$BUILD/bin/sevmig-sim" platform init "$bench_dir/pa" >/dev/null
"$BUILD/bin/sevmig-sim" platform init "$bench_dir/pb" >/dev/null
printf '%-6s %9s %9s %12s %12s   %s\n' size seconds MiB/s \
	"export RSS" "import RSS" "export time: firmware / archive / I/O wait / VMM"
for size in ${BENCH_SIZES:-64M 256M 1G}; do
	a=$bench_dir/a-$size.sock b=$bench_dir/b-$size.sock
	bench_vmm "$bench_dir/pa" "$a" --mem "$size" --shared 10
	bench_vmm "$bench_dir/pb" "$b" --mem "$size" --incoming
	timer=()
	[ -x /usr/bin/time ] && timer=(/usr/bin/time -f %M)
	start=$(date +%s.%N)
	"${timer[@]}" "$BUILD/bin/sevmig-export" -q -c "$bench_dir/pb" \
		--ark "$bench_dir/pb/ark.cert" --report "$bench_dir/r.json" "$a" \
		2>"$bench_dir/export.rss" |
		"${timer[@]}" "$BUILD/bin/sevmig-import" -q "$b" \
			2>"$bench_dir/import.rss"
	end=$(date +%s.%N)
	"$BUILD/bin/sevmig-sim" ctl "$b" check >/dev/null ||
		echo "warning: the target's check failed for $size" >&2
	python3 - "$size" "$start" "$end" "$bench_dir/r.json" \
		"$bench_dir/export.rss" "$bench_dir/import.rss" <<'PY'
import json, sys
size, start, end, rep, ers, irs = sys.argv[1:]
r = json.load(open(rep))
secs = float(end) - float(start)
def rss(path):
    try:
        return f"{int(open(path).read().split()[-1]) / 1024:.1f} MiB"
    except Exception:
        return "-"
s = r["stages"]
print(f"{size:<6} {secs:9.2f} {r['bytes'] / 1048576 / secs:9.1f} "
      f"{rss(ers):>12} {rss(irs):>12}   {s['firmware']:.2f} / "
      f"{s['archive']:.2f} / {s['io_wait']:.2f} / {s['vmm']:.2f} s")
PY
	"$BUILD/bin/sevmig-sim" ctl "$a" quit >/dev/null 2>&1 || true
	"$BUILD/bin/sevmig-sim" ctl "$b" quit >/dev/null 2>&1 || true
done
