/*
 * util/uri.c - scheme detection, joining and local-path extraction, and
 * redaction: locations with their credentials masked, for every message
 * that prints one.
 */
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"
#include "strutil.h"
#include "uri.h"

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

size_t ice_uri__scheme_len(const char *s)
{
	size_t i = 0;
	if (!s || !is_alpha(s[0]))
		return 0;
	for (i = 1; s[i]; i++) {
		char c = s[i];
		if (c == ':')
			break;
		if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.')
			return 0;
	}
	if (s[i] != ':')
		return 0;
	if (i == 1 && (s[2] == '\\' || s[2] == '/'))
		return 0; /* a Windows drive letter */
	return i;
}

bool ice_uri__has_scheme(const char *s)
{
	return ice_uri__scheme_len(s) > 0;
}

bool ice_uri__is_local(const char *s)
{
	size_t n = ice_uri__scheme_len(s);
	return n == 0 || (n == 4 && strncmp(s, "file", 4) == 0);
}

char *ice_uri__local_path(const char *s)
{
	size_t n = ice_uri__scheme_len(s);
	if (n == 0)
		return ice__strdup(s);
	if (n != 4 || strncmp(s, "file", 4) != 0) {
		ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_IO, "%s: no file system for scheme '%.*s'", s,
		               (int)n, s);
		return NULL;
	}
	s += 5; /* "file:" */
	if (strncmp(s, "///", 3) == 0)
		return ice__strdup(s + 2);
	if (strncmp(s, "//localhost/", 12) == 0)
		return ice__strdup(s + 11);
	if (strncmp(s, "//", 2) == 0)
		return ice__strdup(s + 2); /* file://relative/path as some writers emit */
	return ice__strdup(s);
}

char *ice_uri__join(const char *base, const char *rel)
{
	size_t a = strlen(base), b = strlen(rel);
	char *p = ice__malloc(a + b + 2);
	if (!p)
		return NULL;
	memcpy(p, base, a);
	p[a] = '/';
	memcpy(p + a + 1, rel, b + 1);
	return p;
}

const char *ice_uri__basename(const char *s)
{
	const char *slash = strrchr(s, '/');
	return slash ? slash + 1 : s;
}

char *ice_uri__dirname(const char *s)
{
	const char *slash = strrchr(s, '/');
	return ice__strndup(s, slash ? (size_t)(slash - s) : 0);
}

char *ice_uri__absolute(const char *s)
{
	char cwd[4096];
	size_t n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		n--;
	if (ice_uri__has_scheme(s) || s[0] == '/')
		return ice__strndup(s, n);
	if (!getcwd(cwd, sizeof(cwd))) {
		ice_error__os(s, "getcwd");
		return NULL;
	}
	while (n >= 2 && s[0] == '.' && s[1] == '/') {
		s += 2;
		n -= 2;
		while (n && s[0] == '/') {
			s++;
			n--;
		}
	}
	if (n == 0 || (n == 1 && s[0] == '.'))
		return ice__strdup(cwd);
	size_t c = strlen(cwd);
	char *out = ice__malloc(c + 1 + n + 1);
	if (!out)
		return NULL;
	memcpy(out, cwd, c);
	out[c] = '/';
	memcpy(out + c + 1, s, n);
	out[c + 1 + n] = '\0';
	return out;
}

/* ---- redaction ------------------------------------------------------------ */

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool contains_ci(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	for (size_t i = 0; i + m <= n; i++) {
		size_t j = 0;
		while (j < m && lower(s[i + j]) == needle[j])
			j++;
		if (j == m)
			return true;
	}
	return false;
}

bool ice_uri__secret_name(const char *name, size_t n)
{
	/* Substrings that name a credential in the parameters of the usual
	 * services (AWS presigned URLs, Azure SAS, OAuth2, API keys), and a
	 * few short names that only match whole. */
	static const char *const parts[] = {"token", "secret", "password", "passwd", "key", "signature",
	                                    "credential", "auth", "session", "cookie", NULL};
	static const char *const whole[] = {"sig", "pw", "pwd", "pass", "sas", "code", NULL};
	for (size_t i = 0; parts[i]; i++)
		if (contains_ci(name, n, parts[i]))
			return true;
	for (size_t i = 0; whole[i]; i++)
		if (ice_str__ieq(name, n, whole[i], strlen(whole[i])))
			return true;
	return false;
}

