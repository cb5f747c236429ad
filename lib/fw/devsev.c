// SPDX-License-Identifier: MIT
/*
 * /dev/sev: the Linux PSP driver's SEV_ISSUE_CMD ioctl
 * (include/uapi/linux/psp-sev.h).  The structs are declared here, packed
 * exactly as the kernel's, rather than taken from the kernel headers, so
 * the build does not depend on how new the installed headers are; the
 * static asserts pin their sizes.
 */
#include "fw/devsev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

enum {
	SEV_PLATFORM_STATUS = 1,
	SEV_PDH_CERT_EXPORT = 5,
	SEV_GET_ID2 = 8,
};

struct sev_issue_cmd {
	uint32_t cmd;
	uint64_t data;
	uint32_t error;
} __attribute__((packed));

struct sev_user_data_status {
	uint8_t api_major;
	uint8_t api_minor;
	uint8_t state;
	uint32_t flags;
	uint8_t build;
	uint32_t guest_count;
} __attribute__((packed));

struct sev_user_data_pdh_cert_export {
	uint64_t pdh_cert_address;
	uint32_t pdh_cert_len;
	uint64_t cert_chain_address;
	uint32_t cert_chain_len;
} __attribute__((packed));

struct sev_user_data_get_id2 {
	uint64_t address;
	uint32_t length;
} __attribute__((packed));

_Static_assert(sizeof(struct sev_issue_cmd) == 16, "sev_issue_cmd");
_Static_assert(sizeof(struct sev_user_data_status) == 12, "status");
_Static_assert(sizeof(struct sev_user_data_pdh_cert_export) == 24,
	       "pdh_cert_export");
_Static_assert(sizeof(struct sev_user_data_get_id2) == 12, "get_id2");

/* _IOWR('S', 0x0, struct sev_issue_cmd) */
#define SEV_ISSUE_CMD _IOWR('S', 0x0, struct sev_issue_cmd)
_Static_assert(SEV_ISSUE_CMD == 0xC0105300u, "SEV_ISSUE_CMD value");

#define SEV_RET_INVALID_LEN 0x04

/* Firmware status codes (SEV API, the kernel's enum sev_ret_code). */
static const char *const fw_status_names[] = {
	[0x00] = "SUCCESS",
	[0x01] = "INVALID_PLATFORM_STATE",
	[0x02] = "INVALID_GUEST_STATE",
	[0x03] = "INVALID_CONFIG",
	[0x04] = "INVALID_LENGTH",
	[0x05] = "ALREADY_OWNED",
	[0x06] = "INVALID_CERTIFICATE",
	[0x07] = "POLICY_FAILURE",
	[0x08] = "INACTIVE",
	[0x09] = "INVALID_ADDRESS",
	[0x0a] = "BAD_SIGNATURE",
	[0x0b] = "BAD_MEASUREMENT",
	[0x0c] = "ASID_OWNED",
	[0x0d] = "INVALID_ASID",
	[0x0e] = "WBINVD_REQUIRED",
	[0x0f] = "DFFLUSH_REQUIRED",
	[0x10] = "INVALID_GUEST",
	[0x11] = "INVALID_COMMAND",
	[0x12] = "ACTIVE",
	[0x13] = "HWERROR_PLATFORM",
	[0x14] = "HWERROR_UNSAFE",
	[0x15] = "UNSUPPORTED",
	[0x16] = "INVALID_PARAM",
	[0x17] = "RESOURCE_LIMIT",
	[0x18] = "SECURE_DATA_INVALID",
};
_Static_assert(SM_ARRAY_SIZE(fw_status_names) == 0x19, "firmware status table");

static const char *fw_status(uint32_t s, char *buf, size_t len)
{
	if (s < SM_ARRAY_SIZE(fw_status_names) && fw_status_names[s])
		return fw_status_names[s];
	snprintf(buf, len, "status 0x%x", s);
	return buf;
}

static int open_dev(const char *dev, struct sm_err *e)
{
	int fd, err;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	err = errno;
	/*
	 * No device node (or no driver behind it) means this host has no
	 * SEV: unsupported, not an I/O error, so callers can say so.
	 */
	if (err == ENOENT || err == ENODEV || err == ENXIO)
		return sm_err_errno(e, SM_EXIT_UNSUPPORTED, err,
				    "cannot open SEV device '%s'", dev);
	return sm_err_errno(e, SM_EXIT_IO, err, "cannot open SEV device '%s'",
			    dev);
}

/*
 * One SEV_ISSUE_CMD.  Returns 0, or -1 with *fwerr set (the firmware
 * status, 0 if the kernel failed before the firmware) and errno saved in
 * *errnum.
 */
static int issue(int fd, uint32_t cmd, void *data, uint32_t *fwerr, int *errnum)
{
	struct sev_issue_cmd ic = {
		.cmd = cmd,
		.data = (uint64_t)(uintptr_t)data,
	};
	int r;

	do {
		r = ioctl(fd, SEV_ISSUE_CMD, &ic);
	} while (r < 0 && errno == EINTR);
	*errnum = r < 0 ? errno : 0;
	*fwerr = ic.error;
	return r < 0 ? -1 : 0;
}

