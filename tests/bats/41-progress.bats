#!/usr/bin/env bats
# shellcheck disable=SC2154 # $stderr comes from bats' run --separate-stderr
# Progress on a terminal (issue 18), seen through script(1): what the
# terminal received and when (its timing log), cut into the writes it got
# by tests/helpers/progress-log.py.  Redraws arrive as they happen, one
# process draws per terminal, lines stay whole; --progress=json:FD; the
# bad values of --progress.

load helpers
load archive
bats_require_minimum_version 1.8.0

teardown() {
	sim_stop_all
}

# on_terminal CMD: run CMD under script(1) with a pty as its terminal,
# then print what progress-log.py makes of the timing log.
on_terminal() {
	timeout 120 script -q -e -T "$T/timing" -c "$1" "$T/typescript" </dev/null >/dev/null || return
	python3 "$SEVMIG_ROOT/tests/helpers/progress-log.py" "$T/timing" "$T/typescript"
}

@test "progress: a 256 MiB export redraws at least four times as it goes, the importer on its terminal stays quiet (issue 18)" {
	pair --mem 256M
	save_digest
	run -0 on_terminal "sevmig-export $(certs_b) '$T/a.sock' | sevmig-import '$T/b.sock'"
	# four writes with a redraw reached the terminal before the last line
	[ "$(sed -n 's/^redraws //p' <<<"$output")" -ge 4 ] || { echo "$output"; false; }
	assert_line "final sevmig-export"
	refute_line "line sevmig-import"
	refute_line --partial "bad "
	assert_migrated
}

@test "progress: the importer draws when the exporter does not, and -q silences the line" {
	pair --mem 8M
	run -0 on_terminal "sevmig-export $(certs_b) --no-progress '$T/a.sock' | sevmig-import '$T/b.sock'"
	assert_line "final sevmig-import"
	refute_line "line sevmig-export"
	refute_line --partial "bad "
	sim_run c pa --mem 8M
	sim_run d pb --incoming --mem 8M
	run -0 on_terminal "sevmig-export -q $(certs_b) '$T/c.sock' | sevmig-import -q '$T/d.sock'"
	assert_output "redraws 0"
}

@test "progress: --progress=json:3 writes one sevmig-progress/1 object per update, the last one final" {
	pair --mem 8M
	run -0 --separate-stderr bash -c "sevmig-export $(certs_b) --progress=json:3 '$T/a.sock' 3>'$T/p.json' | sevmig-import --no-progress '$T/b.sock'"
	refute_output --partial '"schema"'
	[[ "$stderr" != *'"schema"'* ]]
	run -0 jq -sr '[length > 1, all(.schema == "sevmig-progress/1" and .tool == "sevmig-export" and .unit == "pages"), (map(.final) | index(true) == length - 1), (last | [.done == .total, .percent, .total]) ] | flatten | @tsv' "$T/p.json"
	assert_output "true	true	true	true	100	2048"
	# one object per line
	assert_equal "$(wc -l <"$T/p.json")" "$(jq -s length "$T/p.json")"
}

@test "progress: bad --progress values exit 2 and say why" {
	run -2 --separate-stderr sevmig-export --progress=xml "$T/a.sock"
	assert_equal "${stderr_lines[0]}" "sevmig-export: invalid --progress value 'xml': json or json:FD"
	run -2 --separate-stderr sevmig-export --progress=json:x "$T/a.sock"
	assert_equal "${stderr_lines[0]}" "sevmig-export: invalid --progress value 'json:x': FD is a descriptor number"
	run -2 --separate-stderr sevmig-export --progress=json:1 "$T/a.sock"
	assert_equal "${stderr_lines[0]}" "sevmig-export: --progress=json:1: descriptor 1 is standard output, which carries the archive or the importer's answers; name another, such as 3 with 3>FILE"
	run -2 --separate-stderr sevmig-import --progress=json:0 "$T/b.sock"
	assert_equal "${stderr_lines[0]}" "sevmig-import: --progress=json:0: descriptor 0 is standard input, which carries the archive or the importer's answers; name another, such as 3 with 3>FILE"
	run -2 --separate-stderr sevmig-import --progress=json:9 "$T/b.sock" 9<&-
	assert_equal "$stderr" "sevmig-import: --progress=json:9: descriptor 9 is not open for writing
Try 'sevmig-import --help' for more information."
	run -2 --separate-stderr sevmig-import --progress=json:3 "$T/b.sock" 3</dev/null
	assert_equal "${stderr_lines[0]}" "sevmig-import: --progress=json:3: descriptor 3 is not open for writing"
}
