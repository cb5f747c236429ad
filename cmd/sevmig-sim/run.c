// SPDX-License-Identifier: MIT
/* sevmig-sim run: a simulated VMM serving the VM endpoint. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "fw/fw-sim.h"
#include "fw/mh.h"
#include "sim/sim-vmm.h"
#include "sim.h"
#include "base/util.h"

const char cmd_run_synopsis[] =
	" sevmig-sim run [options] --platform DIR --socket PATH --mem SIZE\n";

static void run_usage(void)
{
	printf("Usage:\n%s", cmd_run_synopsis);
	printf("\nRun a simulated VMM hosting one confidential guest.\n");
	printf("\nOptions:\n");
	printf("     --platform DIR         the simulated host directory\n");
	printf("     --socket PATH          serve the VM endpoint on this unix socket\n");
	printf("     --mem SIZE             guest RAM size (K, M, G suffixes)\n");
	printf("     --mem-split SIZE       RAM beyond SIZE goes at 4 GiB (default 3G)\n");
	printf("     --vcpus N              number of vCPUs (default 1)\n");
	printf("     --policy HEX           guest policy (default 0x1)\n");
	printf("     --es                   an SEV-ES guest (sets policy bit 2)\n");
	printf("     --shared PERCENT       share this percentage of pages (default 10)\n");
	printf("     --zero-shared          leave the shared pages all zero\n");
	printf("     --seed N               seed of the page content (default 1)\n");
	printf("     --no-migration-ready   the guest never declares itself migration-ready\n");
	printf("     --device-state-size N  pad the device state to N bytes\n");
	printf("     --incoming             wait with empty RAM for an import\n");
	printf("     --mh                   a migration helper in the guest (with\n");
	printf("                            --incoming: launched, waits in it)\n");
	printf("     --mh-vcpus N           N helpers, a mailbox each (1-8; sets --mh)\n");
	printf("     --snp                  an SEV-SNP guest with an SVSM (sets --es;\n");
	printf("                            with --incoming: a migration target)\n");
	printf("     --snp-policy HEX       its SNP guest policy (default 0x30000)\n");
	printf("     --svsm-vcpus N         N SVSM threads, a mailbox each (1-8; sets --snp)\n");
	printf("     --owner-session DIR    launch under the owner's session\n");
	printf("                            (DIR/vm_godh.b64, DIR/vm_session.b64)\n");
	printf("     --firmware FILE        measure FILE at launch\n");
	printf("     --await-secret         stay in the launch until the owner\n");
	printf("                            injects a secret or says finish\n");
	printf(" -v, --verbose              more messages (repeat for more)\n");
	printf(" -q, --quiet                report errors only\n");
	printf(" -h, --help                 display this help and exit\n");
	printf(" -V, --version              display version and exit\n");
}

static int bad_value(const char *opt, const char *val)
{
	fprintf(stderr, "%s: invalid %s value '%s'\n", sm_progname, opt, val);
	return sm_cli_sub_try_help("run");
}

/* "ready" on stderr (not under -q): what serves where, with what. */
static void on_ready(void *arg, const char *socket)
{
	const struct sm_sim_vmm_opts *o = arg;

	if (sm_log_level < SM_LOG_WARN)
		return;
	fprintf(stderr,
		"%s: ready: %s VMM on '%s' (platform '%s', %" PRIu64
		" MiB, %u vCPU%s); stop it with sevmig-sim ctl '%s' quit\n",
		sm_progname, o->incoming ? "an incoming" : "a source", socket,
		o->platform_dir, o->mem_size >> 20, o->vcpus ? o->vcpus : 1,
		o->vcpus > 1 ? "s" : "", socket);
}

/* A size that is not whole pages: say so, and the nearest that are. */
static int not_pages(const char *opt, const char *val, uint64_t n)
{
	uint64_t lo = n / 4096 * 4096;

	if (lo)
		fprintf(stderr,
			"%s: invalid %s value '%s': %" PRIu64
			" bytes is not a multiple of 4 KiB (4096 bytes); %" PRIu64
			" or %" PRIu64 " is\n",
			sm_progname, opt, val, n, lo, lo + 4096);
	else
		fprintf(stderr,
			"%s: invalid %s value '%s': %" PRIu64
			" bytes is not a multiple of 4 KiB (4096 bytes); 4K is the least\n",
			sm_progname, opt, val, n);
	return sm_cli_sub_try_help("run");
}

