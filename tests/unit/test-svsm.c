// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/fw/svsm.c: the SVSM's migration core.  The target's
 * key pair and REPORT_DATA, the source's check of a (fake, test-signed)
 * target report, the start record, the records and END as svsm.h lays
 * them out (opened here with OpenSSL directly), every refusal of the
 * target, the LOAD blob, and seal_page from two threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "certs/snp-report.h"
#include "fw/svsm.h"

#define NPAGES 64
#define NVCPUS 2
#define E SM_SVSM_ENTRY_LEN

static const uint8_t S_ID[32] = "source report id ..............";
static const uint8_t T_ID[32] = "target report id ..............";
static const uint8_t SID[16] = "session-one.....";

struct rec {
	uint8_t e[E];
	uint8_t ct[4096];
};

/* ---- a test-only signer: a P-384 "VCEK" and reports it signs ---- */

struct vcek {
	EVP_PKEY *k;
	uint8_t *der;
	size_t len;
};

static void vcek_new(struct vcek *v)
{
	X509 *x = X509_new();
	X509_NAME *n;
	unsigned char *der = NULL;
	int len;

	v->k = EVP_EC_gen("P-384");
	assert_non_null(v->k);
	assert_non_null(x);
	assert_true(X509_set_version(x, 2));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 1));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_true(X509_set_pubkey(x, v->k));
	n = X509_get_subject_name(x);
	assert_true(X509_NAME_add_entry_by_txt(
		n, "CN", MBSTRING_ASC, (const unsigned char *)"test VCEK", -1,
		-1, 0));
	assert_true(X509_set_issuer_name(x, n));
	assert_true(X509_sign(x, v->k, EVP_sha384()) > 0);
	len = i2d_X509(x, &der);
	assert_true(len > 0);
	v->der = der;
	v->len = (size_t)len;
	X509_free(x);
}

static void vcek_free(struct vcek *v)
{
	EVP_PKEY_free(v->k);
	OPENSSL_free(v->der);
}

/* ECDSA P-384/SHA-384 over 0x000-0x29f; r, s little-endian at 0x2a0/0x2e8 */
static void sign_report(EVP_PKEY *k, uint8_t rep[SM_SNP_REPORT_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[128];
	const unsigned char *p = sig;
	size_t len = sizeof(sig);
	const BIGNUM *r, *s;
	ECDSA_SIG *es;

	assert_true(EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, k) == 1);
	assert_true(EVP_DigestSign(md, sig, &len, rep, SM_SNP_SIGNED_LEN) == 1);
	es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	assert_non_null(es);
	ECDSA_SIG_get0(es, &r, &s);
	memset(rep + SM_SNP_SIGNED_LEN, 0,
	       SM_SNP_REPORT_LEN - SM_SNP_SIGNED_LEN);
	assert_int_equal(BN_bn2lebinpad(r, rep + SM_SNP_OFF_SIG_R, 72), 72);
	assert_int_equal(BN_bn2lebinpad(s, rep + SM_SNP_OFF_SIG_S, 72), 72);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
}

/* A version-2 report with report_data and report_id, signed by k. */
static void make_report(EVP_PKEY *k, const uint8_t rd[64], const uint8_t id[32],
			uint8_t rep[SM_SNP_REPORT_LEN])
{
	memset(rep, 0, SM_SNP_REPORT_LEN);
	sm_put_le32(rep, 2);
	sm_put_le32(rep + 0x34, 1); /* signature algorithm: ECDSA P-384 */
	memcpy(rep + SM_SNP_OFF_REPORT_DATA, rd, 64);
	memcpy(rep + SM_SNP_OFF_REPORT_ID, id, 32);
	sign_report(k, rep);
}

/* ---- a source and a target that have started ---- */

struct pair {
	struct vcek v;
	struct sm_svsm_core *s, *t;
	uint8_t pub[SM_SVSM_PUB_LEN], nonce[32], rd[64];
	uint8_t report[SM_SNP_REPORT_LEN];
	uint8_t start[SM_SVSM_START_LEN];
	struct sm_svsm_target tg;
};

static void target_of(struct pair *p)
{
	assert_int_equal(sm_svsm_core_target_key(p->t, p->pub, p->nonce, p->rd),
			 SM_SVSM_OK);
	make_report(p->v.k, p->rd, T_ID, p->report);
	p->tg = (struct sm_svsm_target){ .report = p->report,
					 .pub = p->pub,
					 .nonce = p->nonce,
					 .vcek = p->v.der,
					 .vcek_len = p->v.len };
}

static struct pair *pair_new(const uint8_t *sid)
{
	struct pair *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	vcek_new(&p->v);
	assert_int_equal(
		sm_svsm_core_new(SM_SVSM_TARGET, NPAGES, NVCPUS, &p->t), 0);
	assert_int_equal(
		sm_svsm_core_new(SM_SVSM_SOURCE, NPAGES, NVCPUS, &p->s), 0);
	assert_false(sm_svsm_core_spent(p->t));
	target_of(p);
	assert_int_equal(sm_svsm_core_start_source(p->s, &p->tg, S_ID, sid,
						   p->start),
			 SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_start_target(p->t, T_ID, p->start,
						   sizeof(p->start)),
			 SM_SVSM_OK);
	assert_true(sm_svsm_core_spent(p->t));
	assert_true(sm_svsm_core_active(p->s));
	assert_true(sm_svsm_core_active(p->t));
	return p;
}

static void pair_free(struct pair *p)
{
	sm_svsm_core_free(p->s);
	sm_svsm_core_free(p->t);
	vcek_free(&p->v);
	free(p);
}

static void fill(uint64_t tag, uint8_t p[4096])
{
	size_t i;

	for (i = 0; i < 4096; i++)
		p[i] = (uint8_t)(tag * 31 + i);
}

static void page(struct sm_svsm_core *s, uint64_t gpa, int validated,
		 uint64_t vmpl, struct rec *r)
{
	uint8_t p[4096];

	fill(gpa, p);
	assert_int_equal(sm_svsm_core_seal_page(s, gpa, p, validated, vmpl,
						r->e, r->ct),
			 SM_SVSM_OK);
}

static void vmsa(struct sm_svsm_core *s, uint32_t vcpu, struct rec *r)
{
	uint8_t p[4096];

	fill(0x1000 + vcpu, p);
	assert_int_equal(sm_svsm_core_seal_vmsa(s, vcpu, 0x100000 + vcpu * 4096,
						p, r->e, r->ct),
			 SM_SVSM_OK);
}

