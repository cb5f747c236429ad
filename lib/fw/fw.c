// SPDX-License-Identifier: MIT
/*
 * The firmware seam: status and state names, the common failure report
 * and the wrappers every caller goes through.  The backends (fw-kvm.c,
 * fw-sim.c) fill struct sm_fw_ops; sm_fw_close hands the whole object
 * back to the backend's close, which frees its state and fw itself.
 */
#include "fw/fw.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"

/* SEV_RET_* names (SEV API 55766 table "status codes"; sevapi.h). */
static const char *const status_names[] = {
	[SM_FW_SUCCESS] = "SUCCESS",
	[SM_FW_INVALID_PLATFORM_STATE] = "INVALID_PLATFORM_STATE",
	[SM_FW_INVALID_GUEST_STATE] = "INVALID_GUEST_STATE",
	[SM_FW_INVALID_CONFIG] = "INVALID_CONFIG",
	[SM_FW_INVALID_LENGTH] = "INVALID_LENGTH",
	[SM_FW_ALREADY_OWNED] = "ALREADY_OWNED",
	[SM_FW_INVALID_CERTIFICATE] = "INVALID_CERTIFICATE",
	[SM_FW_POLICY_FAILURE] = "POLICY_FAILURE",
	[SM_FW_INACTIVE] = "INACTIVE",
	[SM_FW_INVALID_ADDRESS] = "INVALID_ADDRESS",
	[SM_FW_BAD_SIGNATURE] = "BAD_SIGNATURE",
	[SM_FW_BAD_MEASUREMENT] = "BAD_MEASUREMENT",
	[SM_FW_ASID_OWNED] = "ASID_OWNED",
	[SM_FW_INVALID_ASID] = "INVALID_ASID",
	[SM_FW_WBINVD_REQUIRED] = "WBINVD_REQUIRED",
	[SM_FW_DFFLUSH_REQUIRED] = "DFFLUSH_REQUIRED",
	[SM_FW_INVALID_GUEST] = "INVALID_GUEST",
	[SM_FW_INVALID_COMMAND] = "INVALID_COMMAND",
	[SM_FW_ACTIVE] = "ACTIVE",
	[SM_FW_HWERROR_PLATFORM] = "HWERROR_PLATFORM",
	[SM_FW_HWERROR_UNSAFE] = "HWERROR_UNSAFE",
	[SM_FW_UNSUPPORTED] = "UNSUPPORTED",
	[SM_FW_INVALID_PARAM] = "INVALID_PARAM",
	[SM_FW_RESOURCE_LIMIT] = "RESOURCE_LIMIT",
	[SM_FW_SECURE_DATA_INVALID] = "SECURE_DATA_INVALID",
};

/* A status added to the enum without a name breaks the build here. */
_Static_assert(SM_ARRAY_SIZE(status_names) == SM_FW_STATUS_MAX,
	       "status_names must name every enum sm_fw_status value");

const char *sm_fw_status_name(uint32_t status)
{
	if (status >= SM_ARRAY_SIZE(status_names) || !status_names[status])
		return "UNKNOWN";
	return status_names[status];
}

static const char *const state_names[] = {
	[SM_GUEST_UNINIT] = "UNINIT",	[SM_GUEST_LUPDATE] = "LUPDATE",
	[SM_GUEST_LSECRET] = "LSECRET", [SM_GUEST_RUNNING] = "RUNNING",
	[SM_GUEST_SUPDATE] = "SUPDATE", [SM_GUEST_RUPDATE] = "RUPDATE",
	[SM_GUEST_SENT] = "SENT",
};

_Static_assert(SM_ARRAY_SIZE(state_names) == SM_GUEST_SENT + 1,
	       "state_names must name every enum sm_guest_state value");

const char *sm_guest_state_name(unsigned state)
{
	if (state >= SM_ARRAY_SIZE(state_names))
		return "UNKNOWN";
	return state_names[state];
}

int sm_fw_fail(struct sm_fw *fw, struct sm_err *e, const char *cmd,
	       int sys_errno, uint32_t fw_error)
{
	char sys[160] = "", fwpart[64] = "";

	if (fw) {
		fw->fw_error = fw_error;
		fw->sys_errno = sys_errno;
	}
	if (sys_errno)
		snprintf(sys, sizeof(sys), ": %s", strerror(sys_errno));
	if (fw_error)
		snprintf(fwpart, sizeof(fwpart), " (firmware: %s)",
			 sm_fw_status_name(fw_error));
	return sm_err_set(e, SM_EXIT_VM, "%s failed%s%s", cmd, sys, fwpart);
}

/* Reset the last-error fields; refuse an op the backend lacks. */
static int begin(struct sm_fw *fw, int have_op, const char *cmd,
		 struct sm_err *e)
{
	if (!fw || !fw->ops)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "%s failed: no firmware open", cmd);
	fw->fw_error = 0;
	fw->sys_errno = 0;
	if (!have_op)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "%s failed: not supported by the '%s' "
				  "firmware backend",
				  cmd, fw->ops->name ? fw->ops->name : "?");
	return 0;
}

int sm_fw_platform_status(struct sm_fw *fw, struct sm_fw_platform_status *st,
			  struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->platform_status,
		  "PLATFORM_STATUS", e))
		return -1;
	return fw->ops->platform_status(fw, st, e);
}

