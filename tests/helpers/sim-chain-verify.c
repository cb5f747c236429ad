// SPDX-License-Identifier: MIT
/*
 * sim-chain-verify [--ark FILE] DIR: verify the certificate chain of a
 * simulated host directory (pdh, pek, oca, cek, ask, ark .cert) with
 * sm_chain_verify, trusting only the ARK in FILE, or AMD's built-in roots
 * without --ark.  A stand-in for 'sevmig-certs verify --ark FILE DIR' in
 * the bats tests until sevmig-certs is on main.  Exit 0 verified, 3 not,
 * 2 usage, 1 other errors; the reason on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/cert.h"
#include "base/util.h"

static int rd(const char *dir, const char *name, uint8_t **buf, size_t *len,
	      struct sm_err *e)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return sm_read_file(path, 1 << 16, buf, len, e);
}

static int sev(const char *dir, const char *name, struct sm_sev_cert *c,
	       struct sm_err *e)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (rd(dir, name, &buf, &len, e))
		return -1;
	rc = sm_sev_cert_parse(buf, len, c, e);
	free(buf);
	return rc;
}

static int amd(const char *path, struct sm_amd_cert *c, struct sm_err *e)
{
	uint8_t *buf;
	size_t len, used;
	int rc;

	if (sm_read_file(path, 1 << 16, &buf, &len, e))
		return -1;
	rc = sm_amd_cert_parse(buf, len, c, &used, e);
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	static struct sm_chain ch;
	static struct sm_amd_cert trusted;
	struct sm_verify_result r;
	struct sm_trust t = { NULL, NULL, SM_PRODUCT_UNKNOWN };
	const char *ark = NULL, *dir;
	char path[4200];
	struct sm_err e;

	if (argc == 4 && strcmp(argv[1], "--ark") == 0) {
		ark = argv[2];
		dir = argv[3];
	} else if (argc == 2) {
		dir = argv[1];
	} else {
		fprintf(stderr, "usage: sim-chain-verify [--ark FILE] DIR\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/ask.cert", dir);
	if (sev(dir, "pdh.cert", &ch.pdh, &e) ||
	    sev(dir, "pek.cert", &ch.pek, &e) ||
	    sev(dir, "oca.cert", &ch.oca, &e) ||
	    sev(dir, "cek.cert", &ch.cek, &e) || amd(path, &ch.ask, &e))
		goto fail;
	snprintf(path, sizeof(path), "%s/ark.cert", dir);
	if (amd(path, &ch.ark, &e))
		goto fail;
	ch.have = SM_HAVE_ALL;
	if (ark) {
		if (amd(ark, &trusted, &e))
			goto fail;
		t.ark = &trusted;
	}
	if (sm_chain_verify(&ch, &t, &r, &e))
		goto fail;
	printf("verified\n");
	return 0;
fail:
	fprintf(stderr, "sim-chain-verify: %s\n", e.msg);
	return e.code ? (int)e.code : 1;
}
