/*
 * tools/scan_output.c - the rows of `ice scan` as CSV, JSON Lines, an
 * aligned table, or one Parquet file.
 *
 * Values take the forms of the spec's JSON single-value serialization
 * (Appendix D): numbers as numbers (shortest text that reads back as the
 * same float or double; NaN and infinities as the strings "NaN",
 * "Infinity", "-Infinity"), decimals as strings of their exact digits,
 * dates, times and timestamps as ISO-8601 strings (timestamptz with
 * "+00:00", nanosecond types with 9 fraction digits), uuids in canonical
 * text, fixed and binary as lowercase hex, geometry and geography as WKT,
 * lists as arrays and maps as {"keys": [...], "values": [...]}. Structs are
 * objects keyed by field name rather than by field id, so they read as the
 * columns do. CSV cells hold the same text without JSON quoting (nested
 * values as JSON); a null is an empty cell, an empty string a quoted "".
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan_output.h"

#define FLUSH_AT (1 << 20)
#define CELL_MAX 40

typedef struct sink {
	FILE *f;
	char *buf;
	size_t len, cap;
	size_t hold;      /* hold everything until this many bytes (0: stream) */
	bool failed;
} sink;

static void sink_flush(sink *s)
{
	if (s->len && !s->failed && fwrite(s->buf, 1, s->len, s->f) != s->len)
		s->failed = true;
	s->len = 0;
}

static void put(sink *s, const void *p, size_t n)
{
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 65536;
		while (cap < s->len + n)
			cap *= 2;
		char *b = realloc(s->buf, cap);
		if (!b) {
			s->failed = true;
			return;
		}
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static void putc_(sink *s, char c)
{
	if (s->len < s->cap)
		s->buf[s->len++] = c;
	else
		put(s, &c, 1);
}

static void puts_(sink *s, const char *str)
{
	put(s, str, strlen(str));
}

/* After each row: write out when streaming, or stop holding when too big. */
static void row_done(sink *s)
{
	if (s->hold && s->len > s->hold)
		s->hold = 0;
	if (!s->hold && s->len >= FLUSH_AT)
		sink_flush(s);
}

/* ---- primitive text ------------------------------------------------------------------------- */

static void civil(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int fmt_date(char *out, int64_t days)
{
	int64_t y;
	int m, d;
	civil(days, &y, &m, &d);
	if (y > 9999)
		return sprintf(out, "+%" PRId64 "-%02d-%02d", y, m, d);
	if (y < 0)
		return sprintf(out, "-%04" PRId64 "-%02d-%02d", -y, m, d);
	return sprintf(out, "%04d-%02d-%02d", (int)y, m, d);
}

static int fmt_tod(char *out, int64_t ns, bool nanos)
{
	int64_t secs = ns / 1000000000, frac = ns % 1000000000;
	int h = (int)(secs / 3600), mi = (int)(secs / 60 % 60), s = (int)(secs % 60);
	if (nanos)
		return sprintf(out, "%02d:%02d:%02d.%09" PRId64, h, mi, s, frac);
	return sprintf(out, "%02d:%02d:%02d.%06" PRId64, h, mi, s, frac / 1000);
}

/* A timestamp in `unit` per second (1000, 1000000, 1000000000). */
static int fmt_timestamp(char *out, int64_t v, int64_t unit, bool zone)
{
	int64_t per_day = unit * 86400, days = floordiv(v, per_day), rem = v - days * per_day;
	int n = fmt_date(out, days);
	out[n++] = 'T';
	n += fmt_tod(out + n, rem * (1000000000 / unit), unit == 1000000000);
	if (zone) {
		memcpy(out + n, "+00:00", 7);
		n += 6;
	}
	return n;
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
	for (int p = 15; p <= 17; p++) {
		int n = sprintf(out, "%.*g", p, v);
		if (p == 17 || strtod(out, NULL) == v)
			return float_text(out, n);
	}
	return 0;
}

static int fmt_float(char *out, float v)
{
	for (int p = 6; p <= 9; p++) {
		int n = sprintf(out, "%.*g", p, (double)v);
		if (p == 9 || strtof(out, NULL) == v)
			return float_text(out, n);
	}
	return 0;
}

__extension__ typedef unsigned __int128 u128;

static int fmt_decimal(char *out, const uint8_t *p, int scale)
{
	uint64_t lo, hi;
	memcpy(&lo, p, 8);
	memcpy(&hi, p + 8, 8);
	u128 u = ((u128)hi << 64) | lo;
	bool neg = (int64_t)hi < 0;
	if (neg)
		u = ~u + 1;
	char digits[48];
	int n = 0;
	do {
		digits[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	while (n <= scale)
		digits[n++] = '0';
	int k = 0;
	if (neg)
		out[k++] = '-';
	for (int i = n - 1; i >= 0; i--) {
		out[k++] = digits[i];
		if (i == scale && scale > 0)
			out[k++] = '.';
	}
	out[k] = '\0';
	return k;
}

static const char hexd[] = "0123456789abcdef";

static void put_hex(sink *s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		putc_(s, hexd[p[i] >> 4]);
		putc_(s, hexd[p[i] & 15]);
	}
}

static void put_uuid(sink *s, const uint8_t *p)
{
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			putc_(s, '-');
		putc_(s, hexd[p[i] >> 4]);
		putc_(s, hexd[p[i] & 15]);
	}
}

/* A UTF-8 string as JSON (escaped, invalid bytes as U+FFFD) or raw. */
static void put_string(sink *s, const uint8_t *p, size_t n, bool json)
{
	if (!json) {
		put(s, p, n);
		return;
	}
	putc_(s, '"');
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80)
			continue;
		put(s, p + start, i - start);
		start = i + 1;
		if (c == '"' || c == '\\') {
			putc_(s, '\\');
			putc_(s, (char)c);
		} else if (c < 0x20) {
			const char *e = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
			char u[8];
			if (!e) {
				sprintf(u, "\\u%04x", c);
				e = u;
			}
			puts_(s, e);
		} else {
			/* a multi-byte sequence: copy it when well-formed */
			size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
			bool ok = len && c < 0xf5 && i + len <= n;
			for (size_t k = 1; ok && k < len; k++)
				ok = (p[i + k] & 0xc0) == 0x80;
			if (ok && len == 3 && ((c == 0xe0 && p[i + 1] < 0xa0) || (c == 0xed && p[i + 1] >= 0xa0)))
				ok = false;
			if (ok && len == 4 && ((c == 0xf0 && p[i + 1] < 0x90) || (c == 0xf4 && p[i + 1] >= 0x90)))
				ok = false;
			if (ok) {
				put(s, p + i, len);
				i += len - 1;
			} else {
				puts_(s, "\xEF\xBF\xBD");
			}
			start = i + 1;
		}
	}
	put(s, p + start, n - start);
	putc_(s, '"');
}

