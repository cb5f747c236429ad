// SPDX-License-Identifier: MIT
/*
 * An SEV-SNP migration target's bundle (snp-target.h): its JSON form
 * (schema sevmig-snp-target/1, docs/sevmig-snp.7 TARGET BUNDLE), encoded
 * and decoded strictly, and its verification, which is sm_snp_verify of
 * the report plus the public key, its binding and the report id.
 */
#include "certs/snp-target.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/bytes.h"
#include "base/json.h"
#include "base/ossl.h"
#include "base/util.h"

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END "-----END CERTIFICATE-----"
#define SIM_OU "sevmig simulator"

void sm_snp_target_binding(const uint8_t pub[SM_SNP_TARGET_PUB_LEN],
			   const uint8_t nonce[SM_SNP_TARGET_NONCE_LEN],
			   uint8_t out[SM_SNP_REPORT_DATA_LEN])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned n = 0;

	/* x || y: the point without its 0x04 */
	if (!c || EVP_DigestInit_ex(c, EVP_sha512(), NULL) != 1 ||
	    EVP_DigestUpdate(c, pub + 1, SM_SNP_TARGET_PUB_LEN - 1) != 1 ||
	    EVP_DigestUpdate(c, nonce, SM_SNP_TARGET_NONCE_LEN) != 1 ||
	    EVP_DigestFinal_ex(c, out, &n) != 1 || n != SM_SNP_REPORT_DATA_LEN)
		memset(out, 0, SM_SNP_REPORT_DATA_LEN); /* binds nothing */
	EVP_MD_CTX_free(c);
	sm_ossl_clear_errors();
}

int sm_snp_target_check_pub(const uint8_t pub[SM_SNP_TARGET_PUB_LEN],
			    const char *field, struct sm_err *e)
{
	EC_GROUP *g;
	EC_POINT *pt;
	int ok;

	if (pub[0] != 0x04)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"%s is not an uncompressed point (first byte 0x%02x, not 0x04)",
			field, pub[0]);
	g = EC_GROUP_new_by_curve_name(NID_secp384r1);
	pt = g ? EC_POINT_new(g) : NULL;
	ok = pt &&
	     EC_POINT_oct2point(g, pt, pub, SM_SNP_TARGET_PUB_LEN, NULL) == 1 &&
	     EC_POINT_is_on_curve(g, pt, NULL) == 1 &&
	     !EC_POINT_is_at_infinity(g, pt);
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	sm_ossl_clear_errors();
	if (!ok)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "%s is not a point on P-384", field);
	return 0;
}

/* ---- encode ---- */

static json_t *hex_json(const uint8_t *d, size_t n)
{
	char *hex = malloc(2 * n + 1);
	json_t *j;

	if (!hex)
		return NULL;
	sm_hex_encode(d, n, hex);
	j = json_string(hex);
	free(hex);
	return j;
}

static json_t *u64_json(uint64_t v)
{
	char s[19];

	sm_fmt_hex_u64(s, v);
	return json_string(s);
}

/* The product the report names (its CPUID, or a v2's chip id); UNKNOWN. */
static enum sm_product product_of(const struct sm_snp_report *r)
{
	const char *why;

	return sm_snp_report_product(r, &why);
}

static const char *tcb_text(const struct sm_snp_report *r, char *buf, size_t n)
{
	struct sm_snp_tcb t;

	sm_snp_tcb_decode(r->reported_tcb, product_of(r), &t);
	return sm_snp_tcb_str(&t, buf, n);
}

/* s with every byte outside printable ASCII as '?', as decode wants it. */
static json_t *ascii_json(const char *s)
{
	char *c = strdup(s), *q;
	json_t *j;

	if (!c)
		return NULL;
	for (q = c; *q; q++)
		if (*q < 0x20 || *q > 0x7e)
			*q = '?';
	j = json_string(c);
	free(c);
	return j;
}

static int set(json_t *o, const char *k, json_t *v)
{
	return v ? json_object_set_new(o, k, v) : -1;
}

