// SPDX-License-Identifier: MIT
/*
 * The certificate bundle ("schema": "sevmig-certs/1") and every other input
 * sevmig accepts where a bundle is expected.  Decoding is strict: unknown
 * keys, a certificate in the wrong slot or a bad encoding are errors, so a
 * bundle means exactly one thing.  Verification is not done here: callers
 * run sm_chain_verify on what they load.
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

#define INPUT_MAX (1u << 20) /* far above any real chain */

struct slot {
	const char *key;	/* JSON key and file stem */
	unsigned bit;
	uint32_t usage;
	int amd;
};

static const struct slot slots[] = {
	{ "pdh", SM_HAVE_PDH, SM_USAGE_PDH, 0 },
	{ "pek", SM_HAVE_PEK, SM_USAGE_PEK, 0 },
	{ "oca", SM_HAVE_OCA, SM_USAGE_OCA, 0 },
	{ "cek", SM_HAVE_CEK, SM_USAGE_CEK, 0 },
	{ "ask", SM_HAVE_ASK, SM_USAGE_ASK, 1 },
	{ "ark", SM_HAVE_ARK, SM_USAGE_ARK, 1 },
};

static struct sm_sev_cert *sev_slot(struct sm_chain *ch, uint32_t usage)
{
	switch (usage) {
	case SM_USAGE_PDH: return &ch->pdh;
	case SM_USAGE_PEK: return &ch->pek;
	case SM_USAGE_OCA: return &ch->oca;
	case SM_USAGE_CEK: return &ch->cek;
	default: return NULL;
	}
}

static unsigned usage_bit(uint32_t usage)
{
	size_t i;

	for (i = 0; i < SM_ARRAY_SIZE(slots); i++)
		if (slots[i].usage == usage)
			return slots[i].bit;
	return 0;
}

/* Raw bytes of the certificate in a slot, for encoding. */
static const uint8_t *slot_bytes(const struct sm_chain *ch,
				 const struct slot *s, size_t *len)
{
	switch (s->usage) {
	case SM_USAGE_ASK:
		*len = ch->ask.len;
		return ch->ask.raw;
	case SM_USAGE_ARK:
		*len = ch->ark.len;
		return ch->ark.raw;
	default:
		*len = SM_SEV_CERT_LEN;
		return sev_slot((struct sm_chain *)ch, s->usage)->raw;
	}
}

static void set_sev(struct sm_chain *ch, const struct sm_sev_cert *c)
{
	*sev_slot(ch, c->usage) = *c;
	ch->have |= usage_bit(c->usage);
}

static void set_amd(struct sm_chain *ch, const struct sm_amd_cert *c)
{
	if (c->usage == SM_USAGE_ASK)
		ch->ask = *c;
	else
		ch->ark = *c;
	ch->have |= usage_bit(c->usage);
}

/* Take the platform API version from the PDH when nothing else says. */
static void api_from_chain(const struct sm_chain *ch,
			   struct sm_bundle_info *info)
{
	if (info->have_api || !(ch->have & SM_HAVE_PDH))
		return;
	info->have_api = 1;
	info->api_major = ch->pdh.api_major;
	info->api_minor = ch->pdh.api_minor;
}

/*
 * Drop a UTF-8 sequence cut short at the end of s (snprintf truncating a
 * long source), so the bundle it goes into can still be written.
 */
