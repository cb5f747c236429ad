// SPDX-License-Identifier: MIT
/*
 * VM endpoint client: one request, one reply, each bounded by the
 * connection's timeout.  The protocol is in docs/sevmig-endpoint.7.
 */
#include "endpoint/endpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
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

#define DEFAULT_TIMEOUT 30.0
/* Regions per set-shared-regions batch: well under SM_EP_MSG_MAX. */
#define REGION_BATCH 8192

struct sm_ep {
	int sock;
	double timeout;
	/*
	 * Set by a transport failure (timeout, broken frame, a reply that is
	 * no reply): the stream may hold a late answer to an earlier request,
	 * which must never pass for the answer to a later one.
	 */
	int broken;
};

/*
 * After a transport failure on ep, or a reply that does not answer the
 * request (a missing or wrong field: the VMM and we are out of step): no
 * further call gets through, so no later reply is taken for another's.
 */
static int broken(struct sm_ep *ep)
{
	ep->broken = 1;
	return -1;
}

static int check_usable(struct sm_ep *ep, const char *op, struct sm_err *e)
{
	if (!ep->broken)
		return 0;
	return sm_err_set(e, SM_EXIT_IO,
			  "'%s': the connection to the VMM is unusable after "
			  "an earlier failure; reconnect",
			  op);
}

/*
 * A VM argument that names a regular file or a directory (a bundle, an
 * archive, the platform directory given in the wrong place): say what it
 * is and what is expected.  1 when e was set so.
 */
static int not_a_socket(const char *path, int err, struct sm_err *e)
{
	struct stat st;

	if ((err != ECONNREFUSED && err != ENOTSOCK) || stat(path, &st) ||
	    S_ISSOCK(st.st_mode))
		return 0;
	sm_err_set(
		e, SM_EXIT_IO,
		"'%s' is %s, not a VM's socket: name the unix socket its VMM listens on (sevmig-sim run --socket PATH)",
		path,
		S_ISDIR(st.st_mode) ? "a directory" :
		S_ISREG(st.st_mode) ? "a regular file" :
				      "not a socket");
	return 1;
}

