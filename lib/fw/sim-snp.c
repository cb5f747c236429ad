// SPDX-License-Identifier: MIT
/*
 * A simulated host's SEV-SNP identity (sim-snp.h): making it at platform
 * init (the X.509 ARK and ASK on the platform's AMD keys, a VCEK for its
 * chip id and TCB, snp.json), loading it, and signing attestation reports
 * with it as the PSP does.  Certificates and signatures go through
 * certs/snp-report.h; jansson reads and writes snp.json.
 */
#include "fw/sim-snp.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "base/bytes.h"
#include "base/json.h"
#include "base/util.h"
#include "fw/sim-platform.h"

#define SNP_JSON "snp.json"
#define SNP_SCHEMA "sevmig-sim-snp/1"
#define ARK_PEM "snp-ark.pem"
#define ASK_PEM "snp-ask.pem"
#define VCEK_DER "snp-vcek.der"
#define VCEK_PEM "snp-vcek.pem"
#define VCEK_KEY "snp-vcek.key"
#define CERT_MAX (64u * 1024)

/* The TCB a new host reports: that of AMD's public Milan report (B.7). */
#define DEF_BL 3
#define DEF_TEE 0
#define DEF_SNP 8
#define DEF_UCODE 115
/* platform_info: SMT enabled */
#define DEF_PLATFORM_INFO 1

const char *const sm_sim_snp_files[] = {
	ARK_PEM, ASK_PEM, VCEK_DER, VCEK_PEM, VCEK_KEY, SNP_JSON, NULL,
};

struct sm_sim_snp {
	enum sm_product product;
	uint8_t chip_id[SM_SNP_CHIP_ID_LEN];
	struct sm_snp_tcb tcb;
	uint64_t tcb_raw, platform_info;
	uint8_t fw_build, fw_minor, fw_major;
	struct sm_key *vcek_key;
	uint8_t *vcek_der;
	size_t vcek_len;
	char *chain_pem, *ark_pem;
	size_t chain_len, ark_len;
};

static int join(char *out, const char *dir, const char *name, struct sm_err *e)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX)
		return sm_err_set(e, SM_EXIT_USAGE, "path too long '%s'", dir);
	return 0;
}

/* The TCB_VERSION of Milan and Genoa: bl, tee, 4 reserved, snp, ucode. */
static uint64_t tcb_encode(const struct sm_snp_tcb *t)
{
	return (uint64_t)t->bl | (uint64_t)t->tee << 8 |
	       (uint64_t)t->snp << 48 | (uint64_t)t->ucode << 56;
}

static int supported(enum sm_product p)
{
	return p == SM_PRODUCT_MILAN || p == SM_PRODUCT_GENOA;
}

/* ---- files ---- */

/* A certificate file of dir, PEM or DER, as DER. */
static int read_cert(const char *dir, const char *name, uint8_t **der,
		     size_t *len, struct sm_err *e)
{
	char path[PATH_MAX];
	uint8_t *buf;
	size_t n;
	int rc;

	if (join(path, dir, name, e) ||
	    sm_read_file(path, CERT_MAX, &buf, &n, e))
		return -1;
	rc = sm_snp_cert_der(buf, n, path, der, len, e);
	free(buf);
	return rc;
}

static int write_in(const char *dir, const char *name, const void *buf,
		    size_t len, struct sm_err *e)
{
	char path[PATH_MAX];

	if (join(path, dir, name, e))
		return -1;
	return sm_write_file_atomic(path, buf, len, 0644, e);
}

static int json_write(const char *dir, const struct sm_sim_snp *s,
		      struct sm_err *e)
{
	json_t *o;
	char *text;
	int rc;

	o = json_pack("{s:s,s:s,s:{s:i,s:i,s:i,s:i},s:I}", "schema", SNP_SCHEMA,
		      "product", sm_snp_sim_product_name(s->product), "tcb",
		      "bl", (int)s->tcb.bl, "tee", (int)s->tcb.tee, "snp",
		      (int)s->tcb.snp, "ucode", (int)s->tcb.ucode,
		      "platform_info", (json_int_t)s->platform_info);
	text = o ? sm_json_dump(o) : NULL;
	json_decref(o);
	if (!text)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	rc = write_in(dir, SNP_JSON, text, strlen(text), e);
	free(text);
	return rc;
}

static int get_u8(json_t *o, const char *key, uint8_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 255)
		return -1;
	*out = (uint8_t)json_integer_value(v);
	return 0;
}

