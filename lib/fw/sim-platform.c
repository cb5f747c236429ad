// SPDX-License-Identifier: MIT
/*
 * A simulated host on disk: making one (sevmig-sim platform init: the
 * AMD-format ARK and ASK, the CEK, OCA, PEK and PDH with their keys, and
 * platform.json) and loading one for the simulated PSP (fw-sim.c).  Its
 * outside dependency is jansson, for platform.json; keys and certificates
 * go through certs/cert.h.
 */
#include "fw/sim-platform.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/json.h"
#include "base/ossl.h"
#include "base/util.h"

#define PLATFORM_JSON "platform.json"
#define SIM_SCHEMA "sevmig-sim-platform/1"
#define SIM_BUILD 0

static int join(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= PATH_MAX ? -1 : 0;
}

/* ---- platform.json (jansson) ---- */

static int json_write(const char *path, const struct sm_sim_platform_info *i,
		      struct sm_err *e)
{
	char hex[2 * SM_SIM_CHIP_ID_LEN + 1], *text;
	json_t *o;
	int rc;

	sm_hex_encode(i->chip_id, SM_SIM_CHIP_ID_LEN, hex);
	o = json_pack("{s:s,s:s,s:i,s:i,s:i,s:b,s:s}", "schema", SIM_SCHEMA,
		      "product", sm_product_name(i->product), "api_major",
		      (int)i->api_major, "api_minor", (int)i->api_minor,
		      "build", (int)i->build, "es", i->es, "chip_id", hex);
	text = o ? sm_json_dump(o) : NULL;
	json_decref(o);
	if (!text)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	rc = sm_write_file_atomic(path, text, strlen(text), 0644, e);
	free(text);
	return rc;
}

/* An integer field of 0 to 255. */
static int get_u8(json_t *o, const char *key, uint8_t *out)
{
	json_t *v = json_object_get(o, key);
	json_int_t n;

	if (!json_is_integer(v))
		return -1;
	n = json_integer_value(v);
	if (n < 0 || n > 255)
		return -1;
	*out = (uint8_t)n;
	return 0;
}

static int json_read(const char *path, struct sm_sim_platform_info *i,
		     struct sm_err *e)
{
	const char *schema, *product, *chip;
	json_t *o = NULL, *es;
	uint8_t *buf;
	size_t len;
	int rc = -1;

	if (sm_read_file(path, 4096, &buf, &len, e))
		return -1;
	rc = sm_json_parse((const char *)buf, len, path, &o, e);
	free(buf);
	if (rc)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "reading '%s': not a " SIM_SCHEMA " file",
				  path);
	rc = -1;
	memset(i, 0, sizeof(*i));
	schema = json_string_value(json_object_get(o, "schema"));
	if (!json_is_object(o) || !schema || strcmp(schema, SIM_SCHEMA)) {
		sm_err_set(e, SM_EXIT_UNSUPPORTED,
			   "reading '%s': not a " SIM_SCHEMA " file", path);
		goto out;
	}
	product = json_string_value(json_object_get(o, "product"));
	es = json_object_get(o, "es");
	if (!product || sm_product_parse(product, &i->product) ||
	    get_u8(o, "api_major", &i->api_major) ||
	    get_u8(o, "api_minor", &i->api_minor) ||
	    get_u8(o, "build", &i->build) || !json_is_boolean(es)) {
		sm_err_set(e, SM_EXIT_FAILURE,
			   "reading '%s': bad or missing field", path);
		goto out;
	}
	i->es = json_is_true(es);
	chip = json_string_value(json_object_get(o, "chip_id"));
	if (!chip || strlen(chip) != 2 * SM_SIM_CHIP_ID_LEN ||
	    sm_hex_decode(chip, i->chip_id, SM_SIM_CHIP_ID_LEN) !=
		    SM_SIM_CHIP_ID_LEN) {
		sm_err_set(e, SM_EXIT_FAILURE, "reading '%s': bad chip_id",
			   path);
		goto out;
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* ---- certificate files ---- */

static int load_sev(const char *dir, const char *name, uint32_t usage,
		    struct sm_sev_cert *c, struct sm_err *e)
{
	char path[PATH_MAX];
	uint8_t *buf;
	size_t len;
	int rc;

	if (join(path, dir, name))
		return sm_err_set(e, SM_EXIT_USAGE, "path too long '%s'", dir);
	if (sm_read_file(path, SM_SEV_CERT_LEN + 1, &buf, &len, e))
		return -1;
	rc = sm_sev_cert_parse(buf, len, c, e);
	free(buf);
	if (rc)
		return sm_err_prefix(e, "reading '%s'", path);
	if (c->usage != usage)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "reading '%s': usage %s, expected %s", path,
				  sm_usage_name(c->usage),
				  sm_usage_name(usage));
	return 0;
}