static void state(struct sm_svsm_core *s, uint32_t i, uint32_t n, struct rec *r)
{
	uint8_t p[4096];

	fill(0x2000 + i, p);
	assert_int_equal(sm_svsm_core_seal_state(s, i, n, p, r->e, r->ct),
			 SM_SVSM_OK);
}

static int open_page(struct sm_svsm_core *t, uint64_t gpa, const struct rec *r)
{
	uint8_t p[4096], want[4096];
	int rc = sm_svsm_core_open_page(t, gpa, r->e, r->ct, p, NULL, NULL);

	if (rc == SM_SVSM_OK) {
		fill(gpa, want);
		assert_memory_equal(p, want, 4096);
	}
	return rc;
}

static int open_vmsa(struct sm_svsm_core *t, uint32_t vcpu, const struct rec *r)
{
	uint8_t p[4096];

	return sm_svsm_core_open_vmsa(t, vcpu, r->e, r->ct, p, NULL);
}

static int open_state(struct sm_svsm_core *t, uint32_t i, const struct rec *r)
{
	uint8_t p[4096];

	return sm_svsm_core_open_state(t, i, r->e, r->ct, p, NULL);
}

/* The whole tail of a session: every VMSA, nst state chunks. */
static void tail(struct pair *p, struct rec *v, struct rec *st, uint32_t nst)
{
	uint32_t i;

	for (i = 0; i < NVCPUS; i++)
		vmsa(p->s, i, &v[i]);
	for (i = 0; i < nst; i++)
		state(p->s, i, nst, &st[i]);
}

/* ---- tests ---- */

static void test_round_trip(void **unused)
{
	struct pair *p = pair_new(NULL);
	struct rec r[3], v[NVCPUS], st[2], end;
	uint8_t plain[4096], want[4096];
	struct sm_svsm_counts n;
	uint64_t vmpl = 0, gpa = 0;
	uint32_t total = 0;
	int validated = -1;

	(void)unused;
	page(p->s, 0x0, 1, 0x0f0f0f0full, &r[0]);
	page(p->s, 0x5000, 0, 0x000f0300ull, &r[1]);
	page(p->s, 0x7000, 1, 0, &r[2]);
	tail(p, v, st, 2);
	assert_int_equal(sm_svsm_core_seal_end(p->s, end.e, end.ct),
			 SM_SVSM_OK);
	assert_true(sm_svsm_core_ended(p->s));
	assert_false(sm_svsm_core_active(p->s));
	/* any order on the target */
	assert_int_equal(open_state(p->t, 1, &st[1]), SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_open_vmsa(p->t, 1, v[1].e, v[1].ct, plain,
						&gpa),
			 SM_SVSM_OK);
	assert_int_equal(gpa, 0x101000);
	fill(0x1001, want);
	assert_memory_equal(plain, want, 4096);
	assert_int_equal(sm_svsm_core_open_page(p->t, 0x5000, r[1].e, r[1].ct,
						plain, &validated, &vmpl),
			 SM_SVSM_OK);
	assert_int_equal(validated, 0);
	assert_int_equal(vmpl, 0x000f0300ull);
	assert_int_equal(sm_svsm_core_open_page(p->t, 0x0, r[0].e, r[0].ct,
						plain, &validated, &vmpl),
			 SM_SVSM_OK);
	assert_int_equal(validated, 1);
	assert_int_equal(vmpl, 0x0f0f0f0full);
	assert_int_equal(open_page(p->t, 0x7000, &r[2]), SM_SVSM_OK);
	assert_int_equal(open_vmsa(p->t, 0, &v[0]), SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_open_state(p->t, 0, st[0].e, st[0].ct,
						 plain, &total),
			 SM_SVSM_OK);
	assert_int_equal(total, 2);
	fill(0x2000, want);
	assert_memory_equal(plain, want, 4096);
	assert_false(sm_svsm_core_ended(p->t));
	sm_svsm_core_counts(p->t, &n);
	assert_int_equal(n.pages, 3);
	assert_int_equal(n.vmsas, 2);
	assert_int_equal(n.states, 2);
	assert_int_equal(n.records, 7);
	assert_int_equal(sm_svsm_core_accept_end(p->t, end.e, end.ct),
			 SM_SVSM_OK);
	assert_true(sm_svsm_core_ended(p->t));
	/* the source is done: no more records, no new session */
	assert_int_equal(sm_svsm_core_seal_page(p->s, 0x9000, want, 1, 0,
						r[0].e, r[0].ct),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_seal_end(p->s, end.e, end.ct),
			 SM_SVSM_INVALID);
	/*
	 * RESET after END: the VMM abandoned the export before release; the
	 * guest may move again, in a new session.
	 */
	assert_int_equal(sm_svsm_core_reset(p->s), SM_SVSM_OK);
	assert_false(sm_svsm_core_ended(p->s));
	assert_int_equal(sm_svsm_core_start_source(p->s, &p->tg, S_ID, NULL,
						   p->start),
			 SM_SVSM_OK);
	pair_free(p);
}

/* No state at all is allowed; the END then counts none. */
static void test_no_state(void **unused)
{
	struct pair *p = pair_new(NULL);
	struct rec v[NVCPUS], end;

	(void)unused;
	tail(p, v, NULL, 0);
	assert_int_equal(sm_svsm_core_seal_end(p->s, end.e, end.ct),
			 SM_SVSM_OK);
	assert_int_equal(open_vmsa(p->t, 0, &v[0]), SM_SVSM_OK);
	assert_int_equal(open_vmsa(p->t, 1, &v[1]), SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_accept_end(p->t, end.e, end.ct),
			 SM_SVSM_OK);
	pair_free(p);
}

/* ---- the bytes, checked against OpenSSL directly ---- */

static void hkdf384(const uint8_t *z, const uint8_t *salt, const uint8_t *info,
		    size_t ilen, uint8_t out[32])
{
	EVP_PKEY_CTX *k = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	size_t len = 32;

	assert_true(EVP_PKEY_derive_init(k) > 0);
	assert_true(EVP_PKEY_CTX_set_hkdf_md(k, EVP_sha384()) > 0);
	assert_true(EVP_PKEY_CTX_set1_hkdf_salt(k, salt, 16) > 0);
	assert_true(EVP_PKEY_CTX_set1_hkdf_key(k, z, 48) > 0);
	assert_true(EVP_PKEY_CTX_add1_hkdf_info(k, info, (int)ilen) > 0);
	assert_true(EVP_PKEY_derive(k, out, &len) > 0);
	EVP_PKEY_CTX_free(k);
}

