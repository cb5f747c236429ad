// SPDX-License-Identifier: MIT
/*
 * Page chunk and record format, and the importer's sequence checks.
 *
 * Why record i must be page i of the layout: the firmware MAC covers
 * neither the guest physical address nor any sequence number (SEV API,
 * SEND_UPDATE_DATA), so nothing but the archive's own structure ties a
 * packet to a place in guest memory.  Fixing the order makes every GPA
 * appear exactly once and lets a reader check that in constant memory.
 */
#include "archive/records.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"

const char *sm_rec_kind_name(uint32_t kind)
{
	switch (kind) {
	case SM_REC_PRIVATE:
		return "private";
	case SM_REC_SHARED:
		return "shared";
	case SM_REC_ZERO:
		return "zero";
	case SM_REC_VMSA:
		return "vmsa";
	case SM_REC_MH_PAGE:
		return "mh-private";
	case SM_REC_MH_END:
		return "mh-end";
	case SM_REC_SVSM_PAGE:
		return "svsm-private";
	case SM_REC_SVSM_VMSA:
		return "svsm-vmsa";
	case SM_REC_SVSM_STATE:
		return "svsm-state";
	case SM_REC_SVSM_END:
		return "svsm-end";
	}
	return "unknown";
}

uint32_t sm_rec_data_len(uint32_t kind)
{
	if (kind == SM_REC_MH_PAGE || kind == SM_REC_MH_END)
		return SM_REC_MH_LEN;
	if (kind >= SM_REC_SVSM_PAGE && kind <= SM_REC_SVSM_END)
		return SM_REC_SVSM_LEN;
	return kind == SM_REC_ZERO ? 0 : SM_PAGE_SIZE;
}

void sm_rec_encode(const struct sm_rec *r, uint8_t out[SM_REC_HDR_LEN])
{
	memset(out, 0, SM_REC_HDR_LEN);
	sm_put_le64(out + 0x00, r->index);
	sm_put_le64(out + 0x08, r->gpa);
	sm_put_le32(out + 0x10, r->kind);
	sm_put_le32(out + 0x14, r->data_len);
	memcpy(out + 0x18, r->pkt_hdr, SM_REC_PKT_HDR_LEN);
}

int sm_rec_decode(const uint8_t in[SM_REC_HDR_LEN], struct sm_rec *r,
		  struct sm_err *e)
{
	r->index = sm_get_le64(in + 0x00);
	r->gpa = sm_get_le64(in + 0x08);
	r->kind = sm_get_le32(in + 0x10);
	r->data_len = sm_get_le32(in + 0x14);
	memcpy(r->pkt_hdr, in + 0x18, SM_REC_PKT_HDR_LEN);
	if (r->kind < SM_REC_PRIVATE || r->kind > SM_REC_SVSM_END)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "record %" PRIu64 ": unknown kind %u",
				  r->index, r->kind);
	if (r->data_len != sm_rec_data_len(r->kind))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "record %" PRIu64 " (%s, gpa 0x%" PRIx64
				  "): data length %u",
				  r->index, sm_rec_kind_name(r->kind), r->gpa,
				  r->data_len);
	if (sm_get_le32(in + 0x4c) != 0)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "record %" PRIu64 ": reserved bytes set",
				  r->index);
	if (r->kind == SM_REC_MH_END || r->kind == SM_REC_SVSM_END ?
		    r->gpa != UINT64_MAX :
		    r->kind != SM_REC_VMSA && r->kind != SM_REC_SVSM_VMSA &&
			    r->kind != SM_REC_SVSM_STATE &&
			    r->gpa % SM_PAGE_SIZE)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "record %" PRIu64 ": gpa 0x%" PRIx64
				  " not page aligned",
				  r->index, r->gpa);
	if ((r->kind == SM_REC_SHARED || r->kind == SM_REC_ZERO ||
	     r->kind >= SM_REC_MH_PAGE) &&
	    !sm_all_zero(r->pkt_hdr, SM_REC_PKT_HDR_LEN))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "record %" PRIu64 " (%s, gpa 0x%" PRIx64
				  "): packet header on a plain page",
				  r->index, sm_rec_kind_name(r->kind), r->gpa);
	return 0;
}

