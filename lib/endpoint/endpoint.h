/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_ENDPOINT_H
#define SEVMIG_ENDPOINT_H

/*
 * The VM endpoint (vm.sock), client side.  A unix stream socket carrying
 * versioned JSON messages, with file descriptors passed by SCM_RIGHTS.
 * The protocol is documented in docs/sevmig-endpoint.7; the reusable
 * server side is endpoint-server.h.  Outside dependency: jansson.
 *
 * Every call returns 0 or -1 with e filled: SM_EXIT_VM for an error reply
 * from the VMM (its message relayed), SM_EXIT_IO for a broken connection
 * or a timeout, SM_EXIT_UNSUPPORTED for an unknown protocol version.
 * After a transport failure (timeout, broken frame, a reply that is not
 * a reply, descriptors not asked for) the connection is unusable: every
 * later call fails with SM_EXIT_IO, so a late reply can never pass for
 * the answer to another request.  Reconnect.  An error reply from the
 * VMM leaves the connection usable.
 */

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/platform.h"

#define SM_EP_VERSION 1
#define SM_EP_MAX_RANGES 64
#define SM_EP_MAX_FDS 16
#define SM_EP_MSG_MAX (1u << 20) /* larger messages are refused */
/* More shared regions than this from a VMM is an error (bounded memory). */
#define SM_EP_MAX_SHARED_REGIONS (1u << 20)

struct sm_ep;

struct sm_ep_range {
	uint64_t gpa; /* guest physical address, page aligned */
	uint64_t size; /* bytes, page aligned */
	int fd_index; /* index into sm_ep_hello.fds */
	uint64_t offset; /* offset of gpa within that fd */
};

struct sm_ep_hello {
	int version;
	char platform[8]; /* "sim" or "kvm", as the VMM said */
	enum sm_platform kind; /* platform, parsed; UNKNOWN if neither */
	char platform_dir[PATH_MAX]; /* sim: the simulated host directory */
	char role[16]; /* "source" or "incoming" */
	/*
	 * VMM state.  Source: running, paused, released.  Incoming:
	 * incoming (waiting), receiving (claimed by an importer),
	 * received-paused (a context adopted, not resumed yet), then
	 * running like any VMM.
	 */
	char state[20];
	int claimed; /* this connection holds the VMM's claim */
	unsigned vcpus;
	int es;
	uint32_t policy;
	int migration_ready; /* the guest wrote MSR_KVM_MIGRATION_CONTROL */
	/*
	 * Migration helpers in the guest (0: none): helper i serves the
	 * mailbox at SM_MH_MAILBOX_GPA + i * 0x2000 (fw/mh.h).
	 */
	unsigned mh_helpers;
	/*
	 * An SEV-SNP guest with an SVSM (0: not one): the SVSM serves this
	 * many mailboxes at SM_SVSM_MAILBOX_GPA (fw/svsm.h); snp_policy is
	 * its 64-bit SNP guest policy; svsm_state_records: the SVSM's own
	 * state, in 4 KiB records (it says so at boot).
	 */
	unsigned svsm_mailboxes;
	uint64_t snp_policy;
	uint32_t svsm_state_records;
	/*
	 * Incoming: the guest memory holds zeros only (nothing was written
	 * since it was cleared), so an importer need not touch the pages of
	 * zero records; optional, absent: not known.
	 */
	int ram_zeroed;
	uint64_t mem_size; /* sum of the ranges */
	size_t nranges;
	struct sm_ep_range ranges[SM_EP_MAX_RANGES];
	int nfds;
	int fds[SM_EP_MAX_FDS]; /* memory fds; the caller closes them */
};

/* Why a guest waits for an explicit decision (status "hold"). */
#define SM_EP_HOLD_MAX 240

struct sm_ep_status {
	char vmm_state[20]; /* as sm_ep_hello.state */
	char guest_state[16]; /* RUNNING, SUPDATE, SENT, RUPDATE, ... */
	uint32_t policy;
	uint32_t handle;
	uint64_t mem_size;
	int context_held; /* a client holds the context */
	/* additions */
	char role[16]; /* source or incoming */
	unsigned vcpus;
	int es;
	int migration_ready;
	int claimed; /* a client holds the VMM's claim */
	/*
	 * "" when the guest may simply be resumed; else "uncommitted" (a
	 * received guest whose export was never confirmed: the source may
	 * still hold it) or "in-doubt" (a source whose exporter vanished
	 * after the whole stream left: a target may run the guest).  Either
	 * way resume needs force; hold_reason says why, for an operator.
	 */
	char hold[16];
	char hold_reason[SM_EP_HOLD_MAX];
};

/* The optional "check" operation (sevmig-sim): the guest checks its pages. */
#define SM_EP_CHECK_FIRST 8
struct sm_ep_check {
	uint64_t pages; /* pages checked */
	uint64_t bad; /* pages whose content is wrong */
	size_t nfirst;
	uint64_t first_bad[SM_EP_CHECK_FIRST]; /* GPAs of the first bad ones */
	unsigned vmsas; /* VMSAs checked (SEV-ES) */
	unsigned bad_vmsas;
	/* an SNP guest's SVSM state records checked (optional, else 0) */
	unsigned svsm_states, bad_svsm_states;
};

