// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/fetch/kds.c against tests/helpers/kds-stub.py, a scripted
 * HTTP server on 127.0.0.1 (never the real network): success, the cache,
 * offline mode, Retry-After on 429, AMD's 400, 500, 404, a hanging server,
 * oversized and rejected answers, bad URLs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "fetch/kds.h"
#include "base/transport.h"
#include "base/util.h"

#include "helpers.h"

#define CEK_LEN 2084

struct fix {
	char dir[256];
	char cek[300];
	char cache[300];
	char url[128];
	char hex[129];
	uint8_t id[64];
	uint8_t body[CEK_LEN];
	struct sm_child *stub;
	struct sm_kds_opts o;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct sm_err e;

	if (!f || th_mkdtemp(f->dir, sizeof(f->dir)) < 0)
		return -1;
	for (int i = 0; i < 64; i++)
		f->id[i] = (uint8_t)i;
	for (int i = 0; i < CEK_LEN; i++)
		f->body[i] = (uint8_t)(i * 7);
	sm_hex_encode(f->id, 64, f->hex);
	snprintf(f->cek, sizeof(f->cek), "%s/cek.bin", f->dir);
	snprintf(f->cache, sizeof(f->cache), "%s/cache", f->dir);
	if (sm_write_file_atomic(f->cek, f->body, CEK_LEN, 0644, &e) < 0)
		return -1;
	f->o.cache_dir = f->cache;
	f->o.retries = -1;
	f->o.total_timeout = 20;
	f->o.retry_delay = 0.1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	sm_child_free(f->stub);
	th_rmtree(f->dir);
	free(f);
	return 0;
}

static void start(struct fix *f, const char *script)
{
	int port = 0;

	sm_child_free(f->stub);
	f->stub = th_kds_start(f->dir, f->cek, script, &port);
	assert_non_null(f->stub);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", port);
	f->o.url = f->url;
}

static int check_len(const uint8_t *cek, size_t len, void *arg,
		     struct sm_err *e)
{
	(void)cek;
	(void)arg;
	if (len != CEK_LEN)
		return sm_err_set(e, SM_EXIT_VERIFY, "CEK of %zu bytes", len);
	return 0;
}

static void test_success_and_cache(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char first[512], want[512], path[512];
	uint8_t *cek;
	size_t len;

	start(f, "ok");
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e), 0);
	assert_int_equal(len, CEK_LEN);
	assert_memory_equal(cek, f->body, CEK_LEN);
	free(cek);
	/* The id goes into the path as lowercase hex. */
	assert_int_equal(th_kds_requests(f->dir, first, sizeof(first)), 1);
	snprintf(want, sizeof(want), "GET /cek/id/%s", f->hex);
	assert_string_equal(first, want);
	snprintf(path, sizeof(path), "%s/kds/cek-%s.cert", f->cache, f->hex);
	assert_int_equal(access(path, R_OK), 0);

	/* Server down: the cache answers. */
	sm_child_free(f->stub);
	f->stub = NULL;
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e), 0);
	assert_memory_equal(cek, f->body, CEK_LEN);
	free(cek);
	/* And offline. */
	f->o.offline = 1;
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e), 0);
	assert_int_equal(len, CEK_LEN);
	free(cek);
}

static void test_offline_empty_cache(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char want[1024];
	uint8_t *cek = (uint8_t *)1;
	size_t len;

	f->o.offline = 1;
	f->o.url = "http://127.0.0.1:9";
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e),
			 -1);
	assert_null(cek);
	assert_int_equal(e.code, SM_EXIT_IO);
	snprintf(
		want, sizeof(want),
		"no cached CEK '%s/kds/cek-%s.cert': offline, so the KDS was not asked",
		f->cache, f->hex);
	assert_string_equal(e.msg, want);
}

static void test_no_cache(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	uint8_t *cek;
	size_t len;

	start(f, "ok");
	f->o.no_cache = 1;
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e), 0);
	free(cek);
	assert_int_equal(access(f->cache, F_OK), -1);
}

