/*
 * scan/stream.c - a whole scan as one Arrow C stream (ice_scan_to_stream):
 * tasks are planned as they are needed and read one after another, or, with
 * several threads, read ahead by workers while the consumer takes batches
 * in plan order, so the rows come out in the same order whatever the
 * number of threads. Each worker reads one task at a time into a queue of
 * at most QUEUE batches, and at most `window` tasks are open beyond the
 * one the consumer is on: memory is bounded by the batches in flight, not
 * by the table. `limit` stops planning and reading once enough rows have
 * been handed out (the last batch is cut to size).
 */
#include <pthread.h>
#include <string.h>

#include "internal.h"
#include "parquet/internal.h"
#include "read.h"

#define QUEUE 2

typedef struct slot {
	bool used;              /* claimed by a worker */
	bool end;               /* the plan ended here */
	bool finished;          /* the worker is done with it */
	int rc;                 /* its error, if any */
	int klass;
	char *message;
	struct ArrowArray q[QUEUE];
	size_t qhead, qlen;
} slot;

typedef struct stream_state {
	ice_scan *scan;
	ice_scan_planner *planner;
	ice_arrow_pool *pool;          /* batch buffers, reused across files */
	int64_t returned;
	char *last_error;
	bool finished;
	/* single-threaded */
	ice_scan_reader *reader;
	/* workers */
	size_t nthreads, window;
	pthread_t *threads;
	pthread_mutex_t mu, plan_mu;
	pthread_cond_t work_cv, data_cv;
	slot *ring;
	size_t head, next_claim;
	bool plan_done, stop;
} stream_state;

static void set_last_error(stream_state *s)
{
	const ice_error *e = ice_error_last();
	ice__free(s->last_error);
	s->last_error = ice__strdup(e ? e->message : "error");
}

/* Keep the worker's error for the consumer's thread. */
static void keep_error(slot *sl, int rc)
{
	const ice_error *e = ice_error_last();
	sl->rc = rc;
	sl->klass = e ? e->klass : ICE_ERRCLASS_NONE;
	sl->message = ice_error__is_oom() ? NULL : ice__strdup(e ? e->message : "error");
}

static int raise_kept(const slot *sl)
{
	if (!sl->message)
		return ice_error__oom();
	return ice_error__set(sl->rc, sl->klass, "%s", sl->message);
}

/* ---- workers ------------------------------------------------------------------------------------ */

static void read_task(stream_state *s, slot *sl, ice_scan_task *task)
{
	ice_scan_reader *r;
	int rc = ice_scan__task_open(&r, s->scan, task, 1, false, s->pool);
	ice_scan_task_free(task);
	while (!rc) {
		struct ArrowArray b;
		if ((rc = ice_scan_reader_next(r, &b)) != 0)
			break;
		pthread_mutex_lock(&s->mu);
		while (sl->qlen == QUEUE && !s->stop)
			pthread_cond_wait(&s->work_cv, &s->mu);
		if (s->stop) {
			pthread_mutex_unlock(&s->mu);
			ice_arrow_array_release(&b);
			rc = ICE_ITEROVER;
			break;
		}
		ice_arrow_array_move(&b, &sl->q[(sl->qhead + sl->qlen) % QUEUE]);
		sl->qlen++;
		pthread_cond_broadcast(&s->data_cv);
		pthread_mutex_unlock(&s->mu);
	}
	ice_scan_reader_free(r);
	pthread_mutex_lock(&s->mu);
	if (rc && rc != ICE_ITEROVER)
		keep_error(sl, rc);
	sl->finished = true;
	pthread_cond_broadcast(&s->data_cv);
	pthread_mutex_unlock(&s->mu);
}

