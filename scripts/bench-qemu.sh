# Sourced by scripts/bench-pipeline.sh: QEMU's own plain migration of the
# same RAM size, the baselines of issue 13, measured in the same rounds as
# the sevmig figures.
#
# Two qemu-system-x86_64 that never run a guest CPU (-S, -nodefaults, no
# disk): the source's RAM is a memory-backend-file (share=on) in the work
# dir, filled with random bytes once per bench; the target's is a file of
# its own next to it, allocated at start (prealloc=on), as sevmig-sim's
# incoming VMM allocates and writes its RAM at start.  KVM when /dev/kvm
# is usable, TCG otherwise (the CPU never runs, so it hardly matters).
#   bq_migrate RUN  source -> incoming QEMU over a unix socket
#   bq_save RUN     source -> exec:dd of=FILE conv=fsync, FILE in the work
#                   dir, where sevmig-export -o writes its archive
# Each writes $bp_work/r/qemu-{mig,save}-RUN: "wall total-time bytes
# accel" (seconds from the migrate command until both sides completed,
# or the file is fsynced; QEMU's own total-time in seconds; bytes sent;
# kvm or tcg, as the source's query-kvm says).
# Anything wrong with QEMU (missing, does not start, migration fails)
# sets bq_skip to the reason and skips the rest of the QEMU baselines:
# the bench goes on without them.  Uses $bp_work, $bp_mem, bp_bytes and
# bq_pids (killed by bp_cleanup) from bench-pipeline.sh.
#
# Environment:
#   BENCH_QEMU      the QEMU binary (default qemu-system-x86_64)
# shellcheck shell=bash
# shellcheck disable=SC2154 # bp_*: from bench-pipeline.sh

bq_qemu=${BENCH_QEMU:-qemu-system-x86_64}
bq_skip=
bq_what=
bq_timeout=120
bq_accel=()

bq_fail() {
	[ -n "$bq_skip" ] || bq_skip=$*
	bq_stop
	return 1
}

# bq_setup: find QEMU, fill the source RAM file.  Sets bq_skip if it
# cannot run.
bq_setup() {
	local bytes ver accel
	bq_bytes=$(bp_bytes "$bp_mem")
	bq_ram=$bp_work/qemu-ram.src
	if ! command -v "$bq_qemu" >/dev/null 2>&1; then
		bq_skip="$bq_qemu not found"
		return 0
	fi
	ver=$("$bq_qemu" --version 2>/dev/null | awk 'NR == 1 { print $4 }') ||
		ver=unknown
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		# QEMU falls back to the next -accel if KVM does not open.
		bq_accel=(-accel kvm -accel tcg)
		accel="KVM, TCG if KVM fails"
	else
		bq_accel=(-accel tcg)
		accel="TCG (no usable /dev/kvm)"
	fi
	bytes=$bq_bytes
	if ! head -c "$bytes" /dev/urandom >"$bq_ram" || ! sync "$bq_ram"; then
		bq_skip="cannot write $bytes random bytes to $bq_ram"
		return 0
	fi
	bq_what="QEMU $ver, q35, $accel, guest CPU never started (-S);"
	bq_what+=$'\n'"  RAM: memory-backend-file share=on, random bytes, in the work dir"
	bq_what+=" ($(stat -f -c %T "$bp_work")), the saved file next to -o FILE's"
}

# bq_start NAME ARGS...: start a QEMU with QMP on $bp_work/NAME.qmp and
# its RAM backend 'mem' given in ARGS; wait until QMP is served.
bq_start() {
	local name=$1 qmp=$bp_work/$1.qmp
	shift
	rm -f "$qmp"
	"$bq_qemu" -machine q35,memory-backend=mem "${bq_accel[@]}" \
		-m "${bq_bytes}B" -nodefaults -display none -S \
		-qmp "unix:$qmp,server=on,wait=off" "$@" \
		</dev/null >/dev/null 2>"$bp_work/qemu-$name.err" &
	bq_pids+=($!)
	for _ in $(seq $((bq_timeout * 10))); do
		[ -S "$qmp" ] && return 0
		if ! kill -0 "${bq_pids[-1]}" 2>/dev/null; then
			bq_fail "$bq_qemu did not start: $(tail -1 "$bp_work/qemu-$name.err")"
			return 1
		fi
		sleep 0.1
	done
	bq_fail "$bq_qemu did not serve $qmp within $bq_timeout s"
}

# Stop every QEMU started so far and wait for them.
bq_stop() {
	local p
	for p in "${bq_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${bq_pids[@]}"; do wait "$p" 2>/dev/null || true; done
	bq_pids=()
}

# bq_migrate RUN: source -> incoming QEMU over a unix socket.
bq_migrate() {
	local run=$1 sock=$bp_work/qemu-mig.sock dst=$bp_work/qemu-ram.dst
	[ -z "$bq_skip" ] || return 0
	rm -f "$sock" "$dst"
	bq_start qsrc -object "memory-backend-file,id=mem,size=${bq_bytes}B,mem-path=$bq_ram,share=on" ||
		return 0
	bq_start qdst -object "memory-backend-file,id=mem,size=${bq_bytes}B,mem-path=$dst,share=on,prealloc=on" \
		-incoming "unix:$sock" || return 0
	if ! bq_qmp migrate "$bp_work/qsrc.qmp" "$bp_work/qdst.qmp" \
		"unix:$sock" "" >"$bp_work/r/qemu-mig-$run" 2>"$bp_work/qemu-qmp.err"; then
		bq_fail "migration failed: $(tail -1 "$bp_work/qemu-qmp.err")"
		return 0
	fi
	# The first run checks that the target got every byte of the RAM.
	if [ "$run" = 1 ] && ! cmp -s "$bq_ram" "$dst"; then
		bq_fail "the target's RAM differs from the source's"
		return 0
	fi
	bq_stop
	rm -f "$dst"
}

