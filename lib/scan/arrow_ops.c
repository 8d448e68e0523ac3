/*
 * scan/arrow_ops.c - values a scan makes rather than reads: columns of
 * nulls or of one value (columns a data file lacks: spec "Column
 * Projection", initial-default and identity partition values), primitive
 * columns re-laid for a promoted type or a time unit (spec "Schema
 * Evolution"), and rows taken out of a batch by a keep mask (deletes, the
 * residual filter, --limit), for every layout ice's batches use: bits,
 * fixed width, 32- and 64-bit offsets, null, struct, list and map.
 */
#include <stdlib.h>
#include <string.h>

#include "read.h"
#include "util/datetime.h"

static bool bit(const uint8_t *b, int64_t i)
{
	return (b[i >> 3] >> (i & 7)) & 1;
}

static void set_bit(uint8_t *b, int64_t i)
{
	b[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static void *zalloc(int64_t n)
{
	return ice__calloc(n > 0 ? (size_t)n : 1, 1);
}

static int unsupported(const char *what, const char *format)
{
	return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "%s: Arrow format '%s' is not supported", what,
	                      format);
}

/* ---- constants -------------------------------------------------------------------- */

/* The bytes of one fixed-width value of `v` (already of the target type). */
static int encode_fixed(uint8_t *dst, int width, const ice_literal *v)
{
	switch (v->type) {
	case ICE_TYPE_INT:
	case ICE_TYPE_DATE:
		if (width == 4) {
			memcpy(dst, &v->v.i32, 4);
			return 0;
		}
		if (width == 8) {
			int64_t x = v->v.i32;
			memcpy(dst, &x, 8);
			return 0;
		}
		break;
	case ICE_TYPE_LONG:
	case ICE_TYPE_TIME:
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS:
		if (width == 8) {
			memcpy(dst, &v->v.i64, 8);
			return 0;
		}
		break;
	case ICE_TYPE_FLOAT:
		if (width == 4) {
			memcpy(dst, &v->v.f32, 4);
			return 0;
		}
		if (width == 8) {
			double d = v->v.f32;
			memcpy(dst, &d, 8);
			return 0;
		}
		break;
	case ICE_TYPE_DOUBLE:
		if (width == 8) {
			memcpy(dst, &v->v.f64, 8);
			return 0;
		}
		break;
	case ICE_TYPE_DECIMAL:
		if (width == 16) {
			memcpy(dst, &v->v.dec.lo, 8);
			memcpy(dst + 8, &v->v.dec.hi, 8);
			return 0;
		}
		break;
	case ICE_TYPE_UUID:
	case ICE_TYPE_FIXED:
		if ((size_t)width == v->v.bytes.len) {
			memcpy(dst, v->v.bytes.data, (size_t)width);
			return 0;
		}
		break;
	default:
		break;
	}
	return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "%s values cannot fill a %d-byte column",
	                      ice_type_id_name(v->type), width);
}

static const ice_literal *struct_item(const ice_literal *v, int32_t id)
{
	for (size_t i = 0; i < v->v.nested.n; i++)
		if (v->v.nested.field_ids && v->v.nested.field_ids[i] == id)
			return &v->v.nested.items[i];
	return NULL;
}

/* The type of child i of a struct-like schema node (a variant's parts are binary). */
static const ice_type *child_type(const ice_type *t, int64_t i, const ice_field **field_out)
{
	*field_out = NULL;
	if (t->id == ICE_TYPE_STRUCT && (size_t)i < t->u.struct_.nfields) {
		*field_out = &t->u.struct_.fields[i];
		return t->u.struct_.fields[i].type;
	}
	return ice_type_primitive(ICE_TYPE_BINARY);
}

