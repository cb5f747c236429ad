// SPDX-License-Identifier: MIT
/*
 * The dry run's look at the target (probe.h): the importer's description
 * of its target VMM, its JSON, the exporter's running of the --exec
 * command with a probe, and the checks of the answer.
 */
#include "engine/probe.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>

#include "archive/archive.h"
#include "archive/format.h"
#include "base/json.h"
#include "base/transport.h"
#include "base/util.h"
#include "endpoint/endpoint.h"
#include "engine/export.h"

/* ---- the importer's side ---- */

/* Copy at most n - 1 bytes of src, terminated. */
static void copy(char *dst, size_t n, const char *src)
{
	size_t l = strnlen(src, n - 1);

	memcpy(dst, src, l);
	dst[l] = '\0';
}

static void target_platform(const struct sm_ep_hello *h, struct sm_probe *p)
{
	uint8_t pdh[SM_SEV_CERT_LEN], chain[SM_SEV_CHAIN_LEN], fp[48];
	const struct sm_fw_vm vm = { .platform = h->kind,
				     .platform_dir = h->platform_dir };
	struct sm_fw_platform_status ps;
	struct sm_sev_cert c;
	struct sm_fw *fw = NULL;
	struct sm_err e = { 0 };
	size_t fplen;

	if (sm_fw_open_platform(&vm, &fw, &e) ||
	    sm_fw_pdh_cert_export(fw, pdh, chain, &e) ||
	    sm_sev_cert_parse(pdh, sizeof(pdh), &c, &e)) {
		copy(p->pdh_error, sizeof(p->pdh_error), e.msg);
		sm_fw_close(fw);
		return;
	}
	sm_sev_cert_fingerprint(&c, fp, &fplen);
	memcpy(p->pdh_fp, fp, SM_FP_LEN);
	p->have_pdh = 1;
	if (sm_fw_platform_status(fw, &ps, &e) == 0) {
		p->have_status = 1;
		p->api_major = ps.api_major;
		p->api_minor = ps.api_minor;
		p->platform_es = !!ps.es;
	}
	sm_fw_close(fw);
}

void sm_probe_target(const char *vm, double timeout, struct sm_probe *p)
{
	struct sm_ep_hello h;
	struct sm_ep *ep = NULL;
	struct sm_err e = { 0 };
	size_t i;

	memset(p, 0, sizeof(*p));
	memset(&h, 0, sizeof(h));
	/* A hello without a claim: the VMM stays as it is, for anyone. */
	if (sm_ep_connect(vm, timeout, &ep, &e) || sm_ep_hello(ep, &h, &e)) {
		sm_err_prefix(&e, "VM '%s'", vm);
		copy(p->error, sizeof(p->error), e.msg);
		sm_ep_close(ep);
		return;
	}
	for (i = 0; i < (size_t)h.nfds; i++)
		close(h.fds[i]);
	sm_ep_close(ep);
	snprintf(p->role, sizeof(p->role), "%s", h.role);
	snprintf(p->state, sizeof(p->state), "%s", h.state);
	snprintf(p->platform, sizeof(p->platform), "%s", h.platform);
	p->vcpus = h.vcpus;
	p->es = !!h.es;
	p->policy = h.policy;
	p->mh_helpers = h.mh_helpers;
	p->svsm_mailboxes = h.svsm_mailboxes;
	p->layout.nranges = h.nranges < SM_MAX_RANGES ? h.nranges :
							SM_MAX_RANGES;
	for (i = 0; i < p->layout.nranges; i++) {
		p->layout.ranges[i].gpa = h.ranges[i].gpa;
		p->layout.ranges[i].size = h.ranges[i].size;
	}
	if (h.kind == SM_PLATFORM_UNKNOWN)
		snprintf(p->pdh_error, sizeof(p->pdh_error),
			 "unknown platform '%s'", h.platform);
	else
		target_platform(&h, p);
}

