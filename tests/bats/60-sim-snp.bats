#!/usr/bin/env bats
# A simulated host's SEV-SNP identity (sevmig-sim platform init): the
# simulated ARK, ASK and VCEK, and reports signed with it (sevmig-sim
# platform report) that sevmig-certs report verify accepts with the
# simulated ARK named by --ark, and rejects with AMD's pinned roots.

load helpers
load sim-platform
bats_require_minimum_version 1.8.0

# One 2048-bit simulated AMD per file (sim-platform.bash): hosts made with
# --ark-from it cost no RSA key generation.
setup_file() {
	AMD=$(sim_amd)
	export AMD
}

setup() {
	T=$BATS_TEST_TMPDIR
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

@test "platform init makes the SNP ARK, ASK, VCEK (key 0600) and snp.json" {
	run -0 sim_platform "$T/h"
	local n
	for n in snp-ark.pem snp-ask.pem snp-vcek.der snp-vcek.pem snp.json; do
		[ "$(stat -c %a "$T/h/$n")" = 644 ]
	done
	[ "$(stat -c %a "$T/h/snp-vcek.key")" = 600 ]
	# --ark-from shares the SNP ARK and ASK; the VCEK is the host's own
	cmp "$AMD/snp-ark.pem" "$T/h/snp-ark.pem"
	cmp "$AMD/snp-ask.pem" "$T/h/snp-ask.pem"
	run -1 cmp -s "$AMD/snp-vcek.der" "$T/h/snp-vcek.der"
	run -0 grep -c '"product": "Milan-B0"\|"bl": 3\|"tee": 0\|"snp": 8\|"ucode": 115' "$T/h/snp.json"
	assert_output 5
	command -v openssl >/dev/null || return 0
	run -0 openssl x509 -inform der -in "$T/h/snp-vcek.der" -noout -serial -subject -issuer
	assert_line 'serial=00'
	assert_line 'subject=OU = sevmig simulator, C = US, L = Santa Clara, ST = CA, O = Advanced Micro Devices, CN = SEV-VCEK'
	assert_line 'issuer=OU = sevmig simulator, C = US, L = Santa Clara, ST = CA, O = Advanced Micro Devices, CN = SEV-Milan'
	run -0 openssl verify -CAfile "$T/h/snp-ark.pem" -untrusted "$T/h/snp-ask.pem" "$T/h/snp-vcek.pem"
}

@test "a signed report verifies with --ark naming the simulated ARK" {
	run -0 sim_platform "$T/h"
	run -0 sevmig-sim platform report --report-data 0102 -o "$T/r.bin" "$T/h"
	assert_output ''
	[ "$(stat -c %s "$T/r.bin")" = 1184 ]
	run -0 sevmig-certs report verify --vcek "$T/h/snp-vcek.pem" --ark "$T/h/snp-ark.pem" \
		--expect-report-data 0102 --expect-policy 30000 "$T/r.bin"
	assert_line "ok    ARK is trusted: the ARK from '$T/h/snp-vcek.pem' has the key of the ARK --ark names ('$T/h/snp-ark.pem')"
	assert_line 'ok    ASK signs VCEK: RSASSA-PSS SHA-384'
	assert_line 'ok    report signature: ECDSA P-384 SHA-384 over 0x000-0x29f by the VCEK'
	assert_line "ok    reported TCB: bl=3 tee=0 snp=8 ucode=115 equals the VCEK's"
	assert_line "ok    chip id: equals the VCEK's 64-byte hwID"
	refute_line --partial FAIL
	# the shared AMD's ARK is the same trust; --certs with the KDS names too
	run -0 sevmig-certs report verify -q --vcek "$T/h/snp-vcek.pem" --ark "$AMD/snp-ark.pem" "$T/r.bin"
	mkdir "$T/kds"
	cp "$T/h/snp-vcek.der" "$T/kds/vcek.der"
	cat "$T/h/snp-ask.pem" "$T/h/snp-ark.pem" >"$T/kds/cert_chain.pem"
	run -0 sevmig-certs report verify -q --certs "$T/kds" --ark "$T/h/snp-ark.pem" "$T/r.bin"
	# the report's chip id is platform.json's
	run -0 sevmig-certs report show "$T/r.bin"
	local chip
	chip=$(sed -n 's/.*"chip_id": "\([0-9a-f]*\)".*/\1/p' "$T/h/platform.json")
	assert_line "chip id:           $chip"
	assert_line 'cpuid:             family 0x19 model 0x01 stepping 0x01'
}

@test "without --ark AMD's pinned roots reject a simulated report (exit 3)" {
	run -0 sim_platform "$T/h"
	sevmig-sim platform report "$T/h" >"$T/r.bin"
	[ "$(stat -c %s "$T/r.bin")" = 1184 ]
	run -3 --separate-stderr sevmig-certs report verify --vcek "$T/h/snp-vcek.pem" "$T/r.bin"
	assert_equal "$stderr" "sevmig-certs: SNP report verification failed: ARK is pinned: the ARK from '$T/h/snp-vcek.pem' is not AMD's milan root key"
	assert_line "FAIL  ARK is pinned: the ARK from '$T/h/snp-vcek.pem' is not AMD's milan root key"
	# a VCEK alone: AMD's built-in ASK did not sign it
	run -3 --separate-stderr sevmig-certs report verify --vcek "$T/h/snp-vcek.der" "$T/r.bin"
	assert_line 'FAIL  ASK signs VCEK: bad RSASSA-PSS signature'
}

@test "report verify --ark refuses another AMD's ARK, a VCEK without its chain, a flipped byte, another chip" {
	run -0 sim_platform "$T/h"
	run -0 sim_platform "$T/h2"
	run -0 sevmig-sim platform init --ark-bits 2048 "$T/other"
	run -0 sevmig-sim platform report -o "$T/r.bin" "$T/h"
	# the ARK of another simulated AMD
	run -3 --separate-stderr sevmig-certs report verify --vcek "$T/h/snp-vcek.pem" --ark "$T/other/snp-ark.pem" "$T/r.bin"
	assert_equal "$stderr" "sevmig-certs: SNP report verification failed: ARK is trusted: the ARK from '$T/h/snp-vcek.pem' is not the ARK --ark names ('$T/other/snp-ark.pem')"
	# a VCEK alone: no ASK to check against the named ARK
	run -3 --separate-stderr sevmig-certs report verify --vcek "$T/h/snp-vcek.der" --ark "$T/h/snp-ark.pem" "$T/r.bin"
	assert_equal "$stderr" "sevmig-certs: SNP report verification failed: ARK is trusted: no ASK and ARK given to check against the ARK --ark names ('$T/h/snp-ark.pem') (--certs DIR with cert_chain.pem, or a --vcek PEM holding the VCEK, ASK and ARK)"
	# a flipped bit of REPORT_DATA
	cp "$T/r.bin" "$T/flip.bin"
	xor_byte "$T/flip.bin" 0x55 0x80
	run -3 --separate-stderr sevmig-certs report verify --vcek "$T/h/snp-vcek.pem" --ark "$T/h/snp-ark.pem" "$T/flip.bin"
	assert_equal "$stderr" "sevmig-certs: SNP report verification failed: report signature: bad ECDSA P-384 signature by the VCEK"
	# another host of the same AMD: its VCEK is another chip's
	run -3 --separate-stderr sevmig-certs report verify --vcek "$T/h2/snp-vcek.pem" --ark "$AMD/snp-ark.pem" "$T/r.bin"
	assert_line 'FAIL  report signature: bad ECDSA P-384 signature by the VCEK'
	assert_line "FAIL  chip id: the report's chip id is not the VCEK's hwID (another chip)"
	# an --ark that is not a certificate
	run -3 --separate-stderr sevmig-certs report verify --vcek "$T/h/snp-vcek.pem" --ark "$T/h/snp.json" "$T/r.bin"
	assert_equal "$stderr" "sevmig-certs: invalid ARK certificate '$T/h/snp.json': neither DER nor PEM X.509"
	run -4 --separate-stderr sevmig-certs report verify --vcek "$T/h/snp-vcek.pem" --ark "$T/none.pem" "$T/r.bin"
}

@test "platform report: bad arguments exit 2, a host without SNP exits 6" {
	local try="Try 'sevmig-sim platform --help' for more information."
	run -0 sim_platform "$T/h"
	run -2 --separate-stderr sevmig-sim platform report --report-data xyz "$T/h"
	assert_equal "$stderr" "sevmig-sim: bad --report-data (2 to 128 hex digits) 'xyz'"$'\n'"$try"
	run -2 --separate-stderr sevmig-sim platform report --report-data "$(printf '%0130d' 0)" "$T/h"
	run -2 --separate-stderr sevmig-sim platform report --product milan "$T/h"
	assert_equal "$stderr" "sevmig-sim: platform report: --product, --api, --ark-from, --ark-bits, --oca-from and --no-es are options of platform init"$'\n'"$try"
	run -2 --separate-stderr sevmig-sim platform init -o x "$T/h2"
	assert_equal "$stderr" "sevmig-sim: platform init: --report-data and -o are options of platform report"$'\n'"$try"
	run -2 --separate-stderr sevmig-sim platform report
	assert_equal "$stderr" "sevmig-sim: platform report: no directory given"$'\n'"$try"
	[ ! -e "$T/h2" ]
	# rome has no SNP
	run -0 sim_platform "$T/rome" --product rome
	[ ! -e "$T/rome/snp-vcek.der" ]
	run -6 --separate-stderr sevmig-sim platform report "$T/rome"
	assert_equal "$stderr" "sevmig-sim: platform '$T/rome' is rome: the simulator has an SNP identity for milan and genoa only"
	# a host made before the SNP identity existed
	rm "$T/h/snp.json"
	run -6 --separate-stderr sevmig-sim platform report "$T/h"
	assert_equal "$stderr" "sevmig-sim: platform '$T/h' has no SNP identity (no snp.json): it was made before platform init made one; make it again"
}

@test "a genoa host's report names genoa and verifies" {
	run -0 sim_platform "$T/g" --product genoa
	run -0 sevmig-sim platform report -o "$T/r.bin" "$T/g"
	run -0 sevmig-certs report verify --vcek "$T/g/snp-vcek.pem" --ark "$T/g/snp-ark.pem" "$T/r.bin"
	assert_line "ok    product: genoa from the report's CPUID family and model; the VCEK is for 'Genoa'"
}
