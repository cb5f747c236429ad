// SPDX-License-Identifier: MIT
/*
 * fuzz-endpoint-server: what clients send to a VMM's endpoint, as the
 * server side (lib/endpoint/endpoint-server.c, used by sevmig-sim run and any
 * VMM) reads it.
 *
 * Per input the harness opens a server on a socket in a private
 * temporary directory, backed by a small VMM of its own, and runs
 * sm_eps_run in a thread.  Two client connections send the input's frames
 * (fuzz-common.h: ctl bit 7 picks the connection, bits 0-4 how many
 * descriptors ride along), read the replies and close every descriptor
 * they are handed, after writing 4 KiB into it (so a load-device-state
 * pipe gets data).  Then the clients hang up and the server is stopped.
 *
 * Checks, besides the sanitizers: the server closes a connection once
 * its client has hung up, never waits on one that stopped sending, calls
 * the VMM only as endpoint-server.h promises (device state read within
 * its size, load data in order and within the announced
 * size, end(complete) only with all of it, one context holder at a time,
 * the context taken back when its holder vanishes, every load ended),
 * and leaves no descriptor open.
 */
#include "fuzz-common.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/un.h>

#include "base/bytes.h"
#include "endpoint/endpoint-server.h"
#include "endpoint/endpoint.h"
#include "base/util.h"

#define WAIT_MS 8000
#define DS_SIZE 70000u /* more than the server's 64 KiB buffer */
#define LOAD_MAX (1u << 20)
#define MAX_SHARED 64

static char dir[] = "/tmp/sevmig-fuzz-eps.XXXXXX";
static char path[sizeof(dir) + 16];
static int devnull = -1;

struct vmm {
	int mem_fd, ctx_fd;
	int paused, held, released, quit;
	int loading;
	uint64_t load_size, load_got;
	struct sm_ep_region shared[MAX_SHARED];
	size_t nshared;
};

static struct vmm vm;

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_init();
	signal(SIGPIPE, SIG_IGN); /* as sm_cli_init does for a VMM */
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || !mkdtemp(dir))
		fz_fail("setup: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/vm.sock", dir);
	atexit(cleanup);
	return 0;
}

/* ---- the VMM behind the server ---- */

static int v_hello(void *p, struct sm_ep_hello *h, struct sm_err *e)
{
	struct vmm *v = p;

	(void)e;
	h->version = SM_EP_VERSION;
	snprintf(h->platform, sizeof(h->platform), "sim");
	snprintf(h->platform_dir, sizeof(h->platform_dir), "/nonexistent");
	snprintf(h->role, sizeof(h->role), "source");
	snprintf(h->state, sizeof(h->state), "%s",
		 v->released ? "released" :
		 v->paused   ? "paused" :
			       "running");
	h->vcpus = 2;
	h->es = 1;
	h->policy = 5;
	h->migration_ready = 1;
	h->nranges = 2;
	h->ranges[0] = (struct sm_ep_range){ 0, 0x100000, 0, 0 };
	h->ranges[1] =
		(struct sm_ep_range){ 0x100000000ull, 0x20000, 0, 0x100000 };
	h->mem_size = 0x120000;
	h->nfds = 1;
	h->fds[0] = v->mem_fd;
	return 0;
}

static int v_status(void *p, struct sm_ep_status *st, struct sm_err *e)
{
	struct vmm *v = p;

	(void)e;
	snprintf(st->vmm_state, sizeof(st->vmm_state), "%s",
		 v->paused ? "paused" : "running");
	snprintf(st->guest_state, sizeof(st->guest_state), "RUNNING");
	snprintf(st->role, sizeof(st->role), "source");
	st->policy = 5;
	st->handle = 1;
	st->mem_size = 0x120000;
	st->vcpus = 2;
	st->es = 1;
	return 0;
}

static int v_pause(void *p, struct sm_err *e)
{
	struct vmm *v = p;

	(void)e;
	v->paused = 1;
	return 0;
}