static EVP_PKEY *point_key(const uint8_t pt[97])
{
	OSSL_PARAM prm[3];
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;
	char group[] = "P-384";

	prm[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						  group, 0);
	prm[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						   (void *)(uintptr_t)pt, 97);
	prm[2] = OSSL_PARAM_construct_end();
	assert_true(EVP_PKEY_fromdata_init(c) == 1);
	assert_true(EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, prm) == 1);
	EVP_PKEY_CTX_free(c);
	return k;
}

/* GCM open of r as svsm.h says: IV seq||0, AAD entry(tag 0)||sid||seq. */
static void gcm_open(const uint8_t kt[32], const uint8_t sid[16],
		     const struct rec *r, uint8_t out[4096])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t iv[12] = { 0 }, aad[88];
	int n = 0;

	memcpy(iv, r->e + 8, 8);
	memcpy(aad, r->e, 64);
	memset(aad + 16, 0, 16);
	memcpy(aad + 64, sid, 16);
	memcpy(aad + 80, r->e + 8, 8);
	assert_true(EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, kt, iv));
	assert_true(EVP_DecryptUpdate(c, NULL, &n, aad, 88));
	assert_true(EVP_DecryptUpdate(c, out, &n, r->ct, 4096));
	assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16,
					(void *)(uintptr_t)(r->e + 16)));
	assert_true(EVP_DecryptFinal_ex(c, out + n, &n) == 1);
	EVP_CIPHER_CTX_free(c);
}

static void test_bytes(void **unused)
{
	struct vcek v;
	EVP_PKEY *tk = EVP_EC_gen("P-384"), *sp;
	EVP_PKEY_CTX *dc;
	struct sm_svsm_core *s;
	struct sm_svsm_target tg;
	uint8_t pub[97], nonce[32], rd[64], rep[SM_SNP_REPORT_LEN];
	uint8_t st[SM_SVSM_START_LEN], z[48], kt[32], info[14 + 96];
	uint8_t plain[4096], want[4096], blk[4096], q[32], h[32];
	BIGNUM *x = NULL, *y = NULL;
	struct rec r, vm[NVCPUS], sr, end;
	size_t zl = 48;
	unsigned hl = 0;
	EVP_MD_CTX *md;
	uint64_t i;

	(void)unused;
	vcek_new(&v);
	/* The test is the target: its own key, nonce, REPORT_DATA. */
	assert_true(EVP_PKEY_get_bn_param(tk, OSSL_PKEY_PARAM_EC_PUB_X, &x));
	assert_true(EVP_PKEY_get_bn_param(tk, OSSL_PKEY_PARAM_EC_PUB_Y, &y));
	pub[0] = 4;
	BN_bn2binpad(x, pub + 1, 48);
	BN_bn2binpad(y, pub + 49, 48);
	memset(nonce, 0x5a, sizeof(nonce));
	md = EVP_MD_CTX_new();
	assert_true(EVP_DigestInit_ex(md, EVP_sha512(), NULL));
	assert_true(EVP_DigestUpdate(md, pub + 1, 96));
	assert_true(EVP_DigestUpdate(md, nonce, 32));
	assert_true(EVP_DigestFinal_ex(md, rd, &hl));
	EVP_MD_CTX_free(md);
	make_report(v.k, rd, T_ID, rep);
	tg = (struct sm_svsm_target){ rep, pub, nonce, v.der, v.len, NULL, 0 };
	assert_int_equal(sm_svsm_core_new(SM_SVSM_SOURCE, 4, NVCPUS, &s), 0);
	assert_int_equal(sm_svsm_core_start_source(s, &tg, S_ID, SID, st),
			 SM_SVSM_OK);
	/* the start record */
	assert_memory_equal(st, "sevmig-svsm-st-1", 16);
	assert_int_equal(sm_get_le32(st + 0x10), 1);
	assert_int_equal(sm_get_le32(st + 0x14), 1);
	assert_memory_equal(st + 0x18, SID, 16);
	assert_int_equal(st[0x28], 4);
	assert_true(sm_all_zero(st + 0x89, 7));
	assert_memory_equal(st + 0x90, S_ID, 32);
	assert_memory_equal(st + 0xb0, T_ID, 32);
	assert_memory_equal(st + 0xd0, nonce, 32);
	assert_memory_equal(st + 0xf0, pub, 97);
	assert_true(sm_all_zero(st + 0x151, 15));
	/* Kt, by the spec */
	sp = point_key(st + 0x28);
	dc = EVP_PKEY_CTX_new_from_pkey(NULL, tk, NULL);
	assert_true(EVP_PKEY_derive_init(dc) == 1);
	assert_true(EVP_PKEY_derive_set_peer(dc, sp) == 1);
	assert_true(EVP_PKEY_derive(dc, z, &zl) == 1);
	memcpy(info, "sevmig-svsm-v1", 14);
	memcpy(info + 14, S_ID, 32);
	memcpy(info + 46, T_ID, 32);
	memcpy(info + 78, nonce, 32);
	hkdf384(z, SID, info, sizeof(info), kt);
	/* a page record */
	page(s, 0x3000, 1, 0x0103070full, &r);
	assert_int_equal(sm_get_le64(r.e), 1ull << 56);
	assert_int_equal(sm_get_le64(r.e + 8), 0);
	assert_int_equal(sm_get_le64(r.e + 0x20), 0x3000 | 3);
	assert_int_equal(sm_get_le64(r.e + 0x28), 0x0103070full);
	assert_true(sm_all_zero(r.e + 0x30, 16));
	gcm_open(kt, SID, &r, plain);
	fill(0x3000, want);
	assert_memory_equal(plain, want, 4096);
	/* VMSAs, a state chunk */
	vmsa(s, 0, &vm[0]);
	vmsa(s, 1, &vm[1]);
	assert_int_equal(sm_get_le64(vm[1].e), 2ull << 56 | 1);
	assert_int_equal(sm_get_le64(vm[1].e + 8), 2);
	assert_int_equal(sm_get_le64(vm[1].e + 0x20), 0x101000 | 7);
	assert_int_equal(sm_get_le64(vm[1].e + 0x28), 0);
	gcm_open(kt, SID, &vm[1], plain);
	state(s, 0, 1, &sr);
	assert_int_equal(sm_get_le64(sr.e), 3ull << 56 | 1ull << 24 | 0);
	assert_int_equal(sm_get_le64(sr.e + 0x20), 1);
	gcm_open(kt, SID, &sr, plain);
	/* END and its block */
	assert_int_equal(sm_svsm_core_seal_end(s, end.e, end.ct), SM_SVSM_OK);
	assert_int_equal(sm_get_le64(end.e), 4ull << 56);
	assert_int_equal(sm_get_le64(end.e + 8), 4);
	assert_int_equal(sm_get_le64(end.e + 0x20), 1);
	gcm_open(kt, SID, &end, blk);
	assert_memory_equal(blk, "sevmig-svsm-end1", 16);
	assert_int_equal(sm_get_le64(blk + 0x10), 1);
	assert_int_equal(sm_get_le64(blk + 0x18), 2);
	assert_int_equal(sm_get_le64(blk + 0x20), 1);
	assert_int_equal(sm_get_le64(blk + 0x28), 4);
	{
		const struct rec *all[4] = { &r, &vm[0], &vm[1], &sr };

		md = EVP_MD_CTX_new();
		assert_true(EVP_DigestInit_ex(md, EVP_sha256(), NULL));
		for (i = 0; i < 4; i++) {
			sm_put_le64(q, sm_get_le64(all[i]->e));
			sm_put_le64(q + 8, sm_get_le64(all[i]->e + 0x20));
			sm_put_le64(q + 16, sm_get_le64(all[i]->e + 0x28));
			sm_put_le64(q + 24, i);
			assert_true(EVP_DigestUpdate(md, q, 32));
		}
		assert_true(EVP_DigestFinal_ex(md, h, &hl));
		EVP_MD_CTX_free(md);
	}
	assert_memory_equal(blk + 0x30, h, 32);
	assert_true(sm_all_zero(blk + 0x50, 4096 - 0x50));
	BN_free(x);
	BN_free(y);
	EVP_PKEY_CTX_free(dc);
	EVP_PKEY_free(sp);
	EVP_PKEY_free(tk);
	sm_svsm_core_free(s);
	vcek_free(&v);
}

