#!/usr/bin/env bats
# sevmig-certs fetch qmp:PATH: QEMU's query-sev-capabilities, from a real
# QEMU without SEV (its own error, exit 6) and from a scripted QMP peer
# (tests/helpers/qmp-peer.py) serving real AMD certificates.

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

@test "a real QEMU without SEV: exit 6 with QEMU's own message" {
	qemu_start
	run --separate-stderr sevmig-certs fetch "qmp:$QMP_SOCK"
	assert_failure 6
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: QEMU at '$QMP_SOCK' has no SEV: QMP command 'query-sev-capabilities' failed: KVM not enabled"
}

@test "a QMP peer serving a signed chain gives a verified bundle without the KDS" {
	need_amd_certs
	cat "$VIRTEE/tests-milan/pek.cert" "$VIRTEE/tests-milan/oca.cert" \
		"$VIRTEE/tests-milan/cek.cert" >"$T/chain.bin"
	qmp_peer_start ok "$VIRTEE/tests-milan/pdh.cert" "$T/chain.bin" "$ID_HEX"
	run --separate-stderr sevmig-certs fetch --offline \
		--cache-dir "$T/cache" -o "$T/b.json" "qmp:$QMP_SOCK"
	assert_success
	assert_equal "$stderr" ""
	run --separate-stderr sevmig-certs verify "$T/b.json"
	assert_success
	assert_line "product: milan"
	run -0 grep -c "\"chip_id\": \"$ID_HEX\"" "$T/b.json"
	run -0 grep -c "\"source\": \"qmp:$QMP_SOCK\"" "$T/b.json"
}

@test "a QMP peer exporting the Naples chip's unsigned CEK: the KDS copy completes the chain" {
	need_amd_certs
	naples_export "$T/exp"
	qmp_peer_start ok "$T/exp/pdh.cert" "$T/exp/chain.bin" "$ID_HEX"
	kds_start ok "$VIRTEE/tests-naples/cek.cert"
	run --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" \
		--cache-dir "$T/cache" -o "$T/b.json" "qmp:$QMP_SOCK"
	assert_success
	assert_equal "$stderr" ""
	run -0 cat "$KDS_LOG"
	assert_output "GET /cek/id/$ID_HEX"
	run -0 sevmig-certs verify "$T/b.json"
	assert_line "product: naples"
}

@test "the Milan PDH_CERT_EXPORT of naos-sev-tool asks the KDS by its cpu0-id" {
	need_amd_certs
	exp=$AMD_CERTS/naos-sev-tool/milan-export-2782152
	qmp_peer_start ok "$exp/pdh.cert" "$exp/cert_chain.cert" "$ID_HEX"
	kds_start 404
	run --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" \
		--cache-dir "$T/cache" "qmp:$QMP_SOCK"
	assert_failure 4
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: fetching CEK '$KDS_URL/cek/id/$ID_HEX': HTTP 404 Not Found"
}

@test "a QMP peer refusing query-sev-capabilities: exit 6 with its message" {
	need_amd_certs
	naples_export "$T/exp"
	qmp_peer_start error "$T/exp/pdh.cert" "$T/exp/chain.bin"
	run --separate-stderr sevmig-certs fetch "qmp:$QMP_SOCK"
	assert_failure 6
	assert_equal "$stderr" "sevmig-certs: QEMU at '$QMP_SOCK' has no SEV: QMP command 'query-sev-capabilities' failed: SEV feature is not available"
}

@test "a QMP peer that goes silent times out with exit 4" {
	need_amd_certs
	naples_export "$T/exp"
	qmp_peer_start silent "$T/exp/pdh.cert" "$T/exp/chain.bin"
	t0=$EPOCHREALTIME
	SEVMIG_CONNECT_TIMEOUT=1 run --separate-stderr sevmig-certs fetch \
		"qmp:$QMP_SOCK"
	t1=$EPOCHREALTIME
	assert_failure 4
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: QMP socket '$QMP_SOCK': no answer within 1 s"
	run -0 python3 -c "import sys; sys.exit(not $t1 - $t0 < 6)"
}

@test "a QMP answer with a truncated PDH fails with exit 3 naming the field" {
	need_amd_certs
	naples_export "$T/exp"
	qmp_peer_start bad-pdh "$T/exp/pdh.cert" "$T/exp/chain.bin"
	run --separate-stderr sevmig-certs fetch "qmp:$QMP_SOCK"
	assert_failure 3
	assert_equal "$stderr" "sevmig-certs: query-sev-capabilities: 'pdh' has 100 bytes, expected 2084"
}

@test "a missing QMP socket fails with exit 4 naming it" {
	run --separate-stderr sevmig-certs fetch "qmp:$T/nothing.sock"
	assert_failure 4
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: connecting to QMP socket '$T/nothing.sock': No such file or directory"
}
