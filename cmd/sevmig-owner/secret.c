// SPDX-License-Identifier: MIT
/* sevmig-owner secret: a LAUNCH_SECRET header and payload (sevctl's). */
#include "owner.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "engine/owner.h"

static void secret_usage(void)
{
	fputs("Usage:\n " OWNER_SECRET_SYNOPSIS "\n"
	      "\nWrite the LAUNCH_SECRET packet header to HEADER and the encrypted\n"
	      "OVMF secret table to PAYLOAD, bound to the launch measurement.\n"
	      "\nOptions:\n"
	      "     --tik FILE        the transport integrity key (16 bytes)\n"
	      "     --tek FILE        the transport encryption key (16 bytes)\n"
	      "     --launch-measure-blob B64\n"
	      "                       the firmware's measurement blob, checked first\n"
	      "     --iv B64          the IV (16 bytes; default: random)\n"
	      "     --secret GUID:FILE\n"
	      "                       a secret table entry (repeatable)\n"
	      " -J, --json            print the result as JSON\n" OWNER_COMMON_HELP,
	      stdout);
}

int owner_secret(int argc, char **argv)
{
	enum { OPT_TIK = CHAR_MAX + 1, OPT_TEK, OPT_BLOB, OPT_IV, OPT_SECRET };
	static const struct option longopts[] = {
		{ "tik", required_argument, NULL, OPT_TIK },
		{ "tek", required_argument, NULL, OPT_TEK },
		{ "launch-measure-blob", required_argument, NULL, OPT_BLOB },
		{ "iv", required_argument, NULL, OPT_IV },
		{ "secret", required_argument, NULL, OPT_SECRET },
		{ "json", no_argument, NULL, 'J' },
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct sm_owner_secret_args a;
	struct sm_owner_secret *secrets;
	const char *tik = NULL, *tek = NULL, *blob = NULL, *iv = NULL;
	uint8_t given[SM_MEASURE_BLOB_LEN], hdr[SM_SECRET_HDR_LEN];
	uint8_t *payload = NULL;
	size_t plen = 0, n = 0;
	struct sm_cli_common co = { 0 };
	int c, rc = 0;
	struct sm_err e;

	memset(&a, 0, sizeof(a));
	secrets = calloc((size_t)argc, sizeof(*secrets));
	if (!secrets) {
		sm_err_set(&e, SM_EXIT_FAILURE, "out of memory");
		return sm_cli_report(&e);
	}
	while ((c = getopt_long(argc, argv, "JvqhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, secret_usage, &rc)) {
		case 1:
			continue;
		case -1:
			free(secrets);
			return rc;
		}
		switch (c) {
		case OPT_TIK:
			tik = optarg;
			break;
		case OPT_TEK:
			tek = optarg;
			break;
		case OPT_BLOB:
			blob = optarg;
			break;
		case OPT_IV:
			iv = optarg;
			break;
		case OPT_SECRET:
			if (sm_owner_secret_parse(optarg, &secrets[n], &e) <
			    0) {
				rc = sm_cli_report(&e);
				goto out;
			}
			n++;
			break;
		default:
			rc = sm_cli_sub_try_help("secret");
			goto out;
		}
	}
	sm_cli_sub_verbosity(co.verbose, co.quiet);
	if (!tik || !tek || !blob || !n) {
		rc = sm_cli_sub_usage("secret",
				      "--tik, --tek, --launch-measure-blob and "
				      "--secret are needed");
		goto out;
	}
	if (argc - optind != 2) {
		rc = sm_cli_sub_usage("secret",
				      "HEADER and PAYLOAD are needed");
		goto out;
	}
	if (sm_owner_b64_arg("--launch-measure-blob", blob, given,
			     SM_MEASURE_BLOB_LEN, &e) < 0 ||
	    (iv &&
	     sm_owner_b64_arg("--iv", iv, a.iv, SM_SECRET_IV_LEN, &e) < 0) ||
	    sm_owner_load_key(tik, "--tik", a.tik, &e) < 0 ||
	    sm_owner_load_key(tek, "--tek", a.tek, &e) < 0) {
		rc = sm_cli_report(&e);
		goto out;
	}
	a.have_iv = iv != NULL;
	memcpy(a.measure, given, SM_MEASURE_LEN);
	a.secrets = secrets;
	a.nsecrets = n;
	if (sm_owner_secret_build(&a, hdr, &payload, &plen, &e) < 0 ||
	    sm_write_file_atomic(argv[optind], hdr, sizeof(hdr), 0600, &e) <
		    0 ||
	    sm_write_file_atomic(argv[optind + 1], payload, plen, 0600, &e) < 0)
		rc = sm_cli_report(&e);
	else if (co.json) {
		char *text = sm_owner_secret_json(&a, argv[optind],
						  argv[optind + 1], plen);

		if (!text) {
			sm_err_set(&e, SM_EXIT_FAILURE, "out of memory");
			rc = sm_cli_report(&e);
		} else
			rc = owner_put(text);
	}
out:
	sm_wipe(&a, sizeof(a));
	free(payload);
	free(secrets);
	return sm_cli_close_stdout(rc);
}
