/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_VCEK_H
#define SEVMIG_VCEK_H

/*
 * sevmig-certs fetch vcek:FILE: the VCEK that signed an SEV-SNP report,
 * with its product's cert_chain and CRL, from AMD's KDS through the KDS
 * client (lib/fetch/kds.h: retries, cache, offline):
 *   /vcek/v1/{Milan|Genoa|Turin}/{hex chip_id}?blSPL=B&teeSPL=T&snpSPL=S&ucodeSPL=U
 *   (Turin: the first 8 bytes of chip_id and fmcSPL=F first)
 *   /vcek/v1/{product}/cert_chain   (PEM, ASK then ARK)
 *   /vcek/v1/{product}/crl          (DER, signed by the ARK)
 * cached as kds/snp-vcek-{product}-{hex}-{tcb}.der,
 * kds/snp-cert_chain-{product}.pem and kds/snp-crl-{product}.der.  Every
 * answer is checked before it is cached: the chain up to the pinned ARK,
 * the CRL's signature, and the VCEK by a full sm_snp_verify of the report.
 * No outside dependency of its own.
 */

#include "base/err.h"
#include "certs/snp-report.h"
#include "fetch/fetch.h"

/* The KDS path (with its query) of the VCEK of r for product p, in buf. */
int sm_vcek_kds_path(const struct sm_snp_report *r, enum sm_product p,
		     char *buf, size_t n);

/*
 * Fetch and verify.  product from o->product, else the report, else
 * SM_EXIT_USAGE.  crl_path (--crl) replaces the KDS's CRL.  A missing KDS
 * CRL is not an error (*have_crl 0; the caller warns); a CRL that is there
 * and does not verify is.  On success *pem is VCEK, ASK and ARK as PEM
 * (malloc'd) and res the verification.  Errors as sm_kds_fetch_path and
 * sm_snp_verify (SM_EXIT_VERIFY: the answer or the report does not verify).
 */
int sm_vcek_fetch(const struct sm_fetch_opts *o, const struct sm_snp_report *r,
		  const char *crl_path, char **pem, int *have_crl,
		  struct sm_snp_verify_result *res, struct sm_err *e);

#endif
