// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/certs/snp-report.c, snp-verify.c and the generated
 * snp-roots-data.c, against the real reports in
 * $SEVMIG_AMD_CERTS/snp-reports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/ossl.h"
#include "base/util.h"
#include "certs/snp-report.h"

#include "certs-common.h"

#define V_REPORT "snp-reports/virtee-sev/report_milan.hex"
#define V_VCEK "snp-reports/virtee-sev/vcek_milan.der"
#define G_REPORT "snp-reports/go-sev-guest/attestation.bin"
#define G_VCEK "snp-reports/go-sev-guest/vcek.testcer"

static void load(const char *rel, struct sm_snp_report *r)
{
	struct sm_err e;
	size_t len;
	uint8_t *b = rd(rel, &len);

	if (sm_snp_report_parse(b, len, rel, r, &e) < 0) {
		fprintf(stderr, "%s: %s\n", rel, e.msg);
		fail();
	}
	free(b);
}

/* The README's facts, and the SHA-384 of the signed part (B.7). */
static void test_fields(void **state)
{
	static struct sm_snp_report v, g;
	uint8_t d[SM_SHA384_LEN];
	char hex[2 * SM_SHA384_LEN + 1];
	struct sm_snp_tcb t;
	const char *why;

	(void)state;
	load(V_REPORT, &v);
	assert_string_equal(v.form, "hex");
	assert_int_equal(v.version, 2);
	assert_int_equal(v.policy, 0x30000);
	assert_int_equal(v.sig_algo, 1);
	assert_int_equal(v.reported_tcb, 0x7308000000000003ull);
	sm_snp_tcb_decode(v.reported_tcb, SM_PRODUCT_MILAN, &t);
	assert_int_equal(t.bl, 3);
	assert_int_equal(t.snp, 8);
	assert_int_equal(t.ucode, 115);
	assert_false(t.has_fmc);
	assert_int_equal(v.current_ver[2], 1);
	assert_int_equal(v.current_ver[1], 52);
	assert_int_equal(v.current_ver[0], 4);
	assert_int_equal(sm_snp_report_signing_key(&v), SM_SNP_KEY_VCEK);
	assert_int_equal(sm_snp_report_product(&v, &why), SM_PRODUCT_UNKNOWN);
	sm_sha384(v.raw, SM_SNP_SIGNED_LEN, d);
	sm_hex_encode(d, sizeof(d), hex);
	assert_string_equal(
		hex,
		"4a0a381698d41e9ed56d29569d7808992893cee54351d8382716326fa7593b92665526eb1ca93891ff247c68548b69c4");

	load(G_REPORT, &g);
	assert_string_equal(g.form, "raw");
	assert_int_equal(g.policy, 0xb0000);
	assert_int_equal(g.raw[SM_SNP_OFF_REPORT_DATA + 4], 5);
	assert_true(sm_all_zero(g.raw + SM_SNP_OFF_REPORT_DATA + 5, 59));
	sm_sha384(g.raw, SM_SNP_SIGNED_LEN, d);
	sm_hex_encode(d, sizeof(d), hex);
	assert_string_equal(
		hex,
		"2241aba7c08be142e1b66585376539b6d16fa8dafd185f7b9ccdaf4e9d8551e51bcef29cf32ad0b913fb2af3f49196ae");
}

