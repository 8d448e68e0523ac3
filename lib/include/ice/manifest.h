/*
 * ice/manifest.h - manifest lists and manifests (spec "Manifests",
 * "Manifest Lists", "Sequence Number Inheritance", "First Row ID
 * Inheritance", Appendix A "Avro"), format v1 to v3, read and written.
 *
 * Reading streams: a reader holds one Avro block of its file at a time (plus
 * the current record), never the whole manifest. What _next() hands out is
 * borrowed from the reader and valid until the next call on it (or until it
 * is freed); copy an item that must live longer (ice_data_file_copy,
 * ice_manifest_file_copy). Strings in returned structs are NUL-terminated;
 * byte payloads (bounds, partition strings, key metadata) are ice_slices.
 *
 * Fields are matched by Iceberg field id where the file has ids, by name
 * otherwise (with the name variants seen in the wild, such as
 * added_data_files_count for added_files_count). Unknown fields are skipped.
 * Int and long, float and double, and nullable and required forms of a
 * field are accepted where the value fits.
 *
 * Errors are one line naming the file and the place in it:
 *   "<file>: record 12: data_file.record_count: value is null"
 *   "<file>: block at offset 4096: sync marker does not match the header"
 * Corrupt input yields ICE_EINVALID; an Avro codec that is not supported
 * (bzip2, xz) ICE_EUNSUPPORTED; a missing file ICE_ENOTFOUND.
 *
 * Writing produces the spec's Avro schemas exactly (field ids, element-id,
 * key and value ids in map records, the partition struct from the spec with
 * its partition field ids) and the header keys `schema`, `schema-id`,
 * `partition-spec`, `partition-spec-id`, `format-version` and `content`
 * (manifests) or `snapshot-id`, `parent-snapshot-id`, `sequence-number`,
 * `first-row-id` and `format-version` (manifest lists). Deflate by default.
 */
#ifndef ICE_MANIFEST_H
#define ICE_MANIFEST_H

#include "common.h"
#include "io.h"
#include "json.h"
#include "literal.h"
#include "partition_spec.h"
#include "schema.h"
#include "snapshot.h"
#include "table_metadata.h"

ICE_BEGIN_DECL

/* ---- values ---------------------------------------------------------------- */

/* What a manifest tracks (manifest list field 517, header key "content"). */
typedef enum ice_manifest_content {
	ICE_MANIFEST_CONTENT_DATA = 0,
	ICE_MANIFEST_CONTENT_DELETES = 1,
} ice_manifest_content;

/* What a data file holds (data_file field 134). */
typedef enum ice_file_content {
	ICE_FILE_CONTENT_DATA = 0,
	ICE_FILE_CONTENT_POSITION_DELETES = 1,
	ICE_FILE_CONTENT_EQUALITY_DELETES = 2,
} ice_file_content;

/* A manifest entry's status (field 0). */
typedef enum ice_manifest_entry_status {
	ICE_MANIFEST_ENTRY_EXISTING = 0,
	ICE_MANIFEST_ENTRY_ADDED = 1,
	ICE_MANIFEST_ENTRY_DELETED = 2,
} ice_manifest_entry_status;

/*
 * A sequence number a manifest writer cannot know yet: the manifest list
 * writer replaces it with the snapshot's sequence number (as the reference
 * implementation does with its UNASSIGNED_SEQ).
 */
#define ICE_SEQUENCE_NUMBER_UNASSIGNED (-1)

/* "data", "position deletes", ...; "unknown" for other values. */
ICE_EXTERN const char *ice_manifest_content_name(int content);
ICE_EXTERN const char *ice_file_content_name(int content);
ICE_EXTERN const char *ice_manifest_entry_status_name(int status);

/* One element of a column_sizes / value_counts / null_value_counts /
 * nan_value_counts map. */
typedef struct ice_metric_count {
	int32_t field_id;
	int64_t value;
} ice_metric_count;

/* A metrics map; `present` is false when the map is null in the file (as
 * opposed to an empty map). */
typedef struct ice_metric_counts {
	bool present;
	size_t n;
	const ice_metric_count *items;
} ice_metric_counts;

