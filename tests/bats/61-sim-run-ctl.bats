#!/usr/bin/env bats
# sevmig-sim ctl (status, digest, check, pause, resume, discard, quit) and the
# usage errors of run and ctl.

load helpers
load sim-run
bats_require_minimum_version 1.8.0

setup_file() {
	sim_platform_init
}

setup() {
	T=$BATS_TEST_TMPDIR
	SRC=$T/src.sock
}

teardown() {
	stop_vmms
}

@test "ctl status reports the VMM and firmware state" {
	start_vmm src --mem 8M --vcpus 2 --policy 0x21
	run -0 --separate-stderr sevmig-sim ctl "$SRC" status
	# The handle is the firmware's choice.
	assert_line --index 4 --regexp '^handle: +[0-9]+$'
	output=$(sed 5d <<<"$output")
	assert_output "vmm state:        running
role:             source
guest state:      RUNNING
policy:           0x00000021
memory:           8388608 bytes
vcpus:            2
es:               no
migration ready:  yes
context held:     no
claimed:          no
hold:             none"
	[ -z "$stderr" ]
}

@test "ctl status -J prints one JSON document" {
	start_vmm src --mem 8M --es --no-migration-ready
	run -0 --separate-stderr sevmig-sim ctl "$SRC" status -J
	assert_output --regexp '^\{"schema":"sevmig-sim-status/1","vmm_state":"running","role":"source","guest_state":"RUNNING","policy":5,"handle":[0-9]+,"mem_size":8388608,"vcpus":1,"es":true,"migration_ready":false,"context_held":false,"claimed":false,"hold":null,"hold_reason":null\}$'
	run -0 python3 -c 'import json,sys; json.loads(sys.argv[1])' "$output"
}

@test "ctl pause and resume change the VMM state" {
	start_vmm src --mem 4M
	run -0 --separate-stderr sevmig-sim ctl "$SRC" pause
	assert_output ""
	[ -z "$stderr" ]
	run -0 sevmig-sim ctl --json "$SRC" status
	assert_output --partial '"vmm_state":"paused"'
	run -0 sevmig-sim ctl "$SRC" pause
	run -0 sevmig-sim ctl "$SRC" resume
	run -0 sevmig-sim ctl -J "$SRC" status
	assert_output --partial '"vmm_state":"running"'
}

@test "ctl digest depends on the seed and nothing else" {
	start_vmm a --mem 8M --seed 5 --shared 20
	start_vmm b --mem 8M --seed 5 --shared 20
	start_vmm c --mem 8M --seed 6 --shared 20
	run -0 --separate-stderr sevmig-sim ctl "$T/a.sock" digest
	assert_output --regexp '^[0-9a-f]{64}$'
	a=$output
	run -0 sevmig-sim ctl "$T/b.sock" digest
	assert_output "$a"
	run -0 sevmig-sim ctl "$T/c.sock" digest
	refute_output "$a"
	run -0 sevmig-sim ctl "$T/a.sock" digest -J
	assert_output "{\"schema\":\"sevmig-sim-digest/1\",\"sha256\":\"$a\",\"pages\":2048}"
}

@test "ctl digest covers the VMSAs of an ES guest" {
	start_vmm a --mem 4M --seed 5 --es --vcpus 1
	start_vmm b --mem 4M --seed 5 --es --vcpus 2
	run -0 sevmig-sim ctl "$T/a.sock" digest
	a=$output
	run -0 sevmig-sim ctl "$T/b.sock" digest
	refute_output "$a"
}

@test "ctl check passes on an intact guest, with -J too" {
	start_vmm src --mem 8M --es --vcpus 2 --shared 40
	run -0 --separate-stderr sevmig-sim ctl "$SRC" check
	assert_output "ok: 2048 pages, 2 VMSAs"
	[ -z "$stderr" ]
	run -0 sevmig-sim ctl -J "$SRC" check
	assert_output '{"schema":"sevmig-sim-check/1","ok":true,"pages":2048,"bad":0,"first_bad":[],"vmsas":2,"bad_vmsas":0}'
}

