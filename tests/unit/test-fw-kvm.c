// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/fw/fw-kvm.c without /dev/kvm or /dev/sev: the UAPI
 * layouts against reference section 3.2, and every op and open path
 * against a fake KVM (the backend's ioctl hook) that records what the
 * kernel would have been given and answers as KVM and the firmware do.
 * /dev/null stands in for the device nodes and for the VM and vCPU fds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "base/err.h"
#include "fw/fw-kvm.h"
#include "fw/fw.h"
#include "fw/sevcrypto.h"

#define MAX_CALLS 64

/* One recorded ioctl. */
struct call {
	unsigned long req;
	int fd;
	unsigned long arg; /* the integer argument, or the cmd id */
	struct kvm_sev_cmd cmd;
	union {
		struct kvm_sev_send_start ss;
		struct kvm_sev_send_update_data su;
		struct kvm_sev_receive_start rs;
		struct kvm_sev_receive_update_data ru;
		struct kvm_sev_guest_status gs;
		struct kvm_enable_cap cap;
		struct kvm_enc_region reg;
		struct kvm_sev_launch_start ls;
		struct kvm_sev_launch_update_data lu;
		struct kvm_sev_launch_measure lm;
		struct kvm_sev_launch_secret lsec;
	} u;
	int has_data;
};

/* The fake KVM's behaviour, and what it saw. */
static struct fake {
	int api, move_cap, vm_types, sev;
	int create_vm_errno[4];
	int enable_cap_errno[4]; /* by the destination VM's type */
	int memenc_errno; /* fail the next SEV command with this */
	uint32_t memenc_fwerr;
	unsigned memenc_fail_id; /* ... only this id (~0: any) */
	uint32_t policy, state, handle;
	int vm_type_of_fd[1024];
	struct call calls[MAX_CALLS];
	int ncalls;
} F;

static int devnull(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_true(fd < 1024);
	return fd;
}

static int kfail(int err)
{
	errno = err;
	return -1;
}

static int fake_memenc(struct call *c, struct kvm_sev_cmd *cmd)
{
	void *data = (void *)(uintptr_t)cmd->data;

	c->cmd = *cmd;
	c->arg = cmd->id;
	switch (cmd->id) {
	case KVM_SEV_SEND_START:
		memcpy(&c->u.ss, data, sizeof(c->u.ss));
		break;
	case KVM_SEV_SEND_UPDATE_DATA:
		memcpy(&c->u.su, data, sizeof(c->u.su));
		break;
	case KVM_SEV_RECEIVE_START:
		memcpy(&c->u.rs, data, sizeof(c->u.rs));
		break;
	case KVM_SEV_RECEIVE_UPDATE_DATA:
		memcpy(&c->u.ru, data, sizeof(c->u.ru));
		break;
	case KVM_SEV_LAUNCH_START:
		memcpy(&c->u.ls, data, sizeof(c->u.ls));
		break;
	case KVM_SEV_LAUNCH_UPDATE_DATA:
		memcpy(&c->u.lu, data, sizeof(c->u.lu));
		break;
	case KVM_SEV_LAUNCH_MEASURE:
		memcpy(&c->u.lm, data, sizeof(c->u.lm));
		break;
	case KVM_SEV_LAUNCH_SECRET:
		memcpy(&c->u.lsec, data, sizeof(c->u.lsec));
		break;
	default:
		break;
	}
	c->has_data = data != NULL;
	if (!F.sev)
		return kfail(ENOTTY);
	if (F.memenc_errno &&
	    (F.memenc_fail_id == ~0u || F.memenc_fail_id == cmd->id)) {
		cmd->error = F.memenc_fwerr;
		return kfail(F.memenc_errno);
	}
	/* Success paths, as sev.c and the firmware answer them. */
	switch (cmd->id) {
	case KVM_SEV_GUEST_STATUS: {
		struct kvm_sev_guest_status *gs = data;

		gs->handle = F.handle;
		gs->policy = F.policy;
		gs->state = F.state;
		return 0;
	}
	case KVM_SEV_SEND_START: {
		struct kvm_sev_send_start *p = data;

		if (!p->session_len) {
			p->session_len = SM_SESSION_LEN;
			cmd->error = SM_FW_INVALID_LENGTH;
			return kfail(EIO);
		}
		memset((void *)(uintptr_t)p->session_uaddr, 0xa5,
		       SM_SESSION_LEN);
		p->policy = F.policy;
		p->session_len = SM_SESSION_LEN;
		return 0;
	}
	case KVM_SEV_SEND_UPDATE_DATA: {
		struct kvm_sev_send_update_data *p = data;

		if (!p->hdr_len || !p->trans_len) {
			p->hdr_len = SM_PKT_HDR_LEN;
			cmd->error = SM_FW_INVALID_LENGTH;
			return kfail(EIO);
		}
		memset((void *)(uintptr_t)p->hdr_uaddr, 0x11, p->hdr_len);
		memset((void *)(uintptr_t)p->trans_uaddr, 0x22, p->trans_len);
		return 0;
	}
	case KVM_SEV_RECEIVE_START: {
		struct kvm_sev_receive_start *p = data;

		p->handle = 7;
		return 0;
	}
	case KVM_SEV_LAUNCH_START: {
		struct kvm_sev_launch_start *p = data;

		p->handle = 9;
		return 0;
	}
	case KVM_SEV_LAUNCH_MEASURE: {
		/* sev.c: len 0 asks; the firmware says INVALID_LEN */
		struct kvm_sev_launch_measure *p = data;

		if (!p->len) {
			p->len = SM_FW_LAUNCH_MEASURE_LEN;
			cmd->error = SM_FW_INVALID_LENGTH;
			return kfail(EIO);
		}
		memset((void *)(uintptr_t)p->uaddr, 0x5a,
		       SM_FW_LAUNCH_MEASURE_LEN);
		p->len = SM_FW_LAUNCH_MEASURE_LEN;
		return 0;
	}
	default:
		return 0;
	}
}

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	struct call *c;
	int vfd;

	assert_true(F.ncalls < MAX_CALLS);
	c = &F.calls[F.ncalls++];
	memset(c, 0, sizeof(*c));
	c->req = req;
	c->fd = fd;
	switch (req) {
	case KVM_GET_API_VERSION:
		return F.api;
	case KVM_CHECK_EXTENSION:
		c->arg = (unsigned long)arg;
		if (c->arg == KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM)
			return F.move_cap;
		if (c->arg == 235) /* KVM_CAP_VM_TYPES */
			return F.vm_types;
		return 0;
	case KVM_CREATE_VM:
		c->arg = (unsigned long)arg;
		if (c->arg > 3)
			return kfail(EINVAL);
		if (F.create_vm_errno[c->arg])
			return kfail(F.create_vm_errno[c->arg]);
		vfd = devnull();
		F.vm_type_of_fd[vfd] = (int)c->arg;
		return vfd;
	case KVM_CREATE_VCPU:
		c->arg = (unsigned long)arg;
		return devnull();
	case KVM_ENABLE_CAP:
		memcpy(&c->u.cap, arg, sizeof(c->u.cap));
		if (F.enable_cap_errno[F.vm_type_of_fd[fd]])
			return kfail(F.enable_cap_errno[F.vm_type_of_fd[fd]]);
		return 0;
	case KVM_MEMORY_ENCRYPT_REG_REGION:
		memcpy(&c->u.reg, arg, sizeof(c->u.reg));
		if (!F.sev)
			return kfail(ENOTTY);
		return F.memenc_errno ? kfail(F.memenc_errno) : 0;
	case KVM_MEMORY_ENCRYPT_OP:
		if (!arg) {
			c->arg = ~0ul;
			return F.sev ? 0 : kfail(ENOTTY);
		}
		return fake_memenc(c, arg);
	default:
		return kfail(ENOTTY);
	}
}

/* The index of the n-th call with this request (and id), or -1. */
static int find_call(unsigned long req, long id, int nth)
{
	int i;

	for (i = 0; i < F.ncalls; i++)
		if (F.calls[i].req == req &&
		    (id < 0 || F.calls[i].arg == (unsigned long)id) &&
		    nth-- == 0)
			return i;
	return -1;
}

static int count_calls(unsigned long req)
{
	int i, n = 0;

	for (i = 0; i < F.ncalls; i++)
		n += F.calls[i].req == req;
	return n;
}

