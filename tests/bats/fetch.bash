# Helpers for the sevmig-certs fetch tests (tests/bats/11-certs-fetch-*):
# the scripted KDS and QMP peers of tests/helpers/, a real QEMU, and
# fixtures built from the real AMD test certificates.  Load after helpers;
# call fetch_stop_all in teardown.
#
#   kds_start SCRIPT [CEK]   start tests/helpers/kds-stub.py on 127.0.0.1
#                            (SCRIPT as documented there); sets KDS_PORT,
#                            KDS_URL, KDS_LOG (one "GET PATH" per request)
#   kds_stop                 stop it (the port is then dead)
#   qmp_peer_start MODE PDH CHAIN [ID_HEX]
#                            start tests/helpers/qmp-peer.py on $QMP_SOCK
#   qemu_start               start a real qemu-system-x86_64 -machine none
#                            with -qmp unix:$QMP_SOCK (skips without QEMU)
#   naples_export DIR        DIR/pdh.cert and DIR/chain.bin (PEK || OCA ||
#                            unsigned CEK): what the Naples chip of the test
#                            data would export through PDH_CERT_EXPORT
#   naples_unsigned_bundle FILE
#                            a sevmig-certs/1 bundle of that export with
#                            chip_id $ID_HEX and no ASK/ARK
#   dead_port                a TCP port on 127.0.0.1 nobody listens on
#   need_fetch               skip (visibly) while sevmig-certs fetch is the
#                            placeholder that predates lib/fetch/fetch.c
#   fetch_stop_all           stop every process these helpers started
# shellcheck shell=bash

# The chip id the fixtures claim (64 bytes, as GET_ID2 returns).
ID_HEX=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ID_HEX=${ID_HEX}fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210
QMP_SOCK=$BATS_TEST_TMPDIR/qmp.sock
HELPERS_SRC=$SEVMIG_ROOT/tests/helpers

# Remember a background pid for fetch_stop_all.
_fetch_track() {
	echo "$1" >>"$BATS_TEST_TMPDIR/fetch.pids"
}

kds_start() {
	local pf=$BATS_TEST_TMPDIR/kds.port args=(--script "$1")
	[ -n "${2:-}" ] && args+=(--cek "$2")
	KDS_LOG=$BATS_TEST_TMPDIR/kds.log
	rm -f "$pf" "$KDS_LOG"
	python3 "$HELPERS_SRC/kds-stub.py" --port-file "$pf" --log "$KDS_LOG" \
		"${args[@]}" </dev/null >/dev/null 2>&1 3>&- &
	KDS_PID=$!
	_fetch_track "$KDS_PID"
	wait_for_path "$pf" 10
	KDS_PORT=$(cat "$pf")
	KDS_URL=http://127.0.0.1:$KDS_PORT
	: >>"$KDS_LOG"
	export KDS_PORT KDS_URL KDS_LOG
}

kds_stop() {
	[ -n "${KDS_PID:-}" ] || return 0
	kill "$KDS_PID" 2>/dev/null
	wait "$KDS_PID" 2>/dev/null || true
	KDS_PID=
	return 0
}

qmp_peer_start() {
	local args=(--socket "$QMP_SOCK" --mode "$1" --pdh "$2" --chain "$3")
	[ -n "${4:-}" ] && args+=(--id-hex "$4")
	rm -f "$QMP_SOCK"
	python3 "$HELPERS_SRC/qmp-peer.py" "${args[@]}" \
		</dev/null >/dev/null 2>&1 3>&- &
	_fetch_track "$!"
	wait_for_path "$QMP_SOCK" 10
}

qemu_start() {
	local i
	command -v qemu-system-x86_64 >/dev/null ||
		skip "no qemu-system-x86_64 (Debian qemu-system-x86)"
	rm -f "$QMP_SOCK"
	qemu-system-x86_64 -machine none -nodefaults -display none \
		-qmp "unix:$QMP_SOCK,server=on,wait=off" \
		</dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/qemu.log" 3>&- &
	_fetch_track "$!"
	wait_for_path "$QMP_SOCK" 20
	# The socket file appears just before QEMU listens on it.
	for ((i = 0; i < 50; i++)); do
		socat -u OPEN:/dev/null "UNIX-CONNECT:$QMP_SOCK" 2>/dev/null &&
			return 0
		sleep 0.1
	done
}

naples_export() {
	mkdir -p "$1"
	cp "$VIRTEE/tests-naples/pdh.cert" "$1/pdh.cert"
	cat "$VIRTEE/tests-naples/pek.cert" "$VIRTEE/tests-naples/oca.cert" \
		"$VIRTEE/naples-cek-unsigned/cek.uns.cert" >"$1/chain.bin"
}

naples_unsigned_bundle() {
	python3 - "$VIRTEE" "$ID_HEX" "$1" <<-'EOF'
		import base64, json, sys
		v, chip, out = sys.argv[1:4]
		def b64(p):
		    with open(p, "rb") as f:
		        return base64.b64encode(f.read()).decode()
		doc = {
		    "schema": "sevmig-certs/1",
		    "pdh": b64(v + "/tests-naples/pdh.cert"),
		    "pek": b64(v + "/tests-naples/pek.cert"),
		    "oca": b64(v + "/tests-naples/oca.cert"),
		    "cek": b64(v + "/naples-cek-unsigned/cek.uns.cert"),
		    "chip_id": chip,
		    "source": "test fixture",
		}
		with open(out, "w") as f:
		    json.dump(doc, f, indent=2, sort_keys=True)
	EOF
}

need_fetch() {
	local err
	err=$(sevmig-certs fetch "file:$BATS_TEST_TMPDIR/none" 2>&1 >/dev/null) || true
	case $err in
	*"fetch is not available in this build"*)
		skip "sevmig-certs fetch is not built in yet: $err" ;;
	esac
	return 0
}

dead_port() {
	free_port
}

fetch_stop_all() {
	local pid
	[ -f "$BATS_TEST_TMPDIR/fetch.pids" ] || return 0
	while read -r pid; do
		kill "$pid" 2>/dev/null
	done <"$BATS_TEST_TMPDIR/fetch.pids"
	while read -r pid; do
		wait "$pid" 2>/dev/null || true
	done <"$BATS_TEST_TMPDIR/fetch.pids"
	rm -f "$BATS_TEST_TMPDIR/fetch.pids"
	return 0
}
