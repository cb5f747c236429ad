/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_BYTES_H
#define SEVMIG_BYTES_H

/*
 * Little-endian fields and all-zero tests, the way AMD's structures
 * (certificates, packet headers, contexts) and the archive's records lay
 * them out.  One definition for every module that reads or writes them.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The x86 page: the unit of guest memory, of firmware transfers and of
 * the archive's records. */
#define SM_PAGE_SIZE 4096u

static inline uint16_t sm_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline void sm_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline uint32_t sm_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t sm_get_le64(const uint8_t *p)
{
	return sm_get_le32(p) | (uint64_t)sm_get_le32(p + 4) << 32;
}

static inline void sm_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void sm_put_le64(uint8_t *p, uint64_t v)
{
	sm_put_le32(p, (uint32_t)v);
	sm_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* 1 when the n bytes at p are all zero (n 0 included); a word at a time. */
static inline int sm_all_zero(const uint8_t *p, size_t n)
{
	uint64_t w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		if (w)
			return 0;
	}
	for (; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

#endif