static void utf8_cut(char *s)
{
	size_t n = strlen(s), i = n, want;
	unsigned char c;

	while (i && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (!i)
		return;
	c = (unsigned char)s[i - 1];
	want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (n - (i - 1) < want)
		s[i - 1] = '\0';
}

/* "what 'name'" as the source, unless the input already said where. */
static void set_source(struct sm_bundle_info *info, const char *what,
		       const char *name)
{
	if (!info->source[0]) {
		snprintf(info->source, sizeof(info->source), "%s '%s'", what,
			 name);
		utf8_cut(info->source);
	}
}

/*
 * A JSON string of s.  jansson takes only UTF-8: a path or message with
 * other bytes (file names are bytes) gets '?' for every non-ASCII byte
 * rather than making the whole document unwritable.
 */
static json_t *str_json(const char *s)
{
	json_t *v = json_string(s);
	char *c;
	size_t i;

	if (v || !s)
		return v;
	c = strdup(s);
	if (!c)
		return NULL;
	for (i = 0; c[i]; i++)
		if ((unsigned char)c[i] >= 0x80)
			c[i] = '?';
	v = json_string(c);
	free(c);
	return v;
}

/* ---- encode ---- */

int sm_bundle_encode(const struct sm_chain *ch,
		     const struct sm_bundle_info *info, char **out,
		     struct sm_err *e)
{
	json_t *root = json_object();
	char api[16], *b64;
	size_t i;

	if (!root)
		goto err_nomem;
	if (json_object_set_new(root, "schema",
				json_string(SM_BUNDLE_SCHEMA)) < 0)
		goto err_root;
	if (info && info->product != SM_PRODUCT_UNKNOWN &&
	    json_object_set_new(root, "product",
				json_string(sm_product_name(info->product))) <
		    0)
		goto err_root;
	if (info && info->chip_id_len) {
		char hex[2 * SM_CHIP_ID_MAX + 1];

		sm_hex_encode(info->chip_id, info->chip_id_len, hex);
		if (json_object_set_new(root, "chip_id", json_string(hex)) < 0)
			goto err_root;
	}
	if (info && info->have_api) {
		snprintf(api, sizeof(api), "%u.%u", info->api_major,
			 info->api_minor);
		if (json_object_set_new(root, "api_version",
					json_string(api)) < 0)
			goto err_root;
	}
	if (info && info->source[0] &&
	    json_object_set_new(root, "source", str_json(info->source)) < 0)
		goto err_root;
	for (i = 0; i < SM_ARRAY_SIZE(slots); i++) {
		const uint8_t *raw;
		size_t len;
		int rc;

		if (!(ch->have & slots[i].bit))
			continue;
		raw = slot_bytes(ch, &slots[i], &len);
		b64 = malloc(sm_base64_len(len) + 1);
		if (!b64)
			goto err_root;
		sm_base64_encode(raw, len, b64);
		rc = json_object_set_new(root, slots[i].key, json_string(b64));
		free(b64);
		if (rc < 0)
			goto err_root;
	}
	*out = sm_json_dump(root);
	json_decref(root);
	if (!*out)
		goto err_nomem;
	return 0;

err_root:
	json_decref(root);
err_nomem:
	return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
			    "cannot encode the certificate bundle");
}

/* ---- decode ---- */

/* Decode base64 certificate text and place it, checking its slot. */
static int decode_cert(const char *b64, const struct slot *s,
		       struct sm_chain *ch, struct sm_err *e)
{
	uint8_t buf[SM_SEV_CERT_LEN + 4];
	ssize_t n = sm_base64_decode(b64, buf, sizeof(buf));
	size_t used;

	if (n < 0)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "bundle field '%s' is not base64 of a certificate",
				  s->key);
	if (s->amd) {
		struct sm_amd_cert c;

		if (sm_amd_cert_parse(buf, (size_t)n, &c, &used, e) < 0)
			return sm_err_prefix(e, "bundle field '%s'", s->key);
		if (used != (size_t)n)
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "bundle field '%s': %zu trailing bytes after the certificate",
					  s->key, (size_t)n - used);
		if (c.usage != s->usage)
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "bundle field '%s' holds an %s",
					  s->key, sm_usage_name(c.usage));
		set_amd(ch, &c);
	} else {
		struct sm_sev_cert c;

		if (sm_sev_cert_parse(buf, (size_t)n, &c, e) < 0)
			return sm_err_prefix(e, "bundle field '%s'", s->key);
		if (c.usage != s->usage)
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "bundle field '%s' holds a %s",
					  s->key, sm_usage_name(c.usage));
		set_sev(ch, &c);
	}
	return 0;
}

static int schema_check(const char *schema, struct sm_err *e)
{
	static const char prefix[] = "sevmig-certs/";

	if (strcmp(schema, SM_BUNDLE_SCHEMA) == 0)
		return 0;
	if (strncmp(schema, prefix, sizeof(prefix) - 1) == 0)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "unsupported bundle schema '%s' (this version reads '%s')",
				  schema, SM_BUNDLE_SCHEMA);
	return sm_err_set(e, SM_EXIT_VERIFY,
			  "unknown schema '%s', expected '%s'", schema,
			  SM_BUNDLE_SCHEMA);
}

