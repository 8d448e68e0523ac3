/*
 * scan/pool.c - a bounded pool of worker threads that processes numbered
 * items (manifests) and hands the results out in item order, so that what
 * a plan yields does not depend on the number of threads. Workers run at
 * most `window` items ahead of the consumer: memory stays bounded by the
 * window, not by the number of items. Errors are raised on the thread that
 * takes the failed item, with the message the worker saw.
 */
#include <string.h>

#include "internal.h"

typedef struct slot {
	bool done;
	int rc;
	void *result;
	char *message; /* the worker's error message (allocated), or NULL */
	int klass;
} slot;

struct ice_scan_pool {
	pthread_mutex_t mu;
	pthread_cond_t work_cv; /* workers wait for room in the window */
	pthread_cond_t done_cv; /* the consumer waits for its item */
	size_t n, window;
	size_t next;            /* next item to claim */
	size_t taken;           /* items taken by the consumer */
	bool stop;
	slot *slots;            /* n */
	pthread_t *threads;
	size_t nthreads;
	ice_scan_work_fn work;
	ice_scan_free_fn free_result;
	void *ctx;
};

static void *worker(void *arg)
{
	ice_scan_pool *p = arg;
	for (;;) {
		size_t i;
		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->next < p->n && p->next >= p->taken + p->window)
			pthread_cond_wait(&p->work_cv, &p->mu);
		if (p->stop || p->next >= p->n) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		i = p->next++;
		pthread_mutex_unlock(&p->mu);

		void *result = NULL;
		ice_error_clear();
		int rc = p->work(p->ctx, i, &result);
		char *message = NULL;
		int klass = 0;
		if (rc != 0) {
			const ice_error *e = ice_error_last();
			if (e) {
				klass = e->klass;
				if (!ice_error__is_oom())
					message = ice__strdup(e->message);
			}
		}
		pthread_mutex_lock(&p->mu);
		p->slots[i].done = true;
		p->slots[i].rc = rc;
		p->slots[i].result = result;
		p->slots[i].message = message;
		p->slots[i].klass = klass;
		pthread_cond_broadcast(&p->done_cv);
		pthread_mutex_unlock(&p->mu);
	}
}

int ice_scan__pool_start(ice_scan_pool **out, size_t n, size_t threads, size_t window, ice_scan_work_fn work,
                         ice_scan_free_fn free_result, void *ctx)
{
	ice_scan_pool *p;
	*out = NULL;
	if (!(p = ice__calloc(1, sizeof(*p))))
		return ICE_ERROR;
	p->n = n;
	p->window = window ? window : 1;
	p->work = work;
	p->free_result = free_result;
	p->ctx = ctx;
	if (threads > n)
		threads = n;
	if (threads < 1)
		threads = 1;
	if ((n && !(p->slots = ice__calloc(n, sizeof(slot)))) || !(p->threads = ice__calloc(threads, sizeof(pthread_t)))) {
		ice__free(p->slots);
		ice__free(p);
		return ICE_ERROR;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	for (size_t t = 0; t < threads && n > 0; t++) {
		if (pthread_create(&p->threads[t], NULL, worker, p) != 0) {
			if (t == 0) {
				ice_scan__pool_free(p);
				return ice_error__set(ICE_ERROR, ICE_ERRCLASS_OS, "scan: cannot start a worker thread");
			}
			break; /* fewer threads than asked for still finish the work */
		}
		p->nthreads++;
	}
	*out = p;
	return 0;
}

int ice_scan__pool_take(ice_scan_pool *p, size_t i, void **result)
{
	slot *s;
	int rc;
	*result = NULL;
	if (i >= p->n)
		return ICE_ITEROVER;
	pthread_mutex_lock(&p->mu);
	while (!p->slots[i].done)
		pthread_cond_wait(&p->done_cv, &p->mu);
	s = &p->slots[i];
	*result = s->result;
	s->result = NULL;
	rc = s->rc;
	p->taken = i + 1;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	if (rc != 0) {
		if (s->message)
			ice_error__set(rc, s->klass, "%s", s->message);
		else
			ice_error__oom();
	}
	return rc;
}

void ice_scan__pool_free(ice_scan_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	for (size_t t = 0; t < p->nthreads; t++)
		pthread_join(p->threads[t], NULL);
	for (size_t i = 0; i < p->n; i++) {
		if (p->slots[i].result && p->free_result)
			p->free_result(p->slots[i].result);
		ice__free(p->slots[i].message);
	}
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->done_cv);
	pthread_mutex_destroy(&p->mu);
	ice__free(p->slots);
	ice__free(p->threads);
	ice__free(p);
}
