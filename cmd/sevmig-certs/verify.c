// SPDX-License-Identifier: MIT
/* sevmig-certs verify: check a chain up to a trusted ARK. */
#include "certs.h"

#include <getopt.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

static void verify_usage(void)
{
	fputs("Usage:\n " CERTS_VERIFY_SYNOPSIS "\n"
	      "\nVerify every link of a SEV certificate chain up to AMD's root.\n"
	      "\nOptions:\n"
	      "     --ark FILE        trust this ARK instead of AMD's built-in roots\n"
	      "     --product NAME    naples, rome, milan, genoa or turin (default: detect)\n"
	      " -J, --json            print the result as JSON\n" CERTS_COMMON_HELP,
	      stdout);
}

#define SIGNS "\u2b11"
#define SIGNS_BAD "\u2b11\u0338"
#define SELF "\u2022"
#define SELF_BAD "\u2022\u0337"

static const char *mark(const struct sm_verify_result *r, enum sm_link l,
			int self)
{
	if (r->status[l] == SM_LINK_OK)
		return self ? SELF : SIGNS;
	return self ? SELF_BAD : SIGNS_BAD;
}

static void sev_line(const char *lead, const char *name,
		     const struct sm_sev_cert *c, int have)
{
	char key[32], fp[97];

	if (!have) {
		printf("%s%s (missing)\n", lead, name);
		return;
	}
	printf("%s%s %s %s\n", lead, name,
	       sm_sev_cert_key_desc(c, key, sizeof(key)), certs_sev_fp(c, fp));
}

static void amd_line(const char *lead, const char *name,
		     const struct sm_amd_cert *c)
{
	char key[32], fp[97];

	if (!c) {
		printf("%s%s (missing)\n", lead, name);
		return;
	}
	printf("%s%s %s %s\n", lead, name,
	       sm_amd_cert_key_desc(c, key, sizeof(key)), certs_amd_fp(c, fp));
}

/* The tree sevctl prints, then one line per link. */
static void print_text(const struct sm_chain *ch,
		       const struct sm_verify_result *r, const char *trust)
{
	char lead[64];
	int l;

	sev_line("", "PDH", &ch->pdh, ch->have & SM_HAVE_PDH);
	snprintf(lead, sizeof(lead), " %s ", mark(r, SM_LINK_PDH_BY_PEK, 0));
	sev_line(lead, "PEK", &ch->pek, ch->have & SM_HAVE_PEK);
	snprintf(lead, sizeof(lead), "   %s%s ", mark(r, SM_LINK_OCA_SELF, 1),
		 mark(r, SM_LINK_PEK_BY_OCA, 0));
	sev_line(lead, "OCA", &ch->oca, ch->have & SM_HAVE_OCA);
	snprintf(lead, sizeof(lead), "    %s ", mark(r, SM_LINK_PEK_BY_CEK, 0));
	sev_line(lead, "CEK", &ch->cek, ch->have & SM_HAVE_CEK);
	snprintf(lead, sizeof(lead), "       %s ",
		 mark(r, SM_LINK_CEK_BY_ASK, 0));
	amd_line(lead, "ASK", r->ask);
	snprintf(lead, sizeof(lead), "         %s%s ",
		 mark(r, SM_LINK_ARK_SELF, 1), mark(r, SM_LINK_ASK_BY_ARK, 0));
	amd_line(lead, "ARK", r->ark);
	printf("\n " SELF " = self signed, " SIGNS " = signs, " SELF_BAD
	       " = invalid self sign, " SIGNS_BAD " = invalid signs\n\n");
	printf("product: %s\ntrust: %s\n", sm_product_name(r->product), trust);
	for (l = 0; l < SM_LINK_COUNT; l++) {
		int bad = r->status[l] != SM_LINK_OK;

		printf("%-8s %s%s%s\n", sm_link_status_name(r->status[l]),
		       sm_link_name(l), bad ? ": " : "",
		       bad ? r->reason[l] : "");
	}
}

int certs_verify(int argc, char **argv)
{
	enum { OPT_ARK = CHAR_MAX + 1, OPT_PRODUCT };
	static const struct option longopts[] = {
		{ "ark", required_argument, NULL, OPT_ARK },
		{ "product", required_argument, NULL, OPT_PRODUCT },
		{ "json", no_argument, NULL, 'J' },
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static struct sm_chain ch, tc;
	struct sm_trust t = { NULL, NULL, SM_PRODUCT_UNKNOWN };
	struct sm_bundle_info info;
	struct sm_verify_result r;
	const char *ark = NULL, *in = "-";
	struct sm_cli_common co = { 0 };
	int c, rc;
	char trust[600];
	struct sm_err e;

	while ((c = getopt_long(argc, argv, "JvqhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, verify_usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		switch (c) {
		case OPT_ARK:
			ark = optarg;
			break;
		case OPT_PRODUCT:
			if (certs_parse_product("verify", optarg, &t.product) <
			    0)
				return SM_EXIT_USAGE;
			break;
		default:
			return sm_cli_sub_try_help("verify");
		}
	}
	sm_cli_sub_verbosity(co.verbose, co.quiet);
	if (argc - optind > 1)
		return sm_cli_sub_usage("verify", "too many arguments");
	if (optind < argc)
		in = argv[optind];
	if (!strcmp(in, "-") && isatty(STDIN_FILENO))
		return sm_cli_sub_usage(
			"verify",
			"standard input is a terminal: verify reads a bundle or certificate there; pipe one in (sevmig-certs fetch SOURCE | sevmig-certs verify) or name a BUNDLE or DIR");

	memset(&ch, 0, sizeof(ch));
	memset(&info, 0, sizeof(info));
	if (ark && sm_trust_load(ark, &tc, &t, &e) < 0)
		return sm_cli_report(&e);
	if (sm_certs_load(in, &ch, &info, &e) < 0)
		return sm_cli_report(&e);
	/* a bundle's product claim only picks the roots; it is checked */
	if (t.product == SM_PRODUCT_UNKNOWN)
		t.product = info.product;
	rc = sm_chain_verify(&ch, &t, &r, &e);
	if (ark)
		snprintf(trust, sizeof(trust), "the ARK in '%s' (--ark)", ark);
	else if (r.product != SM_PRODUCT_UNKNOWN)
		snprintf(trust, sizeof(trust),
			 "AMD's built-in %s ARK, pinned by SHA-256",
			 sm_product_name(r.product));
	else
		snprintf(trust, sizeof(trust), "none (product unknown)");
	certs_warn_notes(&r);
	if (co.json) {
		char *text;
		struct sm_err je;

		if (sm_bundle_verify_report(&ch, &info, &r, trust, &text, &je) <
			    0 ||
		    certs_put(text, &je) < 0)
			return sm_cli_close_stdout(sm_cli_report(&je));
	} else if (!co.quiet) {
		print_text(&ch, &r, trust);
	}
	if (rc < 0)
		rc = sm_cli_report(&e);
	return sm_cli_close_stdout(rc);
}