static int decode_obj(json_t *root, struct sm_chain *ch,
		      struct sm_bundle_info *info, struct sm_err *e)
{
	const char *schema = NULL, *product = NULL, *chip = NULL, *api = NULL;
	const char *source = NULL, *cert[SM_ARRAY_SIZE(slots)] = { NULL };
	struct sm_chain nc;
	struct sm_bundle_info ni;
	json_error_t je;
	json_t *js;
	size_t i;

	if (!json_is_object(root))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "a bundle must be a JSON object");
	/* Check the schema first: a newer bundle may have other keys. */
	js = json_object_get(root, "schema");
	if (!json_is_string(js))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "bundle has no \"schema\" string");
	if (schema_check(json_string_value(js), e) < 0)
		return -1;
	if (json_unpack_ex(root, &je, 0,
			   "{s:s, s?s, s?s, s?s, s?s, s?s, s?s, s?s, s?s, s?s, s?s !}",
			   "schema", &schema, "product", &product, "chip_id",
			   &chip, "api_version", &api, "source", &source,
			   "pdh", &cert[0], "pek", &cert[1], "oca", &cert[2],
			   "cek", &cert[3], "ask", &cert[4], "ark",
			   &cert[5]) < 0)
		return sm_err_set(e, SM_EXIT_VERIFY, "bad bundle: %s",
				  je.text);
	memset(&nc, 0, sizeof(nc));
	memset(&ni, 0, sizeof(ni));
	if (product && sm_product_parse(product, &ni.product) < 0)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "bundle names unknown product '%s'", product);
	if (chip) {
		ssize_t n = sm_hex_decode(chip, ni.chip_id, SM_CHIP_ID_MAX);

		if (n <= 0)
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "bundle chip_id is not hex of 1 to %d bytes",
					  SM_CHIP_ID_MAX);
		ni.chip_id_len = (size_t)n;
	}
	if (api) {
		unsigned maj, min;
		char end;

		if (sscanf(api, "%u.%u%c", &maj, &min, &end) != 2 ||
		    maj > 255 || min > 255)
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "bundle api_version '%s' is not MAJOR.MINOR",
					  api);
		ni.have_api = 1;
		ni.api_major = (uint8_t)maj;
		ni.api_minor = (uint8_t)min;
	}
	if (source) {
		snprintf(ni.source, sizeof(ni.source), "%s", source);
		utf8_cut(ni.source);
	}
	for (i = 0; i < SM_ARRAY_SIZE(slots); i++)
		if (cert[i] && decode_cert(cert[i], &slots[i], &nc, e) < 0)
			return -1;
	*ch = nc;
	if (info)
		*info = ni;
	return 0;
}

int sm_bundle_decode(const char *text, size_t len, struct sm_chain *ch,
		     struct sm_bundle_info *info, struct sm_err *e)
{
	json_t *root;
	int rc;

	if (sm_json_parse(text, len, "bundle", &root, e) < 0)
		return -1;
	rc = decode_obj(root, ch, info, e);
	json_decref(root);
	return rc;
}

/* ---- other inputs ---- */

/* QEMU query-sev-capabilities: pdh, cert-chain, cpu0-id (base64). */
static int load_qemu(json_t *caps, const char *name, struct sm_chain *ch,
		     struct sm_bundle_info *info, struct sm_err *e)
{
	const char *pdh = NULL, *chain = NULL, *id = NULL;
	uint8_t *buf;
	struct sm_sev_cert c[4];
	json_error_t je;
	ssize_t n;
	size_t i;
	int rc = -1;

