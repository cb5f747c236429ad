// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/fetch/fetch.c with the real AMD test certificates: every
 * source (file:, qmp: through the scripted QMP peer, sim:, ssh:// through
 * a fake ssh that records its argv, local without a device), the KDS
 * replacement of an unsigned CEK (the Naples chip whose firmware-exported
 * CEK is naples-cek-unsigned/cek.uns.cert and whose KDS copy is
 * tests-naples/cek.cert), its key check, offline mode and the cache.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>

#include "certs/bundle.h"
#include "certs/cert.h"
#include "base/err.h"
#include "fetch/fetch.h"
#include "certs/roots.h"
#include "base/transport.h"
#include "base/util.h"

#include "helpers.h"

#define VIRTEE "virtee-sev/"
#define ID_HEX                                                             \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" \
	"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

struct fix {
	char dir[256];
	char sock[300];
	char cache[300];
	char url[128];
	struct sm_child *peer, *kds;
	struct sm_fetch_opts o;
	struct sm_chain ch;
	struct sm_bundle_info info;
};

static int have_certs(void)
{
	char p[1024];

	return th_amd(VIRTEE "tests-naples/cek.cert", p, sizeof(p)) != NULL;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (!f || th_mkdtemp(f->dir, sizeof(f->dir)) < 0)
		return -1;
	snprintf(f->sock, sizeof(f->sock), "%s/qmp.sock", f->dir);
	snprintf(f->cache, sizeof(f->cache), "%s/cache", f->dir);
	f->o.cache_dir = f->cache;
	f->o.retries = 1;
	f->o.total_timeout = 10;
	f->o.kds_url = "http://127.0.0.1:9";
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	sm_child_free(f->peer);
	sm_child_free(f->kds);
	th_rmtree(f->dir);
	free(f);
	unsetenv("SEVMIG_SSH");
	unsetenv("SEVMIG_SEV_DEVICE");
	unsetenv("SEVMIG_REMOTE_CERTS");
	return 0;
}

/* Concatenate AMD test files into dir/name. */
static void cat_files(const char *dir, const char *name, const char *a,
		      const char *b, const char *c)
{
	const char *parts[] = { a, b, c };
	uint8_t all[3 * SM_SEV_CERT_LEN], *buf;
	char p[1024], out[1024];
	struct sm_err e;
	size_t n = 0, len;

	for (int i = 0; i < 3 && parts[i]; i++) {
		assert_non_null(th_amd(parts[i], p, sizeof(p)));
		assert_int_equal(sm_read_file(p, sizeof(all), &buf, &len, &e),
				 0);
		assert_true(n + len <= sizeof(all));
		memcpy(all + n, buf, len);
		n += len;
		free(buf);
	}
	snprintf(out, sizeof(out), "%s/%s", dir, name);
	assert_int_equal(sm_write_file_atomic(out, all, n, 0644, &e), 0);
}

/*
 * A QMP peer exporting the Naples platform as firmware would: the PDH
 * and PEK || OCA || unsigned CEK, with cpu0-id ID_HEX.
 */
static void start_naples_peer(struct fix *f, const char *mode)
{
	char prog[1024], pdh[1024], chain[1024];
	const char *argv[] = { "python3", prog,	 "--socket", f->sock,
			       "--mode",  mode,	 "--pdh",    pdh,
			       "--chain", chain, "--id-hex", ID_HEX,
			       NULL };
	struct sm_err e;

	cat_files(f->dir, "chain.bin", VIRTEE "tests-naples/pek.cert",
		  VIRTEE "tests-naples/oca.cert",
		  VIRTEE "naples-cek-unsigned/cek.uns.cert");
	assert_non_null(
		th_amd(VIRTEE "tests-naples/pdh.cert", pdh, sizeof(pdh)));
	snprintf(chain, sizeof(chain), "%s/chain.bin", f->dir);
	snprintf(prog, sizeof(prog), "%s/tests/helpers/qmp-peer.py", th_root());
	unlink(f->sock);
	assert_int_equal(
		sm_child_spawn(argv, SM_CHILD_NULL_STDIN, &f->peer, &e), 0);
	assert_int_equal(th_wait_path(f->sock), 0);
}

/* The KDS stub serving the AMD test file rel (a CEK). */
static void start_kds(struct fix *f, const char *rel, const char *script)
{
	char cek[1024];
	int port;

	assert_non_null(th_amd(rel, cek, sizeof(cek)));
	sm_child_free(f->kds);
	f->kds = th_kds_start(f->dir, cek, script, &port);
	assert_non_null(f->kds);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", port);
	f->o.kds_url = f->url;
}

