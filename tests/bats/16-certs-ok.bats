#!/usr/bin/env bats
# sevmig-certs ok: the host preflight.  Hardware is faked under a directory
# named by the test hook SEVMIG_OK_ROOT (fw/preflight.h), so these tests
# do not depend on what this machine has: an empty root is a host with no
# KVM, no SEV and no misc cgroup; files laid out under it are the pieces.

load helpers
load sim-platform
bats_require_minimum_version 1.8.0

R=$BATS_TEST_TMPDIR/root

# A fake host: the kernel version, and with "full" kvm_amd's parameters,
# the misc cgroup and CAP_IPC_LOCK.
fake_host() {
	mkdir -p "$R/proc/sys/kernel" "$R/proc/self"
	echo "${KERNEL:-6.1.0-13-amd64}" >"$R/proc/sys/kernel/osrelease"
	echo "CapEff:	0000000000000000" >"$R/proc/self/status"
	[ "${1:-}" = full ] || return 0
	mkdir -p "$R/sys/module/kvm_amd/parameters" "$R/sys/fs/cgroup" "$R/dev"
	echo Y >"$R/sys/module/kvm_amd/parameters/sev"
	echo Y >"$R/sys/module/kvm_amd/parameters/sev_es"
	echo N >"$R/sys/module/kvm_amd/parameters/sev_snp"
	printf 'sev 509\nsev_es 0\n' >"$R/sys/fs/cgroup/misc.capacity"
	printf 'sev 3\nsev_es 0\n' >"$R/sys/fs/cgroup/misc.current"
	echo "CapEff:	000001ffffffffff" >"$R/proc/self/status"
}

# The JSON's "missing", one name a line.
missing() {
	python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["missing"]))' <<<"$output"
}

@test "ok: a host without KVM, SEV or ASIDs fails, names each missing piece with its fix, exit 1" {
	fake_host
	run -1 --separate-stderr env SEVMIG_OK_ROOT="$R" bash -c 'ulimit -l 64; sevmig-certs ok'
	assert_equal "$stderr" ""
	assert_line "[ OK ] kernel: Linux 6.1.0-13-amd64"
	assert_line "[FAIL] dev_kvm: cannot open KVM device '$R/dev/kvm': No such file or directory"
	assert_line "       fix: load kvm_amd (modprobe kvm_amd) on an AMD host with SVM enabled in the firmware setup, and give the user read and write access to $R/dev/kvm (the kvm group)"
	assert_line "[FAIL] kvm_sev: cannot read '$R/sys/module/kvm_amd/parameters/sev': No such file or directory (kvm_amd not loaded)"
	assert_line "[FAIL] dev_sev: cannot open SEV device '$R/dev/sev': No such file or directory"
	assert_line "       fix: load the PSP driver (modprobe ccp) with SEV enabled in the firmware setup, and give the user read and write access to $R/dev/sev"
	assert_line "[FAIL] memlock: RLIMIT_MEMLOCK 64 KiB, without CAP_IPC_LOCK"
	assert_line --partial "       fix: run with CAP_IPC_LOCK or an unlimited memlock limit (ulimit -l unlimited"
	assert_line "[FAIL] misc_sev_asids: no 'sev' in '$R/sys/fs/cgroup/misc.capacity'"
	assert_line "SEV guests: cannot export or import (missing: dev_kvm, kvm_sev, dev_sev, memlock, misc_sev_asids)"
	assert_line "SEV-ES guests: cannot export or import (missing: dev_kvm, kvm_sev_es, dev_sev, memlock, misc_sev_es_asids)"
	assert_line "SEV-SNP guests: cannot export or import (missing: dev_kvm, kvm_sev_snp, dev_sev, memlock); sevmig has no SEV-SNP migration method yet (issue 17)"
	# the KVM capabilities are only asked of a KVM that opened
	refute_line --partial "kvm_cap_206"
}