char *sm_snp_target_encode(const struct sm_snp_target *t, struct sm_err *e)
{
	struct sm_snp_report r;
	const uint8_t *p = t->report;
	enum sm_product prod;
	char tcb[64], *vcek = NULL, *text = NULL;
	json_t *o;
	int bad = 0;

	if (sm_snp_report_parse(t->report, SM_SNP_REPORT_LEN,
				"the target's report", &r, e) < 0)
		return NULL;
	if (sm_snp_der_to_pem(t->vcek, t->vcek_len, &vcek, e) < 0)
		return NULL;
	prod = product_of(&r);
	o = json_object();
	if (!o)
		goto oom;
	bad |= set(o, "schema", json_string(SM_SNP_TARGET_SCHEMA));
	bad |= set(o, "report", hex_json(p, SM_SNP_REPORT_LEN));
	bad |= set(o, "public_key", hex_json(t->pub, SM_SNP_TARGET_PUB_LEN));
	bad |= set(o, "nonce", hex_json(t->nonce, SM_SNP_TARGET_NONCE_LEN));
	bad |= set(o, "vcek", json_string(vcek));
	bad |= set(o, "cert_chain", sm_json_text(t->chain));
	if (t->source[0])
		bad |= set(o, "source", ascii_json(t->source));
	if (t->host[0])
		bad |= set(o, "host", ascii_json(t->host));
	if (prod != SM_PRODUCT_UNKNOWN)
		bad |= set(o, "product", json_string(sm_product_name(prod)));
	bad |= set(o, "chip_id",
		   hex_json(p + SM_SNP_OFF_CHIP_ID, SM_SNP_CHIP_ID_LEN));
	bad |= set(o, "measurement",
		   hex_json(p + SM_SNP_OFF_MEASUREMENT,
			    SM_SNP_MEASUREMENT_LEN));
	bad |= set(o, "policy", u64_json(r.policy));
	bad |= set(o, "reported_tcb",
		   json_string(tcb_text(&r, tcb, sizeof(tcb))));
	bad |= set(o, "report_id",
		   hex_json(p + SM_SNP_OFF_REPORT_ID, SM_SNP_REPORT_ID_LEN));
	if (!bad)
		text = sm_json_dump(o);
	json_decref(o);
	if (!text)
		goto oom;
	free(vcek);
	return text;
oom:
	free(vcek);
	sm_err_set(e, SM_EXIT_FAILURE, "out of memory encoding the bundle");
	return NULL;
}

/* ---- decode ---- */

/*
 * PEM text holding exactly want certificates and nothing but whitespace
 * around them; the first as DER into der (at most max bytes) when der is
 * not NULL.
 */
static int pem_certs(const char *s, const char *field, size_t want,
		     uint8_t *der, size_t max, size_t *der_len,
		     struct sm_err *e)
{
	size_t n = 0;

	while (1) {
		const char *end;
		BIO *bio;
		X509 *x;

		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		if (strncmp(s, PEM_BEGIN, strlen(PEM_BEGIN)) != 0)
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"bundle field '%s': text outside a PEM certificate",
				field);
		end = strstr(s, PEM_END);
		if (!end)
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"bundle field '%s': a PEM certificate without its END line",
				field);
		end += strlen(PEM_END);
		bio = BIO_new_mem_buf(s, (int)(end - s));
		x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
		sm_ossl_clear_errors();
		if (!x)
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"bundle field '%s': certificate %zu is not a valid PEM X.509 certificate",
				field, n + 1);
		if (n == 0 && der) {
			int len = i2d_X509(x, NULL);
			unsigned char *q = der;

			if (len <= 0 || (size_t)len > max) {
				X509_free(x);
				return sm_err_set(
					e, SM_EXIT_VERIFY,
					"bundle field '%s': a certificate of %d bytes (at most %zu)",
					field, len, max);
			}
			i2d_X509(x, &q);
			*der_len = (size_t)len;
		}
		X509_free(x);
		n++;
		s = end;
	}
	if (n != want)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"bundle field '%s' holds %zu certificates, expected %zu%s",
			field, n, want,
			want == 2 ? " (the ASK then the ARK)" : "");
	return 0;
}

/* Hex of exactly n bytes. */
static int hex_field(const char *s, const char *field, uint8_t *out, size_t n,
		     struct sm_err *e)
{
	if (strlen(s) != 2 * n || sm_hex_decode(s, out, n) != (ssize_t)n)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"bundle field '%s' is not %zu hexadecimal digits (%zu bytes)",
			field, 2 * n, n);
	return 0;
}

/* Printable ASCII of fewer than n bytes into out. */
static int text_field(const char *s, const char *field, char *out, size_t n,
		      struct sm_err *e)
{
	const char *c;

	if (strlen(s) >= n)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "bundle field '%s' is longer than %zu bytes",
				  field, n - 1);
	for (c = s; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"bundle field '%s' holds a byte that is not printable ASCII",
				field);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/*
 * Text from the bundle as a message may show it: at most 64 bytes,
 * anything but printable ASCII as '?' (no terminal escapes).
 */
