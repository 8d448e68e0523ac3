/*
 * parquet/wcolumn.c - the writer's column side: shredding Arrow arrays into
 * repetition and definition levels and values (flat columns a range at a
 * time, nested ones by walking their path from the batch), the dictionary
 * of a column chunk (an open-addressing table whose slots hold the value
 * itself for widths up to 8 bytes), and the bounds of each chunk in Parquet's
 * column order.
 */
#include <math.h>

#include "writer.h"

/* ---- small helpers ------------------------------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

static inline uint32_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ n;
	while (n >= 8) {
		h = (h ^ mix64(pq_load64(p))) * UINT64_C(0x100000001b3);
		p += 8;
		n -= 8;
	}
	uint64_t tail = 0;
	for (size_t i = 0; i < n; i++)
		tail |= (uint64_t)p[i] << (8 * i);
	return (uint32_t)mix64(h ^ tail);
}

/* Order of two PLAIN values of a leaf (Parquet's column order for its type). */
int ice_parquet__w_value_cmp(const colw *c, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	const pq_wleaf *l = c->leaf;
	switch (l->type) {
	case ICE_PARQUET_BOOLEAN: return (int)a[0] - (int)b[0];
	case ICE_PARQUET_INT32: {
		int32_t x = (int32_t)pq_load32(a), y = (int32_t)pq_load32(b);
		return (x > y) - (x < y);
	}
	case ICE_PARQUET_INT64: {
		int64_t x = (int64_t)pq_load64(a), y = (int64_t)pq_load64(b);
		return (x > y) - (x < y);
	}
	case ICE_PARQUET_FLOAT: {
		float x, y;
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		return (x > y) - (x < y);
	}
	case ICE_PARQUET_DOUBLE: {
		double x, y;
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return (x > y) - (x < y);
	}
	case ICE_PARQUET_FIXED_LEN_BYTE_ARRAY:
		if (l->iceberg->id == ICE_TYPE_DECIMAL && (a[0] ^ b[0]) & 0x80)
			return (a[0] & 0x80) ? -1 : 1; /* signed, big-endian */
		/* fall through */
	default: {
		size_t n = alen < blen ? alen : blen;
		int r = n ? memcmp(a, b, n) : 0;
		return r ? r : (alen > blen) - (alen < blen);
	}
	}
}

static bool is_nan(const colw *c, const uint8_t *p)
{
	if (c->leaf->type == ICE_PARQUET_FLOAT) {
		float f;
		memcpy(&f, p, 4);
		return isnan(f);
	}
	if (c->leaf->type == ICE_PARQUET_DOUBLE) {
		double d;
		memcpy(&d, p, 8);
		return isnan(d);
	}
	return false;
}

int ice_parquet__w_update_minmax(colw *c, const uint8_t *p, size_t n)
{
	if (is_nan(c, p))
		return 0;
	if (!c->has_minmax) {
		ice_buf__clear(&c->min);
		ice_buf__clear(&c->max);
		if (ice_buf__put(&c->min, p, n) || ice_buf__put(&c->max, p, n))
			return ICE_ERROR;
		c->has_minmax = true;
		return 0;
	}
	if (ice_parquet__w_value_cmp(c, p, n, (const uint8_t *)c->min.ptr, c->min.len) < 0) {
		ice_buf__clear(&c->min);
		return ice_buf__put(&c->min, p, n);
	}
	if (ice_parquet__w_value_cmp(c, p, n, (const uint8_t *)c->max.ptr, c->max.len) > 0) {
		ice_buf__clear(&c->max);
		return ice_buf__put(&c->max, p, n);
	}
	return 0;
}

/* ---- dictionary ----------------------------------------------------------------- */

const uint8_t *ice_parquet__w_dict_entry(const colw *c, size_t i, size_t *len)
{
	if (c->pw) {
		*len = (size_t)c->pw;
		return (const uint8_t *)c->dict_vals.ptr + i * (size_t)c->pw;
	}
	uint32_t off = ((const uint32_t *)(const void *)c->dict_offs.ptr)[i];
	*len = pq_load32((const uint8_t *)c->dict_vals.ptr + off);
	return (const uint8_t *)c->dict_vals.ptr + off + 4;
}

