/*
 * table/update_schema.c - column changes of an alter (spec "Schema
 * Evolution"): the current schema becomes a tree of fields that add,
 * rename, drop, move, widen, make optional or required, document, default
 * and identifier changes edit in place, in the order they were recorded;
 * the tree is then written as a schema and validated by the spec layer.
 *
 * New columns take ids from the table's last-column-id, the column first
 * and then its nested fields, as the reference implementation assigns
 * fresh ids. Drops are refused for identifier fields and for sources of
 * any partition spec or sort order of the table (the reference
 * implementation rebinds every spec and order to the new schema and fails
 * on a missing source). Widening follows the spec's promotion table;
 * date to timestamp is refused when a partition transform other than
 * year, month or day uses the column, since its values would change.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alter.h"
#include "ice/table_dsl.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/json.h"

typedef enum node_kind { K_PRIM, K_STRUCT, K_LIST, K_MAP } node_kind;

typedef struct node node;
struct node {
	int32_t id;
	const char *name;
	bool required;
	const char *doc;
	const char *initial_default; /* JSON text, or NULL */
	const char *write_default;
	node_kind kind;
	const char *prim;            /* K_PRIM: the type's JSON string */
	node **children;             /* struct fields; list: element; map: key, value */
	size_t n, cap;
};

typedef struct tree {
	ice_arena arena;
	node root; /* K_STRUCT */
	int32_t *identifier;
	size_t nidentifier;
	int32_t last_id;
	const ice_table_metadata *base;
	int format_version;
	bool allow_incompatible;
	const char *what; /* the change being applied, for messages */
} tree;

static int fail(tree *t, int code, const char *fmt, ...) ICE_PRINTF(3, 4);

static int fail(tree *t, int code, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ice_error__set(code, ICE_ERRCLASS_COMMIT, "alter: %s: %s", t->what, msg);
}

/* ---- the tree from and to JSON ------------------------------------------------------- */

static int add_child(tree *t, node *parent, node *child, size_t at)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;
		node **c = ice_arena__allocarray(&t->arena, cap, sizeof(node *));
		if (!c)
			return ICE_ERROR;
		if (parent->n)
			memcpy(c, parent->children, parent->n * sizeof(node *));
		parent->children = c;
		parent->cap = cap;
	}
	memmove(&parent->children[at + 1], &parent->children[at], (parent->n - at) * sizeof(node *));
	parent->children[at] = child;
	parent->n++;
	return 0;
}

static const char *json_text(tree *t, const ice_json *j)
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

static int type_from_json(tree *t, node *n, const ice_json *type, int32_t offset, int depth);

static node *new_node(tree *t, int32_t id, const char *name, bool required)
{
	node *n = ice_arena__alloc(&t->arena, sizeof(node));
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
static int field_from_json(tree *t, node **out, const ice_json *f, int32_t offset, int depth)
{
	const ice_json *id = ice_json__get(f, "id"), *name = ice_json__get(f, "name"),
	               *req = ice_json__get(f, "required"), *type = ice_json__get(f, "type"),
	               *doc = ice_json__get(f, "doc"), *idef = ice_json__get(f, "initial-default"),
	               *wdef = ice_json__get(f, "write-default");
	node *n;
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

static int type_from_json(tree *t, node *n, const ice_json *type, int32_t offset, int depth)
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
			node *c;
			if ((rc = field_from_json(t, &c, ice_json__at(fields, i), offset, depth)) != 0 ||
			    (rc = add_child(t, n, c, n->n)) != 0)
				return rc;
		}
		return 0;
	}
	if (kind && !strcmp(kind, "list")) {
		node *e = new_node(t, (int32_t)ice_json__int(ice_json__get(type, "element-id")) + offset, "element",
		                   ice_json__type(ice_json__get(type, "element-required")) == ICE_JSON_TRUE);
		n->kind = K_LIST;
		if (!e || add_child(t, n, e, 0))
			return ICE_ERROR;
		return type_from_json(t, e, ice_json__get(type, "element"), offset, depth + 1);
	}
	if (kind && !strcmp(kind, "map")) {
		node *k = new_node(t, (int32_t)ice_json__int(ice_json__get(type, "key-id")) + offset, "key", true);
		node *v = new_node(t, (int32_t)ice_json__int(ice_json__get(type, "value-id")) + offset, "value",
		                   ice_json__type(ice_json__get(type, "value-required")) == ICE_JSON_TRUE);
		n->kind = K_MAP;
		if (!k || !v || add_child(t, n, k, 0) || add_child(t, n, v, 1))
			return ICE_ERROR;
		if ((rc = type_from_json(t, k, ice_json__get(type, "key"), offset, depth + 1)) != 0)
			return rc;
		return type_from_json(t, v, ice_json__get(type, "value"), offset, depth + 1);
	}
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "alter: unexpected type in schema JSON");
}