int ice_read__array_const(struct ArrowArray *out, const struct ArrowSchema *schema, const ice_type *type,
                          const ice_literal *value, int64_t length)
{
	rd_layout l = ice_read__layout(schema->format);
	bool null = !value || value->is_null;
	int64_t vb = (length + 7) / 8;
	void *bufs[3] = {NULL, NULL, NULL};
	ice_literal v;
	int rc;
	if (!null && l.kind != RD_STRUCT) {
		if ((rc = ice_literal_promote(&v, value, type)) != 0)
			return rc;
		value = &v;
	}
	if (null && !(bufs[0] = zalloc(vb)) && l.kind != RD_NULL)
		return ICE_ERROR;
	int64_t nulls = null ? length : 0;
	switch (l.kind) {
	case RD_NULL:
		ice__free(bufs[0]);
		return ice_arrow__array_make(out, length, length, 0, 0, bufs, 0, 0, NULL, NULL);
	case RD_BOOL:
		if (!(bufs[1] = zalloc(vb)))
			break;
		if (!null && value->v.b)
			memset(bufs[1], 0xff, (size_t)vb);
		return ice_arrow__array_make(out, length, nulls, 0, 2, bufs, 3, 0, NULL, NULL);
	case RD_FIXED: {
		uint8_t *d = bufs[1] = zalloc(length * l.width);
		if (!d)
			break;
		if (!null) {
			if ((rc = encode_fixed(d, l.width, value)) != 0) {
				ice__free(d);
				return rc;
			}
			for (int64_t i = 1; i < length; i++)
				memcpy(d + i * l.width, d, (size_t)l.width);
		}
		return ice_arrow__array_make(out, length, nulls, 0, 2, bufs, 3, 0, NULL, NULL);
	}
	case RD_VAR32:
	case RD_VAR64: {
		size_t len = null ? 0 : value->v.bytes.len, w = l.kind == RD_VAR32 ? 4 : 8;
		if (!null && l.kind == RD_VAR32 && (uint64_t)len * (uint64_t)length > INT32_MAX)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "a constant column of %lld values of %zu bytes is too large",
			                      (long long)length, len);
		uint8_t *offs = bufs[1] = zalloc((length + 1) * (int64_t)w), *data = bufs[2] = zalloc((int64_t)(len * (size_t)length));
		if (!offs || !data)
			break;
		for (int64_t i = 0; i <= length; i++) {
			int64_t o = (int64_t)len * i;
			if (w == 4) {
				int32_t o32 = (int32_t)o;
				memcpy(offs + i * 4, &o32, 4);
			} else {
				memcpy(offs + i * 8, &o, 8);
			}
		}
		for (int64_t i = 0; i < length && len; i++)
			memcpy(data + (size_t)i * len, value->v.bytes.data, len);
		return ice_arrow__array_make(out, length, nulls, 0, 3, bufs, 7, 0, NULL, NULL);
	}
	case RD_STRUCT: {
		int64_t n = schema->n_children;
		struct ArrowArray *kids = ice__calloc(n ? (size_t)n : 1, sizeof(*kids));
		if (!kids)
			break;
		for (int64_t i = 0; i < n; i++) {
			const ice_field *f;
			const ice_type *ct = child_type(type, i, &f);
			const ice_literal *cv = NULL;
			if (!null)
				cv = f && value->v.nested.n ? struct_item(value, f->id) : f ? f->initial_default : NULL;
			if ((rc = ice_read__array_const(&kids[i], schema->children[i], ct, cv, length)) != 0) {
				for (int64_t j = 0; j < i; j++)
					ice_arrow_array_release(&kids[j]);
				ice__free(kids);
				ice__free(bufs[0]);
				return rc;
			}
		}
		rc = ice_arrow__array_make(out, length, nulls, 0, 1, bufs, 1, (int)n, kids, NULL);
		ice__free(kids);
		return rc;
	}
	case RD_LIST:
	case RD_MAP: {
		if (!null) {
			ice__free(bufs[0]);
			return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "%s: default values of lists and maps",
			                      schema->name);
		}
		struct ArrowArray kid;
		const ice_type *et = type->id == ICE_TYPE_LIST ? type->u.list.element.type : type;
		if (!(bufs[1] = zalloc((length + 1) * 4)))
			break;
		if (l.kind == RD_MAP) {
			/* an empty entries struct: key and value children of length 0 */
			const struct ArrowSchema *es = schema->children[0];
			struct ArrowArray kv[2];
			const ice_type *kt = type->id == ICE_TYPE_MAP ? type->u.map.key.type : type;
			const ice_type *vt = type->id == ICE_TYPE_MAP ? type->u.map.value.type : type;
			void *none[1] = {NULL};
			if ((rc = ice_read__array_const(&kv[0], es->children[0], kt, NULL, 0)) != 0)
				goto nested_fail;
			if ((rc = ice_read__array_const(&kv[1], es->children[1], vt, NULL, 0)) != 0) {
				ice_arrow_array_release(&kv[0]);
				goto nested_fail;
			}
			if ((rc = ice_arrow__array_make(&kid, 0, 0, 0, 1, none, 0, 2, kv, NULL)) != 0)
				goto nested_fail;
		} else if ((rc = ice_read__array_const(&kid, schema->children[0], et, NULL, 0)) != 0) {
			goto nested_fail;
		}
		return ice_arrow__array_make(out, length, nulls, 0, 2, bufs, 3, 1, &kid, NULL);
	nested_fail:
		ice__free(bufs[0]);
		ice__free(bufs[1]);
		return rc;
	}
	default:
		ice__free(bufs[0]);
		return unsupported(schema->name, schema->format);
	}
	for (int i = 0; i < 3; i++)
		ice__free(bufs[i]);
	return ICE_ERROR;
}

