// SPDX-License-Identifier: MIT
/*
 * QMP client.  The wire format is one JSON object per line (QEMU ends
 * them with "\r\n"); a command is answered by an object carrying "return"
 * or "error", and "event" objects may arrive at any time in between.  We
 * tag each command with an "id", which QEMU echoes, and ignore answers
 * that carry another id.
 */
#include "fetch/qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "base/log.h"
#include "base/util.h"

#define QMP_LINE_MAX (16u << 20) /* a sane upper bound for one message */

struct sm_qmp {
	int fd;
	double timeout;
	unsigned next_id;
	char *buf;
	size_t len, cap;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Wait until fd is ready for events or the deadline passes. */
static int wait_fd(struct sm_qmp *q, short events, double deadline,
		   struct sm_err *e)
{
	if (sm_wait_until(q->fd, events, deadline) == 0)
		return 0;
	if (errno == ETIMEDOUT)
		return sm_err_set(e, SM_EXIT_IO,
				  "QMP socket '%s': no answer within %g s",
				  q->path, q->timeout);
	return sm_err_errno(e, SM_EXIT_IO, errno, "QMP socket '%s'", q->path);
}

static int send_all(struct sm_qmp *q, const char *s, size_t n, double deadline,
		    struct sm_err *e)
{
	ssize_t w;
	int err;

	while (n) {
		if (wait_fd(q, POLLOUT, deadline, e) < 0)
			return -1;
		w = send(q->fd, s, n, MSG_NOSIGNAL);
		if (w < 0) {
			err = errno;
			if (err == EINTR || err == EAGAIN)
				continue;
			return sm_err_errno(e, SM_EXIT_IO, err,
					    "writing to QMP socket '%s'",
					    q->path);
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The next complete JSON message, skipping blank lines. */
static int read_msg(struct sm_qmp *q, double deadline, json_t **msg,
		    struct sm_err *e)
{
	json_error_t jerr;
	char *nl, *nb;
	size_t n;
	ssize_t r;
	int err, bad;

	*msg = NULL;
	for (;;) {
		nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
		if (nl) {
			n = (size_t)(nl - q->buf);
			while (n &&
			       (q->buf[n - 1] == '\r' || q->buf[n - 1] == ' '))
				n--;
			bad = 0;
			if (n) {
				*msg = json_loadb(q->buf, n, 0, &jerr);
				bad = !*msg;
			}
			n = (size_t)(nl - q->buf) + 1;
			memmove(q->buf, q->buf + n, q->len - n);
			q->len -= n;
			if (bad)
				return sm_err_set(
					e, SM_EXIT_IO,
					"QMP socket '%s': bad JSON from peer: %s",
					q->path, jerr.text);
			if (*msg)
				return 0;
			continue;
		}
		if (q->len + 4096 > q->cap) {
			if (q->cap >= QMP_LINE_MAX)
				return sm_err_set(e, SM_EXIT_IO,
						  "QMP socket '%s': message "
						  "longer than %u bytes",
						  q->path, QMP_LINE_MAX);
			nb = realloc(q->buf, q->cap ? q->cap * 2 : 65536);
			if (!nb)
				return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
						    "QMP socket '%s'", q->path);
			q->buf = nb;
			q->cap = q->cap ? q->cap * 2 : 65536;
		}
		if (wait_fd(q, POLLIN, deadline, e) < 0)
			return -1;
		r = recv(q->fd, q->buf + q->len, q->cap - q->len, 0);
		if (r < 0) {
			err = errno;
			if (err == EINTR || err == EAGAIN)
				continue;
			return sm_err_errno(e, SM_EXIT_IO, err,
					    "reading QMP socket '%s'", q->path);
		}
		if (r == 0)
			return sm_err_set(
				e, SM_EXIT_IO,
				"QMP socket '%s': connection closed by peer",
				q->path);
		q->len += (size_t)r;
	}
}

int sm_qmp_open(const char *path, double timeout, struct sm_qmp **qp,
		struct sm_err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sm_qmp *q;
	double deadline;
	socklen_t sl;
	json_t *msg;
	int err, soerr;

	*qp = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return sm_err_set(e, SM_EXIT_USAGE,
				  "QMP socket '%s': path longer than %zu bytes",
				  path, sizeof(sa.sun_path) - 1);
	q = calloc(1, sizeof(*q));
	if (!q)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "QMP socket '%s'", path);
	strcpy(q->path, path);
	strcpy(sa.sun_path, path);
	q->timeout = timeout > 0 ? timeout : 10;
	q->next_id = 1;
	deadline = sm_now() + q->timeout;

	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (q->fd < 0) {
		err = errno;
		sm_err_errno(e, SM_EXIT_IO, err, "QMP socket '%s'", path);
		goto err_free;
	}
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		if (err != EINPROGRESS && err != EAGAIN) {
			sm_err_errno(e, SM_EXIT_IO, err,
				     "connecting to QMP socket '%s'", path);
			goto err_close;
		}
		if (wait_fd(q, POLLOUT, deadline, e) < 0)
			goto err_close;
		sl = sizeof(soerr);
		if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 ||
		    soerr) {
			sm_err_errno(e, SM_EXIT_IO, soerr ? soerr : errno,
				     "connecting to QMP socket '%s'", path);
			goto err_close;
		}
	}

