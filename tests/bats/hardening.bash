# Helpers for the hardening tests (tests/bats/7x-hardening-*.bats): fault
# injection, archive attacks, secrets, hostile VMMs.  Load after helpers
# and archive (whose sim_run, certs_b, save_digest, assert_* it uses):
#
#   load helpers
#   load archive
#   load hardening
#   setup_file() { h_platforms; }
#   setup()      { h_setup; }
#   teardown()   { h_teardown; }
#
#   h_platforms          once per file: simulated hosts pa, pb (one
#                        simulated AMD, 2048-bit, so it is quick) and pc
#                        (another AMD), in $BATS_FILE_TMPDIR
#   h_setup              link them into $T, so certs_b and sim_run work
#   h_pair [RUN OPTS]    a source VMM a (on pa) and an incoming b (on pb)
#   h_bg NAME CMD...     run CMD in the background in a process group
#                        of its own (stdout NAME.out, stderr NAME.err in
#                        $T), remember its pid in $NAME_PID and for
#                        h_teardown, which kills the whole group
#   h_wait PID SEC       wait up to SEC seconds for PID (our child) to
#                        exit; its status in $H_RC (124 if it did not)
#   h_until SEC CMD...   retry CMD every 0.1 s for up to SEC seconds
#   status_is NAME FIELD VALUE   NAME's status shows FIELD: VALUE
#   hostile_start NAME UPSTREAM RULE...
#                        tests/helpers/hostile-vmm.py on $T/NAME.sock in
#                        front of $T/UPSTREAM.sock; applied rules are
#                        logged to $T/NAME.rules
#   hostile_fired NAME LINE   the rule logged LINE ("OP ACTION")
#   assert_target_waiting [NAME]   the incoming VMM (default b) still
#                        waits: state incoming, no guest context, nothing
#                        held; an aborted import left nothing behind
#   assert_source_back [VMM STATE]   the source's firmware guest is
#                        RUNNING, its context back, its pages check and
#                        its digest is unchanged (VMM state default
#                        paused: a killed exporter cannot resume it)
#   assert_exports_again the source can be exported again: a full pipe
#                        migration into b succeeds and checks
#   feed_kill BYTES FILE CMD...
#                        run CMD (an importer) reading FILE's first BYTES
#                        bytes through a pipe that stays open; once CMD
#                        has read them all and sleeps reading the pipe,
#                        SIGKILL it.  Fails if CMD exits first.
# shellcheck shell=bash

H_PIDS=()

h_platforms() {
	local d=$BATS_FILE_TMPDIR
	sevmig-sim platform init --ark-bits 2048 "$d/pa" >/dev/null
	sevmig-sim platform init --ark-from "$d/pa" "$d/pb" >/dev/null
	sevmig-sim platform init --ark-bits 2048 "$d/pc" >/dev/null
}

h_setup() {
	local p
	for p in pa pb pc; do
		ln -s "$BATS_FILE_TMPDIR/$p" "$T/$p"
	done
}

h_pair() {
	sim_run a pa "$@"
	sim_run b pb --incoming "$@"
}

h_bg() {
	local name=$1
	shift
	# (an explicit stdin: a background job would get /dev/null; a
	# process group of its own, so teardown stops its children too)
	setsid "$@" <&0 >"$T/$name.out" 2>"$T/$name.err" 3>&- &
	printf -v "${name}_PID" '%s' "$!"
	H_PIDS+=("$!")
}

h_wait() {
	local i
	H_RC=124
	for ((i = 0; i < $2 * 10; i++)); do
		if ! kill -0 "$1" 2>/dev/null; then
			H_RC=0
			wait "$1" || H_RC=$?
			return 0
		fi
		sleep 0.1
	done
	return 1
}

h_until() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

# status_is NAME FIELD VALUE: a field of NAME's status (for h_until).
status_is() {
	[ "$(sim_status "$1" "$2")" = "$3" ]
}

h_teardown() {
	local p
	for p in "${H_PIDS[@]}"; do
		kill -9 -- "-$p" 2>/dev/null || kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	H_PIDS=()
	sim_stop_all
}

hostile_start() {
	local name=$1 up=$2
	shift 2
	rm -f "$T/$name.sock" "$T/$name.rules"
	: >"$T/$name.rules"
	python3 "$SEVMIG_ROOT/tests/helpers/hostile-vmm.py" --listen "$T/$name.sock" --upstream "$T/$up.sock" \
		--log "$T/$name.rules" "$@" </dev/null >"$T/$name.log" 2>&1 3>&- &
	H_PIDS+=("$!")
	wait_for_path "$T/$name.sock" 10
}

