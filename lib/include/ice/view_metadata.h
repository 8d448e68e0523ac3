/*
 * ice/view_metadata.h - Iceberg view metadata (view spec, format version 1)
 * and UDF metadata (UDF spec, format version 1): parse, validate, write.
 *
 * Like table metadata, parsed documents are immutable and own all their
 * parts; accessors return borrowed pointers that live as long as the
 * document.
 */
#ifndef ICE_VIEW_METADATA_H
#define ICE_VIEW_METADATA_H

#include "common.h"
#include "json.h"
#include "schema.h"
#include "snapshot.h"

ICE_BEGIN_DECL

/* What a metadata document describes, told by its identifying member
 * ("table-uuid"/"format-version", "view-uuid", "function-uuid"). */
typedef enum ice_document_kind {
	ICE_DOCUMENT_UNKNOWN = 0,
	ICE_DOCUMENT_TABLE,
	ICE_DOCUMENT_VIEW,
	ICE_DOCUMENT_UDF,
} ice_document_kind;

/* Sniffs a (possibly gzip/zstd-compressed) metadata document. Parses it;
 * returns ICE_EINVALID with the usual message when it is not JSON. */
ICE_EXTERN int ice_document_kind_of(ice_document_kind *out, const void *data, size_t len, const char *source);

/* ---- views --------------------------------------------------------------- */

typedef struct ice_view_metadata ice_view_metadata;

typedef struct ice_view_representation {
	const char *type;    /* "sql" */
	const char *sql;     /* for "sql" */
	const char *dialect; /* for "sql" */
	const char *raw;     /* other types: the object as JSON text, kept verbatim */
} ice_view_representation;

typedef struct ice_view_version {
	int32_t version_id;
	int32_t schema_id;
	int64_t timestamp_ms;
	ice_properties summary;
	const char *default_catalog; /* or NULL */
	size_t n_default_namespace;
	const char *const *default_namespace;
	size_t n_representations;
	const ice_view_representation *representations;
} ice_view_version;

typedef struct ice_view_log_entry {
	int64_t timestamp_ms;
	int32_t version_id;
} ice_view_log_entry;

/*
 * Validation follows the view spec and the reference implementation:
 * format version 1, required members, the current version and every
 * version's schema exist. (Several SQL representations of one dialect are
 * read, as the reference implementation reads them; they may not be added.)
 */
ICE_EXTERN int ice_view_metadata_parse(ice_view_metadata **out, const void *data, size_t len, const char *source);
ICE_EXTERN void ice_view_metadata_free(ice_view_metadata *vm);
ICE_EXTERN int ice_view_metadata_to_json(char **out, size_t *len_out, const ice_view_metadata *vm, int json_flags);
ICE_EXTERN int ice_view_metadata_write_json(const ice_view_metadata *vm, ice_json_writer *w);

ICE_EXTERN int ice_view_metadata_format_version(const ice_view_metadata *vm);
ICE_EXTERN const char *ice_view_metadata_uuid(const ice_view_metadata *vm);
ICE_EXTERN const char *ice_view_metadata_location(const ice_view_metadata *vm);
ICE_EXTERN const ice_properties *ice_view_metadata_properties(const ice_view_metadata *vm);
ICE_EXTERN const ice_view_version *ice_view_metadata_current_version(const ice_view_metadata *vm);
ICE_EXTERN size_t ice_view_metadata_version_count(const ice_view_metadata *vm);
ICE_EXTERN const ice_view_version *ice_view_metadata_version_at(const ice_view_metadata *vm, size_t i);
ICE_EXTERN size_t ice_view_metadata_schema_count(const ice_view_metadata *vm);
ICE_EXTERN const ice_schema *ice_view_metadata_schema_at(const ice_view_metadata *vm, size_t i);
ICE_EXTERN const ice_schema *ice_view_metadata_schema_by_id(const ice_view_metadata *vm, int32_t id);
ICE_EXTERN size_t ice_view_metadata_log_count(const ice_view_metadata *vm);
ICE_EXTERN const ice_view_log_entry *ice_view_metadata_log_at(const ice_view_metadata *vm, size_t i);

/* ---- user-defined functions ------------------------------------------------ */

typedef struct ice_udf_metadata ice_udf_metadata;

typedef struct ice_udf_parameter {
	const char *name;
	const ice_type *type; /* nested types carry no field ids (id 0) */
	const char *doc;      /* or NULL */
} ice_udf_parameter;

typedef struct ice_udf_version {
	int32_t version_id;
	bool deterministic;
	bool return_null_on_null_input; /* on-null-input: "return-null" (else "call") */
	bool has_on_null_input;
	int64_t timestamp_ms;
	size_t n_representations;
	const ice_view_representation *representations;
} ice_udf_version;

typedef struct ice_udf_definition {
	const char *definition_id; /* canonical signature, e.g. "int,list<int>" */
	const char *specific_name; /* or NULL */
	size_t n_parameters;
	const ice_udf_parameter *parameters;
	const ice_type *return_type;
	bool return_nullable;
	bool has_return_nullable;
	bool table_function; /* function-type "udtf" */
	const char *doc;
	int32_t current_version_id;
	size_t n_versions;
	const ice_udf_version *versions;
} ice_udf_definition;

typedef struct ice_udf_log_entry {
	int64_t timestamp_ms;
	size_t n;
	const char *const *definition_ids;
	const int32_t *version_ids;
} ice_udf_log_entry;

/*
 * Validation per the UDF spec: format version 1, required members, each
 * definition-id equal to the canonical signature of its parameters and
 * unique, specific names unique, the current version present, "udtf"
 * returning a struct, well-formed definition log entries.
 */
ICE_EXTERN int ice_udf_metadata_parse(ice_udf_metadata **out, const void *data, size_t len, const char *source);
ICE_EXTERN void ice_udf_metadata_free(ice_udf_metadata *um);
ICE_EXTERN int ice_udf_metadata_to_json(char **out, size_t *len_out, const ice_udf_metadata *um, int json_flags);
ICE_EXTERN const char *ice_udf_metadata_uuid(const ice_udf_metadata *um);
ICE_EXTERN size_t ice_udf_metadata_definition_count(const ice_udf_metadata *um);
ICE_EXTERN const ice_udf_definition *ice_udf_metadata_definition_at(const ice_udf_metadata *um, size_t i);
ICE_EXTERN size_t ice_udf_metadata_log_count(const ice_udf_metadata *um);
ICE_EXTERN const ice_udf_log_entry *ice_udf_metadata_log_at(const ice_udf_metadata *um, size_t i);

ICE_END_DECL

#endif
