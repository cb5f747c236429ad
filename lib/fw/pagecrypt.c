// SPDX-License-Identifier: MIT
/*
 * The page sealing shared by the migration helper and the SVSM
 * (pagecrypt.h): AES-256-GCM of a page with per-thread keyed contexts,
 * the counter IV, HKDF.  OpenSSL 3 EVP.
 */
#include "fw/pagecrypt.h"

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/util.h"

void sm_pc_iv(uint64_t seq, uint8_t iv[SM_PC_IV_LEN])
{
	sm_put_le64(iv, seq);
	memset(iv + 8, 0, 4);
}

/*
 * Each thread keeps its two GCM contexts keyed for the last session key
 * it used, so a page costs an IV, not a key schedule and an allocation.
 * The cached key is wiped when the thread ends or the key changes.
 */
struct gcm_cache {
	EVP_CIPHER_CTX *x[2]; /* open, seal */
	uint8_t key[2][SM_PC_KEY_LEN];
	int keyed[2];
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_free(void *p)
{
	struct gcm_cache *c = p;

	EVP_CIPHER_CTX_free(c->x[0]);
	EVP_CIPHER_CTX_free(c->x[1]);
	sm_wipe(c, sizeof(*c));
	free(c);
}

static void cache_init(void)
{
	(void)pthread_key_create(&cache_key, cache_free);
}

static EVP_CIPHER_CTX *keyed_ctx(int enc, const uint8_t key[SM_PC_KEY_LEN],
				 const uint8_t iv[SM_PC_IV_LEN])
{
	struct gcm_cache *c;

	if (pthread_once(&cache_once, cache_init))
		return NULL;
	c = pthread_getspecific(cache_key);
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		c->x[0] = EVP_CIPHER_CTX_new();
		c->x[1] = EVP_CIPHER_CTX_new();
		if (!c->x[0] || !c->x[1] || pthread_setspecific(cache_key, c)) {
			cache_free(c);
			return NULL;
		}
	}
	if (c->keyed[enc] && memcmp(c->key[enc], key, SM_PC_KEY_LEN) == 0)
		return EVP_CipherInit_ex(c->x[enc], NULL, NULL, NULL, iv,
					 enc) == 1 ?
			       c->x[enc] :
			       NULL;
	c->keyed[enc] = 0;
	if (EVP_CipherInit_ex(c->x[enc], EVP_aes_256_gcm(), NULL, key, iv,
			      enc) != 1)
		return NULL;
	memcpy(c->key[enc], key, SM_PC_KEY_LEN);
	c->keyed[enc] = 1;
	return c->x[enc];
}

int sm_pc_gcm_page(int enc, const uint8_t key[SM_PC_KEY_LEN],
		   const uint8_t iv[SM_PC_IV_LEN], const uint8_t *aad,
		   size_t aad_len, const uint8_t *in, uint8_t *out,
		   uint8_t tag[SM_PC_TAG_LEN])
{
	EVP_CIPHER_CTX *x = keyed_ctx(enc, key, iv);
	int n = 0, ok;

	ok = x && aad_len <= 4096 &&
	     EVP_CipherUpdate(x, NULL, &n, aad, (int)aad_len) &&
	     EVP_CipherUpdate(x, out, &n, in, 4096) && n == 4096;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, SM_PC_TAG_LEN,
					 tag);
	if (ok)
		ok = EVP_CipherFinal_ex(x, out + n, &n) > 0;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, SM_PC_TAG_LEN,
					 tag);
	return ok ? 0 : -1;
}

int sm_pc_hkdf(enum sm_pc_md md, const uint8_t *ikm, size_t ikm_len,
	       const uint8_t *salt, size_t salt_len, const uint8_t *info,
	       size_t info_len, uint8_t *out, size_t out_len)
{
	EVP_PKEY_CTX *p = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	size_t len = out_len;
	int ok;

	ok = p && EVP_PKEY_derive_init(p) > 0 &&
	     EVP_PKEY_CTX_set_hkdf_md(
		     p, md == SM_PC_SHA384 ? EVP_sha384() : EVP_sha256()) > 0 &&
	     EVP_PKEY_CTX_set1_hkdf_salt(p, salt, (int)salt_len) > 0 &&
	     EVP_PKEY_CTX_set1_hkdf_key(p, ikm, (int)ikm_len) > 0 &&
	     EVP_PKEY_CTX_add1_hkdf_info(p, info, (int)info_len) > 0 &&
	     EVP_PKEY_derive(p, out, &len) > 0 && len == out_len;
	EVP_PKEY_CTX_free(p);
	if (!ok)
		sm_wipe(out, out_len);
	return ok ? 0 : -1;
}
