/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_SIM_VMM_H
#define SEVMIG_SIM_VMM_H

/*
 * The simulated VMM behind `sevmig-sim run`: one guest on a simulated
 * platform (fw-sim), its RAM in a memfd, served on the VM endpoint
 * (endpoint-server.h).  A source VMM launches the guest and fills its
 * RAM (private pages encrypted under the VEK, shared pages plain, content
 * from sim-guest.h); an incoming one starts with empty RAM and waits for
 * an import to adopt a context, set the shared regions, load the device
 * state and resume it.
 *
 * Guest RAM layout: one range at GPA 0 up to split bytes, the rest at
 * 4 GiB (the PC hole), both in the one memfd.
 *
 * Device state: a 128-byte header (magic "SEVMIG-SIM-DEV1\n", seed, RAM
 * size and split, vCPUs, ES, policy, flags, padding length, all
 * little-endian), then the padding (a seeded stream), then the SHA-256 of
 * everything before it.  The incoming VMM checks all of it as it arrives.
 */

#include <stdint.h>

#include "endpoint/endpoint-server.h"
#include "base/err.h"

#define SM_SIM_DEFAULT_SPLIT (3ull << 30)
#define SM_SIM_DEVSTATE_MIN 160u

struct sm_sim_vmm_opts {
	const char *platform_dir;
	const char *socket;
	uint64_t mem_size; /* bytes, page multiple */
	uint64_t mem_split; /* 0: SM_SIM_DEFAULT_SPLIT */
	unsigned vcpus; /* 0: 1 */
	uint32_t policy;
	int es; /* also implied by SM_POLICY_ES in policy */
	unsigned shared_pct;
	uint64_t seed;
	int no_migration_ready;
	int incoming;
	int zero_shared; /* shared pages all zero */
	uint64_t device_state_size; /* pad the blob up to this size */
	/*
	 * A launch for a guest owner (any of these; sevmig-sim(1) LAUNCH):
	 * the owner's session (DIR with sevctl's vm_godh.b64 and
	 * vm_session.b64), a firmware image measured at launch, and staying
	 * in the launch until the owner injects a secret or says finish.
	 */
	const char *owner_session;
	const char *firmware;
	int await_secret;
	/*
	 * Migration helpers (sevmig-sim(1), MIGRATION HELPER): 0 none, else
	 * how many mirror vCPUs serve a mailbox each (fw/mh.h).
	 */
	unsigned mh;
	/*
	 * An SEV-SNP guest with an SVSM (sevmig-sim(1), SNP; vmm-snp.c):
	 * implies ES; snp_policy is the 64-bit SNP guest policy.
	 */
	int snp;
	uint64_t snp_policy;
	unsigned svsm_vcpus; /* SVSM threads, a mailbox each (0: 1) */
	/*
	 * Called once the socket accepts connections (the guest is ready),
	 * so the command can say so; may be NULL.
	 */
	void (*on_ready)(void *arg, const char *socket);
	void *cb_arg;
};

/* Where the guest keeps the secret table LAUNCH_SECRET gives it. */
#define SM_SIM_SECRET_GPA 0x10000ull
#define SM_SIM_SECRET_MAX 0x4000u

struct sm_sim_vmm;

/*
 * Build the VMM: open the platform, make the RAM memfd and, for a source,
 * launch and fill the guest.  Blocks for as long as filling takes (about
 * a second per GiB).  *vmm is freed with sm_sim_vmm_free.
 */
int sm_sim_vmm_new(const struct sm_sim_vmm_opts *o, struct sm_sim_vmm **vmm,
		   struct sm_err *e);
void sm_sim_vmm_free(struct sm_sim_vmm *vmm);

/* The endpoint callbacks; pass the vmm as their argument. */
const struct sm_eps_ops *sm_sim_vmm_ops(void);

/*
 * sevmig-sim run: build the VMM, then serve o->socket in the foreground
 * until a quit request or SIGINT/SIGTERM/SIGHUP.  The socket appears only
 * once the guest is ready.
 */
int sm_sim_vmm_run(const struct sm_sim_vmm_opts *o, struct sm_err *e);

#endif
