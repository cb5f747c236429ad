// SPDX-License-Identifier: MIT
/*
 * The -J reports of sevmig-certs (verify, show): JSON documents built
 * here so that only JSON modules use jansson.
 */
#include "certs/bundle.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/bytes.h"
#include "base/json.h"
#include "certs/roots.h"
#include "base/util.h"
#include "certs/bundle-internal.h"

/* ---- reports (sevmig-certs -J) ---- */

static json_t *hex_json(const uint8_t *d, size_t n)
{
	char *hex = malloc(2 * n + 1);
	json_t *v;

	if (!hex)
		return NULL;
	sm_hex_encode(d, n, hex);
	v = json_string(hex);
	free(hex);
	return v;
}

static json_t *api_json(uint8_t maj, uint8_t min)
{
	char api[16];

	snprintf(api, sizeof(api), "%u.%u", maj, min);
	return json_string(api);
}

static const char *hash_name(size_t len)
{
	return len == 48 ? "sha384" : "sha256";
}

/* {usage, key, fingerprint, fingerprint_hash} of one certificate */
static json_t *cert_summary(const struct sm_sev_cert *s,
			    const struct sm_amd_cert *a, const char *origin)
{
	uint8_t fp[48];
	char key[32];
	size_t n;

	if (s) {
		sm_sev_cert_fingerprint(s, fp, &n);
		sm_sev_cert_key_desc(s, key, sizeof(key));
	} else {
		sm_amd_cert_fingerprint(a, fp, &n);
		sm_amd_cert_key_desc(a, key, sizeof(key));
	}
	return json_pack("{s:s, s:s, s:o, s:s, s:s}", "usage",
			 sm_usage_name(s ? s->usage : a->usage), "key", key,
			 "fingerprint", hex_json(fp, n), "fingerprint_hash",
			 hash_name(n), "origin", origin);
}

static int is_builtin(const struct sm_amd_cert *c)
{
	int p;

	for (p = SM_PRODUCT_NAPLES; p < SM_PRODUCT_COUNT; p++)
		if (c == sm_roots_ark(p) || c == sm_roots_ask(p))
			return 1;
	return 0;
}

static const struct {
	enum sm_link link;
	const char *signer, *subject;
} link_ends[] = {
	{ SM_LINK_PDH_BY_PEK, "PEK", "PDH" },
	{ SM_LINK_PEK_BY_OCA, "OCA", "PEK" },
	{ SM_LINK_OCA_SELF, "OCA", "OCA" },
	{ SM_LINK_PEK_BY_CEK, "CEK", "PEK" },
	{ SM_LINK_CEK_BY_ASK, "ASK", "CEK" },
	{ SM_LINK_ASK_BY_ARK, "ARK", "ASK" },
	{ SM_LINK_ARK_SELF, "ARK", "ARK" },
	{ SM_LINK_ARK_TRUSTED, "ARK", "ARK" },
};

int sm_bundle_verify_report(const struct sm_chain *ch,
			    const struct sm_bundle_info *info,
			    const struct sm_verify_result *r, const char *trust,
			    char **out, struct sm_err *e)
{
	json_t *root, *certs, *links;
	size_t i;

	root = json_pack(
		"{s:s, s:b, s:s*, s:o, s:o*}", "schema", SM_VERIFY_SCHEMA, "ok",
		r->ok, "product",
		r->product == SM_PRODUCT_UNKNOWN ? NULL :
						   sm_product_name(r->product),
		"trust", sm_json_text(trust), "source",
		info && info->source[0] ? sm_json_text(info->source) : NULL);
	certs = json_object();
	links = json_array();
	if (!root || !certs || !links)
		goto err_nomem;
	for (i = 0; i < SM_ARRAY_SIZE(smb_slots); i++) {
		const struct slot *s = &smb_slots[i];
		const struct sm_amd_cert *a = NULL;
		const char *origin = "chain";
		json_t *v = json_null();

		if (s->amd) {
			a = s->usage == SM_USAGE_ASK ? r->ask : r->ark;
			if (a && !(ch->have & s->bit))
				origin = is_builtin(a) ? "built-in" : "trusted";
			if (a)
				v = cert_summary(NULL, a, origin);
		} else if (ch->have & s->bit) {
			v = cert_summary(smb_sev_slot((struct sm_chain *)ch,
						      s->usage),
					 NULL, origin);
		}
		if (json_object_set_new(certs, s->key, v) < 0)
			goto err_nomem;
	}
	for (i = 0; i < SM_ARRAY_SIZE(link_ends); i++) {
		enum sm_link l = link_ends[i].link;
		json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:o}", "name",
				      sm_link_name(l), "signer",
				      link_ends[i].signer, "subject",
				      link_ends[i].subject, "status",
				      sm_link_status_name(r->status[l]),
				      "reason", sm_json_text(r->reason[l]));

		if (json_array_append_new(links, v) < 0)
			goto err_nomem;
	}
	if (json_object_set_new(root, "certificates", certs) < 0 ||
	    json_object_set_new(root, "links", links) < 0) {
		certs = links = NULL;
		goto err_nomem;
	}
	*out = sm_json_dump(root);
	json_decref(root);
	if (!*out)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "cannot encode the report");
	return 0;

