/*
 * parquet/thrift.c - the Thrift compact protocol, as Parquet uses it for its
 * footer (FileMetaData) and page headers (Apache Thrift "Compact protocol"
 * specification: varints, zigzag integers, delta-encoded field ids, short
 * list headers).
 *
 * The reader never trusts a length: every varint is bounded to 10 bytes,
 * every binary and list length is checked against the bytes left, nesting is
 * limited, and running out of bytes is reported separately (t->truncated) so
 * a page-header reader can fetch more and retry.
 */
#include "internal.h"

#define TC_MAX_DEPTH 64

void ice_parquet__tc_init(tc_reader *t, const uint8_t *data, size_t len, uint64_t base)
{
	t->start = t->p = data;
	t->end = data + len;
	t->base = base;
	t->depth = 0;
	t->truncated = false;
	t->what = NULL;
	t->err_off = base;
}

int ice_parquet__tc_fail(tc_reader *t, const char *what)
{
	if (!t->what) {
		t->what = what;
		t->err_off = t->base + (uint64_t)(t->p - t->start);
	}
	return -1;
}

static int truncated(tc_reader *t)
{
	t->truncated = true;
	return ice_parquet__tc_fail(t, "truncated Thrift data");
}

static int varint(tc_reader *t, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		if (t->p >= t->end)
			return truncated(t);
		uint8_t b = *t->p++;
		if (shift == 63 && (b & 0x7e))
			return ice_parquet__tc_fail(t, "varint overflows 64 bits");
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return ice_parquet__tc_fail(t, "varint longer than 10 bytes");
}

static int zigzag(tc_reader *t, int64_t *out)
{
	uint64_t u;
	if (varint(t, &u))
		return -1;
	*out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	return 0;
}

int ice_parquet__tc_field(tc_reader *t, int *type, int16_t *id, int16_t *last_id)
{
	if (t->p >= t->end)
		return truncated(t);
	uint8_t b = *t->p++;
	*type = b & 0x0f;
	if (*type == TC_STOP) {
		*id = 0;
		return 0;
	}
	int delta = b >> 4;
	if (delta) {
		*id = (int16_t)(*last_id + delta);
	} else {
		int64_t v;
		if (zigzag(t, &v))
			return -1;
		if (v < INT16_MIN || v > INT16_MAX)
			return ice_parquet__tc_fail(t, "field id out of range");
		*id = (int16_t)v;
	}
	if (*type > TC_STRUCT)
		return ice_parquet__tc_fail(t, "invalid field type");
	*last_id = *id;
	return 0;
}

int ice_parquet__tc_i64(tc_reader *t, int type, int64_t *out)
{
	if (type == TC_BYTE) {
		if (t->p >= t->end)
			return truncated(t);
		*out = (int8_t)*t->p++;
		return 0;
	}
	if (type != TC_I16 && type != TC_I32 && type != TC_I64)
		return ice_parquet__tc_fail(t, "expected an integer field");
	return zigzag(t, out);
}

int ice_parquet__tc_i32(tc_reader *t, int type, int32_t *out)
{
	int64_t v;
	if (ice_parquet__tc_i64(t, type, &v))
		return -1;
	if (v < INT32_MIN || v > INT32_MAX)
		return ice_parquet__tc_fail(t, "32-bit integer out of range");
	*out = (int32_t)v;
	return 0;
}

int ice_parquet__tc_bool(tc_reader *t, int type, bool *out)
{
	if (type == TC_TRUE || type == TC_FALSE) {
		*out = type == TC_TRUE;
		return 0;
	}
	return ice_parquet__tc_fail(t, "expected a boolean field");
}

int ice_parquet__tc_binary(tc_reader *t, int type, const uint8_t **data, size_t *len)
{
	uint64_t n;
	if (type != TC_BINARY)
		return ice_parquet__tc_fail(t, "expected a binary field");
	if (varint(t, &n))
		return -1;
	if (n > (uint64_t)(t->end - t->p))
		return truncated(t);
	*data = t->p;
	*len = (size_t)n;
	t->p += n;
	return 0;
}

int ice_parquet__tc_list(tc_reader *t, int type, int *elem_type, uint32_t *n)
{
	if (type != TC_LIST && type != TC_SET)
		return ice_parquet__tc_fail(t, "expected a list field");
	if (t->p >= t->end)
		return truncated(t);
	uint8_t b = *t->p++;
	uint64_t size = b >> 4;
	*elem_type = b & 0x0f;
	if (size == 15 && varint(t, &size))
		return -1;
	/* Every element takes at least one byte (bools in lists do too). */
	if (size > (uint64_t)(t->end - t->p))
		return truncated(t);
	if (*elem_type == TC_STOP || *elem_type > TC_STRUCT)
		return ice_parquet__tc_fail(t, "invalid list element type");
	*n = (uint32_t)size;
	return 0;
}

int ice_parquet__tc_struct_begin(tc_reader *t, int type)
{
	if (type != TC_STRUCT)
		return ice_parquet__tc_fail(t, "expected a struct field");
	if (++t->depth > TC_MAX_DEPTH)
		return ice_parquet__tc_fail(t, "Thrift structs nested too deeply");
	return 0;
}

void ice_parquet__tc_struct_end(tc_reader *t)
{
	t->depth--;
}

