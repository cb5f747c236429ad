/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_FETCH_INTERNAL_H
#define SEVMIG_FETCH_INTERNAL_H

/* What fetch.c shares with snp-fetch.c (nothing outside lib/fetch/). */

#include <stddef.h>

#include "base/err.h"
#include "fetch/fetch.h"

/* The connect timeout of o, else $SEVMIG_CONNECT_TIMEOUT, else 10 s. */
double smf_connect_timeout(const struct sm_fetch_opts *o);

/*
 * Run "REMOTE_PROGRAM fetch [--offline] EXTRA... [SOURCE]" on the host of
 * src (ssh://..., fetch.h says how) and give its standard output,
 * malloc'd, in *out.  Errors as fetch.h says for ssh.
 */
int smf_ssh_fetch(const char *src, const struct sm_fetch_opts *o,
		  const char *const *extra, char **out, size_t *outlen,
		  struct sm_err *e);

/* Rewrite a remote's source description buf as "src (buf)". */
void smf_remote_source(char *buf, size_t n, const char *src);

#endif