@test "ctl check finds corrupted private and shared pages and exits 3" {
	start_vmm src --mem 8M --shared 50
	run -0 ep-client "$SRC" hello shared-regions "$T/r"
	sgpa=$(head -1 "$T/r" | cut -d' ' -f1)
	# A private page: page 0 unless it is shared, else the one after the run.
	pgpa=0
	if [ "$((sgpa))" = 0 ]; then
		pgpa=$(head -1 "$T/r" | awk '{ print $2 }')
	fi
	run -0 ep-client "$SRC" hello poke $((pgpa + 100)) poke $((sgpa + 4000))
	run -3 --separate-stderr sevmig-sim ctl "$SRC" check
	assert_output ""
	lo=$((pgpa < sgpa ? pgpa : sgpa)) hi=$((pgpa < sgpa ? sgpa : pgpa))
	assert_equal "$stderr" "sevmig-sim: guest check failed: 2 of 2048 pages and 0 of 0 VMSAs hold wrong content; first bad pages: $(printf '0x%x 0x%x' $lo $hi)"
	run -3 --separate-stderr sevmig-sim ctl "$SRC" check -J
	assert_output "{\"schema\":\"sevmig-sim-check/1\",\"ok\":false,\"pages\":2048,\"bad\":2,\"first_bad\":[$(printf '"0x%x","0x%x"' $lo $hi)],\"vmsas\":0,\"bad_vmsas\":0}"
}

@test "ctl check notices a page moved to another address" {
	start_vmm src --mem 4M --shared 0
	run -0 ep-client "$SRC" hello dump "$T/ram"
	# Swap pages 1 and 2 in a copy and write it back.
	{ head -c 4096 "$T/ram"; dd if="$T/ram" bs=4096 skip=2 count=1 status=none
	  dd if="$T/ram" bs=4096 skip=1 count=1 status=none
	  tail -c +12289 "$T/ram"; } >"$T/swapped"
	run -0 ep-client "$SRC" hello fill "$T/swapped"
	run -3 sevmig-sim ctl "$SRC" check
	assert_output --partial "2 of 1024 pages"
	assert_output --partial "first bad pages: 0x1000 0x2000"
}

@test "ctl quit stops the VMM" {
	start_vmm src --mem 4M
	pid=$(cat "$T/src.pid")
	run -0 --separate-stderr sevmig-sim ctl "$SRC" quit
	[ -z "$stderr" ]
	wait_gone "$pid"
	[ ! -e "$SRC" ]
}

@test "ctl on a missing socket fails with exit 4" {
	run -4 --separate-stderr sevmig-sim ctl "$T/none.sock" status
	assert_equal "$stderr" "sevmig-sim: cannot connect to '$T/none.sock': No such file or directory"
}

@test "ctl gives up on a VMM that does not answer" {
	python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); c=s.accept(); time.sleep(30)' "$T/mute.sock" 3>&- &
	echo $! >>"$T/pids"
	wait_for_path "$T/mute.sock"
	SECONDS=0
	run -4 --separate-stderr sevmig-sim ctl --timeout 0.5 "$T/mute.sock" status
	assert_equal "$stderr" "sevmig-sim: 'status': timed out waiting for a reply"
	[ "$SECONDS" -lt 5 ]
}

@test "ctl usage errors exit 2" {
	run -2 --separate-stderr sevmig-sim ctl
	assert_equal "$stderr" "sevmig-sim: ctl needs a socket and one command
Try 'sevmig-sim ctl --help' for more information."
	run -2 --separate-stderr sevmig-sim ctl "$SRC"
	assert_equal "${stderr_lines[0]}" "sevmig-sim: ctl needs a socket and one command"
	run -2 --separate-stderr sevmig-sim ctl "$SRC" status extra
	assert_equal "${stderr_lines[0]}" "sevmig-sim: ctl needs a socket and one command"
	run -2 --separate-stderr sevmig-sim ctl "$SRC" reboot
	assert_equal "${stderr_lines[0]}" "sevmig-sim: unknown ctl command 'reboot' (status, digest, check, pause, resume, discard, quit, launch-measure, finish, inject-secret, secrets, report)"
	run -2 --separate-stderr sevmig-sim ctl --timeout x "$SRC" status
	assert_equal "${stderr_lines[0]}" "sevmig-sim: invalid --timeout value 'x'"
	run -2 --separate-stderr sevmig-sim ctl --bogus "$SRC" status
	assert_equal "${stderr_lines[1]}" "Try 'sevmig-sim ctl --help' for more information."
}

@test "ctl --help lists its options" {
	run -0 --separate-stderr sevmig-sim ctl --help
	assert_line --index 0 "Usage:"
	assert_line --index 1 " sevmig-sim ctl [options] SOCKET status|digest|check|pause|resume|discard|quit"
	assert_line --partial -- "--json"
	assert_line --partial -- "--timeout SEC"
	assert_line --partial -- "--force"
	[ -z "$stderr" ]
}

