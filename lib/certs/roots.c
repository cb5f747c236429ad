// SPDX-License-Identifier: MIT
/*
 * The built-in AMD roots.  Why pinned: the ARK is the only trust anchor of a
 * SEV chain, so a flipped bit in the embedded bytes (a bad merge, a bad
 * regeneration) must make the root unusable rather than silently trust
 * another key.  Each entry is hashed and checked against its pin before it
 * is parsed; a mismatch means the product has no root at all.
 */
#include "certs/roots.h"

#include <pthread.h>
#include <string.h>

#include "base/log.h"
#include "base/ossl.h"
#include "base/util.h"

struct root_slot {
	int loaded; /* 1 ok, -1 refused, 0 not tried */
	struct sm_amd_cert cert;
};

static struct root_slot arks[SM_PRODUCT_COUNT], asks[SM_PRODUCT_COUNT];
static pthread_once_t roots_once = PTHREAD_ONCE_INIT;

int sm_roots_pin_ok(const uint8_t *buf, size_t len, const char *pin)
{
	uint8_t d[SM_SHA256_LEN];
	char hex[2 * SM_SHA256_LEN + 1];

	if (!pin || sm_sha256(buf, len, d) < 0)
		return 0;
	sm_hex_encode(d, sizeof(d), hex);
	return strcmp(hex, pin) == 0;
}

static const struct sm_root_blob *blob_of(enum sm_product p)
{
	size_t i;

	for (i = 0; i < sm_roots_nblobs; i++)
		if (sm_roots_blobs[i].product == p)
			return &sm_roots_blobs[i];
	return NULL;
}

enum root_kind { ROOT_ASK, ROOT_ARK };

static const struct sm_amd_cert *load(enum sm_product p, enum root_kind kind)
{
	int want_ark = kind == ROOT_ARK;
	struct root_slot *s;
	const struct sm_root_blob *b;
	const uint8_t *buf;
	const char *pin;
	struct sm_err e;
	size_t len, used;

	if (p <= SM_PRODUCT_UNKNOWN || p >= SM_PRODUCT_COUNT)
		return NULL;
	s = want_ark ? &arks[p] : &asks[p];
	if (s->loaded)
		return s->loaded > 0 ? &s->cert : NULL;
	s->loaded = -1;
	b = blob_of(p);
	if (!b)
		return NULL;
	buf = want_ark ? b->ark : b->ask;
	len = want_ark ? b->ark_len : b->ask_len;
	pin = want_ark ? b->ark_pin : b->ask_pin;
	if (!sm_roots_pin_ok(buf, len, pin)) {
		pr_debug("built-in %s %s does not match its pin",
			 sm_product_name(p), want_ark ? "ARK" : "ASK");
		return NULL;
	}
	if (sm_amd_cert_parse(buf, len, &s->cert, &used, &e) < 0 ||
	    used != len || !s->cert.has_signature ||
	    s->cert.usage != (want_ark ? SM_USAGE_ARK : SM_USAGE_ASK)) {
		pr_debug("built-in %s root does not parse", sm_product_name(p));
		return NULL;
	}
	s->loaded = 1;
	return &s->cert;
}

/* Check and parse every built-in once, whichever thread asks first. */
static void load_all(void)
{
	int p;

	for (p = SM_PRODUCT_UNKNOWN + 1; p < SM_PRODUCT_COUNT; p++) {
		load(p, ROOT_ARK);
		load(p, ROOT_ASK);
	}
}

const struct sm_amd_cert *sm_roots_ark(enum sm_product p)
{
	if (p <= SM_PRODUCT_UNKNOWN || p >= SM_PRODUCT_COUNT)
		return NULL;
	pthread_once(&roots_once, load_all);
	return arks[p].loaded > 0 ? &arks[p].cert : NULL;
}

const struct sm_amd_cert *sm_roots_ask(enum sm_product p)
{
	if (p <= SM_PRODUCT_UNKNOWN || p >= SM_PRODUCT_COUNT)
		return NULL;
	pthread_once(&roots_once, load_all);
	return asks[p].loaded > 0 ? &asks[p].cert : NULL;
}

enum sm_product sm_roots_product_of_ark(const struct sm_amd_cert *ark)
{
	int p;

	for (p = SM_PRODUCT_UNKNOWN + 1; p < SM_PRODUCT_COUNT; p++) {
		const struct sm_amd_cert *r = sm_roots_ark(p);

		if (r && r->len == ark->len &&
		    memcmp(r->raw, ark->raw, r->len) == 0)
			return p;
	}
	return SM_PRODUCT_UNKNOWN;
}