/* One element of lower_bounds / upper_bounds. */
typedef struct ice_metric_bound {
	int32_t field_id;
	ice_slice bytes; /* the single-value serialization (Appendix D), as stored */
	/*
	 * The bound decoded with the field's type from the table schema
	 * (promoted types included: a 4-byte bound of a column now long reads
	 * as a long). Type ICE_TYPE_INVALID when the field is in no schema or
	 * its bytes do not decode (the bytes are still there). Geometry and
	 * geography bounds are points (x:y[:z[:m]] little-endian doubles), not
	 * WKB; ice_metric_bound_to_string renders them.
	 */
	ice_literal value;
} ice_metric_bound;

typedef struct ice_metric_bounds {
	bool present;
	size_t n;
	const ice_metric_bound *items;
} ice_metric_bounds;

typedef struct ice_int64_list {
	bool present;
	size_t n;
	const int64_t *items;
} ice_int64_list;

typedef struct ice_int32_list {
	bool present;
	size_t n;
	const int32_t *items;
} ice_int32_list;

/*
 * The data_file struct (spec "Data File Fields"). In a reader's entries every
 * pointer is borrowed from the reader; in a copy (ice_data_file_copy) from
 * the copy. As input to a writer, the caller owns everything.
 */
typedef struct ice_data_file {
	ice_file_content content; /* 0 for v1 files */
	const char *file_path;
	const char *file_format;  /* as written: "PARQUET", "parquet", "AVRO", "PUFFIN", ... */
	/*
	 * The partition tuple, one value per field of the manifest's partition
	 * spec in spec order, typed as the spec's result type for the table
	 * schema (a null value has is_null set). Fields the file does not
	 * carry read as nulls.
	 */
	int32_t partition_spec_id;
	size_t n_partition;
	const ice_literal *partition;
	int64_t record_count;
	int64_t file_size_in_bytes;
	ice_metric_counts column_sizes;
	ice_metric_counts value_counts;
	ice_metric_counts null_value_counts;
	ice_metric_counts nan_value_counts;
	ice_metric_bounds lower_bounds;
	ice_metric_bounds upper_bounds;
	bool has_key_metadata;
	ice_slice key_metadata;
	ice_int64_list split_offsets;
	ice_int32_list equality_ids;
	bool has_sort_order_id;
	int32_t sort_order_id;
	/* v3 */
	bool has_first_row_id;
	int64_t first_row_id;
	const char *referenced_data_file; /* NULL when absent */
	bool has_content_offset;
	int64_t content_offset;
	bool has_content_size_in_bytes;
	int64_t content_size_in_bytes;
	/* v1's deprecated block_size_in_bytes (105); the v1 writer writes
	 * 67108864 when absent, as the reference implementation does. */
	bool has_block_size_in_bytes;
	int64_t block_size_in_bytes;
} ice_data_file;

/* Bits of ice_manifest_entry.inherited. */
enum {
	ICE_INHERITED_SNAPSHOT_ID = 1 << 0,
	ICE_INHERITED_SEQUENCE_NUMBER = 1 << 1,
	ICE_INHERITED_FILE_SEQUENCE_NUMBER = 1 << 2,
	ICE_INHERITED_FIRST_ROW_ID = 1 << 3,
};

/*
 * A manifest entry (spec "Manifest Entry Fields"). The values are the ones
 * after inheritance: a snapshot id that is null in the file comes from the
 * manifest list entry's added_snapshot_id; data and file sequence numbers
 * that are null come from its sequence number when the entry is ADDED (or
 * the manifest's sequence number is 0, as for v1); a null first_row_id of a
 * live data file is the manifest's first_row_id plus the record counts of
 * the earlier such files. `inherited` says which values were null in the
 * file; a writer writes those as null again (see ice_manifest_writer_add_entry).
 * has_* is false when the value is null and nothing supplied it.
 */
typedef struct ice_manifest_entry {
	ice_manifest_entry_status status;
	bool has_snapshot_id;
	int64_t snapshot_id;
	bool has_sequence_number; /* the data sequence number */
	int64_t sequence_number;
	bool has_file_sequence_number;
	int64_t file_sequence_number;
	unsigned inherited; /* ICE_INHERITED_* */
	ice_data_file data_file;
} ice_manifest_entry;

/* One partition field's summary in a manifest list entry (field 508). */
typedef struct ice_partition_field_summary {
	bool contains_null;
	bool has_contains_nan;
	bool contains_nan;
	bool has_lower_bound;
	bool has_upper_bound;
	ice_slice lower_bound; /* serialized (Appendix D), as stored */
	ice_slice upper_bound;
	/* Decoded with the partition field's type when the table metadata
	 * has the manifest's spec; type ICE_TYPE_INVALID otherwise. */
	ice_literal lower_value;
	ice_literal upper_value;
} ice_partition_field_summary;

