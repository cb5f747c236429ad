/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_CHUNKQ_H
#define SEVMIG_CHUNKQ_H

/*
 * The overlap of sevmig-export's page loop (issue 13): the firmware
 * thread (the caller) seals one chunk of page records into a slot while
 * a writer thread hands the previous one to the archive (digest and
 * output).  On real hardware the PSP call is the ceiling; everything
 * sevmig adds then hides behind it.
 *
 * Two slots, written strictly in the order they were filled: the writer
 * never reorders chunks.  After a failure nothing more is written: a
 * writer that fails takes no further slot (the next sm_chunkq_get says
 * why); a producer that fails calls sm_chunkq_abort, after which the
 * write function is never called again, and one already running sees
 * sm_chunkq_aborted between its slices.  Both end with the writer joined,
 * so nothing is written once sm_chunkq_finish or sm_chunkq_abort returns.
 */

#include <stddef.h>
#include <stdint.h>

#include "archive/format.h"
#include "base/err.h"

struct sm_chunkq_slot {
	uint8_t *data; /* cap bytes */
	size_t cap, len; /* len: what the producer filled */
	char name[SM_CHUNK_NAME_MAX]; /* the archive entry */
	uint64_t pages; /* page records in it */
};

struct sm_chunkq;

/* Write slot s (the writer thread).  0, or -1 with e set. */
typedef int (*sm_chunkq_write_fn)(void *arg, struct sm_chunkq *q,
				  const struct sm_chunkq_slot *s,
				  struct sm_err *e);

/* Start the writer thread with two slots of cap bytes each. */
int sm_chunkq_start(struct sm_chunkq **q, size_t cap, sm_chunkq_write_fn fn,
		    void *arg, struct sm_err *e);
/*
 * The next slot to fill, emptied (len 0); waits while both slots are
 * written or queued.  NULL once the writer failed, with its error in e.
 */
struct sm_chunkq_slot *sm_chunkq_get(struct sm_chunkq *q, struct sm_err *e);
/* Queue the slot sm_chunkq_get returned last. */
void sm_chunkq_put(struct sm_chunkq *q);
/* No more slots: wait until every queued one is written.  0, or -1 with
 * the writer's error. */
int sm_chunkq_finish(struct sm_chunkq *q, struct sm_err *e);
/* The producer failed: write nothing more, and wait for the writer. */
void sm_chunkq_abort(struct sm_chunkq *q);
/* For a write function between slices: 1 once sm_chunkq_abort ran. */
int sm_chunkq_aborted(struct sm_chunkq *q);
/* Slots written so far (any thread). */
uint64_t sm_chunkq_written(struct sm_chunkq *q);
/*
 * Seconds the producer waited for a free slot (the output was slower)
 * and the writer waited for a filled one (the firmware was slower).
 * Valid after sm_chunkq_finish or sm_chunkq_abort.
 */
void sm_chunkq_waits(const struct sm_chunkq *q, double *producer,
		     double *writer);
/* Free; stops and joins the writer first if it still runs. */
void sm_chunkq_free(struct sm_chunkq *q);

#endif