int sm_ep_connect(const char *path, double timeout_s, struct sm_ep **out,
		  struct sm_err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sm_ep *ep;
	double deadline;
	int err, flags;

	if (strlen(path) >= sizeof(sa.sun_path))
		return sm_err_set(e, SM_EXIT_USAGE, "socket path too long '%s'",
				  path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "connecting to '%s'", path);
	ep->timeout = timeout_s > 0 ? timeout_s : DEFAULT_TIMEOUT;
	/*
	 * Non-blocking: a unix socket whose listener stopped accepting
	 * answers EAGAIN once its backlog is full, where a blocking connect
	 * would wait for ever.  Retry until the timeout.
	 */
	ep->sock =
		socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ep->sock < 0) {
		err = errno;
		goto err_free;
	}
	deadline = sm_now() + ep->timeout;
	while (connect(ep->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		if (err == EINTR)
			continue;
		if (err != EAGAIN)
			goto err_close;
		if (sm_now() >= deadline) {
			close(ep->sock);
			free(ep);
			return sm_err_set(
				e, SM_EXIT_IO,
				"cannot connect to '%s': timed out "
				"(the VMM does not accept connections)",
				path);
		}
		usleep(10000);
	}
	/* Every later send and receive is bounded with MSG_DONTWAIT. */
	flags = fcntl(ep->sock, F_GETFL);
	if (flags < 0 || fcntl(ep->sock, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		err = errno;
		goto err_close;
	}
	*out = ep;
	return 0;

err_close:
	close(ep->sock);
err_free:
	free(ep);
	return not_a_socket(path, err, e) ?
		       -1 :
		       sm_err_errno(e, SM_EXIT_IO, err,
				    "cannot connect to '%s'", path);
}

void sm_ep_close(struct sm_ep *ep)
{
	if (!ep)
		return;
	close(ep->sock);
	free(ep);
}

int sm_ep_socket(struct sm_ep *ep)
{
	return ep->sock;
}

int sm_ep_recv_raw(struct sm_ep *ep, char **reply, int *rfds, int *nrfds,
		   struct sm_err *e)
{
	size_t len;

	return sm_epw_recv(ep->sock, reply, &len, rfds, nrfds,
			   sm_now() + ep->timeout, e);
}

int sm_ep_call_raw(struct sm_ep *ep, const char *req, const int *fds, int nfds,
		   char **reply, int *rfds, int *nrfds, struct sm_err *e)
{
	double deadline = sm_now() + ep->timeout;
	size_t len;

	if (sm_epw_send(ep->sock, req, strlen(req), fds, nfds, deadline, e))
		return -1;
	return sm_epw_recv(ep->sock, reply, &len, rfds, nrfds, deadline, e);
}

/* Turn an error reply into e: "vmm refused 'op': message". */
static int refused(const char *op, json_t *rep, struct sm_err *e)
{
	const char *msg = json_string_value(json_object_get(rep, "error"));
	const char *code = json_string_value(json_object_get(rep, "code"));
	enum sm_exit c = SM_EXIT_VM;

	if (code && !strcmp(code, "unsupported"))
		c = SM_EXIT_UNSUPPORTED;
	return sm_err_set(e, c, "vmm refused '%s': %s", op,
			  msg ? msg : "no reason given");
}

/* Parse a reply text into a JSON object; -1 (SM_EXIT_IO) if it is not. */
static json_t *parse_reply(const char *op, const char *text, struct sm_err *e)
{
	json_error_t je;
	json_t *rep = json_loads(text, JSON_REJECT_DUPLICATES, &je);

	if (!rep) {
		sm_err_set(e, SM_EXIT_IO, "bad reply to '%s': %d:%d: %s", op,
			   je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(rep) ||
	    !json_is_boolean(json_object_get(rep, "ok"))) {
		json_decref(rep);
		sm_err_set(e, SM_EXIT_IO, "bad reply to '%s': not a reply", op);
		return NULL;
	}
	return rep;
}

/*
 * Read one reply to op, expecting between min_fds and max_fds fds (any
 * count only on success).  *out gets the reply object (caller decrefs).
 */
static int get_reply(struct sm_ep *ep, const char *op, double deadline,
		     json_t **out, int *rfds, int *nrfds, int min_fds,
		     int max_fds, struct sm_err *e)
{
	int fds[SM_EP_MAX_FDS], n = 0;
	char *text;
	size_t len;
	json_t *rep;

	if (check_usable(ep, op, e))
		return -1;
	if (sm_epw_recv(ep->sock, &text, &len, fds, &n, deadline, e)) {
		sm_err_prefix(e, "'%s'", op);
		return broken(ep);
	}
	rep = parse_reply(op, text, e);
	free(text);
	if (!rep) {
		broken(ep);
		goto err_close_fds;
	}
	if (!json_is_true(json_object_get(rep, "ok"))) {
		refused(op, rep, e);
		goto err_decref;
	}
	if (n < min_fds || n > max_fds) {
		sm_err_set(
			e, SM_EXIT_IO,
			"bad reply to '%s': %d file descriptors, expected %d",
			op, n, min_fds);
		broken(ep);
		goto err_decref;
	}
	if (max_fds)
		memcpy(rfds, fds, sizeof(int) * n);
	if (nrfds)
		*nrfds = n;
	*out = rep;
	return 0;

err_decref:
	json_decref(rep);
err_close_fds:
	sm_epw_close_fds(fds, n);
	return -1;
}

/*
 * Send req (stolen) as operation op with nfds fds, then read the reply
 * as get_reply does.
 */
static int call(struct sm_ep *ep, const char *op, json_t *req, const int *fds,
		int nfds, json_t **out, int *rfds, int *nrfds, int min_fds,
		int max_fds, struct sm_err *e)
{
	double deadline = sm_now() + ep->timeout;
	char *text;
	int rc;

	if (check_usable(ep, op, e)) {
		json_decref(req);
		return -1;
	}
	if (!req)
		req = json_object();
	if (!req ||
	    json_object_set_new(req, "version", json_integer(SM_EP_VERSION)) ||
	    json_object_set_new(req, "op", json_string(op))) {
		json_decref(req);
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	}
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	pr_debug("-> %s", text);
	rc = sm_epw_send(ep->sock, text, strlen(text), fds, nfds, deadline, e);
	free(text);
	if (rc) {
		sm_err_prefix(e, "'%s'", op);
		return broken(ep);
	}
	return get_reply(ep, op, deadline, out, rfds, nrfds, min_fds, max_fds,
			 e);
}

/* A call whose reply carries nothing we need. */
static int simple(struct sm_ep *ep, const char *op, json_t *req, const int *fds,
		  int nfds, struct sm_err *e)
{
	json_t *rep;

	if (call(ep, op, req, fds, nfds, &rep, NULL, NULL, 0, 0, e))
		return -1;
	json_decref(rep);
	return 0;
}

static int bad_field(const char *op, const char *key, struct sm_err *e)
{
	return sm_err_set(e, SM_EXIT_IO, "bad reply to '%s': field '%s'", op,
			  key);
}

static int get_str(json_t *o, const char *op, const char *key, char *buf,
		   size_t size, struct sm_err *e)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s || strlen(s) >= size)
		return bad_field(op, key, e);
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static int get_u64(json_t *o, const char *op, const char *key, uint64_t *v,
		   struct sm_err *e)
{
	json_t *j = json_object_get(o, key);

	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return bad_field(op, key, e);
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

static int get_hex(json_t *o, const char *op, const char *key, uint64_t *v,
		   struct sm_err *e)
{
	if (sm_parse_hex_u64(json_string_value(json_object_get(o, key)), v))
		return bad_field(op, key, e);
	return 0;
}

static int get_bool(json_t *o, const char *op, const char *key, int *v,
		    struct sm_err *e)
{
	json_t *j = json_object_get(o, key);

	if (!json_is_boolean(j))
		return bad_field(op, key, e);
	*v = json_is_true(j);
	return 0;
}

static int get_u32(json_t *o, const char *op, const char *key, uint32_t *v,
		   struct sm_err *e)
{
	uint64_t x;

	if (get_u64(o, op, key, &x, e))
		return -1;
	if (x > UINT32_MAX)
		return bad_field(op, key, e);
	*v = (uint32_t)x;
	return 0;
}

/*
 * Every range must lie inside its memory file: mapping past the end of a
 * memfd succeeds, but touching that page raises SIGBUS, so a VMM that
 * announces more memory than it passes could otherwise crash the tool.
 * (A VMM that shrinks the file later still can: it owns the file.)
 */
static int check_mem_fds(const struct sm_ep_hello *h, struct sm_err *e)
{
	size_t i;

	for (i = 0; i < h->nranges; i++) {
		const struct sm_ep_range *g = &h->ranges[i];
		struct stat st;

		if (fstat(h->fds[g->fd_index], &st) != 0 ||
		    !S_ISREG(st.st_mode))
			return sm_err_set(
				e, SM_EXIT_IO,
				"bad reply to 'hello': memory fd %d is not a memory file",
				g->fd_index);
		if (g->offset > (uint64_t)st.st_size ||
		    g->size > (uint64_t)st.st_size - g->offset)
			return sm_err_set(
				e, SM_EXIT_IO,
				"bad reply to 'hello': memory range %zu (0x%" PRIx64
				" bytes at offset 0x%" PRIx64
				") ends beyond memory fd %d (%lld bytes)",
				i, g->size, g->offset, g->fd_index,
				(long long)st.st_size);
	}
	return 0;
}

static int parse_ranges(json_t *rep, struct sm_ep_hello *h, struct sm_err *e)
{
	json_t *mem = json_object_get(rep, "memory"), *r;
	size_t i;

	if (!json_is_array(mem) || json_array_size(mem) == 0 ||
	    json_array_size(mem) > SM_EP_MAX_RANGES)
		return bad_field("hello", "memory", e);
	h->mem_size = 0;
	json_array_foreach(mem, i, r)
	{
		struct sm_ep_range *g = &h->ranges[i];
		uint64_t fdi;

		if (get_hex(r, "hello", "gpa", &g->gpa, e) ||
		    get_u64(r, "hello", "size", &g->size, e) ||
		    get_u64(r, "hello", "fd", &fdi, e) ||
		    get_hex(r, "hello", "offset", &g->offset, e))
			return -1;
		/* Without a claim no memory comes: the layout is all. */
		if (h->claimed && fdi >= (uint64_t)h->nfds)
			return sm_err_set(
				e, SM_EXIT_IO,
				"bad reply to 'hello': memory fd %" PRIu64
				" not passed",
				fdi);
		if (g->gpa % SM_PAGE_SIZE || g->size % SM_PAGE_SIZE ||
		    g->offset % SM_PAGE_SIZE || g->size == 0 ||
		    g->gpa + g->size < g->gpa)
			return sm_err_set(
				e, SM_EXIT_IO,
				"bad reply to 'hello': memory range %zu not page aligned",
				i);
		g->fd_index = h->claimed ? (int)fdi : -1;
		h->mem_size += g->size;
	}
	h->nranges = json_array_size(mem);
	return h->claimed ? check_mem_fds(h, e) : 0;
}

static int hello(struct sm_ep *ep, struct sm_ep_hello *h, int claim,
		 struct sm_err *e)
{
	json_t *rep, *req = json_pack("{s:s,s:b}", "client",
				      "sevmig " SEVMIG_VERSION, "claim", claim);
	uint64_t v;
	int i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < SM_EP_MAX_FDS; i++)
		h->fds[i] = -1;
	if (call(ep, "hello", req, NULL, 0, &rep, h->fds, &h->nfds,
		 claim ? 1 : 0, claim ? SM_EP_MAX_FDS : 0, e))
		return -1;
	h->claimed = claim;
	if (get_u64(rep, "hello", "version", &v, e))
		goto err;
	if (v != SM_EP_VERSION) {
		sm_err_set(e, SM_EXIT_UNSUPPORTED,
			   "unsupported endpoint protocol version %" PRIu64, v);
		goto err;
	}
	h->version = (int)v;
	if (get_str(rep, "hello", "platform", h->platform, sizeof(h->platform),
		    e) ||
	    get_str(rep, "hello", "role", h->role, sizeof(h->role), e) ||
	    get_str(rep, "hello", "state", h->state, sizeof(h->state), e) ||
	    get_u64(rep, "hello", "vcpus", &v, e) ||
	    get_bool(rep, "hello", "es", &h->es, e) ||
	    get_u32(rep, "hello", "policy", &h->policy, e) ||
	    get_bool(rep, "hello", "migration_ready", &h->migration_ready, e))
		goto err;
	if (v == 0 || v > 4096) {
		bad_field("hello", "vcpus", e);
		goto err;
	}
	h->vcpus = (unsigned)v;
	if (json_object_get(rep, "ram_zeroed") &&
	    get_bool(rep, "hello", "ram_zeroed", &h->ram_zeroed, e))
		goto err;
	if (json_object_get(rep, "mh_helpers")) {
		if (get_u64(rep, "hello", "mh_helpers", &v, e))
			goto err;
		if (v > 64) {
			bad_field("hello", "mh_helpers", e);
			goto err;
		}
		h->mh_helpers = (unsigned)v;
	}
	if (json_object_get(rep, "svsm_mailboxes")) {
		uint64_t st;

		if (get_u64(rep, "hello", "svsm_mailboxes", &v, e) ||
		    get_u64(rep, "hello", "snp_policy", &h->snp_policy, e) ||
		    get_u64(rep, "hello", "svsm_state_records", &st, e))
			goto err;
		if (v == 0 || v > 64) {
			bad_field("hello", "svsm_mailboxes", e);
			goto err;
		}
		if (st > 4096) {
			bad_field("hello", "svsm_state_records", e);
			goto err;
		}
		h->svsm_mailboxes = (unsigned)v;
		h->svsm_state_records = (uint32_t)st;
	}
	if (json_object_get(rep, "platform_dir") &&
	    get_str(rep, "hello", "platform_dir", h->platform_dir,
		    sizeof(h->platform_dir), e))
		goto err;
	h->kind = sm_platform_parse(h->platform);
	if (h->kind == SM_PLATFORM_SIM && !h->platform_dir[0]) {
		bad_field("hello", "platform_dir", e);
		goto err;
	}
	if (parse_ranges(rep, h, e))
		goto err;
	json_decref(rep);
	return 0;

err:
	json_decref(rep);
	sm_epw_close_fds(h->fds, h->nfds);
	h->nfds = 0;
	return broken(ep);
}

int sm_ep_hello(struct sm_ep *ep, struct sm_ep_hello *h, struct sm_err *e)
{
	return hello(ep, h, 0, e);
}

int sm_ep_claim(struct sm_ep *ep, struct sm_ep_hello *h, struct sm_err *e)
{
	return hello(ep, h, 1, e);
}

int sm_ep_pause(struct sm_ep *ep, struct sm_err *e)
{
	return simple(ep, "pause", NULL, NULL, 0, e);
}

int sm_ep_resume(struct sm_ep *ep, struct sm_err *e)
{
	return simple(ep, "resume", NULL, NULL, 0, e);
}

int sm_ep_resume_forced(struct sm_ep *ep, struct sm_err *e)
{
	return simple(ep, "resume", json_pack("{s:b}", "force", 1), NULL, 0, e);
}

int sm_ep_stream_written(struct sm_ep *ep, struct sm_err *e)
{
	return simple(ep, "stream-written", NULL, NULL, 0, e);
}

int sm_ep_target_ready(struct sm_ep *ep, struct sm_err *e)
{
	return simple(ep, "target-ready", NULL, NULL, 0, e);
}

int sm_ep_commit(struct sm_ep *ep, struct sm_err *e)
{
	return simple(ep, "commit", NULL, NULL, 0, e);
}

int sm_ep_discard(struct sm_ep *ep, struct sm_err *e)
{
	return simple(ep, "discard", NULL, NULL, 0, e);
}

int sm_ep_release(struct sm_ep *ep, struct sm_err *e)
{
	return simple(ep, "release", NULL, NULL, 0, e);
}

int sm_ep_quit(struct sm_ep *ep, struct sm_err *e)
{
	return simple(ep, "quit", NULL, NULL, 0, e);
}

int sm_ep_status(struct sm_ep *ep, struct sm_ep_status *st, struct sm_err *e)
{
	json_t *rep;
	uint64_t v;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (call(ep, "status", NULL, NULL, 0, &rep, NULL, NULL, 0, 0, e))
		return -1;
	if (get_str(rep, "status", "vmm_state", st->vmm_state,
		    sizeof(st->vmm_state), e) ||
	    get_str(rep, "status", "guest_state", st->guest_state,
		    sizeof(st->guest_state), e) ||
	    get_str(rep, "status", "role", st->role, sizeof(st->role), e) ||
	    get_u32(rep, "status", "policy", &st->policy, e) ||
	    get_u32(rep, "status", "handle", &st->handle, e) ||
	    get_u64(rep, "status", "mem_size", &st->mem_size, e) ||
	    get_u64(rep, "status", "vcpus", &v, e) ||
	    get_bool(rep, "status", "es", &st->es, e) ||
	    get_bool(rep, "status", "migration_ready", &st->migration_ready,
		     e) ||
	    get_bool(rep, "status", "context_held", &st->context_held, e))
		goto out;
	/* Newer fields: absent from an older VMM, which has no holds. */
	if ((json_object_get(rep, "claimed") &&
	     get_bool(rep, "status", "claimed", &st->claimed, e)) ||
	    (json_object_get(rep, "hold") &&
	     get_str(rep, "status", "hold", st->hold, sizeof(st->hold), e)) ||
	    (json_object_get(rep, "hold_reason") &&
	     get_str(rep, "status", "hold_reason", st->hold_reason,
		     sizeof(st->hold_reason), e)))
		goto out;
	st->vcpus = (unsigned)(v > UINT32_MAX ? UINT32_MAX : v);
	rc = 0;
out:
	json_decref(rep);
	return rc ? broken(ep) : 0;
}

/* Append one reply's regions to *r; *next gets "next" or 0 when absent. */
static int add_regions(json_t *rep, struct sm_ep_region **r, size_t *n,
		       size_t *cap, uint64_t *next, struct sm_err *e)
{
	json_t *arr = json_object_get(rep, "regions"), *x;
	size_t i;

	/* No list at all: not an answer to shared-regions (out of step). */
	if (!json_is_array(arr)) {
		bad_field("shared-regions", "regions", e);
		return 1;
	}
	json_array_foreach(arr, i, x)
	{
		struct sm_ep_region g;

		if (get_hex(x, "shared-regions", "gpa", &g.gpa, e) ||
		    get_u64(x, "shared-regions", "size", &g.size, e))
			return -1;
		if (g.size == 0 || g.gpa % SM_PAGE_SIZE ||
		    g.size % SM_PAGE_SIZE || g.gpa + g.size < g.gpa ||
		    (*n && g.gpa < (*r)[*n - 1].gpa + (*r)[*n - 1].size))
			return sm_err_set(
				e, SM_EXIT_IO,
				"bad reply to 'shared-regions': region 0x%" PRIx64
				" unaligned, empty or out of order",
				g.gpa);
		if (*n >= SM_EP_MAX_SHARED_REGIONS)
			return sm_err_set(e, SM_EXIT_IO,
					  "bad reply to 'shared-regions': more "
					  "than %u regions",
					  SM_EP_MAX_SHARED_REGIONS);
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 256;
			void *p = realloc(*r, nc * sizeof(**r));

			if (!p)
				return sm_err_set(e, SM_EXIT_FAILURE,
						  "out of memory");
			*r = p;
			*cap = nc;
		}
		(*r)[(*n)++] = g;
	}
	*next = 0;
	if (json_object_get(rep, "next") &&
	    get_hex(rep, "shared-regions", "next", next, e))
		return -1;
	if (json_object_get(rep, "next") && *n &&
	    *next < (*r)[*n - 1].gpa + (*r)[*n - 1].size)
		return bad_field("shared-regions", "next", e);
	return 0;
}

