/*
 * parquet/arrow.c - Arrow C Data Interface arrays and schemas owned by the
 * library (Arrow "C data interface": release callbacks free exactly what
 * was allocated, children are released first), the "PARQUET:field_id"
 * field metadata in Arrow's binary key/value layout, and the rendering of
 * Arrow values as JSON or text that tools use to print rows.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "util/datetime.h"
#include "util/int128.h"
#include "util/strutil.h"

/* ---- a pool of released batch buffers ------------------------------------------ */

/*
 * Batches are handed to the caller, so each one needs fresh buffers; fresh
 * large allocations cost page faults. Buffers of released batches go back
 * to the scan's pool (while it lives) and the next batch reuses them.
 */
#define POOL_SLOTS 64

struct pq_pool {
	pthread_mutex_t mu;
	int refs;
	size_t n;
	void *items[POOL_SLOTS];
	size_t caps[POOL_SLOTS];
};

pq_pool *ice_parquet__pool_new(void)
{
	pq_pool *p = ice__calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	p->refs = 1;
	return p;
}

static void pool_destroy(pq_pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		ice__free(p->items[i]);
	pthread_mutex_destroy(&p->mu);
	ice__free(p);
}

void ice_parquet__pool_release(pq_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	int left = --p->refs;
	pthread_mutex_unlock(&p->mu);
	if (left == 0)
		pool_destroy(p);
}

void ice_parquet__pool_ref(pq_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->refs++;
	pthread_mutex_unlock(&p->mu);
}

void *ice_parquet__pool_take(pq_pool *p, size_t min, size_t *cap_out)
{
	void *got = NULL;
	if (!p)
		return NULL;
	pthread_mutex_lock(&p->mu);
	size_t best = SIZE_MAX;
	for (size_t i = 0; i < p->n; i++)
		if (p->caps[i] >= min && (best == SIZE_MAX || p->caps[i] < p->caps[best]))
			best = i;
	if (best != SIZE_MAX) {
		got = p->items[best];
		*cap_out = p->caps[best];
		p->n--;
		p->items[best] = p->items[p->n];
		p->caps[best] = p->caps[p->n];
	}
	pthread_mutex_unlock(&p->mu);
	return got;
}

