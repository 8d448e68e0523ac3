/*
 * spec/wkb.c - geometry values: Well-known binary (the stored form, spec
 * Appendix D and G) to and from Well-known text (the JSON single-value form),
 * for the OGC simple features Point, LineString, Polygon, MultiPoint,
 * MultiLineString, MultiPolygon and GeometryCollection in XY, XYZ, XYM and
 * XYZM. Output is little-endian ISO WKB; input may be either byte order and
 * may carry EWKB dimension flags.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "util/buf.h"
#include "util/error.h"

#define MAX_DEPTH 32

static int bad(const char *what)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "invalid geometry: %s", what);
}

static const char *const names[] = {NULL, "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING",
                                    "MULTIPOLYGON", "GEOMETRYCOLLECTION"};

/* ---- WKB -> WKT ------------------------------------------------------------ */

typedef struct rd {
	const uint8_t *p;
	size_t len, pos;
	bool le;
} rd;

static bool u32(rd *r, uint32_t *out)
{
	if (r->len - r->pos < 4)
		return false;
	const uint8_t *b = r->p + r->pos;
	*out = r->le ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
	             : (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24;
	r->pos += 4;
	return true;
}

static bool f64(rd *r, double *out)
{
	uint64_t v = 0;
	if (r->len - r->pos < 8)
		return false;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)r->p[r->pos + (size_t)i] << (r->le ? 8 * i : 8 * (7 - i));
	memcpy(out, &v, 8);
	r->pos += 8;
	return true;
}

static void put_num(ice_buf *b, double v)
{
	char tmp[40];
	if (isnan(v)) {
		ice_buf__puts(b, "NaN");
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		ice_buf__printf(b, "%.0f", v);
		return;
	}
	size_t n = ice_json__format_double(v, tmp);
	ice_buf__put(b, tmp, n);
}

static int coords(rd *r, ice_buf *b, int dims)
{
	for (int d = 0; d < dims; d++) {
		double v;
		if (!f64(r, &v))
			return bad("truncated coordinates");
		if (d)
			ice_buf__putc(b, ' ');
		put_num(b, v);
	}
	return 0;
}

/* A sequence of points: "(x y, x y)" or EMPTY. */
static int point_list(rd *r, ice_buf *b, int dims)
{
	uint32_t n;
	if (!u32(r, &n) || n > (r->len - r->pos) / (8u * (uint32_t)dims))
		return bad("bad point count");
	if (n == 0)
		return ice_buf__puts(b, "EMPTY");
	ice_buf__putc(b, '(');
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			ice_buf__puts(b, ", ");
		if (coords(r, b, dims))
			return ICE_EINVALID;
	}
	return ice_buf__putc(b, ')');
}

static int geometry(rd *r, ice_buf *b, int depth, bool tagged);

static int body(rd *r, ice_buf *b, uint32_t kind, int dims, int depth)
{
	uint32_t n;
	switch (kind) {
	case 1: {
		/* A point whose coordinates are all NaN is POINT EMPTY. */
		size_t save = r->pos;
		bool all_nan = true;
		for (int d = 0; d < dims; d++) {
			double v;
			if (!f64(r, &v))
				return bad("truncated point");
			all_nan = all_nan && isnan(v);
		}
		if (all_nan)
			return ice_buf__puts(b, "EMPTY");
		r->pos = save;
		ice_buf__putc(b, '(');
		if (coords(r, b, dims))
			return ICE_EINVALID;
		return ice_buf__putc(b, ')');
	}
	case 2: return point_list(r, b, dims);
	case 3:
		if (!u32(r, &n) || n > (r->len - r->pos) / 4)
			return bad("bad ring count");
		if (n == 0)
			return ice_buf__puts(b, "EMPTY");
		ice_buf__putc(b, '(');
		for (uint32_t i = 0; i < n; i++) {
			if (i)
				ice_buf__puts(b, ", ");
			if (point_list(r, b, dims))
				return ICE_EINVALID;
		}
		return ice_buf__putc(b, ')');
	case 4:
	case 5:
	case 6:
	case 7:
		if (!u32(r, &n) || n > (r->len - r->pos) / 5)
			return bad("bad part count");
		if (n == 0)
			return ice_buf__puts(b, "EMPTY");
		ice_buf__putc(b, '(');
		for (uint32_t i = 0; i < n; i++) {
			if (i)
				ice_buf__puts(b, ", ");
			/* Parts are full WKB geometries; only collections name them. */
			if (geometry(r, b, depth + 1, kind == 7))
				return ICE_EINVALID;
		}
		return ice_buf__putc(b, ')');
	default:
		return bad("unknown geometry type");
	}
}

