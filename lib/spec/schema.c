/*
 * spec/schema.c - schemas: the struct type plus indexes by field id and by
 * dotted name, validation (unique ids, unique names per struct, identifier
 * fields per spec "Identifier Field IDs"), JSON (Appendix C "Schemas").
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strutil.h"

static size_t count_fields(const ice_type *t)
{
	size_t n = 0;
	switch (t->id) {
	case ICE_TYPE_STRUCT:
		for (size_t i = 0; i < t->u.struct_.nfields; i++)
			n += 1 + count_fields(t->u.struct_.fields[i].type);
		return n;
	case ICE_TYPE_LIST:
		return 1 + count_fields(t->u.list.element.type);
	case ICE_TYPE_MAP:
		return 2 + count_fields(t->u.map.key.type) + count_fields(t->u.map.value.type);
	default:
		return 0;
	}
}

typedef struct walker {
	ice_schema *schema;
	ice_arena *arena;
	ice_jr *r;
	ice_buf full;   /* dotted name being built */
	ice_buf short_; /* same without list "element" / map "value" segments */
} walker;

static int fail(walker *w, int code, const char *fmt, ...) ICE_PRINTF(3, 4);

static int fail(walker *w, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w->r)
		return ice_jr__error(w->r, code, "%s", msg);
	return ice_error__set(code, ICE_ERRCLASS_METADATA, "%s", msg);
}

/* ---- the compact indexes ------------------------------------------------------ */

static uint32_t hash_id(int32_t id)
{
	return (uint32_t)(ice_hash__int((uint64_t)(uint32_t)id) >> 32);
}

static uint32_t hash_name(const char *s, size_t n)
{
	return (uint32_t)(ice_hash__bytes(s, n) >> 32);
}

static int index_init(ice_schema_index *ix, ice_arena *arena, size_t n)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	ix->slots = ice_arena__allocarray(arena, cap, sizeof(uint32_t));
	ix->mask = (uint32_t)(cap - 1);
	return ix->slots ? 0 : ICE_ERROR;
}

/* Entry number of field `id`, or -1. */
static int64_t find_id(const ice_schema *s, int32_t id)
{
	if (!s->by_id.slots)
		return -1;
	for (uint32_t i = hash_id(id) & s->by_id.mask;; i = (i + 1) & s->by_id.mask) {
		uint32_t v = s->by_id.slots[i];
		if (!v)
			return -1;
		if (s->entries[v - 1].field->id == id)
			return v - 1;
	}
}

/* Name slots hold (entry << 1 | is_short) + 1. */
static int64_t find_name(const ice_schema *s, const char *name, size_t len)
{
	if (!s->by_name.slots)
		return -1;
	for (uint32_t i = hash_name(name, len) & s->by_name.mask;; i = (i + 1) & s->by_name.mask) {
		uint32_t v = s->by_name.slots[i];
		if (!v)
			return -1;
		const ice_schema_entry *e = &s->entries[(v - 1) >> 1];
		bool is_short = (v - 1) & 1;
		const char *n = is_short ? e->short_name : e->full_name;
		uint32_t nl = is_short ? e->short_len : e->full_len;
		if (nl == len && memcmp(n, name, len) == 0)
			return (v - 1) >> 1;
	}
}

static void put_slot(ice_schema_index *ix, uint32_t hash, uint32_t value)
{
	uint32_t i = hash & ix->mask;
	while (ix->slots[i])
		i = (i + 1) & ix->mask;
	ix->slots[i] = value;
}

/* ---- building ------------------------------------------------------------------ */

