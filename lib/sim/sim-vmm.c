// SPDX-License-Identifier: MIT
/*
 * The simulated VMM: a guest on fw-sim with its RAM in a memfd, served on
 * the VM endpoint.  RAM is only ever touched through a 1 MiB window
 * buffer, so memory use does not grow with the guest beyond the memfd
 * itself and the shared-region list.
 */
#include "sim/sim-vmm.h"
#include "sim/sim-vmm-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bytes.h"
#include "fw/fw-sim.h"
#include "base/log.h"
#include "base/ossl.h"
#include "sim/sim-guest.h"
#include "base/util.h"

const char *const vstate_name[] = { "running",	 "paused",	    "incoming",
				    "receiving", "received-paused", "released",
				    "launching" };

static int vmm_hello(void *arg, struct sm_ep_hello *h, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	size_t i;

	(void)e;
	snprintf(h->platform, sizeof(h->platform), "sim");
	snprintf(h->platform_dir, sizeof(h->platform_dir), "%s",
		 v->platform_dir);
	snprintf(h->role, sizeof(h->role), "%s",
		 v->incoming ? "incoming" : "source");
	snprintf(h->state, sizeof(h->state), "%s", vstate_name[v->state]);
	h->vcpus = v->vcpus;
	h->es = v->es;
	h->policy = v->policy;
	h->migration_ready = v->migration_ready;
	h->mh_helpers = v->mh && !v->snp ? v->o.mh : 0;
	h->svsm_mailboxes = v->mh && v->snp ? v->o.mh : 0;
	h->snp_policy = sv_snp_policy(v);
	h->svsm_state_records = v->snp ? SM_SIM_SVSM_STATE_PAGES : 0;
	/*
	 * Cleared at start and by every reset, and nothing written before
	 * the claimant's first hello (a helper target was launched: no).
	 */
	h->ram_zeroed = !v->mh && !v->snp &&
			(v->state == V_INCOMING ||
			 (v->state == V_RECEIVING && v->fresh_claim));
	v->fresh_claim = 0;
	h->mem_size = v->o.mem_size;
	h->nranges = v->nranges;
	for (i = 0; i < v->nranges; i++)
		h->ranges[i] = v->ranges[i];
	h->nfds = 1;
	h->fds[0] = v->ram_fd;
	return 0;
}

/* Why resume needs force, if it does: "" or a sentence for the operator. */
static const char *hold_reason(const struct sm_sim_vmm *v, char *buf,
			       size_t len)
{
	if (v->pending)
		snprintf(
			buf, len,
			"received, but the export that sent it was never confirmed: the source may still hold this guest; resume with force only once the source says released, else discard this copy");
	else if (v->in_doubt[0])
		snprintf(buf, len, "%s", v->in_doubt);
	else
		buf[0] = '\0';
	return buf;
}

static int vmm_status(void *arg, struct sm_ep_status *st, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	struct sm_fw_guest_status gs;

	snprintf(st->hold, sizeof(st->hold), "%s",
		 v->pending	? "uncommitted" :
		 v->in_doubt[0] ? "in-doubt" :
				  "");
	hold_reason(v, st->hold_reason, sizeof(st->hold_reason));

	snprintf(st->vmm_state, sizeof(st->vmm_state), "%s",
		 vstate_name[v->state]);
	snprintf(st->role, sizeof(st->role), "%s",
		 v->incoming ? "incoming" : "source");
	snprintf(st->guest_state, sizeof(st->guest_state), "none");
	st->policy = v->policy;
	if (v->has_ctx) {
		if (sm_fw_guest_status(v->fw, &gs, e))
			return -1;
		snprintf(st->guest_state, sizeof(st->guest_state), "%s",
			 sm_guest_state_name(gs.state));
		st->handle = gs.handle;
		st->policy = gs.policy;
	}
	st->mem_size = v->o.mem_size;
	st->vcpus = v->vcpus;
	st->es = v->es;
	st->migration_ready = v->migration_ready;
	return 0;
}

