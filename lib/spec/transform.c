/*
 * spec/transform.c - partition transforms (spec "Partition Transforms",
 * "Bucket Transform Details", "Truncate Transform Details", Appendix B):
 * parsing, result types, application to values, human-readable partition
 * values, order relations, and predicate projection.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/datetime.h"
#include "util/error.h"
#include "util/int128.h"
#include "util/murmur3.h"
#include "util/strutil.h"

#define NANOS_PER_DAY (ICE_MICROS_PER_DAY * 1000)
#define NANOS_PER_HOUR (ICE_MICROS_PER_HOUR * 1000)

static const char *const kind_names[] = {
	[ICE_TRANSFORM_IDENTITY] = "identity", [ICE_TRANSFORM_BUCKET] = "bucket",
	[ICE_TRANSFORM_TRUNCATE] = "truncate", [ICE_TRANSFORM_YEAR] = "year",
	[ICE_TRANSFORM_MONTH] = "month",       [ICE_TRANSFORM_DAY] = "day",
	[ICE_TRANSFORM_HOUR] = "hour",         [ICE_TRANSFORM_VOID] = "void",
};

void ice_transform_parse(ice_transform *out, const char *s)
{
	size_t len = strlen(s);
	memset(out, 0, sizeof(*out));
	for (int k = ICE_TRANSFORM_IDENTITY; k <= ICE_TRANSFORM_VOID; k++) {
		const char *name = kind_names[k];
		size_t n = strlen(name);
		if (k == ICE_TRANSFORM_BUCKET || k == ICE_TRANSFORM_TRUNCATE) {
			int32_t param;
			if (len > n + 2 && ice_str__ieq(s, n, name, n) && s[n] == '[' && s[len - 1] == ']' &&
			    ice_str__to_int32(s + n + 1, len - n - 2, &param) && param > 0) {
				out->kind = (ice_transform_kind)k;
				out->param = param;
				return;
			}
		} else if (ice_str__ieq(s, len, name, n)) {
			out->kind = (ice_transform_kind)k;
			return;
		}
	}
	/* Older writers spelled the time transforms in the plural. */
	if (ice_str__ieq(s, len, "years", 5))
		out->kind = ICE_TRANSFORM_YEAR;
	else if (ice_str__ieq(s, len, "months", 6))
		out->kind = ICE_TRANSFORM_MONTH;
	else if (ice_str__ieq(s, len, "days", 4))
		out->kind = ICE_TRANSFORM_DAY;
	else if (ice_str__ieq(s, len, "hours", 5))
		out->kind = ICE_TRANSFORM_HOUR;
	else {
		out->kind = ICE_TRANSFORM_UNKNOWN;
		out->name = s;
	}
}

size_t ice_transform_to_string(const ice_transform *t, char *out, size_t cap)
{
	int n;
	switch (t->kind) {
	case ICE_TRANSFORM_BUCKET:
	case ICE_TRANSFORM_TRUNCATE:
		n = snprintf(out, cap, "%s[%d]", kind_names[t->kind], (int)t->param);
		break;
	case ICE_TRANSFORM_UNKNOWN:
		n = snprintf(out, cap, "%s", t->name ? t->name : "unknown");
		break;
	default:
		n = snprintf(out, cap, "%s", kind_names[t->kind]);
	}
	return n < 0 ? 0 : (size_t)n;
}

bool ice_transform_equal(const ice_transform *a, const ice_transform *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == ICE_TRANSFORM_UNKNOWN)
		return a->name && b->name && strcmp(a->name, b->name) == 0;
	return a->param == b->param;
}

int ice_transform__copy(ice_transform *out, ice_arena *arena, const ice_transform *src)
{
	*out = *src;
	if (src->name && !(out->name = ice_arena__strdup(arena, src->name)))
		return ICE_ERROR;
	return 0;
}

