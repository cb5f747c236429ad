// SPDX-License-Identifier: MIT
/*
 * VM endpoint server: a poll() loop over a listening unix socket, its
 * clients and their device-state pipes.  Requests are handled one at a
 * time, in arrival order; a reply is written before the next request is
 * read, with a bounded wait so a client that never reads cannot wedge the
 * VMM.  See endpoint-server.h for the contract, docs/sevmig-endpoint.7 for
 * the protocol.  One idea, the server's loop and its rules (claims,
 * context holders, bounded replies); the VMM's answers are its callbacks.
 */
#include "endpoint/endpoint-server.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/bytes.h"
#include "endpoint/endpoint-wire.h"
#include "base/log.h"
#include "base/util.h"

#define MAX_CONNS 32
#define IOBUF (64 * 1024)
#define CLOSE_FLUSH 1.0 /* seconds to flush replies when closing */
#define REGIONS_PER_REPLY 8192

struct conn {
	int sock;
	unsigned id;
	/* the message being read */
	uint8_t hdr[SM_EPW_HDR_LEN];
	size_t hdr_got;
	char *body;
	size_t body_len, body_got;
	int fds[SM_EP_MAX_FDS];
	int nfds, overflow;
	/* device-state stream to the client */
	int out_fd;
	uint64_t out_size, out_off;
	uint8_t *out_buf;
	size_t out_len, out_pos;
	/* replies not yet taken by the client's socket */
	uint8_t *obuf;
	size_t olen, opos;
	int ofds[SM_EP_MAX_FDS]; /* ride with obuf's first byte */
	int nofds;
	/* load-device-state stream from the client */
	int in_fd;
	uint64_t in_size, in_off;
	int dead;
	struct conn *next;
};

struct sm_eps {
	int lsock;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	const struct sm_eps_ops *ops;
	void *vmm;
	struct conn *conns;
	struct conn *holder; /* holds the context; always the claimant */
	struct conn *claimant; /* the one client that may touch the guest */
	int quit;
	unsigned next_id, nconns;
	uint8_t *buf;
};

/* One request being handled. */
struct call {
	const char *op;
	json_t *req;
	json_t *rep;
	int rfds[SM_EP_MAX_FDS]; /* sent with the reply */
	int nrfds;
	int own[2]; /* pipe ends to close once sent */
	const char *code; /* server-level error code, else from e->code */
};

static const char *code_of(const struct sm_err *e)
{
	switch (e->code) {
	case SM_EXIT_VM:
		return "state";
	case SM_EXIT_USAGE:
		return "invalid";
	case SM_EXIT_VERIFY:
		return "verify";
	case SM_EXIT_UNSUPPORTED:
		return "unsupported";
	default:
		return "failed";
	}
}

static void out_drop(struct conn *c)
{
	free(c->obuf);
	c->obuf = NULL;
	c->olen = c->opos = 0;
	sm_epw_close_fds(c->ofds, c->nofds);
	c->nofds = 0;
}

/*
 * Write as much of the queued output as the socket takes now.  The
 * descriptors go with the first byte.  A failure marks the connection
 * dead.
 */
static void out_flush(struct conn *c)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * SM_EP_MAX_FDS)];
	} ctl;

	while (c->opos < c->olen) {
		struct iovec iov = { .iov_base = c->obuf + c->opos,
				     .iov_len = c->olen - c->opos };
		struct msghdr mh;
		ssize_t n;

		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (c->nofds) {
			struct cmsghdr *cm;

			memset(&ctl, 0, sizeof(ctl));
			mh.msg_control = ctl.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * c->nofds);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * c->nofds);
			memcpy(CMSG_DATA(cm), c->ofds, sizeof(int) * c->nofds);
		}
		n = sendmsg(c->sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			pr_info("client %u: sending a reply: %s", c->id,
				strerror(errno));
			c->dead = 1;
			return;
		}
		/* Passed: the client has its own copies now. */
		sm_epw_close_fds(c->ofds, c->nofds);
		c->nofds = 0;
		c->opos += (size_t)n;
	}
	out_drop(c);
}

/*
 * Queue obj (stolen) with copies of fds and send what goes now.  A
 * failure marks the connection dead.
 */
static void send_obj(struct conn *c, json_t *obj, const int *fds, int nfds)
{
	size_t len, pending;
	uint8_t *buf;
	char *text;
	int i;

	if (!obj) {
		c->dead = 1;
		return;
	}
	text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (!text) {
		c->dead = 1;
		return;
	}
	pr_debug("client %u <- %s", c->id, text);
	len = strlen(text);
	pending = c->olen - c->opos;
	/* Descriptors must ride with the message's first byte. */
	if ((nfds && pending) || nfds > SM_EP_MAX_FDS) {
		c->dead = 1;
		free(text);
		return;
	}
	buf = malloc(pending + SM_EPW_HDR_LEN + len);
	if (!buf) {
		c->dead = 1;
		free(text);
		return;
	}
	if (pending)
		memcpy(buf, c->obuf + c->opos, pending);
	buf[pending] = (uint8_t)(len >> 24);
	buf[pending + 1] = (uint8_t)(len >> 16);
	buf[pending + 2] = (uint8_t)(len >> 8);
	buf[pending + 3] = (uint8_t)len;
	memcpy(buf + pending + SM_EPW_HDR_LEN, text, len);
	free(text);
	free(c->obuf);
	c->obuf = buf;
	c->olen = pending + SM_EPW_HDR_LEN + len;
	c->opos = 0;
	for (i = 0; i < nfds; i++) {
		c->ofds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
		if (c->ofds[i] < 0) {
			c->nofds = i;
			c->dead = 1;
			return;
		}
	}
	c->nofds = nfds;
	out_flush(c);
}