static int geometry(rd *r, ice_buf *b, int depth, bool tagged)
{
	uint32_t type;
	int dims = 2;
	bool z = false, m = false;
	if (depth > MAX_DEPTH)
		return bad("nested too deeply");
	if (r->pos >= r->len)
		return bad("truncated");
	r->le = r->p[r->pos++] == 1;
	if (!u32(r, &type))
		return bad("truncated type");
	if (type & 0x80000000u)
		z = true;
	if (type & 0x40000000u)
		m = true;
	type &= 0x0fffffffu;
	if (type >= 3000) {
		z = m = true;
		type -= 3000;
	} else if (type >= 2000) {
		m = true;
		type -= 2000;
	} else if (type >= 1000) {
		z = true;
		type -= 1000;
	}
	if (type < 1 || type > 7)
		return bad("unknown geometry type");
	dims += z + m;
	if (tagged) {
		ice_buf__puts(b, names[type]);
		ice_buf__puts(b, z && m ? " ZM " : z ? " Z " : m ? " M " : " ");
	}
	return body(r, b, type, dims, depth);
}

int ice_wkb__to_wkt(const uint8_t *wkb, size_t len, ice_buf *out)
{
	rd r = {wkb, len, 0, true};
	int rc = geometry(&r, out, 0, true);
	if (!rc && r.pos != len)
		return bad("trailing bytes");
	return rc ? rc : out->error;
}

/* ---- WKT -> WKB -------------------------------------------------------------- */

typedef struct tx {
	const char *s;
	size_t len, pos;
} tx;

static void ws(tx *t)
{
	while (t->pos < t->len && (t->s[t->pos] == ' ' || t->s[t->pos] == '\t' || t->s[t->pos] == '\n'))
		t->pos++;
}

static bool eat(tx *t, char c)
{
	ws(t);
	if (t->pos < t->len && t->s[t->pos] == c) {
		t->pos++;
		return true;
	}
	return false;
}

static size_t word(tx *t, char *out, size_t cap)
{
	size_t n = 0;
	ws(t);
	while (t->pos < t->len && ((t->s[t->pos] >= 'A' && t->s[t->pos] <= 'Z') ||
	                           (t->s[t->pos] >= 'a' && t->s[t->pos] <= 'z'))) {
		if (n + 1 < cap)
			out[n++] = (char)(t->s[t->pos] & ~0x20);
		t->pos++;
	}
	out[n] = '\0';
	return n;
}

static void w32(ice_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	ice_buf__put(b, x, 4);
}

static void wf64(ice_buf *b, double d)
{
	uint64_t v;
	uint8_t x[8];
	memcpy(&v, &d, 8);
	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	ice_buf__put(b, x, 8);
}

static bool number(tx *t, double *out)
{
	char tmp[64];
	size_t n = 0;
	ws(t);
	while (t->pos < t->len && n + 1 < sizeof(tmp) && strchr("0123456789+-.eEnaNA", t->s[t->pos]))
		tmp[n++] = t->s[t->pos++];
	tmp[n] = '\0';
	if (!n)
		return false;
	if (!strcmp(tmp, "NaN") || !strcmp(tmp, "nan")) {
		*out = NAN;
		return true;
	}
	char *end;
	*out = strtod(tmp, &end);
	return *end == '\0' && isfinite(*out); /* coordinates are finite */
}

static int wkt_coords(tx *t, ice_buf *b, int dims)
{
	for (int d = 0; d < dims; d++) {
		double v;
		if (!number(t, &v))
			return bad("expected a number");
		wf64(b, v);
	}
	return 0;
}

/* "(x y, x y)" -> count + coordinates; "EMPTY" -> 0. Optionally each point
 * in its own parentheses (MULTIPOINT ((1 2), (3 4))). */
static int wkt_points(tx *t, ice_buf *b, int dims, bool may_wrap)
{
	char w[16];
	size_t save = t->pos, count_at;
	uint32_t n = 0;
	if (word(t, w, sizeof(w))) {
		if (strcmp(w, "EMPTY"))
			return bad("expected '(' or EMPTY");
		w32(b, 0);
		return 0;
	}
	t->pos = save;
	if (!eat(t, '('))
		return bad("expected '('");
	count_at = b->len;
	w32(b, 0);
	do {
		bool wrapped = may_wrap && eat(t, '(');
		if (wkt_coords(t, b, dims))
			return ICE_EINVALID;
		if (wrapped && !eat(t, ')'))
			return bad("expected ')'");
		n++;
	} while (eat(t, ','));
	if (!eat(t, ')'))
		return bad("expected ')'");
	if (b->error)
		return b->error;
	memcpy(b->ptr + count_at, (uint8_t[4]){(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)}, 4);
	return 0;
}

static int wkt_geometry(tx *t, ice_buf *b, int depth, int forced_kind, int forced_dims);

