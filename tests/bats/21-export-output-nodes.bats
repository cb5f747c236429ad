#!/usr/bin/env bats
# Output paths that name a device, a FIFO or a symlink are written through,
# never replaced: a temporary file renamed over /dev/null once turned it
# into a regular file for the whole machine.

load helpers
load archive
bats_require_minimum_version 1.8.0

teardown() {
	sim_stop_all
}

make_null() {
	mknod "$1" c 1 3 2>/dev/null || skip "cannot make a device node here"
}

@test "export -o to a character device writes through it and leaves the node" {
	pair --mem 4M
	make_null "$T/null"
	# (a null device keeps nothing: --force, or it is refused)
	run -0 --separate-stderr sevmig-export $(certs_b) -q --force -o "$T/null" "$T/a.sock"
	[ -c "$T/null" ] || fail "'$T/null' is no longer a character device"
	[ -z "$(find "$T" -maxdepth 1 -name '.null*')" ] || fail "a temporary file was left"
}

@test "export -o through a symlink replaces the target and keeps the link" {
	pair --mem 4M
	echo old >"$T/target.sevmig"
	ln -s target.sevmig "$T/link.sevmig"
	run -0 --separate-stderr sevmig-export $(certs_b) -q --keep-source --force -o "$T/link.sevmig" "$T/a.sock"
	[ -L "$T/link.sevmig" ] || fail "the symlink was replaced"
	run -0 sevmig-import --check -i "$T/target.sevmig"
}

@test "export -o to a FIFO streams into it for an importer" {
	pair --mem 4M
	save_digest
	mkfifo "$T/fifo"
	sevmig-import -q -i "$T/fifo" "$T/b.sock" 3>&- &
	local imp=$!
	run -0 --separate-stderr sevmig-export $(certs_b) -q -o "$T/fifo" "$T/a.sock"
	wait "$imp"
	[ -p "$T/fifo" ] || fail "the FIFO was replaced"
	assert_migrated
}

@test "certs fetch -o to a character device leaves the node" {
	sim_platform pb
	make_null "$T/null"
	run -0 sevmig-certs fetch -q -o "$T/null" "sim:$T/pb"
	[ -c "$T/null" ] || fail "fetch -o replaced the device node"
}

@test "export -o to a FIFO nobody opens: SIGINT ends the wait at once, the guest untouched" {
	pair --mem 4M
	save_digest
	mkfifo "$T/fifo"
	sevmig-export $(certs_b) -q -o "$T/fifo" "$T/a.sock" 2>"$T/err" 3>&- &
	local pid=$! i
	sleep 1
	kill -INT "$pid"
	for ((i = 0; i < 30; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		fail "the exporter did not stop within 3 s of SIGINT"
	fi
	local rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 1
	assert_equal "$(cat "$T/err")" "sevmig-export: interrupted by SIGINT"
	[ -p "$T/fifo" ] || fail "the FIFO was replaced"
	assert_source_intact running
}

@test "export -o to a FIFO nobody opens gives up after --stall-timeout" {
	pair --mem 4M
	save_digest
	mkfifo "$T/fifo"
	run -4 --separate-stderr sevmig-export $(certs_b) -q --stall-timeout 1 -o "$T/fifo" "$T/a.sock"
	assert_equal "$stderr" "sevmig-export: nobody opened FIFO '$T/fifo' for reading within 1 s (--stall-timeout)"
	assert_source_intact running
}
