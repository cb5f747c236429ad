// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/fetch/qmp.c: a scripted QMP peer (tests/helpers/qmp-peer.py)
 * serving the real Milan PDH_CERT_EXPORT output from the AMD test data,
 * its failure modes (QEMU error, silence, closed connection, garbage,
 * malformed fields), and a real QEMU (-machine none, no KVM) for QEMU's
 * own error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>

#include "base/err.h"
#include "fetch/qmp.h"
#include "base/transport.h"
#include "base/util.h"

#include "helpers.h"

#define NAOS "naos-sev-tool/milan-export-2782152"

struct fix {
	char dir[256];
	char sock[300];
	char pdh[1024], chain[1024];
	int have_certs;
	struct sm_child *peer;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (!f || th_mkdtemp(f->dir, sizeof(f->dir)) < 0)
		return -1;
	snprintf(f->sock, sizeof(f->sock), "%s/qmp.sock", f->dir);
	f->have_certs =
		th_amd(NAOS "/pdh.cert", f->pdh, sizeof(f->pdh)) &&
		th_amd(NAOS "/cert_chain.cert", f->chain, sizeof(f->chain));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	sm_child_free(f->peer);
	th_rmtree(f->dir);
	free(f);
	return 0;
}

static void start_peer(struct fix *f, const char *mode)
{
	char prog[1024];
	const char *argv[] = { "python3",
			       prog,
			       "--socket",
			       f->sock,
			       "--mode",
			       mode,
			       "--pdh",
			       f->pdh,
			       "--chain",
			       f->chain,
			       "--id-hex",
			       "00112233445566778899aabbccddeeff"
			       "00112233445566778899aabbccddeeff"
			       "00112233445566778899aabbccddeeff"
			       "00112233445566778899aabbccddeeff",
			       NULL };
	struct sm_err e;

	if (!f->have_certs)
		skip();
	snprintf(prog, sizeof(prog), "%s/tests/helpers/qmp-peer.py", th_root());
	unlink(f->sock);
	assert_int_equal(
		sm_child_spawn(argv, SM_CHILD_NULL_STDIN, &f->peer, &e), 0);
	assert_int_equal(th_wait_path(f->sock), 0);
}

static void test_caps_ok(void **state)
{
	struct fix *f = *state;
	struct sm_qmp_sev_caps caps;
	struct sm_err e = { 0 };
	struct sm_qmp *q;
	uint8_t *buf;
	size_t len;

	start_peer(f, "ok");
	assert_int_equal(sm_qmp_open(f->sock, 5, &q, &e), 0);
	assert_int_equal(sm_qmp_query_sev_capabilities(q, &caps, &e), 0);
	assert_int_equal(sm_read_file(f->pdh, 1 << 20, &buf, &len, &e), 0);
	assert_int_equal(len, sizeof(caps.pdh));
	assert_memory_equal(caps.pdh, buf, len);
	free(buf);
	assert_int_equal(sm_read_file(f->chain, 1 << 20, &buf, &len, &e), 0);
	assert_int_equal(len, sizeof(caps.chain));
	assert_memory_equal(caps.chain, buf, len);
	free(buf);
	assert_int_equal(caps.cpu0_id_len, 64);
	assert_int_equal(caps.cpu0_id[1], 0x11);
	assert_int_equal(caps.cbitpos, 51);
	assert_int_equal(caps.reduced_phys_bits, 1);
	/* A second command on the same connection. */
	assert_int_equal(sm_qmp_query_sev_capabilities(q, &caps, &e), 0);
	sm_qmp_close(q);
}

