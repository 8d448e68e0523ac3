/*
 * spec/name_mapping.c - name mappings (spec "Column Projection", Appendix C
 * "Name Mapping Serialization"): parsing and checking the JSON of
 * `schema.name-mapping.default`, looking fields up by name path, building a
 * mapping from a schema, and writing it back.
 *
 * Everything lives in one arena. Children are looked up by a linear scan
 * of their names: mappings are small and lookups happen once per file
 * column, not per row.
 */
#include <string.h>

#include "ice/name_mapping.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/json.h"

struct ice_name_mapping {
	ice_arena arena;
	size_t nfields;
	const ice_mapped_field *fields;
};

static int parse_list(ice_name_mapping *nm, ice_jr *jr, const ice_json *arr, const ice_mapped_field **out,
                      size_t *n_out, int depth);

static int parse_field(ice_name_mapping *nm, ice_jr *jr, const ice_json *obj, ice_mapped_field *f, int depth)
{
	ice_json *names = NULL, *fields = NULL;
	int rc;
	if (ice_json__type(obj) != ICE_JSON_OBJECT)
		return ice_jr__error(jr, ICE_EINVALID, "expected an object, found %s", ice_json__type_name(obj));
	if ((rc = ice_jr__req_array(jr, obj, "names", &names)) != 0 ||
	    (rc = ice_jr__opt_int32(jr, obj, "field-id", &f->field_id, &f->has_field_id)) != 0 ||
	    (rc = ice_jr__opt_array(jr, obj, "fields", &fields)) != 0)
		return rc;
	f->nnames = ice_json__size(names);
	const char **list = ice_arena__allocarray(&nm->arena, f->nnames ? f->nnames : 1, sizeof(char *));
	if (!list)
		return ICE_ERROR;
	ice_jr__push_key(jr, "names");
	for (size_t i = 0; i < f->nnames; i++) {
		const char *s;
		size_t len;
		ice_jr__push_index(jr, i);
		if ((rc = ice_jr__as_string(jr, ice_json__at(names, i), &s, &len)) != 0)
			return rc;
		if (memchr(s, '\0', len))
			return ice_jr__error(jr, ICE_EINVALID, "a name may not contain NUL");
		if (!(list[i] = ice_arena__strndup(&nm->arena, s, len)))
			return ICE_ERROR;
		ice_jr__pop(jr);
	}
	ice_jr__pop(jr);
	f->names = list;
	if (fields) {
		ice_jr__push_key(jr, "fields");
		if ((rc = parse_list(nm, jr, fields, &f->fields, &f->nfields, depth + 1)) != 0)
			return rc;
		ice_jr__pop(jr);
	}
	return 0;
}

static int parse_list(ice_name_mapping *nm, ice_jr *jr, const ice_json *arr, const ice_mapped_field **out,
                      size_t *n_out, int depth)
{
	size_t n = ice_json__size(arr);
	int rc;
	if (depth > 64)
		return ice_jr__error(jr, ICE_EINVALID, "name mapping nested too deeply");
	ice_mapped_field *fields = ice_arena__allocarray(&nm->arena, n ? n : 1, sizeof(*fields));
	if (!fields)
		return ICE_ERROR;
	for (size_t i = 0; i < n; i++) {
		ice_jr__push_index(jr, i);
		if ((rc = parse_field(nm, jr, ice_json__at(arr, i), &fields[i], depth)) != 0)
			return rc;
		/* names and ids must identify one sibling */
		for (size_t k = 0; k < i; k++) {
			if (fields[i].has_field_id && fields[k].has_field_id && fields[i].field_id == fields[k].field_id)
				return ice_jr__error(jr, ICE_EINVALID, "field id %d is mapped twice", (int)fields[i].field_id);
			for (size_t a = 0; a < fields[i].nnames; a++)
				for (size_t b = 0; b < fields[k].nnames; b++)
					if (!strcmp(fields[i].names[a], fields[k].names[b]))
						return ice_jr__error(jr, ICE_EINVALID, "name '%s' is mapped twice",
						                     fields[i].names[a]);
		}
		for (size_t a = 0; a < fields[i].nnames; a++)
			for (size_t b = 0; b < a; b++)
				if (!strcmp(fields[i].names[a], fields[i].names[b]))
					return ice_jr__error(jr, ICE_EINVALID, "name '%s' is listed twice", fields[i].names[a]);
		ice_jr__pop(jr);
	}
	*out = fields;
	*n_out = n;
	return 0;
}

int ice_name_mapping_parse(ice_name_mapping **out, const char *json, size_t len, const char *source)
{
	ice_json *doc = NULL;
	ice_jr jr;
	const char *file = source ? source : "name mapping";
	int rc;
	*out = NULL;
	if ((rc = ice_json__parse(&doc, json, len, file)) != 0)
		return rc;
	ice_name_mapping *nm = ice__calloc(1, sizeof(*nm));
	if (!nm) {
		ice_json__free(doc);
		return ICE_ERROR;
	}
	ice_arena__init(&nm->arena, 1024);
	ice_jr__init(&jr, file, ICE_ERRCLASS_METADATA);
	ice_json *list = doc;
	if (ice_json__type(doc) == ICE_JSON_OBJECT) {
		/* Tolerated: some writers wrap the list as {"type": "struct",
		 * "fields": [...]}, the shape of a schema. */
		list = ice_json__get(doc, "fields");
		if (list)
			ice_jr__push_key(&jr, "fields");
	}
	if (!list || ice_json__type(list) != ICE_JSON_ARRAY)
		rc = ice_jr__error(&jr, ICE_EINVALID, "expected an array of field mappings, found %s",
		                   list ? ice_json__type_name(list) : "an object without fields");
	else
		rc = parse_list(nm, &jr, list, &nm->fields, &nm->nfields, 0);
	ice_json__free(doc);
	if (rc) {
		ice_name_mapping_free(nm);
		return rc;
	}
	*out = nm;
	return 0;
}

