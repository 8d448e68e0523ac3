/*
 * expr/bind.c - binding (ice/expr.h "binding"): column names resolved
 * against a struct type, literals converted to the column's type, NOT
 * pushed down to the predicates, and constant folding.
 *
 * Conversion is exact where the column type is exact (integers, decimals,
 * dates, times, timestamps): a literal the type cannot hold is replaced by
 * its neighbours in the type, so `int_col < 5.5` becomes `int_col < 6`,
 * `int_col = 5.5` is false, `int_col != 5.5` is true, and a literal beyond
 * the type's range folds the comparison (`int_col < 1e10` holds for every
 * non-null value: `int_col is not null`). Float and double columns take the
 * nearest value of their type (`f = 0.1` matches the float nearest 0.1, as
 * engines cast). Untyped text converts as the column's type reads text;
 * timestamps also accept a date ('2024-01-31' is its midnight) and, for
 * timestamptz, text without an offset (UTC).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "util/datetime.h"
#include "util/int128.h"
#include "util/strutil.h"

/* ---- resolving columns -------------------------------------------------------------- */

typedef struct resolved {
	const ice_field *field;
	bool never_null;
	bool in_collection;
	char name[512]; /* the field's full name as the schema spells it */
} resolved;

/* Prepend "<part>." to the name built so far (names are built leaf first). */
static void prepend(resolved *out, const char *part, bool dot)
{
	size_t have = strlen(out->name), n = strlen(part), extra = n + (dot ? 1 : 0);
	if (have + extra >= sizeof(out->name))
		return; /* very long names keep what fits: only messages and printing use them */
	memmove(out->name + extra, out->name, have + 1);
	memcpy(out->name, part, n);
	if (dot)
		out->name[n] = '.';
}

static bool name_eq(const char *a, size_t alen, const char *b, bool cs)
{
	size_t blen = strlen(b);
	if (alen != blen)
		return false;
	return cs ? memcmp(a, b, alen) == 0 : ice_str__ieq(a, alen, b, blen);
}

/* `name` (len bytes) under `st`: a field whose name is the whole name, or a
 * prefix followed by '.' and the rest resolved in its struct. */
static bool resolve(const ice_type *st, const char *name, size_t len, bool cs, bool never_null, resolved *out)
{
	for (size_t i = 0; i < st->u.struct_.nfields; i++) {
		const ice_field *f = &st->u.struct_.fields[i];
		size_t flen = strlen(f->name);
		bool nn = never_null && f->required;
		if (name_eq(name, len, f->name, cs)) {
			out->field = f;
			out->never_null = nn;
			out->in_collection = false;
			out->name[0] = '\0';
			prepend(out, f->name, false);
			return true;
		}
		if (flen < len && name[flen] == '.' && name_eq(name, flen, f->name, cs)) {
			const ice_type *t = f->type;
			if (t->id == ICE_TYPE_STRUCT) {
				if (resolve(t, name + flen + 1, len - flen - 1, cs, nn, out)) {
					prepend(out, f->name, true);
					return true;
				}
			} else if (t->id == ICE_TYPE_LIST || t->id == ICE_TYPE_MAP) {
				out->field = f;
				out->never_null = false;
				out->in_collection = true;
				return true;
			}
		}
	}
	return false;
}

/* The field with `id` anywhere outside lists and maps. */
static const ice_field *find_id(const ice_type *st, int32_t id, bool never_null, bool *nn_out)
{
	for (size_t i = 0; i < st->u.struct_.nfields; i++) {
		const ice_field *f = &st->u.struct_.fields[i];
		bool nn = never_null && f->required;
		if (f->id == id) {
			*nn_out = nn;
			return f;
		}
		if (f->type->id == ICE_TYPE_STRUCT) {
			const ice_field *g = find_id(f->type, id, nn, nn_out);
			if (g)
				return g;
		}
	}
	return NULL;
}

/* ---- converting literals ---------------------------------------------------------- */

/* The literal in the column's type: exact, or its neighbours below (lo)
 * and above (hi), either missing beyond the type's range. */
typedef struct conv {
	bool exact;
	int side;            /* +1: above the type's largest value; -1: below its smallest */
	bool has_lo, has_hi;
	ice_literal lo, hi;
} conv;

