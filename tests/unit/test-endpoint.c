// SPDX-License-Identifier: MIT
/*
 * Unit tests for the VM endpoint: framing (endpoint-wire.c), the client
 * (endpoint.c) and the server (endpoint-server.c) with a fake VMM running
 * in a forked child.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "endpoint/endpoint-server.h"
#include "endpoint/endpoint-wire.h"
#include "endpoint/endpoint.h"
#include "base/util.h"

/* ---- framing ---- */

static void test_wire_roundtrip_fds(void **state)
{
	int sv[2], p[2], fds[SM_EP_MAX_FDS], n = -1;
	struct sm_err e;
	char *body;
	size_t len;
	char c = 0;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(
		sm_epw_send(sv[0], "{\"a\":1}", 7, p, 2, sm_now() + 2, &e), 0);
	assert_int_equal(
		sm_epw_recv(sv[1], &body, &len, fds, &n, sm_now() + 2, &e), 0);
	assert_int_equal(len, 7);
	assert_string_equal(body, "{\"a\":1}");
	assert_int_equal(n, 2);
	/* The received write end feeds the original read end. */
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'x');
	assert_true(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	free(body);
	sm_epw_close_fds(fds, n);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

static void test_wire_large_message(void **state)
{
	size_t big = SM_EP_MSG_MAX;
	char *msg = malloc(big), *body;
	int sv[2], fds[SM_EP_MAX_FDS], n;
	struct sm_err e;
	size_t len;
	pid_t pid;

	(void)state;
	memset(msg, 'a', big);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	if (pid == 0) {
		_exit(sm_epw_send(sv[0], msg, big, NULL, 0, sm_now() + 5, &e) ?
			      1 :
			      0);
	}
	assert_int_equal(
		sm_epw_recv(sv[1], &body, &len, fds, &n, sm_now() + 5, &e), 0);
	assert_int_equal(len, big);
	assert_memory_equal(body, msg, big);
	free(body);
	free(msg);
	waitpid(pid, NULL, 0);
	close(sv[0]);
	close(sv[1]);
}

static void recv_fails(const uint8_t *bytes, size_t n, int close_after,
		       const char *want)
{
	int sv[2], fds[SM_EP_MAX_FDS], nfds;
	struct sm_err e;
	char *body;
	size_t len;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], bytes, n), (ssize_t)n);
	if (close_after)
		close(sv[0]);
	assert_int_equal(sm_epw_recv(sv[1], &body, &len, fds, &nfds,
				     sm_now() + 0.3, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_non_null(strstr(e.msg, want));
	if (!close_after)
		close(sv[0]);
	close(sv[1]);
}

static void test_wire_bad_frames(void **state)
{
	const uint8_t over[] = { 0x00, 0x10, 0x00, 0x01 };
	const uint8_t zero[] = { 0, 0, 0, 0 };
	const uint8_t part[] = { 0, 0, 0, 10, '{', '"' };
	double t0;

	(void)state;
	recv_fails(over, sizeof(over), 0, "bad message length 1048577");
	recv_fails(zero, sizeof(zero), 0, "bad message length 0");
	recv_fails(part, sizeof(part), 1, "connection closed");
	t0 = sm_now();
	recv_fails(part, sizeof(part), 0, "timed out");
	assert_true(sm_now() - t0 < 2);
}

static void test_wire_too_many_fds(void **state)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * (SM_EP_MAX_FDS + 4))];
	} ctl;
	int sv[2], fds[SM_EP_MAX_FDS], n, i, many[SM_EP_MAX_FDS + 4];
	uint8_t msg[] = { 0, 0, 0, 2, '{', '}' };
	struct iovec iov = { msg, sizeof(msg) };
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	struct sm_err e;
	char *body;
	size_t len;

	(void)state;
	for (i = 0; i < SM_EP_MAX_FDS + 4; i++)
		many[i] = STDERR_FILENO;
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(many));
	memcpy(CMSG_DATA(cm), many, sizeof(many));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sendmsg(sv[0], &mh, 0), (ssize_t)sizeof(msg));
	assert_int_equal(
		sm_epw_recv(sv[1], &body, &len, fds, &n, sm_now() + 1, &e), -1);
	assert_non_null(strstr(e.msg, "too many file descriptors"));
	assert_int_equal(n, 0);
	close(sv[0]);
	close(sv[1]);
}

static void test_hex(void **state)
{
	uint64_t v;
	char buf[19];

	(void)state;
	assert_int_equal(sm_parse_hex_u64("0x1000", &v), 0);
	assert_int_equal(v, 0x1000);
	assert_int_equal(sm_parse_hex_u64("0xFFFFFFFFFFFFFFFF", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(sm_parse_hex_u64("0x10000000000000000", &v), -1);
	assert_int_equal(sm_parse_hex_u64("1000", &v), -1);
	/* one rule for the endpoint and the archive: a lowercase prefix */
	assert_int_equal(sm_parse_hex_u64("0X1000", &v), -1);
	assert_int_equal(sm_parse_hex_u64("0xAbC", &v), 0);
	assert_int_equal(v, 0xabc);
	assert_int_equal(sm_parse_hex_u64("0x", &v), -1);
	assert_int_equal(sm_parse_hex_u64("0x12g", &v), -1);
	assert_int_equal(sm_parse_hex_u64(NULL, &v), -1);
	sm_fmt_hex_u64(buf, 0xabc000);
	assert_string_equal(buf, "0xabc000");
}

/* ---- a fake VMM behind the real server ---- */

#define NREGIONS 20000
#define DS_SIZE (3u << 20)

struct fake {
	int mem_fd, ctx_fd;
	int paused, held, lost;
	struct sm_ep_region regions[NREGIONS];
	size_t set_n;
	uint64_t load_size, load_sum, load_got;
};

static uint8_t ds_byte(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9));
}

