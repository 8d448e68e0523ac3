/*
 * reach/progress.c - progress of long runs handed to the caller's callback:
 * serialized (workers report from their threads) and spaced at least 100 ms
 * apart, with the start and end of every phase always reported.
 */
#include <time.h>

#include "reach.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ice_reach__progress_init(ice_reach_progress *p, ice_maintain_progress_fn fn, void *payload)
{
	p->fn = fn;
	p->payload = payload;
	p->phase = NULL;
	p->done = p->total = p->last_ms = 0;
	pthread_mutex_init(&p->mu, NULL);
}

void ice_reach__progress_destroy(ice_reach_progress *p)
{
	pthread_mutex_destroy(&p->mu);
}

void ice_reach__progress_phase(ice_reach_progress *p, const char *phase, int64_t total)
{
	if (!p || !p->fn)
		return;
	pthread_mutex_lock(&p->mu);
	p->phase = phase;
	p->done = 0;
	p->total = total;
	p->last_ms = mono_ms();
	p->fn(phase, 0, total, p->payload);
	pthread_mutex_unlock(&p->mu);
}

void ice_reach__progress_add(ice_reach_progress *p, int64_t n)
{
	if (!p || !p->fn)
		return;
	pthread_mutex_lock(&p->mu);
	p->done += n;
	int64_t now = mono_ms();
	if (now - p->last_ms >= 100 || (p->total >= 0 && p->done >= p->total)) {
		p->last_ms = now;
		p->fn(p->phase, p->done, p->total, p->payload);
	}
	pthread_mutex_unlock(&p->mu);
}
