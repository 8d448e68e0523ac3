/*
 * ice/alloc.h - the one allocation entry point.
 *
 * Every allocation made by libicetable (and by jansson on its behalf) goes
 * through the functions installed here, so an application can route memory to
 * its own allocator and a test can make the n-th allocation fail to prove that
 * every failure path is clean (no leak, no crash, an ICE_ERROR with the static
 * out-of-memory message).
 */
#ifndef ICE_ALLOC_H
#define ICE_ALLOC_H

#include "common.h"

ICE_BEGIN_DECL

typedef struct ice_allocator {
	void *(*malloc_fn)(size_t size, void *payload);
	void *(*realloc_fn)(void *ptr, size_t size, void *payload);
	void (*free_fn)(void *ptr, void *payload);
	void *payload;
} ice_allocator;

/*
 * Install an allocator (NULL restores the C library's). Must be called before
 * any other library call and never while objects allocated with the previous
 * allocator are alive.
 */
ICE_EXTERN void ice_allocator_set(const ice_allocator *allocator);

/*
 * Settings of the C library's allocator (glibc; elsewhere nothing) that suit
 * ice's threads, as the `ice` tool runs with: one arena. Buffers are made on
 * one thread and freed on another, and arenas per thread would each keep
 * what the others freed (a two-thread append of lineitem peaked at 370 MB
 * with them, 305 MB with one). Process-wide: for an application to call at
 * its start, if it wants them.
 */
ICE_EXTERN void ice_allocator_tune_c_library(void);

/*
 * For a process that reads (`ice scan` calls it): freed memory is kept for
 * the next batches (blocks of up to 4 MiB from the heap, up to 64 MiB free
 * at its top kept) instead of being handed back to the system and faulted in
 * again. With glibc's dynamic thresholds a two-thread scan summing four
 * columns of 6,000,000 rows took 12,000-26,000 page faults; with these,
 * 7,000-8,000, and ~25 % less time. Not for writers: an append's peak RSS
 * grows by 6-8 MB under its memory budget.
 */
ICE_EXTERN void ice_allocator_keep_freed_memory(void);

/*
 * Fault injection: the n-th allocation from now (1-based) and every later one
 * fail when `sticky` is true, or only the n-th when false. n == 0 disables it.
 * Process-wide; meant for tests.
 */
ICE_EXTERN void ice_alloc_fail_at(uint64_t n, bool sticky);

/* Allocations made since the process started / still outstanding. */
ICE_EXTERN uint64_t ice_alloc_count(void);
ICE_EXTERN int64_t ice_alloc_outstanding(void);

/* Whether an allocation failed because of ice_alloc_fail_at(). */
ICE_EXTERN bool ice_alloc_injected_failure(void);

/* Free memory that the library handed to the caller as a plain buffer
 * (strings returned by *_to_string functions, for instance). NULL is fine. */
ICE_EXTERN void ice_free(void *ptr);

ICE_END_DECL

#endif
