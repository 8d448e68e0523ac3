/*
 * manifest/avro_container.c - Avro object container files (Avro 1.11
 * specification, "Object Container Files"): the header (magic "Obj\1",
 * the metadata map with avro.schema and avro.codec, the 16-byte sync
 * marker), then blocks of (record count, byte size, serialized records,
 * sync marker). Codecs: null, deflate (raw RFC 1951), snappy (with the big-
 * endian CRC-32 of the uncompressed data after each block) and zstandard.
 *
 * The reader holds one block at a time: a read window over the file and
 * the block's records. Deflate and zstandard blocks are decompressed as
 * their records are read, into a window that holds at least the record
 * being decoded (util/compress.c streams them): nothing states how large a
 * block inflates, so memory follows the records, not what a 1 MB block
 * can expand to. A record that runs past the window is decoded again once
 * the window holds more (ice_avro__reader_done answers ICE_AVRO__AGAIN);
 * a single record is limited to RECORD_MAX bytes. Every count and size from
 * the file is checked before use: block sizes against the bytes left in the
 * file, record counts against the block's bytes, the total a block inflates
 * to against what its codec can expand to.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "avro.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/uuid.h"

#define WINDOW_MIN ((size_t)256 << 10)
#define HEADER_MAX ((size_t)64 << 20)
#define BLOCK_MAX ((uint64_t)1 << 31)
#define INFLATED_MAX ((size_t)1 << 30)
#define RECORD_MAX ((size_t)256 << 20)

static const uint8_t magic[4] = {'O', 'b', 'j', 1};

int ice_avro__codec_parse(ice_codec *out, const char *name)
{
	if (!name || !strcmp(name, "null"))
		*out = ICE_CODEC_NONE;
	else if (!strcmp(name, "deflate"))
		*out = ICE_CODEC_DEFLATE;
	else if (!strcmp(name, "snappy"))
		*out = ICE_CODEC_SNAPPY;
	else if (!strcmp(name, "zstandard"))
		*out = ICE_CODEC_ZSTD;
	else
		return ICE_EUNSUPPORTED;
	return 0;
}

const char *ice_avro__codec_name(ice_codec codec)
{
	switch (codec) {
	case ICE_CODEC_DEFLATE: return "deflate";
	case ICE_CODEC_SNAPPY: return "snappy";
	case ICE_CODEC_ZSTD: return "zstandard";
	default: return "null";
	}
}

/* ---- reading ---------------------------------------------------------------- */

static int block_error(const ice_avro_reader *r, uint64_t off, int code, const char *fmt, ...) ICE_PRINTF(4, 5);

static int block_error(const ice_avro_reader *r, uint64_t off, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ice_error__set(code, ICE_ERRCLASS_AVRO, "%s: block at offset %llu: %s", r->file,
	                      (unsigned long long)off, msg);
}

int ice_avro__record_error(const ice_avro_reader *r, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ice_error__set(code, ICE_ERRCLASS_AVRO, "%s: record %lld: %s", r->file, (long long)r->record, msg);
}

/* Make [off, off + len) available; *out points at it until the next call. */
static int window(ice_avro_reader *r, uint64_t off, size_t len, const uint8_t **out)
{
	size_t want;
	int rc;
	if (off >= r->win_off && off - r->win_off <= r->win.len && len <= r->win.len - (off - r->win_off)) {
		*out = (const uint8_t *)r->win.ptr + (off - r->win_off);
		return 0;
	}
	if (off > r->size || len > r->size - off)
		return ICE_EINVALID; /* callers check sizes first */
	want = len > WINDOW_MIN ? len : WINDOW_MIN;
	if (want > r->size - off)
		want = (size_t)(r->size - off);
	r->win.len = 0;
	r->win_off = 0;
	if ((rc = ice_buf__grow(&r->win, want)) != 0)
		return rc;
	if ((rc = ice_input__read_at(r->in, off, r->win.ptr, want)) != 0)
		return rc;
	r->win.len = want;
	r->win_off = off;
	*out = (const uint8_t *)r->win.ptr;
	return 0;
}

