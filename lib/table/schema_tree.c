/*
 * table/schema_tree.c - the schema tree column changes edit
 * (schema_tree.h): made from the schema's JSON (so every attribute the
 * spec layer writes survives: docs, defaults, parameterized types), found
 * by dotted names the way ice_schema_find_field_by_name resolves them, and
 * written back as JSON that ice_schema_from_json validates.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "schema_tree.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"

int ice_schema_tree__vfail(const schema_tree *t, int code, const char *fmt, va_list ap)
{
	char msg[768];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	return ice_error__set(code, ICE_ERRCLASS_COMMIT, "alter: %s: %s", t->what, msg);
}

static int fail(schema_tree *t, int code, const char *fmt, ...) ICE_PRINTF(3, 4);

static int fail(schema_tree *t, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = ice_schema_tree__vfail(t, code, fmt, ap);
	va_end(ap);
	return rc;
}

int ice_schema_tree__add_child(schema_tree *t, schema_node *parent, schema_node *child, size_t at)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;
		schema_node **c = ice_arena__allocarray(&t->arena, cap, sizeof(schema_node *));
		if (!c)
			return ICE_ERROR;
		if (parent->n)
			memcpy(c, parent->children, parent->n * sizeof(schema_node *));
		parent->children = c;
		parent->cap = cap;
	}
	memmove(&parent->children[at + 1], &parent->children[at], (parent->n - at) * sizeof(schema_node *));
	parent->children[at] = child;
	parent->n++;
	return 0;
}

static const char *json_text(schema_tree *t, const ice_json *j)
{
	ice_json_writer w;
	const char *text;
	size_t len;
	char *out = NULL;
	ice_jw__init(&w, ICE_JSON_COMPACT);
	ice_json__write(j, &w);
	if (ice_json_writer_finish(&w, &text, &len) == 0)
		out = ice_arena__strndup(&t->arena, text, len);
	ice_jw__free(&w);
	return out;
}

static int type_from_json(schema_tree *t, schema_node *n, const ice_json *type, int32_t offset, int depth);

static schema_node *new_node(schema_tree *t, int32_t id, const char *name, bool required)
{
	schema_node *n = ice_arena__alloc(&t->arena, sizeof(schema_node));
	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->id = id;
	n->required = required;
	if (!(n->name = ice_arena__strdup(&t->arena, name)))
		return NULL;
	return n;
}

/* A struct field object {"id", "name", "required", "type", "doc", defaults}. */
static int field_from_json(schema_tree *t, schema_node **out, const ice_json *f, int32_t offset, int depth)
{
	const ice_json *id = ice_json__get(f, "id"), *name = ice_json__get(f, "name"),
	               *req = ice_json__get(f, "required"), *type = ice_json__get(f, "type"),
	               *doc = ice_json__get(f, "doc"), *idef = ice_json__get(f, "initial-default"),
	               *wdef = ice_json__get(f, "write-default");
	schema_node *n;
	if (!id || !name || !req || !type)
		return ice_error__set(ICE_ERROR, ICE_ERRCLASS_COMMIT, "alter: schema JSON lacks a field member");
	if (!(n = new_node(t, (int32_t)ice_json__int(id) + offset, ice_json__str(name, NULL),
	                   ice_json__type(req) == ICE_JSON_TRUE)))
		return ICE_ERROR;
	if (doc && !(n->doc = ice_arena__strdup(&t->arena, ice_json__str(doc, NULL))))
		return ICE_ERROR;
	if (idef && !(n->initial_default = json_text(t, idef)))
		return ICE_ERROR;
	if (wdef && !(n->write_default = json_text(t, wdef)))
		return ICE_ERROR;
	*out = n;
	return type_from_json(t, n, type, offset, depth + 1);
}

