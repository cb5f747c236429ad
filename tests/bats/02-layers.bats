#!/usr/bin/env bats
# make check-layers (scripts/check-layers.py): the tree keeps the rules of
# docs/architecture.md, and each kind of breach is caught.  The breaches
# are made in a copy of lib/ and cmd/ under the test's directory.

load helpers
bats_require_minimum_version 1.8.0

setup() {
	mkdir -p "$BATS_TEST_TMPDIR/tree"
	cp -r "$SEVMIG_ROOT/lib" "$SEVMIG_ROOT/cmd" "$BATS_TEST_TMPDIR/tree/"
	TREE=$BATS_TEST_TMPDIR/tree
}

layers() {
	python3 "$SEVMIG_ROOT/scripts/check-layers.py" "$TREE"
}

@test "layers: the tree keeps every rule" {
	run -0 layers
	assert_output --regexp '^check-layers: ok \([0-9]+ files, [0-9]+ includes\)$'
}

@test "layers: an engine that includes a firmware backend fails" {
	sed -i 's|#include "fw/fw.h"|#include "fw/fw.h"\n#include "fw/fw-kvm.h"|' "$TREE/lib/engine/export.c"
	run -1 layers
	assert_output --regexp '^check-layers: lib/engine/export.c:[0-9]+: an engine includes the backend header fw/fw-kvm.h: use fw/fw.h$'
}

@test "layers: an include against the direction, or between siblings, fails" {
	# certs must not know the engines; fw and archive are siblings
	sed -i '0,/#include "base\/util.h"/s||#include "base/util.h"\n#include "engine/export.h"|' "$TREE/lib/certs/sev-cert.c"
	sed -i '0,/#include "base\/util.h"/s||#include "base/util.h"\n#include "archive/archive.h"|' "$TREE/lib/fw/fw.c"
	run -1 layers
	assert_line --regexp '^check-layers: lib/certs/sev-cert.c:[0-9]+: certs includes engine/export.h \(engine\): against the allowed direction$'
	assert_line --regexp '^check-layers: lib/fw/fw.c:[0-9]+: fw includes archive/archive.h \(archive\): against the allowed direction$'
}

@test "layers: a platform name compared outside its parser fails" {
	printf '%s\n' 'static int is_kvm(const char *p) { return !strcmp(p, "kvm"); }' >>"$TREE/lib/engine/import.c"
	run -1 layers
	assert_output --regexp '^check-layers: lib/engine/import.c:[0-9]+: compares the platform name "kvm": use enum sm_platform \(base/platform.h\)$'
}

@test "layers: a file directly in lib/ and an include not written from lib/ fail" {
	echo 'int x;' >"$TREE/lib/stray.c"
	sed -i 's|#include "fw/fw.h"|#include "fw.h"|' "$TREE/lib/fw/fw-open.c"
	run -1 layers
	assert_line "check-layers: lib/stray.c: a file directly in lib/; put it in its layer's folder"
	assert_line --regexp '^check-layers: lib/fw/fw-open.c:[0-9]+: #include "fw.h" is not a header under lib/ \(write it from lib/, as "fw/fw.h"\)$'
}

@test "layers: a module's internal header included from outside its folder fails" {
	sed -i 's|#include "fw/fw.h"|#include "fw/fw.h"\n#include "certs/cert-internal.h"|' "$TREE/lib/fw/fw-open.c"
	run -1 layers
	assert_output --regexp '^check-layers: lib/fw/fw-open.c:[0-9]+: certs/cert-internal.h is private to lib/certs/$'
}
