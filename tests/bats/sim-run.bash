# Helpers for the sevmig-sim run/ctl tests: start simulated VMMs in the
# background, remember them, stop them in teardown.
# shellcheck shell=bash

# One simulated platform per test file (setup_file); a 2048-bit ARK and
# ASK keep it quick.
sim_platform_init() {
	PLAT=$BATS_FILE_TMPDIR/plat
	[ -d "$PLAT" ] || sevmig-sim platform init --ark-bits 2048 "$PLAT"
}

# start_vmm NAME [run options...]: serve $BATS_TEST_TMPDIR/NAME.sock, log
# to NAME.log; the pid goes to NAME.pid and the list stopped by teardown.
start_vmm() {
	local name=$1 sock=$BATS_TEST_TMPDIR/$1.sock
	shift
	sevmig-sim run --platform "$BATS_FILE_TMPDIR/plat" --socket "$sock" \
		"$@" >"$BATS_TEST_TMPDIR/$name.log" 2>&1 3>&- &
	local pid=$! i
	echo $pid >"$BATS_TEST_TMPDIR/$name.pid"
	echo $pid >>"$BATS_TEST_TMPDIR/pids"
	# Ready when it answers (a stale socket file may be there before).
	for ((i = 0; i < 600; i++)); do
		sevmig-sim ctl --timeout 5 "$sock" status >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "VMM '$name' did not come up:" >&2
	cat "$BATS_TEST_TMPDIR/$name.log" >&2
	return 1
}

# Kill everything this test started (teardown).
stop_vmms() {
	local p
	[ -f "$BATS_TEST_TMPDIR/pids" ] || return 0
	while read -r p; do
		kill "$p" 2>/dev/null || true
	done <"$BATS_TEST_TMPDIR/pids"
	while read -r p; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done <"$BATS_TEST_TMPDIR/pids"
	rm -f "$BATS_TEST_TMPDIR/pids"
}

# Wait until a pid has exited (up to $2 seconds, default 10).
wait_gone() {
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# Wait until `sevmig-sim ctl SOCK status` shows a line matching $2.
wait_status() {
	local i
	for ((i = 0; i < 100; i++)); do
		sevmig-sim ctl "$1" status 2>/dev/null | grep -q -- "$2" && return 0
		sleep 0.1
	done
	echo "status of '$1' never matched '$2'" >&2
	return 1
}

# Number of pages listed in a "GPA SIZE" regions file.
region_pages() {
	awk '{ n += $2 / 4096 } END { print n + 0 }' "$1"
}
