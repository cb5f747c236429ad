/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_FETCH_H
#define SEVMIG_FETCH_H

/*
 * Where a target's chain comes from (sevmig-certs fetch SOURCE):
 *   local                      this host's /dev/sev (PDH_CERT_EXPORT, GET_ID2)
 *   qmp:PATH                   a QEMU QMP socket, query-sev-capabilities
 *   file:PATH                  anything sm_certs_load accepts
 *   ssh://[user@]host[:port]   sevmig-certs fetch on that host, over ssh
 *   sim:DIR                    a simulated host made by sevmig-sim platform init
 * An unsigned CEK is replaced by the KDS's signed one (by chip id; cache,
 * --offline).  ASK and ARK come from the built-in roots (sim: from DIR).
 * No outside dependency of its own: it composes kds, qmp, devsev, bundle.
 */

#include "bundle.h"
#include "cert.h"
#include "err.h"

struct sm_fetch_opts {
	const char *kds_url;	 /* NULL: $SEVMIG_KDS_URL or AMD's KDS */
	const char *cache_dir;	 /* NULL: $XDG_CACHE_HOME/sevmig or ~/.cache/sevmig */
	int offline;		 /* cache only, never the network */
	double connect_timeout;	 /* seconds; 0 = default (10) */
	double total_timeout;	 /* seconds; 0 = default (60) */
	int retries;		 /* extra attempts; <0 = default (3) */
	const char *sev_device;	 /* NULL: /dev/sev */
	const char *ssh_program; /* NULL: $SEVMIG_SSH or "ssh" */
	const char *remote_program; /* NULL: "sevmig-certs" */
	enum sm_product product; /* named with --product, else UNKNOWN */
};

/*
 * Fetch a chain from source into ch/info.  Does not verify it: the caller
 * runs sm_chain_verify.  For sim:DIR, *sim_ark (if not NULL) receives the
 * simulated ARK to trust.  Errors: SM_EXIT_USAGE (bad source string),
 * SM_EXIT_UNSUPPORTED (no /dev/sev, QEMU without SEV), SM_EXIT_IO
 * (transport, KDS), SM_EXIT_VERIFY (what came back does not parse).
 */
int sm_fetch(const char *source, const struct sm_fetch_opts *o,
	     struct sm_chain *ch, struct sm_bundle_info *info,
	     struct sm_amd_cert *sim_ark, int *have_sim_ark, struct sm_err *e);

#endif
