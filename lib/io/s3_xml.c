/*
 * io/s3_xml.c - the XML S3 answers with (errors, ListObjectsV2 pages,
 * multipart upload ids, DeleteObjects results), read into a small tree.
 * Only what those documents use: elements, attributes (skipped), text,
 * the five named entities and numeric character references, CDATA,
 * comments and the XML declaration. No DTDs, no entity definitions (a
 * document that declares any is refused, so no expansion can blow up).
 * Names keep no namespace prefix ("s3:Key" is "Key"). Depth, size and
 * node count are bounded; every node lives in the caller's arena.
 * Fuzzed with the HTTP head parser (tests/fuzz/fuzz_http.c).
 */
#include <string.h>

#include "s3.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"

#define MAX_DEPTH 32
#define MAX_NODES 200000

typedef struct xml_parser {
	const char *p, *end;
	ice_arena *arena;
	const char *what;
	size_t nodes;
	ice_buf text;
} xml_parser;

static int xml_fail(xml_parser *x, const char *why)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: XML response: %s", x->what ? x->what : "S3", why);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
	       c == '.' || c == ':' || (unsigned char)c >= 0x80;
}

static void skip_space(xml_parser *x)
{
	while (x->p < x->end && is_space(*x->p))
		x->p++;
}

static bool starts(xml_parser *x, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(x->end - x->p) >= n && memcmp(x->p, s, n) == 0;
}

/* Skips past `term`; false when it never comes. */
static bool skip_past(xml_parser *x, const char *term)
{
	size_t n = strlen(term);
	while ((size_t)(x->end - x->p) >= n) {
		if (memcmp(x->p, term, n) == 0) {
			x->p += n;
			return true;
		}
		x->p++;
	}
	return false;
}

