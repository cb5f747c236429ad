// SPDX-License-Identifier: MIT
/* The replay journal of an importing host (replay.h). */
#include "engine/replay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

#define LINE_MAX_LEN 1024

struct sm_replay {
	int fd;
	char path[PATH_MAX];
	char vm[PATH_MAX];
	char prev[LINE_MAX_LEN]; /* an "imported" line replayed over */
	int committed;
};

const char *sm_replay_default_dir(char *buf, size_t len)
{
	const char *v = getenv("SEVMIG_STATE_DIR");

	if (v && *v)
		snprintf(buf, len, "%s", v);
	else if (geteuid() == 0)
		snprintf(buf, len, "/var/lib/sevmig");
	else if ((v = getenv("XDG_STATE_HOME")) && *v == '/')
		snprintf(buf, len, "%s/sevmig", v);
	else if ((v = getenv("HOME")) && *v == '/')
		snprintf(buf, len, "%s/.local/state/sevmig", v);
	else
		return NULL;
	return buf;
}

/* mkdir -p, each new level 0700. */
static int make_dirs(const char *dir)
{
	char p[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(p))
		return errno = ENAMETOOLONG, -1;
	memcpy(p, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -1;
		p[i] = i == n ? '\0' : '/';
	}
	return 0;
}

static int write_line(int fd, const char *line)
{
	size_t n = strlen(line);

	if (ftruncate(fd, 0) < 0 || pwrite(fd, line, n, 0) != (ssize_t)n)
		return -1;
	return 0;
}

/* Open and lock the entry; retry if another process unlinked it. */
static int open_locked(const char *path, int *fd, int *busy)
{
	int i;

	*busy = 0;
	for (i = 0; i < 8; i++) {
		struct stat a, b;
		int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			     0600);

		if (f < 0)
			return -1;
		if (flock(f, LOCK_EX | LOCK_NB) < 0) {
			*busy = errno == EWOULDBLOCK;
			*fd = f;
			return *busy ? 0 : -1;
		}
		/* Still the file at path (not one removed meanwhile)? */
		if (fstat(f, &a) == 0 && stat(path, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			*fd = f;
			return 0;
		}
		close(f);
	}
	return errno = EAGAIN, -1;
}

int sm_replay_begin(const char *dir, const uint8_t id[SM_REPLAY_ID_LEN],
		    const char *vm, int allow_replay, struct sm_replay **out,
		    char *warn, size_t warn_len, struct sm_err *e)
{
	char sub[PATH_MAX], hex[2 * SM_REPLAY_ID_LEN + 1];
	char line[LINE_MAX_LEN] = "";
	struct sm_replay *r;
	ssize_t n;
	int busy;

	*out = NULL;
	warn[0] = '\0';
	sm_hex_encode(id, SM_REPLAY_ID_LEN, hex);
	if ((size_t)snprintf(sub, sizeof(sub), "%s/imported", dir) >=
		    sizeof(sub) ||
	    make_dirs(sub) < 0) {
		snprintf(
			warn, warn_len,
			"cannot keep the replay journal in '%s' (%s): a second import of this archive would not be noticed",
			dir, strerror(errno));
		return 0;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "out of memory");
	snprintf(r->path, sizeof(r->path), "%s/%s", sub, hex);
	snprintf(r->vm, sizeof(r->vm), "%s", vm);
	if (open_locked(r->path, &r->fd, &busy) < 0) {
		snprintf(
			warn, warn_len,
			"cannot use the replay journal entry '%s' (%s): a second import of this archive would not be noticed",
			r->path, strerror(errno));
		free(r);
		return 0;
	}
	n = pread(r->fd, line, sizeof(line) - 1, 0);
	line[n > 0 ? n : 0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (busy) {
		close(r->fd);
		free(r);
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"this archive is being imported right now by another process (journal '%s': %.300s)",
			sub, line);
	}
	if (!strncmp(line, "imported ", 9)) {
		if (!allow_replay) {
			sm_err_set(
				e, SM_EXIT_VERIFY,
				"this archive was imported on this host before (%.300s): importing it again would run the guest a second time; --allow-replay only if that copy is gone for good",
				line + 9);
			close(r->fd);
			free(r);
			return -1;
		}
		snprintf(r->prev, sizeof(r->prev), "%s\n", line);
	}
	/* Empty, or "receiving" left by an importer that died: ours now. */
	snprintf(line, sizeof(line), "receiving pid %d into VM '%.900s'\n",
		 (int)getpid(), r->vm);
	if (write_line(r->fd, line) < 0) {
		snprintf(
			warn, warn_len,
			"cannot write the replay journal entry '%s' (%s): a second import of this archive would not be noticed",
			r->path, strerror(errno));
		close(r->fd);
		free(r);
		return 0;
	}
	*out = r;
	return 0;
}

int sm_replay_commit(struct sm_replay *r, struct sm_err *e)
{
	char line[LINE_MAX_LEN], when[32];
	time_t t = time(NULL);
	struct tm tm;

	if (!r)
		return 0;
	if (!gmtime_r(&t, &tm) ||
	    !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof(when), "%lld", (long long)t);
	snprintf(line, sizeof(line), "imported %s into VM '%.900s'\n", when,
		 r->vm);
	if (write_line(r->fd, line) < 0 || fsync(r->fd) < 0)
		return sm_err_errno(e, SM_EXIT_IO, errno,
				    "cannot record the import in '%s'",
				    r->path);
	r->committed = 1;
	return 0;
}

void sm_replay_undo(struct sm_replay *r)
{
	if (r)
		r->committed = 0;
}

void sm_replay_end(struct sm_replay *r)
{
	if (!r)
		return;
	if (!r->committed) {
		/* Nothing was imported: as before this import. */
		if (r->prev[0])
			(void)write_line(r->fd, r->prev);
		else
			unlink(r->path);
	}
	close(r->fd);
	free(r);
}
