/*
 * puffin/dv.c - deletion vectors (spec "Deletion Vectors", Puffin spec
 * "deletion-vector-v1"): sets of row positions kept as 16-bit containers
 * keyed by the position's upper 48 bits, decoded from and serialized to the
 * 64-bit "portable" Roaring layout (RoaringFormatSpec: a count, then per
 * 32-bit key a standard Roaring bitmap with array, bitmap and run
 * containers) inside the blob envelope (big-endian length, magic
 * D1 D3 39 64, big-endian CRC-32 of magic and bitmap).
 *
 * In memory a container is a sorted array of up to 4096 16-bit values or a
 * 65536-bit bitmap; runs read from a file become one of the two. Serializing
 * picks each container's smallest form, as the reference implementation
 * does after run optimization, so equal sets give equal bytes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define ARRAY_MAX 4096
#define BITMAP_WORDS 1024
#define COOKIE_NO_RUNS 12346
#define COOKIE_RUNS 12347

typedef struct dv_chunk {
	uint64_t key;    /* position >> 16 */
	uint32_t card;   /* values held */
	uint32_t cap;    /* array capacity */
	uint16_t *array; /* sorted values (array form) */
	uint64_t *bits;  /* 1024 words (bitmap form) when not NULL */
} dv_chunk;

struct ice_deletion_vector {
	dv_chunk *chunks;
	size_t n, cap;
	int64_t cardinality;
};

static const uint8_t DV_MAGIC[4] = {0xD1, 0xD3, 0x39, 0x64};

int ice_deletion_vector_new(ice_deletion_vector **out)
{
	*out = ice__calloc(1, sizeof(**out));
	return *out ? 0 : ICE_ERROR;
}

void ice_deletion_vector_free(ice_deletion_vector *dv)
{
	if (!dv)
		return;
	for (size_t i = 0; i < dv->n; i++) {
		ice__free(dv->chunks[i].array);
		ice__free(dv->chunks[i].bits);
	}
	ice__free(dv->chunks);
	ice__free(dv);
}

int64_t ice_deletion_vector_cardinality(const ice_deletion_vector *dv)
{
	return dv->cardinality;
}

