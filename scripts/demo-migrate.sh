# shellcheck shell=bash
# Sourced by scripts/demo.sh (make demo) once sevmig-export and
# sevmig-import are built: steps 4 and 5, a one-way pipe migration and a
# two-way commit, on the hosts and bundle the earlier steps made
# ($work/host-a, $work/host-b, $work/b.json).  Uses step() and pids from
# demo.sh.

demo_vmm() {
	sevmig-sim run --platform "$1" --socket "$2" "${@:3}" \
		>"$2.log" 2>&1 &
	pids+=("$!")
	for _ in $(seq 50); do [ -S "$2" ] && return 0; sleep 0.1; done
	echo "VMM on '$2' did not start" >&2
	return 1
}

demo_report() {
	python3 - "$@" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
i = json.load(open(sys.argv[2]))
c = e["counts"]
mib = e["bytes"] / 1048576
print(f"moved:    {c['records']} records ({c['private']} private packets, "
      f"{c['shared']} shared pages, {c['zero']} zero pages, {c['vmsa']} VMSAs)")
print(f"          {mib:.1f} MiB in {e['seconds']:.2f} s "
      f"({e['bytes_per_second'] / 1048576:.1f} MiB/s); device state "
      f"{e['device_state_size']} bytes")
s = e["stages"]
print(f"stages:   firmware {s['firmware']:.2f} s, archive {s['archive']:.2f} s, "
      f"I/O wait {s['io_wait']:.2f} s, VMM {s['vmm']:.2f} s")
print(f"verified: target chain PDH {e['fingerprints']['target_pdh'][:16]}... "
      f"up to the ARK, before SEND_START (policy {e['policy']})")
print(f"          every record's place in the sequence, every packet's MAC "
      f"(target firmware), trailer {i['digest'][:23]}...")
print(f"result:   source {e['source']}, target {i['target']}")
PY
}

step "4. Migrate a guest from host A to host B through a pipe"
demo_vmm "$work/host-a" "$work/a.sock" --mem 64M --vcpus 2 --es --policy 0x25
demo_vmm "$work/host-b" "$work/b.sock" --mem 64M --vcpus 2 --es --incoming
sevmig-sim ctl "$work/a.sock" status
src=$(sevmig-sim ctl "$work/a.sock" digest)
echo "\$ sevmig-export -c b.json --ark host-b/ark.cert a.sock | sevmig-import b.sock"
sevmig-export -c "$work/b.json" --ark "$work/host-b/ark.cert" --progress \
	--report "$work/export.json" "$work/a.sock" |
	sevmig-import --no-progress --report "$work/import.json" "$work/b.sock"
echo "\$ sevmig-sim ctl b.sock check"
sevmig-sim ctl "$work/b.sock" check
dst=$(sevmig-sim ctl "$work/b.sock" digest)
[ "$src" = "$dst" ] || { echo "digests differ: $src $dst" >&2; exit 1; }
echo "guest digest on B equals A's before the export: $dst"
demo_report "$work/export.json" "$work/import.json"

step "5. Back from B to A, committing only after A has everything"
sevmig-certs fetch "sim:$work/host-a" -o "$work/a.json"
demo_vmm "$work/host-a" "$work/a2.sock" --mem 64M --vcpus 2 --es --incoming
echo "\$ sevmig-export -c a.json --exec 'sevmig-import --ack a2.sock' b.sock"
sevmig-export -c "$work/a.json" --ark "$work/host-a/ark.cert" --progress \
	--exec "sevmig-import --ack $work/a2.sock" \
	--report "$work/export2.json" "$work/b.sock"
sevmig-sim ctl "$work/a2.sock" check
[ "$(sevmig-sim ctl "$work/a2.sock" digest)" = "$src" ]
echo "back on A, same digest; B: $(sevmig-sim ctl "$work/b.sock" status | sed -n 's/^vmm state: *//p')"
for s in a b a2; do sevmig-sim ctl "$work/$s.sock" quit >/dev/null 2>&1 || true; done
