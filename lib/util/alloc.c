/*
 * util/alloc.c - the single allocation entry point of libicetable.
 *
 * All memory flows through the installed ice_allocator (the C library by
 * default). A process-wide counter numbers every allocation so tests can make
 * the n-th one fail (SQLite/curl-style fault injection) and check that the
 * number of outstanding allocations returns to zero.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "alloc.h"
#include "error.h"

static void *default_malloc(size_t size, void *payload)
{
	(void)payload;
	return malloc(size);
}

static void *default_realloc(void *ptr, size_t size, void *payload)
{
	(void)payload;
	return realloc(ptr, size);
}

static void default_free(void *ptr, void *payload)
{
	(void)payload;
	free(ptr);
}

static ice_allocator allocator = {default_malloc, default_realloc, default_free, NULL};

static _Atomic uint64_t alloc_count;
static _Atomic int64_t outstanding;
static _Atomic uint64_t fail_at;
static _Atomic bool fail_sticky;
static _Atomic bool injected;

void ice_allocator_tune_c_library(void)
{
#ifdef __GLIBC__
	mallopt(M_ARENA_MAX, 1);
#endif
}

void ice_allocator_keep_freed_memory(void)
{
#ifdef __GLIBC__
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

void ice_allocator_set(const ice_allocator *a)
{
	if (a)
		allocator = *a;
	else
		allocator = (ice_allocator){default_malloc, default_realloc, default_free, NULL};
}

void ice_alloc_fail_at(uint64_t n, bool sticky)
{
	atomic_store(&alloc_count, 0);
	atomic_store(&fail_at, n);
	atomic_store(&fail_sticky, sticky);
	atomic_store(&injected, false);
}

uint64_t ice_alloc_count(void)
{
	return atomic_load(&alloc_count);
}

int64_t ice_alloc_outstanding(void)
{
	return atomic_load(&outstanding);
}

bool ice_alloc_injected_failure(void)
{
	return atomic_load(&injected);
}

/* Counts one allocation attempt; true when fault injection says it fails. */
static bool should_fail(void)
{
	uint64_t n = atomic_fetch_add(&alloc_count, 1) + 1;
	uint64_t at = atomic_load(&fail_at);
	if (at == 0)
		return false;
	if (n == at || (n > at && atomic_load(&fail_sticky))) {
		atomic_store(&injected, true);
		return true;
	}
	return false;
}

static void *raw_malloc(size_t size)
{
	void *p;
	if (should_fail())
		return NULL;
	p = allocator.malloc_fn(size ? size : 1, allocator.payload);
	if (p)
		atomic_fetch_add(&outstanding, 1);
	return p;
}

void *ice__malloc(size_t size)
{
	void *p = raw_malloc(size);
	if (!p)
		ice_error__oom();
	return p;
}

void *ice__calloc(size_t n, size_t size)
{
	size_t total;
	void *p;
	if (ice__mul_overflow(n, size, &total)) {
		ice_error__oom();
		return NULL;
	}
	p = ice__malloc(total);
	if (p)
		memset(p, 0, total);
	return p;
}

void *ice__realloc(void *ptr, size_t size)
{
	void *p;
	if (!ptr)
		return ice__malloc(size);
	if (should_fail()) {
		ice_error__oom();
		return NULL;
	}
	p = allocator.realloc_fn(ptr, size ? size : 1, allocator.payload);
	if (!p)
		ice_error__oom();
	return p;
}

void *ice__mallocarray(size_t n, size_t size)
{
	size_t total;
	if (ice__mul_overflow(n, size, &total)) {
		ice_error__oom();
		return NULL;
	}
	return ice__malloc(total);
}

void *ice__reallocarray(void *ptr, size_t n, size_t size)
{
	size_t total;
	if (ice__mul_overflow(n, size, &total)) {
		ice_error__oom();
		return NULL;
	}
	return ice__realloc(ptr, total);
}

void ice__free(void *ptr)
{
	if (!ptr)
		return;
	atomic_fetch_sub(&outstanding, 1);
	allocator.free_fn(ptr, allocator.payload);
}

void ice_free(void *ptr)
{
	ice__free(ptr);
}

char *ice__strndup(const char *s, size_t n)
{
	char *p = ice__malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *ice__strdup(const char *s)
{
	return ice__strndup(s, strlen(s));
}

void *ice__memdup(const void *src, size_t n)
{
	void *p = ice__malloc(n);
	if (p && n)
		memcpy(p, src, n);
	return p;
}

/* jansson must not see a NULL from a size-0 request as failure, and its
 * failures must not leave our error unset. */
void *ice__json_malloc(size_t size)
{
	return raw_malloc(size);
}

void ice__json_free(void *ptr)
{
	ice__free(ptr);
}
