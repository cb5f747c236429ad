// SPDX-License-Identifier: MIT
/*
 * Products and chains: which AMD product a chain belongs to, and the
 * verification of every link from the PDH up to a trusted ARK.
 */
#include "certs/cert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "base/bytes.h"
#include "base/log.h"
#include "base/ossl.h"
#include "certs/roots.h"
#include "base/util.h"
#include "certs/cert-internal.h"

/* ---- products and chains ---- */

static const char *const product_names[SM_PRODUCT_COUNT] = {
	[SM_PRODUCT_UNKNOWN] = "unknown", [SM_PRODUCT_NAPLES] = "naples",
	[SM_PRODUCT_ROME] = "rome",	  [SM_PRODUCT_MILAN] = "milan",
	[SM_PRODUCT_GENOA] = "genoa",	  [SM_PRODUCT_TURIN] = "turin",
};

const char *sm_product_name(enum sm_product p)
{
	if ((int)p < 0 || p >= SM_PRODUCT_COUNT)
		return "unknown";
	return product_names[p];
}

int sm_product_parse(const char *name, enum sm_product *p)
{
	int i;

	for (i = SM_PRODUCT_UNKNOWN + 1; i < SM_PRODUCT_COUNT; i++) {
		if (strcasecmp(name, product_names[i]) == 0) {
			*p = (enum sm_product)i;
			return 0;
		}
	}
	return -1;
}

static const char *const link_names[SM_LINK_COUNT] = {
	[SM_LINK_PDH_BY_PEK] = "PEK signs PDH",
	[SM_LINK_PEK_BY_OCA] = "OCA signs PEK",
	[SM_LINK_OCA_SELF] = "OCA signs itself",
	[SM_LINK_PEK_BY_CEK] = "CEK signs PEK",
	[SM_LINK_CEK_BY_ASK] = "ASK signs CEK",
	[SM_LINK_ASK_BY_ARK] = "ARK signs ASK",
	[SM_LINK_ARK_SELF] = "ARK signs itself",
	[SM_LINK_ARK_TRUSTED] = "ARK is trusted",
};

const char *sm_link_name(enum sm_link l)
{
	if ((int)l < 0 || l >= SM_LINK_COUNT)
		return "unknown link";
	return link_names[l];
}

const char *sm_link_status_name(enum sm_link_status s)
{
	switch (s) {
	case SM_LINK_OK:
		return "ok";
	case SM_LINK_FAILED:
		return "failed";
	case SM_LINK_MISSING:
		return "missing";
	case SM_LINK_UNSIGNED:
		return "unsigned";
	default:
		return "unknown";
	}
}

static void set_link(struct sm_verify_result *r, enum sm_link l,
		     enum sm_link_status s, const char *reason)
{
	size_t n = strnlen(reason, sizeof(r->reason[l]) - 1);

	r->status[l] = s;
	memcpy(r->reason[l], reason, n); /* truncates long messages */
	r->reason[l][n] = '\0';
}

static void link_result(struct sm_verify_result *r, enum sm_link l, int rc,
			const struct sm_err *e)
{
	set_link(r, l, rc == 0 ? SM_LINK_OK : SM_LINK_FAILED,
		 rc == 0 ? "" : e->msg);
}

static const char *missing(unsigned have, unsigned need)
{
	static const char *const names[] = { "PDH", "PEK", "OCA",
					     "CEK", "ASK", "ARK" };
	size_t i;

	for (i = 0; i < SM_ARRAY_SIZE(names); i++)
		if ((need & (1u << i)) && !(have & (1u << i)))
			return names[i];
	return NULL;
}

static void sev_link(struct sm_verify_result *r, enum sm_link l,
		     const struct sm_chain *ch, unsigned need,
		     const struct sm_sev_cert *signer,
		     const struct sm_sev_cert *subject)
{
	const char *m = missing(ch->have, need);
	struct sm_err e;
	char buf[64];

	if (m) {
		snprintf(buf, sizeof(buf), "no %s in the chain", m);
		set_link(r, l, SM_LINK_MISSING, buf);
		return;
	}
	link_result(r, l, sm_sev_cert_verify(signer, subject, &e), &e);
}

