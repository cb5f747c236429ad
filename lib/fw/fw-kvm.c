// SPDX-License-Identifier: MIT
/*
 * fw-kvm: the sm_fw_ops table on real hardware.  Guest commands are
 * KVM_MEMORY_ENCRYPT_OP ioctls on a VM this process created (KVM returns
 * EIO to any other process); platform commands go to /dev/sev through
 * lib/devsev.  The kernel side is arch/x86/kvm/svm/sev.c; the facts used
 * here are collected in shared/reference/sev-migration-protocol.md
 * sections 3 and 4, and docs/sevmig-kvm.7 explains them for users.
 *
 * This is the only file that includes <linux/kvm.h>.  One idea, the KVM
 * backend: every SEV command it issues, each with its length query and
 * errno decoding, hence its size.
 */
#include "fw/fw-kvm.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "certs/cert.h"
#include "fw/devsev.h"
#include "base/log.h"
#include "fw/sevcrypto.h"
#include "base/util.h"

/*
 * Build-time check of the installed UAPI headers.
 *
 * The SEND/RECEIVE argument structs and KVM_SEV_SEND_CANCEL are in every
 * <linux/kvm.h> since Linux 5.16; the enum values cannot be tested with
 * #ifdef, so KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM, a macro from the same
 * release, stands for them.  Older headers lack the move itself, without
 * which this backend is useless: refuse to build.
 *
 * VM types and KVM_SEV_INIT2 (struct kvm_sev_init) arrived in Linux 6.10
 * and are missing from Debian 12's linux-libc-dev (6.1).  They are defined
 * here with the upstream layout when absent.  The _Static_asserts below
 * pin every layout to reference section 3.2, whichever header supplied it.
 */
#ifndef KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM
#error "<linux/kvm.h> predates Linux 5.16 (no KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM)"
#endif
#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES 235
#endif
#ifndef KVM_X86_DEFAULT_VM
#define KVM_X86_DEFAULT_VM 0
#endif
#ifdef KVM_X86_SEV_VM
#define SM_KVM_SEV_INIT2 KVM_SEV_INIT2
#else
/* Linux 6.10 arch/x86/include/uapi/asm/kvm.h, not in these headers. */
#define KVM_X86_SEV_VM 2
#define KVM_X86_SEV_ES_VM 3
#define SM_KVM_SEV_INIT2 22
struct kvm_sev_init {
	__u64 vmsa_features;
	__u32 flags;
	__u16 ghcb_version;
	__u16 pad1;
	__u32 pad2[8];
};
#endif

/* kvm_sev_cmd and the per-command structs: reference section 3.1-3.2. */
_Static_assert(sizeof(struct kvm_sev_cmd) == 24, "kvm_sev_cmd size");
_Static_assert(offsetof(struct kvm_sev_cmd, data) == 8, "kvm_sev_cmd.data");
_Static_assert(offsetof(struct kvm_sev_cmd, error) == 16, "kvm_sev_cmd.error");
_Static_assert(offsetof(struct kvm_sev_cmd, sev_fd) == 20,
	       "kvm_sev_cmd.sev_fd");
_Static_assert(sizeof(struct kvm_sev_send_start) == 72, "send_start size");
_Static_assert(offsetof(struct kvm_sev_send_start, pdh_cert_uaddr) == 8,
	       "send_start.pdh_cert_uaddr");
_Static_assert(offsetof(struct kvm_sev_send_start, plat_certs_uaddr) == 24,
	       "send_start.plat_certs_uaddr");
_Static_assert(offsetof(struct kvm_sev_send_start, amd_certs_uaddr) == 40,
	       "send_start.amd_certs_uaddr");
_Static_assert(offsetof(struct kvm_sev_send_start, session_uaddr) == 56,
	       "send_start.session_uaddr");
_Static_assert(offsetof(struct kvm_sev_send_start, session_len) == 64,
	       "send_start.session_len");
_Static_assert(sizeof(struct kvm_sev_send_update_data) == 48,
	       "send_update_data size");
_Static_assert(offsetof(struct kvm_sev_send_update_data, guest_uaddr) == 16,
	       "send_update_data.guest_uaddr");
_Static_assert(offsetof(struct kvm_sev_send_update_data, trans_len) == 40,
	       "send_update_data.trans_len");
_Static_assert(sizeof(struct kvm_sev_receive_update_data) == 48,
	       "receive_update_data size");
_Static_assert(offsetof(struct kvm_sev_receive_update_data, guest_uaddr) == 16,
	       "receive_update_data.guest_uaddr");
_Static_assert(sizeof(struct kvm_sev_receive_start) == 40,
	       "receive_start size");
_Static_assert(offsetof(struct kvm_sev_receive_start, pdh_uaddr) == 8,
	       "receive_start.pdh_uaddr");
_Static_assert(offsetof(struct kvm_sev_receive_start, session_len) == 32,
	       "receive_start.session_len");
_Static_assert(sizeof(struct kvm_sev_launch_start) == 40, "launch_start size");
_Static_assert(offsetof(struct kvm_sev_launch_start, dh_uaddr) == 8,
	       "launch_start.dh_uaddr");
_Static_assert(offsetof(struct kvm_sev_launch_start, session_uaddr) == 24,
	       "launch_start.session_uaddr");
_Static_assert(offsetof(struct kvm_sev_launch_start, session_len) == 32,
	       "launch_start.session_len");
_Static_assert(sizeof(struct kvm_sev_launch_update_data) == 16,
	       "launch_update_data size");
_Static_assert(offsetof(struct kvm_sev_launch_update_data, len) == 8,
	       "launch_update_data.len");
_Static_assert(sizeof(struct kvm_sev_launch_measure) == 16,
	       "launch_measure size");
_Static_assert(sizeof(struct kvm_sev_launch_secret) == 48,
	       "launch_secret size");
_Static_assert(offsetof(struct kvm_sev_launch_secret, guest_uaddr) == 16,
	       "launch_secret.guest_uaddr");
_Static_assert(offsetof(struct kvm_sev_launch_secret, trans_uaddr) == 32,
	       "launch_secret.trans_uaddr");
_Static_assert(offsetof(struct kvm_sev_launch_secret, trans_len) == 40,
	       "launch_secret.trans_len");
_Static_assert(sizeof(struct kvm_sev_guest_status) == 12, "guest_status size");
_Static_assert(sizeof(struct kvm_sev_init) == 48, "kvm_sev_init size");
_Static_assert(sizeof(struct kvm_enable_cap) == 104, "kvm_enable_cap size");
_Static_assert(offsetof(struct kvm_enable_cap, args) == 8,
	       "kvm_enable_cap.args");
_Static_assert(KVM_MEMORY_ENCRYPT_OP == 0xC008AEBAul, "KVM_MEMORY_ENCRYPT_OP");
_Static_assert(KVM_ENABLE_CAP == 0x4068AEA3ul, "KVM_ENABLE_CAP");
_Static_assert(KVM_CREATE_VM == 0xAE01ul, "KVM_CREATE_VM");
_Static_assert(KVM_SEV_LAUNCH_START == 2 && KVM_SEV_LAUNCH_UPDATE_DATA == 3 &&
		       KVM_SEV_LAUNCH_UPDATE_VMSA == 4 &&
		       KVM_SEV_LAUNCH_SECRET == 5 &&
		       KVM_SEV_LAUNCH_MEASURE == 6 &&
		       KVM_SEV_LAUNCH_FINISH == 7,
	       "enum sev_cmd_id, launch");