static int type_from_json(schema_tree *t, schema_node *n, const ice_json *type, int32_t offset, int depth)
{
	if (depth > 200)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "alter: schema nested too deeply");
	if (ice_json__type(type) == ICE_JSON_STRING) {
		n->kind = K_PRIM;
		return (n->prim = ice_arena__strdup(&t->arena, ice_json__str(type, NULL))) ? 0 : ICE_ERROR;
	}
	const char *kind = ice_json__str(ice_json__get(type, "type"), NULL);
	int rc;
	if (kind && !strcmp(kind, "struct")) {
		const ice_json *fields = ice_json__get(type, "fields");
		n->kind = K_STRUCT;
		for (size_t i = 0; fields && i < ice_json__size(fields); i++) {
			schema_node *c;
			if ((rc = field_from_json(t, &c, ice_json__at(fields, i), offset, depth)) != 0 ||
			    (rc = ice_schema_tree__add_child(t, n, c, n->n)) != 0)
				return rc;
		}
		return 0;
	}
	if (kind && !strcmp(kind, "list")) {
		schema_node *e = new_node(t, (int32_t)ice_json__int(ice_json__get(type, "element-id")) + offset, "element",
		                   ice_json__type(ice_json__get(type, "element-required")) == ICE_JSON_TRUE);
		n->kind = K_LIST;
		if (!e || ice_schema_tree__add_child(t, n, e, 0))
			return ICE_ERROR;
		return type_from_json(t, e, ice_json__get(type, "element"), offset, depth + 1);
	}
	if (kind && !strcmp(kind, "map")) {
		schema_node *k = new_node(t, (int32_t)ice_json__int(ice_json__get(type, "key-id")) + offset, "key", true);
		schema_node *v = new_node(t, (int32_t)ice_json__int(ice_json__get(type, "value-id")) + offset, "value",
		                   ice_json__type(ice_json__get(type, "value-required")) == ICE_JSON_TRUE);
		n->kind = K_MAP;
		if (!k || !v || ice_schema_tree__add_child(t, n, k, 0) || ice_schema_tree__add_child(t, n, v, 1))
			return ICE_ERROR;
		if ((rc = type_from_json(t, k, ice_json__get(type, "key"), offset, depth + 1)) != 0)
			return rc;
		return type_from_json(t, v, ice_json__get(type, "value"), offset, depth + 1);
	}
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "alter: unexpected type in schema JSON");
}

static void write_type(ice_json_writer *w, const schema_node *n);

static void write_field(ice_json_writer *w, const schema_node *f)
{
	ice_json_begin_object(w);
	ice_json_key(w, "id");
	ice_json_int(w, f->id);
	ice_json_key(w, "name");
	ice_json_string(w, f->name);
	ice_json_key(w, "required");
	ice_json_bool(w, f->required);
	ice_json_key(w, "type");
	write_type(w, f);
	if (f->doc) {
		ice_json_key(w, "doc");
		ice_json_string(w, f->doc);
	}
	if (f->initial_default) {
		ice_json_key(w, "initial-default");
		ice_json_raw(w, f->initial_default, strlen(f->initial_default));
	}
	if (f->write_default) {
		ice_json_key(w, "write-default");
		ice_json_raw(w, f->write_default, strlen(f->write_default));
	}
	ice_json_end_object(w);
}

static void write_type(ice_json_writer *w, const schema_node *n)
{
	switch (n->kind) {
	case K_PRIM:
		ice_json_string(w, n->prim);
		break;
	case K_STRUCT:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "struct");
		ice_json_key(w, "fields");
		ice_json_begin_array(w);
		for (size_t i = 0; i < n->n; i++)
			write_field(w, n->children[i]);
		ice_json_end_array(w);
		ice_json_end_object(w);
		break;
	case K_LIST:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "list");
		ice_json_key(w, "element-id");
		ice_json_int(w, n->children[0]->id);
		ice_json_key(w, "element");
		write_type(w, n->children[0]);
		ice_json_key(w, "element-required");
		ice_json_bool(w, n->children[0]->required);
		ice_json_end_object(w);
		break;
	case K_MAP:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "map");
		ice_json_key(w, "key-id");
		ice_json_int(w, n->children[0]->id);
		ice_json_key(w, "key");
		write_type(w, n->children[0]);
		ice_json_key(w, "value-id");
		ice_json_int(w, n->children[1]->id);
		ice_json_key(w, "value");
		write_type(w, n->children[1]);
		ice_json_key(w, "value-required");
		ice_json_bool(w, n->children[1]->required);
		ice_json_end_object(w);
		break;
	}
}

