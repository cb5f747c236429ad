// SPDX-License-Identifier: MIT
/*
 * Verifying a SEV-SNP attestation report (migration-methods.md B.5, B.6):
 * VCEK <- ASK (VLEK <- ASVK) <- ARK with RSASSA-PSS SHA-384 salt 48 up to
 * AMD's pinned SNP roots, the report's ECDSA P-384 signature, its
 * reported_tcb and chip_id against the VCEK's extensions, a CRL when one is
 * given, and the caller's expectations.  Every check is recorded, so the
 * user sees all that failed, not only the first.
 */
#include "certs/snp-report.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base/bytes.h"
#include "base/ossl.h"
#include "base/util.h"

#define CERT_INPUT_MAX (256u * 1024)
#define AMD_OID "1.3.6.1.4.1.3704.1."

/* ---- the built-in roots, pinned ---- */

struct snp_root {
	X509 *ark, *ask; /* NULL when the blob does not match its pin */
};

static struct snp_root roots[SM_PRODUCT_COUNT];
static pthread_once_t roots_once = PTHREAD_ONCE_INIT;

static int hex_digest_eq(const uint8_t *d, const char *pin)
{
	char hex[2 * SM_SHA256_LEN + 1];

	sm_hex_encode(d, SM_SHA256_LEN, hex);
	return pin && strcmp(hex, pin) == 0;
}

/* SHA-256 of the DER SubjectPublicKeyInfo of x, into d.  0 or -1. */
static int key_pin(X509 *x, uint8_t d[SM_SHA256_LEN])
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(X509_get0_pubkey(x), &der);
	int rc;

	if (n <= 0)
		return -1;
	rc = sm_sha256(der, (size_t)n, d);
	OPENSSL_free(der);
	return rc;
}

static X509 *der_cert(const uint8_t *buf, size_t len)
{
	const unsigned char *p = buf;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	if (x && p != buf + len) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

static void load_roots(void)
{
	size_t i;

	for (i = 0; i < sm_snp_roots_nblobs; i++) {
		const struct sm_snp_root_blob *b = &sm_snp_roots_blobs[i];
		struct snp_root *r = &roots[b->product];
		uint8_t d[SM_SHA256_LEN];

		if (sm_sha256(b->ask, b->ask_len, d) == 0 &&
		    hex_digest_eq(d, b->ask_pin))
			r->ask = der_cert(b->ask, b->ask_len);
		r->ark = der_cert(b->ark, b->ark_len);
		if (r->ark && (key_pin(r->ark, d) < 0 ||
			       !hex_digest_eq(d, b->ark_key_pin))) {
			X509_free(r->ark);
			r->ark = NULL;
		}
	}
	sm_ossl_clear_errors();
}

static const struct snp_root *builtin(enum sm_product p)
{
	if (p <= SM_PRODUCT_UNKNOWN || p >= SM_PRODUCT_COUNT)
		return NULL;
	pthread_once(&roots_once, load_roots);
	return &roots[p];
}

/* 1 when the ARK's public key is the pinned one of product p. */
static int ark_pinned(X509 *ark, enum sm_product p)
{
	size_t i;
	uint8_t d[SM_SHA256_LEN];

	if (key_pin(ark, d) < 0)
		return 0;
	for (i = 0; i < sm_snp_roots_nblobs; i++)
		if (sm_snp_roots_blobs[i].product == p)
			return hex_digest_eq(d,
					     sm_snp_roots_blobs[i].ark_key_pin);
	return 0;
}

/* ---- reading certificates ---- */

/*
 * One X.509 certificate, DER or PEM, from buf; name is for messages.  A
 * PEM that holds two more certificates after it (what fetch vcek: writes:
 * VCEK, ASK, ARK) gives them in *ask and *ark when those are not NULL.
 */
static int parse_cert(const uint8_t *buf, size_t len, const char *name,
		      const char *what, X509 **out, X509 **ask, X509 **ark,
		      struct sm_err *e)
{
	int der = len > 0 && buf[0] == 0x30;
	X509 *x = der_cert(buf, len);

	if (!x && len > 0 && !der && len < INT_MAX) {
		BIO *bio = BIO_new_mem_buf(buf, (int)len);

		x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
		if (x && ask && ark) {
			*ask = PEM_read_bio_X509(bio, NULL, NULL, NULL);
			*ark = *ask ? PEM_read_bio_X509(bio, NULL, NULL, NULL) :
				      NULL;
			if (!*ark) {
				X509_free(*ask);
				*ask = NULL;
			}
		}
		BIO_free(bio);
	}
	sm_ossl_clear_errors();
	if (!x)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "invalid %s certificate '%s': %s", what, name,
				  len == 0 ? "empty file" :
				  der ? "truncated or malformed DER X.509" :
					"neither DER nor PEM X.509");
	*out = x;
	return 0;
}

