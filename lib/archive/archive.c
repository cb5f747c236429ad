// SPDX-License-Identifier: MIT
/*
 * The sevmig archive as a pax stream over a file descriptor (libarchive).
 *
 * Why our own read and write callbacks instead of archive_*_open_fd: we
 * keep the errno of a failed write (EPIPE, ENOSPC) to classify it, we
 * never let libarchive seek or skip on a regular file, and the last block
 * is never padded, so a pipe and a file get the same bytes.
 *
 * Both sides also keep a running SHA-256 over the entries (see
 * sm_archive_w_digest) so the trailer can carry a digest of everything
 * before it without either side seeing raw tar bytes.
 */
#include "archive/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "base/bytes.h"
#include "base/log.h"
#include "base/util.h"

/*
 * Pipe writes stay at or below 64 KiB (the default Linux pipe capacity),
 * and a block is the only buffer the writer holds.
 */
#define BLOCK_SIZE (64u * 1024u)
#define NAME_MAX_LEN 255u

struct sm_archive_w {
	struct archive *a;
	struct archive_entry *ent;
	int fd;
	int sock; /* fd is a socket: every send is MSG_DONTWAIT */
	int nonblock; /* writes cannot block: wait only on EAGAIN */
	int fifo_block; /* a blocking pipe: with a wait hook, page writes */
	int wr_errno; /* errno of the last failed write(2) */
	int in_entry;
	uint64_t size, done; /* of the current entry */
	char name[NAME_MAX_LEN + 1];
	struct sm_digest *dg; /* NULL once the digest was taken */
	int started; /* an entry was begun: the digest is chosen */
	uint64_t written; /* bytes handed to write(2) */
	sm_archive_wait_fn wait;
	void *wait_arg;
	int wait_failed;
	struct sm_err wait_err;
	int closed; /* sm_archive_w_close succeeded */
	int discard; /* being freed unclosed: write nothing more */
};

struct sm_archive_r {
	struct archive *a;
	int fd;
	int rd_errno;
	int in_entry;
	int pending_frame; /* framing of the current entry not hashed */
	int at_end;
	uint64_t size, done;
	char name[NAME_MAX_LEN + 1];
	/*
	 * Every algorithm runs until the caller names the archive's (from
	 * its manifest, the first entry) with sm_archive_r_keep_digest.
	 */
	struct sm_digest *dg[SM_DIGEST_COUNT];
	int digest_taken;
	uint8_t buf[BLOCK_SIZE];
	size_t last; /* bytes of the last read(2), still in buf */
	uint64_t consumed; /* bytes read(2) from fd */
	double t_read; /* seconds spent in read(2) and waiting for input */
};

const char *sm_archive_lib_version(void)
{
	return archive_version_string();
}

/*
 * The digest framing of one entry: name, NUL, size as le64.  Data follows.
 */
static int hash_frame(struct sm_digest *dg, const char *name, uint64_t size)
{
	uint8_t le[8];

	sm_put_le64(le, size);
	if (sm_digest_update(dg, name, strlen(name) + 1) ||
	    sm_digest_update(dg, le, sizeof(le)))
		return -1;
	return 0;
}

/* ---- writer ---- */

static la_ssize_t w_write_cb(struct archive *a, void *client, const void *buf,
			     size_t len)
{
	struct sm_archive_w *w = client;
	const uint8_t *p = buf;
	size_t done = 0;
	int need_wait = !w->nonblock;
	/*
	 * A blocking pipe that has room (POLLOUT: a free page) takes a
	 * page without blocking, but a 64 KiB write may sleep in write(2)
	 * for ever if the reader stops, out of the wait hook's reach: so a
	 * page at a time, each after the hook.  Slower; only for a pipe
	 * the caller could not make non-blocking.
	 */
	int paged = w->fifo_block && w->wait;

	if (w->discard) {
		archive_set_error(a, ECANCELED, "archive abandoned");
		return -1;
	}
	while (done < len) {
		size_t want = len - done;
		ssize_t n;

		if (paged && want > PIPE_BUF)
			want = PIPE_BUF;
		if (need_wait && w->wait &&
		    w->wait(w->wait_arg, w->fd, &w->wait_err)) {
			w->wait_failed = 1;
			archive_set_error(a, EINTR, "%s", w->wait_err.msg);
			return -1;
		}
		need_wait = paged;
		/*
		 * A socket never blocks here, whatever its file flags, so a
		 * stalled peer leaves the wait hook in charge (signals).
		 */
		if (w->sock)
			n = send(w->fd, p + done, want,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(w->fd, p + done, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				need_wait = 1;
				continue;
			}
			w->wr_errno = errno;
			archive_set_error(a, w->wr_errno, "%s",
					  strerror(w->wr_errno));
			return -1;
		}
		done += (size_t)n;
		w->written += (uint64_t)n;
	}
	return (la_ssize_t)len;
}

