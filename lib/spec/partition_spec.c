/*
 * spec/partition_spec.c - partition specs and sort orders: JSON (Appendix C
 * "Partition Specs", "Sort Orders"), validation against a schema, and the
 * spec's notion of equivalent specs.
 */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "util/alloc.h"
#include "util/error.h"

/* source-id (single argument) or source-ids (v3 multi-argument). */
static int parse_sources(ice_arena *arena, ice_jr *r, const ice_json *obj, int32_t *source_id, size_t *n_out,
                         const int32_t **ids_out)
{
	ice_json *arr;
	bool has_one;
	int32_t one = 0;
	int rc;
	if ((rc = ice_jr__opt_int32(r, obj, "source-id", &one, &has_one)) != 0)
		return rc;
	if ((rc = ice_jr__opt_array(r, obj, "source-ids", &arr)) != 0)
		return rc;
	if (arr && ice_json__size(arr) > 0) {
		size_t n = ice_json__size(arr);
		int32_t *ids = ice_arena__allocarray(arena, n, sizeof(int32_t));
		if (!ids)
			return ICE_ERROR;
		ice_jr__push_key(r, "source-ids");
		for (size_t i = 0; i < n; i++) {
			ice_jr__push_index(r, i);
			rc = ice_jr__as_int32(r, ice_json__at(arr, i), &ids[i]);
			ice_jr__pop(r);
			if (rc) {
				ice_jr__pop(r);
				return rc;
			}
		}
		ice_jr__pop(r);
		*n_out = n;
		*ids_out = ids;
		*source_id = ids[0];
		return 0;
	}
	if (!has_one)
		return ice_jr__error(r, ICE_EINVALID, "missing required field 'source-id'");
	int32_t *ids = ice_arena__alloc(arena, sizeof(int32_t));
	if (!ids)
		return ICE_ERROR;
	ids[0] = one;
	*n_out = 1;
	*ids_out = ids;
	*source_id = one;
	return 0;
}

static int parse_transform(ice_transform *out, ice_arena *arena, ice_jr *r, const ice_json *obj)
{
	const char *s;
	int rc = ice_jr__req_string(r, obj, "transform", &s, NULL);
	if (rc)
		return rc;
	ice_transform_parse(out, s);
	if (out->kind == ICE_TRANSFORM_UNKNOWN && !(out->name = ice_arena__strdup(arena, s)))
		return ICE_ERROR;
	return 0;
}

static void write_sources(ice_json_writer *w, size_t n, const int32_t *ids)
{
	if (n == 1) {
		ice_json_key(w, "source-id");
		ice_json_int(w, ids[0]);
		return;
	}
	ice_json_key(w, "source-ids");
	ice_json_begin_array(w);
	for (size_t i = 0; i < n; i++)
		ice_json_int(w, ids[i]);
	ice_json_end_array(w);
}

static void write_transform(ice_json_writer *w, const ice_transform *t)
{
	char buf[64];
	ice_json_key(w, "transform");
	/* a transform ice does not know is written back as read, whatever its length */
	if (t->kind == ICE_TRANSFORM_UNKNOWN && t->name) {
		ice_json_string(w, t->name);
		return;
	}
	ice_transform_to_string(t, buf, sizeof(buf));
	ice_json_string(w, buf);
}

/* ---- partition specs ------------------------------------------------------- */

