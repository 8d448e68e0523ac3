/*
 * manifest/avro.h - the Avro layer under manifests and manifest lists
 * (Avro 1.11 specification: schemas, binary encoding, object container
 * files). Only lib/manifest knows Avro; see docs/internals/avro.md for why
 * ice decodes Avro itself instead of going through libavro.
 *
 *   avro_schema.c     schema JSON <-> a tree of nodes (field ids kept)
 *   avro_container.c  object container files: header, blocks, codecs, sync
 *   avro_value.c      generic skipping, Avro values <-> Iceberg literals
 *
 * Decoding reads from a cursor over one decompressed block. Errors are
 * sticky on the cursor (the first one wins) so that a record is decoded
 * straight through and checked once; nothing ever reads past `end`.
 */
#ifndef ICE_MANIFEST_AVRO_H
#define ICE_MANIFEST_AVRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ice/io.h"
#include "ice/literal.h"
#include "ice/types.h"
#include "io/io.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/compress.h"
#include "util/json.h"

/* ---- schemas ---------------------------------------------------------------- */

typedef enum ice_avro_kind {
	ICE_AVRO_NULL,
	ICE_AVRO_BOOLEAN,
	ICE_AVRO_INT,
	ICE_AVRO_LONG,
	ICE_AVRO_FLOAT,
	ICE_AVRO_DOUBLE,
	ICE_AVRO_BYTES,
	ICE_AVRO_STRING,
	ICE_AVRO_RECORD,
	ICE_AVRO_ENUM,
	ICE_AVRO_ARRAY,
	ICE_AVRO_MAP,
	ICE_AVRO_UNION,
	ICE_AVRO_FIXED,
} ice_avro_kind;

typedef struct ice_avro_node ice_avro_node;

typedef struct ice_avro_field {
	const char *name;
	bool has_field_id;
	int32_t field_id;
	const ice_avro_node *type;
} ice_avro_field;

struct ice_avro_node {
	ice_avro_kind kind;
	const char *name;         /* full name of records, enums, fixed */
	const char *logical_type; /* "date", "decimal", "map", ... or NULL */
	int32_t precision, scale; /* decimal */
	bool adjust_to_utc;       /* timestamps ("adjust-to-utc", Iceberg's convention) */
	int32_t size;             /* fixed */
	bool has_element_id, has_key_id, has_value_id;
	int32_t element_id, key_id, value_id;
	size_t n;                 /* record fields, union branches, enum symbols */
	const ice_avro_field *fields;
	const ice_avro_node *const *branches;
	const ice_avro_node *items; /* array items, map values */
	int null_branch;          /* unions: index of the "null" branch, or -1 */
	uint32_t min_size;        /* fewest bytes a value takes (0 for null, empty records) */
};

/*
 * Parse a schema document (the "avro.schema" header value) into nodes
 * allocated in `arena`. Named types may be referenced; recursive types, nested
 * unions and schemas nested deeper than 32 levels are refused (manifests have
 * none, and they would make decoding unbounded). Errors:
 * "<file>: avro.schema: <json path>: <what>".
 */
int ice_avro__schema_parse(const ice_avro_node **out, ice_arena *arena, const char *json, size_t len,
                           const char *file);

/* The branch that is not null of a ["null", T] union, or the node itself;
 * NULL for unions of more than one non-null type. */
const ice_avro_node *ice_avro__non_null(const ice_avro_node *node);
/* A record field by name; -1 if none. */
int ice_avro__field_index(const ice_avro_node *record, const char *name);

/* ---- binary decoding -------------------------------------------------------- */

typedef struct ice_avro_cursor {
	const uint8_t *p;
	const uint8_t *end;
	const char *error;  /* what went wrong first, or NULL */
	const char *field;  /* the field being decoded, for messages */
	bool underflow;     /* the error was running out of bytes (more may come) */
} ice_avro_cursor;

