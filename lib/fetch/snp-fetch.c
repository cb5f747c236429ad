// SPDX-License-Identifier: MIT
/*
 * sevmig-certs fetch snp-target:SOCK and ssh://HOST/snp-target:SOCK: an
 * incoming SEV-SNP guest's key, nonce and binding report with the host's
 * VCEK and chain, as a target bundle (certs/snp-target.h).  The endpoint
 * gives the parts; ssh gives a remote's bundle.  Nothing here verifies.
 */
#include "fetch/fetch.h"
#include "fetch/fetch-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "certs/snp-target.h"
#include "endpoint/endpoint.h"

#define SNP_PREFIX "snp-target:"

int sm_fetch_is_snp_target(const char *src)
{
	const char *slash;

	if (!src)
		return 0;
	if (!strncmp(src, SNP_PREFIX, strlen(SNP_PREFIX)))
		return 1;
	if (strncmp(src, "ssh://", 6) != 0)
		return 0;
	slash = strchr(src + 6, '/');
	return slash && !strncmp(slash + 1, SNP_PREFIX, strlen(SNP_PREFIX));
}

/* The VM's hello (its platform) and its snp-target reply, into t. */
static int from_vm(const char *sock, const struct sm_fetch_opts *o,
		   struct sm_snp_target *t, char *sim_ark, size_t n,
		   struct sm_err *e)
{
	struct sm_ep_snp_target *st = NULL;
	struct sm_ep_hello *h = NULL;
	struct sm_ep *ep = NULL;
	int rc = -1;

	if (!sock[0])
		return sm_err_set(e, SM_EXIT_USAGE,
				  "bad source 'snp-target:': no socket path");
	h = calloc(1, sizeof(*h));
	st = calloc(1, sizeof(*st));
	if (!h || !st) {
		sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM, "snp-target:%s", sock);
		goto out;
	}
	if (sm_ep_connect(sock, smf_connect_timeout(o), &ep, e) < 0 ||
	    sm_ep_hello(ep, h, e) < 0 || sm_ep_snp_target(ep, st, e) < 0) {
		sm_err_prefix(e, "VM '%s'", sock);
		goto out;
	}
	if (st->vcek_len > sizeof(t->vcek)) {
		sm_err_set(e, SM_EXIT_VM, "VM '%s': a VCEK of %zu bytes", sock,
			   st->vcek_len);
		goto out;
	}
	memcpy(t->report, st->report, sizeof(t->report));
	memcpy(t->pub, st->pub, sizeof(t->pub));
	memcpy(t->nonce, st->nonce, sizeof(t->nonce));
	memcpy(t->vcek, st->vcek, st->vcek_len);
	t->vcek_len = st->vcek_len;
	snprintf(t->chain, sizeof(t->chain), "%s", st->chain);
	if (snprintf(t->source, sizeof(t->source), SNP_PREFIX "%s", sock) >=
	    (int)sizeof(t->source))
		pr_debug("source description truncated");
	if (h->kind == SM_PLATFORM_SIM) {
		snprintf(t->host, sizeof(t->host), "sim:%s", h->platform_dir);
		if (sim_ark && snprintf(sim_ark, n, "%s/snp-ark.pem",
					h->platform_dir) >= (int)n)
			sim_ark[0] = '\0';
	} else {
		snprintf(t->host, sizeof(t->host), "%s",
			 sm_platform_name(h->kind));
	}
	rc = 0;
out:
	if (ep)
		sm_ep_close(ep);
	free(h);
	free(st);
	return rc;
}

static int from_ssh(const char *src, const struct sm_fetch_opts *o,
		    struct sm_snp_target *t, struct sm_err *e)
{
	static const char *const extra[] = { "--ark-from-vm", NULL };
	char *out;
	size_t len;
	int rc;

	if (smf_ssh_fetch(src, o, extra, &out, &len, e) < 0)
		return -1;
	rc = sm_snp_target_decode(out, len, "(remote)", t, e);
	free(out);
	if (rc < 0)
		return sm_err_prefix(e, "bundle from '%s'", src);
	smf_remote_source(t->source, sizeof(t->source), src);
	return 0;
}

int sm_fetch_snp_target(const char *src, const struct sm_fetch_opts *o,
			struct sm_snp_target *t, char *sim_ark, size_t n,
			struct sm_err *e)
{
	memset(t, 0, sizeof(*t));
	if (sim_ark && n)
		sim_ark[0] = '\0';
	if (!src || !sm_fetch_is_snp_target(src))
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"bad source '%s': expected snp-target:SOCK or ssh://[user@]host[:port]/snp-target:SOCK",
			src ? src : "");
	if (!strncmp(src, "ssh://", 6))
		return from_ssh(src, o, t, e);
	return from_vm(src + strlen(SNP_PREFIX), o, t, sim_ark, n, e);
}