static int read_meta(ice_avro_reader *r, ice_avro_cursor *c)
{
	size_t cap = 0;
	for (;;) {
		int64_t n = ice_avro__block_count(c, 2);
		if (c->error || n == 0)
			return 0;
		for (int64_t i = 0; i < n && !c->error; i++) {
			ice_slice k = ice_avro__bytes(c), v = ice_avro__bytes(c);
			ice_avro_meta *m;
			if (c->error)
				return 0;
			if (r->nmeta == cap) {
				size_t ncap = cap ? cap * 2 : 8;
				ice_avro_meta *grown = ice_arena__allocarray(&r->arena, ncap, sizeof(*grown));
				if (!grown)
					return ICE_ERROR;
				if (r->nmeta)
					memcpy(grown, r->meta, r->nmeta * sizeof(*grown));
				r->meta = grown;
				cap = ncap;
			}
			m = &r->meta[r->nmeta++];
			m->key = ice_arena__strndup(&r->arena, (const char *)k.data, k.len);
			m->value = ice_arena__strndup(&r->arena, (const char *)v.data, v.len);
			m->value_len = v.len;
			if (!m->key || !m->value)
				return ICE_ERROR;
		}
	}
}

static int read_header(ice_avro_reader *r)
{
	size_t len = r->size < 65536 ? (size_t)r->size : 65536;
	const uint8_t *p;
	ice_avro_cursor c;
	int rc;
	if (r->size == 0)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO, "%s: empty file, not an Avro container file",
		                      r->file);
	for (;;) {
		if ((rc = window(r, 0, len, &p)) != 0)
			return rc;
		c.p = p;
		c.end = p + len;
		c.error = NULL;
		c.field = NULL;
		if (len >= 4 && memcmp(p, "AGS1", 4) == 0)
			return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_AVRO,
			                      "%s: encrypted file (AES GCM stream), decryption is not supported", r->file);
		if (len < 4 || memcmp(p, magic, 4) != 0)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO,
			                      "%s: not an Avro container file (bad magic bytes)", r->file);
		c.p += 4;
		r->nmeta = 0;
		r->meta = NULL;
		if ((rc = read_meta(r, &c)) != 0)
			return rc;
		const uint8_t *sync = ice_avro__raw(&c, 16);
		if (!c.error) {
			memcpy(r->sync, sync, 16);
			r->next_off = (uint64_t)(c.p - p);
			return 0;
		}
		/* Truncated within what we read: read more, unless that was all. */
		if (strcmp(c.error, "truncated value") != 0 && strcmp(c.error, "length runs past the end of the block") &&
		    strcmp(c.error, "array or map count exceeds the bytes left in the block"))
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO, "%s: header: %s", r->file, c.error);
		if (len == r->size || len >= HEADER_MAX)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO, "%s: header: %s (file truncated?)",
			                      r->file, c.error);
		len = r->size - len < len ? (size_t)r->size : len * 2;
	}
}

const char *ice_avro__reader_meta(const ice_avro_reader *r, const char *key, size_t *len)
{
	for (size_t i = 0; i < r->nmeta; i++)
		if (strcmp(r->meta[i].key, key) == 0) {
			if (len)
				*len = r->meta[i].value_len;
			return r->meta[i].value;
		}
	return NULL;
}

int ice_avro__reader_open(ice_avro_reader *r, const ice_io *io, const char *location, uint64_t size)
{
	ice_input *in = NULL;
	/* Manifests are read front to back: an object store fetches them whole. */
	int rc = ice_io__open_input_ex(&in, io, location, size, ICE_IO_WHOLE);
	if (rc) {
		memset(r, 0, sizeof(*r));
		return rc;
	}
	return ice_avro__reader_open_input(r, in);
}

int ice_avro__reader_open_input(ice_avro_reader *r, ice_input *in)
{
	const char *codec, *schema;
	size_t schema_len;
	int rc;
	memset(r, 0, sizeof(*r));
	ice_arena__init(&r->arena, 4096);
	ice_buf__init(&r->win, BLOCK_MAX + 64);
	ice_buf__init(&r->data, INFLATED_MAX);
	r->in = in;
	if (!(r->file = ice_arena__strdup(&r->arena, in->location ? in->location : "(input)")))
		return ICE_ERROR;
	r->size = r->in->size;
	if ((rc = read_header(r)) != 0)
		return rc;
	codec = ice_avro__reader_meta(r, "avro.codec", NULL);
	if (ice_avro__codec_parse(&r->codec, codec) != 0)
		return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_AVRO, "%s: header: unsupported Avro codec '%s'",
		                      r->file, codec);
	if (!(schema = ice_avro__reader_meta(r, "avro.schema", &schema_len)))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO, "%s: header: no avro.schema", r->file);
	if ((rc = ice_avro__schema_parse(&r->schema, &r->arena, schema, schema_len, r->file)) != 0)
		return rc;
	return 0;
}

