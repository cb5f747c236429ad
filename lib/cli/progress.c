// SPDX-License-Identifier: MIT
/*
 * Progress lines and JSON updates for sevmig-export and sevmig-import
 * (progress.h): when an update is due, its text, one write(2) each, and
 * the terminal lock that keeps two processes off one line.
 */
#include "cli/progress.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

int sm_cli_progress_parse(const char *arg, int *mode, int *fd, char *why,
			  size_t why_len)
{
	uint64_t n;
	int fl;

	*mode = SM_CLI_PROGRESS_LINE;
	*fd = STDERR_FILENO;
	if (!arg)
		return 0;
	if (strncmp(arg, "json", 4) || (arg[4] && arg[4] != ':')) {
		snprintf(why, why_len,
			 "invalid --progress value '%s': json or json:FD", arg);
		return -1;
	}
	*mode = SM_CLI_PROGRESS_JSON;
	if (!arg[4])
		return 0;
	if (sm_parse_uint(arg + 5, INT_MAX, &n)) {
		snprintf(
			why, why_len,
			"invalid --progress value '%s': FD is a descriptor number",
			arg);
		return -1;
	}
	if (n <= 1) {
		snprintf(why, why_len,
			 "--progress=%s: descriptor %d is standard %s, which "
			 "carries the archive or the importer's answers; name "
			 "another, such as 3 with 3>FILE",
			 arg, (int)n, n ? "output" : "input");
		return -1;
	}
	fl = fcntl((int)n, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY) {
		snprintf(why, why_len,
			 "--progress=%s: descriptor %d is not open for writing",
			 arg, (int)n);
		return -1;
	}
	*fd = (int)n;
	return 0;
}

/*
 * Updates go to a terminal another sevmig process is drawing on: stay
 * quiet unless asked.  The lock is an exclusive flock on an open of our
 * own, which conflicts with the other process's open of the same node
 * (locks on one shared open file description would not).
 */
static void decide(struct sm_cli_progress *p)
{
	char name[PATH_MAX];
	int fd;

	p->decided = 1;
	/* JSON on a terminal takes it too, so that an importer keeps off */
	if (p->mode == SM_CLI_PROGRESS_OFF || !isatty(p->fd) ||
	    ttyname_r(p->fd, name, sizeof(name)))
		return;
	fd = open(name, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return; /* cannot tell: draw */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		p->lock_fd = fd;
		return;
	}
	if (errno == EWOULDBLOCK && !p->asked) {
		pr_debug("another process draws progress on '%s': quiet", name);
		p->mode = SM_CLI_PROGRESS_OFF;
	}
	close(fd);
}

void sm_cli_progress_start(struct sm_cli_progress *p, int mode, int fd,
			   const char *unit, int lead)
{
	memset(p, 0, sizeof(*p));
	p->lock_fd = -1;
	p->unit = unit;
	p->asked = mode == SM_CLI_PROGRESS_LINE || mode == SM_CLI_PROGRESS_JSON;
	if (mode == SM_CLI_PROGRESS_AUTO)
		mode = isatty(STDERR_FILENO) ? SM_CLI_PROGRESS_LINE :
					       SM_CLI_PROGRESS_OFF;
	p->mode = mode;
	p->fd = mode == SM_CLI_PROGRESS_JSON ? fd : STDERR_FILENO;
	if (lead)
		decide(p);
}

static unsigned percent(const struct sm_progress *u)
{
	if (!u->pages_total)
		return u->final ? 100 : 0;
	if (u->pages_done >= u->pages_total)
		return 100;
	return (unsigned)(u->pages_done * 100 / u->pages_total);
}

