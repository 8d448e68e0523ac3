/*
 * util/error.c - the thread-local last error.
 *
 * Messages live in a fixed thread-local buffer so that raising an error never
 * allocates; out-of-memory uses a static message of its own.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "uri.h"

#define ERROR_MAX 2048

static _Thread_local char message[ERROR_MAX];
static _Thread_local char scratch[ERROR_MAX];
static _Thread_local ice_error last;
static _Thread_local bool has_error;

/* Out of memory: a static message, or "<file>: out of memory" once the
 * file being read or written when it happened is known. */
static _Thread_local char oom_message[ERROR_MAX];
static _Thread_local ice_error oom_error;
static _Thread_local bool is_oom;

const ice_error *ice_error_last(void)
{
	if (is_oom) {
		oom_error.code = ICE_ERROR;
		oom_error.klass = ICE_ERRCLASS_NOMEMORY;
		oom_error.message = oom_message[0] ? oom_message : "out of memory";
		return &oom_error;
	}
	return has_error ? &last : NULL;
}

void ice_error_clear(void)
{
	has_error = false;
	is_oom = false;
	message[0] = '\0';
	oom_message[0] = '\0';
}

const char *ice_error_code_name(int code)
{
	switch (code) {
	case ICE_OK: return "ok";
	case ICE_ERROR: return "error";
	case ICE_ENOTFOUND: return "not found";
	case ICE_EEXISTS: return "already exists";
	case ICE_EINVALID: return "invalid";
	case ICE_EUNSUPPORTED: return "unsupported";
	case ICE_ECONFLICT: return "conflict";
	case ICE_ECOMMITUNKNOWN: return "commit state unknown";
	case ICE_EAUTH: return "not authorized";
	case ICE_ITEROVER: return "iteration over";
	default: return "unknown error";
	}
}

static _Thread_local char redact_scratch[2 * ERROR_MAX];

/* ---- credentials this process holds ------------------------------------------------ */

/*
 * Every credential ice is handed or given (a REST token or client secret, a
 * header value, an S3 secret key or session token) is registered here and
 * masked in every message and trace line, whoever formats it: a server
 * that echoes a token in its error, or a library message that quotes a
 * value, cannot print it. Static storage: registering never allocates. A
 * secret longer than SECRET_KEEP - 1 bytes is kept by its start, and a
 * match is masked on over the token characters that follow.
 */
#define SECRET_SLOTS 64
#define SECRET_KEEP 128
#define SECRET_MIN 5

static pthread_mutex_t secret_mu = PTHREAD_MUTEX_INITIALIZER;
static char secrets[SECRET_SLOTS][SECRET_KEEP];
static size_t secret_lens[SECRET_SLOTS];
static size_t nsecrets, next_secret;

void ice_error__secret(const char *value, size_t len)
{
	if (!value || len < SECRET_MIN)
		return;
	if (len > SECRET_KEEP - 1)
		len = SECRET_KEEP - 1;
	if (memchr(value, '\0', len))
		len = strlen(value);
	if (len < SECRET_MIN)
		return;
	pthread_mutex_lock(&secret_mu);
	bool known = false;
	for (size_t i = 0; i < nsecrets && !known; i++)
		known = secret_lens[i] == len && memcmp(secrets[i], value, len) == 0;
	if (!known) {
		size_t slot = next_secret++ % SECRET_SLOTS;
		memcpy(secrets[slot], value, len);
		secrets[slot][len] = '\0';
		secret_lens[slot] = len;
		if (nsecrets < SECRET_SLOTS)
			nsecrets++;
	}
	pthread_mutex_unlock(&secret_mu);
}

static bool ends_with(const char *s, size_t n, const char *end)
{
	size_t e = strlen(end);
	return n >= e && memcmp(s + n - e, end, e) == 0;
}

void ice_error__secret_property(const char *key, size_t klen, const char *value, size_t vlen)
{
	static const char *const settings[] = {"type", "enabled", "uri", "url", "endpoint", "scope", "audience",
	                                       "resource", "-ms", "mode", "name", NULL};
	if (!key || !value || !ice_uri__secret_name(key, klen))
		return;
	for (size_t i = 0; settings[i]; i++)
		if (ends_with(key, klen, settings[i]))
			return; /* a setting about a credential, not one */
	size_t digits = 0;
	while (digits < vlen && value[digits] >= '0' && value[digits] <= '9')
		digits++;
	if (digits == vlen || (vlen == 4 && !memcmp(value, "true", 4)) || (vlen == 5 && !memcmp(value, "false", 5)))
		return;
	ice_error__secret(value, vlen);
	const char *colon = memchr(value, ':', vlen); /* a client credential: id:secret */
	if (colon)
		ice_error__secret(colon + 1, vlen - (size_t)(colon + 1 - value));
}

static bool token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~+/=", c);
}

/* Each registered secret in `m` (terminated) replaced by "***". */
static void mask_secrets(char *m)
{
	pthread_mutex_lock(&secret_mu);
	for (size_t i = 0; i < nsecrets; i++) {
		char *p = m;
		while ((p = strstr(p, secrets[i])) != NULL) {
			size_t n = secret_lens[i];
			if (n == SECRET_KEEP - 1)
				while (p[n] && token_char(p[n]))
					n++;
			memmove(p + 3, p + n, strlen(p + n) + 1);
			memcpy(p, "***", 3);
			p += 3;
		}
	}
	pthread_mutex_unlock(&secret_mu);
}