_Static_assert(KVM_SEV_SEND_START == 8 && KVM_SEV_SEND_UPDATE_VMSA == 10 &&
		       KVM_SEV_RECEIVE_START == 12 &&
		       KVM_SEV_RECEIVE_UPDATE_VMSA == 14 &&
		       KVM_SEV_GUEST_STATUS == 16 && KVM_SEV_SEND_CANCEL == 21,
	       "enum sev_cmd_id");
_Static_assert(KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM == 206, "MOVE cap number");

#define SEV_FW_BLOB_MAX 0x4000u /* KVM's SEV_FW_BLOB_MAX_SIZE */
#define DEVSEV_FLAG_ES 0x100u /* SEV_STATUS_FLAGS_CONFIG_ES */
#define KVM_API 12
#define MAX_VCPUS 4096u

struct kvm_fw {
	struct sm_fw fw;
	sm_fw_kvm_ioctl_fn ioc;
	char *sev_dev;
	int kvm_fd; /* -1: none */
	int vm_fd; /* -1: platform only */
	int sev_fd; /* our open sev_dev, -1: not opened */
	int ctx_sev_fd; /* fd number KVM resolves for this context, -1 */
	int saved_fd0; /* the old fd 0 while sev_dev sits there */
	int fd0_taken; /* sev_dev was put on fd 0 by us */
	int has_sev; /* KVM handles KVM_MEMORY_ENCRYPT_OP: 1, 0, -1 */
	int vm_type;
	unsigned nvcpus;
	int *vcpu_fds;
};

static const struct sm_fw_ops kvm_ops;

static int sys_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg);
}

const char *sm_fw_kvm_cmd_name(unsigned id)
{
	static const char *const names[] = {
		[KVM_SEV_INIT] = "KVM_SEV_INIT",
		[KVM_SEV_ES_INIT] = "KVM_SEV_ES_INIT",
		[KVM_SEV_LAUNCH_START] = "KVM_SEV_LAUNCH_START",
		[KVM_SEV_LAUNCH_UPDATE_DATA] = "KVM_SEV_LAUNCH_UPDATE_DATA",
		[KVM_SEV_LAUNCH_UPDATE_VMSA] = "KVM_SEV_LAUNCH_UPDATE_VMSA",
		[KVM_SEV_LAUNCH_SECRET] = "KVM_SEV_LAUNCH_SECRET",
		[KVM_SEV_LAUNCH_MEASURE] = "KVM_SEV_LAUNCH_MEASURE",
		[KVM_SEV_LAUNCH_FINISH] = "KVM_SEV_LAUNCH_FINISH",
		[KVM_SEV_SEND_START] = "KVM_SEV_SEND_START",
		[KVM_SEV_SEND_UPDATE_DATA] = "KVM_SEV_SEND_UPDATE_DATA",
		[KVM_SEV_SEND_UPDATE_VMSA] = "KVM_SEV_SEND_UPDATE_VMSA",
		[KVM_SEV_SEND_FINISH] = "KVM_SEV_SEND_FINISH",
		[KVM_SEV_RECEIVE_START] = "KVM_SEV_RECEIVE_START",
		[KVM_SEV_RECEIVE_UPDATE_DATA] = "KVM_SEV_RECEIVE_UPDATE_DATA",
		[KVM_SEV_RECEIVE_UPDATE_VMSA] = "KVM_SEV_RECEIVE_UPDATE_VMSA",
		[KVM_SEV_RECEIVE_FINISH] = "KVM_SEV_RECEIVE_FINISH",
		[KVM_SEV_GUEST_STATUS] = "KVM_SEV_GUEST_STATUS",
		[KVM_SEV_DBG_DECRYPT] = "KVM_SEV_DBG_DECRYPT",
		[KVM_SEV_DBG_ENCRYPT] = "KVM_SEV_DBG_ENCRYPT",
		[KVM_SEV_CERT_EXPORT] = "KVM_SEV_CERT_EXPORT",
		[KVM_SEV_GET_ATTESTATION_REPORT] =
			"KVM_SEV_GET_ATTESTATION_REPORT",
		[KVM_SEV_SEND_CANCEL] = "KVM_SEV_SEND_CANCEL",
		[SM_KVM_SEV_INIT2] = "KVM_SEV_INIT2",
	};

	if (id < SM_ARRAY_SIZE(names) && names[id])
		return names[id];
	return "KVM_SEV_UNKNOWN";
}

static int xioctl(struct kvm_fw *k, int fd, unsigned long req, void *arg)
{
	int rc;

	do
		rc = k->ioc(fd, req, arg);
	while (rc < 0 && errno == EINTR);
	return rc;
}

/*
 * Does KVM handle KVM_MEMORY_ENCRYPT_OP for VMs at all?  With a NULL
 * argument, sev_mem_enc_ioctl returns 0 when SEV is enabled and -ENOTTY
 * when it is not; without SVM (or on Intel outside a TDX VM) x86.c
 * answers -ENOTTY too.  Returns 1, 0, or -1 when it cannot tell (EIO: not
 * our VM or dead).
 */
static int probe_sev(struct kvm_fw *k, int vm_fd, int *err)
{
	if (xioctl(k, vm_fd, KVM_MEMORY_ENCRYPT_OP, NULL) == 0)
		return 1;
	*err = errno;
	return *err == ENOTTY ? 0 : -1;
}

static int kernel_has_sev(struct kvm_fw *k)
{
	int err;

	if (k->has_sev < 0 && k->vm_fd >= 0)
		k->has_sev = probe_sev(k, k->vm_fd, &err);
	return k->has_sev;
}

/* Why KVM said err to command id, as a hint appended to the message. */
static const char *hint(struct kvm_fw *k, unsigned id, int err,
			uint32_t fw_error, enum sm_exit *code, char *buf,
			size_t len)
{
	switch (err) {
	case EIO:
		if (fw_error)
			return NULL;
		return "the VM is dead (its context was moved to another VM) "
		       "or was created by another process";
	case EBADF:
		if (k->ctx_sev_fd >= 0)
			snprintf(
				buf, len,
				"KVM resolves this context's SEV device as fd "
				"%d, which is not an open '%s' in this process",
				k->ctx_sev_fd, k->sev_dev);
		else
			snprintf(buf, len,
				 "the fd number KVM holds for this context's "
				 "SEV device is not an open /dev/sev in this "
				 "process");
		return buf;
	case ENOTTY:
	case EINVAL:
		if (kernel_has_sev(k) == 0) {
			*code = SM_EXIT_UNSUPPORTED;
			return "KVM on this host has no SEV support";
		}
		if (id == KVM_SEV_ES_INIT && err == ENOTTY) {
			*code = SM_EXIT_UNSUPPORTED;
			return "KVM on this host has no SEV-ES support";
		}
		if (id == KVM_SEV_INIT || id == KVM_SEV_ES_INIT ||
		    id == SM_KVM_SEV_INIT2)
			return err == ENOTTY ?
				       "no SEV ASID is usable on this host" :
				       "the VM type does not match this init "
				       "command, or the VM already has vCPUs or "
				       "an SEV context";
		if (err == ENOTTY)
			return "this VM has no SEV context";
		return "KVM refused the parameters, or this VM has no SEV "
		       "context or only mirrors another VM's";
	case ENOMEM:
		if (id == KVM_SEV_SEND_UPDATE_DATA ||
		    id == KVM_SEV_RECEIVE_UPDATE_DATA)
			return "pinning the guest page exceeds this process's "
			       "RLIMIT_MEMLOCK (which also counts the guest "
			       "RAM the VMM pinned); raise it or grant "
			       "CAP_IPC_LOCK";
		return NULL;
	case EFAULT:
		return "a buffer is not mapped in this process";
	case EPERM:
		return "KVM refuses legacy SEV commands for an SEV-SNP guest";
	case EBUSY:
		if (id == KVM_SEV_INIT || id == KVM_SEV_ES_INIT ||
		    id == SM_KVM_SEV_INIT2)
			return "no free SEV ASID (all in use, or this "
			       "process's misc cgroup limit reached)";
		return NULL;
	default:
		return NULL;
	}
}

