#!/usr/bin/env bats
# A hostile or broken VMM: tests/helpers/hostile-vmm.py stands between
# sevmig-export or sevmig-import and a real simulated VMM and goes silent,
# answers garbage, contradicts itself or passes the wrong descriptors.
# The tool must stop within its --timeout with a clear message and the
# right exit code, never crash or hang, and the guest must survive.

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

# export_via RULE...: a source a (4 MiB) behind hostile VMM ha applying
# the rules; run sevmig-export against ha with a 1 s timeout, timed.
export_via() {
	[ -S "$T/a.sock" ] || sim_run a pa --mem 4M
	[ -f "$T/a.digest" ] || save_digest
	hostile_start ha a "$@"
	local t0=$SECONDS
	run --separate-stderr timeout 30 sevmig-export -q $(certs_b) --timeout 1 \
		-o "$T/out.sevmig" "$T/ha.sock"
	ELAPSED=$((SECONDS - t0))
	EXPORT_ERR=$stderr
}

# import_via RULE...: the saved archive into an incoming b behind hb.
import_via() {
	hostile_start hb b "$@"
	local t0=$SECONDS
	run --separate-stderr timeout 30 sevmig-import -q --timeout 1 \
		-i "$T/guest.sevmig" "$T/hb.sock"
	ELAPSED=$((SECONDS - t0))
}

# A source and a saved archive of it, and an empty incoming b.
saved_pair() {
	h_pair --mem 4M "$@"
	save_digest
	save_archive
}

@test "export: a VMM that never answers hello times out with exit 4 in time" {
	export_via hello:mute
	assert_equal "$status" 4
	assert_equal "$EXPORT_ERR" "sevmig-export: VM '$T/ha.sock': 'hello': timed out waiting for a reply"
	[ "$ELAPSED" -le 5 ]
	hostile_fired ha "hello mute"
	assert_source_intact running
}

@test "export: a VMM silent after handing out the context times out and takes it back" {
	export_via take-context:mute
	assert_equal "$status" 4
	assert_equal "$EXPORT_ERR" "sevmig-export: cannot take the context of VM '$T/ha.sock': 'take-context': timed out waiting for a reply; also cannot resume the source: 'resume': the connection to the VMM is unusable after an earlier failure; reconnect"
	[ "$ELAPSED" -le 5 ]
	hostile_fired ha "take-context mute"
	# The real VMM gave the context away; when the exporter's connection
	# closed it took it back.  Paused, since nobody could resume it.
	assert_source_back paused
	sevmig-sim ctl "$T/a.sock" resume
	sim_run b pb --incoming --mem 4M
	assert_exports_again
}

@test "export: a VMM silent on device-state mid-export times out and gets the guest back" {
	export_via device-state:mute
	assert_equal "$status" 4
	assert_equal "$EXPORT_ERR" "sevmig-export: cannot get the device state of VM '$T/ha.sock': 'device-state': timed out waiting for a reply; also cannot return the context: 'return-context': the connection to the VMM is unusable after an earlier failure; reconnect"
	[ "$ELAPSED" -le 5 ]
	# The VMM cancels the send itself when the exporter hangs up.
	assert_source_back paused
	run -0 find "$T" -maxdepth 1 -name '*out.sevmig*'
	assert_output ""
}

@test "export: a VMM that hangs up mid-export is exit 4 and its guest survives" {
	export_via device-state:hangup
	assert_equal "$status" 4
	[[ "$EXPORT_ERR" == "sevmig-export: cannot get the device state of VM '$T/ha.sock': 'device-state': connection closed by the peer; also "*"cannot return the context: "* ]] || { echo "$EXPORT_ERR"; false; }
	# (the exporter's own SEND_CANCEL may come second: the VMM, seeing the
	# connection gone, may have cancelled first)
	hostile_fired ha "device-state hangup"
	assert_source_back paused
}

