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

#include "archive/digest.h"
#include "base/err.h"

/* "libarchive X.Y.Z" of the library actually linked. */
const char *sm_archive_lib_version(void);

struct sm_archive_w;
struct sm_archive_r;

/* Writer on fd (not closed by the writer). */
int sm_archive_w_open(int fd, struct sm_archive_w **w, struct sm_err *e);
/* One entry whose size is known: begin, data (any number of calls), end. */
int sm_archive_w_begin(struct sm_archive_w *w, const char *name, uint64_t size,
		       struct sm_err *e);
int sm_archive_w_data(struct sm_archive_w *w, const void *buf, size_t len,
		      struct sm_err *e);
int sm_archive_w_end(struct sm_archive_w *w, struct sm_err *e);
/* A whole small entry in one call. */
int sm_archive_w_entry(struct sm_archive_w *w, const char *name,
		       const void *buf, size_t len, struct sm_err *e);
/* End-of-archive and flush; a write error (EPIPE, ENOSPC) is SM_EXIT_IO. */
int sm_archive_w_close(struct sm_archive_w *w, struct sm_err *e);
/* Free; a writer not closed writes nothing more (no end marker). */
void sm_archive_w_free(struct sm_archive_w *w);

/*
 * The entry digest (archive/digest.h): a hash over every entry so far,
 * each as its name, a NUL byte, its size as le64, then its data.  Reader
 * and writer compute it the same way, so the trailer can carry the digest
 * of everything before it.  A writer hashes with SHA-256 unless told
 * otherwise before its first entry (sm_archive_w_set_digest).  A reader
 * runs every algorithm until sm_archive_r_keep_digest names the one the
 * archive uses (its manifest, the first entry, says which).  Take the
 * digest between entries (writer) or right after sm_archive_r_next
 * returned the entry that carries it, before reading it (reader); that
 * entry and later ones are not covered.  Works once per handle.
 */
int sm_archive_w_set_digest(struct sm_archive_w *w, enum sm_digest_alg alg,
			    struct sm_err *e);
int sm_archive_w_digest(struct sm_archive_w *w, struct sm_digest_value *out,
			struct sm_err *e);
/*
 * Optional wait hook, called whenever the fd would block (EAGAIN on a
 * non-blocking fd or a socket, which is always written with MSG_DONTWAIT)
 * and, on a blocking fd, before every write(2) too (a blocking pipe is
 * then written a page at a time, so no write(2) can sleep once the hook
 * saw room): it may poll the fd and
 * other things (a signalfd) and returns 0 to go on, or -1 with e filled
 * to abort the write; that error is what the failing sm_archive_w_* call
 * then reports.
 */
typedef int (*sm_archive_wait_fn)(void *arg, int fd, struct sm_err *e);
void sm_archive_w_set_wait(struct sm_archive_w *w, sm_archive_wait_fn fn,
			   void *arg);
/* Bytes handed to write(2) so far. */
uint64_t sm_archive_w_bytes(const struct sm_archive_w *w);

/* Reader on fd.  A truncated or malformed stream is SM_EXIT_IO. */
int sm_archive_r_open(int fd, struct sm_archive_r **r, struct sm_err *e);
/*
 * Next entry: 1 with *name (valid until the next call) and *size, 0 at
 * the end of the archive, -1 on error.  Names that are absolute, contain
 * "..", or are not regular files are refused (SM_EXIT_VERIFY).  What the
 * caller did not read of the previous entry is read (and digested) first.
 * Never reads past the end-of-archive blocks a writer sent last unless
 * more bytes are already in the pipe, so a peer can wait for an answer
 * after sending the end of the archive.
 */
int sm_archive_r_next(struct sm_archive_r *r, const char **name, uint64_t *size,
		      struct sm_err *e);
/* Read exactly len bytes of the current entry (short: SM_EXIT_IO). */
int sm_archive_r_read(struct sm_archive_r *r, void *buf, size_t len,
		      struct sm_err *e);
void sm_archive_r_keep_digest(struct sm_archive_r *r, enum sm_digest_alg alg);
int sm_archive_r_digest(struct sm_archive_r *r, enum sm_digest_alg alg,
			struct sm_digest_value *out, struct sm_err *e);
/*
 * After sm_archive_r_next returned 0: copy into buf (at most max bytes)
 * what was read from the fd beyond the end-of-archive blocks, if it is
 * still at hand, and return how many bytes that is.  A peer that writes
 * more after the archive (sevmig-import --ack's "commit") is read on
 * from there.
 */
size_t sm_archive_r_leftover(struct sm_archive_r *r, void *buf, size_t max);
/* Bytes read(2) from the fd so far (libarchive reads ahead). */
uint64_t sm_archive_r_bytes(const struct sm_archive_r *r);
/*
 * Seconds spent in read(2) so far, waiting for input included (on a
 * non-blocking fd the reader polls rather than spins): a slow peer or
 * network shows up here rather than as archive work.
 */
double sm_archive_r_read_seconds(const struct sm_archive_r *r);
void sm_archive_r_free(struct sm_archive_r *r);

#endif
