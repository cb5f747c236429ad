// SPDX-License-Identifier: MIT
/* sevmig-certs report show|verify: SEV-SNP attestation reports. */
#include "certs.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "certs/snp-report.h"

#define REPORT_SHOW_HELP " -J, --json            print one JSON document\n"
#define REPORT_VERIFY_HELP                                                                   \
	"     --vcek FILE       the VCEK (or VLEK) that signed the report, PEM or DER\n"     \
	"     --certs DIR       a directory with vcek.der or vcek.pem, cert_chain.pem\n"     \
	"                       (ASK then ARK) and crl.der, as fetch vcek: writes it\n"      \
	"     --crl FILE        check the ASK and VCEK against this CRL (PEM or DER)\n"      \
	"     --ark FILE        trust this ARK (PEM or DER) instead of AMD's pinned\n"       \
	"                       roots, such as a simulated host's snp-ark.pem\n"             \
	"     --product NAME    milan, genoa or turin (default: from the report or\n"        \
	"                       the VCEK)\n"                                                 \
	"     --expect-measurement HEX  the launch measurement (48 bytes)\n"                 \
	"     --expect-report-data HEX  REPORT_DATA (up to 64 bytes, zero-padded)\n"         \
	"     --expect-policy HEX       the guest policy, exactly\n"                         \
	"     --min-tcb SPEC    lowest acceptable reported TCB, e.g. bl=3,snp=8,ucode=115\n" \
	" -J, --json            print one JSON document\n"

static void report_usage(void)
{
	fputs("Usage:\n " CERTS_REPORT_SHOW_SYNOPSIS
	      "\n " CERTS_REPORT_VERIFY_SYNOPSIS "\n"
	      "\nShow or verify a SEV-SNP attestation report.\n"
	      "\nOptions:\n" REPORT_VERIFY_HELP CERTS_COMMON_HELP,
	      stdout);
}

static void show_usage(void)
{
	fputs("Usage:\n " CERTS_REPORT_SHOW_SYNOPSIS "\n"
	      "\nDecode a SEV-SNP attestation report: raw (1184 bytes), hex text or\n"
	      "the kernel's snp_report_resp.\n"
	      "\nOptions:\n"
	      "     --product NAME    milan, genoa or turin: the TCB layout\n" REPORT_SHOW_HELP
		      CERTS_COMMON_HELP,
	      stdout);
}

static void verify_usage(void)
{
	fputs("Usage:\n " CERTS_REPORT_VERIFY_SYNOPSIS "\n"
	      "\nVerify a SEV-SNP attestation report: its signature, the VCEK's chain up\n"
	      "to AMD's pinned root, the TCB and chip id, and the expectations given.\n"
	      "\nOptions:\n" REPORT_VERIFY_HELP CERTS_COMMON_HELP,
	      stdout);
}

