// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/fw/devsev.c without SEV hardware: a missing device is
 * "unsupported" naming it, a file that is not a SEV device (ENOTTY) too,
 * and anything else that cannot be opened is an I/O error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fw/devsev.h"
#include "base/err.h"

static void test_missing_device(void **state)
{
	struct sm_devsev_status st;
	uint8_t pdh[SM_SEV_CERT_LEN], chain[SM_SEV_CHAIN_LEN], id[64];
	struct sm_err e = { 0 };
	size_t len;
	const char *want = "cannot open SEV device '/nonexistent/sev': "
			   "No such file or directory";

	(void)state;
	assert_int_equal(sm_devsev_platform_status("/nonexistent/sev", &st, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, want);
	sm_err_clear(&e);
	assert_int_equal(sm_devsev_pdh_cert_export("/nonexistent/sev", pdh,
						   chain, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, want);
	sm_err_clear(&e);
	assert_int_equal(sm_devsev_get_id2("/nonexistent/sev", id, sizeof(id),
					   &len, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, want);
}

static void test_not_a_sev_device(void **state)
{
	struct sm_devsev_status st;
	uint8_t pdh[SM_SEV_CERT_LEN], chain[SM_SEV_CHAIN_LEN], id[64];
	struct sm_err e = { 0 };
	size_t len;

	(void)state;
	assert_int_equal(sm_devsev_platform_status("/dev/null", &st, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, "SEV_ISSUE_CMD PLATFORM_STATUS on "
				   "'/dev/null' failed: Inappropriate ioctl "
				   "for device");
	assert_int_equal(sm_devsev_pdh_cert_export("/dev/null", pdh, chain, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, "SEV_ISSUE_CMD PDH_CERT_EXPORT on "
				   "'/dev/null' failed: Inappropriate ioctl "
				   "for device");
	assert_int_equal(
		sm_devsev_get_id2("/dev/null", id, sizeof(id), &len, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, "SEV_ISSUE_CMD GET_ID2 on '/dev/null' "
				   "failed: Inappropriate ioctl for device");
}

static void test_directory(void **state)
{
	struct sm_devsev_status st;
	struct sm_err e = { 0 };

	(void)state;
	assert_int_equal(sm_devsev_platform_status("/", &st, &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_string_equal(e.msg,
			    "cannot open SEV device '/': Is a directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_device),
		cmocka_unit_test(test_not_a_sev_device),
		cmocka_unit_test(test_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