static bool is_timestamp(ice_type_id id)
{
	return id == ICE_TYPE_TIMESTAMP || id == ICE_TYPE_TIMESTAMPTZ || id == ICE_TYPE_TIMESTAMP_NS ||
	       id == ICE_TYPE_TIMESTAMPTZ_NS;
}

static bool is_nanos(ice_type_id id)
{
	return id == ICE_TYPE_TIMESTAMP_NS || id == ICE_TYPE_TIMESTAMPTZ_NS;
}

bool ice_transform_can_apply(const ice_transform *t, const ice_type *source)
{
	ice_type_id id = source->id;
	switch (t->kind) {
	case ICE_TRANSFORM_IDENTITY:
		return ice_type_is_primitive(source) && id != ICE_TYPE_GEOMETRY && id != ICE_TYPE_GEOGRAPHY;
	case ICE_TRANSFORM_BUCKET:
		return id == ICE_TYPE_INT || id == ICE_TYPE_LONG || id == ICE_TYPE_DECIMAL || id == ICE_TYPE_DATE ||
		       id == ICE_TYPE_TIME || is_timestamp(id) || id == ICE_TYPE_STRING || id == ICE_TYPE_UUID ||
		       id == ICE_TYPE_FIXED || id == ICE_TYPE_BINARY;
	case ICE_TRANSFORM_TRUNCATE:
		return id == ICE_TYPE_INT || id == ICE_TYPE_LONG || id == ICE_TYPE_DECIMAL || id == ICE_TYPE_STRING ||
		       id == ICE_TYPE_BINARY;
	case ICE_TRANSFORM_YEAR:
	case ICE_TRANSFORM_MONTH:
	case ICE_TRANSFORM_DAY:
		return id == ICE_TYPE_DATE || is_timestamp(id);
	case ICE_TRANSFORM_HOUR:
		return is_timestamp(id);
	case ICE_TRANSFORM_VOID:
		return true;
	case ICE_TRANSFORM_UNKNOWN:
		return false;
	}
	return false;
}

const ice_type *ice_transform_result_type(const ice_transform *t, const ice_type *source)
{
	if (!ice_transform_can_apply(t, source))
		return NULL;
	switch (t->kind) {
	case ICE_TRANSFORM_BUCKET:
	case ICE_TRANSFORM_YEAR:
	case ICE_TRANSFORM_MONTH:
	case ICE_TRANSFORM_HOUR:
		return ice_type_primitive(ICE_TYPE_INT);
	case ICE_TRANSFORM_DAY:
		return ice_type_primitive(ICE_TYPE_DATE);
	default:
		return source;
	}
}

/* ---- hashing (Appendix B) ----------------------------------------------- */

static int32_t hash_long(int64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)v >> (8 * i));
	return (int32_t)ice_murmur3__x86_32(b, 8, 0);
}

static int32_t hash_double(double d)
{
	uint64_t bits;
	if (d == 0.0)
		d = 0.0; /* -0.0 hashes like 0.0 */
	if (isnan(d))
		bits = UINT64_C(0x7ff8000000000000);
	else
		memcpy(&bits, &d, 8);
	return hash_long((int64_t)bits);
}

int ice_literal_hash(const ice_literal *v, int32_t *out)
{
	switch (v->type) {
	case ICE_TYPE_BOOLEAN: *out = hash_long(v->v.b ? 1 : 0); return 0;
	case ICE_TYPE_INT:
	case ICE_TYPE_DATE: *out = hash_long(v->v.i32); return 0;
	case ICE_TYPE_LONG:
	case ICE_TYPE_TIME:
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ: *out = hash_long(v->v.i64); return 0;
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS: *out = hash_long(ice_floordiv(v->v.i64, 1000)); return 0;
	case ICE_TYPE_FLOAT: *out = hash_double((double)v->v.f32); return 0;
	case ICE_TYPE_DOUBLE: *out = hash_double(v->v.f64); return 0;
	case ICE_TYPE_DECIMAL: {
		uint8_t b[16];
		size_t n;
		ice_literal_to_bytes(v, b, sizeof(b), &n);
		*out = (int32_t)ice_murmur3__x86_32(b, n, 0);
		return 0;
	}
	case ICE_TYPE_STRING:
	case ICE_TYPE_UUID:
	case ICE_TYPE_FIXED:
	case ICE_TYPE_BINARY:
		*out = (int32_t)ice_murmur3__x86_32(v->v.bytes.data, v->v.bytes.len, 0);
		return 0;
	default:
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "%s values have no 32-bit hash",
		                      ice_type_id_name(v->type));
	}
}

