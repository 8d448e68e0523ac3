/*
 * parquet/internal.h - what the files of lib/parquet share: the Thrift
 * compact protocol cursor, the parsed footer, the schema tree with its
 * decoding plan, value buffers, the level/value decoders and encoders.
 *
 * Only lib/parquet knows the Parquet format; nothing here is public.
 */
#ifndef ICE_PARQUET_INTERNAL_H
#define ICE_PARQUET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ice/parquet.h"
#include "io/io.h"
#include "util/alloc.h"
#include "util/arrow.h"
#include "util/arena.h"
#include "util/hashmap.h"
#include "util/buf.h"
#include "util/compress.h"
#include "util/error.h"

#include <stdio.h>

#define PQ_ERR(code, ...) ice_error__set((code), ICE_ERRCLASS_PARQUET, __VA_ARGS__)

/* Little-endian loads and stores (Parquet is little-endian throughout). */
static inline uint32_t pq_load32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}
static inline uint64_t pq_load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* Append one buffer to another; an empty or failed source is not touched. */
static inline int pq_buf_append(ice_buf *dst, const ice_buf *src)
{
	if (src->error)
		return src->error;
	return src->len ? ice_buf__put(dst, src->ptr, src->len) : dst->error;
}

/* ---- thrift.c: the Thrift compact protocol ----------------------------- */

enum {
	TC_STOP = 0,
	TC_TRUE = 1,
	TC_FALSE = 2,
	TC_BYTE = 3,
	TC_I16 = 4,
	TC_I32 = 5,
	TC_I64 = 6,
	TC_DOUBLE = 7,
	TC_BINARY = 8,
	TC_LIST = 9,
	TC_SET = 10,
	TC_MAP = 11,
	TC_STRUCT = 12,
};

typedef struct tc_reader {
	const uint8_t *start, *p, *end;
	uint64_t base;    /* file offset of start, for messages */
	int depth;
	bool truncated;   /* ran out of bytes (the caller may retry with more) */
	const char *what; /* set on error: what was wrong */
	uint64_t err_off; /* file offset of the error */
} tc_reader;

void ice_parquet__tc_init(tc_reader *t, const uint8_t *data, size_t len, uint64_t base);
/* Each returns 0, or -1 with t->what set. */
int ice_parquet__tc_field(tc_reader *t, int *type, int16_t *id, int16_t *last_id);
int ice_parquet__tc_i64(tc_reader *t, int type, int64_t *out);
int ice_parquet__tc_i32(tc_reader *t, int type, int32_t *out);
int ice_parquet__tc_bool(tc_reader *t, int type, bool *out);
int ice_parquet__tc_binary(tc_reader *t, int type, const uint8_t **data, size_t *len);
int ice_parquet__tc_list(tc_reader *t, int type, int *elem_type, uint32_t *n);
int ice_parquet__tc_skip(tc_reader *t, int type);
int ice_parquet__tc_struct_begin(tc_reader *t, int type);
void ice_parquet__tc_struct_end(tc_reader *t);
int ice_parquet__tc_fail(tc_reader *t, const char *what);

/* Loop over the fields of a struct; unknown ids are skipped. Use as
 *   TC_FIELDS_BEGIN(t) case 1: ...; break; TC_FIELDS_END(t)
 * with FT naming the current field's type. */
#define TC_FIELDS_BEGIN(t)                                                                             \
	{                                                                                           \
		int16_t last_ = 0, fid_;                                                            \
		int ft_;                                                                            \
		for (;;) {                                                                          \
			if (ice_parquet__tc_field(t, &ft_, &fid_, &last_))                          \
				return -1;                                                          \
			if (ft_ == TC_STOP)                                                         \
				break;                                                              \
			switch (fid_) {
#define TC_FIELDS_END(t)                                                                               \
	default:                                                                                    \
		if (ice_parquet__tc_skip(t, ft_))                                                   \
			return -1;                                                                  \
		}                                                                                   \
		}                                                                                   \
		}
#define FT ft_

typedef struct tc_writer {
	ice_buf *buf;
	int16_t last_id[32];
	int depth;
} tc_writer;