/*
 * Record a failed KVM_MEMORY_ENCRYPT_OP: errno and firmware status by name
 * through sm_fw_fail, then what the errno means here.  Returns -1.
 */
static int kvm_fail(struct kvm_fw *k, struct sm_err *e, unsigned id, int err,
		    uint32_t fw_error)
{
	enum sm_exit code = SM_EXIT_VM;
	char buf[256];
	const char *h;
	size_t n;

	sm_fw_fail(&k->fw, e, sm_fw_kvm_cmd_name(id), err, fw_error);
	h = hint(k, id, err, fw_error, &code, buf, sizeof(buf));
	if (e) {
		n = strlen(e->msg);
		if (h && n < sizeof(e->msg))
			snprintf(e->msg + n, sizeof(e->msg) - n, "; %s", h);
		e->code = code;
	}
	return -1;
}

/*
 * A refusal before any ioctl: arguments KVM would answer with EINVAL.
 * Same errno and class as that EINVAL (and as fw-sim's copy of KVM's
 * checks), with a message naming the argument.
 */
static int refuse(struct kvm_fw *k, struct sm_err *e, unsigned id,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int refuse(struct kvm_fw *k, struct sm_err *e, unsigned id,
		  const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	k->fw.sys_errno = EINVAL;
	k->fw.fw_error = 0;
	return sm_err_set(e, SM_EXIT_VM, "%s refused: %s",
			  sm_fw_kvm_cmd_name(id), why);
}

/*
 * Issue one KVM_MEMORY_ENCRYPT_OP.  sev_fd is only read by KVM for
 * LAUNCH_START and RECEIVE_START; every other command resolves the fd
 * number recorded for the context (section 3.3).  Returns 0 or an errno;
 * *fw_error gets kvm_sev_cmd.error either way.
 */
static int sev_cmd(struct kvm_fw *k, unsigned id, void *data,
		   uint32_t *fw_error)
{
	struct kvm_sev_cmd c;
	int err = 0;

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.data = (uintptr_t)data;
	c.sev_fd = k->sev_fd >= 0 ? (uint32_t)k->sev_fd : 0;
	if (xioctl(k, k->vm_fd, KVM_MEMORY_ENCRYPT_OP, &c) < 0)
		err = errno;
	*fw_error = c.error;
	pr_debug("%s: errno %d, firmware status %#x", sm_fw_kvm_cmd_name(id),
		 err, c.error);
	return err;
}

static int need_vm(struct kvm_fw *k, unsigned id, struct sm_err *e)
{
	if (k->vm_fd >= 0)
		return 0;
	k->fw.sys_errno = EBADF;
	k->fw.fw_error = 0;
	return sm_err_set(e, SM_EXIT_FAILURE,
			  "%s: no VM: this backend was opened for platform "
			  "commands only",
			  sm_fw_kvm_cmd_name(id));
}

/* Open sev_dev, away from fds 0-2.  A missing device is "unsupported". */
static int open_sev(struct kvm_fw *k, struct sm_err *e)
{
	int fd, err, hi;

	fd = open(k->sev_dev, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == EACCES)
		/* KVM only checks that the fd is the SEV device. */
		fd = open(k->sev_dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (err == ENOENT || err == ENXIO || err == ENODEV)
			return sm_err_set(
				e, SM_EXIT_UNSUPPORTED,
				"cannot open SEV device '%s': %s; "
				"this host has no SEV firmware "
				"interface (ccp driver not loaded, or "
				"SEV disabled in the BIOS)",
				k->sev_dev, strerror(err));
		return sm_err_errno(e, SM_EXIT_VM, err,
				    "cannot open SEV device '%s'", k->sev_dev);
	}
	if (fd <= 2) {
		hi = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		err = errno;
		close(fd);
		if (hi < 0)
			return sm_err_errno(e, SM_EXIT_FAILURE, err,
					    "cannot move fd of '%s'",
					    k->sev_dev);
		fd = hi;
	}
	k->sev_fd = fd;
	return 0;
}

static int open_kvm(struct kvm_fw *k, const char *path, struct sm_err *e)
{
	int fd, err, api;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		return sm_err_errno(e,
				    err == ENOENT || err == ENXIO ||
						    err == ENODEV ?
					    SM_EXIT_UNSUPPORTED :
					    SM_EXIT_VM,
				    err, "cannot open KVM device '%s'", path);
	}
	k->kvm_fd = fd;
	api = xioctl(k, fd, KVM_GET_API_VERSION, NULL);
	if (api < 0)
		return sm_err_errno(e, SM_EXIT_UNSUPPORTED, errno,
				    "'%s' is not a KVM device: "
				    "KVM_GET_API_VERSION",
				    path);
	if (api != KVM_API)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "'%s' speaks KVM API version %d, not %d",
				  path, api, KVM_API);
	return 0;
}

static int check_ext(struct kvm_fw *k, long cap)
{
	int r = xioctl(k, k->kvm_fd, KVM_CHECK_EXTENSION, (void *)cap);

	return r < 0 ? 0 : r;
}

static void close_vm(struct kvm_fw *k)
{
	unsigned i;

	for (i = 0; i < k->nvcpus && k->vcpu_fds; i++)
		if (k->vcpu_fds[i] >= 0)
			close(k->vcpu_fds[i]);
	free(k->vcpu_fds);
	k->vcpu_fds = NULL;
	k->nvcpus = 0;
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	k->vm_fd = -1;
}

static int create_vm(struct kvm_fw *k, int type, struct sm_err *e)
{
	int fd;

	fd = xioctl(k, k->kvm_fd, KVM_CREATE_VM, (void *)(long)type);
	if (fd < 0) {
		int err = errno;

		return sm_err_errno(
			e, err == EINVAL ? SM_EXIT_UNSUPPORTED : SM_EXIT_VM,
			err, "KVM_CREATE_VM of type %d failed", type);
	}
	k->vm_fd = fd;
	k->vm_type = type;
	pr_debug("created VM fd %d of type %d", fd, type);
	return 0;
}

/* KVM must handle memory encryption ops at all (checked on a fresh VM). */
static int require_sev(struct kvm_fw *k, struct sm_err *e)
{
	int err = 0;

	k->has_sev = probe_sev(k, k->vm_fd, &err);
	if (k->has_sev == 1)
		return 0;
	if (k->has_sev == 0)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "KVM on this host has no SEV support: "
				  "KVM_MEMORY_ENCRYPT_OP: %s",
				  strerror(err));
	return sm_err_errno(e, SM_EXIT_VM, err,
			    "KVM_MEMORY_ENCRYPT_OP on a new VM failed");
}

static int create_vcpus(struct kvm_fw *k, unsigned n, struct sm_err *e)
{
	unsigned i;
	int fd;

	k->vcpu_fds = calloc(n, sizeof(*k->vcpu_fds));
	if (!k->vcpu_fds)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "cannot allocate %u vCPU fds", n);
	for (i = 0; i < n; i++)
		k->vcpu_fds[i] = -1;
	k->nvcpus = n;
	for (i = 0; i < n; i++) {
		fd = xioctl(k, k->vm_fd, KVM_CREATE_VCPU, (void *)(long)i);
		if (fd < 0)
			return sm_err_errno(e, SM_EXIT_VM, errno,
					    "KVM_CREATE_VCPU %u of %u failed",
					    i, n);
		k->vcpu_fds[i] = fd;
	}
	return 0;
}

