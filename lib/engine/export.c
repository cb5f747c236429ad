// SPDX-License-Identifier: MIT
/*
 * The export engine (sevmig-export).  One idea, the exporter's state
 * machine; its output side is export-io.c.
 *
 * Order, and why:
 *   1. verify the target chain ourselves, whatever the policy: with none
 *      of NOSEND/DOMAIN/SEV the firmware checks nothing but the PDH's form
 *      (SEV API SEND_START), so this is the only check there is;
 *   2. hello, claiming the VM (no other client may touch it until we
 *      are gone): refuse NOSEND and an unready guest before taking
 *      anything;
 *   3. pause (if running), then the shared list (of the paused guest),
 *      take the context, SEND_START (length query first), every page,
 *      VMSAs, device state, trailer;
 *   4. finish only once the stream is complete and cannot be taken
 *      back: one-way once the reader has taken every byte (a file:
 *      fsynced, and renamed into place; stdout that is a file: fsynced;
 *      a pipe or socket: drained), two-way after the importer's "ready".
 *      Before the last bytes leave, the source VMM is told
 *      (stream-written), so if we vanish it holds the guest in doubt
 *      instead of running it next to a target that completed the
 *      import.  QEMU's series calls SEND_FINISH on failure too, leaving
 *      the source unrunnable; here every failure before the finish runs
 *      SEND_CANCEL and hands the context back (in doubt when the whole
 *      stream may have been imported).
 */
#include "engine/export.h"
#include "engine/probe.h"
#include "engine/export-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archive/archive.h"
#include "archive/format.h"
#include "base/bytes.h"
#include "certs/bundle.h"
#include "certs/cert.h"
#include "certs/snp-report.h"
#include "endpoint/endpoint.h"
#include "engine/mailbox.h"
#include "engine/method.h"
#include "fw/fw.h"
#include "base/log.h"
#include "archive/records.h"
#include "base/transport.h"
#include "base/util.h"

static const char *const state_names[] = {
	[SM_EXP_INIT] = "init",		  [SM_EXP_VERIFIED] = "verified",
	[SM_EXP_CONNECTED] = "connected", [SM_EXP_PAUSED] = "paused",
	[SM_EXP_TAKEN] = "taken",	  [SM_EXP_SENDING] = "sending",
	[SM_EXP_WRITTEN] = "written",	  [SM_EXP_READY] = "ready",
	[SM_EXP_FINISHED] = "finished",	  [SM_EXP_RELEASED] = "released",
	[SM_EXP_DONE] = "done",
};

_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == SM_EXP_DONE + 1,
	       "state_names covers every state");

const char *sm_export_state_name(enum sm_export_state s)
{
	return (unsigned)s <= SM_EXP_DONE ? state_names[s] : "unknown";
}

/* ---- small helpers ---- */

void exp_warn(struct exp *x, const char *fmt, ...)
{
	struct sm_export_result *r = x->res;
	va_list ap;

	if (r->nwarnings >= SM_EXPORT_MAX_WARNINGS)
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

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	}
	return "a signal";
}

/* A pending signal on sig_fd is an interruption: SM_EXIT_FAILURE. */
int exp_check_signal(struct exp *x, struct sm_err *e)
{
	struct signalfd_siginfo si;
	struct pollfd p;

	if (x->o->sig_fd < 0)
		return 0;
	p.fd = x->o->sig_fd;
	p.events = POLLIN;
	if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
		return 0;
	if (read(x->o->sig_fd, &si, sizeof(si)) != sizeof(si))
		return 0;
	return sm_err_set(e, SM_EXIT_FAILURE, "interrupted by %s",
			  sig_name((int)si.ssi_signo));
}

static void progress(struct exp *x, enum sm_progress_kind kind)
{
	struct sm_progress p;
	double now = sm_now();

	if (!x->o->on_progress)
		return;
	p.pages_done = x->pages_done;
	p.pages_total = x->total_pages;
	/* While the writer thread owns the archive: what it last wrote. */
	p.bytes = x->q ? __atomic_load_n(&x->out_bytes, __ATOMIC_RELAXED) :
		  x->w ? sm_archive_w_bytes(x->w) :
			 0;
	p.seconds = now - x->t0;
	p.final = kind == SM_PROGRESS_FINAL;
	x->o->on_progress(x->o->cb_arg, &p);
}

/* ---- archive entries, timed ---- */

static int a_entry(struct exp *x, const char *name, const void *buf, size_t len,
		   struct sm_err *e)
{
	double t = sm_now();
	int rc = sm_archive_w_entry(x->w, name, buf, len, e);

	x->t_arch += sm_now() - t;
	return rc;
}

static int a_begin(struct exp *x, const char *name, uint64_t size,
		   struct sm_err *e)
{
	double t = sm_now();
	int rc = sm_archive_w_begin(x->w, name, size, e);

	x->t_arch += sm_now() - t;
	return rc;
}

static int a_data(struct exp *x, const void *buf, size_t len, struct sm_err *e)
{
	double t = sm_now();
	int rc = sm_archive_w_data(x->w, buf, len, e);

	x->t_arch += sm_now() - t;
	return rc;
}

static int a_end(struct exp *x, struct sm_err *e)
{
	double t = sm_now();
	int rc = sm_archive_w_end(x->w, e);

	x->t_arch += sm_now() - t;
	return rc;
}

/* ---- steps ---- */

/*
 * A chain that does not verify without --ark, from a simulated host (the
 * bundle's source "sim:DIR", or a host directory holding ark.cert): the
 * fix is that host's ARK, so say so.
 */
static void ark_hint(struct exp *x, const char *certs, struct sm_err *e)
{
	char ark[4096];
	struct stat st;
	size_t n;

	if (x->o->ark)
		return;
	if (!strncmp(x->info.source, "sim:", 4) && x->info.source[4])
		snprintf(ark, sizeof(ark), "%s/ark.cert", x->info.source + 4);
	else if (stat(certs, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(ark, sizeof(ark), "%s/ark.cert", certs);
	else
		return;
	if (access(ark, F_OK))
		return;
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n,
		 "; the certificates come from a simulated host: give --ark %s",
		 ark);
}

static int verify_bundle(struct exp *x, struct sm_err *e)
{
	const char *certs = x->o->certs ? x->o->certs : "-";
	struct sm_verify_result vr;
	struct sm_trust t = { 0 };
	uint8_t fp[48];
	size_t fplen;

	memset(&x->chain, 0, sizeof(x->chain));
	/* Only the PSP method reads a bundle: a terminal cannot be one. */
	if (!strcmp(certs, "-") && isatty(STDIN_FILENO))
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"standard input is a terminal: sevmig-export reads the target's certificate bundle there; pipe it in (sevmig-certs fetch SOURCE | sevmig-export VM) or give -c FILE");
	if (sm_certs_load(certs, &x->chain, &x->info, e))
		return sm_err_prefix(e,
				     "cannot load the target's certificates");
	if (!(x->chain.have & SM_HAVE_PDH))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "no PDH in the target's certificates '%s'",
				  certs);
	if (x->o->ark && sm_trust_load(x->o->ark, &x->trust, &t, e))
		return -1;
	t.product = x->info.product;
	if (sm_chain_verify(&x->chain, &t, &vr, e)) {
		ark_hint(x, certs, e);
		return sm_err_prefix(
			e, "target certificate chain '%s' does not verify",
			certs);
	}
	sm_sev_cert_fingerprint(&x->chain.pdh, fp, &fplen);
	memcpy(x->target_fp, fp, SM_FP_LEN);
	x->state = SM_EXP_VERIFIED;
	return 0;
}