static int vmm_pause(void *arg, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;

	switch (v->state) {
	case V_INCOMING:
		return sm_err_set(
			e, SM_EXIT_VM,
			"no guest is running: the VMM is waiting for an import");
	case V_RECEIVING:
		return sm_err_set(
			e, SM_EXIT_VM,
			"no guest is running: an import is under way");
	case V_RECEIVED:
		return sm_err_set(
			e, SM_EXIT_VM,
			"the received guest has not run yet: it is paused");
	case V_RELEASED:
		return sm_err_set(e, SM_EXIT_VM, "the guest was released");
	case V_LAUNCHING:
		return sm_err_set(
			e, SM_EXIT_VM,
			"the guest is still launching: its owner has not finished (sevmig-sim ctl SOCK finish, or inject-secret)");
	default:
		v->state = V_PAUSED;
		return 0;
	}
}

/*
 * The guest's firmware state.  A source's migration helpers in a session
 * are its send: SUPDATE for every rule here, as SEND_START would make it.
 */
static int guest_state(struct sm_sim_vmm *v, struct sm_err *e)
{
	struct sm_fw_guest_status gs;

	if (sm_fw_guest_status(v->fw, &gs, e))
		return -1;
	if (gs.state == SM_GUEST_RUNNING && !v->incoming && sv_mh_sending(v))
		return SM_GUEST_SUPDATE;
	return gs.state;
}

/* Cancel a send: the PSP's (SEND_CANCEL), or the helpers' session. */
static int cancel_send(struct sm_sim_vmm *v, struct sm_err *e)
{
	if (!v->incoming && sv_mh_sending(v)) {
		sv_mh_reset(v);
		return SM_GUEST_RUNNING;
	}
	return sm_fw_sim_recover(v->fw, e);
}

static int vmm_resume(void *arg, int force, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	char why[SM_EP_HOLD_MAX];
	int gs;

	switch (v->state) {
	case V_RELEASED:
		return sm_err_set(e, SM_EXIT_VM, "the guest was released");
	case V_INCOMING:
		return sm_err_set(e, SM_EXIT_VM,
				  "no guest: the VMM is waiting for an import");
	case V_RECEIVING:
		return sm_err_set(
			e, SM_EXIT_VM,
			"no context adopted yet: an import is under way");
	case V_LAUNCHING:
		return sm_err_set(
			e, SM_EXIT_VM,
			"the guest is still launching: its owner has not finished (sevmig-sim ctl SOCK finish, or inject-secret)");
	default:
		break;
	}
	if (v->held)
		return sm_err_set(
			e, SM_EXIT_VM,
			"the guest context is handed out: return it first");
	if (v->state == V_RECEIVED && !v->devstate_ok)
		return sm_err_set(e, SM_EXIT_VM, "no device state loaded yet");
	hold_reason(v, why, sizeof(why));
	if (why[0] && !force)
		return sm_err_set(
			e, SM_EXIT_VM,
			"the guest is on hold (%s): %s (sevmig-sim ctl %s resume --force)",
			v->pending ? "uncommitted" : "in doubt", why,
			v->o.socket ? v->o.socket : "SOCKET");
	gs = guest_state(v, e);
	if (gs < 0)
		return -1;
	if (gs != SM_GUEST_RUNNING)
		return sm_err_set(e, SM_EXIT_VM,
				  "the firmware guest state is %s, not RUNNING",
				  sm_guest_state_name((unsigned)gs));
	if (why[0])
		pr_warn("resumed on the operator's word although %s", why);
	v->pending = 0;
	v->in_doubt[0] = '\0';
	if (v->state == V_RECEIVED) {
		/* Imported: from now on an ordinary VMM that can export. */
		v->incoming = 0;
		sv_mh_become_source(v);
		pr_info("incoming guest resumed");
	}
	v->state = V_RUNNING;
	return 0;
}

static int vmm_shared_regions(void *arg, uint64_t from, size_t max,
			      const struct sm_ep_region **r, size_t *n,
			      int *more, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	size_t lo = 0, hi = v->nshared;

	if (!v->migration_ready)
		return sm_err_set(
			e, SM_EXIT_VM,
			"the guest has not declared itself migration-ready: its shared regions are unknown");
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->shared[mid].gpa < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	*r = v->shared + lo;
	*n = v->nshared - lo < max ? v->nshared - lo : max;
	*more = lo + *n < v->nshared;
	return 0;
}