/*
 * The guest RAM the VMM pinned (KVM_MEMORY_ENCRYPT_REG_REGION) moves with
 * the context and counts against this process's RLIMIT_MEMLOCK on every
 * later pin unless it holds CAP_IPC_LOCK (section 3.3).  Raise the limit
 * as far as we may; if that is not enough, SEND_UPDATE_DATA fails with
 * ENOMEM and says so.
 */
static void raise_memlock(void)
{
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY }, rl;

	if (setrlimit(RLIMIT_MEMLOCK, &inf) == 0)
		return;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			pr_debug("cannot raise RLIMIT_MEMLOCK: %s",
				 strerror(errno));
	}
}

/*
 * After a move, the context's sev->fd is 0: KVM copies asid, handle and
 * pinned pages but not the fd number, and our VM never ran LAUNCH_START
 * or RECEIVE_START (section 4.3; unverified on hardware).  So the SEV
 * device must be fd 0 of this process for every later command.  The old
 * fd 0 is kept aside and put back by close.  O_CLOEXEC: children (ssh)
 * must not inherit the SEV device as their stdin.
 */
static int take_fd0(struct kvm_fw *k, struct sm_err *e)
{
	struct stat a, b;
	int err;

	if (fstat(0, &a) == 0) {
		if (fstat(k->sev_fd, &b) == 0 && S_ISCHR(a.st_mode) &&
		    S_ISCHR(b.st_mode) && a.st_rdev == b.st_rdev)
			return 0; /* already the SEV device */
		k->saved_fd0 = fcntl(0, F_DUPFD_CLOEXEC, 3);
		if (k->saved_fd0 < 0)
			return sm_err_errno(e, SM_EXIT_FAILURE, errno,
					    "cannot save fd 0");
	} else if (errno != EBADF) {
		return sm_err_errno(e, SM_EXIT_FAILURE, errno,
				    "cannot inspect fd 0");
	}
	if (dup3(k->sev_fd, 0, O_CLOEXEC) < 0) {
		err = errno;
		if (k->saved_fd0 >= 0)
			close(k->saved_fd0);
		k->saved_fd0 = -1;
		return sm_err_errno(e, SM_EXIT_FAILURE, err,
				    "cannot put '%s' on fd 0", k->sev_dev);
	}
	k->fd0_taken = 1;
	return 0;
}

static void give_back_fd0(struct kvm_fw *k)
{
	if (!k->fd0_taken)
		return;
	if (k->saved_fd0 >= 0) {
		dup2(k->saved_fd0, 0);
		close(k->saved_fd0);
	} else {
		close(0);
	}
	k->saved_fd0 = -1;
	k->fd0_taken = 0;
}

static int move_fail(struct sm_err *e, int src_fd, int err, int has_sev,
		     const char *types)
{
	enum sm_exit code = SM_EXIT_VM;
	const char *h;
	char buf[256];

	switch (err) {
	case EBADF:
		snprintf(buf, sizeof(buf), "fd %d is not a KVM VM", src_fd);
		h = buf;
		break;
	case EINVAL:
		if (has_sev == 0) {
			code = SM_EXIT_UNSUPPORTED;
			h = "KVM on this host has no SEV support";
			break;
		}
		snprintf(buf, sizeof(buf),
			 "the source is not an SEV guest, its VM type differs "
			 "from ours%s%s%s, the destination already has an SEV "
			 "context, or (SEV-ES) the vCPU counts differ or the "
			 "source's VMSAs are not encrypted yet",
			 types ? " (" : "", types ? types : "",
			 types ? ")" : "");
		h = buf;
		break;
	case EBUSY:
		h = "a vCPU of either VM is being created, either VM is "
		    "already being migrated, or this process's misc cgroup "
		    "has no SEV ASID left";
		break;
	case EINTR:
		h = "interrupted while waiting for the VMs' vCPU locks";
		break;
	case EIO:
		h = "the destination VM is dead or was created by another "
		    "process";
		break;
	default:
		h = NULL;
		break;
	}
	return sm_err_set(e, code,
			  "KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM from VM fd %d "
			  "failed: %s%s%s",
			  src_fd, strerror(err), h ? "; " : "", h ? h : "");
}

static int move_from(struct kvm_fw *k, int dst_fd, int src_fd)
{
	struct kvm_enable_cap cap;

	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM;
	cap.args[0] = (__u64)src_fd;
	if (xioctl(k, dst_fd, KVM_ENABLE_CAP, &cap) < 0)
		return errno;
	return 0;
}

int sm_fw_kvm_move_context(int dst_vm_fd, int src_vm_fd, struct sm_err *e)
{
	struct kvm_fw k = { .ioc = sys_ioctl };
	int err, dummy, has_sev = -1;

	err = move_from(&k, dst_vm_fd, src_vm_fd);
	if (!err)
		return 0;
	if (err == EINVAL) /* only then does it matter */
		has_sev = probe_sev(&k, dst_vm_fd, &dummy);
	return move_fail(e, src_vm_fd, err, has_sev, NULL);
}

static struct kvm_fw *kvm_new(const struct sm_fw_kvm_opts *o,
			      const char *sev_dev, struct sm_err *e)
{
	struct kvm_fw *k = calloc(1, sizeof(*k));

	if (!k) {
		sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM, "cannot allocate");
		return NULL;
	}
	k->fw.ops = &kvm_ops;
	k->fw.priv = k;
	k->ioc = o && o->ioctl_fn ? o->ioctl_fn : sys_ioctl;
	k->kvm_fd = k->vm_fd = k->sev_fd = -1;
	k->ctx_sev_fd = k->saved_fd0 = -1;
	k->has_sev = -1;
	k->vm_type = -1;
	k->sev_dev = strdup(sev_dev ? sev_dev : SM_SEV_DEV);
	if (!k->sev_dev) {
		free(k);
		sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM, "cannot allocate");
		return NULL;
	}
	return k;
}

static void kvm_close(struct sm_fw *fw)
{
	struct kvm_fw *k;

	if (!fw)
		return;
	k = fw->priv;
	close_vm(k);
	if (k->kvm_fd >= 0)
		close(k->kvm_fd);
	give_back_fd0(k);
	if (k->sev_fd >= 0)
		close(k->sev_fd);
	free(k->sev_dev);
	free(k);
}

static int check_opts(const struct sm_fw_kvm_opts *o, struct sm_err *e)
{
	if (!o)
		return 0;
	if (o->es && !o->nvcpus)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "an SEV-ES context needs the guest's vCPU "
				  "count (KVM moves one VMSA per vCPU)");
	if (o->nvcpus > MAX_VCPUS)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "%u vCPUs is more than KVM allows (%u)",
				  o->nvcpus, MAX_VCPUS);
	if ((unsigned)o->vm_type > SM_KVM_VM_SEV_ES)
		return sm_err_set(e, SM_EXIT_FAILURE, "unknown VM type %d",
				  (int)o->vm_type);
	if (o->vm_type == SM_KVM_VM_SEV && o->es)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "an SEV-ES context needs the SEV-ES VM type");
	return 0;
}

/*
 * The VM types to try, in order: the one asked for, or (AUTO) 0 and then
 * the SEV / SEV-ES type if this KVM knows it.  QEMU uses 0 unless told
 * otherwise, so 0 is the likely match (section 4.3).
 */