static void conv_exact(conv *c, ice_literal v)
{
	c->exact = c->has_lo = c->has_hi = true;
	c->lo = c->hi = v;
}

static int mismatch(const ice_expr *p, const ice_type *type, const ice_literal *lit, const char *detail)
{
	char *t = ice_type_to_string(type);
	char *v = ice_literal_to_string(lit);
	int rc;
	if (!t || !v)
		rc = ice_error__oom();
	else if (detail)
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: column '%s' (%s): cannot compare with %s%s%s: %s",
		                    p->column, t, lit->type == ICE_TYPE_STRING ? "'" : "", v,
		                    lit->type == ICE_TYPE_STRING ? "'" : "", detail);
	else
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: column '%s' (%s): cannot compare with %s%s%s (%s)",
		                    p->column, t, lit->type == ICE_TYPE_STRING ? "'" : "", v,
		                    lit->type == ICE_TYPE_STRING ? "'" : "", ice_type_id_name(lit->type));
	ice__free(t);
	ice__free(v);
	return rc;
}

/* An integer-valued literal (long, or 128-bit from decimals) into a
 * bounded integer domain. */
static void int_conv(conv *c, ice_type_id id, ice_i128 lo, ice_i128 hi, bool exact, ice_i128 min, ice_i128 max)
{
	ice_literal l;
	memset(&l, 0, sizeof(l));
	l.type = id;
	memset(c, 0, sizeof(*c));
	c->exact = exact && lo >= min && lo <= max;
	c->side = lo > max ? 1 : hi < min ? -1 : 0;
	/* lo = floor, hi = ceil of the literal */
	if (lo >= min && lo <= max) {
		c->lo = l;
		if (id == ICE_TYPE_INT || id == ICE_TYPE_DATE)
			c->lo.v.i32 = (int32_t)lo;
		else
			c->lo.v.i64 = (int64_t)lo;
		c->has_lo = true;
	} else if (lo > max) {
		c->lo = l;
		if (id == ICE_TYPE_INT || id == ICE_TYPE_DATE)
			c->lo.v.i32 = (int32_t)max;
		else
			c->lo.v.i64 = (int64_t)max;
		c->has_lo = true; /* everything is below */
	}
	if (hi >= min && hi <= max) {
		c->hi = l;
		if (id == ICE_TYPE_INT || id == ICE_TYPE_DATE)
			c->hi.v.i32 = (int32_t)hi;
		else
			c->hi.v.i64 = (int64_t)hi;
		c->has_hi = true;
	} else if (hi < min) {
		c->hi = l;
		if (id == ICE_TYPE_INT || id == ICE_TYPE_DATE)
			c->hi.v.i32 = (int32_t)min;
		else
			c->hi.v.i64 = (int64_t)min;
		c->has_hi = true;
	}
}

static ice_i128 dec_value(const ice_literal *l)
{
	return (ice_i128)(((ice_u128)(uint64_t)l->v.dec.hi << 64) | l->v.dec.lo);
}

static ice_decimal128 dec_make(ice_i128 v)
{
	ice_decimal128 d = {(uint64_t)((ice_u128)v & UINT64_MAX), (int64_t)(v >> 64)};
	return d;
}

/* floor and ceil of a / b for b > 0 */
static void div_floor_ceil(ice_i128 a, ice_i128 b, ice_i128 *fl, ice_i128 *ce, bool *exact)
{
	ice_i128 q = a / b, r = a % b;
	if (r != 0 && a < 0)
		q--;
	*fl = q;
	*exact = r == 0;
	*ce = *exact ? q : q + 1;
}

/* A literal as an exact rational number scaled to `scale` digits: floor
 * and ceil of value * 10^scale. False when the literal is not a number. */