int sm_ep_shared_regions(struct sm_ep *ep, struct sm_ep_region **r, size_t *n,
			 struct sm_err *e)
{
	struct sm_ep_region *v = NULL;
	size_t nv = 0, cap = 0;
	uint64_t from = 0;
	int more = 1;

	while (more) {
		char hex[19];
		json_t *rep, *req;
		uint64_t next;
		int rc;

		sm_fmt_hex_u64(hex, from);
		req = json_pack("{s:s}", "from", hex);
		if (call(ep, "shared-regions", req, NULL, 0, &rep, NULL, NULL,
			 0, 0, e))
			goto err;
		rc = add_regions(rep, &v, &nv, &cap, &next, e);
		more = json_object_get(rep, "next") != NULL;
		json_decref(rep);
		if (rc > 0)
			broken(ep);
		if (rc)
			goto err;
		if (more && next <= from) {
			sm_err_set(
				e, SM_EXIT_IO,
				"bad reply to 'shared-regions': no progress");
			goto err;
		}
		from = next;
	}
	*r = v;
	*n = nv;
	return 0;
err:
	free(v);
	return -1;
}

int sm_ep_set_shared_regions(struct sm_ep *ep, const struct sm_ep_region *r,
			     size_t n, struct sm_err *e)
{
	size_t i = 0;

	do {
		size_t k = n - i < REGION_BATCH ? n - i : REGION_BATCH, j;
		json_t *arr = json_array(), *req;

		for (j = 0; arr && j < k; j++) {
			char hex[19];

			sm_fmt_hex_u64(hex, r[i + j].gpa);
			if (json_array_append_new(
				    arr,
				    json_pack("{s:s,s:I}", "gpa", hex, "size",
					      (json_int_t)r[i + j].size)))
				break;
		}
		if (!arr || j < k) {
			json_decref(arr);
			return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
		}
		req = json_pack("{s:o,s:b}", "regions", arr, "append", i > 0);
		if (simple(ep, "set-shared-regions", req, NULL, 0, e))
			return -1;
		i += k;
	} while (i < n);
	return 0;
}

