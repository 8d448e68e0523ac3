/*
 * util/hashmap.h - open-addressing hash maps keyed by int64 or by string.
 *
 * Keys of string maps are borrowed: the caller keeps them alive as long as the
 * map (they usually point into the same arena as the values). Values are
 * opaque pointers. Linear probing with backward-shift deletion.
 */
#ifndef ICE_UTIL_HASHMAP_H
#define ICE_UTIL_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ice_map_slot {
	uint64_t hash; /* 0 marks an empty slot */
	const char *skey;
	size_t skey_len;
	int64_t ikey;
	void *value;
} ice_map_slot;

typedef struct ice_map {
	ice_map_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t count;
	bool string_keys;
} ice_map;

void ice_map__init(ice_map *map, bool string_keys);
void ice_map__free(ice_map *map);
int ice_map__reserve(ice_map *map, size_t n);

int ice_map__put_int(ice_map *map, int64_t key, void *value);
bool ice_map__get_int(const ice_map *map, int64_t key, void **value_out);
bool ice_map__remove_int(ice_map *map, int64_t key);

int ice_map__put_str(ice_map *map, const char *key, size_t len, void *value);
bool ice_map__get_str(const ice_map *map, const char *key, size_t len, void **value_out);
bool ice_map__remove_str(ice_map *map, const char *key, size_t len);

/* Iterate: start with *pos = 0; returns the next used slot or NULL. */
const ice_map_slot *ice_map__next(const ice_map *map, size_t *pos);

uint64_t ice_hash__bytes(const void *data, size_t len);
uint64_t ice_hash__int(uint64_t x);

#endif
