/*
 * util/hashmap.c - open-addressing hash maps (int64 or string keys).
 */
#include <string.h>

#include "alloc.h"
#include "hashmap.h"

uint64_t ice_hash__int(uint64_t x)
{
	/* splitmix64 finalizer */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x ? x : 1;
}

uint64_t ice_hash__bytes(const void *data, size_t len)
{
	/* Eight bytes at a time, multiply-xorshift mixing; a final avalanche. */
	const unsigned char *p = data;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xff51afd7ed558ccdULL), k;
	while (len >= 8) {
		memcpy(&k, p, 8);
		h = (h ^ (k * 0xc2b2ae3d27d4eb4fULL)) * 0x165667b19e3779f9ULL;
		h ^= h >> 29;
		p += 8;
		len -= 8;
	}
	k = 0;
	memcpy(&k, p, len);
	h = (h ^ (k * 0xc2b2ae3d27d4eb4fULL)) * 0x165667b19e3779f9ULL;
	return ice_hash__int(h);
}

void ice_map__init(ice_map *map, bool string_keys)
{
	memset(map, 0, sizeof(*map));
	map->string_keys = string_keys;
}

void ice_map__free(ice_map *map)
{
	ice__free(map->slots);
	map->slots = NULL;
	map->cap = map->count = 0;
}

static bool slot_matches(const ice_map *map, const ice_map_slot *s, uint64_t hash, const char *skey,
                         size_t len, int64_t ikey)
{
	if (s->hash != hash)
		return false;
	if (map->string_keys)
		return s->skey_len == len && memcmp(s->skey, skey, len) == 0;
	return s->ikey == ikey;
}

static int rehash(ice_map *map, size_t cap)
{
	ice_map_slot *old = map->slots;
	size_t oldcap = map->cap;
	ice_map_slot *slots = ice__calloc(cap, sizeof(ice_map_slot));
	if (!slots)
		return -1;
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].hash)
			continue;
		size_t j = old[i].hash & (cap - 1);
		while (slots[j].hash)
			j = (j + 1) & (cap - 1);
		slots[j] = old[i];
	}
	ice__free(old);
	map->slots = slots;
	map->cap = cap;
	return 0;
}

int ice_map__reserve(ice_map *map, size_t n)
{
	size_t cap = map->cap ? map->cap : 16;
	while (cap / 4 * 3 < n)
		cap *= 2;
	if (cap != map->cap)
		return rehash(map, cap);
	return 0;
}

static int put(ice_map *map, uint64_t hash, const char *skey, size_t len, int64_t ikey, void *value)
{
	size_t i;
	if ((map->count + 1) > map->cap / 4 * 3 && ice_map__reserve(map, map->count + 1))
		return -1;
	i = hash & (map->cap - 1);
	while (map->slots[i].hash) {
		if (slot_matches(map, &map->slots[i], hash, skey, len, ikey)) {
			map->slots[i].value = value;
			return 0;
		}
		i = (i + 1) & (map->cap - 1);
	}
	map->slots[i].hash = hash;
	map->slots[i].skey = skey;
	map->slots[i].skey_len = len;
	map->slots[i].ikey = ikey;
	map->slots[i].value = value;
	map->count++;
	return 0;
}

static ice_map_slot *find(const ice_map *map, uint64_t hash, const char *skey, size_t len, int64_t ikey)
{
	size_t i;
	if (!map->cap)
		return NULL;
	i = hash & (map->cap - 1);
	while (map->slots[i].hash) {
		if (slot_matches(map, &map->slots[i], hash, skey, len, ikey))
			return &map->slots[i];
		i = (i + 1) & (map->cap - 1);
	}
	return NULL;
}

static void remove_slot(ice_map *map, ice_map_slot *s)
{
	size_t i = (size_t)(s - map->slots);
	size_t mask = map->cap - 1;
	size_t j = i;
	map->slots[i].hash = 0;
	map->count--;
	/* Backward-shift: move later entries of the probe run into the hole. */
	for (;;) {
		j = (j + 1) & mask;
		if (!map->slots[j].hash)
			break;
		size_t home = map->slots[j].hash & mask;
		/* Can the entry at j move to i? Only if its home is not in (i, j]. */
		bool between = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
		if (between)
			continue;
		map->slots[i] = map->slots[j];
		map->slots[j].hash = 0;
		i = j;
	}
}

int ice_map__put_int(ice_map *map, int64_t key, void *value)
{
	return put(map, ice_hash__int((uint64_t)key), NULL, 0, key, value);
}

bool ice_map__get_int(const ice_map *map, int64_t key, void **value_out)
{
	ice_map_slot *s = find(map, ice_hash__int((uint64_t)key), NULL, 0, key);
	if (s && value_out)
		*value_out = s->value;
	return s != NULL;
}

bool ice_map__remove_int(ice_map *map, int64_t key)
{
	ice_map_slot *s = find(map, ice_hash__int((uint64_t)key), NULL, 0, key);
	if (s)
		remove_slot(map, s);
	return s != NULL;
}

int ice_map__put_str(ice_map *map, const char *key, size_t len, void *value)
{
	return put(map, ice_hash__bytes(key, len), key, len, 0, value);
}

bool ice_map__get_str(const ice_map *map, const char *key, size_t len, void **value_out)
{
	ice_map_slot *s = find(map, ice_hash__bytes(key, len), key, len, 0);
	if (s && value_out)
		*value_out = s->value;
	return s != NULL;
}

bool ice_map__remove_str(ice_map *map, const char *key, size_t len)
{
	ice_map_slot *s = find(map, ice_hash__bytes(key, len), key, len, 0);
	if (s)
		remove_slot(map, s);
	return s != NULL;
}

const ice_map_slot *ice_map__next(const ice_map *map, size_t *pos)
{
	while (*pos < map->cap) {
		const ice_map_slot *s = &map->slots[(*pos)++];
		if (s->hash)
			return s;
	}
	return NULL;
}
