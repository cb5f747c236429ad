// SPDX-License-Identifier: MIT
/*
 * ep-client: a small raw VM endpoint client for tests.  It runs a list of
 * commands against one or more sockets, in order, on a persistent
 * connection, and keeps a taken context fd across them:
 *
 *   connect SOCK         open another connection (the first is to the
 *                        first argument) and make it the current one;
 *                        earlier ones stay open
 *   use N                make connection N (0, 1, ... in opening order)
 *                        the current one
 *   close                disconnect the current one (a held context fd
 *                        stays open)
 *   op NAME [JSON]       send {"version":1,"op":NAME,...JSON's keys},
 *                        print the reply line; never fails on "ok":false
 *   opfd NAME N [JSON]   the same with N descriptors of /dev/null attached
 *   frame TEXT           send TEXT as one message body, print the reply
 *   rawhex HEX           send raw bytes, print the reply (if any, 2 s)
 *   hello                claim the VM: print the hello reply fields, keep
 *                        the memory fds
 *   peek                 hello without a claim (no memory fds)
 *   flags                the last hello's optional fields:
 *                        "ram_zeroed=N mh_helpers=N" (and, for an
 *                        SNP guest, " svsm_mailboxes=N
 *                        svsm_state_records=N")
 *   dump FILE            write the first memory fd's whole content to FILE
 *   fill FILE            write FILE into the first memory fd from offset 0
 *   poke OFFSET          flip the lowest bit of one byte of the memory fd
 *   pause | resume | resume-force | release | quit | status
 *   holds                print the VMM state, claim and hold
 *   commit | discard | stream-written | target-ready
 *   take-context         take the context and hold its fd
 *   return-context       give the held fd back
 *   return-doubt REASON  give it back, the guest left in doubt
 *   return-other         return a descriptor that is not the context
 *   adopt-context        hand the held fd to the (incoming) VMM
 *   adopt-pending        the same, uncommitted (as a two-way import)
 *   shared-regions FILE  write "GPA SIZE" lines (hex, decimal) to FILE
 *   set-shared-regions FILE
 *   device-state FILE    stream the device state into FILE
 *   device-state-drop N  ask for the device state, read N bytes of it
 *                        and close the pipe (a client giving up)
 *   load-device-state FILE [N]
 *                        send FILE (only N bytes, but announce its size)
 *   send-start           attach the held context (platform from hello)
 *                        and run SEND_START to this platform's own PDH:
 *                        the guest goes to SUPDATE, as mid-export
 *   send-finish          SEND_FINISH on it (after send-start): SENT, as
 *                        an export that committed
 *   sleep SEC | die      wait, or SIGKILL ourselves
 *
 * API commands print "ok" (or their result) and stop the run at the first
 * failure with the sevmig exit code and "ep-client: message" on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs/cert.h"
#include "endpoint/endpoint.h"
#include "base/err.h"
#include "fw/fw-sim.h"
#include "fw/fw.h"
#include "fw/sevcrypto.h"
#include "base/log.h"
#include "base/util.h"

#define MAX_CONN 8

struct st {
	struct sm_ep *ep;
	struct sm_ep *conns[MAX_CONN];
	int nconns;
	double timeout;
	int ctx_fd;
	int mem_fd;
	char platform_dir[PATH_MAX];
	struct sm_fw *fw;
};

static int die_err(const struct sm_err *e)
{
	fprintf(stderr, "ep-client: %s\n", e->msg);
	return e->code ? (int)e->code : 1;
}

static int need(int argc, int i, int n, const char *cmd)
{
	if (i + n >= argc) {
		fprintf(stderr, "ep-client: '%s' needs %d argument(s)\n", cmd,
			n);
		exit(2);
	}
	return 0;
}

static int print_reply(struct st *s, const char *req, const int *fds, int nfds,
		       struct sm_err *e)
{
	int rfds[SM_EP_MAX_FDS], n = 0;
	char *rep;

	if (sm_ep_call_raw(s->ep, req, fds, nfds, &rep, rfds, &n, e))
		return -1;
	printf("%s\n", rep);
	if (n)
		printf("fds: %d\n", n);
	free(rep);
	while (n > 0)
		close(rfds[--n]);
	return 0;
}

static char *make_req(const char *op, const char *json)
{
	char *req;
	size_t n;

	/* {"version":1,"op":"NAME"} plus the keys of json, textually. */
	n = strlen(op) + (json ? strlen(json) : 0) + 64;
	req = malloc(n);
	if (!req)
		exit(1);
	if (json && strlen(json) > 2)
		snprintf(req, n, "{\"version\":1,\"op\":\"%s\",%s", op,
			 json + 1);
	else
		snprintf(req, n, "{\"version\":1,\"op\":\"%s\"}", op);
	return req;
}

