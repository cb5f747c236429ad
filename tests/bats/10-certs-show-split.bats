#!/usr/bin/env bats
# sevmig-certs show and split.

load helpers
load certs
bats_require_minimum_version 1.8.0

setup() {
	need_amd_certs
	T=$BATS_TEST_TMPDIR
}

@test "show: a SEV certificate's fields and fingerprint" {
	run -0 --separate-stderr sevmig-certs show "$VIRTEE/tests-naples/pek.cert"
	[ -z "$stderr" ]
	assert_line "$VIRTEE/tests-naples/pek.cert:"
	assert_line "PEK (SEV certificate)"
	assert_line "  version         1"
	assert_line "  api             0.16"
	assert_line "  usage           PEK (0x1002)"
	assert_line "  algorithm       ECDSA_SHA256 (0x2)"
	assert_line "  key             EC P-384 (EP384 E256)"
	assert_line "  signature 1     by OCA, ECDSA_SHA256"
	assert_line "  signature 2     by CEK, ECDSA_SHA256"
	assert_line "  fingerprint     8d55d63b6792c6ed10e11df7afc7e25d6a0428a6351fb9a806ec4160f2b0f390"
	assert_line --regexp "^  key x           [0-9a-f]{96}$"
}

@test "show: AMD certificates with key ids, and ASK||ARK files" {
	run -0 sevmig-certs show "$VIRTEE/naples-ask_ark/ask_ark.cert"
	assert_line "ASK (AMD certificate)"
	assert_line "ARK (AMD certificate)"
	assert_line "  key id          e139970cfc464377ae61b289e2f9e96e"
	assert_line "  certifying id   1bb987c359494606b174945601c9ea5b"
	assert_line "  key             RSA-2048, exponent 65537 (R2048 R256)"
	assert_line "  signature       RSA-PSS SHA-256 by the ARK"
	assert_line "  signature       RSA-PSS SHA-256 by itself"
	run -0 sevmig-certs show "$VIRTEE/tests-naples/ark.cert.bad"
	assert_line "  signature       none (the unsigned Naples ARK, AMDESE/AMDSEV#17)"
}

@test "show: carries on past bad files and exits non-zero at the end" {
	: > "$T/empty"
	run -3 --separate-stderr sevmig-certs show "$T/empty" "$VIRTEE/tests-rome/oca.cert" "$VIRTEE/naples-2019-early/cek_ask.cert"
	assert_line "OCA (SEV certificate)"
	assert_line "  fingerprint     deae2d45b8d1456c94b514fba0e6f6fb9f13afc9df9ba9670e9c9e9e54b4af6e"
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 2 ]
	[[ $stderr == "sevmig-certs: empty input '$T/empty'"* ]]
	[[ $stderr == *"the 2019 KDS bug AMDESE/AMDSEV#18 (the input was hex text)" ]]
	run -4 --separate-stderr sevmig-certs show "$T/missing" "$VIRTEE/tests-rome/oca.cert"
	assert_line "OCA (SEV certificate)"
}

@test "show -J: one JSON document for all files, errors included" {
	chain_dir milan "$T/m" roots
	make_bundle "$T/m" "$T/b.json" milan
	: > "$T/empty"
	run -3 --separate-stderr bash -c "sevmig-certs show -J '$T/b.json' '$T/empty' > '$T/out.json'"
	python3 -m json.tool "$T/out.json" >/dev/null
	assert_equal "$(json_get "$T/out.json" 'd["schema"]')" "sevmig-certs-show/1"
	assert_equal "$(json_get "$T/out.json" 'len(d["files"])')" "2"
	assert_equal "$(json_get "$T/out.json" 'd["files"][0]["product"]')" "milan"
	assert_equal "$(json_get "$T/out.json" '[c["usage"] for c in d["files"][0]["certificates"]]')" "['PDH', 'PEK', 'OCA', 'CEK', 'ASK', 'ARK']"
	assert_equal "$(json_get "$T/out.json" 'd["files"][0]["certificates"][5]["key_id"]')" "94c38e4177d0479292a7ae671d083fb6"
	assert_equal "$(json_get "$T/out.json" 'd["files"][0]["certificates"][1]["signatures"][1]["usage"]')" "CEK"
	assert_equal "$(json_get "$T/out.json" 'd["files"][1]["error"]')" "empty input '$T/empty'"
}

@test "split: writes the six files of a bundle, byte for byte" {
	chain_dir rome "$T/r" roots
	make_bundle "$T/r" "$T/b.json" rome
	mkdir "$T/out"
	run -0 --separate-stderr sevmig-certs split --dir "$T/out" "$T/b.json"
	[ -z "$output" ] && [ -z "$stderr" ]
	for f in pdh pek oca cek ask ark; do
		cmp "$T/r/$f.cert" "$T/out/$f.cert"
	done
	run -0 sevmig-certs verify "$T/out"
}

@test "split then show: round trip through files and back into a bundle" {
	chain_dir naples "$T/n" roots
	make_bundle "$T/n" "$T/b.json"
	mkdir "$T/out"
	(cd "$T/out" && sevmig-certs split "$T/b.json")
	make_bundle "$T/out" "$T/b2.json"
	cmp "$T/b.json" "$T/b2.json"
	run -0 sevmig-certs show "$T/out/pdh.cert"
	assert_line "  fingerprint     dbec0cf343b140dc7ded571935e8d0ec8059fd1610ddb3c79eb177e7cd3878a2"
}

@test "split: a partial input writes what it holds and warns" {
	mkdir "$T/out"
	run -0 --separate-stderr sevmig-certs split --dir "$T/out" "$VIRTEE/naples-2019-early/pek_oca_cek.cert"
	assert_equal "$stderr" "sevmig-certs: warning: '$VIRTEE/naples-2019-early/pek_oca_cek.cert' does not hold all six certificates"
	[ -f "$T/out/pek.cert" ] && [ -f "$T/out/oca.cert" ] && [ -f "$T/out/cek.cert" ]
	[ ! -e "$T/out/pdh.cert" ]
}

@test "split: a bad bundle writes nothing" {
	mkdir "$T/out"
	printf '{"schema": "sevmig-certs/1", "pdh": "AAAA"}' > "$T/bad.json"
	run -3 --separate-stderr sevmig-certs split --dir "$T/out" "$T/bad.json"
	assert_equal "$stderr" "sevmig-certs: invalid bundle '$T/bad.json': bundle field 'pdh': wrong size 3 bytes, a SEV certificate has 2084"
	[ -z "$(ls -A "$T/out")" ]
	[ ! -e "$T/nodir" ]
	run -3 --separate-stderr sevmig-certs split --dir "$T/nodir" "$T/bad.json"
	[ ! -e "$T/nodir" ]
	run -4 --separate-stderr sevmig-certs split --dir "$T/no/dir" "$VIRTEE/tests-rome/pdh.cert"
	assert_equal "$stderr" "sevmig-certs: cannot create --dir '$T/no/dir' (its parent must exist): No such file or directory"
	[ ! -e "$T/no" ]
}

@test "split: a --dir that does not exist is created" {
	run -0 --separate-stderr sevmig-certs split -v --dir "$T/new" "$VIRTEE/tests-rome/pdh.cert"
	assert_equal "${stderr_lines[0]}" "sevmig-certs: created directory '$T/new'"
	cmp "$T/new/pdh.cert" "$VIRTEE/tests-rome/pdh.cert"
}
