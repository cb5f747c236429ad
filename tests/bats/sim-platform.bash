# Helpers for tests that need simulated hosts (sevmig-sim platform init).
# shellcheck shell=bash
#
# Making a 4096-bit simulated ARK and ASK takes seconds, so tests share one
# simulated AMD per bats file: sim_platform makes it on first use (2048-bit)
# and creates every host with --ark-from it.  Hosts made this way trust
# each other's chains, as hosts with real AMD parts do.

# The shared simulated AMD of this bats file (a platform directory).
sim_amd() {
	local amd=$BATS_FILE_TMPDIR/sim-amd
	if [ ! -f "$amd/platform.json" ]; then
		sevmig-sim platform init --ark-bits 2048 "$amd" >&2 || return 1
	fi
	printf '%s\n' "$amd"
}

# sim_platform DIR [OPTION...]: a simulated host in DIR sharing the AMD.
sim_platform() {
	local dir=$1 amd
	shift
	amd=$(sim_amd) || return 1
	sevmig-sim platform init --ark-from "$amd" "$@" "$dir"
}