/* ---- the target's key pair and the source's checks ---- */

static void test_target_key(void **unused)
{
	struct pair *p = pair_new(NULL);
	uint8_t rd[64], pub2[97], nonce2[32], st[SM_SVSM_START_LEN];
	uint8_t oldpub[97], oldnonce[32];
	uint8_t bad[SM_SNP_REPORT_LEN];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct sm_svsm_core *s2;
	struct vcek other;
	unsigned hl = 0;
	struct sm_svsm_target tg;

	(void)unused;
	memcpy(oldpub, p->pub, sizeof(oldpub));
	memcpy(oldnonce, p->nonce, sizeof(oldnonce));
	/* REPORT_DATA is SHA-512(x || y || nonce) */
	assert_true(EVP_DigestInit_ex(md, EVP_sha512(), NULL));
	assert_true(EVP_DigestUpdate(md, p->pub + 1, 96));
	assert_true(EVP_DigestUpdate(md, p->nonce, 32));
	assert_true(EVP_DigestFinal_ex(md, rd, &hl));
	EVP_MD_CTX_free(md);
	assert_memory_equal(rd, p->rd, 64);
	assert_int_equal(p->pub[0], 4);
	/* the same migration's start again (a stream imported after a cut) */
	assert_int_equal(sm_svsm_core_start_target(p->t, T_ID, p->start,
						   sizeof(p->start)),
			 SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_new(SM_SVSM_SOURCE, NPAGES, NVCPUS, &s2),
			 0);
	assert_int_equal(sm_svsm_core_start_source(s2, &p->tg, S_ID, NULL, st),
			 SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_start_target(p->t, T_ID, st, sizeof(st)),
			 SM_SVSM_AUTH);
	/* RESET: the session goes, the key pair stays spent */
	assert_int_equal(sm_svsm_core_reset(p->t), SM_SVSM_OK);
	assert_false(sm_svsm_core_active(p->t));
	assert_true(sm_svsm_core_spent(p->t));
	assert_int_equal(sm_svsm_core_start_target(p->t, T_ID, st, sizeof(st)),
			 SM_SVSM_AUTH);
	assert_int_equal(sm_svsm_core_start_target(p->t, T_ID, p->start,
						   sizeof(p->start)),
			 SM_SVSM_OK);
	/* a new key pair: the old start names the old one */
	assert_int_equal(sm_svsm_core_keygen(p->t), SM_SVSM_OK);
	assert_false(sm_svsm_core_spent(p->t));
	assert_int_equal(sm_svsm_core_target_key(p->t, pub2, nonce2, NULL),
			 SM_SVSM_OK);
	assert_memory_not_equal(pub2, oldpub, 97);
	assert_memory_not_equal(nonce2, oldnonce, 32);
	assert_int_equal(sm_svsm_core_start_target(p->t, T_ID, st, sizeof(st)),
			 SM_SVSM_AUTH);
	target_of(p);
	assert_int_equal(sm_svsm_core_start_source(s2, &p->tg, S_ID, NULL, st),
			 SM_SVSM_OK);
	/* the target's report_id must be its own */
	assert_int_equal(sm_svsm_core_start_target(p->t, S_ID, st, sizeof(st)),
			 SM_SVSM_AUTH);
	assert_false(sm_svsm_core_spent(p->t));
	assert_int_equal(sm_svsm_core_start_target(p->t, T_ID, st, sizeof(st)),
			 SM_SVSM_OK);
	/* malformed start records */
	st[0x89] = 1;
	assert_int_equal(sm_svsm_core_start_target(p->t, T_ID, st, sizeof(st)),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_start_target(p->t, T_ID, st, 100),
			 SM_SVSM_INVALID);

	/* REPORT_DATA that does not bind the pub (or the nonce) */
	tg = p->tg;
	tg.pub = oldpub; /* a signed report, but of another key */
	assert_int_equal(sm_svsm_core_start_source(s2, &tg, S_ID, NULL, st),
			 SM_SVSM_AUTH);
	tg = p->tg;
	tg.nonce = oldnonce;
	assert_int_equal(sm_svsm_core_start_source(s2, &tg, S_ID, NULL, st),
			 SM_SVSM_AUTH);
	memset(rd, 0, sizeof(rd));
	make_report(p->v.k, rd, T_ID, bad);
	tg = p->tg;
	tg.report = bad;
	assert_int_equal(sm_svsm_core_start_source(s2, &tg, S_ID, NULL, st),
			 SM_SVSM_AUTH);
	/* a wrong signature: another key, a changed byte, a changed r */
	vcek_new(&other);
	make_report(other.k, p->rd, T_ID, bad);
	tg = p->tg;
	tg.report = bad;
	assert_int_equal(sm_svsm_core_start_source(s2, &tg, S_ID, NULL, st),
			 SM_SVSM_AUTH);
	tg.report = p->report;
	tg.vcek = other.der;
	tg.vcek_len = other.len;
	assert_int_equal(sm_svsm_core_start_source(s2, &tg, S_ID, NULL, st),
			 SM_SVSM_AUTH);
	memcpy(bad, p->report, sizeof(bad));
	bad[SM_SNP_OFF_MEASUREMENT] ^= 1;
	tg = p->tg;
	tg.report = bad;
	assert_int_equal(sm_svsm_core_start_source(s2, &tg, S_ID, NULL, st),
			 SM_SVSM_AUTH);
	memcpy(bad, p->report, sizeof(bad));
	bad[SM_SNP_OFF_SIG_R] ^= 1;
	assert_int_equal(sm_svsm_core_start_source(s2, &tg, S_ID, NULL, st),
			 SM_SVSM_AUTH);
	/* not a certificate, not a report */
	tg = p->tg;
	tg.vcek_len = 10;
	assert_int_equal(sm_svsm_core_start_source(s2, &tg, S_ID, NULL, st),
			 SM_SVSM_AUTH);
	memcpy(bad, p->report, sizeof(bad));
	sm_put_le32(bad, 9);
	tg = p->tg;
	tg.report = bad;
	assert_int_equal(sm_svsm_core_start_source(s2, &tg, S_ID, NULL, st),
			 SM_SVSM_INVALID);
	/* roles */
	assert_int_equal(sm_svsm_core_start_source(p->t, &p->tg, S_ID, NULL,
						   st),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_target_key(s2, pub2, NULL, NULL),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_keygen(s2), SM_SVSM_INVALID);
	vcek_free(&other);
	sm_svsm_core_free(s2);
	pair_free(p);
}

