// SPDX-License-Identifier: MIT
/* Unit tests for lib/certs/cert.c against the real AMD certificates. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs/cert.h"
#include "base/ossl.h"
#include "certs/roots.h"
#include "base/util.h"

#include "certs-common.h"

static const char *const chain_products[] = { "naples", "rome", "milan" };
static const enum sm_product chain_ids[] = { SM_PRODUCT_NAPLES, SM_PRODUCT_ROME,
					     SM_PRODUCT_MILAN };

/* §10.3: PDH PEK OCA CEK ASK ARK for naples, rome, milan. */
static const char *const fprints[3][6] = {
	{ "dbec0cf343b140dc7ded571935e8d0ec8059fd1610ddb3c79eb177e7cd3878a2",
	  "8d55d63b6792c6ed10e11df7afc7e25d6a0428a6351fb9a806ec4160f2b0f390",
	  "70bb8f3702b22e848ef7a5dac704186ee80a889273443b4b5466da9405d4cc03",
	  "0f6570c3ddec6b393398084251f6924fcfb7d8fa1779e4e36dbbca30ee0c4f38",
	  "5dff2a2a4dd59dc095d73a26af28be523192ade830bdd35bacdd81ee75584c45",
	  "8efddcaaf84990cf6354d93637be270220cf15797332b3d918c3b8cc77349f31" },
	{ "a19ef679477f2256d802ce9054ee6d1145dbeed52998c66ea97499a01d977c54",
	  "a37b51038cbaec1062f7b5f93e8caa55cc7798b1a813c26fae1cabc96320fa0a",
	  "deae2d45b8d1456c94b514fba0e6f6fb9f13afc9df9ba9670e9c9e9e54b4af6e",
	  "ce2cba2df8808d188f445192418e008ecf9bd1464db35ea64afa3b3b6966396c",
	  "d8cd9d1798c311c96e009a91552f17b4ddc4886a064ec933697734965b9ab29db803c79604e2725658f0861bfaf09ad4",
	  "3d2c1157c29ef7bd4207fc0c8b08db080e579ceba267f8c93bec8dce73f5a5e2e60d959ac37ea82176c1a0c61ae203ed" },
	{ "ab065efc0881d7fe902629a3d0a9278ad251f38945e1bc62b6e5f72029ce3a63",
	  "3766689294b55e6f5aa5e70114642ae7f5654291489ade7a280f25b69ed75c95",
	  "b464820036850844677dbd1739bb82a58e8d76025e149efe4cad2724f2b4cbab",
	  "7ec815c688649cc85c4fdcd712e14e6cf3a7854fac63b0fbf39c103660794e3d",
	  "95cba79ba3c77daea79f741bade8156a50b1c59f6d6fda104d16dd264729f5ee8989522f3711fc7c84719921ceb31bc0",
	  "569da618dfe64015c343db6d975e77b72fdeacd16edd02d9d09b889b8f0f1d91ffa5dfbd86f7ac574a1a7883b7a1e737" },
};

static void check_sev_fp(const struct sm_sev_cert *c, const char *want)
{
	uint8_t d[48];
	char hex[97];
	size_t n;

	sm_sev_cert_fingerprint(c, d, &n);
	hexstr(d, n, hex);
	assert_string_equal(hex, want);
}

static void check_amd_fp(const struct sm_amd_cert *c, const char *want)
{
	uint8_t d[48];
	char hex[97];
	size_t n;

	sm_amd_cert_fingerprint(c, d, &n);
	hexstr(d, n, hex);
	assert_string_equal(hex, want);
}

static void test_fingerprints(void **state)
{
	struct sm_chain ch;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		rd_chain(chain_products[i], &ch);
		check_sev_fp(&ch.pdh, fprints[i][0]);
		check_sev_fp(&ch.pek, fprints[i][1]);
		check_sev_fp(&ch.oca, fprints[i][2]);
		check_sev_fp(&ch.cek, fprints[i][3]);
		check_amd_fp(sm_roots_ask(chain_ids[i]), fprints[i][4]);
		check_amd_fp(sm_roots_ark(chain_ids[i]), fprints[i][5]);
	}
}

static void test_parse_fields(void **state)
{
	struct sm_chain ch;
	struct sm_amd_cert ark;

	(void)state;
	rd_chain("naples", &ch);
	assert_int_equal(ch.pdh.usage, SM_USAGE_PDH);
	assert_int_equal(ch.pdh.algo, SM_ALGO_ECDH_SHA256);
	assert_int_equal(ch.pek.sig_usage[0], SM_USAGE_OCA);
	assert_int_equal(ch.pek.sig_usage[1], SM_USAGE_CEK);
	assert_int_equal(ch.cek.sig_usage[0], SM_USAGE_ASK);
	assert_int_equal(ch.cek.sig_algo[0], SM_ALGO_RSA_SHA256);
	assert_int_equal(ch.cek.api_major, 0);
	assert_int_equal(ch.cek.api_minor, 14);
	assert_int_equal(ch.oca.api_minor, 16);
	assert_int_equal(ch.oca.curve, SM_CURVE_P384);
	rd_amd("virtee-sev/builtin-rome/ark.cert", &ark);
	assert_int_equal(ark.len, SM_AMD_CERT_4K);
	assert_int_equal(ark.modulus_bits, 4096);
	assert_int_equal(ark.usage, SM_USAGE_ARK);
	assert_memory_equal(ark.key_id, ark.certifying_id, SM_KEY_ID_LEN);
	assert_string_equal(sm_usage_name(0x1004), "CEK");
	assert_string_equal(sm_usage_name(0x55), "invalid");
	assert_string_equal(sm_algo_name(0x101), "RSA_SHA384");
}