/* UTF-8 of a code point. */
static void put_utf8(ice_buf *b, uint32_t cp)
{
	char u[4];
	if (cp < 0x80) {
		ice_buf__putc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		ice_buf__put(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		ice_buf__put(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		ice_buf__put(b, u, 4);
	}
}

/* An entity after '&' into x->text. */
static int entity(xml_parser *x)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (starts(x, named[i].name)) {
			x->p += strlen(named[i].name);
			ice_buf__putc(&x->text, named[i].c);
			return 0;
		}
	if (x->p < x->end && *x->p == '#') {
		uint32_t cp = 0;
		bool hex = x->p + 1 < x->end && x->p[1] == 'x';
		int digits = 0;
		x->p += hex ? 2 : 1;
		while (x->p < x->end && *x->p != ';') {
			char c = *x->p;
			int v = c >= '0' && c <= '9' ? c - '0'
			        : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
			        : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
			                                      : -1;
			if (v < 0 || ++digits > 8)
				return xml_fail(x, "malformed character reference");
			cp = cp * (hex ? 16 : 10) + (uint32_t)v;
			x->p++;
		}
		if (x->p >= x->end || digits == 0 || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return xml_fail(x, "malformed character reference");
		x->p++;
		put_utf8(&x->text, cp);
		return 0;
	}
	return xml_fail(x, "unknown entity");
}

static ice_s3_xml *new_node(xml_parser *x, const char *name, size_t n)
{
	ice_s3_xml *node;
	const char *colon = memrchr(name, ':', n);
	if (colon) {
		n -= (size_t)(colon + 1 - name);
		name = colon + 1;
	}
	if (!n) {
		xml_fail(x, "element without a name");
		return NULL;
	}
	if (++x->nodes > MAX_NODES) {
		xml_fail(x, "too many elements");
		return NULL;
	}
	node = ice_arena__alloc(x->arena, sizeof(*node));
	if (!node || !(node->name = ice_arena__strndup(x->arena, name, n)))
		return NULL;
	node->text = "";
	return node;
}

/* Parses one element whose '<' is at x->p. */
static int element(xml_parser *x, int depth, ice_s3_xml **out)
{
	ice_s3_xml *node, *last = NULL;
	const char *name;
	size_t name_len;
	int rc;
	*out = NULL;
	if (depth > MAX_DEPTH)
		return xml_fail(x, "elements nested too deeply");
	x->p++; /* '<' */
	name = x->p;
	while (x->p < x->end && is_name_char(*x->p))
		x->p++;
	name_len = (size_t)(x->p - name);
	if (!name_len)
		return xml_fail(x, "element without a name");
	if (!(node = new_node(x, name, name_len)))
		return ice_error__code();
	/* Attributes: name="value" or name='value', skipped. */
	for (;;) {
		skip_space(x);
		if (x->p >= x->end)
			return xml_fail(x, "unterminated start tag");
		if (*x->p == '/' || *x->p == '>')
			break;
		while (x->p < x->end && is_name_char(*x->p))
			x->p++;
		skip_space(x);
		if (x->p >= x->end || *x->p != '=')
			return xml_fail(x, "malformed attribute");
		x->p++;
		skip_space(x);
		if (x->p >= x->end || (*x->p != '"' && *x->p != '\''))
			return xml_fail(x, "malformed attribute");
		char q = *x->p++;
		const char *close = memchr(x->p, q, (size_t)(x->end - x->p));
		if (!close || memchr(x->p, '<', (size_t)(close - x->p)))
			return xml_fail(x, "malformed attribute");
		x->p = close + 1;
	}
	if (*x->p == '/') {
		if (x->p + 1 >= x->end || x->p[1] != '>')
			return xml_fail(x, "malformed empty-element tag");
		x->p += 2;
		*out = node;
		return 0;
	}
	x->p++; /* '>' */
	ice_buf__clear(&x->text);
	for (;;) {
		if (x->p >= x->end)
			return xml_fail(x, "document ends inside an element");
		if (*x->p == '&') {
			x->p++;
			if ((rc = entity(x)) != 0)
				return rc;
		} else if (*x->p != '<') {
			const char *lt = memchr(x->p, '<', (size_t)(x->end - x->p));
			const char *amp = memchr(x->p, '&', (size_t)((lt ? lt : x->end) - x->p));
			const char *stop = amp ? amp : lt ? lt : x->end;
			ice_buf__put(&x->text, x->p, (size_t)(stop - x->p));
			x->p = stop;
		} else if (starts(x, "<![CDATA[")) {
			const char *start = x->p + 9;
			x->p = start;
			if (!skip_past(x, "]]>"))
				return xml_fail(x, "unterminated CDATA section");
			ice_buf__put(&x->text, start, (size_t)(x->p - 3 - start));
		} else if (starts(x, "<!--")) {
			if (!skip_past(x, "-->"))
				return xml_fail(x, "unterminated comment");
		} else if (starts(x, "</")) {
			x->p += 2;
			const char *cn = x->p;
			while (x->p < x->end && is_name_char(*x->p))
				x->p++;
			if ((size_t)(x->p - cn) != name_len || memcmp(cn, name, name_len) != 0)
				return xml_fail(x, "mismatched end tag");
			skip_space(x);
			if (x->p >= x->end || *x->p != '>')
				return xml_fail(x, "malformed end tag");
			x->p++;
			break;
		} else if (starts(x, "<!") || starts(x, "<?")) {
			return xml_fail(x, "unexpected markup inside an element");
		} else {
			/* A child element: the text so far belongs to this node and
			 * is kept, since the child reuses the text buffer. */
			ice_s3_xml *child;
			char *saved = NULL;
			size_t saved_len = x->text.len;
			if (saved_len && !(saved = ice_arena__strndup(x->arena, ice_buf__cstr(&x->text), saved_len)))
				return ICE_ERROR;
			if ((rc = element(x, depth + 1, &child)) != 0)
				return rc;
			if (last)
				last->next = child;
			else
				node->children = child;
			last = child;
			ice_buf__clear(&x->text);
			if (saved)
				ice_buf__put(&x->text, saved, saved_len);
		}
		if (x->text.error)
			return x->text.error;
	}
	if (!node->children) {
		if (!(node->text = ice_arena__strndup(x->arena, ice_buf__cstr(&x->text), x->text.len)))
			return ICE_ERROR;
		node->text_len = x->text.len;
	}
	*out = node;
	return 0;
}

int ice_s3_xml__parse(ice_s3_xml **out, ice_arena *arena, const char *data, size_t len, const char *what)
{
	xml_parser x = {data, data + len, arena, what, 0, ICE_BUF_INIT};
	int rc;
	*out = NULL;
	ice_buf__init(&x.text, (size_t)16 << 20);
	/* Prolog: a byte order mark, the declaration, comments, blanks. */
	if (starts(&x, "\xEF\xBB\xBF"))
		x.p += 3;
	for (;;) {
		skip_space(&x);
		if (starts(&x, "<?")) {
			if (!skip_past(&x, "?>")) {
				ice_buf__free(&x.text);
				return xml_fail(&x, "unterminated declaration");
			}
		} else if (starts(&x, "<!--")) {
			if (!skip_past(&x, "-->")) {
				ice_buf__free(&x.text);
				return xml_fail(&x, "unterminated comment");
			}
		} else {
			break;
		}
	}
	if (x.p >= x.end || *x.p != '<' || starts(&x, "<!")) {
		ice_buf__free(&x.text);
		return xml_fail(&x, starts(&x, "<!") ? "document type declarations are not accepted" : "no root element");
	}
	rc = element(&x, 0, out);
	if (!rc) {
		skip_space(&x);
		while (!rc && starts(&x, "<!--")) {
			if (!skip_past(&x, "-->"))
				rc = xml_fail(&x, "unterminated comment");
			skip_space(&x);
		}
		if (!rc && x.p != x.end)
			rc = xml_fail(&x, "content after the root element");
	}
	ice_buf__free(&x.text);
	if (rc)
		*out = NULL;
	return rc;
}

const ice_s3_xml *ice_s3_xml__child(const ice_s3_xml *node, const char *name)
{
	for (const ice_s3_xml *c = node ? node->children : NULL; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const char *ice_s3_xml__text(const ice_s3_xml *node, const char *name)
{
	const ice_s3_xml *c = ice_s3_xml__child(node, name);
	return c ? c->text : NULL;
}
