// SPDX-License-Identifier: MIT
/*
 * The export's output side: the sink the archive goes to (stdout, -o FILE
 * or FIFO, refusals of sinks that keep nothing), the --exec importer (its
 * command line, spawning, its "ready"), waiting on any of them without
 * blocking signals, and the one-way settle (the reader must take the whole
 * stream before the source is finished, else the rest is taken back).
 */
#include "engine/export.h"
#include "engine/export-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archive/archive.h"
#include "archive/format.h"
#include "base/bytes.h"
#include "certs/bundle.h"
#include "certs/cert.h"
#include "endpoint/endpoint.h"
#include "engine/method.h"
#include "fw/fw.h"
#include "base/log.h"
#include "archive/records.h"
#include "base/transport.h"
#include "base/util.h"

/* ---- waiting without blocking signals ---- */

/*
 * Wait until fd is ready for events, a signal arrives (error), or
 * timeout_ms passes (returns 0 with *ready = 0).  Time spent is I/O wait.
 */
int exp_wait_fd(struct exp *x, int fd, short events, int timeout_ms, int *ready,
		struct sm_err *e)
{
	struct pollfd p[2];
	double t = sm_now();
	int n = 1, rc;

	p[0].fd = fd;
	p[0].events = events;
	p[0].revents = 0;
	if (x->o->sig_fd >= 0) {
		p[1].fd = x->o->sig_fd;
		p[1].events = POLLIN;
		p[1].revents = 0;
		n = 2;
	}
	do
		rc = poll(p, (nfds_t)n, timeout_ms);
	while (rc < 0 && errno == EINTR);
	x->t_io += sm_now() - t;
	if (rc < 0)
		return sm_err_errno(e, SM_EXIT_IO, errno, "poll failed");
	if (n == 2 && (p[1].revents & POLLIN) && exp_check_signal(x, e))
		return -1;
	*ready = rc > 0 && p[0].revents != 0;
	return 0;
}

/* --stall-timeout in milliseconds for poll(2); -1: for ever. */
static int stall_ms(const struct exp *x)
{
	double s = x->o->stall_timeout;

	if (s < 0)
		return -1;
	if (s == 0)
		s = SM_EXPORT_STALL_DEFAULT;
	return s * 1000 < INT_MAX ? (int)(s * 1000) : INT_MAX;
}

/*
 * Wait until fd is ready for events (0, *ready = 1), a signal arrives
 * (-1), or the stall timeout passes (0, *ready = 0).
 */
int exp_wait_stall(struct exp *x, int fd, short events, int *ready,
		   struct sm_err *e)
{
	int ms = stall_ms(x);
	double end = sm_now() + ms / 1000.0;

	*ready = 0;
	for (;;) {
		double left = end - sm_now();

		if (ms >= 0 && left <= 0)
			return 0;
		if (exp_wait_fd(x, fd, events,
				ms < 0 ? -1 : (int)(left * 1000) + 1, ready, e))
			return -1;
		if (*ready)
			return 0;
	}
}

/*
 * The archive's wait hook: block for room in the output, a signal, or
 * the stall timeout (the reader took nothing for that long).
 */
int exp_out_wait(void *arg, int fd, struct sm_err *e)
{
	struct exp *x = arg;
	int ready = 0, ms = stall_ms(x), rc;
	double t = sm_now();

	rc = exp_wait_stall(x, fd, POLLOUT, &ready, e);
	x->t_out_wait += sm_now() - t;
	if (rc)
		return -1;
	if (!ready)
		return sm_err_set(
			e, SM_EXIT_IO,
			"the output took nothing for %d s (--stall-timeout): the reader, pipe or network is stuck",
			ms / 1000);
	return 0;
}

/*
 * Writes to the output must never block: the signals that should stop
 * us (SIGINT...) only arrive on a signalfd we poll, and a stuck reader
 * would otherwise hold the guest paused for ever.  A pipe we did not
 * create is opened again through /proc (a file description of our own,
 * so O_NONBLOCK does not reach whoever shares the original); when that
 * is not possible (another user's pipe, no /proc) the archive writer
 * writes the blocking pipe a page at a time, each after a poll.
 */