int sm_probe_encode(const struct sm_probe *p, char **json, struct sm_err *e)
{
	char fp[2 * SM_FP_LEN + 1];
	json_t *root, *ranges;
	size_t i;
	int bad = 0;

	if (p->error[0])
		root = json_pack("{s:s, s:o}", "schema", SM_PROBE_SCHEMA,
				 "error", sm_json_text(p->error));
	else
		root = json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:I, s:I}",
				 "schema", SM_PROBE_SCHEMA, "role", p->role,
				 "state", p->state, "platform", p->platform,
				 "vcpus", (json_int_t)p->vcpus, "es", p->es,
				 "policy", (json_int_t)p->policy, "mh_helpers",
				 (json_int_t)p->mh_helpers);
	if (!root)
		return sm_err_set(e, SM_EXIT_FAILURE, "cannot build JSON");
	if (!p->error[0]) {
		ranges = json_array();
		for (i = 0; ranges && i < p->layout.nranges; i++)
			bad |= json_array_append_new(
				ranges,
				json_pack("{s:I, s:I}", "gpa",
					  (json_int_t)p->layout.ranges[i].gpa,
					  "size",
					  (json_int_t)p->layout.ranges[i].size));
		bad |= json_object_set_new(root, "ranges", ranges);
		if (p->svsm_mailboxes)
			bad |= json_object_set_new(
				root, "svsm_mailboxes",
				json_integer((json_int_t)p->svsm_mailboxes));
		if (p->have_pdh) {
			sm_hex_encode(p->pdh_fp, SM_FP_LEN, fp);
			bad |= json_object_set_new(root, "pdh_fingerprint",
						   json_string(fp));
		} else {
			bad |= json_object_set_new(root, "pdh_error",
						   sm_json_text(p->pdh_error));
		}
		if (p->have_status)
			bad |= json_object_set_new(
				root, "platform_status",
				json_pack("{s:I, s:I, s:b}", "api_major",
					  (json_int_t)p->api_major, "api_minor",
					  (json_int_t)p->api_minor, "es",
					  p->platform_es));
	}
	*json = bad ? NULL : json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	if (!*json)
		return sm_err_set(e, SM_EXIT_FAILURE, "cannot build JSON");
	return 0;
}

static int bad_answer(struct sm_err *e, const char *what)
{
	return sm_err_set(e, SM_EXIT_IO,
			  "the importer's answer to the probe: %s", what);
}