/* ---- values ------------------------------------------------------------------------------------ */

static bool is_null(const struct ArrowArray *a, int64_t i)
{
	const uint8_t *v = a->n_buffers > 0 ? a->buffers[0] : NULL;
	i += a->offset;
	return a->null_count != 0 && v && !((v[i >> 3] >> (i & 7)) & 1);
}

static bool has_uuid_ext(const char *meta)
{
	/* Arrow's binary metadata holding ARROW:extension:name = arrow.uuid */
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

/*
 * Element `row` (logical) of `a`: JSON when `json`, else plain text for
 * primitives (nested values are always JSON). Returns false for a format
 * it cannot render.
 */
static bool put_value(sink *s, const struct ArrowSchema *sc, const ice_type *t, const struct ArrowArray *a,
                      int64_t row, bool json)
{
	const char *f = sc->format;
	int64_t j = a->offset + row;
	char tmp[96];
	int n;
	if (is_null(a, row)) {
		if (json)
			puts_(s, "null");
		return true;
	}
	const uint8_t *v1 = a->n_buffers > 1 ? a->buffers[1] : NULL;
#define VAL(T) (((const T *)(const void *)v1)[j])
	switch (f[0]) {
	case 'b': puts_(s, ((v1[j >> 3] >> (j & 7)) & 1) ? "true" : "false"); return true;
	case 'c': n = sprintf(tmp, "%d", VAL(int8_t)); break;
	case 'C': n = sprintf(tmp, "%u", VAL(uint8_t)); break;
	case 's': n = sprintf(tmp, "%d", VAL(int16_t)); break;
	case 'S': n = sprintf(tmp, "%u", VAL(uint16_t)); break;
	case 'i': n = sprintf(tmp, "%" PRId32, VAL(int32_t)); break;
	case 'I': n = sprintf(tmp, "%" PRIu32, VAL(uint32_t)); break;
	case 'l': n = sprintf(tmp, "%" PRId64, VAL(int64_t)); break;
	case 'L': n = sprintf(tmp, "%" PRIu64, VAL(uint64_t)); break;
	case 'f':
	case 'g': {
		double d = f[0] == 'g' ? VAL(double) : (double)VAL(float);
		if (isnan(d) || isinf(d)) {
			const char *name = isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
			put_string(s, (const uint8_t *)name, strlen(name), json);
			return true;
		}
		n = f[0] == 'g' ? fmt_double(tmp, d) : fmt_float(tmp, VAL(float));
		break;
	}
	case 'd': {
		const char *comma = strchr(f, ',');
		n = fmt_decimal(tmp, v1 + j * 16, comma ? atoi(comma + 1) : 0);
		put_string(s, (const uint8_t *)tmp, (size_t)n, json);
		return true;
	}
	case 't': {
		if (!strcmp(f, "tdD"))
			n = fmt_date(tmp, VAL(int32_t));
		else if (f[1] == 't' && (f[2] == 'u' || f[2] == 'n'))
			n = fmt_tod(tmp, VAL(int64_t) * (f[2] == 'u' ? 1000 : 1), f[2] == 'n');
		else if (f[1] == 't' && f[2] == 'm')
			n = fmt_tod(tmp, (int64_t)VAL(int32_t) * 1000000, false);
		else if (f[1] == 's' && f[3] == ':')
			n = fmt_timestamp(tmp, VAL(int64_t), f[2] == 's' ? 1 : f[2] == 'm' ? 1000 : f[2] == 'u' ? 1000000 : 1000000000,
			                  f[4] != '\0');
		else
			return false;
		put_string(s, (const uint8_t *)tmp, (size_t)n, json);
		return true;
	}
	case 'u':
	case 'z':
	case 'U':
	case 'Z': {
		bool large = f[0] == 'U' || f[0] == 'Z';
		int64_t st = large ? VAL(int64_t) : VAL(int32_t);
		int64_t en = large ? ((const int64_t *)(const void *)v1)[j + 1] : ((const int32_t *)(const void *)v1)[j + 1];
		const uint8_t *p = (const uint8_t *)a->buffers[2] + st;
		size_t len = (size_t)(en - st);
		if (f[0] == 'u' || f[0] == 'U') {
			put_string(s, p, len, json);
		} else if (t && (t->id == ICE_TYPE_GEOMETRY || t->id == ICE_TYPE_GEOGRAPHY)) {
			ice_literal lit = {t->id, false, 0, {0}};
			lit.v.bytes.data = p;
			lit.v.bytes.len = len;
			char *wkt = ice_literal_to_string(&lit);
			if (!wkt)
				return false;
			put_string(s, (const uint8_t *)wkt, strlen(wkt), json);
			ice_free(wkt);
		} else {
			if (json)
				putc_(s, '"');
			put_hex(s, p, len);
			if (json)
				putc_(s, '"');
		}
		return true;
	}
	case 'w': {
		int width = atoi(f + 2);
		const uint8_t *p = v1 + j * width;
		if (json)
			putc_(s, '"');
		if (width == 16 && ((t && t->id == ICE_TYPE_UUID) || has_uuid_ext(sc->metadata)))
			put_uuid(s, p);
		else
			put_hex(s, p, (size_t)width);
		if (json)
			putc_(s, '"');
		return true;
	}
	case 'n':
		if (json)
			puts_(s, "null");
		return true;
	case '+':
		break;
	default:
		return false;
	}
#undef VAL
	if (f[0] != '+') {
		put(s, tmp, (size_t)n);
		return true;
	}
	/* nested values are JSON, also in CSV cells */
	if (f[1] == 's') {
		putc_(s, '{');
		for (int64_t c = 0; c < sc->n_children; c++) {
			const ice_type *ct = t && t->id == ICE_TYPE_STRUCT && (size_t)c < t->u.struct_.nfields
			                         ? t->u.struct_.fields[c].type
			                         : NULL;
			const char *name = sc->children[c]->name ? sc->children[c]->name : "";
			if (c)
				putc_(s, ',');
			put_string(s, (const uint8_t *)name, strlen(name), true);
			putc_(s, ':');
			if (!put_value(s, sc->children[c], ct, a->children[c], j, true))
				return false;
		}
		putc_(s, '}');
		return true;
	}
	if (f[1] == 'l' || f[1] == 'm') {
		const int32_t *offs = (const int32_t *)(const void *)v1;
		const struct ArrowArray *ca = a->children[0];
		const struct ArrowSchema *cs = sc->children[0];
		if (f[1] == 'l') {
			const ice_type *et = t && t->id == ICE_TYPE_LIST ? t->u.list.element.type : NULL;
			putc_(s, '[');
			for (int64_t k = offs[j]; k < offs[j + 1]; k++) {
				if (k > offs[j])
					putc_(s, ',');
				if (!put_value(s, cs, et, ca, k, true))
					return false;
			}
			putc_(s, ']');
			return true;
		}
		const ice_type *kt = t && t->id == ICE_TYPE_MAP ? t->u.map.key.type : NULL;
		const ice_type *vt = t && t->id == ICE_TYPE_MAP ? t->u.map.value.type : NULL;
		for (int side = 0; side < 2; side++) {
			puts_(s, side ? ",\"values\":[" : "{\"keys\":[");
			for (int64_t k = offs[j]; k < offs[j + 1]; k++) {
				if (k > offs[j])
					putc_(s, ',');
				if (!put_value(s, cs->children[side], side ? vt : kt, ca->children[side], ca->offset + k, true))
					return false;
			}
			putc_(s, ']');
		}
		putc_(s, '}');
		return true;
	}
	return false;
}

static const ice_type *column_type(const ice_type *t, int64_t c)
{
	return t && t->id == ICE_TYPE_STRUCT && (size_t)c < t->u.struct_.nfields ? t->u.struct_.fields[c].type : NULL;
}

static int render_error(const struct ArrowSchema *sc)
{
	return cli_error("scan: cannot render a column of Arrow format '%s'", sc->format);
}

/* ---- CSV and JSON Lines ------------------------------------------------------------------------ */

static int csv_header(sink *s, const struct ArrowSchema *schema)
{
	for (int64_t c = 0; c < schema->n_children; c++) {
		if (c)
			putc_(s, ',');
		const char *name = schema->children[c]->name;
		bool quote = strpbrk(name, ",\"\r\n") != NULL || !*name;
		if (!quote) {
			puts_(s, name);
			continue;
		}
		putc_(s, '"');
		for (const char *p = name; *p; p++) {
			if (*p == '"')
				putc_(s, '"');
			putc_(s, *p);
		}
		putc_(s, '"');
	}
	putc_(s, '\n');
	return 0;
}

static int write_rows(sink *s, scan_format fmt, const struct ArrowSchema *schema, const ice_type *type,
                      const struct ArrowArray *b)
{
	for (int64_t r = 0; r < b->length; r++) {
		if (fmt == SCAN_FORMAT_JSONL)
			putc_(s, '{');
		for (int64_t c = 0; c < schema->n_children; c++) {
			const struct ArrowSchema *cs = schema->children[c];
			const ice_type *ct = column_type(type, c);
			if (fmt == SCAN_FORMAT_JSONL) {
				if (c)
					putc_(s, ',');
				put_string(s, (const uint8_t *)cs->name, strlen(cs->name), true);
				putc_(s, ':');
				if (!put_value(s, cs, ct, b->children[c], b->offset + r, true))
					return render_error(cs);
				continue;
			}
			if (c)
				putc_(s, ',');
			const char *f = cs->format;
			bool plain = strchr("bcCsSiIlLfgdtn", f[0]) != NULL || (f[0] == 'w') ||
			             (f[0] == 'z' && !(ct && (ct->id == ICE_TYPE_GEOMETRY || ct->id == ICE_TYPE_GEOGRAPHY)));
			if (plain) {
				if (!put_value(s, cs, ct, b->children[c], b->offset + r, false))
					return render_error(cs);
				continue;
			}
			if (is_null(b->children[c], b->offset + r))
				continue;
			/* text that may need quoting: render aside, then quote */
			sink cell = {0};
			bool ok = put_value(&cell, cs, ct, b->children[c], b->offset + r, false);
			if (!ok || cell.failed) {
				free(cell.buf);
				return ok ? cli_error("scan: out of memory") : render_error(cs);
			}
			bool quote = cell.len == 0 || memchr(cell.buf, ',', cell.len) || memchr(cell.buf, '"', cell.len) ||
			             memchr(cell.buf, '\n', cell.len) || memchr(cell.buf, '\r', cell.len);
			if (!quote) {
				put(s, cell.buf, cell.len);
			} else {
				putc_(s, '"');
				for (size_t k = 0; k < cell.len; k++) {
					if (cell.buf[k] == '"')
						putc_(s, '"');
					putc_(s, cell.buf[k]);
				}
				putc_(s, '"');
			}
			free(cell.buf);
		}
		if (fmt == SCAN_FORMAT_JSONL)
			putc_(s, '}');
		putc_(s, '\n');
		row_done(s);
		if (s->failed)
			return cli_error("scan: writing the output: %s", strerror(errno));
	}
	return 0;
}

/* ---- the table preview --------------------------------------------------------------------------- */

typedef struct table {
	size_t ncols, nrows, cap;
	char **cells; /* nrows * ncols, NULL for null */
	bool *right;  /* numeric columns align right */
} table;

static size_t display_width(const char *p, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		w += ((uint8_t)p[i] & 0xc0) != 0x80;
	return w;
}

/* Print `text` in `width` columns (cut with "…" when longer). */
static void put_cell(sink *s, const char *text, size_t width, bool right)
{
	size_t n = strlen(text), w = display_width(text, n);
	if (w > width) {
		size_t keep = 0, cw = 0;
		while (keep < n && cw < width - 1) {
			keep++;
			while (keep < n && ((uint8_t)text[keep] & 0xc0) == 0x80)
				keep++;
			cw++;
		}
		put(s, text, keep);
		puts_(s, "\xE2\x80\xA6");
		return;
	}
	for (size_t i = w; right && i < width; i++)
		putc_(s, ' ');
	put(s, text, n);
	for (size_t i = w; !right && i < width; i++)
		putc_(s, ' ');
}

static int table_add(table *tb, const struct ArrowSchema *schema, const ice_type *type, const struct ArrowArray *b,
                     int64_t max_rows)
{
	for (int64_t r = 0; r < b->length && (int64_t)tb->nrows < max_rows; r++) {
		if (tb->nrows == tb->cap) {
			size_t cap = tb->cap ? tb->cap * 2 : 64;
			char **cells = realloc(tb->cells, cap * tb->ncols * sizeof(char *));
			if (!cells)
				return cli_error("scan: out of memory");
			tb->cells = cells;
			tb->cap = cap;
		}
		for (size_t c = 0; c < tb->ncols; c++) {
			sink cell = {0};
			char **slot = &tb->cells[tb->nrows * tb->ncols + c];
			*slot = NULL;
			if (is_null(b->children[c], b->offset + r))
				continue;
			if (!put_value(&cell, schema->children[c], column_type(type, (int64_t)c), b->children[c], b->offset + r,
			               false)) {
				free(cell.buf);
				return render_error(schema->children[c]);
			}
			putc_(&cell, '\0');
			for (char *p = cell.buf; p && *p; p++)
				if (*p == '\n' || *p == '\r' || *p == '\t')
					*p = ' ';
			*slot = cell.buf;
		}
		tb->nrows++;
	}
	return 0;
}

static void table_print(sink *s, const table *tb, const struct ArrowSchema *schema, bool more)
{
	size_t *w = calloc(tb->ncols ? tb->ncols : 1, sizeof(size_t));
	if (!w) {
		s->failed = true;
		return;
	}
	for (size_t c = 0; c < tb->ncols; c++) {
		w[c] = display_width(schema->children[c]->name, strlen(schema->children[c]->name));
		for (size_t r = 0; r < tb->nrows; r++) {
			const char *v = tb->cells[r * tb->ncols + c];
			size_t cw = display_width(v ? v : "null", strlen(v ? v : "null"));
			if (cw > w[c])
				w[c] = cw;
		}
		if (w[c] > CELL_MAX)
			w[c] = CELL_MAX;
	}
	for (size_t c = 0; c < tb->ncols; c++) {
		if (c)
			puts_(s, "  ");
		put_cell(s, schema->children[c]->name, w[c], tb->right[c]);
	}
	putc_(s, '\n');
	for (size_t c = 0; c < tb->ncols; c++) {
		if (c)
			puts_(s, "  ");
		for (size_t k = 0; k < w[c]; k++)
			putc_(s, '-');
	}
	putc_(s, '\n');
	for (size_t r = 0; r < tb->nrows; r++) {
		for (size_t c = 0; c < tb->ncols; c++) {
			const char *v = tb->cells[r * tb->ncols + c];
			if (c)
				puts_(s, "  ");
			put_cell(s, v ? v : "null", w[c], tb->right[c]);
		}
		putc_(s, '\n');
	}
	char tail[96];
	snprintf(tail, sizeof(tail), "(%zu row%s%s)\n", tb->nrows, tb->nrows == 1 ? "" : "s",
	         more ? "; more not shown: use --limit or another --format" : "");
	puts_(s, tail);
	free(w);
}

/* ---- driving ---------------------------------------------------------------------------------------- */

int scan_output_parse_format(const char *name, scan_format *out)
{
	static const struct {
		const char *name;
		scan_format format;
	} names[] = {{"csv", SCAN_FORMAT_CSV}, {"jsonl", SCAN_FORMAT_JSONL}, {"json", SCAN_FORMAT_JSONL},
	             {"table", SCAN_FORMAT_TABLE}, {"parquet", SCAN_FORMAT_PARQUET}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name)) {
			*out = names[i].format;
			return 0;
		}
	return -1;
}

