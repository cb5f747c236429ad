// SPDX-License-Identifier: MIT
/*
 * sevmig-sim platform init: create a simulated SEV host directory.
 * sevmig-sim platform report: sign an SNP report with its identity (a
 * test and diagnostic command: only the platform's fields and the given
 * REPORT_DATA, no guest).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "fw/fw-sim.h"
#include "fw/sim-snp.h"
#include "base/bytes.h"
#include "base/util.h"
#include "sim.h"

const char cmd_platform_synopsis[] =
	" sevmig-sim platform init [options] DIR\n"
	" sevmig-sim platform report [--report-data HEX] [-o FILE] DIR\n";

enum {
	OPT_PRODUCT = CHAR_MAX + 1,
	OPT_API,
	OPT_OCA_FROM,
	OPT_ARK_FROM,
	OPT_ARK_BITS,
	OPT_NO_ES,
	OPT_REPORT_DATA,
};

static void platform_usage(void)
{
	printf("Usage:\n%s", cmd_platform_synopsis);
	printf("\ninit: create a simulated SEV host: its certificate chain and "
	       "keys in DIR,\nand for milan and genoa its SEV-SNP identity "
	       "(ARK, ASK, VCEK, chip id, TCB).\n");
	printf("report: sign an SEV-SNP attestation report with DIR's VCEK, "
	       "holding the\nplatform's fields and REPORT_DATA only (a test "
	       "and diagnostic command).\n");
	printf("\nOptions:\n");
	printf("     --product NAME     naples, rome, milan (default), genoa "
	       "or turin\n");
	printf("     --api MAJOR.MINOR  firmware API version (default "
	       "1.55)\n");
	printf("     --ark-from DIR     share the simulated ARK and ASK of "
	       "another host\n");
	printf("     --ark-bits BITS    RSA size of a new ARK and ASK: 2048 "
	       "or 4096\n");
	printf("     --oca-from DIR     share the owner (OCA) of another "
	       "host\n");
	printf("     --no-es            a platform without SEV-ES\n");
	printf("     --report-data HEX  report: REPORT_DATA, up to 64 bytes "
	       "(zero-padded)\n");
	printf(" -o, --output FILE      report: write it to FILE (default: "
	       "stdout)\n");
	printf(" -q, --quiet            print errors only\n");
	printf(" -v, --verbose          say more (repeat for debug)\n");
	printf(" -h, --help             display this help and exit\n");
	printf(" -V, --version          display version and exit\n");
}

static int platform_bad_arg(const char *what, const char *arg)
{
	fprintf(stderr, "%s: bad %s '%s'\n", sm_progname, what, arg);
	return sm_cli_sub_try_help("platform");
}

/* "MAJOR.MINOR", each 0-255. */
static int platform_parse_api(const char *s, uint8_t *maj, uint8_t *min)
{
	char buf[16], *dot;
	uint64_t a, b;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	dot = strchr(buf, '.');
	if (!dot)
		return -1;
	*dot = '\0';
	if (!buf[0] || !dot[1] || strchr(buf, 'x') || strchr(dot + 1, 'x') ||
	    sm_parse_uint(buf, 255, &a) || sm_parse_uint(dot + 1, 255, &b))
		return -1;
	*maj = (uint8_t)a;
	*min = (uint8_t)b;
	return 0;
}

/* platform report: a report of DIR's identity, REPORT_DATA rdata. */
static int platform_report(const char *dir, const char *rdata, const char *out)
{
	uint8_t raw[SM_SNP_REPORT_LEN], data[SM_SNP_REPORT_DATA_LEN + 1];
	struct sm_sim_snp *s = NULL;
	struct sm_err e = { 0 };
	ssize_t n = 0;
	int rc;

	if (rdata) {
		n = sm_hex_decode(rdata, data, sizeof(data));
		if (n < 1 || n > SM_SNP_REPORT_DATA_LEN)
			return platform_bad_arg(
				"--report-data (2 to 128 hex digits)", rdata);
	}
	if (sm_sim_snp_load(dir, &s, &e))
		return sm_cli_report(&e);
	/* a version 3 report of a guest with policy SMT and ABI 0.0 */
	memset(raw, 0, sizeof(raw));
	sm_put_le32(raw, 3);
	sm_put_le64(raw + 0x008, 0x30000);
	memcpy(raw + SM_SNP_OFF_REPORT_DATA, data, (size_t)n);
	memset(raw + SM_SNP_OFF_REPORT_ID_MA, 0xff, 32);
	rc = sm_sim_snp_sign(s, raw, &e);
	sm_sim_snp_free(s);
	if (rc)
		return sm_cli_report(&e);
	if (out) {
		if (sm_write_file_atomic(out, raw, sizeof(raw), 0644, &e))
			return sm_cli_report(&e);
	} else if (sm_write_full(1, raw, sizeof(raw)) < 0) {
		sm_err_errno(&e, SM_EXIT_IO, errno, "writing the report");
		return sm_cli_report(&e);
	}
	return sm_cli_close_stdout(SM_EXIT_OK);
}

