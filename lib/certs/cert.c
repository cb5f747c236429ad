// SPDX-License-Identifier: MIT
/*
 * SEV and AMD certificates: strict parsing, signatures, chain verification,
 * and the key handling the simulated platform needs.  Formats and rules:
 * shared/reference/sev-certificates.md §1-3.  Every big number in these
 * formats is a little-endian byte string in a fixed, zero-padded field;
 * OpenSSL wants big-endian, so everything crossing that line is reversed.
 *
 * Why so strict: a certificate whose bytes are not all accounted for (an
 * unknown slot usage, padding that is not zero) can mean two files that
 * verify alike but differ, or a parser bug hiding a forgery.  Every byte
 * of a certificate is either covered by a signature or required to hold
 * one exact value, so any single changed byte makes a chain fail.
 */
#include "certs/cert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "base/bytes.h"
#include "base/log.h"
#include "base/ossl.h"
#include "certs/roots.h"
#include "base/util.h"

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
#define SEV_SIG_USAGE(i) (0x414 + (i) * 0x208)
#define SEV_SIG_ALGO(i) (0x418 + (i) * 0x208)
#define SEV_SIG(i) (0x41C + (i) * 0x208)
#define SEV_SIG_LEN 0x200
#define SEV_SIG_S 0x48		/* S inside an ECDSA signature */

#define P384_LEN 48
#define KDS_BUG_USAGE 0x0010	/* AMDESE/AMDSEV#18 */

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

static void reverse(uint8_t *dst, const uint8_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = src[n - 1 - i];
}

const char *sm_usage_name(uint32_t usage)
{
	switch (usage) {
	case SM_USAGE_ARK: return "ARK";
	case SM_USAGE_ASK: return "ASK";
	case SM_USAGE_OCA: return "OCA";
	case SM_USAGE_PEK: return "PEK";
	case SM_USAGE_PDH: return "PDH";
	case SM_USAGE_CEK: return "CEK";
	default: return "invalid";
	}
}

const char *sm_algo_name(uint32_t algo)
{
	switch (algo) {
	case SM_ALGO_NONE: return "NONE";
	case SM_ALGO_RSA_SHA256: return "RSA_SHA256";
	case SM_ALGO_ECDSA_SHA256: return "ECDSA_SHA256";
	case SM_ALGO_ECDH_SHA256: return "ECDH_SHA256";
	case SM_ALGO_RSA_SHA384: return "RSA_SHA384";
	case SM_ALGO_ECDSA_SHA384: return "ECDSA_SHA384";
	case SM_ALGO_ECDH_SHA384: return "ECDH_SHA384";
	default: return "invalid";
	}
}

static int algo_known(uint32_t a)
{
	return strcmp(sm_algo_name(a), "invalid") != 0;
}

static int algo_is_ecdsa(uint32_t a)
{
	return a == SM_ALGO_ECDSA_SHA256 || a == SM_ALGO_ECDSA_SHA384;
}

static int algo_is_ecdh(uint32_t a)
{
	return a == SM_ALGO_ECDH_SHA256 || a == SM_ALGO_ECDH_SHA384;
}

static int algo_is_rsa(uint32_t a)
{
	return a == SM_ALGO_RSA_SHA256 || a == SM_ALGO_RSA_SHA384;
}

static int algo_is_384(uint32_t a)
{
	return (a & 0x100) != 0;
}

static const EVP_MD *algo_md(uint32_t a)
{
	return algo_is_384(a) ? EVP_sha384() : EVP_sha256();
}

/* ---- SEV certificates ---- */

/* Is (usage, algo) a combination that can sign a SEV certificate? */
static int signing_pair(uint32_t usage, uint32_t algo)
{
	switch (usage) {
	case SM_USAGE_ASK:
		return algo_is_rsa(algo);
	case SM_USAGE_OCA:
	case SM_USAGE_PEK:
	case SM_USAGE_CEK:
		return algo_is_ecdsa(algo);
	default:
		return 0;
	}
}

static int parse_slot(const uint8_t *raw, int i, struct sm_err *e)
{
	uint32_t u = sm_get_le32(raw + SEV_SIG_USAGE(i));
	uint32_t a = sm_get_le32(raw + SEV_SIG_ALGO(i));
	const uint8_t *sig = raw + SEV_SIG(i);

	if (u == SM_USAGE_INVALID && a == SM_ALGO_NONE) {
		if (!sm_all_zero(sig, SEV_SIG_LEN))
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "empty signature slot %d is not zeroed",
					  i + 1);
		return 0;
	}
	if (u == KDS_BUG_USAGE)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "signature slot %d usage is 0x%04x instead of 0x%04x (empty): the 2019 KDS bug AMDESE/AMDSEV#18",
				  i + 1, u, SM_USAGE_INVALID);
	if (strcmp(sm_usage_name(u), "invalid") == 0 && u != SM_USAGE_INVALID)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "signature slot %d has unknown usage 0x%x",
				  i + 1, u);
	if (!algo_known(a))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "signature slot %d has unknown algorithm 0x%x",
				  i + 1, a);
	if (!signing_pair(u, a))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "signature slot %d: usage %s (0x%x) with algorithm %s cannot sign",
				  i + 1,
				  u == SM_USAGE_INVALID ? "empty" :
							  sm_usage_name(u),
				  u, sm_algo_name(a));
	if (algo_is_ecdsa(a) &&
	    (!sm_all_zero(sig + P384_LEN, SEV_COORD_LEN - P384_LEN) ||
	     !sm_all_zero(sig + SEV_SIG_S + P384_LEN,
		       SEV_SIG_LEN - SEV_SIG_S - P384_LEN)))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "signature slot %d: ECDSA signature padding is not zero",
				  i + 1);
	return 0;
}

/*
 * The P-384 public key in a SEV certificate's raw bytes as an EVP_PKEY.
 * The import refuses a coordinate of p or more and a point off the
 * curve; the point at infinity has no affine encoding (0, 0 is not on
 * P-384), so it is refused too.
 */
static EVP_PKEY *sev_raw_pubkey(const uint8_t *raw, uint32_t usage,
				struct sm_err *e)
{
	char group[] = SN_secp384r1;
	uint8_t pt[1 + 2 * P384_LEN];
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	pt[0] = 0x04; /* uncompressed point */
	reverse(pt + 1, raw + SEV_QX, P384_LEN);
	reverse(pt + 1 + P384_LEN, raw + SEV_QY, P384_LEN);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						      pt, sizeof(pt));
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		sm_err_ossl(e, SM_EXIT_VERIFY,
			    "%s public key is not a valid P-384 point",
			    sm_usage_name(usage));
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* 1 when the little-endian P-384 coordinate at le is p or more. */
static int coord_too_big(const uint8_t *le)
{
	/* p = 2^384 - 2^128 - 2^96 + 2^32 - 1, big-endian */
	static const uint8_t p[P384_LEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
	};
	uint8_t be[P384_LEN];

	reverse(be, le, P384_LEN);
	return memcmp(be, p, P384_LEN) >= 0;
}

