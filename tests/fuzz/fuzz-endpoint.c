// SPDX-License-Identifier: MIT
/*
 * fuzz-endpoint: what a VMM sends back on the VM endpoint, as the client
 * (lib/endpoint/endpoint.c, used by sevmig-export and sevmig-import) reads it.
 *
 * A thread plays the VMM on a unix socket in a private temporary
 * directory (fz_peer_serve): it sends the input's frames (fuzz-common.h:
 * ctl byte, then the wire bytes, with descriptors attached as the ctl
 * byte says), reads and drops whatever the client sends, and closes its
 * side once all is sent.  The main thread runs every client call an export or import
 * makes, in order, whatever the previous one returned.
 *
 * Checks: every failure has a message and an allowed class, nothing
 * waits for the client's deadline (the peer's EOF always comes first),
 * and no descriptor is left open: the client closes what it does not
 * hand over, the harness closes what it is handed.
 */
#include "fuzz-common.h"

#include <pthread.h>
#include <signal.h>
#include <sys/un.h>

#include "endpoint/endpoint.h"
#include "base/util.h"

#define EP_TIMEOUT 5.0
#define CLIENT_ERRS (FZ(SM_EXIT_IO) | FZ(SM_EXIT_VM) | FZ(SM_EXIT_UNSUPPORTED))

static char dir[] = "/tmp/sevmig-fuzz-ep.XXXXXX";
static char path[sizeof(dir) + 16];
static int lfd = -1, devnull = -1;

static void cleanup(void)
{
	if (lfd >= 0)
		close(lfd);
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	(void)argc;
	(void)argv;
	fz_log_init();
	signal(SIGPIPE, SIG_IGN);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || !mkdtemp(dir))
		fz_fail("setup: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/vm.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 4) < 0)
		fz_fail("endpoint socket '%s': %s", path, strerror(errno));
	atexit(cleanup);
	return 0;
}

static void check(int rc, const struct sm_err *e, const char *what)
{
	if (rc < 0)
		fz_check_err(e, CLIENT_ERRS, what);
}

static void close_if(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Every call an export or an import makes, in order. */
static void session(struct sm_ep *ep)
{
	static const struct sm_ep_region mine[] = {
		{ 0x9000, 0x2000 },
		{ 0x100000, 0x1000 },
		{ 0x200000, 0x10000 },
	};
	struct sm_ep_hello *h;
	struct sm_ep_status st;
	struct sm_ep_region *r = NULL;
	struct sm_ep_check ck;
	struct sm_err e;
	uint8_t sha[32];
	uint64_t size, pages;
	size_t n = 0, i;
	int rc, fd = -1;

	h = malloc(sizeof(*h)); /* 4 KiB of path: off the stack */
	if (!h)
		fz_fail("out of memory");
	rc = sm_ep_hello(ep, h, &e);
	check(rc, &e, "hello");
	if (rc == 0) {
		/*
		 * Without a claim no memory comes (endpoint.h): no fds, and
		 * every range says so; with one, each range has its fd.
		 */
		if (h->nfds < (h->claimed ? 1 : 0) ||
		    (!h->claimed && h->nfds) || h->nfds > SM_EP_MAX_FDS ||
		    h->nranges < 1 || h->nranges > SM_EP_MAX_RANGES)
			fz_fail("hello: %d fds, %zu ranges, claimed %d",
				h->nfds, h->nranges, h->claimed);
		for (i = 0; i < h->nranges; i++)
			if (h->claimed ? (h->ranges[i].fd_index < 0 ||
					  h->ranges[i].fd_index >= h->nfds) :
					 h->ranges[i].fd_index != -1)
				fz_fail("hello: range %zu on fd %d of %d", i,
					h->ranges[i].fd_index, h->nfds);
		for (i = 0; i < (size_t)h->nfds; i++)
			close_if(&h->fds[i]);
	}
	free(h);
	check(sm_ep_status(ep, &st, &e), &e, "status");
	check(sm_ep_pause(ep, &e), &e, "pause");
	rc = sm_ep_shared_regions(ep, &r, &n, &e);
	check(rc, &e, "shared-regions");
	if (rc == 0) {
		for (i = 0; i < n; i++)
			if (!r[i].size ||
			    (i && r[i].gpa < r[i - 1].gpa + r[i - 1].size))
				fz_fail("shared region %zu empty or out of order",
					i);
		free(r);
	}
	check(sm_ep_set_shared_regions(ep, mine, SM_ARRAY_SIZE(mine), &e), &e,
	      "set-shared-regions");
	rc = sm_ep_device_state(ep, &fd, &size, &e);
	check(rc, &e, "device-state");
	if (rc == 0)
		close_if(&fd);
	rc = sm_ep_load_device_state(ep, 4096, &fd, &e);
	check(rc, &e, "load-device-state");
	if (rc == 0) {
		close_if(&fd);
		check(sm_ep_load_device_state_done(ep, &e), &e,
		      "load-device-state verdict");
	}
	rc = sm_ep_take_context(ep, &fd, &e);
	check(rc, &e, "take-context");
	if (rc == 0)
		close_if(&fd);
	check(sm_ep_return_context(ep, devnull, &e), &e, "return-context");
	check(sm_ep_adopt_context(ep, devnull, 0, &e), &e, "adopt-context");
	check(sm_ep_release(ep, &e), &e, "release");
	check(sm_ep_resume(ep, &e), &e, "resume");
	check(sm_ep_digest(ep, sha, &pages, &e), &e, "digest");
	rc = sm_ep_check(ep, &ck, &e);
	check(rc, &e, "check");
	if (rc == 0 && ck.nfirst > SM_EP_CHECK_FIRST)
		fz_fail("check: %zu first bad pages", ck.nfirst);
	check(sm_ep_quit(ep, &e), &e, "quit");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_peer p = { lfd, devnull, EP_TIMEOUT, data, size };
	struct sm_ep *ep = NULL;
	struct sm_err e;
	pthread_t th;
	double t0;
	int fds0;

	fz_quiet();
	fds0 = fz_count_fds();
	if (pthread_create(&th, NULL, fz_peer_serve, &p))
		fz_fail("pthread_create failed");
	t0 = sm_now();
	if (sm_ep_connect(path, EP_TIMEOUT, &ep, &e) < 0)
		fz_fail("connect: %s", e.msg);
	session(ep);
	sm_ep_close(ep);
	if (pthread_join(th, NULL))
		fz_fail("pthread_join failed");
	if (sm_now() - t0 >= EP_TIMEOUT - 0.5)
		fz_fail("a call waited for the client's deadline");
	if (fz_count_fds() != fds0)
		fz_fail("%d descriptors leaked", fz_count_fds() - fds0);
	fz_loud();
	return 0;
}
