#!/usr/bin/env bats
# sevmig-certs verify against the real AMD chains (shared/testdata).

load helpers
load certs
bats_require_minimum_version 1.8.0

setup() {
	need_amd_certs
	T=$BATS_TEST_TMPDIR
}

@test "verify: each real chain verifies with its own product's built-in roots" {
	local p
	for p in naples rome milan; do
		chain_dir "$p" "$T/$p"
		run -0 --separate-stderr sevmig-certs verify "$T/$p"
		[ -z "$stderr" ]
		assert_line "product: $p"
		assert_line "ok       ASK signs CEK"
		assert_line "ok       ARK is trusted"
		run -0 --separate-stderr sevmig-certs verify --product "$p" "$T/$p"
	done
}

@test "verify: the tree and fingerprints are sevctl's (naples)" {
	chain_dir naples "$T/c"
	run -0 --separate-stderr sevmig-certs verify "$T/c"
	assert_equal "${lines[0]}" "PDH EP384 D256 dbec0cf343b140dc7ded571935e8d0ec8059fd1610ddb3c79eb177e7cd3878a2"
	assert_equal "${lines[1]}" " ⬑ PEK EP384 E256 8d55d63b6792c6ed10e11df7afc7e25d6a0428a6351fb9a806ec4160f2b0f390"
	assert_equal "${lines[2]}" "   •⬑ OCA EP384 E256 70bb8f3702b22e848ef7a5dac704186ee80a889273443b4b5466da9405d4cc03"
	assert_equal "${lines[3]}" "    ⬑ CEK EP384 E256 0f6570c3ddec6b393398084251f6924fcfb7d8fa1779e4e36dbbca30ee0c4f38"
	assert_equal "${lines[4]}" "       ⬑ ASK R2048 R256 5dff2a2a4dd59dc095d73a26af28be523192ade830bdd35bacdd81ee75584c45"
	assert_equal "${lines[5]}" "         •⬑ ARK R2048 R256 8efddcaaf84990cf6354d93637be270220cf15797332b3d918c3b8cc77349f31"
	assert_line " • = self signed, ⬑ = signs, •̷ = invalid self sign, ⬑̸ = invalid signs"
	assert_line "trust: AMD's built-in naples ARK, pinned by SHA-256"
}

@test "verify: the rome and milan fingerprints match sevctl's" {
	chain_dir rome "$T/r"
	run -0 sevmig-certs verify "$T/r"
	assert_line "       ⬑ ASK R4096 R384 d8cd9d1798c311c96e009a91552f17b4ddc4886a064ec933697734965b9ab29db803c79604e2725658f0861bfaf09ad4"
	assert_line "         •⬑ ARK R4096 R384 3d2c1157c29ef7bd4207fc0c8b08db080e579ceba267f8c93bec8dce73f5a5e2e60d959ac37ea82176c1a0c61ae203ed"
	assert_line "PDH EP384 D256 a19ef679477f2256d802ce9054ee6d1145dbeed52998c66ea97499a01d977c54"
	chain_dir milan "$T/m"
	run -0 sevmig-certs verify "$T/m"
	assert_line "       ⬑ ASK R4096 R384 95cba79ba3c77daea79f741bade8156a50b1c59f6d6fda104d16dd264729f5ee8989522f3711fc7c84719921ceb31bc0"
	assert_line "         •⬑ ARK R4096 R384 569da618dfe64015c343db6d975e77b72fdeacd16edd02d9d09b889b8f0f1d91ffa5dfbd86f7ac574a1a7883b7a1e737"
	assert_line "    ⬑ CEK EP384 E256 7ec815c688649cc85c4fdcd712e14e6cf3a7854fac63b0fbf39c103660794e3d"
}

