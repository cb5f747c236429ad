// SPDX-License-Identifier: MIT
/*
 * The guest owner's inputs (owner.h): GUIDs, TEK/TIK files, base64
 * arguments and OVMF's GUIDed footer table.
 */
#include "engine/owner.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Larger key files are refused without reading them whole. */
#define KEY_FILE_MAX 4096
/* OVMF's footer: the table ends 0x20 bytes before the image's end. */
#define OVMF_TABLE_END_OFF 0x20
#define OVMF_ENTRY_TAIL (2 + SM_GUID_LEN) /* u16 length, GUID */

static const char ovmf_footer_guid[] = "96b582de-1fb2-45f7-baea-a366c55a082d";

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int sm_guid_parse(const char *s, uint8_t out[SM_GUID_LEN])
{
	/* byte i of the text, in the EFI order of the first three fields */
	static const uint8_t order[SM_GUID_LEN] = {
		3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15
	};
	uint8_t b[SM_GUID_LEN];
	size_t i, n = 0;

	if (!s || strlen(s) != SM_GUID_STR_LEN)
		return -1;
	for (i = 0; i < SM_GUID_STR_LEN; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		hi = hexval((unsigned char)s[i]);
		lo = hexval((unsigned char)s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		b[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	for (i = 0; i < SM_GUID_LEN; i++)
		out[i] = b[order[i]];
	return 0;
}

void sm_guid_format(const uint8_t g[SM_GUID_LEN], char *out)
{
	snprintf(out, SM_GUID_STR_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9],
		 g[10], g[11], g[12], g[13], g[14], g[15]);
}

int sm_owner_load_key(const char *path, const char *what,
		      uint8_t key[SM_LAUNCH_KEY_LEN], struct sm_err *e)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	if (sm_read_file(path, KEY_FILE_MAX, &buf, &len, e) < 0)
		return sm_err_prefix(e, "reading %s", what);
	if (len != SM_LAUNCH_KEY_LEN) {
		sm_wipe(buf, len);
		free(buf);
		return sm_err_set(e, SM_EXIT_USAGE,
				  "%s '%s' is %zu bytes, not %u", what, path,
				  len, SM_LAUNCH_KEY_LEN);
	}
	memcpy(key, buf, SM_LAUNCH_KEY_LEN);
	sm_wipe(buf, len);
	free(buf);
	return 0;
}

int sm_owner_b64_arg(const char *opt, const char *b64, uint8_t *out, size_t len,
		     struct sm_err *e)
{
	uint8_t *buf;
	size_t max = strlen(b64) / 4 * 3 + 3;
	ssize_t n;

	buf = malloc(max);
	if (!buf)
		return sm_err_set(e, SM_EXIT_FAILURE, "out of memory");
	n = sm_base64_decode(b64, buf, max);
	if (n < 0) {
		free(buf);
		return sm_err_set(e, SM_EXIT_USAGE, "%s: '%s' is not base64",
				  opt, b64);
	}
	if ((size_t)n != len) {
		free(buf);
		return sm_err_set(e, SM_EXIT_USAGE,
				  "%s: '%s' decodes to %zd bytes, not %zu", opt,
				  b64, n, len);
	}
	memcpy(out, buf, len);
	sm_wipe(buf, max);
	free(buf);
	return 0;
}

static unsigned get_le16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

int sm_ovmf_table_find(const uint8_t *fw, size_t fw_len,
		       const uint8_t guid[SM_GUID_LEN], const uint8_t **data,
		       size_t *len, struct sm_err *e)
{
	uint8_t footer[SM_GUID_LEN];
	size_t end, start, tlen;

	sm_guid_parse(ovmf_footer_guid, footer);
	if (fw_len < OVMF_TABLE_END_OFF + OVMF_ENTRY_TAIL)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "no OVMF table footer: the image has only "
				  "%zu bytes",
				  fw_len);
	end = fw_len - OVMF_TABLE_END_OFF;
	if (memcmp(fw + end - SM_GUID_LEN, footer, SM_GUID_LEN) != 0)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "no OVMF table footer (GUID %s) 0x%x bytes "
				  "before the image's end",
				  ovmf_footer_guid,
				  OVMF_TABLE_END_OFF + SM_GUID_LEN);
	tlen = get_le16(fw + end - OVMF_ENTRY_TAIL);
	if (tlen < OVMF_ENTRY_TAIL || tlen > end)
		return sm_err_set(e, SM_EXIT_UNSUPPORTED,
				  "the OVMF table's length %zu does not fit "
				  "the image",
				  tlen);
	start = end - tlen;
	end -= OVMF_ENTRY_TAIL;
	while (end > start) {
		size_t elen;

		if (end - start < OVMF_ENTRY_TAIL)
			return sm_err_set(e, SM_EXIT_UNSUPPORTED,
					  "a truncated entry in the OVMF "
					  "table at offset 0x%zx",
					  start);
		elen = get_le16(fw + end - OVMF_ENTRY_TAIL);
		if (elen < OVMF_ENTRY_TAIL || elen > end - start)
			return sm_err_set(e, SM_EXIT_UNSUPPORTED,
					  "an entry of the OVMF table at "
					  "offset 0x%zx has a bad length %zu",
					  end - OVMF_ENTRY_TAIL, elen);
		if (memcmp(fw + end - SM_GUID_LEN, guid, SM_GUID_LEN) == 0) {
			*data = fw + end - elen;
			*len = elen - OVMF_ENTRY_TAIL;
			return 0;
		}
		end -= elen;
	}
	return 1;
}