/*
 * Every certificate's own key is checked when it is parsed, not only when
 * it signs: a PDH is never a signer, and a key at infinity, with a
 * coordinate of p or more, or off the curve, signed by a genuine PEK, must
 * not pass for a platform's key.  EVP_PKEY_public_check adds the full
 * check (on the curve, not infinity, order n) to what the import refuses.
 */
static int sev_key_check(const uint8_t *raw, uint32_t usage, struct sm_err *e)
{
	const char *un = sm_usage_name(usage);
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pub;
	int ok;

	if (sm_all_zero(raw + SEV_QX, P384_LEN) &&
	    sm_all_zero(raw + SEV_QY, P384_LEN))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "%s public key is the point at infinity", un);
	if (coord_too_big(raw + SEV_QX) || coord_too_big(raw + SEV_QY))
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"%s public key has a coordinate not below the P-384 prime",
			un);
	pub = sev_raw_pubkey(raw, usage, e);
	ctx = pub ? EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL) : NULL;
	ok = ctx && EVP_PKEY_public_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pub);
	if (ok)
		return 0;
	sm_ossl_clear_errors();
	return sm_err_set(e, SM_EXIT_VERIFY,
			  "%s public key is not a point on the P-384 curve",
			  un);
}

int sm_sev_cert_parse(const uint8_t *buf, size_t len, struct sm_sev_cert *c,
		      struct sm_err *e)
{
	const uint8_t *raw = buf;
	uint32_t v, u, a, curve;
	int i;

	if (len == 0)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "empty input, a SEV certificate has %u bytes",
				  SM_SEV_CERT_LEN);
	if (len != SM_SEV_CERT_LEN)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "wrong size %zu bytes, a SEV certificate has %u",
				  len, SM_SEV_CERT_LEN);
	v = sm_get_le32(raw + SEV_VERSION);
	if (v != 1)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "unsupported SEV certificate version %u, expected 1",
				  v);
	u = sm_get_le32(raw + SEV_USAGE);
	a = sm_get_le32(raw + SEV_ALGO);
	switch (u) {
	case SM_USAGE_OCA:
	case SM_USAGE_PEK:
	case SM_USAGE_CEK:
	case SM_USAGE_PDH:
		break;
	case SM_USAGE_ARK:
	case SM_USAGE_ASK:
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "usage %s is not a platform certificate usage",
				  sm_usage_name(u));
	default:
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "unknown certificate usage 0x%x", u);
	}
	if (!algo_known(a) || a == SM_ALGO_NONE)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "unknown public key algorithm 0x%x", a);
	if (u == SM_USAGE_PDH ? !algo_is_ecdh(a) : !algo_is_ecdsa(a))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "public key algorithm %s does not fit usage %s",
				  sm_algo_name(a), sm_usage_name(u));
	curve = sm_get_le32(raw + SEV_CURVE);
	if (curve != SM_CURVE_P384)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "unsupported curve %u, expected %u (P-384)",
				  curve, SM_CURVE_P384);
	if (!sm_all_zero(raw + SEV_QX + P384_LEN, SEV_COORD_LEN - P384_LEN) ||
	    !sm_all_zero(raw + SEV_QY + P384_LEN, SEV_COORD_LEN - P384_LEN))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "public key coordinate wider than P-384");
	for (i = 0; i < 2; i++)
		if (parse_slot(raw, i, e) < 0)
			return -1;
	if (sev_key_check(raw, u, e) < 0)
		return -1;

	memmove(c->raw, buf, SM_SEV_CERT_LEN);
	c->version = v;
	c->api_major = raw[SEV_API_MAJOR];
	c->api_minor = raw[SEV_API_MINOR];
	c->usage = u;
	c->algo = a;
	c->curve = curve;
	for (i = 0; i < 2; i++) {
		c->sig_usage[i] = sm_get_le32(c->raw + SEV_SIG_USAGE(i));
		c->sig_algo[i] = sm_get_le32(c->raw + SEV_SIG_ALGO(i));
	}
	return 0;
}

static int slot_empty(const struct sm_sev_cert *c, int i)
{
	return c->sig_usage[i] == SM_USAGE_INVALID &&
	       c->sig_algo[i] == SM_ALGO_NONE;
}

int sm_sev_cert_is_unsigned(const struct sm_sev_cert *c)
{
	return slot_empty(c, 0) && slot_empty(c, 1);
}

/* The P-384 public key of a SEV certificate as an EVP_PKEY. */
static EVP_PKEY *sev_pubkey(const struct sm_sev_cert *c, struct sm_err *e)
{
	return sev_raw_pubkey(c->raw, c->usage, e);
}

/* RSA public key from little-endian modulus and exponent fields. */
static EVP_PKEY *rsa_pubkey(const uint8_t *n_le, size_t n_len,
			    const uint8_t *e_le, size_t e_len,
			    struct sm_err *e)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *n, *x;

	n = BN_lebin2bn(n_le, (int)n_len, NULL);
	x = BN_lebin2bn(e_le, (int)e_len, NULL);
	if (!n || !x)
		goto err_bn;
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, x))
		goto err_bld;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
err_bld:
	OSSL_PARAM_BLD_free(bld);
err_bn:
	BN_free(n);
	BN_free(x);
	if (!pkey)
		sm_err_ossl(e, SM_EXIT_VERIFY, "invalid RSA public key");
	return pkey;
}

/* ECDSA check of body against little-endian r and s (72-byte fields). */
static int ecdsa_verify(EVP_PKEY *pkey, const EVP_MD *md, const uint8_t *body,
			size_t len, const uint8_t *sig)
{
	uint8_t *der = NULL;
	ECDSA_SIG *es;
	EVP_MD_CTX *mc = NULL;
	BIGNUM *r, *s;
	int n, ok = 0;

	r = BN_lebin2bn(sig, SEV_COORD_LEN, NULL);
	s = BN_lebin2bn(sig + SEV_SIG_S, SEV_COORD_LEN, NULL);
	es = ECDSA_SIG_new();
	if (!r || !s || !es) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	ECDSA_SIG_set0(es, r, s);
	n = i2d_ECDSA_SIG(es, &der);
	if (n <= 0)
		goto out;
	mc = EVP_MD_CTX_new();
	if (mc && EVP_DigestVerifyInit(mc, NULL, md, NULL, pkey) == 1 &&
	    EVP_DigestVerify(mc, der, (size_t)n, body, len) == 1)
		ok = 1;
out:
	EVP_MD_CTX_free(mc);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	sm_ossl_clear_errors();
	return ok;
}

