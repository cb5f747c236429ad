// SPDX-License-Identifier: MIT
/*
 * The -J documents of sevmig-certs report show and report verify, built
 * here so that only JSON modules use jansson.
 */
#include "certs/snp-report.h"

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "base/bytes.h"
#include "base/json.h"
#include "base/util.h"

static json_t *hex_json(const uint8_t *d, size_t n)
{
	char hex[2 * 64 + 1];

	sm_hex_encode(d, n, hex);
	return json_string(hex);
}

static json_t *u64_hex(uint64_t v)
{
	char s[19];

	sm_fmt_hex_u64(s, v);
	return json_string(s);
}

static json_t *tcb_json(uint64_t raw, enum sm_product p)
{
	struct sm_snp_tcb t;
	uint8_t b[8];
	json_t *o;

	sm_snp_tcb_decode(raw, p, &t);
	sm_put_le64(b, raw);
	o = json_pack("{s:o, s:o, s:i, s:i, s:i, s:i}", "raw", u64_hex(raw),
		      "bytes", hex_json(b, sizeof(b)), "bootloader", t.bl,
		      "tee", t.tee, "snp", t.snp, "microcode", t.ucode);
	if (o && t.has_fmc)
		json_object_set_new(o, "fmc", json_integer(t.fmc));
	return o;
}

static json_t *policy_json(uint64_t pol)
{
	return json_pack(
		"{s:o, s:i, s:i, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b}",
		"raw", u64_hex(pol), "abi_major", (int)(pol >> 8 & 0xff),
		"abi_minor", (int)(pol & 0xff), "smt", (int)(pol >> 16 & 1),
		"migrate_ma", (int)(pol >> 18 & 1), "debug",
		(int)(pol >> 19 & 1), "single_socket", (int)(pol >> 20 & 1),
		"cxl_allow", (int)(pol >> 21 & 1), "mem_aes_256_xts",
		(int)(pol >> 22 & 1), "rapl_dis", (int)(pol >> 23 & 1),
		"ciphertext_hiding", (int)(pol >> 24 & 1), "page_swap_disable",
		(int)(pol >> 25 & 1));
}

static json_t *ver_json(const uint8_t v[3])
{
	char s[16];

	snprintf(s, sizeof(s), "%u.%u.%u", v[2], v[1], v[0]);
	return json_string(s);
}

static char *dump(json_t *doc, struct sm_err *e)
{
	char *text = doc ? sm_json_dump(doc) : NULL;

	json_decref(doc);
	if (!text)
		sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	return text;
}

char *sm_snp_report_json(const struct sm_snp_report *r, const char *name,
			 enum sm_product product, struct sm_err *e)
{
	const uint8_t *p = r->raw;
	const char *why;
	enum sm_product det = sm_snp_report_product(r, &why);
	json_t *doc;

	if (product == SM_PRODUCT_UNKNOWN)
		product = det;
	else
		why = "--product";
	doc = json_pack(
		"{s:s, s:s, s:s, s:i, s:s?, s:s, s:i, s:o, s:o, s:o, s:i, s:i,"
		" s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"schema", "sevmig-certs-report-show/1", "file", name, "form",
		r->form, "version", (int)r->version, "product",
		product == SM_PRODUCT_UNKNOWN ? NULL : sm_product_name(product),
		"product_from", why, "guest_svn", (int)r->guest_svn, "policy",
		policy_json(r->policy), "family_id",
		hex_json(p + SM_SNP_OFF_FAMILY_ID, 16), "image_id",
		hex_json(p + SM_SNP_OFF_IMAGE_ID, 16), "vmpl", (int)r->vmpl,
		"signature_algo", (int)r->sig_algo, "current_tcb",
		tcb_json(r->current_tcb, product), "platform_info",
		u64_hex(r->platform_info), "key_info",
		json_pack("{s:i, s:s, s:b, s:b}", "raw", (int)r->key_info,
			  "signing_key",
			  sm_snp_signing_key_name(sm_snp_report_signing_key(r)),
			  "author_key_en", (int)(r->key_info & 1),
			  "mask_chip_key", (int)(r->key_info >> 1 & 1)),
		"report_data",
		hex_json(p + SM_SNP_OFF_REPORT_DATA, SM_SNP_REPORT_DATA_LEN),
		"measurement",
		hex_json(p + SM_SNP_OFF_MEASUREMENT, SM_SNP_MEASUREMENT_LEN),
		"host_data", hex_json(p + SM_SNP_OFF_HOST_DATA, 32),
		"id_key_digest", hex_json(p + SM_SNP_OFF_ID_KEY_DIGEST, 48),
		"author_key_digest",
		hex_json(p + SM_SNP_OFF_AUTHOR_KEY_DIGEST, 48), "report_id",
		hex_json(p + SM_SNP_OFF_REPORT_ID, 32), "report_id_ma",
		hex_json(p + SM_SNP_OFF_REPORT_ID_MA, 32), "reported_tcb",
		tcb_json(r->reported_tcb, product));
	if (!doc)
		return dump(NULL, e);
	json_object_set_new(doc, "chip_id",
			    hex_json(p + SM_SNP_OFF_CHIP_ID,
				     SM_SNP_CHIP_ID_LEN));
	json_object_set_new(doc, "committed_tcb",
			    tcb_json(r->committed_tcb, product));
	json_object_set_new(doc, "current_version", ver_json(r->current_ver));
	json_object_set_new(doc, "committed_version",
			    ver_json(r->committed_ver));
	json_object_set_new(doc, "launch_tcb",
			    tcb_json(r->launch_tcb, product));
	if (r->version >= 3)
		json_object_set_new(doc, "cpuid",
				    json_pack("{s:i, s:i, s:i}", "family",
					      r->cpuid_fam, "model",
					      r->cpuid_mod, "stepping",
					      r->cpuid_step));
	if (r->version >= 5) {
		json_object_set_new(doc, "launch_mit_vector",
				    u64_hex(r->launch_mit));
		json_object_set_new(doc, "current_mit_vector",
				    u64_hex(r->current_mit));
	}
	return dump(doc, e);
}

char *sm_snp_verify_json(const struct sm_snp_verify_result *res,
			 const char *name, struct sm_err *e)
{
	json_t *doc, *checks = json_array();
	size_t i;

	for (i = 0; checks && i < res->nchecks; i++) {
		const struct sm_snp_check *c = &res->checks[i];

		json_array_append_new(
			checks, json_pack("{s:s, s:b, s:s}", "check", c->name,
					  "ok", c->ok, "detail", c->detail));
	}
	doc = json_pack("{s:s, s:s, s:b, s:s?, s:s?, s:s?, s:o}", "schema",
			"sevmig-certs-report-verify/1", "file", name, "ok",
			res->ok, "product",
			res->product == SM_PRODUCT_UNKNOWN ?
				NULL :
				sm_product_name(res->product),
			"product_from", res->product_from, "key", res->key_name,
			"checks", checks);
	return dump(doc, e);
}