static void write_type(ice_json_writer *w, const node *n);

static void write_field(ice_json_writer *w, const node *f)
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

static void write_type(ice_json_writer *w, const node *n)
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

static int tree_to_schema(ice_schema **out, const tree *t)
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
static int load_schema(tree *t, node *parent, const ice_schema *schema, int32_t offset)
{
	char *text = NULL;
	size_t len;
	ice_json *doc = NULL;
	int rc;
	if ((rc = ice_schema_to_json(&text, &len, schema, ICE_JSON_COMPACT)) == 0 &&
	    (rc = ice_json__parse(&doc, text, len, "schema")) == 0) {
		const ice_json *fields = ice_json__get(doc, "fields");
		for (size_t i = 0; fields && i < ice_json__size(fields) && !rc; i++) {
			node *c;
			if ((rc = field_from_json(t, &c, ice_json__at(fields, i), offset, 0)) == 0)
				rc = add_child(t, parent, c, parent->n);
		}
	}
	ice_json__free(doc);
	ice_free(text);
	return rc;
}

/* ---- finding columns ------------------------------------------------------------------ */

typedef struct found {
	node *n;
	node *parent;
	size_t index;
} found;

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

static int find(tree *t, const char *path, found *out)
{
	node *cur = &t->root, *parent = NULL;
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

static bool is_struct_field(const found *f)
{
	return f->parent && f->parent->kind == K_STRUCT;
}

static const char *role(const found *f)
{
	if (f->parent->kind == K_LIST)
		return "a list element";
	return f->index == 0 ? "a map key" : "a map value";
}

/* The struct a parent path names: the root, a struct, or the element or
 * value struct of a list or map. */
static int find_struct(tree *t, const char *path, node **out)
{
	found f;
	int rc;
	if (!path) {
		*out = &t->root;
		return 0;
	}
	if ((rc = find(t, path, &f)) != 0)
		return rc;
	node *n = f.n;
	if (n->kind == K_LIST)
		n = n->children[0];
	else if (n->kind == K_MAP)
		n = n->children[1];
	if (n->kind != K_STRUCT)
		return fail(t, ICE_EINVALID, "'%s' is not a struct", path);
	*out = n;
	return 0;
}

static size_t child_index(const node *parent, const char *name)
{
	for (size_t i = 0; i < parent->n; i++)
		if (!strcmp(parent->children[i]->name, name))
			return i;
	return (size_t)-1;
}

/* ---- checks against the table ---------------------------------------------------------- */

static bool subtree_has(const node *n, int32_t id)
{
	if (n->id == id)
		return true;
	for (size_t i = 0; i < n->n; i++)
		if (subtree_has(n->children[i], id))
			return true;
	return false;
}

/* Why a column (and what is nested in it) cannot be dropped, or 0. */
static int check_droppable(tree *t, const node *n)
{
	const ice_table_metadata *md = t->base;
	for (size_t i = 0; i < t->nidentifier; i++)
		if (subtree_has(n, t->identifier[i]))
			return fail(t, ICE_EINVALID, "it is %s identifier field (change the identifier fields first)",
			            n->id == t->identifier[i] ? "an" : "or holds an");
	for (size_t s = 0; s < ice_table_metadata_spec_count(md); s++) {
		const ice_partition_spec *spec = ice_table_metadata_spec_at(md, s);
		for (size_t k = 0; k < spec->nfields; k++)
			for (size_t j = 0; j < spec->fields[k].n_source_ids; j++)
				if (subtree_has(n, spec->fields[k].source_ids[j]))
					return fail(t, ICE_EINVALID, "it is the source of partition field '%s' of spec %d",
					            spec->fields[k].name, (int)spec->spec_id);
	}
	for (size_t s = 0; s < ice_table_metadata_sort_order_count(md); s++) {
		const ice_sort_order *order = ice_table_metadata_sort_order_at(md, s);
		for (size_t k = 0; k < order->nfields; k++)
			for (size_t j = 0; j < order->fields[k].n_source_ids; j++)
				if (subtree_has(n, order->fields[k].source_ids[j]))
					return fail(t, ICE_EINVALID, "it is a sort key of sort order %d", (int)order->order_id);
	}
	return 0;
}

/* The type a primitive's JSON type string names (in a schema the caller frees). */
static int prim_type(tree *t, const char *prim, ice_schema **holder, const ice_type **out)
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
	(void)t;
	return rc;
}