int ice_schema_tree__to_schema(ice_schema **out, const schema_tree *t)
{
	ice_json_writer w;
	const char *json;
	size_t len;
	int rc;
	ice_jw__init(&w, ICE_JSON_COMPACT);
	ice_json_begin_object(&w);
	ice_json_key(&w, "type");
	ice_json_string(&w, "struct");
	ice_json_key(&w, "schema-id");
	ice_json_int(&w, 0);
	if (t->nidentifier) {
		ice_json_key(&w, "identifier-field-ids");
		ice_json_begin_array(&w);
		for (size_t i = 0; i < t->nidentifier; i++)
			ice_json_int(&w, t->identifier[i]);
		ice_json_end_array(&w);
	}
	ice_json_key(&w, "fields");
	ice_json_begin_array(&w);
	for (size_t i = 0; i < t->root.n; i++)
		write_field(&w, t->root.children[i]);
	ice_json_end_array(&w);
	ice_json_end_object(&w);
	if ((rc = ice_json_writer_finish(&w, &json, &len)) == 0 && (rc = ice_schema_from_json(out, json, len, "alter")) != 0)
		ice_error__prefix("alter: the new schema is not valid");
	ice_jw__free(&w);
	return rc;
}

/* A schema's fields as children of `parent`, ids shifted by `offset`. */
int ice_schema_tree__load(schema_tree *t, schema_node *parent, const ice_schema *schema, int32_t offset)
{
	char *text = NULL;
	size_t len;
	ice_json *doc = NULL;
	int rc;
	if ((rc = ice_schema_to_json(&text, &len, schema, ICE_JSON_COMPACT)) == 0 &&
	    (rc = ice_json__parse(&doc, text, len, "schema")) == 0) {
		const ice_json *fields = ice_json__get(doc, "fields");
		for (size_t i = 0; fields && i < ice_json__size(fields) && !rc; i++) {
			schema_node *c;
			if ((rc = field_from_json(t, &c, ice_json__at(fields, i), offset, 0)) == 0)
				rc = ice_schema_tree__add_child(t, parent, c, parent->n);
		}
	}
	ice_json__free(doc);
	ice_free(text);
	return rc;
}

/* ---- finding columns ------------------------------------------------------------------ */

/* The next segment of a dotted name (`quoted` segments may hold dots). */
static bool next_segment(const char **p, char *out, size_t cap)
{
	const char *s = *p;
	size_t n = 0;
	if (!*s)
		return false;
	if (*s == '`') {
		s++;
		while (*s && *s != '`' && n + 1 < cap)
			out[n++] = *s++;
		if (*s == '`')
			s++;
	} else {
		while (*s && *s != '.' && n + 1 < cap)
			out[n++] = *s++;
	}
	out[n] = '\0';
	if (*s == '.')
		s++;
	*p = s;
	return true;
}

