// SPDX-License-Identifier: MIT
/*
 * The simulated VMM's launch for a guest owner (one idea: LAUNCH_START to
 * LAUNCH_FINISH as a VMM drives them, and the secret the guest receives).
 * sevmig-sim run --owner-session/--firmware/--await-secret; the owner's
 * side is sevmig-owner.  What is measured (sevmig-sim(1), LAUNCH): the
 * firmware image (its bytes, a multiple of 16), then for SEV-ES each
 * vCPU's initial VMSA, which is all zeros here; the guest's pages are
 * filled as for any launch afterwards, as firmware gives way to the OS.
 */
#include "sim/sim-vmm-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/log.h"
#include "base/ossl.h"
#include "base/util.h"

/* DIR/NAME, a base64 file of sevctl's, decoded into exactly len bytes. */
static int read_b64(const char *dir, const char *name, uint8_t *out, size_t len,
		    struct sm_err *e)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t n, i, j = 0;
	char *text;
	int rc = -1;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return sm_err_set(e, SM_EXIT_USAGE, "path too long: %s", dir);
	if (sm_read_file(path, 64 * 1024, &buf, &n, e))
		return -1;
	text = malloc(n + 1);
	if (!text) {
		free(buf);
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	}
	for (i = 0; i < n; i++)
		if (buf[i] != '\n' && buf[i] != '\r' && buf[i] != ' ')
			text[j++] = (char)buf[i];
	text[j] = '\0';
	if (sm_base64_decode(text, out, len) != (ssize_t)len ||
	    j != 4 * ((len + 2) / 3))
		sm_err_set(e, SM_EXIT_USAGE,
			   "'%s' is not base64 of %zu bytes (sevctl's %s)",
			   path, len, name);
	else
		rc = 0;
	free(text);
	free(buf);
	return rc;
}

/* Keep the secret area private: cut it out of the shared regions. */
static int keep_secret_private(struct sm_sim_vmm *v, struct sm_err *e)
{
	const uint64_t lo = SM_SIM_SECRET_GPA,
		       hi = SM_SIM_SECRET_GPA + SM_SIM_SECRET_MAX;
	struct sm_ep_region *r;
	size_t i, n = 0;

	r = calloc(v->nshared + 1, sizeof(*r));
	if (!r)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	for (i = 0; i < v->nshared; i++) {
		uint64_t a = v->shared[i].gpa, b = a + v->shared[i].size;

		if (b <= lo || a >= hi) {
			r[n++] = v->shared[i];
			continue;
		}
		if (a < lo)
			r[n++] = (struct sm_ep_region){ a, lo - a };
		if (b > hi)
			r[n++] = (struct sm_ep_region){ hi, b - hi };
	}
	free(v->shared);
	v->shared = r;
	v->nshared = n;
	return 0;
}

int sv_launch(struct sm_sim_vmm *v, struct sm_err *e)
{
	uint8_t godh[SM_SEV_CERT_LEN], session[SM_SESSION_LEN];
	struct sm_fw_launch_start a = { .policy = v->policy,
					.nvcpus = v->vcpus };
	const uint8_t **vmsas = NULL;
	uint8_t page[SM_PAGE_SIZE];
	uint8_t *fw = NULL;
	size_t fw_len = 0;
	unsigned i;
	int rc = -1;

	if (v->o.owner_session) {
		if (read_b64(v->o.owner_session, "vm_godh.b64", godh,
			     sizeof(godh), e) ||
		    read_b64(v->o.owner_session, "vm_session.b64", session,
			     sizeof(session), e))
			return -1;
		a.godh = godh;
		a.godh_len = sizeof(godh);
		a.session = session;
		a.session_len = sizeof(session);
	}
	if (v->o.firmware) {
		if (sm_read_file(v->o.firmware, 64u << 20, &fw, &fw_len, e))
			return sm_err_prefix(e, "firmware image");
		if (fw_len == 0 || fw_len % 16) {
			sm_err_set(
				e, SM_EXIT_USAGE,
				"firmware image '%s' is %zu bytes: LAUNCH_UPDATE_DATA measures multiples of 16",
				v->o.firmware, fw_len);
			goto out;
		}
	}
	if (keep_secret_private(v, e))
		goto out;
	/* The firmware seam's launch, as a VMM on KVM would drive it. */
	if (sm_fw_launch_start(v->fw, &a, e)) {
		sm_err_prefix(e, "launching the guest%s",
			      a.godh ? " under the owner's session" : "");
		goto out;
	}
	v->has_ctx = 1;
	if (fw && sm_fw_launch_update_data(v->fw, fw, fw_len, e))
		goto out;
	if (v->es) {
		memset(page, 0, sizeof(page));
		vmsas = calloc(v->vcpus, sizeof(*vmsas));
		if (!vmsas) {
			sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
			goto out;
		}
		for (i = 0; i < v->vcpus; i++)
			vmsas[i] = page;
		if (sm_fw_launch_update_vmsa(v->fw, vmsas, v->vcpus, e))
			goto out;
	}
	if (sv_fill_guest(v, e))
		goto out;
	if (v->o.await_secret) {
		v->state = V_LAUNCHING;
		pr_info("guest launched, waiting for its owner: launch-measure, then inject-secret or finish");
	} else {
		uint8_t m[SM_FW_LAUNCH_MEASURE_LEN];
		uint32_t mlen = sizeof(m);

		if (sm_fw_launch_measure(v->fw, m, &mlen, e) ||
		    sm_fw_launch_finish(v->fw, e))
			goto out;
	}
	rc = 0;
out:
	free(vmsas);
	free(fw);
	sm_wipe(session, sizeof(session));
	return rc;
}

