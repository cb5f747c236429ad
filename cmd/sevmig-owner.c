// SPDX-License-Identifier: MIT
/*
 * sevmig-owner: the guest owner's side of an SEV launch (issue 14): the
 * expected launch measurement, the launch secret and what a policy means
 * for migration.  Adding a subcommand: a row in cmds[] below, its function
 * and synopsis in cmd/sevmig-owner/owner.h, then the checklist in
 * lib/cli/cli.h.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sevmig-owner/owner.h"
#include "cli/cli.h"

static const struct sm_cli_cmd cmds[] = {
	{ "measure", owner_measure,
	  "compute the expected launch measurement; check the firmware's" },
	{ "secret", owner_secret,
	  "build a LAUNCH_SECRET header and payload (OVMF secret table)" },
	{ "policy", owner_policy,
	  "decode a guest policy and what it means for migration" },
	{ "session", owner_session,
	  "verify a platform's chain and make a launch session for it" },
};

static const char *const synopses[] = {
	OWNER_MEASURE_SYNOPSIS,
	OWNER_SECRET_SYNOPSIS,
	OWNER_POLICY_SYNOPSIS,
	OWNER_SESSION_SYNOPSIS,
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(void)
{
	size_t i;

	fputs("Usage:\n", stdout);
	for (i = 0; i < NCMDS; i++)
		printf(" %s\n", synopses[i]);
	fputs("\nThe guest owner's side of an SEV launch: measurements, "
	      "secrets, policies.\n",
	      stdout);
	sm_cli_print_commands(cmds, NCMDS);
	fputs("\nOptions:\n" OWNER_COMMON_HELP
	      "\nRun 'sevmig-owner COMMAND --help' for a command's options.\n",
	      stdout);
}

int main(int argc, char **argv)
{
	return sm_cli_subcommand_main("sevmig-owner", cmds, NCMDS, usage, argc,
				      argv);
}
