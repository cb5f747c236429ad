// SPDX-License-Identifier: MIT
/*
 * Keys and signing, what the simulated platform needs: generating, loading
 * and saving keys, signing SEV and AMD certificates, ECDH.
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

/* ---- keys and signing ---- */

static int key_wrap(EVP_PKEY *pkey, struct sm_key **k, struct sm_err *e)
{
	struct sm_key *nk;
	char group[64];
	size_t glen = 0;

	if (EVP_PKEY_is_a(pkey, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(
			    pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
			    sizeof(group), &glen) != 1 ||
		    strcmp(group, SN_secp384r1) != 0) {
			EVP_PKEY_free(pkey);
			return sm_err_set(e, SM_EXIT_UNSUPPORTED,
					  "EC key is not on curve P-384");
		}
	} else if (EVP_PKEY_is_a(pkey, "RSA")) {
		int bits = EVP_PKEY_get_bits(pkey);

		if (bits != 2048 && bits != 4096) {
			EVP_PKEY_free(pkey);
			return sm_err_set(
				e, SM_EXIT_UNSUPPORTED,
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

int sm_key_save_pem(const struct sm_key *k, const char *path, struct sm_err *e)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data = NULL;
	long len;
	int ret;

	if (!bio)
		bio = BIO_new(BIO_s_mem());
	if (!bio || PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL,
					     NULL) != 1) {
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
				  "cannot sign slot %d with this key",
				  slot + 1);
	sig = c->raw + SEV_SIG(slot);
	mc = EVP_MD_CTX_new();
	if (mc &&
	    EVP_DigestSignInit(mc, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
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
		return sm_err_ossl(e, SM_EXIT_FAILURE, "cannot sign the %s",
				   sm_usage_name(c->usage));
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
	    smc_pss_setup(pctx, md) &&
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
	sm_put_le32(c->raw + SEV_SIG_ALGO(0),
		    bits == 4096 ? SM_ALGO_RSA_SHA384 : SM_ALGO_RSA_SHA256);
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
		return sm_err_set(
			e, SM_EXIT_FAILURE,
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

int sm_key_matches_sev_cert(const struct sm_key *k, const struct sm_sev_cert *c)
{
	struct sm_err e;
	EVP_PKEY *pub;
	int eq;

	if (!k->is_ec)
		return 0;
	pub = smc_sev_pubkey(c, &e);
	if (!pub)
		return 0;
	eq = EVP_PKEY_eq(k->pkey, pub) == 1;
	EVP_PKEY_free(pub);
	sm_ossl_clear_errors();
	return eq;
}

/* ECDH of k with pub (freed here): z, the 48-byte x coordinate. */
static int ecdh_with(const struct sm_key *k, EVP_PKEY *pub, uint8_t z[48],
		     struct sm_err *e)
{
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = 48;
	int ok = 0;

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

int sm_key_ecdh(const struct sm_key *k, const struct sm_sev_cert *peer,
		uint8_t z[48], struct sm_err *e)
{
	EVP_PKEY *pub;

	if (!k->is_ec)
		return sm_err_set(e, SM_EXIT_FAILURE, "ECDH needs an EC key");
	pub = smc_sev_pubkey(peer, e);
	if (!pub)
		return -1;
	return ecdh_with(k, pub, z, e);
}

int sm_key_ecdh_point(const struct sm_key *k, const uint8_t peer[97],
		      uint8_t z[48], struct sm_err *e)
{
	EVP_PKEY *pub;

	if (!k->is_ec)
		return sm_err_set(e, SM_EXIT_FAILURE, "ECDH needs an EC key");
	pub = smc_p384_pubkey(peer, "the peer's", e);
	if (!pub)
		return -1;
	return ecdh_with(k, pub, z, e);
}

int sm_key_ec_point(const struct sm_key *k, uint8_t out[97], struct sm_err *e)
{
	BIGNUM *x = NULL, *y = NULL;
	int ok;

	ok = k->is_ec &&
	     EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) &&
	     EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) &&
	     BN_bn2binpad(x, out + 1, 48) == 48 &&
	     BN_bn2binpad(y, out + 49, 48) == 48;
	BN_free(x);
	BN_free(y);
	if (!ok)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot read an EC key's public point");
	out[0] = 0x04;
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
