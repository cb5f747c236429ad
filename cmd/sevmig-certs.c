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
#include "cli/cli.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} cmds[] = {
	{ "verify", certs_verify, CERTS_VERIFY_SYNOPSIS },
	{ "show", certs_show, CERTS_SHOW_SYNOPSIS },
	{ "split", certs_split, CERTS_SPLIT_SYNOPSIS },
	{ "fetch", certs_fetch, CERTS_FETCH_SYNOPSIS },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(void)
{
	size_t i;

	fputs("Usage:\n", stdout);
	for (i = 0; i < NCMDS; i++)
		printf(" %s\n", cmds[i].usage);
	fputs("\nFetch, verify, show and split AMD SEV certificate chains.\n"
	      "\nCommands:\n"
	      " verify   check every link of a chain up to a trusted AMD root\n"
	      " show     decode certificates and bundles\n"
	      " split    write a bundle's certificates as separate files\n"
	      " fetch    get a platform's chain and print it as a verified bundle\n"
	      "\nOptions:\n" CERTS_COMMON_HELP
	      "\nRun 'sevmig-certs COMMAND --help' for a command's options.\n",
	      stdout);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, verbose = 0, quiet = 0;
	char sub[64];
	size_t i;

	sm_cli_init("sevmig-certs");
	argv[0] = (char *)"sevmig-certs";
	while ((c = getopt_long(argc, argv, "+vqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose++;
			break;
		case 'q':
			quiet = 1;
			break;
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
	sm_cli_set_verbosity(verbose, quiet);
	if (optind >= argc) {
		fprintf(stderr, "%s: no command given\n", sm_progname);
		return sm_cli_try_help();
	}
	for (i = 0; i < NCMDS; i++) {
		int first = optind;

		if (strcmp(argv[first], cmds[i].name) != 0)
			continue;
		snprintf(sub, sizeof(sub), "sevmig-certs %s", cmds[i].name);
		argv[first] = sub;
		optind = 0; /* full getopt re-initialisation for the subcommand */
		return cmds[i].fn(argc - first, argv + first);
	}
	fprintf(stderr, "%s: unknown command '%s' (commands:", sm_progname,
		argv[optind]);
	for (i = 0; i < NCMDS; i++)
		fprintf(stderr, " %s", cmds[i].name);
	fputs(")\n", stderr);
	return sm_cli_try_help();
}
