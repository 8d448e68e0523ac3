/*
 * util/uri.h - locations as Iceberg uses them: absolute URIs with a scheme
 * (s3://b/k, file:/p, file:///p) or scheme-less paths, joined with '/'
 * exactly as the spec's "Path Resolution" says (no normalisation).
 */
#ifndef ICE_UTIL_URI_H
#define ICE_UTIL_URI_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the scheme (without ':') when `s` starts with an RFC 3986 scheme
 * followed by ':', else 0. A single letter followed by ":\" is not a scheme. */
size_t ice_uri__scheme_len(const char *s);
bool ice_uri__has_scheme(const char *s);
/* True for "file:" URIs and scheme-less paths. */
bool ice_uri__is_local(const char *s);
/* The local path of a file: URI or plain path, allocated ("file:///a" ->
 * "/a", "file:/a" -> "/a", "file://rel/x" -> "rel/x"). NULL for other
 * schemes (with ICE_EUNSUPPORTED raised) or out of memory. */
char *ice_uri__local_path(const char *s);
/* base + "/" + rel (allocated). */
char *ice_uri__join(const char *base, const char *rel);
/* Last path segment (borrowed pointer into s). */
const char *ice_uri__basename(const char *s);
/* Everything before the last '/', allocated; "" when there is none. */
char *ice_uri__dirname(const char *s);
/* A location made absolute: URIs and absolute paths as they are, a
 * relative path joined to the working directory (leading "./" dropped);
 * trailing slashes trimmed. Allocated. */
char *ice_uri__absolute(const char *s);

#endif
