// SPDX-License-Identifier: MIT
/*
 * Choosing the firmware backend for a VM: the one place above the
 * backends that knows there are two.  The engines (export.c, import.c)
 * call these with the platform the VMM's hello named.
 */
#include "fw/fw.h"

#include <string.h>

#include "fw/fw-kvm.h"
#include "fw/fw-sim.h"
#include "fw/sim-platform.h"

static int unknown(const struct sm_fw_vm *vm, struct sm_err *e)
{
	return sm_err_set(e, SM_EXIT_UNSUPPORTED,
			  "no firmware backend for platform '%s'",
			  sm_platform_name(vm->platform));
}

int sm_fw_open_send(const struct sm_fw_vm *vm, int ctx_fd, struct sm_fw **fw,
		    struct sm_err *e)
{
	struct sm_fw_kvm_opts ko = { .nvcpus = vm->nvcpus,
				     .es = vm->es,
				     .vm_type = SM_KVM_VM_AUTO };

	*fw = NULL;
	switch (vm->platform) {
	case SM_PLATFORM_KVM:
		return sm_fw_kvm_open_source(ctx_fd, &ko, fw, e);
	case SM_PLATFORM_SIM:
		if (sm_fw_sim_open(vm->platform_dir, fw, e) ||
		    sm_fw_sim_attach(*fw, ctx_fd, e))
			return sm_err_prefix(e, "simulated platform '%s'",
					     vm->platform_dir);
		return 0;
	default:
		return unknown(vm, e);
	}
}

int sm_fw_open_receive(const struct sm_fw_vm *vm, struct sm_fw **fw,
		       struct sm_err *e)
{
	struct sm_fw_kvm_opts ko = { .nvcpus = vm->nvcpus,
				     .es = vm->es,
				     .vm_type = SM_KVM_VM_AUTO };

	*fw = NULL;
	switch (vm->platform) {
	case SM_PLATFORM_KVM:
		/* A fresh SEV VM of ours; the VMM adopts it at the end. */
		return sm_fw_kvm_open_receive(&ko, fw, e);
	case SM_PLATFORM_SIM:
		if (sm_fw_sim_open(vm->platform_dir, fw, e))
			return sm_err_prefix(e, "simulated platform '%s'",
					     vm->platform_dir);
		return 0;
	default:
		return unknown(vm, e);
	}
}

int sm_fw_open_platform(const struct sm_fw_vm *vm, struct sm_fw **fw,
			struct sm_err *e)
{
	*fw = NULL;
	switch (vm->platform) {
	case SM_PLATFORM_KVM:
		return sm_fw_kvm_open_platform(NULL, fw, e);
	case SM_PLATFORM_SIM:
		if (sm_fw_sim_open(vm->platform_dir, fw, e))
			return sm_err_prefix(e, "simulated platform '%s'",
					     vm->platform_dir);
		return 0;
	default:
		return unknown(vm, e);
	}
}

int sm_fw_trusted_ark(const struct sm_fw_vm *vm, struct sm_amd_cert *ark,
		      struct sm_err *e)
{
	struct sm_sim_platform p;

	switch (vm->platform) {
	case SM_PLATFORM_SIM:
		memset(&p, 0, sizeof(p));
		if (sm_sim_platform_load(vm->platform_dir, &p, e)) {
			sm_sim_platform_free(&p);
			return sm_err_prefix(e, "simulated platform '%s'",
					     vm->platform_dir);
		}
		*ark = p.ark;
		sm_sim_platform_free(&p);
		return 0;
	case SM_PLATFORM_KVM:
		return 1; /* AMD's, for the product: the bundle's verification */
	default:
		return unknown(vm, e);
	}
}
