/*
 * spec/view_metadata.c - Iceberg view metadata (the view spec, format
 * version 1): parsing with the reference implementation's validation,
 * writing, accessors; SQL representations shared with UDF metadata; and
 * telling table, view and UDF documents apart.
 */
#include <stdio.h>
#include <string.h>

#include "ice/view_metadata.h"
#include "model.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/uuid.h"

struct ice_view_metadata {
	ice_arena arena;
	const char *uuid;
	const char *location;
	int format_version;
	int32_t current_version_id;
	ice_schema *schemas;
	size_t nschemas;
	ice_view_version *versions;
	size_t nversions;
	ice_view_log_entry *log;
	size_t nlog;
	ice_properties properties;
};

const char *ice_spec__json_text(ice_arena *arena, const ice_json *j)
{
	ice_json_writer w;
	const char *text;
	size_t len;
	const char *out = NULL;
	ice_jw__init(&w, ICE_JSON_COMPACT);
	ice_json__write(j, &w);
	if (ice_json_writer_finish(&w, &text, &len) == 0)
		out = ice_arena__strndup(arena, text, len);
	ice_jw__free(&w);
	return out;
}

static int dup_req(ice_arena *a, ice_jr *r, const ice_json *obj, const char *key, const char **out)
{
	const char *s;
	size_t len;
	int rc = ice_jr__req_string(r, obj, key, &s, &len);
	if (rc)
		return rc;
	return (*out = ice_arena__strndup(a, s, len)) ? 0 : ICE_ERROR;
}

int ice_spec__parse_representations(const ice_view_representation **out, size_t *n_out, ice_arena *a, ice_jr *r,
                                    const ice_json *obj)
{
	ice_json *arr;
	int rc = ice_jr__req_array(r, obj, "representations", &arr);
	if (rc)
		return rc;
	size_t n = ice_json__size(arr);
	ice_view_representation *reps = n ? ice_arena__allocarray(a, n, sizeof(*reps)) : NULL;
	if (n && !reps)
		return ICE_ERROR;
	ice_jr__push_key(r, "representations");
	for (size_t i = 0; i < n && !rc; i++) {
		const ice_json *rep = ice_json__at(arr, i);
		ice_jr__push_index(r, i);
		if (ice_json__type(rep) != ICE_JSON_OBJECT)
			rc = ice_jr__error(r, ICE_EINVALID, "expected a representation object, found %s", ice_json__type_name(rep));
		if (!rc)
			rc = dup_req(a, r, rep, "type", &reps[i].type);
		if (!rc && strcmp(reps[i].type, "sql") == 0) {
			rc = dup_req(a, r, rep, "sql", &reps[i].sql);
			if (!rc)
				rc = dup_req(a, r, rep, "dialect", &reps[i].dialect);
			/* Several SQL texts for one dialect may not be added, but old
			 * writers did: they are read (as the reference implementation
			 * does). */
		} else if (!rc && !(reps[i].raw = ice_spec__json_text(a, rep))) {
			rc = ICE_ERROR;
		}
		ice_jr__pop(r);
	}
	ice_jr__pop(r);
	*out = reps;
	*n_out = n;
	return rc;
}

int ice_spec__write_representations(const ice_view_representation *reps, size_t n, ice_json_writer *w)
{
	ice_json_begin_array(w);
	for (size_t i = 0; i < n; i++) {
		if (reps[i].raw) {
			ice_json_raw(w, reps[i].raw, strlen(reps[i].raw));
			continue;
		}
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, reps[i].type);
		ice_json_key(w, "sql");
		ice_json_string(w, reps[i].sql);
		ice_json_key(w, "dialect");
		ice_json_string(w, reps[i].dialect);
		ice_json_end_object(w);
	}
	return ice_json_end_array(w);
}

/* ---- document kind ------------------------------------------------------------ */

int ice_document_kind_of(ice_document_kind *out, const void *data, size_t len, const char *source)
{
	ice_json *root;
	int rc = ice_spec__parse_document(&root, data, len, source ? source : "<metadata>");
	*out = ICE_DOCUMENT_UNKNOWN;
	if (rc)
		return rc;
	if (ice_json__get(root, "view-uuid"))
		*out = ICE_DOCUMENT_VIEW;
	else if (ice_json__get(root, "function-uuid"))
		*out = ICE_DOCUMENT_UDF;
	else if (ice_json__get(root, "table-uuid") || ice_json__get(root, "format-version"))
		*out = ICE_DOCUMENT_TABLE;
	ice_json__free(root);
	return 0;
}

