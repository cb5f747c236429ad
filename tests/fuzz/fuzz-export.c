// SPDX-License-Identifier: MIT
/*
 * fuzz-export: a hostile or broken source VMM, as the export engine
 * (lib/engine/export.c, sevmig-export) sees it.  The replies are the input's
 * frames, served by a scripted VMM on a unix socket (fz_peer_serve in
 * fuzz-common.h); bit 6 of the first frame's ctl byte asks for a dry
 * run, bit 5 for --method mh (the guest's migration helpers; else psp:
 * auto would open a second connection the scripted VMM does not serve).  The target's chain is a simulated host made once at start-up (a
 * verified bundle, so every run reaches the VMM), and the archive goes to
 * a file in a private temporary directory.
 *
 * Past the checks of hello and the shared regions, a real export needs a
 * real context: the scripted VMM hands over copies of /dev/null, so every
 * full run fails at the firmware and unwinds (return-context, resume),
 * which is the point: the error paths see hostile replies too.
 *
 * On a host with /dev/sev the harness does nothing (see
 * LLVMFuzzerInitialize).
 *
 * Checks: failures have a message and a VM, transport, verification or
 * unsupported class; the report encodes; no descriptor is left open; and
 * no file is left next to the archive path (a failed export removes its
 * partial archive).
 */
#include "fuzz-common.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "engine/export.h"
#include "fw/fw-sim.h"
#include "archive/manifest.h"
#include "base/util.h"

#define EP_TIMEOUT 5.0
#define EXPORT_ERRS                                             \
	(FZ(SM_EXIT_IO) | FZ(SM_EXIT_VM) | FZ(SM_EXIT_VERIFY) | \
	 FZ(SM_EXIT_UNSUPPORTED))

static char dir[] = "/tmp/sevmig-fuzz-export.XXXXXX";
static char host[sizeof(dir) + 8], ark[sizeof(dir) + 24];
static char sock[sizeof(dir) + 16], out[sizeof(dir) + 16];
static int lfd = -1, devnull = -1, skip;
static struct sm_export_result res;

static void cleanup(void)
{
	char cmd[sizeof(dir) + 16];

	if (lfd >= 0)
		close(lfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		dprintf(2, "fuzz: cannot remove '%s'\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sm_sim_platform_opts po;
	struct sm_err e;

	(void)argc;
	(void)argv;
	fz_log_init();
	/*
	 * A reply naming platform "kvm" sends the engine to /dev/kvm and
	 * /dev/sev (with /dev/null as the VM fd, so the move fails, but only
	 * after it made a VM).  Not on a real SEV host.
	 */
	if (access("/dev/sev", F_OK) == 0) {
		dprintf(2,
			"fuzz-export: /dev/sev exists: not fuzzing a real SEV host\n");
		skip = 1;
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || !mkdtemp(dir))
		fz_fail("setup: %s", strerror(errno));
	atexit(cleanup);
	snprintf(host, sizeof(host), "%s/host", dir);
	snprintf(ark, sizeof(ark), "%s/host/ark.cert", dir);
	snprintf(sock, sizeof(sock), "%s/vm.sock", dir);
	snprintf(out, sizeof(out), "%s/out/a.sevmig", dir);
	memset(&po, 0, sizeof(po));
	po.product = SM_PRODUCT_NAPLES; /* RSA-2048: a quick start */
	if (sm_fw_sim_platform_init(host, &po, &e) < 0)
		fz_fail("platform init: %s", e.msg);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 4) < 0)
		fz_fail("endpoint socket '%s': %s", sock, strerror(errno));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/out", dir);
	if (mkdir(sa.sun_path, 0700) < 0)
		fz_fail("mkdir: %s", strerror(errno));
	return 0;
}

/* The archive directory must be empty again after a failed export. */
static void check_no_leftover(void)
{
	char path[sizeof(dir) + 16];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/out", dir);
	d = opendir(path);
	if (!d)
		fz_fail("cannot list '%s': %s", path, strerror(errno));
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' ||
		    (de->d_name[1] && strcmp(de->d_name, "..")))
			fz_fail("a failed export left '%s'", de->d_name);
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_peer p = { lfd, devnull, EP_TIMEOUT, data, size };
	struct sm_export_opts o;
	struct sm_err e, e2;
	pthread_t th;
	char *json = NULL;
	int rc, fds0;

	if (skip)
		return 0;
	fz_quiet();
	fds0 = fz_count_fds();
	memset(&o, 0, sizeof(o));
	o.vm = sock;
	o.certs = host;
	o.ark = ark;
	o.output = out;
	o.dry_run = size && (data[0] & 0x40);
	o.method = size && (data[0] & 0x20) ? SM_EXPORT_MH : SM_EXPORT_PSP;
	o.timeout = EP_TIMEOUT;
	o.sig_fd = -1;
	if (pthread_create(&th, NULL, fz_peer_serve, &p))
		fz_fail("pthread_create failed");
	rc = sm_export(&o, &res, &e);
	if (pthread_join(th, NULL))
		fz_fail("pthread_join failed");
	if (rc < 0) {
		fz_check_err(&e, EXPORT_ERRS, "export");
		if (res.state == SM_EXP_DONE)
			fz_fail("failed in state done: %s", e.msg);
	}
	if (sm_report_encode(&res.report, &json, NULL, &e2) < 0)
		fz_fail("report: %s (for '%s')", e2.msg,
			res.report.error ? res.report.error : "ok");
	free(json);
	if (rc == 0 && !o.dry_run)
		unlink(out); /* cannot happen without a real context */
	check_no_leftover();
	if (fz_count_fds() != fds0)
		fz_fail("%d descriptors leaked", fz_count_fds() - fds0);
	fz_loud();
	return 0;
}