static int add_entry(walker *w, const ice_field *f, int32_t parent, bool in_coll, bool in_opt, bool skip_short)
{
	ice_schema *s = w->schema;
	ice_schema_entry *e;
	size_t full_len = w->full.len, short_len = w->short_.len;

	if (f->id < 0)
		return fail(w, ICE_EINVALID, "invalid field id %lld for '%s'", (long long)f->id, f->name);
	if (find_id(s, f->id) >= 0)
		return fail(w, ICE_EINVALID, "duplicate field id %lld ('%s')", (long long)f->id, f->name);
	if (full_len)
		ice_buf__putc(&w->full, '.');
	ice_buf__puts(&w->full, f->name);
	if (!skip_short) {
		if (short_len)
			ice_buf__putc(&w->short_, '.');
		ice_buf__puts(&w->short_, f->name);
	}
	if (w->full.error || w->short_.error)
		return ICE_ERROR;
	if (w->full.len > UINT32_MAX)
		return fail(w, ICE_EINVALID, "field name of %zu bytes is too long", w->full.len);
	/* Two equal names in one struct give equal full names. */
	if (find_name(s, w->full.ptr, w->full.len) >= 0 &&
	    strcmp(s->entries[find_name(s, w->full.ptr, w->full.len)].full_name, w->full.ptr) == 0)
		return fail(w, ICE_EINVALID, "duplicate field name '%s' (id %lld)", w->full.ptr, (long long)f->id);

	uint32_t number = (uint32_t)s->nentries;
	e = &s->entries[s->nentries++];
	e->field = f;
	e->parent_id = parent;
	e->in_collection = in_coll;
	e->in_optional = in_opt;
	e->full_len = (uint32_t)w->full.len;
	e->short_name = NULL;
	e->short_len = 0;
	if (!(e->full_name = ice_arena__strndup(w->arena, w->full.ptr, w->full.len)))
		return ICE_ERROR;
	if (f->id > s->highest_field_id)
		s->highest_field_id = f->id;
	put_slot(&s->by_id, hash_id(f->id), number + 1);
	put_slot(&s->by_name, hash_name(e->full_name, e->full_len), (number << 1) + 1);
	/* The short name is an alias; full names take precedence. */
	if (w->short_.len != w->full.len && find_name(s, w->short_.ptr, w->short_.len) < 0) {
		if (!(e->short_name = ice_arena__strndup(w->arena, w->short_.ptr, w->short_.len)))
			return ICE_ERROR;
		e->short_len = (uint32_t)w->short_.len;
		put_slot(&s->by_name, hash_name(e->short_name, e->short_len), ((number << 1) | 1) + 1);
	}
	return 0;
}

static int walk(walker *w, const ice_type *t, int32_t parent, bool in_coll, bool in_opt);

static int visit(walker *w, const ice_field *f, int32_t parent, bool in_coll, bool in_opt, bool skip_short)
{
	size_t full_len = w->full.len, short_len = w->short_.len;
	int rc = add_entry(w, f, parent, in_coll, in_opt, skip_short);
	if (!rc)
		rc = walk(w, f->type, f->id, in_coll, in_opt || !f->required);
	ice_buf__truncate(&w->full, full_len);
	ice_buf__truncate(&w->short_, short_len);
	return rc;
}

static int walk(walker *w, const ice_type *t, int32_t parent, bool in_coll, bool in_opt)
{
	int rc = 0;
	switch (t->id) {
	case ICE_TYPE_STRUCT:
		for (size_t i = 0; i < t->u.struct_.nfields && !rc; i++)
			rc = visit(w, &t->u.struct_.fields[i], parent, in_coll, in_opt, false);
		return rc;
	case ICE_TYPE_LIST:
		return visit(w, &t->u.list.element, parent, true, in_opt, true);
	case ICE_TYPE_MAP:
		if ((rc = visit(w, &t->u.map.key, parent, true, in_opt, false)) != 0)
			return rc;
		return visit(w, &t->u.map.value, parent, true, in_opt, true);
	default:
		return 0;
	}
}

static int check_identifier(ice_schema *s, ice_jr *r, int32_t id)
{
	const ice_schema_entry *e;
	const char *why = NULL;
	int64_t k = find_id(s, id);
	if (k < 0)
		why = "does not exist";
	else {
		e = &s->entries[k];
		if (!ice_type_is_primitive(e->field->type))
			why = "is not a primitive type";
		else if (!e->field->required)
			why = "is optional";
		else if (e->field->type->id == ICE_TYPE_FLOAT || e->field->type->id == ICE_TYPE_DOUBLE)
			why = "is a float or double";
		else if (e->in_collection)
			why = "is nested in a list or map";
		else if (e->in_optional)
			why = "is nested in an optional struct";
	}
	if (!why)
		return 0;
	if (r)
		return ice_jr__error(r, ICE_EINVALID, "identifier field %d %s", (int)id, why);
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA, "identifier field %d %s", (int)id, why);
}

