/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_FW_SIM_H
#define SEVMIG_FW_SIM_H

/*
 * The simulated PSP.  A simulated host is a directory made by
 * sm_fw_sim_platform_init (sevmig-sim platform init): ARK, ASK, CEK, OCA,
 * PEK and PDH as NAME.cert (SEV or AMD format) and NAME.key (PEM, 0600),
 * plus platform.json (product, API version, ES).
 *
 * A guest context (handle, policy, state, per-guest VEK, channel keys,
 * VMSAs) lives in a small memfd: the simulated equivalent of a KVM VM fd.
 * The VMM that launched the guest hands that fd to sevmig with
 * take-context and gets it back with return-context; the fd is shared, so
 * both see the same state.  Private guest pages are stored AES-XTS
 * encrypted under the VEK with the page's guest physical address as tweak,
 * so whoever maps guest RAM sees ciphertext.
 *
 * The simulated PSP runs inside the calling process: unlike real hardware,
 * that process could read the VEK.  It exists to test everything around
 * the firmware, and its bytes (session blob, packet header, MAC) are the
 * real firmware's.
 */

#include <stddef.h>
#include <stdint.h>

#include "certs/cert.h"
#include "base/err.h"
#include "fw/fw.h"
#include "fw/sevcrypto.h"

struct sm_sim_platform_opts {
	enum sm_product product; /* UNKNOWN: milan */
	uint8_t api_major, api_minor; /* 0.0: 1.55 */
	const char *oca_from; /* another platform dir whose OCA to share */
	int no_es; /* platform without SEV-ES */
	/*
	 * Another platform dir whose ARK and ASK (with their keys) to share:
	 * one simulated "AMD" for several hosts, so that a SEV-bit policy
	 * (full chain up to the ARK the firmware trusts) can migrate.
	 */
	const char *ark_from;
	/* RSA size of a new ARK/ASK: 0 picks 2048 for naples, else 4096. */
	unsigned ark_bits;
};

#define SM_SIM_MAX_VCPUS 64
#define SM_SIM_CHIP_ID_LEN 64

/*
 * Create a simulated host in dir (created if missing; must be empty):
 * ark/ask (AMD format, RSA), cek (signed by the ASK), oca (self-signed,
 * or copied with its key from oca_from), pek (signed by OCA and CEK), pdh
 * (signed by PEK), each NAME.cert plus NAME.key, and platform.json; for
 * milan and genoa also the SEV-SNP identity of fw/sim-snp.h (snp-ark.pem,
 * snp-ask.pem on the same ARK and ASK keys, snp-vcek.der/.pem/.key,
 * snp.json).  The simulated firmware trusts the ARK in dir.  On failure nothing it made
 * is left behind.  Errors: SM_EXIT_USAGE (bad options), SM_EXIT_IO (files),
 * SM_EXIT_VERIFY (a key or certificate to share does not load).
 */
int sm_fw_sim_platform_init(const char *dir,
			    const struct sm_sim_platform_opts *o,
			    struct sm_err *e);

/*
 * Open the simulated PSP of a platform directory.  Platform commands work
 * at once; guest commands need a context: sm_fw_sim_attach (one handed
 * over by a VMM), sm_fw_sim_launch (a new running guest, for the VMM) or
 * RECEIVE_START (a new context, for import).
 */
int sm_fw_sim_open(const char *platform_dir, struct sm_fw **fw,
		   struct sm_err *e);

/*
 * Attach an existing context memfd (dup'd; the caller keeps its fd).  It
 * must be sealed against shrinking and growing, as every context fw-sim
 * makes is: a holder that could shrink it would crash the others.
 */
int sm_fw_sim_attach(struct sm_fw *fw, int ctx_fd, struct sm_err *e);

/*
 * Before RECEIVE_START: size the new context for nvcpus VMSAs (ES).  The
 * default is 1 vCPU without ES.
 */
int sm_fw_sim_prepare_receive(struct sm_fw *fw, unsigned nvcpus,
			      struct sm_err *e);

/* The attached context's fd (owned by fw), or -1 if none. */
int sm_fw_sim_context_fd(struct sm_fw *fw);

/* The vCPUs (VMSA slots) the attached context holds, or 0 if none. */
unsigned sm_fw_sim_context_vcpus(struct sm_fw *fw);

/*
 * The LAUNCH_* sequence in one step, for the VMM: a new context with a
 * fresh VEK, in RUNNING.  policy is checked as firmware would (ES needs
 * the platform's ES).
 */
int sm_fw_sim_launch(struct sm_fw *fw, uint32_t policy, unsigned nvcpus,
		     struct sm_err *e);

/*
 * The LAUNCH_* commands one at a time, as AMD specifies them (also the
 * launch ops of the sm_fw_ops table, which wrap these), for a VMM
 * launching for a guest owner (sevmig-owner): LAUNCH_START makes a new
 * context in LUPDATE with a fresh VEK and the owner's TEK/TIK (from the
 * session blob the owner made for this platform's PDH with its GODH) or,
 * without godh and session, keys of the firmware's own.
 */
