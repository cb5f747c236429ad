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

/* Read dir's platform.json alone (product, versions, chip id). */
int sm_sim_platform_read_info(const char *dir, struct sm_sim_platform_info *i,
			      struct sm_err *e);

/*
 * For platform init (sim-snp.c): make dir's SNP identity (sim-snp.h) for
 * info's product and chip id, the ARK and ASK certificates with the keys
 * ark and ask (those of ark_from when it has them and ark_from is not
 * NULL).  0, or -1; platform init removes what it made.  A product
 * without SNP (naples, rome, turin for now) makes nothing and returns 0.
 */
int sm_sim_snp_make(const char *dir, const struct sm_sim_platform_info *info,
		    const struct sm_key *ark, const struct sm_key *ask,
		    const char *ark_from, struct sm_err *e);
/* The files sm_sim_snp_make writes, NULL-ended (to undo a failed init). */
extern const char *const sm_sim_snp_files[];

#endif
