// SPDX-License-Identifier: MIT
/*
 * fuzz-sev-cert: one SEV-format certificate (PDH, PEK, OCA, CEK) as it
 * arrives from a platform, a bundle or the network.  The input is parsed
 * (sm_sev_cert_parse, sm_sev_cert_pdh_sane); a certificate that parses is
 * then verified every way the library can: by itself, by a fixed OCA the
 * harness made, as the signer of a certificate carrying its usage in a
 * slot (so the fuzzed public key reaches OpenSSL), by every built-in AMD
 * ASK, and as the peer of an ECDH.
 */
#include "fuzz-common.h"

#include "base/bytes.h"
#include "certs/cert.h"
#include "certs/roots.h"

#define SLOT_USAGE(i) (0x414 + (i)*0x208)
#define SLOT_ALGO(i) (0x418 + (i)*0x208)

static struct sm_key *key; /* the fixed OCA's key, also the ECDH side */
static struct sm_sev_cert oca; /* self-signed by key */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sm_err e;

	(void)argc;
	(void)argv;
	fz_log_init();
	if (sm_key_generate_ec(&key, &e) < 0 ||
	    sm_sev_cert_init(&oca, key, SM_USAGE_OCA, SM_ALGO_ECDSA_SHA256, 1,
			     51, &e) < 0 ||
	    sm_sev_cert_sign(&oca, 0, key, SM_USAGE_OCA, &e) < 0 ||
	    sm_sev_cert_verify(&oca, &oca, &e) < 0)
		fz_fail("cannot make the fixed OCA: %s", e.msg);
	return 0;
}

/*
 * The fixed OCA with slot 2 claiming a signature by c's usage and
 * algorithm (the bytes are the OCA's own signature, so it must not
 * verify); 0 when c cannot sign at all.
 */
static int signed_by(const struct sm_sev_cert *c, struct sm_sev_cert *out)
{
	uint8_t raw[SM_SEV_CERT_LEN];
	struct sm_err e;

	memcpy(raw, oca.raw, sizeof(raw));
	sm_put_le32(raw + SLOT_USAGE(1), c->usage);
	sm_put_le32(raw + SLOT_ALGO(1), c->algo);
	memcpy(raw + SLOT_USAGE(1) + 8, raw + SLOT_USAGE(0) + 8, 0x200);
	return sm_sev_cert_parse(raw, sizeof(raw), out, &e) == 0;
}

static void verify_all(const struct sm_sev_cert *c)
{
	struct sm_sev_cert subject;
	struct sm_err e;
	uint8_t fp[48], z[48], x[48], y[48];
	char desc[32];
	size_t fplen;
	int p;

	sm_sev_cert_fingerprint(c, fp, &fplen);
	if (fplen != 32 && fplen != 48)
		fz_fail("fingerprint of %zu bytes", fplen);
	(void)sm_sev_cert_is_unsigned(c);
	sm_sev_cert_pubkey(c, x, y);
	if (strlen(sm_sev_cert_key_desc(c, desc, sizeof(desc))) >= 16)
		fz_fail("key description '%s'", desc);
	(void)sm_usage_name(c->usage);
	(void)sm_algo_name(c->algo);

	if (sm_sev_cert_verify(c, c, &e) < 0)
		fz_check_err(&e, FZ(SM_EXIT_VERIFY), "self");
	if (sm_sev_cert_verify(&oca, c, &e) < 0)
		fz_check_err(&e, FZ(SM_EXIT_VERIFY), "by the fixed OCA");
	if (signed_by(c, &subject)) {
		if (sm_sev_cert_verify(c, &subject, &e) < 0)
			fz_check_err(&e, FZ(SM_EXIT_VERIFY), "as a signer");
	}
	for (p = SM_PRODUCT_NAPLES; p < SM_PRODUCT_COUNT; p++) {
		const struct sm_amd_cert *ask = sm_roots_ask(p);

		if (!ask)
			fz_fail("no built-in ASK for %s", sm_product_name(p));
		if (sm_sev_cert_verify_by_amd(ask, c, &e) < 0)
			fz_check_err(&e, FZ(SM_EXIT_VERIFY), "by an ASK");
	}
	if (c->usage == SM_USAGE_PDH) {
		if (sm_key_ecdh(key, c, z, &e) < 0)
			fz_check_err(&e,
				     FZ(SM_EXIT_VERIFY) | FZ(SM_EXIT_FAILURE),
				     "ecdh");
	}
	(void)sm_key_matches_sev_cert(key, c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sm_sev_cert c;
	struct sm_err e;
	int sane;

	fz_quiet();
	sane = sm_sev_cert_pdh_sane(data, size, &e) == 0;
	if (!sane)
		fz_check_err(&e, FZ(SM_EXIT_VERIFY), "pdh_sane");
	if (sm_sev_cert_parse(data, size, &c, &e) < 0) {
		fz_check_err(&e, FZ(SM_EXIT_VERIFY), "parse");
		if (sane)
			fz_fail("a sane PDH that does not parse");
		goto out;
	}
	if (memcmp(c.raw, data, SM_SEV_CERT_LEN))
		fz_fail("parse changed the bytes");
	if (sane && c.usage != SM_USAGE_PDH)
		fz_fail("a sane PDH of usage %s", sm_usage_name(c.usage));
	verify_all(&c);
out:
	fz_loud();
	return 0;
}
