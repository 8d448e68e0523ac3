/*
 * util/json_writer.c - streaming JSON output with stable formatting: the
 * library's metadata writer and the tools' --json output both use it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "dtoa.h"
#include "error.h"
#include "json.h"
#include "strutil.h"

void ice_jw__init(ice_json_writer *w, int flags)
{
	memset(w, 0, sizeof(*w));
	ice_buf__init(&w->buf, 0);
	w->flags = flags;
}

int ice_jw__fail(ice_json_writer *w, int rc)
{
	if (!w->error)
		w->error = rc ? rc : ICE_ERROR;
	return w->error;
}

void ice_jw__free(ice_json_writer *w)
{
	ice_buf__free(&w->buf);
}

int ice_json_writer_new(ice_json_writer **out, int flags)
{
	ice_json_writer *w = ice__malloc(sizeof(*w));
	*out = NULL;
	if (!w)
		return ICE_ERROR;
	ice_jw__init(w, flags);
	*out = w;
	return 0;
}

void ice_json_writer_free(ice_json_writer *w)
{
	if (!w)
		return;
	ice_jw__free(w);
	ice__free(w);
}

static void newline(ice_json_writer *w)
{
	ice_buf__putc(&w->buf, '\n');
	for (int i = 0; i < w->depth; i++)
		ice_buf__put(&w->buf, "  ", 2);
}

/* Emits the separator before a value (not after a key). */
static int before_value(ice_json_writer *w)
{
	if (w->error)
		return w->error;
	if (w->after_key) {
		w->after_key = false;
		return 0;
	}
	if (w->need_comma)
		ice_buf__putc(&w->buf, ',');
	if ((w->flags & ICE_JSON_PRETTY) && w->depth > 0)
		newline(w);
	return 0;
}

static int after_value(ice_json_writer *w)
{
	w->need_comma = true;
	if (w->buf.error && !w->error)
		w->error = w->buf.error;
	return w->error;
}

static int open_container(ice_json_writer *w, char c)
{
	if (before_value(w))
		return w->error;
	ice_buf__putc(&w->buf, c);
	w->depth++;
	w->need_comma = false;
	return w->buf.error ? (w->error = w->buf.error) : 0;
}

static int close_container(ice_json_writer *w, char c)
{
	if (w->error)
		return w->error;
	if (w->depth == 0)
		return w->error = ice_error__set(ICE_ERROR, ICE_ERRCLASS_JSON, "json writer: unbalanced close");
	w->depth--;
	if ((w->flags & ICE_JSON_PRETTY) && w->need_comma)
		newline(w);
	ice_buf__putc(&w->buf, c);
	return after_value(w);
}

int ice_json_begin_object(ice_json_writer *w)
{
	return open_container(w, '{');
}

int ice_json_end_object(ice_json_writer *w)
{
	return close_container(w, '}');
}

int ice_json_begin_array(ice_json_writer *w)
{
	return open_container(w, '[');
}

int ice_json_end_array(ice_json_writer *w)
{
	return close_container(w, ']');
}

/* Returns nonzero when the text had non-ASCII bytes. */
static uint8_t put_escaped(ice_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *u = (const uint8_t *)s;
	size_t i = 0;
	uint8_t high = 0;
	ice_buf__putc(b, '"');
	while (i < len) {
		size_t run = ice_json_plain_run(u + i, len - i, &high);
		ice_buf__put(b, s + i, run);
		i += run;
		if (i >= len)
			break;
		unsigned char c = u[i++];
		const char *esc;
		char e[7];
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			e[0] = '\\';
			e[1] = 'u';
			e[2] = '0';
			e[3] = '0';
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			e[6] = '\0';
			esc = e;
		}
		ice_buf__puts(b, esc);
	}
	ice_buf__putc(b, '"');
	return high & 0x80;
}

int ice_json_key(ice_json_writer *w, const char *key)
{
	if (before_value(w))
		return w->error;
	put_escaped(&w->buf, key, strlen(key));
	ice_buf__put(&w->buf, ": ", (w->flags & ICE_JSON_PRETTY) ? 2 : 1);
	w->after_key = true;
	return w->buf.error ? (w->error = w->buf.error) : 0;
}