int ice_partition_spec__parse_fields(ice_partition_spec *out, ice_arena *arena, ice_jr *r, const ice_json *arr,
                                     int32_t spec_id, int32_t *next_v1_id)
{
	size_t n = ice_json__size(arr);
	ice_partition_field *fields = n ? ice_arena__allocarray(arena, n, sizeof(*fields)) : NULL;
	int rc = 0;
	if (n && !fields)
		return ICE_ERROR;
	for (size_t i = 0; i < n && !rc; i++) {
		const ice_json *obj = ice_json__at(arr, i);
		ice_partition_field *f = &fields[i];
		const char *name;
		bool has_id;
		ice_jr__push_index(r, i);
		if (ice_json__type(obj) != ICE_JSON_OBJECT)
			rc = ice_jr__error(r, ICE_EINVALID, "expected a partition field object, found %s",
			                   ice_json__type_name(obj));
		if (!rc)
			rc = ice_jr__req_string(r, obj, "name", &name, NULL);
		if (!rc)
			rc = parse_transform(&f->transform, arena, r, obj);
		if (!rc)
			rc = parse_sources(arena, r, obj, &f->source_id, &f->n_source_ids, &f->source_ids);
		if (!rc)
			rc = ice_jr__opt_int32(r, obj, "field-id", &f->field_id, &has_id);
		if (!rc && !(f->name = ice_arena__strdup(arena, name)))
			rc = ICE_ERROR;
		if (!rc && !has_id)
			f->field_id = next_v1_id ? (*next_v1_id)++ : ICE_UNASSIGNED_FIELD_ID;
		else if (!rc && next_v1_id && f->field_id >= *next_v1_id)
			*next_v1_id = f->field_id + 1;
		ice_jr__pop(r);
	}
	if (rc)
		return rc;
	/* Partition field ids are unique within a spec. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (fields[i].field_id != ICE_UNASSIGNED_FIELD_ID && fields[i].field_id == fields[j].field_id)
				return ice_jr__error(r, ICE_EINVALID, "spec %d: duplicate partition field id %d",
				                     (int)spec_id, (int)fields[i].field_id);
	out->spec_id = spec_id;
	out->nfields = n;
	out->fields = fields;
	return 0;
}

int ice_partition_spec__parse(ice_partition_spec *out, ice_arena *arena, ice_jr *r, const ice_json *obj,
                              bool v1_ids)
{
	ice_json *fields;
	int32_t spec_id, next = ICE_PARTITION_DATA_ID_START;
	int rc;
	if (ice_json__type(obj) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a partition spec object, found %s",
		                     ice_json__type_name(obj));
	if ((rc = ice_jr__req_int32(r, obj, "spec-id", &spec_id)) || (rc = ice_jr__req_array(r, obj, "fields", &fields)))
		return rc;
	ice_jr__push_key(r, "fields");
	rc = ice_partition_spec__parse_fields(out, arena, r, fields, spec_id, v1_ids ? &next : NULL);
	ice_jr__pop(r);
	return rc;
}

int ice_partition_spec__write_fields(const ice_partition_spec *spec, ice_json_writer *w)
{
	ice_json_begin_array(w);
	for (size_t i = 0; i < spec->nfields; i++) {
		const ice_partition_field *f = &spec->fields[i];
		ice_json_begin_object(w);
		ice_json_key(w, "name");
		ice_json_string(w, f->name);
		write_transform(w, &f->transform);
		write_sources(w, f->n_source_ids, f->source_ids);
		if (f->field_id != ICE_UNASSIGNED_FIELD_ID) {
			ice_json_key(w, "field-id");
			ice_json_int(w, f->field_id);
		}
		ice_json_end_object(w);
	}
	return ice_json_end_array(w);
}

int ice_partition_spec_write_json(const ice_partition_spec *spec, ice_json_writer *w)
{
	ice_json_begin_object(w);
	ice_json_key(w, "spec-id");
	ice_json_int(w, spec->spec_id);
	ice_json_key(w, "fields");
	ice_partition_spec__write_fields(spec, w);
	return ice_json_end_object(w);
}

int ice_partition_spec__copy_into(ice_partition_spec *out, ice_arena *arena, const ice_partition_spec *src)
{
	ice_partition_field *fields = src->nfields ? ice_arena__allocarray(arena, src->nfields, sizeof(*fields)) : NULL;
	if (src->nfields && !fields)
		return ICE_ERROR;
	for (size_t i = 0; i < src->nfields; i++) {
		const ice_partition_field *s = &src->fields[i];
		fields[i] = *s;
		if (!(fields[i].name = ice_arena__strdup(arena, s->name)) ||
		    ice_transform__copy(&fields[i].transform, arena, &s->transform) ||
		    !(fields[i].source_ids = ice_arena__memdup(arena, s->source_ids, s->n_source_ids * sizeof(int32_t))))
			return ICE_ERROR;
	}
	out->spec_id = src->spec_id;
	out->nfields = src->nfields;
	out->fields = fields;
	return 0;
}

typedef struct owned_spec {
	ice_partition_spec spec; /* first: the public pointer points here */
	ice_arena arena;
} owned_spec;

