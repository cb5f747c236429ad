// SPDX-License-Identifier: MIT
/* Unit tests for lib/certs/bundle.c and lib/base/json.c. */
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

#include "certs/bundle.h"
#include "certs/cert.h"
#include "base/ossl.h"
#include "certs/roots.h"
#include "base/util.h"

#include "certs-common.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-bundle.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void full_chain(const char *product, enum sm_product p,
		       struct sm_chain *ch)
{
	rd_chain(product, ch);
	ch->ask = *sm_roots_ask(p);
	ch->ark = *sm_roots_ark(p);
	ch->have = SM_HAVE_ALL;
}

static void assert_same_chain(const struct sm_chain *a,
			      const struct sm_chain *b)
{
	assert_int_equal(a->have, b->have);
	if (a->have & SM_HAVE_PDH)
		assert_memory_equal(a->pdh.raw, b->pdh.raw, SM_SEV_CERT_LEN);
	if (a->have & SM_HAVE_PEK)
		assert_memory_equal(a->pek.raw, b->pek.raw, SM_SEV_CERT_LEN);
	if (a->have & SM_HAVE_OCA)
		assert_memory_equal(a->oca.raw, b->oca.raw, SM_SEV_CERT_LEN);
	if (a->have & SM_HAVE_CEK)
		assert_memory_equal(a->cek.raw, b->cek.raw, SM_SEV_CERT_LEN);
	if (a->have & SM_HAVE_ASK) {
		assert_int_equal(a->ask.len, b->ask.len);
		assert_memory_equal(a->ask.raw, b->ask.raw, a->ask.len);
	}
	if (a->have & SM_HAVE_ARK) {
		assert_int_equal(a->ark.len, b->ark.len);
		assert_memory_equal(a->ark.raw, b->ark.raw, a->ark.len);
	}
}

static void test_roundtrip(void **state)
{
	struct sm_bundle_info info, info2;
	struct sm_verify_result r;
	struct sm_chain ch, ch2;
	struct sm_err e;
	char *text, *text2;

	(void)state;
	full_chain("milan", SM_PRODUCT_MILAN, &ch);
	memset(&info, 0, sizeof(info));
	info.product = SM_PRODUCT_MILAN;
	info.chip_id_len = 64;
	memset(info.chip_id, 0xab, 64);
	info.have_api = 1;
	info.api_major = 1;
	info.api_minor = 28;
	snprintf(info.source, sizeof(info.source), "file:x");
	assert_int_equal(sm_bundle_encode(&ch, &info, &text, &e), 0);
	assert_non_null(strstr(text, "{\n  \"api_version\": \"1.28\",\n"));
	assert_non_null(strstr(text, "\"schema\": \"sevmig-certs/1\""));
	assert_non_null(strstr(text, "\"product\": \"milan\""));
	assert_int_equal(text[strlen(text) - 1], '\n');
	assert_int_equal(sm_bundle_decode(text, strlen(text), &ch2, &info2, &e),
			 0);
	assert_same_chain(&ch, &ch2);
	assert_int_equal(info2.product, SM_PRODUCT_MILAN);
	assert_int_equal(info2.chip_id_len, 64);
	assert_memory_equal(info2.chip_id, info.chip_id, 64);
	assert_int_equal(info2.have_api, 1);
	assert_int_equal(info2.api_minor, 28);
	assert_string_equal(info2.source, "file:x");
	assert_int_equal(sm_chain_verify(&ch2, NULL, &r, &e), 0);
	/* encoding is deterministic */
	assert_int_equal(sm_bundle_encode(&ch2, &info2, &text2, &e), 0);
	assert_string_equal(text, text2);
	free(text);
	free(text2);
	/* a source that is not UTF-8 (file names are bytes) still encodes */
	snprintf(info.source, sizeof(info.source), "file 'a\xff\xfe b'");
	assert_int_equal(sm_bundle_encode(&ch, &info, &text, &e), 0);
	assert_non_null(strstr(text, "\"source\": \"file 'a?? b'\""));
	free(text);
	/* a partial chain, no info */
	ch.have = SM_HAVE_PDH | SM_HAVE_CEK;
	assert_int_equal(sm_bundle_encode(&ch, NULL, &text, &e), 0);
	assert_null(strstr(text, "product"));
	assert_null(strstr(text, "\"pek\""));
	assert_int_equal(sm_bundle_decode(text, strlen(text), &ch2, &info2, &e),
			 0);
	assert_int_equal(ch2.have, SM_HAVE_PDH | SM_HAVE_CEK);
	assert_int_equal(info2.product, SM_PRODUCT_UNKNOWN);
	assert_int_equal(info2.have_api, 0);
	free(text);
}

