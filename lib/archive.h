/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_ARCHIVE_H
#define SEVMIG_ARCHIVE_H

/*
 * The sevmig archive as a POSIX pax stream over a file descriptor, written
 * once and read once, never seeking, in bounded memory.  Entry names,
 * mtimes (0), owners (0) and modes (0600) are fixed so the same input
 * gives the same bytes.  This module knows pax, not what the entries mean
 * (manifest.h, records.h).  Outside dependency: libarchive.
 */

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* "libarchive X.Y.Z" of the library actually linked. */
const char *sm_archive_lib_version(void);

struct sm_archive_w;
struct sm_archive_r;

/* Writer on fd (not closed by the writer). */
int sm_archive_w_open(int fd, struct sm_archive_w **w, struct sm_err *e);
/* One entry whose size is known: begin, data (any number of calls), end. */
int sm_archive_w_begin(struct sm_archive_w *w, const char *name,
		       uint64_t size, struct sm_err *e);
int sm_archive_w_data(struct sm_archive_w *w, const void *buf, size_t len,
		      struct sm_err *e);
int sm_archive_w_end(struct sm_archive_w *w, struct sm_err *e);
/* A whole small entry in one call. */
int sm_archive_w_entry(struct sm_archive_w *w, const char *name,
		       const void *buf, size_t len, struct sm_err *e);
/* End-of-archive and flush; a write error (EPIPE, ENOSPC) is SM_EXIT_IO. */
int sm_archive_w_close(struct sm_archive_w *w, struct sm_err *e);
void sm_archive_w_free(struct sm_archive_w *w);

/* Reader on fd.  A truncated or malformed stream is SM_EXIT_IO. */
int sm_archive_r_open(int fd, struct sm_archive_r **r, struct sm_err *e);
/*
 * Next entry: 1 with *name (valid until the next call) and *size, 0 at
 * the end of the archive, -1 on error.  Names that are absolute, contain
 * "..", or are not regular files are refused (SM_EXIT_VERIFY).
 */
int sm_archive_r_next(struct sm_archive_r *r, const char **name,
		      uint64_t *size, struct sm_err *e);
/* Read exactly len bytes of the current entry (short: SM_EXIT_IO). */
int sm_archive_r_read(struct sm_archive_r *r, void *buf, size_t len,
		      struct sm_err *e);
void sm_archive_r_free(struct sm_archive_r *r);

#endif
