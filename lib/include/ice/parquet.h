/*
 * ice/parquet.h - reading and writing Apache Parquet files.
 *
 * The reader opens a file through FileIO, parses its footer (every length and
 * offset checked against the file size), describes the schema in Parquet and
 * in Iceberg terms (field ids included), exposes row groups and column chunks
 * (encodings, codec, sizes, statistics), and decodes rows into Arrow C Data
 * Interface batches (see ice/arrow.h): projection by field id or column name,
 * row-group selection and skipping by statistics, and a range of row
 * positions.
 *
 * The writer takes Arrow batches that match an Iceberg struct type and
 * writes a Parquet file with field ids and the logical types Iceberg
 * requires, then reports the Iceberg metrics a manifest entry needs.
 *
 * Conventions (see ice/errors.h): functions return 0 or a negative code;
 * ICE_EINVALID for a malformed file, with the message
 * "<file>: <column path>: <page N | offset N>: <what>"; ICE_EUNSUPPORTED
 * for valid features ice does not read (encryption, ...). `**out` results
 * belong to the caller and are released with the matching _free (NULL is
 * fine). Accessors return borrowed pointers that live as long as the reader.
 */
#ifndef ICE_PARQUET_H
#define ICE_PARQUET_H

#include "arrow.h"
#include "common.h"
#include "io.h"
#include "literal.h"
#include "types.h"

ICE_BEGIN_DECL

/* ---- the file's schema ------------------------------------------------ */

typedef enum ice_parquet_physical_type {
	ICE_PARQUET_BOOLEAN = 0,
	ICE_PARQUET_INT32 = 1,
	ICE_PARQUET_INT64 = 2,
	ICE_PARQUET_INT96 = 3,
	ICE_PARQUET_FLOAT = 4,
	ICE_PARQUET_DOUBLE = 5,
	ICE_PARQUET_BYTE_ARRAY = 6,
	ICE_PARQUET_FIXED_LEN_BYTE_ARRAY = 7,
	ICE_PARQUET_GROUP = -1, /* not a physical type: a group node */
} ice_parquet_physical_type;

typedef enum ice_parquet_repetition {
	ICE_PARQUET_REQUIRED = 0,
	ICE_PARQUET_OPTIONAL = 1,
	ICE_PARQUET_REPEATED = 2,
} ice_parquet_repetition;

/* Parquet's compression codecs, numbered as in parquet.thrift. */
typedef enum ice_parquet_codec {
	ICE_PARQUET_UNCOMPRESSED = 0,
	ICE_PARQUET_SNAPPY = 1,
	ICE_PARQUET_GZIP = 2,
	ICE_PARQUET_LZO = 3,
	ICE_PARQUET_BROTLI = 4,
	ICE_PARQUET_LZ4 = 5, /* Hadoop framing (or a bare block, as some writers did) */
	ICE_PARQUET_ZSTD = 6,
	ICE_PARQUET_LZ4_RAW = 7,
} ice_parquet_codec;

/* Encodings, numbered as in parquet.thrift. */
typedef enum ice_parquet_encoding {
	ICE_PARQUET_ENC_PLAIN = 0,
	ICE_PARQUET_ENC_PLAIN_DICTIONARY = 2,
	ICE_PARQUET_ENC_RLE = 3,
	ICE_PARQUET_ENC_BIT_PACKED = 4,
	ICE_PARQUET_ENC_DELTA_BINARY_PACKED = 5,
	ICE_PARQUET_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
	ICE_PARQUET_ENC_DELTA_BYTE_ARRAY = 7,
	ICE_PARQUET_ENC_RLE_DICTIONARY = 8,
	ICE_PARQUET_ENC_BYTE_STREAM_SPLIT = 9,
} ice_parquet_encoding;

/* "PLAIN", "RLE_DICTIONARY", ...; "SNAPPY", "ZSTD", ...; "INT32", ... */
ICE_EXTERN const char *ice_parquet_encoding_name(int encoding);
ICE_EXTERN const char *ice_parquet_codec_name(int codec);
ICE_EXTERN const char *ice_parquet_physical_type_name(int type);

typedef struct ice_parquet_column ice_parquet_column;

