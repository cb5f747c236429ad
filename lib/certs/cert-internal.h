/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_CERT_INTERNAL_H
#define SEVMIG_CERT_INTERNAL_H

/*
 * What the certificate modules (sev-cert.c, amd-cert.c, chain.c, keys.c)
 * share and nothing else sees: the byte layouts, the key object, the
 * algorithm predicates and the OpenSSL conversions.  Public API: cert.h.
 */

#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "certs/cert.h"

/* SEV certificate layout (offsets in the 0x824-byte certificate). */
#define SEV_VERSION 0x000
#define SEV_API_MAJOR 0x004
#define SEV_API_MINOR 0x005
#define SEV_USAGE 0x008
#define SEV_ALGO 0x00C
#define SEV_CURVE 0x010
#define SEV_QX 0x014
#define SEV_QY 0x05C
#define SEV_COORD_LEN 72
#define SEV_SIG_USAGE(i) (0x414 + (i)*0x208)
#define SEV_SIG_ALGO(i) (0x418 + (i)*0x208)
#define SEV_SIG(i) (0x41C + (i)*0x208)
#define SEV_SIG_LEN 0x200
#define SEV_SIG_S 0x48 /* S inside an ECDSA signature */

#define P384_LEN 48
#define KDS_BUG_USAGE 0x0010 /* AMDESE/AMDSEV#18 */

/* AMD certificate layout. */
#define AMD_VERSION 0x00
#define AMD_KEY_ID 0x04
#define AMD_CERT_ID 0x14
#define AMD_USAGE 0x24
#define AMD_PUBEXP_BITS 0x38
#define AMD_MODULUS_BITS 0x3C
#define AMD_PUBEXP 0x40

struct sm_key {
	EVP_PKEY *pkey;
	int is_ec;
};

static inline void reverse(uint8_t *dst, const uint8_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = src[n - 1 - i];
}

static inline int algo_known(uint32_t a)
{
	return strcmp(sm_algo_name(a), "invalid") != 0;
}

static inline int algo_is_ecdsa(uint32_t a)
{
	return a == SM_ALGO_ECDSA_SHA256 || a == SM_ALGO_ECDSA_SHA384;
}

static inline int algo_is_ecdh(uint32_t a)
{
	return a == SM_ALGO_ECDH_SHA256 || a == SM_ALGO_ECDH_SHA384;
}

static inline int algo_is_rsa(uint32_t a)
{
	return a == SM_ALGO_RSA_SHA256 || a == SM_ALGO_RSA_SHA384;
}

static inline int algo_is_384(uint32_t a)
{
	return (a & 0x100) != 0;
}

static inline const EVP_MD *algo_md(uint32_t a)
{
	return algo_is_384(a) ? EVP_sha384() : EVP_sha256();
}

/* Defined in sev-cert.c, amd-cert.c and keys.c, used across them. */
EVP_PKEY *smc_sev_pubkey(const struct sm_sev_cert *c, struct sm_err *e);
/* An uncompressed P-384 point (0x04 || x || y) as a public key. */
EVP_PKEY *smc_p384_pubkey(const uint8_t pt[1 + 2 * P384_LEN], const char *what,
			  struct sm_err *e);
EVP_PKEY *smc_rsa_pubkey(const uint8_t *n_le, size_t n_len, const uint8_t *e_le,
			 size_t e_len, struct sm_err *e);
int smc_pss_setup(EVP_PKEY_CTX *pctx, const EVP_MD *md);
/* 1 when sig_le (little-endian, siglen bytes) is a valid RSASSA-PSS
 * signature of body by pkey. */
int smc_pss_verify(EVP_PKEY *pkey, const EVP_MD *md, const uint8_t *body,
		   size_t len, const uint8_t *sig_le, size_t siglen);
/* "<subject> carries no <signer> signature (...)": SM_EXIT_VERIFY, -1. */
int smc_no_slot(const struct sm_sev_cert *subject, const char *signer,
		struct sm_err *e);

#endif
