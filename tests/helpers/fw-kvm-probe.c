// SPDX-License-Identifier: MIT
/*
 * fw-kvm-probe: try one step of the real KVM backend on this host and
 * print exactly what happened, for tests/bats/90-hw-kvm.bats and for
 * people debugging a host.  Test helper only (not installed).
 *
 *   fw-kvm-probe [--kvm PATH] [--sev PATH] STEP
 *
 * STEP is one of
 *   caps             what KVM offers (API, move capability, VM types, SEV)
 *   guest-status     KVM_SEV_GUEST_STATUS on a plain VM of this process
 *   send-start-query KVM_SEV_SEND_START length query on a plain VM
 *   launch-measure-query KVM_SEV_LAUNCH_MEASURE length query on a plain VM
 *   launch-start     KVM_SEV_LAUNCH_START (no owner session) on a plain VM
 *   foreign-vm       KVM_SEV_GUEST_STATUS on a VM another process created
 *   move             move the context of one plain VM into another
 *   open-source      sm_fw_kvm_open_source with a plain VM as the source
 *   open-receive     sm_fw_kvm_open_receive
 *   open-launch      sm_fw_kvm_open_launch, then LAUNCH_START
 *   platform-status  PLATFORM_STATUS through /dev/sev
 *   pdh-export       PDH_CERT_EXPORT through /dev/sev
 *   all              every step above, one line each, exit 0
 * A failing step prints "fw-kvm-probe: MESSAGE" on stderr and exits with
 * the message's class (5 VM or firmware, 6 unsupported, ...).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "base/err.h"
#include "fw/fw-kvm.h"
#include "fw/fw.h"

static const char *kvm_dev = SM_KVM_DEV;
static const char *sev_dev = SM_SEV_DEV;

/* A plain (non-SEV) VM of this process; -1 with e filled on failure. */
static int plain_vm(int *kvm_fd, struct sm_err *e)
{
	int vm;

	*kvm_fd = open(kvm_dev, O_RDWR | O_CLOEXEC);
	if (*kvm_fd < 0)
		return sm_err_errno(e, SM_EXIT_UNSUPPORTED, errno,
				    "cannot open KVM device '%s'", kvm_dev);
	vm = ioctl(*kvm_fd, KVM_CREATE_VM, 0);
	if (vm < 0) {
		sm_err_errno(e, SM_EXIT_VM, errno, "KVM_CREATE_VM failed");
		close(*kvm_fd);
		return -1;
	}
	return vm;
}

static int step_caps(struct sm_err *e)
{
	struct sm_fw_kvm_caps c;

	if (sm_fw_kvm_probe(kvm_dev, NULL, &c, e))
		return -1;
	printf("api-version %d\n", c.api_version);
	printf("move-enc-context-cap %s\n",
	       c.move_cap ? "supported" : "not supported");
	printf("vm-types %#x\n", (unsigned)c.vm_types);
	if (c.sev)
		printf("sev-in-kvm yes\n");
	else
		printf("sev-in-kvm no (KVM_MEMORY_ENCRYPT_OP: %s)\n",
		       strerror(c.sev_errno));
	return 0;
}

/* Run op on a backend attached to a plain VM of this process. */
enum plain_op { P_GUEST_STATUS, P_SEND_QUERY, P_MEASURE_QUERY, P_LAUNCH };

static int on_plain_vm(enum plain_op op, struct sm_err *e)
{
	struct sm_fw_guest_status st;
	struct sm_fw_send_start a = { 0 };
	struct sm_fw_launch_start ls = { .policy = 0x1 };
	uint32_t len = 0;
	struct sm_fw_kvm_opts o = { .sev_dev = sev_dev };
	struct sm_fw *fw;
	int kvm, vm, rc;

	vm = plain_vm(&kvm, e);
	if (vm < 0)
		return -1;
	rc = sm_fw_kvm_attach(vm, &o, &fw, e);
	close(vm);
	close(kvm);
	if (rc)
		return -1;
	switch (op) {
	case P_SEND_QUERY:
		rc = fw->ops->send_start(fw, &a, e);
		break;
	case P_MEASURE_QUERY:
		rc = sm_fw_launch_measure(fw, NULL, &len, e);
		break;
	case P_LAUNCH:
		rc = sm_fw_launch_start(fw, &ls, e);
		break;
	default:
		rc = fw->ops->guest_status(fw, &st, e);
		break;
	}
	if (!rc)
		printf("ok\n");
	sm_fw_close(fw);
	return rc;
}