static int load_amd(const char *dir, const char *name, struct sm_amd_cert *c,
		    struct sm_err *e)
{
	char path[PATH_MAX];
	uint8_t *buf;
	size_t len, used = 0;
	int rc;

	if (join(path, dir, name))
		return sm_err_set(e, SM_EXIT_USAGE, "path too long '%s'", dir);
	if (sm_read_file(path, SM_AMD_CERT_MAX + 1, &buf, &len, e))
		return -1;
	rc = sm_amd_cert_parse(buf, len, c, &used, e);
	free(buf);
	if (rc)
		return sm_err_prefix(e, "reading '%s'", path);
	if (used != len)
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "reading '%s': trailing bytes", path);
	return 0;
}

static int load_key(const char *dir, const char *name, struct sm_key **k,
		    struct sm_err *e)
{
	char path[PATH_MAX];

	if (join(path, dir, name))
		return sm_err_set(e, SM_EXIT_USAGE, "path too long '%s'", dir);
	return sm_key_load_pem(path, k, e);
}

/* ---- platform init ---- */

static const char *const platform_files[] = {
	"ark.cert", "ark.key",	"ask.cert",    "ask.key",  "cek.cert",
	"cek.key",  "oca.cert", "oca.key",     "pek.cert", "pek.key",
	"pdh.cert", "pdh.key",	PLATFORM_JSON,
};

static int dir_prepare(const char *dir, int *created, struct sm_err *e)
{
	struct dirent *d;
	DIR *dp;
	int err;

	*created = 0;
	if (mkdir(dir, 0755) == 0) {
		*created = 1;
		return 0;
	}
	err = errno;
	if (err != EEXIST)
		return sm_err_errno(e, SM_EXIT_IO, err,
				    "creating platform directory '%s'", dir);
	dp = opendir(dir);
	if (!dp)
		return sm_err_errno(e, SM_EXIT_IO, errno,
				    "opening platform directory '%s'", dir);
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..")) {
			closedir(dp);
			return sm_err_set(e, SM_EXIT_USAGE,
					  "creating platform '%s': directory "
					  "is not empty",
					  dir);
		}
	}
	closedir(dp);
	return 0;
}

static void dir_undo(const char *dir, int created)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < SM_ARRAY_SIZE(platform_files); i++)
		if (join(path, dir, platform_files[i]) == 0)
			unlink(path);
	for (i = 0; sm_sim_snp_files[i]; i++)
		if (join(path, dir, sm_sim_snp_files[i]) == 0)
			unlink(path);
	if (created)
		rmdir(dir);
}

static int save_cert(const char *dir, const char *name, const void *raw,
		     size_t len, struct sm_err *e)
{
	char path[PATH_MAX];

	if (join(path, dir, name))
		return sm_err_set(e, SM_EXIT_USAGE, "path too long '%s'", dir);
	return sm_write_file_atomic(path, raw, len, 0644, e);
}

static int save_key(const char *dir, const char *name, const struct sm_key *k,
		    struct sm_err *e)
{
	char path[PATH_MAX];

	if (join(path, dir, name))
		return sm_err_set(e, SM_EXIT_USAGE, "path too long '%s'", dir);
	return sm_key_save_pem(k, path, e);
}

/* A shared ARK must come with the private half of its key. */
static int check_pair_amd(const char *dir, const char *name,
			  const struct sm_amd_cert *c, struct sm_key *k,
			  struct sm_err *e)
{
	struct sm_amd_cert probe;
	uint8_t id[SM_KEY_ID_LEN] = { 0 };

	/* Sign a throwaway ASK and verify it with the ARK's public key. */
	if (sm_amd_cert_build(&probe, k, SM_USAGE_ASK, id, k, c->key_id, e) ||
	    sm_amd_cert_verify(c, &probe, e))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "sharing '%s/%s': the key does not match "
				  "the certificate",
				  dir, name);
	return 0;
}

/* The simulated AMD part: new ARK and ASK, or those of another host. */
static int make_amd(const char *dir, const struct sm_sim_platform_opts *o,
		    enum sm_product product, struct sm_key **ark_key,
		    struct sm_key **ask_key, struct sm_amd_cert *ask,
		    struct sm_err *e)
{
	struct sm_amd_cert ark;
	uint8_t ark_id[SM_KEY_ID_LEN], ask_id[SM_KEY_ID_LEN];
	unsigned bits;
	int rc = -1;

