// SPDX-License-Identifier: MIT
/*
 * Child processes with pipes.  posix_spawnp rather than fork+exec: glibc
 * reports an exec failure (ENOENT, EACCES) as its return value, so a
 * missing ssh is a clear error here instead of a child exiting 127.
 */
#include "base/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

extern char **environ;

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/*
 * A pipe whose ends are >= 3 and close-on-exec, so a dup2 onto 0, 1 or 2
 * in the child never clobbers another pipe end.
 */
static int make_pipe(int p[2])
{
	int i, fd, err;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if (p[i] > 2)
			continue;
		fd = fcntl(p[i], F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			err = errno;
			close(p[0]);
			close(p[1]);
			errno = err;
			return -1;
		}
		close(p[i]);
		p[i] = fd;
	}
	return 0;
}

/*
 * 0 if prog names an executable (as execvp would find it), else -1 with
 * errno.  Checked before spawning so a missing program is reported the
 * same way whatever the spawn implementation (valgrind, for one, makes
 * posix_spawnp succeed and the child exit 127).
 */
static int can_exec(const char *prog)
{
	const char *path, *p, *q;
	char buf[4096];
	int n;

	if (strchr(prog, '/'))
		return access(prog, X_OK);
	path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = q + 1) {
		q = strchr(p, ':');
		if (!q)
			q = p + strlen(p);
		n = snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(q - p), p,
			     q > p ? "/" : "", prog);
		if (n > 0 && (size_t)n < sizeof(buf) && access(buf, X_OK) == 0)
			return 0;
		if (!*q)
			break;
	}
	errno = ENOENT;
	return -1;
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int sm_child_spawn(const char *const argv[], unsigned flags,
		   struct sm_child **cp, struct sm_err *e)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct sm_child *c;
	const char *base;
	sigset_t set;
	int err;

	*cp = NULL;
	if (!argv || !argv[0] || !argv[0][0])
		return sm_err_set(e, SM_EXIT_USAGE, "no program to run");
	if (can_exec(argv[0]) < 0)
		return sm_err_errno(e, SM_EXIT_IO, errno, "running '%s'",
				    argv[0]);
	c = calloc(1, sizeof(*c));
	if (!c)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM, "spawning '%s'",
				    argv[0]);
	c->pid = -1;
	c->in = c->out = c->err = -1;
	base = strrchr(argv[0], '/');
	snprintf(c->name, sizeof(c->name), "%s", base ? base + 1 : argv[0]);

	if (((flags & SM_CHILD_PIPE_STDIN) && make_pipe(pin) < 0) ||
	    ((flags & SM_CHILD_PIPE_STDOUT) && make_pipe(pout) < 0) ||
	    ((flags & SM_CHILD_PIPE_STDERR) && make_pipe(perr) < 0)) {
		err = errno;
		sm_err_errno(e, SM_EXIT_IO, err, "creating a pipe for '%s'",
			     c->name);
		goto err_close_pipes;
	}

	err = posix_spawn_file_actions_init(&fa);
	if (err) {
		sm_err_errno(e, SM_EXIT_FAILURE, err, "spawning '%s'", c->name);
		goto err_close_pipes;
	}
	err = posix_spawnattr_init(&attr);
	if (err) {
		sm_err_errno(e, SM_EXIT_FAILURE, err, "spawning '%s'", c->name);
		goto err_destroy_fa;
	}
	if (flags & SM_CHILD_PIPE_STDIN)
		err = err ?: posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	else if (flags & SM_CHILD_NULL_STDIN)
		err = err   ?:
			      posix_spawn_file_actions_addopen(
				      &fa, 0, "/dev/null", O_RDONLY, 0);
	if (flags & SM_CHILD_PIPE_STDOUT)
		err = err ?: posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	if (flags & SM_CHILD_PIPE_STDERR)
		err = err ?: posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	/* Undo what sm_cli_init did to us (SIGPIPE ignored), and any mask. */
	sigemptyset(&set);
	err = err ?: posix_spawnattr_setsigmask(&attr, &set);
	sigfillset(&set);
	err = err ?: posix_spawnattr_setsigdefault(&attr, &set);
	err = err   ?:
		      posix_spawnattr_setflags(&attr,
					       POSIX_SPAWN_SETSIGMASK |
						       POSIX_SPAWN_SETSIGDEF);
	if (err) {
		sm_err_errno(e, SM_EXIT_FAILURE, err, "spawning '%s'", c->name);
		goto err_destroy_attr;
	}

	/* posix_spawnp does not modify argv; its prototype predates const. */
	err = posix_spawnp(&c->pid, argv[0], &fa, &attr, (char *const *)argv,
			   environ);
	if (err) {
		c->pid = -1;
		sm_err_errno(e, SM_EXIT_IO, err, "running '%s'", argv[0]);
		goto err_destroy_attr;
	}
	pr_debug("started '%s' as pid %d", argv[0], (int)c->pid);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	c->in = pin[1];
	c->out = pout[0];
	c->err = perr[0];
	*cp = c;
	return 0;

err_destroy_attr:
	posix_spawnattr_destroy(&attr);
err_destroy_fa:
	posix_spawn_file_actions_destroy(&fa);
err_close_pipes:
	close_fd(&pin[0]);
	close_fd(&pin[1]);
	close_fd(&pout[0]);
	close_fd(&pout[1]);
	close_fd(&perr[0]);
	close_fd(&perr[1]);
	free(c);
	return -1;
}