/* ---- the changes ------------------------------------------------------------------------- */

static int place(tree *t, node *parent, node *n, size_t from, ice_column_position pos, const char *ref)
{
	size_t at;
	if (from != (size_t)-1) {
		memmove(&parent->children[from], &parent->children[from + 1], (parent->n - from - 1) * sizeof(node *));
		parent->n--;
	}
	switch (pos) {
	case ICE_COLUMN_FIRST:
		at = 0;
		break;
	case ICE_COLUMN_AFTER:
	case ICE_COLUMN_BEFORE:
		at = ref ? child_index(parent, ref) : (size_t)-1;
		if (at == (size_t)-1) {
			/* put it back where it was before failing */
			if (from != (size_t)-1)
				add_child(t, parent, n, from);
			if (ref && !strcmp(ref, n->name))
				return fail(t, ICE_EINVALID, "cannot place a column relative to itself");
			return fail(t, ICE_ENOTFOUND, "no column '%s' next to it to place it %s", ref ? ref : "",
			            pos == ICE_COLUMN_AFTER ? "after" : "before");
		}
		if (pos == ICE_COLUMN_AFTER)
			at++;
		break;
	default:
		at = parent->n;
		break;
	}
	return add_child(t, parent, n, at);
}

static int add_column(tree *t, const alter_change *c)
{
	ice_schema *parsed = NULL;
	node *parent = NULL, *n;
	int rc;
	if ((rc = find_struct(t, c->name, &parent)) != 0)
		return rc;
	if ((rc = ice_schema_parse_dsl(&parsed, c->value)) != 0)
		return ice_error__prefix("alter: %s", t->what);
	if (ice_schema_field_count(parsed) != 1) {
		ice_schema_free(parsed);
		return fail(t, ICE_EINVALID, "define one column");
	}
	node holder;
	memset(&holder, 0, sizeof(holder));
	holder.kind = K_STRUCT;
	rc = load_schema(t, &holder, parsed, t->last_id);
	t->last_id += ice_schema_highest_field_id(parsed);
	ice_schema_free(parsed);
	if (rc)
		return rc;
	n = holder.children[0];
	if (child_index(parent, n->name) != (size_t)-1)
		return fail(t, ICE_EINVALID, "a column '%s' exists already there", n->name);
	if (n->write_default) {
		if (t->format_version < 3)
			return fail(t, ICE_EINVALID, "defaults need format version 3 (the table is v%d)", t->format_version);
		/* The default of a new column is what existing rows read too. */
		n->initial_default = n->write_default;
	}
	if (n->required && !n->initial_default && !t->allow_incompatible)
		return fail(t, ICE_EINVALID,
		            "a required column needs a default for the rows already written (or allow incompatible changes)");
	return place(t, parent, n, (size_t)-1, c->position, c->ref);
}

static int rename_column(tree *t, const alter_change *c)
{
	found f;
	int rc;
	if ((rc = find(t, c->name, &f)) != 0)
		return rc;
	if (!is_struct_field(&f))
		return fail(t, ICE_EINVALID, "'%s' is %s, which cannot be renamed", c->name, role(&f));
	if (!c->value[0] || strchr(c->value, '.'))
		return fail(t, ICE_EINVALID, "'%s' is not a column name (give the new last name, without parents)", c->value);
	if (!strcmp(f.n->name, c->value))
		return 0;
	if (child_index(f.parent, c->value) != (size_t)-1)
		return fail(t, ICE_EINVALID, "a column '%s' exists already there", c->value);
	return (f.n->name = ice_arena__strdup(&t->arena, c->value)) ? 0 : ICE_ERROR;
}