int sm_probe_decode(const char *text, size_t len, struct sm_probe *p,
		    struct sm_err *e)
{
	const char *schema = NULL, *err = NULL, *role = NULL, *state = NULL,
		   *platform = NULL, *fp = NULL, *pdh_error = NULL;
	json_int_t vcpus = 0, policy = 0, mh = 0, maj = 0, min = 0, svsm = 0;
	json_t *root, *ranges = NULL, *st = NULL, *r;
	int es = 0, pes = 0;
	size_t i;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if (sm_json_parse(text, len, "probe answer", &root, e)) {
		e->code = SM_EXIT_IO; /* no answer, rather than a bad one */
		return -1;
	}
	if (json_unpack(root, "{s:s, s?s}", "schema", &schema, "error", &err) ||
	    strcmp(schema, SM_PROBE_SCHEMA) != 0) {
		bad_answer(e, "not a sevmig-probe/1 object");
		goto out;
	}
	if (err) {
		snprintf(p->error, sizeof(p->error), "%s", err);
		rc = 0;
		goto out;
	}
	if (json_unpack(
		    root,
		    "{s:s, s:s, s:s, s:I, s:b, s:I, s:I, s:o, s?s, s?s, s?o, s?I}",
		    "role", &role, "state", &state, "platform", &platform,
		    "vcpus", &vcpus, "es", &es, "policy", &policy, "mh_helpers",
		    &mh, "ranges", &ranges, "pdh_fingerprint", &fp, "pdh_error",
		    &pdh_error, "platform_status", &st, "svsm_mailboxes",
		    &svsm) ||
	    svsm < 0 || svsm > 64 || !json_is_array(ranges) ||
	    json_array_size(ranges) > SM_MAX_RANGES || vcpus < 0 ||
	    vcpus > 4096 || policy < 0 || policy > UINT32_MAX || mh < 0 ||
	    mh > 4096) {
		bad_answer(e, "a field is missing or out of range");
		goto out;
	}
	snprintf(p->role, sizeof(p->role), "%s", role);
	snprintf(p->state, sizeof(p->state), "%s", state);
	snprintf(p->platform, sizeof(p->platform), "%s", platform);
	p->vcpus = (unsigned)vcpus;
	p->es = es;
	p->policy = (uint32_t)policy;
	p->mh_helpers = (unsigned)mh;
	p->svsm_mailboxes = (unsigned)svsm;
	json_array_foreach(ranges, i, r)
	{
		json_int_t gpa, size;

		if (json_unpack(r, "{s:I, s:I}", "gpa", &gpa, "size", &size) ||
		    gpa < 0 || size < 0) {
			bad_answer(e, "a bad memory range");
			goto out;
		}
		p->layout.ranges[i].gpa = (uint64_t)gpa;
		p->layout.ranges[i].size = (uint64_t)size;
	}
	p->layout.nranges = json_array_size(ranges);
	if (fp) {
		if (strlen(fp) != 2 * SM_FP_LEN ||
		    sm_hex_decode(fp, p->pdh_fp, SM_FP_LEN) != SM_FP_LEN) {
			bad_answer(e, "a bad PDH fingerprint");
			goto out;
		}
		p->have_pdh = 1;
	} else {
		snprintf(p->pdh_error, sizeof(p->pdh_error), "%s",
			 pdh_error ? pdh_error : "not said");
	}
	if (st &&
	    json_unpack(st, "{s:I, s:I, s:b}", "api_major", &maj, "api_minor",
			&min, "es", &pes) == 0 &&
	    maj >= 0 && maj < 256 && min >= 0 && min < 256) {
		p->have_status = 1;
		p->api_major = (unsigned)maj;
		p->api_minor = (unsigned)min;
		p->platform_es = pes;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ---- the exporter's side ---- */

int sm_probe_exec(const char *cmd, double timeout, struct sm_probe *p,
		  struct sm_err *e)
{
	static const char req[] = "{\"schema\":\"" SM_PROBE_SCHEMA "\"}\n";
	struct sm_archive_w *w = NULL;
	struct sm_child *c = NULL;
	struct sm_err e2 = { 0 };
	char **argv = NULL, *out = NULL, d[64];
	size_t outlen = 0;
	int rc = -1, status;

	if (sm_export_split_command(cmd, &argv, e))
		return -1;
	rc = sm_child_spawn((const char *const *)argv,
			    SM_CHILD_PIPE_STDIN | SM_CHILD_PIPE_STDOUT, &c, e);
	free(argv);
	if (rc)
		return sm_err_prefix(e, "--exec");
	rc = -1;
	/* An importer that stops reading says why below, by its exit. */
	if (sm_archive_w_open(c->in, &w, &e2) == 0 &&
	    sm_archive_w_entry(w, SM_ENTRY_PROBE, req, sizeof(req) - 1, &e2) ==
		    0)
		(void)sm_archive_w_close(w, &e2);
	sm_archive_w_free(w);
	sm_child_close_stdin(c);
	if (sm_child_read_all(c, timeout, SM_PROBE_MAX, &out, &outlen, NULL,
			      e)) {
		sm_err_prefix(e, "--exec: the importer's answer to the probe");
		goto out;
	}
	if (sm_child_wait(c, timeout, &status, e)) {
		sm_err_prefix(e, "--exec: the importer after the probe");
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		sm_child_describe(status, d, sizeof(d));
		sm_err_set(
			e, SM_EXIT_IO,
			"--exec: the importer %s instead of describing the target (a sevmig-import older than the probe, or it could not start)",
			d);
		goto out;
	}
	rc = sm_probe_decode(out, outlen, p, e);
out:
	free(out);
	sm_child_free(c);
	return rc;
}

/* ---- the checks ---- */

static struct sm_target_check *add(struct sm_target_check *checks, size_t *n,
				   const char *name, int ok, int code)
{
	struct sm_target_check *c = &checks[(*n)++];

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->ok = ok;
	c->code = code;
	return c;
}

static uint64_t mib(const struct sm_layout *l)
{
	return sm_layout_pages(l) * SM_PAGE_SIZE >> 20;
}

static int same_layout(const struct sm_layout *a, const struct sm_layout *b)
{
	size_t i;

	if (a->nranges != b->nranges)
		return 0;
	for (i = 0; i < a->nranges; i++)
		if (a->ranges[i].gpa != b->ranges[i].gpa ||
		    a->ranges[i].size != b->ranges[i].size)
			return 0;
	return 1;
}

/* The guest's policy asks the firmware to check the target's chain. */
static void check_policy(const struct sm_probe_want *w,
			 struct sm_target_check *c)
{
	uint8_t pdh[SM_SEV_CERT_LEN], chain[SM_SEV_CHAIN_LEN];
	struct sm_amd_cert ark;
	struct sm_fw *fw = NULL;
	struct sm_err e = { 0 };
	int known;

	if (!(w->policy & (SM_POLICY_SEV | SM_POLICY_DOMAIN))) {
		snprintf(
			c->found, sizeof(c->found),
			"policy 0x%x has neither SEV nor DOMAIN: the firmware does not check the target's chain",
			w->policy);
		return;
	}
	if (w->policy & SM_POLICY_SEV) {
		known = sm_fw_trusted_ark(w->source, &ark, &e);
		if (known < 0) {
			c->ok = 0;
			snprintf(c->found, sizeof(c->found),
				 "cannot read the source's ARK: %.250s", e.msg);
			snprintf(c->fix, sizeof(c->fix),
				 "check the source host");
			return;
		}
		if (known == 0 &&
		    (ark.len != w->bundle->ark.len ||
		     memcmp(ark.raw, w->bundle->ark.raw, ark.len))) {
			c->ok = 0;
			snprintf(
				c->found, sizeof(c->found),
				"policy 0x%x has SEV: the source's firmware accepts only a target under its own ARK, and the target's chain has another",
				w->policy);
			snprintf(
				c->fix, sizeof(c->fix),
				"migrate to a host under the same ARK (same AMD product), or relaunch the guest with a policy without SEV");
			return;
		}
	}
	if (w->policy & SM_POLICY_DOMAIN) {
		if (sm_fw_open_platform(w->source, &fw, &e) ||
		    sm_fw_pdh_cert_export(fw, pdh, chain, &e)) {
			sm_fw_close(fw);
			c->ok = 0;
			snprintf(c->found, sizeof(c->found),
				 "cannot read the source's OCA: %.250s", e.msg);
			snprintf(c->fix, sizeof(c->fix),
				 "check the source host");
			return;
		}
		sm_fw_close(fw);
		if (memcmp(chain + SM_SEV_CERT_LEN, w->bundle->oca.raw,
			   SM_SEV_CERT_LEN)) {
			c->ok = 0;
			snprintf(
				c->found, sizeof(c->found),
				"policy 0x%x has DOMAIN: the source's firmware accepts only a target whose OCA is its own, and the target's is another",
				w->policy);
			snprintf(
				c->fix, sizeof(c->fix),
				"migrate to a host of the same owner (the same OCA), or relaunch the guest with a policy without DOMAIN");
			return;
		}
	}
	snprintf(c->found, sizeof(c->found), "policy 0x%x: the target's %s",
		 w->policy,
		 (w->policy & SM_POLICY_SEV) && (w->policy & SM_POLICY_DOMAIN) ?
			 "ARK and OCA are the source's" :
		 (w->policy & SM_POLICY_SEV) ? "ARK is the source's" :
					       "OCA is the source's");
}

size_t sm_probe_check(const struct sm_probe *p, const struct sm_probe_want *w,
		      struct sm_target_check *checks, int *failed)
{
	char fp_want[2 * SM_FP_LEN + 1], fp_have[2 * SM_FP_LEN + 1];
	struct sm_target_check *c;
	unsigned maj = SM_POLICY_API_MAJOR(w->policy),
		 min = SM_POLICY_API_MINOR(w->policy);
	size_t n = 0, i;

	c = add(checks, &n, "reachable", !p->error[0], SM_EXIT_IO);
	if (!c->ok) {
		snprintf(c->found, sizeof(c->found), "%.300s", p->error);
		snprintf(
			c->fix, sizeof(c->fix),
			"start the target VMM (sevmig-sim run --incoming), or fix the socket in --exec");
		goto out;
	}
	snprintf(c->found, sizeof(c->found),
		 "the importer described its target (%s platform)",
		 p->platform);

	c = add(checks, &n, "incoming",
		!strcmp(p->role, "incoming") && !strcmp(p->state, "incoming"),
		SM_EXIT_VM);
	snprintf(c->found, sizeof(c->found), "role '%s', state '%s'", p->role,
		 p->state);
	if (!c->ok)
		snprintf(
			c->fix, sizeof(c->fix), "%s",
			strcmp(p->role, "incoming") ?
				"name in --exec a VM started to receive a guest (sevmig-sim run --incoming)" :
				"wait for the import that holds it to end, or start another target with --incoming");

	c = add(checks, &n, "layout", same_layout(&p->layout, w->layout),
		SM_EXIT_VM);
	snprintf(c->found, sizeof(c->found),
		 "the guest has %" PRIu64
		 " MiB in %zu range%s, the target %" PRIu64
		 " MiB in %zu range%s%s",
		 mib(w->layout), w->layout->nranges,
		 w->layout->nranges == 1 ? "" : "s", mib(&p->layout),
		 p->layout.nranges, p->layout.nranges == 1 ? "" : "s",
		 same_layout(&p->layout, w->layout) ||
				 mib(&p->layout) != mib(w->layout) ?
			 "" :
			 " at other addresses");
	if (!c->ok)
		snprintf(
			c->fix, sizeof(c->fix),
			"start the target with the guest's memory layout (%" PRIu64
			" MiB: sevmig-sim run --mem %" PRIu64 "M)",
			mib(w->layout), mib(w->layout));

	c = add(checks, &n, "vcpus", p->vcpus == w->vcpus, SM_EXIT_VM);
	snprintf(c->found, sizeof(c->found),
		 "the guest has %u vCPU%s, the target %u", w->vcpus,
		 w->vcpus == 1 ? "" : "s", p->vcpus);
	if (!c->ok)
		snprintf(c->fix, sizeof(c->fix),
			 "start the target with %u vCPU%s (--vcpus %u)",
			 w->vcpus, w->vcpus == 1 ? "" : "s", w->vcpus);

	c = add(checks, &n, "es", !!p->es == !!w->es, SM_EXIT_VM);
	snprintf(c->found, sizeof(c->found), "the guest is %s, the target %s",
		 w->es ? "SEV-ES" : "SEV", p->es ? "SEV-ES" : "SEV");
	if (!c->ok)
		snprintf(c->fix, sizeof(c->fix), "start the target %s",
			 w->es ? "as SEV-ES (--es)" : "without --es");

	/*
	 * An SNP target waits in its SVSM for an SVSM's stream, only (said
	 * for the SVSM method, and when another method meets such a target).
	 */
	if (w->svsm || p->svsm_mailboxes) {
		c = add(checks, &n, "svsm", !!p->svsm_mailboxes == !!w->svsm,
			SM_EXIT_UNSUPPORTED);
		snprintf(
			c->found, sizeof(c->found),
			p->svsm_mailboxes ?
				"the target is an SNP guest waiting in its SVSM" :
				"the target is not an SNP guest waiting in its SVSM");
		if (!c->ok)
			snprintf(
				c->fix, sizeof(c->fix),
				w->svsm ?
					"start the target as an SNP guest (sevmig-sim run --incoming --snp)" :
					"export with --method svsm (its bundle from sevmig-certs fetch snp-target:)");
	}
	if (w->svsm)
		goto out; /* no PDH: the target's SVSM proved itself */
	if (w->mh) {
		c = add(checks, &n, "helpers", p->mh_helpers > 0,
			SM_EXIT_UNSUPPORTED);
		snprintf(c->found, sizeof(c->found),
			 "the target has %u migration helper%s", p->mh_helpers,
			 p->mh_helpers == 1 ? "" : "s");
		if (!c->ok)
			snprintf(
				c->fix, sizeof(c->fix),
				"start the target with its helper (sevmig-sim run --incoming --mh)");
		goto out;
	}
	c = add(checks, &n, "helpers", p->mh_helpers == 0, SM_EXIT_UNSUPPORTED);
	snprintf(c->found, sizeof(c->found),
		 p->mh_helpers ? "the target waits in its migration helpers" :
				 "the target takes the PSP's stream");
	if (!c->ok)
		snprintf(
			c->fix, sizeof(c->fix),
			"start the target without --mh, or export with --method mh");

	c = add(checks, &n, "pdh",
		p->have_pdh && !memcmp(p->pdh_fp, w->target_fp, SM_FP_LEN),
		SM_EXIT_VERIFY);
	sm_hex_encode(w->target_fp, SM_FP_LEN, fp_want);
	if (!p->have_pdh) {
		snprintf(c->found, sizeof(c->found),
			 "the target's PDH cannot be read: %.250s",
			 p->pdh_error);
		snprintf(c->fix, sizeof(c->fix), "check the target host");
	} else if (!c->ok) {
		sm_hex_encode(p->pdh_fp, SM_FP_LEN, fp_have);
		snprintf(
			c->found, sizeof(c->found),
			"the bundle is for PDH %.16s..., the target's platform has %.16s...",
			fp_want, fp_have);
		snprintf(
			c->fix, sizeof(c->fix),
			"fetch the certificates of the target's host (sevmig-certs fetch vm:SOCKET there), or name in --exec the VM the bundle is for");
	} else {
		snprintf(c->found, sizeof(c->found),
			 "the target's platform has the bundle's PDH %.16s...",
			 fp_want);
	}

	c = add(checks, &n, "platform", 1, SM_EXIT_VM);
	if (!p->have_status) {
		snprintf(c->found, sizeof(c->found),
			 "the target's platform status was not read");
	} else if (p->api_major < maj ||
		   (p->api_major == maj && p->api_minor < min)) {
		c->ok = 0;
		snprintf(
			c->found, sizeof(c->found),
			"the guest's policy needs SEV API %u.%u, the target's firmware runs %u.%u",
			maj, min, p->api_major, p->api_minor);
		snprintf(c->fix, sizeof(c->fix),
			 "update the target's SEV firmware");
	} else if (w->es && !p->platform_es) {
		c->ok = 0;
		snprintf(
			c->found, sizeof(c->found),
			"the guest is SEV-ES, the target's platform does not offer SEV-ES");
		snprintf(c->fix, sizeof(c->fix),
			 "migrate to a host with SEV-ES enabled");
	} else {
		snprintf(c->found, sizeof(c->found), "SEV API %u.%u%s",
			 p->api_major, p->api_minor,
			 p->platform_es ? ", SEV-ES" : "");
	}

	c = add(checks, &n, "policy", 1, SM_EXIT_VERIFY);
	check_policy(w, c);
out:
	*failed = -1;
	for (i = 0; i < n; i++)
		if (!checks[i].ok) {
			*failed = (int)i;
			break;
		}
	return n;
}
