// SPDX-License-Identifier: MIT
/* Unit tests for lib/engine/export.c pieces that need no VM: --exec splitting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "engine/export.h"

static void expect_split(const char *cmd, const char *const *want)
{
	struct sm_err e = { 0 };
	char **argv = NULL;
	size_t i;

	assert_int_equal(sm_export_split_command(cmd, &argv, &e), 0);
	for (i = 0; want[i]; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
	free(argv);
}

static void test_split_words(void **state)
{
	(void)state;
	expect_split("sevmig-import --ack vm.sock",
		     (const char *const[]){ "sevmig-import", "--ack", "vm.sock",
					    NULL });
	expect_split("  ssh\tdst   sevmig-import  ",
		     (const char *const[]){ "ssh", "dst", "sevmig-import",
					    NULL });
	expect_split("x", (const char *const[]){ "x", NULL });
}

static void test_split_quotes(void **state)
{
	(void)state;
	expect_split("bash -c 'head -c 5; exit 3'",
		     (const char *const[]){ "bash", "-c", "head -c 5; exit 3",
					    NULL });
	expect_split("a \"b c\" d\\ e f'g'\"h\"",
		     (const char *const[]){ "a", "b c", "d e", "fgh", NULL });
	expect_split("\"say \\\"hi\\\"\" ''",
		     (const char *const[]){ "say \"hi\"", "", NULL });
	/* nothing is expanded: no variables, globs or substitutions */
	expect_split("echo $HOME * `id` $(id) ~",
		     (const char *const[]){ "echo", "$HOME", "*", "`id`",
					    "$(id)", "~", NULL });
}

static void test_split_errors(void **state)
{
	struct sm_err e = { 0 };
	char **argv = NULL;

	(void)state;
	assert_int_equal(sm_export_split_command("", &argv, &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
	assert_string_equal(e.msg, "empty --exec command");
	assert_int_equal(sm_export_split_command("   ", &argv, &e), -1);
	assert_int_equal(sm_export_split_command("a 'b", &argv, &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
	assert_non_null(strstr(e.msg, "unterminated quote"));
	assert_int_equal(sm_export_split_command("a \"b", &argv, &e), -1);
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(sm_export_state_name(SM_EXP_INIT), "init");
	assert_string_equal(sm_export_state_name(SM_EXP_SENDING), "sending");
	assert_string_equal(sm_export_state_name(SM_EXP_DONE), "done");
	assert_string_equal(sm_export_state_name((enum sm_export_state)99),
			    "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_words),
		cmocka_unit_test(test_split_quotes),
		cmocka_unit_test(test_split_errors),
		cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
