// SPDX-License-Identifier: MIT
/* Unit tests for lib/base/transport.c: spawning, pipes, timeouts, killing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/err.h"
#include "base/transport.h"
#include "base/util.h"

static void test_stdout_and_status(void **state)
{
	const char *argv[] = { "echo", "hello", NULL };
	struct sm_child *c;
	struct sm_err e = { 0 };
	char *out, *err;
	size_t len;
	int st;

	(void)state;
	assert_int_equal(sm_child_spawn(argv,
					SM_CHILD_PIPE_STDOUT |
						SM_CHILD_PIPE_STDERR |
						SM_CHILD_NULL_STDIN,
					&c, &e),
			 0);
	assert_true(c->pid > 0);
	assert_int_equal(c->in, -1);
	assert_int_equal(sm_child_read_all(c, 5, 1024, &out, &len, &err, &e),
			 0);
	assert_string_equal(out, "hello\n");
	assert_int_equal(len, 6);
	assert_string_equal(err, "");
	assert_int_equal(sm_child_wait(c, 5, &st, &e), 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	free(out);
	free(err);
	sm_child_free(c);
}

/* The argv is passed as is: no shell ever sees it. */
static void test_no_shell(void **state)
{
	const char *argv[] = { "echo", "$(id)", ";", "`x`", "*", NULL };
	struct sm_child *c;
	struct sm_err e = { 0 };
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(sm_child_spawn(argv, SM_CHILD_PIPE_STDOUT, &c, &e), 0);
	assert_int_equal(sm_child_read_all(c, 5, 1024, &out, &len, NULL, &e),
			 0);
	assert_string_equal(out, "$(id) ; `x` *\n");
	free(out);
	sm_child_free(c);
}

static void test_stdin_pipe(void **state)
{
	const char *argv[] = { "cat", NULL };
	struct sm_child *c;
	struct sm_err e = { 0 };
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(
		sm_child_spawn(argv, SM_CHILD_PIPE_STDIN | SM_CHILD_PIPE_STDOUT,
			       &c, &e),
		0);
	assert_true(c->in >= 3);
	assert_int_equal(sm_write_full(c->in, "abc\n", 4), 4);
	sm_child_close_stdin(c);
	sm_child_close_stdin(c); /* idempotent */
	assert_int_equal(c->in, -1);
	assert_int_equal(sm_child_read_all(c, 5, 1024, &out, &len, NULL, &e),
			 0);
	assert_string_equal(out, "abc\n");
	free(out);
	assert_int_equal(sm_child_wait(c, 5, NULL, &e), 0);
	sm_child_free(c);
}

static void test_stderr_and_exit_code(void **state)
{
	const char *argv[] = { "sh", "-c", "echo oops >&2; exit 3", NULL };
	struct sm_child *c;
	struct sm_err e = { 0 };
	char *out, *err, buf[64];
	size_t len;
	int st;

	(void)state;
	assert_int_equal(sm_child_spawn(argv,
					SM_CHILD_PIPE_STDOUT |
						SM_CHILD_PIPE_STDERR,
					&c, &e),
			 0);
	assert_int_equal(sm_child_read_all(c, 5, 1024, &out, &len, &err, &e),
			 0);
	assert_string_equal(out, "");
	assert_int_equal(len, 0);
	assert_string_equal(err, "oops\n");
	assert_int_equal(sm_child_wait(c, 5, &st, &e), 0);
	assert_string_equal(sm_child_describe(st, buf, sizeof(buf)),
			    "exited with status 3");
	free(out);
	free(err);
	sm_child_free(c);
}

static void test_stderr_tail_kept(void **state)
{
	const char *argv[] = {
		"sh", "-c",
		"head -c 10000 /dev/zero | tr '\\0' a >&2; echo END >&2", NULL
	};
	struct sm_child *c;
	struct sm_err e = { 0 };
	char *out, *err;
	size_t len;

	(void)state;
	assert_int_equal(sm_child_spawn(argv,
					SM_CHILD_PIPE_STDOUT |
						SM_CHILD_PIPE_STDERR,
					&c, &e),
			 0);
	assert_int_equal(sm_child_read_all(c, 5, 1024, &out, &len, &err, &e),
			 0);
	assert_int_equal(strlen(err), SM_CHILD_ERR_KEEP);
	assert_string_equal(err + SM_CHILD_ERR_KEEP - 4, "END\n");
	free(out);
	free(err);
	sm_child_free(c);
}