static void send_error(struct conn *c, const char *code, const char *msg)
{
	pr_debug("client %u: error (%s): %s", c->id, code, msg);
	send_obj(c,
		 json_pack("{s:b,s:s,s:s}", "ok", 0, "error", msg, "code",
			   code),
		 NULL, 0);
}

static int fail(struct call *k, const char *code, struct sm_err *e,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A server-level error with its own code.  Returns -1. */
static int fail(struct call *k, const char *code, struct sm_err *e,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sm_err_vset(e, SM_EXIT_FAILURE, fmt, ap);
	va_end(ap);
	k->code = code;
	return -1;
}

static int set(struct call *k, const char *key, json_t *v)
{
	return json_object_set_new(k->rep, key, v);
}

static int hexval(json_t *v, uint64_t *out)
{
	return sm_parse_hex_u64(json_string_value(v), out);
}

static json_t *hexstr(uint64_t v)
{
	char buf[19];

	sm_fmt_hex_u64(buf, v);
	return json_string(buf);
}

/* Claim the VMM for c: the guest, its memory and its context are c's. */
static int claim(struct sm_eps *s, struct conn *c, struct call *k,
		 struct sm_err *e)
{
	if (s->claimant == c)
		return 0;
	if (s->claimant)
		return fail(
			k, "busy", e,
			"the VM is claimed by another client (client %u): an export or import is under way",
			s->claimant->id);
	if (s->ops->claim && s->ops->claim(s->vmm, e))
		return -1;
	s->claimant = c;
	pr_info("client %u claimed the VM", c->id);
	return 0;
}

static int op_hello(struct sm_eps *s, struct conn *c, struct call *k,
		    struct sm_err *e)
{
	struct sm_ep_hello *h;
	json_t *mem, *cl = json_object_get(k->req, "claim");
	size_t i;
	int rc = -1;

	if (cl && !json_is_boolean(cl))
		return fail(k, "malformed", e, "'claim' must be a boolean");
	if (json_is_true(cl) && claim(s, c, k, e))
		return -1;
	h = calloc(1, sizeof(*h));
	if (!h)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	if (s->ops->hello(s->vmm, h, e))
		goto out;
	if (h->nfds < 1 || h->nfds > SM_EP_MAX_FDS || h->nranges < 1 ||
	    h->nranges > SM_EP_MAX_RANGES) {
		sm_err_set(e, SM_EXIT_FAILURE, "the VMM has no memory to show");
		goto out;
	}
	mem = json_array();
	for (i = 0; i < h->nranges; i++) {
		const struct sm_ep_range *r = &h->ranges[i];

		json_array_append_new(mem, json_pack("{s:o,s:I,s:i,s:o}", "gpa",
						     hexstr(r->gpa), "size",
						     (json_int_t)r->size, "fd",
						     r->fd_index, "offset",
						     hexstr(r->offset)));
	}
	set(k, "version", json_integer(SM_EP_VERSION));
	set(k, "platform", json_string(h->platform));
	if (h->platform_dir[0])
		set(k, "platform_dir", json_string(h->platform_dir));
	set(k, "role", json_string(h->role));
	set(k, "state", json_string(h->state));
	set(k, "vcpus", json_integer(h->vcpus));
	set(k, "es", json_boolean(h->es));
	set(k, "policy", json_integer(h->policy));
	set(k, "migration_ready", json_boolean(h->migration_ready));
	if (h->mh_helpers)
		set(k, "mh_helpers", json_integer(h->mh_helpers));
	if (h->svsm_mailboxes) {
		set(k, "svsm_mailboxes", json_integer(h->svsm_mailboxes));
		set(k, "snp_policy",
		    json_integer((json_int_t)(h->snp_policy & INT64_MAX)));
		set(k, "svsm_state_records",
		    json_integer((json_int_t)h->svsm_state_records));
	}
	if (h->ram_zeroed)
		set(k, "ram_zeroed", json_true());
	set(k, "mem_size", json_integer((json_int_t)h->mem_size));
	set(k, "memory", mem);
	/* The memory itself only for the claimant. */
	if (s->claimant == c) {
		memcpy(k->rfds, h->fds, sizeof(int) * h->nfds);
		k->nrfds = h->nfds;
	}
	rc = 0;
out:
	free(h);
	return rc;
}

static int op_status(struct sm_eps *s, struct conn *c, struct call *k,
		     struct sm_err *e)
{
	struct sm_ep_status st;

	(void)c;
	memset(&st, 0, sizeof(st));
	if (s->ops->status(s->vmm, &st, e))
		return -1;
	set(k, "vmm_state", json_string(st.vmm_state));
	set(k, "role", json_string(st.role));
	set(k, "guest_state", json_string(st.guest_state));
	set(k, "policy", json_integer(st.policy));
	set(k, "handle", json_integer(st.handle));
	set(k, "mem_size", json_integer((json_int_t)st.mem_size));
	set(k, "vcpus", json_integer(st.vcpus));
	set(k, "es", json_boolean(st.es));
	set(k, "migration_ready", json_boolean(st.migration_ready));
	set(k, "context_held", json_boolean(s->holder != NULL));
	set(k, "claimed", json_boolean(s->claimant != NULL));
	set(k, "hold", json_string(st.hold));
	if (st.hold_reason[0])
		set(k, "hold_reason", json_string(st.hold_reason));
	return 0;
}

static int op_pause(struct sm_eps *s, struct conn *c, struct call *k,
		    struct sm_err *e)
{
	(void)c;
	(void)k;
	return s->ops->pause(s->vmm, e);
}

/* An optional boolean field of the request (0 when absent). */
static int opt_bool(struct call *k, const char *key, int *v, struct sm_err *e)
{
	json_t *x = json_object_get(k->req, key);

	*v = 0;
	if (!x)
		return 0;
	if (!json_is_boolean(x))
		return fail(k, "malformed", e, "'%s' must be a boolean", key);
	*v = json_is_true(x);
	return 0;
}

static int op_resume(struct sm_eps *s, struct conn *c, struct call *k,
		     struct sm_err *e)
{
	int force;

	(void)c;
	if (opt_bool(k, "force", &force, e))
		return -1;
	return s->ops->resume(s->vmm, force, e);
}

static int op_shared_regions(struct sm_eps *s, struct conn *c, struct call *k,
			     struct sm_err *e)
{
	const struct sm_ep_region *r;
	json_t *from = json_object_get(k->req, "from"), *arr;
	uint64_t start = 0;
	size_t n, i;
	int more = 0;

	(void)c;
	if (from && hexval(from, &start))
		return fail(k, "malformed", e,
			    "'from' must be a \"0x...\" string");
	if (s->ops->shared_regions(s->vmm, start, REGIONS_PER_REPLY, &r, &n,
				   &more, e))
		return -1;
	if (n > REGIONS_PER_REPLY)
		n = REGIONS_PER_REPLY;
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:o,s:I}", "gpa",
						     hexstr(r[i].gpa), "size",
						     (json_int_t)r[i].size));
	set(k, "regions", arr);
	if (more && n)
		set(k, "next", hexstr(r[n - 1].gpa + r[n - 1].size));
	return 0;
}

