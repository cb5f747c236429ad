#!/usr/bin/env bats
# sevmig-certs fetch from this host (local, /dev/sev), from files and from
# a simulated host directory, and bad source strings.

load helpers
load fetch
bats_require_minimum_version 1.8.0

setup() {
	need_fetch
	T=$BATS_TEST_TMPDIR
}

teardown() {
	fetch_stop_all
}

@test "local without the SEV device: exit 6 naming the device" {
	SEVMIG_SEV_DEVICE=$T/no-sev run --separate-stderr sevmig-certs fetch local
	assert_failure 6
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: cannot open SEV device '$T/no-sev': No such file or directory"
}

@test "the default source is local" {
	SEVMIG_SEV_DEVICE=$T/no-sev run --separate-stderr sevmig-certs fetch
	assert_failure 6
	assert_equal "$stderr" "sevmig-certs: cannot open SEV device '$T/no-sev': No such file or directory"
}

@test "a device that is not a SEV device: exit 6 naming it" {
	SEVMIG_SEV_DEVICE=/dev/null run --separate-stderr sevmig-certs fetch local
	assert_failure 6
	assert_equal "$stderr" "sevmig-certs: SEV_ISSUE_CMD PLATFORM_STATUS on '/dev/null' failed: Inappropriate ioctl for device"
}

@test "an unknown source is a usage error listing the forms" {
	run --separate-stderr sevmig-certs fetch "ftp://x"
	assert_failure 2
	assert_output ""
	assert_equal "${stderr_lines[0]}" "sevmig-certs: unknown certificate source 'ftp://x': expected local, qmp:PATH, file:PATH, ssh://[user@]host[:port][/SOURCE], sim:DIR or vm:SOCK"
}

@test "file:DIR of a signed chain gets the built-in ASK and ARK and verifies" {
	need_amd_certs
	run --separate-stderr sevmig-certs fetch -o "$T/b.json" \
		"file:$VIRTEE/tests-rome"
	assert_success
	assert_equal "$stderr" ""
	run -0 sevmig-certs verify "$T/b.json"
	assert_line "product: rome"
	run -0 grep -c '"ask": ' "$T/b.json"
	run -0 grep -c '"ark": ' "$T/b.json"
}

@test "file: with an unsigned CEK and no chip id fails with exit 3 saying why" {
	need_amd_certs
	cat "$VIRTEE/tests-naples/pek.cert" "$VIRTEE/tests-naples/oca.cert" \
		"$VIRTEE/naples-cek-unsigned/cek.uns.cert" >"$T/pek_oca_cek.cert"
	run --separate-stderr sevmig-certs fetch "file:$T/pek_oca_cek.cert"
	assert_failure 3
	assert_output ""
	assert_regex "$stderr" "^sevmig-certs: CEK from '.*' is unsigned and the chip id is unknown: cannot get the signed CEK from the KDS\$"
}

# A simulated host's layout, filled with the real Milan chain and roots.
make_sim_dir() {
	mkdir -p "$1"
	for c in pdh pek oca cek; do
		cp "$VIRTEE/tests-milan/$c.cert" "$1/$c.cert"
	done
	cp "$VIRTEE/builtin-milan/ask.cert" "$VIRTEE/builtin-milan/ark.cert" "$1/"
}

@test "sim:DIR trusts the simulated host's own ARK" {
	need_amd_certs
	make_sim_dir "$T/sim"
	run --separate-stderr sevmig-certs fetch -o "$T/b.json" "sim:$T/sim"
	assert_success
	assert_equal "$stderr" ""
	run -0 sevmig-certs verify --ark "$T/sim/ark.cert" "$T/b.json"
	run -0 grep -c "\"source\": \"sim:$T/sim\"" "$T/b.json"
}

@test "sim:DIR without its ark.cert fails naming the file" {
	need_amd_certs
	make_sim_dir "$T/sim"
	rm "$T/sim/ark.cert"
	run --separate-stderr sevmig-certs fetch "sim:$T/sim"
	assert_failure
	assert_output ""
	assert_regex "$stderr" "^sevmig-certs: .*'$T/sim/ark.cert'"
}

# bats test_tags=hw
@test "local on SEV hardware gives a bundle that verifies" {
	[ -c /dev/sev ] || skip "no /dev/sev on this host"
	[ "${SEVMIG_HW:-}" = 1 ] || skip "set SEVMIG_HW=1 for hardware tests"
	run --separate-stderr sevmig-certs fetch -o "$T/b.json" local
	assert_success
	run -0 sevmig-certs verify "$T/b.json"
}