static void pool_put(pq_pool *p, void *buf, size_t cap)
{
	pthread_mutex_lock(&p->mu);
	if (p->n < POOL_SLOTS && cap >= 4096) {
		p->items[p->n] = buf;
		p->caps[p->n] = cap;
		p->n++;
		buf = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	ice__free(buf);
}

/* ---- owned arrays ------------------------------------------------------------ */

typedef struct array_priv {
	void *buffers[3];
	const void *buffer_ptrs[3];
	size_t caps[3];                   /* capacity of pooled buffers, 0 if not */
	pq_pool *pool;
	struct ArrowArray *children;      /* nchildren structs */
	struct ArrowArray **child_ptrs;
} array_priv;

void ice_parquet__arrow_set_pool(struct ArrowArray *a, pq_pool *pool, const size_t caps[3])
{
	array_priv *p = a->private_data;
	if (!pool)
		return;
	ice_parquet__pool_ref(pool);
	p->pool = pool;
	for (int i = 0; i < 3; i++)
		p->caps[i] = caps[i];
}

static void release_array(struct ArrowArray *a)
{
	array_priv *p = a->private_data;
	if (!a->release)
		return;
	for (int64_t i = 0; i < a->n_children; i++)
		ice_arrow_array_release(&p->children[i]);
	for (int i = 0; i < 3; i++) {
		if (p->pool && p->caps[i] && p->buffers[i])
			pool_put(p->pool, p->buffers[i], p->caps[i]);
		else
			ice__free(p->buffers[i]);
	}
	ice_parquet__pool_release(p->pool);
	ice__free(p->children);
	ice__free(p->child_ptrs);
	ice__free(p);
	a->release = NULL;
}

int ice_parquet__arrow_make(struct ArrowArray *out, int64_t length, int64_t null_count, int nbuf, void **buffers,
                            int nchildren, struct ArrowArray *children)
{
	array_priv *p = ice__calloc(1, sizeof(*p));
	memset(out, 0, sizeof(*out));
	if (p && nchildren > 0) {
		p->children = ice__calloc((size_t)nchildren, sizeof(struct ArrowArray));
		p->child_ptrs = ice__calloc((size_t)nchildren, sizeof(struct ArrowArray *));
	}
	if (!p || (nchildren > 0 && (!p->children || !p->child_ptrs))) {
		for (int i = 0; i < nbuf; i++)
			ice__free(buffers[i]);
		for (int i = 0; i < nchildren; i++)
			ice_arrow_array_release(&children[i]);
		if (p) {
			ice__free(p->children);
			ice__free(p->child_ptrs);
		}
		ice__free(p);
		return ICE_ERROR;
	}
	for (int i = 0; i < nbuf; i++) {
		p->buffers[i] = buffers[i];
		p->buffer_ptrs[i] = buffers[i];
	}
	for (int i = 0; i < nchildren; i++) {
		ice_arrow_array_move(&children[i], &p->children[i]);
		p->child_ptrs[i] = &p->children[i];
	}
	out->length = length;
	out->null_count = null_count;
	out->offset = 0;
	out->n_buffers = nbuf;
	out->n_children = nchildren;
	out->buffers = p->buffer_ptrs;
	out->children = nchildren ? p->child_ptrs : NULL;
	out->dictionary = NULL;
	out->release = release_array;
	out->private_data = p;
	return 0;
}

typedef struct schema_priv {
	char *format, *name, *metadata;
	struct ArrowSchema *children;
	struct ArrowSchema **child_ptrs;
} schema_priv;

static void release_schema(struct ArrowSchema *s)
{
	schema_priv *p = s->private_data;
	if (!s->release)
		return;
	for (int64_t i = 0; i < s->n_children; i++)
		ice_arrow_schema_release(&p->children[i]);
	ice__free(p->format);
	ice__free(p->name);
	ice__free(p->metadata);
	ice__free(p->children);
	ice__free(p->child_ptrs);
	ice__free(p);
	s->release = NULL;
}

int ice_parquet__arrow_schema_make(struct ArrowSchema *out, const char *format, const char *name,
                                   const char *metadata, size_t metadata_len, int64_t flags, int nchildren,
                                   struct ArrowSchema *children)
{
	schema_priv *p = ice__calloc(1, sizeof(*p));
	memset(out, 0, sizeof(*out));
	bool ok = p != NULL;
	if (ok) {
		p->format = ice__strdup(format);
		p->name = ice__strdup(name ? name : "");
		p->metadata = metadata ? ice__memdup(metadata, metadata_len) : NULL;
		ok = p->format && p->name && (!metadata || p->metadata);
	}
	if (ok && nchildren > 0) {
		p->children = ice__calloc((size_t)nchildren, sizeof(struct ArrowSchema));
		p->child_ptrs = ice__calloc((size_t)nchildren, sizeof(struct ArrowSchema *));
		ok = p->children && p->child_ptrs;
	}
	if (!ok) {
		for (int i = 0; i < nchildren; i++)
			ice_arrow_schema_release(&children[i]);
		if (p) {
			ice__free(p->format);
			ice__free(p->name);
			ice__free(p->metadata);
			ice__free(p->children);
			ice__free(p->child_ptrs);
		}
		ice__free(p);
		return ICE_ERROR;
	}
	for (int i = 0; i < nchildren; i++) {
		ice_arrow_schema_move(&children[i], &p->children[i]);
		p->child_ptrs[i] = &p->children[i];
	}
	out->format = p->format;
	out->name = p->name;
	out->metadata = p->metadata;
	out->flags = flags;
	out->n_children = nchildren;
	out->children = nchildren ? p->child_ptrs : NULL;
	out->dictionary = NULL;
	out->release = release_schema;
	out->private_data = p;
	return 0;
}

static void put_i32(uint8_t **p, int32_t v)
{
	memcpy(*p, &v, 4);
	*p += 4;
}

static void put_kv(uint8_t **p, const char *k, const char *v)
{
	put_i32(p, (int32_t)strlen(k));
	memcpy(*p, k, strlen(k));
	*p += strlen(k);
	put_i32(p, (int32_t)strlen(v));
	memcpy(*p, v, strlen(v));
	*p += strlen(v);
}

int ice_parquet__arrow_field_id_metadata(char **out, size_t *len_out, const ice_parquet_column *col, bool uuid_ext)
{
	char id[16];
	int32_t n = 0;
	size_t len = 4;
	*out = NULL;
	*len_out = 0;
	if (col->has_field_id) {
		snprintf(id, sizeof(id), "%d", (int)col->field_id);
		len += 8 + strlen("PARQUET:field_id") + strlen(id);
		n++;
	}
	if (uuid_ext) {
		len += 8 + strlen("ARROW:extension:name") + strlen("arrow.uuid");
		len += 8 + strlen("ARROW:extension:metadata");
		n += 2;
	}
	if (n == 0)
		return 0;
	uint8_t *m = ice__malloc(len), *p = m;
	if (!m)
		return ICE_ERROR;
	put_i32(&p, n);
	if (col->has_field_id)
		put_kv(&p, "PARQUET:field_id", id);
	if (uuid_ext) {
		put_kv(&p, "ARROW:extension:name", "arrow.uuid");
		put_kv(&p, "ARROW:extension:metadata", "");
	}
	*out = (char *)m;
	*len_out = len;
	return 0;
}

/* ---- rendering values -------------------------------------------------------- */

static bool is_valid(const struct ArrowArray *a, int64_t i)
{
	const uint8_t *bm = a->n_buffers > 0 ? a->buffers[0] : NULL;
	if (a->null_count == 0 || !bm)
		return true;
	i += a->offset;
	return (bm[i >> 3] >> (i & 7)) & 1;
}

static const char *meta_value(const char *meta, const char *key)
{
	int32_t n, kl, vl;
	static _Thread_local char value[64];
	if (!meta)
		return NULL;
	memcpy(&n, meta, 4);
	meta += 4;
	for (int32_t i = 0; i < n; i++) {
		memcpy(&kl, meta, 4);
		meta += 4;
		const char *k = meta;
		meta += kl;
		memcpy(&vl, meta, 4);
		meta += 4;
		if ((size_t)kl == strlen(key) && !memcmp(k, key, (size_t)kl)) {
			size_t c = (size_t)vl < sizeof(value) - 1 ? (size_t)vl : sizeof(value) - 1;
			memcpy(value, meta, c);
			value[c] = '\0';
			return value;
		}
		meta += vl;
	}
	return NULL;
}

static float half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
	if (exp == 0) {
		if (mant == 0) {
			bits = sign;
		} else {
			float f = ldexpf((float)mant, -24);
			return sign ? -f : f;
		}
	} else if (exp == 31) {
		bits = sign | 0x7f800000u | (mant << 13);
	} else {
		bits = sign | ((exp + 112) << 23) | (mant << 13);
	}
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

/* Text of a primitive value into buf (which may be reallocated); quoted
 * tells whether JSON needs it as a string. */
static int primitive_text(ice_buf *buf, bool *quoted, bool *number, const struct ArrowSchema *s,
                          const struct ArrowArray *a, int64_t i)
{
	const char *f = s->format;
	int64_t j = i + a->offset;
	const void *v1 = a->n_buffers > 1 ? a->buffers[1] : NULL;
	char tmp[96];
	*quoted = false;
	*number = true;
#define VAL(T) (((const T *)v1)[j])
	switch (f[0]) {
	case 'b': return ice_buf__puts(buf, ((((const uint8_t *)v1)[j >> 3] >> (j & 7)) & 1) ? "true" : "false");
	case 'c': return ice_buf__printf(buf, "%d", (int)VAL(int8_t));
	case 'C': return ice_buf__printf(buf, "%u", (unsigned)VAL(uint8_t));
	case 's': return ice_buf__printf(buf, "%d", (int)VAL(int16_t));
	case 'S': return ice_buf__printf(buf, "%u", (unsigned)VAL(uint16_t));
	case 'i': return ice_buf__printf(buf, "%d", (int)VAL(int32_t));
	case 'I': return ice_buf__printf(buf, "%u", (unsigned)VAL(uint32_t));
	case 'l': return ice_buf__printf(buf, "%lld", (long long)VAL(int64_t));
	case 'L': return ice_buf__printf(buf, "%llu", (unsigned long long)VAL(uint64_t));
	case 'e':
	case 'f':
	case 'g': {
		double d = f[0] == 'g' ? VAL(double) : f[0] == 'f' ? (double)VAL(float) : (double)half_to_float(VAL(uint16_t));
		if (isnan(d) || isinf(d)) {
			*quoted = true;
			*number = false;
			return ice_buf__puts(buf, isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
		}
		if (f[0] == 'g')
			return ice_buf__printf(buf, "%.17g", d);
		return ice_buf__printf(buf, "%.9g", d);
	}
	case 'n': return ice_buf__puts(buf, "null");
	case 'd': {
		int p = 0, sc = 0;
		if (sscanf(f, "d:%d,%d", &p, &sc) != 2)
			break;
		uint64_t lo, hi;
		memcpy(&lo, (const uint8_t *)v1 + j * 16, 8);
		memcpy(&hi, (const uint8_t *)v1 + j * 16 + 8, 8);
		ice_i128 v = (ice_i128)(((ice_u128)hi << 64) | lo);
		char digits[48];
		bool neg = v < 0;
		size_t n = ice_i128__to_string(neg ? -v : v, digits);
		*quoted = true;
		*number = false;
		if (neg)
			ice_buf__putc(buf, '-');
		if (sc <= 0)
			return ice_buf__put(buf, digits, n);
		if ((size_t)sc >= n) {
			ice_buf__puts(buf, "0.");
			for (size_t k = n; k < (size_t)sc; k++)
				ice_buf__putc(buf, '0');
			return ice_buf__put(buf, digits, n);
		}
		ice_buf__put(buf, digits, n - (size_t)sc);
		ice_buf__putc(buf, '.');
		return ice_buf__put(buf, digits + n - (size_t)sc, (size_t)sc);
	}
	case 't': {
		size_t n;
		*quoted = true;
		*number = false;
		if (!strcmp(f, "tdD")) {
			n = ice_dt__format_date(VAL(int32_t), tmp);
		} else if (!strcmp(f, "tdm")) {
			n = ice_dt__format_date(ice_floordiv(VAL(int64_t), 86400000), tmp);
		} else if (f[1] == 't') {
			int64_t t = f[2] == 's' ? (int64_t)VAL(int32_t) * 1000000
			            : f[2] == 'm' ? (int64_t)VAL(int32_t) * 1000
			                          : VAL(int64_t);
			n = ice_dt__format_time(t, f[2] == 'n', tmp);
		} else if (f[1] == 's') {
			int64_t t = VAL(int64_t);
			bool zone = f[4] != '\0';
			if (f[2] == 's')
				t = t * 1000000;
			else if (f[2] == 'm')
				t = t * 1000;
			n = ice_dt__format_timestamp(t, f[2] == 'n', zone, tmp);
		} else {
			break;
		}
		return ice_buf__put(buf, tmp, n);
	}
	case 'u':
	case 'z':
	case 'U':
	case 'Z': {
		bool large = f[0] == 'U' || f[0] == 'Z';
		int64_t start = large ? VAL(int64_t) : VAL(int32_t);
		int64_t end = large ? ((const int64_t *)v1)[j + 1] : ((const int32_t *)v1)[j + 1];
		const uint8_t *data = (const uint8_t *)a->buffers[2] + start;
		size_t len = (size_t)(end - start);
		*quoted = true;
		*number = false;
		if (f[0] == 'u' || f[0] == 'U') {
			if (ice_utf8__valid(data, len))
				return ice_buf__put(buf, data, len);
			/* not UTF-8 (a corrupt or mislabelled file): show U+FFFD per bad byte */
			for (size_t k = 0; k < len;) {
				size_t n = 1;
				while (n <= 4 && k + n <= len && !ice_utf8__valid(data + k, n))
					n++;
				if (n <= 4 && k + n <= len) {
					ice_buf__put(buf, data + k, n);
					k += n;
				} else {
					ice_buf__puts(buf, "\xEF\xBF\xBD");
					k++;
				}
			}
			return buf->error;
		}
		for (size_t k = 0; k < len; k++)
			ice_buf__printf(buf, "%02x", data[k]);
		return buf->error;
	}
	case 'w': {
		int width = atoi(f + 2);
		const uint8_t *data = (const uint8_t *)v1 + j * width;
		const char *ext = meta_value(s->metadata, "ARROW:extension:name");
		*quoted = true;
		*number = false;
		if (width == 16 && ext && !strcmp(ext, "arrow.uuid")) {
			for (int k = 0; k < 16; k++)
				ice_buf__printf(buf, "%s%02x", (k == 4 || k == 6 || k == 8 || k == 10) ? "-" : "", data[k]);
			return buf->error;
		}
		for (int k = 0; k < width; k++)
			ice_buf__printf(buf, "%02x", data[k]);
		return buf->error;
	}
	}
#undef VAL
	return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "Arrow format '%s' cannot be rendered", f);
}

int ice_arrow_write_json_value(ice_json_writer *w, const struct ArrowSchema *s, const struct ArrowArray *a,
                               int64_t row)
{
	int rc;
	if (!is_valid(a, row))
		return ice_json_null(w);
	int64_t j = row + a->offset;
	const char *f = s->format;
	if (f[0] == '+') {
		if (f[1] == 's') {
			ice_json_begin_object(w);
			for (int64_t c = 0; c < s->n_children; c++) {
				ice_json_key(w, s->children[c]->name ? s->children[c]->name : "");
				if ((rc = ice_arrow_write_json_value(w, s->children[c], a->children[c], row + a->offset)))
					return rc;
			}
			return ice_json_end_object(w);
		}
		if (f[1] == 'l' || f[1] == 'L' || f[1] == 'm') {
			int64_t start, end;
			if (f[1] == 'L') {
				start = ((const int64_t *)a->buffers[1])[j];
				end = ((const int64_t *)a->buffers[1])[j + 1];
			} else {
				start = ((const int32_t *)a->buffers[1])[j];
				end = ((const int32_t *)a->buffers[1])[j + 1];
			}
			const struct ArrowSchema *cs = s->children[0];
			const struct ArrowArray *ca = a->children[0];
			ice_json_begin_array(w);
			for (int64_t k = start; k < end; k++) {
				if (f[1] == 'm') {
					ice_json_begin_array(w);
					for (int64_t c = 0; c < cs->n_children && c < 2; c++)
						if ((rc = ice_arrow_write_json_value(w, cs->children[c], ca->children[c], k)))
							return rc;
					ice_json_end_array(w);
				} else if ((rc = ice_arrow_write_json_value(w, cs, ca, k))) {
					return rc;
				}
			}
			return ice_json_end_array(w);
		}
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "Arrow format '%s' cannot be rendered", f);
	}
	ice_buf b = ICE_BUF_INIT;
	bool quoted, number;
	rc = primitive_text(&b, &quoted, &number, s, a, row);
	if (!rc) {
		if (quoted)
			rc = ice_json_string_n(w, ice_buf__cstr(&b), b.len);
		else
			rc = ice_json_raw(w, ice_buf__cstr(&b), b.len);
	}
	ice_buf__free(&b);
	return rc;
}

