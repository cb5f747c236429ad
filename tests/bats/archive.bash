# Helpers for the export/import tests (20-, 30-, 40-, 50-): simulated
# hosts and VMMs under $BATS_TEST_TMPDIR, stopped again in teardown.
# shellcheck shell=bash

T=$BATS_TEST_TMPDIR
SIM_PIDS=()
SIM_SOCKS=()

# sim_platform NAME [platform init options]: a simulated host $T/NAME.
# Key generation takes seconds, so each (name, options) host is made once
# per test file and copied into each test that asks for it.
sim_platform() {
	local name=$1 key cache=$BATS_FILE_TMPDIR/platforms
	shift
	key=$(printf '%s\n' "$name" "$@" | sha256sum | cut -c1-16)
	if [ ! -d "$cache/$key" ]; then
		mkdir -p "$cache"
		sevmig-sim platform init "$@" "$cache/$key" >/dev/null || return
	fi
	cp -r "$cache/$key" "$T/$name"
}

# sim_run NAME PLATFORM [run options]: a VMM on $T/NAME.sock, in the
# background (fd 3 closed so bats does not wait for it).
sim_run() {
	local name=$1 plat=$2
	shift 2
	sevmig-sim run --platform "$T/$plat" --socket "$T/$name.sock" "$@" \
		>"$T/$name.log" 2>&1 3>&- &
	SIM_PIDS+=("$!")
	SIM_SOCKS+=("$T/$name.sock")
	wait_for_path "$T/$name.sock" 10
}

# Stop every VMM this test started (teardown).
sim_stop_all() {
	local s p
	for s in "${SIM_SOCKS[@]}"; do
		[ -S "$s" ] && sevmig-sim ctl --timeout 2 "$s" quit >/dev/null 2>&1
	done
	for p in "${SIM_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	SIM_PIDS=()
	SIM_SOCKS=()
}

# One field of "sevmig-sim ctl SOCK status" ("vmm state", "guest state",
# "context held", ...).
sim_status() {
	sevmig-sim ctl "$T/$1.sock" status | sed -n "s/^$2: *//p"
}

sim_digest() {
	sevmig-sim ctl "$T/$1.sock" digest
}

# A source "a" and an incoming "b" on separate hosts, same shape.
# pair [run options for both]
pair() {
	sim_platform pa
	sim_platform pb
	sim_run a pa "$@"
	sim_run b pb --incoming "$@"
}

# The arguments sevmig-export needs to trust host pb's chain.
certs_b() {
	echo "-c $T/pb --ark $T/pb/ark.cert"
}

# The source digest before the export, for comparing afterwards.
save_digest() {
	sim_digest a >"$T/a.digest"
}

# After a successful migration: the target checks and has the source's
# content, the source is released.
assert_migrated() {
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_output --partial "ok:"
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
	assert_equal "$(sim_status b 'vmm state')" running
	assert_equal "$(sim_status a 'vmm state')" released
}

# The source is intact: running, its context back, its content checks.
assert_source_intact() {
	assert_equal "$(sim_status a 'vmm state')" "${1:-running}"
	assert_equal "$(sim_status a 'guest state')" RUNNING
	assert_equal "$(sim_status a 'context held')" no
	run -0 sevmig-sim ctl "$T/a.sock" check
	[ ! -f "$T/a.digest" ] || assert_equal "$(sim_digest a)" "$(cat "$T/a.digest")"
}

# The target never resumed: still waiting for an import.
assert_target_untouched() {
	assert_equal "$(sim_status b 'vmm state')" incoming
}

# What sevmig-import says when it resumes an archive made --keep-source.
SNAPSHOT_WARNING="sevmig-import: warning: this archive is a snapshot (sevmig-export --keep-source): its source may still be running the guest, and resuming it here makes a second running copy"

# Export a's guest to a file $T/guest.sevmig with --keep-source.
save_archive() {
	sevmig-export $(certs_b) --keep-source "$@" -o "$T/guest.sevmig" "$T/a.sock"
}

# assert_closing_line LINE REPORT PROG WHERE: LINE is PROG's closing line
# ("PROG: moved N pages (...) and V VMSAs, B bytes (M MiB) in T s (R
# MiB/s); WHERE") and its numbers are those of the --report JSON REPORT.
assert_closing_line() {
	python3 - "$1" "$2" "$3" "$4" <<'PY'
import json, re, sys
line, report, prog, where = sys.argv[1:]
r = json.load(open(report))
c = r["counts"]
pages = c["private"] + c["shared"] + c["zero"]
want = ("%s: moved %d pages (%d private, %d shared, %d zero) and %d VMSA%s, "
        "%d bytes (%.1f MiB) in %.2f s (%.1f MiB/s); %s" % (
            prog, pages, c["private"], c["shared"], c["zero"], c["vmsa"],
            "" if c["vmsa"] == 1 else "s", r["bytes"], r["bytes"] / 1048576.0,
            r["seconds"], r["bytes_per_second"] / 1048576.0, where))
if line != want:
    sys.exit("closing line:\n  got  %r\n  want %r" % (line, want))
if pages == 0 or r["bytes"] == 0:
    sys.exit("nothing moved: %r" % line)
PY
}

# The closing lines a quiet-free round trip ends with (the numbers vary).
EXPORT_LINE_RE='^sevmig-export: moved [0-9]+ pages \([0-9]+ private, [0-9]+ shared, [0-9]+ zero\) and [0-9]+ VMSAs?, [0-9]+ bytes \([0-9.]+ MiB\) in [0-9.]+ s \([0-9.]+ MiB/s\); '
IMPORT_LINE_RE='^sevmig-import: moved [0-9]+ pages \([0-9]+ private, [0-9]+ shared, [0-9]+ zero\) and [0-9]+ VMSAs?, [0-9]+ bytes \([0-9.]+ MiB\) in [0-9.]+ s \([0-9.]+ MiB/s\); '

# $stderr without the closing lines, which must be there: closing_lines
# EXPORTS IMPORTS (how many of each) prints the rest.
closing_lines() {
	local ne ni
	ne=$(grep -Ec "$EXPORT_LINE_RE" <<<"$stderr" || true)
	ni=$(grep -Ec "$IMPORT_LINE_RE" <<<"$stderr" || true)
	[ "$ne" = "$1" ] && [ "$ni" = "$2" ] ||
		{ echo "want $1 export and $2 import closing lines in: $stderr"; return 1; }
	grep -Ev "$EXPORT_LINE_RE|$IMPORT_LINE_RE" <<<"$stderr" || true
}
