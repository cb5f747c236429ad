/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_OSSL_H
#define SEVMIG_OSSL_H

/*
 * Small OpenSSL helpers shared by cert.c and sevcrypto.c: digests, random
 * bytes, error-queue draining.  No OpenSSL type appears in this header.
 */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SM_SHA256_LEN 32
#define SM_SHA384_LEN 48

int sm_sha256(const void *buf, size_t len, uint8_t out[SM_SHA256_LEN]);
int sm_sha384(const void *buf, size_t len, uint8_t out[SM_SHA384_LEN]);

/* Cryptographically secure random bytes (RAND_bytes).  0 or -1. */
int sm_random(void *buf, size_t len);

/* Constant-time compare (CRYPTO_memcmp): 0 when equal. */
int sm_ct_memcmp(const void *a, const void *b, size_t len);

/*
 * Like sm_err_set, then append the drained OpenSSL error queue
 * (": <lib error string>; ...") when it holds anything.  Returns -1.
 */
int sm_err_ossl(struct sm_err *e, enum sm_exit code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Drop whatever is queued (after an expected failure). */
void sm_ossl_clear_errors(void);

/* "OpenSSL 3.0.x ..." of the library actually linked. */
const char *sm_ossl_version(void);

/* Incremental SHA-256 (the archive trailer digest, guest digests). */
struct sm_sha256;
int sm_sha256_new(struct sm_sha256 **c);
int sm_sha256_update(struct sm_sha256 *c, const void *buf, size_t len);
/* Writes the digest; the context may not be updated afterwards. */
int sm_sha256_final(struct sm_sha256 *c, uint8_t out[SM_SHA256_LEN]);
void sm_sha256_free(struct sm_sha256 *c);

#endif