hostile_fired() {
	grep -qxF "$2" "$T/$1.rules" || {
		echo "rule '$2' did not fire on $1; log:" >&2
		cat "$T/$1.rules" >&2
		return 1
	}
}

assert_target_waiting() {
	local n=${1:-b}
	assert_equal "$(sim_status "$n" 'vmm state')" incoming
	assert_equal "$(sim_status "$n" 'guest state')" none
	assert_equal "$(sim_status "$n" 'context held')" no
}

assert_source_back() {
	# The VMM takes the context back when its holder's connection closes.
	h_until 10 status_is a 'context held' no
	assert_equal "$(sim_status a 'guest state')" RUNNING
	assert_equal "$(sim_status a 'vmm state')" "${1:-paused}"
	run -0 sevmig-sim ctl "$T/a.sock" check
	[ ! -f "$T/a.digest" ] || assert_equal "$(sim_digest a)" "$(cat "$T/a.digest")"
}

assert_exports_again() {
	run -0 bash -c "sevmig-export -q $(certs_b) '$T/a.sock' | sevmig-import -q '$T/b.sock'"
	assert_migrated
}

# The byte offset where entry NAME's data starts in FILE, and its size.
entry_offset() {
	archive-mangle list <"$2" | awk -v n="$1" '$1 == "entry" && $2 == n {print $4}'
}

entry_size() {
	archive-mangle list <"$2" | awk -v n="$1" '$1 == "entry" && $2 == n {print $3}'
}

# The byte offset of record N's header in FILE.
record_offset() {
	archive-mangle list <"$2" | awk -v n="$1" '$1 == "record" && $2 == n {print $5 - 80}'
}

# Bytes written into the pipe on fd 5 that nobody has read yet.
fifo_pending() {
	python3 -c 'import fcntl, struct, termios
print(struct.unpack("i", fcntl.ioctl(5, termios.FIONREAD, b"0000"))[0])'
}

feed_kill() {
	local bytes=$1 file=$2 pid i
	shift 2
	rm -f "$T/feed.fifo"
	mkfifo "$T/feed.fifo"
	# Hold the pipe open on fd 5 so the importer never sees its end.
	exec 5<>"$T/feed.fifo"
	h_bg imp "$@" <"$T/feed.fifo" 5>&-
	pid=$imp_PID
	head -c "$bytes" "$file" >&5
	# Wait until it has taken every byte and sleeps reading the pipe.
	FEED_BLOCKED=
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		# (pipe_read, or anon_pipe_read on newer kernels)
		if [ "$(fifo_pending)" = 0 ] &&
			[[ "$(cat "/proc/$pid/wchan" 2>/dev/null)" == *pipe_read ]]; then
			FEED_BLOCKED=1
			break
		fi
		sleep 0.05
	done
	if [ -z "$FEED_BLOCKED" ]; then
		exec 5>&-
		echo "the importer did not wait for more input after $bytes bytes:" >&2
		cat "$T/imp.err" >&2
		return 1
	fi
	kill -9 "$pid"
	h_wait "$pid" 10
	exec 5>&-
}

# The SHA-256 fingerprint of simulated host NAME's PDH.
pdh_fp() {
	sevmig-certs show "$T/$1/pdh.cert" | awk '$1 == "fingerprint" {print $2}'
}

# tar_entry_as IN OUT NAME KIND LINK: copy archive IN to OUT with entry
# NAME replaced by a KIND entry (symlink, hardlink, dir, fifo, chr)
# pointing at LINK, as a hostile writer would (python's tarfile, pax).
tar_entry_as() {
	python3 - "$@" <<-'PY'
		import sys, tarfile
		src, dst, name, kind, link = sys.argv[1:6]
		types = {"symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
		         "dir": tarfile.DIRTYPE, "fifo": tarfile.FIFOTYPE,
		         "chr": tarfile.CHRTYPE}
		with tarfile.open(src, "r:") as tin, \
		     tarfile.open(dst, "w:", format=tarfile.PAX_FORMAT) as tout:
		    for m in tin.getmembers():
		        if m.name != name:
		            tout.addfile(m, tin.extractfile(m))
		            continue
		        n = tarfile.TarInfo(m.name)
		        n.type = types[kind]
		        n.linkname = link
		        n.mode = 0o600
		        tout.addfile(n)
	PY
}