void sm_chunk_hdr_encode(const struct sm_chunk_hdr *h,
			 uint8_t out[SM_CHUNK_HDR_LEN])
{
	memcpy(out, SM_CHUNK_MAGIC, 8);
	sm_put_le32(out + 0x08, SM_CHUNK_VERSION);
	sm_put_le32(out + 0x0c, h->nrecords);
	sm_put_le64(out + 0x10, h->chunk);
	sm_put_le64(out + 0x18, h->first);
}

int sm_chunk_hdr_decode(const uint8_t in[SM_CHUNK_HDR_LEN],
			struct sm_chunk_hdr *h, struct sm_err *e)
{
	uint32_t version;

	if (memcmp(in, SM_CHUNK_MAGIC, 8) != 0)
		return sm_err_set(e, SM_EXIT_VERIFY, "bad chunk magic");
	version = sm_get_le32(in + 0x08);
	if (version != SM_CHUNK_VERSION)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "unsupported chunk version %u", version);
	h->nrecords = sm_get_le32(in + 0x0c);
	h->chunk = sm_get_le64(in + 0x10);
	h->first = sm_get_le64(in + 0x18);
	if (h->nrecords == 0 || h->nrecords > SM_CHUNK_MAX_RECORDS)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "chunk %" PRIu64 ": %u records", h->chunk,
				  h->nrecords);
	return 0;
}

uint64_t sm_chunk_size_bytes(uint32_t nrecords, uint64_t data_bytes)
{
	return SM_CHUNK_HDR_LEN + (uint64_t)nrecords * SM_REC_HDR_LEN +
	       data_bytes;
}

uint64_t sm_chunk_size(uint32_t nrecords, uint32_t ndata)
{
	return sm_chunk_size_bytes(nrecords, (uint64_t)ndata * SM_PAGE_SIZE);
}

void sm_chunk_name(uint64_t chunk, char buf[SM_CHUNK_NAME_MAX])
{
	snprintf(buf, SM_CHUNK_NAME_MAX, SM_CHUNK_NAME_PREFIX "%08llu",
		 (unsigned long long)chunk);
}

/* ---- sequence ---- */

struct sm_rec_seq {
	const struct sm_manifest *m;
	const struct sm_shared *shared;
	uint64_t next_index; /* next record index */
	uint64_t next_chunk;
	size_t range; /* cursor: range of the next page */
	uint64_t offset; /* and its offset in that range */
	unsigned next_vcpu;
	uint32_t next_state; /* svsm: the next state record */
	int ended; /* the helper's (or SVSM's) END arrived */
	int in_chunk;
	struct sm_chunk_hdr cur;
	uint32_t seen; /* records of the current chunk */
	uint64_t data_bytes; /* ... the data they carry */
	uint64_t size; /* entry size of the current chunk */
	struct sm_counts counts;
};

/* The END record of a method (0: it has none). */
static uint32_t end_kind(enum sm_method m)
{
	return m == SM_METHOD_MH   ? SM_REC_MH_END :
	       m == SM_METHOD_SVSM ? SM_REC_SVSM_END :
				     0;
}

static uint32_t svsm_states(const struct sm_manifest *m)
{
	return m->method == SM_METHOD_SVSM ? m->svsm_state_chunks : 0;
}

int sm_rec_seq_new(const struct sm_manifest *m, const struct sm_shared *shared,
		   struct sm_rec_seq **sp, struct sm_err *e)
{
	struct sm_rec_seq *s = calloc(1, sizeof(*s));

	if (!s)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "cannot allocate record sequence");
	s->m = m;
	s->shared = shared;
	*sp = s;
	return 0;
}

void sm_rec_seq_free(struct sm_rec_seq *s)
{
	free(s);
}

int sm_rec_seq_chunk(struct sm_rec_seq *s, const char *name, uint64_t size,
		     const uint8_t raw[SM_CHUNK_HDR_LEN],
		     struct sm_chunk_hdr *h, struct sm_err *e)
{
	char want[SM_CHUNK_NAME_MAX];

