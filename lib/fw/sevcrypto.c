// SPDX-License-Identifier: MIT
/*
 * SEV transport crypto (shared/reference/sev-migration-protocol.md section
 * 2).  Everything here must produce the bytes AMD's firmware produces: the
 * SP 800-108 KDF of ASPFW nist_kdf.c, the session blob of
 * create_session/establish_channel and the packet MAC of
 * aesctr_hmac256_encrypt.  The section 2.7 vectors pin it.
 */
#include "fw/sevcrypto.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "base/bytes.h"
#include "base/ossl.h"
#include "base/util.h"

/* Offsets inside the 0x80-byte session blob (section 2.2). */
#define SESS_NONCE 0x00
#define SESS_WRAP_TK 0x10
#define SESS_WRAP_IV 0x30
#define SESS_WRAP_MAC 0x40
#define SESS_POLICY_MAC 0x60

/* Offsets inside the 0x34-byte packet header (section 2.4). */
#define HDR_FLAGS 0x00
#define HDR_IV 0x04
#define HDR_MAC 0x14

#define MAC_LEN 32

struct sm_pkt {
	EVP_CIPHER_CTX *ctr; /* AES-128-CTR keyed with TEK; IV set per packet */
	EVP_MAC_CTX *mac; /* HMAC-SHA256 keyed with TIK; re-init per packet */
};