	/* QEMU may add members: only the ones used here are checked. */
	if (json_unpack_ex(caps, &je, 0, "{s:s, s:s, s?s}", "pdh", &pdh,
			   "cert-chain", &chain, "cpu0-id", &id) < 0)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "bad query-sev-capabilities reply '%s': %s",
				  name, je.text);
	buf = malloc(SM_SEV_CHAIN_LEN + 4);
	if (!buf)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "cannot load '%s'", name);
	n = sm_base64_decode(pdh, buf, SM_SEV_CHAIN_LEN + 4);
	if (n < 0 || sm_sev_cert_parse(buf, (size_t)n, &c[0], e) < 0) {
		if (n < 0)
			sm_err_set(e, SM_EXIT_VERIFY, "not base64");
		sm_err_prefix(e, "bad pdh in '%s'", name);
		goto out;
	}
	n = sm_base64_decode(chain, buf, SM_SEV_CHAIN_LEN + 4);
	if (n != (ssize_t)SM_SEV_CHAIN_LEN) {
		sm_err_set(e, SM_EXIT_VERIFY,
			   "bad cert-chain in '%s': not base64 of %u bytes (PEK||OCA||CEK)",
			   name, SM_SEV_CHAIN_LEN);
		goto out;
	}
	for (i = 0; i < 3; i++) {
		static const uint32_t want[] = { SM_USAGE_PEK, SM_USAGE_OCA,
						 SM_USAGE_CEK };

		if (sm_sev_cert_parse(buf + i * SM_SEV_CERT_LEN,
				      SM_SEV_CERT_LEN, &c[i + 1], e) < 0) {
			sm_err_prefix(e, "bad cert-chain in '%s'", name);
			goto out;
		}
		if (c[i + 1].usage != want[i]) {
			sm_err_set(e, SM_EXIT_VERIFY,
				   "bad cert-chain in '%s': certificate %zu is a %s, expected a %s",
				   name, i + 1, sm_usage_name(c[i + 1].usage),
				   sm_usage_name(want[i]));
			goto out;
		}
	}
	if (c[0].usage != SM_USAGE_PDH) {
		sm_err_set(e, SM_EXIT_VERIFY, "bad pdh in '%s': it is a %s",
			   name, sm_usage_name(c[0].usage));
		goto out;
	}
	if (id) {
		n = sm_base64_decode(id, info->chip_id, SM_CHIP_ID_MAX);
		if (n <= 0) {
			sm_err_set(e, SM_EXIT_VERIFY,
				   "bad cpu0-id in '%s': not base64 of 1 to %d bytes",
				   name, SM_CHIP_ID_MAX);
			goto out;
		}
		info->chip_id_len = (size_t)n;
	}
	for (i = 0; i < 4; i++)
		set_sev(ch, &c[i]);
	set_source(info, "qmp reply", name);
	rc = 0;
out:
	free(buf);
	return rc;
}

static int load_json(const uint8_t *buf, size_t len, const char *name,
		     struct sm_chain *ch, struct sm_bundle_info *info,
		     struct sm_err *e)
{
	json_t *root, *v;
	int rc;

	if (sm_json_parse((const char *)buf, len, name, &root, e) < 0)
		return -1;
	v = root;
	if (json_is_object(v) && json_object_get(v, "error")) {
		json_t *d = json_object_get(json_object_get(v, "error"),
					    "desc");

		rc = sm_err_set(e, SM_EXIT_UNSUPPORTED,
				"QEMU refused query-sev-capabilities in '%s': %s",
				name,
				json_is_string(d) ? json_string_value(d) :
						    "no description");
		goto out;
	}
	if (json_is_object(v) && json_object_get(v, "return"))
		v = json_object_get(v, "return");
	if (json_is_object(v) && json_object_get(v, "schema")) {
		struct sm_chain nc;
		struct sm_bundle_info ni;
		size_t i;

		rc = decode_obj(v, &nc, &ni, e);
		if (rc < 0) {
			sm_err_prefix(e, "invalid bundle '%s'", name);
			goto out;
		}
		for (i = 0; i < SM_ARRAY_SIZE(slots); i++) {
			if (!(nc.have & slots[i].bit))
				continue;
			if (slots[i].amd)
				set_amd(ch, slots[i].usage == SM_USAGE_ASK ?
						    &nc.ask :
						    &nc.ark);
			else
				set_sev(ch, sev_slot(&nc, slots[i].usage));
		}
		if (ni.product != SM_PRODUCT_UNKNOWN)
			info->product = ni.product;
		if (ni.chip_id_len) {
			memcpy(info->chip_id, ni.chip_id, ni.chip_id_len);
			info->chip_id_len = ni.chip_id_len;
		}
		if (ni.have_api) {
			info->have_api = 1;
			info->api_major = ni.api_major;
			info->api_minor = ni.api_minor;
		}
		if (ni.source[0])
			memcpy(info->source, ni.source, sizeof(info->source));
		set_source(info, "bundle", name);
	} else if (json_is_object(v) && json_object_get(v, "pdh") &&
		   json_object_get(v, "cert-chain")) {
		rc = load_qemu(v, name, ch, info, e);
	} else {
		rc = sm_err_set(e, SM_EXIT_VERIFY,
				"JSON input '%s' is neither a sevmig-certs bundle nor a query-sev-capabilities reply",
				name);
	}
out:
	json_decref(root);
	return rc;
}

