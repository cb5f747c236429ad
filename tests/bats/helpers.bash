# Shared helpers for the bats tests: built binaries on PATH, bats-support and
# bats-assert loaded, paths to the real AMD certificates and fixtures.
# shellcheck shell=bash

bats_load_library bats-support
bats_load_library bats-assert

SEVMIG_ROOT=${SEVMIG_ROOT:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
SEVMIG_BUILD=${SEVMIG_BUILD:-$SEVMIG_ROOT/build/default}
AMD_CERTS=${SEVMIG_AMD_CERTS:-$SEVMIG_ROOT/../shared/testdata/amd-certs}
FIXTURES=$SEVMIG_ROOT/tests/fixtures
PATH=$SEVMIG_BUILD/bin:$SEVMIG_BUILD/tests/helpers:$PATH
export PATH SEVMIG_ROOT SEVMIG_BUILD AMD_CERTS FIXTURES
# Keep every test away from the user's cache and from the real KDS.
export XDG_CACHE_HOME=$BATS_TEST_TMPDIR/cache
# ... and each test's imports away from the host's replay journal.
export SEVMIG_STATE_DIR=$BATS_TEST_TMPDIR/state
export SEVMIG_KDS_URL=http://127.0.0.1:9/
VIRTEE=$AMD_CERTS/virtee-sev

# Skip (visibly) when the real AMD test certificates are not beside us.
need_amd_certs() {
	[ -d "$AMD_CERTS/virtee-sev" ] ||
		skip "AMD test certificates not found at '$AMD_CERTS'"
}

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Wait up to $2 seconds (default 10) for a unix socket or file to appear.
wait_for_path() {
	local i n=$((${2:-10} * 10))
	for ((i = 0; i < n; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	echo "timed out waiting for '$1'" >&2
	return 1
}

# flip_byte FILE OFFSET: change one byte for sure (xor 0x5a); writing a
# constant leaves it unchanged when it already held that value.
flip_byte() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	[ -n "$b" ] || { echo "flip_byte: offset $2 is beyond '$1'" >&2; return 1; }
	# shellcheck disable=SC2059
	printf "\\x$(printf %02x $((b ^ 0x5a)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