static int setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof(F));
	F.api = 12;
	F.move_cap = 1;
	F.vm_types = 1;
	F.sev = 1;
	F.memenc_fail_id = ~0u;
	F.policy = 0x1;
	F.state = SM_GUEST_RUNNING;
	F.handle = 3;
	return 0;
}

static const struct sm_fw_kvm_opts fake_opts = {
	.kvm_dev = "/dev/null",
	.sev_dev = "/dev/null",
	.ioctl_fn = fake_ioctl,
};

/* A backend on a fake VM, as after a successful move. */
static struct sm_fw *attached(void)
{
	struct sm_fw *fw;
	struct sm_err e;
	int fd = devnull();

	assert_int_equal(sm_fw_kvm_attach(fd, &fake_opts, &fw, &e), 0);
	close(fd);
	return fw;
}

/* ---- layouts (reference section 3.2) ---- */

static void test_layouts(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct kvm_sev_cmd), 24);
	assert_int_equal(offsetof(struct kvm_sev_cmd, data), 8);
	assert_int_equal(offsetof(struct kvm_sev_cmd, error), 16);
	assert_int_equal(offsetof(struct kvm_sev_cmd, sev_fd), 20);

	assert_int_equal(sizeof(struct kvm_sev_send_start), 72);
	assert_int_equal(offsetof(struct kvm_sev_send_start, policy), 0);
	assert_int_equal(offsetof(struct kvm_sev_send_start, pdh_cert_uaddr),
			 8);
	assert_int_equal(offsetof(struct kvm_sev_send_start, pdh_cert_len), 16);
	assert_int_equal(offsetof(struct kvm_sev_send_start, plat_certs_uaddr),
			 24);
	assert_int_equal(offsetof(struct kvm_sev_send_start, plat_certs_len),
			 32);
	assert_int_equal(offsetof(struct kvm_sev_send_start, amd_certs_uaddr),
			 40);
	assert_int_equal(offsetof(struct kvm_sev_send_start, amd_certs_len),
			 48);
	assert_int_equal(offsetof(struct kvm_sev_send_start, session_uaddr),
			 56);
	assert_int_equal(offsetof(struct kvm_sev_send_start, session_len), 64);

	assert_int_equal(sizeof(struct kvm_sev_send_update_data), 48);
	assert_int_equal(offsetof(struct kvm_sev_send_update_data, hdr_uaddr),
			 0);
	assert_int_equal(offsetof(struct kvm_sev_send_update_data, hdr_len), 8);
	assert_int_equal(offsetof(struct kvm_sev_send_update_data, guest_uaddr),
			 16);
	assert_int_equal(offsetof(struct kvm_sev_send_update_data, guest_len),
			 24);
	assert_int_equal(offsetof(struct kvm_sev_send_update_data, trans_uaddr),
			 32);
	assert_int_equal(offsetof(struct kvm_sev_send_update_data, trans_len),
			 40);
	assert_int_equal(sizeof(struct kvm_sev_receive_update_data), 48);
	assert_int_equal(
		offsetof(struct kvm_sev_receive_update_data, guest_uaddr), 16);
	assert_int_equal(
		offsetof(struct kvm_sev_receive_update_data, trans_len), 40);

	assert_int_equal(sizeof(struct kvm_sev_receive_start), 40);
	assert_int_equal(offsetof(struct kvm_sev_receive_start, handle), 0);
	assert_int_equal(offsetof(struct kvm_sev_receive_start, policy), 4);
	assert_int_equal(offsetof(struct kvm_sev_receive_start, pdh_uaddr), 8);
	assert_int_equal(offsetof(struct kvm_sev_receive_start, pdh_len), 16);
	assert_int_equal(offsetof(struct kvm_sev_receive_start, session_uaddr),
			 24);
	assert_int_equal(offsetof(struct kvm_sev_receive_start, session_len),
			 32);

	assert_int_equal(sizeof(struct kvm_sev_guest_status), 12);
	assert_int_equal(sizeof(struct kvm_enable_cap), 104);
	assert_int_equal(offsetof(struct kvm_enable_cap, args), 8);

	/* ioctl numbers and command ids of sections 3.1, 4.2 and 7 */
	assert_int_equal(KVM_MEMORY_ENCRYPT_OP, 0xC008AEBAul);
	assert_int_equal(KVM_ENABLE_CAP, 0x4068AEA3ul);
	assert_int_equal(KVM_CREATE_VM, 0xAE01ul);
	assert_int_equal(KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM, 206);
	assert_int_equal(KVM_SEV_SEND_START, 8);
	assert_int_equal(KVM_SEV_SEND_UPDATE_DATA, 9);
	assert_int_equal(KVM_SEV_SEND_UPDATE_VMSA, 10);
	assert_int_equal(KVM_SEV_SEND_FINISH, 11);
	assert_int_equal(KVM_SEV_RECEIVE_START, 12);
	assert_int_equal(KVM_SEV_RECEIVE_UPDATE_DATA, 13);
	assert_int_equal(KVM_SEV_RECEIVE_UPDATE_VMSA, 14);
	assert_int_equal(KVM_SEV_RECEIVE_FINISH, 15);
	assert_int_equal(KVM_SEV_GUEST_STATUS, 16);
	assert_int_equal(KVM_SEV_SEND_CANCEL, 21);
}

static void test_cmd_names(void **state)
{
	(void)state;
	assert_string_equal(sm_fw_kvm_cmd_name(KVM_SEV_SEND_START),
			    "KVM_SEV_SEND_START");
	assert_string_equal(sm_fw_kvm_cmd_name(KVM_SEV_SEND_CANCEL),
			    "KVM_SEV_SEND_CANCEL");
	assert_string_equal(sm_fw_kvm_cmd_name(22), "KVM_SEV_INIT2");
	assert_string_equal(sm_fw_kvm_cmd_name(99), "KVM_SEV_UNKNOWN");
}

/* ---- opening ---- */

static void test_platform_missing_device(void **state)
{
	struct sm_fw *fw = (void *)1;
	struct sm_err e;

	(void)state;
	assert_int_equal(sm_fw_kvm_open_platform("/nonexistent/sev", &fw, &e),
			 -1);
	assert_null(fw);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg,
			    "cannot open SEV device '/nonexistent/sev': No "
			    "such file or directory; this host has no SEV "
			    "firmware interface (ccp driver not loaded, or SEV "
			    "disabled in the BIOS)");
}

static void test_platform_has_no_vm(void **state)
{
	struct sm_fw_guest_status st;
	struct sm_fw *fw;
	struct sm_err e;

	(void)state;
	assert_int_equal(sm_fw_kvm_open_platform("/dev/null", &fw, &e), 0);
	assert_string_equal(fw->ops->name, "kvm");
	assert_int_equal(sm_fw_kvm_vm_fd(fw), -1);
	assert_int_equal(fw->ops->guest_status(fw, &st, &e), -1);
	assert_int_equal(e.code, SM_EXIT_FAILURE);
	assert_string_equal(e.msg, "KVM_SEV_GUEST_STATUS: no VM: this backend "
				   "was opened for platform commands only");
	sm_fw_close(fw);
}

static void test_source_missing_sev_first(void **state)
{
	struct sm_fw_kvm_opts o = fake_opts;
	struct sm_fw *fw;
	struct sm_err e;

	(void)state;
	o.sev_dev = "/nonexistent/sev";
	assert_int_equal(sm_fw_kvm_open_source(5, &o, &fw, &e), -1);
	assert_null(fw);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "cannot open SEV device "
				      "'/nonexistent/sev': No such file"));
	assert_int_equal(F.ncalls, 0); /* checked before any ioctl */
}

