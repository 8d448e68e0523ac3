/*
 * ingest/values.c - values of the table's types from text (CSV fields,
 * JSON strings, the text fallback of Parquet input) and from JSON (JSON
 * Lines members, nested values written as JSON text in CSV): the same
 * rules everywhere, so a value means the same whatever the input format.
 * Numbers are parsed strictly; "NaN", "inf" and "-inf" are floats;
 * timestamps without a zone for a timestamptz column are UTC, and a zone
 * for a timestamp without zone is refused; a date alone is midnight;
 * nested values come from JSON objects and arrays, map keys from their
 * text. Errors are ICE_EINVALID with a short reason; the caller adds the
 * file, line and column.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/datetime.h"
#include "util/error.h"
#include "util/strutil.h"
#include "values.h"


static const uint64_t P10[20] = {1ULL,
                                 10ULL,
                                 100ULL,
                                 1000ULL,
                                 10000ULL,
                                 100000ULL,
                                 1000000ULL,
                                 10000000ULL,
                                 100000000ULL,
                                 1000000000ULL,
                                 10000000000ULL,
                                 100000000000ULL,
                                 1000000000000ULL,
                                 10000000000000ULL,
                                 100000000000000ULL,
                                 1000000000000000ULL,
                                 10000000000000000ULL,
                                 100000000000000000ULL,
                                 1000000000000000000ULL,
                                 10000000000000000000ULL};

/* 10^n for n in [0, 38] */
static ice_i128 pow10_i128(int n)
{
	return n <= 19 ? (ice_i128)P10[n] : (ice_i128)P10[19] * (ice_i128)P10[n - 19];
}

static int refuse(const char *fmt, ...) ICE_PRINTF(1, 2);

static int refuse(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = ice_error__vset(ICE_EINVALID, ICE_ERRCLASS_INVALID, fmt, ap);
	va_end(ap);
	return rc;
}

/* Decimal text (sign, digits, a point, digits, an exponent) at the
 * column's scale. Fractional digits beyond the scale must be zeros, unless
 * o->round (half away from zero, as Java's HALF_UP). */
/* A decimal digit onto v: gathered in 64 bits (u, ud of them), folded into
 * 128 every 18; the last fold is the caller's. */
static inline void push_digit(ice_i128 *v, uint64_t *u, int *ud, char c)
{
	*u = *u * 10 + (uint64_t)(c - '0');
	if (++*ud == 18) {
		*v = *v * (ice_i128)P10[18] + (ice_i128)*u;
		*u = 0;
		*ud = 0;
	}
}

static int parse_decimal(const ice_type *t, const char *s, size_t len, const ice_value_opts *o, ice_i128 *out)
{
	int32_t precision = t->u.decimal.precision, scale = t->u.decimal.scale;
	size_t i = 0;
	bool neg = false, any = false;
	ice_i128 v = 0;
	int digits = 0, frac = 0, exp = 0;
	/* digits gather in 64 bits, 18 at a time, and only then in 128 */
	uint64_t u = 0;
	int ud = 0;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (digits > 0 || s[i] != '0')
			digits++;
		if (digits > 38)
			goto too_many;
		push_digit(&v, &u, &ud, s[i]);
		any = true;
	}
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (digits > 0 || s[i] != '0')
				digits++;
			if (digits > 38)
				goto too_many;
			push_digit(&v, &u, &ud, s[i]);
			frac++;
			any = true;
		}
	}
	v = v == 0 ? (ice_i128)u : v * (ice_i128)P10[ud] + (ice_i128)u;
	if (!any)
		return refuse("not a number");
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		int32_t e;
		i++;
		if (i < len && s[i] == '+')
			i++;
		if (!ice_str__to_int32(s + i, len - i, &e) || e < -100 || e > 100)
			return refuse("not a number (a bad exponent)");
		exp = e;
		i = len;
	}
	if (i != len)
		return refuse("not a number");
	/* value = v * 10^(exp - frac); the column holds value * 10^scale */
	int shift = scale + exp - frac;
	if (shift > 0) {
		if (v != 0 && digits + shift > 38)
			goto too_many;
		v *= pow10_i128(shift);
	} else if (shift < 0) {
		ice_i128 p = -shift > 38 ? 0 : pow10_i128(-shift);
		ice_i128 rem = p ? v % p : v;
		if (rem != 0 && !(o && o->round))
			return refuse("it has %d digits after the point; decimal(%d, %d) takes %d (--round-decimals rounds)",
			              frac - exp, (int)precision, (int)scale, (int)scale);
		v = p ? v / p : 0;
		if (p && rem * 2 >= p)
			v += 1; /* half up (away from zero: the sign comes after) */
	}
	if (precision < 38 && v >= pow10_i128(precision))
		goto too_many;
	*out = neg ? -v : v;
	return 0;
