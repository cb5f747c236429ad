// SPDX-License-Identifier: MIT
/* A two-slot, in-order queue of chunks to one writer thread (chunkq.h). */
#include "engine/chunkq.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define NSLOTS 2

struct sm_chunkq {
	struct sm_chunkq_slot slot[NSLOTS];
	int queued[NSLOTS]; /* filled and not yet written */
	unsigned fill, write; /* next slot to fill, to write */
	int got; /* the producer holds slot[fill] */
	int done, aborted, failed;
	int joinable; /* the writer thread was started and not joined */
	struct sm_err err; /* the writer's, when failed */
	uint64_t written;
	double t_producer, t_writer;
	sm_chunkq_write_fn fn;
	void *arg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void *writer(void *arg)
{
	struct sm_chunkq *q = arg;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		const struct sm_chunkq_slot *s;
		struct sm_err e = { 0 };
		double t = sm_now();
		int rc;

		while (!q->queued[q->write] && !q->done && !q->aborted)
			pthread_cond_wait(&q->cv, &q->mu);
		q->t_writer += sm_now() - t;
		if (q->aborted || !q->queued[q->write])
			break;
		s = &q->slot[q->write];
		pthread_mutex_unlock(&q->mu);
		rc = q->fn(q->arg, q, s, &e);
		pthread_mutex_lock(&q->mu);
		if (rc) {
			q->failed = 1;
			q->err = e;
			break;
		}
		q->queued[q->write] = 0;
		q->write = (q->write + 1) % NSLOTS;
		__atomic_add_fetch(&q->written, 1, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&q->cv);
	}
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

int sm_chunkq_start(struct sm_chunkq **qp, size_t cap, sm_chunkq_write_fn fn,
		    void *arg, struct sm_err *e)
{
	struct sm_chunkq *q = calloc(1, sizeof(*q));
	int i, rc;

	if (!q)
		return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
				    "out of memory");
	for (i = 0; i < NSLOTS; i++) {
		q->slot[i].data = malloc(cap);
		q->slot[i].cap = cap;
		if (!q->slot[i].data) {
			sm_chunkq_free(q);
			return sm_err_errno(e, SM_EXIT_FAILURE, ENOMEM,
					    "out of memory");
		}
	}
	q->fn = fn;
	q->arg = arg;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	rc = pthread_create(&q->thread, NULL, writer, q);
	if (rc) {
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		for (i = 0; i < NSLOTS; i++)
			free(q->slot[i].data);
		free(q);
		return sm_err_errno(e, SM_EXIT_FAILURE, rc,
				    "cannot start the writer thread");
	}
	q->joinable = 1;
	*qp = q;
	return 0;
}

struct sm_chunkq_slot *sm_chunkq_get(struct sm_chunkq *q, struct sm_err *e)
{
	struct sm_chunkq_slot *s = NULL;
	double t = sm_now();

	pthread_mutex_lock(&q->mu);
	while (q->queued[q->fill] && !q->failed)
		pthread_cond_wait(&q->cv, &q->mu);
	q->t_producer += sm_now() - t;
	if (q->failed) {
		*e = q->err;
	} else {
		s = &q->slot[q->fill];
		s->len = 0;
		s->pages = 0;
		s->name[0] = '\0';
		q->got = 1;
	}
	pthread_mutex_unlock(&q->mu);
	return s;
}

void sm_chunkq_put(struct sm_chunkq *q)
{
	pthread_mutex_lock(&q->mu);
	if (q->got) {
		q->got = 0;
		q->queued[q->fill] = 1;
		q->fill = (q->fill + 1) % NSLOTS;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
}

static void join(struct sm_chunkq *q)
{
	if (q->joinable) {
		pthread_join(q->thread, NULL);
		q->joinable = 0;
	}
}

int sm_chunkq_finish(struct sm_chunkq *q, struct sm_err *e)
{
	int failed;

	pthread_mutex_lock(&q->mu);
	q->done = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	join(q);
	failed = q->failed;
	if (failed)
		*e = q->err;
	return failed ? -1 : 0;
}

void sm_chunkq_abort(struct sm_chunkq *q)
{
	pthread_mutex_lock(&q->mu);
	__atomic_store_n(&q->aborted, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	join(q);
}

int sm_chunkq_aborted(struct sm_chunkq *q)
{
	return __atomic_load_n(&q->aborted, __ATOMIC_ACQUIRE);
}

uint64_t sm_chunkq_written(struct sm_chunkq *q)
{
	return __atomic_load_n(&q->written, __ATOMIC_RELAXED);
}

void sm_chunkq_waits(const struct sm_chunkq *q, double *producer,
		     double *writer_)
{
	*producer = q->t_producer;
	*writer_ = q->t_writer;
}

void sm_chunkq_free(struct sm_chunkq *q)
{
	int i;

	if (!q)
		return;
	if (q->joinable)
		sm_chunkq_abort(q);
	if (q->fn) {
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
	}
	for (i = 0; i < NSLOTS; i++) {
		if (q->slot[i].data)
			sm_wipe(q->slot[i].data, q->slot[i].cap);
		free(q->slot[i].data);
	}
	free(q);
}