static void expect_decode(const char *text, enum sm_exit code, const char *msg)
{
	struct sm_bundle_info info;
	struct sm_chain ch;
	struct sm_err e;

	assert_int_equal(sm_bundle_decode(text, strlen(text), &ch, &info, &e),
			 -1);
	if (strcmp(e.msg, msg) != 0)
		fprintf(stderr, "got: %s\n", e.msg);
	assert_string_equal(e.msg, msg);
	assert_int_equal(e.code, code);
}

static void test_decode_errors(void **state)
{
	struct sm_chain ch;
	struct sm_err e;
	char *text, *p, buf[32768];

	(void)state;
	expect_decode(
		"{\n  \"schema\": \"sevmig-certs/1\",\n  oops\n}\n",
		SM_EXIT_VERIFY,
		"invalid JSON in 'bundle' at line 3, column 6: string or '}' expected near 'oops'");
	expect_decode(
		"", SM_EXIT_VERIFY,
		"invalid JSON in 'bundle' at line 1, column 0: '[' or '{' expected near end of file");
	expect_decode("[]", SM_EXIT_VERIFY, "a bundle must be a JSON object");
	expect_decode("{}", SM_EXIT_VERIFY, "bundle has no \"schema\" string");
	expect_decode("{\"schema\": 1}", SM_EXIT_VERIFY,
		      "bundle has no \"schema\" string");
	expect_decode(
		"{\"schema\": \"sevmig-certs/2\", \"x\": 1}",
		SM_EXIT_UNSUPPORTED,
		"unsupported bundle schema 'sevmig-certs/2' (this version reads 'sevmig-certs/1')");
	expect_decode("{\"schema\": \"other/1\"}", SM_EXIT_VERIFY,
		      "unknown schema 'other/1', expected 'sevmig-certs/1'");
	expect_decode("{\"schema\": \"sevmig-certs/1\", \"extra\": 1}",
		      SM_EXIT_VERIFY,
		      "bad bundle: 1 object item(s) left unpacked: extra");
	expect_decode("{\"schema\": \"sevmig-certs/1\", \"pdh\": 5}",
		      SM_EXIT_VERIFY,
		      "bad bundle: Expected string, got integer");
	expect_decode(
		"{\"schema\": \"sevmig-certs/1\", \"schema\": \"x\"}",
		SM_EXIT_VERIFY,
		"invalid JSON in 'bundle' at line 1, column 37: duplicate object key near '\"schema\"'");
	expect_decode(
		"{\"schema\": \"sevmig-certs/1\", \"product\": \"venice\"}",
		SM_EXIT_VERIFY, "bundle names unknown product 'venice'");
	expect_decode("{\"schema\": \"sevmig-certs/1\", \"chip_id\": \"xyz\"}",
		      SM_EXIT_VERIFY,
		      "bundle chip_id is not hex of 1 to 64 bytes");
	expect_decode(
		"{\"schema\": \"sevmig-certs/1\", \"api_version\": \"1\"}",
		SM_EXIT_VERIFY, "bundle api_version '1' is not MAJOR.MINOR");
	expect_decode("{\"schema\": \"sevmig-certs/1\", \"pdh\": \"@@\"}",
		      SM_EXIT_VERIFY,
		      "bundle field 'pdh' is not base64 of a certificate");
	expect_decode(
		"{\"schema\": \"sevmig-certs/1\", \"ark\": \"AAAA\"}",
		SM_EXIT_VERIFY,
		"bundle field 'ark': truncated AMD certificate: 3 bytes, the header alone has 64");

	/* a certificate in another's slot: swap "pek" and "pdh" keys */
	full_chain("rome", SM_PRODUCT_ROME, &ch);
	assert_int_equal(sm_bundle_encode(&ch, NULL, &text, &e), 0);
	snprintf(buf, sizeof(buf), "%s", text);
	p = strstr(buf, "\"pdh\"");
	memcpy(p, "\"pex\"", 5);
	p = strstr(buf, "\"pek\"");
	memcpy(p, "\"pdh\"", 5);
	p = strstr(buf, "\"pex\"");
	memcpy(p, "\"pek\"", 5);
	expect_decode(buf, SM_EXIT_VERIFY, "bundle field 'pdh' holds a PEK");
	/* the ASK in the ARK field */
	snprintf(buf, sizeof(buf), "%s", text);
	p = strstr(buf, "\"ark\"");
	memcpy(p, "\"arx\"", 5);
	p = strstr(buf, "\"ask\"");
	memcpy(p, "\"ark\"", 5);
	p = strstr(buf, "\"arx\"");
	memcpy(p, "\"ask\"", 5);
	expect_decode(buf, SM_EXIT_VERIFY, "bundle field 'ask' holds an ARK");
	free(text);
}

