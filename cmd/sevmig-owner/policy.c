// SPDX-License-Identifier: MIT
/* sevmig-owner policy: what a guest policy means for migration. */
#include "owner.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/owner.h"

static void policy_usage(void)
{
	fputs("Usage:\n " OWNER_POLICY_SYNOPSIS "\n"
	      "\nDecode an SEV guest policy (decimal or 0x-hex) and say what each bit\n"
	      "means for migration.\n"
	      "\nOptions:\n"
	      " -J, --json            print the result as JSON\n" OWNER_COMMON_HELP,
	      stdout);
}

int owner_policy(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct sm_owner_policy p;
	struct sm_cli_common co = { 0 };
	int c, i, rc = 0;
	uint64_t v;
	char ver[16];

	while ((c = getopt_long(argc, argv, "JvqhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, policy_usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		switch (c) {
		default:
			return sm_cli_sub_try_help("policy");
		}
	}
	sm_cli_sub_verbosity(co.verbose, co.quiet);
	if (argc - optind != 1)
		return sm_cli_sub_usage("policy", "one POLICY is needed");
	if (owner_parse_num("policy", "POLICY", argv[optind], UINT32_MAX, &v))
		return SM_EXIT_USAGE;
	sm_owner_policy_decode((uint32_t)v, &p);
	if (co.json) {
		char *text = sm_owner_policy_json(&p);

		if (!text) {
			struct sm_err e;

			sm_err_set(&e, SM_EXIT_FAILURE, "out of memory");
			return sm_cli_report(&e);
		}
		rc = owner_put(text);
		return sm_cli_close_stdout(rc);
	}
	printf("policy 0x%x\n", p.policy);
	for (i = 0; i < SM_POLICY_NFLAGS; i++)
		printf("%-7s %-5s %s\n", p.flag[i].name,
		       p.flag[i].set ? "set" : "clear", p.flag[i].meaning);
	snprintf(ver, sizeof(ver), "%u.%u", p.api_major, p.api_minor);
	printf("%-7s %-5s the target's SEV API must be at least %s%s\n", "API",
	       ver, ver, (p.policy & 0x20) ? "" : " (checked only with SEV)");
	if (p.reserved)
		printf("%-7s 0x%-3x reserved bits are set: the SEV API "
		       "says they must be zero\n",
		       "RSVD", p.reserved);
	printf("migration: %s\n", p.migration);
	return sm_cli_close_stdout(rc);
}
