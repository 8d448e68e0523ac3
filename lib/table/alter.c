/*
 * table/alter.c - an alter: schema, partition, sort order, property and
 * format changes recorded by name and committed together as one metadata
 * update (ice/update.h). Each attempt of the commit applies every change
 * to the metadata it starts from, in this order: format version, columns
 * (update_schema.c), partition fields (update_spec.c), sort order,
 * properties; and records the requirements the REST catalog's
 * UpdateRequirements assigns to each update. A retry after another
 * writer's commit re-validates everything on the new metadata; a change
 * that no longer applies ends the commit as a conflict.
 */
#include <stdio.h>
#include <string.h>

#include "alter.h"
#include "ice/table_dsl.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/strutil.h"

int ice_alter_new(ice_alter **out)
{
	*out = ice__calloc(1, sizeof(ice_alter));
	return *out ? 0 : ICE_ERROR;
}

static void change_free(alter_change *c)
{
	ice__free(c->name);
	ice__free(c->value);
	ice__free(c->ref);
	for (size_t i = 0; i < c->nnames; i++)
		ice__free(c->names[i]);
	ice__free(c->names);
}

void ice_alter_free(ice_alter *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		change_free(&a->changes[i]);
	ice__free(a->changes);
	ice__free(a);
}

size_t ice_alter_change_count(const ice_alter *a)
{
	return a->n;
}

void ice_alter_allow_incompatible(ice_alter *a, bool allow)
{
	a->allow_incompatible = allow;
}

/* Records a change; strings are copied (NULL stays NULL). */
static int record(ice_alter *a, alter_kind kind, const char *name, const char *value, ice_column_position pos,
                  const char *ref)
{
	alter_change c;
	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.position = pos;
	if ((name && !(c.name = ice__strdup(name))) || (value && !(c.value = ice__strdup(value))) ||
	    (ref && !(c.ref = ice__strdup(ref)))) {
		change_free(&c);
		return ICE_ERROR;
	}
	alter_change *arr = ice__reallocarray(a->changes, a->n + 1, sizeof(alter_change));
	if (!arr) {
		change_free(&c);
		return ICE_ERROR;
	}
	a->changes = arr;
	arr[a->n++] = c;
	return 0;
}

static int need(const char *s, const char *what)
{
	if (!s || !*s)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "alter: %s is empty", what);
	return 0;
}

static int check_position(ice_column_position pos, const char *ref)
{
	if ((pos == ICE_COLUMN_AFTER || pos == ICE_COLUMN_BEFORE) && (!ref || !*ref))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "alter: 'after' and 'before' need a column");
	if ((unsigned)pos > ICE_COLUMN_BEFORE)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "alter: unknown column position %d", (int)pos);
	return 0;
}

int ice_alter_add_column(ice_alter *a, const char *definition, ice_column_position pos, const char *ref)
{
	char *parent = NULL;
	const char *def, *end, *dot = NULL;
	ice_schema *check = NULL;
	int rc;
	if ((rc = need(definition, "the column definition")) != 0 || (rc = check_position(pos, ref)) != 0)
		return rc;
	/* "s.inner.x int": the parent path is the first word up to its last
	 * dot, unless the word is quoted. */
	def = definition;
	while (*def == ' ' || *def == '\t')
		def++;
	end = def;
	if (*def != '`' && *def != '"') {
		while (*end && *end != ' ' && *end != '\t' && *end != ':')
			end++;
		for (const char *p = def; p < end; p++)
			if (*p == '.')
				dot = p;
	}
	if (dot) {
		if (dot == def || !(parent = ice__strndup(def, (size_t)(dot - def))))
			return dot == def ? ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT,
			                                   "alter: add column '%s': no parent before the '.'", definition)
			                  : ICE_ERROR;
		def = dot + 1;
	}
	/* The syntax is checked now; ids and placement when applied. */
	if ((rc = ice_schema_parse_dsl(&check, def)) != 0) {
		ice__free(parent);
		return ice_error__prefix("alter: add column");
	}
	if (ice_schema_field_count(check) != 1) {
		ice_schema_free(check);
		ice__free(parent);
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "alter: add column '%s': define one column per change",
		                      definition);
	}
	ice_schema_free(check);
	rc = record(a, ALTER_ADD_COLUMN, parent, def, pos, ref);
	ice__free(parent);
	return rc;
}

