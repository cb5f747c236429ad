#!/usr/bin/env bats
# SEV-SNP migration through an attested SVSM (issue 17): an SNP guest
# whose SVSM (sevmig-sim run --snp) seals every private page, VMSA and
# its own state for a target whose SVSM proved itself with a report that
# binds its key (sevmig-certs fetch snp-target:); the target's SVSM
# refuses whatever was moved, dropped or replayed, and runs nothing
# before a valid END.

load helpers
load archive
load sim-run
load hardening
load never-clone
bats_require_minimum_version 1.8.0

setup() {
	T=$BATS_TEST_TMPDIR
	sim_platform pa
	sim_platform pb
}

teardown() {
	h_teardown
	if declare -F sshd_stop >/dev/null; then
		sshd_stop
	fi
}

stderr_has() {
	[[ "$stderr" == *"$1"* ]] && return 0
	echo "stderr does not contain: $1" >&2
	echo "stderr: $stderr" >&2
	return 1
}

# snp_pair [run options]: an SNP source a on host pa and an incoming SNP
# target b on host pb (another seed), and b's bundle in $T/tb.json.
snp_pair() {
	sim_run a pa --mem 16M --snp "$@"
	sim_run b pb --mem 16M --snp --incoming --seed 7 "$@"
	save_digest
	fetch_b
}

fetch_b() {
	sevmig-certs fetch --ark "$T/pb/snp-ark.pem" "snp-target:$T/b.sock" \
		-o "$T/tb.json"
}

# The export's arguments for target b.
to_b() {
	echo "--method svsm -c $T/tb.json --ark $T/pb/snp-ark.pem"
}

# No plaintext of any kind in a stream: pages, VMSAs, the SVSM's state.
assert_no_plaintext() {
	run -1 grep -c -e sevmig-private-page -e sevmig-vmsa -e sevmig-svsm-state "$1"
	assert_output 0
}

# The target refused and did not run; the saved archive still imports.
assert_refused_then_good() {
	assert_equal "$(sim_status b 'vmm state')" incoming
	run -0 --separate-stderr sevmig-import "$T/b.sock" <"$T/guest.sevmig"
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
}

record_of_kind() {
	archive-mangle list <"$T/guest.sevmig" | awk -v k="$1" -v n="${2:-1}" '$1 == "record" && $4 == k { if (++i == n) { print $2; exit } }'
}

@test "svsm: ctl report is signed by the host's VCEK and verifies with the simulated ARK only" {
	sim_run a pa --mem 16M --snp
	run -0 sevmig-sim ctl --report-data 0102030405 "$T/a.sock" report
	echo "$output" >"$T/r.hex"
	run -0 sevmig-certs report verify --vcek "$T/pa/snp-vcek.pem" \
		--ark "$T/pa/snp-ark.pem" \
		--expect-report-data 0102030405"$(printf '0%.0s' {1..118})" "$T/r.hex"
	run -3 sevmig-certs report verify --vcek "$T/pa/snp-vcek.pem" "$T/r.hex"
	# another host's VCEK does not verify it
	run -3 sevmig-certs report verify --vcek "$T/pb/snp-vcek.pem" \
		--ark "$T/pb/snp-ark.pem" "$T/r.hex"
	# two guests of one image and vCPU count measure the same
	sim_run c pb --mem 16M --snp --seed 9
	run -0 sevmig-certs report show -J "$T/r.hex"
	m1=$(echo "$output" | python3 -c 'import json,sys; print(json.load(sys.stdin)["measurement"])')
	run -0 bash -c "sevmig-sim ctl '$T/c.sock' report | sevmig-certs report show -J -"
	m2=$(echo "$output" | python3 -c 'import json,sys; print(json.load(sys.stdin)["measurement"])')
	assert_equal "$m1" "$m2"
	run -2 sevmig-sim ctl --report-data zz "$T/a.sock" report
	assert_output --partial "invalid --report-data value 'zz': up to 64 bytes in hexadecimal"
	# a guest that is not SNP has no SVSM to ask
	sim_run d pa --mem 16M
	run -6 sevmig-sim ctl "$T/d.sock" report
	assert_output --partial "not an SNP guest (sevmig-sim run --snp)"
}

