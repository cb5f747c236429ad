# Helpers for the never-lose, never-clone tests (tests/bats/79-*.bats):
# feeding an importer a stream in parts, holding a pipeline at a point,
# and counting the copies of a guest.  Load after helpers, archive and
# hardening.
#
#   feed_start           a FIFO $T/feed.fifo held open on fd 5, so a
#                        reader of it never sees its end before feed_end
#   feed FILE FROM [N]   write N bytes of FILE (all the rest without N),
#                        starting at byte FROM, into the FIFO
#   feed_end             close it: the reader sees the end
#   gate_script          $T/gate.sh: passes its first 64 KiB through, then
#                        waits (bounded, 60 s) until $T/go exists and
#                        passes the rest: a pipeline held after the
#                        manifest
#   copies               count the VMMs a, b, c that hold an intact copy
#                        of the guest whose digest is in $T/a.digest:
#                        sets COPIES (all), RUNNABLE (resume needs no
#                        force, or running) and HELD (on hold)
#   assert_one_copy      exactly one intact copy, and no more than one
#                        that could run without an operator's force
# shellcheck shell=bash

feed_start() {
	rm -f "$T/feed.fifo"
	mkfifo "$T/feed.fifo"
	exec 5<>"$T/feed.fifo"
}

feed() {
	if [ -n "${3:-}" ]; then
		tail -c +$(($2 + 1)) "$1" | head -c "$3" >&5
	else
		tail -c +$(($2 + 1)) "$1" >&5
	fi
}

feed_end() {
	exec 5>&-
}

gate_script() {
	cat >"$T/gate.sh" <<-EOS
		#!/bin/bash
		head -c 65536
		for ((i = 0; i < 600; i++)); do
			[ -e "$T/go" ] && exec cat
			sleep 0.1
		done
		exit 1
	EOS
}

# One VMM's copy: "runnable", "held", or "" (none, or not intact).
copy_of() {
	local s=$T/$1.sock st hold
	[ -S "$s" ] || return 0
	st=$(sim_status "$1" 'vmm state' 2>/dev/null) || return 0
	case $st in
	running | paused | received-paused) ;;
	*) return 0 ;;
	esac
	[ "$(sim_status "$1" 'guest state')" = RUNNING ] || return 0
	sevmig-sim ctl "$s" check >/dev/null 2>&1 || return 0
	[ "$(sim_digest "$1")" = "$(cat "$T/a.digest")" ] || return 0
	hold=$(sim_status "$1" hold)
	if [ "$hold" = none ]; then
		echo runnable
	else
		echo held
	fi
}

copies() {
	local n c
	COPIES=0 RUNNABLE=0 HELD=0
	for n in a b c; do
		c=$(copy_of "$n")
		case $c in
		runnable) COPIES=$((COPIES + 1)) RUNNABLE=$((RUNNABLE + 1)) ;;
		held) COPIES=$((COPIES + 1)) HELD=$((HELD + 1)) ;;
		esac
	done
}

assert_one_copy() {
	copies
	[ "$COPIES" -eq 1 ] && [ "$RUNNABLE" -le 1 ] || {
		echo "copies $COPIES, runnable $RUNNABLE, held $HELD" >&2
		for n in a b c; do
			[ -S "$T/$n.sock" ] && sevmig-sim ctl "$T/$n.sock" status >&2
		done
		return 1
	}
}
