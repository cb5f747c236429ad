#!/usr/bin/env bats
# sevmig-certs fetch vcek:FILE against a KDS on 127.0.0.1
# (tests/helpers/kds-snp-stub.py) that serves only the exact paths and
# query strings AMD's KDS uses: the go-sev-guest VCEK, the Milan
# cert_chain; there is no real AMD CRL to serve, so /crl is 404 unless a
# test serves one.

load helpers
load fetch
bats_require_minimum_version 1.8.0

setup() {
	need_amd_certs
	SNP=$AMD_CERTS/snp-reports
	[ -d "$SNP" ] || skip "SNP reports not found at '$SNP'"
	T=$BATS_TEST_TMPDIR
	G_REPORT=$SNP/go-sev-guest/attestation.bin
	G_VCEK=$SNP/go-sev-guest/vcek.testcer
	CHAIN=$SNP/go-sev-guest/milan.testcer
	CHIP=$(sevmig-certs report show -J "$G_REPORT" | jq -r .chip_id)
	VCEK_PATH="/vcek/v1/Milan/$CHIP?blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68"
	export SEVMIG_KDS_RETRY_DELAY=0.2
}

teardown() {
	fetch_stop_all
}

# snp_kds_start SCRIPT [PATH=FILE...]: the stub, serving those exact paths.
snp_kds_start() {
	local pf=$T/kds.port script=$1 a args=()
	shift
	for a in "$@"; do args+=(--serve "$a"); done
	KDS_LOG=$T/kds.log
	rm -f "$pf" "$KDS_LOG"
	: >"$KDS_LOG"
	python3 "$SEVMIG_ROOT/tests/helpers/kds-snp-stub.py" --port-file "$pf" \
		--log "$KDS_LOG" --script "$script" "${args[@]}" \
		</dev/null >/dev/null 2>&1 3>&- &
	_fetch_track "$!"
	wait_for_path "$pf" 10
	KDS_URL=http://127.0.0.1:$(cat "$pf")
}

@test "fetch vcek: gets the go-sev-guest VCEK by AMD's exact paths, caches it and works --offline after" {
	snp_kds_start ok "$VCEK_PATH=$G_VCEK" "/vcek/v1/Milan/cert_chain=$CHAIN"
	run --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" --product milan \
		-o "$T/vcek.pem" "vcek:$G_REPORT"
	assert_success
	assert_equal "$stderr" "sevmig-certs: warning: no CRL, revocation not checked: fetching CRL '$KDS_URL/vcek/v1/Milan/crl': HTTP 404 Not Found"
	run -0 cat "$KDS_LOG"
	assert_output "GET /vcek/v1/Milan/cert_chain
GET /vcek/v1/Milan/crl
GET $VCEK_PATH"
	# VCEK, ASK, ARK; the VCEK is go-sev-guest's, byte for byte
	assert_equal "$(grep -c 'BEGIN CERTIFICATE' "$T/vcek.pem")" 3
	assert_equal "$(openssl x509 -in "$T/vcek.pem" -outform DER | sha256sum)" "$(sha256sum <"$G_VCEK")"
	assert [ -s "$XDG_CACHE_HOME/sevmig/kds/snp-cert_chain-Milan.pem" ]
	assert [ -s "$XDG_CACHE_HOME/sevmig/kds/snp-vcek-Milan-$CHIP-0-2-0-5-68.der" ]
	# what fetch wrote verifies the report, chain included
	run -0 sevmig-certs report verify --vcek "$T/vcek.pem" "$G_REPORT"
	assert_line "ok    ARK is pinned: the ARK from '$T/vcek.pem' has AMD's milan root key"
	fetch_stop_all
	run --separate-stderr sevmig-certs fetch --offline --kds-url "$KDS_URL" --product milan \
		-o "$T/offline.pem" "vcek:$G_REPORT"
	assert_success
	cmp "$T/vcek.pem" "$T/offline.pem"
}

