/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_SNP_REPORT_H
#define SEVMIG_SNP_REPORT_H

/*
 * SEV-SNP attestation reports: parsing every field at its offset
 * (shared/reference/migration-methods.md B.4), the report as text and JSON
 * (sevmig-certs report show), and verification against a VCEK or VLEK and
 * AMD's pinned SNP roots (B.5, B.6; snp-verify.c).  Outside dependency:
 * OpenSSL (verification) and jansson (the JSON form).  No OpenSSL or
 * jansson type appears in this header.
 */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "certs/cert.h"

#define SM_SNP_REPORT_LEN 0x4a0u /* 1184 */
#define SM_SNP_SIGNED_LEN 0x2a0u /* the signature covers 0x000-0x29f */
#define SM_SNP_RESP_HDR 0x20u /* snp_report_resp: status, size, reserved */
#define SM_SNP_RESP_LEN 4000u /* the kernel's struct snp_report_resp */

/* Offsets of the byte-array fields (B.4). */
enum {
	SM_SNP_OFF_FAMILY_ID = 0x010,
	SM_SNP_OFF_IMAGE_ID = 0x020,
	SM_SNP_OFF_REPORT_DATA = 0x050,
	SM_SNP_OFF_MEASUREMENT = 0x090,
	SM_SNP_OFF_HOST_DATA = 0x0c0,
	SM_SNP_OFF_ID_KEY_DIGEST = 0x0e0,
	SM_SNP_OFF_AUTHOR_KEY_DIGEST = 0x110,
	SM_SNP_OFF_REPORT_ID = 0x140,
	SM_SNP_OFF_REPORT_ID_MA = 0x160,
	SM_SNP_OFF_CHIP_ID = 0x1a0,
	SM_SNP_OFF_SIG_R = 0x2a0,
	SM_SNP_OFF_SIG_S = 0x2e8,
};
#define SM_SNP_REPORT_DATA_LEN 64
#define SM_SNP_MEASUREMENT_LEN 48
#define SM_SNP_CHIP_ID_LEN 64
#define SM_SNP_SIG_COMPONENT_LEN 72

/* bits 4:2 of the key info word */
enum sm_snp_signing_key {
	SM_SNP_KEY_VCEK = 0,
	SM_SNP_KEY_VLEK = 1,
	SM_SNP_KEY_NONE = 7,
};

/* A parsed report: the raw bytes plus its numeric fields. */
struct sm_snp_report {
	uint8_t raw[SM_SNP_REPORT_LEN];
	const char *form; /* "raw", "hex" or "snp_report_resp" */
	uint32_t version, guest_svn, vmpl, sig_algo, key_info;
	uint64_t policy, current_tcb, platform_info, reported_tcb;
	uint64_t committed_tcb, launch_tcb, launch_mit, current_mit;
	uint8_t cpuid_fam, cpuid_mod, cpuid_step; /* v3+, else 0 */
	uint8_t current_ver[3], committed_ver[3]; /* build, minor, major */
};

/*
 * Parse len bytes of one report: exactly 0x4A0 bytes, a kernel
 * snp_report_resp (4000 bytes, or its 0x20-byte header and the report) with
 * status 0 and size 0x4A0, or either as hexadecimal text (whitespace
 * allowed).  name is for messages.  A wrong size is SM_EXIT_VERIFY, a
 * version other than 2, 3 or 5 SM_EXIT_UNSUPPORTED.
 */
int sm_snp_report_parse(const uint8_t *buf, size_t len, const char *name,
			struct sm_snp_report *r, struct sm_err *e);
/* Read path ("-" is stdin) and parse it; a read error is SM_EXIT_IO. */
int sm_snp_report_load(const char *path, struct sm_snp_report *r,
		       struct sm_err *e);

/* The signing key named by the key info word (SM_SNP_KEY_*). */
unsigned sm_snp_report_signing_key(const struct sm_snp_report *r);
/* "VCEK", "VLEK", "none" or "reserved". */
const char *sm_snp_signing_key_name(unsigned key);

/*
 * The product the report names: its CPUID family and model (v3+), or, for
 * a v2 report, Turin when only the first 8 bytes of chip_id are non-zero;
 * SM_PRODUCT_UNKNOWN otherwise.  *why gets where it came from (static).
 */
enum sm_product sm_snp_report_product(const struct sm_snp_report *r,
				      const char **why);

