/*
 * spec/type.c - Iceberg data types: names, parsing and writing their JSON
 * form (spec Appendix C "Schemas"), equality, promotion rules (spec "Schema
 * Evolution") and readable text.
 */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strutil.h"

static const struct {
	ice_type_id id;
	const char *name;
} type_names[] = {
	{ICE_TYPE_BOOLEAN, "boolean"},
	{ICE_TYPE_INT, "int"},
	{ICE_TYPE_LONG, "long"},
	{ICE_TYPE_FLOAT, "float"},
	{ICE_TYPE_DOUBLE, "double"},
	{ICE_TYPE_DECIMAL, "decimal"},
	{ICE_TYPE_DATE, "date"},
	{ICE_TYPE_TIME, "time"},
	{ICE_TYPE_TIMESTAMP, "timestamp"},
	{ICE_TYPE_TIMESTAMPTZ, "timestamptz"},
	{ICE_TYPE_TIMESTAMP_NS, "timestamp_ns"},
	{ICE_TYPE_TIMESTAMPTZ_NS, "timestamptz_ns"},
	{ICE_TYPE_STRING, "string"},
	{ICE_TYPE_UUID, "uuid"},
	{ICE_TYPE_FIXED, "fixed"},
	{ICE_TYPE_BINARY, "binary"},
	{ICE_TYPE_UNKNOWN, "unknown"},
	{ICE_TYPE_VARIANT, "variant"},
	{ICE_TYPE_GEOMETRY, "geometry"},
	{ICE_TYPE_GEOGRAPHY, "geography"},
	{ICE_TYPE_STRUCT, "struct"},
	{ICE_TYPE_LIST, "list"},
	{ICE_TYPE_MAP, "map"},
};

/* Singletons for every type without parameters (indexed by id). */
static const ice_type singletons[] = {
	[ICE_TYPE_BOOLEAN] = {ICE_TYPE_BOOLEAN, {{0, 0}}},
	[ICE_TYPE_INT] = {ICE_TYPE_INT, {{0, 0}}},
	[ICE_TYPE_LONG] = {ICE_TYPE_LONG, {{0, 0}}},
	[ICE_TYPE_FLOAT] = {ICE_TYPE_FLOAT, {{0, 0}}},
	[ICE_TYPE_DOUBLE] = {ICE_TYPE_DOUBLE, {{0, 0}}},
	[ICE_TYPE_DATE] = {ICE_TYPE_DATE, {{0, 0}}},
	[ICE_TYPE_TIME] = {ICE_TYPE_TIME, {{0, 0}}},
	[ICE_TYPE_TIMESTAMP] = {ICE_TYPE_TIMESTAMP, {{0, 0}}},
	[ICE_TYPE_TIMESTAMPTZ] = {ICE_TYPE_TIMESTAMPTZ, {{0, 0}}},
	[ICE_TYPE_TIMESTAMP_NS] = {ICE_TYPE_TIMESTAMP_NS, {{0, 0}}},
	[ICE_TYPE_TIMESTAMPTZ_NS] = {ICE_TYPE_TIMESTAMPTZ_NS, {{0, 0}}},
	[ICE_TYPE_STRING] = {ICE_TYPE_STRING, {{0, 0}}},
	[ICE_TYPE_UUID] = {ICE_TYPE_UUID, {{0, 0}}},
	[ICE_TYPE_BINARY] = {ICE_TYPE_BINARY, {{0, 0}}},
	[ICE_TYPE_UNKNOWN] = {ICE_TYPE_UNKNOWN, {{0, 0}}},
	[ICE_TYPE_VARIANT] = {ICE_TYPE_VARIANT, {{0, 0}}},
};

const char *ice_type_id_name(ice_type_id id)
{
	/* type_names is in id order, starting at ICE_TYPE_BOOLEAN */
	size_t i = (size_t)id - ICE_TYPE_BOOLEAN;
	if (id >= ICE_TYPE_BOOLEAN && i < sizeof(type_names) / sizeof(type_names[0]) && type_names[i].id == id)
		return type_names[i].name;
	return "invalid";
}

const ice_type *ice_type_primitive(ice_type_id id)
{
	if ((size_t)id < sizeof(singletons) / sizeof(singletons[0]) && singletons[id].id == id)
		return &singletons[id];
	return NULL;
}