static bool scaled(const ice_literal *l, int scale, ice_i128 *fl, ice_i128 *ce, bool *exact, bool *overflow)
{
	*fl = *ce = 0;
	*exact = false;
	*overflow = false;
	switch (l->type) {
	case ICE_TYPE_INT:
	case ICE_TYPE_LONG: {
		ice_i128 v = l->type == ICE_TYPE_INT ? l->v.i32 : l->v.i64;
		if (scale > 36) {
			*overflow = true;
			return true;
		}
		*fl = *ce = v * ice_i128__pow10(scale);
		*exact = true;
		return true;
	}
	case ICE_TYPE_DECIMAL: {
		ice_i128 v = dec_value(l);
		int diff = scale - l->scale;
		if (diff >= 0) {
			ice_i128 m = ice_i128__pow10(diff > 38 ? 38 : diff);
			if (diff > 38 || (v != 0 && (v > ICE_I128_MAX / m || v < ICE_I128_MIN / m))) {
				*overflow = true;
				return true;
			}
			*fl = *ce = v * m;
			*exact = true;
		} else {
			if (-diff > 38) {
				*fl = v < 0 ? -1 : 0;
				*ce = v > 0 ? 1 : 0;
				*exact = v == 0;
				return true;
			}
			div_floor_ceil(v, ice_i128__pow10(-diff), fl, ce, exact);
		}
		return true;
	}
	case ICE_TYPE_FLOAT:
	case ICE_TYPE_DOUBLE: {
		long double d = l->type == ICE_TYPE_FLOAT ? l->v.f32 : l->v.f64;
		for (int i = 0; i < scale; i++)
			d *= 10;
		if (!isfinite(d) || fabsl(d) > 1e38L) {
			*overflow = true;
			*fl = *ce = d > 0 ? ICE_I128_MAX : ICE_I128_MIN;
			return true;
		}
		long double f = floorl(d), c = ceill(d);
		*fl = (ice_i128)f;
		*ce = (ice_i128)c;
		*exact = f == c;
		return true;
	}
	default: return false;
	}
}

/* Micros (or nanos) of a temporal literal at the given unit: floor/ceil. */
static bool temporal(const ice_literal *l, bool nanos, ice_i128 *fl, ice_i128 *ce, bool *exact)
{
	*exact = true;
	switch (l->type) {
	case ICE_TYPE_DATE: *fl = *ce = (ice_i128)l->v.i32 * ICE_MICROS_PER_DAY * (nanos ? 1000 : 1); return true;
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ: *fl = *ce = (ice_i128)l->v.i64 * (nanos ? 1000 : 1); return true;
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS:
		if (nanos)
			*fl = *ce = l->v.i64;
		else
			div_floor_ceil(l->v.i64, 1000, fl, ce, exact);
		return true;
	default: return false;
	}
}

/* Text in a temporal column: a timestamp (a zone only for timestamptz,
 * none meaning UTC), or a date meaning its midnight. */
static int temporal_text(const ice_expr *p, const ice_type *type, const ice_literal *lit, ice_literal *out)
{
	const char *s = (const char *)lit->v.bytes.data;
	size_t n = lit->v.bytes.len;
	bool tz = type->id == ICE_TYPE_TIMESTAMPTZ || type->id == ICE_TYPE_TIMESTAMPTZ_NS;
	bool zone = false;
	int32_t days;
	memset(out, 0, sizeof(*out));
	if (ice_dt__parse_timestamp(s, n, true, &out->v.i64, &zone)) {
		if (zone && !tz && type->id != ICE_TYPE_DATE)
			return mismatch(p, type, lit, "a timestamp without time zone takes no offset");
		out->type = ICE_TYPE_TIMESTAMP_NS;
		return 0;
	}
	if (ice_dt__parse_timestamp(s, n, false, &out->v.i64, &zone)) { /* beyond the nanosecond range */
		if (zone && !tz && type->id != ICE_TYPE_DATE)
			return mismatch(p, type, lit, "a timestamp without time zone takes no offset");
		out->type = ICE_TYPE_TIMESTAMP;
		return 0;
	}
	if (ice_dt__parse_date(s, n, &days)) {
		out->type = ICE_TYPE_DATE;
		out->v.i32 = days;
		return 0;
	}
	return mismatch(p, type, lit, "not an ISO-8601 date or timestamp");
}

