/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer harnesses (tests/fuzz/fuzz-*.c).  Header-only so
 * each harness stays one translation unit, as the Makefile links them.
 *
 * A harness must neither leak nor hang on any input: everything it
 * allocates is freed before LLVMFuzzerTestOneInput returns, and anything
 * that could block is bounded.  A broken contract of the library (an
 * error without a message, an exit class a function may not return, a
 * round trip that does not give back what went in) is reported with
 * fz_fail(), which aborts so libFuzzer keeps the input.
 */
#ifndef SEVMIG_FUZZ_COMMON_H
#define SEVMIG_FUZZ_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((format(printf, 1, 2), noreturn)) static inline void
fz_fail(const char *fmt, ...)
{
	va_list ap;

	/* fd 2 itself: stderr may point at /dev/null (fz_quiet) */
	dprintf(2, "fuzz: contract broken: ");
	va_start(ap, fmt);
	vdprintf(2, fmt, ap);
	va_end(ap);
	dprintf(2, "\n");
	abort();
}

/*
 * Every failure carries a message and one of the classes the caller
 * allows (a bit mask of 1 << SM_EXIT_*).
 */
static inline void fz_check_err(const struct sm_err *e, unsigned classes,
				const char *what)
{
	if ((int)e->code < 0 || e->code > SM_EXIT_UNSUPPORTED ||
	    !(classes & (1u << e->code)))
		fz_fail("%s: exit class %d not allowed (%s)", what,
			(int)e->code, e->msg);
	if (!e->msg[0] || !memchr(e->msg, '\0', sizeof(e->msg)))
		fz_fail("%s: failure without a message", what);
	if (getenv("FUZZ_VERBOSE"))
		dprintf(2, "%s: %s (exit class %d)\n", what, e->msg,
			(int)e->code);
}

#define FZ(c) (1u << (c))

/*
 * Run the library with every log level on, but into /dev/null: the debug
 * and trace paths (and their format arguments) get exercised without
 * slowing the fuzzer down with output.  libFuzzer and the sanitizers
 * write through their own handles, so their reports still show.  With
 * FUZZ_VERBOSE set in the environment the log (and every failure a
 * harness checks) goes to stderr instead, to see what an input does.
 */
static FILE *fz_null;
static FILE *fz_saved_stderr;

static inline void fz_log_init(void)
{
	fz_null = fopen("/dev/null", "w");
	if (!fz_null)
		fz_fail("cannot open /dev/null");
	sm_log_level = SM_LOG_TRACE;
	sm_progname = "fuzz";
}

static inline void fz_quiet(void)
{
	fz_saved_stderr = stderr;
	if (!getenv("FUZZ_VERBOSE"))
		stderr = fz_null;
}

static inline void fz_loud(void)
{
	fflush(fz_null);
	stderr = fz_saved_stderr;
}

/*
 * Open descriptors of this process, to check that a harness run leaks
 * none (a descriptor received over a socket and then forgotten).
 */
static inline int fz_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		fz_fail("cannot list /proc/self/fd: %s", strerror(errno));
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own */
}

/*
 * Scripted peers of the socket protocols take their input as frames:
 *
 *   ctl (1 byte)  bit 7: which connection (harnesses with two), bits 0-4:
 *                 how many descriptors ride with the frame (SCM_RIGHTS,
 *                 copies of one the harness chose; up to 31, beyond the
 *                 protocol's limit of 16)
 *   length (4 bytes, big-endian) and that many bytes of body, sent as
 *                 they are, length included; a short input sends what
 *                 is left
 *
 * so the bytes on the wire are the endpoint framing (4-byte length, JSON)
 * and a frame can carry descriptors the way the protocol passes them.
 */
struct fz_frame {
	unsigned conn, nfds;
	const uint8_t *bytes; /* length header and body */
	size_t len;
	int whole; /* the body is all there */
};

/* The next frame of the n bytes at p (0 when none is left). */
static inline int fz_next_frame(const uint8_t **p, size_t *n,
				struct fz_frame *f)
{
	uint32_t blen;

