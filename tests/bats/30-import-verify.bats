#!/usr/bin/env bats
# sevmig-import checks everything before the target runs: a damaged,
# truncated, reordered or foreign archive never resumes the target, and
# the message says what and where.  --check does the same without a VM.

load helpers
load archive
bats_require_minimum_version 1.8.0

setup() {
	pair --mem 4M --shared 10
	save_digest
	save_archive 2>/dev/null
}

teardown() {
	sim_stop_all
}

# The byte offset of record N's data in the saved archive.
data_offset() {
	archive-mangle list <"$T/guest.sevmig" | awk -v n="$1" '$1 == "record" && $2 == n {print $5}'
}

record_kind() {
	archive-mangle list <"$T/guest.sevmig" | awk -v n="$1" '$1 == "record" && $2 == n {print $4}'
}

# The first record of a kind.
first_record() {
	archive-mangle list <"$T/guest.sevmig" | awk -v k="$1" '$1 == "record" && $4 == k {print $2; exit}'
}

flip_at() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\x$(printf %02x $((b ^ 0x01)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# After a failed import the good archive still goes in: the target was
# not resumed and took no harm.
assert_target_recovers() {
	assert_target_untouched
	run -0 sevmig-import -i "$T/guest.sevmig" "$T/b.sock"
	assert_migrated_from_file
}

assert_migrated_from_file() {
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
	assert_equal "$(sim_status b 'vmm state')" running
}

@test "--check accepts a saved archive and summarises it" {
	run -0 --separate-stderr sevmig-import --check -i "$T/guest.sevmig"
	assert_output --regexp '^valid: policy 0x1, 1 vCPU, 4 MiB; 1024 records \([0-9]+ private, [0-9]+ shared, 0 zero, 0 vmsa\) in 4 chunks; xxh3-128:[0-9a-f]{32}$'
	assert_equal "$stderr" ""
	run -0 --separate-stderr sevmig-import --check -J -i "$T/guest.sevmig"
	run -0 python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["schema"], r["result"], r["counts"]["records"], r["chunks"])' "$output"
	assert_output "sevmig-import-check/1 valid 1024 4"
	run -0 bash -c "sevmig-import --check <'$T/guest.sevmig'"
}

@test "a flipped byte in a private packet fails RECEIVE_UPDATE_DATA with exit 3" {
	local n off
	n=$(first_record private)
	off=$(data_offset "$n")
	cp "$T/guest.sevmig" "$T/bad.sevmig"
	flip_at "$T/bad.sevmig" $((off + 100))
	run -3 --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	assert_output ""
	[[ "$stderr" == "sevmig-import: entry 'sevmig/pages/00000000': record $n (private, gpa 0x"*"): RECEIVE_UPDATE_DATA failed"*"BAD_MEASUREMENT"* ]]
	assert_target_recovers
}

@test "a flipped byte in a packet header fails the MAC check" {
	local n off
	n=$(first_record private)
	off=$(data_offset "$n")
	cp "$T/guest.sevmig" "$T/bad.sevmig"
	# the MAC field of the record's packet header (record header + 0x18 + 0x14)
	flip_at "$T/bad.sevmig" $((off - 80 + 0x18 + 0x14 + 3))
	run -3 --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	[[ "$stderr" == *"BAD_MEASUREMENT"* ]]
	assert_target_recovers
}

@test "a flipped byte in a shared page fails the trailer digest" {
	local n off
	n=$(first_record shared)
	off=$(data_offset "$n")
	cp "$T/guest.sevmig" "$T/bad.sevmig"
	flip_at "$T/bad.sevmig" $((off + 2000))
	run -3 --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	assert_equal "$stderr" "sevmig-import: archive digest does not match the trailer: the stream was damaged"
	assert_target_untouched
	run -3 --separate-stderr sevmig-import --check -i "$T/bad.sevmig"
	assert_target_recovers
}

@test "an archive with a SHA-256 trailer (--digest sha256, the format before XXH3) imports, and a flipped byte in it is caught" {
	local n off
	rm "$T/guest.sevmig"
	save_archive --digest sha256 2>/dev/null
	# no "digest" key: the manifest of every archive before XXH3
	run -0 tar -xOf "$T/guest.sevmig" sevmig/manifest.json
	refute_output --partial digest
	run -0 tar -xOf "$T/guest.sevmig" sevmig/trailer.json
	assert_output --regexp '"digest": "sha256:[0-9a-f]{64}"'
	run -0 --separate-stderr sevmig-import --check -i "$T/guest.sevmig"
	assert_output --regexp '; sha256:[0-9a-f]{64}$'
	n=$(first_record shared)
	off=$(data_offset "$n")
	cp "$T/guest.sevmig" "$T/bad.sevmig"
	flip_at "$T/bad.sevmig" $((off + 4095))
	run -3 --separate-stderr sevmig-import --check -i "$T/bad.sevmig"
	assert_equal "$stderr" "sevmig-import: archive digest does not match the trailer: the stream was damaged"
	run -3 --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	assert_equal "$stderr" "sevmig-import: archive digest does not match the trailer: the stream was damaged"
	assert_target_recovers
}

@test "a flipped byte in a record header is refused at that record" {
	local off
	off=$(data_offset 5)
	cp "$T/guest.sevmig" "$T/bad.sevmig"
	# the gpa field (record header + 8), bit 16: 0x5000 becomes 0x15000
	flip_at "$T/bad.sevmig" $((off - 80 + 10))
	run -3 --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	assert_equal "$stderr" "sevmig-import: entry 'sevmig/pages/00000000': record 5 (private, gpa 0x15000): expected gpa 0x5000 (duplicated, dropped or relocated record)"
	assert_target_recovers
}

@test "a stream cut at any of several offsets never resumes the target" {
	local size cut
	size=$(stat -c %s "$T/guest.sevmig")
	for cut in 100 1024 3000 5000 70000 $((size / 2)) $((size - 3000)) $((size - 1300)); do
		head -c "$cut" "$T/guest.sevmig" >"$T/cut.sevmig"
		run --separate-stderr sevmig-import -i "$T/cut.sevmig" "$T/b.sock"
		[ "$status" -eq 4 ] || [ "$status" -eq 3 ] || {
			echo "cut at $cut: exit $status: $stderr"
			false
		}
		[ -n "$stderr" ]
		assert_target_untouched
		run --separate-stderr sevmig-import --check -i "$T/cut.sevmig"
		[ "$status" -eq 4 ] || [ "$status" -eq 3 ]
	done
	assert_target_recovers
}

@test "a stream cut inside the pages says it was truncated" {
	head -c 100000 "$T/guest.sevmig" >"$T/cut.sevmig"
	run -4 --separate-stderr sevmig-import -i "$T/cut.sevmig" "$T/b.sock"
	[[ "$stderr" == "sevmig-import: entry 'sevmig/pages/00000000': record "*" (private, gpa 0x"*"): reading archive: Truncated tar archive"* ]]
}

@test "a missing trailer is refused" {
	archive-mangle drop-entry sevmig/trailer.json <"$T/guest.sevmig" >"$T/bad.sevmig"
	run -4 --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	assert_equal "$stderr" "sevmig-import: archive ends before entry 'sevmig/trailer.json' (truncated stream or missing trailer)"
	assert_target_recovers
}

@test "a duplicated record is refused" {
	archive-mangle dup 7 <"$T/guest.sevmig" >"$T/bad.sevmig"
	run -3 --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	[[ "$stderr" == "sevmig-import: entry 'sevmig/pages/00000000': record 7 ("*"): out of sequence, expected record 8" ]]
	assert_target_recovers
}

@test "a record relocated to another address is refused" {
	archive-mangle set-gpa 9 0x3000 <"$T/guest.sevmig" >"$T/bad.sevmig"
	run -3 --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	[[ "$stderr" == "sevmig-import: entry 'sevmig/pages/00000000': record 9 ("*", gpa 0x3000): expected gpa 0x9000 (duplicated, dropped or relocated record)" ]]
	assert_target_recovers
}

@test "a dropped chunk is refused" {
	archive-mangle drop-entry sevmig/pages/00000001 <"$T/guest.sevmig" >"$T/bad.sevmig"
	run -3 --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	assert_equal "$stderr" "sevmig-import: unexpected entry 'sevmig/pages/00000002': expected 'sevmig/pages/00000001'"
	assert_target_recovers
}

@test "packets swapped between records pass the archive but fail the guest's check" {
	# What sevmig-archive(5) says it cannot detect: a stream rewriter
	# moving packets keeps every MAC valid and can fix the digest.
	local a
	a=$(first_record private)
	[ "$(record_kind $((a + 1)))" = private ] || skip "no two adjacent private records"
	archive-mangle --fix-trailer swap-data "$a" $((a + 1)) <"$T/guest.sevmig" >"$T/bad.sevmig"
	run -0 sevmig-import --check -i "$T/bad.sevmig"
	run -0 sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	run sevmig-sim ctl "$T/b.sock" check
	[ "$status" -ne 0 ]
}

@test "another format major version is exit 6" {
	archive-mangle edit sevmig/manifest.json '"sevmig/1"' '"sevmig/2"' <"$T/guest.sevmig" >"$T/bad.sevmig"
	run -6 --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	assert_equal "$stderr" "sevmig-import: entry 'sevmig/manifest.json': unsupported manifest format 'sevmig/2' (this sevmig reads sevmig/1)"
	run -6 sevmig-import --check -i "$T/bad.sevmig"
	assert_target_untouched
}

@test "a manifest that contradicts itself is exit 3" {
	archive-mangle edit sevmig/manifest.json '"vcpus": 1' '"vcpus": 0' <"$T/guest.sevmig" >"$T/bad.sevmig"
	run -3 --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/b.sock"
	assert_equal "$stderr" "sevmig-import: entry 'sevmig/manifest.json': invalid manifest: 0 vCPUs (1 to 1024 allowed)"
	assert_target_untouched
}

@test "an archive made for another host is refused before RECEIVE_START" {
	sim_platform pc
	sim_run c pc --incoming --mem 4M
	run -3 --separate-stderr sevmig-import -i "$T/guest.sevmig" "$T/c.sock"
	[[ "$stderr" == "sevmig-import: the archive was made for PDH "*", but VM '$T/c.sock' is on a platform with PDH "* ]]
	assert_equal "$(sim_status c 'vmm state')" incoming
}

@test "an archive for another PDH that claims this one fails RECEIVE_START, target untouched" {
	sim_platform pc
	sim_run c pc --incoming --mem 4M
	local fb fc
	fb=$(sevmig-export -q -c "$T/pb" --ark "$T/pb/ark.cert" --dry-run -J "$T/a.sock" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprints"]["target_pdh"])')
	fc=$(sevmig-export -q -c "$T/pc" --ark "$T/pc/ark.cert" --dry-run -J "$T/a.sock" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprints"]["target_pdh"])')
	# made for b, relabelled for c: only the firmware can tell
	archive-mangle --fix-trailer edit sevmig/manifest.json "$fb" "$fc" <"$T/guest.sevmig" >"$T/bad.sevmig"
	# the session's MACs fail: a verification failure, exit 3
	run -3 --separate-stderr sevmig-import -i "$T/bad.sevmig" "$T/c.sock"
	[[ "$stderr" == "sevmig-import: RECEIVE_START failed"* ]]
	assert_equal "$(sim_status c 'vmm state')" incoming
	assert_equal "$(sim_status c 'guest state')" none
}

@test "a guest larger than the target is refused" {
	sim_run c pb --incoming --mem 2M
	run -5 --separate-stderr sevmig-import -i "$T/guest.sevmig" "$T/c.sock"
	assert_equal "$stderr" "sevmig-import: the guest's memory (1024 pages) does not fit VM '$T/c.sock' (512 pages)"
}

@test "a target with another vCPU count is refused" {
	sim_run c pb --incoming --mem 4M --vcpus 2
	run -5 --separate-stderr sevmig-import -i "$T/guest.sevmig" "$T/c.sock"
	assert_equal "$stderr" "sevmig-import: the guest has 1 vCPUs, VM '$T/c.sock' has 2"
}

@test "a source VM is not a target" {
	run -5 --separate-stderr sevmig-import -i "$T/guest.sevmig" "$T/a.sock"
	[[ "$stderr" == *"is not waiting for an incoming guest"* ]]
}

@test "--no-resume leaves the target holding the guest, not running" {
	run -0 --separate-stderr sevmig-import --no-resume -i "$T/guest.sevmig" "$T/b.sock"
	assert_equal "$(sim_status b 'guest state')" RUNNING
	[ "$(sim_status b 'vmm state')" != running ]
	run -0 sevmig-sim ctl "$T/b.sock" check
	run -0 sevmig-sim ctl "$T/b.sock" resume
	assert_equal "$(sim_status b 'vmm state')" running
}

@test "the import report of a failure names the error and the target state" {
	archive-mangle drop-entry sevmig/trailer.json <"$T/guest.sevmig" >"$T/bad.sevmig"
	run -4 sevmig-import --report "$T/r.json" -i "$T/bad.sevmig" "$T/b.sock"
	run -0 python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["result"], r["target"], r["counts"]["records"])' "$T/r.json"
	assert_output "failed not resumed 1024"
}

@test "an input that comes late shows in the import report as io_wait, not archive work" {
	{ sleep 1; cat "$T/guest.sevmig"; } |
		sevmig-import -q --report "$T/r.json" "$T/b.sock"
	run -0 python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["stages"]; print(s["io_wait"] >= 0.8, s["archive"] < 0.8)' "$T/r.json"
	assert_output "True True"
	assert_migrated_from_file
}

@test "bad invocations exit 2 with the try-help line" {
	run -2 --separate-stderr sevmig-import
	assert_equal "$stderr" "sevmig-import: no VM given
Try 'sevmig-import --help' for more information."
	run -2 sevmig-import --check vm
	run -2 sevmig-import --check --ack
	run -2 sevmig-import -J vm
	run -2 sevmig-import a b
}
