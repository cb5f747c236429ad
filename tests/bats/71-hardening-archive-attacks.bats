#!/usr/bin/env bats
# Attacks on the archive, built with tests/helpers/archive-mangle from a
# good one: replayed, moved, reordered, dropped or retyped records, a GPA
# outside the layout, a trailer that lies, a manifest claiming more memory,
# another session blob, path-like and non-file entries.  Each is refused
# before RECEIVE_FINISH: the target never resumes, holds no guest context
# (the half-received one died with the importer) and still takes the good
# archive.  Where the format cannot see an attack (sevmig-archive(5),
# WHAT IS NOT DETECTED), the guest's own check does.

load helpers
load archive
load hardening
bats_require_minimum_version 1.8.0

setup_file() {
	h_platforms
}

setup() {
	h_setup
	h_pair --mem 4M --shared 10
	save_digest
	save_archive 2>/dev/null
}

teardown() {
	h_teardown
}

record_kind() {
	archive-mangle list <"$T/guest.sevmig" | awk -v n="$1" '$1 == "record" && $2 == n {print $4}'
}

# The first record of a kind after record $2 (default: from the start).
first_record() {
	archive-mangle list <"$T/guest.sevmig" |
		awk -v k="$1" -v a="${2:--1}" '$1 == "record" && $4 == k && $2 > a {print $2; exit}'
}

dev_size() {
	entry_size sevmig/device-state.bin "$T/guest.sevmig"
}

record_gpa() {
	archive-mangle list <"$T/guest.sevmig" | awk -v n="$1" '$1 == "record" && $2 == n {print $3}'
}

# A fresh incoming b (after refused took the good archive).
restart_b() {
	sevmig-sim ctl "$T/b.sock" quit
	h_until 10 test ! -S "$T/b.sock"
	sim_run b pb --incoming --mem 4M --shared 10
}

# mangle [--fix-trailer] OP ARGS...: $T/bad.sevmig from the good archive.
mangle() {
	archive-mangle "$@" <"$T/guest.sevmig" >"$T/bad.sevmig"
}

# refused CODE MESSAGE: importing bad.sevmig fails with exactly this, the
# same for --check where it applies (CHECK=no to skip: firmware-only),
# and the target takes no harm.
refused() {
	run --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	[ "$status" -eq "$1" ] || { echo "exit $status: $stderr"; false; }
	assert_output ""
	assert_equal "$stderr" "sevmig-import: $2"
	assert_target_waiting
	if [ "${CHECK:-yes}" = yes ]; then
		run --separate-stderr sevmig-import --check -i "$T/bad.sevmig"
		[ "$status" -eq "$1" ] || { echo "--check: exit $status: $stderr"; false; }
	fi
	# (b may have been restarted, its copy gone: the same archive again)
	run -0 sevmig-import --allow-replay -i "$T/guest.sevmig" "$T/b.sock"
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
}

P0=sevmig/pages/00000000

@test "a packet replayed at another address is caught by the digest" {
	local a b
	a=$(first_record private)
	b=$(first_record private "$a")
	mangle copy-data "$a" "$b"
	refused 3 "archive digest does not match the trailer: the stream was damaged"
}

@test "a packet replayed at another address with the digest rewritten: only the guest's check sees it" {
	local a b gpa
	a=$(first_record private)
	b=$(first_record private 500)
	gpa=$(record_gpa "$b")
	mangle --fix-trailer copy-data "$a" "$b"
	# valid for the format and for the firmware (its MAC has no address)
	run -0 sevmig-import --check -i "$T/bad.sevmig"
	run -0 --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	run -3 sevmig-sim ctl "$T/b.sock" check
	assert_output "sevmig-sim: guest check failed: 1 of 1024 pages and 0 of 0 VMSAs hold wrong content; first bad pages: $gpa"
}

@test "the same packet twice at its own address is out of sequence" {
	mangle dup 20
	refused 3 "entry '$P0': record 20 ($(record_kind 20), gpa $(record_gpa 20)): out of sequence, expected record 21"
}

