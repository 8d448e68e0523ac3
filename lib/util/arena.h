/*
 * util/arena.h - arenas for object graphs that live and die together (one
 * metadata document, one manifest's entries), after libgit2's git_pool.
 *
 * Built with -DICE_ARENA_DEBUG=1 (meson -Darena_debug=true) every item is a
 * separate heap allocation, so ASan and valgrind see each one's bounds.
 */
#ifndef ICE_UTIL_ARENA_H
#define ICE_UTIL_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct ice_arena_chunk ice_arena_chunk;

typedef struct ice_arena {
	ice_arena_chunk *head;
	size_t chunk_size;
	size_t used_total; /* bytes handed out, for reporting */
	ice_arena_chunk *spare; /* chunks kept by ice_arena__reset, used again first */
} ice_arena;

void ice_arena__init(ice_arena *arena, size_t chunk_size);
/* Zeroed memory aligned for any type; NULL (out of memory) on failure. */
void *ice_arena__alloc(ice_arena *arena, size_t size);
/* Same, not zeroed: for memory the caller fills completely. */
void *ice_arena__alloc_raw(ice_arena *arena, size_t size);
void *ice_arena__allocarray(ice_arena *arena, size_t n, size_t size);
char *ice_arena__strdup(ice_arena *arena, const char *s);
char *ice_arena__strndup(ice_arena *arena, const char *s, size_t n);
void *ice_arena__memdup(ice_arena *arena, const void *p, size_t n);
/* Releases every item at once. The arena may be reused after. */
void ice_arena__free(ice_arena *arena);
/* Releases every item at once but keeps the chunks for the next items: an
 * arena filled and emptied over and over (a planner's batch per manifest)
 * stops asking the allocator, and the kernel, for memory again. */
void ice_arena__reset(ice_arena *arena);

#endif
