/* SPDX-License-Identifier: MIT */
/*
 * Shared by the certificate unit tests: read the real AMD certificates from
 * $SEVMIG_AMD_CERTS (tests/run-tests.sh exports it).  Header-only so each
 * test stays one translation unit.
 */
#ifndef SEVMIG_TEST_CERTS_COMMON_H
#define SEVMIG_TEST_CERTS_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/cert.h"
#include "base/util.h"

static inline const char *certs_dir(void)
{
	const char *d = getenv("SEVMIG_AMD_CERTS");

	return d && *d ? d : "../shared/testdata/amd-certs";
}

/*
 * Read sevctl's owner vectors, ../sevctl-vectors/rel next to the AMD
 * certificates (../shared/testdata/sevctl-vectors); fails the test when
 * it cannot.
 */
static inline uint8_t *rd_sevctl(const char *rel, size_t *len)
{
	char path[4096];
	struct sm_err e;
	uint8_t *buf = NULL;

	snprintf(path, sizeof(path), "%s/../sevctl-vectors/%s", certs_dir(),
		 rel);
	if (sm_read_file(path, 1 << 20, &buf, len, &e) < 0) {
		fprintf(stderr, "cannot read %s: %s\n", path, e.msg);
		fail();
	}
	return buf;
}

/* Read $SEVMIG_AMD_CERTS/rel; fails the test when it cannot. */
static inline uint8_t *rd(const char *rel, size_t *len)
{
	char path[4096];
	struct sm_err e;
	uint8_t *buf = NULL;

	snprintf(path, sizeof(path), "%s/%s", certs_dir(), rel);
	if (sm_read_file(path, 1 << 20, &buf, len, &e) < 0) {
		fprintf(stderr, "cannot read %s: %s\n", path, e.msg);
		fail();
	}
	return buf;
}

static inline void rd_sev(const char *rel, struct sm_sev_cert *c)
{
	struct sm_err e;
	size_t len;
	uint8_t *b = rd(rel, &len);

	if (sm_sev_cert_parse(b, len, c, &e) < 0) {
		fprintf(stderr, "%s: %s\n", rel, e.msg);
		fail();
	}
	free(b);
}

static inline void rd_amd(const char *rel, struct sm_amd_cert *c)
{
	struct sm_err e;
	size_t len, used;
	uint8_t *b = rd(rel, &len);

	if (sm_amd_cert_parse(b, len, c, &used, &e) < 0 || used != len) {
		fprintf(stderr, "%s: %s\n", rel, e.msg);
		fail();
	}
	free(b);
}

/* A chain from virtee-sev/tests-<product>/{pdh,pek,oca,cek}.cert. */
static inline void rd_chain(const char *product, struct sm_chain *ch)
{
	char p[256];

	memset(ch, 0, sizeof(*ch));
	snprintf(p, sizeof(p), "virtee-sev/tests-%s/pdh.cert", product);
	rd_sev(p, &ch->pdh);
	snprintf(p, sizeof(p), "virtee-sev/tests-%s/pek.cert", product);
	rd_sev(p, &ch->pek);
	snprintf(p, sizeof(p), "virtee-sev/tests-%s/oca.cert", product);
	rd_sev(p, &ch->oca);
	snprintf(p, sizeof(p), "virtee-sev/tests-%s/cek.cert", product);
	rd_sev(p, &ch->cek);
	ch->have = SM_HAVE_PDH | SM_HAVE_PEK | SM_HAVE_OCA | SM_HAVE_CEK;
}

static inline void hexstr(const uint8_t *d, size_t n, char *out)
{
	sm_hex_encode(d, n, out);
}

#endif
