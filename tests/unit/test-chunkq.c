// SPDX-License-Identifier: MIT
/*
 * Unit tests for lib/engine/chunkq.c, the export's overlap of sealing and
 * writing: chunks are written in the order they were filled, and after a
 * failure on either side nothing more is written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "engine/chunkq.h"

#define N 200

struct sink {
	uint32_t seen[N];
	unsigned calls;
	int fail_at; /* -1: never */
	sem_t *hold; /* the first call waits for it */
	sem_t *entered; /* and posts this first */
	int saw_abort;
};

static int record(void *arg, struct sm_chunkq *q,
		  const struct sm_chunkq_slot *s, struct sm_err *e)
{
	struct sink *k = arg;
	uint32_t v;

	assert_int_equal(s->len, sizeof(v) + s->pages);
	memcpy(&v, s->data, sizeof(v));
	if (k->hold && k->calls == 0) {
		sem_post(k->entered);
		sem_wait(k->hold);
		k->saw_abort = sm_chunkq_aborted(q);
	}
	if (k->calls < N)
		k->seen[k->calls] = v;
	k->calls++;
	if ((int)v == k->fail_at || k->saw_abort)
		return sm_err_set(e, SM_EXIT_IO, "cannot write chunk %u", v);
	return 0;
}

/* Fill the next slot with v (and v % 7 bytes after it); NULL if refused. */
static struct sm_chunkq_slot *put(struct sm_chunkq *q, uint32_t v,
				  struct sm_err *e)
{
	struct sm_chunkq_slot *s = sm_chunkq_get(q, e);

	if (!s)
		return NULL;
	memcpy(s->data, &v, sizeof(v));
	s->pages = v % 7;
	memset(s->data + sizeof(v), 0xee, s->pages);
	s->len = sizeof(v) + s->pages;
	snprintf(s->name, sizeof(s->name), "c%u", v);
	sm_chunkq_put(q);
	return s;
}

static void test_in_order(void **state)
{
	struct sink k = { .fail_at = -1 };
	struct sm_err e = { 0 };
	struct sm_chunkq *q;
	double wp, ww;
	uint32_t i;

	(void)state;
	assert_int_equal(sm_chunkq_start(&q, 64, record, &k, &e), 0);
	for (i = 0; i < N; i++)
		assert_non_null(put(q, i, &e));
	assert_int_equal(sm_chunkq_finish(q, &e), 0);
	assert_int_equal(k.calls, N);
	assert_int_equal(sm_chunkq_written(q), N);
	for (i = 0; i < N; i++)
		assert_int_equal(k.seen[i], i);
	sm_chunkq_waits(q, &wp, &ww);
	assert_true(wp >= 0 && ww >= 0);
	sm_chunkq_free(q);
}

/* The writer fails at chunk 5: it writes nothing after, and says why. */
static void test_writer_failure_stops_everything(void **state)
{
	struct sink k = { .fail_at = 5 };
	struct sm_err e = { 0 };
	struct sm_chunkq *q;
	uint32_t i;

	(void)state;
	assert_int_equal(sm_chunkq_start(&q, 64, record, &k, &e), 0);
	for (i = 0; i < N; i++)
		if (!put(q, i, &e))
			break;
	assert_true(i >= 6 && i <= 8); /* 0..5 taken, at most 2 queued */
	assert_int_equal(e.code, SM_EXIT_IO);
	assert_string_equal(e.msg, "cannot write chunk 5");
	memset(&e, 0, sizeof(e));
	assert_int_equal(sm_chunkq_finish(q, &e), -1);
	assert_string_equal(e.msg, "cannot write chunk 5");
	assert_int_equal(k.calls, 6);
	assert_int_equal(sm_chunkq_written(q), 5);
	for (i = 0; i < 6; i++)
		assert_int_equal(k.seen[i], i);
	sm_chunkq_free(q);
}

struct aborter {
	struct sm_chunkq *q;
};

static void *do_abort(void *arg)
{
	sm_chunkq_abort(((struct aborter *)arg)->q);
	return NULL;
}

/*
 * The producer fails while chunk 0 is being written and chunk 1 waits:
 * the write in flight sees the abort, chunk 1 is never written, and
 * sm_chunkq_abort returns only once the writer has stopped.
 */
static void test_producer_abort_writes_nothing_more(void **state)
{
	struct sink k = { .fail_at = -1 };
	struct sm_err e = { 0 };
	struct aborter a;
	struct sm_chunkq *q;
	pthread_t t;
	sem_t hold, entered;
	int spins;

	(void)state;
	assert_int_equal(sem_init(&hold, 0, 0), 0);
	assert_int_equal(sem_init(&entered, 0, 0), 0);
	k.hold = &hold;
	k.entered = &entered;
	assert_int_equal(sm_chunkq_start(&q, 64, record, &k, &e), 0);
	assert_non_null(put(q, 0, &e));
	/* chunk 0 is being written (the writer waits in it), 1 queued */
	assert_int_equal(sem_wait(&entered), 0);
	assert_non_null(put(q, 1, &e));
	a.q = q;
	assert_int_equal(pthread_create(&t, NULL, do_abort, &a), 0);
	/*
	 * Until the other thread has set the flag: a bounded wait that
	 * sleeps, so a scheduler that runs one thread at a time (valgrind)
	 * gets to the aborter; a spin on sched_yield did not there.
	 */
	for (spins = 0; !sm_chunkq_aborted(q) && spins < 20000; spins++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	assert_true(sm_chunkq_aborted(q));
	sem_post(&hold);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(k.calls, 1);
	assert_int_equal(k.seen[0], 0);
	assert_true(k.saw_abort);
	assert_int_equal(sm_chunkq_written(q), 0);
	sm_chunkq_free(q);
	sem_destroy(&hold);
	sem_destroy(&entered);
}

/* Freed without finish (an error path): the writer is stopped, no leak. */
static void test_free_stops_writer(void **state)
{
	struct sink k = { .fail_at = -1 };
	struct sm_err e = { 0 };
	struct sm_chunkq *q;

	(void)state;
	assert_int_equal(sm_chunkq_start(&q, 64, record, &k, &e), 0);
	assert_non_null(put(q, 0, &e));
	sm_chunkq_free(q);
	assert_true(k.calls <= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_writer_failure_stops_everything),
		cmocka_unit_test(test_producer_abort_writes_nothing_more),
		cmocka_unit_test(test_free_stops_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
