// SPDX-License-Identifier: MIT
/* sevmig-certs ok: can this host export and import SEV guests, and why not. */
#include "certs.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "fw/preflight.h"

static void ok_usage(void)
{
	fputs("Usage:\n " CERTS_OK_SYNOPSIS "\n"
	      "\nCheck whether this host can export and import SEV, SEV-ES and\n"
	      "SEV-SNP guests, and say what is missing and how to fix it.\n"
	      "\nOptions:\n"
	      "     --sim DIR         check the simulated host DIR instead\n"
	      " -J, --json            print the checks as JSON\n" CERTS_COMMON_HELP,
	      stdout);
}

static void print_text(const struct sm_preflight *pf)
{
	static const struct {
		unsigned bit;
		const char *name;
	} kinds[] = { { SM_PF_SEV, "SEV" },
		      { SM_PF_ES, "SEV-ES" },
		      { SM_PF_SNP, "SEV-SNP" } };
	size_t i, k;

	for (i = 0; i < pf->n; i++) {
		const struct sm_pf_check *c = &pf->checks[i];

		printf("[%s] %s: %s\n",
		       c->ok	 ? " OK " :
		       c->needed ? "FAIL" :
				   "warn",
		       c->name, c->found);
		if (!c->ok && c->fix[0])
			printf("       fix: %s\n", c->fix);
	}
	for (k = 0; k < SM_ARRAY_SIZE(kinds); k++) {
		int first = 1;

		printf("%s guests: %s", kinds[k].name,
		       pf->can & kinds[k].bit ? "can export and import" :
						"cannot export or import");
		for (i = 0; i < pf->n; i++) {
			const struct sm_pf_check *c = &pf->checks[i];

			if (c->ok || !(c->needed & kinds[k].bit))
				continue;
			printf("%s%s", first ? " (missing: " : ", ", c->name);
			first = 0;
		}
		if (!first)
			fputc(')', stdout);
		if (kinds[k].bit == SM_PF_SNP && !pf->snp_method)
			printf("%ssevmig has no SEV-SNP migration method yet (issue 17)",
			       first ? ": " : "; ");
		fputc('\n', stdout);
	}
}

int certs_ok(int argc, char **argv)
{
	enum { OPT_SIM = CHAR_MAX + 1 };
	static const struct option longopts[] = {
		{ "sim", required_argument, NULL, OPT_SIM },
		{ "json", no_argument, NULL, 'J' },
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static struct sm_preflight pf;
	struct sm_cli_common co = { 0 };
	const char *sim = NULL;
	struct sm_err e = { 0 };
	char *json;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "JvqhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, ok_usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		switch (c) {
		case OPT_SIM:
			sim = optarg;
			break;
		default:
			return sm_cli_sub_try_help("ok");
		}
	}
	sm_cli_sub_verbosity(co.verbose, co.quiet);
	if (argc != optind)
		return sm_cli_sub_usage("ok", "too many arguments");
	/* The test hook (fw/preflight.h): a prefix for /dev, /sys, /proc. */
	if (sm_preflight_run(getenv("SEVMIG_OK_ROOT"), sim, &pf, &e))
		return sm_cli_report(&e);
	if (co.json) {
		if (sm_preflight_json(&pf, &json, &e))
			return sm_cli_report(&e);
		puts(json);
		free(json);
	} else if (!co.quiet) {
		print_text(&pf);
	}
	rc = (pf.can & (SM_PF_SEV | SM_PF_ES)) == (SM_PF_SEV | SM_PF_ES) ?
		     SM_EXIT_OK :
		     SM_EXIT_FAILURE;
	return sm_cli_close_stdout(rc);
}
