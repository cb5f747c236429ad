#!/usr/bin/env bats
# sevmig-certs fetch: what the command adds around lib/fetch/fetch.c (verify
# before printing, -o, trust for sim: and --ark).  KDS, QMP and ssh
# transports are tested in 11-certs-fetch-*.

load helpers
load certs
load sim-platform
bats_require_minimum_version 1.8.0

setup() {
	need_amd_certs
	T=$BATS_TEST_TMPDIR
}

@test "fetch file:DIR prints a bundle that verifies, with the product and built-in ASK/ARK" {
	chain_dir milan "$T/m"
	run -0 --separate-stderr bash -c "sevmig-certs fetch 'file:$T/m' > '$T/b.json'"
	[ -z "$stderr" ]
	assert_equal "$(json_get "$T/b.json" 'd["schema"]')" "sevmig-certs/1"
	assert_equal "$(json_get "$T/b.json" 'd["product"]')" "milan"
	assert_equal "$(json_get "$T/b.json" 'sorted(k for k in d if len(k) == 3)')" "['ark', 'ask', 'cek', 'oca', 'pdh', 'pek']"
	run -0 sevmig-certs verify "$T/b.json"
	mkdir "$T/out"
	run -0 sevmig-certs split --dir "$T/out" "$T/b.json"
	cmp "$T/out/ark.cert" "$VIRTEE/builtin-milan/ark.cert"
	cmp "$T/out/pdh.cert" "$VIRTEE/tests-milan/pdh.cert"
}

@test "fetch prints no bundle and exits 3 when the chain does not verify" {
	chain_dir rome "$T/r"
	flip_byte "$T/r/pek.cert" 0x41C
	run -3 --separate-stderr sevmig-certs fetch "file:$T/r"
	[ -z "$output" ]
	assert_equal "$stderr" "sevmig-certs: chain from 'file:$T/r' not printed: certificate chain verification failed: OCA signs PEK: bad OCA signature on the PEK in slot 1"
	run -3 --separate-stderr sevmig-certs fetch -o "$T/b.json" "file:$T/r"
	[ ! -e "$T/b.json" ]
	chain_dir rome "$T/r2"
	run -3 --separate-stderr sevmig-certs fetch --product naples "file:$T/r2"
	[ -z "$output" ]
}

@test "fetch -o writes the bundle to a file and nothing to stdout" {
	chain_dir naples "$T/n"
	run -0 --separate-stderr sevmig-certs fetch -o "$T/b.json" "file:$T/n"
	[ -z "$output" ] && [ -z "$stderr" ]
	sevmig-certs fetch "file:$T/n" > "$T/stdout.json"
	cmp "$T/b.json" "$T/stdout.json"
	[ -z "$(find "$T" -name 'b.json.tmp.*')" ]
}

@test "fetch sim:DIR is verified against that host's own ARK, not AMD's" {
	sim_platform "$T/a" >/dev/null
	run -0 --separate-stderr bash -c "sevmig-certs fetch 'sim:$T/a' > '$T/a.json'"
	run -0 sevmig-certs verify --ark "$T/a/ark.cert" "$T/a.json"
	run -3 --separate-stderr sevmig-certs verify "$T/a.json"
	assert_line "failed   ARK is trusted: no trusted root: the product is unknown (name it with --product, or give --ark)"
	# --ark naming AMD's real root instead: no bundle
	run -3 --separate-stderr sevmig-certs fetch --ark "$VIRTEE/builtin-milan/ark.cert" "sim:$T/a"
	[ -z "$output" ]
	assert_equal "$stderr" "sevmig-certs: chain from 'sim:$T/a' not printed: certificate chain verification failed: ARK is trusted: ARK is not the root given with --ark"
}

@test "fetch local without /dev/sev exits 6 naming the device" {
	[ ! -e /dev/sev ] || skip "this host has /dev/sev"
	run -6 --separate-stderr sevmig-certs fetch
	[ -z "$output" ]
	[[ $stderr == "sevmig-certs: "*"'/dev/sev'"* ]]
	run -6 --separate-stderr sevmig-certs fetch local
}

@test "fetch: an unknown source is a usage error" {
	run -2 --separate-stderr sevmig-certs fetch gopher://x
	assert_equal "$stderr" "sevmig-certs: unknown certificate source 'gopher://x': expected local, qmp:PATH, file:PATH, ssh://[user@]host[:port][/SOURCE], sim:DIR or vm:SOCK"
}
