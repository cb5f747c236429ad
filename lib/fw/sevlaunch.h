/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_SEVLAUNCH_H
#define SEVMIG_SEVLAUNCH_H

/*
 * SEV launch crypto, as AMD's firmware computes it and the guest owner
 * checks it (shared/reference/sev-migration-protocol.md sections 2.4 and
 * 2.6; the sevctl vectors in shared/testdata/sevctl-vectors):
 *   LAUNCH_MEASURE  MEASURE = HMAC-SHA256(TIK, 0x04 || API_MAJOR ||
 *                   API_MINOR || BUILD || POLICY[4 le] || LD[32] ||
 *                   MNONCE[16]); the blob is MEASURE || MNONCE
 *   LAUNCH_SECRET   TRANS = AES-128-CTR(TEK, IV) over the plaintext;
 *                   header FLAGS[4] || IV[16] || MAC[32], MAC =
 *                   HMAC-SHA256(TIK, 0x01 || FLAGS || IV || GUEST_LEN[4 le]
 *                   || TRANS_LEN[4 le] || TRANS || MEASURE[32])
 * OpenSSL 3 EVP only.  Never log what these functions take or return.
 */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SM_LAUNCH_KEY_LEN 16u
#define SM_MEASURE_LEN 32u
#define SM_MNONCE_LEN 16u
#define SM_MEASURE_BLOB_LEN (SM_MEASURE_LEN + SM_MNONCE_LEN)
#define SM_LAUNCH_DIGEST_LEN 32u
#define SM_SECRET_HDR_LEN 0x34u
#define SM_SECRET_IV_LEN 16u

/* The platform and guest fields LAUNCH_MEASURE covers. */
struct sm_launch_info {
	uint8_t api_major;
	uint8_t api_minor;
	uint8_t build;
	uint32_t policy;
};

/*
 * MEASURE (32 bytes) for launch digest ld and nonce mnonce under tik.
 * 0, or -1 with SM_EXIT_FAILURE (an OpenSSL failure) in e.
 */
int sm_launch_measure(const uint8_t tik[SM_LAUNCH_KEY_LEN],
		      const struct sm_launch_info *li,
		      const uint8_t ld[SM_LAUNCH_DIGEST_LEN],
		      const uint8_t mnonce[SM_MNONCE_LEN],
		      uint8_t measure[SM_MEASURE_LEN], struct sm_err *e);

/*
 * LAUNCH_SECRET's packet: encrypt len bytes of plain (a multiple of 16)
 * into trans (len bytes) under tek with iv, and write the 0x34-byte header
 * whose MAC binds flags, iv, the lengths, the ciphertext and the launch
 * measurement.  0, or -1 with e set.
 */
int sm_launch_secret_seal(const uint8_t tek[SM_LAUNCH_KEY_LEN],
			  const uint8_t tik[SM_LAUNCH_KEY_LEN],
			  const uint8_t iv[SM_SECRET_IV_LEN], uint32_t flags,
			  const uint8_t *plain, size_t len,
			  const uint8_t measure[SM_MEASURE_LEN], uint8_t *trans,
			  uint8_t hdr[SM_SECRET_HDR_LEN], struct sm_err *e);

#endif
