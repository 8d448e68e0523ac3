/*
 * spec/model.h - internal definitions of the Iceberg model: the opaque
 * schema and table-metadata structs, and the cross-file functions of the
 * spec layer (JSON readers and writers of each part).
 *
 * The spec layer is pure: no I/O. Everything a document holds is allocated
 * in one arena; hash-map indexes are heap-allocated and freed with it.
 */
#ifndef ICE_SPEC_MODEL_H
#define ICE_SPEC_MODEL_H

#include "ice/literal.h"
#include "ice/metadata_builder.h"
#include "ice/partition_spec.h"
#include "ice/schema.h"
#include "ice/snapshot.h"
#include "ice/table_metadata.h"
#include "ice/transform.h"
#include "ice/types.h"
#include "util/arena.h"
#include "util/hashmap.h"
#include "util/int128.h"
#include "util/buf.h"
#include "util/json.h"

/* ---- schema ------------------------------------------------------------- */

typedef struct ice_schema_entry {
	const ice_field *field;
	const char *full_name;  /* "a.b.element.c" */
	const char *short_name; /* without list "element"/map "value", or NULL */
	uint32_t full_len, short_len;
	int32_t parent_id;      /* 0 for top-level fields */
	bool in_collection;     /* inside a list or a map */
	bool in_optional;       /* some enclosing struct field is optional */
} ice_schema_entry;

/* Open addressing over entry numbers: a slot holds 0 (empty) or a tagged
 * entry number + 1. Slots live in the schema's arena. */
typedef struct ice_schema_index {
	uint32_t *slots;
	uint32_t mask;
} ice_schema_index;

struct ice_schema {
	int32_t schema_id;
	const ice_type *type; /* STRUCT */
	size_t n_identifier_field_ids;
	const int32_t *identifier_field_ids;
	int32_t highest_field_id;
	ice_schema_entry *entries; /* every field, pre-order */
	size_t nentries;
	ice_schema_index by_id;   /* field id -> entry */
	ice_schema_index by_name; /* full names, then short names -> entry */
	ice_arena *owned; /* set for standalone schemas (the arena they live in) */
};

/*
 * Builds a schema in `arena` from a struct type (copied only by pointer: the
 * type must live in the same arena or longer) and validates it: unique ids,
 * unique names per struct, identifier fields. `r` (may be NULL) supplies the
 * path for messages.
 */
int ice_schema__init(ice_schema *out, ice_arena *arena, int32_t schema_id, const ice_type *struct_type,
                     const int32_t *identifier_ids, size_t n_identifier, ice_jr *r);
void ice_schema__release(ice_schema *schema); /* frees the indexes */
int ice_schema__parse(ice_schema *out, ice_arena *arena, ice_jr *r, const ice_json *obj, bool require_id);
int ice_schema__write(const ice_schema *schema, ice_json_writer *w, bool with_id);
/* Deep copy of a schema into another arena. */
int ice_schema__copy_into(ice_schema *out, ice_arena *arena, const ice_schema *src);
/* Checks the types and defaults of a schema are allowed in a format version. */
int ice_schema__check_format_version(const ice_schema *schema, int format_version);

/* The row lineage metadata columns of v3 (spec "Row Lineage", "Reserved
 * Field IDs"): optional longs _row_id and _last_updated_sequence_number. */
#define ICE_ROW_ID_FIELD_ID 2147483540
#define ICE_LAST_UPDATED_SEQ_FIELD_ID 2147483539
/* Field 0 (_row_id) or 1 (_last_updated_sequence_number); static storage. */
const ice_field *ice_schema__lineage_field(int i);
/* A struct of `t`'s fields followed by the lineage fields `which` (bit 0:
 * _row_id, bit 1: _last_updated_sequence_number), in `arena`; NULL: out of memory. */
const ice_type *ice_schema__with_lineage(ice_arena *arena, const ice_type *t, unsigned which);
/* `schema` with both lineage fields after its own (what a rewrite of v3
 * data files writes), in `arena`. */
int ice_schema__lineage_schema(ice_schema **out, ice_arena *arena, const ice_schema *schema);

/* ---- types and literals ------------------------------------------------- */