static void test_missing_program(void **state)
{
	const char *argv[] = { "sevmig-no-such-program", "x", NULL };
	struct sm_child *c = (struct sm_child *)1;
	struct sm_err e = { 0 };

	(void)state;
	assert_int_equal(sm_child_spawn(argv, SM_CHILD_PIPE_STDOUT, &c, &e),
			 -1);
	assert_null(c);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_string_equal(e.msg, "running 'sevmig-no-such-program': "
				   "No such file or directory");
}

static void test_empty_argv(void **state)
{
	const char *argv[] = { NULL };
	struct sm_child *c;
	struct sm_err e = { 0 };

	(void)state;
	assert_int_equal(sm_child_spawn(argv, 0, &c, &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
}

static void test_output_limit(void **state)
{
	const char *argv[] = { "head", "-c", "10000", "/dev/zero", NULL };
	struct sm_child *c;
	struct sm_err e = { 0 };
	char *out = (char *)1;
	size_t len;

	(void)state;
	assert_int_equal(sm_child_spawn(argv, SM_CHILD_PIPE_STDOUT, &c, &e), 0);
	assert_int_equal(sm_child_read_all(c, 5, 100, &out, &len, NULL, &e),
			 -1);
	assert_null(out);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_string_equal(e.msg,
			    "reading from 'head': output exceeds 100 bytes");
	sm_child_free(c);
}

static void test_read_timeout(void **state)
{
	const char *argv[] = { "sleep", "30", NULL };
	struct sm_child *c;
	struct sm_err e = { 0 };
	char *out;
	size_t len;
	double t0 = sm_now();

	(void)state;
	assert_int_equal(sm_child_spawn(argv, SM_CHILD_PIPE_STDOUT, &c, &e), 0);
	assert_int_equal(sm_child_read_all(c, 0.2, 100, &out, &len, NULL, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_string_equal(e.msg,
			    "reading from 'sleep': timed out after 0.2 s");
	/* sm_child_free terminates a child still running. */
	sm_child_free(c);
	assert_true(sm_now() - t0 < 3);
}

static void test_wait_timeout_then_kill(void **state)
{
	const char *argv[] = { "sleep", "30", NULL };
	struct sm_child *c;
	struct sm_err e = { 0 };
	char buf[64];
	int st;

	(void)state;
	assert_int_equal(sm_child_spawn(argv, 0, &c, &e), 0);
	assert_int_equal(sm_child_wait(c, 0.1, &st, &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_string_equal(e.msg,
			    "waiting for 'sleep': timed out after 0.1 s");
	assert_int_equal(sm_child_kill(c, SIGKILL), 0);
	assert_int_equal(sm_child_wait(c, 5, &st, &e), 0);
	assert_true(WIFSIGNALED(st));
	assert_string_equal(sm_child_describe(st, buf, sizeof(buf)),
			    "killed by signal 9 (Killed)");
	/* Reaped: no more signals. */
	assert_int_equal(sm_child_kill(c, SIGKILL), -1);
	sm_child_free(c);
}

/* sevmig ignores SIGPIPE; its children must not inherit that. */
static void test_signals_reset(void **state)
{
	const char *argv[] = { "grep", "^SigIgn:", "/proc/self/status", NULL };
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	unsigned long long mask;
	struct sm_child *c;
	struct sm_err e = { 0 };
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(sm_child_spawn(argv, SM_CHILD_PIPE_STDOUT, &c, &e), 0);
	assert_int_equal(sm_child_read_all(c, 5, 1024, &out, &len, NULL, &e),
			 0);
	/* glibc itself leaves its internal signals 32 and 33 ignored. */
	assert_int_equal(strncmp(out, "SigIgn:\t", 8), 0);
	mask = strtoull(out + 8, NULL, 16);
	assert_int_equal(mask & (1ull << (SIGPIPE - 1)), 0);
	assert_int_equal(mask & 0x7fffffffull, 0); /* signals 1-31 */
	free(out);
	sm_child_free(c);
	signal(SIGPIPE, old);
}

static void test_describe(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(sm_child_describe(255 << 8, buf, sizeof(buf)),
			    "exited with status 255");
	sm_child_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stdout_and_status),
		cmocka_unit_test(test_no_shell),
		cmocka_unit_test(test_stdin_pipe),
		cmocka_unit_test(test_stderr_and_exit_code),
		cmocka_unit_test(test_stderr_tail_kept),
		cmocka_unit_test(test_missing_program),
		cmocka_unit_test(test_empty_argv),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_read_timeout),
		cmocka_unit_test(test_wait_timeout_then_kill),
		cmocka_unit_test(test_signals_reset),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
