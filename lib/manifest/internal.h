/*
 * manifest/internal.h - what the manifest files share: reading scalar
 * fields whatever form the writer gave them (int or long, required or in a
 * union with null), growable scratch arrays that a reader reuses from record
 * to record, the name variants of manifest fields, and the writers' schema
 * text.
 */
#ifndef ICE_MANIFEST_INTERNAL_H
#define ICE_MANIFEST_INTERNAL_H

#include "avro.h"
#include "ice/manifest.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/hashmap.h"

/* What a field must hold; checked once per file against the writer's type. */
typedef enum ice_manifest_shape {
	ICE_SHAPE_INT,    /* int, or long (values must fit) */
	ICE_SHAPE_LONG,   /* long or int */
	ICE_SHAPE_BOOL,
	ICE_SHAPE_STRING, /* string or bytes */
	ICE_SHAPE_BYTES,  /* bytes, string or fixed */
} ice_manifest_shape;

/* Whether `node` (or the other branch of a union with null) has the shape. */
bool ice_manifest__shape_ok(const ice_avro_node *node, ice_manifest_shape shape);
const char *ice_manifest__shape_name(ice_manifest_shape shape);

/* A long (or int) value, *is_null for the null branch. */
static inline int64_t ice_manifest__read_long(ice_avro_cursor *c, const ice_avro_node *node, bool *is_null)
{
	const ice_avro_node *b = ice_avro__branch(c, node);
	if (!b || b->kind == ICE_AVRO_NULL) {
		*is_null = true;
		return 0;
	}
	*is_null = false;
	return ice_avro__long(c);
}

static inline int32_t ice_manifest__read_int(ice_avro_cursor *c, const ice_avro_node *node, bool *is_null)
{
	int64_t v = ice_manifest__read_long(c, node, is_null);
	if (v < INT32_MIN || v > INT32_MAX) {
		ice_avro__fail(c, "value out of the int range");
		return 0;
	}
	return (int32_t)v;
}

static inline bool ice_manifest__read_bool(ice_avro_cursor *c, const ice_avro_node *node, bool *is_null)
{
	const ice_avro_node *b = ice_avro__branch(c, node);
	if (!b || b->kind == ICE_AVRO_NULL) {
		*is_null = true;
		return false;
	}
	*is_null = false;
	return ice_avro__bool(c);
}

static inline ice_slice ice_manifest__read_bytes(ice_avro_cursor *c, const ice_avro_node *node, bool *is_null)
{
	ice_slice s = {NULL, 0};
	const ice_avro_node *b = ice_avro__branch(c, node);
	if (!b || b->kind == ICE_AVRO_NULL) {
		*is_null = true;
		return s;
	}
	*is_null = false;
	if (b->kind == ICE_AVRO_FIXED) {
		s.data = ice_avro__raw(c, (size_t)b->size);
		s.len = s.data ? (size_t)b->size : 0;
		return s;
	}
	return ice_avro__bytes(c);
}

/* ---- resolving a writer's record against ice's fields ---------------------- */

enum { K_SCALAR, K_PARTITION /* or any nested record */, K_COUNTS, K_BOUNDS, K_LONGS, K_INTS, K_SUMMARIES };

/* A field ice reads, with the names writers have given it. */
typedef struct ice_manifest_known {
	int32_t id;
	const char *names[3];     /* NULL-terminated */
	int kind;                 /* K_* */
	ice_manifest_shape shape; /* scalars; map values; list items */
	int slot;                 /* the reader's scratch slot, or -1 */
	int32_t key_id, value_id; /* maps: key and value ids; lists: element id */
	const char *label;        /* for messages: "data_file.record_count" */
} ice_manifest_known;

/* How one field of the writer's record is decoded. */
typedef struct ice_manifest_field_plan {
	const ice_avro_field *field;
	const ice_manifest_known *known; /* NULL: skip */
	const ice_avro_node *item;       /* maps and lists: the array's items */
	const ice_avro_node *rec;        /* maps: the key/value record; summaries: the record */
	int key, value;                  /* maps: field indexes in rec */
	bool simple;                     /* maps: required items of exactly {key, value}, in that order,
	                                    value bytes or long (no unions): decoded without lookups */
} ice_manifest_field_plan;