/* A new HMAC-SHA256 context keyed with key, or NULL. */
static EVP_MAC_CTX *hmac_new(const uint8_t *key, size_t keylen)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *ctx;
	EVP_MAC *mac;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return NULL;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (!ctx)
		return NULL;
	if (EVP_MAC_init(ctx, key, keylen, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int hmac_final(EVP_MAC_CTX *ctx, uint8_t out[MAC_LEN])
{
	size_t n = 0;

	if (EVP_MAC_final(ctx, out, &n, MAC_LEN) != 1 || n != MAC_LEN)
		return -1;
	return 0;
}

/* One-shot HMAC-SHA256 of msg under key. */
static int hmac(const uint8_t *key, size_t keylen, const uint8_t *msg,
		size_t len, uint8_t out[MAC_LEN])
{
	EVP_MAC_CTX *ctx = hmac_new(key, keylen);
	int rc = -1;

	if (!ctx)
		return -1;
	if (EVP_MAC_update(ctx, msg, len) == 1 && hmac_final(ctx, out) == 0)
		rc = 0;
	EVP_MAC_CTX_free(ctx);
	return rc;
}

/* One-shot AES-128-CTR (encryption and decryption are the same). */
static int ctr(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
	       size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, f = 0, rc = -1;

	if (!c)
		return -1;
	if (EVP_EncryptInit_ex2(c, EVP_aes_128_ctr(), key, iv, NULL) == 1 &&
	    EVP_EncryptUpdate(c, out, &n, in, (int)len) == 1 &&
	    EVP_EncryptFinal_ex(c, out + n, &f) == 1 && (size_t)(n + f) == len)
		rc = 0;
	EVP_CIPHER_CTX_free(c); /* cleanses the key schedule */
	return rc;
}

int sm_kdf(const uint8_t *kin, size_t kin_len, const char *label,
	   const uint8_t *ctx, size_t ctx_len, uint8_t out[16])
{
	/*
	 * SP 800-108 counter mode with r = 32: K(1) = HMAC(Kin, le32(1) ||
	 * label || 0x00 || context || le32(L)), L = 128 bits, so one
	 * iteration gives the whole output.
	 */
	uint8_t cnt[4], bits[4], sep = 0, full[MAC_LEN];
	EVP_MAC_CTX *m;
	int rc = -1;

	if (!kin || !label || (ctx_len && !ctx))
		return -1;
	sm_put_le32(cnt, 1);
	sm_put_le32(bits, 128);
	m = hmac_new(kin, kin_len);
	if (!m)
		return -1;
	if (EVP_MAC_update(m, cnt, 4) != 1 ||
	    EVP_MAC_update(m, (const uint8_t *)label, strlen(label)) != 1 ||
	    EVP_MAC_update(m, &sep, 1) != 1 ||
	    (ctx_len && EVP_MAC_update(m, ctx, ctx_len) != 1) ||
	    EVP_MAC_update(m, bits, 4) != 1 || hmac_final(m, full) != 0)
		goto out;
	memcpy(out, full, 16);
	rc = 0;
out:
	EVP_MAC_CTX_free(m);
	sm_wipe(full, sizeof(full));
	return rc;
}

/* master_secret, then KEK and KIK from it (section 2.3). */
static int derive_kek_kik(const uint8_t *z, size_t z_len,
			  const uint8_t nonce[16], uint8_t kek[16],
			  uint8_t kik[16])
{
	uint8_t master[16];
	int rc = -1;

	if (sm_kdf(z, z_len, "sev-master-secret", nonce, 16, master) == 0 &&
	    sm_kdf(master, 16, "sev-kek", NULL, 0, kek) == 0 &&
	    sm_kdf(master, 16, "sev-kik", NULL, 0, kik) == 0)
		rc = 0;
	sm_wipe(master, sizeof(master));
	return rc;
}

int sm_session_build(const uint8_t *z, size_t z_len, const uint8_t nonce[16],
		     const uint8_t wrap_iv[16], const struct sm_tk *tk,
		     uint32_t policy, uint8_t blob[SM_SESSION_LEN],
		     struct sm_err *e)
{
	uint8_t kek[16], kik[16], tks[32], pol[4];
	int rc = -1;

	if (!z || !z_len || !nonce || !wrap_iv || !tk || !blob)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "building session blob: missing argument");
	if (derive_kek_kik(z, z_len, nonce, kek, kik) != 0) {
		sm_err_ossl(e, SM_EXIT_FAILURE,
			    "building session blob: key derivation failed");
		goto out;
	}
	memcpy(tks, tk->tek, 16);
	memcpy(tks + 16, tk->tik, 16);
	memset(blob, 0, SM_SESSION_LEN);
	memcpy(blob + SESS_NONCE, nonce, 16);
	memcpy(blob + SESS_WRAP_IV, wrap_iv, 16);
	sm_put_le32(pol, policy);
	if (ctr(kek, wrap_iv, tks, 32, blob + SESS_WRAP_TK) != 0 ||
	    hmac(kik, 16, blob + SESS_WRAP_TK, 32, blob + SESS_WRAP_MAC) != 0 ||
	    hmac(tk->tik, 16, pol, 4, blob + SESS_POLICY_MAC) != 0) {
		sm_err_ossl(e, SM_EXIT_FAILURE,
			    "building session blob: cipher failed");
		sm_wipe(blob, SM_SESSION_LEN);
		goto out;
	}
	rc = 0;
out:
	sm_wipe(kek, sizeof(kek));
	sm_wipe(kik, sizeof(kik));
	sm_wipe(tks, sizeof(tks));
	return rc;
}

int sm_session_open(const uint8_t *z, size_t z_len,
		    const uint8_t blob[SM_SESSION_LEN], uint32_t policy,
		    struct sm_tk *tk, struct sm_err *e)
{
	uint8_t kek[16], kik[16], tks[32], mac[MAC_LEN], pol[4];
	int rc = -1;

	if (!z || !z_len || !blob || !tk)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "opening session blob: missing argument");
	if (derive_kek_kik(z, z_len, blob + SESS_NONCE, kek, kik) != 0) {
		sm_err_ossl(e, SM_EXIT_FAILURE,
			    "opening session blob: key derivation failed");
		goto out;
	}
	/* Verify before unwrapping: nothing is decrypted under a bad MAC. */
	if (hmac(kik, 16, blob + SESS_WRAP_TK, 32, mac) != 0) {
		sm_err_ossl(e, SM_EXIT_FAILURE,
			    "opening session blob: HMAC failed");
		goto out;
	}
	if (sm_ct_memcmp(mac, blob + SESS_WRAP_MAC, MAC_LEN) != 0) {
		sm_err_set(e, SM_EXIT_VERIFY,
			   "opening session blob: WRAP_MAC does not verify "
			   "(the blob was not made for this PDH key, or was "
			   "altered)");
		goto out;
	}
	if (ctr(kek, blob + SESS_WRAP_IV, blob + SESS_WRAP_TK, 32, tks) != 0) {
		sm_err_ossl(e, SM_EXIT_FAILURE,
			    "opening session blob: cipher failed");
		goto out;
	}
	sm_put_le32(pol, policy);
	if (hmac(tks + 16, 16, pol, 4, mac) != 0) {
		sm_err_ossl(e, SM_EXIT_FAILURE,
			    "opening session blob: HMAC failed");
		goto out;
	}
	if (sm_ct_memcmp(mac, blob + SESS_POLICY_MAC, MAC_LEN) != 0) {
		sm_err_set(e, SM_EXIT_VERIFY,
			   "opening session blob: POLICY_MAC does not verify "
			   "for policy 0x%08x",
			   policy);
		goto out;
	}
	memcpy(tk->tek, tks, 16);
	memcpy(tk->tik, tks + 16, 16);
	rc = 0;
out:
	sm_wipe(kek, sizeof(kek));
	sm_wipe(kik, sizeof(kik));
	sm_wipe(tks, sizeof(tks));
	sm_wipe(mac, sizeof(mac));
	return rc;
}

