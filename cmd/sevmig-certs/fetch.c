// SPDX-License-Identifier: MIT
/*
 * sevmig-certs fetch: get a chain, verify it, print it as a bundle; for
 * vcek:FILE, the VCEK of an SEV-SNP report with its chain, as PEM; for
 * snp-target:SOCK, an incoming SNP guest's target bundle.
 */
#include "certs.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "certs/snp-report.h"
#include "certs/snp-target.h"
#include "fetch/vcek.h"

static void fetch_usage(void)
{
	fputs("Usage:\n " CERTS_FETCH_SYNOPSIS "\n"
	      "\nGet a platform's certificate chain, verify it and print it as a bundle.\n"
	      "\nSources:\n"
	      " local                      this host's /dev/sev (the default)\n"
	      " qmp:PATH                   a QEMU QMP socket (query-sev-capabilities)\n"
	      " file:PATH                  a bundle, directory, certificate file or QEMU reply\n"
	      " ssh://[USER@]HOST[:PORT]   sevmig-certs fetch on that host\n"
	      " sim:DIR                    a simulated host (sevmig-sim)\n"
	      " vcek:FILE                  the VCEK that signed the SEV-SNP report FILE,\n"
	      "                            from the KDS, printed as PEM with its chain\n"
	      " snp-target:SOCK            an incoming SEV-SNP guest's key, nonce and report\n"
	      "                            with the host's VCEK and chain, as a target bundle\n"
	      "                            (also ssh://[USER@]HOST[:PORT]/snp-target:SOCK)\n"
	      "\nOptions:\n"
	      " -o, --output FILE           write the bundle to FILE (default: stdout)\n"
	      "     --kds-url URL           AMD KDS base URL (default: $SEVMIG_KDS_URL or AMD's)\n"
	      "     --cache-dir DIR         KDS cache (default: $XDG_CACHE_HOME/sevmig)\n"
	      "     --offline               use the KDS cache only, never the network\n"
	      "     --timeout SEC           total time for a KDS request (default: 60)\n"
	      "     --connect-timeout SEC   time to connect to the KDS (default: 10)\n"
	      "     --retries N             extra KDS attempts (default: 3)\n"
	      "     --product NAME          naples, rome, milan, genoa or turin (default: detect)\n"
	      "     --ark FILE              trust this ARK instead of AMD's built-in roots\n"
	      "                            (snp-target: an X.509 ARK, e.g. DIR/snp-ark.pem)\n"
	      "     --ark-from-vm           (snp-target:) trust the ARK of the simulated host\n"
	      "                            the VM runs on (what ssh:// asks of the remote)\n"
	      "     --remote-program PATH   sevmig-certs on the ssh host (default: sevmig-certs)\n"
	      "     --crl FILE              (vcek:) check revocation with this CRL, not the KDS's\n" CERTS_COMMON_HELP,
	      stdout);
}