static int report_show(int argc, char **argv)
{
	enum { OPT_PRODUCT = CHAR_MAX + 1 };
	static const struct option longopts[] = {
		{ "product", required_argument, NULL, OPT_PRODUCT },
		{ "json", no_argument, NULL, 'J' },
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static struct sm_snp_report r;
	enum sm_product product = SM_PRODUCT_UNKNOWN;
	struct sm_cli_common co = { 0 };
	const char *in, *name;
	struct sm_err e;
	char *text;
	int c, rc;

	while ((c = getopt_long(argc, argv, "JvqhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, show_usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		switch (c) {
		case OPT_PRODUCT:
			if (certs_parse_snp_product("report show", optarg,
						    &product) < 0)
				return SM_EXIT_USAGE;
			break;
		default:
			return sm_cli_sub_try_help("report show");
		}
	}
	sm_cli_sub_verbosity(co.verbose, co.quiet);
	if (optind >= argc)
		return sm_cli_sub_usage("report show", "no report given");
	if (argc - optind > 1)
		return sm_cli_sub_usage("report show", "too many arguments");
	in = argv[optind];
	name = strcmp(in, "-") == 0 ? "(stdin)" : in;
	if (sm_snp_report_load(in, &r, &e) < 0)
		return sm_cli_report(&e);
	text = co.json ? sm_snp_report_json(&r, name, product, &e) :
			 sm_snp_report_text(&r, name, product, &e);
	if (!text || certs_put(text, &e) < 0)
		return sm_cli_close_stdout(sm_cli_report(&e));
	return sm_cli_close_stdout(SM_EXIT_OK);
}

static int report_verify(int argc, char **argv)
{
	enum {
		OPT_VCEK = CHAR_MAX + 1,
		OPT_CERTS,
		OPT_CRL,
		OPT_ARK,
		OPT_PRODUCT,
		OPT_MEAS,
		OPT_RDATA,
		OPT_POLICY,
		OPT_MINTCB,
	};
	static const struct option longopts[] = {
		{ "vcek", required_argument, NULL, OPT_VCEK },
		{ "certs", required_argument, NULL, OPT_CERTS },
		{ "crl", required_argument, NULL, OPT_CRL },
		{ "ark", required_argument, NULL, OPT_ARK },
		{ "product", required_argument, NULL, OPT_PRODUCT },
		{ "expect-measurement", required_argument, NULL, OPT_MEAS },
		{ "expect-report-data", required_argument, NULL, OPT_RDATA },
		{ "expect-policy", required_argument, NULL, OPT_POLICY },
		{ "min-tcb", required_argument, NULL, OPT_MINTCB },
		{ "json", no_argument, NULL, 'J' },
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static struct sm_snp_report r;
	static struct sm_snp_verify_result res;
	struct sm_snp_verify_opts o;
	struct sm_cli_common co = { 0 };
	const char *in, *name;
	struct sm_err e;
	int c, rc;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "JvqhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, verify_usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		switch (c) {
		case OPT_VCEK:
			o.vcek = optarg;
			break;
		case OPT_CERTS:
			o.certs_dir = optarg;
			break;
		case OPT_CRL:
			o.crl = optarg;
			break;
		case OPT_ARK:
			o.ark = optarg;
			break;
		case OPT_PRODUCT:
			if (certs_parse_snp_product("report verify", optarg,
						    &o.product) < 0)
				return SM_EXIT_USAGE;
			break;
		case OPT_MEAS:
			if (certs_parse_hex_opt("report verify",
						"--expect-measurement", optarg,
						o.measurement,
						SM_SNP_MEASUREMENT_LEN,
						SM_SNP_MEASUREMENT_LEN) < 0)
				return SM_EXIT_USAGE;
			o.have_measurement = 1;
			break;
		case OPT_RDATA:
			if (certs_parse_hex_opt("report verify",
						"--expect-report-data", optarg,
						o.report_data, 1,
						SM_SNP_REPORT_DATA_LEN) < 0)
				return SM_EXIT_USAGE;
			o.have_report_data = 1;
			break;
		case OPT_POLICY:
			if (certs_parse_policy(optarg, &o.policy) < 0)
				return sm_cli_sub_usage(
					"report verify",
					"bad --expect-policy '%s': expected up to 16 hex digits",
					optarg);
			o.have_policy = 1;
			break;
		case OPT_MINTCB:
			if (sm_snp_tcb_parse(optarg, &o.min_tcb,
					     &o.min_tcb_mask) < 0)
				return sm_cli_sub_usage(
					"report verify",
					"bad --min-tcb '%s': expected NAME=N[,NAME=N...] with NAME fmc, bl, tee, snp or ucode and N 0-255",
					optarg);
			break;
		default:
			return sm_cli_sub_try_help("report verify");
		}
	}
	sm_cli_sub_verbosity(co.verbose, co.quiet);
	if (optind >= argc)
		return sm_cli_sub_usage("report verify", "no report given");
	if (argc - optind > 1)
		return sm_cli_sub_usage("report verify", "too many arguments");
	if (o.vcek && o.certs_dir)
		return sm_cli_sub_usage(
			"report verify",
			"--vcek and --certs exclude each other");
	if (!o.vcek && !o.certs_dir)
		return sm_cli_sub_usage(
			"report verify",
			"no VCEK: give --vcek FILE or --certs DIR");
	in = argv[optind];
	name = strcmp(in, "-") == 0 ? "(stdin)" : in;
	if (sm_snp_report_load(in, &r, &e) < 0)
		return sm_cli_report(&e);
	rc = sm_snp_verify(&r, &o, &res, &e);
	if (res.nchecks > 0) {
		if (co.json) {
			struct sm_err je;
			char *text = sm_snp_verify_json(&res, name, &je);

			if (!text || certs_put(text, &je) < 0)
				return sm_cli_close_stdout(sm_cli_report(&je));
		} else if (!co.quiet) {
			certs_print_snp_checks("report", &res, name);
		}
	}
	if (rc < 0)
		rc = sm_cli_report(&e);
	return sm_cli_close_stdout(rc);
}

int certs_report(int argc, char **argv)
{
	static char name[128];
	const char *sub;

	if (argc < 2)
		return sm_cli_sub_usage(
			"report", "no report command given (show or verify)");
	sub = argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 ||
	    strcmp(sub, "-V") == 0 || strcmp(sub, "--version") == 0)
		return sm_cli_help_version(
			sub[1] == '-' ? sub[2] == 'h' ? 'h' : 'V' : sub[1],
			report_usage);
	snprintf(name, sizeof(name), "%s %s", argv[0], sub);
	argv[1] = name;
	optind = 0;
	if (strcmp(sub, "show") == 0)
		return report_show(argc - 1, argv + 1);
	if (strcmp(sub, "verify") == 0)
		return report_verify(argc - 1, argv + 1);
	return sm_cli_sub_usage(
		"report", "unknown report command '%s' (commands: show verify)",
		sub);
}
