/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_SIM_PLATFORM_H
#define SEVMIG_SIM_PLATFORM_H

/*
 * A simulated host's files, for the simulated PSP (fw-sim.c), which is
 * their only reader; sm_fw_sim_platform_init (fw-sim.h) makes them.
 */

#include "certs/cert.h"
#include "fw/fw-sim.h"

struct sm_sim_platform {
	struct sm_sim_platform_info info; /* platform.json */
	struct sm_key *pdh_key;
	struct sm_sev_cert pdh, pek, oca, cek;
	struct sm_amd_cert ark; /* the root the firmware trusts */
};

/* Load dir's platform.json, certificates and PDH key; free with
 * sm_sim_platform_free (also after a failed load). */
int sm_sim_platform_load(const char *dir, struct sm_sim_platform *p,
			 struct sm_err *e);
void sm_sim_platform_free(struct sm_sim_platform *p);

#endif
