/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_TESTS_FW_KVM_STANDINS_H
#define SEVMIG_TESTS_FW_KVM_STANDINS_H

/*
 * Stand-ins for lib/fw.c and lib/devsev.c, which other engineers own and
 * which have not reached this branch yet.  Only compiled while the real
 * source file is absent (__has_include looks through -iquote lib), and
 * weak, so that a real definition linked in always wins.  Included by
 * test-fw-kvm.c and fw-kvm-probe.c only; delete once both modules are on
 * main.
 *
 * sm_fw_fail follows the fw.h contract: "<cmd> failed[: strerror]
 * (firmware: NAME)", code SM_EXIT_VM, fw_error and sys_errno recorded.
 * The firmware part is left out when the status is 0.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "devsev.h"
#include "err.h"
#include "fw.h"

#if !__has_include("fw.c")
__attribute__((weak)) const char *sm_fw_status_name(uint32_t status)
{
	static const char *const names[] = {
		"SUCCESS",	       "INVALID_PLATFORM_STATE",
		"INVALID_GUEST_STATE", "INVALID_CONFIG",
		"INVALID_LENGTH",      "ALREADY_OWNED",
		"INVALID_CERTIFICATE", "POLICY_FAILURE",
		"INACTIVE",	       "INVALID_ADDRESS",
		"BAD_SIGNATURE",       "BAD_MEASUREMENT",
		"ASID_OWNED",	       "INVALID_ASID",
		"WBINVD_REQUIRED",     "DFFLUSH_REQUIRED",
		"INVALID_GUEST",       "INVALID_COMMAND",
		"ACTIVE",	       "HWERROR_PLATFORM",
		"HWERROR_UNSAFE",      "UNSUPPORTED",
		"INVALID_PARAM",       "RESOURCE_LIMIT",
		"SECURE_DATA_INVALID",
	};

	return status < sizeof(names) / sizeof(names[0]) ? names[status] :
							   "UNKNOWN";
}

__attribute__((weak)) int sm_fw_fail(struct sm_fw *fw, struct sm_err *e,
				     const char *cmd, int sys_errno,
				     uint32_t fw_error)
{
	char sys[160] = "", fwst[64] = "";

	if (fw) {
		fw->sys_errno = sys_errno;
		fw->fw_error = fw_error;
	}
	if (sys_errno)
		snprintf(sys, sizeof(sys), ": %s", strerror(sys_errno));
	if (fw_error)
		snprintf(fwst, sizeof(fwst), " (firmware: %s)",
			 sm_fw_status_name(fw_error));
	return sm_err_set(e, SM_EXIT_VM, "%s failed%s%s", cmd, sys, fwst);
}

__attribute__((weak)) void sm_fw_close(struct sm_fw *fw)
{
	if (fw)
		fw->ops->close(fw);
}
#endif

#if !__has_include("devsev.c")
static int standin_devsev(const char *dev, struct sm_err *e)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC), err = errno;

	if (fd < 0)
		return sm_err_errno(e, SM_EXIT_UNSUPPORTED, err,
				    "cannot open SEV device '%s'", dev);
	close(fd);
	return sm_err_set(e, SM_EXIT_UNSUPPORTED,
			  "SEV_ISSUE_CMD on '%s': lib/devsev.c is not built "
			  "into this program", dev);
}

__attribute__((weak)) int sm_devsev_platform_status(
	const char *dev, struct sm_devsev_status *st, struct sm_err *e)
{
	(void)st;
	return standin_devsev(dev, e);
}

__attribute__((weak)) int sm_devsev_pdh_cert_export(
	const char *dev, uint8_t pdh[SM_SEV_CERT_LEN],
	uint8_t chain[SM_SEV_CHAIN_LEN], struct sm_err *e)
{
	(void)pdh;
	(void)chain;
	return standin_devsev(dev, e);
}
#endif

#endif