bool ice_type_is_nested(const ice_type *t)
{
	return t->id == ICE_TYPE_STRUCT || t->id == ICE_TYPE_LIST || t->id == ICE_TYPE_MAP;
}

bool ice_type_is_primitive(const ice_type *t)
{
	return !ice_type_is_nested(t) && t->id != ICE_TYPE_VARIANT && t->id != ICE_TYPE_INVALID;
}

int ice_type_min_format_version(ice_type_id id)
{
	switch (id) {
	case ICE_TYPE_TIMESTAMP_NS:
	case ICE_TYPE_TIMESTAMPTZ_NS:
	case ICE_TYPE_UNKNOWN:
	case ICE_TYPE_VARIANT:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY:
		return 3;
	default:
		return 1;
	}
}

/* ---- parsing ------------------------------------------------------------ */

static bool word_eq(const char *s, size_t len, const char *word)
{
	return ice_str__ieq(s, len, word, strlen(word));
}

/* Splits "name(args)" or "name[args]": returns the name length and the
 * argument span, or 0 args when there are no brackets. */
static bool split_params(const char *s, size_t len, size_t *name_len, const char **args, size_t *args_len,
                         char open)
{
	const char *p = memchr(s, open, len);
	char close = open == '(' ? ')' : ']';
	if (!p) {
		*name_len = len;
		*args = NULL;
		*args_len = 0;
		return true;
	}
	if (s[len - 1] != close)
		return false;
	*name_len = (size_t)(p - s);
	*args = p + 1;
	*args_len = len - *name_len - 2;
	return true;
}

static bool parse_int_arg(const char *s, size_t len, int32_t *out)
{
	ice_str__trim(&s, &len);
	return ice_str__to_int32(s, len, out);
}

int ice_type__parse_primitive(const ice_type **out, ice_arena *arena, const char *s, size_t len)
{
	size_t name_len, args_len;
	const char *args;
	ice_type *t;
	const char *in = s;
	size_t in_len = len;

	ice_str__trim(&s, &len);
	/* The common case: an exact, lower-case name. */
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		const char *name = type_names[i].name;
		if (name[0] == s[0] && strlen(name) == len && memcmp(name, s, len) == 0 &&
		    ice_type_primitive(type_names[i].id)) {
			*out = ice_type_primitive(type_names[i].id);
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(singletons) / sizeof(singletons[0]); i++) {
		if (singletons[i].id != ICE_TYPE_INVALID && word_eq(s, len, ice_type_id_name(singletons[i].id))) {
			*out = &singletons[i];
			return 0;
		}
	}
	/* decimal(P, S) */
	if (len > 7 && ice_str__ieq(s, 7, "decimal", 7) && split_params(s, len, &name_len, &args, &args_len, '(') &&
	    args) {
		const char *comma = memchr(args, ',', args_len);
		int32_t p, sc;
		const char *name = s;
		size_t nl = name_len;
		ice_str__trim(&name, &nl);
		if (!word_eq(name, nl, "decimal") || !comma ||
		    !parse_int_arg(args, (size_t)(comma - args), &p) ||
		    !parse_int_arg(comma + 1, args_len - (size_t)(comma - args) - 1, &sc))
			goto bad;
		if (p < 1 || p > 38)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
			                      "decimal precision must be between 1 and 38, got %d", (int)p);
		if (!(t = ice_arena__alloc(arena, sizeof(*t))))
			return ICE_ERROR;
		t->id = ICE_TYPE_DECIMAL;
		t->u.decimal.precision = p;
		t->u.decimal.scale = sc;
		*out = t;
		return 0;
	}
	/* fixed[L] */
	if (len > 5 && ice_str__ieq(s, 5, "fixed", 5) && split_params(s, len, &name_len, &args, &args_len, '[') &&
	    args) {
		int32_t l;
		const char *name = s;
		size_t nl = name_len;
		ice_str__trim(&name, &nl);
		if (!word_eq(name, nl, "fixed") || !parse_int_arg(args, args_len, &l))
			goto bad;
		if (l < 1)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
			                      "fixed length must be positive, got %d", (int)l);
		if (!(t = ice_arena__alloc(arena, sizeof(*t))))
			return ICE_ERROR;
		t->id = ICE_TYPE_FIXED;
		t->u.fixed.length = l;
		*out = t;
		return 0;
	}
	/* geometry[(C)] and geography[(C[, A])] */
	if (split_params(s, len, &name_len, &args, &args_len, '(')) {
		const char *name = s;
		size_t nl = name_len;
		ice_str__trim(&name, &nl);
		bool geom = word_eq(name, nl, "geometry"), geog = word_eq(name, nl, "geography");
		if (geom || geog) {
			const char *crs = NULL, *alg = NULL;
			size_t crs_len = 0, alg_len = 0;
			if (args) {
				const char *comma = memchr(args, ',', args_len);
				crs = args;
				crs_len = comma ? (size_t)(comma - args) : args_len;
				ice_str__trim(&crs, &crs_len);
				if (comma) {
					if (geom)
						goto bad;
					alg = comma + 1;
					alg_len = args_len - (size_t)(comma - args) - 1;
					ice_str__trim(&alg, &alg_len);
					if (!(word_eq(alg, alg_len, "spherical") || word_eq(alg, alg_len, "vincenty") ||
					      word_eq(alg, alg_len, "thomas") || word_eq(alg, alg_len, "andoyer") ||
					      word_eq(alg, alg_len, "karney")))
						return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
						                      "unknown edge-interpolation algorithm '%.*s'",
						                      (int)alg_len, alg);
				}
				if (crs_len == 0)
					goto bad;
			}
			if (!(t = ice_arena__alloc(arena, sizeof(*t))))
				return ICE_ERROR;
			t->id = geom ? ICE_TYPE_GEOMETRY : ICE_TYPE_GEOGRAPHY;
			if (crs && !(t->u.geography.crs = ice_arena__strndup(arena, crs, crs_len)))
				return ICE_ERROR;
			if (alg) {
				char lower[16];
				size_t i;
				for (i = 0; i < alg_len && i < sizeof(lower) - 1; i++)
					lower[i] = (char)(alg[i] >= 'A' && alg[i] <= 'Z' ? alg[i] - 'A' + 'a' : alg[i]);
				lower[i] = '\0';
				if (!(t->u.geography.algorithm = ice_arena__strdup(arena, lower)))
					return ICE_ERROR;
			}
			*out = t;
			return 0;
		}
	}
