#!/usr/bin/env bats
# Transports: the two-way --exec commit (the importer answers "ready",
# the exporter commits, only then the target resumes), importers that die
# before or after "ready", an importer killed mid-stream, and a real ssh
# server on 127.0.0.1 in the pipeline.

load helpers
load archive
bats_require_minimum_version 1.8.0

# The exporter's warning for a policy without DOMAIN or SEV.
no_check_warning() {
	echo "sevmig-export: warning: guest policy $1 has neither DOMAIN nor SEV: the firmware does not check the target, only sevmig verified its chain"
}

teardown() {
	sim_stop_all
	if declare -F sshd_stop >/dev/null; then
		sshd_stop
	fi
}

@test "--exec commits only after the importer answered ready" {
	pair --mem 16M --vcpus 2
	save_digest
	run -0 --separate-stderr sevmig-export -q $(certs_b) --exec "sevmig-import --ack '$T/b.sock'" "$T/a.sock"
	assert_output ""
	# -q silences the exporter, and two-way the importer closes only when asked
	assert_equal "$(closing_lines 0 0)" ""
	assert_migrated
}

@test "two-way, one closing line on the terminal: the exporter's, saying the target runs; the importer's only with -v (issue 18)" {
	pair --mem 4M
	save_digest
	run -0 --separate-stderr sevmig-export --no-progress $(certs_b) --exec "sevmig-import --ack '$T/b.sock'" "$T/a.sock"
	assert_equal "$(closing_lines 1 0)" "$(no_check_warning 0x1)"
	[[ "$stderr" == *"; source released, target running" ]]
	assert_migrated
	# asked for with -v, the importer's line comes too
	sim_run c pa --mem 4M
	sim_run d pb --incoming --mem 4M
	run -0 --separate-stderr sevmig-export --no-progress $(certs_b) --exec "sevmig-import -v --ack '$T/d.sock'" "$T/c.sock"
	closing_lines 1 1 >/dev/null
	[[ "$stderr" == *"; target running, committed by the exporter"* ]]
	# --no-resume on the importer: the exporter says the target is paused
	sim_run e pa --mem 4M
	sim_run f pb --incoming --mem 4M
	run -0 --separate-stderr sevmig-export --no-progress $(certs_b) --exec "sevmig-import --no-resume --ack '$T/f.sock'" "$T/e.sock"
	assert_equal "$(closing_lines 1 0)" "$(no_check_warning 0x1)"
	[[ "$stderr" == *"; source released, target paused (the importer's --no-resume)" ]]
}

@test "--exec with an importer whose standard input and output are non-blocking" {
	pair --mem 16M
	save_digest
	cat >"$T/nonblock.py" <<'EOF'
import fcntl, os, sys
for fd in (0, 1):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
os.execvp(sys.argv[1], sys.argv[1:])
EOF
	run -0 --separate-stderr sevmig-export -q $(certs_b) --exec "python3 $T/nonblock.py sevmig-import --ack $T/b.sock" "$T/a.sock"
	assert_equal "$(closing_lines 0 0)" ""
	assert_migrated
}

@test "--exec: the wait for ready is io_wait in the export report, not taken from archive" {
	pair --mem 16M
	save_digest
	# the importer's "ready" reaches the exporter 2 s late
	cat >"$T/late.sh" <<'EOF'
sevmig-import --ack "$1" | { IFS= read -r l; sleep 2; printf '%s\n' "$l"; cat; }
EOF
	run -0 sevmig-export -q $(certs_b) --report "$T/r.json" --exec "bash $T/late.sh $T/b.sock" "$T/a.sock"
	assert_migrated
	run -0 python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["stages"]; print(s["io_wait"] >= 1.5, s["archive"] > 0)' "$T/r.json"
	assert_output "True True"
}

@test "--exec moves an SEV-ES guest" {
	pair --mem 8M --vcpus 2 --es
	save_digest
	run -0 sevmig-export -q $(certs_b) --exec "sevmig-import --ack $T/b.sock" "$T/a.sock"
	assert_migrated
}