static int dump(struct st *s, const char *path, struct sm_err *e)
{
	struct stat stt;
	uint8_t *buf;
	off_t off;
	int fd;

	if (s->mem_fd < 0)
		return sm_err_set(e, SM_EXIT_USAGE, "dump needs hello first");
	if (fstat(s->mem_fd, &stt) < 0)
		return sm_err_errno(e, SM_EXIT_IO, errno, "fstat");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	buf = malloc(1 << 20);
	if (fd < 0 || !buf)
		return sm_err_errno(e, SM_EXIT_IO, errno, "open '%s'", path);
	for (off = 0; off < stt.st_size; off += 1 << 20) {
		ssize_t n = pread(s->mem_fd, buf, 1 << 20, off);

		if (n <= 0 || sm_write_full(fd, buf, (size_t)n) < 0)
			return sm_err_errno(e, SM_EXIT_IO, errno, "dump");
	}
	free(buf);
	close(fd);
	printf("dumped %lld bytes\n", (long long)stt.st_size);
	return 0;
}

static int fill(struct st *s, const char *path, struct sm_err *e)
{
	uint8_t *buf = malloc(1 << 20);
	off_t off = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (s->mem_fd < 0)
		return sm_err_set(e, SM_EXIT_USAGE, "fill needs hello first");
	if (fd < 0 || !buf)
		return sm_err_errno(e, SM_EXIT_IO, errno, "open '%s'", path);
	while ((n = sm_read_full(fd, buf, 1 << 20)) > 0) {
		if (pwrite(s->mem_fd, buf, (size_t)n, off) != n)
			return sm_err_errno(e, SM_EXIT_IO, errno, "fill");
		off += n;
	}
	free(buf);
	close(fd);
	printf("filled %lld bytes\n", (long long)off);
	return 0;
}

static int poke(struct st *s, const char *where, struct sm_err *e)
{
	uint64_t off;
	uint8_t b;

	if (s->mem_fd < 0)
		return sm_err_set(e, SM_EXIT_USAGE, "poke needs hello first");
	if (sm_parse_uint(where, INT64_MAX, &off) ||
	    pread(s->mem_fd, &b, 1, (off_t)off) != 1)
		return sm_err_set(e, SM_EXIT_USAGE, "bad offset '%s'", where);
	b ^= 1;
	if (pwrite(s->mem_fd, &b, 1, (off_t)off) != 1)
		return sm_err_errno(e, SM_EXIT_IO, errno, "poke");
	printf("poked 0x%" PRIx64 "\n", off);
	return 0;
}

/*
 * SEND_START on the held context, to this platform's own PDH: enough for
 * a policy without the SEV and DOMAIN bits, which is all a test needs to
 * leave the guest in SUPDATE.
 */
static int send_start(struct st *s, struct sm_err *e)
{
	static uint8_t pdh[SM_SEV_CERT_LEN], chain[SM_SEV_CHAIN_LEN];
	uint8_t session[SM_SESSION_LEN], dummy = 0;
	struct sm_fw_send_start a = { 0 };

	if (s->ctx_fd < 0 || !s->platform_dir[0])
		return sm_err_set(e, SM_EXIT_USAGE,
				  "send-start needs hello and take-context");
	if (!s->fw && (sm_fw_sim_open(s->platform_dir, &s->fw, e) ||
		       sm_fw_sim_attach(s->fw, s->ctx_fd, e)))
		return -1;
	if (sm_fw_pdh_cert_export(s->fw, pdh, chain, e))
		return -1;
	a.pdh = pdh;
	a.pdh_len = sizeof(pdh);
	a.plat_certs = chain;
	a.plat_certs_len = sizeof(chain);
	a.amd_certs = &dummy;
	a.amd_certs_len = 1;
	a.session = session;
	a.session_len = sizeof(session);
	return sm_fw_send_start(s->fw, &a, e);
}

