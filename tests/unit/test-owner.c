// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/engine/owner*.c: every
 * expected value of shared/testdata/sevctl-vectors/README.md (the files
 * are read where they lie: $SEVMIG_SEVCTL_VECTORS, else
 * $SEVMIG_ROOT/../shared/testdata/sevctl-vectors), OVMF's footer table,
 * GUIDs, and the inputs that must be refused.
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
#include <unistd.h>

#include "base/err.h"
#include "base/bytes.h"
#include "base/util.h"
#include "certs/cert.h"
#include "engine/owner.h"
#include "fw/fw.h"
#include "fw/fw-sim.h"
#include "fw/sevcrypto.h"

#define FW_NAME "OVMF.amdsev.fd_trimmed_edk2-ovmf-20220126gitbb1bba3d77-4.el9"
#define NONCE "wxP6tRHCFrFQWxsuqZA8QA=="
#define SECRET_BLOB \
	"TLeA7607lZQntLjRY1/i+sbtdSZ+75zxpz4Px9hzpBLwItF5Q2o4prA++3ZZv9ZS"
#define SECRET_IV "rFR07U3TLH2YnsUj2SVZ7A=="

static char paths[16][512];
static int npaths;

/* A file of the vectors, or skip the test when they are absent. */
static const char *vec(const char *rel)
{
	const char *d = getenv("SEVMIG_SEVCTL_VECTORS");
	const char *root = getenv("SEVMIG_ROOT");
	char *p = paths[npaths++ % 16];

	if (d && d[0])
		snprintf(p, 512, "%s/%s", d, rel);
	else
		snprintf(p, 512, "%s/../shared/testdata/sevctl-vectors/%s",
			 root && root[0] ? root : ".", rel);
	if (access(p, R_OK) != 0) {
		print_message("sevctl vectors not found: %s\n", p);
		skip();
	}
	return p;
}

static void b64(const char *s, uint8_t *out, size_t len)
{
	struct sm_err e;

	assert_int_equal(sm_owner_b64_arg("--x", s, out, len, &e), 0);
}

static void assert_b64(const uint8_t *p, size_t n, const char *want)
{
	char buf[30000];

	assert_true(sm_base64_len(n) < sizeof(buf));
	sm_base64_encode(p, n, buf);
	assert_string_equal(buf, want);
}

/* The common arguments of the README's measurement rows. */
static void common(struct sm_owner_measure_args *a)
{
	struct sm_err e;

	memset(a, 0, sizeof(*a));
	a->li.api_major = 1;
	a->li.api_minor = 40;
	a->li.build = 40;
	a->li.policy = 3;
	assert_int_equal(sm_owner_load_key(vec("measurement/tik1.bin"), "--tik",
					   a->tik, &e),
			 0);
	b64(NONCE, a->mnonce, 16);
}

static void measure_is(const struct sm_owner_measure_args *a, const char *want)
{
	uint8_t blob[48], ld[32];
	struct sm_err e;

	assert_int_equal(sm_owner_measure(a, blob, ld, &e), 0);
	assert_b64(blob, 48, want);
}

static void test_measure_digest(void **state)
{
	struct sm_owner_measure_args a;

	(void)state;
	common(&a);
	a.have_digest = 1;
	b64("xkvRAfyaSizgonxAjZIAkR8TmolUabBKQKb6KJCDDSM=", a.digest, 32);
	measure_is(&a, "lswbxWxI9gckya16JQvdFtpYmNO4b+3inAPpqsgoBI7DE/q1EcIWs"
		       "VBbGy6pkDxA");
}

static void test_measure_firmware(void **state)
{
	struct sm_owner_measure_args a;

	(void)state;
	common(&a);
	a.firmware = vec(FW_NAME);
	measure_is(&a, "oMDewIouJSpbpNRHj7Mk3p08H2dPZQdsZMU14qIymBnDE/q1EcIWs"
		       "VBbGy6pkDxA");
}

static void test_measure_kernel_hashes(void **state)
{
	struct sm_owner_measure_args a;

	(void)state;
	common(&a);
	a.firmware = vec(FW_NAME);
	a.kernel = vec("measurement/vmlinuz-fake");
	a.initrd = vec("measurement/initrd-fake");
	a.cmdline = "foo bar baz fake kernel=cmdline";
	measure_is(&a, "h3auYbWQnVW7EGLWN4Hf9SN0oEYMPU2sK4bLnefWPwvDE/q1EcIWs"
		       "VBbGy6pkDxA");
}