static int fetch(struct fix *f, const char *src, struct sm_err *e)
{
	return sm_fetch(src, &f->o, &f->ch, &f->info, NULL, NULL, e);
}

static void assert_verifies(const struct sm_chain *ch,
			    const struct sm_amd_cert *ark, enum sm_product p)
{
	struct sm_trust t = { .ark = ark, .product = SM_PRODUCT_UNKNOWN };
	struct sm_verify_result r;
	struct sm_err e = { 0 };

	assert_int_equal(ch->have, SM_HAVE_ALL);
	if (sm_chain_verify(ch, &t, &r, &e) < 0)
		fail_msg("chain does not verify: %s", e.msg);
	assert_int_equal(r.product, p);
}

static void test_unknown_source(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };

	assert_int_equal(fetch(f, "ftp://x", &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
	assert_string_equal(
		e.msg, "unknown certificate source 'ftp://x': "
		       "expected local, qmp:PATH, file:PATH, "
		       "ssh://[user@]host[:port][/SOURCE], sim:DIR or vm:SOCK");
	assert_int_equal(fetch(f, "qmp:", &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
	assert_int_equal(fetch(f, "file:", &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
	assert_int_equal(fetch(f, "sim:", &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
}

static void test_local_no_device(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };

	f->o.sev_device = "/nonexistent/sev";
	assert_int_equal(fetch(f, "local", &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, "cannot open SEV device '/nonexistent/sev': "
				   "No such file or directory");
	/* The default source is local; the device may come from the env. */
	f->o.sev_device = NULL;
	setenv("SEVMIG_SEV_DEVICE", "/nonexistent/sev2", 1);
	assert_int_equal(
		sm_fetch(NULL, &f->o, &f->ch, &f->info, NULL, NULL, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg,
			    "cannot open SEV device '/nonexistent/sev2': "
			    "No such file or directory");
}

static void test_file_dir_gets_roots(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char p[1024], src[1100];

	if (!have_certs())
		skip();
	snprintf(src, sizeof(src), "file:%s",
		 th_amd(VIRTEE "tests-milan", p, sizeof(p)));
	assert_int_equal(fetch(f, src, &e), 0);
	assert_int_equal(f->info.product, SM_PRODUCT_MILAN);
	assert_memory_equal(f->ch.ark.raw, sm_roots_ark(SM_PRODUCT_MILAN)->raw,
			    f->ch.ark.len);
	assert_memory_equal(f->ch.ask.raw, sm_roots_ask(SM_PRODUCT_MILAN)->raw,
			    f->ch.ask.len);
	assert_verifies(&f->ch, NULL, SM_PRODUCT_MILAN);
}

/* A named product wins over detection (and then fails to verify). */
static void test_file_named_product(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char p[1024], src[1100];

	if (!have_certs())
		skip();
	snprintf(src, sizeof(src), "file:%s",
		 th_amd(VIRTEE "tests-rome", p, sizeof(p)));
	f->o.product = SM_PRODUCT_GENOA;
	assert_int_equal(fetch(f, src, &e), 0);
	assert_int_equal(f->info.product, SM_PRODUCT_GENOA);
	assert_memory_equal(f->ch.ark.raw, sm_roots_ark(SM_PRODUCT_GENOA)->raw,
			    f->ch.ark.len);
}

static void test_file_unsigned_no_chip_id(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char src[400], want[1024];

	if (!have_certs())
		skip();
	cat_files(f->dir, "pek_oca_cek.cert", VIRTEE "tests-naples/pek.cert",
		  VIRTEE "tests-naples/oca.cert",
		  VIRTEE "naples-cek-unsigned/cek.uns.cert");
	snprintf(src, sizeof(src), "file:%s/pek_oca_cek.cert", f->dir);
	assert_int_equal(fetch(f, src, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	snprintf(
		want, sizeof(want),
		"CEK from '%s' is unsigned and the chip id is unknown: cannot get the signed CEK from the KDS",
		f->info.source);
	assert_string_equal(e.msg, want);
}

/* qmp: + KDS: the unsigned Naples CEK becomes the KDS-signed one. */
static void test_qmp_kds_naples(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char src[400], first[512];

	if (!have_certs())
		skip();
	start_naples_peer(f, "ok");
	start_kds(f, VIRTEE "tests-naples/cek.cert", "ok");
	snprintf(src, sizeof(src), "qmp:%s", f->sock);
	if (fetch(f, src, &e) < 0)
		fail_msg("%s", e.msg);
	assert_false(sm_sev_cert_is_unsigned(&f->ch.cek));
	assert_int_equal(f->info.chip_id_len, 64);
	assert_int_equal(f->info.chip_id[0], 0x01);
	assert_int_equal(f->info.product, SM_PRODUCT_NAPLES);
	assert_true(f->info.have_api);
	assert_string_equal(f->info.source, src);
	assert_verifies(&f->ch, NULL, SM_PRODUCT_NAPLES);
	assert_int_equal(th_kds_requests(f->dir, first, sizeof(first)), 1);
	assert_string_equal(first, "GET /cek/id/" ID_HEX);

	/* Again with the KDS down: the cache answers; and offline. */
	sm_child_free(f->kds);
	f->kds = NULL;
	assert_int_equal(fetch(f, src, &e), 0);
	assert_verifies(&f->ch, NULL, SM_PRODUCT_NAPLES);
	f->o.offline = 1;
	assert_int_equal(fetch(f, src, &e), 0);
	assert_verifies(&f->ch, NULL, SM_PRODUCT_NAPLES);
}

/* A KDS CEK with another key (Rome's) is refused, never cached. */
static void test_qmp_kds_wrong_key(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char src[400], want[1024];

	if (!have_certs())
		skip();
	start_naples_peer(f, "ok");
	start_kds(f, VIRTEE "tests-rome/cek.cert", "ok");
	snprintf(src, sizeof(src), "qmp:%s", f->sock);
	assert_int_equal(fetch(f, src, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	snprintf(want, sizeof(want),
		 "fetching CEK '%s/cek/id/" ID_HEX
		 "': its public key is not the platform CEK's",
		 f->url);
	assert_string_equal(e.msg, want);
	assert_int_equal(access(f->cache, F_OK), -1);
}

/* An unsigned CEK from the KDS is refused too. */
static void test_qmp_kds_unsigned(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char src[400];

	if (!have_certs())
		skip();
	start_naples_peer(f, "ok");
	start_kds(f, VIRTEE "naples-cek-unsigned/cek.uns.cert", "ok");
	snprintf(src, sizeof(src), "qmp:%s", f->sock);
	assert_int_equal(fetch(f, src, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_non_null(strstr(e.msg, "': the CEK is unsigned"));
}

static void test_qmp_offline_empty(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char src[400], want[1024];

	if (!have_certs())
		skip();
	start_naples_peer(f, "ok");
	f->o.offline = 1;
	snprintf(src, sizeof(src), "qmp:%s", f->sock);
	assert_int_equal(fetch(f, src, &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	snprintf(want, sizeof(want),
		 "no cached CEK '%s/kds/cek-" ID_HEX
		 ".cert': offline, so the KDS was not asked",
		 f->cache);
	assert_string_equal(e.msg, want);
}

static void test_qmp_error(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char src[400], want[1024];

	if (!have_certs())
		skip();
	start_naples_peer(f, "error");
	snprintf(src, sizeof(src), "qmp:%s", f->sock);
	assert_int_equal(fetch(f, src, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	snprintf(
		want, sizeof(want),
		"QEMU at '%s' has no SEV: QMP command 'query-sev-capabilities' failed: SEV feature is not available",
		f->sock);
	assert_string_equal(e.msg, want);
}

/* A directory laid out like a simulated host, from the Milan test data. */
static void make_sim(struct fix *f, char *dir, size_t len, int with_ask)
{
	static const char *const names[] = { "pdh", "pek", "oca", "cek" };
	char name[32];

	snprintf(dir, len, "%s/sim", f->dir);
	mkdir(dir, 0700);
	for (size_t i = 0; i < SM_ARRAY_SIZE(names); i++) {
		char rel[128];

		snprintf(rel, sizeof(rel), VIRTEE "tests-milan/%s.cert",
			 names[i]);
		snprintf(name, sizeof(name), "%s.cert", names[i]);
		cat_files(dir, name, rel, NULL, NULL);
	}
	if (with_ask)
		cat_files(dir, "ask.cert", VIRTEE "builtin-milan/ask.cert",
			  NULL, NULL);
	cat_files(dir, "ark.cert", VIRTEE "builtin-milan/ark.cert", NULL, NULL);
}

static void test_sim(void **state)
{
	struct fix *f = *state;
	struct sm_amd_cert ark;
	struct sm_err e = { 0 };
	char dir[400], src[420];
	int have = 0;

	if (!have_certs())
		skip();
	make_sim(f, dir, sizeof(dir), 1);
	snprintf(src, sizeof(src), "sim:%s", dir);
	assert_int_equal(
		sm_fetch(src, &f->o, &f->ch, &f->info, &ark, &have, &e), 0);
	assert_int_equal(have, 1);
	assert_int_equal(ark.len, f->ch.ark.len);
	assert_memory_equal(ark.raw, f->ch.ark.raw, ark.len);
	assert_string_equal(f->info.source, src);
	assert_verifies(&f->ch, &ark, SM_PRODUCT_MILAN);
}

static void test_sim_missing_ask(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };
	char dir[400], src[420], want[1024];
	int have = 5;

	if (!have_certs())
		skip();
	make_sim(f, dir, sizeof(dir), 0);
	snprintf(src, sizeof(src), "sim:%s", dir);
	assert_int_equal(
		sm_fetch(src, &f->o, &f->ch, &f->info, NULL, &have, &e), -1);
	assert_int_equal(have, 0);
	snprintf(want, sizeof(want), "'%s/ask.cert'", dir);
	assert_non_null(strstr(e.msg, want));
}

static void test_ssh_bad_urls(void **state)
{
	static const struct {
		const char *src, *msg;
	} v[] = {
		{ "ssh://",
		  "bad source 'ssh://': expected ssh://[user@]host[:port][/SOURCE]" },
		{ "ssh:///local",
		  "bad source 'ssh:///local': expected ssh://[user@]host[:port][/SOURCE]" },
		{ "ssh://-oProxyCommand=x",
		  "bad source 'ssh://-oProxyCommand=x': bad host name" },
		{ "ssh://h;rm", "bad source 'ssh://h;rm': bad host name" },
		{ "ssh://-l@h", "bad source 'ssh://-l@h': bad user name" },
		{ "ssh://a b@h", "bad source 'ssh://a b@h': bad user name" },
		{ "ssh://h:0", "bad source 'ssh://h:0': bad port '0'" },
		{ "ssh://h:65536",
		  "bad source 'ssh://h:65536': bad port '65536'" },
		{ "ssh://h:22x", "bad source 'ssh://h:22x': bad port '22x'" },
		{ "ssh://h:", "bad source 'ssh://h:': bad port ''" },
		{ "ssh://[::1]x", "bad source 'ssh://[::1]x': bad host name" },
	};
	struct fix *f = *state;
	struct sm_err e = { 0 };

	for (size_t i = 0; i < SM_ARRAY_SIZE(v); i++) {
		assert_int_equal(fetch(f, v[i].src, &e), -1);
		assert_int_equal(e.code, SM_EXIT_USAGE);
		assert_string_equal(e.msg, v[i].msg);
	}
}

/*
 * A fake ssh: records its argv one per line in DIR/argv, prints
 * DIR/out to stdout and DIR/err to stderr, exits with DIR/rc.
 */
static void fake_ssh(struct fix *f, const char *out, const char *err, int rc)
{
	char path[512], script[2048], env[600];
	struct sm_err e;

	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "printf '%%s\\n' \"$@\" > '%s/argv'\n"
		 "cat '%s/out'\n"
		 "cat '%s/err' >&2\n"
		 "exit %d\n",
		 f->dir, f->dir, f->dir, rc);
	snprintf(path, sizeof(path), "%s/fake-ssh", f->dir);
	assert_int_equal(sm_write_file_atomic(path, script, strlen(script),
					      0755, &e),
			 0);
	snprintf(path, sizeof(path), "%s/out", f->dir);
	assert_int_equal(sm_write_file_atomic(path, out, strlen(out), 0644, &e),
			 0);
	snprintf(path, sizeof(path), "%s/err", f->dir);
	assert_int_equal(sm_write_file_atomic(path, err, strlen(err), 0644, &e),
			 0);
	snprintf(env, sizeof(env), "%s/fake-ssh -F /x/cfg", f->dir);
	setenv("SEVMIG_SSH", env, 1);
}

static char *read_argv(struct fix *f)
{
	char path[512];
	struct sm_err e;
	uint8_t *buf;
	size_t len;

	snprintf(path, sizeof(path), "%s/argv", f->dir);
	assert_int_equal(sm_read_file(path, 1 << 16, &buf, &len, &e), 0);
	buf = realloc(buf, len + 1);
	buf[len] = '\0';
	return (char *)buf;
}

static void test_ssh_ok(void **state)
{
	struct fix *f = *state;
	struct sm_chain ch = { 0 };
	struct sm_bundle_info info = { 0 };
	struct sm_err e = { 0 };
	char p[1024], src[1100], *bundle, *argv;

	if (!have_certs())
		skip();
	/* What a remote "sevmig-certs fetch" prints for the Milan chain. */
	snprintf(src, sizeof(src), "file:%s",
		 th_amd(VIRTEE "tests-milan", p, sizeof(p)));
	assert_int_equal(sm_fetch(src, &f->o, &ch, &info, NULL, NULL, &e), 0);
	assert_int_equal(sm_bundle_encode(&ch, &info, &bundle, &e), 0);
	fake_ssh(f, bundle, "", 0);
	free(bundle);

	f->o.offline = 1;
	f->o.connect_timeout = 7;
	assert_int_equal(
		fetch(f, "ssh://bob@host.example:2222/sim:/it's here", &e), 0);
	argv = read_argv(f);
	assert_string_equal(argv, "-F\n/x/cfg\n-T\n-o\nBatchMode=yes\n-o\n"
				  "ConnectTimeout=7\n-p\n2222\n-l\nbob\n--\n"
				  "host.example\n"
				  "'sevmig-certs' 'fetch' '--offline' "
				  "'sim:/it'\\''s here'\n");
	free(argv);
	assert_memory_equal(f->ch.cek.raw, ch.cek.raw, SM_SEV_CERT_LEN);
	assert_memory_equal(f->ch.pdh.raw, ch.pdh.raw, SM_SEV_CERT_LEN);
	assert_int_equal(f->info.product, SM_PRODUCT_MILAN);
	assert_verifies(&f->ch, NULL, SM_PRODUCT_MILAN);

	/* Bare host: the remote's default source, no port, no user. */
	f->o.offline = 0;
	f->o.remote_program = "/opt/bin/sevmig-certs";
	assert_int_equal(fetch(f, "ssh://127.0.0.1", &e), 0);
	argv = read_argv(f);
	assert_string_equal(argv, "-F\n/x/cfg\n-T\n-o\nBatchMode=yes\n-o\n"
				  "ConnectTimeout=7\n--\n127.0.0.1\n"
				  "'/opt/bin/sevmig-certs' 'fetch'\n");
	free(argv);
	assert_non_null(strstr(f->info.source, "ssh://127.0.0.1 ("));
}

static void test_ssh_fails(void **state)
{
	struct fix *f = *state;
	struct sm_err e = { 0 };

	fake_ssh(f, "",
		 "Warning: something\n"
		 "ssh: connect to host h port 22: Connection refused\n",
		 255);
	assert_int_equal(fetch(f, "ssh://h", &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_string_equal(e.msg, "ssh to 'h' failed: ssh: connect to host h "
				   "port 22: Connection refused");

	fake_ssh(
		f, "",
		"sevmig-certs: cannot open SEV device '/dev/sev': No such file or directory\n",
		6);
	assert_int_equal(fetch(f, "ssh://u@h", &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(e.msg, "remote 'fetch' on 'u@h' exited with status "
				   "6: sevmig-certs: cannot open SEV device "
				   "'/dev/sev': No such file or directory");

	fake_ssh(f, "", "sh: 1: sevmig-certs: not found\n", 127);
	assert_int_equal(fetch(f, "ssh://h", &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_string_equal(e.msg, "remote 'fetch' on 'h' exited with status "
				   "127: sh: 1: sevmig-certs: not found");

	fake_ssh(f, "not a bundle\n", "", 0);
	assert_int_equal(fetch(f, "ssh://h", &e), -1);
	assert_int_equal(strncmp(e.msg, "bundle from 'ssh://h': ", 23), 0);

	setenv("SEVMIG_SSH", "sevmig-no-such-ssh -x", 1);
	assert_int_equal(fetch(f, "ssh://h", &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_string_equal(e.msg, "running 'sevmig-no-such-ssh': No such file "
				   "or directory");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_unknown_source),
		T(test_local_no_device),
		T(test_file_dir_gets_roots),
		T(test_file_named_product),
		T(test_file_unsigned_no_chip_id),
		T(test_qmp_kds_naples),
		T(test_qmp_kds_wrong_key),
		T(test_qmp_kds_unsigned),
		T(test_qmp_offline_empty),
		T(test_qmp_error),
		T(test_sim),
		T(test_sim_missing_ask),
		T(test_ssh_bad_urls),
		T(test_ssh_ok),
		T(test_ssh_fails),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
