#!/usr/bin/env bats
# shellcheck disable=SC2154 # $stderr comes from bats' run --separate-stderr
# The real KVM backend (lib/fw/fw-kvm.c) on this very host, through the
# fw-kvm-probe helper: the exact error of every step where KVM exists but
# SEV does not, skips with a reason where /dev/kvm is absent, and real-SEV
# checks tagged hw (run with SEVMIG_HW=1 on a host with /dev/sev).

load helpers
bats_require_minimum_version 1.8.0

need_kvm() {
	[ -e /dev/kvm ] || skip "no /dev/kvm on this host"
	{ [ -r /dev/kvm ] && [ -w /dev/kvm ]; } ||
		skip "no read-write access to /dev/kvm"
}

need_sev_hw() {
	[ "${SEVMIG_HW:-}" = 1 ] || skip "hardware test: set SEVMIG_HW=1"
	[ -e /dev/sev ] || skip "no /dev/sev on this host"
	need_kvm
}

# Facts of this host's KVM, as 'fw-kvm-probe caps' reports them.
kvm_has_sev() {
	fw-kvm-probe caps | grep -qx 'sev-in-kvm yes'
}

kvm_has_move() {
	fw-kvm-probe caps | grep -qx 'move-enc-context-cap supported'
}

no_sev_in_kvm="KVM on this host has no SEV support"
no_sev_dev="No such file or directory; this host has no SEV firmware interface (ccp driver not loaded, or SEV disabled in the BIOS)"

@test "a missing KVM device is unsupported and named" {
	run -6 --separate-stderr fw-kvm-probe --kvm "$BATS_TEST_TMPDIR/kvm" caps
	assert_output ''
	assert_equal "$stderr" "fw-kvm-probe: cannot open KVM device '$BATS_TEST_TMPDIR/kvm': No such file or directory"
}

@test "a device that is not KVM is refused at KVM_GET_API_VERSION" {
	run -6 --separate-stderr fw-kvm-probe --kvm /dev/null caps
	assert_output ''
	assert_equal "$stderr" "fw-kvm-probe: '/dev/null' is not a KVM device: KVM_GET_API_VERSION: Inappropriate ioctl for device"
}

@test "PLATFORM_STATUS without an SEV device is unsupported and names it" {
	run -6 --separate-stderr fw-kvm-probe --sev "$BATS_TEST_TMPDIR/sev" platform-status
	assert_output ''
	assert_equal "$stderr" "fw-kvm-probe: cannot open SEV device '$BATS_TEST_TMPDIR/sev': $no_sev_dev"
}

@test "PDH_CERT_EXPORT without an SEV device is unsupported and names it" {
	run -6 --separate-stderr fw-kvm-probe --sev "$BATS_TEST_TMPDIR/sev" pdh-export
	assert_output ''
	assert_equal "$stderr" "fw-kvm-probe: cannot open SEV device '$BATS_TEST_TMPDIR/sev': $no_sev_dev"
}

@test "open-source checks the SEV device before it touches any VM" {
	need_kvm
	run -6 --separate-stderr fw-kvm-probe --sev "$BATS_TEST_TMPDIR/sev" open-source
	assert_output ''
	assert_equal "$stderr" "fw-kvm-probe: cannot open SEV device '$BATS_TEST_TMPDIR/sev': $no_sev_dev"
}

@test "open-receive checks the SEV device before it creates a VM" {
	need_kvm
	run -6 --separate-stderr fw-kvm-probe --sev "$BATS_TEST_TMPDIR/sev" open-receive
	assert_output ''
	assert_equal "$stderr" "fw-kvm-probe: cannot open SEV device '$BATS_TEST_TMPDIR/sev': $no_sev_dev"
}

@test "open-source on a host without /dev/sev names /dev/sev" {
	need_kvm
	[ ! -e /dev/sev ] || skip "this host has /dev/sev"
	run -6 --separate-stderr fw-kvm-probe open-source
	assert_output ''
	assert_equal "$stderr" "fw-kvm-probe: cannot open SEV device '/dev/sev': $no_sev_dev"
}