static int hello_layout(struct exp *x, struct sm_err *e);

/*
 * svsm: the target's bundle (sevmig-certs fetch snp-target:), checked
 * before anything leaves: its chain (AMD's roots or --ark), signature and
 * binding, and by default that the target measures, and is bound by, what
 * the source guest is, on at least the source's TCB (its own report says).
 */
static int verify_snp_target(struct exp *x, struct sm_err *e)
{
	const char *certs = x->o->certs ? x->o->certs : "-";
	struct sm_snp_target_opts o = { .ark = x->o->ark };
	struct sm_snp_verify_result *vr = NULL;
	uint8_t rd[SM_SNP_REPORT_DATA_LEN] = { 0 }, raw[SM_SNP_REPORT_LEN];
	struct sm_snp_report *own = NULL;
	struct sm_snp_target *t;
	char *end;
	int rc = -1;

	if (!strcmp(certs, "-") && isatty(STDIN_FILENO))
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"standard input is a terminal: sevmig-export --method svsm reads the target's bundle there; pipe it in (sevmig-certs fetch snp-target:SOCK | sevmig-export VM) or give -c FILE");
	t = x->snp = calloc(1, sizeof(*x->snp));
	own = calloc(1, sizeof(*own));
	vr = calloc(1, sizeof(*vr));
	if (!t || !own || !vr) {
		sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
		goto out;
	}
	if (sm_snp_target_load(certs, t, e)) {
		sm_err_prefix(e, "cannot load the target's bundle");
		goto out;
	}
	if (sm_ep_snp_report(x->ep, rd, raw, e) ||
	    sm_snp_report_parse(raw, sizeof(raw), "the source's report", own,
				e)) {
		sm_err_prefix(e, "VM '%s': its own report", x->o->vm);
		goto out;
	}
	sm_snp_target_expect_own(own, &o);
	if (x->o->expect_measurement &&
	    (strlen(x->o->expect_measurement) != 2 * SM_SNP_MEASUREMENT_LEN ||
	     sm_hex_decode(x->o->expect_measurement, o.measurement,
			   SM_SNP_MEASUREMENT_LEN) != SM_SNP_MEASUREMENT_LEN)) {
		sm_err_set(e, SM_EXIT_USAGE,
			   "--expect-measurement: %u bytes in hexadecimal",
			   SM_SNP_MEASUREMENT_LEN);
		goto out;
	}
	if (x->o->expect_policy) {
		errno = 0;
		o.policy = strtoull(x->o->expect_policy, &end, 16);
		if (errno || *end || end == x->o->expect_policy) {
			sm_err_set(
				e, SM_EXIT_USAGE,
				"--expect-policy: a 64-bit hexadecimal policy");
			goto out;
		}
	}
	if (x->o->min_tcb &&
	    sm_snp_tcb_parse(x->o->min_tcb, &o.min_tcb, &o.min_tcb_mask)) {
		sm_err_set(e, SM_EXIT_USAGE,
			   "--min-tcb: bl=N,tee=N,snp=N,ucode=N[,fmc=N]");
		goto out;
	}
	if (sm_snp_target_verify(t, &o, vr, e)) {
		sm_err_prefix(e, "the target's bundle '%s' does not verify",
			      certs);
		goto out;
	}
	x->snp_target = (struct sm_svsm_target){
		.report = t->report,
		.pub = t->pub,
		.nonce = t->nonce,
		.vcek = t->vcek,
		.vcek_len = t->vcek_len,
		.chain = (const uint8_t *)t->chain,
		.chain_len = strlen(t->chain),
	};
	x->state = SM_EXP_VERIFIED;
	rc = 0;
out:
	free(own);
	free(vr);
	return rc;
}

/*
 * The migration helper's rules: no SEND_*, so NOSEND does not apply (the
 * guest's helper is the guest's own choice), and it cannot reach VMSAs.
 */
static int hello_mh(struct exp *x, struct sm_err *e)
{
	if (x->hello.es || (x->policy & SM_POLICY_ES))
		return sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"VM '%s' is an SEV-ES guest: a migration helper cannot reach its VMSAs (export it with --method psp)",
			x->o->vm);
	if (x->hello.mh_helpers == 0)
		return sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"VM '%s' has no migration helper (--method mh): export it with --method psp",
			x->o->vm);
	return hello_layout(x, e);
}

/*
 * The SVSM's rules: an SNP guest whose SVSM serves mailboxes; the SVSM
 * reaches the VMSAs, so an ES guest is what it moves.
 */
static int hello_svsm(struct exp *x, struct sm_err *e)
{
	if (x->hello.svsm_mailboxes == 0)
		return sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"VM '%s' is not an SNP guest with an SVSM (--method svsm): export it with --method psp",
			x->o->vm);
	return hello_layout(x, e);
}

static int hello(struct exp *x, struct sm_err *e)
{
	double t = sm_now();
	int rc;

	rc = sm_ep_connect(x->o->vm, x->o->timeout, &x->ep, e);
	/* A dry run looks; an export claims the VM (and gets its memory). */
	if (rc == 0)
		rc = x->o->dry_run ? sm_ep_hello(x->ep, &x->hello, e) :
				     sm_ep_claim(x->ep, &x->hello, e);
	x->t_vmm += sm_now() - t;
	if (rc)
		return sm_err_prefix(e, "VM '%s'", x->o->vm);
	x->have_hello = 1;
	if (strcmp(x->hello.role, "source") != 0)
		return sm_err_set(e, SM_EXIT_VM,
				  "VM '%s' is not a source (role '%s')",
				  x->o->vm, x->hello.role);
	if (x->hello.kind == SM_PLATFORM_UNKNOWN)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "VM '%s': unknown platform '%s'", x->o->vm,
				  x->hello.platform);
	x->policy = x->hello.policy;
	if (x->use_mh)
		return hello_mh(x, e);
	if (x->use_svsm)
		return hello_svsm(x, e);
	/* NOSEND: the firmware would refuse SEND_START; take nothing. */
	if (x->policy & SM_POLICY_NOSEND)
		return sm_err_set(
			e, SM_EXIT_VM,
			"refusing to export VM '%s': its policy 0x%x forbids sending (NOSEND)",
			x->o->vm, x->policy);
	if (!(x->policy & (SM_POLICY_DOMAIN | SM_POLICY_SEV)))
		exp_warn(
			x,
			"guest policy 0x%x has neither DOMAIN nor SEV: the firmware does not check the target, only sevmig verified its chain",
			x->policy);
	return hello_layout(x, e);
}

