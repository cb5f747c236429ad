// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/fw/mh.c: the migration helper's envelope, session
 * key and rules (what a target helper refuses), and the mailbox
 * handshake between two threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/bytes.h"
#include "fw/mh.h"

#define HDR (4 + SM_MH_ENV_LEN)
#define NPAGES 8

static const uint8_t K[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t K2[32] = "another key, another owner.....";
static const uint8_t SID[16] = "session-one.....";
static const uint8_t SID2[16] = "session-two.....";

struct rec {
	uint8_t hdr[HDR];
	uint8_t ct[4096];
};

static void page_of(uint64_t gpa, uint8_t p[4096])
{
	size_t i;

	for (i = 0; i < 4096; i++)
		p[i] = (uint8_t)(gpa >> 12) ^ (uint8_t)i;
}

static struct sm_mh_core *source(const uint8_t *key, const uint8_t *sid)
{
	struct sm_mh_core *c;

	assert_int_equal(sm_mh_core_new(SM_MH_SOURCE, NPAGES, &c), 0);
	sm_mh_core_set_key(c, key);
	assert_int_equal(sm_mh_core_init(c, sid), SM_MH_OK);
	return c;
}

static struct sm_mh_core *target(const uint8_t *key)
{
	struct sm_mh_core *c;

	assert_int_equal(sm_mh_core_new(SM_MH_TARGET, NPAGES, &c), 0);
	sm_mh_core_set_key(c, key);
	assert_int_equal(sm_mh_core_init(c, NULL), SM_MH_OK);
	return c;
}

static void seal(struct sm_mh_core *s, uint64_t gpa, struct rec *r)
{
	uint8_t p[4096];

	page_of(gpa, p);
	assert_int_equal(sm_mh_core_encrypt(s, gpa, p, r->hdr, r->ct),
			 SM_MH_OK);
}

static int open_rec(struct sm_mh_core *t, uint64_t gpa, const struct rec *r)
{
	uint8_t p[4096], want[4096];
	int rc = sm_mh_core_decrypt(t, gpa, r->hdr, HDR, r->ct, p);

	if (rc == SM_MH_OK) {
		page_of(gpa, want);
		assert_memory_equal(p, want, 4096);
	}
	return rc;
}

/* The envelope as the issue defines it, opened with OpenSSL directly. */
static void test_envelope_bytes(void **state)
{
	struct sm_mh_core *s = source(K, SID);
	uint8_t ks[32], iv[12] = { 0 }, p[4096], want[4096];
	size_t kl = sizeof(ks);
	EVP_PKEY_CTX *k = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	struct rec r, r1;
	int n = 0;

	(void)state;
	seal(s, 0x3000, &r);
	seal(s, 0x5000, &r1);
	assert_int_equal(sm_get_le32(r.hdr), 68);
	assert_int_equal(r.hdr[4], 1); /* version */
	assert_int_equal(r.hdr[5], 1); /* AES-256-GCM */
	assert_int_equal(sm_get_le16(r.hdr + 6), 0);
	assert_int_equal(sm_get_le32(r.hdr + 8), 0);
	assert_int_equal(sm_get_le64(r.hdr + 12), 0x3000);
	assert_int_equal(sm_get_le64(r.hdr + 20), 0); /* seq */
	assert_int_equal(sm_get_le64(r1.hdr + 20), 1);
	assert_memory_equal(r.hdr + 28, SID, 16);
	assert_memory_equal(r.hdr + 44, iv, 12); /* seq 0 || 0 */
	assert_int_equal(sm_get_le64(r1.hdr + 44), 1);
	/* Ks = HKDF-SHA256(K, salt sid, "sevmig-mh-v1") */
	assert_true(EVP_PKEY_derive_init(k) > 0);
	assert_true(EVP_PKEY_CTX_set_hkdf_md(k, EVP_sha256()) > 0);
	assert_true(EVP_PKEY_CTX_set1_hkdf_salt(k, SID, 16) > 0);
	assert_true(EVP_PKEY_CTX_set1_hkdf_key(k, K, 32) > 0);
	assert_true(EVP_PKEY_CTX_add1_hkdf_info(
			    k, (const unsigned char *)"sevmig-mh-v1", 12) > 0);
	assert_true(EVP_PKEY_derive(k, ks, &kl) > 0);
	assert_true(EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, ks,
				       r.hdr + 44) == 1);
	assert_true(EVP_DecryptUpdate(c, NULL, &n, r.hdr + 4, 40) == 1);
	assert_true(EVP_DecryptUpdate(c, p, &n, r.ct, 4096) == 1);
	assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16,
					r.hdr + 56) == 1);
	assert_true(EVP_DecryptFinal_ex(c, p + n, &n) == 1);
	page_of(0x3000, want);
	assert_memory_equal(p, want, 4096);
	EVP_CIPHER_CTX_free(c);
	EVP_PKEY_CTX_free(k);
	sm_mh_core_free(s);
}