/* Append n bytes to a growing buffer of at most max bytes. */
static int buf_append(char **buf, size_t *len, size_t *cap, const char *p,
		      size_t n, size_t max)
{
	char *nb;
	size_t nc;

	if (*len + n > max)
		return -1;
	if (*len + n + 1 > *cap) {
		nc = *cap ? *cap : 4096;
		while (nc < *len + n + 1)
			nc *= 2;
		nb = realloc(*buf, nc);
		if (!nb)
			return -1;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* Keep only the last SM_CHILD_ERR_KEEP bytes of stderr. */
static void keep_tail(char *buf, size_t *len, const char *p, size_t n)
{
	if (n >= SM_CHILD_ERR_KEEP) {
		memcpy(buf, p + n - SM_CHILD_ERR_KEEP, SM_CHILD_ERR_KEEP);
		*len = SM_CHILD_ERR_KEEP;
	} else {
		if (*len + n > SM_CHILD_ERR_KEEP) {
			size_t drop = *len + n - SM_CHILD_ERR_KEEP;

			memmove(buf, buf + drop, *len - drop);
			*len -= drop;
		}
		memcpy(buf + *len, p, n);
		*len += n;
	}
	buf[*len] = '\0';
}

int sm_child_read_all(struct sm_child *c, double timeout, size_t max,
		      char **out, size_t *outlen, char **errout,
		      struct sm_err *e)
{
	char *obuf = NULL, *ebuf, chunk[8192];
	size_t olen = 0, ocap = 0, elen = 0;
	double deadline = timeout > 0 ? sm_now() + timeout : 0;
	int ofd = c->out, efd = c->err;
	struct pollfd pfd[2];
	ssize_t n;
	int err, np, ms;

	*out = NULL;
	*outlen = 0;
	if (errout)
		*errout = NULL;
	ebuf = calloc(1, SM_CHILD_ERR_KEEP + 1);
	if (!ebuf)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "reading from '%s'", c->name);
	/* An empty stdout is still a string. */
	if (buf_append(&obuf, &olen, &ocap, "", 0, max) < 0) {
		sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM, "reading from '%s'",
			     c->name);
		goto err_free;
	}

	while (ofd >= 0 || efd >= 0) {
		np = 0;
		if (ofd >= 0)
			pfd[np++] =
				(struct pollfd){ .fd = ofd, .events = POLLIN };
		if (efd >= 0)
			pfd[np++] =
				(struct pollfd){ .fd = efd, .events = POLLIN };
		ms = -1;
		if (deadline) {
			double left = deadline - sm_now();

			if (left <= 0) {
				sm_err_set(
					e, SM_EXIT_IO,
					"reading from '%s': timed out after %g s",
					c->name, timeout);
				goto err_free;
			}
			ms = (int)(left * 1000) + 1;
		}
		if (poll(pfd, np, ms) < 0) {
			err = errno;
			if (err == EINTR)
				continue;
			sm_err_errno(e, SM_EXIT_IO, err, "reading from '%s'",
				     c->name);
			goto err_free;
		}
		for (int i = 0; i < np; i++) {
			if (!pfd[i].revents)
				continue;
			n = read(pfd[i].fd, chunk, sizeof(chunk));
			if (n < 0) {
				err = errno;
				if (err == EINTR || err == EAGAIN)
					continue;
				sm_err_errno(e, SM_EXIT_IO, err,
					     "reading from '%s'", c->name);
				goto err_free;
			}
			if (pfd[i].fd == ofd) {
				if (n == 0) {
					ofd = -1;
				} else if (buf_append(&obuf, &olen, &ocap,
						      chunk, n, max) < 0) {
					sm_err_set(e, SM_EXIT_IO,
						   "reading from '%s': output "
						   "exceeds %zu bytes",
						   c->name, max);
					goto err_free;
				}
			} else {
				if (n == 0)
					efd = -1;
				else
					keep_tail(ebuf, &elen, chunk, n);
			}
		}
	}
	*out = obuf;
	*outlen = olen;
	if (errout)
		*errout = ebuf;
	else
		free(ebuf);
	return 0;

err_free:
	free(obuf);
	free(ebuf);
	return -1;
}

void sm_child_close_stdin(struct sm_child *c)
{
	if (c)
		close_fd(&c->in);
}

int sm_child_wait(struct sm_child *c, double timeout, int *status,
		  struct sm_err *e)
{
	double deadline = timeout > 0 ? sm_now() + timeout : 0;
	long ms = 1;
	pid_t r;
	int st, err;

	while (!c->reaped) {
		r = waitpid(c->pid, &st, deadline ? WNOHANG : 0);
		if (r < 0) {
			err = errno;
			if (err == EINTR)
				continue;
			return sm_err_errno(e, SM_EXIT_FAILURE, err,
					    "waiting for '%s'", c->name);
		}
		if (r == c->pid) {
			c->reaped = 1;
			c->status = st;
			break;
		}
		if (sm_now() >= deadline)
			return sm_err_set(
				e, SM_EXIT_IO,
				"waiting for '%s': timed out after %g s",
				c->name, timeout);
		/* Back off from 1 ms to 50 ms: quick children return fast. */
		msleep(ms);
		if (ms < 50)
			ms *= 2;
	}
	if (status)
		*status = c->status;
	return 0;
}

int sm_child_kill(struct sm_child *c, int sig)
{
	if (!c || c->reaped || c->pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	return kill(c->pid, sig);
}

char *sm_child_describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended with wait status 0x%x", status);
	return buf;
}

void sm_child_free(struct sm_child *c)
{
	if (!c)
		return;
	close_fd(&c->in);
	close_fd(&c->out);
	close_fd(&c->err);
	if (!c->reaped && c->pid > 0) {
		kill(c->pid, SIGTERM);
		if (sm_child_wait(c, 1.0, NULL, NULL) < 0) {
			kill(c->pid, SIGKILL);
			sm_child_wait(c, 0, NULL, NULL);
		}
	}
	free(c);
}
