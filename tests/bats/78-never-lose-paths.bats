#!/usr/bin/env bats
# Never lose (issue 11, items 5, 6, 9 and 11): outputs that would send the
# archive where nobody can restore it or where another user chose, a
# file-size limit and closed standard streams, certificates whose key is
# not a point of the curve, and the small ones.  After each refusal the
# source still runs its intact guest, nothing was written where it must
# not be, and no temporary file is left.

load helpers
load archive
load hardening
bats_require_minimum_version 1.8.0

setup_file() {
	h_platforms
}

setup() {
	h_setup
}

teardown() {
	h_teardown
}

# A sticky, world-writable directory $T/tmp (like /tmp) holding NAME,
# made by "nobody": a planted node root must not write through.
planted() {
	[ "$(id -u)" = 0 ] || skip "needs root to plant a node owned by nobody"
	mkdir -p "$T/tmp"
	chmod 1777 "$T/tmp"
	case $1 in
	symlink)
		echo victim >"$T/victim"
		ln -s "$T/victim" "$T/tmp/out"
		chown -h nobody "$T/tmp/out"
		;;
	fifo)
		mkfifo "$T/tmp/out"
		chown nobody "$T/tmp/out"
		;;
	esac
}

fd2_is_null() {
	[ "$(readlink "/proc/$1/fd/2")" = /dev/null ]
}

no_temp_files() {
	[ -z "$(find "$T" -name '.*.tmp.*')" ] || {
		find "$T" -name '.*.tmp.*'
		false
	}
}

PLANTED="refusing to write '$T/tmp/out': it is a %s owned by another user (uid 65534) in a directory others can write to; remove it or choose another path"

@test "paths: -o through a symlink another user planted in a sticky directory is refused, its target untouched" {
	h_pair --mem 4M
	save_digest
	planted symlink
	run -2 --separate-stderr sevmig-export $(certs_b) -q -o "$T/tmp/out" "$T/a.sock"
	# shellcheck disable=SC2059
	assert_equal "$stderr" "sevmig-export: $(printf "$PLANTED" symlink)"
	assert_equal "$(cat "$T/victim")" victim
	assert_source_intact running
	assert_target_untouched
	no_temp_files
}

@test "paths: -o into a FIFO another user planted in a sticky directory is refused at once" {
	h_pair --mem 4M
	save_digest
	planted fifo
	run -2 --separate-stderr timeout 20 sevmig-export $(certs_b) -q -o "$T/tmp/out" "$T/a.sock"
	# shellcheck disable=SC2059
	assert_equal "$stderr" "sevmig-export: $(printf "$PLANTED" FIFO)"
	assert_source_intact running
}

@test "paths: --report and certs fetch -o through a planted symlink are refused" {
	h_pair --mem 4M
	save_digest
	planted symlink
	run -2 --separate-stderr sevmig-export $(certs_b) -q --keep-source -o "$T/g.sevmig" --report "$T/tmp/out" "$T/a.sock"
	# shellcheck disable=SC2059
	assert_equal "$stderr" "sevmig-export: $(printf "$PLANTED" symlink)"
	[ ! -e "$T/g.sevmig" ]
	run -2 --separate-stderr sevmig-certs fetch -q -o "$T/tmp/out" "sim:$T/pb"
	# shellcheck disable=SC2059
	assert_equal "$stderr" "sevmig-certs: $(printf "$PLANTED" symlink)"
	assert_equal "$(cat "$T/victim")" victim
	assert_source_intact running
	no_temp_files
}

@test "paths: a planted symlink on the way (a directory, or behind one's own link) is refused too" {
	h_pair --mem 4M
	save_digest
	planted symlink
	mkdir "$T/secret"
	echo keep >"$T/secret/x"
	ln -s "$T/secret" "$T/tmp/d"
	chown -h nobody "$T/tmp/d"
	run -2 --separate-stderr sevmig-export $(certs_b) -q --force -o "$T/tmp/d/x" "$T/a.sock"
	assert_equal "$stderr" "sevmig-export: refusing to write '$T/tmp/d': it is a symlink owned by another user (uid 65534) in a directory others can write to; remove it or choose another path"
	# one's own link that leads to the planted one
	ln -s "$T/tmp/out" "$T/mine"
	run -2 --separate-stderr sevmig-certs fetch -q -o "$T/mine" "sim:$T/pb"
	# shellcheck disable=SC2059
	assert_equal "$stderr" "sevmig-certs: $(printf "$PLANTED" symlink)"
	assert_equal "$(cat "$T/secret/x")" keep
	assert_equal "$(cat "$T/victim")" victim
	assert_source_intact running
	no_temp_files
}

@test "paths: a symlink of one's own in a sticky directory is still followed, a dangling one creates its target" {
	h_pair --mem 4M
	mkdir -p "$T/tmp"
	chmod 1777 "$T/tmp"
	ln -s "$T/own.sevmig" "$T/tmp/out"
	run -0 sevmig-export $(certs_b) -q --keep-source -o "$T/tmp/out" "$T/a.sock"
	[ -L "$T/tmp/out" ]
	run -0 sevmig-import --check -i "$T/own.sevmig"
}

