// SPDX-License-Identifier: MIT
/*
 * The guest-assisted migration method: the guest's migration helpers
 * seal and open private pages themselves (fw/mh.h), and the engines only
 * carry what the helpers leave in their mailboxes.  Sending: INIT, one
 * ENCRYPT per private page, END for the closing record; cancel is RESET.
 * Receiving: INIT, one DECRYPT per page, END checks the closing record.
 * A helper's -2 (authentication failed) is SM_EXIT_VERIFY; its -1 and no
 * answer are SM_EXIT_VM.
 */
#include "engine/method.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "archive/records.h"
#include "base/bytes.h"
#include "endpoint/endpoint.h"
#include "fw/mh.h"

_Static_assert(SM_MH_REC_LEN == SM_REC_MH_LEN,
	       "the archive's helper record is the mailbox's header and page");

#define MH_TIMEOUT_MS 10000

/*
 * Every helper busy: pages go to the helpers in turn, each posted
 * without waiting; a helper's answer is taken when its mailbox is needed
 * again, or at flush.  A page's result is therefore known only later: a
 * refusal fails the call that finds it (naming that page), and the
 * engines flush before they use what the helpers wrote.
 */
struct slot {
	int busy;
	uint64_t cmd, gpa;
	uint8_t *out; /* ENCRYPT: where its record goes */
};

struct sm_mh_host {
	uint8_t *map; /* all mailboxes, mapped shared */
	size_t len;
	unsigned n, next;
	int timeout_ms;
	struct slot slot[SM_MH_MAX_HELPERS];
};

static uint8_t *mbox(struct sm_mh_host *m, unsigned i)
{
	return m->map + (size_t)i * SM_MH_MAILBOX_STRIDE;
}

int sm_mh_host_open(const struct sm_ep_hello *h, int timeout_ms,
		    struct sm_mh_host **out, struct sm_err *e)
{
	uint64_t lo = SM_MH_MAILBOX_GPA,
		 len = (uint64_t)h->mh_helpers * SM_MH_MAILBOX_STRIDE;
	struct sm_mh_host *m;
	size_t i;

	*out = NULL;
	if (h->mh_helpers == 0 || h->mh_helpers > SM_MH_MAX_HELPERS)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "the guest has no migration helper");
	for (i = 0; i < h->nranges; i++)
		if (lo >= h->ranges[i].gpa &&
		    lo + len <= h->ranges[i].gpa + h->ranges[i].size)
			break;
	if (i == h->nranges || h->ranges[i].fd_index < 0 ||
	    h->ranges[i].fd_index >= h->nfds)
		return sm_err_set(
			e, SM_EXIT_VM,
			"the migration helpers' mailboxes at 0x%" PRIx64
			" are not in the VM's memory",
			lo);
	m = calloc(1, sizeof(*m));
	if (!m)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "out of memory");
	m->len = (size_t)len;
	m->n = h->mh_helpers;
	m->timeout_ms = timeout_ms > 0 ? timeout_ms : MH_TIMEOUT_MS;
	m->map = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      h->fds[h->ranges[i].fd_index],
		      (off_t)(h->ranges[i].offset + (lo - h->ranges[i].gpa)));
	if (m->map == MAP_FAILED) {
		free(m);
		return sm_err_errno(
			e, SM_EXIT_VM, errno,
			"cannot map the migration helpers' mailboxes");
	}
	*out = m;
	return 0;
}

void sm_mh_host_close(struct sm_mh_host *m)
{
	if (!m)
		return;
	munmap(m->map, m->len);
	free(m);
}

int sm_mh_host_mailbox(const struct sm_mh_host *m, uint64_t gpa)
{
	return m && gpa >= SM_MH_MAILBOX_GPA &&
	       gpa - SM_MH_MAILBOX_GPA < m->len;
}

static const char *cmd_name(uint64_t cmd)
{
	switch (cmd) {
	case SM_MH_INIT:
		return "INIT";
	case SM_MH_ENCRYPT:
		return "ENCRYPT";
	case SM_MH_DECRYPT:
		return "DECRYPT";
	case SM_MH_RESET:
		return "RESET";
	default:
		return "END";
	}
}