@test "verify: each real chain fails with every other --product, naming the CEK link" {
	local p o
	for p in naples rome milan; do
		chain_dir "$p" "$T/$p"
		for o in "${PRODUCTS[@]}"; do
			[ "$o" = "$p" ] && continue
			run -3 --separate-stderr sevmig-certs verify --product "$o" "$T/$p"
			assert_line "product: $o"
			assert_line --regexp "^failed   ASK signs CEK: "
			assert_line "ok       PEK signs PDH"
			[[ $stderr == "sevmig-certs: certificate chain verification failed: ASK signs CEK: "* ]]
		done
	done
}

@test "verify: a chain with its own ASK and ARK files verifies; another product's fails" {
	chain_dir milan "$T/m" roots
	run -0 sevmig-certs verify "$T/m"
	cp "$VIRTEE/builtin-genoa/"{ask,ark}.cert "$T/m/"
	run -3 --separate-stderr sevmig-certs verify "$T/m"
	assert_line "failed   ASK signs CEK: bad RSA-PSS signature by the ASK on the CEK in slot 1"
	assert_line "ok       ARK signs ASK"
	assert_equal "$stderr" "sevmig-certs: certificate chain verification failed: ASK signs CEK: bad RSA-PSS signature by the ASK on the CEK in slot 1"
}

@test "verify: --ark trusts that root; a different root fails as untrusted" {
	chain_dir rome "$T/r"
	run -0 sevmig-certs verify --ark "$VIRTEE/builtin-rome/ark.cert" "$T/r"
	assert_line "trust: the ARK in '$VIRTEE/builtin-rome/ark.cert' (--ark)"
	cp "$VIRTEE/builtin-rome/"{ask,ark}.cert "$T/r/"
	run -3 --separate-stderr sevmig-certs verify --ark "$VIRTEE/builtin-milan/ark.cert" "$T/r"
	assert_line "failed   ARK is trusted: ARK is not the root given with --ark"
	run -3 --separate-stderr sevmig-certs verify --ark "$VIRTEE/tests-rome/pdh.cert" "$T/r"
	assert_equal "$stderr" "sevmig-certs: no ARK in '$VIRTEE/tests-rome/pdh.cert' given with --ark"
}

@test "verify: an unsigned CEK is reported as unsigned, not as a bad signature" {
	chain_dir naples "$T/c"
	cp "$VIRTEE/naples-cek-unsigned/cek.uns.cert" "$T/c/cek.cert"
	run -3 --separate-stderr sevmig-certs verify --product naples "$T/c"
	assert_line "unsigned ASK signs CEK: CEK is unsigned (both slots empty, as PDH_CERT_EXPORT returns it): the KDS-signed CEK is needed"
	assert_line "ok       CEK signs PEK"
	assert_equal "$stderr" "sevmig-certs: certificate chain verification failed: ASK signs CEK: CEK is unsigned (both slots empty, as PDH_CERT_EXPORT returns it): the KDS-signed CEK is needed"
}

@test "verify: the unsigned Naples ARK (AMDSEV#17) is completed from the pin, with a warning" {
	chain_dir naples "$T/c"
	cp "$VIRTEE/builtin-naples/ask.cert" "$T/c/"
	cp "$VIRTEE/tests-naples/ark.cert.bad" "$T/c/ark.cert"
	run -0 --separate-stderr sevmig-certs verify "$T/c"
	assert_equal "$stderr" "sevmig-certs: warning: ARK signs itself: the unsigned Naples ARK (AMDESE/AMDSEV#17) was checked with the pinned built-in signature"
	assert_line "ok       ARK is trusted"
}

@test "verify: an unsigned ARK that is not AMD's is refused, naming AMDSEV#17" {
	chain_dir naples "$T/c"
	cp "$VIRTEE/builtin-naples/ask.cert" "$T/c/"
	cp "$VIRTEE/tests-naples/ark.cert.bad" "$T/c/ark.cert"
	flip_byte "$T/c/ark.cert" 0x100
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	assert_line "failed   ARK signs itself: unsigned 576-byte ARK is not AMD's Naples ARK, so no pinned signature can complete it (AMDESE/AMDSEV#17)"
	assert_line "failed   ARK is trusted: ARK is not AMD's built-in naples root"
}

