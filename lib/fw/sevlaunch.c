// SPDX-License-Identifier: MIT
/*
 * SEV launch crypto (sevlaunch.h): the LAUNCH_MEASURE HMAC and the
 * LAUNCH_SECRET packet, byte for byte as the firmware and virtee's sevctl
 * compute them (ASPFW sev_channel_hmac with ctx MEASURE 0x04 and SECRET
 * 0x01; SEV API sections 6.5 and 6.6).
 */
#include "fw/sevlaunch.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "base/bytes.h"
#include "base/ossl.h"

#define CTX_SECRET 0x01
#define CTX_MEASURE 0x04

/* HMAC-SHA256 under a 16-byte key over the concatenation of n parts. */
static int hmac_parts(const uint8_t key[SM_LAUNCH_KEY_LEN],
		      const uint8_t *const *p, const size_t *len, size_t n,
		      uint8_t out[32])
{
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;
	OSSL_PARAM params[2];
	size_t i, outl = 0;
	int rc = -1;

	params[0] =
		OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return -1;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (!ctx || EVP_MAC_init(ctx, key, SM_LAUNCH_KEY_LEN, params) != 1)
		goto out;
	for (i = 0; i < n; i++)
		if (len[i] && EVP_MAC_update(ctx, p[i], len[i]) != 1)
			goto out;
	if (EVP_MAC_final(ctx, out, &outl, 32) == 1 && outl == 32)
		rc = 0;
out:
	EVP_MAC_CTX_free(ctx); /* cleanses the key */
	return rc;
}

int sm_launch_measure(const uint8_t tik[SM_LAUNCH_KEY_LEN],
		      const struct sm_launch_info *li,
		      const uint8_t ld[SM_LAUNCH_DIGEST_LEN],
		      const uint8_t mnonce[SM_MNONCE_LEN],
		      uint8_t measure[SM_MEASURE_LEN], struct sm_err *e)
{
	uint8_t head[8];
	const uint8_t *p[3] = { head, ld, mnonce };
	const size_t len[3] = { sizeof(head), SM_LAUNCH_DIGEST_LEN,
				SM_MNONCE_LEN };

	head[0] = CTX_MEASURE;
	head[1] = li->api_major;
	head[2] = li->api_minor;
	head[3] = li->build;
	sm_put_le32(head + 4, li->policy);
	if (hmac_parts(tik, p, len, 3, measure) < 0)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot compute the launch measurement");
	return 0;
}

int sm_launch_secret_seal(const uint8_t tek[SM_LAUNCH_KEY_LEN],
			  const uint8_t tik[SM_LAUNCH_KEY_LEN],
			  const uint8_t iv[SM_SECRET_IV_LEN], uint32_t flags,
			  const uint8_t *plain, size_t len,
			  const uint8_t measure[SM_MEASURE_LEN], uint8_t *trans,
			  uint8_t hdr[SM_SECRET_HDR_LEN], struct sm_err *e)
{
	EVP_CIPHER_CTX *c;
	uint8_t aad[1 + 4 + SM_SECRET_IV_LEN + 4 + 4];
	const uint8_t *p[3] = { aad, trans, measure };
	const size_t plen[3] = { sizeof(aad), len, SM_MEASURE_LEN };
	int n = 0, f = 0, ok;

	if (len % 16 || len > 0x7fffffffu)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "a launch secret of %zu bytes is not a "
				  "multiple of 16",
				  len);
	c = EVP_CIPHER_CTX_new();
	ok = c &&
	     EVP_EncryptInit_ex2(c, EVP_aes_128_ctr(), tek, iv, NULL) == 1 &&
	     EVP_EncryptUpdate(c, trans, &n, plain, (int)len) == 1 &&
	     EVP_EncryptFinal_ex(c, trans + n, &f) == 1 &&
	     (size_t)(n + f) == len;
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot encrypt the launch secret");
	aad[0] = CTX_SECRET;
	sm_put_le32(aad + 1, flags);
	memcpy(aad + 5, iv, SM_SECRET_IV_LEN);
	sm_put_le32(aad + 5 + SM_SECRET_IV_LEN, (uint32_t)len);
	sm_put_le32(aad + 9 + SM_SECRET_IV_LEN, (uint32_t)len);
	sm_put_le32(hdr, flags);
	memcpy(hdr + 4, iv, SM_SECRET_IV_LEN);
	if (hmac_parts(tik, p, plen, 3, hdr + 4 + SM_SECRET_IV_LEN) < 0)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot compute the launch secret's MAC");
	return 0;
}
