// SPDX-License-Identifier: MIT
/*
 * sevmig-certs: fetch, verify, show and split AMD SEV certificate chains.
 * Adding a subcommand: a row in cmds[] below, its function and synopsis in
 * cmd/sevmig-certs/certs.h, then the checklist in lib/cli/cli.h.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sevmig-certs/certs.h"
#include "base/util.h"
#include "cli/cli.h"

static const struct sm_cli_cmd cmds[] = {
	{ "verify", certs_verify,
	  "check every link of a chain up to a trusted AMD root" },
	{ "show", certs_show, "decode certificates and bundles" },
	{ "split", certs_split,
	  "write a bundle's certificates as separate files" },
	{ "fetch", certs_fetch,
	  "get a platform's chain and print it as a verified bundle" },
	{ "report", certs_report,
	  "show or verify a SEV-SNP attestation report" },
	{ "snp-target", certs_snp_target,
	  "verify an SEV-SNP migration target's bundle" },
	{ "ok", certs_ok,
	  "check that this host can export and import SEV guests" },
};

static const char *const synopses[] = {
	CERTS_VERIFY_SYNOPSIS,
	CERTS_SHOW_SYNOPSIS,
	CERTS_SPLIT_SYNOPSIS,
	CERTS_FETCH_SYNOPSIS,
	CERTS_REPORT_SHOW_SYNOPSIS,
	CERTS_REPORT_VERIFY_SYNOPSIS,
	CERTS_SNP_TARGET_VERIFY_SYNOPSIS,
	CERTS_OK_SYNOPSIS,
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(void)
{
	size_t i;

	fputs("Usage:\n", stdout);
	for (i = 0; i < SM_ARRAY_SIZE(synopses); i++)
		printf(" %s\n", synopses[i]);
	fputs("\nFetch, verify, show and split AMD SEV certificate chains; show,\n"
	      "verify and fetch the VCEK of SEV-SNP attestation reports; fetch and\n"
	      "verify an SEV-SNP migration target's bundle.\n",
	      stdout);
	sm_cli_print_commands(cmds, NCMDS);
	fputs("\nOptions:\n" CERTS_COMMON_HELP
	      "\nRun 'sevmig-certs COMMAND --help' for a command's options.\n",
	      stdout);
}

int main(int argc, char **argv)
{
	return sm_cli_subcommand_main("sevmig-certs", cmds, NCMDS, usage, argc,
				      argv);
}
