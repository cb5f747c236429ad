// SPDX-License-Identifier: MIT
/*
 * The simulated SNP guest's SVSM as a migration agent (one idea: the
 * commands of fw/svsm.h served from inside the guest).  The SVSM runs at
 * VMPL0: it reads and writes every private page through the guest's key
 * (vmm-mh.c's agent threads give it a handle on the guest's context),
 * each page's RMP word and VMSA (vmm-snp.c), and asks the PSP for
 * reports; the host reaches it only through the mailboxes.  The rules are
 * fw/svsm.c's core; this file gives them a guest.
 */
#include "sim/sim-vmm-internal.h"

#include <inttypes.h>
#include <string.h>

#include "base/bytes.h"
#include "base/log.h"
#include "base/ossl.h"
#include "base/util.h"
#include "fw/mh.h"
#include "fw/sim-snp.h"
#include "fw/svsm.h"
#include "sim/sim-guest.h"

/*
 * The GPA the SVSM names for vCPU i's VMSA page: the simulator keeps
 * VMSAs in the simulated PSP, not in guest RAM, so these pages sit at
 * the top of the 48-bit space, one per vCPU, below the GPA at which the
 * PSP measures every VMSA.
 */
static uint64_t vmsa_gpa(uint32_t i)
{
	return 0xffffffffe000ull - (uint64_t)i * SM_PAGE_SIZE;
}

/* The header area's len, and its data. */
static uint32_t hdr_len(const uint8_t *mb)
{
	return sm_get_le32(mb + SM_MH_HDR_OFF);
}

static void put_hdr(uint8_t *mb, const void *data, uint32_t len)
{
	sm_put_le32(mb + SM_MH_HDR_OFF, len);
	memcpy(mb + SM_MH_HDR_OFF + 4, data, len);
}

/* The target's report || pub || nonce into the transport page. */
static int32_t target_info(struct sm_sim_vmm *v, struct sm_svsm_core *c,
			   uint8_t *mb)
{
	uint8_t rd[SM_SVSM_REPORT_DATA_LEN], *page = mb + SM_MH_PAGE_OFF;
	struct sm_err e;

	if (sm_svsm_core_target_key(c, page + SM_SVSM_LD_PUB,
				    page + SM_SVSM_LD_NONCE, rd) != SM_SVSM_OK)
		return SM_SVSM_INVALID;
	if (sv_snp_report(v, rd, page + SM_SVSM_LD_REPORT, &e)) {
		pr_warn("SVSM: no report from the PSP: %s", e.msg);
		return SM_SVSM_INVALID;
	}
	sm_put_le32(mb + SM_MH_HDR_OFF, SM_SVSM_TDATA_LEN);
	return SM_SVSM_OK;
}

/* An incoming record: the entry (header area) and the ciphertext. */
static int take_rec(const uint8_t *mb, uint8_t entry[SM_SVSM_ENTRY_LEN],
		    uint8_t ct[SM_PAGE_SIZE])
{
	if (hdr_len(mb) != SM_SVSM_ENTRY_LEN)
		return -1;
	memcpy(entry, mb + SM_MH_HDR_OFF + 4, SM_SVSM_ENTRY_LEN);
	memcpy(ct, mb + SM_MH_PAGE_OFF, SM_PAGE_SIZE);
	return 0;
}

static int32_t seal_out(struct sm_sim_vmm *v, struct sm_fw *fw,
			struct sm_svsm_core *c, uint8_t *mb, uint64_t cmd,
			uint64_t arg)
{
	uint8_t plain[SM_PAGE_SIZE], entry[SM_SVSM_ENTRY_LEN];
	uint8_t *ct = mb + SM_MH_PAGE_OFF, *st;
	struct sm_err e;
	uint64_t q;
	int32_t rc = SM_SVSM_INVALID;

	switch (cmd) {
	case SM_SVSM_CMD_ENCRYPT:
		if (sv_snp_rmp_get(v, arg, &q) ||
		    sv_agent_page(v, fw, 0, arg, plain))
			break;
		rc = sm_svsm_core_seal_page(c, arg, plain,
					    !!(q & SM_SIM_RMP_VALIDATED),
					    q & 0xffffffffull, entry, ct);
		break;
	case SM_SVSM_CMD_VMSA_OUT:
		if (arg >= v->vcpus ||
		    sm_fw_sim_vmsa_read(fw, (unsigned)arg, plain, &e))
			break;
		rc = sm_svsm_core_seal_vmsa(c, (uint32_t)arg,
					    vmsa_gpa((uint32_t)arg), plain,
					    entry, ct);
		break;
	case SM_SVSM_CMD_STATE_OUT:
		st = sv_snp_state(v, (unsigned)(arg < UINT32_MAX ? arg : 0));
		if (!st || arg >= SM_SIM_SVSM_STATE_PAGES)
			break;
		rc = sm_svsm_core_seal_state(c, (uint32_t)arg,
					     SM_SIM_SVSM_STATE_PAGES, st, entry,
					     ct);
		break;
	default:
		rc = sm_svsm_core_seal_end(c, entry, ct);
		break;
	}
	sm_wipe(plain, sizeof(plain));
	if (rc == SM_SVSM_OK)
		put_hdr(mb, entry, SM_SVSM_ENTRY_LEN);
	return rc;
}