/*
 * A manifest list entry (spec "Manifest Lists": manifest_file). Counts are
 * -1 where the file has null (v1 lists may). v1 lists read with content
 * data and sequence numbers 0.
 */
typedef struct ice_manifest_file {
	const char *manifest_path;
	int64_t manifest_length;
	int32_t partition_spec_id;
	ice_manifest_content content;
	int64_t sequence_number;     /* or ICE_SEQUENCE_NUMBER_UNASSIGNED (writer output) */
	int64_t min_sequence_number; /* same */
	bool has_added_snapshot_id;
	int64_t added_snapshot_id;
	int32_t added_files_count;
	int32_t existing_files_count;
	int32_t deleted_files_count;
	int64_t added_rows_count;
	int64_t existing_rows_count;
	int64_t deleted_rows_count;
	bool has_partitions;
	size_t n_partitions;
	const ice_partition_field_summary *partitions;
	bool has_key_metadata;
	ice_slice key_metadata;
	bool has_first_row_id; /* v3 */
	int64_t first_row_id;
} ice_manifest_file;

/* Deep copies, owned by the caller; free with the matching _free (NULL ok). */
ICE_EXTERN int ice_data_file_copy(ice_data_file **out, const ice_data_file *file);
ICE_EXTERN void ice_data_file_free(ice_data_file *file);
ICE_EXTERN int ice_manifest_file_copy(ice_manifest_file **out, const ice_manifest_file *mf);
ICE_EXTERN void ice_manifest_file_free(ice_manifest_file *mf);

/* Equality of everything the file holds (bounds by bytes; decoded values,
 * which follow from them, are not compared). */
ICE_EXTERN bool ice_data_file_equal(const ice_data_file *a, const ice_data_file *b);
ICE_EXTERN bool ice_manifest_entry_equal(const ice_manifest_entry *a, const ice_manifest_entry *b);
ICE_EXTERN bool ice_manifest_file_equal(const ice_manifest_file *a, const ice_manifest_file *b);

/* Look up a field's metric; NULL when absent. */
ICE_EXTERN const ice_metric_count *ice_metric_counts_get(const ice_metric_counts *m, int32_t field_id);
ICE_EXTERN const ice_metric_bound *ice_metric_bounds_get(const ice_metric_bounds *m, int32_t field_id);

/*
 * A bound as readable text: the literal's text for decoded values,
 * "POINT (x y)" style text for geometry and geography bounds, hex of the
 * bytes when the value did not decode. Allocated; free with ice_free().
 * NULL on out of memory.
 */
ICE_EXTERN char *ice_metric_bound_to_string(const ice_metric_bound *bound);
/* The same as JSON: the single-value JSON form (Appendix D), the text
 * above for geo points, {"bytes": "<hex>"} for undecoded bounds. */
ICE_EXTERN int ice_metric_bound_write_json(const ice_metric_bound *bound, ice_json_writer *w);

/*
 * JSON renderings for tools (--json): every field of the struct by its spec
 * name, partition values by partition field name when `spec` is given (by
 * field id otherwise), bounds as typed values (see above) keyed by field id.
 */
ICE_EXTERN int ice_data_file_write_json(const ice_data_file *file, const ice_partition_spec *spec,
                                        ice_json_writer *w);
ICE_EXTERN int ice_manifest_entry_write_json(const ice_manifest_entry *entry, const ice_partition_spec *spec,
                                             ice_json_writer *w);
ICE_EXTERN int ice_manifest_file_write_json(const ice_manifest_file *mf, ice_json_writer *w);

/* ---- reading manifest lists ---------------------------------------------- */

typedef struct ice_manifest_list_reader ice_manifest_list_reader;

/*
 * Open the manifest list at `location` (path maps of `io` apply). `md` (may
 * be NULL) types the partition summaries' bounds by each manifest's spec.
 * ICE_ENOTFOUND when the file does not exist; ICE_EINVALID for a file that is
 * not an Avro manifest list. On failure *out is NULL.
 */
ICE_EXTERN int ice_manifest_list_open(ice_manifest_list_reader **out, const ice_io *io,
                                      const ice_table_metadata *md, const char *location);
/*
 * The next entry: 0 and *out set, ICE_ITEROVER at the end, or an error
 * ("<file>: record N: ..." / "<file>: block at offset N: ..."). *out is
 * valid until the next call on the reader.
 */