too_many:
	return refuse("it has more than %d digits before the point; decimal(%d, %d) takes %d", (int)(precision - scale),
	              (int)precision, (int)scale, (int)(precision - scale));
}

/* Plain decimal notation only: no hexadecimal, no "nan(...)", no spaces. */
static bool plain_number(const char *s, size_t len)
{
	size_t i = 0, d = 0;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		d++;
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			d++;
	if (d == 0)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t e = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == e)
			return false;
	}
	return i == len;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

bool ice_value__parses(const ice_type *t)
{
	switch (t->id) {
	case ICE_TYPE_BOOLEAN:
	case ICE_TYPE_INT:
	case ICE_TYPE_LONG:
	case ICE_TYPE_FLOAT:
	case ICE_TYPE_DOUBLE:
	case ICE_TYPE_DECIMAL:
	case ICE_TYPE_DATE:
	case ICE_TYPE_TIME:
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS: return true;
	default: return false;
	}
}

/* true/false, t/f, yes/no, y/n, on/off, 1/0 (any case): what PostgreSQL,
 * Spark and spreadsheets write. */
static bool parse_bool(const char *s, size_t len, bool *out)
{
	static const char *const yes[] = {"true", "t", "yes", "y", "on", "1"};
	static const char *const no[] = {"false", "f", "no", "n", "off", "0"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (ice_str__ieq(s, len, yes[i], strlen(yes[i]))) {
			*out = true;
			return true;
		}
		if (ice_str__ieq(s, len, no[i], strlen(no[i]))) {
			*out = false;
			return true;
		}
	}
	return false;
}

/*
 * Timestamps: ISO-8601 with 'T' or a space, an offset (Z, +HH, +HHMM,
 * +HH:MM) or " UTC"/"UTC" (as PostgreSQL and Spark print them), or a date
 * alone (midnight). Digits after the column's precision (nanoseconds into
 * a microsecond column) are dropped, as Java's Iceberg does.
 */
static int parse_timestamp(const ice_type *t, const char *s, size_t len, int64_t *out)
{
	bool ns = t->id == ICE_TYPE_TIMESTAMP_NS || t->id == ICE_TYPE_TIMESTAMPTZ_NS;
	bool tz = t->id == ICE_TYPE_TIMESTAMPTZ || t->id == ICE_TYPE_TIMESTAMPTZ_NS;
	char buf[96];
	bool zone = false;
	int32_t days;
	int64_t l;
	if (len >= 3 && len + 1 < sizeof(buf) && ice_str__ieq(s + len - 3, 3, "utc", 3)) {
		size_t n = len - 3;
		while (n > 0 && s[n - 1] == ' ')
			n--;
		memcpy(buf, s, n);
		buf[n] = 'Z';
		s = buf;
		len = n + 1;
	}
	if (ice_dt__parse_timestamp(s, len, ns, &l, &zone)) {
		/* parsed at the column's precision */
	} else if (!ns && ice_dt__parse_timestamp(s, len, true, &l, &zone)) {
		l = l >= 0 ? l / 1000 : -((-l + 999) / 1000); /* the extra digits dropped */
	} else if (ice_dt__parse_date(s, len, &days)) {
		/* midnight of that day, if the type can hold it */
		if (__builtin_mul_overflow((int64_t)days, ICE_MICROS_PER_DAY * (ns ? 1000 : 1), &l))
			return refuse("out of range for %s", ice_type_id_name(t->id));
	} else {
		return refuse("not a timestamp (YYYY-MM-DD[ HH:MM[:SS[.fraction]]] with Z, +HH:MM or UTC for a zone)");
	}
	/* A timestamp without zone for a timestamptz column is taken as UTC;
	 * a zone for a timestamp without zone is refused. */
	if (zone && !tz)
		return refuse("a time zone in a value for a timestamp without zone");
	*out = l;
	return 0;
}