size_t sm_cli_progress_format(char *buf, size_t len, int json, const char *tool,
			      const char *unit, const struct sm_progress *u)
{
	double mib = (double)u->bytes / 1048576.0;
	double rate = u->seconds > 0 ? mib / u->seconds : 0;
	double eta = 0;
	int n;

	if (u->pages_done && u->pages_total > u->pages_done)
		eta = u->seconds * (double)(u->pages_total - u->pages_done) /
		      (double)u->pages_done;
	if (json)
		n = snprintf(
			buf, len,
			"{\"schema\":\"sevmig-progress/1\",\"tool\":\"%s\","
			"\"unit\":\"%s\",\"done\":%" PRIu64
			",\"total\":%" PRIu64 ",\"percent\":%u,"
			"\"bytes\":%" PRIu64 ",\"seconds\":%.3f,"
			"\"mib_per_s\":%.1f,\"eta_seconds\":%.0f,"
			"\"final\":%s}",
			tool, unit, u->pages_done, u->pages_total, percent(u),
			u->bytes, u->seconds, rate, eta,
			u->final ? "true" : "false");
	else if (u->final)
		n = snprintf(buf, len,
			     "%s: %3u%% %" PRIu64 "/%" PRIu64
			     " %s, %.1f MiB, %.1f MiB/s, done in %d:%02d",
			     tool, percent(u), u->pages_done, u->pages_total,
			     unit, mib, rate, (int)u->seconds / 60,
			     (int)u->seconds % 60);
	else
		n = snprintf(buf, len,
			     "%s: %3u%% %" PRIu64 "/%" PRIu64
			     " %s, %.1f MiB, %.1f MiB/s, ETA %d:%02d",
			     tool, percent(u), u->pages_done, u->pages_total,
			     unit, mib, rate, (int)eta / 60, (int)eta % 60);
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}

/* One write(2) for the whole update: flushed now, never split. */
static void put(struct sm_cli_progress *p, const char *buf, size_t n)
{
	if (p->fd == STDERR_FILENO)
		fflush(stderr);
	if (sm_write_full(p->fd, buf, n) < 0)
		p->broken = 1; /* a reader that went away stops nothing */
}

void sm_cli_progress_update(void *arg, const struct sm_progress *u)
{
	struct sm_cli_progress *p = arg;
	char buf[512];
	size_t n, len;
	unsigned pct = percent(u);

	if (p->mode == SM_CLI_PROGRESS_OFF || p->broken)
		return;
	if (!u->final && p->seen &&
	    u->seconds - p->last < SM_CLI_PROGRESS_INTERVAL &&
	    pct < p->last_pct + SM_CLI_PROGRESS_STEP)
		return;
	if (!p->decided) {
		decide(p);
		if (p->mode == SM_CLI_PROGRESS_OFF)
			return;
	}
	p->seen = 1;
	p->last = u->seconds;
	p->last_pct = pct;
	if (p->mode == SM_CLI_PROGRESS_JSON) {
		n = sm_cli_progress_format(buf, sizeof(buf) - 1, 1, sm_progname,
					   p->unit, u);
		buf[n++] = '\n';
		put(p, buf, n);
		return;
	}
	buf[0] = '\r';
	len = sm_cli_progress_format(buf + 1, sizeof(buf) - 2, 0, sm_progname,
				     p->unit, u);
	n = len + 1;
	/* blank what is left of a longer line before */
	while (len < p->width && n < sizeof(buf) - 1) {
		buf[n++] = ' ';
		len++;
	}
	p->width = len;
	p->open = !u->final;
	if (u->final) {
		buf[n++] = '\n';
		p->width = 0;
	}
	put(p, buf, n);
}

static void end_line(struct sm_cli_progress *p)
{
	if (p->open && !p->broken)
		put(p, "\n", 1);
	p->open = 0;
	p->width = 0;
}

void sm_cli_progress_warning(void *arg, const char *msg)
{
	end_line(arg);
	pr_warn("%s", msg);
}

void sm_cli_progress_end(struct sm_cli_progress *p)
{
	end_line(p);
	if (p->lock_fd >= 0)
		close(p->lock_fd);
	p->lock_fd = -1;
}