static int in_layout(const struct sm_sim_vmm *v, uint64_t gpa, uint64_t size)
{
	size_t i;

	for (i = 0; i < v->nranges; i++)
		if (gpa >= v->ranges[i].gpa &&
		    gpa + size <= v->ranges[i].gpa + v->ranges[i].size)
			return 1;
	return 0;
}

static int vmm_set_shared_regions(void *arg, const struct sm_ep_region *r,
				  size_t n, int append, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	struct sm_ep_region *p;
	size_t i, base = append ? v->nshared : 0;

	if (v->state != V_RECEIVING && v->state != V_RECEIVED)
		return sm_err_set(
			e, SM_EXIT_VM,
			"set-shared-regions is for an incoming VMM that is receiving, before resume");
	for (i = 0; i < n; i++)
		if (!in_layout(v, r[i].gpa, r[i].size))
			return sm_err_set(e, SM_EXIT_USAGE,
					  "region 0x%" PRIx64 "+0x%" PRIx64
					  " is outside guest RAM",
					  r[i].gpa, r[i].size);
	if (n && base &&
	    r[0].gpa < v->shared[base - 1].gpa + v->shared[base - 1].size)
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"region 0x%" PRIx64
			" overlaps or precedes the regions already set",
			r[0].gpa);
	p = realloc(v->shared, (base + n + 1) * sizeof(*p));
	if (!p)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	memcpy(p + base, r, n * sizeof(*p));
	v->shared = p;
	v->nshared = base + n;
	return 0;
}

static int same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int vmm_take_context(void *arg, int *ctx_fd, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;

	if (v->incoming)
		return sm_err_set(e, SM_EXIT_VM,
				  "take-context is for a source VMM");
	if (v->state == V_RELEASED)
		return sm_err_set(e, SM_EXIT_VM, "the guest was released");
	if (v->state == V_RUNNING)
		return sm_err_set(e, SM_EXIT_VM,
				  "the guest is running: pause it first");
	if (v->state == V_LAUNCHING)
		return sm_err_set(
			e, SM_EXIT_VM,
			"the guest is still launching: its owner has not finished");
	if (v->held)
		return sm_err_set(e, SM_EXIT_VM, "the context is handed out");
	if (v->in_doubt[0])
		return sm_err_set(
			e, SM_EXIT_VM,
			"the guest is in doubt (%s): resume it with force before exporting it again",
			v->in_doubt);
	*ctx_fd = sm_fw_sim_context_fd(v->fw);
	v->held = 1;
	v->stage = STAGE_NONE;
	return 0;
}

static int vmm_return_context(void *arg, int ctx_fd, const char *in_doubt,
			      struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	int gs;

	if (!same_file(ctx_fd, sm_fw_sim_context_fd(v->fw)))
		return sm_err_set(e, SM_EXIT_USAGE,
				  "the descriptor is not this guest's context");
	gs = guest_state(v, e);
	if (gs < 0)
		return -1;
	if (gs == SM_GUEST_SENT)
		return sm_err_set(
			e, SM_EXIT_VM,
			"the guest was sent (SEND_FINISH ran): release it instead");
	if (gs == SM_GUEST_SUPDATE) {
		pr_warn("context returned in SUPDATE: cancelling the send");
		if (cancel_send(v, e) < 0)
			return -1;
	}
	v->held = 0;
	v->stage = STAGE_NONE;
	if (in_doubt) {
		snprintf(v->in_doubt, sizeof(v->in_doubt), "%s", in_doubt);
		pr_warn("context returned in doubt: %s", v->in_doubt);
	}
	return 0;
}

