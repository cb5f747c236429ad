// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/sim/sim-vmm.c, driving the endpoint callbacks directly
 * (no socket): the hand-off rules that decide whether a guest survives a
 * tool that fails, vanishes or misbehaves.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "certs/cert.h"
#include "endpoint/endpoint-server.h"
#include "fw/fw-sim.h"
#include "fw/fw.h"
#include "fw/sevcrypto.h"
#include "sim/sim-vmm.h"
#include "base/util.h"

static char root[256], plat[300];

static void must(int rc, const struct sm_err *e)
{
	if (rc != 0) {
		fprintf(stderr, "unexpected failure: %s\n", e->msg);
		fail();
	}
}

static int group_setup(void **state)
{
	struct sm_sim_platform_opts o;
	struct sm_err e;

	(void)state;
	snprintf(root, sizeof(root), "/tmp/test-sim-vmm.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(plat, sizeof(plat), "%s/p", root);
	memset(&o, 0, sizeof(o));
	o.ark_bits = 2048;
	if (sm_fw_sim_platform_init(plat, &o, &e)) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct sm_eps_ops *ops;

static struct sm_sim_vmm *new_vmm(int incoming)
{
	struct sm_sim_vmm_opts o;
	struct sm_sim_vmm *v = NULL;
	struct sm_err e;

	memset(&o, 0, sizeof(o));
	o.platform_dir = plat;
	o.mem_size = 1 << 20;
	o.shared_pct = 10;
	o.seed = 7;
	o.policy = 0x1;
	o.incoming = incoming;
	must(sm_sim_vmm_new(&o, &v, &e), &e);
	ops = sm_sim_vmm_ops();
	return v;
}

/* The VMM's view: firmware guest state name and an intact guest. */
static void expect_guest(struct sm_sim_vmm *v, const char *fw_state)
{
	struct sm_ep_status st;
	struct sm_ep_check c;
	struct sm_err e;

	memset(&st, 0, sizeof(st));
	must(ops->status(v, &st, &e), &e);
	assert_string_equal(st.guest_state, fw_state);
	must(ops->check(v, &c, &e), &e);
	assert_int_equal(c.bad, 0);
	assert_int_equal(c.pages, 256);
}

static void expect_vmm_state(struct sm_sim_vmm *v, const char *state)
{
	struct sm_ep_status st;
	struct sm_err e;

	memset(&st, 0, sizeof(st));
	must(ops->status(v, &st, &e), &e);
	assert_string_equal(st.vmm_state, state);
}

/* What an exporter does with the context it took: its own fw on it. */
static struct sm_fw *tool_attach(int ctx_fd)
{
	struct sm_fw *fw = NULL;
	struct sm_err e;

	must(sm_fw_sim_open(plat, &fw, &e), &e);
	must(sm_fw_sim_attach(fw, ctx_fd, &e), &e);
	return fw;
}

/* SEND_START to the platform's own PDH (policy 0x1 reads no chain). */
static void tool_send_start(struct sm_fw *fw)
{
	static uint8_t pdh[SM_SEV_CERT_LEN], chain[SM_SEV_CHAIN_LEN];
	uint8_t session[SM_SESSION_LEN], dummy = 0;
	struct sm_fw_send_start a;
	struct sm_err e;

	must(sm_fw_pdh_cert_export(fw, pdh, chain, &e), &e);
	memset(&a, 0, sizeof(a));
	a.pdh = pdh;
	a.pdh_len = sizeof(pdh);
	a.plat_certs = chain;
	a.plat_certs_len = sizeof(chain);
	a.amd_certs = &dummy;
	a.amd_certs_len = 1;
	a.session = session;
	a.session_len = sizeof(session);
	must(sm_fw_send_start(fw, &a, &e), &e);
}

static int take(struct sm_sim_vmm *v)
{
	struct sm_err e;
	int fd = -1;

	must(ops->pause(v, &e), &e);
	must(ops->take_context(v, &fd, &e), &e);
	assert_true(fd >= 0);
	return fd;
}

/*
 * A release that comes before SEND_FINISH (the export has not committed)
 * is refused in RUNNING and in SUPDATE: the guest survives.
 */
static void test_release_needs_sent(void **state)
{
	struct sm_sim_vmm *v = new_vmm(0);
	struct sm_fw *tool;
	struct sm_err e;
	int fd;

	(void)state;
	fd = take(v);
	assert_int_equal(ops->release(v, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_string_equal(e.msg, "the guest was not sent (firmware state "
				   "RUNNING): SEND_FINISH must run before "
				   "release");
	tool = tool_attach(fd);
	tool_send_start(tool);
	assert_int_equal(ops->release(v, &e), -1);
	assert_non_null(strstr(e.msg, "(firmware state SUPDATE)"));
	expect_vmm_state(v, "paused");
	expect_guest(v, "SUPDATE");
	/* Given back, the send is cancelled and the guest runs on. */
	must(ops->return_context(v, fd, NULL, &e), &e);
	expect_guest(v, "RUNNING");
	must(ops->resume(v, 0, &e), &e);
	expect_vmm_state(v, "running");
	sm_fw_close(tool);
	sm_sim_vmm_free(v);
}

/*
 * After SEND_FINISH, release discards the guest and decommissions the
 * context: the holder's copy is dead too (no command finds a guest).
 */
static void test_release_after_send_finish(void **state)
{
	struct sm_sim_vmm *v = new_vmm(0);
	struct sm_fw_guest_status gs;
	struct sm_ep_check c;
	struct sm_fw *tool;
	uint8_t page[4096];
	struct sm_err e;
	int fd;

	(void)state;
	fd = take(v);
	tool = tool_attach(fd);
	tool_send_start(tool);
	must(sm_fw_send_finish(tool, &e), &e);
	/* A sent guest cannot be handed back. */
	assert_int_equal(ops->return_context(v, fd, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "release it instead"));
	must(ops->release(v, &e), &e);
	expect_vmm_state(v, "released");
	assert_int_equal(ops->check(v, &c, &e), -1);
	assert_int_equal(ops->release(v, &e), -1);
	assert_int_equal(sm_fw_guest_status(tool, &gs, &e), -1);
	assert_int_equal(tool->fw_error, SM_FW_INVALID_GUEST);
	assert_int_equal(sm_fw_sim_guest_read(tool, 0, page, page, &e), -1);
	sm_fw_close(tool);
	sm_sim_vmm_free(v);
}

/* The holder vanishes: in SUPDATE the send is cancelled, in SENT released. */
static void test_context_lost(void **state)
{
	struct sm_sim_vmm *v = new_vmm(0);
	struct sm_fw *tool;
	struct sm_err e;
	int fd;

	(void)state;
	fd = take(v);
	tool = tool_attach(fd);
	tool_send_start(tool);
	sm_fw_close(tool);
	ops->context_lost(v);
	expect_guest(v, "RUNNING");
	must(ops->resume(v, 0, &e), &e);

	fd = take(v);
	tool = tool_attach(fd);
	tool_send_start(tool);
	must(sm_fw_send_finish(tool, &e), &e);
	sm_fw_close(tool);
	ops->context_lost(v);
	expect_vmm_state(v, "released");
	sm_sim_vmm_free(v);
}

/*
 * One device-state load at a time: a second client starting a load must
 * not throw away (or be fed) the first one's half-received blob.
 */
static void test_one_load_at_a_time(void **state)
{
	struct sm_sim_vmm *src = new_vmm(0), *dst = new_vmm(1);
	uint8_t *blob;
	uint64_t size;
	struct sm_err e;

	(void)state;
	must(ops->pause(src, &e), &e);
	must(ops->device_state(src, &size, &e), &e);
	blob = malloc(size);
	assert_non_null(blob);
	must(ops->device_state_read(src, 0, blob, size, &e), &e);
	must(ops->claim(dst, &e), &e);
	must(ops->load_device_state(dst, size, &e), &e);
	must(ops->load_device_state_data(dst, 0, blob, 100, &e), &e);
	/* A second load while the first runs is refused... */
	assert_int_equal(ops->load_device_state(dst, size, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VM);
	assert_string_equal(e.msg, "a device-state load is already in "
				   "progress");
	/* ...and the first one completes. */
	must(ops->load_device_state_data(dst, 100, blob + 100, size - 100, &e),
	     &e);
	must(ops->load_device_state_end(dst, 1, &e), &e);
	/* Once ended (or abandoned), a new load may start. */
	must(ops->load_device_state(dst, size, &e), &e);
	must(ops->load_device_state_end(dst, 0, &e), &e);
	must(ops->load_device_state(dst, size, &e), &e);
	must(ops->load_device_state_end(dst, 0, &e), &e);
	free(blob);
	sm_sim_vmm_free(src);
	sm_sim_vmm_free(dst);
}

/* Guest RAM and context are sealed at their size: no SIGBUS for clients. */
static void test_memory_sealed(void **state)
{
	struct sm_sim_vmm *v = new_vmm(0);
	struct sm_ep_hello *h = calloc(1, sizeof(*h));
	struct sm_err e;
	int fd, want = F_SEAL_SHRINK | F_SEAL_GROW;

	(void)state;
	assert_non_null(h);
	must(ops->hello(v, h, &e), &e);
	assert_int_equal(h->nfds, 1);
	assert_int_equal(fcntl(h->fds[0], F_GET_SEALS) & want, want);
	assert_int_equal(ftruncate(h->fds[0], 4096), -1);
	fd = take(v);
	assert_int_equal(fcntl(fd, F_GET_SEALS) & want, want);
	free(h);
	sm_sim_vmm_free(v);
}

/*
 * adopt-context: only a finished (RUNNING) context of the same kind; an
 * ES one with as many VMSAs as the VMM has vCPUs (as KVM's move needs).
 */
static void test_adopt_rules(void **state)
{
	struct sm_sim_vmm_opts o;
	struct sm_sim_vmm *v = NULL;
	struct sm_fw *tool;
	struct sm_err e;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.platform_dir = plat;
	o.mem_size = 1 << 20;
	o.vcpus = 2;
	o.es = 1;
	o.incoming = 1;
	must(sm_sim_vmm_new(&o, &v, &e), &e);
	ops = sm_sim_vmm_ops();
	must(ops->claim(v, &e), &e);
	must(sm_fw_sim_open(plat, &tool, &e), &e);
	must(sm_fw_sim_launch(tool, SM_POLICY_ES, 1, &e), &e);
	assert_int_equal(
		ops->adopt_context(v, sm_fw_sim_context_fd(tool), 0, &e), -1);
	assert_string_equal(e.msg, "the context holds 1 VMSAs, this VMM runs "
				   "2 vCPUs");
	sm_fw_close(tool);
	must(sm_fw_sim_open(plat, &tool, &e), &e);
	must(sm_fw_sim_launch(tool, 0x1, 2, &e), &e);
	assert_int_equal(
		ops->adopt_context(v, sm_fw_sim_context_fd(tool), 0, &e), -1);
	assert_non_null(strstr(e.msg, "lacks SEV-ES"));
	sm_fw_close(tool);
	must(sm_fw_sim_open(plat, &tool, &e), &e);
	must(sm_fw_sim_launch(tool, SM_POLICY_ES, 2, &e), &e);
	must(ops->adopt_context(v, sm_fw_sim_context_fd(tool), 0, &e), &e);
	sm_fw_close(tool);
	sm_sim_vmm_free(v);
}

static void expect_hold(struct sm_sim_vmm *v, const char *hold)
{
	struct sm_ep_status st;
	struct sm_err e;

	memset(&st, 0, sizeof(st));
	must(ops->status(v, &st, &e), &e);
	assert_string_equal(st.hold, hold);
	assert_int_equal(!!st.hold_reason[0], !!hold[0]);
}

/*
 * The holder's progress decides what a vanished holder leaves: after
 * stream-written the guest comes back in doubt (resume needs force),
 * after target-ready the VMM finishes the send itself and lets it go.
 */
static void test_progress_and_holds(void **state)
{
	struct sm_sim_vmm *v = new_vmm(0);
	struct sm_fw *tool;
	struct sm_err e;
	int fd;

	(void)state;
	fd = take(v);
	/* Progress only while the send runs. */
	assert_int_equal(ops->stream_written(v, &e), -1);
	assert_non_null(strstr(e.msg, "not being sent"));
	tool = tool_attach(fd);
	tool_send_start(tool);
	must(ops->stream_written(v, &e), &e);
	sm_fw_close(tool);
	ops->context_lost(v);
	expect_guest(v, "RUNNING");
	expect_hold(v, "in-doubt");
	assert_int_equal(ops->resume(v, 0, &e), -1);
	assert_non_null(strstr(e.msg, "the guest is on hold (in doubt)"));
	/* In doubt, it is not exported again before the operator decides. */
	assert_int_equal(ops->take_context(v, &fd, &e), -1);
	must(ops->resume(v, 1, &e), &e);
	expect_hold(v, "");
	expect_vmm_state(v, "running");

	/* target-ready, then gone: SEND_FINISH by the VMM, released. */
	fd = take(v);
	tool = tool_attach(fd);
	tool_send_start(tool);
	must(ops->target_ready(v, &e), &e);
	/* no going back a stage */
	assert_int_equal(ops->stream_written(v, &e), -1);
	sm_fw_close(tool);
	ops->context_lost(v);
	expect_vmm_state(v, "released");
	sm_sim_vmm_free(v);
}

/* A context returned in doubt stays on hold; a plain return clears it. */
static void test_return_in_doubt(void **state)
{
	struct sm_sim_vmm *v = new_vmm(0);
	struct sm_fw *tool;
	struct sm_err e;
	int fd;

	(void)state;
	fd = take(v);
	tool = tool_attach(fd);
	tool_send_start(tool);
	must(ops->stream_written(v, &e), &e);
	must(ops->return_context(v, fd, "the reader may have it", &e), &e);
	sm_fw_close(tool);
	expect_guest(v, "RUNNING");
	expect_hold(v, "in-doubt");
	assert_int_equal(ops->resume(v, 0, &e), -1);
	assert_non_null(strstr(e.msg, "the reader may have it"));
	must(ops->resume(v, 1, &e), &e);
	sm_sim_vmm_free(v);
}

/*
 * An incoming VMM: claim makes it receiving; unclaim before adopt clears
 * it; an adopted pending guest resumes only when forced or after commit;
 * discard makes it wait again; a VMM holding a guest cannot be claimed.
 */
static void test_incoming_states(void **state)
{
	struct sm_sim_vmm *v = new_vmm(1);
	struct sm_fw *tool;
	struct sm_err e;

	(void)state;
	expect_vmm_state(v, "incoming");
	must(ops->claim(v, &e), &e);
	expect_vmm_state(v, "receiving");
	ops->unclaim(v);
	expect_vmm_state(v, "incoming");
	/* adopt needs the claim (receiving) */
	must(sm_fw_sim_open(plat, &tool, &e), &e);
	must(sm_fw_sim_launch(tool, 0x1, 1, &e), &e);
	assert_int_equal(
		ops->adopt_context(v, sm_fw_sim_context_fd(tool), 1, &e), -1);
	must(ops->claim(v, &e), &e);
	must(ops->adopt_context(v, sm_fw_sim_context_fd(tool), 1, &e), &e);
	expect_vmm_state(v, "received-paused");
	expect_hold(v, "uncommitted");
	/* the claim ends: a received guest stays */
	ops->unclaim(v);
	expect_vmm_state(v, "received-paused");
	assert_int_equal(ops->claim(v, &e), -1);
	assert_non_null(strstr(
		e.msg, "holds a received guest, paused and uncommitted"));
	/* no device state loaded: even forced it cannot run */
	assert_int_equal(ops->resume(v, 1, &e), -1);
	assert_string_equal(e.msg, "no device state loaded yet");
	must(ops->commit(v, &e), &e);
	expect_hold(v, "");
	must(ops->discard(v, &e), &e);
	expect_vmm_state(v, "incoming");
	expect_hold(v, "");
	assert_int_equal(ops->discard(v, &e), -1);
	sm_fw_close(tool);
	sm_sim_vmm_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_needs_sent),
		cmocka_unit_test(test_release_after_send_finish),
		cmocka_unit_test(test_context_lost),
		cmocka_unit_test(test_one_load_at_a_time),
		cmocka_unit_test(test_memory_sealed),
		cmocka_unit_test(test_adopt_rules),
		cmocka_unit_test(test_progress_and_holds),
		cmocka_unit_test(test_return_in_doubt),
		cmocka_unit_test(test_incoming_states),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
