/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_CLI_H
#define SEVMIG_CLI_H

/*
 * Shared helpers for the thin mains in cmd/.
 *
 * Adding a command or option (git builtin.h style checklist):
 *   1. a longopts row (long-only options numbered from CHAR_MAX + 1);
 *   2. its line in the command's usage text (same text as the man SYNOPSIS
 *      and OPTIONS: tests/bats/00-cli-contract.bats compares them);
 *   3. the man page entry in docs/;
 *   4. the completion word in completions/bash and completions/zsh;
 *   5. a bats test of the behaviour;
 *   6. a unit test for the lib function it calls.
 */

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "base/log.h"

/*
 * Set the program name, default log level, ignore SIGPIPE (a closed pipe
 * must become EPIPE and exit 4, never a silent death) and SIGXFSZ (a file
 * size limit must become EFBIG, handled like a full disk), line-buffer
 * stderr.  A descriptor 0, 1 or 2 the tool was started without is taken
 * by /dev/null opened the wrong way round (reads and writes fail), so no
 * socket or file opened later gets that number and receives what was meant
 * for standard output; sm_cli_stdio_closed tells which were.
 */
void sm_cli_init(const char *progname);

/* 1 when descriptor fd (0, 1 or 2) was closed when the tool started. */
int sm_cli_stdio_closed(int fd);

/* -V: the tool version plus the linked OpenSSL, libcurl, libarchive and
 * jansson versions, on stdout. */
void sm_cli_print_version(void);

/* "Try 'prog --help' for more information." on stderr; returns 2. */
int sm_cli_try_help(void);

/*
 * -h and -V, alike in every command and subcommand: print usage() (or the
 * versions) on stdout, close it, and return the exit code the command
 * returns now.
 */
int sm_cli_help_version(int c, void (*usage)(void));

/* "prog: why" and the try-help line on stderr; returns 2. */
int sm_cli_usage_error(const char *why);

/* "Try 'prog SUB --help' for more information." (sub NULL: as above); 2. */
int sm_cli_sub_try_help(const char *sub);

/* A subcommand's usage error: "prog: <message>" and its try line; 2. */
int sm_cli_sub_usage(const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A subcommand's -v count and -q on top of the command's own ones. */
void sm_cli_sub_verbosity(int verbose, int quiet);

/*
 * Commands with subcommands (sevmig-certs, sevmig-sim; git's cmd_struct):
 * after the command's own options, argv[optind] names the subcommand.
 * Runs it with argv[0] "prog NAME" (so getopt's messages name it) and
 * getopt re-initialised (optind = 0); says so and returns 2 when no name
 * or an unknown one is given.
 */
struct sm_cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary; /* one line for --help's "Commands:" */
};
int sm_cli_dispatch(const struct sm_cli_cmd *cmds, size_t n, int argc,
		    char **argv);
/*
 * The whole main of a command made of subcommands that takes -v, -q, -h
 * and -V before the subcommand's name (sevmig-certs, sevmig-owner):
 * sm_cli_init, those options, then sm_cli_dispatch.  Returns the exit
 * code.
 */
int sm_cli_subcommand_main(const char *progname, const struct sm_cli_cmd *cmds,
			   size_t n, void (*usage)(void), int argc,
			   char **argv);

/* --help's "Commands:" list, one usage style for both tools. */
void sm_cli_print_commands(const struct sm_cli_cmd *cmds, size_t n);

/* Print "prog: <msg>" for e and return its exit code (1 if unset). */
int sm_cli_report(const struct sm_err *e);

/*
 * Flush and close stdout; a failure (EPIPE, ENOSPC) is reported and turns
 * the result into 4 (util-linux close_stdout, but EPIPE is an error here).
 * Returns the exit code to use: rc unless closing failed.
 */
int sm_cli_close_stdout(int rc);