static int convert(const ice_expr *p, const ice_type *type, const ice_literal *lit, ice_arena *arena, conv *c)
{
	ice_literal v;
	ice_i128 fl, ce;
	bool exact, overflow;
	memset(c, 0, sizeof(*c));
	memset(&v, 0, sizeof(v));
	v.type = type->id;
	if ((lit->type == ICE_TYPE_FLOAT && isnan(lit->v.f32)) || (lit->type == ICE_TYPE_DOUBLE && isnan(lit->v.f64)))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR,
		                      "where: column '%s': NaN is not a value to compare with: use 'is nan' or 'is not nan'",
		                      p->column);
	/* Text converts as the column's type reads text (temporal types more leniently). */
	if (lit->type == ICE_TYPE_STRING && type->id != ICE_TYPE_STRING) {
		ice_literal parsed;
		int rc;
		switch (type->id) {
		case ICE_TYPE_DATE:
		case ICE_TYPE_TIMESTAMP:
		case ICE_TYPE_TIMESTAMPTZ:
		case ICE_TYPE_TIMESTAMP_NS:
		case ICE_TYPE_TIMESTAMPTZ_NS:
			if ((rc = temporal_text(p, type, lit, &parsed)) != 0)
				return rc;
			return convert(p, type, &parsed, arena, c);
		case ICE_TYPE_DECIMAL: {
			/* at the text's own scale, then rounded as any decimal */
			const char *s = (const char *)lit->v.bytes.data;
			size_t n = lit->v.bytes.len;
			const char *dot = memchr(s, '.', n);
			ice_type dt = *type;
			dt.u.decimal.precision = 38;
			dt.u.decimal.scale = dot ? (int32_t)(s + n - dot - 1) : 0;
			if (dt.u.decimal.scale > 38 || ice_literal_from_string(&parsed, &dt, s, n, arena) != 0)
				return ice_error__is_oom() ? ICE_ERROR : mismatch(p, type, lit, "not a decimal number");
			return convert(p, type, &parsed, arena, c);
		}
		default:
			if (ice_literal_from_string(&parsed, type, (const char *)lit->v.bytes.data, lit->v.bytes.len, arena) != 0) {
				char detail[300];
				if (ice_error__is_oom())
					return ICE_ERROR;
				snprintf(detail, sizeof(detail), "%s", ice_error_last()->message);
				return mismatch(p, type, lit, detail);
			}
			conv_exact(c, parsed);
			return 0;
		}
	}
	switch (type->id) {
	case ICE_TYPE_BOOLEAN:
		if (lit->type != ICE_TYPE_BOOLEAN)
			break;
		conv_exact(c, *lit);
		return 0;
	case ICE_TYPE_INT:
	case ICE_TYPE_LONG:
		/* at scale 0 only a float or double can overflow; scaled() then
		 * gives the side it lies on */
		if (!scaled(lit, 0, &fl, &ce, &exact, &overflow))
			break;
		if (overflow)
			exact = false;
		if (type->id == ICE_TYPE_INT)
			int_conv(c, type->id, fl, ce, exact, INT32_MIN, INT32_MAX);
		else
			int_conv(c, type->id, fl, ce, exact, INT64_MIN, INT64_MAX);
		return 0;
	case ICE_TYPE_FLOAT:
	case ICE_TYPE_DOUBLE: {
		double d;
		if (lit->type == ICE_TYPE_INT)
			d = lit->v.i32;
		else if (lit->type == ICE_TYPE_LONG)
			d = (double)lit->v.i64;
		else if (lit->type == ICE_TYPE_FLOAT)
			d = lit->v.f32;
		else if (lit->type == ICE_TYPE_DOUBLE)
			d = lit->v.f64;
		else if (lit->type == ICE_TYPE_DECIMAL) {
			char *text = ice_literal_to_string(lit);
			if (!text)
				return ICE_ERROR;
			bool ok = ice_str__to_double(text, strlen(text), &d);
			ice__free(text);
			if (!ok)
				return mismatch(p, type, lit, NULL);
		} else
			break;
		if (type->id == ICE_TYPE_FLOAT)
			v.v.f32 = (float)d;
		else
			v.v.f64 = d;
		conv_exact(c, v);
		return 0;
	}
	case ICE_TYPE_DECIMAL: {
		int32_t prec = type->u.decimal.precision, sc = type->u.decimal.scale;
		ice_i128 limit = ice_i128__pow10(prec > 38 ? 38 : prec) - 1;
		if (!scaled(lit, sc, &fl, &ce, &exact, &overflow))
			break;
		if (overflow) {
			bool neg = lit->type == ICE_TYPE_DECIMAL ? dec_value(lit) < 0
			           : lit->type == ICE_TYPE_LONG  ? lit->v.i64 < 0
			           : lit->type == ICE_TYPE_INT   ? lit->v.i32 < 0
			           : lit->type == ICE_TYPE_FLOAT ? lit->v.f32 < 0
			                                         : lit->v.f64 < 0;
			fl = ce = neg ? ICE_I128_MIN : ICE_I128_MAX;
			exact = false;
		}
		v.scale = sc;
		c->exact = exact && fl >= -limit && fl <= limit;
		c->side = fl > limit ? 1 : ce < -limit ? -1 : 0;
		if (fl >= -limit && fl <= limit) {
			c->lo = v;
			c->lo.v.dec = dec_make(fl);
			c->has_lo = true;
		} else if (fl > limit) {
			c->lo = v;
			c->lo.v.dec = dec_make(limit);
			c->has_lo = true;
		}
		if (ce >= -limit && ce <= limit) {
			c->hi = v;
			c->hi.v.dec = dec_make(ce);
			c->has_hi = true;
		} else if (ce < -limit) {
			c->hi = v;
			c->hi.v.dec = dec_make(-limit);
			c->has_hi = true;
		}
		return 0;
	}
	case ICE_TYPE_DATE:
		if (lit->type == ICE_TYPE_DATE) {
			conv_exact(c, *lit);
			return 0;
		}
		if (lit->type == ICE_TYPE_INT || lit->type == ICE_TYPE_LONG) {
			ice_i128 d = lit->type == ICE_TYPE_INT ? lit->v.i32 : lit->v.i64;
			int_conv(c, type->id, d, d, true, INT32_MIN, INT32_MAX);
			return 0;
		}
		if (!temporal(lit, false, &fl, &ce, &exact))
			break;
		{
			ice_i128 dfl, dce, x;
			bool e2;
			div_floor_ceil(fl, ICE_MICROS_PER_DAY, &dfl, &x, &e2);
			div_floor_ceil(ce, ICE_MICROS_PER_DAY, &x, &dce, &e2);
			int_conv(c, type->id, dfl, dce, exact && dfl == dce, INT32_MIN, INT32_MAX);
		}
		return 0;
	case ICE_TYPE_TIME:
		if (lit->type == ICE_TYPE_TIME) {
			conv_exact(c, *lit);
			return 0;
		}
		if (lit->type == ICE_TYPE_LONG || lit->type == ICE_TYPE_INT) {
			ice_i128 t = lit->type == ICE_TYPE_INT ? lit->v.i32 : lit->v.i64;
			int_conv(c, type->id, t, t, true, 0, ICE_MICROS_PER_DAY - 1);
			return 0;
		}
		break;
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS: {
		bool nanos = type->id == ICE_TYPE_TIMESTAMP_NS || type->id == ICE_TYPE_TIMESTAMPTZ_NS;
		if (lit->type == ICE_TYPE_LONG || lit->type == ICE_TYPE_INT) {
			fl = ce = lit->type == ICE_TYPE_INT ? lit->v.i32 : lit->v.i64;
			exact = true;
		} else if (!temporal(lit, nanos, &fl, &ce, &exact)) {
			break;
		}
		int_conv(c, type->id, fl, ce, exact, INT64_MIN, INT64_MAX);
		return 0;
	}
	case ICE_TYPE_STRING:
		if (lit->type != ICE_TYPE_STRING)
			break;
		conv_exact(c, *lit);
		return 0;
	case ICE_TYPE_UUID:
		if (lit->type == ICE_TYPE_UUID ||
		    ((lit->type == ICE_TYPE_BINARY || lit->type == ICE_TYPE_FIXED) && lit->v.bytes.len == 16)) {
			v.v.bytes = lit->v.bytes;
			conv_exact(c, v);
			return 0;
		}
		break;
	case ICE_TYPE_FIXED:
	case ICE_TYPE_BINARY:
		if (lit->type == ICE_TYPE_BINARY || lit->type == ICE_TYPE_FIXED || lit->type == ICE_TYPE_UUID) {
			if (type->id == ICE_TYPE_FIXED && lit->v.bytes.len != (size_t)type->u.fixed.length) {
				char detail[96];
				snprintf(detail, sizeof(detail), "a fixed[%d] value has %d bytes", (int)type->u.fixed.length,
				         (int)type->u.fixed.length);
				return mismatch(p, type, lit, detail);
			}
			v.v.bytes = lit->v.bytes;
			conv_exact(c, v);
			return 0;
		}
		break;
	default: break;
	}
	return mismatch(p, type, lit, NULL);
}

