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

/*
 * Redaction: what every message, log line or report that prints a location
 * or URI prints instead of it. Masks the userinfo of an authority (the
 * "user:pw" of https://user:pw@host/x becomes "***") and the values of
 * query parameters whose names look secret ("?token=abc&x=1" ->
 * "?token=***&x=1"; see ice_uri__secret_name). Writes at most `cap` bytes
 * into `dst` (always terminated, cut short if needed) and returns dst;
 * never allocates, so error messages can use it on the stack.
 */
const char *ice_uri__redact(char *dst, size_t cap, const char *uri);
/* Every URI with a scheme inside a sentence (an error message) redacted
 * in place; `text` holds `cap` bytes, `scratch` is 2 * cap bytes of room.
 * Returns how many were changed. */
size_t ice_uri__redact_text(char *text, size_t cap, char *scratch);
/* The same, allocated (NULL: out of memory). */
char *ice_uri__redacted(const char *uri);
/* Whether a parameter or configuration key names a credential: it contains
 * token, secret, password, passwd, key, signature, credential, auth,
 * session or cookie, or is sig, pw, pwd, pass, sas or code (any case). */
bool ice_uri__secret_name(const char *name, size_t n);

#endif