/* Which built-in ASK signs the CEK (virtee's Generation detection). */
static enum sm_product detect(const struct sm_chain *ch)
{
	struct sm_err e;
	int p;

	if ((ch->have & SM_HAVE_CEK) && !sm_sev_cert_is_unsigned(&ch->cek)) {
		for (p = SM_PRODUCT_NAPLES; p < SM_PRODUCT_COUNT; p++) {
			const struct sm_amd_cert *ask = sm_roots_ask(p);

			if (ask &&
			    sm_sev_cert_verify_by_amd(ask, &ch->cek, &e) == 0)
				return p;
		}
	}
	if (ch->have & SM_HAVE_ARK) {
		if (sm_amd_cert_is_known_unsigned_ark(&ch->ark))
			return SM_PRODUCT_NAPLES;
		p = sm_roots_product_of_ark(&ch->ark);
		if (p != SM_PRODUCT_UNKNOWN)
			return p;
	}
	if (ch->have & SM_HAVE_ASK) {
		for (p = SM_PRODUCT_NAPLES; p < SM_PRODUCT_COUNT; p++) {
			const struct sm_amd_cert *ask = sm_roots_ask(p);

			if (ask && ask->len == ch->ask.len &&
			    memcmp(ask->raw, ch->ask.raw, ask->len) == 0)
				return p;
		}
	}
	return SM_PRODUCT_UNKNOWN;
}

static int same_amd(const struct sm_amd_cert *a, const struct sm_amd_cert *b)
{
	return a->len == b->len && memcmp(a->raw, b->raw, a->len) == 0;
}