@test "an importer that dies before ready leaves the source running" {
	pair --mem 16M
	save_digest
	run -4 --separate-stderr sevmig-export -q $(certs_b) --exec "bash -c 'head -c 50000 >/dev/null; exit 3'" "$T/a.sock"
	[[ "$stderr" == *"output closed early"* || "$stderr" == *"before answering \"ready\""* ]]
	assert_source_intact running
	assert_target_untouched
}

@test "an importer that fails verification leaves the source running" {
	pair --mem 4M
	save_digest
	run -4 --separate-stderr sevmig-export -q $(certs_b) --exec "bash -c 'archive-mangle dup 3 | sevmig-import --ack $T/b.sock'" "$T/a.sock"
	[[ "$stderr" == *"sevmig-import: entry 'sevmig/pages/00000000': record 3 ("*"): out of sequence, expected record 4"* ]]
	assert_source_intact running
	assert_target_untouched
}

@test "an importer for the wrong host exits before ready and the source runs on" {
	pair --mem 4M
	sim_platform pc
	sim_run c pc --incoming --mem 4M
	save_digest
	run -4 --separate-stderr sevmig-export -q $(certs_b) --exec "sevmig-import --ack $T/c.sock" "$T/a.sock"
	[[ "$stderr" == *"sevmig-import: the archive was made for PDH "* ]]
	[[ "$stderr" == *"sevmig-export: "* ]]
	assert_source_intact running
	assert_equal "$(sim_status c 'vmm state')" incoming
}

@test "an importer that does not answer ready is refused" {
	pair --mem 1M
	save_digest
	cat >"$T/liar.sh" <<-'EOS'
		#!/bin/bash
		# read the archive up to its end, then say something else
		head -c "$1" >/dev/null
		echo "steady"
		cat >/dev/null
	EOS
	# size of the stream this guest gives, from a dry copy
	sevmig-export -q $(certs_b) --keep-source -o "$T/g.sevmig" "$T/a.sock"
	local size
	size=$(stat -c %s "$T/g.sevmig")
	run -4 --separate-stderr sevmig-export -q $(certs_b) --exec "bash $T/liar.sh $size" "$T/a.sock"
	assert_equal "$stderr" "sevmig-export: the importer answered 'steady' instead of \"ready\""
	assert_source_intact running
}

@test "an importer that dies after ready leaves the target holding the guest paused" {
	pair --mem 8M
	save_digest
	cat >"$T/die-after-ready.sh" <<-EOS
		#!/bin/bash
		# the real importer, killed right after it answered "ready"
		mkfifo "$T/ack"
		# (an explicit stdin: a background job would get /dev/null)
		exec 4<&0
		sevmig-import --ack "$T/b.sock" <&4 >"$T/ack" 4<&- &
		pid=\$!
		read -r line <"$T/ack"
		# dead before the exporter can commit, then pass "ready" on
		kill -9 \$pid
		wait \$pid
		rc=\$?
		echo "\$line"
		exit \$rc
	EOS
	run -4 --separate-stderr sevmig-export -q $(certs_b) --exec "bash $T/die-after-ready.sh" "$T/a.sock"
	# the commit either cannot be written or is written to a dead importer
	[[ "$stderr" == *"sevmig-export: the source was released but \"commit\" could not be sent to the importer; the target holds the guest paused, resume it there"* ||
		"$stderr" == *"sevmig-export: the source was released and \"commit\" sent, but the importer exited with status 137; check the target" ]]
	# the guest is whole on the target, which did not resume on its own
	assert_equal "$(sim_status a 'vmm state')" released
	assert_equal "$(sim_status b 'guest state')" RUNNING
	[ "$(sim_status b 'vmm state')" != running ]
	run -0 sevmig-sim ctl "$T/b.sock" check
	# uncommitted: it resumes only when the operator says so
	run -5 sevmig-sim ctl "$T/b.sock" resume
	assert_output --partial "the guest is on hold (uncommitted)"
	run -0 sevmig-sim ctl --force "$T/b.sock" resume
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
}