void ice_avro__reader_close(ice_avro_reader *r)
{
	ice_input__close(r->in);
	r->in = NULL;
	ice_buf__free(&r->win);
	ice_buf__free(&r->data);
	ice_codec__stream_free(r->stream);
	r->stream = NULL;
	ice_arena__free(&r->arena);
}

/* Raise a decompression error as the block's, keeping out-of-memory as it is. */
static int codec_error(ice_avro_reader *r, uint64_t off, int rc)
{
	if (ice_error__is_oom())
		return rc;
	const ice_error *e = ice_error_last();
	return block_error(r, off, rc == ICE_ERROR ? ICE_EINVALID : rc, "%s", e ? e->message : "decompression failed");
}

/* The next piece of the streamed block: ICE_ITEROVER once it has ended. */
static int stream_read(ice_avro_reader *r, uint8_t *dst, size_t cap, size_t *produced)
{
	*produced = 0;
	for (;;) {
		size_t used = 0;
		int rc = ice_codec__stream_decompress(r->stream, r->zin + r->zin_pos, r->zin_len - r->zin_pos, &used, dst,
		                                      cap, produced);
		if (rc)
			return rc;
		r->zin_pos += used;
		if (*produced)
			return 0;
		/* zstd goes on with a next frame in the block; deflate ignores what follows */
		if (ice_codec__stream_finished(r->stream) && (r->codec != ICE_CODEC_ZSTD || r->zin_pos == r->zin_len))
			return ICE_ITEROVER;
		if (used == 0)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_IO, "%s: truncated stream",
			                      ice_codec__name(r->codec));
	}
}

/*
 * Decompress more of a streamed block until `data` holds `want` bytes or
 * the block has ended. The total is capped: deflate expands at most about
 * 1032:1, and no block may inflate beyond INFLATED_MAX (a bound on time,
 * since the window bounds memory).
 */
static int fill(ice_avro_reader *r, size_t want)
{
	while (!r->stream_end && r->data.len < want) {
		size_t step = want - r->data.len, produced = 0;
		int rc;
		if (r->inflated >= r->inflate_limit)
			return block_error(r, r->block_off, ICE_EINVALID, "%s: block inflates beyond %zu bytes",
			                   ice_avro__codec_name(r->codec), r->inflate_limit);
		if (step > r->inflate_limit - r->inflated + 1)
			step = r->inflate_limit - r->inflated + 1;
		if ((rc = ice_buf__grow(&r->data, step)) != 0)
			return rc;
		rc = stream_read(r, (uint8_t *)r->data.ptr + r->data.len, step, &produced);
		if (rc == ICE_ITEROVER) {
			r->stream_end = true;
			break;
		}
		if (rc)
			return codec_error(r, r->block_off, rc);
		r->data.len += produced;
		r->inflated += produced;
	}
	return 0;
}

/*
 * A deflate block of at most WHOLE_MAX bytes decoded in one call (about
 * twice as fast as streaming it): sized from the last block's ratio, and
 * retried twice as large while it does not fit. 1 when it is larger or
 * corrupt: then it streams (and the stream names what is wrong).
 */
#define WHOLE_MAX ((size_t)4 << 20)
static int inflate_whole(ice_avro_reader *r, const uint8_t *p, size_t n)
{
	size_t ratio = r->whole_ratio ? r->whole_ratio : 8, cap;
	if (n > WHOLE_MAX / 2)
		return 1;
	cap = n * ratio + 1024;
	for (;;) {
		size_t made = 0;
		if (cap > WHOLE_MAX)
			cap = WHOLE_MAX;
		if (ice_buf__grow(&r->data, cap) != 0)
			return ICE_ERROR;
		int rc = ice_codec__stream_whole(r->stream, p, n, (uint8_t *)r->data.ptr, cap, &made);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			r->data.len = made;
			r->inflated = made;
			r->stream_end = true;
			r->whole_ratio = made / (n ? n : 1) + 1;
			return 0;
		}
		if (cap >= WHOLE_MAX)
			return 1;
		cap *= 2;
	}
}