bad:
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA, "unknown type '%.*s'", (int)in_len, in);
}

static int parse_field(ice_field *f, ice_arena *arena, ice_jr *r, const ice_json *obj, bool defaults);

static int parse_struct(ice_type *t, ice_arena *arena, ice_jr *r, const ice_json *obj)
{
	ice_json *fields;
	int rc;
	if ((rc = ice_jr__req_array(r, obj, "fields", &fields)) != 0)
		return rc;
	size_t n = ice_json__size(fields);
	ice_field *out = n ? ice_arena__allocarray(arena, n, sizeof(ice_field)) : NULL;
	if (n && !out)
		return ICE_ERROR;
	ice_jr__push_key(r, "fields");
	for (size_t i = 0; i < n; i++) {
		ice_jr__push_index(r, i);
		rc = parse_field(&out[i], arena, r, ice_json__at(fields, i), true);
		ice_jr__pop(r);
		if (rc) {
			ice_jr__pop(r);
			return rc;
		}
	}
	ice_jr__pop(r);
	t->id = ICE_TYPE_STRUCT;
	t->u.struct_.nfields = n;
	t->u.struct_.fields = out;
	return 0;
}

static int parse_child_type(const ice_type **out, ice_arena *arena, ice_jr *r, const ice_json *obj,
                            const char *key)
{
	ice_json *j = ice_json__get(obj, key);
	int rc;
	if (!j || ice_json__type(j) == ICE_JSON_NULL)
		return ice_jr__error(r, ICE_EINVALID, "missing required field '%s'", key);
	ice_jr__push_key(r, key);
	rc = ice_type__parse(out, arena, r, j);
	ice_jr__pop(r);
	return rc;
}

int ice_type__parse_struct_object(const ice_type **out, ice_arena *arena, ice_jr *r, const ice_json *obj)
{
	ice_type *t = ice_arena__alloc(arena, sizeof(*t));
	int rc;
	if (!t)
		return ICE_ERROR;
	if ((rc = parse_struct(t, arena, r, obj)) != 0)
		return rc;
	*out = t;
	return 0;
}

