#!/usr/bin/env bats
# Guest-assisted migration (issue 15): a migration helper in the guest
# (sevmig-sim run --mh), given the owner's key K as a launch secret on
# source and target, seals every private page itself; sevmig-export
# --method mh needs no target certificates, and the target's helper
# refuses whatever was moved, replayed, swapped, taken from another
# migration, cut short, flipped or sealed under another key -- and the
# target never runs such a guest.

load helpers
load archive
load sim-run
load hardening
load never-clone
bats_require_minimum_version 1.8.0

MH_GUID=d6bf1556-0082-48ae-a8bc-e16a13d76f44

setup() {
	T=$BATS_TEST_TMPDIR
	sim_platform pa
	sim_platform pb
	sevmig-certs fetch "sim:$T/pa" -o "$T/pa.json"
	sevmig-certs fetch "sim:$T/pb" -o "$T/pb.json"
	head -c 32 /dev/urandom >"$T/K"
}

teardown() {
	h_teardown
	if declare -F sshd_stop >/dev/null; then
		sshd_stop
	fi
}

# mh_vm NAME PLATFORM KEYFILE [run options]: a guest with a helper,
# launched under its owner's session, attested, given K (GUID above).
mh_vm() {
	local n=$1 p=$2 key=$3 blob
	shift 3
	sevmig-owner session -q --ark "$T/$p/ark.cert" --policy "${POLICY:-0x1}" \
		-o "$T/own-$n" "$T/$p.json"
	sim_run "$n" "$p" --mem 16M --mh --policy "${POLICY:-0x1}" \
		--owner-session "$T/own-$n" --await-secret "$@"
	sevmig-sim ctl -J "$T/$n.sock" launch-measure >"$T/m-$n.json"
	blob=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["measurement"])' "$T/m-$n.json")
	sevmig-owner secret --tik "$T/own-$n/vm_tik.bin" --tek "$T/own-$n/vm_tek.bin" \
		--launch-measure-blob "$blob" --secret "$MH_GUID:$key" \
		"$T/hdr-$n.bin" "$T/pay-$n.bin"
	sevmig-sim ctl "$T/$n.sock" inject-secret "$T/hdr-$n.bin" "$T/pay-$n.bin"
}

# stderr_has TEXT: the last run's stderr contains TEXT.
stderr_has() {
	[[ "$stderr" == *"$1"* ]] && return 0
	echo "stderr does not contain: $1" >&2
	echo "stderr: $stderr" >&2
	return 1
}

# A source a and a target b (another host, another seed) holding K.
mh_pair() {
	mh_vm a pa "$T/K" "$@"
	mh_vm b pb "${TARGET_KEY:-$T/K}" --incoming --seed 7 "$@"
	save_digest
}

# a's guest saved to $T/guest.sevmig; a keeps running (a snapshot).
mh_save() {
	sevmig-export -q --keep-source -o "$T/${1:-guest.sevmig}" "$T/a.sock"
}

# The target refused and was not resumed; the saved archive still
# imports into it afterwards, and the guest arrives whole.
assert_refused_then_good() {
	assert_equal "$(sim_status b 'vmm state')" incoming
	run -0 --separate-stderr sevmig-import "$T/b.sock" <"$T/guest.sevmig"
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
}

# record_field N COLUMN: archive-mangle list's column for record N.
record_field() {
	archive-mangle list <"$T/guest.sevmig" | awk -v n="$1" -v c="$2" '$1 == "record" && $2 == n {print $c}'
}

# The first two helper records that share a chunk and are adjacent.
adjacent_private() {
	archive-mangle list <"$T/guest.sevmig" |
		awk '$1 == "record" && $4 == "mh-private" { if (p != "" && $2 == p + 1) { print p, $2; exit } p = $2 }'
}

