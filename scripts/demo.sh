#!/usr/bin/env bash
# make demo: a full tour on the simulated host, no SEV hardware needed.
#   1. verify AMD's real certificate chains with the built-in roots
#   2. create two simulated SEV hosts that share one simulated AMD root
#   3. fetch the target's chain as a bundle and verify it
#   4. migrate a guest from host A to host B through a pipe, then check it
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build/default}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
export PATH=$BUILD/bin:$PATH
amd=${SEVMIG_AMD_CERTS:-$root/../shared/testdata/amd-certs}
work=$(mktemp -d "${TMPDIR:-/tmp}/sevmig-demo.XXXXXX")
# the importer's replay journal goes with the demo, not into /var/lib/sevmig
export SEVMIG_STATE_DIR=$work/state
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${SEVMIG_DEMO_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. AMD's real chains verify with the built-in, pinned roots"
if [ -d "$amd/virtee-sev" ]; then
	for p in naples rome milan; do
		echo "\$ sevmig-certs verify $p chain"
		sevmig-certs verify "$amd/virtee-sev/tests-$p"
	done
	echo "\$ sevmig-certs verify --product rome <naples chain>   (must fail)"
	if sevmig-certs verify --product rome "$amd/virtee-sev/tests-naples" >/dev/null 2>&1; then
		echo "unexpected: a Naples chain verified as Rome" >&2
		exit 1
	fi
	echo "refused, as it must be"
else
	echo "(AMD test certificates not found at '$amd'; skipping this step)"
fi

step "2. Two simulated SEV hosts sharing one simulated AMD root"
sevmig-sim platform init --ark-bits 2048 "$work/host-a"
sevmig-sim platform init --ark-from "$work/host-a" "$work/host-b"
ls "$work/host-b"

step "3. Host B's chain as a bundle, verified"
sevmig-certs fetch "sim:$work/host-b" -o "$work/b.json"
sevmig-certs verify --ark "$work/host-b/ark.cert" "$work/b.json"
echo "\$ sevmig-certs verify b.json   (AMD's real roots must reject a simulated chain)"
if sevmig-certs verify "$work/b.json" >/dev/null 2>&1; then
	echo "unexpected: AMD's roots accepted a simulated chain" >&2
	exit 1
fi
echo "refused, as it must be"

if [ -x "$BUILD/bin/sevmig-export" ] && [ -x "$BUILD/bin/sevmig-import" ] &&
	[ -f "$root/scripts/demo-migrate.sh" ]; then
	# shellcheck source=scripts/demo-migrate.sh
	. "$root/scripts/demo-migrate.sh"
fi
step "done"
