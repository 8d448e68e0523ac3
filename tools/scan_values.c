/*
 * tools/scan_values.c - values of scanned rows as text, in the forms of the
 * spec's JSON single-value serialization (Appendix D): numbers as numbers
 * (the shortest text that reads back as the same float or double, always
 * with a fraction or exponent; NaN and the infinities as "NaN", "Infinity",
 * "-Infinity"), decimals as their exact digits, dates, times and timestamps
 * as ISO-8601 (timestamptz with "+00:00", 9 fraction digits for nanosecond
 * types), uuids in canonical text, fixed and binary as lowercase hex,
 * geometry and geography as WKT, lists as arrays, maps with string keys as
 * objects and other maps as arrays of {"key": K, "value": V}, structs as
 * objects keyed by field name.
 *
 * Each column's rendering is decided once (col_plan); the common types are
 * formatted by hand into the output buffer, since a CSV of millions of rows
 * is mostly this code.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scan_values.h"

enum {
	K_BOOL, K_I8, K_U8, K_I16, K_U16, K_I32, K_U32, K_I64, K_U64, K_FLOAT, K_DOUBLE, K_HALF,
	K_DECIMAL, K_DATE, K_TIME32, K_TIME64, K_TIMESTAMP, K_STRING, K_LSTRING, K_BINARY, K_LBINARY,
	K_GEO, K_LGEO, K_FIXED, K_UUID, K_NULL, K_STRUCT, K_LIST, K_MAP,
};

/* ---- the sink ------------------------------------------------------------------------------- */

bool sink_reserve(sink *s, size_t n)
{
	if (s->len + n <= s->cap)
		return true;
	size_t cap = s->cap ? s->cap : 65536;
	while (cap < s->len + n)
		cap *= 2;
	char *b = realloc(s->buf, cap);
	if (!b) {
		s->failed = true;
		return false;
	}
	s->buf = b;
	s->cap = cap;
	return true;
}

