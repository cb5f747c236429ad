/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_SIM_GUEST_H
#define SEVMIG_SIM_GUEST_H

/*
 * The simulated guest's memory content.  Every 4 KiB page holds a header
 * line naming its kind and guest physical address,
 *
 *	"sevmig-private-page gpa=0x0000000000001000\n"  (or sevmig-shared-page)
 *
 * zero-filled to 64 bytes, then 4032 bytes derived from the seed, the
 * kind and the GPA by a counter-based generator (splitmix64).  A page
 * that leaks, moves or flips kind is therefore detectable.  VMSAs (SEV-ES)
 * are built the same way from the vCPU index.  Pure functions, no
 * allocation, no outside dependency.
 */

#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "endpoint/endpoint.h"

#define SM_SIM_PRIVATE_MARK "sevmig-private-page"
#define SM_SIM_SHARED_MARK "sevmig-shared-page"
#define SM_SIM_VMSA_MARK "sevmig-vmsa"

/* Fill page with the plaintext the guest keeps at gpa. */
void sm_sim_page_fill(uint64_t seed, uint64_t gpa, int shared,
		      uint8_t page[SM_PAGE_SIZE]);

/* Fill page with the plaintext VMSA of vCPU vcpu. */
void sm_sim_vmsa_fill(uint64_t seed, unsigned vcpu, uint8_t page[SM_PAGE_SIZE]);

/*
 * An SNP guest (sevmig-sim run --snp; docs/sevmig-snp.7).  The RMP entry
 * the guest gave the private page at gpa, as the SVSM's metadata entry
 * carries it (fw/svsm.h): bit 63 validated, byte i (i = 0..3) the VMPL i
 * permissions (bit 0 read, 1 write, 2 user execute, 3 supervisor
 * execute).  VMPL0 has all four; most pages give VMPL1 all four too and
 * VMPL2 and 3 none; one in 8 gives VMPL1 read and write only; one in 32
 * private pages is not validated.
 */
#define SM_SIM_RMP_VALIDATED (1ull << 63)
uint64_t sm_sim_snp_rmp(uint64_t seed, uint64_t gpa);
/*
 * Chunk idx of the SVSM's own state (a simulated vTPM's NV memory,
 * SM_SIM_SVSM_STATE_PAGES pages), and page idx of the SVSM's image (the
 * same for every guest: what its launch measures).
 */
#define SM_SIM_SVSM_STATE_PAGES 2u
#define SM_SIM_SVSM_IMAGE_PAGES 4u
#define SM_SIM_SVSM_MARK "sevmig-svsm-state"
void sm_sim_svsm_state_fill(uint64_t seed, unsigned idx,
			    uint8_t page[SM_PAGE_SIZE]);
void sm_sim_svsm_image_fill(unsigned idx, uint8_t page[SM_PAGE_SIZE]);

/*
 * Fill buf with len bytes of a seeded stream at byte offset off (device
 * state padding); any offset and length.
 */
void sm_sim_stream_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t len);

/*
 * Choose the shared pages of a guest: pct percent of the npages pages of
 * the layout (rounded down), in runs of 1 to 8 pages scattered across
 * all ranges, deterministic from seed.  *out (sorted, malloc'd; the
 * caller frees it) never crosses a range boundary.  0 or -1 (ENOMEM).
 */
int sm_sim_shared_choose(uint64_t seed, unsigned pct,
			 const struct sm_ep_range *ranges, size_t nranges,
			 struct sm_ep_region **out, size_t *n);

#endif