ICE_EXTERN int ice_manifest_list_next(ice_manifest_list_reader *r, const ice_manifest_file **out);
ICE_EXTERN void ice_manifest_list_reader_free(ice_manifest_list_reader *r);

/* Header information: the format version (from "format-version", else
 * inferred from the fields: 1 without sequence numbers, 3 with
 * first_row_id, else 2), "snapshot-id", "parent-snapshot-id",
 * "sequence-number", "first-row-id" (false when absent or "null"). */
ICE_EXTERN int ice_manifest_list_reader_format_version(const ice_manifest_list_reader *r);
ICE_EXTERN bool ice_manifest_list_reader_header_long(const ice_manifest_list_reader *r, const char *key,
                                                     int64_t *out);
/* Any header value (NUL-terminated copy, borrowed), or NULL. */
ICE_EXTERN const char *ice_manifest_list_reader_meta(const ice_manifest_list_reader *r, const char *key);

/* A whole manifest list in memory, owned by the caller. */
typedef struct ice_manifest_list {
	int format_version;
	size_t n;
	const ice_manifest_file *items;
} ice_manifest_list;

/*
 * Read a whole manifest list. ice_manifest_list_read_snapshot reads the
 * snapshot's manifest list, or, for a v1 snapshot that lists its manifests
 * inline ("manifests"), makes one entry per manifest from its header
 * (spec id, content; sequence numbers 0; added_snapshot_id the snapshot's;
 * counts unknown). Free with ice_manifest_list_free().
 */
ICE_EXTERN int ice_manifest_list_read(ice_manifest_list **out, const ice_io *io, const ice_table_metadata *md,
                                      const char *location);
ICE_EXTERN int ice_manifest_list_read_snapshot(ice_manifest_list **out, const ice_io *io,
                                               const ice_table_metadata *md, const ice_snapshot *snapshot);
ICE_EXTERN void ice_manifest_list_free(ice_manifest_list *list);

/* ---- reading manifests ------------------------------------------------------ */

typedef struct ice_manifest_reader ice_manifest_reader;

/*
 * Open the manifest that manifest list entry `mf` names (mf->manifest_path;
 * path maps of `io` apply); `mf` supplies what entries inherit and is
 * copied, so it need not outlive the call.
 *
 * The partition spec is the table's spec mf->partition_spec_id, else the
 * header's "partition-spec", else one made from the file's partition record;
 * partition values are typed per that spec for the table's current schema.
 * Bounds are decoded with the table's current schema, falling back to older
 * schemas and the header's "schema" for fields no longer in it. `md` may be
 * NULL: the header then supplies schema and spec.
 */
ICE_EXTERN int ice_manifest_open(ice_manifest_reader **out, const ice_io *io, const ice_table_metadata *md,
                                 const ice_manifest_file *mf);
/*
 * Open a manifest by location, without a manifest list entry: nothing is
 * inherited except that a manifest without sequence numbers (v1) reads
 * them as 0. The spec is the table's "partition-spec-id" from the header.
 */
ICE_EXTERN int ice_manifest_open_location(ice_manifest_reader **out, const ice_io *io,
                                          const ice_table_metadata *md, const char *location);
/* The next entry (0), ICE_ITEROVER at the end, or an error. *out is valid
 * until the next call on the reader. */
ICE_EXTERN int ice_manifest_next(ice_manifest_reader *r, const ice_manifest_entry **out);
ICE_EXTERN void ice_manifest_reader_free(ice_manifest_reader *r);

/* The format version (header, else inferred as for manifest lists). */
ICE_EXTERN int ice_manifest_reader_format_version(const ice_manifest_reader *r);
/* Header "content", else the manifest list entry's. */
ICE_EXTERN ice_manifest_content ice_manifest_reader_content(const ice_manifest_reader *r);
/* The partition spec entries' partition tuples follow (borrowed). */
ICE_EXTERN const ice_partition_spec *ice_manifest_reader_spec(const ice_manifest_reader *r);
/* The type of each partition field (spec order); NULL entries where the
 * type is unknown. */
ICE_EXTERN const ice_type *ice_manifest_reader_partition_type(const ice_manifest_reader *r, size_t i);
/* The header's "schema" when present and valid, else NULL (borrowed). */
ICE_EXTERN const ice_schema *ice_manifest_reader_header_schema(const ice_manifest_reader *r);
ICE_EXTERN const char *ice_manifest_reader_meta(const ice_manifest_reader *r, const char *key);

