// SPDX-License-Identifier: MIT
/* Unit tests for lib/archive/archive.c: the pax stream writer and reader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* libarchive itself, only to craft hostile archives. */
#include <archive.h>
#include <archive_entry.h>
#include <xxhash.h>

#include "archive/archive.h"
#include "base/err.h"
#include "base/ossl.h"

#define BIG (300u * 1024u + 17u)

static int memfd(void)
{
	int fd = memfd_create("test-archive", MFD_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static uint8_t *slurp(int fd, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	uint8_t *buf = malloc((size_t)end + 1);

	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)end, 0), end);
	*len = (size_t)end;
	return buf;
}

static int from_buf(const uint8_t *buf, size_t len)
{
	int fd = memfd();

	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 131u + (i >> 8));
}

/* A stream of three entries, the second written in uneven pieces. */
static void write_sample_alg(int fd, enum sm_digest_alg alg,
			     struct sm_digest_value *digest)
{
	struct sm_archive_w *w;
	struct sm_err e = { 0 };
	uint8_t *big = malloc(BIG);
	size_t off = 0, step = 1;

	assert_non_null(big);
	for (size_t i = 0; i < BIG; i++)
		big[i] = pattern(i);
	assert_int_equal(sm_archive_w_open(fd, &w, &e), 0);
	assert_int_equal(sm_archive_w_set_digest(w, alg, &e), 0);
	assert_int_equal(sm_archive_w_entry(w, "sevmig/manifest.json", "{}\n",
					    3, &e),
			 0);
	assert_int_equal(
		sm_archive_w_begin(w, "sevmig/pages/00000000", BIG, &e), 0);
	while (off < BIG) {
		size_t n = step < BIG - off ? step : BIG - off;

		assert_int_equal(sm_archive_w_data(w, big + off, n, &e), 0);
		off += n;
		step = step * 3 + 1;
	}
	assert_int_equal(sm_archive_w_end(w, &e), 0);
	assert_int_equal(sm_archive_w_entry(w, "sevmig/empty", NULL, 0, &e), 0);
	assert_int_equal(sm_archive_w_digest(w, digest, &e), 0);
	assert_int_equal(
		sm_archive_w_entry(w, "sevmig/trailer.json", "{}\n", 3, &e), 0);
	assert_int_equal(sm_archive_w_close(w, &e), 0);
	assert_true(sm_archive_w_bytes(w) > BIG);
	sm_archive_w_free(w);
	free(big);
}

static void write_sample(int fd, struct sm_digest_value *digest)
{
	write_sample_alg(fd, SM_DIGEST_XXH3_128, digest);
}

/*
 * Read a sample stream back.  Returns the number of entries read
 * completely and correctly; *rc gets the result of the last call.
 */
static int read_sample(int fd, int *rc, struct sm_err *e,
		       struct sm_digest_value *digest, int *got_digest)
{
	static const char *const names[] = { "sevmig/manifest.json",
					     "sevmig/pages/00000000",
					     "sevmig/empty",
					     "sevmig/trailer.json" };
	static const uint64_t sizes[] = { 3, BIG, 0, 3 };
	struct sm_archive_r *r;
	uint8_t *buf = malloc(BIG);
	int good = 0;

	*got_digest = 0;
	*rc = sm_archive_r_open(fd, &r, e);
	if (*rc) {
		free(buf);
		return 0;
	}
	for (;;) {
		const char *name;
		uint64_t size;

		*rc = sm_archive_r_next(r, &name, &size, e);
		if (*rc <= 0)
			break;
		if (good >= 4 || strcmp(name, names[good]) ||
		    size != sizes[good])
			break;
		if (good == 3) {
			*rc = sm_archive_r_digest(r, digest->alg, digest, e);
			if (*rc)
				break;
			*got_digest = 1;
		}
		*rc = sm_archive_r_read(r, buf, size, e);
		if (*rc)
			break;
		if (good == 1) {
			for (size_t i = 0; i < BIG; i++)
				if (buf[i] != pattern(i))
					goto out;
		}
		good++;
	}
out:
	sm_archive_r_free(r);
	free(buf);
	return good;
}

