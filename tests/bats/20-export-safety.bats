#!/usr/bin/env bats
# sevmig-export refuses what it must refuse before taking anything, and
# gives the guest back after any failure: the source stays runnable.

load helpers
load archive
bats_require_minimum_version 1.8.0

teardown() {
	sim_stop_all
}

@test "a NOSEND guest is refused before anything is taken" {
	pair --mem 4M --policy 0x9
	run -5 --separate-stderr bash -c "sevmig-export $(certs_b) '$T/a.sock' >'$T/out'"
	assert_equal "$stderr" "sevmig-export: refusing to export VM '$T/a.sock': its policy 0x9 forbids sending (NOSEND)"
	[ ! -s "$T/out" ]
	# not even paused
	assert_source_intact running
}

@test "a guest that is not migration-ready is refused without --assume-all-private" {
	pair --mem 4M --no-migration-ready --shared 0
	run -5 --separate-stderr bash -c "sevmig-export $(certs_b) '$T/a.sock' >/dev/null"
	assert_output ""
	[[ "$stderr" == *"the guest is not migration-ready, its shared-page list cannot be trusted"* ]]
	assert_source_intact running
}

@test "--assume-all-private exports an unready guest with every page private" {
	pair --mem 4M --no-migration-ready --shared 0
	save_digest
	run -0 bash -c "sevmig-export $(certs_b) --assume-all-private --report '$T/r.json' '$T/a.sock' 2>/dev/null | sevmig-import '$T/b.sock'"
	assert_migrated
	run -0 python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counts"]; print(c["private"], c["shared"], c["zero"])' "$T/r.json"
	assert_output "1024 0 0"
}