/*
 * Plan every field of `rec` (plans[] has rec->n slots): match by id or name,
 * the first of several fields for one id wins, and check each matched
 * field's type. Errors: "<file>: schema: <where>.<field>: <what>".
 */
int ice_manifest__plan_record(const char *file, const ice_avro_node *rec, const ice_manifest_known *table,
                              size_t ntable, const char *where, ice_manifest_field_plan *plans);
/* Whether the plan reads field `id`. */
bool ice_manifest__plan_has(const ice_manifest_field_plan *plans, size_t n, int32_t id);

/* A growable array reused from record to record. */
typedef struct ice_manifest_vec {
	void *p;
	size_t cap; /* in elements */
} ice_manifest_vec;

/* Room for n elements of `size` bytes (contents kept); NULL on OOM. */
void *ice_manifest__vec_reserve(ice_manifest_vec *v, size_t n, size_t size);
void ice_manifest__vec_free(ice_manifest_vec *v);

/* A NUL-terminated copy of a slice in a reused buffer; NULL on OOM. */
const char *ice_manifest__cstr(ice_buf *b, ice_slice s);

/*
 * A record field that stands for Iceberg field `id`: by field-id when the
 * writer gave one, else by name (any of the NULL-terminated `names`).
 */
bool ice_manifest__field_is(const ice_avro_field *f, int32_t id, const char *const *names);

/* Readers over an input that is already open (fuzzing from memory); the
 * reader owns `in` from the call on, whatever the result. */
int ice_manifest__open_input(ice_manifest_reader **out, ice_input *in, const ice_table_metadata *md,
                             const ice_manifest_file *mf);
int ice_manifest__list_open_input(ice_manifest_list_reader **out, ice_input *in, const ice_table_metadata *md);
/* A snapshot's manifest list against its summary (total-data-files,
 * total-delete-files, total-records, where the summary and every count
 * say): ICE_EINVALID naming the list when they disagree (a list cut at an
 * Avro block boundary reads as valid and shorter). */
int ice_manifest__check_totals(const ice_manifest_list *list, const ice_snapshot *snapshot);

/* Parse a header value as a decimal long ("null" and junk give false). */
bool ice_manifest__meta_long(const char *s, int64_t *out);

/* The table's schemas by field id for decoding bounds: current first, then
 * the others newest first, then `extra` (a manifest's header schema). */
typedef struct ice_manifest_types {
	ice_map by_id; /* field id -> const ice_type* */
	const ice_type **dense; /* by_id as an array when ids are small */
	size_t ndense;
} ice_manifest_types;
int ice_manifest__types_init(ice_manifest_types *t, const ice_table_metadata *md, const ice_schema *extra);
void ice_manifest__types_free(ice_manifest_types *t);
static inline const ice_type *ice_manifest__type_of(const ice_manifest_types *t, int32_t id)
{
	void *v = NULL;
	if (t->dense)
		return id >= 0 && (size_t)id < t->ndense ? t->dense[id] : NULL;
	return ice_map__get_int(&t->by_id, id, &v) ? v : NULL;
}

/* Decode a bound, leaving value.type INVALID when it does not decode. */
void ice_manifest__decode_bound(ice_metric_bound *b, const ice_type *type);

/* The Avro codec for writing from an option or table properties. */
int ice_manifest__writer_codec(ice_codec *out, int *level, const char *codec, int level_opt,
                               const ice_properties *props);

/* A spec's partition field types for a schema (spec order; NULL where
 * unknown), allocated in `arena`. */
const ice_type **ice_manifest__partition_types(ice_arena *arena, const ice_partition_spec *spec,
                                               const ice_schema *schema, const ice_schema *fallback);

/*
 * The Avro schema JSON of manifest_entry for a format version and partition
 * type (writer's exact schema), and of manifest_file. Allocated in `arena`.
 */
const char *ice_manifest__entry_schema_json(ice_arena *arena, int format_version,
                                            const ice_partition_spec *spec, const ice_type *const *types);
const char *ice_manifest__list_schema_json(ice_arena *arena, int format_version);
/* The same as Iceberg schemas (the "iceberg.schema" header key). */
const char *ice_manifest__entry_iceberg_json(ice_arena *arena, int format_version,
                                             const ice_partition_spec *spec, const ice_type *const *types);
const char *ice_manifest__list_iceberg_json(ice_arena *arena, int format_version);

#endif
