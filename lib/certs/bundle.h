/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_BUNDLE_H
#define SEVMIG_BUNDLE_H

/*
 * The certificate bundle: one JSON document ("schema": "sevmig-certs/1")
 * holding pdh, pek, oca, cek, ask, ark (base64), product, chip id, API
 * version and source, plus every other input format sevmig accepts where a
 * bundle is expected.  Outside dependency: jansson.
 */

#include <stddef.h>
#include <stdint.h>

#include "certs/cert.h"
#include "base/err.h"

#define SM_BUNDLE_SCHEMA "sevmig-certs/1"
#define SM_CHIP_ID_MAX 64 /* bytes of GET_ID2 output */

struct sm_bundle_info {
	enum sm_product product; /* UNKNOWN when not known */
	uint8_t chip_id[SM_CHIP_ID_MAX];
	size_t chip_id_len; /* 0 when unknown */
	int have_api;
	uint8_t api_major, api_minor; /* platform firmware API */
	char source[512]; /* where it came from, free text */
};

/*
 * Encode a chain as a bundle: JSON_SORT_KEYS | JSON_INDENT(2) plus a final
 * newline.  *out is malloc'd; the caller frees it.
 */
int sm_bundle_encode(const struct sm_chain *ch,
		     const struct sm_bundle_info *info, char **out,
		     struct sm_err *e);

/*
 * Decode a bundle strictly: schema must be "sevmig-certs/1" (another major
 * is SM_EXIT_UNSUPPORTED), every certificate parses for its slot.  A syntax
 * error reports line:column.
 */
int sm_bundle_decode(const char *text, size_t len, struct sm_chain *ch,
		     struct sm_bundle_info *info, struct sm_err *e);

/*
 * Load certificates from any accepted input and merge them into ch:
 *   - a bundle (JSON with "schema");
 *   - QEMU's query-sev-capabilities reply, bare or inside {"return": ...}
 *     (pdh, cert-chain, cpu0-id);
 *   - a directory holding any of pdh.cert pek.cert oca.cert cek.cert
 *     ask.cert ark.cert;
 *   - one SEV certificate (placed by its usage), a PDH_CERT_EXPORT chain
 *     blob (PEK||OCA||CEK, 6252 bytes), an AMD ASK||ARK file, one AMD
 *     certificate (ARK or ASK by usage);
 * path "-" is stdin.  info is filled from what the input says.
 */
int sm_certs_load(const char *path, struct sm_chain *ch,
		  struct sm_bundle_info *info, struct sm_err *e);
int sm_certs_load_buf(const uint8_t *buf, size_t len, const char *name,
		      struct sm_chain *ch, struct sm_bundle_info *info,
		      struct sm_err *e);

/*
 * --ark FILE: load the trusted root from anything sm_certs_load accepts
 * (an ARK, AMD's ASK||ARK file, a directory, a bundle) into tc, and point
 * t->ark (and t->ask when there is one) into it.
 */
int sm_trust_load(const char *path, struct sm_chain *tc, struct sm_trust *t,
		  struct sm_err *e);

/*
 * The -J reports of sevmig-certs, built here so that only JSON modules use
 * jansson.  Each *out is a malloc'd document (sorted keys, indented, final
 * newline) the caller frees.
 *
 * verify: {"schema": "sevmig-certs-verify/1", "ok", "product", "trust",
 * "source", "certificates": {pdh..ark: {usage, key, fingerprint, origin}
 * or null}, "links": [{name, signer, subject, status, reason}]}.
 */
#define SM_VERIFY_SCHEMA "sevmig-certs-verify/1"
int sm_bundle_verify_report(const struct sm_chain *ch,
			    const struct sm_bundle_info *info,
			    const struct sm_verify_result *r, const char *trust,
			    char **out, struct sm_err *e);

/* One file for the show report; err set (and ch NULL) when it failed. */
struct sm_show_item {
	const char *file;
	const struct sm_chain *ch;
	const struct sm_bundle_info *info;
	const struct sm_err *err;
};

/*
 * show: {"schema": "sevmig-certs-show/1", "files": [{file, error,
 * product, chip_id, api_version, source, certificates: [...]}]}; every
 * certificate with kind, usage, version, api_version, algorithm, key,
 * key_id/certifying_id (AMD), signatures, fingerprint.
 */
#define SM_SHOW_SCHEMA "sevmig-certs-show/1"
int sm_bundle_show_report(const struct sm_show_item *items, size_t n,
			  char **out, struct sm_err *e);

#endif