static void amd_links(struct sm_verify_result *r, const struct sm_chain *ch,
		      const struct sm_trust *t)
{
	const struct sm_amd_cert *ask = NULL, *ark = NULL, *anchor = NULL;
	enum sm_product p = t->product;
	struct sm_err e;
	char buf[200];

	if (t->ark) {
		enum sm_product bp = sm_roots_product_of_ark(t->ark);

		anchor = t->ark;
		if (p == SM_PRODUCT_UNKNOWN)
			p = bp;
		ark = (ch->have & SM_HAVE_ARK) ? &ch->ark : t->ark;
		if (ch->have & SM_HAVE_ASK)
			ask = &ch->ask;
		else if (t->ask)
			ask = t->ask;
		else if (bp != SM_PRODUCT_UNKNOWN)
			ask = sm_roots_ask(bp);
	} else {
		if (p == SM_PRODUCT_UNKNOWN)
			p = detect(ch);
		if (p != SM_PRODUCT_UNKNOWN)
			anchor = sm_roots_ark(p);
		if (ch->have & SM_HAVE_ASK)
			ask = &ch->ask;
		else if (p != SM_PRODUCT_UNKNOWN)
			ask = sm_roots_ask(p);
		ark = (ch->have & SM_HAVE_ARK) ? &ch->ark : anchor;
	}
	r->product = p;
	r->ask = ask;
	r->ark = ark;

	/* ASK signs CEK */
	if (!(ch->have & SM_HAVE_CEK)) {
		set_link(r, SM_LINK_CEK_BY_ASK, SM_LINK_MISSING,
			 "no CEK in the chain");
	} else if (sm_sev_cert_is_unsigned(&ch->cek)) {
		set_link(
			r, SM_LINK_CEK_BY_ASK, SM_LINK_UNSIGNED,
			"CEK is unsigned (both slots empty, as PDH_CERT_EXPORT returns it): the KDS-signed CEK is needed");
	} else if (!ask) {
		set_link(
			r, SM_LINK_CEK_BY_ASK, SM_LINK_FAILED,
			t->ark ?
				"no ASK in the chain for the root given with --ark" :
				"no built-in AMD ASK signs the CEK (tried naples, rome, milan, genoa, turin)");
	} else {
		link_result(r, SM_LINK_CEK_BY_ASK,
			    sm_sev_cert_verify_by_amd(ask, &ch->cek, &e), &e);
	}

	/* ARK signs ASK, ARK signs itself */
	if (!ask || !ark) {
		snprintf(buf, sizeof(buf), "no %s (the product is unknown)",
			 !ask ? "ASK" : "ARK");
		set_link(r, SM_LINK_ASK_BY_ARK, SM_LINK_MISSING, buf);
	} else {
		link_result(r, SM_LINK_ASK_BY_ARK,
			    sm_amd_cert_verify(ark, ask, &e), &e);
	}
	if (!ark) {
		set_link(r, SM_LINK_ARK_SELF, SM_LINK_MISSING,
			 "no ARK (the product is unknown)");
	} else {
		link_result(r, SM_LINK_ARK_SELF,
			    sm_amd_cert_verify(ark, ark, &e), &e);
		if (r->status[SM_LINK_ARK_SELF] == SM_LINK_OK &&
		    !ark->has_signature)
			set_link(
				r, SM_LINK_ARK_SELF, SM_LINK_OK,
				"the unsigned Naples ARK (AMDESE/AMDSEV#17) was checked with the pinned built-in signature");
	}

	/* ARK trusted: the pinned root, or exactly the --ark file */
	if (!anchor) {
		set_link(
			r, SM_LINK_ARK_TRUSTED, SM_LINK_FAILED,
			"no trusted root: the product is unknown (name it with --product, or give --ark)");
	} else if (ark && (same_amd(ark, anchor) ||
			   (!t->ark && p == SM_PRODUCT_NAPLES &&
			    sm_amd_cert_is_known_unsigned_ark(ark)))) {
		set_link(r, SM_LINK_ARK_TRUSTED, SM_LINK_OK, "");
	} else if (t->ark) {
		set_link(r, SM_LINK_ARK_TRUSTED, SM_LINK_FAILED,
			 "ARK is not the root given with --ark");
	} else {
		snprintf(buf, sizeof(buf), "ARK is not AMD's built-in %s root",
			 sm_product_name(p));
		set_link(r, SM_LINK_ARK_TRUSTED, SM_LINK_FAILED, buf);
	}
}

int sm_chain_verify(const struct sm_chain *ch, const struct sm_trust *t,
		    struct sm_verify_result *r, struct sm_err *e)
{
	static const struct sm_trust builtin = { NULL, NULL,
						 SM_PRODUCT_UNKNOWN };
	int l;

	memset(r, 0, sizeof(*r));
	if (!t)
		t = &builtin;
	sev_link(r, SM_LINK_PDH_BY_PEK, ch, SM_HAVE_PDH | SM_HAVE_PEK, &ch->pek,
		 &ch->pdh);
	sev_link(r, SM_LINK_PEK_BY_OCA, ch, SM_HAVE_PEK | SM_HAVE_OCA, &ch->oca,
		 &ch->pek);
	sev_link(r, SM_LINK_OCA_SELF, ch, SM_HAVE_OCA, &ch->oca, &ch->oca);
	sev_link(r, SM_LINK_PEK_BY_CEK, ch, SM_HAVE_PEK | SM_HAVE_CEK, &ch->cek,
		 &ch->pek);
	amd_links(r, ch, t);

	r->ok = 1;
	for (l = 0; l < SM_LINK_COUNT; l++) {
		if (r->status[l] == SM_LINK_OK)
			continue;
		if (r->ok)
			sm_err_set(
				e, SM_EXIT_VERIFY,
				"certificate chain verification failed: %s: %s",
				sm_link_name(l), r->reason[l]);
		r->ok = 0;
	}
	return r->ok ? 0 : -1;
}
