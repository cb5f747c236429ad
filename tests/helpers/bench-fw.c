// SPDX-License-Identifier: MIT
/*
 * bench-fw [PAGES]: the firmware-work baseline of make bench (not a test).
 *
 * One core, one loop, only what the simulated firmware must do per 4 KiB
 * private page, with the OpenSSL calls lib/fw/fw-sim.c and lib/fw/sevcrypto.c
 * make (reused contexts, the IV or tweak set by a re-init per page):
 *   export  AES-128-XTS decrypt under the VEK (tweak = GPA), a random IV
 *           (drawn 256 at a time, as fw-sim does), AES-128-CTR encrypt
 *           under the TEK, HMAC-SHA256 under the TIK over the 29-byte AAD
 *           and the ciphertext;
 *   import  the HMAC, a constant-time compare, AES-128-CTR decrypt,
 *           AES-128-XTS encrypt under the new VEK.
 * Nothing else: no archive, no pipe, no checks, no scratch wiping.  Pages
 * cycle through a small ring that stays in cache, so this is an upper
 * bound for what a pipeline side can do on one core.
 *
 * Two more loops measure what the archive format adds on each side: the
 * trailer digest over every byte of the stream (here the record header and
 * the page), SHA-256 through EVP_DigestUpdate as lib/base/ossl.c does
 * ("digest", the archive's digest before XXH3 and still --digest sha256),
 * and XXH3-128 through libxxhash's streaming calls as lib/archive/digest.c
 * does ("xxh3", the default).
 *
 * Two loops measure the guest-assisted method's helper (issue 15,
 * lib/fw/mh.c) the same way: "mh-export" the XTS decrypt under the VEK and
 * AES-256-GCM over the page with the 40-byte envelope as AAD (an IV per
 * seq, the session key kept); "mh-import" GCM open and XTS encrypt.
 *
 * Prints "export PAGES WALL CPU", "import PAGES WALL CPU", "digest PAGES
 * WALL CPU", "xxh3 PAGES WALL CPU", "mh-export ..." and "mh-import ...":
 * wall-clock and CPU seconds for
 * PAGES pages (default
 * 262144, 1 GiB).  On a loaded machine CPU < WALL says how much of a core
 * the loop got.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <xxhash.h>

#define PG 4096
#define RING 16 /* 64 KiB of guest pages, 64 KiB of packets */
#define MAC_LEN 32
#define IV_POOL 256

struct keys {
	EVP_CIPHER_CTX *xts_dec, *xts_enc, *ctr;
	EVP_MAC_CTX *mac;
};

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-fw: %s failed\n", what);
	exit(1);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void keys_new(struct keys *k)
{
	uint8_t vek[32], tek[16], tik[16];
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac;

	if (RAND_bytes(vek, sizeof(vek)) != 1 ||
	    RAND_bytes(tek, sizeof(tek)) != 1 ||
	    RAND_bytes(tik, sizeof(tik)) != 1)
		die("RAND_bytes");
	vek[0] = (uint8_t)~vek[16]; /* XTS refuses equal key halves */
	k->xts_dec = EVP_CIPHER_CTX_new();
	k->xts_enc = EVP_CIPHER_CTX_new();
	k->ctr = EVP_CIPHER_CTX_new();
	if (!k->xts_dec || !k->xts_enc || !k->ctr ||
	    EVP_DecryptInit_ex2(k->xts_dec, EVP_aes_128_xts(), vek, NULL,
				NULL) != 1 ||
	    EVP_EncryptInit_ex2(k->xts_enc, EVP_aes_128_xts(), vek, NULL,
				NULL) != 1 ||
	    EVP_EncryptInit_ex2(k->ctr, EVP_aes_128_ctr(), tek, NULL, NULL) !=
		    1)
		die("cipher setup");
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		die("EVP_MAC_fetch");
	k->mac = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (!k->mac || EVP_MAC_init(k->mac, tik, sizeof(tik), params) != 1)
		die("HMAC setup");
}

