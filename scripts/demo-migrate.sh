# Sourced by scripts/demo.sh: the migration part of the demo.  Uses $work,
# $pids and step() from there; host-a and host-b exist already.
# shellcheck shell=bash

step "4. A guest on host A: 64 MiB, 10% of its pages shared with the host"
sevmig-sim run --platform "$work/host-a" --socket "$work/a.sock" \
	--mem 64M --shared 10 --seed 42 &
pids+=($!)
sevmig-sim run --platform "$work/host-b" --socket "$work/b.sock" \
	--mem 64M --incoming &
pids+=($!)
for s in a b; do
	for _ in $(seq 100); do [ -S "$work/$s.sock" ] && break; sleep 0.1; done
done
sevmig-sim ctl "$work/a.sock" status
src_digest=$(sevmig-sim ctl "$work/a.sock" digest)
echo "guest-visible memory digest on A: $src_digest"

step "5. Migrate: sevmig-export -c b.json a.sock | sevmig-import b.sock"
sevmig-export -c "$work/b.json" --ark "$work/host-b/ark.cert" --progress \
	--report "$work/export.json" "$work/a.sock" |
	sevmig-import --progress --report "$work/import.json" "$work/b.sock"

step "6. What moved and what was verified"
python3 - "$work/export.json" "$work/import.json" <<'PY'
import json, sys
ex = json.load(open(sys.argv[1])); im = json.load(open(sys.argv[2]))
c = ex["counts"]
print(f"moved {ex['memory_size'] >> 20} MiB of guest memory in {ex['seconds']:.2f} s"
      f" ({ex['bytes_per_second'] / 2**20:.0f} MiB/s of archive):")
print(f"  {c['private']} private pages, only as firmware packets (SEND_UPDATE_DATA)")
print(f"  {c['shared']} shared pages, {c['zero']} zero pages, {c['vmsa']} VMSAs")
print(f"  device state: {ex['device_state_size']} bytes")
print(f"verified: the target's chain before SEND_START; on import the manifest,")
print(f"  every packet MAC (RECEIVE_UPDATE_DATA), every record's address, and the")
print(f"  trailer ({im['digest']}) before RECEIVE_FINISH")
print(f"source PDH {ex['fingerprints']['source_pdh'][:16]}...  "
      f"target PDH {ex['fingerprints']['target_pdh'][:16]}...")
print(f"export stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in ex["stages"].items()))
PY
echo
echo "\$ sevmig-sim ctl b.sock check      (the guest reads every page back on B)"
sevmig-sim ctl "$work/b.sock" check
dst_digest=$(sevmig-sim ctl "$work/b.sock" digest)
echo "guest-visible memory digest on B: $dst_digest"
if [ "$src_digest" != "$dst_digest" ]; then
	echo "digests differ: the migration lost or changed data" >&2
	exit 1
fi
echo "digests equal: every page arrived, at its address"
echo "source now: $(sevmig-sim ctl "$work/a.sock" status | awk -F': *' '/vmm state/ {print $2}')" \
	"(the guest lives on B only)"
echo "target now: $(sevmig-sim ctl "$work/b.sock" status | awk -F': *' '/guest state/ {print $2}')"
sevmig-sim ctl "$work/a.sock" quit >/dev/null 2>&1 || true
sevmig-sim ctl "$work/b.sock" quit >/dev/null 2>&1 || true