@test "mh: a pipe round trip needs no certificates; the digests match and no private page is in the clear" {
	mh_pair
	assert_equal "$(sim_status a 'vmm state')" running
	# the target's hello names its helper; its memory is a launched guest's
	run -0 ep-client "$T/b.sock" peek flags
	assert_line "ram_zeroed=0 mh_helpers=1"
	run -0 --separate-stderr bash -c "sevmig-export '$T/a.sock' </dev/null | tee '$T/stream' | sevmig-import --report '$T/ri.json' '$T/b.sock'"
	assert_migrated
	run -1 grep -c sevmig-private-page "$T/stream"
	assert_output 0
	run -0 python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["method"], r["counts"]["end"])' "$T/ri.json"
	assert_output "mh 1"
	# the received guest runs and can move on: b is a source now
	mh_vm c pa "$T/K" --incoming --seed 9
	run -0 --separate-stderr bash -c "sevmig-export --method mh '$T/b.sock' | sevmig-import '$T/c.sock'"
	assert_equal "$(sim_digest c)" "$(cat "$T/a.digest")"
	assert_equal "$(sim_status b 'vmm state')" released
}

@test "mh: --dry-run plans the helper method with real counts, reading no certificates" {
	mh_pair
	run -0 --separate-stderr sevmig-export --dry-run "$T/a.sock" </dev/null
	assert_line -n 0 "method mh: the guest's 1 migration helper seal its pages; no target certificates (the target's helper proves itself by holding the owner's key)"
	assert_line -n 2 --regexp "^would pause it, take its context, INIT its helpers and send 4096 pages \\([0-9]+ private, [0-9]+ shared, zero or not\\) and the helpers' END$"
	run -0 --separate-stderr sevmig-export --dry-run -J "$T/a.sock"
	run -0 python3 -c 'import json,sys; r=json.loads(sys.argv[1]); c=r["counts"]; print(r["method"], c["private"] > 0, c["end"], c["records"])' "$output"
	assert_output "mh True 1 4097"
	assert_equal "$(sim_status a 'vmm state')" running
}

@test "mh: a file round trip; import --check reads it; an independent decoder opens every page with K" {
	mh_pair
	run -0 --separate-stderr sevmig-export --report "$T/re.json" -o "$T/guest.sevmig" "$T/a.sock"
	run -0 python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["method"], r["counts"]["private"])' "$T/re.json"
	read -r method private <<<"$output"
	assert_equal "$method" mh
	run -0 --separate-stderr sevmig-import --check <"$T/guest.sevmig"
	# written from issue 15's text, not lib/: HKDF + AES-256-GCM with K
	run -0 python3 "$SEVMIG_ROOT/tests/helpers/mh-decode.py" "$T/K" <"$T/guest.sevmig"
	assert_line "opened $private"
	assert_line "end count $private hash ok"
	assert_line "unmarked 0x10000" # the secret table, which holds K
	head -c 32 /dev/urandom >"$T/K2"
	run -1 python3 "$SEVMIG_ROOT/tests/helpers/mh-decode.py" "$T/K2" <"$T/guest.sevmig"
	assert_output --partial "does not open with this key"
	run -0 --separate-stderr sevmig-import "$T/b.sock" <"$T/guest.sevmig"
	assert_migrated
}

@test "mh: two-way with --exec and --ack; a -c given anyway is ignored with a warning" {
	mh_pair
	run -0 --separate-stderr sevmig-export --method mh -c "$T/pb.json" \
		--exec "sevmig-import --ack '$T/b.sock'" "$T/a.sock"
	stderr_has "warning: --method mh: the target's certificates '$T/pb.json' are not read"
	assert_migrated
	# left to auto, the same is said as what it is
	mh_vm c pa "$T/K" --seed 3
	run -0 --separate-stderr sevmig-export -c "$T/pb.json" --keep-source -o "$T/x" "$T/c.sock"
	stderr_has "warning: the guest has a migration helper, so --method auto chose mh: the target's certificates '$T/pb.json' are not read (--method psp sends through the PSP)"
}

