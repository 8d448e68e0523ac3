/*
 * serve/fresh.c - a new table's first metadata from a CreateTableRequest,
 * made the way the reference implementation makes it (Java's
 * TableMetadata.newTableMetadata), so a table created through ice serve
 * looks as one created through any other REST catalog:
 *
 *  - field ids are assigned fresh from 1: the fields of a struct first, in
 *    order, then the types nested in each (list element; map key, then value),
 *    whatever ids the client sent; identifier fields follow their fields;
 *  - the partition spec is rebound to the new ids (spec 0, partition field
 *    ids from 1000), the sort order too (order 1, or 0 when unsorted);
 *  - "format-version" in the properties picks the format version (default
 *    2) and is not kept as a property; write.parquet.compression-codec
 *    defaults to zstd, as Java sets it for new tables.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

#define MAX_DEPTH 64

typedef struct fresh {
	serve_req *r;
	ice_map ids; /* old id -> new id */
	int32_t last;
	bool failed;
} fresh;

static bool fail(fresh *f, const char *where, const char *what)
{
	if (!f->failed)
		serve_error(f->r, 400, "BadRequestException", "%s: %s", where, what);
	f->failed = true;
	return false;
}

static bool map_id(fresh *f, const ice_json *id_json)
{
	int64_t old;
	void *seen;
	if (!id_json || ice_json__type(id_json) != ICE_JSON_INT)
		return fail(f, "schema", "every field needs an integer id");
	old = ice_json__int(id_json);
	if (ice_map__get_int(&f->ids, old, &seen))
		return fail(f, "schema", "field ids must be unique");
	if (f->last == INT32_MAX || ice_map__put_int(&f->ids, old, (void *)(intptr_t)(++f->last)) != 0)
		return fail(f, "schema", "too many fields");
	return true;
}

static bool assign_type(fresh *f, const ice_json *type, int depth);

static bool assign_struct(fresh *f, const ice_json *st, int depth)
{
	const ice_json *fields = ice_json__get(st, "fields");
	if (!fields || ice_json__type(fields) != ICE_JSON_ARRAY)
		return fail(f, "schema", "a struct needs a fields array");
	for (size_t i = 0; i < ice_json__size(fields); i++) {
		const ice_json *fl = ice_json__at(fields, i);
		if (ice_json__type(fl) != ICE_JSON_OBJECT || !map_id(f, ice_json__get(fl, "id")))
			return fail(f, "schema", "every field is an object with an id");
	}
	for (size_t i = 0; i < ice_json__size(fields); i++)
		if (!assign_type(f, ice_json__get(ice_json__at(fields, i), "type"), depth + 1))
			return false;
	return true;
}

static bool assign_type(fresh *f, const ice_json *type, int depth)
{
	const ice_json *kind;
	const char *k;
	if (depth > MAX_DEPTH)
		return fail(f, "schema", "types nested too deep");
	if (!type)
		return fail(f, "schema", "a field needs a type");
	if (ice_json__type(type) != ICE_JSON_OBJECT)
		return true; /* a primitive */
	kind = ice_json__get(type, "type");
	if (!kind || ice_json__type(kind) != ICE_JSON_STRING)
		return fail(f, "schema", "a nested type needs a type name");
	k = ice_json__str(kind, NULL);
	if (!strcmp(k, "struct"))
		return assign_struct(f, type, depth);
	if (!strcmp(k, "list"))
		return map_id(f, ice_json__get(type, "element-id")) &&
		       assign_type(f, ice_json__get(type, "element"), depth + 1);
	if (!strcmp(k, "map"))
		return map_id(f, ice_json__get(type, "key-id")) && map_id(f, ice_json__get(type, "value-id")) &&
		       assign_type(f, ice_json__get(type, "key"), depth + 1) &&
		       assign_type(f, ice_json__get(type, "value"), depth + 1);
	return fail(f, "schema: unknown nested type", k);
}