/* Records in any order, then END: the target takes the guest. */
static void test_round_trip_any_order(void **state)
{
	struct sm_mh_core *s = source(K, NULL), *t = target(K);
	struct rec r[3], end;

	(void)state;
	seal(s, 0x1000, &r[0]);
	seal(s, 0x2000, &r[1]);
	seal(s, 0x7000, &r[2]);
	assert_int_equal(sm_mh_core_end(s, end.hdr, end.ct), SM_MH_OK);
	assert_true(sm_mh_core_ended(s));
	assert_int_equal(open_rec(t, 0x7000, &r[2]), SM_MH_OK);
	assert_int_equal(open_rec(t, 0x1000, &r[0]), SM_MH_OK);
	assert_int_equal(open_rec(t, 0x2000, &r[1]), SM_MH_OK);
	assert_false(sm_mh_core_ended(t));
	assert_int_equal(sm_mh_core_accept_end(t, end.hdr, HDR, end.ct),
			 SM_MH_OK);
	assert_true(sm_mh_core_ended(t));
	/* nothing after END, on either side */
	assert_int_equal(open_rec(t, 0x1000, &r[0]), SM_MH_AUTH);
	assert_int_equal(sm_mh_core_accept_end(t, end.hdr, HDR, end.ct),
			 SM_MH_AUTH);
	{
		uint8_t p[4096] = { 0 }, h[HDR], o[4096];

		assert_int_equal(sm_mh_core_encrypt(s, 0x3000, p, h, o),
				 SM_MH_INVALID);
	}
	sm_mh_core_free(s);
	sm_mh_core_free(t);
}

static void test_refusals(void **state)
{
	struct sm_mh_core *s = source(K, SID), *t = target(K);
	struct sm_mh_core *s2 = source(K, SID2), *tk = target(K2);
	struct rec a, b, other, bad;

	(void)state;
	seal(s, 0x1000, &a);
	seal(s, 0x2000, &b);
	seal(s2, 0x3000, &other);
	/* another key: the tag fails */
	assert_int_equal(open_rec(tk, 0x1000, &a), SM_MH_AUTH);
	/* moved to another gpa */
	assert_int_equal(open_rec(t, 0x2000, &a), SM_MH_AUTH);
	/* a bit flipped in the page, in the envelope's AAD, in the tag */
	bad = a;
	bad.ct[100] ^= 1;
	assert_int_equal(open_rec(t, 0x1000, &bad), SM_MH_AUTH);
	bad = a;
	bad.hdr[4 + 0x18] ^= 1; /* session id */
	assert_int_equal(open_rec(t, 0x1000, &bad), SM_MH_AUTH);
	bad = a;
	bad.hdr[4 + 0x40] ^= 1; /* tag */
	assert_int_equal(open_rec(t, 0x1000, &bad), SM_MH_AUTH);
	/* an iv that is not the seq's */
	bad = a;
	bad.hdr[4 + 0x30] ^= 1;
	assert_int_equal(open_rec(t, 0x1000, &bad), SM_MH_AUTH);
	/* malformed: version, length */
	bad = a;
	bad.hdr[4] = 2;
	assert_int_equal(open_rec(t, 0x1000, &bad), SM_MH_INVALID);
	bad = a;
	sm_put_le32(bad.hdr, 67);
	assert_int_equal(open_rec(t, 0x1000, &bad), SM_MH_INVALID);
	/* none of that took the session: a's opens, once */
	assert_int_equal(open_rec(t, 0x1000, &a), SM_MH_OK);
	assert_int_equal(open_rec(t, 0x1000, &a), SM_MH_AUTH); /* replay */
	/* a record of another migration of the same guest, same key */
	assert_int_equal(open_rec(t, 0x3000, &other), SM_MH_AUTH);
	assert_int_equal(open_rec(t, 0x2000, &b), SM_MH_OK);
	sm_mh_core_free(s);
	sm_mh_core_free(s2);
	sm_mh_core_free(t);
	sm_mh_core_free(tk);
}

/* END must match what arrived: count, every seq, the (gpa, seq) hash. */
static void test_end_checks(void **state)
{
	struct sm_mh_core *s = source(K, SID), *t, *s2;
	struct rec r[2], end, end2, bad;

	(void)state;
	seal(s, 0x1000, &r[0]);
	seal(s, 0x2000, &r[1]);
	assert_int_equal(sm_mh_core_end(s, end.hdr, end.ct), SM_MH_OK);
	/* a dropped page record */
	t = target(K);
	assert_int_equal(open_rec(t, 0x1000, &r[0]), SM_MH_OK);
	assert_int_equal(sm_mh_core_accept_end(t, end.hdr, HDR, end.ct),
			 SM_MH_AUTH);
	assert_false(sm_mh_core_ended(t));
	/* the missing one arrives: now END holds */
	assert_int_equal(open_rec(t, 0x2000, &r[1]), SM_MH_OK);
	bad = end;
	bad.ct[20] ^= 1;
	assert_int_equal(sm_mh_core_accept_end(t, bad.hdr, HDR, bad.ct),
			 SM_MH_AUTH);
	/* a page record offered as END (gpa is not all ones) */
	assert_int_equal(sm_mh_core_accept_end(t, r[1].hdr, HDR, r[1].ct),
			 SM_MH_AUTH);
	/* END of another session with the same key and count */
	s2 = source(K, SID2);
	seal(s2, 0x1000, &bad);
	seal(s2, 0x2000, &bad);
	assert_int_equal(sm_mh_core_end(s2, end2.hdr, end2.ct), SM_MH_OK);
	assert_int_equal(sm_mh_core_accept_end(t, end2.hdr, HDR, end2.ct),
			 SM_MH_AUTH);
	assert_int_equal(sm_mh_core_accept_end(t, end.hdr, HDR, end.ct),
			 SM_MH_OK);
	sm_mh_core_free(t);
	/* RESET forgets the session: the same records open again */
	t = target(K);
	assert_int_equal(open_rec(t, 0x1000, &r[0]), SM_MH_OK);
	assert_int_equal(sm_mh_core_reset(t), SM_MH_OK);
	assert_int_equal(open_rec(t, 0x1000, &r[0]), SM_MH_OK);
	sm_mh_core_free(t);
	sm_mh_core_free(s);
	sm_mh_core_free(s2);
}

