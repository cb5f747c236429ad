/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_CERT_H
#define SEVMIG_CERT_H

/*
 * SEV certificates (0x824 bytes: PDH, PEK, OCA, CEK) and AMD certificates
 * (ARK, ASK; 832 or 1600 bytes), their signatures, chain verification, and
 * the key generation and signing the simulated platform needs.
 * Formats: shared/reference/sev-certificates.md.  Outside dependency:
 * OpenSSL (EVP only).  No OpenSSL type appears in this header.
 */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SM_SEV_CERT_LEN 0x824u /* 2084 */
#define SM_SEV_CHAIN_LEN (3 * SM_SEV_CERT_LEN) /* PEK||OCA||CEK, 0x186C */
#define SM_SEV_BODY_LEN 0x414u /* signed bytes 0x000-0x413 */
#define SM_AMD_CERT_2K 832u
#define SM_AMD_CERT_4K 1600u
#define SM_AMD_CERT_MAX SM_AMD_CERT_4K
#define SM_AMD_CERT_NAPLES_BAD 576u /* the unsigned Naples ARK */
#define SM_KEY_ID_LEN 16

enum sm_usage {
	SM_USAGE_ARK = 0x0000,
	SM_USAGE_ASK = 0x0013,
	SM_USAGE_INVALID = 0x1000, /* marks an empty signature slot */
	SM_USAGE_OCA = 0x1001,
	SM_USAGE_PEK = 0x1002,
	SM_USAGE_PDH = 0x1003,
	SM_USAGE_CEK = 0x1004,
};

enum sm_algo {
	SM_ALGO_NONE = 0x000,
	SM_ALGO_RSA_SHA256 = 0x001,
	SM_ALGO_ECDSA_SHA256 = 0x002,
	SM_ALGO_ECDH_SHA256 = 0x003,
	SM_ALGO_RSA_SHA384 = 0x101,
	SM_ALGO_ECDSA_SHA384 = 0x102,
	SM_ALGO_ECDH_SHA384 = 0x103,
};

#define SM_CURVE_P384 2

/* "PDH", "PEK", ..., "ARK", "ASK"; "invalid" for anything else. */
const char *sm_usage_name(uint32_t usage);
/* "ECDSA_SHA256", ... */
const char *sm_algo_name(uint32_t algo);

/* A parsed SEV-format certificate: the raw bytes plus decoded fields. */
struct sm_sev_cert {
	uint8_t raw[SM_SEV_CERT_LEN];
	uint32_t version;
	uint8_t api_major, api_minor;
	uint32_t usage, algo;
	uint32_t curve; /* EC keys */
	uint32_t sig_usage[2]; /* slot 1 and 2 */
	uint32_t sig_algo[2];
};

/* A parsed AMD-format certificate (ARK or ASK). */
struct sm_amd_cert {
	uint8_t raw[SM_AMD_CERT_MAX];
	size_t len; /* bytes used in raw */
	uint8_t key_id[SM_KEY_ID_LEN];
	uint8_t certifying_id[SM_KEY_ID_LEN];
	uint32_t usage; /* SM_USAGE_ARK or SM_USAGE_ASK */
	uint32_t pubexp_bits, modulus_bits;
	int has_signature; /* 0 only for the 576-byte Naples ARK */
};

/*
 * Parse exactly one SEV certificate of len bytes.  Strict: size 0x824,
 * version 1, a known usage, a known algorithm that fits the usage, P-384
 * for EC keys, known or empty signature slots.  SM_EXIT_VERIFY on a bad
 * certificate, with a message naming the field.
 */
int sm_sev_cert_parse(const uint8_t *buf, size_t len, struct sm_sev_cert *c,
		      struct sm_err *e);

/*
 * Parse one AMD certificate at the start of buf (len may be larger, as for
 * an ASK||ARK file); *used gets its size.  Accepts the 576-byte unsigned
 * Naples ARK (has_signature = 0) only when it is the whole of what is left.
 */
int sm_amd_cert_parse(const uint8_t *buf, size_t len, struct sm_amd_cert *c,
		      size_t *used, struct sm_err *e);

/* Both signature slots empty (as PDH_CERT_EXPORT returns the CEK). */
int sm_sev_cert_is_unsigned(const struct sm_sev_cert *c);

/*
 * One link: signer signs subject.  Tries both slots; the slot's usage must
 * equal the signer's usage and its algorithm must match the signer's key
 * type and hash.  0 if it verifies, -1 with SM_EXIT_VERIFY otherwise (the
 * message says which rule failed).
 */
int sm_sev_cert_verify(const struct sm_sev_cert *signer,
		       const struct sm_sev_cert *subject, struct sm_err *e);