static void test_source_missing_kvm(void **state)
{
	struct sm_fw_kvm_opts o = fake_opts;
	struct sm_fw *fw;
	struct sm_err e;

	(void)state;
	o.kvm_dev = "/nonexistent/kvm";
	assert_int_equal(sm_fw_kvm_open_source(5, &o, &fw, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, "cannot open KVM device '/nonexistent/kvm': "
				   "No such file or directory");
	assert_int_equal(F.ncalls, 0);
}

static void test_source_not_a_kvm_device(void **state)
{
	struct sm_fw_kvm_opts o = { .kvm_dev = "/dev/null",
				    .sev_dev = "/dev/null" };
	struct sm_fw *fw;
	struct sm_err e;

	(void)state;
	/* the real ioctl(2) on /dev/null: ENOTTY */
	assert_int_equal(sm_fw_kvm_open_source(5, &o, &fw, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, "'/dev/null' is not a KVM device: "
				   "KVM_GET_API_VERSION: Inappropriate ioctl "
				   "for device");
}

static void test_source_bad_args(void **state)
{
	struct sm_fw_kvm_opts o = fake_opts;
	struct sm_fw *fw;
	struct sm_err e;

	(void)state;
	assert_int_equal(sm_fw_kvm_open_source(-1, &o, &fw, &e), -1);
	assert_string_equal(e.msg, "invalid source VM fd -1");
	o.es = 1;
	assert_int_equal(sm_fw_kvm_open_source(5, &o, &fw, &e), -1);
	assert_int_equal(e.code, SM_EXIT_FAILURE);
	assert_string_equal(e.msg, "an SEV-ES context needs the guest's vCPU "
				   "count (KVM moves one VMSA per vCPU)");
	o.nvcpus = 2;
	o.vm_type = SM_KVM_VM_SEV;
	assert_int_equal(sm_fw_kvm_open_source(5, &o, &fw, &e), -1);
	assert_string_equal(e.msg,
			    "an SEV-ES context needs the SEV-ES VM type");
	o.vm_type = 9;
	assert_int_equal(sm_fw_kvm_open_source(5, &o, &fw, &e), -1);
	assert_string_equal(e.msg, "unknown VM type 9");
	assert_int_equal(F.ncalls, 0);
}

static void test_source_no_move_cap(void **state)
{
	struct sm_fw *fw;
	struct sm_err e;

	(void)state;
	F.move_cap = 0;
	assert_int_equal(sm_fw_kvm_open_source(5, &fake_opts, &fw, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg,
			    "this kernel does not support "
			    "KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM (206; Linux "
			    "5.16 or later)");
	assert_int_equal(count_calls(KVM_CREATE_VM), 0);
}

static void test_source_kvm_without_sev(void **state)
{
	struct sm_fw *fw;
	struct sm_err e;

	(void)state;
	F.sev = 0;
	assert_int_equal(sm_fw_kvm_open_source(5, &fake_opts, &fw, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, "KVM on this host has no SEV support: "
				   "KVM_MEMORY_ENCRYPT_OP: Inappropriate ioctl "
				   "for device");
	/* the source was never touched */
	assert_int_equal(count_calls(KVM_ENABLE_CAP), 0);
}

static void test_source_moves_context(void **state)
{
	struct sm_fw_guest_status st;
	struct stat before, during, devn, after;
	int p[2], saved0, i, vm;
	struct sm_fw *fw;
	struct sm_err e;

	(void)state;
	/* fd 0 is a pipe: it must come back after close */
	saved0 = dup(0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(dup2(p[0], 0), 0);
	assert_int_equal(fstat(0, &before), 0);
	assert_int_equal(stat("/dev/null", &devn), 0);

	assert_int_equal(sm_fw_kvm_open_source(42, &fake_opts, &fw, &e), 0);
	vm = sm_fw_kvm_vm_fd(fw);
	assert_true(vm > 2);

	i = find_call(KVM_CREATE_VM, -1, 0);
	assert_true(i >= 0);
	assert_int_equal(F.calls[i].arg, 0); /* type 0 first */
	assert_int_equal(count_calls(KVM_CREATE_VCPU), 0); /* plain SEV */
	i = find_call(KVM_ENABLE_CAP, -1, 0);
	assert_true(i >= 0);
	assert_int_equal(F.calls[i].fd, vm);
	assert_int_equal(F.calls[i].u.cap.cap, 206);
	assert_int_equal(F.calls[i].u.cap.args[0], 42);
	assert_int_equal(F.calls[i].u.cap.flags, 0);

	/* the SEV device (here /dev/null) sits on fd 0, close-on-exec */
	assert_int_equal(fstat(0, &during), 0);
	assert_int_equal(during.st_rdev, devn.st_rdev);
	assert_true(fcntl(0, F_GETFD) & FD_CLOEXEC);

	assert_int_equal(fw->ops->guest_status(fw, &st, &e), 0);
	assert_int_equal(st.handle, 3);
	assert_int_equal(st.policy, 1);
	assert_int_equal(st.state, SM_GUEST_RUNNING);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_GUEST_STATUS, 0);
	assert_int_equal(F.calls[i].fd, vm);

	sm_fw_close(fw);
	assert_int_equal(fstat(0, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_dev, before.st_dev);

	dup2(saved0, 0);
	close(saved0);
	close(p[0]);
	close(p[1]);
}

static void test_source_es_creates_vcpus_first(void **state)
{
	struct sm_fw_kvm_opts o = fake_opts;
	struct sm_fw *fw;
	struct sm_err e;
	int cap, i;

	(void)state;
	o.es = 1;
	o.nvcpus = 4;
	assert_int_equal(sm_fw_kvm_open_source(9, &o, &fw, &e), 0);
	assert_int_equal(count_calls(KVM_CREATE_VCPU), 4);
	cap = find_call(KVM_ENABLE_CAP, -1, 0);
	for (i = 0; i < 4; i++) {
		int v = find_call(KVM_CREATE_VCPU, -1, i);

		assert_true(v >= 0 && v < cap);
		assert_int_equal(F.calls[v].arg, i);
	}
	sm_fw_close(fw);
}

static void test_source_auto_retries_sev_type(void **state)
{
	struct sm_fw *fw;
	struct sm_err e;
	int i;

	(void)state;
	F.vm_types = 1 | 1 << 2 | 1 << 3;
	F.enable_cap_errno[0] = EINVAL; /* QEMU made a type-2 VM */
	assert_int_equal(sm_fw_kvm_open_source(9, &fake_opts, &fw, &e), 0);
	assert_int_equal(count_calls(KVM_CREATE_VM), 2);
	i = find_call(KVM_CREATE_VM, -1, 1);
	assert_int_equal(F.calls[i].arg, 2);
	assert_int_equal(count_calls(KVM_ENABLE_CAP), 2);
	sm_fw_close(fw);
}

static void test_source_move_einval(void **state)
{
	struct sm_fw *fw;
	struct sm_err e;

	(void)state;
	F.vm_types = 1 | 1 << 2;
	F.enable_cap_errno[0] = EINVAL;
	F.enable_cap_errno[2] = EINVAL;
	assert_int_equal(sm_fw_kvm_open_source(9, &fake_opts, &fw, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_string_equal(
		e.msg, "KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM from VM fd 9 "
		       "failed: Invalid argument; the source is not an "
		       "SEV guest, its VM type differs from ours (tried "
		       "VM types 0 and 2), the destination already has an "
		       "SEV context, or (SEV-ES) the vCPU counts differ or "
		       "the source's VMSAs are not encrypted yet");
}

static void test_source_move_errors(void **state)
{
	struct sm_fw_kvm_opts o = fake_opts;
	struct sm_fw *fw;
	struct sm_err e;

	(void)state;
	o.vm_type = SM_KVM_VM_DEFAULT;
	F.vm_types = 1 | 1 << 2; /* not tried: the type was given */
	F.enable_cap_errno[0] = EBADF;
	assert_int_equal(sm_fw_kvm_open_source(9, &o, &fw, &e), -1);
	assert_string_equal(e.msg, "KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM from VM "
				   "fd 9 failed: Bad file descriptor; fd 9 is "
				   "not a KVM VM");
	assert_int_equal(count_calls(KVM_CREATE_VM), 1);

	F.enable_cap_errno[0] = EBUSY;
	assert_int_equal(sm_fw_kvm_open_source(9, &o, &fw, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_string_equal(e.msg, "KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM from VM "
				   "fd 9 failed: Device or resource busy; a "
				   "vCPU of either VM is being created, either "
				   "VM is already being migrated, or this "
				   "process's misc cgroup has no SEV ASID "
				   "left");
}

static void test_move_context_not_a_vm(void **state)
{
	struct sm_err e;
	int a = devnull(), b = devnull();

	(void)state;
	/* real ioctl(2) on /dev/null: ENOTTY, and no SEV to be found */
	assert_int_equal(sm_fw_kvm_move_context(a, b, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_non_null(strstr(e.msg, "KVM_CAP_VM_MOVE_ENC_CONTEXT_FROM from "
				      "VM fd "));
	assert_non_null(strstr(e.msg, "Inappropriate ioctl for device"));
	close(a);
	close(b);
}

static void test_receive_opens_sev_vm(void **state)
{
	struct sm_fw_kvm_opts o = fake_opts;
	struct sm_fw *fw;
	struct sm_err e;
	int init, i;

	(void)state;
	assert_int_equal(sm_fw_kvm_open_receive(&o, &fw, &e), 0);
	init = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_INIT, 0);
	assert_true(init >= 0);
	assert_int_equal(count_calls(KVM_CREATE_VCPU), 0);
	sm_fw_close(fw);

	setup(NULL);
	o.es = 1;
	o.nvcpus = 2;
	assert_int_equal(sm_fw_kvm_open_receive(&o, &fw, &e), 0);
	init = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_ES_INIT, 0);
	assert_true(init >= 0);
	for (i = 0; i < 2; i++) /* vCPUs after ES_INIT */
		assert_true(find_call(KVM_CREATE_VCPU, -1, i) > init);
	sm_fw_close(fw);
}

static void test_receive_falls_back_to_init2(void **state)
{
	struct sm_fw *fw;
	struct sm_err e;
	int i;

	(void)state;
	F.vm_types = 1 | 1 << 2;
	F.memenc_errno = EINVAL;
	F.memenc_fail_id = KVM_SEV_INIT;
	assert_int_equal(sm_fw_kvm_open_receive(&fake_opts, &fw, &e), 0);
	i = find_call(KVM_CREATE_VM, -1, 1);
	assert_int_equal(F.calls[i].arg, 2);
	assert_true(find_call(KVM_MEMORY_ENCRYPT_OP, 22, 0) > i);
	sm_fw_close(fw);
}

static void test_receive_init_busy(void **state)
{
	struct sm_fw *fw;
	struct sm_err e;

	(void)state;
	F.memenc_errno = EBUSY;
	F.memenc_fail_id = KVM_SEV_INIT;
	assert_int_equal(sm_fw_kvm_open_receive(&fake_opts, &fw, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_string_equal(e.msg,
			    "KVM_SEV_INIT failed: Device or resource "
			    "busy; no free SEV ASID (all in use, or this "
			    "process's misc cgroup limit reached)");
}

static void test_probe(void **state)
{
	struct sm_fw_kvm_caps c;
	struct sm_err e;

	(void)state;
	F.sev = 0;
	F.vm_types = 0;
	assert_int_equal(sm_fw_kvm_probe("/dev/null", fake_ioctl, &c, &e), 0);
	assert_int_equal(c.api_version, 12);
	assert_int_equal(c.move_cap, 1);
	assert_int_equal(c.vm_types, 1);
	assert_int_equal(c.sev, 0);
	assert_int_equal(c.sev_errno, ENOTTY);
	assert_int_equal(
		sm_fw_kvm_probe("/nonexistent/kvm", fake_ioctl, &c, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
}

/* ---- the ops ---- */

static void test_send_start_length_query(void **state)
{
	struct sm_fw_send_start a = { 0 };
	struct sm_fw *fw = attached();
	struct sm_err e;
	int i;

	(void)state;
	assert_int_equal(fw->ops->send_start(fw, &a, &e), -1);
	assert_int_equal(a.session_len, SM_SESSION_LEN);
	assert_int_equal(fw->fw_error, SM_FW_INVALID_LENGTH);
	assert_int_equal(fw->sys_errno, EIO);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_string_equal(e.msg, "KVM_SEV_SEND_START failed: Input/output "
				   "error (firmware: INVALID_LENGTH)");
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_SEND_START, 0);
	assert_int_equal(F.calls[i].u.ss.session_len, 0);
	assert_int_equal(F.calls[i].u.ss.pdh_cert_uaddr, 0);

	/* too small counts as a query too */
	a.session_len = 0x10;
	assert_int_equal(fw->ops->send_start(fw, &a, &e), -1);
	assert_int_equal(a.session_len, SM_SESSION_LEN);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_SEND_START, 1);
	assert_int_equal(F.calls[i].u.ss.session_len, 0);
	sm_fw_close(fw);
}

static void test_send_start(void **state)
{
	static uint8_t pdh[SM_SEV_CERT_LEN], plat[SM_SEV_CHAIN_LEN],
		amd[2 * 1600];
	uint8_t session[SM_SESSION_LEN] = { 0 };
	struct sm_fw_send_start a = {
		.pdh = pdh,
		.pdh_len = sizeof(pdh),
		.plat_certs = plat,
		.plat_certs_len = sizeof(plat),
		.amd_certs = amd,
		.amd_certs_len = sizeof(amd),
		.session = session,
		.session_len = sizeof(session),
	};
	struct sm_fw *fw = attached();
	struct kvm_sev_send_start *p;
	struct sm_err e;
	int i;

	(void)state;
	F.policy = 0x30001;
	assert_int_equal(fw->ops->send_start(fw, &a, &e), 0);
	assert_int_equal(a.policy, 0x30001);
	assert_int_equal(a.session_len, SM_SESSION_LEN);
	assert_int_equal(session[0], 0xa5);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_SEND_START, 0);
	p = &F.calls[i].u.ss;
	assert_int_equal(p->pdh_cert_uaddr, (uintptr_t)pdh);
	assert_int_equal(p->pdh_cert_len, SM_SEV_CERT_LEN);
	assert_int_equal(p->plat_certs_uaddr, (uintptr_t)plat);
	assert_int_equal(p->plat_certs_len, 0x186C);
	assert_int_equal(p->amd_certs_uaddr, (uintptr_t)amd);
	assert_int_equal(p->amd_certs_len, 0xC80);
	assert_int_equal(p->session_uaddr, (uintptr_t)session);
	assert_int_equal(p->session_len, 0x80);

	/* empty chains: KVM still gets non-empty buffers */
	a.plat_certs = NULL;
	a.plat_certs_len = 0;
	a.amd_certs = NULL;
	a.amd_certs_len = 0;
	assert_int_equal(fw->ops->send_start(fw, &a, &e), 0);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_SEND_START, 1);
	p = &F.calls[i].u.ss;
	assert_true(p->plat_certs_uaddr != 0);
	assert_int_equal(p->plat_certs_len, 0x186C);
	assert_true(p->amd_certs_uaddr != 0);
	assert_int_equal(p->amd_certs_len, 0x680);
	sm_fw_close(fw);
}

static void test_send_start_firmware_error(void **state)
{
	static uint8_t pdh[SM_SEV_CERT_LEN];
	uint8_t session[SM_SESSION_LEN];
	struct sm_fw_send_start a = {
		.pdh = pdh,
		.pdh_len = sizeof(pdh),
		.session = session,
		.session_len = sizeof(session),
	};
	struct sm_fw *fw = attached();
	struct sm_err e;

	(void)state;
	F.memenc_errno = EIO;
	F.memenc_fwerr = SM_FW_POLICY_FAILURE;
	assert_int_equal(fw->ops->send_start(fw, &a, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_int_equal(fw->fw_error, SM_FW_POLICY_FAILURE);
	assert_int_equal(fw->sys_errno, EIO);
	assert_string_equal(e.msg, "KVM_SEV_SEND_START failed: Input/output "
				   "error (firmware: POLICY_FAILURE)");
	sm_fw_close(fw);
}

static void test_send_start_refuses_before_ioctl(void **state)
{
	uint8_t session[SM_SESSION_LEN];
	struct sm_fw_send_start a = {
		.session = session,
		.session_len = sizeof(session),
	};
	static uint8_t big[0x4001];
	struct sm_fw *fw = attached();
	struct sm_err e;

	(void)state;
	assert_int_equal(fw->ops->send_start(fw, &a, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_int_equal(fw->sys_errno, EINVAL);
	assert_string_equal(e.msg, "KVM_SEV_SEND_START refused: no target PDH "
				   "(KVM needs a non-empty buffer)");
	a.pdh = big;
	a.pdh_len = sizeof(big);
	assert_int_equal(fw->ops->send_start(fw, &a, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_SEND_START refused: target PDH of "
				   "16385 bytes exceeds KVM's limit of 16384");
	assert_int_equal(count_calls(KVM_MEMORY_ENCRYPT_OP), 0);
	sm_fw_close(fw);
}

static void test_send_update_data(void **state)
{
	uint8_t *page, hdr[SM_PKT_HDR_LEN], trans[SM_PAGE_SIZE];
	struct sm_fw_xfer x = { 0 };
	struct sm_fw *fw = attached();
	struct kvm_sev_send_update_data *p;
	struct sm_err e;
	int i;

	(void)state;
	/* the length query */
	assert_int_equal(fw->ops->send_update_data(fw, &x, &e), -1);
	assert_int_equal(x.hdr_len, SM_PKT_HDR_LEN);
	assert_int_equal(fw->fw_error, SM_FW_INVALID_LENGTH);
	assert_string_equal(e.msg, "KVM_SEV_SEND_UPDATE_DATA failed: "
				   "Input/output error (firmware: "
				   "INVALID_LENGTH)");

	assert_int_equal(x.trans_len, 0); /* as ASPFW answers */

	/* trans_len 0 asks too, whatever hdr_len says (as in KVM) */
	x.hdr_len = 0x100;
	assert_int_equal(fw->ops->send_update_data(fw, &x, &e), -1);
	assert_int_equal(x.hdr_len, SM_PKT_HDR_LEN);
	assert_int_equal(fw->fw_error, SM_FW_INVALID_LENGTH);

	assert_int_equal(
		posix_memalign((void **)&page, SM_PAGE_SIZE, SM_PAGE_SIZE), 0);
	x.hdr = hdr;
	x.hdr_len = sizeof(hdr);
	x.guest = page;
	x.guest_len = SM_PAGE_SIZE;
	x.gpa = 0x100000;
	x.trans = trans;
	x.trans_len = sizeof(trans);
	assert_int_equal(fw->ops->send_update_data(fw, &x, &e), 0);
	assert_int_equal(x.trans_len, SM_PAGE_SIZE);
	assert_int_equal(hdr[0], 0x11);
	assert_int_equal(trans[SM_PAGE_SIZE - 1], 0x22);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_SEND_UPDATE_DATA, 2);
	p = &F.calls[i].u.su;
	assert_int_equal(p->guest_uaddr, (uintptr_t)page); /* our mapping */
	assert_int_equal(p->guest_len, SM_PAGE_SIZE);
	assert_int_equal(p->hdr_uaddr, (uintptr_t)hdr);
	assert_int_equal(p->hdr_len, SM_PKT_HDR_LEN);
	assert_int_equal(p->trans_uaddr, (uintptr_t)trans);
	assert_int_equal(p->trans_len, SM_PAGE_SIZE);
	free(page);
	sm_fw_close(fw);
}

static void test_xfer_page_crossing_refused(void **state)
{
	uint8_t *page, hdr[SM_PKT_HDR_LEN], trans[2 * SM_PAGE_SIZE];
	struct sm_fw_xfer x = {
		.hdr = hdr,
		.hdr_len = sizeof(hdr),
		.trans = trans,
		.trans_len = SM_PAGE_SIZE,
	};
	struct sm_fw *fw = attached();
	struct sm_err e;

	(void)state;
	assert_int_equal(posix_memalign((void **)&page, SM_PAGE_SIZE,
					2 * SM_PAGE_SIZE),
			 0);
	x.guest = page + 0xf00;
	x.guest_len = 0x200;
	assert_int_equal(fw->ops->send_update_data(fw, &x, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_int_equal(fw->sys_errno, EINVAL);
	assert_int_equal(fw->fw_error, 0);
	assert_string_equal(e.msg, "KVM_SEV_SEND_UPDATE_DATA refused: guest "
				   "buffer crosses a 4 KiB page boundary "
				   "(offset 3840 in its page, 512 bytes); KVM "
				   "takes one page per call");
	assert_int_equal(fw->ops->receive_update_data(fw, &x, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_RECEIVE_UPDATE_DATA refused: "
				   "guest buffer crosses a 4 KiB page boundary "
				   "(offset 3840 in its page, 512 bytes); KVM "
				   "takes one page per call");

	x.guest = page;
	x.guest_len = 2 * SM_PAGE_SIZE;
	assert_int_equal(fw->ops->send_update_data(fw, &x, &e), -1);
	assert_non_null(strstr(e.msg, "(offset 0 in its page, 8192 bytes)"));

	x.guest_len = 0;
	assert_int_equal(fw->ops->send_update_data(fw, &x, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_SEND_UPDATE_DATA refused: no "
				   "guest buffer");
	x.guest_len = 16;
	x.trans = NULL;
	assert_int_equal(fw->ops->send_update_data(fw, &x, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_SEND_UPDATE_DATA refused: no "
				   "transport buffer");
	x.trans = trans;
	x.hdr = NULL;
	assert_int_equal(fw->ops->send_update_data(fw, &x, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_SEND_UPDATE_DATA refused: no "
				   "packet header buffer");
	assert_int_equal(count_calls(KVM_MEMORY_ENCRYPT_OP), 0);
	free(page);
	sm_fw_close(fw);
}

static void test_vmsa_unsupported(void **state)
{
	struct sm_fw_xfer x = { 0 };
	struct sm_fw *fw = attached();
	struct sm_err e;

	(void)state;
	assert_int_equal(fw->ops->send_update_vmsa(fw, &x, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, "KVM_SEV_SEND_UPDATE_VMSA is not "
				   "supported: upstream KVM cannot migrate "
				   "SEV-ES register state");
	assert_int_equal(fw->ops->receive_update_vmsa(fw, &x, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, "KVM_SEV_RECEIVE_UPDATE_VMSA is not "
				   "supported: upstream KVM cannot migrate "
				   "SEV-ES register state");
	assert_int_equal(F.ncalls, 0);
	sm_fw_close(fw);
}

static void test_handle_only_commands(void **state)
{
	struct sm_fw *fw = attached();
	struct sm_err e;
	int i;

	(void)state;
	assert_int_equal(fw->ops->send_finish(fw, &e), 0);
	assert_int_equal(fw->ops->send_cancel(fw, &e), 0);
	assert_int_equal(fw->ops->receive_finish(fw, &e), 0);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_SEND_FINISH, 0);
	assert_true(i >= 0);
	assert_false(F.calls[i].has_data);
	assert_true(find_call(KVM_MEMORY_ENCRYPT_OP, 21, 0) > i);
	assert_true(find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_RECEIVE_FINISH,
			      0) >= 0);

	F.memenc_errno = EIO;
	F.memenc_fwerr = SM_FW_INVALID_GUEST_STATE;
	assert_int_equal(fw->ops->send_cancel(fw, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_SEND_CANCEL failed: Input/output "
				   "error (firmware: INVALID_GUEST_STATE)");
	sm_fw_close(fw);
}

static void test_receive_start_passes_sev_fd(void **state)
{
	static uint8_t pdh[SM_SEV_CERT_LEN];
	uint8_t session[SM_SESSION_LEN] = { 0 };
	struct sm_fw_receive_start a = {
		.policy = 0x5,
		.pdh = pdh,
		.pdh_len = sizeof(pdh),
		.session = session,
		.session_len = sizeof(session),
	};
	struct sm_fw *fw;
	struct sm_err e;
	struct stat sst, nst;
	int i, sev_fd;

	(void)state;
	assert_int_equal(sm_fw_kvm_open_receive(&fake_opts, &fw, &e), 0);
	assert_int_equal(fw->ops->receive_start(fw, &a, &e), 0);
	assert_int_equal(a.handle, 7);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_RECEIVE_START, 0);
	sev_fd = (int)F.calls[i].cmd.sev_fd;
	assert_true(sev_fd > 2);
	/* an open fd of the SEV device (here /dev/null) in this process */
	assert_int_equal(fstat(sev_fd, &sst), 0);
	assert_int_equal(stat("/dev/null", &nst), 0);
	assert_int_equal(sst.st_rdev, nst.st_rdev);
	assert_int_equal(F.calls[i].u.rs.handle, 0);
	assert_int_equal(F.calls[i].u.rs.policy, 0x5);
	assert_int_equal(F.calls[i].u.rs.pdh_uaddr, (uintptr_t)pdh);
	assert_int_equal(F.calls[i].u.rs.pdh_len, SM_SEV_CERT_LEN);
	assert_int_equal(F.calls[i].u.rs.session_uaddr, (uintptr_t)session);
	assert_int_equal(F.calls[i].u.rs.session_len, SM_SESSION_LEN);

	/* a later EBADF names that fd */
	F.memenc_errno = EBADF;
	assert_int_equal(fw->ops->receive_finish(fw, &e), -1);
	{
		char want[256];

		snprintf(want, sizeof(want),
			 "KVM_SEV_RECEIVE_FINISH failed: Bad file descriptor; "
			 "KVM resolves this context's SEV device as fd %d, "
			 "which is not an open '/dev/null' in this process",
			 sev_fd);
		assert_string_equal(e.msg, want);
	}
	sm_fw_close(fw);
}

static void test_receive_update_data(void **state)
{
	uint8_t *page, hdr[SM_PKT_HDR_LEN] = { 0 }, trans[SM_PAGE_SIZE] = { 0 };
	struct sm_fw_xfer x = {
		.hdr = hdr,
		.hdr_len = sizeof(hdr),
		.trans = trans,
		.trans_len = sizeof(trans),
		.guest_len = SM_PAGE_SIZE,
	};
	struct sm_fw *fw = attached();
	struct sm_err e;
	int i;

	(void)state;
	assert_int_equal(
		posix_memalign((void **)&page, SM_PAGE_SIZE, SM_PAGE_SIZE), 0);
	x.guest = page;
	assert_int_equal(fw->ops->receive_update_data(fw, &x, &e), 0);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_RECEIVE_UPDATE_DATA, 0);
	assert_int_equal(F.calls[i].u.ru.guest_uaddr, (uintptr_t)page);
	assert_int_equal(F.calls[i].u.ru.guest_len, SM_PAGE_SIZE);
	assert_int_equal(F.calls[i].u.ru.hdr_uaddr, (uintptr_t)hdr);
	assert_int_equal(F.calls[i].u.ru.trans_len, SM_PAGE_SIZE);

	F.memenc_errno = EIO;
	F.memenc_fwerr = SM_FW_BAD_MEASUREMENT;
	assert_int_equal(fw->ops->receive_update_data(fw, &x, &e), -1);
	assert_int_equal(fw->fw_error, SM_FW_BAD_MEASUREMENT);
	assert_string_equal(e.msg, "KVM_SEV_RECEIVE_UPDATE_DATA failed: "
				   "Input/output error (firmware: "
				   "BAD_MEASUREMENT)");

	x.hdr_len = 0;
	assert_int_equal(fw->ops->receive_update_data(fw, &x, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_RECEIVE_UPDATE_DATA refused: "
				   "packet header length 0");
	free(page);
	sm_fw_close(fw);
}

/* ---- errno decoding ---- */

static void test_decode_dead_vm(void **state)
{
	struct sm_fw_guest_status st;
	struct sm_fw *fw = attached();
	struct sm_err e;

	(void)state;
	F.memenc_errno = EIO; /* no firmware status: KVM's own EIO */
	assert_int_equal(fw->ops->guest_status(fw, &st, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_int_equal(fw->sys_errno, EIO);
	assert_int_equal(fw->fw_error, 0);
	assert_string_equal(e.msg, "KVM_SEV_GUEST_STATUS failed: Input/output "
				   "error; the VM is dead (its context was "
				   "moved to another VM) or was created by "
				   "another process");
	sm_fw_close(fw);
}

static void test_decode_no_sev(void **state)
{
	struct sm_fw_guest_status st;
	struct sm_fw *fw = attached();
	struct sm_err e;

	(void)state;
	F.sev = 0;
	assert_int_equal(fw->ops->guest_status(fw, &st, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, "KVM_SEV_GUEST_STATUS failed: Inappropriate "
				   "ioctl for device; KVM on this host has no "
				   "SEV support");
	sm_fw_close(fw);
}

static void test_decode_not_sev_guest(void **state)
{
	struct sm_fw_guest_status st;
	struct sm_fw *fw = attached();
	struct sm_err e;

	(void)state;
	F.memenc_errno = ENOTTY; /* KVM has SEV, this VM has none */
	assert_int_equal(fw->ops->guest_status(fw, &st, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_string_equal(e.msg, "KVM_SEV_GUEST_STATUS failed: Inappropriate "
				   "ioctl for device; this VM has no SEV "
				   "context");
	sm_fw_close(fw);
}

static void test_decode_memlock(void **state)
{
	uint8_t *page, hdr[SM_PKT_HDR_LEN], trans[SM_PAGE_SIZE];
	struct sm_fw_xfer x = {
		.hdr = hdr,
		.hdr_len = sizeof(hdr),
		.trans = trans,
		.trans_len = sizeof(trans),
		.guest_len = SM_PAGE_SIZE,
	};
	struct sm_fw *fw = attached();
	struct sm_err e;

	(void)state;
	assert_int_equal(
		posix_memalign((void **)&page, SM_PAGE_SIZE, SM_PAGE_SIZE), 0);
	x.guest = page;
	F.memenc_errno = ENOMEM;
	assert_int_equal(fw->ops->send_update_data(fw, &x, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_SEND_UPDATE_DATA failed: Cannot "
				   "allocate memory; pinning the guest page "
				   "exceeds this process's RLIMIT_MEMLOCK "
				   "(which also counts the guest RAM the VMM "
				   "pinned); raise it or grant CAP_IPC_LOCK");
	F.memenc_errno = EBADF; /* attach: the fd number is not ours */
	assert_int_equal(fw->ops->send_update_data(fw, &x, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_SEND_UPDATE_DATA failed: Bad file "
				   "descriptor; the fd number KVM holds for "
				   "this context's SEV device is not an open "
				   "/dev/sev in this process");
	free(page);
	sm_fw_close(fw);
}

static void test_register_region(void **state)
{
	static uint8_t ram[4 * 4096];
	struct sm_fw *fw = attached(), *plat;
	struct sm_err e;
	int i;

	(void)state;
	assert_int_equal(sm_fw_kvm_register_region(fw, ram, sizeof(ram), &e),
			 0);
	i = find_call(KVM_MEMORY_ENCRYPT_REG_REGION, -1, 0);
	assert_true(i >= 0);
	assert_int_equal(F.calls[i].u.reg.addr, (uintptr_t)ram);
	assert_int_equal(F.calls[i].u.reg.size, sizeof(ram));

	F.memenc_errno = ENOMEM;
	assert_int_equal(sm_fw_kvm_register_region(fw, ram, sizeof(ram), &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_string_equal(e.msg, "KVM_MEMORY_ENCRYPT_REG_REGION of 16384 "
				   "bytes failed: Cannot allocate memory; "
				   "pinning it exceeds this process's "
				   "RLIMIT_MEMLOCK; raise it or grant "
				   "CAP_IPC_LOCK");
	F.memenc_errno = 0;
	F.sev = 0;
	assert_int_equal(sm_fw_kvm_register_region(fw, ram, sizeof(ram), &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_int_equal(sm_fw_kvm_register_region(fw, NULL, 0, &e), -1);
	assert_string_equal(e.msg, "KVM_MEMORY_ENCRYPT_REG_REGION refused: "
				   "empty region");
	sm_fw_close(fw);

	assert_int_equal(sm_fw_kvm_open_platform("/dev/null", &plat, &e), 0);
	assert_int_equal(sm_fw_kvm_register_region(plat, ram, 4096, &e), -1);
	assert_string_equal(e.msg, "KVM_MEMORY_ENCRYPT_REG_REGION: no KVM VM");
	sm_fw_close(plat);
}

/* ---- the launch ---- */

static void test_launch_start(void **state)
{
	static uint8_t godh[SM_SEV_CERT_LEN];
	uint8_t session[SM_SESSION_LEN] = { 0 };
	struct sm_fw_launch_start a = { .policy = 0x1 };
	struct sm_fw *fw;
	struct sm_err e;
	int i;

	(void)state;
	assert_int_equal(sm_fw_kvm_open_launch(&fake_opts, &fw, &e), 0);
	assert_true(find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_INIT, 0) >= 0);
	/* without a session: no GODH or session addresses at all */
	assert_int_equal(sm_fw_launch_start(fw, &a, &e), 0);
	assert_int_equal(a.handle, 9);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_LAUNCH_START, 0);
	assert_true(F.calls[i].cmd.sev_fd > 2);
	assert_int_equal(F.calls[i].u.ls.handle, 0);
	assert_int_equal(F.calls[i].u.ls.policy, 0x1);
	assert_int_equal(F.calls[i].u.ls.dh_uaddr, 0);
	assert_int_equal(F.calls[i].u.ls.dh_len, 0);
	assert_int_equal(F.calls[i].u.ls.session_uaddr, 0);
	assert_int_equal(F.calls[i].u.ls.session_len, 0);

	/* with the owner's GODH and session */
	a.godh = godh;
	a.godh_len = sizeof(godh);
	a.session = session;
	a.session_len = sizeof(session);
	assert_int_equal(sm_fw_launch_start(fw, &a, &e), 0);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_LAUNCH_START, 1);
	assert_int_equal(F.calls[i].u.ls.dh_uaddr, (uintptr_t)godh);
	assert_int_equal(F.calls[i].u.ls.dh_len, SM_SEV_CERT_LEN);
	assert_int_equal(F.calls[i].u.ls.session_uaddr, (uintptr_t)session);
	assert_int_equal(F.calls[i].u.ls.session_len, SM_SESSION_LEN);

	/* a firmware refusal, by name */
	F.memenc_errno = EIO;
	F.memenc_fwerr = SM_FW_INVALID_CERTIFICATE;
	assert_int_equal(sm_fw_launch_start(fw, &a, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_int_equal(fw->fw_error, SM_FW_INVALID_CERTIFICATE);
	assert_string_equal(e.msg, "KVM_SEV_LAUNCH_START failed: Input/output "
				   "error (firmware: INVALID_CERTIFICATE)");
	sm_fw_close(fw);
}

static void test_launch_start_refuses_before_ioctl(void **state)
{
	static uint8_t godh[SM_SEV_CERT_LEN], big[0x4001];
	uint8_t session[SM_SESSION_LEN] = { 0 };
	struct sm_fw_launch_start a = { .godh = godh,
					.godh_len = sizeof(godh) };
	struct sm_fw *fw = attached();
	struct sm_err e;

	(void)state;
	assert_int_equal(sm_fw_launch_start(fw, &a, &e), -1);
	assert_int_equal(fw->sys_errno, EINVAL);
	assert_string_equal(e.msg,
			    "KVM_SEV_LAUNCH_START refused: a GODH certificate "
			    "without a session blob, or a session blob "
			    "without a GODH certificate");
	a.session = session;
	a.session_len = sizeof(session);
	a.godh = big;
	a.godh_len = sizeof(big);
	assert_int_equal(sm_fw_launch_start(fw, &a, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_LAUNCH_START refused: GODH "
				   "certificate of 16385 bytes exceeds KVM's "
				   "limit of 16384");
	a.godh = godh;
	a.godh_len = sizeof(godh);
	a.session_len = 0;
	assert_int_equal(sm_fw_launch_start(fw, &a, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_LAUNCH_START refused: no session "
				   "blob (KVM needs a non-empty buffer)");
	assert_int_equal(count_calls(KVM_MEMORY_ENCRYPT_OP), 0);
	sm_fw_close(fw);
}

static void test_launch_start_names_missing_sev(void **state)
{
	struct sm_fw_kvm_opts o = fake_opts;
	struct sm_fw_launch_start a = { .policy = 0x1 };
	struct sm_fw *fw;
	struct sm_err e;
	int fd = devnull();

	(void)state;
	o.sev_dev = "/nonexistent/sev";
	assert_int_equal(sm_fw_kvm_attach(fd, &o, &fw, &e), 0);
	close(fd);
	assert_int_equal(sm_fw_launch_start(fw, &a, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg,
			    "cannot open SEV device '/nonexistent/sev': No "
			    "such file or directory; this host has no SEV "
			    "firmware interface (ccp driver not loaded, or "
			    "SEV disabled in the BIOS)");
	assert_int_equal(count_calls(KVM_MEMORY_ENCRYPT_OP), 0);
	sm_fw_close(fw);
}

static void test_launch_update_data(void **state)
{
	static uint8_t data[4096 + 32];
	struct sm_fw *fw = attached();
	struct sm_err e;
	int i;

	(void)state;
	assert_int_equal(sm_fw_launch_update_data(fw, data, sizeof(data), &e),
			 0);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_LAUNCH_UPDATE_DATA, 0);
	assert_int_equal(F.calls[i].u.lu.uaddr, (uintptr_t)data);
	assert_int_equal(F.calls[i].u.lu.len, sizeof(data));

	assert_int_equal(sm_fw_launch_update_data(fw, data, 0, &e), -1);
	assert_int_equal(fw->sys_errno, EINVAL);
	assert_string_equal(e.msg, "KVM_SEV_LAUNCH_UPDATE_DATA refused: no "
				   "data (KVM needs a non-empty range)");
	assert_int_equal(sm_fw_launch_update_data(fw, NULL, 16, &e), -1);
	assert_int_equal(count_calls(KVM_MEMORY_ENCRYPT_OP), 1);

	/* the firmware's length rule reaches the caller */
	F.memenc_errno = EIO;
	F.memenc_fwerr = SM_FW_INVALID_LENGTH;
	assert_int_equal(sm_fw_launch_update_data(fw, data, 15, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_LAUNCH_UPDATE_DATA failed: "
				   "Input/output error (firmware: "
				   "INVALID_LENGTH)");
	sm_fw_close(fw);
}

static void test_launch_update_vmsa_and_finish(void **state)
{
	struct sm_fw *fw = attached();
	struct sm_err e;
	int i;

	(void)state;
	assert_int_equal(sm_fw_launch_update_vmsa(fw, NULL, 0, &e), 0);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_LAUNCH_UPDATE_VMSA, 0);
	assert_true(i >= 0);
	assert_false(F.calls[i].has_data);
	assert_int_equal(sm_fw_launch_finish(fw, &e), 0);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_LAUNCH_FINISH, 0);
	assert_true(i >= 0);
	assert_false(F.calls[i].has_data);

	/* a VM without SEV-ES: sev.c answers ENOTTY */
	F.memenc_errno = ENOTTY;
	F.memenc_fail_id = KVM_SEV_LAUNCH_UPDATE_VMSA;
	assert_int_equal(sm_fw_launch_update_vmsa(fw, NULL, 0, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_LAUNCH_UPDATE_VMSA failed: "
				   "Inappropriate ioctl for device; this VM "
				   "has no SEV context");
	F.memenc_errno = EIO;
	F.memenc_fail_id = KVM_SEV_LAUNCH_FINISH;
	F.memenc_fwerr = SM_FW_INVALID_GUEST_STATE;
	assert_int_equal(sm_fw_launch_finish(fw, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_LAUNCH_FINISH failed: "
				   "Input/output error (firmware: "
				   "INVALID_GUEST_STATE)");
	sm_fw_close(fw);
}

static void test_launch_measure_length_query(void **state)
{
	uint8_t out[64];
	uint32_t len = 0;
	struct sm_fw *fw = attached();
	struct sm_err e;
	int i;

	(void)state;
	assert_int_equal(sm_fw_launch_measure(fw, NULL, &len, &e), -1);
	assert_int_equal(len, SM_FW_LAUNCH_MEASURE_LEN);
	assert_int_equal(fw->fw_error, SM_FW_INVALID_LENGTH);
	assert_int_equal(fw->sys_errno, EIO);
	assert_string_equal(e.msg, "KVM_SEV_LAUNCH_MEASURE failed: "
				   "Input/output error (firmware: "
				   "INVALID_LENGTH)");
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_LAUNCH_MEASURE, 0);
	assert_int_equal(F.calls[i].u.lm.uaddr, 0);
	assert_int_equal(F.calls[i].u.lm.len, 0);

	/* a buffer too small is a query too, and is not written */
	memset(out, 0, sizeof(out));
	len = 47;
	assert_int_equal(sm_fw_launch_measure(fw, out, &len, &e), -1);
	assert_int_equal(len, SM_FW_LAUNCH_MEASURE_LEN);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_LAUNCH_MEASURE, 1);
	assert_int_equal(F.calls[i].u.lm.uaddr, 0);
	assert_int_equal(out[0], 0);

	len = sizeof(out);
	assert_int_equal(sm_fw_launch_measure(fw, out, &len, &e), 0);
	assert_int_equal(len, SM_FW_LAUNCH_MEASURE_LEN);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_LAUNCH_MEASURE, 2);
	assert_int_equal(F.calls[i].u.lm.uaddr, (uintptr_t)out);
	assert_int_equal(F.calls[i].u.lm.len, sizeof(out));
	assert_int_equal(out[47], 0x5a);
	assert_int_equal(out[48], 0);

	assert_int_equal(sm_fw_launch_measure(fw, out, NULL, &e), -1);
	assert_string_equal(e.msg, "LAUNCH_MEASURE failed: no length");
	sm_fw_close(fw);
}

static void test_launch_secret(void **state)
{
	static uint8_t hdr[SM_PKT_HDR_LEN], trans[64], guest[64], big[0x4010];
	struct sm_fw_launch_secret a = {
		.hdr = hdr,
		.hdr_len = sizeof(hdr),
		.guest = guest,
		.guest_len = sizeof(guest),
		.trans = trans,
		.trans_len = sizeof(trans),
	};
	struct sm_fw *fw = attached();
	struct sm_err e;
	int i;

	(void)state;
	assert_int_equal(sm_fw_launch_secret(fw, &a, &e), 0);
	i = find_call(KVM_MEMORY_ENCRYPT_OP, KVM_SEV_LAUNCH_SECRET, 0);
	assert_int_equal(F.calls[i].u.lsec.hdr_uaddr, (uintptr_t)hdr);
	assert_int_equal(F.calls[i].u.lsec.hdr_len, SM_PKT_HDR_LEN);
	assert_int_equal(F.calls[i].u.lsec.guest_uaddr, (uintptr_t)guest);
	assert_int_equal(F.calls[i].u.lsec.guest_len, sizeof(guest));
	assert_int_equal(F.calls[i].u.lsec.trans_uaddr, (uintptr_t)trans);
	assert_int_equal(F.calls[i].u.lsec.trans_len, sizeof(trans));

	/* refused before the ioctl, naming the argument */
	a.trans = big;
	a.trans_len = sizeof(big);
	assert_int_equal(sm_fw_launch_secret(fw, &a, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_LAUNCH_SECRET refused: secret of "
				   "16400 bytes exceeds KVM's limit of 16384");
	a.trans = trans;
	a.trans_len = sizeof(trans);
	a.hdr_len = 0;
	assert_int_equal(sm_fw_launch_secret(fw, &a, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_LAUNCH_SECRET refused: no packet "
				   "header (KVM needs a non-empty buffer)");
	a.hdr_len = sizeof(hdr);
	a.guest = NULL;
	assert_int_equal(sm_fw_launch_secret(fw, &a, &e), -1);
	assert_string_equal(e.msg,
			    "KVM_SEV_LAUNCH_SECRET refused: no guest buffer");
	assert_int_equal(count_calls(KVM_MEMORY_ENCRYPT_OP), 1);

	/* a secret for another launch: BAD_MEASUREMENT by name */
	a.guest = guest;
	F.memenc_errno = EIO;
	F.memenc_fwerr = SM_FW_BAD_MEASUREMENT;
	assert_int_equal(sm_fw_launch_secret(fw, &a, &e), -1);
	assert_int_equal(fw->fw_error, SM_FW_BAD_MEASUREMENT);
	assert_string_equal(e.msg, "KVM_SEV_LAUNCH_SECRET failed: "
				   "Input/output error (firmware: "
				   "BAD_MEASUREMENT)");
	sm_fw_close(fw);
}

static void test_launch_without_vm(void **state)
{
	struct sm_fw_launch_start a = { 0 };
	struct sm_fw *fw;
	struct sm_err e;
	uint32_t len = 0;

	(void)state;
	assert_int_equal(sm_fw_kvm_open_platform("/dev/null", &fw, &e), 0);
	assert_int_equal(sm_fw_launch_start(fw, &a, &e), -1);
	assert_string_equal(e.msg, "KVM_SEV_LAUNCH_START: no VM: this backend "
				   "was opened for platform commands only");
	assert_int_equal(sm_fw_launch_measure(fw, NULL, &len, &e), -1);
	assert_int_equal(fw->sys_errno, EBADF);
	sm_fw_close(fw);
}

static void test_launch_kvm_without_sev(void **state)
{
	struct sm_fw *fw = attached();
	struct sm_err e;

	(void)state;
	F.sev = 0;
	assert_int_equal(sm_fw_launch_finish(fw, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, "KVM_SEV_LAUNCH_FINISH failed: "
				   "Inappropriate ioctl for device; KVM on "
				   "this host has no SEV support");
	sm_fw_close(fw);
}

static void test_vm_fd_of_other_backend(void **state)
{
	struct sm_fw other = { 0 };

	(void)state;
	assert_int_equal(sm_fw_kvm_vm_fd(NULL), -1);
	assert_int_equal(sm_fw_kvm_vm_fd(&other), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_layouts, setup),
		cmocka_unit_test_setup(test_cmd_names, setup),
		cmocka_unit_test_setup(test_platform_missing_device, setup),
		cmocka_unit_test_setup(test_platform_has_no_vm, setup),
		cmocka_unit_test_setup(test_source_missing_sev_first, setup),
		cmocka_unit_test_setup(test_source_missing_kvm, setup),
		cmocka_unit_test_setup(test_source_not_a_kvm_device, setup),
		cmocka_unit_test_setup(test_source_bad_args, setup),
		cmocka_unit_test_setup(test_source_no_move_cap, setup),
		cmocka_unit_test_setup(test_source_kvm_without_sev, setup),
		cmocka_unit_test_setup(test_source_moves_context, setup),
		cmocka_unit_test_setup(test_source_es_creates_vcpus_first,
				       setup),
		cmocka_unit_test_setup(test_source_auto_retries_sev_type,
				       setup),
		cmocka_unit_test_setup(test_source_move_einval, setup),
		cmocka_unit_test_setup(test_source_move_errors, setup),
		cmocka_unit_test_setup(test_move_context_not_a_vm, setup),
		cmocka_unit_test_setup(test_receive_opens_sev_vm, setup),
		cmocka_unit_test_setup(test_receive_falls_back_to_init2, setup),
		cmocka_unit_test_setup(test_receive_init_busy, setup),
		cmocka_unit_test_setup(test_probe, setup),
		cmocka_unit_test_setup(test_send_start_length_query, setup),
		cmocka_unit_test_setup(test_send_start, setup),
		cmocka_unit_test_setup(test_send_start_firmware_error, setup),
		cmocka_unit_test_setup(test_send_start_refuses_before_ioctl,
				       setup),
		cmocka_unit_test_setup(test_send_update_data, setup),
		cmocka_unit_test_setup(test_xfer_page_crossing_refused, setup),
		cmocka_unit_test_setup(test_vmsa_unsupported, setup),
		cmocka_unit_test_setup(test_handle_only_commands, setup),
		cmocka_unit_test_setup(test_receive_start_passes_sev_fd, setup),
		cmocka_unit_test_setup(test_receive_update_data, setup),
		cmocka_unit_test_setup(test_decode_dead_vm, setup),
		cmocka_unit_test_setup(test_decode_no_sev, setup),
		cmocka_unit_test_setup(test_decode_not_sev_guest, setup),
		cmocka_unit_test_setup(test_decode_memlock, setup),
		cmocka_unit_test_setup(test_register_region, setup),
		cmocka_unit_test_setup(test_vm_fd_of_other_backend, setup),
		cmocka_unit_test_setup(test_launch_start, setup),
		cmocka_unit_test_setup(test_launch_start_refuses_before_ioctl,
				       setup),
		cmocka_unit_test_setup(test_launch_start_names_missing_sev,
				       setup),
		cmocka_unit_test_setup(test_launch_update_data, setup),
		cmocka_unit_test_setup(test_launch_update_vmsa_and_finish,
				       setup),
		cmocka_unit_test_setup(test_launch_measure_length_query, setup),
		cmocka_unit_test_setup(test_launch_secret, setup),
		cmocka_unit_test_setup(test_launch_without_vm, setup),
		cmocka_unit_test_setup(test_launch_kvm_without_sev, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