/* Every real chain verifies with its own roots, fails with every other. */
static void test_real_chains(void **state)
{
	struct sm_verify_result r;
	struct sm_chain ch;
	struct sm_err e;
	size_t i;
	int p;

	(void)state;
	for (i = 0; i < 3; i++) {
		rd_chain(chain_products[i], &ch);
		assert_int_equal(sm_chain_verify(&ch, NULL, &r, &e), 0);
		assert_true(r.ok);
		assert_int_equal(r.product, chain_ids[i]);
		for (p = SM_PRODUCT_NAPLES; p < SM_PRODUCT_COUNT; p++) {
			struct sm_trust t = { NULL, NULL, (enum sm_product)p };
			int rc = sm_chain_verify(&ch, &t, &r, &e);

			if ((enum sm_product)p == chain_ids[i]) {
				assert_int_equal(rc, 0);
				continue;
			}
			assert_int_equal(rc, -1);
			assert_int_equal(e.code, SM_EXIT_VERIFY);
			assert_int_equal(r.status[SM_LINK_CEK_BY_ASK],
					 SM_LINK_FAILED);
			assert_int_equal(r.status[SM_LINK_PDH_BY_PEK],
					 SM_LINK_OK);
			assert_non_null(strstr(e.msg, "ASK signs CEK"));
		}
		/* with the ASK and ARK in the chain as well */
		ch.ask = *sm_roots_ask(chain_ids[i]);
		ch.ark = *sm_roots_ark(chain_ids[i]);
		ch.have = SM_HAVE_ALL;
		assert_int_equal(sm_chain_verify(&ch, NULL, &r, &e), 0);
		/* another product's ASK and ARK in the chain */
		p = chain_ids[i] == SM_PRODUCT_TURIN ? SM_PRODUCT_NAPLES :
						       chain_ids[i] + 1;
		ch.ask = *sm_roots_ask(p);
		ch.ark = *sm_roots_ark(p);
		assert_int_equal(sm_chain_verify(&ch, NULL, &r, &e), -1);
		assert_int_equal(r.status[SM_LINK_CEK_BY_ASK], SM_LINK_FAILED);
	}
}

/* Each test CEK verifies under exactly one built-in ASK: its own. */
static void test_cek_by_each_ask(void **state)
{
	struct sm_chain ch;
	struct sm_err e;
	size_t i;
	int p;

	(void)state;
	for (i = 0; i < 3; i++) {
		rd_chain(chain_products[i], &ch);
		for (p = SM_PRODUCT_NAPLES; p < SM_PRODUCT_COUNT; p++) {
			int rc = sm_sev_cert_verify_by_amd(sm_roots_ask(p),
							   &ch.cek, &e);

			assert_int_equal(
				rc,
				(enum sm_product)p == chain_ids[i] ? 0 : -1);
		}
		/* reverse directions fail */
		assert_int_equal(sm_sev_cert_verify(&ch.pdh, &ch.pek, &e), -1);
		assert_non_null(strstr(e.msg, "cannot sign"));
		assert_int_equal(sm_sev_cert_verify(&ch.pek, &ch.cek, &e), -1);
		assert_int_equal(sm_sev_cert_verify(&ch.pek, &ch.oca, &e), -1);
		assert_non_null(strstr(e.msg, "carries no PEK signature"));
	}
}

static void test_builtin_roots(void **state)
{
	struct sm_err e;
	int p;

	(void)state;
	for (p = SM_PRODUCT_NAPLES; p < SM_PRODUCT_COUNT; p++) {
		const struct sm_amd_cert *ark = sm_roots_ark(p);
		const struct sm_amd_cert *ask = sm_roots_ask(p);

		assert_non_null(ark);
		assert_non_null(ask);
		assert_int_equal(sm_amd_cert_verify(ark, ark, &e), 0);
		assert_int_equal(sm_amd_cert_verify(ark, ask, &e), 0);
		assert_int_equal(sm_amd_cert_verify(ask, ark, &e), -1);
		assert_non_null(strstr(e.msg, "only an ARK"));
		assert_memory_equal(ask->certifying_id, ark->key_id,
				    SM_KEY_ID_LEN);
		assert_int_equal(sm_roots_product_of_ark(ark), p);
		if (p != SM_PRODUCT_NAPLES) {
			/* another product's ARK does not sign this ASK */
			const struct sm_amd_cert *o = sm_roots_ark(
				p == SM_PRODUCT_TURIN ? SM_PRODUCT_ROME :
							p + 1);

			assert_int_equal(sm_amd_cert_verify(o, ask, &e), -1);
			assert_non_null(strstr(e.msg, "certifying id"));
		}
	}
}

/* ASK certifying id must equal the ARK key id, even with a good key. */
static void test_certifying_id(void **state)
{
	struct sm_amd_cert ark = *sm_roots_ark(SM_PRODUCT_MILAN);
	struct sm_amd_cert ask = *sm_roots_ask(SM_PRODUCT_MILAN);
	struct sm_err e;

	(void)state;
	ask.certifying_id[3] ^= 1;
	assert_int_equal(sm_amd_cert_verify(&ark, &ask, &e), -1);
	assert_non_null(strstr(e.msg, "does not match the ARK key id"));
	ark.key_id[0] ^= 1;
	assert_int_equal(sm_amd_cert_verify(&ark, &ark, &e), -1);
}

/* Flip byte i of a copy of c; 1 if the certificate is then rejected. */
static int sev_flip_fails(const struct sm_sev_cert *c, size_t i,
			  const struct sm_sev_cert *s1,
			  const struct sm_sev_cert *s2,
			  const struct sm_amd_cert *ask)
{
	uint8_t raw[SM_SEV_CERT_LEN];
	struct sm_sev_cert m;
	struct sm_err e;
	int ok1 = 1, ok2 = 1;

	memcpy(raw, c->raw, sizeof(raw));
	raw[i] ^= 0x01;
	if (sm_sev_cert_parse(raw, sizeof(raw), &m, &e) < 0)
		return 1;
	if (s1)
		ok1 = sm_sev_cert_verify(s1, &m, &e) == 0;
	else if (ask)
		ok1 = sm_sev_cert_verify_by_amd(ask, &m, &e) == 0;
	if (s2)
		ok2 = sm_sev_cert_verify(s2, &m, &e) == 0;
	/* an empty slot is part of no link: it must fail to parse above */
	return !(ok1 && ok2);
}