/* A GPA range the guest made shared. */
struct sm_ep_region {
	uint64_t gpa, size;
};

/*
 * Connect to path; timeout_s bounds every later request/reply (0 = 30 s),
 * so a VMM that stops answering gives SM_EXIT_IO, never a hang.
 */
int sm_ep_connect(const char *path, double timeout_s, struct sm_ep **ep,
		  struct sm_err *e);
void sm_ep_close(struct sm_ep *ep);

/*
 * hello: what the VMM is, its state and its memory layout, without the
 * memory itself (h->nfds is 0).  claim: the same, and the VMM becomes
 * this connection's alone until it closes: every other client gets
 * "busy" for anything but hello and status; an incoming VMM goes from
 * incoming to receiving, and back (its memory cleared) if the connection
 * closes before it adopted a context.  Only a claim passes the memory
 * fds (h->nfds >= 1).  A VMM that is claimed by another client answers
 * "busy"; one that cannot be claimed in its state (released, holding a
 * received guest) answers "state".
 */
int sm_ep_hello(struct sm_ep *ep, struct sm_ep_hello *h, struct sm_err *e);
int sm_ep_claim(struct sm_ep *ep, struct sm_ep_hello *h, struct sm_err *e);
int sm_ep_pause(struct sm_ep *ep, struct sm_err *e);
int sm_ep_resume(struct sm_ep *ep, struct sm_err *e);
/* Resume a guest on hold (uncommitted or in doubt): the operator decided. */
int sm_ep_resume_forced(struct sm_ep *ep, struct sm_err *e);
int sm_ep_status(struct sm_ep *ep, struct sm_ep_status *st, struct sm_err *e);

/* Shared regions, sorted by gpa; *r is malloc'd, the caller frees it. */
int sm_ep_shared_regions(struct sm_ep *ep, struct sm_ep_region **r, size_t *n,
			 struct sm_err *e);
/* Incoming: tell the VMM which ranges the guest had shared. */
int sm_ep_set_shared_regions(struct sm_ep *ep, const struct sm_ep_region *r,
			     size_t n, struct sm_err *e);

/*
 * Device state, streamed: *fd is a pipe the VMM writes exactly *size bytes
 * to (read it to EOF, then close it).  load: the tool writes size bytes
 * into *fd and closes it; sm_ep_load_device_state_done waits for the VMM's
 * verdict.
 */
int sm_ep_device_state(struct sm_ep *ep, int *fd, uint64_t *size,
		       struct sm_err *e);
int sm_ep_load_device_state(struct sm_ep *ep, uint64_t size, int *fd,
			    struct sm_err *e);
int sm_ep_load_device_state_done(struct sm_ep *ep, struct sm_err *e);

/*
 * Context hand-off.  take: the source VMM hands its context (sim: the
 * context memfd; kvm: its VM fd) and stops using it.  return: the tool
 * gives it back after a failure (source intact, may resume).  release: the
 * export committed; the source discards its guest.  adopt: the incoming
 * VMM takes the context after RECEIVE_FINISH.
 */
int sm_ep_take_context(struct sm_ep *ep, int *ctx_fd, struct sm_err *e);
int sm_ep_return_context(struct sm_ep *ep, int ctx_fd, struct sm_err *e);
/*
 * Give the context back, but leave the guest on hold ("in-doubt"): the
 * whole stream left and an importer may run the guest elsewhere.
 */
int sm_ep_return_context_in_doubt(struct sm_ep *ep, int ctx_fd,
				  const char *reason, struct sm_err *e);
int sm_ep_release(struct sm_ep *ep, struct sm_err *e);
/*
 * The holder's progress through the point where the guest may exist
 * twice, so the source VMM knows it (state, not a guess) if the holder
 * vanishes: stream-written, the whole stream left (one-way: an importer
 * may complete it); target-ready, an importer holds a complete copy
 * (two-way: the VMM then completes the send itself).
 */
int sm_ep_stream_written(struct sm_ep *ep, struct sm_err *e);
int sm_ep_target_ready(struct sm_ep *ep, struct sm_err *e);
/*
 * Incoming: adopt the received context.  pending: the export is not
 * committed yet (two-way, before "commit"): the guest stays on hold
 * ("uncommitted") until sm_ep_commit, and resume needs force.
 */
int sm_ep_adopt_context(struct sm_ep *ep, int ctx_fd, int pending,
			struct sm_err *e);
/*
 * Incoming, with migration helpers: take the guest they received into
 * the VMM's own context (no descriptor); refused until they accepted a
 * valid END record.
 */
int sm_ep_adopt_received(struct sm_ep *ep, int pending, struct sm_err *e);
int sm_ep_commit(struct sm_ep *ep, struct sm_err *e);
/* Incoming: drop a received guest that never ran; wait for an import. */
int sm_ep_discard(struct sm_ep *ep, struct sm_err *e);

