/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_KDS_H
#define SEVMIG_KDS_H

/*
 * AMD Key Distribution Service client: the KDS-signed CEK of a chip,
 *   GET <base>/cek/id/<lowercase hex of the GET_ID2 bytes>
 * whose body is the raw 2084-byte certificate.  Retries honour
 * Retry-After on 429 and 503, and AMD's habit of answering 400 for a while
 * right after a valid request.  Answers are cached under
 * <cache>/kds/cek-<hex id>.cert (a CEK never changes for a chip; the bytes
 * are signed, and the chain is verified after every fetch anyway).
 * Outside dependency: libcurl, and only here.
 */

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SM_KDS_DEFAULT_URL "https://kdsintf.amd.com"

/*
 * Called on every candidate CEK (cache hit or KDS answer) before it is
 * used or cached; return 0 to accept, or -1 with e filled to reject it.
 * A rejected KDS answer is not retried and not cached.
 */
typedef int (*sm_kds_check_fn)(const uint8_t *cek, size_t len, void *arg,
			       struct sm_err *e);

struct sm_kds_opts {
	const char *url; /* NULL: $SEVMIG_KDS_URL or SM_KDS_DEFAULT_URL */
	const char *cache_dir; /* NULL: $XDG_CACHE_HOME/sevmig, ~/.cache/sevmig */
	int offline; /* cache only; never the network */
	int no_cache; /* neither read nor write the cache */
	double connect_timeout; /* seconds per connection; 0: 10 */
	double total_timeout; /* seconds for all attempts together; 0: 60 */
	int retries; /* extra attempts; < 0: 3 */
	double retry_delay; /* wait without Retry-After; 0: 5 (400: 10) */
	double max_retry_wait; /* cap on one Retry-After wait; 0: 120 */
	sm_kds_check_fn check; /* may be NULL */
	void *check_arg;
};

/* "libcurl X.Y.Z" of the library actually linked. */
const char *sm_kds_curl_version(void);

/*
 * The cache directory o selects (o->cache_dir, else $XDG_CACHE_HOME/sevmig,
 * else $HOME/.cache/sevmig) into buf.  -1 when none can be named.
 */
int sm_kds_cache_dir(const struct sm_kds_opts *o, char *buf, size_t len);

/*
 * The signed CEK of the chip whose GET_ID2 output is id[0..id_len): from
 * the cache, else from the KDS (then cached).  *cek is malloc'd (caller
 * frees), *len its size (the check callback decides what is acceptable;
 * without one any non-empty body is).  Blocks for up to
 * o->total_timeout seconds plus Retry-After waits within that budget.
 * Errors: SM_EXIT_USAGE (bad URL), SM_EXIT_IO (network, HTTP status,
 * timeout, offline with nothing cached; the message names the URL or the
 * cache path), or whatever the check callback sets.
 */
int sm_kds_fetch_cek(const struct sm_kds_opts *o, const uint8_t *id,
		     size_t id_len, uint8_t **cek, size_t *len,
		     struct sm_err *e);

/*
 * Any KDS document (the SNP VCEK, cert_chain, crl): GET <base><upath>,
 * upath starting with '/' and carrying its query string, with the same
 * retries, check callback and errors as sm_kds_fetch_cek ("fetching
 * <what> '<url>': ...").  Cached as <cache>/kds/<cache_name> (NULL: never);
 * with refresh the cache is read only offline (a CRL is fetched anew when
 * the network may be used) but still written.
 */
int sm_kds_fetch_path(const struct sm_kds_opts *o, const char *what,
		      const char *upath, const char *cache_name, int refresh,
		      uint8_t **out, size_t *len, struct sm_err *e);

#endif