/* ---- the records the target refuses ---- */

static void test_record_refusals(void **unused)
{
	struct pair *p = pair_new(SID), *q;
	struct rec r, r2, x, v[NVCPUS];
	uint8_t plain[4096];
	size_t i;
	/* a flipped bit anywhere in the entry: reserved bits are malformed */
	static const struct {
		size_t off;
		int rc;
	} flips[] = {
		{ 0x00, SM_SVSM_INVALID }, /* software_data's zero bits */
		{ 0x07, SM_SVSM_INVALID }, /* the type */
		{ 0x08, SM_SVSM_AUTH }, /* iv (seq) */
		{ 0x10, SM_SVSM_AUTH }, /* tag */
		{ 0x1f, SM_SVSM_AUTH },
		{ 0x20, SM_SVSM_INVALID }, /* valid */
		{ 0x21, SM_SVSM_INVALID }, /* mdata bit 8 */
		{ 0x22, SM_SVSM_AUTH }, /* gpa: not the page asked for */
		{ 0x28, SM_SVSM_AUTH }, /* VMPL0's permissions */
		{ 0x29, SM_SVSM_AUTH }, /* VMPL1's */
		{ 0x2c, SM_SVSM_INVALID }, /* vmpl bytes 4-7 */
		{ 0x30, SM_SVSM_INVALID }, /* reserved */
		{ 0x3f, SM_SVSM_INVALID },
	};

	(void)unused;
	page(p->s, 0x4000, 1, 0x0f, &r);
	page(p->s, 0x6000, 1, 0x0f, &r2);
	for (i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		x = r;
		x.e[flips[i].off] ^= 0x01;
		assert_int_equal(open_page(p->t, 0x4000, &x), flips[i].rc);
	}
	/* validated flipped, vmpl changed: authenticated */
	x = r;
	x.e[0x20] ^= 0x02;
	assert_int_equal(open_page(p->t, 0x4000, &x), SM_SVSM_AUTH);
	x = r;
	x.e[0x29] = 0x0f;
	assert_int_equal(open_page(p->t, 0x4000, &x), SM_SVSM_AUTH);
	/* the type byte made another type: its fields do not fit it */
	x = r;
	x.e[7] = SM_SVSM_REC_END;
	assert_int_equal(open_page(p->t, 0x4000, &x), SM_SVSM_INVALID);
	x.e[7] = 9;
	assert_int_equal(open_page(p->t, 0x4000, &x), SM_SVSM_INVALID);
	/* ciphertext, tag */
	x = r;
	x.ct[100] ^= 0x80;
	assert_int_equal(open_page(p->t, 0x4000, &x), SM_SVSM_AUTH);
	x = r;
	x.e[0x15] ^= 0x80;
	assert_int_equal(open_page(p->t, 0x4000, &x), SM_SVSM_AUTH);
	/* another gpa than asked for, and one moved to it */
	assert_int_equal(open_page(p->t, 0x6000, &r), SM_SVSM_AUTH);
	x = r;
	sm_put_le64(x.e + 0x20, 0x6000 | 3);
	assert_int_equal(open_page(p->t, 0x6000, &x), SM_SVSM_AUTH);
	assert_int_equal(open_page(p->t, 0x4001, &r), SM_SVSM_INVALID);
	/* a page record opened as a VMSA or as state */
	assert_int_equal(open_vmsa(p->t, 0, &r), SM_SVSM_AUTH);
	assert_int_equal(open_state(p->t, 0, &r), SM_SVSM_AUTH);
	/* none of that has counted: the genuine record opens, once */
	assert_int_equal(open_page(p->t, 0x4000, &r), SM_SVSM_OK);
	assert_int_equal(open_page(p->t, 0x4000, &r), SM_SVSM_AUTH);
	/* a seq replayed: r's seq with another record's entry is a bad tag */
	x = r2;
	sm_put_le64(x.e + 8, 0);
	assert_int_equal(open_page(p->t, 0x6000, &x), SM_SVSM_AUTH);
	assert_int_equal(open_page(p->t, 0x6000, &r2), SM_SVSM_OK);
	/* a record of another session (same sid, other keys), seq 2 */
	q = pair_new(SID);
	page(q->s, 0xa000, 1, 0, &x);
	page(q->s, 0x9000, 1, 0, &x);
	page(q->s, 0x8000, 1, 0, &x);
	assert_int_equal(sm_get_le64(x.e + 8), 2);
	assert_int_equal(open_page(p->t, 0x8000, &x), SM_SVSM_AUTH);
	/* a source's record opened by a source, a target's seal */
	assert_int_equal(sm_svsm_core_open_page(q->s, 0x8000, x.e, x.ct, plain,
						NULL, NULL),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_seal_page(q->t, 0x8000, plain, 1, 0, x.e,
						x.ct),
			 SM_SVSM_INVALID);
	/* bad arguments to the source */
	assert_int_equal(sm_svsm_core_seal_page(q->s, 0x8001, plain, 1, 0, x.e,
						x.ct),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_seal_page(q->s, 0x8000, plain, 2, 0, x.e,
						x.ct),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_seal_page(q->s, 0x8000, plain, 1, 0x10ull,
						x.e, x.ct),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_seal_page(q->s, 0x8000, plain, 1,
						1ull << 32, x.e, x.ct),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_seal_vmsa(q->s, NVCPUS, 0x1000, plain,
						x.e, x.ct),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_seal_state(q->s, 2, 2, plain, x.e, x.ct),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_seal_state(q->s, 0, 0, plain, x.e, x.ct),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_seal_state(q->s, 0, SM_SVSM_STATE_MAX + 1,
						 plain, x.e, x.ct),
			 SM_SVSM_INVALID);
	/* the source's own rules: each VMSA once, END after all of them */
	vmsa(q->s, 0, &v[0]);
	assert_int_equal(sm_svsm_core_seal_vmsa(q->s, 0, 0x100000, plain, x.e,
						x.ct),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_seal_end(q->s, x.e, x.ct),
			 SM_SVSM_INVALID);
	state(q->s, 0, 2, &x);
	assert_int_equal(sm_svsm_core_seal_state(q->s, 1, 3, plain, x.e, x.ct),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_seal_state(q->s, 0, 2, plain, x.e, x.ct),
			 SM_SVSM_INVALID);
	vmsa(q->s, 1, &v[1]);
	assert_int_equal(sm_svsm_core_seal_end(q->s, x.e, x.ct),
			 SM_SVSM_INVALID); /* chunk 1 of 2 missing */
	pair_free(q);
	pair_free(p);
}