/* The helper's answer ret to cmd as an error; what names the request. */
static int refused(int32_t ret, uint64_t cmd, uint64_t gpa, const char *hint,
		   struct sm_err *e)
{
	char what[96];

	if (cmd == SM_MH_ENCRYPT || cmd == SM_MH_DECRYPT)
		snprintf(what, sizeof(what), "page 0x%" PRIx64 ": %s", gpa,
			 cmd_name(cmd));
	else
		snprintf(what, sizeof(what), "%s", cmd_name(cmd));
	if (ret == SM_MH_AUTH)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"%s: the migration helper refused it (-2: authentication failed)",
			what);
	return sm_err_set(e, SM_EXIT_VM,
			  "%s: the migration helper refused it (-1: invalid)%s",
			  what, hint ? hint : "");
}

/* What the helper left: u32 len, envelope, then the transport page. */
static int take(uint8_t *mb, uint8_t *out, struct sm_err *e)
{
	if (sm_get_le32(mb + SM_MH_HDR_OFF) != SM_MH_ENV_LEN)
		return sm_err_set(
			e, SM_EXIT_VM,
			"the migration helper left a page header of %u bytes, not %u",
			sm_get_le32(mb + SM_MH_HDR_OFF), SM_MH_ENV_LEN);
	memcpy(out, mb + SM_MH_HDR_OFF, 4 + SM_MH_ENV_LEN);
	memcpy(out + 4 + SM_MH_ENV_LEN, mb + SM_MH_PAGE_OFF, 4096);
	return 0;
}

/* Hand a record to a helper: its header and page into the mailbox. */
static void give(uint8_t *mb, const uint8_t *in)
{
	memcpy(mb + SM_MH_HDR_OFF, in, 4 + SM_MH_ENV_LEN);
	memcpy(mb + SM_MH_PAGE_OFF, in + 4 + SM_MH_ENV_LEN, 4096);
}

/* Take helper i's answer to what was posted there. */
static int finish_slot(struct sm_mh_host *m, unsigned i, struct sm_err *e)
{
	struct slot *s = &m->slot[i];
	int32_t ret;

	if (!s->busy)
		return 0;
	s->busy = 0;
	/* one helper: watch it; several: sleep, they need the CPU */
	if (sm_mh_collect(mbox(m, i), m->timeout_ms, m->n == 1 ? 100 : 0, &ret,
			  e))
		return sm_err_prefix(e, "page 0x%" PRIx64 ": %s", s->gpa,
				     cmd_name(s->cmd));
	if (ret != SM_MH_OK)
		return refused(ret, s->cmd, s->gpa, NULL, e);
	return s->out ? take(mbox(m, i), s->out, e) : 0;
}

/* Every answer in: what the helpers wrote may be used. */
static int flush(struct sm_mh_host *m, struct sm_err *e)
{
	struct sm_err e2;
	unsigned i;
	int rc = 0;

	/* Take them all, even after a failure: none is left in flight. */
	for (i = 0; i < m->n; i++)
		if (finish_slot(m, (m->next + i) % m->n, rc ? &e2 : e))
			rc = -1;
	return rc;
}

/* A free helper for the next page (the next in turn, once it answered). */
static int post(struct sm_mh_host *m, uint64_t cmd, uint64_t gpa,
		const uint8_t *in, uint8_t *out, struct sm_err *e)
{
	unsigned i = m->next;

	if (finish_slot(m, i, e))
		return -1;
	m->next = (i + 1) % m->n;
	if (in)
		give(mbox(m, i), in);
	m->slot[i] = (struct slot){ 1, cmd, gpa, out };
	sm_mh_post(mbox(m, i), cmd, gpa);
	return 0;
}

/* One command to helper 0, after every other answer is in. */
static int call(struct sm_mh_host *m, uint64_t cmd, const char *hint,
		struct sm_err *e)
{
	int32_t ret;

	if (flush(m, e))
		return -1;
	if (sm_mh_call(m->map, cmd, cmd == SM_MH_END ? SM_MH_END_GPA : 0,
		       m->timeout_ms, &ret, e))
		return sm_err_prefix(e, "%s", cmd_name(cmd));
	return ret == SM_MH_OK ? 0 : refused(ret, cmd, 0, hint, e);
}