static int vm_types(struct kvm_fw *k, const struct sm_fw_kvm_opts *o,
		    int types[2])
{
	static const int kvm_type[] = {
		[SM_KVM_VM_DEFAULT] = KVM_X86_DEFAULT_VM,
		[SM_KVM_VM_SEV] = KVM_X86_SEV_VM,
		[SM_KVM_VM_SEV_ES] = KVM_X86_SEV_ES_VM,
	};
	int es_type = o && o->es ? KVM_X86_SEV_ES_VM : KVM_X86_SEV_VM;
	int mask;

	if (o && o->vm_type != SM_KVM_VM_AUTO) {
		types[0] = kvm_type[o->vm_type];
		return 1;
	}
	types[0] = KVM_X86_DEFAULT_VM;
	mask = check_ext(k, KVM_CAP_VM_TYPES);
	if (mask & (1 << es_type)) {
		types[1] = es_type;
		return 2;
	}
	return 1;
}

int sm_fw_kvm_open_source(int src_vm_fd, const struct sm_fw_kvm_opts *o,
			  struct sm_fw **fw, struct sm_err *e)
{
	struct kvm_fw *k;
	int types[2], ntypes, i, err = 0;
	char tried[48];

	*fw = NULL;
	if (src_vm_fd < 0)
		return sm_err_set(e, SM_EXIT_FAILURE, "invalid source VM fd %d",
				  src_vm_fd);
	if (check_opts(o, e))
		return -1;
	k = kvm_new(o, o ? o->sev_dev : NULL, e);
	if (!k)
		return -1;

	/* Everything that can fail harmlessly comes before the move. */
	if (open_sev(k, e) ||
	    open_kvm(k, o && o->kvm_dev ? o->kvm_dev : SM_KVM_DEV, e))
		goto err_close;
	if (check_ext(k, KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM) <= 0) {
		sm_err_set(e, SM_EXIT_UNSUPPORTED,
			   "this kernel does not support "
			   "KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM (206; Linux 5.16 "
			   "or later)");
		goto err_close;
	}
	ntypes = vm_types(k, o, types);
	if (ntypes == 2)
		snprintf(tried, sizeof(tried), "tried VM types %d and %d",
			 types[0], types[1]);
	else
		snprintf(tried, sizeof(tried), "tried VM type %d", types[0]);
	for (i = 0; i < ntypes; i++) {
		if (create_vm(k, types[i], e))
			goto err_close;
		if (i == 0 && require_sev(k, e))
			goto err_close;
		if (o && o->es && create_vcpus(k, o->nvcpus, e))
			goto err_close;
		if (i == 0) {
			raise_memlock();
			if (take_fd0(k, e))
				goto err_close;
		}
		err = move_from(k, k->vm_fd, src_vm_fd);
		if (!err)
			break;
		pr_debug("move into a VM of type %d: %s", types[i],
			 strerror(err));
		if (err != EINVAL || i + 1 == ntypes) {
			move_fail(e, src_vm_fd, err, k->has_sev, tried);
			goto err_close;
		}
		close_vm(k);
	}
	k->ctx_sev_fd = 0;
	pr_debug("took the context of VM fd %d into VM fd %d (type %d)",
		 src_vm_fd, k->vm_fd, k->vm_type);
	*fw = &k->fw;
	return 0;

err_close:
	kvm_close(&k->fw);
	return -1;
}

/* KVM_SEV_INIT / ES_INIT on a type-0 VM, KVM_SEV_INIT2 on types 2/3. */
static int sev_init(struct kvm_fw *k, int es, uint32_t *fw_error, unsigned *id)
{
	struct kvm_sev_init init;

	if (k->vm_type == KVM_X86_DEFAULT_VM) {
		*id = es ? KVM_SEV_ES_INIT : KVM_SEV_INIT;
		return sev_cmd(k, *id, NULL, fw_error);
	}
	memset(&init, 0, sizeof(init)); /* KVM's defaults for features */
	*id = SM_KVM_SEV_INIT2;
	return sev_cmd(k, *id, &init, fw_error);
}

/* A fresh VM with an SEV context but no guest yet (receive or launch). */
static int open_fresh(const struct sm_fw_kvm_opts *o, struct sm_fw **fw,
		      struct sm_err *e)
{
	struct kvm_fw *k;
	int types[2], ntypes, i, err = 0;
	uint32_t fw_error = 0;
	unsigned id = KVM_SEV_INIT;

	*fw = NULL;
	if (check_opts(o, e))
		return -1;
	k = kvm_new(o, o ? o->sev_dev : NULL, e);
	if (!k)
		return -1;
	if (open_sev(k, e) ||
	    open_kvm(k, o && o->kvm_dev ? o->kvm_dev : SM_KVM_DEV, e))
		goto err_close;
	ntypes = vm_types(k, o, types);
	for (i = 0; i < ntypes; i++) {
		if (create_vm(k, types[i], e))
			goto err_close;
		if (i == 0 && require_sev(k, e))
			goto err_close;
		err = sev_init(k, o && o->es, &fw_error, &id);
		if (!err)
			break;
		if ((err != EINVAL && err != ENOTTY) || i + 1 == ntypes) {
			kvm_fail(k, e, id, err, fw_error);
			goto err_close;
		}
		close_vm(k);
	}
	/* SEV-ES vCPUs get their VMSA pages only if created after init. */
	if (o && o->es && create_vcpus(k, o->nvcpus, e))
		goto err_close;
	raise_memlock();
	*fw = &k->fw;
	return 0;

err_close:
	kvm_close(&k->fw);
	return -1;
}

int sm_fw_kvm_open_receive(const struct sm_fw_kvm_opts *o, struct sm_fw **fw,
			   struct sm_err *e)
{
	return open_fresh(o, fw, e);
}

int sm_fw_kvm_open_launch(const struct sm_fw_kvm_opts *o, struct sm_fw **fw,
			  struct sm_err *e)
{
	return open_fresh(o, fw, e);
}

int sm_fw_kvm_open_platform(const char *sev_dev, struct sm_fw **fw,
			    struct sm_err *e)
{
	struct kvm_fw *k;

	*fw = NULL;
	k = kvm_new(NULL, sev_dev, e);
	if (!k)
		return -1;
	/* Fail now, naming the device, rather than at the first command. */
	if (open_sev(k, e)) {
		kvm_close(&k->fw);
		return -1;
	}
	*fw = &k->fw;
	return 0;
}

int sm_fw_kvm_attach(int vm_fd, const struct sm_fw_kvm_opts *o,
		     struct sm_fw **fw, struct sm_err *e)
{
	struct kvm_fw *k;

	*fw = NULL;
	k = kvm_new(o, o ? o->sev_dev : NULL, e);
	if (!k)
		return -1;
	k->vm_fd = fcntl(vm_fd, F_DUPFD_CLOEXEC, 3);
	if (k->vm_fd < 0) {
		sm_err_errno(e, SM_EXIT_FAILURE, errno,
			     "cannot duplicate VM fd %d", vm_fd);
		kvm_close(&k->fw);
		return -1;
	}
	*fw = &k->fw;
	return 0;
}

int sm_fw_kvm_vm_fd(struct sm_fw *fw)
{
	if (!fw || fw->ops != &kvm_ops)
		return -1;
	return ((struct kvm_fw *)fw->priv)->vm_fd;
}

int sm_fw_kvm_register_region(struct sm_fw *fw, void *addr, size_t len,
			      struct sm_err *e)
{
	struct kvm_enc_region r = { (uintptr_t)addr, len };
	struct kvm_fw *k;
	const char *h = NULL;
	enum sm_exit code = SM_EXIT_VM;
	int err;