void sm_archive_w_set_wait(struct sm_archive_w *w, sm_archive_wait_fn fn,
			   void *arg)
{
	w->wait = fn;
	w->wait_arg = arg;
}

static int w_fail(struct sm_archive_w *w, struct sm_err *e, const char *what)
{
	if (w->wait_failed) {
		*e = w->wait_err;
		return -1;
	}
	if (w->wr_errno) {
		if (w->wr_errno == EPIPE)
			return sm_err_set(e, SM_EXIT_IO,
					  "%s: output closed early", what);
		return sm_err_errno(e, SM_EXIT_IO, w->wr_errno, "%s", what);
	}
	return sm_err_set(e, SM_EXIT_IO, "%s: %s", what,
			  archive_error_string(w->a) ?
				  archive_error_string(w->a) :
				  "unknown libarchive error");
}

int sm_archive_w_open(int fd, struct sm_archive_w **wp, struct sm_err *e)
{
	struct sm_archive_w *w;

	w = calloc(1, sizeof(*w));
	if (!w)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "cannot allocate archive writer");
	w->fd = fd;
	{
		struct stat st;
		int fl = fcntl(fd, F_GETFL);
		int st_ok = fstat(fd, &st) == 0;

		w->sock = st_ok && S_ISSOCK(st.st_mode);
		w->nonblock = w->sock || (fl >= 0 && (fl & O_NONBLOCK));
		w->fifo_block = st_ok && S_ISFIFO(st.st_mode) && !w->nonblock;
	}
	if (sm_digest_new(SM_DIGEST_SHA256, &w->dg, e))
		goto err_free;
	w->a = archive_write_new();
	w->ent = archive_entry_new();
	if (!w->a || !w->ent) {
		sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
			     "cannot allocate archive writer");
		goto err_free;
	}
	if (archive_write_set_format_pax(w->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->a, BLOCK_SIZE) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK) {
		sm_err_set(e, SM_EXIT_FAILURE, "cannot set up pax writer: %s",
			   archive_error_string(w->a));
		goto err_free;
	}
	if (archive_write_open(w->a, w, NULL, w_write_cb, NULL) != ARCHIVE_OK) {
		w_fail(w, e, "cannot open archive for writing");
		goto err_free;
	}
	*wp = w;
	return 0;

err_free:
	sm_archive_w_free(w);
	return -1;
}

int sm_archive_w_begin(struct sm_archive_w *w, const char *name, uint64_t size,
		       struct sm_err *e)
{
	if (w->in_entry)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "archive entry '%s' not ended", w->name);
	if (strlen(name) > NAME_MAX_LEN || size > INT64_MAX)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "invalid archive entry '%s'", name);
	archive_entry_clear(w->ent);
	archive_entry_set_pathname(w->ent, name);
	archive_entry_set_filetype(w->ent, AE_IFREG);
	archive_entry_set_perm(w->ent, 0600);
	archive_entry_set_size(w->ent, (la_int64_t)size);
	archive_entry_set_mtime(w->ent, 0, 0);
	archive_entry_set_uid(w->ent, 0);
	archive_entry_set_gid(w->ent, 0);
	if (archive_write_header(w->a, w->ent) != ARCHIVE_OK)
		return w_fail(w, e, "writing archive");
	if (w->dg && hash_frame(w->dg, name, size))
		return sm_err_set(e, SM_EXIT_FAILURE, "digest failed");
	w->started = 1;
	strcpy(w->name, name);
	w->size = size;
	w->done = 0;
	w->in_entry = 1;
	return 0;
}

int sm_archive_w_data(struct sm_archive_w *w, const void *buf, size_t len,
		      struct sm_err *e)
{
	const uint8_t *p = buf;

