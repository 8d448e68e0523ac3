/*
 * reach/parallel.c - items run on a few worker threads (reading manifests,
 * deleting files): each thread takes the next item number until none is
 * left or one failed. The first failure's code and message (thread-local
 * where it happened) are raised again on the calling thread.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reach.h"
#include "util/alloc.h"
#include "util/error.h"

typedef struct run {
	size_t n;
	size_t next;
	bool stop;
	int rc, klass;
	bool oom;
	char message[1024];
	pthread_mutex_t mu;
	ice_reach_item_fn fn;
	void *ctx;
} run;

static void *worker(void *arg)
{
	run *r = arg;
	for (;;) {
		pthread_mutex_lock(&r->mu);
		if (r->stop || r->next >= r->n) {
			pthread_mutex_unlock(&r->mu);
			return NULL;
		}
		size_t i = r->next++;
		pthread_mutex_unlock(&r->mu);
		int rc = r->fn(r->ctx, i);
		if (rc) {
			const ice_error *e = ice_error_last();
			pthread_mutex_lock(&r->mu);
			if (!r->rc) {
				r->rc = rc;
				r->oom = ice_error__is_oom();
				r->klass = e ? e->klass : ICE_ERRCLASS_NONE;
				snprintf(r->message, sizeof(r->message), "%s", e ? e->message : "failed");
			}
			r->stop = true;
			pthread_mutex_unlock(&r->mu);
			return NULL;
		}
	}
}

int ice_reach__cpu_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

int ice_reach__parallel(size_t n, int threads, ice_reach_item_fn fn, void *ctx)
{
	if (threads < 1)
		threads = 1;
	if ((size_t)threads > n)
		threads = (int)n;
	if (threads <= 1) {
		for (size_t i = 0; i < n; i++) {
			int rc = fn(ctx, i);
			if (rc)
				return rc;
		}
		return 0;
	}
	run r;
	memset(&r, 0, sizeof(r));
	r.n = n;
	r.fn = fn;
	r.ctx = ctx;
	pthread_mutex_init(&r.mu, NULL);
	pthread_t *tids = ice__calloc((size_t)threads, sizeof(pthread_t));
	if (!tids) {
		pthread_mutex_destroy(&r.mu);
		return ICE_ERROR;
	}
	int started = 0;
	for (int t = 0; t < threads; t++) {
		if (pthread_create(&tids[t], NULL, worker, &r) != 0)
			break; /* fewer threads still finish the work */
		started++;
	}
	if (!started)
		worker(&r);
	for (int t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	ice__free(tids);
	pthread_mutex_destroy(&r.mu);
	if (!r.rc)
		return 0;
	if (r.oom)
		return ice_error__oom();
	return ice_error__set(r.rc, r.klass, "%s", r.message);
}