/* ---- taking rows -------------------------------------------------------------------- */

static int64_t count_kept(const uint8_t *keep, int64_t n)
{
	int64_t c = 0, i = 0;
	if (!keep)
		return n;
	for (; i + 8 <= n; i += 8)
		c += __builtin_popcount(keep[i >> 3]);
	for (; i < n; i++)
		c += bit(keep, i);
	return c;
}

int ice_read__array_take(struct ArrowArray *out, const struct ArrowSchema *schema, const struct ArrowArray *a,
                         int64_t start, int64_t n, const uint8_t *keep)
{
	rd_layout l = ice_read__layout(schema->format);
	int64_t m = count_kept(keep, n), base = a->offset + start, nulls = 0, k;
	const uint8_t *valid = a->n_buffers > 0 && a->null_count != 0 ? a->buffers[0] : NULL;
	void *bufs[3] = {NULL, NULL, NULL};
	unsigned owned = 0;
	int nbuf = 0, rc;
	if (l.kind == RD_NULL)
		return ice_arrow__array_make(out, m, m, 0, 0, bufs, 0, 0, NULL, NULL);
	if (l.kind == RD_OTHER)
		return unsupported(schema->name, schema->format);
	if (valid) {
		uint8_t *v = bufs[0] = zalloc((m + 7) / 8);
		if (!v)
			return ICE_ERROR;
		k = 0;
		for (int64_t i = 0; i < n; i++) {
			if (keep && !bit(keep, i))
				continue;
			if (bit(valid, base + i))
				set_bit(v, k);
			else
				nulls++;
			k++;
		}
	}
	owned = 1;
	nbuf = 1;
	switch (l.kind) {
	case RD_BOOL: {
		const uint8_t *src = a->buffers[1];
		uint8_t *d = bufs[1] = zalloc((m + 7) / 8);
		if (!d)
			goto oom;
		k = 0;
		for (int64_t i = 0; i < n; i++)
			if (!keep || bit(keep, i)) {
				if (bit(src, base + i))
					set_bit(d, k);
				k++;
			}
		owned |= 2, nbuf = 2;
		break;
	}
	case RD_FIXED: {
		const uint8_t *src = (const uint8_t *)a->buffers[1] + base * l.width;
		uint8_t *d = bufs[1] = zalloc(m * l.width);
		if (!d)
			goto oom;
		if (!keep) {
			if (n)
				memcpy(d, src, (size_t)(n * l.width));
		} else {
			size_t w = (size_t)l.width;
			k = 0;
			for (int64_t i = 0; i < n; i++)
				if (bit(keep, i))
					memcpy(d + (size_t)k++ * w, src + (size_t)i * w, w);
		}
		owned |= 2, nbuf = 2;
		break;
	}
	case RD_VAR32:
	case RD_VAR64: {
		bool wide = l.kind == RD_VAR64;
		const uint8_t *src = a->buffers[2];
		int64_t total = 0;
#define OFF(i) (wide ? ((const int64_t *)a->buffers[1])[i] : (int64_t)((const int32_t *)a->buffers[1])[i])
		for (int64_t i = 0; i < n; i++)
			if (!keep || bit(keep, i))
				total += OFF(base + i + 1) - OFF(base + i);
		if (!wide && total > INT32_MAX) {
			ice__free(bufs[0]);
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: more than 2 GiB of values in a batch",
			                      schema->name);
		}
		uint8_t *offs = bufs[1] = zalloc((m + 1) * (wide ? 8 : 4)), *d = bufs[2] = zalloc(total);
		if (!offs || !d)
			goto oom;
		int64_t pos = 0;
		k = 0;
		for (int64_t i = 0; i < n; i++) {
			if (keep && !bit(keep, i))
				continue;
			int64_t s = OFF(base + i), e = OFF(base + i + 1);
			memcpy(d + pos, src + s, (size_t)(e - s));
			pos += e - s;
			k++;
			if (wide)
				memcpy(offs + k * 8, &pos, 8);
			else {
				int32_t p32 = (int32_t)pos;
				memcpy(offs + k * 4, &p32, 4);
			}
		}
#undef OFF
		owned |= 6, nbuf = 3;
		break;
	}
	case RD_STRUCT: {
		int64_t nc = a->n_children;
		struct ArrowArray *kids = ice__calloc(nc ? (size_t)nc : 1, sizeof(*kids));
		if (!kids)
			goto oom;
		for (int64_t c = 0; c < nc; c++)
			if ((rc = ice_read__array_take(&kids[c], schema->children[c], a->children[c], base, n, keep)) != 0) {
				for (int64_t j = 0; j < c; j++)
					ice_arrow_array_release(&kids[j]);
				ice__free(kids);
				ice__free(bufs[0]);
				return rc;
			}
		rc = ice_arrow__array_make(out, m, nulls, 0, 1, bufs, owned, (int)nc, kids, NULL);
		ice__free(kids);
		return rc;
	}
	case RD_LIST:
	case RD_MAP: {
		const int32_t *offs = a->buffers[1];
		int64_t cs = offs[base], ce = offs[base + n];
		int32_t *no = bufs[1] = zalloc((m + 1) * 4);
		uint8_t *ckeep = NULL;
		struct ArrowArray kid;
		if (!no)
			goto oom;
		if (keep && !(ckeep = zalloc((ce - cs + 7) / 8)))
			goto oom;
		int32_t pos = 0;
		k = 0;
		for (int64_t i = 0; i < n; i++) {
			if (keep && !bit(keep, i))
				continue;
			for (int64_t e = offs[base + i]; e < offs[base + i + 1] && ckeep; e++)
				set_bit(ckeep, e - cs);
			pos += offs[base + i + 1] - offs[base + i];
			no[++k] = pos;
		}
		rc = ice_read__array_take(&kid, schema->children[0], a->children[0], cs, ce - cs, ckeep);
		ice__free(ckeep);
		if (rc) {
			ice__free(bufs[0]);
			ice__free(bufs[1]);
			return rc;
		}
		return ice_arrow__array_make(out, m, nulls, 0, 2, bufs, owned | 2, 1, &kid, NULL);
	}
	}
	return ice_arrow__array_make(out, m, nulls, 0, nbuf, bufs, owned, 0, NULL, NULL);