static void keys_free(struct keys *k)
{
	EVP_CIPHER_CTX_free(k->xts_dec);
	EVP_CIPHER_CTX_free(k->xts_enc);
	EVP_CIPHER_CTX_free(k->ctr);
	EVP_MAC_CTX_free(k->mac);
}

static void xts(EVP_CIPHER_CTX *c, int enc, uint64_t gpa, const uint8_t *in,
		uint8_t *out)
{
	uint8_t tweak[16] = { 0 };
	int n = 0;

	put_le64(tweak, gpa);
	if (EVP_CipherInit_ex2(c, NULL, NULL, tweak, enc, NULL) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, PG) != 1 || n != PG)
		die("XTS");
}

static void ctr(EVP_CIPHER_CTX *c, const uint8_t iv[16], const uint8_t *in,
		uint8_t *out)
{
	int n = 0;

	if (EVP_EncryptInit_ex2(c, NULL, NULL, iv, NULL) != 1 ||
	    EVP_EncryptUpdate(c, out, &n, in, PG) != 1 || n != PG)
		die("CTR");
}

/* The packet MAC: 0x02 || flags || IV || size || size, then the data. */
static void mac(EVP_MAC_CTX *m, const uint8_t iv[16], const uint8_t *ct,
		uint8_t out[MAC_LEN])
{
	uint8_t aad[29];
	size_t n = 0;

	aad[0] = 0x02;
	put_le32(aad + 1, 0);
	memcpy(aad + 5, iv, 16);
	put_le32(aad + 21, PG);
	put_le32(aad + 25, PG);
	if (EVP_MAC_init(m, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(m, aad, sizeof(aad)) != 1 ||
	    EVP_MAC_update(m, ct, PG) != 1 ||
	    EVP_MAC_final(m, out, &n, MAC_LEN) != 1 || n != MAC_LEN)
		die("HMAC");
}

/* AES-256-GCM of one page with a 40-byte AAD; enc 0 checks the tag. */
static void gcm(EVP_CIPHER_CTX *c, int enc, uint64_t seq, const uint8_t *aad,
		const uint8_t *in, uint8_t *out, uint8_t tag[16])
{
	uint8_t iv[12] = { 0 };
	int n = 0;

	put_le64(iv, seq);
	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, aad, 40) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, PG) != 1 || n != PG ||
	    (!enc &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1) ||
	    EVP_CipherFinal_ex(c, out + n, &n) != 1 ||
	    (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1))
		die("GCM");
}

static void mh_loops(struct keys *k, unsigned long pages,
		     uint8_t guest[RING][PG], uint8_t trans[RING][PG],
		     uint8_t tags[RING][MAC_LEN], uint8_t *plain)
{
	uint8_t ks[32], aad[40] = { 1, 1 };
	EVP_CIPHER_CTX *seal = EVP_CIPHER_CTX_new(),
		       *open = EVP_CIPHER_CTX_new();
	unsigned long i;
	double t0, c0;

	if (RAND_bytes(ks, sizeof(ks)) != 1 || !seal || !open ||
	    EVP_EncryptInit_ex(seal, EVP_aes_256_gcm(), NULL, ks, NULL) != 1 ||
	    EVP_DecryptInit_ex(open, EVP_aes_256_gcm(), NULL, ks, NULL) != 1)
		die("GCM setup");
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < pages; i++) {
		unsigned r = (unsigned)(i % RING);

		xts(k->xts_dec, 0, r * PG, guest[r], plain);
		put_le64(aad + 16, i);
		gcm(seal, 1, i, aad, plain, trans[r], tags[r]);
	}
	printf("mh-export %lu %.6f %.6f\n", pages,
	       clock_s(CLOCK_MONOTONIC) - t0,
	       clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < pages; i++) {
		unsigned r = (unsigned)(i % RING);
		unsigned long seq = pages - RING + r; /* the last round's */

		put_le64(aad + 16, seq);
		gcm(open, 0, seq, aad, trans[r], plain, tags[r]);
		xts(k->xts_enc, 1, r * PG, plain, guest[r]);
	}
	printf("mh-import %lu %.6f %.6f\n", pages,
	       clock_s(CLOCK_MONOTONIC) - t0,
	       clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
	OPENSSL_cleanse(ks, sizeof(ks));
	EVP_CIPHER_CTX_free(seal);
	EVP_CIPHER_CTX_free(open);
}

