// SPDX-License-Identifier: MIT
/*
 * The signing side of SEV-SNP attestation, what the simulated PSP needs
 * (migration-methods.md B.4, B.5): signing a report with a VCEK's key as
 * the firmware does, and making the X.509 certificates of a simulated
 * chain ARK -> ASK -> VCEK the way AMD makes its own (RSASSA-PSS SHA-384
 * salt 48, AMD's subjects and VCEK extensions), marked as simulated in
 * their OU.  snp-verify.c checks both exactly as it checks AMD's.
 */
#include "certs/snp-report.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/bytes.h"
#include "base/ossl.h"
#include "base/util.h"
#include "certs/cert-internal.h"

#define AMD_OID "1.3.6.1.4.1.3704.1."
#define SIM_OU "sevmig simulator"
#define ROOT_DAYS (25 * 365) /* AMD's ARK and ASK: 25 years */
#define VCEK_DAYS (7 * 365) /* AMD's VCEKs: 7 years */

/* ---- the report ---- */

int sm_snp_report_sign(uint8_t raw[SM_SNP_REPORT_LEN], const struct sm_key *key,
		       struct sm_err *e)
{
	uint8_t der[160];
	const unsigned char *p = der;
	size_t dlen = sizeof(der);
	const BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG *sig = NULL;
	EVP_MD_CTX *mc;
	int ok = 0;

	if (!key || !key->is_ec)
		return sm_err_set(
			e, SM_EXIT_FAILURE,
			"an SNP report is signed with an EC P-384 key");
	sm_put_le32(raw + 0x034, 1);
	memset(raw + SM_SNP_OFF_SIG_R, 0, SM_SNP_REPORT_LEN - SM_SNP_OFF_SIG_R);
	mc = EVP_MD_CTX_new();
	if (mc &&
	    EVP_DigestSignInit(mc, NULL, EVP_sha384(), NULL, key->pkey) == 1 &&
	    EVP_DigestSign(mc, der, &dlen, raw, SM_SNP_SIGNED_LEN) == 1 &&
	    (sig = d2i_ECDSA_SIG(NULL, &p, (long)dlen)) != NULL) {
		ECDSA_SIG_get0(sig, &r, &s);
		ok = BN_bn2lebinpad(r, raw + SM_SNP_OFF_SIG_R,
				    SM_SNP_SIG_COMPONENT_LEN) ==
			     SM_SNP_SIG_COMPONENT_LEN &&
		     BN_bn2lebinpad(s, raw + SM_SNP_OFF_SIG_S,
				    SM_SNP_SIG_COMPONENT_LEN) ==
			     SM_SNP_SIG_COMPONENT_LEN;
	}
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(mc);
	if (!ok) {
		memset(raw + SM_SNP_OFF_SIG_R, 0,
		       SM_SNP_REPORT_LEN - SM_SNP_OFF_SIG_R);
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot sign the SNP report");
	}
	return 0;
}

/* ---- certificates ---- */

const char *sm_snp_sim_product_name(enum sm_product p)
{
	switch (p) {
	case SM_PRODUCT_MILAN:
		return "Milan-B0";
	case SM_PRODUCT_GENOA:
		return "Genoa";
	default:
		return NULL;
	}
}

/* "Milan", "Genoa": the word in ARK-<word> and SEV-<word>. */
static const char *cn_word(enum sm_product p)
{
	return p == SM_PRODUCT_GENOA ? "Genoa" : "Milan";
}

static X509 *der_x509(const uint8_t *buf, size_t len)
{
	const unsigned char *p = buf;
	X509 *x = len < LONG_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;

	if (x && p != buf + len) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* AMD's subject order: OU, C, L, ST, O, CN. */
static X509_NAME *amd_name(const char *cn)
{
	static const char *const keys[] = { "OU", "C", "L", "ST", "O", "CN" };
	const char *vals[] = {
		SIM_OU, "US", "Santa Clara", "CA", "Advanced Micro Devices", cn
	};
	X509_NAME *n = X509_NAME_new();
	size_t i;

	for (i = 0; n && i < SM_ARRAY_SIZE(keys); i++)
		if (X509_NAME_add_entry_by_txt(n, keys[i], MBSTRING_UTF8,
					       (const unsigned char *)vals[i],
					       -1, -1, 0) != 1) {
			X509_NAME_free(n);
			n = NULL;
		}
	return n;
}

static int add_conf_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = ext && X509_add_ext(x, ext, -1) == 1;

	X509_EXTENSION_free(ext);
	return ok;
}

/* An extension under AMD's arc whose value is the DER bytes given. */
static int add_amd_ext(X509 *x, const char *oid, const uint8_t *val, size_t len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int ok = 0;

	if (obj && os && ASN1_OCTET_STRING_set(os, val, (int)len) == 1)
		ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
	if (ext && X509_add_ext(x, ext, -1) == 1)
		ok = 1;
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	return ok;
}