@test "a packet moved to another address, header and all, is refused at its record" {
	mangle set-gpa 30 0x40000
	refused 3 "entry '$P0': record 30 ($(record_kind 30), gpa 0x40000): expected gpa $(record_gpa 30) (duplicated, dropped or relocated record)"
}

@test "packets exchanged between two addresses are caught by the digest" {
	local a
	a=$(first_record private)
	mangle swap-data "$a" $((a + 1))
	refused 3 "archive digest does not match the trailer: the stream was damaged"
}

@test "two records in swapped order are refused" {
	mangle swap-records 40 41
	refused 3 "entry '$P0': record 41 ($(record_kind 41), gpa $(record_gpa 41)): out of sequence, expected record 40"
}

@test "a dropped record is refused at the next one" {
	mangle drop-record 50
	refused 3 "entry '$P0': record 51 ($(record_kind 51), gpa $(record_gpa 51)): out of sequence, expected record 50"
}

@test "a dropped last record is refused before the device state" {
	mangle drop-record 1023
	refused 3 "before entry 'sevmig/device-state.bin': page records end after 1023 of 1024 records"
}

@test "a shared record at a private address is refused" {
	local n
	n=$(first_record private)
	mangle set-kind "$n" shared
	refused 3 "entry '$P0': record $n (shared, gpa $(record_gpa "$n")): plain data for a private page"
}

@test "a zero record at a private address is refused" {
	local n
	n=$(first_record private)
	mangle set-kind "$n" zero
	refused 3 "entry '$P0': record $n (zero, gpa $(record_gpa "$n")): plain data for a private page"
}

@test "a private packet at a shared address is refused" {
	local n
	n=$(first_record shared)
	mangle set-kind "$n" private
	refused 3 "entry '$P0': record $n (private, gpa $(record_gpa "$n")): private packet for a shared page"
}

@test "a record at an address outside the layout is refused" {
	mangle set-gpa 1023 0x400000
	refused 3 "entry 'sevmig/pages/00000003': record 1023 (private, gpa 0x400000): expected gpa 0x3ff000 (duplicated, dropped or relocated record)"
}

@test "shared regions outside the layout are refused before RECEIVE_START" {
	local g
	g=$(tar -xOf "$T/guest.sevmig" sevmig/shared-regions.json | sed -n 's/.*"gpa": "\(0x[0-9a-f]*\)".*/\1/p' | head -1)
	archive-mangle edit sevmig/shared-regions.json "\"gpa\": \"$g\"" '"gpa": "0x10000000"' <"$T/guest.sevmig" >"$T/bad.sevmig"
	run --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	assert_equal "$status" 3
	[[ "$stderr" == "sevmig-import: entry 'sevmig/shared-regions.json': invalid shared regions: region 0x10000000+0x"*" is outside guest memory" ]]
	assert_target_waiting
}

@test "trailer counts that do not match the stream are refused" {
	local p s
	p=$(tar -xOf "$T/guest.sevmig" sevmig/trailer.json | sed -n 's/.*"private": \([0-9]*\).*/\1/p')
	s=$(tar -xOf "$T/guest.sevmig" sevmig/trailer.json | sed -n 's/.*"shared": \([0-9]*\).*/\1/p')
	# one private page counted as shared: the totals still add up
	archive-mangle edit sevmig/trailer.json "\"private\": $p" "\"private\": $((p - 1))" <"$T/guest.sevmig" |
		archive-mangle edit sevmig/trailer.json "\"shared\": $s" "\"shared\": $((s + 1))" >"$T/bad.sevmig"
	refused 3 "trailer counts ($((p - 1)) private, $((s + 1)) shared, 0 zero, 0 vmsa, 4 chunks, $(dev_size) device state bytes) do not match the stream ($p, $s, 0, 0, 4, $(dev_size))"
}

