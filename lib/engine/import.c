// SPDX-License-Identifier: MIT
/*
 * The import engine (sevmig-import).  One idea, the importer's state
 * machine, over 900 lines because each step says why it is where it is.
 *
 * Order, and why:
 *   1. the manifest, checked whole; a two-way stream needs --ack;
 *   2. the target claimed (no other client may touch it from here on)
 *      and checked against the manifest: the same memory layout, vCPUs,
 *      ES, a platform whose PDH the archive was made for, whose
 *      firmware and ES support the guest's policy needs.  Everything an
 *      importer can refuse about the target is refused here, while a
 *      one-way exporter still writes the stream (it finishes only once
 *      the importer has read all of it);
 *   3. source PDH form, session size, shared list inside the layout; the
 *      replay journal (an archive imported here before is refused); the
 *      shared list to the VMM;
 *   4. RECEIVE_START with the manifest's policy (the firmware checks it
 *      against the session's POLICY_MAC);
 *   5. every record checked for its place in the sequence before it is
 *      used (the firmware MAC does not cover the GPA), private ones
 *      through RECEIVE_UPDATE_DATA, shared ones written directly;
 *   6. the device state, streamed into the VMM, which checks it as it
 *      comes;
 *   7. the trailer's counts and digest and the end-of-archive marker,
 *      and only then RECEIVE_FINISH and adopt-context, back to back, with
 *      the stop signals held: from RECEIVE_FINISH on the context is never
 *      thrown away (import.h).
 * A failure before RECEIVE_FINISH leaves the target not resumed.
 */
#include "engine/import.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "archive/archive.h"
#include "archive/format.h"
#include "base/bytes.h"
#include "certs/cert.h"
#include "endpoint/endpoint.h"
#include "engine/mailbox.h"
#include "engine/method.h"
#include "fw/fw.h"
#include "base/ossl.h"
#include "archive/records.h"
#include "engine/probe.h"
#include "engine/replay.h"
#include "base/util.h"

#define WINDOW (1u << 20)
#define PIPE_SIZE (1 << 20)
#define DEV_STATE_MAX (1ull << 32)
#define HOLD_NOTICE 30.0 /* seconds between "still waiting" notices */

static const char *const state_names[] = {
	[SM_IMP_INIT] = "init",		  [SM_IMP_MANIFEST] = "manifest",
	[SM_IMP_CONNECTED] = "connected", [SM_IMP_HEADER] = "header",
	[SM_IMP_STARTED] = "started",	  [SM_IMP_PAGES] = "pages",
	[SM_IMP_LOADED] = "loaded",	  [SM_IMP_VERIFIED] = "verified",
	[SM_IMP_FINISHED] = "finished",	  [SM_IMP_ADOPTED] = "adopted",
	[SM_IMP_READY] = "ready",	  [SM_IMP_COMMITTED] = "committed",
	[SM_IMP_DONE] = "done",
};

_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == SM_IMP_DONE + 1,
	       "state_names covers every state");

const char *sm_import_state_name(enum sm_import_state s)
{
	return (unsigned)s <= SM_IMP_DONE ? state_names[s] : "unknown";
}

/* A mapped window of target memory. */
struct win {
	uint8_t *p;
	size_t len;
	uint64_t gpa; /* guest address of p[0] */
};

struct imp {
	const struct sm_import_opts *o;
	struct sm_import_result *res;
	enum sm_import_state state;
	struct sm_manifest *m;

	int in_fd;
	int own_in;
	struct sm_archive_r *r;
	const char *name; /* current entry */
	uint64_t size;

	uint8_t src_pdh[SM_SEV_CERT_LEN];
	uint8_t session[SM_REC_SESSION_LEN];
	struct sm_shared shared;
	struct sm_rec_seq *seq;

	struct sm_ep *ep;
	struct sm_ep_hello hello;
	int have_hello;
	int use_mh; /* the manifest's method: the guest's helpers */
	int use_svsm; /* ... or an SNP guest's SVSM */
	struct sm_mbx *mbx; /* their mailboxes */
	uint8_t svsm_start[SM_SVSM_START_ENTRY_LEN];
	struct sm_fw *fw;
	/* how private state crosses: today the PSP's (method.h) */
	const struct sm_method_recv *method;
	void *mctx;
	uint32_t handle; /* the context RECEIVE_START made */
	struct win win;
	struct sm_replay *replay;
	sigset_t old_mask; /* while the stop signals are held */
	int holding;
	int stop_sig; /* a stop signal that came while held, or 0 */

	uint64_t dev_size;
	struct sm_trailer trailer;
	struct sm_digest_value digest;
	struct sm_counts counts;
	uint64_t records, chunks;

	double t0, t_fw, t_arch, t_vmm;
};

static void warn(struct imp *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn(struct imp *x, const char *fmt, ...)
{
	struct sm_import_result *r = x->res;
	va_list ap;

	if (r->nwarnings >= 4)
		return;
	va_start(ap, fmt);
	vsnprintf(r->warn_buf[r->nwarnings], sizeof(r->warn_buf[0]), fmt, ap);
	va_end(ap);
	if (x->o->on_warning)
		x->o->on_warning(x->o->cb_arg, r->warn_buf[r->nwarnings]);
	r->warnings[r->nwarnings] = r->warn_buf[r->nwarnings];
	r->nwarnings++;
	r->warnings[r->nwarnings] = NULL;
}

static void progress(struct imp *x, enum sm_progress_kind kind)
{
	struct sm_progress p;
	double now = sm_now();

	if (!x->o->on_progress)
		return;
	sm_rec_seq_counts(x->seq, NULL, &p.pages_done, NULL);
	p.pages_total = x->m->records;
	p.bytes = x->r ? sm_archive_r_bytes(x->r) : 0;
	p.seconds = now - x->t0;
	p.final = kind == SM_PROGRESS_FINAL;
	x->o->on_progress(x->o->cb_arg, &p);
}

/* ---- reading entries ---- */

static int next_entry(struct imp *x, struct sm_err *e)
{
	double t = sm_now();
	int rc = sm_archive_r_next(x->r, &x->name, &x->size, e);

	x->t_arch += sm_now() - t;
	if (rc < 0)
		return -1;
	if (rc == 0) {
		x->name = NULL;
		return 0;
	}
	return 1;
}

/* The entry next_entry returned (rc) must be this one, of at most max. */
static int check_entry(struct imp *x, int rc, const char *want, uint64_t max,
		       struct sm_err *e)
{
	if (rc < 0)
		return -1;
	if (rc == 0)
		return sm_err_set(
			e, SM_EXIT_IO,
			"archive ends before entry '%s' (truncated stream)",
			want);
	if (strcmp(x->name, want) != 0)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "unexpected entry '%s': expected '%s'",
				  x->name, want);
	if (x->size > max)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "entry '%s' is %" PRIu64
				  " bytes, at most %" PRIu64 " allowed",
				  want, x->size, max);
	return 0;
}

/* The next entry must be this one, of at most max bytes. */
static int expect_entry(struct imp *x, const char *want, uint64_t max,
			struct sm_err *e)
{
	return check_entry(x, next_entry(x, e), want, max, e);
}

