#!/usr/bin/env bats
# sevmig-certs invocation: subcommands, usage errors, help.

load helpers
bats_require_minimum_version 1.8.0

@test "cli: no command is a usage error" {
	run -2 --separate-stderr sevmig-certs
	assert_equal "$stderr" "sevmig-certs: no command given
Try 'sevmig-certs --help' for more information."
	[ -z "$output" ]
}

@test "cli: an unknown command lists the commands and exits 2" {
	run -2 --separate-stderr sevmig-certs frobnicate
	assert_equal "$stderr" "sevmig-certs: unknown command 'frobnicate' (commands: verify show split fetch report snp-target ok)
Try 'sevmig-certs --help' for more information."
}

@test "cli: --help lists every subcommand's synopsis" {
	run -0 --separate-stderr sevmig-certs --help
	assert_line " sevmig-certs verify [--ark FILE] [--product NAME] [-J] [BUNDLE|DIR|-]"
	assert_line " sevmig-certs show [-J] FILE..."
	assert_line " sevmig-certs split [--dir DIR] BUNDLE"
	assert_line " sevmig-certs fetch [options] [SOURCE]"
	[ -z "$stderr" ]
}

@test "cli: each subcommand has its own --help" {
	local s
	for s in verify show split fetch report "report show" "report verify"; do
		# shellcheck disable=SC2086 # "report show" is two words
		run -0 --separate-stderr sevmig-certs $s --help
		assert_equal "${lines[0]}" "Usage:"
		[[ ${lines[1]} == " sevmig-certs $s "* ]]
		[ -z "$stderr" ]
	done
}

@test "cli: an unknown subcommand option exits 2 with the subcommand's try line" {
	run -2 --separate-stderr sevmig-certs verify --bogus
	assert_equal "$stderr" "sevmig-certs verify: unrecognized option '--bogus'
Try 'sevmig-certs verify --help' for more information."
	[ -z "$output" ]
}

@test "cli: bad arguments exit 2" {
	run -2 --separate-stderr sevmig-certs verify a b
	assert_equal "${stderr%%$'\n'*}" "sevmig-certs: too many arguments"
	run -2 --separate-stderr sevmig-certs verify --product venice x
	assert_equal "${stderr%%$'\n'*}" "sevmig-certs: unknown product 'venice' (expected naples, rome, milan, genoa or turin)"
	run -2 --separate-stderr sevmig-certs show
	assert_equal "${stderr%%$'\n'*}" "sevmig-certs: no file given"
	run -2 --separate-stderr sevmig-certs split
	assert_equal "${stderr%%$'\n'*}" "sevmig-certs: no bundle given"
	run -2 --separate-stderr sevmig-certs split a b
	run -2 --separate-stderr sevmig-certs fetch --timeout 0
	assert_equal "${stderr%%$'\n'*}" "sevmig-certs: invalid --timeout '0' (seconds, above 0)"
	run -2 --separate-stderr sevmig-certs fetch --retries many
	assert_equal "${stderr%%$'\n'*}" "sevmig-certs: invalid --retries 'many' (0 to 100)"
	run -2 --separate-stderr sevmig-certs fetch --product x
	run -2 --separate-stderr sevmig-certs fetch a b
	run -2 --separate-stderr sevmig-certs verify --ark
}

@test "cli: -V after a subcommand prints the version" {
	run -0 sevmig-certs show -V
	assert_line --regexp "^sevmig-certs \(sevmig\) "
}