@test "a trailer chunk count that does not match is refused" {
	archive-mangle edit sevmig/trailer.json '"chunks": 4' '"chunks": 5' <"$T/guest.sevmig" >"$T/bad.sevmig"
	local p s
	p=$(tar -xOf "$T/guest.sevmig" sevmig/trailer.json | sed -n 's/.*"private": \([0-9]*\).*/\1/p')
	s=$(tar -xOf "$T/guest.sevmig" sevmig/trailer.json | sed -n 's/.*"shared": \([0-9]*\).*/\1/p')
	refused 3 "trailer counts ($p private, $s shared, 0 zero, 0 vmsa, 5 chunks, $(dev_size) device state bytes) do not match the stream ($p, $s, 0, 0, 4, $(dev_size))"
}

@test "a trailer device-state size that does not match is refused, naming it" {
	local p s d
	p=$(tar -xOf "$T/guest.sevmig" sevmig/trailer.json | sed -n 's/.*"private": \([0-9]*\).*/\1/p')
	s=$(tar -xOf "$T/guest.sevmig" sevmig/trailer.json | sed -n 's/.*"shared": \([0-9]*\).*/\1/p')
	d=$(dev_size)
	archive-mangle edit sevmig/trailer.json "\"device_state_size\": $d" "\"device_state_size\": $((d + 1))" <"$T/guest.sevmig" >"$T/bad.sevmig"
	refused 3 "trailer counts ($p private, $s shared, 0 zero, 0 vmsa, 4 chunks, $((d + 1)) device state bytes) do not match the stream ($p, $s, 0, 0, 4, $d)"
}

@test "a trailer whose record total is not the sum of its counts is refused" {
	archive-mangle edit sevmig/trailer.json '"records": 1024' '"records": 1023' <"$T/guest.sevmig" >"$T/bad.sevmig"
	refused 3 "entry 'sevmig/trailer.json': invalid trailer: records 1023 is not the sum of the counts"
}

@test "a trailer digest that does not match is refused" {
	local d
	d=$(tar -xOf "$T/guest.sevmig" sevmig/trailer.json | sed -n 's/.*"xxh3-128:\([0-9a-f]*\)".*/\1/p')
	archive-mangle edit sevmig/trailer.json "xxh3-128:$d" "xxh3-128:$(rev <<<"$d")" <"$T/guest.sevmig" >"$T/bad.sevmig"
	refused 3 "archive digest does not match the trailer: the stream was damaged"
}

@test "a trailer digest of another algorithm than the manifest names is refused" {
	local d
	d=$(tar -xOf "$T/guest.sevmig" sevmig/trailer.json | sed -n 's/.*"xxh3-128:\([0-9a-f]*\)".*/\1/p')
	archive-mangle edit sevmig/trailer.json "xxh3-128:$d" "sha256:$d$d" <"$T/guest.sevmig" >"$T/bad.sevmig"
	refused 3 "the trailer's digest is sha256, the manifest's xxh3-128: the stream was damaged"
}

@test "a manifest naming a digest this sevmig does not know is refused as unsupported" {
	mangle --fix-trailer edit sevmig/manifest.json '"digest": "xxh3-128"' '"digest": "blake3"'
	refused 6 "entry 'sevmig/manifest.json': unsupported manifest digest 'blake3' (this sevmig reads sha256 and xxh3-128)"
}

@test "a manifest claiming more memory than the target has is refused before RECEIVE_START" {
	archive-mangle edit sevmig/manifest.json '"pages": 1024' '"pages": 2048' <"$T/guest.sevmig" |
		archive-mangle edit sevmig/manifest.json '"size": 4194304' '"size": 8388608' |
		archive-mangle edit sevmig/manifest.json '"records": 1024' '"records": 2048' >"$T/bad.sevmig"
	CHECK=no refused 5 "the guest's memory (2048 pages) does not fit VM '$T/b.sock' (1024 pages)"
}