/* What every method needs of the VM: vCPUs, readiness, memory layout. */
static int hello_layout(struct exp *x, struct sm_err *e)
{
	size_t i;

	if (!!x->hello.es != !!(x->policy & SM_POLICY_ES))
		return sm_err_set(e, SM_EXIT_VM,
				  "VM '%s': es %d disagrees with policy 0x%x",
				  x->o->vm, x->hello.es, x->policy);
	if (x->hello.vcpus == 0 || x->hello.vcpus > SM_MAX_VCPUS)
		return sm_err_set(e, SM_EXIT_VM, "VM '%s': %u vCPUs", x->o->vm,
				  x->hello.vcpus);
	/*
	 * Without the guest's MSR_KVM_MIGRATION_CONTROL write its shared list
	 * may be stale: a page it still treats as private would go out in
	 * the clear (as ciphertext, but as the wrong kind) and arrive wrong.
	 */
	if (!x->hello.migration_ready && !x->o->assume_all_private)
		return sm_err_set(
			e, SM_EXIT_VM,
			"refusing to export VM '%s': the guest is not migration-ready, its shared-page list cannot be trusted (--assume-all-private sends every page through the firmware)",
			x->o->vm);
	if (x->hello.nranges > SM_MAX_RANGES)
		return sm_err_set(e, SM_EXIT_VM, "VM '%s': too many ranges",
				  x->o->vm);
	x->layout.nranges = x->hello.nranges;
	for (i = 0; i < x->hello.nranges; i++) {
		const struct sm_ep_range *r = &x->hello.ranges[i];

		if (x->hello.claimed &&
		    (r->fd_index < 0 || r->fd_index >= x->hello.nfds))
			return sm_err_set(e, SM_EXIT_VM,
					  "VM '%s': range %zu has no memory fd",
					  x->o->vm, i);
		x->layout.ranges[i].gpa = r->gpa;
		x->layout.ranges[i].size = r->size;
	}
	if (sm_layout_check(&x->layout, e))
		return sm_err_prefix(e, "VM '%s'", x->o->vm);
	x->total_pages = sm_layout_pages(&x->layout);
	x->res->layout = x->layout;
	x->state = SM_EXP_CONNECTED;
	return 0;
}

static int get_shared(struct exp *x, struct sm_err *e)
{
	struct sm_ep_region *r = NULL;
	double t;
	size_t n = 0, i;
	int rc;

	if (x->o->assume_all_private && !x->hello.migration_ready) {
		x->shared.n = 0;
		x->shared.r = NULL;
		return 0;
	}
	t = sm_now();
	rc = sm_ep_shared_regions(x->ep, &r, &n, e);
	x->t_vmm += sm_now() - t;
	if (rc)
		return sm_err_prefix(e, "VM '%s'", x->o->vm);
	x->shared.r = calloc(n ? n : 1, sizeof(*x->shared.r));
	if (!x->shared.r) {
		free(r);
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "out of memory");
	}
	for (i = 0; i < n; i++) {
		struct sm_layout one = { .nranges = 1 };

		one.ranges[0].gpa = r[i].gpa;
		one.ranges[0].size = r[i].size;
		if (r[i].size == 0 || r[i].gpa % SM_PAGE_SIZE ||
		    r[i].size % SM_PAGE_SIZE ||
		    (i && r[i].gpa < r[i - 1].gpa + r[i - 1].size) ||
		    !sm_layout_fits(&one, &x->layout)) {
			sm_err_set(e, SM_EXIT_VM,
				   "VM '%s': bad shared region 0x%" PRIx64
				   "+0x%" PRIx64,
				   x->o->vm, r[i].gpa, r[i].size);
			free(r);
			return -1;
		}
		x->shared.r[i].gpa = r[i].gpa;
		x->shared.r[i].size = r[i].size;
	}
	x->shared.n = n;
	x->res->nshared = n;
	free(r);
	return 0;
}

static int pause_guest(struct exp *x, struct sm_err *e)
{
	struct sm_ep_status st;
	double t = sm_now();
	int rc;

	rc = sm_ep_status(x->ep, &st, e);
	if (rc == 0 && strcmp(st.vmm_state, "running") == 0) {
		rc = sm_ep_pause(x->ep, e);
		if (rc == 0)
			x->we_paused = 1;
	} else if (rc == 0 && strcmp(st.vmm_state, "paused") != 0) {
		rc = sm_err_set(e, SM_EXIT_VM, "VM '%s' is %s, not running",
				x->o->vm, st.vmm_state);
	}
	x->t_vmm += sm_now() - t;
	if (rc)
		return sm_err_prefix(e, "cannot pause VM '%s'", x->o->vm);
	x->state = SM_EXP_PAUSED;
	return 0;
}

static int take_context(struct exp *x, struct sm_err *e)
{
	const struct sm_fw_vm vm = { .platform = x->hello.kind,
				     .platform_dir = x->hello.platform_dir,
				     .nvcpus = x->hello.vcpus,
				     .es = x->hello.es };
	double t = sm_now();
	int rc;

	rc = sm_ep_take_context(x->ep, &x->ctx_fd, e);
	x->t_vmm += sm_now() - t;
	if (rc)
		return sm_err_prefix(e, "cannot take the context of VM '%s'",
				     x->o->vm);
	x->state = SM_EXP_TAKEN;
	/*
	 * The helpers: the context stays where it is (we hold it, so the
	 * VMM cannot run the guest), the guest's helpers do the sealing.
	 */
	if (x->use_mh || x->use_svsm) {
		if ((x->use_mh ? sm_mh_host_open :
				 sm_svsm_host_open)(&x->hello, 0, &x->mbx, e))
			return sm_err_prefix(e, "VM '%s'", x->o->vm);
		x->method = x->use_mh ? &sm_mh_send : &sm_svsm_send;
		x->mctx = x->mbx;
		return 0;
	}
	if (sm_fw_open_send(&vm, x->ctx_fd, &x->fw, e))
		return -1;
	x->method = &sm_psp_send;
	x->mctx = x->fw;
	return 0;
}

/*
 * What to hand back to the VMM: the firmware's context handle (sim: the
 * context memfd; KVM: our VM, which the VMM moves the context back from),
 * or, when the firmware never took it, what the VMM handed over.
 */
static int context_handle(struct exp *x)
{
	int fd = sm_fw_context_fd(x->fw);

	return fd >= 0 ? fd : x->ctx_fd;
}

static int send_start(struct exp *x, struct sm_err *e)
{
	struct sm_send_start a = { .target = &x->chain,
				   .snp_target = &x->snp_target };
	struct sm_sev_cert src;
	uint8_t fp[48];
	double t = sm_now();
	size_t fplen;
	int rc;

	rc = x->method->start(x->mctx, &a, e);
	x->t_fw += sm_now() - t;
	if (rc)
		return -1;
	x->state = SM_EXP_SENDING;
	if (x->use_svsm)
		memcpy(x->svsm_start, a.svsm_start, sizeof(x->svsm_start));
	if (x->use_mh || x->use_svsm)
		return 0; /* no PDH, no session: the agents hold the key */
	/* The source PDH goes into the archive for the target's start. */
	memcpy(x->src_pdh, a.src_pdh, sizeof(x->src_pdh));
	memcpy(x->session, a.session, sizeof(x->session));
	sm_wipe(a.session, sizeof(a.session));
	if (sm_sev_cert_parse(x->src_pdh, sizeof(x->src_pdh), &src, e))
		return sm_err_prefix(e, "source PDH");
	sm_sev_cert_fingerprint(&src, fp, &fplen);
	memcpy(x->source_fp, fp, SM_FP_LEN);
	if (a.policy != x->policy) {
		exp_warn(x,
			 "the firmware reports policy 0x%x, the VMM said 0x%x",
			 a.policy, x->policy);
		x->policy = a.policy;
	}
	return 0;
}

