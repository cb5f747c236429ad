// SPDX-License-Identifier: MIT
/*
 * fuzz-records: page chunks and records (lib/archive/records.c) checked against
 * a manifest and shared regions the way the importer does, without the
 * pax layer and the digest in the way.
 *
 * Input, each part a 4-byte big-endian length and that many bytes:
 *   the manifest JSON, the shared-regions JSON, then the chunk entries
 *   (bit 31 of a chunk's length gives it the next chunk's name instead of
 *   its own).
 * Every chunk is fed as sevmig-import feeds it: sm_rec_seq_chunk with
 * the entry's name and size, sm_rec_seq_record for each record header
 * (skipping the data it announces), sm_rec_seq_chunk_end; at the end
 * sm_rec_seq_finish.  The first failure ends the input, as it ends an
 * import.
 *
 * Oracle: a header that decodes encodes to the same bytes (records and
 * chunks are strict: every byte is accounted for); a sequence that
 * finishes has exactly the manifest's records, its counts add up, and
 * the chunk count is the number of chunks fed.
 */
#include "fuzz-common.h"

#include "archive/manifest.h"
#include "archive/records.h"

#define ALL_ERRS (FZ(SM_EXIT_VERIFY) | FZ(SM_EXIT_UNSUPPORTED))

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_init();
	return 0;
}

/* The next length-prefixed part; 0 when the input has no whole one. */
static int part(const uint8_t **p, size_t *n, const uint8_t **out, size_t *len,
		int *flag)
{
	uint32_t v;

	if (*n < 4)
		return 0;
	v = (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 |
	    (uint32_t)(*p)[2] << 8 | (*p)[3];
	*flag = !!(v & 0x80000000u);
	v &= 0x7fffffffu;
	*p += 4;
	*n -= 4;
	*out = *p;
	*len = v < *n ? v : *n;
	*p += *len;
	*n -= *len;
	return 1;
}

static void check_hdrs(const uint8_t *raw, int chunk)
{
	uint8_t again[SM_REC_HDR_LEN];
	struct sm_chunk_hdr h;
	struct sm_rec r;
	struct sm_err e;

	if (chunk) {
		if (sm_chunk_hdr_decode(raw, &h, &e) == 0) {
			sm_chunk_hdr_encode(&h, again);
			if (memcmp(again, raw, SM_CHUNK_HDR_LEN))
				fz_fail("chunk header round trip differs");
		}
	} else if (sm_rec_decode(raw, &r, &e) == 0) {
		sm_rec_encode(&r, again);
		if (memcmp(again, raw, SM_REC_HDR_LEN))
			fz_fail("record header round trip differs");
		if (r.data_len != sm_rec_data_len(r.kind))
			fz_fail("record of kind %u with %u bytes", r.kind,
				r.data_len);
	}
}

/* Feed one chunk entry; 0 if the importer would go on. */
static int chunk(struct sm_rec_seq *s, uint64_t k, int misnamed,
		 const uint8_t *p, size_t size)
{
	char name[SM_CHUNK_NAME_MAX];
	struct sm_chunk_hdr h;
	struct sm_err e;
	size_t off;
	uint32_t i;

	sm_chunk_name(k + (misnamed ? 1 : 0), name);
	if (size < SM_CHUNK_HDR_LEN)
		return -1;
	check_hdrs(p, 1);
	if (sm_rec_seq_chunk(s, name, size, p, &h, &e) < 0) {
		fz_check_err(&e, ALL_ERRS, "chunk");
		return -1;
	}
	off = SM_CHUNK_HDR_LEN;
	for (i = 0; i < h.nrecords; i++) {
		struct sm_rec r;

		if (size - off < SM_REC_HDR_LEN)
			return -1; /* the importer: entry too short */
		check_hdrs(p + off, 0);
		if (sm_rec_seq_record(s, p + off, &r, &e) < 0) {
			fz_check_err(&e, ALL_ERRS, "record");
			return -1;
		}
		off += SM_REC_HDR_LEN;
		if (size - off < r.data_len)
			return -1;
		off += r.data_len;
	}
	if (sm_rec_seq_chunk_end(s, &e) < 0) {
		fz_check_err(&e, ALL_ERRS, "chunk end");
		return -1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sm_manifest m;
	struct sm_shared sh = { 0, NULL };
	struct sm_rec_seq *s = NULL;
	struct sm_counts c;
	struct sm_err e;
	const uint8_t *p;
	size_t len;
	uint64_t k = 0, records, chunks;
	int flag, fed_all = 1;

	fz_quiet();
	if (!part(&data, &size, &p, &len, &flag) ||
	    sm_manifest_decode(p, len, &m, &e) < 0 ||
	    !part(&data, &size, &p, &len, &flag) ||
	    sm_shared_decode(p, len, &m.layout, &sh, &e) < 0)
		goto out;
	if (sm_rec_seq_new(&m, &sh, &s, &e) < 0)
		fz_fail("sm_rec_seq_new: %s", e.msg);
	while (part(&data, &size, &p, &len, &flag)) {
		if (chunk(s, k, flag, p, len) < 0) {
			fed_all = 0;
			break;
		}
		k++;
	}
	sm_rec_seq_counts(s, &c, &records, &chunks);
	if (chunks != k)
		fz_fail("%llu chunks counted, %llu fed",
			(unsigned long long)chunks, (unsigned long long)k);
	if (c.private_pages + c.shared_pages + c.zero_pages + c.vmsas !=
		    records ||
	    records > m.records)
		fz_fail("counts do not add up to %llu records",
			(unsigned long long)records);
	if (fed_all && sm_rec_seq_finish(s, &e) == 0) {
		if (records != m.records || c.vmsas != (m.es ? m.vcpus : 0) ||
		    c.private_pages + c.shared_pages + c.zero_pages != m.pages)
			fz_fail("finished with %llu of %llu records",
				(unsigned long long)records,
				(unsigned long long)m.records);
	} else if (fed_all) {
		fz_check_err(&e, ALL_ERRS, "finish");
	}
out:
	sm_rec_seq_free(s);
	sm_shared_free(&sh);
	fz_loud();
	return 0;
}