@test "a manifest moving the memory above the target's is refused before RECEIVE_START" {
	archive-mangle edit sevmig/manifest.json '"gpa": "0x0"' '"gpa": "0x100000000"' <"$T/guest.sevmig" >"$T/bad.sevmig"
	CHECK=no refused 5 "the guest's memory range 0x100000000+0x400000 is not in the memory of VM '$T/b.sock'"
}

@test "the session blob of another export to the same target fails every packet's MAC" {
	sevmig-export -q $(certs_b) --keep-source -o "$T/other.sevmig" "$T/a.sock"
	tar -xOf "$T/other.sevmig" sevmig/session.bin >"$T/other.bin"
	archive-mangle replace-entry sevmig/session.bin "$T/other.bin" <"$T/guest.sevmig" >"$T/bad.sevmig"
	# RECEIVE_START accepts it (made for this PDH and policy); the first
	# private packet's MAC, under other keys, does not verify.
	local n
	n=$(first_record private)
	run --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	assert_equal "$status" 3
	[[ "$stderr" == "sevmig-import: entry '$P0': record $n (private, gpa $(record_gpa "$n")): RECEIVE_UPDATE_DATA failed"*"BAD_MEASUREMENT"* ]]
	assert_target_waiting
	# --check has no keys: only the digest tells
	run -3 sevmig-import --check -i "$T/bad.sevmig"
}

@test "a session blob of the wrong size is refused before RECEIVE_START" {
	head -c 100 /dev/zero >"$T/short.bin"
	archive-mangle replace-entry sevmig/session.bin "$T/short.bin" <"$T/guest.sevmig" >"$T/bad.sevmig"
	refused 3 "entry 'sevmig/session.bin' is 100 bytes, not 128"
}

@test "a session blob made for another platform fails RECEIVE_START" {
	sevmig-export -q -c "$T/pc" --ark "$T/pc/ark.cert" --keep-source -o "$T/other.sevmig" "$T/a.sock"
	tar -xOf "$T/other.sevmig" sevmig/session.bin >"$T/other.bin"
	archive-mangle replace-entry sevmig/session.bin "$T/other.bin" <"$T/guest.sevmig" >"$T/bad.sevmig"
	run --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	[[ "$stderr" == "sevmig-import: RECEIVE_START failed"*"BAD_MEASUREMENT"* ]] || { echo "exit $status: $stderr"; false; }
	assert_equal "$status" 3
	assert_target_waiting
}

@test "a manifest policy that the session's MAC does not cover fails RECEIVE_START" {
	archive-mangle edit sevmig/manifest.json '"policy": 1' '"policy": 3' <"$T/guest.sevmig" >"$T/bad.sevmig"
	run --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	[[ "$stderr" == "sevmig-import: RECEIVE_START failed"*"BAD_MEASUREMENT"* ]] || { echo "exit $status: $stderr"; false; }
	assert_equal "$status" 3
	assert_target_waiting
}

@test "path-like entry names are refused" {
	local nm
	for nm in ../x /abs sevmig/../sevmig/manifest.json sevmig//manifest.json \
		./sevmig/manifest.json 'sevmig/mani fest.json' sevmig/manifest.json/; do
		archive-mangle rename-entry sevmig/manifest.json "$nm" <"$T/guest.sevmig" >"$T/bad.sevmig"
		refused 3 "refusing archive entry '$nm': not a plain relative name"
		restart_b
	done
}

@test "symlink, hardlink, device and FIFO entries are refused" {
	local k
	for k in symlink hardlink chr fifo; do
		tar_entry_as "$T/guest.sevmig" "$T/bad.sevmig" sevmig/session.bin "$k" /etc/passwd
		refused 3 "refusing archive entry 'sevmig/session.bin': not a regular file"
		restart_b
	done
}

@test "a directory entry is refused" {
	tar_entry_as "$T/guest.sevmig" "$T/bad.sevmig" sevmig/session.bin dir ""
	refused 3 "refusing archive entry 'sevmig/session.bin/': not a plain relative name"
}