	if (s->in_chunk)
		return sm_err_set(e, SM_EXIT_FAILURE, "chunk not ended");
	sm_chunk_name(s->next_chunk, want);
	if (strcmp(name, want) != 0)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "unexpected entry '%s': expected '%s'", name,
				  want);
	if (sm_chunk_hdr_decode(raw, h, e))
		return sm_err_prefix(e, "entry '%s'", name);
	if (h->chunk != s->next_chunk || h->first != s->next_index)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "entry '%s': chunk %" PRIu64
				  " starting at record %" PRIu64
				  ", expected chunk %" PRIu64
				  " at record %" PRIu64,
				  name, h->chunk, h->first, s->next_chunk,
				  s->next_index);
	if (h->nrecords > s->m->records_per_chunk)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "entry '%s': %u records, at most %u allowed",
				  name, h->nrecords, s->m->records_per_chunk);
	if (h->nrecords > s->m->records - s->next_index)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "entry '%s': %u records, only %" PRIu64
				  " left of %" PRIu64,
				  name, h->nrecords,
				  s->m->records - s->next_index, s->m->records);
	if (size < sm_chunk_size(h->nrecords, 0) ||
	    size > sm_chunk_size_bytes(h->nrecords,
				       (uint64_t)h->nrecords *
					       (s->m->method == SM_METHOD_MH ?
							SM_REC_MH_LEN :
						s->m->method == SM_METHOD_SVSM ?
							SM_REC_SVSM_LEN :
							SM_PAGE_SIZE)))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "entry '%s': size %" PRIu64
				  " does not fit %u records",
				  name, size, h->nrecords);
	s->cur = *h;
	s->size = size;
	s->seen = 0;
	s->data_bytes = 0;
	s->in_chunk = 1;
	return 0;
}

