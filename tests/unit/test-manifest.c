// SPDX-License-Identifier: MIT
/* Unit tests for lib/archive/manifest.c: manifest, shared regions, trailer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "archive/manifest.h"
#include "archive/records.h"

static void init_manifest(struct sm_manifest *m)
{
	memset(m, 0, sizeof(*m));
	strcpy(m->tool_version, "0.1.0");
	strcpy(m->platform, "sim");
	m->policy = 0x5;
	m->es = 1;
	m->vcpus = 4;
	m->layout.nranges = 2;
	m->layout.ranges[0] = (struct sm_range){ 0, 0xa0000 };
	m->layout.ranges[1] = (struct sm_range){ 0x100000000ull, 0x200000 };
	m->pages = sm_layout_pages(&m->layout);
	m->records = m->pages + 4;
	m->records_per_chunk = 256;
	m->migration_ready = 1;
	memset(m->target_pdh_fp, 0xab, SM_FP_LEN);
	memset(m->source_pdh_fp, 0x01, SM_FP_LEN);
}

/* Replace the first occurrence of from by to in a malloc'd string. */
static char *subst(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	size_t n;
	char *out;

	if (!p)
		fail_msg("'%s' not in document", from);
	n = strlen(s) - strlen(from) + strlen(to);
	out = malloc(n + 1);
	assert_non_null(out);
	memcpy(out, s, (size_t)(p - s));
	strcpy(out + (p - s), to);
	strcat(out, p + strlen(from));
	return out;
}

static void test_manifest_roundtrip(void **state)
{
	struct sm_manifest m, back;
	struct sm_err e = { 0 };
	char *json, *json2;
	size_t len, len2;

	(void)state;
	init_manifest(&m);
	assert_int_equal(sm_manifest_encode(&m, &json, &len, &e), 0);
	assert_int_equal(strlen(json), len);
	assert_int_equal(json[len - 1], '\n');
	/* GPAs are hex strings, sizes integers */
	assert_non_null(strstr(json, "\"gpa\": \"0x100000000\""));
	assert_non_null(strstr(json, "\"size\": 2097152"));
	assert_non_null(strstr(json, "\"format\": \"sevmig/1\""));
	assert_int_equal(sm_manifest_decode(json, len, &back, &e), 0);
	assert_int_equal(back.policy, 5);
	assert_int_equal(back.vcpus, 4);
	assert_int_equal(back.es, 1);
	assert_int_equal(back.layout.nranges, 2);
	assert_int_equal(back.layout.ranges[1].gpa, 0x100000000ull);
	assert_int_equal(back.records, m.records);
	assert_memory_equal(back.target_pdh_fp, m.target_pdh_fp, SM_FP_LEN);
	assert_string_equal(back.platform, "sim");
	/* the same model gives the same bytes */
	assert_int_equal(sm_manifest_encode(&back, &json2, &len2, &e), 0);
	assert_string_equal(json, json2);
	free(json);
	free(json2);
}

/*
 * The digest algorithm: a SHA-256 manifest has no "digest" key (the bytes
 * of every archive before it), XXH3-128 is named, an unknown one is a
 * stream this build cannot read.
 */
