#!/usr/bin/env bats
# sevmig-sim run: the VM endpoint, driven operation by operation from
# tests/helpers/ep-client, including every misuse.

load helpers
load sim-run
bats_require_minimum_version 1.8.0

setup_file() {
	sim_platform_init
}

setup() {
	T=$BATS_TEST_TMPDIR
	SRC=$T/src.sock
	DST=$T/dst.sock
}

teardown() {
	stop_vmms
}

@test "hello describes a source guest and passes its memory fd" {
	start_vmm src --mem 16M --vcpus 2 --policy 0x1 --seed 7
	run --separate-stderr ep-client "$SRC" hello
	assert_success
	assert_line "version=1 platform=sim role=source state=running vcpus=2 es=0 policy=0x1 migration_ready=1 mem_size=16777216 ranges=1 fds=1"
	assert_line "platform_dir=$(cd "$BATS_FILE_TMPDIR/plat" && pwd -P)"
	assert_line "range gpa=0x0 size=0x1000000 fd=0 offset=0x0"
	[ -z "$stderr" ]
}

@test "a guest larger than the split gets a second range at 4 GiB" {
	start_vmm src --mem 12M --mem-split 4M
	run -0 ep-client "$SRC" hello
	assert_line "range gpa=0x0 size=0x400000 fd=0 offset=0x0"
	assert_line "range gpa=0x100000000 size=0x800000 fd=0 offset=0x400000"
	run -0 sevmig-sim ctl "$SRC" check
	assert_output "ok: 3072 pages, 0 VMSAs"
}

@test "--es sets the ES policy bit and gives every vCPU a VMSA" {
	start_vmm src --mem 4M --es --vcpus 3
	run -0 ep-client "$SRC" hello
	assert_line --partial "vcpus=3 es=1 policy=0x5 "
	run -0 sevmig-sim ctl "$SRC" check
	assert_output "ok: 1024 pages, 3 VMSAs"
}

@test "take-context is refused while the guest runs" {
	start_vmm src --mem 4M
	run -0 ep-client "$SRC" op take-context
	assert_output '{"ok":false,"error":"the guest is running: pause it first","code":"state"}'
	run -5 ep-client "$SRC" take-context
	assert_output "ep-client: vmm refused 'take-context': the guest is running: pause it first"
}

@test "take, return and resume: the guest stays intact" {
	start_vmm src --mem 8M
	run -0 sevmig-sim ctl "$SRC" digest
	before=$output
	run -0 ep-client "$SRC" pause take-context op resume op take-context return-context resume status
	assert_line --index 2 '{"ok":false,"error":"the guest context is handed out: return it first","code":"state"}'
	assert_line --index 3 '{"ok":false,"error":"this client already holds the context","code":"state"}'
	assert_line --regexp "^vmm_state=running guest_state=RUNNING role=source held=0 policy=0x1 handle=[0-9]+$"
	run -0 sevmig-sim ctl "$SRC" digest
	assert_output "$before"
	run -0 sevmig-sim ctl "$SRC" check
}

@test "return-context refuses a descriptor that is not the context" {
	start_vmm src --mem 4M
	run -5 ep-client "$SRC" pause take-context return-other
	assert_output --partial "ep-client: vmm refused 'return-context': the descriptor is not this guest's context"
}

@test "return-context and release need the context to have been taken" {
	start_vmm src --mem 4M
	run -0 ep-client "$SRC" op release
	assert_output '{"ok":false,"error":"the context was not handed to this client","code":"state"}'
	run -0 ep-client "$SRC" pause opfd return-context 1
	assert_line '{"ok":false,"error":"the context was not handed to this client","code":"state"}'
}

@test "a second client is refused while one holds the context" {
	start_vmm src --mem 4M
	ep-client "$SRC" pause take-context sleep 30 >"$T/holder.out" 3>&- &
	echo $! >>"$T/pids"
	wait_status "$SRC" "context held: *yes"
	run -0 ep-client "$SRC" op pause op resume op take-context op device-state op quit op check
	for i in 0 1 2 3 4 5; do
		assert_line --index $i '{"ok":false,"error":"the guest context is held by another client","code":"busy"}'
	done
	# Looking is fine (a hello that does not claim the VM).
	run -0 ep-client "$SRC" status peek shared-regions "$T/r"
	assert_line --index 0 --regexp "^vmm_state=paused guest_state=RUNNING role=source held=1 policy=0x1 handle=[0-9]+$"
	run -5 sevmig-sim ctl "$SRC" quit
	assert_output "sevmig-sim: vmm refused 'quit': the guest context is held by another client"
}

