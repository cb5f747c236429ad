// SPDX-License-Identifier: MIT
/*
 * SEV-format certificates (PDH, PEK, OCA, CEK): strict parsing, the
 * public key checked when read, and verification of one by another.
 * Formats and rules: shared/reference/sev-certificates.md §1-3.  Every big
 * number in these formats is a little-endian byte string in a fixed,
 * zero-padded field; OpenSSL wants big-endian, so everything crossing that
 * line is reversed.
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
#include "certs/cert-internal.h"

const char *sm_usage_name(uint32_t usage)
{
	switch (usage) {
	case SM_USAGE_ARK:
		return "ARK";
	case SM_USAGE_ASK:
		return "ASK";
	case SM_USAGE_OCA:
		return "OCA";
	case SM_USAGE_PEK:
		return "PEK";
	case SM_USAGE_PDH:
		return "PDH";
	case SM_USAGE_CEK:
		return "CEK";
	default:
		return "invalid";
	}
}

const char *sm_algo_name(uint32_t algo)
{
	switch (algo) {
	case SM_ALGO_NONE:
		return "NONE";
	case SM_ALGO_RSA_SHA256:
		return "RSA_SHA256";
	case SM_ALGO_ECDSA_SHA256:
		return "ECDSA_SHA256";
	case SM_ALGO_ECDH_SHA256:
		return "ECDH_SHA256";
	case SM_ALGO_RSA_SHA384:
		return "RSA_SHA384";
	case SM_ALGO_ECDSA_SHA384:
		return "ECDSA_SHA384";
	case SM_ALGO_ECDH_SHA384:
		return "ECDH_SHA384";
	default:
		return "invalid";
	}
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
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"empty signature slot %d is not zeroed", i + 1);
		return 0;
	}
	if (u == KDS_BUG_USAGE)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"signature slot %d usage is 0x%04x instead of 0x%04x (empty): the 2019 KDS bug AMDESE/AMDSEV#18",
			i + 1, u, SM_USAGE_INVALID);
	if (strcmp(sm_usage_name(u), "invalid") == 0 && u != SM_USAGE_INVALID)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "signature slot %d has unknown usage 0x%x",
				  i + 1, u);
	if (!algo_known(a))
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"signature slot %d has unknown algorithm 0x%x", i + 1,
			a);
	if (!signing_pair(u, a))
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"signature slot %d: usage %s (0x%x) with algorithm %s cannot sign",
			i + 1,
			u == SM_USAGE_INVALID ? "empty" : sm_usage_name(u), u,
			sm_algo_name(a));
	if (algo_is_ecdsa(a) &&
	    (!sm_all_zero(sig + P384_LEN, SEV_COORD_LEN - P384_LEN) ||
	     !sm_all_zero(sig + SEV_SIG_S + P384_LEN,
			  SEV_SIG_LEN - SEV_SIG_S - P384_LEN)))
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"signature slot %d: ECDSA signature padding is not zero",
			i + 1);
	return 0;
}

/*
 * An uncompressed P-384 point (0x04 || x || y, big-endian) as an
 * EVP_PKEY.  The import refuses a coordinate of p or more and a point off
 * the curve; the point at infinity has no affine encoding (0, 0 is not on
 * P-384), so it is refused too.  NULL with e set (SM_EXIT_VERIFY, what
 * names the key).
 */
EVP_PKEY *smc_p384_pubkey(const uint8_t pt[1 + 2 * P384_LEN], const char *what,
			  struct sm_err *e)
{
	char group[] = SN_secp384r1;
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						      (void *)(uintptr_t)pt,
						      1 + 2 * P384_LEN);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (pt[0] != 0x04 || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		sm_err_ossl(e, SM_EXIT_VERIFY,
			    "%s public key is not a valid P-384 point", what);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* The P-384 public key in a SEV certificate's raw bytes as an EVP_PKEY. */
static EVP_PKEY *sev_raw_pubkey(const uint8_t *raw, uint32_t usage,
				struct sm_err *e)
{
	uint8_t pt[1 + 2 * P384_LEN];

	pt[0] = 0x04; /* uncompressed point */
	reverse(pt + 1, raw + SEV_QX, P384_LEN);
	reverse(pt + 1 + P384_LEN, raw + SEV_QY, P384_LEN);
	return smc_p384_pubkey(pt, sm_usage_name(usage), e);
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
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"wrong size %zu bytes, a SEV certificate has %u", len,
			SM_SEV_CERT_LEN);
	v = sm_get_le32(raw + SEV_VERSION);
	if (v != 1)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
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
		return sm_err_set(
			e, SM_EXIT_VERIFY,
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
		return sm_err_set(
			e, SM_EXIT_VERIFY,
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
EVP_PKEY *smc_sev_pubkey(const struct sm_sev_cert *c, struct sm_err *e)
{
	return sev_raw_pubkey(c->raw, c->usage, e);
}

/* RSA public key from little-endian modulus and exponent fields. */
EVP_PKEY *smc_rsa_pubkey(const uint8_t *n_le, size_t n_len, const uint8_t *e_le,
			 size_t e_len, struct sm_err *e)
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

int smc_pss_setup(EVP_PKEY_CTX *pctx, const EVP_MD *md)
{
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) ==
		       1 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1;
}

/* RSASSA-PSS (salt = digest length) of body; sig is little-endian. */
int smc_pss_verify(EVP_PKEY *pkey, const EVP_MD *md, const uint8_t *body,
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
	    smc_pss_setup(pctx, md) &&
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

int smc_no_slot(const struct sm_sev_cert *subject, const char *signer,
		struct sm_err *e)
{
	char a[40], b[40];

	if (sm_sev_cert_is_unsigned(subject))
		return sm_err_set(
			e, SM_EXIT_VERIFY,
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
			sm_err_set(
				e, SM_EXIT_VERIFY,
				"%s slot %d algorithm %s does not match the %s key (%s)",
				tn, i + 1, sm_algo_name(subject->sig_algo[i]),
				sn, sm_algo_name(signer->algo));
			continue;
		}
		if (!pkey) {
			pkey = smc_sev_pubkey(signer, e);
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
		return smc_no_slot(subject, sn, e);
	return ret;
}