@test "svsm: a pipe round trip of a 2-vCPU guest: pages, RMP, VMSAs and SVSM state arrive; nothing in the clear" {
	snp_pair --vcpus 2
	run -0 ep-client "$T/b.sock" peek flags
	assert_line "ram_zeroed=0 mh_helpers=0 svsm_mailboxes=1 svsm_state_records=2"
	# shellcheck disable=SC2046
	run -0 --separate-stderr bash -c "sevmig-export $(to_b) --report '$T/re.json' '$T/a.sock' | tee '$T/stream' | sevmig-import --report '$T/ri.json' '$T/b.sock'"
	assert_migrated
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_output "ok: 4096 pages, 2 VMSAs, 2 SVSM state records"
	assert_no_plaintext "$T/stream"
	run -0 python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); c=r["counts"]; print(r["method"], c["vmsa"], c["svsm_state"], c["end"])' "$T/ri.json"
	assert_output "svsm 2 2 1"
}

@test "svsm refuses a second migration to a used target key; the same stream imports again" {
	snp_pair
	sim_run c pa --mem 16M --snp --seed 3
	# two guests sealed for b's one key (each source keeps its guest)
	# shellcheck disable=SC2046
	sevmig-export -q $(to_b) --keep-source -o "$T/guest.sevmig" "$T/a.sock"
	# shellcheck disable=SC2046
	sevmig-export -q $(to_b) --keep-source -o "$T/other.sevmig" "$T/c.sock"
	# a's arrives, is left paused, and is discarded: b waits again
	run -0 --separate-stderr sevmig-import --no-resume "$T/b.sock" <"$T/guest.sevmig"
	run -0 sevmig-sim ctl "$T/b.sock" discard
	# c's is a second migration to b's used key
	run -3 --separate-stderr sevmig-import "$T/b.sock" <"$T/other.sevmig"
	stderr_has "START_TARGET: the SVSM refused it (-2: authentication failed)"
	# a's own stream is welcome again, and arrives whole
	assert_refused_then_good
	# (a kept its guest: --keep-source writes a snapshot)
	assert_equal "$(sim_status a 'vmm state')" running
}

@test "svsm: to a file, imported later; import --check reads it; the received guest moves on" {
	snp_pair
	# shellcheck disable=SC2046
	run -0 --separate-stderr sevmig-export $(to_b) -o "$T/guest.sevmig" "$T/a.sock"
	assert_equal "$(sim_status a 'vmm state')" released
	assert_no_plaintext "$T/guest.sevmig"
	run -0 --separate-stderr sevmig-import --check <"$T/guest.sevmig"
	run -0 --separate-stderr sevmig-import "$T/b.sock" <"$T/guest.sevmig"
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
	# b runs it and is a source now: on to c, a fresh target on host pa
	sim_run c pa --mem 16M --snp --incoming --seed 11
	sevmig-certs fetch --ark "$T/pa/snp-ark.pem" "snp-target:$T/c.sock" -o "$T/tc.json"
	run -0 --separate-stderr bash -c "sevmig-export --method svsm -c '$T/tc.json' --ark '$T/pa/snp-ark.pem' '$T/b.sock' | sevmig-import '$T/c.sock'"
	assert_equal "$(sim_digest c)" "$(cat "$T/a.digest")"
	assert_equal "$(sim_status b 'vmm state')" released
}

@test "svsm: through a real ssh server on 127.0.0.1, the bundle fetched over ssh" {
	load sshd
	sshd_start
	sim_run a pa --mem 16M --snp
	sim_run b pb --mem 16M --snp --incoming --seed 7
	save_digest
	run -0 --separate-stderr sevmig-certs fetch --ark "$T/pb/snp-ark.pem" \
		--remote-program "$SEVMIG_BUILD/bin/sevmig-certs" \
		"ssh://127.0.0.1/snp-target:$T/b.sock" -o "$T/tb.json"
	# shellcheck disable=SC2046
	run -0 --separate-stderr bash -c "sevmig-export -q $(to_b) '$T/a.sock' | ssh -F '$SSH_CONFIG' 127.0.0.1 '$SEVMIG_BUILD/bin/sevmig-import' '$T/b.sock'"
	assert_migrated
}

