// SPDX-License-Identifier: MIT
/* sevmig-import: move a guest from an archive stream into a waiting VM. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "engine/import.h"
#include "archive/manifest.h"
#include "base/util.h"

enum {
	OPT_CHECK = SM_OPT_LOCAL,
	OPT_ACK,
	OPT_NO_RESUME,
	OPT_ALLOW_REPLAY,
};

static const struct option longopts[] = {
	{ "input", required_argument, NULL, 'i' },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "ack", no_argument, NULL, OPT_ACK },
	{ "no-resume", no_argument, NULL, OPT_NO_RESUME },
	{ "allow-replay", no_argument, NULL, OPT_ALLOW_REPLAY },
	SM_CLI_ENGINE_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	fputs("Usage:\n"
	      " sevmig-import [options] VM\n"
	      " sevmig-import --check [options]\n"
	      "\n"
	      "Move a guest from an archive stream into a waiting VM.\n"
	      "\n"
	      "Options:\n"
	      " -i, --input FILE       read the archive from FILE (default: stdin)\n"
	      "     --check            validate the archive only, without a VM\n"
	      "     --ack              answer \"ready\", resume only after \"commit\"\n"
	      "                        (its closing line only with -v)\n"
	      "     --no-resume        leave the guest paused at the end\n"
	      "     --report FILE      write a JSON summary to FILE\n"
	      "     --progress[=json[:FD]]\n"
	      "                        show progress on stderr (also beside an\n"
	      "                        exporter's), or as JSON on FD\n"
	      "     --no-progress      do not show progress\n"
	      "     --timeout SECONDS  VM endpoint timeout (default: 30)\n"
	      "     --allow-replay     import an archive this host imported before\n"
	      " -J, --json             with --check, print the result as JSON\n"
	      " -v, --verbose          say more (repeatable)\n"
	      " -q, --quiet            print errors only\n"
	      " -h, --help             display this help and exit\n"
	      " -V, --version          display version and exit\n",
	      stdout);
}

static void print_check(const struct sm_report *r, int json, int quiet)
{
	struct sm_err e = { 0 };
	char digest[SM_DIGEST_TEXT_MAX];
	char *out;

	if (json) {
		if (sm_report_encode(r, &out, NULL, &e) == 0) {
			fputs(out, stdout);
			free(out);
		}
		return;
	}
	if (quiet)
		return;
	sm_digest_format(&r->digest, digest);
	printf("valid: policy 0x%x, %u vCPU%s%s, %" PRIu64 " MiB; %" PRIu64
	       " records (%" PRIu64 " private, %" PRIu64 " shared, %" PRIu64
	       " zero, %" PRIu64 " vmsa) in %" PRIu64 " chunks; %s\n",
	       r->policy, r->vcpus, r->vcpus == 1 ? "" : "s",
	       r->es ? ", SEV-ES" : "", r->mem_size >> 20, r->records,
	       r->counts.private_pages, r->counts.shared_pages,
	       r->counts.zero_pages, r->counts.vmsas, r->chunks, digest);
}

/*
 * Where the guest is after a successful import, for the closing line
 * (import.c: "running", or "paused" with --no-resume).
 */
static const char *where(const struct sm_import_opts *o,
			 const struct sm_import_result *res)
{
	int running = !strcmp(res->target_state, "running");

	if (o->ack)
		return running ?
			       "target running, committed by the exporter" :
			       "target paused (--no-resume), committed by the exporter";
	return running ? "target running" : "target paused (--no-resume)";
}

/*
 * A standard stream the tool was started without, and a report written
 * over the archive it reads, refused before anything is touched.  0, or 2
 * once said.
 */