	*ark_key = *ask_key = NULL;
	if (o->ark_from) {
		if (load_amd(o->ark_from, "ark.cert", &ark, e) ||
		    load_amd(o->ark_from, "ask.cert", ask, e) ||
		    load_key(o->ark_from, "ark.key", ark_key, e) ||
		    load_key(o->ark_from, "ask.key", ask_key, e))
			goto out;
		/* The ASK's key is checked when it signs the CEK. */
		if (check_pair_amd(o->ark_from, "ark.key", &ark, *ark_key, e) ||
		    sm_amd_cert_verify(&ark, ask, e))
			goto out;
	} else {
		bits = o->ark_bits;
		if (!bits)
			bits = product == SM_PRODUCT_NAPLES ? 2048 : 4096;
		if (sm_random(ark_id, sizeof(ark_id)) ||
		    sm_random(ask_id, sizeof(ask_id))) {
			sm_err_ossl(e, SM_EXIT_FAILURE, "no random bytes");
			goto out;
		}
		if (sm_key_generate_rsa(ark_key, bits, e) ||
		    sm_key_generate_rsa(ask_key, bits, e) ||
		    sm_amd_cert_build(&ark, *ark_key, SM_USAGE_ARK, ark_id,
				      *ark_key, ark_id, e) ||
		    sm_amd_cert_build(ask, *ask_key, SM_USAGE_ASK, ask_id,
				      *ark_key, ark_id, e))
			goto out;
	}
	if (save_cert(dir, "ark.cert", ark.raw, ark.len, e) ||
	    save_key(dir, "ark.key", *ark_key, e) ||
	    save_cert(dir, "ask.cert", ask->raw, ask->len, e) ||
	    save_key(dir, "ask.key", *ask_key, e))
		goto out;
	rc = 0;
out:
	if (rc) {
		sm_key_free(*ark_key);
		sm_key_free(*ask_key);
		*ark_key = *ask_key = NULL;
	}
	return rc;
}

/* The owner: a new self-signed OCA, or the OCA of another host. */
static int make_oca(const char *dir, const struct sm_sim_platform_opts *o,
		    uint8_t maj, uint8_t min, struct sm_key **k,
		    struct sm_sev_cert *oca, struct sm_err *e)
{
	if (o->oca_from) {
		if (load_sev(o->oca_from, "oca.cert", SM_USAGE_OCA, oca, e) ||
		    load_key(o->oca_from, "oca.key", k, e))
			return -1;
		if (!sm_key_matches_sev_cert(*k, oca))
			return sm_err_set(e, SM_EXIT_VERIFY,
					  "sharing '%s/oca.key': the key does "
					  "not match the certificate",
					  o->oca_from);
	} else {
		if (sm_key_generate_ec(k, e) ||
		    sm_sev_cert_init(oca, *k, SM_USAGE_OCA,
				     SM_ALGO_ECDSA_SHA256, maj, min, e) ||
		    sm_sev_cert_sign(oca, 0, *k, SM_USAGE_OCA, e))
			return -1;
	}
	if (save_cert(dir, "oca.cert", oca->raw, SM_SEV_CERT_LEN, e) ||
	    save_key(dir, "oca.key", *k, e))
		return -1;
	return 0;
}

static int make_platform(const char *dir, const struct sm_sim_platform_opts *o,
			 struct sm_err *e)
{
	struct sm_key *ark_k = NULL, *ask_k = NULL, *cek_k = NULL;
	struct sm_key *oca_k = NULL;
	struct sm_key *pek_k = NULL, *pdh_k = NULL;
	struct sm_sev_cert cek, oca, pek, pdh;
	struct sm_sim_platform_info info;
	struct sm_amd_cert ask;
	char path[PATH_MAX];
	int rc = -1;