static int json_read(const char *dir, struct sm_sim_snp *s, struct sm_err *e)
{
	char path[PATH_MAX];
	const char *schema, *product;
	json_t *o = NULL, *tcb, *pi;
	uint8_t *buf;
	size_t len;
	int rc;

	if (join(path, dir, SNP_JSON, e) ||
	    sm_read_file(path, 4096, &buf, &len, e))
		return -1;
	rc = sm_json_parse((const char *)buf, len, path, &o, e);
	free(buf);
	if (rc)
		return -1;
	rc = -1;
	schema = json_string_value(json_object_get(o, "schema"));
	if (!schema || strcmp(schema, SNP_SCHEMA)) {
		sm_err_set(e, SM_EXIT_UNSUPPORTED,
			   "reading '%s': not a " SNP_SCHEMA " file", path);
		goto out;
	}
	product = json_string_value(json_object_get(o, "product"));
	tcb = json_object_get(o, "tcb");
	pi = json_object_get(o, "platform_info");
	if (!product || strcmp(product, sm_snp_sim_product_name(s->product)) ||
	    !json_is_object(tcb) || get_u8(tcb, "bl", &s->tcb.bl) ||
	    get_u8(tcb, "tee", &s->tcb.tee) ||
	    get_u8(tcb, "snp", &s->tcb.snp) ||
	    get_u8(tcb, "ucode", &s->tcb.ucode) || !json_is_integer(pi) ||
	    json_integer_value(pi) < 0) {
		sm_err_set(e, SM_EXIT_FAILURE,
			   "reading '%s': bad or missing field (or a product "
			   "other than platform.json's)",
			   path);
		goto out;
	}
	s->platform_info = (uint64_t)json_integer_value(pi);
	s->tcb_raw = tcb_encode(&s->tcb);
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* ---- making one (platform init) ---- */

/*
 * The ARK and ASK of ark_from when it has them (a host of the same
 * product): 1, 0 (it has none), -1.
 */
static int shared_roots(const char *from, const struct sm_key *ark,
			const struct sm_key *ask, uint8_t **ark_der,
			size_t *ark_len, uint8_t **ask_der, size_t *ask_len,
			struct sm_err *e)
{
	char path[PATH_MAX];
	struct stat st;

	if (join(path, from, ARK_PEM, e))
		return -1;
	if (stat(path, &st) < 0 && errno == ENOENT)
		return 0;
	if (read_cert(from, ARK_PEM, ark_der, ark_len, e) ||
	    read_cert(from, ASK_PEM, ask_der, ask_len, e))
		return -1;
	if (!sm_snp_cert_has_key(*ark_der, *ark_len, ark) ||
	    !sm_snp_cert_has_key(*ask_der, *ask_len, ask) ||
	    !sm_snp_cert_signs(*ark_der, *ark_len, *ask_der, *ask_len))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "sharing '%s/" ARK_PEM "' and '" ASK_PEM
				  "': they are not the ARK and ASK of its "
				  "ark.key and ask.key",
				  from);
	return 1;
}

static int pem_cat(const uint8_t *const *der, const size_t *len, size_t n,
		   char **out, size_t *out_len, struct sm_err *e)
{
	char *all = NULL, *pem, *grown;
	size_t used = 0, i, k;

	for (i = 0; i < n; i++) {
		if (sm_snp_der_to_pem(der[i], len[i], &pem, e) < 0) {
			free(all);
			return -1;
		}
		k = strlen(pem);
		grown = realloc(all, used + k + 1);
		if (!grown) {
			free(pem);
			free(all);
			return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
		}
		all = grown;
		memcpy(all + used, pem, k + 1);
		used += k;
		free(pem);
	}
	*out = all;
	*out_len = used;
	return 0;
}

