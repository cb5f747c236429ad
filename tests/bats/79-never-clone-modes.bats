#!/usr/bin/env bats
# Never clone, never lose (issue 11), the stream: a two-way stream says
# so and a one-way importer refuses it; one-way, the source is released
# only once the reader took the whole stream, and a stalled reader gets
# the rest taken back; an importer past RECEIVE_FINISH never throws the
# guest away; an exporter that dies after "ready" leaves exactly one
# copy, and the messages tell the cases apart; snapshots and replays.

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

TWO_WAY_REFUSAL="sevmig-import: this stream is two-way (sevmig-export --exec waits for \"ready\" and commits only then): import it with sevmig-import --ack"

@test "two-way: an --exec importer without --ack refuses the stream, the source keeps running" {
	h_pair --mem 4M
	save_digest
	run -4 --separate-stderr sevmig-export -q $(certs_b) --exec "sevmig-import '$T/b.sock'" "$T/a.sock"
	assert_equal "${stderr_lines[0]}" "$TWO_WAY_REFUSAL"
	assert_equal "${#stderr_lines[@]}" 2
	[[ "${stderr_lines[1]}" == "sevmig-export: "*"(the importer exited with status 2)" ]] || { echo "${stderr_lines[1]}"; false; }
	assert_source_intact running
	assert_target_waiting
	assert_one_copy
}

@test "two-way: the manifest says so, and a saved two-way stream is refused by a one-way import" {
	h_pair --mem 4M
	save_digest
	# an importer that only keeps the stream and never answers "ready"
	run -4 --separate-stderr sevmig-export -q $(certs_b) --stall-timeout 1 --exec "sh -c 'cat >\"$T/two.sevmig\"'" "$T/a.sock"
	assert_equal "$stderr" "sevmig-export: the importer did not answer \"ready\" within 1 s (--stall-timeout)"
	assert_source_intact running
	run -0 bash -c "tar -xOf '$T/two.sevmig' sevmig/manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"features\"])'"
	assert_output "['two-way']"
	run -2 --separate-stderr sevmig-import -i "$T/two.sevmig" "$T/b.sock"
	assert_equal "$stderr" "$TWO_WAY_REFUSAL"
	assert_target_waiting
	assert_one_copy
}

