// SPDX-License-Identifier: MIT
/*
 * SEV-SNP attestation reports: reading the three forms a report comes in,
 * every field at its offset (migration-methods.md B.4), the product it
 * names, TCB layouts, and the text form of report show.  No outside
 * dependency; the JSON form is in snp-json.c, verification in
 * snp-verify.c.
 */
#include "certs/snp-report.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/util.h"

#define REPORT_INPUT_MAX (64u * 1024)

static int is_hex_text(const uint8_t *buf, size_t len)
{
	size_t i, digits = 0;

	for (i = 0; i < len; i++) {
		if (isxdigit(buf[i]))
			digits++;
		else if (!isspace(buf[i]))
			return 0;
	}
	return digits > 0;
}

/* Hex text without its whitespace into a new buffer; *n gets its bytes. */
static uint8_t *hex_text_decode(const uint8_t *buf, size_t len, size_t *n)
{
	char *digits = malloc(len + 1);
	uint8_t *out = malloc(len / 2 + 1);
	size_t i, k = 0;
	ssize_t got;

	if (!digits || !out)
		goto fail;
	for (i = 0; i < len; i++)
		if (!isspace(buf[i]))
			digits[k++] = (char)buf[i];
	digits[k] = '\0';
	got = sm_hex_decode(digits, out, len / 2 + 1);
	if (got < 0)
		goto fail;
	free(digits);
	*n = (size_t)got;
	return out;
fail:
	free(digits);
	free(out);
	return NULL;
}

static void fill_fields(struct sm_snp_report *r)
{
	const uint8_t *p = r->raw;

	r->version = sm_get_le32(p + 0x000);
	r->guest_svn = sm_get_le32(p + 0x004);
	r->policy = sm_get_le64(p + 0x008);
	r->vmpl = sm_get_le32(p + 0x030);
	r->sig_algo = sm_get_le32(p + 0x034);
	r->current_tcb = sm_get_le64(p + 0x038);
	r->platform_info = sm_get_le64(p + 0x040);
	r->key_info = sm_get_le32(p + 0x048);
	r->reported_tcb = sm_get_le64(p + 0x180);
	r->cpuid_fam = r->version >= 3 ? p[0x188] : 0;
	r->cpuid_mod = r->version >= 3 ? p[0x189] : 0;
	r->cpuid_step = r->version >= 3 ? p[0x18a] : 0;
	r->committed_tcb = sm_get_le64(p + 0x1e0);
	memcpy(r->current_ver, p + 0x1e8, 3);
	memcpy(r->committed_ver, p + 0x1ec, 3);
	r->launch_tcb = sm_get_le64(p + 0x1f0);
	r->launch_mit = r->version >= 5 ? sm_get_le64(p + 0x1f8) : 0;
	r->current_mit = r->version >= 5 ? sm_get_le64(p + 0x200) : 0;
}

/* The report inside buf (raw or snp_report_resp), or -1 with e set. */
static int take_report(const uint8_t *buf, size_t len, const char *name,
		       int hex, struct sm_snp_report *r, struct sm_err *e)
{
	const char *what = hex ? " of hex text" : "";

	if (len == SM_SNP_REPORT_LEN) {
		memcpy(r->raw, buf, len);
		r->form = hex ? "hex" : "raw";
		return 0;
	}
	if (len == SM_SNP_RESP_LEN ||
	    len == SM_SNP_RESP_HDR + SM_SNP_REPORT_LEN) {
		uint32_t status = sm_get_le32(buf), size = sm_get_le32(buf + 4);

		if (size != SM_SNP_REPORT_LEN)
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"invalid SNP report '%s': %zu bytes%s is not a report (1184 bytes) and, as a snp_report_resp, names a report of %u bytes",
				name, len, what, size);
		if (status != 0)
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"invalid SNP report '%s': the snp_report_resp status is 0x%x (the firmware refused the request)",
				name, status);
		memcpy(r->raw, buf + SM_SNP_RESP_HDR, SM_SNP_REPORT_LEN);
		r->form = "snp_report_resp";
		return 0;
	}
	return sm_err_set(
		e, SM_EXIT_VERIFY,
		"invalid SNP report '%s': wrong size %zu bytes%s, a report has 1184 (0x4a0)",
		name, len, what);
}