/* Replace control characters so the message stays on one line, and mask
 * credentials in any URI it names (userinfo, secret query parameters):
 * a message never carries a secret, whoever formatted it. */
static void one_line(char *s)
{
	char *m = s;
	for (; *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
	if (strstr(m, "://"))
		ice_uri__redact_text(m, ERROR_MAX, redact_scratch);
	mask_secrets(m);
}

int ice_error__vset(int code, int klass, const char *fmt, va_list ap)
{
	vsnprintf(message, sizeof(message), fmt, ap);
	one_line(message);
	last.code = code;
	last.klass = klass;
	last.message = message;
	has_error = true;
	is_oom = false;
	return code;
}

int ice_error__set(int code, int klass, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ice_error__vset(code, klass, fmt, ap);
	va_end(ap);
	return code;
}

int ice_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ice_error__vset(code, ICE_ERRCLASS_CALLBACK, fmt, ap);
	va_end(ap);
	return code;
}

int ice_error__oom(void)
{
	is_oom = true;
	oom_message[0] = '\0';
	return ICE_ERROR;
}

/* "<prefix>: <msg>" into msg (at most ERROR_MAX bytes), through scratch. */
static void prepend(char *msg, const char *fmt, va_list ap) ICE_PRINTF(2, 0);
static void prepend(char *msg, const char *fmt, va_list ap)
{
	size_t n;
	vsnprintf(scratch, sizeof(scratch), fmt, ap);
	n = strlen(scratch);
	if (n + 2 < sizeof(scratch)) {
		scratch[n++] = ':';
		scratch[n++] = ' ';
		size_t m = strlen(msg);
		if (m > sizeof(scratch) - n - 1)
			m = sizeof(scratch) - n - 1;
		memcpy(scratch + n, msg, m);
		scratch[n + m] = '\0';
	}
	memcpy(msg, scratch, ERROR_MAX);
	one_line(msg);
}

int ice_error__oom_in(const char *fmt, ...)
{
	char name[512];
	va_list ap;
	if (!is_oom)
		return ICE_ERROR;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (!oom_message[0])
		strcpy(oom_message, "out of memory");
	if (!strstr(oom_message, name)) /* named already by an inner prefix */
		ice_error__prefix("%s", name);
	return ICE_ERROR;
}

bool ice_error__is_oom(void)
{
	return is_oom;
}

int ice_error__code(void)
{
	if (is_oom)
		return ICE_ERROR;
	return has_error ? last.code : ICE_ERROR;
}

int ice_error__os(const char *path, const char *op)
{
	int err = errno;
	int code = ICE_ERROR;
	if (err == ENOENT || err == ENOTDIR)
		code = ICE_ENOTFOUND;
	else if (err == EEXIST)
		code = ICE_EEXISTS;
	else if (err == ENOMEM)
		return ice_error__oom();
	return ice_error__set(code, ICE_ERRCLASS_OS, "%s: %s: %s", path, op, strerror(err));
}

int ice_error__prefix(const char *fmt, ...)
{
	va_list ap;
	if (is_oom) {
		/* Out of memory too says where: the file, as other errors do. */
		if (!oom_message[0])
			strcpy(oom_message, "out of memory");
		va_start(ap, fmt);
		prepend(oom_message, fmt, ap);
		va_end(ap);
		return ICE_ERROR;
	}
	if (!has_error)
		ice_error__set(ICE_ERROR, ICE_ERRCLASS_NONE, "unknown error");
	va_start(ap, fmt);
	prepend(message, fmt, ap);
	va_end(ap);
	return last.code;
}

/* ---- trace ---------------------------------------------------------------------------------------- */

static ice_trace_fn trace_fn;
static void *trace_payload;

void ice_set_trace(ice_trace_fn fn, void *payload)
{
	trace_fn = fn;
	trace_payload = payload;
}

bool ice__tracing(void)
{
	return trace_fn != NULL;
}

void ice__trace(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	if (!trace_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (strstr(line, "://"))
		ice_uri__redact_text(line, sizeof(line), redact_scratch);
	mask_secrets(line);
	trace_fn(line, trace_payload);
}

void ice_error__save(ice_error_saved *saved)
{
	const ice_error *e = ice_error_last();
	saved->had = e != NULL;
	saved->oom = e && is_oom;
	saved->code = e ? e->code : 0;
	saved->klass = e ? e->klass : 0;
	snprintf(saved->message, sizeof(saved->message), "%s", e ? e->message : "");
}

void ice_error__restore(const ice_error_saved *saved)
{
	if (saved->oom) {
		/* out of memory again, naming what it named ("<file>: out of memory") */
		static const char tail[] = ": out of memory";
		size_t len = strlen(saved->message), tl = sizeof(tail) - 1;
		ice_error__oom();
		if (len > tl && strcmp(saved->message + len - tl, tail) == 0)
			ice_error__oom_in("%.*s", (int)(len - tl), saved->message);
	} else if (saved->had)
		ice_error__set(saved->code, saved->klass, "%s", saved->message);
	else
		ice_error_clear();
}