int sm_ep_device_state(struct sm_ep *ep, int *fd, uint64_t *size,
		       struct sm_err *e)
{
	json_t *rep;
	int n;

	if (call(ep, "device-state", NULL, NULL, 0, &rep, fd, &n, 1, 1, e))
		return -1;
	if (get_u64(rep, "device-state", "size", size, e)) {
		close(*fd);
		*fd = -1;
		json_decref(rep);
		return broken(ep);
	}
	json_decref(rep);
	return 0;
}

int sm_ep_load_device_state(struct sm_ep *ep, uint64_t size, int *fd,
			    struct sm_err *e)
{
	json_t *rep, *req;
	int n;

	if (size > INT64_MAX)
		return sm_err_set(e, SM_EXIT_USAGE, "device state too large");
	req = json_pack("{s:I}", "size", (json_int_t)size);
	if (call(ep, "load-device-state", req, NULL, 0, &rep, fd, &n, 1, 1, e))
		return -1;
	json_decref(rep);
	return 0;
}

int sm_ep_load_device_state_done(struct sm_ep *ep, struct sm_err *e)
{
	json_t *rep;

	if (get_reply(ep, "load-device-state", sm_now() + ep->timeout, &rep,
		      NULL, NULL, 0, 0, e))
		return -1;
	json_decref(rep);
	return 0;
}