int cmd_platform(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "product", required_argument, NULL, OPT_PRODUCT },
		{ "api", required_argument, NULL, OPT_API },
		{ "ark-from", required_argument, NULL, OPT_ARK_FROM },
		{ "ark-bits", required_argument, NULL, OPT_ARK_BITS },
		{ "oca-from", required_argument, NULL, OPT_OCA_FROM },
		{ "no-es", no_argument, NULL, OPT_NO_ES },
		{ "report-data", required_argument, NULL, OPT_REPORT_DATA },
		{ "output", required_argument, NULL, 'o' },
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct sm_sim_platform_opts o;
	struct sm_err e = { 0 };
	struct sm_cli_common co = { 0 };
	int c, rc, init_opts = 0, report_opts = 0, report;
	uint64_t bits;
	const char *dir, *rdata = NULL, *out = NULL;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "o:qvhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, platform_usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		if (c == OPT_REPORT_DATA || c == 'o')
			report_opts = 1;
		else
			init_opts = 1;
		switch (c) {
		case OPT_REPORT_DATA:
			rdata = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case OPT_PRODUCT:
			if (sm_product_parse(optarg, &o.product))
				return platform_bad_arg("product", optarg);
			break;
		case OPT_API:
			if (platform_parse_api(optarg, &o.api_major,
					       &o.api_minor))
				return platform_bad_arg("API version", optarg);
			break;
		case OPT_ARK_FROM:
			o.ark_from = optarg;
			break;
		case OPT_ARK_BITS:
			if (sm_parse_uint(optarg, 8192, &bits) ||
			    (bits != 2048 && bits != 4096))
				return platform_bad_arg(
					"ARK size (2048 or 4096)", optarg);
			o.ark_bits = (unsigned)bits;
			break;
		case OPT_OCA_FROM:
			o.oca_from = optarg;
			break;
		case OPT_NO_ES:
			o.no_es = 1;
			break;
		default:
			return sm_cli_sub_try_help("platform");
		}
	}
	sm_cli_set_verbosity(co.verbose, co.quiet);
	if (optind >= argc || (strcmp(argv[optind], "init") != 0 &&
			       strcmp(argv[optind], "report") != 0)) {
		if (optind >= argc)
			fprintf(stderr,
				"%s: platform: no command given "
				"(commands: init report)\n",
				sm_progname);
		else
			fprintf(stderr,
				"%s: platform: unknown command '%s' "
				"(commands: init report)\n",
				sm_progname, argv[optind]);
		return sm_cli_sub_try_help("platform");
	}
	report = strcmp(argv[optind], "report") == 0;
	if (argc - optind != 2) {
		fprintf(stderr, "%s: platform %s: %s\n", sm_progname,
			argv[optind],
			argc - optind < 2 ? "no directory given" :
					    "too many arguments");
		return sm_cli_sub_try_help("platform");
	}
	if (report ? init_opts : report_opts) {
		fprintf(stderr,
			"%s: platform %s: %s are options of platform %s\n",
			sm_progname, argv[optind],
			report ? "--product, --api, --ark-from, --ark-bits, "
				 "--oca-from and --no-es" :
				 "--report-data and -o",
			report ? "init" : "report");
		return sm_cli_sub_try_help("platform");
	}
	if (report)
		return platform_report(argv[optind + 1], rdata, out);
	if (o.ark_bits && o.ark_from) {
		fprintf(stderr,
			"%s: --ark-bits and --ark-from exclude each "
			"other\n",
			sm_progname);
		return sm_cli_sub_try_help("platform");
	}
	dir = argv[optind + 1];
	if (sm_fw_sim_platform_init(dir, &o, &e))
		return sm_cli_report(&e);
	pr_info("created simulated platform '%s'", dir);
	return sm_cli_close_stdout(SM_EXIT_OK);
}