@test "svsm: two-way with --exec and --ack, --method auto; a guest in two ranges, 3 vCPUs, 2 SVSM threads" {
	sim_run a pa --mem 40M --mem-split 32M --vcpus 3 --svsm-vcpus 2 --snp
	sim_run b pb --mem 40M --mem-split 32M --vcpus 3 --svsm-vcpus 2 --snp --incoming --seed 7
	save_digest
	fetch_b
	run -0 ep-client "$T/b.sock" peek flags
	assert_line "ram_zeroed=0 mh_helpers=0 svsm_mailboxes=2 svsm_state_records=2"
	run -0 --separate-stderr sevmig-export -c "$T/tb.json" --ark "$T/pb/snp-ark.pem" \
		--report "$T/re.json" --exec "sevmig-import --ack '$T/b.sock'" "$T/a.sock"
	assert_migrated
	run -0 python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["method"], r["counts"]["vmsa"])' "$T/re.json"
	assert_output "svsm 3"
}

@test "svsm refuses before anything leaves: another measurement, policy, TCB, an unbound key, another chip" {
	sim_run a pa --mem 16M --snp
	save_digest
	# another measurement (the SVSM measures each vCPU's VMSA): 2 vCPUs
	sim_run b pb --mem 16M --snp --incoming --vcpus 2
	fetch_b
	run -3 --separate-stderr sevmig-export $(to_b) -o "$T/x" "$T/a.sock"
	stderr_has "measurement"
	assert_source_intact
	[ ! -e "$T/x" ]
	# the same target is fine when the operator names its measurement
	m=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["measurement"])' "$T/tb.json")
	run -0 --separate-stderr sevmig-export $(to_b) --expect-measurement "$m" --dry-run "$T/a.sock"
	# another policy
	sim_run c pb --mem 16M --snp --incoming --snp-policy 0x70000
	sevmig-certs fetch --ark "$T/pb/snp-ark.pem" "snp-target:$T/c.sock" -o "$T/tc.json"
	run -3 --separate-stderr sevmig-export --method svsm -c "$T/tc.json" --ark "$T/pb/snp-ark.pem" -o "$T/x" "$T/a.sock"
	stderr_has "policy"
	assert_source_intact
	# a TCB below what is asked
	sim_run d pb --mem 16M --snp --incoming
	sevmig-certs fetch --ark "$T/pb/snp-ark.pem" "snp-target:$T/d.sock" -o "$T/td.json"
	run -3 --separate-stderr sevmig-export --method svsm -c "$T/td.json" --ark "$T/pb/snp-ark.pem" --min-tcb bl=200 -o "$T/x" "$T/a.sock"
	stderr_has "TCB"
	# REPORT_DATA that does not bind the key: c's key in d's bundle
	python3 - "$T/td.json" "$T/tc.json" "$T/tx.json" <<-'EOF'
		import json, sys
		d = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
		d["public_key"] = c["public_key"]
		json.dump(d, open(sys.argv[3], "w"))
	EOF
	run -3 --separate-stderr sevmig-export --method svsm -c "$T/tx.json" --ark "$T/pb/snp-ark.pem" -o "$T/x" "$T/a.sock"
	stderr_has "bind"
	# another chip of the same AMD: host pc (pb's ARK) lends its VCEK
	sim_platform pc --ark-from "$T/pb"
	python3 - "$T/td.json" "$T/pc/snp-vcek.pem" "$T/ty.json" <<-'EOF'
		import json, sys
		d = json.load(open(sys.argv[1]))
		pem = open(sys.argv[2]).read()
		d["vcek"] = pem[:pem.index("-----END CERTIFICATE-----") + 25] + "\n"
		json.dump(d, open(sys.argv[3], "w"))
	EOF
	run -3 --separate-stderr sevmig-export --method svsm -c "$T/ty.json" --ark "$T/pb/snp-ark.pem" -o "$T/x" "$T/a.sock"
	stderr_has "report signature"
	# another AMD: host pa's ARK named for pb's chain
	run -3 --separate-stderr sevmig-export --method svsm -c "$T/td.json" --ark "$T/pa/snp-ark.pem" -o "$T/x" "$T/a.sock"
	stderr_has "ARK is trusted"
	assert_source_intact
	[ ! -e "$T/x" ]
	assert_equal "$(sim_digest a)" "$(cat "$T/a.digest")"
}