static int op_set_shared_regions(struct sm_eps *s, struct conn *c,
				 struct call *k, struct sm_err *e)
{
	struct sm_ep_region *r;
	json_t *arr, *x, *g, *sz;
	json_error_t je;
	size_t i, n;
	int append = 0, rc;

	(void)c;
	if (json_unpack_ex(k->req, &je, 0, "{s:o,s?b}", "regions", &arr,
			   "append", &append) ||
	    !json_is_array(arr))
		return fail(k, "malformed", e,
			    "'regions' must be an array of {gpa, size}");
	n = json_array_size(arr);
	r = calloc(n ? n : 1, sizeof(*r));
	if (!r)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	json_array_foreach(arr, i, x)
	{
		if (json_unpack_ex(x, &je, 0, "{s:o,s:o!}", "gpa", &g, "size",
				   &sz) ||
		    hexval(g, &r[i].gpa) || !json_is_integer(sz) ||
		    json_integer_value(sz) <= 0) {
			free(r);
			return fail(
				k, "malformed", e,
				"region %zu must be {\"gpa\":\"0x...\",\"size\":N}",
				i);
		}
		r[i].size = (uint64_t)json_integer_value(sz);
		if (r[i].gpa % SM_PAGE_SIZE || r[i].size % SM_PAGE_SIZE ||
		    r[i].gpa + r[i].size < r[i].gpa ||
		    (i && r[i].gpa < r[i - 1].gpa + r[i - 1].size)) {
			uint64_t gpa = r[i].gpa;

			free(r);
			return sm_err_set(
				e, SM_EXIT_USAGE,
				"region 0x%" PRIx64
				" is unaligned, overlapping or out of order",
				gpa);
		}
	}
	rc = s->ops->set_shared_regions(s->vmm, r, n, append, e);
	free(r);
	return rc;
}

/* A pipe with our end non-blocking; ours and theirs returned. */
static int make_pipe(int our_read, int *ours, int *theirs, struct sm_err *e)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return sm_err_errno(e, SM_EXIT_FAILURE, errno,
				    "creating a pipe");
	*ours = our_read ? p[0] : p[1];
	*theirs = our_read ? p[1] : p[0];
	fcntl(*ours, F_SETFL, O_NONBLOCK);
	return 0;
}

static int op_device_state(struct sm_eps *s, struct conn *c, struct call *k,
			   struct sm_err *e)
{
	uint64_t size;
	int ours, theirs;

	if (c->out_fd >= 0)
		return sm_err_set(
			e, SM_EXIT_VM,
			"a device-state stream is already open on this connection");
	if (s->ops->device_state(s->vmm, &size, e))
		return -1;
	if (size > INT64_MAX)
		return sm_err_set(e, SM_EXIT_FAILURE, "device state too large");
	c->out_buf = malloc(IOBUF);
	if (!c->out_buf)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	if (make_pipe(0, &ours, &theirs, e)) {
		free(c->out_buf);
		c->out_buf = NULL;
		return -1;
	}
	c->out_fd = ours;
	c->out_size = size;
	c->out_off = 0;
	c->out_len = c->out_pos = 0;
	k->rfds[k->nrfds++] = theirs;
	k->own[0] = theirs;
	set(k, "size", json_integer((json_int_t)size));
	return 0;
}

static int op_load_device_state(struct sm_eps *s, struct conn *c,
				struct call *k, struct sm_err *e)
{
	json_t *sz = json_object_get(k->req, "size");
	uint64_t size;
	int ours, theirs;

	if (!json_is_integer(sz) || json_integer_value(sz) < 0)
		return fail(k, "malformed", e,
			    "'size' must be a non-negative integer");
	size = (uint64_t)json_integer_value(sz);
	if (s->ops->load_device_state(s->vmm, size, e))
		return -1;
	if (make_pipe(1, &ours, &theirs, e)) {
		s->ops->load_device_state_end(s->vmm, 0, e);
		return -1;
	}
	c->in_fd = ours;
	c->in_size = size;
	c->in_off = 0;
	k->rfds[k->nrfds++] = theirs;
	k->own[0] = theirs;
	return 0;
}

static int op_take_context(struct sm_eps *s, struct conn *c, struct call *k,
			   struct sm_err *e)
{
	int fd;

