/*
 * util/buf.c - growable byte buffers with a cap.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "error.h"

void ice_buf__init(ice_buf *buf, size_t limit)
{
	buf->ptr = NULL;
	buf->len = 0;
	buf->cap = 0;
	buf->limit = limit ? limit : ICE_BUF_DEFAULT_LIMIT;
	buf->error = 0;
}

int ice_buf__grow(ice_buf *buf, size_t extra)
{
	size_t need, cap;
	char *p;
	if (buf->error)
		return buf->error;
	if (ice__add_overflow(buf->len, extra, &need) || ice__add_overflow(need, 1, &need) ||
	    need - 1 > buf->limit) {
		buf->error = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                            "buffer would exceed its limit of %zu bytes", buf->limit);
		return buf->error;
	}
	if (need <= buf->cap)
		return 0;
	cap = buf->cap ? buf->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	/* Never beyond the limit: the inline appends rely on it. */
	if (buf->limit < SIZE_MAX && cap > buf->limit + 1)
		cap = buf->limit + 1;
	p = ice__realloc(buf->ptr, cap);
	if (!p) {
		buf->error = ICE_ERROR;
		return buf->error;
	}
	buf->ptr = p;
	buf->cap = cap;
	return 0;
}

int ice_buf__put_slow(ice_buf *buf, const void *data, size_t len)
{
	int rc = ice_buf__grow(buf, len);
	if (rc)
		return rc;
	if (len)
		memcpy(buf->ptr + buf->len, data, len);
	buf->len += len;
	buf->ptr[buf->len] = '\0';
	return 0;
}

int ice_buf__puts(ice_buf *buf, const char *s)
{
	return ice_buf__put(buf, s, strlen(s));
}

int ice_buf__putc_slow(ice_buf *buf, char c)
{
	return ice_buf__put_slow(buf, &c, 1);
}

int ice_buf__vprintf(ice_buf *buf, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	int rc;
	if (buf->error)
		return buf->error;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return buf->error = ice_error__set(ICE_ERROR, ICE_ERRCLASS_INVALID, "bad format string");
	rc = ice_buf__grow(buf, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(buf->ptr + buf->len, (size_t)n + 1, fmt, ap);
	buf->len += (size_t)n;
	return 0;
}

int ice_buf__printf(ice_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int rc;
	va_start(ap, fmt);
	rc = ice_buf__vprintf(buf, fmt, ap);
	va_end(ap);
	return rc;
}

uint8_t *ice_buf__extend(ice_buf *buf, size_t n)
{
	uint8_t *p;
	if (ice_buf__grow(buf, n))
		return NULL;
	p = (uint8_t *)buf->ptr + buf->len;
	buf->len += n;
	buf->ptr[buf->len] = '\0';
	return p;
}

uint8_t *ice_buf__reserve(ice_buf *buf, size_t n)
{
	uint8_t *p;
	if (ice_buf__grow(buf, n))
		return NULL;
	p = (uint8_t *)buf->ptr + buf->len;
	memset(p, 0, n);
	buf->len += n;
	buf->ptr[buf->len] = '\0';
	return p;
}

void ice_buf__clear(ice_buf *buf)
{
	buf->len = 0;
	if (buf->ptr)
		buf->ptr[0] = '\0';
}

void ice_buf__truncate(ice_buf *buf, size_t len)
{
	if (len < buf->len) {
		buf->len = len;
		buf->ptr[len] = '\0';
	}
}

char *ice_buf__detach(ice_buf *buf, size_t *len_out)
{
	char *p;
	if (buf->error) {
		ice_buf__free(buf);
		return NULL;
	}
	if (!buf->ptr) {
		if (ice_buf__grow(buf, 0))
			return NULL;
		buf->ptr[0] = '\0'; /* "" as promised, not uninitialised bytes */
	}
	p = buf->ptr;
	if (len_out)
		*len_out = buf->len;
	buf->ptr = NULL;
	buf->len = buf->cap = 0;
	return p;
}

void ice_buf__free(ice_buf *buf)
{
	ice__free(buf->ptr);
	buf->ptr = NULL;
	buf->len = buf->cap = 0;
	buf->error = 0;
}