int ice_schema__init(ice_schema *out, ice_arena *arena, int32_t schema_id, const ice_type *struct_type,
                     const int32_t *identifier_ids, size_t n_identifier, ice_jr *r)
{
	walker w;
	int rc;
	memset(out, 0, sizeof(*out));
	out->schema_id = schema_id;
	out->type = struct_type;
	out->identifier_field_ids = identifier_ids;
	out->n_identifier_field_ids = n_identifier;
	size_t n = count_fields(struct_type);
	if (n > UINT32_MAX / 4)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA, "schema with %zu fields is too large", n);
	out->entries = n ? ice_arena__alloc_raw(arena, n * sizeof(ice_schema_entry)) : NULL;
	if ((n && !out->entries) || index_init(&out->by_id, arena, n) || index_init(&out->by_name, arena, 2 * n))
		return ICE_ERROR;
	w.schema = out;
	w.arena = arena;
	w.r = r;
	ice_buf__init(&w.full, 0);
	ice_buf__init(&w.short_, 0);
	rc = walk(&w, struct_type, 0, false, false);
	ice_buf__free(&w.full);
	ice_buf__free(&w.short_);
	for (size_t i = 0; i < n_identifier && !rc; i++)
		rc = check_identifier(out, r, identifier_ids[i]);
	return rc;
}

void ice_schema__release(ice_schema *s)
{
	/* Indexes live in the arena: nothing to release. */
	(void)s;
}

int ice_schema__parse(ice_schema *out, ice_arena *arena, ice_jr *r, const ice_json *obj, bool require_id)
{
	const ice_type *type;
	ice_json *ids_json;
	int32_t schema_id = 0, *ids = NULL;
	size_t n = 0;
	const char *kind;
	int rc;

	memset(out, 0, sizeof(*out));
	if (ice_json__type(obj) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a schema object, found %s", ice_json__type_name(obj));
	if (require_id)
		rc = ice_jr__req_int32(r, obj, "schema-id", &schema_id);
	else
		rc = ice_jr__opt_int32(r, obj, "schema-id", &schema_id, NULL);
	if (rc)
		return rc;
	if ((rc = ice_jr__req_string(r, obj, "type", &kind, NULL)) != 0)
		return rc;
	if (strcmp(kind, "struct") != 0)
		return ice_jr__error_at(r, "type", ICE_EINVALID, "a schema must be a struct, not '%s'", kind);
	if ((rc = ice_jr__opt_array(r, obj, "identifier-field-ids", &ids_json)) != 0)
		return rc;
	if (ids_json && (n = ice_json__size(ids_json)) > 0) {
		if (!(ids = ice_arena__allocarray(arena, n, sizeof(int32_t))))
			return ICE_ERROR;
		ice_jr__push_key(r, "identifier-field-ids");
		for (size_t i = 0; i < n; i++) {
			ice_jr__push_index(r, i);
			rc = ice_jr__as_int32(r, ice_json__at(ids_json, i), &ids[i]);
			ice_jr__pop(r);
			if (rc) {
				ice_jr__pop(r);
				return rc;
			}
		}
		ice_jr__pop(r);
	}
	if ((rc = ice_type__parse_struct_object(&type, arena, r, obj)) != 0)
		return rc;
	return ice_schema__init(out, arena, schema_id, type, ids, n, r);
}

int ice_schema__write(const ice_schema *s, ice_json_writer *w, bool with_id)
{
	ice_json_begin_object(w);
	ice_json_key(w, "type");
	ice_json_string(w, "struct");
	if (with_id) {
		ice_json_key(w, "schema-id");
		ice_json_int(w, s->schema_id);
	}
	if (s->n_identifier_field_ids) {
		ice_json_key(w, "identifier-field-ids");
		ice_json_begin_array(w);
		for (size_t i = 0; i < s->n_identifier_field_ids; i++)
			ice_json_int(w, s->identifier_field_ids[i]);
		ice_json_end_array(w);
	}
	ice_json_key(w, "fields");
	ice_type__write_fields(s->type, w);
	return ice_json_end_object(w);
}

int ice_schema__copy_into(ice_schema *out, ice_arena *arena, const ice_schema *src)
{
	const ice_type *type = ice_type__copy(arena, src->type);
	int32_t *ids = NULL;
	if (!type)
		return ICE_ERROR;
	if (src->n_identifier_field_ids &&
	    !(ids = ice_arena__memdup(arena, src->identifier_field_ids, src->n_identifier_field_ids * sizeof(int32_t))))
		return ICE_ERROR;
	return ice_schema__init(out, arena, src->schema_id, type, ids, src->n_identifier_field_ids, NULL);
}

static bool has_defaults(const ice_type *t)
{
	switch (t->id) {
	case ICE_TYPE_STRUCT:
		for (size_t i = 0; i < t->u.struct_.nfields; i++) {
			const ice_field *f = &t->u.struct_.fields[i];
			if ((f->initial_default && !f->initial_default->is_null) || has_defaults(f->type))
				return true;
		}
		return false;
	case ICE_TYPE_LIST:
		return has_defaults(t->u.list.element.type);
	case ICE_TYPE_MAP:
		return has_defaults(t->u.map.key.type) || has_defaults(t->u.map.value.type);
	default:
		return false;
	}
}

int ice_schema__check_format_version(const ice_schema *s, int format_version)
{
	for (size_t i = 0; i < s->nentries; i++) {
		const ice_field *f = s->entries[i].field;
		int need = ice_type_min_format_version(f->type->id);
		if (need > format_version)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
			                      "field '%s' has type %s, which needs format version %d (table is v%d)",
			                      s->entries[i].full_name, ice_type_id_name(f->type->id), need,
			                      format_version);
	}
	if (format_version < 3 && has_defaults(s->type))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
		                      "schema %d has default values, which need format version 3 (table is v%d)",
		                      (int)s->schema_id, format_version);
	return 0;
}

