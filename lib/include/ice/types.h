/*
 * ice/types.h - Iceberg data types and struct fields (spec "Schemas and Data
 * Types", Appendix C "Schemas").
 *
 * Types and fields are plain read-only structs. They belong to the schema (or
 * metadata, or arena) they came from and live as long as it does; never free
 * or modify them.
 *
 * A list's element and a map's key and value are represented as ice_field so
 * that every id-carrying node of a schema is a field: the element field is
 * named "element", the key "key" and the value "value".
 */
#ifndef ICE_TYPES_H
#define ICE_TYPES_H

#include "common.h"

ICE_BEGIN_DECL

typedef enum ice_type_id {
	ICE_TYPE_INVALID = 0,
	/* primitives */
	ICE_TYPE_BOOLEAN,
	ICE_TYPE_INT,
	ICE_TYPE_LONG,
	ICE_TYPE_FLOAT,
	ICE_TYPE_DOUBLE,
	ICE_TYPE_DECIMAL,
	ICE_TYPE_DATE,
	ICE_TYPE_TIME,
	ICE_TYPE_TIMESTAMP,
	ICE_TYPE_TIMESTAMPTZ,
	ICE_TYPE_TIMESTAMP_NS,
	ICE_TYPE_TIMESTAMPTZ_NS,
	ICE_TYPE_STRING,
	ICE_TYPE_UUID,
	ICE_TYPE_FIXED,
	ICE_TYPE_BINARY,
	/* added in v3 */
	ICE_TYPE_UNKNOWN,
	ICE_TYPE_VARIANT,
	ICE_TYPE_GEOMETRY,
	ICE_TYPE_GEOGRAPHY,
	/* nested */
	ICE_TYPE_STRUCT,
	ICE_TYPE_LIST,
	ICE_TYPE_MAP,
} ice_type_id;

typedef struct ice_type ice_type;
typedef struct ice_field ice_field;
typedef struct ice_literal ice_literal;

struct ice_field {
	int32_t id;
	const char *name;
	bool required;
	const ice_type *type;
	const char *doc;                     /* NULL when absent */
	const ice_literal *initial_default;  /* NULL when absent (v3) */
	const ice_literal *write_default;    /* NULL when absent (v3) */
};

struct ice_type {
	ice_type_id id;
	union {
		struct {
			int32_t precision;
			int32_t scale;
		} decimal;
		struct {
			int32_t length;
		} fixed;
		struct {
			const char *crs; /* NULL means the default, OGC:CRS84 */
		} geometry;
		struct {
			const char *crs;       /* NULL means OGC:CRS84 */
			const char *algorithm; /* NULL means spherical */
		} geography;
		struct {
			size_t nfields;
			const ice_field *fields;
		} struct_;
		struct {
			ice_field element;
		} list;
		struct {
			ice_field key; /* always required */
			ice_field value;
		} map;
	} u;
};

/* True for every type that is neither nested nor variant. */
ICE_EXTERN bool ice_type_is_primitive(const ice_type *type);
ICE_EXTERN bool ice_type_is_nested(const ice_type *type);

/* The spec's name of a type id: "long", "timestamptz_ns", "struct", ... */
ICE_EXTERN const char *ice_type_id_name(ice_type_id id);

/* Shared, immutable instances of the parameterless types (never NULL for
 * those ids; NULL for parameterized and nested ids). */
ICE_EXTERN const ice_type *ice_type_primitive(ice_type_id id);

/*
 * The canonical text of a type: primitives as in Appendix C ("decimal(9,2)",
 * "fixed[16]", "geography(srid:4326, karney)"), nested types in the readable
 * form "struct<a: int, b: string>", "list<long>", "map<string, double>".
 * The result is allocated; free with ice_free(). NULL on out of memory.
 */
ICE_EXTERN char *ice_type_to_string(const ice_type *type);

/* Structural equality: ids, names, requiredness, docs and defaults included. */
ICE_EXTERN bool ice_type_equal(const ice_type *a, const ice_type *b);

/*
 * Whether values of type `from` may be read as `to` after a schema change
 * (spec "Schema Evolution": int->long, float->double, decimal precision
 * widening; v3 adds unknown->any and date->timestamp/timestamp_ns).
 * Identical primitive types are always promotable.
 */
ICE_EXTERN bool ice_type_can_promote(const ice_type *from, const ice_type *to, int format_version);

/* The first format version that allows the type (3 for v3 types, else 1). */
ICE_EXTERN int ice_type_min_format_version(ice_type_id id);

/* Look up a direct child field of a struct by id or by name; NULL if none. */
ICE_EXTERN const ice_field *ice_struct_field_by_id(const ice_type *struct_type, int32_t id);
ICE_EXTERN const ice_field *ice_struct_field_by_name(const ice_type *struct_type, const char *name);

ICE_END_DECL

#endif