@test "ok -J: the JSON names each missing piece and exits 1" {
	fake_host
	run -1 --separate-stderr env SEVMIG_OK_ROOT="$R" bash -c 'ulimit -l 64; sevmig-certs ok -J'
	assert_equal "$stderr" ""
	run -0 missing
	assert_output "dev_kvm
kvm_sev
kvm_sev_es
kvm_sev_snp
dev_sev
memlock
misc_sev_asids
misc_sev_es_asids"
	run -1 env SEVMIG_OK_ROOT="$R" bash -c 'ulimit -l 64; sevmig-certs ok -J'
	run -0 python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["schema"] == "sevmig-certs-ok/1" and r["ok"] is False, r
assert r["can"] == {"sev": False, "sev-es": False, "sev-snp": False}, r["can"]
c = {x["name"]: x for x in r["checks"]}
assert c["kernel"]["ok"] and "fix" not in c["kernel"]
assert c["dev_sev"]["needed_for"] == ["sev", "sev-es", "sev-snp"]
assert c["dev_kvm"]["fix"].startswith("load kvm_amd")
print("ok")' <<<"$output"
}

@test "ok: an old kernel, a device that is not KVM, used-up SEV-ES ASIDs are each named" {
	KERNEL=5.10.0-28-amd64 fake_host full
	: >"$R/dev/kvm"
	run -1 --separate-stderr env SEVMIG_OK_ROOT="$R" sevmig-certs ok
	assert_line "[FAIL] kernel: Linux 5.10.0-28-amd64"
	assert_line "       fix: boot Linux 5.11 or later (KVM's SEV send and receive commands)"
	assert_line "[FAIL] dev_kvm: '$R/dev/kvm' is not a KVM device: KVM_GET_API_VERSION: Inappropriate ioctl for device"
	assert_line "[ OK ] kvm_sev: kvm_amd sev=Y"
	assert_line "[FAIL] kvm_sev_snp: kvm_amd sev_snp=N"
	assert_line --regexp '^\[ OK \] memlock: RLIMIT_MEMLOCK .*, with CAP_IPC_LOCK$'
	assert_line "[ OK ] misc_sev_asids: 506 of 509 SEV ASIDs free"
	assert_line "[FAIL] misc_sev_es_asids: 0 of 0 SEV-ES ASIDs free"
	assert_line --partial "every SEV-ES ASID is in use ($R/sys/fs/cgroup/misc.current)"
}

@test "ok: on this machine, without /dev/kvm and /dev/sev, the JSON names them and exits 1" {
	[ ! -e /dev/kvm ] && [ ! -e /dev/sev ] || skip "this host has /dev/kvm or /dev/sev"
	run -1 --separate-stderr sevmig-certs ok -J
	run -0 missing
	assert_line dev_kvm
	assert_line dev_sev
}

@test "ok --sim: a simulated host can export and import SEV and SEV-ES guests, exit 0" {
	sim_platform "$BATS_TEST_TMPDIR/h"
	run -0 --separate-stderr sevmig-certs ok --sim "$BATS_TEST_TMPDIR/h"
	assert_equal "$stderr" ""
	assert_line --regexp "^\[ OK \] sim_platform: simulated PSP: [a-z]+, API [0-9]+\.[0-9]+ build [0-9]+, PDH and chain present$"
	assert_line "SEV guests: can export and import"
	assert_line "SEV-ES guests: can export and import"
	assert_line "SEV-SNP guests: cannot export or import: sevmig has no SEV-SNP migration method yet (issue 17)"
	run -0 sevmig-certs ok -J --sim "$BATS_TEST_TMPDIR/h"
	run -0 python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["ok"], r["missing"], r["can"])' <<<"$output"
	assert_output "True [] {'sev': True, 'sev-es': True, 'sev-snp': False}"
	run -0 sevmig-certs ok -q --sim "$BATS_TEST_TMPDIR/h"
	assert_output ""
}

@test "ok --sim: a platform without SEV-ES, and a missing one, fail and say why" {
	sim_platform "$BATS_TEST_TMPDIR/h" --no-es
	run -1 sevmig-certs ok --sim "$BATS_TEST_TMPDIR/h"
	assert_line "[FAIL] sim_es: SEV-ES: no"
	assert_line "SEV guests: can export and import"
	assert_line "SEV-ES guests: cannot export or import (missing: sim_es)"
	run -1 sevmig-certs ok --sim "$BATS_TEST_TMPDIR/none"
	assert_line --partial "[FAIL] sim_platform: "
	assert_line --partial "$BATS_TEST_TMPDIR/none"
	assert_line "       fix: make it with sevmig-sim platform init '$BATS_TEST_TMPDIR/none'"
}

@test "ok: an operand is a usage error" {
	run -2 --separate-stderr sevmig-certs ok /dev/kvm
	assert_equal "$stderr" "sevmig-certs: too many arguments
Try 'sevmig-certs ok --help' for more information."
}