static void write_tmp(const char *name, const void *buf, size_t len, char *path,
		      size_t n)
{
	struct sm_err e;

	snprintf(path, n, "%s/%s", tmpdir, name);
	assert_int_equal(sm_write_file_atomic(path, buf, len, 0644, &e), 0);
}

static void test_load_files(void **state)
{
	struct sm_bundle_info info;
	struct sm_chain ch;
	struct sm_err e;
	char path[4096];

	(void)state;
	/* a directory of the real files */
	memset(&ch, 0, sizeof(ch));
	memset(&info, 0, sizeof(info));
	snprintf(path, sizeof(path), "%s/virtee-sev/tests-naples", certs_dir());
	assert_int_equal(sm_certs_load(path, &ch, &info, &e), 0);
	assert_int_equal(ch.have,
			 SM_HAVE_PDH | SM_HAVE_PEK | SM_HAVE_OCA | SM_HAVE_CEK);
	assert_int_equal(info.have_api, 1);
	assert_int_equal(info.api_minor, 16);
	assert_non_null(strstr(info.source, "directory '"));
	/* merged with the built-in directory of AMD certs */
	snprintf(path, sizeof(path), "%s/virtee-sev/builtin-naples",
		 certs_dir());
	assert_int_equal(sm_certs_load(path, &ch, &info, &e), 0);
	assert_int_equal(ch.have, SM_HAVE_ALL);

	/* ASK||ARK file */
	memset(&ch, 0, sizeof(ch));
	snprintf(path, sizeof(path),
		 "%s/virtee-sev/naples-ask_ark/ask_ark.cert", certs_dir());
	assert_int_equal(sm_certs_load(path, &ch, NULL, &e), 0);
	assert_int_equal(ch.have, SM_HAVE_ASK | SM_HAVE_ARK);
	assert_memory_equal(ch.ark.raw, sm_roots_ark(SM_PRODUCT_NAPLES)->raw,
			    SM_AMD_CERT_2K);

	/* PEK||OCA||CEK */
	memset(&ch, 0, sizeof(ch));
	snprintf(path, sizeof(path),
		 "%s/virtee-sev/naples-2019-early/pek_oca_cek.cert",
		 certs_dir());
	assert_int_equal(sm_certs_load(path, &ch, NULL, &e), 0);
	assert_int_equal(ch.have, SM_HAVE_PEK | SM_HAVE_OCA | SM_HAVE_CEK);
	assert_true(sm_sev_cert_is_unsigned(&ch.cek));

	/* one SEV cert, one AMD cert, the unsigned Naples ARK */
	memset(&ch, 0, sizeof(ch));
	snprintf(path, sizeof(path), "%s/virtee-sev/tests-rome/oca.cert",
		 certs_dir());
	assert_int_equal(sm_certs_load(path, &ch, NULL, &e), 0);
	assert_int_equal(ch.have, SM_HAVE_OCA);
	snprintf(path, sizeof(path), "%s/virtee-sev/builtin-genoa/ask.cert",
		 certs_dir());
	assert_int_equal(sm_certs_load(path, &ch, NULL, &e), 0);
	assert_int_equal(ch.have, SM_HAVE_OCA | SM_HAVE_ASK);
	snprintf(path, sizeof(path), "%s/virtee-sev/tests-naples/ark.cert.bad",
		 certs_dir());
	assert_int_equal(sm_certs_load(path, &ch, NULL, &e), 0);
	assert_int_equal(ch.ark.has_signature, 0);

	/* the hex-text CEK of AMDSEV#18 */
	snprintf(path, sizeof(path),
		 "%s/virtee-sev/naples-2019-early/cek_ask.cert", certs_dir());
	assert_int_equal(sm_certs_load(path, &ch, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "invalid certificate '"));
	assert_non_null(strstr(
		e.msg,
		"cek_ask.cert': signature slot 2 usage is 0x0010 instead of 0x1000 (empty): the 2019 KDS bug AMDESE/AMDSEV#18 (the input was hex text)"));

	/* sev-tool's --pdh_cert_export directory: pdh.cert, cert_chain.cert */
	memset(&ch, 0, sizeof(ch));
	snprintf(path, sizeof(path), "%s/naos-sev-tool/milan-export-2782152",
		 certs_dir());
	assert_int_equal(sm_certs_load(path, &ch, NULL, &e), 0);
	assert_int_equal(ch.have,
			 SM_HAVE_PDH | SM_HAVE_PEK | SM_HAVE_OCA | SM_HAVE_CEK);
	assert_true(sm_sev_cert_is_unsigned(&ch.cek));
	assert_false(sm_sev_cert_is_unsigned(&ch.pek));

	/* missing file */
	assert_int_equal(sm_certs_load("/nonexistent/x", &ch, NULL, &e), -1);
	assert_int_equal(e.code, SM_EXIT_IO);
}

