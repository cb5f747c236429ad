// SPDX-License-Identifier: MIT
/*
 * fuzz-chain: sm_chain_verify on a chain built from the input.
 *
 * Input: one mode byte, then certificates back to back.  Each is taken as
 * a SEV certificate (0x824 bytes) when it parses as one, else as an AMD
 * certificate (its own size), and lands in the slot of its usage; the
 * first one that parses as neither ends the chain.  Mode bits 0-2: the
 * product (0 = detect, 1 naples .. 5 turin, 6-7 detect); bits 3-4: the
 * trust anchor (0 the built-in roots, 1 the chain's own ARK as --ark,
 * 2 that and the chain's ASK as the trusted ASK, 3 the product's built-in
 * ARK as --ark).  The verdict must be consistent with the per-link
 * statuses, a chain verified against the built-in roots must end in
 * one of them, and sevmig-certs verify -J can always report the result
 * (sm_bundle_verify_report).
 */
#include "fuzz-common.h"

#include "certs/bundle.h"
#include "certs/cert.h"
#include "certs/roots.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_init();
	return 0;
}

static void place(struct sm_chain *ch, const struct sm_sev_cert *s)
{
	switch (s->usage) {
	case SM_USAGE_PDH:
		ch->pdh = *s;
		ch->have |= SM_HAVE_PDH;
		break;
	case SM_USAGE_PEK:
		ch->pek = *s;
		ch->have |= SM_HAVE_PEK;
		break;
	case SM_USAGE_OCA:
		ch->oca = *s;
		ch->have |= SM_HAVE_OCA;
		break;
	case SM_USAGE_CEK:
		ch->cek = *s;
		ch->have |= SM_HAVE_CEK;
		break;
	default:
		fz_fail("parsed SEV usage 0x%x", s->usage);
	}
}

static void build(const uint8_t *p, size_t n, struct sm_chain *ch)
{
	struct sm_sev_cert s;
	struct sm_amd_cert a;
	struct sm_err e;
	size_t used;

	while (n) {
		if (n >= SM_SEV_CERT_LEN &&
		    sm_sev_cert_parse(p, SM_SEV_CERT_LEN, &s, &e) == 0) {
			place(ch, &s);
			used = SM_SEV_CERT_LEN;
		} else if (sm_amd_cert_parse(p, n, &a, &used, &e) == 0) {
			if (a.usage == SM_USAGE_ASK) {
				ch->ask = a;
				ch->have |= SM_HAVE_ASK;
			} else {
				ch->ark = a;
				ch->have |= SM_HAVE_ARK;
			}
		} else {
			return;
		}
		if (!used || used > n)
			fz_fail("a certificate of %zu bytes in %zu", used, n);
		p += used;
		n -= used;
	}
}

static int builtin_ark(const struct sm_amd_cert *ark)
{
	return sm_roots_product_of_ark(ark) != SM_PRODUCT_UNKNOWN ||
	       sm_amd_cert_is_known_unsigned_ark(ark);
}

static void report(const struct sm_chain *ch, const struct sm_verify_result *r)
{
	struct sm_bundle_info info;
	struct sm_err e;
	char *text = NULL;

	memset(&info, 0, sizeof(info));
	snprintf(info.source, sizeof(info.source), "fuzz");
	if (sm_bundle_verify_report(ch, &info, r, "fuzz", &text, &e) < 0)
		fz_fail("verify report: %s", e.msg);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sm_chain ch; /* 11 KiB: keep it off the stack */
	struct sm_verify_result r;
	struct sm_trust t = { NULL, NULL, SM_PRODUCT_UNKNOWN };
	const struct sm_trust *tp = NULL;
	struct sm_err e;
	unsigned mode;
	int rc, l, all_ok = 1;

	if (size < 1)
		return 0;
	fz_quiet();
	mode = data[0];
	memset(&ch, 0, sizeof(ch));
	build(data + 1, size - 1, &ch);
	if ((mode & 7) <= SM_PRODUCT_TURIN && (mode & 7)) {
		t.product = (enum sm_product)(mode & 7);
		tp = &t;
	}
	switch ((mode >> 3) & 3) {
	case 1:
	case 2:
		if (!(ch.have & SM_HAVE_ARK))
			break;
		t.ark = &ch.ark;
		if (((mode >> 3) & 3) == 2 && (ch.have & SM_HAVE_ASK))
			t.ask = &ch.ask;
		tp = &t;
		break;
	case 3:
		t.ark = sm_roots_ark(t.product ? t.product : SM_PRODUCT_MILAN);
		tp = &t;
		break;
	}

	rc = sm_chain_verify(&ch, tp, &r, &e);
	for (l = 0; l < SM_LINK_COUNT; l++) {
		if (r.status[l] > SM_LINK_UNSIGNED)
			fz_fail("link %d has status %d", l, (int)r.status[l]);
		if (!memchr(r.reason[l], '\0', sizeof(r.reason[l])))
			fz_fail("link %d reason not terminated", l);
		if (r.status[l] != SM_LINK_OK) {
			all_ok = 0;
			if (!r.reason[l][0])
				fz_fail("link %s is %s without a reason",
					sm_link_name(l),
					sm_link_status_name(r.status[l]));
		}
	}
	if ((rc == 0) != r.ok || r.ok != all_ok)
		fz_fail("rc %d, ok %d, every link ok %d", rc, r.ok, all_ok);
	if (rc < 0)
		fz_check_err(&e, FZ(SM_EXIT_VERIFY), "chain");
	if (rc == 0 && ch.have != SM_HAVE_ALL &&
	    (ch.have &
	     (SM_HAVE_PDH | SM_HAVE_PEK | SM_HAVE_OCA | SM_HAVE_CEK)) !=
		    (SM_HAVE_PDH | SM_HAVE_PEK | SM_HAVE_OCA | SM_HAVE_CEK))
		fz_fail("a chain without every platform certificate verified");
	if (rc == 0 && !t.ark && (ch.have & SM_HAVE_ARK) &&
	    !builtin_ark(&ch.ark))
		fz_fail("a chain verified against the built-in roots with a foreign ARK");
	report(&ch, &r);
	fz_loud();
	return 0;
}
