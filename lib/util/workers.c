/*
 * util/workers.c - the fork-join pool (workers.h). Threads sleep on a
 * condition variable between calls; a call publishes its function and
 * task count under a generation number, every thread (the caller too)
 * claims tasks with an atomic counter, and the caller waits until every
 * helper has been through the call. Errors are kept per call as the lowest failed
 * task's code and message and raised again on the caller's thread.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"
#include "workers.h"

struct ice_workers {
	pthread_mutex_t mu;
	pthread_cond_t go_cv, done_cv;
	pthread_t *threads;
	size_t nthreads; /* helpers started */
	size_t active;   /* helpers that take part in calls (the first ones) */
	size_t call_active; /* `active` when the current call was published */
	uint64_t gen;    /* calls published */
	bool stop;
	/* the current call */
	ice_workers_fn fn;
	void *ctx;
	size_t n;
	atomic_size_t next;
	atomic_bool failed;
	size_t left; /* helpers that have not finished the call */
	size_t err_task;
	int err_rc, err_klass;
	bool err_oom;
	char err_msg[1024];
};

static void record_error(ice_workers *w, size_t task, int rc)
{
	const ice_error *e = ice_error_last();
	pthread_mutex_lock(&w->mu);
	if (!w->err_rc || task < w->err_task) {
		w->err_task = task;
		w->err_rc = rc;
		w->err_oom = ice_error__is_oom();
		w->err_klass = e ? e->klass : ICE_ERRCLASS_INVALID;
		snprintf(w->err_msg, sizeof(w->err_msg), "%s", e ? e->message : "error");
	}
	pthread_mutex_unlock(&w->mu);
	atomic_store(&w->failed, true);
}

static void run_tasks(ice_workers *w, size_t worker)
{
	for (;;) {
		if (atomic_load_explicit(&w->failed, memory_order_relaxed))
			return;
		size_t i = atomic_fetch_add(&w->next, 1);
		if (i >= w->n)
			return;
		/* A helper's allocation that failed inside a buffer (a sticky
		 * error, found later on another thread) fails its task here, where
		 * the out-of-memory error is still this thread's. */
		if (worker)
			ice_error_clear();
		int rc = w->fn(w->ctx, i, worker);
		if (!rc && worker && ice_error__is_oom())
			rc = ICE_ERROR;
		if (rc)
			record_error(w, i, rc);
	}
}

typedef struct helper_arg {
	ice_workers *w;
	size_t index;
} helper_arg;

static void *helper(void *arg)
{
	ice_workers *w = ((helper_arg *)arg)->w;
	size_t index = ((helper_arg *)arg)->index;
	uint64_t seen = 0;
	ice__free(arg);
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && w->gen == seen)
			pthread_cond_wait(&w->go_cv, &w->mu);
		if (w->stop)
			break;
		seen = w->gen;
		if (index > w->call_active)
			continue; /* set aside for this call */
		pthread_mutex_unlock(&w->mu);
		run_tasks(w, index);
		pthread_mutex_lock(&w->mu);
		if (--w->left == 0)
			pthread_cond_signal(&w->done_cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

size_t ice_workers__cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (size_t)n : 1;
}

int ice_workers__new(ice_workers **out, size_t threads)
{
	ice_workers *w = ice__calloc(1, sizeof(*w));
	*out = NULL;
	if (!w)
		return ICE_ERROR;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->go_cv, NULL);
	pthread_cond_init(&w->done_cv, NULL);
	if (threads > 64)
		threads = 64;
	if (threads > 1) {
		if (!(w->threads = ice__calloc(threads - 1, sizeof(pthread_t)))) {
			ice_workers__free(w);
			return ICE_ERROR;
		}
		for (size_t i = 0; i + 1 < threads; i++) {
			helper_arg *a = ice__malloc(sizeof(*a));
			if (!a) {
				ice_workers__free(w);
				return ICE_ERROR;
			}
			a->w = w;
			a->index = i + 1;
			if (pthread_create(&w->threads[i], NULL, helper, a) != 0) {
				ice__free(a);
				break; /* fewer helpers; the caller still does the rest */
			}
			w->nthreads++;
		}
	}
	w->active = w->nthreads;
	*out = w;
	return 0;
}

void ice_workers__free(ice_workers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->go_cv);
	pthread_mutex_unlock(&w->mu);
	for (size_t i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	ice__free(w->threads);
	pthread_cond_destroy(&w->go_cv);
	pthread_cond_destroy(&w->done_cv);
	pthread_mutex_destroy(&w->mu);
	ice__free(w);
}

size_t ice_workers__count(const ice_workers *w)
{
	return w ? w->nthreads + 1 : 1;
}

void ice_workers__set_aside(ice_workers *w, size_t threads)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->active = threads < w->nthreads ? w->nthreads - threads : 0;
	pthread_mutex_unlock(&w->mu);
}

int ice_workers__run(ice_workers *w, size_t n, ice_workers_fn fn, void *ctx)
{
	size_t active = 0;
	if (w && n > 1) {
		/* `active` may change between calls (set aside by another thread) */
		pthread_mutex_lock(&w->mu);
		active = w->active;
		pthread_mutex_unlock(&w->mu);
	}
	if (active == 0) {
		for (size_t i = 0; i < n; i++) {
			int rc = fn(ctx, i, 0);
			if (rc)
				return rc;
		}
		return 0;
	}
	pthread_mutex_lock(&w->mu);
	w->call_active = active;
	w->fn = fn;
	w->ctx = ctx;
	w->n = n;
	atomic_store(&w->next, 0);
	atomic_store(&w->failed, false);
	w->err_rc = 0;
	w->left = active;
	w->gen++;
	pthread_cond_broadcast(&w->go_cv);
	pthread_mutex_unlock(&w->mu);
	run_tasks(w, 0);
	pthread_mutex_lock(&w->mu);
	/* Every helper takes part in every call (one that wakes late finds no
	 * task left), so none is still inside when the next call starts. */
	while (w->left > 0)
		pthread_cond_wait(&w->done_cv, &w->mu);
	int rc = w->err_rc;
	pthread_mutex_unlock(&w->mu);
	if (!rc)
		return 0;
	if (w->err_oom)
		return ice_error__oom();
	return ice_error__set(rc, w->err_klass, "%s", w->err_msg);
}