static int32_t open_in(struct sm_sim_vmm *v, struct sm_fw *fw,
		       struct sm_svsm_core *c, uint8_t *mb, uint64_t cmd,
		       uint64_t arg)
{
	uint8_t plain[SM_PAGE_SIZE], entry[SM_SVSM_ENTRY_LEN];
	uint8_t ct[SM_PAGE_SIZE], *st;
	struct sm_err e;
	uint64_t vmpl, gpa;
	uint32_t total;
	int validated;
	int32_t rc;

	/* Copy what the host wrote once: it may change it meanwhile. */
	if (take_rec(mb, entry, ct))
		return SM_SVSM_INVALID;
	switch (cmd) {
	case SM_SVSM_CMD_DECRYPT:
		if (sv_ram_off(v, arg) < 0 || sv_mh_page(v, arg))
			return SM_SVSM_INVALID;
		rc = sm_svsm_core_open_page(c, arg, entry, ct, plain,
					    &validated, &vmpl);
		if (rc == SM_SVSM_OK &&
		    (sv_agent_page(v, fw, 1, arg, plain) ||
		     sv_snp_rmp_set(v, arg,
				    (validated ? SM_SIM_RMP_VALIDATED : 0) |
					    (vmpl & 0xffffffffull))))
			rc = SM_SVSM_INVALID;
		break;
	case SM_SVSM_CMD_VMSA_IN:
		if (arg >= v->vcpus)
			return SM_SVSM_INVALID;
		rc = sm_svsm_core_open_vmsa(c, (uint32_t)arg, entry, ct, plain,
					    &gpa);
		if (rc == SM_SVSM_OK &&
		    sm_fw_sim_vmsa_write(fw, (unsigned)arg, plain, &e))
			rc = SM_SVSM_INVALID;
		break;
	case SM_SVSM_CMD_STATE_IN:
		if (arg >= SM_SIM_SVSM_STATE_PAGES)
			return SM_SVSM_INVALID;
		rc = sm_svsm_core_open_state(c, (uint32_t)arg, entry, ct, plain,
					     &total);
		st = sv_snp_state(v, (unsigned)arg);
		if (rc == SM_SVSM_OK && total != SM_SIM_SVSM_STATE_PAGES)
			rc = SM_SVSM_INVALID;
		if (rc == SM_SVSM_OK)
			memcpy(st, plain, SM_PAGE_SIZE);
		break;
	default:
		rc = sm_svsm_core_accept_end(c, entry, ct);
		break;
	}
	sm_wipe(plain, sizeof(plain));
	return rc;
}