/* Read from the current entry; the caller says where on failure. */
static int read_raw(struct imp *x, void *buf, size_t len, struct sm_err *e)
{
	double t = sm_now();
	int rc = sm_archive_r_read(x->r, buf, len, e);

	x->t_arch += sm_now() - t;
	return rc;
}

static int read_data(struct imp *x, void *buf, size_t len, struct sm_err *e)
{
	if (read_raw(x, buf, len, e))
		return sm_err_prefix(e, "entry '%s'", x->name);
	return 0;
}

/* The current entry, whole, into a new NUL-terminated buffer. */
static int read_this_small(struct imp *x, char **out, struct sm_err *e)
{
	char *buf;

	buf = malloc(x->size + 1);
	if (!buf)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "out of memory");
	if (read_data(x, buf, x->size, e)) {
		free(buf);
		return -1;
	}
	buf[x->size] = '\0';
	*out = buf;
	return 0;
}

/* A whole small entry into a new NUL-terminated buffer. */
static int read_small(struct imp *x, const char *want, char **out,
		      struct sm_err *e)
{
	if (expect_entry(x, want, SM_MANIFEST_MAX, e))
		return -1;
	return read_this_small(x, out, e);
}

/* ---- the target ---- */

/* "0x0+0x10000000, 0x100000000+0x1000000" for messages. */
static void layout_str(const struct sm_layout *l, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < l->nranges && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n,
				      "%s0x%" PRIx64 "+0x%" PRIx64,
				      i ? ", " : "", l->ranges[i].gpa,
				      l->ranges[i].size);
}

/*
 * The target must be the guest's twin in what the guest depends on: the
 * same memory layout (not only enough of it: the guest's firmware tables
 * and the VMM's device state describe exactly this memory), vCPUs, ES.
 */
static int check_layout(struct imp *x, const struct sm_layout *tl,
			struct sm_err *e)
{
	char want[256], have[256];
	size_t i;

	if (!sm_layout_fits(&x->m->layout, tl) &&
	    x->m->pages > sm_layout_pages(tl))
		return sm_err_set(e, SM_EXIT_VM,
				  "the guest's memory (%" PRIu64
				  " pages) does not fit VM '%s' (%" PRIu64
				  " pages)",
				  x->m->pages, x->o->vm, sm_layout_pages(tl));
	/* Enough pages, but not at the guest's addresses: name the range. */
	for (i = 0; i < x->m->layout.nranges; i++) {
		struct sm_layout one = { .nranges = 1 };

		one.ranges[0] = x->m->layout.ranges[i];
		if (!sm_layout_fits(&one, tl))
			return sm_err_set(e, SM_EXIT_VM,
					  "the guest's memory range 0x%" PRIx64
					  "+0x%" PRIx64
					  " is not in the memory of VM '%s'",
					  one.ranges[0].gpa, one.ranges[0].size,
					  x->o->vm);
	}
	if (tl->nranges == x->m->layout.nranges &&
	    !memcmp(tl->ranges, x->m->layout.ranges,
		    tl->nranges * sizeof(tl->ranges[0])))
		return 0;
	layout_str(&x->m->layout, want, sizeof(want));
	layout_str(tl, have, sizeof(have));
	return sm_err_set(
		e, SM_EXIT_VM,
		"VM '%s' has %" PRIu64
		" MiB of memory at %s, the guest %" PRIu64
		" MiB at %s: start the target with the guest's memory layout",
		x->o->vm, sm_layout_pages(tl) * SM_PAGE_SIZE >> 20, have,
		x->m->pages * SM_PAGE_SIZE >> 20, want);
}

/*
 * Claim the target (from here on no other client may touch it, and it
 * clears what it got from us if we go away before it adopted the guest),
 * then check it against the manifest.
 */
static int connect_target(struct imp *x, struct sm_err *e)
{
	struct sm_layout tl = { 0 };
	double t = sm_now();
	size_t i;
	int rc;

	rc = sm_ep_connect(x->o->vm, x->o->timeout, &x->ep, e);
	if (rc == 0)
		rc = sm_ep_claim(x->ep, &x->hello, e);
	x->t_vmm += sm_now() - t;
	if (rc)
		return sm_err_prefix(e, "VM '%s'", x->o->vm);
	x->have_hello = 1;
	if (strcmp(x->hello.role, "incoming") != 0 ||
	    strcmp(x->hello.state, "receiving") != 0)
		return sm_err_set(
			e, SM_EXIT_VM,
			"VM '%s' is not waiting for an incoming guest (role '%s', state '%s')",
			x->o->vm, x->hello.role, x->hello.state);
	if (x->hello.kind == SM_PLATFORM_UNKNOWN)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "VM '%s': unknown platform '%s'", x->o->vm,
				  x->hello.platform);
	if (x->hello.nranges > SM_MAX_RANGES || x->hello.nranges == 0)
		return sm_err_set(e, SM_EXIT_VM, "VM '%s': %zu memory ranges",
				  x->o->vm, x->hello.nranges);
	tl.nranges = x->hello.nranges;
	for (i = 0; i < tl.nranges; i++) {
		const struct sm_ep_range *r = &x->hello.ranges[i];

		if (r->fd_index < 0 || r->fd_index >= x->hello.nfds)
			return sm_err_set(e, SM_EXIT_VM,
					  "VM '%s': range %zu has no memory fd",
					  x->o->vm, i);
		tl.ranges[i].gpa = r->gpa;
		tl.ranges[i].size = r->size;
	}
	if (check_layout(x, &tl, e))
		return -1;
	/* An SNP target waits in its SVSM for an SVSM's stream, only. */
	if (!!x->hello.svsm_mailboxes != (x->m->method == SM_METHOD_SVSM))
		return sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			x->hello.svsm_mailboxes ?
				"VM '%s' is an SNP guest waiting in its SVSM for an SVSM's stream (sevmig-export --method svsm); this archive was sealed by %s" :
				"this archive was sealed by an SNP guest's SVSM: import it into an SNP guest that waits in its SVSM (sevmig-sim run --incoming --snp), not VM '%s'%s",
			x->o->vm,
			x->hello.svsm_mailboxes ?
				(x->m->method == SM_METHOD_MH ?
					 "a migration helper" :
					 "the PSP") :
				"");
	if (x->m->method == SM_METHOD_SVSM &&
	    (x->hello.snp_policy != x->m->snp_policy ||
	     x->hello.svsm_state_records != x->m->svsm_state_chunks))
		return sm_err_set(
			e, SM_EXIT_VM,
			"the guest's SNP policy is 0x%" PRIx64
			" with %u SVSM state records, VM '%s' has 0x%" PRIx64
			" and %u",
			x->m->snp_policy, x->m->svsm_state_chunks, x->o->vm,
			x->hello.snp_policy, x->hello.svsm_state_records);
	if (x->hello.vcpus != x->m->vcpus)
		return sm_err_set(e, SM_EXIT_VM,
				  "the guest has %u vCPUs, VM '%s' has %u",
				  x->m->vcpus, x->o->vm, x->hello.vcpus);
	if (!!x->hello.es != !!x->m->es)
		return sm_err_set(e, SM_EXIT_VM,
				  "the guest is %s, VM '%s' is %s",
				  x->m->es ? "SEV-ES" : "SEV", x->o->vm,
				  x->hello.es ? "SEV-ES" : "SEV");
	/* Its own attested context waits for what its helpers receive. */
	if (x->hello.mh_helpers && x->m->method != SM_METHOD_MH)
		return sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"VM '%s' waits in its migration helpers for a helper's stream (sevmig-export --method mh); this archive was sealed by %s: import it into a VM started without --mh",
			x->o->vm,
			x->m->method == SM_METHOD_SVSM ? "an SVSM" : "the PSP");
	if (x->hello.policy && x->hello.policy != x->m->policy)
		warn(x,
		     "VM '%s' was set up for policy 0x%x; the guest's is 0x%x",
		     x->o->vm, x->hello.policy, x->m->policy);
	x->state = SM_IMP_CONNECTED;
	return 0;
}