@test "export: malformed replies are exit 4 naming the problem, and the guest stays" {
	local rule want
	while IFS='|' read -r rule want; do
		rm -f "$T/ha.sock"
		export_via "$rule"
		[ "$status" -eq 4 ] || { echo "$rule: exit $status: $EXPORT_ERR"; false; }
		assert_equal "$EXPORT_ERR" "sevmig-export: VM '$T/ha.sock': $want"
		hostile_fired ha "${rule%%:*} $(cut -d: -f2 <<<"$rule")"
		assert_source_intact running
	done <<-'EOF'
		hello:garbage|bad reply to 'hello': 1:4: '[' or '{' expected near 'this'
		hello:array|bad reply to 'hello': not a reply
		hello:not-reply|bad reply to 'hello': not a reply
		hello:oversize|'hello': bad message length 2147483647 (limit 1048576)
		hello:empty|'hello': bad message length 0 (limit 1048576)
		hello:truncate|'hello': connection closed by the peer
		hello:del:memory|bad reply to 'hello': field 'memory'
		hello:set:vcpus=0|bad reply to 'hello': field 'vcpus'
		hello:set:policy=-1|bad reply to 'hello': field 'policy'
		hello:set:memory.0.gpa="0x1001"|bad reply to 'hello': memory range 0 not page aligned
		hello:set:memory.0.fd=3|bad reply to 'hello': memory fd 3 not passed
		shared-regions:set:regions=[{"gpa":"0x2000","size":8192},{"gpa":"0x1000","size":4096}]|bad reply to 'shared-regions': region 0x1000 unaligned, empty or out of order
		shared-regions:set:next="0x0"|bad reply to 'shared-regions': field 'next'
	EOF
}

@test "export: a protocol version this build does not speak is exit 6" {
	export_via hello:set:version=2
	assert_equal "$status" 6
	assert_equal "$EXPORT_ERR" "sevmig-export: VM '$T/ha.sock': unsupported endpoint protocol version 2"
	assert_source_intact running
}

@test "export: an error reply is exit 5 with the VMM's reason" {
	export_via hello:error:failed
	assert_equal "$status" 5
	assert_equal "$EXPORT_ERR" "sevmig-export: VM '$T/ha.sock': vmm refused 'hello': hostile refusal"
	assert_source_intact running
}

@test "export: replies contradicting each other or the guest are refused before anything is taken" {
	local rule want
	while IFS='|' read -r rule want; do
		rm -f "$T/ha.sock"
		export_via "$rule"
		[ "$status" -eq 5 ] || { echo "$rule: exit $status: $EXPORT_ERR"; false; }
		assert_equal "$EXPORT_ERR" "sevmig-export: $want"
		assert_source_intact running
	done <<-EOF
		hello:set:es=true|VM '$T/ha.sock': es 1 disagrees with policy 0x1
		hello:set:role="incoming"|VM '$T/ha.sock' is not a source (role 'incoming')
		status:set:vmm_state="released"|cannot pause VM '$T/ha.sock': VM '$T/ha.sock' is released, not running
		shared-regions:set:regions=[{"gpa":"0x10000000","size":4096}]|VM '$T/ha.sock': bad shared region 0x10000000+0x1000
	EOF
}

@test "export: a platform the build cannot drive is exit 6" {
	export_via hello:set:platform=\"xen\"
	assert_equal "$status" 6
	assert_equal "$EXPORT_ERR" "sevmig-export: VM '$T/ha.sock': unknown platform 'xen'"
	assert_source_intact running
}

@test "export: a VMM claiming KVM on a host without SEV is exit 6 and keeps its guest" {
	[ ! -e /dev/sev ] || skip "this host has /dev/sev"
	export_via hello:set:platform=\"kvm\"
	assert_equal "$status" 6
	assert_equal "$EXPORT_ERR" "sevmig-export: cannot open SEV device '/dev/sev': No such file or directory; this host has no SEV firmware interface (ccp driver not loaded, or SEV disabled in the BIOS)"
	assert_source_intact running
}

