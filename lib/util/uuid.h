/*
 * util/uuid.h - UUIDs as 16 big-endian bytes (libuuid for random ones).
 */
#ifndef ICE_UTIL_UUID_H
#define ICE_UTIL_UUID_H

#include <stdbool.h>
#include <stdint.h>

#define ICE_UUID_STRLEN 36

/* Parses the canonical 8-4-4-4-12 hex form (either case). */
bool ice_uuid__parse(const char *s, size_t len, uint8_t out[16]);
/* Writes the lowercase canonical form plus NUL into out[37]. */
void ice_uuid__format(const uint8_t uuid[16], char out[ICE_UUID_STRLEN + 1]);
/* A random (version 4) UUID. */
void ice_uuid__random(uint8_t out[16]);

#endif
