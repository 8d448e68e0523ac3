/*
 * ice/name_mapping.h - name mappings (spec "Column Projection" and
 * Appendix C "Name Mapping Serialization"): the table property
 * `schema.name-mapping.default`, which gives field ids to the columns of
 * data files written without them (imported Parquet, Hive tables).
 *
 * A mapping is a list of mapped fields; each has zero or more names, an
 * optional field id and optional child mappings (struct fields; "element"
 * for lists; "key" and "value" for maps). A name is literal: "a.b" names a
 * field called "a.b", not b inside a. Names are unique among siblings, as
 * are field ids.
 *
 * Mappings are immutable; everything returned is borrowed from the mapping
 * and lives as long as it does.
 */
#ifndef ICE_NAME_MAPPING_H
#define ICE_NAME_MAPPING_H

#include "common.h"
#include "json.h"
#include "schema.h"
#include "table_metadata.h"

ICE_BEGIN_DECL

/* The table property holding a table's default name mapping. */
#define ICE_NAME_MAPPING_PROPERTY "schema.name-mapping.default"

typedef struct ice_mapped_field ice_mapped_field;

struct ice_mapped_field {
	bool has_field_id;
	int32_t field_id;
	size_t nnames;
	const char *const *names;
	size_t nfields;
	const ice_mapped_field *fields; /* children */
};

typedef struct ice_name_mapping ice_name_mapping;

/*
 * Parse a mapping from its JSON (a list of field mapping objects).
 * `source` names the input in messages ("<source>: $[2].names[0]: expected
 * a string"). ICE_EINVALID for malformed JSON, a member of the wrong type,
 * a missing `names`, or a name or field id repeated among siblings.
 */
ICE_EXTERN int ice_name_mapping_parse(ice_name_mapping **out, const char *json, size_t len, const char *source);

/*
 * The table's default mapping (property schema.name-mapping.default).
 * ICE_ENOTFOUND when the table has none; ICE_EINVALID when it does not
 * parse (the message names the property).
 */
ICE_EXTERN int ice_name_mapping_from_table(ice_name_mapping **out, const ice_table_metadata *md);

/* A mapping of every field of `schema` by its current name (what writers
 * store when a table starts without one). */
ICE_EXTERN int ice_name_mapping_from_schema(ice_name_mapping **out, const ice_schema *schema);

ICE_EXTERN void ice_name_mapping_free(ice_name_mapping *nm);

/* The top-level mapped fields. */
ICE_EXTERN size_t ice_name_mapping_field_count(const ice_name_mapping *nm);
ICE_EXTERN const ice_mapped_field *ice_name_mapping_field_at(const ice_name_mapping *nm, size_t i);

/* The child of `parent` (NULL: the top level) listing `name`, or NULL. */
ICE_EXTERN const ice_mapped_field *ice_name_mapping_child(const ice_name_mapping *nm,
                                                          const ice_mapped_field *parent, const char *name);

/*
 * Look up a field by its name path (each element one literal name, e.g.
 * {"location", "lat"} or {"points", "element", "x"}): the mapped field, or
 * NULL when some step has no mapping.
 */
ICE_EXTERN const ice_mapped_field *ice_name_mapping_find(const ice_name_mapping *nm, const char *const *path,
                                                         size_t depth);

/* The mapping as JSON (the property's value). */
ICE_EXTERN int ice_name_mapping_write_json(const ice_name_mapping *nm, ice_json_writer *w);

ICE_END_DECL

#endif