static int parse_core(ice_value_raw *out, const ice_type *t, const char *s, size_t len, const ice_value_opts *o)
{
	int64_t l;
	double d;
	switch (t->id) {
	case ICE_TYPE_BOOLEAN:
		if (parse_bool(s, len, &out->b))
			return 0;
		return refuse("not a boolean (true/false, t/f, yes/no, on/off, 1/0)");
	case ICE_TYPE_INT:
	case ICE_TYPE_LONG:
		if (!ice_str__to_int64(s, len, &l)) {
			if (plain_number(s, len) && !memchr(s, '.', len) && !memchr(s, 'e', len) && !memchr(s, 'E', len))
				return refuse("out of range for %s", ice_type_id_name(t->id));
			return refuse("not a whole number");
		}
		if (t->id == ICE_TYPE_LONG) {
			out->i64 = l;
			return 0;
		}
		if (l < INT32_MIN || l > INT32_MAX)
			return refuse("out of range for int (%d to %d)", INT32_MIN, INT32_MAX);
		out->i32 = (int32_t)l;
		return 0;
	case ICE_TYPE_DOUBLE:
	case ICE_TYPE_FLOAT:
		if (plain_number(s, len) && ice_str__to_double(s, len, &d)) {
			/* parsed */
		} else if (ice_str__ieq(s, len, "nan", 3)) {
			d = NAN;
		} else if (ice_str__ieq(s, len, "inf", 3) || ice_str__ieq(s, len, "infinity", 8) ||
		           ice_str__ieq(s, len, "+inf", 4) || ice_str__ieq(s, len, "+infinity", 9)) {
			d = INFINITY;
		} else if (ice_str__ieq(s, len, "-inf", 4) || ice_str__ieq(s, len, "-infinity", 9)) {
			d = -INFINITY;
		} else if (len > 2 && (memchr(s, 'x', len) || memchr(s, 'X', len))) {
			return refuse("a hexadecimal number (write it in decimal)");
		} else {
			return refuse("not a number");
		}
		if (t->id == ICE_TYPE_DOUBLE)
			out->f64 = d;
		else
			out->f32 = (float)d;
		return 0;
	case ICE_TYPE_DECIMAL: return parse_decimal(t, s, len, o, &out->dec);
	case ICE_TYPE_DATE:
		if (ice_dt__parse_date(s, len, &out->i32))
			return 0;
		return refuse("not a date (YYYY-MM-DD)");
	case ICE_TYPE_TIME:
		if (ice_dt__parse_time(s, len, false, &out->i64))
			return 0;
		if (ice_dt__parse_time(s, len, true, &l)) {
			out->i64 = l / 1000; /* digits beyond microseconds dropped */
			return 0;
		}
		return refuse("not a time (HH:MM[:SS[.fraction]])");
	case ICE_TYPE_TIMESTAMP:
	case ICE_TYPE_TIMESTAMPTZ:
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS: return parse_timestamp(t, s, len, &out->i64);
	default:
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_INVALID, "%s values are not parsed here",
		                      ice_type_id_name(t->id));
	}
}

int ice_value__parse(ice_value_raw *out, const ice_type *t, const char *s, size_t len, const ice_value_opts *o)
{
	int rc = parse_core(out, t, s, len, o);
	if (rc == ICE_EINVALID && len > 0 && (is_space(s[0]) || is_space(s[len - 1]))) {
		/* say why when the spaces are what stands in the way */
		const char *tr = s;
		size_t tl = len;
		ice_value_raw v;
		ice_str__trim(&tr, &tl);
		if (tl && parse_core(&v, t, tr, tl, o) == 0)
			return refuse("spaces around the value (--trim drops them)");
		return ICE_EINVALID; /* the trimmed value's own reason stands */
	}
	return rc;
}