static int load_cert(const char *path, const char *what, X509 **out, X509 **ask,
		     X509 **ark, struct sm_err *e)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (sm_read_file(path, CERT_INPUT_MAX, &buf, &len, e) < 0)
		return -1;
	rc = parse_cert(buf, len, path, what, out, ask, ark, e);
	free(buf);
	return rc;
}

/* AMD's cert_chain: PEM, the ASK (or ASVK) first, then the ARK. */
static int parse_chain(const uint8_t *buf, size_t len, const char *name,
		       X509 **ask, X509 **ark, struct sm_err *e)
{
	BIO *bio = len < INT_MAX ? BIO_new_mem_buf(buf, (int)len) : NULL;

	*ask = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	*ark = bio && *ask ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	sm_ossl_clear_errors();
	if (!*ask || !*ark) {
		X509_free(*ask);
		*ask = NULL;
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"invalid certificate chain '%s': expected PEM, the ASK then the ARK",
			name);
	}
	return 0;
}

static int load_chain(const char *path, X509 **ask, X509 **ark,
		      struct sm_err *e)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (sm_read_file(path, CERT_INPUT_MAX, &buf, &len, e) < 0)
		return -1;
	rc = parse_chain(buf, len, path, ask, ark, e);
	free(buf);
	return rc;
}

static int parse_crl(const uint8_t *buf, size_t len, const char *name,
		     X509_CRL **out, struct sm_err *e)
{
	const unsigned char *p = buf;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);

	if (crl && p != buf + len) {
		X509_CRL_free(crl);
		crl = NULL;
	}
	if (!crl && len < INT_MAX) {
		BIO *bio = BIO_new_mem_buf(buf, (int)len);

		crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
	}
	sm_ossl_clear_errors();
	if (!crl)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "invalid CRL '%s': neither DER nor PEM",
				  name);
	*out = crl;
	return 0;
}

static int load_crl(const char *path, X509_CRL **out, struct sm_err *e)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (sm_read_file(path, CERT_INPUT_MAX, &buf, &len, e) < 0)
		return -1;
	rc = parse_crl(buf, len, path, out, e);
	free(buf);
	return rc;
}

/* The first of names that exists in dir, into path; 1 found, 0 not. */
static int find_in(const char *dir, const char *const *names, char *path,
		   size_t n)
{
	struct stat st;

	for (; *names; names++) {
		snprintf(path, n, "%s/%s", dir, *names);
		if (stat(path, &st) == 0)
			return 1;
	}
	return 0;
}

/* ---- the VCEK's AMD extensions ---- */

static const uint8_t *ext_data(X509 *x, const char *oid, int *len)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	int i = o ? X509_get_ext_by_OBJ(x, o, -1) : -1;
	ASN1_OCTET_STRING *d;

	ASN1_OBJECT_free(o);
	if (i < 0)
		return NULL;
	d = X509_EXTENSION_get_data(X509_get_ext(x, i));
	*len = ASN1_STRING_length(d);
	return ASN1_STRING_get0_data(d);
}

/* An SPL extension (a DER INTEGER 0-255): its value, or -1. */
static int ext_spl(X509 *x, const char *oid)
{
	int len;
	const unsigned char *p = ext_data(x, oid, &len);
	ASN1_INTEGER *ai;
	int64_t v = -1;

	if (!p)
		return -1;
	ai = d2i_ASN1_INTEGER(NULL, &p, len);
	if (!ai || ASN1_INTEGER_get_int64(&v, ai) != 1 || v < 0 || v > 255)
		v = -1;
	ASN1_INTEGER_free(ai);
	sm_ossl_clear_errors();
	return (int)v;
}