static int check_paths(const struct sm_import_opts *o, const char *report)
{
	const char *in = o->input && strcmp(o->input, "-") ? o->input : NULL;
	const char *why = NULL;

	if (!in && sm_cli_stdio_closed(STDIN_FILENO))
		why = "standard input is closed: name the archive with -i FILE";
	else if (!in && isatty(STDIN_FILENO))
		why = "standard input is a terminal: sevmig-import reads the archive there; pipe it in (sevmig-export ... | sevmig-import VM) or give -i FILE";
	else if (o->ack && sm_cli_stdio_closed(STDOUT_FILENO))
		why = "standard output is closed: --ack answers \"ready\" there";
	else if (o->ack && report && !strcmp(report, "-"))
		why = "--report - would mix the report into the \"ready\" answers on standard output";
	else if (in && report && sm_path_same(in, report))
		why = "--report would overwrite the archive (-i)";
	return why ? sm_cli_usage_error(why) : 0;
}

int main(int argc, char **argv)
{
	struct sm_import_opts o = { 0 };
	struct sm_cli_engine_opts co = { .progress = SM_CLI_PROGRESS_AUTO };
	struct sm_cli_progress pg;
	struct sm_import_result *res;
	struct sm_err e = { 0 };
	int c, rc;

	sm_cli_init("sevmig-import");
	while ((c = getopt_long(argc, argv, "i:JvqhV", longopts, NULL)) != -1) {
		switch (sm_cli_engine_opt(&co, c, optarg, usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		switch (c) {
		case 'i':
			o.input = optarg;
			break;
		case OPT_CHECK:
			o.check = 1;
			break;
		case OPT_ACK:
			o.ack = 1;
			break;
		case OPT_NO_RESUME:
			o.no_resume = 1;
			break;
		case OPT_ALLOW_REPLAY:
			o.allow_replay = 1;
			break;
		default:
			return sm_cli_try_help();
		}
	}
	if (o.check) {
		if (optind != argc) {
			fprintf(stderr, "%s: --check takes no VM\n",
				sm_progname);
			return sm_cli_try_help();
		}
		if (o.ack || o.no_resume) {
			fprintf(stderr,
				"%s: --ack and --no-resume need a VM, not --check\n",
				sm_progname);
			return sm_cli_try_help();
		}
	} else {
		o.vm = sm_cli_one_vm(argc, argv);
		if (!o.vm)
			return SM_EXIT_USAGE;
		if (co.com.json) {
			fprintf(stderr, "%s: --json needs --check\n",
				sm_progname);
			return sm_cli_try_help();
		}
	}
	o.timeout = co.timeout;
	if (co.report && sm_out_check_planted(co.report, &e))
		return sm_cli_report(&e);
	if (check_paths(&o, co.report))
		return SM_EXIT_USAGE;
	sm_cli_set_verbosity(co.com.verbose, co.com.quiet);
	if (co.progress == SM_CLI_PROGRESS_AUTO && co.com.quiet)
		co.progress = SM_CLI_PROGRESS_OFF; /* -q: errors only */
	/* not the lead: quiet where an exporter draws (cli/progress.h) */
	sm_cli_progress_start(&pg, co.progress, co.progress_fd, "records", 0);
	o.on_warning = sm_cli_progress_warning;
	o.on_progress =
		pg.mode != SM_CLI_PROGRESS_OFF ? sm_cli_progress_update : NULL;
	o.cb_arg = &pg;
	/* --ack: stdout is the answer channel to the exporter. */
	o.ack_fd = STDOUT_FILENO;

	res = calloc(1, sizeof(*res));
	if (!res) {
		sm_cli_progress_end(&pg);
		fprintf(stderr, "%s: out of memory\n", sm_progname);
		return SM_EXIT_FAILURE;
	}
	rc = sm_import(&o, res, &e);
	sm_cli_progress_end(&pg);
	rc = rc ? sm_cli_report(&e) : 0;
	if (rc == 0 && o.check)
		print_check(&res->report, co.com.json, co.com.quiet);
	/*
	 * Two-way (--ack) the exporter's closing line says where the guest
	 * is, on the same terminal: this one only when asked (-v).
	 */
	if (rc == 0 && !o.check && !res->probed && (!o.ack || co.com.verbose))
		sm_cli_closing_line(&res->report, where(&o, res));
	rc = sm_cli_finish_report(co.report, &res->report, rc);
	free(res);
	return sm_cli_close_stdout(rc);
}
