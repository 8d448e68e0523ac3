/*
 * util/strutil.h - small string helpers: strict integer parsing, hex, UTF-8.
 */
#ifndef ICE_UTIL_STRUTIL_H
#define ICE_UTIL_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whole-string parses; false on junk, empty input or overflow. */
bool ice_str__to_int64(const char *s, size_t len, int64_t *out);
bool ice_str__to_int32(const char *s, size_t len, int32_t *out);
bool ice_str__to_double(const char *s, size_t len, double *out);

bool ice_str__starts_with(const char *s, const char *prefix);
bool ice_str__ends_with(const char *s, const char *suffix);
/* ASCII case-insensitive equality of two counted strings. */
bool ice_str__ieq(const char *a, size_t alen, const char *b, size_t blen);
/* Skips ASCII whitespace at both ends. */
void ice_str__trim(const char **s, size_t *len);

/* Lowercase hex of `len` bytes into out (2*len+1 bytes). */
void ice_hex__encode(const uint8_t *data, size_t len, char *out);
/* Decodes 2*n hex digits into out[n]; false on odd length or a bad digit. */
bool ice_hex__decode(const char *s, size_t len, uint8_t *out);

/* Validates UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool ice_utf8__valid(const uint8_t *s, size_t len);
/* Byte length of the first n code points of valid UTF-8 `s`. */
size_t ice_utf8__prefix_len(const uint8_t *s, size_t len, size_t n);
/* Number of code points of valid UTF-8. */
size_t ice_utf8__count(const uint8_t *s, size_t len);

/* Standard base64 (RFC 4648, with padding). out needs 4*ceil(len/3)+1. */
size_t ice_base64__encode(const uint8_t *data, size_t len, char *out);

#endif