static void flip_chain(const char *product, enum sm_product pid, size_t stride)
{
	const struct sm_amd_cert *ask = sm_roots_ask(pid);
	const struct sm_amd_cert *ark = sm_roots_ark(pid);
	struct sm_chain ch;
	struct sm_err e;
	size_t i;

	rd_chain(product, &ch);
	for (i = 0; i < SM_SEV_CERT_LEN; i += (i < 0x20 ? 1 : stride)) {
		if (!sev_flip_fails(&ch.pdh, i, &ch.pek, NULL, NULL) ||
		    !sev_flip_fails(&ch.pek, i, &ch.oca, &ch.cek, NULL) ||
		    !sev_flip_fails(&ch.oca, i, &ch.oca, NULL, NULL) ||
		    !sev_flip_fails(&ch.cek, i, NULL, NULL, ask)) {
			fprintf(stderr, "%s: flip at 0x%zx accepted\n", product,
				i);
			fail();
		}
	}
	for (i = 0; i < ark->len; i += (i < 0x40 ? 1 : stride)) {
		struct sm_amd_cert m;
		size_t used;

		memcpy(&m, ask, sizeof(m));
		m.raw[i] ^= 0x80;
		if (sm_amd_cert_parse(m.raw, m.len, &m, &used, &e) == 0)
			assert_int_equal(sm_amd_cert_verify(ark, &m, &e), -1);
		memcpy(&m, ark, sizeof(m));
		m.raw[i] ^= 0x80;
		if (sm_amd_cert_parse(m.raw, m.len, &m, &used, &e) == 0)
			assert_int_equal(sm_amd_cert_verify(&m, &m, &e), -1);
	}
}

/* Any single changed byte (signed range, signature, slot fields) fails. */
static void test_flip_naples(void **state)
{
	(void)state;
	flip_chain("naples", SM_PRODUCT_NAPLES, 1);
}

static void test_flip_rome_milan(void **state)
{
	(void)state;
	flip_chain("rome", SM_PRODUCT_ROME, 1);
	flip_chain("milan", SM_PRODUCT_MILAN, 3);
}

static void test_bad_sizes(void **state)
{
	static const size_t sev_sizes[] = { 0,
					    1,
					    4,
					    SM_SEV_CERT_LEN - 1,
					    SM_SEV_CERT_LEN + 1,
					    2 * SM_SEV_CERT_LEN };
	struct sm_sev_cert c;
	struct sm_amd_cert a;
	struct sm_err e;
	uint8_t *big;
	size_t i, used;

	(void)state;
	big = calloc(1, 4 * SM_SEV_CERT_LEN);
	assert_non_null(big);
	memcpy(big, sm_roots_ark(SM_PRODUCT_NAPLES)->raw, SM_AMD_CERT_2K);
	for (i = 0; i < SM_ARRAY_SIZE(sev_sizes); i++) {
		assert_int_equal(sm_sev_cert_parse(big, sev_sizes[i], &c, &e),
				 -1);
		assert_int_equal(e.code, SM_EXIT_VERIFY);
		assert_true(strstr(e.msg, "size") || strstr(e.msg, "empty"));
	}
	assert_int_equal(sm_amd_cert_parse(big, 0, &a, &used, &e), -1);
	assert_string_equal(
		e.msg, "empty input, an AMD certificate has 832 or 1600 bytes");
	assert_int_equal(sm_amd_cert_parse(big, 10, &a, &used, &e), -1);
	assert_non_null(strstr(e.msg, "truncated"));
	assert_int_equal(sm_amd_cert_parse(big, 831, &a, &used, &e), -1);
	assert_string_equal(e.msg, "truncated ARK: 831 bytes, expected 832");
	/* oversized: parse takes one certificate and reports its size */
	assert_int_equal(sm_amd_cert_parse(big, 900, &a, &used, &e), 0);
	assert_int_equal(used, 832);
	/* 576 bytes only for the unsigned 2048-bit ARK */
	assert_int_equal(sm_amd_cert_parse(big, 576, &a, &used, &e), 0);
	assert_int_equal(a.has_signature, 0);
	memcpy(big, sm_roots_ask(SM_PRODUCT_NAPLES)->raw, SM_AMD_CERT_2K);
	assert_int_equal(sm_amd_cert_parse(big, 576, &a, &used, &e), -1);
	assert_string_equal(e.msg, "truncated ASK: 576 bytes, expected 832");
	free(big);
}

static void test_random_input(void **state)
{
	uint8_t buf[SM_SEV_CERT_LEN];
	struct sm_sev_cert c;
	struct sm_amd_cert a;
	struct sm_chain ch;
	struct sm_err e;
	size_t used;
	int i, j;

	(void)state;
	rd_chain("rome", &ch);
	srand(1234);
	for (i = 0; i < 2000; i++) {
		/* pure noise, then a real certificate with a few bytes hit */
		assert_int_equal(sm_random(buf, sizeof(buf)), 0);
		assert_int_equal(sm_sev_cert_parse(buf, sizeof(buf), &c, &e),
				 -1);
		(void)sm_amd_cert_parse(buf, (size_t)rand() % sizeof(buf), &a,
					&used, &e);
		memcpy(buf, ch.cek.raw, sizeof(buf));
		for (j = 0; j < 1 + rand() % 4; j++)
			buf[rand() % (int)sizeof(buf)] = (uint8_t)rand();
		if (sm_sev_cert_parse(buf, sizeof(buf), &c, &e) == 0 &&
		    memcmp(buf, ch.cek.raw, sizeof(buf)) != 0)
			assert_int_equal(sm_sev_cert_verify_by_amd(
						 sm_roots_ask(SM_PRODUCT_ROME),
						 &c, &e),
					 -1);
	}
	/* a header that claims a valid AMD certificate over random bytes,
	 * with a key of the right shape (odd, full size, exponent >= 3) */
	memcpy(buf, sm_roots_ark(SM_PRODUCT_ROME)->raw, 0x40);
	buf[0x40] |= 3;
	buf[0x40 + 512] |= 1;
	buf[0x40 + 1023] |= 0x80;
	assert_int_equal(sm_amd_cert_parse(buf, SM_AMD_CERT_4K, &a, &used, &e),
			 0);
	assert_int_equal(sm_amd_cert_verify(&a, &a, &e), -1);
}

