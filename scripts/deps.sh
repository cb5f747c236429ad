#!/bin/sh
# Install the Debian packages the build and the tests need, and only those
# that are missing.  Runs non-interactively as root; anyone else gets the
# exact apt-get line to run.  SEVMIG_SKIP_DEPS=1 skips the check.
set -eu

[ "${SEVMIG_SKIP_DEPS:-}" = 1 ] && exit 0

# build: compiler, pkg-config and the five libraries
# tests: cmocka, bats (+ support/assert/file), an ssh server and client,
#        QEMU for the QMP error path, python3 for the loopback KDS server,
#        python3-cryptography for the independent migration-helper decoder,
#        mandoc to lint man pages, valgrind, clang for libFuzzer, util-linux
#        and e2fsprogs for the disk-full test, procps for ps/pkill,
#        strace for the exporter's fsync-before-stream-written test,
#        bsdutils for script(1), the terminal of the progress tests,
#        clang-format-14 for make check-format
PKGS="gcc make pkg-config libssl-dev libcurl4-openssl-dev libjansson-dev
libarchive-dev libxxhash-dev libcmocka-dev bats bats-support bats-assert bats-file
openssh-server openssh-client qemu-system-x86 python3 python3-cryptography
mandoc valgrind
clang libclang-rt-14-dev clang-format-14 util-linux bsdutils procps socat strace"

missing=
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "sevmig: installing missing packages:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "sevmig: not root; run: sudo apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