/* The holder reports how far it got: state for context_lost. */
static int progress(struct sm_sim_vmm *v, enum stage to, struct sm_err *e)
{
	int gs;

	if (!v->held)
		return sm_err_set(e, SM_EXIT_VM,
				  "the context is not handed out");
	gs = guest_state(v, e);
	if (gs < 0)
		return -1;
	if (gs != SM_GUEST_SUPDATE)
		return sm_err_set(
			e, SM_EXIT_VM,
			"the guest is not being sent (firmware state %s)",
			sm_guest_state_name((unsigned)gs));
	if (to < v->stage)
		return sm_err_set(e, SM_EXIT_VM,
				  "the send went further already");
	v->stage = to;
	return 0;
}

static int vmm_stream_written(void *arg, struct sm_err *e)
{
	return progress(arg, STAGE_WRITTEN, e);
}

static int vmm_target_ready(void *arg, struct sm_err *e)
{
	return progress(arg, STAGE_READY, e);
}

/*
 * Release: the export committed, the source discards its guest.  Only a
 * guest the firmware has sent (SEND_FINISH ran, state SENT) may go: a
 * release in RUNNING or SUPDATE would throw away the only live copy.
 * The context is decommissioned, so the holder's copy of it is dead too.
 */
/* Punch a released guest's RAM out of its memfd (a dup), then close it. */
struct discard {
	int fd;
	off_t size;
};

static void *discard_ram(void *arg)
{
	struct discard *d = arg;

	if (fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		      d->size) < 0)
		pr_debug("discarding guest RAM: %s", strerror(errno));
	close(d->fd);
	free(d);
	return NULL;
}

/*
 * Give the memory back in a thread: freeing a large guest takes 0.1 s per
 * GiB, and the exporter waits for release's answer (the migration's end),
 * not for the source host to have tidied up.  Without a thread, inline.
 */
static void discard_guest(struct sm_sim_vmm *v)
{
	struct discard *d = malloc(sizeof(*d));
	pthread_attr_t attr;
	pthread_t t;
	int ok = 0;

	if (!d)
		goto inline_discard;
	d->size = (off_t)v->o.mem_size;
	d->fd = fcntl(v->ram_fd, F_DUPFD_CLOEXEC, 0);
	if (d->fd < 0) {
		free(d);
		goto inline_discard;
	}
	if (pthread_attr_init(&attr) == 0) {
		if (pthread_attr_setdetachstate(&attr,
						PTHREAD_CREATE_DETACHED) == 0 &&
		    pthread_create(&t, &attr, discard_ram, d) == 0)
			ok = 1;
		pthread_attr_destroy(&attr);
	}
	if (ok)
		return;
	discard_ram(d);
	return;

inline_discard:
	if (fallocate(v->ram_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		      (off_t)v->o.mem_size) < 0)
		pr_debug("discarding guest RAM: %s", strerror(errno));
}

static int vmm_release(void *arg, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	int gs;

	if (v->state == V_RELEASED)
		return sm_err_set(e, SM_EXIT_VM, "the guest was released");
	gs = guest_state(v, e);
	if (gs < 0)
		return -1;
	/* The helpers' END is their SEND_FINISH (its record went out). */
	if (gs == SM_GUEST_SUPDATE && sv_mh_ended(v) && v->held)
		gs = SM_GUEST_SENT;
	if (gs != SM_GUEST_SENT)
		return sm_err_set(e, SM_EXIT_VM,
				  "the guest was not sent (firmware state %s): "
				  "%s must run before release",
				  sm_guest_state_name((unsigned)gs),
				  v->mh ? "the helpers' END or SEND_FINISH" :
					  "SEND_FINISH");
	if (sm_fw_sim_decommission(v->fw, e))
		return -1;
	v->held = 0;
	v->stage = STAGE_NONE;
	v->state = V_RELEASED;
	sm_fw_close(v->fw);
	v->fw = NULL;
	v->has_ctx = 0;
	/* Discard the guest's memory; the size stays for status. */
	discard_guest(v);
	pr_info("guest released");
	return 0;
}

