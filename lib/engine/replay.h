/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_REPLAY_H
#define SEVMIG_REPLAY_H

/*
 * The replay journal of an importing host: which archives were imported
 * already, so the same stream is not restored a second time into another
 * VMM (a second running copy of the guest) by mistake.  Firmware cannot
 * stop that: a SEND stream is accepted by any RECEIVE_START on the
 * platform it was made for.  This is a guard against mishaps on one
 * host, not a security boundary (whoever owns the host owns the journal),
 * and it cannot see imports on other hosts: docs/sevmig-import.1 says so.
 *
 * An archive is named by the SHA-256 of its session blob (unique per
 * SEND_START, and fixed by the firmware's MAC).  One file per archive in
 * DIR/imported/, locked with flock(2) while an import of it is under way:
 *
 *   receiving <pid> <vm>     an import is under way (or died: unlocked)
 *   imported <time> <vm>     a VMM adopted the guest
 *
 * No outside dependency.
 */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SM_REPLAY_ID_LEN 32

struct sm_replay;

/*
 * The journal directory: $SEVMIG_STATE_DIR, else /var/lib/sevmig for
 * root, else $XDG_STATE_HOME/sevmig or ~/.local/state/sevmig.  NULL when
 * none can be named (no HOME).
 */
const char *sm_replay_default_dir(char *buf, size_t len);

/*
 * Before the target's firmware sees the archive: refuse (SM_EXIT_VERIFY)
 * an archive imported before or being imported right now by another
 * process, unless allow_replay; then record "receiving" and keep the
 * entry locked.  *out is NULL (and a warning in *warn, else "") when the
 * journal cannot be used (directory not writable): the import goes on
 * unguarded.
 */
int sm_replay_begin(const char *dir, const uint8_t id[SM_REPLAY_ID_LEN],
		    const char *vm, int allow_replay, struct sm_replay **out,
		    char *warn, size_t warn_len, struct sm_err *e);

/* A VMM adopted the guest: the entry says "imported" from now on. */
int sm_replay_commit(struct sm_replay *r, struct sm_err *e);

/* The guest was dropped again (discarded): as if never committed. */
void sm_replay_undo(struct sm_replay *r);

/*
 * The import ended: unlock.  An entry still "receiving" (the import
 * failed before any VMM held the guest) is removed, so the archive may be
 * imported again.  NULL is fine.
 */
void sm_replay_end(struct sm_replay *r);

#endif
