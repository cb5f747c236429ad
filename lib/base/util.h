/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_UTIL_H
#define SEVMIG_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

#define SM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Read up to len bytes, retrying on EINTR/EAGAIN and short reads (kvmtool
 * read_in_full).  Returns the number of bytes read, which is less than len
 * only at end of file, or -1 with errno set.
 */
ssize_t sm_read_full(int fd, void *buf, size_t len);

/*
 * Write all len bytes or fail.  Returns len, or -1 with errno set.  On a
 * non-blocking fd it waits for room (sm_wait_io).
 */
ssize_t sm_write_full(int fd, const void *buf, size_t len);

/*
 * After EAGAIN on a non-blocking fd: wait in poll(2) until fd is ready
 * for events, rather than retry in a loop.  0 to retry the call, -1 with
 * errno set if poll failed (an interrupted poll also means retry).
 */
int sm_wait_io(int fd, short events);

/*
 * Wait in poll(2) until fd is ready for events or the sm_now() deadline
 * passes: 0 when ready (or its poll reported an error condition on fd),
 * -1 with errno ETIMEDOUT at the deadline or poll's own errno.  EINTR is
 * retried.
 */
int sm_wait_until(int fd, short events, double deadline);

/* Set O_NONBLOCK on fd's file description: 0, or -1 with errno set. */
int sm_set_nonblock(int fd);

/*
 * Read a whole file ("-" is stdin) of at most max bytes into a new buffer
 * the caller frees.  A larger file is an error (SM_EXIT_IO) naming the limit.
 */
int sm_read_file(const char *path, size_t max, uint8_t **out, size_t *outlen,
		 struct sm_err *e);

/*
 * Write buf to path ("-" is stdout) atomically: a temporary file in the
 * same directory, fsync, rename, fsync of the directory.  A partial file is
 * never left behind.
 */
int sm_write_file_atomic(const char *path, const void *buf, size_t len,
			 mode_t mode, struct sm_err *e);

/*
 * An output written completely or not at all.  A regular file (or a new
 * path) is written under a temporary name in the target's directory, with
 * symlinks followed, and renamed into place by sm_out_commit; sm_out_abort
 * removes it.  A path naming an existing device, FIFO or socket (/dev/null,
 * /dev/stdout, a named pipe) is opened and written in place: renaming over
 * it would replace the device node with a regular file.
 */
struct sm_out {
	int fd;
	char *path; /* where the output ends up */
	char *tmp; /* temporary name, NULL when written in place */
	int noreplace; /* commit fails (EEXIST) if path appeared meanwhile */
};

int sm_out_open(struct sm_out *o, const char *path, mode_t mode,
		struct sm_err *e);
/*
 * Refuse (SM_EXIT_USAGE) an output path on whose way lies a symlink, or
 * that ends in a FIFO, device or socket, owned by another user (not the
 * directory's owner) in a directory others can write to (sticky, or group
 * or world writable), much as fs.protected_symlinks and protected_fifos
 * would, and stricter: as root, following it would write wherever that
 * user chose.  sm_out_open calls it; callers that open a FIFO themselves
 * call it first.
 */
int sm_out_check_planted(const char *path, struct sm_err *e);
/*
 * 1 when a and b name the same file: the same inode when both exist, else
 * the same path once the directories are resolved.
 */
int sm_path_same(const char *a, const char *b);
/* fsync, rename into place, fsync the directory; closes fd. */
int sm_out_commit(struct sm_out *o, struct sm_err *e);
/* Close and remove a temporary file; safe after commit or on a zeroed o. */
void sm_out_abort(struct sm_out *o);

/*
 * A 64-bit address or size as the endpoint and the archive write it:
 * "0x" (lowercase, as both specify) and 1 to 16 hex digits of either
 * case.  0, or -1 (also for s NULL).  sm_fmt_hex_u64 writes "0x%" PRIx64 into buf (19 bytes).
 */
int sm_parse_hex_u64(const char *s, uint64_t *v);
void sm_fmt_hex_u64(char buf[19], uint64_t v);

/* Lowercase hex of n bytes into out, which must hold 2n+1 chars. */
void sm_hex_encode(const uint8_t *in, size_t n, char *out);

/*
 * Decode hex (either case, no separators) into out.  Returns the number of
 * bytes, or -1 for odd length, a bad digit or more than max bytes.
 */
ssize_t sm_hex_decode(const char *hex, uint8_t *out, size_t max);

/* Standard base64 with padding; out must hold sm_base64_len(n)+1 chars. */
size_t sm_base64_len(size_t n);
void sm_base64_encode(const uint8_t *in, size_t n, char *out);

/*
 * Decode standard base64 (whitespace ignored, padding required).  Returns
 * the number of bytes or -1 on bad input or more than max bytes.
 */
ssize_t sm_base64_decode(const char *in, uint8_t *out, size_t max);

/*
 * Parse a size: a decimal number with an optional K, M, G or T suffix
 * (powers of 1024, optional trailing "iB" or "B").  Returns 0 or -1.
 */
int sm_parse_size(const char *s, uint64_t *out);

/* Parse an unsigned integer, decimal or 0x-hex, that fits in max. */
int sm_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Overwrite secrets in a way the compiler cannot elide. */
void sm_wipe(void *p, size_t n);

/* Monotonic time in seconds. */
double sm_now(void);

#endif