@test "a client killed while holding the context does not lose the guest" {
	start_vmm src --mem 8M --shared 20
	run -0 sevmig-sim ctl "$SRC" digest
	before=$output
	ep-client "$SRC" pause take-context sleep 60 >"$T/holder.out" 3>&- &
	holder=$!
	echo $holder >>"$T/pids"
	wait_status "$SRC" "context held: *yes"
	kill -9 "$holder"
	wait_status "$SRC" "context held: *no"
	run -0 sevmig-sim ctl "$SRC" status
	assert_line "guest state:      RUNNING"
	assert_line "vmm state:        paused"
	run -0 sevmig-sim ctl "$SRC" check
	run -0 sevmig-sim ctl "$SRC" digest
	assert_output "$before"
	run -0 sevmig-sim ctl "$SRC" resume
	run -0 sevmig-sim ctl "$SRC" status
	assert_line "vmm state:        running"
	grep -q "disconnected holding the guest context: taking it back" "$T/src.log"
}

@test "release is refused until SEND_FINISH ran, then discards the source guest for good" {
	start_vmm src --mem 4M
	run -0 ep-client "$SRC" hello pause take-context op release send-start op release send-finish release op resume op take-context op pause op device-state op digest
	assert_line --index 5 '{"ok":false,"error":"the guest was not sent (firmware state RUNNING): SEND_FINISH must run before release","code":"state"}'
	assert_line --index 7 '{"ok":false,"error":"the guest was not sent (firmware state SUPDATE): SEND_FINISH must run before release","code":"state"}'
	assert_line --index 9 ok
	assert_line --index 10 '{"ok":false,"error":"the guest was released","code":"state"}'
	assert_line --index 11 '{"ok":false,"error":"the guest was released","code":"state"}'
	assert_line --index 12 '{"ok":false,"error":"the guest was released","code":"state"}'
	assert_line --index 13 '{"ok":false,"error":"no device state: the guest is released","code":"state"}'
	assert_line --index 14 '{"ok":false,"error":"the guest was released","code":"state"}'
	run -0 sevmig-sim ctl "$SRC" status
	assert_line "vmm state:        released"
	assert_line "guest state:      none"
	run -5 sevmig-sim ctl "$SRC" check
	assert_output "sevmig-sim: vmm refused 'check': the guest was released"
}

@test "a release refused before SEND_FINISH leaves the guest intact" {
	start_vmm src --mem 4M --shared 20
	run -0 sevmig-sim ctl "$SRC" digest
	before=$output
	run -0 ep-client "$SRC" hello pause take-context send-start op release return-context resume
	assert_line --index 6 '{"ok":false,"error":"the guest was not sent (firmware state SUPDATE): SEND_FINISH must run before release","code":"state"}'
	run -0 sevmig-sim ctl "$SRC" status
	assert_line "vmm state:        running"
	assert_line "guest state:      RUNNING"
	run -0 sevmig-sim ctl "$SRC" check
	run -0 sevmig-sim ctl "$SRC" digest
	assert_output "$before"
}

@test "adopt-context, set-shared-regions and load-device-state are refused on a source" {
	start_vmm src --mem 4M
	run -5 ep-client "$SRC" pause take-context adopt-context
	assert_output --partial "ep-client: vmm refused 'adopt-context': adopt-context is for an incoming VMM"
	run -0 ep-client "$SRC" op set-shared-regions '{"regions":[]}' op load-device-state '{"size":200}'
	assert_line --index 0 '{"ok":false,"error":"set-shared-regions is for an incoming VMM that is receiving, before resume","code":"state"}'
	assert_line --index 1 '{"ok":false,"error":"load-device-state is for an incoming VMM that is receiving, before resume","code":"state"}'
}

