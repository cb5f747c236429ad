// SPDX-License-Identifier: MIT
/* Helpers shared by the sevmig-owner subcommands. */
#include "owner.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

int owner_parse_num(const char *sub, const char *opt, const char *s,
		    uint64_t max, uint64_t *out)
{
	if (sm_parse_uint(s, max, out) == 0)
		return 0;
	sm_cli_sub_usage(sub, "%s: '%s' is not a number from 0 to %llu", opt, s,
			 (unsigned long long)max);
	return -1;
}

int owner_put(char *text)
{
	struct sm_err e;
	size_t n = strlen(text);
	int rc = 0;

	if (fwrite(text, 1, n, stdout) != n) {
		sm_err_errno(&e, SM_EXIT_IO, errno,
			     "cannot write to standard output");
		rc = sm_cli_report(&e);
	}
	free(text);
	return rc;
}