int ice_partition_spec_from_json(ice_partition_spec **out, const char *json, size_t len, const char *source)
{
	owned_spec *o;
	ice_json *j;
	ice_jr r;
	int rc;
	*out = NULL;
	if ((rc = ice_json__parse(&j, json, len, source ? source : "<partition spec>")) != 0)
		return rc;
	if (!(o = ice__calloc(1, sizeof(*o)))) {
		ice_json__free(j);
		return ICE_ERROR;
	}
	ice_arena__init(&o->arena, 1024);
	ice_jr__init(&r, source ? source : "<partition spec>", ICE_ERRCLASS_METADATA);
	rc = ice_partition_spec__parse(&o->spec, &o->arena, &r, j, false);
	ice_json__free(j);
	if (rc) {
		ice_arena__free(&o->arena);
		ice__free(o);
		return rc;
	}
	*out = &o->spec;
	return 0;
}

void ice_partition_spec_free(ice_partition_spec *spec)
{
	owned_spec *o = (owned_spec *)spec;
	if (!o)
		return;
	ice_arena__free(&o->arena);
	ice__free(o);
}

bool ice_partition_spec_is_unpartitioned(const ice_partition_spec *spec)
{
	for (size_t i = 0; i < spec->nfields; i++)
		if (spec->fields[i].transform.kind != ICE_TRANSFORM_VOID)
			return false;
	return true;
}

static bool same_sources(size_t na, const int32_t *a, size_t nb, const int32_t *b)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

bool ice_partition_spec_equivalent(const ice_partition_spec *a, const ice_partition_spec *b, bool compare_ids)
{
	if (a->nfields != b->nfields)
		return false;
	for (size_t i = 0; i < a->nfields; i++) {
		const ice_partition_field *x = &a->fields[i], *y = &b->fields[i];
		if (strcmp(x->name, y->name) != 0 || !ice_transform_equal(&x->transform, &y->transform) ||
		    !same_sources(x->n_source_ids, x->source_ids, y->n_source_ids, y->source_ids))
			return false;
		if (compare_ids && x->field_id != y->field_id)
			return false;
	}
	return true;
}

int32_t ice_partition_spec_last_field_id(const ice_partition_spec *spec)
{
	int32_t last = ICE_PARTITION_DATA_ID_START - 1;
	for (size_t i = 0; i < spec->nfields; i++)
		if (spec->fields[i].field_id > last)
			last = spec->fields[i].field_id;
	return last;
}

const ice_type *ice_partition_field_result_type(const ice_partition_field *f, const ice_schema *schema)
{
	const ice_field *src = ice_schema_find_field(schema, f->source_id);
	if (f->transform.kind == ICE_TRANSFORM_VOID && !src)
		return ice_type_primitive(ICE_TYPE_INT);
	if (!src)
		return NULL;
	return ice_transform_result_type(&f->transform, src->type);
}

static int check_source(const ice_schema *schema, const ice_transform *t, int32_t source_id, const char *what,
                        const char *name)
{
	const ice_field *src = ice_schema_find_field(schema, source_id);
	char tname[128];
	ice_transform_to_string(t, tname, sizeof(tname));
	if (!src) {
		if (t->kind == ICE_TRANSFORM_VOID)
			return 0; /* a dropped column keeps its void field */
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA, "%s '%s': source column %d not found in schema %d",
		                      what, name, (int)source_id, (int)schema->schema_id);
	}
	if (!ice_type_is_primitive(src->type))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
		                      "%s '%s': source column '%s' is not a primitive type", what, name,
		                      ice_schema_field_name(schema, source_id));
	if (ice_schema_field_in_collection(schema, source_id))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
		                      "%s '%s': source column '%s' is inside a list or map", what, name,
		                      ice_schema_field_name(schema, source_id));
	if (t->kind != ICE_TRANSFORM_UNKNOWN && !ice_transform_can_apply(t, src->type)) {
		char *type = ice_type_to_string(src->type);
		int rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA, "%s '%s': transform %s cannot apply to %s column '%s'",
		                        what, name, tname, type ? type : "?", ice_schema_field_name(schema, source_id));
		ice__free(type);
		return rc;
	}
	return 0;
}