# A reader that stops itself before it reads a byte; SIGCONT makes it
# the importer.
# is_stopped PID: the process has stopped itself (state T), so a SIGCONT
# sent now cannot come before its SIGSTOP and be lost.
is_stopped() {
	[ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" = T ]
}

stopped_importer() {
	cat >"$T/stop.py" <<-'PY'
		import os, signal, sys
		os.kill(os.getpid(), signal.SIGSTOP)
		os.execvp("sevmig-import", ["sevmig-import", "-q", sys.argv[1]])
	PY
}

@test "one-way: a reader that stops with the stream unread gets it taken back; the source keeps its guest" {
	sim_run a pa --mem 256K
	sim_run b pb --incoming --mem 256K
	save_digest
	stopped_importer
	mkfifo "$T/p"
	# (the FIFO opened in the background: opening it blocks until a writer)
	h_bg imp bash -c "exec python3 '$T/stop.py' '$T/b.sock' <'$T/p'"
	run -4 --separate-stderr sevmig-export -q $(certs_b) --stall-timeout 2 -o "$T/p" "$T/a.sock"
	[[ "$stderr" =~ ^"sevmig-export: the reader took nothing for 2 s (--stall-timeout) with "([0-9]+)" bytes of the stream left; the "([0-9]+)" bytes the reader had not taken were taken back, so no import of this stream can complete"$ ]] || { echo "$stderr"; false; }
	assert_equal "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
	assert_source_intact running
	# the reader, woken, finds nothing to import
	h_until 10 is_stopped "$imp_PID"
	kill -CONT "$imp_PID"
	h_wait "$imp_PID" 20
	assert_equal "$H_RC" 4
	run cat "$T/imp.err"
	assert_output "sevmig-import: reading archive: the input is empty"
	assert_target_waiting
	assert_one_copy
}

@test "one-way: the same through stdout: the reader stalls, the rest is taken back out of the pipe" {
	sim_run a pa --mem 256K
	sim_run b pb --incoming --mem 256K
	save_digest
	stopped_importer
	h_bg pipe bash -c "{ sevmig-export -q $(certs_b) --stall-timeout 2 '$T/a.sock' 2>'$T/exp.err'; echo \$? >'$T/exp.rc'; } | python3 '$T/stop.py' '$T/b.sock' 2>'$T/imp.err'; echo \$? >'$T/imp.rc'"
	h_until 30 test -s "$T/exp.rc"
	assert_equal "$(cat "$T/exp.rc")" 4
	run cat "$T/exp.err"
	assert_output --partial "were taken back, so no import of this stream can complete"
	assert_source_intact running
	pkill -CONT -f "$T/stop.py"
	h_until 30 test -s "$T/imp.rc"
	assert_equal "$(cat "$T/imp.rc")" 4
	assert_target_waiting
	assert_one_copy
}

@test "one-way: stdout that is a file is fsynced before the source is released" {
	command -v strace >/dev/null || skip "strace is not installed"
	h_pair --mem 4M
	save_digest
	# (LeakSanitizer stops the world with ptrace at exit, which fails
	# under strace: no leak check in a sanitizer build here)
	run -0 bash -c "ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=fsync,sendmsg -s 200 -o '$T/trace' sevmig-export -q $(certs_b) '$T/a.sock' >'$T/out.sevmig'"
	local f r
	f=$(grep -n 'fsync(1)' "$T/trace" | head -1 | cut -d: -f1)
	r=$(grep -n '\\"op\\":\\"release\\"' "$T/trace" | head -1 | cut -d: -f1)
	[ -n "$f" ] && [ -n "$r" ] || { cat "$T/trace"; false; }
	[ "$f" -lt "$r" ] || { echo "fsync at line $f, release at line $r"; false; }
	run -0 sevmig-import -q -i "$T/out.sevmig" "$T/b.sock"
	assert_migrated
}

@test "import: past RECEIVE_FINISH a slow VMM is waited for, stop signals held; the guest is kept" {
	h_pair --mem 4M
	save_digest
	save_archive
	# the VMM gets to adopt-context only 3 s late; the importer's own
	# timeout is 1 s
	hostile_start hb b '>adopt-context:delay:3'
	h_bg imp sevmig-import -q --timeout 1 -i "$T/guest.sevmig" "$T/hb.sock"
	h_until 20 grep -qxF '>adopt-context delay' "$T/hb.rules"
	# only this process holds the guest now: SIGTERM must wait
	kill -TERM "$imp_PID"
	h_wait "$imp_PID" 20
	assert_equal "$H_RC" 4
	run cat "$T/imp.err"
	assert_output "sevmig-import: VM '$T/hb.sock': 'adopt-context': timed out waiting for a reply; it holds the received guest paused: resume it there (sevmig-sim ctl '$T/hb.sock' resume)"
	assert_equal "$(sim_status b 'vmm state')" received-paused
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
	run -0 sevmig-sim ctl "$T/b.sock" resume
	assert_equal "$(sim_status b 'vmm state')" running
}

NO_COMMIT_TAIL="holds the guest paused, uncommitted, and will not resume on its own. Either the export finished (the source VM's status says released: resume here with sevmig-sim ctl '$BATS_TEST_TMPDIR/b.sock' resume --force) or it did not (the source still holds the guest: resume it there and discard this copy with sevmig-sim ctl '$BATS_TEST_TMPDIR/b.sock' discard); sevmig-sim ctl SOURCE-SOCKET status tells which"

@test "two-way: the exporter killed after ready, once the source knew: the source finishes the send, one copy remains" {
	h_pair --mem 4M
	save_digest
	# the source VMM takes target-ready, its answer never comes back
	hostile_start ha a 'target-ready:mute'
	h_bg exp sevmig-export -q $(certs_b) --timeout 20 --exec "sevmig-import -q --ack '$T/b.sock'" "$T/ha.sock"
	h_until 30 hostile_fired ha "target-ready mute"
	kill -9 "$exp_PID"
	h_wait "$exp_PID" 10
	# the source VMM completed SEND_FINISH itself and let the guest go
	h_until 10 status_is a 'vmm state' released
	# the importer got no commit and says what that can mean
	h_until 10 grep -q 'no "commit"' "$T/exp.err"
	run cat "$T/exp.err"
	assert_output "sevmig-import: no \"commit\" from the exporter: VM '$T/b.sock' $NO_COMMIT_TAIL"
	assert_equal "$(sim_status b 'vmm state')" received-paused
	[[ "$(sim_status b hold)" == "uncommitted: "* ]]
	assert_one_copy
	run -5 sevmig-sim ctl "$T/b.sock" resume
	assert_output --partial "sevmig-sim: vmm refused 'resume': the guest is on hold (uncommitted): "
	run -0 sevmig-sim ctl --force "$T/b.sock" resume
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
}

@test "two-way: the exporter killed after ready, before the source knew: the source keeps the guest, the target copy waits on hold" {
	h_pair --mem 4M
	save_digest
	# target-ready never reaches the source VMM
	hostile_start ha a '>target-ready:mute'
	h_bg exp sevmig-export -q $(certs_b) --timeout 20 --exec "sevmig-import -q --ack '$T/b.sock'" "$T/ha.sock"
	h_until 30 hostile_fired ha ">target-ready mute"
	kill -9 "$exp_PID"
	h_wait "$exp_PID" 10
	h_until 10 status_is a 'context held' no
	h_until 10 grep -q 'no "commit"' "$T/exp.err"
	# two copies, but only one may run without an operator's word
	copies
	assert_equal "$COPIES $RUNNABLE $HELD" "2 1 1"
	assert_equal "$(sim_status a hold)" none
	[[ "$(sim_status b hold)" == "uncommitted: "* ]]
	run -5 sevmig-sim ctl "$T/b.sock" resume
	# the source still holds it: resume it, drop the target's copy
	run -0 sevmig-sim ctl "$T/a.sock" resume
	run -0 sevmig-sim ctl "$T/b.sock" discard
	assert_target_waiting
	assert_source_intact running
	assert_one_copy
}

@test "one-way: the exporter killed once the whole stream left leaves the source in doubt, not running twice" {
	# one-way, the exporter dies after the whole stream left: the source
	# VMM cannot know whether an importer completes it, so it holds the
	# guest in doubt; the importer completes; one runnable copy.
	sim_run a pa --mem 256K
	sim_run b pb --incoming --mem 256K
	save_digest
	stopped_importer
	mkfifo "$T/p"
	# (the FIFO opened in the background: opening it blocks until a writer)
	h_bg imp bash -c "exec python3 '$T/stop.py' '$T/b.sock' <'$T/p'"
	h_bg exp sevmig-export -v $(certs_b) --stall-timeout 60 -o "$T/p" "$T/a.sock"
	# the whole stream is in the pipe, the exporter waits for its reader
	h_until 20 grep -q 'waiting for the reader to take the last' "$T/exp.err"
	kill -9 "$exp_PID"
	h_wait "$exp_PID" 10
	h_until 10 status_is a 'context held' no
	[[ "$(sim_status a hold)" == "in-doubt: "* ]]
	run -5 sevmig-sim ctl "$T/a.sock" resume
	h_until 10 is_stopped "$imp_PID"
	kill -CONT "$imp_PID"
	h_wait "$imp_PID" 20
	assert_equal "$H_RC" 0
	assert_equal "$(sim_status b 'vmm state')" running
	copies
	assert_equal "$RUNNABLE" 1
}

@test "snapshot: marked in the manifest, and its import says the source may still run" {
	h_pair --mem 4M
	save_digest
	save_archive
	run -0 bash -c "tar -xOf '$T/guest.sevmig' sevmig/manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin).get(\"snapshot\"))'"
	assert_output True
	run -0 --separate-stderr sevmig-import -i "$T/guest.sevmig" "$T/b.sock"
	assert_equal "$(closing_lines 0 1)" "$SNAPSHOT_WARNING"
	[[ "$stderr" == *"; target running" ]]
	# an export that releases its source is no snapshot
	sevmig-sim ctl "$T/b.sock" quit
	sim_run b pb --incoming --mem 4M
	run -0 sevmig-export -q $(certs_b) -o "$T/move.sevmig" "$T/a.sock"
	run -0 bash -c "tar -xOf '$T/move.sevmig' sevmig/manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin).get(\"snapshot\"))'"
	assert_output None
	run -0 --separate-stderr sevmig-import -i "$T/move.sevmig" "$T/b.sock"
	assert_equal "$(closing_lines 0 1)" ""
}

@test "replay: the same archive a second time into another VMM is refused unless --allow-replay" {
	h_pair --mem 4M
	sim_run c pb --incoming --mem 4M
	save_digest
	save_archive
	run -0 sevmig-import -q -i "$T/guest.sevmig" "$T/b.sock"
	run -3 --separate-stderr sevmig-import -q -i "$T/guest.sevmig" "$T/c.sock"
	[[ "$stderr" =~ ^"sevmig-import: this archive was imported on this host before ("[0-9TZ:-]+" into VM '$T/b.sock'): importing it again would run the guest a second time; --allow-replay only if that copy is gone for good"$ ]] || { echo "$stderr"; false; }
	assert_target_waiting c
	run -0 sevmig-import -q --allow-replay -i "$T/guest.sevmig" "$T/c.sock"
	run -0 sevmig-sim ctl "$T/c.sock" check
}

@test "replay: a second import of the same archive while the first runs is refused" {
	h_pair --mem 4M
	sim_run c pb --incoming --mem 4M
	save_digest
	save_archive
	feed_start
	h_bg imp1 sevmig-import -q "$T/b.sock" <"$T/feed.fifo"
	feed "$T/guest.sevmig" 0 65536
	h_until 10 compgen -G "$SEVMIG_STATE_DIR/imported/*"
	run -3 --separate-stderr sevmig-import -q -i "$T/guest.sevmig" "$T/c.sock"
	[[ "$stderr" =~ ^"sevmig-import: this archive is being imported right now by another process (journal '$SEVMIG_STATE_DIR/imported': receiving pid "[0-9]+" into VM '$T/b.sock')"$ ]] || { echo "$stderr"; false; }
	assert_target_waiting c
	feed "$T/guest.sevmig" 65536
	feed_end
	h_wait "$imp1_PID" 30
	assert_equal "$H_RC" 0
	run -0 sevmig-sim ctl "$T/b.sock" check
}

@test "replay: an import that failed does not count" {
	h_pair --mem 4M
	sim_run c pb --incoming --mem 8M
	save_digest
	save_archive
	run -5 sevmig-import -q -i "$T/guest.sevmig" "$T/c.sock"
	run -0 sevmig-import -q -i "$T/guest.sevmig" "$T/b.sock"
	run -0 sevmig-sim ctl "$T/b.sock" check
}
