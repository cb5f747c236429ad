/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_PREFLIGHT_H
#define SEVMIG_PREFLIGHT_H

/*
 * The preflight behind `sevmig-certs ok`: can this host export and import
 * SEV, SEV-ES and SEV-SNP guests, and if not, what is missing and what
 * fixes it.  Each check is ok or failed, with what was found and, when it
 * failed, the fix (sevctl's `ok`).  Nothing is printed here; the command
 * prints the checks, or their JSON from sm_preflight_json.
 *
 * On a host the checks read the kernel (uname, /proc/self/status,
 * getrlimit), /dev/kvm and /dev/sev (ioctls), /sys/module/kvm_amd and the
 * misc cgroup.  A test hook: root (the command takes it from the
 * environment variable SEVMIG_OK_ROOT) is put before every /dev, /sys
 * and /proc path, and with it the kernel version is read from
 * ROOT/proc/sys/kernel/osrelease, so a test lays out present and absent
 * pieces deterministically.  For a simulated host (sevmig-sim platform
 * init) the checks are its platform files instead.
 */

#include <stddef.h>

#include "base/err.h"

/* What a check is needed for: bits of the guest kinds. */
enum {
	SM_PF_SEV = 1u << 0,
	SM_PF_ES = 1u << 1,
	SM_PF_SNP = 1u << 2,
};

#define SM_PF_MAX_CHECKS 16

struct sm_pf_check {
	const char *name; /* stable id: "dev_kvm", "misc_sev_asids", ... */
	int ok;
	unsigned needed; /* SM_PF_* it gates; 0: informational */
	char found[192]; /* what was found, or why it failed */
	char fix[192]; /* what to do when it failed, or "" */
};

struct sm_preflight {
	char host[256]; /* "this host", "simulated host 'DIR'" */
	struct sm_pf_check checks[SM_PF_MAX_CHECKS];
	size_t n;
	/* SM_PF_* this host can export and import: every gating check ok. */
	unsigned can;
	/* SNP guests: sevmig has no SNP migration method yet (issue 17). */
	int snp_method;
};

/*
 * Run the checks of this host (root NULL or "": the real paths) or, with
 * sim_dir, of that simulated host.  Fills pf; -1 with e set only when a
 * check cannot be run at all (out of memory).
 */
int sm_preflight_run(const char *root, const char *sim_dir,
		     struct sm_preflight *pf, struct sm_err *e);

/*
 * The result as JSON (schema "sevmig-certs-ok/1"): the checks, "can"
 * per guest kind, and "missing", the names of the failed gating checks.
 * *out malloc'd, without a final newline.  0, or -1 with e set.
 */
int sm_preflight_json(const struct sm_preflight *pf, char **out,
		      struct sm_err *e);

#endif