	if (!w->in_entry)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "archive data outside an entry");
	if (len > w->size - w->done)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "archive entry '%s' overflows its size %llu",
				  w->name, (unsigned long long)w->size);
	if (w->dg && sm_digest_update(w->dg, buf, len))
		return sm_err_set(e, SM_EXIT_FAILURE, "digest failed");
	while (len > 0) {
		la_ssize_t n = archive_write_data(w->a, p, len);

		if (n <= 0)
			return w_fail(w, e, "writing archive");
		p += n;
		len -= (size_t)n;
		w->done += (uint64_t)n;
	}
	return 0;
}

int sm_archive_w_end(struct sm_archive_w *w, struct sm_err *e)
{
	if (!w->in_entry)
		return sm_err_set(e, SM_EXIT_FAILURE, "no archive entry open");
	if (w->done != w->size)
		return sm_err_set(
			e, SM_EXIT_FAILURE,
			"archive entry '%s' short: %llu of %llu bytes", w->name,
			(unsigned long long)w->done,
			(unsigned long long)w->size);
	if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
		return w_fail(w, e, "writing archive");
	w->in_entry = 0;
	return 0;
}

int sm_archive_w_entry(struct sm_archive_w *w, const char *name,
		       const void *buf, size_t len, struct sm_err *e)
{
	if (sm_archive_w_begin(w, name, len, e) ||
	    (len && sm_archive_w_data(w, buf, len, e)) ||
	    sm_archive_w_end(w, e))
		return -1;
	return 0;
}

int sm_archive_w_set_digest(struct sm_archive_w *w, enum sm_digest_alg alg,
			    struct sm_err *e)
{
	struct sm_digest *dg;

	if (w->started || !w->dg)
		return sm_err_set(
			e, SM_EXIT_FAILURE,
			"archive digest chosen after the first entry");
	if (sm_digest_new(alg, &dg, e))
		return -1;
	sm_digest_free(w->dg);
	w->dg = dg;
	return 0;
}

int sm_archive_w_digest(struct sm_archive_w *w, struct sm_digest_value *out,
			struct sm_err *e)
{
	int rc;

	if (w->in_entry || !w->dg)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "archive digest not available here");
	rc = sm_digest_final(w->dg, out);
	sm_digest_free(w->dg);
	w->dg = NULL;
	if (rc)
		return sm_err_set(e, SM_EXIT_FAILURE, "digest failed");
	return 0;
}

int sm_archive_w_close(struct sm_archive_w *w, struct sm_err *e)
{
	if (w->in_entry)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "archive entry '%s' not ended", w->name);
	/* archive_write_close writes the end marker and the last block. */
	if (archive_write_close(w->a) != ARCHIVE_OK)
		return w_fail(w, e, "writing archive");
	w->closed = 1;
	return 0;
}

uint64_t sm_archive_w_bytes(const struct sm_archive_w *w)
{
	return w->written;
}

void sm_archive_w_free(struct sm_archive_w *w)
{
	if (!w)
		return;
	/*
	 * An archive that was not closed is abandoned: no end-of-archive
	 * marker, so a cut stream never looks like a complete tar.
	 */
	w->discard = !w->closed;
	if (w->a)
		archive_write_free(w->a);
	archive_entry_free(w->ent);
	sm_digest_free(w->dg);
	free(w);
}

/* ---- reader ---- */

static la_ssize_t r_read_cb(struct archive *a, void *client, const void **buf)
{
	struct sm_archive_r *r = client;
	double t = sm_now();
	ssize_t n;

	for (;;) {
		n = read(r->fd, r->buf, sizeof(r->buf));
		if (n >= 0)
			break;
		/* A non-blocking input: wait for it rather than spin. */
		if (errno == EINTR ||
		    (errno == EAGAIN && sm_wait_io(r->fd, POLLIN) == 0))
			continue;
		r->rd_errno = errno;
		r->t_read += sm_now() - t;
		archive_set_error(a, r->rd_errno, "%s", strerror(r->rd_errno));
		return -1;
	}
	r->t_read += sm_now() - t;
	r->consumed += (uint64_t)n;
	r->last = (size_t)n;
	*buf = r->buf;
	return n;
}

