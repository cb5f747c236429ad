// SPDX-License-Identifier: MIT
/*
 * The simulated guest's migration agents (one idea: the threads in the
 * guest that serve a mailbox): the migration helpers of sevmig-sim run
 * --mh, or the SVSM of an SNP guest (--snp; its commands are
 * vmm-svsm.c's).  Each is a mirror vCPU of the guest: a thread with its
 * own handle on the guest's context, so it reads and writes private
 * memory through the guest's own key, and sees the host only through its
 * mailbox pages (fw/mh.h's layout).  The rules are fw/mh.c's core (or
 * fw/svsm.c's); this file gives them a guest: the key K from the guest's
 * secret table, its memory, its mailboxes.
 */
#include "sim/sim-vmm-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/bytes.h"
#include "base/log.h"
#include "base/util.h"
#include "fw/mh.h"
#include "fw/svsm.h"

struct helper {
	struct sv_mh *mh;
	unsigned i;
	struct sm_fw *fw; /* this vCPU's handle on the guest context */
	pthread_t th;
	int started;
};

struct sv_mh {
	struct sm_sim_vmm *v;
	struct sm_mh_core *core; /* the helpers' (--mh) */
	struct sm_svsm_core *svsm; /* or the SVSM's (--snp) */
	uint8_t *ram; /* all of guest RAM, as the guest's vCPUs see it */
	uint8_t *mb;
	size_t mb_len;
	unsigned n;
	int stop;
	struct helper h[SM_MH_MAX_HELPERS];
};

uint64_t sv_mh_region_len(unsigned n)
{
	return (uint64_t)n * SM_MH_MAILBOX_STRIDE;
}

/* Where the mailboxes start: the helpers' at the RFC's GPA, the SVSM's. */
static uint64_t mb_base(const struct sm_sim_vmm *v)
{
	return v->o.snp ? SM_SVSM_MAILBOX_GPA : SM_MH_MAILBOX_GPA;
}

int sv_mh_page(const struct sm_sim_vmm *v, uint64_t gpa)
{
	return v->o.mh && gpa >= mb_base(v) &&
	       gpa - mb_base(v) < sv_mh_region_len(v->o.mh);
}

/*
 * The guest's own view of a private page (store: put plain there),
 * through the agent's handle fw on the guest's context.
 */
int sv_agent_page(struct sm_sim_vmm *v, struct sm_fw *fw, int store,
		  uint64_t gpa, uint8_t *page)
{
	int64_t off = sv_ram_off(v, gpa);
	struct sm_err e;
	uint8_t *ram;
	int rc;

	if (off < 0 || sv_mh_page(v, gpa) || !v->mh)
		return -1;
	ram = v->mh->ram + off;
	rc = store ? sm_fw_sim_guest_write(fw, gpa, page, ram, &e) :
		     sm_fw_sim_guest_read(fw, gpa, ram, page, &e);
	if (rc)
		pr_debug("guest page 0x%" PRIx64 ": %s", gpa, e.msg);
	return rc;
}

static int guest_page(struct helper *h, int store, uint64_t gpa, uint8_t *page)
{
	return sv_agent_page(h->mh->v, h->fw, store, gpa, page);
}

/* K: the 32-byte entry of GUID SM_MH_KEY_GUID in the secret table. */
static int find_key(struct helper *h)
{
	uint8_t *t = calloc(1, SM_SIM_SECRET_MAX);
	const uint8_t *ent;
	uint32_t len, off, elen;
	int rc = -1;

	if (!t || guest_page(h, 0, SM_SIM_SECRET_GPA, t))
		goto out;
	len = sv_secret_table_len(t);
	for (off = SM_PAGE_SIZE; off < len; off += SM_PAGE_SIZE)
		if (guest_page(h, 0, SM_SIM_SECRET_GPA + off, t + off))
			goto out;
	off = 20;
	while (sv_secret_next(t, len, &off, &ent, &elen))
		if (memcmp(ent, sm_mh_key_guid, 16) == 0 &&
		    elen == 20 + SM_MH_KEY_LEN) {
			sm_mh_core_set_key(h->mh->core, ent + 20);
			rc = 0;
			break;
		}
out:
	if (rc)
		pr_debug(
			"migration helper %u: no key (GUID %s) in the guest's secret table",
			h->i, SM_MH_KEY_GUID);
	if (t)
		sm_wipe(t, SM_SIM_SECRET_MAX);
	free(t);
	return rc;
}

