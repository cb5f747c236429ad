// SPDX-License-Identifier: MIT
/* Helpers shared by the sevmig-certs subcommands. */
#include "certs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "certs/snp-report.h"

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

int certs_parse_hex_opt(const char *sub, const char *opt, const char *hex,
			uint8_t *out, size_t min, size_t n)
{
	uint8_t *buf = malloc(n + 1);
	ssize_t got = buf ? sm_hex_decode(hex, buf, n) : -1;

	if (got < (ssize_t)min || (size_t)got > n) {
		free(buf);
		if (min == n)
			sm_cli_sub_usage(sub,
					 "bad %s '%s': expected %zu hex digits",
					 opt, hex, 2 * n);
		else
			sm_cli_sub_usage(
				sub,
				"bad %s '%s': expected 2 to %zu hex digits",
				opt, hex, 2 * n);
		return -1;
	}
	memset(out, 0, n);
	memcpy(out, buf, (size_t)got);
	free(buf);
	return 0;
}

int certs_parse_policy(const char *s, uint64_t *v)
{
	const char *d = strncmp(s, "0x", 2) == 0 ? s + 2 : s;
	size_t i, len = strlen(d);

	if (len == 0 || len > 16)
		return -1;
	*v = 0;
	for (i = 0; i < len; i++) {
		uint8_t b;
		char two[3] = { '0', d[i], '\0' };

		if (sm_hex_decode(two, &b, 1) != 1)
			return -1;
		*v = *v << 4 | b;
	}
	return 0;
}

void certs_print_snp_checks(const char *what,
			    const struct sm_snp_verify_result *res,
			    const char *name)
{
	size_t i;

	printf("%s: %s\nproduct: %s (%s)\nkey: %s\n", what, name,
	       res->product == SM_PRODUCT_UNKNOWN ?
		       "unknown" :
		       sm_product_name(res->product),
	       res->product_from ? res->product_from : "-",
	       res->key_name ? res->key_name : "-");
	for (i = 0; i < res->nchecks; i++)
		printf("%-5s %s: %s\n", res->checks[i].ok ? "ok" : "FAIL",
		       res->checks[i].name, res->checks[i].detail);
}

int certs_parse_snp_product(const char *sub, const char *name,
			    enum sm_product *p)
{
	if (sm_product_parse(name, p) == 0 &&
	    (*p == SM_PRODUCT_MILAN || *p == SM_PRODUCT_GENOA ||
	     *p == SM_PRODUCT_TURIN))
		return 0;
	sm_cli_sub_usage(
		sub,
		"unknown SNP product '%s' (expected milan, genoa or turin)",
		name);
	return -1;
}