static void vmm_context_lost(void *arg)
{
	struct sm_sim_vmm *v = arg;
	enum stage stage = v->stage;
	struct sm_err e;
	int gs;

	v->held = 0;
	v->stage = STAGE_NONE;
	/*
	 * Exiting with a client still holding the context: the guest dies
	 * with this VMM unless that client completes its export, so leave
	 * the context alone (on KVM the VMM's exit cannot touch a moved
	 * context either).  Cancelling the send here would kill the export
	 * that is the guest's last chance.
	 */
	if (v->stopping) {
		pr_warn("exiting while a client holds the guest context: "
			"leaving it to that client");
		return;
	}
	/*
	 * The target said it holds a complete copy: finish the send as the
	 * exporter would have, so only the target's copy remains (it waits,
	 * uncommitted, for an operator to resume it there).
	 */
	if (stage == STAGE_READY && guest_state(v, &e) == SM_GUEST_SUPDATE) {
		int sent;

		if (sv_mh_sending(v)) {
			sent = sv_mh_ended(v);
			if (!sent)
				sm_err_set(&e, SM_EXIT_VM,
					   "the helpers sent no END record");
		} else
			sent = sm_fw_send_finish(v->fw, &e) == 0;
		if (sent) {
			v->held = 1; /* release's rule: the holder's send */
			pr_warn("the exporter vanished after the target acknowledged a complete copy: SEND_FINISH, releasing the guest (the target holds it)");
			vmm_release(v, &e);
			return;
		}
		pr_err("finishing the send the exporter left: %s", e.msg);
		stage = STAGE_WRITTEN;
	}
	gs = cancel_send(v, &e);
	if (gs < 0) {
		pr_err("recovering the guest context: %s", e.msg);
		return;
	}
	if (gs == SM_GUEST_SENT) {
		pr_warn("the guest was sent before its holder vanished: releasing it");
		vmm_release(v, &e);
		return;
	}
	if (stage >= STAGE_WRITTEN) {
		snprintf(
			v->in_doubt, sizeof(v->in_doubt),
			"the exporter vanished after the whole stream had left: an importer may run this guest elsewhere; resume it here with force only if no target does");
		pr_warn("took the guest context back, in doubt: %s",
			v->in_doubt);
		return;
	}
	pr_warn("took the guest context back (firmware state %s)",
		sm_guest_state_name((unsigned)gs));
}

/*
 * A helper target keeps its own context (launched, attested, given K):
 * its helpers wrote the private pages.  It takes the guest only once
 * they accepted a valid END, which proves every page of the source's
 * session arrived, each once, where it belongs.
 */
static int adopt_received(struct sm_sim_vmm *v, int ctx_fd, int pending,
			  struct sm_err *e)
{
	if (ctx_fd >= 0)
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"this VMM's migration helpers received the guest: adopt it without a context (adopt-received)");
	if (v->state != V_RECEIVING)
		return sm_err_set(
			e, SM_EXIT_VM,
			"adopt needs a VMM that is receiving (claimed by the importer)");
	if (!sv_mh_ended(v))
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"the migration helper has not accepted a valid END record: the guest is incomplete and does not run");
	v->state = V_RECEIVED;
	v->pending = pending;
	pr_info("guest received by the migration helpers%s",
		pending ? ", uncommitted until the export commits" : "");
	return 0;
}