/*
 * One node of the Parquet schema tree (a group or a primitive column).
 * `iceberg_type` is the Iceberg type the node maps to (NULL when it has
 * none, e.g. unsigned 64-bit integers, float16 or an unknown logical type;
 * such columns still decode to Arrow). Legacy list and map shapes (2-level
 * lists, repeated fields without annotation, MAP_KEY_VALUE) are recognised.
 */
struct ice_parquet_column {
	const char *name;
	const char *path;          /* dotted path from the root, e.g. "a.list.element" */
	int32_t field_id;          /* 0 when has_field_id is false */
	bool has_field_id;
	ice_parquet_repetition repetition;
	ice_parquet_physical_type physical_type; /* ICE_PARQUET_GROUP for groups */
	int32_t type_length;       /* FIXED_LEN_BYTE_ARRAY width, else 0 */
	const char *logical_type;  /* e.g. "TIMESTAMP(MICROS,true)", "STRING"; NULL if none */
	const char *converted_type; /* e.g. "UTF8", "DECIMAL"; NULL if none */
	int32_t precision, scale;  /* decimals */
	const ice_type *iceberg_type;
	int16_t max_definition_level;
	int16_t max_repetition_level;
	int32_t leaf_index;        /* index among the leaf columns, -1 for groups */
	const ice_parquet_column *parent; /* NULL for the root */
	size_t nchildren;
	const ice_parquet_column *children;
};

/* ---- statistics and chunks -------------------------------------------- */

typedef struct ice_parquet_statistics {
	bool has_null_count, has_distinct_count, has_min, has_max;
	int64_t null_count;
	int64_t distinct_count;
	ice_slice min, max;        /* plain-encoded bytes as stored in the file */
	bool min_exact, max_exact; /* false when the writer truncated them */
	/* The bounds as Iceberg values of the column's iceberg_type, when the
	 * type has one and the bound is trustworthy (min_value/max_value, or the
	 * deprecated min/max for types whose order is signed); otherwise
	 * is_null is true. Payloads point into the reader. */
	ice_literal min_value, max_value;
} ice_parquet_statistics;

typedef struct ice_parquet_column_chunk {
	const ice_parquet_column *column; /* the leaf */
	int codec;                 /* ice_parquet_codec */
	size_t nencodings;
	const int *encodings;      /* ice_parquet_encoding values */
	int64_t num_values;        /* levels, nulls included */
	int64_t total_compressed_size;
	int64_t total_uncompressed_size;
	int64_t data_page_offset;
	int64_t dictionary_page_offset; /* -1 when absent */
	bool has_statistics;
	ice_parquet_statistics statistics;
} ice_parquet_column_chunk;

typedef struct ice_parquet_row_group {
	int64_t num_rows;
	int64_t first_row;         /* position of its first row in the file */
	int64_t total_byte_size;
	int64_t total_compressed_size;
	int64_t file_offset;       /* where its first page starts (a split offset) */
	size_t ncolumns;
	const ice_parquet_column_chunk *columns; /* in leaf order */
} ice_parquet_row_group;

typedef struct ice_parquet_key_value {
	const char *key;
	const char *value; /* NULL when absent */
} ice_parquet_key_value;

/* ---- reader ----------------------------------------------------------- */

typedef struct ice_parquet_reader ice_parquet_reader;

/*
 * Open a Parquet file and parse its footer. On success *out is a reader to
 * free with ice_parquet_reader_free(). Returns ICE_ENOTFOUND when the file
 * does not exist, ICE_EINVALID for a file that is not valid Parquet, and
 * ICE_EUNSUPPORTED for an encrypted footer. `io` must outlive the reader.
 */
ICE_EXTERN int ice_parquet_reader_open(ice_parquet_reader **out, const ice_io *io, const char *location);
/* The same for a file whose size the caller knows (a manifest says it), so
 * an object store need not ask; -1: unknown. */
ICE_EXTERN int ice_parquet_reader_open_sized(ice_parquet_reader **out, const ice_io *io, const char *location,
                                             int64_t file_size);
ICE_EXTERN void ice_parquet_reader_free(ice_parquet_reader *r);