	if (*n < 1)
		return 0;
	f->conn = (*p)[0] >> 7;
	f->nfds = (*p)[0] & 31;
	f->bytes = *p + 1;
	f->whole = 0;
	if (*n < 5) {
		f->len = *n - 1;
	} else {
		blen = (uint32_t)(*p)[1] << 24 | (uint32_t)(*p)[2] << 16 |
		       (uint32_t)(*p)[3] << 8 | (*p)[4];
		f->whole = blen <= *n - 5;
		f->len = 4 + (f->whole ? blen : *n - 5);
	}
	*p += 1 + f->len;
	*n -= 1 + f->len;
	return 1;
}

/*
 * sendmsg of len bytes, the first carrying nfds copies of fd.  Returns
 * what sendmsg returned (errno kept).
 */
static inline ssize_t fz_send_fds(int sock, const void *buf, size_t len,
				  unsigned nfds, int fd, int flags)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 31)];
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh;
	struct cmsghdr *cm;
	unsigned i;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds && len) {
		if (nfds > 31)
			nfds = 31;
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		for (i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(cm) + i * sizeof(int), &fd,
			       sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL | flags);
}

/*
 * Receive what arrived into buf (cap bytes; NULL: drop it), closing any
 * descriptors after writing feed bytes into each (a pipe the peer waits
 * to read from).  -1 when nothing is there yet, 0 at EOF or on an error.
 */
static inline ssize_t fz_drain(int sock, size_t feed, uint8_t *buf, size_t cap)
{
	static const uint8_t junk[4096];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 64)];
	} ctl;
	char sink[4096];
	struct iovec iov = { buf ? (void *)buf : sink,
			     buf ? cap : sizeof(sink) };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;
	size_t i, k;
	int fd;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -1 : 0;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
			if (feed) {
				int fl = fcntl(fd, F_GETFL);

				if (fl >= 0 && (fl & O_ACCMODE) != O_RDONLY &&
				    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 &&
				    write(fd, junk,
					  feed < sizeof(junk) ?
						  feed :
						  sizeof(junk)) < 0)
					errno = 0; /* a full pipe: fine */
			}
			close(fd);
		}
	}
	return n;
}

/*
 * A scripted peer (a VMM for the endpoint client): accept one connection
 * on lfd, send the frames of data (with copies of fd as they say), read
 * and drop what the other side sends, shut down writing once all is sent
 * and return at its EOF.  A thread function; arg is a struct fz_peer.
 */
struct fz_peer {
	int lfd, fd;
	double timeout; /* the client's; waits are bounded by it */
	const uint8_t *data;
	size_t size;
};

static inline void *fz_peer_serve(void *arg)
{
	const struct fz_peer *p = arg;
	const uint8_t *in = p->data;
	size_t left = p->size, off = 0;
	struct fz_frame f = { 0, 0, NULL, 0, 0 };
	struct pollfd pf = { .fd = p->lfd, .events = POLLIN };
	int fd, have = 0, shut = 0;
	ssize_t n;

	if (poll(&pf, 1, 2 * (int)p->timeout * 1000) != 1)
		fz_fail("the client never connected");
	fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		fz_fail("accept: %s", strerror(errno));
	for (;;) {
		if (!have && !shut) {
			have = fz_next_frame(&in, &left, &f);
			off = 0;
			if (!have) {
				shutdown(fd, SHUT_WR);
				shut = 1;
			}
		}
		pf = (struct pollfd){ .fd = fd,
				      .events = POLLIN | (have ? POLLOUT : 0) };
		if (poll(&pf, 1, 4 * (int)p->timeout * 1000) != 1)
			fz_fail("the client neither reads nor closes");
		if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = fz_drain(fd, 0, NULL, 0);
			if (n == 0)
				break;
		}
		if (have && (pf.revents & POLLOUT)) {
			n = fz_send_fds(fd, f.bytes + off, f.len - off,
					off ? 0 : f.nfds, p->fd, MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				break; /* the client closed */
			if (n > 0)
				off += (size_t)n;
			if (off == f.len)
				have = 0;
		}
	}
	close(fd);
	return NULL;
}

#endif
