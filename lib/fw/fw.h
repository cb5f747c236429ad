/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_FW_H
#define SEVMIG_FW_H

/*
 * The firmware seam: one ops table for the SEV commands sevmig needs,
 * implemented by fw-kvm (KVM_MEMORY_ENCRYPT_OP on a VM this process owns,
 * /dev/sev) and fw-sim (a simulated PSP with the same states, checks and
 * bytes).  Nothing above this layer knows which one it talks to.
 *
 * Every operation returns 0 or -1.  On -1, e says what failed
 * ("SEND_START failed: Input/output error (firmware: POLICY_FAILURE)",
 * code SM_EXIT_VM) and fw->fw_error / fw->sys_errno hold the firmware
 * status and errno (0 when not applicable), so callers can react to a
 * specific status such as INVALID_LENGTH on a length query.
 */

#include <stddef.h>
#include <stdint.h>

#include "certs/cert.h"
#include "base/bytes.h"
#include "base/err.h"
#include "base/platform.h"

/* Firmware status codes (SEV API, SEV_RET_*). */
enum sm_fw_status {
	SM_FW_SUCCESS = 0x00,
	SM_FW_INVALID_PLATFORM_STATE = 0x01,
	SM_FW_INVALID_GUEST_STATE = 0x02,
	SM_FW_INVALID_CONFIG = 0x03,
	SM_FW_INVALID_LENGTH = 0x04,
	SM_FW_ALREADY_OWNED = 0x05,
	SM_FW_INVALID_CERTIFICATE = 0x06,
	SM_FW_POLICY_FAILURE = 0x07,
	SM_FW_INACTIVE = 0x08,
	SM_FW_INVALID_ADDRESS = 0x09,
	SM_FW_BAD_SIGNATURE = 0x0A,
	SM_FW_BAD_MEASUREMENT = 0x0B,
	SM_FW_ASID_OWNED = 0x0C,
	SM_FW_INVALID_ASID = 0x0D,
	SM_FW_WBINVD_REQUIRED = 0x0E,
	SM_FW_DFFLUSH_REQUIRED = 0x0F,
	SM_FW_INVALID_GUEST = 0x10,
	SM_FW_INVALID_COMMAND = 0x11,
	SM_FW_ACTIVE = 0x12,
	SM_FW_HWERROR_PLATFORM = 0x13,
	SM_FW_HWERROR_UNSAFE = 0x14,
	SM_FW_UNSUPPORTED = 0x15,
	SM_FW_INVALID_PARAM = 0x16,
	SM_FW_RESOURCE_LIMIT = 0x17,
	SM_FW_SECURE_DATA_INVALID = 0x18,
	SM_FW_STATUS_MAX,
};

/* "INVALID_GUEST_STATE", ...; "UNKNOWN" outside the table. */
const char *sm_fw_status_name(uint32_t status);

/* Guest states as GUEST_STATUS reports them. */
enum sm_guest_state {
	SM_GUEST_UNINIT = 0,
	SM_GUEST_LUPDATE = 1,
	SM_GUEST_LSECRET = 2,
	SM_GUEST_RUNNING = 3,
	SM_GUEST_SUPDATE = 4,
	SM_GUEST_RUPDATE = 5,
	SM_GUEST_SENT = 6,
};

const char *sm_guest_state_name(unsigned state); /* "RUNNING", ... */

/* Guest policy bits (32-bit, little-endian). */
#define SM_POLICY_NODBG (1u << 0)
#define SM_POLICY_NOKS (1u << 1)
#define SM_POLICY_ES (1u << 2)
#define SM_POLICY_NOSEND (1u << 3)
#define SM_POLICY_DOMAIN (1u << 4)
#define SM_POLICY_SEV (1u << 5)
#define SM_POLICY_API_MAJOR(p) (((p) >> 16) & 0xffu)
#define SM_POLICY_API_MINOR(p) (((p) >> 24) & 0xffu)

#define SM_FW_SCRATCH_MAX 0x5000u /* largest GUEST_LEN the PSP takes */
#define SM_VMSA_SIZE 4096u

struct sm_fw_guest_status {
	uint32_t handle;
	uint32_t policy;
	uint32_t asid;
	uint8_t state; /* enum sm_guest_state */
};