/* ASK signs CEK (RSA-PSS, SHA-256 for 2048-bit ASKs, SHA-384 for 4096). */
int sm_sev_cert_verify_by_amd(const struct sm_amd_cert *ask,
			      const struct sm_sev_cert *cek, struct sm_err *e);
/* ARK signs ASK, or ARK signs itself (signer == subject).  Checks ids. */
int sm_amd_cert_verify(const struct sm_amd_cert *signer,
		       const struct sm_amd_cert *subject, struct sm_err *e);

/*
 * Fingerprints as sevctl prints them: the digest of the signed body with
 * the key's hash (SHA-256 for SEV certificates and 2048-bit AMD keys,
 * SHA-384 for 4096-bit AMD keys).  *len gets 32 or 48.
 */
void sm_sev_cert_fingerprint(const struct sm_sev_cert *c, uint8_t out[48],
			     size_t *len);
void sm_amd_cert_fingerprint(const struct sm_amd_cert *c, uint8_t out[48],
			     size_t *len);

/* The P-384 public key of c as big-endian x and y. */
void sm_sev_cert_pubkey(const struct sm_sev_cert *c, uint8_t x[48],
			uint8_t y[48]);
/*
 * The RSA key of c: the modulus big-endian into n (modulus_bits / 8
 * bytes) and the public exponent (UINT64_MAX if it does not fit).
 */
void sm_amd_cert_pubkey(const struct sm_amd_cert *c, uint8_t *n,
			uint64_t *exponent);

/*
 * The key column sevctl prints: "EP384 E256" (ECDSA), "EP384 D256" (ECDH),
 * "R4096 R384" (RSA with its hash).  buf holds at least 16 bytes.
 */
const char *sm_sev_cert_key_desc(const struct sm_sev_cert *c, char *buf,
				 size_t n);
const char *sm_amd_cert_key_desc(const struct sm_amd_cert *c, char *buf,
				 size_t n);

/* Products, in the order tried when detecting which ASK signs a CEK. */
enum sm_product {
	SM_PRODUCT_UNKNOWN = 0,
	SM_PRODUCT_NAPLES,
	SM_PRODUCT_ROME,
	SM_PRODUCT_MILAN,
	SM_PRODUCT_GENOA,
	SM_PRODUCT_TURIN,
	SM_PRODUCT_COUNT,
};

const char *sm_product_name(enum sm_product p); /* "naples", ... */
int sm_product_parse(const char *name, enum sm_product *p);

/* What a chain holds; any part may be missing. */
enum {
	SM_HAVE_PDH = 1 << 0,
	SM_HAVE_PEK = 1 << 1,
	SM_HAVE_OCA = 1 << 2,
	SM_HAVE_CEK = 1 << 3,
	SM_HAVE_ASK = 1 << 4,
	SM_HAVE_ARK = 1 << 5,
	SM_HAVE_ALL = (1 << 6) - 1,
};

struct sm_chain {
	struct sm_sev_cert pdh, pek, oca, cek;
	struct sm_amd_cert ask, ark;
	unsigned have; /* SM_HAVE_* bits */
};

/* The links sevmig-certs verify reports, in print order. */
enum sm_link {
	SM_LINK_PDH_BY_PEK,
	SM_LINK_PEK_BY_OCA,
	SM_LINK_OCA_SELF,
	SM_LINK_PEK_BY_CEK,
	SM_LINK_CEK_BY_ASK,
	SM_LINK_ASK_BY_ARK,
	SM_LINK_ARK_SELF,
	SM_LINK_ARK_TRUSTED, /* ARK equals the pinned root (or --ark) */
	SM_LINK_COUNT,
};

enum sm_link_status {
	SM_LINK_OK = 0,
	SM_LINK_FAILED,
	SM_LINK_MISSING, /* a certificate needed for this link is absent */
	SM_LINK_UNSIGNED, /* CEK not signed by an ASK (firmware export) */
};

struct sm_verify_result {
	enum sm_product product; /* named, or detected from the ASK */
	enum sm_link_status status[SM_LINK_COUNT];
	/*
	 * Why a link is not OK; for an OK link, a note the user should see
	 * as a warning (e.g. the unsigned Naples ARK was completed), or "".
	 */
	char reason[SM_LINK_COUNT][200];
	int ok; /* every link SM_LINK_OK */
	/*
	 * The ASK and ARK the links were checked with (the chain's, the
	 * trusted ones given, or the built-in ones), NULL when none; they
	 * point into the chain, the trust or the built-in roots.
	 */
	const struct sm_amd_cert *ask, *ark;
};

