// SPDX-License-Identifier: MIT
/*
 * The simulated guest's SEV-SNP side (one idea: sevmig-sim run --snp).
 * The simulator runs an SNP guest's memory and VMSAs through the same
 * simulated memory encryption as an SEV-ES guest (fw-sim); what SNP adds
 * is kept here, where on hardware the PSP and the RMP keep it:
 *
 *  - the guest policy (64 bits, SNP's layout) and the launch digest, the
 *    SNP ABI's PAGE_INFO chain (ld' = SHA-384(ld || contents || 0x70 ||
 *    page type || imi || VMPL3/2/1 perms || 0 || gpa)) over what this
 *    simulator measures: the SVSM's image (SM_SIM_SVSM_IMAGE_PAGES normal
 *    pages at SV_SNP_IMAGE_GPA) and each vCPU's initial VMSA (type VMSA at
 *    GPA 0xFFFFFFFFF000, as the PSP measures every VMSA), so that guests
 *    of one image and vCPU count measure the same;
 *  - the RMP's word for each page: validated and the VMPL1-3 permissions
 *    (sim-guest.h's SM_SIM_RMP_*), zero for shared pages and for pages an
 *    incoming guest has not received;
 *  - the SVSM's own state (a simulated vTPM's NV memory);
 *  - a report id, random at launch, as the PSP makes one per guest.
 */
#include "sim/sim-vmm-internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/ossl.h"
#include "base/util.h"
#include "fw/sim-snp.h"
#include "sim/sim-guest.h"

#define PAGE_INFO_LEN 0x70u
#define PT_NORMAL 1u
#define PT_VMSA 2u
#define VMSA_GPA 0xfffffffff000ull

struct sv_snp {
	uint64_t policy;
	uint8_t ld[SV_SNP_LD_LEN];
	uint8_t report_id[32];
	uint64_t *rmp; /* by RAM-file page */
	uint8_t state[SM_SIM_SVSM_STATE_PAGES][SM_PAGE_SIZE];
	struct sm_sim_snp *id; /* the host's SNP identity: signs reports */
};

/* One SNP_LAUNCH_UPDATE's PAGE_INFO folded into ld. */
static int ld_update(uint8_t ld[SV_SNP_LD_LEN], unsigned type, uint64_t gpa,
		     const uint8_t page[SM_PAGE_SIZE])
{
	uint8_t info[PAGE_INFO_LEN];

	memset(info, 0, sizeof(info));
	memcpy(info, ld, SV_SNP_LD_LEN);
	if (sm_sha384(page, SM_PAGE_SIZE, info + 0x30))
		return -1;
	sm_put_le16(info + 0x60, PAGE_INFO_LEN);
	info[0x62] = (uint8_t)type;
	/* imi 0, VMPL3/2/1 permissions 0, reserved 0 */
	sm_put_le64(info + 0x68, gpa);
	return sm_sha384(info, sizeof(info), ld);
}

int sv_snp_launch_digest(unsigned vcpus, uint8_t ld[SV_SNP_LD_LEN])
{
	uint8_t page[SM_PAGE_SIZE];
	unsigned i;

	memset(ld, 0, SV_SNP_LD_LEN);
	for (i = 0; i < SM_SIM_SVSM_IMAGE_PAGES; i++) {
		sm_sim_svsm_image_fill(i, page);
		if (ld_update(ld, PT_NORMAL,
			      SV_SNP_IMAGE_GPA + (uint64_t)i * SM_PAGE_SIZE,
			      page))
			return -1;
	}
	for (i = 0; i < vcpus; i++) {
		sm_sim_vmsa_fill(0, i, page);
		if (ld_update(ld, PT_VMSA, VMSA_GPA, page))
			return -1;
	}
	return 0;
}

static uint64_t *rmp_at(const struct sm_sim_vmm *v, uint64_t gpa)
{
	int64_t off = sv_ram_off(v, gpa);

	if (off < 0 || !v->snp)
		return NULL;
	return &v->snp->rmp[(uint64_t)off / SM_PAGE_SIZE];
}

/* A source's RMP as its guest validated it: private pages only. */
static void rmp_fill(struct sm_sim_vmm *v)
{
	size_t r, s = 0;

	for (r = 0; r < v->nranges; r++) {
		uint64_t gpa, end = v->ranges[r].gpa + v->ranges[r].size;

		for (gpa = v->ranges[r].gpa; gpa < end; gpa += SM_PAGE_SIZE) {
			while (s < v->nshared &&
			       v->shared[s].gpa + v->shared[s].size <= gpa)
				s++;
			if ((s < v->nshared && v->shared[s].gpa <= gpa) ||
			    sv_mh_page(v, gpa))
				continue;
			*rmp_at(v, gpa) = sm_sim_snp_rmp(v->seed, gpa);
		}
	}
}

int sv_snp_new(struct sm_sim_vmm *v, struct sm_err *e)
{
	struct sv_snp *s = calloc(1, sizeof(*s));
	unsigned i;

	if (!s || !(s->rmp = calloc(v->pages ? v->pages : 1, 8))) {
		free(s);
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	}
	v->snp = s;
	s->policy = v->o.snp_policy;
	if (sm_sim_snp_load(v->platform_dir, &s->id, e))
		return sm_err_prefix(e, "--snp");
	if (sv_snp_launch_digest(v->vcpus, s->ld) ||
	    sm_random(s->report_id, sizeof(s->report_id)))
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "cannot compute the SNP launch digest");
	if (!v->incoming) {
		rmp_fill(v);
		for (i = 0; i < SM_SIM_SVSM_STATE_PAGES; i++)
			sm_sim_svsm_state_fill(v->seed, i, s->state[i]);
	}
	return 0;
}

