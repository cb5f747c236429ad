/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_SEVCRYPTO_H
#define SEVMIG_SEVCRYPTO_H

/*
 * SEV transport crypto, exactly as AMD's firmware does it
 * (shared/reference/sev-migration-protocol.md section 2):
 *   KDF      NIST SP 800-108 counter mode, HMAC-SHA256,
 *            le32(i) || label || 0x00 || context || le32(bits)
 *   session  0x80 bytes: NONCE, WRAP_TK (AES-128-CTR under KEK), WRAP_IV,
 *            WRAP_MAC (HMAC-SHA256 under KIK), POLICY_MAC (under TIK)
 *   packet   0x34-byte header: FLAGS, IV, MAC; AES-128-CTR under TEK and
 *            HMAC-SHA256 under TIK over 0x02||flags||IV||size||size||ct
 * OpenSSL 3 EVP only.  Keys are wiped after use; MACs compared in
 * constant time.  Never log what these functions take or return.
 */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SM_SESSION_LEN 0x80u
#define SM_PKT_HDR_LEN 0x34u
#define SM_ECDH_Z_LEN 48u
#define SM_PKT_FLAG_COMPRESSED 0x1u
#define SM_PKT_CTX_SECRET 0x01
#define SM_PKT_CTX_DATA 0x02 /* also used by the firmware for VMSAs */
#define SM_PKT_CTX_MEASURE 0x04 /* LAUNCH_MEASURE's HMAC */

/* The transport keys SEND_START makes and RECEIVE_START recovers. */
struct sm_tk {
	uint8_t tek[16];
	uint8_t tik[16];
};

/* SP 800-108 KDF, 128-bit output.  ctx may be NULL with ctx_len 0. */
int sm_kdf(const uint8_t *kin, size_t kin_len, const char *label,
	   const uint8_t *ctx, size_t ctx_len, uint8_t out[16]);

/*
 * Sender side: wrap tk for the peer.  z is the ECDH shared secret (48
 * bytes in real use; the test vectors use 16), nonce and wrap_iv 16 bytes
 * each (random in real use), policy the guest policy.
 */
int sm_session_build(const uint8_t *z, size_t z_len, const uint8_t nonce[16],
		     const uint8_t wrap_iv[16], const struct sm_tk *tk,
		     uint32_t policy, uint8_t blob[SM_SESSION_LEN],
		     struct sm_err *e);

/*
 * Receiver side: verify WRAP_MAC, unwrap TEK||TIK, verify POLICY_MAC
 * against policy.  A MAC mismatch is SM_EXIT_VERIFY and says which MAC.
 */
int sm_session_open(const uint8_t *z, size_t z_len,
		    const uint8_t blob[SM_SESSION_LEN], uint32_t policy,
		    struct sm_tk *tk, struct sm_err *e);

/* One-shot HMAC-SHA256 of msg under key (LAUNCH_MEASURE).  0 or -1. */
int sm_hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *msg,
		   size_t len, uint8_t out[32]);

/* Reusable cipher and MAC contexts for one session's packets. */
struct sm_pkt;

int sm_pkt_new(struct sm_pkt **p, const struct sm_tk *tk, struct sm_err *e);
void sm_pkt_free(struct sm_pkt *p); /* wipes the keys */

/*
 * Seal len bytes (a multiple of 16, at most 0x5000) with the given IV into
 * trans and write the 0x34-byte header.  flags must not have COMPRESSED.
 */
int sm_pkt_seal(struct sm_pkt *p, const uint8_t iv[16], uint32_t flags,
		const uint8_t *plain, size_t len, uint8_t *trans,
		uint8_t hdr[SM_PKT_HDR_LEN], struct sm_err *e);

/*
 * Verify the header's MAC over trans (constant-time), then decrypt into
 * plain.  MAC mismatch: SM_EXIT_VERIFY, plain untouched.
 */
int sm_pkt_open(struct sm_pkt *p, const uint8_t hdr[SM_PKT_HDR_LEN],
		const uint8_t *trans, size_t len, uint8_t *plain,
		struct sm_err *e);

/*
 * LAUNCH_SECRET packets: the same header, CTR and HMAC, with context byte
 * 0x01 and the guest's launch MEASURE (32 bytes) after the ciphertext in
 * the MAC (API >= 0.17).
 */
int sm_pkt_seal_secret(struct sm_pkt *p, const uint8_t measure[32],
		       const uint8_t iv[16], uint32_t flags,
		       const uint8_t *plain, size_t len, uint8_t *trans,
		       uint8_t hdr[SM_PKT_HDR_LEN], struct sm_err *e);
int sm_pkt_open_secret(struct sm_pkt *p, const uint8_t measure[32],
		       const uint8_t hdr[SM_PKT_HDR_LEN], const uint8_t *trans,
		       size_t len, uint8_t *plain, struct sm_err *e);

#endif