ICE_EXTERN const char *ice_parquet_reader_location(const ice_parquet_reader *r);
ICE_EXTERN uint64_t ice_parquet_reader_file_size(const ice_parquet_reader *r);
ICE_EXTERN int64_t ice_parquet_reader_num_rows(const ice_parquet_reader *r);
ICE_EXTERN int32_t ice_parquet_reader_version(const ice_parquet_reader *r);
ICE_EXTERN const char *ice_parquet_reader_created_by(const ice_parquet_reader *r); /* NULL if absent */
ICE_EXTERN size_t ice_parquet_reader_key_value_count(const ice_parquet_reader *r);
ICE_EXTERN const ice_parquet_key_value *ice_parquet_reader_key_value(const ice_parquet_reader *r, size_t i);

/* The root group of the schema tree; its children are the top-level fields. */
ICE_EXTERN const ice_parquet_column *ice_parquet_reader_root(const ice_parquet_reader *r);
ICE_EXTERN size_t ice_parquet_reader_leaf_count(const ice_parquet_reader *r);
ICE_EXTERN const ice_parquet_column *ice_parquet_reader_leaf(const ice_parquet_reader *r, size_t i);
/* The node carrying `field_id`, or NULL. */
ICE_EXTERN const ice_parquet_column *ice_parquet_reader_column_by_field_id(const ice_parquet_reader *r,
                                                                           int32_t field_id);
/* The node at a dotted path ("a", "a.b"), or NULL. */
ICE_EXTERN const ice_parquet_column *ice_parquet_reader_column_by_path(const ice_parquet_reader *r,
                                                                       const char *path);

/*
 * The file's schema as an Iceberg struct type: one field per top-level
 * column that has an Iceberg type, with the file's field ids (0 where the
 * file has none). Borrowed; lives as long as the reader.
 */
ICE_EXTERN const ice_type *ice_parquet_reader_iceberg_schema(const ice_parquet_reader *r);

ICE_EXTERN size_t ice_parquet_reader_row_group_count(const ice_parquet_reader *r);
ICE_EXTERN const ice_parquet_row_group *ice_parquet_reader_row_group(const ice_parquet_reader *r, size_t i);

/* ---- scanning rows into Arrow batches --------------------------------- */

/*
 * Decide whether a row group may hold matching rows, from its statistics.
 * Set *skip_out to true to skip it. A nonzero return aborts the scan with
 * that code (raise the message with ice_error_set()).
 */
typedef int (*ice_parquet_row_group_filter)(bool *skip_out, const ice_parquet_reader *r,
                                            const ice_parquet_row_group *row_group, void *payload);

typedef struct ice_parquet_scan_options {
	/* Projection: top-level or nested columns by field id, or by dotted
	 * path. Both NULL/0 selects every column. A selected group brings its
	 * whole subtree, a map's key or value the whole map. Columns come out in
	 * file order. */
	const int32_t *field_ids;
	size_t nfield_ids;
	const char *const *columns;
	size_t ncolumns;
	/* Row groups to read by index (NULL: all), in the order given. */
	const size_t *row_groups;
	size_t nrow_groups;
	ice_parquet_row_group_filter filter;
	void *filter_payload;
	/* Row positions [row_start, row_end) of the file; row_end < 0: to the
	 * end. Row groups outside the range are not read. */
	int64_t row_start;
	int64_t row_end;
	/* Rows per batch; 0 means 65536. A batch never spans row groups. */
	size_t batch_size;
	/* Verify page CRCs when present (default off, as most readers). */
	bool verify_checksums;
	/* Threads decoding the columns of a batch in parallel (0 or 1: only the
	 * calling thread). Batches and errors are the same either way. */
	size_t threads;
} ice_parquet_scan_options;

/* Zero options with row_end = -1: every column, every row. */
ICE_EXTERN void ice_parquet_scan_options_init(ice_parquet_scan_options *opts);

typedef struct ice_parquet_scan ice_parquet_scan;

/*
 * Start reading rows. ICE_ENOTFOUND when a projected field id or column is
 * not in the file; ICE_EINVALID for a bad row group index. The reader must
 * outlive the scan; one reader may run several scans one after another (not
 * concurrently from different threads).
 */
