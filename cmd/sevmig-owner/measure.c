// SPDX-License-Identifier: MIT
/* sevmig-owner measure: the expected launch measurement (sevctl's). */
#include "owner.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "engine/owner.h"

static void measure_usage(void)
{
	fputs("Usage:\n " OWNER_MEASURE_SYNOPSIS "\n"
	      "\nPrint the launch measurement blob (base64 of MEASURE and MNONCE) that\n"
	      "LAUNCH_MEASURE returns for these inputs; with --launch-measure-blob,\n"
	      "also check the firmware's blob against it.\n"
	      "\nOptions:\n"
	      "     --api-major N     the platform's SEV API major version\n"
	      "     --api-minor N     the platform's SEV API minor version\n"
	      "     --build-id N      the platform's firmware build\n"
	      "     --policy P        the guest policy (decimal or 0x-hex)\n"
	      "     --tik FILE        the transport integrity key (16 bytes)\n"
	      "     --nonce B64       the firmware's MNONCE (16 bytes)\n"
	      "     --launch-measure-blob B64\n"
	      "                       the firmware's blob: its nonce is used and\n"
	      "                       the blob checked (exit 3 on a mismatch)\n"
	      "     --launch-digest B64\n"
	      "                       the launch digest (SHA-256), not the files\n"
	      "     --firmware FILE   the OVMF image measured at launch\n"
	      "     --kernel FILE     a kernel booted directly (OVMF hashes table)\n"
	      "     --initrd FILE     its initrd\n"
	      "     --cmdline STR     its command line\n"
	      "     --num-cpus N      SEV-ES: the number of vCPUs\n"
	      "     --vmsa-cpu0 FILE  SEV-ES: the boot vCPU's VMSA (4096 bytes)\n"
	      "     --vmsa-cpu1 FILE  SEV-ES: every other vCPU's VMSA\n"
	      " -J, --json            print the result as JSON\n" OWNER_COMMON_HELP,
	      stdout);
}

enum {
	OPT_API_MAJOR = CHAR_MAX + 1,
	OPT_API_MINOR,
	OPT_BUILD_ID,
	OPT_POLICY,
	OPT_TIK,
	OPT_NONCE,
	OPT_BLOB,
	OPT_DIGEST,
	OPT_FIRMWARE,
	OPT_KERNEL,
	OPT_INITRD,
	OPT_CMDLINE,
	OPT_NUM_CPUS,
	OPT_VMSA0,
	OPT_VMSA1,
};

static const struct option longopts[] = {
	{ "api-major", required_argument, NULL, OPT_API_MAJOR },
	{ "api-minor", required_argument, NULL, OPT_API_MINOR },
	{ "build-id", required_argument, NULL, OPT_BUILD_ID },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "tik", required_argument, NULL, OPT_TIK },
	{ "nonce", required_argument, NULL, OPT_NONCE },
	{ "launch-measure-blob", required_argument, NULL, OPT_BLOB },
	{ "launch-digest", required_argument, NULL, OPT_DIGEST },
	{ "firmware", required_argument, NULL, OPT_FIRMWARE },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "num-cpus", required_argument, NULL, OPT_NUM_CPUS },
	{ "vmsa-cpu0", required_argument, NULL, OPT_VMSA0 },
	{ "vmsa-cpu1", required_argument, NULL, OPT_VMSA1 },
	{ "json", no_argument, NULL, 'J' },
	SM_CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

/* The text options, decoded once all are parsed. */
struct measure_opts {
	const char *major, *minor, *build, *policy, *tik, *nonce, *blob,
		*digest, *cpus;
};

static int need(const char *v, const char *opt)
{
	if (v)
		return 0;
	sm_cli_sub_usage("measure", "%s is needed", opt);
	return -1;
}

