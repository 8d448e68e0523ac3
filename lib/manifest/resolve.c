/*
 * manifest/resolve.c - matching a writer's Avro schema to the fields ice
 * reads (spec Appendix A "Avro", "Field IDs"; spec "Manifests" and
 * "Manifest Lists" for the fields): fields are found by field id where the
 * writer gave ids and by name otherwise, with the name variants seen in the
 * wild; types are checked once per file, allowing int for long, nullable
 * for required, string for bytes. Also the small things both readers and
 * both writers share: scratch arrays, header numbers, the types bounds are
 * decoded with, the Avro codec a table asks for.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "util/strutil.h"

bool ice_manifest__shape_ok(const ice_avro_node *node, ice_manifest_shape shape)
{
	const ice_avro_node *n = ice_avro__non_null(node);
	if (!n)
		return false;
	switch (shape) {
	case ICE_SHAPE_INT:
	case ICE_SHAPE_LONG: return n->kind == ICE_AVRO_INT || n->kind == ICE_AVRO_LONG;
	case ICE_SHAPE_BOOL: return n->kind == ICE_AVRO_BOOLEAN;
	case ICE_SHAPE_STRING: return n->kind == ICE_AVRO_STRING || n->kind == ICE_AVRO_BYTES;
	case ICE_SHAPE_BYTES:
		return n->kind == ICE_AVRO_BYTES || n->kind == ICE_AVRO_STRING || n->kind == ICE_AVRO_FIXED;
	}
	return false;
}

const char *ice_manifest__shape_name(ice_manifest_shape shape)
{
	switch (shape) {
	case ICE_SHAPE_INT: return "an int";
	case ICE_SHAPE_LONG: return "a long";
	case ICE_SHAPE_BOOL: return "a boolean";
	case ICE_SHAPE_STRING: return "a string";
	case ICE_SHAPE_BYTES: return "bytes";
	}
	return "?";
}

void *ice_manifest__vec_reserve(ice_manifest_vec *v, size_t n, size_t size)
{
	if (n > v->cap) {
		size_t cap = v->cap ? v->cap : 16;
		void *p;
		while (cap < n)
			cap = cap > SIZE_MAX / 4 ? n : cap * 2;
		if (!(p = ice__reallocarray(v->p, cap, size)))
			return NULL;
		v->p = p;
		v->cap = cap;
	}
	return v->p;
}

void ice_manifest__vec_free(ice_manifest_vec *v)
{
	ice__free(v->p);
	v->p = NULL;
	v->cap = 0;
}

const char *ice_manifest__cstr(ice_buf *b, ice_slice s)
{
	b->len = 0;
	b->error = 0;
	if (ice_buf__grow(b, s.len) != 0)
		return NULL;
	if (s.len)
		memcpy(b->ptr, s.data, s.len);
	b->ptr[s.len] = '\0';
	b->len = s.len;
	return b->ptr;
}

bool ice_manifest__field_is(const ice_avro_field *f, int32_t id, const char *const *names)
{
	if (f->has_field_id)
		return f->field_id == id;
	for (size_t i = 0; i < 3 && names[i]; i++)
		if (strcmp(f->name, names[i]) == 0)
			return true;
	return false;
}

bool ice_manifest__meta_long(const char *s, int64_t *out)
{
	return s && ice_str__to_int64(s, strlen(s), out);
}

/* ---- planning ------------------------------------------------------------------- */

static int plan_error(const char *file, const char *where, const ice_avro_field *f, const char *what)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO, "%s: schema: %s.%s: %s", file, where, f->name, what);
}

