// SPDX-License-Identifier: MIT
/* Unit tests for lib/sim/sim-guest.c: page content, padding stream, shares. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sim/sim-guest.h"

static void test_page_header_and_determinism(void **state)
{
	uint8_t a[SM_PAGE_SIZE], b[SM_PAGE_SIZE];
	static const char want[] =
		"sevmig-private-page gpa=0x0000000100002000\n";

	(void)state;
	sm_sim_page_fill(9, 0x100002000ull, 0, a);
	assert_memory_equal(a, want, strlen(want));
	assert_int_equal(a[strlen(want)], 0);
	assert_int_equal(a[63], 0);
	sm_sim_page_fill(9, 0x100002000ull, 0, b);
	assert_memory_equal(a, b, SM_PAGE_SIZE);
	/* Another address, seed or kind changes the data after the header. */
	sm_sim_page_fill(9, 0x100003000ull, 0, b);
	assert_memory_not_equal(a + 64, b + 64, SM_PAGE_SIZE - 64);
	sm_sim_page_fill(10, 0x100002000ull, 0, b);
	assert_memory_not_equal(a + 64, b + 64, SM_PAGE_SIZE - 64);
	sm_sim_page_fill(9, 0x100002000ull, 1, b);
	assert_memory_equal(b, "sevmig-shared-page gpa=0x0000000100002000\n",
			    42);
	assert_memory_not_equal(a + 64, b + 64, SM_PAGE_SIZE - 64);
}

static void test_vmsa(void **state)
{
	uint8_t a[SM_PAGE_SIZE], b[SM_PAGE_SIZE];

	(void)state;
	sm_sim_vmsa_fill(3, 1, a);
	assert_memory_equal(a, "sevmig-vmsa vcpu=1\n", 19);
	sm_sim_vmsa_fill(3, 2, b);
	assert_memory_not_equal(a + 64, b + 64, SM_PAGE_SIZE - 64);
}

static void test_stream_any_offset(void **state)
{
	uint8_t whole[1000], part[1000];
	size_t off, len;

	(void)state;
	sm_sim_stream_fill(5, 0, whole, sizeof(whole));
	for (off = 0; off < 40; off++)
		for (len = 0; len < 30; len++) {
			memset(part, 0xee, sizeof(part));
			sm_sim_stream_fill(5, off, part, len);
			assert_memory_equal(part, whole + off, len);
			assert_int_equal(part[len], 0xee);
		}
	sm_sim_stream_fill(6, 0, part, sizeof(part));
	assert_memory_not_equal(part, whole, sizeof(part));
}

static void check_shares(unsigned pct, const struct sm_ep_range *r, size_t nr)
{
	struct sm_ep_region *s, *t;
	size_t n, m, i, k;
	uint64_t want = 0, got = 0;

	assert_int_equal(sm_sim_shared_choose(77, pct, r, nr, &s, &n), 0);
	for (k = 0; k < nr; k++)
		want += r[k].size / SM_PAGE_SIZE * (pct > 100 ? 100 : pct) /
			100;
	for (i = 0; i < n; i++) {
		int inside = 0;

		assert_true(s[i].size > 0 && s[i].size % SM_PAGE_SIZE == 0);
		assert_true(s[i].gpa % SM_PAGE_SIZE == 0);
		if (i)
			assert_true(s[i].gpa >= s[i - 1].gpa + s[i - 1].size);
		for (k = 0; k < nr; k++)
			if (s[i].gpa >= r[k].gpa &&
			    s[i].gpa + s[i].size <= r[k].gpa + r[k].size)
				inside = 1;
		assert_true(inside);
		got += s[i].size / SM_PAGE_SIZE;
	}
	assert_true(got == want);
	/* Deterministic. */
	assert_int_equal(sm_sim_shared_choose(77, pct, r, nr, &t, &m), 0);
	assert_int_equal(m, n);
	if (n)
		assert_memory_equal(s, t, n * sizeof(*s));
	free(s);
	free(t);
}

static void test_shared_choose(void **state)
{
	const struct sm_ep_range one = { 0, 64ull << 20, 0, 0 };
	const struct sm_ep_range two[] = {
		{ 0, 4ull << 20, 0, 0 },
		{ 4ull << 30, 12ull << 20, 0, 4ull << 20 },
	};
	const struct sm_ep_range tiny = { 0, 3 * SM_PAGE_SIZE, 0, 0 };
	struct sm_ep_region *s;
	size_t n;

	(void)state;
	check_shares(0, &one, 1);
	check_shares(10, &one, 1);
	check_shares(50, &one, 1);
	check_shares(100, &one, 1);
	check_shares(130, &one, 1);
	check_shares(25, two, 2);
	check_shares(100, two, 2);
	check_shares(34, &tiny, 1);
	/* Scattered: many runs, spread over the whole range. */
	assert_int_equal(sm_sim_shared_choose(1, 10, &one, 1, &s, &n), 0);
	assert_true(n > 200);
	assert_true(s[n - 1].gpa > (48ull << 20));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_header_and_determinism),
		cmocka_unit_test(test_vmsa),
		cmocka_unit_test(test_stream_any_offset),
		cmocka_unit_test(test_shared_choose),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
