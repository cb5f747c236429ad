// SPDX-License-Identifier: MIT
/*
 * The PSP's migration method: the firmware seals every private page and
 * VMSA for the target's PDH (SEND_START, SEND_UPDATE_DATA/_VMSA,
 * SEND_FINISH) and the target's firmware opens them (RECEIVE_*).  The
 * commands go through the firmware seam, so this works on KVM and on the
 * simulated PSP alike.
 */
#include "engine/method.h"

#include <inttypes.h>
#include <string.h>

#include "archive/records.h"
#include "fw/fw.h"

/* ---- sending ---- */

static int send_start(void *ctx, struct sm_send_start *a, struct sm_err *e)
{
	const struct sm_chain *ch = a->target;
	uint8_t plat[SM_SEV_CHAIN_LEN], amd[2 * SM_AMD_CERT_MAX];
	uint8_t chain_buf[SM_SEV_CHAIN_LEN];
	struct sm_fw_send_start s = { 0 };
	struct sm_sev_cert src;
	struct sm_fw *fw = ctx;
	size_t amd_len = 0;

	/* The source PDH goes into the archive for RECEIVE_START. */
	if (sm_fw_pdh_cert_export(fw, a->src_pdh, chain_buf, e) ||
	    sm_sev_cert_parse(a->src_pdh, sizeof(a->src_pdh), &src, e))
		return sm_err_prefix(e, "source PDH");

	memcpy(plat, ch->pek.raw, SM_SEV_CERT_LEN);
	memcpy(plat + SM_SEV_CERT_LEN, ch->oca.raw, SM_SEV_CERT_LEN);
	memcpy(plat + 2 * SM_SEV_CERT_LEN, ch->cek.raw, SM_SEV_CERT_LEN);
	if (ch->have & SM_HAVE_ASK) {
		memcpy(amd, ch->ask.raw, ch->ask.len);
		amd_len = ch->ask.len;
	}
	if (ch->have & SM_HAVE_ARK) {
		memcpy(amd + amd_len, ch->ark.raw, ch->ark.len);
		amd_len += ch->ark.len;
	}
	s.pdh = ch->pdh.raw;
	s.pdh_len = SM_SEV_CERT_LEN;
	s.plat_certs = plat;
	s.plat_certs_len = sizeof(plat);
	s.amd_certs = amd;
	s.amd_certs_len = amd_len;
	s.session = a->session;

	/* Length query first, as the SEV API describes for SEND_START. */
	s.session_len = 0;
	if (sm_fw_send_start(fw, &s, e) == 0)
		return sm_err_set(
			e, SM_EXIT_VM,
			"SEND_START length query succeeded unexpectedly");
	if (fw->fw_error != SM_FW_INVALID_LENGTH)
		return -1;
	if (s.session_len != SM_REC_SESSION_LEN)
		return sm_err_set(
			e, SM_EXIT_VM,
			"SEND_START wants a session of %u bytes, not %u",
			s.session_len, SM_REC_SESSION_LEN);
	if (sm_fw_send_start(fw, &s, e))
		return -1;
	a->policy = s.policy;
	return 0;
}

static int send_page(void *ctx, uint64_t gpa, const void *guest,
		     uint8_t hdr[SM_REC_PKT_HDR_LEN], uint8_t *out,
		     struct sm_err *e)
{
	struct sm_fw_xfer xf = { 0 };

	xf.hdr = hdr;
	xf.hdr_len = SM_REC_PKT_HDR_LEN;
	xf.guest = (void *)(uintptr_t)guest;
	xf.guest_len = SM_PAGE_SIZE;
	xf.gpa = gpa;
	xf.trans = out;
	xf.trans_len = SM_PAGE_SIZE;
	if (sm_fw_send_update_data(ctx, &xf, e))
		return -1;
	if (xf.trans_len != SM_PAGE_SIZE || xf.hdr_len != SM_REC_PKT_HDR_LEN)
		return sm_err_set(e, SM_EXIT_VM,
				  "SEND_UPDATE_DATA returned %u bytes",
				  xf.trans_len);
	return 0;
}

