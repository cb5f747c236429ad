#!/usr/bin/env bats
# AMD's KDS returning garbage: a body that is not a certificate, an HTML
# page, a truncated body, a CEK with a broken signature.  sevmig-certs
# fetch must refuse each with a clear message, write no bundle and cache
# nothing.  (Status codes, time-outs, retries and another chip's CEK are
# in 11-certs-fetch-kds.bats.)

load helpers
load fetch
bats_require_minimum_version 1.8.0

setup() {
	need_fetch
	need_amd_certs
	T=$BATS_TEST_TMPDIR
	naples_unsigned_bundle "$T/unsigned.json"
	SRC=file:$T/unsigned.json
	export SEVMIG_KDS_RETRY_DELAY=0.2
}

teardown() {
	fetch_stop_all
}

cek_url() {
	echo "$KDS_URL/cek/id/$ID_HEX"
}

# fetch_refused CODE MESSAGE: fetch fails so, and leaves nothing behind.
fetch_refused() {
	run --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" \
		--cache-dir "$T/cache" -o "$T/b.json" "$SRC"
	assert_failure "$1"
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: $2"
	assert [ ! -e "$T/b.json" ]
	assert [ ! -e "$T/cache/kds/cek-$ID_HEX.cert" ]
}

@test "a KDS answering garbage of a CEK's size is refused with exit 3" {
	kds_start garbage "$VIRTEE/tests-naples/cek.cert"
	fetch_refused 3 "fetching CEK '$(cek_url)': not a CEK: unsupported SEV certificate version 2328430663, expected 1"
}

@test "a KDS answering an HTML page is refused with exit 3" {
	kds_start html "$VIRTEE/tests-naples/cek.cert"
	fetch_refused 3 "fetching CEK '$(cek_url)': not a CEK: wrong size 55 bytes, a SEV certificate has 2084"
}

@test "a KDS answering a truncated CEK is refused with exit 3" {
	kds_start short "$VIRTEE/tests-naples/cek.cert"
	fetch_refused 3 "fetching CEK '$(cek_url)': not a CEK: wrong size 100 bytes, a SEV certificate has 2084"
}

@test "a KDS closing the connection in the middle of the CEK is exit 4" {
	kds_start cut "$VIRTEE/tests-naples/cek.cert"
	# (retried, as any transfer that fails)
	fetch_refused 4 "fetching CEK '$(cek_url)': transfer closed with 1042 bytes remaining to read after 4 attempts"
}

@test "a KDS CEK with this chip's key but a broken signature is refused with exit 3" {
	cp "$VIRTEE/tests-naples/cek.cert" "$T/cek.cert"
	# a byte inside the first signature (the ASK's over the CEK)
	printf '\x5a' | dd of="$T/cek.cert" bs=1 seek=1100 conv=notrunc status=none
	kds_start ok "$T/cek.cert"
	fetch_refused 3 "fetching CEK '$(cek_url)': no built-in AMD ASK signs it"
	# so nothing bad was cached: a good KDS is asked again and trusted
	kds_stop
	kds_start ok "$VIRTEE/tests-naples/cek.cert"
	run -0 --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" \
		--cache-dir "$T/cache" -o "$T/b.json" "$SRC"
	run -0 sevmig-certs verify "$T/b.json"
}
