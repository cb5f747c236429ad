#!/usr/bin/env bats
# The safe path as the short path (issue 18): sevmig-export --to
# ssh://HOST/PATH/vm.sock fetches the target host's chain for that VM over
# the ssh (sevmig-certs fetch vm:PATH there), trusts a simulated target's
# own ARK (saying so), and runs two-way through ssh; and fetch vm:SOCK.

load helpers
load archive
bats_require_minimum_version 1.8.0

setup() {
	T=$BATS_TEST_TMPDIR
}

teardown() {
	sim_stop_all
	if declare -F sshd_stop >/dev/null; then
		sshd_stop
	fi
}

@test "fetch vm:SOCK gives the chain of the platform the VM runs on" {
	pair --mem 4M
	run -0 sevmig-certs fetch "vm:$T/b.sock" -o "$T/vm.json"
	sevmig-certs fetch "sim:$T/pb" -o "$T/sim.json"
	cmp "$T/vm.json" "$T/sim.json"
	run -0 sevmig-certs verify --ark "$T/pb/ark.cert" "$T/vm.json"
	run -4 --separate-stderr sevmig-certs fetch "vm:$T/nope.sock"
	assert_equal "$stderr" "sevmig-certs: VM '$T/nope.sock': cannot connect to '$T/nope.sock': No such file or directory"
}

@test "export --to ssh://127.0.0.1:PORT/PATH migrates two-way through a real sshd; the digests match" {
	load sshd
	sshd_start
	pair --mem 4M
	save_digest
	export SEVMIG_REMOTE_CERTS=$SEVMIG_BUILD/bin/sevmig-certs
	export SEVMIG_REMOTE_IMPORT=$SEVMIG_BUILD/bin/sevmig-import
	run -0 --separate-stderr sevmig-export --to "ssh://127.0.0.1:$SSHD_PORT$T/b.sock" "$T/a.sock"
	[[ "$stderr" == *"warning: --to: the target is a simulated host: its own ARK, fetched over ssh, is trusted"* ]]
	# exactly one closing line, the exporter's (issue 18)
	assert_equal "$(grep -c '; source released, target running$' <<<"$stderr")" 1
	[[ "$stderr" != *"sevmig-import: moved"* ]]
	assert_migrated
	# no temporary bundle is left behind
	run -1 bash -c "ls '${TMPDIR:-/tmp}'/sevmig-to-* 2>/dev/null | grep -q ."
}

@test "export --dry-run --to checks the target through the ssh, unclaimed; a target that differs fails with its fix" {
	load sshd
	sshd_start
	pair --mem 4M
	sim_run c pb --incoming --mem 4M --vcpus 2
	export SEVMIG_REMOTE_CERTS=$SEVMIG_BUILD/bin/sevmig-certs
	export SEVMIG_REMOTE_IMPORT=$SEVMIG_BUILD/bin/sevmig-import
	run -0 --separate-stderr sevmig-export --dry-run --to "ssh://127.0.0.1:$SSHD_PORT$T/b.sock" "$T/a.sock"
	assert_line "[ OK ] target incoming: role 'incoming', state 'incoming'"
	assert_line --regexp '^\[ OK \] target pdh: '
	refute_line --partial "FAIL"
	run -5 --separate-stderr sevmig-export --dry-run --to "ssh://127.0.0.1:$SSHD_PORT$T/c.sock" "$T/a.sock"
	assert_line "[FAIL] target vcpus: the guest has 1 vCPU, the target 2"
	assert_source_intact running
	assert_target_untouched
	assert_equal "$(sim_status c 'vmm state')" incoming
}

@test "export --to: a bad URL, a missing VM, and options it replaces" {
	pair --mem 4M
	run -2 --separate-stderr sevmig-export --to "http://h/x.sock" "$T/a.sock"
	assert_equal "$stderr" "sevmig-export: --to takes ssh://[USER@]HOST[:PORT]/PATH/vm.sock, not 'http://h/x.sock'"
	run -2 --separate-stderr sevmig-export --to "ssh://127.0.0.1" "$T/a.sock"
	assert_equal "$stderr" "sevmig-export: --to 'ssh://127.0.0.1': no VM socket path after the host (ssh://HOST/PATH/vm.sock)"
	run -2 --separate-stderr sevmig-export --to "ssh://127.0.0.1/tmp/a;rm.sock" "$T/a.sock"
	[[ "$stderr" == *"holds characters a remote shell would read"* ]]
	run -2 --separate-stderr sevmig-export --to "ssh://127.0.0.1:x/tmp/b.sock" "$T/a.sock"
	assert_equal "$stderr" "sevmig-export: --to: bad port 'x'"
	run -2 --separate-stderr sevmig-export --to "ssh://h/b.sock" --exec cat "$T/a.sock"
	[[ "$stderr" == *"--to runs the importer itself, with the certificates it fetches: not with --exec, --output, --certs or --keep-source"* ]]
	assert_source_intact
	load sshd
	sshd_start
	export SEVMIG_REMOTE_CERTS=$SEVMIG_BUILD/bin/sevmig-certs
	run -4 --separate-stderr sevmig-export --to "ssh://127.0.0.1:$SSHD_PORT$T/nope.sock" "$T/a.sock"
	[[ "$stderr" == *"--to: the target's certificates: remote 'fetch' on '127.0.0.1' "*"cannot connect to '$T/nope.sock'"* ]]
	assert_source_intact
	assert_target_untouched
}

@test "completion: the VM argument of export, import and sim ctl completes sockets and directories, not files" {
	local c
	mkdir "$T/dir"
	touch "$T/file.txt"
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/vm.sock"
	for c in export import sim; do
		run -0 bash -c "source '$SEVMIG_ROOT/completions/bash/sevmig-$c'; _sevmig_${c}_vm '$T/'; printf '%s\n' \"\${COMPREPLY[@]}\" | sort"
		assert_output "$T/dir
$T/vm.sock"
	done
	# and through the completion functions, as bash calls them
	run -0 bash -c "source '$SEVMIG_ROOT/completions/bash/sevmig-export'; COMP_WORDS=(sevmig-export '$T/'); COMP_CWORD=1; _sevmig_export; printf '%s\n' \"\${COMPREPLY[@]}\" | sort"
	assert_output "$T/dir
$T/vm.sock"
}