/* ---- application ---------------------------------------------------------- */

/* Days since epoch of a date or timestamp value. */
static int64_t days_of(const ice_literal *v)
{
	if (v->type == ICE_TYPE_DATE)
		return v->v.i32;
	return ice_floordiv(v->v.i64, is_nanos(v->type) ? NANOS_PER_DAY : ICE_MICROS_PER_DAY);
}

static int cannot_apply(const ice_transform *t, const ice_literal *in)
{
	char name[64];
	ice_transform_to_string(t, name, sizeof(name));
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "transform %s cannot be applied to %s values",
	                      name, ice_type_id_name(in->type));
}

int ice_transform_apply(const ice_transform *t, const ice_literal *in, ice_literal *out)
{
	ice_type_id id = in->type;
	memset(out, 0, sizeof(*out));

	switch (t->kind) {
	case ICE_TRANSFORM_IDENTITY:
		if (id == ICE_TYPE_STRUCT || id == ICE_TYPE_LIST || id == ICE_TYPE_MAP || id == ICE_TYPE_GEOMETRY ||
		    id == ICE_TYPE_GEOGRAPHY || id == ICE_TYPE_VARIANT)
			return cannot_apply(t, in);
		*out = *in;
		return 0;
	case ICE_TRANSFORM_VOID:
		*out = *in;
		out->is_null = true;
		return 0;
	case ICE_TRANSFORM_UNKNOWN:
		return cannot_apply(t, in);
	default:
		break;
	}

	/* Result types other than the source type. */
	switch (t->kind) {
	case ICE_TRANSFORM_BUCKET:
	case ICE_TRANSFORM_YEAR:
	case ICE_TRANSFORM_MONTH:
	case ICE_TRANSFORM_HOUR: out->type = ICE_TYPE_INT; break;
	case ICE_TRANSFORM_DAY: out->type = ICE_TYPE_DATE; break;
	default: out->type = id; out->scale = in->scale; break;
	}

	switch (t->kind) {
	case ICE_TRANSFORM_BUCKET: {
		int32_t h;
		if (id == ICE_TYPE_BOOLEAN || id == ICE_TYPE_FLOAT || id == ICE_TYPE_DOUBLE)
			return cannot_apply(t, in);
		if (in->is_null) {
			out->is_null = true;
			return 0;
		}
		if (ice_literal_hash(in, &h))
			return cannot_apply(t, in);
		out->v.i32 = (int32_t)(((uint32_t)h & 0x7fffffffu) % (uint32_t)t->param);
		return 0;
	}
	case ICE_TRANSFORM_TRUNCATE: {
		int64_t w = t->param;
		if (in->is_null) {
			out->is_null = true;
			return 0;
		}
		switch (id) {
		case ICE_TYPE_INT: {
			int64_t v = in->v.i32;
			out->v.i32 = (int32_t)(v - (((v % w) + w) % w));
			return 0;
		}
		case ICE_TYPE_LONG: {
			int64_t v = in->v.i64;
			/* Compute in 128 bits: v - mod can overflow near INT64_MIN. */
			ice_i128 r = (ice_i128)v - ((((ice_i128)v % w) + w) % w);
			if (r < INT64_MIN)
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "truncate[%lld] overflows %lld",
				                      (long long)w, (long long)v);
			out->v.i64 = (int64_t)r;
			return 0;
		}
		case ICE_TYPE_DECIMAL: {
			ice_i128 v = ice_dec__get(in->v.dec);
			out->v.dec = ice_dec__make(v - (((v % w) + w) % w));
			return 0;
		}
		case ICE_TYPE_STRING:
			*out = *in;
			out->v.bytes.len = ice_utf8__prefix_len(in->v.bytes.data, in->v.bytes.len, (size_t)w);
			return 0;
		case ICE_TYPE_BINARY:
			*out = *in;
			if (out->v.bytes.len > (size_t)w)
				out->v.bytes.len = (size_t)w;
			return 0;
		default:
			return cannot_apply(t, in);
		}
	}
	case ICE_TRANSFORM_YEAR:
	case ICE_TRANSFORM_MONTH:
	case ICE_TRANSFORM_DAY:
		if (id != ICE_TYPE_DATE && !is_timestamp(id))
			return cannot_apply(t, in);
		if (in->is_null) {
			out->is_null = true;
			return 0;
		}
		if (t->kind == ICE_TRANSFORM_YEAR)
			out->v.i32 = ice_dt__year_from_days(days_of(in));
		else if (t->kind == ICE_TRANSFORM_MONTH)
			out->v.i32 = ice_dt__month_from_days(days_of(in));
		else
			out->v.i32 = (int32_t)days_of(in);
		return 0;
	case ICE_TRANSFORM_HOUR:
		if (!is_timestamp(id))
			return cannot_apply(t, in);
		if (in->is_null) {
			out->is_null = true;
			return 0;
		}
	{
		/* microseconds reach 2^31 hours after the year 246,000: no int holds those */
		int64_t h = ice_floordiv(in->v.i64, is_nanos(id) ? NANOS_PER_HOUR : ICE_MICROS_PER_HOUR);
		if (h < INT32_MIN || h > INT32_MAX)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                      "hour of %lld overflows an int (beyond the year 246,000)", (long long)in->v.i64);
		out->v.i32 = (int32_t)h;
		return 0;
	}
	default:
		return cannot_apply(t, in);
	}
}

