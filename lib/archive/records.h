/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_RECORDS_H
#define SEVMIG_RECORDS_H

/*
 * Page chunks of a sevmig archive (docs/sevmig-archive.5): the binary
 * format and the structural checks an importer applies to it.
 *
 * An entry sevmig/pages/NNNNNNNN is one chunk: a 32-byte chunk header,
 * then nrecords records, each an 80-byte little-endian record header
 * followed by 4 KiB of data (private packet, shared page, VMSA packet) or
 * nothing (zero shared page).  The writer classifies a chunk's pages
 * before it begins the entry, so the entry size is known up front.
 *
 * Records carry a stream-wide index.  Page records come first, one per
 * page of the manifest layout in address order (record i is page i), then
 * one VMSA record per vCPU for SEV-ES.  So a dropped, duplicated,
 * reordered or relocated record breaks the sequence and is refused by
 * structure alone; what the structure cannot see (packet bytes moved from
 * one record to another) is documented in sevmig-archive(5).
 * No outside dependency.
 */

#include <stddef.h>
#include <stdint.h>

#include "archive/format.h"
#include "archive/manifest.h"
#include "base/err.h"

enum sm_rec_kind {
	SM_REC_PRIVATE = 1, /* SEND_UPDATE_DATA packet of a private page */
	SM_REC_SHARED = 2, /* a shared page, plain */
	SM_REC_ZERO = 3, /* a shared page of zeros: no data */
	SM_REC_VMSA = 4, /* SEND_UPDATE_VMSA packet; gpa is the vCPU */
	SM_REC_MH_PAGE = 5, /* a migration helper's sealed private page */
	SM_REC_MH_END = 6, /* the helper's END record; gpa all ones */
	SM_REC_SVSM_PAGE = 7, /* an SVSM's sealed private page */
	SM_REC_SVSM_VMSA = 8, /* an SVSM's sealed VMSA; gpa is the vCPU */
	SM_REC_SVSM_STATE = 9, /* the SVSM's own state; gpa is the chunk */
	SM_REC_SVSM_END = 10, /* the SVSM's END record; gpa all ones */
};

/*
 * Record header, little-endian:
 *   0x00 u64 index     stream-wide record number, from 0
 *   0x08 u64 gpa       guest physical address (VMSA: vCPU number)
 *   0x10 u32 kind      enum sm_rec_kind
 *   0x14 u32 data_len  4096, 0 for a zero page, SM_REC_MH_LEN for
 *                      the helper's records (u32 len, envelope, page)
 *   0x18 u8[0x34]      firmware packet header (zeros for plain pages)
 *   0x4c u32 reserved  0
 */
struct sm_rec {
	uint64_t index;
	uint64_t gpa;
	uint32_t kind;
	uint32_t data_len;
	uint8_t pkt_hdr[SM_REC_PKT_HDR_LEN];
};

/*
 * Chunk header, little-endian:
 *   0x00 char[8] "SEVMIGPC"
 *   0x08 u32 version   1
 *   0x0c u32 nrecords  1..records_per_chunk
 *   0x10 u64 chunk     chunk number, from 0 (as in the entry name)
 *   0x18 u64 first     index of its first record
 */
struct sm_chunk_hdr {
	uint32_t nrecords;
	uint64_t chunk;
	uint64_t first;
};

/* "private", "shared", "zero", "vmsa"; "unknown" otherwise. */
const char *sm_rec_kind_name(uint32_t kind);

/* Bytes of data a record of this kind carries (0 for zero pages). */
uint32_t sm_rec_data_len(uint32_t kind);

void sm_rec_encode(const struct sm_rec *r, uint8_t out[SM_REC_HDR_LEN]);
/*
 * Decode one record header: a known kind, data_len matching it, reserved
 * bytes zero, a page-aligned gpa for page kinds, a zero packet header for
 * plain pages.  SM_EXIT_VERIFY otherwise.
 */
int sm_rec_decode(const uint8_t in[SM_REC_HDR_LEN], struct sm_rec *r,
		  struct sm_err *e);

void sm_chunk_hdr_encode(const struct sm_chunk_hdr *h,
			 uint8_t out[SM_CHUNK_HDR_LEN]);
int sm_chunk_hdr_decode(const uint8_t in[SM_CHUNK_HDR_LEN],
			struct sm_chunk_hdr *h, struct sm_err *e);

/* Entry size of a chunk of nrecords records, ndata of which carry data. */
uint64_t sm_chunk_size(uint32_t nrecords, uint32_t ndata);
/* The same from the records' data bytes (the helper's are longer). */
uint64_t sm_chunk_size_bytes(uint32_t nrecords, uint64_t data_bytes);

/* "sevmig/pages/%08llu" into buf (SM_CHUNK_NAME_MAX bytes). */
void sm_chunk_name(uint64_t chunk, char buf[SM_CHUNK_NAME_MAX]);

/*
 * The importer's view of the record sequence: validates chunks and
 * records against the manifest and the shared regions as they arrive,
 * in constant memory, and counts them by kind.
 */
struct sm_rec_seq;

/* m and shared must outlive the sequence.  shared may be empty. */
int sm_rec_seq_new(const struct sm_manifest *m, const struct sm_shared *shared,
		   struct sm_rec_seq **s, struct sm_err *e);
void sm_rec_seq_free(struct sm_rec_seq *s);

/*
 * A chunk entry begins: name must be the next chunk's name, the header
 * must continue the record sequence, size must be within what nrecords
 * records can take.  Fills h.
 */
int sm_rec_seq_chunk(struct sm_rec_seq *s, const char *name, uint64_t size,
		     const uint8_t raw[SM_CHUNK_HDR_LEN],
		     struct sm_chunk_hdr *h, struct sm_err *e);
/*
 * The next record header of the current chunk: decoded, then checked:
 * its index is the next one, a page record has the gpa of the next page
 * of the layout and a kind that agrees with the shared regions (private
 * outside them, shared or zero inside), a VMSA record comes after every
 * page, names the next vCPU and only exists for SEV-ES.
 */
int sm_rec_seq_record(struct sm_rec_seq *s, const uint8_t raw[SM_REC_HDR_LEN],
		      struct sm_rec *r, struct sm_err *e);
/* The current chunk ended: all its records were read, sizes add up. */
int sm_rec_seq_chunk_end(struct sm_rec_seq *s, struct sm_err *e);
/* No more chunks: every page and (ES) every VMSA arrived. */
int sm_rec_seq_finish(struct sm_rec_seq *s, struct sm_err *e);

/* Counts so far. */
void sm_rec_seq_counts(const struct sm_rec_seq *s, struct sm_counts *c,
		       uint64_t *records, uint64_t *chunks);

#endif