static void *worker(void *arg)
{
	stream_state *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->plan_mu);
		pthread_mutex_lock(&s->mu);
		while (!s->stop && !s->plan_done && s->next_claim >= s->head + s->window)
			pthread_cond_wait(&s->work_cv, &s->mu);
		if (s->stop || s->plan_done) {
			pthread_mutex_unlock(&s->mu);
			pthread_mutex_unlock(&s->plan_mu);
			return NULL;
		}
		slot *sl = &s->ring[s->next_claim % s->window];
		memset(sl, 0, sizeof(*sl));
		sl->used = true;
		s->next_claim++;
		pthread_mutex_unlock(&s->mu);
		/* planning is sequential: claims and tasks keep the same order */
		const ice_scan_task *task;
		ice_scan_task *copy = NULL;
		int rc = ice_scan_plan_next(s->planner, &task);
		if (!rc)
			rc = ice_scan_task_copy(&copy, task);
		pthread_mutex_unlock(&s->plan_mu);
		if (rc) {
			pthread_mutex_lock(&s->mu);
			if (rc == ICE_ITEROVER)
				sl->end = true;
			else
				keep_error(sl, rc);
			sl->finished = true;
			s->plan_done = true;
			pthread_cond_broadcast(&s->data_cv);
			pthread_cond_broadcast(&s->work_cv);
			pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		read_task(s, sl, copy);
	}
}

static void stop_workers(stream_state *s)
{
	if (!s->threads)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_broadcast(&s->work_cv);
	pthread_cond_broadcast(&s->data_cv);
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < s->nthreads; i++)
		pthread_join(s->threads[i], NULL);
	for (size_t i = 0; i < s->window; i++) {
		slot *sl = &s->ring[i];
		for (size_t k = 0; k < sl->qlen; k++)
			ice_arrow_array_release(&sl->q[(sl->qhead + k) % QUEUE]);
		sl->qlen = 0;
		ice__free(sl->message);
		sl->message = NULL;
	}
	ice__free(s->threads);
	s->threads = NULL;
	s->nthreads = 0;
}