int main(int argc, char **argv)
{
	static uint8_t guest[RING][PG] __attribute__((aligned(PG)));
	static uint8_t trans[RING][PG], plain[PG] __attribute__((aligned(64)));
	static uint8_t ivs[RING][16], macs[RING][MAC_LEN], pool[IV_POOL][16];
	static uint8_t rhdr[80]; /* a record header's size */
	unsigned long pages = 262144, i;
	EVP_MD_CTX *md;
	XXH3_state_t *xs;
	struct keys k;
	double t0, c0;
	char *end;

	if (argc > 2 || (argc == 2 &&
			 ((pages = strtoul(argv[1], &end, 10)) == 0 || *end))) {
		fprintf(stderr, "usage: bench-fw [PAGES]\n");
		return 2;
	}
	keys_new(&k);
	memset(plain, 0x5a, sizeof(plain));
	for (i = 0; i < RING; i++)
		xts(k.xts_enc, 1, i * PG, plain, guest[i]);

	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < pages; i++) {
		unsigned r = (unsigned)(i % RING);

		xts(k.xts_dec, 0, r * PG, guest[r], plain);
		if (i % IV_POOL == 0 &&
		    RAND_bytes((uint8_t *)pool, sizeof(pool)) != 1)
			die("RAND_bytes");
		memcpy(ivs[r], pool[i % IV_POOL], 16);
		ctr(k.ctr, ivs[r], plain, trans[r]);
		mac(k.mac, ivs[r], trans[r], macs[r]);
	}
	printf("export %lu %.6f %.6f\n", pages, clock_s(CLOCK_MONOTONIC) - t0,
	       clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);

	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < pages; i++) {
		unsigned r = (unsigned)(i % RING);
		uint8_t m[MAC_LEN];

		mac(k.mac, ivs[r], trans[r], m);
		if (CRYPTO_memcmp(m, macs[r], MAC_LEN) != 0)
			die("MAC check");
		ctr(k.ctr, ivs[r], trans[r], plain);
		xts(k.xts_enc, 1, r * PG, plain, guest[r]);
	}
	printf("import %lu %.6f %.6f\n", pages, clock_s(CLOCK_MONOTONIC) - t0,
	       clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);

	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex2(md, EVP_sha256(), NULL) != 1)
		die("SHA-256 setup");
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < pages; i++) {
		unsigned r = (unsigned)(i % RING);

		if (EVP_DigestUpdate(md, rhdr, sizeof(rhdr)) != 1 ||
		    EVP_DigestUpdate(md, trans[r], PG) != 1)
			die("SHA-256");
	}
	if (EVP_DigestFinal_ex(md, macs[0], NULL) != 1)
		die("SHA-256");
	printf("digest %lu %.6f %.6f\n", pages, clock_s(CLOCK_MONOTONIC) - t0,
	       clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
	EVP_MD_CTX_free(md);

	xs = XXH3_createState();
	if (!xs || XXH3_128bits_reset(xs) != XXH_OK)
		die("XXH3 setup");
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < pages; i++) {
		unsigned r = (unsigned)(i % RING);

		if (XXH3_128bits_update(xs, rhdr, sizeof(rhdr)) != XXH_OK ||
		    XXH3_128bits_update(xs, trans[r], PG) != XXH_OK)
			die("XXH3");
	}
	XXH128_canonicalFromHash((XXH128_canonical_t *)macs[0],
				 XXH3_128bits_digest(xs));
	printf("xxh3 %lu %.6f %.6f\n", pages, clock_s(CLOCK_MONOTONIC) - t0,
	       clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
	XXH3_freeState(xs);
	mh_loops(&k, pages, guest, trans, macs, plain);
	OPENSSL_cleanse(plain, sizeof(plain));
	keys_free(&k);
	return 0;
}
