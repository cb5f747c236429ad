/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_FETCH_H
#define SEVMIG_FETCH_H

/*
 * Where a target's chain comes from (sevmig-certs fetch SOURCE):
 *   local                      this host's /dev/sev (PDH_CERT_EXPORT, GET_ID2)
 *   qmp:PATH                   a QEMU QMP socket, query-sev-capabilities
 *   file:PATH                  anything sm_certs_load accepts
 *   ssh://[user@]host[:port][/SOURCE]
 *                              sevmig-certs fetch on that host, over ssh
 *   sim:DIR                    a simulated host made by sevmig-sim platform init
 *   vm:SOCK                    the platform of the VM serving SOCK (its
 *                              hello, no claim): sim:DIR or local
 * An unsigned CEK is replaced by the KDS's signed one (by chip id; cache,
 * --offline).  ASK and ARK come from the built-in roots (sim: from DIR).
 * No outside dependency of its own: it composes kds, qmp, devsev, bundle.
 *
 * ssh: the remote runs "REMOTE_PROGRAM fetch [--offline] [SOURCE]", where
 * SOURCE is the URL path without its leading '/' (ssh://h runs the remote's
 * default, local; ssh://h/sim:/var/lib/sim-b runs "fetch sim:/var/lib/sim-b";
 * ssh://h//abs/path is not special: the remote gets "/abs/path").  ssh
 * itself is spawned from an argv array (never a local shell) as
 *   SSH... -T -o BatchMode=yes -o ConnectTimeout=N [-p PORT] [-l USER] --
 *   HOST 'REMOTE_PROGRAM' 'fetch' ...
 * where SSH is ssh_program, else $SEVMIG_SSH, else "ssh", split on blanks
 * (tests use SEVMIG_SSH="ssh -F their/ssh_config").  The remote words are
 * single-quoted because sshd hands them to the remote user's shell as one
 * string.  The remote's bundle is decoded (sm_bundle_decode) and kept as
 * it is, ASK/ARK included; the caller's sm_chain_verify decides trust, and
 * a remote simulated host's ARK is never trusted implicitly (no sim_ark
 * for ssh: pass --ark).  ssh exiting 255 is SM_EXIT_IO with ssh's last
 * message; the remote's exit codes 3, 5 and 6 keep their class, others
 * are SM_EXIT_IO.
 *
 * Environment (when the matching field is unset):
 *   SEVMIG_KDS_URL          KDS base URL (lib/fetch/kds.h)
 *   SEVMIG_SSH              the ssh command
 *   SEVMIG_REMOTE_CERTS     the remote program (default "sevmig-certs")
 *   SEVMIG_SEV_DEVICE       the SEV device (default /dev/sev)
 *   SEVMIG_CONNECT_TIMEOUT  seconds (default 10): KDS and ssh connections,
 *                           and the whole QMP exchange
 *   SEVMIG_TIMEOUT          seconds (default 60): the whole KDS fetch
 *   SEVMIG_KDS_RETRY_DELAY  seconds between KDS retries when the server
 *                           gives no Retry-After (default 5; 10 after 400)
 */

#include "certs/bundle.h"
#include "certs/cert.h"
#include "base/err.h"

struct sm_fetch_opts {
	const char *kds_url; /* NULL: $SEVMIG_KDS_URL or AMD's KDS */
	const char *
		cache_dir; /* NULL: $XDG_CACHE_HOME/sevmig or ~/.cache/sevmig */
	int offline; /* cache only, never the network */
	double connect_timeout; /* seconds; 0 = $SEVMIG_CONNECT_TIMEOUT or 10 */
	double total_timeout; /* seconds; 0 = $SEVMIG_TIMEOUT or 60 */
	int retries; /* extra attempts; <0 = default (3) */
	const char *sev_device; /* NULL: $SEVMIG_SEV_DEVICE or /dev/sev */
	const char *ssh_program; /* NULL: $SEVMIG_SSH or "ssh" */
	const char *
		remote_program; /* NULL: $SEVMIG_REMOTE_CERTS, "sevmig-certs" */
	enum sm_product product; /* named with --product, else UNKNOWN */
};

/*
 * Fetch a chain from source into ch/info.  Does not verify it: the caller
 * runs sm_chain_verify.  For sim:DIR, *sim_ark (if not NULL) receives the
 * simulated ARK to trust.  Errors: SM_EXIT_USAGE (bad source string),
 * SM_EXIT_UNSUPPORTED (no /dev/sev, QEMU without SEV), SM_EXIT_IO
 * (transport, KDS), SM_EXIT_VERIFY (what came back does not parse, a KDS
 * CEK whose key is not the platform's, an unsigned CEK without a chip id).
 * Blocks: up to the connect timeout for QMP, the total timeout for the
 * KDS, connect + total + 10 s for ssh.  Callers that zero the options
 * must set retries to -1 for the default.
 */
int sm_fetch(const char *source, const struct sm_fetch_opts *o,
	     struct sm_chain *ch, struct sm_bundle_info *info,
	     struct sm_amd_cert *sim_ark, int *have_sim_ark, struct sm_err *e);

/*
 * An incoming SEV-SNP guest's target bundle (certs/snp-target.h,
 * docs/sevmig-snp.7), from
 *   snp-target:SOCK            the VM endpoint's snp-target operation (no
 *                              claim); its hello names the platform, kept
 *                              in t->host ("sim:DIR" or "kvm")
 *   ssh://[user@]host[:port]/snp-target:SOCK
 *                              "REMOTE_PROGRAM fetch [--offline]
 *                              --ark-from-vm snp-target:SOCK" on that host,
 *                              its bundle decoded (sm_snp_target_decode);
 *                              the remote verified it against its own
 *                              simulated host's ARK or AMD's roots, which
 *                              decides nothing here
 * Does not verify: the caller runs sm_snp_target_verify.  For a local VM
 * on a simulated host, sim_ark (n bytes; NULL: not wanted) gets the path
 * of that host's snp-ark.pem, else "".  Errors as sm_fetch's, SM_EXIT_VM
 * for the VMM's refusal (no SNP guest, not incoming).
 */
struct sm_snp_target;
int sm_fetch_snp_target(const char *source, const struct sm_fetch_opts *o,
			struct sm_snp_target *t, char *sim_ark, size_t n,
			struct sm_err *e);
/* 1 when source is snp-target:SOCK or ssh://.../snp-target:SOCK. */
int sm_fetch_is_snp_target(const char *source);

/*
 * The KDS client's options for o (NULL: the defaults): URL, cache,
 * offline, retries, and the timeouts and retry delay from o or the
 * environment above.  No check callback.
 */
struct sm_kds_opts;
void sm_fetch_kds_opts(const struct sm_fetch_opts *o, struct sm_kds_opts *k);

#endif
