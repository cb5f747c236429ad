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
