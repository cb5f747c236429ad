// SPDX-License-Identifier: MIT
/*
 * The guest owner's expected launch measurement (owner.h), as sevctl's
 * `measurement build` computes it: the launch digest of what QEMU hands
 * to LAUNCH_UPDATE_DATA/VMSA, then LAUNCH_MEASURE's HMAC under the TIK.
 */
#include "engine/owner.h"

#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/ossl.h"
#include "base/util.h"

/* What --firmware, --kernel, --initrd and the VMSAs may be at most. */
#define FIRMWARE_MAX (64u << 20)
#define KERNEL_MAX (1024u << 20)
#define VMSA_LEN 4096u
#define MAX_CPUS 1024u
#define POLICY_ES 0x4u

/* QEMU's SEV hashes table (target/i386/sev.c): u16 lengths. */
static const char hashes_table_area[] = "7255371f-3a3b-4b04-927b-1da6efa8d454";
static const char hashes_table_guid[] = "9438d606-4f22-4cc9-b479-a793d411fd21";
static const char hash_kernel_guid[] = "4de79437-abd2-427f-b835-d5b172d2045b";
static const char hash_initrd_guid[] = "44baf731-3a2f-4bd7-9af1-41e29169781d";
static const char hash_cmdline_guid[] = "97d02dd8-bd20-4c94-aa78-e7714d36ab2a";

#define HT_ENTRY_LEN (SM_GUID_LEN + 2 + SM_SHA256_LEN)
#define HT_LEN (SM_GUID_LEN + 2 + 3 * HT_ENTRY_LEN)
#define HT_PADDED ((HT_LEN + 15) / 16 * 16)

static void ht_entry(uint8_t *p, const char *guid, const uint8_t *hash)
{
	sm_guid_parse(guid, p);
	p[SM_GUID_LEN] = HT_ENTRY_LEN & 0xff;
	p[SM_GUID_LEN + 1] = HT_ENTRY_LEN >> 8;
	memcpy(p + SM_GUID_LEN + 2, hash, SM_SHA256_LEN);
}

static int file_hash(const char *what, const char *path, uint8_t h[32],
		     struct sm_err *e)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (sm_read_file(path, KERNEL_MAX, &buf, &len, e) < 0)
		return sm_err_prefix(e, "reading %s", what);
	rc = sm_sha256(buf, len, h);
	free(buf);
	if (rc < 0)
		return sm_err_ossl(e, SM_EXIT_FAILURE, "cannot hash '%s'",
				   path);
	return 0;
}

/*
 * The hashes table QEMU measures after the firmware when it boots a
 * kernel directly, in the area OVMF's footer names: cmdline (with its
 * NUL), initrd, kernel, zero-padded to 16.
 */
static int hashes_table(const struct sm_owner_measure_args *a,
			const uint8_t *fw, size_t fw_len, uint8_t t[HT_PADDED],
			struct sm_err *e)
{
	uint8_t area[SM_GUID_LEN], h[SM_SHA256_LEN];
	const uint8_t *d;
	size_t dlen;
	int rc;

	sm_guid_parse(hashes_table_area, area);
	rc = sm_ovmf_table_find(fw, fw_len, area, &d, &dlen, e);
	if (rc < 0)
		return sm_err_prefix(e, "firmware '%s' cannot take --kernel",
				     a->firmware);
	if (rc > 0)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "firmware '%s' cannot take --kernel: its "
				  "OVMF table has no SEV hashes table area "
				  "(%s)",
				  a->firmware, hashes_table_area);
	if (dlen < 8 || sm_get_le32(d + 4) < HT_PADDED)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "firmware '%s' cannot take --kernel: its SEV "
				  "hashes table area is smaller than %u bytes",
				  a->firmware, HT_PADDED);
	memset(t, 0, HT_PADDED);
	sm_guid_parse(hashes_table_guid, t);
	t[SM_GUID_LEN] = HT_LEN & 0xff;
	t[SM_GUID_LEN + 1] = HT_LEN >> 8;
	if (sm_sha256(a->cmdline, strlen(a->cmdline) + 1, h) < 0)
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot hash the kernel command line");
	ht_entry(t + SM_GUID_LEN + 2, hash_cmdline_guid, h);
	if (file_hash("--initrd", a->initrd, h, e) < 0)
		return -1;
	ht_entry(t + SM_GUID_LEN + 2 + HT_ENTRY_LEN, hash_initrd_guid, h);
	if (file_hash("--kernel", a->kernel, h, e) < 0)
		return -1;
	ht_entry(t + SM_GUID_LEN + 2 + 2 * HT_ENTRY_LEN, hash_kernel_guid, h);
	return 0;
}

static int read_vmsa(const char *opt, const char *path, uint8_t **buf,
		     struct sm_err *e)
{
	size_t len = 0;

	if (sm_read_file(path, VMSA_LEN, buf, &len, e) < 0)
		return sm_err_prefix(e, "reading %s", opt);
	if (len != VMSA_LEN) {
		free(*buf);
		*buf = NULL;
		return sm_err_set(e, SM_EXIT_USAGE,
				  "%s '%s' is %zu bytes, not %u (a VMSA page)",
				  opt, path, len, VMSA_LEN);
	}
	return 0;
}