@test "fetch vcek: -v says the network (URL, HTTP status) the first time and the cache (path, age) the second (issue 18)" {
	snp_kds_start ok "$VCEK_PATH=$G_VCEK" "/vcek/v1/Milan/cert_chain=$CHAIN"
	local k=$XDG_CACHE_HOME/sevmig/kds
	run -0 --separate-stderr sevmig-certs fetch -v --kds-url "$KDS_URL" --product milan \
		-o "$T/vcek.pem" "vcek:$G_REPORT"
	[[ "$stderr" == *"sevmig-certs: KDS: cert_chain from the network: GET $KDS_URL/vcek/v1/Milan/cert_chain: HTTP 200, "*" bytes"* ]] || { echo "$stderr"; false; }
	[[ "$stderr" == *"sevmig-certs: KDS: cert_chain saved in the cache '$k/snp-cert_chain-Milan.pem'"* ]]
	[[ "$stderr" == *"sevmig-certs: KDS: VCEK from the network: GET $KDS_URL$VCEK_PATH: HTTP 200, "* ]]
	[[ "$stderr" != *"from the cache"* ]]
	run -0 --separate-stderr sevmig-certs fetch -v --kds-url "$KDS_URL" --product milan \
		-o "$T/vcek2.pem" "vcek:$G_REPORT"
	[[ "$stderr" =~ "sevmig-certs: KDS: cert_chain from the cache, not the network: '$k/snp-cert_chain-Milan.pem' (written "[0-9]+" s ago)" ]] || { echo "$stderr"; false; }
	[[ "$stderr" =~ "sevmig-certs: KDS: VCEK from the cache, not the network: '$k/snp-vcek-Milan-$CHIP-0-2-0-5-68.der' (written "[0-9]+" s ago)" ]]
	[[ "$stderr" != *"VCEK from the network"* ]]
	cmp "$T/vcek.pem" "$T/vcek2.pem"
}

@test "fetch vcek: KDS errors are retried with the client's policy" {
	snp_kds_start 503,ok "$VCEK_PATH=$G_VCEK" "/vcek/v1/Milan/cert_chain=$CHAIN"
	run -0 --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" --product milan "vcek:$G_REPORT"
	assert_equal "$(grep -c 'BEGIN CERTIFICATE' <<<"$output")" 3
	run -0 cat "$KDS_LOG"
	assert_line --index 0 "GET /vcek/v1/Milan/cert_chain"
	assert_line --index 1 "GET /vcek/v1/Milan/cert_chain"
}

@test "fetch vcek: a v2 report without --product is a usage error (exit 2)" {
	run -2 --separate-stderr sevmig-certs fetch --kds-url http://127.0.0.1:9 "vcek:$G_REPORT"
	assert_equal "$stderr" "sevmig-certs: the report does not name an SNP product (a version 2 report does not name it): give --product milan, genoa or turin"
}

@test "fetch vcek: --offline with nothing cached asks nobody (exit 4)" {
	run -4 --separate-stderr sevmig-certs fetch --offline --product milan "vcek:$G_REPORT"
	assert_equal "$stderr" "sevmig-certs: no cached cert_chain '$XDG_CACHE_HOME/sevmig/kds/snp-cert_chain-Milan.pem': offline, so the KDS was not asked"
}

@test "fetch vcek: an HTML page from the KDS is refused and not cached (exit 3)" {
	snp_kds_start html
	run -3 --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" --product milan "vcek:$G_REPORT"
	assert_equal "$stderr" "sevmig-certs: fetching cert_chain '$KDS_URL/vcek/v1/Milan/cert_chain': not AMD's cert_chain: invalid certificate chain '(KDS cert_chain)': expected PEM, the ASK then the ARK"
	[ -z "$output" ]
	snp_kds_start ok,ok,html "$VCEK_PATH=$G_VCEK" "/vcek/v1/Milan/cert_chain=$CHAIN"
	run -3 --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" --product milan "vcek:$G_REPORT"
	assert_equal "${stderr_lines[1]}" "sevmig-certs: fetching VCEK '$KDS_URL$VCEK_PATH': not the report's VCEK: invalid VCEK certificate '(KDS answer)': neither DER nor PEM X.509"
	assert [ ! -e "$XDG_CACHE_HOME/sevmig/kds/snp-vcek-Milan-$CHIP-0-2-0-5-68.der" ]
}

@test "fetch vcek: another chip's VCEK at this chip's path is verified before caching and refused (exit 3)" {
	snp_kds_start ok "$VCEK_PATH=$SNP/virtee-sev/vcek_milan.der" "/vcek/v1/Milan/cert_chain=$CHAIN"
	run -3 --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" --product milan "vcek:$G_REPORT"
	grep -qxF "sevmig-certs: fetching VCEK '$KDS_URL$VCEK_PATH': not the report's VCEK: SNP report verification failed: report signature: bad ECDSA P-384 signature by the VCEK" <<<"$stderr"
	[ -z "$output" ]
	assert [ ! -e "$XDG_CACHE_HOME/sevmig/kds/snp-vcek-Milan-$CHIP-0-2-0-5-68.der" ]
}

