/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_CMD_OWNER_H
#define SEVMIG_CMD_OWNER_H

/*
 * sevmig-owner subcommands.  Each takes argv with argv[0] set to
 * "sevmig-owner SUB" and returns the exit code.  Adding one: a row in
 * cmds[] of cmd/sevmig-owner.c, its function and synopsis here, then the
 * checklist in lib/cli/cli.h.
 */

#include <stdint.h>

#include "cli/cli.h"

int owner_measure(int argc, char **argv);
int owner_secret(int argc, char **argv);
int owner_policy(int argc, char **argv);
int owner_session(int argc, char **argv);

/* The synopsis lines (also the top-level --help and the man page). */
#define OWNER_MEASURE_SYNOPSIS "sevmig-owner measure [options] --tik FILE"
#define OWNER_SECRET_SYNOPSIS                                                \
	"sevmig-owner secret [-J] --tik FILE --tek FILE "                    \
	"--launch-measure-blob B64 [--iv B64] --secret GUID:FILE... HEADER " \
	"PAYLOAD"

#define OWNER_POLICY_SYNOPSIS "sevmig-owner policy [-J] POLICY"

#define OWNER_SESSION_SYNOPSIS                                            \
	"sevmig-owner session [-J] [--policy P] [--tek FILE --tik FILE] " \
	"[--ark FILE] [-o DIR] BUNDLE"

/* The options every subcommand shares, as help lines. */
#define OWNER_COMMON_HELP                                     \
	" -v, --verbose         more messages (repeatable)\n" \
	" -q, --quiet           errors only\n"                \
	" -h, --help            display this help and exit\n" \
	" -V, --version         display version and exit\n"

/* Parse an unsigned number (decimal or 0x-hex) of at most max for opt. */
int owner_parse_num(const char *sub, const char *opt, const char *s,
		    uint64_t max, uint64_t *out);

/* Write a malloc'd text to stdout and free it: 0 or the exit code. */
int owner_put(char *text);

#endif