@test "an incoming VMM waits with empty RAM and refuses to run without a guest" {
	start_vmm dst --incoming --mem 4M
	# Unclaimed it waits; a hello that claims it (the only way to its
	# memory) makes it receiving, for this client alone.
	run -0 ep-client "$DST" peek op pause op resume
	assert_line --index 0 "version=1 platform=sim role=incoming state=incoming vcpus=1 es=0 policy=0x0 migration_ready=0 mem_size=4194304 ranges=1 fds=0"
	assert_line --index 3 '{"ok":false,"error":"no guest is running: the VMM is waiting for an import","code":"state"}'
	assert_line --index 4 '{"ok":false,"error":"no guest: the VMM is waiting for an import","code":"state"}'
	run -0 ep-client "$DST" hello dump "$T/ram" op pause op resume op take-context op device-state op check
	assert_line --index 0 "version=1 platform=sim role=incoming state=receiving vcpus=1 es=0 policy=0x0 migration_ready=0 mem_size=4194304 ranges=1 fds=1"
	assert_line --index 4 '{"ok":false,"error":"no guest is running: an import is under way","code":"state"}'
	assert_line --index 5 '{"ok":false,"error":"no context adopted yet: an import is under way","code":"state"}'
	assert_line --index 6 '{"ok":false,"error":"take-context is for a source VMM","code":"state"}'
	assert_line --index 7 '{"ok":false,"error":"no device state: the guest is receiving","code":"state"}'
	assert_line --index 8 '{"ok":false,"error":"no guest yet: the incoming VMM has not adopted a context","code":"state"}'
	cmp "$T/ram" <(head -c 4194304 /dev/zero)
	run -0 sevmig-sim ctl "$DST" status
	assert_line "vmm state:        incoming"
	assert_line "guest state:      none"
}

@test "an incoming VMM says its memory holds zeros only, until its claimant could have written" {
	start_vmm dst --incoming --mem 4M
	run -0 ep-client "$DST" peek flags
	assert_line "ram_zeroed=1 mh_helpers=0"
	# the claimant's first hello says so; a later one no longer does
	run -0 ep-client "$DST" hello flags fill /dev/null hello flags
	assert_line --index 3 "ram_zeroed=1 mh_helpers=0"
	assert_line --index 8 "ram_zeroed=0 mh_helpers=0"
	# a source says nothing of the kind
	start_vmm src --mem 4M
	run -0 ep-client "$SRC" peek flags
	assert_line "ram_zeroed=0 mh_helpers=0"
}

@test "a context handed from a source to an incoming VMM runs there" {
	start_vmm src --mem 8M --mem-split 4M --es --vcpus 2 --shared 25 --seed 42 --device-state-size 300K
	start_vmm dst --incoming --mem 8M --mem-split 4M --es --vcpus 2
	run -0 sevmig-sim ctl "$SRC" digest
	want=$output
	# Pages are tied to the context, so move the RAM bytes with it
	# (an import would re-encrypt them through the firmware instead).
	run -0 ep-client "$SRC" hello pause take-context dump "$T/ram" \
		shared-regions "$T/shared" device-state "$T/ds" \
		connect "$DST" hello fill "$T/ram" op resume \
		set-shared-regions "$T/shared" load-device-state "$T/ds" \
		adopt-context opfd adopt-context 1 resume
	assert_line "size=307200 received=307200"
	assert_line '{"ok":false,"error":"no context adopted yet: an import is under way","code":"state"}'
	assert_line '{"ok":false,"error":"a context was already adopted","code":"state"}'
	# (No release of the source: this shortcut shares one context, and a
	# release would decommission it; a real import receives a new one.)
	run -0 sevmig-sim ctl "$DST" status
	assert_line "vmm state:        running"
	assert_line "role:             source"
	assert_line "policy:           0x00000005"
	run -0 sevmig-sim ctl "$DST" check
	assert_output "ok: 2048 pages, 2 VMSAs"
	run -0 sevmig-sim ctl "$DST" digest
	assert_output "$want"
	# The resumed guest can move on: it is a source now.
	run -0 ep-client "$DST" shared-regions "$T/shared2" pause device-state "$T/ds2"
	cmp "$T/shared" "$T/shared2"
	cmp "$T/ds" "$T/ds2"
}

@test "resume of an incoming VMM needs both the context and the device state" {
	start_vmm src --mem 4M
	start_vmm dst --incoming --mem 4M
	run -0 ep-client "$SRC" pause take-context device-state "$T/ds" connect "$DST" adopt-context op resume load-device-state "$T/ds" resume
	assert_line --index 4 '{"ok":false,"error":"no device state loaded yet","code":"state"}'
	assert_line --index 5 ok
	assert_line --index 6 ok
	[ "${#lines[@]}" = 7 ]
}