/*
 * Trust anchors for sm_chain_verify.  ark == NULL means the built-in AMD
 * roots (pinned by SHA-256); otherwise that ARK is the only trusted root
 * (--ark, simulated hosts).  product UNKNOWN means detect it from which
 * ASK signs the CEK.  When the chain carries no ASK/ARK the built-in (or
 * the given ark's matching built-in ASK) are used.
 */
struct sm_trust {
	const struct sm_amd_cert *ark;
	const struct sm_amd_cert *ask; /* optional, with ark */
	enum sm_product product;
};

/* "PEK signs PDH", "OCA self-signed", ..., "ARK trusted". */
const char *sm_link_name(enum sm_link l);
/* "ok", "failed", "missing", "unsigned". */
const char *sm_link_status_name(enum sm_link_status s);

/*
 * 1 if c is the 576-byte unsigned Naples ARK (AMDESE/AMDSEV#17) whose
 * signed part equals the built-in Naples ARK's: the verifier then checks
 * it with the pinned built-in signature, as virtee/sev does.
 */
int sm_amd_cert_is_known_unsigned_ark(const struct sm_amd_cert *c);

/*
 * Verify every link: PDH<-PEK, PEK<-OCA, OCA self, PEK<-CEK, CEK<-ASK,
 * ASK<-ARK, ARK self, ARK trusted.  Fills r for every link, even after a
 * failure.  Returns 0 when all links hold; -1 with SM_EXIT_VERIFY and a
 * message naming the first failing link otherwise.
 */
int sm_chain_verify(const struct sm_chain *ch, const struct sm_trust *t,
		    struct sm_verify_result *r, struct sm_err *e);

/* ---- keys and signing (the simulated platform, tests) ---- */

struct sm_key; /* an EC P-384 or RSA private key */

int sm_key_generate_ec(struct sm_key **k, struct sm_err *e);
int sm_key_generate_rsa(struct sm_key **k, unsigned bits, struct sm_err *e);
/* PEM (PKCS#8); saved with mode 0600. */
int sm_key_load_pem(const char *path, struct sm_key **k, struct sm_err *e);
int sm_key_save_pem(const struct sm_key *k, const char *path, struct sm_err *e);
void sm_key_free(struct sm_key *k);

/*
 * Fill c with a fresh SEV certificate for k's public key: version 1, the
 * given usage, algorithm and API version, both slots empty.
 */
int sm_sev_cert_init(struct sm_sev_cert *c, const struct sm_key *k,
		     uint32_t usage, uint32_t algo, uint8_t api_major,
		     uint8_t api_minor, struct sm_err *e);
/*
 * Sign c's body with an EC key into slot (0 or 1), recording the signer's
 * usage and ECDSA_SHA256.
 */
int sm_sev_cert_sign(struct sm_sev_cert *c, int slot, const struct sm_key *k,
		     uint32_t signer_usage, struct sm_err *e);
/* Sign a CEK with an ASK's RSA key into slot 0 (RSA_SHA256/384 by size). */
int sm_sev_cert_sign_by_amd(struct sm_sev_cert *c, const struct sm_key *k,
			    struct sm_err *e);
/*
 * Build an AMD certificate for RSA key k (public part), usage ARK or ASK,
 * its key id, signed by signer (k itself for an ARK) whose key id becomes
 * the certifying id.  RSA-PSS, salt = digest length.
 */
int sm_amd_cert_build(struct sm_amd_cert *c, const struct sm_key *k,
		      uint32_t usage, const uint8_t key_id[SM_KEY_ID_LEN],
		      const struct sm_key *signer,
		      const uint8_t signer_id[SM_KEY_ID_LEN], struct sm_err *e);

/* 1 if k is the private half of the public key in c. */
int sm_key_matches_sev_cert(const struct sm_key *k,
			    const struct sm_sev_cert *c);

/*
 * ECDH P-384 between our private key and the public key in peer (a PDH):
 * z gets the 48-byte big-endian X coordinate (EVP_PKEY_derive).
 */
int sm_key_ecdh(const struct sm_key *k, const struct sm_sev_cert *peer,
		uint8_t z[48], struct sm_err *e);
/* The same with a peer's uncompressed point (0x04 || x || y, 97 bytes). */
int sm_key_ecdh_point(const struct sm_key *k, const uint8_t peer[97],
		      uint8_t z[48], struct sm_err *e);
/* k's (EC) public key as an uncompressed point, 0x04 || x || y. */
int sm_key_ec_point(const struct sm_key *k, uint8_t out[97], struct sm_err *e);

/*
 * The PDH sanity check SEND_START and RECEIVE_START apply (version 1,
 * usage PDH, algorithm ECDH_SHA256, a valid P-384 point).
 */
int sm_sev_cert_pdh_sane(const uint8_t *buf, size_t len, struct sm_err *e);

#endif