oom:
	for (int i = 0; i < 3; i++)
		ice__free(bufs[i]);
	return ICE_ERROR;
}

/* ---- converting primitives ------------------------------------------------------------ */

/* Temporal formats: kind ('d' date, 't' time, 's' timestamp) and unit
 * (0 s, 1 ms, 2 us, 3 ns, 4 days). */
static bool temporal(const char *f, char *kind, int *unit)
{
	if (f[0] != 't')
		return false;
	if (f[1] == 'd') {
		*kind = 'd';
		*unit = f[2] == 'D' ? 4 : 1;
		return true;
	}
	if (f[1] != 't' && f[1] != 's')
		return false;
	*kind = f[1];
	switch (f[2]) {
	case 's': *unit = 0; return true;
	case 'm': *unit = 1; return true;
	case 'u': *unit = 2; return true;
	case 'n': *unit = 3; return true;
	}
	return false;
}

static const int64_t per_second[4] = {1, 1000, 1000000, 1000000000};

static int64_t load_int(const uint8_t *p, char f)
{
	switch (f) {
	case 'c': return *(const int8_t *)p;
	case 'C': return *p;
	case 's': { int16_t v; memcpy(&v, p, 2); return v; }
	case 'S': { uint16_t v; memcpy(&v, p, 2); return v; }
	case 'I': { uint32_t v; memcpy(&v, p, 4); return v; }
	case 'l': { int64_t v; memcpy(&v, p, 8); return v; }
	default: { int32_t v; memcpy(&v, p, 4); return v; }
	}
}

