// SPDX-License-Identifier: MIT
/* Unit tests for lib/base/util.c and lib/base/err.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/err.h"
#include "base/util.h"

static void test_hex_roundtrip(void **state)
{
	const uint8_t in[] = { 0x00, 0x01, 0xab, 0xff };
	uint8_t out[8];
	char hex[9];

	(void)state;
	sm_hex_encode(in, sizeof(in), hex);
	assert_string_equal(hex, "0001abff");
	assert_int_equal(sm_hex_decode("0001ABff", out, sizeof(out)), 4);
	assert_memory_equal(in, out, 4);
	assert_int_equal(sm_hex_decode("abc", out, sizeof(out)), -1);
	assert_int_equal(sm_hex_decode("zz", out, sizeof(out)), -1);
	assert_int_equal(sm_hex_decode("0001abff00", out, 4), -1);
}

static void test_base64(void **state)
{
	static const struct {
		const char *plain, *b64;
	} v[] = {
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	uint8_t out[16];
	char enc[16];
	size_t i;

	(void)state;
	for (i = 0; i < SM_ARRAY_SIZE(v); i++) {
		size_t n = strlen(v[i].plain);

		sm_base64_encode((const uint8_t *)v[i].plain, n, enc);
		assert_string_equal(enc, v[i].b64);
		assert_int_equal(sm_base64_decode(v[i].b64, out, sizeof(out)),
				 (ssize_t)n);
		assert_memory_equal(out, v[i].plain, n);
	}
	assert_int_equal(sm_base64_decode("Zm9v\nYmFy\n", out, sizeof(out)), 6);
	assert_int_equal(sm_base64_decode("Zm9", out, sizeof(out)), -1);
	assert_int_equal(sm_base64_decode("Zm=v", out, sizeof(out)), -1);
	assert_int_equal(sm_base64_decode("Zm9v!", out, sizeof(out)), -1);
	assert_int_equal(sm_base64_decode("Zm9vYmFy", out, 5), -1);
	assert_int_equal(sm_base64_decode("Zg==Zg==", out, sizeof(out)), -1);
}

static void test_parse_size(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(sm_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(sm_parse_size("4G", &v), 0);
	assert_int_equal(v, 4ULL << 30);
	assert_int_equal(sm_parse_size("512MiB", &v), 0);
	assert_int_equal(v, 512ULL << 20);
	assert_int_equal(sm_parse_size("1k", &v), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(sm_parse_size("", &v), -1);
	assert_int_equal(sm_parse_size("-1", &v), -1);
	assert_int_equal(sm_parse_size("4X", &v), -1);
	assert_int_equal(sm_parse_size("99999999999T", &v), -1);
	assert_int_equal(sm_parse_uint("0x10", 255, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(sm_parse_uint("256", 255, &v), -1);
	assert_int_equal(sm_parse_uint("-3", 255, &v), -1);
}

static void test_err(void **state)
{
	struct sm_err e;

	(void)state;
	sm_err_clear(&e);
	assert_int_equal(sm_err_set(&e, SM_EXIT_VERIFY, "bad '%s'", "x"), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_string_equal(e.msg, "bad 'x'");
	sm_err_prefix(&e, "reading '%s'", "f");
	assert_string_equal(e.msg, "reading 'f': bad 'x'");
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	sm_err_errno(&e, SM_EXIT_IO, ENOENT, "cannot open '%s'", "y");
	assert_string_equal(e.msg,
			    "cannot open 'y': No such file or directory");
	assert_string_equal(sm_exit_str(SM_EXIT_UNSUPPORTED), "unsupported");
}

static void test_files(void **state)
{
	char dir[] = "/tmp/sevmig-test-XXXXXX", path[64];
	struct sm_err e;
	uint8_t *buf;
	size_t len;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(sm_write_file_atomic(path, "hello", 5, 0600, &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(sm_read_file(path, 100, &buf, &len, &e), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "hello", 5);
	free(buf);
	assert_int_equal(sm_read_file(path, 4, &buf, &len, &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	unlink(path);
	assert_int_equal(sm_read_file(path, 4, &buf, &len, &e), -1);
	assert_non_null(strstr(e.msg, "No such file"));
	rmdir(dir);
}

/*
 * Writing to a device or through a symlink must not replace it: renaming a
 * temporary file over /dev/null turned it into a regular file once.
 */
static void test_atomic_keeps_devices_and_links(void **state)
{
	char dir[] = "/tmp/sevmig-test-XXXXXX", dev[64], file[64], link[64];
	struct sm_err e;
	struct stat st;
	uint8_t *buf;
	size_t len;
	int rfd;
	char c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(dev, sizeof(dev), "%s/null", dir);
	snprintf(file, sizeof(file), "%s/target", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) == 0) {
		assert_int_equal(sm_write_file_atomic(dev, "x", 1, 0600, &e),
				 0);
		assert_int_equal(lstat(dev, &st), 0);
		assert_true(S_ISCHR(st.st_mode));
		unlink(dev);
	}
	assert_int_equal(mkfifo(dev, 0600), 0);
	rfd = open(
		dev,
		O_RDONLY |
			O_NONBLOCK); /* a reader, so open(W) does not block */
	assert_true(rfd >= 0);
	assert_int_equal(sm_write_file_atomic(dev, "y", 1, 0600, &e), 0);
	assert_int_equal(read(rfd, &c, 1), 1);
	assert_int_equal(c, 'y');
	close(rfd);
	assert_int_equal(lstat(dev, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	unlink(dev);

	assert_int_equal(sm_write_file_atomic(file, "old", 3, 0600, &e), 0);
	assert_int_equal(symlink("target", link), 0);
	assert_int_equal(sm_write_file_atomic(link, "new", 3, 0600, &e), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(sm_read_file(file, 100, &buf, &len, &e), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "new", 3);
	free(buf);
	unlink(link);
	unlink(file);

	assert_int_equal(sm_write_file_atomic(dir, "x", 1, 0600, &e), -1);
	assert_non_null(strstr(e.msg, "Is a directory"));
	rmdir(dir);
}

static double cpu_seconds(void)
{
	struct rusage u;

	assert_int_equal(getrusage(RUSAGE_SELF, &u), 0);
	return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 +
	       (double)u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

/* sm_write_full on a full non-blocking pipe waits in poll, not a spin. */
static void test_write_full_nonblocking(void **state)
{
	static uint8_t buf[128 << 10];
	int p[2], status;
	double cpu;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sm_set_nonblock(p[0]), 0);
	assert_int_equal(sm_set_nonblock(p[1]), 0);
	assert_true(fcntl(p[1], F_GETFL) & O_NONBLOCK);
	while (write(p[1], buf, sizeof(buf)) > 0)
		; /* full */
	assert_int_equal(errno, EAGAIN);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[1]);
		usleep(500 * 1000);
		while (read(p[0], buf, sizeof(buf)) != 0)
			;
		_exit(0);
	}
	close(p[0]);
	cpu = cpu_seconds();
	assert_int_equal(sm_write_full(p[1], buf, sizeof(buf)),
			 (ssize_t)sizeof(buf));
	/* half a second of waiting, next to no CPU (a spin took it all) */
	assert_true(cpu_seconds() - cpu < 0.25);
	close(p[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_roundtrip),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_err),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_atomic_keeps_devices_and_links),
		cmocka_unit_test(test_write_full_nonblocking),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
