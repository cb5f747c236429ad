// SPDX-License-Identifier: MIT
/* sevmig-export: move a paused confidential guest into an archive stream. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/to.h"
#include "engine/export.h"
#include "archive/manifest.h"
#include "base/util.h"

enum {
	OPT_ARK = SM_OPT_LOCAL,
	OPT_FORCE,
	OPT_EXEC,
	OPT_KEEP_SOURCE,
	OPT_DRY_RUN,
	OPT_ASSUME_ALL_PRIVATE,
	OPT_RECORDS_PER_CHUNK,
	OPT_DIGEST,
	OPT_STALL_TIMEOUT,
	OPT_METHOD,
	OPT_TO,
	OPT_EXPECT_MEASUREMENT,
	OPT_EXPECT_POLICY,
	OPT_MIN_TCB,
};

static const struct option longopts[] = {
	{ "certs", required_argument, NULL, 'c' },
	{ "ark", required_argument, NULL, OPT_ARK },
	{ "output", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "exec", required_argument, NULL, OPT_EXEC },
	{ "keep-source", no_argument, NULL, OPT_KEEP_SOURCE },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "assume-all-private", no_argument, NULL, OPT_ASSUME_ALL_PRIVATE },
	{ "records-per-chunk", required_argument, NULL, OPT_RECORDS_PER_CHUNK },
	{ "digest", required_argument, NULL, OPT_DIGEST },
	{ "stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT },
	{ "method", required_argument, NULL, OPT_METHOD },
	{ "to", required_argument, NULL, OPT_TO },
	{ "expect-measurement", required_argument, NULL,
	  OPT_EXPECT_MEASUREMENT },
	{ "expect-policy", required_argument, NULL, OPT_EXPECT_POLICY },
	{ "min-tcb", required_argument, NULL, OPT_MIN_TCB },
	SM_CLI_ENGINE_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	fputs("Usage:\n"
	      " sevmig-export [options] VM\n"
	      " sevmig-export [options] --to ssh://[USER@]HOST[:PORT]/PATH/vm.sock VM\n"
	      "\n"
	      "Move a paused confidential guest into an archive stream.\n"
	      "\n"
	      "Options:\n"
	      "     --to ssh://[USER@]HOST[:PORT]/PATH/vm.sock\n"
	      "                            migrate to that VM: its host's certificates\n"
	      "                            over that ssh, then two-way (--exec)\n"
	      " -c, --certs FILE           the target's certificate bundle (default: stdin)\n"
	      "     --ark FILE             trust this ARK instead of AMD's roots\n"
	      " -o, --output FILE          write the archive to FILE (default: stdout)\n"
	      "     --force                write to a terminal, over an existing file\n"
	      "                            or into /dev/null (releasing the source)\n"
	      "     --exec 'CMD ARGS'      pipe into an importer, commit after its \"ready\"\n"
	      "     --keep-source          give the guest back to the source at the end\n"
	      "     --dry-run              verify and plan, move nothing (with --exec,\n"
	      "                            check the target too)\n"
	      "     --assume-all-private   export a guest that is not migration-ready\n"
	      "     --records-per-chunk N  page records per archive entry (default: 256)\n"
	      "     --digest ALGORITHM     trailer digest: xxh3-128 (default) or sha256\n"
	      "     --method METHOD        psp, mh (the guest's migration helper; no\n"
	      "                            certificates), svsm (an SNP guest's SVSM;\n"
	      "                            the target's bundle from sevmig-certs fetch\n"
	      "                            snp-target:) or auto (default: svsm or mh\n"
	      "                            when the guest has one, else psp)\n"
	      "     --expect-measurement HEX  svsm: the target's measurement\n"
	      "                            (default: the source guest's own)\n"
	      "     --expect-policy HEX    svsm: the target's SNP policy (default: the\n"
	      "                            source guest's own)\n"
	      "     --min-tcb SPEC         svsm: the target's least TCB, bl=N,tee=N,\n"
	      "                            snp=N,ucode=N (default: the source's)\n"
	      "     --report FILE          write a JSON summary to FILE\n"
	      "     --progress[=json[:FD]] show progress on stderr, or as JSON on FD\n"
	      "     --no-progress          do not show progress\n"
	      "     --timeout SECONDS      VM endpoint timeout (default: 30)\n"
	      "     --stall-timeout SECONDS\n"
	      "                            give up when the output takes nothing or the\n"
	      "                            importer does not answer (default: 300; 0: never)\n"
	      " -J, --json                 with --dry-run, print the plan as JSON\n"
	      " -v, --verbose              say more (repeatable)\n"
	      " -q, --quiet                print errors only\n"
	      " -h, --help                 display this help and exit\n"
	      " -V, --version              display version and exit\n",
	      stdout);
}

static void print_plan(const struct sm_export_result *res, int json)
{
	const struct sm_report *r = &res->report;
	struct sm_err e = { 0 };
	char fp[2 * SM_FP_LEN + 1];
	char *out;

	if (json) {
		if (sm_report_encode(r, &out, NULL, &e) == 0) {
			fputs(out, stdout);
			free(out);
		}
		return;
	}
	if (r->method && !strcmp(r->method, "svsm")) {
		printf("method svsm: the guest's SVSM seals its pages, VMSAs and own state for the target whose attestation verified\n");
	} else if (r->method && !strcmp(r->method, "mh")) {
		printf("method mh: the guest's %u migration helper%s seal its pages; no target certificates (the target's helper proves itself by holding the owner's key)\n",
		       res->mh_helpers, res->mh_helpers == 1 ? "" : "s");
	} else {
		sm_hex_encode(r->target_pdh_fp, SM_FP_LEN, fp);
		printf("target PDH %s: chain verified\n", fp);
	}
	printf("guest policy 0x%x, %u vCPU%s%s, %" PRIu64
	       " MiB in %zu range%s, %zu shared region%s\n",
	       r->policy, r->vcpus, r->vcpus == 1 ? "" : "s",
	       r->es ? ", SEV-ES" : "", r->mem_size >> 20, res->layout.nranges,
	       res->layout.nranges == 1 ? "" : "s", res->nshared,
	       res->nshared == 1 ? "" : "s");
	for (size_t i = 0; i < res->nchecks; i++) {
		const struct sm_target_check *c = &res->checks[i];

		printf("[%s] target %s: %s\n", c->ok ? " OK " : "FAIL", c->name,
		       c->found);
		if (!c->ok)
			printf("       fix: %s\n", c->fix);
	}
	printf("would pause it, take its context, %s and send %" PRIu64
	       " pages (%" PRIu64 " private, %" PRIu64
	       " shared, zero or not)%s%s\n",
	       r->method && !strcmp(r->method, "mh")   ? "INIT its helpers" :
	       r->method && !strcmp(r->method, "svsm") ? "start its SVSM" :
							 "SEND_START",
	       r->mem_size / 4096, r->counts.private_pages,
	       r->counts.shared_pages, r->es ? " and the VMSAs" : "",
	       !r->counts.ends ? "" :
	       r->method && !strcmp(r->method, "svsm") ?
				 " and the SVSM's state and END" :
				 " and the helpers' END");
}

/*
 * Where the guest is after a successful export, for the closing line:
 * the source's state (export.c: "released", or "running" or "paused"
 * when --keep-source gave it back) and, two-way, the target's: the
 * importer answered "ready" and exited 0 after "commit", so it holds the
 * guest committed (running unless it was given --no-resume).
 */