/* The options that go together, checked before any file is read. */
static int check_args(const struct sm_owner_measure_args *a, struct sm_err *e)
{
	int es = (a->li.policy & POLICY_ES) != 0;
	int kern = a->kernel || a->initrd || a->cmdline;
	int cpus = a->num_cpus || a->vmsa_cpu0 || a->vmsa_cpu1;

	if (a->have_digest && (a->firmware || kern || cpus))
		return sm_err_set(
			e, SM_EXIT_USAGE,
			"--launch-digest excludes --firmware, "
			"--kernel, --initrd, --cmdline and the VMSAs");
	if (a->have_digest)
		return 0;
	if (!a->firmware)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "one of --launch-digest or --firmware is "
				  "needed");
	if (kern && !(a->kernel && a->initrd && a->cmdline))
		return sm_err_set(e, SM_EXIT_USAGE,
				  "--kernel, --initrd and --cmdline go "
				  "together");
	if (es && !(a->num_cpus && a->vmsa_cpu0 && a->vmsa_cpu1))
		return sm_err_set(e, SM_EXIT_USAGE,
				  "policy 0x%x has SEV-ES (0x4): --num-cpus, "
				  "--vmsa-cpu0 and --vmsa-cpu1 are needed",
				  a->li.policy);
	if (!es && cpus)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "--num-cpus and the VMSAs need SEV-ES in the "
				  "policy (0x4); policy is 0x%x",
				  a->li.policy);
	if (a->num_cpus > MAX_CPUS)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "--num-cpus: at most %u vCPUs", MAX_CPUS);
	return 0;
}

int sm_owner_launch_digest(const struct sm_owner_measure_args *a,
			   uint8_t ld[SM_LAUNCH_DIGEST_LEN], struct sm_err *e)
{
	uint8_t *fw = NULL, *v0 = NULL, *v1 = NULL, t[HT_PADDED];
	struct sm_sha256 *h = NULL;
	size_t fw_len = 0;
	unsigned i;
	int rc = -1;

	if (check_args(a, e) < 0)
		return -1;
	if (a->have_digest) {
		memcpy(ld, a->digest, SM_LAUNCH_DIGEST_LEN);
		return 0;
	}
	if (sm_read_file(a->firmware, FIRMWARE_MAX, &fw, &fw_len, e) < 0)
		return sm_err_prefix(e, "reading --firmware");
	if (a->kernel && hashes_table(a, fw, fw_len, t, e) < 0)
		goto out;
	if (a->num_cpus && (read_vmsa("--vmsa-cpu0", a->vmsa_cpu0, &v0, e) ||
			    read_vmsa("--vmsa-cpu1", a->vmsa_cpu1, &v1, e)))
		goto out;
	if (sm_sha256_new(&h) < 0 || sm_sha256_update(h, fw, fw_len) < 0 ||
	    (a->kernel && sm_sha256_update(h, t, sizeof(t)) < 0))
		goto err_hash;
	for (i = 0; i < a->num_cpus; i++)
		if (sm_sha256_update(h, i ? v1 : v0, VMSA_LEN) < 0)
			goto err_hash;
	if (sm_sha256_final(h, ld) < 0)
		goto err_hash;
	rc = 0;
	goto out;
err_hash:
	sm_err_ossl(e, SM_EXIT_FAILURE, "cannot compute the launch digest");
out:
	sm_sha256_free(h);
	free(v1);
	free(v0);
	free(fw);
	return rc;
}

int sm_owner_measure(const struct sm_owner_measure_args *a,
		     uint8_t blob[SM_MEASURE_BLOB_LEN],
		     uint8_t ld[SM_LAUNCH_DIGEST_LEN], struct sm_err *e)
{
	uint8_t msg[8 + SM_LAUNCH_DIGEST_LEN + SM_MNONCE_LEN];

	if (sm_owner_launch_digest(a, ld, e) < 0)
		return -1;
	/* SEV API LAUNCH_MEASURE: HMAC-SHA256(TIK, 0x04 || API_MAJOR ||
	 * API_MINOR || BUILD || POLICY (le32) || LD || MNONCE) */
	msg[0] = SM_PKT_CTX_MEASURE;
	msg[1] = a->li.api_major;
	msg[2] = a->li.api_minor;
	msg[3] = a->li.build;
	sm_put_le32(msg + 4, a->li.policy);
	memcpy(msg + 8, ld, SM_LAUNCH_DIGEST_LEN);
	memcpy(msg + 8 + SM_LAUNCH_DIGEST_LEN, a->mnonce, SM_MNONCE_LEN);
	if (sm_hmac_sha256(a->tik, SM_LAUNCH_KEY_LEN, msg, sizeof(msg), blob))
		return sm_err_ossl(e, SM_EXIT_FAILURE,
				   "cannot compute the launch measurement");
	memcpy(blob + SM_MEASURE_LEN, a->mnonce, SM_MNONCE_LEN);
	return 0;
}

int sm_owner_measure_check(const uint8_t want[SM_MEASURE_BLOB_LEN],
			   const uint8_t got[SM_MEASURE_BLOB_LEN],
			   struct sm_err *e)
{
	if (sm_ct_memcmp(want, got, SM_MEASURE_BLOB_LEN) == 0)
		return 0;
	return sm_err_set(e, SM_EXIT_VERIFY,
			  "the launch measurement does not match: another "
			  "TIK, nonce, platform, policy or image");
}