@test "export: descriptors in the wrong number are refused with exit 4" {
	local rule want
	while IFS='|' read -r rule want; do
		rm -f "$T/ha.sock"
		export_via "$rule"
		[ "$status" -eq 4 ] || { echo "$rule: exit $status: $EXPORT_ERR"; false; }
		assert_equal "$EXPORT_ERR" "sevmig-export: $want"
		assert_source_back "$(sim_status a 'vmm state')"
		sevmig-sim ctl "$T/a.sock" resume
	done <<-EOF
		hello:fd:many|VM '$T/ha.sock': 'hello': too many file descriptors with a message (limit 16)
		hello:no-fds|VM '$T/ha.sock': bad reply to 'hello': 0 file descriptors, expected 1
		take-context:no-fds|cannot take the context of VM '$T/ha.sock': bad reply to 'take-context': 0 file descriptors, expected 1; also cannot resume the source: 'resume': the connection to the VMM is unusable after an earlier failure; reconnect
		take-context:fd:dup|cannot take the context of VM '$T/ha.sock': bad reply to 'take-context': 2 file descriptors, expected 1; also cannot resume the source: 'resume': the connection to the VMM is unusable after an earlier failure; reconnect
	EOF
}

@test "export: a descriptor that is not the guest's context is refused and the real one comes back" {
	export_via take-context:fd:memfd
	assert_equal "$status" 5
	assert_equal "$EXPORT_ERR" "sevmig-export: simulated platform '$BATS_FILE_TMPDIR/pa': attaching guest context: not a sealed simulated guest context; also cannot return the context: vmm refused 'return-context': the descriptor is not this guest's context"
	hostile_fired ha "take-context fd"
	assert_source_back paused
}

@test "export: a reply sent twice is caught at the next request" {
	export_via pause:twice
	assert_equal "$status" 4
	# (the shared list is asked for right after the pause)
	assert_equal "$EXPORT_ERR" "sevmig-export: VM '$T/ha.sock': bad reply to 'shared-regions': field 'regions'; also cannot resume the source: 'resume': the connection to the VMM is unusable after an earlier failure; reconnect"
	assert_source_back paused
}

@test "import: a VMM that never answers hello times out with exit 4 in time" {
	saved_pair
	import_via hello:mute
	assert_equal "$status" 4
	assert_equal "$stderr" "sevmig-import: VM '$T/hb.sock': 'hello': timed out waiting for a reply"
	[ "$ELAPSED" -le 5 ]
	assert_target_waiting
}

@test "import: a VMM silent at adopt-context times out; the target never runs on its own" {
	saved_pair
	import_via adopt-context:mute
	assert_equal "$status" 4
	assert_equal "$stderr" "sevmig-import: VM '$T/hb.sock': 'adopt-context': timed out waiting for a reply; it holds the received guest paused: resume it there (sevmig-sim ctl '$T/hb.sock' resume)"
	[ "$ELAPSED" -le 5 ]
	# The VMM did adopt the context (only the reply was lost): it holds
	# the whole guest, paused, and says so; the importer, past
	# RECEIVE_FINISH, did not throw it away.
	assert_equal "$(sim_status b 'vmm state')" received-paused
	run -0 sevmig-sim ctl "$T/b.sock" check
	run -0 sevmig-sim ctl "$T/b.sock" resume
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
}

@test "import: a VMM silent on the device-state verdict times out; the target never runs" {
	saved_pair
	import_via load-device-state.verdict:mute
	assert_equal "$status" 4
	assert_equal "$stderr" "sevmig-import: VM '$T/hb.sock' refused the device state: 'load-device-state': timed out waiting for a reply"
	[ "$ELAPSED" -le 5 ]
	[ "$(sim_status b 'vmm state')" != running ]
}

@test "import: refusals of the context or the device state leave the target not running" {
	saved_pair
	import_via adopt-context:error:state
	assert_equal "$status" 5
	# (the real VMM adopted it; only the reply said no)
	assert_equal "$stderr" "sevmig-import: VM '$T/hb.sock': vmm refused 'adopt-context': hostile refusal; it holds the received guest paused: resume it there (sevmig-sim ctl '$T/hb.sock' resume)"
	assert_equal "$(sim_status b 'vmm state')" received-paused
	run -0 sevmig-sim ctl "$T/b.sock" check
	sevmig-sim ctl "$T/b.sock" quit
	sim_run b pb --incoming --mem 4M
	import_via load-device-state.verdict:error:verify
	assert_equal "$status" 5
	assert_equal "$stderr" "sevmig-import: VM '$T/hb.sock' refused the device state: vmm refused 'load-device-state': hostile refusal"
	[ "$(sim_status b 'vmm state')" != running ]
}