void sv_snp_free(struct sm_sim_vmm *v)
{
	if (!v->snp)
		return;
	sm_wipe(v->snp->state, sizeof(v->snp->state));
	sm_sim_snp_free(v->snp->id);
	free(v->snp->rmp);
	free(v->snp);
	v->snp = NULL;
}

const struct sm_sim_snp *sv_snp_id(const struct sm_sim_vmm *v)
{
	return v->snp->id;
}

/*
 * The report the guest's SVSM (VMPL0) gets from the PSP: version 3, the
 * guest's policy, launch digest and report id, no migration agent.
 */
int sv_snp_report(struct sm_sim_vmm *v,
		  const uint8_t rd[SM_SNP_REPORT_DATA_LEN],
		  uint8_t raw[SM_SNP_REPORT_LEN], struct sm_err *e)
{
	struct sv_snp *s = v->snp;

	memset(raw, 0, SM_SNP_REPORT_LEN);
	sm_put_le32(raw + 0x000, 3);
	sm_put_le64(raw + 0x008, s->policy);
	memcpy(raw + SM_SNP_OFF_REPORT_DATA, rd, SM_SNP_REPORT_DATA_LEN);
	memcpy(raw + SM_SNP_OFF_MEASUREMENT, s->ld, SV_SNP_LD_LEN);
	memcpy(raw + SM_SNP_OFF_REPORT_ID, s->report_id, 32);
	memset(raw + SM_SNP_OFF_REPORT_ID_MA, 0xff, 32);
	return sm_sim_snp_sign(s->id, raw, e);
}

int vmm_snp_report(void *arg, const uint8_t rd[64],
		   uint8_t report[SM_EP_SNP_REPORT_LEN], struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;

	if (!v->snp)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "not an SNP guest (sevmig-sim run --snp)");
	if (sv_need_guest(v, e))
		return -1;
	return sv_snp_report(v, rd, report, e);
}

uint64_t sv_snp_policy(const struct sm_sim_vmm *v)
{
	return v->snp ? v->snp->policy : 0;
}

const uint8_t *sv_snp_ld(const struct sm_sim_vmm *v)
{
	return v->snp->ld;
}

const uint8_t *sv_snp_report_id(const struct sm_sim_vmm *v)
{
	return v->snp->report_id;
}

int sv_snp_rmp_get(const struct sm_sim_vmm *v, uint64_t gpa, uint64_t *q)
{
	uint64_t *p = rmp_at(v, gpa);

	if (!p)
		return -1;
	*q = *p;
	return 0;
}

int sv_snp_rmp_set(struct sm_sim_vmm *v, uint64_t gpa, uint64_t q)
{
	uint64_t *p = rmp_at(v, gpa);

	if (!p)
		return -1;
	*p = q;
	return 0;
}

uint8_t *sv_snp_state(struct sm_sim_vmm *v, unsigned idx)
{
	return idx < SM_SIM_SVSM_STATE_PAGES ? v->snp->state[idx] : NULL;
}

/* The incoming guest forgets what it received (a reset). */
void sv_snp_clear(struct sm_sim_vmm *v)
{
	if (!v->snp)
		return;
	memset(v->snp->rmp, 0, v->pages * 8);
	sm_wipe(v->snp->state, sizeof(v->snp->state));
}

/* What the digest adds for an SNP guest: the RMP words, the SVSM state. */
int sv_snp_hash(struct sm_sim_vmm *v, struct sm_sha256 *h, struct sm_err *e)
{
	uint8_t w[8];
	uint64_t i;

	if (!v->snp)
		return 0;
	for (i = 0; i < v->pages; i++) {
		sm_put_le64(w, v->snp->rmp[i]);
		if (sm_sha256_update(h, w, sizeof(w)))
			return sm_err_set(e, SM_EXIT_FAILURE, "SHA-256 failed");
	}
	if (sm_sha256_update(h, v->snp->state, sizeof(v->snp->state)))
		return sm_err_set(e, SM_EXIT_FAILURE, "SHA-256 failed");
	return 0;
}

/*
 * check: a private page whose RMP word is not the one its guest gave it
 * is a bad page; the SVSM's state is checked record by record.
 */
int sv_snp_check_page(const struct sm_sim_vmm *v, uint64_t gpa, int shared)
{
	uint64_t q;

	if (!v->snp || sv_snp_rmp_get(v, gpa, &q))
		return 0;
	if (shared || sv_mh_page(v, gpa))
		return q != 0;
	return q != sm_sim_snp_rmp(v->seed, gpa);
}

void sv_snp_check_state(const struct sm_sim_vmm *v, struct sm_ep_check *c)
{
	uint8_t want[SM_PAGE_SIZE];
	unsigned i;

	if (!v->snp)
		return;
	for (i = 0; i < SM_SIM_SVSM_STATE_PAGES; i++) {
		sm_sim_svsm_state_fill(v->seed, i, want);
		c->svsm_states++;
		if (memcmp(want, v->snp->state[i], SM_PAGE_SIZE))
			c->bad_svsm_states++;
	}
}