	/* The greeting: {"QMP": {"version": ..., "capabilities": [...]}} */
	if (read_msg(q, deadline, &msg, e) < 0)
		goto err_close;
	if (!json_is_object(msg) ||
	    !json_is_object(json_object_get(msg, "QMP"))) {
		json_decref(msg);
		sm_err_set(e, SM_EXIT_IO, "QMP socket '%s': no QMP greeting",
			   path);
		goto err_close;
	}
	json_decref(msg);
	if (sm_qmp_execute(q, "qmp_capabilities", NULL, NULL, e) < 0) {
		if (e)
			e->code = e->code == SM_EXIT_VM ? SM_EXIT_UNSUPPORTED :
							  e->code;
		goto err_close;
	}
	*qp = q;
	return 0;

err_close:
	close(q->fd);
err_free:
	free(q->buf);
	free(q);
	return -1;
}

int sm_qmp_execute(struct sm_qmp *q, const char *command, const char *args,
		   char **ret, struct sm_err *e)
{
	double deadline = sm_now() + q->timeout;
	json_t *req = NULL, *a = NULL, *msg = NULL, *id, *v;
	json_error_t jerr;
	char idbuf[32], *text = NULL;
	int rc = -1;

	if (ret)
		*ret = NULL;
	snprintf(idbuf, sizeof(idbuf), "sevmig-%u", q->next_id++);
	if (args) {
		a = json_loads(args, 0, &jerr);
		if (!json_is_object(a)) {
			sm_err_set(
				e, SM_EXIT_USAGE,
				"QMP command '%s': arguments are not a JSON object",
				command);
			goto out;
		}
	}
	req = json_pack("{s:s, s:s}", "execute", command, "id", idbuf);
	if (!req || (a && json_object_set(req, "arguments", a) < 0)) {
		sm_err_set(e, SM_EXIT_FAILURE,
			   "QMP command '%s': out of memory", command);
		goto out;
	}
	text = json_dumps(req, JSON_COMPACT);
	if (!text) {
		sm_err_set(e, SM_EXIT_FAILURE,
			   "QMP command '%s': out of memory", command);
		goto out;
	}
	pr_debug("QMP '%s' -> %s", q->path, text);
	if (send_all(q, text, strlen(text), deadline, e) < 0 ||
	    send_all(q, "\n", 1, deadline, e) < 0)
		goto out;

	for (;;) {
		json_decref(msg);
		if (read_msg(q, deadline, &msg, e) < 0)
			goto out;
		if (!json_is_object(msg))
			continue;
		if ((v = json_object_get(msg, "event"))) {
			pr_debug("QMP event '%s' skipped",
				 json_is_string(v) ? json_string_value(v) :
						     "?");
			continue;
		}
		id = json_object_get(msg, "id");
		if (id && !(json_is_string(id) &&
			    !strcmp(json_string_value(id), idbuf)))
			continue;
		if ((v = json_object_get(msg, "error"))) {
			const char *cls =
				json_string_value(json_object_get(v, "class"));
			const char *desc =
				json_string_value(json_object_get(v, "desc"));

			if (!cls)
				cls = "?";
			sm_err_set(e,
				   strcmp(cls, "CommandNotFound") ?
					   SM_EXIT_VM :
					   SM_EXIT_UNSUPPORTED,
				   "QMP command '%s' failed: %s%s%s%s", command,
				   desc ? desc : "no description",
				   strcmp(cls, "GenericError") ? " (" : "",
				   strcmp(cls, "GenericError") ? cls : "",
				   strcmp(cls, "GenericError") ? ")" : "");
			goto out;
		}
		if ((v = json_object_get(msg, "return"))) {
			if (ret) {
				*ret = json_dumps(v, JSON_COMPACT |
							     JSON_ENCODE_ANY);
				if (!*ret) {
					sm_err_set(
						e, SM_EXIT_FAILURE,
						"QMP command '%s': out of memory",
						command);
					goto out;
				}
			}
			rc = 0;
			goto out;
		}
		pr_debug("QMP '%s': unexpected message skipped", q->path);
	}

out:
	json_decref(msg);
	json_decref(req);
	json_decref(a);
	free(text);
	return rc;
}