void ice_parquet__tw_init(tc_writer *w, ice_buf *buf);
void ice_parquet__tw_field(tc_writer *w, int type, int16_t id);
void ice_parquet__tw_stop(tc_writer *w); /* ends the current struct */
void ice_parquet__tw_struct_begin(tc_writer *w, int16_t id); /* field header + nesting */
void ice_parquet__tw_i32(tc_writer *w, int16_t id, int32_t v);
void ice_parquet__tw_i64(tc_writer *w, int16_t id, int64_t v);
void ice_parquet__tw_bool(tc_writer *w, int16_t id, bool v);
void ice_parquet__tw_binary(tc_writer *w, int16_t id, const void *data, size_t len);
void ice_parquet__tw_list_begin(tc_writer *w, int16_t id, int elem_type, uint32_t n);
void ice_parquet__tw_varint(tc_writer *w, uint64_t v);
void ice_parquet__tw_zigzag(tc_writer *w, int64_t v);
void ice_parquet__tw_elem_struct_begin(tc_writer *w); /* a struct as a list element */

/* ---- footer.c: FileMetaData and PageHeader ----------------------------- */

/* Logical type kinds (parquet.thrift LogicalType union field ids). */
enum {
	LT_NONE = 0,
	LT_STRING = 1,
	LT_MAP = 2,
	LT_LIST = 3,
	LT_ENUM = 4,
	LT_DECIMAL = 5,
	LT_DATE = 6,
	LT_TIME = 7,
	LT_TIMESTAMP = 8,
	LT_INTEGER = 10,
	LT_UNKNOWN = 11,
	LT_JSON = 12,
	LT_BSON = 13,
	LT_UUID = 14,
	LT_FLOAT16 = 15,
	LT_VARIANT = 16,
	LT_GEOMETRY = 17,
	LT_GEOGRAPHY = 18,
	LT_OTHER = 99, /* an id this reader does not know */
};

/* Converted types (parquet.thrift ConvertedType). */
enum {
	CT_NONE = -1,
	CT_UTF8 = 0,
	CT_MAP = 1,
	CT_MAP_KEY_VALUE = 2,
	CT_LIST = 3,
	CT_ENUM = 4,
	CT_DECIMAL = 5,
	CT_DATE = 6,
	CT_TIME_MILLIS = 7,
	CT_TIME_MICROS = 8,
	CT_TIMESTAMP_MILLIS = 9,
	CT_TIMESTAMP_MICROS = 10,
	CT_UINT_8 = 11,
	CT_UINT_16 = 12,
	CT_UINT_32 = 13,
	CT_UINT_64 = 14,
	CT_INT_8 = 15,
	CT_INT_16 = 16,
	CT_INT_32 = 17,
	CT_INT_64 = 18,
	CT_JSON = 19,
	CT_BSON = 20,
	CT_INTERVAL = 21,
};

enum { TU_MILLIS = 1, TU_MICROS = 2, TU_NANOS = 3 };

typedef struct pq_logical {
	int kind;          /* LT_* */
	int unit;          /* TU_* for TIME/TIMESTAMP */
	bool utc;          /* isAdjustedToUTC */
	int bit_width;     /* INTEGER */
	bool is_signed;    /* INTEGER */
	int32_t precision, scale; /* DECIMAL */
	const char *crs;   /* GEOMETRY/GEOGRAPHY */
	int algorithm;     /* GEOGRAPHY edge algorithm, -1 when absent */
} pq_logical;

typedef struct pq_element {
	const char *name;
	int type;            /* physical type, or -1 for a group */
	int32_t type_length;
	int repetition;      /* -1 when absent (root) */
	int32_t num_children; /* -1 when absent */
	int converted;       /* CT_* */
	int32_t scale, precision;
	bool has_field_id;
	int32_t field_id;
	pq_logical logical;
} pq_element;

typedef struct pq_stats_raw {
	bool has_min, has_max, has_min_value, has_max_value, has_null_count, has_distinct_count;
	bool has_min_exact, has_max_exact, min_exact, max_exact;
	ice_slice min, max, min_value, max_value;
	int64_t null_count, distinct_count;
} pq_stats_raw;

typedef struct pq_chunk_meta {
	int type;
	int codec;
	int64_t num_values;
	int64_t total_uncompressed_size, total_compressed_size;
	int64_t data_page_offset;
	bool has_dictionary_page_offset;
	int64_t dictionary_page_offset;
	size_t nencodings;
	int *encodings;
	size_t npath;
	const char **path;
	bool has_stats;
	pq_stats_raw stats;
	bool has_file_path;
	bool encrypted;
	bool has_meta;
} pq_chunk_meta;

typedef struct pq_row_group_meta {
	int64_t num_rows, total_byte_size, total_compressed_size, file_offset;
	bool has_file_offset, has_total_compressed_size;
	size_t ncolumns;
	pq_chunk_meta *columns;
} pq_row_group_meta;

