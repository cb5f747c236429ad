// SPDX-License-Identifier: MIT
/* Unit tests for lib/engine/replay.c: the importing host's replay journal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/replay.h"
#include "base/util.h"

static char dir[64];
static const uint8_t id1[SM_REPLAY_ID_LEN] = { 1 },
		     id2[SM_REPLAY_ID_LEN] = { 2 };

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-replay.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct sm_replay *begin(const uint8_t *id, int allow, int want_rc,
			       struct sm_err *e)
{
	struct sm_replay *r = NULL;
	char warn[512];

	assert_int_equal(sm_replay_begin(dir, id, "vm.sock", allow, &r, warn,
					 sizeof(warn), e),
			 want_rc);
	assert_string_equal(warn, "");
	if (want_rc == 0)
		assert_non_null(r);
	return r;
}

/* Imported once: refused after, unless allowed; a failure counts not. */
static void test_imported_once(void **state)
{
	struct sm_replay *r;
	struct sm_err e;

	(void)state;
	/* an import that fails leaves nothing behind */
	r = begin(id1, 0, 0, &e);
	sm_replay_end(r);
	r = begin(id1, 0, 0, &e);
	assert_int_equal(sm_replay_commit(r, &e), 0);
	sm_replay_end(r);
	begin(id1, 0, -1, &e);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_non_null(strstr(e.msg, "imported on this host before"));
	assert_non_null(strstr(e.msg, "into VM 'vm.sock'"));
	/* another archive is another entry */
	r = begin(id2, 0, 0, &e);
	sm_replay_end(r);
	/* allowed, but failing: the earlier record stays */
	r = begin(id1, 1, 0, &e);
	sm_replay_end(r);
	begin(id1, 0, -1, &e);
	/* committed, then undone (the copy was discarded): as before */
	r = begin(id1, 1, 0, &e);
	assert_int_equal(sm_replay_commit(r, &e), 0);
	sm_replay_undo(r);
	sm_replay_end(r);
	begin(id1, 0, -1, &e);
}

/* While one import holds the entry a second is refused; a dead one's is not. */
static void test_concurrent_and_stale(void **state)
{
	char path[256], hex[2 * SM_REPLAY_ID_LEN + 1];
	struct sm_replay *r;
	struct sm_err e;
	FILE *f;

	(void)state;
	r = begin(id1, 0, 0, &e);
	begin(id1, 1, -1, &e);
	assert_non_null(strstr(e.msg, "being imported right now"));
	assert_non_null(strstr(e.msg, "receiving pid"));
	sm_replay_end(r);
	/* "receiving" left by an importer that died (no lock): taken over */
	sm_hex_encode(id2, SM_REPLAY_ID_LEN, hex);
	snprintf(path, sizeof(path), "%s/imported/%s", dir, hex);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("receiving pid 1 into VM 'x'\n", f);
	fclose(f);
	r = begin(id2, 0, 0, &e);
	sm_replay_end(r);
	assert_int_equal(access(path, F_OK), -1);
}

/* A journal that cannot be kept warns and guards nothing. */
static void test_unusable_dir(void **state)
{
	struct sm_replay *r = (void *)1;
	char warn[512], file[128];
	struct sm_err e;
	FILE *f;

	(void)state;
	snprintf(file, sizeof(file), "%s/plain", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(sm_replay_begin(file, id1, "vm", 0, &r, warn,
					 sizeof(warn), &e),
			 0);
	assert_null(r);
	assert_non_null(strstr(
		warn, "a second import of this archive would not be noticed"));
	sm_replay_end(NULL);
	assert_int_equal(sm_replay_commit(NULL, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_imported_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_and_stale,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unusable_dir, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