static int need_launching(struct sm_sim_vmm *v, const char *what,
			  struct sm_err *e)
{
	if (v->state != V_LAUNCHING)
		return sm_err_set(
			e, SM_EXIT_VM,
			"%s: the guest is not launching (the VMM is %s; only sevmig-sim run --await-secret waits for its owner)",
			what, vstate_name[v->state]);
	return 0;
}

int vmm_launch_measure(void *arg, struct sm_ep_launch_measure *m,
		       struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	struct sm_fw_platform_status ps;

	if (need_launching(v, "launch-measure", e))
		return -1;
	if (!v->measured) {
		uint32_t mlen = sizeof(v->measure);

		if (sm_fw_launch_measure(v->fw, v->measure, &mlen, e))
			return -1;
		v->measured = 1;
	}
	if (sm_fw_platform_status(v->fw, &ps, e))
		return -1;
	memcpy(m->blob, v->measure, sizeof(m->blob));
	m->api_major = ps.api_major;
	m->api_minor = ps.api_minor;
	m->build = ps.build;
	m->policy = v->policy;
	return 0;
}

static int finish(struct sm_sim_vmm *v, struct sm_err *e)
{
	if (sm_fw_launch_finish(v->fw, e))
		return -1;
	/* A helper target waits for its import once launched. */
	v->state = v->incoming ? V_INCOMING : V_RUNNING;
	v->measured = 0;
	sm_wipe(v->measure, sizeof(v->measure));
	pr_info("launch finished: the guest runs");
	return 0;
}

int vmm_launch_secret(void *arg, const uint8_t *hdr, size_t hdr_len,
		      const uint8_t *payload, size_t len, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	struct sm_fw_launch_secret sa;
	uint8_t *plain;
	int rc = -1;

	if (need_launching(v, "inject-secret", e))
		return -1;
	if (!v->measured)
		return sm_err_set(
			e, SM_EXIT_VM,
			"inject-secret: no launch-measure yet (the owner checks the measurement first)");
	if (hdr_len != SM_PKT_HDR_LEN)
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"inject-secret: the header is %zu bytes, not %u (flags, IV, MAC)",
			hdr_len, SM_PKT_HDR_LEN);
	if (len > SM_SIM_SECRET_MAX)
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"inject-secret: the payload is %zu bytes, over %u", len,
			SM_SIM_SECRET_MAX);
	plain = calloc(1, SM_SIM_SECRET_MAX);
	if (!plain)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	/*
	 * Refused (BAD_MEASUREMENT): nothing written, still LSECRET.  The
	 * simulated firmware hands the plaintext back (struct
	 * sm_fw_launch_secret); sv_secret_write puts it in guest memory.
	 */
	sa.hdr = hdr;
	sa.hdr_len = (uint32_t)hdr_len;
	sa.guest = plain;
	sa.guest_len = (uint32_t)len;
	sa.trans = payload;
	sa.trans_len = (uint32_t)len;
	if (sm_fw_launch_secret(v->fw, &sa, e))
		goto out;
	if (!sv_secret_table_len(plain)) {
		sm_err_set(
			e, SM_EXIT_VERIFY,
			"inject-secret: the secret is not an OVMF secret table (GUID 1e74f542-71dd-4d66-963e-ef4287ff173b and its length)");
		goto out;
	}
	if (sv_secret_write(v, plain, len, e) || finish(v, e))
		goto out;
	rc = 0;
out:
	sm_wipe(plain, SM_SIM_SECRET_MAX);
	free(plain);
	return rc;
}

int vmm_launch_finish(void *arg, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;

	if (need_launching(v, "finish", e))
		return -1;
	if (!v->measured)
		return sm_err_set(
			e, SM_EXIT_VM,
			"finish: no launch-measure yet (LAUNCH_FINISH follows LAUNCH_MEASURE)");
	return finish(v, e);
}

/* A GUID's bytes (EFI order: the first three fields little-endian). */
static void guid_text(const uint8_t *b, char out[37])
{
	snprintf(
		out, 37,
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9],
		b[10], b[11], b[12], b[13], b[14], b[15]);
}

int vmm_secrets(void *arg, struct sm_ep_secrets *s, struct sm_err *e)
{
	struct sm_sim_vmm *v = arg;
	uint8_t *buf;
	const uint8_t *ent;
	uint32_t off = 20, elen;
	size_t len;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (sv_need_guest(v, e))
		return -1;
	buf = calloc(1, SM_SIM_SECRET_MAX);
	if (!buf)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	if (sv_secret_read(v, buf, &len, e))
		goto out;
	while (s->n < SM_EP_SECRETS_MAX &&
	       sv_secret_next(buf, (uint32_t)len, &off, &ent, &elen)) {
		struct sm_ep_secret *t = &s->s[s->n];

		guid_text(ent, t->guid);
		t->size = elen - 20;
		if (sm_sha256(ent + 20, t->size, t->sha256)) {
			sm_err_set(e, SM_EXIT_FAILURE, "SHA-256 failed");
			goto out;
		}
		s->n++;
	}
	rc = 0;
out:
	sm_wipe(buf, SM_SIM_SECRET_MAX);
	free(buf);
	return rc;
}