typedef struct pq_file_meta {
	int32_t version;
	int64_t num_rows;
	size_t nelements;
	pq_element *elements;
	size_t nrow_groups;
	pq_row_group_meta *row_groups;
	size_t nkv;
	ice_parquet_key_value *kv;
	const char *created_by;
	size_t ncolumn_orders;
	int *column_orders; /* 1 = TYPE_ORDER, 0 = unknown */
	bool encrypted;      /* encryption_algorithm present (plaintext footer) */
	uint64_t footer_offset;  /* where FileMetaData starts, for messages */
	bool legacy_chunk_sizes; /* written by parquet-mr < 1.2.9 (PARQUET-816) */
} pq_file_meta;

/* Parse a FileMetaData from `data` (the footer bytes at file offset `base`).
 * Strings and arrays are allocated in `arena`; binary payloads point into
 * `data`, which must outlive the result. On error t->what/err_off explain. */
int ice_parquet__parse_file_meta(pq_file_meta *out, const uint8_t *data, size_t len, uint64_t base,
                                 ice_arena *arena, tc_reader *t);

enum { PAGE_DATA = 0, PAGE_INDEX = 1, PAGE_DICTIONARY = 2, PAGE_DATA_V2 = 3 };

typedef struct pq_page_header {
	int type;
	int32_t uncompressed_size, compressed_size;
	bool has_crc;
	uint32_t crc;
	int32_t num_values;
	int encoding;
	int def_encoding, rep_encoding; /* v1 */
	int32_t num_nulls, num_rows;    /* v2 */
	int32_t def_len, rep_len;       /* v2 */
	bool is_compressed;             /* v2 */
	bool has_data_header;
} pq_page_header;

/* Parse a PageHeader; *hdr_len_out is its size in bytes. Returns -1 with
 * t->truncated set when more bytes are needed. */
int ice_parquet__parse_page_header(pq_page_header *out, tc_reader *t);

/* Serialization (writer side). */
void ice_parquet__write_page_header(ice_buf *buf, const pq_page_header *h, const pq_stats_raw *stats);
void ice_parquet__write_file_meta(ice_buf *buf, const pq_file_meta *m);

/* ---- schema.c: the schema tree and its decoding plan ------------------- */

/* How a leaf's physical values become Arrow values. */
enum {
	CONV_NONE = 0,   /* the physical layout is the Arrow layout */
	CONV_INT8,       /* int32 -> int8 */
	CONV_INT16,      /* int32 -> int16 */
	CONV_UINT8,
	CONV_UINT16,
	CONV_INT96,      /* int96 -> timestamp[ns] */
	CONV_DEC_INT32,  /* int32 -> decimal128 */
	CONV_DEC_INT64,
	CONV_DEC_BYTES,  /* big-endian two's complement (FLBA or BYTE_ARRAY) -> decimal128 */
	CONV_NULL,       /* UNKNOWN logical type: Arrow null */
};

typedef struct pq_leaf {
	const ice_parquet_column *col;
	int type;          /* physical */
	int32_t type_length;
	int16_t max_def, max_rep;
	int conv;
	int out_width;     /* bytes per Arrow value; 0 for variable width, -1 for bits */
	const char *format; /* Arrow format string */
	bool is_uuid;
} pq_leaf;

typedef struct pq_schema {
	ice_parquet_column *root;
	size_t nnodes;
	ice_parquet_column **nodes; /* by schema element index */
	size_t *elem_of;            /* tree position -> schema element index */
	size_t nleaves;
	pq_leaf *leaves;
	const ice_type *iceberg; /* struct */
} pq_schema;

/* Build the tree from the element list; ICE_EINVALID with a message that
 * names `file` when the list is not a tree. */
int ice_parquet__schema_build(pq_schema *out, const pq_file_meta *meta, const char *file, ice_arena *arena);
/* Element index of a node (inverse of nodes[]). */
size_t ice_parquet__node_index(const pq_schema *s, const ice_parquet_column *col);
const pq_element *ice_parquet__node_element(const pq_file_meta *m, const pq_schema *s,
                                            const ice_parquet_column *col);

/* Arrow tree for a projection (see assemble.c). */
enum { AN_STRUCT, AN_LIST, AN_MAP, AN_LEAF };

typedef struct pq_anode {
	int kind;
	const ice_parquet_column *col; /* the Parquet node it stands for */
	const char *name;
	bool nullable;
	int16_t def;       /* present (non-null) iff def level >= def */
	int16_t elem_def;  /* lists/maps: an element exists iff def level >= elem_def */
	int16_t elem_rep;  /* lists/maps: repetition level of the elements */
	int16_t ctx_def, ctx_rep; /* slots: entries with rep <= ctx_rep and def >= ctx_def */
	int leaf;          /* scan column of the first leaf below (the representative) */
	size_t nchildren;
	struct pq_anode *children;
} pq_anode;

