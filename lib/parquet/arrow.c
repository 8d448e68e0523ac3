/*
 * parquet/arrow.c - the rendering of Arrow values as JSON or text that
 * tools use to print rows (the arrays and schemas themselves are
 * util/arrow.c's).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "util/datetime.h"
#include "util/int128.h"
#include "util/json.h"
#include "util/strutil.h"

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
	/* Integers without printf: a column of them is millions of calls. */
	case 'c': return ice_buf__put(buf, tmp, ice_str__from_int64(tmp, VAL(int8_t)));
	case 'C': return ice_buf__put(buf, tmp, ice_str__from_uint64(tmp, VAL(uint8_t)));
	case 's': return ice_buf__put(buf, tmp, ice_str__from_int64(tmp, VAL(int16_t)));
	case 'S': return ice_buf__put(buf, tmp, ice_str__from_uint64(tmp, VAL(uint16_t)));
	case 'i': return ice_buf__put(buf, tmp, ice_str__from_int64(tmp, VAL(int32_t)));
	case 'I': return ice_buf__put(buf, tmp, ice_str__from_uint64(tmp, VAL(uint32_t)));
	case 'l': return ice_buf__put(buf, tmp, ice_str__from_int64(tmp, VAL(int64_t)));
	case 'L': return ice_buf__put(buf, tmp, ice_str__from_uint64(tmp, VAL(uint64_t)));
	case 'e':
	case 'f':
	case 'g': {
		double d = f[0] == 'g' ? VAL(double) : f[0] == 'f' ? (double)VAL(float) : (double)half_to_float(VAL(uint16_t));
		if (isnan(d) || isinf(d)) {
			*quoted = true;
			*number = false;
			return ice_buf__puts(buf, isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
		}
		/* As ice scan prints them: the shortest text that reads back as the
		 * same value, with a fraction (17.0, not 17). */
		char text[40];
		size_t n = f[0] == 'g' ? ice_json__format_double(d, text) : ice_json__format_float((float)d, text);
		return ice_buf__put(buf, text, n);
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
	if ((f[0] == 'u' || f[0] == 'U') && f[1] == '\0') {
		/* A valid string is escaped from the array itself, not copied
		 * first: a 1 GiB value costs its JSON text only. */
		int64_t start = f[0] == 'U' ? ((const int64_t *)a->buffers[1])[j] : ((const int32_t *)a->buffers[1])[j];
		int64_t end = f[0] == 'U' ? ((const int64_t *)a->buffers[1])[j + 1] : ((const int32_t *)a->buffers[1])[j + 1];
		const uint8_t *data = (const uint8_t *)a->buffers[2] + start;
		if (ice_utf8__valid(data, (size_t)(end - start)))
			return ice_json_string_n(w, (const char *)data, (size_t)(end - start));
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
