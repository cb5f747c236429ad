#!/usr/bin/env bats
# Mistakes an operator makes, and messages that name the fix (issue 18):
# no --ark for a simulated host, a VM argument that is not a socket, a
# bundle or an archive expected on a terminal, both VMs given to one tool,
# ctl's words swapped, and sevmig-sim run saying when and where it is
# ready.  Each leaves the guests as they were.

load helpers
load archive
bats_require_minimum_version 1.8.0

teardown() {
	sim_stop_all
}

# on_tty 'COMMAND': run it with a terminal as standard input (script(1)),
# print what it wrote (without the terminal's carriage returns) and
# "exit N".
on_tty() {
	script -qec "$1; echo \"exit \$?\"" /dev/null | tr -d '\r'
}

@test "export without --ark from a simulated host's certificates names the --ark to give" {
	pair --mem 4M
	sevmig-certs fetch "sim:$T/pb" >"$T/b.json"
	run -3 --separate-stderr sevmig-export -c "$T/b.json" -o "$T/out.sevmig" "$T/a.sock"
	assert_equal "$stderr" "sevmig-export: target certificate chain '$T/b.json' does not verify: certificate chain verification failed: ARK is trusted: no trusted root: the product is unknown (name it with --product, or give --ark); the certificates come from a simulated host: give --ark $T/pb/ark.cert"
	run -3 --separate-stderr sevmig-export -c "$T/pb" -o "$T/out.sevmig" "$T/a.sock"
	assert_equal "$stderr" "sevmig-export: target certificate chain '$T/pb' does not verify: certificate chain verification failed: ARK is trusted: no trusted root: the product is unknown (name it with --product, or give --ark); the certificates come from a simulated host: give --ark $T/pb/ark.cert"
	[ ! -e "$T/out.sevmig" ]
	assert_source_intact running
	# the fix works
	run -0 sevmig-export -q -c "$T/b.json" --ark "$T/pb/ark.cert" -o "$T/out.sevmig" "$T/a.sock"
}

@test "a VM argument that is a regular file or a directory is named as such" {
	pair --mem 4M
	sevmig-certs fetch "sim:$T/pb" >"$T/b.json"
	run -4 --separate-stderr sevmig-export $(certs_b) -o "$T/out.sevmig" "$T/b.json"
	assert_equal "$stderr" "sevmig-export: VM '$T/b.json': '$T/b.json' is a regular file, not a VM's socket: name the unix socket its VMM listens on (sevmig-sim run --socket PATH)"
	run -4 --separate-stderr sevmig-export $(certs_b) -o "$T/out.sevmig" "$T/pb"
	assert_equal "$stderr" "sevmig-export: VM '$T/pb': '$T/pb' is a directory, not a VM's socket: name the unix socket its VMM listens on (sevmig-sim run --socket PATH)"
	[ ! -e "$T/out.sevmig" ]
	run -0 sevmig-export -q $(certs_b) --keep-source -o "$T/g.sevmig" "$T/a.sock"
	run -4 --separate-stderr sevmig-import -i "$T/g.sevmig" "$T/g.sevmig"
	[[ "$stderr" == *"'$T/g.sevmig' is a regular file, not a VM's socket: name the unix socket its VMM listens on (sevmig-sim run --socket PATH)" ]]
	run -4 --separate-stderr sevmig-sim ctl "$T/b.json" status
	assert_equal "$stderr" "sevmig-sim: '$T/b.json' is a regular file, not a VM's socket: name the unix socket its VMM listens on (sevmig-sim run --socket PATH)"
	assert_source_intact running
	assert_target_untouched
}

@test "export, import and verify refuse to read a bundle or an archive from a terminal" {
	pair --mem 4M
	# script gives each command a terminal as standard input
	run -0 on_tty "sevmig-export '$T/a.sock'"
	assert_line "sevmig-export: standard input is a terminal: sevmig-export reads the target's certificate bundle there; pipe it in (sevmig-certs fetch SOURCE | sevmig-export VM) or give -c FILE"
	assert_line "exit 2"
	run -0 on_tty "sevmig-import '$T/b.sock'"
	assert_line "sevmig-import: standard input is a terminal: sevmig-import reads the archive there; pipe it in (sevmig-export ... | sevmig-import VM) or give -i FILE"
	assert_line "exit 2"
	run -0 on_tty "sevmig-import --check"
	assert_line "exit 2"
	run -0 on_tty "sevmig-certs verify"
	assert_line "sevmig-certs: standard input is a terminal: verify reads a bundle or certificate there; pipe one in (sevmig-certs fetch SOURCE | sevmig-certs verify) or name a BUNDLE or DIR"
	assert_line "exit 2"
	assert_source_intact running
	assert_target_untouched
}

