/*
 * manifest/avro_schema.c - Avro schemas as the writer of a file stated them
 * (Avro 1.11 specification, "Schema Declaration"), with the attributes
 * Iceberg adds (spec Appendix A, "Field IDs": field-id on record fields,
 * element-id on arrays, key-id and value-id on maps; "adjust-to-utc" on
 * timestamps).
 *
 * The parsed tree is what the manifest readers resolve against their own
 * view of manifest_entry and manifest_file. Every node knows the fewest
 * bytes its values take, which bounds array and map counts during decoding.
 */
#include <string.h>

#include "avro.h"
#include "util/error.h"
#include "util/hashmap.h"
#include "util/strutil.h"

#define MAX_DEPTH 32

typedef struct parser {
	ice_arena *arena;
	ice_jr jr;
	ice_map names; /* full name -> ice_avro_node* (records, enums, fixed) */
	ice_map open;  /* records whose fields are being parsed (recursion check) */
} parser;

static int parse_type(parser *p, const ice_json *j, const char *ns, int depth, const ice_avro_node **out);

static const struct {
	const char *name;
	ice_avro_kind kind;
	uint32_t min_size;
} primitives[] = {
	{"null", ICE_AVRO_NULL, 0},       {"boolean", ICE_AVRO_BOOLEAN, 1}, {"int", ICE_AVRO_INT, 1},
	{"long", ICE_AVRO_LONG, 1},       {"float", ICE_AVRO_FLOAT, 4},     {"double", ICE_AVRO_DOUBLE, 8},
	{"bytes", ICE_AVRO_BYTES, 1},     {"string", ICE_AVRO_STRING, 1},
};

static int primitive_index(const char *s)
{
	for (size_t i = 0; i < sizeof(primitives) / sizeof(primitives[0]); i++)
		if (strcmp(primitives[i].name, s) == 0)
			return (int)i;
	return -1;
}

static ice_avro_node *new_node(parser *p, ice_avro_kind kind)
{
	ice_avro_node *n = ice_arena__alloc(p->arena, sizeof(*n));
	if (n) {
		n->kind = kind;
		n->null_branch = -1;
	}
	return n;
}

/* Full name of a named type: names with a dot are already full. */
static const char *full_name(parser *p, const char *name, const char *ns)
{
	size_t nl, sl;
	char *s;
	if (strchr(name, '.') || !ns || !*ns)
		return ice_arena__strdup(p->arena, name);
	nl = strlen(name);
	sl = strlen(ns);
	s = ice_arena__alloc_raw(p->arena, nl + sl + 2);
	if (!s)
		return NULL;
	memcpy(s, ns, sl);
	s[sl] = '.';
	memcpy(s + sl + 1, name, nl + 1);
	return s;
}

/* An integer attribute (some writers put ids in strings). */
static int int_attr(parser *p, const ice_json *obj, const char *key, bool *has, int32_t *out)
{
	const ice_json *v = ice_json__get(obj, key);
	*has = false;
	if (!v || ice_json__type(v) == ICE_JSON_NULL)
		return 0;
	if (ice_json__type(v) == ICE_JSON_STRING) {
		size_t len;
		const char *s = ice_json__str(v, &len);
		if (!ice_str__to_int32(s, len, out))
			return ice_jr__error_at(&p->jr, key, ICE_EINVALID, "expected an integer");
	} else if (ice_json__type(v) == ICE_JSON_INT) {
		int64_t x = ice_json__int(v);
		if (x < INT32_MIN || x > INT32_MAX)
			return ice_jr__error_at(&p->jr, key, ICE_EINVALID, "integer out of range");
		*out = (int32_t)x;
	} else {
		return ice_jr__error_at(&p->jr, key, ICE_EINVALID, "expected an integer, got %s",
		                        ice_json__type_name(v));
	}
	*has = true;
	return 0;
}

static int str_attr(parser *p, const ice_json *obj, const char *key, bool required, const char **out)
{
	const ice_json *v = ice_json__get(obj, key);
	size_t len;
	const char *s;
	*out = NULL;
	if (!v || ice_json__type(v) == ICE_JSON_NULL) {
		if (required)
			return ice_jr__error(&p->jr, ICE_EINVALID, "missing \"%s\"", key);
		return 0;
	}
	if (!(s = ice_json__str(v, &len)))
		return ice_jr__error_at(&p->jr, key, ICE_EINVALID, "expected a string");
	if (!(*out = ice_arena__strndup(p->arena, s, len)))
		return ICE_ERROR;
	return 0;
}