static int r_fail(struct sm_archive_r *r, struct sm_err *e, const char *what)
{
	const char *msg = archive_error_string(r->a);

	if (r->rd_errno)
		return sm_err_errno(e, SM_EXIT_IO, r->rd_errno, "%s", what);
	/* Usually the writer failed before its first byte: say so plainly. */
	if (r->consumed == 0)
		return sm_err_set(e, SM_EXIT_IO, "%s: the input is empty",
				  what);
	/*
	 * libarchive gives no reason for some malformed input (a GNU sparse
	 * map that does not parse, for one): say what we know.
	 */
	return sm_err_set(
		e, SM_EXIT_IO, "%s: %s", what,
		msg && *msg ?
			msg :
			"libarchive stopped without a reason (a malformed header, a sparse map or another tar extension sevmig never writes)");
}

int sm_archive_r_open(int fd, struct sm_archive_r **rp, struct sm_err *e)
{
	struct sm_archive_r *r;
	int i;

	r = calloc(1, sizeof(*r));
	if (!r)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "cannot allocate archive reader");
	r->fd = fd;
	for (i = 0; i < SM_DIGEST_COUNT; i++)
		if (sm_digest_new((enum sm_digest_alg)i, &r->dg[i], e))
			goto err_free;
	r->a = archive_read_new();
	if (!r->a) {
		sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
			     "cannot allocate archive reader");
		goto err_free;
	}
	/* tar only (pax is a tar dialect), no compression filters. */
	if (archive_read_support_format_tar(r->a) != ARCHIVE_OK) {
		sm_err_set(e, SM_EXIT_FAILURE, "cannot set up pax reader: %s",
			   archive_error_string(r->a));
		goto err_free;
	}
	if (archive_read_open(r->a, r, NULL, r_read_cb, NULL) != ARCHIVE_OK) {
		r_fail(r, e, "reading archive");
		goto err_free;
	}
	*rp = r;
	return 0;

err_free:
	sm_archive_r_free(r);
	return -1;
}

/*
 * Entry names are fixed by the format; anything that looks like a path a
 * careless extractor could follow is refused: absolute names, "." or ".."
 * components, empty components, and bytes outside a small safe set.
 */
static int name_ok(const char *name)
{
	const char *p = name, *comp = name;
	size_t len = strlen(name);

	if (len == 0 || len > NAME_MAX_LEN || name[0] == '/' ||
	    name[len - 1] == '/')
		return 0;
	for (;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - comp);

			if (n == 0 || (n == 1 && comp[0] == '.') ||
			    (n == 2 && comp[0] == '.' && comp[1] == '.'))
				return 0;
			if (*p == '\0')
				return 1;
			comp = p + 1;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		      *p == '_'))
			return 0;
	}
}

static int flush_frame(struct sm_archive_r *r, struct sm_err *e)
{
	int i;

	if (r->pending_frame)
		for (i = 0; i < SM_DIGEST_COUNT; i++)
			if (r->dg[i] && hash_frame(r->dg[i], r->name, r->size))
				return sm_err_set(e, SM_EXIT_FAILURE,
						  "digest failed");
	r->pending_frame = 0;
	return 0;
}

/* Read and hash what is left of the current entry. */
static int drain(struct sm_archive_r *r, struct sm_err *e)
{
	uint8_t buf[16384];

	while (r->in_entry && r->done < r->size) {
		uint64_t left = r->size - r->done;
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);

		if (sm_archive_r_read(r, buf, n, e))
			return -1;
	}
	return flush_frame(r, e);
}

int sm_archive_r_next(struct sm_archive_r *r, const char **name, uint64_t *size,
		      struct sm_err *e)
{
	struct archive_entry *ent;
	const char *pn;
	int rc;

	if (r->at_end)
		return 0;
	if (r->in_entry && drain(r, e))
		return -1;
	r->in_entry = 0;
	rc = archive_read_next_header(r->a, &ent);
	if (rc == ARCHIVE_EOF) {
		/*
		 * libarchive takes a stream that stops after an entry, or
		 * after one zero block, as complete.  Not here: a writer
		 * sends both zero blocks last, and a stream cut anywhere
		 * before them (a killed exporter, the end taken back by one)
		 * must never import.
		 */
		int64_t at = archive_read_header_position(r->a);
		int64_t pos = archive_filter_bytes(r->a, 0);

		if (at < 0 || pos < at || pos - at < 2 * 512)
			return sm_err_set(
				e, SM_EXIT_IO,
				"the archive ends without its end-of-archive marker (truncated stream)");
		r->at_end = 1;
		return 0;
	}
	if (rc != ARCHIVE_OK)
		return r_fail(r, e, "reading archive");
	pn = archive_entry_pathname(ent);
	if (!pn)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "archive entry without a name");
	if (!name_ok(pn))
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"refusing archive entry '%.300s': not a plain relative name",
			pn);
	if (archive_entry_filetype(ent) != AE_IFREG)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"refusing archive entry '%s': not a regular file", pn);
	if (!archive_entry_size_is_set(ent) || archive_entry_size(ent) < 0)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "archive entry '%s' has no size", pn);
	/*
	 * A sparse entry (GNU or pax sparse headers) reads back its holes as
	 * zeros: a few KiB could stand for gigabytes.  sevmig never writes
	 * one.
	 */
	if (archive_entry_sparse_count(ent) > 0)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "refusing archive entry '%s': sparse", pn);
	strcpy(r->name, pn);
	r->size = (uint64_t)archive_entry_size(ent);
	r->done = 0;
	r->in_entry = 1;
	r->pending_frame = 1;
	*name = r->name;
	*size = r->size;
	return 1;
}