static int v_resume(void *p, int force, struct sm_err *e)
{
	struct vmm *v = p;

	(void)force;
	if (v->held || v->released)
		return sm_err_set(e, SM_EXIT_VM, "the context is away");
	v->paused = 0;
	return 0;
}

static int v_shared_regions(void *p, uint64_t from, size_t max,
			    const struct sm_ep_region **r, size_t *n, int *more,
			    struct sm_err *e)
{
	struct vmm *v = p;
	size_t i = 0;

	(void)e;
	while (i < v->nshared && v->shared[i].gpa + v->shared[i].size <= from)
		i++;
	*r = v->shared + i;
	*n = v->nshared - i < max ? v->nshared - i : max;
	*more = i + *n < v->nshared;
	return 0;
}

static int v_set_shared_regions(void *p, const struct sm_ep_region *r, size_t n,
				int append, struct sm_err *e)
{
	struct vmm *v = p;
	size_t i, base = append ? v->nshared : 0;

	if (base + n > MAX_SHARED)
		return sm_err_set(e, SM_EXIT_USAGE, "too many regions");
	for (i = 0; i < n; i++) {
		if (!r[i].size || r[i].gpa % SM_PAGE_SIZE ||
		    r[i].size % SM_PAGE_SIZE ||
		    r[i].gpa + r[i].size < r[i].gpa ||
		    (i && r[i].gpa < r[i - 1].gpa + r[i - 1].size))
			fz_fail("server passed region %zu unchecked", i);
		if (!i && base &&
		    r[0].gpa <
			    v->shared[base - 1].gpa + v->shared[base - 1].size)
			return sm_err_set(e, SM_EXIT_USAGE,
					  "appended regions overlap");
	}
	memcpy(v->shared + base, r, n * sizeof(*r));
	v->nshared = base + n;
	return 0;
}

static int v_device_state(void *p, uint64_t *size, struct sm_err *e)
{
	struct vmm *v = p;

	if (!v->paused)
		return sm_err_set(e, SM_EXIT_VM, "running");
	*size = DS_SIZE;
	return 0;
}

static int v_device_state_read(void *p, uint64_t off, void *buf, size_t len,
			       struct sm_err *e)
{
	(void)p;
	(void)e;
	if (off + len > DS_SIZE || len == 0)
		fz_fail("device state read of %zu at %llu", len,
			(unsigned long long)off);
	memset(buf, 0x5a, len);
	return 0;
}

static int v_load(void *p, uint64_t size, struct sm_err *e)
{
	struct vmm *v = p;

	if (v->loading)
		return sm_err_set(e, SM_EXIT_VM, "already loading");
	if (size > LOAD_MAX)
		return sm_err_set(e, SM_EXIT_VERIFY, "too large");
	v->loading = 1;
	v->load_size = size;
	v->load_got = 0;
	return 0;
}

static int v_load_data(void *p, uint64_t off, const void *buf, size_t len,
		       struct sm_err *e)
{
	struct vmm *v = p;

	(void)buf;
	(void)e;
	if (!v->loading || off != v->load_got ||
	    len > v->load_size - v->load_got)
		fz_fail("load data of %zu at %llu (loading %d, %llu of %llu)",
			len, (unsigned long long)off, v->loading,
			(unsigned long long)v->load_got,
			(unsigned long long)v->load_size);
	v->load_got += len;
	return 0;
}

static int v_load_end(void *p, int complete, struct sm_err *e)
{
	struct vmm *v = p;

	(void)e;
	if (!v->loading)
		fz_fail("load ended twice");
	if (complete && v->load_got != v->load_size)
		fz_fail("load complete with %llu of %llu bytes",
			(unsigned long long)v->load_got,
			(unsigned long long)v->load_size);
	v->loading = 0;
	return 0;
}

static int v_take(void *p, int *fd, struct sm_err *e)
{
	struct vmm *v = p;

	if (v->held)
		fz_fail("context taken twice");
	if (!v->paused || v->released)
		return sm_err_set(e, SM_EXIT_VM, "not paused");
	v->held = 1;
	*fd = v->ctx_fd;
	return 0;
}