/* Before any start, a target opens nothing. */
static void test_no_session(void **unused)
{
	struct sm_svsm_core *t;
	struct rec r;
	uint8_t plain[4096];

	(void)unused;
	memset(&r, 0, sizeof(r));
	sm_put_le64(r.e, 1ull << 56);
	sm_put_le64(r.e + 0x20, 0x1000 | 1);
	assert_int_equal(sm_svsm_core_new(SM_SVSM_TARGET, 4, 0, &t), -1);
	assert_int_equal(sm_svsm_core_new(SM_SVSM_TARGET, 4, 1, &t), 0);
	assert_int_equal(sm_svsm_core_open_page(t, 0x1000, r.e, r.ct, plain,
						NULL, NULL),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_accept_end(t, r.e, r.ct),
			 SM_SVSM_INVALID);
	sm_svsm_core_free(t);
}

/* VMSAs and state: dropped, duplicated, moved. */
static void test_vmsa_state_rules(void **unused)
{
	struct pair *p;
	struct rec r, v[NVCPUS], st[3], end;
	int k;

	(void)unused;
	for (k = 0; k < 5; k++) {
		p = pair_new(NULL);
		page(p->s, 0x2000, 1, 0, &r);
		tail(p, v, st, 3);
		assert_int_equal(sm_svsm_core_seal_end(p->s, end.e, end.ct),
				 SM_SVSM_OK);
		assert_int_equal(open_page(p->t, 0x2000, &r), SM_SVSM_OK);
		/* moved: vCPU 0's VMSA offered as vCPU 1's, chunk 0 as 2 */
		assert_int_equal(open_vmsa(p->t, 1, &v[0]), SM_SVSM_AUTH);
		assert_int_equal(open_state(p->t, 2, &st[0]), SM_SVSM_AUTH);
		if (k != 0)
			assert_int_equal(open_vmsa(p->t, 0, &v[0]), SM_SVSM_OK);
		if (k != 1)
			assert_int_equal(open_vmsa(p->t, 1, &v[1]), SM_SVSM_OK);
		/* duplicated */
		if (k == 2) {
			assert_int_equal(open_vmsa(p->t, 1, &v[1]),
					 SM_SVSM_AUTH);
			assert_int_equal(open_state(p->t, 0, &st[0]),
					 SM_SVSM_OK);
			assert_int_equal(open_state(p->t, 0, &st[0]),
					 SM_SVSM_AUTH);
			assert_int_equal(open_state(p->t, 1, &st[1]),
					 SM_SVSM_OK);
			assert_int_equal(open_state(p->t, 2, &st[2]),
					 SM_SVSM_OK);
			assert_int_equal(sm_svsm_core_accept_end(p->t, end.e,
								 end.ct),
					 SM_SVSM_OK);
			pair_free(p);
			continue;
		}
		if (k != 3)
			assert_int_equal(open_state(p->t, 0, &st[0]),
					 SM_SVSM_OK);
		assert_int_equal(open_state(p->t, 1, &st[1]), SM_SVSM_OK);
		if (k != 4)
			assert_int_equal(open_state(p->t, 2, &st[2]),
					 SM_SVSM_OK);
		/* k 0, 1: a VMSA dropped; 3, 4: a state chunk dropped */
		assert_int_equal(sm_svsm_core_accept_end(p->t, end.e, end.ct),
				 SM_SVSM_AUTH);
		assert_false(sm_svsm_core_ended(p->t));
		pair_free(p);
	}
}