static int plan_collection(const char *file, const char *where, ice_manifest_field_plan *fp)
{
	static const char *const key_names[] = {"key", NULL, NULL}, *const value_names[] = {"value", NULL, NULL};
	const ice_manifest_known *k = fp->known;
	const ice_avro_node *arr = ice_avro__non_null(fp->field->type), *rec;
	if (!arr || arr->kind != ICE_AVRO_ARRAY)
		return plan_error(file, where, fp->field, "expected an array");
	fp->item = arr->items;
	if (k->kind == K_LONGS || k->kind == K_INTS) {
		if (!ice_manifest__shape_ok(arr->items, ICE_SHAPE_LONG))
			return plan_error(file, where, fp->field, "expected an array of int or long");
		return 0;
	}
	rec = ice_avro__non_null(arr->items);
	if (!rec || rec->kind != ICE_AVRO_RECORD)
		return plan_error(file, where, fp->field, "expected an array of records");
	fp->rec = rec;
	if (k->kind == K_SUMMARIES)
		return 0;
	fp->key = fp->value = -1;
	for (size_t i = 0; i < rec->n; i++) {
		if (fp->key < 0 && ice_manifest__field_is(&rec->fields[i], k->key_id, key_names))
			fp->key = (int)i;
		else if (fp->value < 0 && ice_manifest__field_is(&rec->fields[i], k->value_id, value_names))
			fp->value = (int)i;
	}
	if (fp->key < 0 && fp->value < 0 && rec->n == 2) {
		fp->key = 0;
		fp->value = 1;
	}
	if (fp->key < 0 || fp->value < 0)
		return plan_error(file, where, fp->field, "map records need a key and a value");
	if (!ice_manifest__shape_ok(rec->fields[fp->key].type, ICE_SHAPE_INT) ||
	    !ice_manifest__shape_ok(rec->fields[fp->value].type, k->shape))
		return plan_error(file, where, fp->field, "map key or value of an unexpected type");
	const ice_avro_node *kt = rec->fields[0].type, *vt = rec->n == 2 ? rec->fields[1].type : NULL;
	fp->simple = arr->items == rec && rec->n == 2 && fp->key == 0 && fp->value == 1 &&
	             (kt->kind == ICE_AVRO_INT || kt->kind == ICE_AVRO_LONG) &&
	             (k->shape == ICE_SHAPE_LONG ? vt->kind == ICE_AVRO_INT || vt->kind == ICE_AVRO_LONG
	                                         : vt->kind == ICE_AVRO_BYTES || vt->kind == ICE_AVRO_STRING);
	return 0;
}

int ice_manifest__plan_record(const char *file, const ice_avro_node *rec, const ice_manifest_known *table,
                              size_t ntable, const char *where, ice_manifest_field_plan *plans)
{
	int rc;
	for (size_t i = 0; i < rec->n; i++) {
		ice_manifest_field_plan *fp = &plans[i];
		const ice_manifest_known *k = NULL;
		memset(fp, 0, sizeof(*fp));
		fp->field = &rec->fields[i];
		for (size_t t = 0; t < ntable && !k; t++)
			if (ice_manifest__field_is(fp->field, table[t].id, table[t].names))
				k = &table[t];
		/* A second field for the same id (name variants): the first wins. */
		for (size_t j = 0; k && j < i; j++)
			if (plans[j].known == k)
				k = NULL;
		if (!k)
			continue;
		fp->known = k;
		if (k->kind == K_SCALAR) {
			if (!ice_manifest__shape_ok(fp->field->type, k->shape)) {
				char what[64];
				snprintf(what, sizeof(what), "expected %s", ice_manifest__shape_name(k->shape));
				return plan_error(file, where, fp->field, what);
			}
		} else if (k->kind == K_PARTITION) {
			const ice_avro_node *sub = ice_avro__non_null(fp->field->type);
			if (!sub || sub->kind != ICE_AVRO_RECORD)
				return plan_error(file, where, fp->field, "expected a record");
		} else if ((rc = plan_collection(file, where, fp)) != 0) {
			return rc;
		}
	}
	return 0;
}

bool ice_manifest__plan_has(const ice_manifest_field_plan *plans, size_t n, int32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (plans[i].known && plans[i].known->id == id)
			return true;
	return false;
}

/* ---- types for bounds and partition values -------------------------------------- */

static int add_type_ids(ice_map *m, const ice_type *t)
{
	int rc;
	switch (t->id) {
	case ICE_TYPE_STRUCT:
		for (size_t i = 0; i < t->u.struct_.nfields; i++) {
			const ice_field *f = &t->u.struct_.fields[i];
			if (!ice_map__get_int(m, f->id, NULL) && (rc = ice_map__put_int(m, f->id, (void *)f->type)))
				return rc;
			if ((rc = add_type_ids(m, f->type)))
				return rc;
		}
		return 0;
	case ICE_TYPE_LIST: {
		const ice_field *f = &t->u.list.element;
		if (!ice_map__get_int(m, f->id, NULL) && (rc = ice_map__put_int(m, f->id, (void *)f->type)))
			return rc;
		return add_type_ids(m, f->type);
	}
	case ICE_TYPE_MAP:
		for (int k = 0; k < 2; k++) {
			const ice_field *f = k ? &t->u.map.value : &t->u.map.key;
			if (!ice_map__get_int(m, f->id, NULL) && (rc = ice_map__put_int(m, f->id, (void *)f->type)))
				return rc;
			if ((rc = add_type_ids(m, f->type)))
				return rc;
		}
		return 0;
	default: return 0;
	}
}