static void test_strict_fields(void **state)
{
	struct sm_chain ch;
	struct sm_sev_cert c;
	struct sm_err e;
	uint8_t raw[SM_SEV_CERT_LEN];

	(void)state;
	rd_chain("milan", &ch);
#define MUT(off, val, want)                                                   \
	do {                                                                  \
		memcpy(raw, ch.pek.raw, sizeof(raw));                         \
		raw[off] = (val);                                             \
		assert_int_equal(sm_sev_cert_parse(raw, sizeof(raw), &c, &e), \
				 -1);                                         \
		assert_string_equal(e.msg, want);                             \
	} while (0)
	MUT(0x000, 2, "unsupported SEV certificate version 2, expected 1");
	MUT(0x008, 0x05, "unknown certificate usage 0x1005");
	MUT(0x009, 0x00, "unknown certificate usage 0x2");
	memcpy(raw, ch.pek.raw, sizeof(raw));
	raw[0x008] = 0x13;
	raw[0x009] = 0x00;
	assert_int_equal(sm_sev_cert_parse(raw, sizeof(raw), &c, &e), -1);
	assert_string_equal(e.msg,
			    "usage ASK is not a platform certificate usage");
	MUT(0x00C, 0x03,
	    "public key algorithm ECDH_SHA256 does not fit usage PEK");
	MUT(0x00C, 0x07, "unknown public key algorithm 0x7");
	MUT(0x010, 0x01, "unsupported curve 1, expected 2 (P-384)");
	MUT(0x014 + 60, 0x01, "public key coordinate wider than P-384");
	MUT(0x414, 0x03,
	    "signature slot 1: usage PDH (0x1003) with algorithm ECDSA_SHA256 cannot sign");
	MUT(0x415, 0x00, "signature slot 1 has unknown usage 0x1");
	MUT(0x418, 0x01,
	    "signature slot 1: usage OCA (0x1001) with algorithm RSA_SHA256 cannot sign");
	MUT(0x418, 0x09, "signature slot 1 has unknown algorithm 0x9");
	MUT(0x61C, 0x55, "signature slot 2 has unknown usage 0x1055");
	MUT(0x41C + 50, 0x01,
	    "signature slot 1: ECDSA signature padding is not zero");
	memcpy(raw, ch.pdh.raw, sizeof(raw));
	raw[0x800] = 1;
	assert_int_equal(sm_sev_cert_parse(raw, sizeof(raw), &c, &e), -1);
	assert_string_equal(e.msg, "empty signature slot 2 is not zeroed");
	memcpy(raw, ch.pdh.raw, sizeof(raw));
	raw[0x620] = 2; /* empty usage with an algorithm */
	assert_int_equal(sm_sev_cert_parse(raw, sizeof(raw), &c, &e), -1);
	assert_string_equal(
		e.msg,
		"signature slot 2: usage empty (0x1000) with algorithm ECDSA_SHA256 cannot sign");
#undef MUT
	/* slot usage must name the signer: relabel the OCA slot as CEK */
	c = ch.pek;
	c.sig_usage[0] = SM_USAGE_PDH;
	assert_int_equal(sm_sev_cert_verify(&ch.oca, &c, &e), -1);
	assert_non_null(strstr(e.msg, "carries no OCA signature"));
	/* slot algorithm must match the signer's */
	c = ch.pek;
	c.sig_algo[0] = SM_ALGO_ECDSA_SHA384;
	assert_int_equal(sm_sev_cert_verify(&ch.oca, &c, &e), -1);
	assert_string_equal(
		e.msg,
		"PEK slot 1 algorithm ECDSA_SHA384 does not match the OCA key (ECDSA_SHA256)");
	/* the CEK's RSA slot: algorithm fits the ASK size, padding zero */
	c = ch.cek;
	c.sig_algo[0] = SM_ALGO_RSA_SHA256;
	assert_int_equal(sm_sev_cert_verify_by_amd(
				 sm_roots_ask(SM_PRODUCT_MILAN), &c, &e),
			 -1);
	assert_string_equal(
		e.msg,
		"CEK slot 1 algorithm RSA_SHA256 does not match the 4096-bit ASK (RSA_SHA384)");
}

/*
 * A certificate's own key is checked at parse time (issue 11 item 9): a
 * PDH is never a signer, so a bad point signed by a genuine PEK was only
 * caught when a firmware used it.  RSA keys: the size they claim, odd,
 * an exponent of at least 3.
 */