static int start_stream(ice_avro_reader *r, const uint8_t *p, size_t n)
{
	int rc;
	if (!r->stream && (rc = ice_codec__stream_new(&r->stream, r->codec)) != 0)
		return rc;
	if ((rc = ice_codec__stream_reset(r->stream)) != 0)
		return codec_error(r, r->block_off, rc);
	r->zin = p;
	r->zin_len = n;
	r->zin_pos = 0;
	r->data.len = 0;
	r->data.error = 0;
	r->data.limit = 2 * RECORD_MAX + WINDOW_MIN;
	r->inflated = 0;
	r->inflate_limit = r->codec == ICE_CODEC_DEFLATE && n <= INFLATED_MAX / 1100 ? n * 1100 + 4096 : INFLATED_MAX;
	r->stream_end = false;
	if (r->codec == ICE_CODEC_DEFLATE && (rc = inflate_whole(r, p, n)) <= 0)
		return rc;
	return fill(r, WINDOW_MIN);
}

static int decompress(ice_avro_reader *r, uint64_t off, const uint8_t *p, size_t n)
{
	int rc;
	size_t in_len = n;
	r->data.len = 0;
	r->data.error = 0;
	/* Snappy states its decompressed size; it is held whole for the CRC. */
	r->data.limit = n > INFLATED_MAX / 1100 ? INFLATED_MAX : n * 1100 + 4096;
	if (r->codec == ICE_CODEC_SNAPPY) {
		if (n < 4)
			return block_error(r, off, ICE_EINVALID, "snappy block shorter than its checksum");
		in_len = n - 4;
	}
	rc = ice_codec__decompress(r->codec, p, in_len, 0, &r->data);
	if (rc) {
		if (ice_error__is_oom())
			return rc;
		const ice_error *e = ice_error_last();
		return block_error(r, off, rc == ICE_ERROR ? ICE_EINVALID : rc, "%s",
		                   e ? e->message : "decompression failed");
	}
	if (r->codec == ICE_CODEC_SNAPPY) {
		uint32_t want = (uint32_t)p[n - 4] << 24 | (uint32_t)p[n - 3] << 16 | (uint32_t)p[n - 2] << 8 | p[n - 1];
		if (ice_crc32(0, (const uint8_t *)r->data.ptr, r->data.len) != want)
			return block_error(r, off, ICE_EINVALID, "snappy checksum mismatch");
	}
	return 0;
}