int sm_pkt_new(struct sm_pkt **out, const struct sm_tk *tk, struct sm_err *e)
{
	struct sm_pkt *p;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	p->ctr = EVP_CIPHER_CTX_new();
	if (!p->ctr || EVP_EncryptInit_ex2(p->ctr, EVP_aes_128_ctr(), tk->tek,
					   NULL, NULL) != 1)
		goto err_free;
	p->mac = hmac_new(tk->tik, 16);
	if (!p->mac)
		goto err_free;
	*out = p;
	return 0;

err_free:
	sm_err_ossl(e, SM_EXIT_FAILURE, "setting up packet ciphers failed");
	sm_pkt_free(p);
	return -1;
}

void sm_pkt_free(struct sm_pkt *p)
{
	if (!p)
		return;
	/* Both free functions cleanse the key material they hold. */
	EVP_CIPHER_CTX_free(p->ctr);
	EVP_MAC_CTX_free(p->mac);
	free(p);
}

static int check_len(size_t len, const char *what, struct sm_err *e)
{
	if (len == 0 || len > 0x5000 || len % 16)
		return sm_err_set(e, SM_EXIT_FAILURE,
				  "%s: bad length %zu (must be a non-zero "
				  "multiple of 16, at most 0x5000)",
				  what, len);
	return 0;
}

/*
 * The packet MAC (ASPFW send_receive_update_aad_t): HMAC-SHA256 under TIK
 * of ctx 0x02 || flags || IV || uncompressed size || transport size ||
 * ciphertext; 29 bytes of AAD.  The key set at sm_pkt_new is reused:
 * EVP_MAC_init with a NULL key restarts HMAC with the same key.
 */
