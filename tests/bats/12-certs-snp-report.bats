#!/usr/bin/env bats
# sevmig-certs report show and report verify against the real SEV-SNP
# reports and VCEKs in shared/testdata/amd-certs/snp-reports (its README
# says what verifies against what), used from their paths.

load helpers
bats_require_minimum_version 1.8.0

setup() {
	need_amd_certs
	SNP=$AMD_CERTS/snp-reports
	[ -d "$SNP" ] || skip "SNP reports not found at '$SNP'"
	T=$BATS_TEST_TMPDIR
	V_REPORT=$SNP/virtee-sev/report_milan.hex
	V_VCEK=$SNP/virtee-sev/vcek_milan.der
	G_REPORT=$SNP/go-sev-guest/attestation.bin
	G_VCEK=$SNP/go-sev-guest/vcek.testcer
}

# xor_byte FILE OFFSET MASK: xor one byte of a file in place.
xor_byte() {
	python3 - "$@" <<'PY'
import sys
p, off, mask = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3], 0)
b = bytearray(open(p, 'rb').read())
b[off] ^= mask
open(p, 'wb').write(bytes(b))
PY
}

# set_le32 FILE OFFSET VALUE: write a little-endian 32-bit field.
set_le32() {
	python3 - "$@" <<'PY'
import struct, sys
p, off, v = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3], 0)
b = bytearray(open(p, 'rb').read())
b[off:off + 4] = struct.pack('<I', v)
open(p, 'wb').write(bytes(b))
PY
}

# The virtee report as raw bytes in $T/v.bin.
virtee_bin() {
	xxd -r -p "$V_REPORT" >"$T/v.bin"
}

@test "report show -J: both real reports give the README's fields" {
	run -0 --separate-stderr sevmig-certs report show -J "$V_REPORT"
	[ -z "$stderr" ]
	assert_equal "$(jq -r .schema <<<"$output")" "sevmig-certs-report-show/1"
	assert_equal "$(jq -r .form <<<"$output")" "hex"
	assert_equal "$(jq .version <<<"$output")" 2
	assert_equal "$(jq -r .policy.raw <<<"$output")" "0x30000"
	assert_equal "$(jq -r .reported_tcb.bytes <<<"$output")" "0300000000000873"
	assert_equal "$(jq -c '.reported_tcb | [.bootloader, .tee, .snp, .microcode]' <<<"$output")" "[3,0,8,115]"
	assert_equal "$(jq -r .chip_id <<<"$output")" "$(openssl asn1parse -inform DER -in "$V_VCEK" | awk '/3704\.1\.4$/ {getline; sub(/.*HEX DUMP\]:/, ""); print tolower($0)}')"
	assert_equal "$(jq -r .signature_algo <<<"$output")" 1
	assert_equal "$(jq -r .report_id_ma <<<"$output")" "$(printf 'f%.0s' {1..64})"
	assert_equal "$(jq -r .current_version <<<"$output")" "1.52.4"

	run -0 --separate-stderr sevmig-certs report show -J "$G_REPORT"
	assert_equal "$(jq -r .form <<<"$output")" "raw"
	assert_equal "$(jq .version <<<"$output")" 2
	assert_equal "$(jq -r .policy.raw <<<"$output")" "0xb0000"
	assert_equal "$(jq .policy.debug <<<"$output")" true
	assert_equal "$(jq -r .reported_tcb.bytes <<<"$output")" "0200000000000544"
	assert_equal "$(jq -r .report_data <<<"$output")" "0102030405$(printf '0%.0s' {1..118})"
	assert_equal "$(jq -r .chip_id <<<"$output" | cut -c1-8)" "3ac3fe21"
	assert_equal "$(jq -r .current_version <<<"$output")" "1.49.3"
}

