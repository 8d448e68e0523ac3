/*
 * util/uuid.c - UUID parse/format; random UUIDs from libuuid.
 */
#include <stddef.h>
#include <uuid/uuid.h>

#include "uuid.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool ice_uuid__parse(const char *s, size_t len, uint8_t out[16])
{
	size_t i, o = 0;
	if (len != ICE_UUID_STRLEN)
		return false;
	for (i = 0; i < len;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
			i++;
			continue;
		}
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[o++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return o == 16;
}

void ice_uuid__format(const uint8_t u[16], char out[ICE_UUID_STRLEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 15];
	}
	out[o] = '\0';
}

void ice_uuid__random(uint8_t out[16])
{
	uuid_generate_random(out);
}