	if (sm_fw_kvm_vm_fd(fw) < 0)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "KVM_MEMORY_ENCRYPT_REG_REGION: no KVM VM");
	k = fw->priv;
	if (!addr || !len)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "KVM_MEMORY_ENCRYPT_REG_REGION refused: "
				  "empty region");
	if (xioctl(k, k->vm_fd, KVM_MEMORY_ENCRYPT_REG_REGION, &r) == 0)
		return 0;
	err = errno;
	k->fw.sys_errno = err;
	k->fw.fw_error = 0;
	if (err == ENOMEM)
		h = "pinning it exceeds this process's RLIMIT_MEMLOCK; raise "
		    "it or grant CAP_IPC_LOCK";
	else if (err == ENOTTY && kernel_has_sev(k) == 0) {
		h = "KVM on this host has no SEV support";
		code = SM_EXIT_UNSUPPORTED;
	} else if (err == ENOTTY)
		h = "this VM has no SEV context";
	return sm_err_set(e, code,
			  "KVM_MEMORY_ENCRYPT_REG_REGION of %zu bytes failed: "
			  "%s%s%s",
			  len, strerror(err), h ? "; " : "", h ? h : "");
}

int sm_fw_kvm_probe(const char *kvm_dev, sm_fw_kvm_ioctl_fn ioctl_fn,
		    struct sm_fw_kvm_caps *c, struct sm_err *e)
{
	struct sm_fw_kvm_opts o = { .ioctl_fn = ioctl_fn };
	struct kvm_fw *k;
	int rc = -1, err = 0;

	memset(c, 0, sizeof(*c));
	k = kvm_new(&o, NULL, e);
	if (!k)
		return -1;
	if (open_kvm(k, kvm_dev ? kvm_dev : SM_KVM_DEV, e))
		goto out;
	c->api_version = KVM_API;
	c->move_cap = check_ext(k, KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM) > 0;
	c->copy_cap = check_ext(k, KVM_CAP_VM_COPY_ENC_CONTEXT_FROM) > 0;
	c->vm_types = check_ext(k, KVM_CAP_VM_TYPES);
	if (!c->vm_types)
		c->vm_types = 1 << KVM_X86_DEFAULT_VM;
	if (create_vm(k, KVM_X86_DEFAULT_VM, e))
		goto out;
	c->sev = probe_sev(k, k->vm_fd, &err) == 1;
	c->sev_errno = c->sev ? 0 : err;
	rc = 0;
out:
	kvm_close(&k->fw);
	return rc;
}

/* ---- the ops ---- */

static int kvm_platform_status(struct sm_fw *fw,
			       struct sm_fw_platform_status *st,
			       struct sm_err *e)
{
	struct kvm_fw *k = fw->priv;
	struct sm_devsev_status ds;

	if (sm_devsev_platform_status(k->sev_dev, &ds, e))
		return -1;
	memset(st, 0, sizeof(*st));
	st->api_major = ds.api_major;
	st->api_minor = ds.api_minor;
	st->build = ds.build;
	st->state = ds.state;
	st->es = !!(ds.flags & DEVSEV_FLAG_ES);
	st->guest_count = ds.guest_count;
	return 0;
}

static int kvm_pdh_cert_export(struct sm_fw *fw, uint8_t pdh[SM_SEV_CERT_LEN],
			       uint8_t chain[SM_SEV_CHAIN_LEN],
			       struct sm_err *e)
{
	struct kvm_fw *k = fw->priv;

	return sm_devsev_pdh_cert_export(k->sev_dev, pdh, chain, e);
}

static int kvm_guest_status(struct sm_fw *fw, struct sm_fw_guest_status *st,
			    struct sm_err *e)
{
	struct kvm_fw *k = fw->priv;
	struct kvm_sev_guest_status gs;
	uint32_t fw_error;
	int err;

	if (need_vm(k, KVM_SEV_GUEST_STATUS, e))
		return -1;
	memset(&gs, 0, sizeof(gs));
	err = sev_cmd(k, KVM_SEV_GUEST_STATUS, &gs, &fw_error);
	if (err)
		return kvm_fail(k, e, KVM_SEV_GUEST_STATUS, err, fw_error);
	memset(st, 0, sizeof(*st));
	st->handle = gs.handle;
	st->policy = gs.policy;
	st->asid = 0; /* the firmware reports it, KVM does not pass it on */
	st->state = (uint8_t)gs.state;
	return 0;
}

static int blob_len_ok(struct kvm_fw *k, unsigned id, const char *what,
		       const void *p, size_t len, struct sm_err *e)
{
	if (!p || !len)
		return refuse(k, e, id, "no %s (KVM needs a non-empty buffer)",
			      what);
	if (len > SEV_FW_BLOB_MAX)
		return refuse(k, e, id,
			      "%s of %zu bytes exceeds KVM's limit "
			      "of %u",
			      what, len, SEV_FW_BLOB_MAX);
	return 0;
}

/*
 * SEND_START.  session_len below 0x80 is the length query: KVM issues it
 * when session_len is 0 and the firmware answers INVALID_LENGTH with the
 * length, which we return as a failure with a->session_len set (the
 * fw.h contract).  KVM rejects an empty PEK||OCA||CEK or ASK||ARK buffer
 * even when the policy makes the firmware ignore them (SEV and DOMAIN bits
 * clear), so empty ones are replaced by zeroed buffers of the usual size;
 * a policy that needs them then fails in the firmware, as it should.
 */
static int kvm_send_start(struct sm_fw *fw, struct sm_fw_send_start *a,
			  struct sm_err *e)
{
	static const uint8_t no_plat[SM_SEV_CHAIN_LEN];
	static const uint8_t no_amd[2 * SM_AMD_CERT_2K];
	const unsigned id = KVM_SEV_SEND_START;
	struct kvm_fw *k = fw->priv;
	struct kvm_sev_send_start p;
	const uint8_t *plat = a->plat_certs, *amd = a->amd_certs;
	size_t plat_len = a->plat_certs_len, amd_len = a->amd_certs_len;
	uint32_t fw_error;
	int err;

	if (need_vm(k, id, e))
		return -1;
	memset(&p, 0, sizeof(p));
	if (a->session_len >= SM_SESSION_LEN) {
		if (!plat_len) {
			plat = no_plat;
			plat_len = sizeof(no_plat);
		}
		if (!amd_len) {
			amd = no_amd;
			amd_len = sizeof(no_amd);
		}
		if (blob_len_ok(k, id, "target PDH", a->pdh, a->pdh_len, e) ||
		    blob_len_ok(k, id, "PEK||OCA||CEK", plat, plat_len, e) ||
		    blob_len_ok(k, id, "ASK||ARK", amd, amd_len, e) ||
		    blob_len_ok(k, id, "session buffer", a->session,
				a->session_len, e))
			return -1;
		p.pdh_cert_uaddr = (uintptr_t)a->pdh;
		p.pdh_cert_len = (uint32_t)a->pdh_len;
		p.plat_certs_uaddr = (uintptr_t)plat;
		p.plat_certs_len = (uint32_t)plat_len;
		p.amd_certs_uaddr = (uintptr_t)amd;
		p.amd_certs_len = (uint32_t)amd_len;
		p.session_uaddr = (uintptr_t)a->session;
		p.session_len = a->session_len;
	}
	err = sev_cmd(k, id, &p, &fw_error);
	if (p.session_len)
		a->session_len = p.session_len;
	if (err)
		return kvm_fail(k, e, id, err, fw_error);
	a->policy = p.policy;
	return 0;
}

/*
 * Checks KVM makes on a transfer, made here first so that the caller
 * learns which argument is wrong.  KVM pins the page holding guest in this
 * process's mm (no memslot lookup), so guest must be this process's
 * mapping of the VMM's guest memory, and one call never crosses a 4 KiB
 * page.  Firmware rules (multiple of 16, alignment, TRANS_LEN) are left to
 * the firmware so its status reaches the caller.
 */