/*
 * The same-mm rule: a forked child holds the VM fd but has its own mm,
 * so every VM ioctl it makes fails with EIO (reference section 4.1).
 */
static int step_foreign_vm(struct sm_err *e)
{
	struct sm_fw_guest_status st;
	struct sm_fw_kvm_opts o = { .sev_dev = sev_dev };
	int kvm, vm, p[2], status;
	struct sm_fw *fw;
	struct sm_err ce;
	ssize_t n;
	pid_t pid;

	vm = plain_vm(&kvm, e);
	if (vm < 0)
		return -1;
	if (pipe(p))
		return sm_err_errno(e, SM_EXIT_FAILURE, errno, "pipe");
	pid = fork();
	if (pid < 0)
		return sm_err_errno(e, SM_EXIT_FAILURE, errno, "fork");
	if (pid == 0) {
		close(p[0]);
		memset(&ce, 0, sizeof(ce));
		if (!sm_fw_kvm_attach(vm, &o, &fw, &ce)) {
			if (!fw->ops->guest_status(fw, &st, &ce))
				ce.code = SM_EXIT_OK;
			sm_fw_close(fw);
		}
		n = write(p[1], &ce, sizeof(ce));
		_exit(n == (ssize_t)sizeof(ce) ? 0 : 1);
	}
	close(p[1]);
	n = read(p[0], &ce, sizeof(ce));
	close(p[0]);
	waitpid(pid, &status, 0);
	close(vm);
	close(kvm);
	if (n != (ssize_t)sizeof(ce))
		return sm_err_set(e, SM_EXIT_FAILURE, "child reported nothing");
	if (ce.code == SM_EXIT_OK) {
		printf("ok\n");
		return 0;
	}
	*e = ce;
	return -1;
}

static int step_move(struct sm_err *e)
{
	int kvm1, kvm2, src, dst, rc;

	src = plain_vm(&kvm1, e);
	if (src < 0)
		return -1;
	dst = plain_vm(&kvm2, e);
	if (dst < 0) {
		close(src);
		close(kvm1);
		return -1;
	}
	rc = sm_fw_kvm_move_context(dst, src, e);
	if (!rc)
		printf("ok\n");
	close(dst);
	close(src);
	close(kvm2);
	close(kvm1);
	return rc;
}

static int step_open_source(struct sm_err *e)
{
	struct sm_fw_kvm_opts o = { .kvm_dev = kvm_dev, .sev_dev = sev_dev };
	struct sm_fw *fw;
	int kvm, src, rc;

	src = plain_vm(&kvm, e);
	if (src < 0)
		return -1;
	rc = sm_fw_kvm_open_source(src, &o, &fw, e);
	if (!rc) {
		printf("ok: VM fd %d\n", sm_fw_kvm_vm_fd(fw));
		sm_fw_close(fw);
	}
	close(src);
	close(kvm);
	return rc;
}

static int step_open_receive(struct sm_err *e)
{
	struct sm_fw_kvm_opts o = { .kvm_dev = kvm_dev, .sev_dev = sev_dev };
	struct sm_fw *fw;

	if (sm_fw_kvm_open_receive(&o, &fw, e))
		return -1;
	printf("ok: VM fd %d\n", sm_fw_kvm_vm_fd(fw));
	sm_fw_close(fw);
	return 0;
}

static int step_open_launch(struct sm_err *e)
{
	struct sm_fw_kvm_opts o = { .kvm_dev = kvm_dev, .sev_dev = sev_dev };
	struct sm_fw_launch_start ls = { .policy = 0x1 };
	struct sm_fw *fw;
	int rc;

	if (sm_fw_kvm_open_launch(&o, &fw, e))
		return -1;
	rc = sm_fw_launch_start(fw, &ls, e);
	if (!rc)
		printf("ok: handle %u\n", ls.handle);
	sm_fw_close(fw);
	return rc;
}