/* ---- binding predicates ------------------------------------------------------------ */

static int bound_const(ice_expr **out, bool value)
{
	return ice_expr__const(out, value);
}

static int make(ice_expr **out, const ice_field *f, const char *name, bool never_null, ice_op op,
                const ice_literal *lits, size_t n)
{
	int rc;
	if (op == ICE_OP_IS_NULL && never_null)
		return bound_const(out, false);
	if (op == ICE_OP_NOT_NULL && never_null)
		return bound_const(out, true);
	if ((op == ICE_OP_IN || op == ICE_OP_NOT_IN) && n == 0)
		return bound_const(out, op == ICE_OP_NOT_IN);
	if ((rc = ice_expr__bound_pred(out, f->id, name, f->type, op, lits, n)) != 0)
		return rc;
	(*out)->never_null = never_null;
	if ((op == ICE_OP_IN || op == ICE_OP_NOT_IN) && (*out)->nlits == 1)
		(*out)->op = op == ICE_OP_IN ? ICE_OP_EQ : ICE_OP_NOT_EQ;
	return 0;
}

static bool allowed(ice_op op, ice_type_id t)
{
	switch (op) {
	case ICE_OP_IS_NULL:
	case ICE_OP_NOT_NULL: return true;
	case ICE_OP_IS_NAN:
	case ICE_OP_NOT_NAN: return ice_expr__is_float(t);
	case ICE_OP_STARTS_WITH:
	case ICE_OP_NOT_STARTS_WITH: return t == ICE_TYPE_STRING;
	default:
		return t != ICE_TYPE_GEOMETRY && t != ICE_TYPE_GEOGRAPHY && t != ICE_TYPE_VARIANT && t != ICE_TYPE_UNKNOWN;
	}
}