static bool new_id(fresh *f, const ice_json *old, int64_t *out)
{
	void *v;
	if (!old || ice_json__type(old) != ICE_JSON_INT || !ice_map__get_int(&f->ids, ice_json__int(old), &v))
		return fail(f, "source-id", "names no field of the schema");
	*out = (int64_t)(intptr_t)v;
	return true;
}

/* The schema with every id replaced by its fresh one. */
static bool emit(fresh *f, const ice_json *j, ice_json_writer *w, int depth)
{
	ice_json_iter it;
	const char *key;
	ice_json *v;
	int64_t id;
	if (depth > MAX_DEPTH)
		return fail(f, "schema", "nested too deep");
	switch (ice_json__type(j)) {
	case ICE_JSON_OBJECT:
		ice_json_begin_object(w);
		ice_json__iter_init(&it, j);
		while (ice_json__iter_next(&it, &key, &v)) {
			ice_json_key(w, key);
			if (!strcmp(key, "id") || !strcmp(key, "element-id") || !strcmp(key, "key-id") ||
			    !strcmp(key, "value-id")) {
				if (!new_id(f, v, &id))
					return false;
				ice_json_int(w, id);
			} else if (!strcmp(key, "schema-id")) {
				ice_json_int(w, 0);
			} else if (!strcmp(key, "identifier-field-ids") && ice_json__type(v) == ICE_JSON_ARRAY) {
				ice_json_begin_array(w);
				for (size_t i = 0; i < ice_json__size(v); i++) {
					if (!new_id(f, ice_json__at(v, i), &id))
						return fail(f, "schema", "an identifier field id names no field");
					ice_json_int(w, id);
				}
				ice_json_end_array(w);
			} else if (!strcmp(key, "initial-default") || !strcmp(key, "write-default") || !strcmp(key, "doc") ||
			           !strcmp(key, "name")) {
				ice_json__write(v, w);
			} else if (!emit(f, v, w, depth + 1)) {
				return false;
			}
		}
		ice_json_end_object(w);
		return true;
	case ICE_JSON_ARRAY:
		ice_json_begin_array(w);
		for (size_t i = 0; i < ice_json__size(j); i++)
			if (!emit(f, ice_json__at(j, i), w, depth + 1))
				return false;
		ice_json_end_array(w);
		return true;
	default:
		return ice_json__write(j, w) == 0;
	}
}

/* source-id / source-ids of a spec or sort field, rebound. */
static bool emit_sources(fresh *f, const ice_json *field, ice_json_writer *w)
{
	const ice_json *one = ice_json__get(field, "source-id"), *many = ice_json__get(field, "source-ids");
	int64_t id;
	if (many && ice_json__type(many) == ICE_JSON_ARRAY) {
		ice_json_key(w, "source-ids");
		ice_json_begin_array(w);
		for (size_t i = 0; i < ice_json__size(many); i++) {
			if (!new_id(f, ice_json__at(many, i), &id))
				return false;
			ice_json_int(w, id);
		}
		ice_json_end_array(w);
		if (!one)
			return true;
	}
	if (!new_id(f, one, &id))
		return false;
	ice_json_key(w, "source-id");
	ice_json_int(w, id);
	return true;
}

