/*
 * util/murmur3.c - MurmurHash3_x86_32 (public domain algorithm by Austin
 * Appleby), as required by spec Appendix B. Bytes are read little-endian
 * regardless of the host.
 */
#include "murmur3.h"

static inline uint32_t rotl32(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

uint32_t ice_murmur3__x86_32(const void *data, size_t len, uint32_t seed)
{
	const uint8_t *p = data;
	const size_t nblocks = len / 4;
	const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
	uint32_t h = seed, k;
	size_t i;

	for (i = 0; i < nblocks; i++) {
		const uint8_t *b = p + i * 4;
		k = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
		k *= c1;
		k = rotl32(k, 15);
		k *= c2;
		h ^= k;
		h = rotl32(h, 13);
		h = h * 5 + 0xe6546b64;
	}

	const uint8_t *tail = p + nblocks * 4;
	k = 0;
	switch (len & 3) {
	case 3:
		k ^= (uint32_t)tail[2] << 16;
		/* fall through */
	case 2:
		k ^= (uint32_t)tail[1] << 8;
		/* fall through */
	case 1:
		k ^= tail[0];
		k *= c1;
		k = rotl32(k, 15);
		k *= c2;
		h ^= k;
	}

	h ^= (uint32_t)len;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}