@test "report show: text names the fields, policy bits and TCB components" {
	run -0 --separate-stderr sevmig-certs report show "$G_REPORT"
	assert_line "version:           2"
	assert_line "policy:            0xb0000 (abi 0.0 SMT reserved-1 DEBUG)"
	assert_line "reported tcb:      0x4405000000000002 (bl=2 tee=0 snp=5 ucode=68)"
	assert_line "key info:          0x0 (signing key VCEK)"
	assert_line --regexp '^chip id: +3ac3fe21'
	# Turin's layout puts fmc first
	run -0 --separate-stderr sevmig-certs report show --product turin "$G_REPORT"
	assert_line "reported tcb:      0x4405000000000002 (fmc=2 bl=0 tee=0 snp=0 ucode=68)"
}

@test "report show: raw, hex text and snp_report_resp forms read alike" {
	virtee_bin
	{ printf '\0\0\0\0\xa0\x04\0\0'; head -c 24 /dev/zero; cat "$T/v.bin"; } >"$T/resp.bin"
	{ cat "$T/resp.bin"; head -c $((4000 - 0x4c0)) /dev/zero; } >"$T/resp4000.bin"
	fold -w 64 "$V_REPORT" >"$T/folded.hex"
	run -0 sevmig-certs report show -J "$V_REPORT"
	local want
	want=$(jq -S 'del(.file, .form)' <<<"$output")
	for f in v.bin resp.bin resp4000.bin folded.hex; do
		run -0 sevmig-certs report show -J "$T/$f"
		assert_equal "$(jq -S 'del(.file, .form)' <<<"$output")" "$want"
	done
	run -0 sevmig-certs report show -J "$T/resp.bin"
	assert_equal "$(jq -r .form <<<"$output")" "snp_report_resp"
	run -0 sevmig-certs report show -J - <"$T/v.bin"
	assert_equal "$(jq -r .file <<<"$output")" "(stdin)"
}

@test "report show: a version 3 report with Genoa's CPUID names genoa; version 5 shows the mitigation vectors" {
	virtee_bin
	set_le32 "$T/v.bin" 0 3
	printf '\x19\x11\x01' | dd of="$T/v.bin" bs=1 seek=$((0x188)) conv=notrunc status=none
	run -0 sevmig-certs report show -J "$T/v.bin"
	assert_equal "$(jq -r .product <<<"$output")" "genoa"
	assert_equal "$(jq -c .cpuid <<<"$output")" '{"family":25,"model":17,"stepping":1}'
	assert_equal "$(jq -r .launch_mit_vector <<<"$output")" null
	set_le32 "$T/v.bin" 0 5
	run -0 sevmig-certs report show -J "$T/v.bin"
	assert_equal "$(jq -r .launch_mit_vector <<<"$output")" "0x0"
}

@test "report show: short and long reports fail with their size (exit 3)" {
	virtee_bin
	head -c 1183 "$T/v.bin" >"$T/short.bin"
	{ cat "$T/v.bin"; printf x; } >"$T/long.bin"
	run -3 --separate-stderr sevmig-certs report show "$T/short.bin"
	assert_equal "$stderr" "sevmig-certs: invalid SNP report '$T/short.bin': wrong size 1183 bytes, a report has 1184 (0x4a0)"
	run -3 --separate-stderr sevmig-certs report show "$T/long.bin"
	assert_equal "$stderr" "sevmig-certs: invalid SNP report '$T/long.bin': wrong size 1185 bytes, a report has 1184 (0x4a0)"
	head -c 2366 "$V_REPORT" >"$T/short.hex"
	run -3 --separate-stderr sevmig-certs report verify --vcek "$V_VCEK" "$T/short.hex"
	assert_equal "$stderr" "sevmig-certs: invalid SNP report '$T/short.hex': wrong size 1183 bytes of hex text, a report has 1184 (0x4a0)"
	: >"$T/empty"
	run -3 --separate-stderr sevmig-certs report show "$T/empty"
	assert_equal "$stderr" "sevmig-certs: empty input '$T/empty'"
	run -4 --separate-stderr sevmig-certs report show "$T/nope"
	assert_equal "$stderr" "sevmig-certs: cannot open '$T/nope': No such file or directory"
}