# bq_save RUN: source -> exec:dd of=FILE conv=fsync, FILE in the work dir.
bq_save() {
	local run=$1 f=$bp_work/qemu-save.bin size
	[ -z "$bq_skip" ] || return 0
	rm -f "$f" "$f.done"
	bq_start qsrc -object "memory-backend-file,id=mem,size=${bq_bytes}B,mem-path=$bq_ram,share=on" ||
		return 0
	# dd fsyncs before it exits; the marker says it did.
	if ! bq_qmp save "$bp_work/qsrc.qmp" "" \
		"exec:dd of='$f' bs=1M conv=fsync status=none && : >'$f.done'" \
		"$f.done" >"$bp_work/r/qemu-save-$run" 2>"$bp_work/qemu-qmp.err"; then
		bq_fail "save failed: $(tail -1 "$bp_work/qemu-qmp.err")"
		return 0
	fi
	size=$(stat -c %s "$f" 2>/dev/null) || size=0
	if [ "$size" -lt "$bq_bytes" ]; then
		bq_fail "the saved file has $size bytes, less than the RAM"
		return 0
	fi
	bq_stop
	rm -f "$f" "$f.done"
}

# bq_qmp MODE SRC-QMP DST-QMP URI MARKER: raise max-bandwidth and
# downtime-limit (one pass: the guest never runs, nothing is dirtied),
# migrate, wait until the source and the target (migrate) or the dd
# marker (save) say it is done.  Prints "wall total-time bytes accel".
bq_qmp() {
	python3 - "$bq_timeout" "$@" <<'PY'
import json, os, select, socket, sys, time

timeout, mode, src_path, dst_path, uri, marker = sys.argv[1:7]
deadline = time.monotonic() + float(timeout)

class Qmp:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(float(timeout))
        self.s.connect(path)
        self.buf = b""
        self.status = None
        self.when = None
        self.asked = False
        self.line()  # greeting
        self.cmd("qmp_capabilities")
        self.cmd("migrate-set-capabilities", capabilities=[
            {"capability": "events", "state": True}])

    def line(self):
        while b"\n" not in self.buf:
            if time.monotonic() > deadline:
                sys.exit(f"no answer from QEMU within {timeout} s")
            got = self.s.recv(65536)
            if not got:
                sys.exit("QEMU closed its QMP socket")
            self.buf += got
        one, self.buf = self.buf.split(b"\n", 1)
        msg = json.loads(one)
        if msg.get("event") == "MIGRATION":
            self.note(msg["data"]["status"])
        return msg

    def note(self, status):
        if self.status not in ("completed", "failed"):
            self.status = status
            self.when = time.monotonic()

    def send(self, cmd, **args):
        self.s.sendall(json.dumps({"execute": cmd, "arguments": args})
                       .encode() + b"\n")

    def cmd(self, cmd, **args):
        self.send(cmd, **args)
        while True:
            msg = self.line()
            if "error" in msg:
                sys.exit(f"{cmd}: {msg['error'].get('desc')}")
            if "return" in msg:
                return msg["return"]

    # One message (an event or the answer of a query-migrate sent by
    # poll); a status from either.
    def pump(self):
        msg = self.line()
        if "return" in msg:
            self.asked = False
            if isinstance(msg["return"], dict) and "status" in msg["return"]:
                self.note(msg["return"]["status"])
        elif "error" in msg:
            sys.exit(f"query-migrate: {msg['error'].get('desc')}")

    def poll(self):
        if not self.asked:
            self.asked = True
            self.send("query-migrate")

    def done(self):
        if self.status == "failed":
            sys.exit("QEMU reports the migration failed")
        return self.status == "completed"

try:
    src = Qmp(src_path)
    dst = Qmp(dst_path) if dst_path else None
except OSError as e:
    sys.exit(f"QMP: {e}")
accel = "kvm" if src.cmd("query-kvm").get("enabled") else "tcg"
src.cmd("migrate-set-parameters", **{"max-bandwidth": 100 << 30,
                                     "downtime-limit": 2000000})
t0 = time.monotonic()
src.cmd("migrate", uri=uri)
sides = [q for q in (src, dst) if q]
t_marker = None
while True:
    if all(q.done() for q in sides) and \
            (not marker or t_marker is not None):
        break
    if time.monotonic() > deadline:
        sys.exit(f"not completed within {timeout} s (source: {src.status}"
                 + (f", target: {dst.status})" if dst else ")"))
    # Events wake us; a query-migrate every 50 ms in case one is missed;
    # the dd marker is looked for every 2 ms once the source completed.
    wait = 0.002 if marker and src.done() else 0.05
    ready, _, _ = select.select(
        [q.s for q in sides if not q.done() or q.buf], [], [], wait)
    for q in sides:
        if b"\n" in q.buf or q.s in ready:
            q.pump()
            while b"\n" in q.buf:
                q.pump()
    if not ready:
        for q in sides:
            if not q.done():
                q.poll()
    if marker and t_marker is None and os.path.exists(marker):
        t_marker = time.monotonic()
t1 = max([q.when for q in sides] + [t_marker or 0])
while src.asked:
    src.pump()
# total-time is set just after the status turns completed.
for _ in range(100):
    info = src.cmd("query-migrate")
    if info.get("total-time"):
        break
    time.sleep(0.01)
print(f"{t1 - t0:.6f} {info.get('total-time', 0) / 1000:.6f} "
      f"{info.get('ram', {}).get('transferred', 0)} {accel}")
PY
}