int sm_sim_snp_make(const char *dir, const struct sm_sim_platform_info *info,
		    const struct sm_key *ark, const struct sm_key *ask,
		    const char *ark_from, struct sm_err *e)
{
	struct sm_sim_platform_info from;
	struct sm_sim_snp s;
	uint8_t *ark_der = NULL, *ask_der = NULL, *vcek_der = NULL;
	size_t ark_len = 0, ask_len = 0, vcek_len = 0, n;
	struct sm_key *vcek = NULL;
	char path[PATH_MAX], *pem = NULL;
	int rc = -1, shared = 0;

	if (!supported(info->product))
		return 0;
	memset(&s, 0, sizeof(s));
	s.product = info->product;
	s.tcb.bl = DEF_BL;
	s.tcb.tee = DEF_TEE;
	s.tcb.snp = DEF_SNP;
	s.tcb.ucode = DEF_UCODE;
	s.platform_info = DEF_PLATFORM_INFO;
	/* another product's host shares the keys, not its ARK-<Product> */
	if (ark_from && sm_sim_platform_read_info(ark_from, &from, e) == 0 &&
	    from.product == info->product) {
		shared = shared_roots(ark_from, ark, ask, &ark_der, &ark_len,
				      &ask_der, &ask_len, e);
		if (shared < 0)
			goto out;
	}
	if (!shared && (sm_snp_sim_ark(ark, s.product, &ark_der, &ark_len, e) ||
			sm_snp_sim_ask(ask, ark, ark_der, ark_len, s.product,
				       &ask_der, &ask_len, e)))
		goto out;
	if (sm_key_generate_ec(&vcek, e) ||
	    sm_snp_sim_vcek(vcek, ask, ask_der, ask_len, s.product,
			    info->chip_id, &s.tcb, &vcek_der, &vcek_len, e))
		goto out;
	if (pem_cat((const uint8_t *const[]){ ark_der }, &ark_len, 1, &pem, &n,
		    e) ||
	    write_in(dir, ARK_PEM, pem, n, e))
		goto out;
	free(pem);
	pem = NULL;
	if (pem_cat((const uint8_t *const[]){ ask_der }, &ask_len, 1, &pem, &n,
		    e) ||
	    write_in(dir, ASK_PEM, pem, n, e))
		goto out;
	free(pem);
	pem = NULL;
	if (pem_cat((const uint8_t *const[]){ vcek_der, ask_der, ark_der },
		    (const size_t[]){ vcek_len, ask_len, ark_len }, 3, &pem, &n,
		    e) ||
	    write_in(dir, VCEK_PEM, pem, n, e) ||
	    write_in(dir, VCEK_DER, vcek_der, vcek_len, e) ||
	    join(path, dir, VCEK_KEY, e) || sm_key_save_pem(vcek, path, e) ||
	    json_write(dir, &s, e))
		goto out;
	rc = 0;
out:
	free(pem);
	free(ark_der);
	free(ask_der);
	free(vcek_der);
	sm_key_free(vcek);
	return rc;
}

/* ---- loading one ---- */

static int self_check(const struct sm_sim_snp *s, const char *dir,
		      struct sm_err *e);

int sm_sim_snp_load(const char *dir, struct sm_sim_snp **out, struct sm_err *e)
{
	struct sm_sim_platform_info info;
	struct sm_sim_snp *s;
	uint8_t *ark = NULL, *ask = NULL;
	size_t ark_len = 0, ask_len = 0;
	char path[PATH_MAX];
	struct stat st;

	*out = NULL;
	if (sm_sim_platform_read_info(dir, &info, e))
		return -1;
	if (!supported(info.product))
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "platform '%s' is %s: the simulator has an "
				  "SNP identity for milan and genoa only",
				  dir, sm_product_name(info.product));
	if (join(path, dir, SNP_JSON, e))
		return -1;
	if (stat(path, &st) < 0 && errno == ENOENT)
		return sm_err_set(
			e, SM_EXIT_UNSUPPORTED,
			"platform '%s' has no SNP identity (no " SNP_JSON
			"): it was made before platform "
			"init made one; make it again",
			dir);
	s = calloc(1, sizeof(*s));
	if (!s)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	s->product = info.product;
	memcpy(s->chip_id, info.chip_id, SM_SNP_CHIP_ID_LEN);
	s->fw_build = info.build;
	s->fw_minor = info.api_minor;
	s->fw_major = info.api_major;
	if (json_read(dir, s, e) ||
	    read_cert(dir, ARK_PEM, &ark, &ark_len, e) ||
	    read_cert(dir, ASK_PEM, &ask, &ask_len, e) ||
	    read_cert(dir, VCEK_DER, &s->vcek_der, &s->vcek_len, e) ||
	    join(path, dir, VCEK_KEY, e) ||
	    sm_key_load_pem(path, &s->vcek_key, e) ||
	    pem_cat((const uint8_t *const[]){ ask, ark },
		    (const size_t[]){ ask_len, ark_len }, 2, &s->chain_pem,
		    &s->chain_len, e) ||
	    pem_cat((const uint8_t *const[]){ ark }, &ark_len, 1, &s->ark_pem,
		    &s->ark_len, e))
		goto err;
	if (!sm_snp_cert_has_key(s->vcek_der, s->vcek_len, s->vcek_key)) {
		sm_err_set(e, SM_EXIT_VERIFY,
			   "'%s/" VCEK_KEY "' is not the key of " VCEK_DER,
			   dir);
		goto err;
	}
	if (self_check(s, dir, e))
		goto err;
	free(ark);
	free(ask);
	*out = s;
	return 0;
err:
	free(ark);
	free(ask);
	sm_sim_snp_free(s);
	return -1;
}

void sm_sim_snp_free(struct sm_sim_snp *s)
{
	if (!s)
		return;
	sm_key_free(s->vcek_key);
	free(s->vcek_der);
	free(s->chain_pem);
	free(s->ark_pem);
	free(s);
}

/* ---- signing ---- */