static uint32_t add_sizes(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

static int define_name(parser *p, ice_avro_node *n)
{
	if (ice_map__get_str(&p->names, n->name, strlen(n->name), NULL))
		return ice_jr__error(&p->jr, ICE_EINVALID, "type \"%s\" is defined twice", n->name);
	return ice_map__put_str(&p->names, n->name, strlen(n->name), n);
}

static int parse_record(parser *p, const ice_json *obj, const char *ns, int depth, ice_avro_node *n)
{
	const char *name, *own_ns;
	const ice_json *fields;
	ice_avro_field *fs;
	size_t nf;
	int rc;
	if ((rc = str_attr(p, obj, "name", true, &name)) || (rc = str_attr(p, obj, "namespace", false, &own_ns)))
		return rc;
	if (own_ns)
		ns = own_ns;
	if (!(n->name = full_name(p, name, ns)))
		return ICE_ERROR;
	if (strchr(n->name, '.'))
		ns = ice_arena__strndup(p->arena, n->name, (size_t)(strrchr(n->name, '.') - n->name));
	if ((rc = define_name(p, n)) || (rc = ice_map__put_str(&p->open, n->name, strlen(n->name), n)))
		return rc;
	fields = ice_json__get(obj, "fields");
	if (!fields || ice_json__type(fields) != ICE_JSON_ARRAY)
		return ice_jr__error(&p->jr, ICE_EINVALID, "record \"%s\" has no \"fields\" array", n->name);
	nf = ice_json__size(fields);
	if (nf && !(fs = ice_arena__allocarray(p->arena, nf, sizeof(*fs))))
		return ICE_ERROR;
	ice_jr__push_key(&p->jr, "fields");
	for (size_t i = 0; i < nf; i++) {
		const ice_json *f = ice_json__at(fields, i);
		const ice_json *t;
		ice_jr__push_index(&p->jr, i);
		if (ice_json__type(f) != ICE_JSON_OBJECT)
			return ice_jr__error(&p->jr, ICE_EINVALID, "expected a field object");
		if ((rc = str_attr(p, f, "name", true, &fs[i].name)) ||
		    (rc = int_attr(p, f, "field-id", &fs[i].has_field_id, &fs[i].field_id)))
			return rc;
		for (size_t k = 0; k < i; k++)
			if (strcmp(fs[k].name, fs[i].name) == 0)
				return ice_jr__error(&p->jr, ICE_EINVALID, "field \"%s\" appears twice", fs[i].name);
		if (!(t = ice_json__get(f, "type")))
			return ice_jr__error(&p->jr, ICE_EINVALID, "field \"%s\" has no type", fs[i].name);
		ice_jr__push_key(&p->jr, "type");
		if ((rc = parse_type(p, t, ns, depth + 1, &fs[i].type)))
			return rc;
		ice_jr__pop(&p->jr);
		n->min_size = add_sizes(n->min_size, fs[i].type->min_size);
		ice_jr__pop(&p->jr);
	}
	ice_jr__pop(&p->jr);
	n->fields = nf ? fs : NULL;
	n->n = nf;
	ice_map__remove_str(&p->open, n->name, strlen(n->name));
	return 0;
}

static int parse_named_simple(parser *p, const ice_json *obj, const char *ns, ice_avro_node *n)
{
	const char *name, *own_ns;
	int rc;
	if ((rc = str_attr(p, obj, "name", true, &name)) || (rc = str_attr(p, obj, "namespace", false, &own_ns)))
		return rc;
	if (!(n->name = full_name(p, name, own_ns ? own_ns : ns)))
		return ICE_ERROR;
	if (n->kind == ICE_AVRO_FIXED) {
		bool has;
		if ((rc = int_attr(p, obj, "size", &has, &n->size)))
			return rc;
		if (!has || n->size < 0)
			return ice_jr__error(&p->jr, ICE_EINVALID, "fixed \"%s\" needs a size >= 0", n->name);
		n->min_size = (uint32_t)n->size;
	} else {
		const ice_json *syms = ice_json__get(obj, "symbols");
		if (!syms || ice_json__type(syms) != ICE_JSON_ARRAY || ice_json__size(syms) == 0)
			return ice_jr__error(&p->jr, ICE_EINVALID, "enum \"%s\" needs symbols", n->name);
		n->n = ice_json__size(syms);
		n->min_size = 1;
	}
	return define_name(p, n);
}

static int parse_union(parser *p, const ice_json *arr, const char *ns, int depth, const ice_avro_node **out)
{
	size_t nb = ice_json__size(arr);
	ice_avro_node *n = new_node(p, ICE_AVRO_UNION);
	const ice_avro_node **bs;
	int rc;
	if (!n)
		return ICE_ERROR;
	if (nb == 0)
		return ice_jr__error(&p->jr, ICE_EINVALID, "empty union");
	if (!(bs = ice_arena__allocarray(p->arena, nb, sizeof(*bs))))
		return ICE_ERROR;
	n->min_size = 1;
	for (size_t i = 0; i < nb; i++) {
		ice_jr__push_index(&p->jr, i);
		if ((rc = parse_type(p, ice_json__at(arr, i), ns, depth + 1, &bs[i])))
			return rc;
		if (bs[i]->kind == ICE_AVRO_UNION)
			return ice_jr__error(&p->jr, ICE_EINVALID, "a union may not contain a union");
		if (bs[i]->kind == ICE_AVRO_NULL && n->null_branch < 0)
			n->null_branch = (int)i;
		ice_jr__pop(&p->jr);
	}
	/* The smallest branch decides the minimum size. */
	uint32_t min = UINT32_MAX;
	for (size_t i = 0; i < nb; i++)
		if (bs[i]->min_size < min)
			min = bs[i]->min_size;
	n->min_size = add_sizes(1, min);
	n->branches = bs;
	n->n = nb;
	*out = n;
	return 0;
}

static int parse_reference(parser *p, const char *name, const char *ns, const ice_avro_node **out)
{
	void *v = NULL;
	const char *full = full_name(p, name, ns);
	if (!full)
		return ICE_ERROR;
	if (!ice_map__get_str(&p->names, full, strlen(full), &v) &&
	    !ice_map__get_str(&p->names, name, strlen(name), &v))
		return ice_jr__error(&p->jr, ICE_EINVALID, "unknown type \"%s\"", name);
	if (ice_map__get_str(&p->open, ((ice_avro_node *)v)->name, strlen(((ice_avro_node *)v)->name), NULL))
		return ice_jr__error(&p->jr, ICE_EUNSUPPORTED, "recursive type \"%s\" is not supported", name);
	*out = v;
	return 0;
}

static int parse_object(parser *p, const ice_json *obj, const char *ns, int depth, const ice_avro_node **out)
{
	const ice_json *t = ice_json__get(obj, "type");
	const char *ts;
	ice_avro_node *n;
	int rc, prim;
	bool has;
	if (!t)
		return ice_jr__error(&p->jr, ICE_EINVALID, "schema object without \"type\"");
	if (ice_json__type(t) != ICE_JSON_STRING) {
		/* {"type": {...}} or {"type": [...]}: the inner schema is the type. */
		ice_jr__push_key(&p->jr, "type");
		rc = parse_type(p, t, ns, depth + 1, out);
		ice_jr__pop(&p->jr);
		return rc;
	}
	ts = ice_json__str(t, NULL);
	prim = primitive_index(ts);
	if (prim >= 0) {
		n = new_node(p, primitives[prim].kind);
		if (!n)
			return ICE_ERROR;
		n->min_size = primitives[prim].min_size;
	} else if (!strcmp(ts, "record") || !strcmp(ts, "error")) {
		if (!(n = new_node(p, ICE_AVRO_RECORD)))
			return ICE_ERROR;
		if ((rc = parse_record(p, obj, ns, depth, n)))
			return rc;
	} else if (!strcmp(ts, "enum") || !strcmp(ts, "fixed")) {
		if (!(n = new_node(p, ts[0] == 'e' ? ICE_AVRO_ENUM : ICE_AVRO_FIXED)))
			return ICE_ERROR;
		if ((rc = parse_named_simple(p, obj, ns, n)))
			return rc;
	} else if (!strcmp(ts, "array") || !strcmp(ts, "map")) {
		const char *key = ts[0] == 'a' ? "items" : "values";
		const ice_json *it = ice_json__get(obj, key);
		if (!(n = new_node(p, ts[0] == 'a' ? ICE_AVRO_ARRAY : ICE_AVRO_MAP)))
			return ICE_ERROR;
		if (!it)
			return ice_jr__error(&p->jr, ICE_EINVALID, "%s without \"%s\"", ts, key);
		ice_jr__push_key(&p->jr, key);
		if ((rc = parse_type(p, it, ns, depth + 1, &n->items)))
			return rc;
		ice_jr__pop(&p->jr);
		n->min_size = 1;
		if ((rc = int_attr(p, obj, "element-id", &n->has_element_id, &n->element_id)) ||
		    (rc = int_attr(p, obj, "key-id", &n->has_key_id, &n->key_id)) ||
		    (rc = int_attr(p, obj, "value-id", &n->has_value_id, &n->value_id)))
			return rc;
	} else {
		return parse_reference(p, ts, ns, out);
	}
	if ((rc = str_attr(p, obj, "logicalType", false, &n->logical_type)) ||
	    (rc = int_attr(p, obj, "precision", &has, &n->precision)) ||
	    (rc = int_attr(p, obj, "scale", &has, &n->scale)))
		return rc;
	const ice_json *utc = ice_json__get(obj, "adjust-to-utc");
	n->adjust_to_utc = utc && ice_json__type(utc) == ICE_JSON_TRUE;
	*out = n;
	return 0;
}

static int parse_type(parser *p, const ice_json *j, const char *ns, int depth, const ice_avro_node **out)
{
	if (depth > MAX_DEPTH)
		return ice_jr__error(&p->jr, ICE_EUNSUPPORTED, "schema nested deeper than %d levels", MAX_DEPTH);
	switch (ice_json__type(j)) {
	case ICE_JSON_STRING: {
		const char *s = ice_json__str(j, NULL);
		int prim = primitive_index(s);
		if (prim >= 0) {
			ice_avro_node *n = new_node(p, primitives[prim].kind);
			if (!n)
				return ICE_ERROR;
			n->min_size = primitives[prim].min_size;
			*out = n;
			return 0;
		}
		return parse_reference(p, s, ns, out);
	}
	case ICE_JSON_ARRAY: return parse_union(p, j, ns, depth, out);
	case ICE_JSON_OBJECT: return parse_object(p, j, ns, depth, out);
	default: return ice_jr__error(&p->jr, ICE_EINVALID, "expected a schema, got %s", ice_json__type_name(j));
	}
}

int ice_avro__schema_parse(const ice_avro_node **out, ice_arena *arena, const char *json, size_t len,
                           const char *file)
{
	parser p;
	ice_json *doc = NULL;
	char *where;
	int rc;
	size_t fl = strlen(file);
	*out = NULL;
	if (!(where = ice_arena__alloc_raw(arena, fl + sizeof(": avro.schema"))))
		return ICE_ERROR;
	memcpy(where, file, fl);
	memcpy(where + fl, ": avro.schema", sizeof(": avro.schema"));
	if ((rc = ice_json__parse(&doc, json, len, where)) != 0)
		return rc;
	memset(&p, 0, sizeof(p));
	p.arena = arena;
	ice_jr__init(&p.jr, where, ICE_ERRCLASS_AVRO);
	ice_map__init(&p.names, true);
	ice_map__init(&p.open, true);
	rc = parse_type(&p, doc, NULL, 0, out);
	ice_map__free(&p.names);
	ice_map__free(&p.open);
	ice_json__free(doc);
	if (rc)
		*out = NULL;
	return rc;
}

const ice_avro_node *ice_avro__non_null(const ice_avro_node *node)
{
	const ice_avro_node *found = NULL;
	if (node->kind != ICE_AVRO_UNION)
		return node;
	for (size_t i = 0; i < node->n; i++) {
		if (node->branches[i]->kind == ICE_AVRO_NULL)
			continue;
		if (found)
			return NULL;
		found = node->branches[i];
	}
	return found;
}

int ice_avro__field_index(const ice_avro_node *record, const char *name)
{
	if (record->kind != ICE_AVRO_RECORD)
		return -1;
	for (size_t i = 0; i < record->n; i++)
		if (strcmp(record->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}