static int pss_setup(EVP_PKEY_CTX *pctx, const EVP_MD *md)
{
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) ==
		       1 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1;
}

/* RSASSA-PSS (salt = digest length) of body; sig is little-endian. */
static int pss_verify(EVP_PKEY *pkey, const EVP_MD *md, const uint8_t *body,
		      size_t len, const uint8_t *sig_le, size_t siglen)
{
	uint8_t sig[SM_AMD_CERT_MAX];
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *mc;
	int ok = 0;

	if (siglen > sizeof(sig))
		return 0;
	reverse(sig, sig_le, siglen);
	mc = EVP_MD_CTX_new();
	if (mc && EVP_DigestVerifyInit(mc, &pctx, md, NULL, pkey) == 1 &&
	    pss_setup(pctx, md) &&
	    EVP_DigestVerify(mc, sig, siglen, body, len) == 1)
		ok = 1;
	EVP_MD_CTX_free(mc);
	sm_ossl_clear_errors();
	return ok;
}

static const char *slot_desc(const struct sm_sev_cert *c, int i, char *buf,
			     size_t n)
{
	if (slot_empty(c, i))
		snprintf(buf, n, "empty");
	else
		snprintf(buf, n, "%s/%s", sm_usage_name(c->sig_usage[i]),
			 sm_algo_name(c->sig_algo[i]));
	return buf;
}

static int no_slot(const struct sm_sev_cert *subject, const char *signer,
		   struct sm_err *e)
{
	char a[40], b[40];

	if (sm_sev_cert_is_unsigned(subject))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "%s is unsigned: both signature slots are empty",
				  sm_usage_name(subject->usage));
	return sm_err_set(e, SM_EXIT_VERIFY,
			  "%s carries no %s signature (slot 1: %s, slot 2: %s)",
			  sm_usage_name(subject->usage), signer,
			  slot_desc(subject, 0, a, sizeof(a)),
			  slot_desc(subject, 1, b, sizeof(b)));
}

int sm_sev_cert_verify(const struct sm_sev_cert *signer,
		       const struct sm_sev_cert *subject, struct sm_err *e)
{
	const char *sn = sm_usage_name(signer->usage);
	const char *tn = sm_usage_name(subject->usage);
	EVP_PKEY *pkey = NULL;
	int i, tried = 0, ret = -1;

	if (!algo_is_ecdsa(signer->algo))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "a %s key (%s) cannot sign", sn,
				  sm_algo_name(signer->algo));
	for (i = 0; i < 2; i++) {
		if (subject->sig_usage[i] != signer->usage)
			continue;
		tried = 1;
		if (subject->sig_algo[i] != signer->algo) {
			sm_err_set(e, SM_EXIT_VERIFY,
				   "%s slot %d algorithm %s does not match the %s key (%s)",
				   tn, i + 1, sm_algo_name(subject->sig_algo[i]),
				   sn, sm_algo_name(signer->algo));
			continue;
		}
		if (!pkey) {
			pkey = sev_pubkey(signer, e);
			if (!pkey)
				return -1;
		}
		if (ecdsa_verify(pkey, algo_md(signer->algo), subject->raw,
				 SM_SEV_BODY_LEN, subject->raw + SEV_SIG(i))) {
			ret = 0;
			break;
		}
		sm_err_set(e, SM_EXIT_VERIFY,
			   "bad %s signature on the %s in slot %d", sn, tn,
			   i + 1);
	}
	EVP_PKEY_free(pkey);
	if (!tried)
		return no_slot(subject, sn, e);
	return ret;
}

/* ---- AMD certificates ---- */

static size_t amd_signed_len(const struct sm_amd_cert *c)
{
	return AMD_PUBEXP + c->pubexp_bits / 8 + c->modulus_bits / 8;
}

static const EVP_MD *amd_md(const struct sm_amd_cert *c)
{
	return c->modulus_bits == 4096 ? EVP_sha384() : EVP_sha256();
}

/*
 * An AMD certificate's RSA key, checked when it is parsed: the modulus
 * has the size it claims (top bit set) and is odd, the exponent is odd
 * and at least 3.  A short or even modulus, or an exponent of 0 or 1,
 * makes signatures meaningless.
 */
static int amd_key_check(const uint8_t *buf, uint32_t u, uint32_t pe,
			 uint32_t mb, struct sm_err *e)
{
	const uint8_t *x = buf + AMD_PUBEXP, *n = x + pe / 8;

	if (!(n[mb / 8 - 1] & 0x80) || !(n[0] & 1))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "%s RSA modulus is not a %u-bit odd number",
				  sm_usage_name(u), mb);
	if (!(x[0] & 1) || (x[0] == 1 && sm_all_zero(x + 1, pe / 8 - 1)))
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"%s RSA public exponent is not an odd number of at least 3",
			sm_usage_name(u));
	return 0;
}

int sm_amd_cert_parse(const uint8_t *buf, size_t len, struct sm_amd_cert *c,
		      size_t *used, struct sm_err *e)
{
	uint32_t v, u, pe, mb;
	size_t size;

	if (len == 0)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "empty input, an AMD certificate has %u or %u bytes",
				  SM_AMD_CERT_2K, SM_AMD_CERT_4K);
	if (len < AMD_PUBEXP)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "truncated AMD certificate: %zu bytes, the header alone has %d",
				  len, AMD_PUBEXP);
	v = sm_get_le32(buf + AMD_VERSION);
	if (v != 1)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "unsupported AMD certificate version %u, expected 1",
				  v);
	u = sm_get_le32(buf + AMD_USAGE);
	if (u != SM_USAGE_ARK && u != SM_USAGE_ASK)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "AMD certificate usage 0x%x is neither ARK (0x0) nor ASK (0x13)",
				  u);
	pe = sm_get_le32(buf + AMD_PUBEXP_BITS);
	mb = sm_get_le32(buf + AMD_MODULUS_BITS);
	if ((mb != 2048 && mb != 4096) || pe != mb)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "unsupported AMD key size: public exponent %u bits, modulus %u bits (expected 2048 or 4096 for both)",
				  pe, mb);
	size = AMD_PUBEXP + (pe + 2 * (size_t)mb) / 8;
	memset(c, 0, sizeof(*c));
	if (len >= size) {
		c->has_signature = 1;
	} else if (len == SM_AMD_CERT_NAPLES_BAD && u == SM_USAGE_ARK &&
		   mb == 2048) {
		/* AMD's published Naples ARK: no signature (AMDSEV#17). */
		c->has_signature = 0;
		size = len;
	} else {
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "truncated %s: %zu bytes, expected %zu",
				  sm_usage_name(u), len, size);
	}
	if (amd_key_check(buf, u, pe, mb, e) < 0)
		return -1;
	memcpy(c->raw, buf, size);
	c->len = size;
	memcpy(c->key_id, buf + AMD_KEY_ID, SM_KEY_ID_LEN);
	memcpy(c->certifying_id, buf + AMD_CERT_ID, SM_KEY_ID_LEN);
	c->usage = u;
	c->pubexp_bits = pe;
	c->modulus_bits = mb;
	if (used)
		*used = size;
	return 0;
}