struct sm_fw_platform_status {
	uint8_t api_major, api_minor, build;
	uint8_t state;
	int es; /* SEV-ES enabled */
	uint32_t guest_count;
};

/* SEND_START.  session_len 0 (or too small) is the length query. */
struct sm_fw_send_start {
	const uint8_t *pdh; /* target PDH, SM_SEV_CERT_LEN */
	size_t pdh_len;
	const uint8_t *plat_certs; /* target PEK||OCA||CEK */
	size_t plat_certs_len;
	const uint8_t *amd_certs; /* target ASK||ARK */
	size_t amd_certs_len;
	uint8_t *session; /* out, SM_SESSION_LEN */
	uint32_t session_len; /* in/out */
	uint32_t policy; /* out: the guest's policy */
};

/* RECEIVE_START: makes a new guest context (handle 0) in RUPDATE. */
struct sm_fw_receive_start {
	uint32_t handle; /* in: 0; out: the new handle */
	uint32_t policy;
	const uint8_t *pdh; /* the sender's PDH */
	size_t pdh_len;
	const uint8_t *session;
	size_t session_len;
};

/*
 * One SEND/RECEIVE_UPDATE_DATA or _VMSA call.  guest points at this
 * process's mapping of the guest page (as KVM pins the caller's mapping);
 * gpa is its guest physical address, which fw-sim uses as the memory
 * encryption tweak (real firmware uses the host physical address and
 * fw-kvm ignores gpa).  hdr_len below 0x34 is the length query.
 */
struct sm_fw_xfer {
	uint8_t *hdr;
	uint32_t hdr_len; /* in/out */
	void *guest;
	uint32_t guest_len;
	uint64_t gpa;
	uint8_t *trans;
	uint32_t trans_len; /* in/out */
	unsigned vcpu; /* _VMSA variants only */
};

/*
 * LAUNCH_START: a new guest context in LUPDATE under policy.  godh and
 * session come together or not at all: the guest owner's GODH certificate
 * (SM_SEV_CERT_LEN) and the session blob (SM_SESSION_LEN) it made for this
 * platform's PDH, or none for keys of the firmware's own.  nvcpus is for
 * fw-sim, which sizes the context's VMSA slots; KVM takes the VM's vCPUs.
 */
struct sm_fw_launch_start {
	uint32_t handle; /* out: the new guest's handle */
	uint32_t policy;
	unsigned nvcpus;
	const uint8_t *godh;
	size_t godh_len;
	const uint8_t *session;
	size_t session_len;
};

/*
 * LAUNCH_SECRET: the owner's packet header (SM_PKT_HDR_LEN) and encrypted
 * secret (trans, a multiple of 16, at most 16 KiB), opened by the firmware
 * into guest, guest_len (= trans_len) bytes.  On KVM, guest is this
 * process's mapping of the guest memory that receives the secret,
 * encrypted under the guest's key.  fw-sim writes the plaintext there for
 * the simulated VMM to place in guest memory itself.
 */
struct sm_fw_launch_secret {
	const uint8_t *hdr;
	uint32_t hdr_len;
	void *guest;
	uint32_t guest_len;
	const uint8_t *trans;
	uint32_t trans_len;
};

/* LAUNCH_MEASURE's output: MEASURE (32) then MNONCE (16). */
#define SM_FW_LAUNCH_MEASURE_LEN 48

struct sm_fw;

