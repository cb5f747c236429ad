// SPDX-License-Identifier: MIT
/*
 * fuzz-probe: the answer an importer gives a dry run's probe
 * (engine/probe.h), as sevmig-export reads it from the --exec command's
 * standard output, which may come from another host over ssh.
 *
 * Oracle: a refusal is SM_EXIT_IO with a message; what decodes encodes
 * again (sm_probe_encode) and decodes to the same description, and the
 * checks of it against a fixed guest fill at most SM_TARGET_MAX_CHECKS
 * entries, each with a name and, when failed, a fix.
 */
#include "fuzz-common.h"

#include "engine/probe.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_init();
	return 0;
}

static void same(const struct sm_probe *a, const struct sm_probe *b)
{
	if (strcmp(a->error, b->error) || strcmp(a->role, b->role) ||
	    strcmp(a->state, b->state) || strcmp(a->platform, b->platform) ||
	    a->vcpus != b->vcpus || a->es != b->es || a->policy != b->policy ||
	    a->mh_helpers != b->mh_helpers || a->have_pdh != b->have_pdh ||
	    (a->have_pdh && memcmp(a->pdh_fp, b->pdh_fp, SM_FP_LEN)) ||
	    a->have_status != b->have_status ||
	    a->layout.nranges != b->layout.nranges ||
	    memcmp(a->layout.ranges, b->layout.ranges,
		   a->layout.nranges * sizeof(a->layout.ranges[0])))
		fz_fail("a probe answer changed through encode and decode");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sm_layout guest = {
		.nranges = 1, .ranges = { { .gpa = 0, .size = 4 << 20 } }
	};
	static const uint8_t fp[SM_FP_LEN] = { 1 };
	const struct sm_probe_want w = {
		.layout = &guest,
		.vcpus = 1,
		.mh = 1, /* no firmware: not the policy */
		.target_fp = fp
	};
	struct sm_target_check checks[SM_TARGET_MAX_CHECKS];
	struct sm_probe p, back;
	struct sm_err e;
	char *json = NULL;
	size_t n, i;
	int failed;

	fz_quiet();
	if (sm_probe_decode((const char *)data, size, &p, &e)) {
		fz_check_err(&e, FZ(SM_EXIT_IO), "probe answer");
		fz_loud();
		return 0;
	}
	if (sm_probe_encode(&p, &json, &e))
		fz_fail("cannot encode a decoded probe answer: %s", e.msg);
	if (sm_probe_decode(json, strlen(json), &back, &e))
		fz_fail("cannot decode an encoded probe answer: %s", e.msg);
	free(json);
	same(&p, &back);
	n = sm_probe_check(&p, &w, checks, &failed);
	if (n == 0 || n > SM_TARGET_MAX_CHECKS)
		fz_fail("%zu checks", n);
	for (i = 0; i < n; i++)
		if (!checks[i].name || (!checks[i].ok && !checks[i].fix[0]))
			fz_fail("check %zu has no name or no fix", i);
	if (p.error[0] && failed != 0)
		fz_fail("an unreachable target passed 'reachable'");
	fz_loud();
	return 0;
}