/* ---- human strings ------------------------------------------------------- */

char *ice_transform_human_string(const ice_transform *t, const ice_literal *v)
{
	ice_buf b = ICE_BUF_INIT;
	char tmp[64];
	if (v->is_null)
		return ice__strdup("null");
	switch (t->kind) {
	case ICE_TRANSFORM_YEAR:
		ice_buf__printf(&b, "%04lld", 1970LL + v->v.i32);
		break;
	case ICE_TRANSFORM_MONTH: {
		int64_t y = 1970 + ice_floordiv(v->v.i32, 12);
		ice_buf__printf(&b, "%04lld-%02d", (long long)y, (int)ice_floormod(v->v.i32, 12) + 1);
		break;
	}
	case ICE_TRANSFORM_DAY:
		ice_dt__format_date(v->type == ICE_TYPE_DATE || v->type == ICE_TYPE_INT ? v->v.i32 : 0, tmp);
		ice_buf__puts(&b, tmp);
		break;
	case ICE_TRANSFORM_HOUR: {
		int64_t days = ice_floordiv(v->v.i32, 24);
		ice_dt__format_date(days, tmp);
		ice_buf__printf(&b, "%s-%02d", tmp, (int)ice_floormod(v->v.i32, 24));
		break;
	}
	default:
		/* identity, bucket, truncate, void: the value itself; binary as
		 * base64 like the reference implementation. */
		if (v->type == ICE_TYPE_BINARY || v->type == ICE_TYPE_FIXED) {
			size_t n = (v->v.bytes.len + 2) / 3 * 4;
			uint8_t *p = ice_buf__reserve(&b, n + 1);
			if (p) {
				ice_base64__encode(v->v.bytes.data, v->v.bytes.len, (char *)p);
				ice_buf__truncate(&b, n);
			}
		} else if (v->type == ICE_TYPE_TIMESTAMPTZ || v->type == ICE_TYPE_TIMESTAMPTZ_NS) {
			char *s = ice_literal_to_string(v);
			if (!s)
				return NULL;
			/* "...+00:00" reads better in paths as "...Z" */
			size_t n = strlen(s);
			if (n > 6 && strcmp(s + n - 6, "+00:00") == 0) {
				s[n - 6] = 'Z';
				s[n - 5] = '\0';
			}
			ice_buf__puts(&b, s);
			ice__free(s);
		} else {
			char *s = ice_literal_to_string(v);
			if (!s)
				return NULL;
			ice_buf__puts(&b, s);
			ice__free(s);
		}
	}
	return ice_buf__detach(&b, NULL);
}