/* A DER INTEGER 0-255, as AMD writes the SPLs (020173 is 115). */
static int add_amd_int(X509 *x, const char *oid, unsigned v)
{
	uint8_t der[4] = { 0x02, 0x01, (uint8_t)v, 0 };

	if (v < 0x80)
		return add_amd_ext(x, oid, der, 3);
	der[1] = 2;
	der[2] = 0;
	der[3] = (uint8_t)v;
	return add_amd_ext(x, oid, der, 4);
}

static int pss_sign(X509 *x, EVP_PKEY *k)
{
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = mc &&
		 EVP_DigestSignInit(mc, &pctx, EVP_sha384(), NULL, k) == 1 &&
		 EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) ==
			 1 &&
		 EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, SM_SHA384_LEN) == 1 &&
		 EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) == 1 &&
		 X509_sign_ctx(x, mc) > 0;

	EVP_MD_CTX_free(mc);
	return ok;
}

/* What a certificate is: who, whose key, who signs it, which kind. */
struct cert_spec {
	const char *cn;
	EVP_PKEY *key, *signer_key;
	X509 *issuer; /* NULL: self-signed */
	int kind; /* 0 ARK, 1 ASK, 2 VCEK */
	enum sm_product product;
	const uint8_t *hwid;
	const struct sm_snp_tcb *tcb;
};

static int vcek_exts(X509 *x, const struct cert_spec *s)
{
	const char *pn = sm_snp_sim_product_name(s->product);
	uint8_t ia5[34];
	size_t n = strlen(pn);

	ia5[0] = 0x16; /* IA5String */
	ia5[1] = (uint8_t)n;
	memcpy(ia5 + 2, pn, n);
	/* in the order AMD's Milan VCEKs carry them */
	return add_amd_int(x, AMD_OID "1", 0) &&
	       add_amd_ext(x, AMD_OID "2", ia5, n + 2) &&
	       add_amd_int(x, AMD_OID "3.1", s->tcb->bl) &&
	       add_amd_int(x, AMD_OID "3.2", s->tcb->tee) &&
	       add_amd_int(x, AMD_OID "3.4", 0) &&
	       add_amd_int(x, AMD_OID "3.5", 0) &&
	       add_amd_int(x, AMD_OID "3.6", 0) &&
	       add_amd_int(x, AMD_OID "3.7", 0) &&
	       add_amd_int(x, AMD_OID "3.3", s->tcb->snp) &&
	       add_amd_int(x, AMD_OID "3.8", s->tcb->ucode) &&
	       add_amd_ext(x, AMD_OID "4", s->hwid, SM_SNP_CHIP_ID_LEN);
}

static int make_cert(const struct cert_spec *s, uint8_t **der, size_t *len,
		     struct sm_err *e)
{
	X509 *x = X509_new();
	X509_NAME *subj = amd_name(s->cn);
	X509V3_CTX ctx;
	uint8_t serial[8];
	BIGNUM *bn = NULL;
	unsigned char *out = NULL;
	int n, ok = 0;

	*der = NULL;
	if (!x || !subj || X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_subject_name(x, subj) != 1 ||
	    X509_set_issuer_name(x, s->issuer ?
					    X509_get_subject_name(s->issuer) :
					    subj) != 1 ||
	    X509_set_pubkey(x, s->key) != 1 ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x),
			      s->kind == 2 ? VCEK_DAYS : ROOT_DAYS, 0, NULL))
		goto out;
	if (s->kind == 2) {
		/* serial 0, as AMD's VCEKs */
		if (ASN1_INTEGER_set(X509_get_serialNumber(x), 0) != 1 ||
		    !vcek_exts(x, s))
			goto out;
	} else {
		if (sm_random(serial, sizeof(serial)) < 0)
			goto out;
		serial[0] &= 0x7f;
		serial[0] |= 0x01;
		bn = BN_bin2bn(serial, sizeof(serial), NULL);
		if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
			goto out;
		X509V3_set_ctx(&ctx, s->issuer ? s->issuer : x, x, NULL, NULL,
			       0);
		if (!add_conf_ext(x, &ctx, NID_subject_key_identifier,
				  "hash") ||
		    !add_conf_ext(x, &ctx, NID_authority_key_identifier,
				  "keyid:always") ||
		    !add_conf_ext(x, &ctx, NID_basic_constraints,
				  s->kind == 0 ?
					  "critical,CA:TRUE" :
					  "critical,CA:TRUE,pathlen:0") ||
		    !add_conf_ext(x, &ctx, NID_key_usage,
				  "critical,keyCertSign,cRLSign"))
			goto out;
	}
	if (!pss_sign(x, s->signer_key))
		goto out;
	n = i2d_X509(x, &out);
	if (n <= 0)
		goto out;
	*der = malloc((size_t)n);
	if (!*der)
		goto out;
	memcpy(*der, out, (size_t)n);
	*len = (size_t)n;
	ok = 1;
out:
	OPENSSL_free(out);
	BN_free(bn);
	X509_NAME_free(subj);
	X509_free(x);
	if (!ok)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot make the simulated %s certificate",
				   s->cn);
	return 0;
}

