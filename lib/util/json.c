/*
 * util/json.c - a JSON parser (RFC 8259) building an immutable document in
 * one arena: objects keep member order, integers are exact 64-bit values,
 * strings are validated UTF-8, nesting is bounded, and every syntax error
 * names the line and column. Every allocation goes through the library's
 * allocator, and any failure unwinds cleanly (see docs/internals/json.md).
 */
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "error.h"
#include "json.h"
#include "strutil.h"

#define MAX_DEPTH 512

typedef struct member member;

/* 16 bytes; array items and object members hold their values inline. */
struct ice_json {
	uint8_t type;  /* ice_json_type */
	uint32_t n;    /* array/object count, string length */
	union {
		int64_t i;
		double d;
		const char *s;
		ice_json *items;
		member *members;
	} u;
};

struct member {
	const char *key;
	uint32_t key_len;
	ice_json value;
};

typedef struct document {
	ice_arena arena;
	ice_json root;
} document;

typedef struct parser {
	char *p, *end, *start; /* a private copy of the input, parsed in place */
	const char *orig;      /* the caller's input, for error positions */
	const char *file;
	ice_arena *arena;
	/* scratch stacks for array items and object members being built */
	ice_json *items;
	size_t nitems, items_cap;
	member *members;
	size_t nmembers, members_cap;
	int depth;
} parser;

/* ---- errors ----------------------------------------------------------------- */

static int syntax(parser *ps, const char *at, const char *fmt, ...) ICE_PRINTF(3, 4);

/* `at` points into the private copy; positions are counted in the original
 * input (in-place unescaping may have changed the copy before `at`). */
static int syntax(parser *ps, const char *at, const char *fmt, ...)
{
	int line = 1, col = 1;
	char msg[256];
	va_list ap;
	const char *stop = ps->orig + (at - ps->start);
	for (const char *q = ps->orig; q < stop; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_JSON, "%s: line %d, column %d: %s", ps->file, line, col, msg);
}

/* ---- scanning ------------------------------------------------------------------ */

static void skip_ws(parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
		ps->p++;
}

static int hex4(parser *ps, uint32_t *out)
{
	uint32_t v = 0;
	if (ps->end - ps->p < 4)
		return syntax(ps, ps->p, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = ps->p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return syntax(ps, ps->p + i, "invalid \\u escape");
	}
	ps->p += 4;
	*out = v;
	return 0;
}

