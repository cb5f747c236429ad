/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_PAGECRYPT_H
#define SEVMIG_PAGECRYPT_H

/*
 * The page sealing the guest's own migration code shares: the migration
 * helper (fw/mh.c) and the SVSM (fw/svsm.c).  AES-256-GCM of one 4 KiB
 * page with an IV of a 64-bit record counter, and HKDF for their session
 * keys.  OpenSSL 3 EVP; no OpenSSL type in this header.
 */

#include <stddef.h>
#include <stdint.h>

#define SM_PC_KEY_LEN 32u
#define SM_PC_IV_LEN 12u
#define SM_PC_TAG_LEN 16u

/* The GCM IV of record seq: seq as 8 little-endian bytes, 4 zero bytes. */
void sm_pc_iv(uint64_t seq, uint8_t iv[SM_PC_IV_LEN]);

/*
 * AES-256-GCM of one 4096-byte page under key: enc 1 seals in into out
 * and writes tag, 0 opens in into out checking tag.  aad_len bytes of
 * additional data.  0, or -1 (a tag that does not verify, an OpenSSL
 * failure).  Each thread keeps its contexts keyed for the last key it
 * used (wiped when the thread ends or the key changes), so a page costs
 * an IV, not a key schedule.
 */
int sm_pc_gcm_page(int enc, const uint8_t key[SM_PC_KEY_LEN],
		   const uint8_t iv[SM_PC_IV_LEN], const uint8_t *aad,
		   size_t aad_len, const uint8_t *in, uint8_t *out,
		   uint8_t tag[SM_PC_TAG_LEN]);

/* HKDF (RFC 5869) with SHA-256 or SHA-384. */
enum sm_pc_md { SM_PC_SHA256, SM_PC_SHA384 };

/* out_len bytes of HKDF-md(ikm, salt, info) into out.  0 or -1. */
int sm_pc_hkdf(enum sm_pc_md md, const uint8_t *ikm, size_t ikm_len,
	       const uint8_t *salt, size_t salt_len, const uint8_t *info,
	       size_t info_len, uint8_t *out, size_t out_len);

#endif