/* ---- order -------------------------------------------------------------------- */

bool ice_transform_preserves_order(const ice_transform *t)
{
	switch (t->kind) {
	case ICE_TRANSFORM_IDENTITY:
	case ICE_TRANSFORM_TRUNCATE:
	case ICE_TRANSFORM_YEAR:
	case ICE_TRANSFORM_MONTH:
	case ICE_TRANSFORM_DAY:
	case ICE_TRANSFORM_HOUR:
		return true;
	default:
		return false;
	}
}

static int granularity(ice_transform_kind k)
{
	switch (k) {
	case ICE_TRANSFORM_HOUR: return 1;
	case ICE_TRANSFORM_DAY: return 2;
	case ICE_TRANSFORM_MONTH: return 3;
	case ICE_TRANSFORM_YEAR: return 4;
	default: return 0;
	}
}

bool ice_transform_satisfies_order_of(const ice_transform *t, const ice_transform *other)
{
	if (ice_transform_equal(t, other))
		return t->kind != ICE_TRANSFORM_UNKNOWN;
	switch (t->kind) {
	case ICE_TRANSFORM_IDENTITY:
		/* The finest order satisfies every order-preserving transform. */
		return ice_transform_preserves_order(other);
	case ICE_TRANSFORM_HOUR:
	case ICE_TRANSFORM_DAY:
	case ICE_TRANSFORM_MONTH:
	case ICE_TRANSFORM_YEAR:
		return granularity(other->kind) && granularity(t->kind) <= granularity(other->kind);
	case ICE_TRANSFORM_TRUNCATE:
		/* trunc[W'] of trunc[W] keeps the order only when W divides W' for
		 * numbers but when W >= W' for strings; without the source type,
		 * only equal widths (handled above) are known to satisfy. */
		return false;
	default:
		return false;
	}
}

/* ---- projection -------------------------------------------------------------- */

/* `lit` moved by `delta` units of its own type (1 day, 1 micro, 1 unscaled). */
static bool step(const ice_literal *lit, int delta, ice_literal *out)
{
	*out = *lit;
	switch (lit->type) {
	case ICE_TYPE_INT:
	case ICE_TYPE_DATE:
		if ((delta > 0 && lit->v.i32 == INT32_MAX) || (delta < 0 && lit->v.i32 == INT32_MIN))
			return false;
		out->v.i32 += delta;
		return true;
	case ICE_TYPE_LONG:
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS:
	case ICE_TYPE_TIME:
		if ((delta > 0 && lit->v.i64 == INT64_MAX) || (delta < 0 && lit->v.i64 == INT64_MIN))
			return false;
		out->v.i64 += delta;
		return true;
	case ICE_TYPE_DECIMAL:
		out->v.dec = ice_dec__make(ice_dec__get(lit->v.dec) + delta);
		return true;
	default:
		return false;
	}
}

typedef struct proj {
	ice_op *op;
	ice_literal *lits;
	size_t *n;
	bool strict;
} proj;

static int none(proj *p)
{
	*p->op = p->strict ? ICE_OP_FALSE : ICE_OP_TRUE;
	*p->n = 0;
	return 0;
}

