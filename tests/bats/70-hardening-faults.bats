#!/usr/bin/env bats
# Fault injection: the importer or the exporter killed at chosen points,
# a full disk under -o, ssh that cannot connect.  (An exporter killed
# mid-pages and outputs that are devices or FIFOs are in 20- and 21-.)  After each, the guest is where it must be: back on the source
# (firmware RUNNING, pages intact, exportable again) or waiting on the
# target, never running twice and never lost.

load helpers
load archive
load hardening
bats_require_minimum_version 1.8.0

setup_file() {
	h_platforms
}

setup() {
	h_setup
}

teardown() {
	h_teardown
	if [ -n "${MOUNTED:-}" ]; then
		umount "$MOUNTED" 2>/dev/null || umount -l "$MOUNTED"
	fi
	if [ -f "$T/child.pid" ]; then
		kill -9 "$(cat "$T/child.pid")" 2>/dev/null || true
	fi
}

# A saved archive of a's 4 MiB guest, and an empty incoming b.
saved_pair() {
	h_pair --mem 4M --shared 10 "$@"
	save_digest
	save_archive
}

# After a killed import the target still waits, and the archive goes in.
assert_import_recovers() {
	assert_target_waiting
	run -0 --separate-stderr sevmig-import -i "$T/guest.sevmig" "$T/b.sock"
	assert_equal "$(closing_lines 0 1)" "$SNAPSHOT_WARNING"
	[[ "$stderr" == *"; target running" ]]
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
	assert_equal "$(sim_status b 'vmm state')" running
}

@test "the importer killed before the first record leaves the target waiting" {
	saved_pair
	local off
	off=$(entry_offset sevmig/pages/00000000 "$T/guest.sevmig")
	feed_kill $((off + 32)) "$T/guest.sevmig" sevmig-import "$T/b.sock"
	assert_equal "$H_RC" 137
	assert_import_recovers
}

@test "the importer killed in the middle of the pages leaves the target waiting" {
	saved_pair
	local off
	off=$(record_offset 600 "$T/guest.sevmig")
	feed_kill "$off" "$T/guest.sevmig" sevmig-import "$T/b.sock"
	assert_equal "$H_RC" 137
	assert_import_recovers
}

@test "the importer killed after the trailer, before RECEIVE_FINISH, leaves the target waiting" {
	saved_pair
	local off size
	off=$(entry_offset sevmig/trailer.json "$T/guest.sevmig")
	size=$(entry_size sevmig/trailer.json "$T/guest.sevmig")
	# The trailer and its padding: the digest is checked, and the
	# importer waits for the end-of-archive blocks.
	feed_kill $((off + (size + 511) / 512 * 512)) "$T/guest.sevmig" \
		sevmig-import "$T/b.sock"
	assert_equal "$H_RC" 137
	assert_import_recovers
}

@test "a stream that ends right after the trailer is refused: only the end-of-archive marker makes it complete" {
	# What the importer saw above, but its input closed there: only the
	# end-of-archive blocks are missing.  An exporter killed at that point
	# has not finished, so its VMM takes the guest back: the cut stream
	# must not import, or the guest would run twice.
	saved_pair
	local off size
	off=$(entry_offset sevmig/trailer.json "$T/guest.sevmig")
	size=$(entry_size sevmig/trailer.json "$T/guest.sevmig")
	head -c $((off + (size + 511) / 512 * 512)) "$T/guest.sevmig" >"$T/cut.sevmig"
	run -4 --separate-stderr sevmig-import -i "$T/cut.sevmig" "$T/b.sock"
	assert_equal "$stderr" "sevmig-import: the archive ends without its end-of-archive marker (truncated stream)"
	assert_target_waiting
	# one zero block of the two is not enough either
	head -c $((off + (size + 511) / 512 * 512 + 512)) "$T/guest.sevmig" >"$T/cut.sevmig"
	run -4 --separate-stderr sevmig-import -i "$T/cut.sevmig" "$T/b.sock"
	assert_equal "$stderr" "sevmig-import: the archive ends without its end-of-archive marker (truncated stream)"
	assert_target_waiting
	# the whole stream imports
	run -0 --separate-stderr sevmig-import -i "$T/guest.sevmig" "$T/b.sock"
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
}

@test "the exporter killed while the VMM hands over the context: the VMM takes it back" {
	h_pair --mem 4M
	save_digest
	hostile_start ha a take-context:delay:60
	h_bg exp sevmig-export -q $(certs_b) -o "$T/out.sevmig" "$T/ha.sock"
	h_until 20 hostile_fired ha "take-context delay"
	# the real VMM gave its context away
	assert_equal "$(sim_status a 'context held')" yes
	kill -9 "$exp_PID"
	h_wait "$exp_PID" 10
	assert_equal "$H_RC" 137
	assert_source_back paused
	[ ! -e "$T/out.sevmig" ]
	sevmig-sim ctl "$T/a.sock" resume
	assert_exports_again
}

@test "the exporter killed while writing a file leaves no archive under the file's name" {
	h_pair --mem 16M
	save_digest
	# a FIFO under the temporary name's directory would not stop it:
	# stop the exporter by a VMM that answers device-state late instead
	hostile_start ha a device-state:delay:60
	h_bg exp sevmig-export -q $(certs_b) -o "$T/out.sevmig" "$T/ha.sock"
	h_until 20 hostile_fired ha "device-state delay"
	kill -9 "$exp_PID"
	h_wait "$exp_PID" 10
	[ ! -e "$T/out.sevmig" ]
	# What SIGKILL leaves is the hidden temporary file, never FILE.
	run -0 find "$T" -maxdepth 1 -name '*out.sevmig*'
	[[ "$output" == "" || "$output" == "$T/.out.sevmig.tmp."?????? ]]
	# every page was sent (SUPDATE): the VMM cancelled the send itself
	assert_source_back paused
	grep -q "took the guest context back (firmware state RUNNING)" "$T/a.log"
	sevmig-sim ctl "$T/a.sock" resume
	assert_exports_again
}

