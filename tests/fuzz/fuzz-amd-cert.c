// SPDX-License-Identifier: MIT
/*
 * fuzz-amd-cert: an AMD-format certificate (ARK or ASK, 832 or 1600
 * bytes, or the 576-byte unsigned Naples ARK), or ASK||ARK as AMD ships
 * them.  The input is split the way a loader does (sm_amd_cert_parse with
 * *used, then the rest); what parses is verified by itself, by every
 * built-in ARK, as the ARK of every built-in ASK (a fuzzed RSA key reaches
 * OpenSSL), by the second certificate of the file, and as the ASK of a
 * CEK whose slots claim an ASK signature of either size.
 */
#include "fuzz-common.h"

#include "base/bytes.h"
#include "certs/cert.h"
#include "certs/roots.h"

/* A CEK claiming RSA_SHA256 (slot 1) and RSA_SHA384 (slot 2) by an ASK. */
static struct sm_sev_cert cek;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t raw[SM_SEV_CERT_LEN];
	struct sm_sev_cert blank;
	struct sm_key *k;
	struct sm_err e;

	(void)argc;
	(void)argv;
	fz_log_init();
	/* A real P-384 point: a key off the curve is refused when parsed. */
	if (sm_key_generate_ec(&k, &e) ||
	    sm_sev_cert_init(&blank, k, SM_USAGE_CEK, SM_ALGO_ECDSA_SHA256, 0,
			     14, &e))
		fz_fail("cannot make a CEK key: %s", e.msg);
	sm_key_free(k);
	memcpy(raw, blank.raw, sizeof(raw));
	memset(raw + 0x414, 0, sizeof(raw) - 0x414);
	sm_put_le32(raw + 0x414, SM_USAGE_ASK);
	sm_put_le32(raw + 0x418, SM_ALGO_RSA_SHA256);
	memset(raw + 0x41C, 0x3c, 256);
	sm_put_le32(raw + 0x61C, SM_USAGE_ASK);
	sm_put_le32(raw + 0x620, SM_ALGO_RSA_SHA384);
	memset(raw + 0x624, 0xc3, 512);
	if (sm_sev_cert_parse(raw, sizeof(raw), &cek, &e) < 0)
		fz_fail("cannot make the fixed CEK: %s", e.msg);
	return 0;
}

static void check_parsed(const struct sm_amd_cert *c, const uint8_t *buf,
			 size_t len, size_t used)
{
	if (used > len || used != c->len || c->len > sizeof(c->raw))
		fz_fail("parse used %zu of %zu bytes, len %zu", used, len,
			c->len);
	if (memcmp(c->raw, buf, used))
		fz_fail("parse changed the bytes");
	if (!c->has_signature &&
	    (used != len || used != SM_AMD_CERT_NAPLES_BAD))
		fz_fail("an unsigned certificate of %zu bytes in %zu", used,
			len);
	if (c->usage != SM_USAGE_ARK && c->usage != SM_USAGE_ASK)
		fz_fail("parsed usage 0x%x", c->usage);
}

static void verify_all(const struct sm_amd_cert *c,
		       const struct sm_amd_cert *next)
{
	struct sm_err e;
	uint8_t fp[48], n[SM_AMD_CERT_MAX];
	uint64_t exp;
	char desc[32];
	size_t fplen;
	int p;

	sm_amd_cert_fingerprint(c, fp, &fplen);
	if (fplen != 32 && fplen != 48)
		fz_fail("fingerprint of %zu bytes", fplen);
	(void)sm_amd_cert_is_known_unsigned_ark(c);
	sm_amd_cert_pubkey(c, n, &exp);
	if (strlen(sm_amd_cert_key_desc(c, desc, sizeof(desc))) >= 16)
		fz_fail("key description '%s'", desc);
	(void)sm_roots_product_of_ark(c);

	if (sm_amd_cert_verify(c, c, &e) < 0)
		fz_check_err(&e, FZ(SM_EXIT_VERIFY), "self");
	for (p = SM_PRODUCT_NAPLES; p < SM_PRODUCT_COUNT; p++) {
		const struct sm_amd_cert *ark = sm_roots_ark(p);
		const struct sm_amd_cert *ask = sm_roots_ask(p);

		if (!ark || !ask)
			fz_fail("no built-in roots for %s", sm_product_name(p));
		if (sm_amd_cert_verify(ark, c, &e) < 0)
			fz_check_err(&e, FZ(SM_EXIT_VERIFY), "by a root");
		if (sm_amd_cert_verify(c, ask, &e) < 0)
			fz_check_err(&e, FZ(SM_EXIT_VERIFY), "as a root");
	}
	if (next && sm_amd_cert_verify(next, c, &e) < 0)
		fz_check_err(&e, FZ(SM_EXIT_VERIFY), "by the next");
	if (sm_sev_cert_verify_by_amd(c, &cek, &e) < 0)
		fz_check_err(&e, FZ(SM_EXIT_VERIFY), "as the ASK of a CEK");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sm_amd_cert a, b;
	struct sm_err e;
	size_t used = 0, used2 = 0;
	int have_b = 0;

	fz_quiet();
	if (sm_amd_cert_parse(data, size, &a, &used, &e) < 0) {
		fz_check_err(&e, FZ(SM_EXIT_VERIFY), "parse");
		goto out;
	}
	check_parsed(&a, data, size, used);
	if (used < size) {
		if (sm_amd_cert_parse(data + used, size - used, &b, &used2,
				      &e) == 0) {
			check_parsed(&b, data + used, size - used, used2);
			have_b = 1;
		} else {
			fz_check_err(&e, FZ(SM_EXIT_VERIFY), "parse second");
		}
	}
	verify_all(&a, have_b ? &b : NULL);
	if (have_b)
		verify_all(&b, NULL);
out:
	fz_loud();
	return 0;
}
