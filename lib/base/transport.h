/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_TRANSPORT_H
#define SEVMIG_TRANSPORT_H

/*
 * Child processes for transports (the ssh certificate source, and later
 * sevmig-export --exec): spawned from an argv array with posix_spawnp,
 * never through a shell, with optional pipes to its stdin, stdout and
 * stderr.  Reads and waits take a timeout so a silent peer never hangs the
 * caller.  No outside dependency.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

/* sm_child_spawn flags: which of the child's standard fds become pipes. */
enum {
	SM_CHILD_PIPE_STDIN = 1 << 0, /* c->in: we write, the child reads */
	SM_CHILD_PIPE_STDOUT = 1 << 1, /* c->out: the child writes, we read */
	SM_CHILD_PIPE_STDERR = 1 << 2, /* c->err: idem, for its messages */
	SM_CHILD_NULL_STDIN = 1 << 3, /* stdin from /dev/null */
};

/*
 * A running (or reaped) child.  in/out/err are our ends of the pipes
 * asked for, -1 otherwise; they are close-on-exec and blocking.
 */
struct sm_child {
	pid_t pid;
	int in, out, err;
	int reaped; /* waited for; status is valid */
	int status; /* wait status (WIFEXITED...) once reaped */
	char name[64]; /* argv[0] basename, for messages */
};

/*
 * Start argv[0] (looked up in PATH when it has no '/') with argv, in a new
 * struct *c the caller releases with sm_child_free.  The child gets the
 * default disposition and an empty mask for every signal (sevmig ignores
 * SIGPIPE; its children must not inherit that).  Does not block.  A
 * program that cannot be run is SM_EXIT_IO naming it.
 */
int sm_child_spawn(const char *const argv[], unsigned flags,
		   struct sm_child **c, struct sm_err *e);

/*
 * Read the child's stdout (and stderr, when piped) until both reach end
 * of file, at most timeout seconds (<= 0: no limit).  *out gets a
 * malloc'd, NUL-terminated copy of stdout (caller frees), at most max
 * bytes (more is SM_EXIT_IO); *errout (may be NULL) gets the last
 * SM_CHILD_ERR_KEEP bytes of stderr likewise.  Timeout: SM_EXIT_IO
 * "timed out".  Does not wait for the child.
 */
#define SM_CHILD_ERR_KEEP 4096
int sm_child_read_all(struct sm_child *c, double timeout, size_t max,
		      char **out, size_t *outlen, char **errout,
		      struct sm_err *e);

/*
 * Close our end of the child's stdin (it sees end of file).  Idempotent.
 */
void sm_child_close_stdin(struct sm_child *c);

/*
 * Wait up to timeout seconds (<= 0: forever) for the child to exit;
 * *status (may be NULL) gets its wait status.  On timeout the child is
 * still running: SM_EXIT_IO "timed out", and the caller may
 * sm_child_kill it.  Blocks (polling every few milliseconds).
 */
int sm_child_wait(struct sm_child *c, double timeout, int *status,
		  struct sm_err *e);

/* Send sig to the child if it has not been reaped.  0 or -1 with errno. */
int sm_child_kill(struct sm_child *c, int sig);

/*
 * "exited with status 3", "killed by signal 9 (Killed)" into buf for a
 * wait status.  Returns buf.
 */
char *sm_child_describe(int status, char *buf, size_t len);

/*
 * Close our pipe ends; if the child is still running, SIGTERM it, wait
 * up to a second, then SIGKILL and reap it.  NULL is fine.
 */
void sm_child_free(struct sm_child *c);

#endif