static EVP_PKEY *amd_pubkey(const struct sm_amd_cert *c, struct sm_err *e)
{
	return rsa_pubkey(c->raw + AMD_PUBEXP + c->pubexp_bits / 8,
			  c->modulus_bits / 8, c->raw + AMD_PUBEXP,
			  c->pubexp_bits / 8, e);
}

int sm_amd_cert_is_known_unsigned_ark(const struct sm_amd_cert *c)
{
	const struct sm_amd_cert *r = sm_roots_ark(SM_PRODUCT_NAPLES);

	return !c->has_signature && r && c->len == amd_signed_len(r) &&
	       memcmp(c->raw, r->raw, c->len) == 0;
}

int sm_amd_cert_verify(const struct sm_amd_cert *signer,
		       const struct sm_amd_cert *subject, struct sm_err *e)
{
	const char *tn = sm_usage_name(subject->usage);
	const uint8_t *sig;
	char a[2 * SM_KEY_ID_LEN + 1], b[2 * SM_KEY_ID_LEN + 1];
	size_t body, siglen;
	EVP_PKEY *pkey;
	int ok;

	if (signer->usage != SM_USAGE_ARK)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "only an ARK signs AMD certificates, not an %s",
				  sm_usage_name(signer->usage));
	if (memcmp(subject->certifying_id, signer->key_id, SM_KEY_ID_LEN)) {
		sm_hex_encode(subject->certifying_id, SM_KEY_ID_LEN, a);
		sm_hex_encode(signer->key_id, SM_KEY_ID_LEN, b);
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "%s certifying id %s does not match the ARK key id %s",
				  tn, a, b);
	}
	if (subject->usage == SM_USAGE_ARK &&
	    memcmp(subject->key_id, subject->certifying_id, SM_KEY_ID_LEN))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "an ARK must be self-signed, but its certifying id is not its key id");
	if (subject->modulus_bits != signer->modulus_bits)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "%u-bit %s cannot carry a signature by a %u-bit ARK",
				  subject->modulus_bits, tn, signer->modulus_bits);
	body = amd_signed_len(subject);
	siglen = subject->modulus_bits / 8;
	sig = subject->raw + body;
	if (!subject->has_signature) {
		if (!sm_amd_cert_is_known_unsigned_ark(subject))
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "unsigned %u-byte ARK is not AMD's Naples ARK, so no pinned signature can complete it (AMDESE/AMDSEV#17)",
					  SM_AMD_CERT_NAPLES_BAD);
		/* The pinned signature of the same bytes (virtee does so). */
		sig = sm_roots_ark(SM_PRODUCT_NAPLES)->raw + body;
	}
	if (sm_all_zero(sig, siglen))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "%s signature is all zeros", tn);
	pkey = amd_pubkey(signer, e);
	if (!pkey)
		return -1;
	ok = pss_verify(pkey, amd_md(signer), subject->raw, body, sig, siglen);
	EVP_PKEY_free(pkey);
	if (!ok)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "bad RSA-PSS signature by the ARK on the %s",
				  tn);
	return 0;
}

int sm_sev_cert_verify_by_amd(const struct sm_amd_cert *ask,
			      const struct sm_sev_cert *cek, struct sm_err *e)
{
	uint32_t want = ask->modulus_bits == 4096 ? SM_ALGO_RSA_SHA384 :
						    SM_ALGO_RSA_SHA256;
	size_t siglen = ask->modulus_bits / 8;
	EVP_PKEY *pkey = NULL;
	int i, tried = 0, ret = -1;

	if (ask->usage != SM_USAGE_ASK)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "only an ASK signs a CEK, not an %s",
				  sm_usage_name(ask->usage));
	if (cek->usage != SM_USAGE_CEK)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "the ASK signs only a CEK, not a %s",
				  sm_usage_name(cek->usage));
	for (i = 0; i < 2; i++) {
		const uint8_t *sig = cek->raw + SEV_SIG(i);

		if (cek->sig_usage[i] != SM_USAGE_ASK)
			continue;
		tried = 1;
		if (cek->sig_algo[i] != want) {
			sm_err_set(e, SM_EXIT_VERIFY,
				   "CEK slot %d algorithm %s does not match the %u-bit ASK (%s)",
				   i + 1, sm_algo_name(cek->sig_algo[i]),
				   ask->modulus_bits, sm_algo_name(want));
			continue;
		}
		if (!sm_all_zero(sig + siglen, SEV_SIG_LEN - siglen)) {
			sm_err_set(e, SM_EXIT_VERIFY,
				   "CEK slot %d: RSA signature padding is not zero",
				   i + 1);
			continue;
		}
		if (!pkey) {
			pkey = amd_pubkey(ask, e);
			if (!pkey)
				return -1;
		}
		if (pss_verify(pkey, amd_md(ask), cek->raw, SM_SEV_BODY_LEN,
			       sig, siglen)) {
			ret = 0;
			break;
		}
		sm_err_set(e, SM_EXIT_VERIFY,
			   "bad RSA-PSS signature by the ASK on the CEK in slot %d",
			   i + 1);
	}
	EVP_PKEY_free(pkey);
	if (!tried) {
		if (sm_sev_cert_is_unsigned(cek))
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "CEK is unsigned (both slots empty, as PDH_CERT_EXPORT returns it): the KDS-signed CEK is needed");
		return no_slot(cek, "ASK", e);
	}
	return ret;
}