static void test_sizes_and_versions(void **state)
{
	static struct sm_snp_report r;
	static uint8_t buf[SM_SNP_RESP_LEN];
	struct sm_err e;

	(void)state;
	load(G_REPORT, &r);
	memcpy(buf, r.raw, SM_SNP_REPORT_LEN);
	assert_int_equal(sm_snp_report_parse(buf, SM_SNP_REPORT_LEN - 1, "x",
					     &r, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	sm_put_le32(buf, 4);
	assert_int_equal(
		sm_snp_report_parse(buf, SM_SNP_REPORT_LEN, "x", &r, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	/* a snp_report_resp of 4000 bytes */
	load(G_REPORT, &r);
	memset(buf, 0, sizeof(buf));
	sm_put_le32(buf + 4, SM_SNP_REPORT_LEN);
	memcpy(buf + SM_SNP_RESP_HDR, r.raw, SM_SNP_REPORT_LEN);
	assert_int_equal(sm_snp_report_parse(buf, sizeof(buf), "x", &r, &e), 0);
	assert_string_equal(r.form, "snp_report_resp");
	assert_int_equal(r.policy, 0xb0000);
}

static void test_tcb_spec(void **state)
{
	struct sm_snp_tcb t;
	unsigned m;
	char s[64];

	(void)state;
	assert_int_equal(sm_snp_tcb_parse("bl=3,snp=8", &t, &m), 0);
	assert_int_equal(m, 2 | 8);
	assert_int_equal(t.bl, 3);
	assert_int_equal(t.snp, 8);
	assert_int_equal(sm_snp_tcb_parse("bl=256", &t, &m), -1);
	assert_int_equal(sm_snp_tcb_parse("bl=1,bl=2", &t, &m), -1);
	assert_int_equal(sm_snp_tcb_parse("", &t, &m), -1);
	assert_int_equal(sm_snp_tcb_parse("x", &t, &m), -1);
	/* Turin: fmc, bl, tee, snp, then microcode in byte 7 */
	sm_snp_tcb_decode(0x0900000004030201ull, SM_PRODUCT_TURIN, &t);
	assert_string_equal(sm_snp_tcb_str(&t, s, sizeof(s)),
			    "fmc=1 bl=2 tee=3 snp=4 ucode=9");
}

static void test_verify(void **state)
{
	static struct sm_snp_report v, g;
	static struct sm_snp_verify_result res;
	struct sm_snp_verify_opts o;
	char vcek[4096];
	struct sm_err e;

	(void)state;
	load(V_REPORT, &v);
	load(G_REPORT, &g);
	memset(&o, 0, sizeof(o));
	snprintf(vcek, sizeof(vcek), "%s/%s", certs_dir(), V_VCEK);
	o.vcek = vcek;
	assert_int_equal(sm_snp_verify(&v, &o, &res, &e), 0);
	assert_true(res.ok);
	assert_int_equal(res.product, SM_PRODUCT_MILAN);
	assert_int_equal(res.nchecks, 8);
	/* the other chip's report */
	assert_int_equal(sm_snp_verify(&g, &o, &res, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_false(res.ok);
	/* bit 7 of byte 21 */
	v.raw[21] ^= 0x80;
	assert_int_equal(sm_snp_verify(&v, &o, &res, &e), -1);
	assert_string_equal(
		e.msg,
		"SNP report verification failed: report signature: bad ECDSA P-384 signature by the VCEK");
	v.raw[21] ^= 0x80;
	v.sig_algo = 2;
	assert_int_equal(sm_snp_verify(&v, &o, &res, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	v.sig_algo = 1;
	snprintf(vcek, sizeof(vcek), "%s/%s", certs_dir(), G_VCEK);
	assert_int_equal(sm_snp_verify(&g, &o, &res, &e), 0);
}

/* Every built-in SNP entry matches its pins (the generator's output). */
static void test_roots(void **state)
{
	size_t i;
	uint8_t d[SM_SHA256_LEN];
	char hex[2 * SM_SHA256_LEN + 1];

	(void)state;
	assert_int_equal(sm_snp_roots_nblobs, 3);
	for (i = 0; i < sm_snp_roots_nblobs; i++) {
		const struct sm_snp_root_blob *b = &sm_snp_roots_blobs[i];

		sm_sha256(b->ask, b->ask_len, d);
		sm_hex_encode(d, sizeof(d), hex);
		assert_string_equal(hex, b->ask_pin);
		assert_int_equal(strlen(b->ark_key_pin), 64);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_sizes_and_versions),
		cmocka_unit_test(test_tcb_spec),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_roots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