static int check_xfer(struct kvm_fw *k, unsigned id, const struct sm_fw_xfer *x,
		      struct sm_err *e)
{
	uintptr_t off = (uintptr_t)x->guest & (SM_PAGE_SIZE - 1);

	if (!x->hdr)
		return refuse(k, e, id, "no packet header buffer");
	if (!x->guest || !x->guest_len)
		return refuse(k, e, id, "no guest buffer");
	if (!x->trans || !x->trans_len)
		return refuse(k, e, id, "no transport buffer");
	if (x->guest_len > SM_PAGE_SIZE || off + x->guest_len > SM_PAGE_SIZE)
		return refuse(k, e, id,
			      "guest buffer crosses a 4 KiB page boundary "
			      "(offset %zu in its page, %u bytes); KVM takes "
			      "one page per call",
			      (size_t)off, x->guest_len);
	return 0;
}

static int kvm_send_update_data(struct sm_fw *fw, struct sm_fw_xfer *x,
				struct sm_err *e)
{
	const unsigned id = KVM_SEV_SEND_UPDATE_DATA;
	struct kvm_fw *k = fw->priv;
	struct kvm_sev_send_update_data p;
	uint32_t fw_error;
	int err, query;

	if (need_vm(k, id, e))
		return -1;
	memset(&p, 0, sizeof(p));
	query = x->hdr_len < SM_PKT_HDR_LEN || !x->trans_len;
	if (!query) {
		if (check_xfer(k, id, x, e))
			return -1;
		p.hdr_uaddr = (uintptr_t)x->hdr;
		p.hdr_len = x->hdr_len;
		p.guest_uaddr = (uintptr_t)x->guest;
		p.guest_len = x->guest_len;
		p.trans_uaddr = (uintptr_t)x->trans;
		p.trans_len = x->trans_len;
	} /* else: zero lengths make KVM ask the firmware for them */
	err = sev_cmd(k, id, &p, &fw_error);
	if (query && (!err || fw_error)) {
		/* the firmware answered; ASPFW leaves TRANS_LEN 0 */
		x->hdr_len = p.hdr_len;
		x->trans_len = p.trans_len;
	}
	if (err)
		return kvm_fail(k, e, id, err, fw_error);
	if (!query)
		x->trans_len = x->guest_len; /* what the firmware wrote */
	return 0;
}

/*
 * Upstream KVM has the enum values for SEND_UPDATE_VMSA and
 * RECEIVE_UPDATE_VMSA but no case for them (-EINVAL), and the VMSA lives
 * in kernel memory: SEV-ES register state cannot be migrated.  Say so
 * instead of issuing a command whose argument layout no kernel defines.
 */
static int vmsa_unsupported(struct kvm_fw *k, unsigned id, struct sm_err *e)
{
	k->fw.sys_errno = EINVAL;
	k->fw.fw_error = 0;
	return sm_err_set(e, SM_EXIT_UNSUPPORTED,
			  "%s is not supported: upstream KVM cannot migrate "
			  "SEV-ES register state",
			  sm_fw_kvm_cmd_name(id));
}

static int kvm_send_update_vmsa(struct sm_fw *fw, struct sm_fw_xfer *x,
				struct sm_err *e)
{
	(void)x;
	return vmsa_unsupported(fw->priv, KVM_SEV_SEND_UPDATE_VMSA, e);
}

static int kvm_receive_update_vmsa(struct sm_fw *fw, struct sm_fw_xfer *x,
				   struct sm_err *e)
{
	(void)x;
	return vmsa_unsupported(fw->priv, KVM_SEV_RECEIVE_UPDATE_VMSA, e);
}

/*
 * SEND_FINISH, SEND_CANCEL, RECEIVE_FINISH, LAUNCH_FINISH and
 * LAUNCH_UPDATE_VMSA: no argument; KVM passes its own handle.
 */
static int handle_only(struct sm_fw *fw, unsigned id, struct sm_err *e)
{
	struct kvm_fw *k = fw->priv;
	uint32_t fw_error;
	int err;

	if (need_vm(k, id, e))
		return -1;
	err = sev_cmd(k, id, NULL, &fw_error);
	if (err)
		return kvm_fail(k, e, id, err, fw_error);
	return 0;
}

static int kvm_send_finish(struct sm_fw *fw, struct sm_err *e)
{
	return handle_only(fw, KVM_SEV_SEND_FINISH, e);
}

static int kvm_send_cancel(struct sm_fw *fw, struct sm_err *e)
{
	return handle_only(fw, KVM_SEV_SEND_CANCEL, e);
}

static int kvm_receive_finish(struct sm_fw *fw, struct sm_err *e)
{
	return handle_only(fw, KVM_SEV_RECEIVE_FINISH, e);
}

/*
 * RECEIVE_START: the only command besides LAUNCH_START that takes
 * kvm_sev_cmd.sev_fd; KVM records that fd number for every later command
 * of this context, so our sev_dev fd stays open until close.
 */
static int kvm_receive_start(struct sm_fw *fw, struct sm_fw_receive_start *a,
			     struct sm_err *e)
{
	const unsigned id = KVM_SEV_RECEIVE_START;
	struct kvm_fw *k = fw->priv;
	struct kvm_sev_receive_start p;
	uint32_t fw_error;
	int err;

	if (need_vm(k, id, e))
		return -1;
	if (blob_len_ok(k, id, "sender PDH", a->pdh, a->pdh_len, e) ||
	    blob_len_ok(k, id, "session blob", a->session, a->session_len, e))
		return -1;
	if (k->sev_fd < 0 && open_sev(k, e))
		return -1;
	memset(&p, 0, sizeof(p));
	p.handle = a->handle;
	p.policy = a->policy;
	p.pdh_uaddr = (uintptr_t)a->pdh;
	p.pdh_len = (uint32_t)a->pdh_len;
	p.session_uaddr = (uintptr_t)a->session;
	p.session_len = (uint32_t)a->session_len;
	err = sev_cmd(k, id, &p, &fw_error);
	if (err)
		return kvm_fail(k, e, id, err, fw_error);
	a->handle = p.handle;
	k->ctx_sev_fd = k->sev_fd;
	return 0;
}

static int kvm_receive_update_data(struct sm_fw *fw, struct sm_fw_xfer *x,
				   struct sm_err *e)
{
	const unsigned id = KVM_SEV_RECEIVE_UPDATE_DATA;
	struct kvm_fw *k = fw->priv;
	struct kvm_sev_receive_update_data p;
	uint32_t fw_error;
	int err;

	if (need_vm(k, id, e))
		return -1;
	if (check_xfer(k, id, x, e))
		return -1;
	if (!x->hdr_len)
		return refuse(k, e, id, "packet header length 0");
	if (x->hdr_len > SEV_FW_BLOB_MAX || x->trans_len > SEV_FW_BLOB_MAX)
		return refuse(k, e, id,
			      "header or transport buffer larger "
			      "than KVM's limit of %u bytes",
			      SEV_FW_BLOB_MAX);
	memset(&p, 0, sizeof(p));
	p.hdr_uaddr = (uintptr_t)x->hdr;
	p.hdr_len = x->hdr_len;
	p.guest_uaddr = (uintptr_t)x->guest;
	p.guest_len = x->guest_len;
	p.trans_uaddr = (uintptr_t)x->trans;
	p.trans_len = x->trans_len;
	err = sev_cmd(k, id, &p, &fw_error);
	if (err)
		return kvm_fail(k, e, id, err, fw_error);
	return 0;
}

/* ---- the launch (a VMM starting a guest for its owner) ---- */

/*
 * LAUNCH_START: like RECEIVE_START, it takes kvm_sev_cmd.sev_fd, which
 * KVM records for every later command of the context.  KVM copies the
 * GODH and session only when their address is set; both absent asks the
 * firmware for keys of its own.
 */