static int f_hello(void *a, struct sm_ep_hello *h, struct sm_err *e)
{
	struct fake *f = a;

	(void)e;
	strcpy(h->platform, "sim");
	strcpy(h->platform_dir, "/nowhere");
	strcpy(h->role, "source");
	strcpy(h->state, f->paused ? "paused" : "running");
	h->vcpus = 2;
	h->es = 1;
	h->policy = 0x5;
	h->migration_ready = 1;
	h->nranges = 2;
	h->ranges[0] = (struct sm_ep_range){ 0, 0x100000, 0, 0 };
	h->ranges[1] =
		(struct sm_ep_range){ 0x100000000ull, 0x100000, 0, 0x100000 };
	h->mem_size = 0x200000;
	h->nfds = 1;
	h->fds[0] = f->mem_fd;
	return 0;
}

static int f_status(void *a, struct sm_ep_status *st, struct sm_err *e)
{
	struct fake *f = a;

	(void)e;
	strcpy(st->vmm_state, f->lost	? "lost" :
			      f->paused ? "paused" :
					  "running");
	strcpy(st->guest_state, "RUNNING");
	strcpy(st->role, "source");
	st->policy = 5;
	st->handle = 7;
	st->mem_size = 0x200000;
	st->vcpus = 2;
	st->es = 1;
	st->migration_ready = 1;
	return 0;
}

static int f_pause(void *a, struct sm_err *e)
{
	((struct fake *)a)->paused = 1;
	(void)e;
	return 0;
}

static int f_resume(void *a, int force, struct sm_err *e)
{
	struct fake *f = a;

	(void)force;
	if (f->held)
		return sm_err_set(e, SM_EXIT_VM, "context handed out");
	f->paused = 0;
	return 0;
}

static int f_shared(void *a, uint64_t from, size_t max,
		    const struct sm_ep_region **r, size_t *n, int *more,
		    struct sm_err *e)
{
	struct fake *f = a;
	size_t i = 0;

	(void)e;
	while (i < NREGIONS && f->regions[i].gpa < from)
		i++;
	*r = f->regions + i;
	*n = NREGIONS - i < max ? NREGIONS - i : max;
	*more = i + *n < NREGIONS;
	return 0;
}

static int f_set_shared(void *a, const struct sm_ep_region *r, size_t n,
			int append, struct sm_err *e)
{
	struct fake *f = a;

	(void)e;
	if (!append)
		f->set_n = 0;
	if (n && r[0].gpa == 0xdead000)
		return sm_err_set(e, SM_EXIT_USAGE, "outside guest RAM");
	f->set_n += n;
	return 0;
}

static int f_ds(void *a, uint64_t *size, struct sm_err *e)
{
	struct fake *f = a;

	if (!f->paused)
		return sm_err_set(e, SM_EXIT_VM, "pause first");
	*size = DS_SIZE;
	return 0;
}

static int f_ds_read(void *a, uint64_t off, void *buf, size_t len,
		     struct sm_err *e)
{
	size_t i;

	(void)a;
	(void)e;
	for (i = 0; i < len; i++)
		((uint8_t *)buf)[i] = ds_byte(off + i);
	return 0;
}

static int f_load(void *a, uint64_t size, struct sm_err *e)
{
	struct fake *f = a;

	(void)e;
	f->load_size = size;
	f->load_got = 0;
	return 0;
}

static int f_load_data(void *a, uint64_t off, const void *buf, size_t len,
		       struct sm_err *e)
{
	struct fake *f = a;
	size_t i;

	if (off != f->load_got)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of order");
	for (i = 0; i < len; i++)
		if (((const uint8_t *)buf)[i] != ds_byte(off + i))
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "device state corrupt at %zu",
					  (size_t)(off + i));
	f->load_got += len;
	return 0;
}

static int f_load_end(void *a, int complete, struct sm_err *e)
{
	struct fake *f = a;

	(void)e;
	if (complete && f->load_got != f->load_size)
		return sm_err_set(e, SM_EXIT_FAILURE, "size mismatch");
	return 0;
}

static int f_take(void *a, int *fd, struct sm_err *e)
{
	struct fake *f = a;

	if (!f->paused)
		return sm_err_set(e, SM_EXIT_VM,
				  "the guest is running: pause it first");
	*fd = f->ctx_fd;
	f->held = 1;
	return 0;
}

static int f_return(void *a, int fd, const char *in_doubt, struct sm_err *e)
{
	struct fake *f = a;
	struct stat x, y;

	(void)in_doubt;
	fstat(fd, &x);
	fstat(f->ctx_fd, &y);
	if (x.st_ino != y.st_ino)
		return sm_err_set(e, SM_EXIT_USAGE, "not this guest's context");
	f->held = 0;
	return 0;
}

static int f_release(void *a, struct sm_err *e)
{
	(void)e;
	((struct fake *)a)->held = 0;
	return 0;
}

static void f_lost(void *a)
{
	struct fake *f = a;

	f->held = 0;
	f->lost = 1;
}

