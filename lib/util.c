// SPDX-License-Identifier: MIT
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
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

int sm_out_open(struct sm_out *o, const char *path, mode_t mode,
		struct sm_err *e)
{
	char *real = NULL, *dir = NULL, *d;
	struct stat st;
	int err;

	o->fd = -1;
	o->tmp = NULL;
	o->path = strdup(path);
	if (!o->path)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM, "out of memory");
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
	free(dir);
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		sm_err_errno(e, SM_EXIT_IO, errno, "cannot create '%s'", o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		goto err_free;
	}
	if (fchmod(o->fd, mode) < 0) {
		err = errno;
		sm_out_abort(o);
		return sm_err_errno(e, SM_EXIT_IO, err, "cannot write '%s'",
				    path);
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
	if (rename(o->tmp, o->path) < 0) {
		err = errno;
		sm_err_errno(e, SM_EXIT_IO, err, "cannot rename to '%s'",
			     o->path);
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
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
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