int ice_type__parse(const ice_type **out, ice_arena *arena, ice_jr *r, const ice_json *j)
{
	const char *s;
	size_t len;
	ice_type *t;
	int rc;

	if (ice_json__type(j) == ICE_JSON_STRING) {
		s = ice_json__str(j, &len);
		if ((rc = ice_type__parse_primitive(out, arena, s, len)) != 0) {
			if (rc == ICE_ERROR && ice_error__is_oom())
				return rc;
			char msg[512];
			snprintf(msg, sizeof(msg), "%s", ice_error_last()->message);
			return ice_jr__error(r, rc, "%s", msg);
		}
		return 0;
	}
	if (ice_json__type(j) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a type name or object, found %s", ice_json__type_name(j));
	if ((rc = ice_jr__req_string(r, j, "type", &s, &len)) != 0)
		return rc;
	if (!(t = ice_arena__alloc(arena, sizeof(*t))))
		return ICE_ERROR;
	if (word_eq(s, len, "struct")) {
		rc = parse_struct(t, arena, r, j);
	} else if (word_eq(s, len, "list")) {
		ice_field *e = &t->u.list.element;
		t->id = ICE_TYPE_LIST;
		if ((rc = ice_jr__req_int32(r, j, "element-id", &e->id)) ||
		    (rc = ice_jr__req_bool(r, j, "element-required", &e->required)) ||
		    (rc = parse_child_type(&e->type, arena, r, j, "element")))
			return rc;
		e->name = "element";
	} else if (word_eq(s, len, "map")) {
		ice_field *k = &t->u.map.key, *v = &t->u.map.value;
		t->id = ICE_TYPE_MAP;
		if ((rc = ice_jr__req_int32(r, j, "key-id", &k->id)) ||
		    (rc = parse_child_type(&k->type, arena, r, j, "key")) ||
		    (rc = ice_jr__req_int32(r, j, "value-id", &v->id)) ||
		    (rc = ice_jr__req_bool(r, j, "value-required", &v->required)) ||
		    (rc = parse_child_type(&v->type, arena, r, j, "value")))
			return rc;
		k->name = "key";
		k->required = true;
		v->name = "value";
	} else {
		/* A primitive written as {"type": "long"} is tolerated. */
		return ice_type__parse(out, arena, r, ice_json__get(j, "type"));
	}
	if (rc)
		return rc;
	*out = t;
	return 0;
}

/* A default must not be given for unknown/variant/geo types (spec "Default
 * values"); structs may only default to {} (checked when parsed). */
static int check_default(ice_jr *r, const char *key, const ice_field *f, const ice_literal *v)
{
	if (!v || v->is_null)
		return 0;
	switch (f->type->id) {
	case ICE_TYPE_UNKNOWN:
	case ICE_TYPE_VARIANT:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY:
		return ice_jr__error_at(r, key, ICE_EINVALID, "%s fields cannot have a non-null default",
		                        ice_type_id_name(f->type->id));
	case ICE_TYPE_STRUCT:
		if (v->v.nested.n != 0)
			return ice_jr__error_at(r, key, ICE_EINVALID,
			                        "a struct default must be empty ({}); field defaults belong to the fields");
		return 0;
	default:
		return 0;
	}
}

static int parse_default(const ice_literal **out, ice_field *f, ice_arena *arena, ice_jr *r, const ice_json *obj,
                         const char *key)
{
	ice_json *j = ice_json__get(obj, key);
	ice_literal *lit;
	int rc;
	*out = NULL;
	if (!j)
		return 0;
	if (!(lit = ice_arena__alloc(arena, sizeof(*lit))))
		return ICE_ERROR;
	ice_jr__push_key(r, key);
	rc = ice_literal__from_json(lit, f->type, j, arena, r);
	ice_jr__pop(r);
	if (rc)
		return rc;
	if ((rc = check_default(r, key, f, lit)) != 0)
		return rc;
	*out = lit;
	return 0;
}

static int parse_field(ice_field *f, ice_arena *arena, ice_jr *r, const ice_json *obj, bool defaults)
{
	const char *name, *doc = NULL;
	size_t name_len, doc_len = 0;
	int rc;
	if (ice_json__type(obj) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a field object, found %s", ice_json__type_name(obj));
	if ((rc = ice_jr__req_int32(r, obj, "id", &f->id)) || (rc = ice_jr__req_string(r, obj, "name", &name, &name_len)) ||
	    (rc = ice_jr__req_bool(r, obj, "required", &f->required)) ||
	    (rc = ice_jr__opt_string(r, obj, "doc", &doc, &doc_len)) ||
	    (rc = parse_child_type(&f->type, arena, r, obj, "type")))
		return rc;
	if (!(f->name = ice_arena__strndup(arena, name, name_len)))
		return ICE_ERROR;
	if (doc && !(f->doc = ice_arena__strndup(arena, doc, doc_len)))
		return ICE_ERROR;
	if (defaults) {
		if ((rc = parse_default(&f->initial_default, f, arena, r, obj, "initial-default")) ||
		    (rc = parse_default(&f->write_default, f, arena, r, obj, "write-default")))
			return rc;
	}
	return 0;
}

/* ---- writing -------------------------------------------------------------- */

int ice_type__primitive_name(const ice_type *t, ice_buf *out)
{
	switch (t->id) {
	case ICE_TYPE_DECIMAL:
		return ice_buf__printf(out, "decimal(%d, %d)", (int)t->u.decimal.precision, (int)t->u.decimal.scale);
	case ICE_TYPE_FIXED:
		return ice_buf__printf(out, "fixed[%d]", (int)t->u.fixed.length);
	case ICE_TYPE_GEOMETRY:
		if (t->u.geometry.crs)
			return ice_buf__printf(out, "geometry(%s)", t->u.geometry.crs);
		return ice_buf__puts(out, "geometry");
	case ICE_TYPE_GEOGRAPHY:
		if (t->u.geography.algorithm)
			return ice_buf__printf(out, "geography(%s, %s)",
			                       t->u.geography.crs ? t->u.geography.crs : "OGC:CRS84",
			                       t->u.geography.algorithm);
		if (t->u.geography.crs)
			return ice_buf__printf(out, "geography(%s)", t->u.geography.crs);
		return ice_buf__puts(out, "geography");
	default:
		return ice_buf__puts(out, ice_type_id_name(t->id));
	}
}

static int write_field(const ice_field *f, ice_json_writer *w)
{
	ice_json_begin_object(w);
	ice_json_key(w, "id");
	ice_json_int(w, f->id);
	ice_json_key(w, "name");
	ice_json_string(w, f->name);
	ice_json_key(w, "required");
	ice_json_bool(w, f->required);
	ice_json_key(w, "type");
	ice_type__write(f->type, w);
	if (f->doc) {
		ice_json_key(w, "doc");
		ice_json_string(w, f->doc);
	}
	if (f->initial_default) {
		ice_json_key(w, "initial-default");
		ice_literal_write_json(f->initial_default, w);
	}
	if (f->write_default) {
		ice_json_key(w, "write-default");
		ice_literal_write_json(f->write_default, w);
	}
	return ice_json_end_object(w);
}

int ice_type__write_fields(const ice_type *t, ice_json_writer *w)
{
	ice_json_begin_array(w);
	for (size_t i = 0; i < t->u.struct_.nfields; i++)
		write_field(&t->u.struct_.fields[i], w);
	return ice_json_end_array(w);
}

int ice_type__write(const ice_type *t, ice_json_writer *w)
{
	switch (t->id) {
	case ICE_TYPE_STRUCT:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "struct");
		ice_json_key(w, "fields");
		ice_type__write_fields(t, w);
		return ice_json_end_object(w);
	case ICE_TYPE_LIST:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "list");
		ice_json_key(w, "element-id");
		ice_json_int(w, t->u.list.element.id);
		ice_json_key(w, "element");
		ice_type__write(t->u.list.element.type, w);
		ice_json_key(w, "element-required");
		ice_json_bool(w, t->u.list.element.required);
		return ice_json_end_object(w);
	case ICE_TYPE_MAP:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "map");
		ice_json_key(w, "key-id");
		ice_json_int(w, t->u.map.key.id);
		ice_json_key(w, "key");
		ice_type__write(t->u.map.key.type, w);
		ice_json_key(w, "value-id");
		ice_json_int(w, t->u.map.value.id);
		ice_json_key(w, "value");
		ice_type__write(t->u.map.value.type, w);
		ice_json_key(w, "value-required");
		ice_json_bool(w, t->u.map.value.required);
		return ice_json_end_object(w);
	case ICE_TYPE_DECIMAL:
	case ICE_TYPE_FIXED: {
		char name[64];
		int n = t->id == ICE_TYPE_DECIMAL
		            ? snprintf(name, sizeof(name), "decimal(%d, %d)", (int)t->u.decimal.precision,
		                       (int)t->u.decimal.scale)
		            : snprintf(name, sizeof(name), "fixed[%d]", (int)t->u.fixed.length);
		return ice_json_string_n(w, name, (size_t)n);
	}
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY: {
		ice_buf b = ICE_BUF_INIT;
		int rc = ice_type__primitive_name(t, &b);
		if (!rc)
			rc = ice_json_string_n(w, ice_buf__cstr(&b), b.len);
		else
			ice_jw__fail(w, rc);
		ice_buf__free(&b);
		return rc;
	}
	default:
		return ice_json_string(w, ice_type_id_name(t->id));
	}
}

