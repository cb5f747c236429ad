/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_SIM_SNP_H
#define SEVMIG_SIM_SNP_H

/*
 * A simulated host's SEV-SNP identity (issue 17): what the simulated PSP
 * signs attestation reports with, and the certificates a verifier needs.
 * sm_fw_sim_platform_init (fw-sim.h, sevmig-sim platform init) makes it,
 * for milan and genoa platforms, in the platform directory:
 *
 *   snp-ark.pem   the simulated SNP ARK: X.509, RSA (--ark-bits, default
 *                 4096), self-signed, RSASSA-PSS SHA-384 MGF1-SHA-384 salt
 *                 48, subject CN=ARK-Milan, OU=sevmig simulator,
 *                 O=Advanced Micro Devices, L=Santa Clara, ST=CA, C=US.
 *                 Its key is the platform's ark.key (as AMD's SEV and SNP
 *                 ARK share one key).  The trust anchor to name with
 *                 `sevmig-certs report verify --ark`.
 *   snp-ask.pem   the ASK (CN=SEV-Milan), signed by the ARK; key ask.key.
 *   snp-vcek.der  the VCEK: X.509, EC P-384, CN=SEV-VCEK, serial 0, AMD's
 *                 extensions (1.3.6.1.4.1.3704.1: .1 structVersion 0, .2
 *                 productName "Milan-B0", .3.1-.3.8 the SPLs of the TCB,
 *                 .4 hwID = chip_id), signed by the ASK.  DER, as the KDS
 *                 serves it.
 *   snp-vcek.pem  the VCEK, the ASK and the ARK in one PEM, as
 *                 `sevmig-certs fetch vcek:` writes it (report verify
 *                 --vcek takes it whole).
 *   snp-vcek.key  the VCEK's private key (PEM, mode 0600).
 *   snp.json      schema sevmig-sim-snp/1: product name, the TCB
 *                 ("tcb": {"bl","tee","snp","ucode"}, default bl 3 tee 0
 *                 snp 8 ucode 115) and platform_info.  The chip id is
 *                 platform.json's "chip_id" (one chip per host).
 *
 * --ark-from DIR shares DIR's ARK and ASK (SEV and SNP both); the VCEK
 * and the chip id are always the host's own.  A platform made before
 * this identity existed, or of another product, has none:
 * sm_sim_snp_load fails with SM_EXIT_UNSUPPORTED and says so.
 *
 * The simulated reports go through the verifier that checks AMD's real
 * ones (certs/snp-report.h, sm_snp_verify) with the simulated ARK named
 * as trust (sm_snp_verify_opts.ark / .ark_buf); AMD's pinned roots
 * reject them.
 */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "certs/cert.h"
#include "certs/snp-report.h"

struct sm_sim_snp; /* opaque; loaded once, read-only after, thread-safe */

/*
 * Load dir's SNP identity and check it holds together: the VCEK key
 * matches the VCEK, the ASK signs the VCEK, the VCEK's hwID is the chip id
 * and its SPLs the TCB.  *s is NULL on failure.  Errors: SM_EXIT_IO (a
 * file), SM_EXIT_UNSUPPORTED (no SNP identity in dir), SM_EXIT_VERIFY (it
 * does not hold together).
 */
int sm_sim_snp_load(const char *dir, struct sm_sim_snp **s, struct sm_err *e);
void sm_sim_snp_free(struct sm_sim_snp *s);

/*
 * Act as the PSP's SNP_GUEST_REQUEST(MSG_REPORT_REQ): fill the platform's
 * fields of raw, then sign it with the VCEK.
 *
 * The caller (the simulated guest) has filled, at their offsets
 * (migration-methods.md B.4; SM_SNP_OFF_* in certs/snp-report.h):
 *   0x000 version (2, 3 or 5; anything else is SM_EXIT_USAGE)
 *   0x004 guest_svn, 0x008 policy, 0x010 family_id, 0x020 image_id,
 *   0x030 vmpl, 0x048 bits 1:0 of key_info (AUTHOR_KEY_EN, MASK_CHIP_KEY),
 *   0x050 report_data, 0x090 measurement, 0x0c0 host_data,
 *   0x0e0 id_key_digest, 0x110 author_key_digest, 0x140 report_id,
 *   0x160 report_id_ma (all 0xff without a migration agent),
 *   0x1f8 launch_mit_vector, 0x200 current_mit_vector (version 5).
 * This function writes:
 *   0x034 signature_algo 1; 0x038 current_tcb; 0x040 platform_info;
 *   0x048 bits 4:2 of key_info = 0 (VCEK), bits 31:5 zero;
 *   0x180 reported_tcb; 0x188-0x18a CPUID family, model, stepping (the
 *   product's, version >= 3; zero for version 2); 0x1a0 chip_id; 0x1e0 committed_tcb; 0x1e8 and 0x1ec the
 *   current and committed firmware build, minor, major (platform.json's
 *   build and API version); 0x1f0 launch_tcb (all TCBs are the platform's
 *   one TCB); the reserved fields 0x04c, 0x18b-0x19f and 0x208-0x29f
 *   zero; then the signature (sm_snp_report_sign).
 * 0, or -1 with e set.
 */
int sm_sim_snp_sign(const struct sm_sim_snp *s, uint8_t raw[SM_SNP_REPORT_LEN],
		    struct sm_err *e);

/* The VCEK as DER (what the KDS serves for this chip and TCB). */
const uint8_t *sm_sim_snp_vcek_der(const struct sm_sim_snp *s, size_t *len);
/* The ASK then the ARK as PEM text (the KDS's cert_chain), NUL-ended. */
const char *sm_sim_snp_chain_pem(const struct sm_sim_snp *s, size_t *len);
/* The ARK alone as PEM text, NUL-ended: the trust anchor to name. */
const char *sm_sim_snp_ark_pem(const struct sm_sim_snp *s, size_t *len);
/* The chip id (SM_SNP_CHIP_ID_LEN bytes) and the TCB (a TCB_VERSION). */
const uint8_t *sm_sim_snp_chip_id(const struct sm_sim_snp *s);
uint64_t sm_sim_snp_tcb(const struct sm_sim_snp *s);
enum sm_product sm_sim_snp_product(const struct sm_sim_snp *s);

/*
 * Point o's in-memory inputs at s (vcek_buf, chain_buf, ark_buf; o keeps
 * pointers into s, which must outlive it): sm_snp_verify then checks a
 * report of this host against its simulated ARK.
 */
void sm_sim_snp_verify_opts(const struct sm_sim_snp *s,
			    struct sm_snp_verify_opts *o);

#endif