@test "paths: a terminal named with -o is refused like a terminal on stdout" {
	h_pair --mem 4M
	save_digest
	# (a pseudo-terminal of our own: -o /dev/pts/N, then the VM)
	run -2 --separate-stderr python3 -c '
import os, pty, subprocess, sys
m, s = pty.openpty()
sys.exit(subprocess.call(sys.argv[2:] + ["-o", os.ttyname(s), sys.argv[1]]))
' "$T/a.sock" sevmig-export $(certs_b) -q
	[[ "$stderr" =~ ^"sevmig-export: refusing to write the archive to a terminal ('/dev/pts/"[0-9]+"'; use --force)"$ ]] || { echo "$stderr"; false; }
	assert_source_intact running
}

@test "paths: a file that appears at the -o path while the archive is written is not replaced" {
	h_pair --mem 128M
	save_digest
	h_bg exp sevmig-export $(certs_b) -q -o "$T/new.sevmig" "$T/a.sock"
	h_until 20 compgen -G "$T/.new.sevmig.tmp.*"
	kill -STOP "$exp_PID"
	echo precious >"$T/new.sevmig"
	kill -CONT "$exp_PID"
	h_wait "$exp_PID" 60
	assert_equal "$H_RC" 4
	assert_equal "$(cat "$T/exp.err")" "sevmig-export: '$T/new.sevmig' appeared while it was being written: not replaced"
	assert_equal "$(cat "$T/new.sevmig")" precious
	no_temp_files
	assert_source_intact running
}

@test "paths: -o over an existing file is refused without --force, replaced with it" {
	h_pair --mem 4M
	save_digest
	echo precious >"$T/old.sevmig"
	run -2 --separate-stderr sevmig-export $(certs_b) -q -o "$T/old.sevmig" "$T/a.sock"
	assert_equal "$stderr" "sevmig-export: refusing to replace '$T/old.sevmig', which exists (use --force to replace it)"
	assert_equal "$(cat "$T/old.sevmig")" precious
	assert_source_intact running
	run -0 sevmig-export $(certs_b) -q --force -o "$T/old.sevmig" "$T/a.sock"
	run -0 sevmig-import -q -i "$T/old.sevmig" "$T/b.sock"
	assert_migrated
}

@test "paths: -o /dev/null and a stdout of /dev/null do not release the source" {
	h_pair --mem 4M
	save_digest
	local msg="refusing to migrate into %s: nothing can restore the guest from it, and the source would be released (--keep-source writes a snapshot and keeps the guest; --force releases it anyway)"
	run -2 --separate-stderr sevmig-export $(certs_b) -q -o /dev/null "$T/a.sock"
	# shellcheck disable=SC2059
	assert_equal "$stderr" "sevmig-export: $(printf "$msg" "'/dev/null', a memory device")"
	assert_source_intact running
	run -2 --separate-stderr bash -c "sevmig-export $(certs_b) -q '$T/a.sock' >/dev/null"
	# shellcheck disable=SC2059
	assert_equal "$stderr" "sevmig-export: $(printf "$msg" "standard output, a memory device like /dev/null")"
	assert_source_intact running
	# a snapshot loses nothing
	run -0 sevmig-export $(certs_b) -q --keep-source -o /dev/null "$T/a.sock"
	assert_source_intact running
}

@test "paths: an output over another output or over the input is refused before anything is touched" {
	h_pair --mem 4M
	save_digest
	run -2 --separate-stderr sevmig-export $(certs_b) -q -o "$T/x" --report "$T/./x" "$T/a.sock"
	assert_equal "${stderr%%$'\n'*}" "sevmig-export: --report and --output name the same file"
	cp -r "$T/pb/." "$T/bundle-dir"
	sevmig-certs fetch -q -o "$T/b.json" "sim:$T/pb"
	cp "$T/b.json" "$T/b.json.orig"
	run -2 --separate-stderr sevmig-export -c "$T/b.json" --ark "$T/pb/ark.cert" -q --force -o "$T/b.json" "$T/a.sock"
	assert_equal "${stderr%%$'\n'*}" "sevmig-export: --output would overwrite the certificate bundle (-c)"
	cmp "$T/b.json" "$T/b.json.orig"
	assert_source_intact running
	save_archive
	cp "$T/guest.sevmig" "$T/guest.orig"
	run -2 --separate-stderr sevmig-import -q -i "$T/guest.sevmig" --report "$T/guest.sevmig" "$T/b.sock"
	assert_equal "${stderr%%$'\n'*}" "sevmig-import: --report would overwrite the archive (-i)"
	cmp "$T/guest.sevmig" "$T/guest.orig"
	assert_target_untouched
	run -2 --separate-stderr sevmig-certs fetch -q -o "$T/b.json" "file:$T/b.json"
	assert_equal "${stderr%%$'\n'*}" "sevmig-certs: --output would overwrite an input of the fetch"
	cmp "$T/b.json" "$T/b.json.orig"
}