/* op applied to transform(src) (src stepped by delta first). */
static int emit(proj *p, const ice_transform *t, ice_op op, const ice_literal *src, int delta)
{
	ice_literal moved;
	int rc;
	if (delta && !step(src, delta, &moved))
		return none(p);
	rc = ice_transform_apply(t, delta ? &moved : src, &p->lits[0]);
	if (rc == ICE_EINVALID && (t->kind == ICE_TRANSFORM_HOUR || t->kind == ICE_TRANSFORM_TRUNCATE) && !src->is_null &&
	    (is_timestamp(src->type) || src->type == ICE_TYPE_LONG)) {
		/* the literal has no transformed value (an hour past 2^31, a
		 * truncation below the smallest long): no projection */
		ice_error_clear();
		return none(p);
	}
	if (rc)
		return rc;
	*p->op = op;
	*p->n = 1;
	return 0;
}

/* Pre-1970 fixes for values written with the 0.10 off-by-one bug. */
static void fix_time(proj *p)
{
	if (*p->n != 1 || (p->lits[0].type != ICE_TYPE_INT && p->lits[0].type != ICE_TYPE_DATE))
		return;
	int32_t v = p->lits[0].v.i32;
	if (!p->strict) {
		switch (*p->op) {
		case ICE_OP_LT:
		case ICE_OP_LT_EQ:
			if (v < 0)
				p->lits[0].v.i32 = v + 1;
			break;
		case ICE_OP_EQ:
			if (v < 0) {
				*p->op = ICE_OP_IN;
				p->lits[1] = p->lits[0];
				p->lits[1].v.i32 = v + 1;
				*p->n = 2;
			}
			break;
		default:
			break;
		}
	} else {
		switch (*p->op) {
		case ICE_OP_GT:
		case ICE_OP_GT_EQ:
			if (v <= 0)
				p->lits[0].v.i32 = v + 1;
			break;
		case ICE_OP_NOT_EQ:
			if (v < 0) {
				*p->op = ICE_OP_NOT_IN;
				p->lits[1] = p->lits[0];
				p->lits[1].v.i32 = v + 1;
				*p->n = 2;
			}
			break;
		default:
			break;
		}
	}
}

/* Order-preserving transforms of numbers and times (truncate, year, ...). */
static int project_ordered(proj *p, const ice_transform *t, ice_op op, const ice_literal *lit)
{
	if (!p->strict) {
		switch (op) {
		case ICE_OP_LT: return emit(p, t, ICE_OP_LT_EQ, lit, -1);
		case ICE_OP_LT_EQ: return emit(p, t, ICE_OP_LT_EQ, lit, 0);
		case ICE_OP_GT: return emit(p, t, ICE_OP_GT_EQ, lit, 1);
		case ICE_OP_GT_EQ: return emit(p, t, ICE_OP_GT_EQ, lit, 0);
		case ICE_OP_EQ: return emit(p, t, ICE_OP_EQ, lit, 0);
		default: return none(p);
		}
	}
	switch (op) {
	case ICE_OP_LT: return emit(p, t, ICE_OP_LT, lit, 0);
	case ICE_OP_LT_EQ: return emit(p, t, ICE_OP_LT, lit, 1);
	case ICE_OP_GT: return emit(p, t, ICE_OP_GT, lit, 0);
	case ICE_OP_GT_EQ: return emit(p, t, ICE_OP_GT, lit, -1);
	case ICE_OP_NOT_EQ: return emit(p, t, ICE_OP_NOT_EQ, lit, 0);
	default: return none(p);
	}
}

static size_t units(const ice_literal *lit)
{
	return lit->type == ICE_TYPE_STRING ? ice_utf8__count(lit->v.bytes.data, lit->v.bytes.len) : lit->v.bytes.len;
}