@test "svsm refuses: a VMSA moved to another vCPU, a state record dropped, a page moved; the target does not run" {
	snp_pair --vcpus 2
	# shellcheck disable=SC2046
	run -0 --separate-stderr sevmig-export $(to_b) --keep-source -o "$T/guest.sevmig" "$T/a.sock"
	v0=$(record_of_kind svsm-vmsa 1)
	v1=$(record_of_kind svsm-vmsa 2)
	archive-mangle --fix-trailer swap-data "$v0" "$v1" <"$T/guest.sevmig" >"$T/moved"
	run -3 --separate-stderr sevmig-import "$T/b.sock" <"$T/moved"
	stderr_has "VMSA_IN: the SVSM refused it (-2: authentication failed)"
	assert_equal "$(sim_status b 'vmm state')" incoming
	s1=$(record_of_kind svsm-state 1)
	archive-mangle --fix-trailer drop-record "$s1" <"$T/guest.sevmig" >"$T/dropped"
	run -3 --separate-stderr sevmig-import "$T/b.sock" <"$T/dropped"
	assert_equal "$(sim_status b 'vmm state')" incoming
	p1=$(record_of_kind svsm-private 1)
	p2=$(record_of_kind svsm-private 2)
	archive-mangle --fix-trailer swap-data "$p1" "$p2" <"$T/guest.sevmig" >"$T/pages"
	run -3 --separate-stderr sevmig-import "$T/b.sock" <"$T/pages"
	assert_refused_then_good
}

@test "svsm: an importer killed mid-stream leaves the target waiting; the archive imports after; the exporter killed leaves the source whole" {
	local pid
	snp_pair
	# shellcheck disable=SC2046
	sevmig-export $(to_b) --keep-source -o "$T/guest.sevmig" "$T/a.sock"
	mkfifo "$T/fifo"
	sevmig-import "$T/b.sock" <"$T/fifo" 2>/dev/null 3>&- &
	pid=$!
	exec 4>"$T/fifo"
	head -c $(($(stat -c %s "$T/guest.sevmig") / 2)) "$T/guest.sevmig" >&4
	wait_status "$T/b.sock" "vmm state: *receiving"
	kill -9 "$pid"
	wait "$pid" || true
	exec 4>&-
	wait_status "$T/b.sock" "vmm state: *incoming"
	assert_refused_then_good
	# the exporter killed while it holds the context: the source resumes
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	sim_run c pb --mem 16M --snp --incoming --seed 5
	sevmig-certs fetch --ark "$T/pb/snp-ark.pem" "snp-target:$T/c.sock" -o "$T/tc.json"
	sevmig-export --method svsm -c "$T/tc.json" --ark "$T/pb/snp-ark.pem" -o - "$T/a.sock" >"$T/fifo" 2>/dev/null 3>&- &
	pid=$!
	exec 4<"$T/fifo"
	wait_status "$T/a.sock" "context held: *yes"
	kill -9 "$pid"
	exec 4<&-
	wait "$pid" || true
	wait_status "$T/a.sock" "context held: *no"
	sevmig-sim ctl "$T/a.sock" resume
	assert_source_intact
}

@test "svsm: what goes where: an SVSM stream needs an SNP target, an SNP target an SVSM stream" {
	snp_pair
	# shellcheck disable=SC2046
	sevmig-export -q $(to_b) --keep-source -o "$T/guest.sevmig" "$T/a.sock"
	# into a VMM that is not an SNP guest
	sim_run c pb --mem 16M --incoming
	run -6 --separate-stderr sevmig-import "$T/c.sock" <"$T/guest.sevmig"
	stderr_has "this archive was sealed by an SNP guest's SVSM: import it into an SNP guest that waits in its SVSM (sevmig-sim run --incoming --snp), not VM '$T/c.sock'"
	assert_equal "$(sim_status c 'vmm state')" incoming
	# a PSP stream into the SNP target
	sim_run d pa --mem 16M
	sevmig-certs fetch -q "sim:$T/pb" -o "$T/pb.json"
	sevmig-export -q -c "$T/pb.json" --ark "$T/pb/ark.cert" --keep-source -o "$T/psp.sevmig" "$T/d.sock"
	run -6 --separate-stderr sevmig-import "$T/b.sock" <"$T/psp.sevmig"
	stderr_has "VM '$T/b.sock' is an SNP guest waiting in its SVSM for an SVSM's stream (sevmig-export --method svsm); this archive was sealed by the PSP"
	# --method svsm for a guest without an SVSM; --snp with --mh
	run -6 --separate-stderr sevmig-export --method svsm -c "$T/tb.json" -o "$T/x" "$T/d.sock"
	stderr_has "is not an SNP guest with an SVSM (--method svsm): export it with --method psp"
	assert_equal "$(sim_status d 'vmm state')" running
	run -2 --separate-stderr sevmig-export --min-tcb bl=1 -c "$T/pb.json" -o "$T/x" "$T/d.sock"
	stderr_has "--expect-measurement, --expect-policy and --min-tcb are what an SNP target's report must show: they go with --method svsm (--method auto did not find an SVSM in the guest)"
	run -2 sevmig-sim run --platform "$T/pa" --socket "$T/e.sock" --mem 16M --snp --mh
	assert_output --partial "--snp launches its own SVSM and needs no owner; it cannot be combined with --mh"
	# the target still takes the right stream
	assert_refused_then_good
}