static int dict_grow(colw *c)
{
	/* Small to start: a table of 200,000 columns holds 200,000 tables. */
	size_t cap = c->slot_cap ? c->slot_cap * 2 : c->slot_hint > 64 ? c->slot_hint : 64;
	dslot *s = ice__calloc(cap, sizeof(dslot));
	if (!s)
		return ICE_ERROR;
	for (size_t i = 0; i < c->slot_cap; i++) {
		if (!c->slots[i].idx1)
			continue;
		size_t pos = c->slots[i].hash & (cap - 1);
		while (s[pos].idx1)
			pos = (pos + 1) & (cap - 1);
		s[pos] = c->slots[i];
	}
	ice__free(c->slots);
	c->slots = s;
	c->slot_cap = cap;
	return 0;
}

static void dict_store(colw *c, const uint8_t *p, size_t n)
{
	if (c->pw) {
		ice_buf__put(&c->dict_vals, p, n);
	} else {
		uint32_t off = (uint32_t)c->dict_vals.len, len32 = (uint32_t)n;
		ice_buf__put(&c->dict_offs, &off, 4);
		ice_buf__put(&c->dict_vals, &len32, 4);
		ice_buf__put(&c->dict_vals, p, n);
	}
}

/* A new fixed-width value of hash h into the free slot pos: its index; -1
 * on allocation failure. */
static int64_t dict_insert_fixed(colw *c, size_t pos, uint64_t key, uint64_t h, const uint8_t *p, size_t n)
{
	size_t i = c->dict_n++;
	c->slots[pos].key = key;
	c->slots[pos].hash = (uint32_t)h;
	c->slots[pos].idx1 = (uint32_t)i + 1;
	dict_store(c, p, n);
	if (c->dict_vals.error || ice_parquet__w_update_minmax(c, p, n))
		return -1;
	return (int64_t)i;
}

/* Index of a value in the dictionary, inserting it; -1 on allocation failure. */
static int64_t dict_index(colw *c, const uint8_t *p, size_t n)
{
	if ((c->dict_n + 1) * 2 > c->slot_cap && dict_grow(c))
		return -1;
	size_t mask = c->slot_cap - 1;
	dslot *slots = c->slots;
	if (c->pw == 8 || c->pw == 4) {
		uint64_t key = c->pw == 8 ? pq_load64(p) : pq_load32(p);
		uint64_t h = mix64(key);
		size_t pos = (size_t)h & mask;
		while (slots[pos].idx1) {
			if (slots[pos].key == key)
				return slots[pos].idx1 - 1;
			pos = (pos + 1) & mask;
		}
		return dict_insert_fixed(c, pos, key, h, p, n);
	}
	uint32_t h = hash_bytes(p, n);
	size_t pos = h & mask;
	while (slots[pos].idx1) {
		if (slots[pos].hash == h) {
			size_t len;
			const uint8_t *e = ice_parquet__w_dict_entry(c, slots[pos].idx1 - 1, &len);
			if (len == n && !memcmp(e, p, n))
				return slots[pos].idx1 - 1;
		}
		pos = (pos + 1) & mask;
	}
	size_t i = c->dict_n++;
	slots[pos].hash = h;
	slots[pos].idx1 = (uint32_t)i + 1;
	dict_store(c, p, n);
	if (c->dict_vals.error || c->dict_offs.error || ice_parquet__w_update_minmax(c, p, n))
		return -1;
	return (int64_t)i;
}

/* ---- levels and values ------------------------------------------------------------ */

static inline int buf_put(ice_buf *b, const void *p, size_t n)
{
	if (b->len + n < b->cap) {
		memcpy(b->ptr + b->len, p, n);
		b->len += n;
		return 0;
	}
	return ice_buf__put(b, p, n);
}

static inline int put_level(ice_buf *b, int16_t v)
{
	if (b->len + 2 < b->cap) {
		memcpy(b->ptr + b->len, &v, 2);
		b->len += 2;
		return 0;
	}
	return ice_buf__put(b, &v, 2);
}