int ice_partition_spec_validate(const ice_partition_spec *spec, const ice_schema *schema)
{
	int rc;
	for (size_t i = 0; i < spec->nfields; i++) {
		const ice_partition_field *f = &spec->fields[i];
		if (!f->name[0])
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA, "partition field %zu has an empty name", i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(spec->fields[j].name, f->name) == 0)
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
				                      "partition field name '%s' is used twice", f->name);
		for (size_t k = 0; k < f->n_source_ids; k++)
			if ((rc = check_source(schema, &f->transform, f->source_ids[k], "partition field", f->name)) != 0)
				return rc;
		/* A partition name may shadow a column only as identity/void of it. */
		const ice_field *same = ice_schema_find_field_by_name(schema, f->name, true);
		if (same && ice_schema_parent_id(schema, same->id) == 0 &&
		    !((f->transform.kind == ICE_TRANSFORM_IDENTITY || f->transform.kind == ICE_TRANSFORM_VOID) &&
		      f->source_id == same->id))
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
			                      "partition field name '%s' conflicts with a schema column", f->name);
	}
	return 0;
}

/* ---- sort orders -------------------------------------------------------------- */

int ice_sort_order__parse(ice_sort_order *out, ice_arena *arena, ice_jr *r, const ice_json *obj)
{
	ice_json *arr;
	int32_t order_id;
	int rc;
	if (ice_json__type(obj) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a sort order object, found %s", ice_json__type_name(obj));
	if ((rc = ice_jr__req_int32(r, obj, "order-id", &order_id)) || (rc = ice_jr__req_array(r, obj, "fields", &arr)))
		return rc;
	size_t n = ice_json__size(arr);
	ice_sort_field *fields = n ? ice_arena__allocarray(arena, n, sizeof(*fields)) : NULL;
	if (n && !fields)
		return ICE_ERROR;
	ice_jr__push_key(r, "fields");
	for (size_t i = 0; i < n && !rc; i++) {
		const ice_json *f = ice_json__at(arr, i);
		const char *dir, *nulls;
		ice_jr__push_index(r, i);
		if (ice_json__type(f) != ICE_JSON_OBJECT)
			rc = ice_jr__error(r, ICE_EINVALID, "expected a sort field object, found %s", ice_json__type_name(f));
		if (!rc)
			rc = parse_transform(&fields[i].transform, arena, r, f);
		if (!rc)
			rc = parse_sources(arena, r, f, &fields[i].source_id, &fields[i].n_source_ids, &fields[i].source_ids);
		if (!rc)
			rc = ice_jr__req_string(r, f, "direction", &dir, NULL);
		if (!rc)
			rc = ice_jr__req_string(r, f, "null-order", &nulls, NULL);
		if (!rc) {
			if (!strcmp(dir, "asc"))
				fields[i].direction = ICE_SORT_ASC;
			else if (!strcmp(dir, "desc"))
				fields[i].direction = ICE_SORT_DESC;
			else
				rc = ice_jr__error_at(r, "direction", ICE_EINVALID, "expected 'asc' or 'desc', found '%s'", dir);
		}
		if (!rc) {
			if (!strcmp(nulls, "nulls-first"))
				fields[i].null_order = ICE_NULLS_FIRST;
			else if (!strcmp(nulls, "nulls-last"))
				fields[i].null_order = ICE_NULLS_LAST;
			else
				rc = ice_jr__error_at(r, "null-order", ICE_EINVALID,
				                      "expected 'nulls-first' or 'nulls-last', found '%s'", nulls);
		}
		ice_jr__pop(r);
	}
	ice_jr__pop(r);
	if (rc)
		return rc;
	if (order_id == 0 && n > 0)
		return ice_jr__error(r, ICE_EINVALID, "sort order id 0 is reserved for the unsorted order");
	out->order_id = order_id;
	out->nfields = n;
	out->fields = fields;
	return 0;
}

int ice_sort_order_write_json(const ice_sort_order *order, ice_json_writer *w)
{
	ice_json_begin_object(w);
	ice_json_key(w, "order-id");
	ice_json_int(w, order->order_id);
	ice_json_key(w, "fields");
	ice_json_begin_array(w);
	for (size_t i = 0; i < order->nfields; i++) {
		const ice_sort_field *f = &order->fields[i];
		ice_json_begin_object(w);
		write_transform(w, &f->transform);
		write_sources(w, f->n_source_ids, f->source_ids);
		ice_json_key(w, "direction");
		ice_json_string(w, f->direction == ICE_SORT_ASC ? "asc" : "desc");
		ice_json_key(w, "null-order");
		ice_json_string(w, f->null_order == ICE_NULLS_FIRST ? "nulls-first" : "nulls-last");
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
	return ice_json_end_object(w);
}

int ice_sort_order__copy_into(ice_sort_order *out, ice_arena *arena, const ice_sort_order *src)
{
	ice_sort_field *fields = src->nfields ? ice_arena__allocarray(arena, src->nfields, sizeof(*fields)) : NULL;
	if (src->nfields && !fields)
		return ICE_ERROR;
	for (size_t i = 0; i < src->nfields; i++) {
		fields[i] = src->fields[i];
		if (ice_transform__copy(&fields[i].transform, arena, &src->fields[i].transform) ||
		    !(fields[i].source_ids = ice_arena__memdup(arena, src->fields[i].source_ids,
		                                               src->fields[i].n_source_ids * sizeof(int32_t))))
			return ICE_ERROR;
	}
	out->order_id = src->order_id;
	out->nfields = src->nfields;
	out->fields = fields;
	return 0;
}

typedef struct owned_order {
	ice_sort_order order;
	ice_arena arena;
} owned_order;

int ice_sort_order_from_json(ice_sort_order **out, const char *json, size_t len, const char *source)
{
	owned_order *o;
	ice_json *j;
	ice_jr r;
	int rc;
	*out = NULL;
	if ((rc = ice_json__parse(&j, json, len, source ? source : "<sort order>")) != 0)
		return rc;
	if (!(o = ice__calloc(1, sizeof(*o)))) {
		ice_json__free(j);
		return ICE_ERROR;
	}
	ice_arena__init(&o->arena, 1024);
	ice_jr__init(&r, source ? source : "<sort order>", ICE_ERRCLASS_METADATA);
	rc = ice_sort_order__parse(&o->order, &o->arena, &r, j);
	ice_json__free(j);
	if (rc) {
		ice_arena__free(&o->arena);
		ice__free(o);
		return rc;
	}
	*out = &o->order;
	return 0;
}

void ice_sort_order_free(ice_sort_order *order)
{
	owned_order *o = (owned_order *)order;
	if (!o)
		return;
	ice_arena__free(&o->arena);
	ice__free(o);
}

bool ice_sort_order_same_fields(const ice_sort_order *a, const ice_sort_order *b)
{
	if (a->nfields != b->nfields)
		return false;
	for (size_t i = 0; i < a->nfields; i++) {
		const ice_sort_field *x = &a->fields[i], *y = &b->fields[i];
		if (!ice_transform_equal(&x->transform, &y->transform) || x->direction != y->direction ||
		    x->null_order != y->null_order ||
		    !same_sources(x->n_source_ids, x->source_ids, y->n_source_ids, y->source_ids))
			return false;
	}
	return true;
}

int ice_sort_order_validate(const ice_sort_order *order, const ice_schema *schema)
{
	int rc;
	for (size_t i = 0; i < order->nfields; i++) {
		char name[32];
		snprintf(name, sizeof(name), "%zu", i);
		for (size_t k = 0; k < order->fields[i].n_source_ids; k++)
			if ((rc = check_source(schema, &order->fields[i].transform, order->fields[i].source_ids[k],
			                       "sort field", name)) != 0)
				return rc;
	}
	return 0;
}
