#!/usr/bin/env bats
# sevmig-certs verify on damaged input: single byte flips in every signed
# part and signature, truncated, oversized, empty and random files.

load helpers
load certs
bats_require_minimum_version 1.8.0

setup() {
	need_amd_certs
	T=$BATS_TEST_TMPDIR
	chain_dir naples "$T/c" roots
}

# verify_flip FILE OFFSET LINE...: flip one byte, expect exit 3 and each
# LINE (a link line) in the output, then undo the flip.
verify_flip() {
	local f=$1 off=$2 line
	shift 2
	flip_byte "$T/c/$f" "$off"
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	for line in "$@"; do
		assert_line "$line"
	done
	[[ $stderr == "sevmig-certs: certificate chain verification failed: "* ]]
	flip_byte "$T/c/$f" "$off"
}

@test "input: the untouched chain verifies (the flips below start from it)" {
	run -0 --separate-stderr sevmig-certs verify "$T/c"
	[ -z "$stderr" ]
}

@test "input: a flipped byte in the PDH body or its signature fails PEK signs PDH" {
	verify_flip pdh.cert 0x05 "failed   PEK signs PDH: bad PEK signature on the PDH in slot 1"
	verify_flip pdh.cert 0x200 "failed   PEK signs PDH: bad PEK signature on the PDH in slot 1"
	verify_flip pdh.cert 0x413 "failed   PEK signs PDH: bad PEK signature on the PDH in slot 1"
	verify_flip pdh.cert 0x41C "failed   PEK signs PDH: bad PEK signature on the PDH in slot 1"
	verify_flip pdh.cert 0x464 "failed   PEK signs PDH: bad PEK signature on the PDH in slot 1"
}

@test "input: a flipped byte in the PEK signatures fails the OCA or the CEK link" {
	verify_flip pek.cert 0x41C "failed   OCA signs PEK: bad OCA signature on the PEK in slot 1" "ok       CEK signs PEK"
	verify_flip pek.cert 0x48F "failed   OCA signs PEK: bad OCA signature on the PEK in slot 1"
	verify_flip pek.cert 0x624 "failed   CEK signs PEK: bad CEK signature on the PEK in slot 2" "ok       OCA signs PEK"
	verify_flip pek.cert 0x690 "failed   CEK signs PEK: bad CEK signature on the PEK in slot 2"
	verify_flip pek.cert 0x300 "failed   OCA signs PEK: bad OCA signature on the PEK in slot 1" "failed   CEK signs PEK: bad CEK signature on the PEK in slot 2"
}

@test "input: a flipped byte in the OCA fails its self-signature" {
	verify_flip oca.cert 0x41D "failed   OCA signs itself: bad OCA signature on the OCA in slot 1"
	# the padding after the key is signed, but is not the key
	verify_flip oca.cert 0x3FF "failed   OCA signs itself: bad OCA signature on the OCA in slot 1" "ok       OCA signs PEK"
	# the key itself: no longer a point of the curve, refused when the
	# certificate is read, before any link is tried (issue 11 item 9)
	flip_byte "$T/c/oca.cert" 0x20
	run -3 sevmig-certs verify "$T/c"
	assert_line "sevmig-certs: invalid certificate '$T/c/oca.cert': OCA public key is not a point on the P-384 curve"
	refute_line --regexp "^ok       OCA signs (itself|PEK)"
}

@test "input: a flipped byte in the CEK's RSA signature or body fails ASK signs CEK" {
	verify_flip cek.cert 0x41C "failed   ASK signs CEK: bad RSA-PSS signature by the ASK on the CEK in slot 1"
	verify_flip cek.cert 0x51B "failed   ASK signs CEK: bad RSA-PSS signature by the ASK on the CEK in slot 1"
	verify_flip cek.cert 0x51C "failed   ASK signs CEK: CEK slot 1: RSA signature padding is not zero"
	verify_flip cek.cert 0x300 "failed   ASK signs CEK: bad RSA-PSS signature by the ASK on the CEK in slot 1"
}