	if (s->holder == c)
		return sm_err_set(e, SM_EXIT_VM,
				  "this client already holds the context");
	if (s->ops->take_context(s->vmm, &fd, e))
		return -1;
	k->rfds[k->nrfds++] = fd;
	s->holder = c;
	pr_info("client %u took the context", c->id);
	return 0;
}

static int op_return_context(struct sm_eps *s, struct conn *c, struct call *k,
			     struct sm_err *e)
{
	json_t *d = json_object_get(k->req, "in_doubt");

	if (s->holder != c)
		return sm_err_set(e, SM_EXIT_VM,
				  "the context was not handed to this client");
	if (d && (!json_is_string(d) || !json_string_value(d)[0]))
		return fail(k, "malformed", e,
			    "'in_doubt' must be a non-empty string");
	if (s->ops->return_context(s->vmm, k->own[1],
				   d ? json_string_value(d) : NULL, e))
		return -1;
	s->holder = NULL;
	pr_info("client %u returned the context", c->id);
	return 0;
}

static int op_release(struct sm_eps *s, struct conn *c, struct call *k,
		      struct sm_err *e)
{
	(void)k;
	if (s->holder != c)
		return sm_err_set(e, SM_EXIT_VM,
				  "the context was not handed to this client");
	if (s->ops->release(s->vmm, e))
		return -1;
	s->holder = NULL;
	pr_info("client %u released the guest", c->id);
	return 0;
}

/* stream-written, target-ready: only the holder reports its progress. */
static int op_progress(struct sm_eps *s, struct conn *c, struct call *k,
		       struct sm_err *e)
{
	if (s->holder != c)
		return sm_err_set(e, SM_EXIT_VM,
				  "the context was not handed to this client");
	if (!strcmp(k->op, "stream-written"))
		return s->ops->stream_written(s->vmm, e);
	return s->ops->target_ready(s->vmm, e);
}

static int op_adopt_context(struct sm_eps *s, struct conn *c, struct call *k,
			    struct sm_err *e)
{
	int pending;

	(void)c;
	if (opt_bool(k, "pending", &pending, e))
		return -1;
	/* adopt-received carries no descriptor: the VMM's own context */
	return s->ops->adopt_context(
		s->vmm, strcmp(k->op, "adopt-received") ? k->own[1] : -1,
		pending, e);
}

static int op_commit(struct sm_eps *s, struct conn *c, struct call *k,
		     struct sm_err *e)
{
	(void)c;
	(void)k;
	return s->ops->commit(s->vmm, e);
}

static int op_discard(struct sm_eps *s, struct conn *c, struct call *k,
		      struct sm_err *e)
{
	(void)c;
	(void)k;
	return s->ops->discard(s->vmm, e);
}

static int op_digest(struct sm_eps *s, struct conn *c, struct call *k,
		     struct sm_err *e)
{
	uint8_t d[32];
	char hex[65];
	uint64_t pages;

	(void)c;
	if (s->ops->digest(s->vmm, d, &pages, e))
		return -1;
	sm_hex_encode(d, sizeof(d), hex);
	set(k, "sha256", json_string(hex));
	set(k, "pages", json_integer((json_int_t)pages));
	return 0;
}

static int op_check(struct sm_eps *s, struct conn *c, struct call *k,
		    struct sm_err *e)
{
	struct sm_ep_check r;
	json_t *arr;
	size_t i;

	(void)c;
	memset(&r, 0, sizeof(r));
	if (s->ops->check(s->vmm, &r, e))
		return -1;
	arr = json_array();
	for (i = 0; i < r.nfirst && i < SM_EP_CHECK_FIRST; i++)
		json_array_append_new(arr, hexstr(r.first_bad[i]));
	set(k, "pages", json_integer((json_int_t)r.pages));
	set(k, "bad", json_integer((json_int_t)r.bad));
	set(k, "first_bad", arr);
	set(k, "vmsas", json_integer(r.vmsas));
	set(k, "bad_vmsas", json_integer(r.bad_vmsas));
	if (r.svsm_states) {
		set(k, "svsm_states", json_integer(r.svsm_states));
		set(k, "bad_svsm_states", json_integer(r.bad_svsm_states));
	}
	return 0;
}

static int op_launch_measure(struct sm_eps *s, struct conn *c, struct call *k,
			     struct sm_err *e)
{
	struct sm_ep_launch_measure m;
	char b64[2 * SM_EP_MEASURE_LEN];

	(void)c;
	memset(&m, 0, sizeof(m));
	if (s->ops->launch_measure(s->vmm, &m, e))
		return -1;
	sm_base64_encode(m.blob, sizeof(m.blob), b64);
	set(k, "measurement", json_string(b64));
	set(k, "api_major", json_integer(m.api_major));
	set(k, "api_minor", json_integer(m.api_minor));
	set(k, "build", json_integer(m.build));
	set(k, "policy", json_integer(m.policy));
	return 0;
}

/* A base64 request field into a new buffer of at most max bytes. */
static int req_b64(struct call *k, const char *key, size_t max, uint8_t **out,
		   size_t *len, struct sm_err *e)
{
	const char *v = json_string_value(json_object_get(k->req, key));
	ssize_t n;

	*out = NULL;
	if (!v || strlen(v) > 4 * ((max + 2) / 3))
		return fail(k, "malformed", e,
			    "'%s' must be base64 of at most %zu bytes", key,
			    max);
	*out = malloc(max ? max : 1);
	if (!*out)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	n = sm_base64_decode(v, *out, max);
	if (n <= 0) {
		free(*out);
		*out = NULL;
		return fail(k, "malformed", e, "'%s' is not base64", key);
	}
	*len = (size_t)n;
	return 0;
}

static int op_launch_secret(struct sm_eps *s, struct conn *c, struct call *k,
			    struct sm_err *e)
{
	uint8_t *hdr = NULL, *payload = NULL;
	size_t hlen = 0, plen = 0;
	int rc = -1;