static void test_manifest_digest(void **state)
{
	struct sm_manifest m, back;
	struct sm_err e = { 0 };
	char *json, *bad;
	size_t len;

	(void)state;
	init_manifest(&m);
	m.digest = SM_DIGEST_SHA256;
	assert_int_equal(sm_manifest_encode(&m, &json, &len, &e), 0);
	assert_null(strstr(json, "digest"));
	assert_int_equal(sm_manifest_decode(json, len, &back, &e), 0);
	assert_int_equal(back.digest, SM_DIGEST_SHA256);
	free(json);

	m.digest = SM_DIGEST_XXH3_128;
	assert_int_equal(sm_manifest_encode(&m, &json, &len, &e), 0);
	assert_non_null(strstr(json, "\"digest\": \"xxh3-128\""));
	assert_int_equal(sm_manifest_decode(json, len, &back, &e), 0);
	assert_int_equal(back.digest, SM_DIGEST_XXH3_128);
	bad = subst(json, "\"xxh3-128\"", "\"blake3\"");
	assert_int_equal(sm_manifest_decode(bad, strlen(bad), &back, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "unsupported manifest digest 'blake3'"));
	free(bad);
	bad = subst(json, "\"xxh3-128\"", "1");
	assert_int_equal(sm_manifest_decode(bad, strlen(bad), &back, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	free(bad);
	free(json);
}

static void expect_decode(const char *json, enum sm_exit code,
			  const char *what);
static void expect_subst(const char *json, const char *from, const char *to,
			 enum sm_exit code, const char *what);

/*
 * An SVSM stream (issue 17): the method, its feature and "snp" (the SNP
 * policy and the SVSM's state records) go together, and the records
 * count them.
 */
static void test_manifest_svsm(void **state)
{
	struct sm_manifest m, back;
	struct sm_err e = { 0 };
	char *json;
	size_t len;

	(void)state;
	init_manifest(&m);
	m.method = SM_METHOD_SVSM;
	m.snp_policy = 0x30000;
	m.svsm_state_chunks = 2;
	m.records = m.pages + 4 + 2 + 1;
	assert_int_equal(sm_manifest_encode(&m, &json, &len, &e), 0);
	assert_non_null(strstr(json, "\"method\": \"svsm\""));
	assert_non_null(strstr(json, "\"svsm\""));
	assert_non_null(strstr(json, "\"svsm_state_records\": 2"));
	assert_int_equal(sm_manifest_decode(json, len, &back, &e), 0);
	assert_int_equal(back.method, SM_METHOD_SVSM);
	assert_int_equal(back.snp_policy, 0x30000);
	assert_int_equal(back.svsm_state_chunks, 2);
	/* the feature without the method, "snp" in another method */
	expect_subst(json, "\"method\": \"svsm\"", "\"method\": \"psp\"",
		     SM_EXIT_VERIFY, "disagree");
	expect_subst(json, "\"svsm_state_records\": 2",
		     "\"svsm_state_records\": 3", SM_EXIT_VERIFY,
		     "records, expected");
	expect_subst(json, "\"svsm_state_records\": 2",
		     "\"svsm_state_records\": 4097", SM_EXIT_VERIFY,
		     "belongs to, and only to, an svsm stream");
	free(json);
	/* an SVSM stream of a guest without ES */
	m.es = 0;
	m.policy = 1;
	m.records = m.pages + 2 + 1;
	assert_int_equal(sm_manifest_encode(&m, &json, &len, &e), -1);
	assert_non_null(strstr(e.msg, "needs an SEV-ES guest"));
}

static void expect_decode(const char *json, enum sm_exit code, const char *what)
{
	struct sm_manifest m;
	struct sm_err e = { 0 };

	assert_int_equal(sm_manifest_decode(json, strlen(json), &m, &e), -1);
	assert_int_equal(e.code, code);
	if (!strstr(e.msg, what))
		fail_msg("'%s' does not contain '%s'", e.msg, what);
}

static void expect_subst(const char *json, const char *from, const char *to,
			 enum sm_exit code, const char *what)
{
	char *bad = subst(json, from, to);

	expect_decode(bad, code, what);
	free(bad);
}

static void test_manifest_strict(void **state)
{
	struct sm_manifest m;
	struct sm_err e = { 0 };
	char *json;
	size_t len;

	(void)state;
	init_manifest(&m);
	assert_int_equal(sm_manifest_encode(&m, &json, &len, &e), 0);

	expect_subst(json, "sevmig/1", "sevmig/2", SM_EXIT_UNSUPPORTED,
		     "unsupported manifest format 'sevmig/2'");
	expect_subst(json, "sevmig/1", "sevmig/10", SM_EXIT_UNSUPPORTED,
		     "sevmig/10");
	expect_subst(json, "sevmig/1", "sevmig/x", SM_EXIT_VERIFY,
		     "bad format");
	expect_subst(json, "sevmig/1", "other/1", SM_EXIT_VERIFY,
		     "is not sevmig");
	expect_subst(json, "\"features\": []", "\"features\": [\"zstd\"]",
		     SM_EXIT_UNSUPPORTED, "feature 'zstd'");
	expect_subst(json, "\"page_size\": 4096", "\"page_size\": 8192",
		     SM_EXIT_UNSUPPORTED, "page 8192");
	expect_subst(json, "\"packet_header_size\": 52",
		     "\"packet_header_size\": 48", SM_EXIT_UNSUPPORTED,
		     "packet header 48");
	expect_subst(json, "\"vcpus\": 4", "\"vcpus\": \"4\"", SM_EXIT_VERIFY,
		     "invalid manifest");
	expect_subst(json, "\"vcpus\": 4", "\"vcpus\": 0", SM_EXIT_VERIFY,
		     "0 vCPUs");
	expect_subst(json, "\"es\": true", "\"es\": false", SM_EXIT_VERIFY,
		     "es false but policy 0x5");
	expect_subst(json, "\"gpa\": \"0x100000000\"", "\"gpa\": 4294967296",
		     SM_EXIT_VERIFY, "range 1");
	expect_subst(json, "\"gpa\": \"0x100000000\"",
		     "\"gpa\": \"0x100000800\"", SM_EXIT_VERIFY,
		     "not page aligned");
	expect_subst(json, "\"gpa\": \"0x100000000\"", "\"gpa\": \"0x1000\"",
		     SM_EXIT_VERIFY, "overlaps");
	expect_subst(json, "\"gpa\": \"0x100000000\"",
		     "\"gpa\": \"0x100000000\", \"extra\": 1", SM_EXIT_VERIFY,
		     "range 1");
	expect_subst(json, "\"gpa\": \"0x100000000\"", "\"gpa\": \"0xzz\"",
		     SM_EXIT_VERIFY, "bad gpa");
	expect_subst(json, "\"records\": 676", "\"records\": 675",
		     SM_EXIT_VERIFY, "expected 676");
	expect_subst(json, "\"pages\": 672", "\"pages\": 673", SM_EXIT_VERIFY,
		     "layout holds 672");
	expect_subst(json, "\"records_per_chunk\": 256",
		     "\"records_per_chunk\": 100000", SM_EXIT_VERIFY,
		     "bad counts");
	expect_subst(json, "\"platform\": \"sim\"", "\"platform\": \"xen\"",
		     SM_EXIT_VERIFY, "unknown source platform");
	expect_subst(json, "\"policy\": 5", "\"policy\": -1", SM_EXIT_VERIFY,
		     "bad policy");
	expect_subst(json, "\"tool\": {", "\"tool\": 1, \"x\": {",
		     SM_EXIT_VERIFY, "invalid manifest");
	expect_subst(json, "\"memory\"", "\"memory\": 1, \"memory\"",
		     SM_EXIT_VERIFY, "duplicate");
	expect_subst(json, "\"target\": {",
		     "\"target\": {\"pdh_fingerprint\": \"ab\"}, \"x\": {",
		     SM_EXIT_VERIFY, "bad PDH fingerprint");
	/* an unknown optional key at the top level is accepted */
	{
		char *ok = subst(json, "\"features\"",
				 "\"comment\": \"hi\", \"features\"");
		struct sm_manifest back;

		assert_int_equal(sm_manifest_decode(ok, strlen(ok), &back, &e),
				 0);
		free(ok);
	}
	expect_decode("{\"format\": \"sevmig/1\",\n  x}", SM_EXIT_VERIFY,
		      "invalid manifest: 2:3");
	expect_decode("[]", SM_EXIT_VERIFY, "not a JSON object");
	expect_decode("{}", SM_EXIT_VERIFY, "no \"format\"");
	free(json);
}

static void test_layout(void **state)
{
	struct sm_layout l = { 2, { { 0, 0x4000 }, { 0x10000, 0x2000 } } };
	struct sm_layout in = { 1, { { 0x1000, 0x3000 } } };
	struct sm_err e = { 0 };

	(void)state;
	assert_int_equal(sm_layout_check(&l, &e), 0);
	assert_int_equal(sm_layout_pages(&l), 6);
	assert_int_equal(sm_layout_page_index(&l, 0x3000), 3);
	assert_int_equal(sm_layout_page_index(&l, 0x11000), 5);
	assert_int_equal(sm_layout_page_index(&l, 0x4000), -1);
	assert_int_equal(sm_layout_page_index(&l, 0x1001), -1);
	assert_int_equal(sm_layout_fits(&in, &l), 1);
	in.ranges[0].size = 0x4000;
	assert_int_equal(sm_layout_fits(&in, &l), 0);
	assert_int_equal(sm_layout_fits(&l, &l), 1);
	l.ranges[1].gpa = 0x3000;
	assert_int_equal(sm_layout_check(&l, &e), -1);
	l.nranges = 0;
	assert_int_equal(sm_layout_check(&l, &e), -1);
	l = (struct sm_layout){ 1, { { 0xfffffffffffff000ull, 0x2000 } } };
	assert_int_equal(sm_layout_check(&l, &e), -1);
	assert_non_null(strstr(e.msg, "wraps"));
}

static void test_shared(void **state)
{
	struct sm_layout l = { 2, { { 0, 0x4000 }, { 0x10000, 0x2000 } } };
	struct sm_range r[] = { { 0x1000, 0x1000 }, { 0x10000, 0x2000 } };
	struct sm_shared s = { 2, r }, back;
	struct sm_err e = { 0 };
	char *json, *bad;
	size_t len;

	(void)state;
	assert_int_equal(sm_shared_encode(&s, &json, &len, &e), 0);
	assert_int_equal(sm_shared_decode(json, len, &l, &back, &e), 0);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.r[1].gpa, 0x10000);
	assert_int_equal(sm_shared_contains(&back, 0x1000), 1);
	assert_int_equal(sm_shared_contains(&back, 0x2000), 0);
	assert_int_equal(sm_shared_contains(&back, 0x0), 0);
	assert_int_equal(sm_shared_contains(&back, 0x11000), 1);
	assert_int_equal(sm_shared_contains(&back, 0x12000), 0);
	sm_shared_free(&back);

	bad = subst(json, "\"0x10000\"", "\"0x20000\"");
	assert_int_equal(sm_shared_decode(bad, strlen(bad), &l, &back, &e), -1);
	assert_non_null(strstr(e.msg, "outside guest memory"));
	free(bad);
	bad = subst(json, "\"0x10000\"", "\"0x1000\"");
	assert_int_equal(sm_shared_decode(bad, strlen(bad), &l, &back, &e), -1);
	assert_non_null(strstr(e.msg, "out of order"));
	free(bad);
	free(json);

	s.n = 0;
	assert_int_equal(sm_shared_encode(&s, &json, &len, &e), 0);
	assert_int_equal(sm_shared_decode(json, len, &l, &back, &e), 0);
	assert_int_equal(back.n, 0);
	assert_int_equal(sm_shared_contains(&back, 0), 0);
	sm_shared_free(&back);
	free(json);
}

static void test_trailer(void **state)
{
	struct sm_trailer t = { .counts = { 10, 3, 2, 1 },
				.records = 16,
				.chunks = 1,
				.device_state_size = 1234 };
	struct sm_trailer back;
	struct sm_err e = { 0 };
	char *json, *bad;
	size_t len;

	(void)state;
	t.digest.alg = SM_DIGEST_SHA256;
	memset(t.digest.b, 0x7e, 32);
	assert_int_equal(sm_trailer_encode(&t, &json, &len, &e), 0);
	assert_int_equal(sm_trailer_decode(json, len, &back, &e), 0);
	assert_int_equal(back.counts.private_pages, 10);
	assert_int_equal(back.counts.vmsas, 1);
	assert_int_equal(back.device_state_size, 1234);
	assert_true(sm_digest_equal(&back.digest, &t.digest));
	bad = subst(json, "\"records\": 16", "\"records\": 17");
	assert_int_equal(sm_trailer_decode(bad, strlen(bad), &back, &e), -1);
	assert_non_null(strstr(e.msg, "not the sum"));
	free(bad);
	bad = subst(json, "sha256:7e", "md5:7e");
	assert_int_equal(sm_trailer_decode(bad, strlen(bad), &back, &e), -1);
	assert_non_null(strstr(e.msg, "bad digest"));
	free(bad);
	/* a known algorithm with the other's length */
	bad = subst(json, "sha256:7e7e7e7e7e7e7e7e", "xxh3-128:");
	assert_int_equal(sm_trailer_decode(bad, strlen(bad), &back, &e), -1);
	assert_non_null(strstr(e.msg, "bad digest"));
	free(bad);
	bad = subst(
		json,
		"sha256:7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e",
		"xxh3-128:7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7f");
	assert_int_equal(sm_trailer_decode(bad, strlen(bad), &back, &e), 0);
	assert_int_equal(back.digest.alg, SM_DIGEST_XXH3_128);
	assert_int_equal(back.digest.b[15], 0x7f);
	free(bad);
	bad = subst(json, "\"private\": 10", "\"private\": 10, \"x\": 1");
	assert_int_equal(sm_trailer_decode(bad, strlen(bad), &back, &e), -1);
	free(bad);
	bad = subst(json, "sevmig/1", "sevmig/3");
	assert_int_equal(sm_trailer_decode(bad, strlen(bad), &back, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	free(bad);
	free(json);
}

static void test_report(void **state)
{
	static const char *const warn[] = { "a warning", NULL };
	struct sm_layout l = { 1, { { 0x100000, 0x1000 } } };
	struct sm_report r = { .schema = "sevmig-export-report/1",
			       .result = "ok",
			       .have_policy = 1,
			       .policy = 0x21,
			       .vcpus = 2,
			       .counts = { 1, 2, 3, 0 },
			       .records = 6,
			       .bytes = 1000,
			       .seconds = 2.0,
			       .layout = &l,
			       .warnings = warn };
	struct sm_err e = { 0 };
	char *json;
	size_t len;

	(void)state;
	assert_int_equal(sm_report_encode(&r, &json, &len, &e), 0);
	assert_non_null(strstr(json, "\"schema\": \"sevmig-export-report/1\""));
	assert_non_null(strstr(json, "\"policy\": \"0x21\""));
	assert_non_null(strstr(json, "\"bytes_per_second\": 500.0"));
	assert_non_null(strstr(json, "\"gpa\": \"0x100000\""));
	assert_non_null(strstr(json, "\"firmware\""));
	assert_non_null(strstr(json, "a warning"));
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest_roundtrip),
		cmocka_unit_test(test_manifest_digest),
		cmocka_unit_test(test_manifest_svsm),
		cmocka_unit_test(test_manifest_strict),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_trailer),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