static int type_text(const ice_type *t, ice_buf *b)
{
	switch (t->id) {
	case ICE_TYPE_STRUCT:
		ice_buf__puts(b, "struct<");
		for (size_t i = 0; i < t->u.struct_.nfields; i++) {
			const ice_field *f = &t->u.struct_.fields[i];
			ice_buf__printf(b, "%s%s: ", i ? ", " : "", f->name);
			type_text(f->type, b);
			if (f->required)
				ice_buf__puts(b, " not null");
		}
		return ice_buf__putc(b, '>');
	case ICE_TYPE_LIST:
		ice_buf__puts(b, "list<");
		type_text(t->u.list.element.type, b);
		return ice_buf__putc(b, '>');
	case ICE_TYPE_MAP:
		ice_buf__puts(b, "map<");
		type_text(t->u.map.key.type, b);
		ice_buf__puts(b, ", ");
		type_text(t->u.map.value.type, b);
		return ice_buf__putc(b, '>');
	default:
		return ice_type__primitive_name(t, b);
	}
}

char *ice_type_to_string(const ice_type *t)
{
	ice_buf b = ICE_BUF_INIT;
	type_text(t, &b);
	return ice_buf__detach(&b, NULL);
}

/* ---- equality, promotion, copies ----------------------------------------- */

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool lit_eq(const ice_literal *a, const ice_literal *b)
{
	return (!a && !b) || (a && b && ice_literal_equal(a, b));
}