/* A TCB_VERSION split by the product's layout (Turin differs). */
struct sm_snp_tcb {
	uint8_t fmc, bl, tee, snp, ucode;
	int has_fmc; /* Turin */
};
void sm_snp_tcb_decode(uint64_t raw, enum sm_product p, struct sm_snp_tcb *t);
/* "bl=3 tee=0 snp=8 ucode=115" (and "fmc=N " first on Turin); n >= 64. */
const char *sm_snp_tcb_str(const struct sm_snp_tcb *t, char *buf, size_t n);
/*
 * --min-tcb SPEC: "bl=N,tee=N,snp=N,ucode=N[,fmc=N]", any subset of the
 * names, each 0-255.  *mask gets a bit per name given (1 fmc, 2 bl, 4 tee,
 * 8 snp, 16 ucode).  0, or -1 for a bad spec.
 */
int sm_snp_tcb_parse(const char *spec, struct sm_snp_tcb *t, unsigned *mask);

/*
 * The report as text (one "name: value" line per field, policy bits and
 * TCBs decoded) or as a JSON document (schema sevmig-certs-report-show/1).
 * product picks the TCB layout (UNKNOWN: detect, else Milan's).  Return a
 * malloc'd string, or NULL with e set.
 */
char *sm_snp_report_text(const struct sm_snp_report *r, const char *name,
			 enum sm_product product, struct sm_err *e);
char *sm_snp_report_json(const struct sm_snp_report *r, const char *name,
			 enum sm_product product, struct sm_err *e);

/* ---- verification (snp-verify.c) ---- */

/* What report verify was asked for. */
struct sm_snp_verify_opts {
	const char *vcek; /* --vcek FILE (PEM or DER), or NULL */
	const char *certs_dir; /* --certs DIR, or NULL */
	const char *crl; /* --crl FILE (PEM or DER), or NULL */
	/* or in memory (fetch vcek:): the VCEK (DER), cert_chain, CRL */
	const uint8_t *vcek_buf, *chain_buf, *crl_buf;
	size_t vcek_len, chain_len, crl_len;
	/* whose buffers they are, in messages ("the bundle's"); NULL: the KDS's */
	const char *buf_owner;
	/*
	 * --ark FILE (PEM or DER), or ark_buf in memory: trust this ARK
	 * (a simulated host's snp-ark.pem) instead of AMD's pinned roots.
	 * The chain's ARK must have its key ("ARK is trusted"); without a
	 * chain there is no ASK and the check fails.  NULL: AMD's roots.
	 */
	const char *ark;
	const uint8_t *ark_buf;
	size_t ark_len;
	enum sm_product product; /* --product, or UNKNOWN */
	int have_measurement, have_report_data, have_policy;
	uint8_t measurement[SM_SNP_MEASUREMENT_LEN];
	uint8_t report_data[SM_SNP_REPORT_DATA_LEN];
	uint64_t policy;
	unsigned min_tcb_mask; /* 0: no --min-tcb */
	struct sm_snp_tcb min_tcb;
};

#define SM_SNP_MAX_CHECKS 16

struct sm_snp_check {
	const char *name; /* "report signature", "ASK signs VCEK", ... */
	int ok;
	char detail[256]; /* why it failed, or what was checked */
};

struct sm_snp_verify_result {
	enum sm_product product;
	const char *product_from; /* "--product", "the report's CPUID", ... */
	const char *key_name; /* "VCEK" or "VLEK" */
	const char *signer_name; /* "ASK" or "ASVK" */
	struct sm_snp_check checks[SM_SNP_MAX_CHECKS];
	size_t nchecks;
	int ok; /* every check passed */
};

/*
 * Verify r: the chain VCEK <- ASK (VLEK <- ASVK) <- ARK up to the pinned
 * root of the product, the report's signature, reported_tcb and chip_id
 * against the VCEK's extensions, the product, and the expectations in o.
 * Fills res with one check per line.  0 when every check holds; -1 with
 * SM_EXIT_VERIFY naming the first failed check, SM_EXIT_UNSUPPORTED for a
 * signature algorithm other than 1, SM_EXIT_IO when a file cannot be read,
 * SM_EXIT_VERIFY for a file that is not a certificate (res->nchecks 0).
 */
int sm_snp_verify(const struct sm_snp_report *r,
		  const struct sm_snp_verify_opts *o,
		  struct sm_snp_verify_result *res, struct sm_err *e);
/*
 * Only the report's signature (ECDSA P-384/SHA-384 over 0x000-0x29f) by
 * the key of a certificate given as DER (a VCEK), no chain: what the
 * SVSM core checks itself.  0, or -1 with SM_EXIT_VERIFY saying why.
 */
int sm_snp_verify_signature(const struct sm_snp_report *r, const uint8_t *der,
			    size_t len, struct sm_err *e);