struct sm_fw_ops {
	const char *name; /* "kvm", "sim" */
	int (*platform_status)(struct sm_fw *fw,
			       struct sm_fw_platform_status *st,
			       struct sm_err *e);
	int (*pdh_cert_export)(struct sm_fw *fw, uint8_t pdh[SM_SEV_CERT_LEN],
			       uint8_t chain[SM_SEV_CHAIN_LEN],
			       struct sm_err *e);
	int (*guest_status)(struct sm_fw *fw, struct sm_fw_guest_status *st,
			    struct sm_err *e);
	int (*send_start)(struct sm_fw *fw, struct sm_fw_send_start *a,
			  struct sm_err *e);
	int (*send_update_data)(struct sm_fw *fw, struct sm_fw_xfer *x,
				struct sm_err *e);
	int (*send_update_vmsa)(struct sm_fw *fw, struct sm_fw_xfer *x,
				struct sm_err *e);
	int (*send_finish)(struct sm_fw *fw, struct sm_err *e);
	int (*send_cancel)(struct sm_fw *fw, struct sm_err *e);
	int (*receive_start)(struct sm_fw *fw, struct sm_fw_receive_start *a,
			     struct sm_err *e);
	int (*receive_update_data)(struct sm_fw *fw, struct sm_fw_xfer *x,
				   struct sm_err *e);
	int (*receive_update_vmsa)(struct sm_fw *fw, struct sm_fw_xfer *x,
				   struct sm_err *e);
	int (*receive_finish)(struct sm_fw *fw, struct sm_err *e);
	/*
	 * The launch, for a VMM starting a guest for its owner (SEV API
	 * chapter 6): LAUNCH_START, then LAUNCH_UPDATE_DATA and (SEV-ES)
	 * LAUNCH_UPDATE_VMSA in LUPDATE, LAUNCH_MEASURE (LUPDATE ->
	 * LSECRET), LAUNCH_SECRET in LSECRET, LAUNCH_FINISH (-> RUNNING).
	 * A command in another state fails with INVALID_GUEST_STATE.
	 * launch_update_data: len (a multiple of 16) bytes at addr; KVM
	 * encrypts them in place, fw-sim measures them (the simulated VMM
	 * encrypts guest pages itself).  launch_update_vmsa: the initial
	 * VMSAs of vCPUs 0..n-1; fw-sim measures and installs vmsas[i],
	 * KVM builds every vCPU's VMSA from its registers and ignores both.
	 * launch_measure: *len below SM_FW_LAUNCH_MEASURE_LEN (or out NULL)
	 * is the length query: fails with INVALID_LENGTH, *len set.
	 */
	int (*launch_start)(struct sm_fw *fw, struct sm_fw_launch_start *a,
			    struct sm_err *e);
	int (*launch_update_data)(struct sm_fw *fw, void *addr, size_t len,
				  struct sm_err *e);
	int (*launch_update_vmsa)(struct sm_fw *fw, const uint8_t *const *vmsas,
				  unsigned n, struct sm_err *e);
	int (*launch_measure)(struct sm_fw *fw, uint8_t *out, uint32_t *len,
			      struct sm_err *e);
	int (*launch_secret)(struct sm_fw *fw,
			     const struct sm_fw_launch_secret *a,
			     struct sm_err *e);
	int (*launch_finish)(struct sm_fw *fw, struct sm_err *e);
	/*
	 * Backend-specific steps the engines ask for without knowing the
	 * backend; NULL where a backend has nothing to do.
	 * prepare_receive: before RECEIVE_START, the vCPUs the context
	 * will hold (sim).  register_region: pin this mapping of guest
	 * memory to the context (KVM: ciphertext is bound to host pages).
	 * context_fd: what the VMM takes back or adopts (the simulated
	 * context's memfd, KVM's VM fd), or -1 when there is none.
	 */
	int (*prepare_receive)(struct sm_fw *fw, unsigned nvcpus,
			       struct sm_err *e);
	int (*register_region)(struct sm_fw *fw, void *addr, size_t len,
			       struct sm_err *e);
	int (*context_fd)(struct sm_fw *fw);
	void (*close)(struct sm_fw *fw);
};

struct sm_fw {
	const struct sm_fw_ops *ops;
	uint32_t fw_error; /* status of the last failed command, or 0 */
	int sys_errno; /* errno of the last failed command, or 0 */
	void *priv; /* backend state */
};

/*
 * Record a failed command on fw and in e: "<cmd> failed[: strerror]
 * (firmware: NAME)".  Returns -1.  For backends.
 */
int sm_fw_fail(struct sm_fw *fw, struct sm_err *e, const char *cmd,
	       int sys_errno, uint32_t fw_error);

/* Wrappers: clear fw_error/sys_errno, then call the op. */
int sm_fw_platform_status(struct sm_fw *fw, struct sm_fw_platform_status *st,
			  struct sm_err *e);
