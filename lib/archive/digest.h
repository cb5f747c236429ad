/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_DIGEST_H
#define SEVMIG_DIGEST_H

/*
 * The archive's integrity digest (docs/sevmig-archive.5): a hash over
 * every entry before the trailer that catches accidental damage.  It is
 * not keyed (the source and target share no secret the host cannot see),
 * so it is chosen for what it must do and what it costs per page:
 *
 *   "xxh3-128"  XXH3, 128 bits (libxxhash): what sevmig writes, a small
 *               fraction of SHA-256's cost per page;
 *   "sha256"    SHA-256: what sevmig wrote before, still read, and
 *               written on request (--digest sha256).
 *
 * Text form "NAME:HEX" in the trailer and the reports.
 */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum sm_digest_alg {
	SM_DIGEST_XXH3_128, /* 0: what a zeroed option means */
	SM_DIGEST_SHA256,
	SM_DIGEST_COUNT,
};

#define SM_DIGEST_MAX_LEN 32
/* "xxh3-128:" or "sha256:" and the hex, with its NUL. */
#define SM_DIGEST_TEXT_MAX (9 + 2 * SM_DIGEST_MAX_LEN + 1)

struct sm_digest_value {
	enum sm_digest_alg alg;
	uint8_t b[SM_DIGEST_MAX_LEN]; /* sm_digest_len(alg) bytes used */
};

const char *sm_digest_name(enum sm_digest_alg alg);
size_t sm_digest_len(enum sm_digest_alg alg);
/* NAME to alg; -1 for a name this sevmig does not know. */
int sm_digest_parse_name(const char *name, enum sm_digest_alg *alg);
/* "NAME:HEX" (lowercase hex of the full length) to a value; -1 if not. */
int sm_digest_parse(const char *text, struct sm_digest_value *v);
void sm_digest_format(const struct sm_digest_value *v,
		      char out[SM_DIGEST_TEXT_MAX]);
/* 1 when a and b are the same algorithm and bytes (constant time). */
int sm_digest_equal(const struct sm_digest_value *a,
		    const struct sm_digest_value *b);

/* Incremental. */
struct sm_digest;
int sm_digest_new(enum sm_digest_alg alg, struct sm_digest **d,
		  struct sm_err *e);
int sm_digest_update(struct sm_digest *d, const void *buf, size_t len);
/* The value; d may not be updated afterwards. */
int sm_digest_final(struct sm_digest *d, struct sm_digest_value *v);
enum sm_digest_alg sm_digest_alg_of(const struct sm_digest *d);
void sm_digest_free(struct sm_digest *d);

#endif
