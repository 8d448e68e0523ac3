/*
 * parquet/writer.c - the Parquet writer (ice/parquet.h): Arrow batches in,
 * a Parquet file out, with the statistics and Iceberg metrics of every
 * column (Parquet "File format", "Data pages", "Encodings"; Iceberg spec
 * "Parquet" in Appendix A and "Manifests" for the metrics).
 *
 * Each leaf column is shredded from the Arrow arrays into repetition and
 * definition levels and values (flat columns in a tight loop, nested ones by
 * walking their path). Values are dictionary-encoded while the dictionary
 * pays for itself and stays under its size limit, then PLAIN; levels are
 * RLE/bit-packed. Pages are cut by bytes and rows, compressed once, and kept
 * in their column chunk until the row group reaches its byte size: memory
 * is bounded by the row group being built.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/int128.h"
#include "util/strutil.h"
#include "writer.h"

/* A dictionary hash slot: the value itself for widths up to 8 bytes, so a
 * lookup touches one cache line. idx1 is the entry index + 1 (0: empty). */
typedef struct dslot {
	uint64_t key;
	uint32_t hash;
	uint32_t idx1;
} dslot;

enum { V_BOOL, V_I32, V_I64, V_F32, V_F64, V_DEC, V_BYTES32, V_BYTES64, V_FLBA };

typedef struct colw {
	const pq_wleaf *leaf;
	int vfmt;          /* Arrow layout of the current batch */
	int pw;            /* physical width; 0 for BYTE_ARRAY */
	bool dict_enabled;
	/* current page */
	ice_buf def, rep;  /* int16 */
	size_t nlevels, nvalues, nnulls_page;
	ice_buf plain;     /* PLAIN values (booleans one byte each until the page is cut) */
	ice_buf idx;       /* dictionary indices (uint32) */
	size_t plain_equiv; /* bytes these values would take PLAIN */
	/* dictionary of the chunk */
	bool dict_on, dict_used, dict_checked;
	ice_buf dict_vals; /* PLAIN-encoded entries */
	ice_buf dict_offs; /* uint32 start of each entry in dict_vals (byte arrays) */
	size_t dict_n;
	struct dslot *slots;
	size_t slot_cap;
	/* chunk */
	ice_buf chunk;
	int64_t chunk_levels, chunk_uncompressed, chunk_nulls;
	bool enc_plain, enc_dict;
	bool has_minmax;
	ice_buf min, max;  /* PLAIN bytes of the chunk's bounds (no length prefix) */
	/* file metrics */
	int64_t m_values, m_nulls, m_nans, m_size;
	bool m_has_bounds, m_bounds_ok;
	ice_buf m_min, m_max;
} colw;

struct ice_parquet_writer {
	ice_output *out;
	char *location;
	ice_arena arena;
	const ice_type *schema;
	ice_parquet_write_options opts;
	pq_wschema ws;
	colw *cols;
	ice_codec codec;
	ice_buf page, comp, hdr, scratch;
	ice_codec_ctx *codec_ctx;
	int64_t rg_rows, total_rows;
	size_t nrow_groups, rg_cap;
	pq_row_group_meta *row_groups;
	int64_t written;
	bool failed;
};

/* ---- options -------------------------------------------------------------------- */

void ice_parquet_write_options_init(ice_parquet_write_options *o)
{
	memset(o, 0, sizeof(*o));
	o->codec = ICE_PARQUET_ZSTD;
	o->compression_level = 0;
	o->row_group_size_bytes = (int64_t)128 << 20;
	o->page_size_bytes = (int64_t)1 << 20;
	o->page_row_limit = 20000;
	o->dictionary_size_bytes = (int64_t)2 << 20;
	o->target_file_size_bytes = (int64_t)512 << 20;
	o->dictionary_enabled = true;
	o->metrics_truncate_length = 16;
}

static int parse_size(const char *key, const char *v, int64_t *out)
{
	int64_t n;
	if (!ice_str__to_int64(v, strlen(v), &n) || n <= 0)
		return PQ_ERR(ICE_EINVALID, "%s: expected a positive number, got '%s'", key, v);
	*out = n;
	return 0;
}

int ice_parquet_write_options_set(ice_parquet_write_options *o, const char *key, const char *value)
{
	if (!strcmp(key, "write.parquet.compression-codec")) {
		static const struct {
			const char *name;
			int codec;
		} codecs[] = {{"zstd", ICE_PARQUET_ZSTD},       {"snappy", ICE_PARQUET_SNAPPY},
		              {"gzip", ICE_PARQUET_GZIP},       {"lz4_raw", ICE_PARQUET_LZ4_RAW},
		              {"lz4", ICE_PARQUET_LZ4_RAW},     {"brotli", ICE_PARQUET_BROTLI},
		              {"uncompressed", ICE_PARQUET_UNCOMPRESSED}, {"none", ICE_PARQUET_UNCOMPRESSED}};
		for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
			if (ice_str__ieq(value, strlen(value), codecs[i].name, strlen(codecs[i].name))) {
				o->codec = codecs[i].codec;
				return 0;
			}
		return PQ_ERR(ICE_EINVALID, "%s: unknown codec '%s'", key, value);
	}
	if (!strcmp(key, "write.parquet.compression-level")) {
		int32_t lvl;
		if (!ice_str__to_int32(value, strlen(value), &lvl) || lvl < -131072 || lvl > 22)
			return PQ_ERR(ICE_EINVALID, "%s: bad level '%s'", key, value);
		o->compression_level = lvl;
		return 0;
	}
	if (!strcmp(key, "write.parquet.row-group-size-bytes"))
		return parse_size(key, value, &o->row_group_size_bytes);
	if (!strcmp(key, "write.parquet.page-size-bytes"))
		return parse_size(key, value, &o->page_size_bytes);
	if (!strcmp(key, "write.parquet.page-row-limit"))
		return parse_size(key, value, &o->page_row_limit);
	if (!strcmp(key, "write.parquet.dict-size-bytes"))
		return parse_size(key, value, &o->dictionary_size_bytes);
	if (!strcmp(key, "write.target-file-size-bytes"))
		return parse_size(key, value, &o->target_file_size_bytes);
	return 0;
}

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
static int value_cmp(const colw *c, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
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

static int update_minmax(colw *c, const uint8_t *p, size_t n)
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
	if (value_cmp(c, p, n, (const uint8_t *)c->min.ptr, c->min.len) < 0) {
		ice_buf__clear(&c->min);
		return ice_buf__put(&c->min, p, n);
	}
	if (value_cmp(c, p, n, (const uint8_t *)c->max.ptr, c->max.len) > 0) {
		ice_buf__clear(&c->max);
		return ice_buf__put(&c->max, p, n);
	}
	return 0;
}

