/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_PROBE_H
#define SEVMIG_PROBE_H

/*
 * The dry run's look at the target (sevmig-export --dry-run --exec):
 * the exporter runs the --exec command as it would for a migration, but
 * sends it a probe (an archive whose only entry is sevmig/probe.json,
 * sevmig-archive(5)) instead of a guest.  sevmig-import, seeing it, asks
 * the target VMM for its hello without claiming it, reads its platform's
 * PDH and status without making a guest, answers one JSON object
 * (schema sevmig-probe/1) on its standard output and exits 0: nothing of
 * the target changes.  The exporter checks that answer against the
 * guest and the bundle, one check per thing the import would refuse.
 */

#include <stddef.h>
#include <stdint.h>

#include "archive/manifest.h"
#include "base/err.h"
#include "certs/cert.h"
#include "fw/fw.h"

#define SM_PROBE_SCHEMA "sevmig-probe/1"
#define SM_PROBE_MAX 65536 /* bytes of an answer */

/* What the importer found of its target. */
struct sm_probe {
	char error[320]; /* the target could not be asked: why ("" if it was) */
	char role[16], state[20], platform[16];
	unsigned vcpus;
	int es;
	uint32_t policy; /* what the VMM was set up for (0: not said) */
	unsigned mh_helpers;
	unsigned svsm_mailboxes; /* an SNP guest waiting in its SVSM */
	struct sm_layout layout;
	int have_pdh;
	uint8_t pdh_fp[SM_FP_LEN];
	char pdh_error[320]; /* why there is no PDH */
	int have_status;
	unsigned api_major, api_minor;
	int platform_es; /* the platform offers SEV-ES */
};

/* The importer's side: describe VM vm (no claim, no guest context). */
void sm_probe_target(const char *vm, double timeout, struct sm_probe *p);
int sm_probe_encode(const struct sm_probe *p, char **json, struct sm_err *e);
int sm_probe_decode(const char *json, size_t len, struct sm_probe *p,
		    struct sm_err *e);

/*
 * The exporter's side: run cmd (as --exec runs it), send it the probe,
 * read its answer within timeout seconds.  SM_EXIT_IO when the command
 * cannot run, exits non-zero or answers no probe.
 */
int sm_probe_exec(const char *cmd, double timeout, struct sm_probe *p,
		  struct sm_err *e);

/* What the guest and the bundle need of the target. */
struct sm_probe_want {
	const char *exec; /* for messages */
	const struct sm_layout *layout;
	unsigned vcpus;
	int es;
	uint32_t policy;
	int mh; /* the helper method: no PDH, the target's helpers */
	int svsm; /* the SVSM method: no PDH, the target's SVSM */
	const uint8_t *target_fp; /* the bundle's PDH (psp) */
	const struct sm_chain *bundle; /* psp */
	const struct sm_fw_vm *source; /* the source's platform */
};

/*
 * Check the answer: fills checks (at most SM_TARGET_MAX_CHECKS) and
 * returns how many; *failed gets the index of the first failure, or -1.
 */
size_t sm_probe_check(const struct sm_probe *p, const struct sm_probe_want *w,
		      struct sm_target_check *checks, int *failed);

#endif