	(void)c;
	if (req_b64(k, "header", 1024, &hdr, &hlen, e) ||
	    req_b64(k, "payload", SM_EP_SECRET_MAX, &payload, &plen, e))
		goto out;
	rc = s->ops->launch_secret(s->vmm, hdr, hlen, payload, plen, e);
out:
	free(hdr);
	if (payload)
		sm_wipe(payload, SM_EP_SECRET_MAX);
	free(payload);
	return rc;
}

static int op_launch_finish(struct sm_eps *s, struct conn *c, struct call *k,
			    struct sm_err *e)
{
	(void)c;
	(void)k;
	return s->ops->launch_finish(s->vmm, e);
}

static int op_secrets(struct sm_eps *s, struct conn *c, struct call *k,
		      struct sm_err *e)
{
	struct sm_ep_secrets *l = calloc(1, sizeof(*l));
	json_t *arr;
	char hex[65];
	size_t i;

	(void)c;
	if (!l)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	if (s->ops->secrets(s->vmm, l, e)) {
		free(l);
		return -1;
	}
	arr = json_array();
	for (i = 0; i < l->n && i < SM_EP_SECRETS_MAX; i++) {
		sm_hex_encode(l->s[i].sha256, 32, hex);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I}", "guid",
						     l->s[i].guid, "sha256",
						     hex, "size",
						     (json_int_t)l->s[i].size));
	}
	set(k, "secrets", arr);
	free(l);
	return 0;
}

static int op_snp_report(struct sm_eps *s, struct conn *c, struct call *k,
			 struct sm_err *e)
{
	const char *hex =
		json_string_value(json_object_get(k->req, "report_data"));
	uint8_t rd[64], *r = malloc(SM_EP_SNP_REPORT_LEN);
	char *b;
	int rc = -1;

	(void)c;
	if (!r)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	memset(rd, 0, sizeof(rd));
	if (hex && (strlen(hex) != 128 || sm_hex_decode(hex, rd, 64) != 64)) {
		rc = fail(k, "malformed", e,
			  "'report_data' must be 64 bytes in hexadecimal");
		goto out;
	}
	if (s->ops->snp_report(s->vmm, rd, r, e))
		goto out;
	b = malloc(sm_base64_len(SM_EP_SNP_REPORT_LEN) + 1);
	if (!b) {
		rc = sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
		goto out;
	}
	sm_base64_encode(r, SM_EP_SNP_REPORT_LEN, b);
	set(k, "report", json_string(b));
	free(b);
	rc = 0;
out:
	free(r);
	return rc;
}

static void set_b64(struct call *k, const char *key, const uint8_t *buf,
		    size_t len)
{
	char *b = malloc(sm_base64_len(len) + 1);

	if (b) {
		sm_base64_encode(buf, len, b);
		set(k, key, json_string(b));
	}
	free(b);
}

static int op_snp_target(struct sm_eps *s, struct conn *c, struct call *k,
			 struct sm_err *e)
{
	struct sm_ep_snp_target *t = calloc(1, sizeof(*t));

	(void)c;
	if (!t)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	if (s->ops->snp_target(s->vmm, t, e)) {
		free(t);
		return -1;
	}
	set_b64(k, "report", t->report, sizeof(t->report));
	set_b64(k, "public_key", t->pub, sizeof(t->pub));
	set_b64(k, "nonce", t->nonce, sizeof(t->nonce));
	set_b64(k, "vcek", t->vcek, t->vcek_len);
	t->chain[sizeof(t->chain) - 1] = '\0';
	set(k, "cert_chain", json_string(t->chain));
	free(t);
	return 0;
}

static int op_quit(struct sm_eps *s, struct conn *c, struct call *k,
		   struct sm_err *e)
{
	(void)k;
	if (s->holder == c)
		return sm_err_set(
			e, SM_EXIT_VM,
			"this client holds the context: return or release it first");
	if (s->ops->quit(s->vmm, e))
		return -1;
	s->quit = 1;
	return 0;
}

/*
 * The operations.  nfds: descriptors the request must carry.  shared:
 * allowed while another client claims the VM (read-only ones).  claim:
 * it touches the guest, its memory or its context, so it claims the VM
 * for this client (hello claims only when asked; those for the context's
 * holder check that, which implies the claim).  cb: offset of the callback that must exist (NULL:
 * "unsupported").
 */
#define CB(name) offsetof(struct sm_eps_ops, name)
static const struct op {
	const char *name;
	int (*fn)(struct sm_eps *s, struct conn *c, struct call *k,
		  struct sm_err *e);
	int nfds;
	int shared;
	int claim;
	size_t cb;
} optab[] = {
	{ "hello", op_hello, 0, 1, 0, CB(hello) },
	{ "status", op_status, 0, 1, 0, CB(status) },
	{ "shared-regions", op_shared_regions, 0, 1, 0, CB(shared_regions) },
	{ "pause", op_pause, 0, 0, 0, CB(pause) },
	{ "resume", op_resume, 0, 0, 0, CB(resume) },
	{ "set-shared-regions", op_set_shared_regions, 0, 0, 1,
	  CB(set_shared_regions) },
	{ "device-state", op_device_state, 0, 0, 1, CB(device_state_read) },
	{ "load-device-state", op_load_device_state, 0, 0, 1,
	  CB(load_device_state_end) },
	{ "take-context", op_take_context, 0, 0, 1, CB(take_context) },
	{ "return-context", op_return_context, 1, 0, 0, CB(return_context) },
	{ "release", op_release, 0, 0, 0, CB(release) },
	{ "stream-written", op_progress, 0, 0, 0, CB(stream_written) },
	{ "target-ready", op_progress, 0, 0, 0, CB(target_ready) },
	{ "adopt-context", op_adopt_context, 1, 0, 1, CB(adopt_context) },
	{ "adopt-received", op_adopt_context, 0, 0, 1, CB(adopt_context) },
	{ "commit", op_commit, 0, 0, 1, CB(commit) },
	{ "discard", op_discard, 0, 0, 0, CB(discard) },
	{ "digest", op_digest, 0, 0, 0, CB(digest) },
	{ "check", op_check, 0, 0, 0, CB(check) },
	{ "launch-measure", op_launch_measure, 0, 0, 1, CB(launch_measure) },
	{ "launch-secret", op_launch_secret, 0, 0, 1, CB(launch_secret) },
	{ "launch-finish", op_launch_finish, 0, 0, 1, CB(launch_finish) },
	{ "secrets", op_secrets, 0, 0, 0, CB(secrets) },
	{ "snp-report", op_snp_report, 0, 1, 0, CB(snp_report) },
	{ "snp-target", op_snp_target, 0, 1, 0, CB(snp_target) },
	{ "quit", op_quit, 0, 0, 0, CB(quit) },
};

