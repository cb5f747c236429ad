#!/usr/bin/env bats
# Never clone, never lose (issue 11), the target side: an incoming VMM
# belongs to one importer from its first request, its states say what
# it holds, and a target that differs from the guest in anything the
# guest depends on is refused before RECEIVE_START, while a one-way
# exporter can still give its guest back.  After each test exactly one
# intact copy of the guest exists.

load helpers
load archive
load hardening
load never-clone
bats_require_minimum_version 1.8.0

setup_file() {
	h_platforms
}

setup() {
	h_setup
}

teardown() {
	h_teardown
}

@test "claim: a second importer into a receiving VMM is refused before it touches anything" {
	h_pair --mem 4M
	save_digest
	save_archive
	feed_start
	h_bg imp1 sevmig-import -q "$T/b.sock" <"$T/feed.fifo"
	feed "$T/guest.sevmig" 0 65536
	h_until 10 status_is b 'vmm state' receiving
	assert_equal "$(sim_status b claimed)" yes
	run -5 --separate-stderr sevmig-import -i "$T/guest.sevmig" "$T/b.sock"
	[[ "$stderr" =~ ^"sevmig-import: VM '$T/b.sock': vmm refused 'hello': the VM is claimed by another client (client "[0-9]+"): an export or import is under way"$ ]] || { echo "$stderr"; false; }
	# the first import goes on undisturbed
	feed "$T/guest.sevmig" 65536
	feed_end
	h_wait "$imp1_PID" 30
	assert_equal "$H_RC" 0
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
	assert_equal "$(sim_status b 'vmm state')" running
	assert_equal "$(sim_status b claimed)" no
}

@test "claim: two one-way migrations aimed at one target: one lands, the other source keeps its guest" {
	h_pair --mem 4M
	sim_run c pa --mem 4M --seed 7
	save_digest
	sim_digest c >"$T/c.digest"
	gate_script
	h_bg m1 bash -c "sevmig-export -q $(certs_b) '$T/a.sock' | bash '$T/gate.sh' | sevmig-import -q '$T/b.sock'"
	h_until 10 status_is b 'vmm state' receiving
	run --separate-stderr bash -c "sevmig-export -q $(certs_b) '$T/c.sock' 2>'$T/e2.err' | sevmig-import -q '$T/b.sock' 2>'$T/i2.err'; echo \"\${PIPESTATUS[*]}\""
	assert_output "4 5"
	run cat "$T/i2.err"
	assert_output --partial "the VM is claimed by another client"
	# c's guest never left: running, whole
	assert_equal "$(sim_status c 'vmm state')" running
	assert_equal "$(sim_status c 'guest state')" RUNNING
	run -0 sevmig-sim ctl "$T/c.sock" check
	assert_equal "$(sim_digest c)" "$(cat "$T/c.digest")"
	# and the first migration completes
	touch "$T/go"
	h_wait "$m1_PID" 30
	assert_equal "$H_RC" 0
	assert_migrated
}

@test "claim: an import into a VMM holding a received guest is refused and the guest stays whole" {
	h_pair --mem 4M
	save_digest
	save_archive
	run -0 sevmig-import -q --no-resume -i "$T/guest.sevmig" "$T/b.sock"
	assert_equal "$(sim_status b 'vmm state')" received-paused
	assert_equal "$(sim_status b hold)" none
	sim_run c pa --mem 4M --seed 9
	sevmig-export -q $(certs_b) --keep-source -o "$T/c.sevmig" "$T/c.sock"
	run -5 --separate-stderr sevmig-import -i "$T/c.sevmig" "$T/b.sock"
	assert_equal "$stderr" "sevmig-import: VM '$T/b.sock': vmm refused 'hello': the VM holds a received guest, paused: it is not waiting for an import (resume it, or discard it to import again)"
	assert_equal "$(sim_status b 'vmm state')" received-paused
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
	# discard makes it wait again; then the other archive goes in
	run -0 sevmig-sim ctl "$T/b.sock" discard
	assert_target_waiting
	run -0 sevmig-import -q -i "$T/c.sevmig" "$T/b.sock"
	assert_equal "$(sim_status b 'vmm state')" running
	run -0 sevmig-sim ctl "$T/b.sock" check
}

@test "states: incoming, receiving, received-paused, running; an importer that leaves early returns it to incoming" {
	h_pair --mem 4M
	save_digest
	save_archive
	assert_equal "$(sim_status b 'vmm state')" incoming
	feed_start
	h_bg imp sevmig-import -q --no-resume "$T/b.sock" <"$T/feed.fifo"
	feed "$T/guest.sevmig" 0 65536
	h_until 10 status_is b 'vmm state' receiving
	# gone before the end: the VMM clears what it got and waits again
	kill -9 "$imp_PID"
	h_wait "$imp_PID" 10
	feed_end
	h_until 10 status_is b 'vmm state' incoming
	assert_target_waiting
	assert_equal "$(sim_status b claimed)" no
	run -0 sevmig-import -q --no-resume -i "$T/guest.sevmig" "$T/b.sock"
	assert_equal "$(sim_status b 'vmm state')" received-paused
	assert_equal "$(sim_status b 'guest state')" RUNNING
	run -0 sevmig-sim ctl "$T/b.sock" resume
	assert_equal "$(sim_status b 'vmm state')" running
	run -5 sevmig-sim ctl "$T/b.sock" discard
	assert_output "sevmig-sim: vmm refused 'discard': discard is for a received guest that never ran (the VMM is running)"
}

# A pipeline from a into b; EXP and IMP hold the two exit statuses.
pipeline() {
	run --separate-stderr bash -c "sevmig-export -q $(certs_b) $* '$T/a.sock' 2>'$T/exp.err' | sevmig-import -q '$T/b.sock' 2>'$T/imp.err'; echo \"\${PIPESTATUS[*]}\""
	read -r EXP IMP <<<"$output"
}