/* Whitespace-separated hex digits only (AMD's 2019 KDS answered so). */
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

static int load_sev_blob(const uint8_t *buf, size_t len, const char *name,
			 struct sm_chain *ch, struct sm_err *e)
{
	static const uint32_t order3[] = { SM_USAGE_PEK, SM_USAGE_OCA,
					   SM_USAGE_CEK };
	static const uint32_t order4[] = { SM_USAGE_PDH, SM_USAGE_PEK,
					   SM_USAGE_OCA, SM_USAGE_CEK };
	size_t n = len / SM_SEV_CERT_LEN, i;
	const uint32_t *order = n == 3 ? order3 : order4;
	struct sm_sev_cert c[4];

	for (i = 0; i < n; i++) {
		if (sm_sev_cert_parse(buf + i * SM_SEV_CERT_LEN,
				      SM_SEV_CERT_LEN, &c[i], e) < 0) {
			if (n == 1)
				return sm_err_prefix(e,
						     "invalid certificate '%s'",
						     name);
			return sm_err_prefix(e,
					     "invalid certificate %zu of '%s'",
					     i + 1, name);
		}
		if (n > 1 && c[i].usage != order[i])
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "invalid chain '%s': certificate %zu is a %s, expected a %s (%s)",
					  name, i + 1,
					  sm_usage_name(c[i].usage),
					  sm_usage_name(order[i]),
					  n == 3 ? "PEK||OCA||CEK" :
						   "PDH||PEK||OCA||CEK");
	}
	for (i = 0; i < n; i++)
		set_sev(ch, &c[i]);
	return 0;
}

/* One AMD certificate, or ASK||ARK. */
static int load_amd(const uint8_t *buf, size_t len, const char *name,
		    struct sm_chain *ch, struct sm_err *e)
{
	struct sm_amd_cert a, b;
	size_t used, used2;

	if (sm_amd_cert_parse(buf, len, &a, &used, e) < 0)
		return sm_err_prefix(e, "invalid certificate '%s'", name);
	if (used == len) {
		set_amd(ch, &a);
		return 0;
	}
	if (a.usage != SM_USAGE_ASK)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "invalid certificate '%s': %zu bytes after the %s (an AMD file holds ASK||ARK)",
				  name, len - used, sm_usage_name(a.usage));
	if (sm_amd_cert_parse(buf + used, len - used, &b, &used2, e) < 0)
		return sm_err_prefix(e, "invalid ARK in '%s'", name);
	if (b.usage != SM_USAGE_ARK)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "invalid certificate '%s': the second certificate is an %s, expected the ARK",
				  name, sm_usage_name(b.usage));
	if (used + used2 != len)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "invalid certificate '%s': %zu trailing bytes after ASK||ARK",
				  name, len - used - used2);
	set_amd(ch, &a);
	set_amd(ch, &b);
	return 0;
}

/* A size an AMD certificate or ASK||ARK file has. */
static int amd_size(size_t len)
{
	static const size_t sizes[] = {
		SM_AMD_CERT_NAPLES_BAD, SM_AMD_CERT_2K, SM_AMD_CERT_4K,
		2 * SM_AMD_CERT_2K, SM_AMD_CERT_2K + SM_AMD_CERT_NAPLES_BAD,
		2 * SM_AMD_CERT_4K,
	};
	size_t i;

	for (i = 0; i < SM_ARRAY_SIZE(sizes); i++)
		if (len == sizes[i])
			return 1;
	return 0;
}

static int load_binary(const uint8_t *buf, size_t len, const char *name,
		       struct sm_chain *ch, struct sm_err *e)
{
	size_t n = len / SM_SEV_CERT_LEN, sev4 = 4 * SM_SEV_CERT_LEN;

