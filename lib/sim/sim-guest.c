// SPDX-License-Identifier: MIT
/* The simulated guest's page, VMSA and padding content. */
#include "sim/sim-guest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"

#define GOLDEN 0x9e3779b97f4a7c15ull
#define HDR 64u

/* The splitmix64 finaliser: a good 64-bit mix. */
static inline uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Words w[i] = mix(key + (i + 1) * GOLDEN), little-endian. */
static void words(uint64_t key, uint64_t first, uint8_t *p, size_t nwords)
{
	uint64_t x = key + (first + 1) * GOLDEN;
	size_t i;

	for (i = 0; i < nwords; i++, x += GOLDEN)
		sm_put_le64(p + 8 * i, mix(x));
}

static void page_fill(uint64_t key, const char *line, uint8_t *page)
{
	size_t n = strlen(line);

	memset(page, 0, HDR);
	memcpy(page, line, n);
	words(key, 0, page + HDR, (SM_PAGE_SIZE - HDR) / 8);
}

void sm_sim_page_fill(uint64_t seed, uint64_t gpa, int shared,
		      uint8_t page[SM_PAGE_SIZE])
{
	char line[HDR];
	uint64_t key = mix(mix(seed) ^ mix(gpa + (shared ? 2 : 1)));

	snprintf(line, sizeof(line), "%s gpa=0x%016" PRIx64 "\n",
		 shared ? SM_SIM_SHARED_MARK : SM_SIM_PRIVATE_MARK, gpa);
	page_fill(key, line, page);
}

void sm_sim_vmsa_fill(uint64_t seed, unsigned vcpu, uint8_t page[SM_PAGE_SIZE])
{
	char line[HDR];
	uint64_t key = mix(mix(seed) ^ mix(0x766d7361ull << 20 ^ vcpu));

	snprintf(line, sizeof(line), "%s vcpu=%u\n", SM_SIM_VMSA_MARK, vcpu);
	page_fill(key, line, page);
}

uint64_t sm_sim_snp_rmp(uint64_t seed, uint64_t gpa)
{
	uint64_t x = mix(mix(seed ^ 0x726d70ull) ^ mix(gpa));
	uint64_t q = 0x0f | (x % 8 == 0 ? 0x03 : 0x0f) << 8;

	if ((x >> 8) % 32)
		q |= SM_SIM_RMP_VALIDATED;
	return q;
}

void sm_sim_svsm_state_fill(uint64_t seed, unsigned idx,
			    uint8_t page[SM_PAGE_SIZE])
{
	char line[HDR];
	uint64_t key = mix(mix(seed) ^ mix(0x7376736dull << 24 ^ idx));

	snprintf(line, sizeof(line), "%s chunk=%u\n", SM_SIM_SVSM_MARK, idx);
	page_fill(key, line, page);
}

void sm_sim_svsm_image_fill(unsigned idx, uint8_t page[SM_PAGE_SIZE])
{
	char line[HDR];

	snprintf(line, sizeof(line), "sevmig-svsm-image page=%u\n", idx);
	page_fill(mix(0x696d616765ull ^ idx), line, page);
}

void sm_sim_stream_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t len)
{
	uint64_t key = mix(mix(seed) ^ 0x70616464696e67ull);
	uint8_t w[8];

	while (len && off % 8) {
		words(key, off / 8, w, 1);
		*buf++ = w[off % 8];
		off++;
		len--;
	}
	words(key, off / 8, buf, len / 8);
	buf += len / 8 * 8;
	off += len / 8 * 8;
	len %= 8;
	if (len) {
		words(key, off / 8, w, 1);
		memcpy(buf, w, len);
	}
}

static int push(struct sm_ep_region **v, size_t *n, size_t *cap, uint64_t gpa,
		uint64_t size)
{
	if (*n && (*v)[*n - 1].gpa + (*v)[*n - 1].size == gpa) {
		(*v)[*n - 1].size += size;
		return 0;
	}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		void *p = realloc(*v, nc * sizeof(**v));

		if (!p)
			return -1;
		*v = p;
		*cap = nc;
	}
	(*v)[*n].gpa = gpa;
	(*v)[*n].size = size;
	(*n)++;
	return 0;
}

int sm_sim_shared_choose(uint64_t seed, unsigned pct,
			 const struct sm_ep_range *ranges, size_t nranges,
			 struct sm_ep_region **out, size_t *n)
{
	struct sm_ep_region *v = NULL;
	uint64_t x = mix(seed ^ 0x736861726564ull);
	size_t nv = 0, cap = 0, r;

	if (pct > 100)
		pct = 100;
	for (r = 0; r < nranges; r++) {
		uint64_t pages = ranges[r].size / SM_PAGE_SIZE;
		uint64_t left = pages * pct / 100, pos = 0;

		while (left) {
			uint64_t run = 1 + (mix(x += GOLDEN) % 8), gap = 0;
			uint64_t runs_left, slack = pages - pos - left;

			if (run > left)
				run = left;
			/* Spread the private pages evenly between runs. */
			runs_left = left / 4 + 1;
			if (slack)
				gap = mix(x += GOLDEN) %
				      (2 * slack / runs_left + 1);
			if (gap > slack)
				gap = slack;
			pos += gap;
			if (push(&v, &nv, &cap,
				 ranges[r].gpa + pos * SM_PAGE_SIZE,
				 run * SM_PAGE_SIZE)) {
				free(v);
				return -1;
			}
			pos += run;
			left -= run;
		}
	}
	*out = v;
	*n = nv;
	return 0;
}