static void test_429_retry_after(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	uint8_t *cek;
	size_t len;
	double t0 = sm_now(), dt;

	start(f, "429:1,ok");
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e), 0);
	dt = sm_now() - t0;
	assert_memory_equal(cek, f->body, CEK_LEN);
	free(cek);
	assert_int_equal(th_kds_requests(f->dir, NULL, 0), 2);
	/* Retry-After: 1 was honoured, not the 0.1 s default delay. */
	assert_true(dt >= 0.95);
	assert_true(dt < 5);
}

static void test_503_retry_after(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	uint8_t *cek;
	size_t len;

	start(f, "503:1,ok");
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e), 0);
	free(cek);
	assert_int_equal(th_kds_requests(f->dir, NULL, 0), 2);
}

static void test_400_then_ok(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	uint8_t *cek;
	size_t len;

	start(f, "400,400,ok");
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e), 0);
	assert_memory_equal(cek, f->body, CEK_LEN);
	free(cek);
	assert_int_equal(th_kds_requests(f->dir, NULL, 0), 3);
}

static void test_400_persistent(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char want[1024];
	uint8_t *cek;
	size_t len;

	start(f, "400");
	f->o.retries = 2;
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	snprintf(
		want, sizeof(want),
		"fetching CEK '%s/cek/id/%s': HTTP 400 Bad Request after 3 attempts",
		f->url, f->hex);
	assert_string_equal(e.msg, want);
	assert_int_equal(th_kds_requests(f->dir, NULL, 0), 3);
	/* Nothing cached from a failure. */
	assert_int_equal(access(f->cache, F_OK), -1);
}

static void test_500(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char want[1024];
	uint8_t *cek;
	size_t len;

	start(f, "500");
	f->o.retries = 1;
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	snprintf(
		want, sizeof(want),
		"fetching CEK '%s/cek/id/%s': HTTP 500 Internal Server Error after 2 attempts",
		f->url, f->hex);
	assert_string_equal(e.msg, want);
	assert_int_equal(th_kds_requests(f->dir, NULL, 0), 2);
}

static void test_404_final(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char want[1024];
	uint8_t *cek;
	size_t len;

	start(f, "404");
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e),
			 -1);
	snprintf(want, sizeof(want),
		 "fetching CEK '%s/cek/id/%s': HTTP 404 Not Found", f->url,
		 f->hex);
	assert_string_equal(e.msg, want);
	assert_int_equal(th_kds_requests(f->dir, NULL, 0), 1);
}

/* Without retries the message does not count attempts. */
static void test_500_no_retry(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char want[1024];
	uint8_t *cek;
	size_t len;

	start(f, "500");
	f->o.retries = 0;
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e),
			 -1);
	snprintf(want, sizeof(want),
		 "fetching CEK '%s/cek/id/%s': HTTP 500 Internal Server Error",
		 f->url, f->hex);
	assert_string_equal(e.msg, want);
	assert_int_equal(th_kds_requests(f->dir, NULL, 0), 1);
}

static void test_hang_timeout(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char want[1024];
	uint8_t *cek;
	size_t len;
	double t0 = sm_now();

	start(f, "hang");
	f->o.total_timeout = 1;
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e),
			 -1);
	assert_true(sm_now() - t0 < 3);
	assert_int_equal(e.code, SM_EXIT_IO);
	snprintf(want, sizeof(want),
		 "fetching CEK '%s/cek/id/%s': timed out after 1 s", f->url,
		 f->hex);
	assert_string_equal(e.msg, want);
}

static void test_retry_after_beyond_timeout(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char want[1024];
	uint8_t *cek;
	size_t len;
	double t0 = sm_now();

	start(f, "429:30,ok");
	f->o.total_timeout = 3;
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e),
			 -1);
	assert_true(sm_now() - t0 < 2);
	snprintf(
		want, sizeof(want),
		"fetching CEK '%s/cek/id/%s': HTTP 429 Too Many Requests (retry in 30 s would pass the 3 s timeout)",
		f->url, f->hex);
	assert_string_equal(e.msg, want);
}

static void test_refused(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char url[64], want[1024];
	uint8_t *cek;
	size_t len;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", th_dead_port());
	f->o.url = url;
	f->o.retries = 1;
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	/* The trailing slash of the base URL is dropped. */
	snprintf(want, sizeof(want),
		 "fetching CEK '%.*scek/id/%s': ", (int)strlen(url), url,
		 f->hex);
	assert_int_equal(strncmp(e.msg, want, strlen(want)), 0);
	assert_non_null(strstr(e.msg, "after 2 attempts"));
}

