/* SPDX-License-Identifier: MIT */
#ifndef SEVMIG_JSON_H
#define SEVMIG_JSON_H

/*
 * Shared jansson helpers for the JSON modules (bundle.c, qmp.c, ...).  The
 * jansson type is only forward-declared here: public headers never include
 * a third-party header.
 */

#include <stddef.h>

#include "base/err.h"

struct json_t;

/* "jansson X.Y" of the headers built against. */
const char *sm_json_lib_version(void);

/*
 * Parse one JSON document of len bytes (duplicate keys rejected, nothing
 * but whitespace after it).  On success *out is a new reference the
 * caller releases with json_decref.  On a syntax error: -1 with
 * SM_EXIT_VERIFY and "invalid JSON in 'name' at line L, column C: why".
 */
int sm_json_parse(const char *text, size_t len, const char *name,
		  struct json_t **out, struct sm_err *e);

/*
 * Serialise v with sorted keys, two-space indentation and a final newline.
 * Returns a malloc'd string the caller frees, or NULL (out of memory).
 */
char *sm_json_dump(const struct json_t *v);

/*
 * A new JSON string of s (NULL: NULL).  jansson takes only UTF-8, and a
 * path, an entry name from an archive or a message cut at the length
 * limit of struct sm_err may not be: then every non-ASCII byte becomes
 * '?' rather than making the whole document unwritable.  NULL on out of
 * memory.
 */
struct json_t *sm_json_text(const char *s);

#endif