int ice_arrow_write_json_row(ice_json_writer *w, const struct ArrowSchema *s, const struct ArrowArray *batch,
                             int64_t row)
{
	int rc;
	if (strcmp(s->format, "+s") != 0)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "a row needs a struct array");
	ice_json_begin_object(w);
	for (int64_t c = 0; c < s->n_children; c++) {
		ice_json_key(w, s->children[c]->name ? s->children[c]->name : "");
		if ((rc = ice_arrow_write_json_value(w, s->children[c], batch->children[c], row + batch->offset)))
			return rc;
	}
	return ice_json_end_object(w);
}

int ice_arrow_value_to_string(char **out, const struct ArrowSchema *s, const struct ArrowArray *a, int64_t row)
{
	int rc;
	*out = NULL;
	if (!is_valid(a, row))
		return 0;
	if (s->format[0] == '+') {
		ice_json_writer *w;
		const char *text;
		size_t len;
		if ((rc = ice_json_writer_new(&w, ICE_JSON_COMPACT)) != 0)
			return rc;
		if ((rc = ice_arrow_write_json_value(w, s, a, row)) == 0 &&
		    (rc = ice_json_writer_finish(w, &text, &len)) == 0 && !(*out = ice__strndup(text, len)))
			rc = ICE_ERROR;
		ice_json_writer_free(w);
		return rc;
	}
	ice_buf b = ICE_BUF_INIT;
	bool quoted, number;
	rc = primitive_text(&b, &quoted, &number, s, a, row);
	if (!rc && !(*out = ice_buf__detach(&b, NULL)))
		rc = ICE_ERROR;
	ice_buf__free(&b);
	return rc;
}