@test "caps reports the KVM API version and one line per capability" {
	need_kvm
	run -0 --separate-stderr fw-kvm-probe caps
	assert_equal "$stderr" ''
	assert_equal "${#lines[@]}" 4
	assert_equal "${lines[0]}" 'api-version 12'
	assert_regex "${lines[1]}" '^move-enc-context-cap (supported|not supported)$'
	assert_regex "${lines[2]}" '^vm-types 0x[0-9a-f]+$'
	assert_regex "${lines[3]}" '^sev-in-kvm (yes|no \(KVM_MEMORY_ENCRYPT_OP: .+\))$'
}

@test "KVM_SEV_GUEST_STATUS on a plain VM fails with the exact reason" {
	need_kvm
	if kvm_has_sev; then
		run -5 --separate-stderr fw-kvm-probe guest-status
		assert_equal "$stderr" "fw-kvm-probe: KVM_SEV_GUEST_STATUS failed: Inappropriate ioctl for device; this VM has no SEV context"
	else
		run -6 --separate-stderr fw-kvm-probe guest-status
		assert_equal "$stderr" "fw-kvm-probe: KVM_SEV_GUEST_STATUS failed: Inappropriate ioctl for device; $no_sev_in_kvm"
	fi
	assert_output ''
}

@test "the SEND_START length query on a plain VM fails with the exact reason" {
	need_kvm
	if kvm_has_sev; then
		run -5 --separate-stderr fw-kvm-probe send-start-query
		assert_equal "$stderr" "fw-kvm-probe: KVM_SEV_SEND_START failed: Inappropriate ioctl for device; this VM has no SEV context"
	else
		run -6 --separate-stderr fw-kvm-probe send-start-query
		assert_equal "$stderr" "fw-kvm-probe: KVM_SEV_SEND_START failed: Inappropriate ioctl for device; $no_sev_in_kvm"
	fi
	assert_output ''
}

@test "the LAUNCH_MEASURE length query on a plain VM fails with the exact reason" {
	need_kvm
	if kvm_has_sev; then
		run -5 --separate-stderr fw-kvm-probe launch-measure-query
		assert_equal "$stderr" "fw-kvm-probe: KVM_SEV_LAUNCH_MEASURE failed: Inappropriate ioctl for device; this VM has no SEV context"
	else
		run -6 --separate-stderr fw-kvm-probe launch-measure-query
		assert_equal "$stderr" "fw-kvm-probe: KVM_SEV_LAUNCH_MEASURE failed: Inappropriate ioctl for device; $no_sev_in_kvm"
	fi
	assert_output ''
}

@test "LAUNCH_START without an SEV device names the device before any ioctl" {
	need_kvm
	run -6 --separate-stderr fw-kvm-probe --sev "$BATS_TEST_TMPDIR/sev" launch-start
	assert_output ''
	assert_equal "$stderr" "fw-kvm-probe: cannot open SEV device '$BATS_TEST_TMPDIR/sev': $no_sev_dev"
}

@test "open-launch on KVM without SEV stops before KVM_SEV_INIT" {
	need_kvm
	! kvm_has_sev || skip "KVM on this host has SEV"
	run -6 --separate-stderr fw-kvm-probe --sev /dev/null open-launch
	assert_output ''
	assert_equal "$stderr" "fw-kvm-probe: $no_sev_in_kvm: KVM_MEMORY_ENCRYPT_OP: Inappropriate ioctl for device"
}

@test "a VM created by another process answers EIO, decoded as such" {
	need_kvm
	run -5 --separate-stderr fw-kvm-probe foreign-vm
	assert_output ''
	assert_equal "$stderr" "fw-kvm-probe: KVM_SEV_GUEST_STATUS failed: Input/output error; the VM is dead (its context was moved to another VM) or was created by another process"
}

