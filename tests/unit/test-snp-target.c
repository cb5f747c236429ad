// SPDX-License-Identifier: MIT
/*
 * Unit tests for an SEV-SNP migration target's bundle
 * (lib/certs/snp-target.c): encode and strict decode, and verification
 * (sm_snp_verify of the report plus the public key, its binding and the
 * expectations), with every refusal's exit code and message.  The
 * reports are signed by simulated hosts (lib/fw/sim-snp.c):
 *   a  milan, its own ARK
 *   b  ARK and ASK shared with a, its own chip and VCEK
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "base/bytes.h"
#include "base/util.h"
#include "certs/snp-target.h"
#include "fw/fw-sim.h"
#include "fw/sim-snp.h"

#include "helpers.h"

static char root[256], dir_a[300], dir_b[300];
static struct sm_sim_snp *sa, *sb;
static struct sm_snp_target good;
static struct sm_snp_verify_result res;

#define MEAS 0x6b
#define POLICY 0x30000ull

/* A target as an incoming guest's SVSM makes it, signed by s. */
static void make_target(struct sm_snp_target *t, const struct sm_sim_snp *s)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");
	uint8_t *r = t->report;
	const uint8_t *der;
	const char *chain;
	size_t n = 0;
	struct sm_err e;

	memset(t, 0, sizeof(*t));
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_get_octet_string_param(
				 k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, t->pub,
				 sizeof(t->pub), &n),
			 1);
	assert_int_equal(n, SM_SNP_TARGET_PUB_LEN);
	EVP_PKEY_free(k);
	memset(t->nonce, 0x4e, sizeof(t->nonce));
	sm_put_le32(r, 3);
	sm_put_le64(r + 0x008, POLICY);
	memset(r + SM_SNP_OFF_MEASUREMENT, MEAS, SM_SNP_MEASUREMENT_LEN);
	memset(r + SM_SNP_OFF_REPORT_ID, 0x77, 32);
	memset(r + SM_SNP_OFF_REPORT_ID_MA, 0xff, 32);
	sm_snp_target_binding(t->pub, t->nonce, r + SM_SNP_OFF_REPORT_DATA);
	assert_int_equal(sm_sim_snp_sign(s, r, &e), 0);
	der = sm_sim_snp_vcek_der(s, &n);
	memcpy(t->vcek, der, n);
	t->vcek_len = n;
	chain = sm_sim_snp_chain_pem(s, &n);
	memcpy(t->chain, chain, n + 1);
	snprintf(t->source, sizeof(t->source), "snp-target:/run/t.sock");
	snprintf(t->host, sizeof(t->host), "sim:%s", dir_a);
}

static int group_setup(void **state)
{
	struct sm_sim_platform_opts o;
	struct sm_err e;

	(void)state;
	if (th_mkdtemp(root, sizeof(root)))
		return -1;
	snprintf(dir_a, sizeof(dir_a), "%s/a", root);
	snprintf(dir_b, sizeof(dir_b), "%s/b", root);
	memset(&o, 0, sizeof(o));
	o.ark_bits = 2048;
	if (sm_fw_sim_platform_init(dir_a, &o, &e))
		goto err;
	memset(&o, 0, sizeof(o));
	o.ark_from = dir_a;
	if (sm_fw_sim_platform_init(dir_b, &o, &e) ||
	    sm_sim_snp_load(dir_a, &sa, &e) || sm_sim_snp_load(dir_b, &sb, &e))
		goto err;
	return 0;
err:
	fprintf(stderr, "setup: %s\n", e.msg);
	return -1;
}

static int group_teardown(void **state)
{
	(void)state;
	sm_sim_snp_free(sa);
	sm_sim_snp_free(sb);
	th_rmtree(root);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	make_target(&good, sa);
	return 0;
}

/* Options trusting a's simulated ARK. */
static void trust_a(struct sm_snp_target_opts *o)
{
	size_t n;

	memset(o, 0, sizeof(*o));
	o->ark_buf = (const uint8_t *)sm_sim_snp_ark_pem(sa, &n);
	o->ark_len = n;
}