void ice_parquet__w_add_levels(colw *c, int16_t d, int16_t r)
{
	if (c->leaf->max_def > 0)
		put_level(&c->def, d);
	if (c->leaf->max_rep > 0)
		put_level(&c->rep, r);
	c->nlevels++;
}

void ice_parquet__w_add_null(colw *c, int16_t d, int16_t r)
{
	ice_parquet__w_add_levels(c, d, r);
	c->nnulls_page++;
}

/* A non-null value in its PLAIN form (fixed width, or the bytes of a byte array). */
static int add_value(colw *c, const uint8_t *p, size_t n)
{
	c->nvalues++;
	if (is_nan(c, p))
		c->m_nans++;
	if (c->dict_on) {
		int64_t i = dict_index(c, p, n);
		if (i < 0)
			return ICE_ERROR;
		uint32_t i32 = (uint32_t)i;
		c->plain_equiv += c->pw ? (size_t)c->pw : n + 4;
		return buf_put(&c->idx, &i32, 4);
	}
	if (!c->pw) {
		uint32_t len = (uint32_t)n;
		buf_put(&c->plain, &len, 4);
	}
	if (ice_parquet__w_update_minmax(c, p, n))
		return ICE_ERROR;
	return buf_put(&c->plain, p, n);
}

static bool arrow_valid(const struct ArrowArray *a, int64_t i)
{
	const uint8_t *bm = a->n_buffers > 0 ? a->buffers[0] : NULL;
	if (!bm || a->null_count == 0)
		return true;
	i += a->offset;
	return (bm[i >> 3] >> (i & 7)) & 1;
}

/* The PLAIN form of element i of a leaf array. */
int ice_parquet__w_emit_value(colw *c, const struct ArrowArray *a, int64_t i)
{
	int64_t j = i + a->offset;
	const uint8_t *v = a->buffers[1];
	uint8_t tmp[16];
	switch (c->vfmt) {
	case V_BOOL:
		tmp[0] = (v[j >> 3] >> (j & 7)) & 1;
		return add_value(c, tmp, 1);
	case V_I32:
	case V_F32: return add_value(c, v + j * 4, 4);
	case V_I64:
	case V_F64: return add_value(c, v + j * 8, 8);
	case V_DEC: {
		const uint8_t *d = v + j * 16;
		if (c->leaf->type == ICE_PARQUET_INT32)
			return add_value(c, d, 4);
		if (c->leaf->type == ICE_PARQUET_INT64)
			return add_value(c, d, 8);
		size_t w = (size_t)c->pw;
		for (size_t k = 0; k < w; k++)
			tmp[k] = d[w - 1 - k];
		return add_value(c, tmp, w);
	}
	case V_BYTES32: {
		const int32_t *o = (const int32_t *)a->buffers[1];
		return add_value(c, (const uint8_t *)a->buffers[2] + o[j], (size_t)(o[j + 1] - o[j]));
	}
	case V_BYTES64: {
		const int64_t *o = (const int64_t *)a->buffers[1];
		return add_value(c, (const uint8_t *)a->buffers[2] + o[j], (size_t)(o[j + 1] - o[j]));
	}
	case V_FLBA: return add_value(c, v + j * (size_t)c->pw, (size_t)c->pw);
	}
	return PQ_ERR(ICE_EINVALID, "unexpected value layout");
}

