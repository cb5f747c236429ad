#!/usr/bin/env bats
# shellcheck disable=SC2154 # $stderr comes from bats' run --separate-stderr
# sevmig-export --dry-run --exec checks the target too (issue 18): the
# importer, sent a probe instead of an archive, describes its VMM without
# claiming it, and the plan shows one check per thing the import would
# refuse (incoming, layout, vCPUs, ES, the PDH the bundle is for, the
# policy's needs), each ok or FAIL with its fix; the first failure sets
# the exit status.  Nothing changes on either side.

load helpers
load archive
bats_require_minimum_version 1.8.0

teardown() {
	sim_stop_all
}

# dry_run TARGET-SOCKET [export options]: the dry run, two-way to it.
dry_run() {
	local t=$1
	shift
	sevmig-export -q --dry-run "$@" $(certs_b) --exec "sevmig-import --ack '$t'" "$T/a.sock"
}

# Both sides as they were: the source running and unclaimed, the target
# (NAME) waiting, unclaimed, and its journal of imports empty.
assert_unchanged() {
	assert_source_intact running
	assert_equal "$(sim_status "$1" 'vmm state')" incoming
	assert_equal "$(sim_status "$1" 'guest state')" none
}

@test "dry run --exec: a matching target passes every check, exit 0, and neither side changes" {
	pair --mem 4M --vcpus 2
	save_digest
	run -0 --separate-stderr dry_run "$T/b.sock"
	assert_equal "$stderr" ""
	assert_line "[ OK ] target reachable: the importer described its target (sim platform)"
	assert_line "[ OK ] target incoming: role 'incoming', state 'incoming'"
	assert_line "[ OK ] target layout: the guest has 4 MiB in 1 range, the target 4 MiB in 1 range"
	assert_line "[ OK ] target vcpus: the guest has 2 vCPUs, the target 2"
	assert_line "[ OK ] target es: the guest is SEV, the target SEV"
	assert_line --regexp '^\[ OK \] target pdh: the target.s platform has the bundle.s PDH [0-9a-f]{16}\.\.\.$'
	assert_line "[ OK ] target policy: policy 0x1 has neither SEV nor DOMAIN: the firmware does not check the target's chain"
	refute_line --partial "FAIL"
	assert_unchanged b
	# -J carries the checks
	dry_run "$T/b.sock" -J >"$T/plan.json"
	run -0 jq -r '[.result, (.target_checks | length), (.target_checks | all(.ok))] | @tsv' "$T/plan.json"
	assert_output "dry-run	9	true"
	# and the real migration goes through afterwards
	run -0 sevmig-export -q $(certs_b) --exec "sevmig-import --ack '$T/b.sock'" "$T/a.sock"
	assert_migrated
}

@test "dry run --exec: a target that is not incoming fails 'incoming' with exit 5" {
	pair --mem 4M
	sim_run c pb --mem 4M
	run -5 --separate-stderr dry_run "$T/c.sock"
	assert_line "[FAIL] target incoming: role 'source', state 'running'"
	assert_line "       fix: name in --exec a VM started to receive a guest (sevmig-sim run --incoming)"
	assert_equal "$stderr" "sevmig-export: the target would refuse this guest (1 of 9 checks failed: incoming): role 'source', state 'running'; name in --exec a VM started to receive a guest (sevmig-sim run --incoming)"
	assert_source_intact running
	assert_equal "$(sim_status c 'vmm state')" running
}

@test "dry run --exec: another memory size fails 'layout' with exit 5 and names the size to start with" {
	pair --mem 4M
	sim_run c pb --incoming --mem 16M
	run -5 --separate-stderr dry_run "$T/c.sock"
	assert_line "[FAIL] target layout: the guest has 4 MiB in 1 range, the target 16 MiB in 1 range"
	assert_line "       fix: start the target with the guest's memory layout (4 MiB: sevmig-sim run --mem 4M)"
	assert_equal "$stderr" "sevmig-export: the target would refuse this guest (1 of 9 checks failed: layout): the guest has 4 MiB in 1 range, the target 16 MiB in 1 range; start the target with the guest's memory layout (4 MiB: sevmig-sim run --mem 4M)"
	assert_unchanged c
}

@test "dry run --exec: another vCPU count fails 'vcpus' with exit 5" {
	pair --mem 4M
	sim_run c pb --incoming --mem 4M --vcpus 2
	run -5 --separate-stderr dry_run "$T/c.sock"
	assert_line "[FAIL] target vcpus: the guest has 1 vCPU, the target 2"
	assert_line "       fix: start the target with 1 vCPU (--vcpus 1)"
	assert_equal "$stderr" "sevmig-export: the target would refuse this guest (1 of 9 checks failed: vcpus): the guest has 1 vCPU, the target 2; start the target with 1 vCPU (--vcpus 1)"
	assert_unchanged c
}