/*
 * What fetch vcek: checks before it keeps a KDS answer: a cert_chain (PEM,
 * ASK then ARK) whose ARK is p's pinned root and signs itself and the ASK;
 * a CRL (DER or PEM) signed by that chain's ARK.  0, or -1 with
 * SM_EXIT_VERIFY.
 */
int sm_snp_check_chain(const uint8_t *chain, size_t chain_len,
		       enum sm_product p, struct sm_err *e);
int sm_snp_check_crl(const uint8_t *crl, size_t crl_len, const uint8_t *chain,
		     size_t chain_len, struct sm_err *e);
/* A DER certificate as PEM text, malloc'd into *pem.  0 or -1. */
int sm_snp_der_to_pem(const uint8_t *der, size_t len, char **pem,
		      struct sm_err *e);

/*
 * Add one check to res (the verifiers' lines; a failed one clears
 * res->ok, also when res is full).
 */
void sm_snp_check_add(struct sm_snp_verify_result *res, const char *name,
		      int ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The result as JSON (schema sevmig-certs-report-verify/1), malloc'd. */
char *sm_snp_verify_json(const struct sm_snp_verify_result *res,
			 const char *name, struct sm_err *e);

/* ---- signing and simulated certificates (snp-sign.c) ---- */

/*
 * Sign a report as the PSP does: signature_algo (0x034) = 1, then ECDSA
 * P-384 with SHA-384 over bytes 0x000-0x29f by key (an EC P-384 private
 * key), r and s little-endian, zero-padded into the 72-byte fields at
 * 0x2a0 and 0x2e8; 0x330-0x49f zeroed.  The other fields are the
 * caller's.  0, or -1 with e set.
 */
int sm_snp_report_sign(uint8_t raw[SM_SNP_REPORT_LEN], const struct sm_key *key,
		       struct sm_err *e);

/*
 * Certificates of a simulated SNP chain as AMD makes them (B.5): X.509
 * v3, RSASSA-PSS SHA-384 MGF1-SHA-384 salt 48, subjects CN=ARK-<Product>,
 * CN=SEV-<Product>, CN=SEV-VCEK with OU=sevmig simulator (it says it is
 * simulated), O=Advanced Micro Devices, L=Santa Clara, ST=CA, C=US.  Each
 * gives a malloc'd DER in *der.  p is milan or genoa.
 */
int sm_snp_sim_ark(const struct sm_key *ark, enum sm_product p, uint8_t **der,
		   size_t *len, struct sm_err *e);
int sm_snp_sim_ask(const struct sm_key *ask, const struct sm_key *ark,
		   const uint8_t *ark_der, size_t ark_len, enum sm_product p,
		   uint8_t **der, size_t *len, struct sm_err *e);
/* The VCEK: P-384 key vcek, serial 0, AMD's extensions for p, hwid (64
 * bytes) and the SPLs of tcb (Milan's layout), signed by the ASK. */
int sm_snp_sim_vcek(const struct sm_key *vcek, const struct sm_key *ask,
		    const uint8_t *ask_der, size_t ask_len, enum sm_product p,
		    const uint8_t hwid[SM_SNP_CHIP_ID_LEN],
		    const struct sm_snp_tcb *tcb, uint8_t **der, size_t *len,
		    struct sm_err *e);
/* "Milan-B0" or "Genoa" (the VCEK's productName); NULL for others. */
const char *sm_snp_sim_product_name(enum sm_product p);

/*
 * One X.509 certificate, PEM or DER in buf, as a malloc'd DER; name is
 * for messages.  SM_EXIT_VERIFY when it is not one.
 */
int sm_snp_cert_der(const uint8_t *buf, size_t len, const char *name,
		    uint8_t **der, size_t *der_len, struct sm_err *e);
/* 1 when the certificate (DER) holds the public half of k, else 0. */
int sm_snp_cert_has_key(const uint8_t *der, size_t len, const struct sm_key *k);
/* 1 when signer's certificate (DER) signs subject's (RSASSA-PSS). */
int sm_snp_cert_signs(const uint8_t *signer, size_t signer_len,
		      const uint8_t *subject, size_t subject_len);

/* ---- the built-in SNP roots (snp-roots-data.c, scripts/gen-snp-roots.sh) */

struct sm_snp_root_blob {
	enum sm_product product;
	const uint8_t *ark, *ask; /* DER */
	size_t ark_len, ask_len;
	const char *ark_key_pin; /* SHA-256 of the ARK's SubjectPublicKeyInfo */
	const char *ask_pin; /* SHA-256 of the ASK's DER */
};

extern const struct sm_snp_root_blob sm_snp_roots_blobs[];
extern const size_t sm_snp_roots_nblobs;

#endif
