/*
 * util/workers.h - a fork-join pool: persistent threads that share the
 * tasks of one call with the calling thread (workers.c). A call hands out
 * task indexes 0..n-1 in order to whichever thread is free, waits for all
 * of them and raises, on the calling thread, the error of the lowest failed
 * task: what a call returns does not depend on the number of threads.
 */
#ifndef ICE_UTIL_WORKERS_H
#define ICE_UTIL_WORKERS_H

#include <stddef.h>

typedef struct ice_workers ice_workers;

/* Task `task` of a call, run on thread `worker` (0: the caller; below
 * ice_workers__count). Returns 0 or an error code with the message raised. */
typedef int (*ice_workers_fn)(void *ctx, size_t task, size_t worker);

/* `threads` in all, the caller included (0 or 1: no thread is started and
 * every task runs on the caller). Fewer start when the system refuses. */
int ice_workers__new(ice_workers **out, size_t threads);
void ice_workers__free(ice_workers *w);
/* Threads a call may use at most, the caller included (1 for NULL; helpers
 * set aside count: worker indexes stay below this). */
size_t ice_workers__count(const ice_workers *w);
/* Sets `threads` of the helpers aside (0: none): calls use the others, the
 * caller included, while another thread of the process does other work on
 * the cores they leave. Any thread may call it at any time; it takes
 * effect from the next call on (a call under way keeps its helpers). */
void ice_workers__set_aside(ice_workers *w, size_t threads);
/* Runs tasks 0..n-1 (NULL `w`: one after another on the caller). After a
 * failure tasks not yet started are skipped. */
int ice_workers__run(ice_workers *w, size_t n, ice_workers_fn fn, void *ctx);
/* The number of processors online (at least 1). */
size_t ice_workers__cpus(void);

#endif