static int pkt_mac(struct sm_pkt *p, uint8_t ctx, uint32_t flags,
		   const uint8_t iv[16], const uint8_t *trans, size_t len,
		   const uint8_t *tail, size_t tail_len, uint8_t out[MAC_LEN])
{
	uint8_t aad[29];

	aad[0] = ctx;
	sm_put_le32(aad + 1, flags);
	memcpy(aad + 5, iv, 16);
	sm_put_le32(aad + 21, (uint32_t)len);
	sm_put_le32(aad + 25, (uint32_t)len);
	if (EVP_MAC_init(p->mac, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(p->mac, aad, sizeof(aad)) != 1 ||
	    EVP_MAC_update(p->mac, trans, len) != 1 ||
	    (tail_len && EVP_MAC_update(p->mac, tail, tail_len) != 1) ||
	    hmac_final(p->mac, out) != 0)
		return -1;
	return 0;
}

/* AES-128-CTR under the kept TEK, restarted at iv. */
static int pkt_ctr(struct sm_pkt *p, const uint8_t iv[16], const uint8_t *in,
		   size_t len, uint8_t *out)
{
	int n = 0;

	if (EVP_EncryptInit_ex2(p->ctr, NULL, NULL, iv, NULL) != 1 ||
	    EVP_EncryptUpdate(p->ctr, out, &n, in, (int)len) != 1 ||
	    (size_t)n != len)
		return -1;
	return 0;
}

static int seal(struct sm_pkt *p, uint8_t ctx, const uint8_t *tail,
		const uint8_t iv[16], uint32_t flags, const uint8_t *plain,
		size_t len, uint8_t *trans, uint8_t hdr[SM_PKT_HDR_LEN],
		struct sm_err *e)
{
	if (check_len(len, "sealing packet", e) != 0)
		return -1;
	if (flags & SM_PKT_FLAG_COMPRESSED)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "sealing packet: compressed packets are not "
				  "supported");
	if (pkt_ctr(p, iv, plain, len, trans) != 0)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "sealing packet: cipher failed");
	sm_put_le32(hdr + HDR_FLAGS, flags);
	memcpy(hdr + HDR_IV, iv, 16);
	if (pkt_mac(p, ctx, flags, iv, trans, len, tail, tail ? MAC_LEN : 0,
		    hdr + HDR_MAC) != 0)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "sealing packet: HMAC failed");
	return 0;
}

static int open_pkt(struct sm_pkt *p, uint8_t ctx, const uint8_t *tail,
		    const uint8_t hdr[SM_PKT_HDR_LEN], const uint8_t *trans,
		    size_t len, uint8_t *plain, struct sm_err *e)
{
	uint8_t mac[MAC_LEN];
	uint32_t flags = sm_get_le32(hdr + HDR_FLAGS);

	if (check_len(len, "opening packet", e) != 0)
		return -1;
	/* As the firmware: COMPRESSED is refused before the MAC check. */
	if (flags & SM_PKT_FLAG_COMPRESSED)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "opening packet: compressed packets are not "
				  "supported");
	if (pkt_mac(p, ctx, flags, hdr + HDR_IV, trans, len, tail,
		    tail ? MAC_LEN : 0, mac) != 0)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "opening packet: HMAC failed");
	if (sm_ct_memcmp(mac, hdr + HDR_MAC, MAC_LEN) != 0)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "opening packet: MAC does not verify (header "
				  "or data altered, or wrong session)");
	if (pkt_ctr(p, hdr + HDR_IV, trans, len, plain) != 0)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "opening packet: cipher failed");
	return 0;
}

int sm_pkt_seal(struct sm_pkt *p, const uint8_t iv[16], uint32_t flags,
		const uint8_t *plain, size_t len, uint8_t *trans,
		uint8_t hdr[SM_PKT_HDR_LEN], struct sm_err *e)
{
	return seal(p, SM_PKT_CTX_DATA, NULL, iv, flags, plain, len, trans, hdr,
		    e);
}

int sm_pkt_open(struct sm_pkt *p, const uint8_t hdr[SM_PKT_HDR_LEN],
		const uint8_t *trans, size_t len, uint8_t *plain,
		struct sm_err *e)
{
	return open_pkt(p, SM_PKT_CTX_DATA, NULL, hdr, trans, len, plain, e);
}

int sm_pkt_seal_secret(struct sm_pkt *p, const uint8_t measure[32],
		       const uint8_t iv[16], uint32_t flags,
		       const uint8_t *plain, size_t len, uint8_t *trans,
		       uint8_t hdr[SM_PKT_HDR_LEN], struct sm_err *e)
{
	return seal(p, SM_PKT_CTX_SECRET, measure, iv, flags, plain, len, trans,
		    hdr, e);
}

int sm_pkt_open_secret(struct sm_pkt *p, const uint8_t measure[32],
		       const uint8_t hdr[SM_PKT_HDR_LEN], const uint8_t *trans,
		       size_t len, uint8_t *plain, struct sm_err *e)
{
	return open_pkt(p, SM_PKT_CTX_SECRET, measure, hdr, trans, len, plain,
			e);
}

int sm_hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *msg,
		   size_t len, uint8_t out[32])
{
	return hmac(key, keylen, msg, len, out);
}