/* The optional hello fields of the last hello or peek (flags). */
static int last_flags[4];

static int do_hello(struct st *s, int claim, struct sm_err *e)
{
	struct sm_ep_hello *h = calloc(1, sizeof(*h));
	size_t i;
	int k;

	if (!h ||
	    (claim ? sm_ep_claim(s->ep, h, e) : sm_ep_hello(s->ep, h, e))) {
		free(h);
		return -1;
	}
	printf("version=%d platform=%s role=%s state=%s vcpus=%u es=%d "
	       "policy=0x%" PRIx32 " migration_ready=%d mem_size=%" PRIu64
	       " ranges=%zu fds=%d\n",
	       h->version, h->platform, h->role, h->state, h->vcpus, h->es,
	       h->policy, h->migration_ready, h->mem_size, h->nranges, h->nfds);
	printf("platform_dir=%s\n", h->platform_dir);
	last_flags[0] = h->ram_zeroed;
	last_flags[1] = (int)h->mh_helpers;
	last_flags[2] = (int)h->svsm_mailboxes;
	last_flags[3] = (int)h->svsm_state_records;
	for (i = 0; i < h->nranges; i++)
		printf("range gpa=0x%" PRIx64 " size=0x%" PRIx64
		       " fd=%d offset=0x%" PRIx64 "\n",
		       h->ranges[i].gpa, h->ranges[i].size,
		       h->ranges[i].fd_index, h->ranges[i].offset);
	if (h->nfds && s->mem_fd >= 0)
		close(s->mem_fd);
	if (h->nfds)
		s->mem_fd = h->fds[0];
	memcpy(s->platform_dir, h->platform_dir, sizeof(s->platform_dir));
	for (k = 1; k < h->nfds; k++)
		close(h->fds[k]);
	free(h);
	return 0;
}

static int do_shared(struct st *s, const char *path, struct sm_err *e)
{
	struct sm_ep_region *r;
	uint64_t pages = 0;
	size_t n, i;
	FILE *f;

	if (sm_ep_shared_regions(s->ep, &r, &n, e))
		return -1;
	f = fopen(path, "w");
	if (!f)
		return sm_err_errno(e, SM_EXIT_IO, errno, "open '%s'", path);
	for (i = 0; i < n; i++) {
		fprintf(f, "0x%" PRIx64 " %" PRIu64 "\n", r[i].gpa, r[i].size);
		pages += r[i].size / 4096;
	}
	fclose(f);
	printf("regions=%zu pages=%" PRIu64 "\n", n, pages);
	free(r);
	return 0;
}

static int do_set_shared(struct st *s, const char *path, struct sm_err *e)
{
	struct sm_ep_region *r = NULL;
	size_t n = 0, cap = 0;
	char line[128];
	FILE *f = fopen(path, "r");
	int rc;

	if (!f)
		return sm_err_errno(e, SM_EXIT_IO, errno, "open '%s'", path);
	while (fgets(line, sizeof(line), f)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			r = realloc(r, cap * sizeof(*r));
			if (!r)
				exit(1);
		}
		if (sscanf(line, "%" SCNx64 " %" SCNu64, &r[n].gpa,
			   &r[n].size) == 2)
			n++;
	}
	fclose(f);
	rc = sm_ep_set_shared_regions(s->ep, r, n, e);
	free(r);
	if (!rc)
		printf("ok\n");
	return rc;
}

static int do_device_state(struct st *s, const char *path, struct sm_err *e)
{
	uint8_t buf[65536];
	uint64_t size, got = 0;
	int fd, out;

	if (sm_ep_device_state(s->ep, &fd, &size, e))
		return -1;
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out < 0)
		return sm_err_errno(e, SM_EXIT_IO, errno, "open '%s'", path);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (sm_write_full(out, buf, (size_t)n) < 0)
			return sm_err_errno(e, SM_EXIT_IO, errno, "write");
		got += (uint64_t)n;
	}
	close(fd);
	close(out);
	printf("size=%" PRIu64 " received=%" PRIu64 "\n", size, got);
	if (got != size)
		return sm_err_set(e, SM_EXIT_IO, "device state short");
	return 0;
}