/* ---- dictionary ----------------------------------------------------------------- */

static const uint8_t *dict_entry(const colw *c, size_t i, size_t *len)
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
	size_t cap = c->slot_cap ? c->slot_cap * 2 : 4096;
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
		size_t i = c->dict_n++;
		slots[pos].key = key;
		slots[pos].hash = (uint32_t)h;
		slots[pos].idx1 = (uint32_t)i + 1;
		dict_store(c, p, n);
		if (c->dict_vals.error || update_minmax(c, p, n))
			return -1;
		return (int64_t)i;
	}
	uint32_t h = hash_bytes(p, n);
	size_t pos = h & mask;
	while (slots[pos].idx1) {
		if (slots[pos].hash == h) {
			size_t len;
			const uint8_t *e = dict_entry(c, slots[pos].idx1 - 1, &len);
			if (len == n && !memcmp(e, p, n))
				return slots[pos].idx1 - 1;
		}
		pos = (pos + 1) & mask;
	}
	size_t i = c->dict_n++;
	slots[pos].hash = h;
	slots[pos].idx1 = (uint32_t)i + 1;
	dict_store(c, p, n);
	if (c->dict_vals.error || c->dict_offs.error || update_minmax(c, p, n))
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

static inline void add_levels(colw *c, int16_t d, int16_t r)
{
	if (c->leaf->max_def > 0)
		put_level(&c->def, d);
	if (c->leaf->max_rep > 0)
		put_level(&c->rep, r);
	c->nlevels++;
}

