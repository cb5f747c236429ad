/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_IMPORT_H
#define SEVMIG_IMPORT_H

/*
 * The import engine behind sevmig-import: read an archive stream
 * (docs/sevmig-archive.5), check everything it can before the target's
 * firmware sees anything, receive every page through RECEIVE_UPDATE_DATA
 * (private) or directly (shared), verify the trailer, and only then run
 * RECEIVE_FINISH, hand the context to the incoming VMM and resume.
 *
 * An explicit state machine (enum sm_import_state).  Any failure before
 * RECEIVE_FINISH leaves the target not resumed and discards the
 * half-received context (ours); the claimed VMM clears what it was
 * given and waits again.  From RECEIVE_FINISH on the context is never
 * discarded: a one-way exporter may have released the source already,
 * so the importer hands it to the VMM whatever happens (waiting for a
 * slow one, with SIGINT/SIGTERM/SIGHUP held back meanwhile) and, when it
 * cannot go on, leaves the target holding the guest paused and says how
 * to resume it.  Two-way, the guest is adopted "uncommitted" and resumes
 * only after "commit".
 */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "archive/manifest.h"

enum sm_import_state {
	SM_IMP_INIT,
	SM_IMP_MANIFEST, /* manifest read and valid */
	SM_IMP_CONNECTED, /* target hello matches the manifest */
	SM_IMP_HEADER, /* source PDH, session, shared list valid */
	SM_IMP_STARTED, /* RECEIVE_START done: context RUPDATE */
	SM_IMP_PAGES, /* every record received */
	SM_IMP_LOADED, /* device state loaded into the VMM */
	SM_IMP_VERIFIED, /* trailer counts and digest match */
	SM_IMP_FINISHED, /* RECEIVE_FINISH done */
	SM_IMP_ADOPTED, /* the incoming VMM holds the context */
	SM_IMP_READY, /* --ack: "ready" sent */
	SM_IMP_COMMITTED, /* --ack: "commit" received */
	SM_IMP_DONE, /* resumed (or left paused: --no-resume) */
};

const char *sm_import_state_name(enum sm_import_state s);

struct sm_import_opts {
	const char *vm; /* incoming VM endpoint; ignored with check */
	const char *input; /* NULL or "-": stdin */
	int check; /* no VM: validate the archive only */
	int no_resume; /* leave the target paused at the end */
	int ack; /* two-way: "ready" on ack_fd, then "commit" */
	int ack_fd; /* where "ready" goes (stdout) */
	double timeout; /* endpoint timeout, seconds; 0: default */
	/* The replay journal (replay.h): NULL for the default directory. */
	const char *state_dir;
	int allow_replay; /* import an archive imported here before */
	void (*on_warning)(void *arg, const char *msg);
	void (*on_progress)(void *arg, const struct sm_progress *p);
	void *cb_arg;
};

struct sm_import_result {
	enum sm_import_state state; /* the furthest state reached */
	/*
	 * "untouched", "not resumed" (failed before RECEIVE_FINISH: waits
	 * again), "paused" (holds the guest), "uncommitted" (holds it,
	 * resumes only when forced), "running", "lost" (RECEIVE_FINISH ran
	 * but no VMM would take the guest).
	 */
	const char *target_state;
	/*
	 * The input was a dry run's probe (engine/probe.h), not an archive:
	 * the target was described on ack_fd, and nothing else done.
	 */
	int probed;
	struct sm_manifest manifest; /* valid from SM_IMP_MANIFEST */
	struct sm_report report;
	char warn_buf[4][256];
	const char *warnings[5];
	size_t nwarnings;
};

/*
 * Run an import (or, with check, a validation).  0 on success, -1 with e
 * filled (the message names the entry, record index and GPA where it
 * applies); res says how far it got either way.  Blocks reading the
 * stream; with ack, also until "commit" or the end of the stream.
 */
int sm_import(const struct sm_import_opts *o, struct sm_import_result *res,
	      struct sm_err *e);

#endif