@test "mh: a round trip through a real ssh server on 127.0.0.1" {
	load sshd
	sshd_start
	mh_pair
	run -0 --separate-stderr bash -c "sevmig-export -q '$T/a.sock' | ssh -F '$SSH_CONFIG' 127.0.0.1 '$SEVMIG_BUILD/bin/sevmig-import' '$T/b.sock'"
	assert_migrated
}

@test "mh: two helpers (--mh-vcpus 2) keep the same stream format" {
	mh_vm c pa "$T/K" --mh-vcpus 2
	mh_vm b pb "$T/K" --mh-vcpus 2 --incoming --seed 7
	sim_digest c >"$T/c.digest"
	run -0 --separate-stderr bash -c "sevmig-export '$T/c.sock' | sevmig-import '$T/b.sock'"
	assert_equal "$(sim_digest b)" "$(cat "$T/c.digest")"
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_status c 'vmm state')" released
}

@test "mh refuses: a record moved to another gpa, a replayed record, two records swapped" {
	local a b off_a
	mh_pair
	mh_save
	read -r a b < <(adjacent_private)
	# the data of two records exchanged: each names the other's gpa
	archive-mangle swap-data "$a" "$b" <"$T/guest.sevmig" >"$T/bad"
	run -3 --separate-stderr sevmig-import "$T/b.sock" <"$T/bad"
	stderr_has "DECRYPT: the migration helper refused it (-2: authentication failed)"
	assert_equal "$(sim_status b 'vmm state')" incoming
	# a record replayed in place of a later one
	archive-mangle copy-data "$a" "$b" <"$T/guest.sevmig" >"$T/bad"
	run -3 --separate-stderr sevmig-import "$T/b.sock" <"$T/bad"
	stderr_has "(-2: authentication failed)"
	assert_equal "$(sim_status b 'vmm state')" incoming
	# whole records swapped: the sequence says so before any helper does
	archive-mangle swap-records "$a" "$b" <"$T/guest.sevmig" >"$T/bad"
	run -3 --separate-stderr sevmig-import "$T/b.sock" <"$T/bad"
	stderr_has "out of sequence"
	assert_refused_then_good
}

@test "mh refuses: a record from another migration of the same guest, a bit flipped in the envelope or the page" {
	local n off off2
	mh_pair
	mh_save
	mh_save other.sevmig
	n=$(adjacent_private | cut -d' ' -f2)
	off=$(record_field "$n" 5)
	off2=$(archive-mangle list <"$T/other.sevmig" | awk -v n="$n" '$1 == "record" && $2 == n {print $5}')
	# the same page, sealed in the second snapshot's session
	cp "$T/guest.sevmig" "$T/bad"
	dd if="$T/other.sevmig" of="$T/bad" bs=1 skip="$off2" seek="$off" count=4168 conv=notrunc status=none
	run -3 --separate-stderr sevmig-import "$T/b.sock" <"$T/bad"
	stderr_has "page $(record_field "$n" 3): DECRYPT: the migration helper refused it (-2: authentication failed)"
	assert_equal "$(sim_status b 'vmm state')" incoming
	# the envelope's gpa (offset 4 + 8) and the sealed page (4 + 68 + 100)
	for k in 12 172; do
		cp "$T/guest.sevmig" "$T/bad"
		flip_byte "$T/bad" $((off + k))
		run -3 --separate-stderr sevmig-import "$T/b.sock" <"$T/bad"
		stderr_has "(-2: authentication failed)"
		assert_equal "$(sim_status b 'vmm state')" incoming
	done
	assert_refused_then_good
}

@test "mh refuses: a dropped END; the VMM adopts nothing before a valid END" {
	local last
	mh_pair
	mh_save
	last=$(archive-mangle list <"$T/guest.sevmig" | awk '$1 == "record" && $4 == "mh-end" {print $2}')
	archive-mangle --fix-trailer drop-record "$last" <"$T/guest.sevmig" >"$T/bad"
	run -3 --separate-stderr sevmig-import "$T/b.sock" <"$T/bad"
	stderr_has "records end after $last of $((last + 1)) records"
	assert_equal "$(sim_status b 'vmm state')" incoming
	# a client that claims the target and asks it to take the guest at
	# once (no pages, no END) is refused by the VMM itself
	run -0 ep-client "$T/b.sock" hello op adopt-received
	assert_output --partial "the migration helper has not accepted a valid END record"
	assert_equal "$(sim_status b 'vmm state')" incoming
	assert_refused_then_good
}