int sm_fw_pdh_cert_export(struct sm_fw *fw, uint8_t pdh[SM_SEV_CERT_LEN],
			  uint8_t chain[SM_SEV_CHAIN_LEN], struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->pdh_cert_export,
		  "PDH_CERT_EXPORT", e))
		return -1;
	return fw->ops->pdh_cert_export(fw, pdh, chain, e);
}

int sm_fw_guest_status(struct sm_fw *fw, struct sm_fw_guest_status *st,
		       struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->guest_status, "GUEST_STATUS",
		  e))
		return -1;
	return fw->ops->guest_status(fw, st, e);
}

int sm_fw_send_start(struct sm_fw *fw, struct sm_fw_send_start *a,
		     struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->send_start, "SEND_START", e))
		return -1;
	return fw->ops->send_start(fw, a, e);
}

int sm_fw_send_update_data(struct sm_fw *fw, struct sm_fw_xfer *x,
			   struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->send_update_data,
		  "SEND_UPDATE_DATA", e))
		return -1;
	return fw->ops->send_update_data(fw, x, e);
}

int sm_fw_send_update_vmsa(struct sm_fw *fw, struct sm_fw_xfer *x,
			   struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->send_update_vmsa,
		  "SEND_UPDATE_VMSA", e))
		return -1;
	return fw->ops->send_update_vmsa(fw, x, e);
}

int sm_fw_send_finish(struct sm_fw *fw, struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->send_finish, "SEND_FINISH", e))
		return -1;
	return fw->ops->send_finish(fw, e);
}

int sm_fw_send_cancel(struct sm_fw *fw, struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->send_cancel, "SEND_CANCEL", e))
		return -1;
	return fw->ops->send_cancel(fw, e);
}

int sm_fw_receive_start(struct sm_fw *fw, struct sm_fw_receive_start *a,
			struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->receive_start, "RECEIVE_START",
		  e))
		return -1;
	return fw->ops->receive_start(fw, a, e);
}

int sm_fw_receive_update_data(struct sm_fw *fw, struct sm_fw_xfer *x,
			      struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->receive_update_data,
		  "RECEIVE_UPDATE_DATA", e))
		return -1;
	return fw->ops->receive_update_data(fw, x, e);
}

int sm_fw_receive_update_vmsa(struct sm_fw *fw, struct sm_fw_xfer *x,
			      struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->receive_update_vmsa,
		  "RECEIVE_UPDATE_VMSA", e))
		return -1;
	return fw->ops->receive_update_vmsa(fw, x, e);
}

int sm_fw_receive_finish(struct sm_fw *fw, struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->receive_finish,
		  "RECEIVE_FINISH", e))
		return -1;
	return fw->ops->receive_finish(fw, e);
}

int sm_fw_launch_start(struct sm_fw *fw, struct sm_fw_launch_start *a,
		       struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->launch_start, "LAUNCH_START",
		  e))
		return -1;
	return fw->ops->launch_start(fw, a, e);
}

int sm_fw_launch_update_data(struct sm_fw *fw, void *addr, size_t len,
			     struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->launch_update_data,
		  "LAUNCH_UPDATE_DATA", e))
		return -1;
	return fw->ops->launch_update_data(fw, addr, len, e);
}

int sm_fw_launch_update_vmsa(struct sm_fw *fw, const uint8_t *const *vmsas,
			     unsigned n, struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->launch_update_vmsa,
		  "LAUNCH_UPDATE_VMSA", e))
		return -1;
	return fw->ops->launch_update_vmsa(fw, vmsas, n, e);
}

int sm_fw_launch_measure(struct sm_fw *fw, uint8_t *out, uint32_t *len,
			 struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->launch_measure,
		  "LAUNCH_MEASURE", e))
		return -1;
	if (!len)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "LAUNCH_MEASURE failed: no length");
	return fw->ops->launch_measure(fw, out, len, e);
}

int sm_fw_launch_secret(struct sm_fw *fw, const struct sm_fw_launch_secret *a,
			struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->launch_secret, "LAUNCH_SECRET",
		  e))
		return -1;
	return fw->ops->launch_secret(fw, a, e);
}

int sm_fw_launch_finish(struct sm_fw *fw, struct sm_err *e)
{
	if (begin(fw, fw && fw->ops && fw->ops->launch_finish, "LAUNCH_FINISH",
		  e))
		return -1;
	return fw->ops->launch_finish(fw, e);
}

void sm_fw_close(struct sm_fw *fw)
{
	if (fw && fw->ops && fw->ops->close)
		fw->ops->close(fw);
}

int sm_fw_prepare_receive(struct sm_fw *fw, unsigned nvcpus, struct sm_err *e)
{
	if (!fw || !fw->ops || !fw->ops->prepare_receive)
		return 0;
	return fw->ops->prepare_receive(fw, nvcpus, e);
}

int sm_fw_register_region(struct sm_fw *fw, void *addr, size_t len,
			  struct sm_err *e)
{
	if (!fw || !fw->ops || !fw->ops->register_region)
		return 0;
	return fw->ops->register_region(fw, addr, len, e);
}

int sm_fw_context_fd(struct sm_fw *fw)
{
	if (!fw || !fw->ops || !fw->ops->context_fd)
		return -1;
	return fw->ops->context_fd(fw);
}