static const char *where(const struct sm_export_opts *o,
			 const struct sm_export_result *res, char *buf,
			 size_t len)
{
	if (o->keep_source)
		snprintf(buf, len, "source %s (snapshot)", res->source_state);
	else if (o->exec && res->target_state &&
		 !strcmp(res->target_state, "paused"))
		snprintf(
			buf, len,
			"source %s, target paused (the importer's --no-resume)",
			res->source_state);
	else if (o->exec && res->target_state)
		snprintf(buf, len, "source %s, target running",
			 res->source_state);
	else if (o->exec)
		snprintf(buf, len, "source %s, target committed",
			 res->source_state);
	else if (o->output && strcmp(o->output, "-"))
		snprintf(buf, len,
			 "source %s, the guest is in '%s' until imported",
			 res->source_state, o->output);
	else
		snprintf(buf, len,
			 "source %s, the guest is in the stream until imported",
			 res->source_state);
	return buf;
}

/* SIGINT, SIGTERM and SIGHUP become readable events on a signalfd. */
static int signals_to_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/*
 * Inputs and outputs that cannot work, said before anything is touched:
 * a standard stream the tool was started without, and one output written
 * over another or over the certificate bundle.  0, or 2 once said.
 */
static int check_paths(const struct sm_export_opts *o, const char *report)
{
	const char *certs = o->certs && strcmp(o->certs, "-") ? o->certs : NULL;
	const char *out = o->output && strcmp(o->output, "-") ? o->output :
								NULL;
	const char *why = NULL;

	if (!certs && sm_cli_stdio_closed(STDIN_FILENO))
		why = "standard input is closed: give the certificate bundle with -c FILE";
	else if (!out && !o->exec && !o->dry_run &&
		 sm_cli_stdio_closed(STDOUT_FILENO))
		why = "standard output is closed: name the archive with -o FILE";
	else if (report && !strcmp(report, "-") && !out && !o->exec &&
		 !o->dry_run)
		why = "--report - would mix the report into the archive on standard output";
	else if (out && report && sm_path_same(out, report))
		why = "--report and --output name the same file";
	else if (o->ark && ((out && sm_path_same(o->ark, out)) ||
			    (report && sm_path_same(o->ark, report))))
		why = "--output or --report would overwrite the --ark file";
	else if (certs && out && sm_path_same(certs, out))
		why = "--output would overwrite the certificate bundle (-c)";
	else if (certs && report && sm_path_same(certs, report))
		why = "--report would overwrite the certificate bundle (-c)";
	return why ? sm_cli_usage_error(why) : 0;
}

