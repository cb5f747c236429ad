/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_CMD_SIM_H
#define SEVMIG_CMD_SIM_H

/*
 * Subcommands of sevmig-sim: cmd_<name>(argc, argv), argv[0] "sevmig-sim NAME",
 * which parse their own options and return the exit code.  Adding one
 * (cli.h checklist): cmd/sevmig-sim/NAME.c, its two declarations here, a
 * row in the table of cmd/sevmig-sim.c (and, while the Makefile links no
 * cmd/X/ objects, an #include there), the synopsis in docs/sevmig-sim.1,
 * its options in the man page and in completions/bash and completions/zsh.
 */
int cmd_platform(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_ctl(int argc, char **argv);

/* Their synopsis lines (each " sevmig-sim ...\n"), for sevmig-sim --help. */
extern const char cmd_platform_synopsis[];
extern const char cmd_run_synopsis[];
extern const char cmd_ctl_synopsis[];

#endif