/*
 * --report FILE of export and import: the report as JSON, written
 * atomically ("-" is stdout).  0, or the exit code after saying why.
 */
struct sm_report;
int sm_cli_write_report(const char *path, const struct sm_report *r);

/* Apply -v/-q counts to the log level. */
void sm_cli_set_verbosity(int verbose, int quiet);

/*
 * The options every command and subcommand shares, parsed by one handler:
 * -J (where the command takes it), -v, -q, -h and -V.  Take option c:
 * 1 taken, 0 not one of them; -1 when the command must return *rc now
 * (-h and -V, after printing).
 */
struct sm_cli_common {
	int verbose, quiet, json;
};
/* Their longopts rows, but --json (not every command takes it). */
/* clang-format off */
#define SM_CLI_COMMON_LONGOPTS \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }
/* clang-format on */
int sm_cli_common_opt(struct sm_cli_common *co, int c, void (*usage)(void),
		      int *rc);

/*
 * The options sevmig-export and sevmig-import share beyond those, parsed
 * by one handler: --report FILE, --progress[=json[:FD]], --no-progress,
 * --timeout SECONDS, -J, -v, -q, -h and -V (cli/progress.h shows progress).  A command puts SM_CLI_ENGINE_LONGOPTS in its
 * longopts (with "Jvqh V" in its short options) and numbers its own
 * long-only options from SM_OPT_LOCAL.
 */
enum {
	SM_OPT_REPORT = CHAR_MAX + 1,
	SM_OPT_PROGRESS,
	SM_OPT_NO_PROGRESS,
	SM_OPT_TIMEOUT,
	SM_OPT_LOCAL,
};

/* clang-format off */
#define SM_CLI_ENGINE_LONGOPTS \
	{ "report", required_argument, NULL, SM_OPT_REPORT }, \
	{ "progress", optional_argument, NULL, SM_OPT_PROGRESS }, \
	{ "no-progress", no_argument, NULL, SM_OPT_NO_PROGRESS }, \
	{ "timeout", required_argument, NULL, SM_OPT_TIMEOUT }, \
	{ "json", no_argument, NULL, 'J' }, \
	SM_CLI_COMMON_LONGOPTS
/* clang-format on */

struct sm_cli_engine_opts {
	struct sm_cli_common com;
	const char *report; /* --report FILE, NULL when not given */
	/* enum sm_cli_progress_mode: AUTO until --progress or --no-progress */
	int progress;
	int progress_fd; /* --progress=json:FD, else 2 */
	double timeout; /* 0 until --timeout */
};

/*
 * Take option c (with its argument) when it is one of the shared ones:
 * 1 taken, 0 not one of them; -1 when the command must return *rc now
 * (after -h, -V or a bad value, which is said).
 */
int sm_cli_engine_opt(struct sm_cli_engine_opts *co, int c, const char *arg,
		      void (*usage)(void), int *rc);

/*
 * The one VM operand after the options: argv[optind], or NULL after
 * saying "no VM given" or "too many arguments" (the command returns 2).
 */
const char *sm_cli_one_vm(int argc, char **argv);

/* The engines' on_warning callback: the message as a warning on stderr. */
void sm_cli_on_warning(void *arg, const char *msg);

/*
 * The end of export and import: write --report (when given) whatever rc
 * is, so a failure leaves its report too; returns rc, or the report's
 * exit code when rc was 0 and writing it failed.
 */
int sm_cli_finish_report(const char *path, const struct sm_report *r, int rc);

/*
 * The closing line of a successful export or import, on stderr unless -q:
 * "prog: moved N pages (P private, S shared, Z zero) and V VMSAs, B bytes
 * (M MiB) in T s (R MiB/s); WHERE", the numbers those of r (the --report
 * JSON's counts, bytes, seconds and bytes_per_second) and WHERE where the
 * guest is now ("source released, target running", ...).
 */
void sm_cli_closing_line(const struct sm_report *r, const char *where);

#endif
