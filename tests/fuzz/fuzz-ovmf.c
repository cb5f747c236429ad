// SPDX-License-Identifier: MIT
/*
 * fuzz-ovmf: a firmware image as `sevmig-owner measure --firmware` reads
 * it.  OVMF's GUIDed footer table is walked for every GUID the owner's
 * code looks up (the SEV hashes table area, the secret area, the SEV-ES
 * reset block) and for the GUID in the input's first 16 bytes; the input
 * as text also goes through sm_guid_parse and sm_owner_secret_parse.
 * Contracts: a failure is SM_EXIT_UNSUPPORTED with a message; an entry
 * found lies inside the table, before the footer.
 */
#include "fuzz-common.h"

#include <strings.h>

#include "engine/owner.h"

static const char *const guids[] = {
	"7255371f-3a3b-4b04-927b-1da6efa8d454",
	"4c2eb361-7d9b-4cc3-8081-127c90d3d294",
	"00f771de-1a7e-4fcb-890e-68c77e2fb44e",
	"96b582de-1fb2-45f7-baea-a366c55a082d",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_init();
	return 0;
}

static void find(const uint8_t *fw, size_t len, const uint8_t g[16])
{
	const uint8_t *d = NULL;
	size_t dlen = 0;
	struct sm_err e;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = sm_ovmf_table_find(fw, len, g, &d, &dlen, &e);
	if (rc < 0) {
		fz_check_err(&e, FZ(SM_EXIT_UNSUPPORTED), "ovmf table");
		return;
	}
	if (rc > 0)
		return;
	if (rc != 0 || !d || d < fw || len < 0x20 + 18 ||
	    d + dlen > fw + len - 0x20 - 18)
		fz_fail("an entry of %zu bytes outside the table", dlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sm_owner_secret s;
	uint8_t g[16];
	char text[128];
	struct sm_err e;
	size_t i;

	for (i = 0; i < sizeof(guids) / sizeof(guids[0]); i++) {
		if (sm_guid_parse(guids[i], g) < 0)
			fz_fail("cannot parse '%s'", guids[i]);
		find(data, size, g);
	}
	if (size >= 16)
		find(data, size, data);
	i = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, i);
	text[i] = '\0';
	if (sm_guid_parse(text, g) == 0) {
		char back[40];

		sm_guid_format(g, back);
		if (strncasecmp(back, text, 36) != 0)
			fz_fail("'%s' parsed but formats as '%s'", text, back);
	}
	memset(&e, 0, sizeof(e));
	if (sm_owner_secret_parse(text, &s, &e) < 0)
		fz_check_err(&e, FZ(SM_EXIT_USAGE), "--secret");
	else if (!s.path[0] || s.path < text || s.path > text + i)
		fz_fail("--secret '%s' gave a bad path", text);
	return 0;
}