int ice_read__array_convert(struct ArrowArray *out, bool *converted, const char *from, const char *to,
                            const struct ArrowArray *a, ice_arrow_holder *holder)
{
	rd_layout lf = ice_read__layout(from), lt = ice_read__layout(to);
	char kf = 0, kt = 0;
	int uf = 0, ut = 0;
	*converted = false;
	if (!strcmp(from, to))
		return 0;
	bool tf = temporal(from, &kf, &uf), tt = temporal(to, &kt, &ut);
	/* same bytes, other label: timestamps with and without zone, string and
	 * binary, uuid and fixed[16], decimals of another precision */
	if ((lf.kind == RD_VAR32 && lt.kind == RD_VAR32) || (lf.kind == RD_VAR64 && lt.kind == RD_VAR64))
		return 0;
	if (tf && tt && kf == kt && uf == ut)
		return 0;
	if (from[0] == 'w' && to[0] == 'w' && lf.width == lt.width)
		return 0;
	if (from[0] == 'd' && to[0] == 'd' && lf.width == 16 && lt.width == 16) {
		const char *sf = strchr(from, ','), *st = strchr(to, ',');
		if (sf && st && atoi(sf + 1) == atoi(st + 1))
			return 0;
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "decimal of format '%s' read as '%s'", from, to);
	}
	if (lf.kind != RD_FIXED || lt.kind != RD_FIXED)
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "values of Arrow format '%s' cannot be read as '%s'",
		                      from, to);
	int64_t n = a->offset + a->length;
	const uint8_t *src = a->buffers[1];
	uint8_t *dst = zalloc(n * lt.width);
	if (!dst)
		return ICE_ERROR;
	int rc = 0;
	bool int_from = strchr("cCsSiIl", from[0]) && from[1] == '\0';
	if (int_from && (!strcmp(to, "l") || (!strcmp(to, "i") && from[0] != 'I' && from[0] != 'l'))) {
		for (int64_t i = a->offset; i < n; i++) {
			int64_t v = load_int(src + i * lf.width, from[0]);
			if (lt.width == 8)
				memcpy(dst + i * 8, &v, 8);
			else {
				int32_t v32 = (int32_t)v;
				memcpy(dst + i * 4, &v32, 4);
			}
		}
	} else if (!strcmp(from, "f") && !strcmp(to, "g")) {
		for (int64_t i = a->offset; i < n; i++) {
			float f;
			memcpy(&f, src + i * 4, 4);
			double d = f;
			memcpy(dst + i * 8, &d, 8);
		}
	} else if (tf && tt && lt.width == 8 && (kf == kt || (kf == 'd' && kt == 's'))) {
		/* to a finer unit multiplies, to a coarser one floors */
		int64_t mul = 1, div = 1;
		int from_unit = uf == 4 ? 0 : uf;
		if (uf == 4)
			mul = 86400;
		if (ut > from_unit)
			mul *= per_second[ut] / per_second[from_unit];
		else
			div = per_second[from_unit] / per_second[ut];
		for (int64_t i = a->offset; i < n && !rc; i++) {
			int64_t v = load_int(src + i * lf.width, lf.width == 4 ? 'i' : 'l'), r;
			if (__builtin_mul_overflow(v, mul, &r)) {
				bool null = a->null_count && a->buffers[0] && !bit(a->buffers[0], i);
				if (!null)
					rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
					                    "value %lld of format '%s' does not fit '%s'", (long long)v, from, to);
				r = 0;
			}
			if (div > 1)
				r = ice_floordiv(r, div);
			memcpy(dst + i * 8, &r, 8);
		}
	} else {
		rc = ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "values of Arrow format '%s' cannot be read as '%s'",
		                    from, to);
	}
	if (rc) {
		ice__free(dst);
		return rc;
	}
	void *bufs[2] = {a->n_buffers > 0 ? (void *)(uintptr_t)a->buffers[0] : NULL, dst};
	if ((rc = ice_arrow__array_make(out, a->length, a->null_count, a->offset, 2, bufs, 2, 0, NULL, holder)) != 0)
		return rc;
	*converted = true;
	return 0;
}
