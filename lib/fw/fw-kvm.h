/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_FW_KVM_H
#define SEVMIG_FW_KVM_H

/*
 * The real firmware backend: SEV commands through KVM_MEMORY_ENCRYPT_OP
 * on a KVM VM that *this* process created, platform commands through
 * /dev/sev.  Facts: shared/reference/sev-migration-protocol.md sections 3
 * and 4, docs/sevmig-kvm.7.
 *
 * KVM refuses VM ioctls from any process but the VM's creator (-EIO), so a
 * guest context launched by a VMM is first moved into a VM of ours with
 * KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM (sm_fw_kvm_open_source).  That move
 * leaves the VMM's VM dead; handing the context back (or on, after
 * RECEIVE_FINISH) is the same move in the other direction, done by the
 * VMM on its own new VM with our VM fd (sm_fw_kvm_vm_fd) as the argument.
 *
 * Closing a kvm backend destroys its VM; if the guest context is still in
 * it, KVM runs DEACTIVATE and DECOMMISSION and the guest is gone.  Hand it
 * on first.
 *
 * sm_fw_close() (ops->close) frees everything the open call allocated,
 * including the struct sm_fw itself.
 */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "fw/fw.h"

#define SM_KVM_DEV "/dev/kvm"
#define SM_SEV_DEV "/dev/sev"

/*
 * The KVM VM type of the VM this backend creates.  A move needs the
 * source's type (QEMU uses the default type unless told otherwise);
 * AUTO, the zero value, tries the default type first, then the SEV or
 * SEV-ES type if this KVM offers it.
 */
enum sm_kvm_vm_type {
	SM_KVM_VM_AUTO = 0,
	SM_KVM_VM_DEFAULT, /* KVM_X86_DEFAULT_VM (0), KVM_SEV_INIT */
	SM_KVM_VM_SEV, /* KVM_X86_SEV_VM (2), KVM_SEV_INIT2 */
	SM_KVM_VM_SEV_ES, /* KVM_X86_SEV_ES_VM (3), KVM_SEV_INIT2 */
};

/*
 * ioctl(2) as the backend issues it; replaceable so that tests can play
 * KVM without /dev/kvm (every KVM ioctl of this module goes through it).
 * Returns what ioctl(2) returns, with errno set on -1.
 */
typedef int (*sm_fw_kvm_ioctl_fn)(int fd, unsigned long req, void *arg);

struct sm_fw_kvm_opts {
	unsigned nvcpus; /* vCPUs of the guest (SEV-ES: required) */
	int es; /* an SEV-ES guest */
	enum sm_kvm_vm_type vm_type; /* 0: AUTO */
	const char *kvm_dev; /* NULL: /dev/kvm */
	const char *sev_dev; /* NULL: /dev/sev */
	sm_fw_kvm_ioctl_fn ioctl_fn; /* NULL: ioctl(2); for tests */
};

/*
 * Take a paused guest's encryption context from src_vm_fd (a VMM's KVM VM
 * fd, received with SCM_RIGHTS or pidfd_getfd) into a new VM of this
 * process, and return a backend driving it.  Steps, each checked before
 * the one that cannot be undone:
 *   1. open sev_dev (missing: SM_EXIT_UNSUPPORTED naming the device);
 *   2. open kvm_dev, check KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM (206), create
 *      a VM of o->vm_type, check that KVM has SEV;
 *   3. SEV-ES: create o->nvcpus vCPUs (KVM requires the source's count);
 *   4. raise RLIMIT_MEMLOCK as far as allowed (the source's pinned RAM is
 *      accounted to this process from now on);
 *   5. put sev_dev on fd 0 (KVM resolves the fd number the context was
 *      launched with, which after a move is 0), saving the old fd 0;
 *   6. KVM_ENABLE_CAP(206, args[0] = src_vm_fd); with AUTO, an EINVAL
 *      (types differ) is retried once from a VM of the SEV / SEV-ES type.
 *      On success the VMM's VM is dead.  On failure nothing was moved and
 *      the source is intact.
 * o may be NULL (plain SEV, AUTO, default devices).
 * src_vm_fd stays the caller's.  Fails with SM_EXIT_UNSUPPORTED when the
 * host lacks KVM, SEV or the move capability, SM_EXIT_VM when KVM refuses.
 * While the backend is open, stdin (fd 0) is /dev/sev; sm_fw_close puts
 * the old fd 0 back.
 */
int sm_fw_kvm_open_source(int src_vm_fd, const struct sm_fw_kvm_opts *o,
			  struct sm_fw **fw, struct sm_err *e);

