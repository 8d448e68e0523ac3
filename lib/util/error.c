/*
 * util/error.c - the thread-local last error.
 *
 * Messages live in a fixed thread-local buffer so that raising an error never
 * allocates; out-of-memory uses a static message of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

#define ERROR_MAX 2048

static _Thread_local char message[ERROR_MAX];
static _Thread_local char scratch[ERROR_MAX];
static _Thread_local ice_error last;
static _Thread_local bool has_error;

static const ice_error oom_error = {ICE_ERROR, ICE_ERRCLASS_NOMEMORY, "out of memory"};
static _Thread_local bool is_oom;

const ice_error *ice_error_last(void)
{
	if (is_oom)
		return &oom_error;
	return has_error ? &last : NULL;
}

void ice_error_clear(void)
{
	has_error = false;
	is_oom = false;
	message[0] = '\0';
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

/* Replace control characters so the message stays on one line. */
static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
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
	size_t n;
	if (is_oom)
		return ICE_ERROR;
	if (!has_error)
		ice_error__set(ICE_ERROR, ICE_ERRCLASS_NONE, "unknown error");
	va_start(ap, fmt);
	vsnprintf(scratch, sizeof(scratch), fmt, ap);
	va_end(ap);
	n = strlen(scratch);
	if (n + 2 < sizeof(scratch)) {
		scratch[n++] = ':';
		scratch[n++] = ' ';
		size_t m = strlen(message);
		if (m > sizeof(scratch) - n - 1)
			m = sizeof(scratch) - n - 1;
		memcpy(scratch + n, message, m);
		scratch[n + m] = '\0';
	}
	memcpy(message, scratch, sizeof(message));
	one_line(message);
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
	if (saved->oom)
		ice_error__oom();
	else if (saved->had)
		ice_error__set(saved->code, saved->klass, "%s", saved->message);
	else
		ice_error_clear();
}
