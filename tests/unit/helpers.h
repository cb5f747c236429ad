/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the unit tests that talk to a scripted peer on
 * 127.0.0.1 or a unix socket (test-kds, test-qmp, test-fetch): temporary
 * directories, the AMD test certificates, and starting/stopping the
 * python stubs in tests/helpers/ through lib/transport.
 */
#ifndef SEVMIG_TEST_HELPERS_H
#define SEVMIG_TEST_HELPERS_H

#include <ftw.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/transport.h"
#include "base/util.h"

static inline int rm_one(const char *p, const struct stat *st, int flag,
			 struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* rm -rf dir */
static inline void th_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory under $TMPDIR or /tmp, into buf (at least 64). */
static inline int th_mkdtemp(char *buf, size_t len)
{
	const char *t = getenv("TMPDIR");

	snprintf(buf, len, "%s/sevmig-test-XXXXXX", t && t[0] ? t : "/tmp");
	return mkdtemp(buf) ? 0 : -1;
}

/* $SEVMIG_ROOT (run-tests.sh exports it), else the current directory. */
static inline const char *th_root(void)
{
	const char *r = getenv("SEVMIG_ROOT");

	return r && r[0] ? r : ".";
}

/* A file under $SEVMIG_AMD_CERTS, or NULL when the test data is absent. */
static inline const char *th_amd(const char *rel, char *buf, size_t len)
{
	const char *a = getenv("SEVMIG_AMD_CERTS");

	if (!a || !a[0])
		a = "../shared/testdata/amd-certs";
	snprintf(buf, len, "%s/%s", a, rel);
	return access(buf, R_OK) == 0 ? buf : NULL;
}

/* Wait up to 10 s for path to exist. */
static inline int th_wait_path(const char *path)
{
	for (int i = 0; i < 1000; i++) {
		if (access(path, F_OK) == 0)
			return 0;
		usleep(10000);
	}
	return -1;
}

/*
 * Start tests/helpers/kds-stub.py serving cek (may be NULL) with script;
 * the request log goes to dir/kds.log.  *port gets its port.
 */
static inline struct sm_child *th_kds_start(const char *dir, const char *cek,
					    const char *script, int *port)
{
	char prog[4096], pf[4096], log[4096];
	const char *argv[12];
	struct sm_child *c;
	struct sm_err e;
	uint8_t *buf;
	size_t n = 0, len;

	snprintf(prog, sizeof(prog), "%s/tests/helpers/kds-stub.py", th_root());
	snprintf(pf, sizeof(pf), "%s/kds.port", dir);
	snprintf(log, sizeof(log), "%s/kds.log", dir);
	unlink(pf);
	unlink(log);
	argv[n++] = "python3";
	argv[n++] = prog;
	argv[n++] = "--port-file";
	argv[n++] = pf;
	argv[n++] = "--log";
	argv[n++] = log;
	argv[n++] = "--script";
	argv[n++] = script;
	if (cek) {
		argv[n++] = "--cek";
		argv[n++] = cek;
	}
	argv[n] = NULL;
	if (sm_child_spawn(argv, SM_CHILD_NULL_STDIN, &c, &e) < 0) {
		fprintf(stderr, "kds stub: %s\n", e.msg);
		return NULL;
	}
	if (th_wait_path(pf) < 0 || sm_read_file(pf, 64, &buf, &len, &e) < 0) {
		sm_child_free(c);
		return NULL;
	}
	*port = atoi((char *)buf);
	free(buf);
	return c;
}

/* The number of lines in dir/kds.log (requests the stub saw). */
static inline int th_kds_requests(const char *dir, char *first, size_t len)
{
	char path[4096], line[1024];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/kds.log", dir);
	if (first && len)
		first[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!n && first) {
			size_t k = strcspn(line, "\n");

			if (k >= len)
				k = len - 1;
			memcpy(first, line, k);
			first[k] = '\0';
		}
		n++;
	}
	fclose(f);
	return n;
}

/* A TCP port on 127.0.0.1 that nothing listens on (bound, then closed). */
static inline int th_dead_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

#endif