static int decode(const struct measure_opts *o, struct sm_owner_measure_args *a,
		  uint8_t given[48], struct sm_err *e)
{
	uint64_t v;

	if (need(o->major, "--api-major") || need(o->minor, "--api-minor") ||
	    need(o->build, "--build-id") || need(o->policy, "--policy") ||
	    need(o->tik, "--tik"))
		return SM_EXIT_USAGE;
	if (o->nonce && o->blob)
		return sm_cli_sub_usage("measure",
					"--nonce and --launch-measure-blob "
					"exclude each other");
	if (!o->nonce && !o->blob)
		return sm_cli_sub_usage("measure",
					"one of --nonce or "
					"--launch-measure-blob is needed");
	if (owner_parse_num("measure", "--api-major", o->major, 255, &v))
		return SM_EXIT_USAGE;
	a->li.api_major = (uint8_t)v;
	if (owner_parse_num("measure", "--api-minor", o->minor, 255, &v))
		return SM_EXIT_USAGE;
	a->li.api_minor = (uint8_t)v;
	if (owner_parse_num("measure", "--build-id", o->build, 255, &v))
		return SM_EXIT_USAGE;
	a->li.build = (uint8_t)v;
	if (owner_parse_num("measure", "--policy", o->policy, UINT32_MAX, &v))
		return SM_EXIT_USAGE;
	a->li.policy = (uint32_t)v;
	if (o->cpus) {
		if (owner_parse_num("measure", "--num-cpus", o->cpus, 1024, &v))
			return SM_EXIT_USAGE;
		if (v == 0)
			return sm_cli_sub_usage("measure",
						"--num-cpus: at least 1 vCPU");
		a->num_cpus = (unsigned)v;
	}
	if (o->digest) {
		a->have_digest = 1;
		if (sm_owner_b64_arg("--launch-digest", o->digest, a->digest,
				     SM_LAUNCH_DIGEST_LEN, e) < 0)
			return sm_cli_report(e);
	}
	if (o->nonce && sm_owner_b64_arg("--nonce", o->nonce, a->mnonce,
					 SM_MNONCE_LEN, e) < 0)
		return sm_cli_report(e);
	if (o->blob) {
		if (sm_owner_b64_arg("--launch-measure-blob", o->blob, given,
				     SM_MEASURE_BLOB_LEN, e) < 0)
			return sm_cli_report(e);
		memcpy(a->mnonce, given + SM_MEASURE_LEN, SM_MNONCE_LEN);
	}
	if (sm_owner_load_key(o->tik, "--tik", a->tik, e) < 0)
		return sm_cli_report(e);
	return 0;
}

int owner_measure(int argc, char **argv)
{
	struct sm_owner_measure_args a;
	struct measure_opts o;
	uint8_t given[SM_MEASURE_BLOB_LEN], blob[SM_MEASURE_BLOB_LEN];
	uint8_t ld[SM_LAUNCH_DIGEST_LEN];
	char b64[80];
	struct sm_cli_common co = { 0 };
	int c, rc;
	struct sm_err e;

	memset(&a, 0, sizeof(a));
	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "JvqhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, measure_usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		switch (c) {
		case OPT_API_MAJOR:
			o.major = optarg;
			break;
		case OPT_API_MINOR:
			o.minor = optarg;
			break;
		case OPT_BUILD_ID:
			o.build = optarg;
			break;
		case OPT_POLICY:
			o.policy = optarg;
			break;
		case OPT_TIK:
			o.tik = optarg;
			break;
		case OPT_NONCE:
			o.nonce = optarg;
			break;
		case OPT_BLOB:
			o.blob = optarg;
			break;
		case OPT_DIGEST:
			o.digest = optarg;
			break;
		case OPT_FIRMWARE:
			a.firmware = optarg;
			break;
		case OPT_KERNEL:
			a.kernel = optarg;
			break;
		case OPT_INITRD:
			a.initrd = optarg;
			break;
		case OPT_CMDLINE:
			a.cmdline = optarg;
			break;
		case OPT_NUM_CPUS:
			o.cpus = optarg;
			break;
		case OPT_VMSA0:
			a.vmsa_cpu0 = optarg;
			break;
		case OPT_VMSA1:
			a.vmsa_cpu1 = optarg;
			break;
		default:
			return sm_cli_sub_try_help("measure");
		}
	}
	sm_cli_sub_verbosity(co.verbose, co.quiet);
	if (optind < argc)
		return sm_cli_sub_usage("measure", "too many arguments");
	rc = decode(&o, &a, given, &e);
	if (rc == 0 && sm_owner_measure(&a, blob, ld, &e) < 0)
		rc = sm_cli_report(&e);
	sm_wipe(a.tik, sizeof(a.tik));
	if (rc)
		return rc;
	if (co.json) {
		char *text = sm_owner_measure_json(&a, blob, ld,
						   o.blob ? given : NULL);

		if (!text) {
			sm_err_set(&e, SM_EXIT_FAILURE, "out of memory");
			return sm_cli_report(&e);
		}
		rc = owner_put(text);
	} else {
		sm_base64_encode(blob, sizeof(blob), b64);
		printf("%s\n", b64);
	}
	if (rc == 0 && o.blob && sm_owner_measure_check(blob, given, &e) < 0)
		rc = sm_cli_report(&e);
	return sm_cli_close_stdout(rc);
}