int sm_sim_snp_sign(const struct sm_sim_snp *s, uint8_t raw[SM_SNP_REPORT_LEN],
		    struct sm_err *e)
{
	uint32_t version = sm_get_le32(raw);
	uint8_t *p;

	if (version != 2 && version != 3 && version != 5)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "SNP report version %u (2, 3 or 5)", version);
	sm_put_le64(raw + 0x038, s->tcb_raw); /* current_tcb */
	sm_put_le64(raw + 0x040, s->platform_info);
	/* key info: the guest's AUTHOR_KEY_EN and MASK_CHIP_KEY, VCEK */
	sm_put_le32(raw + 0x048, sm_get_le32(raw + 0x048) & 3u);
	memset(raw + 0x04c, 0, 4);
	sm_put_le64(raw + 0x180, s->tcb_raw); /* reported_tcb */
	p = raw + 0x188;
	memset(p, 0, 0x1a0 - 0x188);
	if (version >= 3) {
		p[0] = 0x19; /* family 19h */
		p[1] = s->product == SM_PRODUCT_GENOA ? 0x11 : 0x01;
		p[2] = 0x01; /* Milan B0 (A00F11), Genoa B1 (A10F11) */
	}
	memcpy(raw + SM_SNP_OFF_CHIP_ID, s->chip_id, SM_SNP_CHIP_ID_LEN);
	sm_put_le64(raw + 0x1e0, s->tcb_raw); /* committed_tcb */
	p = raw + 0x1e8; /* current, then committed: build, minor, major */
	p[0] = p[4] = s->fw_build;
	p[1] = p[5] = s->fw_minor;
	p[2] = p[6] = s->fw_major;
	p[3] = p[7] = 0;
	sm_put_le64(raw + 0x1f0, s->tcb_raw); /* launch_tcb */
	memset(raw + 0x208, 0, SM_SNP_SIGNED_LEN - 0x208);
	return sm_snp_report_sign(raw, s->vcek_key, e);
}

/* Sign a report of this host and verify it as a user would. */
static int self_check(const struct sm_sim_snp *s, const char *dir,
		      struct sm_err *e)
{
	static const uint8_t rd[] = "sevmig-sim snp self-check";
	struct sm_snp_verify_opts o;
	struct sm_snp_verify_result *res;
	struct sm_snp_report *r;
	uint8_t raw[SM_SNP_REPORT_LEN];
	int rc = -1;

	memset(raw, 0, sizeof(raw));
	sm_put_le32(raw, 3);
	sm_put_le64(raw + 0x008, 0x30000);
	memcpy(raw + SM_SNP_OFF_REPORT_DATA, rd, sizeof(rd));
	memset(raw + SM_SNP_OFF_REPORT_ID_MA, 0xff, 32);
	r = malloc(sizeof(*r));
	res = malloc(sizeof(*res));
	if (!r || !res) {
		sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
		goto out;
	}
	memset(&o, 0, sizeof(o));
	sm_sim_snp_verify_opts(s, &o);
	if (sm_sim_snp_sign(s, raw, e) ||
	    sm_snp_report_parse(raw, sizeof(raw), "(self-check)", r, e) ||
	    sm_snp_verify(r, &o, res, e)) {
		sm_err_prefix(e,
			      "platform '%s': its SNP identity does not "
			      "hold together",
			      dir);
		goto out;
	}
	rc = 0;
out:
	free(r);
	free(res);
	return rc;
}

/* ---- accessors ---- */

const uint8_t *sm_sim_snp_vcek_der(const struct sm_sim_snp *s, size_t *len)
{
	*len = s->vcek_len;
	return s->vcek_der;
}

const char *sm_sim_snp_chain_pem(const struct sm_sim_snp *s, size_t *len)
{
	*len = s->chain_len;
	return s->chain_pem;
}

const char *sm_sim_snp_ark_pem(const struct sm_sim_snp *s, size_t *len)
{
	*len = s->ark_len;
	return s->ark_pem;
}

const uint8_t *sm_sim_snp_chip_id(const struct sm_sim_snp *s)
{
	return s->chip_id;
}

uint64_t sm_sim_snp_tcb(const struct sm_sim_snp *s)
{
	return s->tcb_raw;
}

enum sm_product sm_sim_snp_product(const struct sm_sim_snp *s)
{
	return s->product;
}

void sm_sim_snp_verify_opts(const struct sm_sim_snp *s,
			    struct sm_snp_verify_opts *o)
{
	o->vcek_buf = s->vcek_der;
	o->vcek_len = s->vcek_len;
	o->chain_buf = (const uint8_t *)s->chain_pem;
	o->chain_len = s->chain_len;
	o->ark_buf = (const uint8_t *)s->ark_pem;
	o->ark_len = s->ark_len;
	o->ark = NULL;
}
