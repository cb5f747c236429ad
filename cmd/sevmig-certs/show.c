// SPDX-License-Identifier: MIT
/* sevmig-certs show: decode certificates and bundles. */
#include "certs.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static void show_usage(void)
{
	fputs("Usage:\n " CERTS_SHOW_SYNOPSIS "\n"
	      "\nDecode SEV and AMD certificates, chains and bundles.\n"
	      "\nOptions:\n"
	      " -J, --json            print one JSON document\n" CERTS_COMMON_HELP,
	      stdout);
}

#define FIELD "  %-15s "

static void hexline(const char *name, const uint8_t *d, size_t n)
{
	char *hex = malloc(2 * n + 1);

	if (!hex)
		return;
	sm_hex_encode(d, n, hex);
	printf(FIELD "%s\n", name, hex);
	free(hex);
}

static void show_sev(const struct sm_sev_cert *c)
{
	uint8_t x[48], y[48];
	char key[32], fp[97];
	int i;

	sm_sev_cert_pubkey(c, x, y);
	printf("%s (SEV certificate)\n", sm_usage_name(c->usage));
	printf(FIELD "%u\n", "version", c->version);
	printf(FIELD "%u.%u\n", "api", c->api_major, c->api_minor);
	printf(FIELD "%s (0x%x)\n", "usage", sm_usage_name(c->usage), c->usage);
	printf(FIELD "%s (0x%x)\n", "algorithm", sm_algo_name(c->algo),
	       c->algo);
	printf(FIELD "EC P-384 (%s)\n", "key",
	       sm_sev_cert_key_desc(c, key, sizeof(key)));
	hexline("key x", x, sizeof(x));
	hexline("key y", y, sizeof(y));
	for (i = 0; i < 2; i++) {
		char name[16];

		snprintf(name, sizeof(name), "signature %d", i + 1);
		if (c->sig_usage[i] == SM_USAGE_INVALID &&
		    c->sig_algo[i] == SM_ALGO_NONE)
			printf(FIELD "empty\n", name);
		else
			printf(FIELD "by %s, %s\n", name,
			       sm_usage_name(c->sig_usage[i]),
			       sm_algo_name(c->sig_algo[i]));
	}
	printf(FIELD "%s\n", "fingerprint", certs_sev_fp(c, fp));
}

static void show_amd(const struct sm_amd_cert *c)
{
	uint8_t n[SM_AMD_CERT_MAX];
	char key[32], fp[97];
	uint64_t exp;

	sm_amd_cert_pubkey(c, n, &exp);
	printf("%s (AMD certificate)\n", sm_usage_name(c->usage));
	printf(FIELD "1\n", "version");
	printf(FIELD "%s (0x%x)\n", "usage", sm_usage_name(c->usage), c->usage);
	printf(FIELD "RSA-%u, exponent %llu (%s)\n", "key", c->modulus_bits,
	       (unsigned long long)exp,
	       sm_amd_cert_key_desc(c, key, sizeof(key)));
	hexline("key modulus", n, c->modulus_bits / 8);
	hexline("key id", c->key_id, SM_KEY_ID_LEN);
	hexline("certifying id", c->certifying_id, SM_KEY_ID_LEN);
	if (c->has_signature)
		printf(FIELD "RSA-PSS SHA-%d by %s\n", "signature",
		       c->modulus_bits == 4096 ? 384 : 256,
		       memcmp(c->key_id, c->certifying_id, SM_KEY_ID_LEN) ?
			       "the ARK" :
			       "itself");
	else
		printf(FIELD
		       "none (the unsigned Naples ARK, AMDESE/AMDSEV#17)\n",
		       "signature");
	printf(FIELD "%s\n", "fingerprint", certs_amd_fp(c, fp));
}

static void show_text(const char *file, const struct sm_chain *ch,
		      const struct sm_bundle_info *in)
{
	printf("%s:\n", file);
	if (in->product != SM_PRODUCT_UNKNOWN)
		printf(FIELD "%s\n", "product", sm_product_name(in->product));
	if (in->chip_id_len)
		hexline("chip id", in->chip_id, in->chip_id_len);
	/* where a bundle says it came from; a plain file is its own name */
	if (in->source[0] && strncmp(in->source, "file '", 6) != 0 &&
	    strncmp(in->source, "directory '", 11) != 0)
		printf(FIELD "%s\n", "source", in->source);
	if (ch->have & SM_HAVE_PDH)
		show_sev(&ch->pdh);
	if (ch->have & SM_HAVE_PEK)
		show_sev(&ch->pek);
	if (ch->have & SM_HAVE_OCA)
		show_sev(&ch->oca);
	if (ch->have & SM_HAVE_CEK)
		show_sev(&ch->cek);
	if (ch->have & SM_HAVE_ASK)
		show_amd(&ch->ask);
	if (ch->have & SM_HAVE_ARK)
		show_amd(&ch->ark);
}

int certs_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		SM_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct sm_show_item *items;
	struct sm_chain *chains;
	struct sm_bundle_info *infos;
	struct sm_err *errs, e;
	struct sm_cli_common co = { 0 };
	int c, rc = 0, i, n;

	while ((c = getopt_long(argc, argv, "JvqhV", longopts, NULL)) != -1) {
		switch (sm_cli_common_opt(&co, c, show_usage, &rc)) {
		case 1:
			continue;
		case -1:
			return rc;
		}
		return sm_cli_sub_try_help("show");
	}
	sm_cli_sub_verbosity(co.verbose, co.quiet);
	n = argc - optind;
	if (n < 1)
		return sm_cli_sub_usage("show", "no file given");
	items = calloc((size_t)n, sizeof(*items));
	chains = calloc((size_t)n, sizeof(*chains));
	infos = calloc((size_t)n, sizeof(*infos));
	errs = calloc((size_t)n, sizeof(*errs));
	if (!items || !chains || !infos || !errs) {
		sm_err_set(&e, SM_EXIT_FAILURE, "out of memory");
		rc = sm_cli_report(&e);
		goto out;
	}
	/* like bsdtar: report each bad file, carry on, fail at the end */
	for (i = 0; i < n; i++) {
		const char *f = argv[optind + i];

		items[i].file = f;
		items[i].info = &infos[i];
		if (sm_certs_load(f, &chains[i], &infos[i], &errs[i]) < 0) {
			items[i].err = &errs[i];
			c = sm_cli_report(&errs[i]);
			if (!rc)
				rc = c;
			continue;
		}
		items[i].ch = &chains[i];
		if (!co.json && !co.quiet)
			show_text(f, &chains[i], &infos[i]);
	}
	if (co.json) {
		char *text;

		if (sm_bundle_show_report(items, (size_t)n, &text, &e) < 0 ||
		    certs_put(text, &e) < 0)
			rc = sm_cli_report(&e);
	}
out:
	free(items);
	free(chains);
	free(infos);
	free(errs);
	return sm_cli_close_stdout(rc);
}
