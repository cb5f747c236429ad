#!/usr/bin/env bats
# Round trips between two simulated hosts: export | import through a pipe,
# and save to a file then restore, for several guest shapes and policies.
# After each the target's guest checks every page and has the source's
# digest, and the source is released.

load helpers
load archive
bats_require_minimum_version 1.8.0

teardown() {
	sim_stop_all
}

pipe_roundtrip() {
	save_digest
	run -0 --separate-stderr bash -c "sevmig-export $(certs_b) --no-progress '$T/a.sock' | sevmig-import --no-progress '$T/b.sock'"
	assert_migrated
}

@test "a pipe round trip moves a 16 MiB guest with 10% shared pages" {
	pair --mem 16M --vcpus 2
	pipe_roundtrip
	# policy 0x1: only the warning that the firmware checks nothing, and
	# each tool's closing line
	[[ "$stderr" == *"; source released, the guest is in the stream until imported"* ]]
	[[ "$stderr" == *"; target running"* ]]
	assert_equal "$(closing_lines 1 1)" "sevmig-export: warning: guest policy 0x1 has neither DOMAIN nor SEV: the firmware does not check the target, only sevmig verified its chain"
}

@test "a pipe round trip moves a guest with no shared pages under policy 0x3" {
	pair --mem 8M --shared 0 --policy 0x3
	pipe_roundtrip
}

@test "a pipe round trip moves a guest with memory in two ranges" {
	pair --mem 24M --mem-split 8M --shared 25
	pipe_roundtrip
	run -0 sevmig-sim ctl "$T/b.sock" status
}

@test "a pipe round trip moves a 1 MiB guest with chunks of one record" {
	pair --mem 1M --shared 50
	save_digest
	run -0 --separate-stderr bash -c "sevmig-export $(certs_b) --records-per-chunk 1 '$T/a.sock' | sevmig-import '$T/b.sock'"
	assert_migrated
}

@test "a pipe round trip moves an SEV-ES guest with its VMSAs" {
	pair --mem 8M --vcpus 4 --es --policy 0x7
	pipe_roundtrip
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_output --partial "4 VMSAs"
}

@test "a SEV-bit policy migrates to a host under the same ARK" {
	sim_platform pa
	sim_platform pb --ark-from "$T/pa"
	sim_run a pa --mem 8M --policy 0x21
	sim_run b pb --incoming --mem 8M
	save_digest
	run -0 --separate-stderr bash -c "sevmig-export $(certs_b) '$T/a.sock' | sevmig-import '$T/b.sock'"
	assert_equal "$(closing_lines 1 1)" ""
	assert_migrated
}

@test "a DOMAIN policy migrates to a host sharing the OCA" {
	sim_platform pa
	sim_platform pb --oca-from "$T/pa"
	sim_run a pa --mem 8M --policy 0x11
	sim_run b pb --incoming --mem 8M
	save_digest
	run -0 --separate-stderr bash -c "sevmig-export $(certs_b) '$T/a.sock' | sevmig-import '$T/b.sock'"
	assert_equal "$(closing_lines 1 1)" ""
	assert_migrated
}

@test "a guest saved to a file and restored later checks on the target" {
	pair --mem 16M --shared 20
	save_digest
	run -0 --separate-stderr sevmig-export $(certs_b) -o "$T/guest.sevmig" "$T/a.sock"
	assert_equal "$(sim_status a 'vmm state')" released
	[ -f "$T/guest.sevmig" ]
	assert_equal "$(stat -c %a "$T/guest.sevmig")" 600
	run -0 --separate-stderr sevmig-import -i "$T/guest.sevmig" "$T/b.sock"
	assert_equal "$(closing_lines 0 1)" ""
	assert_migrated
}

@test "the archive holds no private page in the clear" {
	pair --mem 8M --shared 10
	run -0 save_archive
	# the simulated guest marks every page; shared ones may show
	run -0 grep -c sevmig-shared-page "$T/guest.sevmig"
	run -1 grep -c sevmig-private-page "$T/guest.sevmig"
	assert_output 0
}

