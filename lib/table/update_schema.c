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
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alter.h"
#include "ice/table_dsl.h"
#include "schema_tree.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"

static int fail(schema_tree *t, int code, const char *fmt, ...) ICE_PRINTF(3, 4);

static int fail(schema_tree *t, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = ice_schema_tree__vfail(t, code, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- checks against the table ---------------------------------------------------------- */

static bool subtree_has(const schema_node *n, int32_t id)
{
	if (n->id == id)
		return true;
	for (size_t i = 0; i < n->n; i++)
		if (subtree_has(n->children[i], id))
			return true;
	return false;
}

/* Why a column (and what is nested in it) cannot be dropped, or 0. */
static int check_droppable(schema_tree *t, const schema_node *n)
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
/* ---- the changes ------------------------------------------------------------------------- */

static int place(schema_tree *t, schema_node *parent, schema_node *n, size_t from, ice_column_position pos, const char *ref)
{
	size_t at;
	if (from != (size_t)-1) {
		memmove(&parent->children[from], &parent->children[from + 1], (parent->n - from - 1) * sizeof(schema_node *));
		parent->n--;
	}
	switch (pos) {
	case ICE_COLUMN_FIRST:
		at = 0;
		break;
	case ICE_COLUMN_AFTER:
	case ICE_COLUMN_BEFORE:
		at = ref ? ice_schema_tree__child_index(parent, ref) : (size_t)-1;
		if (at == (size_t)-1) {
			/* put it back where it was before failing */
			if (from != (size_t)-1)
				ice_schema_tree__add_child(t, parent, n, from);
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
	return ice_schema_tree__add_child(t, parent, n, at);
}

static int add_column(schema_tree *t, const alter_change *c)
{
	ice_schema *parsed = NULL;
	schema_node *parent = NULL, *n;
	int rc;
	if ((rc = ice_schema_tree__find_struct(t, c->name, &parent)) != 0)
		return rc;
	if ((rc = ice_schema_parse_dsl(&parsed, c->value)) != 0)
		return ice_error__prefix("alter: %s", t->what);
	if (ice_schema_field_count(parsed) != 1) {
		ice_schema_free(parsed);
		return fail(t, ICE_EINVALID, "define one column");
	}
	int32_t highest = ice_schema_highest_field_id(parsed);
	if (highest > INT32_MAX - t->last_id) {
		ice_schema_free(parsed);
		return fail(t, ICE_EINVALID, "last-column-id is %d: no field id is left for %d more", t->last_id, highest);
	}
	schema_node holder;
	memset(&holder, 0, sizeof(holder));
	holder.kind = K_STRUCT;
	rc = ice_schema_tree__load(t, &holder, parsed, t->last_id);
	t->last_id += highest;
	ice_schema_free(parsed);
	if (rc)
		return rc;
	n = holder.children[0];
	if (ice_schema_tree__child_index(parent, n->name) != (size_t)-1)
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

static int rename_column(schema_tree *t, const alter_change *c)
{
	schema_found f;
	int rc;
	if ((rc = ice_schema_tree__find(t, c->name, &f)) != 0)
		return rc;
	if (!is_struct_field(&f))
		return fail(t, ICE_EINVALID, "'%s' is %s, which cannot be renamed", c->name, role(&f));
	if (!c->value[0] || strchr(c->value, '.'))
		return fail(t, ICE_EINVALID, "'%s' is not a column name (give the new last name, without parents)", c->value);
	if (!strcmp(f.n->name, c->value))
		return 0;
	if (ice_schema_tree__child_index(f.parent, c->value) != (size_t)-1)
		return fail(t, ICE_EINVALID, "a column '%s' exists already there", c->value);
	return (f.n->name = ice_arena__strdup(&t->arena, c->value)) ? 0 : ICE_ERROR;
}

static int drop_column(schema_tree *t, const alter_change *c)
{
	schema_found f;
	int rc;
	if ((rc = ice_schema_tree__find(t, c->name, &f)) != 0)
		return rc;
	if (!is_struct_field(&f))
		return fail(t, ICE_EINVALID, "'%s' is %s, which cannot be dropped", c->name, role(&f));
	if (f.parent == &t->root && t->root.n == 1)
		return fail(t, ICE_EINVALID, "a table keeps at least one column");
	if ((rc = check_droppable(t, f.n)) != 0)
		return rc;
	memmove(&f.parent->children[f.index], &f.parent->children[f.index + 1],
	        (f.parent->n - f.index - 1) * sizeof(schema_node *));
	f.parent->n--;
	return 0;
}

static int move_column(schema_tree *t, const alter_change *c)
{
	schema_found f;
	int rc;
	if ((rc = ice_schema_tree__find(t, c->name, &f)) != 0)
		return rc;
	if (!is_struct_field(&f))
		return fail(t, ICE_EINVALID, "'%s' is %s, which cannot be moved", c->name, role(&f));
	if (c->ref) {
		/* The reference is a sibling's name, or a full name in the same struct. */
		schema_found r;
		if (ice_schema_tree__child_index(f.parent, c->ref) == (size_t)-1 && ice_schema_tree__find(t, c->ref, &r) == 0) {
			if (r.parent != f.parent)
				return fail(t, ICE_EINVALID, "'%s' is not in the same struct as '%s'", c->ref, c->name);
			return place(t, f.parent, f.n, f.index, c->position, r.n->name);
		}
		ice_error_clear();
		return place(t, f.parent, f.n, f.index, c->position, c->ref);
	}
	return place(t, f.parent, f.n, f.index, c->position, NULL);
}

static int widen_column(schema_tree *t, const alter_change *c)
{
	ice_schema *to_holder = NULL, *from_holder = NULL;
	const ice_type *from, *to;
	char text[600];
	schema_found f;
	int rc;
	if ((rc = ice_schema_tree__find(t, c->name, &f)) != 0)
		return rc;
	if (f.n->kind != K_PRIM)
		return fail(t, ICE_EINVALID, "'%s' is not a primitive column", c->name);
	snprintf(text, sizeof(text), "x %s", c->value);
	if ((rc = ice_schema_parse_dsl(&to_holder, text)) != 0)
		return ice_error__prefix("alter: %s", t->what);
	to = ice_schema_field_at(to_holder, 0)->type;
	if ((rc = ice_schema_tree__prim_type(f.n->prim, &from_holder, &from)) != 0)
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
	rc = ice_schema_tree__type_text(t, to_holder, &f.n->prim);
done:
	ice_schema_free(to_holder);
	ice_schema_free(from_holder);
	return rc;
}

static int set_required(schema_tree *t, const alter_change *c, bool required)
{
	schema_found f;
	int rc;
	if ((rc = ice_schema_tree__find(t, c->name, &f)) != 0)
		return rc;
	if (f.parent->kind == K_MAP && f.index == 0)
		return fail(t, ICE_EINVALID, "map keys are always required");
	if (required && !f.n->required && !t->allow_incompatible)
		return fail(t, ICE_EINVALID, "existing rows may hold nulls: making a column required is an incompatible change");
	f.n->required = required;
	return 0;
}

static int set_doc(schema_tree *t, const alter_change *c)
{
	schema_found f;
	int rc;
	if ((rc = ice_schema_tree__find(t, c->name, &f)) != 0)
		return rc;
	if (!is_struct_field(&f))
		return fail(t, ICE_EINVALID, "'%s' is %s, which has no doc", c->name, role(&f));
	if (!c->value)
		f.n->doc = NULL;
	else if (!(f.n->doc = ice_arena__strdup(&t->arena, c->value)))
		return ICE_ERROR;
	return 0;
}

static int set_default(schema_tree *t, const alter_change *c)
{
	ice_schema *holder = NULL;
	const ice_type *type;
	ice_arena arena;
	ice_literal lit;
	schema_found f;
	int rc;
	if ((rc = ice_schema_tree__find(t, c->name, &f)) != 0)
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
	if ((rc = ice_schema_tree__prim_type(f.n->prim, &holder, &type)) != 0)
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

static int set_identifier(schema_tree *t, const alter_change *c)
{
	int32_t *ids = c->nnames ? ice_arena__allocarray(&t->arena, c->nnames, sizeof(int32_t)) : NULL;
	int rc;
	if (c->nnames && !ids)
		return ICE_ERROR;
	for (size_t i = 0; i < c->nnames; i++) {
		schema_found f;
		if ((rc = ice_schema_tree__find(t, c->names[i], &f)) != 0)
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
static int check_identifiers(schema_tree *t, const ice_schema *schema)
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
		if (ice_schema_field_in_collection(schema, f->id))
			return fail(t, ICE_EINVALID, "identifier field '%s' is inside a list or map", name);
		if (!f->required)
			return fail(t, ICE_EINVALID, "identifier field '%s' is optional", name);
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
	schema_tree t;
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
		rc = ice_schema_tree__load(&t, &t.root, current, 0);
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
		if ((rc = ice_schema_tree__to_schema(&schema, &t)) == 0) {
			t.identifier = saved;
			t.nidentifier = nsaved;
			t.what = "identifier fields";
			rc = check_identifiers(&t, schema);
			ice_schema_free(schema);
			schema = NULL;
		}
		if (!rc && (rc = ice_schema_tree__to_schema(&schema, &t)) == 0) {
			if (ice_schema_same_structure(schema, current))
				ice_schema_free(schema);
			else
				*out = schema;
		}
	}
	ice_arena__free(&t.arena);
	return rc;
}