#define ES_BLOB \
	"/o0nzDKE5XgtVnUZWPhUea/WZYrTKLExR7KCwuMdbActvpWfXTFk21KMZIAAhQny"

static void es_args(struct sm_owner_measure_args *a, uint8_t given[48])
{
	common(a);
	a->li.api_major = 1;
	a->li.api_minor = 49;
	a->li.build = 6;
	a->li.policy = 5;
	a->firmware = vec(FW_NAME);
	a->num_cpus = 4;
	a->vmsa_cpu0 = vec("vmsa0.bin");
	a->vmsa_cpu1 = vec("vmsa1.bin");
	b64(ES_BLOB, given, 48);
	memcpy(a->mnonce, given + 32, 16);
}

static void test_measure_es(void **state)
{
	struct sm_owner_measure_args a;
	uint8_t given[48], blob[48], ld[32];
	struct sm_err e;

	(void)state;
	es_args(&a, given);
	measure_is(&a, ES_BLOB);
	assert_int_equal(sm_owner_measure(&a, blob, ld, &e), 0);
	assert_int_equal(sm_owner_measure_check(blob, given, &e), 0);
	/* one vCPU fewer is another launch */
	a.num_cpus = 3;
	assert_int_equal(sm_owner_measure(&a, blob, ld, &e), 0);
	assert_int_equal(sm_owner_measure_check(blob, given, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
}

static void test_measure_other_tik_nonce(void **state)
{
	struct sm_owner_measure_args a;
	uint8_t given[48], blob[48], ld[32];
	struct sm_err e;

	(void)state;
	es_args(&a, given);
	a.tik[0] ^= 1;
	assert_int_equal(sm_owner_measure(&a, blob, ld, &e), 0);
	assert_int_equal(sm_owner_measure_check(blob, given, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	es_args(&a, given);
	a.mnonce[15] ^= 1;
	assert_int_equal(sm_owner_measure(&a, blob, ld, &e), 0);
	assert_int_equal(sm_owner_measure_check(blob, given, &e), -1);
}

static void test_measure_bad_args(void **state)
{
	struct sm_owner_measure_args a;
	uint8_t blob[48], ld[32], given[48];
	struct sm_err e;

	(void)state;
	common(&a);
	assert_int_equal(sm_owner_measure(&a, blob, ld, &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
	assert_string_equal(e.msg,
			    "one of --launch-digest or --firmware is needed");
	a.firmware = vec(FW_NAME);
	a.kernel = vec("measurement/vmlinuz-fake");
	assert_int_equal(sm_owner_measure(&a, blob, ld, &e), -1);
	assert_string_equal(e.msg,
			    "--kernel, --initrd and --cmdline go together");
	es_args(&a, given);
	a.vmsa_cpu1 = NULL;
	assert_int_equal(sm_owner_measure(&a, blob, ld, &e), -1);
	assert_string_equal(e.msg, "policy 0x5 has SEV-ES (0x4): --num-cpus, "
				   "--vmsa-cpu0 and --vmsa-cpu1 are needed");
	es_args(&a, given);
	a.vmsa_cpu1 = vec("measurement/tik1.bin");
	assert_int_equal(sm_owner_measure(&a, blob, ld, &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
	assert_non_null(strstr(e.msg, "is 16 bytes, not 4096 (a VMSA page)"));
	/* the kernel hashes need OVMF's hashes table area */
	common(&a);
	a.firmware = vec("vmsa0.bin");
	a.kernel = vec("measurement/vmlinuz-fake");
	a.initrd = vec("measurement/initrd-fake");
	a.cmdline = "x";
	assert_int_equal(sm_owner_measure(&a, blob, ld, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_non_null(strstr(e.msg, "cannot take --kernel: no OVMF table "
				      "footer"));
}

static void test_ovmf_table(void **state)
{
	uint8_t *fw = NULL, g[16];
	const uint8_t *d;
	size_t len = 0, dlen = 0;
	struct sm_err e;

	(void)state;
	assert_int_equal(sm_read_file(vec(FW_NAME), 1 << 20, &fw, &len, &e), 0);
	/* the SEV hashes table area: base 0x80cc00, size 0x400 */
	sm_guid_parse("7255371f-3a3b-4b04-927b-1da6efa8d454", g);
	assert_int_equal(sm_ovmf_table_find(fw, len, g, &d, &dlen, &e), 0);
	assert_int_equal(dlen, 8);
	assert_int_equal(d[0] | d[1] << 8 | d[2] << 16, 0x80cc00);
	assert_int_equal(d[4] | d[5] << 8, 0x400);
	/* the secret area: base 0x80c000, size 0xc00 */
	sm_guid_parse("4c2eb361-7d9b-4cc3-8081-127c90d3d294", g);
	assert_int_equal(sm_ovmf_table_find(fw, len, g, &d, &dlen, &e), 0);
	assert_int_equal(d[0] | d[1] << 8 | d[2] << 16, 0x80c000);
	sm_guid_parse("00000000-0000-0000-0000-000000000001", g);
	assert_int_equal(sm_ovmf_table_find(fw, len, g, &d, &dlen, &e), 1);
	/* a table length past the image, an entry length past the table */
	fw[len - 0x32] = 0xff;
	fw[len - 0x31] = 0xff;
	assert_int_equal(sm_ovmf_table_find(fw, len, g, &d, &dlen, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	fw[len - 0x32] = 0x72;
	fw[len - 0x31] = 0;
	fw[len - 0x44] = 0xf0;
	assert_int_equal(sm_ovmf_table_find(fw, len, g, &d, &dlen, &e), -1);
	assert_non_null(strstr(e.msg, "has a bad length 240"));
	assert_int_equal(sm_ovmf_table_find(fw, 40, g, &d, &dlen, &e), -1);
	free(fw);
}

static void test_guid(void **state)
{
	uint8_t g[16];
	char s[37];

	(void)state;
	assert_int_equal(
		sm_guid_parse("1E74F542-71dd-4d66-963e-ef4287ff173b", g), 0);
	assert_int_equal(g[0], 0x42);
	assert_int_equal(g[3], 0x1e);
	assert_int_equal(g[4], 0xdd);
	assert_int_equal(g[8], 0x96);
	sm_guid_format(g, s);
	assert_string_equal(s, "1e74f542-71dd-4d66-963e-ef4287ff173b");
	assert_int_equal(
		sm_guid_parse("1e74f542-71dd-4d66-963e-ef4287ff173", g), -1);
	assert_int_equal(
		sm_guid_parse("1e74f542-71dd-4d66-963e-ef4287ff173g", g), -1);
	assert_int_equal(
		sm_guid_parse("1e74f54271dd-4d66-963e-ef4287ff173b0", g), -1);
	assert_int_equal(sm_guid_parse(NULL, g), -1);
}

static void test_inputs(void **state)
{
	uint8_t k[16], n[16];
	struct sm_owner_secret s;
	struct sm_err e;

	(void)state;
	assert_int_equal(sm_owner_load_key(vec("secret/secret1.txt"), "--tek",
					   k, &e),
			 -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
	assert_non_null(strstr(e.msg, "secret1.txt' is 18 bytes, not 16"));
	assert_int_equal(sm_owner_b64_arg("--nonce", "wxP6!!", n, 16, &e), -1);
	assert_string_equal(e.msg, "--nonce: 'wxP6!!' is not base64");
	assert_int_equal(sm_owner_b64_arg("--nonce", "AAAA", n, 16, &e), -1);
	assert_string_equal(e.msg,
			    "--nonce: 'AAAA' decodes to 3 bytes, not 16");
	assert_int_equal(sm_owner_secret_parse("nocolon", &s, &e), -1);
	assert_string_equal(e.msg, "--secret 'nocolon' is not GUID:FILE");
	assert_int_equal(
		sm_owner_secret_parse("736869e5-84f0-4973-92ec-06879ce3da0x:f",
				      &s, &e),
		-1);
	assert_string_equal(e.msg, "--secret: "
				   "'736869e5-84f0-4973-92ec-06879ce3da0x' is "
				   "not a GUID");
	assert_int_equal(sm_owner_secret_parse(
				 "736869e5-84f0-4973-92ec-06879ce3da0b:a:b", &s,
				 &e),
			 0);
	assert_string_equal(s.path, "a:b");
}

static void secret_args(struct sm_owner_secret_args *a)
{
	uint8_t blob[48];
	struct sm_err e;

	memset(a, 0, sizeof(*a));
	assert_int_equal(sm_owner_load_key(vec("secret/tik1.bin"), "--tik",
					   a->tik, &e),
			 0);
	assert_int_equal(sm_owner_load_key(vec("secret/tek1.bin"), "--tek",
					   a->tek, &e),
			 0);
	b64(SECRET_BLOB, blob, 48);
	memcpy(a->measure, blob, 32);
	a->have_iv = 1;
	b64(SECRET_IV, a->iv, 16);
}

static void secret_is(const struct sm_owner_secret_args *a,
		      const char *want_hdr, const char *want_payload)
{
	uint8_t hdr[SM_SECRET_HDR_LEN], *p = NULL;
	size_t n = 0;
	struct sm_err e;

	assert_int_equal(sm_owner_secret_build(a, hdr, &p, &n, &e), 0);
	assert_b64(hdr, sizeof(hdr), want_hdr);
	assert_b64(p, n, want_payload);
	free(p);
}

static void test_secret_vectors(void **state)
{
	struct sm_owner_secret_args a;
	struct sm_owner_secret s[2];
	struct sm_err e;

	(void)state;
	secret_args(&a);
	assert_int_equal(sm_guid_parse("736869e5-84f0-4973-92ec-06879ce3da0b",
				       s[0].guid),
			 0);
	s[0].path = vec("secret/secret1.txt");
	assert_int_equal(sm_guid_parse("736869e5-aaaa-4973-92ec-06879ce3da0b",
				       s[1].guid),
			 0);
	s[1].path = vec("secret/secret2.txt");
	a.secrets = s;
	a.nsecrets = 1;
	secret_is(&a,
		  "AAAAAKxUdO1N0yx9mJ7FI9klWey8FSzeYQ4X8K71VzNKLU/KQsIsQxLjtb"
		  "haPUewqshX5Q==",
		  "0U3e5PcXv0UW+H4tSBFKOdCYfKE1+j38Bc2fuO16mYiyI+sWx7INfn+lgYj"
		  "56GL12yyinDa+lVfCCwD/2w5cPA==");
	a.nsecrets = 2;
	secret_is(&a,
		  "AAAAAKxUdO1N0yx9mJ7FI9klWeyZ3r0dOEKHUOhIRqzGYYvTJgdMtBPL1n"
		  "K6GD9aGET7Ng==",
		  "0U3e5PcXv0UW+H4tSBFKObWYfKE1+j38Bc2fuO16mYiyI+sWx7INfn+lgYj"
		  "56GL12yyinDa+lVfCC+WWs332lpLNUX1ZI3YK7vYgtys4X+uGxEIlkIQ90v"
		  "8/w8ZFmQMe");
	(void)e;
}

static void test_secret_sizes(void **state)
{
	struct sm_owner_secret_args a;
	struct sm_owner_secret s;
	uint8_t hdr[SM_SECRET_HDR_LEN], hdr2[SM_SECRET_HDR_LEN], *p = NULL,
								 *p2 = NULL;
	size_t n = 0, n2 = 0;
	struct sm_err e;

	(void)state;
	secret_args(&a);
	sm_guid_parse("23058844-597b-42fb-8259-a0f5d9d495af", s.guid);
	a.secrets = &s;
	a.nsecrets = 1;
	s.path = vec("secret/secret3.txt");
	assert_int_equal(sm_owner_secret_build(&a, hdr, &p, &n, &e), 0);
	assert_int_equal(n, 16384);
	free(p);
	s.path = vec("secret/secret4.txt");
	assert_int_equal(sm_owner_secret_build(&a, hdr, &p, &n, &e), 0);
	assert_int_equal(n, 16384);
	free(p);
	/* without an IV, two runs differ */
	a.have_iv = 0;
	s.path = vec("secret/secret1.txt");
	assert_int_equal(sm_owner_secret_build(&a, hdr, &p, &n, &e), 0);
	assert_int_equal(sm_owner_secret_build(&a, hdr2, &p2, &n2, &e), 0);
	assert_int_equal(n, n2);
	assert_memory_not_equal(hdr + 4, hdr2 + 4, 16);
	assert_memory_not_equal(p, p2, n);
	free(p);
	free(p2);
}

static void test_secret_too_big(void **state)
{
	struct sm_owner_secret_args a;
	struct sm_owner_secret s;
	uint8_t hdr[SM_SECRET_HDR_LEN], *p = NULL, *buf;
	char dir[128], path[256];
	size_t n = 0;
	struct sm_err e;

	(void)state;
	secret_args(&a);
	snprintf(dir, sizeof(dir), "%s/sevmig-owner-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big", dir);
	buf = calloc(1, 16345);
	assert_int_equal(sm_write_file_atomic(path, buf, 16345, 0600, &e), 0);
	free(buf);
	sm_guid_parse("23058844-597b-42fb-8259-a0f5d9d495af", s.guid);
	s.path = path;
	a.secrets = &s;
	a.nsecrets = 1;
	assert_int_equal(sm_owner_secret_build(&a, hdr, &p, &n, &e), -1);
	assert_int_equal(e.code, SM_EXIT_USAGE);
	assert_string_equal(e.msg, "the secret table is 16400 bytes padded, "
				   "over the 16384 bytes of OVMF's secret "
				   "area");
	assert_null(p);
	unlink(path);
	rmdir(dir);
}

static void test_policy(void **state)
{
	struct sm_owner_policy p;
	char *j;

	(void)state;
	sm_owner_policy_decode(0x3, &p);
	assert_true(p.flag[0].set && p.flag[1].set && !p.flag[2].set);
	assert_true(p.psp_migration && p.redirectable);
	sm_owner_policy_decode(0x8, &p);
	assert_false(p.psp_migration);
	assert_false(p.redirectable);
	assert_string_equal(p.migration, "no PSP migration (NOSEND)");
	sm_owner_policy_decode(0x10, &p);
	assert_false(p.redirectable);
	sm_owner_policy_decode(0x31000025, &p);
	assert_int_equal(p.api_major, 0);
	assert_int_equal(p.api_minor, 0x31);
	assert_false(p.redirectable);
	sm_owner_policy_decode(0x00010021, &p);
	assert_int_equal(p.api_major, 1);
	assert_int_equal(p.reserved, 0);
	sm_owner_policy_decode(0x8040, &p);
	assert_int_equal(p.reserved, 0x8040);
	j = sm_owner_policy_json(&p);
	assert_non_null(strstr(j, "\"schema\": \"sevmig-owner-policy/1\""));
	assert_non_null(strstr(j, "\"reserved\": \"0x8040\""));
	free(j);
}

/* Read DIR/name (base64) into out of exactly len bytes. */
static void read_b64(const char *dir, const char *name, uint8_t *out,
		     size_t len)
{
	char path[600];
	uint8_t *text = NULL;
	size_t n = 0;
	struct sm_err e;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(sm_read_file(path, 1 << 16, &text, &n, &e), 0);
	text[n] = 0;
	assert_int_equal(sm_base64_decode((char *)text, out, len),
			 (ssize_t)len);
	free(text);
}

/*
 * A session for a simulated host opens with that host's PDH key, as
 * LAUNCH_START would open it, and carries the given TEK and TIK.
 */
static void test_session(void **state)
{
	struct sm_sim_platform_opts o = { .ark_bits = 2048 };
	struct sm_owner_session_args a;
	struct sm_owner_session_out out;
	struct sm_sev_cert godh;
	struct sm_key *pdh = NULL;
	struct sm_tk tk;
	uint8_t raw[SM_SEV_CERT_LEN], blob[SM_SESSION_LEN], z[48];
	char dir[128], host[200], ark[220], key[220], outdir[220], path[300];
	struct sm_err e;
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/sevmig-owner-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(host, sizeof(host), "%s/host", dir);
	snprintf(ark, sizeof(ark), "%s/ark.cert", host);
	snprintf(key, sizeof(key), "%s/pdh.key", host);
	snprintf(outdir, sizeof(outdir), "%s/out", dir);
	assert_int_equal(sm_fw_sim_platform_init(host, &o, &e), 0);

	memset(&a, 0, sizeof(a));
	a.bundle = host;
	a.ark = ark;
	a.policy = 0x5;
	a.have_keys = 1;
	memset(a.tek, 0x11, 16);
	memset(a.tik, 0x22, 16);
	a.dir = outdir;
	assert_int_equal(sm_owner_session(&a, &out, &e), 0);
	assert_true(out.verify.ok);

	read_b64(outdir, SM_OWNER_GODH_FILE, raw, sizeof(raw));
	assert_int_equal(sm_sev_cert_pdh_sane(raw, sizeof(raw), &e), 0);
	assert_int_equal(sm_sev_cert_parse(raw, sizeof(raw), &godh, &e), 0);
	read_b64(outdir, SM_OWNER_SESSION_FILE, blob, sizeof(blob));
	assert_int_equal(sm_key_load_pem(key, &pdh, &e), 0);
	assert_int_equal(sm_key_ecdh(pdh, &godh, z, &e), 0);
	assert_int_equal(sm_session_open(z, 48, blob, 0x5, &tk, &e), 0);
	assert_memory_equal(tk.tek, a.tek, 16);
	assert_memory_equal(tk.tik, a.tik, 16);
	/* the policy is bound: another one does not open */
	assert_int_equal(sm_session_open(z, 48, blob, 0x1, &tk, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	snprintf(path, sizeof(path), "%s/%s", outdir, SM_OWNER_TIK_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 16);
	sm_key_free(pdh);

	/* without --ark, a simulated chain does not verify: nothing written */
	a.ark = NULL;
	snprintf(outdir, sizeof(outdir), "%s/out2", dir);
	a.dir = outdir;
	assert_int_equal(sm_owner_session(&a, &out, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_int_equal(access(outdir, F_OK), -1);

	/* a host whose PDH is signed by another PEK fails PEK signs PDH */
	snprintf(path, sizeof(path), "%s/other", dir);
	assert_int_equal(sm_fw_sim_platform_init(path, &o, &e), 0);
	{
		uint8_t *b = NULL;
		size_t n = 0;
		char src[320], dst[320];

		snprintf(src, sizeof(src), "%s/pdh.cert", path);
		snprintf(dst, sizeof(dst), "%s/pdh.cert", host);
		assert_int_equal(sm_read_file(src, 4096, &b, &n, &e), 0);
		assert_int_equal(sm_write_file_atomic(dst, b, n, 0644, &e), 0);
		free(b);
	}
	a.ark = ark;
	assert_int_equal(sm_owner_session(&a, &out, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_int_equal(out.verify.status[SM_LINK_PDH_BY_PEK], SM_LINK_FAILED);
	assert_int_equal(access(outdir, F_OK), -1);
	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
	}
}

/*
 * The owner's session, measurement and secret against the simulated
 * firmware's LAUNCH_* commands (fw-sim), SEV-ES with sevctl's OVMF, VMSAs
 * and nonce: LAUNCH_START opens the session, LAUNCH_MEASURE returns the
 * blob measure expects, a secret for another measurement is refused and
 * the right one decrypts to the OVMF secret table.
 */
static void test_with_sim_firmware(void **state)
{
	struct sm_sim_platform_opts o = { .ark_bits = 2048 };
	struct sm_owner_session_args sa;
	struct sm_owner_session_out so;
	struct sm_fw_sim_launch la;
	struct sm_sim_platform_info pi;
	struct sm_owner_measure_args ma;
	struct sm_owner_secret_args xa;
	struct sm_owner_secret sec;
	struct sm_fw *fw = NULL;
	uint8_t godh[SM_SEV_CERT_LEN], sess[SM_SESSION_LEN], nonce[16];
	uint8_t got[48], want[48], ld[32], hdr[SM_SECRET_HDR_LEN];
	uint8_t *img = NULL, *v0 = NULL, *v1 = NULL, *pay = NULL, *plain;
	size_t img_len = 0, n = 0, plen = 0;
	char dir[128], host[200], ark[220], out[220], cmd[200];
	struct sm_err e;
	unsigned i;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/sevmig-owner-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(host, sizeof(host), "%s/host", dir);
	snprintf(ark, sizeof(ark), "%s/ark.cert", host);
	snprintf(out, sizeof(out), "%s/out", dir);
	assert_int_equal(sm_fw_sim_platform_init(host, &o, &e), 0);

	memset(&sa, 0, sizeof(sa));
	sa.bundle = host;
	sa.ark = ark;
	sa.policy = 0x5;
	sa.have_keys = 1;
	assert_int_equal(sm_owner_load_key(vec("secret/tek1.bin"), "--tek",
					   sa.tek, &e),
			 0);
	assert_int_equal(sm_owner_load_key(vec("secret/tik1.bin"), "--tik",
					   sa.tik, &e),
			 0);
	sa.dir = out;
	assert_int_equal(sm_owner_session(&sa, &so, &e), 0);
	read_b64(out, SM_OWNER_GODH_FILE, godh, sizeof(godh));
	read_b64(out, SM_OWNER_SESSION_FILE, sess, sizeof(sess));

	/* the VMM's launch: LAUNCH_START, the image, the VMSAs, MEASURE */
	assert_int_equal(sm_fw_sim_open(host, &fw, &e), 0);
	memset(&la, 0, sizeof(la));
	la.policy = 0x5;
	la.nvcpus = 4;
	la.godh = godh;
	la.session = sess;
	assert_int_equal(sm_fw_sim_launch_start(fw, &la, &e), 0);
	assert_int_equal(
		sm_read_file(vec(FW_NAME), 1 << 20, &img, &img_len, &e), 0);
	assert_int_equal(sm_fw_sim_launch_update_data(fw, img, img_len, &e), 0);
	assert_int_equal(sm_read_file(vec("vmsa0.bin"), 4096, &v0, &n, &e), 0);
	assert_int_equal(sm_read_file(vec("vmsa1.bin"), 4096, &v1, &n, &e), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(sm_fw_sim_launch_update_vmsa(fw, i,
							      i ? v1 : v0, &e),
				 0);
	b64(ES_BLOB, want, 48);
	memcpy(nonce, want + 32, 16);
	sm_fw_sim_test_mnonce(fw, nonce);
	assert_int_equal(sm_fw_sim_launch_measure(fw, got, &e), 0);
	assert_int_equal(sm_fw_sim_platform_info(fw, &pi, &e), 0);

	/* the owner's expectation for this platform, policy and image */
	memset(&ma, 0, sizeof(ma));
	ma.li.api_major = pi.api_major;
	ma.li.api_minor = pi.api_minor;
	ma.li.build = pi.build;
	ma.li.policy = 0x5;
	memcpy(ma.tik, sa.tik, 16);
	memcpy(ma.mnonce, got + 32, 16);
	ma.firmware = vec(FW_NAME);
	ma.num_cpus = 4;
	ma.vmsa_cpu0 = vec("vmsa0.bin");
	ma.vmsa_cpu1 = vec("vmsa1.bin");
	assert_int_equal(sm_owner_measure(&ma, want, ld, &e), 0);
	assert_int_equal(sm_owner_measure_check(want, got, &e), 0);

	/* a secret bound to another measurement: refused, nothing decrypted */
	memset(&xa, 0, sizeof(xa));
	memcpy(xa.tek, sa.tek, 16);
	memcpy(xa.tik, sa.tik, 16);
	memcpy(xa.measure, got, 32);
	xa.measure[0] ^= 1;
	sm_guid_parse("736869e5-84f0-4973-92ec-06879ce3da0b", sec.guid);
	sec.path = vec("secret/secret1.txt");
	xa.secrets = &sec;
	xa.nsecrets = 1;
	assert_int_equal(sm_owner_secret_build(&xa, hdr, &pay, &plen, &e), 0);
	plain = calloc(1, plen);
	assert_int_equal(sm_fw_sim_launch_secret(fw, hdr, pay, plen, plain, &e),
			 -1);
	assert_true(sm_all_zero(plain, plen));
	free(pay);
	pay = NULL;
	/* the right one: the guest gets the OVMF secret table */
	xa.measure[0] ^= 1;
	assert_int_equal(sm_owner_secret_build(&xa, hdr, &pay, &plen, &e), 0);
	assert_int_equal(sm_fw_sim_launch_secret(fw, hdr, pay, plen, plain, &e),
			 0);
	{
		uint8_t g[16];

		sm_guid_parse("1e74f542-71dd-4d66-963e-ef4287ff173b", g);
		assert_memory_equal(plain, g, 16);
		assert_memory_equal(plain + 20, sec.guid, 16);
		assert_memory_equal(plain + 40, "MY-LUKS-PASSPHRASE", 18);
	}
	assert_int_equal(sm_fw_sim_launch_finish(fw, &e), 0);
	sm_fw_close(fw);
	free(plain);
	free(pay);
	free(img);
	free(v0);
	free(v1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_measure_digest),
		cmocka_unit_test(test_measure_firmware),
		cmocka_unit_test(test_measure_kernel_hashes),
		cmocka_unit_test(test_measure_es),
		cmocka_unit_test(test_measure_other_tik_nonce),
		cmocka_unit_test(test_measure_bad_args),
		cmocka_unit_test(test_ovmf_table),
		cmocka_unit_test(test_guid),
		cmocka_unit_test(test_inputs),
		cmocka_unit_test(test_secret_vectors),
		cmocka_unit_test(test_secret_sizes),
		cmocka_unit_test(test_secret_too_big),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_with_sim_firmware),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