int32_t sv_svsm_serve(struct sm_sim_vmm *v, struct sm_fw *fw,
		      struct sm_svsm_core *c, unsigned i, uint8_t *mb,
		      uint64_t cmd, uint64_t arg)
{
	uint8_t start[SM_SVSM_START_LEN];
	uint32_t len, total;
	int src = sm_svsm_core_role(c) == SM_SVSM_SOURCE;

	/* Everything but a page's sealing or opening goes to mailbox 0. */
	if (i != 0 && cmd != SM_SVSM_CMD_ENCRYPT && cmd != SM_SVSM_CMD_DECRYPT)
		return SM_SVSM_INVALID;
	switch (cmd) {
	case SM_SVSM_CMD_KEYGEN:
		if (src || sm_svsm_core_keygen(c) != SM_SVSM_OK)
			return SM_SVSM_INVALID;
		return target_info(v, c, mb);
	case SM_SVSM_CMD_TARGET_INFO:
		return src ? SM_SVSM_INVALID : target_info(v, c, mb);
	case SM_SVSM_CMD_LOAD:
		if (!src || hdr_len(mb) != 8)
			return SM_SVSM_INVALID;
		len = sm_get_le32(mb + SM_MH_HDR_OFF + 4);
		total = sm_get_le32(mb + SM_MH_HDR_OFF + 8);
		if (len == 0 || len > SM_PAGE_SIZE)
			return SM_SVSM_INVALID;
		return sm_svsm_core_load(c, arg, mb + SM_MH_PAGE_OFF, len,
					 total);
	case SM_SVSM_CMD_START_SOURCE:
		if (!src)
			return SM_SVSM_INVALID;
		if (sm_svsm_core_start_loaded(c, sv_snp_report_id(v), start) !=
		    SM_SVSM_OK)
			return SM_SVSM_AUTH;
		put_hdr(mb, start, sizeof(start));
		return SM_SVSM_OK;
	case SM_SVSM_CMD_START_TARGET:
		len = hdr_len(mb);
		if (src || len != SM_SVSM_START_LEN)
			return SM_SVSM_INVALID;
		memcpy(start, mb + SM_MH_HDR_OFF + 4, sizeof(start));
		return sm_svsm_core_start_target(c, sv_snp_report_id(v), start,
						 sizeof(start));
	case SM_SVSM_CMD_ENCRYPT:
	case SM_SVSM_CMD_VMSA_OUT:
	case SM_SVSM_CMD_STATE_OUT:
		return src ? seal_out(v, fw, c, mb, cmd, arg) : SM_SVSM_INVALID;
	case SM_SVSM_CMD_DECRYPT:
	case SM_SVSM_CMD_VMSA_IN:
	case SM_SVSM_CMD_STATE_IN:
		return src ? SM_SVSM_INVALID : open_in(v, fw, c, mb, cmd, arg);
	case SM_SVSM_CMD_END:
		return src ? seal_out(v, fw, c, mb, cmd, arg) :
			     open_in(v, fw, c, mb, cmd, arg);
	case SM_SVSM_CMD_RESET:
		return sm_svsm_core_reset(c);
	default:
		return SM_SVSM_INVALID;
	}
}

/*
 * snp-target: the incoming guest's SVSM gives its key pair's public half,
 * nonce and report (a new key pair when the last one was spent), and the
 * host adds its VCEK and chain, as a host's extended report does.
 */
int vmm_snp_target(void *arg, struct sm_ep_snp_target *t, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	struct sm_svsm_core *c = sv_svsm_core(v);
	const uint8_t *vcek;
	const char *chain;
	uint8_t *mb = sv_svsm_mailbox(v);
	size_t n;
	int32_t ret;

	if (!v->snp || !c)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "not an SNP guest (sevmig-sim run --snp)");
	if (!v->incoming || v->state != V_INCOMING)
		return sm_err_set(
			e, SM_EXIT_VM,
			"no migration target: the VMM is %s, not an incoming SNP guest waiting for an import (sevmig-sim run --incoming --snp)",
			vstate_name[v->state]);
	if (sm_mh_call(mb,
		       sm_svsm_core_spent(c) ? SM_SVSM_CMD_KEYGEN :
					       SM_SVSM_CMD_TARGET_INFO,
		       0, 10000, &ret, e))
		return sm_err_prefix(e, "the SVSM");
	if (ret != SM_SVSM_OK || hdr_len(mb) != SM_SVSM_TDATA_LEN)
		return sm_err_set(e, SM_EXIT_VM,
				  "the SVSM gave no migration data (%d)",
				  (int)ret);
	memcpy(t->report, mb + SM_MH_PAGE_OFF + SM_SVSM_LD_REPORT,
	       sizeof(t->report));
	memcpy(t->pub, mb + SM_MH_PAGE_OFF + SM_SVSM_LD_PUB, sizeof(t->pub));
	memcpy(t->nonce, mb + SM_MH_PAGE_OFF + SM_SVSM_LD_NONCE,
	       sizeof(t->nonce));
	vcek = sm_sim_snp_vcek_der(sv_snp_id(v), &n);
	if (n > sizeof(t->vcek))
		return sm_err_set(e, SM_EXIT_FAILURE, "the VCEK is too large");
	memcpy(t->vcek, vcek, n);
	t->vcek_len = n;
	chain = sm_sim_snp_chain_pem(sv_snp_id(v), &n);
	if (n >= sizeof(t->chain))
		return sm_err_set(e, SM_EXIT_FAILURE, "the chain is too large");
	memcpy(t->chain, chain, n + 1);
	return 0;
}