static int stream_failed(struct ArrowArrayStream *st)
{
	const char *msg = st->get_last_error ? st->get_last_error(st) : NULL;
	return cli_error("%s", msg ? msg : "scan: reading rows failed");
}

/* A temporary name next to `path` (or in $TMPDIR), created empty. */
static char *temp_beside(const char *path)
{
	const char *dir = getenv("TMPDIR");
	size_t n = (path ? strlen(path) : strlen(dir ? dir : "/tmp")) + 32;
	char *t = malloc(n);
	if (!t)
		return NULL;
	if (path)
		snprintf(t, n, "%s.ice-tmp-XXXXXX", path);
	else
		snprintf(t, n, "%s/ice-scan-XXXXXX", dir ? dir : "/tmp");
	int fd = mkstemp(t);
	if (fd < 0) {
		free(t);
		return NULL;
	}
	close(fd);
	return t;
}

static int write_parquet(ice_cli *cli, struct ArrowArrayStream *st, const ice_type *type,
                         const struct ArrowSchema *schema, const char *output, int64_t *rows)
{
	char *tmp = temp_beside(output);
	ice_parquet_writer *w = NULL;
	ice_parquet_write_options wo;
	int rc, code = EXIT_OK;
	if (!tmp)
		return cli_error("scan: cannot create a temporary file: %s", strerror(errno));
	unlink(tmp); /* the writer creates it exclusively */
	ice_parquet_write_options_init(&wo);
	if ((rc = ice_parquet_writer_open(&w, cli->io, tmp, type, &wo)) != 0) {
		free(tmp);
		return cli_fail(rc);
	}
	for (;;) {
		struct ArrowArray b;
		if (st->get_next(st, &b) != 0) {
			code = stream_failed(st);
			break;
		}
		if (!b.release)
			break;
		rc = ice_parquet_writer_write(w, &b, schema);
		*rows += b.length;
		b.release(&b);
		if (rc) {
			code = cli_fail(rc);
			break;
		}
	}
	if (code) {
		ice_parquet_writer_abort(w);
	} else if ((rc = ice_parquet_writer_close(w, NULL)) != 0) {
		code = cli_fail(rc);
	} else if (output) {
		if (rename(tmp, output) != 0)
			code = cli_error("%s: %s", output, strerror(errno));
	} else {
		FILE *f = fopen(tmp, "rb");
		char buf[65536];
		size_t n;
		while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
			if (fwrite(buf, 1, n, cli->out) != n) {
				code = cli_error("scan: writing the output: %s", strerror(errno));
				break;
			}
		if (f)
			fclose(f);
		else
			code = cli_error("%s: %s", tmp, strerror(errno));
	}
	unlink(tmp);
	free(tmp);
	return code;
}