static int vmm_adopt_context(void *arg, int ctx_fd, int pending,
			     struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	struct sm_fw_guest_status gs;
	struct sm_fw *fw;

	if (!v->incoming)
		return sm_err_set(e, SM_EXIT_VM,
				  "adopt-context is for an incoming VMM");
	if (v->mh)
		return adopt_received(v, ctx_fd, pending, e);
	if (v->has_ctx)
		return sm_err_set(e, SM_EXIT_VM,
				  "a context was already adopted");
	if (v->state != V_RECEIVING)
		return sm_err_set(
			e, SM_EXIT_VM,
			"adopt-context needs a VMM that is receiving (claimed by the importer)");
	if (sm_fw_sim_open(v->platform_dir, &fw, e))
		return -1;
	if (sm_fw_sim_attach(fw, ctx_fd, e) || sm_fw_guest_status(fw, &gs, e))
		goto err_close;
	if (gs.state != SM_GUEST_RUNNING) {
		sm_err_set(
			e, SM_EXIT_VM,
			"the context is in state %s: RECEIVE_FINISH has not run",
			sm_guest_state_name(gs.state));
		goto err_close;
	}
	if (!!(gs.policy & SM_POLICY_ES) != v->es) {
		sm_err_set(e, SM_EXIT_VM,
			   "the context's policy 0x%" PRIx32
			   " %s SEV-ES, this VMM %s",
			   gs.policy, v->es ? "lacks" : "has",
			   v->es ? "runs an ES guest" : "does not");
		goto err_close;
	}
	/* KVM moves an ES context only between VMs with as many vCPUs. */
	if (v->es && sm_fw_sim_context_vcpus(fw) != v->vcpus) {
		sm_err_set(e, SM_EXIT_VM,
			   "the context holds %u VMSAs, this VMM runs %u vCPUs",
			   sm_fw_sim_context_vcpus(fw), v->vcpus);
		goto err_close;
	}
	sm_fw_close(v->fw);
	v->fw = fw;
	v->has_ctx = 1;
	v->policy = gs.policy;
	v->state = V_RECEIVED;
	v->pending = pending;
	pr_info("context adopted (handle %" PRIu32 ")%s", gs.handle,
		pending ? ", uncommitted until the export commits" : "");
	return 0;

err_close:
	sm_fw_close(fw);
	return -1;
}

static int vmm_commit(void *arg, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;

	if (v->state != V_RECEIVED)
		return sm_err_set(
			e, SM_EXIT_VM,
			"commit is for a received guest before it resumes (the VMM is %s)",
			vstate_name[v->state]);
	if (v->pending)
		pr_info("the export committed: the received guest may run");
	v->pending = 0;
	return 0;
}

/*
 * Back to waiting for an import: the half-received (or received, never
 * run) guest goes, memory cleared, context decommissioned.
 */
static int reset_incoming(struct sm_sim_vmm *v, const char *why,
			  struct sm_err *e)
{
	struct sm_fw *fw;

	sv_load_free(v);
	/* A helper target keeps its context and K; its session goes. */
	sv_mh_reset(v);
	sv_snp_clear(v);
	if (v->has_ctx && !v->mh) {
		if (sm_fw_sim_open(v->platform_dir, &fw, e))
			return -1;
		if (sm_fw_sim_decommission(v->fw, e))
			pr_warn("decommissioning the received guest: %s",
				e->msg);
		sm_fw_close(v->fw);
		v->fw = fw;
		v->has_ctx = 0;
	}
	v->devstate_ok = 0;
	v->pending = 0;
	free(v->shared);
	v->shared = NULL;
	v->nshared = 0;
	v->policy = 0;
	v->migration_ready = 0;
	if (sv_zero_ram(v, e))
		return -1;
	v->state = V_INCOMING;
	pr_info("%s: memory cleared, waiting for an import again", why);
	return 0;
}

static int vmm_discard(void *arg, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;

	if (v->state == V_INCOMING)
		return sm_err_set(
			e, SM_EXIT_VM,
			"nothing to discard: the VMM is waiting for an import");
	if (v->state != V_RECEIVING && v->state != V_RECEIVED)
		return sm_err_set(
			e, SM_EXIT_VM,
			"discard is for a received guest that never ran (the VMM is %s)",
			vstate_name[v->state]);
	return reset_incoming(v, "received guest discarded", e);
}

static int vmm_claim(void *arg, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;

	switch (v->state) {
	case V_RELEASED:
		return sm_err_set(e, SM_EXIT_VM, "the guest was released");
	case V_INCOMING:
		v->state = V_RECEIVING;
		v->fresh_claim = 1;
		pr_info("an importer claimed the VM: receiving");
		return 0;
	case V_RECEIVED:
		return sm_err_set(
			e, SM_EXIT_VM,
			"the VM holds a received guest, paused%s: it is not waiting for an import (resume it, or discard it to import again)",
			v->pending ? " and uncommitted" : "");
	default:
		return 0;
	}
}

