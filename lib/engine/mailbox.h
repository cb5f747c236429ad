/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_MAILBOX_H
#define SEVMIG_MAILBOX_H

/*
 * The host side of the mailboxes a guest's migration agents serve: the
 * migration helpers (method-mh.c, fw/mh.h) and an SNP guest's SVSM
 * (method-svsm.c, fw/svsm.h).  Both use fw/mh.h's layout and handshake;
 * they differ in where the mailboxes are, in the header a record leaves
 * there and in the commands' names.  Private to lib/engine.
 *
 * Every agent busy: pages go to the mailboxes in turn, each posted
 * without waiting; an answer is taken when its mailbox is needed again,
 * or at flush.  A page's result is therefore known only later: a
 * refusal fails the call that finds it (naming that page), and the
 * engines flush before they use what the agents wrote.
 */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct sm_ep_hello;

struct sm_mbx_kind {
	const char *what; /* "the migration helper", "the SVSM" */
	uint64_t base; /* GPA of mailbox 0 */
	/*
	 * A record in the archive: the header area's data (hdr_len bytes,
	 * preceded by the u32 len word when with_len) then the 4 KiB page.
	 */
	uint32_t hdr_len;
	int with_len;
	/* the commands that seal or open a page (posted, not called) */
	const char *(*cmd_name)(uint64_t cmd);
};

struct sm_mbx;

/* Map n mailboxes of the VM (a claim's hello and its fds). */
int sm_mbx_open(const struct sm_mbx_kind *k, const struct sm_ep_hello *h,
		unsigned n, int timeout_ms, struct sm_mbx **out,
		struct sm_err *e);
void sm_mbx_close(struct sm_mbx *m);
/* Is gpa one of the mailbox pages (never migrated)? */
int sm_mbx_contains(const struct sm_mbx *m, uint64_t gpa);
/* Mailbox i, mapped (for a command's own header area). */
uint8_t *sm_mbx_at(struct sm_mbx *m, unsigned i);

/*
 * Post cmd for gpa to the next free mailbox: in (a record, or NULL) is
 * handed over first; out (or NULL) gets the record the agent leaves.
 */
int sm_mbx_post(struct sm_mbx *m, uint64_t cmd, uint64_t gpa, const uint8_t *in,
		uint8_t *out, struct sm_err *e);
/* Every answer in: what the agents wrote may be used. */
int sm_mbx_flush(struct sm_mbx *m, struct sm_err *e);
/* One command to mailbox 0, after every other answer is in. */
int sm_mbx_call(struct sm_mbx *m, uint64_t cmd, uint64_t gpa, const char *hint,
		struct sm_err *e);
/* The same for a command whose record goes in (in) or comes out (out). */
int sm_mbx_call_rec(struct sm_mbx *m, uint64_t cmd, uint64_t gpa,
		    const uint8_t *in, uint8_t *out, struct sm_err *e);

/* Bytes of a record: the header's data (and len word) and the page. */
size_t sm_mbx_rec_len(const struct sm_mbx_kind *k);

#endif
