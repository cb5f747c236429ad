/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_ERR_H
#define SEVMIG_ERR_H

#include <stdarg.h>

/*
 * One exit-code enum for every sevmig command (style rule 20).  Library
 * functions record which class a failure belongs to in struct sm_err; the
 * thin mains in cmd/ only relay it.  Keep the EXIT STATUS of every man page in step.
 */
enum sm_exit {
	SM_EXIT_OK = 0,
	SM_EXIT_FAILURE = 1, /* generic failure */
	SM_EXIT_USAGE = 2, /* bad invocation */
	SM_EXIT_VERIFY = 3, /* chain, digest, MAC, manifest check failed */
	SM_EXIT_IO = 4, /* I/O or transport: truncated stream, EPIPE, ssh */
	SM_EXIT_VM = 5, /* VM, VMM endpoint, KVM or firmware error */
	SM_EXIT_UNSUPPORTED = 6, /* no SEV, unknown format version, ... */
};

#define SM_ERR_MSG_MAX 1024

/*
 * The error record every library entry point fills on failure: an exit
 * class and one message in the style-guide grammar ("what failed 'subject':
 * reason", lowercase, no trailing full stop, no program name).
 */
struct sm_err {
	enum sm_exit code;
	char msg[SM_ERR_MSG_MAX];
};

/* Set the error; always returns -1 so callers can "return sm_err_set(...)". */
int sm_err_set(struct sm_err *e, enum sm_exit code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int sm_err_vset(struct sm_err *e, enum sm_exit code, const char *fmt,
		va_list ap) __attribute__((format(printf, 3, 0)));

/* As sm_err_set, then append ": strerror(errnum)".  Returns -1. */
int sm_err_errno(struct sm_err *e, enum sm_exit code, int errnum,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Prefix the existing message with "<fmt>: ", keeping its code.  Used to
 * add context on the way up ("reading 'x.json': ...").  Returns -1.
 */
int sm_err_prefix(struct sm_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void sm_err_clear(struct sm_err *e);

/* A short name for an exit code ("verification failed", ...). */
const char *sm_exit_str(enum sm_exit code);

#endif