/* productName (an IA5String) into buf; "" when absent. */
static void ext_product(X509 *x, char *buf, size_t n)
{
	int len;
	const unsigned char *p = ext_data(x, AMD_OID "2", &len);
	ASN1_IA5STRING *s;

	buf[0] = '\0';
	if (!p)
		return;
	s = d2i_ASN1_IA5STRING(NULL, &p, len);
	if (s) {
		int sl = ASN1_STRING_length(s);
		const unsigned char *d = ASN1_STRING_get0_data(s);
		int i;

		for (i = 0; i < sl && (size_t)i + 1 < n; i++)
			buf[i] = isprint(d[i]) ? (char)d[i] : '?';
		buf[i] = '\0';
	}
	ASN1_IA5STRING_free(s);
	sm_ossl_clear_errors();
}

/* "Milan-B0" -> milan; UNKNOWN when no product matches. */
static enum sm_product product_of_name(const char *name)
{
	char word[16];
	size_t i;
	enum sm_product p;

	for (i = 0; name[i] && name[i] != '-' && i + 1 < sizeof(word); i++)
		word[i] = (char)tolower((unsigned char)name[i]);
	word[i] = '\0';
	if (sm_product_parse(word, &p) == 0)
		return p;
	return SM_PRODUCT_UNKNOWN;
}

/* ---- signatures ---- */

/* RSASSA-PSS with SHA-384 and salt 48, as AMD signs; else why, in buf. */
static int check_pss(X509 *x, char *why, size_t n)
{
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype, ok = 0;
	RSA_PSS_PARAMS *pss = NULL;
	int64_t salt = 20;

	X509_get0_signature(NULL, &alg, x);
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	if (OBJ_obj2nid(obj) != NID_rsassaPss) {
		snprintf(why, n, "signed with %s, not RSASSA-PSS",
			 OBJ_nid2sn(OBJ_obj2nid(obj)));
		return -1;
	}
	if (ptype == V_ASN1_SEQUENCE)
		pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS),
						alg->parameter);
	if (pss && pss->hashAlgorithm &&
	    OBJ_obj2nid(pss->hashAlgorithm->algorithm) == NID_sha384) {
		if (pss->saltLength)
			ASN1_INTEGER_get_int64(&salt, pss->saltLength);
		ok = salt == 48;
		if (!ok)
			snprintf(why, n, "RSASSA-PSS salt %lld, not 48",
				 (long long)salt);
	} else {
		snprintf(why, n, "RSASSA-PSS without SHA-384");
	}
	RSA_PSS_PARAMS_free(pss);
	sm_ossl_clear_errors();
	return ok ? 0 : -1;
}

/* signer signs subject: 1, or 0 with why. */
static int signs(X509 *signer, X509 *subject, char *why, size_t n)
{
	EVP_PKEY *k = X509_get0_pubkey(signer);

	if (!k || !EVP_PKEY_is_a(k, "RSA")) {
		snprintf(why, n, "the signer's key is not RSA");
		return 0;
	}
	if (check_pss(subject, why, n) < 0)
		return 0;
	if (X509_verify(subject, k) != 1) {
		sm_ossl_clear_errors();
		snprintf(why, n, "bad RSASSA-PSS signature");
		return 0;
	}
	return 1;
}

/* The report's ECDSA P-384 signature by key: 1, or 0 with why. */
static int report_signed(const struct sm_snp_report *r, X509 *key_cert,
			 const char *kn, char *why, size_t n)
{
	EVP_PKEY *k = X509_get0_pubkey(key_cert);
	uint8_t be[SM_SNP_SIG_COMPONENT_LEN];
	BIGNUM *bn[2] = { NULL, NULL };
	ECDSA_SIG *sig = NULL;
	unsigned char *der = NULL;
	EVP_MD_CTX *ctx = NULL;
	char group[64] = "";
	int i, len, ok = 0;

	if (!k || !EVP_PKEY_is_a(k, "EC")) {
		snprintf(why, n, "the %s's key is %s, not EC P-384", kn,
			 k && EVP_PKEY_is_a(k, "RSA") ? "RSA" : "not EC");
		return 0;
	}
	if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME,
					    group, sizeof(group), NULL) ||
	    strcmp(group, "secp384r1") != 0) {
		snprintf(why, n, "the %s's key is on curve '%s', not P-384", kn,
			 group);
		sm_ossl_clear_errors();
		return 0;
	}
	for (i = 0; i < 2; i++) {
		const uint8_t *le =
			r->raw + (i ? SM_SNP_OFF_SIG_S : SM_SNP_OFF_SIG_R);
		int j;

		for (j = 0; j < SM_SNP_SIG_COMPONENT_LEN; j++)
			be[j] = le[SM_SNP_SIG_COMPONENT_LEN - 1 - j];
		bn[i] = BN_bin2bn(be, sizeof(be), NULL);
	}
	sig = ECDSA_SIG_new();
	if (!bn[0] || !bn[1] || !sig || !ECDSA_SIG_set0(sig, bn[0], bn[1])) {
		BN_free(bn[0]);
		BN_free(bn[1]);
		snprintf(why, n, "out of memory");
		goto out;
	}
	len = i2d_ECDSA_SIG(sig, &der);
	ctx = EVP_MD_CTX_new();
	if (len > 0 && ctx &&
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, k) == 1 &&
	    EVP_DigestVerify(ctx, der, (size_t)len, r->raw,
			     SM_SNP_SIGNED_LEN) == 1)
		ok = 1;
	else
		snprintf(why, n, "bad ECDSA P-384 signature by the %s", kn);