static void out_nonblock(struct exp *x)
{
	char path[64];
	struct stat st;
	int fd;

	if (x->own_out || x->have_file) {
		(void)sm_set_nonblock(x->out_fd);
		return;
	}
	if (fstat(x->out_fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", x->out_fd);
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		pr_info("cannot open the output pipe again non-blocking (%s): writing it a page at a time",
			strerror(errno));
		return;
	}
	x->out_fd = fd;
	x->own_out = 1;
}

/* ---- command splitting and the importer child ---- */

int sm_export_split_command(const char *cmd, char ***argvp, struct sm_err *e)
{
	size_t len = strlen(cmd), nwords = 0;
	char **argv, *buf, *out;
	const char *p = cmd;
	int in_word = 0;

	/* Worst case: every other byte starts a word. */
	argv = malloc((len / 2 + 2) * sizeof(char *) + len + 1);
	if (!argv)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "cannot split command");
	buf = (char *)(argv + len / 2 + 2);
	out = buf;
	while (*p) {
		if (*p == ' ' || *p == '\t' || *p == '\n') {
			if (in_word) {
				*out++ = '\0';
				in_word = 0;
			}
			p++;
			continue;
		}
		if (!in_word) {
			argv[nwords++] = out;
			in_word = 1;
		}
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++)
				*out++ = *p;
			if (!*p)
				goto err_quote;
			p++;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				*out++ = *p;
			}
			if (!*p)
				goto err_quote;
			p++;
		} else if (*p == '\\' && p[1]) {
			*out++ = p[1];
			p += 2;
		} else {
			*out++ = *p++;
		}
	}
	if (in_word)
		*out++ = '\0';
	if (nwords == 0) {
		free(argv);
		return sm_err_set(e, SM_EXIT_USAGE, "empty --exec command");
	}
	argv[nwords] = NULL;
	*argvp = argv;
	return 0;

err_quote:
	free(argv);
	return sm_err_set(e, SM_EXIT_USAGE,
			  "unterminated quote in --exec command '%s'", cmd);
}

/*
 * Start the importer (lib/base/transport.h: no shell, default signal
 * dispositions and an empty mask in the child): its stdin is the stream
 * (our out_fd), its stdout the acknowledgement channel (our ack_fd), its
 * stderr ours.
 */
static int spawn_importer(struct exp *x, struct sm_err *e)
{
	char **argv = NULL;
	int rc;

	if (sm_export_split_command(x->o->exec, &argv, e))
		return -1;
	rc = sm_child_spawn((const char *const *)argv,
			    SM_CHILD_PIPE_STDIN | SM_CHILD_PIPE_STDOUT,
			    &x->child, e);
	free(argv);
	if (rc)
		return sm_err_prefix(e, "--exec");
	/* Fewer wakeups; failure only costs speed. */
	(void)fcntl(x->child->in, F_SETPIPE_SZ, PIPE_SIZE);
	x->out_fd = x->child->in;
	x->ack_fd = x->child->out;
	(void)sm_set_nonblock(x->out_fd);
	return 0;
}

/* Reap the child, waiting at most timeout seconds; 1 if it exited. */
int exp_reap(struct exp *x, double timeout, int *status)
{
	struct sm_err e2;

	if (!x->child || sm_child_wait(x->child, timeout, status, &e2))
		return 0;
	return 1;
}

/* Give a failed importer a moment to say why, then stop it. */
void exp_stop_child(struct exp *x)
{
	int status;

	if (!x->child)
		return;
	/* An unfinished stream ends here: the importer sees it cut. */
	sm_child_close_stdin(x->child);
	exp_reap(x, 2.0, &status);
	sm_child_free(x->child);
	x->child = NULL;
	x->out_fd = -1;
	x->ack_fd = -1;
}

/*
 * Two-way: wait for "ready\n" on the importer's stdout.  0 and *ready = 1
 * when it came; 0 and *ready = 0 when the importer closed it or said
 * something else (msg says what); -1 on a signal.
 */
int exp_wait_ready(struct exp *x, int *ready, char *msg, size_t msglen,
		   struct sm_err *e)
{
	char buf[ACK_MAX];
	size_t have = 0;

	*ready = 0;
	for (;;) {
		int ok = 0;
		ssize_t n;

		if (exp_wait_stall(x, x->ack_fd, POLLIN, &ok, e))
			return -1;
		if (!ok) {
			snprintf(
				msg, msglen,
				"the importer did not answer \"ready\" within %d s (--stall-timeout)",
				stall_ms(x) / 1000);
			return 0;
		}
		n = read(x->ack_fd, buf + have, sizeof(buf) - 1 - have);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			int status;

			if (exp_reap(x, 5.0, &status)) {
				char d[64];

				sm_child_describe(status, d, sizeof(d));
				snprintf(
					msg, msglen,
					"the importer %s before answering \"ready\"",
					d);
			} else {
				snprintf(
					msg, msglen,
					"the importer closed its output before answering \"ready\"");
			}
			return 0;
		}
		have += (size_t)n;
		buf[have] = '\0';
		if (memchr(buf, '\n', have) || have == sizeof(buf) - 1)
			break;
	}
	if (strcmp(buf, "ready\n") != 0) {
		char *nl = strchr(buf, '\n');

		if (nl)
			*nl = '\0';
		snprintf(msg, msglen,
			 "the importer answered '%.40s' instead of \"ready\"",
			 buf);
		return 0;
	}
	*ready = 1;
	return 0;
}

