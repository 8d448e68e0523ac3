/*
 * util/uri.c - scheme detection, joining and local-path extraction.
 */
#include <string.h>
#include <unistd.h>

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