static int need_rsa(const struct sm_key *k, const char *what, struct sm_err *e)
{
	if (!k || k->is_ec)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "the simulated %s needs an RSA key", what);
	return 0;
}

static int need_product(enum sm_product p, struct sm_err *e)
{
	if (!sm_snp_sim_product_name(p))
		return sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"no simulated SNP identity for %s (milan and genoa only)",
			sm_product_name(p));
	return 0;
}

int sm_snp_sim_ark(const struct sm_key *ark, enum sm_product p, uint8_t **der,
		   size_t *len, struct sm_err *e)
{
	char cn[32];
	struct cert_spec s = { 0 };

	if (need_product(p, e) < 0 || need_rsa(ark, "ARK", e) < 0)
		return -1;
	snprintf(cn, sizeof(cn), "ARK-%s", cn_word(p));
	s.cn = cn;
	s.key = s.signer_key = ark->pkey;
	s.kind = 0;
	s.product = p;
	return make_cert(&s, der, len, e);
}

int sm_snp_sim_ask(const struct sm_key *ask, const struct sm_key *ark,
		   const uint8_t *ark_der, size_t ark_len, enum sm_product p,
		   uint8_t **der, size_t *len, struct sm_err *e)
{
	char cn[32];
	struct cert_spec s = { 0 };
	int rc;

	if (need_product(p, e) < 0 || need_rsa(ask, "ASK", e) < 0 ||
	    need_rsa(ark, "ARK", e) < 0)
		return -1;
	snprintf(cn, sizeof(cn), "SEV-%s", cn_word(p));
	s.cn = cn;
	s.key = ask->pkey;
	s.signer_key = ark->pkey;
	s.issuer = der_x509(ark_der, ark_len);
	s.kind = 1;
	s.product = p;
	if (!s.issuer)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "the simulated ARK is not a DER X.509");
	rc = make_cert(&s, der, len, e);
	X509_free(s.issuer);
	return rc;
}

int sm_snp_sim_vcek(const struct sm_key *vcek, const struct sm_key *ask,
		    const uint8_t *ask_der, size_t ask_len, enum sm_product p,
		    const uint8_t hwid[SM_SNP_CHIP_ID_LEN],
		    const struct sm_snp_tcb *tcb, uint8_t **der, size_t *len,
		    struct sm_err *e)
{
	struct cert_spec s = { 0 };
	int rc;

	if (need_product(p, e) < 0 || need_rsa(ask, "ASK", e) < 0)
		return -1;
	if (!vcek || !vcek->is_ec)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "the simulated VCEK needs an EC P-384 key");
	s.cn = "SEV-VCEK";
	s.key = vcek->pkey;
	s.signer_key = ask->pkey;
	s.issuer = der_x509(ask_der, ask_len);
	s.kind = 2;
	s.product = p;
	s.hwid = hwid;
	s.tcb = tcb;
	if (!s.issuer)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "the simulated ASK is not a DER X.509");
	rc = make_cert(&s, der, len, e);
	X509_free(s.issuer);
	return rc;
}

/* ---- reading them back ---- */

static X509 *any_x509(const uint8_t *buf, size_t len)
{
	X509 *x = der_x509(buf, len);
	BIO *bio;

	if (!x && len > 0 && len < INT_MAX && buf[0] != 0x30) {
		bio = BIO_new_mem_buf(buf, (int)len);
		x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
	}
	sm_ossl_clear_errors();
	return x;
}

int sm_snp_cert_der(const uint8_t *buf, size_t len, const char *name,
		    uint8_t **der, size_t *der_len, struct sm_err *e)
{
	X509 *x = any_x509(buf, len);
	unsigned char *out = NULL;
	int n = x ? i2d_X509(x, &out) : -1;

	X509_free(x);
	*der = NULL;
	if (n > 0)
		*der = malloc((size_t)n);
	if (*der) {
		memcpy(*der, out, (size_t)n);
		*der_len = (size_t)n;
	}
	OPENSSL_free(out);
	sm_ossl_clear_errors();
	if (!*der)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"'%s' is not an X.509 certificate (PEM or DER)", name);
	return 0;
}

int sm_snp_cert_has_key(const uint8_t *der, size_t len, const struct sm_key *k)
{
	X509 *x = der_x509(der, len);
	int eq = x && k && EVP_PKEY_eq(X509_get0_pubkey(x), k->pkey) == 1;

	X509_free(x);
	sm_ossl_clear_errors();
	return eq;
}

int sm_snp_cert_signs(const uint8_t *signer, size_t signer_len,
		      const uint8_t *subject, size_t subject_len)
{
	X509 *a = der_x509(signer, signer_len);
	X509 *b = der_x509(subject, subject_len);
	EVP_PKEY *k = a ? X509_get0_pubkey(a) : NULL;
	int ok = k && b && X509_verify(b, k) == 1;

	X509_free(a);
	X509_free(b);
	sm_ossl_clear_errors();
	return ok;
}