@test "verify: the zero-padded Naples ARK (ark.cert.fixed) fails its self-signature" {
	chain_dir naples "$T/c"
	cp "$VIRTEE/naples-2019-early/ask.cert" "$T/c/"
	cp "$VIRTEE/naples-2019-early/ark.cert.fixed" "$T/c/ark.cert"
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	assert_line "failed   ARK signs itself: ARK signature is all zeros"
	assert_line "failed   ARK is trusted: ARK is not AMD's built-in naples root"
	assert_line "ok       ARK signs ASK"
}

@test "verify: the 2019 hex-text CEK with SIG2 usage 0x0010 (AMDSEV#18) is refused precisely" {
	chain_dir naples "$T/c"
	cp "$VIRTEE/naples-2019-early/cek_ask.cert" "$T/c/cek.cert"
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	assert_equal "$stderr" "sevmig-certs: invalid certificate '$T/c/cek.cert': signature slot 2 usage is 0x0010 instead of 0x1000 (empty): the 2019 KDS bug AMDESE/AMDSEV#18 (the input was hex text)"
	[ -z "$output" ]
}

@test "verify: the naples-2019-early sub-chain holds except the unsigned CEK" {
	mkdir "$T/c"
	cp "$VIRTEE/naples-2019-early/"{pdh,pek,oca}.cert "$T/c/"
	run -0 sevmig-certs split --dir "$T/c" "$VIRTEE/naples-2019-early/pek_oca_cek.cert"
	run -3 sevmig-certs verify --product naples "$T/c"
	assert_line "ok       PEK signs PDH"
	assert_line "ok       CEK signs PEK"
	assert_line --regexp "^unsigned ASK signs CEK: "
	# cek.cert.fixed is another chip's, signed by the Rome ASK
	cp "$VIRTEE/naples-2019-early/cek.cert.fixed" "$T/c/cek.cert"
	run -3 sevmig-certs verify "$T/c"
	assert_line "product: rome"
	assert_line "ok       ASK signs CEK"
	assert_line "failed   CEK signs PEK: bad CEK signature on the PEK in slot 2"
}

@test "verify: a PDH_CERT_EXPORT from a real Milan host holds up to the unsigned CEK" {
	mkdir "$T/c"
	cp "$AMD_CERTS/naos-sev-tool/milan-export-2782152/pdh.cert" "$T/c/"
	run -0 sevmig-certs split --dir "$T/c" "$AMD_CERTS/naos-sev-tool/milan-export-2782152/cert_chain.cert"
	run -3 sevmig-certs verify --product milan "$T/c"
	assert_line "ok       PEK signs PDH"
	assert_line "ok       OCA signs PEK"
	assert_line "ok       OCA signs itself"
	assert_line "ok       CEK signs PEK"
	assert_line --regexp "^unsigned ASK signs CEK: "
}

@test "verify: sev-tool's --pdh_cert_export directory is read as it is (pdh.cert and cert_chain.cert)" {
	run -3 sevmig-certs verify --product milan "$AMD_CERTS/naos-sev-tool/milan-export-2782152"
	assert_line "ok       PEK signs PDH"
	assert_line "ok       OCA signs PEK"
	assert_line "ok       OCA signs itself"
	assert_line "ok       CEK signs PEK"
	assert_line --regexp "^unsigned ASK signs CEK: "
	assert_line "ok       ARK signs ASK"
	# pek_csr.cert beside it is not taken for the PEK
	run -0 sevmig-certs show "$AMD_CERTS/naos-sev-tool/milan-export-2782152"
	assert_output --partial "PEK (SEV certificate)"
	assert_output --partial "signature 1     by OCA"
}

@test "verify: a directory's ask_ark.cert gives the ASK and the ARK" {
	mkdir "$T/c"
	cp "$VIRTEE/naples-ask_ark/ask_ark.cert" "$T/c/"
	run -3 sevmig-certs verify "$T/c"
	assert_line "product: naples"
	assert_line "ok       ARK signs ASK"
	assert_line "ok       ARK signs itself"
}