static bool field_equal(const ice_field *a, const ice_field *b)
{
	return a->id == b->id && a->required == b->required && str_eq(a->name, b->name) && str_eq(a->doc, b->doc) &&
	       ice_type_equal(a->type, b->type) && lit_eq(a->initial_default, b->initial_default) &&
	       lit_eq(a->write_default, b->write_default);
}

bool ice_type_equal(const ice_type *a, const ice_type *b)
{
	if (a == b)
		return true;
	if (a->id != b->id)
		return false;
	switch (a->id) {
	case ICE_TYPE_DECIMAL:
		return a->u.decimal.precision == b->u.decimal.precision && a->u.decimal.scale == b->u.decimal.scale;
	case ICE_TYPE_FIXED:
		return a->u.fixed.length == b->u.fixed.length;
	case ICE_TYPE_GEOMETRY:
		return str_eq(a->u.geometry.crs, b->u.geometry.crs);
	case ICE_TYPE_GEOGRAPHY:
		return str_eq(a->u.geography.crs, b->u.geography.crs) &&
		       str_eq(a->u.geography.algorithm, b->u.geography.algorithm);
	case ICE_TYPE_STRUCT:
		if (a->u.struct_.nfields != b->u.struct_.nfields)
			return false;
		for (size_t i = 0; i < a->u.struct_.nfields; i++)
			if (!field_equal(&a->u.struct_.fields[i], &b->u.struct_.fields[i]))
				return false;
		return true;
	case ICE_TYPE_LIST:
		return field_equal(&a->u.list.element, &b->u.list.element);
	case ICE_TYPE_MAP:
		return field_equal(&a->u.map.key, &b->u.map.key) && field_equal(&a->u.map.value, &b->u.map.value);
	default:
		return true;
	}
}

