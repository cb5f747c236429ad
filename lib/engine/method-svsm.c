// SPDX-License-Identifier: MIT
/*
 * The SNP migration method through the guest's SVSM (fw/svsm.h): the
 * engines hand the target's attestation to the source's SVSM (LOAD,
 * START_SOURCE), which checks it, agrees a transport key with the
 * target's SVSM and seals every private page (ENCRYPT, posted to every
 * mailbox in turn), every vCPU's VMSA, its own state and an END record;
 * the target's SVSM opens them (START_TARGET, DECRYPT, VMSA_IN,
 * STATE_IN, END).  The engines only carry what the SVSM leaves in its
 * mailboxes (mailbox.h).
 */
#include "engine/method.h"

#include <stdlib.h>
#include <string.h>

#include "archive/records.h"
#include "base/bytes.h"
#include "base/util.h"
#include "endpoint/endpoint.h"
#include "engine/mailbox.h"
#include "fw/mh.h"

_Static_assert(SM_SVSM_REC_LEN == SM_REC_SVSM_LEN,
	       "the archive's SVSM record is the mailbox's entry and page");
_Static_assert(SM_SVSM_START_LEN == SM_SVSM_START_ENTRY_LEN,
	       "the archive's start entry is the SVSM's start record");
_Static_assert(SM_SVSM_STATE_MAX == SM_SVSM_STATE_MAX_CHUNKS,
	       "the archive bounds the SVSM's state as the SVSM does");

static const char *cmd_name(uint64_t cmd)
{
	static const char *const names[] = {
		"KEYGEN",	"TARGET_INFO", "LOAD",	   "START_SOURCE",
		"START_TARGET", "ENCRYPT",     "DECRYPT",  "VMSA_OUT",
		"VMSA_IN",	"STATE_OUT",   "STATE_IN", "END",
		"RESET",
	};

	if (cmd >= SM_SVSM_CMD_KEYGEN && cmd <= SM_SVSM_CMD_RESET)
		return names[cmd - SM_SVSM_CMD_KEYGEN];
	return "?";
}

static const struct sm_mbx_kind svsm_kind = {
	.what = "the SVSM",
	.base = SM_SVSM_MAILBOX_GPA,
	.hdr_len = SM_SVSM_ENTRY_LEN,
	.with_len = 0,
	.cmd_name = cmd_name,
};

int sm_svsm_host_open(const struct sm_ep_hello *h, int timeout_ms,
		      struct sm_mbx **out, struct sm_err *e)
{
	if (h->svsm_mailboxes == 0 ||
	    h->svsm_mailboxes > SM_SVSM_MAX_MAILBOXES) {
		*out = NULL;
		return sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"the guest is not an SNP guest with an SVSM (sevmig-sim run --snp)");
	}
	return sm_mbx_open(&svsm_kind, h, h->svsm_mailboxes, timeout_ms, out,
			   e);
}

/* ---- sending ---- */

/* The target's attestation into the SVSM, a page at a time. */
static int load(struct sm_mbx *m, const uint8_t *blob, size_t len,
		struct sm_err *e)
{
	uint8_t *mb = sm_mbx_at(m, 0);
	size_t off;

	for (off = 0; off < len; off += SM_PAGE_SIZE) {
		size_t n = len - off < SM_PAGE_SIZE ? len - off : SM_PAGE_SIZE;

		if (sm_mbx_flush(m, e))
			return -1;
		sm_put_le32(mb + SM_MH_HDR_OFF, 8);
		sm_put_le32(mb + SM_MH_HDR_OFF + 4, (uint32_t)n);
		sm_put_le32(mb + SM_MH_HDR_OFF + 8, (uint32_t)len);
		memcpy(mb + SM_MH_PAGE_OFF, blob + off, n);
		if (sm_mbx_call(m, SM_SVSM_CMD_LOAD, off, NULL, e))
			return -1;
	}
	return 0;
}

static int send_start(void *ctx, struct sm_send_start *a, struct sm_err *e)
{
	struct sm_mbx *m = ctx;
	uint8_t *blob, *mb = sm_mbx_at(m, 0);
	size_t len;
	int rc;

	if (!a->snp_target)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "the SVSM method needs the target's bundle");
	if (sm_svsm_load_build(a->snp_target, &blob, &len))
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"the target's bundle does not fit the SVSM's LOAD blob");
	rc = load(m, blob, len, e);
	free(blob);
	if (rc ||
	    sm_mbx_call(m, SM_SVSM_CMD_START_SOURCE, 0,
			" (the source's SVSM checked the target's report again)",
			e))
		return -1;
	if (sm_get_le32(mb + SM_MH_HDR_OFF) != SM_SVSM_START_LEN)
		return sm_err_set(e, SM_EXIT_VM,
				  "the SVSM left a start record of %u bytes",
				  sm_get_le32(mb + SM_MH_HDR_OFF));
	memcpy(a->svsm_start, mb + SM_MH_HDR_OFF + 4, SM_SVSM_START_LEN);
	return 0;
}