@test "svsm two-way: the exporter killed after ready, once the source knew: the source releases, the target copy waits uncommitted, one copy" {
	snp_pair
	hostile_start ha a 'target-ready:mute'
	# shellcheck disable=SC2046
	h_bg exp sevmig-export -q --timeout 20 $(to_b) --exec "sevmig-import -q --ack '$T/b.sock'" "$T/ha.sock"
	h_until 30 hostile_fired ha "target-ready mute"
	kill -9 "$exp_PID"
	h_wait "$exp_PID" 10
	# the SVSM's END was out: the source VMM lets the guest go, its keys erased
	h_until 10 status_is a 'vmm state' released
	h_until 10 grep -q 'no "commit"' "$T/exp.err"
	assert_equal "$(sim_status b 'vmm state')" received-paused
	[[ "$(sim_status b hold)" == "uncommitted: "* ]]
	assert_one_copy
	run -0 sevmig-sim ctl --force "$T/b.sock" resume
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
}

@test "svsm two-way: the exporter killed after ready, before the source knew: the source keeps the guest and exports again to a new key" {
	snp_pair
	hostile_start ha a '>target-ready:mute'
	# shellcheck disable=SC2046
	h_bg exp sevmig-export -q --timeout 20 $(to_b) --exec "sevmig-import -q --ack '$T/b.sock'" "$T/ha.sock"
	h_until 30 hostile_fired ha ">target-ready mute"
	kill -9 "$exp_PID"
	h_wait "$exp_PID" 10
	h_until 10 status_is a 'context held' no
	copies
	assert_equal "$COPIES $RUNNABLE $HELD" "2 1 1"
	run -5 sevmig-sim ctl "$T/b.sock" resume
	# the source SVSM's session was reset: it resumes, and moves again
	run -0 sevmig-sim ctl "$T/a.sock" resume
	run -0 sevmig-sim ctl "$T/b.sock" discard
	assert_one_copy
	fetch_b
	# shellcheck disable=SC2046
	run -0 --separate-stderr bash -c "sevmig-export $(to_b) '$T/a.sock' | sevmig-import '$T/b.sock'"
	assert_migrated
}

@test "svsm: --dry-run --exec checks the target: an SNP target passes, one that is not SNP fails; nothing moves" {
	snp_pair
	# shellcheck disable=SC2046
	run -0 --separate-stderr sevmig-export --dry-run $(to_b) --exec "sevmig-import --ack '$T/b.sock'" "$T/a.sock"
	assert_line "[ OK ] target svsm: the target is an SNP guest waiting in its SVSM"
	sim_run c pb --mem 16M --incoming --es
	# shellcheck disable=SC2046
	run -6 --separate-stderr sevmig-export --dry-run $(to_b) --exec "sevmig-import --ack '$T/c.sock'" "$T/a.sock"
	assert_line "[FAIL] target svsm: the target is not an SNP guest waiting in its SVSM"
	assert_line "       fix: start the target as an SNP guest (sevmig-sim run --incoming --snp)"
	assert_source_intact
	assert_equal "$(sim_status b 'vmm state')" incoming
	assert_equal "$(sim_status c 'vmm state')" incoming
}