struct sm_fw_sim_launch {
	uint32_t policy;
	unsigned nvcpus;
	const uint8_t *godh; /* SM_SEV_CERT_LEN, or NULL */
	const uint8_t *session; /* SM_SESSION_LEN, or NULL (with godh) */
};
int sm_fw_sim_launch_start(struct sm_fw *fw, const struct sm_fw_sim_launch *a,
			   struct sm_err *e);
/* Measure len bytes (a multiple of 16) of initial guest memory (LUPDATE);
 * the VMM encrypts the pages themselves with sm_fw_sim_guest_write. */
int sm_fw_sim_launch_update_data(struct sm_fw *fw, const void *data, size_t len,
				 struct sm_err *e);
/* SEV-ES: measure and install vCPU vcpu's initial VMSA (LUPDATE). */
int sm_fw_sim_launch_update_vmsa(struct sm_fw *fw, unsigned vcpu,
				 const uint8_t vmsa[SM_PAGE_SIZE],
				 struct sm_err *e);
/*
 * LUPDATE -> LSECRET: MEASURE (HMAC-SHA256 under the TIK of 0x04, the API
 * version and build, the policy, the launch digest and MNONCE) then
 * MNONCE, SM_FW_LAUNCH_MEASURE_LEN (fw/fw.h) bytes, as sevctl's measurement
 * blob.
 */
int sm_fw_sim_launch_measure(struct sm_fw *fw,
			     uint8_t out[SM_FW_LAUNCH_MEASURE_LEN],
			     struct sm_err *e);
/*
 * LSECRET: check the packet's MAC (context 0x01, over the MEASURE too) and
 * decrypt len bytes (a multiple of 16, at most 16 KiB) into plain for the
 * VMM to place in the guest.  A wrong MAC is BAD_MEASUREMENT and changes
 * nothing.
 */
int sm_fw_sim_launch_secret(struct sm_fw *fw, const uint8_t hdr[SM_PKT_HDR_LEN],
			    const uint8_t *trans, size_t len, uint8_t *plain,
			    struct sm_err *e);
/* LSECRET -> RUNNING; the channel keys are gone. */
int sm_fw_sim_launch_finish(struct sm_fw *fw, struct sm_err *e);
/* Tests only (sevctl's vectors): the MNONCE LAUNCH_MEASURE will use. */
void sm_fw_sim_test_mnonce(struct sm_fw *fw, const uint8_t nonce[16]);

/*
 * The guest's own view of a private page (what a running guest with its
 * key reads and writes): encrypt/decrypt one 4 KiB page at gpa under the
 * attached context's VEK.  in and out may be the same buffer.  Allowed in
 * every state but UNINIT (a real guest would not run while SUPDATE, but
 * sevmig-sim ctl check needs a view).
 */
int sm_fw_sim_guest_write(struct sm_fw *fw, uint64_t gpa, const uint8_t *plain,
			  uint8_t *cipher, struct sm_err *e);
int sm_fw_sim_guest_read(struct sm_fw *fw, uint64_t gpa, const uint8_t *cipher,
			 uint8_t *plain, struct sm_err *e);

/* The guest's view of a vCPU's VMSA (SEV-ES), 4 KiB each. */
int sm_fw_sim_vmsa_write(struct sm_fw *fw, unsigned vcpu, const uint8_t *plain,
			 struct sm_err *e);
int sm_fw_sim_vmsa_read(struct sm_fw *fw, unsigned vcpu, uint8_t *plain,
			struct sm_err *e);

/*
 * What a VMM does when a client vanished while holding the context: a
 * guest left in SUPDATE gets SEND_CANCEL (back to RUNNING); a context in
 * RUPDATE is decommissioned.  Returns the resulting state.
 */
int sm_fw_sim_recover(struct sm_fw *fw, struct sm_err *e);

/*
 * DECOMMISSION (0x20): the guest is gone for good.  Allowed in every
 * state but UNINIT (INVALID_GUEST): the VEK and channel keys are wiped in
 * the shared context, so every process still attached to it finds no
 * guest there any more.  What a VMM does when it releases a sent guest.
 */
int sm_fw_sim_decommission(struct sm_fw *fw, struct sm_err *e);

/* Close the attached context (the fd given to attach stays open). */
void sm_fw_sim_detach(struct sm_fw *fw);

/* What platform.json of an open platform says. */
struct sm_sim_platform_info {
	enum sm_product product;
	uint8_t api_major, api_minor, build;
	int es;
	uint8_t chip_id[SM_SIM_CHIP_ID_LEN];
};

int sm_fw_sim_platform_info(struct sm_fw *fw, struct sm_sim_platform_info *i,
			    struct sm_err *e);

#endif