out:
	sm_ossl_clear_errors();
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	return ok;
}

/* ---- the checks ---- */

void sm_snp_check_add(struct sm_snp_verify_result *res, const char *name,
		      int ok, const char *fmt, ...)
{
	struct sm_snp_check *c;
	va_list ap;

	if (res->nchecks >= SM_SNP_MAX_CHECKS) {
		/* never: the verifiers leave room; still fail closed */
		if (!ok)
			res->ok = 0;
		return;
	}
	c = &res->checks[res->nchecks++];
	c->name = name;
	c->ok = ok;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	if (!ok)
		res->ok = 0;
}

/* Compare reported_tcb with the VCEK's SPL extensions. */
static void check_tcb(const struct sm_snp_report *r, X509 *vcek,
		      enum sm_product p, struct sm_snp_verify_result *res)
{
	static const struct {
		const char *oid, *name;
	} spl[] = {
		{ AMD_OID "3.9", "fmc" },   { AMD_OID "3.1", "bl" },
		{ AMD_OID "3.2", "tee" },   { AMD_OID "3.3", "snp" },
		{ AMD_OID "3.8", "ucode" },
	};
	struct sm_snp_tcb t;
	char s[64];
	size_t i;

	sm_snp_tcb_decode(r->reported_tcb, p, &t);
	for (i = t.has_fmc ? 0 : 1; i < SM_ARRAY_SIZE(spl); i++) {
		const uint8_t want[] = { t.fmc, t.bl, t.tee, t.snp, t.ucode };
		int got = ext_spl(vcek, spl[i].oid);

		if (got != want[i]) {
			if (got < 0)
				sm_snp_check_add(
					res, "reported TCB", 0,
					"the VCEK has no %s SPL extension (%s)",
					spl[i].name, spl[i].oid);
			else
				sm_snp_check_add(
					res, "reported TCB", 0,
					"reported %s=%u, the VCEK says %d",
					spl[i].name, want[i], got);
			return;
		}
	}
	sm_snp_check_add(res, "reported TCB", 1, "%s equals the VCEK's",
			 sm_snp_tcb_str(&t, s, sizeof(s)));
}

static void check_chip(const struct sm_snp_report *r, X509 *vcek,
		       struct sm_snp_verify_result *res)
{
	const uint8_t *chip = r->raw + SM_SNP_OFF_CHIP_ID;
	int len;
	const uint8_t *hw = ext_data(vcek, AMD_OID "4", &len);

	if (sm_all_zero(chip, SM_SNP_CHIP_ID_LEN))
		sm_snp_check_add(
			res, "chip id", 0,
			"the report's chip id is zero (masked by MASK_CHIP_ID)");
	else if (!hw || (len != 64 && len != 8))
		sm_snp_check_add(res, "chip id", 0,
				 "the VCEK has no 8- or 64-byte hwID");
	else if (memcmp(hw, chip, (size_t)len) != 0 ||
		 !sm_all_zero(chip + len, SM_SNP_CHIP_ID_LEN - (size_t)len))
		sm_snp_check_add(
			res, "chip id", 0,
			"the report's chip id is not the VCEK's hwID (another chip)");
	else
		sm_snp_check_add(res, "chip id", 1,
				 "equals the VCEK's %d-byte hwID", len);
}

static void check_expect(const struct sm_snp_report *r,
			 const struct sm_snp_verify_opts *o,
			 struct sm_snp_verify_result *res)
{
	const uint8_t *p = r->raw;
	char has[17], exp[17];

