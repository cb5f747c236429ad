// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/cli/progress.c: --progress values, the text of an
 * update, when one is due, one write per update, and the terminal lock
 * (on a pseudo-terminal of the test's own as standard error).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "cli/progress.h"

static int setup(void **state)
{
	(void)state;
	sm_progname = "sevmig-test";
	signal(SIGPIPE, SIG_IGN); /* as sm_cli_init: EPIPE, not death */
	return 0;
}

static void test_parse(void **state)
{
	char why[256];
	int mode, fd, p[2];

	(void)state;
	assert_int_equal(
		sm_cli_progress_parse(NULL, &mode, &fd, why, sizeof(why)), 0);
	assert_int_equal(mode, SM_CLI_PROGRESS_LINE);
	assert_int_equal(fd, 2);
	assert_int_equal(
		sm_cli_progress_parse("json", &mode, &fd, why, sizeof(why)), 0);
	assert_int_equal(mode, SM_CLI_PROGRESS_JSON);
	assert_int_equal(fd, 2);
	assert_int_equal(pipe(p), 0);
	{
		char arg[32];

		snprintf(arg, sizeof(arg), "json:%d", p[1]);
		assert_int_equal(sm_cli_progress_parse(arg, &mode, &fd, why,
						       sizeof(why)),
				 0);
		assert_int_equal(fd, p[1]);
		/* the read end is open, but not for writing */
		snprintf(arg, sizeof(arg), "json:%d", p[0]);
		assert_int_equal(sm_cli_progress_parse(arg, &mode, &fd, why,
						       sizeof(why)),
				 -1);
		assert_non_null(strstr(why, "is not open for writing"));
	}
	close(p[0]);
	close(p[1]);
	assert_int_equal(sm_cli_progress_parse("jsonx", &mode, &fd, why,
					       sizeof(why)),
			 -1);
	assert_string_equal(
		why, "invalid --progress value 'jsonx': json or json:FD");
	assert_int_equal(sm_cli_progress_parse("json:", &mode, &fd, why,
					       sizeof(why)),
			 -1);
	assert_string_equal(why, "invalid --progress value 'json:': FD is a "
				 "descriptor number");
	assert_int_equal(sm_cli_progress_parse("json:1", &mode, &fd, why,
					       sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "descriptor 1 is standard output"));
}

static void test_format(void **state)
{
	struct sm_progress u = { .pages_done = 16384,
				 .pages_total = 65536,
				 .bytes = 64u << 20,
				 .seconds = 0.5 };
	char buf[512];
	size_t n;

	(void)state;
	n = sm_cli_progress_format(buf, sizeof(buf), 0, "sevmig-export",
				   "pages", &u);
	assert_string_equal(buf, "sevmig-export:  25% 16384/65536 pages, "
				 "64.0 MiB, 128.0 MiB/s, ETA 0:01");
	assert_int_equal(n, strlen(buf));
	n = sm_cli_progress_format(buf, sizeof(buf), 1, "sevmig-export",
				   "pages", &u);
	assert_string_equal(
		buf,
		"{\"schema\":\"sevmig-progress/1\",\"tool\":\"sevmig-export\","
		"\"unit\":\"pages\",\"done\":16384,\"total\":65536,"
		"\"percent\":25,\"bytes\":67108864,\"seconds\":0.500,"
		"\"mib_per_s\":128.0,\"eta_seconds\":2,\"final\":false}");
	u.pages_done = u.pages_total;
	u.seconds = 75;
	u.final = 1;
	sm_cli_progress_format(buf, sizeof(buf), 0, "sevmig-import", "records",
			       &u);
	assert_string_equal(buf, "sevmig-import: 100% 65536/65536 records, "
				 "64.0 MiB, 0.9 MiB/s, done in 1:15");
	/* nothing to move */
	u.pages_done = u.pages_total = 0;
	sm_cli_progress_format(buf, sizeof(buf), 0, "t", "pages", &u);
	assert_string_equal(buf, "t: 100% 0/0 pages, 64.0 MiB, 0.9 MiB/s, "
				 "done in 1:15");
	/* a short buffer is cut, not overrun */
	n = sm_cli_progress_format(buf, 8, 0, "sevmig-export", "pages", &u);
	assert_int_equal(n, 7);
	assert_string_equal(buf, "sevmig-");
}

/* Read what is in the pipe (non-blocking). */
static size_t drain(int fd, char *buf, size_t len)
{
	ssize_t n = read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

static void test_json_updates_when_due(void **state)
{
	struct sm_progress u = { .pages_total = 1000 };
	struct sm_cli_progress p;
	char buf[4096];
	int fd[2];

	(void)state;
	assert_int_equal(pipe2(fd, O_NONBLOCK), 0);
	sm_cli_progress_start(&p, SM_CLI_PROGRESS_JSON, fd[1], "pages", 0);
	/* the first update is shown */
	u.pages_done = 10;
	u.seconds = 0.01;
	sm_cli_progress_update(&p, &u);
	assert_true(drain(fd[0], buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"done\":10,"));
	assert_int_equal(buf[strlen(buf) - 1], '\n');
	/* under a quarter second and under 5 more percent: not yet */
	u.pages_done = 40;
	u.seconds = 0.2;
	sm_cli_progress_update(&p, &u);
	assert_int_equal(drain(fd[0], buf, sizeof(buf)), 0);
	/* 5 percent more: due however soon */
	u.pages_done = 60;
	u.seconds = 0.21;
	sm_cli_progress_update(&p, &u);
	assert_true(drain(fd[0], buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"done\":60,"));
	/* a quarter second later: due however little moved */
	u.pages_done = 61;
	u.seconds = 0.46;
	sm_cli_progress_update(&p, &u);
	assert_true(drain(fd[0], buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"done\":61,"));
	/* the final one always */
	u.pages_done = 1000;
	u.seconds = 0.47;
	u.final = 1;
	sm_cli_progress_update(&p, &u);
	assert_true(drain(fd[0], buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"final\":true}\n"));
	/* a reader gone: no more writes, nothing fails */
	close(fd[0]);
	u.final = 0;
	u.seconds = 10;
	sm_cli_progress_update(&p, &u);
	assert_int_equal(p.broken, 1);
	sm_cli_progress_end(&p);
	close(fd[1]);
}

/*
 * What reached the pty's master: a pty hands written bytes on through a
 * work queue, so wait for the first (up to 2 s), then take what follows
 * within 50 ms.
 */
static size_t from_pty(int m, char *buf, size_t len)
{
	struct pollfd pfd = { .fd = m, .events = POLLIN };
	size_t got = 0;
	ssize_t n;
	int wait = 2000;

	while (got < len - 1 && poll(&pfd, 1, wait) == 1) {
		n = read(m, buf + got, len - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		wait = 50;
	}
	buf[got] = '\0';
	return got;
}

/* A pseudo-terminal as standard error; returns the master, saves fd 2. */
static int pty_stderr(int *saved)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), s;

	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	assert_true(s >= 0);
	*saved = dup(2);
	assert_int_equal(dup2(s, 2), 2);
	close(s);
	assert_int_equal(fcntl(m, F_SETFL, O_NONBLOCK), 0);
	return m;
}

static void restore_stderr(int saved)
{
	dup2(saved, 2);
	close(saved);
}

static void test_one_line_per_terminal(void **state)
{
	struct sm_progress u = {
		.pages_done = 1, .pages_total = 4, .bytes = 4096, .seconds = 0.1
	};
	struct sm_cli_progress lead, other, asked;
	char buf[4096];
	int saved, m;

	(void)state;
	m = pty_stderr(&saved);
	/* the exporter takes the terminal at once */
	sm_cli_progress_start(&lead, SM_CLI_PROGRESS_AUTO, 2, "pages", 1);
	assert_int_equal(lead.mode, SM_CLI_PROGRESS_LINE);
	assert_true(lead.lock_fd >= 0);
	/* an importer on it stays quiet from its first update on */
	sm_cli_progress_start(&other, SM_CLI_PROGRESS_AUTO, 2, "records", 0);
	sm_cli_progress_update(&other, &u);
	assert_int_equal(other.mode, SM_CLI_PROGRESS_OFF);
	assert_int_equal(other.seen, 0);
	/* unless asked */
	sm_cli_progress_start(&asked, SM_CLI_PROGRESS_LINE, 2, "records", 0);
	sm_cli_progress_update(&asked, &u);
	assert_true(from_pty(m, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "sevmig-test:  25% 1/4 records"));
	sm_cli_progress_end(&asked);
	from_pty(m, buf, sizeof(buf));
	assert_string_equal(buf, "\r\n"); /* its open line ended */
	/* the lead's line: \r, the text, a warning ends it first */
	sm_cli_progress_update(&lead, &u);
	from_pty(m, buf, sizeof(buf));
	assert_string_equal(buf, "\rsevmig-test:  25% 1/4 pages, 0.0 MiB, "
				 "0.0 MiB/s, ETA 0:00");
	assert_int_equal(lead.open, 1);
	sm_cli_progress_warning(&lead, "look out");
	assert_int_equal(lead.open, 0);
	from_pty(m, buf, sizeof(buf));
	assert_int_equal(buf[0], '\r'); /* the tty's \n is \r\n */
	assert_non_null(strstr(buf, "sevmig-test: warning: look out"));
	sm_cli_progress_end(&lead);
	assert_int_equal(lead.lock_fd, -1);
	/* released: the next one draws */
	sm_cli_progress_start(&other, SM_CLI_PROGRESS_AUTO, 2, "records", 0);
	sm_cli_progress_update(&other, &u);
	assert_int_equal(other.mode, SM_CLI_PROGRESS_LINE);
	assert_true(from_pty(m, buf, sizeof(buf)) > 0);
	sm_cli_progress_end(&other);
	restore_stderr(saved);
	close(m);
}

static void test_auto_off_without_terminal(void **state)
{
	struct sm_cli_progress p;
	int saved = dup(2), fd = open("/dev/null", O_WRONLY);

	(void)state;
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	sm_cli_progress_start(&p, SM_CLI_PROGRESS_AUTO, 2, "pages", 1);
	assert_int_equal(p.mode, SM_CLI_PROGRESS_OFF);
	sm_cli_progress_start(&p, SM_CLI_PROGRESS_LINE, 2, "pages", 1);
	assert_int_equal(p.mode, SM_CLI_PROGRESS_LINE);
	assert_int_equal(p.lock_fd, -1);
	sm_cli_progress_end(&p);
	restore_stderr(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_parse, setup),
		cmocka_unit_test_setup(test_format, setup),
		cmocka_unit_test_setup(test_json_updates_when_due, setup),
		cmocka_unit_test_setup(test_one_line_per_terminal, setup),
		cmocka_unit_test_setup(test_auto_off_without_terminal, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