/*
 * A fresh SEV (or SEV-ES) VM of this process, ready for RECEIVE_START:
 * opens sev_dev (its fd goes into kvm_sev_cmd.sev_fd and stays open, as
 * KVM resolves it for every later command), creates the VM, runs
 * KVM_SEV_INIT / KVM_SEV_ES_INIT (type 0) or KVM_SEV_INIT2 (types 2/3),
 * then creates o->nvcpus vCPUs for SEV-ES.  Upstream KVM cannot receive
 * SEV-ES register state, so an SEV-ES context received here can be filled
 * with memory but not handed on to a VMM.
 */
int sm_fw_kvm_open_receive(const struct sm_fw_kvm_opts *o, struct sm_fw **fw,
			   struct sm_err *e);

/*
 * The same fresh VM, for a VMM of this process launching a guest: after
 * the init command it is ready for LAUNCH_START (sm_fw_launch_start),
 * which passes the sev_dev fd as RECEIVE_START does.  For SEV-ES, the
 * o->nvcpus vCPUs exist before LAUNCH_UPDATE_VMSA encrypts their VMSAs.
 */
int sm_fw_kvm_open_launch(const struct sm_fw_kvm_opts *o, struct sm_fw **fw,
			  struct sm_err *e);

/*
 * A backend for platform commands only (PLATFORM_STATUS, PDH_CERT_EXPORT
 * through /dev/sev); guest commands fail.  A missing device is
 * SM_EXIT_UNSUPPORTED naming it.  sev_dev NULL: /dev/sev.
 */
int sm_fw_kvm_open_platform(const char *sev_dev, struct sm_fw **fw,
			    struct sm_err *e);

/*
 * Wrap a KVM VM fd that this process created and that already holds an
 * SEV context (an in-process VMM, or tests).  vm_fd is dup'd; the caller
 * keeps its own.  Only o->sev_dev and o->ioctl_fn are used; sev_dev is
 * opened when RECEIVE_START needs it.
 */
int sm_fw_kvm_attach(int vm_fd, const struct sm_fw_kvm_opts *o,
		     struct sm_fw **fw, struct sm_err *e);

/*
 * The backend's VM fd (owned by fw), for handing the context on: the
 * receiving VMM moves it into its own VM with
 * KVM_ENABLE_CAP(KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM, args[0] = this fd),
 * after which this backend's VM is dead (every command fails with EIO).
 * -1 for a platform-only backend or a fw of another kind.
 */
int sm_fw_kvm_vm_fd(struct sm_fw *fw);

/*
 * Pin a range of this process's mapping of guest memory to the context
 * (KVM_MEMORY_ENCRYPT_REG_REGION), as a VMM does for SEV guest RAM: SEV
 * ciphertext is bound to the host physical page, so pages that receive
 * encrypted data must not be moved by the kernel before the guest runs.
 * An importer calls it on its mapping of the target VMM's guest RAM after
 * sm_fw_kvm_open_receive and before RECEIVE_UPDATE_DATA; the pins move
 * with the context to the VMM.  Counted against RLIMIT_MEMLOCK unless the
 * process has CAP_IPC_LOCK.  Needs a VM with an SEV context.
 */
int sm_fw_kvm_register_region(struct sm_fw *fw, void *addr, size_t len,
			      struct sm_err *e);

/*
 * The move itself: KVM_ENABLE_CAP(206, args[0] = src_vm_fd) on dst_vm_fd,
 * a VM this process created.  For VMMs adopting a context from sevmig.
 * Failures decoded (EBADF: not a VM; EINVAL: types differ, not SEV, ES
 * vCPU mismatch; EBUSY: vCPU creation or another move in progress, or
 * the misc cgroup has no ASID left).  A running vCPU makes it wait: pause
 * the source first.
 */
int sm_fw_kvm_move_context(int dst_vm_fd, int src_vm_fd, struct sm_err *e);

/* What this host's KVM offers, for diagnostics (fw-kvm-probe, --check). */
struct sm_fw_kvm_caps {
	int api_version; /* KVM_GET_API_VERSION (12) */
	int move_cap; /* KVM_CHECK_EXTENSION(206) > 0 */
	int copy_cap; /* KVM_CHECK_EXTENSION(197) > 0 */
	int vm_types; /* KVM_CAP_VM_TYPES bitmask; 1 (type 0 only) if absent */
	int sev; /* KVM_MEMORY_ENCRYPT_OP is handled for VMs */
	int sev_errno; /* why not, when !sev */
};

/*
 * Open kvm_dev (NULL: /dev/kvm), create a throwaway type-0 VM and fill c.
 * Fails (SM_EXIT_UNSUPPORTED) only when KVM itself is unusable.
 */
int sm_fw_kvm_probe(const char *kvm_dev, sm_fw_kvm_ioctl_fn ioctl_fn,
		    struct sm_fw_kvm_caps *c, struct sm_err *e);

/* "KVM_SEV_SEND_START", ...; "KVM_SEV_<n>" outside the table. */
const char *sm_fw_kvm_cmd_name(unsigned id);

#endif
