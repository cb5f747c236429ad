#!/usr/bin/env bats
# sevmig-sim platform init: a simulated SEV host directory whose chain
# verifies against its own ARK only.  Chains are checked with the
# sim-chain-verify test helper (sm_chain_verify, as 'sevmig-certs verify
# --ark ARK DIR' does) until sevmig-certs is on main.

load helpers
load sim-platform
bats_require_minimum_version 1.8.0

# One 2048-bit simulated AMD per file, shared with --ark-from where a
# test does not need its own: a 4096-bit ARK takes seconds to make.
setup_file() {
	AMD=$(sim_amd)
	export AMD
}

@test "platform init writes every certificate, key and platform.json, silently" {
	run --separate-stderr sevmig-sim platform init --ark-from "$AMD" "$BATS_TEST_TMPDIR/h"
	assert_success
	assert_output ''
	[ -z "$stderr" ]
	local n
	for n in ark ask cek oca pek pdh; do
		[ -f "$BATS_TEST_TMPDIR/h/$n.cert" ]
		[ "$(stat -c %a "$BATS_TEST_TMPDIR/h/$n.key")" = 600 ]
	done
	for n in cek oca pek pdh; do
		[ "$(stat -c %s "$BATS_TEST_TMPDIR/h/$n.cert")" = 2084 ]
	done
	run -0 grep -c '"product": "milan"\|"api_major": 1\|"api_minor": 55\|"es": true' "$BATS_TEST_TMPDIR/h/platform.json"
	assert_output 4
}

@test "two hosts each verify with their own ARK and fail with the other's and with AMD's" {
	local a=$BATS_TEST_TMPDIR/a b=$BATS_TEST_TMPDIR/b
	run -0 sevmig-sim platform init --ark-bits 2048 "$a"
	run -0 sevmig-sim platform init --ark-bits 2048 "$b"
	run -0 sim-chain-verify --ark "$a/ark.cert" "$a"
	run -0 sim-chain-verify --ark "$b/ark.cert" "$b"
	run -3 --separate-stderr sim-chain-verify --ark "$b/ark.cert" "$a"
	assert_equal "$stderr" "sim-chain-verify: certificate chain verification failed: ARK is trusted: ARK is not the root given with --ark"
	run -3 --separate-stderr sim-chain-verify --ark "$a/ark.cert" "$b"
	assert_equal "$stderr" "sim-chain-verify: certificate chain verification failed: ARK is trusted: ARK is not the root given with --ark"
	# AMD's built-in roots
	run -3 --separate-stderr sim-chain-verify "$a"
	assert [ -n "$stderr" ]
	run -3 sim-chain-verify "$b"
}

@test "sevmig-certs verify accepts each host with its own --ark only, never with AMD's roots" {
	command -v sevmig-certs >/dev/null || skip "sevmig-certs is not built on this branch yet"
	local a=$BATS_TEST_TMPDIR/a b=$BATS_TEST_TMPDIR/b
	run -0 sevmig-sim platform init --ark-bits 2048 "$a"
	run -0 sevmig-sim platform init --ark-bits 2048 "$b"
	run -0 sevmig-certs verify --ark "$a/ark.cert" "$a"
	run -0 sevmig-certs verify --ark "$b/ark.cert" "$b"
	run -3 --separate-stderr sevmig-certs verify --ark "$b/ark.cert" "$a"
	[[ $stderr == *"ARK is not the root given with --ark"* ]]
	run -3 --separate-stderr sevmig-certs verify --ark "$a/ark.cert" "$b"
	[[ $stderr == *"ARK is not the root given with --ark"* ]]
	run -3 sevmig-certs verify "$a"
	run -3 sevmig-certs verify --product milan "$b"
}

@test "the default ARK for milan is RSA-4096, for naples RSA-2048, as AMD's" {
	run -0 sevmig-sim platform init "$BATS_TEST_TMPDIR/m"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/m/ark.cert")" = 1600 ]
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/m/ask.cert")" = 1600 ]
	run -0 sevmig-sim platform init --product naples --api 0.17 "$BATS_TEST_TMPDIR/n"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/n/ark.cert")" = 832 ]
	run -0 grep -c '"product": "naples"\|"api_minor": 17' "$BATS_TEST_TMPDIR/n/platform.json"
	assert_output 2
	run -0 sim-chain-verify --ark "$BATS_TEST_TMPDIR/n/ark.cert" "$BATS_TEST_TMPDIR/n"
}

@test "--ark-from shares one simulated AMD: both hosts verify with its ARK" {
	local amd=$AMD h=$BATS_TEST_TMPDIR/h
	run -0 sevmig-sim platform init --ark-from "$amd" "$h"
	cmp "$amd/ark.cert" "$h/ark.cert"
	cmp "$amd/ask.cert" "$h/ask.cert"
	run -0 sim-chain-verify --ark "$amd/ark.cert" "$h"
	# its own chip and owner
	run -1 cmp -s "$amd/cek.cert" "$h/cek.cert"
	run -1 cmp -s "$amd/oca.cert" "$h/oca.cert"
}