static int has_cb(const struct sm_eps_ops *ops, size_t off)
{
	void *p;

	memcpy(&p, (const char *)ops + off, sizeof(p));
	return p != NULL;
}

static const struct op *find_op(const char *name)
{
	size_t i;

	for (i = 0; i < SM_ARRAY_SIZE(optab); i++)
		if (!strcmp(optab[i].name, name))
			return &optab[i];
	return NULL;
}

/* Check and run one request; return its reply (or error) via k. */
static int dispatch(struct sm_eps *s, struct conn *c, struct call *k,
		    struct sm_err *e)
{
	const struct op *op;
	json_error_t je;
	json_t *ver, *opname;

	if (c->overflow)
		return fail(k, "fds", e, "too many file descriptors (limit %d)",
			    SM_EP_MAX_FDS);
	k->req = json_loadb(c->body, c->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!k->req)
		return fail(k, "malformed", e, "malformed JSON: %d:%d: %s",
			    je.line, je.column, je.text);
	if (!json_is_object(k->req))
		return fail(k, "malformed", e,
			    "a request must be a JSON object");
	ver = json_object_get(k->req, "version");
	opname = json_object_get(k->req, "op");
	if (!json_is_integer(ver) || !json_is_string(opname))
		return fail(
			k, "malformed", e,
			"a request needs \"version\" (integer) and \"op\" (string)");
	k->op = json_string_value(opname);
	if (json_integer_value(ver) != SM_EP_VERSION)
		return fail(k, "unsupported", e,
			    "protocol version %" JSON_INTEGER_FORMAT
			    " not supported (this VMM speaks %d)",
			    json_integer_value(ver), SM_EP_VERSION);
	op = find_op(k->op);
	if (!op)
		return fail(k, "unknown-op", e, "unknown operation '%s'",
			    k->op);
	if (c->nfds != op->nfds)
		return fail(k, "fds", e,
			    "'%s' takes %d file descriptor%s, got %d", k->op,
			    op->nfds, op->nfds == 1 ? "" : "s", c->nfds);
	if (s->holder && s->holder != c && !op->shared)
		return fail(k, "busy", e,
			    "the guest context is held by another client");
	if (s->claimant && s->claimant != c && !op->shared)
		return fail(
			k, "busy", e,
			"the VM is claimed by another client (client %u): an export or import is under way",
			s->claimant->id);
	/* The first request that touches the guest claims the VM. */
	if (op->claim && claim(s, c, k, e))
		return -1;
	if (!has_cb(s->ops, op->cb))
		return fail(k, "unsupported", e,
			    "operation '%s' is not supported by this VMM",
			    k->op);
	if (op->nfds)
		k->own[1] = c->fds[0];
	return op->fn(s, c, k, e);
}

static void handle_request(struct sm_eps *s, struct conn *c)
{
	struct call k = { .own = { -1, -1 } };
	struct sm_err e = { 0 };

	pr_debug("client %u -> %.*s", c->id, (int)c->body_len, c->body);
	k.rep = json_pack("{s:b}", "ok", 1);
	if (dispatch(s, c, &k, &e) == 0) {
		send_obj(c, k.rep, k.rfds, k.nrfds);
	} else {
		json_decref(k.rep);
		send_error(c, k.code ? k.code : code_of(&e), e.msg);
	}
	if (k.own[0] >= 0)
		close(k.own[0]);
	json_decref(k.req);
	sm_epw_close_fds(c->fds, c->nfds);
	c->nfds = 0;
	c->overflow = 0;
}

static void reset_msg(struct conn *c)
{
	free(c->body);
	c->body = NULL;
	c->body_len = c->body_got = c->hdr_got = 0;
}