	/* the first 8 bytes of each, as the policy line shows both */
	if (o->have_measurement) {
		sm_hex_encode(p + SM_SNP_OFF_MEASUREMENT, 8, has);
		sm_hex_encode(o->measurement, 8, exp);
		sm_snp_check_add(res, "measurement",
				 memcmp(p + SM_SNP_OFF_MEASUREMENT,
					o->measurement,
					SM_SNP_MEASUREMENT_LEN) == 0,
				 "%s..., expected %s...", has, exp);
	}
	if (o->have_report_data) {
		sm_hex_encode(p + SM_SNP_OFF_REPORT_DATA, 8, has);
		sm_hex_encode(o->report_data, 8, exp);
		sm_snp_check_add(res, "report data",
				 memcmp(p + SM_SNP_OFF_REPORT_DATA,
					o->report_data,
					SM_SNP_REPORT_DATA_LEN) == 0,
				 "%s..., expected %s...", has, exp);
	}
	if (o->have_policy)
		sm_snp_check_add(res, "policy", r->policy == o->policy,
				 "0x%llx, expected 0x%llx",
				 (unsigned long long)r->policy,
				 (unsigned long long)o->policy);
	if (o->min_tcb_mask) {
		struct sm_snp_tcb t;
		const uint8_t *want[] = { &o->min_tcb.fmc, &o->min_tcb.bl,
					  &o->min_tcb.tee, &o->min_tcb.snp,
					  &o->min_tcb.ucode };
		static const char *const names[] = { "fmc", "bl", "tee", "snp",
						     "ucode" };
		size_t i;
		char s[64];

		sm_snp_tcb_decode(r->reported_tcb, res->product, &t);
		for (i = 0; i < 5; i++) {
			const uint8_t got[] = { t.fmc, t.bl, t.tee, t.snp,
						t.ucode };

			if (!(o->min_tcb_mask & (1u << i)))
				continue;
			if (i == 0 && !t.has_fmc) {
				sm_snp_check_add(
					res, "minimum TCB", 0,
					"fmc is given but %s has no fmc SPL",
					sm_product_name(res->product));
				return;
			}
			if (got[i] < *want[i]) {
				sm_snp_check_add(res, "minimum TCB", 0,
						 "reported %s=%u is below %u",
						 names[i], got[i], *want[i]);
				return;
			}
		}
		sm_snp_check_add(res, "minimum TCB", 1, "reported %s",
				 sm_snp_tcb_str(&t, s, sizeof(s)));
	}
}

static void check_crl(X509_CRL *crl, X509 *ark, X509 *ask, X509 *vcek,
		      const char *signer, const char *key,
		      struct sm_snp_verify_result *res)
{
	X509_REVOKED *rev;

	if (X509_CRL_verify(crl, X509_get0_pubkey(ark)) != 1) {
		sm_ossl_clear_errors();
		sm_snp_check_add(res, "not revoked", 0,
				 "the CRL's signature is not the ARK's");
		return;
	}
	if (X509_CRL_get0_by_cert(crl, &rev, ask) == 1)
		sm_snp_check_add(res, "not revoked", 0, "the %s is revoked",
				 signer);
	else if (X509_CRL_get0_by_cert(crl, &rev, vcek) == 1)
		sm_snp_check_add(res, "not revoked", 0, "the %s is revoked",
				 key);
	else
		sm_snp_check_add(
			res, "not revoked", 1,
			"neither the %s nor the %s is in the ARK's CRL", signer,
			key);
	sm_ossl_clear_errors();
}

/* How the --ark in o is named in messages. */
static const char *trust_name(const struct sm_snp_verify_opts *o, char *buf,
			      size_t n)
{
	if (o->ark)
		snprintf(buf, n, "the ARK --ark names ('%s')", o->ark);
	else
		snprintf(buf, n, "the ARK trusted in place of AMD's");
	return buf;
}

struct certs {
	X509 *vcek, *ask, *ark;
	X509 *trust; /* --ark: the ARK trusted instead of AMD's roots */
	X509_CRL *crl;
	char origin[4200]; /* where the ASK and ARK came from */
};