/* ---- sending ---- */

static int send_start(void *ctx, struct sm_send_start *a, struct sm_err *e)
{
	(void)a;
	return call(
		ctx, SM_MH_INIT,
		" (does the guest hold the owner's key, launch secret GUID " SM_MH_KEY_GUID
		"?)",
		e);
}

static int send_page(void *ctx, uint64_t gpa, const void *guest,
		     uint8_t hdr[SM_REC_PKT_HDR_LEN], uint8_t *out,
		     struct sm_err *e)
{
	(void)guest;
	memset(hdr, 0, SM_REC_PKT_HDR_LEN);
	return post(ctx, SM_MH_ENCRYPT, gpa, NULL, out, e);
}

/* The helper runs in the guest: it cannot reach the VMSAs (SEV-ES). */
static int no_vmsa(unsigned vcpu, struct sm_err *e)
{
	return sm_err_set(
		e, SM_EXIT_UNSUPPORTED,
		"vCPU %u: a migration helper cannot reach an SEV-ES guest's VMSAs",
		vcpu);
}

static int send_vmsa(void *ctx, unsigned vcpu, uint8_t hdr[SM_REC_PKT_HDR_LEN],
		     uint8_t out[SM_PAGE_SIZE], struct sm_err *e)
{
	(void)ctx;
	(void)hdr;
	(void)out;
	return no_vmsa(vcpu, e);
}

static int send_end(void *ctx, uint8_t *out, struct sm_err *e)
{
	struct sm_mh_host *m = ctx;

	if (call(m, SM_MH_END, NULL, e))
		return -1;
	return take(m->map, out, e);
}

static int method_flush(void *ctx, struct sm_err *e)
{
	return flush(ctx, e);
}

/* The END record went out with the stream: nothing is left to do. */
static int send_finish(void *ctx, struct sm_err *e)
{
	return flush(ctx, e);
}

static int send_cancel(void *ctx, struct sm_err *e)
{
	struct sm_mh_host *m = ctx;
	struct sm_err e2;

	(void)flush(m, &e2); /* whatever they said: the send is over */
	return call(m, SM_MH_RESET, NULL, e);
}

const struct sm_method_send sm_mh_send = {
	.name = "mh",
	.page_kind = SM_REC_MH_PAGE,
	.start = send_start,
	.seal_page = send_page,
	.seal_vmsa = send_vmsa,
	.seal_end = send_end,
	.flush = method_flush,
	.finish = send_finish,
	.cancel = send_cancel,
};

/* ---- receiving ---- */

static int recv_start(void *ctx, struct sm_recv_start *a, struct sm_err *e)
{
	(void)a;
	return call(
		ctx, SM_MH_INIT,
		" (was the target given the owner's key, launch secret GUID " SM_MH_KEY_GUID
		"?)",
		e);
}

static int recv_page(void *ctx, uint64_t gpa, const uint8_t *hdr,
		     const uint8_t *in, void *guest, struct sm_err *e)
{
	(void)hdr;
	(void)guest;
	return post(ctx, SM_MH_DECRYPT, gpa, in, NULL, e);
}

static int recv_vmsa(void *ctx, unsigned vcpu, const uint8_t *hdr,
		     const uint8_t *in, struct sm_err *e)
{
	(void)ctx;
	(void)hdr;
	(void)in;
	return no_vmsa(vcpu, e);
}

static int recv_end(void *ctx, const uint8_t *in, struct sm_err *e)
{
	struct sm_mh_host *m = ctx;

	if (flush(m, e))
		return -1;
	give(m->map, in);
	return call(m, SM_MH_END, NULL, e);
}

/* The helper accepted END (open_end): the VMM checks it again. */
static int recv_finish(void *ctx, struct sm_err *e)
{
	return flush(ctx, e);
}

const struct sm_method_recv sm_mh_recv = {
	.name = "mh",
	.start = recv_start,
	.open_page = recv_page,
	.open_vmsa = recv_vmsa,
	.open_end = recv_end,
	.flush = method_flush,
	.finish = recv_finish,
};