static int f_quit(void *a, struct sm_err *e)
{
	(void)a;
	(void)e;
	return 0;
}

static const struct sm_eps_ops fake_ops = {
	.hello = f_hello,
	.status = f_status,
	.pause = f_pause,
	.resume = f_resume,
	.shared_regions = f_shared,
	.set_shared_regions = f_set_shared,
	.device_state = f_ds,
	.device_state_read = f_ds_read,
	.load_device_state = f_load,
	.load_device_state_data = f_load_data,
	.load_device_state_end = f_load_end,
	.take_context = f_take,
	.return_context = f_return,
	.release = f_release,
	.context_lost = f_lost,
	.quit = f_quit,
	/* no adopt_context, digest, check: "unsupported" */
};

struct srv {
	char dir[64];
	char path[108];
	pid_t pid;
};

static int srv_setup(void **state)
{
	struct srv *s = calloc(1, sizeof(*s));
	struct sm_err e;
	struct sm_eps *eps;
	int pfd[2];
	char c;

	strcpy(s->dir, "/tmp/sevmig-ep-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/vm.sock", s->dir);
	assert_int_equal(pipe(pfd), 0);
	s->pid = fork();
	if (s->pid == 0) {
		struct fake *f = calloc(1, sizeof(*f));
		size_t i;

		close(pfd[0]);
		signal(SIGPIPE, SIG_IGN);
		f->mem_fd = memfd_create("mem", 0);
		f->ctx_fd = memfd_create("ctx", 0);
		if (ftruncate(f->mem_fd, 0x200000))
			_exit(3);
		for (i = 0; i < NREGIONS; i++)
			f->regions[i] =
				(struct sm_ep_region){ (uint64_t)i * 0x3000,
						       0x1000 };
		if (sm_eps_open(s->path, &fake_ops, f, &eps, &e))
			_exit(2);
		if (write(pfd[1], "r", 1) != 1)
			_exit(3);
		close(pfd[1]);
		i = sm_eps_run(eps, -1, &e) ? 1 : 0;
		if (i == 0)
			sm_eps_close(eps);
		/* After a quit the child exits: free what it owns (valgrind). */
		close(f->mem_fd);
		close(f->ctx_fd);
		free(f);
		free(s);
		_exit((int)i);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	*state = s;
	return 0;
}

static int srv_teardown(void **state)
{
	struct srv *s = *state;
	char cmd[128];

	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", s->dir);
	if (system(cmd))
		return -1;
	free(s);
	return 0;
}

static struct sm_ep *conn(struct srv *s)
{
	struct sm_ep *ep;
	struct sm_err e;

	assert_int_equal(sm_ep_connect(s->path, 5, &ep, &e), 0);
	return ep;
}

/* A connection that claimed the VM (memory fds closed at once). */
static struct sm_ep *claimed(struct srv *s)
{
	struct sm_ep *ep = conn(s);
	struct sm_ep_hello *h = calloc(1, sizeof(*h));
	struct sm_err e;
	int i;

	assert_non_null(h);
	assert_int_equal(sm_ep_claim(ep, h, &e), 0);
	for (i = 0; i < h->nfds; i++)
		close(h->fds[i]);
	free(h);
	return ep;
}

/* Raw call; returns the reply text (caller frees). */
static char *raw(struct sm_ep *ep, const char *req, const int *fds, int n)
{
	int rfds[SM_EP_MAX_FDS], nr = 0;
	struct sm_err e;
	char *rep = NULL;

	assert_int_equal(sm_ep_call_raw(ep, req, fds, n, &rep, rfds, &nr, &e),
			 0);
	sm_epw_close_fds(rfds, nr);
	return rep;
}

static void expect_err(struct sm_ep *ep, const char *req, const char *code,
		       const char *msg)
{
	char *rep = raw(ep, req, NULL, 0);
	char want[256];

	snprintf(want, sizeof(want), "\"code\":\"%s\"", code);
	if (!strstr(rep, want) || !strstr(rep, msg) ||
	    !strstr(rep, "\"ok\":false"))
		fail_msg("reply %s lacks %s / %s", rep, want, msg);
	free(rep);
}

static void test_hello(void **state)
{
	struct sm_ep *ep = conn(*state), *other = conn(*state);
	struct sm_ep_hello h;
	struct stat st;
	struct sm_err e;

	/* Without a claim: the layout, not the memory. */
	assert_int_equal(sm_ep_hello(other, &h, &e), 0);
	assert_false(h.claimed);
	assert_int_equal(h.nranges, 2);
	assert_int_equal(h.nfds, 0);
	assert_int_equal(h.ranges[0].fd_index, -1);
	assert_int_equal(sm_ep_claim(ep, &h, &e), 0);
	assert_true(h.claimed);
	assert_int_equal(h.version, 1);
	assert_string_equal(h.platform, "sim");
	assert_string_equal(h.platform_dir, "/nowhere");
	assert_string_equal(h.role, "source");
	assert_int_equal(h.vcpus, 2);
	assert_int_equal(h.es, 1);
	assert_int_equal(h.policy, 5);
	assert_int_equal(h.nranges, 2);
	assert_true(h.ranges[1].gpa == 0x100000000ull);
	assert_int_equal(h.ranges[1].offset, 0x100000);
	assert_int_equal(h.mem_size, 0x200000);
	assert_int_equal(h.nfds, 1);
	assert_int_equal(fstat(h.fds[0], &st), 0);
	assert_int_equal(st.st_size, 0x200000);
	close(h.fds[0]);
	/* One claimant: the other may look, not claim or touch. */
	assert_int_equal(sm_ep_claim(other, &h, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_string_equal(
		e.msg,
		"vmm refused 'hello': the VM is claimed by another client (client 1): an export or import is under way");
	assert_int_equal(sm_ep_pause(other, &e), -1);
	assert_non_null(strstr(e.msg, "claimed by another client"));
	assert_int_equal(sm_ep_hello(other, &h, &e), 0);
	/* The claim ends with its connection. */
	sm_ep_close(ep);
	sm_ep_close(other);
	other = conn(*state);
	assert_int_equal(sm_ep_claim(other, &h, &e), 0);
	close(h.fds[0]);
	sm_ep_close(other);
}

static void test_bad_requests(void **state)
{
	struct sm_ep *ep = claimed(*state);
	struct sm_ep_status st;
	struct sm_err e;
	int fd = open("/dev/null", O_RDONLY);
	char *rep;

	expect_err(ep, "{\"version\":1,", "malformed", "malformed JSON");
	expect_err(ep, "[1,2]", "malformed", "must be a JSON object");
	expect_err(ep, "{\"op\":\"status\"}", "malformed", "\\\"version\\\"");
	expect_err(ep, "{\"version\":1,\"op\":3}", "malformed", "\\\"op\\\"");
	expect_err(ep, "{\"version\":2,\"op\":\"status\"}", "unsupported",
		   "protocol version 2 not supported");
	expect_err(ep, "{\"version\":1,\"op\":\"dance\"}", "unknown-op",
		   "unknown operation 'dance'");
	expect_err(ep, "{\"version\":1,\"op\":\"digest\"}", "unsupported",
		   "'digest' is not supported");
	expect_err(ep, "{\"version\":1,\"op\":\"return-context\"}", "fds",
		   "'return-context' takes 1 file descriptor, got 0");
	expect_err(ep, "{\"version\":1,\"op\":\"release\"}", "state",
		   "not handed to this client");
	expect_err(ep, "{\"version\":1,\"op\":\"shared-regions\",\"from\":5}",
		   "malformed", "'from'");
	expect_err(
		ep,
		"{\"version\":1,\"op\":\"set-shared-regions\",\"regions\":[{\"gpa\":\"0x1000\",\"size\":4096,\"x\":1}]}",
		"malformed", "region 0");
	expect_err(
		ep,
		"{\"version\":1,\"op\":\"set-shared-regions\",\"regions\":[{\"gpa\":\"0x1001\",\"size\":4096}]}",
		"invalid", "unaligned");
	expect_err(
		ep,
		"{\"version\":1,\"op\":\"set-shared-regions\",\"regions\":[{\"gpa\":\"0x2000\",\"size\":4096},{\"gpa\":\"0x1000\",\"size\":4096}]}",
		"invalid", "out of order");
	expect_err(
		ep,
		"{\"version\":1,\"op\":\"set-shared-regions\",\"regions\":[{\"gpa\":\"0xdead000\",\"size\":4096}]}",
		"invalid", "outside guest RAM");
	expect_err(ep, "{\"version\":1,\"op\":\"load-device-state\"}",
		   "malformed", "'size'");
	rep = raw(ep, "{\"version\":1,\"op\":\"status\"}", &fd, 1);
	assert_non_null(
		strstr(rep, "'status' takes 0 file descriptors, got 1"));
	free(rep);
	/* The connection survives all of that. */
	assert_int_equal(sm_ep_status(ep, &st, &e), 0);
	assert_string_equal(st.vmm_state, "running");
	assert_int_equal(st.handle, 7);
	/* A VMM error becomes SM_EXIT_VM with the VMM's message. */
	assert_int_equal(sm_ep_take_context(ep, &fd, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_string_equal(
		e.msg,
		"vmm refused 'take-context': the guest is running: pause it first");
	close(fd);
	sm_ep_close(ep);
}

static void test_oversize_and_empty(void **state)
{
	struct sm_ep *ep = conn(*state);
	const uint8_t zero[] = { 0, 0, 0, 0 };
	const uint8_t over[] = { 0x00, 0x10, 0x00, 0x01 };
	int fds[SM_EP_MAX_FDS], n;
	struct sm_ep_status st;
	struct sm_err e;
	char *rep;

	assert_int_equal(write(sm_ep_socket(ep), zero, 4), 4);
	assert_int_equal(sm_ep_recv_raw(ep, &rep, fds, &n, &e), 0);
	assert_non_null(strstr(rep, "empty message"));
	free(rep);
	assert_int_equal(sm_ep_status(ep, &st, &e), 0);
	assert_int_equal(write(sm_ep_socket(ep), over, 4), 4);
	assert_int_equal(sm_ep_recv_raw(ep, &rep, fds, &n, &e), 0);
	assert_non_null(strstr(rep, "\"code\":\"too-large\""));
	assert_non_null(
		strstr(rep, "1048577 bytes exceeds the limit of 1048576"));
	free(rep);
	/* ... and the VMM hung up. */
	assert_int_equal(sm_ep_status(ep, &st, &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	sm_ep_close(ep);
}

static void test_context_busy_and_lost(void **state)
{
	struct sm_ep *a = claimed(*state), *b = conn(*state);
	struct sm_ep_status st;
	struct sm_err e;
	int fd, other = memfd_create("x", 0);
	double t0;

	assert_int_equal(sm_ep_pause(a, &e), 0);
	assert_int_equal(sm_ep_take_context(a, &fd, &e), 0);
	assert_int_equal(sm_ep_take_context(a, &fd, &e), -1);
	assert_string_equal(
		e.msg,
		"vmm refused 'take-context': this client already holds the context");
	/* Another client may look but not touch. */
	assert_int_equal(sm_ep_status(b, &st, &e), 0);
	assert_true(st.context_held);
	assert_int_equal(sm_ep_resume(b, &e), -1);
	assert_string_equal(
		e.msg,
		"vmm refused 'resume': the guest context is held by another client");
	assert_int_equal(sm_ep_take_context(b, &other, &e), -1);
	assert_int_equal(sm_ep_quit(b, &e), -1);
	assert_int_equal(sm_ep_quit(a, &e), -1);
	assert_non_null(strstr(e.msg, "return or release it first"));
	/* The wrong descriptor is refused and the context stays held. */
	assert_int_equal(sm_ep_return_context(a, other, &e), -1);
	assert_string_equal(
		e.msg,
		"vmm refused 'return-context': not this guest's context");
	assert_int_equal(sm_ep_return_context(a, fd, &e), 0);
	assert_int_equal(sm_ep_status(b, &st, &e), 0);
	assert_false(st.context_held);
	/* Take again, then vanish: the VMM gets context_lost. */
	assert_int_equal(sm_ep_take_context(a, &fd, &e), 0);
	close(fd);
	sm_ep_close(a);
	/* The hang-up may be seen just after b's next request. */
	t0 = sm_now();
	do {
		assert_int_equal(sm_ep_status(b, &st, &e), 0);
	} while (st.context_held && sm_now() - t0 < 3 && !usleep(10000));
	assert_false(st.context_held);
	assert_string_equal(st.vmm_state, "lost");
	close(other);
	sm_ep_close(b);
}

static void test_shared_regions_paged(void **state)
{
	struct sm_ep *ep = claimed(*state);
	struct sm_ep_region *r, *big;
	struct sm_err e;
	size_t n, i;
	char *rep;

	assert_int_equal(sm_ep_shared_regions(ep, &r, &n, &e), 0);
	assert_int_equal(n, NREGIONS);
	for (i = 0; i < n; i++)
		assert_true(r[i].gpa == i * 0x3000 && r[i].size == 0x1000);
	/* One reply stays under the message limit and says where to go on. */
	rep = raw(ep, "{\"version\":1,\"op\":\"shared-regions\"}", NULL, 0);
	assert_true(strlen(rep) < SM_EP_MSG_MAX);
	assert_non_null(strstr(rep, "\"next\":\"0x"));
	free(rep);
	/* Setting more than a batch works in several messages. */
	big = r;
	assert_int_equal(sm_ep_set_shared_regions(ep, big, n, &e), 0);
	assert_int_equal(sm_ep_set_shared_regions(ep, NULL, 0, &e), 0);
	free(r);
	sm_ep_close(ep);
}

static void test_device_state_stream(void **state)
{
	struct sm_ep *ep = claimed(*state);
	uint8_t *buf = malloc(DS_SIZE + 1);
	uint64_t size, got = 0, i;
	struct sm_err e;
	int fd;

	assert_int_equal(sm_ep_device_state(ep, &fd, &size, &e), -1);
	assert_string_equal(e.msg, "vmm refused 'device-state': pause first");
	assert_int_equal(sm_ep_pause(ep, &e), 0);
	assert_int_equal(sm_ep_device_state(ep, &fd, &size, &e), 0);
	assert_int_equal(size, DS_SIZE);
	for (;;) {
		ssize_t n = read(fd, buf + got, DS_SIZE + 1 - got);

		assert_true(n >= 0);
		if (n == 0)
			break;
		got += (uint64_t)n;
	}
	close(fd);
	assert_int_equal(got, DS_SIZE);
	for (i = 0; i < got; i++)
		if (buf[i] != ds_byte(i))
			fail_msg("byte %llu differs", (unsigned long long)i);
	/* Load it back in. */
	assert_int_equal(sm_ep_load_device_state(ep, size, &fd, &e), 0);
	assert_int_equal(sm_write_full(fd, buf, size), (ssize_t)size);
	close(fd);
	assert_int_equal(sm_ep_load_device_state_done(ep, &e), 0);
	/* Truncated. */
	assert_int_equal(sm_ep_load_device_state(ep, size, &fd, &e), 0);
	assert_int_equal(sm_write_full(fd, buf, 1000), 1000);
	close(fd);
	assert_int_equal(sm_ep_load_device_state_done(ep, &e), -1);
	assert_string_equal(
		e.msg,
		"vmm refused 'load-device-state': device state truncated: got 1000 of 3145728 bytes");
	/* Corrupt: the VMM's verdict is relayed. */
	buf[5000] ^= 1;
	assert_int_equal(sm_ep_load_device_state(ep, size, &fd, &e), 0);
	sm_write_full(fd, buf, size);
	close(fd);
	assert_int_equal(sm_ep_load_device_state_done(ep, &e), -1);
	assert_string_equal(
		e.msg,
		"vmm refused 'load-device-state': device state corrupt at 5000");
	/* Longer than announced. */
	buf[5000] ^= 1;
	assert_int_equal(sm_ep_load_device_state(ep, 10, &fd, &e), 0);
	sm_write_full(fd, buf, 100);
	close(fd);
	assert_int_equal(sm_ep_load_device_state_done(ep, &e), -1);
	assert_non_null(strstr(e.msg, "longer than the announced 10 bytes"));
	free(buf);
	sm_ep_close(ep);
}

/*
 * A client that sends requests and never reads the (large) replies
 * stalls only itself: another client is answered at once, and the slow
 * one still gets every reply, whole and in order, when it reads.
 */
#define PIPELINED 40
static void test_slow_client(void **state)
{
	static const char req[] = "{\"version\":1,\"op\":\"shared-regions\"}";
	struct sm_ep *slow = conn(*state), *other = conn(*state);
	int fds[SM_EP_MAX_FDS], n, i;
	struct sm_ep_status st;
	struct sm_ep_hello h;
	struct sm_err e;
	char *rep;
	double t0;

	for (i = 0; i < PIPELINED; i++)
		assert_int_equal(sm_epw_send(sm_ep_socket(slow), req,
					     strlen(req), NULL, 0, sm_now() + 2,
					     &e),
				 0);
	usleep(200000);
	t0 = sm_now();
	assert_int_equal(sm_ep_status(other, &st, &e), 0);
	assert_true(sm_now() - t0 < 1.0);
	for (i = 0; i < PIPELINED; i++) {
		assert_int_equal(sm_ep_recv_raw(slow, &rep, fds, &n, &e), 0);
		assert_int_equal(n, 0);
		assert_non_null(strstr(rep, "\"next\":\"0x5ffe000\""));
		assert_true(strlen(rep) > 200000);
		free(rep);
	}
	/* The connection is in step: a reply with a descriptor works. */
	assert_int_equal(sm_ep_claim(slow, &h, &e), 0);
	assert_int_equal(h.nfds, 1);
	close(h.fds[0]);
	sm_ep_close(slow);
	sm_ep_close(other);
}

static void test_quit(void **state)
{
	struct srv *s = *state;
	struct sm_ep *ep = conn(s);
	struct sm_err e;
	struct stat st;
	int status;

	assert_int_equal(sm_ep_quit(ep, &e), 0);
	sm_ep_close(ep);
	assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The socket is gone with the server. */
	assert_int_equal(stat(s->path, &st), -1);
	assert_int_equal(sm_ep_connect(s->path, 1, &ep, &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
}

static void test_open_refuses_live_socket(void **state)
{
	struct srv *s = *state;
	struct sm_eps *eps;
	struct sm_err e;
	char path[128];
	int fd;

	assert_int_equal(sm_eps_open(s->path, &fake_ops, NULL, &eps, &e), -1);
	assert_non_null(strstr(e.msg, "already serving"));
	snprintf(path, sizeof(path), "%s/file", s->dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(sm_eps_open(path, &fake_ops, NULL, &eps, &e), -1);
	assert_non_null(strstr(e.msg, "not a socket"));
}

/*
 * A VMM that stops accepting (stopped, wedged): once its backlog is full,
 * connecting gives up at the timeout instead of blocking for ever.
 */
static void test_client_connect_timeout(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/sevmig-ep-XXXXXX";
	struct sm_ep *eps[8];
	struct sm_err e;
	int l, i, n = 0, rc = 0;
	double t0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/full.sock", dir);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 0), 0);
	t0 = sm_now();
	for (i = 0; i < 8 && rc == 0; i++) {
		rc = sm_ep_connect(sa.sun_path, 0.3, &eps[n], &e);
		if (rc == 0)
			n++;
	}
	assert_int_equal(rc, -1);
	assert_true(sm_now() - t0 < 3);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_non_null(strstr(e.msg, "timed out"));
	while (n > 0)
		sm_ep_close(eps[--n]);
	close(l);
	unlink(sa.sun_path);
	rmdir(dir);
}

/* A peer that accepts but never answers: the client times out. */
static void test_client_timeout(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/sevmig-ep-XXXXXX";
	struct sm_ep_status st;
	struct sm_ep *ep;
	struct sm_err e;
	double t0;
	int l;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/mute.sock", dir);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 4), 0);
	assert_int_equal(sm_ep_connect(sa.sun_path, 0.3, &ep, &e), 0);
	t0 = sm_now();
	assert_int_equal(sm_ep_status(ep, &st, &e), -1);
	assert_true(sm_now() - t0 < 2);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_string_equal(e.msg, "'status': timed out waiting for a reply");
	sm_ep_close(ep);
	close(l);
	unlink(sa.sun_path);
	rmdir(dir);
	assert_int_equal(sm_ep_connect(sa.sun_path, 1, &ep, &e), -1);
	assert_non_null(strstr(e.msg, "cannot connect to"));
}

/* ---- the client against a hostile or broken VMM ---- */

/*
 * A scripted VMM: the test holds the accepted end and answers by hand.
 * Replies can be queued before the client asks, or sent late.
 */
struct hostile {
	char dir[32];
	char path[108];
	int lsock, peer;
	struct sm_ep *ep;
};

static void hostile_open(struct hostile *h, double timeout)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sm_err e;

	snprintf(h->dir, sizeof(h->dir), "/tmp/sevmig-ep-XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	snprintf(h->path, sizeof(h->path), "%s/vmm.sock", h->dir);
	memcpy(sa.sun_path, h->path, strlen(h->path) + 1);
	h->lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(h->lsock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(h->lsock, 4), 0);
	assert_int_equal(sm_ep_connect(h->path, timeout, &h->ep, &e), 0);
	h->peer = accept4(h->lsock, NULL, NULL, SOCK_CLOEXEC);
	assert_true(h->peer >= 0);
}

static void hostile_close(struct hostile *h)
{
	sm_ep_close(h->ep);
	close(h->peer);
	close(h->lsock);
	unlink(h->path);
	rmdir(h->dir);
}

/* Queue one reply frame (text) with nfds fds. */
static void hostile_reply(struct hostile *h, const char *text, const int *fds,
			  int nfds)
{
	struct sm_err e;

	assert_int_equal(sm_epw_send(h->peer, text, strlen(text), fds, nfds,
				     sm_now() + 2, &e),
			 0);
}

/* Read and drop one request the client sent. */
static void hostile_eat(struct hostile *h)
{
	int fds[SM_EP_MAX_FDS], n = 0;
	struct sm_err e;
	size_t len;
	char *body;

	assert_int_equal(sm_epw_recv(h->peer, &body, &len, fds, &n,
				     sm_now() + 2, &e),
			 0);
	free(body);
	sm_epw_close_fds(fds, n);
}

/*
 * A reply that arrives after the client gave up must never be taken for
 * the reply to its next request: a late "ok" to take-context would pass
 * for an "ok" to release.  After a timeout the connection is unusable.
 */
static void test_client_late_reply(void **state)
{
	struct sm_ep_status st;
	struct hostile h;
	struct sm_err e;

	(void)state;
	hostile_open(&h, 0.2);
	assert_int_equal(sm_ep_status(h.ep, &st, &e), -1);
	assert_string_equal(e.msg, "'status': timed out waiting for a reply");
	hostile_eat(&h);
	hostile_reply(&h, "{\"ok\":true}", NULL, 0);
	assert_int_equal(sm_ep_release(h.ep, &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_string_equal(e.msg, "'release': the connection to the VMM is "
				   "unusable after an earlier failure; "
				   "reconnect");
	assert_int_equal(sm_ep_pause(h.ep, &e), -1);
	hostile_close(&h);
}

/* Is fd still open in this process? */
static int fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/*
 * Malformed replies, huge lengths, missing fields, wrong types and
 * descriptors nobody asked for: each is an error (SM_EXIT_IO), none
 * hangs, crashes or leaks a descriptor.
 */
static void test_client_hostile_replies(void **state)
{
	static const char *const bad[] = {
		"not json",
		"[true]",
		"{\"ok\":\"yes\"}",
		"{\"ok\":true,\"ok\":true}",
	};
	struct sm_ep_status st;
	struct sm_ep_hello *hl;
	struct hostile h;
	struct sm_err e;
	uint8_t huge[4] = { 0xff, 0xff, 0xff, 0xff };
	int p[2], fd = -1, before;
	size_t i;

	(void)state;
	for (i = 0; i < SM_ARRAY_SIZE(bad); i++) {
		hostile_open(&h, 2);
		hostile_reply(&h, bad[i], NULL, 0);
		assert_int_equal(sm_ep_pause(h.ep, &e), -1);
		assert_int_equal(e.code, SM_EXIT_IO);
		assert_non_null(strstr(e.msg, "bad reply to 'pause'"));
		hostile_close(&h);
	}

	/* A 4 GiB length: refused at once, nothing allocated or awaited. */
	hostile_open(&h, 2);
	assert_int_equal(write(h.peer, huge, 4), 4);
	assert_int_equal(sm_ep_pause(h.ep, &e), -1);
	assert_non_null(strstr(e.msg, "bad message length 4294967295"));
	hostile_close(&h);

	/* Cut short: the VMM dies mid-frame. */
	hostile_open(&h, 2);
	assert_int_equal(write(h.peer, "\0\0\0\x20{\"ok\"", 9), 9);
	close(h.peer);
	h.peer = open("/dev/null", O_RDONLY);
	assert_int_equal(sm_ep_pause(h.ep, &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	/* Sending may already fail (EPIPE), or reading the cut frame. */
	assert_true(strstr(e.msg, "connection closed by the peer") ||
		    strstr(e.msg, "Broken pipe") ||
		    strstr(e.msg, "Connection reset"));
	hostile_close(&h);

	/* Missing and mistyped fields. */
	hostile_open(&h, 2);
	hostile_reply(&h, "{\"ok\":true,\"vmm_state\":\"running\"}", NULL, 0);
	assert_int_equal(sm_ep_status(h.ep, &st, &e), -1);
	assert_string_equal(e.msg, "bad reply to 'status': field "
				   "'guest_state'");
	/* Out of step with the VMM: nothing more goes through. */
	assert_int_equal(sm_ep_pause(h.ep, &e), -1);
	assert_non_null(strstr(e.msg, "unusable after an earlier failure"));
	hostile_close(&h);
	hostile_open(&h, 2);
	hostile_reply(&h, "{\"ok\":true,\"sha256\":7,\"pages\":1}", NULL, 0);
	{
		uint8_t d[32];
		uint64_t pages;

		assert_int_equal(sm_ep_digest(h.ep, d, &pages, &e), -1);
		assert_string_equal(e.msg, "bad reply to 'digest': field "
					   "'sha256'");
	}
	hostile_close(&h);

	/* hello naming a memory fd it did not pass; fds closed on error. */
	hostile_open(&h, 2);
	assert_int_equal(pipe(p), 0);
	hostile_reply(&h,
		      "{\"ok\":true,\"version\":1,\"platform\":\"kvm\","
		      "\"role\":\"source\",\"state\":\"paused\",\"vcpus\":1,"
		      "\"es\":false,\"policy\":1,\"migration_ready\":true,"
		      "\"memory\":[{\"gpa\":\"0x0\",\"size\":4096,\"fd\":1,"
		      "\"offset\":\"0x0\"}]}",
		      &p[1], 1);
	close(p[1]);
	hl = calloc(1, sizeof(*hl));
	assert_non_null(hl);
	assert_int_equal(sm_ep_claim(h.ep, hl, &e), -1);
	assert_non_null(strstr(e.msg, "memory fd 1 not passed"));
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	/* The client's copy of the write end is closed: EOF. */
	assert_int_equal(read(p[0], &before, 1), 0);
	close(p[0]);
	free(hl);
	hostile_close(&h);

	/* A descriptor with a reply that carries none: refused and closed. */
	hostile_open(&h, 2);
	assert_int_equal(pipe(p), 0);
	hostile_reply(&h, "{\"ok\":true}", &p[1], 1);
	close(p[1]);
	assert_int_equal(sm_ep_pause(h.ep, &e), -1);
	assert_string_equal(e.msg, "bad reply to 'pause': 1 file "
				   "descriptors, expected 0");
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	assert_int_equal(read(p[0], &before, 1), 0);
	close(p[0]);
	hostile_close(&h);

	/* take-context without the context: an error, not fd -1 or junk. */
	hostile_open(&h, 2);
	hostile_reply(&h, "{\"ok\":true}", NULL, 0);
	assert_int_equal(sm_ep_take_context(h.ep, &fd, &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_false(fd_open(fd) && fd > 2);
	hostile_close(&h);

	/* An error reply that passes descriptors: they are closed. */
	hostile_open(&h, 2);
	assert_int_equal(pipe(p), 0);
	hostile_reply(&h, "{\"ok\":false,\"error\":\"no\",\"code\":\"state\"}",
		      &p[1], 1);
	close(p[1]);
	assert_int_equal(sm_ep_pause(h.ep, &e), -1);
	assert_string_equal(e.msg, "vmm refused 'pause': no");
	assert_int_equal(e.code, SM_EXIT_VM);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	assert_int_equal(read(p[0], &before, 1), 0);
	close(p[0]);
	/* ...and an error reply leaves the connection usable. */
	hostile_reply(&h, "{\"ok\":true}", NULL, 0);
	assert_int_equal(sm_ep_pause(h.ep, &e), 0);
	hostile_close(&h);
}

/*
 * A VMM that lists shared regions without end (each reply valid, each
 * "next" further on): the client stops at SM_EP_MAX_SHARED_REGIONS
 * instead of growing without bound.
 */
static void test_client_endless_regions(void **state)
{
	struct sm_ep_region *r = NULL;
	struct hostile h;
	struct sm_err e;
	pid_t pid;
	size_t n = 0;

	(void)state;
	hostile_open(&h, 10);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static char buf[8192 * 40 + 64];
		uint64_t gpa = 0;
		size_t len;
		int i;

		for (;;) {
			int fds[SM_EP_MAX_FDS], nf = 0;
			char *body;

			if (sm_epw_recv(h.peer, &body, &len, fds, &nf,
					sm_now() + 20, &e))
				_exit(0);
			free(body);
			len = (size_t)snprintf(buf, sizeof(buf),
					       "{\"ok\":true,\"regions\":[");
			for (i = 0; i < 8192; i++, gpa += 0x2000)
				len += (size_t)snprintf(
					buf + len, sizeof(buf) - len,
					"%s{\"gpa\":\"0x%llx\",\"size\":4096}",
					i ? "," : "", (unsigned long long)gpa);
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						"],\"next\":\"0x%llx\"}",
						(unsigned long long)gpa);
			if (sm_epw_send(h.peer, buf, len, NULL, 0,
					sm_now() + 20, &e))
				_exit(0);
		}
	}
	assert_int_equal(sm_ep_shared_regions(h.ep, &r, &n, &e), -1);
	assert_null(r);
	assert_string_equal(e.msg, "bad reply to 'shared-regions': more than "
				   "1048576 regions");
	hostile_close(&h);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_roundtrip_fds),
		cmocka_unit_test(test_wire_large_message),
		cmocka_unit_test(test_wire_bad_frames),
		cmocka_unit_test(test_wire_too_many_fds),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_client_timeout),
		cmocka_unit_test(test_client_connect_timeout),
		cmocka_unit_test(test_client_late_reply),
		cmocka_unit_test(test_client_hostile_replies),
		cmocka_unit_test(test_client_endless_regions),
		cmocka_unit_test_setup_teardown(test_hello, srv_setup,
						srv_teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, srv_setup,
						srv_teardown),
		cmocka_unit_test_setup_teardown(test_oversize_and_empty,
						srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_context_busy_and_lost,
						srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_shared_regions_paged,
						srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_device_state_stream,
						srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_slow_client, srv_setup,
						srv_teardown),
		cmocka_unit_test_setup_teardown(test_quit, srv_setup,
						srv_teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses_live_socket,
						srv_setup, srv_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
