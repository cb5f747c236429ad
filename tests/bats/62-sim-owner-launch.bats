#!/usr/bin/env bats
# The guest owner's launch on the simulator (issue 14): sevmig-owner makes
# a session for host A's PDH, sevmig-sim run --owner-session --await-secret
# launches under it, the owner checks ctl launch-measure with
# sevmig-owner measure, builds a secret, ctl inject-secret hands it to the
# firmware, and the guest holds it (ctl secrets) -- and takes it along
# when it migrates.  Then what must not work.

load helpers
load archive
bats_require_minimum_version 1.8.0

OVMF=$BATS_TEST_DIRNAME/../../../shared/testdata/sevctl-vectors/OVMF.amdsev.fd_trimmed_edk2-ovmf-20220126gitbb1bba3d77-4.el9
KEY_GUID=736869e5-84f0-4973-92ec-06879ce3da0b

setup() {
	T=$BATS_TEST_TMPDIR
	sim_platform pa
	sevmig-certs fetch "sim:$T/pa" -o "$T/a.json"
	owner_session 0x1
	printf 'disk-key-of-the-owner' >"$T/key.txt"
}

teardown() {
	sim_stop_all
}

# owner_session POLICY: a session for host pa's PDH in $T/owner.
owner_session() {
	rm -rf "$T/owner"
	sevmig-owner session -q --ark "$T/pa/ark.cert" --policy "$1" -o "$T/owner" "$T/a.json"
}

# The measurement blob and its API version, build and policy from ctl.
launch_measure() {
	sevmig-sim ctl -J "$T/a.sock" launch-measure >"$T/m.json"
	blob=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["measurement"])' "$T/m.json")
	read -r maj min bld pol < <(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["api_major"], m["api_minor"], m["build"], m["policy"])' "$T/m.json")
}

# sevmig-owner measure against the blob, with extra measure options.
owner_measure() {
	sevmig-owner measure --api-major "$maj" --api-minor "$min" --build-id "$bld" \
		--policy "$pol" --tik "$T/owner/vm_tik.bin" --launch-measure-blob "$blob" \
		--firmware "$OVMF" "$@"
}

owner_secret() {
	sevmig-owner secret --tik "$T/owner/vm_tik.bin" --tek "$T/owner/vm_tek.bin" \
		--launch-measure-blob "$blob" --secret "$KEY_GUID:$T/key.txt" \
		"$T/hdr.bin" "$T/payload.bin"
}

@test "owner launch: session, measurement, secret; the guest holds the secret and takes it along" {
	local want
	sim_run a pa --mem 4M --owner-session "$T/owner" --firmware "$OVMF" --await-secret
	assert_equal "$(sim_status a 'vmm state')" launching
	assert_equal "$(sim_status a 'guest state')" LUPDATE
	launch_measure
	assert_equal "$pol" 1
	assert_equal "$(sim_status a 'guest state')" LSECRET
	# the same answer again: LAUNCH_MEASURE ran once
	run -0 sevmig-sim ctl -J "$T/a.sock" launch-measure
	assert_output "$(cat "$T/m.json")"
	run -0 owner_measure
	owner_secret
	run -0 --separate-stderr sevmig-sim ctl "$T/a.sock" inject-secret "$T/hdr.bin" "$T/payload.bin"
	assert_equal "$(sim_status a 'vmm state')" running
	assert_equal "$(sim_status a 'guest state')" RUNNING
	want="$KEY_GUID $(sha256sum <"$T/key.txt" | cut -d' ' -f1) 21"
	run -0 sevmig-sim ctl "$T/a.sock" secrets
	assert_output "$want"
	run -0 sevmig-sim ctl "$T/a.sock" check
	# An attested guest migrates as before, its secret with it.
	save_digest
	sim_platform pb
	sim_run b pb --mem 4M --incoming
	run -0 --separate-stderr bash -c "sevmig-export $(certs_b) '$T/a.sock' | sevmig-import '$T/b.sock'"
	assert_migrated
	run -0 sevmig-sim ctl "$T/b.sock" secrets
	assert_output "$want"
}

@test "owner launch of an SEV-ES guest: the VMSAs are measured too" {
	owner_session 0x5
	head -c 4096 /dev/zero >"$T/vmsa0.bin"
	sim_run a pa --mem 4M --es --vcpus 2 --policy 0x5 --owner-session "$T/owner" --firmware "$OVMF" --await-secret
	launch_measure
	assert_equal "$pol" 5
	# other VMSAs: another digest
	head -c 4096 /dev/zero | tr '\0' '\1' >"$T/vmsa1.bin"
	run -3 owner_measure --num-cpus 2 --vmsa-cpu0 "$T/vmsa1.bin" --vmsa-cpu1 "$T/vmsa1.bin"
	run -0 owner_measure --num-cpus 2 --vmsa-cpu0 "$T/vmsa0.bin" --vmsa-cpu1 "$T/vmsa0.bin"
	owner_secret
	run -0 sevmig-sim ctl "$T/a.sock" inject-secret "$T/hdr.bin" "$T/payload.bin"
	run -0 sevmig-sim ctl "$T/a.sock" secrets
	assert_output --partial "$KEY_GUID "
	run -0 sevmig-sim ctl "$T/a.sock" check
	assert_output --partial "2 VMSAs"
}