static int load_certs(const struct sm_snp_verify_opts *o, int vlek,
		      struct certs *c, struct sm_err *e)
{
	static const char *const vceks[] = { "vcek.der", "vcek.pem", "vcek.crt",
					     NULL };
	static const char *const vleks[] = { "vlek.der", "vlek.pem", "vlek.crt",
					     NULL };
	static const char *const chains[] = { "cert_chain.pem", "cert_chain",
					      NULL };
	static const char *const crls[] = { "crl.der", "crl.pem", "crl", NULL };
	char path[4096];
	const char *key = vlek ? "VLEK" : "VCEK";

	const char *owner = o->buf_owner ? o->buf_owner : "the KDS's";
	char bname[128];

	/* the KDS's as they always were: "(KDS answer)", "(KDS cert_chain)" */
	if (o->buf_owner)
		snprintf(bname, sizeof(bname), "(%s vcek)", owner);
	else
		snprintf(bname, sizeof(bname), "(KDS answer)");
	if (o->vcek_buf && parse_cert(o->vcek_buf, o->vcek_len, bname, key,
				      &c->vcek, NULL, NULL, e) < 0)
		return -1;
	if (o->chain_buf) {
		snprintf(bname, sizeof(bname), "(%s cert_chain)",
			 o->buf_owner ? owner : "KDS");
		if (parse_chain(o->chain_buf, o->chain_len, bname, &c->ask,
				&c->ark, e) < 0)
			return -1;
		snprintf(c->origin, sizeof(c->origin), "%s cert_chain", owner);
	}
	if (o->crl_buf &&
	    parse_crl(o->crl_buf, o->crl_len, "(KDS crl)", &c->crl, e) < 0)
		return -1;
	if (o->vcek) {
		X509 *ask = NULL, *ark = NULL;

		if (load_cert(o->vcek, key, &c->vcek, &ask, &ark, e) < 0)
			return -1;
		if (ask) {
			c->ask = ask;
			c->ark = ark;
			snprintf(c->origin, sizeof(c->origin), "'%s'", o->vcek);
		}
	}
	if (o->certs_dir) {
		struct stat st;

		if (stat(o->certs_dir, &st) < 0)
			return sm_err_errno(e, SM_EXIT_IO, errno,
					    "cannot open '%s'", o->certs_dir);
		if (!c->vcek) {
			if (!find_in(o->certs_dir, vlek ? vleks : vceks, path,
				     sizeof(path)))
				return sm_err_set(
					e, SM_EXIT_VERIFY,
					"no %s in '%s' (%s.der or %s.pem)", key,
					o->certs_dir, vlek ? "vlek" : "vcek",
					vlek ? "vlek" : "vcek");
			if (load_cert(path, key, &c->vcek, NULL, NULL, e) < 0)
				return -1;
		}
		if (!c->ark &&
		    find_in(o->certs_dir, chains, path, sizeof(path))) {
			if (load_chain(path, &c->ask, &c->ark, e) < 0)
				return -1;
			snprintf(c->origin, sizeof(c->origin), "'%s'", path);
		}
		if (!o->crl &&
		    find_in(o->certs_dir, crls, path, sizeof(path)) &&
		    load_crl(path, &c->crl, e) < 0)
			return -1;
	}
	if (!c->vcek)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "no %s: give --vcek FILE or --certs DIR",
				  key);
	if (o->ark_buf && parse_cert(o->ark_buf, o->ark_len, "(trusted ARK)",
				     "ARK", &c->trust, NULL, NULL, e) < 0)
		return -1;
	if (o->ark && !c->trust &&
	    load_cert(o->ark, "ARK", &c->trust, NULL, NULL, e) < 0)
		return -1;
	if (o->crl && !c->crl && load_crl(o->crl, &c->crl, e) < 0)
		return -1;
	return 0;
}

