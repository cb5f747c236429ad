// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/fw/fw-sim.c: every firmware rule of
 * sev-migration-protocol.md section 1 the simulated PSP applies, and the
 * two cross-checks with lib/sevcrypto (a software receiver opens fw-sim's
 * packets; fw-sim accepts a software sender's packets).
 *
 * Platforms, made once for the group (2048-bit simulated AMD keys, to be
 * quick):
 *   a  source: milan 1.55, ES, own ARK and OCA
 *   b  target: ARK and OCA shared with a (one AMD, one owner)
 *   c  stranger: its own ARK and OCA
 *   d  ARK shared with a, own OCA, API 0.17, no ES
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/bytes.h"
#include "certs/cert.h"
#include "fw/fw-sim.h"
#include "fw/fw.h"
#include "fw/sevcrypto.h"
#include "base/util.h"
#include "certs-common.h"
#include "fw/sim-platform.h"

#define PG 4096u
#define NPAGES 4

static char root[256];
static char dir_a[300], dir_b[300], dir_c[300], dir_d[300];

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
	snprintf(root, sizeof(root), "/tmp/test-fw-sim.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(dir_a, sizeof(dir_a), "%s/a", root);
	snprintf(dir_b, sizeof(dir_b), "%s/b", root);
	snprintf(dir_c, sizeof(dir_c), "%s/c", root);
	snprintf(dir_d, sizeof(dir_d), "%s/d", root);
	memset(&o, 0, sizeof(o));
	o.ark_bits = 2048;
	if (sm_fw_sim_platform_init(dir_a, &o, &e) ||
	    sm_fw_sim_platform_init(dir_c, &o, &e))
		goto err;
	memset(&o, 0, sizeof(o));
	o.ark_from = dir_a;
	o.oca_from = dir_a;
	if (sm_fw_sim_platform_init(dir_b, &o, &e))
		goto err;
	o.oca_from = NULL;
	o.api_major = 0;
	o.api_minor = 17;
	o.no_es = 1;
	if (sm_fw_sim_platform_init(dir_d, &o, &e))
		goto err;
	return 0;
err:
	fprintf(stderr, "setup: %s\n", e.msg);
	return -1;
}

static int group_teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static struct sm_fw *open_fw(const char *dir)
{
	struct sm_fw *fw = NULL;
	struct sm_err e;

	must(sm_fw_sim_open(dir, &fw, &e), &e);
	return fw;
}

static uint8_t *rdf(const char *dir, const char *name, size_t *len)
{
	char path[400];
	struct sm_err e;
	uint8_t *buf = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	must(sm_read_file(path, 1 << 16, &buf, len, &e), &e);
	return buf;
}

/* What sevmig-export hands SEND_START for a target platform dir. */
struct target {
	uint8_t pdh[SM_SEV_CERT_LEN];
	uint8_t plat[SM_SEV_CHAIN_LEN];
	uint8_t amd[2 * SM_AMD_CERT_MAX];
	size_t amd_len;
};

static void load_target(const char *dir, struct target *t)
{
	static const char *const plat[] = { "pek.cert", "oca.cert",
					    "cek.cert" };
	uint8_t *b;
	size_t len, i;

	b = rdf(dir, "pdh.cert", &len);
	assert_int_equal(len, SM_SEV_CERT_LEN);
	memcpy(t->pdh, b, len);
	free(b);
	for (i = 0; i < 3; i++) {
		b = rdf(dir, plat[i], &len);
		assert_int_equal(len, SM_SEV_CERT_LEN);
		memcpy(t->plat + i * SM_SEV_CERT_LEN, b, len);
		free(b);
	}
	b = rdf(dir, "ask.cert", &len);
	memcpy(t->amd, b, len);
	t->amd_len = len;
	free(b);
	b = rdf(dir, "ark.cert", &len);
	memcpy(t->amd + t->amd_len, b, len);
	t->amd_len += len;
	free(b);
}

static void start_args(struct sm_fw_send_start *a, const struct target *t,
		       uint8_t *session)
{
	memset(a, 0, sizeof(*a));
	a->pdh = t->pdh;
	a->pdh_len = SM_SEV_CERT_LEN;
	a->plat_certs = t->plat;
	a->plat_certs_len = SM_SEV_CHAIN_LEN;
	a->amd_certs = t->amd;
	a->amd_certs_len = t->amd_len;
	a->session = session;
	a->session_len = SM_SESSION_LEN;
}

/* SEND_START from fw (guest attached) to the platform in dir. */
static int send_start_to(struct sm_fw *fw, const char *dir,
			 uint8_t session[SM_SESSION_LEN], struct sm_err *e)
{
	struct sm_fw_send_start a;
	struct target t;

	load_target(dir, &t);
	start_args(&a, &t, session);
	return sm_fw_send_start(fw, &a, e);
}

static uint8_t state_of(struct sm_fw *fw)
{
	struct sm_fw_guest_status st;
	struct sm_err e;

	must(sm_fw_guest_status(fw, &st, &e), &e);
	return st.state;
}

static void expect_fw(int rc, struct sm_fw *fw, uint32_t status)
{
	assert_int_equal(rc, -1);
	assert_int_equal(fw->fw_error, status);
	assert_int_equal(fw->sys_errno, EIO);
}

static void expect_einval(int rc, struct sm_fw *fw)
{
	assert_int_equal(rc, -1);
	assert_int_equal(fw->fw_error, 0);
	assert_int_equal(fw->sys_errno, EINVAL);
}

/* Guest RAM as the VMM maps it: NPAGES pages at GPA 0x100000. */
#define GPA0 0x100000ull

static uint8_t *guest_ram(struct sm_fw *fw, unsigned seed)
{
	uint8_t *ram = aligned_alloc(PG, NPAGES * PG), plain[PG];
	struct sm_err e;
	unsigned i, j;

	assert_non_null(ram);
	for (i = 0; i < NPAGES; i++) {
		for (j = 0; j < PG; j++)
			plain[j] = (uint8_t)(seed + i * 31 + j);
		must(sm_fw_sim_guest_write(fw, GPA0 + i * PG, plain,
					   ram + i * PG, &e),
		     &e);
	}
	return ram;
}

static void xfer(struct sm_fw_xfer *x, uint8_t *hdr, void *guest, uint32_t len,
		 uint64_t gpa, uint8_t *trans)
{
	memset(x, 0, sizeof(*x));
	x->hdr = hdr;
	x->hdr_len = SM_PKT_HDR_LEN;
	x->guest = guest;
	x->guest_len = len;
	x->gpa = gpa;
	x->trans = trans;
	x->trans_len = len;
}

static void unhex48(const char *hex, uint8_t out[48])
{
	assert_int_equal(sm_hex_decode(hex, out, 48), 48);
}

/* ---- platform ---- */

static void test_platform_files(void **state)
{
	static const char *const keys[] = { "ark.key", "ask.key", "cek.key",
					    "oca.key", "pek.key", "pdh.key" };
	struct sm_sim_platform_info info;
	struct sm_sim_platform_opts o;
	struct sm_fw_platform_status ps;
	char path[400];
	struct stat st;
	struct sm_fw *fw;
	struct sm_err e;
	size_t i;

	(void)state;
	for (i = 0; i < SM_ARRAY_SIZE(keys); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir_a, keys[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	fw = open_fw(dir_a);
	must(sm_fw_sim_platform_info(fw, &info, &e), &e);
	assert_int_equal(info.product, SM_PRODUCT_MILAN);
	assert_int_equal(info.api_major, 1);
	assert_int_equal(info.api_minor, 55);
	assert_true(info.es);
	must(sm_fw_platform_status(fw, &ps, &e), &e);
	assert_int_equal(ps.api_major, 1);
	assert_int_equal(ps.api_minor, 55);
	assert_int_equal(ps.guest_count, 0);
	sm_fw_close(fw);

	fw = open_fw(dir_d);
	must(sm_fw_sim_platform_info(fw, &info, &e), &e);
	assert_int_equal(info.api_minor, 17);
	assert_false(info.es);
	sm_fw_close(fw);

	/* A directory that is not empty is refused, and left alone. */
	memset(&o, 0, sizeof(o));
	assert_int_equal(sm_fw_sim_platform_init(dir_a, &o, &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
	assert_non_null(strstr(e.msg, "directory is not empty"));
	snprintf(path, sizeof(path), "%s/pdh.key", dir_a);
	assert_int_equal(stat(path, &st), 0);
	/* A shared ARK from a directory without one: nothing left behind. */
	snprintf(path, sizeof(path), "%s/bad", root);
	o.ark_from = root;
	assert_int_equal(sm_fw_sim_platform_init(path, &o, &e), -1);
	assert_int_not_equal(e.code, SM_EXIT_OK);
	assert_int_equal(stat(path, &st), -1);
	o.ark_from = NULL;
	o.ark_bits = 1024;
	assert_int_equal(sm_fw_sim_platform_init(path, &o, &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
	/* Missing platform. */
	assert_int_equal(sm_fw_sim_open(path, &fw, &e), -1);
	assert_non_null(strstr(e.msg, "platform.json"));
}

static void test_pdh_export(void **state)
{
	uint8_t pdh[SM_SEV_CERT_LEN], chain[SM_SEV_CHAIN_LEN];
	struct sm_sev_cert c;
	struct sm_fw *fw;
	struct sm_err e;
	uint8_t *file;
	size_t len;

	(void)state;
	fw = open_fw(dir_a);
	must(sm_fw_pdh_cert_export(fw, pdh, chain, &e), &e);
	file = rdf(dir_a, "pdh.cert", &len);
	assert_memory_equal(pdh, file, SM_SEV_CERT_LEN);
	free(file);
	file = rdf(dir_a, "pek.cert", &len);
	assert_memory_equal(chain, file, SM_SEV_CERT_LEN);
	free(file);
	/* The CEK comes out unsigned, as firmware exports it. */
	must(sm_sev_cert_parse(chain + 2 * SM_SEV_CERT_LEN, SM_SEV_CERT_LEN, &c,
			       &e),
	     &e);
	assert_int_equal(c.usage, SM_USAGE_CEK);
	assert_true(sm_sev_cert_is_unsigned(&c));
	sm_fw_close(fw);
}

/* ---- memory ---- */

static void test_memory_is_ciphertext(void **state)
{
	uint8_t plain[PG], back[PG], c1[PG], c2[PG];
	struct sm_fw *fw, *fw2;
	struct sm_err e;

	(void)state;
	fw = open_fw(dir_a);
	memset(plain, 'A', PG);
	/* No guest yet. */
	assert_int_equal(sm_fw_sim_guest_write(fw, 0, plain, c1, &e), -1);
	must(sm_fw_sim_launch(fw, 0x1, 1, &e), &e);
	must(sm_fw_sim_guest_write(fw, 0x2000, plain, c1, &e), &e);
	assert_memory_not_equal(c1, plain, PG);
	must(sm_fw_sim_guest_write(fw, 0x3000, plain, c2, &e), &e);
	assert_memory_not_equal(c1, c2, PG); /* the GPA is the tweak */
	must(sm_fw_sim_guest_read(fw, 0x2000, c1, back, &e), &e);
	assert_memory_equal(back, plain, PG);
	/* At the wrong address it is garbage. */
	must(sm_fw_sim_guest_read(fw, 0x3000, c1, back, &e), &e);
	assert_memory_not_equal(back, plain, PG);
	assert_int_equal(sm_fw_sim_guest_read(fw, 0x3001, c1, back, &e), -1);

	/* A second process attached to the same context sees the same key. */
	fw2 = open_fw(dir_a);
	must(sm_fw_sim_attach(fw2, sm_fw_sim_context_fd(fw), &e), &e);
	must(sm_fw_sim_guest_read(fw2, 0x2000, c1, back, &e), &e);
	assert_memory_equal(back, plain, PG);
	sm_fw_close(fw2);

	/* Each guest has its own VEK. */
	fw2 = open_fw(dir_a);
	must(sm_fw_sim_launch(fw2, 0x1, 1, &e), &e);
	must(sm_fw_sim_guest_write(fw2, 0x2000, plain, c2, &e), &e);
	assert_memory_not_equal(c1, c2, PG);
	sm_fw_close(fw2);
	sm_fw_close(fw);
}

static void test_attach_rules(void **state)
{
	struct sm_fw *a, *c;
	struct sm_err e;
	int fd;

	(void)state;
	a = open_fw(dir_a);
	c = open_fw(dir_c);
	must(sm_fw_sim_launch(a, 0x1, 1, &e), &e);
	/* A context lives on one chip. */
	assert_int_equal(sm_fw_sim_attach(c, sm_fw_sim_context_fd(a), &e), -1);
	assert_non_null(strstr(e.msg, "another simulated platform"));
	/* Not a context at all. */
	fd = memfd_create("x", 0);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8192), 0);
	assert_int_equal(sm_fw_sim_attach(c, fd, &e), -1);
	assert_non_null(strstr(e.msg, "not a sealed simulated guest context"));
	close(fd);
	/*
	 * A byte-exact copy of a real context, but in a memfd its sender
	 * could shrink under us (SIGBUS mid-command): refused.
	 */
	{
		uint8_t copy[2 * PG];
		struct sm_fw *a2 = open_fw(dir_a);

		assert_int_equal(pread(sm_fw_sim_context_fd(a), copy,
				       sizeof(copy), 0),
				 (ssize_t)sizeof(copy));
		fd = memfd_create("copy", MFD_ALLOW_SEALING);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, copy, sizeof(copy)),
				 (ssize_t)sizeof(copy));
		assert_int_equal(sm_fw_sim_attach(a2, fd, &e), -1);
		assert_non_null(strstr(e.msg, "not a sealed"));
		/* Sealed, the same bytes are accepted. */
		assert_int_equal(
			fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
		must(sm_fw_sim_attach(a2, fd, &e), &e);
		assert_int_equal(ftruncate(sm_fw_sim_context_fd(a), 0), -1);
		sm_fw_close(a2);
		close(fd);
	}
	/* One context at a time. */
	assert_int_equal(sm_fw_sim_launch(a, 0x1, 1, &e), -1);
	/* ES needs a platform with ES. */
	sm_fw_close(c);
	c = open_fw(dir_d);
	assert_int_equal(sm_fw_sim_launch(c, SM_POLICY_ES, 1, &e), -1);
	assert_int_equal(c->fw_error, SM_FW_UNSUPPORTED);
	sm_fw_close(c);
	sm_fw_close(a);
}

/* ---- state machine ---- */

static void test_states_send(void **state)
{
	uint8_t session[SM_SESSION_LEN], hdr[SM_PKT_HDR_LEN], trans[PG];
	struct sm_fw_receive_start rs;
	struct sm_fw_xfer x;
	struct sm_fw *fw;
	struct sm_err e;
	uint8_t *ram;

	(void)state;
	fw = open_fw(dir_a);
	/* No guest: the handle names none. */
	expect_fw(sm_fw_send_finish(fw, &e), fw, SM_FW_INVALID_GUEST);
	must(sm_fw_sim_launch(fw, 0x1, 1, &e), &e);
	ram = guest_ram(fw, 1);
	assert_int_equal(state_of(fw), SM_GUEST_RUNNING);

	/* RUNNING: only SEND_START moves it. */
	xfer(&x, hdr, ram, PG, GPA0, trans);
	expect_fw(sm_fw_send_update_data(fw, &x, &e), fw,
		  SM_FW_INVALID_GUEST_STATE);
	assert_string_equal(e.msg, "SEND_UPDATE_DATA failed: Input/output "
				   "error (firmware: INVALID_GUEST_STATE)");
	assert_int_equal(e.code, SM_EXIT_VM);
	expect_fw(sm_fw_send_finish(fw, &e), fw, SM_FW_INVALID_GUEST_STATE);
	expect_fw(sm_fw_send_cancel(fw, &e), fw, SM_FW_INVALID_GUEST_STATE);
	expect_fw(sm_fw_receive_finish(fw, &e), fw, SM_FW_INVALID_GUEST_STATE);
	expect_fw(sm_fw_receive_update_data(fw, &x, &e), fw,
		  SM_FW_INVALID_GUEST_STATE);
	memset(&rs, 0, sizeof(rs));
	rs.pdh = ram;
	rs.pdh_len = SM_SEV_CERT_LEN;
	rs.session = session;
	rs.session_len = SM_SESSION_LEN;
	expect_fw(sm_fw_receive_start(fw, &rs, &e), fw,
		  SM_FW_INVALID_GUEST_STATE);
	assert_int_equal(state_of(fw), SM_GUEST_RUNNING);

	/* RUNNING -> SUPDATE */
	must(send_start_to(fw, dir_b, session, &e), &e);
	assert_int_equal(state_of(fw), SM_GUEST_SUPDATE);
	expect_fw(send_start_to(fw, dir_b, session, &e), fw,
		  SM_FW_INVALID_GUEST_STATE);
	expect_fw(sm_fw_receive_finish(fw, &e), fw, SM_FW_INVALID_GUEST_STATE);
	expect_fw(sm_fw_receive_update_data(fw, &x, &e), fw,
		  SM_FW_INVALID_GUEST_STATE);
	must(sm_fw_send_update_data(fw, &x, &e), &e);
	assert_int_equal(state_of(fw), SM_GUEST_SUPDATE);

	/* SUPDATE -> RUNNING by SEND_CANCEL, and a new SEND_START works. */
	must(sm_fw_send_cancel(fw, &e), &e);
	assert_int_equal(state_of(fw), SM_GUEST_RUNNING);
	expect_fw(sm_fw_send_update_data(fw, &x, &e), fw,
		  SM_FW_INVALID_GUEST_STATE);
	must(send_start_to(fw, dir_b, session, &e), &e);

	/* SUPDATE -> SENT; nothing more is allowed. */
	must(sm_fw_send_finish(fw, &e), &e);
	assert_int_equal(state_of(fw), SM_GUEST_SENT);
	expect_fw(send_start_to(fw, dir_b, session, &e), fw,
		  SM_FW_INVALID_GUEST_STATE);
	expect_fw(sm_fw_send_update_data(fw, &x, &e), fw,
		  SM_FW_INVALID_GUEST_STATE);
	expect_fw(sm_fw_send_cancel(fw, &e), fw, SM_FW_INVALID_GUEST_STATE);
	expect_fw(sm_fw_send_finish(fw, &e), fw, SM_FW_INVALID_GUEST_STATE);
	expect_fw(sm_fw_receive_finish(fw, &e), fw, SM_FW_INVALID_GUEST_STATE);
	free(ram);
	sm_fw_close(fw);
}

/* Send every page of a guest on a to a new context on dst. */
struct migration {
	uint8_t session[SM_SESSION_LEN];
	uint8_t src_pdh[SM_SEV_CERT_LEN];
	uint8_t hdr[NPAGES][SM_PKT_HDR_LEN];
	uint8_t trans[NPAGES][PG];
	uint32_t policy;
};

static void send_all(const char *src, const char *dst, uint32_t policy,
		     struct migration *m, uint8_t plain[NPAGES][PG])
{
	uint8_t chain[SM_SEV_CHAIN_LEN];
	struct sm_fw_xfer x;
	struct sm_fw *fw;
	struct sm_err e;
	uint8_t *ram;
	unsigned i;

	fw = open_fw(src);
	must(sm_fw_sim_launch(fw, policy, 1, &e), &e);
	ram = guest_ram(fw, 7);
	for (i = 0; i < NPAGES; i++)
		must(sm_fw_sim_guest_read(fw, GPA0 + i * PG, ram + i * PG,
					  plain[i], &e),
		     &e);
	must(sm_fw_pdh_cert_export(fw, m->src_pdh, chain, &e), &e);
	must(send_start_to(fw, dst, m->session, &e), &e);
	for (i = 0; i < NPAGES; i++) {
		xfer(&x, m->hdr[i], ram + i * PG, PG, GPA0 + i * PG,
		     m->trans[i]);
		must(sm_fw_send_update_data(fw, &x, &e), &e);
		assert_int_equal(x.hdr_len, SM_PKT_HDR_LEN);
		assert_int_equal(x.trans_len, PG);
		/* Transport ciphertext is neither plaintext nor memory. */
		assert_memory_not_equal(m->trans[i], plain[i], PG);
		assert_memory_not_equal(m->trans[i], ram + i * PG, PG);
	}
	must(sm_fw_send_finish(fw, &e), &e);
	m->policy = policy;
	free(ram);
	sm_fw_close(fw);
}

static struct sm_fw *receive_start(const char *dst, struct migration *m,
				   struct sm_err *e, int *rc)
{
	struct sm_fw_receive_start rs;
	struct sm_fw *fw = open_fw(dst);

	memset(&rs, 0, sizeof(rs));
	rs.policy = m->policy;
	rs.pdh = m->src_pdh;
	rs.pdh_len = SM_SEV_CERT_LEN;
	rs.session = m->session;
	rs.session_len = SM_SESSION_LEN;
	*rc = sm_fw_receive_start(fw, &rs, e);
	if (*rc == 0)
		assert_int_not_equal(rs.handle, 0);
	return fw;
}

static void test_migrate_and_states_receive(void **state)
{
	uint8_t plain[NPAGES][PG], back[PG], session[SM_SESSION_LEN];
	static struct migration m;
	struct sm_fw_xfer x;
	struct sm_fw *fw;
	struct sm_err e;
	uint8_t *ram;
	unsigned i;
	int rc;

	(void)state;
	send_all(dir_a, dir_b, 0x1, &m, plain);
	fw = receive_start(dir_b, &m, &e, &rc);
	must(rc, &e);
	assert_int_equal(state_of(fw), SM_GUEST_RUPDATE);
	/* RUPDATE refuses SEND_* and RECEIVE_START. */
	expect_fw(send_start_to(fw, dir_a, session, &e), fw,
		  SM_FW_INVALID_GUEST_STATE);
	expect_fw(sm_fw_send_finish(fw, &e), fw, SM_FW_INVALID_GUEST_STATE);
	expect_fw(sm_fw_send_cancel(fw, &e), fw, SM_FW_INVALID_GUEST_STATE);
	ram = aligned_alloc(PG, NPAGES * PG);
	assert_non_null(ram);
	memset(ram, 0, NPAGES * PG);
	xfer(&x, m.hdr[0], ram, PG, GPA0, m.trans[0]);
	expect_fw(sm_fw_send_update_data(fw, &x, &e), fw,
		  SM_FW_INVALID_GUEST_STATE);
	/* Pages in another order than sent are fine (no sequence). */
	for (i = NPAGES; i-- > 0;) {
		xfer(&x, m.hdr[i], ram + i * PG, PG, GPA0 + i * PG, m.trans[i]);
		must(sm_fw_receive_update_data(fw, &x, &e), &e);
	}
	assert_int_equal(state_of(fw), SM_GUEST_RUPDATE);
	must(sm_fw_receive_finish(fw, &e), &e);
	assert_int_equal(state_of(fw), SM_GUEST_RUNNING);
	expect_fw(sm_fw_receive_update_data(fw, &x, &e), fw,
		  SM_FW_INVALID_GUEST_STATE);
	expect_fw(sm_fw_receive_finish(fw, &e), fw, SM_FW_INVALID_GUEST_STATE);
	for (i = 0; i < NPAGES; i++) {
		/* Memory holds ciphertext under b's new VEK. */
		assert_memory_not_equal(ram + i * PG, plain[i], PG);
		must(sm_fw_sim_guest_read(fw, GPA0 + i * PG, ram + i * PG, back,
					  &e),
		     &e);
		assert_memory_equal(back, plain[i], PG);
	}
	/* The running guest can be sent on. */
	must(send_start_to(fw, dir_a, session, &e), &e);
	free(ram);
	sm_fw_close(fw);
}

/*
 * The whole state machine: every guest command in every state.  Allowed
 * ones are skipped; every other one is refused with INVALID_GUEST_STATE
 * (INVALID_GUEST where the handle names no guest, UNINIT) and changes
 * nothing.  An ES guest, so that the VMSA variants reach the state check.
 */
enum {
	C_SEND_START,
	C_SEND_DATA,
	C_SEND_VMSA,
	C_SEND_FINISH,
	C_SEND_CANCEL,
	C_RECV_START,
	C_RECV_DATA,
	C_RECV_VMSA,
	C_RECV_FINISH,
	C_N
};

static int run_cmd(struct sm_fw *fw, int cmd, struct migration *m,
		   uint8_t *page, struct sm_err *e)
{
	uint8_t session[SM_SESSION_LEN], hdr[SM_PKT_HDR_LEN];
	static uint8_t trans[PG];
	struct sm_fw_receive_start rs;
	struct sm_fw_xfer x;

	xfer(&x, m->hdr[0], page, PG, GPA0, m->trans[0]);
	switch (cmd) {
	case C_SEND_START:
		return send_start_to(fw, dir_b, session, e);
	case C_SEND_DATA:
		xfer(&x, hdr, page, PG, GPA0, trans);
		return sm_fw_send_update_data(fw, &x, e);
	case C_SEND_VMSA:
		xfer(&x, hdr, NULL, PG, 0, trans);
		return sm_fw_send_update_vmsa(fw, &x, e);
	case C_SEND_FINISH:
		return sm_fw_send_finish(fw, e);
	case C_SEND_CANCEL:
		return sm_fw_send_cancel(fw, e);
	case C_RECV_START:
		/* (fw-sim holds one context per fw: a live one refuses) */
		memset(&rs, 0, sizeof(rs));
		rs.policy = m->policy;
		rs.pdh = m->src_pdh;
		rs.pdh_len = SM_SEV_CERT_LEN;
		rs.session = m->session;
		rs.session_len = SM_SESSION_LEN;
		return sm_fw_receive_start(fw, &rs, e);
	case C_RECV_DATA:
		return sm_fw_receive_update_data(fw, &x, e);
	case C_RECV_VMSA:
		xfer(&x, m->hdr[0], NULL, PG, 0, m->trans[0]);
		return sm_fw_receive_update_vmsa(fw, &x, e);
	default:
		return sm_fw_receive_finish(fw, e);
	}
}

/* A fw whose context is in state st (UNINIT: decommissioned). */
static struct sm_fw *in_state(int st, struct migration *m)
{
	uint8_t session[SM_SESSION_LEN];
	struct sm_fw *fw;
	struct sm_err e;
	int rc;

	if (st == SM_GUEST_RUPDATE || st == SM_GUEST_UNINIT) {
		fw = receive_start(dir_b, m, &e, &rc);
		must(rc, &e);
		if (st == SM_GUEST_UNINIT)
			must(sm_fw_sim_decommission(fw, &e), &e);
		return fw;
	}
	fw = open_fw(dir_a);
	must(sm_fw_sim_launch(fw, SM_POLICY_ES, 1, &e), &e);
	if (st != SM_GUEST_RUNNING)
		must(send_start_to(fw, dir_b, session, &e), &e);
	if (st == SM_GUEST_SENT)
		must(sm_fw_send_finish(fw, &e), &e);
	return fw;
}

static void test_state_matrix(void **state)
{
	static const int states[] = { SM_GUEST_RUNNING, SM_GUEST_SUPDATE,
				      SM_GUEST_SENT, SM_GUEST_RUPDATE,
				      SM_GUEST_UNINIT };
	static const unsigned allowed[] = {
		[SM_GUEST_RUNNING] = 1u << C_SEND_START,
		[SM_GUEST_SUPDATE] = 1u << C_SEND_DATA | 1u << C_SEND_VMSA |
				     1u << C_SEND_FINISH | 1u << C_SEND_CANCEL,
		[SM_GUEST_SENT] = 0,
		[SM_GUEST_RUPDATE] = 1u << C_RECV_DATA | 1u << C_RECV_VMSA |
				     1u << C_RECV_FINISH,
		[SM_GUEST_UNINIT] = 1u << C_RECV_START,
	};
	uint8_t plain[NPAGES][PG], *page;
	static struct migration m;
	struct sm_fw_guest_status gs;
	struct sm_fw *fw;
	struct sm_err e;
	size_t i;
	int cmd, checked = 0;

	(void)state;
	send_all(dir_a, dir_b, SM_POLICY_ES, &m, plain);
	page = aligned_alloc(PG, PG);
	assert_non_null(page);
	memset(page, 0, PG);
	for (i = 0; i < SM_ARRAY_SIZE(states); i++) {
		int st = states[i];

		fw = in_state(st, &m);
		for (cmd = 0; cmd < C_N; cmd++) {
			if (allowed[st] & (1u << cmd))
				continue;
			if (run_cmd(fw, cmd, &m, page, &e) == 0)
				fail_msg("command %d succeeded in state %s",
					 cmd, sm_guest_state_name(st));
			if (fw->fw_error != (st == SM_GUEST_UNINIT ?
						     SM_FW_INVALID_GUEST :
						     SM_FW_INVALID_GUEST_STATE))
				fail_msg("command %d in state %s: %s", cmd,
					 sm_guest_state_name(st), e.msg);
			if (st == SM_GUEST_UNINIT) {
				assert_int_equal(
					sm_fw_guest_status(fw, &gs, &e), -1);
			} else {
				must(sm_fw_guest_status(fw, &gs, &e), &e);
				assert_int_equal(gs.state, st);
			}
			checked++;
		}
		sm_fw_close(fw);
	}
	assert_int_equal(checked, 8 + 5 + 9 + 6 + 8);
	free(page);
}

/* ---- policy ---- */

static void test_policy_nosend(void **state)
{
	uint8_t session[SM_SESSION_LEN];
	struct sm_fw *fw;
	struct sm_err e;

	(void)state;
	fw = open_fw(dir_a);
	must(sm_fw_sim_launch(fw, SM_POLICY_NOSEND, 1, &e), &e);
	expect_fw(send_start_to(fw, dir_b, session, &e), fw,
		  SM_FW_POLICY_FAILURE);
	assert_string_equal(e.msg, "SEND_START failed: Input/output error "
				   "(firmware: POLICY_FAILURE)");
	assert_int_equal(state_of(fw), SM_GUEST_RUNNING);
	sm_fw_close(fw);
}

static int try_send(const char *src, uint32_t policy, const char *dst,
		    struct target *override, struct sm_fw **out)
{
	uint8_t session[SM_SESSION_LEN];
	struct sm_fw_send_start a;
	struct target t;
	struct sm_fw *fw;
	struct sm_err e;
	int rc;

	fw = open_fw(src);
	must(sm_fw_sim_launch(fw, policy, 1, &e), &e);
	if (override)
		t = *override;
	else
		load_target(dst, &t);
	start_args(&a, &t, session);
	rc = sm_fw_send_start(fw, &a, &e);
	if (rc == 0) {
		assert_int_equal(a.policy, policy);
		assert_int_equal(state_of(fw), SM_GUEST_SUPDATE);
	} else {
		uint32_t status = fw->fw_error;
		int err = fw->sys_errno;

		/* A refused SEND_START leaves the guest running. */
		assert_int_equal(state_of(fw), SM_GUEST_RUNNING);
		fw->fw_error = status;
		fw->sys_errno = err;
	}
	*out = fw;
	return rc;
}

/* try_send, expecting the firmware to refuse with status. */
static void expect_send(const char *src, uint32_t policy, const char *dst,
			struct target *override, uint32_t status)
{
	struct sm_fw *fw;
	int rc = try_send(src, policy, dst, override, &fw);

	expect_fw(rc, fw, status);
	sm_fw_close(fw);
}

#define API(maj, min) ((uint32_t)(maj) << 16 | (uint32_t)(min) << 24)

static void test_policy_sev(void **state)
{
	struct target t;
	struct sm_fw *fw;

	(void)state;
	/* b shares a's ARK: the whole chain verifies. */
	assert_int_equal(try_send(dir_a, SM_POLICY_SEV, dir_b, NULL, &fw), 0);
	sm_fw_close(fw);
	/* c's ARK is not the one a trusts. */
	expect_send(dir_a, SM_POLICY_SEV, dir_c, NULL,
		    SM_FW_INVALID_CERTIFICATE);
	/* Receiver API (b's PEK: 1.55) against the policy minimum. */
	assert_int_equal(try_send(dir_a, SM_POLICY_SEV | API(1, 55), dir_b,
				  NULL, &fw),
			 0);
	sm_fw_close(fw);
	expect_send(dir_a, SM_POLICY_SEV | API(1, 56), dir_b, NULL,
		    SM_FW_POLICY_FAILURE);
	expect_send(dir_a, SM_POLICY_SEV | API(2, 0), dir_b, NULL,
		    SM_FW_POLICY_FAILURE);
	expect_send(dir_a, SM_POLICY_SEV | API(0, 18), dir_d, NULL,
		    SM_FW_POLICY_FAILURE);
	assert_int_equal(try_send(dir_a, SM_POLICY_SEV | API(0, 17), dir_d,
				  NULL, &fw),
			 0);
	sm_fw_close(fw);
	/* Without the SEV bit the API minimum is not checked. */
	assert_int_equal(try_send(dir_a, API(9, 9), dir_b, NULL, &fw), 0);
	sm_fw_close(fw);

	/*
	 * The version compared is the receiver's PEK's, nothing else's: a
	 * PEK re-issued (validly, by the OCA and CEK) for another API than
	 * its PDH and the platform.
	 */
	{
		static const uint8_t ver[2][2] = { { 2, 0 }, { 0, 17 } };
		struct sm_key *oca_key = NULL, *cek_key = NULL;
		struct sm_sev_cert pek;
		struct sm_err e;
		char path[400];
		int i;

		snprintf(path, sizeof(path), "%s/oca.key", dir_a);
		must(sm_key_load_pem(path, &oca_key, &e), &e);
		snprintf(path, sizeof(path), "%s/cek.key", dir_b);
		must(sm_key_load_pem(path, &cek_key, &e), &e);
		for (i = 0; i < 2; i++) {
			load_target(dir_b, &t);
			t.plat[0x04] = ver[i][0];
			t.plat[0x05] = ver[i][1];
			must(sm_sev_cert_parse(t.plat, SM_SEV_CERT_LEN, &pek,
					       &e),
			     &e);
			must(sm_sev_cert_sign(&pek, 0, oca_key, SM_USAGE_OCA,
					      &e),
			     &e);
			must(sm_sev_cert_sign(&pek, 1, cek_key, SM_USAGE_CEK,
					      &e),
			     &e);
			memcpy(t.plat, pek.raw, SM_SEV_CERT_LEN);
			if (i == 0) {
				/* PEK 2.0, PDH and platform 1.55 */
				assert_int_equal(try_send(dir_a,
							  SM_POLICY_SEV |
								  API(1, 60),
							  NULL, &t, &fw),
						 0);
				sm_fw_close(fw);
			} else {
				/* PEK 0.17, PDH and platform 1.55 */
				expect_send(dir_a, SM_POLICY_SEV | API(1, 0),
					    NULL, &t, SM_FW_POLICY_FAILURE);
			}
		}
		sm_key_free(oca_key);
		sm_key_free(cek_key);
	}
	/* A flipped bit in the PEK's body breaks PEK<-CEK and PDH<-PEK. */
	load_target(dir_b, &t);
	t.plat[0x20] ^= 1;
	expect_send(dir_a, SM_POLICY_SEV, NULL, &t, SM_FW_INVALID_CERTIFICATE);
	/* b's PDH with c's chain. */
	load_target(dir_c, &t);
	{
		struct target tb;

		load_target(dir_b, &tb);
		memcpy(t.pdh, tb.pdh, SM_SEV_CERT_LEN);
		memcpy(t.amd, tb.amd, tb.amd_len);
		t.amd_len = tb.amd_len;
	}
	expect_send(dir_a, SM_POLICY_SEV, NULL, &t, SM_FW_INVALID_CERTIFICATE);
	/* ASK and ARK swapped. */
	load_target(dir_b, &t);
	{
		uint8_t tmp[2 * SM_AMD_CERT_MAX];
		size_t half = t.amd_len / 2;

		memcpy(tmp, t.amd + half, half);
		memcpy(tmp + half, t.amd, half);
		memcpy(t.amd, tmp, t.amd_len);
	}
	expect_send(dir_a, SM_POLICY_SEV, NULL, &t, SM_FW_INVALID_CERTIFICATE);
	/* A chain that is too short. */
	load_target(dir_b, &t);
	{
		uint8_t session[SM_SESSION_LEN];
		struct sm_fw_send_start a;
		struct sm_err e;

		fw = open_fw(dir_a);
		must(sm_fw_sim_launch(fw, SM_POLICY_SEV, 1, &e), &e);
		start_args(&a, &t, session);
		a.plat_certs_len = 2 * SM_SEV_CERT_LEN;
		expect_fw(sm_fw_send_start(fw, &a, &e), fw,
			  SM_FW_INVALID_LENGTH);
		sm_fw_close(fw);
	}
}

static void test_policy_domain(void **state)
{
	struct target t;
	struct sm_fw *fw;

	(void)state;
	/* b has a's OCA: one owner. */
	assert_int_equal(try_send(dir_a, SM_POLICY_DOMAIN, dir_b, NULL, &fw),
			 0);
	sm_fw_close(fw);
	/* d shares the AMD root but has its own owner. */
	expect_send(dir_a, SM_POLICY_DOMAIN, dir_d, NULL,
		    SM_FW_INVALID_CERTIFICATE);
	/* ...which the SEV bit alone accepts. */
	assert_int_equal(try_send(dir_a, SM_POLICY_SEV, dir_d, NULL, &fw), 0);
	sm_fw_close(fw);
	expect_send(dir_a, SM_POLICY_DOMAIN, dir_c, NULL,
		    SM_FW_INVALID_CERTIFICATE);
	expect_send(dir_a, SM_POLICY_DOMAIN | SM_POLICY_SEV, dir_d, NULL,
		    SM_FW_INVALID_CERTIFICATE);
	assert_int_equal(try_send(dir_a, SM_POLICY_DOMAIN | SM_POLICY_SEV,
				  dir_b, NULL, &fw),
			 0);
	sm_fw_close(fw);
	/*
	 * The same owner key in a re-issued OCA (other bytes, every
	 * signature valid): DOMAIN wants the OCA byte-identical, not just
	 * the same key.
	 */
	{
		struct sm_sev_cert oca2, pek2;
		struct sm_key *oca_key = NULL;
		struct sm_err e;
		char path[400];

		load_target(dir_b, &t);
		snprintf(path, sizeof(path), "%s/oca.key", dir_a);
		must(sm_key_load_pem(path, &oca_key, &e), &e);
		must(sm_sev_cert_init(&oca2, oca_key, SM_USAGE_OCA,
				      SM_ALGO_ECDSA_SHA256, 0, 24, &e),
		     &e);
		must(sm_sev_cert_sign(&oca2, 0, oca_key, SM_USAGE_OCA, &e), &e);
		must(sm_sev_cert_parse(t.plat, SM_SEV_CERT_LEN, &pek2, &e), &e);
		must(sm_sev_cert_sign(&pek2, 0, oca_key, SM_USAGE_OCA, &e), &e);
		must(sm_sev_cert_verify(&oca2, &pek2, &e), &e);
		memcpy(t.plat, pek2.raw, SM_SEV_CERT_LEN);
		memcpy(t.plat + SM_SEV_CERT_LEN, oca2.raw, SM_SEV_CERT_LEN);
		expect_send(dir_a, SM_POLICY_DOMAIN, NULL, &t,
			    SM_FW_INVALID_CERTIFICATE);
		/* The original OCA with that PEK still passes. */
		load_target(dir_b, &t);
		memcpy(t.plat, pek2.raw, SM_SEV_CERT_LEN);
		assert_int_equal(
			try_send(dir_a, SM_POLICY_DOMAIN, NULL, &t, &fw), 0);
		sm_fw_close(fw);
		sm_key_free(oca_key);
	}
	/* A's own OCA, but a PEK it did not sign. */
	load_target(dir_d, &t);
	{
		struct target tb;

		load_target(dir_b, &tb);
		memcpy(t.plat + SM_SEV_CERT_LEN, tb.plat + SM_SEV_CERT_LEN,
		       SM_SEV_CERT_LEN);
	}
	expect_send(dir_a, SM_POLICY_DOMAIN, NULL, &t,
		    SM_FW_INVALID_CERTIFICATE);
}

static void test_policy_none(void **state)
{
	struct target t;
	struct sm_fw *fw;

	(void)state;
	/* Without bits 3-5 any sane PDH will do: c is a stranger. */
	assert_int_equal(try_send(dir_a, 0x7, dir_c, NULL, &fw), 0);
	sm_fw_close(fw);
	/* The chain buffers are not even read (but must be non-empty). */
	load_target(dir_c, &t);
	memset(t.plat, 0xee, sizeof(t.plat));
	memset(t.amd, 0xee, sizeof(t.amd));
	assert_int_equal(try_send(dir_a, 0x1, NULL, &t, &fw), 0);
	sm_fw_close(fw);
	/* The PDH itself must be sane: a PEK is not a PDH. */
	load_target(dir_c, &t);
	memcpy(t.pdh, t.plat, SM_SEV_CERT_LEN);
	expect_send(dir_a, 0x1, NULL, &t, SM_FW_INVALID_CERTIFICATE);
	/* A point off the curve. */
	load_target(dir_c, &t);
	t.pdh[0x14] ^= 1;
	expect_send(dir_a, 0x1, NULL, &t, SM_FW_INVALID_CERTIFICATE);
}

/* ---- lengths and limits ---- */

static void test_send_start_lengths(void **state)
{
	uint8_t session[SM_SESSION_LEN];
	struct sm_fw_send_start a;
	struct target t;
	struct sm_fw *fw;
	struct sm_err e;

	(void)state;
	fw = open_fw(dir_a);
	must(sm_fw_sim_launch(fw, 0x1, 1, &e), &e);
	load_target(dir_b, &t);
	/* The KVM length query: session_len 0, nothing else needed. */
	memset(&a, 0, sizeof(a));
	expect_fw(sm_fw_send_start(fw, &a, &e), fw, SM_FW_INVALID_LENGTH);
	assert_int_equal(a.session_len, SM_SESSION_LEN);
	assert_int_equal(state_of(fw), SM_GUEST_RUNNING);
	/* A wrong length is answered the same way. */
	start_args(&a, &t, session);
	a.session_len = 0x40;
	expect_fw(sm_fw_send_start(fw, &a, &e), fw, SM_FW_INVALID_LENGTH);
	assert_int_equal(a.session_len, SM_SESSION_LEN);
	/* KVM wants non-empty certificate buffers even when unused. */
	start_args(&a, &t, session);
	a.plat_certs = NULL;
	expect_einval(sm_fw_send_start(fw, &a, &e), fw);
	assert_string_equal(e.msg, "SEND_START failed: Invalid argument");
	start_args(&a, &t, session);
	a.amd_certs_len = 0;
	expect_einval(sm_fw_send_start(fw, &a, &e), fw);
	start_args(&a, &t, session);
	a.pdh_len = 0x800;
	expect_fw(sm_fw_send_start(fw, &a, &e), fw, SM_FW_INVALID_LENGTH);
	assert_int_equal(state_of(fw), SM_GUEST_RUNNING);
	start_args(&a, &t, session);
	must(sm_fw_send_start(fw, &a, &e), &e);
	sm_fw_close(fw);
}

static void test_update_limits(void **state)
{
	uint8_t session[SM_SESSION_LEN], hdr[SM_PKT_HDR_LEN], trans[2 * PG];
	struct sm_fw_xfer x;
	struct sm_fw *fw;
	struct sm_err e;
	uint8_t *ram;

	(void)state;
	fw = open_fw(dir_a);
	must(sm_fw_sim_launch(fw, 0x1, 1, &e), &e);
	ram = guest_ram(fw, 3);
	must(send_start_to(fw, dir_b, session, &e), &e);

	/* The header length query. */
	xfer(&x, hdr, ram, PG, GPA0, trans);
	x.hdr_len = 0;
	expect_fw(sm_fw_send_update_data(fw, &x, &e), fw, SM_FW_INVALID_LENGTH);
	assert_int_equal(x.hdr_len, SM_PKT_HDR_LEN);
	xfer(&x, hdr, ram, PG, GPA0, trans);
	x.hdr_len = 0x20;
	expect_fw(sm_fw_send_update_data(fw, &x, &e), fw, SM_FW_INVALID_LENGTH);
	assert_int_equal(x.hdr_len, SM_PKT_HDR_LEN);
	/* One call never crosses a 4 KiB page (KVM). */
	xfer(&x, hdr, ram, 2 * PG, GPA0, trans);
	expect_einval(sm_fw_send_update_data(fw, &x, &e), fw);
	xfer(&x, hdr, ram + 16, PG, GPA0 + 16, trans);
	expect_einval(sm_fw_send_update_data(fw, &x, &e), fw);
	xfer(&x, hdr, ram, 0, GPA0, trans);
	x.trans_len = PG;
	expect_einval(sm_fw_send_update_data(fw, &x, &e), fw);
	/* Length a multiple of 16. */
	xfer(&x, hdr, ram, 17, GPA0, trans);
	expect_fw(sm_fw_send_update_data(fw, &x, &e), fw, SM_FW_INVALID_LENGTH);
	/* TRANS_LEN >= GUEST_LEN */
	xfer(&x, hdr, ram, PG, GPA0, trans);
	x.trans_len = PG - 16;
	expect_fw(sm_fw_send_update_data(fw, &x, &e), fw, SM_FW_INVALID_LENGTH);
	/* 16-byte aligned address. */
	xfer(&x, hdr, ram + 8, 32, GPA0 + 8, trans);
	expect_fw(sm_fw_send_update_data(fw, &x, &e), fw,
		  SM_FW_INVALID_ADDRESS);
	/* A part of a page is fine. */
	xfer(&x, hdr, ram + 512, 256, GPA0 + 512, trans);
	must(sm_fw_send_update_data(fw, &x, &e), &e);
	assert_int_equal(x.trans_len, 256);
	/* No VMSA without ES. */
	xfer(&x, hdr, ram, PG, 0, trans);
	expect_fw(sm_fw_send_update_vmsa(fw, &x, &e), fw, SM_FW_UNSUPPORTED);
	assert_int_equal(state_of(fw), SM_GUEST_SUPDATE);
	free(ram);
	sm_fw_close(fw);
}

/*
 * Every packet gets a fresh random IV (the firmware draws one from its
 * TRNG per SEND_UPDATE_DATA), also across refills of fw-sim's IV pool:
 * the same page sent again never repeats an IV or a keystream.
 */
#define NIV 600
static int cmp_iv(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static void test_fresh_iv_per_packet(void **state)
{
	static uint8_t ivs[NIV][16], first[PG];
	uint8_t session[SM_SESSION_LEN], hdr[SM_PKT_HDR_LEN], trans[PG];
	struct sm_fw_xfer x;
	struct sm_fw *fw;
	struct sm_err e;
	uint8_t *ram;
	unsigned i;

	(void)state;
	fw = open_fw(dir_a);
	must(sm_fw_sim_launch(fw, 0x1, 1, &e), &e);
	ram = guest_ram(fw, 9);
	must(send_start_to(fw, dir_b, session, &e), &e);
	for (i = 0; i < NIV; i++) {
		xfer(&x, hdr, ram, PG, GPA0, trans);
		must(sm_fw_send_update_data(fw, &x, &e), &e);
		memcpy(ivs[i], hdr + 4, 16);
		if (i == 0)
			memcpy(first, trans, PG);
		else
			assert_memory_not_equal(trans, first, PG);
	}
	/* A cancelled and restarted send draws new IVs too. */
	must(sm_fw_send_cancel(fw, &e), &e);
	must(send_start_to(fw, dir_b, session, &e), &e);
	xfer(&x, hdr, ram, PG, GPA0, trans);
	must(sm_fw_send_update_data(fw, &x, &e), &e);
	qsort(ivs, NIV, 16, cmp_iv);
	for (i = 1; i < NIV; i++)
		assert_memory_not_equal(ivs[i - 1], ivs[i], 16);
	for (i = 0; i < NIV; i++)
		assert_memory_not_equal(ivs[i], hdr + 4, 16);
	free(ram);
	sm_fw_close(fw);
}

/*
 * A child forked while a send is open must not reuse the parent's pooled
 * IVs: the same key with the same IV in CTR mode leaks the XOR of two
 * pages.
 */
static void test_fork_draws_fresh_ivs(void **state)
{
	uint8_t session[SM_SESSION_LEN], hdr[SM_PKT_HDR_LEN], trans[PG];
	uint8_t child_iv[16];
	struct sm_fw_xfer x;
	struct sm_fw *fw;
	struct sm_err e;
	uint8_t *ram;
	int p[2], status;
	pid_t pid;

	(void)state;
	fw = open_fw(dir_a);
	must(sm_fw_sim_launch(fw, 0x1, 1, &e), &e);
	ram = guest_ram(fw, 11);
	must(send_start_to(fw, dir_b, session, &e), &e);
	/* one packet, so the pool is drawn and mostly unused */
	xfer(&x, hdr, ram, PG, GPA0, trans);
	must(sm_fw_send_update_data(fw, &x, &e), &e);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		xfer(&x, hdr, ram, PG, GPA0, trans);
		if (sm_fw_send_update_data(fw, &x, &e) ||
		    write(p[1], hdr + 4, 16) != 16)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], child_iv, 16), 16);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	xfer(&x, hdr, ram, PG, GPA0, trans);
	must(sm_fw_send_update_data(fw, &x, &e), &e);
	assert_memory_not_equal(child_iv, hdr + 4, 16);
	free(ram);
	sm_fw_close(fw);
}

/* A partial page moves alone; the rest of the target page is kept. */
static void test_partial_page(void **state)
{
	uint8_t plain[NPAGES][PG], back[PG], before[PG];
	static struct migration m;
	struct sm_fw_xfer x;
	struct sm_fw *src, *dst;
	struct sm_err e;
	uint8_t *ram, *ram2, hdr[SM_PKT_HDR_LEN], trans[256];
	int rc;

	(void)state;
	/* Source: send only bytes 512..767 of page 1. */
	src = open_fw(dir_a);
	must(sm_fw_sim_launch(src, 0x1, 1, &e), &e);
	ram = guest_ram(src, 5);
	must(sm_fw_sim_guest_read(src, GPA0 + PG, ram + PG, plain[1], &e), &e);
	{
		uint8_t chain[SM_SEV_CHAIN_LEN];

		must(sm_fw_pdh_cert_export(src, m.src_pdh, chain, &e), &e);
	}
	must(send_start_to(src, dir_b, m.session, &e), &e);
	xfer(&x, hdr, ram + PG + 512, 256, GPA0 + PG + 512, trans);
	must(sm_fw_send_update_data(src, &x, &e), &e);
	m.policy = 0x1;
	sm_fw_close(src);

	dst = receive_start(dir_b, &m, &e, &rc);
	must(rc, &e);
	ram2 = aligned_alloc(PG, PG);
	assert_non_null(ram2);
	memset(before, 0x77, PG);
	must(sm_fw_sim_guest_write(dst, GPA0 + PG, before, ram2, &e), &e);
	xfer(&x, hdr, ram2 + 512, 256, GPA0 + PG + 512, trans);
	must(sm_fw_receive_update_data(dst, &x, &e), &e);
	must(sm_fw_sim_guest_read(dst, GPA0 + PG, ram2, back, &e), &e);
	assert_memory_equal(back, before, 512);
	assert_memory_equal(back + 512, plain[1] + 512, 256);
	assert_memory_equal(back + 768, before + 768, PG - 768);
	free(ram);
	free(ram2);
	sm_fw_close(dst);
}

static void test_receive_start_checks(void **state)
{
	uint8_t plain[NPAGES][PG];
	static struct migration m;
	struct sm_fw_receive_start rs;
	struct sm_fw *fw;
	struct sm_err e;
	int rc;

	(void)state;
	send_all(dir_a, dir_b, 0x1, &m, plain);

	/* Another policy than the one sealed: POLICY_MAC. */
	m.policy = 0x3;
	fw = receive_start(dir_b, &m, &e, &rc);
	expect_fw(rc, fw, SM_FW_BAD_MEASUREMENT);
	assert_string_equal(e.msg, "RECEIVE_START failed: Input/output error "
				   "(firmware: BAD_MEASUREMENT)");
	expect_fw(sm_fw_receive_finish(fw, &e), fw, SM_FW_INVALID_GUEST);
	sm_fw_close(fw);
	m.policy = 0x1;
	/* A flipped WRAP_TK byte: WRAP_MAC. */
	m.session[0x10] ^= 1;
	fw = receive_start(dir_b, &m, &e, &rc);
	expect_fw(rc, fw, SM_FW_BAD_MEASUREMENT);
	sm_fw_close(fw);
	m.session[0x10] ^= 1;
	/* The blob was made for b, not for c. */
	fw = receive_start(dir_c, &m, &e, &rc);
	expect_fw(rc, fw, SM_FW_BAD_MEASUREMENT);
	sm_fw_close(fw);
	/* Not a PDH. */
	m.src_pdh[8] ^= 1;
	fw = receive_start(dir_b, &m, &e, &rc);
	expect_fw(rc, fw, SM_FW_INVALID_CERTIFICATE);
	sm_fw_close(fw);
	m.src_pdh[8] ^= 1;

	fw = open_fw(dir_b);
	memset(&rs, 0, sizeof(rs));
	rs.policy = 0x1;
	rs.pdh = m.src_pdh;
	rs.pdh_len = SM_SEV_CERT_LEN;
	rs.session = m.session;
	rs.session_len = SM_SESSION_LEN - 16;
	expect_fw(sm_fw_receive_start(fw, &rs, &e), fw, SM_FW_INVALID_LENGTH);
	rs.session_len = 0;
	expect_einval(sm_fw_receive_start(fw, &rs, &e), fw);
	rs.session_len = SM_SESSION_LEN;
	/* Key sharing: not with another guest's handle. */
	rs.handle = 42;
	expect_fw(sm_fw_receive_start(fw, &rs, &e), fw, SM_FW_INVALID_GUEST);
	rs.handle = 0;
	must(sm_fw_receive_start(fw, &rs, &e), &e);
	sm_fw_close(fw);

	/* NOKS: no key sharing at all. */
	send_all(dir_a, dir_b, SM_POLICY_NOKS, &m, plain);
	fw = open_fw(dir_b);
	rs.policy = SM_POLICY_NOKS;
	rs.session = m.session;
	rs.pdh = m.src_pdh;
	rs.handle = 42;
	expect_fw(sm_fw_receive_start(fw, &rs, &e), fw, SM_FW_POLICY_FAILURE);
	sm_fw_close(fw);

	/* ES needs a platform with ES. */
	send_all(dir_a, dir_d, SM_POLICY_ES, &m, plain);
	fw = receive_start(dir_d, &m, &e, &rc);
	expect_fw(rc, fw, SM_FW_UNSUPPORTED);
	sm_fw_close(fw);
}

static void test_receive_update_checks(void **state)
{
	uint8_t plain[NPAGES][PG];
	static struct migration m;
	struct sm_fw_xfer x;
	struct sm_fw *fw;
	struct sm_err e;
	uint8_t *ram;
	int rc;

	(void)state;
	send_all(dir_a, dir_b, 0x1, &m, plain);
	fw = receive_start(dir_b, &m, &e, &rc);
	must(rc, &e);
	ram = aligned_alloc(PG, NPAGES * PG);
	assert_non_null(ram);
	memset(ram, 0, NPAGES * PG);

	/* A flipped bit of data, IV or MAC: BAD_MEASUREMENT. */
	m.trans[0][100] ^= 4;
	xfer(&x, m.hdr[0], ram, PG, GPA0, m.trans[0]);
	expect_fw(sm_fw_receive_update_data(fw, &x, &e), fw,
		  SM_FW_BAD_MEASUREMENT);
	m.trans[0][100] ^= 4;
	m.hdr[0][0x4] ^= 1;
	expect_fw(sm_fw_receive_update_data(fw, &x, &e), fw,
		  SM_FW_BAD_MEASUREMENT);
	m.hdr[0][0x4] ^= 1;
	m.hdr[0][0x33] ^= 0x80;
	expect_fw(sm_fw_receive_update_data(fw, &x, &e), fw,
		  SM_FW_BAD_MEASUREMENT);
	m.hdr[0][0x33] ^= 0x80;
	/* The memory was not touched by the refused packets. */
	{
		uint8_t zero[PG] = { 0 };

		assert_memory_equal(ram, zero, PG);
	}
	/* COMPRESSED: UNSUPPORTED. */
	m.hdr[0][0] |= 1;
	expect_fw(sm_fw_receive_update_data(fw, &x, &e), fw, SM_FW_UNSUPPORTED);
	m.hdr[0][0] &= (uint8_t)~1u;
	/* GUEST_LEN == TRANS_LEN; HDR_LEN >= 0x34; lengths; alignment. */
	x.guest_len = PG - 16;
	expect_fw(sm_fw_receive_update_data(fw, &x, &e), fw,
		  SM_FW_INVALID_LENGTH);
	xfer(&x, m.hdr[0], ram, PG, GPA0, m.trans[0]);
	x.hdr_len = 0x30;
	expect_fw(sm_fw_receive_update_data(fw, &x, &e), fw,
		  SM_FW_INVALID_LENGTH);
	xfer(&x, m.hdr[0], ram, 24, GPA0, m.trans[0]);
	expect_fw(sm_fw_receive_update_data(fw, &x, &e), fw,
		  SM_FW_INVALID_LENGTH);
	xfer(&x, m.hdr[0], ram + 8, 32, GPA0 + 8, m.trans[0]);
	expect_fw(sm_fw_receive_update_data(fw, &x, &e), fw,
		  SM_FW_INVALID_ADDRESS);
	xfer(&x, m.hdr[0], ram + 16, PG, GPA0 + 16, m.trans[0]);
	expect_einval(sm_fw_receive_update_data(fw, &x, &e), fw);
	xfer(&x, m.hdr[0], ram, PG, GPA0, m.trans[0]);
	/* KVM (sev_receive_update_data) refuses a zero guest_len itself. */
	x.guest_len = 0;
	expect_einval(sm_fw_receive_update_data(fw, &x, &e), fw);
	x.trans_len = 0;
	expect_einval(sm_fw_receive_update_data(fw, &x, &e), fw);
	/* A packet for one page is accepted at another GPA (no GPA in MAC). */
	xfer(&x, m.hdr[0], ram + PG, PG, GPA0 + PG, m.trans[0]);
	must(sm_fw_receive_update_data(fw, &x, &e), &e);
	xfer(&x, m.hdr[0], ram, PG, GPA0, m.trans[0]);
	must(sm_fw_receive_update_data(fw, &x, &e), &e);
	free(ram);
	sm_fw_close(fw);
}

/* ---- SEV-ES VMSAs ---- */

static void test_vmsa(void **state)
{
	uint8_t session[SM_SESSION_LEN], hdr[2][SM_PKT_HDR_LEN];
	uint8_t trans[2][PG], vmsa[PG], back[PG], chain[SM_SEV_CHAIN_LEN];
	static struct migration m;
	struct sm_fw_xfer x;
	struct sm_fw *fw;
	struct sm_err e;
	unsigned v;
	int rc;

	(void)state;
	fw = open_fw(dir_a);
	must(sm_fw_sim_launch(fw, SM_POLICY_ES, 2, &e), &e);
	for (v = 0; v < 2; v++) {
		memset(vmsa, 0x30 + (int)v, PG);
		must(sm_fw_sim_vmsa_write(fw, v, vmsa, &e), &e);
	}
	assert_int_equal(sm_fw_sim_vmsa_write(fw, 2, vmsa, &e), -1);
	must(sm_fw_pdh_cert_export(fw, m.src_pdh, chain, &e), &e);
	must(send_start_to(fw, dir_b, session, &e), &e);
	memcpy(m.session, session, sizeof(session));
	m.policy = SM_POLICY_ES;
	for (v = 0; v < 2; v++) {
		xfer(&x, hdr[v], NULL, PG, 0, trans[v]);
		x.vcpu = v;
		must(sm_fw_send_update_vmsa(fw, &x, &e), &e);
	}
	xfer(&x, hdr[0], NULL, PG, 0, trans[0]);
	x.vcpu = 2;
	expect_fw(sm_fw_send_update_vmsa(fw, &x, &e), fw, SM_FW_INVALID_PARAM);
	/* Missing header or transport buffer: refused, no crash. */
	xfer(&x, NULL, NULL, PG, 0, trans[0]);
	expect_einval(sm_fw_send_update_vmsa(fw, &x, &e), fw);
	xfer(&x, hdr[0], NULL, PG, 0, NULL);
	expect_einval(sm_fw_send_update_vmsa(fw, &x, &e), fw);
	xfer(&x, hdr[0], NULL, PG, 0, trans[0]);
	x.vcpu = 0;
	x.guest_len = 2048;
	expect_fw(sm_fw_send_update_vmsa(fw, &x, &e), fw, SM_FW_INVALID_LENGTH);
	sm_fw_close(fw);

	fw = open_fw(dir_b);
	must(sm_fw_sim_prepare_receive(fw, 2, &e), &e);
	assert_int_equal(sm_fw_sim_prepare_receive(fw, 0, &e), -1);
	{
		struct sm_fw_receive_start rs = {
			.policy = SM_POLICY_ES,
			.pdh = m.src_pdh,
			.pdh_len = SM_SEV_CERT_LEN,
			.session = m.session,
			.session_len = SM_SESSION_LEN,
		};

		rc = sm_fw_receive_start(fw, &rs, &e);
		must(rc, &e);
	}
	xfer(&x, NULL, NULL, PG, 0, trans[0]);
	expect_einval(sm_fw_receive_update_vmsa(fw, &x, &e), fw);
	xfer(&x, hdr[0], NULL, PG, 0, NULL);
	expect_einval(sm_fw_receive_update_vmsa(fw, &x, &e), fw);
	for (v = 0; v < 2; v++) {
		xfer(&x, hdr[v], NULL, PG, 0, trans[v]);
		x.vcpu = v;
		must(sm_fw_receive_update_vmsa(fw, &x, &e), &e);
	}
	must(sm_fw_receive_finish(fw, &e), &e);
	for (v = 0; v < 2; v++) {
		memset(vmsa, 0x30 + (int)v, PG);
		must(sm_fw_sim_vmsa_read(fw, v, back, &e), &e);
		assert_memory_equal(back, vmsa, PG);
	}
	sm_fw_close(fw);

	/* VMSA commands on a guest without ES. */
	fw = open_fw(dir_a);
	must(sm_fw_sim_launch(fw, 0x1, 1, &e), &e);
	assert_int_equal(sm_fw_sim_vmsa_read(fw, 0, back, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	sm_fw_close(fw);
}

/* ---- cross-checks with lib/sevcrypto ---- */

/*
 * A software receiver holding only b's PDH private key, a's PDH
 * certificate and the session blob opens what fw-sim on a sealed.
 */
static void test_cross_software_receiver(void **state)
{
	uint8_t plain[NPAGES][PG], out[PG], z[SM_ECDH_Z_LEN];
	static struct migration m;
	struct sm_sev_cert src_pdh;
	struct sm_key *key = NULL;
	struct sm_pkt *p;
	struct sm_tk tk;
	struct sm_err e;
	char path[400];
	unsigned i;

	(void)state;
	send_all(dir_a, dir_b, 0x5, &m, plain);
	snprintf(path, sizeof(path), "%s/pdh.key", dir_b);
	must(sm_key_load_pem(path, &key, &e), &e);
	must(sm_sev_cert_parse(m.src_pdh, SM_SEV_CERT_LEN, &src_pdh, &e), &e);
	must(sm_key_ecdh(key, &src_pdh, z, &e), &e);
	must(sm_session_open(z, sizeof(z), m.session, 0x5, &tk, &e), &e);
	must(sm_pkt_new(&p, &tk, &e), &e);
	for (i = 0; i < NPAGES; i++) {
		must(sm_pkt_open(p, m.hdr[i], m.trans[i], PG, out, &e), &e);
		assert_memory_equal(out, plain[i], PG);
	}
	/* With the wrong policy, the session does not open. */
	assert_int_equal(sm_session_open(z, sizeof(z), m.session, 0x1, &tk, &e),
			 -1);
	sm_pkt_free(p);
	sm_key_free(key);
}

/* fw-sim on b accepts packets a software sender built with sevcrypto. */
static void test_cross_software_sender(void **state)
{
	uint8_t z[SM_ECDH_Z_LEN], nonce[16], iv[16], session[SM_SESSION_LEN];
	uint8_t page[PG], hdr[SM_PKT_HDR_LEN], trans[PG], back[PG];
	struct sm_sev_cert mine, target;
	struct sm_fw_receive_start rs;
	struct sm_key *key = NULL;
	struct sm_fw_xfer x;
	struct sm_pkt *p;
	struct sm_fw *fw;
	struct sm_tk tk;
	struct sm_err e;
	uint8_t *ram, *b;
	size_t len;
	unsigned i;

	(void)state;
	/* A sender of our own: a fresh P-384 key in a PDH certificate. */
	must(sm_key_generate_ec(&key, &e), &e);
	must(sm_sev_cert_init(&mine, key, SM_USAGE_PDH, SM_ALGO_ECDH_SHA256, 0,
			      0, &e),
	     &e);
	b = rdf(dir_b, "pdh.cert", &len);
	must(sm_sev_cert_parse(b, len, &target, &e), &e);
	free(b);
	must(sm_key_ecdh(key, &target, z, &e), &e);
	memset(nonce, 0x11, 16);
	memset(iv, 0x22, 16);
	memset(&tk, 0x33, sizeof(tk));
	tk.tik[0] = 0x44;
	must(sm_session_build(z, sizeof(z), nonce, iv, &tk, 0x1, session, &e),
	     &e);

	fw = open_fw(dir_b);
	memset(&rs, 0, sizeof(rs));
	rs.policy = 0x1;
	rs.pdh = mine.raw;
	rs.pdh_len = SM_SEV_CERT_LEN;
	rs.session = session;
	rs.session_len = SM_SESSION_LEN;
	must(sm_fw_receive_start(fw, &rs, &e), &e);
	must(sm_pkt_new(&p, &tk, &e), &e);
	ram = aligned_alloc(PG, NPAGES * PG);
	assert_non_null(ram);
	for (i = 0; i < NPAGES; i++) {
		memset(page, 0x60 + (int)i, PG);
		memset(iv, (int)i, 16);
		must(sm_pkt_seal(p, iv, 0, page, PG, trans, hdr, &e), &e);
		xfer(&x, hdr, ram + i * PG, PG, GPA0 + i * PG, trans);
		must(sm_fw_receive_update_data(fw, &x, &e), &e);
	}
	must(sm_fw_receive_finish(fw, &e), &e);
	for (i = 0; i < NPAGES; i++) {
		memset(page, 0x60 + (int)i, PG);
		must(sm_fw_sim_guest_read(fw, GPA0 + i * PG, ram + i * PG, back,
					  &e),
		     &e);
		assert_memory_equal(back, page, PG);
	}
	free(ram);
	sm_pkt_free(p);
	sm_fw_close(fw);
	sm_key_free(key);
}

/*
 * The ECDH shared secret the simulated firmware feeds the KDF is the
 * 48-byte big-endian X coordinate, from a peer key read little-endian out
 * of a SEV certificate: NIST CAVS KAS ECC CDH P-384 vector 0 (dIUT,
 * QCAVS -> ZIUT), the peer point written as a PDH certificate would
 * carry it.
 */
static const char cavs_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDA8wxIqaPDZUCetOMBn\n"
	"kWug64w4iU0i4bFWGLaBimYXdK1GOyBdqIz2matNQ8nPmKGhZANiAASYA4B/L20v\n"
	"2WbN0CkL1BDAGQNS++x/9iR94TAt+G8l00/kqXvvYM/1SDVcAV27Pl+6Jspp7C9b\n"
	"XZ2tIMydpxE4Op2+NOo/paKvdbRlAmKa1U3Yt9c6irsGo6O+R9ZQzJk=\n"
	"-----END PRIVATE KEY-----\n";

static void test_ecdh_vector(void **state)
{
	uint8_t qx[48], qy[48], want[48], z[48], raw[SM_SEV_CERT_LEN];
	struct sm_sev_cert peer;
	struct sm_key *key = NULL;
	struct sm_err e;
	char path[400];
	size_t i;

	(void)state;
	unhex48("a7c76b970c3b5fe8b05d2838ae04ab47697b9eaf52e764592efda27f"
		"e7513272734466b400091adbf2d68c58e0c50066",
		qx);
	unhex48("ac68f19f2e1cb879aed43a9969b91a0839c4c38a49749b661efedf24"
		"3451915ed0905a32b060992b468c64766fc8437a",
		qy);
	unhex48("5f9d29dc5e31a163060356213669c8ce132e22f57c9a04f40ba7fcea"
		"d493b457e5621e766c40a2e3d4d6a04b25e533f1",
		want);
	snprintf(path, sizeof(path), "%s/cavs.key", root);
	must(sm_write_file_atomic(path, cavs_key_pem, strlen(cavs_key_pem),
				  0600, &e),
	     &e);
	must(sm_key_load_pem(path, &key, &e), &e);
	memset(raw, 0, sizeof(raw));
	sm_put_le32(raw + 0x00, 1);
	sm_put_le32(raw + 0x08, SM_USAGE_PDH);
	sm_put_le32(raw + 0x0c, SM_ALGO_ECDH_SHA256);
	sm_put_le32(raw + 0x10, 2);
	for (i = 0; i < 48; i++) {
		raw[0x14 + i] = qx[47 - i]; /* little-endian in the cert */
		raw[0x5c + i] = qy[47 - i];
	}
	sm_put_le32(raw + 0x414, SM_USAGE_INVALID);
	sm_put_le32(raw + 0x61c, SM_USAGE_INVALID);
	must(sm_sev_cert_pdh_sane(raw, sizeof(raw), &e), &e);
	must(sm_sev_cert_parse(raw, sizeof(raw), &peer, &e), &e);
	must(sm_key_ecdh(key, &peer, z, &e), &e);
	assert_memory_equal(z, want, 48);
	sm_key_free(key);
}

/* ---- channel keys are wiped when the channel closes ---- */

/* Does the context memfd of fw hold the 16 bytes key anywhere? */
static int ctx_holds(struct sm_fw *fw, const uint8_t key[16])
{
	static uint8_t buf[PG * 4];
	ssize_t n = pread(sm_fw_sim_context_fd(fw), buf, sizeof(buf), 0);

	assert_true(n >= (ssize_t)PG);
	return memmem(buf, (size_t)n, key, 16) != NULL;
}

/* TEK and TIK of a session for b, as b's software receiver sees them. */
static void keys_for_b(const uint8_t session[SM_SESSION_LEN],
		       const uint8_t src_pdh[SM_SEV_CERT_LEN], uint32_t policy,
		       struct sm_tk *tk)
{
	uint8_t z[SM_ECDH_Z_LEN];
	struct sm_sev_cert pdh;
	struct sm_key *key = NULL;
	struct sm_err e;
	char path[400];

	snprintf(path, sizeof(path), "%s/pdh.key", dir_b);
	must(sm_key_load_pem(path, &key, &e), &e);
	must(sm_sev_cert_parse(src_pdh, SM_SEV_CERT_LEN, &pdh, &e), &e);
	must(sm_key_ecdh(key, &pdh, z, &e), &e);
	must(sm_session_open(z, sizeof(z), session, policy, tk, &e), &e);
	sm_key_free(key);
}

/*
 * SEND_FINISH, SEND_CANCEL and RECEIVE_FINISH zero the channel: TEK and
 * TIK are nowhere in the context afterwards (and were there before, or
 * this test could not tell).
 */
static void test_channel_keys_wiped(void **state)
{
	uint8_t session[SM_SESSION_LEN], pdh[SM_SEV_CERT_LEN];
	uint8_t chain[SM_SEV_CHAIN_LEN];
	struct sm_fw_receive_start rs;
	struct sm_fw *fw;
	struct sm_tk tk;
	struct sm_err e;
	int round;

	(void)state;
	for (round = 0; round < 2; round++) {
		fw = open_fw(dir_a);
		must(sm_fw_sim_launch(fw, 0x1, 1, &e), &e);
		must(sm_fw_pdh_cert_export(fw, pdh, chain, &e), &e);
		must(send_start_to(fw, dir_b, session, &e), &e);
		keys_for_b(session, pdh, 0x1, &tk);
		assert_true(ctx_holds(fw, tk.tek));
		assert_true(ctx_holds(fw, tk.tik));
		if (round == 0)
			must(sm_fw_send_cancel(fw, &e), &e);
		else
			must(sm_fw_send_finish(fw, &e), &e);
		assert_false(ctx_holds(fw, tk.tek));
		assert_false(ctx_holds(fw, tk.tik));
		sm_fw_close(fw);
	}

	/* The receiving side, with the last session. */
	fw = open_fw(dir_b);
	memset(&rs, 0, sizeof(rs));
	rs.policy = 0x1;
	rs.pdh = pdh;
	rs.pdh_len = SM_SEV_CERT_LEN;
	rs.session = session;
	rs.session_len = SM_SESSION_LEN;
	must(sm_fw_receive_start(fw, &rs, &e), &e);
	assert_true(ctx_holds(fw, tk.tek));
	assert_true(ctx_holds(fw, tk.tik));
	must(sm_fw_receive_finish(fw, &e), &e);
	assert_false(ctx_holds(fw, tk.tek));
	assert_false(ctx_holds(fw, tk.tik));
	sm_fw_close(fw);
}

/*
 * Whoever holds a context can write its shared header.  A process
 * attached to it must not index memory by those bytes (a vCPU count far
 * beyond the mapping) nor trip over a channel another process opened.
 * Offsets of struct simctx: nvcpus 12, state 88, channel 104.
 */
static void put_ctx32(struct sm_fw *fw, off_t off, uint32_t v)
{
	assert_int_equal(pwrite(sm_fw_sim_context_fd(fw), &v, 4, off), 4);
}

static void test_shared_header_tampering(void **state)
{
	uint8_t session[SM_SESSION_LEN], hdr[SM_PKT_HDR_LEN], trans[PG];
	uint8_t vmsa[PG];
	struct sm_fw *vmm, *tool, *other;
	struct sm_fw_xfer x;
	struct sm_err e;
	uint8_t *ram;

	(void)state;
	vmm = open_fw(dir_a);
	must(sm_fw_sim_launch(vmm, SM_POLICY_ES, 1, &e), &e);
	ram = guest_ram(vmm, 4);
	tool = open_fw(dir_a);
	must(sm_fw_sim_attach(tool, sm_fw_sim_context_fd(vmm), &e), &e);
	other = open_fw(dir_a);
	must(sm_fw_sim_attach(other, sm_fw_sim_context_fd(vmm), &e), &e);

	/* A vCPU count of 1000 in a context mapped for 1. */
	put_ctx32(tool, 12, 1000);
	assert_int_equal(sm_fw_sim_vmsa_read(vmm, 500, vmsa, &e), -1);
	assert_int_equal(sm_fw_sim_vmsa_write(vmm, 500, vmsa, &e), -1);
	must(sm_fw_sim_vmsa_read(vmm, 0, vmsa, &e), &e);

	/* The channel opened by another process than the one sending. */
	must(send_start_to(other, dir_b, session, &e), &e);
	xfer(&x, hdr, ram, PG, GPA0, trans);
	must(sm_fw_send_update_data(tool, &x, &e), &e);
	xfer(&x, hdr, NULL, PG, 0, trans);
	x.vcpu = 500;
	expect_fw(sm_fw_send_update_vmsa(tool, &x, &e), tool,
		  SM_FW_INVALID_PARAM);
	must(sm_fw_send_cancel(other, &e), &e);

	/* SUPDATE written by hand, without a channel: no crash. */
	put_ctx32(tool, 88, SM_GUEST_SUPDATE);
	put_ctx32(tool, 104, 0);
	xfer(&x, hdr, ram, PG, GPA0, trans);
	expect_fw(sm_fw_send_update_data(vmm, &x, &e), vmm,
		  SM_FW_INVALID_GUEST_STATE);
	put_ctx32(tool, 88, SM_GUEST_RUPDATE);
	expect_fw(sm_fw_receive_update_data(vmm, &x, &e), vmm,
		  SM_FW_INVALID_GUEST_STATE);
	free(ram);
	sm_fw_close(other);
	sm_fw_close(tool);
	sm_fw_close(vmm);
}

/*
 * A channel cancelled and reopened by another process: the next packet
 * this process seals uses the new channel's keys, never the old ones
 * (which the target could not open).
 */
static void test_channel_reopened_elsewhere(void **state)
{
	uint8_t s1[SM_SESSION_LEN], s2[SM_SESSION_LEN], hdr[SM_PKT_HDR_LEN];
	uint8_t trans[PG], out[PG], plain[PG], pdh[SM_SEV_CERT_LEN];
	uint8_t chain[SM_SEV_CHAIN_LEN];
	struct sm_fw *a, *b;
	struct sm_fw_xfer x;
	struct sm_pkt *p;
	struct sm_tk tk;
	struct sm_err e;
	uint8_t *ram;

	(void)state;
	a = open_fw(dir_a);
	must(sm_fw_sim_launch(a, 0x1, 1, &e), &e);
	must(sm_fw_pdh_cert_export(a, pdh, chain, &e), &e);
	ram = guest_ram(a, 6);
	must(sm_fw_sim_guest_read(a, GPA0, ram, plain, &e), &e);
	b = open_fw(dir_a);
	must(sm_fw_sim_attach(b, sm_fw_sim_context_fd(a), &e), &e);
	must(send_start_to(a, dir_b, s1, &e), &e);
	xfer(&x, hdr, ram, PG, GPA0, trans);
	must(sm_fw_send_update_data(a, &x, &e), &e);
	must(sm_fw_send_cancel(b, &e), &e);
	must(send_start_to(b, dir_b, s2, &e), &e);
	xfer(&x, hdr, ram, PG, GPA0, trans);
	must(sm_fw_send_update_data(a, &x, &e), &e);
	keys_for_b(s2, pdh, 0x1, &tk);
	must(sm_pkt_new(&p, &tk, &e), &e);
	must(sm_pkt_open(p, hdr, trans, PG, out, &e), &e);
	assert_memory_equal(out, plain, PG);
	sm_pkt_free(p);
	free(ram);
	sm_fw_close(b);
	sm_fw_close(a);
}

/* ---- recovery and hand-off ---- */

static void test_recover(void **state)
{
	uint8_t plain[NPAGES][PG], session[SM_SESSION_LEN];
	static struct migration m;
	struct sm_fw *vmm, *tool;
	struct sm_err e;
	int rc;

	(void)state;
	/* The VMM hands its context to a tool, which vanishes in SUPDATE. */
	vmm = open_fw(dir_a);
	must(sm_fw_sim_launch(vmm, 0x1, 1, &e), &e);
	tool = open_fw(dir_a);
	must(sm_fw_sim_attach(tool, sm_fw_sim_context_fd(vmm), &e), &e);
	must(send_start_to(tool, dir_b, session, &e), &e);
	sm_fw_close(tool);
	assert_int_equal(state_of(vmm), SM_GUEST_SUPDATE);
	assert_int_equal(sm_fw_sim_recover(vmm, &e), SM_GUEST_RUNNING);
	assert_int_equal(state_of(vmm), SM_GUEST_RUNNING);
	/* Nothing to do for a running guest. */
	assert_int_equal(sm_fw_sim_recover(vmm, &e), SM_GUEST_RUNNING);
	/* Still sendable afterwards. */
	must(send_start_to(vmm, dir_b, session, &e), &e);
	sm_fw_close(vmm);

	/* An import that vanished in RUPDATE: decommissioned. */
	send_all(dir_a, dir_b, 0x1, &m, plain);
	tool = receive_start(dir_b, &m, &e, &rc);
	must(rc, &e);
	vmm = open_fw(dir_b);
	must(sm_fw_sim_attach(vmm, sm_fw_sim_context_fd(tool), &e), &e);
	sm_fw_close(tool);
	assert_int_equal(sm_fw_sim_recover(vmm, &e), SM_GUEST_UNINIT);
	expect_fw(sm_fw_receive_finish(vmm, &e), vmm, SM_FW_INVALID_GUEST);
	sm_fw_sim_detach(vmm);
	assert_int_equal(sm_fw_sim_context_fd(vmm), -1);
	assert_int_equal(sm_fw_sim_recover(vmm, &e), -1);
	sm_fw_close(vmm);
}

/* ---- launch (issue 14): sevctl's measurement vectors, byte for byte ---- */

/* A new platform root/NAME (under dir_a's ARK) with this API and build. */
static const char *launch_platform(const char *name, int major, int minor,
				   int build)
{
	static char dir[300];
	struct sm_sim_platform_opts o = { .ark_from = dir_a };
	char path[400];
	uint8_t *buf;
	size_t len;
	char *p, *out;
	struct sm_err e;
	int n;

	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	must(sm_fw_sim_platform_init(dir, &o, &e), &e);
	snprintf(path, sizeof(path), "%s/platform.json", dir);
	buf = rdf(dir, "platform.json", &len);
	out = malloc(len + 64);
	assert_non_null(out);
	p = strstr((char *)buf, "\"chip_id\"");
	assert_non_null(p);
	n = sprintf(out,
		    "{\n  \"api_major\": %d,\n  \"api_minor\": %d,\n"
		    "  \"build\": %d,\n  ",
		    major, minor, build);
	memcpy(out + n, p, len - (size_t)(p - (char *)buf));
	must(sm_write_file_atomic(path, out,
				  (size_t)n + len - (size_t)(p - (char *)buf),
				  0644, &e),
	     &e);
	free(out);
	free(buf);
	return dir;
}

/*
 * An owner session for platform dir: GODH = platform dir_c's PDH (its
 * key stands in for the owner's), TEK = tek, TIK = tik.
 */
static void owner_session(const char *dir, const uint8_t *tek,
			  const uint8_t *tik, uint32_t policy,
			  uint8_t godh[SM_SEV_CERT_LEN],
			  uint8_t session[SM_SESSION_LEN])
{
	struct sm_sim_platform owner = { 0 }, plat = { 0 };
	uint8_t z[SM_ECDH_Z_LEN], nonce[16] = { 1 }, iv[16] = { 2 };
	struct sm_err e;
	struct sm_tk tk;
	uint8_t *cert;
	size_t len;

	must(sm_sim_platform_load(dir_c, &owner, &e), &e);
	must(sm_sim_platform_load(dir, &plat, &e), &e);
	must(sm_key_ecdh(owner.pdh_key, &plat.pdh, z, &e), &e);
	memcpy(tk.tek, tek, 16);
	memcpy(tk.tik, tik, 16);
	must(sm_session_build(z, sizeof(z), nonce, iv, &tk, policy, session,
			      &e),
	     &e);
	cert = rdf(dir_c, "pdh.cert", &len);
	assert_int_equal(len, SM_SEV_CERT_LEN);
	memcpy(godh, cert, SM_SEV_CERT_LEN);
	free(cert);
	sm_sim_platform_free(&owner);
	sm_sim_platform_free(&plat);
}

static void expect_status(int rc, struct sm_fw *fw, uint32_t status)
{
	assert_int_equal(rc, -1);
	assert_int_equal(fw->fw_error, status);
}

/*
 * The plain-SEV vector: API 1.40 build 40, policy 0x03, the trimmed OVMF
 * as the only measured data, tik1.bin, sevctl's nonce: sevctl's blob.
 * Then the launch secret and the state rules around it.
 */
static void test_launch_measure_vector(void **state)
{
	static const uint8_t tek[16] = { 0x7e };
	uint8_t godh[SM_SEV_CERT_LEN], session[SM_SESSION_LEN], nonce[16];
	uint8_t out[SM_FW_LAUNCH_MEASURE_LEN], table[64], trans[64], back[64];
	uint8_t hdr[SM_PKT_HDR_LEN], iv[16] = { 9 };
	char b64[80];
	size_t tik_len, ovmf_len;
	uint8_t *tik = rd_sevctl("measurement/tik1.bin", &tik_len);
	uint8_t *ovmf = rd_sevctl(
		"OVMF.amdsev.fd_trimmed_edk2-ovmf-20220126gitbb1bba3d77-4.el9",
		&ovmf_len);
	struct sm_fw_sim_launch a = { .policy = 0x03, .nvcpus = 1 };
	struct sm_fw_guest_status gs;
	struct sm_err e = { 0 };
	struct sm_pkt *p;
	struct sm_tk tk;
	struct sm_fw *fw;
	const char *dir;
	int i;

	(void)state;
	dir = launch_platform("launch-1.40", 1, 40, 40);
	owner_session(dir, tek, tik, 0x03, godh, session);
	fw = open_fw(dir);
	/* a session made for another policy: its POLICY_MAC fails */
	a.godh = godh;
	a.session = session;
	a.policy = 0x01;
	expect_status(sm_fw_sim_launch_start(fw, &a, &e), fw,
		      SM_FW_BAD_MEASUREMENT);
	a.policy = 0x03;
	/* a GODH that is not a PDH-usage key: INVALID_CERTIFICATE */
	godh[8] ^= 0x01;
	expect_status(sm_fw_sim_launch_start(fw, &a, &e), fw,
		      SM_FW_INVALID_CERTIFICATE);
	godh[8] ^= 0x01;
	/* a session without its GODH never reaches the firmware */
	a.godh = NULL;
	assert_int_equal(sm_fw_sim_launch_start(fw, &a, &e), -1);
	assert_int_equal(fw->sys_errno, EINVAL);
	a.godh = godh;
	must(sm_fw_sim_launch_start(fw, &a, &e), &e);
	expect_status(sm_fw_sim_launch_start(fw, &a, &e), fw,
		      SM_FW_INVALID_GUEST_STATE);
	expect_status(sm_fw_sim_launch_update_data(fw, ovmf, 15, &e), fw,
		      SM_FW_INVALID_LENGTH);
	/* too early: no MEASURE yet */
	expect_status(sm_fw_sim_launch_finish(fw, &e), fw,
		      SM_FW_INVALID_GUEST_STATE);
	must(sm_fw_sim_launch_update_data(fw, ovmf, ovmf_len, &e), &e);
	assert_int_equal(
		sm_base64_decode("wxP6tRHCFrFQWxsuqZA8QA==", nonce, 16), 16);
	sm_fw_sim_test_mnonce(fw, nonce);
	must(sm_fw_sim_launch_measure(fw, out, &e), &e);
	sm_base64_encode(out, sizeof(out), b64);
	assert_string_equal(
		b64,
		"oMDewIouJSpbpNRHj7Mk3p08H2dPZQdsZMU14qIymBnDE/q1EcIWsVBbGy6pkDxA");
	must(sm_fw_guest_status(fw, &gs, &e), &e);
	assert_int_equal(gs.state, SM_GUEST_LSECRET);
	expect_status(sm_fw_sim_launch_measure(fw, out, &e), fw,
		      SM_FW_INVALID_GUEST_STATE);

	/* LAUNCH_SECRET: the owner seals with the TEK/TIK and MEASURE */
	for (i = 0; i < 64; i++)
		table[i] = (uint8_t)i;
	memcpy(tk.tek, tek, 16);
	memcpy(tk.tik, tik, 16);
	must(sm_pkt_new(&p, &tk, &e), &e);
	must(sm_pkt_seal_secret(p, out, iv, 0, table, sizeof(table), trans, hdr,
				&e),
	     &e);
	/* one flipped bit: BAD_MEASUREMENT, nothing decrypted, still LSECRET */
	trans[5] ^= 1;
	memset(back, 0xaa, sizeof(back));
	expect_status(sm_fw_sim_launch_secret(fw, hdr, trans, sizeof(trans),
					      back, &e),
		      fw, SM_FW_BAD_MEASUREMENT);
	for (i = 0; i < 64; i++)
		assert_int_equal(back[i], 0xaa);
	trans[5] ^= 1;
	expect_status(sm_fw_sim_launch_secret(fw, hdr, trans, 60, back, &e), fw,
		      SM_FW_INVALID_LENGTH);
	must(sm_fw_sim_launch_secret(fw, hdr, trans, sizeof(trans), back, &e),
	     &e);
	assert_memory_equal(back, table, sizeof(table));
	must(sm_fw_sim_launch_finish(fw, &e), &e);
	must(sm_fw_guest_status(fw, &gs, &e), &e);
	assert_int_equal(gs.state, SM_GUEST_RUNNING);
	/* after LAUNCH_FINISH: no more secrets */
	expect_status(sm_fw_sim_launch_secret(fw, hdr, trans, sizeof(trans),
					      back, &e),
		      fw, SM_FW_INVALID_GUEST_STATE);
	sm_pkt_free(p);
	sm_fw_close(fw);
	free(tik);
	free(ovmf);
}

/*
 * The SEV-ES vector: API 1.49 build 6, policy 0x05, four vCPUs, the OVMF
 * then vmsa0 for vCPU 0 and vmsa1 for the others, the nonce of sevctl's
 * blob: sevctl's blob.  A plain SEV guest has no VMSA to measure.
 */
static void test_launch_measure_es_vector(void **state)
{
	static const char want[] =
		"/o0nzDKE5XgtVnUZWPhUea/WZYrTKLExR7KCwuMdbActvpWfXTFk21KMZIAAhQny";
	static const uint8_t tek[16] = { 0x11 };
	uint8_t godh[SM_SEV_CERT_LEN], session[SM_SESSION_LEN];
	uint8_t out[SM_FW_LAUNCH_MEASURE_LEN], blob[48];
	char b64[80];
	size_t tik_len, ovmf_len, v0_len, v1_len;
	uint8_t *tik = rd_sevctl("measurement/tik1.bin", &tik_len);
	uint8_t *ovmf = rd_sevctl(
		"OVMF.amdsev.fd_trimmed_edk2-ovmf-20220126gitbb1bba3d77-4.el9",
		&ovmf_len);
	uint8_t *v0 = rd_sevctl("vmsa0.bin", &v0_len),
		*v1 = rd_sevctl("vmsa1.bin", &v1_len);
	struct sm_fw_sim_launch a = { .policy = 0x05, .nvcpus = 4 };
	struct sm_err e = { 0 };
	struct sm_fw *fw;
	const char *dir;
	unsigned i;

	(void)state;
	assert_int_equal(v0_len, SM_PAGE_SIZE);
	assert_int_equal(v1_len, SM_PAGE_SIZE);
	dir = launch_platform("launch-1.49", 1, 49, 6);
	owner_session(dir, tek, tik, 0x05, godh, session);
	a.godh = godh;
	a.session = session;
	fw = open_fw(dir);
	must(sm_fw_sim_launch_start(fw, &a, &e), &e);
	must(sm_fw_sim_launch_update_data(fw, ovmf, ovmf_len, &e), &e);
	for (i = 0; i < 4; i++)
		must(sm_fw_sim_launch_update_vmsa(fw, i, i ? v1 : v0, &e), &e);
	assert_int_equal(sm_base64_decode(want, blob, sizeof(blob)), 48);
	sm_fw_sim_test_mnonce(fw, blob + 32);
	must(sm_fw_sim_launch_measure(fw, out, &e), &e);
	sm_base64_encode(out, sizeof(out), b64);
	assert_string_equal(b64, want);
	/* the VMSA the guest runs from is the one measured */
	must(sm_fw_sim_launch_finish(fw, &e), &e);
	{
		uint8_t page[SM_PAGE_SIZE];

		must(sm_fw_sim_vmsa_read(fw, 1, page, &e), &e);
		assert_memory_equal(page, v1, SM_PAGE_SIZE);
	}
	sm_fw_close(fw);

	/* plain SEV: LAUNCH_UPDATE_VMSA is refused */
	a.policy = 0x01;
	a.nvcpus = 1;
	a.godh = NULL;
	a.session = NULL;
	fw = open_fw(dir);
	must(sm_fw_sim_launch_start(fw, &a, &e), &e);
	expect_status(sm_fw_sim_launch_update_vmsa(fw, 0, v0, &e), fw,
		      SM_FW_INVALID_GUEST);
	sm_fw_close(fw);
	free(tik);
	free(ovmf);
	free(v0);
	free(v1);
}

/*
 * The same launch through the firmware seam (sm_fw_launch_*, the ops
 * table a VMM uses on either backend): sevctl's SEV and SEV-ES blobs,
 * LAUNCH_MEASURE's length query, the sizes KVM checks, and the state
 * rules.
 */
static void test_launch_through_ops(void **state)
{
	static const char want_es[] =
		"/o0nzDKE5XgtVnUZWPhUea/WZYrTKLExR7KCwuMdbActvpWfXTFk21KMZIAAhQny";
	static const uint8_t tek[16] = { 0x7e };
	uint8_t godh[SM_SEV_CERT_LEN], session[SM_SESSION_LEN], nonce[16];
	uint8_t out[64], table[64], trans[64], back[64], blob[48];
	uint8_t hdr[SM_PKT_HDR_LEN], iv[16] = { 9 };
	const uint8_t *vmsas[4];
	char b64[80];
	size_t tik_len, ovmf_len, v0_len, v1_len;
	uint8_t *tik = rd_sevctl("measurement/tik1.bin", &tik_len);
	uint8_t *ovmf = rd_sevctl(
		"OVMF.amdsev.fd_trimmed_edk2-ovmf-20220126gitbb1bba3d77-4.el9",
		&ovmf_len);
	uint8_t *v0 = rd_sevctl("vmsa0.bin", &v0_len),
		*v1 = rd_sevctl("vmsa1.bin", &v1_len);
	struct sm_fw_launch_start a = { .policy = 0x03, .nvcpus = 1 };
	struct sm_fw_launch_secret sa = { 0 };
	struct sm_fw_guest_status gs;
	struct sm_err e = { 0 };
	struct sm_pkt *p;
	struct sm_tk tk;
	struct sm_fw *fw;
	const char *dir;
	uint32_t len;
	int i;

	(void)state;
	dir = launch_platform("launch-ops-1.40", 1, 40, 40);
	owner_session(dir, tek, tik, 0x03, godh, session);
	fw = open_fw(dir);
	/* no guest yet: every command but LAUNCH_START is INVALID_GUEST */
	len = sizeof(out);
	expect_status(sm_fw_launch_measure(fw, out, &len, &e), fw,
		      SM_FW_INVALID_GUEST);
	expect_status(sm_fw_launch_finish(fw, &e), fw, SM_FW_INVALID_GUEST);
	expect_status(sm_fw_launch_update_data(fw, ovmf, 16, &e), fw,
		      SM_FW_INVALID_GUEST);
	/* sizes: a GODH or session of another length */
	a.godh = godh;
	a.godh_len = sizeof(godh) - 1;
	a.session = session;
	a.session_len = sizeof(session);
	expect_status(sm_fw_launch_start(fw, &a, &e), fw, SM_FW_INVALID_LENGTH);
	a.godh_len = sizeof(godh);
	a.session_len = 0x4001;
	assert_int_equal(sm_fw_launch_start(fw, &a, &e), -1);
	assert_int_equal(fw->sys_errno, EINVAL);
	assert_string_equal(e.msg, "LAUNCH_START failed: Invalid argument");
	a.session_len = sizeof(session);
	must(sm_fw_launch_start(fw, &a, &e), &e);
	assert_int_not_equal(a.handle, 0);
	must(sm_fw_guest_status(fw, &gs, &e), &e);
	assert_int_equal(gs.handle, a.handle);
	assert_int_equal(gs.state, SM_GUEST_LUPDATE);
	expect_status(sm_fw_launch_start(fw, &a, &e), fw,
		      SM_FW_INVALID_GUEST_STATE);
	/* a plain SEV guest has no VMSA; no VMSAs at all is KVM's EINVAL */
	vmsas[0] = v0;
	expect_status(sm_fw_launch_update_vmsa(fw, vmsas, 1, &e), fw,
		      SM_FW_INVALID_GUEST);
	assert_int_equal(sm_fw_launch_update_vmsa(fw, NULL, 0, &e), -1);
	assert_int_equal(fw->sys_errno, EINVAL);
	must(sm_fw_launch_update_data(fw, ovmf, ovmf_len, &e), &e);
	/* the length query: no buffer, or one too small, changes nothing */
	len = 0;
	expect_status(sm_fw_launch_measure(fw, NULL, &len, &e), fw,
		      SM_FW_INVALID_LENGTH);
	assert_int_equal(len, SM_FW_LAUNCH_MEASURE_LEN);
	assert_string_equal(e.msg, "LAUNCH_MEASURE failed: Input/output "
				   "error (firmware: INVALID_LENGTH)");
	len = 47;
	expect_status(sm_fw_launch_measure(fw, out, &len, &e), fw,
		      SM_FW_INVALID_LENGTH);
	assert_int_equal(len, SM_FW_LAUNCH_MEASURE_LEN);
	must(sm_fw_guest_status(fw, &gs, &e), &e);
	assert_int_equal(gs.state, SM_GUEST_LUPDATE);
	/* secret and finish need LSECRET */
	expect_status(sm_fw_launch_finish(fw, &e), fw,
		      SM_FW_INVALID_GUEST_STATE);
	assert_int_equal(
		sm_base64_decode("wxP6tRHCFrFQWxsuqZA8QA==", nonce, 16), 16);
	sm_fw_sim_test_mnonce(fw, nonce);
	len = sizeof(out);
	must(sm_fw_launch_measure(fw, out, &len, &e), &e);
	assert_int_equal(len, SM_FW_LAUNCH_MEASURE_LEN);
	sm_base64_encode(out, SM_FW_LAUNCH_MEASURE_LEN, b64);
	assert_string_equal(
		b64,
		"oMDewIouJSpbpNRHj7Mk3p08H2dPZQdsZMU14qIymBnDE/q1EcIWsVBbGy6pkDxA");
	expect_status(sm_fw_launch_update_data(fw, ovmf, 16, &e), fw,
		      SM_FW_INVALID_GUEST_STATE);

	for (i = 0; i < 64; i++)
		table[i] = (uint8_t)i;
	memcpy(tk.tek, tek, 16);
	memcpy(tk.tik, tik, 16);
	must(sm_pkt_new(&p, &tk, &e), &e);
	must(sm_pkt_seal_secret(p, out, iv, 0, table, sizeof(table), trans, hdr,
				&e),
	     &e);
	sa.hdr = hdr;
	sa.hdr_len = sizeof(hdr);
	sa.guest = back;
	sa.guest_len = sizeof(back);
	sa.trans = trans;
	sa.trans_len = sizeof(trans);
	/* a header of another size, or a guest buffer unlike the data */
	sa.hdr_len = sizeof(hdr) - 4;
	expect_status(sm_fw_launch_secret(fw, &sa, &e), fw,
		      SM_FW_INVALID_LENGTH);
	sa.hdr_len = sizeof(hdr);
	sa.guest_len = 32;
	expect_status(sm_fw_launch_secret(fw, &sa, &e), fw,
		      SM_FW_INVALID_LENGTH);
	sa.guest_len = sizeof(back);
	sa.guest = NULL;
	assert_int_equal(sm_fw_launch_secret(fw, &sa, &e), -1);
	assert_int_equal(fw->sys_errno, EINVAL);
	sa.guest = back;
	trans[5] ^= 1;
	memset(back, 0xaa, sizeof(back));
	expect_status(sm_fw_launch_secret(fw, &sa, &e), fw,
		      SM_FW_BAD_MEASUREMENT);
	for (i = 0; i < 64; i++)
		assert_int_equal(back[i], 0xaa);
	trans[5] ^= 1;
	must(sm_fw_launch_secret(fw, &sa, &e), &e);
	assert_memory_equal(back, table, sizeof(table));
	must(sm_fw_launch_finish(fw, &e), &e);
	must(sm_fw_guest_status(fw, &gs, &e), &e);
	assert_int_equal(gs.state, SM_GUEST_RUNNING);
	expect_status(sm_fw_launch_secret(fw, &sa, &e), fw,
		      SM_FW_INVALID_GUEST_STATE);
	expect_status(sm_fw_launch_finish(fw, &e), fw,
		      SM_FW_INVALID_GUEST_STATE);
	sm_pkt_free(p);
	sm_fw_close(fw);

	/* SEV-ES: four VMSAs in one call give sevctl's blob */
	dir = launch_platform("launch-ops-1.49", 1, 49, 6);
	owner_session(dir, tek, tik, 0x05, godh, session);
	fw = open_fw(dir);
	a.policy = 0x05;
	a.nvcpus = 4;
	must(sm_fw_launch_start(fw, &a, &e), &e);
	must(sm_fw_launch_update_data(fw, ovmf, ovmf_len, &e), &e);
	for (i = 0; i < 4; i++)
		vmsas[i] = i ? v1 : v0;
	must(sm_fw_launch_update_vmsa(fw, vmsas, 4, &e), &e);
	assert_int_equal(sm_base64_decode(want_es, blob, sizeof(blob)), 48);
	sm_fw_sim_test_mnonce(fw, blob + 32);
	len = SM_FW_LAUNCH_MEASURE_LEN;
	must(sm_fw_launch_measure(fw, out, &len, &e), &e);
	sm_base64_encode(out, SM_FW_LAUNCH_MEASURE_LEN, b64);
	assert_string_equal(b64, want_es);
	sm_fw_close(fw);
	free(tik);
	free(ovmf);
	free(v0);
	free(v1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_platform_files),
		cmocka_unit_test(test_pdh_export),
		cmocka_unit_test(test_memory_is_ciphertext),
		cmocka_unit_test(test_attach_rules),
		cmocka_unit_test(test_states_send),
		cmocka_unit_test(test_migrate_and_states_receive),
		cmocka_unit_test(test_state_matrix),
		cmocka_unit_test(test_policy_nosend),
		cmocka_unit_test(test_policy_sev),
		cmocka_unit_test(test_policy_domain),
		cmocka_unit_test(test_policy_none),
		cmocka_unit_test(test_send_start_lengths),
		cmocka_unit_test(test_update_limits),
		cmocka_unit_test(test_partial_page),
		cmocka_unit_test(test_fresh_iv_per_packet),
		cmocka_unit_test(test_fork_draws_fresh_ivs),
		cmocka_unit_test(test_receive_start_checks),
		cmocka_unit_test(test_receive_update_checks),
		cmocka_unit_test(test_vmsa),
		cmocka_unit_test(test_cross_software_receiver),
		cmocka_unit_test(test_cross_software_sender),
		cmocka_unit_test(test_ecdh_vector),
		cmocka_unit_test(test_channel_keys_wiped),
		cmocka_unit_test(test_shared_header_tampering),
		cmocka_unit_test(test_channel_reopened_elsewhere),
		cmocka_unit_test(test_recover),
		cmocka_unit_test(test_launch_measure_vector),
		cmocka_unit_test(test_launch_measure_es_vector),
		cmocka_unit_test(test_launch_through_ops),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