static int parse_seconds(const char *opt, const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v > 0) || v > 86400) {
		sm_cli_sub_usage("fetch", "invalid %s '%s' (seconds, above 0)",
				 opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

struct fetch_args {
	struct sm_fetch_opts o;
	const char *source, *output, *ark, *crl;
	int ark_from_vm;
};

static int run_fetch(const struct fetch_args *a);
static int run_fetch_vcek(const struct fetch_args *a);
static int run_fetch_snp_target(const struct fetch_args *a);

int certs_fetch(int argc, char **argv)
{
	enum {
		OPT_KDS_URL = CHAR_MAX + 1,
		OPT_CACHE_DIR,
		OPT_OFFLINE,
		OPT_TIMEOUT,
		OPT_CONNECT_TIMEOUT,
		OPT_RETRIES,
		OPT_PRODUCT,
		OPT_ARK,
		OPT_REMOTE_PROGRAM,
		OPT_CRL,
		OPT_ARK_FROM_VM,
	};
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "kds-url", required_argument, NULL, OPT_KDS_URL },
		{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
		{ "offline", no_argument, NULL, OPT_OFFLINE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "connect-timeout", required_argument, NULL,
		  OPT_CONNECT_TIMEOUT },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "product", required_argument, NULL, OPT_PRODUCT },
		{ "ark", required_argument, NULL, OPT_ARK },
		{ "remote-program", required_argument, NULL,
		  OPT_REMOTE_PROGRAM },
		{ "crl", required_argument, NULL, OPT_CRL },
		{ "ark-from-vm", no_argument, NULL, OPT_ARK_FROM_VM },
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct fetch_args a;
	struct sm_cli_common co = { 0 };
	int c, rc;
	uint64_t n;

	memset(&a, 0, sizeof(a));
	a.o.retries = -1;
	a.source = "local";
	a.output = "-";
	while ((c = getopt_long(argc, argv, "o:vqhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, fetch_usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		switch (c) {
		case 'o':
			a.output = optarg;
			break;
		case OPT_KDS_URL:
			a.o.kds_url = optarg;
			break;
		case OPT_CACHE_DIR:
			a.o.cache_dir = optarg;
			break;
		case OPT_OFFLINE:
			a.o.offline = 1;
			break;
		case OPT_TIMEOUT:
			if (parse_seconds("--timeout", optarg,
					  &a.o.total_timeout) < 0)
				return SM_EXIT_USAGE;
			break;
		case OPT_CONNECT_TIMEOUT:
			if (parse_seconds("--connect-timeout", optarg,
					  &a.o.connect_timeout) < 0)
				return SM_EXIT_USAGE;
			break;
		case OPT_RETRIES:
			if (sm_parse_uint(optarg, 100, &n) < 0)
				return sm_cli_sub_usage(
					"fetch",
					"invalid --retries '%s' (0 to 100)",
					optarg);
			a.o.retries = (int)n;
			break;
		case OPT_PRODUCT:
			if (certs_parse_product("fetch", optarg, &a.o.product) <
			    0)
				return SM_EXIT_USAGE;
			break;
		case OPT_ARK:
			a.ark = optarg;
			break;
		case OPT_REMOTE_PROGRAM:
			a.o.remote_program = optarg;
			break;
		case OPT_CRL:
			a.crl = optarg;
			break;
		case OPT_ARK_FROM_VM:
			a.ark_from_vm = 1;
			break;
		default:
			return sm_cli_sub_try_help("fetch");
		}
	}
	sm_cli_sub_verbosity(co.verbose, co.quiet);
	if (argc - optind > 1)
		return sm_cli_sub_usage("fetch", "too many arguments");
	if (optind < argc)
		a.source = argv[optind];
	if (strcmp(a.output, "-") &&
	    ((a.source && !strncmp(a.source, "file:", 5) &&
	      sm_path_same(a.source + 5, a.output)) ||
	     (a.source && !strncmp(a.source, "vcek:", 5) &&
	      sm_path_same(a.source + 5, a.output)) ||
	     (a.ark && sm_path_same(a.ark, a.output)) ||
	     (a.crl && sm_path_same(a.crl, a.output))))
		return sm_cli_sub_usage(
			"fetch",
			"--output would overwrite an input of the fetch");
	if (!strncmp(a.source, "vcek:", 5) && !a.ark_from_vm)
		return sm_cli_close_stdout(run_fetch_vcek(&a));
	if (a.crl)
		return sm_cli_sub_usage("fetch",
					"--crl is for vcek: sources only");
	if (a.ark_from_vm && (!sm_fetch_is_snp_target(a.source) ||
			      !strncmp(a.source, "ssh://", 6)))
		return sm_cli_sub_usage(
			"fetch",
			"--ark-from-vm is for snp-target:SOCK on the VM's own host (over ssh, name the trusted ARK with --ark)");
	if (a.ark_from_vm && a.ark)
		return sm_cli_sub_usage(
			"fetch", "--ark and --ark-from-vm exclude each other");
	if (sm_fetch_is_snp_target(a.source))
		return sm_cli_close_stdout(run_fetch_snp_target(&a));
	return sm_cli_close_stdout(run_fetch(&a));
}

/*
 * Fetch, then verify before anything is written: a bundle that reaches
 * stdout or -o has passed sm_chain_verify against the pinned roots (or
 * --ark, or the simulated host's own ARK for sim:DIR).
 */
static int run_fetch(const struct fetch_args *a)
{
	static struct sm_chain ch, tc;
	static struct sm_amd_cert sim_ark;
	struct sm_trust t = { NULL, NULL, a->o.product };
	struct sm_bundle_info info;
	struct sm_verify_result r;
	int have_sim = 0, l, rc;
	struct sm_err e;
	char *text;

	if (a->ark && sm_trust_load(a->ark, &tc, &t, &e) < 0)
		return sm_cli_report(&e);
	if (sm_fetch(a->source, &a->o, &ch, &info, &sim_ark, &have_sim, &e) < 0)
		return sm_cli_report(&e);
	if (!t.ark && have_sim)
		t.ark = &sim_ark;
	if (t.product == SM_PRODUCT_UNKNOWN)
		t.product = info.product;
	if (sm_chain_verify(&ch, &t, &r, &e) < 0) {
		for (l = 0; l < SM_LINK_COUNT; l++)
			if (r.status[l] != SM_LINK_OK)
				pr_info("%s %s: %s",
					sm_link_status_name(r.status[l]),
					sm_link_name(l), r.reason[l]);
		sm_err_prefix(&e, "chain from '%s' not printed", a->source);
		return sm_cli_report(&e);
	}
	certs_warn_notes(&r);
	if (info.product == SM_PRODUCT_UNKNOWN)
		info.product = r.product;
	if (sm_bundle_encode(&ch, &info, &text, &e) < 0)
		return sm_cli_report(&e);
	rc = sm_write_file_atomic(a->output, text, strlen(text), 0644, &e);
	free(text);
	if (rc < 0)
		return sm_cli_report(&e);
	pr_info("chain from '%s' verified (%s)", a->source,
		sm_product_name(r.product));
	return SM_EXIT_OK;
}

/*
 * fetch vcek:FILE: the report's VCEK, cert_chain and CRL from the KDS,
 * each checked before it is cached; the PEM (VCEK, ASK, ARK) is written
 * only when the report verifies with it.
 */
static int run_fetch_vcek(const struct fetch_args *a)
{
	static struct sm_snp_report r;
	static struct sm_snp_verify_result res;
	const char *file = a->source + 5;
	int have_crl, rc;
	struct sm_err e;
	char *pem;
	size_t i;

	if (a->ark)
		return sm_cli_sub_usage(
			"fetch",
			"--ark is not for vcek: sources (the SNP roots are pinned)");
	if (!file[0])
		return sm_cli_sub_usage("fetch", "vcek: needs a report file");
	if (sm_snp_report_load(file, &r, &e) < 0)
		return sm_cli_report(&e);
	if (sm_vcek_fetch(&a->o, &r, a->crl, &pem, &have_crl, &res, &e) < 0) {
		for (i = 0; i < res.nchecks; i++)
			if (!res.checks[i].ok)
				pr_info("FAIL %s: %s", res.checks[i].name,
					res.checks[i].detail);
		return sm_cli_report(&e);
	}
	rc = sm_write_file_atomic(a->output, pem, strlen(pem), 0644, &e);
	free(pem);
	if (rc < 0)
		return sm_cli_report(&e);
	pr_info("VCEK for '%s' verified (%s)%s", file,
		sm_product_name(res.product),
		have_crl ? "" : "; no CRL, revocation not checked");
	return SM_EXIT_OK;
}

/*
 * fetch snp-target:SOCK: the target's parts from its VM endpoint (or a
 * remote's bundle over ssh), verified before anything is written: the
 * report's chain up to --ark (or AMD's pinned roots), its signature, TCB
 * and chip id, and the binding of the key and nonce.
 */
static int run_fetch_snp_target(const struct fetch_args *a)
{
	static struct sm_snp_target t;
	static struct sm_snp_verify_result res;
	struct sm_snp_target_opts vo;
	char sim_ark[PATH_MAX];
	struct sm_err e;
	char *text;
	size_t i;
	int rc;

	if (sm_fetch_snp_target(a->source, &a->o, &t, sim_ark, sizeof(sim_ark),
				&e) < 0)
		return sm_cli_report(&e);
	memset(&vo, 0, sizeof(vo));
	vo.ark = a->ark;
	vo.product = a->o.product;
	if (a->ark_from_vm && sim_ark[0])
		vo.ark = sim_ark;
	if (sm_snp_target_verify(&t, &vo, &res, &e) < 0) {
		for (i = 0; i < res.nchecks; i++)
			if (!res.checks[i].ok)
				pr_info("FAIL %s: %s", res.checks[i].name,
					res.checks[i].detail);
		sm_err_prefix(&e, "target from '%s' not printed", a->source);
		return sm_cli_report(&e);
	}
	text = sm_snp_target_encode(&t, &e);
	if (!text)
		return sm_cli_report(&e);
	rc = sm_write_file_atomic(a->output, text, strlen(text), 0644, &e);
	free(text);
	if (rc < 0)
		return sm_cli_report(&e);
	pr_info("SNP target from '%s' verified (%s, %s): its report binds the key",
		a->source, sm_product_name(res.product),
		a->ark_from_vm && vo.ark ? "the VM's simulated host's ARK" :
		vo.ark			 ? "the ARK --ark names" :
					   "AMD's roots");
	return SM_EXIT_OK;
}
