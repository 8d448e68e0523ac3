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
/* Decimal text of v into out (at least 21 bytes, NUL-terminated); its length. */
size_t ice_str__from_int64(char *out, int64_t v);
size_t ice_str__from_uint64(char *out, uint64_t v);

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
/* The value of one hex digit, or -1. */
int ice_hex__value(char c);

/* Validates UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool ice_utf8__valid(const uint8_t *s, size_t len);
/* Byte length of the first n code points of valid UTF-8 `s`. */
size_t ice_utf8__prefix_len(const uint8_t *s, size_t len, size_t n);
/* Number of code points of valid UTF-8. */
size_t ice_utf8__count(const uint8_t *s, size_t len);

/*
 * Byte-parallel tests on 8 bytes at once (SWAR): a nonzero result means some
 * byte of x equals b / is below n (n <= 128).
 */
#define ICE_SWAR_ONES UINT64_C(0x0101010101010101)
#define ICE_SWAR_HIGHS UINT64_C(0x8080808080808080)
static inline uint64_t ice_swar__has_byte(uint64_t x, uint8_t b)
{
	uint64_t y = x ^ (ICE_SWAR_ONES * b);
	return (y - ICE_SWAR_ONES) & ~y & ICE_SWAR_HIGHS;
}
static inline uint64_t ice_swar__has_less(uint64_t x, uint8_t n)
{
	return (x - ICE_SWAR_ONES * n) & ~x & ICE_SWAR_HIGHS;
}
/* Length of the leading run of bytes that are none of '"', '\\', below
 * 0x20: the bytes a JSON string can hold as they are. *high collects the
 * bytes' high bits (non-ASCII seen). */
static inline size_t ice_json_plain_run(const uint8_t *s, size_t len, uint8_t *high)
{
	size_t i = 0;
	uint64_t acc = 0;
	while (i + 8 <= len) {
		uint64_t w;
		__builtin_memcpy(&w, s + i, 8);
		if (ice_swar__has_byte(w, '"') | ice_swar__has_byte(w, '\\') | ice_swar__has_less(w, 0x20))
			break;
		acc |= w;
		i += 8;
	}
	uint8_t h = (acc & ICE_SWAR_HIGHS) ? 0x80 : 0;
	for (; i < len; i++) {
		uint8_t c = s[i];
		if (c == '"' || c == '\\' || c < 0x20)
			break;
		h |= c;
	}
	*high |= h;
	return i;
}

/* Standard base64 (RFC 4648, with padding). out needs 4*ceil(len/3)+1. */
size_t ice_base64__encode(const uint8_t *data, size_t len, char *out);
/* Standard or URL-safe base64 (padding optional) into out (room for len*3/4
 * bytes); false for a character outside the alphabet. */
bool ice_base64__decode(const char *s, size_t len, uint8_t *out, size_t *out_len);

#endif