int scan_output_run(ice_cli *cli, struct ArrowArrayStream *st, const ice_type *type, const scan_output_options *opts,
                    int64_t *rows_out)
{
	struct ArrowSchema schema;
	int64_t rows = 0;
	int code = EXIT_OK;
	char *tmp = NULL;
	if (rows_out)
		*rows_out = 0;
	if (st->get_schema(st, &schema) != 0)
		return stream_failed(st);
	if (opts->format == SCAN_FORMAT_PARQUET) {
		code = write_parquet(cli, st, type, &schema, opts->output, &rows);
		schema.release(&schema);
		if (rows_out)
			*rows_out = rows;
		return code;
	}
	sink s = {0};
	s.f = cli->out;
	s.hold = opts->hold_bytes ? opts->hold_bytes : (size_t)64 << 20;
	if (opts->output) {
		if (!(tmp = temp_beside(opts->output)) || !(s.f = fopen(tmp, "wb"))) {
			code = cli_error("%s: %s", opts->output, strerror(errno));
			goto done;
		}
		s.hold = 0;
	}
	table tb = {(size_t)schema.n_children, 0, 0, NULL, NULL};
	int64_t max_rows = opts->table_rows > 0 ? opts->table_rows : 100;
	bool more = false;
	if (opts->format == SCAN_FORMAT_TABLE) {
		if (!(tb.right = calloc(tb.ncols ? tb.ncols : 1, sizeof(bool)))) {
			code = cli_error("scan: out of memory");
			goto done;
		}
		for (size_t c = 0; c < tb.ncols; c++)
			tb.right[c] = strchr("cCsSiIlLfgd", schema.children[c]->format[0]) != NULL;
	} else if (opts->format == SCAN_FORMAT_CSV) {
		csv_header(&s, &schema);
	}
	for (;;) {
		struct ArrowArray b;
		if (st->get_next(st, &b) != 0) {
			code = stream_failed(st);
			break;
		}
		if (!b.release)
			break;
		if (opts->format == SCAN_FORMAT_TABLE) {
			if ((int64_t)tb.nrows + b.length > max_rows)
				more = true;
			code = table_add(&tb, &schema, type, &b, max_rows);
			rows = (int64_t)tb.nrows;
		} else {
			code = write_rows(&s, opts->format, &schema, type, &b);
			rows += b.length;
		}
		b.release(&b);
		if (code || more)
			break;
	}
	if (!code && opts->format == SCAN_FORMAT_TABLE)
		table_print(&s, &tb, &schema, more);
	if (!code) {
		s.hold = 0;
		sink_flush(&s);
		if (s.failed || fflush(s.f) != 0)
			code = cli_error("scan: writing the output: %s", strerror(errno));
	}
	for (size_t i = 0; i < tb.nrows * tb.ncols; i++)
		free(tb.cells[i]);
	free(tb.cells);
	free(tb.right);
done:
	if (opts->output && s.f) {
		if (fclose(s.f) != 0 && !code)
			code = cli_error("%s: %s", opts->output, strerror(errno));
		if (!code && rename(tmp, opts->output) != 0)
			code = cli_error("%s: %s", opts->output, strerror(errno));
	} else if (code && s.hold) {
		/* held output is dropped: nothing half-way reaches stdout */
		s.len = 0;
	} else if (code) {
		sink_flush(&s); /* rows already streamed stay; the error follows */
	}
	if (tmp) {
		if (code)
			unlink(tmp);
		free(tmp);
	}
	free(s.buf);
	schema.release(&schema);
	if (rows_out)
		*rows_out = rows;
	return code;
}