int ice_schema_tree__find(schema_tree *t, const char *path, schema_found *out)
{
	schema_node *cur = &t->root, *parent = NULL;
	size_t index = 0;
	const char *p = path;
	char seg[512];
	if (!path || !*path)
		return fail(t, ICE_EINVALID, "no column named");
	while (next_segment(&p, seg, sizeof(seg))) {
		for (;;) {
			size_t i;
			if (cur->kind == K_STRUCT) {
				for (i = 0; i < cur->n && strcmp(cur->children[i]->name, seg) != 0; i++)
					;
				if (i == cur->n)
					return fail(t, ICE_ENOTFOUND, "no column '%s'", path);
			} else if (cur->kind == K_LIST) {
				i = 0;
				if (strcmp(seg, "element") != 0) {
					/* "points.x": through the element struct */
					if (cur->children[0]->kind == K_PRIM)
						return fail(t, ICE_ENOTFOUND, "no column '%s'", path);
					parent = cur;
					cur = cur->children[0];
					continue;
				}
			} else if (cur->kind == K_MAP) {
				if (!strcmp(seg, "key")) {
					i = 0;
				} else if (!strcmp(seg, "value")) {
					i = 1;
				} else {
					if (cur->children[1]->kind == K_PRIM)
						return fail(t, ICE_ENOTFOUND, "no column '%s'", path);
					parent = cur;
					cur = cur->children[1];
					continue;
				}
			} else {
				return fail(t, ICE_ENOTFOUND, "no column '%s'", path);
			}
			parent = cur;
			index = i;
			cur = cur->children[i];
			break;
		}
	}
	out->n = cur;
	out->parent = parent;
	out->index = index;
	return 0;
}

/* The struct a parent path names: the root, a struct, or the element or
 * value struct of a list or map. */
int ice_schema_tree__find_struct(schema_tree *t, const char *path, schema_node **out)
{
	schema_found f;
	int rc;
	if (!path) {
		*out = &t->root;
		return 0;
	}
	if ((rc = ice_schema_tree__find(t, path, &f)) != 0)
		return rc;
	schema_node *n = f.n;
	if (n->kind == K_LIST)
		n = n->children[0];
	else if (n->kind == K_MAP)
		n = n->children[1];
	if (n->kind != K_STRUCT)
		return fail(t, ICE_EINVALID, "'%s' is not a struct", path);
	*out = n;
	return 0;
}

size_t ice_schema_tree__child_index(const schema_node *parent, const char *name)
{
	for (size_t i = 0; i < parent->n; i++)
		if (!strcmp(parent->children[i]->name, name))
			return i;
	return (size_t)-1;
}

int ice_schema_tree__prim_type(const char *prim, ice_schema **holder, const ice_type **out)
{
	ice_json_writer w;
	const char *json;
	size_t len;
	int rc;
	ice_jw__init(&w, ICE_JSON_COMPACT);
	ice_json_begin_object(&w);
	ice_json_key(&w, "type");
	ice_json_string(&w, "struct");
	ice_json_key(&w, "fields");
	ice_json_begin_array(&w);
	ice_json_begin_object(&w);
	ice_json_key(&w, "id");
	ice_json_int(&w, 1);
	ice_json_key(&w, "name");
	ice_json_string(&w, "x");
	ice_json_key(&w, "required");
	ice_json_bool(&w, false);
	ice_json_key(&w, "type");
	ice_json_string(&w, prim);
	ice_json_end_object(&w);
	ice_json_end_array(&w);
	ice_json_end_object(&w);
	if ((rc = ice_json_writer_finish(&w, &json, &len)) == 0 && (rc = ice_schema_from_json(holder, json, len, "type")) == 0)
		*out = ice_schema_field_at(*holder, 0)->type;
	ice_jw__free(&w);
	return rc;
}

/* The JSON type string of the first field of `one`, in the tree's arena. */
int ice_schema_tree__type_text(schema_tree *t, const ice_schema *one, const char **out)
{
	char *json = NULL;
	size_t len;
	ice_json *doc = NULL;
	int rc;
	if ((rc = ice_schema_to_json(&json, &len, one, ICE_JSON_COMPACT)) == 0 &&
	    (rc = ice_json__parse(&doc, json, len, "type")) == 0) {
		const ice_json *type = ice_json__get(ice_json__at(ice_json__get(doc, "fields"), 0), "type");
		if (!(*out = ice_arena__strdup(&t->arena, ice_json__str(type, NULL))))
			rc = ICE_ERROR;
	}
	ice_json__free(doc);
	ice_free(json);
	return rc;
}