@test "load-device-state rejects a corrupt, short or foreign device state" {
	start_vmm src --mem 4M --device-state-size 100K
	start_vmm dst --incoming --mem 4M
	start_vmm other --incoming --mem 8M
	run -0 ep-client "$SRC" pause device-state "$T/ds"
	cp "$T/ds" "$T/flip"
	flip_byte "$T/flip" 5000
	run -5 ep-client "$DST" load-device-state "$T/flip"
	assert_output "ep-client: vmm refused 'load-device-state': device state padding corrupt at byte 5000"
	cp "$T/ds" "$T/tail"
	flip_byte "$T/tail" 102390
	run -5 ep-client "$DST" load-device-state "$T/tail"
	assert_output "ep-client: vmm refused 'load-device-state': device state digest mismatch"
	run -5 ep-client "$DST" load-device-state "$T/ds" 50000
	assert_output "ep-client: vmm refused 'load-device-state': device state truncated: got 50000 of 102400 bytes"
	head -c 100 "$T/ds" >"$T/short"
	run -5 ep-client "$DST" load-device-state "$T/short"
	assert_output "ep-client: vmm refused 'load-device-state': device state of 100 bytes is too short (at least 160)"
	run -5 ep-client "$T/other.sock" load-device-state "$T/ds"
	assert_output "ep-client: vmm refused 'load-device-state': device state is for a guest of 4194304 bytes (split 0xc0000000), this VMM has 8388608 (split 0xc0000000)"
	head -c 102400 /dev/zero >"$T/zero"
	run -5 ep-client "$DST" load-device-state "$T/zero"
	assert_output "ep-client: vmm refused 'load-device-state': not a sevmig-sim device state"
	# After all that, the real one still loads.
	run -0 ep-client "$DST" load-device-state "$T/ds"
}

@test "device-state streams a large blob in full" {
	start_vmm src --mem 4M --device-state-size 20M
	run -0 ep-client "$SRC" op device-state pause device-state "$T/ds"
	assert_line --index 0 '{"ok":false,"error":"the guest is running: pause it first","code":"state"}'
	assert_line "size=20971520 received=20971520"
	[ "$(stat -c %s "$T/ds")" = 20971520 ]
}

@test "shared-regions lists scattered runs covering the requested share" {
	start_vmm src --mem 16M --shared 30
	run -0 ep-client "$SRC" shared-regions "$T/r"
	assert_output "regions=$(wc -l <"$T/r") pages=1228"
	[ "$(wc -l <"$T/r")" -gt 100 ]
	# Sorted, disjoint, page aligned.
	end=0
	while read -r gpa size; do
		((gpa >= end && gpa % 4096 == 0 && size % 4096 == 0 && size > 0))
		end=$((gpa + size))
	done <"$T/r"
}

@test "shared-regions is refused for a guest that is not migration-ready" {
	start_vmm src --mem 4M --no-migration-ready
	run -0 ep-client "$SRC" hello op shared-regions
	assert_line --index 0 --partial "migration_ready=0"
	assert_line '{"ok":false,"error":"the guest has not declared itself migration-ready: its shared regions are unknown","code":"state"}'
}

@test "set-shared-regions refuses regions outside guest RAM" {
	start_vmm dst --incoming --mem 4M
	run -0 ep-client "$DST" op set-shared-regions '{"regions":[{"gpa":"0x400000","size":4096}]}' op set-shared-regions '{"regions":[{"gpa":"0x1000","size":4096}]}' op set-shared-regions '{"regions":[{"gpa":"0x0","size":4096}],"append":true}'
	assert_line --index 0 '{"ok":false,"error":"region 0x400000+0x1000 is outside guest RAM","code":"invalid"}'
	assert_line --index 1 '{"ok":true}'
	assert_line --index 2 '{"ok":false,"error":"region 0x0 overlaps or precedes the regions already set","code":"invalid"}'
}

