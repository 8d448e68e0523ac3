/*
 * util/version.c - the library version, and the public face of arenas.
 */
#include "ice/arena.h"
#include "ice/common.h"

#include "alloc.h"
#include "arena.h"

const char *ice_version(void)
{
	return ICE_VERSION_STRING;
}

/* The public ice_arena is the internal arena behind an opaque pointer. */
int ice_arena_new(ice_arena **out)
{
	ice_arena *a = ice__malloc(sizeof(*a));
	*out = NULL;
	if (!a)
		return -1;
	ice_arena__init(a, 0);
	*out = a;
	return 0;
}

void ice_arena_free(ice_arena *arena)
{
	if (!arena)
		return;
	ice_arena__free(arena);
	ice__free(arena);
}