static void add_null(colw *c, int16_t d, int16_t r)
{
	add_levels(c, d, r);
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
	if (update_minmax(c, p, n))
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
static int emit_value(colw *c, const struct ArrowArray *a, int64_t i)
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
static int shred(colw *c, int k, const struct ArrowArray *a, int64_t i, int16_t d, int16_t r)
{
	const pq_wstep *s = &c->leaf->steps[k];
	bool last = k + 1 == c->leaf->depth;
	int rc;
	if (s->kind == PQ_STEP_STRUCT) {
		const struct ArrowArray *child = a->children[s->child];
		int64_t ci = i + a->offset;
		if (s->optional) {
			if (!arrow_valid(child, ci)) {
				add_null(c, d, r);
				return 0;
			}
			d++;
		}
		if (last) {
			add_levels(c, d, r);
			return emit_value(c, child, ci);
		}
		return shred(c, k + 1, child, ci, d, r);
	}
	/* LIST / MAP: a is the list array, already known to be non-null at i */
	int64_t j = i + a->offset;
	const int32_t *o32 = a->buffers[1]; /* +l and +m have 32-bit offsets */
	int64_t start = o32[j], end = o32[j + 1];
	if (start == end) {
		add_null(c, d, r);
		return 0;
	}
	const struct ArrowArray *child = a->children[0];
	for (int64_t e = start; e < end; e++) {
		int16_t rr = e == start ? r : s->rep, dd = (int16_t)(d + 1);
		if (s->kind == PQ_STEP_MAP) {
			rc = shred(c, k + 1, child, e, dd, rr);
		} else if (s->optional && !arrow_valid(child, e)) {
			add_null(c, dd, rr);
			rc = 0;
		} else {
			int16_t d2 = (int16_t)(dd + (s->optional ? 1 : 0));
			if (last) {
				add_levels(c, d2, rr);
				rc = emit_value(c, child, e);
			} else {
				rc = shred(c, k + 1, child, e, d2, rr);
			}
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- pages ---------------------------------------------------------------------- */

/* RLE-encode int16 levels, prefixed with their length (data page v1). */
static void encode_levels(ice_buf *out, const ice_buf *levels, size_t n, int16_t max, ice_buf *scratch)
{
	size_t len_pos = out->len;
	uint32_t len = 0;
	ice_buf__put(out, &len, 4);
	ice_parquet__hybrid_encode16(out, (const int16_t *)(const void *)levels->ptr, n, pq_bit_width((uint64_t)max),
	                             scratch);
	if (!out->error) {
		len = (uint32_t)(out->len - len_pos - 4);
		memcpy(out->ptr + len_pos, &len, 4);
	}
}

/* Turn the page's dictionary indices back into PLAIN values. */
static int indices_to_plain(colw *c)
{
	const uint32_t *idx = (const uint32_t *)(const void *)c->idx.ptr;
	size_t n = c->idx.len / 4;
	ice_buf__clear(&c->plain);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const uint8_t *e = dict_entry(c, idx[i], &len);
		if (!c->pw) {
			uint32_t l32 = (uint32_t)len;
			ice_buf__put(&c->plain, &l32, 4);
		}
		ice_buf__put(&c->plain, e, len);
	}
	ice_buf__clear(&c->idx);
	return c->plain.error;
}

static void reset_dict(colw *c)
{
	ice_buf__clear(&c->dict_vals);
	ice_buf__clear(&c->dict_offs);
	c->dict_n = 0;
	if (c->slots)
		memset(c->slots, 0, c->slot_cap * sizeof(dslot));
}

static int compress_into(ice_parquet_writer *w, const ice_buf *in, ice_buf *out)
{
	ice_buf__clear(out);
	int rc = ice_codec__compress_ctx(w->codec_ctx, w->codec, w->opts.compression_level, (const uint8_t *)in->ptr,
	                                 in->len, out);
	if (rc)
		ice_error__prefix("%s: column chunk", w->location);
	return rc;
}

/* Appends never stop on their own: buffer errors are sticky and checked here. */
static int col_error(const colw *c)
{
	const ice_buf *b[] = {&c->def, &c->rep, &c->plain, &c->idx, &c->dict_vals, &c->dict_offs, &c->chunk};
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		if (b[i]->error)
			return b[i]->error;
	return 0;
}

static int flush_page(ice_parquet_writer *w, colw *c)
{
	int rc;
	const pq_wleaf *l = c->leaf;
	if ((rc = col_error(c)) != 0)
		return rc;
	if (c->nlevels == 0)
		return 0;
	/* The first dictionary page decides whether the dictionary pays off. */
	if (c->dict_on && !c->dict_checked) {
		c->dict_checked = true;
		size_t idx_bytes = (c->idx.len / 4) * (size_t)pq_bit_width(c->dict_n ? c->dict_n - 1 : 0) / 8;
		if (c->dict_vals.len + idx_bytes >= c->plain_equiv) {
			if ((rc = indices_to_plain(c)) != 0)
				return rc;
			/* bounds were taken from dictionary entries, which are all used */
			c->dict_on = false;
			reset_dict(c);
		}
	}
	ice_buf *p = &w->page;
	ice_buf__clear(p);
	if (l->max_rep > 0)
		encode_levels(p, &c->rep, c->nlevels, l->max_rep, &w->scratch);
	if (l->max_def > 0)
		encode_levels(p, &c->def, c->nlevels, l->max_def, &w->scratch);
	int encoding;
	if (c->dict_on) {
		int bw = pq_bit_width(c->dict_n ? c->dict_n - 1 : 0);
		ice_buf__putc(p, (char)bw);
		ice_parquet__hybrid_encode(p, (const uint32_t *)(const void *)c->idx.ptr, c->idx.len / 4, bw);
		encoding = ICE_PARQUET_ENC_RLE_DICTIONARY;
		c->dict_used = true;
		c->enc_dict = true;
	} else if (l->type == ICE_PARQUET_BOOLEAN) {
		size_t n = c->plain.len;
		uint8_t *bits = ice_buf__reserve(p, (n + 7) / 8);
		if (bits)
			for (size_t i = 0; i < n; i++)
				bits[i >> 3] |= (uint8_t)((((const uint8_t *)c->plain.ptr)[i] & 1) << (i & 7));
		encoding = ICE_PARQUET_ENC_PLAIN;
		c->enc_plain = true;
	} else {
		ice_buf__put(p, c->plain.ptr, c->plain.len);
		encoding = ICE_PARQUET_ENC_PLAIN;
		c->enc_plain = true;
	}
	if (p->error)
		return p->error;
	if (p->len > INT32_MAX)
		return PQ_ERR(ICE_EINVALID, "%s: %s: page of %zu bytes is too large", w->location, l->dotted, p->len);
	if ((rc = compress_into(w, p, &w->comp)) != 0)
		return rc;
	pq_page_header h;
	memset(&h, 0, sizeof(h));
	h.type = PAGE_DATA;
	h.uncompressed_size = (int32_t)p->len;
	h.compressed_size = (int32_t)w->comp.len;
	h.num_values = (int32_t)c->nlevels;
	h.encoding = encoding;
	h.def_encoding = ICE_PARQUET_ENC_RLE;
	h.rep_encoding = ICE_PARQUET_ENC_RLE;
	ice_buf__clear(&w->hdr);
	ice_parquet__write_page_header(&w->hdr, &h, NULL);
	ice_buf__put(&c->chunk, w->hdr.ptr, w->hdr.len);
	ice_buf__put(&c->chunk, w->comp.ptr, w->comp.len);
	if (c->chunk.error)
		return c->chunk.error;
	c->chunk_uncompressed += (int64_t)(w->hdr.len + p->len);
	c->chunk_levels += (int64_t)c->nlevels;
	c->chunk_nulls += (int64_t)c->nnulls_page;
	c->m_values += (int64_t)c->nlevels;
	c->m_nulls += (int64_t)c->nnulls_page;
	c->nlevels = c->nvalues = c->nnulls_page = 0;
	c->plain_equiv = 0;
	ice_buf__clear(&c->def);
	ice_buf__clear(&c->rep);
	ice_buf__clear(&c->plain);
	ice_buf__clear(&c->idx);
	return 0;
}

static size_t page_estimate(const colw *c)
{
	size_t v = c->dict_on ? c->idx.len / 2 : c->plain.len;
	return v + c->nlevels / 4;
}

/* After a record: cut the page when it is full, leave the dictionary when it is. */
static int after_record(ice_parquet_writer *w, colw *c)
{
	int rc;
	if (c->dict_on && c->dict_vals.len > (size_t)w->opts.dictionary_size_bytes) {
		if ((rc = flush_page(w, c)) != 0)
			return rc;
		c->dict_on = false;
		return 0;
	}
	if (page_estimate(c) >= (size_t)w->opts.page_size_bytes || c->nlevels >= (size_t)w->opts.page_row_limit)
		return flush_page(w, c);
	return 0;
}

/* ---- statistics and metrics --------------------------------------------------------- */

static int merge_metrics_bounds(colw *c)
{
	if (!c->has_minmax)
		return 0;
	if (!c->m_has_bounds) {
		ice_buf__clear(&c->m_min);
		ice_buf__clear(&c->m_max);
		if (ice_buf__put(&c->m_min, c->min.ptr, c->min.len) || ice_buf__put(&c->m_max, c->max.ptr, c->max.len))
			return ICE_ERROR;
		c->m_has_bounds = true;
		return 0;
	}
	if (value_cmp(c, (const uint8_t *)c->min.ptr, c->min.len, (const uint8_t *)c->m_min.ptr, c->m_min.len) < 0) {
		ice_buf__clear(&c->m_min);
		if (ice_buf__put(&c->m_min, c->min.ptr, c->min.len))
			return ICE_ERROR;
	}
	if (value_cmp(c, (const uint8_t *)c->max.ptr, c->max.len, (const uint8_t *)c->m_max.ptr, c->m_max.len) > 0) {
		ice_buf__clear(&c->m_max);
		if (ice_buf__put(&c->m_max, c->max.ptr, c->max.len))
			return ICE_ERROR;
	}
	return 0;
}

static int write_out(ice_parquet_writer *w, const void *data, size_t len)
{
	int rc = ice_output__write(w->out, data, len);
	if (rc)
		return rc;
	w->written += (int64_t)len;
	return 0;
}

static int flush_row_group(ice_parquet_writer *w)
{
	int rc;
	if (w->rg_rows == 0)
		return 0;
	for (size_t i = 0; i < w->ws.nleaves; i++)
		if ((rc = flush_page(w, &w->cols[i])) != 0)
			return rc;
	if (w->nrow_groups == w->rg_cap) {
		size_t cap = w->rg_cap ? w->rg_cap * 2 : 8;
		pq_row_group_meta *g = ice_arena__allocarray(&w->arena, cap, sizeof(*g));
		if (!g)
			return ICE_ERROR;
		if (w->nrow_groups)
			memcpy(g, w->row_groups, w->nrow_groups * sizeof(*g));
		w->row_groups = g;
		w->rg_cap = cap;
	}
	pq_row_group_meta *rg = &w->row_groups[w->nrow_groups];
	memset(rg, 0, sizeof(*rg));
	rg->ncolumns = w->ws.nleaves;
	rg->columns = ice_arena__allocarray(&w->arena, w->ws.nleaves ? w->ws.nleaves : 1, sizeof(pq_chunk_meta));
	if (!rg->columns)
		return ICE_ERROR;
	rg->file_offset = w->written;
	rg->num_rows = w->rg_rows;
	for (size_t i = 0; i < w->ws.nleaves; i++) {
		colw *c = &w->cols[i];
		pq_chunk_meta *m = &rg->columns[i];
		int64_t start = w->written;
		m->type = c->leaf->type;
		m->codec = w->opts.codec;
		m->path = c->leaf->path;
		m->npath = c->leaf->npath;
		if (c->dict_used) {
			ice_buf *p = &w->page;
			ice_buf__clear(p);
			if (c->pw == 1 && c->leaf->type == ICE_PARQUET_BOOLEAN)
				return PQ_ERR(ICE_ERROR, "boolean dictionary");
			ice_buf__put(p, c->dict_vals.ptr, c->dict_vals.len);
			if ((rc = compress_into(w, p, &w->comp)) != 0)
				return rc;
			pq_page_header h;
			memset(&h, 0, sizeof(h));
			h.type = PAGE_DICTIONARY;
			h.uncompressed_size = (int32_t)p->len;
			h.compressed_size = (int32_t)w->comp.len;
			h.num_values = (int32_t)c->dict_n;
			h.encoding = ICE_PARQUET_ENC_PLAIN;
			ice_buf__clear(&w->hdr);
			ice_parquet__write_page_header(&w->hdr, &h, NULL);
			if (w->hdr.error)
				return w->hdr.error;
			m->has_dictionary_page_offset = true;
			m->dictionary_page_offset = w->written;
			c->chunk_uncompressed += (int64_t)(w->hdr.len + p->len);
			if ((rc = write_out(w, w->hdr.ptr, w->hdr.len)) != 0 ||
			    (rc = write_out(w, w->comp.ptr, w->comp.len)) != 0)
				return rc;
		}
		m->data_page_offset = w->written;
		if ((rc = write_out(w, c->chunk.ptr, c->chunk.len)) != 0)
			return rc;
		m->total_compressed_size = w->written - start;
		m->total_uncompressed_size = c->chunk_uncompressed;
		m->num_values = c->chunk_levels;
		int encs[3], ne = 0;
		if (c->enc_dict || c->dict_used)
			encs[ne++] = ICE_PARQUET_ENC_PLAIN;
		else if (c->enc_plain)
			encs[ne++] = ICE_PARQUET_ENC_PLAIN;
		encs[ne++] = ICE_PARQUET_ENC_RLE;
		if (c->enc_dict)
			encs[ne++] = ICE_PARQUET_ENC_RLE_DICTIONARY;
		if (!(m->encodings = ice_arena__memdup(&w->arena, encs, sizeof(int) * (size_t)ne)))
			return ICE_ERROR;
		m->nencodings = (size_t)ne;
		m->has_stats = true;
		m->stats.has_null_count = true;
		m->stats.null_count = c->chunk_nulls;
		if (c->has_minmax) {
			void *mn = ice_arena__memdup(&w->arena, c->min.ptr, c->min.len ? c->min.len : 1);
			void *mx = ice_arena__memdup(&w->arena, c->max.ptr, c->max.len ? c->max.len : 1);
			if (!mn || !mx)
				return ICE_ERROR;
			m->stats.has_min_value = m->stats.has_max_value = true;
			m->stats.min_value.data = mn;
			m->stats.min_value.len = c->min.len;
			m->stats.max_value.data = mx;
			m->stats.max_value.len = c->max.len;
		}
		rg->total_byte_size += m->total_uncompressed_size;
		rg->total_compressed_size += m->total_compressed_size;
		c->m_size += m->total_compressed_size;
		if ((rc = merge_metrics_bounds(c)) != 0)
			return rc;
		/* next chunk */
		ice_buf__clear(&c->chunk);
		c->chunk_levels = c->chunk_uncompressed = c->chunk_nulls = 0;
		c->enc_plain = c->enc_dict = c->dict_used = c->dict_checked = false;
		c->has_minmax = false;
		c->dict_on = c->dict_enabled;
		reset_dict(c);
	}
	w->nrow_groups++;
	w->total_rows += w->rg_rows;
	w->rg_rows = 0;
	return 0;
}

/* The open row group's size: uncompressed (what row-group-size-bytes
 * bounds, as in parquet-mr) or as it will be written. */
static int64_t buffered_bytes(const ice_parquet_writer *w, bool compressed)
{
	int64_t n = 0;
	for (size_t i = 0; i < w->ws.nleaves; i++) {
		const colw *c = &w->cols[i];
		n += (compressed ? (int64_t)c->chunk.len : c->chunk_uncompressed) +
		     (int64_t)(page_estimate(c) + (c->dict_on ? c->dict_vals.len : 0));
	}
	return n;
}

int64_t ice_parquet_writer_estimated_size(const ice_parquet_writer *w)
{
	return w->written + buffered_bytes(w, true);
}

bool ice_parquet_writer_should_roll(const ice_parquet_writer *w)
{
	return ice_parquet_writer_estimated_size(w) >= w->opts.target_file_size_bytes;
}

/* ---- open / write / close ------------------------------------------------------------ */

static void free_writer(ice_parquet_writer *w)
{
	if (w->cols)
		for (size_t i = 0; i < w->ws.nleaves; i++) {
			colw *c = &w->cols[i];
			ice_buf *bufs[] = {&c->def, &c->rep, &c->plain, &c->idx, &c->dict_vals, &c->dict_offs,
			                   &c->chunk, &c->min, &c->max, &c->m_min, &c->m_max};
			for (size_t k = 0; k < sizeof(bufs) / sizeof(bufs[0]); k++)
				ice_buf__free(bufs[k]);
			ice__free(c->slots);
		}
	ice__free(w->cols);
	ice_buf__free(&w->page);
	ice_buf__free(&w->comp);
	ice_buf__free(&w->hdr);
	ice_buf__free(&w->scratch);
	ice__free(w->location);
	ice_codec__ctx_free(w->codec_ctx);
	ice_arena__free(&w->arena);
	ice__free(w);
}

static int codec_of(int codec, ice_codec *out)
{
	switch (codec) {
	case ICE_PARQUET_UNCOMPRESSED: *out = ICE_CODEC_NONE; return 0;
	case ICE_PARQUET_SNAPPY: *out = ICE_CODEC_SNAPPY; return 0;
	case ICE_PARQUET_GZIP: *out = ICE_CODEC_GZIP; return 0;
	case ICE_PARQUET_BROTLI: *out = ICE_CODEC_BROTLI; return 0;
	case ICE_PARQUET_ZSTD: *out = ICE_CODEC_ZSTD; return 0;
	case ICE_PARQUET_LZ4_RAW: *out = ICE_CODEC_LZ4_RAW; return 0;
	}
	return PQ_ERR(ICE_EUNSUPPORTED, "the Parquet writer does not compress with %s", ice_parquet_codec_name(codec));
}

int ice_parquet_writer_open(ice_parquet_writer **out, const ice_io *io, const char *location, const ice_type *schema,
                            const ice_parquet_write_options *opts)
{
	ice_parquet_writer *w;
	int rc;
	*out = NULL;
	if (!(w = ice__calloc(1, sizeof(*w))))
		return ICE_ERROR;
	ice_arena__init(&w->arena, 16384);
	ice_buf__init(&w->page, 0);
	ice_buf__init(&w->comp, 0);
	ice_buf__init(&w->hdr, 0);
	ice_buf__init(&w->scratch, 0);
	w->schema = schema;
	if (opts)
		w->opts = *opts;
	else
		ice_parquet_write_options_init(&w->opts);
	if (!(w->location = ice__strdup(location)) || !(w->codec_ctx = ice_codec__ctx_new())) {
		free_writer(w);
		return ICE_ERROR;
	}
	if ((rc = codec_of(w->opts.codec, &w->codec)) != 0 ||
	    (rc = ice_parquet__wschema_build(&w->ws, schema, &w->arena)) != 0) {
		ice_error__prefix("%s", location);
		free_writer(w);
		return rc;
	}
	if (!(w->cols = ice__calloc(w->ws.nleaves ? w->ws.nleaves : 1, sizeof(colw)))) {
		free_writer(w);
		return ICE_ERROR;
	}
	for (size_t i = 0; i < w->ws.nleaves; i++) {
		colw *c = &w->cols[i];
		const pq_wleaf *l = &w->ws.leaves[i];
		ice_buf *bufs[] = {&c->def, &c->rep, &c->plain, &c->idx, &c->dict_vals, &c->dict_offs,
		                   &c->chunk, &c->min, &c->max, &c->m_min, &c->m_max};
		for (size_t k = 0; k < sizeof(bufs) / sizeof(bufs[0]); k++)
			ice_buf__init(bufs[k], 0);
		c->leaf = l;
		c->pw = l->type == ICE_PARQUET_BOOLEAN ? 1
		        : l->type == ICE_PARQUET_INT32 || l->type == ICE_PARQUET_FLOAT ? 4
		        : l->type == ICE_PARQUET_INT64 || l->type == ICE_PARQUET_DOUBLE ? 8
		        : l->type == ICE_PARQUET_FIXED_LEN_BYTE_ARRAY ? l->type_length
		                                                    : 0;
		c->dict_enabled = w->opts.dictionary_enabled && l->type != ICE_PARQUET_BOOLEAN;
		c->dict_on = c->dict_enabled;
		c->m_bounds_ok = !l->under_repeated;
	}
	if ((rc = ice_io__create_output(&w->out, io, location, true)) != 0) {
		free_writer(w);
		return rc;
	}
	if ((rc = write_out(w, "PAR1", 4)) != 0) {
		ice_output__abort(w->out);
		free_writer(w);
		return rc;
	}
	*out = w;
	return 0;
}

/* Does Arrow `format` fit Iceberg type t? Sets the leaf layouts on the way. */
static int check_arrow(ice_parquet_writer *w, const ice_type *t, const struct ArrowSchema *s, const char *name)
{
	const char *f = s->format;
	bool ok = false;
	switch (t->id) {
	case ICE_TYPE_BOOLEAN: ok = !strcmp(f, "b"); break;
	case ICE_TYPE_INT: ok = !strcmp(f, "i"); break;
	case ICE_TYPE_LONG: ok = !strcmp(f, "l"); break;
	case ICE_TYPE_FLOAT: ok = !strcmp(f, "f"); break;
	case ICE_TYPE_DOUBLE: ok = !strcmp(f, "g"); break;
	case ICE_TYPE_DATE: ok = !strcmp(f, "tdD"); break;
	case ICE_TYPE_TIME: ok = !strcmp(f, "ttu"); break;
	case ICE_TYPE_TIMESTAMP: ok = !strcmp(f, "tsu:"); break;
	case ICE_TYPE_TIMESTAMPTZ: ok = !strncmp(f, "tsu:", 4) && f[4]; break;
	case ICE_TYPE_TIMESTAMP_NS: ok = !strcmp(f, "tsn:"); break;
	case ICE_TYPE_TIMESTAMPTZ_NS: ok = !strncmp(f, "tsn:", 4) && f[4]; break;
	case ICE_TYPE_STRING: ok = !strcmp(f, "u") || !strcmp(f, "U"); break;
	case ICE_TYPE_BINARY: ok = !strcmp(f, "z") || !strcmp(f, "Z"); break;
	case ICE_TYPE_UUID: ok = !strcmp(f, "w:16"); break;
	case ICE_TYPE_FIXED: {
		char want[32];
		snprintf(want, sizeof(want), "w:%d", (int)t->u.fixed.length);
		ok = !strcmp(f, want);
		break;
	}
	case ICE_TYPE_DECIMAL: {
		int p = 0, sc = 0, bits = 128;
		int n = sscanf(f, "d:%d,%d,%d", &p, &sc, &bits);
		ok = n >= 2 && p == t->u.decimal.precision && sc == t->u.decimal.scale && bits == 128;
		break;
	}
	case ICE_TYPE_STRUCT:
		ok = !strcmp(f, "+s") && (size_t)s->n_children == t->u.struct_.nfields;
		for (size_t i = 0; ok && i < t->u.struct_.nfields; i++) {
			int rc = check_arrow(w, t->u.struct_.fields[i].type, s->children[i], t->u.struct_.fields[i].name);
			if (rc)
				return rc;
		}
		break;
	case ICE_TYPE_LIST:
		ok = !strcmp(f, "+l") && s->n_children == 1;
		if (ok)
			return check_arrow(w, t->u.list.element.type, s->children[0], "element");
		break;
	case ICE_TYPE_MAP:
		ok = !strcmp(f, "+m") && s->n_children == 1 && s->children[0]->n_children == 2;
		if (ok) {
			int rc = check_arrow(w, t->u.map.key.type, s->children[0]->children[0], "key");
			return rc ? rc : check_arrow(w, t->u.map.value.type, s->children[0]->children[1], "value");
		}
		break;
	default: break;
	}
	if (!ok)
		return PQ_ERR(ICE_EINVALID, "%s: column %s: Arrow format '%s' does not fit Iceberg type %s", w->location, name,
		              f, ice_type_id_name(t->id));
	return 0;
}

/* The Arrow schema node of a leaf, following its steps. */
static const struct ArrowSchema *leaf_schema(const pq_wleaf *l, const struct ArrowSchema *s)
{
	for (int k = 0; k < l->depth; k++) {
		const pq_wstep *st = &l->steps[k];
		if (st->kind == PQ_STEP_STRUCT)
			s = s->children[st->child];
		else if (st->kind == PQ_STEP_LIST)
			s = s->children[0];
		else
			s = s->children[0];
	}
	return s;
}

static int layout_of(const char *f)
{
	switch (f[0]) {
	case 'b': return V_BOOL;
	case 'i': return V_I32;
	case 'l': return V_I64;
	case 'f': return V_F32;
	case 'g': return V_F64;
	case 'd': return V_DEC;
	case 'u':
	case 'z': return V_BYTES32;
	case 'U':
	case 'Z': return V_BYTES64;
	case 'w': return V_FLBA;
	case 't': return f[1] == 'd' ? V_I32 : V_I64;
	}
	return -1;
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
		for (int64_t k = 0; k < n; k++) {
			if (bm && !((bm[(bit0 + k) >> 3] >> ((bit0 + k) & 7)) & 1))
				continue;
			const uint8_t *p = src + (size_t)k * stride;
			if (fp && is_nan(c, p))
				c->m_nans++;
			uint64_t key = w == 8 ? pq_load64(p) : pq_load32(p);
			uint64_t h = mix64(key);
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
			if (found < 0 && (found = dict_index(c, p, w)) < 0)
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
			if (lo == SIZE_MAX || value_cmp(c, p, w, dst + lo * w, w) < 0)
				lo = k;
			if (hi == SIZE_MAX || value_cmp(c, p, w, dst + hi * w, w) > 0)
				hi = k;
		}
		break;
	}
	if (lo != SIZE_MAX && ((rc = update_minmax(c, dst + lo * w, w)) != 0 || (rc = update_minmax(c, dst + hi * w, w)) != 0))
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
		if (!lo || value_cmp(c, p, len, lo, lol) < 0) {
			lo = p;
			lol = len;
		}
		if (!hi || value_cmp(c, p, len, hi, hil) > 0) {
			hi = p;
			hil = len;
		}
	}
	c->plain.len = (size_t)(dst - (uint8_t *)c->plain.ptr);
	c->nvalues += cnt;
	if (lo && ((rc = update_minmax(c, lo, lol)) != 0 || (rc = update_minmax(c, hi, hil)) != 0))
		return rc;
	return 0;
}

/* Top-level primitive columns: levels, then values, 1024 rows at a time. */
static int write_flat(ice_parquet_writer *w, colw *c, const struct ArrowArray *a, int64_t from, int64_t to)
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
					add_null(c, 0, 0);
				} else {
					add_levels(c, c->leaf->max_def, 0);
					if ((rc = emit_value(c, a, i)) != 0)
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
		if ((rc = after_record(w, c)) != 0)
			return rc;
	}
	return 0;
}

