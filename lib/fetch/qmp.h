/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_QMP_H
#define SEVMIG_QMP_H

/*
 * A small QEMU Machine Protocol client over a unix socket: the greeting,
 * qmp_capabilities, then one command at a time (asynchronous events in
 * between are skipped).  Every read has a deadline, so a peer that goes
 * silent is a timeout (SM_EXIT_IO), never a hang.  QEMU's own error
 * ({"error": {"class", "desc"}}) is relayed word for word.  Outside
 * dependency: jansson (in qmp.c only).
 */

#include <stddef.h>
#include <stdint.h>

#include "certs/cert.h"
#include "base/err.h"

struct sm_qmp;

/* query-sev-capabilities, decoded from base64. */
struct sm_qmp_sev_caps {
	uint8_t pdh[SM_SEV_CERT_LEN]; /* the PDH, 0x824 bytes */
	uint8_t chain[SM_SEV_CHAIN_LEN]; /* PEK || OCA || CEK, 0x186c bytes */
	uint8_t cpu0_id[64]; /* GET_ID2 of CPU 0 (QEMU >= 7.1) */
	size_t cpu0_id_len; /* 0 when QEMU did not send it */
	int cbitpos, reduced_phys_bits; /* -1 when absent */
};

/*
 * Connect to the QMP socket at path, read the greeting and negotiate
 * (qmp_capabilities).  timeout (seconds, > 0) bounds the connection and
 * each later command.  *q is released with sm_qmp_close.  Errors:
 * SM_EXIT_IO (connect, timeout, closed, not QMP), SM_EXIT_UNSUPPORTED
 * when QEMU refuses qmp_capabilities.
 */
int sm_qmp_open(const char *path, double timeout, struct sm_qmp **q,
		struct sm_err *e);

/*
 * Run command with args (a JSON object as text, or NULL) and wait for its
 * answer.  *ret (may be NULL) gets the "return" value as compact JSON
 * text, malloc'd.  QEMU's error is SM_EXIT_UNSUPPORTED for CommandNotFound
 * and SM_EXIT_VM otherwise, with "class: desc" in the message.  Blocks up
 * to the timeout given to sm_qmp_open.
 */
int sm_qmp_execute(struct sm_qmp *q, const char *command, const char *args,
		   char **ret, struct sm_err *e);

/*
 * query-sev-capabilities.  Any QEMU error (KVM not enabled, SEV not
 * available, an old QEMU) is SM_EXIT_UNSUPPORTED: this QEMU cannot give a
 * SEV chain.  A reply with missing or malformed fields, or certificates of
 * the wrong size, is SM_EXIT_VERIFY naming the field.
 */
int sm_qmp_query_sev_capabilities(struct sm_qmp *q,
				  struct sm_qmp_sev_caps *caps,
				  struct sm_err *e);

/* Close the connection and free q.  NULL is fine. */
void sm_qmp_close(struct sm_qmp *q);

#endif