static int v_return(void *p, int fd, const char *in_doubt, struct sm_err *e)
{
	struct vmm *v = p;

	(void)in_doubt;
	(void)e;
	if (fd < 0 || !v->held)
		fz_fail("context returned (fd %d) while not held", fd);
	v->held = 0;
	return 0;
}

static int v_release(void *p, struct sm_err *e)
{
	struct vmm *v = p;

	(void)e;
	if (!v->held)
		fz_fail("released while not held");
	v->held = 0;
	v->released = 1;
	return 0;
}

static int v_adopt(void *p, int fd, int pending, struct sm_err *e)
{
	(void)pending;
	(void)p;
	(void)e;
	if (fd < 0)
		fz_fail("adopted fd %d", fd);
	return 0;
}

static void v_lost(void *p)
{
	struct vmm *v = p;

	if (!v->held)
		fz_fail("context lost while not held");
	v->held = 0;
}

static int v_digest(void *p, uint8_t sha[32], uint64_t *pages, struct sm_err *e)
{
	(void)p;
	(void)e;
	memset(sha, 0xab, 32);
	*pages = 288;
	return 0;
}

static int v_check(void *p, struct sm_ep_check *c, struct sm_err *e)
{
	(void)p;
	(void)e;
	c->pages = 288;
	c->bad = 1;
	c->nfirst = 1;
	c->first_bad[0] = 0x1000;
	c->vmsas = 2;
	return 0;
}

static int v_quit(void *p, struct sm_err *e)
{
	struct vmm *v = p;

	(void)e;
	v->quit = 1;
	return 0;
}

static const struct sm_eps_ops ops = {
	.hello = v_hello,
	.status = v_status,
	.pause = v_pause,
	.resume = v_resume,
	.shared_regions = v_shared_regions,
	.set_shared_regions = v_set_shared_regions,
	.device_state = v_device_state,
	.device_state_read = v_device_state_read,
	.load_device_state = v_load,
	.load_device_state_data = v_load_data,
	.load_device_state_end = v_load_end,
	.take_context = v_take,
	.return_context = v_return,
	.release = v_release,
	.adopt_context = v_adopt,
	.context_lost = v_lost,
	.digest = v_digest,
	.check = v_check,
	.quit = v_quit,
};

/* ---- the server thread and the clients ---- */

struct run {
	struct sm_eps *s;
	int stop_rd, done_wr;
};

static void *serve(void *arg)
{
	struct run *r = arg;
	struct sm_err e;

	if (sm_eps_run(r->s, r->stop_rd, &e) < 0)
		fz_fail("server: %s", e.msg);
	if (write(r->done_wr, "x", 1) != 1)
		fz_fail("done pipe: %s", strerror(errno));
	return NULL;
}

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fz_fail("connect '%s': %s", path, strerror(errno));
	return fd;
}

/* One client connection, counting the replies it gets. */
struct cl {
	int sock, open;
	uint64_t sent, got; /* whole requests sent, replies read */
	uint8_t hdr[4];
	size_t hdr_got;
	uint32_t body_left;
};

/* Read what is there; count complete replies.  0 once the server hung up. */
static int receive(struct cl *c)
{
	uint8_t buf[4096];
	ssize_t n;
	size_t i = 0, k;

	while ((n = fz_drain(c->sock, 4096, buf, sizeof(buf))) > 0) {
		for (i = 0; i < (size_t)n; i += k) {
			if (c->hdr_got < 4) {
				k = 1;
				c->hdr[c->hdr_got++] = buf[i];
				if (c->hdr_got < 4)
					continue;
				c->body_left = (uint32_t)c->hdr[0] << 24 |
					       (uint32_t)c->hdr[1] << 16 |
					       (uint32_t)c->hdr[2] << 8 |
					       c->hdr[3];
			} else {
				k = (size_t)n - i < c->body_left ?
					    (size_t)n - i :
					    c->body_left;
				c->body_left -= (uint32_t)k;
			}
			if (!c->body_left) {
				c->got++;
				c->hdr_got = 0;
			}
		}
	}
	if (n == 0)
		c->open = 0;
	return c->open;
}