static bool emit_fields(fresh *f, const ice_json *obj, const char *what, bool spec, ice_json_writer *w)
{
	const ice_json *fields = ice_json__get(obj, "fields");
	ice_json_iter it;
	const char *key;
	ice_json *v;
	if (!fields || ice_json__type(fields) != ICE_JSON_ARRAY)
		return fail(f, what, "expected a fields array");
	ice_json_key(w, "fields");
	ice_json_begin_array(w);
	for (size_t i = 0; i < ice_json__size(fields); i++) {
		const ice_json *fl = ice_json__at(fields, i);
		if (ice_json__type(fl) != ICE_JSON_OBJECT)
			return fail(f, what, "every field is an object");
		ice_json_begin_object(w);
		if (!emit_sources(f, fl, w))
			return false;
		if (spec) {
			ice_json_key(w, "field-id");
			ice_json_int(w, ICE_PARTITION_DATA_ID_START + (int64_t)i);
		}
		ice_json__iter_init(&it, fl);
		while (ice_json__iter_next(&it, &key, &v))
			if (strcmp(key, "source-id") && strcmp(key, "source-ids") && strcmp(key, "field-id")) {
				ice_json_key(w, key);
				ice_json__write(v, w);
			}
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
	return true;
}

/* Finishes `w` and hands its text to `parse`; false after a 400 reply. */
static const char *finished(fresh *f, ice_json_writer *w, size_t *len)
{
	const char *text;
	if (f->failed)
		return NULL;
	if (ice_json_writer_finish(w, &text, len) != 0) {
		serve_fail(f->r, ICE_ERROR, NULL);
		f->failed = true;
		return NULL;
	}
	return text;
}

static int bad_part(serve_req *r, const char *what)
{
	if (ice_error__is_oom())
		return serve_fail(r, ICE_ERROR, NULL), 1;
	serve_error(r, 400, "BadRequestException", "%s: %s", what, ice_error_last()->message);
	return 1;
}

int serve_new_table_metadata(serve_req *r, const ice_json *req, const char *location, bool stage,
                             ice_table_metadata **out)
{
	fresh f = {r, {0}, 0, false};
	const ice_json *schema = ice_json__get(req, "schema"), *spec = ice_json__get(req, "partition-spec");
	const ice_json *order = ice_json__get(req, "write-order"), *props = ice_json__get(req, "properties");
	ice_schema *sc = NULL;
	ice_partition_spec *ps = NULL;
	ice_sort_order *so = NULL;
	ice_metadata_builder *b = NULL;
	ice_property *items = NULL;
	size_t nitems = 0;
	int version = 2, rc = 1;
	bool codec = false;
	ice_json_writer w;
	const char *text;
	size_t len;
	*out = NULL;
	ice_map__init(&f.ids, false);
	ice_jw__init(&w, ICE_JSON_COMPACT);
	if (!schema || ice_json__type(schema) != ICE_JSON_OBJECT) {
		serve_error(r, 400, "BadRequestException", "schema: a table needs a schema object");
		goto done;
	}
	/* Properties first: format-version decides what the schema may hold. */
	if (props && ice_json__type(props) != ICE_JSON_NULL) {
		ice_json_iter it;
		const char *key;
		ice_json *v;
		if (ice_json__type(props) != ICE_JSON_OBJECT) {
			serve_error(r, 400, "BadRequestException", "properties: expected an object of strings");
			goto done;
		}
		if (ice_json__size(props) && !(items = ice__calloc(ice_json__size(props) + 1, sizeof(ice_property)))) {
			serve_fail(r, ICE_ERROR, NULL);
			goto done;
		}
		ice_json__iter_init(&it, props);
		while (ice_json__iter_next(&it, &key, &v)) {
			const char *val;
			if (!serve_string(r, v, "properties", &val))
				goto done;
			len = strlen(val);
			if (!strcmp(key, "format-version")) {
				int32_t fv;
				if (!ice_str__to_int32(val, len, &fv) || fv < 1 || fv > 3) {
					serve_error(r, 400, "BadRequestException", "properties.format-version: expected 1, 2 or 3");
					goto done;
				}
				version = fv;
				continue;
			}
			codec |= !strcmp(key, "write.parquet.compression-codec");
			items[nitems].key = key;
			items[nitems].value = val;
			nitems++;
		}
	}
	if (!assign_struct(&f, schema, 0) || !emit(&f, schema, &w, 0) || !(text = finished(&f, &w, &len)))
		goto done;
	if (ice_schema_from_json(&sc, text, len, "schema") != 0 && bad_part(r, "schema"))
		goto done;
	if (spec && ice_json__type(spec) != ICE_JSON_NULL) {
		ice_jw__free(&w);
		ice_jw__init(&w, ICE_JSON_COMPACT);
		if (ice_json__type(spec) != ICE_JSON_OBJECT) {
			serve_error(r, 400, "BadRequestException", "partition-spec: expected an object");
			goto done;
		}
		ice_json_begin_object(&w);
		ice_json_key(&w, "spec-id");
		ice_json_int(&w, 0);
		if (!emit_fields(&f, spec, "partition-spec", true, &w))
			goto done;
		ice_json_end_object(&w);
		if (!(text = finished(&f, &w, &len)))
			goto done;
		if (ice_partition_spec_from_json(&ps, text, len, "partition-spec") != 0 && bad_part(r, "partition-spec"))
			goto done;
	}
	if (order && ice_json__type(order) != ICE_JSON_NULL) {
		const ice_json *fields = ice_json__get(order, "fields");
		ice_jw__free(&w);
		ice_jw__init(&w, ICE_JSON_COMPACT);
		if (ice_json__type(order) != ICE_JSON_OBJECT) {
			serve_error(r, 400, "BadRequestException", "write-order: expected an object");
			goto done;
		}
		ice_json_begin_object(&w);
		ice_json_key(&w, "order-id");
		ice_json_int(&w, fields && ice_json__size(fields) ? 1 : 0);
		if (!emit_fields(&f, order, "write-order", false, &w))
			goto done;
		ice_json_end_object(&w);
		if (!(text = finished(&f, &w, &len)))
			goto done;
		if (ice_sort_order_from_json(&so, text, len, "write-order") != 0 && bad_part(r, "write-order"))
			goto done;
	}
	/* A staged table records when it was staged, as the reference does. */
	char created_at[64];
	if (stage) {
		struct timespec ts;
		struct tm tm;
		char when[32];
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(created_at, sizeof(created_at), "%s.%09ldZ", when, (long)ts.tv_nsec);
		ice_property *grown = ice__reallocarray(items, nitems + 2, sizeof(ice_property));
		if (!grown) {
			serve_fail(r, ICE_ERROR, NULL);
			goto done;
		}
		items = grown;
		items[nitems].key = "created-at";
		items[nitems].value = created_at;
		nitems++;
	}
	if (!codec) {
		ice_property *grown = ice__reallocarray(items, nitems + 1, sizeof(ice_property));
		if (!grown) {
			serve_fail(r, ICE_ERROR, NULL);
			goto done;
		}
		items = grown;
		items[nitems].key = "write.parquet.compression-codec";
		items[nitems].value = "zstd";
		nitems++;
	}
	ice_partition_spec unpartitioned = {0, 0, NULL};
	ice_sort_order unsorted = {0, 0, NULL};
	ice_properties properties = {nitems, items};
	int brc;
	if ((brc = ice_metadata_builder_new_table(&b, version)) == 0 &&
	    (brc = ice_metadata_builder_add_schema(b, sc, NULL)) == 0 &&
	    (brc = ice_metadata_builder_set_current_schema(b, ICE_LAST_ADDED)) == 0 &&
	    (brc = ice_metadata_builder_add_spec(b, ps ? ps : &unpartitioned, NULL)) == 0 &&
	    (brc = ice_metadata_builder_set_default_spec(b, ICE_LAST_ADDED)) == 0 &&
	    (brc = ice_metadata_builder_add_sort_order(b, so ? so : &unsorted, NULL)) == 0 &&
	    (brc = ice_metadata_builder_set_default_sort_order(b, ICE_LAST_ADDED)) == 0 &&
	    (brc = ice_metadata_builder_set_location(b, location)) == 0 &&
	    (brc = ice_metadata_builder_set_properties(b, &properties)) == 0)
		brc = ice_metadata_builder_build(out, b);
	if (brc) {
		bad_part(r, "create");
		goto done;
	}
	rc = 0;
done:
	ice_metadata_builder_free(b);
	ice_schema_free(sc);
	ice_partition_spec_free(ps);
	ice_sort_order_free(so);
	ice__free(items);
	ice_jw__free(&w);
	ice_map__free(&f.ids);
	return rc;
}