/*
 * PostgreSQL's array text, '{a,"b c",NULL,{1,2}}', into a list: elements
 * separated by commas, double-quoted when they hold a special character
 * (a backslash escapes the next one), NULL unquoted for null, nested
 * braces for a list of lists. Elements convert as text does.
 */
static int pg_array(ice_literal *out, const ice_type *t, const char *s, size_t len, size_t *pos, ice_arena *a,
                    const ice_value_opts *o, int depth)
{
	const ice_type *et = t->u.list.element.type;
	size_t i = *pos, n = 0, cap = 8;
	ice_literal *items = ice_arena__allocarray(a, cap, sizeof(ice_literal));
	int rc;
	if (!items)
		return ICE_ERROR;
	if (depth > 16)
		return refuse("arrays nested too deeply");
	if (i >= len || s[i] != '{')
		return refuse("not an array ('{' expected)");
	i++;
	while (i < len && s[i] == ' ')
		i++;
	if (i < len && s[i] == '}') {
		i++;
		goto done;
	}
	for (;;) {
		ice_literal v;
		while (i < len && s[i] == ' ')
			i++;
		if (i >= len)
			return refuse("an array without its closing '}'");
		if (s[i] == '{') {
			if (et->id != ICE_TYPE_LIST)
				return refuse("a nested array where the element is %s", ice_type_id_name(et->id));
			if ((rc = pg_array(&v, et, s, len, &i, a, o, depth + 1)) != 0)
				return rc;
		} else if (s[i] == '"') {
			char *buf = ice_arena__alloc(a, len - i + 1);
			size_t k = 0;
			if (!buf)
				return ICE_ERROR;
			for (i++; i < len && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				buf[k++] = s[i];
			}
			if (i >= len)
				return refuse("an array element without its closing quote");
			i++;
			buf[k] = '\0';
			if ((rc = ice_value__from_text(&v, et, buf, k, a, o)) != 0)
				return ice_error__prefix("array element %zu", n + 1);
		} else {
			size_t st = i;
			while (i < len && s[i] != ',' && s[i] != '}')
				i++;
			size_t e = i;
			while (e > st && s[e - 1] == ' ')
				e--;
			if (e - st == 4 && ice_str__ieq(s + st, 4, "null", 4)) {
				v = ice_literal_null(et->id);
			} else {
				char *buf = ice_arena__strndup(a, s + st, e - st);
				if (!buf)
					return ICE_ERROR;
				if ((rc = ice_value__from_text(&v, et, buf, e - st, a, o)) != 0)
					return ice_error__prefix("array element %zu", n + 1);
			}
		}
		if (v.is_null && t->u.list.element.required)
			return refuse("array element %zu: null in a required element", n + 1);
		if (n == cap) {
			ice_literal *more = ice_arena__allocarray(a, cap * 2, sizeof(ice_literal));
			if (!more)
				return ICE_ERROR;
			memcpy(more, items, n * sizeof(ice_literal));
			items = more;
			cap *= 2;
		}
		items[n++] = v;
		while (i < len && s[i] == ' ')
			i++;
		if (i < len && s[i] == ',') {
			i++;
			continue;
		}
		if (i < len && s[i] == '}') {
			i++;
			break;
		}
		return refuse("an array element followed by something other than ',' or '}'");
	}
done:
	*out = ice_literal_null(ICE_TYPE_LIST);
	out->is_null = false;
	out->v.nested.n = n;
	out->v.nested.items = items;
	*pos = i;
	return 0;
}

/* Text to a value of `t` (no null handling). ICE_EINVALID on failure, with
 * a short reason in the error (the caller adds file, line and column). */