int ice_parquet__tc_skip(tc_reader *t, int type)
{
	uint64_t u;
	switch (type) {
	case TC_TRUE:
	case TC_FALSE:
		return 0;
	case TC_BYTE:
		if (t->p >= t->end)
			return truncated(t);
		t->p++;
		return 0;
	case TC_I16:
	case TC_I32:
	case TC_I64:
		return varint(t, &u);
	case TC_DOUBLE:
		if (t->end - t->p < 8)
			return truncated(t);
		t->p += 8;
		return 0;
	case TC_BINARY: {
		const uint8_t *d;
		size_t n;
		return ice_parquet__tc_binary(t, type, &d, &n);
	}
	case TC_LIST:
	case TC_SET: {
		int et;
		uint32_t n;
		if (ice_parquet__tc_list(t, type, &et, &n))
			return -1;
		if (++t->depth > TC_MAX_DEPTH)
			return ice_parquet__tc_fail(t, "Thrift data nested too deeply");
		for (uint32_t i = 0; i < n; i++) {
			/* booleans inside lists are one byte each */
			int rc = (et == TC_TRUE || et == TC_FALSE) ? ice_parquet__tc_skip(t, TC_BYTE)
			                                           : ice_parquet__tc_skip(t, et);
			if (rc)
				return -1;
		}
		t->depth--;
		return 0;
	}
	case TC_MAP: {
		if (varint(t, &u))
			return -1;
		if (u == 0)
			return 0;
		if (t->p >= t->end)
			return truncated(t);
		uint8_t kv = *t->p++;
		if (u > (uint64_t)(t->end - t->p))
			return truncated(t);
		if (++t->depth > TC_MAX_DEPTH)
			return ice_parquet__tc_fail(t, "Thrift data nested too deeply");
		for (uint64_t i = 0; i < u; i++) {
			if (ice_parquet__tc_skip(t, kv >> 4) || ice_parquet__tc_skip(t, kv & 0x0f))
				return -1;
		}
		t->depth--;
		return 0;
	}
	case TC_STRUCT: {
		int16_t last = 0, id;
		int ft;
		if (ice_parquet__tc_struct_begin(t, type))
			return -1;
		for (;;) {
			if (ice_parquet__tc_field(t, &ft, &id, &last))
				return -1;
			if (ft == TC_STOP)
				break;
			if (ice_parquet__tc_skip(t, ft))
				return -1;
		}
		ice_parquet__tc_struct_end(t);
		return 0;
	}
	}
	return ice_parquet__tc_fail(t, "invalid Thrift type");
}

/* ---- writer ------------------------------------------------------------- */

void ice_parquet__tw_init(tc_writer *w, ice_buf *buf)
{
	w->buf = buf;
	w->depth = 0;
	w->last_id[0] = 0;
}

void ice_parquet__tw_varint(tc_writer *w, uint64_t v)
{
	uint8_t tmp[10];
	int n = 0;
	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	ice_buf__put(w->buf, tmp, (size_t)n);
}

void ice_parquet__tw_zigzag(tc_writer *w, int64_t v)
{
	ice_parquet__tw_varint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void ice_parquet__tw_field(tc_writer *w, int type, int16_t id)
{
	int16_t last = w->last_id[w->depth];
	if (id > last && id - last <= 15) {
		ice_buf__putc(w->buf, (char)(((id - last) << 4) | type));
	} else {
		ice_buf__putc(w->buf, (char)type);
		ice_parquet__tw_zigzag(w, id);
	}
	w->last_id[w->depth] = id;
}

void ice_parquet__tw_stop(tc_writer *w)
{
	ice_buf__putc(w->buf, 0);
	if (w->depth > 0)
		w->depth--;
}

void ice_parquet__tw_struct_begin(tc_writer *w, int16_t id)
{
	ice_parquet__tw_field(w, TC_STRUCT, id);
	if (w->depth < 31)
		w->last_id[++w->depth] = 0;
}

void ice_parquet__tw_elem_struct_begin(tc_writer *w)
{
	if (w->depth < 31)
		w->last_id[++w->depth] = 0;
}

void ice_parquet__tw_i32(tc_writer *w, int16_t id, int32_t v)
{
	ice_parquet__tw_field(w, TC_I32, id);
	ice_parquet__tw_zigzag(w, v);
}

void ice_parquet__tw_i64(tc_writer *w, int16_t id, int64_t v)
{
	ice_parquet__tw_field(w, TC_I64, id);
	ice_parquet__tw_zigzag(w, v);
}

void ice_parquet__tw_bool(tc_writer *w, int16_t id, bool v)
{
	ice_parquet__tw_field(w, v ? TC_TRUE : TC_FALSE, id);
}

void ice_parquet__tw_binary(tc_writer *w, int16_t id, const void *data, size_t len)
{
	ice_parquet__tw_field(w, TC_BINARY, id);
	ice_parquet__tw_varint(w, len);
	ice_buf__put(w->buf, data, len);
}

void ice_parquet__tw_list_begin(tc_writer *w, int16_t id, int elem_type, uint32_t n)
{
	ice_parquet__tw_field(w, TC_LIST, id);
	if (n < 15) {
		ice_buf__putc(w->buf, (char)((n << 4) | (uint32_t)elem_type));
	} else {
		ice_buf__putc(w->buf, (char)(0xf0 | elem_type));
		ice_parquet__tw_varint(w, n);
	}
}
