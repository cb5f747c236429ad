// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/fw/sevcrypto.c: the section 2.7 vectors of
 * sev-migration-protocol.md bit for bit, vectors for a 48-byte Z and for
 * packets computed independently (Python hmac + cryptography AES-CTR from
 * the definitions in section 2.2-2.4), and tamper tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "fw/sevcrypto.h"
#include "base/util.h"

static void unhex(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(sm_hex_decode(hex, out, len), (ssize_t)len);
}

static void fill(uint8_t *p, size_t n, uint8_t start)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(start + i);
}

static void test_kdf_vector(void **state)
{
	uint8_t zero[16] = { 0 }, out[16], want[16];

	(void)state;
	unhex("ab4d269fcc62bedb4511d56c386ce706", want, 16);
	assert_int_equal(sm_kdf(zero, 16, "sev-master-secret", zero, 16, out),
			 0);
	assert_memory_equal(out, want, 16);
	/* A different label or context gives a different key. */
	assert_int_equal(sm_kdf(zero, 16, "sev-kek", zero, 16, out), 0);
	assert_memory_not_equal(out, want, 16);
	assert_int_equal(sm_kdf(zero, 16, "sev-master-secret", NULL, 0, out),
			 0);
	assert_memory_not_equal(out, want, 16);
	assert_int_equal(sm_kdf(NULL, 16, "x", NULL, 0, out), -1);
}

/* Section 2.7: Z = 16 zero bytes, NONCE = WRAP_IV = TEK = TIK = POLICY = 0. */
static void test_session_vector(void **state)
{
	uint8_t zero[16] = { 0 }, blob[SM_SESSION_LEN], want[32];
	struct sm_tk tk, got;
	struct sm_err e;

	(void)state;
	memset(&tk, 0, sizeof(tk));
	assert_int_equal(
		sm_session_build(zero, 16, zero, zero, &tk, 0, blob, &e), 0);
	assert_memory_equal(blob + 0x00, zero, 16);
	unhex("2137bc7f9bb8bd7c3e55a576a15d3454b3856b8ba27afadf46dcfee9f02c02c4",
	      want, 32);
	assert_memory_equal(blob + 0x10, want, 32);
	assert_memory_equal(blob + 0x30, zero, 16);
	unhex("3176c0752738bd9d5e86689534020f528c088f16238826b000b327dee6aeed7d",
	      want, 32);
	assert_memory_equal(blob + 0x40, want, 32);
	unhex("aa7855e13839dd767cd5da7c1ff5036540c9264b7a803029315e55375287b4af",
	      want, 32);
	assert_memory_equal(blob + 0x60, want, 32);

	memset(&got, 0xff, sizeof(got));
	assert_int_equal(sm_session_open(zero, 16, blob, 0, &got, &e), 0);
	assert_memory_equal(&got, &tk, sizeof(tk));
}

/* A 48-byte Z as real ECDH gives, with non-zero everything. */
static const char blob48_hex[] =
	"404142434445464748494a4b4c4d4e4f706d054b4140bb18a3224ebb52ad3006"
	"63333b3c0b45f9eeed05c4d622a18b5b505152535455565758595a5b5c5d5e5f"
	"8f50a1656d9d1cb00528647ab58bea8cee76c107d940a8c60d1d666996e3bf70"
	"f5b3d6393139b7a7d101a876e525eae10f19e86ab85198bbf38d1d47810b0843";
#define POLICY48 0x00050001u

static void make48(uint8_t z[48], struct sm_tk *tk, uint8_t blob[0x80])
{
	uint8_t nonce[16], iv[16];
	struct sm_err e;

	fill(z, 48, 0);
	fill(nonce, 16, 0x40);
	fill(iv, 16, 0x50);
	fill(tk->tek, 16, 0x00);
	fill(tk->tik, 16, 0x10);
	assert_int_equal(
		sm_session_build(z, 48, nonce, iv, tk, POLICY48, blob, &e), 0);
}

static void test_session_vector48(void **state)
{
	uint8_t z[48], blob[SM_SESSION_LEN], want[SM_SESSION_LEN];
	struct sm_tk tk, got;
	struct sm_err e;

	(void)state;
	make48(z, &tk, blob);
	unhex(blob48_hex, want, sizeof(want));
	assert_memory_equal(blob, want, sizeof(want));
	assert_int_equal(sm_session_open(z, 48, blob, POLICY48, &got, &e), 0);
	assert_memory_equal(&got, &tk, sizeof(tk));
}