/* ---- the output ---- */

/*
 * -o FIFO: opening it for writing blocks until a reader comes, out of
 * reach of our signals.  Try non-blocking every 0.1 s instead, checking
 * for signals, for at most the stall timeout.
 */
static int open_fifo(struct exp *x, const char *path, struct sm_err *e)
{
	int ms = stall_ms(x);
	double end = sm_now() + ms / 1000.0;

	for (;;) {
		int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

		if (fd >= 0) {
			x->out_fd = fd;
			x->own_out = 1;
			(void)fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE);
			return 0;
		}
		if (errno != ENXIO && errno != EINTR)
			return sm_err_errno(e, SM_EXIT_IO, errno,
					    "cannot open '%s'", path);
		if (exp_check_signal(x, e))
			return -1;
		if (ms >= 0 && sm_now() >= end)
			return sm_err_set(
				e, SM_EXIT_IO,
				"nobody opened FIFO '%s' for reading within %d s (--stall-timeout)",
				path, ms / 1000);
		usleep(100 * 1000);
	}
}

/*
 * A character device of the memory class that takes writes (/dev/null,
 * /dev/zero, /dev/urandom...) keeps nothing: an archive written there can
 * never be imported, so a migration into it would end the guest.  A
 * snapshot (--keep-source) loses nothing and may go there.  /dev/full
 * (1, 7) refuses every write, which gives the guest back by itself.
 */
static int check_sink(struct exp *x, const struct stat *st, const char *what,
		      struct sm_err *e)
{
	if (!S_ISCHR(st->st_mode) || major(st->st_rdev) != 1 ||
	    minor(st->st_rdev) == 7 || x->o->keep_source || x->o->force)
		return 0;
	return sm_err_set(
		e, SM_EXIT_USAGE,
		"refusing to migrate into %s: nothing can restore the guest from it, and the source would be released (--keep-source writes a snapshot and keeps the guest; --force releases it anyway)",
		what);
}

int exp_open_output(struct exp *x, struct sm_err *e)
{
	const char *path = x->o->output;
	struct stat st;

	if (x->o->exec)
		return spawn_importer(x, e);
	if (!path || strcmp(path, "-") == 0) {
		/* A binary stream on a terminal helps nobody (rule 25). */
		if (isatty(STDOUT_FILENO) && !x->o->force)
			return sm_err_set(
				e, SM_EXIT_USAGE,
				"refusing to write the archive to a terminal (use -o FILE or --force)");
		if (fstat(STDOUT_FILENO, &st) == 0 &&
		    check_sink(x, &st,
			       "standard output, a memory device like /dev/null",
			       e))
			return -1;
		x->out_fd = STDOUT_FILENO;
		/*
		 * A pipe of 1 MiB instead of 64 KiB: a third fewer context
		 * switches on both sides (make bench, 1 GiB).  Not a pipe, or
		 * not allowed: only speed is lost.
		 */
		(void)fcntl(x->out_fd, F_SETPIPE_SZ, PIPE_SIZE);
		out_nonblock(x);
		return 0;
	}
	if (sm_out_check_planted(path, e))
		return -1;
	if (stat(path, &st) == 0) {
		char what[PATH_MAX + 64];

		snprintf(what, sizeof(what), "'%s', a memory device", path);
		if (check_sink(x, &st, what, e))
			return -1;
		if (S_ISFIFO(st.st_mode))
			return open_fifo(x, path, e);
		/* An archive (or anything) already there is not replaced
		 * by mistake. */
		if (S_ISREG(st.st_mode) && !x->o->force)
			return sm_err_set(
				e, SM_EXIT_USAGE,
				"refusing to replace '%s', which exists (use --force to replace it)",
				path);
	}
	/*
	 * A file is written under a temporary name and renamed only when
	 * complete, so a failed export never leaves a file that looks like an
	 * archive; a device (-o /dev/null) is written in place.
	 */
	if (sm_out_open(&x->file, path, 0600, e))
		return -1;
	/* A file that appears meanwhile is not replaced either. */
	x->file.noreplace = !x->o->force;
	x->have_file = 1;
	if (isatty(x->file.fd) && !x->o->force)
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"refusing to write the archive to a terminal ('%s'; use --force)",
			path);
	x->out_fd = x->file.fd;
	x->own_out = 0;
	out_nonblock(x);
	return 0;
}