@test "dry run --exec: SEV-ES on one side only fails 'es' with exit 5" {
	pair --mem 4M --es
	sim_run c pb --incoming --mem 4M
	run -5 --separate-stderr dry_run "$T/c.sock"
	assert_line "[FAIL] target es: the guest is SEV-ES, the target SEV"
	assert_line "       fix: start the target as SEV-ES (--es)"
	assert_equal "$stderr" "sevmig-export: the target would refuse this guest (1 of 9 checks failed: es): the guest is SEV-ES, the target SEV; start the target as SEV-ES (--es)"
	assert_unchanged c
}

@test "dry run --exec: a target on another host than the bundle's fails 'pdh' with exit 3" {
	pair --mem 4M
	sim_platform pc
	sim_run c pc --incoming --mem 4M
	run -3 --separate-stderr dry_run "$T/c.sock"
	assert_line --regexp '^\[FAIL\] target pdh: the bundle is for PDH [0-9a-f]{16}\.\.\., the target.s platform has [0-9a-f]{16}\.\.\.$'
	assert_line "       fix: fetch the certificates of the target's host (sevmig-certs fetch vm:SOCKET there), or name in --exec the VM the bundle is for"
	[[ "$stderr" == "sevmig-export: the target would refuse this guest (1 of 9 checks failed: pdh): the bundle is for PDH "* ]]
	assert_unchanged c
}

@test "dry run --exec: an SEV policy to a host under another ARK fails 'policy' with exit 3, under the same ARK passes" {
	sim_platform pa
	sim_platform pb
	sim_platform pc --ark-from "$T/pa"
	sim_run a pa --mem 4M --policy 0x21
	sim_run b pb --incoming --mem 4M
	run -3 --separate-stderr dry_run "$T/b.sock"
	assert_line "[FAIL] target policy: policy 0x21 has SEV: the source's firmware accepts only a target under its own ARK, and the target's chain has another"
	assert_line "       fix: migrate to a host under the same ARK (same AMD product), or relaunch the guest with a policy without SEV"
	sim_run c pc --incoming --mem 4M
	run -0 --separate-stderr sevmig-export -q --dry-run -c "$T/pc" --ark "$T/pc/ark.cert" --exec "sevmig-import --ack '$T/c.sock'" "$T/a.sock"
	assert_line "[ OK ] target policy: policy 0x21: the target's ARK is the source's"
	assert_source_intact running
	assert_unchanged b
	assert_unchanged c
}

@test "dry run --exec: a DOMAIN policy to a host of another owner fails 'policy' with exit 3; several failures are all listed" {
	sim_platform pa
	sim_platform pb
	sim_run a pa --mem 4M --policy 0x11
	sim_run b pb --incoming --mem 4M
	run -3 --separate-stderr dry_run "$T/b.sock"
	assert_line "[FAIL] target policy: policy 0x11 has DOMAIN: the source's firmware accepts only a target whose OCA is its own, and the target's is another"
	# a target wrong in two ways: both shown, the first sets the status
	sim_run c pb --incoming --mem 16M --vcpus 2
	run -5 --separate-stderr dry_run "$T/c.sock"
	assert_line --partial "[FAIL] target layout:"
	assert_line --partial "[FAIL] target vcpus:"
	[[ "$stderr" == "sevmig-export: the target would refuse this guest (3 of 9 checks failed: layout, vcpus, policy): "* ]]
	assert_source_intact running
	assert_unchanged b
	assert_unchanged c
}

@test "dry run --exec: an unreachable target or an importer that cannot answer exits 4" {
	pair --mem 4M
	run -4 --separate-stderr dry_run "$T/nope.sock"
	assert_line "[FAIL] target reachable: VM '$T/nope.sock': cannot connect to '$T/nope.sock': No such file or directory"
	run -4 --separate-stderr sevmig-export -q --dry-run $(certs_b) --exec "false" "$T/a.sock"
	assert_equal "$stderr" "sevmig-export: --exec: the importer exited with status 1 instead of describing the target (a sevmig-import older than the probe, or it could not start)"
	# the plan of the source is shown all the same
	assert_line --partial "would pause it, take its context, SEND_START and send 1024 pages"
	assert_source_intact running
	assert_target_untouched
}

@test "a probe given to import --check is refused; import closes no line for a probe" {
	pair --mem 4M
	# the probe as the exporter sends it, kept by a fake importer
	run -4 sevmig-export -q --dry-run $(certs_b) --exec "bash -c 'cat >$T/probe.tar; exit 1'" "$T/a.sock"
	run -0 tar -tf "$T/probe.tar"
	assert_output "sevmig/probe.json"
	run -3 --separate-stderr sevmig-import --check -i "$T/probe.tar"
	assert_equal "$stderr" "sevmig-import: a dry run's probe (sevmig-export --dry-run --exec), not an archive"
	run -0 --separate-stderr sevmig-import -i "$T/probe.tar" "$T/b.sock"
	assert_equal "$stderr" ""
	run -0 jq -r '[.schema, .role, .state, .vcpus] | @tsv' <<<"$output"
	assert_output "sevmig-probe/1	incoming	incoming	1"
	assert_target_untouched
}