static int do_device_state_drop(struct st *s, const char *count,
				struct sm_err *e)
{
	uint8_t buf[4096];
	uint64_t size, want, got = 0;
	int fd;

	if (sm_parse_uint(count, UINT64_MAX, &want))
		return sm_err_set(e, SM_EXIT_USAGE, "bad count");
	if (sm_ep_device_state(s->ep, &fd, &size, e))
		return -1;
	while (got < want) {
		ssize_t n = read(fd, buf,
				 want - got < sizeof(buf) ? want - got :
							    sizeof(buf));

		if (n <= 0)
			break;
		got += (uint64_t)n;
	}
	close(fd);
	printf("size=%" PRIu64 " dropped after %" PRIu64 "\n", size, got);
	return 0;
}

static int do_load(struct st *s, const char *path, const char *limit,
		   struct sm_err *e)
{
	uint8_t buf[65536];
	struct stat stt;
	uint64_t left;
	int in = open(path, O_RDONLY), fd;

	if (in < 0 || fstat(in, &stt) < 0)
		return sm_err_errno(e, SM_EXIT_IO, errno, "open '%s'", path);
	left = (uint64_t)stt.st_size;
	if (limit && sm_parse_uint(limit, UINT64_MAX, &left))
		return sm_err_set(e, SM_EXIT_USAGE, "bad count");
	if (sm_ep_load_device_state(s->ep, (uint64_t)stt.st_size, &fd, e))
		return -1;
	while (left) {
		ssize_t n =
			read(in, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (n <= 0)
			break;
		if (sm_write_full(fd, buf, (size_t)n) < 0)
			break; /* the VMM gave up: its verdict says why */
		left -= (uint64_t)n;
	}
	close(fd);
	close(in);
	if (sm_ep_load_device_state_done(s->ep, e))
		return -1;
	printf("ok\n");
	return 0;
}

static int do_rawhex(struct st *s, const char *hex, struct sm_err *e)
{
	uint8_t buf[4096];
	ssize_t n = sm_hex_decode(hex, buf, sizeof(buf));
	int fds[SM_EP_MAX_FDS], nfds = 0;
	char *rep;

	if (n < 0)
		return sm_err_set(e, SM_EXIT_USAGE, "bad hex");
	if (sm_write_full(sm_ep_socket(s->ep), buf, (size_t)n) < 0)
		return sm_err_errno(e, SM_EXIT_IO, errno, "send");
	if (sm_ep_recv_raw(s->ep, &rep, fds, &nfds, e))
		return -1;
	printf("%s\n", rep);
	free(rep);
	return 0;
}

static int run_cmd(struct st *s, int argc, char **argv, int *i,
		   struct sm_err *e)
{
	const char *c = argv[*i];
	int rc = 0;

