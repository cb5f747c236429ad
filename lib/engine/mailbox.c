// SPDX-License-Identifier: MIT
/*
 * The host side of a guest's migration agents' mailboxes (one idea: keep
 * them all busy and hand their records between the mailboxes and the
 * archive); mailbox.h says how.  A refusal -2 (authentication failed) is
 * SM_EXIT_VERIFY; -1 and no answer are SM_EXIT_VM.
 */
#include "engine/mailbox.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/bytes.h"
#include "endpoint/endpoint.h"
#include "fw/mh.h"

#define MBX_TIMEOUT_MS 10000
#define MBX_MAX 8u

struct slot {
	int busy;
	uint64_t cmd, gpa;
	uint8_t *out; /* where its record goes, or NULL */
};

struct sm_mbx {
	const struct sm_mbx_kind *k;
	uint8_t *map; /* all mailboxes, mapped shared */
	size_t len;
	unsigned n, next;
	int timeout_ms;
	struct slot slot[MBX_MAX];
};

uint8_t *sm_mbx_at(struct sm_mbx *m, unsigned i)
{
	return m->map + (size_t)i * SM_MH_MAILBOX_STRIDE;
}

size_t sm_mbx_rec_len(const struct sm_mbx_kind *k)
{
	return (k->with_len ? 4u : 0u) + k->hdr_len + 4096u;
}

int sm_mbx_open(const struct sm_mbx_kind *k, const struct sm_ep_hello *h,
		unsigned n, int timeout_ms, struct sm_mbx **out,
		struct sm_err *e)
{
	uint64_t lo = k->base, len = (uint64_t)n * SM_MH_MAILBOX_STRIDE;
	struct sm_mbx *m;
	size_t i;

	*out = NULL;
	if (n == 0 || n > MBX_MAX)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "the guest has no mailbox of %s", k->what);
	for (i = 0; i < h->nranges; i++)
		if (lo >= h->ranges[i].gpa &&
		    lo + len <= h->ranges[i].gpa + h->ranges[i].size)
			break;
	if (i == h->nranges || h->ranges[i].fd_index < 0 ||
	    h->ranges[i].fd_index >= h->nfds)
		return sm_err_set(e, SM_EXIT_VM,
				  "%s's mailboxes at 0x%" PRIx64
				  " are not in the VM's memory",
				  k->what, lo);
	m = calloc(1, sizeof(*m));
	if (!m)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "out of memory");
	m->k = k;
	m->len = (size_t)len;
	m->n = n;
	m->timeout_ms = timeout_ms > 0 ? timeout_ms : MBX_TIMEOUT_MS;
	m->map = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      h->fds[h->ranges[i].fd_index],
		      (off_t)(h->ranges[i].offset + (lo - h->ranges[i].gpa)));
	if (m->map == MAP_FAILED) {
		free(m);
		return sm_err_errno(e, SM_EXIT_VM, errno,
				    "cannot map %s's mailboxes", k->what);
	}
	*out = m;
	return 0;
}

void sm_mbx_close(struct sm_mbx *m)
{
	if (!m)
		return;
	munmap(m->map, m->len);
	free(m);
}

int sm_mbx_contains(const struct sm_mbx *m, uint64_t gpa)
{
	return m && gpa >= m->k->base && gpa - m->k->base < m->len;
}

/* The agent's answer ret to cmd as an error. */
static int refused(struct sm_mbx *m, int32_t ret, uint64_t cmd, uint64_t gpa,
		   int page, const char *hint, struct sm_err *e)
{
	char what[96];

	if (page)
		snprintf(what, sizeof(what), "page 0x%" PRIx64 ": %s", gpa,
			 m->k->cmd_name(cmd));
	else
		snprintf(what, sizeof(what), "%s", m->k->cmd_name(cmd));
	if (ret == -2)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"%s: %s refused it (-2: authentication failed)", what,
			m->k->what);
	return sm_err_set(e, SM_EXIT_VM, "%s: %s refused it (-1: invalid)%s",
			  what, m->k->what, hint ? hint : "");
}