/*
 * Optional operations (the simulated VMM implements them; a VMM without
 * them answers "unsupported").  digest: SHA-256 of guest-visible memory
 * (private pages decrypted, shared as stored, GPA order, then the VMSAs
 * of an ES guest) and the page count.  check: the guest verifies the
 * content of every page.  quit: the VMM exits after replying.
 */
int sm_ep_digest(struct sm_ep *ep, uint8_t sha256[32], uint64_t *pages,
		 struct sm_err *e);
int sm_ep_check(struct sm_ep *ep, struct sm_ep_check *c, struct sm_err *e);

/*
 * A launch for a guest owner (sevmig-sim run --await-secret; the VMM
 * refuses them otherwise).  launch-measure: LAUNCH_MEASURE (once; later
 * calls give the same answer): the 48-byte MEASURE || MNONCE and what the
 * owner needs to check it.  launch-secret: LAUNCH_SECRET with the packet
 * header and payload, then LAUNCH_FINISH.  launch-finish: LAUNCH_FINISH
 * without a secret.  secrets: the OVMF secret table the guest holds, by
 * entry.
 */
#define SM_EP_MEASURE_LEN 48
#define SM_EP_SECRET_MAX 0x4000u
#define SM_EP_SECRETS_MAX 64
struct sm_ep_launch_measure {
	uint8_t blob[SM_EP_MEASURE_LEN];
	unsigned api_major, api_minor, build;
	uint32_t policy;
};
struct sm_ep_secret {
	char guid[37]; /* lowercase, 8-4-4-4-12 */
	uint8_t sha256[32]; /* of the entry's data */
	uint32_t size; /* of the data */
};
struct sm_ep_secrets {
	size_t n;
	struct sm_ep_secret s[SM_EP_SECRETS_MAX];
};
int sm_ep_launch_measure(struct sm_ep *ep, struct sm_ep_launch_measure *m,
			 struct sm_err *e);
int sm_ep_launch_secret(struct sm_ep *ep, const uint8_t *hdr, size_t hdr_len,
			const uint8_t *payload, size_t len, struct sm_err *e);
int sm_ep_launch_finish(struct sm_ep *ep, struct sm_err *e);
int sm_ep_secrets(struct sm_ep *ep, struct sm_ep_secrets *s, struct sm_err *e);
int sm_ep_quit(struct sm_ep *ep, struct sm_err *e);

/*
 * An SEV-SNP guest with an SVSM (sevmig-sim run --snp; docs/sevmig-snp.7).
 * snp-report: the guest's SVSM asks the PSP for an attestation report
 * (0x4A0 bytes, signed by the host's VCEK) whose REPORT_DATA is
 * report_data.  snp-target: an incoming SNP guest's migration data, its
 * SVSM's ephemeral P-384 public key (0x04 || x || y), the nonce, and the
 * report whose REPORT_DATA binds them, with the host's VCEK (DER) and
 * its chain (PEM, ASK then ARK).  Both are read-only (no claim).
 */
#define SM_EP_SNP_REPORT_LEN 0x4a0u
#define SM_EP_SNP_PUB_LEN 97u
#define SM_EP_SNP_NONCE_LEN 32u
#define SM_EP_SNP_VCEK_MAX 4096u
#define SM_EP_SNP_CHAIN_MAX 16384u
struct sm_ep_snp_target {
	uint8_t report[SM_EP_SNP_REPORT_LEN];
	uint8_t pub[SM_EP_SNP_PUB_LEN];
	uint8_t nonce[SM_EP_SNP_NONCE_LEN];
	uint8_t vcek[SM_EP_SNP_VCEK_MAX];
	size_t vcek_len;
	char chain[SM_EP_SNP_CHAIN_MAX]; /* NUL-ended */
};
int sm_ep_snp_report(struct sm_ep *ep, const uint8_t report_data[64],
		     uint8_t report[SM_EP_SNP_REPORT_LEN], struct sm_err *e);
int sm_ep_snp_target(struct sm_ep *ep, struct sm_ep_snp_target *t,
		     struct sm_err *e);

/*
 * Raw access for tests and tools: send one request (a JSON object text;
 * "version" is added when missing) with nfds descriptors and return the
 * reply text (malloc'd, the caller frees) and up to SM_EP_MAX_FDS received
 * descriptors (the caller closes them).  An error reply is not an error
 * here: the caller reads "ok".  -1 only for transport failures.
 */
int sm_ep_call_raw(struct sm_ep *ep, const char *req, const int *fds, int nfds,
		   char **reply, int *rfds, int *nrfds, struct sm_err *e);

/* Wait for one more message (the load-device-state verdict), raw. */
int sm_ep_recv_raw(struct sm_ep *ep, char **reply, int *rfds, int *nrfds,
		   struct sm_err *e);

/* The connected socket (tests send malformed bytes through it). */
int sm_ep_socket(struct sm_ep *ep);

#endif