/* Build the Arrow node for Parquet node `col` (and its subtree), with leaf
 * scan indices assigned through `leaf_map` (schema leaf index -> scan index,
 * -1 when not projected; a subtree without projected leaves is dropped and
 * *out->kind is set to -1). */
int ice_parquet__anode_build(pq_anode *out, const pq_file_meta *meta, const pq_schema *s,
                             const ice_parquet_column *col, const int *leaf_map, ice_arena *arena);

/* ---- encoding.c: levels and values ------------------------------------ */

/* RLE / bit-packed hybrid decoder (values up to 32 bits). */
typedef struct pq_rle {
	const uint8_t *p, *end;
	int bit_width;
	uint32_t rle_left;
	uint32_t rle_value;
	uint32_t bp_left;  /* values left in the current bit-packed run */
	const uint8_t *bp; /* next byte of the run */
	uint32_t bp_pos;   /* index of the next value inside the run */
	size_t bp_bytes;   /* bytes of the run that are present */
} pq_rle;

void ice_parquet__rle_init(pq_rle *d, const uint8_t *data, size_t len, int bit_width);
/* Decode exactly n values; -1 (with a message in *what) when the data runs out. */
int ice_parquet__rle_u32(pq_rle *d, uint32_t *out, size_t n, const char **what);
int ice_parquet__rle_i16(pq_rle *d, int16_t *out, size_t n, const char **what);
/* Deprecated BIT_PACKED levels (MSB first). */
int ice_parquet__bitpacked_msb_i16(const uint8_t *data, size_t len, int bit_width, int16_t *out, size_t n);
/* Unpack n values of `bw` bits (LSB first) starting bit_off bits into data;
 * never reads data[nbytes] or beyond. */
void ice_parquet__unpack32(const uint8_t *data, size_t nbytes, size_t bit_off, int bw, uint32_t *out, size_t n);
static inline int pq_bit_width(uint64_t max)
{
	int w = 0;
	while (max) {
		w++;
		max >>= 1;
	}
	return w;
}

/* Variable-length values: offsets (n+1 int32) and bytes. */
typedef struct pq_bytes {
	ice_buf offsets; /* int32 */
	ice_buf data;
	size_t n;
} pq_bytes;

void ice_parquet__bytes_init(pq_bytes *b);
void ice_parquet__bytes_clear(pq_bytes *b);
void ice_parquet__bytes_free(pq_bytes *b);
int ice_parquet__bytes_reserve(pq_bytes *b, size_t n, size_t data);
static inline int32_t *pq_offsets(const pq_bytes *b)
{
	return (int32_t *)(void *)b->offsets.ptr;
}

/* DELTA_BINARY_PACKED: decode every value (int64, or int32 when `is32`) into
 * out (appended). *consumed_out is the number of bytes used. */
int ice_parquet__delta_decode(const uint8_t *data, size_t len, bool is32, size_t max_values, ice_buf *out,
                              size_t *count_out, size_t *consumed_out, const char **what);
/* DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY for n values into out. */
int ice_parquet__dlba_decode(const uint8_t *data, size_t len, size_t n, pq_bytes *out, const char **what);
int ice_parquet__dba_decode(const uint8_t *data, size_t len, size_t n, pq_bytes *out, const char **what);

/* Encoders (writer side). */
typedef struct pq_rle_enc {
	ice_buf *out;
	int bit_width;
	uint32_t pending[8];
	int npending;          /* values in pending (literal candidates) */
	uint32_t run_value;
	uint32_t run_len;
	size_t bp_header_pos;  /* position of the open bit-packed run's header, or SIZE_MAX */
	uint32_t bp_groups;
} pq_rle_enc;

void ice_parquet__rle_enc_init(pq_rle_enc *e, ice_buf *out, int bit_width);
void ice_parquet__rle_enc_put(pq_rle_enc *e, uint32_t v);
void ice_parquet__rle_enc_put_run(pq_rle_enc *e, uint32_t v, size_t n);
void ice_parquet__rle_enc_flush(pq_rle_enc *e);
/* Encode n values at once: runs of 8 or more as RLE runs, the rest as
 * bit-packed groups (the writer's fast path). */