/* The next batch from the workers, in plan order. */
static int next_pooled(stream_state *s, struct ArrowArray *out)
{
	int rc = 0;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		slot *sl = &s->ring[s->head % s->window];
		if (s->head < s->next_claim && sl->used) {
			if (sl->qlen) {
				ice_arrow_array_move(&sl->q[sl->qhead], out);
				sl->qhead = (sl->qhead + 1) % QUEUE;
				sl->qlen--;
				pthread_cond_broadcast(&s->work_cv);
				break;
			}
			if (sl->end) {
				rc = ICE_ITEROVER;
				break;
			}
			if (sl->finished) {
				if (sl->rc) {
					rc = raise_kept(sl);
					break;
				}
				ice__free(sl->message);
				memset(sl, 0, sizeof(*sl));
				s->head++;
				pthread_cond_broadcast(&s->work_cv);
				continue;
			}
		}
		pthread_cond_wait(&s->data_cv, &s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* ---- one thread ------------------------------------------------------------------------------------ */

static int next_direct(stream_state *s, struct ArrowArray *out)
{
	for (;;) {
		if (s->reader) {
			int rc = ice_scan_reader_next(s->reader, out);
			if (rc != ICE_ITEROVER)
				return rc;
			ice_scan_reader_free(s->reader);
			s->reader = NULL;
		}
		const ice_scan_task *task;
		int rc = ice_scan_plan_next(s->planner, &task);
		if (rc)
			return rc;
		if ((rc = ice_scan__task_open(&s->reader, s->scan, task, s->scan->threads, false, s->pool)) != 0)
			return rc;
	}
}

/* ---- the stream -------------------------------------------------------------------------------------- */

static int stream_schema(struct ArrowArrayStream *st, struct ArrowSchema *out)
{
	stream_state *s = st->private_data;
	if (ice_scan_arrow_schema(s->scan, out) != 0) {
		set_last_error(s);
		return 5; /* EIO */
	}
	return 0;
}

static int stream_next(struct ArrowArrayStream *st, struct ArrowArray *out)
{
	stream_state *s = st->private_data;
	int64_t limit = s->scan->limit;
	int rc;
	memset(out, 0, sizeof(*out));
	if (s->finished || (limit >= 0 && s->returned >= limit)) {
		s->finished = true;
		return 0;
	}
	rc = s->threads ? next_pooled(s, out) : next_direct(s, out);
	if (rc == ICE_ITEROVER) {
		s->finished = true;
		out->release = NULL;
		return 0;
	}
	if (rc) {
		s->finished = true;
		set_last_error(s);
		out->release = NULL;
		return 5;
	}
	if (limit >= 0 && s->returned + out->length > limit) {
		/* the last batch: cut to the limit */
		struct ArrowSchema schema;
		struct ArrowArray cut;
		int64_t keep = limit - s->returned;
		if ((rc = ice_scan_arrow_schema(s->scan, &schema)) == 0) {
			rc = ice_read__array_take(&cut, &schema, out, 0, keep, NULL);
			ice_arrow_schema_release(&schema);
		}
		ice_arrow_array_release(out);
		if (rc) {
			s->finished = true;
			set_last_error(s);
			return 5;
		}
		ice_arrow_array_move(&cut, out);
	}
	s->returned += out->length;
	ice_scan__count(&s->scan->stats.rows_returned, out->length);
	if (limit >= 0 && s->returned >= limit)
		stop_workers(s);
	return 0;
}

static const char *stream_error(struct ArrowArrayStream *st)
{
	stream_state *s = st->private_data;
	/* the message could not be kept only when memory ran out */
	return s->last_error ? s->last_error : "out of memory";
}

static void stream_release(struct ArrowArrayStream *st)
{
	stream_state *s = st->private_data;
	if (!st->release)
		return;
	stop_workers(s);
	if (s->ring) {
		pthread_mutex_destroy(&s->mu);
		pthread_mutex_destroy(&s->plan_mu);
		pthread_cond_destroy(&s->work_cv);
		pthread_cond_destroy(&s->data_cv);
	}
	ice__free(s->ring);
	ice_scan_reader_free(s->reader);
	ice_scan_plan_free(s->planner);
	ice_arrow__pool_release(s->pool);
	ice__free(s->last_error);
	ice__free(s);
	st->release = NULL;
}

int ice_scan_to_stream(ice_scan *scan, struct ArrowArrayStream *out)
{
	stream_state *s = ice__calloc(1, sizeof(*s));
	int rc;
	memset(out, 0, sizeof(*out));
	if (!s)
		return ICE_ERROR;
	s->scan = scan;
	if (!(s->pool = ice_arrow__pool_new())) {
		ice__free(s);
		return ICE_ERROR;
	}
	if ((rc = ice_scan_plan_open(&s->planner, scan)) != 0) {
		ice_arrow__pool_release(s->pool);
		ice__free(s);
		return rc;
	}
	if (scan->threads > 1 && scan->limit != 0) {
		s->window = scan->threads + 1;
		s->ring = ice__calloc(s->window, sizeof(slot));
		s->threads = ice__calloc(scan->threads, sizeof(pthread_t));
		if (!s->ring || !s->threads) {
			ice__free(s->ring);
			ice__free(s->threads);
			ice_scan_plan_free(s->planner);
			ice_arrow__pool_release(s->pool);
			ice__free(s);
			return ICE_ERROR;
		}
		pthread_mutex_init(&s->mu, NULL);
		pthread_mutex_init(&s->plan_mu, NULL);
		pthread_cond_init(&s->work_cv, NULL);
		pthread_cond_init(&s->data_cv, NULL);
		for (size_t i = 0; i < scan->threads; i++) {
			if (pthread_create(&s->threads[s->nthreads], NULL, worker, s) != 0)
				break;
			s->nthreads++;
		}
		if (s->nthreads == 0) {
			/* no thread could start: read on the caller's thread */
			ice__free(s->threads);
			s->threads = NULL;
		}
	}
	out->get_schema = stream_schema;
	out->get_next = stream_next;
	out->get_last_error = stream_error;
	out->release = stream_release;
	out->private_data = s;
	return 0;
}