bool ice_type_can_promote(const ice_type *from, const ice_type *to, int format_version)
{
	if (ice_type_is_primitive(from) && ice_type_equal(from, to))
		return true;
	switch (from->id) {
	case ICE_TYPE_UNKNOWN:
		return format_version >= 3;
	case ICE_TYPE_INT:
		return to->id == ICE_TYPE_LONG;
	case ICE_TYPE_FLOAT:
		return to->id == ICE_TYPE_DOUBLE;
	case ICE_TYPE_DECIMAL:
		return to->id == ICE_TYPE_DECIMAL && to->u.decimal.scale == from->u.decimal.scale &&
		       to->u.decimal.precision >= from->u.decimal.precision;
	case ICE_TYPE_DATE:
		return format_version >= 3 && (to->id == ICE_TYPE_TIMESTAMP || to->id == ICE_TYPE_TIMESTAMP_NS);
	default:
		return false;
	}
}

const ice_field *ice_struct_field_by_id(const ice_type *t, int32_t id)
{
	if (t->id != ICE_TYPE_STRUCT)
		return NULL;
	for (size_t i = 0; i < t->u.struct_.nfields; i++)
		if (t->u.struct_.fields[i].id == id)
			return &t->u.struct_.fields[i];
	return NULL;
}

const ice_field *ice_struct_field_by_name(const ice_type *t, const char *name)
{
	if (t->id != ICE_TYPE_STRUCT)
		return NULL;
	for (size_t i = 0; i < t->u.struct_.nfields; i++)
		if (strcmp(t->u.struct_.fields[i].name, name) == 0)
			return &t->u.struct_.fields[i];
	return NULL;
}

static int copy_field(ice_field *out, ice_arena *arena, const ice_field *src)
{
	*out = *src;
	if (!(out->type = ice_type__copy(arena, src->type)))
		return ICE_ERROR;
	if (src->name && !(out->name = ice_arena__strdup(arena, src->name)))
		return ICE_ERROR;
	if (src->doc && !(out->doc = ice_arena__strdup(arena, src->doc)))
		return ICE_ERROR;
	if (src->initial_default && !(out->initial_default = ice_literal__dup(arena, src->initial_default)))
		return ICE_ERROR;
	if (src->write_default && !(out->write_default = ice_literal__dup(arena, src->write_default)))
		return ICE_ERROR;
	return 0;
}

const ice_type *ice_type__copy(ice_arena *arena, const ice_type *src)
{
	ice_type *t;
	const ice_type *single = ice_type_primitive(src->id);
	if (single)
		return single;
	if (!(t = ice_arena__alloc(arena, sizeof(*t))))
		return NULL;
	*t = *src;
	switch (src->id) {
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY:
		if (src->u.geography.crs && !(t->u.geography.crs = ice_arena__strdup(arena, src->u.geography.crs)))
			return NULL;
		if (src->id == ICE_TYPE_GEOGRAPHY && src->u.geography.algorithm &&
		    !(t->u.geography.algorithm = ice_arena__strdup(arena, src->u.geography.algorithm)))
			return NULL;
		break;
	case ICE_TYPE_STRUCT: {
		size_t n = src->u.struct_.nfields;
		ice_field *fields = n ? ice_arena__allocarray(arena, n, sizeof(ice_field)) : NULL;
		if (n && !fields)
			return NULL;
		for (size_t i = 0; i < n; i++)
			if (copy_field(&fields[i], arena, &src->u.struct_.fields[i]))
				return NULL;
		t->u.struct_.fields = fields;
		break;
	}
	case ICE_TYPE_LIST:
		if (copy_field(&t->u.list.element, arena, &src->u.list.element))
			return NULL;
		break;
	case ICE_TYPE_MAP:
		if (copy_field(&t->u.map.key, arena, &src->u.map.key) ||
		    copy_field(&t->u.map.value, arena, &src->u.map.value))
			return NULL;
		break;
	default:
		break;
	}
	return t;
}