static int send_page(void *ctx, uint64_t gpa, const void *guest,
		     uint8_t hdr[SM_REC_PKT_HDR_LEN], uint8_t *out,
		     struct sm_err *e)
{
	(void)guest;
	memset(hdr, 0, SM_REC_PKT_HDR_LEN);
	return sm_mbx_post(ctx, SM_SVSM_CMD_ENCRYPT, gpa, NULL, out, e);
}

static int send_vmsa(void *ctx, unsigned vcpu, uint8_t hdr[SM_REC_PKT_HDR_LEN],
		     uint8_t *out, struct sm_err *e)
{
	memset(hdr, 0, SM_REC_PKT_HDR_LEN);
	return sm_mbx_call_rec(ctx, SM_SVSM_CMD_VMSA_OUT, vcpu, NULL, out, e);
}

static int send_state(void *ctx, uint32_t index, uint32_t total, uint8_t *out,
		      struct sm_err *e)
{
	struct sm_svsm_entry en;

	if (sm_mbx_call_rec(ctx, SM_SVSM_CMD_STATE_OUT, index, NULL, out, e))
		return -1;
	sm_svsm_entry_decode(out, &en);
	if (sm_svsm_sw_type(en.software_data) != SM_SVSM_REC_STATE ||
	    sm_svsm_sw_index(en.software_data) != index ||
	    sm_svsm_sw_total(en.software_data) != total)
		return sm_err_set(
			e, SM_EXIT_VM,
			"the SVSM sealed state record %u of %u, not %u of %u as the VMM said",
			sm_svsm_sw_index(en.software_data),
			sm_svsm_sw_total(en.software_data), index, total);
	return 0;
}

static int send_end(void *ctx, uint8_t *out, struct sm_err *e)
{
	return sm_mbx_call_rec(ctx, SM_SVSM_CMD_END, UINT64_MAX, NULL, out, e);
}

static int method_flush(void *ctx, struct sm_err *e)
{
	return sm_mbx_flush(ctx, e);
}

static int send_cancel(void *ctx, struct sm_err *e)
{
	struct sm_err e2;

	(void)sm_mbx_flush(ctx, &e2); /* whatever it said: the send is over */
	return sm_mbx_call(ctx, SM_SVSM_CMD_RESET, 0, NULL, e);
}

const struct sm_method_send sm_svsm_send = {
	.name = "svsm",
	.page_kind = SM_REC_SVSM_PAGE,
	.vmsa_kind = SM_REC_SVSM_VMSA,
	.end_kind = SM_REC_SVSM_END,
	.start = send_start,
	.seal_page = send_page,
	.seal_vmsa = send_vmsa,
	.seal_state = send_state,
	.seal_end = send_end,
	.flush = method_flush,
	.finish = method_flush,
	.cancel = send_cancel,
};

/* ---- receiving ---- */

static int recv_start(void *ctx, struct sm_recv_start *a, struct sm_err *e)
{
	struct sm_mbx *m = ctx;
	uint8_t *mb = sm_mbx_at(m, 0);

	if (!a->svsm_start)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "the stream has no SVSM start record");
	if (sm_mbx_flush(m, e))
		return -1;
	sm_put_le32(mb + SM_MH_HDR_OFF, SM_SVSM_START_LEN);
	memcpy(mb + SM_MH_HDR_OFF + 4, a->svsm_start, SM_SVSM_START_LEN);
	return sm_mbx_call(
		m, SM_SVSM_CMD_START_TARGET, 0,
		" (is the target the one whose bundle the export used, and its key unused?)",
		e);
}

static int recv_page(void *ctx, uint64_t gpa, const uint8_t *hdr,
		     const uint8_t *in, void *guest, struct sm_err *e)
{
	(void)hdr;
	(void)guest;
	return sm_mbx_post(ctx, SM_SVSM_CMD_DECRYPT, gpa, in, NULL, e);
}

static int recv_vmsa(void *ctx, unsigned vcpu, const uint8_t *hdr,
		     const uint8_t *in, struct sm_err *e)
{
	(void)hdr;
	return sm_mbx_call_rec(ctx, SM_SVSM_CMD_VMSA_IN, vcpu, in, NULL, e);
}

static int recv_state(void *ctx, uint32_t index, const uint8_t *in,
		      struct sm_err *e)
{
	return sm_mbx_call_rec(ctx, SM_SVSM_CMD_STATE_IN, index, in, NULL, e);
}

static int recv_end(void *ctx, const uint8_t *in, struct sm_err *e)
{
	return sm_mbx_call_rec(ctx, SM_SVSM_CMD_END, UINT64_MAX, in, NULL, e);
}

const struct sm_method_recv sm_svsm_recv = {
	.name = "svsm",
	.start = recv_start,
	.open_page = recv_page,
	.open_vmsa = recv_vmsa,
	.open_state = recv_state,
	.open_end = recv_end,
	.flush = method_flush,
	.finish = method_flush,
};
