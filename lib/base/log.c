// SPDX-License-Identifier: MIT
#include "base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

int sm_log_level = SM_LOG_WARN;
const char *sm_progname = "sevmig";

void sm_log(int level, const char *func, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (level > sm_log_level)
		return;
	fprintf(stderr, "%s: ", sm_progname);
	if (level == SM_LOG_WARN)
		fputs("warning: ", stderr);
	else if (level >= SM_LOG_DEBUG && sm_log_level >= SM_LOG_TRACE)
		fprintf(stderr,
			"%s: ", func); /* -vvv: for sevmig's developers */
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	errno = saved;
}