int ice_type__parse(const ice_type **out, ice_arena *arena, ice_jr *r, const ice_json *j);
int ice_type__parse_primitive(const ice_type **out, ice_arena *arena, const char *s, size_t len);
int ice_type__write(const ice_type *type, ice_json_writer *w);
/* A struct from an object holding "fields" (a schema object). */
int ice_type__parse_struct_object(const ice_type **out, ice_arena *arena, ice_jr *r, const ice_json *obj);
int ice_type__write_fields(const ice_type *struct_type, ice_json_writer *w);
/* Canonical primitive text into out (at least 128 bytes + crs length). */
int ice_type__primitive_name(const ice_type *type, ice_buf *out);
const ice_type *ice_type__copy(ice_arena *arena, const ice_type *src);

/* Decimal unscaled values as 128-bit integers. */
static inline ice_i128 ice_dec__get(ice_decimal128 d)
{
	return (ice_i128)(((ice_u128)(uint64_t)d.hi << 64) | d.lo);
}

static inline ice_decimal128 ice_dec__make(ice_i128 v)
{
	ice_decimal128 d;
	d.lo = (uint64_t)((ice_u128)v & 0xffffffffffffffffULL);
	d.hi = (int64_t)(v >> 64);
	return d;
}

int ice_literal__from_json(ice_literal *out, const ice_type *type, const ice_json *j, ice_arena *arena,
                           ice_jr *r);
int ice_literal__copy(ice_literal *out, const ice_literal *src, ice_arena *arena);
/* Validates a default value for a field of `type` (v3 rules). */
ice_literal *ice_literal__dup(ice_arena *arena, const ice_literal *src);

/* Geometry values: WKB (stored form) <-> WKT (JSON form). */
int ice_wkb__to_wkt(const uint8_t *wkb, size_t len, ice_buf *out);
int ice_wkb__from_wkt(const char *wkt, size_t len, ice_buf *out);

/* ---- partition specs, sort orders --------------------------------------- */

/* v1_ids: assign missing field ids sequentially from 1000 (v1); otherwise
 * they stay ICE_UNASSIGNED_FIELD_ID. */
int ice_partition_spec__parse(ice_partition_spec *out, ice_arena *arena, ice_jr *r, const ice_json *obj,
                              bool v1_ids);
int ice_partition_spec__parse_fields(ice_partition_spec *out, ice_arena *arena, ice_jr *r,
                                     const ice_json *arr, int32_t spec_id, int32_t *next_v1_id);
int ice_partition_spec__write_fields(const ice_partition_spec *spec, ice_json_writer *w);
int ice_partition_spec__copy_into(ice_partition_spec *out, ice_arena *arena, const ice_partition_spec *src);
int ice_sort_order__parse(ice_sort_order *out, ice_arena *arena, ice_jr *r, const ice_json *obj);
int ice_sort_order__copy_into(ice_sort_order *out, ice_arena *arena, const ice_sort_order *src);
int ice_transform__copy(ice_transform *out, ice_arena *arena, const ice_transform *src);

/* ---- snapshots and friends ---------------------------------------------- */

int ice_properties__parse(ice_properties *out, ice_arena *arena, ice_jr *r, const ice_json *obj);
int ice_properties__write(const ice_properties *props, ice_json_writer *w);
int ice_properties__copy(ice_properties *out, ice_arena *arena, const ice_properties *src);
bool ice_properties__equal(const ice_properties *a, const ice_properties *b);

/* format_version 0: not known yet (a REST update): nothing version-specific
 * is required or dropped. */
int ice_snapshot__parse(ice_snapshot *out, ice_arena *arena, ice_jr *r, const ice_json *obj, int format_version);
/* format_version 0 here: for tools, the sequence number even when 0 (metadata
 * of v2+ leaves 0 out, as Java does). */