static void test_load_dir_errors(void **state)
{
	struct sm_chain ch;
	struct sm_err e;
	char path[4096], sub[4096], p2[4096];
	size_t len;
	uint8_t *b;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/d", tmpdir);
	assert_int_equal(mkdir(sub, 0755), 0);
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(sm_certs_load(sub, &ch, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "no certificate in directory"));
	/* a CEK under the name pek.cert */
	b = rd("virtee-sev/tests-milan/cek.cert", &len);
	write_tmp("d/pek.cert", b, len, path, sizeof(path));
	free(b);
	assert_int_equal(sm_certs_load(sub, &ch, NULL, &e), -1);
	assert_non_null(
		strstr(e.msg, "pek.cert': it does not hold exactly one PEK"));
	unlink(path);
	/* a corrupt file: the message names it */
	write_tmp("d/ark.cert", "\x01\0\0\0", 4, path, sizeof(path));
	assert_int_equal(sm_certs_load(sub, &ch, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "d/ark.cert"));
	unlink(path);
	/* ask_ark.cert alone; then an ark.cert that is another ARK */
	b = rd("virtee-sev/naples-ask_ark/ask_ark.cert", &len);
	write_tmp("d/ask_ark.cert", b, len, path, sizeof(path));
	free(b);
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(sm_certs_load(sub, &ch, NULL, &e), 0);
	assert_int_equal(ch.have, SM_HAVE_ASK | SM_HAVE_ARK);
	b = rd("virtee-sev/builtin-rome/ark.cert", &len);
	write_tmp("d/ark.cert", b, len, p2, sizeof(p2));
	free(b);
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(sm_certs_load(sub, &ch, NULL, &e), -1);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_non_null(
		strstr(e.msg, "ask_ark.cert' holds another ARK than ark.cert"));
	unlink(path);
	unlink(p2);
	rmdir(sub);
}