@test "input: a flipped byte in the ASK or ARK fails their links" {
	verify_flip ask.cert 0x10 "failed   ARK signs ASK: bad RSA-PSS signature by the ARK on the ASK"
	verify_flip ask.cert 0x300 "failed   ARK signs ASK: bad RSA-PSS signature by the ARK on the ASK"
	verify_flip ask.cert 0x33F "failed   ARK signs ASK: bad RSA-PSS signature by the ARK on the ASK" "ok       ASK signs CEK"
	verify_flip ark.cert 0x300 "failed   ARK signs itself: bad RSA-PSS signature by the ARK on the ARK" "failed   ARK is trusted: ARK is not AMD's built-in naples root"
	verify_flip ark.cert 0x100 "failed   ARK signs itself: bad RSA-PSS signature by the ARK on the ARK" "failed   ARK signs ASK: bad RSA-PSS signature by the ARK on the ASK"
}

@test "input: a flipped slot or header field is refused by the parser with the field named" {
	flip_byte "$T/c/pdh.cert" 0
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	assert_equal "$stderr" "sevmig-certs: invalid certificate '$T/c/pdh.cert': unsupported SEV certificate version 0, expected 1"
	flip_byte "$T/c/pdh.cert" 0
	flip_byte "$T/c/pdh.cert" 0x61C
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	assert_equal "$stderr" "sevmig-certs: invalid certificate '$T/c/pdh.cert': signature slot 2: usage OCA (0x1001) with algorithm NONE cannot sign"
	flip_byte "$T/c/pdh.cert" 0x61C
	flip_byte "$T/c/pdh.cert" 0x700
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	assert_equal "$stderr" "sevmig-certs: invalid certificate '$T/c/pdh.cert': empty signature slot 2 is not zeroed"
	flip_byte "$T/c/pdh.cert" 0x700
	flip_byte "$T/c/ark.cert" 0x24
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	assert_equal "$stderr" "sevmig-certs: invalid certificate '$T/c/ark.cert': AMD certificate usage 0x1 is neither ARK (0x0) nor ASK (0x13)"
	[ -z "$output" ]
}

@test "input: truncated and oversized certificates fail with their size" {
	head -c 2000 "$VIRTEE/tests-naples/pdh.cert" > "$T/c/pdh.cert"
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	assert_equal "$stderr" "sevmig-certs: invalid certificate '$T/c/pdh.cert': wrong size 2000 bytes, a SEV certificate has 2084"
	{ cat "$VIRTEE/tests-naples/pdh.cert"; printf x; } > "$T/c/pdh.cert"
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	assert_equal "$stderr" "sevmig-certs: invalid certificate '$T/c/pdh.cert': wrong size 2085 bytes, a SEV certificate has 2084"
	cp "$VIRTEE/tests-naples/pdh.cert" "$T/c/"
	head -c 831 "$VIRTEE/builtin-naples/ark.cert" > "$T/c/ark.cert"
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	assert_equal "$stderr" "sevmig-certs: invalid certificate '$T/c/ark.cert': truncated ARK: 831 bytes, expected 832"
	{ cat "$VIRTEE/builtin-naples/ark.cert"; printf x; } > "$T/c/ark.cert"
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	assert_equal "$stderr" "sevmig-certs: invalid certificate '$T/c/ark.cert': 1 bytes after the ARK (an AMD file holds ASK||ARK)"
	head -c 6000 "$AMD_CERTS/naos-sev-tool/milan-export-2782152/cert_chain.cert" > "$T/chain"
	run -3 --separate-stderr sevmig-certs verify "$T/chain"
	assert_equal "$stderr" "sevmig-certs: invalid certificate '$T/chain': wrong size 6000 bytes, a SEV certificate has 2084"
}

@test "input: empty files and empty stdin fail with a message" {
	: > "$T/c/cek.cert"
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	assert_equal "$stderr" "sevmig-certs: empty input '$T/c/cek.cert'"
	run -3 --separate-stderr sevmig-certs verify < /dev/null
	assert_equal "$stderr" "sevmig-certs: empty input '(stdin)'"
	[ -z "$output" ]
}

@test "input: random bytes of many sizes fail with a message and never crash" {
	local n
	for n in 1 63 64 576 832 1600 2084 3200 6252 8336 9999; do
		head -c "$n" /dev/urandom > "$T/r"
		run --separate-stderr sevmig-certs verify "$T/r"
		[ "$status" -eq 3 ] || { echo "size $n: exit $status: $stderr"; false; }
		[[ $stderr == "sevmig-certs: "* ]]
		[ -z "$output" ]
	done
	head -c 700 /dev/urandom > "$T/r"
	run -3 --separate-stderr sevmig-certs verify < "$T/r"
}

