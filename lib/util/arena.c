/*
 * util/arena.c - bump allocation in chunks; one free for the whole graph.
 */
#include <stdalign.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "error.h"

#define ALIGN alignof(max_align_t)

struct ice_arena_chunk {
	ice_arena_chunk *next;
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

void ice_arena__init(ice_arena *arena, size_t chunk_size)
{
	arena->head = NULL;
	arena->chunk_size = chunk_size ? chunk_size : 8192;
	arena->used_total = 0;
	arena->spare = NULL;
}

static ice_arena_chunk *new_chunk(ice_arena *arena, size_t need)
{
	size_t size = need > arena->chunk_size ? need : arena->chunk_size;
	size_t total;
	ice_arena_chunk *c;
	for (ice_arena_chunk **at = &arena->spare; *at; at = &(*at)->next)
		if ((*at)->size >= need) {
			c = *at;
			*at = c->next;
			c->used = 0;
			c->next = arena->head;
			arena->head = c;
			return c;
		}
	if (ice__add_overflow(sizeof(ice_arena_chunk), size, &total)) {
		ice_error__oom();
		return NULL;
	}
	c = ice__malloc(total);
	if (!c)
		return NULL;
	c->size = size;
	c->used = 0;
	c->next = arena->head;
	arena->head = c;
	/* Grow chunk sizes geometrically up to 1 MiB to keep the chunk count low. */
	if (arena->chunk_size < ((size_t)1 << 20))
		arena->chunk_size *= 2;
	return c;
}

/* Uninitialized memory, for callers that fill it completely. */
void *ice_arena__alloc_raw(ice_arena *arena, size_t size)
{
	ice_arena_chunk *c;
	void *p;
	size_t rounded;
	if (ice__add_overflow(size, ALIGN - 1, &rounded)) {
		ice_error__oom();
		return NULL;
	}
	rounded &= ~(ALIGN - 1);
	if (rounded == 0)
		rounded = ALIGN;
#if defined(ICE_ARENA_DEBUG) && ICE_ARENA_DEBUG
	/* One chunk per item: exact bounds for ASan. */
	{
		size_t save = arena->chunk_size;
		arena->chunk_size = 1;
		c = new_chunk(arena, size ? size : 1);
		arena->chunk_size = save;
		if (!c)
			return NULL;
		c->used = c->size;
		/* Garbage, so that reading memory nobody wrote shows up. */
		memset(c->data, 0xa5, c->size);
		arena->used_total += size;
		return c->data;
	}
#endif
	c = arena->head;
	if (!c || c->size - c->used < rounded) {
		c = new_chunk(arena, rounded);
		if (!c)
			return NULL;
	}
	p = c->data + c->used;
	c->used += rounded;
	arena->used_total += rounded;
	return p;
}

void *ice_arena__alloc(ice_arena *arena, size_t size)
{
	void *p = ice_arena__alloc_raw(arena, size);
	if (p)
		memset(p, 0, size);
	return p;
}

void *ice_arena__allocarray(ice_arena *arena, size_t n, size_t size)
{
	size_t total;
	if (ice__mul_overflow(n, size, &total)) {
		ice_error__oom();
		return NULL;
	}
	return ice_arena__alloc(arena, total);
}

char *ice_arena__strndup(ice_arena *arena, const char *s, size_t n)
{
	char *p = ice_arena__alloc_raw(arena, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *ice_arena__strdup(ice_arena *arena, const char *s)
{
	return s ? ice_arena__strndup(arena, s, strlen(s)) : NULL;
}

void *ice_arena__memdup(ice_arena *arena, const void *src, size_t n)
{
	void *p = ice_arena__alloc_raw(arena, n);
	if (p && n)
		memcpy(p, src, n);
	return p;
}

static void free_chunks(ice_arena_chunk *c)
{
	while (c) {
		ice_arena_chunk *next = c->next;
		ice__free(c);
		c = next;
	}
}

void ice_arena__free(ice_arena *arena)
{
	free_chunks(arena->head);
	free_chunks(arena->spare);
	arena->head = NULL;
	arena->spare = NULL;
	arena->used_total = 0;
}

void ice_arena__reset(ice_arena *arena)
{
#if defined(ICE_ARENA_DEBUG) && ICE_ARENA_DEBUG
	/* Every item its own allocation: nothing worth keeping, and freeing
	 * lets ASan see a use after the reset. */
	ice_arena__free(arena);
#else
	ice_arena_chunk *c = arena->head;
	while (c) {
		ice_arena_chunk *next = c->next;
		c->next = arena->spare;
		arena->spare = c;
		c = next;
	}
	arena->head = NULL;
	arena->used_total = 0;
#endif
}