/*
 * The target's platform: the archive names the PDH it was made for
 * (another platform's would fail RECEIVE_START too, less clearly), and
 * the firmware must be new enough for the guest's policy and offer ES to
 * an ES guest (RECEIVE_START would refuse: better said before).
 */
static int check_target_pdh(struct imp *x, struct sm_err *e)
{
	uint8_t pdh[SM_SEV_CERT_LEN], chain[SM_SEV_CHAIN_LEN], fp[48];
	char want[2 * SM_FP_LEN + 1], have[2 * SM_FP_LEN + 1];
	struct sm_fw_platform_status ps;
	unsigned maj = SM_POLICY_API_MAJOR(x->m->policy),
		 min = SM_POLICY_API_MINOR(x->m->policy);
	const struct sm_fw_vm vm = { .platform = x->hello.kind,
				     .platform_dir = x->hello.platform_dir,
				     .nvcpus = x->m->vcpus,
				     .es = x->m->es };
	struct sm_sev_cert c;
	size_t fplen;

	if (sm_fw_open_receive(&vm, &x->fw, e))
		return -1;
	x->method = &sm_psp_recv;
	x->mctx = x->fw;
	if (sm_fw_pdh_cert_export(x->fw, pdh, chain, e) ||
	    sm_sev_cert_parse(pdh, sizeof(pdh), &c, e))
		return sm_err_prefix(e, "target PDH");
	sm_sev_cert_fingerprint(&c, fp, &fplen);
	if (memcmp(fp, x->m->target_pdh_fp, SM_FP_LEN) != 0) {
		sm_hex_encode(x->m->target_pdh_fp, SM_FP_LEN, want);
		sm_hex_encode(fp, SM_FP_LEN, have);
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"the archive was made for PDH %s, but VM '%s' is on a platform with PDH %s",
			want, x->o->vm, have);
	}
	if (sm_fw_platform_status(x->fw, &ps, e))
		return sm_err_prefix(e, "target platform");
	if (ps.api_major < maj || (ps.api_major == maj && ps.api_minor < min))
		return sm_err_set(
			e, SM_EXIT_VM,
			"the guest's policy 0x%x needs SEV API %u.%u, the platform of VM '%s' runs %u.%u",
			x->m->policy, maj, min, x->o->vm, ps.api_major,
			ps.api_minor);
	if (x->m->es && !ps.es)
		return sm_err_set(
			e, SM_EXIT_VM,
			"the guest is SEV-ES, the platform of VM '%s' does not offer SEV-ES",
			x->o->vm);
	return 0;
}

/*
 * The target's migration helpers: the target proves itself by holding
 * the owner's key, which INIT (receive_start) and every page test.
 */
static int target_mh(struct imp *x, struct sm_err *e)
{
	if (x->use_svsm) {
		if (sm_svsm_host_open(&x->hello, 0, &x->mbx, e))
			return sm_err_prefix(
				e,
				"VM '%s' cannot receive through an SVSM (start it with sevmig-sim run --incoming --snp)",
				x->o->vm);
		x->method = &sm_svsm_recv;
	} else {
		if (sm_mh_host_open(&x->hello, 0, &x->mbx, e))
			return sm_err_prefix(
				e,
				"VM '%s' cannot receive through a migration helper (start it with sevmig-sim run --incoming --mh)",
				x->o->vm);
		x->method = &sm_mh_recv;
	}
	x->mctx = x->mbx;
	return 0;
}

/*
 * The replay journal: refuse an archive this host imported before, then
 * give the VMM the shared list, all before RECEIVE_START.
 */
static int before_start(struct imp *x, struct sm_err *e)
{
	uint8_t id[SM_REPLAY_ID_LEN];
	char dirbuf[PATH_MAX], warn_msg[512];
	const char *dir = x->o->state_dir;
	struct sm_ep_region *regs = NULL;
	double t;
	size_t i;
	int rc;

	if (!dir)
		dir = sm_replay_default_dir(dirbuf, sizeof(dirbuf));
	/*
	 * A helper's stream has no firmware session to name it; its session
	 * id is inside the records, and the target's helper refuses any
	 * other once it took one.  An old stream replayed into a new import
	 * is useless when the owner gives each migration a fresh key
	 * (sevmig-import(1), MIGRATION HELPER).
	 */
	if (x->use_mh || x->use_svsm)
		dir = NULL;
	else if (sm_sha256(x->session, sizeof(x->session), id))
		return sm_err_set(e, SM_EXIT_FAILURE, "SHA-256 failed");
	if (!dir && !x->use_mh && !x->use_svsm)
		warn(x,
		     "no directory for the replay journal (set SEVMIG_STATE_DIR): a second import of this archive would not be noticed");
	else if (dir &&
		 sm_replay_begin(dir, id, x->o->vm, x->o->allow_replay,
				 &x->replay, warn_msg, sizeof(warn_msg), e))
		return -1;
	else if (warn_msg[0])
		warn(x, "%s", warn_msg);
	if (x->shared.n) {
		regs = calloc(x->shared.n, sizeof(*regs));
		if (!regs)
			return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
					    "out of memory");
		for (i = 0; i < x->shared.n; i++) {
			regs[i].gpa = x->shared.r[i].gpa;
			regs[i].size = x->shared.r[i].size;
		}
	}
	t = sm_now();
	rc = sm_ep_set_shared_regions(x->ep, regs, x->shared.n, e);
	x->t_vmm += sm_now() - t;
	free(regs);
	if (rc)
		return sm_err_prefix(e, "VM '%s'", x->o->vm);
	return 0;
}

static int receive_start(struct imp *x, struct sm_err *e)
{
	struct sm_recv_start a = { .policy = x->m->policy,
				   .nvcpus = x->m->vcpus,
				   .src_pdh = x->src_pdh,
				   .session = x->session,
				   .svsm_start = x->svsm_start };
	double t = sm_now();
	int rc;

	rc = x->method->start(x->mctx, &a, e);
	x->t_fw += sm_now() - t;
	if (rc)
		return -1;
	x->handle = a.handle;
	x->state = SM_IMP_STARTED;
	return 0;
}