	if (len % SM_SEV_CERT_LEN == 0 && (n == 1 || n == 3 || n == 4))
		return load_sev_blob(buf, len, name, ch, e);
	/* sevctl export --full: PDH||PEK||OCA||CEK||ASK||ARK */
	if (len == sev4 + 2 * SM_AMD_CERT_2K ||
	    len == sev4 + 2 * SM_AMD_CERT_4K) {
		if (load_sev_blob(buf, sev4, name, ch, e) < 0)
			return -1;
		return load_amd(buf + sev4, len - sev4, name, ch, e);
	}
	if (len >= 12 && sm_get_le32(buf) == 1) {
		uint32_t sev_usage = sm_get_le32(buf + 8);
		uint32_t amd_usage = len >= 0x28 ? sm_get_le32(buf + 0x24) : 0xffff;

		if (sev_usage >= SM_USAGE_OCA && sev_usage <= SM_USAGE_CEK) {
			struct sm_sev_cert c;

			/* the size is wrong: let the parser say so */
			if (sm_sev_cert_parse(buf, len, &c, e) < 0)
				return sm_err_prefix(e,
						     "invalid certificate '%s'",
						     name);
		}
		if (amd_usage == SM_USAGE_ARK || amd_usage == SM_USAGE_ASK ||
		    amd_size(len))
			return load_amd(buf, len, name, ch, e);
	}
	return sm_err_set(e, SM_EXIT_VERIFY,
			  "unrecognised certificate input '%s' (%zu bytes): expected a bundle, a SEV certificate (%u bytes), a PEK||OCA||CEK blob (%u bytes), an AMD certificate or an ASK||ARK file",
			  name, len, SM_SEV_CERT_LEN, SM_SEV_CHAIN_LEN);
}

static int load_buf(const uint8_t *buf, size_t len, const char *name,
		    struct sm_chain *ch, struct sm_bundle_info *info,
		    int depth, struct sm_err *e)
{
	size_t i = 0;

	if (len == 0)
		return sm_err_set(e, SM_EXIT_VERIFY, "empty input '%s'", name);
	while (i < len && isspace(buf[i]))
		i++;
	if (i < len && (buf[i] == '{' || buf[i] == '[')) {
		if (load_json(buf, len, name, ch, info, e) < 0)
			return -1;
		api_from_chain(ch, info);
		return 0;
	}
	if (depth == 0 && is_hex_text(buf, len)) {
		size_t n = 0, j;
		char *hex = malloc(len + 1);
		uint8_t *bin = malloc(len / 2 + 1);
		ssize_t got;
		int rc;

		if (!hex || !bin) {
			free(hex);
			free(bin);
			return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
					    "cannot load '%s'", name);
		}
		for (j = 0; j < len; j++)
			if (!isspace(buf[j]))
				hex[n++] = (char)buf[j];
		hex[n] = '\0';
		got = sm_hex_decode(hex, bin, len / 2 + 1);
		free(hex);
		if (got <= 0) {
			free(bin);
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "invalid hex text in '%s': odd number of digits",
					  name);
		}
		rc = load_buf(bin, (size_t)got, name, ch, info, 1, e);
		free(bin);
		if (rc < 0) {
			size_t m = strlen(e->msg);

			snprintf(e->msg + m, sizeof(e->msg) - m,
				 " (the input was hex text)");
		}
		return rc;
	}
	if (load_binary(buf, len, name, ch, e) < 0)
		return -1;
	set_source(info, "file", name);
	api_from_chain(ch, info);
	return 0;
}

int sm_certs_load_buf(const uint8_t *buf, size_t len, const char *name,
		      struct sm_chain *ch, struct sm_bundle_info *info,
		      struct sm_err *e)
{
	struct sm_bundle_info dummy;

	if (!info) {
		memset(&dummy, 0, sizeof(dummy));
		info = &dummy;
	}
	return load_buf(buf, len, name, ch, info, 0, e);
}

/*
 * Merge what a multi-certificate file of a directory holds into ch.  A
 * slot the single files already filled must hold the same bytes.
 */