int ice_parquet_writer_write(ice_parquet_writer *w, const struct ArrowArray *batch,
                             const struct ArrowSchema *schema)
{
	int rc;
	if (w->failed)
		return PQ_ERR(ICE_ERROR, "%s: the writer failed earlier", w->location);
	if (!batch || !schema || batch->release == NULL || strcmp(schema->format, "+s") != 0)
		return PQ_ERR(ICE_EINVALID, "%s: a batch must be a struct array", w->location);
	if ((rc = check_arrow(w, w->schema, schema, "(root)")) != 0)
		return rc;
	if (batch->n_children != schema->n_children)
		return PQ_ERR(ICE_EINVALID, "%s: batch has %lld columns, its schema %lld", w->location,
		              (long long)batch->n_children, (long long)schema->n_children);
	for (size_t i = 0; i < w->ws.nleaves; i++)
		w->cols[i].vfmt = layout_of(leaf_schema(&w->ws.leaves[i], schema)->format);
	const int64_t slice = 8192;
	for (int64_t from = 0; from < batch->length; from += slice) {
		int64_t to = from + slice < batch->length ? from + slice : batch->length;
		for (size_t i = 0; i < w->ws.nleaves; i++) {
			colw *c = &w->cols[i];
			const pq_wleaf *l = c->leaf;
			if (l->depth == 1) {
				const struct ArrowArray *a = batch->children[l->steps[0].child];
				rc = write_flat(w, c, a, from + batch->offset, to + batch->offset);
			} else {
				rc = 0;
				for (int64_t r = from; r < to && !rc; r++) {
					rc = shred(c, 0, batch, r, 0, 0);
					if (!rc && (c->nlevels >= (size_t)w->opts.page_row_limit || (r & 255) == 0))
						rc = after_record(w, c);
				}
			}
			if (!rc)
				rc = after_record(w, c);
			if (!rc)
				rc = col_error(c);
			if (rc) {
				w->failed = true;
				return rc;
			}
		}
		w->rg_rows += to - from;
		if (buffered_bytes(w, false) >= w->opts.row_group_size_bytes && (rc = flush_row_group(w)) != 0) {
			w->failed = true;
			return rc;
		}
	}
	return 0;
}