static void vmm_unclaim(void *arg)
{
	struct sm_sim_vmm *v = arg;
	struct sm_err e;

	if (v->state == V_RECEIVING &&
	    reset_incoming(v, "the importer left before the guest was adopted",
			   &e))
		pr_err("clearing the incoming VMM: %s", e.msg);
}

static int vmm_quit(void *arg, struct sm_err *e)
{
	(void)arg;
	(void)e;
	pr_info("quit requested");
	return 0;
}

static const struct sm_eps_ops vmm_ops = {
	.hello = vmm_hello,
	.status = vmm_status,
	.pause = vmm_pause,
	.resume = vmm_resume,
	.shared_regions = vmm_shared_regions,
	.set_shared_regions = vmm_set_shared_regions,
	.device_state = vmm_device_state,
	.device_state_read = vmm_device_state_read,
	.load_device_state = vmm_load_device_state,
	.load_device_state_data = vmm_load_data,
	.load_device_state_end = vmm_load_end,
	.take_context = vmm_take_context,
	.return_context = vmm_return_context,
	.release = vmm_release,
	.stream_written = vmm_stream_written,
	.target_ready = vmm_target_ready,
	.adopt_context = vmm_adopt_context,
	.commit = vmm_commit,
	.discard = vmm_discard,
	.claim = vmm_claim,
	.unclaim = vmm_unclaim,
	.context_lost = vmm_context_lost,
	.digest = vmm_digest,
	.check = vmm_check,
	.launch_measure = vmm_launch_measure,
	.launch_secret = vmm_launch_secret,
	.launch_finish = vmm_launch_finish,
	.secrets = vmm_secrets,
	.snp_report = vmm_snp_report,
	.snp_target = vmm_snp_target,
	.quit = vmm_quit,
};

const struct sm_eps_ops *sm_sim_vmm_ops(void)
{
	return &vmm_ops;
}

/*
 * The guest's RAM is a memfd the VMM fills (or the import fills): one
 * larger than the memory and swap the machine has free would be ended by
 * the OOM killer, maybe with other processes.  Refuse it up front.
 */

int sm_sim_vmm_new(const struct sm_sim_vmm_opts *o, struct sm_sim_vmm **out,
		   struct sm_err *e)
{
	struct sm_sim_vmm *v;
	double t0 = sm_now();