/* Map the window of target memory holding gpa (write access). */
static uint8_t *target_page(struct imp *x, uint64_t gpa, struct sm_err *e)
{
	const struct sm_ep_range *r = NULL;
	uint64_t off, start;
	size_t i, len;
	void *p;

	if (x->win.p && gpa >= x->win.gpa && gpa - x->win.gpa < x->win.len)
		return x->win.p + (gpa - x->win.gpa);
	if (x->win.p)
		munmap(x->win.p, x->win.len);
	x->win.p = NULL;
	for (i = 0; i < x->hello.nranges; i++) {
		r = &x->hello.ranges[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			break;
	}
	if (i == x->hello.nranges) {
		sm_err_set(e, SM_EXIT_VM, "gpa 0x%" PRIx64 " not in VM '%s'",
			   gpa, x->o->vm);
		return NULL;
	}
	off = gpa - r->gpa;
	start = off - off % WINDOW;
	len = r->size - start < WINDOW ? (size_t)(r->size - start) : WINDOW;
	/*
	 * MAP_POPULATE: the window's page tables in one go, not one write
	 * fault per page (on the simulated VMM's RAM, which is faulted in
	 * at start as SEV pins it, that halves the mapping's cost).
	 */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		 x->hello.fds[r->fd_index], (off_t)(r->offset + start));
	if (p == MAP_FAILED) {
		sm_err_errno(e, SM_EXIT_VM, errno,
			     "cannot map the memory of VM '%s' at 0x%" PRIx64,
			     x->o->vm, r->gpa + start);
		return NULL;
	}
	/*
	 * KVM: SEV ciphertext is bound to the host page, so the pages that
	 * receive it are pinned to our context (they move with it).
	 */
	if (sm_fw_register_region(x->fw, p, len, e)) {
		munmap(p, len);
		return NULL;
	}
	x->win.p = p;
	x->win.len = len;
	x->win.gpa = r->gpa + start;
	return x->win.p + (gpa - x->win.gpa);
}

/* ---- the stream ---- */

/*
 * A dry run's probe instead of a guest (engine/probe.h): describe the
 * target, claiming and changing nothing, on the answer channel.
 */
static int answer_probe(struct imp *x, struct sm_err *e)
{
	struct sm_probe p;
	char *json = NULL;
	int rc;

	if (x->o->check)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"a dry run's probe (sevmig-export --dry-run --exec), not an archive");
	sm_probe_target(x->o->vm, x->o->timeout, &p);
	if (sm_probe_encode(&p, &json, e))
		return -1;
	rc = sm_write_full(x->o->ack_fd, json, strlen(json)) < 0 ||
	     sm_write_full(x->o->ack_fd, "\n", 1) < 0;
	free(json);
	if (rc)
		return sm_err_errno(e, SM_EXIT_IO, errno,
				    "cannot answer the dry run's probe");
	x->res->probed = 1;
	return 0;
}

static int read_header(struct imp *x, struct sm_err *e)
{
	char *json = NULL;
	int rc;

	rc = next_entry(x, e);
	if (rc > 0 && !strcmp(x->name, SM_ENTRY_PROBE))
		return answer_probe(x, e);
	if (check_entry(x, rc, SM_ENTRY_MANIFEST, SM_MANIFEST_MAX, e) ||
	    read_this_small(x, &json, e))
		return -1;
	rc = sm_manifest_decode(json, x->size, x->m, e);
	free(json);
	if (rc)
		return sm_err_prefix(e, "entry 'sevmig/manifest.json'");
	sm_archive_r_keep_digest(x->r, x->m->digest);
	x->state = SM_IMP_MANIFEST;
	return 0;
}

static int read_header2(struct imp *x, struct sm_err *e)
{
	char *json = NULL;
	int rc;

	if (x->m->method == SM_METHOD_SVSM) {
		/* the source SVSM's start record, for the target SVSM */
		if (expect_entry(x, SM_ENTRY_SVSM_START,
				 SM_SVSM_START_ENTRY_LEN, e))
			return -1;
		if (x->size != SM_SVSM_START_ENTRY_LEN)
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "entry '" SM_ENTRY_SVSM_START
					  "' is %" PRIu64 " bytes, not %u",
					  x->size, SM_SVSM_START_ENTRY_LEN);
		if (read_data(x, x->svsm_start, sizeof(x->svsm_start), e))
			return -1;
		goto shared;
	}
	if (x->m->method == SM_METHOD_MH)
		goto shared; /* no PDH, no session: the helpers hold the key */
	if (expect_entry(x, SM_ENTRY_SOURCE_PDH, SM_SEV_CERT_LEN, e))
		return -1;
	if (x->size != SM_SEV_CERT_LEN)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "entry 'sevmig/source-pdh.cert' is %" PRIu64
				  " bytes, not %u",
				  x->size, SM_SEV_CERT_LEN);
	if (read_data(x, x->src_pdh, sizeof(x->src_pdh), e))
		return -1;
	if (sm_sev_cert_pdh_sane(x->src_pdh, sizeof(x->src_pdh), e))
		return sm_err_prefix(e, "entry 'sevmig/source-pdh.cert'");
	if (expect_entry(x, SM_ENTRY_SESSION, SM_REC_SESSION_LEN, e))
		return -1;
	if (x->size != SM_REC_SESSION_LEN)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "entry 'sevmig/session.bin' is %" PRIu64
				  " bytes, not %u",
				  x->size, SM_REC_SESSION_LEN);
	if (read_data(x, x->session, sizeof(x->session), e))
		return -1;
shared:
	if (read_small(x, SM_ENTRY_SHARED, &json, e))
		return -1;
	rc = sm_shared_decode(json, x->size, &x->m->layout, &x->shared, e);
	free(json);
	if (rc)
		return sm_err_prefix(e, "entry 'sevmig/shared-regions.json'");
	if (!x->m->migration_ready && x->shared.n)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"entry 'sevmig/shared-regions.json': shared regions from a guest that was not migration-ready");
	if (sm_rec_seq_new(x->m, &x->shared, &x->seq, e))
		return -1;
	x->state = SM_IMP_HEADER;
	return 0;
}

static int rec_fail(struct imp *x, const struct sm_rec *r, struct sm_err *e)
{
	return sm_err_prefix(
		e, "entry '%s': record %" PRIu64 " (%s, gpa 0x%" PRIx64 ")",
		x->name, r->index, sm_rec_kind_name(r->kind), r->gpa);
}

/* Hand one record to the target. */
static int apply_record(struct imp *x, struct sm_rec *r, uint8_t *data,
			struct sm_err *e)
{
	uint8_t *page;
	double t;
	int rc;