int sm_ep_take_context(struct sm_ep *ep, int *ctx_fd, struct sm_err *e)
{
	json_t *rep;
	int n;

	if (call(ep, "take-context", NULL, NULL, 0, &rep, ctx_fd, &n, 1, 1, e))
		return -1;
	json_decref(rep);
	return 0;
}

int sm_ep_return_context(struct sm_ep *ep, int ctx_fd, struct sm_err *e)
{
	return simple(ep, "return-context", NULL, &ctx_fd, 1, e);
}

int sm_ep_return_context_in_doubt(struct sm_ep *ep, int ctx_fd,
				  const char *reason, struct sm_err *e)
{
	return simple(ep, "return-context",
		      json_pack("{s:s}", "in_doubt", reason), &ctx_fd, 1, e);
}

int sm_ep_adopt_context(struct sm_ep *ep, int ctx_fd, int pending,
			struct sm_err *e)
{
	return simple(ep, "adopt-context",
		      pending ? json_pack("{s:b}", "pending", 1) : NULL,
		      &ctx_fd, 1, e);
}

int sm_ep_adopt_received(struct sm_ep *ep, int pending, struct sm_err *e)
{
	return simple(ep, "adopt-received",
		      pending ? json_pack("{s:b}", "pending", 1) : NULL, NULL,
		      0, e);
}