static int merge_dir_file(struct sm_chain *ch, const struct sm_chain *one,
			  const char *file, struct sm_err *e)
{
	size_t i;

	for (i = 0; i < SM_ARRAY_SIZE(slots); i++) {
		const struct sm_sev_cert *c = NULL, *had = NULL;
		const struct sm_amd_cert *a = NULL, *hada = NULL;
		int same;

		if (!(one->have & slots[i].bit))
			continue;
		if (slots[i].amd) {
			a = slots[i].usage == SM_USAGE_ASK ? &one->ask :
							     &one->ark;
			hada = slots[i].usage == SM_USAGE_ASK ? &ch->ask :
								&ch->ark;
		} else {
			c = sev_slot((struct sm_chain *)one, slots[i].usage);
			had = sev_slot(ch, slots[i].usage);
		}
		if (ch->have & slots[i].bit) {
			same = a ? a->len == hada->len &&
					       !memcmp(a->raw, hada->raw,
						       a->len) :
				   !memcmp(c->raw, had->raw, sizeof(c->raw));
			if (!same)
				return sm_err_set(
					e, SM_EXIT_VERIFY,
					"'%s' holds another %s than %s.cert",
					file, sm_usage_name(slots[i].usage),
					slots[i].key);
			continue;
		}
		if (a)
			set_amd(ch, a);
		else
			set_sev(ch, c);
	}
	return 0;
}

/*
 * Load DIR/NAME.cert into one (its path in file): 1, or 0 when there is
 * no such file, -1 on error.
 */
static int load_dir_file(const char *dir, const char *name, char *file,
			 size_t filesz, struct sm_chain *one, struct sm_err *e)
{
	struct sm_bundle_info oi;
	uint8_t *buf;
	size_t len;
	int rc;

	if (snprintf(file, filesz, "%s/%s.cert", dir, name) >= (int)filesz)
		return sm_err_set(e, SM_EXIT_IO, "path '%s' is too long", dir);
	if (access(file, F_OK) < 0) {
		if (errno == ENOENT)
			return 0;
		return sm_err_errno(e, SM_EXIT_IO, errno, "cannot access '%s'",
				    file);
	}
	if (sm_read_file(file, INPUT_MAX, &buf, &len, e) < 0)
		return -1;
	memset(one, 0, sizeof(*one));
	memset(&oi, 0, sizeof(oi));
	rc = load_buf(buf, len, file, one, &oi, 0, e);
	free(buf);
	return rc < 0 ? -1 : 1;
}

static int load_dir(const char *path, struct sm_chain *ch,
		    struct sm_bundle_info *info, struct sm_err *e)
{
	/*
	 * What sev-tool writes beside the single files: --pdh_cert_export's
	 * PEK||OCA||CEK and the ASK||ARK file it names ask_ark.cert.
	 */
	static const char *const multi[] = { "cert_chain", "ask_ark" };
	char file[4096];
	struct sm_chain one;
	size_t i, found = 0;
	int rc;

	for (i = 0; i < SM_ARRAY_SIZE(slots); i++) {
		rc = load_dir_file(path, slots[i].key, file, sizeof(file), &one,
				   e);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		if (one.have != slots[i].bit)
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "invalid certificate '%s': it does not hold exactly one %s",
					  file, sm_usage_name(slots[i].usage));
		if (slots[i].amd)
			set_amd(ch, slots[i].usage == SM_USAGE_ASK ? &one.ask :
								     &one.ark);
		else
			set_sev(ch, sev_slot(&one, slots[i].usage));
		found++;
	}
	for (i = 0; i < SM_ARRAY_SIZE(multi); i++) {
		rc = load_dir_file(path, multi[i], file, sizeof(file), &one, e);
		if (rc < 0 || (rc > 0 && merge_dir_file(ch, &one, file, e) < 0))
			return -1;
		found += (size_t)rc;
	}
	if (!found)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"no certificate in directory '%s' (expected pdh.cert pek.cert oca.cert cek.cert ask.cert ark.cert, or sev-tool's cert_chain.cert and ask_ark.cert)",
			path);
	set_source(info, "directory", path);
	api_from_chain(ch, info);
	return 0;
}

int sm_certs_load(const char *path, struct sm_chain *ch,
		  struct sm_bundle_info *info, struct sm_err *e)
{
	struct sm_bundle_info dummy;
	struct stat st;
	uint8_t *buf;
	size_t len;
	int rc;