/* verify t with o: expect the exit code and a message containing want. */
static void refused(const struct sm_snp_target *t,
		    const struct sm_snp_target_opts *o, const char *want)
{
	struct sm_err e;

	assert_int_equal(sm_snp_target_verify(t, o, &res, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	if (!strstr(e.msg, want)) {
		fprintf(stderr, "message: %s\nwanted: %s\n", e.msg, want);
		fail();
	}
	assert_int_equal(res.ok, 0);
}

static const struct sm_snp_check *find_check(const char *name)
{
	size_t i;

	for (i = 0; i < res.nchecks; i++)
		if (!strcmp(res.checks[i].name, name))
			return &res.checks[i];
	return NULL;
}

static void test_roundtrip(void **state)
{
	static struct sm_snp_target back;
	struct sm_snp_target_opts o;
	struct sm_err e;
	char *text;
	json_t *j;

	(void)state;
	text = sm_snp_target_encode(&good, &e);
	assert_non_null(text);
	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "schema")),
			    SM_SNP_TARGET_SCHEMA);
	assert_string_equal(json_string_value(json_object_get(j, "product")),
			    "milan");
	assert_string_equal(json_string_value(json_object_get(j, "policy")),
			    "0x30000");
	assert_string_equal(
		json_string_value(json_object_get(j, "reported_tcb")),
		"bl=3 tee=0 snp=8 ucode=115");
	assert_int_equal(
		strlen(json_string_value(json_object_get(j, "report"))),
		2 * SM_SNP_REPORT_LEN);
	json_decref(j);
	assert_int_equal(
		sm_snp_target_decode(text, strlen(text), "t", &back, &e), 0);
	free(text);
	assert_memory_equal(back.report, good.report, sizeof(good.report));
	assert_memory_equal(back.pub, good.pub, sizeof(good.pub));
	assert_memory_equal(back.nonce, good.nonce, sizeof(good.nonce));
	assert_int_equal(back.vcek_len, good.vcek_len);
	assert_memory_equal(back.vcek, good.vcek, good.vcek_len);
	assert_string_equal(back.chain, good.chain);
	assert_string_equal(back.source, good.source);
	assert_string_equal(back.host, good.host);

	/* a source with a control character is written so it decodes */
	good.source[3] = '\n';
	text = sm_snp_target_encode(&good, &e);
	assert_non_null(text);
	assert_int_equal(
		sm_snp_target_decode(text, strlen(text), "t", &back, &e), 0);
	free(text);
	assert_int_equal(back.source[3], '?');

	trust_a(&o);
	o.have_measurement = 1;
	memset(o.measurement, MEAS, sizeof(o.measurement));
	o.have_policy = 1;
	o.policy = POLICY;
	o.have_report_id = 1;
	memset(o.report_id, 0x77, sizeof(o.report_id));
	assert_int_equal(sm_snp_tcb_parse("bl=3,snp=8,ucode=115", &o.min_tcb,
					  &o.min_tcb_mask),
			 0);
	if (sm_snp_target_verify(&back, &o, &res, &e) != 0) {
		fprintf(stderr, "%s\n", e.msg);
		fail();
	}
	assert_int_equal(res.ok, 1);
	assert_non_null(find_check("key binding"));
	assert_non_null(find_check("public key"));
	assert_non_null(find_check("report id"));
	assert_non_null(find_check("measurement"));
	assert_non_null(find_check("minimum TCB"));
	assert_non_null(find_check("ARK is trusted"));
}

/* A source's defaults: its own guest's measurement, policy and TCB. */
static void test_expect_own(void **state)
{
	struct sm_snp_report own;
	struct sm_snp_target_opts o;
	struct sm_err e;
	uint8_t raw[SM_SNP_REPORT_LEN];

	(void)state;
	/* a source guest like the target: accepted */
	assert_int_equal(sm_snp_report_parse(good.report, sizeof(good.report),
					     "own", &own, &e),
			 0);
	trust_a(&o);
	sm_snp_target_expect_own(&own, &o);
	assert_int_equal(o.min_tcb_mask, 2 | 4 | 8 | 16);
	assert_int_equal(sm_snp_target_verify(&good, &o, &res, &e), 0);
	assert_int_equal(find_check("measurement")->ok, 1);
	assert_int_equal(find_check("policy")->ok, 1);
	assert_int_equal(find_check("minimum TCB")->ok, 1);

	/* a source guest of another measurement, of a newer TCB */
	memcpy(raw, good.report, sizeof(raw));
	raw[SM_SNP_OFF_MEASUREMENT] ^= 1;
	raw[0x180 + 7] = 116; /* reported_tcb's ucode */
	assert_int_equal(sm_snp_report_parse(raw, sizeof(raw), "own", &own, &e),
			 0);
	trust_a(&o);
	sm_snp_target_expect_own(&own, &o);
	refused(&good, &o, "measurement: ");
	assert_string_equal(find_check("minimum TCB")->detail,
			    "reported ucode=115 is below 116");
}