/* ---- public API ---------------------------------------------------------- */

int ice_schema_from_json(ice_schema **out, const char *json, size_t len, const char *source)
{
	ice_arena *arena;
	ice_schema *s;
	ice_json *j;
	ice_jr r;
	int rc;
	*out = NULL;
	if ((rc = ice_json__parse(&j, json, len, source ? source : "<schema>")) != 0)
		return rc;
	if (!(arena = ice__malloc(sizeof(*arena)))) {
		ice_json__free(j);
		return ICE_ERROR;
	}
	ice_arena__init(arena, 4096);
	ice_jr__init(&r, source ? source : "<schema>", ICE_ERRCLASS_METADATA);
	s = ice_arena__alloc(arena, sizeof(*s));
	rc = s ? ice_schema__parse(s, arena, &r, j, false) : ICE_ERROR;
	ice_json__free(j);
	if (rc) {
		if (s)
			ice_schema__release(s);
		ice_arena__free(arena);
		ice__free(arena);
		return rc;
	}
	s->owned = arena;
	*out = s;
	return 0;
}

int ice_schema_copy(ice_schema **out, const ice_schema *src)
{
	ice_arena *arena = ice__malloc(sizeof(*arena));
	ice_schema *s;
	int rc;
	*out = NULL;
	if (!arena)
		return ICE_ERROR;
	ice_arena__init(arena, 4096);
	s = ice_arena__alloc(arena, sizeof(*s));
	rc = s ? ice_schema__copy_into(s, arena, src) : ICE_ERROR;
	if (rc) {
		if (s)
			ice_schema__release(s);
		ice_arena__free(arena);
		ice__free(arena);
		return rc;
	}
	s->owned = arena;
	*out = s;
	return 0;
}

void ice_schema_free(ice_schema *s)
{
	ice_arena *arena;
	if (!s || !s->owned)
		return;
	arena = s->owned;
	ice_schema__release(s);
	ice_arena__free(arena);
	ice__free(arena);
}

int ice_schema_write_json(const ice_schema *s, ice_json_writer *w)
{
	return ice_schema__write(s, w, true);
}

int ice_schema_to_json(char **out, size_t *len_out, const ice_schema *s, int flags)
{
	ice_json_writer w;
	const char *text;
	size_t len;
	int rc;
	*out = NULL;
	ice_jw__init(&w, flags);
	ice_schema__write(s, &w, true);
	rc = ice_json_writer_finish(&w, &text, &len);
	if (!rc) {
		*out = ice_buf__detach(&w.buf, len_out);
		if (!*out)
			rc = ICE_ERROR;
	}
	ice_jw__free(&w);
	return rc;
}

int32_t ice_schema_id(const ice_schema *s)
{
	return s->schema_id;
}

const ice_type *ice_schema_struct(const ice_schema *s)
{
	return s->type;
}

size_t ice_schema_field_count(const ice_schema *s)
{
	return s->type->u.struct_.nfields;
}

const ice_field *ice_schema_field_at(const ice_schema *s, size_t i)
{
	return i < s->type->u.struct_.nfields ? &s->type->u.struct_.fields[i] : NULL;
}