@test "fetch vcek: a cert_chain whose ARK is not pinned is refused (exit 3)" {
	cat "$VIRTEE/snp-builtin-milan/ask.pem" "$VIRTEE/snp-builtin-genoa/ark.pem" >"$T/chain.pem"
	snp_kds_start ok "$VCEK_PATH=$G_VCEK" "/vcek/v1/Milan/cert_chain=$T/chain.pem"
	run -3 --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" --product milan "vcek:$G_REPORT"
	assert_equal "$stderr" "sevmig-certs: fetching cert_chain '$KDS_URL/vcek/v1/Milan/cert_chain': not AMD's cert_chain: the cert_chain's ARK is not AMD's milan root key"
}

@test "fetch vcek: a CRL with a bad signature, from the KDS or --crl, fails (exit 3)" {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=not-amd \
		-keyout "$T/k.pem" -out "$T/c.pem" -days 1 2>/dev/null
	: >"$T/index.txt"
	printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s\ndefault_md=sha256\ndefault_crl_days=1\n' "$T/index.txt" >"$T/ca.cnf"
	openssl ca -gencrl -config "$T/ca.cnf" -keyfile "$T/k.pem" -cert "$T/c.pem" -out "$T/crl.pem" 2>/dev/null
	openssl crl -in "$T/crl.pem" -outform DER -out "$T/crl.der"
	snp_kds_start ok "$VCEK_PATH=$G_VCEK" "/vcek/v1/Milan/cert_chain=$CHAIN" "/vcek/v1/Milan/crl=$T/crl.der"
	run -3 --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" --product milan "vcek:$G_REPORT"
	assert_equal "$stderr" "sevmig-certs: fetching CRL '$KDS_URL/vcek/v1/Milan/crl': not AMD's CRL: the CRL's signature is not the ARK's"
	assert [ ! -e "$XDG_CACHE_HOME/sevmig/kds/snp-crl-Milan.der" ]
	run -3 --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" --product milan --crl "$T/crl.pem" "vcek:$G_REPORT"
	grep -qxF "sevmig-certs: fetching VCEK '$KDS_URL$VCEK_PATH': not the report's VCEK: SNP report verification failed: not revoked: the CRL's signature is not the ARK's" <<<"$stderr"
}

@test "fetch: --crl is for vcek: sources, --ark is not (exit 2)" {
	run -2 --separate-stderr sevmig-certs fetch --crl x file:y
	assert_equal "${stderr_lines[0]}" "sevmig-certs: --crl is for vcek: sources only"
	run -2 --separate-stderr sevmig-certs fetch --ark x "vcek:$G_REPORT"
	assert_equal "${stderr_lines[0]}" "sevmig-certs: --ark is not for vcek: sources (the SNP roots are pinned)"
}

@test "fetch vcek: a Turin report asks for the 8-byte chip id with fmcSPL first" {
	# the go-sev-guest report made a version 3 Turin one (CPUID family
	# 0x1a): its signature no longer holds, but the request is what counts
	python3 - "$G_REPORT" "$T/turin.bin" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[0:4] = struct.pack('<I', 3)
b[0x188:0x18b] = bytes([0x1a, 0x02, 0x00])
b[0x180:0x188] = bytes([1, 2, 3, 4, 0, 0, 0, 9])
open(sys.argv[2], 'wb').write(bytes(b))
PY
	local p="/vcek/v1/Turin/${CHIP:0:16}?fmcSPL=1&blSPL=2&teeSPL=3&snpSPL=4&ucodeSPL=9"
	snp_kds_start ok "$p=$VIRTEE/snp-certs_data/vcek_turin.der" \
		"/vcek/v1/Turin/cert_chain=$VIRTEE/snp-certs_data/cert_chain_turin"
	run -3 --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" "vcek:$T/turin.bin"
	run -0 cat "$KDS_LOG"
	assert_output "GET /vcek/v1/Turin/cert_chain
GET /vcek/v1/Turin/crl
GET $p"
}
