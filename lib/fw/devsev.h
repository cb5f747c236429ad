/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_DEVSEV_H
#define SEVMIG_DEVSEV_H

/*
 * The Linux /dev/sev interface (SEV_ISSUE_CMD): PDH_CERT_EXPORT, GET_ID2,
 * PLATFORM_STATUS, with the kernel's length-probing convention.  Failures
 * carry errno and the firmware status by name.  A missing device is
 * SM_EXIT_UNSUPPORTED with a message naming it.
 */

#include <stddef.h>
#include <stdint.h>

#include "certs/cert.h"
#include "base/err.h"

struct sm_devsev_status {
	uint8_t api_major, api_minor, build, state;
	uint32_t flags, guest_count;
};

int sm_devsev_platform_status(const char *dev, struct sm_devsev_status *st,
			      struct sm_err *e);
int sm_devsev_pdh_cert_export(const char *dev, uint8_t pdh[SM_SEV_CERT_LEN],
			      uint8_t chain[SM_SEV_CHAIN_LEN],
			      struct sm_err *e);
int sm_devsev_get_id2(const char *dev, uint8_t *id, size_t max, size_t *len,
		      struct sm_err *e);

#endif