@test "import: a target whose hello contradicts the archive is refused before RECEIVE_START" {
	saved_pair
	local rule want code
	while IFS='|' read -r code rule want; do
		rm -f "$T/hb.sock"
		import_via "$rule"
		[ "$status" -eq "$code" ] || { echo "$rule: exit $status: $stderr"; false; }
		assert_equal "$stderr" "sevmig-import: $want"
		assert_target_waiting
	done <<-EOF
		5|hello:set:vcpus=2|the guest has 1 vCPUs, VM '$T/hb.sock' has 2
		5|hello:set:es=true|the guest is SEV, VM '$T/hb.sock' is SEV-ES
		5|hello:set:state="running"|VM '$T/hb.sock' is not waiting for an incoming guest (role 'incoming', state 'running')
		3|hello:set:platform_dir="$T/pc"|the archive was made for PDH $(pdh_fp pb), but VM '$T/hb.sock' is on a platform with PDH $(pdh_fp pc)
		4|hello:garbage|VM '$T/hb.sock': bad reply to 'hello': 1:4: '[' or '{' expected near 'this'
	EOF
}

@test "export: a VMM announcing more memory than it passes is refused, not a crash" {
	local rule want
	while IFS='|' read -r rule want; do
		rm -f "$T/ha.sock"
		export_via "$rule"
		[ "$status" -eq 4 ] || { echo "$rule: exit $status: $EXPORT_ERR"; false; }
		assert_equal "$EXPORT_ERR" "sevmig-export: VM '$T/ha.sock': bad reply to 'hello': $want"
		assert_source_intact running
	done <<-'EOF2'
		hello:set:memory.0.size=8388608|memory range 0 (0x800000 bytes at offset 0x0) ends beyond memory fd 0 (4194304 bytes)
		hello:set:memory.0.offset="0x1000"|memory range 0 (0x400000 bytes at offset 0x1000) ends beyond memory fd 0 (4194304 bytes)
		hello:fd:memfd|memory range 0 (0x400000 bytes at offset 0x0) ends beyond memory fd 0 (4096 bytes)
		hello:fd:devnull|memory fd 0 is not a memory file
	EOF2
}

@test "import: a target announcing more memory than it passes is refused, not a crash" {
	saved_pair
	import_via hello:fd:memfd
	assert_equal "$status" 4
	assert_equal "$stderr" "sevmig-import: VM '$T/hb.sock': bad reply to 'hello': memory range 0 (0x400000 bytes at offset 0x0) ends beyond memory fd 0 (4096 bytes)"
	assert_target_waiting
	rm -f "$T/hb.sock"
	import_via hello:set:memory.0.size=8388608
	assert_equal "$status" 4
	assert_target_waiting
}

@test "export: a device-state pipe that never delivers times out with exit 4" {
	export_via device-state:fd:pipe
	assert_equal "$status" 4
	assert_equal "$EXPORT_ERR" "sevmig-export: device state of VM '$T/ha.sock': timed out after 0 of 160 bytes"
	[ "$ELAPSED" -le 5 ]
	hostile_fired ha "device-state fd"
	assert_source_intact running
}

@test "export: a device state shorter than announced is exit 5" {
	export_via device-state:set:size=99999
	assert_equal "$status" 5
	assert_equal "$EXPORT_ERR" "sevmig-export: device state of VM '$T/ha.sock' ended after 160 of 99999 bytes"
	assert_source_intact running
}

@test "import: a VMM that stops reading the device state times out with exit 4" {
	# More than a pipe holds, so the importer must wait for the reader.
	saved_pair --device-state-size 1M
	import_via load-device-state:fd:sink
	assert_equal "$status" 4
	# (how much fits depends on the pipe's size)
	[[ "$stderr" =~ ^"sevmig-import: cannot load the device state into VM '$T/hb.sock': it stopped reading after "[0-9]+" of 1048576 bytes"$ ]]
	[ "$ELAPSED" -le 5 ]
	hostile_fired hb "load-device-state fd"
	[ "$(sim_status b 'vmm state')" != running ]
}
