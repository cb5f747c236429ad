// SPDX-License-Identifier: MIT
/* sevmig-owner session: a launch session for a verified platform. */
#include "owner.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "engine/owner.h"

static void session_usage(void)
{
	fputs("Usage:\n " OWNER_SESSION_SYNOPSIS "\n"
	      "\nVerify the platform's certificate chain, then write a launch session\n"
	      "for its PDH: the GODH certificate, the session blob, the TEK and TIK\n"
	      "(vm_godh.b64, vm_session.b64, vm_tek.bin, vm_tik.bin, as sevctl).\n"
	      "\nOptions:\n"
	      "     --policy P        the guest policy (default: 0x1)\n"
	      "     --tek FILE        use this TEK (16 bytes; with --tik)\n"
	      "     --tik FILE        use this TIK (16 bytes; with --tek)\n"
	      "     --ark FILE        trust this ARK instead of AMD's built-in roots\n"
	      " -o, --output DIR      write the files into DIR (default: .)\n"
	      " -J, --json            print the result as JSON\n" OWNER_COMMON_HELP,
	      stdout);
}

int owner_session(int argc, char **argv)
{
	enum { OPT_POLICY = CHAR_MAX + 1, OPT_TEK, OPT_TIK, OPT_ARK };
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "tek", required_argument, NULL, OPT_TEK },
		{ "tik", required_argument, NULL, OPT_TIK },
		{ "ark", required_argument, NULL, OPT_ARK },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'J' },
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct sm_owner_session_args a;
	struct sm_owner_session_out out;
	const char *tek = NULL, *tik = NULL, *dir = ".";
	struct sm_cli_common co = { 0 };
	int c, rc = 0;
	uint64_t v;
	struct sm_err e;

	memset(&a, 0, sizeof(a));
	a.policy = 0x1;
	while ((c = getopt_long(argc, argv, "o:JvqhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, session_usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		switch (c) {
		case OPT_POLICY:
			if (owner_parse_num("session", "--policy", optarg,
					    UINT32_MAX, &v))
				return SM_EXIT_USAGE;
			a.policy = (uint32_t)v;
			break;
		case OPT_TEK:
			tek = optarg;
			break;
		case OPT_TIK:
			tik = optarg;
			break;
		case OPT_ARK:
			a.ark = optarg;
			break;
		case 'o':
			dir = optarg;
			break;
		default:
			return sm_cli_sub_try_help("session");
		}
	}
	sm_cli_sub_verbosity(co.verbose, co.quiet);
	if (argc - optind != 1)
		return sm_cli_sub_usage("session", "one BUNDLE is needed");
	if (!tek != !tik)
		return sm_cli_sub_usage("session",
					"--tek and --tik go together");
	a.bundle = argv[optind];
	a.dir = dir;
	if (tek) {
		a.have_keys = 1;
		if (sm_owner_load_key(tek, "--tek", a.tek, &e) < 0 ||
		    sm_owner_load_key(tik, "--tik", a.tik, &e) < 0) {
			rc = sm_cli_report(&e);
			goto out;
		}
	}
	if (sm_owner_session(&a, &out, &e) < 0) {
		rc = sm_cli_report(&e);
		goto out;
	}
	if (co.json) {
		char *text = sm_owner_session_json(&a, &out);

		if (!text) {
			sm_err_set(&e, SM_EXIT_FAILURE, "out of memory");
			rc = sm_cli_report(&e);
		} else
			rc = owner_put(text);
		goto out;
	}
	if (co.quiet)
		goto out;
	if (a.ark)
		printf("platform chain verified up to the ARK in '%s' "
		       "(--ark)\n",
		       a.ark);
	else
		printf("platform chain verified up to AMD's built-in %s ARK\n",
		       sm_product_name(out.product));
	printf("policy 0x%x\n%s/%s\n%s/%s\n%s/%s\n%s/%s\n", a.policy, dir,
	       SM_OWNER_GODH_FILE, dir, SM_OWNER_SESSION_FILE, dir,
	       SM_OWNER_TEK_FILE, dir, SM_OWNER_TIK_FILE);
out:
	sm_wipe(&a, sizeof(a));
	return sm_cli_close_stdout(rc);
}