@test "signals: a file-size limit (SIGXFSZ) mid-stream is exit 4 like a full disk, the guest given back, no file left" {
	h_pair --mem 4M
	save_digest
	run -4 --separate-stderr bash -c "ulimit -f 256; exec sevmig-export $(certs_b) -q -o '$T/big.sevmig' '$T/a.sock'"
	[[ "$stderr" == *"File too large"* ]] || { echo "$stderr"; false; }
	[ ! -e "$T/big.sevmig" ]
	no_temp_files
	assert_source_intact running
	assert_target_untouched
}

@test "descriptors: started with stdout closed, export and import --ack refuse and nothing reaches a socket" {
	h_pair --mem 4M
	save_digest
	run -2 --separate-stderr bash -c "sevmig-export $(certs_b) -q '$T/a.sock' >&-"
	assert_equal "${stderr%%$'\n'*}" "sevmig-export: standard output is closed: name the archive with -o FILE"
	assert_source_intact running
	save_archive
	run -2 --separate-stderr bash -c "sevmig-import -q --ack '$T/b.sock' <'$T/guest.sevmig' >&-"
	assert_equal "${stderr%%$'\n'*}" "sevmig-import: standard output is closed: --ack answers \"ready\" there"
	assert_target_untouched
	run -2 --separate-stderr bash -c "sevmig-import -q '$T/b.sock' <&-"
	assert_equal "${stderr%%$'\n'*}" "sevmig-import: standard input is closed: name the archive with -i FILE"
	assert_target_untouched
	# the VMM's own answers still work: nothing was written into its socket
	run -0 sevmig-import -q -i "$T/guest.sevmig" "$T/b.sock"
	run -0 sevmig-sim ctl "$T/b.sock" check
}

@test "descriptors: a closed stderr is taken by /dev/null at start, so no file or socket gets number 2" {
	mkfifo "$T/in"
	sevmig-import --check -i "$T/in" 2>&- 3>&- &
	local pid=$!
	# it blocks opening the FIFO; by then number 2 is /dev/null (without
	# the reservation it stays free, and the FIFO would take it)
	h_until 10 fd2_is_null "$pid"
	: >"$T/in"
	wait "$pid" || true
}

@test "certificates: a PDH whose key is off the curve, at infinity or has x >= p is refused though its PEK signature is genuine" {
	local m dir
	for m in off-curve infinity big-x; do
		dir=$T/chain-$m
		cp -r "$T/pb/." "$dir"
		python3 "$SEVMIG_ROOT/tests/helpers/pdh-badkey.py" "$m" \
			"$T/pb/pdh.cert" "$T/pb/pek.key" "$dir/pdh.cert"
		run -3 --separate-stderr sevmig-certs verify -q --ark "$T/pb/ark.cert" "$dir"
		case $m in
		off-curve) assert_equal "$stderr" "sevmig-certs: invalid certificate '$dir/pdh.cert': PDH public key is not a point on the P-384 curve" ;;
		infinity) assert_equal "$stderr" "sevmig-certs: invalid certificate '$dir/pdh.cert': PDH public key is the point at infinity" ;;
		big-x) assert_equal "$stderr" "sevmig-certs: invalid certificate '$dir/pdh.cert': PDH public key has a coordinate not below the P-384 prime" ;;
		esac
	done
	# the untouched chain verifies: only the key made the difference
	run -0 sevmig-certs verify -q --ark "$T/pb/ark.cert" "$T/pb"
}

@test "small: export --ark takes AMD's ASK||ARK file as certs verify does" {
	h_pair --mem 4M
	save_digest
	cat "$T/pb/ask.cert" "$T/pb/ark.cert" >"$T/ask_ark.cert"
	run -0 sevmig-certs verify -q --ark "$T/ask_ark.cert" "$T/pb"
	run -0 bash -c "sevmig-export -c '$T/pb' --ark '$T/ask_ark.cert' -q '$T/a.sock' | sevmig-import -q '$T/b.sock'"
	assert_migrated
}

@test "small: a pax GNU.sparse map libarchive cannot parse is named, not an unknown error" {
	python3 - "$T/sparse.tar" <<-'PY'
		import io, sys, tarfile
		t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
		data = b"1\n0\n100\n"
		ti = tarfile.TarInfo("manifest.json")
		ti.size = len(data)
		ti.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
		                  "GNU.sparse.name": "manifest.json",
		                  "GNU.sparse.realsize": "4096"}
		t.addfile(ti, io.BytesIO(data))
		t.close()
	PY
	run -4 --separate-stderr sevmig-import --check -i "$T/sparse.tar"
	assert_equal "$stderr" "sevmig-import: reading archive: libarchive stopped without a reason (a malformed header, a sparse map or another tar extension sevmig never writes)"
}

@test "small: sevmig-sim run --mem larger than the machine can hold is refused" {
	run -2 --separate-stderr sevmig-sim run --platform "$T/pa" --socket "$T/x.sock" --mem 1T
	[[ "$stderr" =~ ^"sevmig-sim: --mem 1048576 MiB is more than this machine can hold: "[0-9]+" MiB of memory and swap are available"$ ]] || { echo "$stderr"; false; }
	[ ! -e "$T/x.sock" ]
}