static int next_block(ice_avro_reader *r)
{
	uint64_t off = r->next_off, left;
	const uint8_t *p;
	ice_avro_cursor c;
	int64_t count, size;
	size_t hdr;
	int rc;
	if (off >= r->size) {
		r->done = true;
		return ICE_ITEROVER;
	}
	r->block_off = off;
	left = r->size - off;
	if ((rc = window(r, off, left < 20 ? (size_t)left : 20, &p)) != 0)
		return rc;
	c.p = p;
	c.end = p + (left < 20 ? left : 20);
	c.error = NULL;
	c.underflow = false;
	count = ice_avro__long(&c);
	size = ice_avro__long(&c);
	if (c.error)
		return block_error(r, off, ICE_EINVALID, "truncated block header");
	if (count < 0 || size < 0)
		return block_error(r, off, ICE_EINVALID, "negative record count or block size");
	hdr = (size_t)(c.p - p);
	left -= hdr;
	if ((uint64_t)size > left || left - (uint64_t)size < 16)
		return block_error(r, off, ICE_EINVALID, "block of %lld bytes runs past the end of the file (truncated?)",
		                   (long long)size);
	if ((uint64_t)size > BLOCK_MAX)
		return block_error(r, off, ICE_EINVALID, "block of %lld bytes is too large", (long long)size);
	if ((rc = window(r, off + hdr, (size_t)size + 16, &p)) != 0)
		return rc;
	if (memcmp(p + size, r->sync, 16) != 0)
		return block_error(r, off, ICE_EINVALID, "sync marker does not match the header");
	r->streaming = r->codec == ICE_CODEC_DEFLATE || r->codec == ICE_CODEC_ZSTD;
	if (r->codec == ICE_CODEC_NONE) {
		r->cur.p = p;
		r->cur.end = p + size;
	} else {
		if ((rc = r->streaming ? start_stream(r, p, (size_t)size) : decompress(r, off, p, (size_t)size)) != 0)
			return rc;
		r->cur.p = (const uint8_t *)r->data.ptr;
		r->cur.end = r->cur.p + r->data.len;
	}
	r->cur.error = NULL;
	r->cur.field = NULL;
	r->cur.underflow = false;
	left = (uint64_t)(r->cur.end - r->cur.p);
	/* While a block streams, its size is known only at its end: then. */
	bool whole = !r->streaming || r->stream_end;
	if (r->schema->min_size ? whole && (uint64_t)count > left / r->schema->min_size : count > ((int64_t)1 << 24))
		return block_error(r, off, ICE_EINVALID, "block claims %lld records but holds %llu bytes", (long long)count,
		                   (unsigned long long)left);
	if (count == 0 && (left != 0 || !whole))
		return block_error(r, off, ICE_EINVALID, "block of no records holds %llu bytes", (unsigned long long)left);
	r->block_left = count;
	r->next_off = off + hdr + (uint64_t)size + 16;
	return 0;
}

int ice_avro__reader_next(ice_avro_reader *r)
{
	int rc;
	if (r->done)
		return ICE_ITEROVER;
	while (r->block_left == 0)
		if ((rc = next_block(r)) != 0)
			return rc;
	r->cur.field = NULL;
	r->rec_start = r->cur.p;
	return 0;
}

/* A streamed record ran past the window: keep it, decompress more, retry. */
static int refill(ice_avro_reader *r)
{
	size_t keep = (size_t)((const uint8_t *)r->data.ptr + r->data.len - r->rec_start);
	int rc;
	if (keep >= RECORD_MAX)
		return ice_avro__record_error(r, ICE_EINVALID, "record larger than %zu bytes", RECORD_MAX);
	memmove(r->data.ptr, r->rec_start, keep);
	r->data.len = keep;
	if ((rc = fill(r, keep * 2 > WINDOW_MIN ? keep * 2 : WINDOW_MIN)) != 0)
		return rc;
	r->rec_start = r->cur.p = (const uint8_t *)r->data.ptr;
	r->cur.end = r->cur.p + r->data.len;
	r->cur.error = NULL;
	r->cur.field = NULL;
	r->cur.underflow = false;
	return ICE_AVRO__AGAIN;
}

/* The block's last record was read: nothing may follow it. */
static int block_finished(ice_avro_reader *r)
{
	size_t left = (size_t)(r->cur.end - r->cur.p);
	while (!left && r->streaming && !r->stream_end) {
		int rc;
		r->data.len = 0;
		if ((rc = fill(r, 1)) != 0)
			return rc;
		left = r->data.len;
	}
	if (left)
		return block_error(r, r->block_off, ICE_EINVALID, "%zu%s bytes left after the block's last record", left,
		                   r->streaming && !r->stream_end ? " or more" : "");
	return 0;
}

const char ice_avro__oom[] = "out of memory";

int ice_avro__reader_done(ice_avro_reader *r)
{
	if (r->cur.error == ice_avro__oom) {
		r->done = true;
		return ice_error__oom();
	}
	if (r->cur.error && r->cur.underflow && r->streaming && !r->stream_end) {
		int rc = refill(r);
		if (rc != ICE_AVRO__AGAIN)
			r->done = true;
		return rc;
	}
	if (r->cur.error) {
		int rc;
		if (r->cur.field)
			rc = ice_avro__record_error(r, ICE_EINVALID, "%s: %s", r->cur.field, r->cur.error);
		else
			rc = ice_avro__record_error(r, ICE_EINVALID, "%s", r->cur.error);
		r->done = true;
		return rc;
	}
	r->record++;
	if (--r->block_left == 0) {
		int rc = block_finished(r);
		if (rc)
			r->done = true;
		return rc;
	}
	return 0;
}