@test "a secret built for another launch is refused by the firmware; the guest never gets it and stays launching" {
	sim_run a pa --mem 4M --owner-session "$T/owner" --await-secret
	launch_measure
	# the MEASURE of another launch: a MAC that fails
	real=$blob
	blob=$(python3 -c 'import base64,sys; b=bytearray(base64.b64decode(sys.argv[1])); b[5]^=1; print(base64.b64encode(bytes(b)).decode())' "$real")
	owner_secret
	run -5 --separate-stderr sevmig-sim ctl "$T/a.sock" inject-secret "$T/hdr.bin" "$T/payload.bin"
	assert_equal "$stderr" "sevmig-sim: vmm refused 'launch-secret': LAUNCH_SECRET failed: Input/output error (firmware: BAD_MEASUREMENT)"
	assert_equal "$(sim_status a 'vmm state')" launching
	assert_equal "$(sim_status a 'guest state')" LSECRET
	run -0 sevmig-sim ctl "$T/a.sock" secrets
	assert_output ""
	# the right one still goes in
	blob=$real
	owner_secret
	run -0 sevmig-sim ctl "$T/a.sock" inject-secret "$T/hdr.bin" "$T/payload.bin"
	run -0 sevmig-sim ctl "$T/a.sock" secrets
	assert_output --partial "$KEY_GUID "
}

@test "a launching guest cannot be paused or exported, and finish comes after launch-measure" {
	sim_run a pa --mem 4M --await-secret
	run -5 --separate-stderr sevmig-sim ctl "$T/a.sock" pause
	assert_equal "$stderr" "sevmig-sim: vmm refused 'pause': the guest is still launching: its owner has not finished (sevmig-sim ctl SOCK finish, or inject-secret)"
	sim_platform pb
	run -5 --separate-stderr sevmig-export -c "$T/pb" --ark "$T/pb/ark.cert" -o "$T/x.sevmig" "$T/a.sock"
	assert_equal "${stderr_lines[-1]}" "sevmig-export: cannot pause VM '$T/a.sock': VM '$T/a.sock' is launching, not running"
	[ ! -e "$T/x.sevmig" ]
	assert_equal "$(sim_status a 'guest state')" LUPDATE
	run -5 --separate-stderr sevmig-sim ctl "$T/a.sock" finish
	assert_equal "$stderr" "sevmig-sim: vmm refused 'launch-finish': finish: no launch-measure yet (LAUNCH_FINISH follows LAUNCH_MEASURE)"
	run -0 sevmig-sim ctl "$T/a.sock" launch-measure
	run -0 sevmig-sim ctl "$T/a.sock" finish
	assert_equal "$(sim_status a 'vmm state')" running
	run -0 sevmig-sim ctl "$T/a.sock" check
	# LAUNCH_SECRET after LAUNCH_FINISH: the guest is not launching any more
	head -c 52 /dev/zero >"$T/h"
	head -c 64 /dev/zero >"$T/p"
	run -5 --separate-stderr sevmig-sim ctl "$T/a.sock" inject-secret "$T/h" "$T/p"
	assert_equal "$stderr" "sevmig-sim: vmm refused 'launch-secret': inject-secret: the guest is not launching (the VMM is running; only sevmig-sim run --await-secret waits for its owner)"
}

@test "run: launch options with --incoming, and a firmware image that is not 16-byte aligned, are refused" {
	run -2 --separate-stderr sevmig-sim run --platform "$T/pa" --socket "$T/x.sock" --mem 4M --incoming --await-secret
	assert_equal "${stderr_lines[0]}" "sevmig-sim: --owner-session, --firmware and --await-secret launch a guest; an --incoming VMM receives one (or, with --mh, is launched to receive one through its helper)"
	printf 'abc' >"$T/fw.bin"
	run -2 --separate-stderr sevmig-sim run --platform "$T/pa" --socket "$T/x.sock" --mem 4M --firmware "$T/fw.bin"
	assert_equal "$stderr" "sevmig-sim: firmware image '$T/fw.bin' is 3 bytes: LAUNCH_UPDATE_DATA measures multiples of 16"
	run -4 --separate-stderr sevmig-sim run --platform "$T/pa" --socket "$T/x.sock" --mem 4M --owner-session "$T/nothing"
	[[ "$stderr" == "sevmig-sim: "*"/nothing/vm_godh.b64"* ]]
	[ ! -e "$T/x.sock" ]
}