int ice_alter_rename_column(ice_alter *a, const char *column, const char *new_name)
{
	int rc;
	if ((rc = need(column, "the column to rename")) != 0 || (rc = need(new_name, "the new column name")) != 0)
		return rc;
	return record(a, ALTER_RENAME_COLUMN, column, new_name, ICE_COLUMN_LAST, NULL);
}

int ice_alter_drop_column(ice_alter *a, const char *column)
{
	int rc = need(column, "the column to drop");
	return rc ? rc : record(a, ALTER_DROP_COLUMN, column, NULL, ICE_COLUMN_LAST, NULL);
}

int ice_alter_move_column(ice_alter *a, const char *column, ice_column_position pos, const char *ref)
{
	int rc;
	if ((rc = need(column, "the column to move")) != 0 || (rc = check_position(pos, ref)) != 0)
		return rc;
	if (pos == ICE_COLUMN_LAST)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT,
		                      "alter: move column '%s': say where to (first, after or before a column)", column);
	return record(a, ALTER_MOVE_COLUMN, column, NULL, pos, ref);
}

int ice_alter_widen_column(ice_alter *a, const char *column, const char *type)
{
	char text[600];
	ice_schema *check = NULL;
	int rc;
	if ((rc = need(column, "the column to widen")) != 0 || (rc = need(type, "the new type")) != 0)
		return rc;
	if (strlen(type) > 500)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "alter: the type is too long");
	snprintf(text, sizeof(text), "x %s", type);
	if ((rc = ice_schema_parse_dsl(&check, text)) != 0)
		return ice_error__prefix("alter: widen column '%s'", column);
	ice_schema_free(check);
	return record(a, ALTER_WIDEN_COLUMN, column, type, ICE_COLUMN_LAST, NULL);
}

int ice_alter_make_optional(ice_alter *a, const char *column)
{
	int rc = need(column, "the column to make optional");
	return rc ? rc : record(a, ALTER_MAKE_OPTIONAL, column, NULL, ICE_COLUMN_LAST, NULL);
}

int ice_alter_make_required(ice_alter *a, const char *column)
{
	int rc = need(column, "the column to make required");
	return rc ? rc : record(a, ALTER_MAKE_REQUIRED, column, NULL, ICE_COLUMN_LAST, NULL);
}

int ice_alter_set_doc(ice_alter *a, const char *column, const char *doc)
{
	int rc = need(column, "the column to document");
	return rc ? rc : record(a, ALTER_SET_DOC, column, doc, ICE_COLUMN_LAST, NULL);
}

int ice_alter_set_default(ice_alter *a, const char *column, const char *value)
{
	int rc = need(column, "the column to set a default for");
	return rc ? rc : record(a, ALTER_SET_DEFAULT, column, value, ICE_COLUMN_LAST, NULL);
}

int ice_alter_set_identifier_fields(ice_alter *a, const char *const *columns, size_t n)
{
	int rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = need(columns[i], "an identifier column")) != 0)
			return rc;
	if ((rc = record(a, ALTER_SET_IDENTIFIER, NULL, NULL, ICE_COLUMN_LAST, NULL)) != 0)
		return rc;
	alter_change *c = &a->changes[a->n - 1];
	if (n && !(c->names = ice__calloc(n, sizeof(char *))))
		goto oom;
	for (size_t i = 0; i < n; i++) {
		if (!(c->names[i] = ice__strdup(columns[i])))
			goto oom;
		c->nnames++;
	}
	return 0;
oom:
	change_free(c);
	a->n--;
	return ICE_ERROR;
}