/*
 * Send the frames on their connections while reading every reply.
 * Before a frame goes to the other connection, the requests already sent
 * on this one are answered, so the server sees them in input order (the
 * run is reproducible).  Then hang up and wait until the server has
 * closed both connections (or quit).
 */
static void talk(const uint8_t *in, size_t left, struct cl c[2], int done_rd)
{
	struct fz_frame f = { 0, 0, NULL, 0, 0 };
	struct pollfd pf[3];
	unsigned last = 0;
	int have = 0, shut = 0, ready, i, rc;
	size_t off = 0;
	ssize_t n;

	for (;;) {
		if (have && !c[f.conn].open)
			have = 0; /* the server hung up on that client */
		if (!have && !shut) {
			have = fz_next_frame(&in, &left, &f);
			off = 0;
			if (!have) {
				shutdown(c[0].sock, SHUT_WR);
				shutdown(c[1].sock, SHUT_WR);
				shut = 1;
			}
		}
		if (shut && !c[0].open && !c[1].open)
			return;
		ready = have && (f.conn == last || !c[last].open ||
				 c[last].got >= c[last].sent);
		for (i = 0; i < 2; i++)
			pf[i] = (struct pollfd){
				.fd = c[i].open ? c[i].sock : -1,
				.events = POLLIN |
					  (ready && f.conn == (unsigned)i ?
						   POLLOUT :
						   0),
			};
		pf[2] = (struct pollfd){ .fd = done_rd, .events = POLLIN };
		rc = poll(pf, 3, WAIT_MS);
		if (rc == 0)
			fz_fail("the server %s",
				shut ? "keeps a hung-up client open" :
				       "neither reads nor answers");
		if (pf[2].revents)
			return; /* quit */
		for (i = 0; i < 2; i++)
			if (pf[i].revents & (POLLIN | POLLHUP | POLLERR))
				receive(&c[i]);
		if (ready && c[f.conn].open && (pf[f.conn].revents & POLLOUT)) {
			n = fz_send_fds(c[f.conn].sock, f.bytes + off,
					f.len - off, off ? 0 : f.nfds, devnull,
					MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				have = 0;
			if (n > 0)
				off += (size_t)n;
			if (off == f.len) {
				have = 0;
				last = f.conn;
				c[f.conn].sent += f.whole;
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r;
	struct sm_err e;
	pthread_t th;
	struct cl c[2];
	int stop[2], done[2], fds0, i;

	fz_quiet();
	fds0 = fz_count_fds();
	memset(&vm, 0, sizeof(vm));
	vm.mem_fd = devnull;
	vm.ctx_fd = devnull;
	if (sm_eps_open(path, &ops, &vm, &r.s, &e) < 0)
		fz_fail("open: %s", e.msg);
	if (pipe2(stop, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
		fz_fail("pipe: %s", strerror(errno));
	r.stop_rd = stop[0];
	r.done_wr = done[1];
	if (pthread_create(&th, NULL, serve, &r))
		fz_fail("pthread_create failed");
	memset(c, 0, sizeof(c));
	for (i = 0; i < 2; i++) {
		c[i].sock = client();
		c[i].open = 1;
	}
	talk(data, size, c, done[0]);
	if (write(stop[1], "x", 1) != 1)
		fz_fail("stop pipe: %s", strerror(errno));
	if (pthread_join(th, NULL))
		fz_fail("pthread_join failed");
	sm_eps_close(r.s);
	if (vm.held)
		fz_fail("the context stayed with a client that is gone");
	if (vm.loading)
		fz_fail("a device-state load was never ended");
	close(c[0].sock);
	close(c[1].sock);
	close(stop[0]);
	close(stop[1]);
	close(done[0]);
	close(done[1]);
	if (fz_count_fds() != fds0)
		fz_fail("%d descriptors leaked", fz_count_fds() - fds0);
	fz_loud();
	return 0;
}
