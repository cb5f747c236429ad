// SPDX-License-Identifier: MIT
/*
 * Every input sevmig accepts where a bundle is expected (sm_certs_load):
 * a bundle, QEMU's query-sev-capabilities, a directory of certificates,
 * one SEV or AMD certificate, a PDH_CERT_EXPORT chain blob, AMD's ASK||ARK
 * file; and --ark's trusted root (sm_trust_load).
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
		sm_err_set(
			e, SM_EXIT_VERIFY,
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
			sm_err_set(
				e, SM_EXIT_VERIFY,
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
			sm_err_set(
				e, SM_EXIT_VERIFY,
				"bad cpu0-id in '%s': not base64 of 1 to %d bytes",
				name, SM_CHIP_ID_MAX);
			goto out;
		}
		info->chip_id_len = (size_t)n;
	}
	for (i = 0; i < 4; i++)
		smb_set_sev(ch, &c[i]);
	smb_set_source(info, "qmp reply", name);
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
		json_t *d =
			json_object_get(json_object_get(v, "error"), "desc");

		rc = sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"QEMU refused query-sev-capabilities in '%s': %s", name,
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

		rc = smb_decode_obj(v, &nc, &ni, e);
		if (rc < 0) {
			sm_err_prefix(e, "invalid bundle '%s'", name);
			goto out;
		}
		for (i = 0; i < SM_ARRAY_SIZE(smb_slots); i++) {
			if (!(nc.have & smb_slots[i].bit))
				continue;
			if (smb_slots[i].amd)
				smb_set_amd(ch,
					    smb_slots[i].usage == SM_USAGE_ASK ?
						    &nc.ask :
						    &nc.ark);
			else
				smb_set_sev(ch,
					    smb_sev_slot(&nc,
							 smb_slots[i].usage));
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
		smb_set_source(info, "bundle", name);
	} else if (json_is_object(v) && json_object_get(v, "pdh") &&
		   json_object_get(v, "cert-chain")) {
		rc = load_qemu(v, name, ch, info, e);
	} else {
		rc = sm_err_set(
			e, SM_EXIT_VERIFY,
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
				return sm_err_prefix(
					e, "invalid certificate '%s'", name);
			return sm_err_prefix(e,
					     "invalid certificate %zu of '%s'",
					     i + 1, name);
		}
		if (n > 1 && c[i].usage != order[i])
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"invalid chain '%s': certificate %zu is a %s, expected a %s (%s)",
				name, i + 1, sm_usage_name(c[i].usage),
				sm_usage_name(order[i]),
				n == 3 ? "PEK||OCA||CEK" :
					 "PDH||PEK||OCA||CEK");
	}
	for (i = 0; i < n; i++)
		smb_set_sev(ch, &c[i]);
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
		smb_set_amd(ch, &a);
		return 0;
	}
	if (a.usage != SM_USAGE_ASK)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"invalid certificate '%s': %zu bytes after the %s (an AMD file holds ASK||ARK)",
			name, len - used, sm_usage_name(a.usage));
	if (sm_amd_cert_parse(buf + used, len - used, &b, &used2, e) < 0)
		return sm_err_prefix(e, "invalid ARK in '%s'", name);
	if (b.usage != SM_USAGE_ARK)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"invalid certificate '%s': the second certificate is an %s, expected the ARK",
			name, sm_usage_name(b.usage));
	if (used + used2 != len)
		return sm_err_set(
			e, SM_EXIT_VERIFY,
			"invalid certificate '%s': %zu trailing bytes after ASK||ARK",
			name, len - used - used2);
	smb_set_amd(ch, &a);
	smb_set_amd(ch, &b);
	return 0;
}

/* A size an AMD certificate or ASK||ARK file has. */
static int amd_size(size_t len)
{
	static const size_t sizes[] = {
		SM_AMD_CERT_NAPLES_BAD,
		SM_AMD_CERT_2K,
		SM_AMD_CERT_4K,
		2 * SM_AMD_CERT_2K,
		SM_AMD_CERT_2K + SM_AMD_CERT_NAPLES_BAD,
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
		uint32_t amd_usage = len >= 0x28 ? sm_get_le32(buf + 0x24) :
						   0xffff;

		if (sev_usage >= SM_USAGE_OCA && sev_usage <= SM_USAGE_CEK) {
			struct sm_sev_cert c;

			/* the size is wrong: let the parser say so */
			if (sm_sev_cert_parse(buf, len, &c, e) < 0)
				return sm_err_prefix(
					e, "invalid certificate '%s'", name);
		}
		if (amd_usage == SM_USAGE_ARK || amd_usage == SM_USAGE_ASK ||
		    amd_size(len))
			return load_amd(buf, len, name, ch, e);
	}
	return sm_err_set(
		e, SM_EXIT_VERIFY,
		"unrecognised certificate input '%s' (%zu bytes): expected a bundle, a SEV certificate (%u bytes), a PEK||OCA||CEK blob (%u bytes), an AMD certificate or an ASK||ARK file",
		name, len, SM_SEV_CERT_LEN, SM_SEV_CHAIN_LEN);
}