static void digest(const EVP_MD *md, const uint8_t *buf, size_t len,
		   uint8_t out[48], size_t *olen)
{
	unsigned int n = 0;

	if (EVP_Digest(buf, len, out, &n, md, NULL) != 1) {
		memset(out, 0, 48);
		n = (unsigned int)EVP_MD_get_size(md);
	}
	*olen = n;
}

void sm_sev_cert_fingerprint(const struct sm_sev_cert *c, uint8_t out[48],
			     size_t *len)
{
	digest(algo_md(c->algo), c->raw, SM_SEV_BODY_LEN, out, len);
}

void sm_amd_cert_fingerprint(const struct sm_amd_cert *c, uint8_t out[48],
			     size_t *len)
{
	digest(amd_md(c), c->raw, amd_signed_len(c), out, len);
}

void sm_sev_cert_pubkey(const struct sm_sev_cert *c, uint8_t x[48],
			uint8_t y[48])
{
	reverse(x, c->raw + SEV_QX, P384_LEN);
	reverse(y, c->raw + SEV_QY, P384_LEN);
}

void sm_amd_cert_pubkey(const struct sm_amd_cert *c, uint8_t *n,
			uint64_t *exponent)
{
	const uint8_t *ex = c->raw + AMD_PUBEXP;
	size_t i, eb = c->pubexp_bits / 8;
	uint64_t v = 0;

	reverse(n, c->raw + AMD_PUBEXP + eb, c->modulus_bits / 8);
	for (i = eb; i > 0; i--) {
		if (i > 8 && ex[i - 1]) {
			v = UINT64_MAX;
			break;
		}
		if (i <= 8)
			v = v << 8 | ex[i - 1];
	}
	*exponent = v;
}

const char *sm_sev_cert_key_desc(const struct sm_sev_cert *c, char *buf,
				 size_t n)
{
	snprintf(buf, n, "EP384 %c%d", algo_is_ecdh(c->algo) ? 'D' : 'E',
		 algo_is_384(c->algo) ? 384 : 256);
	return buf;
}

const char *sm_amd_cert_key_desc(const struct sm_amd_cert *c, char *buf,
				 size_t n)
{
	snprintf(buf, n, "R%u R%d", c->modulus_bits,
		 c->modulus_bits == 4096 ? 384 : 256);
	return buf;
}

/* ---- products and chains ---- */

static const char *const product_names[SM_PRODUCT_COUNT] = {
	[SM_PRODUCT_UNKNOWN] = "unknown", [SM_PRODUCT_NAPLES] = "naples",
	[SM_PRODUCT_ROME] = "rome",	  [SM_PRODUCT_MILAN] = "milan",
	[SM_PRODUCT_GENOA] = "genoa",	  [SM_PRODUCT_TURIN] = "turin",
};

const char *sm_product_name(enum sm_product p)
{
	if ((int)p < 0 || p >= SM_PRODUCT_COUNT)
		return "unknown";
	return product_names[p];
}

int sm_product_parse(const char *name, enum sm_product *p)
{
	int i;

	for (i = SM_PRODUCT_UNKNOWN + 1; i < SM_PRODUCT_COUNT; i++) {
		if (strcasecmp(name, product_names[i]) == 0) {
			*p = (enum sm_product)i;
			return 0;
		}
	}
	return -1;
}

static const char *const link_names[SM_LINK_COUNT] = {
	[SM_LINK_PDH_BY_PEK] = "PEK signs PDH",
	[SM_LINK_PEK_BY_OCA] = "OCA signs PEK",
	[SM_LINK_OCA_SELF] = "OCA signs itself",
	[SM_LINK_PEK_BY_CEK] = "CEK signs PEK",
	[SM_LINK_CEK_BY_ASK] = "ASK signs CEK",
	[SM_LINK_ASK_BY_ARK] = "ARK signs ASK",
	[SM_LINK_ARK_SELF] = "ARK signs itself",
	[SM_LINK_ARK_TRUSTED] = "ARK is trusted",
};

const char *sm_link_name(enum sm_link l)
{
	if ((int)l < 0 || l >= SM_LINK_COUNT)
		return "unknown link";
	return link_names[l];
}

const char *sm_link_status_name(enum sm_link_status s)
{
	switch (s) {
	case SM_LINK_OK: return "ok";
	case SM_LINK_FAILED: return "failed";
	case SM_LINK_MISSING: return "missing";
	case SM_LINK_UNSIGNED: return "unsigned";
	default: return "unknown";
	}
}

static void set_link(struct sm_verify_result *r, enum sm_link l,
		     enum sm_link_status s, const char *reason)
{
	size_t n = strnlen(reason, sizeof(r->reason[l]) - 1);

	r->status[l] = s;
	memcpy(r->reason[l], reason, n); /* truncates long messages */
	r->reason[l][n] = '\0';
}

static void link_result(struct sm_verify_result *r, enum sm_link l, int rc,
			const struct sm_err *e)
{
	set_link(r, l, rc == 0 ? SM_LINK_OK : SM_LINK_FAILED,
		 rc == 0 ? "" : e->msg);
}

static const char *missing(unsigned have, unsigned need)
{
	static const char *const names[] = { "PDH", "PEK", "OCA",
					     "CEK", "ASK", "ARK" };
	size_t i;

	for (i = 0; i < SM_ARRAY_SIZE(names); i++)
		if ((need & (1u << i)) && !(have & (1u << i)))
			return names[i];
	return NULL;
}

static void sev_link(struct sm_verify_result *r, enum sm_link l,
		     const struct sm_chain *ch, unsigned need,
		     const struct sm_sev_cert *signer,
		     const struct sm_sev_cert *subject)
{
	const char *m = missing(ch->have, need);
	struct sm_err e;
	char buf[64];

	if (m) {
		snprintf(buf, sizeof(buf), "no %s in the chain", m);
		set_link(r, l, SM_LINK_MISSING, buf);
		return;
	}
	link_result(r, l, sm_sev_cert_verify(signer, subject, &e), &e);
}

/* Which built-in ASK signs the CEK (virtee's Generation detection). */
static enum sm_product detect(const struct sm_chain *ch)
{
	struct sm_err e;
	int p;

