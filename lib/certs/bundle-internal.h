/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_BUNDLE_INTERNAL_H
#define SEVMIG_BUNDLE_INTERNAL_H

/*
 * What bundle.c (the bundle JSON), inputs.c (every other input) and
 * report.c (the -J reports) share: the slots of a chain and how to fill
 * them.  Public API: bundle.h.
 */

#include <jansson.h>

#include "certs/bundle.h"

#define INPUT_MAX (1u << 20) /* far above any real chain */

struct slot {
	const char *key; /* JSON key and file stem */
	unsigned bit;
	uint32_t usage;
	int amd;
};

/* One row per certificate of a chain, PDH first, ARK last. */
#define SMB_NSLOTS 6
extern const struct slot smb_slots[SMB_NSLOTS];

struct sm_sev_cert *smb_sev_slot(struct sm_chain *ch, uint32_t usage);
unsigned smb_usage_bit(uint32_t usage);
void smb_set_sev(struct sm_chain *ch, const struct sm_sev_cert *c);
void smb_set_amd(struct sm_chain *ch, const struct sm_amd_cert *c);
void smb_api_from_chain(const struct sm_chain *ch, struct sm_bundle_info *info);
void smb_set_source(struct sm_bundle_info *info, const char *what,
		    const char *name);
/* Decode a parsed bundle object into ch and info (bundle.c). */
int smb_decode_obj(json_t *root, struct sm_chain *ch,
		   struct sm_bundle_info *info, struct sm_err *e);

#endif