#define SHOWN_MAX 68
static const char *shown(const char *s, char buf[SHOWN_MAX])
{
	size_t i;

	for (i = 0; s[i] && i < 64; i++)
		buf[i] = s[i] >= 0x20 && s[i] <= 0x7e ? s[i] : '?';
	if (s[i])
		buf[i++] = '.', buf[i++] = '.', buf[i++] = '.';
	buf[i] = '\0';
	return buf;
}

/* An informational field must say what the report says. */
static int info_field(const char *got, const char *want, const char *field,
		      struct sm_err *e)
{
	char b[SHOWN_MAX];

	if (strcmp(got, want) != 0)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"bundle field '%s' is '%s' but the report says '%s'",
			field, shown(got, b), want);
	return 0;
}

static int info_hex(const char *got, const uint8_t *d, size_t n,
		    const char *field, struct sm_err *e)
{
	char want[2 * SM_SNP_CHIP_ID_LEN + 1];

	sm_hex_encode(d, n, want);
	/* hex of either case says the same bytes */
	if (strlen(got) == 2 * n && strcasecmp(got, want) == 0)
		return 0;
	return sm_err_set(e, SM_EXIT_VERIFY,
			  "bundle field '%s' is not the report's (%s)", field,
			  want);
}

enum {
	F_SCHEMA,
	F_REPORT,
	F_PUB,
	F_NONCE,
	F_VCEK,
	F_CHAIN,
	F_SOURCE,
	F_HOST,
	F_PRODUCT,
	F_CHIP,
	F_MEAS,
	F_POLICY,
	F_TCB,
	F_REPORT_ID,
	F_COUNT,
	F_REQUIRED = F_SOURCE, /* the fields before this one */
};

static const char *const field_names[F_COUNT] = {
	"schema",      "report", "public_key",	 "nonce",     "vcek",
	"cert_chain",  "source", "host",	 "product",   "chip_id",
	"measurement", "policy", "reported_tcb", "report_id",
};

static int decode_obj(json_t *root, struct sm_snp_target *t, struct sm_err *e)
{
	struct sm_snp_report r;
	const char *f[F_COUNT] = { NULL }, *key, *schema;
	json_t *v;
	char want[64], b[SHOWN_MAX];
	size_t i;

	if (!json_is_object(root))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "a target bundle must be a JSON object");
	v = json_object_get(root, "schema");
	schema = json_string_value(v);
	if (!schema)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"bundle field 'schema' is missing or not a string");
	if (strcmp(schema, SM_SNP_TARGET_SCHEMA) != 0)
		return sm_err_set(
			e,
			strncmp(schema, "sevmig-snp-target/", 18) == 0 ?
				SM_EXIT_UNSUPPORTED :
				SM_EXIT_VERIFY,
			"unsupported bundle schema '%s' (this version reads '%s')",
			shown(schema, b), SM_SNP_TARGET_SCHEMA);
	json_object_foreach(root, key, v)
	{
		for (i = 0; i < F_COUNT; i++)
			if (strcmp(key, field_names[i]) == 0)
				break;
		if (i == F_COUNT)
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "unknown bundle field '%s'",
					  shown(key, b));
		f[i] = json_string_value(v);
		if (!f[i])
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "bundle field '%s' is not a string",
					  field_names[i]);
	}
	for (i = 0; i < F_REQUIRED; i++)
		if (!f[i])
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "bundle field '%s' is missing",
					  field_names[i]);

	if (hex_field(f[F_REPORT], "report", t->report, SM_SNP_REPORT_LEN, e) <
	    0)
		return -1;
	if (sm_snp_report_parse(t->report, SM_SNP_REPORT_LEN, "report", &r, e) <
	    0)
		return sm_err_prefix(e, "bundle field 'report'");
	if (hex_field(f[F_PUB], "public_key", t->pub, SM_SNP_TARGET_PUB_LEN,
		      e) < 0 ||
	    sm_snp_target_check_pub(t->pub, "bundle field 'public_key'", e) <
		    0 ||
	    hex_field(f[F_NONCE], "nonce", t->nonce, SM_SNP_TARGET_NONCE_LEN,
		      e) < 0)
		return -1;
	if (pem_certs(f[F_VCEK], "vcek", 1, t->vcek, sizeof(t->vcek),
		      &t->vcek_len, e) < 0 ||
	    pem_certs(f[F_CHAIN], "cert_chain", 2, NULL, 0, NULL, e) < 0)
		return -1;
	if (strlen(f[F_CHAIN]) >= sizeof(t->chain))
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"bundle field 'cert_chain' is longer than %u bytes",
			SM_SNP_TARGET_CHAIN_MAX - 1);
	memcpy(t->chain, f[F_CHAIN], strlen(f[F_CHAIN]) + 1);
	if ((f[F_SOURCE] && text_field(f[F_SOURCE], "source", t->source,
				       sizeof(t->source), e) < 0) ||
	    (f[F_HOST] &&
	     text_field(f[F_HOST], "host", t->host, sizeof(t->host), e) < 0))
		return -1;

	/* the informational fields: what the report says, if present */
	if (f[F_PRODUCT]) {
		enum sm_product p = product_of(&r), q;

		if (sm_product_parse(f[F_PRODUCT], &q) < 0)
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"bundle field 'product' names unknown product '%s'",
				shown(f[F_PRODUCT], b));
		if (p != SM_PRODUCT_UNKNOWN &&
		    info_field(f[F_PRODUCT], sm_product_name(p), "product", e) <
			    0)
			return -1;
	}
	if (f[F_CHIP] && info_hex(f[F_CHIP], t->report + SM_SNP_OFF_CHIP_ID,
				  SM_SNP_CHIP_ID_LEN, "chip_id", e) < 0)
		return -1;
	if (f[F_MEAS] && info_hex(f[F_MEAS], t->report + SM_SNP_OFF_MEASUREMENT,
				  SM_SNP_MEASUREMENT_LEN, "measurement", e) < 0)
		return -1;
	if (f[F_REPORT_ID] &&
	    info_hex(f[F_REPORT_ID], t->report + SM_SNP_OFF_REPORT_ID,
		     SM_SNP_REPORT_ID_LEN, "report_id", e) < 0)
		return -1;
	if (f[F_POLICY]) {
		uint64_t pol;

		sm_fmt_hex_u64(want, r.policy);
		if (sm_parse_hex_u64(f[F_POLICY], &pol) < 0 || pol != r.policy)
			return info_field(f[F_POLICY], want, "policy", e);
	}
	if (f[F_TCB] && info_field(f[F_TCB], tcb_text(&r, want, sizeof(want)),
				   "reported_tcb", e) < 0)
		return -1;
	return 0;
}