@test "the exporter killed while waiting for ready: the source takes the guest back, the target never runs" {
	h_pair --mem 8M
	save_digest
	# The real importer, whose "ready" is held back (its pid in
	# child.pid so teardown can stop it)
	cat >"$T/slow-ready.sh" <<-EOS
		#!/bin/bash
		echo \$\$ >"$T/child.pid"
		sevmig-import --ack "$T/b.sock" 2>"$T/imp.err" | {
			read -r line
			echo "\$line" >"$T/ready.seen"
			sleep 60
			echo "\$line"
		}
	EOS
	h_bg exp sevmig-export -q $(certs_b) --exec "bash $T/slow-ready.sh" "$T/a.sock"
	wait_for_path "$T/ready.seen" 30
	assert_equal "$(cat "$T/ready.seen")" ready
	# the target holds the whole guest, paused; the source is in SUPDATE
	assert_equal "$(sim_status b 'guest state')" RUNNING
	[ "$(sim_status b 'vmm state')" != running ]
	assert_equal "$(sim_status a 'guest state')" SUPDATE
	kill -9 "$exp_PID"
	h_wait "$exp_PID" 10
	assert_source_back paused
	# the importer never got "commit": it gives up, the target stays paused
	h_until 20 grep -q 'no "commit" from the exporter' "$T/imp.err"
	[ "$(sim_status b 'vmm state')" != running ]
}

@test "the exporter killed after SEND_FINISH: the VMM releases, the saved archive restores" {
	h_pair --mem 4M
	save_digest
	# the release request never reaches the VMM: the exporter waits
	hostile_start ha a '>release:mute'
	h_bg exp sevmig-export -q $(certs_b) --timeout 60 -o "$T/out.sevmig" "$T/ha.sock"
	h_until 20 hostile_fired ha ">release mute"
	assert_equal "$(sim_status a 'guest state')" SENT
	kill -9 "$exp_PID"
	h_wait "$exp_PID" 10
	# SENT: the guest now lives in the archive, the VMM lets it go
	h_until 10 status_is a 'vmm state' released
	grep -q "the guest was sent before its holder vanished: releasing it" "$T/a.log"
	run -0 sevmig-import -i "$T/out.sevmig" "$T/b.sock"
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
}

@test "a full disk under -o is exit 4, leaves no file and gives the guest back" {
	h_pair --mem 4M
	save_digest
	mkdir "$T/small"
	mount -t tmpfs -o size=1m tmpfs "$T/small" 2>"$T/mount.err" ||
		skip "cannot mount a tmpfs: $(cat "$T/mount.err")"
	MOUNTED=$T/small
	run -4 --separate-stderr sevmig-export -q $(certs_b) -o "$T/small/g.sevmig" "$T/a.sock"
	assert_equal "$stderr" "sevmig-export: writing archive: No space left on device"
	run -0 ls -A "$T/small"
	assert_output ""
	assert_source_intact running
	# with room, the same export goes through
	umount "$T/small"
	MOUNTED=
	run -0 sevmig-export -q $(certs_b) -o "$T/small/g.sevmig" "$T/a.sock"
	run -0 sevmig-import -i "$T/small/g.sevmig" "$T/b.sock"
	assert_migrated
}

@test "ssh that cannot connect in a one-way pipeline is exit 4 and the source runs on" {
	command -v ssh >/dev/null || skip "no ssh (openssh-client)"
	h_pair --mem 4M
	save_digest
	local port
	port=$(free_port)
	run bash -c "sevmig-export -q $(certs_b) '$T/a.sock' 2>'$T/exp.err' | ssh -F /dev/null -o BatchMode=yes -o ConnectTimeout=5 -p $port 127.0.0.1 sevmig-import '$T/b.sock' 2>'$T/ssh.err'; echo \"\${PIPESTATUS[*]}\""
	assert_output "4 255"
	assert_equal "$(cat "$T/exp.err")" "sevmig-export: writing archive: output closed early"
	grep -q "Connection refused" "$T/ssh.err"
	assert_source_intact running
	assert_target_waiting
}

@test "the exporter killed mid-stream in a pipe: the importer stops with exit 4, the target waits" {
	h_pair --mem 4M
	save_digest
	# every page goes through; the device state comes late, so the
	# exporter is killed with the importer in the middle of the archive
	hostile_start ha a device-state:delay:60
	h_bg imp bash -c "sevmig-export -q $(certs_b) '$T/ha.sock' | sevmig-import -q '$T/b.sock'; echo \"\${PIPESTATUS[*]}\" >'$T/pipe.status'"
	h_until 20 hostile_fired ha "device-state delay"
	kill -9 "$(pgrep -P "$imp_PID" -x sevmig-export)"
	h_wait "$imp_PID" 20
	assert_equal "$(cat "$T/pipe.status")" "137 4"
	# (where the stream stops depends on what the exporter had buffered)
	[[ "$(cat "$T/imp.err")" == "sevmig-import: entry 'sevmig/pages/"*"): reading archive: Truncated tar archive" ||
		"$(cat "$T/imp.err")" == "sevmig-import: archive ends inside the page records (truncated stream)" ]]
	assert_target_waiting
	assert_source_back paused
	sevmig-sim ctl "$T/a.sock" resume
	assert_exports_again
}
