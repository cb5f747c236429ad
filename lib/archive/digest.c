// SPDX-License-Identifier: MIT
/*
 * The archive digest: SHA-256 (through base/ossl) or XXH3-128 (libxxhash,
 * this file's one outside dependency).
 */
#include "archive/digest.h"

#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "base/ossl.h"
#include "base/util.h"

static const char *const names[SM_DIGEST_COUNT] = {
	[SM_DIGEST_SHA256] = "sha256",
	[SM_DIGEST_XXH3_128] = "xxh3-128",
};
static const size_t lens[SM_DIGEST_COUNT] = {
	[SM_DIGEST_SHA256] = SM_SHA256_LEN,
	[SM_DIGEST_XXH3_128] = sizeof(XXH128_canonical_t),
};

struct sm_digest {
	enum sm_digest_alg alg;
	struct sm_sha256 *sha;
	XXH3_state_t *xxh;
};

const char *sm_digest_name(enum sm_digest_alg alg)
{
	return alg < SM_DIGEST_COUNT ? names[alg] : "unknown";
}

size_t sm_digest_len(enum sm_digest_alg alg)
{
	return alg < SM_DIGEST_COUNT ? lens[alg] : 0;
}

int sm_digest_parse_name(const char *name, enum sm_digest_alg *alg)
{
	int i;

	for (i = 0; i < SM_DIGEST_COUNT; i++)
		if (!strcmp(name, names[i])) {
			*alg = (enum sm_digest_alg)i;
			return 0;
		}
	return -1;
}

int sm_digest_parse(const char *text, struct sm_digest_value *v)
{
	const char *colon = strchr(text, ':');
	char name[16];
	size_t n, i;

	if (!colon || (size_t)(colon - text) >= sizeof(name))
		return -1;
	memcpy(name, text, (size_t)(colon - text));
	name[colon - text] = '\0';
	memset(v, 0, sizeof(*v));
	if (sm_digest_parse_name(name, &v->alg))
		return -1;
	n = sm_digest_len(v->alg);
	colon++;
	if (strlen(colon) != 2 * n)
		return -1;
	for (i = 0; i < 2 * n; i++)
		if (!((colon[i] >= '0' && colon[i] <= '9') ||
		      (colon[i] >= 'a' && colon[i] <= 'f')))
			return -1;
	return sm_hex_decode(colon, v->b, n) == (ssize_t)n ? 0 : -1;
}

void sm_digest_format(const struct sm_digest_value *v,
		      char out[SM_DIGEST_TEXT_MAX])
{
	size_t n = strlen(sm_digest_name(v->alg));

	memcpy(out, sm_digest_name(v->alg), n);
	out[n] = ':';
	sm_hex_encode(v->b, sm_digest_len(v->alg), out + n + 1);
}

int sm_digest_equal(const struct sm_digest_value *a,
		    const struct sm_digest_value *b)
{
	return a->alg == b->alg &&
	       sm_ct_memcmp(a->b, b->b, sm_digest_len(a->alg)) == 0;
}

int sm_digest_new(enum sm_digest_alg alg, struct sm_digest **dp,
		  struct sm_err *e)
{
	struct sm_digest *d = calloc(1, sizeof(*d));
	int bad;

	if (!d || alg >= SM_DIGEST_COUNT) {
		free(d);
		return sm_err_set(e, SM_EXIT_FAILURE, "cannot allocate digest");
	}
	d->alg = alg;
	if (alg == SM_DIGEST_SHA256) {
		bad = sm_sha256_new(&d->sha) != 0;
	} else {
		d->xxh = XXH3_createState();
		bad = !d->xxh || XXH3_128bits_reset(d->xxh) != XXH_OK;
	}
	if (bad) {
		sm_digest_free(d);
		return sm_err_set(e, SM_EXIT_FAILURE, "cannot allocate digest");
	}
	*dp = d;
	return 0;
}

int sm_digest_update(struct sm_digest *d, const void *buf, size_t len)
{
	if (d->sha)
		return sm_sha256_update(d->sha, buf, len);
	return XXH3_128bits_update(d->xxh, buf, len) == XXH_OK ? 0 : -1;
}

int sm_digest_final(struct sm_digest *d, struct sm_digest_value *v)
{
	memset(v, 0, sizeof(*v));
	v->alg = d->alg;
	if (d->sha)
		return sm_sha256_final(d->sha, v->b);
	/* The canonical (big-endian) form, as xxhsum -H2 prints it. */
	XXH128_canonicalFromHash((XXH128_canonical_t *)v->b,
				 XXH3_128bits_digest(d->xxh));
	return 0;
}

enum sm_digest_alg sm_digest_alg_of(const struct sm_digest *d)
{
	return d->alg;
}

void sm_digest_free(struct sm_digest *d)
{
	if (!d)
		return;
	sm_sha256_free(d->sha);
	if (d->xxh)
		XXH3_freeState(d->xxh);
	free(d);
}