@test "run --help lists its options" {
	run -0 --separate-stderr sevmig-sim run --help
	assert_line --index 1 " sevmig-sim run [options] --platform DIR --socket PATH --mem SIZE"
	for o in platform socket mem mem-split vcpus policy es shared zero-shared seed no-migration-ready device-state-size incoming; do
		assert_line --partial -- "--$o"
	done
}

@test "run usage errors exit 2" {
	P=$BATS_FILE_TMPDIR/plat
	run -2 --separate-stderr sevmig-sim run --platform "$P" --socket "$SRC"
	assert_equal "$stderr" "sevmig-sim: run needs --platform, --socket and --mem
Try 'sevmig-sim run --help' for more information."
	run -2 --separate-stderr sevmig-sim run --platform "$P" --socket "$SRC" --mem 5000
	assert_equal "${stderr_lines[0]}" "sevmig-sim: invalid --mem value '5000': 5000 bytes is not a multiple of 4 KiB (4096 bytes); 4096 or 8192 is"
	run -2 --separate-stderr sevmig-sim run --platform "$P" --socket "$SRC" --mem 4M --shared 101
	assert_equal "${stderr_lines[0]}" "sevmig-sim: invalid --shared value '101'"
	run -2 --separate-stderr sevmig-sim run --platform "$P" --socket "$SRC" --mem 4M --vcpus 0
	assert_equal "${stderr_lines[0]}" "sevmig-sim: invalid --vcpus value '0'"
	run -2 --separate-stderr sevmig-sim run --platform "$P" --socket "$SRC" --mem 4M --vcpus 65
	assert_equal "${stderr_lines[0]}" "sevmig-sim: invalid --vcpus value '65'"
	run -2 --separate-stderr sevmig-sim run --platform "$P" --socket "$SRC" --mem 4M --policy zz
	assert_equal "${stderr_lines[0]}" "sevmig-sim: invalid --policy value 'zz'"
	run -2 --separate-stderr sevmig-sim run --platform "$P" --socket "$SRC" --mem 4M --mem-split 8G
	assert_equal "${stderr_lines[0]}" "sevmig-sim: invalid --mem-split value '8G'"
	run -2 --separate-stderr sevmig-sim run --platform "$P" --socket "$SRC" --mem 4M stray
	assert_equal "${stderr_lines[0]}" "sevmig-sim: unexpected argument 'stray'"
	[ ! -e "$SRC" ]
}

@test "run on a missing platform directory fails with exit 4" {
	run -4 --separate-stderr sevmig-sim run --platform "$T/nope" --socket "$SRC" --mem 4M
	assert_equal "$stderr" "sevmig-sim: cannot open platform '$T/nope': No such file or directory"
	[ ! -e "$SRC" ]
}

@test "run starts a 4 GiB guest in bounded memory" {
	SECONDS=0
	start_vmm big --mem 4G --shared 10
	# Seconds on an idle machine; the bound allows for a loaded one.
	[ "$SECONDS" -lt 120 ]
	run -0 ep-client "$T/big.sock" hello
	assert_line --index 0 --partial "mem_size=4294967296 ranges=2"
	run -0 sevmig-sim ctl "$T/big.sock" status
	assert_line "memory:           4294967296 bytes"
	# Bounded memory: the VMM's own footprint does not grow with the guest
	# (the RAM is in the memfd, which is shared memory).
	pid=$(cat "$T/big.pid")
	anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status")
	[ "$anon" -lt 65536 ]
}

@test "a subcommand's unknown option is named with the subcommand" {
	run -2 --separate-stderr sevmig-sim run --bogus
	assert_equal "$stderr" "sevmig-sim run: unrecognized option '--bogus'
Try 'sevmig-sim run --help' for more information."
	run -2 --separate-stderr sevmig-sim ctl -Z sock status
	assert_equal "$stderr" "sevmig-sim ctl: invalid option -- 'Z'
Try 'sevmig-sim ctl --help' for more information."
}

@test "a platform.json that is not JSON is refused as not a platform file" {
	sevmig-sim platform init --ark-bits 2048 "$T/p" >/dev/null
	echo '{"schema": "sevmig-sim-platform/1",' >"$T/p/platform.json"
	run -6 --separate-stderr sevmig-sim run --platform "$T/p" --socket "$T/x.sock" --mem 1M
	assert_equal "$stderr" "sevmig-sim: opening simulated platform '$T/p': reading '$T/p/platform.json': not a sevmig-sim-platform/1 file"
}