static int step_platform(int pdh, struct sm_err *e)
{
	static uint8_t cert[SM_SEV_CERT_LEN], chain[SM_SEV_CHAIN_LEN];
	struct sm_fw_platform_status st;
	struct sm_fw *fw;
	int rc;

	if (sm_fw_kvm_open_platform(sev_dev, &fw, e))
		return -1;
	if (pdh) {
		rc = fw->ops->pdh_cert_export(fw, cert, chain, e);
		if (!rc)
			printf("pdh %u bytes, chain %u bytes\n",
			       (unsigned)sizeof(cert), (unsigned)sizeof(chain));
	} else {
		rc = fw->ops->platform_status(fw, &st, e);
		if (!rc)
			printf("api %u.%u build %u state %u es %s guests %u\n",
			       st.api_major, st.api_minor, st.build, st.state,
			       st.es ? "yes" : "no", st.guest_count);
	}
	sm_fw_close(fw);
	return rc;
}

static int run(const char *step, struct sm_err *e)
{
	if (!strcmp(step, "caps"))
		return step_caps(e);
	if (!strcmp(step, "guest-status"))
		return on_plain_vm(P_GUEST_STATUS, e);
	if (!strcmp(step, "send-start-query"))
		return on_plain_vm(P_SEND_QUERY, e);
	if (!strcmp(step, "launch-measure-query"))
		return on_plain_vm(P_MEASURE_QUERY, e);
	if (!strcmp(step, "launch-start"))
		return on_plain_vm(P_LAUNCH, e);
	if (!strcmp(step, "open-launch"))
		return step_open_launch(e);
	if (!strcmp(step, "foreign-vm"))
		return step_foreign_vm(e);
	if (!strcmp(step, "move"))
		return step_move(e);
	if (!strcmp(step, "open-source"))
		return step_open_source(e);
	if (!strcmp(step, "open-receive"))
		return step_open_receive(e);
	if (!strcmp(step, "platform-status"))
		return step_platform(0, e);
	if (!strcmp(step, "pdh-export"))
		return step_platform(1, e);
	return sm_err_set(e, SM_EXIT_USAGE, "unknown step '%s'", step);
}

static void usage(FILE *out)
{
	fputs("Usage:\n"
	      " fw-kvm-probe [options] STEP\n"
	      "\n"
	      "Try one step of the KVM backend and print what happened.\n"
	      "\n"
	      "Options:\n"
	      " --kvm PATH     the KVM device (default: /dev/kvm)\n"
	      " --sev PATH     the SEV device (default: /dev/sev)\n"
	      " -h, --help     display this help and exit\n"
	      "\n"
	      "Steps: caps guest-status send-start-query launch-measure-query\n"
	      "       launch-start foreign-vm move open-source open-receive\n"
	      "       open-launch platform-status pdh-export all\n",
	      out);
}

int main(int argc, char **argv)
{
	static const char *const all[] = {
		"caps",
		"guest-status",
		"send-start-query",
		"launch-measure-query",
		"launch-start",
		"foreign-vm",
		"move",
		"open-source",
		"open-receive",
		"open-launch",
		"platform-status",
		"pdh-export",
	};
	enum { OPT_KVM = CHAR_MAX + 1, OPT_SEV };
	static const struct option longopts[] = {
		{ "kvm", required_argument, NULL, OPT_KVM },
		{ "sev", required_argument, NULL, OPT_SEV },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sm_err e;
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_KVM:
			kvm_dev = optarg;
			break;
		case OPT_SEV:
			sev_dev = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fputs("Try 'fw-kvm-probe --help' for more "
			      "information.\n",
			      stderr);
			return SM_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "fw-kvm-probe: expected one STEP\n"
				"Try 'fw-kvm-probe --help' for more "
				"information.\n");
		return SM_EXIT_USAGE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[optind], "all")) {
		for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
			printf("== %s\n", all[i]);
			memset(&e, 0, sizeof(e));
			if (run(all[i], &e))
				printf("error (exit %d): %s\n", e.code, e.msg);
		}
		return 0;
	}
	memset(&e, 0, sizeof(e));
	if (run(argv[optind], &e)) {
		fprintf(stderr, "fw-kvm-probe: %s\n", e.msg);
		return e.code ? (int)e.code : SM_EXIT_FAILURE;
	}
	return 0;
}
