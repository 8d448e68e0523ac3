/*
 * util/alloc.h - internal allocation helpers. Every allocation in the library
 * goes through these; on failure they raise the static out-of-memory error
 * (which never allocates) and return NULL, so callers only propagate.
 */
#ifndef ICE_UTIL_ALLOC_H
#define ICE_UTIL_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "ice/alloc.h"

void *ice__malloc(size_t size);
void *ice__calloc(size_t n, size_t size);
void *ice__realloc(void *ptr, size_t size);
/* n * size with an overflow check; NULL (and out-of-memory) on overflow. */
void *ice__mallocarray(size_t n, size_t size);
void *ice__reallocarray(void *ptr, size_t n, size_t size);
void ice__free(void *ptr);
char *ice__strdup(const char *s);
char *ice__strndup(const char *s, size_t n);
void *ice__memdup(const void *p, size_t n);

/* Overflow-checked arithmetic on sizes: false on overflow. */
static inline int ice__add_overflow(size_t a, size_t b, size_t *out)
{
	return __builtin_add_overflow(a, b, out);
}
static inline int ice__mul_overflow(size_t a, size_t b, size_t *out)
{
	return __builtin_mul_overflow(a, b, out);
}

/* The hooks jansson is given, so its allocations are counted and fail too. */
void *ice__json_malloc(size_t size);
void ice__json_free(void *ptr);

#endif