int ice_value__from_text(ice_literal *out, const ice_type *t, const char *s, size_t len, ice_arena *a,
                         const ice_value_opts *o)
{
	if (ice_value__parses(t)) {
		ice_value_raw v;
		int rc = ice_value__parse(&v, t, s, len, o);
		if (rc)
			return rc;
		*out = ice_literal_null(t->id);
		out->is_null = false;
		switch (t->id) {
		case ICE_TYPE_BOOLEAN: out->v.b = v.b; break;
		case ICE_TYPE_INT:
		case ICE_TYPE_DATE: out->v.i32 = v.i32; break;
		case ICE_TYPE_FLOAT: out->v.f32 = v.f32; break;
		case ICE_TYPE_DOUBLE: out->v.f64 = v.f64; break;
		case ICE_TYPE_DECIMAL:
			out->v.dec.lo = (uint64_t)((ice_u128)v.dec & 0xffffffffffffffffULL);
			out->v.dec.hi = (int64_t)(v.dec >> 64);
			out->scale = t->u.decimal.scale;
			break;
		default: out->v.i64 = v.i64; break;
		}
		return 0;
	}
	switch (t->id) {
	case ICE_TYPE_STRING:
		if (!ice_utf8__valid((const uint8_t *)s, len))
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "not valid UTF-8");
		*out = ice_literal_string(s, len);
		return 0;
	case ICE_TYPE_STRUCT:
	case ICE_TYPE_LIST:
	case ICE_TYPE_MAP: {
		ice_json *j;
		if (t->id == ICE_TYPE_LIST && len > 0 && s[0] == '{') {
			size_t pos = 0;
			int rc = pg_array(out, t, s, len, &pos, a, o, 0);
			if (!rc && pos != len)
				rc = refuse("something after the array's closing '}'");
			return rc;
		}
		int rc = ice_json__parse(&j, s, len, "value");
		if (rc)
			return rc;
		rc = ice_value__from_json(out, t, j, a, 0, o);
		ice_json__free(j);
		return rc;
	}
	case ICE_TYPE_BINARY:
	case ICE_TYPE_FIXED:
		/* PostgreSQL's bytea output (COPY text and CSV): \x then hex */
		if (len >= 2 && s[0] == '\\' && s[1] == 'x')
			s += 2, len -= 2;
		return ice_literal_from_string(out, t, s, len, a);
	default:
		return ice_literal_from_string(out, t, s, len, a);
	}
}

/* The older output of ice scan: {"keys": [...], "values": [...]}, two
 * arrays of the same length. A map with string keys and list values
 * could hold those two keys itself: it is read as that map. */
static bool is_keys_values(const ice_type *t, const ice_json *j)
{
	const ice_json *k, *v;
	if (ice_json__type(j) != ICE_JSON_OBJECT || ice_json__size(j) != 2 || !(k = ice_json__get(j, "keys")) ||
	    !(v = ice_json__get(j, "values")) || ice_json__type(k) != ICE_JSON_ARRAY ||
	    ice_json__type(v) != ICE_JSON_ARRAY)
		return false;
	return !(t->u.map.key.type->id == ICE_TYPE_STRING && t->u.map.value.type->id == ICE_TYPE_LIST);
}

/* A map as [{"key": K, "value": V}, ...] (what ice scan writes for keys
 * that are not strings), or {"keys": [...], "values": [...]}. */