@test "report: a snp_report_resp with a firmware error or another size is refused (exit 3)" {
	virtee_bin
	{ printf '\x16\0\0\0\xa0\x04\0\0'; head -c 24 /dev/zero; cat "$T/v.bin"; } >"$T/err.bin"
	run -3 --separate-stderr sevmig-certs report show "$T/err.bin"
	assert_equal "$stderr" "sevmig-certs: invalid SNP report '$T/err.bin': the snp_report_resp status is 0x16 (the firmware refused the request)"
	{ printf '\0\0\0\0\xa1\x04\0\0'; head -c 24 /dev/zero; cat "$T/v.bin"; } >"$T/size.bin"
	run -3 --separate-stderr sevmig-certs report show "$T/size.bin"
	assert_equal "$stderr" "sevmig-certs: invalid SNP report '$T/size.bin': 1216 bytes is not a report (1184 bytes) and, as a snp_report_resp, names a report of 1185 bytes"
}

@test "report: an unknown report version is unsupported (exit 6)" {
	virtee_bin
	set_le32 "$T/v.bin" 0 4
	run -6 --separate-stderr sevmig-certs report show "$T/v.bin"
	assert_equal "$stderr" "sevmig-certs: unsupported SNP report version 4 in '$T/v.bin' (this version reads 2, 3 and 5)"
	set_le32 "$T/v.bin" 0 1
	run -6 --separate-stderr sevmig-certs report verify --vcek "$V_VCEK" "$T/v.bin"
	assert_equal "$stderr" "sevmig-certs: unsupported SNP report version 1 in '$T/v.bin' (this version reads 2, 3 and 5)"
}

@test "report verify: both real reports verify with their own VCEK and AMD's pinned milan roots" {
	# AMD issues VCEKs with serial number 0; both are accepted
	assert_equal "$(openssl x509 -inform DER -in "$V_VCEK" -noout -serial)" "serial=00"
	assert_equal "$(openssl x509 -inform DER -in "$G_VCEK" -noout -serial)" "serial=00"
	run -0 --separate-stderr sevmig-certs report verify --vcek "$V_VCEK" "$V_REPORT"
	[ -z "$stderr" ]
	assert_line "product: milan (the VCEK's productName)"
	assert_line "ok    ARK is pinned: the ARK from AMD's built-in milan roots has AMD's milan root key"
	assert_line "ok    ARK signs itself: RSASSA-PSS SHA-384"
	assert_line "ok    ARK signs ASK: RSASSA-PSS SHA-384"
	assert_line "ok    ASK signs VCEK: RSASSA-PSS SHA-384"
	assert_line "ok    report signature: ECDSA P-384 SHA-384 over 0x000-0x29f by the VCEK"
	assert_line "ok    reported TCB: bl=3 tee=0 snp=8 ucode=115 equals the VCEK's"
	assert_line "ok    chip id: equals the VCEK's 64-byte hwID"
	refute_line --regexp '^FAIL'
	run -0 --separate-stderr sevmig-certs report verify --product milan --vcek "$G_VCEK" "$G_REPORT"
	assert_line "product: milan (--product)"
	refute_line --regexp '^FAIL'
}

@test "report verify -J: one object per check, ok true" {
	run -0 --separate-stderr sevmig-certs report verify -J --vcek "$G_VCEK" "$G_REPORT"
	assert_equal "$(jq -r .schema <<<"$output")" "sevmig-certs-report-verify/1"
	assert_equal "$(jq .ok <<<"$output")" true
	assert_equal "$(jq -c '[.checks[] | .check]' <<<"$output")" '["product","ARK is pinned","ARK signs itself","ARK signs ASK","ASK signs VCEK","report signature","reported TCB","chip id"]'
	assert_equal "$(jq '[.checks[] | select(.ok | not)] | length' <<<"$output")" 0
}

