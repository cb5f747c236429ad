// SPDX-License-Identifier: MIT
/*
 * AMD-format certificates (ARK, ASK): strict parsing, the RSA key checked
 * when read, RSASSA-PSS verification, and the CEK's signature by the ASK.
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
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"empty input, an AMD certificate has %u or %u bytes",
			SM_AMD_CERT_2K, SM_AMD_CERT_4K);
	if (len < AMD_PUBEXP)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"truncated AMD certificate: %zu bytes, the header alone has %d",
			len, AMD_PUBEXP);
	v = sm_get_le32(buf + AMD_VERSION);
	if (v != 1)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"unsupported AMD certificate version %u, expected 1",
			v);
	u = sm_get_le32(buf + AMD_USAGE);
	if (u != SM_USAGE_ARK && u != SM_USAGE_ASK)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"AMD certificate usage 0x%x is neither ARK (0x0) nor ASK (0x13)",
			u);
	pe = sm_get_le32(buf + AMD_PUBEXP_BITS);
	mb = sm_get_le32(buf + AMD_MODULUS_BITS);
	if ((mb != 2048 && mb != 4096) || pe != mb)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
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
	return smc_rsa_pubkey(c->raw + AMD_PUBEXP + c->pubexp_bits / 8,
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
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"only an ARK signs AMD certificates, not an %s",
			sm_usage_name(signer->usage));
	if (memcmp(subject->certifying_id, signer->key_id, SM_KEY_ID_LEN)) {
		sm_hex_encode(subject->certifying_id, SM_KEY_ID_LEN, a);
		sm_hex_encode(signer->key_id, SM_KEY_ID_LEN, b);
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"%s certifying id %s does not match the ARK key id %s",
			tn, a, b);
	}
	if (subject->usage == SM_USAGE_ARK &&
	    memcmp(subject->key_id, subject->certifying_id, SM_KEY_ID_LEN))
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"an ARK must be self-signed, but its certifying id is not its key id");
	if (subject->modulus_bits != signer->modulus_bits)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"%u-bit %s cannot carry a signature by a %u-bit ARK",
			subject->modulus_bits, tn, signer->modulus_bits);
	body = amd_signed_len(subject);
	siglen = subject->modulus_bits / 8;
	sig = subject->raw + body;
	if (!subject->has_signature) {
		if (!sm_amd_cert_is_known_unsigned_ark(subject))
			return sm_err_set(
				e, SM_EXIT_VERIFY,
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
	ok = smc_pss_verify(pkey, amd_md(signer), subject->raw, body, sig,
			    siglen);
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
			sm_err_set(
				e, SM_EXIT_VERIFY,
				"CEK slot %d algorithm %s does not match the %u-bit ASK (%s)",
				i + 1, sm_algo_name(cek->sig_algo[i]),
				ask->modulus_bits, sm_algo_name(want));
			continue;
		}
		if (!sm_all_zero(sig + siglen, SEV_SIG_LEN - siglen)) {
			sm_err_set(
				e, SM_EXIT_VERIFY,
				"CEK slot %d: RSA signature padding is not zero",
				i + 1);
			continue;
		}
		if (!pkey) {
			pkey = amd_pubkey(ask, e);
			if (!pkey)
				return -1;
		}
		if (smc_pss_verify(pkey, amd_md(ask), cek->raw, SM_SEV_BODY_LEN,
				   sig, siglen)) {
			ret = 0;
			break;
		}
		sm_err_set(
			e, SM_EXIT_VERIFY,
			"bad RSA-PSS signature by the ASK on the CEK in slot %d",
			i + 1);
	}
	EVP_PKEY_free(pkey);
	if (!tried) {
		if (sm_sev_cert_is_unsigned(cek))
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"CEK is unsigned (both slots empty, as PDH_CERT_EXPORT returns it): the KDS-signed CEK is needed");
		return smc_no_slot(cek, "ASK", e);
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
