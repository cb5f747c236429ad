// SPDX-License-Identifier: MIT
/*
 * fuzz-snp-target: an SEV-SNP target bundle as it comes from a file or
 * from a remote `sevmig-certs fetch` over ssh (sm_snp_target_decode),
 * then, when it decodes, its verification (sm_snp_target_verify) with
 * AMD's pinned roots and with the chain's own ARK named as --ark.
 *
 * Contracts: every failure has a message and an allowed exit class; a
 * bundle that decodes encodes again (sm_snp_target_encode) to a document
 * that decodes to the same parts; a verification that says ok has every
 * check ok and a key binding check among them; its -J form can always be
 * written.
 */
#include "fuzz-common.h"

#include <stdlib.h>

#include "certs/snp-target.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_init();
	return 0;
}

static void same(const struct sm_snp_target *a, const struct sm_snp_target *b)
{
	if (memcmp(a->report, b->report, sizeof(a->report)) ||
	    memcmp(a->pub, b->pub, sizeof(a->pub)) ||
	    memcmp(a->nonce, b->nonce, sizeof(a->nonce)) ||
	    a->vcek_len != b->vcek_len ||
	    memcmp(a->vcek, b->vcek, a->vcek_len) ||
	    strcmp(a->chain, b->chain) || strcmp(a->source, b->source) ||
	    strcmp(a->host, b->host))
		fz_fail("a bundle does not decode to what it encoded");
}

static void verify(const struct sm_snp_target *t,
		   const struct sm_snp_target_opts *o, const char *what)
{
	static struct sm_snp_verify_result res;
	struct sm_err e, je;
	size_t i;
	int rc, binding = 0;
	char *json;

	rc = sm_snp_target_verify(t, o, &res, &e);
	if (rc < 0)
		fz_check_err(&e,
			     FZ(SM_EXIT_VERIFY) | FZ(SM_EXIT_UNSUPPORTED) |
				     FZ(SM_EXIT_FAILURE),
			     what);
	for (i = 0; i < res.nchecks; i++) {
		if (rc == 0 && !res.checks[i].ok)
			fz_fail("%s: ok with a failed check '%s'", what,
				res.checks[i].name);
		if (!strcmp(res.checks[i].name, "key binding"))
			binding = 1;
	}
	if (rc == 0 && (!res.ok || !binding))
		fz_fail("%s: ok without the key binding check", what);
	json = sm_snp_verify_json(&res, "fuzz", &je);
	if (!json)
		fz_fail("%s: no -J form: %s", what, je.msg);
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sm_snp_target t, back;
	struct sm_snp_target_opts o;
	struct sm_err e;
	const char *ark;
	char *text;

	fz_quiet();
	if (sm_snp_target_decode((const char *)data, size, "fuzz", &t, &e) <
	    0) {
		fz_check_err(&e, FZ(SM_EXIT_VERIFY) | FZ(SM_EXIT_UNSUPPORTED),
			     "decode");
		fz_loud();
		return 0;
	}
	text = sm_snp_target_encode(&t, &e);
	if (!text)
		fz_fail("a decoded bundle does not encode: %s", e.msg);
	if (sm_snp_target_decode(text, strlen(text), "again", &back, &e) < 0)
		fz_fail("an encoded bundle does not decode: %s", e.msg);
	free(text);
	same(&t, &back);

	memset(&o, 0, sizeof(o));
	verify(&t, &o, "verify (AMD's roots)");
	/* the chain's own ARK as the anchor: the rest of the checks run */
	ark = strstr(t.chain + 1, "-----BEGIN CERTIFICATE-----");
	if (ark) {
		o.ark_buf = (const uint8_t *)ark;
		o.ark_len = strlen(ark);
		verify(&t, &o, "verify (--ark)");
	}
	fz_loud();
	return 0;
}