@test "input: a random 2084-byte file with a valid header is refused by a field check" {
	python3 -c 'import os,sys; b=bytearray(os.urandom(2084)); b[0:4]=(1).to_bytes(4,"little"); b[8:12]=(0x1002).to_bytes(4,"little"); sys.stdout.buffer.write(bytes(b))' > "$T/c/pek.cert"
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	[[ $stderr == "sevmig-certs: invalid certificate '$T/c/pek.cert': "* ]]
}

@test "input: a missing file or directory is an I/O error" {
	run -4 --separate-stderr sevmig-certs verify "$T/nope"
	assert_equal "$stderr" "sevmig-certs: cannot open '$T/nope': No such file or directory"
}

@test "input: malformed bundles report the problem (syntax with line and column)" {
	make_bundle "$T/c" "$T/b.json"
	printf '{\n  "schema": "sevmig-certs/1",\n  oops\n}\n' > "$T/bad.json"
	run -3 --separate-stderr sevmig-certs verify "$T/bad.json"
	assert_equal "$stderr" "sevmig-certs: invalid JSON in '$T/bad.json' at line 3, column 6: string or '}' expected near 'oops'"
	sed 's/sevmig-certs\/1/sevmig-certs\/2/' "$T/b.json" > "$T/v2.json"
	run -6 --separate-stderr sevmig-certs verify "$T/v2.json"
	assert_equal "$stderr" "sevmig-certs: invalid bundle '$T/v2.json': unsupported bundle schema 'sevmig-certs/2' (this version reads 'sevmig-certs/1')"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["pek"]=d["pdh"]; json.dump(d, open(sys.argv[2],"w"))' "$T/b.json" "$T/swap.json"
	run -3 --separate-stderr sevmig-certs verify "$T/swap.json"
	assert_equal "$stderr" "sevmig-certs: invalid bundle '$T/swap.json': bundle field 'pek' holds a PDH"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["extra"]=1; json.dump(d, open(sys.argv[2],"w"))' "$T/b.json" "$T/extra.json"
	run -3 --separate-stderr sevmig-certs verify "$T/extra.json"
	assert_equal "$stderr" "sevmig-certs: invalid bundle '$T/extra.json': bad bundle: 1 object item(s) left unpacked: extra"
}

@test "input: QEMU's query-sev-capabilities reply is accepted, bare or in return" {
	python3 - "$VIRTEE/tests-milan" "$T" <<'PY'
import base64, json, sys
d, t = sys.argv[1], sys.argv[2]
b = lambda n: open(f"{d}/{n}.cert", "rb").read()
caps = {"pdh": base64.b64encode(b("pdh")).decode(),
        "cert-chain": base64.b64encode(b("pek") + b("oca") + b("cek")).decode(),
        "cpu0-id": base64.b64encode(bytes(range(64))).decode(),
        "cbitpos": 51, "reduced-phys-bits": 1}
json.dump({"return": caps}, open(f"{t}/qmp.json", "w"))
json.dump(caps, open(f"{t}/caps.json", "w"))
PY
	run -0 sevmig-certs verify "$T/qmp.json"
	assert_line "product: milan"
	run -0 sevmig-certs verify "$T/caps.json"
	printf '{"error": {"class": "GenericError", "desc": "SEV: No SEV available"}}' > "$T/err.json"
	run -6 --separate-stderr sevmig-certs verify "$T/err.json"
	assert_equal "$stderr" "sevmig-certs: QEMU refused query-sev-capabilities in '$T/err.json': SEV: No SEV available"
}

@test "input: a certificate as hex text (as AMD's 2019 KDS served it) is decoded" {
	python3 -c 'import sys; d=open(sys.argv[1],"rb").read().hex().upper(); print("\n".join(d[i:i+64] for i in range(0, len(d), 64)))' "$VIRTEE/tests-naples/cek.cert" > "$T/c/cek.cert"
	run -0 --separate-stderr sevmig-certs verify "$T/c"
	assert_line "ok       ASK signs CEK"
	printf '0100g0' > "$T/c/cek.cert"
	run -3 --separate-stderr sevmig-certs verify "$T/c"
	assert_equal "$stderr" "sevmig-certs: unrecognised certificate input '$T/c/cek.cert' (6 bytes): expected a bundle, a SEV certificate (2084 bytes), a PEK||OCA||CEK blob (6252 bytes), an AMD certificate or an ASK||ARK file"
}