@test "moving the context of a plain VM is refused with the exact reason" {
	need_kvm
	local prefix='^fw-kvm-probe: KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM from VM fd [0-9]+ failed: Invalid argument; '
	if kvm_has_sev; then
		run -5 --separate-stderr fw-kvm-probe move
		assert_regex "$stderr" "${prefix}the source is not an SEV guest, "
	else
		run -6 --separate-stderr fw-kvm-probe move
		assert_regex "$stderr" "${prefix}${no_sev_in_kvm}\$"
	fi
	assert_output ''
}

@test "open-source on KVM without SEV stops before the move" {
	need_kvm
	! kvm_has_sev || skip "KVM on this host has SEV"
	# /dev/null stands in for /dev/sev so that the KVM steps are reached
	run -6 --separate-stderr fw-kvm-probe --sev /dev/null open-source
	assert_output ''
	if kvm_has_move; then
		assert_equal "$stderr" "fw-kvm-probe: $no_sev_in_kvm: KVM_MEMORY_ENCRYPT_OP: Inappropriate ioctl for device"
	else
		assert_equal "$stderr" "fw-kvm-probe: this kernel does not support KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM (206; Linux 5.16 or later)"
	fi
}

@test "open-receive on KVM without SEV stops before KVM_SEV_INIT" {
	need_kvm
	! kvm_has_sev || skip "KVM on this host has SEV"
	run -6 --separate-stderr fw-kvm-probe --sev /dev/null open-receive
	assert_output ''
	assert_equal "$stderr" "fw-kvm-probe: $no_sev_in_kvm: KVM_MEMORY_ENCRYPT_OP: Inappropriate ioctl for device"
}

@test "an unknown probe step is a usage error" {
	run -2 --separate-stderr fw-kvm-probe frobnicate
	assert_output ''
	assert_equal "$stderr" "fw-kvm-probe: unknown step 'frobnicate'"
}

# bats test_tags=hw
@test "hw: KVM on this host handles SEV commands" {
	need_sev_hw
	run -0 --separate-stderr fw-kvm-probe caps
	assert_equal "$stderr" ''
	assert_line 'sev-in-kvm yes'
	assert_line 'move-enc-context-cap supported'
}

# bats test_tags=hw
@test "hw: PLATFORM_STATUS reports the firmware's API version" {
	need_sev_hw
	run -0 --separate-stderr fw-kvm-probe platform-status
	assert_equal "$stderr" ''
	assert_regex "$output" '^api [0-9]+\.[0-9]+ build [0-9]+ state [0-9]+ es (yes|no) guests [0-9]+$'
}

# bats test_tags=hw
@test "hw: PDH_CERT_EXPORT returns a PDH and its PEK, OCA, CEK chain" {
	need_sev_hw
	run -0 --separate-stderr fw-kvm-probe pdh-export
	assert_equal "$stderr" ''
	assert_output 'pdh 2084 bytes, chain 6252 bytes'
}

# bats test_tags=hw
@test "hw: a fresh SEV VM is made ready for RECEIVE_START" {
	need_sev_hw
	run -0 --separate-stderr fw-kvm-probe open-receive
	assert_equal "$stderr" ''
	assert_regex "$output" '^ok: VM fd [0-9]+$'
}

# bats test_tags=hw
@test "hw: KVM_SEV_GUEST_STATUS on a plain VM of an SEV host names the VM" {
	need_sev_hw
	run -5 --separate-stderr fw-kvm-probe guest-status
	assert_output ''
	assert_equal "$stderr" "fw-kvm-probe: KVM_SEV_GUEST_STATUS failed: Inappropriate ioctl for device; this VM has no SEV context"
}

# bats test_tags=hw
@test "hw: LAUNCH_START without an owner session gives a fresh guest a handle" {
	need_sev_hw
	run -0 --separate-stderr fw-kvm-probe open-launch
	assert_equal "$stderr" ''
	assert_regex "$output" '^ok: handle [0-9]+$'
}