/* ---- metrics modes (write.metadata.metrics.*) ------------------------------- */

typedef enum ice_metrics_mode_kind {
	ICE_METRICS_NONE,
	ICE_METRICS_COUNTS,
	ICE_METRICS_TRUNCATE,
	ICE_METRICS_FULL,
} ice_metrics_mode_kind;

typedef struct ice_metrics_mode {
	ice_metrics_mode_kind kind;
	int32_t length; /* TRUNCATE only */
} ice_metrics_mode;

/* "none", "counts", "full", "truncate(N)" with N > 0 (case-insensitive,
 * spaces allowed); ICE_EINVALID otherwise. */
ICE_EXTERN int ice_metrics_mode_parse(ice_metrics_mode *out, const char *s);

/*
 * The mode of field `field_id` for a table: write.metadata.metrics.column.
 * <full column name> if set, else write.metadata.metrics.default, else
 * truncate(16), except that without an explicit default only the first
 * write.metadata.metrics.max-inferred-column-defaults (100) primitive
 * columns get it and later ones get none, as the reference implementation
 * does; columns of the table's sort order never drop below truncate(16).
 */
typedef struct ice_metrics_config ice_metrics_config;
ICE_EXTERN int ice_metrics_config_new(ice_metrics_config **out, const ice_properties *props,
                                      const ice_schema *schema, const ice_sort_order *sort_order);
ICE_EXTERN void ice_metrics_config_free(ice_metrics_config *config);
ICE_EXTERN ice_metrics_mode ice_metrics_config_mode(const ice_metrics_config *config, int32_t field_id);

/*
 * Bound truncation (truncate(N)): the lower bound of a string is its first N
 * code points; the upper bound is the first N code points with the last one
 * that can be incremented incremented (surrogates skipped), or no bound when
 * none can. Binary works on bytes (0xff cannot be incremented). Values no
 * longer than N are returned as they are. The result points into `value` or
 * into `scratch` (at least N * 4 bytes); *has_out is false when there is no
 * upper bound. ICE_EINVALID for a string that is not UTF-8.
 */
ICE_EXTERN int ice_metrics_truncate_lower(ice_slice *out, ice_type_id type, ice_slice value, int32_t length);
ICE_EXTERN int ice_metrics_truncate_upper(ice_slice *out, bool *has_out, ice_type_id type, ice_slice value,
                                          int32_t length, uint8_t *scratch, size_t scratch_len);

/* ---- writing manifests ------------------------------------------------------ */

typedef struct ice_manifest_writer_options {
	int format_version;                 /* 1..3; 0: the table's */
	ice_manifest_content content;       /* data (default) or deletes (v2+) */
	bool has_snapshot_id;               /* the snapshot adding the manifest */
	int64_t snapshot_id;
	const ice_schema *schema;           /* NULL: the table's current schema */
	const ice_partition_spec *spec;     /* NULL: the table's default spec */
	/* The type of each partition field (spec order); NULL: the spec's
	 * result types for the schema (a manifest being copied passes its
	 * reader's ice_manifest_reader_partition_type()). */
	const ice_type *const *partition_types;
	/* Avro codec: "deflate" (default), "snappy", "zstandard", "null";
	 * NULL: table property write.avro.compression-codec (gzip means deflate,
	 * uncompressed null, zstd zstandard), else deflate. */
	const char *codec;
	int compression_level;              /* 0: write.avro.compression-level or the codec's default */
	/* Write every entry's metrics as given instead of applying the table's
	 * metrics modes to ADDED entries (for copying manifests). */
	bool keep_metrics;
	const ice_properties *properties;   /* NULL: the table's */
} ice_manifest_writer_options;

ICE_EXTERN void ice_manifest_writer_options_init(ice_manifest_writer_options *opts);

typedef struct ice_manifest_writer ice_manifest_writer;

/*
 * Create a manifest at `location` (exclusively: ICE_EEXISTS if it exists).
 * `md` may be NULL when opts gives format version, schema and spec. The
 * schema, spec and properties must outlive the writer.
 */
ICE_EXTERN int ice_manifest_writer_open(ice_manifest_writer **out, const ice_io *io, const char *location,
                                        const ice_table_metadata *md, const ice_manifest_writer_options *opts);