#define REC_FAIL(s, r, fmt, ...)                                       \
	sm_err_set(e, SM_EXIT_VERIFY,                                  \
		   "record %" PRIu64 " (%s, gpa 0x%" PRIx64 "): " fmt, \
		   (r)->index, sm_rec_kind_name((r)->kind), (r)->gpa,  \
		   ##__VA_ARGS__)

int sm_rec_seq_record(struct sm_rec_seq *s, const uint8_t raw[SM_REC_HDR_LEN],
		      struct sm_rec *r, struct sm_err *e)
{
	const struct sm_layout *l = &s->m->layout;

	if (!s->in_chunk || s->seen >= s->cur.nrecords)
		return sm_err_set(e, SM_EXIT_FAILURE, "record outside a chunk");
	if (sm_rec_decode(raw, r, e))
		return -1;
	if (r->index != s->next_index)
		return REC_FAIL(s, r,
				"out of sequence, expected record %" PRIu64,
				s->next_index);
	if (r->kind == SM_REC_MH_END || r->kind == SM_REC_SVSM_END) {
		if (r->kind != end_kind(s->m->method))
			return REC_FAIL(
				s, r,
				"an END of another method (this stream's is %s)",
				sm_method_name(s->m->method));
		if (s->range < l->nranges)
			return REC_FAIL(s, r, "END before the last page");
		if (s->ended)
			return REC_FAIL(s, r, "a second END");
		if ((s->m->es && s->next_vcpu != s->m->vcpus) ||
		    s->next_state != svsm_states(s->m))
			return REC_FAIL(
				s, r, "END before every VMSA and state record");
		s->ended = 1;
		s->counts.ends++;
	} else if (s->ended) {
		return REC_FAIL(s, r, "a record after END");
	} else if (r->kind == SM_REC_VMSA || r->kind == SM_REC_SVSM_VMSA) {
		if (!s->m->es)
			return REC_FAIL(s, r, "VMSA in a guest without SEV-ES");
		if (r->kind != (s->m->method == SM_METHOD_SVSM ?
					SM_REC_SVSM_VMSA :
					SM_REC_VMSA))
			return REC_FAIL(
				s, r,
				"a VMSA of another method (this stream's is %s)",
				sm_method_name(s->m->method));
		if (s->range < l->nranges)
			return REC_FAIL(s, r, "VMSA before the last page");
		if (r->gpa != s->next_vcpu)
			return REC_FAIL(s, r, "expected the VMSA of vCPU %u",
					s->next_vcpu);
		s->next_vcpu++;
		s->counts.vmsas++;
	} else if (r->kind == SM_REC_SVSM_STATE) {
		if (s->m->method != SM_METHOD_SVSM)
			return REC_FAIL(s, r, "SVSM state in a %s stream",
					sm_method_name(s->m->method));
		if (s->range < l->nranges || s->next_vcpu != s->m->vcpus)
			return REC_FAIL(s, r,
					"SVSM state before the last VMSA");
		if (r->gpa != s->next_state)
			return REC_FAIL(s, r,
					"expected SVSM state record %u of %u",
					s->next_state, svsm_states(s->m));
		s->next_state++;
		s->counts.states++;
	} else {
		uint64_t want;
		uint32_t priv;
		int shared;

		if (s->range >= l->nranges)
			return REC_FAIL(
				s, r, "page after the last page of the layout");
		want = l->ranges[s->range].gpa + s->offset;
		if (r->gpa != want)
			return REC_FAIL(
				s, r,
				"expected gpa 0x%" PRIx64
				" (duplicated, dropped or relocated record)",
				want);
		shared = sm_shared_contains(s->shared, r->gpa);
		priv = s->m->method == SM_METHOD_MH   ? SM_REC_MH_PAGE :
		       s->m->method == SM_METHOD_SVSM ? SM_REC_SVSM_PAGE :
							SM_REC_PRIVATE;
		if (r->kind == SM_REC_PRIVATE || r->kind == SM_REC_MH_PAGE ||
		    r->kind == SM_REC_SVSM_PAGE) {
			if (shared)
				return REC_FAIL(
					s, r,
					"private packet for a shared page");
			if (r->kind != priv)
				return REC_FAIL(
					s, r,
					"a private page of the wrong method (this stream's is %s)",
					sm_method_name(s->m->method));
		} else if (!shared) {
			return REC_FAIL(s, r, "plain data for a private page");
		}
		s->offset += SM_PAGE_SIZE;
		if (s->offset == l->ranges[s->range].size) {
			s->range++;
			s->offset = 0;
		}
		if (r->kind == priv)
			s->counts.private_pages++;
		else if (r->kind == SM_REC_SHARED)
			s->counts.shared_pages++;
		else
			s->counts.zero_pages++;
	}
	s->data_bytes += r->data_len;
	s->seen++;
	s->next_index++;
	return 0;
}

int sm_rec_seq_chunk_end(struct sm_rec_seq *s, struct sm_err *e)
{
	char name[SM_CHUNK_NAME_MAX];

	if (!s->in_chunk)
		return sm_err_set(e, SM_EXIT_FAILURE, "no chunk open");
	sm_chunk_name(s->cur.chunk, name);
	if (s->seen != s->cur.nrecords)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "entry '%s': %u of %u records", name, s->seen,
				  s->cur.nrecords);
	if (s->size != sm_chunk_size_bytes(s->cur.nrecords, s->data_bytes))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "entry '%s': size %" PRIu64
				  " does not match its records (%" PRIu64 ")",
				  name, s->size,
				  sm_chunk_size_bytes(s->cur.nrecords,
						      s->data_bytes));
	s->in_chunk = 0;
	s->next_chunk++;
	return 0;
}

int sm_rec_seq_finish(struct sm_rec_seq *s, struct sm_err *e)
{
	if (s->in_chunk)
		return sm_err_set(e, SM_EXIT_FAILURE, "chunk not ended");
	if (s->next_index != s->m->records)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "page records end after %" PRIu64
				  " of %" PRIu64 " records",
				  s->next_index, s->m->records);
	/* Implied by the count, kept as a second line of defence. */
	if (s->range != s->m->layout.nranges ||
	    (s->m->es && s->next_vcpu != s->m->vcpus) ||
	    s->next_state != svsm_states(s->m) ||
	    (s->m->method != SM_METHOD_PSP && !s->ended))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "page records do not cover the guest");
	return 0;
}

void sm_rec_seq_counts(const struct sm_rec_seq *s, struct sm_counts *c,
		       uint64_t *records, uint64_t *chunks)
{
	if (c)
		*c = s->counts;
	if (records)
		*records = s->next_index;
	if (chunks)
		*chunks = s->next_chunk;
}