	if ((ch->have & SM_HAVE_CEK) && !sm_sev_cert_is_unsigned(&ch->cek)) {
		for (p = SM_PRODUCT_NAPLES; p < SM_PRODUCT_COUNT; p++) {
			const struct sm_amd_cert *ask = sm_roots_ask(p);

			if (ask && sm_sev_cert_verify_by_amd(ask, &ch->cek,
							     &e) == 0)
				return p;
		}
	}
	if (ch->have & SM_HAVE_ARK) {
		if (sm_amd_cert_is_known_unsigned_ark(&ch->ark))
			return SM_PRODUCT_NAPLES;
		p = sm_roots_product_of_ark(&ch->ark);
		if (p != SM_PRODUCT_UNKNOWN)
			return p;
	}
	if (ch->have & SM_HAVE_ASK) {
		for (p = SM_PRODUCT_NAPLES; p < SM_PRODUCT_COUNT; p++) {
			const struct sm_amd_cert *ask = sm_roots_ask(p);

			if (ask && ask->len == ch->ask.len &&
			    memcmp(ask->raw, ch->ask.raw, ask->len) == 0)
				return p;
		}
	}
	return SM_PRODUCT_UNKNOWN;
}

static int same_amd(const struct sm_amd_cert *a, const struct sm_amd_cert *b)
{
	return a->len == b->len && memcmp(a->raw, b->raw, a->len) == 0;
}

static void amd_links(struct sm_verify_result *r, const struct sm_chain *ch,
		      const struct sm_trust *t)
{
	const struct sm_amd_cert *ask = NULL, *ark = NULL, *anchor = NULL;
	enum sm_product p = t->product;
	struct sm_err e;
	char buf[200];

	if (t->ark) {
		enum sm_product bp = sm_roots_product_of_ark(t->ark);

		anchor = t->ark;
		if (p == SM_PRODUCT_UNKNOWN)
			p = bp;
		ark = (ch->have & SM_HAVE_ARK) ? &ch->ark : t->ark;
		if (ch->have & SM_HAVE_ASK)
			ask = &ch->ask;
		else if (t->ask)
			ask = t->ask;
		else if (bp != SM_PRODUCT_UNKNOWN)
			ask = sm_roots_ask(bp);
	} else {
		if (p == SM_PRODUCT_UNKNOWN)
			p = detect(ch);
		if (p != SM_PRODUCT_UNKNOWN)
			anchor = sm_roots_ark(p);
		if (ch->have & SM_HAVE_ASK)
			ask = &ch->ask;
		else if (p != SM_PRODUCT_UNKNOWN)
			ask = sm_roots_ask(p);
		ark = (ch->have & SM_HAVE_ARK) ? &ch->ark : anchor;
	}
	r->product = p;
	r->ask = ask;
	r->ark = ark;

	/* ASK signs CEK */
	if (!(ch->have & SM_HAVE_CEK)) {
		set_link(r, SM_LINK_CEK_BY_ASK, SM_LINK_MISSING,
			 "no CEK in the chain");
	} else if (sm_sev_cert_is_unsigned(&ch->cek)) {
		set_link(r, SM_LINK_CEK_BY_ASK, SM_LINK_UNSIGNED,
			 "CEK is unsigned (both slots empty, as PDH_CERT_EXPORT returns it): the KDS-signed CEK is needed");
	} else if (!ask) {
		set_link(r, SM_LINK_CEK_BY_ASK, SM_LINK_FAILED,
			 t->ark ? "no ASK in the chain for the root given with --ark" :
				  "no built-in AMD ASK signs the CEK (tried naples, rome, milan, genoa, turin)");
	} else {
		link_result(r, SM_LINK_CEK_BY_ASK,
			    sm_sev_cert_verify_by_amd(ask, &ch->cek, &e), &e);
	}

	/* ARK signs ASK, ARK signs itself */
	if (!ask || !ark) {
		snprintf(buf, sizeof(buf), "no %s (the product is unknown)",
			 !ask ? "ASK" : "ARK");
		set_link(r, SM_LINK_ASK_BY_ARK, SM_LINK_MISSING, buf);
	} else {
		link_result(r, SM_LINK_ASK_BY_ARK,
			    sm_amd_cert_verify(ark, ask, &e), &e);
	}
	if (!ark) {
		set_link(r, SM_LINK_ARK_SELF, SM_LINK_MISSING,
			 "no ARK (the product is unknown)");
	} else {
		link_result(r, SM_LINK_ARK_SELF,
			    sm_amd_cert_verify(ark, ark, &e), &e);
		if (r->status[SM_LINK_ARK_SELF] == SM_LINK_OK &&
		    !ark->has_signature)
			set_link(r, SM_LINK_ARK_SELF, SM_LINK_OK,
				 "the unsigned Naples ARK (AMDESE/AMDSEV#17) was checked with the pinned built-in signature");
	}

	/* ARK trusted: the pinned root, or exactly the --ark file */
	if (!anchor) {
		set_link(r, SM_LINK_ARK_TRUSTED, SM_LINK_FAILED,
			 "no trusted root: the product is unknown (name it with --product, or give --ark)");
	} else if (ark && (same_amd(ark, anchor) ||
			   (!t->ark && p == SM_PRODUCT_NAPLES &&
			    sm_amd_cert_is_known_unsigned_ark(ark)))) {
		set_link(r, SM_LINK_ARK_TRUSTED, SM_LINK_OK, "");
	} else if (t->ark) {
		set_link(r, SM_LINK_ARK_TRUSTED, SM_LINK_FAILED,
			 "ARK is not the root given with --ark");
	} else {
		snprintf(buf, sizeof(buf),
			 "ARK is not AMD's built-in %s root",
			 sm_product_name(p));
		set_link(r, SM_LINK_ARK_TRUSTED, SM_LINK_FAILED, buf);
	}
}

int sm_chain_verify(const struct sm_chain *ch, const struct sm_trust *t,
		    struct sm_verify_result *r, struct sm_err *e)
{
	static const struct sm_trust builtin = { NULL, NULL,
						 SM_PRODUCT_UNKNOWN };
	int l;

	memset(r, 0, sizeof(*r));
	if (!t)
		t = &builtin;
	sev_link(r, SM_LINK_PDH_BY_PEK, ch, SM_HAVE_PDH | SM_HAVE_PEK,
		 &ch->pek, &ch->pdh);
	sev_link(r, SM_LINK_PEK_BY_OCA, ch, SM_HAVE_PEK | SM_HAVE_OCA,
		 &ch->oca, &ch->pek);
	sev_link(r, SM_LINK_OCA_SELF, ch, SM_HAVE_OCA, &ch->oca, &ch->oca);
	sev_link(r, SM_LINK_PEK_BY_CEK, ch, SM_HAVE_PEK | SM_HAVE_CEK,
		 &ch->cek, &ch->pek);
	amd_links(r, ch, t);