static void test_state_rules(void **state)
{
	struct sm_mh_core *c;
	uint8_t p[4096] = { 0 }, h[HDR], o[4096];
	int i;

	(void)state;
	/* no key: INIT is invalid on either side */
	assert_int_equal(sm_mh_core_new(SM_MH_SOURCE, 2, &c), 0);
	assert_int_equal(sm_mh_core_init(c, NULL), SM_MH_INVALID);
	assert_int_equal(sm_mh_core_encrypt(c, 0x1000, p, h, o),
			 SM_MH_INVALID); /* before INIT */
	sm_mh_core_set_key(c, K);
	assert_int_equal(sm_mh_core_init(c, NULL), SM_MH_OK);
	assert_int_equal(sm_mh_core_encrypt(c, 0x1001, p, h, o),
			 SM_MH_INVALID); /* not a page */
	/* at most one record per page of the guest */
	for (i = 0; i < 2; i++)
		assert_int_equal(sm_mh_core_encrypt(c, 0x1000, p, h, o),
				 SM_MH_OK);
	assert_int_equal(sm_mh_core_encrypt(c, 0x1000, p, h, o), SM_MH_INVALID);
	/* a source cannot decrypt */
	assert_int_equal(sm_mh_core_decrypt(c, 0x1000, h, HDR, o, p),
			 SM_MH_INVALID);
	sm_mh_core_free(c);
	assert_int_equal(sm_mh_core_new(SM_MH_TARGET, 2, &c), 0);
	assert_int_equal(sm_mh_core_init(c, NULL), SM_MH_INVALID);
	assert_int_equal(sm_mh_core_end(c, h, o), SM_MH_INVALID);
	sm_mh_core_free(c);
}

/* ---- the handshake, with a helper thread ---- */

struct peer {
	uint8_t *mb;
	int calls;
};

static void *helper(void *arg)
{
	struct peer *p = arg;
	uint64_t cmd, gpa;
	int n = 0;

	while (n < p->calls) {
		if (!sm_mh_wait(p->mb, 1000, &cmd, &gpa))
			continue;
		/* answer: cmd 1 -> 0, else -2; echo gpa into the page */
		sm_put_le64(p->mb + SM_MH_PAGE_OFF, gpa);
		sm_mh_done(p->mb, cmd == 1 ? 0 : -2);
		n++;
	}
	return NULL;
}

static void test_handshake(void **state)
{
	uint8_t *mb = mmap(NULL, 0x2000, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct peer p = { mb, 200 };
	struct sm_err e;
	pthread_t th;
	int32_t ret;
	int i;

	(void)state;
	assert_true(mb != MAP_FAILED);
	/* nobody home: a bounded wait, then an error */
	assert_int_equal(sm_mh_call(mb, 1, 0x1000, 50, &ret, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_non_null(strstr(e.msg, "did not answer"));
	/* the unanswered request was withdrawn: go is clear again */
	assert_int_equal(sm_get_le32(mb + 0x18), 0);
	assert_int_equal(pthread_create(&th, NULL, helper, &p), 0);
	for (i = 0; i < 200; i++) {
		uint64_t gpa = (uint64_t)i << 12;

		assert_int_equal(
			sm_mh_call(mb, i % 2 ? 1 : 2, gpa, 5000, &ret, &e), 0);
		assert_int_equal(ret, i % 2 ? 0 : -2);
		assert_int_equal(sm_get_le64(mb + SM_MH_PAGE_OFF), gpa);
		assert_int_equal(sm_get_le32(mb + 0x1c), 1); /* done */
		assert_int_equal(sm_get_le32(mb + 0x18), 0); /* go */
	}
	pthread_join(th, NULL);
	munmap(mb, 0x2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope_bytes),
		cmocka_unit_test(test_round_trip_any_order),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_end_checks),
		cmocka_unit_test(test_state_rules),
		cmocka_unit_test(test_handshake),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