static void test_session_wrong_policy(void **state)
{
	uint8_t z[48], blob[SM_SESSION_LEN];
	struct sm_tk tk, got;
	struct sm_err e;

	(void)state;
	make48(z, &tk, blob);
	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(
		sm_session_open(z, 48, blob, POLICY48 | 1u << 3, &got, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_string_equal(e.msg, "opening session blob: POLICY_MAC does not "
				   "verify for policy 0x00050009");
	/* Nothing is handed out on failure. */
	assert_int_equal(got.tek[0], 0x5a);
}

static void test_session_wrong_key(void **state)
{
	uint8_t z[48], blob[SM_SESSION_LEN];
	struct sm_tk tk, got;
	struct sm_err e;

	(void)state;
	make48(z, &tk, blob);
	z[47] ^= 1;
	assert_int_equal(sm_session_open(z, 48, blob, POLICY48, &got, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_non_null(strstr(e.msg, "WRAP_MAC does not verify"));
}

/* Every single flipped bit of the blob makes opening it fail. */
static void test_session_tamper(void **state)
{
	uint8_t z[48], blob[SM_SESSION_LEN];
	struct sm_tk tk, got;
	struct sm_err e;
	size_t bit;

	(void)state;
	make48(z, &tk, blob);
	for (bit = 0; bit < SM_SESSION_LEN * 8; bit++) {
		blob[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(
			sm_session_open(z, 48, blob, POLICY48, &got, &e), -1);
		assert_int_equal(e.code, SM_EXIT_VERIFY);
		/* Which MAC catches it depends on the field. */
		if (bit / 8 < 0x30 || (bit / 8 >= 0x40 && bit / 8 < 0x60))
			assert_non_null(strstr(e.msg, "WRAP_MAC"));
		else
			assert_non_null(strstr(e.msg, "POLICY_MAC"));
		blob[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	assert_int_equal(sm_session_open(z, 48, blob, POLICY48, &got, &e), 0);
}

static const char pkt_ct_hex[] =
	"58e26f36446251a0706380ff2008a5b438de9daaad18a50ca9d18738b7511d2b"
	"97652beddb556b045c2f1ae1c1c117b77c0e3172b6ac47c8e020d5ab01a67cd5";
static const char pkt_mac_hex[] =
	"08c31dd51bdc8b4ed379ddf8eb984de4553f82edcb0eba43737ee8cc38957fc3";

static void pkt_setup(struct sm_pkt **p, uint8_t iv[16], uint8_t plain[64])
{
	struct sm_tk tk;
	struct sm_err e;
	size_t i;

	fill(tk.tek, 16, 0x00);
	fill(tk.tik, 16, 0x10);
	fill(iv, 16, 0x20);
	for (i = 0; i < 64; i++)
		plain[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(sm_pkt_new(p, &tk, &e), 0);
}

static void test_pkt_vector(void **state)
{
	uint8_t iv[16], plain[64], trans[64], hdr[SM_PKT_HDR_LEN], want[64];
	uint8_t back[64];
	struct sm_pkt *p;
	struct sm_err e;
	int round;

	(void)state;
	pkt_setup(&p, iv, plain);
	/* Several rounds: the reused contexts must give the same bytes. */
	for (round = 0; round < 3; round++) {
		assert_int_equal(
			sm_pkt_seal(p, iv, 0, plain, 64, trans, hdr, &e), 0);
		unhex(pkt_ct_hex, want, 64);
		assert_memory_equal(trans, want, 64);
		assert_int_equal(hdr[0] | hdr[1] | hdr[2] | hdr[3], 0);
		assert_memory_equal(hdr + 4, iv, 16);
		unhex(pkt_mac_hex, want, 32);
		assert_memory_equal(hdr + 0x14, want, 32);
		memset(back, 0, sizeof(back));
		assert_int_equal(sm_pkt_open(p, hdr, trans, 64, back, &e), 0);
		assert_memory_equal(back, plain, 64);
	}
	sm_pkt_free(p);
}

/* A full page in place, and a different IV giving different bytes. */
static void test_pkt_page(void **state)
{
	uint8_t iv[16], plain[64], hdr[SM_PKT_HDR_LEN], hdr2[SM_PKT_HDR_LEN];
	uint8_t *page, *orig, *other;
	struct sm_pkt *p;
	struct sm_err e;

	(void)state;
	pkt_setup(&p, iv, plain);
	page = malloc(4096);
	orig = malloc(4096);
	other = malloc(4096);
	assert_non_null(page);
	assert_non_null(orig);
	assert_non_null(other);
	fill(orig, 4096, 9);
	memcpy(page, orig, 4096);
	assert_int_equal(sm_pkt_seal(p, iv, 0, page, 4096, page, hdr, &e), 0);
	assert_memory_not_equal(page, orig, 4096);
	iv[15] ^= 0x80;
	assert_int_equal(sm_pkt_seal(p, iv, 0, orig, 4096, other, hdr2, &e), 0);
	assert_memory_not_equal(page, other, 4096);
	assert_int_equal(sm_pkt_open(p, hdr, page, 4096, page, &e), 0);
	assert_memory_equal(page, orig, 4096);
	free(page);
	free(orig);
	free(other);
	sm_pkt_free(p);
}

/* The 128-bit counter carries across the low 64 bits, as OpenSSL's CTR. */
static void test_pkt_counter_carry(void **state)
{
	uint8_t iv[16], plain[64], zero[48] = { 0 }, trans[48];
	uint8_t hdr[SM_PKT_HDR_LEN], want[48];
	struct sm_pkt *p;
	struct sm_err e;

	(void)state;
	pkt_setup(&p, iv, plain);
	memset(iv, 0xaa, 8);
	memset(iv + 8, 0xff, 8);
	assert_int_equal(sm_pkt_seal(p, iv, 0, zero, 48, trans, hdr, &e), 0);
	unhex("1fd642d3fb1f6c0f20f36fce64db68bb64c91c27836198a28b117a47f0fbf512"
	      "ff87c23eabc6f60b16214789f788138c",
	      want, 48);
	assert_memory_equal(trans, want, 48);
	sm_pkt_free(p);
}

/* Any flipped bit in the header or the ciphertext is refused. */
static void test_pkt_tamper(void **state)
{
	uint8_t iv[16], plain[64], trans[64], hdr[SM_PKT_HDR_LEN], out[64];
	uint8_t untouched[64];
	struct sm_pkt *p;
	struct sm_err e;
	size_t bit;

	(void)state;
	pkt_setup(&p, iv, plain);
	assert_int_equal(sm_pkt_seal(p, iv, 0, plain, 64, trans, hdr, &e), 0);
	memset(untouched, 0xee, sizeof(untouched));
	for (bit = 0; bit < SM_PKT_HDR_LEN * 8; bit++) {
		hdr[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		memcpy(out, untouched, 64);
		assert_int_equal(sm_pkt_open(p, hdr, trans, 64, out, &e), -1);
		if (bit == 0) {
			/* FLAGS.COMPRESSED: refused as unsupported */
			assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
			assert_string_equal(e.msg, "opening packet: compressed "
						   "packets are not supported");
		} else {
			assert_int_equal(e.code, SM_EXIT_VERIFY);
			assert_string_equal(e.msg,
					    "opening packet: MAC does not "
					    "verify (header or data altered, "
					    "or wrong session)");
		}
		assert_memory_equal(out, untouched, 64);
		hdr[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (bit = 0; bit < 64 * 8; bit++) {
		trans[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(sm_pkt_open(p, hdr, trans, 64, out, &e), -1);
		assert_int_equal(e.code, SM_EXIT_VERIFY);
		trans[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	/* Truncated: a shorter length changes the MAC input. */
	assert_int_equal(sm_pkt_open(p, hdr, trans, 48, out, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_int_equal(sm_pkt_open(p, hdr, trans, 64, out, &e), 0);
	assert_memory_equal(out, plain, 64);
	sm_pkt_free(p);
}

/* A packet of one session does not open in another. */
static void test_pkt_wrong_session(void **state)
{
	uint8_t iv[16], plain[64], trans[64], hdr[SM_PKT_HDR_LEN], out[64];
	struct sm_pkt *p, *q;
	struct sm_tk tk;
	struct sm_err e;
	int i;

	(void)state;
	pkt_setup(&p, iv, plain);
	assert_int_equal(sm_pkt_seal(p, iv, 0, plain, 64, trans, hdr, &e), 0);
	for (i = 0; i < 2; i++) {
		fill(tk.tek, 16, 0x00);
		fill(tk.tik, 16, 0x10);
		if (i == 0)
			tk.tik[3] ^= 1; /* wrong TIK: MAC fails */
		else
			tk.tek[3] ^= 1; /* wrong TEK only: MAC holds */
		assert_int_equal(sm_pkt_new(&q, &tk, &e), 0);
		if (i == 0) {
			assert_int_equal(
				sm_pkt_open(q, hdr, trans, 64, out, &e), -1);
			assert_int_equal(e.code, SM_EXIT_VERIFY);
		} else {
			assert_int_equal(
				sm_pkt_open(q, hdr, trans, 64, out, &e), 0);
			assert_memory_not_equal(out, plain, 64);
		}
		sm_pkt_free(q);
	}
	sm_pkt_free(p);
}

/*
 * The LAUNCH_SECRET packet against sevctl's vector
 * (../shared/testdata/sevctl-vectors/README.md, "Secret"): secret1.txt
 * under GUID 736869e5-84f0-4973-92ec-06879ce3da0b in an OVMF secret
 * table, padded to 16, sealed with tek1/tik1, the README's IV and the
 * MEASURE of its launch-measure blob, gives sevctl's header and payload;
 * and opens back, but not under another MEASURE.
 */
static uint8_t *vector_file(const char *rel, size_t *len)
{
	const char *d = getenv("SEVMIG_AMD_CERTS");
	char path[4096];
	struct sm_err e;
	uint8_t *buf = NULL;

	snprintf(path, sizeof(path), "%s/../sevctl-vectors/%s",
		 d && *d ? d : "../shared/testdata/amd-certs", rel);
	if (sm_read_file(path, 1 << 20, &buf, len, &e) < 0) {
		fprintf(stderr, "cannot read %s: %s\n", path, e.msg);
		fail();
	}
	return buf;
}

/* An EFI GUID's bytes: the first three fields little-endian. */
static void guid_bytes(const char *g, uint8_t out[16])
{
	uint8_t be[16];
	char hex[33];
	size_t i, j = 0;

	for (i = 0; g[i]; i++)
		if (g[i] != '-')
			hex[j++] = g[i];
	hex[j] = '\0';
	assert_int_equal(sm_hex_decode(hex, be, 16), 16);
	for (i = 0; i < 4; i++)
		out[i] = be[3 - i];
	out[4] = be[5];
	out[5] = be[4];
	out[6] = be[7];
	out[7] = be[6];
	memcpy(out + 8, be + 8, 8);
}

static void test_launch_secret_vector(void **state)
{
	static const char blob_b64[] =
		"TLeA7607lZQntLjRY1/i+sbtdSZ+75zxpz4Px9hzpBLwItF5Q2o4prA++3ZZv9ZS";
	static const char hdr_b64[] =
		"AAAAAKxUdO1N0yx9mJ7FI9klWey8FSzeYQ4X8K71VzNKLU/KQsIsQxLjtbhaPUewqshX5Q==";
	static const char payload_b64[] =
		"0U3e5PcXv0UW+H4tSBFKOdCYfKE1+j38Bc2fuO16mYiyI+sWx7INfn+lgYj56GL12yyinDa+lVfCCwD/2w5cPA==";
	uint8_t blob[48], iv[16], want_hdr[SM_PKT_HDR_LEN], want_payload[64];
	uint8_t table[64] = { 0 }, trans[64], back[64], hdr[SM_PKT_HDR_LEN];
	size_t tik_len, tek_len, data_len, n;
	uint8_t *tik = vector_file("secret/tik1.bin", &tik_len);
	uint8_t *tek = vector_file("secret/tek1.bin", &tek_len);
	uint8_t *data = vector_file("secret/secret1.txt", &data_len);
	struct sm_err e = { 0 };
	struct sm_pkt *p;
	struct sm_tk tk;

	(void)state;
	assert_int_equal(tik_len, 16);
	assert_int_equal(tek_len, 16);
	assert_int_equal(sm_base64_decode(blob_b64, blob, sizeof(blob)), 48);
	assert_int_equal(sm_base64_decode("rFR07U3TLH2YnsUj2SVZ7A==", iv, 16),
			 16);
	assert_int_equal(sm_base64_decode(hdr_b64, want_hdr, sizeof(want_hdr)),
			 SM_PKT_HDR_LEN);
	assert_int_equal(sm_base64_decode(payload_b64, want_payload,
					  sizeof(want_payload)),
			 64);
	/* table header, then one entry; total 16 + 4 + 16 + 4 + 18 = 58 */
	n = 16 + 4 + 16 + 4 + data_len;
	guid_bytes("1e74f542-71dd-4d66-963e-ef4287ff173b", table);
	table[16] = (uint8_t)n;
	guid_bytes("736869e5-84f0-4973-92ec-06879ce3da0b", table + 20);
	table[36] = (uint8_t)(16 + 4 + data_len);
	memcpy(table + 40, data, data_len);
	n = (n + 15) & ~(size_t)15;
	assert_int_equal(n, 64);

	memcpy(tk.tek, tek, 16);
	memcpy(tk.tik, tik, 16);
	assert_int_equal(sm_pkt_new(&p, &tk, &e), 0);
	assert_int_equal(sm_pkt_seal_secret(p, blob, iv, 0, table, n, trans,
					    hdr, &e),
			 0);
	assert_memory_equal(hdr, want_hdr, SM_PKT_HDR_LEN);
	assert_memory_equal(trans, want_payload, 64);
	assert_int_equal(sm_pkt_open_secret(p, blob, hdr, trans, n, back, &e),
			 0);
	assert_memory_equal(back, table, n);
	/* another launch's MEASURE, or the data packets' context byte */
	blob[0] ^= 1;
	assert_int_equal(sm_pkt_open_secret(p, blob, hdr, trans, n, back, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_int_equal(sm_pkt_open(p, hdr, trans, n, back, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	sm_pkt_free(p);
	free(tik);
	free(tek);
	free(data);
}

static void test_pkt_limits(void **state)
{
	uint8_t iv[16], plain[64], hdr[SM_PKT_HDR_LEN];
	uint8_t *big;
	struct sm_pkt *p;
	struct sm_err e;

	(void)state;
	pkt_setup(&p, iv, plain);
	big = calloc(1, 0x5010);
	assert_non_null(big);
	assert_int_equal(sm_pkt_seal(p, iv, 0, big, 0, big, hdr, &e), -1);
	assert_string_equal(e.msg, "sealing packet: bad length 0 (must be a "
				   "non-zero multiple of 16, at most 0x5000)");
	assert_int_equal(sm_pkt_seal(p, iv, 0, big, 17, big, hdr, &e), -1);
	assert_int_equal(sm_pkt_seal(p, iv, 0, big, 0x5010, big, hdr, &e), -1);
	assert_int_equal(sm_pkt_seal(p, iv, 0, big, 0x5000, big, hdr, &e), 0);
	assert_int_equal(sm_pkt_open(p, hdr, big, 0x5000, big, &e), 0);
	assert_int_equal(sm_pkt_open(p, hdr, big, 8, big, &e), -1);
	assert_non_null(strstr(e.msg, "opening packet: bad length 8"));
	assert_int_equal(sm_pkt_seal(p, iv, SM_PKT_FLAG_COMPRESSED, big, 16,
				     big, hdr, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	free(big);
	sm_pkt_free(p);
	sm_pkt_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kdf_vector),
		cmocka_unit_test(test_session_vector),
		cmocka_unit_test(test_session_vector48),
		cmocka_unit_test(test_session_wrong_policy),
		cmocka_unit_test(test_session_wrong_key),
		cmocka_unit_test(test_session_tamper),
		cmocka_unit_test(test_pkt_vector),
		cmocka_unit_test(test_pkt_page),
		cmocka_unit_test(test_pkt_counter_carry),
		cmocka_unit_test(test_pkt_tamper),
		cmocka_unit_test(test_pkt_wrong_session),
		cmocka_unit_test(test_pkt_limits),
		cmocka_unit_test(test_launch_secret_vector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