/* Index of the chunk with `key`, or where it would go (*found false). */
static size_t chunk_find(const ice_deletion_vector *dv, uint64_t key, bool *found)
{
	size_t lo = 0, hi = dv->n;
	if (dv->n && dv->chunks[dv->n - 1].key < key) {
		*found = false;
		return dv->n;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (dv->chunks[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < dv->n && dv->chunks[lo].key == key;
	return lo;
}

static dv_chunk *chunk_insert(ice_deletion_vector *dv, size_t at, uint64_t key)
{
	if (dv->n == dv->cap) {
		size_t cap = dv->cap ? dv->cap * 2 : 4;
		dv_chunk *c = ice__reallocarray(dv->chunks, cap, sizeof(*c));
		if (!c)
			return NULL;
		dv->chunks = c;
		dv->cap = cap;
	}
	memmove(&dv->chunks[at + 1], &dv->chunks[at], (dv->n - at) * sizeof(dv_chunk));
	memset(&dv->chunks[at], 0, sizeof(dv_chunk));
	dv->chunks[at].key = key;
	dv->n++;
	return &dv->chunks[at];
}

static int to_bitmap(dv_chunk *c)
{
	uint64_t *bits = ice__calloc(BITMAP_WORDS, sizeof(uint64_t));
	if (!bits)
		return ICE_ERROR;
	for (uint32_t i = 0; i < c->card; i++)
		bits[c->array[i] >> 6] |= (uint64_t)1 << (c->array[i] & 63);
	ice__free(c->array);
	c->array = NULL;
	c->cap = 0;
	c->bits = bits;
	return 0;
}

/* Index of the first array value >= v. */
static uint32_t array_lower(const dv_chunk *c, uint16_t v)
{
	uint32_t lo = 0, hi = c->card;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (c->array[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* 1 when added, 0 when present already, or an error. */
static int chunk_add(dv_chunk *c, uint16_t v)
{
	if (c->bits) {
		uint64_t m = (uint64_t)1 << (v & 63);
		if (c->bits[v >> 6] & m)
			return 0;
		c->bits[v >> 6] |= m;
		c->card++;
		return 1;
	}
	uint32_t at = c->card && c->array[c->card - 1] < v ? c->card : array_lower(c, v);
	if (at < c->card && c->array[at] == v)
		return 0;
	if (c->card == ARRAY_MAX) {
		int rc = to_bitmap(c);
		return rc ? rc : chunk_add(c, v);
	}
	if (c->card == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 8;
		if (cap > ARRAY_MAX)
			cap = ARRAY_MAX;
		uint16_t *a = ice__reallocarray(c->array, cap, sizeof(uint16_t));
		if (!a)
			return ICE_ERROR;
		c->array = a;
		c->cap = cap;
	}
	memmove(&c->array[at + 1], &c->array[at], (c->card - at) * sizeof(uint16_t));
	c->array[at] = v;
	c->card++;
	return 1;
}

static dv_chunk *chunk_get(ice_deletion_vector *dv, uint64_t key)
{
	if (dv->n && dv->chunks[dv->n - 1].key == key)
		return &dv->chunks[dv->n - 1];
	bool found;
	size_t at = chunk_find(dv, key, &found);
	return found ? &dv->chunks[at] : chunk_insert(dv, at, key);
}

int ice_deletion_vector_add(ice_deletion_vector *dv, int64_t pos)
{
	if (pos < 0)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "deletion vector: negative position %lld",
		                      (long long)pos);
	dv_chunk *c = chunk_get(dv, (uint64_t)pos >> 16);
	if (!c)
		return ICE_ERROR;
	int rc = chunk_add(c, (uint16_t)(pos & 0xffff));
	if (rc < 0)
		return rc;
	dv->cardinality += rc;
	return 0;
}

int ice_deletion_vector_add_range(ice_deletion_vector *dv, int64_t start, int64_t end)
{
	if (start < 0 || end < start)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "deletion vector: bad range [%lld, %lld)",
		                      (long long)start, (long long)end);
	while (start < end) {
		uint64_t key = (uint64_t)start >> 16;
		int64_t stop = (int64_t)((key + 1) << 16);
		if (stop > end)
			stop = end;
		dv_chunk *c = chunk_get(dv, key);
		if (!c)
			return ICE_ERROR;
		if (!c->bits && c->card + (stop - start) > ARRAY_MAX && to_bitmap(c) != 0)
			return ICE_ERROR;
		for (int64_t p = start; p < stop; p++) {
			int rc = chunk_add(c, (uint16_t)(p & 0xffff));
			if (rc < 0)
				return rc;
			dv->cardinality += rc;
		}
		start = stop;
	}
	return 0;
}

int ice_deletion_vector_merge(ice_deletion_vector *dv, const ice_deletion_vector *other)
{
	for (int64_t p = ice_deletion_vector_next(other, 0); p >= 0; p = ice_deletion_vector_next(other, p + 1)) {
		int rc = ice_deletion_vector_add(dv, p);
		if (rc)
			return rc;
	}
	return 0;
}

bool ice_deletion_vector_contains(const ice_deletion_vector *dv, int64_t pos)
{
	bool found;
	if (pos < 0)
		return false;
	size_t at = chunk_find(dv, (uint64_t)pos >> 16, &found);
	if (!found)
		return false;
	const dv_chunk *c = &dv->chunks[at];
	uint16_t v = (uint16_t)(pos & 0xffff);
	if (c->bits)
		return (c->bits[v >> 6] >> (v & 63)) & 1;
	uint32_t i = array_lower(c, v);
	return i < c->card && c->array[i] == v;
}

/* First value >= v in a chunk, or -1. */
static int32_t chunk_next(const dv_chunk *c, uint32_t v)
{
	if (v > 0xffff)
		return -1;
	if (c->bits) {
		size_t w = v >> 6;
		uint64_t word = c->bits[w] & (~(uint64_t)0 << (v & 63));
		for (;;) {
			if (word)
				return (int32_t)(w * 64 + (size_t)__builtin_ctzll(word));
			if (++w == BITMAP_WORDS)
				return -1;
			word = c->bits[w];
		}
	}
	uint32_t i = array_lower(c, (uint16_t)v);
	return i < c->card ? (int32_t)c->array[i] : -1;
}

int64_t ice_deletion_vector_next(const ice_deletion_vector *dv, int64_t from)
{
	bool found;
	if (from < 0)
		from = 0;
	uint64_t key = (uint64_t)from >> 16;
	size_t at = chunk_find(dv, key, &found);
	for (; at < dv->n; at++) {
		const dv_chunk *c = &dv->chunks[at];
		int32_t v = chunk_next(c, c->key == key ? (uint32_t)(from & 0xffff) : 0);
		if (v >= 0)
			return (int64_t)((c->key << 16) | (uint64_t)v);
	}
	return -1;
}

int64_t ice_deletion_vector__last(const ice_deletion_vector *dv)
{
	if (!dv->n)
		return -1;
	const dv_chunk *c = &dv->chunks[dv->n - 1];
	int64_t base = (int64_t)(c->key << 16);
	if (c->bits) {
		for (int w = 1023; w >= 0; w--)
			if (c->bits[w])
				return base + w * 64 + (63 - __builtin_clzll(c->bits[w]));
		return -1;
	}
	return c->card ? base + c->array[c->card - 1] : -1;
}

void ice_deletion_vector_mark(const ice_deletion_vector *dv, uint8_t *bits, uint64_t nbits)
{
	for (size_t i = 0; i < dv->n; i++) {
		const dv_chunk *c = &dv->chunks[i];
		uint64_t base = c->key << 16;
		if (base >= nbits)
			break;
		if (c->bits) {
			uint64_t limit = nbits - base < 65536 ? nbits - base : 65536;
			uint8_t *dst = bits + base / 8;
			for (uint64_t b = 0; b < limit / 8; b++)
				dst[b] |= (uint8_t)(c->bits[b / 8] >> ((b % 8) * 8));
			for (uint64_t p = limit & ~(uint64_t)7; p < limit; p++)
				if ((c->bits[p >> 6] >> (p & 63)) & 1)
					dst[p / 8] |= (uint8_t)(1u << (p % 8));
			continue;
		}
		for (uint32_t k = 0; k < c->card; k++) {
			uint64_t p = base + c->array[k];
			if (p < nbits)
				bits[p / 8] |= (uint8_t)(1u << (p % 8));
		}
	}
}

/* ---- decoding -------------------------------------------------------------- */

typedef struct cursor {
	const uint8_t *start, *p, *end;
	const char *what;
} cursor;

static int corrupt(const cursor *c, const char *fmt, ...) ICE_PRINTF(2, 3);
static int corrupt(const cursor *c, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: offset %lld: %s", c->what,
	                      (long long)(c->p - c->start), msg);
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static bool need(const cursor *c, size_t n)
{
	return (size_t)(c->end - c->p) >= n;
}

/* Add a decoded container (values given as array, bitmap or runs). */
static int put_container(ice_deletion_vector *dv, uint64_t key, uint32_t card, const uint8_t *array,
                         const uint8_t *bitmap, const uint8_t *runs, uint32_t nruns)
{
	dv_chunk *c = chunk_insert(dv, dv->n, key);
	if (!c)
		return ICE_ERROR;
	if (card > ARRAY_MAX) {
		if (!(c->bits = ice__calloc(BITMAP_WORDS, sizeof(uint64_t))))
			return ICE_ERROR;
	} else if (!(c->array = ice__mallocarray(card, sizeof(uint16_t)))) {
		return ICE_ERROR;
	} else {
		c->cap = card;
	}
	if (bitmap) {
		for (size_t w = 0; w < BITMAP_WORDS; w++) {
			uint64_t v = (uint64_t)le32(bitmap + w * 8) | ((uint64_t)le32(bitmap + w * 8 + 4) << 32);
			c->bits[w] = v;
		}
	} else if (array) {
		for (uint32_t i = 0; i < card; i++)
			c->array[i] = le16(array + 2 * i);
	} else {
		uint32_t k = 0;
		for (uint32_t r = 0; r < nruns; r++) {
			uint32_t s = le16(runs + 4 * r), len = le16(runs + 4 * r + 2);
			for (uint32_t v = s; v <= s + len; v++) {
				if (c->bits)
					c->bits[v >> 6] |= (uint64_t)1 << (v & 63);
				else
					c->array[k++] = (uint16_t)v;
			}
		}
	}
	c->card = card;
	dv->cardinality += card;
	return 0;
}

/* One standard 32-bit Roaring bitmap whose positions have `high` as their
 * upper 32 bits. */
static int decode_bitmap32(ice_deletion_vector *dv, cursor *c, uint32_t high)
{
	if (!need(c, 4))
		return corrupt(c, "truncated Roaring bitmap");
	uint32_t cookie = le32(c->p), n;
	const uint8_t *runflags = NULL;
	bool has_run = (cookie & 0xffff) == COOKIE_RUNS;
	c->p += 4;
	if (has_run) {
		n = (cookie >> 16) + 1;
		if (!need(c, (n + 7) / 8))
			return corrupt(c, "truncated run flags");
		runflags = c->p;
		c->p += (n + 7) / 8;
	} else if (cookie == COOKIE_NO_RUNS) {
		if (!need(c, 4))
			return corrupt(c, "truncated container count");
		n = le32(c->p);
		c->p += 4;
		if (n > 65536)
			return corrupt(c, "container count %lld", (long long)n);
	} else {
		c->p -= 4;
		return corrupt(c, "unknown Roaring cookie 0x%llx", (long long)cookie);
	}
	if (!need(c, (size_t)n * 4))
		return corrupt(c, "truncated container headers");
	const uint8_t *desc = c->p;
	c->p += (size_t)n * 4;
	if (!has_run || n >= 4) {
		if (!need(c, (size_t)n * 4))
			return corrupt(c, "truncated container offsets");
		c->p += (size_t)n * 4;
	}
	int32_t prev_key = -1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t key16 = le16(desc + 4 * i), card = (uint32_t)le16(desc + 4 * i + 2) + 1;
		uint64_t key = ((uint64_t)high << 16) | key16;
		int rc;
		if ((int32_t)key16 <= prev_key)
			return corrupt(c, "containers out of order at key %lld", (long long)key16);
		prev_key = (int32_t)key16;
		if (runflags && ((runflags[i / 8] >> (i % 8)) & 1)) {
			if (!need(c, 2))
				return corrupt(c, "truncated run container");
			uint32_t nruns = le16(c->p), total = 0;
			int32_t last = -1;
			c->p += 2;
			if (!need(c, (size_t)nruns * 4))
				return corrupt(c, "truncated runs");
			for (uint32_t r = 0; r < nruns; r++) {
				uint32_t s = le16(c->p + 4 * r), len = le16(c->p + 4 * r + 2);
				if ((int32_t)s <= last || s + len > 0xffff)
					return corrupt(c, "overlapping or out-of-range run %lld", (long long)r);
				last = (int32_t)(s + len);
				total += len + 1;
			}
			if (total != card)
				return corrupt(c, "run container holds %lld values, its header says %lld", (long long)total,
				               (long long)card);
			rc = put_container(dv, key, card, NULL, NULL, c->p, nruns);
			c->p += (size_t)nruns * 4;
		} else if (card > ARRAY_MAX) {
			if (!need(c, BITMAP_WORDS * 8))
				return corrupt(c, "truncated bitmap container");
			uint32_t pop = 0;
			for (size_t w = 0; w < BITMAP_WORDS * 8; w += 4)
				pop += (uint32_t)__builtin_popcount(le32(c->p + w));
			if (pop != card)
				return corrupt(c, "bitmap container holds %lld values, its header says %lld", (long long)pop,
				               (long long)card);
			rc = put_container(dv, key, card, NULL, c->p, NULL, 0);
			c->p += BITMAP_WORDS * 8;
		} else {
			if (!need(c, (size_t)card * 2))
				return corrupt(c, "truncated array container");
			for (uint32_t k = 1; k < card; k++)
				if (le16(c->p + 2 * k) <= le16(c->p + 2 * (k - 1)))
					return corrupt(c, "array container values out of order at %lld", (long long)k);
			rc = put_container(dv, key, card, c->p, NULL, NULL, 0);
			c->p += (size_t)card * 2;
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int decode_map(ice_deletion_vector *dv, cursor *c)
{
	if (!need(c, 8))
		return corrupt(c, "truncated bitmap count");
	uint64_t count = (uint64_t)le32(c->p) | ((uint64_t)le32(c->p + 4) << 32);
	c->p += 8;
	int64_t prev = -1;
	for (uint64_t i = 0; i < count; i++) {
		if (!need(c, 4))
			return corrupt(c, "truncated: bitmap %lld", (long long)i);
		uint32_t key = le32(c->p);
		if (key > 0x7fffffffu)
			return corrupt(c, "key too large for a position (at most 2147483647): %lld", (long long)key);
		if ((int64_t)key <= prev)
			return corrupt(c, "bitmap keys out of order at %lld", (long long)key);
		prev = key;
		c->p += 4;
		int rc = decode_bitmap32(dv, c, key);
		if (rc)
			return rc;
	}
	return 0;
}

int ice_deletion_vector_decode_bitmap(ice_deletion_vector **out, const uint8_t *data, size_t len, const char *what)
{
	cursor c = {data, data, data + len, what ? what : "deletion vector"};
	int rc;
	*out = NULL;
	if ((rc = ice_deletion_vector_new(out)) != 0)
		return rc;
	if ((rc = decode_map(*out, &c)) == 0 && c.p != c.end)
		rc = corrupt(&c, "bytes left after the bitmap: %lld", (long long)(c.end - c.p));
	if (rc) {
		ice_deletion_vector_free(*out);
		*out = NULL;
	}
	return rc;
}

int ice_deletion_vector_decode(ice_deletion_vector **out, const uint8_t *blob, size_t len, const char *what)
{
	cursor c = {blob, blob, blob + len, what ? what : "deletion vector"};
	*out = NULL;
	if (len < 12)
		return corrupt(&c, "deletion vector too short: %lld bytes", (long long)len);
	uint32_t vlen = be32(blob);
	if ((uint64_t)vlen + 8 != len)
		return corrupt(&c, "deletion vector length %lld does not match the blob's size", (long long)vlen);
	c.p = blob + 4;
	if (memcmp(blob + 4, DV_MAGIC, 4) != 0)
		return corrupt(&c, "not a deletion vector (magic is not D1 D3 39 64)");
	uint32_t crc = be32(blob + len - 4), actual = ice_crc32(0, blob + 4, vlen);
	if (crc != actual) {
		c.p = blob + len - 4;
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                      "%s: offset %lld: deletion vector CRC 0x%08x does not match its content (0x%08x)",
		                      c.what, (long long)(len - 4), crc, actual);
	}
	cursor inner = {blob, blob + 8, blob + len - 4, c.what};
	ice_deletion_vector *dv;
	int rc = ice_deletion_vector_new(&dv);
	if (rc)
		return rc;
	if ((rc = decode_map(dv, &inner)) == 0 && inner.p != inner.end)
		rc = corrupt(&inner, "bytes left after the bitmap: %lld", (long long)(inner.end - inner.p));
	if (rc) {
		ice_deletion_vector_free(dv);
		return rc;
	}
	*out = dv;
	return 0;
}

int ice_deletion_vector_read(ice_deletion_vector **out, const ice_io *io, const char *location, int64_t offset,
                             int64_t length)
{
	ice_input *in;
	uint8_t *data;
	char what[1024];
	*out = NULL;
	int rc = ice_io__open_input(&in, io, location);
	if (rc)
		return rc;
	if (offset < 0 || length < 0 || (uint64_t)offset > in->size || (uint64_t)length > in->size - (uint64_t)offset) {
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                    "%s: deletion vector at offset %lld, %lld bytes, is outside the file of %llu bytes",
		                    location, (long long)offset, (long long)length, (unsigned long long)in->size);
		ice_input__close(in);
		return rc;
	}
	if (!(data = ice__malloc(length ? (size_t)length : 1))) {
		ice_input__close(in);
		return ICE_ERROR;
	}
	rc = ice_input__read_at(in, (uint64_t)offset, data, (size_t)length);
	ice_input__close(in);
	if (!rc) {
		snprintf(what, sizeof(what), "%s: blob at offset %lld", location, (long long)offset);
		rc = ice_deletion_vector_decode(out, data, (size_t)length, what);
	}
	ice__free(data);
	return rc;
}

/* ---- serializing ------------------------------------------------------------- */

static uint32_t chunk_runs(const dv_chunk *c)
{
	uint32_t runs = 0;
	if (c->bits) {
		for (size_t w = 0; w < BITMAP_WORDS; w++) {
			uint64_t word = c->bits[w];
			uint64_t next_low = w + 1 < BITMAP_WORDS ? (c->bits[w + 1] & 1) : 0;
			/* a run ends where a set bit is followed by a clear one */
			runs += (uint32_t)__builtin_popcountll(word & ~((word >> 1) | (next_low << 63)));
		}
		return runs;
	}
	for (uint32_t i = 0; i < c->card; i++)
		if (i == 0 || c->array[i] != c->array[i - 1] + 1)
			runs++;
	return runs;
}

static void put16(ice_buf *b, uint32_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	ice_buf__put(b, x, 2);
}
static void put32(ice_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	ice_buf__put(b, x, 4);
}

/* Chunks [from, to) share their upper 32 bits: one 32-bit Roaring bitmap. */
static void serialize_bitmap32(ice_buf *b, const dv_chunk *chunks, size_t from, size_t to)
{
	size_t n = to - from, start = b->len;
	bool any_run = false;
	enum { ARRAY, BITMAP, RUN } kind[64];
	uint32_t runs[64];
	/* at most 65536 containers; classify in slices of 64 to stay on the stack */
	uint8_t runflags[8192];
	memset(runflags, 0, (n + 7) / 8);
	for (size_t i = 0; i < n; i++) {
		const dv_chunk *c = &chunks[from + i];
		uint32_t r = chunk_runs(c);
		size_t plain = c->card <= ARRAY_MAX ? (size_t)c->card * 2 : BITMAP_WORDS * 8;
		if (2 + 4 * (size_t)r < plain) {
			runflags[i / 8] |= (uint8_t)(1u << (i % 8));
			any_run = true;
		}
	}
	if (any_run) {
		put32(b, COOKIE_RUNS | (uint32_t)((n - 1) << 16));
		ice_buf__put(b, runflags, (n + 7) / 8);
	} else {
		put32(b, COOKIE_NO_RUNS);
		put32(b, (uint32_t)n);
	}
	for (size_t i = 0; i < n; i++) {
		put16(b, (uint32_t)(chunks[from + i].key & 0xffff));
		put16(b, chunks[from + i].card - 1);
	}
	size_t offsets_at = b->len;
	if (!any_run || n >= 4)
		for (size_t i = 0; i < n; i++)
			put32(b, 0); /* filled below */
	for (size_t base = 0; base < n; base += 64) {
		size_t m = n - base < 64 ? n - base : 64;
		for (size_t k = 0; k < m; k++) {
			size_t i = base + k;
			const dv_chunk *c = &chunks[from + i];
			runs[k] = chunk_runs(c);
			kind[k] = (runflags[i / 8] >> (i % 8)) & 1 ? RUN : c->card <= ARRAY_MAX ? ARRAY : BITMAP;
		}
		for (size_t k = 0; k < m; k++) {
			size_t i = base + k;
			const dv_chunk *c = &chunks[from + i];
			if ((!any_run || n >= 4) && !b->error) {
				uint32_t off = (uint32_t)(b->len - start);
				uint8_t *p = (uint8_t *)b->ptr + offsets_at + 4 * i;
				p[0] = (uint8_t)off, p[1] = (uint8_t)(off >> 8), p[2] = (uint8_t)(off >> 16),
				p[3] = (uint8_t)(off >> 24);
			}
			if (kind[k] == RUN) {
				put16(b, runs[k]);
				int32_t first = chunk_next(c, 0);
				while (first >= 0) {
					int32_t last = first, v;
					while ((v = chunk_next(c, (uint32_t)last + 1)) == last + 1)
						last = v;
					put16(b, (uint32_t)first);
					put16(b, (uint32_t)(last - first));
					first = v;
				}
			} else if (kind[k] == BITMAP) {
				uint64_t words[BITMAP_WORDS];
				if (!c->bits) {
					memset(words, 0, sizeof(words));
					for (uint32_t j = 0; j < c->card; j++)
						words[c->array[j] >> 6] |= (uint64_t)1 << (c->array[j] & 63);
				} else {
					memcpy(words, c->bits, sizeof(words));
				}
				for (size_t w = 0; w < BITMAP_WORDS; w++) {
					put32(b, (uint32_t)words[w]);
					put32(b, (uint32_t)(words[w] >> 32));
				}
			} else if (c->bits) {
				for (int32_t v = chunk_next(c, 0); v >= 0; v = chunk_next(c, (uint32_t)v + 1))
					put16(b, (uint32_t)v);
			} else {
				for (uint32_t j = 0; j < c->card; j++)
					put16(b, c->array[j]);
			}
		}
	}
}

int ice_deletion_vector_serialize(const ice_deletion_vector *dv, uint8_t **out, size_t *len_out)
{
	ice_buf b = ICE_BUF_INIT;
	uint64_t groups = 0;
	*out = NULL;
	*len_out = 0;
	for (size_t i = 0; i < dv->n; i++)
		if (i == 0 || (dv->chunks[i].key >> 16) != (dv->chunks[i - 1].key >> 16))
			groups++;
	put32(&b, 0); /* length, set below */
	ice_buf__put(&b, DV_MAGIC, 4);
	put32(&b, (uint32_t)groups);
	put32(&b, (uint32_t)(groups >> 32));
	for (size_t i = 0; i < dv->n;) {
		size_t j = i + 1;
		while (j < dv->n && (dv->chunks[j].key >> 16) == (dv->chunks[i].key >> 16))
			j++;
		put32(&b, (uint32_t)(dv->chunks[i].key >> 16));
		serialize_bitmap32(&b, dv->chunks, i, j);
		i = j;
	}
	if (b.error) {
		ice_buf__free(&b);
		return ICE_ERROR;
	}
	uint32_t vlen = (uint32_t)(b.len - 4), crc = ice_crc32(0, (const uint8_t *)b.ptr + 4, vlen);
	uint8_t tail[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
	ice_buf__put(&b, tail, 4);
	if (b.error) {
		ice_buf__free(&b);
		return ICE_ERROR;
	}
	uint8_t *p = (uint8_t *)b.ptr;
	p[0] = (uint8_t)(vlen >> 24), p[1] = (uint8_t)(vlen >> 16), p[2] = (uint8_t)(vlen >> 8), p[3] = (uint8_t)vlen;
	*out = (uint8_t *)ice_buf__detach(&b, len_out);
	return *out ? 0 : ICE_ERROR;
}