static void expect_buf(const void *buf, size_t len, const char *msg)
{
	struct sm_chain ch;
	struct sm_err e;

	memset(&ch, 0, sizeof(ch));
	assert_int_equal(sm_certs_load_buf(buf, len, "in", &ch, NULL, &e), -1);
	if (strcmp(e.msg, msg) != 0)
		fprintf(stderr, "got: %s\n", e.msg);
	assert_string_equal(e.msg, msg);
	assert_int_equal(e.code, SM_EXIT_VERIFY);
	assert_int_equal(ch.have, 0);
}

static void test_load_bad_input(void **state)
{
	struct sm_chain ch;
	uint8_t *buf;
	size_t len, i;

	(void)state;
	rd_chain("naples", &ch);
	buf = calloc(1, 4 * SM_SEV_CHAIN_LEN);
	assert_non_null(buf);
	expect_buf(buf, 0, "empty input 'in'");
	memcpy(buf, ch.pek.raw, SM_SEV_CERT_LEN);
	expect_buf(
		buf, 100,
		"invalid certificate 'in': wrong size 100 bytes, a SEV certificate has 2084");
	expect_buf(
		buf, SM_SEV_CERT_LEN - 1,
		"invalid certificate 'in': wrong size 2083 bytes, a SEV certificate has 2084");
	expect_buf(
		buf, SM_SEV_CERT_LEN + 1,
		"invalid certificate 'in': wrong size 2085 bytes, a SEV certificate has 2084");
	/* a PEK||OCA||CEK blob in the wrong order */
	memcpy(buf + SM_SEV_CERT_LEN, ch.cek.raw, SM_SEV_CERT_LEN);
	memcpy(buf + 2 * SM_SEV_CERT_LEN, ch.oca.raw, SM_SEV_CERT_LEN);
	expect_buf(
		buf, SM_SEV_CHAIN_LEN,
		"invalid chain 'in': certificate 2 is a CEK, expected a OCA (PEK||OCA||CEK)");
	memcpy(buf + SM_SEV_CERT_LEN, ch.oca.raw, SM_SEV_CERT_LEN);
	buf[2 * SM_SEV_CERT_LEN] = 7;
	expect_buf(
		buf, SM_SEV_CHAIN_LEN,
		"invalid certificate 3 of 'in': unsupported SEV certificate version 7, expected 1");
	/* ASK||ARK with trailing bytes, and a truncated ARK */
	memcpy(buf, sm_roots_ask(SM_PRODUCT_ROME)->raw, SM_AMD_CERT_4K);
	memcpy(buf + SM_AMD_CERT_4K, sm_roots_ark(SM_PRODUCT_ROME)->raw,
	       SM_AMD_CERT_4K);
	expect_buf(buf, 2 * SM_AMD_CERT_4K + 3,
		   "invalid certificate 'in': 3 trailing bytes after ASK||ARK");
	expect_buf(
		buf, 2 * SM_AMD_CERT_4K - 1,
		"invalid ARK in 'in': truncated ARK: 1599 bytes, expected 1600");
	memcpy(buf, sm_roots_ark(SM_PRODUCT_ROME)->raw, SM_AMD_CERT_4K);
	expect_buf(
		buf, 2 * SM_AMD_CERT_4K,
		"invalid certificate 'in': 1600 bytes after the ARK (an AMD file holds ASK||ARK)");
	/* text that is neither JSON nor hex */
	expect_buf(
		"hello\n", 6,
		"unrecognised certificate input 'in' (6 bytes): expected a bundle, a SEV certificate (2084 bytes), a PEK||OCA||CEK blob (6252 bytes), an AMD certificate or an ASK||ARK file");
	expect_buf("abc", 3, "invalid hex text in 'in': odd number of digits");
	expect_buf(
		"{\"a\": 1}", 8,
		"JSON input 'in' is neither a sevmig-certs bundle nor a query-sev-capabilities reply");
	expect_buf(
		"{\"a\": ", 6,
		"invalid JSON in 'in' at line 1, column 6: unexpected token near end of file");
	/* random bytes of many sizes: a message, never a crash */
	for (i = 0; i < 300; i++) {
		struct sm_chain c;
		struct sm_err e;

		len = (size_t)rand() % (4 * SM_SEV_CHAIN_LEN);
		assert_int_equal(sm_random(buf, len), 0);
		memset(&c, 0, sizeof(c));
		if (sm_certs_load_buf(buf, len, "r", &c, NULL, &e) < 0)
			assert_true(e.msg[0] != '\0');
	}
	free(buf);
}