/* ---- views --------------------------------------------------------------------- */

static int parse_version(ice_view_version *v, ice_arena *a, ice_jr *r, const ice_json *obj)
{
	ice_json *summary, *ns;
	const char *catalog = NULL;
	int rc;
	memset(v, 0, sizeof(*v));
	if (ice_json__type(obj) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a view version object, found %s", ice_json__type_name(obj));
	if ((rc = ice_jr__req_int32(r, obj, "version-id", &v->version_id)) ||
	    (rc = ice_jr__req_int32(r, obj, "schema-id", &v->schema_id)) ||
	    (rc = ice_jr__req_int64(r, obj, "timestamp-ms", &v->timestamp_ms)) ||
	    (rc = ice_jr__req_object(r, obj, "summary", &summary)) ||
	    (rc = ice_jr__opt_string(r, obj, "default-catalog", &catalog, NULL)) ||
	    (rc = ice_jr__req_array(r, obj, "default-namespace", &ns)))
		return rc;
	ice_jr__push_key(r, "summary");
	rc = ice_properties__parse(&v->summary, a, r, summary);
	ice_jr__pop(r);
	if (rc)
		return rc;
	if (catalog && !(v->default_catalog = ice_arena__strdup(a, catalog)))
		return ICE_ERROR;
	size_t n = ice_json__size(ns);
	const char **names = n ? ice_arena__allocarray(a, n, sizeof(char *)) : NULL;
	if (n && !names)
		return ICE_ERROR;
	ice_jr__push_key(r, "default-namespace");
	for (size_t i = 0; i < n && !rc; i++) {
		const char *s;
		ice_jr__push_index(r, i);
		rc = ice_jr__as_string(r, ice_json__at(ns, i), &s, NULL);
		if (!rc && !(names[i] = ice_arena__strdup(a, s)))
			rc = ICE_ERROR;
		ice_jr__pop(r);
	}
	ice_jr__pop(r);
	if (rc)
		return rc;
	v->n_default_namespace = n;
	v->default_namespace = names;
	return ice_spec__parse_representations(&v->representations, &v->n_representations, a, r, obj);
}

static int parse_view(ice_view_metadata *vm, ice_jr *r, const ice_json *root)
{
	ice_arena *a = &vm->arena;
	ice_json *schemas, *versions, *log, *props;
	const char *uuid, *location;
	size_t uuid_len;
	int64_t version;
	int rc;
	if (ice_json__type(root) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a view metadata object, found %s", ice_json__type_name(root));
	if ((rc = ice_jr__req_int64(r, root, "format-version", &version)) != 0)
		return rc;
	if (version != 1)
		return ice_jr__error_at(r, "format-version", version > 1 ? ICE_EUNSUPPORTED : ICE_EINVALID,
		                        "view format version %lld is not supported (this build reads v1)", (long long)version);
	vm->format_version = 1;
	if ((rc = ice_jr__req_string(r, root, "view-uuid", &uuid, &uuid_len)) ||
	    (rc = ice_jr__req_string(r, root, "location", &location, NULL)) ||
	    (rc = ice_jr__req_int32(r, root, "current-version-id", &vm->current_version_id)) ||
	    (rc = ice_jr__req_array(r, root, "schemas", &schemas)) ||
	    (rc = ice_jr__req_array(r, root, "versions", &versions)) ||
	    (rc = ice_jr__req_array(r, root, "version-log", &log)) ||
	    (rc = ice_jr__opt_object(r, root, "properties", &props)))
		return rc;
	uint8_t u[16];
	char canon[ICE_UUID_STRLEN + 1];
	if (!ice_uuid__parse(uuid, uuid_len, u))
		return ice_jr__error_at(r, "view-uuid", ICE_EINVALID, "'%s' is not a UUID", uuid);
	ice_uuid__format(u, canon);
	if (!(vm->uuid = ice_arena__strdup(a, canon)) || !(vm->location = ice_arena__strdup(a, location)))
		return ICE_ERROR;
	if (props) {
		ice_jr__push_key(r, "properties");
		rc = ice_properties__parse(&vm->properties, a, r, props);
		ice_jr__pop(r);
		if (rc)
			return rc;
	}

	size_t n = ice_json__size(schemas);
	if (n && !(vm->schemas = ice_arena__allocarray(a, n, sizeof(ice_schema))))
		return ICE_ERROR;
	ice_jr__push_key(r, "schemas");
	for (size_t i = 0; i < n && !rc; i++) {
		ice_jr__push_index(r, i);
		rc = ice_schema__parse(&vm->schemas[i], a, r, ice_json__at(schemas, i), true);
		ice_jr__pop(r);
		if (!rc)
			vm->nschemas++;
	}
	ice_jr__pop(r);
	if (rc)
		return rc;

	n = ice_json__size(versions);
	if (n && !(vm->versions = ice_arena__allocarray(a, n, sizeof(ice_view_version))))
		return ICE_ERROR;
	ice_jr__push_key(r, "versions");
	for (size_t i = 0; i < n && !rc; i++) {
		ice_jr__push_index(r, i);
		rc = parse_version(&vm->versions[i], a, r, ice_json__at(versions, i));
		if (!rc && !ice_view_metadata_schema_by_id(vm, vm->versions[i].schema_id))
			rc = ice_jr__error(r, ICE_EINVALID, "schema %d of view version %d not found", (int)vm->versions[i].schema_id,
			                   (int)vm->versions[i].version_id);
		for (size_t k = 0; k < i && !rc; k++)
			if (vm->versions[k].version_id == vm->versions[i].version_id)
				rc = ice_jr__error(r, ICE_EINVALID, "duplicate view version id %d", (int)vm->versions[i].version_id);
		ice_jr__pop(r);
		vm->nversions = i + 1;
	}
	ice_jr__pop(r);
	if (rc)
		return rc;

	n = ice_json__size(log);
	if (n && !(vm->log = ice_arena__allocarray(a, n, sizeof(ice_view_log_entry))))
		return ICE_ERROR;
	ice_jr__push_key(r, "version-log");
	for (size_t i = 0; i < n && !rc; i++) {
		const ice_json *e = ice_json__at(log, i);
		ice_jr__push_index(r, i);
		if (ice_json__type(e) != ICE_JSON_OBJECT)
			rc = ice_jr__error(r, ICE_EINVALID, "expected an object, found %s", ice_json__type_name(e));
		if (!rc)
			rc = ice_jr__req_int64(r, e, "timestamp-ms", &vm->log[i].timestamp_ms);
		if (!rc)
			rc = ice_jr__req_int32(r, e, "version-id", &vm->log[i].version_id);
		ice_jr__pop(r);
		vm->nlog = i + 1;
	}
	ice_jr__pop(r);
	if (rc)
		return rc;
	if (!ice_view_metadata_current_version(vm))
		return ice_jr__error(r, ICE_EINVALID, "current version %d not found in versions", (int)vm->current_version_id);
	return 0;
}

void ice_view_metadata_free(ice_view_metadata *vm)
{
	if (!vm)
		return;
	ice_arena__free(&vm->arena);
	ice__free(vm);
}

int ice_view_metadata_parse(ice_view_metadata **out, const void *data, size_t len, const char *source)
{
	ice_view_metadata *vm;
	ice_json *root;
	ice_jr r;
	int rc;
	*out = NULL;
	if (!source)
		source = "<view metadata>";
	if ((rc = ice_spec__parse_document(&root, data, len, source)) != 0)
		return rc;
	if (!(vm = ice__calloc(1, sizeof(*vm)))) {
		ice_json__free(root);
		return ICE_ERROR;
	}
	ice_arena__init(&vm->arena, 4096);
	ice_jr__init(&r, source, ICE_ERRCLASS_METADATA);
	rc = parse_view(vm, &r, root);
	ice_json__free(root);
	if (rc) {
		ice_view_metadata_free(vm);
		return rc;
	}
	*out = vm;
	return 0;
}

int ice_view_metadata_write_json(const ice_view_metadata *vm, ice_json_writer *w)
{
	ice_json_begin_object(w);
	ice_json_key(w, "view-uuid");
	ice_json_string(w, vm->uuid);
	ice_json_key(w, "format-version");
	ice_json_int(w, vm->format_version);
	ice_json_key(w, "location");
	ice_json_string(w, vm->location);
	ice_json_key(w, "properties");
	ice_properties__write(&vm->properties, w);
	ice_json_key(w, "schemas");
	ice_json_begin_array(w);
	for (size_t i = 0; i < vm->nschemas; i++)
		ice_schema__write(&vm->schemas[i], w, true);
	ice_json_end_array(w);
	ice_json_key(w, "current-version-id");
	ice_json_int(w, vm->current_version_id);
	ice_json_key(w, "versions");
	ice_json_begin_array(w);
	for (size_t i = 0; i < vm->nversions; i++) {
		const ice_view_version *v = &vm->versions[i];
		ice_json_begin_object(w);
		ice_json_key(w, "version-id");
		ice_json_int(w, v->version_id);
		ice_json_key(w, "timestamp-ms");
		ice_json_int(w, v->timestamp_ms);
		ice_json_key(w, "schema-id");
		ice_json_int(w, v->schema_id);
		ice_json_key(w, "summary");
		ice_properties__write(&v->summary, w);
		if (v->default_catalog) {
			ice_json_key(w, "default-catalog");
			ice_json_string(w, v->default_catalog);
		}
		ice_json_key(w, "default-namespace");
		ice_json_begin_array(w);
		for (size_t k = 0; k < v->n_default_namespace; k++)
			ice_json_string(w, v->default_namespace[k]);
		ice_json_end_array(w);
		ice_json_key(w, "representations");
		ice_spec__write_representations(v->representations, v->n_representations, w);
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
	ice_json_key(w, "version-log");
	ice_json_begin_array(w);
	for (size_t i = 0; i < vm->nlog; i++) {
		ice_json_begin_object(w);
		ice_json_key(w, "timestamp-ms");
		ice_json_int(w, vm->log[i].timestamp_ms);
		ice_json_key(w, "version-id");
		ice_json_int(w, vm->log[i].version_id);
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
	return ice_json_end_object(w);
}

int ice_view_metadata_to_json(char **out, size_t *len_out, const ice_view_metadata *vm, int flags)
{
	ice_json_writer w;
	int rc;
	*out = NULL;
	ice_jw__init(&w, flags);
	ice_view_metadata_write_json(vm, &w);
	rc = ice_json_writer_finish(&w, NULL, NULL);
	if (!rc && !(*out = ice_buf__detach(&w.buf, len_out)))
		rc = ICE_ERROR;
	ice_jw__free(&w);
	return rc;
}

int ice_view_metadata_format_version(const ice_view_metadata *vm) { return vm->format_version; }
const char *ice_view_metadata_uuid(const ice_view_metadata *vm) { return vm->uuid; }
const char *ice_view_metadata_location(const ice_view_metadata *vm) { return vm->location; }
const ice_properties *ice_view_metadata_properties(const ice_view_metadata *vm) { return &vm->properties; }
size_t ice_view_metadata_version_count(const ice_view_metadata *vm) { return vm->nversions; }
size_t ice_view_metadata_schema_count(const ice_view_metadata *vm) { return vm->nschemas; }
size_t ice_view_metadata_log_count(const ice_view_metadata *vm) { return vm->nlog; }

const ice_view_version *ice_view_metadata_version_at(const ice_view_metadata *vm, size_t i)
{
	return i < vm->nversions ? &vm->versions[i] : NULL;
}

const ice_view_version *ice_view_metadata_current_version(const ice_view_metadata *vm)
{
	for (size_t i = 0; i < vm->nversions; i++)
		if (vm->versions[i].version_id == vm->current_version_id)
			return &vm->versions[i];
	return NULL;
}

const ice_schema *ice_view_metadata_schema_at(const ice_view_metadata *vm, size_t i)
{
	return i < vm->nschemas ? &vm->schemas[i] : NULL;
}

const ice_schema *ice_view_metadata_schema_by_id(const ice_view_metadata *vm, int32_t id)
{
	for (size_t i = 0; i < vm->nschemas; i++)
		if (vm->schemas[i].schema_id == id)
			return &vm->schemas[i];
	return NULL;
}

const ice_view_log_entry *ice_view_metadata_log_at(const ice_view_metadata *vm, size_t i)
{
	return i < vm->nlog ? &vm->log[i] : NULL;
}
