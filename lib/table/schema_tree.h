/*
 * table/schema_tree.h - a schema as a tree of fields that column changes
 * edit in place (schema_tree.c builds it from a schema's JSON and writes it
 * back; update_schema.c applies the changes).
 */
#ifndef ICE_TABLE_SCHEMA_TREE_H
#define ICE_TABLE_SCHEMA_TREE_H

#include <stdarg.h>

#include "ice/json.h"
#include "ice/schema.h"
#include "ice/table_metadata.h"
#include "util/arena.h"

typedef enum schema_node_kind { K_PRIM, K_STRUCT, K_LIST, K_MAP } schema_node_kind;

typedef struct schema_node schema_node;
struct schema_node {
	int32_t id;
	const char *name;
	bool required;
	const char *doc;
	const char *initial_default; /* JSON text, or NULL */
	const char *write_default;
	schema_node_kind kind;
	const char *prim;            /* K_PRIM: the type's JSON string */
	schema_node **children;      /* struct fields; list: element; map: key, value */
	size_t n, cap;
};

typedef struct schema_tree {
	ice_arena arena;
	schema_node root; /* K_STRUCT */
	int32_t *identifier;
	size_t nidentifier;
	int32_t last_id;
	const ice_table_metadata *base;
	int format_version;
	bool allow_incompatible;
	const char *what; /* the change being applied, for messages */
} schema_tree;

/* A field found by name, and where it sits. */
typedef struct schema_found {
	schema_node *n;
	schema_node *parent; /* a struct, list or map */
	size_t index;        /* in parent->children */
} schema_found;

static inline bool is_struct_field(const schema_found *f)
{
	return f->parent && f->parent->kind == K_STRUCT;
}

static inline const char *role(const schema_found *f)
{
	if (f->parent->kind == K_LIST)
		return "a list element";
	return f->index == 0 ? "a map key" : "a map value";
}


/* "alter: <what>: <message>" with `code`. */
int ice_schema_tree__vfail(const schema_tree *t, int code, const char *fmt, va_list ap) ICE_PRINTF(3, 0);
int ice_schema_tree__add_child(schema_tree *t, schema_node *parent, schema_node *child, size_t at);
/* The fields of `schema` as children of `parent`, ids shifted by `offset`. */
int ice_schema_tree__load(schema_tree *t, schema_node *parent, const ice_schema *schema, int32_t offset);
/* The tree as a schema (validated by the spec layer). */
int ice_schema_tree__to_schema(ice_schema **out, const schema_tree *t);
/* By full dotted name ("s.a", "l.element.x" or "l.x", "m.value.x" or "m.x";
 * `quoted` segments): ICE_ENOTFOUND when there is no such column. */
int ice_schema_tree__find(schema_tree *t, const char *path, schema_found *out);
/* The struct a parent path names (NULL: the root; a list or map: its
 * element or value struct). */
int ice_schema_tree__find_struct(schema_tree *t, const char *path, schema_node **out);
/* Index of the child named `name`, or (size_t)-1. */
size_t ice_schema_tree__child_index(const schema_node *parent, const char *name);
/* The type a primitive's JSON type string names, held by *holder (free it). */
int ice_schema_tree__prim_type(const char *prim, ice_schema **holder, const ice_type **out);
/* The JSON type string of the first field of `one`, in the tree's arena. */
int ice_schema_tree__type_text(schema_tree *t, const ice_schema *one, const char **out);

#endif
