// SPDX-License-Identifier: MIT
/*
 * The SNP VCEK from AMD's KDS (see vcek.h): three KDS documents, each
 * checked before it is used or cached, then the report verified with them.
 */
#include "fetch/vcek.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "fetch/kds.h"

static const char *kds_product(enum sm_product p)
{
	switch (p) {
	case SM_PRODUCT_MILAN:
		return "Milan";
	case SM_PRODUCT_GENOA:
		return "Genoa";
	case SM_PRODUCT_TURIN:
		return "Turin";
	default:
		return NULL;
	}
}

/* The hex chip id the KDS names a chip by (8 bytes on Turin). */
static void chip_hex(const struct sm_snp_report *r, enum sm_product p,
		     char out[2 * SM_SNP_CHIP_ID_LEN + 1])
{
	sm_hex_encode(r->raw + SM_SNP_OFF_CHIP_ID,
		      p == SM_PRODUCT_TURIN ? 8 : SM_SNP_CHIP_ID_LEN, out);
}

int sm_vcek_kds_path(const struct sm_snp_report *r, enum sm_product p,
		     char *buf, size_t n)
{
	char hex[2 * SM_SNP_CHIP_ID_LEN + 1], fmc[32] = "";
	struct sm_snp_tcb t;
	const char *name = kds_product(p);
	int len;

	if (!name)
		return -1;
	chip_hex(r, p, hex);
	sm_snp_tcb_decode(r->reported_tcb, p, &t);
	if (t.has_fmc)
		snprintf(fmc, sizeof(fmc), "fmcSPL=%u&", t.fmc);
	len = snprintf(
		buf, n,
		"/vcek/v1/%s/%s?%sblSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u",
		name, hex, fmc, t.bl, t.tee, t.snp, t.ucode);
	return len < 0 || (size_t)len >= n ? -1 : 0;
}

struct vcek_ctx {
	const struct sm_snp_report *r;
	struct sm_snp_verify_opts vo;
	struct sm_snp_verify_result *res;
	enum sm_product p;
};

static int check_chain(const uint8_t *buf, size_t len, void *arg,
		       struct sm_err *e)
{
	struct vcek_ctx *c = arg;

	if (sm_snp_check_chain(buf, len, c->p, e) < 0)
		return sm_err_prefix(e, "not AMD's cert_chain");
	return 0;
}

static int check_crl(const uint8_t *buf, size_t len, void *arg,
		     struct sm_err *e)
{
	struct vcek_ctx *c = arg;

	if (sm_snp_check_crl(buf, len, c->vo.chain_buf, c->vo.chain_len, e) < 0)
		return sm_err_prefix(e, "not AMD's CRL");
	return 0;
}

/* The VCEK is kept only when the whole report verifies with it. */
static int check_vcek(const uint8_t *buf, size_t len, void *arg,
		      struct sm_err *e)
{
	struct vcek_ctx *c = arg;
	struct sm_snp_verify_opts vo = c->vo;

	vo.vcek_buf = buf;
	vo.vcek_len = len;
	if (sm_snp_verify(c->r, &vo, c->res, e) < 0)
		return sm_err_prefix(e, "not the report's VCEK");
	return 0;
}

int sm_vcek_fetch(const struct sm_fetch_opts *o, const struct sm_snp_report *r,
		  const char *crl_path, char **pem, int *have_crl,
		  struct sm_snp_verify_result *res, struct sm_err *e)
{
	struct sm_kds_opts k;
	struct vcek_ctx c;
	char upath[512], name[512], hex[2 * SM_SNP_CHIP_ID_LEN + 1];
	uint8_t *chain = NULL, *crl = NULL, *vcek = NULL;
	size_t chain_len, crl_len, vcek_len;
	const char *why, *pn;
	char *vpem = NULL;
	size_t a, b;
	int ret = -1;

	*pem = NULL;
	*have_crl = 0;
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.res = res;
	c.p = o && o->product != SM_PRODUCT_UNKNOWN ?
		      o->product :
		      sm_snp_report_product(r, &why);
	pn = kds_product(c.p);
	if (!pn)
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"the report does not name an SNP product (%s): give --product milan, genoa or turin",
			c.p == SM_PRODUCT_UNKNOWN ?
				why :
				"--product is not an SNP product");
	c.vo.product = c.p;
	sm_fetch_kds_opts(o, &k);
	k.check_arg = &c;

	snprintf(upath, sizeof(upath), "/vcek/v1/%s/cert_chain", pn);
	snprintf(name, sizeof(name), "snp-cert_chain-%s.pem", pn);
	k.check = check_chain;
	if (sm_kds_fetch_path(&k, "cert_chain", upath, name, 0, &chain,
			      &chain_len, e) < 0)
		goto out;
	c.vo.chain_buf = chain;
	c.vo.chain_len = chain_len;

	c.vo.crl = crl_path;
	if (!crl_path) {
		struct sm_err ce;

		snprintf(upath, sizeof(upath), "/vcek/v1/%s/crl", pn);
		snprintf(name, sizeof(name), "snp-crl-%s.der", pn);
		k.check = check_crl;
		if (sm_kds_fetch_path(&k, "CRL", upath, name, 1, &crl, &crl_len,
				      &ce) == 0) {
			c.vo.crl_buf = crl;
			c.vo.crl_len = crl_len;
		} else if (ce.code == SM_EXIT_VERIFY) {
			*e = ce;
			goto out;
		} else {
			pr_warn("no CRL, revocation not checked: %s", ce.msg);
		}
	}
	*have_crl = c.vo.crl_buf || crl_path;

	if (sm_vcek_kds_path(r, c.p, upath, sizeof(upath)) < 0) {
		sm_err_set(e, SM_EXIT_FAILURE, "VCEK path too long");
		goto out;
	}
	{
		struct sm_snp_tcb t;

		chip_hex(r, c.p, hex);
		sm_snp_tcb_decode(r->reported_tcb, c.p, &t);
		snprintf(name, sizeof(name),
			 "snp-vcek-%s-%s-%u-%u-%u-%u-%u.der", pn, hex, t.fmc,
			 t.bl, t.tee, t.snp, t.ucode);
	}
	k.check = check_vcek;
	if (sm_kds_fetch_path(&k, "VCEK", upath, name, 0, &vcek, &vcek_len, e) <
	    0)
		goto out;
	if (sm_snp_der_to_pem(vcek, vcek_len, &vpem, e) < 0)
		goto out;
	a = strlen(vpem);
	b = chain_len;
	*pem = malloc(a + b + 1);
	if (!*pem) {
		sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
		goto out;
	}
	memcpy(*pem, vpem, a);
	memcpy(*pem + a, chain, b);
	(*pem)[a + b] = '\0';
	ret = 0;
out:
	free(vpem);
	free(chain);
	free(crl);
	free(vcek);
	return ret;
}