int sm_snp_verify(const struct sm_snp_report *r,
		  const struct sm_snp_verify_opts *o,
		  struct sm_snp_verify_result *res, struct sm_err *e)
{
	struct certs c;
	char pname[64], why[256], tn[4200];
	enum sm_product vp;
	unsigned key = sm_snp_report_signing_key(r);
	const char *kn, *sn;
	int i, ret = -1;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	res->ok = 1;
	if (r->sig_algo != 1)
		return sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"unsupported SNP report signature algorithm %u (this version verifies 1, ECDSA P-384 with SHA-384)",
			r->sig_algo);
	if (key != SM_SNP_KEY_VCEK && key != SM_SNP_KEY_VLEK)
		return sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"unsupported SNP report signing key %u (%s): this version verifies VCEK and VLEK signatures",
			key, sm_snp_signing_key_name(key));
	kn = res->key_name = key == SM_SNP_KEY_VLEK ? "VLEK" : "VCEK";
	sn = res->signer_name = key == SM_SNP_KEY_VLEK ? "ASVK" : "ASK";
	if (load_certs(o, key == SM_SNP_KEY_VLEK, &c, e) < 0)
		goto out;

	/* the product: --product, the report, else the VCEK's productName */
	ext_product(c.vcek, pname, sizeof(pname));
	vp = product_of_name(pname);
	res->product = o->product;
	res->product_from = "--product";
	if (res->product == SM_PRODUCT_UNKNOWN)
		res->product = sm_snp_report_product(r, &res->product_from);
	if (res->product == SM_PRODUCT_UNKNOWN && vp != SM_PRODUCT_UNKNOWN) {
		res->product = vp;
		res->product_from = "the VCEK's productName";
	}
	if (res->product == SM_PRODUCT_UNKNOWN)
		sm_snp_check_add(
			res, "product", 0,
			"unknown: the report does not name it and the %s has no productName; give --product",
			kn);
	else if (vp != res->product)
		sm_snp_check_add(res, "product", 0,
				 "%s from %s, but the %s is for '%s'",
				 sm_product_name(res->product),
				 res->product_from, kn,
				 pname[0] ? pname : "no product");
	else
		sm_snp_check_add(res, "product", 1,
				 "%s from %s; the %s is for '%s'",
				 sm_product_name(res->product),
				 res->product_from, kn, pname);

	/* the chain: the given one, else the built-in ASK and ARK */
	if (!c.ark && c.trust) {
		/* no ASK to go with the named ARK */
		sm_snp_check_add(
			res, "ARK is trusted", 0,
			"no %s and ARK given to check against %s (--certs DIR with cert_chain.pem, or a --vcek PEM holding the %s, %s and ARK)",
			sn, trust_name(o, tn, sizeof(tn)), kn, sn);
		goto signature;
	}
	if (!c.ark) {
		const struct snp_root *b = builtin(res->product);

		if (key == SM_SNP_KEY_VLEK || !b || !b->ark || !b->ask) {
			sm_snp_check_add(
				res, "ARK is pinned", 0,
				"no %s and ARK given (--certs DIR with cert_chain.pem) and none built in for %s",
				sn,
				res->product == SM_PRODUCT_UNKNOWN ?
					"an unknown product" :
					sm_product_name(res->product));
			goto signature;
		}
		c.ask = X509_dup(b->ask);
		c.ark = X509_dup(b->ark);
		snprintf(c.origin, sizeof(c.origin), "AMD's built-in %s roots",
			 sm_product_name(res->product));
	}
	if (!c.ask || !c.ark) {
		ret = sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
		goto out;
	}
	if (c.trust) {
		i = EVP_PKEY_eq(X509_get0_pubkey(c.ark),
				X509_get0_pubkey(c.trust)) == 1;
		sm_ossl_clear_errors();
		sm_snp_check_add(res, "ARK is trusted", i,
				 "the ARK from %s %s %s", c.origin,
				 i ? "has the key of" : "is not",
				 trust_name(o, tn, sizeof(tn)));
	} else if (ark_pinned(c.ark, res->product)) {
		sm_snp_check_add(res, "ARK is pinned", 1,
				 "the ARK from %s has AMD's %s root key",
				 c.origin, sm_product_name(res->product));
	} else {
		sm_snp_check_add(res, "ARK is pinned", 0,
				 "the ARK from %s is not AMD's %s root key",
				 c.origin,
				 res->product == SM_PRODUCT_UNKNOWN ?
					 "(unknown product)" :
					 sm_product_name(res->product));
	}
	i = signs(c.ark, c.ark, why, sizeof(why));
	sm_snp_check_add(res, "ARK signs itself", i, "%s",
			 i ? "RSASSA-PSS SHA-384" : why);
	i = signs(c.ark, c.ask, why, sizeof(why));
	sm_snp_check_add(res,
			 key == SM_SNP_KEY_VLEK ? "ARK signs ASVK" :
						  "ARK signs ASK",
			 i, "%s", i ? "RSASSA-PSS SHA-384" : why);
	i = signs(c.ask, c.vcek, why, sizeof(why));
	sm_snp_check_add(res,
			 key == SM_SNP_KEY_VLEK ? "ASVK signs VLEK" :
						  "ASK signs VCEK",
			 i, "%s", i ? "RSASSA-PSS SHA-384" : why);
	if (c.crl)
		check_crl(c.crl, c.ark, c.ask, c.vcek, sn, kn, res);
