// SPDX-License-Identifier: MIT
/*
 * fuzz-bundle: everything sevmig accepts where a certificate bundle is
 * expected, as it comes from another host or a file: the bundle JSON
 * (sm_bundle_decode), and every format sm_certs_load_buf detects (bundle,
 * QEMU's query-sev-capabilities reply bare or as {"return": ...}, QEMU's
 * error reply, hex text, one SEV certificate, PEK||OCA||CEK,
 * PDH||PEK||OCA||CEK, sevctl's full export, ASK||ARK, one AMD
 * certificate).
 *
 * Oracle: whatever is accepted can be written out again as a bundle
 * (sm_bundle_encode), and that bundle decodes to the same certificates
 * and information; a bundle that decodes is read the same way by
 * sm_certs_load_buf; sevmig-certs show -J can report what was loaded,
 * or why it was refused (sm_bundle_show_report).
 */
#include "fuzz-common.h"

#include "certs/bundle.h"
#include "certs/cert.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_init();
	return 0;
}

static int amd_eq(const struct sm_amd_cert *a, const struct sm_amd_cert *b)
{
	return a->len == b->len && !memcmp(a->raw, b->raw, a->len) &&
	       a->usage == b->usage && a->has_signature == b->has_signature;
}

static void same_chain(const struct sm_chain *a, const struct sm_chain *b,
		       const char *what)
{
	if (a->have != b->have)
		fz_fail("%s: have 0x%x, then 0x%x", what, a->have, b->have);
	if (((a->have & SM_HAVE_PDH) &&
	     memcmp(a->pdh.raw, b->pdh.raw, SM_SEV_CERT_LEN)) ||
	    ((a->have & SM_HAVE_PEK) &&
	     memcmp(a->pek.raw, b->pek.raw, SM_SEV_CERT_LEN)) ||
	    ((a->have & SM_HAVE_OCA) &&
	     memcmp(a->oca.raw, b->oca.raw, SM_SEV_CERT_LEN)) ||
	    ((a->have & SM_HAVE_CEK) &&
	     memcmp(a->cek.raw, b->cek.raw, SM_SEV_CERT_LEN)) ||
	    ((a->have & SM_HAVE_ASK) && !amd_eq(&a->ask, &b->ask)) ||
	    ((a->have & SM_HAVE_ARK) && !amd_eq(&a->ark, &b->ark)))
		fz_fail("%s: the certificates differ", what);
}

static void same_info(const struct sm_bundle_info *a,
		      const struct sm_bundle_info *b, const char *what)
{
	if (a->product != b->product || a->chip_id_len != b->chip_id_len ||
	    memcmp(a->chip_id, b->chip_id, a->chip_id_len) ||
	    a->have_api != b->have_api ||
	    (a->have_api &&
	     (a->api_major != b->api_major || a->api_minor != b->api_minor)) ||
	    strcmp(a->source, b->source))
		fz_fail("%s: the information differs", what);
}

/* Encode what was read, decode it again: the same chain and info. */
static void round_trip(const struct sm_chain *ch,
		       const struct sm_bundle_info *info, const char *what)
{
	static struct sm_chain back;
	struct sm_bundle_info bi;
	struct sm_err e;
	char *text = NULL;

	if (!memchr(info->source, '\0', sizeof(info->source)))
		fz_fail("%s: source not terminated", what);
	if (info->chip_id_len > SM_CHIP_ID_MAX)
		fz_fail("%s: chip id of %zu bytes", what, info->chip_id_len);
	if (sm_bundle_encode(ch, info, &text, &e) < 0)
		fz_fail("%s: cannot encode what was accepted: %s", what, e.msg);
	memset(&back, 0, sizeof(back));
	memset(&bi, 0, sizeof(bi));
	if (sm_bundle_decode(text, strlen(text), &back, &bi, &e) < 0)
		fz_fail("%s: cannot decode its own bundle: %s", what, e.msg);
	same_chain(ch, &back, what);
	same_info(info, &bi, what);
	free(text);
}

/* sevmig-certs show -J of the input: never fails, whatever was read. */
static void show(const struct sm_chain *ch, const struct sm_bundle_info *info,
		 const struct sm_err *err)
{
	struct sm_show_item it = { "fuzz", err ? NULL : ch, err ? NULL : info,
				   err };
	struct sm_err e;
	char *text = NULL;

	if (sm_bundle_show_report(&it, 1, &text, &e) < 0)
		fz_fail("show report: %s (%s)", e.msg,
			err ? err->msg : "loaded");
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sm_chain ch, ch2;
	struct sm_bundle_info info, info2;
	struct sm_err e;
	int decoded;

	fz_quiet();
	memset(&ch, 0, sizeof(ch));
	memset(&info, 0, sizeof(info));
	decoded = sm_bundle_decode((const char *)data, size, &ch, &info, &e) ==
		  0;
	if (decoded)
		round_trip(&ch, &info, "bundle");
	else
		fz_check_err(&e, FZ(SM_EXIT_VERIFY) | FZ(SM_EXIT_UNSUPPORTED),
			     "decode");

	memset(&ch2, 0, sizeof(ch2));
	memset(&info2, 0, sizeof(info2));
	if (sm_certs_load_buf(data, size, "fuzz", &ch2, &info2, &e) == 0) {
		round_trip(&ch2, &info2, "load");
		show(&ch2, &info2, NULL);
	} else {
		fz_check_err(&e, FZ(SM_EXIT_VERIFY) | FZ(SM_EXIT_UNSUPPORTED),
			     "load");
		show(NULL, NULL, &e);
		if (decoded)
			fz_fail("a bundle that decodes does not load: %s",
				e.msg);
	}
	if (decoded)
		same_chain(&ch, &ch2, "decode vs load");
	fz_loud();
	return 0;
}
