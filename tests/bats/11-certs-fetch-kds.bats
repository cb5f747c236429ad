#!/usr/bin/env bats
# sevmig-certs fetch and AMD's KDS: an unsigned CEK is replaced by the
# KDS's signed copy, fetched from a scripted server on 127.0.0.1
# (tests/helpers/kds-stub.py) with retries, timeouts, a cache and
# --offline.  The fixture is a real Naples chip: its firmware-exported
# CEK is naples-cek-unsigned/cek.uns.cert, its KDS copy tests-naples/cek.cert.

load helpers
load fetch
bats_require_minimum_version 1.8.0

setup() {
	need_fetch
	need_amd_certs
	T=$BATS_TEST_TMPDIR
	naples_unsigned_bundle "$T/unsigned.json"
	SRC=file:$T/unsigned.json
	# Short waits between retries when the server gives no Retry-After.
	export SEVMIG_KDS_RETRY_DELAY=0.2
}

teardown() {
	fetch_stop_all
}

# The URL the stub was asked for.
cek_url() {
	echo "$KDS_URL/cek/id/$ID_HEX"
}

@test "fetch replaces an unsigned CEK with the KDS-signed one and the chain verifies with the Naples roots" {
	kds_start ok "$VIRTEE/tests-naples/cek.cert"
	run --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" \
		--cache-dir "$T/cache" -o "$T/b.json" "$SRC"
	assert_success
	assert_equal "$stderr" ""
	assert_output ""
	run -0 cat "$KDS_LOG"
	assert_output "GET /cek/id/$ID_HEX"
	run --separate-stderr sevmig-certs verify "$T/b.json"
	assert_success
	assert_equal "$stderr" ""
	assert_line "product: naples"
	# The bundle now carries the KDS copy, byte for byte.
	run -0 python3 -c 'import base64, json, sys
d = base64.b64decode(json.load(open(sys.argv[1]))["cek"])
sys.exit(d != open(sys.argv[2], "rb").read())' "$T/b.json" "$VIRTEE/tests-naples/cek.cert"
}

@test "SEVMIG_KDS_URL is used without --kds-url, and the cache goes under XDG_CACHE_HOME" {
	kds_start ok "$VIRTEE/tests-naples/cek.cert"
	SEVMIG_KDS_URL=$KDS_URL run --separate-stderr sevmig-certs fetch \
		-o "$T/b.json" "$SRC"
	assert_success
	assert_equal "$stderr" ""
	assert [ -s "$XDG_CACHE_HOME/sevmig/kds/cek-$ID_HEX.cert" ]
	run -0 cat "$KDS_LOG"
	assert_output "GET /cek/id/$ID_HEX"
}

@test "429 with Retry-After is retried after the time the server asked for" {
	kds_start 429:1,ok "$VIRTEE/tests-naples/cek.cert"
	t0=$EPOCHREALTIME
	run --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" \
		--cache-dir "$T/cache" -o "$T/b.json" "$SRC"
	t1=$EPOCHREALTIME
	assert_success
	assert_equal "$stderr" ""
	run -0 wc -l <"$KDS_LOG"
	assert_output 2
	# waited at least the Retry-After second, not the 0.2 s default
	run -0 python3 -c "import sys; sys.exit(not 0.95 <= $t1 - $t0 < 10)"
	run -0 sevmig-certs verify "$T/b.json"
}

@test "400 right after a request is retried, as the KDS answers for a while after a valid response" {
	kds_start 400,ok "$VIRTEE/tests-naples/cek.cert"
	run --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" \
		--cache-dir "$T/cache" -o "$T/b.json" "$SRC"
	assert_success
	assert_equal "$stderr" ""
	run -0 wc -l <"$KDS_LOG"
	assert_output 2
	run -0 sevmig-certs verify "$T/b.json"
}

@test "a 400 that persists fails with exit 4, names the URL and writes no bundle" {
	kds_start 400
	run --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" \
		--cache-dir "$T/cache" -o "$T/b.json" "$SRC"
	assert_failure 4
	assert_output ""
	assert_regex "$stderr" "^sevmig-certs: fetching CEK '$(cek_url)': HTTP 400 Bad Request( after [0-9]+ attempts)?\$"
	assert [ ! -e "$T/b.json" ]
	assert [ ! -e "$T/cache/kds/cek-$ID_HEX.cert" ]
}

@test "500 fails with exit 4 and names the status" {
	kds_start 500
	run --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" \
		--cache-dir "$T/cache" "$SRC"
	assert_failure 4
	assert_output ""
	assert_regex "$stderr" "^sevmig-certs: fetching CEK '$(cek_url)': HTTP 500 Internal Server Error( after [0-9]+ attempts)?\$"
}

@test "404 fails at once with exit 4" {
	kds_start 404
	run --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" \
		--cache-dir "$T/cache" "$SRC"
	assert_failure 4
	assert_equal "$stderr" "sevmig-certs: fetching CEK '$(cek_url)': HTTP 404 Not Found"
	run -0 wc -l <"$KDS_LOG"
	assert_output 1
}

@test "a KDS that never answers times out with exit 4 within the total timeout" {
	kds_start hang
	t0=$EPOCHREALTIME
	SEVMIG_TIMEOUT=2 run --separate-stderr sevmig-certs fetch \
		--kds-url "$KDS_URL" --cache-dir "$T/cache" "$SRC"
	t1=$EPOCHREALTIME
	assert_failure 4
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: fetching CEK '$(cek_url)': timed out after 2 s"
	run -0 python3 -c "import sys; sys.exit(not $t1 - $t0 < 8)"
}