static void conn_read(struct sm_eps *s, struct conn *c)
{
	ssize_t n;
	uint32_t len;

	if (c->hdr_got < SM_EPW_HDR_LEN)
		n = sm_epw_recv_some(c->sock, c->hdr + c->hdr_got,
				     SM_EPW_HDR_LEN - c->hdr_got, c->fds,
				     &c->nfds, SM_EP_MAX_FDS, &c->overflow);
	else
		n = sm_epw_recv_some(c->sock, c->body + c->body_got,
				     c->body_len - c->body_got, c->fds,
				     &c->nfds, SM_EP_MAX_FDS, &c->overflow);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		if (c->hdr_got || c->nfds)
			pr_info("client %u: disconnected mid-message", c->id);
		c->dead = 1;
		return;
	}
	if (c->hdr_got < SM_EPW_HDR_LEN) {
		c->hdr_got += (size_t)n;
		if (c->hdr_got < SM_EPW_HDR_LEN)
			return;
		len = (uint32_t)c->hdr[0] << 24 | (uint32_t)c->hdr[1] << 16 |
		      (uint32_t)c->hdr[2] << 8 | c->hdr[3];
		if (len > SM_EP_MSG_MAX) {
			char msg[128];

			/* The stream cannot be resynchronised: reply, hang up. */
			snprintf(msg, sizeof(msg),
				 "message of %" PRIu32
				 " bytes exceeds the limit of %u bytes",
				 len, SM_EP_MSG_MAX);
			send_error(c, "too-large", msg);
			c->dead = 1;
			return;
		}
		if (len == 0) {
			send_error(c, "malformed", "empty message");
			sm_epw_close_fds(c->fds, c->nfds);
			c->nfds = 0;
			reset_msg(c);
			return;
		}
		c->body = malloc(len);
		if (!c->body) {
			c->dead = 1;
			return;
		}
		c->body_len = len;
		return;
	}
	c->body_got += (size_t)n;
	if (c->body_got < c->body_len)
		return;
	handle_request(s, c);
	reset_msg(c);
}

static void out_stop(struct conn *c)
{
	if (c->out_fd >= 0)
		close(c->out_fd);
	c->out_fd = -1;
	free(c->out_buf);
	c->out_buf = NULL;
}

static void conn_write_state(struct sm_eps *s, struct conn *c)
{
	struct sm_err e;
	ssize_t n;

	if (c->out_pos == c->out_len) {
		uint64_t left = c->out_size - c->out_off;
		size_t len = left < IOBUF ? (size_t)left : IOBUF;

		if (len == 0) {
			out_stop(c);
			return;
		}
		if (s->ops->device_state_read(s->vmm, c->out_off, c->out_buf,
					      len, &e)) {
			pr_warn("device state for client %u: %s", c->id, e.msg);
			out_stop(c);
			return;
		}
		c->out_off += len;
		c->out_len = len;
		c->out_pos = 0;
	}
	n = write(c->out_fd, c->out_buf + c->out_pos, c->out_len - c->out_pos);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		pr_info("device state for client %u: %s", c->id,
			strerror(errno));
		out_stop(c);
		return;
	}
	c->out_pos += (size_t)n;
	if (c->out_pos == c->out_len && c->out_off == c->out_size)
		out_stop(c);
}

static void in_stop(struct conn *c)
{
	if (c->in_fd >= 0)
		close(c->in_fd);
	c->in_fd = -1;
}

/* The load ended (or failed): give the VMM's verdict to the client. */
static void in_verdict(struct sm_eps *s, struct conn *c, int ok,
		       struct sm_err *e)
{
	struct sm_err ign;

	if (!ok) {
		s->ops->load_device_state_end(s->vmm, 0, &ign);
	} else if (s->ops->load_device_state_end(s->vmm, 1, e) == 0) {
		in_stop(c);
		send_obj(c, json_pack("{s:b}", "ok", 1), NULL, 0);
		return;
	}
	in_stop(c);
	send_error(c, code_of(e), e->msg);
}

static void conn_read_state(struct sm_eps *s, struct conn *c)
{
	struct sm_err e = { .code = SM_EXIT_USAGE };
	ssize_t n = read(c->in_fd, s->buf, IOBUF);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		sm_err_errno(&e, SM_EXIT_FAILURE, errno,
			     "reading the device state");
		in_verdict(s, c, 0, &e);
		return;
	}
	if (n == 0) {
		if (c->in_off < c->in_size) {
			sm_err_set(&e, SM_EXIT_USAGE,
				   "device state truncated: got %" PRIu64
				   " of %" PRIu64 " bytes",
				   c->in_off, c->in_size);
			in_verdict(s, c, 0, &e);
		} else {
			in_verdict(s, c, 1, &e);
		}
		return;
	}
	if ((uint64_t)n > c->in_size - c->in_off) {
		sm_err_set(&e, SM_EXIT_USAGE,
			   "device state longer than the announced %" PRIu64
			   " bytes",
			   c->in_size);
		in_verdict(s, c, 0, &e);
		return;
	}
	if (s->ops->load_device_state_data(s->vmm, c->in_off, s->buf, (size_t)n,
					   &e)) {
		in_verdict(s, c, 0, &e);
		return;
	}
	c->in_off += (uint64_t)n;
}

static void conn_free(struct sm_eps *s, struct conn *c)
{
	struct sm_err ign;

	if (c->in_fd >= 0) {
		s->ops->load_device_state_end(s->vmm, 0, &ign);
		in_stop(c);
	}
	out_stop(c);
	if (s->holder == c) {
		pr_warn("client %u disconnected holding the guest context: taking it back",
			c->id);
		s->holder = NULL;
		if (s->ops->context_lost)
			s->ops->context_lost(s->vmm);
	}
	if (s->claimant == c) {
		s->claimant = NULL;
		pr_info("client %u no longer claims the VM", c->id);
		if (s->ops->unclaim)
			s->ops->unclaim(s->vmm);
	}
	sm_epw_close_fds(c->fds, c->nfds);
	reset_msg(c);
	out_drop(c);
	close(c->sock);
	pr_info("client %u gone", c->id);
	free(c);
	s->nconns--;
}