static void test_caps_error_relayed(void **state)
{
	struct fix *f = *state;
	struct sm_qmp_sev_caps caps;
	struct sm_err e = { 0 };
	struct sm_qmp *q;
	char want[1024];

	start_peer(f, "error");
	assert_int_equal(sm_qmp_open(f->sock, 5, &q, &e), 0);
	assert_int_equal(sm_qmp_query_sev_capabilities(q, &caps, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	snprintf(
		want, sizeof(want),
		"QEMU at '%s' has no SEV: QMP command 'query-sev-capabilities' failed: SEV feature is not available",
		f->sock);
	assert_string_equal(e.msg, want);
	sm_qmp_close(q);
}

static void test_unknown_command(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	struct sm_qmp *q;
	char *ret = (char *)1;

	start_peer(f, "ok");
	assert_int_equal(sm_qmp_open(f->sock, 5, &q, &e), 0);
	assert_int_equal(
		sm_qmp_execute(q, "no-such-cmd", "{\"a\": 1}", &ret, &e), -1);
	assert_null(ret);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg,
			    "QMP command 'no-such-cmd' failed: The command "
			    "no-such-cmd has not been found (CommandNotFound)");
	assert_int_equal(sm_qmp_execute(q, "x", "[1]", &ret, &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
	sm_qmp_close(q);
}

static void test_silent_peer(void **state)
{
	struct fix *f = *state;
	struct sm_qmp_sev_caps caps;
	struct sm_err e = { 0 };
	struct sm_qmp *q;
	char want[1024];
	double t0;

	start_peer(f, "silent");
	assert_int_equal(sm_qmp_open(f->sock, 0.5, &q, &e), 0);
	t0 = sm_now();
	assert_int_equal(sm_qmp_query_sev_capabilities(q, &caps, &e), -1);
	assert_true(sm_now() - t0 < 2);
	assert_int_equal(e.code, SM_EXIT_IO);
	snprintf(want, sizeof(want), "QMP socket '%s': no answer within 0.5 s",
		 f->sock);
	assert_string_equal(e.msg, want);
	sm_qmp_close(q);
}

static void test_no_greeting(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	struct sm_qmp *q = (struct sm_qmp *)1;
	char want[1024];

	start_peer(f, "silent-greeting");
	assert_int_equal(sm_qmp_open(f->sock, 0.3, &q, &e), -1);
	assert_null(q);
	assert_int_equal(e.code, SM_EXIT_IO);
	snprintf(want, sizeof(want), "QMP socket '%s': no answer within 0.3 s",
		 f->sock);
	assert_string_equal(e.msg, want);
}

static void test_closed(void **state)
{
	struct fix *f = *state;
	struct sm_qmp_sev_caps caps;
	struct sm_err e = { 0 };
	struct sm_qmp *q;

	start_peer(f, "close");
	assert_int_equal(sm_qmp_open(f->sock, 5, &q, &e), 0);
	assert_int_equal(sm_qmp_query_sev_capabilities(q, &caps, &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_non_null(strstr(e.msg, "': connection closed by peer"));
	sm_qmp_close(q);
}

static void test_garbage(void **state)
{
	struct fix *f = *state;
	struct sm_qmp_sev_caps caps;
	struct sm_err e = { 0 };
	struct sm_qmp *q;

	start_peer(f, "garbage");
	assert_int_equal(sm_qmp_open(f->sock, 5, &q, &e), 0);
	assert_int_equal(sm_qmp_query_sev_capabilities(q, &caps, &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_non_null(strstr(e.msg, "': bad JSON from peer: "));
	sm_qmp_close(q);
}

static void test_bad_fields(void **state)
{
	struct fix *f = *state;
	struct sm_qmp_sev_caps caps;
	struct sm_err e = { 0 };
	struct sm_qmp *q;

	start_peer(f, "bad-pdh");
	assert_int_equal(sm_qmp_open(f->sock, 5, &q, &e), 0);
	assert_int_equal(sm_qmp_query_sev_capabilities(q, &caps, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_string_equal(e.msg, "query-sev-capabilities: 'pdh' has 100 "
				   "bytes, expected 2084");
	sm_qmp_close(q);
	sm_child_free(f->peer);
	f->peer = NULL;

	start_peer(f, "no-chain");
	assert_int_equal(sm_qmp_open(f->sock, 5, &q, &e), 0);
	assert_int_equal(sm_qmp_query_sev_capabilities(q, &caps, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_string_equal(e.msg, "query-sev-capabilities: 'cert-chain' "
				   "missing or not a string");
	sm_qmp_close(q);
}

static void test_no_socket(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	struct sm_qmp *q;
	char want[1024], lng[200];

	assert_int_equal(sm_qmp_open(f->sock, 1, &q, &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	snprintf(want, sizeof(want),
		 "connecting to QMP socket '%s': No such file or directory",
		 f->sock);
	assert_string_equal(e.msg, want);
	memset(lng, 'a', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	assert_int_equal(sm_qmp_open(lng, 1, &q, &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
	sm_qmp_close(NULL);
}

/* A real QEMU without KVM: its own error comes through as unsupported. */
static void test_real_qemu(void **state)
{
	struct fix *f = *state;
	char arg[400];
	const char *argv[] = { "qemu-system-x86_64",
			       "-machine",
			       "none",
			       "-nodefaults",
			       "-display",
			       "none",
			       "-qmp",
			       arg,
			       NULL };
	struct sm_qmp_sev_caps caps;
	struct sm_err e = { 0 };
	struct sm_qmp *q = NULL;
	char want[1024], *ret;

	if (access("/usr/bin/qemu-system-x86_64", X_OK) != 0)
		skip();
	snprintf(arg, sizeof(arg), "unix:%s,server=on,wait=off", f->sock);
	/* stderr piped: QEMU says "terminating on signal 15" at the end. */
	assert_int_equal(
		sm_child_spawn(argv, SM_CHILD_NULL_STDIN | SM_CHILD_PIPE_STDERR,
			       &f->peer, &e),
		0);
	assert_int_equal(th_wait_path(f->sock), 0);
	/* The socket file appears just before QEMU listens on it. */
	for (int i = 0; i < 100 && sm_qmp_open(f->sock, 10, &q, &e) < 0; i++)
		usleep(20000);
	assert_non_null(q);
	assert_int_equal(sm_qmp_execute(q, "query-status", NULL, &ret, &e), 0);
	assert_non_null(strstr(ret, "\"status\""));
	free(ret);
	assert_int_equal(sm_qmp_query_sev_capabilities(q, &caps, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	snprintf(
		want, sizeof(want),
		"QEMU at '%s' has no SEV: QMP command 'query-sev-capabilities' failed: KVM not enabled",
		f->sock);
	assert_string_equal(e.msg, want);
	sm_qmp_close(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_caps_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps_error_relayed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_command, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_silent_peer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_greeting, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_fields, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_socket, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_real_qemu, setup,
						teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