int ice_name_mapping_from_table(ice_name_mapping **out, const ice_table_metadata *md)
{
	const char *text = ice_properties_get(ice_table_metadata_properties(md), ICE_NAME_MAPPING_PROPERTY);
	*out = NULL;
	if (!text)
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_METADATA, "the table has no %s",
		                      ICE_NAME_MAPPING_PROPERTY);
	return ice_name_mapping_parse(out, text, strlen(text), "properties." ICE_NAME_MAPPING_PROPERTY);
}

static int from_type(ice_name_mapping *nm, const ice_type *t, const ice_mapped_field **out, size_t *n_out);

static int from_field(ice_name_mapping *nm, const ice_field *fld, const char *name, ice_mapped_field *m)
{
	const char **names = ice_arena__alloc(&nm->arena, sizeof(char *));
	if (!names || !(names[0] = ice_arena__strdup(&nm->arena, name)))
		return ICE_ERROR;
	m->has_field_id = true;
	m->field_id = fld->id;
	m->nnames = 1;
	m->names = names;
	return from_type(nm, fld->type, &m->fields, &m->nfields);
}

static int from_type(ice_name_mapping *nm, const ice_type *t, const ice_mapped_field **out, size_t *n_out)
{
	ice_mapped_field *f;
	int rc;
	*out = NULL;
	*n_out = 0;
	switch (t->id) {
	case ICE_TYPE_STRUCT:
		if (!t->u.struct_.nfields)
			return 0;
		if (!(f = ice_arena__allocarray(&nm->arena, t->u.struct_.nfields, sizeof(*f))))
			return ICE_ERROR;
		for (size_t i = 0; i < t->u.struct_.nfields; i++)
			if ((rc = from_field(nm, &t->u.struct_.fields[i], t->u.struct_.fields[i].name, &f[i])) != 0)
				return rc;
		*n_out = t->u.struct_.nfields;
		break;
	case ICE_TYPE_LIST:
		if (!(f = ice_arena__alloc(&nm->arena, sizeof(*f))))
			return ICE_ERROR;
		if ((rc = from_field(nm, &t->u.list.element, "element", f)) != 0)
			return rc;
		*n_out = 1;
		break;
	case ICE_TYPE_MAP:
		if (!(f = ice_arena__allocarray(&nm->arena, 2, sizeof(*f))))
			return ICE_ERROR;
		if ((rc = from_field(nm, &t->u.map.key, "key", &f[0])) != 0 ||
		    (rc = from_field(nm, &t->u.map.value, "value", &f[1])) != 0)
			return rc;
		*n_out = 2;
		break;
	default:
		return 0;
	}
	*out = f;
	return 0;
}

int ice_name_mapping_from_schema(ice_name_mapping **out, const ice_schema *schema)
{
	ice_name_mapping *nm = ice__calloc(1, sizeof(*nm));
	*out = NULL;
	if (!nm)
		return ICE_ERROR;
	ice_arena__init(&nm->arena, 1024);
	int rc = from_type(nm, ice_schema_struct(schema), &nm->fields, &nm->nfields);
	if (rc) {
		ice_name_mapping_free(nm);
		return rc;
	}
	*out = nm;
	return 0;
}

void ice_name_mapping_free(ice_name_mapping *nm)
{
	if (!nm)
		return;
	ice_arena__free(&nm->arena);
	ice__free(nm);
}

size_t ice_name_mapping_field_count(const ice_name_mapping *nm)
{
	return nm->nfields;
}

const ice_mapped_field *ice_name_mapping_field_at(const ice_name_mapping *nm, size_t i)
{
	return i < nm->nfields ? &nm->fields[i] : NULL;
}

const ice_mapped_field *ice_name_mapping_child(const ice_name_mapping *nm, const ice_mapped_field *parent,
                                               const char *name)
{
	size_t n = parent ? parent->nfields : nm->nfields;
	const ice_mapped_field *f = parent ? parent->fields : nm->fields;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < f[i].nnames; k++)
			if (!strcmp(f[i].names[k], name))
				return &f[i];
	return NULL;
}

const ice_mapped_field *ice_name_mapping_find(const ice_name_mapping *nm, const char *const *path, size_t depth)
{
	const ice_mapped_field *f = NULL;
	if (depth == 0)
		return NULL;
	for (size_t i = 0; i < depth; i++)
		if (!(f = ice_name_mapping_child(nm, f, path[i])))
			return NULL;
	return f;
}

static void write_list(ice_json_writer *w, const ice_mapped_field *f, size_t n)
{
	ice_json_begin_array(w);
	for (size_t i = 0; i < n; i++) {
		ice_json_begin_object(w);
		if (f[i].has_field_id) {
			ice_json_key(w, "field-id");
			ice_json_int(w, f[i].field_id);
		}
		ice_json_key(w, "names");
		ice_json_begin_array(w);
		for (size_t k = 0; k < f[i].nnames; k++)
			ice_json_string(w, f[i].names[k]);
		ice_json_end_array(w);
		if (f[i].nfields) {
			ice_json_key(w, "fields");
			write_list(w, f[i].fields, f[i].nfields);
		}
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
}

int ice_name_mapping_write_json(const ice_name_mapping *nm, ice_json_writer *w)
{
	write_list(w, nm->fields, nm->nfields);
	return 0;
}