static int bind_pred(ice_expr **out, const ice_expr *p, const ice_type *st, bool cs)
{
	resolved r;
	const ice_field *f;
	ice_arena arena;
	int rc;
	*out = NULL;
	if (p->bound) {
		bool nn = false;
		if (!(f = find_id(st, p->field_id, true, &nn)))
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: column '%s' (field id %d) is not in the schema",
			                      p->column, (int)p->field_id);
		return ice_expr_copy(out, p);
	}
	if (!resolve(st, p->column, strlen(p->column), cs, true, &r))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: unknown column '%s'", p->column);
	if (r.in_collection)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR,
		                      "where: column '%s' is inside a list or map, which filters cannot reach", p->column);
	f = r.field;
	if (!ice_type_is_primitive(f->type) || !allowed(p->op, f->type->id)) {
		char *t = ice_type_to_string(f->type);
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: column '%s' (%s) cannot be used with '%s'",
		                    p->column, t ? t : "?", ice_expr__op_name(p->op));
		ice__free(t);
		return rc;
	}
	if (!ice_expr__op_has_literal(p->op))
		return make(out, f, r.name, r.never_null, p->op, NULL, 0);

	ice_arena__init(&arena, 256);
	ice_literal *lits = ice_arena__allocarray(&arena, p->nlits, sizeof(ice_literal));
	size_t n = 0;
	rc = lits ? 0 : ICE_ERROR;
	for (size_t i = 0; rc == 0 && i < p->nlits; i++) {
		conv c;
		if ((rc = convert(p, f->type, &p->lits[i], &arena, &c)) != 0)
			break;
		if (c.side != 0 && p->op != ICE_OP_IN && p->op != ICE_OP_NOT_IN) {
			/* beyond the type's range: every non-null value is below (or above) it */
			bool below = c.side > 0; /* values are below the literal */
			switch (p->op) {
			case ICE_OP_LT:
			case ICE_OP_LT_EQ:
				rc = below ? make(out, f, r.name, r.never_null, ICE_OP_NOT_NULL, NULL, 0) : bound_const(out, false);
				break;
			case ICE_OP_GT:
			case ICE_OP_GT_EQ:
				rc = below ? bound_const(out, false) : make(out, f, r.name, r.never_null, ICE_OP_NOT_NULL, NULL, 0);
				break;
			default: rc = bound_const(out, p->op == ICE_OP_NOT_EQ); break;
			}
			continue;
		}
		switch (p->op) {
		case ICE_OP_IN:
		case ICE_OP_NOT_IN:
			if (c.exact)
				lits[n++] = c.lo;
			break;
		case ICE_OP_EQ: rc = c.exact ? make(out, f, r.name, r.never_null, p->op, &c.lo, 1) : bound_const(out, false); break;
		case ICE_OP_NOT_EQ:
			rc = c.exact ? make(out, f, r.name, r.never_null, p->op, &c.lo, 1) : bound_const(out, true);
			break;
		case ICE_OP_STARTS_WITH:
		case ICE_OP_NOT_STARTS_WITH: rc = make(out, f, r.name, r.never_null, p->op, &c.lo, 1); break;
		case ICE_OP_LT:
			/* x < v: below the ceiling of v; v above the range: every non-null value */
			rc = c.has_hi ? make(out, f, r.name, r.never_null, ICE_OP_LT, &c.hi, 1)
			              : make(out, f, r.name, r.never_null, ICE_OP_NOT_NULL, NULL, 0);
			break;
		case ICE_OP_LT_EQ:
			rc = c.has_lo ? make(out, f, r.name, r.never_null, ICE_OP_LT_EQ, &c.lo, 1)
			              : bound_const(out, false);
			break;
		case ICE_OP_GT:
			rc = c.has_lo ? make(out, f, r.name, r.never_null, ICE_OP_GT, &c.lo, 1)
			              : make(out, f, r.name, r.never_null, ICE_OP_NOT_NULL, NULL, 0);
			break;
		case ICE_OP_GT_EQ:
			rc = c.has_hi ? make(out, f, r.name, r.never_null, ICE_OP_GT_EQ, &c.hi, 1) : bound_const(out, false);
			break;
		default: rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: bad operation"); break;
		}
	}
	if (rc == 0 && (p->op == ICE_OP_IN || p->op == ICE_OP_NOT_IN))
		rc = make(out, f, r.name, r.never_null, p->op, lits, n);
	ice_arena__free(&arena);
	return rc;
}