static int drop_column(tree *t, const alter_change *c)
{
	found f;
	int rc;
	if ((rc = find(t, c->name, &f)) != 0)
		return rc;
	if (!is_struct_field(&f))
		return fail(t, ICE_EINVALID, "'%s' is %s, which cannot be dropped", c->name, role(&f));
	if (f.parent == &t->root && t->root.n == 1)
		return fail(t, ICE_EINVALID, "a table keeps at least one column");
	if ((rc = check_droppable(t, f.n)) != 0)
		return rc;
	memmove(&f.parent->children[f.index], &f.parent->children[f.index + 1],
	        (f.parent->n - f.index - 1) * sizeof(node *));
	f.parent->n--;
	return 0;
}

static int move_column(tree *t, const alter_change *c)
{
	found f;
	int rc;
	if ((rc = find(t, c->name, &f)) != 0)
		return rc;
	if (!is_struct_field(&f))
		return fail(t, ICE_EINVALID, "'%s' is %s, which cannot be moved", c->name, role(&f));
	if (c->ref) {
		/* The reference is a sibling's name, or a full name in the same struct. */
		found r;
		if (child_index(f.parent, c->ref) == (size_t)-1 && find(t, c->ref, &r) == 0) {
			if (r.parent != f.parent)
				return fail(t, ICE_EINVALID, "'%s' is not in the same struct as '%s'", c->ref, c->name);
			return place(t, f.parent, f.n, f.index, c->position, r.n->name);
		}
		ice_error_clear();
		return place(t, f.parent, f.n, f.index, c->position, c->ref);
	}
	return place(t, f.parent, f.n, f.index, c->position, NULL);
}

static int widen_column(tree *t, const alter_change *c)
{
	ice_schema *to_holder = NULL, *from_holder = NULL;
	const ice_type *from, *to;
	char text[600];
	found f;
	int rc;
	if ((rc = find(t, c->name, &f)) != 0)
		return rc;
	if (f.n->kind != K_PRIM)
		return fail(t, ICE_EINVALID, "'%s' is not a primitive column", c->name);
	snprintf(text, sizeof(text), "x %s", c->value);
	if ((rc = ice_schema_parse_dsl(&to_holder, text)) != 0)
		return ice_error__prefix("alter: %s", t->what);
	to = ice_schema_field_at(to_holder, 0)->type;
	if ((rc = prim_type(t, f.n->prim, &from_holder, &from)) != 0)
		goto done;
	if (!ice_type_is_primitive(to)) {
		rc = fail(t, ICE_EINVALID, "a primitive column cannot become a %s", ice_type_id_name(to->id));
		goto done;
	}
	if (ice_type_equal(from, to))
		goto done;
	if (!ice_type_can_promote(from, to, t->format_version)) {
		char *a = ice_type_to_string(from), *b = ice_type_to_string(to);
		rc = fail(t, ICE_EINVALID, "cannot change %s to %s (types only widen: int to long, float to double, "
		          "decimal precision%s)", a ? a : "?", b ? b : "?",
		          t->format_version >= 3 ? ", unknown to any type, date to timestamp" : "");
		ice_free(a);
		ice_free(b);
		goto done;
	}
	if (from->id == ICE_TYPE_DATE) {
		/* bucket, identity and truncate values of a date change when it
		 * becomes a timestamp; year, month and day do not. */
		const ice_table_metadata *md = t->base;
		for (size_t s = 0; s < ice_table_metadata_spec_count(md) && !rc; s++) {
			const ice_partition_spec *spec = ice_table_metadata_spec_at(md, s);
			for (size_t k = 0; k < spec->nfields; k++) {
				ice_transform_kind tk = spec->fields[k].transform.kind;
				if (spec->fields[k].source_id == f.n->id && tk != ICE_TRANSFORM_YEAR && tk != ICE_TRANSFORM_MONTH &&
				    tk != ICE_TRANSFORM_DAY && tk != ICE_TRANSFORM_VOID) {
					rc = fail(t, ICE_EINVALID, "partition field '%s' of spec %d would change its values",
					          spec->fields[k].name, (int)spec->spec_id);
					break;
				}
			}
		}
		if (rc)
			goto done;
	}
	{
		/* The new type's JSON string, as the spec layer writes it. */
		char *json = NULL;
		size_t len;
		ice_json *doc = NULL;
		if ((rc = ice_schema_to_json(&json, &len, to_holder, ICE_JSON_COMPACT)) == 0 &&
		    (rc = ice_json__parse(&doc, json, len, "type")) == 0) {
			const ice_json *type = ice_json__get(ice_json__at(ice_json__get(doc, "fields"), 0), "type");
			if (!(f.n->prim = ice_arena__strdup(&t->arena, ice_json__str(type, NULL))))
				rc = ICE_ERROR;
		}
		ice_json__free(doc);
		ice_free(json);
	}
done:
	ice_schema_free(to_holder);
	ice_schema_free(from_holder);
	return rc;
}