/* END: counts and hash; nothing after it. */
static void test_end_checks(void **unused)
{
	struct pair *p = pair_new(NULL);
	struct rec r[3], v[NVCPUS], end, x;

	(void)unused;
	page(p->s, 0x1000, 1, 0, &r[0]);
	page(p->s, 0x2000, 1, 0, &r[1]);
	page(p->s, 0x3000, 1, 0, &r[2]);
	tail(p, v, NULL, 0);
	assert_int_equal(sm_svsm_core_seal_end(p->s, end.e, end.ct),
			 SM_SVSM_OK);
	assert_int_equal(open_vmsa(p->t, 0, &v[0]), SM_SVSM_OK);
	assert_int_equal(open_vmsa(p->t, 1, &v[1]), SM_SVSM_OK);
	assert_int_equal(open_page(p->t, 0x1000, &r[0]), SM_SVSM_OK);
	assert_int_equal(open_page(p->t, 0x3000, &r[2]), SM_SVSM_OK);
	/* a page record dropped: the count differs */
	assert_int_equal(sm_svsm_core_accept_end(p->t, end.e, end.ct),
			 SM_SVSM_AUTH);
	/* END tampered with: its block, its seq */
	x = end;
	x.ct[0x30] ^= 1;
	assert_int_equal(sm_svsm_core_accept_end(p->t, x.e, x.ct),
			 SM_SVSM_AUTH);
	x = end;
	sm_put_le64(x.e + 8, 3);
	assert_int_equal(sm_svsm_core_accept_end(p->t, x.e, x.ct),
			 SM_SVSM_AUTH);
	/* END offered as a page */
	assert_int_equal(open_page(p->t, 0, &end), SM_SVSM_AUTH);
	assert_int_equal(open_page(p->t, 0x2000, &r[1]), SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_accept_end(p->t, end.e, end.ct),
			 SM_SVSM_OK);
	assert_true(sm_svsm_core_ended(p->t));
	/* anything after END */
	assert_int_equal(open_page(p->t, 0x2000, &r[1]), SM_SVSM_AUTH);
	assert_int_equal(open_vmsa(p->t, 0, &v[0]), SM_SVSM_AUTH);
	assert_int_equal(sm_svsm_core_accept_end(p->t, end.e, end.ct),
			 SM_SVSM_AUTH);
	/* RESET: what it received is forgotten; nothing opens without a start */
	assert_int_equal(sm_svsm_core_reset(p->t), SM_SVSM_OK);
	assert_false(sm_svsm_core_ended(p->t));
	assert_int_equal(open_page(p->t, 0x2000, &r[1]), SM_SVSM_INVALID);
	pair_free(p);
}

/* RESET on the source: the export is abandoned, a new one is new. */
static void test_source_reset(void **unused)
{
	struct pair *p = pair_new(NULL);
	struct rec r, r2, v[NVCPUS], end;
	uint8_t st[SM_SVSM_START_LEN];

	(void)unused;
	page(p->s, 0x1000, 1, 0, &r);
	assert_int_equal(sm_svsm_core_reset(p->s), SM_SVSM_OK);
	assert_false(sm_svsm_core_active(p->s));
	assert_false(sm_svsm_core_ended(p->s));
	assert_int_equal(sm_svsm_core_seal_page(p->s, 0x1000, r.ct, 1, 0, r.e,
						r.ct),
			 SM_SVSM_INVALID);
	/* the target forgets too and needs a new key pair */
	assert_int_equal(sm_svsm_core_reset(p->t), SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_keygen(p->t), SM_SVSM_OK);
	target_of(p);
	assert_int_equal(sm_svsm_core_start_source(p->s, &p->tg, S_ID, NULL,
						   st),
			 SM_SVSM_OK);
	assert_memory_not_equal(st + 0x18, p->start + 0x18, 16);
	assert_int_equal(sm_svsm_core_start_target(p->t, T_ID, st, sizeof(st)),
			 SM_SVSM_OK);
	/* the old session's record does not open in the new one */
	page(p->s, 0x1000, 1, 0, &r2);
	assert_int_equal(open_page(p->t, 0x1000, &r), SM_SVSM_AUTH);
	assert_int_equal(open_page(p->t, 0x1000, &r2), SM_SVSM_OK);
	tail(p, v, NULL, 0);
	assert_int_equal(open_vmsa(p->t, 0, &v[0]), SM_SVSM_OK);
	assert_int_equal(open_vmsa(p->t, 1, &v[1]), SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_seal_end(p->s, end.e, end.ct),
			 SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_accept_end(p->t, end.e, end.ct),
			 SM_SVSM_OK);
	/* the received guest runs and becomes a source */
	assert_int_equal(sm_svsm_core_set_role(p->t, SM_SVSM_SOURCE), 0);
	assert_false(sm_svsm_core_ended(p->t));
	assert_int_equal(sm_svsm_core_role(p->t), SM_SVSM_SOURCE);
	pair_free(p);
}

/* The LOAD blob, whole and through the core in pieces. */
static void test_load(void **unused)
{
	struct pair *p = pair_new(NULL);
	struct sm_svsm_core *s;
	struct sm_svsm_target t;
	uint8_t *blob, st[SM_SVSM_START_LEN];
	const char chain[] = "-----BEGIN CERTIFICATE-----\n...";
	size_t len, off;

	(void)unused;
	p->tg.chain = (const uint8_t *)chain;
	p->tg.chain_len = sizeof(chain) - 1;
	assert_int_equal(sm_svsm_load_build(&p->tg, &blob, &len), 0);
	assert_int_equal(len, 0x530 + p->v.len + sizeof(chain) - 1);
	assert_memory_equal(blob, p->report, SM_SNP_REPORT_LEN);
	assert_memory_equal(blob + 0x4a0, p->pub, 97);
	assert_memory_equal(blob + 0x501, p->nonce, 32);
	assert_int_equal(sm_get_le32(blob + 0x524), p->v.len);
	assert_int_equal(sm_get_le32(blob + 0x528), sizeof(chain) - 1);
	assert_int_equal(sm_svsm_load_parse(blob, len, &t), SM_SVSM_OK);
	assert_ptr_equal(t.vcek, blob + 0x530);
	assert_int_equal(t.vcek_len, p->v.len);
	assert_int_equal(t.chain_len, sizeof(chain) - 1);
	assert_int_equal(sm_svsm_load_parse(blob, len - 1, &t),
			 SM_SVSM_INVALID);
	blob[0x522] = 1;
	assert_int_equal(sm_svsm_load_parse(blob, len, &t), SM_SVSM_INVALID);
	blob[0x522] = 0;

	assert_int_equal(sm_svsm_core_new(SM_SVSM_SOURCE, 4, NVCPUS, &s), 0);
	/* incomplete, then out of order */
	assert_int_equal(sm_svsm_core_start_loaded(s, S_ID, st),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_load(s, 0, blob, 1000, len), SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_start_loaded(s, S_ID, st),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_load(s, 0, blob, 1000, len), SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_load(s, 1200, blob + 1200, 100, len),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_load(s, 1000, blob + 1000, 100, len + 1),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_load(s, 0, blob, 4097, len),
			 SM_SVSM_INVALID);
	/* in 1000-byte pieces */
	for (off = 0; off < len; off += 1000)
		assert_int_equal(
			sm_svsm_core_load(s, off, blob + off,
					  len - off < 1000 ? len - off : 1000,
					  len),
			SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_start_loaded(s, S_ID, st), SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_start_target(p->t, T_ID, st, sizeof(st)),
			 SM_SVSM_AUTH); /* p's start spent the key pair */
	/* consumed: a second START_SOURCE needs a new LOAD */
	assert_int_equal(sm_svsm_core_start_loaded(s, S_ID, st),
			 SM_SVSM_INVALID);
	assert_int_equal(sm_svsm_core_load(p->t, 0, blob, 1000, len),
			 SM_SVSM_INVALID);
	free(blob);
	sm_svsm_core_free(s);
	pair_free(p);
}

