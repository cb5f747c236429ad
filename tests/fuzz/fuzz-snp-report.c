// SPDX-License-Identifier: MIT
/*
 * fuzz-snp-report: a mode byte, then what sevmig-certs report reads.
 *   0: an SEV-SNP report (raw, hex text or snp_report_resp):
 *      sm_snp_report_parse, then its text and JSON forms for every product
 *      layout, sm_snp_report_product and sm_vcek_kds_path;
 *   1: a VCEK (DER or PEM, optionally followed by ASK and ARK in PEM)
 *      verifying a fixed report with the built-in roots: the X.509 parser,
 *      the AMD extensions, the ECDSA signature path;
 *   2: a cert_chain (sm_snp_check_chain for each SNP product);
 *   3: a CRL checked against the built-in Milan chain (sm_snp_check_crl).
 * Contracts: every failure has a message and an allowed exit class; a
 * parsed report always has a text and a JSON form; a verification that
 * says ok has every check ok.
 */
#include "fuzz-common.h"

#include <stdlib.h>

#include "base/bytes.h"
#include "certs/snp-report.h"
#include "fetch/vcek.h"

static struct sm_snp_report fixed;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_init();
	memset(&fixed, 0, sizeof(fixed));
	fixed.version = 2;
	fixed.sig_algo = 1;
	sm_put_le32(fixed.raw, 2);
	sm_put_le32(fixed.raw + 0x34, 1);
	memset(fixed.raw + SM_SNP_OFF_CHIP_ID, 0x5a, SM_SNP_CHIP_ID_LEN);
	fixed.form = "raw";
	return 0;
}

static void report_mode(const uint8_t *data, size_t size)
{
	static struct sm_snp_report r;
	struct sm_err e;
	char path[512];
	const char *why;
	int p;

	if (sm_snp_report_parse(data, size, "fuzz", &r, &e) < 0) {
		fz_check_err(&e, FZ(SM_EXIT_VERIFY) | FZ(SM_EXIT_UNSUPPORTED),
			     "parse");
		return;
	}
	(void)sm_snp_report_product(&r, &why);
	for (p = SM_PRODUCT_UNKNOWN; p < SM_PRODUCT_COUNT; p++) {
		char *t = sm_snp_report_text(&r, "fuzz", p, &e);
		char *j = sm_snp_report_json(&r, "fuzz", p, &e);

		if (!t || !j)
			fz_fail("no text or JSON form: %s", e.msg);
		free(t);
		free(j);
		(void)sm_vcek_kds_path(&r, p, path, sizeof(path));
	}
}

static void vcek_mode(const uint8_t *data, size_t size)
{
	static struct sm_snp_verify_result res;
	struct sm_snp_verify_opts o;
	struct sm_err e;
	size_t i;

	memset(&o, 0, sizeof(o));
	o.vcek_buf = data;
	o.vcek_len = size;
	if (sm_snp_verify(&fixed, &o, &res, &e) < 0) {
		fz_check_err(&e, FZ(SM_EXIT_VERIFY) | FZ(SM_EXIT_FAILURE),
			     "verify");
		return;
	}
	if (!res.ok || !res.nchecks)
		fz_fail("verify returned 0 but not ok");
	for (i = 0; i < res.nchecks; i++)
		if (!res.checks[i].ok)
			fz_fail("verify ok with a failed check");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sm_err e;
	int p;

	if (size < 1)
		return 0;
	fz_quiet();
	switch (data[0] & 3) {
	case 0:
		report_mode(data + 1, size - 1);
		break;
	case 1:
		vcek_mode(data + 1, size - 1);
		break;
	case 2:
		for (p = SM_PRODUCT_MILAN; p <= SM_PRODUCT_TURIN; p++)
			if (sm_snp_check_chain(data + 1, size - 1, p, &e) < 0)
				fz_check_err(&e, FZ(SM_EXIT_VERIFY), "chain");
		break;
	default: {
		const struct sm_snp_root_blob *b = &sm_snp_roots_blobs[0];
		char *pem = NULL, *ark = NULL, *chain;
		size_t n;

		if (sm_snp_der_to_pem(b->ask, b->ask_len, &pem, &e) < 0 ||
		    sm_snp_der_to_pem(b->ark, b->ark_len, &ark, &e) < 0)
			fz_fail("cannot write the built-in roots as PEM");
		n = strlen(pem) + strlen(ark);
		chain = malloc(n + 1);
		if (!chain)
			fz_fail("out of memory");
		strcpy(chain, pem);
		strcat(chain, ark);
		if (sm_snp_check_crl(data + 1, size - 1, (uint8_t *)chain, n,
				     &e) < 0)
			fz_check_err(&e, FZ(SM_EXIT_VERIFY), "crl");
		free(chain);
		free(pem);
		free(ark);
	}
	}
	fz_loud();
	return 0;
}