int sm_ep_digest(struct sm_ep *ep, uint8_t sha256[32], uint64_t *pages,
		 struct sm_err *e)
{
	const char *hex;
	json_t *rep;
	int rc = -1;

	if (call(ep, "digest", NULL, NULL, 0, &rep, NULL, NULL, 0, 0, e))
		return -1;
	hex = json_string_value(json_object_get(rep, "sha256"));
	if (!hex || strlen(hex) != 64 || sm_hex_decode(hex, sha256, 32) != 32) {
		bad_field("digest", "sha256", e);
		goto out;
	}
	if (get_u64(rep, "digest", "pages", pages, e))
		goto out;
	rc = 0;
out:
	json_decref(rep);
	return rc ? broken(ep) : 0;
}

int sm_ep_check(struct sm_ep *ep, struct sm_ep_check *c, struct sm_err *e)
{
	json_t *rep, *arr, *x;
	uint64_t v;
	size_t i;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (call(ep, "check", NULL, NULL, 0, &rep, NULL, NULL, 0, 0, e))
		return -1;
	if (get_u64(rep, "check", "pages", &c->pages, e) ||
	    get_u64(rep, "check", "bad", &c->bad, e) ||
	    get_u64(rep, "check", "vmsas", &v, e))
		goto out;
	c->vmsas = (unsigned)v;
	if (get_u64(rep, "check", "bad_vmsas", &v, e))
		goto out;
	c->bad_vmsas = (unsigned)v;
	if (json_object_get(rep, "svsm_states")) {
		if (get_u64(rep, "check", "svsm_states", &v, e))
			goto out;
		c->svsm_states = (unsigned)v;
		if (get_u64(rep, "check", "bad_svsm_states", &v, e))
			goto out;
		c->bad_svsm_states = (unsigned)v;
	}
	arr = json_object_get(rep, "first_bad");
	if (!json_is_array(arr)) {
		bad_field("check", "first_bad", e);
		goto out;
	}
	json_array_foreach(arr, i, x)
	{
		if (i >= SM_EP_CHECK_FIRST)
			break;
		if (sm_parse_hex_u64(json_string_value(x), &c->first_bad[i])) {
			bad_field("check", "first_bad", e);
			goto out;
		}
		c->nfirst = i + 1;
	}
	rc = 0;
out:
	json_decref(rep);
	return rc ? broken(ep) : 0;
}