int sm_snp_report_parse(const uint8_t *buf, size_t len, const char *name,
			struct sm_snp_report *r, struct sm_err *e)
{
	int hex = 0, rc;

	memset(r, 0, sizeof(*r));
	if (len == 0)
		return sm_err_set(e, SM_EXIT_VERIFY, "empty input '%s'", name);
	if (len != SM_SNP_REPORT_LEN && is_hex_text(buf, len)) {
		size_t n;
		uint8_t *bin = hex_text_decode(buf, len, &n);

		if (!bin)
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"invalid SNP report '%s': hex text with an odd number of digits",
				name);
		hex = 1;
		rc = take_report(bin, n, name, hex, r, e);
		free(bin);
	} else {
		rc = take_report(buf, len, name, hex, r, e);
	}
	if (rc < 0)
		return -1;
	fill_fields(r);
	if (r->version != 2 && r->version != 3 && r->version != 5)
		return sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"unsupported SNP report version %u in '%s' (this version reads 2, 3 and 5)",
			r->version, name);
	return 0;
}

int sm_snp_report_load(const char *path, struct sm_snp_report *r,
		       struct sm_err *e)
{
	const char *name = strcmp(path, "-") == 0 ? "(stdin)" : path;
	uint8_t *buf;
	size_t len;
	int rc;

	if (sm_read_file(path, REPORT_INPUT_MAX, &buf, &len, e) < 0)
		return -1;
	rc = sm_snp_report_parse(buf, len, name, r, e);
	free(buf);
	return rc;
}

unsigned sm_snp_report_signing_key(const struct sm_snp_report *r)
{
	return (r->key_info >> 2) & 7;
}

const char *sm_snp_signing_key_name(unsigned key)
{
	switch (key) {
	case SM_SNP_KEY_VCEK:
		return "VCEK";
	case SM_SNP_KEY_VLEK:
		return "VLEK";
	case SM_SNP_KEY_NONE:
		return "none";
	}
	return "reserved";
}

enum sm_product sm_snp_report_product(const struct sm_snp_report *r,
				      const char **why)
{
	const uint8_t *chip = r->raw + SM_SNP_OFF_CHIP_ID;
	uint8_t fam = r->cpuid_fam, mod = r->cpuid_mod;

	*why = "the report's CPUID family and model";
	if (r->version >= 3 && fam == 0x19 && mod <= 0x0f)
		return SM_PRODUCT_MILAN;
	if (r->version >= 3 && fam == 0x19 &&
	    ((mod >= 0x10 && mod <= 0x1f) || (mod >= 0xa0 && mod <= 0xaf)))
		return SM_PRODUCT_GENOA;
	if (r->version >= 3 && fam == 0x1a && mod <= 0x11)
		return SM_PRODUCT_TURIN;
	if (r->version == 2 && !sm_all_zero(chip, 8) &&
	    sm_all_zero(chip + 8, SM_SNP_CHIP_ID_LEN - 8)) {
		*why = "the report's 8-byte chip id";
		return SM_PRODUCT_TURIN;
	}
	*why = r->version == 2 ?
		       "a version 2 report does not name it" :
		       "the report's CPUID is not a known SNP product";
	return SM_PRODUCT_UNKNOWN;
}

void sm_snp_tcb_decode(uint64_t raw, enum sm_product p, struct sm_snp_tcb *t)
{
	uint8_t b[8];

	sm_put_le64(b, raw);
	memset(t, 0, sizeof(*t));
	if (p == SM_PRODUCT_TURIN) {
		t->has_fmc = 1;
		t->fmc = b[0];
		t->bl = b[1];
		t->tee = b[2];
		t->snp = b[3];
	} else {
		t->bl = b[0];
		t->tee = b[1];
		t->snp = b[6];
	}
	t->ucode = b[7];
}

