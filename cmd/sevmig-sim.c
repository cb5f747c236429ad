// SPDX-License-Identifier: MIT
/*
 * sevmig-sim: the simulated SEV host and VMM.  A {name, fn, usage} table
 * of subcommands (git cmd_struct); the top-level optstring starts with
 * '+' so parsing stops at the subcommand, which then parses its own
 * options from optind = 0 (glibc getopt(3) NOTES: full re-initialisation).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sevmig-sim/sim.h"

static const struct sm_cli_cmd commands[] = {
	{ "platform", cmd_platform,
	  "make a simulated SEV host (init), sign a test SNP report (report)" },
	{ "run", cmd_run, "run a simulated VMM serving the VM endpoint" },
	{ "ctl", cmd_ctl, "ask a running VMM for its state, or to act" },
};

/* Their synopsis lines, see sim.h. */
static const char *const synopses[] = {
	cmd_platform_synopsis,
	cmd_run_synopsis,
	cmd_ctl_synopsis,
};

static void usage(void)
{
	size_t i;

	printf("Usage:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fputs(synopses[i], stdout);
	printf("\nRun simulated SEV hosts and VMMs, so sevmig works without "
	       "SEV hardware.\n");
	sm_cli_print_commands(commands, sizeof(commands) / sizeof(commands[0]));
	printf("\nOptions:\n");
	printf(" -h, --help     display this help and exit\n");
	printf(" -V, --version  display version and exit\n");
	printf("\nRun '%s COMMAND --help' for a command's options.\n",
	       sm_progname);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	sm_cli_init("sevmig-sim");
	while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
		case 'V':
			return sm_cli_help_version(c, usage);
		default:
			return sm_cli_try_help();
		}
	}
	return sm_cli_dispatch(commands, sizeof(commands) / sizeof(commands[0]),
			       argc, argv);
}
