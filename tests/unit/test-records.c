// SPDX-License-Identifier: MIT
/* Unit tests for lib/archive/records.c: chunk and record format, sequence checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/bytes.h"
#include "base/err.h"
#include "archive/manifest.h"
#include "archive/records.h"

#define PG 4096u

/*
 * Layout: 0x0-0x4000 (4 pages), 0x100000-0x102000 (2 pages).
 * Shared: 0x2000-0x3000 and 0x101000-0x102000.
 */
static struct sm_range shared_r[] = { { 0x2000, 0x1000 },
				      { 0x101000, 0x1000 } };
static const struct sm_shared shared = { 2, shared_r };

static void init_manifest(struct sm_manifest *m, int es, unsigned rpc)
{
	memset(m, 0, sizeof(*m));
	strcpy(m->tool_version, "0.1.0");
	strcpy(m->platform, "sim");
	m->policy = es ? 0x5 : 0x1;
	m->es = es;
	m->vcpus = 2;
	m->layout.nranges = 2;
	m->layout.ranges[0] = (struct sm_range){ 0, 4 * PG };
	m->layout.ranges[1] = (struct sm_range){ 0x100000, 2 * PG };
	m->pages = 6;
	m->records = 6 + (es ? 2 : 0);
	m->records_per_chunk = rpc;
	m->migration_ready = 1;
}

static const uint64_t gpas[] = { 0, 0x1000, 0x2000, 0x3000, 0x100000, 0x101000 };
static const uint32_t kinds[] = {
	SM_REC_PRIVATE, SM_REC_PRIVATE, SM_REC_ZERO,
	SM_REC_PRIVATE, SM_REC_PRIVATE, SM_REC_SHARED
};

static void raw_rec(uint64_t index, uint64_t gpa, uint32_t kind,
		    uint8_t out[SM_REC_HDR_LEN])
{
	struct sm_rec r = { .index = index, .gpa = gpa, .kind = kind };

	r.data_len = sm_rec_data_len(kind);
	if (kind == SM_REC_PRIVATE || kind == SM_REC_VMSA)
		memset(r.pkt_hdr, 0xa5, sizeof(r.pkt_hdr));
	sm_rec_encode(&r, out);
}

static void test_record_roundtrip(void **state)
{
	uint8_t raw[SM_REC_HDR_LEN];
	struct sm_rec r, back;
	struct sm_err e = { 0 };

	(void)state;
	memset(&r, 0, sizeof(r));
	r.index = 0x1122334455667788ull;
	r.gpa = 0xfffff000ull;
	r.kind = SM_REC_PRIVATE;
	r.data_len = PG;
	memset(r.pkt_hdr, 0x5a, sizeof(r.pkt_hdr));
	sm_rec_encode(&r, raw);
	/* little-endian on the wire */
	assert_int_equal(raw[0], 0x88);
	assert_int_equal(raw[7], 0x11);
	assert_int_equal(raw[0x10], SM_REC_PRIVATE);
	assert_int_equal(raw[0x15], 0x10);
	assert_int_equal(sm_rec_decode(raw, &back, &e), 0);
	assert_int_equal(back.index, r.index);
	assert_int_equal(back.gpa, r.gpa);
	assert_int_equal(back.kind, r.kind);
	assert_int_equal(back.data_len, r.data_len);
	assert_memory_equal(back.pkt_hdr, r.pkt_hdr, sizeof(r.pkt_hdr));
}