signature:
	i = report_signed(r, c.vcek, kn, why, sizeof(why));
	if (i)
		snprintf(why, sizeof(why),
			 "ECDSA P-384 SHA-384 over 0x000-0x29f by the %s", kn);
	sm_snp_check_add(res, "report signature", i, "%s", why);
	check_tcb(r, c.vcek,
		  res->product == SM_PRODUCT_UNKNOWN ? vp : res->product, res);
	if (key == SM_SNP_KEY_VCEK)
		check_chip(r, c.vcek, res);
	check_expect(r, o, res);

	ret = 0;
	if (!res->ok) {
		size_t k;

		for (k = 0; k < res->nchecks && res->checks[k].ok; k++)
			;
		ret = sm_err_set(e, SM_EXIT_VERIFY,
				 "SNP report verification failed: %s: %s",
				 res->checks[k].name, res->checks[k].detail);
	}
out:
	X509_free(c.vcek);
	X509_free(c.ask);
	X509_free(c.ark);
	X509_free(c.trust);
	X509_CRL_free(c.crl);
	return ret;
}

int sm_snp_check_chain(const uint8_t *chain, size_t chain_len,
		       enum sm_product p, struct sm_err *e)
{
	X509 *ask = NULL, *ark = NULL;
	char why[256];
	int ret = -1;

	if (parse_chain(chain, chain_len, "(KDS cert_chain)", &ask, &ark, e) <
	    0)
		return -1;
	if (!ark_pinned(ark, p))
		sm_err_set(e, SM_EXIT_VERIFY,
			   "the cert_chain's ARK is not AMD's %s root key",
			   sm_product_name(p));
	else if (!signs(ark, ark, why, sizeof(why)))
		sm_err_set(e, SM_EXIT_VERIFY, "ARK signs itself: %s", why);
	else if (!signs(ark, ask, why, sizeof(why)))
		sm_err_set(e, SM_EXIT_VERIFY, "ARK signs ASK: %s", why);
	else
		ret = 0;
	X509_free(ask);
	X509_free(ark);
	return ret;
}

int sm_snp_check_crl(const uint8_t *crl_buf, size_t crl_len,
		     const uint8_t *chain, size_t chain_len, struct sm_err *e)
{
	X509 *ask = NULL, *ark = NULL;
	X509_CRL *crl = NULL;
	int ret = -1;

	if (parse_chain(chain, chain_len, "(KDS cert_chain)", &ask, &ark, e) <
		    0 ||
	    parse_crl(crl_buf, crl_len, "(KDS crl)", &crl, e) < 0)
		goto out;
	if (X509_CRL_verify(crl, X509_get0_pubkey(ark)) != 1)
		sm_err_set(e, SM_EXIT_VERIFY,
			   "the CRL's signature is not the ARK's");
	else
		ret = 0;
out:
	sm_ossl_clear_errors();
	X509_CRL_free(crl);
	X509_free(ask);
	X509_free(ark);
	return ret;
}

int sm_snp_der_to_pem(const uint8_t *der, size_t len, char **pem,
		      struct sm_err *e)
{
	X509 *x = der_cert(der, len);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;

	*pem = NULL;
	if (x && bio && PEM_write_bio_X509(bio, x) == 1) {
		n = BIO_get_mem_data(bio, &data);
		*pem = n > 0 ? malloc((size_t)n + 1) : NULL;
		if (*pem) {
			memcpy(*pem, data, (size_t)n);
			(*pem)[n] = '\0';
		}
	}
	X509_free(x);
	BIO_free(bio);
	sm_ossl_clear_errors();
	if (!*pem)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "cannot write the VCEK as PEM");
	return 0;
}

int sm_snp_verify_signature(const struct sm_snp_report *r, const uint8_t *der,
			    size_t len, struct sm_err *e)
{
	X509 *x = der_cert(der, len);
	char why[256];
	int ok;

	if (!x) {
		sm_ossl_clear_errors();
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "the VCEK is not a DER certificate");
	}
	ok = report_signed(r, x, "VCEK", why, sizeof(why));
	X509_free(x);
	if (!ok)
		return sm_err_set(e, SM_EXIT_VERIFY, "%s", why);
	return 0;
}