@test "report verify: bit 7 of byte 21 flipped fails the signature (exit 3)" {
	virtee_bin
	xor_byte "$T/v.bin" 21 0x80
	run -3 --separate-stderr sevmig-certs report verify --vcek "$V_VCEK" "$T/v.bin"
	assert_line "FAIL  report signature: bad ECDSA P-384 signature by the VCEK"
	assert_equal "$stderr" "sevmig-certs: SNP report verification failed: report signature: bad ECDSA P-384 signature by the VCEK"
	cp "$G_REPORT" "$T/g.bin"
	xor_byte "$T/g.bin" 21 0x80
	run -3 --separate-stderr sevmig-certs report verify -J --vcek "$G_VCEK" "$T/g.bin"
	assert_equal "$(jq -c '[.checks[] | select(.ok | not) | .check]' <<<"$output")" '["report signature"]'
	assert_equal "$(jq .ok <<<"$output")" false
}

@test "report verify: the other report's VCEK fails signature, TCB and chip id (exit 3)" {
	run -3 --separate-stderr sevmig-certs report verify --vcek "$G_VCEK" "$V_REPORT"
	assert_line "FAIL  report signature: bad ECDSA P-384 signature by the VCEK"
	assert_line "FAIL  reported TCB: reported bl=3, the VCEK says 2"
	assert_line "FAIL  chip id: the report's chip id is not the VCEK's hwID (another chip)"
	assert_line "ok    ASK signs VCEK: RSASSA-PSS SHA-384"
	run -3 --separate-stderr sevmig-certs report verify --vcek "$V_VCEK" "$G_REPORT"
	assert_line "FAIL  report signature: bad ECDSA P-384 signature by the VCEK"
}

@test "report verify: a flipped byte of the VCEK's signature fails ASK signs VCEK (exit 3)" {
	cp "$V_VCEK" "$T/vcek.der"
	xor_byte "$T/vcek.der" $(($(stat -c %s "$T/vcek.der") - 1)) 0x01
	run -3 --separate-stderr sevmig-certs report verify --vcek "$T/vcek.der" "$V_REPORT"
	assert_line "FAIL  ASK signs VCEK: bad RSASSA-PSS signature"
	assert_line "ok    report signature: ECDSA P-384 SHA-384 over 0x000-0x29f by the VCEK"
	assert_equal "$stderr" "sevmig-certs: SNP report verification failed: ASK signs VCEK: bad RSASSA-PSS signature"
}

@test "report verify: a signature algorithm other than 1 is unsupported (exit 6)" {
	virtee_bin
	set_le32 "$T/v.bin" 0x34 2
	run -6 --separate-stderr sevmig-certs report verify --vcek "$V_VCEK" "$T/v.bin"
	assert_equal "$stderr" "sevmig-certs: unsupported SNP report signature algorithm 2 (this version verifies 1, ECDSA P-384 with SHA-384)"
	[ -z "$output" ]
	# show still decodes it
	run -0 sevmig-certs report show "$T/v.bin"
	assert_line "signature algo:    2 (unknown)"
}

@test "report verify: a VCEK of the wrong product fails the product check (exit 3)" {
	run -3 --separate-stderr sevmig-certs report verify --product genoa --vcek "$V_VCEK" "$V_REPORT"
	assert_line "FAIL  product: genoa from --product, but the VCEK is for 'Milan-B0'"
	assert_line "FAIL  ASK signs VCEK: bad RSASSA-PSS signature"
	run -3 --separate-stderr sevmig-certs report verify --vcek "$VIRTEE/snp-certs_data/vcek_turin.der" "$V_REPORT"
	assert_line "product: turin (the VCEK's productName)"
	assert_line "ok    ASK signs VCEK: RSASSA-PSS SHA-384"
	assert_line "FAIL  chip id: the report's chip id is not the VCEK's hwID (another chip)"
	assert_line "FAIL  report signature: bad ECDSA P-384 signature by the VCEK"
}

