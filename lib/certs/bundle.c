// SPDX-License-Identifier: MIT
/*
 * The certificate bundle ("schema": "sevmig-certs/1"), encoded and
 * decoded, and the chain slots every input fills.  Decoding is strict:
 * unknown keys, a certificate in the wrong slot or a bad encoding are
 * errors, so a bundle means exactly one thing.  Verification is not done
 * here: callers run sm_chain_verify on what they load.
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

const struct slot smb_slots[SMB_NSLOTS] = {
	{ "pdh", SM_HAVE_PDH, SM_USAGE_PDH, 0 },
	{ "pek", SM_HAVE_PEK, SM_USAGE_PEK, 0 },
	{ "oca", SM_HAVE_OCA, SM_USAGE_OCA, 0 },
	{ "cek", SM_HAVE_CEK, SM_USAGE_CEK, 0 },
	{ "ask", SM_HAVE_ASK, SM_USAGE_ASK, 1 },
	{ "ark", SM_HAVE_ARK, SM_USAGE_ARK, 1 },
};

struct sm_sev_cert *smb_sev_slot(struct sm_chain *ch, uint32_t usage)
{
	switch (usage) {
	case SM_USAGE_PDH:
		return &ch->pdh;
	case SM_USAGE_PEK:
		return &ch->pek;
	case SM_USAGE_OCA:
		return &ch->oca;
	case SM_USAGE_CEK:
		return &ch->cek;
	default:
		return NULL;
	}
}

unsigned smb_usage_bit(uint32_t usage)
{
	size_t i;

	for (i = 0; i < SM_ARRAY_SIZE(smb_slots); i++)
		if (smb_slots[i].usage == usage)
			return smb_slots[i].bit;
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
		return smb_sev_slot((struct sm_chain *)ch, s->usage)->raw;
	}
}

void smb_set_sev(struct sm_chain *ch, const struct sm_sev_cert *c)
{
	*smb_sev_slot(ch, c->usage) = *c;
	ch->have |= smb_usage_bit(c->usage);
}

void smb_set_amd(struct sm_chain *ch, const struct sm_amd_cert *c)
{
	if (c->usage == SM_USAGE_ASK)
		ch->ask = *c;
	else
		ch->ark = *c;
	ch->have |= smb_usage_bit(c->usage);
}

/* Take the platform API version from the PDH when nothing else says. */
void smb_api_from_chain(const struct sm_chain *ch, struct sm_bundle_info *info)
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
void smb_set_source(struct sm_bundle_info *info, const char *what,
		    const char *name)
{
	if (!info->source[0]) {
		snprintf(info->source, sizeof(info->source), "%s '%s'", what,
			 name);
		utf8_cut(info->source);
	}
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
	if (json_object_set_new(root, "schema", json_string(SM_BUNDLE_SCHEMA)) <
	    0)
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
		if (json_object_set_new(root, "api_version", json_string(api)) <
		    0)
			goto err_root;
	}
	if (info && info->source[0] &&
	    json_object_set_new(root, "source", sm_json_text(info->source)) < 0)
		goto err_root;
	for (i = 0; i < SM_ARRAY_SIZE(smb_slots); i++) {
		const uint8_t *raw;
		size_t len;
		int rc;

		if (!(ch->have & smb_slots[i].bit))
			continue;
		raw = slot_bytes(ch, &smb_slots[i], &len);
		b64 = malloc(sm_base64_len(len) + 1);
		if (!b64)
			goto err_root;
		sm_base64_encode(raw, len, b64);
		rc = json_object_set_new(root, smb_slots[i].key,
					 json_string(b64));
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
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"bundle field '%s' is not base64 of a certificate",
			s->key);
	if (s->amd) {
		struct sm_amd_cert c;

		if (sm_amd_cert_parse(buf, (size_t)n, &c, &used, e) < 0)
			return sm_err_prefix(e, "bundle field '%s'", s->key);
		if (used != (size_t)n)
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"bundle field '%s': %zu trailing bytes after the certificate",
				s->key, (size_t)n - used);
		if (c.usage != s->usage)
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "bundle field '%s' holds an %s",
					  s->key, sm_usage_name(c.usage));
		smb_set_amd(ch, &c);
	} else {
		struct sm_sev_cert c;

		if (sm_sev_cert_parse(buf, (size_t)n, &c, e) < 0)
			return sm_err_prefix(e, "bundle field '%s'", s->key);
		if (c.usage != s->usage)
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "bundle field '%s' holds a %s",
					  s->key, sm_usage_name(c.usage));
		smb_set_sev(ch, &c);
	}
	return 0;
}

static int schema_check(const char *schema, struct sm_err *e)
{
	static const char prefix[] = "sevmig-certs/";

	if (strcmp(schema, SM_BUNDLE_SCHEMA) == 0)
		return 0;
	if (strncmp(schema, prefix, sizeof(prefix) - 1) == 0)
		return sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"unsupported bundle schema '%s' (this version reads '%s')",
			schema, SM_BUNDLE_SCHEMA);
	return sm_err_set(e, SM_EXIT_VERIFY,
			  "unknown schema '%s', expected '%s'", schema,
			  SM_BUNDLE_SCHEMA);
}

int smb_decode_obj(json_t *root, struct sm_chain *ch,
		   struct sm_bundle_info *info, struct sm_err *e)
{
	const char *schema = NULL, *product = NULL, *chip = NULL, *api = NULL;
	const char *source = NULL, *cert[SM_ARRAY_SIZE(smb_slots)] = { NULL };
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
	if (json_unpack_ex(
		    root, &je, 0,
		    "{s:s, s?s, s?s, s?s, s?s, s?s, s?s, s?s, s?s, s?s, s?s !}",
		    "schema", &schema, "product", &product, "chip_id", &chip,
		    "api_version", &api, "source", &source, "pdh", &cert[0],
		    "pek", &cert[1], "oca", &cert[2], "cek", &cert[3], "ask",
		    &cert[4], "ark", &cert[5]) < 0)
		return sm_err_set(e, SM_EXIT_VERIFY, "bad bundle: %s", je.text);
	memset(&nc, 0, sizeof(nc));
	memset(&ni, 0, sizeof(ni));
	if (product && sm_product_parse(product, &ni.product) < 0)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "bundle names unknown product '%s'", product);
	if (chip) {
		ssize_t n = sm_hex_decode(chip, ni.chip_id, SM_CHIP_ID_MAX);

		if (n <= 0)
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"bundle chip_id is not hex of 1 to %d bytes",
				SM_CHIP_ID_MAX);
		ni.chip_id_len = (size_t)n;
	}
	if (api) {
		unsigned maj, min;
		char end;

		if (sscanf(api, "%u.%u%c", &maj, &min, &end) != 2 ||
		    maj > 255 || min > 255)
			return sm_err_set(
				e, SM_EXIT_VERIFY,
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
	for (i = 0; i < SM_ARRAY_SIZE(smb_slots); i++)
		if (cert[i] && decode_cert(cert[i], &smb_slots[i], &nc, e) < 0)
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
	rc = smb_decode_obj(root, ch, info, e);
	json_decref(root);
	return rc;
}