void sink_put(sink *s, const void *p, size_t n)
{
	if (!sink_reserve(s, n))
		return;
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

void sink_puts(sink *s, const char *str)
{
	sink_put(s, str, strlen(str));
}

/* ---- plans ------------------------------------------------------------------------------------ */

static bool has_uuid_ext(const char *meta)
{
	int32_t n, kl, vl;
	if (!meta)
		return false;
	memcpy(&n, meta, 4);
	meta += 4;
	for (int32_t i = 0; i < n; i++) {
		memcpy(&kl, meta, 4);
		const char *k = meta + 4;
		meta += 4 + kl;
		memcpy(&vl, meta, 4);
		if (kl == 20 && !memcmp(k, "ARROW:extension:name", 20) && vl == 10 && !memcmp(meta + 4, "arrow.uuid", 10))
			return true;
		meta += 4 + vl;
	}
	return false;
}

bool col_plan_of(col_plan *p, const struct ArrowSchema *s, const ice_type *t)
{
	const char *f = s->format;
	bool geo = t && (t->id == ICE_TYPE_GEOMETRY || t->id == ICE_TYPE_GEOGRAPHY);
	memset(p, 0, sizeof(*p));
	p->schema = s;
	p->type = t;
	switch (f[0]) {
	case 'b': p->kind = K_BOOL; return !f[1];
	case 'c': p->kind = K_I8; return !f[1];
	case 'C': p->kind = K_U8; return !f[1];
	case 's': p->kind = K_I16; return !f[1];
	case 'S': p->kind = K_U16; return !f[1];
	case 'i': p->kind = K_I32; return !f[1];
	case 'I': p->kind = K_U32; return !f[1];
	case 'l': p->kind = K_I64; return !f[1];
	case 'L': p->kind = K_U64; return !f[1];
	case 'e': p->kind = K_HALF; return !f[1];
	case 'f': p->kind = K_FLOAT; return !f[1];
	case 'g': p->kind = K_DOUBLE; return !f[1];
	case 'n': p->kind = K_NULL; return !f[1];
	case 'u': p->kind = K_STRING; return !f[1];
	case 'U': p->kind = K_LSTRING; return !f[1];
	case 'z': p->kind = geo ? K_GEO : K_BINARY; return !f[1];
	case 'Z': p->kind = geo ? K_LGEO : K_LBINARY; return !f[1];
	case 'd': {
		const char *comma = strchr(f, ',');
		int bits = 128;
		const char *second = comma ? strchr(comma + 1, ',') : NULL;
		if (second)
			bits = atoi(second + 1);
		p->kind = K_DECIMAL;
		p->scale = comma ? atoi(comma + 1) : 0;
		return f[1] == ':' && comma && bits == 128;
	}
	case 'w':
		p->width = atoi(f + 2);
		p->kind = p->width == 16 && ((t && t->id == ICE_TYPE_UUID) || has_uuid_ext(s->metadata)) ? K_UUID : K_FIXED;
		return f[1] == ':' && p->width > 0;
	case 't':
		if (!strcmp(f, "tdD")) {
			p->kind = K_DATE;
			return true;
		}
		if (f[1] == 't' && (f[2] == 's' || f[2] == 'm') && !f[3]) {
			p->kind = K_TIME32;
			p->unit = f[2] == 's' ? 1 : 1000;
			return true;
		}
		if (f[1] == 't' && (f[2] == 'u' || f[2] == 'n') && !f[3]) {
			p->kind = K_TIME64;
			p->unit = f[2] == 'u' ? 1000000 : 1000000000;
			return true;
		}
		if (f[1] == 's' && f[3] == ':' && strchr("smun", f[2])) {
			p->kind = K_TIMESTAMP;
			p->unit = f[2] == 's' ? 1 : f[2] == 'm' ? 1000 : f[2] == 'u' ? 1000000 : 1000000000;
			p->zone = f[4] != '\0';
			return true;
		}
		return false;
	case '+':
		p->kind = f[1] == 's' ? K_STRUCT : f[1] == 'l' ? K_LIST : f[1] == 'm' ? K_MAP : -1;
		return p->kind >= 0 && !f[2];
	}
	return false;
}

bool col_plan_plain(const col_plan *p)
{
	return p->kind <= K_TIMESTAMP || p->kind == K_BINARY || p->kind == K_LBINARY || p->kind == K_FIXED ||
	       p->kind == K_UUID || p->kind == K_NULL;
}

bool col_plan_numeric(const col_plan *p)
{
	return p->kind >= K_I8 && p->kind <= K_DECIMAL;
}

bool value_is_null(const struct ArrowArray *a, int64_t i)
{
	const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
	i += a->offset;
	return a->null_count != 0 && v && !((v[i >> 3] >> (i & 7)) & 1);
}

/* ---- numbers, dates and times by hand -------------------------------------------------------- */

static char *put_u64(char *out, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*out++ = tmp[--n];
	return out;
}

static char *put_i64(char *out, int64_t v)
{
	if (v < 0) {
		*out++ = '-';
		return put_u64(out, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(out, (uint64_t)v);
}

static char *put_2(char *out, int v)
{
	out[0] = (char)('0' + v / 10);
	out[1] = (char)('0' + v % 10);
	return out + 2;
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static char *put_date_slow(char *out, int64_t days);

/* Dates repeat (a few thousand distinct days in most tables): a small
 * direct-mapped cache of their text saves the calendar arithmetic. */
static _Thread_local struct {
	int64_t days;
	uint8_t len;
	char text[15];
} date_cache[4096];

static char *put_date(char *out, int64_t days)
{
	unsigned slot = (unsigned)days & 4095u;
	if (date_cache[slot].len && date_cache[slot].days == days) {
		memcpy(out, date_cache[slot].text, 10);
		if (date_cache[slot].len > 10)
			memcpy(out + 10, date_cache[slot].text + 10, (size_t)date_cache[slot].len - 10);
		return out + date_cache[slot].len;
	}
	char *end = put_date_slow(out, days);
	size_t len = (size_t)(end - out);
	if (len <= sizeof(date_cache[slot].text)) {
		date_cache[slot].days = days;
		date_cache[slot].len = (uint8_t)len;
		memcpy(date_cache[slot].text, out, len);
	}
	return end;
}

static char *put_date_slow(char *out, int64_t days)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int d = (int)(doy - (153 * mp + 2) / 5 + 1), m = (int)(mp < 10 ? mp + 3 : mp - 9);
	int64_t y = yoe + era * 400 + (m <= 2);
	if (y >= 0 && y <= 9999) {
		out = put_2(out, (int)(y / 100));
		out = put_2(out, (int)(y % 100));
	} else {
		/* ISO-8601 expanded years: +10000, -0001 */
		*out++ = y < 0 ? '-' : '+';
		char *start = out;
		out = put_u64(out, (uint64_t)(y < 0 ? -y : y));
		int n = (int)(out - start);
		if (n < 4) {
			memmove(start + 4 - n, start, (size_t)n);
			memset(start, '0', (size_t)(4 - n));
			out = start + 4;
		}
	}
	*out++ = '-';
	out = put_2(out, m);
	*out++ = '-';
	return put_2(out, d);
}

/* Time of day from nanoseconds, with 6 or 9 fraction digits. */
static char *put_tod(char *out, int64_t ns, bool nanos)
{
	int64_t secs = ns / 1000000000, frac = ns % 1000000000;
	out = put_2(out, (int)(secs / 3600));
	*out++ = ':';
	out = put_2(out, (int)(secs / 60 % 60));
	*out++ = ':';
	out = put_2(out, (int)(secs % 60));
	*out++ = '.';
	int digits = nanos ? 9 : 6;
	if (!nanos)
		frac /= 1000;
	for (int i = digits - 1; i >= 0; i--) {
		out[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	return out + digits;
}

static char *put_timestamp(char *out, int64_t v, int64_t unit, bool zone)
{
	int64_t per_day = unit * 86400, days = floordiv(v, per_day), rem = v - days * per_day;
	out = put_date(out, days);
	*out++ = 'T';
	out = put_tod(out, rem * (1000000000 / unit), unit == 1000000000);
	if (zone) {
		memcpy(out, "+00:00", 6);
		out += 6;
	}
	return out;
}

/* Numbers that read back as floats: "1.0", "-0.0", not "1", "-0". */
static int float_text(char *out, int n)
{
	if (!strpbrk(out, ".eE")) {
		memcpy(out + n, ".0", 3);
		n += 2;
	}
	return n;
}

static int fmt_double(char *out, double v)
{
	return float_text(out, (int)ice_json_format_double(out, v, 15));
}

static int fmt_float(char *out, float v)
{
	for (int p = 6; p <= 9; p++) {
		int n = snprintf(out, 40, "%.*g", p, (double)v);
		if (p == 9 || strtof(out, NULL) == v)
			return float_text(out, n);
	}
	return 0;
}

static float half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
	if (exp == 0) {
		float f = ldexpf((float)mant, -24);
		return sign ? -f : f;
	}
	bits = exp == 31 ? sign | 0x7f800000u | (mant << 13) : sign | ((exp + 112) << 23) | (mant << 13);
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

__extension__ typedef unsigned __int128 u128;

static char *put_decimal(char *out, const uint8_t *p, int scale)
{
	uint64_t lo, hi;
	memcpy(&lo, p, 8);
	memcpy(&hi, p + 8, 8);
	char digits[48];
	int n = 0;
	bool neg = (int64_t)hi < 0;
	if ((hi == 0 && lo <= INT64_MAX) || (hi == UINT64_MAX && lo > INT64_MAX)) {
		/* fits 64 bits: the common case */
		int64_t v = (int64_t)lo;
		uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
		do {
			digits[n++] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
	} else {
		u128 u = ((u128)hi << 64) | lo;
		if (neg)
			u = ~u + 1;
		do {
			digits[n++] = (char)('0' + (int)(u % 10));
			u /= 10;
		} while (u);
	}
	while (n <= scale)
		digits[n++] = '0';
	if (neg)
		*out++ = '-';
	for (int i = n - 1; i >= 0; i--) {
		*out++ = digits[i];
		if (i == scale && scale > 0)
			*out++ = '.';
	}
	return out;
}

static const char hexd[] = "0123456789abcdef";

static void put_hex(sink *s, const uint8_t *p, size_t n)
{
	if (!sink_reserve(s, 2 * n))
		return;
	char *out = s->buf + s->len;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexd[p[i] >> 4];
		out[2 * i + 1] = hexd[p[i] & 15];
	}
	s->len += 2 * n;
}

static void put_uuid(sink *s, const uint8_t *p)
{
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			sink_putc(s, '-');
		sink_putc(s, hexd[p[i] >> 4]);
		sink_putc(s, hexd[p[i] & 15]);
	}
}

void put_string(sink *s, const uint8_t *p, size_t n, bool json)
{
	if (!json) {
		sink_put(s, p, n);
		return;
	}
	sink_putc(s, '"');
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80)
			continue;
		sink_put(s, p + start, i - start);
		start = i + 1;
		if (c == '"' || c == '\\') {
			sink_putc(s, '\\');
			sink_putc(s, (char)c);
		} else if (c < 0x20) {
			const char *e = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
			char u[8];
			if (!e) {
				snprintf(u, sizeof(u), "\\u%04x", c);
				e = u;
			}
			sink_puts(s, e);
		} else {
			/* a multi-byte sequence: copied when well-formed */
			size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
			bool ok = len && c < 0xf5 && i + len <= n;
			for (size_t k = 1; ok && k < len; k++)
				ok = (p[i + k] & 0xc0) == 0x80;
			if (ok && len == 3 && ((c == 0xe0 && p[i + 1] < 0xa0) || (c == 0xed && p[i + 1] >= 0xa0)))
				ok = false;
			if (ok && len == 4 && ((c == 0xf0 && p[i + 1] < 0x90) || (c == 0xf4 && p[i + 1] >= 0x90)))
				ok = false;
			if (ok) {
				sink_put(s, p + i, len);
				i += len - 1;
			} else {
				sink_puts(s, "\xEF\xBF\xBD");
			}
			start = i + 1;
		}
	}
	sink_put(s, p + start, n - start);
	sink_putc(s, '"');
}

/* ---- values ------------------------------------------------------------------------------------ */

static void var_bytes(const struct ArrowArray *a, int64_t j, bool large, const uint8_t **p, size_t *len)
{
	int64_t st, en;
	if (large) {
		st = ((const int64_t *)a->buffers[1])[j];
		en = ((const int64_t *)a->buffers[1])[j + 1];
	} else {
		st = ((const int32_t *)a->buffers[1])[j];
		en = ((const int32_t *)a->buffers[1])[j + 1];
	}
	*p = (const uint8_t *)a->buffers[2] + st;
	*len = (size_t)(en - st);
}

static bool put_nested(sink *s, const col_plan *p, const struct ArrowArray *a, int64_t j);

bool put_value(sink *s, const col_plan *p, const struct ArrowArray *a, int64_t row, bool json)
{
	int64_t j = a->offset + row;
	const void *v1 = a->n_buffers > 1 ? a->buffers[1] : NULL;
	if (value_is_null(a, row) || p->kind == K_NULL) {
		if (json)
			sink_puts(s, "null");
		return true;
	}
	if (!sink_reserve(s, 64))
		return true;
	char *out = s->buf + s->len, tmp[48];
	const uint8_t *bytes;
	size_t len;
	int n;
#define VAL(T) (((const T *)v1)[j])
	switch (p->kind) {
	case K_BOOL: sink_puts(s, ((((const uint8_t *)v1)[j >> 3] >> (j & 7)) & 1) ? "true" : "false"); return true;
	case K_I8: s->len = (size_t)(put_i64(out, VAL(int8_t)) - s->buf); return true;
	case K_U8: s->len = (size_t)(put_u64(out, VAL(uint8_t)) - s->buf); return true;
	case K_I16: s->len = (size_t)(put_i64(out, VAL(int16_t)) - s->buf); return true;
	case K_U16: s->len = (size_t)(put_u64(out, VAL(uint16_t)) - s->buf); return true;
	case K_I32: s->len = (size_t)(put_i64(out, VAL(int32_t)) - s->buf); return true;
	case K_U32: s->len = (size_t)(put_u64(out, VAL(uint32_t)) - s->buf); return true;
	case K_I64: s->len = (size_t)(put_i64(out, VAL(int64_t)) - s->buf); return true;
	case K_U64: s->len = (size_t)(put_u64(out, VAL(uint64_t)) - s->buf); return true;
	case K_FLOAT:
	case K_DOUBLE:
	case K_HALF: {
		double d = p->kind == K_DOUBLE ? VAL(double) : p->kind == K_FLOAT ? (double)VAL(float) : (double)half_to_float(VAL(uint16_t));
		if (isnan(d) || isinf(d)) {
			const char *name = isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
			put_string(s, (const uint8_t *)name, strlen(name), json);
			return true;
		}
		n = p->kind == K_DOUBLE ? fmt_double(tmp, d) : fmt_float(tmp, (float)d);
		sink_put(s, tmp, (size_t)n);
		return true;
	}
	case K_DECIMAL:
	case K_DATE:
	case K_TIME32:
	case K_TIME64:
	case K_TIMESTAMP: {
		char *q = out + json;
		if (p->kind == K_DECIMAL)
			q = put_decimal(q, (const uint8_t *)v1 + j * 16, p->scale);
		else if (p->kind == K_DATE)
			q = put_date(q, VAL(int32_t));
		else if (p->kind == K_TIME32)
			q = put_tod(q, (int64_t)VAL(int32_t) * (1000000000 / p->unit), false);
		else if (p->kind == K_TIME64)
			q = put_tod(q, VAL(int64_t) * (1000000000 / p->unit), p->unit == 1000000000);
		else
			q = put_timestamp(q, VAL(int64_t), p->unit, p->zone);
		if (json) {
			*out = '"';
			*q++ = '"';
		}
		s->len = (size_t)(q - s->buf);
		return true;
	}
	case K_STRING:
	case K_LSTRING:
		var_bytes(a, j, p->kind == K_LSTRING, &bytes, &len);
		put_string(s, bytes, len, json);
		return true;
	case K_BINARY:
	case K_LBINARY:
		var_bytes(a, j, p->kind == K_LBINARY, &bytes, &len);
		if (json)
			sink_putc(s, '"');
		put_hex(s, bytes, len);
		if (json)
			sink_putc(s, '"');
		return true;
	case K_GEO:
	case K_LGEO: {
		var_bytes(a, j, p->kind == K_LGEO, &bytes, &len);
		ice_literal lit = {p->type->id, false, 0, {0}};
		lit.v.bytes.data = bytes;
		lit.v.bytes.len = len;
		char *wkt = ice_literal_to_string(&lit);
		if (!wkt) {
			s->failed = true;
			return true;
		}
		put_string(s, (const uint8_t *)wkt, strlen(wkt), json);
		ice_free(wkt);
		return true;
	}
	case K_FIXED:
	case K_UUID:
		if (json)
			sink_putc(s, '"');
		if (p->kind == K_UUID)
			put_uuid(s, (const uint8_t *)v1 + j * 16);
		else
			put_hex(s, (const uint8_t *)v1 + j * p->width, (size_t)p->width);
		if (json)
			sink_putc(s, '"');
		return true;
	}
#undef VAL
	return put_nested(s, p, a, j);
}

/* Structs, lists and maps, as JSON (children planned as they come). */
static bool put_nested(sink *s, const col_plan *p, const struct ArrowArray *a, int64_t j)
{
	const struct ArrowSchema *sc = p->schema;
	const ice_type *t = p->type;
	col_plan cp;
	if (p->kind == K_STRUCT) {
		sink_putc(s, '{');
		for (int64_t c = 0; c < sc->n_children; c++) {
			const ice_type *ct = t && t->id == ICE_TYPE_STRUCT && (size_t)c < t->u.struct_.nfields
			                         ? t->u.struct_.fields[c].type
			                         : NULL;
			const char *name = sc->children[c]->name ? sc->children[c]->name : "";
			if (c)
				sink_putc(s, ',');
			put_string(s, (const uint8_t *)name, strlen(name), true);
			sink_putc(s, ':');
			if (!col_plan_of(&cp, sc->children[c], ct) || !put_value(s, &cp, a->children[c], j, true))
				return false;
		}
		sink_putc(s, '}');
		return true;
	}
	const int32_t *offs = a->buffers[1];
	const struct ArrowArray *ca = a->children[0];
	const struct ArrowSchema *cs = sc->children[0];
	if (p->kind == K_LIST) {
		if (!col_plan_of(&cp, cs, t && t->id == ICE_TYPE_LIST ? t->u.list.element.type : NULL))
			return false;
		sink_putc(s, '[');
		for (int64_t k = offs[j]; k < offs[j + 1]; k++) {
			if (k > offs[j])
				sink_putc(s, ',');
			if (!put_value(s, &cp, ca, k, true))
				return false;
		}
		sink_putc(s, ']');
		return true;
	}
	if (p->kind != K_MAP)
		return false;
	/* String keys: an object, as Spark's to_json and DuckDB print a map;
	 * other keys: an array of {"key": K, "value": V}. ice append reads both. */
	col_plan kp;
	const char *kf = cs->children[0]->format;
	bool object = (!strcmp(kf, "u") || !strcmp(kf, "U")) &&
	              (!t || t->id != ICE_TYPE_MAP || t->u.map.key.type->id == ICE_TYPE_STRING);
	if (!col_plan_of(&kp, cs->children[0], t && t->id == ICE_TYPE_MAP ? t->u.map.key.type : NULL) ||
	    !col_plan_of(&cp, cs->children[1], t && t->id == ICE_TYPE_MAP ? t->u.map.value.type : NULL))
		return false;
	sink_putc(s, object ? '{' : '[');
	for (int64_t k = offs[j]; k < offs[j + 1]; k++) {
		if (k > offs[j])
			sink_putc(s, ',');
		sink_puts(s, object ? "" : "{\"key\":");
		if (!put_value(s, &kp, ca->children[0], ca->offset + k, true))
			return false;
		sink_puts(s, object ? ":" : ",\"value\":");
		if (!put_value(s, &cp, ca->children[1], ca->offset + k, true))
			return false;
		if (!object)
			sink_putc(s, '}');
	}
	sink_putc(s, object ? '}' : ']');
	return true;
}

bool put_csv_cell(sink *s, const col_plan *p, const struct ArrowArray *a, int64_t row)
{
	if (value_is_null(a, row))
		return put_value(s, p, a, row, false);
	if (col_plan_plain(p)) {
		/* an empty value that is not null (binary of no bytes) is "" */
		size_t at = s->len;
		bool ok = put_value(s, p, a, row, false);
		if (ok && s->len == at)
			sink_puts(s, "\"\"");
		return ok;
	}
	if (p->kind == K_STRING || p->kind == K_LSTRING) {
		const uint8_t *bytes;
		size_t len;
		var_bytes(a, a->offset + row, p->kind == K_LSTRING, &bytes, &len);
		bool quote = len == 0;
		for (size_t i = 0; i < len && !quote; i++)
			quote = bytes[i] == ',' || bytes[i] == '"' || bytes[i] == '\n' || bytes[i] == '\r';
		if (!quote) {
			sink_put(s, bytes, len);
			return true;
		}
		sink_putc(s, '"');
		size_t start = 0;
		for (size_t i = 0; i < len; i++)
			if (bytes[i] == '"') {
				sink_put(s, bytes + start, i + 1 - start);
				sink_putc(s, '"');
				start = i + 1;
			}
		sink_put(s, bytes + start, len - start);
		sink_putc(s, '"');
		return true;
	}
	/* nested values and WKT: rendered, then quoted */
	size_t at = s->len;
	if (!put_value(s, p, a, row, false))
		return false;
	bool quote = s->len == at;
	for (size_t i = at; i < s->len && !quote; i++)
		quote = s->buf[i] == ',' || s->buf[i] == '"' || s->buf[i] == '\n' || s->buf[i] == '\r';
	if (!quote || s->failed)
		return true;
	size_t n = s->len - at, extra = 2;
	for (size_t i = at; i < s->len; i++)
		extra += s->buf[i] == '"';
	if (!sink_reserve(s, extra))
		return true;
	char *cell = s->buf + at;
	/* shift right, doubling quotes, from the end */
	size_t w = n + extra;
	cell[--w] = '"';
	for (size_t i = n; i-- > 0;) {
		cell[--w] = cell[i];
		if (cell[i] == '"')
			cell[--w] = '"';
	}
	cell[0] = '"';
	s->len = at + n + extra;
	return true;
}