static int write_header(struct exp *x, struct sm_err *e)
{
	struct sm_manifest m;
	char *json = NULL;
	size_t len;
	int rc;

	memset(&m, 0, sizeof(m));
	snprintf(m.tool_version, sizeof(m.tool_version), "%s", SEVMIG_VERSION);
	snprintf(m.platform, sizeof(m.platform), "%s", x->hello.platform);
	m.policy = x->policy;
	m.vcpus = x->hello.vcpus;
	m.es = !!(x->policy & SM_POLICY_ES);
	m.layout = x->layout;
	m.pages = x->total_pages;
	m.records_per_chunk = x->o->records_per_chunk ?
				      x->o->records_per_chunk :
				      SM_CHUNK_DEFAULT_RECORDS;
	m.method = x->use_mh   ? SM_METHOD_MH :
		   x->use_svsm ? SM_METHOD_SVSM :
				 SM_METHOD_PSP;
	m.snp_policy = x->use_svsm ? x->hello.snp_policy : 0;
	m.svsm_state_chunks = x->use_svsm ? x->hello.svsm_state_records : 0;
	m.records = m.pages + (m.es ? m.vcpus : 0) +
		    (m.method != SM_METHOD_PSP ? 1 : 0) + m.svsm_state_chunks;
	memcpy(m.target_pdh_fp, x->target_fp, SM_FP_LEN);
	memcpy(m.source_pdh_fp, x->source_fp, SM_FP_LEN);
	m.migration_ready = x->hello.migration_ready;
	m.two_way = x->o->exec != NULL;
	m.snapshot = x->o->keep_source;
	m.digest = x->o->digest;
	if (sm_manifest_encode(&m, &json, &len, e))
		return -1;
	rc = a_entry(x, SM_ENTRY_MANIFEST, json, len, e);
	free(json);
	if (rc)
		return -1;
	if (x->use_svsm && a_entry(x, SM_ENTRY_SVSM_START, x->svsm_start,
				   sizeof(x->svsm_start), e))
		return -1;
	if (!x->use_mh && !x->use_svsm &&
	    (a_entry(x, SM_ENTRY_SOURCE_PDH, x->src_pdh, sizeof(x->src_pdh),
		     e) ||
	     a_entry(x, SM_ENTRY_SESSION, x->session, sizeof(x->session), e)))
		return -1;
	if (sm_shared_encode(&x->shared, &json, &len, e))
		return -1;
	rc = a_entry(x, SM_ENTRY_SHARED, json, len, e);
	free(json);
	return rc;
}

/*
 * One chunk of n pages starting at page off of range ri, built in slot s
 * (the firmware thread): map the window, then every record in order,
 * private pages sealed by the method straight into the slot (one
 * SEND_UPDATE_DATA per page), shared pages copied, zero pages as a bare
 * header.  The chunk's numbers (its own, its first record's) are taken
 * here, so the writer thread only writes what it is handed, in order.
 */
static int fill_chunk(struct exp *x, size_t ri, uint64_t off, uint32_t n,
		      struct sm_chunkq_slot *s, struct sm_err *e)
{
	const struct sm_ep_range *r = &x->hello.ranges[ri];
	struct sm_chunk_hdr ch = { n, x->chunks, x->records };
	size_t wlen = (size_t)n * SM_PAGE_SIZE, pos = SM_CHUNK_HDR_LEN;
	struct sm_counts counts = { 0 };
	uint8_t *win;
	uint32_t i;
	int rc = -1;

	/*
	 * No MAP_POPULATE here: read faults map 16 pages at a time (fault
	 * around), cheaper than populating page by page (make bench, 1 GiB
	 * private: 0.16 s more system time with it).
	 */
	win = mmap(NULL, wlen, PROT_READ, MAP_SHARED, x->hello.fds[r->fd_index],
		   (off_t)(r->offset + off));
	if (win == MAP_FAILED)
		return sm_err_errno(e, SM_EXIT_VM, errno,
				    "cannot map guest memory at 0x%" PRIx64,
				    r->gpa + off);
	sm_chunk_hdr_encode(&ch, s->data);
	for (i = 0; i < n; i++) {
		struct sm_rec rec = { .index = x->records + i,
				      .gpa = r->gpa + off +
					     (uint64_t)i * SM_PAGE_SIZE };
		const uint8_t *page = win + (size_t)i * SM_PAGE_SIZE;
		uint8_t *data = s->data + pos + SM_REC_HDR_LEN;

		if (!sm_shared_contains(&x->shared, rec.gpa))
			rec.kind = x->method->page_kind;
		else if (sm_mbx_contains(x->mbx, rec.gpa) ||
			 sm_all_zero(page, SM_PAGE_SIZE))
			/* (the helpers' mailboxes are not guest state) */
			rec.kind = SM_REC_ZERO;
		else
			rec.kind = SM_REC_SHARED;
		rec.data_len = sm_rec_data_len(rec.kind);
		if (rec.kind == x->method->page_kind) {
			double t = sm_now();
			int frc = x->method->seal_page(x->mctx, rec.gpa, page,
						       rec.pkt_hdr, data, e);

			x->t_fw += sm_now() - t;
			if (frc) {
				sm_err_prefix(e, "page 0x%" PRIx64, rec.gpa);
				goto out;
			}
			counts.private_pages++;
		} else if (rec.kind == SM_REC_SHARED) {
			memcpy(data, page, SM_PAGE_SIZE);
			counts.shared_pages++;
		} else {
			counts.zero_pages++;
		}
		sm_rec_encode(&rec, s->data + pos);
		pos += SM_REC_HDR_LEN + rec.data_len;
	}
	if (x->method->flush) {
		double t = sm_now();
		int frc = x->method->flush(x->mctx, e);

		x->t_fw += sm_now() - t;
		if (frc)
			goto out;
	}
	sm_chunk_name(x->chunks, s->name);
	s->len = pos;
	s->pages = n;
	x->chunks++;
	x->records += n;
	x->pages_done += n;
	x->counts.private_pages += counts.private_pages;
	x->counts.shared_pages += counts.shared_pages;
	x->counts.zero_pages += counts.zero_pages;
	rc = 0;
out:
	if (rc && x->method->flush) {
		struct sm_err e2;

		/* Nothing may still write into the slot once we fail. */
		(void)x->method->flush(x->mctx, &e2);
	}
	munmap(win, wlen);
	return rc;
}

/*
 * The writer thread's side: slot s as one archive entry (digest and
 * output), in slices, taking no further slice once the firmware thread
 * gave up.
 */