@test "--oca-from shares the owner: same OCA, own PEK and PDH" {
	local amd=$AMD h=$BATS_TEST_TMPDIR/h
	run -0 sevmig-sim platform init --ark-from "$amd" --oca-from "$amd" "$h"
	cmp "$amd/oca.cert" "$h/oca.cert"
	cmp "$amd/oca.key" "$h/oca.key"
	run -1 cmp -s "$amd/pek.cert" "$h/pek.cert"
	run -0 sim-chain-verify --ark "$amd/ark.cert" "$h"
}

@test "--no-es and --api are recorded in platform.json" {
	run -0 sim_platform "$BATS_TEST_TMPDIR/h" --no-es --api 0.24
	run -0 grep -c '"es": false\|"api_major": 0\|"api_minor": 24' "$BATS_TEST_TMPDIR/h/platform.json"
	assert_output 3
}

@test "platform init refuses a directory that is not empty and leaves it alone" {
	mkdir "$BATS_TEST_TMPDIR/h"
	echo keep >"$BATS_TEST_TMPDIR/h/file"
	run -2 --separate-stderr sevmig-sim platform init --ark-from "$AMD" "$BATS_TEST_TMPDIR/h"
	assert_equal "$stderr" "sevmig-sim: creating platform '$BATS_TEST_TMPDIR/h': directory is not empty"
	run -0 ls "$BATS_TEST_TMPDIR/h"
	assert_output file
}

@test "a missing --ark-from host fails with exit 4 and leaves no directory" {
	run -4 --separate-stderr sevmig-sim platform init --ark-from "$BATS_TEST_TMPDIR/none" "$BATS_TEST_TMPDIR/h"
	assert_equal "$stderr" "sevmig-sim: creating platform '$BATS_TEST_TMPDIR/h': cannot open '$BATS_TEST_TMPDIR/none/ark.cert': No such file or directory"
	[ ! -e "$BATS_TEST_TMPDIR/h" ]
}

@test "an --oca-from host without an OCA fails and leaves no files" {
	mkdir "$BATS_TEST_TMPDIR/h"
	run -4 --separate-stderr sevmig-sim platform init --ark-from "$AMD" --oca-from "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/h"
	assert_equal "$stderr" "sevmig-sim: creating platform '$BATS_TEST_TMPDIR/h': cannot open '$BATS_TEST_TMPDIR/oca.cert': No such file or directory"
	run -0 ls -A "$BATS_TEST_TMPDIR/h"
	assert_output ''
}

@test "bad platform init arguments exit 2 with the try-help line" {
	local try="Try 'sevmig-sim platform --help' for more information."
	run -2 --separate-stderr sevmig-sim platform init --api 1 "$BATS_TEST_TMPDIR/h"
	assert_equal "$stderr" "sevmig-sim: bad API version '1'"$'\n'"$try"
	run -2 --separate-stderr sevmig-sim platform init --api 1.256 "$BATS_TEST_TMPDIR/h"
	assert_equal "$stderr" "sevmig-sim: bad API version '1.256'"$'\n'"$try"
	run -2 --separate-stderr sevmig-sim platform init --product zen "$BATS_TEST_TMPDIR/h"
	assert_equal "$stderr" "sevmig-sim: bad product 'zen'"$'\n'"$try"
	run -2 --separate-stderr sevmig-sim platform init --ark-bits 1024 "$BATS_TEST_TMPDIR/h"
	assert_equal "$stderr" "sevmig-sim: bad ARK size (2048 or 4096) '1024'"$'\n'"$try"
	run -2 --separate-stderr sevmig-sim platform init --ark-bits 2048 --ark-from "$AMD" "$BATS_TEST_TMPDIR/h"
	assert_equal "$stderr" "sevmig-sim: --ark-bits and --ark-from exclude each other"$'\n'"$try"
	run -2 --separate-stderr sevmig-sim platform init
	assert_equal "$stderr" "sevmig-sim: platform init: no directory given"$'\n'"$try"
	run -2 --separate-stderr sevmig-sim platform init a b
	assert_equal "$stderr" "sevmig-sim: platform init: too many arguments"$'\n'"$try"
	run -2 --separate-stderr sevmig-sim platform frob x
	assert_equal "$stderr" "sevmig-sim: platform: unknown command 'frob' (commands: init report)"$'\n'"$try"
	[ ! -e "$BATS_TEST_TMPDIR/h" ]
}

@test "an unknown sevmig-sim command lists the commands and exits 2" {
	run -2 --separate-stderr sevmig-sim frob
	assert_equal "$stderr" "sevmig-sim: unknown command 'frob' (commands: platform run ctl)"$'\n'"Try 'sevmig-sim --help' for more information."
	assert_output ''
}
