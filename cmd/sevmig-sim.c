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


struct sim_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage; /* synopsis lines, see sim.h */
};

static const struct sim_cmd commands[] = {
	{ "platform", cmd_platform, cmd_platform_synopsis },
	{ "run", cmd_run, cmd_run_synopsis },
	{ "ctl", cmd_ctl, cmd_ctl_synopsis },
};

int sim_try_help(const char *sub)
{
	fprintf(stderr, "Try '%s %s --help' for more information.\n",
		sm_progname, sub);
	return SM_EXIT_USAGE;
}

static void usage(void)
{
	size_t i;

	printf("Usage:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fputs(commands[i].usage, stdout);
	printf("\nRun simulated SEV hosts and VMMs, so sevmig works without "
	       "SEV hardware.\n");
	printf("\nOptions:\n");
	printf(" -h, --help     display this help and exit\n");
	printf(" -V, --version  display version and exit\n");
	printf("\nCommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf(" %s\n", commands[i].name);
	printf("\nRun '%s COMMAND --help' for a command's options.\n",
	       sm_progname);
}

static int unknown_command(const char *name)
{
	size_t i;

	fprintf(stderr, "%s: unknown command '%s' (commands:", sm_progname,
		name);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, " %s", commands[i].name);
	fprintf(stderr, ")\n");
	return sm_cli_try_help();
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	size_t i;
	int c;

	sm_cli_init("sevmig-sim");
	while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage();
			return sm_cli_close_stdout(SM_EXIT_OK);
		case 'V':
			sm_cli_print_version();
			return sm_cli_close_stdout(SM_EXIT_OK);
		default:
			return sm_cli_try_help();
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: no command given\n", sm_progname);
		return sm_cli_try_help();
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			argv += optind;
			argc -= optind;
			optind = 0;
			return commands[i].fn(argc, argv);
		}
	}
	return unknown_command(argv[optind]);
}
