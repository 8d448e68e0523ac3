/*
 * util/int128.h - 128-bit integers for decimal(P<=38) unscaled values.
 * GCC and Clang provide __int128; __extension__ keeps -pedantic quiet.
 */
#ifndef ICE_UTIL_INT128_H
#define ICE_UTIL_INT128_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

__extension__ typedef __int128 ice_i128;
__extension__ typedef unsigned __int128 ice_u128;

#define ICE_I128_MAX ((ice_i128)(~(ice_u128)0 >> 1))
#define ICE_I128_MIN (-ICE_I128_MAX - 1)

/* 10^n for n in [0, 38]. */
ice_i128 ice_i128__pow10(int n);
/* Number of decimal digits of |v| (1 for 0). */
int ice_i128__digits(ice_i128 v);
/* Decimal text of v into out (at least 41 bytes); returns the length. */
size_t ice_i128__to_string(ice_i128 v, char *out);
/* Two's-complement big-endian bytes, minimal length (1..16). */
size_t ice_i128__to_min_be(ice_i128 v, uint8_t out[16]);
/* Sign-extends 1..16 big-endian bytes. False if len is 0 or > 16. */
bool ice_i128__from_be(const uint8_t *data, size_t len, ice_i128 *out);

#endif