static void test_verify_refusals(void **state)
{
	static struct sm_snp_target t, other;
	struct sm_snp_target_opts o;
	struct sm_err e;
	size_t n;

	(void)state;
	trust_a(&o);

	/* REPORT_DATA over another nonce: the report does not bind the key */
	t = good;
	t.nonce[5] ^= 1;
	refused(&t, &o,
		"SNP target verification failed: key binding: the report does not bind the key: REPORT_DATA is not SHA-512(x || y || nonce)");
	/* ... nor another key */
	make_target(&other, sa);
	t = good;
	memcpy(t.pub, other.pub, sizeof(t.pub));
	refused(&t, &o, "key binding: the report does not bind the key");

	/* a flipped byte of the signed report */
	t = good;
	t.report[SM_SNP_OFF_MEASUREMENT + 3] ^= 0x10;
	refused(&t, &o,
		"report signature: bad ECDSA P-384 signature by the VCEK");

	/* a public key off the curve (its binding recomputed) */
	t = good;
	t.pub[96] ^= 1;
	sm_snp_target_binding(t.pub, t.nonce,
			      t.report + SM_SNP_OFF_REPORT_DATA);
	assert_int_equal(sm_sim_snp_sign(sa, t.report, &e), 0);
	refused(&t, &o, "public key: the public key is not a point on P-384");
	t = good;
	t.pub[0] = 0x02;
	refused(&t, &o,
		"public key: the public key is not an uncompressed point");

	/* the VCEK and chain of another chip (same ARK) */
	t = good;
	{
		const uint8_t *der = sm_sim_snp_vcek_der(sb, &n);

		memcpy(t.vcek, der, n);
		t.vcek_len = n;
	}
	refused(&t, &o, "report signature: bad ECDSA P-384 signature");
	assert_int_equal(find_check("chip id")->ok, 0);
	assert_string_equal(
		find_check("chip id")->detail,
		"the report's chip id is not the VCEK's hwID (another chip)");

	/* a chain with text after the ARK: refused as decode refuses it */
	t = good;
	strcat(t.chain, "junk\n");
	{
		struct sm_err ce;

		assert_int_equal(sm_snp_target_verify(&t, &o, &res, &ce), -1);
		assert_int_equal(ce.code, SM_EXIT_VERIFY);
		assert_string_equal(
			ce.msg,
			"bundle field 'cert_chain': text outside a PEM certificate");
		assert_int_equal(res.nchecks, 0);
	}

	/* expectations */
	trust_a(&o);
	o.have_measurement = 1;
	memset(o.measurement, 0x6c, sizeof(o.measurement));
	refused(&good, &o, "measurement: ");
	trust_a(&o);
	o.have_policy = 1;
	o.policy = 0x30001;
	refused(&good, &o, "policy: 0x30000, expected 0x30001");
	trust_a(&o);
	assert_int_equal(sm_snp_tcb_parse("snp=9", &o.min_tcb, &o.min_tcb_mask),
			 0);
	refused(&good, &o, "minimum TCB: reported snp=8 is below 9");
	trust_a(&o);
	o.have_report_id = 1;
	refused(&good, &o, "report id: --expect-report-id");

	/* no ARK named: AMD's roots reject the simulated chain, and say why */
	memset(&o, 0, sizeof(o));
	refused(&good, &o,
		"ARK is pinned: the ARK from the bundle's cert_chain is not AMD's milan root key");
	refused(&good, &o,
		"; the VCEK says it is a simulated host's (OU=sevmig simulator): give --ark ");
	refused(&good, &o, "/a/snp-ark.pem");
	t = good;
	t.host[0] = '\0';
	refused(&t, &o, "give --ark with that host's snp-ark.pem");
}

/* The JSON of good with field set to value (NULL: removed), decoded. */
static int decode_with(const char *field, json_t *value, struct sm_err *e)
{
	static struct sm_snp_target t;
	struct sm_err ee;
	char *text = sm_snp_target_encode(&good, &ee), *out;
	json_t *j;
	int rc;

	assert_non_null(text);
	j = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(j);
	if (value)
		json_object_set_new(j, field, value);
	else
		json_object_del(j, field);
	out = json_dumps(j, 0);
	json_decref(j);
	rc = sm_snp_target_decode(out, strlen(out), "b.json", &t, e);
	free(out);
	return rc;
}

static void bad(const char *field, json_t *value, enum sm_exit code,
		const char *want)
{
	struct sm_err e;

	assert_int_equal(decode_with(field, value, &e), -1);
	assert_int_equal(e.code, code);
	if (strcmp(e.msg, want) != 0) {
		fprintf(stderr, "message: %s\nwanted:  %s\n", e.msg, want);
		fail();
	}
}