/* What the agent left: the header's data, then the transport page. */
static int take(struct sm_mbx *m, const uint8_t *mb, uint8_t *out,
		struct sm_err *e)
{
	const struct sm_mbx_kind *k = m->k;
	uint32_t len = sm_get_le32(mb + SM_MH_HDR_OFF);
	size_t h = (k->with_len ? 4u : 0u) + k->hdr_len;

	if (len != k->hdr_len)
		return sm_err_set(e, SM_EXIT_VM,
				  "%s left a page header of %u bytes, not %u",
				  k->what, len, k->hdr_len);
	memcpy(out, mb + SM_MH_HDR_OFF + (k->with_len ? 0 : 4), h);
	memcpy(out + h, mb + SM_MH_PAGE_OFF, 4096);
	return 0;
}

/* Hand a record over: its header and page into the mailbox. */
static void give(struct sm_mbx *m, uint8_t *mb, const uint8_t *in)
{
	const struct sm_mbx_kind *k = m->k;
	size_t h = (k->with_len ? 4u : 0u) + k->hdr_len;

	if (!k->with_len)
		sm_put_le32(mb + SM_MH_HDR_OFF, k->hdr_len);
	memcpy(mb + SM_MH_HDR_OFF + (k->with_len ? 0 : 4), in, h);
	memcpy(mb + SM_MH_PAGE_OFF, in + h, 4096);
}

/* Take mailbox i's answer to what was posted there. */
static int finish_slot(struct sm_mbx *m, unsigned i, struct sm_err *e)
{
	struct slot *s = &m->slot[i];
	int32_t ret;

	if (!s->busy)
		return 0;
	s->busy = 0;
	/* one agent: watch it; several: sleep, they need the CPU */
	if (sm_mh_collect(sm_mbx_at(m, i), m->timeout_ms, m->n == 1 ? 100 : 0,
			  &ret, e))
		return sm_err_prefix(e, "page 0x%" PRIx64 ": %s", s->gpa,
				     m->k->cmd_name(s->cmd));
	if (ret != 0)
		return refused(m, ret, s->cmd, s->gpa, 1, NULL, e);
	return s->out ? take(m, sm_mbx_at(m, i), s->out, e) : 0;
}

int sm_mbx_flush(struct sm_mbx *m, struct sm_err *e)
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

int sm_mbx_post(struct sm_mbx *m, uint64_t cmd, uint64_t gpa, const uint8_t *in,
		uint8_t *out, struct sm_err *e)
{
	unsigned i = m->next;

	if (finish_slot(m, i, e))
		return -1;
	m->next = (i + 1) % m->n;
	if (in)
		give(m, sm_mbx_at(m, i), in);
	m->slot[i] = (struct slot){ 1, cmd, gpa, out };
	sm_mh_post(sm_mbx_at(m, i), cmd, gpa);
	return 0;
}

int sm_mbx_call(struct sm_mbx *m, uint64_t cmd, uint64_t gpa, const char *hint,
		struct sm_err *e)
{
	int32_t ret;

	if (sm_mbx_flush(m, e))
		return -1;
	if (sm_mh_call(m->map, cmd, gpa, m->timeout_ms, &ret, e))
		return sm_err_prefix(e, "%s", m->k->cmd_name(cmd));
	return ret == 0 ? 0 : refused(m, ret, cmd, gpa, 0, hint, e);
}

int sm_mbx_call_rec(struct sm_mbx *m, uint64_t cmd, uint64_t gpa,
		    const uint8_t *in, uint8_t *out, struct sm_err *e)
{
	if (sm_mbx_flush(m, e))
		return -1;
	if (in)
		give(m, m->map, in);
	if (sm_mbx_call(m, cmd, gpa, NULL, e))
		return -1;
	return out ? take(m, m->map, out, e) : 0;
}