/* truncate[W] of strings and binary. */
static int project_prefix(proj *p, const ice_transform *t, ice_op op, const ice_literal *lit)
{
	size_t w = (size_t)t->param, n = units(lit);
	if (!p->strict) {
		switch (op) {
		case ICE_OP_LT:
		case ICE_OP_LT_EQ: return emit(p, t, ICE_OP_LT_EQ, lit, 0);
		case ICE_OP_GT:
		case ICE_OP_GT_EQ: return emit(p, t, ICE_OP_GT_EQ, lit, 0);
		case ICE_OP_EQ: return emit(p, t, ICE_OP_EQ, lit, 0);
		case ICE_OP_STARTS_WITH:
			/* A partition value is the first W units of each row's value. */
			return emit(p, t, n >= w ? ICE_OP_EQ : ICE_OP_STARTS_WITH, lit, 0);
		case ICE_OP_NOT_STARTS_WITH:
			if (n < w)
				return emit(p, t, ICE_OP_NOT_STARTS_WITH, lit, 0);
			if (n == w)
				return emit(p, t, ICE_OP_NOT_EQ, lit, 0);
			return none(p);
		default: return none(p);
		}
	}
	switch (op) {
	case ICE_OP_LT:
	case ICE_OP_LT_EQ: return emit(p, t, ICE_OP_LT, lit, 0);
	case ICE_OP_GT:
	case ICE_OP_GT_EQ: return emit(p, t, ICE_OP_GT, lit, 0);
	case ICE_OP_NOT_EQ: return emit(p, t, ICE_OP_NOT_EQ, lit, 0);
	case ICE_OP_EQ:
		/* A value shorter than W is its own partition value. */
		return n < w ? emit(p, t, ICE_OP_EQ, lit, 0) : none(p);
	case ICE_OP_STARTS_WITH: return n <= w ? emit(p, t, ICE_OP_STARTS_WITH, lit, 0) : none(p);
	case ICE_OP_NOT_STARTS_WITH: return emit(p, t, ICE_OP_NOT_STARTS_WITH, lit, 0);
	default: return none(p);
	}
}

int ice_transform_project(const ice_transform *t, ice_op op, const ice_literal *lit, bool strict, ice_op *op_out,
                          ice_literal lits_out[2], size_t *nlits_out)
{
	proj p = {op_out, lits_out, nlits_out, strict};
	int rc;
	*nlits_out = 0;

	if (t->kind == ICE_TRANSFORM_UNKNOWN || t->kind == ICE_TRANSFORM_VOID)
		return none(&p);
	if (op == ICE_OP_TRUE || op == ICE_OP_FALSE) {
		*op_out = op;
		return 0;
	}
	if (op == ICE_OP_IS_NULL || op == ICE_OP_NOT_NULL) {
		*op_out = op; /* every transform maps null to null and only null */
		return 0;
	}
	if (op == ICE_OP_IS_NAN || op == ICE_OP_NOT_NAN) {
		if (t->kind == ICE_TRANSFORM_IDENTITY)
			*op_out = op;
		else
			none(&p);
		return 0;
	}
	if (op == ICE_OP_IN || op == ICE_OP_NOT_IN || !lit)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR,
		                      "project IN / NOT IN element by element, with a literal");
	if (lit->is_null)
		return none(&p);

	switch (t->kind) {
	case ICE_TRANSFORM_IDENTITY:
		*op_out = op;
		lits_out[0] = *lit;
		*nlits_out = 1;
		return 0;
	case ICE_TRANSFORM_BUCKET:
		if ((!strict && op == ICE_OP_EQ) || (strict && op == ICE_OP_NOT_EQ))
			return emit(&p, t, op, lit, 0);
		return none(&p);
	case ICE_TRANSFORM_TRUNCATE:
		if (lit->type == ICE_TYPE_STRING || lit->type == ICE_TYPE_BINARY)
			return project_prefix(&p, t, op, lit);
		return project_ordered(&p, t, op, lit);
	case ICE_TRANSFORM_YEAR:
	case ICE_TRANSFORM_MONTH:
	case ICE_TRANSFORM_DAY:
	case ICE_TRANSFORM_HOUR:
		if ((rc = project_ordered(&p, t, op, lit)) != 0)
			return rc;
		fix_time(&p);
		return 0;
	default:
		return none(&p);
	}
}
