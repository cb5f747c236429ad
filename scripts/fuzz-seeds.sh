#!/usr/bin/env bash
# Regenerate the seed corpora of the libFuzzer harnesses
# (tests/fuzz/corpus/NAME/) from the real AMD certificates.
#
#   scripts/fuzz-seeds.sh [AMD_CERTS_DIR]
#
# AMD_CERTS_DIR defaults to $SEVMIG_AMD_CERTS, then ../shared/testdata/
# amd-certs.  The certificates are public (see that directory's README);
# a few are copied, or wrapped in the formats sevmig reads, as seeds.
# The archive seeds (corpus/archive/*.sevmig) are committed files, made by
# sevmig-export from small simulated guests (see tests/fuzz/README.md);
# the manifest and records seeds are cut out of them here.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
certs=${1:-${SEVMIG_AMD_CERTS:-$root/../shared/testdata/amd-certs}}
out=$root/tests/fuzz/corpus
[ -r "$certs/virtee-sev/tests-rome/pdh.cert" ] || {
	echo "fuzz-seeds.sh: no AMD certificates in '$certs'" >&2
	exit 1
}
v=$certs/virtee-sev
naos=$certs/naos-sev-tool/milan-export-2782152

b64() { base64 -w0 "$@"; }
seed() { mkdir -p "$out/$1" && cat >"$out/$1/$2"; }

# ---- sev-cert: one SEV certificate of each usage and kind ----
rm -rf "$out/sev-cert"
cat "$v/tests-rome/pdh.cert" | seed sev-cert rome-pdh
cat "$v/tests-rome/pek.cert" | seed sev-cert rome-pek
cat "$v/tests-rome/oca.cert" | seed sev-cert rome-oca
cat "$v/tests-rome/cek.cert" | seed sev-cert rome-cek
cat "$v/tests-naples/cek.cert" | seed sev-cert naples-cek
cat "$v/naples-cek-unsigned/cek.uns.cert" | seed sev-cert naples-cek-unsigned
cat "$naos/pek_csr.cert" | seed sev-cert milan-pek-csr
cat "$certs/sev-tool/psp-sev-assets/oca.cert" | seed sev-cert sev-tool-oca

# ---- amd-cert: ARK, ASK, ASK||ARK, the 576-byte Naples ARK ----
rm -rf "$out/amd-cert"
cat "$v/builtin-naples/ark.cert" | seed amd-cert naples-ark
cat "$v/builtin-naples/ask.cert" | seed amd-cert naples-ask
cat "$v/builtin-rome/ark.cert" | seed amd-cert rome-ark
cat "$v/builtin-milan/ask.cert" | seed amd-cert milan-ask
cat "$v/naples-ask_ark/ask_ark.cert" | seed amd-cert naples-ask-ark
cat "$v/tests-naples/ark.cert.bad" | seed amd-cert naples-ark-unsigned
cat "$v/builtin-genoa/ask.cert" "$v/builtin-genoa/ark.cert" |
	seed amd-cert genoa-ask-ark

# ---- chain: one mode byte, then certificates back to back ----
# mode bits 0-2: product (0 detect, 1 naples ... 5 turin); bits 3-4: trust
# anchor (0 built-in roots, 1 the chain's own ARK as --ark, 2 the same
# plus its ASK, 3 the product's built-in ARK given as --ark).
rm -rf "$out/chain"
chain() {
	local name=$1 mode=$2
	shift 2
	{ printf "\\x$mode"; cat "$@"; } | seed chain "$name"
}
for p in rome milan; do
	t=$v/tests-$p b=$v/builtin-$p
	chain "$p-full" 00 "$t/pdh.cert" "$t/pek.cert" "$t/oca.cert" \
		"$t/cek.cert" "$b/ask.cert" "$b/ark.cert"
done
chain rome-named-no-amd 02 "$v/tests-rome/pdh.cert" "$v/tests-rome/pek.cert" \
	"$v/tests-rome/oca.cert" "$v/tests-rome/cek.cert"
chain naples-unsigned-ark 00 "$v/tests-naples/pdh.cert" \
	"$v/tests-naples/pek.cert" "$v/tests-naples/oca.cert" \
	"$v/tests-naples/cek.cert" "$v/builtin-naples/ask.cert" \
	"$v/tests-naples/ark.cert.bad"
