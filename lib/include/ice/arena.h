/*
 * ice/arena.h - a memory pool for values the caller asks the library to
 * build (literals parsed from text, for instance). Everything allocated in an
 * arena is released at once by ice_arena_free().
 */
#ifndef ICE_ARENA_H
#define ICE_ARENA_H

#include "common.h"

ICE_BEGIN_DECL

typedef struct ice_arena ice_arena;

ICE_EXTERN int ice_arena_new(ice_arena **out);
ICE_EXTERN void ice_arena_free(ice_arena *arena);

ICE_END_DECL

#endif