static void test_load_qemu(void **state)
{
	struct sm_bundle_info info;
	struct sm_verify_result r;
	struct sm_chain ch, src;
	struct sm_trust t = { NULL, NULL, SM_PRODUCT_UNKNOWN };
	struct sm_err e;
	uint8_t chain[SM_SEV_CHAIN_LEN], id[64];
	char *pdh64, *chain64, id64[100], *json;
	size_t n;

	(void)state;
	rd_chain("rome", &src);
	memcpy(chain, src.pek.raw, SM_SEV_CERT_LEN);
	memcpy(chain + SM_SEV_CERT_LEN, src.oca.raw, SM_SEV_CERT_LEN);
	memcpy(chain + 2 * SM_SEV_CERT_LEN, src.cek.raw, SM_SEV_CERT_LEN);
	memset(id, 0x5a, sizeof(id));
	pdh64 = malloc(sm_base64_len(SM_SEV_CERT_LEN) + 1);
	chain64 = malloc(sm_base64_len(SM_SEV_CHAIN_LEN) + 1);
	json = malloc(32768);
	assert_non_null(json);
	sm_base64_encode(src.pdh.raw, SM_SEV_CERT_LEN, pdh64);
	sm_base64_encode(chain, SM_SEV_CHAIN_LEN, chain64);
	sm_base64_encode(id, sizeof(id), id64);
	n = (size_t)snprintf(
		json, 32768,
		"{\"return\": {\"pdh\": \"%s\", \"cert-chain\": \"%s\", \"cpu0-id\": \"%s\", \"cbitpos\": 47, \"reduced-phys-bits\": 1}}",
		pdh64, chain64, id64);
	memset(&ch, 0, sizeof(ch));
	memset(&info, 0, sizeof(info));
	assert_int_equal(sm_certs_load_buf((uint8_t *)json, n, "qmp", &ch,
					   &info, &e),
			 0);
	assert_int_equal(ch.have,
			 SM_HAVE_PDH | SM_HAVE_PEK | SM_HAVE_OCA | SM_HAVE_CEK);
	assert_int_equal(info.chip_id_len, 64);
	assert_memory_equal(info.chip_id, id, 64);
	assert_int_equal(info.api_minor, 22);
	assert_string_equal(info.source, "qmp reply 'qmp'");
	assert_int_equal(sm_chain_verify(&ch, &t, &r, &e), 0);
	assert_int_equal(r.product, SM_PRODUCT_ROME);
	/* bare, without cpu0-id */
	n = (size_t)snprintf(json, 32768,
			     "{\"pdh\": \"%s\", \"cert-chain\": \"%s\"}", pdh64,
			     chain64);
	memset(&ch, 0, sizeof(ch));
	memset(&info, 0, sizeof(info));
	assert_int_equal(sm_certs_load_buf((uint8_t *)json, n, "qmp", &ch,
					   &info, &e),
			 0);
	assert_int_equal(info.chip_id_len, 0);
	/* the chain is short */
	n = (size_t)snprintf(json, 32768,
			     "{\"pdh\": \"%s\", \"cert-chain\": \"%s\"}", pdh64,
			     pdh64);
	expect_buf(
		json, n,
		"bad cert-chain in 'in': not base64 of 6252 bytes (PEK||OCA||CEK)");
	/* pdh and chain swapped */
	n = (size_t)snprintf(json, 32768,
			     "{\"pdh\": \"%s\", \"cert-chain\": \"%s\"}",
			     chain64, chain64);
	expect_buf(
		json, n,
		"bad pdh in 'in': wrong size 6252 bytes, a SEV certificate has 2084");
	n = (size_t)snprintf(json, 32768, "{\"pdh\": 1, \"cert-chain\": \"\"}");
	expect_buf(
		json, n,
		"bad query-sev-capabilities reply 'in': Expected string, got integer");
	/* QEMU's own error is relayed */
	n = (size_t)snprintf(
		json, 32768,
		"{\"error\": {\"class\": \"GenericError\", \"desc\": \"SEV is not enabled in KVM\"}}");
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(
		sm_certs_load_buf((uint8_t *)json, n, "q", &ch, NULL, &e), -1);
	assert_int_equal(e.code, SM_EXIT_UNSUPPORTED);
	assert_string_equal(
		e.msg,
		"QEMU refused query-sev-capabilities in 'q': SEV is not enabled in KVM");
	free(pdh64);
	free(chain64);
	free(json);
}