static int set_required(tree *t, const alter_change *c, bool required)
{
	found f;
	int rc;
	if ((rc = find(t, c->name, &f)) != 0)
		return rc;
	if (f.parent->kind == K_MAP && f.index == 0)
		return fail(t, ICE_EINVALID, "map keys are always required");
	if (required && !f.n->required && !t->allow_incompatible)
		return fail(t, ICE_EINVALID, "existing rows may hold nulls: making a column required is an incompatible change");
	f.n->required = required;
	return 0;
}

static int set_doc(tree *t, const alter_change *c)
{
	found f;
	int rc;
	if ((rc = find(t, c->name, &f)) != 0)
		return rc;
	if (!is_struct_field(&f))
		return fail(t, ICE_EINVALID, "'%s' is %s, which has no doc", c->name, role(&f));
	if (!c->value)
		f.n->doc = NULL;
	else if (!(f.n->doc = ice_arena__strdup(&t->arena, c->value)))
		return ICE_ERROR;
	return 0;
}

static int set_default(tree *t, const alter_change *c)
{
	ice_schema *holder = NULL;
	const ice_type *type;
	ice_arena arena;
	ice_literal lit;
	found f;
	int rc;
	if ((rc = find(t, c->name, &f)) != 0)
		return rc;
	if (t->format_version < 3)
		return fail(t, ICE_EINVALID, "defaults need format version 3 (the table is v%d)", t->format_version);
	if (!is_struct_field(&f))
		return fail(t, ICE_EINVALID, "'%s' is %s, which has no default", c->name, role(&f));
	if (!c->value) {
		f.n->write_default = NULL;
		return 0;
	}
	if (f.n->kind != K_PRIM)
		return fail(t, ICE_EINVALID, "only primitive columns take a default value here");
	if ((rc = prim_type(t, f.n->prim, &holder, &type)) != 0)
		return rc;
	ice_arena__init(&arena, 1024);
	if ((rc = ice_literal_from_string(&lit, type, c->value, strlen(c->value), &arena)) != 0) {
		ice_error__prefix("alter: %s", t->what);
	} else {
		ice_json_writer w;
		const char *text;
		size_t len;
		ice_jw__init(&w, ICE_JSON_COMPACT);
		ice_literal_write_json(&lit, &w);
		if ((rc = ice_json_writer_finish(&w, &text, &len)) == 0 &&
		    !(f.n->write_default = ice_arena__strndup(&t->arena, text, len)))
			rc = ICE_ERROR;
		ice_jw__free(&w);
	}
	ice_arena__free(&arena);
	ice_schema_free(holder);
	return rc;
}

static int set_identifier(tree *t, const alter_change *c)
{
	int32_t *ids = c->nnames ? ice_arena__allocarray(&t->arena, c->nnames, sizeof(int32_t)) : NULL;
	int rc;
	if (c->nnames && !ids)
		return ICE_ERROR;
	for (size_t i = 0; i < c->nnames; i++) {
		found f;
		if ((rc = find(t, c->names[i], &f)) != 0)
			return rc;
		ids[i] = f.n->id;
		for (size_t j = 0; j < i; j++)
			if (ids[j] == ids[i])
				return fail(t, ICE_EINVALID, "'%s' is named twice", c->names[i]);
	}
	t->identifier = ids;
	t->nidentifier = c->nnames;
	return 0;
}

/* Identifier fields after every change: present, required primitives that
 * are not float or double, not inside a list, map or optional struct. */
