/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_CMD_CERTS_H
#define SEVMIG_CMD_CERTS_H

/*
 * sevmig-certs subcommands.  Each takes argv with argv[0] set to
 * "sevmig-certs SUB" (getopt's messages then name the subcommand) and
 * returns the exit code.
 */

#include <stdio.h>

#include "certs/bundle.h"
#include "fetch/fetch.h"
#include "certs/cert.h"
#include "cli/cli.h"

int certs_verify(int argc, char **argv);
int certs_show(int argc, char **argv);
int certs_split(int argc, char **argv);
int certs_fetch(int argc, char **argv);
int certs_report(int argc, char **argv);
int certs_ok(int argc, char **argv);
int certs_snp_target(int argc, char **argv);

/* The synopsis lines (also the top-level --help and the man page). */
#define CERTS_VERIFY_SYNOPSIS \
	"sevmig-certs verify [--ark FILE] [--product NAME] [-J] [BUNDLE|DIR|-]"
#define CERTS_SHOW_SYNOPSIS "sevmig-certs show [-J] FILE..."
#define CERTS_SPLIT_SYNOPSIS "sevmig-certs split [--dir DIR] BUNDLE"
#define CERTS_OK_SYNOPSIS "sevmig-certs ok [--sim DIR] [-J]"
#define CERTS_FETCH_SYNOPSIS "sevmig-certs fetch [options] [SOURCE]"
#define CERTS_REPORT_SHOW_SYNOPSIS \
	"sevmig-certs report show [--product NAME] [-J] FILE"
#define CERTS_REPORT_VERIFY_SYNOPSIS                                           \
	"sevmig-certs report verify [--vcek FILE | --certs DIR] [--crl FILE] " \
	"[--ark FILE] "                                                        \
	"[--product NAME] [--expect-measurement HEX] "                         \
	"[--expect-report-data HEX] [--expect-policy HEX] [--min-tcb SPEC] "   \
	"[-J] FILE"
#define CERTS_SNP_TARGET_VERIFY_SYNOPSIS                                \
	"sevmig-certs snp-target verify [--ark FILE] [--product NAME] " \
	"[--expect-measurement HEX] [--expect-policy HEX] "             \
	"[--expect-report-id HEX] [--min-tcb SPEC] [-J] BUNDLE"

/* The options every subcommand shares, as help lines. */
#define CERTS_COMMON_HELP                                     \
	" -v, --verbose         more messages (repeatable)\n" \
	" -q, --quiet           errors only\n"                \
	" -h, --help            display this help and exit\n" \
	" -V, --version         display version and exit\n"

/* Parse --product NAME; on failure print the usage error and return -1. */
int certs_parse_product(const char *sub, const char *name, enum sm_product *p);

/* Warn about links that hold with a note (the completed Naples ARK). */
void certs_warn_notes(const struct sm_verify_result *r);

/* Write a malloc'd report to stdout and free it.  0, or -1 with e set. */
int certs_put(char *text, struct sm_err *e);

/*
 * HEX of exactly n bytes (min == n) or min..n bytes, zero-padded, for
 * option opt of subcommand sub; prints the usage error and returns -1.
 */
int certs_parse_hex_opt(const char *sub, const char *opt, const char *hex,
			uint8_t *out, size_t min, size_t n);
/* --product for SNP: milan, genoa or turin; else the usage error, -1. */
int certs_parse_snp_product(const char *sub, const char *name,
			    enum sm_product *p);
/* An SNP guest policy: up to 16 hex digits, "0x" optional.  0 or -1. */
int certs_parse_policy(const char *s, uint64_t *v);
/* One line per check of an SNP verification, after "WHAT: NAME". */
struct sm_snp_verify_result;
void certs_print_snp_checks(const char *what,
			    const struct sm_snp_verify_result *res,
			    const char *name);

/* Lowercase hex fingerprint of a certificate into buf (>= 97 bytes). */
const char *certs_sev_fp(const struct sm_sev_cert *c, char *buf);
const char *certs_amd_fp(const struct sm_amd_cert *c, char *buf);

#endif