int ice_alter_add_partition_field(ice_alter *a, const char *expression)
{
	int rc = need(expression, "the partition field");
	return rc ? rc : record(a, ALTER_ADD_PARTITION, NULL, expression, ICE_COLUMN_LAST, NULL);
}

int ice_alter_remove_partition_field(ice_alter *a, const char *name)
{
	int rc = need(name, "the partition field to remove");
	return rc ? rc : record(a, ALTER_DROP_PARTITION, name, NULL, ICE_COLUMN_LAST, NULL);
}

int ice_alter_rename_partition_field(ice_alter *a, const char *name, const char *new_name)
{
	int rc;
	if ((rc = need(name, "the partition field to rename")) != 0 || (rc = need(new_name, "the new partition field name")) != 0)
		return rc;
	return record(a, ALTER_RENAME_PARTITION, name, new_name, ICE_COLUMN_LAST, NULL);
}

int ice_alter_set_sort_order(ice_alter *a, const char *order)
{
	return record(a, ALTER_SET_SORT_ORDER, NULL, order ? order : "", ICE_COLUMN_LAST, NULL);
}

int ice_alter_set_property(ice_alter *a, const char *key, const char *value)
{
	int rc = need(key, "the property name");
	if (!rc && !value)
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "alter: property '%s' needs a value", key);
	return rc ? rc : record(a, ALTER_SET_PROPERTY, key, value, ICE_COLUMN_LAST, NULL);
}

int ice_alter_remove_property(ice_alter *a, const char *key)
{
	int rc = need(key, "the property name");
	return rc ? rc : record(a, ALTER_REMOVE_PROPERTY, key, NULL, ICE_COLUMN_LAST, NULL);
}

int ice_alter_upgrade_format_version(ice_alter *a, int version)
{
	int rc;
	if (version < 1 || version > ICE_FORMAT_VERSION_MAX)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "alter: format version %d is not 1 to %d", version,
		                      ICE_FORMAT_VERSION_MAX);
	if ((rc = record(a, ALTER_FORMAT_VERSION, NULL, NULL, ICE_COLUMN_LAST, NULL)) != 0)
		return rc;
	a->changes[a->n - 1].version = version;
	return 0;
}

const char *ice_alter__describe(const alter_change *c, char *buf, size_t cap)
{
	static const char *const where[] = {"last", "first", "after", "before"};
	switch (c->kind) {
	case ALTER_ADD_COLUMN:
		snprintf(buf, cap, "add column '%s%s%s'", c->name ? c->name : "", c->name ? "." : "", c->value);
		break;
	case ALTER_RENAME_COLUMN: snprintf(buf, cap, "rename column '%s' to '%s'", c->name, c->value); break;
	case ALTER_DROP_COLUMN: snprintf(buf, cap, "drop column '%s'", c->name); break;
	case ALTER_MOVE_COLUMN:
		snprintf(buf, cap, "move column '%s' %s%s%s", c->name, where[c->position], c->ref ? " " : "",
		         c->ref ? c->ref : "");
		break;
	case ALTER_WIDEN_COLUMN: snprintf(buf, cap, "widen column '%s' to %s", c->name, c->value); break;
	case ALTER_MAKE_OPTIONAL: snprintf(buf, cap, "make column '%s' optional", c->name); break;
	case ALTER_MAKE_REQUIRED: snprintf(buf, cap, "make column '%s' required", c->name); break;
	case ALTER_SET_DOC: snprintf(buf, cap, "doc of column '%s'", c->name); break;
	case ALTER_SET_DEFAULT: snprintf(buf, cap, "default of column '%s'", c->name); break;
	case ALTER_SET_IDENTIFIER: snprintf(buf, cap, "identifier fields"); break;
	case ALTER_ADD_PARTITION: snprintf(buf, cap, "add partition field '%s'", c->value); break;
	case ALTER_DROP_PARTITION: snprintf(buf, cap, "drop partition field '%s'", c->name); break;
	case ALTER_RENAME_PARTITION: snprintf(buf, cap, "rename partition field '%s' to '%s'", c->name, c->value); break;
	case ALTER_SET_SORT_ORDER: snprintf(buf, cap, "sort order '%s'", c->value); break;
	case ALTER_SET_PROPERTY: snprintf(buf, cap, "set property '%s'", c->name); break;
	case ALTER_REMOVE_PROPERTY: snprintf(buf, cap, "unset property '%s'", c->name); break;
	case ALTER_FORMAT_VERSION: snprintf(buf, cap, "format version %d", c->version); break;
	}
	return buf;
}