static int check_identifiers(tree *t, const ice_schema *schema)
{
	for (size_t i = 0; i < t->nidentifier; i++) {
		const ice_field *f = ice_schema_find_field(schema, t->identifier[i]);
		const char *name = f ? ice_schema_field_name(schema, f->id) : NULL;
		if (!f)
			return fail(t, ICE_EINVALID, "identifier field %d was dropped", (int)t->identifier[i]);
		if (!ice_type_is_primitive(f->type))
			return fail(t, ICE_EINVALID, "identifier field '%s' is not a primitive column", name);
		if (f->type->id == ICE_TYPE_FLOAT || f->type->id == ICE_TYPE_DOUBLE)
			return fail(t, ICE_EINVALID, "identifier field '%s' is a %s", name, ice_type_id_name(f->type->id));
		if (!f->required)
			return fail(t, ICE_EINVALID, "identifier field '%s' is optional", name);
		if (ice_schema_field_in_collection(schema, f->id))
			return fail(t, ICE_EINVALID, "identifier field '%s' is inside a list or map", name);
		for (int32_t p = ice_schema_parent_id(schema, f->id); p > 0; p = ice_schema_parent_id(schema, p))
			if (!ice_schema_find_field(schema, p)->required)
				return fail(t, ICE_EINVALID, "identifier field '%s' is inside optional struct '%s'", name,
				            ice_schema_field_name(schema, p));
	}
	return 0;
}

int ice_alter__schema(ice_schema **out, const ice_alter *a, const ice_table_metadata *base, int format_version)
{
	const ice_schema *current = ice_table_metadata_current_schema(base);
	tree t;
	char what[600];
	size_t nid;
	const int32_t *ids = ice_schema_identifier_field_ids(current, &nid);
	bool any = false;
	int rc = 0;
	*out = NULL;
	for (size_t i = 0; i < a->n && !any; i++)
		any = a->changes[i].kind <= ALTER_SET_IDENTIFIER;
	if (!any)
		return 0;
	memset(&t, 0, sizeof(t));
	ice_arena__init(&t.arena, 4096);
	t.root.kind = K_STRUCT;
	t.base = base;
	t.format_version = format_version;
	t.allow_incompatible = a->allow_incompatible;
	t.last_id = ice_table_metadata_last_column_id(base);
	t.what = "schema";
	if (nid) {
		if (!(t.identifier = ice_arena__memdup(&t.arena, ids, nid * sizeof(int32_t))))
			rc = ICE_ERROR;
		t.nidentifier = nid;
	}
	if (!rc)
		rc = load_schema(&t, &t.root, current, 0);
	for (size_t i = 0; i < a->n && !rc; i++) {
		const alter_change *c = &a->changes[i];
		t.what = ice_alter__describe(c, what, sizeof(what));
		switch (c->kind) {
		case ALTER_ADD_COLUMN: rc = add_column(&t, c); break;
		case ALTER_RENAME_COLUMN: rc = rename_column(&t, c); break;
		case ALTER_DROP_COLUMN: rc = drop_column(&t, c); break;
		case ALTER_MOVE_COLUMN: rc = move_column(&t, c); break;
		case ALTER_WIDEN_COLUMN: rc = widen_column(&t, c); break;
		case ALTER_MAKE_OPTIONAL: rc = set_required(&t, c, false); break;
		case ALTER_MAKE_REQUIRED: rc = set_required(&t, c, true); break;
		case ALTER_SET_DOC: rc = set_doc(&t, c); break;
		case ALTER_SET_DEFAULT: rc = set_default(&t, c); break;
		case ALTER_SET_IDENTIFIER: rc = set_identifier(&t, c); break;
		default: break;
		}
	}
	if (!rc) {
		ice_schema *schema = NULL;
		int32_t *saved = t.identifier;
		size_t nsaved = t.nidentifier;
		/* Written without identifier fields first, so that their checks
		 * give the messages above rather than the parser's. */
		t.identifier = NULL;
		t.nidentifier = 0;
		if ((rc = tree_to_schema(&schema, &t)) == 0) {
			t.identifier = saved;
			t.nidentifier = nsaved;
			t.what = "identifier fields";
			rc = check_identifiers(&t, schema);
			ice_schema_free(schema);
			schema = NULL;
		}
		if (!rc && (rc = tree_to_schema(&schema, &t)) == 0) {
			if (ice_schema_same_structure(schema, current))
				ice_schema_free(schema);
			else
				*out = schema;
		}
	}
	ice_arena__free(&t.arena);
	return rc;
}
