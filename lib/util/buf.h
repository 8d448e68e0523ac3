/*
 * util/buf.h - growable byte buffers with a cap (curl's dynbuf).
 *
 * A buffer is always NUL-terminated after its contents when it holds any
 * memory. Errors are sticky: after one failed append every later append
 * fails too, so a long run of appends can be checked once at the end.
 */
#ifndef ICE_UTIL_BUF_H
#define ICE_UTIL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ice/common.h"

/* The default cap: large enough for any metadata document, small enough that
 * a hostile length cannot exhaust memory. */
#define ICE_BUF_DEFAULT_LIMIT ((size_t)1 << 32)

typedef struct ice_buf {
	char *ptr;
	size_t len;
	size_t cap;
	size_t limit;
	int error; /* 0, or the code of the first failure */
} ice_buf;

#define ICE_BUF_INIT {NULL, 0, 0, ICE_BUF_DEFAULT_LIMIT, 0}

void ice_buf__init(ice_buf *buf, size_t limit);
int ice_buf__grow(ice_buf *buf, size_t extra);
int ice_buf__put_slow(ice_buf *buf, const void *data, size_t len);
int ice_buf__puts(ice_buf *buf, const char *s);
int ice_buf__putc_slow(ice_buf *buf, char c);

/* Appends fit the common case inline: room left and no error. */
static inline int ice_buf__put(ice_buf *buf, const void *data, size_t len)
{
	if (len < buf->cap - buf->len && !buf->error && buf->ptr) {
		__builtin_memcpy(buf->ptr + buf->len, data, len);
		buf->len += len;
		buf->ptr[buf->len] = '\0';
		return 0;
	}
	return ice_buf__put_slow(buf, data, len);
}

static inline int ice_buf__putc(ice_buf *buf, char c)
{
	if (buf->len + 1 < buf->cap && !buf->error) {
		buf->ptr[buf->len++] = c;
		buf->ptr[buf->len] = '\0';
		return 0;
	}
	return ice_buf__putc_slow(buf, c);
}
int ice_buf__printf(ice_buf *buf, const char *fmt, ...) ICE_PRINTF(2, 3);
int ice_buf__vprintf(ice_buf *buf, const char *fmt, va_list ap) ICE_PRINTF(2, 0);
/* Appends `n` bytes the caller fills at once (not zeroed); NULL on error. */
uint8_t *ice_buf__extend(ice_buf *buf, size_t n);
/* Appends `n` bytes of zero and returns a pointer to them (NULL on error). */
uint8_t *ice_buf__reserve(ice_buf *buf, size_t n);
void ice_buf__clear(ice_buf *buf);
void ice_buf__truncate(ice_buf *buf, size_t len);
/* Hands the memory to the caller (free with ice__free); the buffer is reset.
 * Returns NULL if the buffer is in error. An empty buffer yields "". */
char *ice_buf__detach(ice_buf *buf, size_t *len_out);
void ice_buf__free(ice_buf *buf);
static inline const char *ice_buf__cstr(const ice_buf *buf)
{
	return buf->ptr ? buf->ptr : "";
}

#endif
