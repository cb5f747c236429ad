// SPDX-License-Identifier: MIT
/*
 * The guest owner's launch secret (owner.h), as sevctl's `secret build`
 * makes it: the OVMF secret table (Linux drivers/virt/coco/efi_secret)
 * padded to 16 bytes, sealed for LAUNCH_SECRET under the TEK and TIK and
 * bound to the launch measurement.
 */
#include "engine/owner.h"

#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/ossl.h"
#include "base/util.h"

static const char secret_table_guid[] = "1e74f542-71dd-4d66-963e-ef4287ff173b";

#define SECRET_FILE_MAX (16u << 20)
#define ENTRY_HEAD (SM_GUID_LEN + 4) /* GUID, u32 length */

int sm_owner_secret_parse(const char *s, struct sm_owner_secret *out,
			  struct sm_err *e)
{
	const char *colon = strchr(s, ':');
	char guid[SM_GUID_STR_LEN + 1];
	size_t n;

	if (!colon || !colon[1])
		return sm_err_set(e, SM_EXIT_USAGE,
				  "--secret '%s' is not GUID:FILE", s);
	n = (size_t)(colon - s);
	if (n != SM_GUID_STR_LEN)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "--secret: '%.*s' is not a GUID", (int)n, s);
	memcpy(guid, s, n);
	guid[n] = '\0';
	if (sm_guid_parse(guid, out->guid) < 0)
		return sm_err_set(e, SM_EXIT_USAGE,
				  "--secret: '%s' is not a GUID", guid);
	out->path = colon + 1;
	return 0;
}

/* Free the secrets' contents, wiped. */
static void free_data(uint8_t **data, size_t *len, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (data[i])
			sm_wipe(data[i], len[i]);
		free(data[i]);
	}
	free(data);
	free(len);
}

int sm_owner_secret_build(const struct sm_owner_secret_args *a,
			  uint8_t hdr[SM_SECRET_HDR_LEN], uint8_t **payload,
			  size_t *payload_len, struct sm_err *e)
{
	uint8_t **data, *table = NULL, *trans = NULL, iv[SM_SECRET_IV_LEN];
	struct sm_pkt *p = NULL;
	struct sm_tk tk;
	int sealed;
	size_t *len, i, total = ENTRY_HEAD, padded, off;
	int rc = -1;

	if (a->nsecrets == 0)
		return sm_err_set(e, SM_EXIT_USAGE, "no --secret GUID:FILE");
	data = calloc(a->nsecrets, sizeof(*data));
	len = calloc(a->nsecrets, sizeof(*len));
	if (!data || !len) {
		free(data);
		free(len);
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	}
	for (i = 0; i < a->nsecrets; i++) {
		const char *path = a->secrets[i].path;

		/* larger files are read to say by how much they are over */
		if (sm_read_file(path, SECRET_FILE_MAX, &data[i], &len[i], e) <
		    0) {
			sm_err_prefix(e, "reading --secret");
			goto out;
		}
		total += ENTRY_HEAD + len[i];
	}
	padded = (total + 15) / 16 * 16;
	if (padded > SM_OWNER_SECRET_MAX) {
		sm_err_set(e, SM_EXIT_USAGE,
			   "the secret table is %zu bytes padded, over the "
			   "%u bytes of OVMF's secret area",
			   padded, SM_OWNER_SECRET_MAX);
		goto out;
	}
	table = calloc(1, padded);
	trans = malloc(padded);
	if (!table || !trans) {
		sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
		goto out;
	}
	sm_guid_parse(secret_table_guid, table);
	sm_put_le32(table + SM_GUID_LEN, (uint32_t)total);
	off = ENTRY_HEAD;
	for (i = 0; i < a->nsecrets; i++) {
		memcpy(table + off, a->secrets[i].guid, SM_GUID_LEN);
		sm_put_le32(table + off + SM_GUID_LEN,
			    (uint32_t)(ENTRY_HEAD + len[i]));
		if (len[i])
			memcpy(table + off + ENTRY_HEAD, data[i], len[i]);
		off += ENTRY_HEAD + len[i];
	}
	if (a->have_iv)
		memcpy(iv, a->iv, sizeof(iv));
	else if (sm_random(iv, sizeof(iv)) < 0) {
		sm_err_ossl(e, SM_EXIT_FAILURE, "cannot make a random IV");
		goto out;
	}
	memcpy(tk.tek, a->tek, sizeof(tk.tek));
	memcpy(tk.tik, a->tik, sizeof(tk.tik));
	/* LAUNCH_SECRET: context 0x01, the MEASURE after the ciphertext */
	sealed = sm_pkt_new(&p, &tk, e) == 0 &&
		 sm_pkt_seal_secret(p, a->measure, iv, 0, table, padded, trans,
				    hdr, e) == 0;
	sm_pkt_free(p); /* wipes its copy of the keys */
	sm_wipe(&tk, sizeof(tk));
	if (!sealed)
		goto out;
	*payload = trans;
	*payload_len = padded;
	trans = NULL;
	rc = 0;
out:
	free(trans);
	if (table)
		sm_wipe(table, padded);
	free(table);
	free_data(data, len, a->nsecrets);
	return rc;
}