void ice_parquet_writer_abort(ice_parquet_writer *w)
{
	if (!w)
		return;
	if (w->out)
		ice_output__abort(w->out);
	free_writer(w);
}

/* ---- bounds for the manifest ----------------------------------------------------------- */

/* Iceberg's truncate(L) for strings: the first L code points; the upper
 * bound is then rounded up by incrementing its last code point that can be.
 * false when no upper bound exists (every code point at the maximum). */
static bool truncate_string(const uint8_t *s, size_t len, int32_t L, bool upper, ice_buf *out)
{
	size_t n = ice_utf8__prefix_len(s, len, (size_t)L);
	ice_buf__clear(out);
	ice_buf__put(out, s, n);
	if (!upper || n == len)
		return true;
	/* increment the last code point that is not U+10FFFF (skipping surrogates) */
	while (out->len > 0) {
		size_t start = out->len - 1;
		while (start > 0 && ((uint8_t)out->ptr[start] & 0xc0) == 0x80)
			start--;
		uint32_t cp = 0;
		const uint8_t *p = (const uint8_t *)out->ptr + start;
		size_t cl = out->len - start;
		if (cl == 1)
			cp = p[0];
		else if (cl == 2)
			cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
		else if (cl == 3)
			cp = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		else
			cp = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 | (uint32_t)(p[2] & 0x3f) << 6 |
			     (p[3] & 0x3f);
		ice_buf__truncate(out, start);
		if (cp >= 0x10ffff)
			continue;
		cp++;
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xe000;
		uint8_t enc[4];
		size_t el;
		if (cp < 0x80) {
			enc[0] = (uint8_t)cp;
			el = 1;
		} else if (cp < 0x800) {
			enc[0] = (uint8_t)(0xc0 | cp >> 6);
			enc[1] = (uint8_t)(0x80 | (cp & 0x3f));
			el = 2;
		} else if (cp < 0x10000) {
			enc[0] = (uint8_t)(0xe0 | cp >> 12);
			enc[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			enc[2] = (uint8_t)(0x80 | (cp & 0x3f));
			el = 3;
		} else {
			enc[0] = (uint8_t)(0xf0 | cp >> 18);
			enc[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
			enc[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			enc[3] = (uint8_t)(0x80 | (cp & 0x3f));
			el = 4;
		}
		ice_buf__put(out, enc, el);
		return true;
	}
	return false;
}

static bool truncate_binary(const uint8_t *s, size_t len, int32_t L, bool upper, ice_buf *out)
{
	size_t n = len < (size_t)L ? len : (size_t)L;
	ice_buf__clear(out);
	ice_buf__put(out, s, n);
	if (!upper || n == len)
		return true;
	while (out->len > 0) {
		uint8_t *last = (uint8_t *)out->ptr + out->len - 1;
		if (*last != 0xff) {
			(*last)++;
			return true;
		}
		ice_buf__truncate(out, out->len - 1);
	}
	return false;
}

static bool metric_bound(ice_literal *out, const colw *c, const ice_buf *raw, bool upper, int32_t trunc,
                         ice_arena *arena)
{
	const pq_wleaf *l = c->leaf;
	const ice_type *t = l->iceberg;
	const uint8_t *p = (const uint8_t *)raw->ptr;
	size_t n = raw->len;
	ice_buf tmp = ICE_BUF_INIT;
	bool ok = true;
	*out = ice_literal_null(t->id);
	if ((t->id == ICE_TYPE_STRING || t->id == ICE_TYPE_BINARY) && trunc > 0) {
		ok = t->id == ICE_TYPE_STRING ? truncate_string(p, n, trunc, upper, &tmp)
		                              : truncate_binary(p, n, trunc, upper, &tmp);
		p = (const uint8_t *)ice_buf__cstr(&tmp);
		n = tmp.len;
	}
	if (ok && !tmp.error) {
		pq_leaf pl;
		memset(&pl, 0, sizeof(pl));
		pl.type = l->type;
		pl.type_length = l->type_length;
		pl.format = "l";
		void *copy = ice_arena__memdup(arena, p, n ? n : 1);
		ok = copy && ice_parquet__bound_literal(out, t, &pl, copy, n);
	} else {
		ok = false;
	}
	ice_buf__free(&tmp);
	return ok;
}

static int build_metrics(ice_parquet_writer *w, ice_parquet_file_metrics **out)
{
	ice_arena *arena;
	ice_parquet_file_metrics *m = ice_parquet__metrics_new(w->ws.nleaves, w->nrow_groups, &arena);
	if (!m)
		return ICE_ERROR;
	ice_parquet_column_metrics *cols = (ice_parquet_column_metrics *)m->columns;
	int64_t *splits = (int64_t *)m->split_offsets;
	m->file_size = w->written;
	m->record_count = w->total_rows;
	for (size_t g = 0; g < w->nrow_groups; g++)
		splits[g] = w->row_groups[g].file_offset;
	m->nsplit_offsets = w->nrow_groups;
	for (size_t i = 0; i < w->ws.nleaves; i++) {
		const colw *c = &w->cols[i];
		const ice_type *t = c->leaf->iceberg;
		ice_parquet_column_metrics *cm = &cols[m->ncolumns++];
		cm->field_id = c->leaf->field_id;
		cm->column_size = c->m_size;
		cm->value_count = c->m_values;
		cm->null_count = c->m_nulls;
		cm->nan_count = (t->id == ICE_TYPE_FLOAT || t->id == ICE_TYPE_DOUBLE) ? c->m_nans : -1;
		cm->lower_bound = ice_literal_null(t->id);
		cm->upper_bound = ice_literal_null(t->id);
		if (c->m_has_bounds && c->m_bounds_ok) {
			ice_literal lo, hi;
			int32_t tr = w->opts.metrics_truncate_length;
			if (metric_bound(&lo, c, &c->m_min, false, tr, arena) && metric_bound(&hi, c, &c->m_max, true, tr, arena)) {
				cm->lower_bound = lo;
				cm->upper_bound = hi;
				cm->has_bounds = true;
			}
		}
	}
	*out = m;
	return 0;
}

int ice_parquet_writer_close(ice_parquet_writer *w, ice_parquet_file_metrics **metrics_out)
{
	int rc;
	if (metrics_out)
		*metrics_out = NULL;
	if (w->failed) {
		ice_parquet_writer_abort(w);
		return PQ_ERR(ICE_ERROR, "the writer failed earlier");
	}
	if ((rc = flush_row_group(w)) != 0)
		goto fail;
	pq_file_meta fm;
	memset(&fm, 0, sizeof(fm));
	fm.version = 2;
	fm.num_rows = w->total_rows;
	fm.elements = w->ws.elements;
	fm.nelements = w->ws.nelements;
	fm.row_groups = w->row_groups;
	fm.nrow_groups = w->nrow_groups;
	fm.kv = (ice_parquet_key_value *)w->opts.key_values;
	fm.nkv = w->opts.nkey_values;
	fm.created_by = "ice version " ICE_VERSION_STRING " (libicetable)";
	fm.ncolumn_orders = w->ws.nleaves;
	fm.column_orders = ice_arena__allocarray(&w->arena, w->ws.nleaves ? w->ws.nleaves : 1, sizeof(int));
	if (!fm.column_orders) {
		rc = ICE_ERROR;
		goto fail;
	}
	for (size_t i = 0; i < w->ws.nleaves; i++)
		fm.column_orders[i] = 1;
	ice_buf__clear(&w->page);
	ice_parquet__write_file_meta(&w->page, &fm);
	if (w->page.error) {
		rc = w->page.error;
		goto fail;
	}
	uint32_t flen = (uint32_t)w->page.len;
	if ((rc = write_out(w, w->page.ptr, w->page.len)) != 0 || (rc = write_out(w, &flen, 4)) != 0 ||
	    (rc = write_out(w, "PAR1", 4)) != 0)
		goto fail;
	if (metrics_out && (rc = build_metrics(w, metrics_out)) != 0)
		goto fail;
	rc = ice_output__close(w->out);
	w->out = NULL;
	if (rc) {
		if (metrics_out) {
			ice_parquet_file_metrics_free(*metrics_out);
			*metrics_out = NULL;
		}
		free_writer(w);
		return rc;
	}
	free_writer(w);
	return 0;
fail:
	ice_parquet_writer_abort(w);
	return rc;
}