static int map_from_entries(ice_literal *out, const ice_type *t, const ice_json *j, ice_arena *a, int depth,
                            const ice_value_opts *o)
{
	bool pairs = ice_json__type(j) == ICE_JSON_ARRAY;
	const ice_json *keys = pairs ? NULL : ice_json__get(j, "keys");
	const ice_json *values = pairs ? NULL : ice_json__get(j, "values");
	size_t n = pairs ? ice_json__size(j) : ice_json__size(keys);
	ice_literal *items;
	int rc;
	if (!pairs && ice_json__size(values) != n)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "a map's \"keys\" and \"values\" differ in length");
	if (!(items = ice_arena__allocarray(a, n ? 2 * n : 1, sizeof(ice_literal))))
		return ICE_ERROR;
	for (size_t i = 0; i < n; i++) {
		const ice_json *e = pairs ? ice_json__at(j, i) : NULL, *k, *v;
		if (pairs && (ice_json__type(e) != ICE_JSON_OBJECT || !(k = ice_json__get(e, "key")) ||
		              ice_json__size(e) > 2 || (ice_json__size(e) == 2 && !ice_json__get(e, "value"))))
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                      "[%zu]: a map entry is an object {\"key\": ..., \"value\": ...}", i);
		if (!pairs)
			k = ice_json__at(keys, i);
		v = pairs ? ice_json__get(e, "value") : ice_json__at(values, i);
		if ((rc = ice_value__from_json(&items[2 * i], t->u.map.key.type, k, a, depth + 1, o)) != 0)
			return ice_error__prefix("[%zu] key", i);
		if (items[2 * i].is_null)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "[%zu]: a map key is null", i);
		if (!v) {
			items[2 * i + 1] = ice_literal_null(t->u.map.value.type->id);
		} else if ((rc = ice_value__from_json(&items[2 * i + 1], t->u.map.value.type, v, a, depth + 1, o)) != 0) {
			return ice_error__prefix("[%zu] value", i);
		}
		if (items[2 * i + 1].is_null && t->u.map.value.required)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "[%zu]: null in a required value", i);
	}
	*out = ice_literal_null(ICE_TYPE_MAP);
	out->is_null = false;
	out->v.nested.n = n;
	out->v.nested.items = items;
	return 0;
}

