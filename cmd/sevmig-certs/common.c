// SPDX-License-Identifier: MIT
/* Helpers shared by the sevmig-certs subcommands. */
#include "certs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

int certs_parse_product(const char *sub, const char *name, enum sm_product *p)
{
	if (sm_product_parse(name, p) == 0)
		return 0;
	sm_cli_sub_usage(
		sub,
		"unknown product '%s' (expected naples, rome, milan, genoa or turin)",
		name);
	return -1;
}

int certs_put(char *text, struct sm_err *e)
{
	size_t n = strlen(text);
	int ret = 0;

	if (fwrite(text, 1, n, stdout) != n)
		ret = sm_err_errno(e, SM_EXIT_IO, errno,
				   "cannot write to standard output");
	free(text);
	return ret;
}

const char *certs_sev_fp(const struct sm_sev_cert *c, char *buf)
{
	uint8_t d[48];
	size_t n;

	sm_sev_cert_fingerprint(c, d, &n);
	sm_hex_encode(d, n, buf);
	return buf;
}

const char *certs_amd_fp(const struct sm_amd_cert *c, char *buf)
{
	uint8_t d[48];
	size_t n;

	sm_amd_cert_fingerprint(c, d, &n);
	sm_hex_encode(d, n, buf);
	return buf;
}

void certs_warn_notes(const struct sm_verify_result *r)
{
	int l;

	for (l = 0; l < SM_LINK_COUNT; l++)
		if (r->status[l] == SM_LINK_OK && r->reason[l][0])
			pr_warn("%s: %s", sm_link_name(l), r->reason[l]);
}