static void test_load_bundle_and_sevctl(void **state)
{
	struct sm_bundle_info info;
	struct sm_chain ch, src;
	struct sm_err e;
	uint8_t *blob;
	char *text, path[4096];
	size_t n;

	(void)state;
	full_chain("naples", SM_PRODUCT_NAPLES, &src);
	memset(&info, 0, sizeof(info));
	info.product = SM_PRODUCT_NAPLES;
	assert_int_equal(sm_bundle_encode(&src, &info, &text, &e), 0);
	write_tmp("b.json", text, strlen(text), path, sizeof(path));
	memset(&ch, 0, sizeof(ch));
	memset(&info, 0, sizeof(info));
	assert_int_equal(sm_certs_load(path, &ch, &info, &e), 0);
	assert_same_chain(&src, &ch);
	assert_int_equal(info.product, SM_PRODUCT_NAPLES);
	assert_non_null(strstr(info.source, "bundle '"));
	free(text);

	/* sevctl export --full: PDH||PEK||OCA||CEK||ASK||ARK */
	n = 4 * SM_SEV_CERT_LEN + 2 * SM_AMD_CERT_2K;
	blob = malloc(n);
	assert_non_null(blob);
	memcpy(blob, src.pdh.raw, SM_SEV_CERT_LEN);
	memcpy(blob + SM_SEV_CERT_LEN, src.pek.raw, SM_SEV_CERT_LEN);
	memcpy(blob + 2 * SM_SEV_CERT_LEN, src.oca.raw, SM_SEV_CERT_LEN);
	memcpy(blob + 3 * SM_SEV_CERT_LEN, src.cek.raw, SM_SEV_CERT_LEN);
	memcpy(blob + 4 * SM_SEV_CERT_LEN, src.ask.raw, SM_AMD_CERT_2K);
	memcpy(blob + 4 * SM_SEV_CERT_LEN + SM_AMD_CERT_2K, src.ark.raw,
	       SM_AMD_CERT_2K);
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(sm_certs_load_buf(blob, n, "x", &ch, NULL, &e), 0);
	assert_same_chain(&src, &ch);
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(sm_certs_load_buf(blob, 4 * SM_SEV_CERT_LEN, "x", &ch,
					   NULL, &e),
			 0);
	assert_int_equal(ch.have,
			 SM_HAVE_PDH | SM_HAVE_PEK | SM_HAVE_OCA | SM_HAVE_CEK);
	free(blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_load_files),
		cmocka_unit_test(test_load_dir_errors),
		cmocka_unit_test(test_load_bad_input),
		cmocka_unit_test(test_load_qemu),
		cmocka_unit_test(test_load_bundle_and_sevctl),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