/* A base64 field of a reply into buf (exactly len bytes). */
static int get_b64(json_t *rep, const char *op, const char *key, uint8_t *buf,
		   size_t len, struct sm_err *e)
{
	const char *v = json_string_value(json_object_get(rep, key));

	if (!v || strlen(v) > 4 * ((len + 2) / 3) ||
	    sm_base64_decode(v, buf, len) != (ssize_t)len)
		return bad_field(op, key, e);
	return 0;
}

int sm_ep_launch_measure(struct sm_ep *ep, struct sm_ep_launch_measure *m,
			 struct sm_err *e)
{
	static const char op[] = "launch-measure";
	uint64_t v[4];
	json_t *rep;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	if (call(ep, op, NULL, NULL, 0, &rep, NULL, NULL, 0, 0, e))
		return -1;
	if (get_b64(rep, op, "measurement", m->blob, sizeof(m->blob), e) ||
	    get_u64(rep, op, "api_major", &v[0], e) ||
	    get_u64(rep, op, "api_minor", &v[1], e) ||
	    get_u64(rep, op, "build", &v[2], e) ||
	    get_u64(rep, op, "policy", &v[3], e))
		goto out;
	if (v[0] > 255 || v[1] > 255 || v[2] > 255 || v[3] > UINT32_MAX) {
		bad_field(op, "api_major", e);
		goto out;
	}
	m->api_major = (unsigned)v[0];
	m->api_minor = (unsigned)v[1];
	m->build = (unsigned)v[2];
	m->policy = (uint32_t)v[3];
	rc = 0;
out:
	json_decref(rep);
	return rc ? broken(ep) : 0;
}

