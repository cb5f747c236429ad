#!/usr/bin/env bats
# Secrets: no key, session blob, TEK, TIK or VEK in any log at any
# verbosity, in a report or in the archive (beyond the wrapped session
# blob the format carries), and none left in the memory of a VMM once a
# migration step is over.  The keys are learned and proved first by
# tests/helpers/secret-keys; tests/helpers/secret-scan.py looks for them
# raw, in hex and in base64.  Every search has a positive control: the
# same search finding a key where it must be, so that a scan that cannot
# see anything cannot pass.

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
}

# scan_none FILE... -- NAME=HEX...: none of the secrets is in the files.
scan_none() {
	run python3 "$SEVMIG_ROOT/tests/helpers/secret-scan.py" "$@"
	[ "$status" -eq 0 ] || {
		echo "secrets found:"
		echo "$output"
		false
	}
}

# scan_found FILE -- NAME=HEX...: every secret is in the file (a control).
scan_found() {
	local s f=$1
	shift 2
	for s in "$@"; do
		run -1 python3 "$SEVMIG_ROOT/tests/helpers/secret-scan.py" "$f" -- "$s"
	done
}

# keys_of ARCHIVE: TEK, TIK and the session blob as NAME=HEX words (the
# archive was made for host pb).
keys_of() {
	secret-keys session "$T/pb/pdh.key" "$1" | sed 's/ /=/'
}

# vek_of NAME: the VEK of VMM NAME's guest, as vek_NAME=HEX.
vek_of() {
	secret-keys vek "$T/$1.sock" | sed "s/^vek /vek_$1=/"
}

# core PID NAME: a core dump of a running process, $T/NAME.core.
core() {
	command -v gcore >/dev/null || skip "no gcore (gdb)"
	# An ASan process maps terabytes of shadow memory: its core is tens
	# of GB (23 GB for one VMM here), enough to fill the disk.
	if grep -q __asan_init "$(command -v sevmig-sim)"; then
		skip "core dumps of AddressSanitizer builds are tens of GB"
	fi
	gcore -o "$T/$2.core" "$1" >"$T/gcore.log" 2>&1 ||
		skip "gcore cannot dump a process here: $(tail -1 "$T/gcore.log")"
	mv "$T/$2.core.$1" "$T/$2.core"
}

@test "export and import at -vvvv, and the VMMs, log no key, session blob, TEK, TIK or VEK" {
	h_pair --mem 4M -vvvv
	local vek_a vek_b keys
	vek_a=$(vek_of a)
	run -0 --separate-stderr sevmig-export -vvvv $(certs_b) --keep-source \
		--report "$T/export.json" -o "$T/guest.sevmig" "$T/a.sock"
	echo "$stderr" >"$T/export.log"
	run -0 --separate-stderr sevmig-import -vvvv --report "$T/import.json" \
		-i "$T/guest.sevmig" "$T/b.sock"
	echo "$stderr" >"$T/import.log"
	run -0 sevmig-sim ctl "$T/b.sock" check
	keys=$(keys_of "$T/guest.sevmig")
	vek_b=$(vek_of b)
	# the logs are the debug ones (endpoint traffic, firmware calls)
	grep -q "call: -> .*take-context" "$T/export.log"
	grep -q "call: -> .*adopt-context" "$T/import.log"
	scan_none "$T/export.log" "$T/import.log" "$T/a.log" "$T/b.log" \
		"$T/export.json" "$T/import.json" -- $keys "$vek_a" "$vek_b"
	# control: the scan finds the session blob where it belongs
	scan_found "$T/guest.sevmig" -- "$(grep '^session=' <<<"$keys")"
}

@test "a failing import at -vvvv logs no key either" {
	h_pair --mem 4M -vvvv
	sevmig-export -q $(certs_b) --keep-source -o "$T/guest.sevmig" "$T/a.sock"
	local keys n off
	keys=$(keys_of "$T/guest.sevmig")
	# a packet whose MAC fails, and a policy the session does not cover:
	# the firmware's debug paths that say why
	n=$(archive-mangle list <"$T/guest.sevmig" | awk '$1 == "record" && $4 == "private" {print $5; exit}')
	cp "$T/guest.sevmig" "$T/bad1.sevmig"
	# (xor, so the byte surely changes)
	local b
	b=$(od -An -tu1 -j $((n + 7)) -N1 "$T/bad1.sevmig" | tr -d ' ')
	printf "\\x$(printf %02x $((b ^ 0x5a)))" | dd of="$T/bad1.sevmig" bs=1 seek=$((n + 7)) conv=notrunc status=none
	run -3 --separate-stderr sevmig-import -vvvv -i "$T/bad1.sevmig" "$T/b.sock"
	echo "$stderr" >"$T/import1.log"
	archive-mangle edit sevmig/manifest.json '"policy": 1' '"policy": 3' <"$T/guest.sevmig" >"$T/bad2.sevmig"
	run -3 --separate-stderr sevmig-import -vvvv -i "$T/bad2.sevmig" "$T/b.sock"
	echo "$stderr" >"$T/import2.log"
	grep -q BAD_MEASUREMENT "$T/import1.log"
	grep -q BAD_MEASUREMENT "$T/import2.log"
	scan_none "$T/import1.log" "$T/import2.log" "$T/b.log" -- $keys
}