/* ---- writing ---------------------------------------------------------------- */

static void put_meta(ice_buf *b, const char *key, const char *value, size_t len)
{
	ice_avro__put_string(b, key);
	ice_avro__put_bytes(b, value, len);
}

int ice_avro__writer_open(ice_avro_writer *w, const ice_io *io, const char *location, const char *schema_json,
                          const ice_avro_meta *meta, size_t nmeta, ice_codec codec, int level)
{
	ice_buf h = ICE_BUF_INIT;
	int rc;
	memset(w, 0, sizeof(*w));
	ice_buf__init(&w->block, 0);
	ice_buf__init(&w->packed, 0);
	w->codec = codec;
	w->level = level;
	w->block_target = (size_t)64 << 10;
	ice_uuid__random(w->sync);
	ice_buf__put(&h, magic, 4);
	ice_avro__put_long(&h, (int64_t)nmeta + 2);
	put_meta(&h, "avro.schema", schema_json, strlen(schema_json));
	put_meta(&h, "avro.codec", ice_avro__codec_name(codec), strlen(ice_avro__codec_name(codec)));
	for (size_t i = 0; i < nmeta; i++)
		put_meta(&h, meta[i].key, meta[i].value, meta[i].value_len);
	ice_avro__put_long(&h, 0);
	ice_buf__put(&h, w->sync, 16);
	if (h.error) {
		rc = h.error;
		ice_buf__free(&h);
		return rc;
	}
	if ((rc = ice_io__create_output(&w->out, io, location, true)) != 0) {
		ice_buf__free(&h);
		return rc;
	}
	rc = ice_output__write(w->out, h.ptr, h.len);
	ice_buf__free(&h);
	if (rc) {
		ice_output__abort(w->out);
		w->out = NULL;
	}
	return rc;
}

static int flush(ice_avro_writer *w)
{
	size_t hdr;
	const void *payload = w->block.ptr;
	size_t len = w->block.len;
	uint8_t tmp[24];
	int rc;
	if (w->error)
		return w->error;
	if (w->block.error)
		return w->error = w->block.error;
	if (w->block_count == 0)
		return 0;
	if (w->codec != ICE_CODEC_NONE) {
		w->packed.len = 0;
		if ((rc = ice_codec__compress(w->codec, w->level, (const uint8_t *)w->block.ptr, w->block.len, &w->packed)))
			return w->error = rc;
		if (w->codec == ICE_CODEC_SNAPPY) {
			uint32_t crc = ice_crc32(0, (const uint8_t *)w->block.ptr, w->block.len);
			uint8_t be[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
			ice_buf__put(&w->packed, be, 4);
		}
		if (w->packed.error)
			return w->error = w->packed.error;
		payload = w->packed.ptr;
		len = w->packed.len;
	}
	hdr = ice_avro__encode_long(tmp, w->block_count);
	hdr += ice_avro__encode_long(tmp + hdr, (int64_t)len);
	if ((rc = ice_output__write(w->out, tmp, hdr)) || (rc = ice_output__write(w->out, payload, len)) ||
	    (rc = ice_output__write(w->out, w->sync, 16)))
		return w->error = rc;
	w->block.len = 0;
	w->block_count = 0;
	return 0;
}

int ice_avro__writer_record_done(ice_avro_writer *w)
{
	if (w->block.error)
		return w->error = w->block.error;
	w->block_count++;
	if (w->block.len >= w->block_target)
		return flush(w);
	return 0;
}

int ice_avro__writer_close(ice_avro_writer *w, uint64_t *length_out)
{
	int rc = flush(w);
	uint64_t length = w->out ? w->out->written : 0;
	if (rc) {
		ice_avro__writer_abort(w);
		return rc;
	}
	rc = ice_output__close(w->out);
	w->out = NULL;
	ice_buf__free(&w->block);
	ice_buf__free(&w->packed);
	if (rc == 0 && length_out)
		*length_out = length;
	return rc;
}

void ice_avro__writer_abort(ice_avro_writer *w)
{
	if (w->out)
		ice_output__abort(w->out);
	w->out = NULL;
	ice_buf__free(&w->block);
	ice_buf__free(&w->packed);
}