@test "both VMs given to export or import, and ctl's command before the socket, get the right form" {
	pair --mem 4M
	run -2 --separate-stderr sevmig-export $(certs_b) "$T/a.sock" "$T/b.sock"
	assert_equal "$stderr" "sevmig-export: one VM only, the source: the target's goes to the importer: sevmig-export [options] $T/a.sock | sevmig-import $T/b.sock (or --exec 'sevmig-import --ack $T/b.sock')
Try 'sevmig-export --help' for more information."
	run -2 --separate-stderr sevmig-import "$T/a.sock" "$T/b.sock" </dev/null
	assert_equal "$stderr" "sevmig-import: one VM only, the target: the source's goes to the exporter: sevmig-export [options] $T/a.sock | sevmig-import $T/b.sock
Try 'sevmig-import --help' for more information."
	# two operands that are not sockets: just too many
	run -2 --separate-stderr sevmig-export $(certs_b) "$T/a.sock" extra
	assert_equal "${stderr_lines[0]}" "sevmig-export: too many arguments"
	run -2 --separate-stderr sevmig-sim ctl status "$T/a.sock"
	assert_equal "$stderr" "sevmig-sim: the socket comes first: sevmig-sim ctl $T/a.sock status
Try 'sevmig-sim ctl --help' for more information."
	run -2 --separate-stderr sevmig-sim ctl inject-secret "$T/a.sock" h p
	assert_equal "${stderr_lines[0]}" "sevmig-sim: the socket comes first: sevmig-sim ctl $T/a.sock inject-secret ..."
	assert_source_intact running
	assert_target_untouched
}

@test "run --mem that is not a multiple of 4 KiB says so and names the sizes that are" {
	sim_platform pa
	run -2 --separate-stderr sevmig-sim run --platform "$T/pa" --socket "$T/x.sock" --mem 4097K
	assert_equal "$stderr" "sevmig-sim: invalid --mem value '4097K': 4195328 bytes is not a multiple of 4 KiB (4096 bytes); 4194304 or 4198400 is
Try 'sevmig-sim run --help' for more information."
	run -2 --separate-stderr sevmig-sim run --platform "$T/pa" --socket "$T/x.sock" --mem 100
	assert_equal "${stderr_lines[0]}" "sevmig-sim: invalid --mem value '100': 100 bytes is not a multiple of 4 KiB (4096 bytes); 4K is the least"
	run -2 --separate-stderr sevmig-sim run --platform "$T/pa" --socket "$T/x.sock" --mem 4M --mem-split 1001K
	assert_equal "${stderr_lines[0]}" "sevmig-sim: invalid --mem-split value '1001K': 1025024 bytes is not a multiple of 4 KiB (4096 bytes); 1024000 or 1028096 is"
	[ ! -e "$T/x.sock" ]
}

@test "run says on stderr when it is ready and where; -q keeps it quiet" {
	local i
	sim_platform pa
	sim_platform pb
	sim_run a pa --mem 4M --vcpus 2
	sim_run b pb --incoming --mem 4M -q
	for i in $(seq 50); do
		grep -q ready "$T/a.log" && break
		sleep 0.1
	done
	assert_equal "$(cat "$T/a.log")" "sevmig-sim: ready: a source VMM on '$T/a.sock' (platform '$T/pa', 4 MiB, 2 vCPUs); stop it with sevmig-sim ctl '$T/a.sock' quit"
	assert_equal "$(cat "$T/b.log")" ""
}

@test "sevmig-sim --help lists each command with what it does" {
	run -0 sevmig-sim --help
	assert_line " platform   make a simulated SEV host (init), sign a test SNP report (report)"
	assert_line " run        run a simulated VMM serving the VM endpoint"
	assert_line " ctl        ask a running VMM for its state, or to act"
}
