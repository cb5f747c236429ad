// SPDX-License-Identifier: MIT
/*
 * fuzz-manifest: the JSON documents of an archive, each decoded by its
 * own parser (lib/archive/manifest.c): sevmig/manifest.json, shared-regions.json
 * (inside a fixed two-range layout and inside the layout of the input
 * itself when it is a manifest) and trailer.json.
 *
 * Oracle: what decodes encodes again, and the encoding decodes to the
 * same values; a decoded layout passes sm_layout_check and its page
 * lookups agree with it; shared regions are found by sm_shared_contains
 * exactly where they are.
 */
#include "fuzz-common.h"

#include "archive/manifest.h"

#define ALL_ERRS (FZ(SM_EXIT_VERIFY) | FZ(SM_EXIT_UNSUPPORTED))

static const struct sm_layout fixed = { 2,
					{ { 0, 0x100000 },
					  { 0x100000000ull, 0x20000 } } };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_log_init();
	return 0;
}

static void check_layout(const struct sm_layout *l)
{
	struct sm_err e;
	uint64_t base = 0;
	size_t i;

	if (sm_layout_check(l, &e) < 0)
		fz_fail("a decoded layout fails its check: %s", e.msg);
	if (!sm_layout_fits(l, l))
		fz_fail("a layout does not fit itself");
	for (i = 0; i < l->nranges; i++) {
		const struct sm_range *r = &l->ranges[i];

		if (sm_layout_page_index(l, r->gpa) != (int64_t)base ||
		    sm_layout_page_index(l, r->gpa + r->size - 4096) !=
			    (int64_t)(base + r->size / 4096 - 1) ||
		    (r->gpa &&
		     sm_layout_page_index(l, r->gpa - 4096) >= (int64_t)base))
			fz_fail("page index of range %zu is wrong", i);
		base += r->size / 4096;
	}
	if (base != sm_layout_pages(l))
		fz_fail("layout pages %llu, counted %llu",
			(unsigned long long)sm_layout_pages(l),
			(unsigned long long)base);
}

static void manifest(const uint8_t *data, size_t size, struct sm_manifest *m,
		     int *ok)
{
	struct sm_manifest back;
	struct sm_err e;
	char *text = NULL;
	size_t len;

	*ok = 0;
	if (sm_manifest_decode(data, size, m, &e) < 0) {
		fz_check_err(&e, ALL_ERRS, "manifest");
		return;
	}
	*ok = 1;
	check_layout(&m->layout);
	if (sm_manifest_encode(m, &text, &len, &e) < 0)
		fz_fail("cannot encode a decoded manifest: %s", e.msg);
	if (sm_manifest_decode(text, len, &back, &e) < 0)
		fz_fail("cannot decode an encoded manifest: %s", e.msg);
	free(text);
	if (strcmp(m->tool_version, back.tool_version) ||
	    strcmp(m->platform, back.platform) || m->policy != back.policy ||
	    m->vcpus != back.vcpus || m->es != back.es ||
	    m->pages != back.pages ||
	    m->records_per_chunk != back.records_per_chunk ||
	    m->records != back.records ||
	    m->migration_ready != back.migration_ready ||
	    memcmp(m->target_pdh_fp, back.target_pdh_fp, SM_FP_LEN) ||
	    memcmp(m->source_pdh_fp, back.source_pdh_fp, SM_FP_LEN) ||
	    m->layout.nranges != back.layout.nranges ||
	    memcmp(m->layout.ranges, back.layout.ranges,
		   m->layout.nranges * sizeof(m->layout.ranges[0])))
		fz_fail("manifest round trip differs");
}

static void shared(const uint8_t *data, size_t size, const struct sm_layout *l)
{
	struct sm_shared s = { 0, NULL }, back = { 0, NULL };
	struct sm_err e;
	char *text = NULL;
	size_t len, i;

	if (sm_shared_decode(data, size, l, &s, &e) < 0) {
		fz_check_err(&e, ALL_ERRS, "shared regions");
		if (s.r || s.n)
			fz_fail("failed shared decode left %zu regions", s.n);
		return;
	}
	for (i = 0; i < s.n; i++) {
		const struct sm_range *r = &s.r[i];
		struct sm_layout one = { 1, { { r->gpa, r->size } } };

		if (!sm_shared_contains(&s, r->gpa) ||
		    !sm_shared_contains(&s, r->gpa + r->size - 1) ||
		    (r->gpa &&
		     (i == 0 || s.r[i - 1].gpa + s.r[i - 1].size < r->gpa) &&
		     sm_shared_contains(&s, r->gpa - 1)) ||
		    !sm_layout_fits(&one, l))
			fz_fail("shared region %zu misplaced", i);
	}
	if (sm_shared_encode(&s, &text, &len, &e) < 0)
		fz_fail("cannot encode decoded regions: %s", e.msg);
	if (sm_shared_decode(text, len, l, &back, &e) < 0)
		fz_fail("cannot decode encoded regions: %s", e.msg);
	free(text);
	if (back.n != s.n || (s.n && memcmp(back.r, s.r, s.n * sizeof(s.r[0]))))
		fz_fail("shared regions round trip differs");
	sm_shared_free(&back);
	sm_shared_free(&s);
}

static void trailer(const uint8_t *data, size_t size)
{
	struct sm_trailer t, back;
	struct sm_err e;
	char *text = NULL;
	size_t len;

	if (sm_trailer_decode(data, size, &t, &e) < 0) {
		fz_check_err(&e, ALL_ERRS, "trailer");
		return;
	}
	if (sm_trailer_encode(&t, &text, &len, &e) < 0)
		fz_fail("cannot encode a decoded trailer: %s", e.msg);
	if (sm_trailer_decode(text, len, &back, &e) < 0)
		fz_fail("cannot decode an encoded trailer: %s", e.msg);
	free(text);
	if (memcmp(&t, &back, sizeof(t)))
		fz_fail("trailer round trip differs");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sm_manifest m;
	int ok;

	fz_quiet();
	manifest(data, size, &m, &ok);
	shared(data, size, &fixed);
	if (ok)
		shared(data, size, &m.layout);
	trailer(data, size);
	fz_loud();
	return 0;
}