@test "target: more memory than the guest is refused before RECEIVE_START, the source keeps its guest" {
	sim_run a pa --mem 4M
	sim_run b pb --incoming --mem 8M
	save_digest
	pipeline
	assert_equal "$IMP" 5
	assert_equal "$EXP" 4
	assert_equal "$(cat "$T/imp.err")" "sevmig-import: VM '$T/b.sock' has 8 MiB of memory at 0x0+0x800000, the guest 4 MiB at 0x0+0x400000: start the target with the guest's memory layout"
	assert_source_intact running
	assert_target_waiting
	assert_one_copy
}

@test "target: another memory split is refused before RECEIVE_START" {
	sim_run a pa --mem 8M --mem-split 4M
	sim_run b pb --incoming --mem 8M --mem-split 6M
	save_digest
	pipeline
	assert_equal "$IMP" 5
	assert_equal "$(cat "$T/imp.err")" "sevmig-import: the guest's memory range 0x100000000+0x400000 is not in the memory of VM '$T/b.sock'"
	assert_source_intact running
	assert_target_waiting
}

# A pipeline whose importer starts only once the exporter has written
# the whole stream (it fits in the pipe) and waits for its reader.
late_pipeline() {
	cat >"$T/late.sh" <<-EOS
		#!/bin/bash
		for ((i = 0; i < 300; i++)); do
			grep -q 'waiting for the reader to take the last' "$T/exp.err" && exec sevmig-import -q "\$1"
			sleep 0.1
		done
		exit 9
	EOS
	run --separate-stderr bash -c "sevmig-export -v $(certs_b) '$T/a.sock' 2>'$T/exp.err' | bash '$T/late.sh' '$T/b.sock' 2>'$T/imp.err'; echo \"\${PIPESTATUS[*]}\""
	read -r EXP IMP <<<"$output"
}

@test "target: a guest that fits in the pipe is not released when the importer refuses the target" {
	# The whole stream fits in the pipe: every write succeeded before the
	# importer looked at the target.  The exporter waits for the reader
	# to take it all, sees it gone, and gives the guest back.
	sim_run a pa --mem 256K
	sim_run b pb --incoming --mem 512K
	save_digest
	late_pipeline
	assert_equal "$IMP" 5
	assert_equal "$EXP" 4
	run grep -v '^sevmig-export: \(the whole stream\|warning\)' "$T/exp.err"
	assert_output --regexp "^sevmig-export: the reader closed the stream with [0-9]+ bytes unread: it cannot import it$"
	assert_source_intact running
	assert_target_waiting
	assert_one_copy
}

@test "target: a guest that fits in the pipe, into another host's VMM: refused, the source keeps it" {
	sim_run a pa --mem 256K
	sim_run b pc --incoming --mem 256K
	save_digest
	late_pipeline
	assert_equal "$IMP" 3
	assert_equal "$EXP" 4
	run cat "$T/imp.err"
	assert_output --regexp "^sevmig-import: the archive was made for PDH [0-9a-f]+, but VM '$T/b.sock' is on a platform with PDH [0-9a-f]+$"
	assert_source_intact running
	assert_target_waiting
}

@test "target: a platform whose firmware is older than the guest's policy needs is refused before RECEIVE_START" {
	sevmig-sim platform init --ark-from "$T/pa" --api 1.40 "$T/old" >/dev/null
	# policy: API 1.55 at least (major 1 in bits 16-23, minor 55 in 24-31)
	sim_run a pa --mem 4M --policy 0x37010001
	sim_run b old --incoming --mem 4M
	save_digest
	sevmig-export -q -c "$T/old" --ark "$T/old/ark.cert" --keep-source -o "$T/g.sevmig" "$T/a.sock"
	run -5 --separate-stderr sevmig-import -i "$T/g.sevmig" "$T/b.sock"
	assert_equal "$stderr" "sevmig-import: the guest's policy 0x37010001 needs SEV API 1.55, the platform of VM '$T/b.sock' runs 1.40"
	assert_target_waiting
}

@test "target: an SEV-ES guest into a platform without SEV-ES is refused before RECEIVE_START" {
	sevmig-sim platform init --ark-from "$T/pa" --no-es "$T/noes" >/dev/null
	sim_run a pa --mem 4M --es
	sim_run b noes --incoming --mem 4M --es
	save_digest
	sevmig-export -q -c "$T/noes" --ark "$T/noes/ark.cert" --keep-source -o "$T/g.sevmig" "$T/a.sock"
	run -5 --separate-stderr sevmig-import -i "$T/g.sevmig" "$T/b.sock"
	assert_equal "$stderr" "sevmig-import: the guest is SEV-ES, the platform of VM '$T/b.sock' does not offer SEV-ES"
	assert_target_waiting
}

@test "source: the shared list is read from the paused guest" {
	sim_run a pa --mem 4M -vv
	sim_run b pb --incoming --mem 4M
	save_digest
	run -0 bash -c "sevmig-export -q $(certs_b) '$T/a.sock' | sevmig-import -q '$T/b.sock'"
	assert_migrated
	# the VMM's log of requests: pause comes before shared-regions
	local p s
	p=$(grep -n '"op":"pause"' "$T/a.log" | head -1 | cut -d: -f1)
	s=$(grep -n '"op":"shared-regions"' "$T/a.log" | head -1 | cut -d: -f1)
	[ -n "$p" ] && [ -n "$s" ] || { cat "$T/a.log"; false; }
	[ "$p" -lt "$s" ] || { echo "pause at line $p, shared-regions at $s"; false; }
}