@test "report verify: a VCEK that is RSA fails the report signature (exit 3)" {
	run -3 --separate-stderr sevmig-certs report verify --vcek "$VIRTEE/snp-builtin-milan/ask.pem" --product milan "$V_REPORT"
	assert_line "FAIL  report signature: the VCEK's key is RSA, not EC P-384"
}

@test "report verify: a chain whose ARK is not pinned fails (exit 3)" {
	mkdir "$T/d"
	cp "$V_VCEK" "$T/d/vcek.der"
	cat "$VIRTEE/snp-builtin-milan/ask.pem" "$VIRTEE/snp-builtin-genoa/ark.pem" >"$T/d/cert_chain.pem"
	run -3 --separate-stderr sevmig-certs report verify --certs "$T/d" "$V_REPORT"
	assert_line "FAIL  ARK is pinned: the ARK from '$T/d/cert_chain.pem' is not AMD's milan root key"
	assert_line "ok    ARK signs itself: RSASSA-PSS SHA-384"
	assert_line "FAIL  ARK signs ASK: bad RSASSA-PSS signature"
	assert_equal "$stderr" "sevmig-certs: SNP report verification failed: ARK is pinned: the ARK from '$T/d/cert_chain.pem' is not AMD's milan root key"
	# the real chain in the same layout verifies
	cp "$SNP/virtee-sev/cert_chain_milan" "$T/d/cert_chain.pem"
	run -0 sevmig-certs report verify --certs "$T/d" "$V_REPORT"
	assert_line "ok    ARK is pinned: the ARK from '$T/d/cert_chain.pem' has AMD's milan root key"
}

@test "report verify: a truncated or non-certificate VCEK is refused (exit 3)" {
	head -c 1000 "$V_VCEK" >"$T/cut.der"
	run -3 --separate-stderr sevmig-certs report verify --vcek "$T/cut.der" "$V_REPORT"
	assert_equal "$stderr" "sevmig-certs: invalid VCEK certificate '$T/cut.der': truncated or malformed DER X.509"
	[ -z "$output" ]
	echo hello >"$T/text"
	run -3 --separate-stderr sevmig-certs report verify --vcek "$T/text" "$V_REPORT"
	assert_equal "$stderr" "sevmig-certs: invalid VCEK certificate '$T/text': neither DER nor PEM X.509"
	mkdir "$T/empty"
	run -3 --separate-stderr sevmig-certs report verify --certs "$T/empty" "$V_REPORT"
	assert_equal "$stderr" "sevmig-certs: no VCEK in '$T/empty' (vcek.der or vcek.pem)"
}

@test "report verify: a CRL with a bad signature fails (exit 3)" {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=not-amd \
		-keyout "$T/k.pem" -out "$T/c.pem" -days 1 2>/dev/null
	: >"$T/index.txt"
	printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s\ndefault_md=sha256\ndefault_crl_days=1\n' "$T/index.txt" >"$T/ca.cnf"
	openssl ca -gencrl -config "$T/ca.cnf" -keyfile "$T/k.pem" -cert "$T/c.pem" -out "$T/crl.pem" 2>/dev/null
	run -3 --separate-stderr sevmig-certs report verify --crl "$T/crl.pem" --vcek "$V_VCEK" "$V_REPORT"
	assert_line "FAIL  not revoked: the CRL's signature is not the ARK's"
	assert_line "ok    report signature: ECDSA P-384 SHA-384 over 0x000-0x29f by the VCEK"
	echo junk >"$T/junk.crl"
	run -3 --separate-stderr sevmig-certs report verify --crl "$T/junk.crl" --vcek "$V_VCEK" "$V_REPORT"
	assert_equal "$stderr" "sevmig-certs: invalid CRL '$T/junk.crl': neither DER nor PEM"
}