int ice_manifest__types_init(ice_manifest_types *t, const ice_table_metadata *md, const ice_schema *extra)
{
	int rc;
	ice_map__init(&t->by_id, false);
	t->dense = NULL;
	t->ndense = 0;
	if (md) {
		const ice_schema *cur = ice_table_metadata_current_schema(md);
		size_t n = ice_table_metadata_schema_count(md);
		if (cur && (rc = add_type_ids(&t->by_id, ice_schema_struct(cur))))
			return rc;
		for (size_t i = n; i-- > 0;)
			if ((rc = add_type_ids(&t->by_id, ice_schema_struct(ice_table_metadata_schema_at(md, i)))))
				return rc;
	}
	if (extra && (rc = add_type_ids(&t->by_id, ice_schema_struct(extra))))
		return rc;
	/* Small ids (the usual case): an array, looked up for every bound. */
	int64_t max = -1;
	size_t pos = 0;
	const ice_map_slot *slot;
	while ((slot = ice_map__next(&t->by_id, &pos)))
		if (slot->ikey > max)
			max = slot->ikey;
	if (max >= 0 && max < 65536) {
		if (!(t->dense = ice__calloc((size_t)max + 1, sizeof(*t->dense))))
			return ICE_ERROR;
		t->ndense = (size_t)max + 1;
		pos = 0;
		while ((slot = ice_map__next(&t->by_id, &pos)))
			if (slot->ikey >= 0)
				t->dense[slot->ikey] = slot->value;
	}
	return 0;
}

void ice_manifest__types_free(ice_manifest_types *t)
{
	ice_map__free(&t->by_id);
	ice__free(t->dense);
	t->dense = NULL;
	t->ndense = 0;
}

void ice_manifest__decode_bound(ice_metric_bound *b, const ice_type *type)
{
	memset(&b->value, 0, sizeof(b->value));
	b->value.type = ICE_TYPE_INVALID;
	if (!type || !ice_type_is_primitive(type) || type->id == ICE_TYPE_UNKNOWN)
		return;
	if (type->id == ICE_TYPE_GEOMETRY || type->id == ICE_TYPE_GEOGRAPHY) {
		/* A bounding-box corner: x:y, x:y:z or x:y:z:m doubles. */
		if (b->bytes.len != 16 && b->bytes.len != 24 && b->bytes.len != 32)
			return;
		b->value.type = type->id;
		b->value.v.bytes = b->bytes;
		return;
	}
	if (ice_literal_from_bytes(&b->value, type, b->bytes.data ? b->bytes.data : (const uint8_t *)"", b->bytes.len) !=
	    0) {
		memset(&b->value, 0, sizeof(b->value));
		b->value.type = ICE_TYPE_INVALID;
		return;
	}
	/* Strings that are not UTF-8 stay raw: they would not print or compare right. */
	if (type->id == ICE_TYPE_STRING && !ice_utf8__valid(b->bytes.data, b->bytes.len))
		b->value.type = ICE_TYPE_INVALID;
}

const ice_type **ice_manifest__partition_types(ice_arena *arena, const ice_partition_spec *spec,
                                               const ice_schema *schema, const ice_schema *fallback)
{
	const ice_type **types = ice_arena__allocarray(arena, spec->nfields ? spec->nfields : 1, sizeof(*types));
	if (!types)
		return NULL;
	for (size_t i = 0; i < spec->nfields; i++) {
		const ice_type *t = NULL;
		if (schema)
			t = ice_partition_field_result_type(&spec->fields[i], schema);
		if (!t && fallback)
			t = ice_partition_field_result_type(&spec->fields[i], fallback);
		types[i] = t;
	}
	return types;
}

int ice_manifest__writer_codec(ice_codec *out, int *level, const char *codec, int level_opt,
                               const ice_properties *props)
{
	const char *name = codec;
	*level = level_opt;
	if (!name && props)
		name = ice_properties_get(props, "write.avro.compression-codec");
	if (!name)
		name = "deflate";
	if (!strcmp(name, "gzip"))
		name = "deflate";
	else if (!strcmp(name, "uncompressed") || !strcmp(name, "none"))
		name = "null";
	else if (!strcmp(name, "zstd"))
		name = "zstandard";
	if (ice_avro__codec_parse(out, name) != 0)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO, "unsupported Avro codec '%s'", name);
	if (!*level && props) {
		const char *l = ice_properties_get(props, "write.avro.compression-level");
		int32_t v;
		if (l && *l) {
			if (!ice_str__to_int32(l, strlen(l), &v))
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO,
				                      "write.avro.compression-level: '%s' is not an integer", l);
			*level = v;
		}
	}
	return 0;
}
