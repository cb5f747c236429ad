// SPDX-License-Identifier: MIT
/* Unit tests for lib/fw/fw.c: names, sm_fw_fail and the wrappers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fw/fw.h"

static void test_status_names(void **state)
{
	uint32_t s;

	(void)state;
	assert_string_equal(sm_fw_status_name(SM_FW_SUCCESS), "SUCCESS");
	assert_string_equal(sm_fw_status_name(0x02), "INVALID_GUEST_STATE");
	assert_string_equal(sm_fw_status_name(0x04), "INVALID_LENGTH");
	assert_string_equal(sm_fw_status_name(0x07), "POLICY_FAILURE");
	assert_string_equal(sm_fw_status_name(0x0B), "BAD_MEASUREMENT");
	assert_string_equal(sm_fw_status_name(0x15), "UNSUPPORTED");
	assert_string_equal(sm_fw_status_name(0x18), "SECURE_DATA_INVALID");
	assert_string_equal(sm_fw_status_name(SM_FW_STATUS_MAX), "UNKNOWN");
	assert_string_equal(sm_fw_status_name(0xffffffffu), "UNKNOWN");
	for (s = 0; s < SM_FW_STATUS_MAX; s++)
		assert_string_not_equal(sm_fw_status_name(s), "UNKNOWN");
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(sm_guest_state_name(SM_GUEST_UNINIT), "UNINIT");
	assert_string_equal(sm_guest_state_name(SM_GUEST_RUNNING), "RUNNING");
	assert_string_equal(sm_guest_state_name(SM_GUEST_SUPDATE), "SUPDATE");
	assert_string_equal(sm_guest_state_name(SM_GUEST_RUPDATE), "RUPDATE");
	assert_string_equal(sm_guest_state_name(SM_GUEST_SENT), "SENT");
	assert_string_equal(sm_guest_state_name(7), "UNKNOWN");
}

static void test_fail(void **state)
{
	struct sm_fw fw = { 0 };
	struct sm_err e;

	(void)state;
	assert_int_equal(sm_fw_fail(&fw, &e, "SEND_START", EIO,
				    SM_FW_POLICY_FAILURE),
			 -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_string_equal(e.msg, "SEND_START failed: Input/output error "
				   "(firmware: POLICY_FAILURE)");
	assert_int_equal(fw.fw_error, SM_FW_POLICY_FAILURE);
	assert_int_equal(fw.sys_errno, EIO);

	sm_fw_fail(&fw, &e, "RECEIVE_UPDATE_DATA", 0, SM_FW_BAD_MEASUREMENT);
	assert_string_equal(e.msg, "RECEIVE_UPDATE_DATA failed (firmware: "
				   "BAD_MEASUREMENT)");
	assert_int_equal(fw.sys_errno, 0);

	sm_fw_fail(&fw, &e, "KVM_SEV_SEND_START", EBADF, 0);
	assert_string_equal(e.msg,
			    "KVM_SEV_SEND_START failed: Bad file descriptor");
	assert_int_equal(fw.fw_error, 0);

	sm_fw_fail(NULL, &e, "X", 0, 0x99);
	assert_string_equal(e.msg, "X failed (firmware: UNKNOWN)");
}

/* A fake backend recording calls. */
struct fake {
	int calls;
	int closed;
};

static int fake_send_finish(struct sm_fw *fw, struct sm_err *e)
{
	struct fake *f = fw->priv;

	f->calls++;
	assert_int_equal(fw->fw_error, 0); /* cleared by the wrapper */
	assert_int_equal(fw->sys_errno, 0);
	return sm_fw_fail(fw, e, "SEND_FINISH", 0, SM_FW_INVALID_GUEST_STATE);
}

static int fake_guest_status(struct sm_fw *fw, struct sm_fw_guest_status *st,
			     struct sm_err *e)
{
	struct fake *f = fw->priv;

	(void)e;
	f->calls++;
	st->state = SM_GUEST_RUNNING;
	return 0;
}

static void fake_close(struct sm_fw *fw)
{
	struct fake *f = fw->priv;

	f->closed++;
}

static const struct sm_fw_ops fake_ops = {
	.name = "fake",
	.guest_status = fake_guest_status,
	.send_finish = fake_send_finish,
	.close = fake_close,
};

static void test_wrappers(void **state)
{
	struct fake f = { 0 };
	struct sm_fw fw = { .ops = &fake_ops, .priv = &f };
	struct sm_fw_guest_status st = { 0 };
	struct sm_fw_xfer x = { 0 };
	struct sm_err e;

	(void)state;
	fw.fw_error = 0x33;
	fw.sys_errno = 5;
	assert_int_equal(sm_fw_send_finish(&fw, &e), -1);
	assert_int_equal(fw.fw_error, SM_FW_INVALID_GUEST_STATE);
	assert_string_equal(e.msg, "SEND_FINISH failed (firmware: "
				   "INVALID_GUEST_STATE)");
	/* The next success clears the previous status. */
	assert_int_equal(sm_fw_guest_status(&fw, &st, &e), 0);
	assert_int_equal(fw.fw_error, 0);
	assert_int_equal(st.state, SM_GUEST_RUNNING);
	assert_int_equal(f.calls, 2);

	/* An op the backend lacks is reported as unsupported. */
	assert_int_equal(sm_fw_send_update_vmsa(&fw, &x, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, "SEND_UPDATE_VMSA failed: not supported by "
				   "the 'fake' firmware backend");
	assert_int_equal(sm_fw_receive_finish(NULL, &e), -1);
	assert_string_equal(e.msg, "RECEIVE_FINISH failed: no firmware open");

	sm_fw_close(&fw);
	assert_int_equal(f.closed, 1);
	sm_fw_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_fail),
		cmocka_unit_test(test_wrappers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