/* ---- one-way: the reader must have taken all of it ---- */

/* Bytes in a pipe or socket the reader has not taken yet; -1: not one. */
static long long out_unread(int fd)
{
	struct stat st;
	int n = 0;

	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISFIFO(st.st_mode))
		return ioctl(fd, FIONREAD, &n) < 0 ? -1 : n;
	if (S_ISSOCK(st.st_mode))
		return ioctl(fd, SIOCOUTQ, &n) < 0 ? -1 : n;
	return -1;
}

/*
 * The reader stopped, or a signal came, with part of the stream unread:
 * read the rest back out of the pipe ourselves (a pipe opened again
 * through /proc reads the same buffer), so the importer can never see
 * the end of the stream and no import of it can complete.  Then the
 * guest may go back to the source.  Where that is impossible (a socket)
 * the guest goes back in doubt.  0 when the reader took everything after
 * all (finish), else -1 with e set.
 */
static int take_back(struct exp *x, const char *why, struct sm_err *e)
{
	char path[64], buf[65536];
	long long got = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", x->out_fd);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			got += n;
		close(fd);
	}
	if (got > 0)
		return sm_err_set(
			e, SM_EXIT_IO,
			"%s; the %lld bytes the reader had not taken were taken back, so no import of this stream can complete",
			why, got);
	if (fd >= 0 && out_unread(x->out_fd) == 0) {
		exp_warn(
			x,
			"%s, but the reader had taken the whole stream: finishing",
			why);
		x->settled = 1;
		return 0;
	}
	x->doubt =
		"the whole stream had been written when the export stopped, and what the reader had not taken could not be taken back: an importer may still complete it; resume here with force only if no target runs the guest";
	return sm_err_set(
		e, SM_EXIT_IO,
		"%s, and what it had not taken cannot be taken back: the source holds the guest in doubt (it resumes only when forced); resume it there only if the import failed",
		why);
}

/*
 * One-way, the whole stream written: settle the output before
 * SEND_FINISH.  stdout that is a file is fsynced (-o FILE was, and
 * renamed).  A pipe, FIFO or socket is waited on until the reader took
 * every byte: a sevmig-import reading it has then seen the whole stream,
 * and checked the target, before the source is released.  A reader that
 * closes early cannot import it; one that stalls (--stall-timeout), or a
 * signal meanwhile, gets the rest taken back (take_back).  0: finish.
 */
int exp_settle(struct exp *x, struct sm_err *e)
{
	double since = sm_now();
	long long left, last = -1;
	int ms = stall_ms(x);
	struct stat st;

	if (x->final_path || x->out_fd < 0 || fstat(x->out_fd, &st) < 0) {
		x->settled = 1;
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		if (fsync(x->out_fd) < 0 && errno != EINVAL)
			return sm_err_errno(
				e, SM_EXIT_IO, errno,
				"cannot flush the archive to the output file");
		x->settled = 1;
		return 0;
	}
	left = out_unread(x->out_fd);
	if (left > 0)
		pr_info("the whole stream is written: waiting for the reader to take the last %lld bytes before the source is released",
			left);
	for (;;) {
		int ready = 0;

		left = out_unread(x->out_fd);
		if (left <= 0) {
			x->settled = 1;
			return 0;
		}
		if (left != last) {
			last = left;
			since = sm_now();
		}
		if (ms >= 0 && sm_now() - since >= ms / 1000.0) {
			char why[128];

			snprintf(
				why, sizeof(why),
				"the reader took nothing for %d s (--stall-timeout) with %lld bytes of the stream left",
				ms / 1000, left);
			return take_back(x, why, e);
		}
		/* POLLERR/POLLHUP: the reader is gone; a signal: stop. */
		if (exp_wait_fd(x, x->out_fd, 0, 20, &ready, e)) {
			char why[SM_ERR_MSG_MAX];

			snprintf(why, sizeof(why), "%s", e->msg);
			return take_back(x, why, e);
		}
		if (ready && out_unread(x->out_fd) > 0)
			return sm_err_set(
				e, SM_EXIT_IO,
				"the reader closed the stream with %lld bytes unread: it cannot import it",
				out_unread(x->out_fd));
	}
}
