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

struct sm_send_start {
	const struct sm_chain *target; /* in: the verified target chain */
	uint8_t src_pdh[SM_SEV_CERT_LEN]; /* out: the source's PDH */
	uint8_t session[SM_REC_SESSION_LEN]; /* out: for the target's start */
	uint32_t policy; /* out: the guest's policy */
};

struct sm_method_send {
	const char *name;
	int (*start)(void *ctx, struct sm_send_start *a, struct sm_err *e);
	/* guest: the page as mapped; hdr and out: the packet header and the
	 * sealed page the archive carries. */
	int (*seal_page)(void *ctx, uint64_t gpa, const void *guest,
			 uint8_t hdr[SM_REC_PKT_HDR_LEN],
			 uint8_t out[SM_PAGE_SIZE], struct sm_err *e);
	int (*seal_vmsa)(void *ctx, unsigned vcpu,
			 uint8_t hdr[SM_REC_PKT_HDR_LEN],
			 uint8_t out[SM_PAGE_SIZE], struct sm_err *e);
	int (*finish)(void *ctx, struct sm_err *e);
	int (*cancel)(void *ctx, struct sm_err *e);
};

struct sm_recv_start {
	uint32_t policy;
	unsigned nvcpus;
	const uint8_t *src_pdh; /* SM_SEV_CERT_LEN */
	const uint8_t *session; /* SM_REC_SESSION_LEN */
	uint32_t handle; /* out: the new guest's handle */
};

struct sm_method_recv {
	const char *name;
	int (*start)(void *ctx, struct sm_recv_start *a, struct sm_err *e);
	/* guest: where the page goes in the target's memory */
	int (*open_page)(void *ctx, uint64_t gpa, const uint8_t *hdr,
			 const uint8_t *in, void *guest, struct sm_err *e);
	int (*open_vmsa)(void *ctx, unsigned vcpu, const uint8_t *hdr,
			 const uint8_t *in, struct sm_err *e);
	int (*finish)(void *ctx, struct sm_err *e);
};

/* The PSP's method; ctx is the struct sm_fw of the guest's platform. */
extern const struct sm_method_send sm_psp_send;
extern const struct sm_method_recv sm_psp_recv;

#endif