static int load_buf(const uint8_t *buf, size_t len, const char *name,
		    struct sm_chain *ch, struct sm_bundle_info *info, int depth,
		    struct sm_err *e)
{
	size_t i = 0;

	if (len == 0)
		return sm_err_set(e, SM_EXIT_VERIFY, "empty input '%s'", name);
	while (i < len && isspace(buf[i]))
		i++;
	if (i < len && (buf[i] == '{' || buf[i] == '[')) {
		if (load_json(buf, len, name, ch, info, e) < 0)
			return -1;
		smb_api_from_chain(ch, info);
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
			return sm_err_set(
				e, SM_EXIT_VERIFY,
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
	smb_set_source(info, "file", name);
	smb_api_from_chain(ch, info);
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

	for (i = 0; i < SM_ARRAY_SIZE(smb_slots); i++) {
		const struct sm_sev_cert *c = NULL, *had = NULL;
		const struct sm_amd_cert *a = NULL, *hada = NULL;
		int same;

		if (!(one->have & smb_slots[i].bit))
			continue;
		if (smb_slots[i].amd) {
			a = smb_slots[i].usage == SM_USAGE_ASK ? &one->ask :
								 &one->ark;
			hada = smb_slots[i].usage == SM_USAGE_ASK ? &ch->ask :
								    &ch->ark;
		} else {
			c = smb_sev_slot((struct sm_chain *)one,
					 smb_slots[i].usage);
			had = smb_sev_slot(ch, smb_slots[i].usage);
		}
		if (ch->have & smb_slots[i].bit) {
			same = a ? a->len == hada->len &&
					       !memcmp(a->raw, hada->raw,
						       a->len) :
				   !memcmp(c->raw, had->raw, sizeof(c->raw));
			if (!same)
				return sm_err_set(
					e, SM_EXIT_VERIFY,
					"'%s' holds another %s than %s.cert",
					file, sm_usage_name(smb_slots[i].usage),
					smb_slots[i].key);
			continue;
		}
		if (a)
			smb_set_amd(ch, a);
		else
			smb_set_sev(ch, c);
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

	for (i = 0; i < SM_ARRAY_SIZE(smb_slots); i++) {
		rc = load_dir_file(path, smb_slots[i].key, file, sizeof(file),
				   &one, e);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		if (one.have != smb_slots[i].bit)
			return sm_err_set(
				e, SM_EXIT_VERIFY,
				"invalid certificate '%s': it does not hold exactly one %s",
				file, sm_usage_name(smb_slots[i].usage));
		if (smb_slots[i].amd)
			smb_set_amd(ch, smb_slots[i].usage == SM_USAGE_ASK ?
						&one.ask :
						&one.ark);
		else
			smb_set_sev(ch, smb_sev_slot(&one, smb_slots[i].usage));
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
	smb_set_source(info, "directory", path);
	smb_api_from_chain(ch, info);
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
	rc = load_buf(buf, len, strcmp(path, "-") ? path : "(stdin)", ch, info,
		      0, e);
	free(buf);
	return rc;
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
