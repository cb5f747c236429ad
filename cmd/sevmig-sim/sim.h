/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_CMD_SIM_H
#define SEVMIG_CMD_SIM_H

/* Subcommands of sevmig-sim: cmd_<name>(argc, argv), argv[0] the name. */
int cmd_run(int argc, char **argv);
int cmd_ctl(int argc, char **argv);

/* Their synopsis lines (each " sevmig-sim ...\n"), for sevmig-sim --help. */
extern const char cmd_run_synopsis[];
extern const char cmd_ctl_synopsis[];

#endif