void ice_parquet__hybrid_encode(ice_buf *out, const uint32_t *v, size_t n, int bw);
void ice_parquet__hybrid_encode16(ice_buf *out, const int16_t *v, size_t n, int bw, ice_buf *scratch);

/* ---- column.c: reading one column chunk ------------------------------- */

typedef struct pq_batch_col {
	/* levels of the batch (NULL when the max level is 0) */
	ice_buf def, rep;    /* int16 */
	size_t nlevels;
	/* dense values (nulls not included) */
	ice_buf values;      /* fixed width (bool: one byte each) */
	pq_bytes bytes;      /* variable width */
	size_t nvalues;
	size_t data_hint;    /* bytes of the previous batch, to size the next */
} pq_batch_col;

typedef struct pq_colreader pq_colreader;

struct ice_parquet_reader;
int ice_parquet__colreader_new(pq_colreader **out, struct ice_parquet_reader *r, size_t row_group, size_t leaf,
                               bool verify_crc);
void ice_parquet__colreader_free(pq_colreader *c);
/* Append up to `records` whole records to `out`; *got_out receives the number read. */
int ice_parquet__colreader_read(pq_colreader *c, size_t records, pq_batch_col *out, size_t *got_out);
void ice_parquet__batch_col_init(pq_batch_col *b);
void ice_parquet__batch_col_clear(pq_batch_col *b);
void ice_parquet__batch_col_free(pq_batch_col *b);
/* Size the buffers for `records` flat records at once (no regrowth). */
int ice_parquet__batch_col_reserve(pq_batch_col *b, const pq_leaf *l, size_t records, ice_arrow_pool *pool);

/* ---- assemble.c / arrow.c ------------------------------------------------ */

/* An owned Arrow array under construction. */
typedef struct pq_arr {
	struct ArrowArray a;
} pq_arr;

/* Arrays, schemas and the buffer pool are util/arrow.h's. */

int ice_parquet__assemble(struct ArrowArray *out, const pq_anode *node, const pq_leaf *const *leaves,
                          pq_batch_col *cols, const int64_t *offsets, ice_arrow_pool *pool, size_t nrows,
                          const char *file);
int ice_parquet__anode_schema(struct ArrowSchema *out, const pq_anode *node, const pq_leaf *const *leaves);

/* ---- reader.c ---------------------------------------------------------- */

struct ice_parquet_reader {
	ice_input *in;
	char *location;
	uint64_t file_size;
	ice_arena arena;
	uint8_t *footer;     /* the FileMetaData bytes */
	size_t footer_len;
	pq_file_meta meta;
	pq_schema schema;
	ice_parquet_row_group *row_groups;
	ice_map node_by_field_id; /* field id -> schema node (the first carrying it) */
	ice_map node_by_path;     /* dotted path -> schema node */
};

/* Let a scan take its batch buffers from `pool` (shared with other scans,
 * e.g. the files of one table scan, so buffers are reused across files). */
struct ice_parquet_scan;
void ice_parquet__scan_use_pool(struct ice_parquet_scan *s, ice_arrow_pool *pool);

/* Open a reader over an already open input (taken over, closed on error):
 * the fuzz target reads from memory this way. */
int ice_parquet__reader_open_input(struct ice_parquet_reader **out, ice_input *in, const char *location);

/* ---- stats.c ----------------------------------------------------------- */

/* Fill the public statistics of a chunk (bounds as literals when sound). */
void ice_parquet__stats_export(ice_parquet_statistics *out, const pq_stats_raw *raw, const pq_leaf *leaf,
                               const pq_element *el, bool type_order);
/* Decode plain-encoded bound bytes of a leaf as a literal of `type`;
 * false when the bytes do not fit the type. */
bool ice_parquet__bound_literal(ice_literal *out, const ice_type *type, const pq_leaf *leaf, const uint8_t *data,
                                size_t len);

/* Order of two bound literals of the same primitive type. */
int ice_parquet__literal_cmp(const ice_literal *a, const ice_literal *b);
/* A metrics object with room for n columns and split offsets; its arena
 * owns bound payloads. */
ice_parquet_file_metrics *ice_parquet__metrics_new(size_t ncolumns, size_t nsplits, ice_arena **arena_out);
bool ice_parquet__literal_own(ice_literal *l, ice_arena *a);
const ice_parquet_column *ice_parquet__list_element(const ice_parquet_column *g, bool *is_repeated);
const ice_parquet_column *ice_parquet__map_entries(const ice_parquet_column *g);
bool ice_parquet__is_list(const pq_element *e);
bool ice_parquet__is_map(const pq_element *e);

#endif