@test "mh refuses: a target given another key K; it stays waiting" {
	head -c 32 /dev/urandom >"$T/K2"
	TARGET_KEY=$T/K2 mh_pair
	mh_save
	run -3 --separate-stderr sevmig-import "$T/b.sock" <"$T/guest.sevmig"
	stderr_has "(-2: authentication failed)"
	assert_equal "$(sim_status b 'vmm state')" incoming
	# and a pipe from a live source: the source gets its guest back
	run -4 --separate-stderr sevmig-export --exec "sevmig-import --ack '$T/b.sock'" "$T/a.sock"
	stderr_has "(-2: authentication failed)"
	assert_source_intact
	assert_equal "$(sim_status b 'vmm state')" incoming
}

@test "mh: the exporter cut short or killed leaves the source whole, and it exports again" {
	local pid
	mh_pair
	# the reader goes away early: the stream fails, the source resumes
	run -4 --separate-stderr bash -c "set -o pipefail; sevmig-export '$T/a.sock' | head -c 100000 >/dev/null"
	assert_source_intact
	# killed while it holds the context and the pipe is full
	mkfifo "$T/fifo"
	sevmig-export -o - "$T/a.sock" >"$T/fifo" 2>/dev/null 3>&- &
	pid=$!
	exec 4<"$T/fifo"
	wait_status "$T/a.sock" "context held: *yes"
	kill -9 "$pid"
	exec 4<&-
	wait "$pid" || true
	wait_status "$T/a.sock" "context held: *no"
	sevmig-sim ctl "$T/a.sock" resume
	assert_source_intact
	run -0 --separate-stderr bash -c "sevmig-export '$T/a.sock' | sevmig-import '$T/b.sock'"
	assert_migrated
}

@test "mh: an importer killed mid-stream leaves the target waiting, its helper reset; the archive imports after" {
	local pid
	mh_pair
	mh_save
	mkfifo "$T/fifo"
	sevmig-import "$T/b.sock" <"$T/fifo" 2>/dev/null 3>&- &
	pid=$!
	exec 4>"$T/fifo"
	# half the pages: the helper holds a session and part of the guest
	head -c $(($(stat -c %s "$T/guest.sevmig") / 2)) "$T/guest.sevmig" >&4
	wait_status "$T/b.sock" "vmm state: *receiving"
	kill -9 "$pid"
	wait "$pid" || true
	exec 4>&-
	wait_status "$T/b.sock" "vmm state: *incoming"
	assert_refused_then_good
}

@test "mh two-way: the exporter killed after ready, once the source knew: the source releases, the target copy waits uncommitted, one copy" {
	mh_pair
	# the source VMM takes target-ready, its answer never comes back
	hostile_start ha a 'target-ready:mute'
	h_bg exp sevmig-export -q --timeout 20 --exec "sevmig-import -q --ack '$T/b.sock'" "$T/ha.sock"
	h_until 30 hostile_fired ha "target-ready mute"
	kill -9 "$exp_PID"
	h_wait "$exp_PID" 10
	# the helpers' END was out: the source VMM lets the guest go
	h_until 10 status_is a 'vmm state' released
	h_until 10 grep -q 'no "commit"' "$T/exp.err"
	assert_equal "$(sim_status b 'vmm state')" received-paused
	[[ "$(sim_status b hold)" == "uncommitted: "* ]]
	assert_one_copy
	run -5 sevmig-sim ctl "$T/b.sock" resume
	run -0 sevmig-sim ctl --force "$T/b.sock" resume
	run -0 sevmig-sim ctl "$T/b.sock" check
	assert_equal "$(sim_digest b)" "$(cat "$T/a.digest")"
}

