/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_MANIFEST_H
#define SEVMIG_MANIFEST_H

/*
 * The JSON documents of a sevmig archive (docs/sevmig-archive.5):
 *
 *   sevmig/manifest.json        struct sm_manifest
 *   sevmig/shared-regions.json  struct sm_shared
 *   sevmig/trailer.json         struct sm_trailer
 *
 * and the JSON reports of sevmig-export and sevmig-import (struct
 * sm_report).  Written with sorted keys and two-space indentation, so the
 * same input gives the same bytes; parsed strictly: unknown keys in closed
 * objects, wrong types, misaligned or overlapping ranges are
 * SM_EXIT_VERIFY, another format major version is SM_EXIT_UNSUPPORTED.
 * Guest physical addresses are "0x..." strings, sizes and counts integers.
 * Outside dependency: jansson.
 */

#include <stddef.h>
#include <stdint.h>

#include "archive/digest.h"
#include "base/err.h"

#define SM_FORMAT_MAJOR 1
#define SM_FORMAT "sevmig/1"

#define SM_MAX_RANGES 64 /* memory ranges in a layout */
#define SM_MAX_SHARED 65536 /* shared regions */
#define SM_MAX_VCPUS 1024
#define SM_MAX_MEM (1ull << 46) /* 64 TiB of guest memory */
#define SM_FP_LEN 32 /* SHA-256 fingerprints */
#define SM_MANIFEST_MAX (1u << 20) /* largest JSON entry read */

/* One guest memory range: [gpa, gpa + size), both page aligned. */
struct sm_range {
	uint64_t gpa;
	uint64_t size;
};

/* A guest memory layout: sorted, non-overlapping, non-empty ranges. */
struct sm_layout {
	size_t nranges;
	struct sm_range ranges[SM_MAX_RANGES];
};

enum sm_method { SM_METHOD_PSP, SM_METHOD_MH, SM_METHOD_SVSM };

/* "psp", "mh", "svsm"; 0, or -1 for an unknown name. */
const char *sm_method_name(enum sm_method m);
int sm_method_parse(const char *name, enum sm_method *m);

struct sm_manifest {
	char tool_version[32];
	char platform[8]; /* source platform kind: "sim" or "kvm" */
	uint32_t policy;
	unsigned vcpus;
	int es;
	struct sm_layout layout;
	uint64_t pages; /* pages in the layout */
	uint32_t records_per_chunk;
	uint64_t records; /* page records plus VMSA records */
	uint8_t target_pdh_fp[SM_FP_LEN]; /* fingerprint of the target PDH */
	uint8_t source_pdh_fp[SM_FP_LEN]; /* of sevmig/source-pdh.cert */
	int migration_ready; /* the shared list came from the guest */
	/*
	 * Two-way (sevmig-export --exec): the exporter commits only after
	 * the importer's "ready", so an importer must answer it and never
	 * resume before "commit".  Written as the feature "two-way", which
	 * an importer that does not know it refuses.
	 */
	int two_way;
	/* A snapshot (--keep-source): the source may still run the guest. */
	int snapshot;
	/*
	 * The trailer digest's algorithm, "digest" (absent: sha256, what
	 * archives before it used; so a SHA-256 archive has no such key).
	 */
	enum sm_digest_alg digest;
	/*
	 * How private pages cross, "method": "psp" (absent: what archives
	 * before it used) or "mh" (the guest's migration helper; also the
	 * feature "mh", so an importer that does not know it refuses).
	 * An mh stream has no source PDH, no session and no fingerprints.
	 */
	enum sm_method method;
	/*
	 * svsm (an SEV-SNP guest's SVSM; also the feature "svsm"): "snp":
	 * the guest's 64-bit SNP policy and the number of records of the
	 * SVSM's own state (after the VMSAs, before END).
	 */
	uint64_t snp_policy;
	uint32_t svsm_state_chunks;
};

/* The manifest feature of a two-way stream. */
#define SM_FEATURE_TWO_WAY "two-way"
#define SM_FEATURE_MH "mh"
#define SM_FEATURE_SVSM "svsm"

struct sm_shared {
	size_t n;
	struct sm_range *r; /* malloc'd; sm_shared_free */
};

/* Record counts by kind (records.h). */
struct sm_counts {
	uint64_t private_pages, shared_pages, zero_pages, vmsas;
	uint64_t ends; /* a migration helper's END record ("end", if any) */
	uint64_t states; /* the SVSM's state records ("svsm_state", if any) */
};

struct sm_trailer {
	struct sm_counts counts;
	uint64_t records; /* sum of counts */
	uint64_t chunks;
	uint64_t device_state_size;
	struct sm_digest_value digest; /* of every entry before */
};

/* ---- layouts ---- */

/*
 * Check a layout: 1..SM_MAX_RANGES ranges, page aligned, non-empty,
 * sorted, non-overlapping, no wrap, total at most SM_MAX_MEM.
 */