#define WRITE_SLICE (256u * 1024u)

static int write_slot(void *arg, struct sm_chunkq *q,
		      const struct sm_chunkq_slot *s, struct sm_err *e)
{
	struct exp *x = arg;
	size_t off;

	if (a_begin(x, s->name, s->len, e))
		return -1;
	for (off = 0; off < s->len; off += WRITE_SLICE) {
		size_t n = s->len - off < WRITE_SLICE ? s->len - off :
							WRITE_SLICE;

		if (sm_chunkq_aborted(q))
			return sm_err_set(e, SM_EXIT_FAILURE,
					  "the page writer was stopped");
		if (a_data(x, s->data + off, n, e))
			return -1;
	}
	if (a_end(x, e))
		return -1;
	__atomic_store_n(&x->out_bytes, sm_archive_w_bytes(x->w),
			 __ATOMIC_RELAXED);
	return 0;
}

/*
 * Every page, a chunk at a time: this thread maps, seals and builds
 * chunks while a writer thread (engine/chunkq.h) writes the one before.
 * A failure on either side ends both, with the writer joined before this
 * returns: nothing is written after it, and the stream is cut before any
 * trailer, so it never imports.
 */
static int write_pages(struct exp *x, struct sm_err *e)
{
	uint32_t rpc = x->o->records_per_chunk ? x->o->records_per_chunk :
						 SM_CHUNK_DEFAULT_RECORDS;
	size_t ri;
	int rc = 0;

	if (sm_chunkq_start(
		    &x->q,
		    sm_chunk_size_bytes(
			    rpc, (uint64_t)rpc *
					 sm_rec_data_len(x->method->page_kind)),
		    write_slot, x, e))
		return -1;
	for (ri = 0; ri < x->hello.nranges && rc == 0; ri++) {
		uint64_t size = x->hello.ranges[ri].size, off;

		/* A chunk never spans two ranges: one mapping per chunk. */
		for (off = 0; off < size && rc == 0;) {
			uint64_t left = (size - off) / SM_PAGE_SIZE;
			uint32_t n = left < rpc ? (uint32_t)left : rpc;
			struct sm_chunkq_slot *s;

			rc = exp_check_signal(x, e);
			if (rc)
				break;
			s = sm_chunkq_get(x->q, e);
			if (!s) {
				rc = -1;
				break;
			}
			rc = fill_chunk(x, ri, off, n, s, e);
			if (rc)
				break;
			sm_chunkq_put(x->q);
			off += (uint64_t)n * SM_PAGE_SIZE;
			progress(x, SM_PROGRESS_UPDATE);
		}
	}
	if (rc)
		sm_chunkq_abort(x->q);
	else
		rc = sm_chunkq_finish(x->q, e);
	sm_chunkq_waits(x->q, &x->t_fw_waited, &x->t_out_waited);
	sm_chunkq_free(x->q);
	x->q = NULL;
	return rc;
}

/* What follows the pages: n records of one kind, each sealed by seal. */
enum tail { TAIL_VMSA, TAIL_STATE, TAIL_END };

static int seal_tail(struct exp *x, enum tail t, unsigned v, unsigned n,
		     struct sm_rec *rec, uint8_t *out, struct sm_err *e)
{
	switch (t) {
	case TAIL_VMSA:
		return x->method->seal_vmsa(x->mctx, v, rec->pkt_hdr, out, e) ?
			       sm_err_prefix(e, "vCPU %u", v) :
			       0;
	case TAIL_STATE:
		return x->method->seal_state(x->mctx, v, n, out, e) ?
			       sm_err_prefix(e, "SVSM state %u", v) :
			       0;
	default:
		return x->method->seal_end(x->mctx, out, e);
	}
}

/*
 * After every page: SEV-ES, one VMSA record per vCPU (SEND_UPDATE_VMSA,
 * or the SVSM's); the SVSM's own state; the method's closing record (the
 * helpers' or the SVSM's END), each in chunks of their own.
 */
static int write_tail(struct exp *x, enum tail t, unsigned count,
		      struct sm_err *e)
{
	uint32_t rpc = x->o->records_per_chunk ? x->o->records_per_chunk :
						 SM_CHUNK_DEFAULT_RECORDS;
	uint32_t kind = t == TAIL_VMSA	? x->method->vmsa_kind :
			t == TAIL_STATE ? SM_REC_SVSM_STATE :
					  x->method->end_kind;
	uint32_t len = sm_rec_data_len(kind);
	uint8_t chdr[SM_CHUNK_HDR_LEN], rhdr[SM_REC_HDR_LEN];
	uint8_t *trans = malloc(len);
	unsigned v = 0;
	int rc = -1;

	if (!trans)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	while (v < count) {
		unsigned left = count - v;
		uint32_t n = left < rpc ? left : rpc, i;
		struct sm_chunk_hdr ch = { n, x->chunks, x->records };
		char name[SM_CHUNK_NAME_MAX];

		sm_chunk_name(x->chunks, name);
		sm_chunk_hdr_encode(&ch, chdr);
		if (a_begin(x, name, sm_chunk_size_bytes(n, (uint64_t)n * len),
			    e) ||
		    a_data(x, chdr, sizeof(chdr), e))
			goto out;
		for (i = 0; i < n; i++, v++) {
			struct sm_rec rec = { .index = x->records,
					      .gpa = t == TAIL_END ?
							     UINT64_MAX :
							     v,
					      .kind = kind,
					      .data_len = len };
			double t0 = sm_now();
			int frc = seal_tail(x, t, v, count, &rec, trans, e);

			x->t_fw += sm_now() - t0;
			if (frc)
				goto out;
			sm_rec_encode(&rec, rhdr);
			if (a_data(x, rhdr, sizeof(rhdr), e) ||
			    a_data(x, trans, len, e))
				goto out;
			x->records++;
			if (t == TAIL_VMSA)
				x->counts.vmsas++;
			else if (t == TAIL_STATE)
				x->counts.states++;
			else
				x->counts.ends++;
		}
		if (a_end(x, e))
			goto out;
		x->chunks++;
	}
	rc = 0;
out:
	sm_wipe(trans, len);
	free(trans);
	return rc;
}

static int write_vmsas(struct exp *x, struct sm_err *e)
{
	return write_tail(x, TAIL_VMSA,
			  (x->policy & SM_POLICY_ES) ? x->hello.vcpus : 0, e);
}

static int write_end(struct exp *x, struct sm_err *e)
{
	if (x->use_svsm &&
	    write_tail(x, TAIL_STATE, x->hello.svsm_state_records, e))
		return -1;
	return write_tail(x, TAIL_END, x->method->seal_end ? 1 : 0, e);
}