static void test_bad_keys(void **state)
{
	static const uint8_t p_le[48] = {
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	struct sm_chain ch;
	struct sm_sev_cert c;
	struct sm_amd_cert a;
	struct sm_err e;
	uint8_t raw[SM_SEV_CERT_LEN], *buf;
	size_t len, used;

	(void)state;
	rd_chain("milan", &ch);
	memcpy(raw, ch.pdh.raw, sizeof(raw));
	raw[0x5C] ^= 1; /* Qy: off the curve */
	assert_int_equal(sm_sev_cert_parse(raw, sizeof(raw), &c, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_string_equal(e.msg,
			    "PDH public key is not a point on the P-384 curve");
	memcpy(raw, ch.pdh.raw, sizeof(raw));
	memset(raw + 0x14, 0, 48);
	memset(raw + 0x5C, 0, 48);
	assert_int_equal(sm_sev_cert_parse(raw, sizeof(raw), &c, &e), -1);
	assert_string_equal(e.msg, "PDH public key is the point at infinity");
	memcpy(raw, ch.pek.raw, sizeof(raw));
	memcpy(raw + 0x14, p_le, sizeof(p_le));
	assert_int_equal(sm_sev_cert_parse(raw, sizeof(raw), &c, &e), -1);
	assert_string_equal(
		e.msg,
		"PEK public key has a coordinate not below the P-384 prime");
	/* p - 1 is a coordinate, just not of a point on the curve */
	memcpy(raw + 0x14, p_le, sizeof(p_le));
	raw[0x14] = 0xfe;
	assert_int_equal(sm_sev_cert_parse(raw, sizeof(raw), &c, &e), -1);
	assert_string_equal(e.msg,
			    "PEK public key is not a point on the P-384 curve");
	/* the same in an OCA and a CEK */
	memcpy(raw, ch.oca.raw, sizeof(raw));
	raw[0x5C] ^= 1;
	assert_int_equal(sm_sev_cert_parse(raw, sizeof(raw), &c, &e), -1);
	assert_string_equal(e.msg,
			    "OCA public key is not a point on the P-384 curve");
	memcpy(raw, ch.cek.raw, sizeof(raw));
	memset(raw + 0x14, 0, 48);
	memset(raw + 0x5C, 0, 48);
	assert_int_equal(sm_sev_cert_parse(raw, sizeof(raw), &c, &e), -1);
	assert_string_equal(e.msg, "CEK public key is the point at infinity");
	/* the real ones parse */
	assert_int_equal(sm_sev_cert_parse(ch.pdh.raw, sizeof(raw), &c, &e), 0);
	assert_int_equal(sm_sev_cert_parse(ch.oca.raw, sizeof(raw), &c, &e), 0);
	assert_int_equal(sm_sev_cert_parse(ch.cek.raw, sizeof(raw), &c, &e), 0);

	buf = rd("virtee-sev/builtin-rome/ark.cert", &len);
	buf[0x40] = 1; /* exponent 65537 (01 00 01) becomes 1 */
	buf[0x42] = 0;
	assert_int_equal(sm_amd_cert_parse(buf, len, &a, &used, &e), -1);
	assert_string_equal(
		e.msg,
		"ARK RSA public exponent is not an odd number of at least 3");
	buf[0x40] = 2;
	assert_int_equal(sm_amd_cert_parse(buf, len, &a, &used, &e), -1);
	assert_string_equal(
		e.msg,
		"ARK RSA public exponent is not an odd number of at least 3");
	buf[0x40] = 1;
	buf[0x42] = 1;
	buf[0x40 + 512] ^= 1; /* modulus low byte: even */
	assert_int_equal(sm_amd_cert_parse(buf, len, &a, &used, &e), -1);
	assert_string_equal(e.msg,
			    "ARK RSA modulus is not a 4096-bit odd number");
	buf[0x40 + 512] ^= 1;
	buf[0x40 + 1023] &= 0x7f; /* top bit clear: a shorter key */
	assert_int_equal(sm_amd_cert_parse(buf, len, &a, &used, &e), -1);
	assert_string_equal(e.msg,
			    "ARK RSA modulus is not a 4096-bit odd number");
	free(buf);
}

static void test_unsigned_cek(void **state)
{
	struct sm_verify_result r;
	struct sm_trust t = { NULL, NULL, SM_PRODUCT_NAPLES };
	struct sm_chain ch;
	struct sm_err e;

	(void)state;
	rd_chain("naples", &ch);
	rd_sev("virtee-sev/naples-cek-unsigned/cek.uns.cert", &ch.cek);
	assert_true(sm_sev_cert_is_unsigned(&ch.cek));
	/* same key as the signed CEK: the PEK link still holds */
	assert_int_equal(sm_sev_cert_verify(&ch.cek, &ch.pek, &e), 0);
	assert_int_equal(sm_sev_cert_verify_by_amd(
				 sm_roots_ask(SM_PRODUCT_NAPLES), &ch.cek, &e),
			 -1);
	assert_string_equal(
		e.msg,
		"CEK is unsigned (both slots empty, as PDH_CERT_EXPORT returns it): the KDS-signed CEK is needed");
	assert_int_equal(sm_chain_verify(&ch, &t, &r, &e), -1);
	assert_int_equal(r.status[SM_LINK_CEK_BY_ASK], SM_LINK_UNSIGNED);
	assert_int_equal(r.status[SM_LINK_PEK_BY_CEK], SM_LINK_OK);
	assert_int_equal(r.status[SM_LINK_ARK_TRUSTED], SM_LINK_OK);
	assert_string_equal(
		e.msg,
		"certificate chain verification failed: ASK signs CEK: CEK is unsigned (both slots empty, as PDH_CERT_EXPORT returns it): the KDS-signed CEK is needed");
	/* without a product there is nothing to detect it from */
	assert_int_equal(sm_chain_verify(&ch, NULL, &r, &e), -1);
	assert_int_equal(r.product, SM_PRODUCT_UNKNOWN);
	assert_int_equal(r.status[SM_LINK_ARK_TRUSTED], SM_LINK_FAILED);
}

static void test_naples_ark_bad(void **state)
{
	struct sm_verify_result r;
	struct sm_amd_cert bad, m;
	struct sm_chain ch;
	struct sm_err e;
	size_t len, used;
	uint8_t *b;

	(void)state;
	b = rd("virtee-sev/tests-naples/ark.cert.bad", &len);
	assert_int_equal(len, SM_AMD_CERT_NAPLES_BAD);
	assert_int_equal(sm_amd_cert_parse(b, len, &bad, &used, &e), 0);
	assert_int_equal(bad.has_signature, 0);
	assert_true(sm_amd_cert_is_known_unsigned_ark(&bad));
	assert_int_equal(sm_amd_cert_verify(&bad, &bad, &e), 0);
	assert_int_equal(
		sm_amd_cert_verify(&bad, sm_roots_ask(SM_PRODUCT_NAPLES), &e),
		0);
	/* ark.cert.bad + ark.cert.sig = the built-in ARK */
	free(b);
	b = rd("virtee-sev/tests-naples/ark.cert.sig", &len);
	assert_int_equal(len, 256);
	assert_memory_equal(sm_roots_ark(SM_PRODUCT_NAPLES)->raw + 576, b, 256);
	free(b);

	rd_chain("naples", &ch);
	ch.ark = bad;
	ch.have |= SM_HAVE_ARK;
	assert_int_equal(sm_chain_verify(&ch, NULL, &r, &e), 0);
	assert_int_equal(r.product, SM_PRODUCT_NAPLES);
	assert_non_null(strstr(r.reason[SM_LINK_ARK_SELF], "AMDESE/AMDSEV#17"));

	/* an unsigned ARK that is not AMD's: refused, naming the issue */
	m = bad;
	m.raw[0x100] ^= 1;
	assert_false(sm_amd_cert_is_known_unsigned_ark(&m));
	assert_int_equal(sm_amd_cert_verify(&m, &m, &e), -1);
	assert_string_equal(
		e.msg,
		"unsigned 576-byte ARK is not AMD's Naples ARK, so no pinned signature can complete it (AMDESE/AMDSEV#17)");
	ch.ark = m;
	assert_int_equal(sm_chain_verify(&ch, NULL, &r, &e), -1);
	assert_int_equal(r.status[SM_LINK_ARK_SELF], SM_LINK_FAILED);
	assert_int_equal(r.status[SM_LINK_ARK_TRUSTED], SM_LINK_FAILED);
}

static void test_naples_2019_early(void **state)
{
	struct sm_sev_cert pdh, pek, oca, cek, fixed, c;
	struct sm_amd_cert ark;
	struct sm_err e;
	uint8_t *b, raw[SM_SEV_CERT_LEN];
	size_t len, used;
	char *hex;
	int p;

	(void)state;
	rd_sev("virtee-sev/naples-2019-early/pdh.cert", &pdh);
	rd_sev("virtee-sev/naples-2019-early/pek.cert", &pek);
	rd_sev("virtee-sev/naples-2019-early/oca.cert", &oca);
	b = rd("virtee-sev/naples-2019-early/pek_oca_cek.cert", &len);
	assert_int_equal(len, SM_SEV_CHAIN_LEN);
	assert_int_equal(sm_sev_cert_parse(b + 2 * SM_SEV_CERT_LEN,
					   SM_SEV_CERT_LEN, &cek, &e),
			 0);
	free(b);
	assert_true(sm_sev_cert_is_unsigned(&cek));
	assert_int_equal(sm_sev_cert_verify(&pek, &pdh, &e), 0);
	assert_int_equal(sm_sev_cert_verify(&oca, &oca, &e), 0);
	assert_int_equal(sm_sev_cert_verify(&oca, &pek, &e), 0);
	assert_int_equal(sm_sev_cert_verify(&cek, &pek, &e), 0);

	/* cek.cert.fixed: another chip, signed by the Rome ASK only */
	rd_sev("virtee-sev/naples-2019-early/cek.cert.fixed", &fixed);
	for (p = SM_PRODUCT_NAPLES; p < SM_PRODUCT_COUNT; p++)
		assert_int_equal(sm_sev_cert_verify_by_amd(sm_roots_ask(p),
							   &fixed, &e),
				 p == SM_PRODUCT_ROME ? 0 : -1);
	assert_int_equal(sm_sev_cert_verify(&fixed, &pek, &e), -1);

	/* cek_ask.cert: hex text of a CEK with SIG2 usage 0x0010 */
	b = rd("virtee-sev/naples-2019-early/cek_ask.cert", &len);
	hex = (char *)b;
	assert_int_equal(sm_hex_decode(hex, raw, sizeof(raw)), SM_SEV_CERT_LEN);
	free(b);
	assert_int_equal(sm_sev_cert_parse(raw, sizeof(raw), &c, &e), -1);
	assert_string_equal(
		e.msg,
		"signature slot 2 usage is 0x0010 instead of 0x1000 (empty): the 2019 KDS bug AMDESE/AMDSEV#18");

	/* ark.cert.fixed: zero signature fails its self-check */
	rd_amd("virtee-sev/naples-2019-early/ark.cert.fixed", &ark);
	assert_int_equal(sm_amd_cert_verify(&ark, &ark, &e), -1);
	assert_string_equal(e.msg, "ARK signature is all zeros");
	b = rd("virtee-sev/naples-2019-early/ask_ark.cert.fixed", &len);
	assert_int_equal(sm_amd_cert_parse(b, len, &ark, &used, &e), 0);
	assert_int_equal(used, SM_AMD_CERT_2K);
	assert_int_equal(ark.usage, SM_USAGE_ASK);
	free(b);
}

static void test_other_exports(void **state)
{
	static const char *const dirs[] = { "milan-export-11447ac",
					    "milan-export-2782152" };
	struct sm_sev_cert pdh, pek, oca, cek, csr;
	struct sm_err e;
	char path[256];
	uint8_t *b;
	size_t i, len;

	(void)state;
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "naos-sev-tool/%s/pdh.cert",
			 dirs[i]);
		rd_sev(path, &pdh);
		snprintf(path, sizeof(path), "naos-sev-tool/%s/cert_chain.cert",
			 dirs[i]);
		b = rd(path, &len);
		assert_int_equal(len, SM_SEV_CHAIN_LEN);
		assert_int_equal(
			sm_sev_cert_parse(b, SM_SEV_CERT_LEN, &pek, &e), 0);
		assert_int_equal(sm_sev_cert_parse(b + SM_SEV_CERT_LEN,
						   SM_SEV_CERT_LEN, &oca, &e),
				 0);
		assert_int_equal(sm_sev_cert_parse(b + 2 * SM_SEV_CERT_LEN,
						   SM_SEV_CERT_LEN, &cek, &e),
				 0);
		free(b);
		assert_int_equal(pek.api_major, 1);
		assert_int_equal(pek.api_minor, 51);
		assert_int_equal(sm_sev_cert_verify(&pek, &pdh, &e), 0);
		assert_int_equal(sm_sev_cert_verify(&oca, &pek, &e), 0);
		assert_int_equal(sm_sev_cert_verify(&cek, &pek, &e), 0);
		assert_int_equal(sm_sev_cert_verify(&oca, &oca, &e), 0);
		assert_true(sm_sev_cert_is_unsigned(&cek));
		snprintf(path, sizeof(path), "naos-sev-tool/%s/pek_csr.cert",
			 dirs[i]);
		rd_sev(path, &csr);
		assert_true(sm_sev_cert_is_unsigned(&csr));
		assert_int_equal(sm_sev_cert_verify(&oca, &csr, &e), -1);
		assert_string_equal(
			e.msg,
			"PEK is unsigned: both signature slots are empty");
	}
	rd_sev("sev-tool/psp-sev-assets/oca.cert", &oca);
	assert_int_equal(sm_sev_cert_verify(&oca, &oca, &e), 0);
}

/* Build a whole simulated chain: OCA, PEK, PDH, CEK, ASK, ARK. */
static void build_chain(unsigned bits, struct sm_chain *ch,
			struct sm_key **pdh_key)
{
	static const uint8_t ark_id[SM_KEY_ID_LEN] = { 1, 2, 3 };
	static const uint8_t ask_id[SM_KEY_ID_LEN] = { 4, 5, 6 };
	struct sm_key *oca, *pek, *pdh, *cek, *ask, *ark;
	struct sm_err e;

	assert_int_equal(sm_key_generate_ec(&oca, &e), 0);
	assert_int_equal(sm_key_generate_ec(&pek, &e), 0);
	assert_int_equal(sm_key_generate_ec(&pdh, &e), 0);
	assert_int_equal(sm_key_generate_ec(&cek, &e), 0);
	assert_int_equal(sm_key_generate_rsa(&ask, bits, &e), 0);
	assert_int_equal(sm_key_generate_rsa(&ark, bits, &e), 0);
	memset(ch, 0, sizeof(*ch));
	assert_int_equal(sm_amd_cert_build(&ch->ark, ark, SM_USAGE_ARK, ark_id,
					   ark, ark_id, &e),
			 0);
	assert_int_equal(sm_amd_cert_build(&ch->ask, ask, SM_USAGE_ASK, ask_id,
					   ark, ark_id, &e),
			 0);
	assert_int_equal(sm_sev_cert_init(&ch->cek, cek, SM_USAGE_CEK,
					  SM_ALGO_ECDSA_SHA256, 1, 55, &e),
			 0);
	assert_true(sm_sev_cert_is_unsigned(&ch->cek));
	assert_int_equal(sm_sev_cert_sign_by_amd(&ch->cek, ask, &e), 0);
	assert_int_equal(sm_sev_cert_init(&ch->oca, oca, SM_USAGE_OCA,
					  SM_ALGO_ECDSA_SHA256, 1, 55, &e),
			 0);
	assert_int_equal(sm_sev_cert_sign(&ch->oca, 0, oca, SM_USAGE_OCA, &e),
			 0);
	assert_int_equal(sm_sev_cert_init(&ch->pek, pek, SM_USAGE_PEK,
					  SM_ALGO_ECDSA_SHA256, 1, 55, &e),
			 0);
	assert_int_equal(sm_sev_cert_sign(&ch->pek, 0, oca, SM_USAGE_OCA, &e),
			 0);
	assert_int_equal(sm_sev_cert_sign(&ch->pek, 1, cek, SM_USAGE_CEK, &e),
			 0);
	assert_int_equal(sm_sev_cert_init(&ch->pdh, pdh, SM_USAGE_PDH,
					  SM_ALGO_ECDH_SHA256, 1, 55, &e),
			 0);
	assert_int_equal(sm_sev_cert_sign(&ch->pdh, 0, pek, SM_USAGE_PEK, &e),
			 0);
	ch->have = SM_HAVE_ALL;
	assert_true(sm_key_matches_sev_cert(pdh, &ch->pdh));
	assert_false(sm_key_matches_sev_cert(pek, &ch->pdh));
	assert_false(sm_key_matches_sev_cert(ark, &ch->pdh));
	*pdh_key = pdh;
	sm_key_free(oca);
	sm_key_free(pek);
	sm_key_free(cek);
	sm_key_free(ask);
	sm_key_free(ark);
}

static void roundtrip(unsigned bits)
{
	struct sm_verify_result r;
	struct sm_chain ch;
	struct sm_trust t = { NULL, NULL, SM_PRODUCT_UNKNOWN };
	struct sm_key *pdh;
	struct sm_err e;
	uint8_t d[48];
	size_t n;

	build_chain(bits, &ch, &pdh);
	assert_int_equal(ch.ark.len,
			 bits == 2048 ? SM_AMD_CERT_2K : SM_AMD_CERT_4K);
	assert_int_equal(ch.cek.sig_algo[0], bits == 2048 ? SM_ALGO_RSA_SHA256 :
							    SM_ALGO_RSA_SHA384);
	assert_int_equal(ch.cek.api_major, 1);
	assert_int_equal(ch.cek.api_minor, 55);
	assert_int_equal(sm_amd_cert_verify(&ch.ark, &ch.ark, &e), 0);
	assert_int_equal(sm_amd_cert_verify(&ch.ark, &ch.ask, &e), 0);
	assert_int_equal(sm_sev_cert_verify_by_amd(&ch.ask, &ch.cek, &e), 0);
	/* against AMD's roots it fails; with --ark it holds */
	assert_int_equal(sm_chain_verify(&ch, NULL, &r, &e), -1);
	assert_int_equal(r.status[SM_LINK_ARK_TRUSTED], SM_LINK_FAILED);
	assert_int_equal(r.status[SM_LINK_PDH_BY_PEK], SM_LINK_OK);
	t.ark = &ch.ark;
	assert_int_equal(sm_chain_verify(&ch, &t, &r, &e), 0);
	assert_int_equal(r.product, SM_PRODUCT_UNKNOWN);
	sm_amd_cert_fingerprint(&ch.ark, d, &n);
	assert_int_equal(n, bits == 2048 ? 32 : 48);
	sm_sev_cert_fingerprint(&ch.pdh, d, &n);
	assert_int_equal(n, 32);
	/* the chain's AMD certs missing: --ark plus the ASK given */
	ch.have = SM_HAVE_PDH | SM_HAVE_PEK | SM_HAVE_OCA | SM_HAVE_CEK;
	t.ask = &ch.ask;
	assert_int_equal(sm_chain_verify(&ch, &t, &r, &e), 0);
	t.ask = NULL;
	assert_int_equal(sm_chain_verify(&ch, &t, &r, &e), -1);
	assert_int_equal(r.status[SM_LINK_CEK_BY_ASK], SM_LINK_FAILED);
	assert_int_equal(sm_sev_cert_pdh_sane(ch.pdh.raw, SM_SEV_CERT_LEN, &e),
			 0);
	sm_key_free(pdh);
}

static void test_roundtrip_2048(void **state)
{
	(void)state;
	roundtrip(2048);
}

static void test_roundtrip_4096(void **state)
{
	(void)state;
	roundtrip(4096);
}

static void test_sign_layout(void **state)
{
	struct sm_sev_cert c;
	struct sm_key *k;
	struct sm_err e;
	int i;

	(void)state;
	assert_int_equal(sm_key_generate_ec(&k, &e), 0);
	assert_int_equal(sm_sev_cert_init(&c, k, SM_USAGE_OCA,
					  SM_ALGO_ECDSA_SHA256, 0, 0, &e),
			 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(c.sig_usage[i], SM_USAGE_INVALID);
		assert_int_equal(c.sig_algo[i], SM_ALGO_NONE);
	}
	assert_int_equal(sm_sev_cert_sign(&c, 1, k, SM_USAGE_OCA, &e), 0);
	assert_int_equal(c.sig_usage[1], SM_USAGE_OCA);
	assert_int_equal(c.sig_algo[1], SM_ALGO_ECDSA_SHA256);
	assert_int_equal(c.sig_usage[0], SM_USAGE_INVALID);
	assert_int_equal(sm_sev_cert_verify(&c, &c, &e), 0);
	/* r and s: 48 significant little-endian bytes, padding zero */
	assert_true(c.raw[0x624 + 47] != 0 || c.raw[0x624 + 46] != 0);
	for (i = 48; i < 72; i++) {
		assert_int_equal(c.raw[0x624 + i], 0);
		assert_int_equal(c.raw[0x624 + 0x48 + i], 0);
	}
	assert_int_equal(sm_sev_cert_sign(&c, 2, k, SM_USAGE_OCA, &e), -1);
	assert_int_equal(sm_sev_cert_pdh_sane(c.raw, SM_SEV_CERT_LEN, &e), -1);
	assert_string_equal(e.msg, "certificate usage is OCA, expected PDH");
	sm_key_free(k);
}

static void test_key_pem(void **state)
{
	char dir[] = "/tmp/test-cert.XXXXXX", path[64];
	struct sm_key *k, *k2;
	struct sm_sev_cert c;
	struct sm_err e;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pdh.pem", dir);
	assert_int_equal(sm_key_generate_ec(&k, &e), 0);
	assert_int_equal(sm_sev_cert_init(&c, k, SM_USAGE_PDH,
					  SM_ALGO_ECDH_SHA256, 0, 0, &e),
			 0);
	assert_int_equal(sm_key_save_pem(k, path, &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(sm_key_load_pem(path, &k2, &e), 0);
	assert_true(sm_key_matches_sev_cert(k2, &c));
	sm_key_free(k2);
	sm_key_free(k);
	assert_int_equal(sm_key_generate_rsa(&k, 2048, &e), 0);
	assert_int_equal(sm_key_save_pem(k, path, &e), 0);
	assert_int_equal(sm_key_load_pem(path, &k2, &e), 0);
	sm_key_free(k2);
	sm_key_free(k);
	assert_int_equal(sm_key_generate_rsa(&k, 1024, &e), -1);
	/* not a key */
	assert_int_equal(sm_write_file_atomic(path, "junk\n", 5, 0600, &e), 0);
	assert_int_equal(sm_key_load_pem(path, &k, &e), -1);
	assert_non_null(strstr(e.msg, "cannot read private key"));
	unlink(path);
	assert_int_equal(sm_key_load_pem(path, &k, &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	rmdir(dir);
}

static void test_ecdh(void **state)
{
	struct sm_sev_cert ca, cb;
	struct sm_key *a, *b;
	struct sm_chain ch;
	struct sm_err e;
	uint8_t za[48], zb[48], raw[SM_SEV_CERT_LEN];

	(void)state;
	assert_int_equal(sm_key_generate_ec(&a, &e), 0);
	assert_int_equal(sm_key_generate_ec(&b, &e), 0);
	assert_int_equal(sm_sev_cert_init(&ca, a, SM_USAGE_PDH,
					  SM_ALGO_ECDH_SHA256, 0, 0, &e),
			 0);
	assert_int_equal(sm_sev_cert_init(&cb, b, SM_USAGE_PDH,
					  SM_ALGO_ECDH_SHA256, 0, 0, &e),
			 0);
	assert_int_equal(sm_key_ecdh(a, &cb, za, &e), 0);
	assert_int_equal(sm_key_ecdh(b, &ca, zb, &e), 0);
	assert_memory_equal(za, zb, 48);
	/* with a real PDH, a valid point */
	rd_chain("milan", &ch);
	assert_int_equal(sm_key_ecdh(a, &ch.pdh, za, &e), 0);
	assert_int_equal(sm_sev_cert_pdh_sane(ch.pdh.raw, SM_SEV_CERT_LEN, &e),
			 0);
	/* a point off the curve is refused */
	memcpy(raw, ch.pdh.raw, sizeof(raw));
	raw[0x14] ^= 1;
	assert_int_equal(sm_sev_cert_pdh_sane(raw, sizeof(raw), &e), -1);
	assert_string_equal(e.msg,
			    "PDH public key is not a point on the P-384 curve");
	/* parsing refuses it; ECDH on one made by hand refuses it too */
	assert_int_equal(sm_sev_cert_parse(raw, sizeof(raw), &cb, &e), -1);
	cb = ch.pdh;
	cb.raw[0x14] ^= 1;
	assert_int_equal(sm_key_ecdh(a, &cb, za, &e), -1);
	assert_int_equal(sm_sev_cert_pdh_sane(ch.pek.raw, SM_SEV_CERT_LEN, &e),
			 -1);
	assert_int_equal(sm_sev_cert_pdh_sane(raw, 12, &e), -1);
	sm_key_free(a);
	sm_key_free(b);
}

static void test_names(void **state)
{
	enum sm_product p;

	(void)state;
	assert_int_equal(sm_product_parse("Milan", &p), 0);
	assert_int_equal(p, SM_PRODUCT_MILAN);
	assert_int_equal(sm_product_parse("venice", &p), -1);
	assert_int_equal(sm_product_parse("unknown", &p), -1);
	assert_string_equal(sm_product_name(SM_PRODUCT_TURIN), "turin");
	assert_string_equal(sm_product_name(SM_PRODUCT_COUNT), "unknown");
	assert_string_equal(sm_link_name(SM_LINK_PEK_BY_CEK), "CEK signs PEK");
	assert_string_equal(sm_link_status_name(SM_LINK_UNSIGNED), "unsigned");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprints),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_real_chains),
		cmocka_unit_test(test_cek_by_each_ask),
		cmocka_unit_test(test_builtin_roots),
		cmocka_unit_test(test_certifying_id),
		cmocka_unit_test(test_flip_naples),
		cmocka_unit_test(test_flip_rome_milan),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_random_input),
		cmocka_unit_test(test_strict_fields),
		cmocka_unit_test(test_unsigned_cek),
		cmocka_unit_test(test_naples_ark_bad),
		cmocka_unit_test(test_naples_2019_early),
		cmocka_unit_test(test_other_exports),
		cmocka_unit_test(test_roundtrip_2048),
		cmocka_unit_test(test_roundtrip_4096),
		cmocka_unit_test(test_sign_layout),
		cmocka_unit_test(test_key_pem),
		cmocka_unit_test(test_ecdh),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bad_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
