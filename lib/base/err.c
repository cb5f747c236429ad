// SPDX-License-Identifier: MIT
#include "base/err.h"

#include <stdio.h>
#include <string.h>

int sm_err_vset(struct sm_err *e, enum sm_exit code, const char *fmt,
		va_list ap)
{
	if (!e)
		return -1;
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return -1;
}

int sm_err_set(struct sm_err *e, enum sm_exit code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sm_err_vset(e, code, fmt, ap);
	va_end(ap);
	return -1;
}

int sm_err_errno(struct sm_err *e, enum sm_exit code, int errnum,
		 const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (!e)
		return -1;
	va_start(ap, fmt);
	sm_err_vset(e, code, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(errnum));
	return -1;
}

int sm_err_prefix(struct sm_err *e, const char *fmt, ...)
{
	char old[SM_ERR_MSG_MAX];
	va_list ap;
	size_t n;

	if (!e)
		return -1;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	if (old[0] && n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", old);
	return -1;
}

void sm_err_clear(struct sm_err *e)
{
	if (e) {
		e->code = SM_EXIT_OK;
		e->msg[0] = '\0';
	}
}

const char *sm_exit_str(enum sm_exit code)
{
	static const char *const names[] = {
		[SM_EXIT_OK] = "success",
		[SM_EXIT_FAILURE] = "failure",
		[SM_EXIT_USAGE] = "usage error",
		[SM_EXIT_VERIFY] = "verification failed",
		[SM_EXIT_IO] = "I/O or transport error",
		[SM_EXIT_VM] = "VM or firmware error",
		[SM_EXIT_UNSUPPORTED] = "unsupported",
	};

	if ((unsigned)code < sizeof(names) / sizeof(names[0]) && names[code])
		return names[code];
	return "unknown";
}
