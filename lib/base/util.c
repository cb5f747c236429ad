// SPDX-License-Identifier: MIT
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

ssize_t sm_read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t sm_write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0) {
			if (errno == EINTR ||
			    (errno == EAGAIN && sm_wait_io(fd, POLLOUT) == 0))
				continue;
			return -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int sm_wait_io(int fd, short events)
{
	struct pollfd pf = { .fd = fd, .events = events };

	if (poll(&pf, 1, -1) < 0 && errno != EINTR)
		return -1;
	return 0;
}

int sm_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return 0;
}

int sm_read_file(const char *path, size_t max, uint8_t **out, size_t *outlen,
		 struct sm_err *e)
{
	int is_stdin = strcmp(path, "-") == 0;
	size_t cap = 4096, len = 0;
	uint8_t *buf = NULL;
	int fd, err;

	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sm_err_errno(e, SM_EXIT_IO, errno, "cannot open '%s'",
				    path);
	for (;;) {
		ssize_t n;

		if (len == cap || !buf) {
			uint8_t *nb;

			if (buf)
				cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				err = ENOMEM;
				goto err_read;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			goto err_read;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			if (!is_stdin)
				close(fd);
			return sm_err_set(e, SM_EXIT_IO,
					  "input '%s' is larger than %zu bytes",
					  path, max);
		}
	}
	if (!is_stdin)
		close(fd);
	buf[len] = '\0'; /* convenient for text; not counted in len */
	*out = buf;
	*outlen = len;
	return 0;

err_read:
	free(buf);
	if (!is_stdin)
		close(fd);
	return sm_err_errno(e, SM_EXIT_IO, err, "cannot read '%s'", path);
}

static const char *node_kind(mode_t m)
{
	if (S_ISLNK(m))
		return "symlink";
	if (S_ISFIFO(m))
		return "FIFO";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "device node";
	if (S_ISSOCK(m))
		return "socket";
	return NULL;
}

/* One path (not followed): planted by another user where others write? */
static int check_planted_one(const char *path, struct sm_err *e)
{
	struct stat st, ds;
	const char *kind;
	char *dir;
	int foreign;

	if (lstat(path, &st) < 0)
		return 0;
	kind = node_kind(st.st_mode);
	if (!kind || st.st_uid == geteuid())
		return 0;
	dir = strdup(path);
	if (!dir)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "out of memory");
	if (stat(dirname(dir), &ds) < 0) {
		free(dir);
		return 0;
	}
	free(dir);
	/* The directory's owner may place what it likes there. */
	foreign = st.st_uid != ds.st_uid &&
		  (ds.st_mode & (S_ISVTX | S_IWGRP | S_IWOTH));
	if (!foreign)
		return 0;
	return sm_err_set(
		e, SM_EXIT_USAGE,
		"refusing to write '%s': it is a %s owned by another user (uid %u) in a directory others can write to; remove it or choose another path",
		path, kind, (unsigned)st.st_uid);
}

#define MAX_LINKS 40 /* as the kernel's ELOOP limit */

/*
 * Walk path as open(2) would, component by component, following every
 * symlink: each symlink met (a directory on the way as well as the last
 * component), and a FIFO, device or socket at the end, must pass
 * check_planted_one.  *out (may be NULL) gets the path with every symlink
 * replaced by where it leads, so that a dangling link of one's own names
 * the file to create.  Between this walk and the open another user could
 * still swap a component (a race the kernel's O_NOFOLLOW walk would close);
 * the walk stops the planted nodes that are already there.
 */
static int walk_out(const char *path, char **out, struct sm_err *e)
{
	char *cur = strdup(path), *next = NULL;
	int hops;

	if (!cur)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "out of memory");
	for (hops = 0; hops < MAX_LINKS; hops++) {
		size_t len = strlen(cur), i;
		char target[PATH_MAX];
		struct stat st;
		int found = 0;

		for (i = 1; i <= len && !found; i++) {
			ssize_t n;
			char *dir;

			if (i < len && cur[i] != '/')
				continue;
			if (cur[i - 1] == '/')
				continue;
			cur[i] = '\0'; /* the prefix up to this component */
			if (lstat(cur, &st) == 0 && S_ISLNK(st.st_mode)) {
				if (check_planted_one(cur, e))
					goto err;
				n = readlink(cur, target, sizeof(target) - 1);
				if (n > 0) {
					target[n] = '\0';
					found = 1;
				}
			}
			if (!found) {
				if (i < len)
					cur[i] = '/';
				continue;
			}
			/* Replace the prefix by where the link leads. */
			dir = strdup(cur);
			if (!dir)
				goto nomem;
			if (i < len)
				cur[i] = '/';
			if (asprintf(&next, "%s%s%s%s",
				     target[0] == '/' ? "" : dirname(dir),
				     target[0] == '/' ? "" : "/", target,
				     cur + i) < 0) {
				next = NULL;
				free(dir);
				goto nomem;
			}
			free(dir);
		}
		if (!found)
			break;
		free(cur);
		cur = next;
		next = NULL;
	}
	/* The last component, no longer a symlink: a planted FIFO or device? */
	if (check_planted_one(cur, e))
		goto err;
	if (out)
		*out = cur;
	else
		free(cur);
	return 0;