@test "malformed requests get clear errors and the connection survives" {
	start_vmm src --mem 4M
	run -0 ep-client "$SRC" frame '{"version":1,' frame '[]' frame '{"op":"status"}' \
		frame '{"version":9,"op":"status"}' op dance opfd status 2 \
		rawhex 00000000 status
	assert_line --index 0 '{"ok":false,"error":"malformed JSON: 1:13: end of file expected near end of file","code":"malformed"}' || \
		assert_line --index 0 --partial '"code":"malformed"'
	assert_line --index 1 '{"ok":false,"error":"a request must be a JSON object","code":"malformed"}'
	assert_line --index 2 '{"ok":false,"error":"a request needs \"version\" (integer) and \"op\" (string)","code":"malformed"}'
	assert_line --index 3 '{"ok":false,"error":"protocol version 9 not supported (this VMM speaks 1)","code":"unsupported"}'
	assert_line --index 4 '{"ok":false,"error":"unknown operation '\''dance'\''","code":"unknown-op"}'
	assert_line --index 5 '{"ok":false,"error":"'\''status'\'' takes 0 file descriptors, got 2","code":"fds"}'
	assert_line --index 6 '{"ok":false,"error":"empty message","code":"malformed"}'
	assert_line --index 7 --partial "vmm_state=running"
}

@test "an oversize message is refused and the connection closed" {
	start_vmm src --mem 4M
	run -4 ep-client "$SRC" rawhex 00100001 status
	assert_line --index 0 '{"ok":false,"error":"message of 1048577 bytes exceeds the limit of 1048576 bytes","code":"too-large"}'
	assert_line --index 1 --partial "ep-client: 'status': "
	# The VMM itself carries on.
	run -0 sevmig-sim ctl "$SRC" check
}

@test "private plaintext never reaches the memfd; shared pages are plain" {
	start_vmm src --mem 16M --shared 15 --seed 3
	run -0 ep-client "$SRC" hello dump "$T/ram" shared-regions "$T/r"
	shared=$(region_pages "$T/r")
	[ "$shared" -gt 0 ]
	run -1 grep -c sevmig-private-page "$T/ram"
	run -0 bash -c "grep -ao sevmig-shared-page '$T/ram' | wc -l"
	assert_output "$shared"
	# Each shared page holds its own address.
	first=$(head -1 "$T/r" | cut -d' ' -f1)
	run -0 bash -c "dd if='$T/ram' bs=4096 skip=\$(( $first / 4096 )) count=1 status=none | head -c 42"
	assert_output "sevmig-shared-page gpa=$(printf '0x%016x' "$first")"
}

@test "--zero-shared leaves the shared pages all zero" {
	start_vmm src --mem 8M --shared 50 --zero-shared
	run -0 ep-client "$SRC" hello dump "$T/ram" shared-regions "$T/r"
	run -1 grep -c sevmig-shared-page "$T/ram"
	first=$(head -1 "$T/r" | cut -d' ' -f1)
	cmp <(dd if="$T/ram" bs=4096 skip=$((first / 4096)) count=1 status=none) <(head -c 4096 /dev/zero)
	run -0 sevmig-sim ctl "$SRC" check
}

@test "quit stops the VMM and removes its socket" {
	start_vmm src --mem 4M
	pid=$(cat "$T/src.pid")
	run -0 ep-client "$SRC" pause take-context op quit return-context quit
	assert_line --index 2 '{"ok":false,"error":"this client holds the context: return or release it first","code":"state"}'
	wait_gone "$pid"
	[ ! -e "$SRC" ]
	run wait "$pid"
}

@test "SIGTERM stops the VMM cleanly" {
	start_vmm src --mem 4M
	pid=$(cat "$T/src.pid")
	kill -TERM "$pid"
	wait_gone "$pid"
	[ ! -e "$SRC" ]
	run -0 wait "$pid"
}

@test "a VMM stopped while a client holds the context leaves the export to that client" {
	start_vmm src --mem 4M
	pid=$(cat "$T/src.pid")
	ep-client "$SRC" hello pause take-context send-start sleep 3 send-finish >"$T/holder.out" 2>&1 3>&- &
	holder=$!
	echo $holder >>"$T/pids"
	wait_status "$SRC" "guest state: *SUPDATE"
	kill -TERM "$pid"
	wait_gone "$pid"
	# The send was not cancelled under the client: it can still finish.
	wait "$holder"
	run -0 tail -1 "$T/holder.out"
	assert_output ok
	grep -q "exiting while a client holds the guest context: leaving it to that client" "$T/src.log"
}