static int kvm_launch_start(struct sm_fw *fw, struct sm_fw_launch_start *a,
			    struct sm_err *e)
{
	const unsigned id = KVM_SEV_LAUNCH_START;
	struct kvm_fw *k = fw->priv;
	struct kvm_sev_launch_start p;
	uint32_t fw_error;
	int err;

	if (need_vm(k, id, e))
		return -1;
	if (!a->godh != !a->session)
		return refuse(k, e, id,
			      "a GODH certificate without a session blob, or "
			      "a session blob without a GODH certificate");
	if (a->godh &&
	    (blob_len_ok(k, id, "GODH certificate", a->godh, a->godh_len, e) ||
	     blob_len_ok(k, id, "session blob", a->session, a->session_len, e)))
		return -1;
	if (k->sev_fd < 0 && open_sev(k, e))
		return -1;
	memset(&p, 0, sizeof(p));
	p.policy = a->policy;
	if (a->godh) {
		p.dh_uaddr = (uintptr_t)a->godh;
		p.dh_len = (uint32_t)a->godh_len;
		p.session_uaddr = (uintptr_t)a->session;
		p.session_len = (uint32_t)a->session_len;
	}
	err = sev_cmd(k, id, &p, &fw_error);
	if (err)
		return kvm_fail(k, e, id, err, fw_error);
	a->handle = p.handle;
	k->ctx_sev_fd = k->sev_fd;
	return 0;
}

/*
 * LAUNCH_UPDATE_DATA: KVM pins [addr, addr + len) of this process and
 * has the firmware encrypt it in place.  An empty or wrapping range is
 * KVM's EINVAL; the multiple of 16 is the firmware's rule and left to it.
 */
static int kvm_launch_update_data(struct sm_fw *fw, void *addr, size_t len,
				  struct sm_err *e)
{
	const unsigned id = KVM_SEV_LAUNCH_UPDATE_DATA;
	struct kvm_fw *k = fw->priv;
	struct kvm_sev_launch_update_data p;
	uint32_t fw_error;
	int err;

	if (need_vm(k, id, e))
		return -1;
	if (!addr || !len)
		return refuse(k, e, id,
			      "no data (KVM needs a non-empty range)");
	if (len > UINT32_MAX || (uintptr_t)addr + len < (uintptr_t)addr)
		return refuse(k, e, id,
			      "%zu bytes do not fit one command (at most "
			      "4 GiB, not wrapping)",
			      len);
	memset(&p, 0, sizeof(p));
	p.uaddr = (uintptr_t)addr;
	p.len = (uint32_t)len;
	err = sev_cmd(k, id, &p, &fw_error);
	if (err)
		return kvm_fail(k, e, id, err, fw_error);
	return 0;
}

/*
 * LAUNCH_UPDATE_VMSA has no argument: KVM builds the VMSA of every vCPU
 * of the VM from the registers the VMM set, and has each encrypted and
 * measured.  vmsas and n are fw-sim's; a VM without SEV-ES is ENOTTY.
 */
static int kvm_launch_update_vmsa(struct sm_fw *fw, const uint8_t *const *vmsas,
				  unsigned n, struct sm_err *e)
{
	(void)vmsas;
	(void)n;
	return handle_only(fw, KVM_SEV_LAUNCH_UPDATE_VMSA, e);
}

/*
 * LAUNCH_MEASURE.  The length query is len 0 (KVM then passes no
 * buffer): the firmware answers INVALID_LENGTH and KVM copies the length
 * back, which we return as a failure with *len set (the fw.h contract).
 */
static int kvm_launch_measure(struct sm_fw *fw, uint8_t *out, uint32_t *len,
			      struct sm_err *e)
{
	const unsigned id = KVM_SEV_LAUNCH_MEASURE;
	struct kvm_fw *k = fw->priv;
	struct kvm_sev_launch_measure p;
	uint32_t fw_error;
	int err, query;

	if (need_vm(k, id, e))
		return -1;
	memset(&p, 0, sizeof(p));
	query = !out || *len < SM_FW_LAUNCH_MEASURE_LEN;
	if (!query) {
		if (*len > SEV_FW_BLOB_MAX)
			*len = SEV_FW_BLOB_MAX; /* KVM's limit; 48 is used */
		p.uaddr = (uintptr_t)out;
		p.len = *len;
	}
	err = sev_cmd(k, id, &p, &fw_error);
	if (!err || fw_error)
		*len = p.len; /* the firmware answered */
	if (err)
		return kvm_fail(k, e, id, err, fw_error);
	if (query) {
		/* a firmware that answers a query with success: still one */
		k->fw.fw_error = SM_FW_INVALID_LENGTH;
		return sm_fw_fail(&k->fw, e, sm_fw_kvm_cmd_name(id), 0,
				  SM_FW_INVALID_LENGTH);
	}
	return 0;
}

/*
 * LAUNCH_SECRET.  KVM copies header and ciphertext (each non-empty, at
 * most 16 KiB) and pins the guest range, which must be physically
 * contiguous: it refuses a range over a page boundary unless the pages
 * happen to be adjacent, which only it can see.
 */
static int kvm_launch_secret(struct sm_fw *fw,
			     const struct sm_fw_launch_secret *a,
			     struct sm_err *e)
{
	const unsigned id = KVM_SEV_LAUNCH_SECRET;
	struct kvm_fw *k = fw->priv;
	struct kvm_sev_launch_secret p;
	uint32_t fw_error;
	int err;

	if (need_vm(k, id, e))
		return -1;
	if (blob_len_ok(k, id, "packet header", a->hdr, a->hdr_len, e) ||
	    blob_len_ok(k, id, "secret", a->trans, a->trans_len, e))
		return -1;
	if (!a->guest || !a->guest_len)
		return refuse(k, e, id, "no guest buffer");
	memset(&p, 0, sizeof(p));
	p.hdr_uaddr = (uintptr_t)a->hdr;
	p.hdr_len = a->hdr_len;
	p.guest_uaddr = (uintptr_t)a->guest;
	p.guest_len = a->guest_len;
	p.trans_uaddr = (uintptr_t)a->trans;
	p.trans_len = a->trans_len;
	err = sev_cmd(k, id, &p, &fw_error);
	if (err)
		return kvm_fail(k, e, id, err, fw_error);
	return 0;
}

static int kvm_launch_finish(struct sm_fw *fw, struct sm_err *e)
{
	return handle_only(fw, KVM_SEV_LAUNCH_FINISH, e);
}

static const struct sm_fw_ops kvm_ops = {
	.name = "kvm",
	.platform_status = kvm_platform_status,
	.pdh_cert_export = kvm_pdh_cert_export,
	.guest_status = kvm_guest_status,
	.send_start = kvm_send_start,
	.send_update_data = kvm_send_update_data,
	.send_update_vmsa = kvm_send_update_vmsa,
	.send_finish = kvm_send_finish,
	.send_cancel = kvm_send_cancel,
	.receive_start = kvm_receive_start,
	.receive_update_data = kvm_receive_update_data,
	.receive_update_vmsa = kvm_receive_update_vmsa,
	.receive_finish = kvm_receive_finish,
	.launch_start = kvm_launch_start,
	.launch_update_data = kvm_launch_update_data,
	.launch_update_vmsa = kvm_launch_update_vmsa,
	.launch_measure = kvm_launch_measure,
	.launch_secret = kvm_launch_secret,
	.launch_finish = kvm_launch_finish,
	.register_region = sm_fw_kvm_register_region,
	.context_fd = sm_fw_kvm_vm_fd,
	.close = kvm_close,
};