/* Walk step k from array a at logical index i. */
int ice_parquet__w_shred(colw *c, int k, const struct ArrowArray *a, int64_t i, int16_t d, int16_t r)
{
	const pq_wstep *s = &c->leaf->steps[k];
	bool last = k + 1 == c->leaf->depth;
	int rc;
	if (s->kind == PQ_STEP_STRUCT) {
		const struct ArrowArray *child = a->children[s->child];
		int64_t ci = i + a->offset;
		if (s->optional) {
			if (!arrow_valid(child, ci)) {
				ice_parquet__w_add_null(c, d, r);
				return 0;
			}
			d++;
		}
		if (last) {
			ice_parquet__w_add_levels(c, d, r);
			return ice_parquet__w_emit_value(c, child, ci);
		}
		return ice_parquet__w_shred(c, k + 1, child, ci, d, r);
	}
	/* LIST / MAP: a is the list array, already known to be non-null at i */
	int64_t j = i + a->offset;
	const int32_t *o32 = a->buffers[1]; /* +l and +m have 32-bit offsets */
	int64_t start = o32[j], end = o32[j + 1];
	if (start == end) {
		ice_parquet__w_add_null(c, d, r);
		return 0;
	}
	const struct ArrowArray *child = a->children[0];
	for (int64_t e = start; e < end; e++) {
		int16_t rr = e == start ? r : s->rep, dd = (int16_t)(d + 1);
		if (s->kind == PQ_STEP_MAP) {
			rc = ice_parquet__w_shred(c, k + 1, child, e, dd, rr);
		} else if (s->optional && !arrow_valid(child, e)) {
			ice_parquet__w_add_null(c, dd, rr);
			rc = 0;
		} else {
			int16_t d2 = (int16_t)(dd + (s->optional ? 1 : 0));
			if (last) {
				ice_parquet__w_add_levels(c, d2, rr);
				rc = ice_parquet__w_emit_value(c, child, e);
			} else {
				rc = ice_parquet__w_shred(c, k + 1, child, e, d2, rr);
			}
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- flat columns: whole ranges at a time ----------------------------------------- */

/* Fixed-width values of 4 or 8 bytes (ints, dates, timestamps, floats, and
 * decimals stored as INT32/INT64: the low bytes of each 16-byte value), for
 * rows [i, i+n) of a top-level array. */
static int flat_fixed(colw *c, const struct ArrowArray *a, int64_t i, int64_t n, bool check_valid)
{
	const size_t w = (size_t)c->pw;
	const size_t stride = c->vfmt == V_DEC ? 16 : w;
	const uint8_t *src = (const uint8_t *)a->buffers[1] + (size_t)(i + a->offset) * stride;
	const uint8_t *bm = check_valid && a->null_count != 0 ? a->buffers[0] : NULL;
	const int64_t bit0 = i + a->offset;
	const bool fp = c->leaf->type == ICE_PARQUET_FLOAT || c->leaf->type == ICE_PARQUET_DOUBLE;
	size_t cnt = 0;
	int rc;
	if (c->dict_on) {
		if ((rc = ice_buf__grow(&c->idx, (size_t)n * 4)) != 0)
			return rc;
		uint32_t *idx = (uint32_t *)(void *)(c->idx.ptr + c->idx.len);
		/* Hashes first, so that the slot of a value a few ahead is
		 * fetched while this one is looked up (a large dictionary's
		 * table does not fit the cache). */
		enum { AHEAD = 8, HCHUNK = 256 };
		uint64_t hs[HCHUNK];
		for (int64_t k = 0; k < n; k++) {
			if (k % HCHUNK == 0) {
				int64_t m = n - k < HCHUNK ? n - k : HCHUNK;
				for (int64_t q = 0; q < m; q++) {
					const uint8_t *pq = src + (size_t)(k + q) * stride;
					hs[q] = mix64(w == 8 ? pq_load64(pq) : pq_load32(pq));
				}
			}
			if (k % HCHUNK + AHEAD < HCHUNK && k + AHEAD < n && c->slots)
				__builtin_prefetch(&c->slots[hs[k % HCHUNK + AHEAD] & (c->slot_cap - 1)]);
			if (bm && !((bm[(bit0 + k) >> 3] >> ((bit0 + k) & 7)) & 1))
				continue;
			const uint8_t *p = src + (size_t)k * stride;
			if (fp && is_nan(c, p))
				c->m_nans++;
			uint64_t key = w == 8 ? pq_load64(p) : pq_load32(p);
			uint64_t h = hs[k % HCHUNK];
			if ((c->dict_n + 1) * 2 > c->slot_cap && dict_grow(c))
				return ICE_ERROR;
			size_t mask = c->slot_cap - 1, pos = (size_t)h & mask;
			dslot *slots = c->slots;
			int64_t found = -1;
			while (slots[pos].idx1) {
				if (slots[pos].key == key) {
					found = slots[pos].idx1 - 1;
					break;
				}
				pos = (pos + 1) & mask;
			}
			/* a new value goes into the free slot the probe ended on */
			if (found < 0 && (found = dict_insert_fixed(c, pos, key, h, p, w)) < 0)
				return ICE_ERROR;
			idx[cnt++] = (uint32_t)found;
		}
		c->idx.len += cnt * 4;
		c->plain_equiv += cnt * w;
		c->nvalues += cnt;
		return 0;
	}
	if ((rc = ice_buf__grow(&c->plain, (size_t)n * w)) != 0)
		return rc;
	uint8_t *dst = (uint8_t *)c->plain.ptr + c->plain.len;
	if (!bm && stride == w) {
		memcpy(dst, src, (size_t)n * w);
		cnt = (size_t)n;
	} else {
		for (int64_t k = 0; k < n; k++) {
			if (bm && !((bm[(bit0 + k) >> 3] >> ((bit0 + k) & 7)) & 1))
				continue;
			memcpy(dst + cnt * w, src + (size_t)k * stride, w);
			cnt++;
		}
	}
	c->plain.len += cnt * w;
	c->nvalues += cnt;
	if (cnt == 0)
		return 0;
	/* bounds of the range, then one merge */
	size_t lo = SIZE_MAX, hi = SIZE_MAX;
	switch (c->leaf->type) {
	case ICE_PARQUET_INT32: {
		int32_t mn = INT32_MAX, mx = INT32_MIN;
		for (size_t k = 0; k < cnt; k++) {
			int32_t v = (int32_t)pq_load32(dst + k * 4);
			if (v < mn) {
				mn = v;
				lo = k;
			}
			if (v > mx) {
				mx = v;
				hi = k;
			}
		}
		break;
	}
	case ICE_PARQUET_INT64: {
		int64_t mn = INT64_MAX, mx = INT64_MIN;
		for (size_t k = 0; k < cnt; k++) {
			int64_t v = (int64_t)pq_load64(dst + k * 8);
			if (v < mn) {
				mn = v;
				lo = k;
			}
			if (v > mx) {
				mx = v;
				hi = k;
			}
		}
		break;
	}
	default:
		for (size_t k = 0; k < cnt; k++) {
			const uint8_t *p = dst + k * w;
			if (is_nan(c, p)) {
				c->m_nans++;
				continue;
			}
			if (lo == SIZE_MAX || ice_parquet__w_value_cmp(c, p, w, dst + lo * w, w) < 0)
				lo = k;
			if (hi == SIZE_MAX || ice_parquet__w_value_cmp(c, p, w, dst + hi * w, w) > 0)
				hi = k;
		}
		break;
	}
	if (lo != SIZE_MAX && ((rc = ice_parquet__w_update_minmax(c, dst + lo * w, w)) != 0 || (rc = ice_parquet__w_update_minmax(c, dst + hi * w, w)) != 0))
		return rc;
	return 0;
}

/* Byte arrays of rows [i, i+n) of a top-level array with 32-bit offsets. */
static int flat_bytes(colw *c, const struct ArrowArray *a, int64_t i, int64_t n, bool check_valid)
{
	const int32_t *off = (const int32_t *)a->buffers[1] + i + a->offset;
	const uint8_t *data = a->buffers[2];
	const uint8_t *bm = check_valid && a->null_count != 0 ? a->buffers[0] : NULL;
	const int64_t bit0 = i + a->offset;
	size_t cnt = 0;
	int rc;
	if (c->dict_on) {
		if ((rc = ice_buf__grow(&c->idx, (size_t)n * 4)) != 0)
			return rc;
		uint32_t *idx = (uint32_t *)(void *)(c->idx.ptr + c->idx.len);
		size_t equiv = 0;
		for (int64_t k = 0; k < n; k++) {
			if (bm && !((bm[(bit0 + k) >> 3] >> ((bit0 + k) & 7)) & 1))
				continue;
			const uint8_t *p = data + off[k];
			size_t len = (size_t)(off[k + 1] - off[k]);
			int64_t found = dict_index(c, p, len);
			if (found < 0)
				return ICE_ERROR;
			idx[cnt++] = (uint32_t)found;
			equiv += len + 4;
		}
		c->idx.len += cnt * 4;
		c->plain_equiv += equiv;
		c->nvalues += cnt;
		return 0;
	}
	size_t total = (size_t)(off[n] - off[0]) + (size_t)n * 4;
	if ((rc = ice_buf__grow(&c->plain, total)) != 0)
		return rc;
	uint8_t *dst = (uint8_t *)c->plain.ptr + c->plain.len;
	const uint8_t *lo = NULL, *hi = NULL;
	size_t lol = 0, hil = 0;
	for (int64_t k = 0; k < n; k++) {
		if (bm && !((bm[(bit0 + k) >> 3] >> ((bit0 + k) & 7)) & 1))
			continue;
		const uint8_t *p = data + off[k];
		uint32_t len = (uint32_t)(off[k + 1] - off[k]);
		memcpy(dst, &len, 4);
		memcpy(dst + 4, p, len);
		dst += 4 + len;
		cnt++;
		if (!lo || ice_parquet__w_value_cmp(c, p, len, lo, lol) < 0) {
			lo = p;
			lol = len;
		}
		if (!hi || ice_parquet__w_value_cmp(c, p, len, hi, hil) > 0) {
			hi = p;
			hil = len;
		}
	}
	c->plain.len = (size_t)(dst - (uint8_t *)c->plain.ptr);
	c->nvalues += cnt;
	if (lo && ((rc = ice_parquet__w_update_minmax(c, lo, lol)) != 0 || (rc = ice_parquet__w_update_minmax(c, hi, hil)) != 0))
		return rc;
	return 0;
}

/* Top-level primitive columns: levels, then values, 1024 rows at a time. */
int ice_parquet__w_write_flat(ice_parquet_writer *w, colw *c, const struct ArrowArray *a, int64_t from, int64_t to)
{
	int rc;
	bool optional = c->leaf->steps[0].optional;
	bool fast = (c->vfmt == V_I32 || c->vfmt == V_I64 || c->vfmt == V_F32 || c->vfmt == V_F64 ||
	             (c->vfmt == V_DEC && (c->pw == 4 || c->pw == 8))) ||
	            c->vfmt == V_BYTES32;
	while (from < to) {
		int64_t n = to - from < 1024 ? to - from : 1024;
		int64_t room = w->opts.page_row_limit - (int64_t)c->nlevels;
		if (room > 0 && room < n)
			n = room; /* cut pages at the row limit exactly */
		if (!fast) {
			for (int64_t i = from; i < from + n; i++) {
				if (optional && !arrow_valid(a, i)) {
					ice_parquet__w_add_null(c, 0, 0);
				} else {
					ice_parquet__w_add_levels(c, c->leaf->max_def, 0);
					if ((rc = ice_parquet__w_emit_value(c, a, i)) != 0)
						return rc;
				}
			}
		} else {
			if (optional) {
				if ((rc = ice_buf__grow(&c->def, (size_t)n * 2)) != 0)
					return rc;
				int16_t *d = (int16_t *)(void *)(c->def.ptr + c->def.len);
				size_t nulls = 0;
				for (int64_t k = 0; k < n; k++) {
					bool v = arrow_valid(a, from + k);
					d[k] = (int16_t)v;
					nulls += !v;
				}
				c->def.len += (size_t)n * 2;
				c->nnulls_page += nulls;
			}
			c->nlevels += (size_t)n;
			rc = c->vfmt == V_BYTES32 ? flat_bytes(c, a, from, n, optional) : flat_fixed(c, a, from, n, optional);
			if (rc)
				return rc;
		}
		from += n;
		if ((rc = ice_parquet__w_after_record(w, c)) != 0)
			return rc;
	}
	return 0;
}

