// SPDX-License-Identifier: MIT
/*
 * fuzz-qmp: what a QEMU (or anything listening on its QMP socket) sends
 * back.  qmp.c has no buffer-level parser, only the socket API, so the
 * harness is the peer: a thread accepts on a unix socket in a private
 * temporary directory, writes the whole input (the greeting, the answers,
 * events, anything) and closes its side; the main thread runs what sevmig
 * does on a QMP socket: sm_qmp_open (greeting, qmp_capabilities),
 * sm_qmp_query_sev_capabilities, then one sm_qmp_execute with a result.
 * The peer always closes, so every read ends at EOF at the latest; the
 * client's own deadline (QMP_TIMEOUT) would turn a missed EOF into a
 * timeout, which the harness reports as a hang.
 */
#include "fuzz-common.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fetch/qmp.h"
#include "base/util.h"

#define QMP_TIMEOUT 5.0

static char dir[] = "/tmp/sevmig-fuzz-qmp.XXXXXX";
static char path[sizeof(dir) + 16];
static int lfd = -1;

struct peer {
	const uint8_t *data;
	size_t size;
};

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
	if (!mkdtemp(dir))
		fz_fail("mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 4) < 0)
		fz_fail("QMP socket '%s': %s", path, strerror(errno));
	atexit(cleanup);
	return 0;
}

/* Accept one client, send it everything, close, drain what it sent. */
static void *serve(void *arg)
{
	const struct peer *p = arg;
	struct pollfd pf = { .fd = lfd, .events = POLLIN };
	char sink[4096];
	size_t off = 0;
	ssize_t n;
	int fd;

	if (poll(&pf, 1, 2 * (int)QMP_TIMEOUT * 1000) != 1)
		fz_fail("the client never connected");
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		fz_fail("accept: %s", strerror(errno));
	while (off < p->size) {
		n = send(fd, p->data + off, p->size - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the client gave up and closed: fine */
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	while ((n = recv(fd, sink, sizeof(sink), 0)) > 0 ||
	       (n < 0 && errno == EINTR))
		;
	close(fd);
	return NULL;
}

static void check_timeout(const struct sm_err *e, double t0, const char *what)
{
	if (sm_now() - t0 >= QMP_TIMEOUT - 0.5)
		fz_fail("%s: hung until the client's deadline: %s", what,
			e->msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peer p = { data, size };
	struct sm_qmp_sev_caps caps;
	struct sm_qmp *q = NULL;
	struct sm_err e;
	pthread_t th;
	char *ret = NULL;
	double t0;

	fz_quiet();
	if (pthread_create(&th, NULL, serve, &p))
		fz_fail("pthread_create failed");
	t0 = sm_now();
	if (sm_qmp_open(path, QMP_TIMEOUT, &q, &e) < 0) {
		fz_check_err(&e, FZ(SM_EXIT_IO) | FZ(SM_EXIT_UNSUPPORTED),
			     "open");
		check_timeout(&e, t0, "open");
		goto out;
	}
	if (sm_qmp_query_sev_capabilities(q, &caps, &e) < 0) {
		fz_check_err(&e,
			     FZ(SM_EXIT_IO) | FZ(SM_EXIT_UNSUPPORTED) |
				     FZ(SM_EXIT_VERIFY),
			     "query-sev-capabilities");
		check_timeout(&e, t0, "query-sev-capabilities");
	} else if (caps.cpu0_id_len > sizeof(caps.cpu0_id)) {
		fz_fail("cpu0-id of %zu bytes", caps.cpu0_id_len);
	}
	if (sm_qmp_execute(q, "query-status", "{\"detail\": true}", &ret, &e) <
	    0) {
		fz_check_err(&e,
			     FZ(SM_EXIT_IO) | FZ(SM_EXIT_UNSUPPORTED) |
				     FZ(SM_EXIT_VM),
			     "execute");
		check_timeout(&e, t0, "execute");
	} else if (!ret) {
		fz_fail("execute succeeded without a result");
	}
	free(ret);
out:
	sm_qmp_close(q);
	if (pthread_join(th, NULL))
		fz_fail("pthread_join failed");
	fz_loud();
	return 0;
}