int ice_json_string_n(ice_json_writer *w, const char *s, size_t len)
{
	if (before_value(w))
		return w->error;
	if (put_escaped(&w->buf, s, len) && !ice_utf8__valid((const uint8_t *)s, len))
		return w->error = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_JSON,
		                                 "json writer: a string is not valid UTF-8");
	return after_value(w);
}

int ice_json_string(ice_json_writer *w, const char *s)
{
	return ice_json_string_n(w, s, strlen(s));
}

int ice_json_int(ice_json_writer *w, int64_t v)
{
	char tmp[24];
	size_t n = sizeof(tmp);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	if (before_value(w))
		return w->error;
	do {
		tmp[--n] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--n] = '-';
	ice_buf__put(&w->buf, tmp + n, sizeof(tmp) - n);
	return after_value(w);
}

size_t ice_json__format_double(double v, char *out)
{
	size_t n = ice_dtoa__format_g(v, 1, out);
	/* Make it read as a number with a fraction or exponent, like 1.0. */
	if (!strpbrk(out, ".eEn")) {
		out[n++] = '.';
		out[n++] = '0';
		out[n] = '\0';
	}
	return n;
}

size_t ice_json_format_double(char out[32], double v, int min_precision)
{
	return ice_dtoa__format_g(v, min_precision < 1 ? 1 : min_precision > 17 ? 17 : min_precision, out);
}

size_t ice_json__format_float(float v, char *out)
{
	int n = 0;
	for (int prec = 1; prec <= 9; prec++) {
		n = snprintf(out, 32, "%.*g", prec, (double)v);
		if (strtof(out, NULL) == v)
			break;
	}
	if (!strpbrk(out, ".eEn")) {
		out[n++] = '.';
		out[n++] = '0';
		out[n] = '\0';
	}
	return (size_t)n;
}

static int number_text(ice_json_writer *w, double v, bool is_float)
{
	char tmp[40];
	size_t n;
	if (before_value(w))
		return w->error;
	if (!isfinite(v))
		return w->error = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_JSON,
		                                 "json writer: %g cannot be written as JSON", v);
	n = is_float ? ice_json__format_float((float)v, tmp) : ice_json__format_double(v, tmp);
	ice_buf__put(&w->buf, tmp, n);
	return after_value(w);
}

int ice_json_double(ice_json_writer *w, double v)
{
	return number_text(w, v, false);
}

int ice_json_float(ice_json_writer *w, float v)
{
	return number_text(w, (double)v, true);
}

int ice_json_bool(ice_json_writer *w, bool v)
{
	if (before_value(w))
		return w->error;
	ice_buf__puts(&w->buf, v ? "true" : "false");
	return after_value(w);
}

int ice_json_null(ice_json_writer *w)
{
	if (before_value(w))
		return w->error;
	ice_buf__puts(&w->buf, "null");
	return after_value(w);
}

int ice_json_raw(ice_json_writer *w, const char *json, size_t len)
{
	if (before_value(w))
		return w->error;
	ice_buf__put(&w->buf, json, len);
	return after_value(w);
}

int ice_json_writer_finish(ice_json_writer *w, const char **data_out, size_t *len_out)
{
	if (!w->error && w->depth != 0)
		w->error = ice_error__set(ICE_ERROR, ICE_ERRCLASS_JSON, "json writer: unclosed container");
	if (!w->error && (w->flags & ICE_JSON_PRETTY) && (w->buf.len == 0 || w->buf.ptr[w->buf.len - 1] != '\n'))
		ice_buf__putc(&w->buf, '\n');
	if (!w->error && w->buf.error)
		w->error = w->buf.error;
	if (w->error)
		return w->error;
	if (data_out)
		*data_out = ice_buf__cstr(&w->buf);
	if (len_out)
		*len_out = w->buf.len;
	return 0;
}