@test "report verify: expectations hold or fail one line each" {
	local m
	m=$(sevmig-certs report show -J "$V_REPORT" | jq -r .measurement)
	run -0 sevmig-certs report verify --vcek "$V_VCEK" --expect-measurement "$m" \
		--expect-policy 0x30000 --min-tcb bl=3,tee=0,snp=8,ucode=115 "$V_REPORT"
	assert_line "ok    measurement: ${m:0:16}..., expected ${m:0:16}..."
	assert_line "ok    policy: 0x30000, expected 0x30000"
	assert_line "ok    minimum TCB: reported bl=3 tee=0 snp=8 ucode=115"
	run -3 --separate-stderr sevmig-certs report verify --vcek "$V_VCEK" --expect-measurement "$(printf '0%.0s' {1..96})" \
		--expect-policy 30000 --min-tcb snp=9 --expect-report-data 00 "$V_REPORT"
	assert_line "FAIL  measurement: ${m:0:16}..., expected 0000000000000000..."
	assert_line "ok    policy: 0x30000, expected 0x30000"
	assert_line "FAIL  minimum TCB: reported snp=8 is below 9"
	assert_line --regexp "^FAIL  report data: [0-9a-f]{16}\.\.\., expected 0000000000000000\.\.\.$"
	assert_equal "$stderr" "sevmig-certs: SNP report verification failed: measurement: ${m:0:16}..., expected 0000000000000000..."
	run -0 sevmig-certs report verify --vcek "$G_VCEK" --expect-report-data 0102030405 --expect-policy 0xb0000 "$G_REPORT"
	assert_line "ok    report data: 0102030405000000..., expected 0102030405000000..."
}

@test "report verify: bad option values are usage errors (exit 2)" {
	run -2 --separate-stderr sevmig-certs report verify --vcek "$V_VCEK" --expect-measurement abc "$V_REPORT"
	assert_equal "${stderr_lines[0]}" "sevmig-certs: bad --expect-measurement 'abc': expected 96 hex digits"
	assert_equal "${stderr_lines[1]}" "Try 'sevmig-certs report verify --help' for more information."
	run -2 --separate-stderr sevmig-certs report verify --vcek "$V_VCEK" --min-tcb foo=1 "$V_REPORT"
	assert_equal "${stderr_lines[0]}" "sevmig-certs: bad --min-tcb 'foo=1': expected NAME=N[,NAME=N...] with NAME fmc, bl, tee, snp or ucode and N 0-255"
	run -2 --separate-stderr sevmig-certs report verify --vcek "$V_VCEK" --expect-policy xyz "$V_REPORT"
	assert_equal "${stderr_lines[0]}" "sevmig-certs: bad --expect-policy 'xyz': expected up to 16 hex digits"
	run -2 --separate-stderr sevmig-certs report verify "$V_REPORT"
	assert_equal "${stderr_lines[0]}" "sevmig-certs: no VCEK: give --vcek FILE or --certs DIR"
	run -2 --separate-stderr sevmig-certs report verify --vcek a --certs b "$V_REPORT"
	assert_equal "${stderr_lines[0]}" "sevmig-certs: --vcek and --certs exclude each other"
	run -2 --separate-stderr sevmig-certs report verify --product naples --vcek "$V_VCEK" "$V_REPORT"
	assert_equal "${stderr_lines[0]}" "sevmig-certs: unknown SNP product 'naples' (expected milan, genoa or turin)"
	run -2 --separate-stderr sevmig-certs report frob
	assert_equal "${stderr_lines[0]}" "sevmig-certs: unknown report command 'frob' (commands: show verify)"
	assert_equal "${stderr_lines[1]}" "Try 'sevmig-certs report --help' for more information."
	run -2 --separate-stderr sevmig-certs report show
	assert_equal "${stderr_lines[0]}" "sevmig-certs: no report given"
	run -2 --separate-stderr sevmig-certs report verify --bogus "$V_REPORT"
	assert_equal "$stderr" "sevmig-certs report verify: unrecognized option '--bogus'
Try 'sevmig-certs report verify --help' for more information."
	[ -z "$output" ]
}

