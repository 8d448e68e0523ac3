/*
 * util/int128.c - helpers for 128-bit decimal unscaled values.
 */
#include "int128.h"

ice_i128 ice_i128__pow10(int n)
{
	ice_i128 v = 1;
	while (n-- > 0)
		v *= 10;
	return v;
}

int ice_i128__digits(ice_i128 v)
{
	ice_u128 u = v < 0 ? (ice_u128)0 - (ice_u128)v : (ice_u128)v;
	int d = 1;
	while (u >= 10) {
		u /= 10;
		d++;
	}
	return d;
}

size_t ice_i128__to_string(ice_i128 v, char *out)
{
	char tmp[48];
	size_t n = 0, o = 0;
	ice_u128 u = v < 0 ? (ice_u128)0 - (ice_u128)v : (ice_u128)v;
	do {
		tmp[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	if (v < 0)
		out[o++] = '-';
	while (n)
		out[o++] = tmp[--n];
	out[o] = '\0';
	return o;
}

size_t ice_i128__to_min_be(ice_i128 v, uint8_t out[16])
{
	uint8_t full[16];
	ice_u128 u = (ice_u128)v;
	size_t start = 0;
	for (int i = 15; i >= 0; i--) {
		full[i] = (uint8_t)(u & 0xff);
		u >>= 8;
	}
	/* Drop leading bytes that are pure sign extension of the next byte. */
	while (start < 15) {
		uint8_t b = full[start], next = full[start + 1];
		if ((b == 0x00 && !(next & 0x80)) || (b == 0xff && (next & 0x80)))
			start++;
		else
			break;
	}
	for (size_t i = start; i < 16; i++)
		out[i - start] = full[i];
	return 16 - start;
}

bool ice_i128__from_be(const uint8_t *data, size_t len, ice_i128 *out)
{
	ice_u128 u;
	if (len == 0 || len > 16)
		return false;
	u = (data[0] & 0x80) ? ~(ice_u128)0 : 0;
	for (size_t i = 0; i < len; i++)
		u = (u << 8) | data[i];
	*out = (ice_i128)u;
	return true;
}