static void test_decode_refusals(void **state)
{
	char hex[2 * SM_SNP_TARGET_PUB_LEN + 8], *s;
	uint8_t pub[SM_SNP_TARGET_PUB_LEN];
	struct sm_err e;
	size_t n;

	(void)state;
	bad("public_key", json_string("04abcd"), SM_EXIT_VERIFY,
	    "target bundle 'b.json': bundle field 'public_key' is not 194 hexadecimal digits (97 bytes)");
	memcpy(pub, good.pub, sizeof(pub));
	pub[96] ^= 1; /* the last byte of y: off the curve */
	sm_hex_encode(pub, sizeof(pub), hex);
	bad("public_key", json_string(hex), SM_EXIT_VERIFY,
	    "target bundle 'b.json': bundle field 'public_key' is not a point on P-384");
	bad("nonce",
	    json_string(
		    "zz4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e"),
	    SM_EXIT_VERIFY,
	    "target bundle 'b.json': bundle field 'nonce' is not 64 hexadecimal digits (32 bytes)");
	bad("report", json_string("00"), SM_EXIT_VERIFY,
	    "target bundle 'b.json': bundle field 'report' is not 2368 hexadecimal digits (1184 bytes)");
	bad("nonce", NULL, SM_EXIT_VERIFY,
	    "target bundle 'b.json': bundle field 'nonce' is missing");
	bad("nonce", json_integer(1), SM_EXIT_VERIFY,
	    "target bundle 'b.json': bundle field 'nonce' is not a string");
	bad("extra", json_string("x"), SM_EXIT_VERIFY,
	    "target bundle 'b.json': unknown bundle field 'extra'");
	bad("\033[2J", json_string("x"), SM_EXIT_VERIFY,
	    "target bundle 'b.json': unknown bundle field '?[2J'");
	bad("schema", json_string("sevmig-snp-target/2"), SM_EXIT_UNSUPPORTED,
	    "target bundle 'b.json': unsupported bundle schema 'sevmig-snp-target/2' (this version reads 'sevmig-snp-target/1')");
	bad("schema", json_string("sevmig-certs/1"), SM_EXIT_VERIFY,
	    "target bundle 'b.json': unsupported bundle schema 'sevmig-certs/1' (this version reads 'sevmig-snp-target/1')");
	bad("measurement", json_string("00"), SM_EXIT_VERIFY,
	    "target bundle 'b.json': bundle field 'measurement' is not the report's (6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b)");
	bad("policy", json_string("0x30001"), SM_EXIT_VERIFY,
	    "target bundle 'b.json': bundle field 'policy' is '0x30001' but the report says '0x30000'");
	bad("reported_tcb", json_string("bl=9 tee=0 snp=8 ucode=115"),
	    SM_EXIT_VERIFY,
	    "target bundle 'b.json': bundle field 'reported_tcb' is 'bl=9 tee=0 snp=8 ucode=115' but the report says 'bl=3 tee=0 snp=8 ucode=115'");
	bad("product", json_string("genoa"), SM_EXIT_VERIFY,
	    "target bundle 'b.json': bundle field 'product' is 'genoa' but the report says 'milan'");
	bad("source", json_string("a\033[2Jb"), SM_EXIT_VERIFY,
	    "target bundle 'b.json': bundle field 'source' holds a byte that is not printable ASCII");
	/* the chain with its ARK only; a VCEK with text after it */
	s = strstr(good.chain, "-----END CERTIFICATE-----");
	assert_non_null(s);
	bad("cert_chain", json_string(s + strlen("-----END CERTIFICATE-----")),
	    SM_EXIT_VERIFY,
	    "target bundle 'b.json': bundle field 'cert_chain' holds 1 certificates, expected 2 (the ASK then the ARK)");
	n = strlen(good.chain);
	s = malloc(n + 8);
	memcpy(s, good.chain, n);
	memcpy(s + n, "junk\n", 6);
	bad("cert_chain", json_string(s), SM_EXIT_VERIFY,
	    "target bundle 'b.json': bundle field 'cert_chain': text outside a PEM certificate");
	free(s);
	bad("vcek", json_string(good.chain), SM_EXIT_VERIFY,
	    "target bundle 'b.json': bundle field 'vcek' holds 2 certificates, expected 1");
	bad("vcek",
	    json_string(
		    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
	    SM_EXIT_VERIFY,
	    "target bundle 'b.json': bundle field 'vcek': certificate 1 is not a valid PEM X.509 certificate");

	/* not JSON, not an object */
	assert_int_equal(sm_snp_target_decode("[]", 2, "x", &good, &e), -1);
	assert_string_equal(
		e.msg,
		"target bundle 'x': a target bundle must be a JSON object");
	make_target(&good, sa);
	assert_int_equal(sm_snp_target_decode("{", 1, "x", &good, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_roundtrip, setup),
		cmocka_unit_test_setup(test_expect_own, setup),
		cmocka_unit_test_setup(test_verify_refusals, setup),
		cmocka_unit_test_setup(test_decode_refusals, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