chain naples-own-ark 08 "$v/tests-naples/cek.cert" \
	"$v/builtin-naples/ask.cert" "$v/builtin-naples/ark.cert"
chain milan-export-unsigned-cek 1b "$naos/pdh.cert" "$naos/cert_chain.cert"

# ---- bundle: every input sm_certs_load_buf accepts ----
rm -rf "$out/bundle"
bundle() {
	local dir=$1 product=$2 k
	printf '{\n  "api_version": "0.22",\n  "product": "%s",\n' "$product"
	printf '  "schema": "sevmig-certs/1",\n  "source": "fuzz seed"'
	for k in pdh pek oca cek ask ark; do
		[ -r "$dir/$k.cert" ] || continue
		printf ',\n  "%s": "%s"' "$k" "$(b64 "$dir/$k.cert")"
	done
	printf '\n}\n'
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$v"/tests-rome/*.cert "$v"/builtin-rome/*.cert "$tmp/"
bundle "$tmp" rome | seed bundle bundle-rome
rm -f "$tmp"/*
cp "$v/tests-naples/pdh.cert" "$v/tests-naples/pek.cert" "$tmp/"
printf '{"schema": "sevmig-certs/1", "chip_id": "0123abcd", "pdh": "%s", "pek": "%s"}\n' \
	"$(b64 "$tmp/pdh.cert")" "$(b64 "$tmp/pek.cert")" | seed bundle bundle-partial
printf '{"return": {"pdh": "%s", "cert-chain": "%s", "cpu0-id": "%s", "cbitpos": 51, "reduced-phys-bits": 1}}\n' \
	"$(b64 "$naos/pdh.cert")" "$(b64 "$naos/cert_chain.cert")" \
	"$(head -c 64 "$v/builtin-milan/ark.cert" | b64)" | seed bundle qemu-return
printf '{"error": {"class": "GenericError", "desc": "SEV: Failed to open /dev/sev"}}\n' |
	seed bundle qemu-error
cat "$v/naples-2019-early/cek_ask.cert" | seed bundle hex-cek
cat "$v/naples-ask_ark/ask_ark.cert" | seed bundle ask-ark
cat "$naos/cert_chain.cert" | seed bundle pek-oca-cek
cat "$v/tests-naples/pdh.cert" "$v/tests-naples/pek.cert" \
	"$v/tests-naples/oca.cert" "$v/tests-naples/cek.cert" \
	"$v/builtin-naples/ask.cert" "$v/builtin-naples/ark.cert" |
	seed bundle sevctl-full
cat "$v/tests-milan/cek.cert" | seed bundle one-cek

# ---- qmp: what the peer sends, greeting to the last answer ----
rm -rf "$out/qmp"
greeting='{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 8}, "package": "Debian 1:8.2.2"}, "capabilities": ["oob"]}}'
{
	printf '%s\r\n{"return": {}, "id": "sevmig-1"}\r\n' "$greeting"
	printf '{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RESUME"}\r\n'
	printf '{"return": {"pdh": "%s", "cert-chain": "%s", "cpu0-id": "%s", "cbitpos": 51, "reduced-phys-bits": 1}, "id": "sevmig-2"}\r\n' \
		"$(b64 "$naos/pdh.cert")" "$(b64 "$naos/cert_chain.cert")" \
		"$(head -c 64 "$v/builtin-milan/ark.cert" | b64)"
	printf '{"return": {"status": "paused", "running": false}, "id": "sevmig-3"}\r\n'
} | seed qmp milan-caps
{
	printf '%s\r\n{"return": {}}\r\n' "$greeting"
	printf '{"error": {"class": "GenericError", "desc": "SEV: Failed to get SEV capabilities"}, "id": "sevmig-2"}\r\n'
	printf '{"error": {"class": "CommandNotFound", "desc": "nope"}, "id": "sevmig-3"}\r\n'
} | seed qmp no-sev
{
	printf '%s\r\n' "$greeting"
	printf '{"error": {"class": "CommandNotFound", "desc": "The command qmp_capabilities has not been found"}, "id": "sevmig-1"}\r\n'
} | seed qmp no-capabilities
{
	printf '%s\n{"return": {}, "id": "other"}\n\n{"return": {}, "id": "sevmig-1"}\n' "$greeting"
	printf '{"return": {"pdh": "", "cert-chain": "AAAA"}, "id": "sevmig-2"}\n'
	printf '{"return": [1, "x", null], "id": "sevmig-3"}\n'
} | seed qmp short-fields

# ---- endpoint, endpoint-server: frames (see tests/fuzz/fuzz-common.h) ----
# frame CTL JSON: the ctl byte (bit 7 connection, bits 0-4 descriptors),
# the 4-byte big-endian length, the JSON text.
frame() {
	local n
	n=$(LC_ALL=C; printf %s "$2" | wc -c)
	printf "\\x$(printf %02x "$1")"
	printf "\\x$(printf %02x $((n >> 24 & 255)))\\x$(printf %02x $((n >> 16 & 255)))"
	printf "\\x$(printf %02x $((n >> 8 & 255)))\\x$(printf %02x $((n & 255)))"
	printf %s "$2"
}
ok='{"ok":true}'
rm -rf "$out/endpoint"
{
	frame 1 '{"ok":true,"version":1,"platform":"sim","platform_dir":"/var/lib/sim-a","role":"source","state":"running","vcpus":2,"es":true,"policy":5,"migration_ready":true,"mem_size":1179648,"memory":[{"gpa":"0x0","size":1048576,"fd":0,"offset":"0x0"},{"gpa":"0x100000000","size":131072,"fd":0,"offset":"0x100000"}]}'
	frame 0 '{"ok":true,"vmm_state":"running","role":"source","guest_state":"RUNNING","policy":5,"handle":1,"mem_size":1179648,"vcpus":2,"es":true,"migration_ready":true,"context_held":false}'
	frame 0 "$ok"
	frame 0 '{"ok":true,"regions":[{"gpa":"0x9000","size":8192}],"next":"0xb000"}'
	frame 0 '{"ok":true,"regions":[{"gpa":"0x100000000","size":4096}]}'
	frame 0 "$ok"
	frame 1 '{"ok":true,"size":4096}'
	frame 1 "$ok"
	frame 0 "$ok"
	frame 1 "$ok"
	for i in 1 2 3 4; do frame 0 "$ok"; done
	frame 0 '{"ok":true,"sha256":"5dff2a2a4dd59dc095d73a26af28be523192ade830bdd35bacdd81ee75584c45","pages":288}'
	frame 0 '{"ok":true,"pages":288,"bad":2,"first_bad":["0x1000","0x100000000"],"vmsas":2,"bad_vmsas":0}'
	frame 0 "$ok"
} | seed endpoint export-session
{
	frame 2 '{"ok":true,"version":1,"platform":"kvm","role":"incoming","state":"incoming","vcpus":1,"es":false,"policy":1,"migration_ready":false,"mem_size":65536,"memory":[{"gpa":"0x0","size":32768,"fd":0,"offset":"0x0"},{"gpa":"0x8000","size":32768,"fd":1,"offset":"0x0"}]}'
	frame 0 '{"ok":false,"error":"no such thing","code":"unsupported"}'
	frame 0 '{"ok":false,"error":"the guest is running: pause it first","code":"state"}'
	frame 0 '{"ok":false,"error":"not migration-ready","code":"state"}'
	frame 0 "$ok"
	frame 1 '{"ok":true,"size":0}'
	frame 1 "$ok"
	frame 0 '{"ok":false,"error":"device state truncated: got 0 of 4096 bytes","code":"invalid"}'
	frame 0 '{"ok":false,"error":"busy","code":"busy"}'
} | seed endpoint import-refusals
{
	frame 17 '{"ok":true,"version":2}'
	frame 0 '[1,2]'
	frame 0 ''
	printf '\x00\xff\xff\xff\xff'
} | seed endpoint malformed

# export: the source VMM's side of an export (ctl bit 6 of the first
# frame: a dry run)
rm -rf "$out/export"
src_hello='{"ok":true,"version":1,"platform":"sim","platform_dir":"/nonexistent","role":"source","state":"running","vcpus":1,"es":false,"policy":1,"migration_ready":true,"mem_size":1114112,"memory":[{"gpa":"0x0","size":1048576,"fd":0,"offset":"0x0"},{"gpa":"0x100000000","size":65536,"fd":0,"offset":"0x100000"}]}'
{
	frame 1 "$src_hello"
	frame 0 '{"ok":true,"regions":[{"gpa":"0x9000","size":8192}],"next":"0xb000"}'
	frame 0 '{"ok":true,"regions":[{"gpa":"0x100000000","size":4096}]}'
	frame 0 '{"ok":true,"vmm_state":"running","role":"source","guest_state":"RUNNING","policy":1,"handle":1,"mem_size":1114112,"vcpus":1,"es":false,"migration_ready":true,"context_held":false}'
	frame 0 "$ok"
	frame 1 "$ok"
	frame 0 "$ok"
	frame 0 "$ok"
} | seed export full
{
	frame 65 "$src_hello"
	frame 0 '{"ok":true,"regions":[]}'
} | seed export dry-run
{
	frame 1 "$src_hello"
	frame 0 '{"ok":true,"regions":[{"gpa":"0x100000000","size":65536}]}'
	frame 0 '{"ok":false,"error":"the guest is not running","code":"state"}'
} | seed export all-high-shared

rm -rf "$out/endpoint-server"
req() { frame "$1" "{\"version\":1,\"op\":\"$2\"${3:+,$3}}"; }
{
	req 0 hello
	req 0 status
	req 0 pause
	req 0 shared-regions '"from":"0x0"'
	req 0 take-context
	req 128 take-context
	req 128 status
	req 0 device-state
	req 0 digest
	req 0 check
	req 1 return-context
	req 0 take-context
	req 0 release
	req 0 resume
	req 128 quit
} | seed endpoint-server export-session
{
	req 0 hello
	req 0 set-shared-regions '"regions":[{"gpa":"0x9000","size":8192},{"gpa":"0x100000","size":4096}]'
	req 0 set-shared-regions '"regions":[{"gpa":"0x200000","size":4096}],"append":true'
	req 0 shared-regions '"from":"0xa000"'
	req 0 load-device-state '"size":4096'
	req 0 load-device-state '"size":100'
	req 1 adopt-context
	req 0 resume
	req 0 pause
	req 0 take-context
} | seed endpoint-server import-session
{
	req 3 hello
	frame 0 '{"version":2,"op":"hello"}'
	frame 0 '{"op":"status"}'
	frame 0 '[]'
	req 0 no-such-op
	req 0 set-shared-regions '"regions":[{"gpa":"0x9001","size":8192}]'
	req 0 load-device-state '"size":-1'
	frame 0 ''
	printf '\x00\x7f\xff\xff\xff'
} | seed endpoint-server malformed

# ---- manifest, records: the parts of the committed archive seeds ----
# (sim-devstate/es-padded is a committed file: a device state padded to
# 400 bytes by sevmig-sim run --device-state-size, not regenerated here.)
rm -rf "$out/manifest" "$out/records"
be32() {
	printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))"
	printf "\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"
}
for a in "$out"/archive/*.sevmig; do
	n=$(basename "$a" .sevmig)
	for d in manifest shared-regions trailer; do
		tar -xOf "$a" "sevmig/$d.json" | seed manifest "$n-$d"
	done
	{
		for d in manifest shared-regions; do
			tar -xOf "$a" "sevmig/$d.json" >"$tmp/part"
			be32 "$(stat -c %s "$tmp/part")"
			cat "$tmp/part"
		done
		for c in $(tar -tf "$a" | grep '^sevmig/pages/'); do
			tar -xOf "$a" "$c" >"$tmp/part"
			be32 "$(stat -c %s "$tmp/part")"
			cat "$tmp/part"
		done
	} | seed records "$n"
	# one ctl byte (the piece size), then the device state
	{ printf '\x04'; tar -xOf "$a" sevmig/device-state.bin; } |
		seed sim-devstate "$n"
done

du -sh "$out"/* >&2