static void expect_bad_record(uint8_t raw[SM_REC_HDR_LEN], const char *what)
{
	struct sm_rec r;
	struct sm_err e = { 0 };

	assert_int_equal(sm_rec_decode(raw, &r, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_non_null(strstr(e.msg, what));
}

static void test_record_strict(void **state)
{
	uint8_t raw[SM_REC_HDR_LEN];

	(void)state;
	raw_rec(1, 0x1000, SM_REC_PRIVATE, raw);
	raw[0x10] = 11;
	expect_bad_record(raw, "unknown kind 11");
	raw_rec(1, 0x1000, SM_REC_ZERO, raw);
	raw[0x15] = 0x10;
	expect_bad_record(raw, "data length 4096");
	raw_rec(1, 0x1000, SM_REC_SHARED, raw);
	raw[0x4c] = 1;
	expect_bad_record(raw, "reserved");
	raw_rec(1, 0x1008, SM_REC_SHARED, raw);
	expect_bad_record(raw, "not page aligned");
	raw_rec(1, 0x1000, SM_REC_SHARED, raw);
	raw[0x20] = 1;
	expect_bad_record(raw, "packet header on a plain page");
	/* the helper's records: no firmware packet, END at gpa all ones */
	raw_rec(1, 0x1000, SM_REC_MH_PAGE, raw);
	raw[0x20] = 1;
	expect_bad_record(raw, "packet header on a plain page");
	raw_rec(1, 0x1000, SM_REC_MH_END, raw);
	expect_bad_record(raw, "not page aligned");
	raw_rec(1, 0x1000, SM_REC_MH_PAGE, raw);
	sm_put_le32(raw + 0x14, 4096);
	expect_bad_record(raw, "data length 4096");
	raw_rec(1, 0x1000, SM_REC_MH_PAGE, raw);
	raw[0x10] = 0;
	expect_bad_record(raw, "unknown kind 0");
	/* the SVSM's: its entry and page, END at gpa all ones */
	raw_rec(1, 0x1000, SM_REC_SVSM_PAGE, raw);
	sm_put_le32(raw + 0x14, SM_REC_MH_LEN);
	expect_bad_record(raw, "data length 4168");
	raw_rec(1, 0x1000, SM_REC_SVSM_END, raw);
	expect_bad_record(raw, "not page aligned");
	raw_rec(1, 0x1000, SM_REC_SVSM_VMSA, raw);
	raw[0x20] = 1;
	expect_bad_record(raw, "packet header on a plain page");
}

static void test_chunk_header(void **state)
{
	struct sm_chunk_hdr h = { .nrecords = 256, .chunk = 7, .first = 1792 };
	struct sm_chunk_hdr back;
	uint8_t raw[SM_CHUNK_HDR_LEN];
	struct sm_err e = { 0 };
	char name[SM_CHUNK_NAME_MAX];

	(void)state;
	sm_chunk_hdr_encode(&h, raw);
	assert_memory_equal(raw, "SEVMIGPC", 8);
	assert_int_equal(sm_chunk_hdr_decode(raw, &back, &e), 0);
	assert_int_equal(back.nrecords, 256);
	assert_int_equal(back.chunk, 7);
	assert_int_equal(back.first, 1792);
	raw[8] = 2;
	assert_int_equal(sm_chunk_hdr_decode(raw, &back, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	raw[8] = 1;
	raw[0] = 'X';
	assert_int_equal(sm_chunk_hdr_decode(raw, &back, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	sm_chunk_name(42, name);
	assert_string_equal(name, "sevmig/pages/00000042");
	assert_int_equal(sm_chunk_size(3, 2), 32 + 3 * 80 + 2 * 4096);
}

/*
 * Feed a sequence: chunks of rpc records, records given as (index, gpa,
 * kind) triples.  Returns the result of the first failing call, or of
 * sm_rec_seq_finish.
 */
struct rec3 {
	uint64_t index, gpa;
	uint32_t kind;
};

static int feed(const struct sm_manifest *m, const struct rec3 *recs, size_t n,
		struct sm_err *e, struct sm_counts *c)
{
	struct sm_rec_seq *s;
	size_t i = 0;
	uint64_t chunk = 0;
	int rc = 0;

	assert_int_equal(sm_rec_seq_new(m, &shared, &s, e), 0);
	while (i < n && rc == 0) {
		size_t k, cnt = n - i < m->records_per_chunk ?
					n - i :
					m->records_per_chunk;
		uint8_t raw[SM_CHUNK_HDR_LEN];
		struct sm_chunk_hdr h = { (uint32_t)cnt, chunk, recs[i].index };
		char name[SM_CHUNK_NAME_MAX];
		uint64_t ndata = 0;

		for (k = 0; k < cnt; k++)
			ndata += sm_rec_data_len(recs[i + k].kind);
		sm_chunk_hdr_encode(&h, raw);
		sm_chunk_name(chunk, name);
		rc = sm_rec_seq_chunk(s, name,
				      sm_chunk_size_bytes((uint32_t)cnt, ndata),
				      raw, &h, e);
		for (k = 0; k < cnt && rc == 0; k++) {
			uint8_t rr[SM_REC_HDR_LEN];
			struct sm_rec r;

			raw_rec(recs[i + k].index, recs[i + k].gpa,
				recs[i + k].kind, rr);
			rc = sm_rec_seq_record(s, rr, &r, e);
		}
		if (rc == 0)
			rc = sm_rec_seq_chunk_end(s, e);
		i += cnt;
		chunk++;
	}
	if (rc == 0)
		rc = sm_rec_seq_finish(s, e);
	if (c)
		sm_rec_seq_counts(s, c, NULL, NULL);
	sm_rec_seq_free(s);
	return rc;
}

static size_t good_seq(struct rec3 *out, int es)
{
	size_t i, n = 0;

	for (i = 0; i < 6; i++, n++)
		out[n] = (struct rec3){ n, gpas[i], kinds[i] };
	if (es) {
		out[n] = (struct rec3){ n, 0, SM_REC_VMSA };
		n++;
		out[n] = (struct rec3){ n, 1, SM_REC_VMSA };
		n++;
	}
	return n;
}

static void test_seq_good(void **state)
{
	struct sm_manifest m;
	struct sm_counts c;
	struct rec3 recs[8];
	struct sm_err e = { 0 };
	size_t n;

	(void)state;
	for (unsigned rpc = 1; rpc <= 9; rpc++) {
		init_manifest(&m, 0, rpc);
		n = good_seq(recs, 0);
		assert_int_equal(feed(&m, recs, n, &e, &c), 0);
		assert_int_equal(c.private_pages, 4);
		assert_int_equal(c.shared_pages, 1);
		assert_int_equal(c.zero_pages, 1);
		assert_int_equal(c.vmsas, 0);
		init_manifest(&m, 1, rpc);
		n = good_seq(recs, 1);
		assert_int_equal(feed(&m, recs, n, &e, &c), 0);
		assert_int_equal(c.vmsas, 2);
	}
}

static void expect_seq_fail(struct sm_manifest *m, struct rec3 *recs, size_t n,
			    const char *what)
{
	struct sm_err e = { 0 };

	assert_int_equal(feed(m, recs, n, &e, NULL), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	if (!strstr(e.msg, what))
		fail_msg("'%s' does not contain '%s'", e.msg, what);
}

/* A helper's stream: its private pages (kind 5), then one END (6). */
static size_t mh_seq(struct rec3 *out)
{
	size_t n = good_seq(out, 0), i;

	for (i = 0; i < n; i++)
		if (out[i].kind == SM_REC_PRIVATE)
			out[i].kind = SM_REC_MH_PAGE;
	out[n] = (struct rec3){ n, UINT64_MAX, SM_REC_MH_END };
	return n + 1;
}

static void test_seq_mh(void **state)
{
	struct sm_manifest m;
	struct sm_counts c;
	struct rec3 recs[9], t;
	struct sm_err e = { 0 };
	size_t n;

	(void)state;
	for (unsigned rpc = 1; rpc <= 8; rpc++) {
		init_manifest(&m, 0, rpc);
		m.method = SM_METHOD_MH;
		m.records = 7;
		n = mh_seq(recs);
		assert_int_equal(feed(&m, recs, n, &e, &c), 0);
		assert_int_equal(c.private_pages, 4);
		assert_int_equal(c.ends, 1);
	}
	init_manifest(&m, 0, 4);
	m.method = SM_METHOD_MH;
	m.records = 7;
	/* a PSP packet in a helper's stream, and the reverse */
	n = mh_seq(recs);
	recs[1].kind = SM_REC_PRIVATE;
	expect_seq_fail(&m, recs, n, "wrong method (this stream's is mh)");
	/* END dropped (the count says 7), END before the last page */
	n = mh_seq(recs);
	expect_seq_fail(&m, recs, n - 1, "end after 6 of 7 records");
	n = mh_seq(recs);
	t = recs[5];
	recs[5] = recs[6];
	recs[6] = t;
	recs[5].index = 5;
	recs[6].index = 6;
	expect_seq_fail(&m, recs, n, "END before the last page");
	/* an END in a PSP stream: its chunk is too large for PSP records,
	 * and alone in a chunk, its kind is refused */
	init_manifest(&m, 0, 4);
	n = good_seq(recs, 0);
	recs[n] = (struct rec3){ n, UINT64_MAX, SM_REC_MH_END };
	m.records = n + 1;
	expect_seq_fail(&m, recs, n + 1, "does not fit 3 records");
	init_manifest(&m, 0, 1);
	m.records = n + 1;
	expect_seq_fail(&m, recs, n + 1, "does not fit 1 records");
	/* a helper's page in a PSP stream, in a chunk with room for it
	 * (a zero page beside it): its kind is refused */
	init_manifest(&m, 0, 3);
	n = good_seq(recs, 0);
	m.records = n;
	recs[1].kind = SM_REC_MH_PAGE;
	expect_seq_fail(&m, recs, n, "wrong method (this stream's is psp)");
}

/* An SVSM stream: pages, two VMSAs, two state records, END. */
static size_t svsm_seq(struct rec3 *out)
{
	size_t n = good_seq(out, 1), i;

	for (i = 0; i < n; i++)
		if (out[i].kind == SM_REC_PRIVATE)
			out[i].kind = SM_REC_SVSM_PAGE;
		else if (out[i].kind == SM_REC_VMSA)
			out[i].kind = SM_REC_SVSM_VMSA;
	out[n] = (struct rec3){ n, 0, SM_REC_SVSM_STATE };
	n++;
	out[n] = (struct rec3){ n, 1, SM_REC_SVSM_STATE };
	n++;
	out[n] = (struct rec3){ n, UINT64_MAX, SM_REC_SVSM_END };
	return n + 1;
}

static void svsm_manifest(struct sm_manifest *m, unsigned rpc)
{
	init_manifest(m, 1, rpc);
	m->method = SM_METHOD_SVSM;
	m->svsm_state_chunks = 2;
	m->records = 11;
}

static void test_seq_svsm(void **state)
{
	struct sm_manifest m;
	struct sm_counts c;
	struct rec3 recs[12], t;
	struct sm_err e = { 0 };
	size_t n;

	(void)state;
	for (unsigned rpc = 1; rpc <= 12; rpc++) {
		svsm_manifest(&m, rpc);
		n = svsm_seq(recs);
		assert_int_equal(feed(&m, recs, n, &e, &c), 0);
		assert_int_equal(c.private_pages, 4);
		assert_int_equal(c.vmsas, 2);
		assert_int_equal(c.states, 2);
		assert_int_equal(c.ends, 1);
	}
	svsm_manifest(&m, 12);
	/* a PSP VMSA, a helper's END, in an SVSM stream */
	n = svsm_seq(recs);
	recs[6].kind = SM_REC_VMSA;
	expect_seq_fail(&m, recs, n,
			"a VMSA of another method (this stream's is svsm)");
	n = svsm_seq(recs);
	recs[10].kind = SM_REC_MH_END;
	expect_seq_fail(&m, recs, n,
			"an END of another method (this stream's is svsm)");
	/* a state record dropped (renumbered), moved, before the VMSAs */
	n = svsm_seq(recs);
	recs[9] = recs[10];
	recs[9].index = 9;
	expect_seq_fail(&m, recs, n - 1,
			"END before every VMSA and state record");
	n = svsm_seq(recs);
	recs[8].gpa = 1;
	expect_seq_fail(&m, recs, n, "expected SVSM state record 0 of 2");
	n = svsm_seq(recs);
	t = recs[7];
	recs[7] = recs[8];
	recs[8] = t;
	recs[7].index = 7;
	recs[8].index = 8;
	expect_seq_fail(&m, recs, n, "SVSM state before the last VMSA");
	/* state records in a helper's stream */
	init_manifest(&m, 0, 12);
	m.method = SM_METHOD_MH;
	m.records = 8;
	n = mh_seq(recs);
	recs[n] = recs[n - 1];
	recs[n - 1] = (struct rec3){ n - 1, 0, SM_REC_SVSM_STATE };
	recs[n].index = n;
	expect_seq_fail(&m, recs, n + 1, "SVSM state in a mh stream");
}

static void test_seq_bad(void **state)
{
	struct sm_manifest m;
	struct rec3 recs[9], t;
	size_t n;

	(void)state;
	init_manifest(&m, 0, 4);

	/* wrong order: two records swapped (indices follow their pages) */
	n = good_seq(recs, 0);
	t = recs[1];
	recs[1] = recs[3];
	recs[3] = t;
	expect_seq_fail(&m, recs, n, "out of sequence");

	/* swapped with renumbered indices: gpa no longer matches */
	n = good_seq(recs, 0);
	recs[1].gpa = 0x3000;
	recs[3].gpa = 0x1000;
	expect_seq_fail(&m, recs, n, "expected gpa 0x1000");

	/* duplicated record */
	n = good_seq(recs, 0);
	recs[1] = recs[0];
	expect_seq_fail(&m, recs, n, "out of sequence");
	n = good_seq(recs, 0);
	recs[1].gpa = 0;
	expect_seq_fail(&m, recs, n, "relocated");

	/* dropped record at the end */
	n = good_seq(recs, 0);
	expect_seq_fail(&m, recs, n - 1, "5 of 6 records");

	/* a record too many */
	n = good_seq(recs, 0);
	recs[n] = (struct rec3){ n, 0x102000, SM_REC_PRIVATE };
	expect_seq_fail(&m, recs, n + 1, "left of 6");

	/* kinds against the shared list */
	n = good_seq(recs, 0);
	recs[2].kind = SM_REC_PRIVATE;
	expect_seq_fail(&m, recs, n, "private packet for a shared page");
	n = good_seq(recs, 0);
	recs[0].kind = SM_REC_SHARED;
	expect_seq_fail(&m, recs, n, "plain data for a private page");

	/* VMSA records */
	n = good_seq(recs, 0);
	recs[n] = (struct rec3){ n, 0, SM_REC_VMSA };
	m.records = 7;
	expect_seq_fail(&m, recs, n + 1, "without SEV-ES");
	init_manifest(&m, 1, 4);
	n = good_seq(recs, 1);
	recs[7].gpa = 0;
	expect_seq_fail(&m, recs, n, "expected the VMSA of vCPU 1");
	n = good_seq(recs, 1);
	recs[5] = (struct rec3){ 5, 0, SM_REC_VMSA };
	expect_seq_fail(&m, recs, n, "VMSA before the last page");
}

static void test_seq_chunk_checks(void **state)
{
	struct sm_manifest m;
	struct sm_rec_seq *s;
	struct sm_chunk_hdr h = { 2, 0, 0 };
	uint8_t raw[SM_CHUNK_HDR_LEN], rr[SM_REC_HDR_LEN];
	struct sm_rec r;
	struct sm_err e = { 0 };

	(void)state;
	init_manifest(&m, 0, 2);
	assert_int_equal(sm_rec_seq_new(&m, &shared, &s, &e), 0);
	sm_chunk_hdr_encode(&h, raw);
	/* wrong name */
	assert_int_equal(sm_rec_seq_chunk(s, "sevmig/pages/00000001", 100, raw,
					  &h, &e),
			 -1);
	assert_non_null(strstr(e.msg, "expected 'sevmig/pages/00000000'"));
	/* oversize: more than records_per_chunk */
	h.nrecords = 3;
	sm_chunk_hdr_encode(&h, raw);
	assert_int_equal(sm_rec_seq_chunk(s, "sevmig/pages/00000000",
					  sm_chunk_size(3, 3), raw, &h, &e),
			 -1);
	assert_non_null(strstr(e.msg, "at most 2"));
	/* entry size beyond what its records can hold */
	h.nrecords = 2;
	sm_chunk_hdr_encode(&h, raw);
	assert_int_equal(sm_rec_seq_chunk(s, "sevmig/pages/00000000",
					  sm_chunk_size(2, 2) + 1, raw, &h, &e),
			 -1);
	/* size that does not match the records' kinds */
	assert_int_equal(sm_rec_seq_chunk(s, "sevmig/pages/00000000",
					  sm_chunk_size(2, 1), raw, &h, &e),
			 0);
	raw_rec(0, 0, SM_REC_PRIVATE, rr);
	assert_int_equal(sm_rec_seq_record(s, rr, &r, &e), 0);
	raw_rec(1, 0x1000, SM_REC_PRIVATE, rr);
	assert_int_equal(sm_rec_seq_record(s, rr, &r, &e), 0);
	assert_int_equal(sm_rec_seq_chunk_end(s, &e), -1);
	assert_non_null(strstr(e.msg, "does not match its records"));
	sm_rec_seq_free(s);

	/* a chunk whose first index skips ahead */
	assert_int_equal(sm_rec_seq_new(&m, &shared, &s, &e), 0);
	h = (struct sm_chunk_hdr){ 2, 0, 1 };
	sm_chunk_hdr_encode(&h, raw);
	assert_int_equal(sm_rec_seq_chunk(s, "sevmig/pages/00000000",
					  sm_chunk_size(2, 2), raw, &h, &e),
			 -1);
	assert_non_null(strstr(e.msg, "expected chunk 0 at record 0"));
	/* nothing at all */
	assert_int_equal(sm_rec_seq_finish(s, &e), -1);
	assert_non_null(strstr(e.msg, "after 0 of 6"));
	sm_rec_seq_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_roundtrip),
		cmocka_unit_test(test_record_strict),
		cmocka_unit_test(test_chunk_header),
		cmocka_unit_test(test_seq_good),
		cmocka_unit_test(test_seq_bad),
		cmocka_unit_test(test_seq_chunk_checks),
		cmocka_unit_test(test_seq_mh),
		cmocka_unit_test(test_seq_svsm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