@test "a chain that does not verify is refused with exit 3, source untouched" {
	pair --mem 4M
	mkdir "$T/bad"
	cp "$T"/pb/*.cert "$T/bad/"
	# flip one byte of the PEK's first signature (r, inside its 48 bytes)
	flip_byte "$T/bad/pek.cert" 1062
	run -3 --separate-stderr bash -c "sevmig-export -c '$T/bad' --ark '$T/pb/ark.cert' '$T/a.sock' >/dev/null"
	[[ "$stderr" == "sevmig-export: target certificate chain '$T/bad' does not verify: "* ]]
	assert_source_intact running
}

@test "a simulated chain does not verify against AMD's roots" {
	pair --mem 4M
	run -3 --separate-stderr bash -c "sevmig-export -c '$T/pb' '$T/a.sock' >/dev/null"
	[[ "$stderr" == *"does not verify"* ]]
	assert_source_intact running
}

@test "another host's ARK is not trusted" {
	pair --mem 4M
	run -3 --separate-stderr bash -c "sevmig-export -c '$T/pb' --ark '$T/pa/ark.cert' '$T/a.sock' >/dev/null"
	assert_source_intact running
}

@test "a bundle that is not a bundle is refused" {
	pair --mem 4M
	echo '{"schema": "nonsense"}' >"$T/junk.json"
	run --separate-stderr bash -c "sevmig-export -c '$T/junk.json' --ark '$T/pb/ark.cert' '$T/a.sock' >/dev/null"
	[ "$status" -ne 0 ]
	[[ "$stderr" == "sevmig-export: cannot load the target's certificates: "* ]]
	assert_source_intact running
}

@test "DOMAIN without a shared OCA fails at SEND_START and the guest goes back" {
	pair --mem 4M --policy 0x11
	save_digest
	run -5 --separate-stderr bash -c "sevmig-export $(certs_b) '$T/a.sock' >'$T/out'"
	[[ "$stderr" == *"SEND_START failed"* ]]
	assert_source_intact running
}

@test "--dry-run verifies and plans without pausing the guest" {
	pair --mem 4M --vcpus 2
	run -0 --separate-stderr sevmig-export $(certs_b) --dry-run "$T/a.sock"
	assert_line -n 0 --regexp '^target PDH [0-9a-f]{64}: chain verified$'
	assert_line -n 1 --regexp '^guest policy 0x1, 2 vCPUs, 4 MiB in 1 range, [0-9]+ shared regions?$'
	assert_line -n 2 --regexp '^would pause it, take its context, SEND_START and send 1024 pages \(([0-9]+) private, ([0-9]+) shared, zero or not\)$'
	assert_source_intact running
	run -0 --separate-stderr sevmig-export $(certs_b) --dry-run -J "$T/a.sock"
	run -0 python3 -c 'import json,sys; r=json.loads(sys.argv[1]); c=r["counts"]; print(r["schema"], r["result"], r["policy"], r["vcpus"], r["memory"][0]["gpa"], r["method"], c["private"] + c["shared"], c["records"], c["private"] > 0, c["shared"] > 0)' "$output"
	assert_output "sevmig-export-report/1 dry-run 0x1 2 0x0 psp 1024 1024 True True"
}

@test "the output closing early is exit 4 and the guest goes back running" {
	pair --mem 16M
	save_digest
	run --separate-stderr bash -c "sevmig-export $(certs_b) '$T/a.sock' | head -c 100000 >/dev/null; exit \${PIPESTATUS[0]}"
	assert_equal "$status" 4
	[[ "$stderr" == *"output closed early"* ]]
	assert_source_intact running
}

@test "a full disk is exit 4 and the guest goes back running" {
	pair --mem 4M
	save_digest
	run -4 --separate-stderr bash -c "sevmig-export $(certs_b) '$T/a.sock' >/dev/full"
	[[ "$stderr" == *"No space left on device"* ]]
	assert_source_intact running
}

@test "a paused guest is given back paused" {
	pair --mem 4M
	sevmig-sim ctl "$T/a.sock" pause
	run -4 --separate-stderr bash -c "sevmig-export $(certs_b) '$T/a.sock' >/dev/full"
	assert_source_intact paused
}

@test "an output that is a directory is refused and nothing is left" {
	pair --mem 4M
	mkdir "$T/out.sevmig"
	run -4 --separate-stderr sevmig-export $(certs_b) -o "$T/out.sevmig" "$T/a.sock"
	[[ "$stderr" == *"sevmig-export: cannot write '$T/out.sevmig': Is a directory" ]]
	run -0 find "$T" -maxdepth 1 -name '.out.sevmig.*'
	assert_output ""
	assert_source_intact running
}

@test "the report of a failed export says what failed and where the guest is" {
	pair --mem 4M
	run -4 bash -c "sevmig-export $(certs_b) --report '$T/r.json' '$T/a.sock' 2>/dev/null >/dev/full"
	run -0 python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["result"], r["source"]); print(r["error"])' "$T/r.json"
	assert_line -n 0 "failed running"
	assert_line -n 1 --partial "No space left on device"
}

# Wait up to $2 seconds for pid $1 (our child) to exit; its status in RC.
wait_exit() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1"
		RC=timeout
	else
		RC=0
	fi
	wait "$1" || RC=$?
}

# stalled_reader CMD: a reader of $T/fifo running the bash command CMD
# (its pid in READER).
stalled_reader() {
	mkfifo "$T/fifo"
	bash -c "$1" <"$T/fifo" 3>&- &
	READER=$!
}

# signal_stalled_export SIG CMD: export into a reader running CMD, send
# SIG once the guest is being sent, and expect exit 1 within 5 s with
# the guest back and running.
signal_stalled_export() {
	local pid i
	stalled_reader "$2"
	sevmig-export -q $(certs_b) "$T/a.sock" >"$T/fifo" 2>"$T/err" 3>&- &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		[ "$(sim_status a 'guest state')" = SUPDATE ] && break
		sleep 0.1
	done
	sleep 0.5
	kill "-$1" "$pid"
	wait_exit "$pid" 5
	kill "$READER"
	assert_equal "$RC" 1
	assert_equal "$(cat "$T/err")" "sevmig-export: interrupted by SIG$1"
	assert_source_intact running
}

@test "SIGINT while blocked on the output gives the guest back" {
	pair --mem 16M
	save_digest
	# a reader that opens the pipe and never reads
	signal_stalled_export INT 'exec sleep 60'
}

@test "SIGTERM while blocked on the output gives the guest back" {
	pair --mem 16M
	save_digest
	signal_stalled_export TERM 'exec sleep 60'
}

@test "SIGINT while a write to a stalled reader is half done gives the guest back at once" {
	pair --mem 16M
	save_digest
	# A reader that takes a little, then nothing: the next write finds
	# room for part of a block only (where a blocking write(2) used to
	# hang with SIGINT held back on the signalfd).
	signal_stalled_export INT 'head -c 70000 >/dev/null; exec sleep 60'
}

@test "--stall-timeout gives the guest back when the output takes nothing" {
	pair --mem 16M
	save_digest
	stalled_reader 'head -c 70000 >/dev/null; exec sleep 60'
	sevmig-export -q $(certs_b) --stall-timeout 1 "$T/a.sock" >"$T/fifo" 2>"$T/err" 3>&- &
	local pid=$!
	wait_exit "$pid" 20
	kill "$READER"
	assert_equal "$RC" 4
	assert_equal "$(cat "$T/err")" "sevmig-export: the output took nothing for 1 s (--stall-timeout): the reader, pipe or network is stuck"
	assert_source_intact running
}

@test "--stall-timeout gives the guest back when the --exec importer never answers ready" {
	pair --mem 4M
	save_digest
	run -4 --separate-stderr sevmig-export -q $(certs_b) --stall-timeout 1 --exec "bash -c 'cat >/dev/null; exit 0'" "$T/a.sock"
	assert_equal "$stderr" "sevmig-export: the importer did not answer \"ready\" within 1 s (--stall-timeout)"
	assert_source_intact running
	assert_target_untouched
}

@test "an exporter killed outright leaves the VMM to cancel the send" {
	pair --mem 16M
	save_digest
	mkfifo "$T/fifo"
	sleep 30 <"$T/fifo" 3>&- &
	local reader=$!
	sevmig-export -q $(certs_b) "$T/a.sock" >"$T/fifo" 2>/dev/null 3>&- &
	local pid=$!
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(sim_status a 'guest state')" = SUPDATE ] && break
		sleep 0.1
	done
	assert_equal "$(sim_status a 'guest state')" SUPDATE
	kill -KILL "$pid"
	wait "$pid" || true
	kill "$reader"
	for ((i = 0; i < 50; i++)); do
		[ "$(sim_status a 'context held')" = no ] && break
		sleep 0.1
	done
	# the VMM ran SEND_CANCEL itself; the guest was left paused by us
	assert_source_intact paused
	run -0 sevmig-sim ctl "$T/a.sock" resume
	assert_source_intact running
}

@test "refuses to write the archive to a terminal" {
	command -v script >/dev/null || skip "script(1) is not installed"
	pair --mem 1M
	run script -qec "sevmig-export $(certs_b) '$T/a.sock'" /dev/null
	assert_equal "$status" 2
	assert_output --partial "refusing to write the archive to a terminal (use -o FILE or --force)"
	assert_source_intact running
}

@test "bad invocations exit 2 with the try-help line" {
	run -2 --separate-stderr sevmig-export
	assert_equal "$stderr" "sevmig-export: no VM given
Try 'sevmig-export --help' for more information."
	run -2 --separate-stderr sevmig-export --exec 'x' -o f vm
	run -2 --separate-stderr sevmig-export --exec 'x' --keep-source vm
	run -2 --separate-stderr sevmig-export -J vm
	run -2 --separate-stderr sevmig-export --records-per-chunk 0 vm
	run -2 --separate-stderr sevmig-export --records-per-chunk 4097 vm
	run -2 --separate-stderr sevmig-export --stall-timeout x vm
	[[ "$stderr" == "sevmig-export: invalid stall timeout 'x': 0 to 86400 seconds"* ]]
	run -2 --separate-stderr sevmig-export --stall-timeout 86401 vm
	run -2 --separate-stderr sevmig-export a b
}

@test "a VM socket that does not exist is exit 4 or 5 naming it" {
	pair --mem 1M
	run --separate-stderr sevmig-export $(certs_b) "$T/nope.sock"
	[ "$status" -eq 4 ] || [ "$status" -eq 5 ]
	[[ "$stderr" == *"$T/nope.sock"* ]]
}