/* ---- the tree ---------------------------------------------------------------------- */

static int bind_tree(ice_expr **out, const ice_expr *e, const ice_type *st, bool cs)
{
	ice_expr *l = NULL, *r = NULL;
	int rc;
	*out = NULL;
	switch (e->kind) {
	case ICE_EXPR_TRUE:
	case ICE_EXPR_FALSE: return ice_expr__const(out, e->kind == ICE_EXPR_TRUE);
	case ICE_EXPR_PREDICATE: return bind_pred(out, e, st, cs);
	case ICE_EXPR_NOT:
		if ((rc = bind_tree(&l, e->child[0], st, cs)) != 0)
			return rc;
		rc = ice_expr__negate(out, l);
		ice_expr_free(l);
		return rc;
	case ICE_EXPR_AND:
	case ICE_EXPR_OR:
		if ((rc = bind_tree(&l, e->child[0], st, cs)) != 0)
			return rc;
		if ((rc = bind_tree(&r, e->child[1], st, cs)) != 0) {
			ice_expr_free(l);
			return rc;
		}
		return e->kind == ICE_EXPR_AND ? ice_expr__and(out, l, r) : ice_expr__or(out, l, r);
	}
	return ICE_ERROR;
}

int ice_expr_bind(ice_expr **out, const ice_expr *e, const ice_type *schema_struct, bool case_sensitive)
{
	*out = NULL;
	if (!e || !schema_struct || schema_struct->id != ICE_TYPE_STRUCT)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: binding needs an expression and a struct type");
	return bind_tree(out, e, schema_struct, case_sensitive);
}