	if (x->o->check)
		return 0;
	if (r->kind == SM_REC_MH_END || r->kind == SM_REC_SVSM_END) {
		t = sm_now();
		rc = x->method->open_end(x->mctx, data, e);
		x->t_fw += sm_now() - t;
		goto fw_done;
	}
	if (r->kind == SM_REC_SVSM_STATE) {
		t = sm_now();
		rc = x->method->open_state(x->mctx, (uint32_t)r->gpa, data, e);
		x->t_fw += sm_now() - t;
		goto fw_done;
	}
	if (r->kind == SM_REC_MH_PAGE || r->kind == SM_REC_SVSM_PAGE) {
		t = sm_now();
		rc = x->method->open_page(x->mctx, r->gpa, r->pkt_hdr, data,
					  NULL, e);
		x->t_fw += sm_now() - t;
		goto fw_done;
	}
	/* The target's own helpers' mailboxes: theirs, never written. */
	if (r->kind != SM_REC_SVSM_VMSA && sm_mbx_contains(x->mbx, r->gpa))
		return 0;
	/*
	 * A zero page into memory the VMM says holds zeros only: left
	 * untouched.  Touching a page of the mapping the first time is what
	 * a zero record costs otherwise (make bench, docs/performance.md).
	 */
	if (r->kind == SM_REC_ZERO && x->hello.ram_zeroed)
		return 0;
	if (r->kind == SM_REC_VMSA || r->kind == SM_REC_SVSM_VMSA) {
		t = sm_now();
		rc = x->method->open_vmsa(x->mctx, (unsigned)r->gpa, r->pkt_hdr,
					  data, e);
		x->t_fw += sm_now() - t;
		goto fw_done;
	}
	page = target_page(x, r->gpa, e);
	if (!page)
		return rec_fail(x, r, e);
	if (r->kind == SM_REC_SHARED) {
		memcpy(page, data, SM_PAGE_SIZE);
		return 0;
	}
	if (r->kind == SM_REC_ZERO) {
		memset(page, 0, SM_PAGE_SIZE);
		return 0;
	}
	t = sm_now();
	rc = x->method->open_page(x->mctx, r->gpa, r->pkt_hdr, data, page, e);
	x->t_fw += sm_now() - t;
fw_done:
	/* (a packet whose MAC fails is a verification failure: method.h) */
	return rc ? rec_fail(x, r, e) : 0;
}

static int read_chunk(struct imp *x, uint8_t *data, struct sm_err *e)
{
	uint8_t chdr[SM_CHUNK_HDR_LEN], rhdr[SM_REC_HDR_LEN];
	struct sm_chunk_hdr h;
	uint32_t i;

	if (x->size < SM_CHUNK_HDR_LEN)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "entry '%s': %" PRIu64 " bytes, too short",
				  x->name, x->size);
	if (read_data(x, chdr, sizeof(chdr), e) ||
	    sm_rec_seq_chunk(x->seq, x->name, x->size, chdr, &h, e))
		return -1;
	for (i = 0; i < h.nrecords; i++) {
		/* One clock read per record for the archive stage, not two. */
		double t = sm_now();
		struct sm_rec r;
		int rc;

		rc = sm_archive_r_read(x->r, rhdr, sizeof(rhdr), e);
		if (rc) {
			x->t_arch += sm_now() - t;
			return sm_err_prefix(e, "entry '%s': record %" PRIu64,
					     x->name, h.first + i);
		}
		if (sm_rec_seq_record(x->seq, rhdr, &r, e))
			return sm_err_prefix(e, "entry '%s'", x->name);
		if (r.data_len)
			rc = sm_archive_r_read(x->r, data, r.data_len, e);
		x->t_arch += sm_now() - t;
		if (rc)
			return rec_fail(x, &r, e);
		if (apply_record(x, &r, data, e))
			return -1;
	}
	if (sm_rec_seq_chunk_end(x->seq, e))
		return -1;
	if (x->method && x->method->flush && !x->o->check) {
		double t = sm_now();
		int rc = x->method->flush(x->mctx, e);

		x->t_fw += sm_now() - t;
		if (rc)
			return sm_err_prefix(e, "entry '%s'", x->name);
	}
	progress(x, SM_PROGRESS_UPDATE);
	return 0;
}

/* Page chunks until the device state entry. */
static int read_pages(struct imp *x, struct sm_err *e)
{
	uint8_t *data = malloc(SM_REC_MH_LEN); /* the longest record */

	_Static_assert(SM_REC_MH_LEN >= SM_REC_SVSM_LEN, "the longest record");
	int rc = -1, n;

	if (!data)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "out of memory");
	for (;;) {
		n = next_entry(x, e);
		if (n < 0)
			goto out;
		if (n == 0) {
			sm_err_set(
				e, SM_EXIT_IO,
				"archive ends inside the page records (truncated stream)");
			goto out;
		}
		if (strncmp(x->name, SM_CHUNK_NAME_PREFIX,
			    strlen(SM_CHUNK_NAME_PREFIX)) != 0)
			break;
		if (read_chunk(x, data, e))
			goto out;
	}
	if (sm_rec_seq_finish(x->seq, e)) {
		sm_err_prefix(e, "before entry '%s'", x->name);
		goto out;
	}
	sm_rec_seq_counts(x->seq, &x->counts, &x->records, &x->chunks);
	x->state = SM_IMP_PAGES;
	rc = 0;
out:
	sm_wipe(data, SM_REC_MH_LEN);
	free(data);
	return rc;
}

/*
 * Write len bytes into the VMM's pipe, waiting at most until deadline for
 * room: a VMM that stops reading must not hang the import.  fd is
 * non-blocking.  -1 with errno set (ETIMEDOUT for the deadline).
 */
static int write_bounded(int fd, const uint8_t *p, size_t len, double deadline)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -1;
		/* Ready, or a poll error the next write reports. */
		if (sm_wait_until(fd, POLLOUT, deadline) < 0 &&
		    errno == ETIMEDOUT)
			return -1;
	}
	return 0;
}

/*
 * The device state, streamed from the archive into the VMM as it comes
 * (the VMM checks it on the way and gives its verdict at the end): any
 * refusal happens before the trailer, so before a one-way exporter could
 * have finished.  The archive digest still covers it; if the trailer then
 * fails, the VMM forgets it with the rest of the claim.  --check: read.
 */
