/*
 * ice/schema.h - table schemas (spec "Schemas and Data Types", Appendix C).
 *
 * A schema is an immutable struct type with a schema id, optional identifier
 * field ids, and indexes by field id and by name. Schemas inside table
 * metadata belong to it; schemas made with ice_schema_from_json() are owned
 * by the caller and freed with ice_schema_free().
 */
#ifndef ICE_SCHEMA_H
#define ICE_SCHEMA_H

#include "common.h"
#include "types.h"

ICE_BEGIN_DECL

typedef struct ice_schema ice_schema;

/*
 * Parse a schema object ({"type": "struct", "schema-id": ..., "fields": [...]}).
 * `source` names the input in error messages (a file name, or NULL).
 * Validates: unique field ids, unique names within each struct, valid types
 * and defaults, identifier fields that exist and qualify.
 */
ICE_EXTERN int ice_schema_from_json(ice_schema **out, const char *json, size_t len, const char *source);
ICE_EXTERN int ice_schema_to_json(char **out, size_t *len_out, const ice_schema *schema, int json_flags);
ICE_EXTERN int ice_schema_write_json(const ice_schema *schema, ice_json_writer *w);
/* Copy a schema (e.g. out of metadata that is about to be freed). */
ICE_EXTERN int ice_schema_copy(ice_schema **out, const ice_schema *schema);
/* Frees a caller-owned schema; NULL and schemas owned by metadata are ignored. */
ICE_EXTERN void ice_schema_free(ice_schema *schema);

ICE_EXTERN int32_t ice_schema_id(const ice_schema *schema);
/* The schema as a struct type (its top-level fields). */
ICE_EXTERN const ice_type *ice_schema_struct(const ice_schema *schema);
ICE_EXTERN size_t ice_schema_field_count(const ice_schema *schema);
ICE_EXTERN const ice_field *ice_schema_field_at(const ice_schema *schema, size_t i);
ICE_EXTERN const int32_t *ice_schema_identifier_field_ids(const ice_schema *schema, size_t *n_out);
/* Highest field id anywhere in the schema (0 when it has no fields). */
ICE_EXTERN int32_t ice_schema_highest_field_id(const ice_schema *schema);

/* Any field, however deeply nested, by id; NULL if none. */
ICE_EXTERN const ice_field *ice_schema_find_field(const ice_schema *schema, int32_t id);
/*
 * By full dotted name ("a.b.c"; list elements and map keys/values are
 * "l.element", "m.key", "m.value", and may also be skipped: "points.x" for
 * list<struct<x>>). Case-sensitive or ASCII-case-insensitive.
 */
ICE_EXTERN const ice_field *ice_schema_find_field_by_name(const ice_schema *schema, const char *name,
                                                          bool case_sensitive);
/* The full dotted name of field `id` (borrowed), or NULL. */
ICE_EXTERN const char *ice_schema_field_name(const ice_schema *schema, int32_t id);
/* The id of the field containing field `id` (0 for top-level fields), or -1
 * if the id is unknown. */
ICE_EXTERN int32_t ice_schema_parent_id(const ice_schema *schema, int32_t id);
/* True when field `id` sits (at any depth) inside a list or a map. */
ICE_EXTERN bool ice_schema_field_in_collection(const ice_schema *schema, int32_t id);

/* Equal fields, types, defaults and identifier fields; schema ids ignored. */
ICE_EXTERN bool ice_schema_same_structure(const ice_schema *a, const ice_schema *b);

ICE_END_DECL

#endif