static int write_device_state(struct exp *x, struct sm_err *e)
{
	uint8_t buf[65536];
	uint64_t size = 0, done = 0;
	double t = sm_now();
	double tmo = (x->o->timeout > 0 ? x->o->timeout : 30) * 1000;
	int timeout_ms = tmo < INT_MAX ? (int)tmo : INT_MAX;
	int fd = -1, rc;

	rc = sm_ep_device_state(x->ep, &fd, &size, e);
	x->t_vmm += sm_now() - t;
	if (rc)
		return sm_err_prefix(
			e, "cannot get the device state of VM '%s'", x->o->vm);
	if (a_begin(x, SM_ENTRY_DEVICE_STATE, size, e))
		goto err_close;
	while (done < size) {
		size_t want = size - done < sizeof(buf) ?
				      (size_t)(size - done) :
				      sizeof(buf);
		ssize_t n;
		int ready = 0;

		/* The VMM's pipe is bound by the endpoint timeout too. */
		if (exp_wait_fd(x, fd, POLLIN, timeout_ms, &ready, e))
			goto err_close;
		if (!ready) {
			sm_err_set(
				e, SM_EXIT_IO,
				"device state of VM '%s': timed out after %" PRIu64
				" of %" PRIu64 " bytes",
				x->o->vm, done, size);
			goto err_close;
		}
		n = read(fd, buf, want);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			sm_err_errno(e, SM_EXIT_VM, errno,
				     "cannot read the device state of VM '%s'",
				     x->o->vm);
			goto err_close;
		}
		if (n == 0) {
			sm_err_set(
				e, SM_EXIT_VM,
				"device state of VM '%s' ended after %" PRIu64
				" of %" PRIu64 " bytes",
				x->o->vm, done, size);
			goto err_close;
		}
		if (a_data(x, buf, (size_t)n, e))
			goto err_close;
		done += (uint64_t)n;
	}
	close(fd);
	x->dev_size = size;
	return a_end(x, e);

err_close:
	close(fd);
	return -1;
}

static int write_trailer(struct exp *x, struct sm_err *e)
{
	struct sm_trailer tr = { 0 };
	char *json;
	size_t len;
	double t;
	int rc;

	if (sm_archive_w_digest(x->w, &x->digest, e))
		return -1;
	tr.counts = x->counts;
	tr.records = x->records;
	tr.chunks = x->chunks;
	tr.device_state_size = x->dev_size;
	tr.digest = x->digest;
	if (sm_trailer_encode(&tr, &json, &len, e))
		return -1;
	rc = a_entry(x, SM_ENTRY_TRAILER, json, len, e);
	free(json);
	if (rc)
		return -1;
	/*
	 * One-way, the end-of-archive marker makes the stream importable
	 * (sevmig-import refuses a stream without it): the source VMM learns
	 * first, so if we vanish from here on it keeps the guest in doubt
	 * rather than running it beside a target that imported it.
	 */
	if (!x->o->exec && !x->o->keep_source) {
		t = sm_now();
		rc = sm_ep_stream_written(x->ep, e);
		x->t_vmm += sm_now() - t;
		if (rc)
			return sm_err_prefix(e, "VM '%s'", x->o->vm);
	}
	t = sm_now();
	rc = sm_archive_w_close(x->w, e);
	x->t_arch += sm_now() - t;
	return rc;
}

static int write_stream(struct exp *x, struct sm_err *e)
{
	if (sm_archive_w_open(x->out_fd, &x->w, e) ||
	    sm_archive_w_set_digest(x->w, x->o->digest, e))
		return -1;
	sm_archive_w_set_wait(x->w, exp_out_wait, x);
	if (write_header(x, e) || write_pages(x, e) || write_vmsas(x, e) ||
	    write_end(x, e) || write_device_state(x, e) || write_trailer(x, e))
		return -1;
	progress(x, SM_PROGRESS_FINAL);
	if (x->have_file) {
		char *path = x->file.tmp ? strdup(x->file.path) : NULL;

		x->have_file = 0;
		x->out_fd = -1;
		if (sm_out_commit(&x->file, e)) {
			free(path);
			return -1;
		}
		x->final_path = path;
	}
	x->state = SM_EXP_WRITTEN;
	return 0;
}

/* ---- the end: commit or give back ---- */

/*
 * Give the guest back after a failure or for --keep-source: SEND_CANCEL
 * (SUPDATE -> RUNNING), hand the context back, resume if we paused it.
 * Errors here are reported but do not replace the original one.
 */
static void also(struct sm_err *e, const char *what, const struct sm_err *e2)
{
	size_t n = strlen(e->msg);

	if (n == 0) {
		/* Nothing failed before (--keep-source): this is the error. */
		sm_err_set(e, SM_EXIT_VM, "%s: %.900s", what, e2->msg);
		return;
	}
	if (n < sizeof(e->msg) - 1)
		snprintf(e->msg + n, sizeof(e->msg) - n, "; also %s: %.300s",
			 what, e2->msg);
}

static void give_back(struct exp *x, int resume, struct sm_err *e)
{
	struct sm_err e2 = { 0 };

	if (x->state >= SM_EXP_SENDING && x->state < SM_EXP_FINISHED &&
	    x->method->cancel(x->mctx, &e2))
		also(e, "SEND_CANCEL failed", &e2);
	if (x->state >= SM_EXP_TAKEN && x->state < SM_EXP_FINISHED) {
		if (x->doubt ? sm_ep_return_context_in_doubt(x->ep,
							     context_handle(x),
							     x->doubt, &e2) :
			       sm_ep_return_context(x->ep, context_handle(x),
						    &e2)) {
			also(e, "cannot return the context", &e2);
			/*
			 * Keep fw open: on KVM closing our VM would destroy
			 * the guest; the VMM may still take it back.
			 */
			x->res->source_state = "context lost";
			return;
		}
	}
	/* Only now: on KVM our VM is empty after the move back. */
	sm_fw_close(x->fw);
	x->fw = NULL;
	if (x->doubt) {
		x->res->source_state = "in doubt";
		return;
	}
	if (resume && x->we_paused && x->state >= SM_EXP_PAUSED) {
		if (sm_ep_resume(x->ep, &e2)) {
			also(e, "cannot resume the source", &e2);
			x->res->source_state = "paused";
			return;
		}
		x->res->source_state = "running";
		return;
	}
	x->res->source_state = x->state >= SM_EXP_PAUSED ? "paused" :
							   "untouched";
}

static int finish(struct exp *x, struct sm_err *e)
{
	struct sm_err e2 = { 0 };
	double t = sm_now();
	int rc;

	rc = x->method->finish(x->mctx, e);
	x->t_fw += sm_now() - t;
	if (rc)
		return -1;
	x->state = SM_EXP_FINISHED;
	x->res->source_state = "sent";
	t = sm_now();
	rc = sm_ep_release(x->ep, &e2);
	x->t_vmm += sm_now() - t;
	if (rc) {
		*e = e2;
		return sm_err_prefix(
			e,
			"SEND_FINISH done but VM '%s' did not release its guest",
			x->o->vm);
	}
	x->state = SM_EXP_RELEASED;
	x->res->source_state = "released";
	return 0;
}

/*
 * "commit" to the importer, after the source was released: the pipe stays
 * non-blocking and a full one is waited for like any output (signals, the
 * stall timeout), so an importer that answered "ready" without reading
 * everything cannot hang us.
 */
