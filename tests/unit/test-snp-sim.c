// SPDX-License-Identifier: MIT
/*
 * Unit tests for a simulated host's SEV-SNP identity: lib/fw/sim-snp.c
 * (made by platform init, loaded, signing reports with the platform's
 * fields), lib/certs/snp-sign.c (the signature, the simulated X.509
 * chain) and the --ark trust of lib/certs/snp-verify.c.  The reports go
 * through sm_snp_verify, the verifier of AMD's real reports.
 *
 * Platforms, made once for the group (2048-bit simulated AMD keys):
 *   a  milan, its own ARK
 *   b  ARK and ASK shared with a (one AMD), its own chip and VCEK
 *   c  milan, its own ARK (another AMD)
 *   r  rome, ARK shared with a: no SNP identity
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/bytes.h"
#include "base/util.h"
#include "certs/snp-report.h"
#include "fw/fw-sim.h"
#include "fw/sim-platform.h"
#include "fw/sim-snp.h"

#include "helpers.h"

static char root[256];
static char dir_a[300], dir_b[300], dir_c[300], dir_r[300];
static struct sm_sim_snp *sa, *sb, *sc;

static void must(int rc, const struct sm_err *e)
{
	if (rc != 0) {
		fprintf(stderr, "unexpected failure: %s\n", e->msg);
		fail();
	}
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
	snprintf(dir_c, sizeof(dir_c), "%s/c", root);
	snprintf(dir_r, sizeof(dir_r), "%s/r", root);
	memset(&o, 0, sizeof(o));
	o.ark_bits = 2048;
	if (sm_fw_sim_platform_init(dir_a, &o, &e) ||
	    sm_fw_sim_platform_init(dir_c, &o, &e))
		goto err;
	memset(&o, 0, sizeof(o));
	o.ark_from = dir_a;
	if (sm_fw_sim_platform_init(dir_b, &o, &e))
		goto err;
	o.product = SM_PRODUCT_ROME;
	if (sm_fw_sim_platform_init(dir_r, &o, &e))
		goto err;
	if (sm_sim_snp_load(dir_a, &sa, &e) ||
	    sm_sim_snp_load(dir_b, &sb, &e) || sm_sim_snp_load(dir_c, &sc, &e))
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
	sm_sim_snp_free(sc);
	th_rmtree(root);
	return 0;
}

/* What a guest fills before asking for a report. */
static void guest_fields(uint8_t raw[SM_SNP_REPORT_LEN], uint32_t version)
{
	memset(raw, 0xee, SM_SNP_REPORT_LEN); /* the platform must overwrite */
	sm_put_le32(raw, version);
	sm_put_le32(raw + 0x004, 7); /* guest_svn */
	sm_put_le64(raw + 0x008, 0x30000); /* policy */
	memset(raw + 0x010, 0x11, 16); /* family_id */
	memset(raw + 0x020, 0x22, 16); /* image_id */
	sm_put_le32(raw + 0x030, 0); /* vmpl */
	sm_put_le32(raw + 0x048, 0); /* key info: no author key */
	memset(raw + SM_SNP_OFF_REPORT_DATA, 0x5a, SM_SNP_REPORT_DATA_LEN);
	memset(raw + SM_SNP_OFF_MEASUREMENT, 0x6b, SM_SNP_MEASUREMENT_LEN);
	memset(raw + SM_SNP_OFF_HOST_DATA, 0, 32);
	memset(raw + SM_SNP_OFF_ID_KEY_DIGEST, 0, 48);
	memset(raw + SM_SNP_OFF_AUTHOR_KEY_DIGEST, 0, 48);
	memset(raw + SM_SNP_OFF_REPORT_ID, 0x77, 32);
	memset(raw + SM_SNP_OFF_REPORT_ID_MA, 0xff, 32);
	memset(raw + 0x1f8, 0, 16); /* mit vectors */
}

static void signed_report(const struct sm_sim_snp *s, uint32_t version,
			  struct sm_snp_report *r)
{
	uint8_t raw[SM_SNP_REPORT_LEN];
	struct sm_err e;

	guest_fields(raw, version);
	must(sm_sim_snp_sign(s, raw, &e), &e);
	must(sm_snp_report_parse(raw, sizeof(raw), "(test)", r, &e), &e);
}