int cmd_run(int argc, char **argv)
{
	enum {
		OPT_PLATFORM = CHAR_MAX + 1,
		OPT_SOCKET,
		OPT_MEM,
		OPT_MEM_SPLIT,
		OPT_VCPUS,
		OPT_POLICY,
		OPT_ES,
		OPT_SHARED,
		OPT_ZERO_SHARED,
		OPT_SEED,
		OPT_NO_READY,
		OPT_DEVSIZE,
		OPT_INCOMING,
		OPT_OWNER_SESSION,
		OPT_FIRMWARE,
		OPT_AWAIT_SECRET,
		OPT_MH,
		OPT_MH_VCPUS,
		OPT_SNP,
		OPT_SNP_POLICY,
		OPT_SVSM_VCPUS,
	};
	static const struct option longopts[] = {
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "mem", required_argument, NULL, OPT_MEM },
		{ "mem-split", required_argument, NULL, OPT_MEM_SPLIT },
		{ "vcpus", required_argument, NULL, OPT_VCPUS },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "es", no_argument, NULL, OPT_ES },
		{ "shared", required_argument, NULL, OPT_SHARED },
		{ "zero-shared", no_argument, NULL, OPT_ZERO_SHARED },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "no-migration-ready", no_argument, NULL, OPT_NO_READY },
		{ "device-state-size", required_argument, NULL, OPT_DEVSIZE },
		{ "incoming", no_argument, NULL, OPT_INCOMING },
		{ "owner-session", required_argument, NULL, OPT_OWNER_SESSION },
		{ "firmware", required_argument, NULL, OPT_FIRMWARE },
		{ "await-secret", no_argument, NULL, OPT_AWAIT_SECRET },
		{ "mh", no_argument, NULL, OPT_MH },
		{ "mh-vcpus", required_argument, NULL, OPT_MH_VCPUS },
		{ "snp", no_argument, NULL, OPT_SNP },
		{ "snp-policy", required_argument, NULL, OPT_SNP_POLICY },
		{ "svsm-vcpus", required_argument, NULL, OPT_SVSM_VCPUS },
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct sm_sim_vmm_opts o = { .vcpus = 1,
				     .policy = 0x1,
				     .shared_pct = 10,
				     .seed = 1,
				     .snp_policy = 0x30000 };
	struct sm_err e;
	struct sm_cli_common co = { 0 };
	int c, rc;
	uint64_t v;

	optind = 0;
	while ((c = getopt_long(argc, argv, "vqhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, run_usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		switch (c) {
		case OPT_PLATFORM:
			o.platform_dir = optarg;
			break;
		case OPT_SOCKET:
			o.socket = optarg;
			break;
		case OPT_MEM:
			if (sm_parse_size(optarg, &o.mem_size) ||
			    o.mem_size == 0)
				return bad_value("--mem", optarg);
			if (o.mem_size % 4096)
				return not_pages("--mem", optarg, o.mem_size);
			break;
		case OPT_MEM_SPLIT:
			if (sm_parse_size(optarg, &o.mem_split) ||
			    o.mem_split == 0 || o.mem_split > (4ull << 30))
				return bad_value("--mem-split", optarg);
			if (o.mem_split % 4096)
				return not_pages("--mem-split", optarg,
						 o.mem_split);
			break;
		case OPT_VCPUS:
			if (sm_parse_uint(optarg, SM_SIM_MAX_VCPUS, &v) ||
			    v == 0)
				return bad_value("--vcpus", optarg);
			o.vcpus = (unsigned)v;
			break;
		case OPT_POLICY:
			if (sm_parse_uint(optarg, UINT32_MAX, &v))
				return bad_value("--policy", optarg);
			o.policy = (uint32_t)v;
			break;
		case OPT_ES:
			o.es = 1;
			break;
		case OPT_SHARED:
			if (sm_parse_uint(optarg, 100, &v))
				return bad_value("--shared", optarg);
			o.shared_pct = (unsigned)v;
			break;
		case OPT_ZERO_SHARED:
			o.zero_shared = 1;
			break;
		case OPT_SEED:
			if (sm_parse_uint(optarg, UINT64_MAX, &o.seed))
				return bad_value("--seed", optarg);
			break;
		case OPT_NO_READY:
			o.no_migration_ready = 1;
			break;
		case OPT_DEVSIZE:
			if (sm_parse_size(optarg, &o.device_state_size))
				return bad_value("--device-state-size", optarg);
			break;
		case OPT_INCOMING:
			o.incoming = 1;
			break;
		case OPT_OWNER_SESSION:
			o.owner_session = optarg;
			break;
		case OPT_FIRMWARE:
			o.firmware = optarg;
			break;
		case OPT_AWAIT_SECRET:
			o.await_secret = 1;
			break;
		case OPT_MH:
			if (!o.mh)
				o.mh = 1;
			break;
		case OPT_MH_VCPUS:
			if (sm_parse_uint(optarg, SM_MH_MAX_HELPERS, &v) ||
			    v == 0)
				return bad_value("--mh-vcpus", optarg);
			o.mh = (unsigned)v;
			break;
		case OPT_SNP:
			o.snp = 1;
			break;
		case OPT_SNP_POLICY:
			if (sm_parse_uint(optarg, UINT64_MAX, &o.snp_policy))
				return bad_value("--snp-policy", optarg);
			o.snp = 1;
			break;
		case OPT_SVSM_VCPUS:
			if (sm_parse_uint(optarg, SM_MH_MAX_HELPERS, &v) ||
			    v == 0)
				return bad_value("--svsm-vcpus", optarg);
			o.svsm_vcpus = (unsigned)v;
			o.snp = 1;
			break;
		default:
			return sm_cli_sub_try_help("run");
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", sm_progname,
			argv[optind]);
		return sm_cli_sub_try_help("run");
	}
	if (!o.platform_dir || !o.socket || !o.mem_size) {
		fprintf(stderr,
			"%s: run needs --platform, --socket and --mem\n",
			sm_progname);
		return sm_cli_sub_try_help("run");
	}
	if (o.snp &&
	    (o.mh || o.owner_session || o.firmware || o.await_secret)) {
		fprintf(stderr,
			"%s: --snp launches its own SVSM and needs no owner; it cannot be combined with --mh, --owner-session, --firmware or --await-secret\n",
			sm_progname);
		return sm_cli_sub_try_help("run");
	}
	if (o.incoming && !o.mh &&
	    (o.owner_session || o.firmware || o.await_secret)) {
		fprintf(stderr,
			"%s: --owner-session, --firmware and --await-secret launch a guest; an --incoming VMM receives one (or, with --mh, is launched to receive one through its helper)\n",
			sm_progname);
		return sm_cli_sub_try_help("run");
	}
	sm_cli_set_verbosity(co.verbose, co.quiet);
	o.on_ready = on_ready;
	o.cb_arg = &o;
	if (sm_sim_vmm_run(&o, &e))
		return sm_cli_close_stdout(sm_cli_report(&e));
	return sm_cli_close_stdout(0);
}
