#!/usr/bin/env bats
# shellcheck disable=SC2154 # $stderr comes from bats' run --separate-stderr
# Messages in plain language (issue 18, scripts/check-messages.py): no
# sevmig function or identifier (sm_..., sv_...), no bare C call name, no
# quotes nested in quotes, neither in the sources' message strings nor
# in what a representative set of failing commands writes on stderr
# (at the default level and at -v).

load helpers
load archive
bats_require_minimum_version 1.8.0

teardown() {
	sim_stop_all
}

messages() {
	python3 "$SEVMIG_ROOT/scripts/check-messages.py" "$@"
}

@test "messages: the sources' message strings keep the rules" {
	run -0 messages "$SEVMIG_ROOT"
	assert_output --regexp '^check-messages: ok \([0-9]+ messages\)$'
}

@test "messages: the check catches an internal name, a bare C call and nested quotes" {
	mkdir -p "$T/tree/lib/x" "$T/tree/cmd"
	cat >"$T/tree/lib/x/bad.c" <<-'EOF'
		static int f(struct sm_err *e)
		{
			sm_err_set(e, SM_EXIT_VM, "sv_mh_start failed: %d", 3);
			sm_err_errno(e, SM_EXIT_FAILURE, errno, "signalfd");
			pr_warn("run --exec 'sevmig-import \"%s\"' instead", vm);
			return sm_err_prefix(e, "the answer \"'%s'\"", x);
		}
	EOF
	run -1 messages "$T/tree"
	assert_line "check-messages: lib/x/bad.c:3: names the internal identifier sv_mh_start"
	assert_line "check-messages: lib/x/bad.c:4: is only the C call 'signalfd': say what failed"
	assert_line "check-messages: lib/x/bad.c:5: nests quotes: 'sevmig-import \"%s\"'"
	assert_line "check-messages: lib/x/bad.c:6: nests quotes: \"'%s'\""
	run -1 messages - <<<"sevmig-export: sm_fw_open failed"
	assert_output --partial "names the internal identifier sm_fw_open"
}

# fails CMD...: run it (it must fail), keep its stderr in $T/all.err.
fails() {
	local rc=0
	"$@" 2>>"$T/all.err" >/dev/null </dev/null || rc=$?
	[ "$rc" -ne 0 ] || {
		echo "did not fail: $*"
		return 1
	}
}

@test "messages: what failing commands say, at the default level and at -v, keeps the rules" {
	local v
	pair --mem 4M
	sim_platform pc
	sim_run c pc --incoming --mem 4M
	sim_run d pb --incoming --mem 16M --vcpus 2
	sevmig-certs fetch "sim:$T/pb" >"$T/b.json"
	sevmig-export -q $(certs_b) --keep-source -o "$T/g.sevmig" "$T/a.sock"
	head -c 20000 "$T/g.sevmig" >"$T/cut.sevmig"
	echo '{}' >"$T/empty.json"
	: >"$T/all.err"
	for v in "" -v; do
		# certificates, bundles, trust
		fails sevmig-export $v -c "$T/b.json" -o "$T/x1" "$T/a.sock"
		fails sevmig-export $v -c "$T/empty.json" -o "$T/x2" "$T/a.sock"
		fails sevmig-certs verify $v "$T/empty.json"
		fails sevmig-certs fetch $v --offline --cache-dir "$T/cache" "file:$T/empty.json"
		# a VM argument that is not one, VMs in the wrong place
		fails sevmig-export $v $(certs_b) -o "$T/x3" "$T/b.json"
		fails sevmig-export $v $(certs_b) -o "$T/x4" "$T/nope.sock"
		fails sevmig-export $v $(certs_b) "$T/a.sock" "$T/b.sock"
		fails sevmig-export $v $(certs_b) -o "$T/x5" "$T/b.sock"
		fails sevmig-sim ctl $v status "$T/a.sock"
		fails sevmig-sim run $v --platform "$T/pa" --socket "$T/y.sock" --mem 4097K
		# imports that cannot go: a cut stream, the wrong host, a -c to --check
		fails sevmig-import $v -i "$T/cut.sevmig" "$T/b.sock"
		fails sevmig-import $v -i "$T/g.sevmig" "$T/c.sock"
		fails sevmig-import $v -i "$T/g.sevmig" "$T/d.sock"
		fails sevmig-import $v --check -i "$T/b.json"
		# two-way: an importer that fails verification, one that does not run
		fails sevmig-export $v $(certs_b) --exec "sevmig-import --ack '$T/c.sock'" "$T/a.sock"
		fails sevmig-export $v $(certs_b) --exec "no-such-importer" "$T/a.sock"
		# a dry run against targets that differ
		fails sevmig-export $v --dry-run $(certs_b) --exec "sevmig-import --ack '$T/d.sock'" "$T/a.sock"
		fails sevmig-export $v --dry-run $(certs_b) --exec "sevmig-import --ack '$T/c.sock'" "$T/a.sock"
		# --to with a bad URL
		fails sevmig-export $v --to "ssh://127.0.0.1" "$T/a.sock"
	done
	# each said something, and all of it keeps the rules
	[ "$(grep -c . "$T/all.err")" -ge 38 ]
	run -0 messages - <"$T/all.err"
	assert_output --regexp '^check-messages: ok \([0-9]+ messages\)$'
	assert_source_intact running
	assert_target_untouched
}