int sm_ep_launch_secret(struct sm_ep *ep, const uint8_t *hdr, size_t hdr_len,
			const uint8_t *payload, size_t len, struct sm_err *e)
{
	char *h, *p;
	json_t *req;
	int rc;

	if (hdr_len > 1024 || len > SM_EP_SECRET_MAX)
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"launch secret too large (header %zu, payload %zu bytes; at most %u)",
			hdr_len, len, SM_EP_SECRET_MAX);
	h = malloc(sm_base64_len(hdr_len) + 1);
	p = malloc(sm_base64_len(len) + 1);
	if (!h || !p) {
		free(h);
		free(p);
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	}
	sm_base64_encode(hdr, hdr_len, h);
	sm_base64_encode(payload, len, p);
	req = json_pack("{s:s, s:s}", "header", h, "payload", p);
	free(h);
	free(p);
	if (!req)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	rc = simple(ep, "launch-secret", req, NULL, 0, e);
	return rc;
}

int sm_ep_launch_finish(struct sm_ep *ep, struct sm_err *e)
{
	return simple(ep, "launch-finish", NULL, NULL, 0, e);
}

int sm_ep_secrets(struct sm_ep *ep, struct sm_ep_secrets *s, struct sm_err *e)
{
	static const char op[] = "secrets";
	json_t *rep, *arr, *x;
	size_t i;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (call(ep, op, NULL, NULL, 0, &rep, NULL, NULL, 0, 0, e))
		return -1;
	arr = json_object_get(rep, "secrets");
	if (!json_is_array(arr) || json_array_size(arr) > SM_EP_SECRETS_MAX) {
		bad_field(op, "secrets", e);
		goto out;
	}
	json_array_foreach(arr, i, x)
	{
		struct sm_ep_secret *t = &s->s[i];
		const char *g = json_string_value(json_object_get(x, "guid"));
		const char *h = json_string_value(json_object_get(x, "sha256"));
		uint64_t size;

		if (!g || strlen(g) != 36 || !h || strlen(h) != 64 ||
		    sm_hex_decode(h, t->sha256, 32) != 32 ||
		    get_u64(x, op, "size", &size, e) ||
		    size > SM_EP_SECRET_MAX) {
			bad_field(op, "secrets", e);
			goto out;
		}
		memcpy(t->guid, g, 37);
		t->size = (uint32_t)size;
		s->n = i + 1;
	}
	rc = 0;
out:
	json_decref(rep);
	return rc ? broken(ep) : 0;
}

int sm_ep_snp_report(struct sm_ep *ep, const uint8_t report_data[64],
		     uint8_t report[SM_EP_SNP_REPORT_LEN], struct sm_err *e)
{
	static const char op[] = "snp-report";
	char hex[129];
	json_t *req, *rep;
	int rc;

	sm_hex_encode(report_data, 64, hex);
	req = json_pack("{s:s}", "report_data", hex);
	if (!req)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	if (call(ep, op, req, NULL, 0, &rep, NULL, NULL, 0, 0, e))
		return -1;
	rc = get_b64(rep, op, "report", report, SM_EP_SNP_REPORT_LEN, e);
	json_decref(rep);
	return rc ? broken(ep) : 0;
}

int sm_ep_snp_target(struct sm_ep *ep, struct sm_ep_snp_target *t,
		     struct sm_err *e)
{
	static const char op[] = "snp-target";
	const char *b, *chain;
	json_t *rep;
	ssize_t n;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	if (call(ep, op, NULL, NULL, 0, &rep, NULL, NULL, 0, 0, e))
		return -1;
	if (get_b64(rep, op, "report", t->report, sizeof(t->report), e) ||
	    get_b64(rep, op, "public_key", t->pub, sizeof(t->pub), e) ||
	    get_b64(rep, op, "nonce", t->nonce, sizeof(t->nonce), e))
		goto out;
	b = json_string_value(json_object_get(rep, "vcek"));
	chain = json_string_value(json_object_get(rep, "cert_chain"));
	n = b && strlen(b) <= sm_base64_len(sizeof(t->vcek)) ?
		    sm_base64_decode(b, t->vcek, sizeof(t->vcek)) :
		    -1;
	if (n <= 0) {
		bad_field(op, "vcek", e);
		goto out;
	}
	t->vcek_len = (size_t)n;
	if (!chain || strlen(chain) >= sizeof(t->chain)) {
		bad_field(op, "cert_chain", e);
		goto out;
	}
	memcpy(t->chain, chain, strlen(chain) + 1);
	rc = 0;
out:
	json_decref(rep);
	return rc ? broken(ep) : 0;
}