int sm_archive_r_read(struct sm_archive_r *r, void *buf, size_t len,
		      struct sm_err *e)
{
	uint8_t *p = buf;
	int i;

	if (!r->in_entry)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "archive read outside an entry");
	if (len > r->size - r->done)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"archive entry '%s' too short: need %zu more bytes, %llu left",
			r->name, len, (unsigned long long)(r->size - r->done));
	if (flush_frame(r, e))
		return -1;
	while (len > 0) {
		la_ssize_t n = archive_read_data(r->a, p, len);

		if (n < 0)
			return r_fail(r, e, "reading archive");
		if (n == 0)
			return sm_err_set(
				e, SM_EXIT_IO,
				"reading archive: entry '%s' truncated at %llu of %llu bytes",
				r->name, (unsigned long long)r->done,
				(unsigned long long)r->size);
		for (i = 0; i < SM_DIGEST_COUNT; i++)
			if (r->dg[i] &&
			    sm_digest_update(r->dg[i], p, (size_t)n))
				return sm_err_set(e, SM_EXIT_FAILURE,
						  "digest failed");
		p += n;
		len -= (size_t)n;
		r->done += (uint64_t)n;
	}
	return 0;
}

void sm_archive_r_keep_digest(struct sm_archive_r *r, enum sm_digest_alg alg)
{
	int i;

	for (i = 0; i < SM_DIGEST_COUNT; i++)
		if (i != (int)alg) {
			sm_digest_free(r->dg[i]);
			r->dg[i] = NULL;
		}
}

int sm_archive_r_digest(struct sm_archive_r *r, enum sm_digest_alg alg,
			struct sm_digest_value *out, struct sm_err *e)
{
	int rc, i;

	if (alg >= SM_DIGEST_COUNT || !r->dg[alg] || r->digest_taken ||
	    (r->in_entry && !r->pending_frame))
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "archive digest not available here");
	rc = sm_digest_final(r->dg[alg], out);
	for (i = 0; i < SM_DIGEST_COUNT; i++) {
		sm_digest_free(r->dg[i]);
		r->dg[i] = NULL;
	}
	r->digest_taken = 1;
	r->pending_frame = 0;
	if (rc)
		return sm_err_set(e, SM_EXIT_FAILURE, "digest failed");
	return 0;
}

size_t sm_archive_r_leftover(struct sm_archive_r *r, void *buf, size_t max)
{
	int64_t pos;
	uint64_t extra;

	if (!r->at_end)
		return 0;
	/* Filter 0 of a stream without compression is the client's. */
	pos = archive_filter_bytes(r->a, 0);
	if (pos < 0 || (uint64_t)pos > r->consumed)
		return 0;
	extra = r->consumed - (uint64_t)pos;
	if (extra == 0 || extra > r->last || extra > max)
		return 0;
	memcpy(buf, r->buf + r->last - extra, (size_t)extra);
	return (size_t)extra;
}

uint64_t sm_archive_r_bytes(const struct sm_archive_r *r)
{
	return r->consumed;
}

double sm_archive_r_read_seconds(const struct sm_archive_r *r)
{
	return r->t_read;
}

void sm_archive_r_free(struct sm_archive_r *r)
{
	int i;

	if (!r)
		return;
	if (r->a)
		archive_read_free(r->a);
	for (i = 0; i < SM_DIGEST_COUNT; i++)
		sm_digest_free(r->dg[i]);
	free(r);
}