@test "an --ack import without commit never resumes the target" {
	pair --mem 4M
	save_digest
	save_archive
	run -4 --separate-stderr sevmig-import --ack -i "$T/guest.sevmig" "$T/b.sock"
	assert_output "ready"
	assert_equal "$stderr" "sevmig-import: warning: this archive is a snapshot (sevmig-export --keep-source): its source may still be running the guest, and resuming it here makes a second running copy
sevmig-import: no \"commit\" from the exporter (a one-way stream: no exporter waited for \"ready\"): VM '$T/b.sock' holds the guest paused, uncommitted, and will not resume on its own. Either the export finished (the source VM's status says released: resume here with sevmig-sim ctl '$T/b.sock' resume --force) or it did not (the source still holds the guest: resume it there and discard this copy with sevmig-sim ctl '$T/b.sock' discard); sevmig-sim ctl SOURCE-SOCKET status tells which"
	[ "$(sim_status b 'vmm state')" != running ]
	run -0 sevmig-sim ctl "$T/b.sock" check
}

@test "an --ack import resumes on commit after the archive" {
	pair --mem 4M
	save_digest
	save_archive
	run -0 --separate-stderr bash -c "{ cat '$T/guest.sevmig'; echo commit; } | sevmig-import --ack '$T/b.sock'"
	# "ready", and after the commit where the guest is now
	assert_output "ready
running"
	assert_equal "$(sim_status b 'vmm state')" running
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
}

@test "an importer killed mid-stream leaves the source running and checking" {
	pair --mem 16M
	save_digest
	run bash -c "sevmig-export -q $(certs_b) '$T/a.sock' 2>/dev/null | bash -c 'head -c 300000 | sevmig-import -q $T/b.sock 2>/dev/null; exit \${PIPESTATUS[1]}'; echo \"\${PIPESTATUS[*]}\""
	assert_output "4 4"
	assert_source_intact running
	assert_target_untouched
}

@test "a round trip through a real ssh server on 127.0.0.1" {
	load sshd
	sshd_start
	pair --mem 8M
	save_digest
	run -0 --separate-stderr bash -c "sevmig-export -q $(certs_b) '$T/a.sock' | ssh -F '$SSH_CONFIG' 127.0.0.1 '$SEVMIG_BUILD/bin/sevmig-import' '$T/b.sock'"
	assert_equal "$(closing_lines 0 1)" ""
	assert_migrated
}

@test "a two-way migration through a real ssh server on 127.0.0.1" {
	load sshd
	sshd_start
	pair --mem 8M --es --vcpus 2
	save_digest
	run -0 --separate-stderr sevmig-export --no-progress $(certs_b) --exec "ssh -F $SSH_CONFIG 127.0.0.1 $SEVMIG_BUILD/bin/sevmig-import --ack $T/b.sock" "$T/a.sock"
	assert_equal "$(closing_lines 1 0)" "$(no_check_warning 0x5)"
	[[ "$stderr" == *"; source released, target running" ]]
	assert_migrated
}

@test "ssh failing to connect leaves the source running" {
	load sshd
	sshd_start
	pair --mem 4M
	save_digest
	run -4 --separate-stderr sevmig-export -q $(certs_b) --exec "ssh -F $SSH_CONFIG -p 9 127.0.0.1 sevmig-import --ack $T/b.sock" "$T/a.sock"
	assert_source_intact running
}

@test "a two-way export's closing line matches its report and says where the guest is" {
	pair --mem 8M
	save_digest
	run -0 --separate-stderr sevmig-export $(certs_b) --no-progress --report "$T/exp.json" --exec "sevmig-import -q --ack '$T/b.sock'" "$T/a.sock"
	assert_output ""
	assert_closing_line "$(tail -n 1 <<<"$stderr")" "$T/exp.json" sevmig-export "source released, target running"
	assert_migrated
}