const int32_t *ice_schema_identifier_field_ids(const ice_schema *s, size_t *n_out)
{
	*n_out = s->n_identifier_field_ids;
	return s->identifier_field_ids;
}

int32_t ice_schema_highest_field_id(const ice_schema *s)
{
	return s->highest_field_id;
}

static const ice_schema_entry *entry(const ice_schema *s, int32_t id)
{
	int64_t k = find_id(s, id);
	return k >= 0 ? &s->entries[k] : NULL;
}

const ice_field *ice_schema_find_field(const ice_schema *s, int32_t id)
{
	const ice_schema_entry *e = entry(s, id);
	return e ? e->field : NULL;
}

const ice_field *ice_schema_find_field_by_name(const ice_schema *s, const char *name, bool case_sensitive)
{
	size_t len = strlen(name);
	int64_t k = find_name(s, name, len);
	if (k >= 0)
		return s->entries[k].field;
	if (case_sensitive)
		return NULL;
	/* Case-insensitive: full names first, then the aliases. */
	for (size_t i = 0; i < s->nentries; i++)
		if (ice_str__ieq(s->entries[i].full_name, s->entries[i].full_len, name, len))
			return s->entries[i].field;
	for (size_t i = 0; i < s->nentries; i++)
		if (s->entries[i].short_name && ice_str__ieq(s->entries[i].short_name, s->entries[i].short_len, name, len))
			return s->entries[i].field;
	return NULL;
}

const char *ice_schema_field_name(const ice_schema *s, int32_t id)
{
	const ice_schema_entry *e = entry(s, id);
	return e ? e->full_name : NULL;
}

int32_t ice_schema_parent_id(const ice_schema *s, int32_t id)
{
	const ice_schema_entry *e = entry(s, id);
	return e ? e->parent_id : -1;
}

bool ice_schema_field_in_collection(const ice_schema *s, int32_t id)
{
	const ice_schema_entry *e = entry(s, id);
	return e && e->in_collection;
}

bool ice_schema_same_structure(const ice_schema *a, const ice_schema *b)
{
	if (a->n_identifier_field_ids != b->n_identifier_field_ids)
		return false;
	for (size_t i = 0; i < a->n_identifier_field_ids; i++)
		if (a->identifier_field_ids[i] != b->identifier_field_ids[i])
			return false;
	return ice_type_equal(a->type, b->type);
}

/* ---- row lineage (v3) ------------------------------------------------------------------------ */

static const ice_type lineage_long = {.id = ICE_TYPE_LONG};
static const ice_field lineage[2] = {
    {ICE_ROW_ID_FIELD_ID, "_row_id", false, &lineage_long, "Implicit row ID that is automatically assigned", NULL,
     NULL},
    {ICE_LAST_UPDATED_SEQ_FIELD_ID, "_last_updated_sequence_number", false, &lineage_long,
     "Sequence number when the row was last updated", NULL, NULL},
};

const ice_field *ice_schema__lineage_field(int i)
{
	return &lineage[i ? 1 : 0];
}

const ice_type *ice_schema__with_lineage(ice_arena *arena, const ice_type *t, unsigned which)
{
	size_t n = t->u.struct_.nfields, k = n;
	ice_type *out = ice_arena__alloc(arena, sizeof(*out));
	ice_field *fields = ice_arena__allocarray(arena, n + 2, sizeof(ice_field));
	if (!out || !fields)
		return NULL;
	if (n)
		memcpy(fields, t->u.struct_.fields, n * sizeof(ice_field));
	for (int i = 0; i < 2; i++)
		if (which & (1u << i))
			fields[k++] = lineage[i];
	out->id = ICE_TYPE_STRUCT;
	out->u.struct_.nfields = k;
	out->u.struct_.fields = fields;
	return out;
}

int ice_schema__lineage_schema(ice_schema **out, ice_arena *arena, const ice_schema *schema)
{
	const ice_type *t = ice_schema__with_lineage(arena, schema->type, 3);
	ice_schema *s = t ? ice_arena__alloc(arena, sizeof(*s)) : NULL;
	int rc;
	*out = NULL;
	if (!s)
		return ICE_ERROR;
	if ((rc = ice_schema__init(s, arena, schema->schema_id, t, schema->identifier_field_ids,
	                           schema->n_identifier_field_ids, NULL)) != 0)
		return rc;
	*out = s;
	return 0;
}
