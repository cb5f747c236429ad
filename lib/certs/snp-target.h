/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_SNP_TARGET_H
#define SEVMIG_SNP_TARGET_H

/*
 * An SEV-SNP migration target's bundle (issue 17; docs/sevmig-snp.7,
 * TARGET BUNDLE): what an incoming SNP guest's SVSM offers a source, its
 * ephemeral P-384 public key, a nonce, and the attestation report whose
 * REPORT_DATA binds them, with the host's VCEK and chain.  Built from the
 * endpoint's snp-target reply (sevmig-certs fetch snp-target:SOCK), saved
 * as JSON (schema sevmig-snp-target/1), parsed back strictly, and
 * verified: the report as sm_snp_verify checks it (chain to AMD's pinned
 * roots or a named ARK, signature, TCB, chip id) plus the binding
 * REPORT_DATA == SHA-512(x || y || nonce) and the caller's expectations.
 * Outside dependency: OpenSSL and jansson, neither in this header.
 */

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "certs/snp-report.h"

#define SM_SNP_TARGET_SCHEMA "sevmig-snp-target/1"
#define SM_SNP_TARGET_PUB_LEN 97u /* 0x04 || x || y, P-384 */
#define SM_SNP_TARGET_NONCE_LEN 32u
#define SM_SNP_TARGET_VCEK_MAX 4096u /* DER */
#define SM_SNP_TARGET_CHAIN_MAX 16384u /* PEM, with its NUL */
#define SM_SNP_REPORT_ID_LEN 32u
#define SM_SNP_TARGET_MAX (256u * 1024) /* a bundle file, bytes */

/*
 * The parts.  The informational fields of the JSON (product, chip_id,
 * measurement, policy, reported_tcb, report_id) are the report's and are
 * not kept here: encode derives them, decode checks them against it.
 */
struct sm_snp_target {
	uint8_t report[SM_SNP_REPORT_LEN];
	uint8_t pub[SM_SNP_TARGET_PUB_LEN];
	uint8_t nonce[SM_SNP_TARGET_NONCE_LEN];
	uint8_t vcek[SM_SNP_TARGET_VCEK_MAX]; /* the host's VCEK, DER */
	size_t vcek_len;
	char chain[SM_SNP_TARGET_CHAIN_MAX]; /* PEM: ASK then ARK */
	/* informational, "" when unknown; printable ASCII */
	char source[512]; /* "snp-target:SOCK", "ssh://h/snp-target:SOCK (...)" */
	char host[PATH_MAX + 8]; /* the VM's platform: "sim:DIR" or "kvm" */
};

/* REPORT_DATA that binds pub to nonce: SHA-512(x || y || nonce). */
void sm_snp_target_binding(const uint8_t pub[SM_SNP_TARGET_PUB_LEN],
			   const uint8_t nonce[SM_SNP_TARGET_NONCE_LEN],
			   uint8_t out[SM_SNP_REPORT_DATA_LEN]);

/*
 * 0 when pub is an uncompressed P-384 point on the curve (0x04 || x ||
 * y); else -1 with SM_EXIT_VERIFY naming field ("public_key").
 */
int sm_snp_target_check_pub(const uint8_t pub[SM_SNP_TARGET_PUB_LEN],
			    const char *field, struct sm_err *e);

/*
 * The bundle as a JSON document (sorted keys, a final newline), malloc'd.
 * The report must parse and the VCEK be a DER certificate (else
 * SM_EXIT_VERIFY); it does not verify anything else.
 */
char *sm_snp_target_encode(const struct sm_snp_target *t, struct sm_err *e);

/*
 * Parse a bundle strictly: a JSON object with schema sevmig-snp-target/1
 * (another sevmig-snp-target/N is SM_EXIT_UNSUPPORTED), no other keys
 * than the documented ones, report, public_key and nonce as hex of exactly
 * their lengths, the public key a P-384 point, vcek one PEM certificate,
 * cert_chain exactly two (ASK then ARK), the informational fields equal to
 * the report's.  Every malformation is SM_EXIT_VERIFY naming the field;
 * name is for messages.  Nothing is verified beyond the form.
 */
int sm_snp_target_decode(const char *text, size_t len, const char *name,
			 struct sm_snp_target *t, struct sm_err *e);
/* Read path ("-": stdin; SM_EXIT_IO when it cannot) and decode it. */
int sm_snp_target_load(const char *path, struct sm_snp_target *t,
		       struct sm_err *e);

/* What the verifier trusts and expects beyond the report's own checks. */
struct sm_snp_target_opts {
	/*
	 * The trust anchor: an ARK (PEM or DER) in a file or in memory, such
	 * as a simulated host's snp-ark.pem.  Neither: AMD's pinned roots.
	 */
	const char *ark;
	const uint8_t *ark_buf;
	size_t ark_len;
	enum sm_product product; /* UNKNOWN: from the report or the VCEK */
	int have_measurement, have_policy, have_report_id;
	uint8_t measurement[SM_SNP_MEASUREMENT_LEN];
	uint64_t policy; /* the whole 64-bit guest policy, exactly */
	uint8_t report_id[SM_SNP_REPORT_ID_LEN];
	unsigned min_tcb_mask; /* 0: none; as sm_snp_tcb_parse */
	struct sm_snp_tcb min_tcb;
};

/*
 * The expectations a migration source has by default: the target's
 * measurement and policy equal to its own guest's (own, a report of the
 * source guest) and its reported TCB at least the source's, component by
 * component (no move to an older TCB).  Sets only those fields of o.
 */
void sm_snp_target_expect_own(const struct sm_snp_report *own,
			      struct sm_snp_target_opts *o);

/*
 * Verify t: sm_snp_verify of its report with its VCEK and cert_chain
 * against o's ARK (or AMD's pinned roots) and o's measurement, policy and
 * minimum TCB; then "public key" (a P-384 point), "key binding"
 * (REPORT_DATA == SHA-512(x || y || nonce)) and, when asked, "report id".
 * res gets one check per line (as sm_snp_verify_result always does).
 * 0 when every check holds; -1 with SM_EXIT_VERIFY naming the first failed
 * check ("key binding: the report does not bind the key ..."), and, when
 * AMD's roots rejected a chain that says it is simulated (OU=sevmig
 * simulator), the --ark to give; other codes as sm_snp_verify (then
 * res->nchecks may be 0).
 */
int sm_snp_target_verify(const struct sm_snp_target *t,
			 const struct sm_snp_target_opts *o,
			 struct sm_snp_verify_result *res, struct sm_err *e);

#endif