static int issue_failed(struct sm_err *e, const char *dev, const char *name,
			int errnum, uint32_t fwerr)
{
	char sbuf[32];
	size_t n;

	/* ENOTTY: the path is not a SEV device at all (e.g. /dev/null). */
	if (errnum == ENOTTY || (errnum == EINVAL && !fwerr))
		return sm_err_errno(e, SM_EXIT_UNSUPPORTED, errnum,
				    "SEV_ISSUE_CMD %s on '%s' failed", name,
				    dev);
	sm_err_errno(e, SM_EXIT_VM, errnum, "SEV_ISSUE_CMD %s on '%s' failed",
		     name, dev);
	if (fwerr && e) {
		n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n, " (firmware: %s)",
			 fw_status(fwerr, sbuf, sizeof(sbuf)));
	}
	return -1;
}

int sm_devsev_platform_status(const char *dev, struct sm_devsev_status *st,
			      struct sm_err *e)
{
	struct sev_user_data_status s = { 0 };
	uint32_t fwerr;
	int fd, errnum, rc = 0;

	fd = open_dev(dev, e);
	if (fd < 0)
		return -1;
	if (issue(fd, SEV_PLATFORM_STATUS, &s, &fwerr, &errnum) < 0) {
		rc = issue_failed(e, dev, "PLATFORM_STATUS", errnum, fwerr);
	} else {
		st->api_major = s.api_major;
		st->api_minor = s.api_minor;
		st->build = s.build;
		st->state = s.state;
		st->flags = s.flags;
		st->guest_count = s.guest_count;
	}
	close(fd);
	return rc;
}

int sm_devsev_pdh_cert_export(const char *dev, uint8_t pdh[SM_SEV_CERT_LEN],
			      uint8_t chain[SM_SEV_CHAIN_LEN], struct sm_err *e)
{
	struct sev_user_data_pdh_cert_export x = { 0 };
	uint8_t *pbuf = NULL, *cbuf = NULL;
	uint32_t fwerr, plen, clen;
	int fd, errnum, rc = -1;

	fd = open_dev(dev, e);
	if (fd < 0)
		return -1;
	/*
	 * Length probe: null addresses ask the firmware for the sizes it
	 * needs; it answers INVALID_LENGTH with the lengths filled in.
	 */
	if (issue(fd, SEV_PDH_CERT_EXPORT, &x, &fwerr, &errnum) < 0 &&
	    fwerr != SEV_RET_INVALID_LEN) {
		issue_failed(e, dev, "PDH_CERT_EXPORT", errnum, fwerr);
		goto out_close;
	}
	plen = x.pdh_cert_len;
	clen = x.cert_chain_len;
	pr_debug("PDH_CERT_EXPORT lengths: pdh %u, chain %u", plen, clen);
	if (plen != SM_SEV_CERT_LEN || clen != SM_SEV_CHAIN_LEN) {
		sm_err_set(e, SM_EXIT_VM,
			   "SEV_ISSUE_CMD PDH_CERT_EXPORT on '%s': firmware "
			   "wants %u and %u bytes, expected %u and %u",
			   dev, plen, clen, SM_SEV_CERT_LEN, SM_SEV_CHAIN_LEN);
		goto out_close;
	}
	pbuf = calloc(1, plen);
	cbuf = calloc(1, clen);
	if (!pbuf || !cbuf) {
		sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM, "PDH_CERT_EXPORT");
		goto out_free;
	}
	x.pdh_cert_address = (uint64_t)(uintptr_t)pbuf;
	x.cert_chain_address = (uint64_t)(uintptr_t)cbuf;
	if (issue(fd, SEV_PDH_CERT_EXPORT, &x, &fwerr, &errnum) < 0) {
		issue_failed(e, dev, "PDH_CERT_EXPORT", errnum, fwerr);
		goto out_free;
	}
	memcpy(pdh, pbuf, SM_SEV_CERT_LEN);
	memcpy(chain, cbuf, SM_SEV_CHAIN_LEN);
	rc = 0;
out_free:
	free(pbuf);
	free(cbuf);
out_close:
	close(fd);
	return rc;
}

int sm_devsev_get_id2(const char *dev, uint8_t *id, size_t max, size_t *len,
		      struct sm_err *e)
{
	struct sev_user_data_get_id2 x = { 0 };
	uint8_t *buf = NULL;
	uint32_t fwerr, n;
	int fd, errnum, rc = -1;

	fd = open_dev(dev, e);
	if (fd < 0)
		return -1;
	/* Length probe, as for PDH_CERT_EXPORT (needs API >= 0.16). */
	if (issue(fd, SEV_GET_ID2, &x, &fwerr, &errnum) < 0 &&
	    fwerr != SEV_RET_INVALID_LEN) {
		issue_failed(e, dev, "GET_ID2", errnum, fwerr);
		goto out_close;
	}
	n = x.length;
	if (!n || n > max || n > 4096) {
		sm_err_set(e, SM_EXIT_VM,
			   "SEV_ISSUE_CMD GET_ID2 on '%s': firmware wants %u "
			   "bytes, at most %zu fit",
			   dev, n, max);
		goto out_close;
	}
	buf = calloc(1, n);
	if (!buf) {
		sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM, "GET_ID2");
		goto out_close;
	}
	x.address = (uint64_t)(uintptr_t)buf;
	x.length = n;
	if (issue(fd, SEV_GET_ID2, &x, &fwerr, &errnum) < 0) {
		issue_failed(e, dev, "GET_ID2", errnum, fwerr);
		goto out_free;
	}
	memcpy(id, buf, n);
	*len = n;
	rc = 0;
out_free:
	free(buf);
out_close:
	close(fd);
	return rc;
}