/* The named check's state: 1 ok, 0 failed, -1 absent. */
static int check_state(const struct sm_snp_verify_result *res, const char *name)
{
	size_t i;

	for (i = 0; i < res->nchecks; i++)
		if (strcmp(res->checks[i].name, name) == 0)
			return res->checks[i].ok;
	return -1;
}

static void test_files(void **state)
{
	static const char *const names[] = { "snp-ark.pem",  "snp-ask.pem",
					     "snp-vcek.der", "snp-vcek.pem",
					     "snp-vcek.key", "snp.json" };
	char path[400];
	struct stat st;
	uint8_t *a, *b;
	size_t la, lb, i;
	struct sm_err e;

	(void)state;
	for (i = 0; i < SM_ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir_a, names[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777,
				 strcmp(names[i], "snp-vcek.key") ? 0644 :
								    0600);
		/* a rome platform has no SNP identity */
		snprintf(path, sizeof(path), "%s/%s", dir_r, names[i]);
		assert_int_equal(stat(path, &st), -1);
	}
	/* --ark-from shares the ARK and ASK, not the VCEK */
	snprintf(path, sizeof(path), "%s/snp-ark.pem", dir_a);
	must(sm_read_file(path, 1 << 16, &a, &la, &e), &e);
	snprintf(path, sizeof(path), "%s/snp-ark.pem", dir_b);
	must(sm_read_file(path, 1 << 16, &b, &lb, &e), &e);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	free(a);
	free(b);
	a = (uint8_t *)sm_sim_snp_vcek_der(sa, &la);
	b = (uint8_t *)sm_sim_snp_vcek_der(sb, &lb);
	assert_false(la == lb && memcmp(a, b, la) == 0);
	assert_memory_not_equal(sm_sim_snp_chip_id(sa), sm_sim_snp_chip_id(sb),
				SM_SNP_CHIP_ID_LEN);
	/* the chain is the ASK then the ARK, and ends with the ARK's PEM */
	{
		size_t lc, lk;
		const char *chain = sm_sim_snp_chain_pem(sa, &lc);
		const char *ark = sm_sim_snp_ark_pem(sa, &lk);

		assert_true(lc > lk);
		assert_int_equal(strlen(chain), lc);
		assert_string_equal(chain + lc - lk, ark);
	}
	assert_int_equal(sm_sim_snp_product(sa), SM_PRODUCT_MILAN);
	assert_int_equal(sm_sim_snp_tcb(sa), 0x7308000000000003ull);
}