static int send_vmsa(void *ctx, unsigned vcpu, uint8_t hdr[SM_REC_PKT_HDR_LEN],
		     uint8_t out[SM_PAGE_SIZE], struct sm_err *e)
{
	struct sm_fw_xfer xf = { 0 };

	xf.hdr = hdr;
	xf.hdr_len = SM_REC_PKT_HDR_LEN;
	xf.guest_len = SM_VMSA_SIZE;
	xf.trans = out;
	xf.trans_len = SM_PAGE_SIZE;
	xf.vcpu = vcpu;
	return sm_fw_send_update_vmsa(ctx, &xf, e);
}

static int send_finish(void *ctx, struct sm_err *e)
{
	return sm_fw_send_finish(ctx, e);
}

static int send_cancel(void *ctx, struct sm_err *e)
{
	return sm_fw_send_cancel(ctx, e);
}

const struct sm_method_send sm_psp_send = {
	.name = "psp",
	.page_kind = SM_REC_PRIVATE,
	.vmsa_kind = SM_REC_VMSA,
	.start = send_start,
	.seal_page = send_page,
	.seal_vmsa = send_vmsa,
	.finish = send_finish,
	.cancel = send_cancel,
};

/* ---- receiving ---- */

/*
 * A session or packet whose MAC fails (made for another PDH or policy,
 * damaged or forged) is a verification failure, not a firmware fault.
 */
static int recv_fail(struct sm_fw *fw, struct sm_err *e)
{
	if (fw->fw_error == SM_FW_BAD_MEASUREMENT)
		e->code = SM_EXIT_VERIFY;
	return -1;
}

static int recv_start(void *ctx, struct sm_recv_start *a, struct sm_err *e)
{
	struct sm_fw_receive_start s = { 0 };
	struct sm_fw *fw = ctx;

	if (sm_fw_prepare_receive(fw, a->nvcpus, e))
		return -1;
	s.handle = 0;
	s.policy = a->policy;
	s.pdh = a->src_pdh;
	s.pdh_len = SM_SEV_CERT_LEN;
	s.session = a->session;
	s.session_len = SM_REC_SESSION_LEN;
	if (sm_fw_receive_start(fw, &s, e))
		return recv_fail(fw, e);
	a->handle = s.handle;
	return 0;
}

static int recv_page(void *ctx, uint64_t gpa, const uint8_t *hdr,
		     const uint8_t *in, void *guest, struct sm_err *e)
{
	struct sm_fw_xfer xf = { 0 };

	xf.hdr = (uint8_t *)(uintptr_t)hdr;
	xf.hdr_len = SM_REC_PKT_HDR_LEN;
	xf.guest = guest;
	xf.guest_len = SM_PAGE_SIZE;
	xf.gpa = gpa;
	xf.trans = (uint8_t *)(uintptr_t)in;
	xf.trans_len = SM_PAGE_SIZE;
	if (sm_fw_receive_update_data(ctx, &xf, e))
		return recv_fail(ctx, e);
	return 0;
}

static int recv_vmsa(void *ctx, unsigned vcpu, const uint8_t *hdr,
		     const uint8_t *in, struct sm_err *e)
{
	struct sm_fw_xfer xf = { 0 };

	xf.hdr = (uint8_t *)(uintptr_t)hdr;
	xf.hdr_len = SM_REC_PKT_HDR_LEN;
	xf.guest_len = SM_VMSA_SIZE;
	xf.trans = (uint8_t *)(uintptr_t)in;
	xf.trans_len = SM_PAGE_SIZE;
	xf.vcpu = vcpu;
	if (sm_fw_receive_update_vmsa(ctx, &xf, e))
		return recv_fail(ctx, e);
	return 0;
}

static int recv_finish(void *ctx, struct sm_err *e)
{
	return sm_fw_receive_finish(ctx, e);
}

const struct sm_method_recv sm_psp_recv = {
	.name = "psp",
	.start = recv_start,
	.open_page = recv_page,
	.open_vmsa = recv_vmsa,
	.finish = recv_finish,
};