int sm_layout_check(const struct sm_layout *l, struct sm_err *e);
/* Pages in a (checked) layout. */
uint64_t sm_layout_pages(const struct sm_layout *l);
/*
 * Page number (0-based, in layout order) of gpa, or -1 if gpa is outside
 * every range or not page aligned.
 */
int64_t sm_layout_page_index(const struct sm_layout *l, uint64_t gpa);
/* 1 if every range of inner lies within some range of outer. */
int sm_layout_fits(const struct sm_layout *inner,
		   const struct sm_layout *outer);

/* ---- manifest.json ---- */

/*
 * Encode m (after checking it) as JSON with a final newline.  *out is
 * malloc'd and NUL-terminated; the caller frees it.
 */
int sm_manifest_encode(const struct sm_manifest *m, char **out, size_t *len,
		       struct sm_err *e);
/*
 * Decode and validate the whole manifest before filling m: format major
 * (another one: SM_EXIT_UNSUPPORTED), required features, page, header,
 * session and record sizes, layout, vCPUs, ES against the policy, record
 * count.  Errors say which key is wrong.
 */
int sm_manifest_decode(const void *buf, size_t len, struct sm_manifest *m,
		       struct sm_err *e);

/* ---- shared-regions.json ---- */

int sm_shared_encode(const struct sm_shared *s, char **out, size_t *len,
		     struct sm_err *e);
/*
 * Decode; every region must be page aligned, non-empty, sorted,
 * non-overlapping and inside layout.  s->r is malloc'd.
 */
int sm_shared_decode(const void *buf, size_t len,
		     const struct sm_layout *layout, struct sm_shared *s,
		     struct sm_err *e);
/* 1 if the page at gpa lies in a shared region (binary search). */
int sm_shared_contains(const struct sm_shared *s, uint64_t gpa);
void sm_shared_free(struct sm_shared *s);

/* ---- trailer.json ---- */

int sm_trailer_encode(const struct sm_trailer *t, char **out, size_t *len,
		      struct sm_err *e);
/* Decode; records must equal the sum of the counts. */
int sm_trailer_decode(const void *buf, size_t len, struct sm_trailer *t,
		      struct sm_err *e);

/* ---- reports (--report, --dry-run -J, --check -J) ---- */

/*
 * One check of a dry run against the target (sevmig-export --dry-run
 * --exec): its name, ok or not, what was found, and the fix when not ok.
 */
#define SM_TARGET_MAX_CHECKS 10

struct sm_target_check {
	const char *name; /* "incoming", "layout", "vcpus", ... */
	int ok;
	int code; /* the exit code when it fails (SM_EXIT_*) */
	char found[320];
	char fix[200];
};

struct sm_report {
	const char *schema; /* "sevmig-export-report/1", ... */
	const char *result; /* "ok", "failed", "dry-run", "valid" */
	const char *error; /* message when failed, or NULL */
	const char *mode; /* "one-way", "two-way", ... or NULL */
	const char *method; /* "psp", "mh", or NULL */
	const char *source_state; /* what became of the source, or NULL */
	const char *target_state; /* what became of the target, or NULL */
	int have_policy;
	uint32_t policy;
	unsigned vcpus;
	int es;
	uint64_t mem_size;
	struct sm_counts counts;
	uint64_t records;
	uint64_t chunks;
	uint64_t bytes; /* archive bytes written or read */
	uint64_t device_state_size;
	double seconds;
	double t_firmware, t_archive, t_io, t_vmm; /* per-stage seconds */
	/*
	 * The export's overlap of firmware work and output (two threads):
	 * seconds the firmware thread waited for the writer (the output was
	 * slower) and the writer for the firmware thread.
	 */
	int have_overlap;
	double t_fw_waited, t_out_waited;
	int have_target_fp, have_source_fp, have_digest;
	uint8_t target_pdh_fp[SM_FP_LEN];
	uint8_t source_pdh_fp[SM_FP_LEN];
	struct sm_digest_value digest;
	const struct sm_layout *layout; /* optional */
	const char *const *warnings; /* NULL-terminated, optional */
	const struct sm_target_check *checks; /* dry run: the target's */
	size_t nchecks;
};

/* Where a transfer stands, for progress lines. */
struct sm_progress {
	uint64_t pages_done, pages_total;
	uint64_t bytes; /* archive bytes so far */
	double seconds; /* since the start */
	int final; /* the last call */
};

/* What an engine's progress call is: a throttled update or the last one. */
enum sm_progress_kind { SM_PROGRESS_UPDATE, SM_PROGRESS_FINAL };

/* Encode a report (sorted keys, indented, final newline). */
int sm_report_encode(const struct sm_report *r, char **out, size_t *len,
		     struct sm_err *e);

#endif