static void test_roundtrip(void **state)
{
	struct sm_digest_value wd, rd = { .alg = SM_DIGEST_XXH3_128 };
	struct sm_err e = { 0 };
	int fd = memfd(), rc, got;

	(void)state;
	write_sample(fd, &wd);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_sample(fd, &rc, &e, &rd, &got), 4);
	assert_int_equal(rc, 0);
	assert_true(got);
	assert_true(sm_digest_equal(&wd, &rd));
	close(fd);
}

static void test_deterministic_and_fixed_header(void **state)
{
	struct sm_digest_value d1, d2;
	uint8_t *a, *b;
	size_t la, lb;
	int f1 = memfd(), f2 = memfd();

	(void)state;
	write_sample(f1, &d1);
	write_sample(f2, &d2);
	a = slurp(f1, &la);
	b = slurp(f2, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	assert_true(sm_digest_equal(&d1, &d2));
	/* ustar header: name, mode 0600, uid 0, gid 0, mtime 0, "ustar". */
	assert_string_equal((char *)a, "sevmig/manifest.json");
	assert_memory_equal(a + 100, "000600 ", 7);
	assert_memory_equal(a + 108, "000000 ", 7);
	assert_memory_equal(a + 116, "000000 ", 7);
	assert_memory_equal(a + 136, "00000000000 ", 12);
	assert_memory_equal(a + 257, "ustar", 5);
	/* Not padded to a block: ends with the two zero blocks. */
	assert_int_equal(la % 512, 0);
	free(a);
	free(b);
	close(f1);
	close(f2);
}

/* Every cut before the end of the last entry loses something. */
static void test_truncated_everywhere(void **state)
{
	struct sm_digest_value d, rd = { .alg = SM_DIGEST_XXH3_128 };
	struct sm_err e;
	uint8_t *full;
	size_t len, cut;
	int fd = memfd(), rc, got, errors = 0;

	(void)state;
	write_sample(fd, &d);
	full = slurp(fd, &len);
	close(fd);
	for (cut = 0; cut + 1024 < len; cut += (cut < 4096 ? 97 : 4099)) {
		int t = from_buf(full, cut), good;

		memset(&e, 0, sizeof(e));
		good = read_sample(t, &rc, &e, &rd, &got);
		assert_true(good < 4);
		if (rc < 0) {
			errors++;
			assert_true(e.code == SM_EXIT_IO ||
				    e.code == SM_EXIT_VERIFY);
			assert_true(e.msg[0] != '\0');
		}
		close(t);
	}
	assert_true(errors > 10);
	free(full);
}

static void test_flipped_byte(void **state)
{
	struct sm_digest_value d, rd = { .alg = SM_DIGEST_XXH3_128 };
	struct sm_err e = { 0 };
	uint8_t *buf;
	size_t len;
	int fd = memfd(), t, rc, got;

	(void)state;
	write_sample(fd, &d);
	buf = slurp(fd, &len);
	close(fd);

	/* In a header: the checksum catches it. */
	buf[10] ^= 0x01;
	t = from_buf(buf, len);
	assert_int_equal(read_sample(t, &rc, &e, &rd, &got), 0);
	assert_int_equal(rc, -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	close(t);
	buf[10] ^= 0x01;

	/* In page data: the pattern check and the digest both catch it. */
	buf[512 * 3 + 1000] ^= 0x80;
	t = from_buf(buf, len);
	memset(&e, 0, sizeof(e));
	assert_int_equal(read_sample(t, &rc, &e, &rd, &got), 1);
	close(t);
	free(buf);
}

static void test_digest_covers_data(void **state)
{
	struct sm_digest_value d, rd = { .alg = SM_DIGEST_XXH3_128 };
	struct sm_err e = { 0 };
	uint8_t *buf;
	size_t len;
	int fd = memfd(), t, rc, got;
	struct sm_archive_r *r;
	const char *name;
	uint64_t size;

	(void)state;
	write_sample(fd, &d);
	buf = slurp(fd, &len);
	close(fd);
	/* Flip a byte of the page data, then read without looking. */
	buf[512 * 3 + 5] ^= 1;
	t = from_buf(buf, len);
	assert_int_equal(sm_archive_r_open(t, &r, &e), 0);
	while ((rc = sm_archive_r_next(r, &name, &size, &e)) == 1)
		if (!strcmp(name, "sevmig/trailer.json"))
			break;
	assert_int_equal(rc, 1);
	assert_int_equal(sm_archive_r_digest(r, SM_DIGEST_XXH3_128, &rd, &e),
			 0);
	assert_false(sm_digest_equal(&d, &rd));
	assert_int_equal(sm_archive_r_next(r, &name, &size, &e), 0);
	sm_archive_r_free(r);
	(void)got;
	close(t);
	free(buf);
}

/*
 * The digest is each entry's name, NUL, size as le64 and data, with the
 * algorithm the writer was given, computed here independently of
 * lib/archive/digest.c; a reader that is told nothing can take either,
 * and one told the algorithm keeps only that one.
 */
static void test_digest_framing_both_algorithms(void **state)
{
	static const uint8_t frame[] = { 'a', '/', 'b', 0, 3,	0,   0,	 0,
					 0,   0,   0,	0, 'x', 'y', 'z' };
	XXH128_canonical_t want_x;
	uint8_t want_s[SM_SHA256_LEN];
	struct sm_err e = { 0 };
	int a;

	(void)state;
	XXH128_canonicalFromHash(&want_x, XXH3_128bits(frame, sizeof(frame)));
	assert_int_equal(sm_sha256(frame, sizeof(frame), want_s), 0);
	for (a = 0; a < SM_DIGEST_COUNT; a++) {
		struct sm_digest_value wd, rd;
		struct sm_archive_w *w;
		struct sm_archive_r *r;
		const char *name;
		uint64_t size;
		int fd = memfd(), other = !a;

		assert_int_equal(sm_archive_w_open(fd, &w, &e), 0);
		assert_int_equal(sm_archive_w_set_digest(w, a, &e), 0);
		assert_int_equal(sm_archive_w_entry(w, "a/b", "xyz", 3, &e), 0);
		/* Too late to change it once an entry is written. */
		assert_int_equal(sm_archive_w_set_digest(w, other, &e), -1);
		assert_int_equal(sm_archive_w_digest(w, &wd, &e), 0);
		assert_int_equal(sm_archive_w_entry(w, "t", "{}", 2, &e), 0);
		assert_int_equal(sm_archive_w_close(w, &e), 0);
		sm_archive_w_free(w);
		assert_int_equal(wd.alg, a);
		if (a == SM_DIGEST_XXH3_128)
			assert_memory_equal(wd.b, want_x.digest, 16);
		else
			assert_memory_equal(wd.b, want_s, SM_SHA256_LEN);

		/* Told nothing: the reader has every algorithm at hand. */
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		assert_int_equal(sm_archive_r_open(fd, &r, &e), 0);
		assert_int_equal(sm_archive_r_next(r, &name, &size, &e), 1);
		assert_int_equal(sm_archive_r_next(r, &name, &size, &e), 1);
		assert_int_equal(sm_archive_r_digest(r, a, &rd, &e), 0);
		assert_true(sm_digest_equal(&wd, &rd));
		sm_archive_r_free(r);

		/* Told the other one: this one is gone. */
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		assert_int_equal(sm_archive_r_open(fd, &r, &e), 0);
		assert_int_equal(sm_archive_r_next(r, &name, &size, &e), 1);
		sm_archive_r_keep_digest(r, other);
		assert_int_equal(sm_archive_r_next(r, &name, &size, &e), 1);
		assert_int_equal(sm_archive_r_digest(r, a, &rd, &e), -1);
		assert_int_equal(sm_archive_r_digest(r, other, &rd, &e), 0);
		assert_false(sm_digest_equal(&wd, &rd));
		sm_archive_r_free(r);
		close(fd);
	}
}

/* Text forms: "NAME:HEX" of the full length, lowercase, known names. */
static void test_digest_text(void **state)
{
	struct sm_digest_value v, back;
	char text[SM_DIGEST_TEXT_MAX];

	(void)state;
	memset(&v, 0, sizeof(v));
	v.alg = SM_DIGEST_XXH3_128;
	v.b[0] = 0xab;
	v.b[15] = 0x01;
	sm_digest_format(&v, text);
	assert_string_equal(text, "xxh3-128:ab000000000000000000000000000001");
	assert_int_equal(sm_digest_parse(text, &back), 0);
	assert_true(sm_digest_equal(&v, &back));
	assert_int_equal(sm_digest_parse("sha256:ab", &back), -1);
	assert_int_equal(
		sm_digest_parse("xxh3-128:AB000000000000000000000000000001",
				&back),
		-1);
	assert_int_equal(sm_digest_parse("md5:ab000000000000000000000000000001",
					 &back),
			 -1);
	assert_int_equal(sm_digest_parse("ab00", &back), -1);
}

/* A hostile archive with one entry of the given name and type. */
static int craft(const char *name, unsigned type, const char *link)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ent = archive_entry_new();
	int fd = memfd();

	archive_write_set_format_pax(a);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
	archive_entry_set_pathname(ent, name);
	archive_entry_set_filetype(ent, type);
	archive_entry_set_perm(ent, 0600);
	if (link)
		archive_entry_set_symlink(ent, link);
	archive_entry_set_size(ent, type == AE_IFREG ? 4 : 0);
	assert_int_equal(archive_write_header(a, ent), ARCHIVE_OK);
	if (type == AE_IFREG)
		assert_int_equal(archive_write_data(a, "abcd", 4), 4);
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(ent);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void expect_refused(const char *name, unsigned type, const char *link)
{
	struct sm_archive_r *r;
	struct sm_err e = { 0 };
	const char *n;
	uint64_t size;
	int fd = craft(name, type, link);

	assert_int_equal(sm_archive_r_open(fd, &r, &e), 0);
	assert_int_equal(sm_archive_r_next(r, &n, &size, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_non_null(strstr(e.msg, "refusing archive entry"));
	sm_archive_r_free(r);
	close(fd);
}

static void test_path_like_names(void **state)
{
	(void)state;
	expect_refused("/etc/passwd", AE_IFREG, NULL);
	expect_refused("../x", AE_IFREG, NULL);
	expect_refused("sevmig/../../x", AE_IFREG, NULL);
	expect_refused("sevmig/./manifest.json", AE_IFREG, NULL);
	expect_refused("sevmig//manifest.json", AE_IFREG, NULL);
	expect_refused("sevmig/a b", AE_IFREG, NULL);
	expect_refused("sevmig/x\\y", AE_IFREG, NULL);
	expect_refused("sevmig/link", AE_IFLNK, "/etc/passwd");
	expect_refused("sevmig", AE_IFDIR, NULL);
}

static void test_read_bounds(void **state)
{
	struct sm_archive_r *r;
	struct sm_err e = { 0 };
	const char *n;
	uint64_t size;
	uint8_t buf[8];
	int fd = craft("sevmig/x", AE_IFREG, NULL);

	(void)state;
	assert_int_equal(sm_archive_r_open(fd, &r, &e), 0);
	assert_int_equal(sm_archive_r_next(r, &n, &size, &e), 1);
	assert_int_equal(size, 4);
	assert_int_equal(sm_archive_r_read(r, buf, 5, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_int_equal(sm_archive_r_read(r, buf, 4, &e), 0);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(sm_archive_r_next(r, &n, &size, &e), 0);
	assert_int_equal(sm_archive_r_next(r, &n, &size, &e), 0);
	sm_archive_r_free(r);
	close(fd);
}

static void test_write_bounds(void **state)
{
	struct sm_archive_w *w;
	struct sm_err e = { 0 };
	int fd = memfd();

	(void)state;
	assert_int_equal(sm_archive_w_open(fd, &w, &e), 0);
	assert_int_equal(sm_archive_w_begin(w, "sevmig/a", 4, &e), 0);
	assert_int_equal(sm_archive_w_data(w, "abcde", 5, &e), -1);
	assert_int_equal(sm_archive_w_data(w, "abc", 3, &e), 0);
	assert_int_equal(sm_archive_w_end(w, &e), -1);
	assert_non_null(strstr(e.msg, "short"));
	assert_int_equal(sm_archive_w_begin(w, "sevmig/b", 1, &e), -1);
	sm_archive_w_free(w);
	close(fd);
}

static void test_epipe(void **state)
{
	struct sm_archive_w *w;
	struct sm_err e = { 0 };
	uint8_t *buf = calloc(1, 1 << 20);
	int p[2], rc;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	assert_int_equal(sm_archive_w_open(p[1], &w, &e), 0);
	rc = sm_archive_w_entry(w, "sevmig/big", buf, 1 << 20, &e);
	if (rc == 0)
		rc = sm_archive_w_close(w, &e);
	assert_int_equal(rc, -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_non_null(strstr(e.msg, "output closed early"));
	sm_archive_w_free(w);
	close(p[1]);
	free(buf);
}

static void test_not_an_archive(void **state)
{
	struct sm_archive_r *r = NULL;
	struct sm_err e = { 0 };
	const char *n;
	uint64_t size;
	static const uint8_t junk[1024] = "this is not a tar archive";
	int fd = from_buf(junk, sizeof(junk)), rc;

	(void)state;
	rc = sm_archive_r_open(fd, &r, &e);
	if (rc == 0)
		rc = sm_archive_r_next(r, &n, &size, &e);
	assert_int_equal(rc, -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	sm_archive_r_free(r);
	close(fd);
}

static void test_empty_input(void **state)
{
	struct sm_archive_r *r = NULL;
	struct sm_err e = { 0 };
	const char *n;
	uint64_t size;
	int fd = memfd(), rc;

	(void)state;
	rc = sm_archive_r_open(fd, &r, &e);
	if (rc == 0)
		rc = sm_archive_r_next(r, &n, &size, &e);
	/* libarchive may take an empty input as an empty archive */
	if (rc == -1) {
		assert_int_equal(e.code, SM_EXIT_IO);
		assert_string_equal(e.msg,
				    "reading archive: the input is empty");
	} else {
		assert_int_equal(rc, 0);
	}
	sm_archive_r_free(r);
	close(fd);
}

static void test_abandoned_writes_nothing_more(void **state)
{
	struct sm_archive_w *w;
	struct sm_err e = { 0 };
	int fd = memfd();

	(void)state;
	assert_int_equal(sm_archive_w_open(fd, &w, &e), 0);
	assert_int_equal(sm_archive_w_entry(w, "sevmig/a", "abc", 3, &e), 0);
	sm_archive_w_free(w);
	/* the 64 KiB block was never flushed, and no end marker written */
	assert_int_equal(lseek(fd, 0, SEEK_END), 0);
	close(fd);
}

static int refuse(void *arg, int fd, struct sm_err *e)
{
	int *calls = arg;

	(void)fd;
	if (++*calls > 1)
		return sm_err_set(e, SM_EXIT_FAILURE, "interrupted by SIGINT");
	return 0;
}

static void test_wait_hook_aborts(void **state)
{
	struct sm_archive_w *w;
	struct sm_err e = { 0 };
	uint8_t *buf = calloc(1, 1 << 20);
	int fd = memfd(), calls = 0, rc;

	(void)state;
	assert_int_equal(sm_archive_w_open(fd, &w, &e), 0);
	sm_archive_w_set_wait(w, refuse, &calls);
	rc = sm_archive_w_entry(w, "sevmig/big", buf, 1 << 20, &e);
	assert_int_equal(rc, -1);
	assert_int_equal(calls, 2);
	assert_int_equal(e.code, SM_EXIT_FAILURE);
	assert_string_equal(e.msg, "interrupted by SIGINT");
	/* exactly one 64 KiB block got out */
	assert_int_equal(sm_archive_w_bytes(w), 65536);
	sm_archive_w_free(w);
	close(fd);
	free(buf);
}

/*
 * A blocking socket whose peer stops reading: the writer does not block in
 * send(2) but comes back to the wait hook, which can give up.  (alarm:
 * a writer that blocks is killed rather than hanging the suite.)
 */
static int refuse_when_full(void *arg, int fd, struct sm_err *e)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int *calls = arg;

	if (poll(&p, 1, 0) == 1)
		return 0;
	++*calls;
	return sm_err_set(e, SM_EXIT_FAILURE, "interrupted by SIGINT");
}

/*
 * Write 4 MiB into fd, whose reader is stuck: the writer must come back
 * to the hook, which gives up, rather than sleep in write(2).  (alarm: a
 * writer that blocks is killed rather than hanging the suite.)  Some of
 * it, not all, got out.
 */
static void expect_gives_up(int fd)
{
	struct sm_archive_w *w;
	struct sm_err e = { 0 };
	uint8_t *buf = calloc(1, 4 << 20);
	int calls = 0, rc;

	assert_non_null(buf);
	assert_int_equal(sm_archive_w_open(fd, &w, &e), 0);
	sm_archive_w_set_wait(w, refuse_when_full, &calls);
	alarm(10);
	rc = sm_archive_w_entry(w, "sevmig/big", buf, 4 << 20, &e);
	alarm(0);
	assert_int_equal(rc, -1);
	assert_int_equal(calls, 1);
	assert_string_equal(e.msg, "interrupted by SIGINT");
	assert_true(sm_archive_w_bytes(w) > 0);
	assert_true(sm_archive_w_bytes(w) < (4u << 20));
	sm_archive_w_free(w);
	free(buf);
}

static void test_socket_never_blocks(void **state)
{
	int sv[2], small = 4096;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* small buffers: a 64 KiB block never fits whole */
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small,
				    sizeof(small)),
			 0);
	expect_gives_up(sv[0]);
	close(sv[0]);
	close(sv[1]);
}

static int count_calls(void *arg, int fd, struct sm_err *e)
{
	(void)fd;
	(void)e;
	++*(int *)arg;
	return 0;
}

/*
 * A blocking pipe whose reader took a little and stopped: written a page
 * at a time after the hook, the writer never sleeps in write(2) and the
 * hook can give up.  (alarm: a writer that blocks is killed.)
 */
static void test_blocking_pipe_never_blocks(void **state)
{
	int p[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static uint8_t junk[70000];
		size_t got = 0;
		ssize_t n;

		/* gone with the test, even if alarm kills it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[1]);
		while (got < sizeof(junk) &&
		       (n = read(p[0], junk, sizeof(junk) - got)) > 0)
			got += (size_t)n;
		pause(); /* and read no more */
		_exit(0);
	}
	close(p[0]);
	expect_gives_up(p[1]);
	close(p[1]);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* On a non-blocking fd the hook runs only when a write would block. */
static void test_nonblocking_output_waits_only_when_full(void **state)
{
	struct sm_archive_w *w;
	struct sm_err e = { 0 };
	uint8_t *buf = calloc(1, 256 << 10);
	int p[2], calls = 0;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	if (fcntl(p[1], F_SETPIPE_SZ, 1 << 20) < (1 << 20))
		skip(); /* cannot grow the pipe here */
	assert_int_equal(sm_archive_w_open(p[1], &w, &e), 0);
	sm_archive_w_set_wait(w, count_calls, &calls);
	assert_int_equal(sm_archive_w_entry(w, "sevmig/a", buf, 256 << 10, &e),
			 0);
	assert_int_equal(calls, 0);
	sm_archive_w_free(w);
	close(p[0]);
	close(p[1]);
	free(buf);
}

static void test_leftover_after_end(void **state)
{
	struct sm_digest_value d;
	uint8_t left[64];
	struct sm_archive_r *r;
	struct sm_err e = { 0 };
	const char *name;
	uint64_t size;
	uint8_t *buf;
	size_t len;
	int fd = memfd(), t, rc;

	(void)state;
	write_sample(fd, &d);
	assert_int_equal(write(fd, "commit\n", 7), 7);
	buf = slurp(fd, &len);
	close(fd);
	t = from_buf(buf, len);
	assert_int_equal(sm_archive_r_open(t, &r, &e), 0);
	assert_int_equal(sm_archive_r_leftover(r, left, sizeof(left)), 0);
	while ((rc = sm_archive_r_next(r, &name, &size, &e)) == 1)
		;
	assert_int_equal(rc, 0);
	assert_int_equal(sm_archive_r_leftover(r, left, sizeof(left)), 7);
	assert_memory_equal(left, "commit\n", 7);
	sm_archive_r_free(r);
	close(t);
	free(buf);
}

static double cpu_seconds(void)
{
	struct rusage u;

	assert_int_equal(getrusage(RUSAGE_SELF, &u), 0);
	return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 +
	       (double)u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

/* A child that writes the sample into a new pipe p after ms milliseconds. */
static pid_t late_writer(int p[2], unsigned ms)
{
	struct sm_digest_value d;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		close(p[0]);
		usleep(ms * 1000);
		write_sample(p[1], &d);
		_exit(0);
	}
	close(p[1]);
	return pid;
}

/*
 * A non-blocking input that has nothing yet: the reader waits in poll
 * (it used to retry read(2) on EAGAIN, a busy loop), and the wait shows
 * up in sm_archive_r_read_seconds.
 */
static void test_nonblocking_input_waits(void **state)
{
	struct sm_digest_value got = { .alg = SM_DIGEST_XXH3_128 };
	struct sm_err e = { 0 };
	int p[2], rc, status, have;
	double cpu;
	pid_t pid;

	(void)state;
	pid = late_writer(p, 500);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	cpu = cpu_seconds();
	assert_int_equal(read_sample(p[0], &rc, &e, &got, &have), 4);
	assert_int_equal(rc, 0);
	assert_true(have);
	/* half a second of waiting, next to no CPU (a spin took it all) */
	assert_true(cpu_seconds() - cpu < 0.25);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(p[0]);
}

static void test_read_seconds(void **state)
{
	struct sm_archive_r *r;
	struct sm_err e = { 0 };
	int p[2], status;
	uint8_t d[32];
	pid_t pid;

	(void)state;
	pid = late_writer(p, 300);
	assert_int_equal(sm_archive_r_open(p[0], &r, &e), 0);
	assert_true(sm_archive_r_read_seconds(r) >= 0.25);
	assert_true(sm_archive_r_read_seconds(r) < 30);
	sm_archive_r_free(r);
	while (read(p[0], d, sizeof(d)) > 0)
		; /* let the writer finish */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(p[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_digest_framing_both_algorithms),
		cmocka_unit_test(test_digest_text),
		cmocka_unit_test(test_deterministic_and_fixed_header),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_flipped_byte),
		cmocka_unit_test(test_digest_covers_data),
		cmocka_unit_test(test_path_like_names),
		cmocka_unit_test(test_read_bounds),
		cmocka_unit_test(test_write_bounds),
		cmocka_unit_test(test_epipe),
		cmocka_unit_test(test_not_an_archive),
		cmocka_unit_test(test_abandoned_writes_nothing_more),
		cmocka_unit_test(test_wait_hook_aborts),
		cmocka_unit_test(test_leftover_after_end),
		cmocka_unit_test(test_socket_never_blocks),
		cmocka_unit_test(test_blocking_pipe_never_blocks),
		cmocka_unit_test(test_nonblocking_output_waits_only_when_full),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_nonblocking_input_waits),
		cmocka_unit_test(test_read_seconds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