@test "tar lists the archive's entries in order with fixed owners and times" {
	pair --mem 2M
	run -0 save_archive
	run -0 tar tvf "$T/guest.sevmig"
	assert_line -n 0 --regexp '^-rw------- 0/0 +[0-9]+ 1970-01-01 00:00 sevmig/manifest.json$'
	assert_line -n 1 --partial ' sevmig/source-pdh.cert'
	assert_line -n 2 --partial ' sevmig/session.bin'
	assert_line -n 3 --partial ' sevmig/shared-regions.json'
	assert_line -n 4 --partial ' sevmig/pages/00000000'
	assert_line -n 5 --partial ' sevmig/pages/00000001'
	assert_line -n 6 --partial ' sevmig/device-state.bin'
	assert_line -n 7 --partial ' sevmig/trailer.json'
	assert_equal "${#lines[@]}" 8
}

@test "--keep-source leaves the source running and the snapshot restores" {
	pair --mem 8M
	save_digest
	run -0 --separate-stderr sevmig-export $(certs_b) --keep-source -o "$T/guest.sevmig" "$T/a.sock"
	assert_source_intact running
	run -0 sevmig-import -i "$T/guest.sevmig" "$T/b.sock"
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
}

@test "shared pages of zeros travel as zero records" {
	pair --mem 4M --shared 25 --zero-shared
	save_digest
	run -0 bash -c "sevmig-export $(certs_b) --report '$T/export.json' '$T/a.sock' | sevmig-import --report '$T/import.json' '$T/b.sock'"
	assert_migrated
	run -0 python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); c=r["counts"]; print(c["zero"], c["shared"], c["private"], c["zero"]+c["shared"]+c["private"])' "$T/export.json"
	assert_output "256 0 768 1024"
	run -0 python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["result"], r["target"], r["counts"]["zero"])' "$T/import.json"
	assert_output "ok running 256"
}

@test "the export report says what moved and how long each stage took" {
	pair --mem 4M
	run -0 bash -c "sevmig-export $(certs_b) --report '$T/r.json' '$T/a.sock' | sevmig-import '$T/b.sock'"
	run -0 python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "sevmig-export-report/1"
assert r["result"] == "ok" and r["source"] == "released"
assert r["policy"] == "0x1" and r["counts"]["records"] == 1024
assert r["bytes"] > 1024 * 4096 and r["seconds"] > 0
assert set(r["stages"]) == {"firmware", "archive", "io_wait", "vmm"}
assert set(r["overlap"]) == {"firmware_waited", "output_waited"}
assert all(v >= 0 for v in r["overlap"].values())
assert len(r["fingerprints"]["target_pdh"]) == 64
assert r["digest"].startswith("xxh3-128:") and len(r["digest"]) == 9 + 32
print("ok")' "$T/r.json"
	assert_output ok
}

@test "export and import each end with a closing line whose numbers are the report's" {
	pair --mem 8M --vcpus 2 --es --policy 0x5 --shared 10
	save_digest
	run -0 --separate-stderr sevmig-export $(certs_b) --no-progress --report "$T/exp.json" -o "$T/guest.sevmig" "$T/a.sock"
	assert_output ""
	# the policy warning, then the closing line
	assert_equal "$(wc -l <<<"$stderr")" 2
	assert_closing_line "$(tail -n 1 <<<"$stderr")" "$T/exp.json" sevmig-export "source released, the guest is in '$T/guest.sevmig' until imported"
	run -0 --separate-stderr sevmig-import --no-progress --report "$T/imp.json" -i "$T/guest.sevmig" "$T/b.sock"
	assert_closing_line "$stderr" "$T/imp.json" sevmig-import "target running"
	[[ "$stderr" == *" and 2 VMSAs, "* ]]
	assert_migrated
}

@test "a snapshot export's closing line says the source runs; --no-resume's says the target is paused" {
	pair --mem 4M
	save_digest
	run -0 --separate-stderr sevmig-export $(certs_b) --keep-source --report "$T/exp.json" -o "$T/guest.sevmig" "$T/a.sock"
	assert_closing_line "$(tail -n 1 <<<"$stderr")" "$T/exp.json" sevmig-export "source running (snapshot)"
	assert_source_intact running
	run -0 --separate-stderr sevmig-import --no-resume --report "$T/imp.json" -i "$T/guest.sevmig" "$T/b.sock"
	assert_closing_line "$(tail -n 1 <<<"$stderr")" "$T/imp.json" sevmig-import "target paused (--no-resume)"
	assert_equal "$(sim_status b 'vmm state')" received-paused
}

@test "-q silences the closing lines" {
	pair --mem 4M
	save_digest
	run -0 --separate-stderr bash -c "sevmig-export -q $(certs_b) '$T/a.sock' | sevmig-import -q '$T/b.sock'"
	assert_equal "$stderr" ""
	assert_migrated
}