static int send_commit(struct exp *x, struct sm_err *e)
{
	static const char commit[] = "commit\n";
	static const char lost[] =
		"the source was released but \"commit\" could not be sent to the importer; the target holds the guest paused, resume it there";
	size_t off = 0;

	while (off < sizeof(commit) - 1) {
		ssize_t n = write(x->out_fd, commit + off,
				  sizeof(commit) - 1 - off);
		int ok = 0;

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return sm_err_errno(e, SM_EXIT_IO, errno, "%s", lost);
		if (exp_wait_stall(x, x->out_fd, POLLOUT, &ok, e))
			return sm_err_prefix(e, "%s", lost);
		if (!ok)
			return sm_err_set(e, SM_EXIT_IO, "%s (--stall-timeout)",
					  lost);
	}
	return 0;
}

/*
 * After "commit" an importer that exited 0 says, last on its standard
 * output, "running" or "paused" (--no-resume): what the closing line
 * tells.  It has exited, so what it wrote waits in the pipe; an importer
 * that says nothing (an older one) leaves target_state NULL.
 */
static void target_after_commit(struct exp *x)
{
	struct pollfd p = { .fd = x->ack_fd, .events = POLLIN };
	char buf[32];
	size_t have = 0;
	ssize_t n;

	while (have < sizeof(buf) - 1 && poll(&p, 1, 0) == 1) {
		n = read(x->ack_fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	if (!strcmp(buf, "running\n"))
		x->res->target_state = "running";
	else if (!strcmp(buf, "paused\n"))
		x->res->target_state = "paused";
}

static int two_way_end(struct exp *x, struct sm_err *e)
{
	char msg[200] = "";
	int ready = 0, status;
	char d[64];

	if (exp_wait_ready(x, &ready, msg, sizeof(msg), e))
		return -1;
	if (!ready)
		return sm_err_set(e, SM_EXIT_IO, "%s", msg);
	x->state = SM_EXP_READY;
	/*
	 * The target holds a complete copy: the source VMM learns it first,
	 * so if we vanish now it finishes the send itself (only the target's
	 * copy remains) instead of running the guest beside it.
	 */
	if (sm_ep_target_ready(x->ep, e))
		return sm_err_prefix(e, "VM '%s'", x->o->vm);
	if (finish(x, e)) {
		/* No commit: the target stays paused and says so. */
		return -1;
	}
	if (send_commit(x, e))
		return -1;
	sm_child_close_stdin(x->child);
	x->out_fd = -1;
	if (!exp_reap(x, 3600.0, &status))
		return sm_err_set(e, SM_EXIT_IO,
				  "the importer did not exit after \"commit\"");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		sm_child_describe(status, d, sizeof(d));
		return sm_err_set(
			e, SM_EXIT_IO,
			"the source was released and \"commit\" sent, but the importer %s; check the target",
			d);
	}
	target_after_commit(x);
	return 0;
}

static void fill_report(struct exp *x, int ok, const struct sm_err *e)
{
	struct sm_report *r = &x->res->report;

	r->schema = "sevmig-export-report/1";
	r->result = ok ? (x->o->dry_run ? "dry-run" : "ok") : "failed";
	r->error = ok ? NULL : e->msg;
	r->mode = x->o->exec ? "two-way" : "one-way";
	r->source_state = x->res->source_state;
	if (x->have_hello) {
		r->have_policy = 1;
		r->policy = x->policy;
		r->vcpus = x->hello.vcpus;
		r->es = !!(x->policy & SM_POLICY_ES);
		r->mem_size = x->total_pages * SM_PAGE_SIZE;
		r->layout = &x->res->layout;
		if (x->res->nchecks) {
			r->checks = x->res->checks;
			r->nchecks = x->res->nchecks;
		}
	}
	r->counts = x->counts;
	r->records = x->records;
	r->chunks = x->chunks;
	r->bytes = x->w ? sm_archive_w_bytes(x->w) : 0;
	r->device_state_size = x->dev_size;
	r->seconds = sm_now() - x->t0;
	r->t_firmware = x->t_fw;
	r->have_overlap = 1;
	r->t_fw_waited = x->t_fw_waited;
	r->t_out_waited = x->t_out_waited;
	r->t_io = x->t_io;
	/* Waiting for the output happens inside archive calls. */
	r->t_archive = x->t_arch > x->t_out_wait ? x->t_arch - x->t_out_wait :
						   0;
	r->t_vmm = x->t_vmm;
	r->method = x->method	? x->method->name :
		    x->use_mh	? "mh" :
		    x->use_svsm ? "svsm" :
				  "psp";
	r->have_target_fp = !x->use_mh && !x->use_svsm &&
			    x->state >= SM_EXP_VERIFIED;
	memcpy(r->target_pdh_fp, x->target_fp, SM_FP_LEN);
	r->have_source_fp = !x->use_mh && !x->use_svsm &&
			    x->state >= SM_EXP_SENDING;
	memcpy(r->source_pdh_fp, x->source_fp, SM_FP_LEN);
	r->have_digest = x->state >= SM_EXP_WRITTEN;
	r->digest = x->digest;
	r->warnings = x->res->nwarnings ? x->res->warnings : NULL;
	x->res->state = x->state;
}

static void cleanup(struct exp *x)
{
	size_t i;

	sm_archive_w_free(x->w);
	x->w = NULL;
	if (x->have_file)
		sm_out_abort(&x->file);
	free(x->final_path);
	if (x->own_out && x->out_fd >= 0)
		close(x->out_fd);
	exp_stop_child(x);
	sm_mbx_close(x->mbx);
	free(x->snp);
	sm_fw_close(x->fw);
	if (x->ctx_fd >= 0)
		close(x->ctx_fd);
	if (x->have_hello)
		for (i = 0; i < (size_t)x->hello.nfds; i++)
			close(x->hello.fds[i]);
	sm_ep_close(x->ep);
	sm_shared_free(&x->shared);
}

/*
 * A dry run's counts, from the shared list: the pages that would go
 * private (sealed) and shared.  Which shared pages are zero only their
 * content says, which a dry run does not read: they count as shared.
 */
static void plan_counts(struct exp *x)
{
	uint64_t shared = 0;
	size_t i;

	for (i = 0; i < x->shared.n; i++)
		shared += x->shared.r[i].size / SM_PAGE_SIZE;
	if (shared > x->total_pages)
		shared = x->total_pages;
	x->counts.private_pages = x->total_pages - shared;
	x->counts.shared_pages = shared;
	x->counts.vmsas = (x->policy & SM_POLICY_ES) ? x->hello.vcpus : 0;
	x->counts.ends = x->use_mh || x->use_svsm;
	x->counts.states = x->use_svsm ? x->hello.svsm_state_records : 0;
	x->records = x->total_pages + x->counts.vmsas + x->counts.ends +
		     x->counts.states;
	x->res->mh_helpers = x->hello.mh_helpers;
}

/*
 * A dry run that can reach the target (--exec): the importer describes
 * it without claiming it (engine/probe.h), and each thing the import
 * would refuse is a check.  The first that fails is the error.
 */
static int dry_run_target(struct exp *x, struct sm_err *e)
{
	const struct sm_fw_vm src = { .platform = x->hello.kind,
				      .platform_dir = x->hello.platform_dir };
	const struct sm_probe_want w = {
		.exec = x->o->exec,
		.layout = &x->res->layout,
		.vcpus = x->hello.vcpus,
		.es = !!(x->policy & SM_POLICY_ES),
		.policy = x->policy,
		.mh = x->use_mh,
		.svsm = x->use_svsm,
		.target_fp = x->target_fp,
		.bundle = &x->chain,
		.source = &src,
	};
	const struct sm_target_check *c;
	struct sm_probe p;
	char names[200] = "";
	size_t i, n, bad = 0;
	int failed;

	if (sm_probe_exec(x->o->exec,
			  x->o->timeout > 0 ? 2 * x->o->timeout : 60.0, &p, e))
		return -1;
	x->res->nchecks = sm_probe_check(&p, &w, x->res->checks, &failed);
	if (failed < 0)
		return 0;
	for (i = 0; i < x->res->nchecks; i++) {
		if (x->res->checks[i].ok)
			continue;
		n = strlen(names);
		snprintf(names + n, sizeof(names) - n, "%s%s", bad ? ", " : "",
			 x->res->checks[i].name);
		bad++;
	}
	c = &x->res->checks[failed];
	return sm_err_set(
		e, c->code,
		"the target would refuse this guest (%zu of %zu checks failed: %s): %s; %s",
		bad, x->res->nchecks, names, c->found, c->fix);
}

/*
 * --method: psp, mh, or auto: a look at the VMM's hello (no claim) says
 * whether the guest has a helper.  A VMM that cannot be asked now is
 * asked again by hello(), after the bundle, which says why.
 */
static int choose_method(struct exp *x, struct sm_err *e)
{
	struct sm_ep_hello h;
	struct sm_ep *ep;
	struct sm_err e2;

	x->use_mh = x->o->method == SM_EXPORT_MH;
	x->use_svsm = x->o->method == SM_EXPORT_SVSM;
	if (x->o->method == SM_EXPORT_AUTO &&
	    sm_ep_connect(x->o->vm, x->o->timeout, &ep, &e2) == 0) {
		memset(&h, 0, sizeof(h));
		if (sm_ep_hello(ep, &h, &e2) == 0) {
			x->use_mh = h.mh_helpers > 0 && !h.es;
			x->use_svsm = h.svsm_mailboxes > 0;
		}
		sm_ep_close(ep);
	}
	if (!x->use_svsm &&
	    (x->o->expect_measurement || x->o->expect_policy || x->o->min_tcb))
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"--expect-measurement, --expect-policy and --min-tcb are what an SNP target's report must show: they go with --method svsm%s",
			x->o->method == SM_EXPORT_AUTO ?
				" (--method auto did not find an SVSM in the guest)" :
				"");
	/* The target proves itself by holding the owner's key: no bundle. */
	if (x->use_mh && x->o->certs && strcmp(x->o->certs, "-") != 0)
		exp_warn(
			x,
			x->o->method == SM_EXPORT_MH ?
				"--method mh: the target's certificates '%s' are not read (the target's helper proves itself by holding the owner's key)" :
				"the guest has a migration helper, so --method auto chose mh: the target's certificates '%s' are not read (--method psp sends through the PSP)",
			x->o->certs);
	return 0;
}