nomem:
	sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM, "out of memory");
err:
	free(cur);
	return -1;
}

int sm_out_check_planted(const char *path, struct sm_err *e)
{
	return walk_out(path, NULL, e);
}

/* path with its directory resolved; the caller frees it. */
static char *canon_path(const char *path)
{
	char *real = realpath(path, NULL), *d, *b, *dr, *out = NULL;

	if (real)
		return real;
	d = strdup(path);
	b = strdup(path);
	if (d && b) {
		dr = realpath(dirname(d), NULL);
		if (dr && asprintf(&out, "%s/%s", dr, basename(b)) < 0)
			out = NULL;
		free(dr);
	}
	free(d);
	free(b);
	return out;
}

int sm_path_same(const char *a, const char *b)
{
	struct stat sa, sb;
	char *ca, *cb;
	int same;

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	ca = canon_path(a);
	cb = canon_path(b);
	same = ca && cb ? !strcmp(ca, cb) : !strcmp(a, b);
	free(ca);
	free(cb);
	return same;
}

int sm_out_open(struct sm_out *o, const char *path, mode_t mode,
		struct sm_err *e)
{
	char *real = NULL, *dir = NULL, *d;
	struct stat st;

	o->fd = -1;
	o->tmp = NULL;
	o->path = NULL;
	o->noreplace = 0;
	/* Every symlink on the way checked and followed (walk_out). */
	if (walk_out(path, &o->path, e))
		return -1;
	path = o->path;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			sm_err_errno(e, SM_EXIT_IO, EISDIR, "cannot write '%s'",
				     path);
			goto err_free;
		}
		o->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (o->fd < 0) {
			sm_err_errno(e, SM_EXIT_IO, errno, "cannot open '%s'",
				     path);
			goto err_free;
		}
		return 0;
	}
	/* Follow a symlink, so the link stays and its target is replaced. */
	real = realpath(path, NULL);
	dir = strdup(real ? real : path);
	if (!dir)
		goto err_nomem;
	d = dirname(dir);
	if (asprintf(&o->tmp, "%s/.%s.tmp.XXXXXX", d,
		     strrchr(real ? real : path, '/') ?
			     strrchr(real ? real : path, '/') + 1 :
			     (real ? real : path)) < 0) {
		o->tmp = NULL;
		goto err_nomem;
	}
	if (real) {
		free(o->path);
		o->path = real;
		real = NULL;
	}
	path = o->path; /* the old one is freed */
	free(dir);
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		sm_err_errno(e, SM_EXIT_IO, errno, "cannot create '%s'",
			     o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		goto err_free;
	}
	if (fchmod(o->fd, mode) < 0) {
		sm_err_errno(e, SM_EXIT_IO, errno, "cannot write '%s'", path);
		sm_out_abort(o);
		return -1;
	}
	return 0;

err_nomem:
	free(dir);
	free(real);
	sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM, "out of memory");
err_free:
	free(o->path);
	o->path = NULL;
	return -1;
}

/*
 * rename(2) that never replaces: RENAME_NOREPLACE, or where the file
 * system lacks it, a hard link and an unlink (EEXIST either way).
 */
static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(from, to) < 0)
		return -1;
	unlink(from);
	return 0;
}

