// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/fw/preflight.c: under an empty root every piece is
 * missing and named; under a root with kvm_amd's parameters and the misc
 * cgroup laid out those checks pass and the free ASIDs are counted; the
 * JSON lists the failed gating checks in "missing".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fw/preflight.h"
#include "helpers.h"

static const struct sm_pf_check *find(const struct sm_preflight *pf,
				      const char *name)
{
	size_t i;

	for (i = 0; i < pf->n; i++)
		if (!strcmp(pf->checks[i].name, name))
			return &pf->checks[i];
	return NULL;
}

static void put(const char *root, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_empty_root(void **state)
{
	static struct sm_preflight pf;
	struct sm_err e = { 0 };
	char root[128], *json = NULL;

	(void)state;
	assert_int_equal(th_mkdtemp(root, sizeof(root)), 0);
	assert_int_equal(sm_preflight_run(root, NULL, &pf, &e), 0);
	assert_int_equal(pf.can, 0);
	assert_false(find(&pf, "dev_kvm")->ok);
	assert_false(find(&pf, "dev_sev")->ok);
	assert_non_null(strstr(find(&pf, "dev_sev")->fix, "modprobe ccp"));
	assert_false(find(&pf, "misc_sev_asids")->ok);
	assert_null(find(&pf, "kvm_cap_206"));
	assert_int_equal(sm_preflight_json(&pf, &json, &e), 0);
	/* no osrelease under the root: the kernel is unknown, so too old */
	assert_non_null(strstr(
		json, "\"missing\": [\n    \"kernel\",\n    \"dev_kvm\","));
	assert_non_null(strstr(json, "\"ok\": false"));
	free(json);
	th_rmtree(root);
}

static void test_laid_out(void **state)
{
	static struct sm_preflight pf;
	struct sm_err e = { 0 };
	char root[128], d[256];

	(void)state;
	assert_int_equal(th_mkdtemp(root, sizeof(root)), 0);
	snprintf(d, sizeof(d), "%s/sys", root);
	mkdir(d, 0700);
	snprintf(d, sizeof(d), "%s/sys/fs", root);
	mkdir(d, 0700);
	snprintf(d, sizeof(d), "%s/sys/fs/cgroup", root);
	mkdir(d, 0700);
	snprintf(d, sizeof(d), "%s/sys/module", root);
	mkdir(d, 0700);
	snprintf(d, sizeof(d), "%s/sys/module/kvm_amd", root);
	mkdir(d, 0700);
	snprintf(d, sizeof(d), "%s/sys/module/kvm_amd/parameters", root);
	mkdir(d, 0700);
	put(root, "sys/module/kvm_amd/parameters/sev", "Y\n");
	put(root, "sys/module/kvm_amd/parameters/sev_es", "1\n");
	put(root, "sys/module/kvm_amd/parameters/sev_snp", "N\n");
	put(root, "sys/fs/cgroup/misc.capacity", "sev 10\nsev_es 4\n");
	put(root, "sys/fs/cgroup/misc.current", "sev 10\nsev_es 1\n");
	assert_int_equal(sm_preflight_run(root, NULL, &pf, &e), 0);
	assert_true(find(&pf, "kvm_sev")->ok);
	assert_true(find(&pf, "kvm_sev_es")->ok);
	assert_false(find(&pf, "kvm_sev_snp")->ok);
	assert_false(find(&pf, "misc_sev_asids")->ok);
	assert_string_equal(find(&pf, "misc_sev_asids")->found,
			    "0 of 10 SEV ASIDs free");
	assert_true(find(&pf, "misc_sev_es_asids")->ok);
	assert_string_equal(find(&pf, "misc_sev_es_asids")->found,
			    "3 of 4 SEV-ES ASIDs free");
	th_rmtree(root);
}

static void test_missing_sim(void **state)
{
	static struct sm_preflight pf;
	struct sm_err e = { 0 };

	(void)state;
	assert_int_equal(sm_preflight_run(NULL, "/nonexistent/sim", &pf, &e),
			 0);
	assert_int_equal(pf.can, 0);
	assert_false(find(&pf, "sim_platform")->ok);
	assert_string_equal(
		find(&pf, "sim_platform")->fix,
		"make it with sevmig-sim platform init '/nonexistent/sim'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_root),
		cmocka_unit_test(test_laid_out),
		cmocka_unit_test(test_missing_sim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