@test "report verify: a CRL signed by the chain's ARK that revokes the ASK fails 'not revoked'; without the entry it holds" {
	# AMD publishes no test CRL, so this chain is made here (RSASSA-PSS
	# SHA-384 salt 48 like AMD's): its ARK is not pinned, which fails too,
	# but the revocation line is what this test reads
	local pss=(-sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48 -days 1)
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/ark.key" 2>/dev/null
	openssl req -x509 -new -key "$T/ark.key" -subj /CN=ARK-Milan "${pss[@]}" -out "$T/ark.pem"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/ask.key" 2>/dev/null
	openssl req -new -key "$T/ask.key" -subj /CN=SEV-Milan -out "$T/ask.csr"
	openssl x509 -req -in "$T/ask.csr" -CA "$T/ark.pem" -CAkey "$T/ark.key" -set_serial 7 "${pss[@]}" -out "$T/ask.pem" 2>/dev/null
	mkdir "$T/d"
	cp "$G_VCEK" "$T/d/vcek.der"
	cat "$T/ask.pem" "$T/ark.pem" >"$T/d/cert_chain.pem"
	: >"$T/index.txt"
	printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s\ndefault_md=sha384\ndefault_crl_days=1\n' "$T/index.txt" >"$T/ca.cnf"
	openssl ca -gencrl -config "$T/ca.cnf" -keyfile "$T/ark.key" -cert "$T/ark.pem" -out "$T/empty.crl" 2>/dev/null
	openssl ca -config "$T/ca.cnf" -keyfile "$T/ark.key" -cert "$T/ark.pem" -revoke "$T/ask.pem" 2>/dev/null
	openssl ca -gencrl -config "$T/ca.cnf" -keyfile "$T/ark.key" -cert "$T/ark.pem" -out "$T/revoked.crl" 2>/dev/null
	run -3 --separate-stderr sevmig-certs report verify --certs "$T/d" --crl "$T/revoked.crl" "$G_REPORT"
	assert_line "FAIL  not revoked: the ASK is revoked"
	assert_line "ok    ARK signs ASK: RSASSA-PSS SHA-384"
	# crl.der (here PEM) in --certs DIR is read the same way
	cp "$T/empty.crl" "$T/d/crl.pem"
	run -3 --separate-stderr sevmig-certs report verify --certs "$T/d" "$G_REPORT"
	assert_line "ok    not revoked: neither the ASK nor the VCEK is in the ARK's CRL"
}

@test "report verify: a VLEK-signed report is checked against the ASVK chain given; signing key 'none' is unsupported (exit 6)" {
	# no real VLEK report is public: the go-sev-guest report with the
	# signing-key field set to VLEK, and its VCEK posing as the VLEK
	cp "$G_REPORT" "$T/vlek.bin"
	set_le32 "$T/vlek.bin" 0x48 $((1 << 2))
	run -3 --separate-stderr sevmig-certs report verify --vcek "$G_VCEK" "$T/vlek.bin"
	assert_line "key: VLEK"
	assert_line "FAIL  ARK is pinned: no ASVK and ARK given (--certs DIR with cert_chain.pem) and none built in for milan"
	refute_line --regexp '^(ok|FAIL)  chip id'
	mkdir "$T/d"
	cp "$G_VCEK" "$T/d/vlek.der"
	cp "$SNP/go-sev-guest/milanvlek.testcer" "$T/d/cert_chain.pem"
	run -3 --separate-stderr sevmig-certs report verify --certs "$T/d" "$T/vlek.bin"
	assert_line "ok    ARK is pinned: the ARK from '$T/d/cert_chain.pem' has AMD's milan root key"
	assert_line "ok    ARK signs ASVK: RSASSA-PSS SHA-384"
	assert_line "FAIL  ASVK signs VLEK: bad RSASSA-PSS signature"
	set_le32 "$T/vlek.bin" 0x48 $((7 << 2))
	run -6 --separate-stderr sevmig-certs report verify --vcek "$G_VCEK" "$T/vlek.bin"
	assert_equal "$stderr" "sevmig-certs: unsupported SNP report signing key 7 (none): this version verifies VCEK and VLEK signatures"
}
