// SPDX-License-Identifier: MIT
#include "base/ossl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static int digest(const char *name, const void *buf, size_t len, uint8_t *out)
{
	unsigned int n = 0;
	const EVP_MD *md = strcmp(name, "sha256") == 0 ? EVP_sha256() :
							 EVP_sha384();

	return EVP_Digest(buf, len, out, &n, md, NULL) == 1 ? 0 : -1;
}

int sm_sha256(const void *buf, size_t len, uint8_t out[SM_SHA256_LEN])
{
	return digest("sha256", buf, len, out);
}

int sm_sha384(const void *buf, size_t len, uint8_t out[SM_SHA384_LEN])
{
	return digest("sha384", buf, len, out);
}

int sm_random(void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

int sm_ct_memcmp(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) != 0;
}

int sm_err_ossl(struct sm_err *e, enum sm_exit code, const char *fmt, ...)
{
	unsigned long l;
	va_list ap;
	size_t n;
	int first = 1;

	va_start(ap, fmt);
	sm_err_vset(e, code, fmt, ap);
	va_end(ap);
	while ((l = ERR_get_error()) != 0) {
		char buf[256];

		if (!e)
			continue;
		ERR_error_string_n(l, buf, sizeof(buf));
		n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n, "%s%s",
			 first ? ": " : "; ", buf);
		first = 0;
	}
	return -1;
}

void sm_ossl_clear_errors(void)
{
	ERR_clear_error();
}

const char *sm_ossl_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

struct sm_sha256 {
	EVP_MD_CTX *md;
};

int sm_sha256_new(struct sm_sha256 **c)
{
	struct sm_sha256 *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	s->md = EVP_MD_CTX_new();
	if (!s->md || EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(s->md);
		free(s);
		return -1;
	}
	*c = s;
	return 0;
}

int sm_sha256_update(struct sm_sha256 *c, const void *buf, size_t len)
{
	return EVP_DigestUpdate(c->md, buf, len) == 1 ? 0 : -1;
}

int sm_sha256_final(struct sm_sha256 *c, uint8_t out[SM_SHA256_LEN])
{
	unsigned int n = 0;

	return EVP_DigestFinal_ex(c->md, out, &n) == 1 ? 0 : -1;
}

void sm_sha256_free(struct sm_sha256 *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}