static void test_big_answer(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	uint8_t *cek;
	size_t len;

	start(f, "big");
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_non_null(strstr(e.msg, ": answer larger than 65536 bytes"));
	assert_int_equal(th_kds_requests(f->dir, NULL, 0), 1);
}

static void test_check_rejects(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char want[1024];
	uint8_t *cek;
	size_t len;

	start(f, "short,ok");
	f->o.check = check_len;
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	snprintf(want, sizeof(want),
		 "fetching CEK '%s/cek/id/%s': CEK of 100 bytes", f->url,
		 f->hex);
	assert_string_equal(e.msg, want);
	/* A rejected answer is final and never cached. */
	assert_int_equal(th_kds_requests(f->dir, NULL, 0), 1);
	assert_int_equal(access(f->cache, F_OK), -1);
}

static void test_bad_cache_entry(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char path[1024], kdir[400];
	uint8_t *cek;
	size_t len;

	snprintf(kdir, sizeof(kdir), "%s/kds", f->cache);
	mkdir(f->cache, 0700);
	mkdir(kdir, 0700);
	snprintf(path, sizeof(path), "%s/cek-%s.cert", kdir, f->hex);
	assert_int_equal(sm_write_file_atomic(path, "junk", 4, 0644, &e), 0);
	f->o.check = check_len;

	/* Offline, a bad cached CEK is an error naming the file... */
	f->o.offline = 1;
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_non_null(strstr(e.msg, "cached CEK '"));
	assert_non_null(strstr(e.msg, "': CEK of 4 bytes"));

	/* ...online it is replaced by the KDS's answer. */
	f->o.offline = 0;
	start(f, "ok");
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e), 0);
	free(cek);
	f->o.offline = 1;
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e), 0);
	assert_int_equal(len, CEK_LEN);
	free(cek);
}

static void test_bad_url(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	uint8_t *cek;
	size_t len;

	f->o.url = "ftp://127.0.0.1/";
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
	assert_string_equal(e.msg, "bad KDS URL 'ftp://127.0.0.1/': only "
				   "http:// and https:// are allowed");
	f->o.url = NULL;
	setenv("SEVMIG_KDS_URL", "file:///etc/passwd", 1);
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
	assert_string_equal(e.msg, "bad KDS URL 'file:///etc/passwd': only "
				   "http:// and https:// are allowed");
	unsetenv("SEVMIG_KDS_URL");
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 0, &cek, &len, &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
}

/* SEVMIG_KDS_URL is used when no URL is given. */
static void test_env_url(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	uint8_t *cek;
	size_t len;

	start(f, "ok");
	setenv("SEVMIG_KDS_URL", f->url, 1);
	f->o.url = NULL;
	assert_int_equal(sm_kds_fetch_cek(&f->o, f->id, 64, &cek, &len, &e), 0);
	free(cek);
	unsetenv("SEVMIG_KDS_URL");
	assert_int_equal(th_kds_requests(f->dir, NULL, 0), 1);
}

static void test_cache_dir(void **state)
{
	struct sm_kds_opts o = { 0 };
	char buf[256];

	(void)state;
	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	assert_int_equal(sm_kds_cache_dir(&o, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/x/cache/sevmig");
	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", "/home/u", 1);
	assert_int_equal(sm_kds_cache_dir(&o, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/u/.cache/sevmig");
	o.cache_dir = "/c";
	assert_int_equal(sm_kds_cache_dir(&o, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/c");
	o.cache_dir = NULL;
	unsetenv("HOME");
	assert_int_equal(sm_kds_cache_dir(&o, buf, sizeof(buf)), -1);
	assert_int_equal(strncmp(sm_kds_curl_version(), "libcurl ", 8), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_success_and_cache, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_offline_empty_cache, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_429_retry_after, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_503_retry_after, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_400_then_ok, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_400_persistent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_500, setup, teardown),
		cmocka_unit_test_setup_teardown(test_404_final, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_500_no_retry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hang_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_beyond_timeout,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_answer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_check_rejects, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_cache_entry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_url, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_url, setup, teardown),
		cmocka_unit_test(test_cache_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