static inline void ice_avro__fail(ice_avro_cursor *c, const char *what)
{
	if (!c->error)
		c->error = what;
	c->p = c->end; /* stop everything that follows */
}

/* Out of bytes: an error unless the reader has more of the block to give. */
static inline void ice_avro__short(ice_avro_cursor *c, const char *what)
{
	if (!c->error)
		c->underflow = true;
	ice_avro__fail(c, what);
}

/* The cursor error for an allocation that failed while decoding: the record
 * then fails with the static out-of-memory error, not as corrupt input. */
extern const char ice_avro__oom[];
static inline void ice_avro__fail_oom(ice_avro_cursor *c)
{
	ice_avro__fail(c, ice_avro__oom);
}

static inline uint64_t ice_avro__varint(ice_avro_cursor *c)
{
	const uint8_t *p = c->p;
	uint64_t v = 0;
	if (p < c->end && !(*p & 0x80)) { /* the common one-byte case */
		c->p = p + 1;
		return *p;
	}
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (p >= c->end) {
			ice_avro__short(c, "truncated value");
			return 0;
		}
		uint8_t b = *p++;
		/* The tenth byte's bits beyond the 64th are dropped, as the Java
		 * and Python Avro decoders do (some writers wrap that way). */
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			c->p = p;
			return v;
		}
	}
	ice_avro__fail(c, "varint longer than 64 bits");
	return 0;
}