static int32_t serve(struct helper *h, uint8_t *mb, uint64_t cmd, uint64_t gpa)
{
	struct sm_mh_core *c = h->mh->core;
	uint8_t hdr[4 + SM_MH_HDR_MAX], page[SM_PAGE_SIZE], plain[SM_PAGE_SIZE];
	int32_t rc = SM_MH_INVALID;
	uint32_t len;

	switch (cmd) {
	case SM_MH_INIT:
		if (!sm_mh_core_has_key(c) && find_key(h))
			return SM_MH_INVALID;
		return sm_mh_core_init(c, NULL);
	case SM_MH_RESET:
		return sm_mh_core_reset(c);
	case SM_MH_ENCRYPT:
		if (sm_mh_core_role(c) != SM_MH_SOURCE ||
		    guest_page(h, 0, gpa, plain))
			return SM_MH_INVALID;
		/* sealed straight into the mailbox: nothing in it is secret */
		rc = sm_mh_core_encrypt(c, gpa, plain, mb + SM_MH_HDR_OFF,
					mb + SM_MH_PAGE_OFF);
		sm_wipe(plain, sizeof(plain));
		return rc;
	case SM_MH_DECRYPT:
	case SM_MH_END:
		if (sm_mh_core_role(c) == SM_MH_SOURCE) {
			if (cmd != SM_MH_END)
				return SM_MH_INVALID;
			rc = sm_mh_core_end(c, hdr, page);
			break;
		}
		/* Copy what the host wrote once: it may change it meanwhile. */
		len = sm_get_le32(mb + SM_MH_HDR_OFF);
		if (len > SM_MH_HDR_MAX)
			return SM_MH_INVALID;
		memcpy(hdr, mb + SM_MH_HDR_OFF, 4 + len);
		memcpy(page, mb + SM_MH_PAGE_OFF, SM_PAGE_SIZE);
		if (cmd == SM_MH_END)
			return sm_mh_core_accept_end(c, hdr, 4 + len, page);
		if (sv_ram_off(h->mh->v, gpa) < 0 || sv_mh_page(h->mh->v, gpa))
			return SM_MH_INVALID;
		rc = sm_mh_core_decrypt(c, gpa, hdr, 4 + len, page, plain);
		if (rc == SM_MH_OK && guest_page(h, 1, gpa, plain))
			rc = SM_MH_INVALID;
		sm_wipe(plain, sizeof(plain));
		return rc;
	default:
		return SM_MH_INVALID;
	}
	sm_wipe(plain, sizeof(plain));
	if (rc == SM_MH_OK) {
		memcpy(mb + SM_MH_HDR_OFF, hdr, 4 + SM_MH_ENV_LEN);
		memcpy(mb + SM_MH_PAGE_OFF, page, SM_PAGE_SIZE);
	}
	return rc;
}

static void *helper_main(void *arg)
{
	struct helper *h = arg;
	uint8_t *mb = h->mh->mb + (size_t)h->i * SM_MH_MAILBOX_STRIDE;

	while (!__atomic_load_n(&h->mh->stop, __ATOMIC_ACQUIRE)) {
		uint64_t cmd, gpa;

		if (!sm_mh_wait(mb, 100, &cmd, &gpa))
			continue;
		sm_mh_done(mb, h->mh->svsm ? sv_svsm_serve(h->mh->v, h->fw,
							   h->mh->svsm, h->i,
							   mb, cmd, gpa) :
					     serve(h, mb, cmd, gpa));
	}
	return NULL;
}

/*
 * Where the mailboxes go: in the first range, below the top of it, and
 * in the guest's shared list (the host writes them).
 */
int sv_mh_check(struct sm_sim_vmm *v, struct sm_err *e)
{
	uint64_t end = mb_base(v) + sv_mh_region_len(v->o.mh);

	if (v->o.mh > SM_MH_MAX_HELPERS)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "--mh-vcpus: 1 to %u helpers",
				  SM_MH_MAX_HELPERS);
	if (v->o.snp) {
		/* the SVSM runs at VMPL0: it reaches the VMSAs */
	} else if (v->es)
		return sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"--mh: a migration helper cannot reach an SEV-ES guest's VMSAs");
	if (v->nranges == 0 || v->ranges[0].gpa != 0 || v->ranges[0].size < end)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "%s: the mailboxes end at GPA 0x%" PRIx64
				  ": the guest needs at least %" PRIu64
				  " MiB below 4 GiB",
				  v->o.snp ? "--snp" : "--mh", end,
				  (end + (1u << 20) - 1) >> 20);
	return 0;
}

/* Put [mailbox, +len) into the sorted shared list, merging. */
int sv_mh_share(struct sm_sim_vmm *v, struct sm_err *e)
{
	uint64_t lo = mb_base(v), hi = lo + sv_mh_region_len(v->o.mh);
	struct sm_ep_region *r;
	size_t i, n = 0;
	int put = 0;

	r = calloc(v->nshared + 1, sizeof(*r));
	if (!r)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	for (i = 0; i < v->nshared; i++) {
		uint64_t a = v->shared[i].gpa, b = a + v->shared[i].size;

		if (b < lo) {
			r[n++] = v->shared[i];
			continue;
		}
		if (a > hi) {
			if (!put)
				r[n++] = (struct sm_ep_region){ lo, hi - lo };
			put = 1;
			r[n++] = v->shared[i];
			continue;
		}
		/* overlapping or touching: grow the mailbox region */
		if (a < lo)
			lo = a;
		if (b > hi)
			hi = b;
	}
	if (!put)
		r[n++] = (struct sm_ep_region){ lo, hi - lo };
	free(v->shared);
	v->shared = r;
	v->nshared = n;
	return 0;
}