	r->ok = 1;
	for (l = 0; l < SM_LINK_COUNT; l++) {
		if (r->status[l] == SM_LINK_OK)
			continue;
		if (r->ok)
			sm_err_set(e, SM_EXIT_VERIFY,
				   "certificate chain verification failed: %s: %s",
				   sm_link_name(l), r->reason[l]);
		r->ok = 0;
	}
	return r->ok ? 0 : -1;
}

/* ---- keys and signing ---- */

static int key_wrap(EVP_PKEY *pkey, struct sm_key **k, struct sm_err *e)
{
	struct sm_key *nk;
	char group[64];
	size_t glen = 0;

	if (EVP_PKEY_is_a(pkey, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(pkey,
						   OSSL_PKEY_PARAM_GROUP_NAME,
						   group, sizeof(group),
						   &glen) != 1 ||
		    strcmp(group, SN_secp384r1) != 0) {
			EVP_PKEY_free(pkey);
			return sm_err_set(e, SM_EXIT_UNSUPPORTED,
					  "EC key is not on curve P-384");
		}
	} else if (EVP_PKEY_is_a(pkey, "RSA")) {
		int bits = EVP_PKEY_get_bits(pkey);

		if (bits != 2048 && bits != 4096) {
			EVP_PKEY_free(pkey);
			return sm_err_set(e, SM_EXIT_UNSUPPORTED,
					  "RSA key has %d bits, expected 2048 or 4096",
					  bits);
		}
	} else {
		EVP_PKEY_free(pkey);
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "key is neither EC P-384 nor RSA");
	}
	nk = calloc(1, sizeof(*nk));
	if (!nk) {
		EVP_PKEY_free(pkey);
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "cannot allocate a key");
	}
	nk->pkey = pkey;
	nk->is_ec = EVP_PKEY_is_a(pkey, "EC");
	*k = nk;
	return 0;
}

int sm_key_generate_ec(struct sm_key **k, struct sm_err *e)
{
	EVP_PKEY *pkey = EVP_EC_gen(SN_secp384r1);

	if (!pkey)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot generate a P-384 key");
	return key_wrap(pkey, k, e);
}

int sm_key_generate_rsa(struct sm_key **k, unsigned bits, struct sm_err *e)
{
	EVP_PKEY *pkey;

	if (bits != 2048 && bits != 4096)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "RSA key size %u, expected 2048 or 4096",
				  bits);
	pkey = EVP_RSA_gen(bits);
	if (!pkey)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot generate an RSA-%u key", bits);
	return key_wrap(pkey, k, e);
}

int sm_key_load_pem(const char *path, struct sm_key **k, struct sm_err *e)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	EVP_PKEY *pkey;
	BIO *bio;

	if (sm_read_file(path, 64 * 1024, &buf, &len, e) < 0)
		return -1;
	bio = BIO_new_mem_buf(buf, (int)len);
	pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	sm_wipe(buf, len);
	free(buf);
	if (!pkey)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot read private key '%s'", path);
	if (key_wrap(pkey, k, e) < 0)
		return sm_err_prefix(e, "private key '%s'", path);
	return 0;
}

int sm_key_save_pem(const struct sm_key *k, const char *path,
		    struct sm_err *e)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data = NULL;
	long len;
	int ret;

	if (!bio)
		bio = BIO_new(BIO_s_mem());
	if (!bio || PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0,
					     NULL, NULL) != 1) {
		BIO_free(bio);
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot encode private key for '%s'", path);
	}
	len = BIO_get_mem_data(bio, &data);
	ret = sm_write_file_atomic(path, data, (size_t)len, 0600, e);
	if (data && len > 0)
		sm_wipe(data, (size_t)len);
	BIO_free(bio);
	return ret;
}

void sm_key_free(struct sm_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

/* Write a BIGNUM parameter of pkey little-endian into a fixed field. */
static int bn_param_le(const EVP_PKEY *pkey, const char *name, uint8_t *out,
		       size_t n)
{
	BIGNUM *bn = NULL;
	int ok;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		return -1;
	ok = BN_bn2lebinpad(bn, out, (int)n) == (int)n;
	BN_free(bn);
	return ok ? 0 : -1;
}

int sm_sev_cert_init(struct sm_sev_cert *c, const struct sm_key *k,
		     uint32_t usage, uint32_t algo, uint8_t api_major,
		     uint8_t api_minor, struct sm_err *e)
{
	uint8_t raw[SM_SEV_CERT_LEN];
	int i;

	if (!k->is_ec)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "a SEV certificate needs an EC P-384 key");
	memset(raw, 0, sizeof(raw));
	sm_put_le32(raw + SEV_VERSION, 1);
	raw[SEV_API_MAJOR] = api_major;
	raw[SEV_API_MINOR] = api_minor;
	sm_put_le32(raw + SEV_USAGE, usage);
	sm_put_le32(raw + SEV_ALGO, algo);
	sm_put_le32(raw + SEV_CURVE, SM_CURVE_P384);
	if (bn_param_le(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, raw + SEV_QX,
			P384_LEN) < 0 ||
	    bn_param_le(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, raw + SEV_QY,
			P384_LEN) < 0)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot read the EC public key");
	for (i = 0; i < 2; i++)
		sm_put_le32(raw + SEV_SIG_USAGE(i), SM_USAGE_INVALID);
	return sm_sev_cert_parse(raw, sizeof(raw), c, e);
}

/* Reparse after a change to raw, keeping the decoded fields in step. */
static int refresh(struct sm_sev_cert *c, struct sm_err *e)
{
	uint8_t raw[SM_SEV_CERT_LEN];

	memcpy(raw, c->raw, sizeof(raw));
	return sm_sev_cert_parse(raw, sizeof(raw), c, e);
}

int sm_sev_cert_sign(struct sm_sev_cert *c, int slot, const struct sm_key *k,
		     uint32_t signer_usage, struct sm_err *e)
{
	uint8_t der[256], *sig;
	const unsigned char *p = der;
	const BIGNUM *r = NULL, *s = NULL;
	size_t dlen = sizeof(der);
	ECDSA_SIG *es = NULL;
	EVP_MD_CTX *mc;
	int ok = 0;

	if (slot < 0 || slot > 1 || !k->is_ec)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "cannot sign slot %d with this key", slot + 1);
	sig = c->raw + SEV_SIG(slot);
	mc = EVP_MD_CTX_new();
	if (mc && EVP_DigestSignInit(mc, NULL, EVP_sha256(), NULL, k->pkey) ==
			  1 &&
	    EVP_DigestSign(mc, der, &dlen, c->raw, SM_SEV_BODY_LEN) == 1 &&
	    (es = d2i_ECDSA_SIG(NULL, &p, (long)dlen)) != NULL) {
		ECDSA_SIG_get0(es, &r, &s);
		memset(sig, 0, SEV_SIG_LEN);
		ok = BN_bn2lebinpad(r, sig, SEV_COORD_LEN) == SEV_COORD_LEN &&
		     BN_bn2lebinpad(s, sig + SEV_SIG_S, SEV_COORD_LEN) ==
			     SEV_COORD_LEN;
	}
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(mc);
	if (!ok)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot sign the %s", sm_usage_name(c->usage));
	sm_put_le32(c->raw + SEV_SIG_USAGE(slot), signer_usage);
	sm_put_le32(c->raw + SEV_SIG_ALGO(slot), SM_ALGO_ECDSA_SHA256);
	return refresh(c, e);
}