@test "a client that drops the device-state pipe early does not hurt the VMM" {
	start_vmm src --mem 4M --device-state-size 8M
	run -0 ep-client "$SRC" pause device-state-drop 70000 device-state-drop 0 status device-state "$T/ds"
	assert_line --index 1 "size=8388608 dropped after 70000"
	assert_line --index 2 "size=8388608 dropped after 0"
	assert_line --index 3 --partial "vmm_state=paused"
	assert_line "size=8388608 received=8388608"
	run -0 sevmig-sim ctl "$SRC" check
}

@test "descriptors sent where none are expected are closed, not leaked" {
	start_vmm src --mem 4M
	pid=$(cat "$T/src.pid")
	run -0 sevmig-sim ctl "$SRC" status
	before=$(ls "/proc/$pid/fd" | wc -l)
	run -0 ep-client "$SRC" opfd status 3 opfd hello 5 opfd pause 16 opfd return-context 1 opfd adopt-context 1 opfd quit 2 status
	assert_line --index 0 '{"ok":false,"error":"'\''status'\'' takes 0 file descriptors, got 3","code":"fds"}'
	assert_line --index 3 '{"ok":false,"error":"the context was not handed to this client","code":"state"}'
	assert_line --index 4 '{"ok":false,"error":"adopt-context is for an incoming VMM","code":"state"}'
	# A client that sends more than the limit, or vanishes mid-message.
	run -0 python3 -c '
import os, socket, struct, sys, array
fds = array.array("i", [os.open("/dev/null", os.O_RDONLY) for _ in range(24)])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
req = b"{\"version\":1,\"op\":\"status\"}"
s.sendmsg([struct.pack(">I", len(req)) + req], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
print(s.recv(4096)[4:].decode())
s.close()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendmsg([struct.pack(">I", 100) + b"{"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds[:4])])
s.close()' "$SRC"
	assert_output '{"ok":false,"error":"too many file descriptors (limit 16)","code":"fds"}'
	run -0 sevmig-sim ctl "$SRC" status
	[ "$(ls "/proc/$pid/fd" | wc -l)" = "$before" ]
}

@test "a second VMM on a live socket fails" {
	start_vmm src --mem 4M
	run -4 --separate-stderr sevmig-sim run --platform "$BATS_FILE_TMPDIR/plat" --socket "$SRC" --mem 4M
	assert_equal "$stderr" "sevmig-sim: cannot listen on '$SRC': a VMM is already serving it"
	run -0 sevmig-sim ctl "$SRC" check
}

@test "a stale socket file is replaced" {
	start_vmm src --mem 4M
	pid=$(cat "$T/src.pid")
	kill -9 "$pid"
	wait_gone "$pid"
	[ -S "$SRC" ]
	start_vmm src --mem 4M
	run -0 sevmig-sim ctl "$SRC" check
}

@test "a client killed mid-send (SUPDATE) does not lose the guest" {
	start_vmm src --mem 8M --shared 20
	run -0 sevmig-sim ctl "$SRC" digest
	before=$output
	ep-client "$SRC" hello pause take-context send-start sleep 60 >"$T/holder.out" 3>&- &
	holder=$!
	echo $holder >>"$T/pids"
	wait_status "$SRC" "guest state: *SUPDATE"
	run -0 sevmig-sim ctl "$SRC" status
	assert_line "context held:     yes"
	kill -9 "$holder"
	wait_status "$SRC" "context held: *no"
	run -0 sevmig-sim ctl "$SRC" status
	assert_line "guest state:      RUNNING"
	run -0 sevmig-sim ctl "$SRC" check
	run -0 sevmig-sim ctl "$SRC" digest
	assert_output "$before"
	run -0 sevmig-sim ctl "$SRC" resume
}

@test "return-context cancels a send the holder left in SUPDATE" {
	start_vmm src --mem 4M
	run -0 ep-client "$SRC" hello pause take-context send-start status return-context status resume
	assert_line --index 6 --regexp "^vmm_state=paused guest_state=SUPDATE role=source held=1 "
	assert_line --index 8 --regexp "^vmm_state=paused guest_state=RUNNING role=source held=0 "
	grep -q "context returned in SUPDATE: cancelling the send" "$T/src.log"
}