int ice_snapshot__write(const ice_snapshot *s, ice_json_writer *w, int format_version);
int ice_snapshot__copy(ice_snapshot *out, ice_arena *arena, const ice_snapshot *src);
bool ice_snapshot__equal(const ice_snapshot *a, const ice_snapshot *b);
int ice_ref__parse(ice_ref *out, ice_arena *arena, ice_jr *r, const char *name, const ice_json *obj);
int ice_ref__write(const ice_ref *ref, ice_json_writer *w);
int ice_statistics__parse(ice_statistics_file *out, ice_arena *arena, ice_jr *r, const ice_json *obj);
int ice_statistics__write(const ice_statistics_file *s, ice_json_writer *w);
int ice_statistics__copy(ice_statistics_file *out, ice_arena *arena, const ice_statistics_file *src);
int ice_partition_statistics__parse(ice_partition_statistics_file *out, ice_arena *arena, ice_jr *r,
                                    const ice_json *obj);
int ice_partition_statistics__write(const ice_partition_statistics_file *s, ice_json_writer *w);
int ice_encryption_key__parse(ice_encryption_key *out, ice_arena *arena, ice_jr *r, const ice_json *obj);
int ice_encryption_key__write(const ice_encryption_key *k, ice_json_writer *w);
int ice_encryption_key__copy(ice_encryption_key *out, ice_arena *arena, const ice_encryption_key *src);

/* ---- table metadata ----------------------------------------------------- */

struct ice_table_metadata {
	ice_arena arena;
	int format_version;
	const char *table_uuid; /* canonical lowercase, or NULL */
	const char *location;
	int64_t last_sequence_number;
	int64_t last_updated_ms;
	int32_t last_column_id;
	int32_t last_partition_id;
	bool has_next_row_id;
	int64_t next_row_id;

	ice_schema *schemas; /* array */
	size_t nschemas;
	int32_t current_schema_id;

	ice_partition_spec *specs;
	size_t nspecs;
	int32_t default_spec_id;

	ice_sort_order *sort_orders;
	size_t nsort_orders;
	int32_t default_sort_order_id;

	ice_properties properties;

	bool has_current_snapshot;
	int64_t current_snapshot_id;
	ice_snapshot *snapshots;
	size_t nsnapshots;
	ice_map snapshot_by_id; /* id -> ice_snapshot* */

	ice_snapshot_log_entry *snapshot_log;
	size_t nsnapshot_log;
	ice_metadata_log_entry *metadata_log;
	size_t nmetadata_log;

	ice_ref *refs; /* sorted by name */
	size_t nrefs;

	ice_statistics_file *statistics;
	size_t nstatistics;
	ice_partition_statistics_file *partition_statistics;
	size_t npartition_statistics;
	ice_encryption_key *encryption_keys;
	size_t nencryption_keys;
};

/* Parses a metadata document, plain or gzip/zstd compressed. */
int ice_spec__parse_document(ice_json **out, const void *data, size_t len, const char *source);
/* View and UDF representations ("sql" with dialect, others kept verbatim). */
struct ice_view_representation;
int ice_spec__parse_representations(const struct ice_view_representation **out, size_t *n_out, ice_arena *arena,
                                    ice_jr *r, const ice_json *obj);
int ice_spec__write_representations(const struct ice_view_representation *reps, size_t n, ice_json_writer *w);
/* A JSON subtree as compact text in the arena. */
const char *ice_spec__json_text(ice_arena *arena, const ice_json *j);

/* Builds the indexes and checks cross references; used after parsing and by
 * the builder. `r` (may be NULL) names the document in messages. */
int ice_table_metadata__finish(ice_table_metadata *md, ice_jr *r);
ice_table_metadata *ice_table_metadata__alloc(void);
/*
 * Requirements as JSON (table_update.c): one TableRequirement object of
 * `kind` (the order of ice_requirement_kind: 0 assert-create ... 7
 * assert-default-sort-order-id); every requirement of `reqs` as array
 * items; whether `reqs` holds one of `kind` (for refs: of ref `str`).
 */
int ice_requirement__write(ice_json_writer *w, int kind, const char *str, bool has_value, int64_t value);
int ice_table_requirements__write_items(const ice_table_requirements *reqs, ice_json_writer *w);
bool ice_table_requirements__has(const ice_table_requirements *reqs, int kind, const char *str);
/* Table metadata from a parsed object (a REST response's "metadata"):
 * errors name `r`'s document and path. */
int ice_table_metadata__from_json(ice_table_metadata **out, ice_jr *r, const ice_json *obj);

#endif