@test "mh two-way: the exporter killed after ready, before the source knew: the source keeps the guest, the target copy waits on hold" {
	mh_pair
	hostile_start ha a '>target-ready:mute'
	h_bg exp sevmig-export -q --timeout 20 --exec "sevmig-import -q --ack '$T/b.sock'" "$T/ha.sock"
	h_until 30 hostile_fired ha ">target-ready mute"
	kill -9 "$exp_PID"
	h_wait "$exp_PID" 10
	h_until 10 status_is a 'context held' no
	h_until 10 grep -q 'no "commit"' "$T/exp.err"
	copies
	assert_equal "$COPIES $RUNNABLE $HELD" "2 1 1"
	run -5 sevmig-sim ctl "$T/b.sock" resume
	# the source's helper session was reset: it resumes and exports again
	run -0 sevmig-sim ctl "$T/a.sock" resume
	run -0 sevmig-sim ctl "$T/b.sock" discard
	assert_equal "$(sim_status b 'vmm state')" incoming
	assert_one_copy
	run -0 --separate-stderr bash -c "sevmig-export '$T/a.sock' | sevmig-import '$T/b.sock'"
	assert_migrated
}

@test "mh: what it cannot move, and what NOSEND means for it" {
	local st
	# an SEV-ES guest: the helper cannot reach its VMSAs
	sim_run e pa --mem 16M --es
	run -6 --separate-stderr sevmig-export --method mh -o "$T/x" "$T/e.sock"
	stderr_has "is an SEV-ES guest: a migration helper cannot reach its VMSAs (export it with --method psp)"
	run -6 --separate-stderr sevmig-sim run --platform "$T/pa" --socket "$T/f.sock" --mem 16M --es --mh
	stderr_has "a migration helper cannot reach an SEV-ES guest's VMSAs"
	# a guest without a helper
	sim_run g pa --mem 16M
	run -6 --separate-stderr sevmig-export --method mh -o "$T/x" "$T/g.sock"
	stderr_has "has no migration helper (--method mh): export it with --method psp"
	assert_equal "$(sim_status g 'vmm state')" running
	# too little memory for the mailboxes
	run -2 --separate-stderr sevmig-sim run --platform "$T/pa" --socket "$T/h.sock" --mem 8M --mh
	stderr_has "the guest needs at least 9 MiB below 4 GiB"
	# NOSEND (policy bit 3) forbids SEND_*, which the helper does not use
	POLICY=0x9 mh_pair
	run -5 --separate-stderr sevmig-export --method psp -c "$T/pb.json" --ark "$T/pb/ark.cert" -o "$T/x" "$T/a.sock"
	stderr_has "forbids sending (NOSEND)"
	run -0 --separate-stderr bash -c "sevmig-export '$T/a.sock' | sevmig-import '$T/b.sock'"
	assert_migrated
	# a target without a helper cannot take a helper's stream
	mh_vm c pa "$T/K" --seed 3
	sim_run d pb --incoming --mem 16M
	st=$(sevmig-export -q --keep-source -o "$T/y" "$T/c.sock"; echo $?)
	assert_equal "$st" 0
	run -6 --separate-stderr sevmig-import "$T/d.sock" <"$T/y"
	stderr_has "cannot receive through a migration helper (start it with sevmig-sim run --incoming --mh)"
	assert_equal "$(sim_status d 'vmm state')" incoming
	# and a PSP stream into a target that waits in its helpers
	sim_run p pa --mem 16M --seed 5
	sevmig-export -q -c "$T/pb.json" --ark "$T/pb/ark.cert" --keep-source -o "$T/z" "$T/p.sock"
	mh_vm q pb "$T/K" --incoming --seed 6
	run -6 --separate-stderr sevmig-import "$T/q.sock" <"$T/z"
	stderr_has "waits in its migration helpers for a helper's stream (sevmig-export --method mh); this archive was sealed by the PSP"
	assert_equal "$(sim_status q 'vmm state')" incoming
}
