/*
 * serve/names.c - namespaces and table names as they arrive: percent-
 * encoded path segments (levels separated by the spec's 0x1F unit separator,
 * or by '.', which Java's fixture advertises), query values, and JSON arrays
 * and TableIdentifier objects. Every level is checked before it reaches the
 * catalog: non-empty, at most 255 bytes of UTF-8, no control characters, no
 * '/', '\' or '.', so a name can never step outside the warehouse.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "util/alloc.h"
#include "util/strutil.h"

#define MAX_LEVEL 255
#define MAX_LEVELS 32

bool serve_decode(const char *s, size_t len, bool plus_is_space, char **out)
{
	char *d = ice__malloc(len + 1);
	size_t n = 0;
	*out = NULL;
	if (!d)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= len || (hi = ice_hex__value(s[i + 1])) < 0 || (lo = ice_hex__value(s[i + 2])) < 0) {
				ice__free(d);
				return false;
			}
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (c == '\0') {
			ice__free(d);
			return false;
		}
		d[n++] = c;
	}
	d[n] = '\0';
	*out = d;
	return true;
}

/* Checks one level; NULL when fine, else why not. */
static const char *level_problem(const char *s, size_t len)
{
	if (len == 0)
		return "an empty level";
	if (len > MAX_LEVEL)
		return "a level longer than 255 bytes";
	if (!ice_utf8__valid((const uint8_t *)s, len))
		return "a level that is not UTF-8";
	if (s[0] == '.')
		return "a level starting with '.'";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return "a control character";
		if (c == '/' || c == '\\')
			return "'/' or '\\' in a level";
		if (c == '.')
			return "'.' in a level";
	}
	return NULL;
}

bool serve_check_name(serve_req *r, const char *name, const char *what)
{
	const char *why = level_problem(name, strlen(name));
	if (why) {
		serve_error(r, 400, "BadRequestException", "invalid %s: %s", what, why);
		return false;
	}
	return true;
}

bool serve_ns_from_text(serve_req *r, const char *text, char **out)
{
	size_t len = strlen(text), levels = 0;
	char *d = ice__malloc(len + 1);
	const char *p = text;
	*out = NULL;
	if (!d) {
		serve_error(r, 503, "ServiceUnavailableException", "out of memory; try again");
		return false;
	}
	memcpy(d, text, len + 1);
	for (;;) {
		size_t n = 0;
		while (p[n] && p[n] != 0x1f && p[n] != '.')
			n++;
		/* '.' and 0x1F are the separators here, so a level never holds one. */
		const char *why = level_problem(p, n);
		if (!why && ++levels > MAX_LEVELS)
			why = "more than 32 levels";
		if (why) {
			ice__free(d);
			serve_error(r, 400, "BadRequestException", "invalid namespace: %s", why);
			return false;
		}
		d[p - text + n] = p[n] ? '.' : '\0';
		if (!p[n])
			break;
		p += n + 1;
	}
	*out = d;
	return true;
}

bool serve_ns_from_json(serve_req *r, const ice_json *arr, const char *where, char **out)
{
	ice_buf b = ICE_BUF_INIT;
	size_t n;
	*out = NULL;
	if (!arr || ice_json__type(arr) != ICE_JSON_ARRAY) {
		serve_error(r, 400, "BadRequestException", "%s: expected an array of namespace levels", where);
		return false;
	}
	n = ice_json__size(arr);
	if (n == 0 || n > MAX_LEVELS) {
		serve_error(r, 400, "BadRequestException", "%s: a namespace has 1 to 32 levels", where);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const ice_json *e = ice_json__at(arr, i);
		size_t len;
		const char *s, *why;
		if (ice_json__type(e) != ICE_JSON_STRING) {
			ice_buf__free(&b);
			serve_error(r, 400, "BadRequestException", "%s[%zu]: expected a string", where, i);
			return false;
		}
		s = ice_json__str(e, &len);
		if (memchr(s, '\0', len))
			why = "a NUL character";
		else
			why = level_problem(s, len);
		if (why) {
			ice_buf__free(&b);
			serve_error(r, 400, "BadRequestException", "%s[%zu]: invalid namespace: %s", where, i, why);
			return false;
		}
		if (i)
			ice_buf__putc(&b, '.');
		ice_buf__put(&b, s, len);
	}
	if (!(*out = ice_buf__detach(&b, NULL))) {
		serve_error(r, 503, "ServiceUnavailableException", "out of memory; try again");
		return false;
	}
	return true;
}

bool serve_ident_from_json(serve_req *r, const ice_json *obj, const char *where, char **out)
{
	char *ns = NULL, *ident;
	const ice_json *name;
	const char *s;
	size_t len;
	char path[128];
	*out = NULL;
	if (!obj || ice_json__type(obj) != ICE_JSON_OBJECT) {
		serve_error(r, 400, "BadRequestException", "%s: expected a table identifier object", where);
		return false;
	}
	snprintf(path, sizeof(path), "%s.namespace", where);
	if (!serve_ns_from_json(r, ice_json__get(obj, "namespace"), path, &ns))
		return false;
	name = ice_json__get(obj, "name");
	if (!name || ice_json__type(name) != ICE_JSON_STRING) {
		ice__free(ns);
		serve_error(r, 400, "BadRequestException", "%s.name: expected a string", where);
		return false;
	}
	s = ice_json__str(name, &len);
	if (memchr(s, '\0', len) || !serve_check_name(r, s, "table name")) {
		if (r->status == 0)
			serve_error(r, 400, "BadRequestException", "invalid table name: a NUL character");
		ice__free(ns);
		return false;
	}
	if (!(ident = ice__malloc(strlen(ns) + len + 2))) {
		ice__free(ns);
		serve_error(r, 503, "ServiceUnavailableException", "out of memory; try again");
		return false;
	}
	sprintf(ident, "%s.%s", ns, s);
	ice__free(ns);
	*out = ident;
	return true;
}

void serve_write_ns(ice_json_writer *w, const char *dotted, size_t len)
{
	const char *p = dotted, *end = dotted + len;
	ice_json_begin_array(w);
	while (p < end) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		const char *e = dot ? dot : end;
		ice_json_string_n(w, p, (size_t)(e - p));
		p = dot ? dot + 1 : end;
	}
	ice_json_end_array(w);
}

bool serve_string(serve_req *r, const ice_json *j, const char *where, const char **out)
{
	size_t len = 0;
	*out = NULL;
	if (!j || ice_json__type(j) != ICE_JSON_STRING) {
		serve_error(r, 400, "BadRequestException", "%s: expected a string", where);
		return false;
	}
	*out = ice_json__str(j, &len);
	if (memchr(*out, '\0', len)) {
		*out = NULL;
		serve_error(r, 400, "BadRequestException", "%s: a NUL character", where);
		return false;
	}
	return true;
}
