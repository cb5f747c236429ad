/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_EXPORT_H
#define SEVMIG_EXPORT_H

/*
 * The export engine behind sevmig-export: verify the target's chain, take
 * a paused guest's encryption context from its VMM, run SEND_START and
 * SEND_UPDATE_DATA for every page, write one archive stream
 * (docs/sevmig-archive.5), then commit (SEND_FINISH, release) or give the
 * guest back (SEND_CANCEL, return-context).
 *
 * The engine is an explicit state machine (enum sm_export_state); every
 * failure unwinds from the state reached, so the source guest is never
 * left without its context and SEND_FINISH runs only after the whole
 * stream was written and flushed (and, with an importer child, after it
 * answered "ready").
 */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "archive/manifest.h"

enum sm_export_state {
	SM_EXP_INIT, /* nothing done */
	SM_EXP_VERIFIED, /* the target chain verified */
	SM_EXP_CONNECTED, /* hello done, guest checked */
	SM_EXP_PAUSED, /* the guest is paused (by us or before) */
	SM_EXP_TAKEN, /* we hold the context, guest RUNNING */
	SM_EXP_SENDING, /* SEND_START done: guest SUPDATE */
	SM_EXP_WRITTEN, /* the whole stream written and flushed */
	SM_EXP_READY, /* the importer answered "ready" */
	SM_EXP_FINISHED, /* SEND_FINISH done: guest SENT */
	SM_EXP_RELEASED, /* the source VMM released its guest */
	SM_EXP_DONE, /* committed (or, --keep-source, handed back) */
};

const char *sm_export_state_name(enum sm_export_state s);

#define SM_EXPORT_STALL_DEFAULT 300.0

/*
 * How private pages cross: auto (the default, 0) takes the guest's
 * migration helper when its VMM's hello says it has one, else the PSP.
 */
enum sm_export_method {
	SM_EXPORT_AUTO,
	SM_EXPORT_PSP,
	SM_EXPORT_MH,
	SM_EXPORT_SVSM
};

struct sm_export_opts {
	const char *vm; /* VM endpoint socket */
	enum sm_export_method method;
	const char *certs; /* target bundle; NULL or "-": stdin */
	const char *ark; /* trusted ARK file; NULL: built-in roots */
	/*
	 * svsm: what the target's report must show; by default the source
	 * guest's own measurement and policy, and at least its TCB.
	 */
	const char *expect_measurement; /* hex, or NULL */
	const char *expect_policy; /* hex, or NULL */
	const char *min_tcb; /* "bl=N,tee=N,...", or NULL */
	const char *output; /* NULL or "-": stdout */
	int force; /* write to a terminal, over a file, into /dev/null */
	const char *exec; /* two-way: importer command, or NULL */
	int keep_source; /* SEND_CANCEL + return-context at the end */
	int dry_run; /* verify and plan, move nothing */
	int assume_all_private; /* guest not migration-ready: all private */
	int progress; /* progress line on stderr */
	uint32_t records_per_chunk; /* 0: SM_CHUNK_DEFAULT_RECORDS */
	/* The trailer digest (default, 0: XXH3-128). */
	enum sm_digest_alg digest;
	double timeout; /* endpoint timeout, seconds; 0: default */
	/*
	 * Give up (and give the guest back) when the output takes no byte,
	 * or a two-way importer does not answer "ready", for this many
	 * seconds; 0: SM_EXPORT_STALL_DEFAULT, < 0: wait for ever.
	 */
	double stall_timeout;
	int sig_fd; /* signalfd for SIGINT/SIGTERM/SIGHUP, or -1 */
	/* Called for each warning as it arises (the engine never prints). */
	void (*on_warning)(void *arg, const char *msg);
	/*
	 * Called after every chunk of pages and once at the end (final):
	 * the caller decides how often to show it (cli/progress.h).
	 */
	void (*on_progress)(void *arg, const struct sm_progress *p);
	void *cb_arg;
};

#define SM_EXPORT_MAX_WARNINGS 8

/*
 * What happened, for --report, --dry-run and the exit message.  Filled as
 * far as the export got, also on failure.
 */
struct sm_export_result {
	enum sm_export_state state; /* the furthest state reached */
	const char *source_state; /* "released", "running", "paused", ... */
	/*
	 * Two-way, what the importer said after "commit": "running" or
	 * "paused" (its --no-resume); NULL when it did not say.
	 */
	const char *target_state;
	struct sm_report report;
	struct sm_layout layout;
	size_t nshared; /* shared regions */
	unsigned mh_helpers; /* the guest's migration helpers (dry run) */
	int planned; /* dry run: the source was looked at, the plan is real */
	/* Dry run with exec: the target, as its importer described it. */
	struct sm_target_check checks[SM_TARGET_MAX_CHECKS];
	size_t nchecks;
	char warn_buf[SM_EXPORT_MAX_WARNINGS][256];
	const char *warnings[SM_EXPORT_MAX_WARNINGS + 1];
	size_t nwarnings;
};

/*
 * Run an export.  Returns 0 when the guest was committed (or with
 * keep_source, written and handed back; with dry_run, verified and
 * planned), -1 with e filled otherwise; in both cases res says how far it
 * got.  Warnings go to o->on_warning as they arise and stay in res.
 * Blocks until the importer (two-way) answers; a signal on sig_fd aborts.
 */
int sm_export(const struct sm_export_opts *o, struct sm_export_result *res,
	      struct sm_err *e);

/*
 * Split a command line into argv without a shell: words separated by
 * blanks, '...' and "..." quoting, backslash escapes outside single
 * quotes.  No expansion of any kind.  *argv (NULL-terminated) and its
 * strings are one malloc'd block the caller frees.  SM_EXIT_USAGE for an
 * empty command or an unterminated quote.
 */
int sm_export_split_command(const char *cmd, char ***argv, struct sm_err *e);

#endif
