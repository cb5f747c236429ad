// SPDX-License-Identifier: MIT
/*
 * The guest owner's launch session (owner.h), as sevctl's `session`
 * makes it, after verifying the platform's chain as `sevmig-certs verify`
 * does: a fresh GODH key pair whose ECDH with the platform's PDH wraps the
 * TEK and TIK into the LAUNCH_START session blob (the SEND_START layout,
 * shared/reference/sev-migration-protocol.md sections 2.2 and 2.3).
 */
#include "engine/owner.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/ossl.h"
#include "base/util.h"
#include "certs/bundle.h"
#include "certs/cert.h"
#include "fw/sevcrypto.h"

static int write_b64(const char *dir, const char *name, const uint8_t *p,
		     size_t n, mode_t mode, struct sm_err *e)
{
	char path[PATH_MAX], *text;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	text = malloc(sm_base64_len(n) + 1);
	if (!text)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	sm_base64_encode(p, n, text);
	/* no newline, as sevctl writes them */
	rc = sm_write_file_atomic(path, text, strlen(text), mode, e);
	free(text);
	return rc;
}

static int write_key(const char *dir, const char *name, const uint8_t *p,
		     struct sm_err *e)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return sm_write_file_atomic(path, p, SM_LAUNCH_KEY_LEN, 0600, e);
}

int sm_owner_session(const struct sm_owner_session_args *a,
		     struct sm_owner_session_out *out, struct sm_err *e)
{
	static struct sm_chain ch, tc;
	struct sm_trust t = { NULL, NULL, SM_PRODUCT_UNKNOWN };
	struct sm_bundle_info info;
	struct sm_sev_cert godh;
	struct sm_key *k = NULL;
	struct sm_tk tk;
	uint8_t z[SM_ECDH_Z_LEN], nonce[16], iv[16], blob[SM_SESSION_LEN];
	const char *dir = a->dir ? a->dir : ".";
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&ch, 0, sizeof(ch));
	memset(&info, 0, sizeof(info));
	if (a->ark && sm_trust_load(a->ark, &tc, &t, e) < 0)
		return -1;
	if (sm_certs_load(a->bundle, &ch, &info, e) < 0)
		return -1;
	if (!(ch.have & SM_HAVE_PDH))
		return sm_err_set(e, SM_EXIT_VERIFY,
				  "no PDH in '%s': a session needs the "
				  "platform's PDH",
				  a->bundle);
	if (t.product == SM_PRODUCT_UNKNOWN)
		t.product = info.product;
	/* Verify before acting: a PDH that does not chain to AMD's root
	 * (or --ark) may be the host's own key. */
	if (sm_chain_verify(&ch, &t, &out->verify, e) < 0)
		return -1;
	out->product = out->verify.product;
	if (sm_key_generate_ec(&k, e) < 0 ||
	    sm_sev_cert_init(&godh, k, SM_USAGE_PDH, SM_ALGO_ECDH_SHA256,
			     ch.pdh.api_major, ch.pdh.api_minor, e) < 0 ||
	    /* self-signed as SEVTOOL's create_godh_cert (unchecked) */
	    sm_sev_cert_sign(&godh, 0, k, SM_USAGE_PEK, e) < 0 ||
	    sm_key_ecdh(k, &ch.pdh, z, e) < 0)
		goto out;
	if (a->have_keys) {
		memcpy(tk.tek, a->tek, 16);
		memcpy(tk.tik, a->tik, 16);
	} else if (sm_random(&tk, sizeof(tk)) < 0) {
		sm_err_ossl(e, SM_EXIT_FAILURE, "no random bytes");
		goto out;
	}
	if (sm_random(nonce, sizeof(nonce)) < 0 ||
	    sm_random(iv, sizeof(iv)) < 0) {
		sm_err_ossl(e, SM_EXIT_FAILURE, "no random bytes");
		goto out;
	}
	if (sm_session_build(z, sizeof(z), nonce, iv, &tk, a->policy, blob, e) <
	    0)
		goto out;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		sm_err_errno(e, SM_EXIT_IO, errno, "cannot create '%s'", dir);
		goto out;
	}
	if (write_b64(dir, SM_OWNER_GODH_FILE, godh.raw, SM_SEV_CERT_LEN, 0644,
		      e) < 0 ||
	    write_b64(dir, SM_OWNER_SESSION_FILE, blob, sizeof(blob), 0644, e) <
		    0 ||
	    write_key(dir, SM_OWNER_TEK_FILE, tk.tek, e) < 0 ||
	    write_key(dir, SM_OWNER_TIK_FILE, tk.tik, e) < 0)
		goto out;
	rc = 0;
out:
	sm_wipe(z, sizeof(z));
	sm_wipe(&tk, sizeof(tk));
	sm_key_free(k);
	return rc;
}
