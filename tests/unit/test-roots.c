// SPDX-License-Identifier: MIT
/* Unit tests for lib/certs/roots.c and the generated lib/certs/roots-data.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/cert.h"
#include "certs/roots.h"
#include "base/util.h"

#include "certs-common.h"

/* Key ids from shared/reference/sev-certificates.md §2. */
static const struct {
	enum sm_product p;
	const char *name, *ark_id, *ask_id;
	unsigned bits;
} ids[] = {
	{ SM_PRODUCT_NAPLES, "naples", "1bb987c359494606b174945601c9ea5b",
	  "e139970cfc464377ae61b289e2f9e96e", 2048 },
	{ SM_PRODUCT_ROME, "rome", "e6002122fb58419399d15fee7b131351",
	  "c6cbcf145b3146f498e40ecb4ad4fded", 4096 },
	{ SM_PRODUCT_MILAN, "milan", "94c38e4177d0479292a7ae671d083fb6",
	  "73478c05cc174bfeb06e718fa75dc3c8", 4096 },
	{ SM_PRODUCT_GENOA, "genoa", "9f9d4a8fe761456599f6946c4c010f3a",
	  "acbb4ad21acc436fb3e932f812cd01b0", 4096 },
	{ SM_PRODUCT_TURIN, "turin", "d05c3a8bde484904b49552422ceb3942",
	  "15051693f7304d65a527b4a7f3f7cb77", 4096 },
};

static void test_key_ids(void **state)
{
	char hex[2 * SM_KEY_ID_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < SM_ARRAY_SIZE(ids); i++) {
		const struct sm_amd_cert *ark = sm_roots_ark(ids[i].p);
		const struct sm_amd_cert *ask = sm_roots_ask(ids[i].p);

		assert_non_null(ark);
		assert_non_null(ask);
		hexstr(ark->key_id, SM_KEY_ID_LEN, hex);
		assert_string_equal(hex, ids[i].ark_id);
		hexstr(ark->certifying_id, SM_KEY_ID_LEN, hex);
		assert_string_equal(hex, ids[i].ark_id);
		hexstr(ask->key_id, SM_KEY_ID_LEN, hex);
		assert_string_equal(hex, ids[i].ask_id);
		hexstr(ask->certifying_id, SM_KEY_ID_LEN, hex);
		assert_string_equal(hex, ids[i].ark_id);
		assert_int_equal(ark->modulus_bits, ids[i].bits);
		assert_int_equal(ark->usage, SM_USAGE_ARK);
		assert_int_equal(ask->usage, SM_USAGE_ASK);
		assert_string_equal(sm_product_name(ids[i].p), ids[i].name);
	}
}

/* The built-ins are byte for byte the virtee files they came from. */
static void test_same_as_files(void **state)
{
	struct sm_amd_cert c;
	char rel[128];
	size_t i;

	(void)state;
	for (i = 0; i < SM_ARRAY_SIZE(ids); i++) {
		snprintf(rel, sizeof(rel), "virtee-sev/builtin-%s/ark.cert",
			 ids[i].name);
		rd_amd(rel, &c);
		assert_int_equal(c.len, sm_roots_ark(ids[i].p)->len);
		assert_memory_equal(c.raw, sm_roots_ark(ids[i].p)->raw, c.len);
		assert_int_equal(sm_roots_product_of_ark(&c), ids[i].p);
		snprintf(rel, sizeof(rel), "virtee-sev/builtin-%s/ask.cert",
			 ids[i].name);
		rd_amd(rel, &c);
		assert_memory_equal(c.raw, sm_roots_ask(ids[i].p)->raw, c.len);
	}
}

static void test_pins(void **state)
{
	uint8_t buf[SM_AMD_CERT_MAX];
	size_t i;

	(void)state;
	assert_int_equal(sm_roots_nblobs, 5);
	for (i = 0; i < sm_roots_nblobs; i++) {
		const struct sm_root_blob *b = &sm_roots_blobs[i];

		assert_true(sm_roots_pin_ok(b->ark, b->ark_len, b->ark_pin));
		assert_true(sm_roots_pin_ok(b->ask, b->ask_len, b->ask_pin));
		/* one flipped bit anywhere and the pin no longer holds */
		memcpy(buf, b->ark, b->ark_len);
		buf[b->ark_len - 1] ^= 1;
		assert_false(sm_roots_pin_ok(buf, b->ark_len, b->ark_pin));
		assert_false(sm_roots_pin_ok(b->ark, b->ark_len, b->ask_pin));
		assert_false(
			sm_roots_pin_ok(b->ark, b->ark_len - 1, b->ark_pin));
	}
	assert_false(sm_roots_pin_ok(buf, 4, NULL));
	assert_false(sm_roots_pin_ok(buf, 4, "00"));
}

static void test_unknown(void **state)
{
	struct sm_amd_cert c = *sm_roots_ark(SM_PRODUCT_GENOA);

	(void)state;
	assert_null(sm_roots_ark(SM_PRODUCT_UNKNOWN));
	assert_null(sm_roots_ask(SM_PRODUCT_COUNT));
	assert_null(sm_roots_ark((enum sm_product) - 1));
	c.raw[c.len - 1] ^= 1;
	assert_int_equal(sm_roots_product_of_ark(&c), SM_PRODUCT_UNKNOWN);
	assert_int_equal(sm_roots_product_of_ark(sm_roots_ask(SM_PRODUCT_ROME)),
			 SM_PRODUCT_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_ids),
		cmocka_unit_test(test_same_as_files),
		cmocka_unit_test(test_pins),
		cmocka_unit_test(test_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
