/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_LOG_H
#define SEVMIG_LOG_H

/*
 * Levels 0-4 (CRIU): -q shows errors only, the default adds warnings, -v
 * info, -vv debug, -vvv trace (then debug and trace lines name the
 * function, for sevmig's developers).  Everything goes to stderr.  Never
 * pass key material, session blobs, TEK or TIK to these.
 */
enum sm_log_level {
	SM_LOG_ERR = 0,
	SM_LOG_WARN = 1,
	SM_LOG_INFO = 2,
	SM_LOG_DEBUG = 3,
	SM_LOG_TRACE = 4,
};

/* The two mutable globals the style guide allows. */
extern int sm_log_level;
extern const char *sm_progname;

void sm_log(int level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define pr_err(...) sm_log(SM_LOG_ERR, __func__, __VA_ARGS__)
#define pr_warn(...) sm_log(SM_LOG_WARN, __func__, __VA_ARGS__)
#define pr_info(...) sm_log(SM_LOG_INFO, __func__, __VA_ARGS__)
#define pr_debug(...) sm_log(SM_LOG_DEBUG, __func__, __VA_ARGS__)
#define pr_trace(...) sm_log(SM_LOG_TRACE, __func__, __VA_ARGS__)

#endif