/* ---- applying ---------------------------------------------------------------------------- */

static int require(ice_commit_ctx *ctx, ice_requirement_kind kind, int64_t value)
{
	ice_requirement r = {kind, NULL, true, value};
	return ctx ? ice_commit_require(ctx, &r) : 0;
}

static int apply_properties(const ice_alter *a, const ice_table_metadata *base, ice_metadata_builder *b)
{
	char what[600];
	int rc = 0;
	for (size_t i = 0; i < a->n && !rc; i++) {
		const alter_change *c = &a->changes[i];
		if (c->kind == ALTER_SET_PROPERTY) {
			ice_property p = {c->name, c->value};
			ice_properties set = {1, &p};
			const char *cur = ice_table_metadata_property(base, c->name, NULL);
			bool touched = false;
			for (size_t j = 0; j < i; j++)
				touched |= (a->changes[j].kind == ALTER_SET_PROPERTY || a->changes[j].kind == ALTER_REMOVE_PROPERTY) &&
				           !strcmp(a->changes[j].name, c->name);
			/* Setting the value a property has is not an update. */
			if (touched || !cur || strcmp(cur, c->value) != 0)
				rc = ice_metadata_builder_set_properties(b, &set);
		} else if (c->kind == ALTER_REMOVE_PROPERTY) {
			const char *key = c->name;
			bool present = ice_table_metadata_property(base, key, NULL) != NULL;
			for (size_t j = 0; j < i && !present; j++)
				present = a->changes[j].kind == ALTER_SET_PROPERTY && !strcmp(a->changes[j].name, key);
			if (!present)
				rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_COMMIT, "alter: %s: the table has no such property",
				                    ice_alter__describe(c, what, sizeof(what)));
			else
				rc = ice_metadata_builder_remove_properties(b, &key, 1);
		}
	}
	return rc;
}