int sm_export(const struct sm_export_opts *o, struct sm_export_result *res,
	      struct sm_err *e)
{
	struct exp x;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	x.o = o;
	x.res = res;
	x.ctx_fd = -1;
	x.out_fd = -1;
	x.ack_fd = -1;
	x.t0 = sm_now();
	res->source_state = "untouched";

	if (o->records_per_chunk > SM_CHUNK_MAX_RECORDS) {
		sm_err_set(e, SM_EXIT_USAGE,
			   "records per chunk must be 1 to %u",
			   SM_CHUNK_MAX_RECORDS);
		goto out;
	}
	if (choose_method(&x, e))
		goto out;
	if ((!x.use_mh && !x.use_svsm && verify_bundle(&x, e)) ||
	    exp_check_signal(&x, e) || hello(&x, e) ||
	    (x.use_svsm && verify_snp_target(&x, e)))
		goto out;
	if (o->dry_run) {
		rc = get_shared(&x, e) ? -1 : 0;
		if (rc == 0) {
			plan_counts(&x);
			res->planned = 1;
			if (o->exec)
				rc = dry_run_target(&x, e);
		}
		goto out;
	}
	/*
	 * Cheap failures (terminal, importer cannot start) before pausing;
	 * the shared list after it, so it describes the paused guest.
	 */
	if (exp_open_output(&x, e) || exp_check_signal(&x, e) ||
	    pause_guest(&x, e) || get_shared(&x, e) || take_context(&x, e) ||
	    send_start(&x, e) || write_stream(&x, e))
		goto fail;
	if (o->keep_source) {
		/* A snapshot: the guest goes back to RUNNING on the source. */
		e->msg[0] = '\0';
		give_back(&x, 1, e);
		if (e->msg[0])
			goto out;
		x.state = SM_EXP_DONE;
		rc = 0;
		goto out;
	}
	if (o->exec) {
		if (two_way_end(&x, e))
			goto fail;
	} else if (exp_settle(&x, e) || finish(&x, e)) {
		goto fail;
	}
	x.state = SM_EXP_DONE;
	rc = 0;
	goto out;

fail:
	/*
	 * Before SEND_FINISH the guest goes back to the source (resumed if we
	 * paused it).  After it, there is nothing to give back: the message
	 * says where the guest is.
	 */
	if (x.state < SM_EXP_FINISHED) {
		int resume = 1;

		/*
		 * A one-way stream the reader took whole, when SEND_FINISH
		 * failed, may be running on the target: hand the context back
		 * in doubt (the VMM resumes it only when forced), and say so.
		 */
		if (x.state == SM_EXP_WRITTEN && !o->exec && !x.final_path &&
		    !x.doubt && x.settled) {
			resume = 0;
			x.doubt =
				"the whole stream had been sent when SEND_FINISH failed: an importer may run the guest; resume here with force only if the import failed";
			sm_err_prefix(
				e,
				"the whole stream was sent; the source holds the guest in doubt, do not resume it unless the import failed");
		}
		if (x.state == SM_EXP_WRITTEN && x.final_path) {
			/* SEND_FINISH failed: the archive must not stay. */
			unlink(x.final_path);
		}
		if (x.state >= SM_EXP_PAUSED)
			give_back(&x, resume, e);
	}
	if (x.child && e->code == SM_EXIT_IO && x.state < SM_EXP_WRITTEN) {
		int status;
		char d[64];

		/*
		 * Say why the pipe closed, if the importer has exited; only
		 * now, so a stuck importer does not keep the guest paused.
		 */
		sm_child_close_stdin(x.child);
		if (exp_reap(&x, 2.0, &status)) {
			size_t n = strlen(e->msg);

			sm_child_describe(status, d, sizeof(d));
			snprintf(e->msg + n, sizeof(e->msg) - n,
				 " (the importer %s)", d);
		}
	}
out:
	fill_report(&x, rc == 0, e);
	cleanup(&x);
	return rc;
}