int sv_mh_start(struct sm_sim_vmm *v, struct sm_err *e)
{
	struct sv_mh *mh;
	int64_t off = sv_ram_off(v, mb_base(v));
	unsigned i;

	mh = calloc(1, sizeof(*mh));
	if (!mh)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	mh->v = v;
	mh->n = v->o.mh;
	v->mh = mh;
	if (v->o.snp ? sm_svsm_core_new(v->incoming ? SM_SVSM_TARGET :
						      SM_SVSM_SOURCE,
					v->pages, v->vcpus, &mh->svsm) :
		       sm_mh_core_new(v->incoming ? SM_MH_TARGET : SM_MH_SOURCE,
				      v->pages, &mh->core))
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	mh->ram = mmap(NULL, (size_t)v->o.mem_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED, v->ram_fd, 0);
	if (mh->ram == MAP_FAILED) {
		mh->ram = NULL;
		return sm_err_errno(e, SM_EXIT_FAILURE, errno,
				    "mapping guest memory for the helpers");
	}
	mh->mb_len = (size_t)sv_mh_region_len(mh->n);
	mh->mb = mh->ram + off;
	memset(mh->mb, 0, mh->mb_len);
	for (i = 0; i < mh->n; i++) {
		struct helper *h = &mh->h[i];

		h->mh = mh;
		h->i = i;
		if (sm_fw_sim_open(v->platform_dir, &h->fw, e) ||
		    sm_fw_sim_attach(h->fw, sm_fw_sim_context_fd(v->fw), e))
			return sm_err_prefix(e, "%s %u",
					     v->o.snp ? "SVSM thread" :
							"migration helper",
					     i);
		if (pthread_create(&h->th, NULL, helper_main, h))
			return sm_err_set(
				e, SM_EXIT_FAILURE, "cannot start %s %u",
				v->o.snp ? "SVSM thread" : "migration helper",
				i);
		h->started = 1;
	}
	pr_info("%u %s%s waiting at GPA 0x%llx%s", mh->n,
		v->o.snp ? "SVSM mailbox" : "migration helper",
		mh->n == 1 ? "" : "s", (unsigned long long)mb_base(v),
		v->incoming ? " (migration-target mode)" : "");
	return 0;
}

void sv_mh_stop(struct sm_sim_vmm *v)
{
	struct sv_mh *mh = v->mh;
	unsigned i;

	if (!mh)
		return;
	__atomic_store_n(&mh->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < mh->n; i++) {
		if (mh->h[i].started)
			pthread_join(mh->h[i].th, NULL);
		sm_fw_close(mh->h[i].fw);
	}
	if (mh->ram)
		munmap(mh->ram, (size_t)v->o.mem_size);
	sm_mh_core_free(mh->core);
	sm_svsm_core_free(mh->svsm);
	free(mh);
	v->mh = NULL;
}

/* The source's send, as the VMM's state rules see it (sim-vmm.c). */
int sv_mh_sending(const struct sm_sim_vmm *v)
{
	if (!v->mh)
		return 0;
	/* the SVSM's END ends its session, not the send: release does */
	return v->mh->svsm ? sm_svsm_core_active(v->mh->svsm) ||
				     sm_svsm_core_ended(v->mh->svsm) :
			     sm_mh_core_active(v->mh->core);
}

int sv_mh_ended(const struct sm_sim_vmm *v)
{
	if (!v->mh)
		return 0;
	return v->mh->svsm ? sm_svsm_core_ended(v->mh->svsm) :
			     sm_mh_core_ended(v->mh->core);
}

void sv_mh_become_source(struct sm_sim_vmm *v)
{
	if (!v->mh)
		return;
	if (v->mh->svsm)
		sm_svsm_core_set_role(v->mh->svsm, SM_SVSM_SOURCE);
	else
		sm_mh_core_set_role(v->mh->core, SM_MH_SOURCE);
}

void sv_mh_reset(struct sm_sim_vmm *v)
{
	if (!v->mh)
		return;
	if (v->mh->svsm)
		sm_svsm_core_reset(v->mh->svsm);
	else
		sm_mh_core_reset(v->mh->core);
}

struct sm_svsm_core *sv_svsm_core(struct sm_sim_vmm *v)
{
	return v->mh ? v->mh->svsm : NULL;
}

uint8_t *sv_svsm_mailbox(struct sm_sim_vmm *v)
{
	return v->mh ? v->mh->mb : NULL;
}