static void do_accept(struct sm_eps *s)
{
	struct conn *c;
	int fd = accept4(s->lsock, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (s->nconns >= MAX_CONNS) {
		struct conn tmp = { .sock = fd, .id = 0 };

		send_error(&tmp, "busy", "too many clients");
		out_drop(&tmp);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->sock = fd;
	c->id = ++s->next_id;
	c->out_fd = c->in_fd = -1;
	c->next = s->conns;
	s->conns = c;
	s->nconns++;
	pr_info("client %u connected", c->id);
}

static void reap(struct sm_eps *s)
{
	struct conn **pp = &s->conns;

	while (*pp) {
		struct conn *c = *pp;

		if (c->dead) {
			*pp = c->next;
			conn_free(s, c);
		} else {
			pp = &c->next;
		}
	}
}

enum { K_LISTEN, K_STOP, K_SOCK, K_OUT, K_IN };

int sm_eps_run(struct sm_eps *s, int stop_fd, struct sm_err *e)
{
	struct pollfd pfd[2 + 3 * MAX_CONNS];
	struct conn *who[2 + 3 * MAX_CONNS];
	int kind[2 + 3 * MAX_CONNS];

	s->quit = 0;
	while (!s->quit) {
		struct conn *c;
		int n = 0, i, rc;

		pfd[n] = (struct pollfd){ .fd = s->lsock, .events = POLLIN };
		kind[n] = K_LISTEN, who[n++] = NULL;
		if (stop_fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = stop_fd,
						  .events = POLLIN };
			kind[n] = K_STOP, who[n++] = NULL;
		}
		for (c = s->conns; c; c = c->next) {
			/* A queued reply first: no new request until it is out. */
			pfd[n] = (struct pollfd){
				.fd = c->sock,
				.events = c->obuf	? POLLOUT :
					  c->in_fd >= 0 ? 0 :
							  POLLIN,
			};
			kind[n] = K_SOCK, who[n++] = c;
			if (c->out_fd >= 0) {
				pfd[n] = (struct pollfd){ .fd = c->out_fd,
							  .events = POLLOUT };
				kind[n] = K_OUT, who[n++] = c;
			}
			if (c->in_fd >= 0) {
				pfd[n] = (struct pollfd){ .fd = c->in_fd,
							  .events = POLLIN };
				kind[n] = K_IN, who[n++] = c;
			}
		}
		rc = poll(pfd, (nfds_t)n, -1);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return sm_err_errno(e, SM_EXIT_IO, errno,
					    "polling the endpoint");
		}
		for (i = 0; i < n && !s->quit; i++) {
			short r = pfd[i].revents;

			c = who[i];
			if (!r || (c && c->dead))
				continue;
			switch (kind[i]) {
			case K_LISTEN:
				do_accept(s);
				break;
			case K_STOP:
				pr_info("stop requested");
				s->quit = 1;
				break;
			case K_SOCK:
				if (c->obuf)
					out_flush(c);
				else if (c->in_fd >= 0)
					c->dead = 1; /* hung up mid-load */
				else
					conn_read(s, c);
				break;
			case K_OUT:
				if (c->out_fd >= 0)
					conn_write_state(s, c);
				break;
			case K_IN:
				if (c->in_fd >= 0)
					conn_read_state(s, c);
				break;
			}
		}
		reap(s);
	}
	return 0;
}

int sm_eps_open(const char *path, const struct sm_eps_ops *ops, void *vmm,
		struct sm_eps **out, struct sm_err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX }, tmp;
	struct sm_eps *s;
	struct stat st;
	int err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return sm_err_set(e, SM_EXIT_USAGE, "socket path too long '%s'",
				  path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		int t;

		if (!S_ISSOCK(st.st_mode))
			return sm_err_set(
				e, SM_EXIT_IO,
				"cannot listen on '%s': exists and is not a socket",
				path);
		t = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (t >= 0 &&
		    connect(t, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(t);
			return sm_err_set(
				e, SM_EXIT_IO,
				"cannot listen on '%s': a VMM is already serving it",
				path);
		}
		if (t >= 0)
			close(t);
		unlink(path); /* stale: nobody listens */
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	s->buf = malloc(IOBUF);
	if (!s->buf) {
		err = ENOMEM;
		goto err_free;
	}
	s->lsock =
		socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lsock < 0) {
		err = errno;
		goto err_free;
	}
	/*
	 * Bind a temporary name and rename it into place once listening, so
	 * the path never names a socket that refuses connections.  0600
	 * from the start: only the owner may drive the guest.
	 */
	tmp = sa;
	if (snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%d~", path,
		     (int)getpid()) >= (int)sizeof(tmp.sun_path))
		tmp = sa;
	unlink(tmp.sun_path);
	if (fchmod(s->lsock, 0600) < 0 ||
	    bind(s->lsock, (struct sockaddr *)&tmp, sizeof(tmp)) < 0) {
		err = errno;
		goto err_close;
	}
	if (chmod(tmp.sun_path, 0600) < 0 || listen(s->lsock, 16) < 0 ||
	    rename(tmp.sun_path, path) < 0 || stat(path, &st) < 0) {
		err = errno;
		unlink(tmp.sun_path);
		goto err_close;
	}
	memcpy(s->path, path, strlen(path) + 1);
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->ops = ops;
	s->vmm = vmm;
	*out = s;
	return 0;

err_close:
	close(s->lsock);
err_free:
	free(s->buf);
	free(s);
	return sm_err_errno(e, SM_EXIT_IO, err, "cannot listen on '%s'", path);
}

void sm_eps_close(struct sm_eps *s)
{
	struct conn *c;
	struct stat st;

	if (!s)
		return;
	/* Replies still queued (the quit reply) get a moment to leave. */
	for (c = s->conns; c; c = c->next) {
		double deadline = sm_now() + CLOSE_FLUSH;

		while (c->obuf && !c->dead &&
		       sm_wait_until(c->sock, POLLOUT, deadline) == 0)
			out_flush(c);
	}
	/* The holder first, so the VMM takes its context back. */
	if (s->holder)
		s->holder->dead = 1;
	reap(s);
	while (s->conns) {
		s->conns->dead = 1;
		reap(s);
	}
	close(s->lsock);
	if (stat(s->path, &st) == 0 && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlink(s->path);
	free(s->buf);
	free(s);
}