int sm_fw_pdh_cert_export(struct sm_fw *fw, uint8_t pdh[SM_SEV_CERT_LEN],
			  uint8_t chain[SM_SEV_CHAIN_LEN], struct sm_err *e);
int sm_fw_guest_status(struct sm_fw *fw, struct sm_fw_guest_status *st,
		       struct sm_err *e);
int sm_fw_send_start(struct sm_fw *fw, struct sm_fw_send_start *a,
		     struct sm_err *e);
int sm_fw_send_update_data(struct sm_fw *fw, struct sm_fw_xfer *x,
			   struct sm_err *e);
int sm_fw_send_update_vmsa(struct sm_fw *fw, struct sm_fw_xfer *x,
			   struct sm_err *e);
int sm_fw_send_finish(struct sm_fw *fw, struct sm_err *e);
int sm_fw_send_cancel(struct sm_fw *fw, struct sm_err *e);
int sm_fw_receive_start(struct sm_fw *fw, struct sm_fw_receive_start *a,
			struct sm_err *e);
int sm_fw_receive_update_data(struct sm_fw *fw, struct sm_fw_xfer *x,
			      struct sm_err *e);
int sm_fw_receive_update_vmsa(struct sm_fw *fw, struct sm_fw_xfer *x,
			      struct sm_err *e);
int sm_fw_receive_finish(struct sm_fw *fw, struct sm_err *e);
int sm_fw_launch_start(struct sm_fw *fw, struct sm_fw_launch_start *a,
		       struct sm_err *e);
int sm_fw_launch_update_data(struct sm_fw *fw, void *addr, size_t len,
			     struct sm_err *e);
int sm_fw_launch_update_vmsa(struct sm_fw *fw, const uint8_t *const *vmsas,
			     unsigned n, struct sm_err *e);
int sm_fw_launch_measure(struct sm_fw *fw, uint8_t *out, uint32_t *len,
			 struct sm_err *e);
int sm_fw_launch_secret(struct sm_fw *fw, const struct sm_fw_launch_secret *a,
			struct sm_err *e);
int sm_fw_launch_finish(struct sm_fw *fw, struct sm_err *e);
void sm_fw_close(struct sm_fw *fw); /* NULL is fine */

int sm_fw_prepare_receive(struct sm_fw *fw, unsigned nvcpus, struct sm_err *e);
int sm_fw_register_region(struct sm_fw *fw, void *addr, size_t len,
			  struct sm_err *e);
/* The context's handle for the VMM, or -1 (also for fw NULL). */
int sm_fw_context_fd(struct sm_fw *fw);

/*
 * Opening the firmware for a VM, the backend chosen here from the
 * platform its VMM's hello named (fw-open.c); the engines never see which.
 */
struct sm_fw_vm {
	enum sm_platform platform;
	const char *platform_dir; /* SM_PLATFORM_SIM: the simulated host */
	unsigned nvcpus;
	int es;
};

/*
 * For sending: attach to the guest context ctx_fd the VMM handed over
 * (sim: the context memfd; KVM: the VMM's VM, whose context moves into a
 * VM of ours, since KVM takes SEV commands only from the VM's creator).
 */
int sm_fw_open_send(const struct sm_fw_vm *vm, int ctx_fd, struct sm_fw **fw,
		    struct sm_err *e);
/* For receiving: a firmware that RECEIVE_START will make a context on. */
int sm_fw_open_receive(const struct sm_fw_vm *vm, struct sm_fw **fw,
		       struct sm_err *e);
/*
 * The platform alone, for looking only (PDH_CERT_EXPORT, PLATFORM_STATUS):
 * no guest context is made (KVM: /dev/sev only; vm->nvcpus and es unused).
 */
int sm_fw_open_platform(const struct sm_fw_vm *vm, struct sm_fw **fw,
			struct sm_err *e);
/*
 * The ARK the platform's firmware checks a target's chain against for a
 * guest policy with the SEV bit: 0 and *ark (sim: the host's root), 1 when
 * it cannot be read here (KVM: AMD's root for the product, the one a
 * bundle is verified against), -1 with e.
 */
int sm_fw_trusted_ark(const struct sm_fw_vm *vm, struct sm_amd_cert *ark,
		      struct sm_err *e);

#endif