/*
 * Append an entry as it is: values whose has_* is false, or whose
 * ICE_INHERITED_* bit is set, are written as null, except that sequence
 * numbers of EXISTING and DELETED entries are always written when known (the
 * spec wants them explicit). Checked: the data file's partition tuple
 * matches the spec (count and types; nulls allowed), its content fits the
 * manifest's, and v1 entries have a snapshot id (the writer's when the entry
 * has none). ICE_EINVALID otherwise; the writer stays usable. Metrics modes
 * apply to ADDED entries unless opts.keep_metrics.
 */
ICE_EXTERN int ice_manifest_writer_add_entry(ice_manifest_writer *w, const ice_manifest_entry *entry);
/* A new file: status ADDED, the writer's snapshot id, sequence numbers and
 * first_row_id left to inheritance (data sequence number explicit when
 * `data_sequence_number` >= 0). */
ICE_EXTERN int ice_manifest_writer_add(ice_manifest_writer *w, const ice_data_file *file,
                                       int64_t data_sequence_number);
/* A file carried over: status EXISTING with its original snapshot id and
 * sequence numbers. */
ICE_EXTERN int ice_manifest_writer_add_existing(ice_manifest_writer *w, const ice_data_file *file,
                                                int64_t snapshot_id, int64_t sequence_number,
                                                int64_t file_sequence_number);
/* A file removed by the writer's snapshot: status DELETED. */
ICE_EXTERN int ice_manifest_writer_add_deleted(ice_manifest_writer *w, const ice_data_file *file,
                                               int64_t sequence_number, int64_t file_sequence_number);

/*
 * Finish the file and make it visible. On success *out (may be NULL)
 * receives its manifest list entry: path, length, spec id, content,
 * sequence_number ICE_SEQUENCE_NUMBER_UNASSIGNED, min_sequence_number the
 * smallest explicit data sequence number of a live entry (else
 * UNASSIGNED), added_snapshot_id, file and row counts, partition
 * summaries. Free it with ice_manifest_file_free(). The writer is freed
 * whatever the result; after a failure nothing is left at the location.
 */
ICE_EXTERN int ice_manifest_writer_close(ice_manifest_writer *w, ice_manifest_file **out);
/* Abandon the file (removed) and free the writer. NULL is fine. */
ICE_EXTERN void ice_manifest_writer_abort(ice_manifest_writer *w);

/* ---- writing manifest lists ------------------------------------------------- */

typedef struct ice_manifest_list_writer_options {
	int format_version;           /* 1..3 (required) */
	int64_t snapshot_id;
	bool has_parent_snapshot_id;
	int64_t parent_snapshot_id;
	int64_t sequence_number;      /* v2+: the snapshot's; replaces UNASSIGNED */
	bool has_first_row_id;        /* v3: the snapshot's first-row-id */
	int64_t first_row_id;
	const char *codec;            /* as for manifests; NULL: deflate */
	int compression_level;
	/* Write first_row_id as each entry has it instead of assigning ids
	 * (copying a list as it is). */
	bool keep_first_row_ids;
} ice_manifest_list_writer_options;

ICE_EXTERN void ice_manifest_list_writer_options_init(ice_manifest_list_writer_options *opts);

typedef struct ice_manifest_list_writer ice_manifest_list_writer;

/* Create a manifest list at `location` (exclusively). */
ICE_EXTERN int ice_manifest_list_writer_open(ice_manifest_list_writer **out, const ice_io *io,
                                             const char *location, const ice_manifest_list_writer_options *opts);
/*
 * Append a manifest. Sequence numbers that are UNASSIGNED become the
 * list's sequence number (v2+; only for manifests added by this snapshot).
 * v3: a data manifest without first_row_id is assigned the next row id,
 * which then advances by its added and existing row counts (spec "First
 * Row ID Assignment"); delete manifests keep none. v1 lists write neither.
 */
ICE_EXTERN int ice_manifest_list_writer_add(ice_manifest_list_writer *w, const ice_manifest_file *mf);
/*
 * Finish and publish the file. *next_row_id_out (may be NULL) receives the
 * first row id after the last assigned range (v3; the snapshot's
 * first-row-id plus its added-rows). The writer is freed whatever the
 * result.
 */
ICE_EXTERN int ice_manifest_list_writer_close(ice_manifest_list_writer *w, int64_t *next_row_id_out);
ICE_EXTERN void ice_manifest_list_writer_abort(ice_manifest_list_writer *w);

ICE_END_DECL

#endif
