// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for sm_certs_load_buf, the certificate parsers and
 * sm_chain_verify.  The first byte picks a mode, so that the fuzzer reaches
 * deep into the formats without real certificates in the corpus:
 *   0: the rest as it is (bundle, QEMU reply, hex text, binary);
 *   1: the rest xor-ed over a built-in ASK||ARK (AMD parser, RSA-PSS);
 *   2: the rest laid over a SEV certificate header (version 1, a usage,
 *      an algorithm, curve P-384) and loaded as one certificate;
 *   3: the rest as three such certificates (PEK||OCA||CEK).
 * Whatever loads is verified, encoded, decoded and compared.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "certs/bundle.h"
#include "certs/cert.h"
#include "certs/roots.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t sev_skeleton(uint8_t *out, const uint8_t *d, size_t n,
			   uint32_t usage)
{
	size_t i;

	memset(out, 0, SM_SEV_CERT_LEN);
	for (i = 0; i < n && i < SM_SEV_CERT_LEN; i++)
		out[i] = d[i];
	sm_put_le32(out, 1);
	sm_put_le32(out + 8, usage);
	sm_put_le32(out + 0xC, usage == SM_USAGE_PDH ? SM_ALGO_ECDH_SHA256 :
						       SM_ALGO_ECDSA_SHA256);
	sm_put_le32(out + 0x10, SM_CURVE_P384);
	sm_put_le32(out + 0x61C, SM_USAGE_INVALID);
	return SM_SEV_CERT_LEN;
}

static void check(const uint8_t *buf, size_t len)
{
	static struct sm_chain ch, ch2;
	struct sm_bundle_info info, info2;
	struct sm_verify_result r;
	struct sm_err e;
	char *text;

	memset(&ch, 0, sizeof(ch));
	memset(&info, 0, sizeof(info));
	if (sm_certs_load_buf(buf, len, "fuzz", &ch, &info, &e) < 0)
		return;
	(void)sm_chain_verify(&ch, NULL, &r, &e);
	if (sm_bundle_encode(&ch, &info, &text, &e) < 0)
		return;
	if (sm_bundle_decode(text, strlen(text), &ch2, &info2, &e) < 0 ||
	    ch2.have != ch.have)
		abort(); /* what we encode must decode to the same chain */
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[3 * SM_SEV_CERT_LEN + 2 * SM_AMD_CERT_MAX];
	static const uint32_t usages[] = { SM_USAGE_PDH, SM_USAGE_PEK,
					   SM_USAGE_OCA, SM_USAGE_CEK };
	const struct sm_amd_cert *ask, *ark;
	size_t i, n;

	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		check(data + 1, size - 1);
		break;
	case 1:
		ask = sm_roots_ask((enum sm_product)(1 + data[0] % 5));
		ark = sm_roots_ark((enum sm_product)(1 + data[0] % 5));
		if (!ask || !ark)
			return 0;
		memcpy(buf, ask->raw, ask->len);
		memcpy(buf + ask->len, ark->raw, ark->len);
		n = ask->len + ark->len;
		for (i = 1; i < size && i - 1 < n; i++)
			buf[i - 1] ^= data[i];
		check(buf, n);
		break;
	case 2:
		n = sev_skeleton(buf, data + 1, size - 1,
				 usages[(data[0] >> 2) & 3]);
		check(buf, n);
		break;
	default:
		for (i = 0; i < 3; i++)
			sev_skeleton(buf + i * SM_SEV_CERT_LEN,
				     data + 1 + i * SM_SEV_CERT_LEN / 4,
				     size - 1 > i * SM_SEV_CERT_LEN / 4 ?
					     size - 1 -
						     i * SM_SEV_CERT_LEN / 4 :
					     0,
				     usages[i + 1]);
		check(buf, 3 * SM_SEV_CERT_LEN);
		break;
	}
	return 0;
}