/* A list of sub-items: rings, lines, polygons, or tagged geometries. */
static int wkt_list(tx *t, ice_buf *b, int depth, int item_kind, int dims)
{
	char w[16];
	size_t save = t->pos, count_at;
	uint32_t n = 0;
	if (word(t, w, sizeof(w))) {
		if (strcmp(w, "EMPTY"))
			return bad("expected '(' or EMPTY");
		w32(b, 0);
		return 0;
	}
	t->pos = save;
	if (!eat(t, '('))
		return bad("expected '('");
	count_at = b->len;
	w32(b, 0);
	do {
		int rc;
		if (item_kind == 0) /* a polygon's rings */
			rc = wkt_points(t, b, dims, false);
		else
			rc = wkt_geometry(t, b, depth + 1, item_kind, dims);
		if (rc)
			return rc;
		n++;
	} while (eat(t, ','));
	if (!eat(t, ')'))
		return bad("expected ')'");
	if (b->error)
		return b->error;
	memcpy(b->ptr + count_at, (uint8_t[4]){(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)}, 4);
	return 0;
}

/* forced_kind > 0: an untagged part of a multi-geometry of that kind. */
static int wkt_geometry(tx *t, ice_buf *b, int depth, int forced_kind, int forced_dims)
{
	char w[32];
	int kind = forced_kind, dims = forced_dims;
	bool z = false, m = false;
	if (depth > MAX_DEPTH)
		return bad("nested too deeply");
	if (kind == 0 || kind == 7) {
		if (!word(t, w, sizeof(w)))
			return bad("expected a geometry type");
		for (kind = 1; kind <= 7 && strcmp(w, names[kind]); kind++)
			;
		if (kind > 7)
			return bad("unknown geometry type");
		size_t save = t->pos;
		char dim[8];
		if (word(t, dim, sizeof(dim))) {
			if (!strcmp(dim, "Z"))
				z = true;
			else if (!strcmp(dim, "M"))
				m = true;
			else if (!strcmp(dim, "ZM"))
				z = m = true;
			else
				t->pos = save; /* EMPTY */
		}
		dims = 2 + z + m;
	} else {
		z = dims >= 3;
		m = dims == 4;
	}
	ice_buf__putc(b, 1);
	w32(b, (uint32_t)kind + (z && m ? 3000 : z ? 1000 : m ? 2000 : 0));
	switch (kind) {
	case 1: {
		char e[8];
		size_t save = t->pos;
		if (word(t, e, sizeof(e))) {
			if (strcmp(e, "EMPTY"))
				return bad("expected '(' or EMPTY");
			for (int d = 0; d < dims; d++)
				wf64(b, NAN);
			return 0;
		}
		t->pos = save;
		if (!eat(t, '(') || wkt_coords(t, b, dims) || !eat(t, ')'))
			return bad("bad point");
		return 0;
	}
	case 2: return wkt_points(t, b, dims, false);
	case 3: return wkt_list(t, b, depth, 0, dims);
	case 4: {
		/* MULTIPOINT parts are points (each a full WKB point). */
		char e[8];
		size_t save = t->pos, count_at;
		uint32_t n = 0;
		if (word(t, e, sizeof(e))) {
			if (strcmp(e, "EMPTY"))
				return bad("expected '(' or EMPTY");
			w32(b, 0);
			return 0;
		}
		t->pos = save;
		if (!eat(t, '('))
			return bad("expected '('");
		count_at = b->len;
		w32(b, 0);
		do {
			char part[8];
			size_t at = t->pos;
			ice_buf__putc(b, 1);
			w32(b, 1u + (z && m ? 3000 : z ? 1000 : m ? 2000 : 0));
			if (word(t, part, sizeof(part))) {
				/* an empty point part, as written for all-NaN points */
				if (strcmp(part, "EMPTY"))
					return bad("bad multipoint");
				for (int d = 0; d < dims; d++)
					wf64(b, NAN);
			} else {
				t->pos = at;
				bool wrapped = eat(t, '(');
				if (wkt_coords(t, b, dims) || (wrapped && !eat(t, ')')))
					return bad("bad multipoint");
			}
			n++;
		} while (eat(t, ','));
		if (!eat(t, ')'))
			return bad("expected ')'");
		if (b->error)
			return b->error;
		memcpy(b->ptr + count_at,
		       (uint8_t[4]){(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)}, 4);
		return 0;
	}
	case 5: return wkt_list(t, b, depth, 2, dims);
	case 6: return wkt_list(t, b, depth, 3, dims);
	default: return wkt_list(t, b, depth, 7, dims);
	}
}

int ice_wkb__from_wkt(const char *wkt, size_t len, ice_buf *out)
{
	tx t = {wkt, len, 0};
	int rc = wkt_geometry(&t, out, 0, 0, 2);
	if (rc)
		return rc;
	ws(&t);
	if (t.pos != len)
		return bad("trailing text");
	return out->error;
}