@test "verify: a directory whose cert_chain.cert and pek.cert disagree is refused" {
	mkdir "$T/c"
	run -0 sevmig-certs split --dir "$T/c" "$AMD_CERTS/naos-sev-tool/milan-export-2782152/cert_chain.cert"
	cp "$AMD_CERTS/naos-sev-tool/milan-export-11447ac/cert_chain.cert" "$T/c/"
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	assert_equal "$stderr" "sevmig-certs: '$T/c/cert_chain.cert' holds another PEK than pek.cert"
	# the same bytes twice are fine
	run -0 sevmig-certs split --dir "$T/c" "$T/c/cert_chain.cert"
	run -3 sevmig-certs verify --product milan "$T/c"
	assert_line "ok       OCA signs PEK"
}

@test "verify: a chain missing certificates names the missing links" {
	mkdir "$T/c"
	cp "$VIRTEE/tests-rome/"{pek,oca}.cert "$T/c/"
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	assert_line "PDH (missing)"
	assert_line "missing  PEK signs PDH: no PDH in the chain"
	assert_line "missing  CEK signs PEK: no CEK in the chain"
	assert_line "ok       OCA signs PEK"
	assert_line "failed   ARK is trusted: no trusted root: the product is unknown (name it with --product, or give --ark)"
	assert_equal "$stderr" "sevmig-certs: certificate chain verification failed: PEK signs PDH: no PDH in the chain"
}

@test "verify -J: one JSON document with a schema, every link and fingerprint" {
	chain_dir milan "$T/m"
	run -0 --separate-stderr bash -c "sevmig-certs verify -J '$T/m' > '$T/out.json'"
	[ -z "$stderr" ]
	python3 -m json.tool "$T/out.json" >/dev/null
	assert_equal "$(json_get "$T/out.json" 'd["schema"]')" "sevmig-certs-verify/1"
	assert_equal "$(json_get "$T/out.json" 'd["ok"]')" "True"
	assert_equal "$(json_get "$T/out.json" 'd["product"]')" "milan"
	assert_equal "$(json_get "$T/out.json" 'len(d["links"])')" "8"
	assert_equal "$(json_get "$T/out.json" 'd["certificates"]["cek"]["fingerprint"]')" "7ec815c688649cc85c4fdcd712e14e6cf3a7854fac63b0fbf39c103660794e3d"
	assert_equal "$(json_get "$T/out.json" 'd["certificates"]["ark"]["origin"]')" "built-in"
	run -3 --separate-stderr bash -c "sevmig-certs verify -J --product rome '$T/m' > '$T/bad.json'"
	assert_equal "$(json_get "$T/bad.json" 'd["ok"]')" "False"
	assert_equal "$(json_get "$T/bad.json" '[l["status"] for l in d["links"] if l["name"] == "ASK signs CEK"][0]')" "failed"
}

@test "verify -q: nothing on stdout, the exit status tells" {
	chain_dir rome "$T/r"
	run -0 --separate-stderr sevmig-certs verify -q "$T/r"
	[ -z "$output" ] && [ -z "$stderr" ]
	run -3 --separate-stderr sevmig-certs verify -q --product milan "$T/r"
	[ -z "$output" ]
	[[ $stderr == "sevmig-certs: certificate chain verification failed: ASK signs CEK: "* ]]
}

@test "verify: a bundle from stdin verifies; its product claim is checked" {
	chain_dir rome "$T/r" roots
	make_bundle "$T/r" "$T/b.json"
	run -0 --separate-stderr bash -c "sevmig-certs verify < '$T/b.json'"
	[ -z "$stderr" ]
	run -0 sevmig-certs verify - < "$T/b.json"
	make_bundle "$T/r" "$T/lie.json" milan
	run -3 --separate-stderr sevmig-certs verify "$T/lie.json"
	assert_line "product: milan"
	assert_line "failed   ARK is trusted: ARK is not AMD's built-in milan root"
}