/* seal_page from two threads: seqs unique, every record opens. */
#define PER_THREAD 24

struct sealer {
	struct sm_svsm_core *s;
	uint64_t base;
	struct rec r[PER_THREAD];
};

static void *seal_many(void *arg)
{
	struct sealer *w = arg;
	uint8_t p[4096];
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		uint64_t gpa = w->base + (uint64_t)i * 4096;

		fill(gpa, p);
		if (sm_svsm_core_seal_page(w->s, gpa, p, 1, 0, w->r[i].e,
					   w->r[i].ct) != SM_SVSM_OK)
			return (void *)1;
	}
	return NULL;
}

static void test_threads(void **unused)
{
	struct pair *p = pair_new(NULL);
	struct sealer *w = calloc(2, sizeof(*w));
	struct rec v[NVCPUS], end;
	uint8_t seen[2 * PER_THREAD] = { 0 };
	pthread_t th[2];
	void *ret;
	int i, j;

	(void)unused;
	assert_non_null(w);
	for (i = 0; i < 2; i++) {
		w[i].s = p->s;
		w[i].base = (uint64_t)i << 20;
		assert_int_equal(pthread_create(&th[i], NULL, seal_many, &w[i]),
				 0);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	for (i = 0; i < 2; i++)
		for (j = 0; j < PER_THREAD; j++) {
			uint64_t seq = sm_get_le64(w[i].r[j].e + 8);

			assert_true(seq < 2 * PER_THREAD);
			assert_false(seen[seq]);
			seen[seq] = 1;
		}
	tail(p, v, NULL, 0);
	assert_int_equal(sm_svsm_core_seal_end(p->s, end.e, end.ct),
			 SM_SVSM_OK);
	for (j = PER_THREAD - 1; j >= 0; j--)
		for (i = 0; i < 2; i++)
			assert_int_equal(
				open_page(p->t, w[i].base + (uint64_t)j * 4096,
					  &w[i].r[j]),
				SM_SVSM_OK);
	assert_int_equal(open_vmsa(p->t, 0, &v[0]), SM_SVSM_OK);
	assert_int_equal(open_vmsa(p->t, 1, &v[1]), SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_accept_end(p->t, end.e, end.ct),
			 SM_SVSM_OK);
	free(w);
	pair_free(p);
}

/*
 * A session that fills every seq a core allows (npages pages, every vCPU,
 * SM_SVSM_STATE_MAX chunks): END's seq is then the capacity itself.
 */
static void test_full_session(void **unused)
{
	struct pair *p = calloc(1, sizeof(*p));
	struct rec r, end;
	uint8_t plain[4096];
	uint32_t i;

	(void)unused;
	assert_non_null(p);
	vcek_new(&p->v);
	assert_int_equal(sm_svsm_core_new(SM_SVSM_TARGET, 1, 1, &p->t), 0);
	assert_int_equal(sm_svsm_core_new(SM_SVSM_SOURCE, 1, 1, &p->s), 0);
	target_of(p);
	assert_int_equal(sm_svsm_core_start_source(p->s, &p->tg, S_ID, NULL,
						   p->start),
			 SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_start_target(p->t, T_ID, p->start,
						   sizeof(p->start)),
			 SM_SVSM_OK);
	memset(plain, 0, sizeof(plain));
	page(p->s, 0, 1, 0, &r);
	assert_int_equal(open_page(p->t, 0, &r), SM_SVSM_OK);
	assert_int_equal(sm_svsm_core_seal_page(p->s, 0x1000, plain, 1, 0, r.e,
						r.ct),
			 SM_SVSM_INVALID); /* npages 1 */
	vmsa(p->s, 0, &r);
	assert_int_equal(open_vmsa(p->t, 0, &r), SM_SVSM_OK);
	for (i = 0; i < SM_SVSM_STATE_MAX; i++) {
		assert_int_equal(sm_svsm_core_seal_state(p->s, i,
							 SM_SVSM_STATE_MAX,
							 plain, r.e, r.ct),
				 SM_SVSM_OK);
		assert_int_equal(sm_svsm_core_open_state(p->t, i, r.e, r.ct,
							 plain, NULL),
				 SM_SVSM_OK);
	}
	assert_int_equal(sm_svsm_core_seal_end(p->s, end.e, end.ct),
			 SM_SVSM_OK);
	assert_int_equal(sm_get_le64(end.e + 8), 2 + SM_SVSM_STATE_MAX);
	assert_int_equal(sm_svsm_core_accept_end(p->t, end.e, end.ct),
			 SM_SVSM_OK);
	pair_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_no_state),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_target_key),
		cmocka_unit_test(test_record_refusals),
		cmocka_unit_test(test_no_session),
		cmocka_unit_test(test_vmsa_state_rules),
		cmocka_unit_test(test_end_checks),
		cmocka_unit_test(test_source_reset),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_full_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