/* The platform's fields, and the guest's kept. */
static void test_fields(void **state)
{
	static struct sm_snp_report r;
	struct sm_sim_platform_info info;
	struct sm_err e;
	uint8_t raw[SM_SNP_REPORT_LEN];

	(void)state;
	must(sm_sim_platform_read_info(dir_a, &info, &e), &e);
	signed_report(sa, 3, &r);
	assert_int_equal(r.version, 3);
	assert_int_equal(r.guest_svn, 7);
	assert_int_equal(r.policy, 0x30000);
	assert_int_equal(r.sig_algo, 1);
	assert_int_equal(r.key_info, 0);
	assert_int_equal(sm_snp_report_signing_key(&r), SM_SNP_KEY_VCEK);
	assert_int_equal(r.current_tcb, 0x7308000000000003ull);
	assert_int_equal(r.reported_tcb, r.current_tcb);
	assert_int_equal(r.committed_tcb, r.current_tcb);
	assert_int_equal(r.launch_tcb, r.current_tcb);
	assert_int_equal(r.platform_info, 1);
	assert_int_equal(r.cpuid_fam, 0x19);
	assert_int_equal(r.cpuid_mod, 0x01);
	assert_int_equal(r.cpuid_step, 0x01);
	assert_int_equal(r.current_ver[2], 1);
	assert_int_equal(r.current_ver[1], 55);
	assert_memory_equal(r.current_ver, r.committed_ver, 3);
	assert_memory_equal(r.raw + SM_SNP_OFF_CHIP_ID, info.chip_id,
			    SM_SNP_CHIP_ID_LEN);
	assert_int_equal(r.raw[SM_SNP_OFF_REPORT_DATA], 0x5a);
	assert_int_equal(r.raw[SM_SNP_OFF_MEASUREMENT + 47], 0x6b);
	assert_int_equal(r.raw[0x010], 0x11);
	assert_int_equal(r.raw[SM_SNP_OFF_REPORT_ID], 0x77);
	assert_true(sm_all_zero(r.raw + 0x04c, 4));
	assert_true(sm_all_zero(r.raw + 0x18b, 0x1a0 - 0x18b));
	assert_true(sm_all_zero(r.raw + 0x208, 0x2a0 - 0x208));
	assert_true(sm_all_zero(r.raw + 0x330, 0x4a0 - 0x330));
	/* r and s: 48 significant bytes, little-endian, zero-padded */
	assert_true(sm_all_zero(r.raw + SM_SNP_OFF_SIG_R + 48, 24));
	assert_true(sm_all_zero(r.raw + SM_SNP_OFF_SIG_S + 48, 24));
	/* version 2: no CPUID; 4 is refused */
	signed_report(sa, 2, &r);
	assert_int_equal(r.cpuid_fam, 0);
	guest_fields(raw, 4);
	assert_int_equal(sm_sim_snp_sign(sa, raw, &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
}

/* In memory, as sevmig-export will verify a target's report. */
static void test_verify_ok(void **state)
{
	static struct sm_snp_report r;
	static struct sm_snp_verify_result res;
	struct sm_snp_verify_opts o;
	struct sm_err e;
	char vcek[400], ark[400];

	(void)state;
	signed_report(sa, 3, &r);
	memset(&o, 0, sizeof(o));
	sm_sim_snp_verify_opts(sa, &o);
	must(sm_snp_verify(&r, &o, &res, &e), &e);
	assert_true(res.ok);
	assert_int_equal(res.product, SM_PRODUCT_MILAN);
	assert_int_equal(check_state(&res, "ARK is trusted"), 1);
	assert_int_equal(check_state(&res, "ARK is pinned"), -1);
	assert_int_equal(check_state(&res, "ASK signs VCEK"), 1);
	assert_int_equal(check_state(&res, "report signature"), 1);
	assert_int_equal(check_state(&res, "reported TCB"), 1);
	assert_int_equal(check_state(&res, "chip id"), 1);
	/* a v2 report: the product from the VCEK's productName */
	signed_report(sa, 2, &r);
	must(sm_snp_verify(&r, &o, &res, &e), &e);
	/* files: snp-vcek.pem holds VCEK, ASK, ARK; --ark the ARK */
	snprintf(vcek, sizeof(vcek), "%s/snp-vcek.pem", dir_a);
	snprintf(ark, sizeof(ark), "%s/snp-ark.pem", dir_a);
	memset(&o, 0, sizeof(o));
	o.vcek = vcek;
	o.ark = ark;
	must(sm_snp_verify(&r, &o, &res, &e), &e);
	/* b shares a's ARK: a's ARK is b's trust anchor too */
	signed_report(sb, 3, &r);
	o.vcek = NULL;
	sm_sim_snp_verify_opts(sb, &o);
	o.ark_buf = NULL;
	o.ark = ark;
	must(sm_snp_verify(&r, &o, &res, &e), &e);
	/* the expectations work on simulated reports as on real ones */
	memset(o.report_data, 0x5a, sizeof(o.report_data));
	o.have_report_data = 1;
	o.policy = 0x30000;
	o.have_policy = 1;
	must(sm_snp_verify(&r, &o, &res, &e), &e);
	o.policy = 0x30001;
	assert_int_equal(sm_snp_verify(&r, &o, &res, &e), -1);
	assert_int_equal(check_state(&res, "policy"), 0);
}

static void expect_fail(const struct sm_snp_report *r,
			const struct sm_snp_verify_opts *o, const char *check)
{
	static struct sm_snp_verify_result res;
	struct sm_err e;

	assert_int_equal(sm_snp_verify(r, o, &res, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_false(res.ok);
	if (check_state(&res, check) != 0) {
		fprintf(stderr, "expected '%s' to fail: %s\n", check, e.msg);
		fail();
	}
	assert_non_null(strstr(e.msg, "SNP report verification failed"));
}

static void test_verify_refusals(void **state)
{
	static struct sm_snp_report r, flipped;
	struct sm_snp_verify_opts o;
	struct sm_err e;
	uint8_t raw[SM_SNP_REPORT_LEN];
	char vcek[400], ark[400];
	size_t len;

	(void)state;
	signed_report(sa, 3, &r);
	memset(&o, 0, sizeof(o));
	sm_sim_snp_verify_opts(sa, &o);

	/* a flipped byte of the signed part */
	memcpy(raw, r.raw, sizeof(raw));
	raw[SM_SNP_OFF_REPORT_DATA + 5] ^= 0x80;
	must(sm_snp_report_parse(raw, sizeof(raw), "x", &flipped, &e), &e);
	expect_fail(&flipped, &o, "report signature");

	/* no --ark: AMD's pinned roots reject the simulated chain */
	o.ark_buf = NULL;
	expect_fail(&r, &o, "ARK is pinned");

	/* another host's VCEK (same ARK): another chip */
	sm_sim_snp_verify_opts(sb, &o);
	expect_fail(&r, &o, "chip id");
	expect_fail(&r, &o, "report signature");

	/* the VCEK and chain of a host of another ARK, a's ARK trusted */
	sm_sim_snp_verify_opts(sc, &o);
	o.ark_buf = (const uint8_t *)sm_sim_snp_ark_pem(sa, &len);
	o.ark_len = len;
	expect_fail(&r, &o, "ARK is trusted");
	/* a's own chain, but the ARK of another host named */
	sm_sim_snp_verify_opts(sa, &o);
	o.ark_buf = (const uint8_t *)sm_sim_snp_ark_pem(sc, &len);
	o.ark_len = len;
	expect_fail(&r, &o, "ARK is trusted");

	/* --vcek DER alone and --ark: no ASK to check */
	snprintf(vcek, sizeof(vcek), "%s/snp-vcek.der", dir_a);
	snprintf(ark, sizeof(ark), "%s/snp-ark.pem", dir_a);
	memset(&o, 0, sizeof(o));
	o.vcek = vcek;
	o.ark = ark;
	expect_fail(&r, &o, "ARK is trusted");
	/* an --ark that is not a certificate */
	o.ark = vcek;
	snprintf(vcek, sizeof(vcek), "%s/snp.json", dir_a);
	o.vcek = NULL;
	sm_sim_snp_verify_opts(sa, &o);
	o.ark_buf = NULL;
	o.ark = vcek;
	{
		static struct sm_snp_verify_result res;

		assert_int_equal(sm_snp_verify(&r, &o, &res, &e), -1);
		assert_int_equal(e.code, SM_EXIT_VERIFY);
		assert_non_null(strstr(e.msg, "invalid ARK certificate"));
	}
}

/* Loading refuses what has no identity, or one that does not hold. */
static void test_load_refusals(void **state)
{
	struct sm_sim_snp *s = NULL;
	struct sm_err e;
	char cmd[4096], dir[400];

	(void)state;
	assert_int_equal(sm_sim_snp_load(dir_r, &s, &e), -1);
	assert_null(s);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "milan and genoa"));

	/* an older platform: no snp.json */
	snprintf(dir, sizeof(dir), "%s/old", root);
	snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s' && rm '%s/snp.json'", dir_a,
		 dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(sm_sim_snp_load(dir, &s, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "no SNP identity"));

	/* another host's VCEK key */
	snprintf(cmd, sizeof(cmd),
		 "rm -rf '%s' && cp -a '%s' '%s' && cp '%s/snp-vcek.key' '%s/'",
		 dir, dir_a, dir, dir_b, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(sm_sim_snp_load(dir, &s, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);

	/* another host's VCEK and key (same AMD): not this chip's */
	snprintf(cmd, sizeof(cmd),
		 "rm -rf '%s' && cp -a '%s' '%s' && cp '%s'/snp-vcek.* '%s/'",
		 dir, dir_a, dir, dir_b, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(sm_sim_snp_load(dir, &s, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_non_null(strstr(e.msg, "chip id"));

	/* a TCB in snp.json that the VCEK does not carry */
	snprintf(
		cmd, sizeof(cmd),
		"rm -rf '%s' && cp -a '%s' '%s' && sed -i 's/\"ucode\": 115/\"ucode\": 116/' '%s/snp.json'",
		dir, dir_a, dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(sm_sim_snp_load(dir, &s, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_non_null(strstr(e.msg, "reported TCB"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_verify_ok),
		cmocka_unit_test(test_verify_refusals),
		cmocka_unit_test(test_load_refusals),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