ICE_EXTERN int ice_parquet_scan_open(ice_parquet_scan **out, ice_parquet_reader *r,
                                     const ice_parquet_scan_options *opts);
ICE_EXTERN void ice_parquet_scan_free(ice_parquet_scan *scan);

/*
 * The schema of every batch: a struct ("+s") whose children are the
 * projected top-level columns, each with "PARQUET:field_id" metadata when
 * the file has an id. The caller owns *out and releases it.
 */
ICE_EXTERN int ice_parquet_scan_schema(const ice_parquet_scan *scan, struct ArrowSchema *out);

/*
 * The next batch: a struct array whose children are the columns. The caller
 * owns *out (release it; it may outlive the scan). *first_row_out (may be
 * NULL) receives the file position of the batch's first row. Returns
 * ICE_ITEROVER when there are no more rows; any other error leaves *out
 * released and the scan unusable.
 */
ICE_EXTERN int ice_parquet_scan_next(ice_parquet_scan *scan, struct ArrowArray *out, int64_t *first_row_out);

/*
 * Wrap a scan as an Arrow C stream that owns it (freed when the stream is
 * released). get_next yields a released array at the end.
 */
ICE_EXTERN int ice_parquet_scan_to_stream(ice_parquet_scan *scan, struct ArrowArrayStream *out);

/* ---- writer ----------------------------------------------------------- */

typedef struct ice_parquet_write_options {
	int codec;                    /* ice_parquet_codec; default ZSTD */
	int compression_level;        /* 0: codec default (zstd 3) */
	int64_t row_group_size_bytes; /* default 128 MiB */
	int64_t page_size_bytes;      /* default 1 MiB */
	int64_t page_row_limit;       /* default 20000 */
	int64_t dictionary_size_bytes; /* dictionary page limit, default 2 MiB */
	int64_t target_file_size_bytes; /* default 512 MiB; see _should_roll() */
	bool dictionary_enabled;      /* default true */
	/* Iceberg metrics: bounds of strings and binary truncated to this many
	 * characters/bytes (default 16, as write.metadata.metrics.default). */
	int32_t metrics_truncate_length;
	const ice_parquet_key_value *key_values; /* extra footer metadata */
	size_t nkey_values;
} ice_parquet_write_options;

ICE_EXTERN void ice_parquet_write_options_init(ice_parquet_write_options *opts);

/*
 * Apply one Iceberg table property: write.parquet.compression-codec
 * (zstd, snappy, gzip, lz4_raw, lz4, brotli, uncompressed),
 * write.parquet.compression-level, write.parquet.row-group-size-bytes,
 * write.parquet.page-size-bytes, write.parquet.page-row-limit,
 * write.parquet.dict-size-bytes, write.target-file-size-bytes. Other keys
 * are ignored (returns 0). ICE_EINVALID for a bad value.
 */
ICE_EXTERN int ice_parquet_write_options_set(ice_parquet_write_options *opts, const char *key, const char *value);

typedef struct ice_parquet_writer ice_parquet_writer;

/*
 * Create `location` (exclusively: ICE_EEXISTS if it exists) and prepare to
 * write rows of `schema`, an Iceberg struct type whose fields carry the ids
 * written to the file. `schema` must outlive the writer. Variants are
 * written unshredded (a VARIANT group of metadata and value binaries),
 * geometry and geography as WKB with their logical types, and optional
 * unknown-typed fields are left out of the file (Iceberg stores none).
 * ICE_EINVALID for a required unknown field; ICE_EUNSUPPORTED for an empty
 * struct or a list or map of unknown.
 */
ICE_EXTERN int ice_parquet_writer_open(ice_parquet_writer **out, const ice_io *io, const char *location,
                                       const ice_type *schema, const ice_parquet_write_options *opts);

/*
 * Append the rows of `batch`, a struct array ("+s") whose children match the
 * schema's fields by position, with Arrow types compatible with them:
 * boolean b; int i; long l; float f; double g; decimal d:P,S (128-bit);
 * date tdD; time ttu; timestamp tsu: (timestamptz: tsu:<any zone>);
 * timestamp_ns tsn:; string u or U; uuid w:16; fixed[L] w:L; binary,
 * geometry and geography z or Z; variant +s of two binaries (metadata,
 * value); unknown n; struct +s; list +l; map +m. The batch stays owned by the caller.
 * ICE_EINVALID when it does not match; after any failure the writer can only
 * be aborted.
 */