static int read_device_state(struct imp *x, struct sm_err *e)
{
	uint8_t buf[65536];
	uint64_t done = 0;
	double tmo = x->o->timeout > 0 ? x->o->timeout : 30, t;
	int fd = -1, rc = -1;

	if (strcmp(x->name, SM_ENTRY_DEVICE_STATE) != 0)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"unexpected entry '%s': expected 'sevmig/device-state.bin'",
			x->name);
	if (x->size > DEV_STATE_MAX)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "entry 'sevmig/device-state.bin' is %" PRIu64
				  " bytes, too large",
				  x->size);
	x->dev_size = x->size;
	if (!x->o->check) {
		t = sm_now();
		rc = sm_ep_load_device_state(x->ep, x->dev_size, &fd, e);
		x->t_vmm += sm_now() - t;
		if (rc)
			return sm_err_prefix(
				e, "cannot load the device state into VM '%s'",
				x->o->vm);
		if (sm_set_nonblock(fd) < 0) {
			rc = sm_err_errno(
				e, SM_EXIT_VM, errno,
				"cannot load the device state into VM '%s'",
				x->o->vm);
			goto out;
		}
	}
	rc = -1;
	while (done < x->dev_size) {
		size_t n = x->dev_size - done < sizeof(buf) ?
				   (size_t)(x->dev_size - done) :
				   sizeof(buf);

		if (read_data(x, buf, n, e))
			goto out;
		t = sm_now();
		if (fd >= 0 && write_bounded(fd, buf, n, t + tmo) < 0) {
			x->t_vmm += sm_now() - t;
			if (errno == ETIMEDOUT)
				sm_err_set(
					e, SM_EXIT_IO,
					"cannot load the device state into VM '%s': it stopped reading after %" PRIu64
					" of %" PRIu64 " bytes",
					x->o->vm, done, x->dev_size);
			else
				sm_err_errno(
					e, SM_EXIT_VM, errno,
					"cannot load the device state into VM '%s'",
					x->o->vm);
			goto out;
		}
		x->t_vmm += sm_now() - t;
		done += n;
	}
	if (fd >= 0) {
		close(fd);
		fd = -1;
		t = sm_now();
		rc = sm_ep_load_device_state_done(x->ep, e);
		x->t_vmm += sm_now() - t;
		if (rc) {
			sm_err_prefix(e, "VM '%s' refused the device state",
				      x->o->vm);
			goto out;
		}
	}
	x->state = SM_IMP_LOADED;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int read_trailer(struct imp *x, struct sm_err *e)
{
	const struct sm_trailer *t = &x->trailer;
	char *json = NULL;
	int rc;

	rc = next_entry(x, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return sm_err_set(
			e, SM_EXIT_IO,
			"archive ends before entry 'sevmig/trailer.json' (truncated stream or missing trailer)");
	if (strcmp(x->name, SM_ENTRY_TRAILER) != 0)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"unexpected entry '%s': expected 'sevmig/trailer.json'",
			x->name);
	if (x->size > SM_MANIFEST_MAX)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "entry 'sevmig/trailer.json' is too large");
	/* The digest of everything before the trailer, before reading it. */
	if (sm_archive_r_digest(x->r, x->m->digest, &x->digest, e))
		return -1;
	json = malloc(x->size + 1);
	if (!json)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "out of memory");
	if (read_data(x, json, x->size, e)) {
		free(json);
		return -1;
	}
	rc = sm_trailer_decode(json, x->size, &x->trailer, e);
	free(json);
	if (rc)
		return sm_err_prefix(e, "entry 'sevmig/trailer.json'");
	if (t->counts.private_pages != x->counts.private_pages ||
	    t->counts.shared_pages != x->counts.shared_pages ||
	    t->counts.zero_pages != x->counts.zero_pages ||
	    t->counts.vmsas != x->counts.vmsas ||
	    t->counts.ends != x->counts.ends || t->records != x->records ||
	    t->chunks != x->chunks || t->device_state_size != x->dev_size)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"trailer counts (%" PRIu64 " private, %" PRIu64
			" shared, %" PRIu64 " zero, %" PRIu64 " vmsa, %" PRIu64
			" chunks, %" PRIu64
			" device state bytes) do not match the stream (%" PRIu64
			", %" PRIu64 ", %" PRIu64 ", %" PRIu64 ", %" PRIu64
			", %" PRIu64 ")",
			t->counts.private_pages, t->counts.shared_pages,
			t->counts.zero_pages, t->counts.vmsas, t->chunks,
			t->device_state_size, x->counts.private_pages,
			x->counts.shared_pages, x->counts.zero_pages,
			x->counts.vmsas, x->chunks, x->dev_size);
	if (t->digest.alg != x->digest.alg)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"the trailer's digest is %s, the manifest's %s: the stream was damaged",
			sm_digest_name(t->digest.alg),
			sm_digest_name(x->digest.alg));
	if (!sm_digest_equal(&t->digest, &x->digest))
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"archive digest does not match the trailer: the stream was damaged");
	rc = next_entry(x, e);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "unexpected entry '%s' after the trailer",
				  x->name);
	x->state = SM_IMP_VERIFIED;
	return 0;
}

/* ---- the end ---- */

/*
 * From RECEIVE_FINISH until a VMM holds the guest it exists only in this
 * process: SIGINT, SIGTERM and SIGHUP wait (and act, if they came, once
 * the VMM has it).
 */
static void hold_signals(struct imp *x)
{
	sigset_t set;

	if (x->holding)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, &x->old_mask) == 0)
		x->holding = 1;
}

/*
 * The VMM holds the guest (or it is lost): let the stop signals act
 * again.  One that came meanwhile is taken here, not left to kill us
 * mid-sentence: the import stops at the next step and says where the
 * guest is (stop_sig).
 */
static void release_signals(struct imp *x)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;
	int sig;

	if (!x->holding)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	while ((sig = sigtimedwait(&set, NULL, &zero)) > 0)
		if (!x->stop_sig)
			x->stop_sig = sig;
	x->holding = 0;
	sigprocmask(SIG_SETMASK, &x->old_mask, NULL);
}

static const char *sig_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
}

/* A notice while waiting, not kept with the run's warnings. */
static void notice(struct imp *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void notice(struct imp *x, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!x->o->on_warning)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x->o->on_warning(x->o->cb_arg, msg);
}

enum probe {
	P_ADOPTED, /* the VMM holds our guest */
	P_WAITING, /* still receiving, or not answering: it may yet */
	P_GONE, /* no VMM, or one that will not take it */
};

/*
 * Over a connection of its own (ours may be broken), ask the VMM whether
 * it adopted the context we made.
 */
static enum probe probe(struct imp *x)
{
	struct sm_ep_status st;
	struct sm_ep *ep;
	struct sm_err e2;
	enum probe p;

	if (sm_ep_connect(x->o->vm, x->o->timeout, &ep, &e2))
		return strstr(e2.msg, "timed out") ? P_WAITING : P_GONE;
	if (sm_ep_status(ep, &st, &e2))
		p = P_WAITING;
	else if (!strcmp(st.vmm_state, "received-paused") &&
		 st.handle == x->handle && !strcmp(st.guest_state, "RUNNING"))
		p = P_ADOPTED;
	else if (!strcmp(st.vmm_state, "receiving"))
		p = P_WAITING;
	else
		p = P_GONE;
	sm_ep_close(ep);
	return p;
}

/* Drop an uncommitted copy over a fresh connection (ours is broken). */
static int discard_fresh(struct imp *x)
{
	struct sm_ep *ep;
	struct sm_err e2;
	int rc;

	/* Our claim ends with our connection; the VMM keeps the guest. */
	sm_ep_close(x->ep);
	x->ep = NULL;
	if (sm_ep_connect(x->o->vm, x->o->timeout, &ep, &e2))
		return -1;
	rc = sm_ep_discard(ep, &e2);
	sm_ep_close(ep);
	return rc;
}

/*
 * Hand the received context to the VMM.  It must not be lost: a VMM
 * that fails to answer is asked again, over a new connection, whether
 * it took it, and waited for while it still may; only a VMM that is gone
 * or refuses for good loses it.  A VMM that took it but answered badly
 * keeps it paused: one-way, the operator resumes it there; two-way, the
 * copy is discarded (no "ready" was sent, so the exporter gives the
 * source back).
 */