int ice_alter_apply(const ice_alter *a, const ice_table_metadata *base, ice_metadata_builder *b, ice_commit_ctx *ctx)
{
	int version = ice_table_metadata_format_version(base);
	const ice_schema *schema = ice_table_metadata_current_schema(base);
	ice_schema *new_schema = NULL;
	ice_partition_spec *new_spec = NULL;
	ice_sort_order *new_order = NULL;
	const char *uuid = ice_table_metadata_uuid(base);
	char what[600];
	int rc = 0;

	if (uuid && ctx) {
		ice_requirement r = {ICE_REQUIRE_TABLE_UUID, uuid, false, 0};
		if ((rc = ice_commit_require(ctx, &r)) != 0)
			return rc;
	}
	for (size_t i = 0; i < a->n && !rc; i++)
		if (a->changes[i].kind == ALTER_FORMAT_VERSION) {
			const alter_change *c = &a->changes[i];
			if (c->version < version)
				rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "alter: %s: the table is v%d already; versions never go down",
				                    ice_alter__describe(c, what, sizeof(what)), version);
			else if (c->version > version && (rc = ice_metadata_builder_upgrade_format_version(b, c->version)) == 0)
				version = c->version;
		}
	if (rc)
		return rc;

	if ((rc = ice_alter__schema(&new_schema, a, base, version)) != 0)
		return rc;
	if (new_schema) {
		if ((rc = require(ctx, ICE_REQUIRE_LAST_ASSIGNED_FIELD_ID, ice_table_metadata_last_column_id(base))) ||
		    (rc = require(ctx, ICE_REQUIRE_CURRENT_SCHEMA_ID, ice_schema_id(schema))) ||
		    (rc = ice_metadata_builder_add_schema(b, new_schema, NULL)) ||
		    (rc = ice_metadata_builder_set_current_schema(b, ICE_LAST_ADDED)))
			goto done;
		schema = new_schema;
	}

	if ((rc = ice_alter__spec(&new_spec, a, base, schema, version)) != 0)
		goto done;
	if (new_spec) {
		if ((rc = require(ctx, ICE_REQUIRE_LAST_ASSIGNED_PARTITION_ID, ice_table_metadata_last_partition_id(base))) ||
		    (rc = require(ctx, ICE_REQUIRE_DEFAULT_SPEC_ID, ice_table_metadata_default_spec(base)->spec_id)) ||
		    (rc = ice_metadata_builder_add_spec(b, new_spec, NULL)) ||
		    (rc = ice_metadata_builder_set_default_spec(b, ICE_LAST_ADDED)))
			goto done;
	}

	for (size_t i = 0; i < a->n; i++) {
		const alter_change *c = &a->changes[i];
		if (c->kind != ALTER_SET_SORT_ORDER)
			continue;
		ice_sort_order_free(new_order);
		new_order = NULL;
		if ((rc = ice_sort_order_parse_dsl(&new_order, c->value, schema)) != 0) {
			ice_error__prefix("alter");
			goto done;
		}
	}
	if (new_order && !ice_sort_order_same_fields(new_order, ice_table_metadata_default_sort_order(base))) {
		if ((rc = require(ctx, ICE_REQUIRE_DEFAULT_SORT_ORDER_ID, ice_table_metadata_default_sort_order(base)->order_id)) ||
		    (rc = ice_metadata_builder_add_sort_order(b, new_order, NULL)) ||
		    (rc = ice_metadata_builder_set_default_sort_order(b, ICE_LAST_ADDED)))
			goto done;
	}
	rc = apply_properties(a, base, b);
done:
	if (rc && ice_error_last() && strncmp(ice_error_last()->message, "alter", 5) != 0)
		ice_error__prefix("alter");
	ice_schema_free(new_schema);
	ice_partition_spec_free(new_spec);
	ice_sort_order_free(new_order);
	return rc;
}

/* ---- committing ---------------------------------------------------------------------------- */

static int apply_op(ice_commit_ctx *ctx, const ice_table_metadata *base, ice_metadata_builder *b, void *payload)
{
	int rc = ice_alter_apply(payload, base, b, ctx);
	if (rc && rc != ICE_ERROR && ice_commit_attempt(ctx) > 0 && !ice_error__is_oom()) {
		/* It applied to the table as it was; another writer's change
		 * since then is in the way. */
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", ice_error_last() ? ice_error_last()->message : "alter");
		rc = ice_error__set(ICE_ECONFLICT, ICE_ERRCLASS_COMMIT, "the table changed concurrently: %s", msg);
	}
	return rc;
}

int ice_alter_commit(ice_alter *a, ice_table *table, const ice_commit_options *opts, ice_commit_result *result)
{
	ice_metadata_builder *b;
	ice_operation op = {"alter", apply_op, a};
	size_t changes;
	int rc;
	if (result)
		memset(result, 0, sizeof(*result));
	/* A dry run first: errors without touching the table, and nothing to
	 * commit when nothing changes. */
	if ((rc = ice_metadata_builder_new(&b, ice_table_current(table))) != 0)
		return rc;
	rc = ice_alter_apply(a, ice_table_current(table), b, NULL);
	changes = ice_metadata_builder_change_count(b);
	ice_metadata_builder_free(b);
	if (rc || changes == 0) {
		if (!rc && result)
			result->state = ICE_COMMIT_SUCCEEDED;
		return rc;
	}
	return ice_table_commit(table, &op, opts, result);
}