int main(int argc, char **argv)
{
	struct sm_export_opts o = { 0 };
	struct sm_cli_engine_opts co = { .progress = SM_CLI_PROGRESS_AUTO };
	struct sm_cli_progress pg;
	struct sm_export_result *res;
	struct sm_cli_to to = { 0 };
	const char *to_url = NULL;
	struct sm_err e = { 0 };
	char wbuf[PATH_MAX + 80];
	int c, rc;
	uint64_t n;

	sm_cli_init("sevmig-export");
	o.sig_fd = -1;
	while ((c = getopt_long(argc, argv, "c:o:JvqhV", longopts, NULL)) !=
	       -1) {
		switch (sm_cli_engine_opt(&co, c, optarg, usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		switch (c) {
		case 'c':
			o.certs = optarg;
			break;
		case OPT_ARK:
			o.ark = optarg;
			break;
		case 'o':
			o.output = optarg;
			break;
		case OPT_FORCE:
			o.force = 1;
			break;
		case OPT_EXEC:
			o.exec = optarg;
			break;
		case OPT_KEEP_SOURCE:
			o.keep_source = 1;
			break;
		case OPT_DRY_RUN:
			o.dry_run = 1;
			break;
		case OPT_ASSUME_ALL_PRIVATE:
			o.assume_all_private = 1;
			break;
		case OPT_RECORDS_PER_CHUNK:
			if (sm_parse_uint(optarg, 4096, &n) || n == 0) {
				fprintf(stderr,
					"%s: invalid records per chunk '%s': 1 to 4096\n",
					sm_progname, optarg);
				return sm_cli_try_help();
			}
			o.records_per_chunk = (uint32_t)n;
			break;
		case OPT_DIGEST:
			if (sm_digest_parse_name(optarg, &o.digest)) {
				fprintf(stderr,
					"%s: unknown digest '%s': xxh3-128 or sha256\n",
					sm_progname, optarg);
				return sm_cli_try_help();
			}
			break;
		case OPT_TO:
			to_url = optarg;
			break;
		case OPT_EXPECT_MEASUREMENT:
			o.expect_measurement = optarg;
			break;
		case OPT_EXPECT_POLICY:
			o.expect_policy = optarg;
			break;
		case OPT_MIN_TCB:
			o.min_tcb = optarg;
			break;
		case OPT_METHOD:
			if (!strcmp(optarg, "psp"))
				o.method = SM_EXPORT_PSP;
			else if (!strcmp(optarg, "mh"))
				o.method = SM_EXPORT_MH;
			else if (!strcmp(optarg, "svsm"))
				o.method = SM_EXPORT_SVSM;
			else if (!strcmp(optarg, "auto"))
				o.method = SM_EXPORT_AUTO;
			else {
				fprintf(stderr,
					"%s: unknown method '%s': psp, mh, svsm or auto\n",
					sm_progname, optarg);
				return sm_cli_try_help();
			}
			break;
		case OPT_STALL_TIMEOUT:
			if (sm_parse_uint(optarg, 86400, &n)) {
				fprintf(stderr,
					"%s: invalid stall timeout '%s': 0 to 86400 seconds\n",
					sm_progname, optarg);
				return sm_cli_try_help();
			}
			o.stall_timeout = n ? (double)n : -1;
			break;
		default:
			return sm_cli_try_help();
		}
	}
	o.vm = sm_cli_one_vm(argc, argv);
	if (!o.vm)
		return SM_EXIT_USAGE;
	o.timeout = co.timeout;
	if (to_url && (o.exec || o.output || o.certs || o.keep_source)) {
		fprintf(stderr,
			"%s: --to runs the importer itself, with the certificates it fetches: not with --exec, --output, --certs or --keep-source\n",
			sm_progname);
		return sm_cli_try_help();
	}
	if (o.exec && o.output) {
		fprintf(stderr, "%s: --exec and --output exclude each other\n",
			sm_progname);
		return sm_cli_try_help();
	}
	if (co.com.json && !o.dry_run) {
		fprintf(stderr, "%s: --json needs --dry-run\n", sm_progname);
		return sm_cli_try_help();
	}
	if (o.exec && o.keep_source) {
		fprintf(stderr,
			"%s: --exec and --keep-source exclude each other\n",
			sm_progname);
		return sm_cli_try_help();
	}
	if (co.report && sm_out_check_planted(co.report, &e))
		return sm_cli_report(&e);
	if (check_paths(&o, co.report))
		return SM_EXIT_USAGE;
	sm_cli_set_verbosity(co.com.verbose, co.com.quiet);
	if (co.progress == SM_CLI_PROGRESS_AUTO && co.com.quiet)
		co.progress = SM_CLI_PROGRESS_OFF; /* -q: errors only */
	/* the lead: it takes the terminal before the importer can */
	sm_cli_progress_start(&pg,
			      o.dry_run ? SM_CLI_PROGRESS_OFF : co.progress,
			      co.progress_fd, "pages", 1);
	o.progress = pg.mode != SM_CLI_PROGRESS_OFF;
	o.on_warning = sm_cli_progress_warning;
	o.on_progress = o.progress ? sm_cli_progress_update : NULL;
	o.cb_arg = &pg;
	o.sig_fd = signals_to_fd();
	if (to_url) {
		if (sm_cli_to_prepare(to_url, &to, &e)) {
			sm_cli_to_cleanup(&to);
			sm_cli_progress_end(&pg);
			if (o.sig_fd >= 0)
				close(o.sig_fd);
			return sm_cli_report(&e);
		}
		o.certs = to.bundle;
		o.exec = to.exec;
		if (to.sim && !o.ark) {
			o.ark = to.bundle;
			pr_warn("--to: the target is a simulated host: its own ARK, fetched over ssh, is trusted (no AMD root signs it)");
		}
		pr_info("--to: importer: %s", to.exec);
	}

	res = calloc(1, sizeof(*res));
	if (!res) {
		sm_cli_progress_end(&pg);
		fprintf(stderr, "%s: out of memory\n", sm_progname);
		return SM_EXIT_FAILURE;
	}
	rc = sm_export(&o, res, &e);
	sm_cli_progress_end(&pg);
	if (rc && o.dry_run && res->planned) {
		/* the plan and its checks on stdout first, then the error */
		print_plan(res, co.com.json);
		fflush(stdout);
		res->planned = 0;
	}
	rc = rc ? sm_cli_report(&e) : 0;
	/* A dry run that reached the target shows its checks, also failed. */
	if (o.dry_run && res->planned)
		print_plan(res, co.com.json);
	if (rc == 0 && !o.dry_run)
		sm_cli_closing_line(&res->report,
				    where(&o, res, wbuf, sizeof(wbuf)));
	rc = sm_cli_finish_report(co.report, &res->report, rc);
	sm_cli_to_cleanup(&to);
	free(res);
	if (o.sig_fd >= 0)
		close(o.sig_fd);
	return sm_cli_close_stdout(rc);
}
