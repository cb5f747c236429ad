// SPDX-License-Identifier: MIT
/*
 * sevmig-certs snp-target verify: an SEV-SNP migration target's bundle
 * (what fetch snp-target: prints), verified as a source would before it
 * sends: the report's chain, signature, TCB and chip id, the binding of
 * the key and nonce, and the expectations given.
 */
#include "certs.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "certs/snp-target.h"

#define SUB "snp-target verify"

#define SNP_TARGET_VERIFY_HELP                                                               \
	"     --ark FILE        trust this ARK (PEM or DER) instead of AMD's pinned\n"       \
	"                       roots, such as a simulated host's snp-ark.pem\n"             \
	"     --product NAME    milan, genoa or turin (default: from the report or\n"        \
	"                       the VCEK)\n"                                                 \
	"     --expect-measurement HEX  the launch measurement (48 bytes)\n"                 \
	"     --expect-policy HEX       the guest policy, exactly\n"                         \
	"     --expect-report-id HEX    the target guest's REPORT_ID (32 bytes)\n"           \
	"     --min-tcb SPEC    lowest acceptable reported TCB, e.g. bl=3,snp=8,ucode=115\n" \
	" -J, --json            print one JSON document\n"

static void snp_target_usage(void)
{
	fputs("Usage:\n " CERTS_SNP_TARGET_VERIFY_SYNOPSIS "\n"
	      "\nVerify an SEV-SNP migration target's bundle (sevmig-certs fetch\n"
	      "snp-target:SOCK writes one): the report's chain, signature, TCB and chip\n"
	      "id, that its REPORT_DATA binds the public key and nonce, and the\n"
	      "expectations given.\n"
	      "\nOptions:\n" SNP_TARGET_VERIFY_HELP CERTS_COMMON_HELP,
	      stdout);
}

static int snp_target_verify(int argc, char **argv)
{
	enum {
		OPT_ARK = CHAR_MAX + 1,
		OPT_PRODUCT,
		OPT_MEAS,
		OPT_POLICY,
		OPT_REPORT_ID,
		OPT_MINTCB,
	};
	static const struct option longopts[] = {
		{ "ark", required_argument, NULL, OPT_ARK },
		{ "product", required_argument, NULL, OPT_PRODUCT },
		{ "expect-measurement", required_argument, NULL, OPT_MEAS },
		{ "expect-policy", required_argument, NULL, OPT_POLICY },
		{ "expect-report-id", required_argument, NULL, OPT_REPORT_ID },
		{ "min-tcb", required_argument, NULL, OPT_MINTCB },
		{ "json", no_argument, NULL, 'J' },
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static struct sm_snp_target t;
	static struct sm_snp_verify_result res;
	struct sm_snp_target_opts o;
	struct sm_cli_common co = { 0 };
	const char *in, *name;
	struct sm_err e;
	int c, rc;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "JvqhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, snp_target_usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		switch (c) {
		case OPT_ARK:
			o.ark = optarg;
			break;
		case OPT_PRODUCT:
			if (certs_parse_snp_product(SUB, optarg, &o.product) <
			    0)
				return SM_EXIT_USAGE;
			break;
		case OPT_MEAS:
			if (certs_parse_hex_opt(SUB, "--expect-measurement",
						optarg, o.measurement,
						SM_SNP_MEASUREMENT_LEN,
						SM_SNP_MEASUREMENT_LEN) < 0)
				return SM_EXIT_USAGE;
			o.have_measurement = 1;
			break;
		case OPT_POLICY:
			if (certs_parse_policy(optarg, &o.policy) < 0)
				return sm_cli_sub_usage(
					SUB,
					"bad --expect-policy '%s': expected up to 16 hex digits",
					optarg);
			o.have_policy = 1;
			break;
		case OPT_REPORT_ID:
			if (certs_parse_hex_opt(SUB, "--expect-report-id",
						optarg, o.report_id,
						SM_SNP_REPORT_ID_LEN,
						SM_SNP_REPORT_ID_LEN) < 0)
				return SM_EXIT_USAGE;
			o.have_report_id = 1;
			break;
		case OPT_MINTCB:
			if (sm_snp_tcb_parse(optarg, &o.min_tcb,
					     &o.min_tcb_mask) < 0)
				return sm_cli_sub_usage(
					SUB,
					"bad --min-tcb '%s': expected NAME=N[,NAME=N...] with NAME fmc, bl, tee, snp or ucode and N 0-255",
					optarg);
			break;
		default:
			return sm_cli_sub_try_help(SUB);
		}
	}
	sm_cli_sub_verbosity(co.verbose, co.quiet);
	if (optind >= argc)
		return sm_cli_sub_usage(SUB, "no bundle given");
	if (argc - optind > 1)
		return sm_cli_sub_usage(SUB, "too many arguments");
	in = argv[optind];
	name = strcmp(in, "-") == 0 ? "(stdin)" : in;
	if (sm_snp_target_load(in, &t, &e) < 0)
		return sm_cli_report(&e);
	rc = sm_snp_target_verify(&t, &o, &res, &e);
	if (res.nchecks > 0) {
		if (co.json) {
			struct sm_err je;
			char *text = sm_snp_verify_json(&res, name, &je);

			if (!text || certs_put(text, &je) < 0)
				return sm_cli_close_stdout(sm_cli_report(&je));
		} else if (!co.quiet) {
			certs_print_snp_checks("bundle", &res, name);
		}
	}
	if (rc < 0) {
		sm_err_prefix(&e, "target bundle '%s'", name);
		rc = sm_cli_report(&e);
	}
	return sm_cli_close_stdout(rc);
}

int certs_snp_target(int argc, char **argv)
{
	static char name[128];
	const char *sub;

	if (argc < 2)
		return sm_cli_sub_usage("snp-target",
					"no snp-target command given (verify)");
	sub = argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 ||
	    strcmp(sub, "-V") == 0 || strcmp(sub, "--version") == 0)
		return sm_cli_help_version(
			sub[1] == '-' ? sub[2] == 'h' ? 'h' : 'V' : sub[1],
			snp_target_usage);
	snprintf(name, sizeof(name), "%s %s", argv[0], sub);
	argv[1] = name;
	optind = 0;
	if (strcmp(sub, "verify") == 0)
		return snp_target_verify(argc - 1, argv + 1);
	return sm_cli_sub_usage(
		"snp-target",
		"unknown snp-target command '%s' (commands: verify)", sub);
}
