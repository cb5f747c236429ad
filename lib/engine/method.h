/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_METHOD_H
#define SEVMIG_METHOD_H

/*
 * The migration-method seam: how a guest's private state leaves the
 * source and enters the target.  The engines (export.c, import.c) own the
 * VMM, the stream and the archive; a method owns the keys and seals or
 * opens what crosses: it starts, seals/opens one private page, seals/opens
 * the final state (each vCPU's VMSA), and finishes (or, sending, cancels).
 *
 * Today's one method is the PSP's (method-psp.c): SEND_* and RECEIVE_*
 * through the firmware seam (fw/fw.h), ctx the struct sm_fw.  A
 * guest-assisted migration helper or an SNP migration agent is another
 * pair of tables, not another engine.
 *
 * Every operation returns 0, or -1 with e set: SM_EXIT_VERIFY for a packet
 * or session that fails its authentication, SM_EXIT_VM for the rest.
 */

#include <stdint.h>

#include "archive/format.h"
#include "base/err.h"
#include "certs/cert.h"
#include "fw/svsm.h"

struct sm_send_start {
	const struct sm_chain *target; /* in: the verified target chain */
	uint8_t src_pdh[SM_SEV_CERT_LEN]; /* out: the source's PDH */
	uint8_t session[SM_REC_SESSION_LEN]; /* out: for the target's start */
	uint32_t policy; /* out: the guest's policy */
	/* svsm: in, the verified target bundle; out, the start record */
	const struct sm_svsm_target *snp_target;
	uint8_t svsm_start[SM_SVSM_START_ENTRY_LEN];
};

struct sm_method_send {
	const char *name;
	/*
	 * The record kinds of its private pages, VMSAs and closing record
	 * (0: none), each sm_rec_data_len(kind) bytes of data.
	 */
	uint32_t page_kind, vmsa_kind, end_kind;
	int (*start)(void *ctx, struct sm_send_start *a, struct sm_err *e);
	/*
	 * guest: the page as mapped (a method whose helper reads the page
	 * itself ignores it); hdr and out: the record's packet header and
	 * its data, sm_rec_data_len(page_kind) bytes.
	 */
	int (*seal_page)(void *ctx, uint64_t gpa, const void *guest,
			 uint8_t hdr[SM_REC_PKT_HDR_LEN], uint8_t *out,
			 struct sm_err *e);
	int (*seal_vmsa)(void *ctx, unsigned vcpu,
			 uint8_t hdr[SM_REC_PKT_HDR_LEN], uint8_t *out,
			 struct sm_err *e);
	/*
	 * svsm: after the VMSAs, chunk index of total of the SVSM's own
	 * state, a record of kind SM_REC_SVSM_STATE; NULL: none.
	 */
	int (*seal_state)(void *ctx, uint32_t index, uint32_t total,
			  uint8_t *out, struct sm_err *e);
	/*
	 * Last, the closing record of kind end_kind, or NULL: none.
	 */
	int (*seal_end)(void *ctx, uint8_t *out, struct sm_err *e);
	/*
	 * A method that seals in the background (NULL: seal_page is done
	 * when it returns): every page handed over is sealed into its out
	 * when this returns; the engine calls it before it uses them.
	 */
	int (*flush)(void *ctx, struct sm_err *e);
	int (*finish)(void *ctx, struct sm_err *e);
	int (*cancel)(void *ctx, struct sm_err *e);
};

struct sm_recv_start {
	uint32_t policy;
	unsigned nvcpus;
	const uint8_t *src_pdh; /* SM_SEV_CERT_LEN */
	const uint8_t *session; /* SM_REC_SESSION_LEN */
	uint32_t handle; /* out: the new guest's handle */
	const uint8_t *svsm_start; /* svsm: SM_SVSM_START_ENTRY_LEN */
};

struct sm_method_recv {
	const char *name;
	int (*start)(void *ctx, struct sm_recv_start *a, struct sm_err *e);
	/* guest: where the page goes in the target's memory */
	int (*open_page)(void *ctx, uint64_t gpa, const uint8_t *hdr,
			 const uint8_t *in, void *guest, struct sm_err *e);
	int (*open_vmsa)(void *ctx, unsigned vcpu, const uint8_t *hdr,
			 const uint8_t *in, struct sm_err *e);
	/* svsm: a state record (seal_state's), or NULL: there are none. */
	int (*open_state)(void *ctx, uint32_t index, const uint8_t *in,
			  struct sm_err *e);
	/* The closing record (seal_end's), or NULL: there is none. */
	int (*open_end)(void *ctx, const uint8_t *in, struct sm_err *e);
	/* As sending: every page handed over was opened (NULL: at once). */
	int (*flush)(void *ctx, struct sm_err *e);
	int (*finish)(void *ctx, struct sm_err *e);
};

/* The PSP's method; ctx is the struct sm_fw of the guest's platform. */
extern const struct sm_method_send sm_psp_send;
extern const struct sm_method_recv sm_psp_recv;

/*
 * The guest's migration helpers (method-mh.c); ctx is a struct sm_mbx
 * on the VM's mailboxes (mailbox.h).  No SEND_*, no RECEIVE_*: the
 * helpers seal and open, and the target's proves itself by holding the
 * owner's key.
 */
struct sm_ep_hello;
struct sm_mbx;
extern const struct sm_method_send sm_mh_send;
extern const struct sm_method_recv sm_mh_recv;
/* Map the mailboxes of the VM's helpers (hello of a claim, its fds). */
int sm_mh_host_open(const struct sm_ep_hello *h, int timeout_ms,
		    struct sm_mbx **out, struct sm_err *e);

/*
 * An SEV-SNP guest's SVSM (method-svsm.c); ctx is a struct sm_mbx on the
 * SVSM's mailboxes.  The source's SVSM checks the target's attestation
 * and seals every page, VMSA and its own state under a key agreed with
 * the target's SVSM (fw/svsm.h); the target's opens them.
 */
extern const struct sm_method_send sm_svsm_send;
extern const struct sm_method_recv sm_svsm_recv;
int sm_svsm_host_open(const struct sm_ep_hello *h, int timeout_ms,
		      struct sm_mbx **out, struct sm_err *e);

#endif