const char *sm_snp_tcb_str(const struct sm_snp_tcb *t, char *buf, size_t n)
{
	char fmc[16] = "";

	if (t->has_fmc)
		snprintf(fmc, sizeof(fmc), "fmc=%u ", t->fmc);
	snprintf(buf, n, "%sbl=%u tee=%u snp=%u ucode=%u", fmc, t->bl, t->tee,
		 t->snp, t->ucode);
	return buf;
}

int sm_snp_tcb_parse(const char *spec, struct sm_snp_tcb *t, unsigned *mask)
{
	static const char *const names[] = { "fmc", "bl", "tee", "snp",
					     "ucode" };
	uint8_t *slots[] = { &t->fmc, &t->bl, &t->tee, &t->snp, &t->ucode };
	char *copy = strdup(spec), *save = NULL, *tok;
	int ret = 0;

	memset(t, 0, sizeof(*t));
	*mask = 0;
	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok && ret == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		uint64_t v;
		size_t i;

		ret = -1;
		if (!eq)
			break;
		*eq = '\0';
		if (sm_parse_uint(eq + 1, 255, &v) < 0)
			break;
		for (i = 0; i < SM_ARRAY_SIZE(names); i++) {
			if (strcmp(tok, names[i]) == 0 &&
			    !(*mask & (1u << i))) {
				*slots[i] = (uint8_t)v;
				*mask |= 1u << i;
				ret = 0;
			}
		}
	}
	free(copy);
	if (*mask == 0)
		ret = -1;
	t->has_fmc = (*mask & 1) != 0;
	return ret;
}

/* ---- text ---- */

struct buf {
	char *s;
	size_t len, cap;
	int oom;
};

static void put(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL,
			      b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = (b->cap + (size_t)n + 1) * 2;
			char *s = realloc(b->s, cap);

			if (!s) {
				b->oom = 1;
				return;
			}
			b->s = s;
			b->cap = cap;
		}
	}
}

static void put_hex(struct buf *b, const char *label, const uint8_t *d,
		    size_t n)
{
	char hex[2 * 64 + 1];

	sm_hex_encode(d, n, hex);
	put(b, "%-18s %s\n", label, hex);
}

/* The policy bits that are set, by name (B.4); "" when none. */
static void policy_names(uint64_t pol, char *out, size_t n)
{
	static const struct {
		int bit;
		const char *name;
	} bits[] = {
		{ 16, "SMT" },
		{ 17, "reserved-1" },
		{ 18, "MIGRATE_MA" },
		{ 19, "DEBUG" },
		{ 20, "SINGLE_SOCKET" },
		{ 21, "CXL_ALLOW" },
		{ 22, "MEM_AES_256_XTS" },
		{ 23, "RAPL_DIS" },
		{ 24, "CIPHERTEXT_HIDING" },
		{ 25, "PAGE_SWAP_DISABLE" },
	};
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < SM_ARRAY_SIZE(bits); i++) {
		if (!(pol >> bits[i].bit & 1))
			continue;
		len += (size_t)snprintf(out + len, n - len, "%s%s",
					len ? " " : "", bits[i].name);
		if (len >= n)
			break;
	}
}

static void put_tcb(struct buf *b, const char *label, uint64_t raw,
		    enum sm_product p)
{
	struct sm_snp_tcb t;
	char s[64];

	sm_snp_tcb_decode(raw, p, &t);
	put(b, "%-18s 0x%016llx (%s)\n", label, (unsigned long long)raw,
	    sm_snp_tcb_str(&t, s, sizeof(s)));
}

char *sm_snp_report_text(const struct sm_snp_report *r, const char *name,
			 enum sm_product product, struct sm_err *e)
{
	const uint8_t *p = r->raw;
	struct buf b = { 0 };
	const char *why;
	enum sm_product det = sm_snp_report_product(r, &why);
	char pol[160];

