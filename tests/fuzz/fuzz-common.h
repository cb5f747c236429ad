/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer harnesses (tests/fuzz/fuzz-*.c).  Header-only so
 * each harness stays one translation unit, as the Makefile links them.
 *
 * A harness must neither leak nor hang on any input: everything it
 * allocates is freed before LLVMFuzzerTestOneInput returns, and anything
 * that could block is bounded.  A broken contract of the library (an
 * error without a message, an exit class a function may not return, a
 * round trip that does not give back what went in) is reported with
 * fz_fail(), which aborts so libFuzzer keeps the input.
 */
#ifndef SEVMIG_FUZZ_COMMON_H
#define SEVMIG_FUZZ_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((format(printf, 1, 2), noreturn)) static inline void
fz_fail(const char *fmt, ...)
{
	va_list ap;

	/* fd 2 itself: stderr may point at /dev/null (fz_quiet) */
	dprintf(2, "fuzz: contract broken: ");
	va_start(ap, fmt);
	vdprintf(2, fmt, ap);
	va_end(ap);
	dprintf(2, "\n");
	abort();
}

/*
 * Every failure carries a message and one of the classes the caller
 * allows (a bit mask of 1 << SM_EXIT_*).
 */
static inline void fz_check_err(const struct sm_err *e, unsigned classes,
				const char *what)
{
	if ((int)e->code < 0 || e->code > SM_EXIT_UNSUPPORTED ||
	    !(classes & (1u << e->code)))
		fz_fail("%s: exit class %d not allowed (%s)", what,
			(int)e->code, e->msg);
	if (!e->msg[0] || !memchr(e->msg, '\0', sizeof(e->msg)))
		fz_fail("%s: failure without a message", what);
}

#define FZ(c) (1u << (c))

/*
 * Run the library with every log level on, but into /dev/null: the debug
 * and trace paths (and their format arguments) get exercised without
 * slowing the fuzzer down with output.  libFuzzer and the sanitizers
 * write through their own handles, so their reports still show.
 */
static FILE *fz_null;
static FILE *fz_saved_stderr;

static inline void fz_log_init(void)
{
	fz_null = fopen("/dev/null", "w");
	if (!fz_null)
		fz_fail("cannot open /dev/null");
	sm_log_level = SM_LOG_TRACE;
	sm_progname = "fuzz";
}

static inline void fz_quiet(void)
{
	fz_saved_stderr = stderr;
	stderr = fz_null;
}

static inline void fz_loud(void)
{
	fflush(fz_null);
	stderr = fz_saved_stderr;
}

#endif