err_nomem:
	json_decref(root);
	json_decref(certs);
	json_decref(links);
	return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
			    "cannot encode the report");
}

static json_t *show_sev(const struct sm_sev_cert *c)
{
	uint8_t x[48], y[48], fp[48];
	json_t *sigs = json_array();
	size_t n;
	int i;

	sm_sev_cert_pubkey(c, x, y);
	sm_sev_cert_fingerprint(c, fp, &n);
	for (i = 0; i < 2; i++) {
		int empty = c->sig_usage[i] == SM_USAGE_INVALID &&
			    c->sig_algo[i] == SM_ALGO_NONE;

		json_array_append_new(
			sigs,
			json_pack("{s:i, s:s*, s:s*}", "slot", i + 1, "usage",
				  empty ? NULL : sm_usage_name(c->sig_usage[i]),
				  "algorithm",
				  empty ? NULL : sm_algo_name(c->sig_algo[i])));
	}
	return json_pack(
		"{s:s, s:s, s:i, s:i, s:o, s:s, s:i, s:{s:s, s:s, s:o, s:o}, s:o, s:o, s:s}",
		"kind", "sev", "usage", sm_usage_name(c->usage), "usage_code",
		(int)c->usage, "version", (int)c->version, "api_version",
		api_json(c->api_major, c->api_minor), "algorithm",
		sm_algo_name(c->algo), "algorithm_code", (int)c->algo, "key",
		"type", "ec", "curve", "P-384", "x", hex_json(x, 48), "y",
		hex_json(y, 48), "signatures", sigs, "fingerprint",
		hex_json(fp, n), "fingerprint_hash", hash_name(n));
}

static json_t *show_amd(const struct sm_amd_cert *c)
{
	uint8_t n[SM_AMD_CERT_MAX], fp[48];
	uint64_t exp;
	size_t fl;
	char alg[32];

	sm_amd_cert_pubkey(c, n, &exp);
	sm_amd_cert_fingerprint(c, fp, &fl);
	snprintf(alg, sizeof(alg), "RSA-PSS-SHA%d",
		 c->modulus_bits == 4096 ? 384 : 256);
	return json_pack(
		"{s:s, s:s, s:i, s:i, s:o, s:o, s:{s:s, s:i, s:I, s:o}, s:[{s:s, s:b}], s:o, s:s}",
		"kind", "amd", "usage", sm_usage_name(c->usage), "usage_code",
		(int)c->usage, "version", 1, "key_id",
		hex_json(c->key_id, SM_KEY_ID_LEN), "certifying_id",
		hex_json(c->certifying_id, SM_KEY_ID_LEN), "key", "type", "rsa",
		"bits", (int)c->modulus_bits, "exponent", (json_int_t)exp,
		"modulus", hex_json(n, c->modulus_bits / 8), "signatures",
		"algorithm", alg, "present", c->has_signature, "fingerprint",
		hex_json(fp, fl), "fingerprint_hash", hash_name(fl));
}

static json_t *show_file(const struct sm_show_item *it)
{
	const struct sm_bundle_info *in = it->info;
	json_t *f, *certs;
	size_t i;

	if (it->err)
		return json_pack("{s:o, s:o}", "file", sm_json_text(it->file),
				 "error", sm_json_text(it->err->msg));
	certs = json_array();
	for (i = 0; certs && i < SM_ARRAY_SIZE(smb_slots); i++) {
		const struct slot *s = &smb_slots[i];

		if (!(it->ch->have & s->bit))
			continue;
		json_array_append_new(
			certs,
			s->amd ? show_amd(s->usage == SM_USAGE_ASK ?
						  &it->ch->ask :
						  &it->ch->ark) :
				 show_sev(smb_sev_slot(
					 (struct sm_chain *)it->ch, s->usage)));
	}
	f = json_pack(
		"{s:o, s:n, s:s*, s:o*, s:o*, s:o*, s:o}", "file",
		sm_json_text(it->file), "error", "product",
		in->product == SM_PRODUCT_UNKNOWN ?
			NULL :
			sm_product_name(in->product),
		"chip_id",
		in->chip_id_len ? hex_json(in->chip_id, in->chip_id_len) : NULL,
		"api_version",
		in->have_api ? api_json(in->api_major, in->api_minor) : NULL,
		"source", in->source[0] ? sm_json_text(in->source) : NULL,
		"certificates", certs);
	return f;
}

int sm_bundle_show_report(const struct sm_show_item *items, size_t n,
			  char **out, struct sm_err *e)
{
	json_t *root, *files = json_array();
	size_t i;

	for (i = 0; files && i < n; i++) {
		json_t *f = show_file(&items[i]);

		if (!f || json_array_append_new(files, f) < 0) {
			json_decref(files);
			files = NULL;
		}
	}
	root = json_pack("{s:s, s:o}", "schema", SM_SHOW_SCHEMA, "files",
			 files);
	*out = root ? sm_json_dump(root) : NULL;
	json_decref(root);
	if (!*out)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "cannot encode the report");
	return 0;
}