static int adopt(struct imp *x, struct sm_err *e)
{
	char what[SM_ERR_MSG_MAX];
	enum sm_exit code;
	double t = sm_now(), next = t + HOLD_NOTICE;
	int fd = sm_fw_context_fd(x->fw);
	int rc;

	rc = x->use_mh || x->use_svsm ?
		     sm_ep_adopt_received(x->ep, x->o->ack, e) :
		     sm_ep_adopt_context(x->ep, fd, x->o->ack, e);
	x->t_vmm += sm_now() - t;
	if (rc == 0)
		return 0;
	snprintf(what, sizeof(what), "%s", e->msg);
	code = e->code;
	for (;;) {
		enum probe p = probe(x);

		if (p == P_ADOPTED)
			break;
		if (p == P_GONE || code != SM_EXIT_IO) {
			/* Gone, or an answer that says no: it will not. */
			x->res->target_state = "lost";
			return sm_err_set(
				e, code,
				"VM '%s' did not take the received guest (%s): it ends with this import; if its source was released, restore the guest from a saved archive",
				x->o->vm, what);
		}
		if (sm_now() >= next) {
			notice(x,
			       "VM '%s' has not taken the received guest for %.0f s (%s); still waiting: this process holds the guest, do not kill it",
			       x->o->vm, sm_now() - t, what);
			next = sm_now() + HOLD_NOTICE;
		}
		usleep(200 * 1000);
	}
	x->state = SM_IMP_ADOPTED;
	x->t_vmm += sm_now() - t;
	if (x->o->ack) {
		if (discard_fresh(x) == 0) {
			x->res->target_state = "untouched";
			return sm_err_set(
				e, code,
				"VM '%s': %s; it took the guest after all, but no \"ready\" was sent: the copy was discarded and the source keeps the guest",
				x->o->vm, what);
		}
		x->res->target_state = "uncommitted";
		return sm_err_set(
			e, code,
			"VM '%s': %s; it holds the guest, uncommitted, but no \"ready\" was sent, so the source keeps it: discard this copy (sevmig-sim ctl '%s' discard)",
			x->o->vm, what, x->o->vm);
	}
	x->res->target_state = "paused";
	return sm_err_set(
		e, code,
		"VM '%s': %s; it holds the received guest paused: resume it there (sevmig-sim ctl '%s' resume)",
		x->o->vm, what, x->o->vm);
}

/*
 * Two-way: "ready" on ack_fd, then exactly "commit\n" on the stream after
 * the end of the archive.  Anything else (end of stream, garbage) leaves
 * the target holding the guest uncommitted: it resumes only when forced.
 */
static int ack(struct imp *x, struct sm_err *e)
{
	static const char ready[] = "ready\n";
	char buf[16];
	size_t have;
	int err;

	/* What the archive reader already took beyond the end, if anything. */
	have = sm_archive_r_leftover(x->r, buf, sizeof(buf) - 1);
	if (sm_write_full(x->o->ack_fd, ready, sizeof(ready) - 1) < 0) {
		struct sm_err e2;

		/* The exporter never saw "ready": it gives the source back. */
		err = errno;
		if (sm_ep_discard(x->ep, &e2) == 0) {
			sm_replay_undo(x->replay);
			x->res->target_state = "untouched";
			return sm_err_errno(
				e, SM_EXIT_IO, err,
				"cannot answer \"ready\": the received copy was discarded, VM '%s' waits for an import again and the source keeps the guest",
				x->o->vm);
		}
		return sm_err_errno(
			e, SM_EXIT_IO, err,
			"cannot answer \"ready\", so the source keeps the guest; VM '%s' holds an uncommitted copy: discard it (sevmig-sim ctl '%s' discard)",
			x->o->vm, x->o->vm);
	}
	x->state = SM_IMP_READY;
	while (have < sizeof(buf) - 1 && !memchr(buf, '\n', have)) {
		ssize_t n = read(x->in_fd, buf + have, 1);

		/* A non-blocking input: wait for the exporter's answer. */
		if (n < 0 &&
		    (errno == EINTR ||
		     (errno == EAGAIN && sm_wait_io(x->in_fd, POLLIN) == 0)))
			continue;
		if (n <= 0)
			break;
		have++;
		if (buf[have - 1] == '\n')
			break;
	}
	buf[have] = '\0';
	if (strcmp(buf, "commit\n") != 0)
		return sm_err_set(
			e, SM_EXIT_IO,
			"no \"commit\" from the exporter%s: VM '%s' holds the guest paused, uncommitted, and will not resume on its own. Either the export finished (the source VM's status says released: resume here with sevmig-sim ctl '%s' resume --force) or it did not (the source still holds the guest: resume it there and discard this copy with sevmig-sim ctl '%s' discard); sevmig-sim ctl SOURCE-SOCKET status tells which",
			x->m->two_way ?
				"" :
				" (a one-way stream: no exporter waited for \"ready\")",
			x->o->vm, x->o->vm, x->o->vm);
	x->state = SM_IMP_COMMITTED;
	if (sm_ep_commit(x->ep, e))
		return sm_err_prefix(
			e,
			"the export committed, but VM '%s' holds the guest uncommitted: resume it with sevmig-sim ctl '%s' resume --force",
			x->o->vm, x->o->vm);
	x->res->target_state = "paused";
	return 0;
}

/*
 * A stop signal came while the guest reached the VMM: stop here.  One-way
 * the VMM keeps it paused; two-way no "ready" went out, so the source
 * keeps the guest and this copy goes.
 */
static int interrupted(struct imp *x, struct sm_err *e)
{
	const char *sig = sig_name(x->stop_sig);
	struct sm_err e2;

	if (!x->o->ack)
		return sm_err_set(
			e, SM_EXIT_FAILURE,
			"interrupted by %s once VM '%s' held the guest: it holds it paused; resume it there (sevmig-sim ctl '%s' resume)",
			sig, x->o->vm, x->o->vm);
	if (sm_ep_discard(x->ep, &e2) == 0) {
		sm_replay_undo(x->replay);
		x->res->target_state = "untouched";
		return sm_err_set(
			e, SM_EXIT_FAILURE,
			"interrupted by %s before \"ready\": the received copy was discarded and the source keeps the guest",
			sig);
	}
	return sm_err_set(
		e, SM_EXIT_FAILURE,
		"interrupted by %s before \"ready\", so the source keeps the guest; VM '%s' holds an uncommitted copy: discard it (sevmig-sim ctl '%s' discard)",
		sig, x->o->vm, x->o->vm);
}