static inline int64_t ice_avro__long(ice_avro_cursor *c)
{
	uint64_t u = ice_avro__varint(c);
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static inline int32_t ice_avro__int(ice_avro_cursor *c)
{
	int64_t v = ice_avro__long(c);
	if (v < INT32_MIN || v > INT32_MAX) {
		ice_avro__fail(c, "int out of range");
		return 0;
	}
	return (int32_t)v;
}

static inline bool ice_avro__bool(ice_avro_cursor *c)
{
	if (c->p >= c->end) {
		ice_avro__short(c, "truncated value");
		return false;
	}
	uint8_t b = *c->p++;
	if (b > 1)
		ice_avro__fail(c, "boolean is neither 0 nor 1");
	return b == 1;
}

static inline const uint8_t *ice_avro__raw(ice_avro_cursor *c, size_t n)
{
	const uint8_t *p = c->p;
	if ((size_t)(c->end - p) < n) {
		ice_avro__short(c, "truncated value");
		return NULL;
	}
	c->p = p + n;
	return p;
}

/* bytes and string: a long length, then the bytes (pointing into the block). */
static inline ice_slice ice_avro__bytes(ice_avro_cursor *c)
{
	ice_slice s = {NULL, 0};
	int64_t n = ice_avro__long(c);
	if (n < 0) {
		ice_avro__fail(c, "negative length");
		return s;
	}
	if ((uint64_t)n > (uint64_t)(c->end - c->p)) {
		ice_avro__short(c, "length runs past the end of the block");
		return s;
	}
	s.data = c->p;
	s.len = (size_t)n;
	c->p += n;
	return s;
}

static inline float ice_avro__float(ice_avro_cursor *c)
{
	float f = 0;
	const uint8_t *p = ice_avro__raw(c, 4);
	if (p) {
		uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		memcpy(&f, &u, 4);
	}
	return f;
}

static inline double ice_avro__double(ice_avro_cursor *c)
{
	double d = 0;
	const uint8_t *p = ice_avro__raw(c, 8);
	if (p) {
		uint64_t u = 0;
		for (int i = 7; i >= 0; i--)
			u = u << 8 | p[i];
		memcpy(&d, &u, 8);
	}
	return d;
}

/*
 * The branch of a union value (after reading its index), or the node itself
 * when it is not a union. NULL (and a cursor error) for a bad index.
 */
static inline const ice_avro_node *ice_avro__branch(ice_avro_cursor *c, const ice_avro_node *node)
{
	if (node->kind != ICE_AVRO_UNION)
		return node;
	int64_t i = ice_avro__long(c);
	if (i < 0 || (uint64_t)i >= node->n) {
		ice_avro__fail(c, "union branch index out of range");
		return NULL;
	}
	return node->branches[i];
}

/*
 * The item count of the next block of an array or map, 0 at its end. A
 * negative count is followed by the block's byte size (read and checked).
 * The count is checked against the bytes left, using the items' minimum
 * size, so that hostile counts cannot make a caller allocate or loop
 * beyond what the block holds.
 */
int64_t ice_avro__block_count(ice_avro_cursor *c, uint32_t item_min_size);

/* Skip one value of `node`. */
void ice_avro__skip(ice_avro_cursor *c, const ice_avro_node *node);

/* ---- Avro values and Iceberg types ------------------------------------------ */

/*
 * The Iceberg type an Avro node stands for (Appendix A's table, read
 * backwards): int/long with logical types date, time-micros,
 * timestamp-micros/-nanos (adjust-to-utc), fixed/bytes decimals, uuid; NULL
 * for nodes that are no primitive. Parameterized types are allocated in
 * `arena`. Unions with null look through to their other branch.
 */
const ice_type *ice_avro__iceberg_type(const ice_avro_node *node, ice_arena *arena);

/*
 * Decode one value of `node` as a literal of Iceberg type `type` (from
 * ice_avro__iceberg_type of the same node, or one it promotes to).
 * Payloads point into the block. A null union branch gives a null literal.
 */
void ice_avro__read_literal(ice_avro_cursor *c, const ice_avro_node *node, const ice_type *natural,
                            const ice_type *type, ice_literal *out);

/* ---- binary encoding -------------------------------------------------------- */

/* Zigzag varint of a long into out[10]; returns the length. */
static inline size_t ice_avro__encode_long(uint8_t *out, int64_t v)
{
	size_t n = 0;
	uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	while (u >= 0x80) {
		out[n++] = (uint8_t)(u | 0x80);
		u >>= 7;
	}
	out[n++] = (uint8_t)u;
	return n;
}

static inline void ice_avro__put_long(ice_buf *b, int64_t v)
{
	uint8_t tmp[10];
	ice_buf__put(b, tmp, ice_avro__encode_long(tmp, v));
}

static inline void ice_avro__put_bytes(ice_buf *b, const void *data, size_t len)
{
	ice_avro__put_long(b, (int64_t)len);
	if (len)
		ice_buf__put(b, data, len);
}

static inline void ice_avro__put_string(ice_buf *b, const char *s)
{
	ice_avro__put_bytes(b, s, strlen(s));
}

static inline void ice_avro__put_bool(ice_buf *b, bool v)
{
	ice_buf__putc(b, v ? 1 : 0);
}

void ice_avro__put_float(ice_buf *b, float f);
void ice_avro__put_double(ice_buf *b, double d);

/* Bytes of the fixed holding a decimal of `precision` (Appendix A). */
int ice_avro__decimal_size(int32_t precision);

/* Encode a literal as the Avro type Appendix A gives its Iceberg type. */
int ice_avro__put_literal(ice_buf *b, const ice_literal *v, const ice_type *type);

/* ---- object container files -------------------------------------------------- */

typedef struct ice_avro_meta {
	const char *key; /* NUL-terminated copies */
	const char *value;
	size_t value_len;
} ice_avro_meta;

typedef struct ice_avro_reader {
	ice_input *in;
	const char *file; /* the location as given, for messages */
	uint64_t size;
	ice_arena arena;  /* header, schema */
	const ice_avro_node *schema;
	ice_avro_meta *meta;
	size_t nmeta;
	ice_codec codec;
	uint8_t sync[16];

	/* read window over the file: bytes [win_off, win_off + win.len) */
	ice_buf win;
	uint64_t win_off;
	ice_buf data;          /* the current block, decompressed */
	uint64_t next_off;     /* where the next block starts */
	uint64_t block_off;    /* where the current block starts */
	int64_t block_left;    /* records not yet read from the current block */
	int64_t record;        /* index of the next record in the file */
	ice_avro_cursor cur;
	ice_codec_stream *stream;   /* deflate and zstandard blocks, decompressed as read */
	const uint8_t *zin;         /* the compressed block being streamed */
	size_t zin_len, zin_pos;
	bool streaming;             /* the current block comes from `stream` */
	bool stream_end;            /* ... and all of it has been decompressed */
	size_t inflated, inflate_limit;
	size_t whole_ratio;         /* the last block decoded whole: inflated / compressed, rounded up */
	const uint8_t *rec_start;   /* where the record being decoded starts */
	bool done;
} ice_avro_reader;

/*
 * Open a container file: reads and checks the header (magic, metadata map,
 * codec, schema, sync marker). `file` names it in messages. Returns
 * ICE_ENOTFOUND for a missing file, ICE_EINVALID for anything malformed.
 */
int ice_avro__reader_open(ice_avro_reader *r, const ice_io *io, const char *location, uint64_t size);
/* The same over an input that is already open; the reader owns it from now
 * on, failure or not (ice_avro__reader_close releases it). */
int ice_avro__reader_open_input(ice_avro_reader *r, ice_input *in);
void ice_avro__reader_close(ice_avro_reader *r);
/* A header value (NUL-terminated) or NULL. */
const char *ice_avro__reader_meta(const ice_avro_reader *r, const char *key, size_t *len);

/*
 * Position the cursor at the next record: 0 (r->cur ready, r->record its
 * index), ICE_ITEROVER after the last one, or an error naming the block.
 * The caller decodes the record from r->cur and then calls
 * ice_avro__reader_done(), which checks the cursor and raises
 * "<file>: record N: <field>: <what>" on error.
 */
int ice_avro__reader_next(ice_avro_reader *r);
/* 0 when the record was good, an error, or ICE_AVRO__AGAIN: the record ran
 * past what has been decompressed so far; the cursor is back at its start
 * with more data behind it, and the caller decodes it again. */
int ice_avro__reader_done(ice_avro_reader *r);
#define ICE_AVRO__AGAIN 1
/* Raise "<file>: record N: <what>" for the current record; returns code. */
int ice_avro__record_error(const ice_avro_reader *r, int code, const char *fmt, ...) ICE_PRINTF(3, 4);

typedef struct ice_avro_writer {
	ice_output *out;
	ice_buf block;      /* records of the open block, encoded */
	ice_buf packed;     /* the block compressed */
	int64_t block_count;
	ice_codec codec;    /* NONE, DEFLATE, SNAPPY or ZSTD */
	int level;
	uint8_t sync[16];
	size_t block_target; /* flush when the open block reaches this size */
	int error;           /* sticky */
} ice_avro_writer;

/* Parse an Avro codec name: "null", "deflate", "snappy", "zstandard". */
int ice_avro__codec_parse(ice_codec *out, const char *name);
const char *ice_avro__codec_name(ice_codec codec);

/*
 * Create a container file at `location` and write its header: the magic,
 * "avro.schema", "avro.codec", then the given metadata in order, then a
 * random sync marker.
 */
int ice_avro__writer_open(ice_avro_writer *w, const ice_io *io, const char *location, const char *schema_json,
                          const ice_avro_meta *meta, size_t nmeta, ice_codec codec, int level);
/* After encoding one record into w->block: counts it, flushes full blocks. */
int ice_avro__writer_record_done(ice_avro_writer *w);
/* Flush and publish; frees nothing but the output, which is closed. *length_out
 * receives the file's size. */
int ice_avro__writer_close(ice_avro_writer *w, uint64_t *length_out);
void ice_avro__writer_abort(ice_avro_writer *w);

#endif
