/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_CLI_PROGRESS_H
#define SEVMIG_CLI_PROGRESS_H

/*
 * Progress of sevmig-export and sevmig-import: the engines call
 * sm_cli_progress_update after every chunk of pages; this module decides
 * when to show it, and how (sevmig-export(1), --progress and PROGRESS
 * ON A SHARED TERMINAL).
 *
 * When: every SM_CLI_PROGRESS_INTERVAL seconds while pages move, at every
 * SM_CLI_PROGRESS_STEP percent, and once at the end.
 *
 * How: a line on the terminal (fd 2), redrawn in place with one write(2)
 * per update, so that it is flushed each time and never split; or, with
 * --progress=json[:FD], one JSON object per line on FD (default 2),
 * schema sevmig-progress/1.
 *
 * One terminal, one line: a process drawing on a terminal holds an
 * exclusive flock(2) on its own open of that terminal (ttyname of fd 2).
 * Locks on separate opens of one device node conflict, so a second sevmig
 * process whose stderr is the same terminal finds it held and stays quiet,
 * unless --progress asked it to draw.  The exporter takes the lock before
 * it moves anything (lead); the importer tries at its first update, which
 * comes after the exporter's first bytes, so in `export | import` and in
 * --exec the exporter draws and the importer is quiet.  Processes that
 * reach one terminal through different nodes (/dev/tty and /dev/pts/N)
 * are not told apart; nor is an importer behind ssh -t.
 */

#include <stddef.h>

#include "archive/manifest.h"

#define SM_CLI_PROGRESS_INTERVAL 0.25
#define SM_CLI_PROGRESS_STEP 5

/* What --progress, --no-progress or neither asked for. */
enum sm_cli_progress_mode {
	SM_CLI_PROGRESS_AUTO = -1, /* a line when stderr is a terminal */
	SM_CLI_PROGRESS_OFF = 0, /* --no-progress */
	SM_CLI_PROGRESS_LINE = 1, /* --progress: a line, terminal or not */
	SM_CLI_PROGRESS_JSON = 2, /* --progress=json[:FD] */
};

struct sm_cli_progress {
	int mode; /* enum sm_cli_progress_mode, resolved: OFF, LINE, JSON */
	int asked; /* --progress given: draw even beside another process */
	int fd; /* where updates go */
	const char *unit; /* "pages", "records" */
	int lock_fd; /* our open of the terminal, locked; -1 */
	int decided; /* the terminal lock was tried */
	int seen; /* an update was shown */
	double last; /* its time (sm_progress.seconds) */
	unsigned last_pct;
	size_t width; /* length of the line drawn, to blank its tail */
	int open; /* a line is drawn without its newline */
	int broken; /* fd failed: nothing more is written */
};

/*
 * Parse the argument of --progress (NULL: none): NULL is LINE, "json" is
 * JSON on fd 2, "json:FD" JSON on FD.  FD must be an open descriptor other
 * than 0 and 1 (stdin and stdout carry the archive or the importer's
 * answers), open for writing.  Returns 0, or -1 with the reason in why.
 */
int sm_cli_progress_parse(const char *arg, int *mode, int *fd, char *why,
			  size_t why_len);

/*
 * Resolve mode and fd (as parsed; mode AUTO: a line when fd 2 is a
 * terminal) into p.  lead: take the terminal now (the exporter); else at
 * the first update.  Never fails: a terminal that cannot be locked is
 * drawn on.
 */
void sm_cli_progress_start(struct sm_cli_progress *p, int mode, int fd,
			   const char *unit, int lead);

/* The engines' on_progress callback; arg is the struct sm_cli_progress. */
void sm_cli_progress_update(void *arg, const struct sm_progress *u);

/* The engines' on_warning callback: ends a drawn line first. */
void sm_cli_progress_warning(void *arg, const char *msg);

/*
 * After the engine returned: ends a line left open (a failure stopped it
 * before its last update) and releases the terminal.
 */
void sm_cli_progress_end(struct sm_cli_progress *p);

/*
 * The text of one update, for tests: the line (no \r, no newline) or the
 * JSON object (no newline), from tool, unit and u.  Returns its length.
 */
size_t sm_cli_progress_format(char *buf, size_t len, int json, const char *tool,
			      const char *unit, const struct sm_progress *u);

#endif