	memset(&info, 0, sizeof(info));
	info.product = o->product ? o->product : SM_PRODUCT_MILAN;
	info.api_major = o->api_major;
	info.api_minor = o->api_minor;
	if (!info.api_major && !info.api_minor) {
		info.api_major = 1;
		info.api_minor = 55;
	}
	info.build = SIM_BUILD;
	info.es = !o->no_es;
	if (sm_random(info.chip_id, sizeof(info.chip_id))) {
		sm_err_ossl(e, SM_EXIT_FAILURE, "no random bytes");
		goto out;
	}
	if (make_amd(dir, o, info.product, &ark_k, &ask_k, &ask, e))
		goto out;
	/* CEK: as the KDS serves it, signed by the ASK. */
	if (sm_key_generate_ec(&cek_k, e) ||
	    sm_sev_cert_init(&cek, cek_k, SM_USAGE_CEK, SM_ALGO_ECDSA_SHA256,
			     info.api_major, info.api_minor, e) ||
	    sm_sev_cert_sign_by_amd(&cek, ask_k, e))
		goto out;
	if (sm_sev_cert_verify_by_amd(&ask, &cek, e)) {
		sm_err_set(e, SM_EXIT_VERIFY,
			   "sharing '%s/ask.key': the key does not match the "
			   "certificate",
			   o->ark_from ? o->ark_from : dir);
		goto out;
	}
	if (make_oca(dir, o, info.api_major, info.api_minor, &oca_k, &oca, e))
		goto out;
	/* PEK: signed by the owner (slot 1) and by the chip (slot 2). */
	if (sm_key_generate_ec(&pek_k, e) ||
	    sm_sev_cert_init(&pek, pek_k, SM_USAGE_PEK, SM_ALGO_ECDSA_SHA256,
			     info.api_major, info.api_minor, e) ||
	    sm_sev_cert_sign(&pek, 0, oca_k, SM_USAGE_OCA, e) ||
	    sm_sev_cert_sign(&pek, 1, cek_k, SM_USAGE_CEK, e))
		goto out;
	if (sm_key_generate_ec(&pdh_k, e) ||
	    sm_sev_cert_init(&pdh, pdh_k, SM_USAGE_PDH, SM_ALGO_ECDH_SHA256,
			     info.api_major, info.api_minor, e) ||
	    sm_sev_cert_sign(&pdh, 0, pek_k, SM_USAGE_PEK, e))
		goto out;
	if (save_cert(dir, "cek.cert", cek.raw, SM_SEV_CERT_LEN, e) ||
	    save_key(dir, "cek.key", cek_k, e) ||
	    save_cert(dir, "pek.cert", pek.raw, SM_SEV_CERT_LEN, e) ||
	    save_key(dir, "pek.key", pek_k, e) ||
	    save_cert(dir, "pdh.cert", pdh.raw, SM_SEV_CERT_LEN, e) ||
	    save_key(dir, "pdh.key", pdh_k, e))
		goto out;
	if (join(path, dir, PLATFORM_JSON)) {
		sm_err_set(e, SM_EXIT_USAGE, "path too long '%s'", dir);
		goto out;
	}
	if (json_write(path, &info, e))
		goto out;
	/* SNP: the X.509 ARK and ASK on the same keys, and a VCEK */
	if (sm_sim_snp_make(dir, &info, ark_k, ask_k, o->ark_from, e))
		goto out;
	rc = 0;
out:
	sm_key_free(ark_k);
	sm_key_free(pdh_k);
	sm_key_free(pek_k);
	sm_key_free(oca_k);
	sm_key_free(cek_k);
	sm_key_free(ask_k);
	return rc;
}

int sm_fw_sim_platform_init(const char *dir,
			    const struct sm_sim_platform_opts *o,
			    struct sm_err *e)
{
	struct sm_sim_platform_opts def;
	int created;

	if (!o) {
		memset(&def, 0, sizeof(def));
		o = &def;
	}
	if (o->ark_bits && o->ark_bits != 2048 && o->ark_bits != 4096)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "bad ARK size %u (2048 or 4096)",
				  o->ark_bits);
	if (o->ark_bits && o->ark_from)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "an ARK size and a shared ARK exclude each "
				  "other");
	if (dir_prepare(dir, &created, e))
		return -1;
	if (make_platform(dir, o, e)) {
		dir_undo(dir, created);
		return sm_err_prefix(e, "creating platform '%s'", dir);
	}
	return 0;
}

/* ---- loading a platform ---- */

int sm_sim_platform_read_info(const char *dir, struct sm_sim_platform_info *i,
			      struct sm_err *e)
{
	char path[PATH_MAX];

	if (join(path, dir, PLATFORM_JSON))
		return sm_err_set(e, SM_EXIT_USAGE, "path too long '%s'", dir);
	return json_read(path, i, e);
}

int sm_sim_platform_load(const char *dir, struct sm_sim_platform *p,
			 struct sm_err *e)
{
	char path[PATH_MAX];

	memset(p, 0, sizeof(*p));
	if (join(path, dir, PLATFORM_JSON))
		return sm_err_set(e, SM_EXIT_USAGE, "path too long '%s'", dir);
	if (json_read(path, &p->info, e) ||
	    load_sev(dir, "pdh.cert", SM_USAGE_PDH, &p->pdh, e) ||
	    load_sev(dir, "pek.cert", SM_USAGE_PEK, &p->pek, e) ||
	    load_sev(dir, "oca.cert", SM_USAGE_OCA, &p->oca, e) ||
	    load_sev(dir, "cek.cert", SM_USAGE_CEK, &p->cek, e) ||
	    load_amd(dir, "ark.cert", &p->ark, e) ||
	    load_key(dir, "pdh.key", &p->pdh_key, e))
		goto err;
	if (!sm_key_matches_sev_cert(p->pdh_key, &p->pdh)) {
		sm_err_set(e, SM_EXIT_VERIFY,
			   "pdh.key does not match pdh.cert");
		goto err;
	}
	return 0;

err:
	sm_sim_platform_free(p);
	return -1;
}

void sm_sim_platform_free(struct sm_sim_platform *p)
{
	sm_key_free(p->pdh_key);
	p->pdh_key = NULL;
}