int sm_snp_target_decode(const char *text, size_t len, const char *name,
			 struct sm_snp_target *t, struct sm_err *e)
{
	json_t *root;
	int rc;

	memset(t, 0, sizeof(*t));
	if (sm_json_parse(text, len, name, &root, e) < 0)
		return -1;
	rc = decode_obj(root, t, e);
	json_decref(root);
	if (rc < 0) {
		memset(t, 0, sizeof(*t));
		return sm_err_prefix(e, "target bundle '%s'", name);
	}
	return 0;
}

int sm_snp_target_load(const char *path, struct sm_snp_target *t,
		       struct sm_err *e)
{
	const char *name = strcmp(path, "-") == 0 ? "(stdin)" : path;
	uint8_t *buf;
	size_t len;
	int rc;

	if (sm_read_file(path, SM_SNP_TARGET_MAX, &buf, &len, e) < 0)
		return -1;
	rc = sm_snp_target_decode((const char *)buf, len, name, t, e);
	free(buf);
	return rc;
}

/* ---- verify ---- */

/* 1 when the VCEK (DER) says it is a simulated host's: OU=sevmig simulator. */
static int vcek_simulated(const struct sm_snp_target *t)
{
	const unsigned char *p = t->vcek;
	X509 *x = d2i_X509(NULL, &p, (long)t->vcek_len);
	X509_NAME *names[2];
	int i, sim = 0;

	if (!x) {
		sm_ossl_clear_errors();
		return 0;
	}
	names[0] = X509_get_issuer_name(x);
	names[1] = X509_get_subject_name(x);
	for (i = 0; i < 2 && !sim; i++) {
		int k = -1;

		while (!sim && (k = X509_NAME_get_index_by_NID(
					names[i], NID_organizationalUnitName,
					k)) >= 0) {
			ASN1_STRING *d = X509_NAME_ENTRY_get_data(
				X509_NAME_get_entry(names[i], k));

			sim = ASN1_STRING_length(d) == (int)strlen(SIM_OU) &&
			      memcmp(ASN1_STRING_get0_data(d), SIM_OU,
				     strlen(SIM_OU)) == 0;
		}
	}
	X509_free(x);
	sm_ossl_clear_errors();
	return sim;
}

int sm_snp_target_verify(const struct sm_snp_target *t,
			 const struct sm_snp_target_opts *o,
			 struct sm_snp_verify_result *res, struct sm_err *e)
{
	struct sm_snp_report r;
	uint8_t want[SM_SNP_REPORT_DATA_LEN];
	struct sm_snp_verify_opts v;
	struct sm_err ve, pe;
	size_t k;
	int rc;