	v = calloc(1, sizeof(*v));
	if (!v)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	v->o = *o;
	v->ram_fd = -1;
	if (!v->o.mem_split)
		v->o.mem_split = SM_SIM_DEFAULT_SPLIT;
	if (!v->o.vcpus)
		v->o.vcpus = 1;
	if (v->o.snp) {
		v->o.es = 1; /* an SNP guest's vCPUs run from VMSAs */
		/* the SVSM's threads, a mailbox each */
		v->o.mh = v->o.svsm_vcpus ? v->o.svsm_vcpus : 1;
	}
	if (v->o.policy & SM_POLICY_ES)
		v->o.es = 1;
	if (v->o.es)
		v->o.policy |= SM_POLICY_ES;
	v->vcpus = v->o.vcpus;
	v->es = v->o.es;
	v->seed = v->o.seed;
	v->zero_shared = v->o.zero_shared;
	v->migration_ready = !v->o.no_migration_ready;
	v->incoming = v->o.incoming;
	v->state = v->incoming ? V_INCOMING : V_RUNNING;
	if (v->vcpus > MAX_VCPUS) {
		sm_err_set(e, SM_EXIT_USAGE, "at most %d vCPUs", MAX_VCPUS);
		goto err_free;
	}
	if (sv_layout(v, e) || sv_check_room(v->o.mem_size, e) ||
	    (v->o.mh && sv_mh_check(v, e)))
		goto err_free;
	if (!realpath(o->platform_dir, v->platform_dir)) {
		sm_err_errno(e, SM_EXIT_IO, errno, "cannot open platform '%s'",
			     o->platform_dir);
		goto err_free;
	}
	v->win = malloc(WINDOW);
	if (!v->win) {
		sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
		goto err_free;
	}
	if (sm_fw_sim_open(v->platform_dir, &v->fw, e))
		goto err_free;
	/*
	 * Sealed at its size: clients map it, and a RAM that could shrink
	 * under them would kill them with SIGBUS mid-export.
	 */
	v->ram_fd =
		memfd_create("sevmig-sim-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (v->ram_fd < 0 || ftruncate(v->ram_fd, (off_t)o->mem_size) < 0 ||
	    fcntl(v->ram_fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		sm_err_errno(e, SM_EXIT_FAILURE, errno,
			     "allocating %" PRIu64 " bytes of guest RAM",
			     o->mem_size);
		goto err_free;
	}
	/*
	 * Allocate all of RAM in one call, an incoming guest's too (as SEV
	 * pins a guest's memory when it registers it): much faster than
	 * page by page on first write (for an import, inside the guest's
	 * downtime), and a host short of memory fails here, not with
	 * SIGBUS later.
	 */
	if (fallocate(v->ram_fd, 0, 0, (off_t)o->mem_size) < 0) {
		sm_err_errno(e, SM_EXIT_FAILURE, errno,
			     "allocating %" PRIu64 " bytes of guest RAM",
			     o->mem_size);
		goto err_free;
	}
	if (v->incoming && !v->o.mh && !v->o.snp) {
		if (sv_zero_ram(v, e))
			goto err_free;
		v->policy = 0;
		v->migration_ready = 0;
		*out = v;
		return 0;
	}
	/*
	 * A source, or a helper target: that one is launched and attested
	 * like any guest, then boots into its helpers and waits.
	 */
	v->policy = v->o.policy;
	if (sm_sim_shared_choose(v->seed, o->shared_pct, v->ranges, v->nranges,
				 &v->shared, &v->nshared) ||
	    (v->o.mh && sv_mh_share(v, e))) {
		sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
		goto err_free;
	}
	if (o->owner_session || o->firmware || o->await_secret) {
		if (sv_launch(v, e))
			goto err_free;
	} else {
		if (sm_fw_sim_launch(v->fw, v->policy, v->vcpus, e))
			goto err_free;
		v->has_ctx = 1;
		if (sv_fill_guest(v, e))
			goto err_free;
	}
	if ((v->o.snp && sv_snp_new(v, e)) || (v->o.mh && sv_mh_start(v, e)))
		goto err_free;
	if (v->incoming)
		v->migration_ready = 0;
	pr_info("guest of %" PRIu64
		" pages (%zu shared regions) ready in %.2f s",
		v->pages, v->nshared, sm_now() - t0);
	*out = v;
	return 0;

err_free:
	sm_sim_vmm_free(v);
	return -1;
}

void sm_sim_vmm_free(struct sm_sim_vmm *v)
{
	if (!v)
		return;
	sv_load_free(v);
	sv_mh_stop(v);
	sv_snp_free(v);
	sm_fw_close(v->fw);
	if (v->ram_fd >= 0)
		close(v->ram_fd);
	free(v->shared);
	free(v->win);
	free(v);
}

int sm_sim_vmm_run(const struct sm_sim_vmm_opts *o, struct sm_err *e)
{
	struct sm_sim_vmm *v;
	struct sm_eps *s;
	struct signalfd_siginfo si;
	sigset_t set, old;
	int sfd, rc = -1;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0)
		return sm_err_errno(e, SM_EXIT_FAILURE, errno,
				    "blocking signals");
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		sm_err_errno(e, SM_EXIT_FAILURE, errno,
			     "cannot watch for signals");
		goto out_mask;
	}
	if (sm_sim_vmm_new(o, &v, e))
		goto out_sfd;
	if (sm_eps_open(o->socket, &vmm_ops, v, &s, e))
		goto out_vmm;
	if (o->on_ready)
		o->on_ready(o->cb_arg, o->socket);
	rc = sm_eps_run(s, sfd, e);
	v->stopping = 1;
	sm_eps_close(s);
	/* Consume the stop signal, or unblocking it below would kill us. */
	while (read(sfd, &si, sizeof(si)) == sizeof(si))
		pr_info("stopped by signal %u", si.ssi_signo);
out_vmm:
	sm_sim_vmm_free(v);
out_sfd:
	close(sfd);
out_mask:
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
