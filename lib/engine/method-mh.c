// SPDX-License-Identifier: MIT
/*
 * The guest-assisted migration method: the guest's migration helpers
 * seal and open private pages themselves (fw/mh.h), and the engines only
 * carry what the helpers leave in their mailboxes (mailbox.h).  Sending:
 * INIT, one ENCRYPT per private page, END for the closing record; cancel
 * is RESET.  Receiving: INIT, one DECRYPT per page, END checks the
 * closing record.
 */
#include "engine/method.h"

#include "archive/records.h"
#include "endpoint/endpoint.h"
#include "engine/mailbox.h"
#include "fw/mh.h"

_Static_assert(SM_MH_REC_LEN == SM_REC_MH_LEN,
	       "the archive's helper record is the mailbox's header and page");

static const char *cmd_name(uint64_t cmd)
{
	switch (cmd) {
	case SM_MH_INIT:
		return "INIT";
	case SM_MH_ENCRYPT:
		return "ENCRYPT";
	case SM_MH_DECRYPT:
		return "DECRYPT";
	case SM_MH_RESET:
		return "RESET";
	default:
		return "END";
	}
}

static const struct sm_mbx_kind mh_kind = {
	.what = "the migration helper",
	.base = SM_MH_MAILBOX_GPA,
	.hdr_len = SM_MH_ENV_LEN,
	.with_len = 1,
	.cmd_name = cmd_name,
};

int sm_mh_host_open(const struct sm_ep_hello *h, int timeout_ms,
		    struct sm_mbx **out, struct sm_err *e)
{
	if (h->mh_helpers == 0 || h->mh_helpers > SM_MH_MAX_HELPERS) {
		*out = NULL;
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "the guest has no migration helper");
	}
	return sm_mbx_open(&mh_kind, h, h->mh_helpers, timeout_ms, out, e);
}

/* ---- sending ---- */

static int send_start(void *ctx, struct sm_send_start *a, struct sm_err *e)
{
	(void)a;
	return sm_mbx_call(
		ctx, SM_MH_INIT, 0,
		" (does the guest hold the owner's key, launch secret GUID " SM_MH_KEY_GUID
		"?)",
		e);
}

static int send_page(void *ctx, uint64_t gpa, const void *guest,
		     uint8_t hdr[SM_REC_PKT_HDR_LEN], uint8_t *out,
		     struct sm_err *e)
{
	(void)guest;
	memset(hdr, 0, SM_REC_PKT_HDR_LEN);
	return sm_mbx_post(ctx, SM_MH_ENCRYPT, gpa, NULL, out, e);
}

/* The helper runs in the guest: it cannot reach the VMSAs (SEV-ES). */
static int no_vmsa(unsigned vcpu, struct sm_err *e)
{
	return sm_err_set(
		e, SM_EXIT_UNSUPPORTED,
		"vCPU %u: a migration helper cannot reach an SEV-ES guest's VMSAs",
		vcpu);
}

static int send_vmsa(void *ctx, unsigned vcpu, uint8_t hdr[SM_REC_PKT_HDR_LEN],
		     uint8_t *out, struct sm_err *e)
{
	(void)ctx;
	(void)hdr;
	(void)out;
	return no_vmsa(vcpu, e);
}

static int send_end(void *ctx, uint8_t *out, struct sm_err *e)
{
	return sm_mbx_call_rec(ctx, SM_MH_END, SM_MH_END_GPA, NULL, out, e);
}

static int method_flush(void *ctx, struct sm_err *e)
{
	return sm_mbx_flush(ctx, e);
}

static int send_cancel(void *ctx, struct sm_err *e)
{
	struct sm_err e2;

	(void)sm_mbx_flush(ctx, &e2); /* whatever they said: the send is over */
	return sm_mbx_call(ctx, SM_MH_RESET, 0, NULL, e);
}

const struct sm_method_send sm_mh_send = {
	.name = "mh",
	.page_kind = SM_REC_MH_PAGE,
	.vmsa_kind = SM_REC_VMSA,
	.end_kind = SM_REC_MH_END,
	.start = send_start,
	.seal_page = send_page,
	.seal_vmsa = send_vmsa,
	.seal_end = send_end,
	.flush = method_flush,
	/* The END record went out with the stream: nothing is left to do. */
	.finish = method_flush,
	.cancel = send_cancel,
};

/* ---- receiving ---- */

static int recv_start(void *ctx, struct sm_recv_start *a, struct sm_err *e)
{
	(void)a;
	return sm_mbx_call(
		ctx, SM_MH_INIT, 0,
		" (was the target given the owner's key, launch secret GUID " SM_MH_KEY_GUID
		"?)",
		e);
}

static int recv_page(void *ctx, uint64_t gpa, const uint8_t *hdr,
		     const uint8_t *in, void *guest, struct sm_err *e)
{
	(void)hdr;
	(void)guest;
	return sm_mbx_post(ctx, SM_MH_DECRYPT, gpa, in, NULL, e);
}

static int recv_vmsa(void *ctx, unsigned vcpu, const uint8_t *hdr,
		     const uint8_t *in, struct sm_err *e)
{
	(void)ctx;
	(void)hdr;
	(void)in;
	return no_vmsa(vcpu, e);
}

static int recv_end(void *ctx, const uint8_t *in, struct sm_err *e)
{
	return sm_mbx_call_rec(ctx, SM_MH_END, SM_MH_END_GPA, in, NULL, e);
}

const struct sm_method_recv sm_mh_recv = {
	.name = "mh",
	.start = recv_start,
	.open_page = recv_page,
	.open_vmsa = recv_vmsa,
	.open_end = recv_end,
	.flush = method_flush,
	/* The helper accepted END (open_end): the VMM checks it again. */
	.finish = method_flush,
};