int sm_out_commit(struct sm_out *o, struct sm_err *e)
{
	char *dir;
	int err, dfd;

	if (!o->tmp) {
		/* In place (a device or FIFO): nothing to sync or rename. */
		if (o->fd >= 0 && close(o->fd) < 0) {
			err = errno;
			o->fd = -1;
			return sm_err_errno(e, SM_EXIT_IO, err,
					    "cannot write '%s'", o->path);
		}
		o->fd = -1;
		free(o->path);
		o->path = NULL;
		return 0;
	}
	if (fsync(o->fd) < 0 || close(o->fd) < 0) {
		err = errno;
		o->fd = -1;
		sm_err_errno(e, SM_EXIT_IO, err, "cannot write '%s'", o->path);
		sm_out_abort(o);
		return -1;
	}
	o->fd = -1;
	if (o->noreplace ? rename_noreplace(o->tmp, o->path) :
			   rename(o->tmp, o->path)) {
		err = errno;
		if (err == EEXIST)
			sm_err_set(
				e, SM_EXIT_IO,
				"'%s' appeared while it was being written: not replaced",
				o->path);
		else
			sm_err_errno(e, SM_EXIT_IO, err,
				     "cannot rename to '%s'", o->path);
		sm_out_abort(o);
		return -1;
	}
	free(o->tmp);
	o->tmp = NULL;
	dir = strdup(o->path);
	if (dir) {
		dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dir);
	}
	free(o->path);
	o->path = NULL;
	return 0;
}

void sm_out_abort(struct sm_out *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp) {
		unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
	}
	free(o->path);
	o->path = NULL;
}

int sm_write_file_atomic(const char *path, const void *buf, size_t len,
			 mode_t mode, struct sm_err *e)
{
	struct sm_out o;
	int err;

	if (strcmp(path, "-") == 0) {
		if (sm_write_full(STDOUT_FILENO, buf, len) < 0)
			return sm_err_errno(e, SM_EXIT_IO, errno,
					    "cannot write to standard output");
		return 0;
	}
	if (sm_out_open(&o, path, mode, e))
		return -1;
	if (sm_write_full(o.fd, buf, len) < 0) {
		err = errno;
		sm_out_abort(&o);
		return sm_err_errno(e, SM_EXIT_IO, err, "cannot write '%s'",
				    path);
	}
	return sm_out_commit(&o, e);
}

void sm_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t sm_hex_decode(const char *hex, uint8_t *out, size_t max)
{
	size_t len = strlen(hex), i;

	if (len % 2 || len / 2 > max)
		return -1;
	for (i = 0; i < len / 2; i++) {
		int hi = hexval((unsigned char)hex[2 * i]);
		int lo = hexval((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (ssize_t)(len / 2);
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t sm_base64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void sm_base64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
}

static int b64val(int c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

ssize_t sm_base64_decode(const char *in, uint8_t *out, size_t max)
{
	uint32_t quad = 0;
	size_t o = 0;
	int n = 0, pad = 0;

	for (; *in; in++) {
		int c = (unsigned char)*in, v;

		if (isspace(c))
			continue;
		if (c == '=') {
			pad++;
			v = 0;
		} else {
			if (pad)
				return -1; /* data after padding */
			v = b64val(c);
			if (v < 0)
				return -1;
		}
		quad = quad << 6 | (uint32_t)v;
		if (++n == 4) {
			size_t k = (size_t)(3 - pad);

			if (pad > 2 || o + k > max)
				return -1;
			out[o++] = (uint8_t)(quad >> 16);
			if (k > 1)
				out[o++] = (uint8_t)(quad >> 8);
			if (k > 2)
				out[o++] = (uint8_t)quad;
			n = 0;
			quad = 0;
			if (pad) {
				in++;
				break;
			}
		}
	}
	if (n != 0)
		return -1;
	for (; *in; in++)
		if (!isspace((unsigned char)*in))
			return -1;
	return (ssize_t)o;
}

int sm_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int sm_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	case 't':
	case 'T':
		shift = 40;
		end++;
		break;
	default:
		break;
	}
	if (shift && (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0))
		end += strlen(end);
	if (*end)
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

void sm_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

double sm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int sm_parse_hex_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	size_t i, n;

	if (!s || s[0] != '0' || s[1] != 'x')
		return -1;
	s += 2;
	n = strlen(s);
	if (n == 0 || n > 16)
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		x = x << 4 | d;
	}
	*v = x;
	return 0;
}

void sm_fmt_hex_u64(char buf[19], uint64_t v)
{
	snprintf(buf, 19, "0x%" PRIx64, v);
}

int sm_wait_until(int fd, short events, double deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		double left = deadline - sm_now();
		int ms, rc;

		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		ms = left > 3600 ? 3600000 : (int)(left * 1000) + 1;
		rc = poll(&p, 1, ms);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (rc > 0)
			return 0;
	}
}