/* Decode base64 field name of obj into exactly want bytes (0: up to max). */
static int b64_field(json_t *obj, const char *name, uint8_t *out, size_t want,
		     size_t max, size_t *got, struct sm_err *e)
{
	const char *s = json_string_value(json_object_get(obj, name));
	uint8_t *tmp;
	ssize_t n;

	if (!s)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"query-sev-capabilities: '%s' missing or not a string",
			name);
	/* Decoded data is never longer than its text: decode it all. */
	tmp = malloc(strlen(s) + 1);
	if (!tmp)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "query-sev-capabilities");
	n = sm_base64_decode(s, tmp, strlen(s) + 1);
	if (n < 0) {
		free(tmp);
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"query-sev-capabilities: '%s' is not valid base64",
			name);
	}
	if ((size_t)n > max || (want && (size_t)n != want)) {
		free(tmp);
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "query-sev-capabilities: '%s' has %zd bytes, "
				  "expected %s%zu",
				  name, n, want ? "" : "at most ",
				  want ? want : max);
	}
	memcpy(out, tmp, (size_t)n);
	free(tmp);
	if (got)
		*got = (size_t)n;
	return 0;
}

int sm_qmp_query_sev_capabilities(struct sm_qmp *q,
				  struct sm_qmp_sev_caps *caps,
				  struct sm_err *e)
{
	json_error_t jerr;
	json_t *r, *v;
	char *text;
	int rc = -1;

	memset(caps, 0, sizeof(*caps));
	caps->cbitpos = caps->reduced_phys_bits = -1;
	if (sm_qmp_execute(q, "query-sev-capabilities", NULL, &text, e) < 0) {
		/*
		 * Whatever QEMU says here (KVM not enabled, SEV not
		 * available, no such command), this host cannot give us a
		 * SEV chain through QEMU: unsupported, with QEMU's words.
		 * A transport failure keeps its class: its message names
		 * the socket.
		 */
		if (!e ||
		    (e->code != SM_EXIT_VM && e->code != SM_EXIT_UNSUPPORTED))
			return -1;
		e->code = SM_EXIT_UNSUPPORTED;
		return sm_err_prefix(e, "QEMU at '%s' has no SEV", q->path);
	}
	r = json_loads(text, 0, &jerr);
	free(text);
	if (!json_is_object(r)) {
		sm_err_set(
			e, SM_EXIT_VERIFY,
			"query-sev-capabilities: the answer is not an object");
		goto out;
	}
	if (b64_field(r, "pdh", caps->pdh, SM_SEV_CERT_LEN, SM_SEV_CERT_LEN,
		      NULL, e) < 0 ||
	    b64_field(r, "cert-chain", caps->chain, SM_SEV_CHAIN_LEN,
		      SM_SEV_CHAIN_LEN, NULL, e) < 0)
		goto out;
	if (json_object_get(r, "cpu0-id") &&
	    b64_field(r, "cpu0-id", caps->cpu0_id, 0, sizeof(caps->cpu0_id),
		      &caps->cpu0_id_len, e) < 0)
		goto out;
	if ((v = json_object_get(r, "cbitpos")) && json_is_integer(v))
		caps->cbitpos = (int)json_integer_value(v);
	if ((v = json_object_get(r, "reduced-phys-bits")) && json_is_integer(v))
		caps->reduced_phys_bits = (int)json_integer_value(v);
	rc = 0;
out:
	json_decref(r);
	return rc;
}

void sm_qmp_close(struct sm_qmp *q)
{
	if (!q)
		return;
	close(q->fd);
	free(q->buf);
	free(q);
}