static size_t utf8_encode(uint32_t cp, char *u)
{
	if (cp < 0x80) {
		u[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	u[0] = (char)(0xf0 | (cp >> 18));
	u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	u[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Parses a string at ps->p (on the opening quote) in place: the closing
 * quote becomes the terminating NUL, escapes are decoded over the escaped
 * text (never longer than it), and the result points into the copy.
 */
static int scan_string(parser *ps, const char **out, size_t *len_out)
{
	char *open = ps->p++;
	char *start = ps->p, *w;
	unsigned char any = 0;
	/* Fast path: a run without escapes, eight bytes at a time. */
	ps->p += ice_json_plain_run((const uint8_t *)ps->p, (size_t)(ps->end - ps->p), &any);
	if (ps->p >= ps->end)
		return syntax(ps, open, "unterminated string");
	w = ps->p;
	while (*ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;
		if (c < 0x20)
			return syntax(ps, ps->p, "control character in a string");
		if (c != '\\') {
			any |= c;
			*w++ = *ps->p++;
			if (ps->p >= ps->end)
				return syntax(ps, open, "unterminated string");
			continue;
		}
		if (ps->end - ps->p < 2)
			return syntax(ps, open, "unterminated string");
		char e = ps->p[1];
		ps->p += 2;
		switch (e) {
		case '"': *w++ = '"'; break;
		case '\\': *w++ = '\\'; break;
		case '/': *w++ = '/'; break;
		case 'b': *w++ = '\b'; break;
		case 'f': *w++ = '\f'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 't': *w++ = '\t'; break;
		case 'u': {
			uint32_t cp, lo;
			char u[4];
			size_t n;
			int rc = hex4(ps, &cp);
			if (rc)
				return rc;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
					return syntax(ps, ps->p, "unpaired surrogate in \\u escape");
				ps->p += 2;
				if ((rc = hex4(ps, &lo)) != 0)
					return rc;
				if (lo < 0xdc00 || lo > 0xdfff)
					return syntax(ps, ps->p - 6, "invalid surrogate pair");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return syntax(ps, ps->p - 6, "unpaired surrogate in \\u escape");
			}
			n = utf8_encode(cp, u);
			memcpy(w, u, n);
			w += n;
			any |= 0x80;
			break;
		}
		default:
			return syntax(ps, ps->p - 2, "invalid escape '\\%c'", e);
		}
		if (ps->p >= ps->end)
			return syntax(ps, open, "unterminated string");
	}
	ps->p++; /* the closing quote */
	*w = '\0';
	size_t len = (size_t)(w - start);
	if ((any & 0x80) && !ice_utf8__valid((const uint8_t *)start, len))
		return syntax(ps, open, "invalid UTF-8 in a string");
	*out = start;
	*len_out = len;
	return 0;
}

static locale_t c_locale;
static pthread_once_t locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static int scan_number(parser *ps, ice_json *out)
{
	const char *s = ps->p;
	bool is_int = true;
	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p >= ps->end || !(*ps->p >= '0' && *ps->p <= '9'))
		return syntax(ps, s, "invalid number");
	if (*ps->p == '0') {
		ps->p++;
		if (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			return syntax(ps, s, "leading zero in a number");
	} else {
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && *ps->p == '.') {
		is_int = false;
		ps->p++;
		if (ps->p >= ps->end || !(*ps->p >= '0' && *ps->p <= '9'))
			return syntax(ps, s, "digits expected after '.'");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		is_int = false;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || !(*ps->p >= '0' && *ps->p <= '9'))
			return syntax(ps, s, "digits expected in the exponent");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	size_t len = (size_t)(ps->p - s);
	if (is_int) {
		out->type = ICE_JSON_INT;
		if (!ice_str__to_int64(s, len, &out->u.i))
			return syntax(ps, s, "integer %.*s is out of the 64-bit range", (int)(len > 40 ? 40 : len), s);
		return 0;
	}
	char tmp[128];
	if (len >= sizeof(tmp))
		return syntax(ps, s, "number too long");
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	pthread_once(&locale_once, make_c_locale);
	out->type = ICE_JSON_REAL;
	out->u.d = c_locale ? strtod_l(tmp, NULL, c_locale) : strtod(tmp, NULL);
	return 0;
}

static int parse_value(parser *ps, ice_json *out);

static int push_item(parser *ps, const ice_json *v)
{
	if (ps->nitems == ps->items_cap) {
		size_t cap = ps->items_cap ? ps->items_cap * 2 : 64;
		ice_json *p = ice__reallocarray(ps->items, cap, sizeof(*p));
		if (!p)
			return ICE_ERROR;
		ps->items = p;
		ps->items_cap = cap;
	}
	ps->items[ps->nitems++] = *v;
	return 0;
}

static int push_member(parser *ps, const char *key, size_t key_len, const ice_json *v)
{
	if (ps->nmembers == ps->members_cap) {
		size_t cap = ps->members_cap ? ps->members_cap * 2 : 64;
		member *p = ice__reallocarray(ps->members, cap, sizeof(*p));
		if (!p)
			return ICE_ERROR;
		ps->members = p;
		ps->members_cap = cap;
	}
	ps->members[ps->nmembers].key = key;
	ps->members[ps->nmembers].key_len = (uint32_t)key_len;
	ps->members[ps->nmembers].value = *v;
	ps->nmembers++;
	return 0;
}

static int parse_array(parser *ps, ice_json *out)
{
	const char *open = ps->p++;
	size_t base = ps->nitems;
	int rc;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
	} else {
		for (;;) {
			ice_json v; /* parsed here: the scratch stack may move meanwhile */
			if ((rc = parse_value(ps, &v)) != 0 || (rc = push_item(ps, &v)) != 0)
				return rc;
			skip_ws(ps);
			if (ps->p >= ps->end)
				return syntax(ps, open, "unterminated array");
			if (*ps->p == ',') {
				ps->p++;
				continue;
			}
			if (*ps->p == ']') {
				ps->p++;
				break;
			}
			return syntax(ps, ps->p, "',' or ']' expected");
		}
	}
	out->type = ICE_JSON_ARRAY;
	if (ps->nitems - base > UINT32_MAX)
		return syntax(ps, open, "array too large");
	out->n = (uint32_t)(ps->nitems - base);
	out->u.items = NULL;
	if (out->n) {
		if (!(out->u.items = ice_arena__alloc_raw(ps->arena, (size_t)out->n * sizeof(ice_json))))
			return ICE_ERROR;
		memcpy(out->u.items, ps->items + base, (size_t)out->n * sizeof(ice_json));
	}
	ps->nitems = base;
	return 0;
}

static int parse_object(parser *ps, ice_json *out)
{
	const char *open = ps->p++;
	size_t base = ps->nmembers;
	int rc;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
	} else {
		for (;;) {
			const char *key, *key_at;
			size_t key_len;
			skip_ws(ps);
			key_at = ps->p;
			if (ps->p >= ps->end || *ps->p != '"')
				return syntax(ps, ps->p, ps->p >= ps->end ? "unterminated object" : "string key expected");
			if ((rc = scan_string(ps, &key, &key_len)) != 0)
				return rc;
			/* Duplicate keys are ambiguous: reject them. */
			for (size_t i = base; i < ps->nmembers; i++)
				if (ps->members[i].key_len == key_len && memcmp(ps->members[i].key, key, key_len) == 0)
					return syntax(ps, key_at, "duplicate object key '%.*s'", (int)(key_len > 60 ? 60 : key_len),
					              key);
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return syntax(ps, ps->p, "':' expected");
			ps->p++;
			ice_json v;
			if ((rc = parse_value(ps, &v)) != 0 || (rc = push_member(ps, key, key_len, &v)) != 0)
				return rc;
			skip_ws(ps);
			if (ps->p >= ps->end)
				return syntax(ps, open, "unterminated object");
			if (*ps->p == ',') {
				ps->p++;
				continue;
			}
			if (*ps->p == '}') {
				ps->p++;
				break;
			}
			return syntax(ps, ps->p, "',' or '}' expected");
		}
	}
	out->type = ICE_JSON_OBJECT;
	if (ps->nmembers - base > UINT32_MAX)
		return syntax(ps, open, "object too large");
	out->n = (uint32_t)(ps->nmembers - base);
	out->u.members = NULL;
	if (out->n) {
		if (!(out->u.members = ice_arena__alloc_raw(ps->arena, (size_t)out->n * sizeof(member))))
			return ICE_ERROR;
		memcpy(out->u.members, ps->members + base, (size_t)out->n * sizeof(member));
	}
	ps->nmembers = base;
	return 0;
}

static bool literal(parser *ps, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, word, n) == 0) {
		ps->p += n;
		return true;
	}
	return false;
}