	if (!strcmp(c, "connect")) {
		need(argc, *i, 1, c);
		if (s->nconns == MAX_CONN)
			return sm_err_set(e, SM_EXIT_USAGE,
					  "too many connections");
		rc = sm_ep_connect(argv[++*i], s->timeout, &s->ep, e);
		s->conns[s->nconns++] = rc ? NULL : s->ep;
		return rc;
	}
	if (!strcmp(c, "use")) {
		int n;

		need(argc, *i, 1, c);
		n = atoi(argv[++*i]);
		if (n < 0 || n >= s->nconns || !s->conns[n])
			return sm_err_set(e, SM_EXIT_USAGE, "no connection %d",
					  n);
		s->ep = s->conns[n];
		return 0;
	}
	if (!strcmp(c, "sleep")) {
		need(argc, *i, 1, c);
		fflush(stdout);
		usleep((useconds_t)(atof(argv[++*i]) * 1e6));
		return 0;
	}
	if (!strcmp(c, "die")) {
		fflush(stdout);
		kill(getpid(), SIGKILL);
		return 0;
	}
	if (!s->ep)
		return sm_err_set(e, SM_EXIT_USAGE, "not connected");
	if (!strcmp(c, "close")) {
		int k;

		for (k = 0; k < s->nconns; k++)
			if (s->conns[k] == s->ep)
				s->conns[k] = NULL;
		sm_ep_close(s->ep);
		s->ep = NULL;
	} else if (!strcmp(c, "op") || !strcmp(c, "opfd")) {
		int fds[SM_EP_MAX_FDS], nfds = 0, k;
		const char *name, *json = NULL;
		char *req;

		need(argc, *i, 1, c);
		name = argv[++*i];
		if (!strcmp(c, "opfd")) {
			need(argc, *i, 1, c);
			nfds = atoi(argv[++*i]);
			if (nfds < 0 || nfds > SM_EP_MAX_FDS)
				return sm_err_set(e, SM_EXIT_USAGE, "bad N");
			for (k = 0; k < nfds; k++)
				fds[k] = open("/dev/null", O_RDONLY);
		}
		if (*i + 1 < argc && argv[*i + 1][0] == '{')
			json = argv[++*i];
		req = make_req(name, json);
		rc = print_reply(s, req, fds, nfds, e);
		free(req);
		for (k = 0; k < nfds; k++)
			close(fds[k]);
	} else if (!strcmp(c, "frame")) {
		need(argc, *i, 1, c);
		rc = print_reply(s, argv[++*i], NULL, 0, e);
	} else if (!strcmp(c, "rawhex")) {
		need(argc, *i, 1, c);
		rc = do_rawhex(s, argv[++*i], e);
	} else if (!strcmp(c, "hello")) {
		rc = do_hello(s, 1, e);
	} else if (!strcmp(c, "peek")) {
		rc = do_hello(s, 0, e);
	} else if (!strcmp(c, "flags")) {
		printf("ram_zeroed=%d mh_helpers=%d", last_flags[0],
		       last_flags[1]);
		if (last_flags[2])
			printf(" svsm_mailboxes=%d svsm_state_records=%d",
			       last_flags[2], last_flags[3]);
		putchar('\n');
		return 0;
	} else if (!strcmp(c, "dump")) {
		need(argc, *i, 1, c);
		rc = dump(s, argv[++*i], e);
	} else if (!strcmp(c, "fill")) {
		need(argc, *i, 1, c);
		rc = fill(s, argv[++*i], e);
	} else if (!strcmp(c, "poke")) {
		need(argc, *i, 1, c);
		rc = poke(s, argv[++*i], e);
	} else if (!strcmp(c, "pause")) {
		rc = sm_ep_pause(s->ep, e);
	} else if (!strcmp(c, "resume")) {
		rc = sm_ep_resume(s->ep, e);
	} else if (!strcmp(c, "resume-force")) {
		rc = sm_ep_resume_forced(s->ep, e);
	} else if (!strcmp(c, "commit")) {
		rc = sm_ep_commit(s->ep, e);
	} else if (!strcmp(c, "discard")) {
		rc = sm_ep_discard(s->ep, e);
	} else if (!strcmp(c, "stream-written")) {
		rc = sm_ep_stream_written(s->ep, e);
	} else if (!strcmp(c, "target-ready")) {
		rc = sm_ep_target_ready(s->ep, e);
	} else if (!strcmp(c, "release")) {
		rc = sm_ep_release(s->ep, e);
	} else if (!strcmp(c, "quit")) {
		rc = sm_ep_quit(s->ep, e);
	} else if (!strcmp(c, "status")) {
		struct sm_ep_status st;

		rc = sm_ep_status(s->ep, &st, e);
		if (!rc)
			printf("vmm_state=%s guest_state=%s role=%s held=%d "
			       "policy=0x%" PRIx32 " handle=%" PRIu32 "\n",
			       st.vmm_state, st.guest_state, st.role,
			       st.context_held, st.policy, st.handle);
		return rc;
	} else if (!strcmp(c, "holds")) {
		struct sm_ep_status st;

		rc = sm_ep_status(s->ep, &st, e);
		if (!rc)
			printf("vmm_state=%s claimed=%d hold=%s\n",
			       st.vmm_state, st.claimed,
			       st.hold[0] ? st.hold : "-");
		return rc;
	} else if (!strcmp(c, "send-start")) {
		rc = send_start(s, e);
	} else if (!strcmp(c, "send-finish")) {
		if (!s->fw)
			return sm_err_set(e, SM_EXIT_USAGE,
					  "send-finish needs send-start");
		rc = sm_fw_send_finish(s->fw, e);
	} else if (!strcmp(c, "take-context")) {
		if (s->ctx_fd >= 0)
			close(s->ctx_fd);
		s->ctx_fd = -1;
		rc = sm_ep_take_context(s->ep, &s->ctx_fd, e);
	} else if (!strcmp(c, "return-context")) {
		rc = sm_ep_return_context(s->ep, s->ctx_fd, e);
	} else if (!strcmp(c, "return-doubt")) {
		need(argc, *i, 1, c);
		rc = sm_ep_return_context_in_doubt(s->ep, s->ctx_fd, argv[++*i],
						   e);
	} else if (!strcmp(c, "return-other")) {
		int fd = memfd_create("other", MFD_CLOEXEC);

		rc = sm_ep_return_context(s->ep, fd, e);
		close(fd);
	} else if (!strcmp(c, "adopt-context")) {
		rc = sm_ep_adopt_context(s->ep, s->ctx_fd, 0, e);
	} else if (!strcmp(c, "adopt-pending")) {
		rc = sm_ep_adopt_context(s->ep, s->ctx_fd, 1, e);
	} else if (!strcmp(c, "shared-regions")) {
		need(argc, *i, 1, c);
		return do_shared(s, argv[++*i], e);
	} else if (!strcmp(c, "set-shared-regions")) {
		need(argc, *i, 1, c);
		return do_set_shared(s, argv[++*i], e);
	} else if (!strcmp(c, "device-state")) {
		need(argc, *i, 1, c);
		return do_device_state(s, argv[++*i], e);
	} else if (!strcmp(c, "device-state-drop")) {
		need(argc, *i, 1, c);
		return do_device_state_drop(s, argv[++*i], e);
	} else if (!strcmp(c, "load-device-state")) {
		const char *lim = NULL;

		need(argc, *i, 1, c);
		++*i;
		if (*i + 1 < argc && argv[*i + 1][0] >= '0' &&
		    argv[*i + 1][0] <= '9')
			lim = argv[*i + 1];
		rc = do_load(s, argv[*i], lim, e);
		if (lim)
			++*i;
		return rc;
	} else {
		fprintf(stderr, "ep-client: unknown command '%s'\n", c);
		exit(2);
	}
	if (!rc && strcmp(c, "op") && strcmp(c, "opfd") && strcmp(c, "frame") &&
	    strcmp(c, "rawhex") && strcmp(c, "hello") && strcmp(c, "peek") &&
	    strcmp(c, "dump") && strcmp(c, "fill") && strcmp(c, "poke") &&
	    strcmp(c, "close"))
		printf("ok\n");
	return rc;
}

int main(int argc, char **argv)
{
	struct st s = { .ctx_fd = -1, .mem_fd = -1, .timeout = 10 };
	struct sm_err e = { 0 };
	int i = 2, rc = 0;

	signal(SIGPIPE, SIG_IGN);
	sm_progname = "ep-client";
	sm_log_level = getenv("EP_CLIENT_DEBUG") ? SM_LOG_DEBUG : SM_LOG_WARN;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "--timeout")) {
		s.timeout = atof(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc < 2) {
		fprintf(stderr,
			"usage: ep-client [--timeout SEC] SOCKET COMMAND...\n");
		return 2;
	}
	if (sm_ep_connect(argv[1], s.timeout, &s.ep, &e))
		return die_err(&e);
	s.conns[s.nconns++] = s.ep;
	for (; i < argc; i++)
		if (run_cmd(&s, argc, argv, &i, &e)) {
			rc = die_err(&e);
			break;
		}
	for (i = 0; i < s.nconns; i++)
		sm_ep_close(s.conns[i]);
	sm_fw_close(s.fw);
	return rc;
}
