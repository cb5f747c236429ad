#!/usr/bin/env bats
# sevmig-certs fetch ssh://[user@]host[:port][/SOURCE] against a real
# OpenSSH server on 127.0.0.1 (tests/bats/sshd.bash); the remote side runs
# the sevmig-certs just built.

load helpers
load fetch
load sshd
bats_require_minimum_version 1.8.0

setup() {
	need_fetch
	T=$BATS_TEST_TMPDIR
	sshd_start
	# The far side is this host: run the sevmig-certs under test there.
	export SEVMIG_REMOTE_CERTS=$SEVMIG_BUILD/bin/sevmig-certs
}

teardown() {
	sshd_stop
	fetch_stop_all
}

@test "ssh runs fetch on the remote with the source in the URL path and verifies what comes back" {
	need_amd_certs
	run --separate-stderr sevmig-certs fetch -o "$T/b.json" \
		"ssh://127.0.0.1:$SSHD_PORT/file:$VIRTEE/tests-milan"
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	run -0 sevmig-certs verify "$T/b.json"
	assert_line "product: milan"
	run -0 grep -c "\"source\": \"ssh://127.0.0.1:$SSHD_PORT/file:$VIRTEE/tests-milan (" "$T/b.json"
	run -0 grep -c "Accepted publickey for $(id -un)" "$SSHD_DIR/sshd.log"
}

@test "ssh with a user name logs in as that user" {
	need_amd_certs
	run --separate-stderr sevmig-certs fetch -o "$T/b.json" \
		"ssh://$(id -un)@127.0.0.1/file:$VIRTEE/tests-rome"
	assert_success
	assert_equal "$stderr" ""
	run -0 sevmig-certs verify "$T/b.json"
	assert_line "product: rome"
}

@test "ssh to a port nobody listens on fails with exit 4 and ssh's message" {
	port=$(dead_port)
	run --separate-stderr sevmig-certs fetch "ssh://127.0.0.1:$port"
	assert_failure 4
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: ssh to '127.0.0.1' failed: ssh: connect to host 127.0.0.1 port $port: Connection refused"
}

@test "ssh with a key the server does not accept fails with exit 4" {
	rm "$SSHD_DIR/authorized_keys"
	touch "$SSHD_DIR/authorized_keys"
	run --separate-stderr sevmig-certs fetch "ssh://127.0.0.1"
	assert_failure 4
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: ssh to '127.0.0.1' failed: $(id -un)@127.0.0.1: Permission denied (publickey)."
}

@test "the remote's own failure is relayed with its exit class" {
	[ -e /dev/sev ] && skip "this host has /dev/sev"
	run --separate-stderr sevmig-certs fetch "ssh://127.0.0.1"
	assert_failure 6
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: remote 'fetch' on '127.0.0.1' exited with status 6: sevmig-certs: cannot open SEV device '/dev/sev': No such file or directory"
}

@test "a missing remote program fails with exit 4 and names --remote-program" {
	SEVMIG_REMOTE_CERTS=$T/no-such-sevmig-certs run --separate-stderr \
		sevmig-certs fetch "ssh://127.0.0.1"
	assert_failure 4
	assert_output ""
	assert_equal "$stderr" "sevmig-certs: remote 'fetch' on '127.0.0.1': no program '$T/no-such-sevmig-certs' there (bash: line 1: $T/no-such-sevmig-certs: No such file or directory): install sevmig on that host or name its sevmig-certs with --remote-program PATH"
}

@test "remote words reach the far side quoted, never interpreted by its shell" {
	run --separate-stderr sevmig-certs fetch \
		"ssh://127.0.0.1/file:$T/x';touch $T/pwned;'"
	assert_failure
	assert [ ! -e "$T/pwned" ]
	assert_regex "$stderr" "^sevmig-certs: remote 'fetch' on '127.0.0.1' exited with status [0-9]+: sevmig-certs: .*'$T/x';touch $T/pwned;''"
}

@test "a host that looks like an ssh option is refused with exit 2" {
	run --separate-stderr sevmig-certs fetch "ssh://-oProxyCommand=touch%20x"
	assert_failure 2
	assert_output ""
	assert_equal "${stderr_lines[0]}" "sevmig-certs: bad source 'ssh://-oProxyCommand=touch%20x': bad host name"
}

@test "ssh to a host without sevmig-certs in its PATH names --remote-program" {
	SEVMIG_REMOTE_CERTS=sevmig-certs-nowhere run --separate-stderr sevmig-certs fetch "ssh://127.0.0.1/sim:$T/h"
	assert_failure 4
	assert_equal "$stderr" "sevmig-certs: remote 'fetch' on '127.0.0.1': no program 'sevmig-certs-nowhere' there (bash: line 1: sevmig-certs-nowhere: command not found): install sevmig on that host or name its sevmig-certs with --remote-program PATH"
	# the fix: --remote-program
	sevmig-sim platform init "$T/h" >/dev/null
	run -0 --separate-stderr sevmig-certs fetch --remote-program "$SEVMIG_BUILD/bin/sevmig-certs" --ark "$T/h/ark.cert" -o "$T/b.json" "ssh://127.0.0.1/sim:$T/h"
	run -0 sevmig-certs verify --ark "$T/h/ark.cert" "$T/b.json"
}