static int parse_value(parser *ps, ice_json *out)
{
	int rc;
	skip_ws(ps);
	if (ps->p >= ps->end)
		return syntax(ps, ps->p, "unexpected end of input, a value expected");
	out->n = 0;
	switch (*ps->p) {
	case '{':
	case '[':
		if (++ps->depth > MAX_DEPTH)
			return syntax(ps, ps->p, "nested deeper than %d levels", MAX_DEPTH);
		rc = *ps->p == '{' ? parse_object(ps, out) : parse_array(ps, out);
		ps->depth--;
		return rc;
	case '"':
		out->type = ICE_JSON_STRING;
	{
		size_t len;
		int rc2 = scan_string(ps, &out->u.s, &len);
		if (!rc2 && len > UINT32_MAX)
			return syntax(ps, ps->p, "string too long");
		out->n = (uint32_t)len;
		return rc2;
	}
	case 't':
		if (literal(ps, "true")) {
			out->type = ICE_JSON_TRUE;
			return 0;
		}
		break;
	case 'f':
		if (literal(ps, "false")) {
			out->type = ICE_JSON_FALSE;
			return 0;
		}
		break;
	case 'n':
		if (literal(ps, "null")) {
			out->type = ICE_JSON_NULL;
			return 0;
		}
		break;
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return scan_number(ps, out);
	}
	return syntax(ps, ps->p, "unexpected character '%c'", *ps->p >= 0x20 && *ps->p < 0x7f ? *ps->p : '?');
}

int ice_json__parse(ice_json **out, const char *data, size_t len, const char *file)
{
	document *doc;
	parser ps;
	int rc;
	*out = NULL;
	if (!file)
		file = "<json>";
	if (len == 0)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_JSON, "%s: empty file", file);
	if (!(doc = ice__malloc(sizeof(*doc))))
		return ICE_ERROR;
	/* Documents are mostly strings and small nodes: size the first chunk
	 * from the input to keep the chunk count low. */
	ice_arena__init(&doc->arena, len < 4096 ? 4096 : len + len / 2 + 64);
	memset(&ps, 0, sizeof(ps));
	/* Parse a private copy in place: strings end up in it, NUL-terminated. */
	char *copy = ice_arena__alloc_raw(&doc->arena, len + 1);
	if (!copy) {
		ice_arena__free(&doc->arena);
		ice__free(doc);
		return ICE_ERROR;
	}
	memcpy(copy, data, len);
	copy[len] = '\0';
	ps.p = ps.start = copy;
	ps.end = copy + len;
	ps.orig = data;
	ps.file = file;
	ps.arena = &doc->arena;
	/* A UTF-8 byte order mark is tolerated. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		ps.p += 3;
	rc = parse_value(&ps, &doc->root);
	if (!rc) {
		skip_ws(&ps);
		if (ps.p != ps.end)
			rc = syntax(&ps, ps.p, "trailing characters after the document");
	}
	ice__free(ps.items);
	ice__free(ps.members);
	if (rc) {
		ice_arena__free(&doc->arena);
		ice__free(doc);
		return rc;
	}
	*out = &doc->root;
	return 0;
}

void ice_json__free(ice_json *json)
{
	if (!json)
		return;
	document *doc = (document *)((char *)json - offsetof(document, root));
	ice_arena__free(&doc->arena);
	ice__free(doc);
}

/* ---- access --------------------------------------------------------------------- */