	memset(res, 0, sizeof(*res));
	if (sm_snp_report_parse(t->report, SM_SNP_REPORT_LEN,
				"the target's report", &r, e) < 0)
		return -1;
	/* the chain as strictly as decode reads it: what verifies here
	 * must also decode once printed */
	if (memchr(t->chain, '\0', sizeof(t->chain)) == NULL)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "bundle field 'cert_chain' is too long");
	if (pem_certs(t->chain, "cert_chain", 2, NULL, 0, NULL, e) < 0)
		return -1;
	memset(&v, 0, sizeof(v));
	v.vcek_buf = t->vcek;
	v.vcek_len = t->vcek_len;
	v.chain_buf = (const uint8_t *)t->chain;
	v.chain_len = strnlen(t->chain, sizeof(t->chain));
	v.buf_owner = "the bundle's";
	v.ark = o ? o->ark : NULL;
	v.ark_buf = o ? o->ark_buf : NULL;
	v.ark_len = o ? o->ark_len : 0;
	if (o) {
		v.product = o->product;
		v.have_measurement = o->have_measurement;
		memcpy(v.measurement, o->measurement, sizeof(v.measurement));
		v.have_policy = o->have_policy;
		v.policy = o->policy;
		v.min_tcb_mask = o->min_tcb_mask;
		v.min_tcb = o->min_tcb;
	}
	rc = sm_snp_verify(&r, &v, res, &ve);
	if (rc < 0 && res->nchecks == 0) {
		*e = ve;
		return -1;
	}

	rc = sm_snp_target_check_pub(t->pub, "the public key", &pe);
	sm_snp_check_add(res, "public key", rc == 0, "%s",
			 rc == 0 ? "0x04 || x || y, a point on P-384" : pe.msg);
	sm_snp_target_binding(t->pub, t->nonce, want);
	if (memcmp(t->report + SM_SNP_OFF_REPORT_DATA, want, sizeof(want)) == 0)
		sm_snp_check_add(res, "key binding", 1,
				 "REPORT_DATA is SHA-512(x || y || nonce)");
	else
		sm_snp_check_add(
			res, "key binding", 0,
			"the report does not bind the key: REPORT_DATA is not SHA-512(x || y || nonce)");
	if (o && o->have_report_id)
		sm_snp_check_add(res, "report id",
				 memcmp(t->report + SM_SNP_OFF_REPORT_ID,
					o->report_id,
					SM_SNP_REPORT_ID_LEN) == 0,
				 "%s", "--expect-report-id");
	if (res->ok)
		return 0;

	for (k = 0; k < res->nchecks && res->checks[k].ok; k++)
		;
	if (k == res->nchecks) /* no room for the failed check: say so */
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "SNP target verification failed");
	sm_err_set(e, SM_EXIT_VERIFY, "SNP target verification failed: %s: %s",
		   res->checks[k].name, res->checks[k].detail);
	if (!strcmp(res->checks[k].name, "ARK is pinned") &&
	    vcek_simulated(t)) {
		size_t n = strlen(e->msg);

		/* t->host is "sim:DIR" on a simulated host */
		if (!strncmp(t->host, "sim:", 4) && t->host[4])
			snprintf(
				e->msg + n, sizeof(e->msg) - n,
				"; the VCEK says it is a simulated host's (OU=sevmig simulator): give --ark %s/snp-ark.pem%s",
				t->host + 4,
				strncmp(t->source, "ssh://", 6) ?
					"" :
					" (a path on the VM's host: copy that file here)");
		else
			snprintf(
				e->msg + n, sizeof(e->msg) - n,
				"; the VCEK says it is a simulated host's (OU=sevmig simulator): give --ark with that host's snp-ark.pem");
	}
	return -1;
}

void sm_snp_target_expect_own(const struct sm_snp_report *own,
			      struct sm_snp_target_opts *o)
{
	struct sm_snp_tcb t;

	o->have_measurement = 1;
	memcpy(o->measurement, own->raw + SM_SNP_OFF_MEASUREMENT,
	       SM_SNP_MEASUREMENT_LEN);
	o->have_policy = 1;
	o->policy = own->policy;
	sm_snp_tcb_decode(own->reported_tcb, product_of(own), &t);
	o->min_tcb = t;
	/* 1 fmc, 2 bl, 4 tee, 8 snp, 16 ucode (sm_snp_tcb_parse) */
	o->min_tcb_mask = 2 | 4 | 8 | 16 | (t.has_fmc ? 1 : 0);
}