@test "a two-way export at -vvvv logs no key" {
	h_pair --mem 4M -vvvv
	local vek_a vek_b keys
	vek_a=$(vek_of a)
	# tee keeps a copy of the stream to learn this export's keys
	run -0 --separate-stderr sevmig-export -vvvv $(certs_b) \
		--exec "bash -c \"tee '$T/stream.sevmig' | sevmig-import -vvvv --ack '$T/b.sock'\"" \
		"$T/a.sock"
	echo "$stderr" >"$T/both.log"
	grep -q "sevmig-export: call: -> .*take-context" "$T/both.log"
	grep -q "sevmig-import: call: -> .*adopt-context" "$T/both.log"
	keys=$(keys_of "$T/stream.sevmig")
	vek_b=$(vek_of b)
	scan_none "$T/both.log" "$T/a.log" "$T/b.log" -- $keys "$vek_a" "$vek_b"
}

@test "the archive carries no TEK, TIK or VEK, only the wrapped session" {
	h_pair --mem 4M
	local vek_a keys
	vek_a=$(vek_of a)
	sevmig-export -q $(certs_b) --keep-source -o "$T/guest.sevmig" "$T/a.sock"
	keys=$(keys_of "$T/guest.sevmig")
	scan_none "$T/guest.sevmig" -- $(grep -v '^session=' <<<"$keys") "$vek_a"
}

@test "a source VMM holds the TEK and TIK only while it sends: SEND_CANCEL wipes them" {
	h_pair --mem 16M
	local vmm=${SIM_PIDS[0]} keys
	mkfifo "$T/fifo"
	# a reader that takes the archive's head, then stops reading
	h_bg reader bash -c "exec 3<'$T/fifo'; head -c 200000 <&3 >'$T/head.sevmig'; exec sleep 60 <&3"
	h_bg exp bash -c "exec sevmig-export -q $(certs_b) '$T/a.sock' >'$T/fifo'"
	h_until 20 status_is a 'guest state' SUPDATE
	h_until 20 test "$(stat -c %s "$T/head.sevmig" 2>/dev/null)" = 200000
	keys=$(keys_of "$T/head.sevmig")
	# while it sends: in the VMM's mapping of the context and in the
	# exporter (the controls)
	core "$vmm" vmm-sending
	core "$exp_PID" exporter
	scan_found "$T/vmm-sending.core" -- $(grep -v '^session=' <<<"$keys")
	scan_found "$T/exporter.core" -- $(grep -v '^session=' <<<"$keys")
	# the reader goes: the export fails, SEND_CANCEL, the guest goes back
	kill "$reader_PID"
	h_wait "$exp_PID" 20
	assert_equal "$H_RC" 4
	assert_equal "$(sim_status a 'guest state')" RUNNING
	core "$vmm" vmm-after
	scan_none "$T/vmm-after.core" -- $(grep -v '^session=' <<<"$keys")
}

@test "a VMM taking the context back from a killed exporter wipes the TEK and TIK" {
	h_pair --mem 16M
	local vmm=${SIM_PIDS[0]} keys
	mkfifo "$T/fifo"
	h_bg reader bash -c "exec 3<'$T/fifo'; head -c 200000 <&3 >'$T/head.sevmig'; exec sleep 60 <&3"
	h_bg exp bash -c "exec sevmig-export -q $(certs_b) '$T/a.sock' >'$T/fifo'"
	h_until 20 status_is a 'guest state' SUPDATE
	h_until 20 test "$(stat -c %s "$T/head.sevmig" 2>/dev/null)" = 200000
	keys=$(keys_of "$T/head.sevmig")
	core "$vmm" vmm-sending
	scan_found "$T/vmm-sending.core" -- $(grep -v '^session=' <<<"$keys")
	kill -9 "$exp_PID"
	h_wait "$exp_PID" 10
	h_until 10 status_is a 'context held' no
	assert_equal "$(sim_status a 'guest state')" RUNNING
	core "$vmm" vmm-after
	scan_none "$T/vmm-after.core" -- $(grep -v '^session=' <<<"$keys")
}

@test "a released source VMM keeps no key of the guest it sent" {
	h_pair --mem 4M
	local vmm=${SIM_PIDS[0]} vek_a
	vek_a=$(vek_of a)
	core "$vmm" vmm-before
	scan_found "$T/vmm-before.core" -- "$vek_a"
	run -0 bash -c "sevmig-export -q $(certs_b) -o '$T/guest.sevmig' '$T/a.sock'"
	assert_equal "$(sim_status a 'vmm state')" released
	local keys
	keys=$(keys_of "$T/guest.sevmig")
	core "$vmm" vmm-released
	scan_none "$T/vmm-released.core" -- "$vek_a" $(grep -v '^session=' <<<"$keys")
}

@test "the target VMM holds its guest's VEK but no TEK or TIK after RECEIVE_FINISH" {
	h_pair --mem 4M
	local vmm=${SIM_PIDS[1]} keys vek_b
	sevmig-export -q $(certs_b) --keep-source -o "$T/guest.sevmig" "$T/a.sock"
	keys=$(keys_of "$T/guest.sevmig")
	run -0 sevmig-import -q -i "$T/guest.sevmig" "$T/b.sock"
	vek_b=$(vek_of b)
	core "$vmm" target
	scan_found "$T/target.core" -- "$vek_b"
	scan_none "$T/target.core" -- $(grep -v '^session=' <<<"$keys")
}