ice_json_type ice_json__type(const ice_json *j)
{
	return (ice_json_type)j->type;
}

const char *ice_json__type_name(const ice_json *j)
{
	switch (j->type) {
	case ICE_JSON_OBJECT: return "an object";
	case ICE_JSON_ARRAY: return "an array";
	case ICE_JSON_STRING: return "a string";
	case ICE_JSON_INT: return "an integer";
	case ICE_JSON_REAL: return "a number";
	case ICE_JSON_TRUE:
	case ICE_JSON_FALSE: return "a boolean";
	case ICE_JSON_NULL: return "null";
	}
	return "?";
}

ice_json *ice_json__get(const ice_json *obj, const char *key)
{
	size_t len;
	if (!obj || obj->type != ICE_JSON_OBJECT)
		return NULL;
	len = strlen(key);
	for (size_t i = 0; i < obj->n; i++)
		if (obj->u.members[i].key_len == len && memcmp(obj->u.members[i].key, key, len) == 0)
			return &obj->u.members[i].value;
	return NULL;
}

size_t ice_json__size(const ice_json *j)
{
	return j->type == ICE_JSON_ARRAY || j->type == ICE_JSON_OBJECT ? j->n : 0;
}

ice_json *ice_json__at(const ice_json *arr, size_t i)
{
	return arr->type == ICE_JSON_ARRAY && i < arr->n ? &arr->u.items[i] : NULL;
}

const char *ice_json__str(const ice_json *j, size_t *len)
{
	if (j->type != ICE_JSON_STRING)
		return NULL;
	if (len)
		*len = j->n;
	return j->u.s;
}

int64_t ice_json__int(const ice_json *j)
{
	return j->type == ICE_JSON_INT ? j->u.i : 0;
}

double ice_json__number(const ice_json *j)
{
	return j->type == ICE_JSON_INT ? (double)j->u.i : j->type == ICE_JSON_REAL ? j->u.d : 0.0;
}

bool ice_json__is_bool(const ice_json *j)
{
	return j->type == ICE_JSON_TRUE || j->type == ICE_JSON_FALSE;
}

bool ice_json__is_number(const ice_json *j)
{
	return j->type == ICE_JSON_INT || j->type == ICE_JSON_REAL;
}

void ice_json__iter_init(ice_json_iter *iter, const ice_json *obj)
{
	iter->obj = obj;
	iter->next = 0;
}

bool ice_json__iter_next(ice_json_iter *iter, const char **key, ice_json **value)
{
	const ice_json *o = iter->obj;
	if (!o || o->type != ICE_JSON_OBJECT || iter->next >= o->n)
		return false;
	*key = o->u.members[iter->next].key;
	*value = &o->u.members[iter->next].value;
	iter->next++;
	return true;
}

int ice_json__write(const ice_json *j, ice_json_writer *w)
{
	switch ((ice_json_type)j->type) {
	case ICE_JSON_NULL: return ice_json_null(w);
	case ICE_JSON_TRUE: return ice_json_bool(w, true);
	case ICE_JSON_FALSE: return ice_json_bool(w, false);
	case ICE_JSON_INT: return ice_json_int(w, j->u.i);
	case ICE_JSON_REAL: return ice_json_double(w, j->u.d);
	case ICE_JSON_STRING: return ice_json_string_n(w, j->u.s, j->n);
	case ICE_JSON_ARRAY:
		ice_json_begin_array(w);
		for (uint32_t i = 0; i < j->n; i++)
			ice_json__write(&j->u.items[i], w);
		return ice_json_end_array(w);
	case ICE_JSON_OBJECT:
		ice_json_begin_object(w);
		for (uint32_t i = 0; i < j->n; i++) {
			ice_json_key(w, j->u.members[i].key);
			ice_json__write(&j->u.members[i].value, w);
		}
		return ice_json_end_object(w);
	}
	return 0;
}