int ice_value__from_json(ice_literal *out, const ice_type *t, const ice_json *j, ice_arena *a, int depth,
                         const ice_value_opts *o)
{
	ice_json_type jt = ice_json__type(j);
	int rc;
	if (depth > 64)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "nested too deeply");
	if (jt == ICE_JSON_NULL) {
		*out = ice_literal_null(t->id);
		return 0;
	}
	switch (t->id) {
	case ICE_TYPE_BOOLEAN:
		if (!ice_json__is_bool(j))
			break;
		*out = ice_literal_bool(jt == ICE_JSON_TRUE);
		return 0;
	case ICE_TYPE_INT:
	case ICE_TYPE_LONG:
		if (jt != ICE_JSON_INT)
			break;
		if (t->id == ICE_TYPE_INT) {
			int64_t v = ice_json__int(j);
			if (v < INT32_MIN || v > INT32_MAX)
				break;
			*out = ice_literal_int((int32_t)v);
		} else {
			*out = ice_literal_long(ice_json__int(j));
		}
		return 0;
	case ICE_TYPE_FLOAT:
	case ICE_TYPE_DOUBLE:
		if (!ice_json__is_number(j)) {
			if (jt == ICE_JSON_STRING) {
				size_t len;
				const char *s = ice_json__str(j, &len);
				return ice_value__from_text(out, t, s, len, a, o);
			}
			break;
		}
		*out = ice_literal_null(t->id);
		out->is_null = false;
		if (t->id == ICE_TYPE_DOUBLE)
			out->v.f64 = ice_json__number(j);
		else
			out->v.f32 = (float)ice_json__number(j);
		return 0;
	case ICE_TYPE_DECIMAL:
		if (jt == ICE_JSON_INT || jt == ICE_JSON_REAL) {
			char num[48];
			size_t n = jt == ICE_JSON_INT ? (size_t)snprintf(num, sizeof(num), "%lld", (long long)ice_json__int(j))
			                              : ice_json__format_double(ice_json__number(j), num);
			char *copy = ice_arena__strndup(a, num, n);
			if (!copy)
				return ICE_ERROR;
			return ice_value__from_text(out, t, copy, n, a, o);
		}
		if (jt != ICE_JSON_STRING)
			break;
		/* fall through */
	default:
		if (jt == ICE_JSON_STRING) {
			size_t len;
			const char *s = ice_json__str(j, &len);
			char *copy = ice_arena__strndup(a, s, len);
			if (!copy)
				return ICE_ERROR;
			return ice_value__from_text(out, t, copy, len, a, o);
		}
		break;
	case ICE_TYPE_STRUCT: {
		if (jt != ICE_JSON_OBJECT)
			break;
		size_t n = t->u.struct_.nfields;
		ice_literal *items = ice_arena__allocarray(a, n ? n : 1, sizeof(ice_literal));
		int32_t *ids = ice_arena__allocarray(a, n ? n : 1, sizeof(int32_t));
		if (!items || !ids)
			return ICE_ERROR;
		for (size_t i = 0; i < n; i++) {
			const ice_field *f = &t->u.struct_.fields[i];
			const ice_json *m = ice_json__get(j, f->name);
			ids[i] = f->id;
			if (!m) {
				items[i] = ice_literal_null(f->type->id);
			} else if ((rc = ice_value__from_json(&items[i], f->type, m, a, depth + 1, o)) != 0) {
				return ice_error__prefix("%s", f->name);
			}
			if (items[i].is_null && f->required)
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: null in a required field", f->name);
		}
		*out = ice_literal_null(ICE_TYPE_STRUCT);
		out->is_null = false;
		out->v.nested.n = n;
		out->v.nested.items = items;
		out->v.nested.field_ids = ids;
		return 0;
	}
	case ICE_TYPE_LIST: {
		if (jt != ICE_JSON_ARRAY)
			break;
		size_t n = ice_json__size(j);
		ice_literal *items = ice_arena__allocarray(a, n ? n : 1, sizeof(ice_literal));
		if (!items)
			return ICE_ERROR;
		for (size_t i = 0; i < n; i++) {
			if ((rc = ice_value__from_json(&items[i], t->u.list.element.type, ice_json__at(j, i), a, depth + 1, o)) != 0)
				return ice_error__prefix("[%zu]", i);
			if (items[i].is_null && t->u.list.element.required)
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "[%zu]: null in a required element", i);
		}
		*out = ice_literal_null(ICE_TYPE_LIST);
		out->is_null = false;
		out->v.nested.n = n;
		out->v.nested.items = items;
		return 0;
	}
	case ICE_TYPE_MAP: {
		if (jt == ICE_JSON_ARRAY || is_keys_values(t, j))
			return map_from_entries(out, t, j, a, depth, o);
		if (jt != ICE_JSON_OBJECT)
			break;
		size_t n = ice_json__size(j), i = 0;
		ice_literal *items = ice_arena__allocarray(a, n ? 2 * n : 1, sizeof(ice_literal));
		ice_json_iter it;
		const char *key;
		ice_json *value;
		if (!items)
			return ICE_ERROR;
		ice_json__iter_init(&it, j);
		while (ice_json__iter_next(&it, &key, &value)) {
			char *k = ice_arena__strdup(a, key);
			if (!k)
				return ICE_ERROR;
			if ((rc = ice_value__from_text(&items[2 * i], t->u.map.key.type, k, strlen(k), a, o)) != 0 ||
			    (rc = ice_value__from_json(&items[2 * i + 1], t->u.map.value.type, value, a, depth + 1, o)) != 0)
				return ice_error__prefix("%s", key);
			if (items[2 * i + 1].is_null && t->u.map.value.required)
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: null in a required value", key);
			i++;
		}
		*out = ice_literal_null(ICE_TYPE_MAP);
		out->is_null = false;
		out->v.nested.n = i;
		out->v.nested.items = items;
		return 0;
	}
	}
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "found %s where the column wants %s",
	                      ice_json__type_name(j), ice_type_id_name(t->id));
}

size_t ice_value__find_column(const ice_field *fields, size_t nf, const char *name, size_t len,
                              bool case_insensitive, const char **case_hint)
{
	size_t found = (size_t)-1;
	if (case_hint)
		*case_hint = NULL;
	for (size_t i = 0; i < nf; i++)
		if (strlen(fields[i].name) == len && memcmp(fields[i].name, name, len) == 0)
			return i;
	for (size_t i = 0; i < nf && found == (size_t)-1; i++)
		if (ice_str__ieq(fields[i].name, strlen(fields[i].name), name, len)) {
			if (case_insensitive)
				found = i;
			else if (case_hint && !*case_hint)
				*case_hint = fields[i].name;
		}
	return found;
}
