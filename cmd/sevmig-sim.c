// SPDX-License-Identifier: MIT
/*
 * TEMPORARY dispatcher so run/ctl build before the fw engineer's
 * cmd/sevmig-sim.c lands; on merge take theirs and add the run and ctl
 * rows.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fw-sim.h"
#include "sevmig-sim/sim.h"

/*
 * The Makefile rule for subcommand sources links no object of cmd/X/ today (the pattern
 * stem replaces the % of its patsubst), so the subcommands are built
 * here; each file is empty when compiled on its own.
 */
#define SEVMIG_SIM_UNITY
#include "sevmig-sim/ctl.c"
#include "sevmig-sim/fw-sim-stub.c"
#include "sevmig-sim/run.c"

static int cmd_platform(int argc, char **argv)
{
	struct sm_err e;

	if (argc != 3 || strcmp(argv[1], "init"))
		return sm_cli_try_help();
	if (sm_fw_sim_platform_init(argv[2], NULL, &e))
		return sm_cli_report(&e);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "platform", cmd_platform },
	{ "run", cmd_run },
	{ "ctl", cmd_ctl },
};

static void usage(void)
{
	printf("Usage:\n");
	printf(" sevmig-sim platform init DIR\n");
	fputs(cmd_run_synopsis, stdout);
	fputs(cmd_ctl_synopsis, stdout);
	printf("\nSimulate an SEV host and its VMM.\n");
	printf("\nOptions:\n");
	printf(" -h, --help     display this help and exit\n");
	printf(" -V, --version  display version and exit\n");
}

int main(int argc, char **argv)
{
	size_t i;

	sm_cli_init("sevmig-sim");
	if (argc < 2) {
		fprintf(stderr, "sevmig-sim: no subcommand given\n");
		return sm_cli_try_help();
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage();
		return sm_cli_close_stdout(0);
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		sm_cli_print_version();
		return sm_cli_close_stdout(0);
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return sm_cli_close_stdout(
				cmds[i].fn(argc - 1, argv + 1));
	fprintf(stderr, "sevmig-sim: unknown subcommand '%s' (platform, run, ctl)\n",
		argv[1]);
	return sm_cli_try_help();
}