typedef struct out_buf {
	char *p;
	size_t cap, len;
} out_buf;

static void put(out_buf *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o->len++)
		if (o->len + 1 < o->cap)
			o->p[o->len] = s[i];
}

static size_t redact_into(out_buf *o, const char *uri)
{
	static const char mask[] = "***";
	size_t n = strlen(uri), i = 0, scheme = ice_uri__scheme_len(uri);
	if (scheme && strncmp(uri + scheme, "://", 3) == 0) {
		size_t start = scheme + 3, end = start, at = 0;
		while (end < n && uri[end] != '/' && uri[end] != '?' && uri[end] != '#')
			end++;
		for (size_t k = start; k < end; k++)
			if (uri[k] == '@')
				at = k; /* the last one: a password may hold '@' */
		put(o, uri, start);
		if (at) {
			put(o, mask, 3);
			put(o, uri + at, end - at);
		} else {
			put(o, uri + start, end - start);
		}
		i = end;
	}
	const char *q = strchr(uri + i, '?');
	size_t qpos = q ? (size_t)(q - uri) : n;
	put(o, uri + i, qpos - i);
	i = qpos;
	while (i < n && uri[i] != '#') {
		/* One parameter: separator, name, '=', value. */
		put(o, uri + i, 1);
		i++;
		size_t name = i;
		while (i < n && uri[i] != '=' && uri[i] != '&' && uri[i] != ';' && uri[i] != '#')
			i++;
		put(o, uri + name, i - name);
		if (i < n && uri[i] == '=') {
			bool secret = ice_uri__secret_name(uri + name, i - name);
			put(o, "=", 1);
			size_t value = ++i;
			while (i < n && uri[i] != '&' && uri[i] != ';' && uri[i] != '#')
				i++;
			if (secret)
				put(o, mask, 3);
			else
				put(o, uri + value, i - value);
		}
	}
	put(o, uri + i, n - i);
	return o->len;
}

const char *ice_uri__redact(char *dst, size_t cap, const char *uri)
{
	out_buf o = {dst, cap, 0};
	if (!cap)
		return dst;
	redact_into(&o, uri ? uri : "");
	dst[o.len < cap ? o.len : cap - 1] = '\0';
	return dst;
}

char *ice_uri__redacted(const char *uri)
{
	out_buf o = {NULL, 0, 0};
	size_t n = redact_into(&o, uri ? uri : "");
	char *p = ice__malloc(n + 1);
	if (!p)
		return NULL;
	return (char *)ice_uri__redact(p, n + 1, uri);
}

static bool scheme_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
	       c == '.';
}

static bool ends_token(char c)
{
	return c == '\0' || c == ' ' || c == '\'' || c == '"' || c == '(' || c == ')' || c == '<' || c == '>';
}

size_t ice_uri__redact_text(char *text, size_t cap, char *scratch)
{
	size_t n = strlen(text), from = 0, changed = 0;
	char *p;
	while ((p = strstr(text + from, "://")) != NULL) {
		size_t at = (size_t)(p - text), start = at, end = at + 3;
		while (start > 0 && scheme_char(text[start - 1]))
			start--;
		while (!ends_token(text[end]))
			end++;
		/* punctuation of the sentence around it is not the URI's */
		while (end > at + 3 && (text[end - 1] == ':' || text[end - 1] == ',' || text[end - 1] == '.' ||
		                        text[end - 1] == ';'))
			end--;
		if (start == at) {
			from = at + 3;
			continue;
		}
		size_t len = end - start;
		if (len >= cap)
			len = cap - 1;
		memcpy(scratch, text + start, len);
		scratch[len] = '\0';
		out_buf o = {scratch + len + 1, 2 * cap - len - 1, 0};
		size_t r = redact_into(&o, scratch);
		if (r >= o.cap)
			r = o.cap ? o.cap - 1 : 0;
		if (start + r > cap - 1)
			r = cap - 1 - start;
		if (r != len || memcmp(o.p, text + start, len) != 0) {
			/* splice: the redacted URI, then the rest of the text */
			size_t tail = n - end;
			if (start + r + tail >= cap)
				tail = cap - 1 - start - r;
			memmove(text + start + r, text + end, tail);
			memcpy(text + start, o.p, r);
			n = start + r + tail;
			text[n] = '\0';
			changed++;
		}
		from = start + r;
		if (from >= n)
			break;
	}
	return changed;
}