	if (!info) {
		memset(&dummy, 0, sizeof(dummy));
		info = &dummy;
	}
	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		return load_dir(path, ch, info, e);
	if (sm_read_file(path, INPUT_MAX, &buf, &len, e) < 0)
		return -1;
	rc = load_buf(buf, len, strcmp(path, "-") ? path : "(stdin)", ch,
		      info, 0, e);
	free(buf);
	return rc;
}

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
			    const struct sm_verify_result *r,
			    const char *trust, char **out, struct sm_err *e)
{
	json_t *root, *certs, *links;
	size_t i;

	root = json_pack("{s:s, s:b, s:s*, s:o, s:o*}", "schema",
			 SM_VERIFY_SCHEMA, "ok", r->ok, "product",
			 r->product == SM_PRODUCT_UNKNOWN ?
				 NULL :
				 sm_product_name(r->product),
			 "trust", str_json(trust), "source",
			 info && info->source[0] ? str_json(info->source) :
						   NULL);
	certs = json_object();
	links = json_array();
	if (!root || !certs || !links)
		goto err_nomem;
	for (i = 0; i < SM_ARRAY_SIZE(slots); i++) {
		const struct slot *s = &slots[i];
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
			v = cert_summary(sev_slot((struct sm_chain *)ch,
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
				      "reason", str_json(r->reason[l]));

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
	return json_pack("{s:s, s:s, s:i, s:i, s:o, s:s, s:i, s:{s:s, s:s, s:o, s:o}, s:o, s:o, s:s}",
			 "kind", "sev", "usage", sm_usage_name(c->usage),
			 "usage_code", (int)c->usage, "version",
			 (int)c->version, "api_version",
			 api_json(c->api_major, c->api_minor), "algorithm",
			 sm_algo_name(c->algo), "algorithm_code", (int)c->algo,
			 "key", "type", "ec", "curve", "P-384", "x",
			 hex_json(x, 48), "y", hex_json(y, 48), "signatures",
			 sigs, "fingerprint", hex_json(fp, n),
			 "fingerprint_hash", hash_name(n));
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
	return json_pack("{s:s, s:s, s:i, s:i, s:o, s:o, s:{s:s, s:i, s:I, s:o}, s:[{s:s, s:b}], s:o, s:s}",
			 "kind", "amd", "usage", sm_usage_name(c->usage),
			 "usage_code", (int)c->usage, "version", 1, "key_id",
			 hex_json(c->key_id, SM_KEY_ID_LEN), "certifying_id",
			 hex_json(c->certifying_id, SM_KEY_ID_LEN), "key",
			 "type", "rsa", "bits", (int)c->modulus_bits,
			 "exponent", (json_int_t)exp, "modulus",
			 hex_json(n, c->modulus_bits / 8), "signatures",
			 "algorithm", alg, "present", c->has_signature,
			 "fingerprint", hex_json(fp, fl), "fingerprint_hash",
			 hash_name(fl));
}

static json_t *show_file(const struct sm_show_item *it)
{
	const struct sm_bundle_info *in = it->info;
	json_t *f, *certs;
	size_t i;

	if (it->err)
		return json_pack("{s:o, s:o}", "file", str_json(it->file),
				 "error", str_json(it->err->msg));
	certs = json_array();
	for (i = 0; certs && i < SM_ARRAY_SIZE(slots); i++) {
		const struct slot *s = &slots[i];

		if (!(it->ch->have & s->bit))
			continue;
		json_array_append_new(
			certs,
			s->amd ? show_amd(s->usage == SM_USAGE_ASK ?
						  &it->ch->ask :
						  &it->ch->ark) :
				 show_sev(sev_slot((struct sm_chain *)it->ch,
						   s->usage)));
	}
	f = json_pack("{s:o, s:n, s:s*, s:o*, s:o*, s:o*, s:o}", "file",
		      str_json(it->file), "error", "product",
		      in->product == SM_PRODUCT_UNKNOWN ?
			      NULL :
			      sm_product_name(in->product),
		      "chip_id",
		      in->chip_id_len ? hex_json(in->chip_id, in->chip_id_len) :
					NULL,
		      "api_version",
		      in->have_api ? api_json(in->api_major, in->api_minor) :
				     NULL,
		      "source", in->source[0] ? str_json(in->source) : NULL,
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

int sm_trust_load(const char *path, struct sm_chain *tc, struct sm_trust *t,
		  struct sm_err *e)
{
	memset(tc, 0, sizeof(*tc));
	if (sm_certs_load(path, tc, NULL, e) < 0)
		return sm_err_prefix(e, "cannot load the trusted root");
	if (!(tc->have & SM_HAVE_ARK))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "no ARK in '%s' given with --ark", path);
	t->ark = &tc->ark;
	if (tc->have & SM_HAVE_ASK)
		t->ask = &tc->ask;
	return 0;
}