/* RSASSA-PSS signature of body, little-endian into out (bits/8 bytes). */
static int pss_sign(const struct sm_key *k, const uint8_t *body, size_t len,
		    uint8_t *out, struct sm_err *e)
{
	int bits = EVP_PKEY_get_bits(k->pkey);
	const EVP_MD *md = bits == 4096 ? EVP_sha384() : EVP_sha256();
	uint8_t sig[SM_AMD_CERT_MAX];
	size_t slen = sizeof(sig);
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *mc;
	int ok = 0;

	if (k->is_ec)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "an AMD signature needs an RSA key");
	mc = EVP_MD_CTX_new();
	if (mc && EVP_DigestSignInit(mc, &pctx, md, NULL, k->pkey) == 1 &&
	    pss_setup(pctx, md) &&
	    EVP_DigestSign(mc, sig, &slen, body, len) == 1 &&
	    slen == (size_t)bits / 8)
		ok = 1;
	EVP_MD_CTX_free(mc);
	if (!ok)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot make an RSA-PSS signature");
	reverse(out, sig, slen);
	return 0;
}

int sm_sev_cert_sign_by_amd(struct sm_sev_cert *c, const struct sm_key *k,
			    struct sm_err *e)
{
	int bits = EVP_PKEY_get_bits(k->pkey);
	uint8_t *sig = c->raw + SEV_SIG(0);

	memset(sig, 0, SEV_SIG_LEN);
	if (pss_sign(k, c->raw, SM_SEV_BODY_LEN, sig, e) < 0)
		return -1;
	sm_put_le32(c->raw + SEV_SIG_USAGE(0), SM_USAGE_ASK);
	sm_put_le32(c->raw + SEV_SIG_ALGO(0), bits == 4096 ? SM_ALGO_RSA_SHA384 :
						       SM_ALGO_RSA_SHA256);
	return refresh(c, e);
}

int sm_amd_cert_build(struct sm_amd_cert *c, const struct sm_key *k,
		      uint32_t usage, const uint8_t key_id[SM_KEY_ID_LEN],
		      const struct sm_key *signer,
		      const uint8_t signer_id[SM_KEY_ID_LEN], struct sm_err *e)
{
	uint8_t raw[SM_AMD_CERT_MAX];
	int bits = EVP_PKEY_get_bits(k->pkey);
	size_t nb = (size_t)bits / 8, body = AMD_PUBEXP + 2 * nb, used;

	if (k->is_ec || signer->is_ec)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "AMD certificates need RSA keys");
	if (usage != SM_USAGE_ARK && usage != SM_USAGE_ASK)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "AMD certificate usage 0x%x is neither ARK nor ASK",
				  usage);
	if (EVP_PKEY_get_bits(signer->pkey) != bits)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "signer key size differs from the %d-bit key",
				  bits);
	memset(raw, 0, sizeof(raw));
	sm_put_le32(raw + AMD_VERSION, 1);
	memcpy(raw + AMD_KEY_ID, key_id, SM_KEY_ID_LEN);
	memcpy(raw + AMD_CERT_ID, signer_id, SM_KEY_ID_LEN);
	sm_put_le32(raw + AMD_USAGE, usage);
	sm_put_le32(raw + AMD_PUBEXP_BITS, (uint32_t)bits);
	sm_put_le32(raw + AMD_MODULUS_BITS, (uint32_t)bits);
	if (bn_param_le(k->pkey, OSSL_PKEY_PARAM_RSA_E, raw + AMD_PUBEXP, nb) <
		    0 ||
	    bn_param_le(k->pkey, OSSL_PKEY_PARAM_RSA_N, raw + AMD_PUBEXP + nb,
			nb) < 0)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot read the RSA public key");
	if (pss_sign(signer, raw, body, raw + body, e) < 0)
		return -1;
	return sm_amd_cert_parse(raw, body + nb, c, &used, e);
}

int sm_key_matches_sev_cert(const struct sm_key *k,
			    const struct sm_sev_cert *c)
{
	struct sm_err e;
	EVP_PKEY *pub;
	int eq;

	if (!k->is_ec)
		return 0;
	pub = sev_pubkey(c, &e);
	if (!pub)
		return 0;
	eq = EVP_PKEY_eq(k->pkey, pub) == 1;
	EVP_PKEY_free(pub);
	sm_ossl_clear_errors();
	return eq;
}

int sm_key_ecdh(const struct sm_key *k, const struct sm_sev_cert *peer,
		uint8_t z[48], struct sm_err *e)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pub;
	size_t len = 48;
	int ok = 0;

	if (!k->is_ec)
		return sm_err_set(e, SM_EXIT_FAILURE, "ECDH needs an EC key");
	pub = sev_pubkey(peer, e);
	if (!pub)
		return -1;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (ctx && EVP_PKEY_derive_init(ctx) == 1 &&
	    EVP_PKEY_derive_set_peer(ctx, pub) == 1 &&
	    EVP_PKEY_derive(ctx, z, &len) == 1 && len == 48)
		ok = 1;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pub);
	if (!ok) {
		sm_wipe(z, 48);
		return sm_err_ossl(e, SM_EXIT_FAILURE, "ECDH failed");
	}
	return 0;
}

int sm_sev_cert_pdh_sane(const uint8_t *buf, size_t len, struct sm_err *e)
{
	struct sm_sev_cert c;

	/* The parse checks the key is a valid P-384 point. */
	if (sm_sev_cert_parse(buf, len, &c, e) < 0)
		return -1;
	if (c.usage != SM_USAGE_PDH)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "certificate usage is %s, expected PDH",
				  sm_usage_name(c.usage));
	if (c.algo != SM_ALGO_ECDH_SHA256)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "PDH algorithm is %s, expected ECDH_SHA256",
				  sm_algo_name(c.algo));
	return 0;
}
