/*
 * util/uri.c - scheme detection, joining and local-path extraction.
 */
#include <string.h>

#include "alloc.h"
#include "error.h"
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

/* The part compared by ice_uri__inside: file: URIs as paths. */
static const char *comparable(const char *loc)
{
	if (!strncmp(loc, "file://", 7))
		return loc + 7;
	if (!strncmp(loc, "file:", 5))
		return loc + 5;
	return loc;
}

static bool has_dot_segment(const char *p)
{
	const char *s = strstr(p, "://");
	s = s ? s + 3 : p;
	while (*s) {
		const char *slash = strchr(s, '/');
		size_t len = slash ? (size_t)(slash - s) : strlen(s);
		if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
			return true;
		if (!slash)
			break;
		s = slash + 1;
	}
	return false;
}

bool ice_uri__inside(const char *location, const char *root)
{
	const char *l, *r;
	size_t n;
	if (!location || !root)
		return false;
	l = comparable(location);
	r = comparable(root);
	n = strlen(r);
	while (n > 1 && r[n - 1] == '/')
		n--;
	if (has_dot_segment(l) || has_dot_segment(r) || strlen(l) <= n)
		return false;
	for (const char *p = l; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return !strncmp(l, r, n) && l[n] == '/';
}