@test "a Retry-After beyond the total timeout fails at once with exit 4" {
	kds_start 429:30
	SEVMIG_TIMEOUT=5 run --separate-stderr sevmig-certs fetch \
		--kds-url "$KDS_URL" --cache-dir "$T/cache" "$SRC"
	assert_failure 4
	assert_equal "$stderr" "sevmig-certs: fetching CEK '$(cek_url)': HTTP 429 Too Many Requests (retry in 30 s would pass the 5 s timeout)"
}

@test "a cached CEK is used when the KDS is down" {
	kds_start ok "$VIRTEE/tests-naples/cek.cert"
	run -0 sevmig-certs fetch --kds-url "$KDS_URL" --cache-dir "$T/cache" \
		-o "$T/first.json" "$SRC"
	kds_stop
	run --separate-stderr sevmig-certs fetch \
		--kds-url "http://127.0.0.1:$(dead_port)" --cache-dir "$T/cache" \
		-o "$T/b.json" "$SRC"
	assert_success
	assert_equal "$stderr" ""
	run -0 sevmig-certs verify "$T/b.json"
	run -0 wc -l <"$KDS_LOG"
	assert_output 1
}

@test "--offline uses the cache and never the network" {
	kds_start ok "$VIRTEE/tests-naples/cek.cert"
	run -0 sevmig-certs fetch --kds-url "$KDS_URL" --cache-dir "$T/cache" \
		-o "$T/first.json" "$SRC"
	run --separate-stderr sevmig-certs fetch --offline \
		--kds-url "$KDS_URL" --cache-dir "$T/cache" -o "$T/b.json" "$SRC"
	assert_success
	assert_equal "$stderr" ""
	run -0 sevmig-certs verify "$T/b.json"
	run -0 wc -l <"$KDS_LOG"
	assert_output 1
}

@test "--offline with an empty cache fails with exit 4 naming the cache file" {
	kds_start ok "$VIRTEE/tests-naples/cek.cert"
	run --separate-stderr sevmig-certs fetch --offline \
		--kds-url "$KDS_URL" --cache-dir "$T/cache" -o "$T/b.json" "$SRC"
	assert_failure 4
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: no cached CEK '$T/cache/kds/cek-$ID_HEX.cert': offline, so the KDS was not asked"
	assert [ ! -e "$T/b.json" ]
	run -0 wc -l <"$KDS_LOG"
	assert_output 0
}

@test "-v says where each item came from: the network (URL and HTTP status) first, the cache (path and age) after; --offline with a miss says so (issue 18)" {
	kds_start ok "$VIRTEE/tests-naples/cek.cert"
	local c=$T/cache/kds/cek-$ID_HEX.cert
	run -0 --separate-stderr sevmig-certs fetch -v --kds-url "$KDS_URL" --cache-dir "$T/cache" \
		-o "$T/first.json" "$SRC"
	assert_equal "$(grep KDS: <<<"$stderr")" "sevmig-certs: KDS: CEK is not in the cache ('$c')
sevmig-certs: KDS: CEK from the network: GET $(cek_url): HTTP 200, $(stat -c %s "$c") bytes
sevmig-certs: KDS: CEK saved in the cache '$c'"
	run -0 --separate-stderr sevmig-certs fetch -v --kds-url "$KDS_URL" --cache-dir "$T/cache" \
		-o "$T/second.json" "$SRC"
	[[ "$(grep KDS: <<<"$stderr")" =~ ^"sevmig-certs: KDS: CEK from the cache, not the network: '$c' (written "[0-9]+" s ago)"$ ]] ||
		{ echo "$stderr"; false; }
	run -0 wc -l <"$KDS_LOG"
	assert_output 1
	# an hour-old cache file says so
	touch -d '-3 hours' "$c"
	run -0 --separate-stderr sevmig-certs fetch -v --offline --kds-url "$KDS_URL" --cache-dir "$T/cache" \
		-o "$T/third.json" "$SRC"
	assert_equal "$(grep KDS: <<<"$stderr")" "sevmig-certs: KDS: CEK from the cache, not the network: '$c' (written 3 h ago)"
	# without -v, nothing of it
	run -0 --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" --cache-dir "$T/cache" \
		-o "$T/fourth.json" "$SRC"
	assert_equal "$stderr" ""
	# --offline and a miss
	rm "$c"
	run -4 --separate-stderr sevmig-certs fetch -v --offline --kds-url "$KDS_URL" --cache-dir "$T/cache" \
		-o "$T/fifth.json" "$SRC"
	[[ "$stderr" == *"sevmig-certs: KDS: CEK is not in the cache ('$c')"* ]]
	[[ "$stderr" == *"sevmig-certs: no cached CEK '$c': offline, so the KDS was not asked" ]]
	run -0 wc -l <"$KDS_LOG"
	assert_output 1
}

@test "a KDS CEK with another chip's key is refused with exit 3 and not cached" {
	kds_start ok "$VIRTEE/tests-rome/cek.cert"
	run --separate-stderr sevmig-certs fetch --kds-url "$KDS_URL" \
		--cache-dir "$T/cache" "$SRC"
	assert_failure 3
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: fetching CEK '$(cek_url)': its public key is not the platform CEK's"
	assert [ ! -e "$T/cache/kds/cek-$ID_HEX.cert" ]
}

@test "a KDS URL that is not http or https is a usage error" {
	run --separate-stderr sevmig-certs fetch --kds-url "file:///etc/passwd" \
		--cache-dir "$T/cache" "$SRC"
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "sevmig-certs: bad KDS URL 'file:///etc/passwd': only http:// and https:// are allowed"
}