ICE_EXTERN int ice_parquet_writer_write(ice_parquet_writer *w, const struct ArrowArray *batch,
                                        const struct ArrowSchema *batch_schema);

/* Bytes written so far plus the estimated size of the open row group. */
ICE_EXTERN int64_t ice_parquet_writer_estimated_size(const ice_parquet_writer *w);
/* Whether the estimated size reached target_file_size_bytes: the caller
 * should close this file and continue in a new one. */
ICE_EXTERN bool ice_parquet_writer_should_roll(const ice_parquet_writer *w);

/*
 * Bytes the writer holds in memory (the open row group's compressed pages,
 * the page being built, dictionaries and their hash tables, the
 * compressor's state: allocated capacity, not just what is used), and
 * ending that row group now rather than at row_group_size_bytes, then
 * freeing what the empty row group does not need (made again when rows
 * come): what a writer keeping many files open uses to bound its memory.
 * Flushing an empty row group only frees.
 */
ICE_EXTERN int64_t ice_parquet_writer_buffered_bytes(const ice_parquet_writer *w);
ICE_EXTERN int ice_parquet_writer_flush_row_group(ice_parquet_writer *w);

/* Iceberg metrics of one primitive column (spec "Manifests": data_file). */
typedef struct ice_parquet_column_metrics {
	int32_t field_id;
	int64_t column_size;   /* compressed bytes of its chunks */
	int64_t value_count;   /* values including nulls */
	int64_t null_count;
	int64_t nan_count;     /* -1 for types other than float and double */
	bool has_bounds;       /* false when every value is null/NaN or inside a list/map */
	ice_literal lower_bound;
	ice_literal upper_bound; /* for truncated strings/binary: rounded up */
} ice_parquet_column_metrics;

typedef struct ice_parquet_file_metrics {
	int64_t file_size;
	int64_t record_count;
	size_t nsplit_offsets;
	const int64_t *split_offsets; /* row group start offsets, ascending */
	size_t ncolumns;
	const ice_parquet_column_metrics *columns; /* one per primitive field, by field id */
} ice_parquet_file_metrics;

/* Look up the metrics of a field id; NULL if absent. */
ICE_EXTERN const ice_parquet_column_metrics *ice_parquet_file_metrics_column(const ice_parquet_file_metrics *m,
                                                                            int32_t field_id);
ICE_EXTERN void ice_parquet_file_metrics_free(ice_parquet_file_metrics *m);

/*
 * Flush the last row group, write the footer, make the file durable and
 * visible. On success *metrics_out (may be NULL) receives the file's metrics
 * (free with ice_parquet_file_metrics_free(); bound payloads are owned by
 * it). The writer is freed whatever the result; after a failure nothing is
 * left at `location`.
 */
ICE_EXTERN int ice_parquet_writer_close(ice_parquet_writer *w, ice_parquet_file_metrics **metrics_out);

/* Abandon the file: remove what was written and free the writer. */
ICE_EXTERN void ice_parquet_writer_abort(ice_parquet_writer *w);

/*
 * Iceberg metrics of an existing file from its footer statistics (for
 * registering files written elsewhere), by the file's field ids. Columns
 * without ids are left out. Free with ice_parquet_file_metrics_free().
 */
ICE_EXTERN int ice_parquet_reader_metrics(ice_parquet_file_metrics **out, const ice_parquet_reader *r);

/*
 * The same, with the field id of each leaf column given by the caller
 * (`leaf_ids[i]` for ice_parquet_reader_leaf(r, i); 0 leaves it out): for
 * files written without field ids, whose ids come from a name mapping.
 */
ICE_EXTERN int ice_parquet_reader_metrics_by_leaf_ids(ice_parquet_file_metrics **out, const ice_parquet_reader *r,
                                                      const int32_t *leaf_ids);

ICE_END_DECL

#endif