static int complete(struct imp *x, struct sm_err *e)
{
	struct sm_err e2;
	double t;
	int rc;

	/* From here on the guest is never thrown away (import.h). */
	hold_signals(x);
	t = sm_now();
	rc = x->method->finish(x->mctx, e);
	x->t_fw += sm_now() - t;
	if (rc)
		return -1;
	x->state = SM_IMP_FINISHED;
	if (adopt(x, e))
		return -1;
	x->state = SM_IMP_ADOPTED;
	x->res->target_state = x->o->ack ? "uncommitted" : "paused";
	/* Said where it matters: the guest is about to run here. */
	if (x->m->snapshot)
		warn(x,
		     "this archive is a snapshot (sevmig-export --keep-source): its source may still be running the guest, and resuming it here makes a second running copy");
	if (sm_replay_commit(x->replay, &e2))
		warn(x,
		     "%s: a second import of this archive would not be noticed",
		     e2.msg);
	/* The VMM holds the guest: a stop signal may act now. */
	release_signals(x);
	if (x->stop_sig)
		return interrupted(x, e);
	if (x->o->ack && ack(x, e))
		return -1;
	if (!x->o->no_resume) {
		t = sm_now();
		rc = sm_ep_resume(x->ep, e);
		x->t_vmm += sm_now() - t;
		if (rc)
			return sm_err_prefix(
				e,
				"cannot resume VM '%s'; it holds the guest paused (sevmig-sim ctl '%s' resume)",
				x->o->vm, x->o->vm);
		x->res->target_state = "running";
	}
	/*
	 * Two-way, the exporter's closing line says where the guest is:
	 * tell it, last on the answer channel (it may be gone: no matter).
	 */
	if (x->o->ack) {
		const char *said = x->o->no_resume ? "paused\n" : "running\n";

		(void)sm_write_full(x->o->ack_fd, said, strlen(said));
	}
	x->state = SM_IMP_DONE;
	return 0;
}

static void fill_report(struct imp *x, int ok, const struct sm_err *e)
{
	struct sm_report *r = &x->res->report;

	r->schema = x->o->check ? "sevmig-import-check/1" :
				  "sevmig-import-report/1";
	r->result = ok ? (x->o->check ? "valid" : "ok") : "failed";
	r->error = ok ? NULL : e->msg;
	r->mode = x->o->check ? "check" : x->o->ack ? "two-way" : "one-way";
	r->method = sm_method_name(x->m->method);
	r->target_state = x->o->check ? NULL : x->res->target_state;
	if (x->state >= SM_IMP_MANIFEST) {
		r->have_policy = 1;
		r->policy = x->m->policy;
		r->vcpus = x->m->vcpus;
		r->es = x->m->es;
		r->mem_size = x->m->pages * SM_PAGE_SIZE;
		r->layout = &x->m->layout;
		r->have_target_fp = x->m->method == SM_METHOD_PSP;
		memcpy(r->target_pdh_fp, x->m->target_pdh_fp, SM_FP_LEN);
		r->have_source_fp = x->m->method == SM_METHOD_PSP;
		memcpy(r->source_pdh_fp, x->m->source_pdh_fp, SM_FP_LEN);
	}
	if (x->seq)
		sm_rec_seq_counts(x->seq, &r->counts, &r->records, &r->chunks);
	r->bytes = x->r ? sm_archive_r_bytes(x->r) : 0;
	r->device_state_size = x->dev_size;
	r->seconds = sm_now() - x->t0;
	r->t_firmware = x->t_fw;
	/*
	 * Time in read(2) is input wait (the peer, the pipe, the network),
	 * not archive work; every read happens inside an archive call.
	 */
	r->t_io = x->r ? sm_archive_r_read_seconds(x->r) : 0;
	r->t_archive = x->t_arch > r->t_io ? x->t_arch - r->t_io : 0;
	r->t_vmm = x->t_vmm;
	r->have_digest = x->state >= SM_IMP_VERIFIED;
	r->digest = x->digest;
	r->warnings = x->res->nwarnings ? x->res->warnings : NULL;
	x->res->state = x->state;
}

/*
 * What the manifest says about how the stream was sent, checked before
 * the target is touched.
 */
static int check_mode(struct imp *x, struct sm_err *e)
{
	if (x->m->two_way && !x->o->ack)
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"this stream is two-way (sevmig-export --exec waits for \"ready\" and commits only then): import it with sevmig-import --ack");
	return 0;
}

int sm_import(const struct sm_import_opts *o, struct sm_import_result *res,
	      struct sm_err *e)
{
	struct imp x;
	size_t i;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	x.o = o;
	x.res = res;
	x.m = &res->manifest;
	x.t0 = sm_now();
	res->target_state = "untouched";

	if (!o->input || strcmp(o->input, "-") == 0) {
		x.in_fd = STDIN_FILENO;
		/* As sevmig-export does: 1 MiB of pipe, fewer wakeups. */
		(void)fcntl(x.in_fd, F_SETPIPE_SZ, PIPE_SIZE);
	} else {
		x.in_fd = open(o->input, O_RDONLY | O_CLOEXEC);
		if (x.in_fd < 0) {
			sm_err_errno(e, SM_EXIT_IO, errno, "cannot open '%s'",
				     o->input);
			goto out;
		}
		x.own_in = 1;
	}
	{
		/* Opening reads the first block: archive time, like the rest. */
		double t = sm_now();
		int orc = sm_archive_r_open(x.in_fd, &x.r, e);

		x.t_arch += sm_now() - t;
		if (orc || read_header(&x, e))
			goto out;
	}
	if (res->probed) {
		rc = 0;
		goto out;
	}
	x.use_mh = x.m->method == SM_METHOD_MH;
	x.use_svsm = x.m->method == SM_METHOD_SVSM;
	if (!o->check && (check_mode(&x, e) || connect_target(&x, e) ||
			  (x.use_mh || x.use_svsm ? target_mh(&x, e) :
						    check_target_pdh(&x, e))))
		goto out;
	if (read_header2(&x, e))
		goto out;
	if (!o->check && (before_start(&x, e) || receive_start(&x, e)))
		goto out;
	/*
	 * From here on the target's memory is being written: whatever fails
	 * before RECEIVE_FINISH, the target is not resumed and, once we are
	 * gone, clears it and waits again.
	 */
	if (read_pages(&x, e) || read_device_state(&x, e) ||
	    read_trailer(&x, e))
		goto out;
	progress(&x, SM_PROGRESS_FINAL);
	if (!o->check && complete(&x, e))
		goto out;
	x.state = SM_IMP_DONE;
	rc = 0;
out:
	if (rc && !o->check && x.state >= SM_IMP_STARTED &&
	    x.state < SM_IMP_FINISHED)
		res->target_state = "not resumed";
	release_signals(&x);
	fill_report(&x, rc == 0, e);
	if (x.win.p)
		munmap(x.win.p, x.win.len);
	/* Before adopt-context this discards the half-received context. */
	sm_fw_close(x.fw);
	sm_mbx_close(x.mbx);
	sm_replay_end(x.replay);
	sm_rec_seq_free(x.seq);
	sm_shared_free(&x.shared);
	sm_archive_r_free(x.r);
	if (x.own_in)
		close(x.in_fd);
	if (x.have_hello)
		for (i = 0; i < (size_t)x.hello.nfds; i++)
			close(x.hello.fds[i]);
	sm_ep_close(x.ep);
	return rc;
}
