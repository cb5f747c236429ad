// SPDX-License-Identifier: MIT
/* sevmig-sim platform init: create a simulated SEV host directory. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "fw/fw-sim.h"
#include "base/util.h"
#include "sim.h"

const char cmd_platform_synopsis[] =
	" sevmig-sim platform init [options] DIR\n";

enum {
	OPT_PRODUCT = CHAR_MAX + 1,
	OPT_API,
	OPT_OCA_FROM,
	OPT_ARK_FROM,
	OPT_ARK_BITS,
	OPT_NO_ES,
};

static void platform_usage(void)
{
	printf("Usage:\n%s", cmd_platform_synopsis);
	printf("\nCreate a simulated SEV host: its certificate chain and "
	       "keys in DIR.\n");
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

int cmd_platform(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "product", required_argument, NULL, OPT_PRODUCT },
		{ "api", required_argument, NULL, OPT_API },
		{ "ark-from", required_argument, NULL, OPT_ARK_FROM },
		{ "ark-bits", required_argument, NULL, OPT_ARK_BITS },
		{ "oca-from", required_argument, NULL, OPT_OCA_FROM },
		{ "no-es", no_argument, NULL, OPT_NO_ES },
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct sm_sim_platform_opts o;
	struct sm_err e = { 0 };
	struct sm_cli_common co = { 0 };
	int c, rc;
	uint64_t bits;
	const char *dir;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "qvhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, platform_usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		switch (c) {
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
	if (optind >= argc || strcmp(argv[optind], "init") != 0) {
		if (optind >= argc)
			fprintf(stderr,
				"%s: platform: no command given "
				"(commands: init)\n",
				sm_progname);
		else
			fprintf(stderr,
				"%s: platform: unknown command '%s' "
				"(commands: init)\n",
				sm_progname, argv[optind]);
		return sm_cli_sub_try_help("platform");
	}
	if (argc - optind != 2) {
		fprintf(stderr, "%s: platform init: %s\n", sm_progname,
			argc - optind < 2 ? "no directory given" :
					    "too many arguments");
		return sm_cli_sub_try_help("platform");
	}
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