	if (product == SM_PRODUCT_UNKNOWN)
		product = det;
	else
		why = "--product";
	put(&b, "%-18s %s (%s)\n", "file:", name, r->form);
	put(&b, "%-18s %u\n", "version:", r->version);
	put(&b, "%-18s %s (%s)\n", "product:",
	    product == SM_PRODUCT_UNKNOWN ? "unknown" :
					    sm_product_name(product),
	    why);
	put(&b, "%-18s %u\n", "guest svn:", r->guest_svn);
	policy_names(r->policy, pol, sizeof(pol));
	put(&b, "%-18s 0x%llx (abi %u.%u%s%s)\n",
	    "policy:", (unsigned long long)r->policy,
	    (unsigned)(r->policy >> 8 & 0xff), (unsigned)(r->policy & 0xff),
	    pol[0] ? " " : "", pol);
	put_hex(&b, "family id:", p + SM_SNP_OFF_FAMILY_ID, 16);
	put_hex(&b, "image id:", p + SM_SNP_OFF_IMAGE_ID, 16);
	put(&b, "%-18s %u\n", "vmpl:", r->vmpl);
	put(&b, "%-18s %u%s\n", "signature algo:", r->sig_algo,
	    r->sig_algo == 1 ? " (ECDSA P-384 with SHA-384)" : " (unknown)");
	put_tcb(&b, "current tcb:", r->current_tcb, product);
	put(&b, "%-18s 0x%llx (%sSMT_EN%s TSME_EN)\n",
	    "platform info:", (unsigned long long)r->platform_info,
	    r->platform_info & 1 ? "" : "no ",
	    r->platform_info & 2 ? "," : ", no");
	put(&b, "%-18s 0x%x (signing key %s%s%s)\n", "key info:", r->key_info,
	    sm_snp_signing_key_name(sm_snp_report_signing_key(r)),
	    r->key_info & 1 ? ", AUTHOR_KEY_EN" : "",
	    r->key_info & 2 ? ", MASK_CHIP_KEY" : "");
	put_hex(&b, "report data:", p + SM_SNP_OFF_REPORT_DATA, 64);
	put_hex(&b, "measurement:", p + SM_SNP_OFF_MEASUREMENT, 48);
	put_hex(&b, "host data:", p + SM_SNP_OFF_HOST_DATA, 32);
	put_hex(&b, "id key digest:", p + SM_SNP_OFF_ID_KEY_DIGEST, 48);
	put_hex(&b, "author key digest:", p + SM_SNP_OFF_AUTHOR_KEY_DIGEST, 48);
	put_hex(&b, "report id:", p + SM_SNP_OFF_REPORT_ID, 32);
	put_hex(&b, "report id ma:", p + SM_SNP_OFF_REPORT_ID_MA, 32);
	put_tcb(&b, "reported tcb:", r->reported_tcb, product);
	if (r->version >= 3)
		put(&b, "%-18s family 0x%02x model 0x%02x stepping 0x%02x\n",
		    "cpuid:", r->cpuid_fam, r->cpuid_mod, r->cpuid_step);
	put_hex(&b, "chip id:", p + SM_SNP_OFF_CHIP_ID, SM_SNP_CHIP_ID_LEN);
	put_tcb(&b, "committed tcb:", r->committed_tcb, product);
	put(&b, "%-18s %u.%u.%u\n", "current version:", r->current_ver[2],
	    r->current_ver[1], r->current_ver[0]);
	put(&b, "%-18s %u.%u.%u\n", "committed version:", r->committed_ver[2],
	    r->committed_ver[1], r->committed_ver[0]);
	put_tcb(&b, "launch tcb:", r->launch_tcb, product);
	if (r->version >= 5) {
		put(&b, "%-18s 0x%016llx\n",
		    "launch mit vector:", (unsigned long long)r->launch_mit);
		put(&b, "%-18s 0x%016llx\n",
		    "current mit vector:", (unsigned long long)r->current_mit);
	}
	if (b.oom) {
		free(b.s);
		sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
		return NULL;
	}
	return b.s;
}
