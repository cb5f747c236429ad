/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_EXPORT_INTERNAL_H
#define SEVMIG_EXPORT_INTERNAL_H

/*
 * The export engine's state, shared by export.c (the steps, the end) and
 * export-io.c (the output sink, the --exec importer, waiting and the
 * one-way settle).  Public API: export.h.
 */

#include <stddef.h>
#include <stdint.h>

#include "archive/archive.h"
#include "archive/records.h"
#include "base/transport.h"
#include "base/util.h"
#include "certs/bundle.h"
#include "certs/cert.h"
#include "certs/snp-target.h"
#include "endpoint/endpoint.h"
#include "engine/export.h"
#include "engine/chunkq.h"
#include "engine/method.h"
#include "fw/fw.h"

#define PIPE_SIZE (1 << 20)
#define ACK_MAX 64

struct exp {
	const struct sm_export_opts *o;
	struct sm_export_result *res;
	enum sm_export_state state;

	struct sm_chain chain;
	/* how private state crosses: today the PSP's (method.h) */
	const struct sm_method_send *method;
	void *mctx;
	int use_mh; /* the guest's migration helpers, not the PSP */
	int use_svsm; /* an SNP guest's SVSM, not the PSP */
	struct sm_mbx *mbx; /* their mailboxes */
	/* svsm: the target's bundle, verified; the SVSM's start record */
	struct sm_snp_target *snp;
	struct sm_svsm_target snp_target;
	uint8_t svsm_start[SM_SVSM_START_ENTRY_LEN];
	struct sm_chain trust; /* --ark */
	struct sm_bundle_info info;
	uint8_t target_fp[SM_FP_LEN];

	struct sm_ep *ep;
	struct sm_ep_hello hello;
	int have_hello;
	struct sm_shared shared;
	struct sm_layout layout;
	int we_paused;
	int ctx_fd;
	struct sm_fw *fw;
	uint32_t policy;
	uint8_t session[SM_REC_SESSION_LEN];
	uint8_t src_pdh[SM_SEV_CERT_LEN];
	uint8_t source_fp[SM_FP_LEN];

	/* output */
	int out_fd;
	int own_out; /* we opened out_fd and close it */
	struct sm_out file; /* -o FILE, written complete or not at all */
	int have_file;
	char *final_path; /* the regular file committed, NULL otherwise */
	struct sm_child *child; /* --exec importer, or NULL */
	int ack_fd; /* its stdout (owned by child) */
	struct sm_archive_w *w;
	/*
	 * While the pages are written: the writer thread that owns w, and
	 * the archive bytes it wrote so far (atomic, for progress).
	 */
	struct sm_chunkq *q;
	uint64_t out_bytes;
	/* Set when the guest may run elsewhere: give it back on hold. */
	const char *doubt;
	int settled; /* one-way: the reader has taken the whole stream */

	/* what moved */
	struct sm_counts counts;
	uint64_t records, chunks, dev_size;
	uint64_t pages_done, total_pages;
	struct sm_digest_value digest;

	/* time */
	double t0, t_fw, t_arch, t_io, t_vmm;
	double t_out_wait; /* the part of t_io inside archive calls */
	/* the overlap: this thread waiting for the writer, and the reverse */
	double t_fw_waited, t_out_waited;
};

int exp_check_signal(struct exp *x, struct sm_err *e);
int exp_open_output(struct exp *x, struct sm_err *e);
int exp_out_wait(void *arg, int fd, struct sm_err *e);
int exp_reap(struct exp *x, double timeout, int *status);
int exp_settle(struct exp *x, struct sm_err *e);
int exp_wait_fd(struct exp *x, int fd, short events, int timeout_ms, int *ready,
		struct sm_err *e);
int exp_wait_ready(struct exp *x, int *ready, char *msg, size_t msglen,
		   struct sm_err *e);
int exp_wait_stall(struct exp *x, int fd, short events, int *ready,
		   struct sm_err *e);
void exp_stop_child(struct exp *x);
void exp_warn(struct exp *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
