/*
 * spec/table_update.c - table updates and requirements as data: the REST
 * catalog's TableUpdate and TableRequirement objects parsed from JSON,
 * applied through the metadata builder, and requirements checked against the
 * metadata a commit would replace.
 */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/uuid.h"

typedef enum update_kind {
	UP_ASSIGN_UUID,
	UP_UPGRADE_FORMAT_VERSION,
	UP_ADD_SCHEMA,
	UP_SET_CURRENT_SCHEMA,
	UP_ADD_SPEC,
	UP_SET_DEFAULT_SPEC,
	UP_ADD_SORT_ORDER,
	UP_SET_DEFAULT_SORT_ORDER,
	UP_ADD_SNAPSHOT,
	UP_SET_SNAPSHOT_REF,
	UP_REMOVE_SNAPSHOTS,
	UP_REMOVE_SNAPSHOT_REF,
	UP_SET_LOCATION,
	UP_SET_PROPERTIES,
	UP_REMOVE_PROPERTIES,
	UP_SET_STATISTICS,
	UP_REMOVE_STATISTICS,
	UP_SET_PARTITION_STATISTICS,
	UP_REMOVE_PARTITION_STATISTICS,
	UP_REMOVE_PARTITION_SPECS,
	UP_REMOVE_SCHEMAS,
	UP_ADD_ENCRYPTION_KEY,
	UP_REMOVE_ENCRYPTION_KEY,
} update_kind;

static const char *const actions[] = {
	"assign-uuid",         "upgrade-format-version",   "add-schema",
	"set-current-schema",  "add-spec",                 "set-default-spec",
	"add-sort-order",      "set-default-sort-order",   "add-snapshot",
	"set-snapshot-ref",    "remove-snapshots",         "remove-snapshot-ref",
	"set-location",        "set-properties",           "remove-properties",
	"set-statistics",      "remove-statistics",        "set-partition-statistics",
	"remove-partition-statistics", "remove-partition-specs", "remove-schemas",
	"add-encryption-key",  "remove-encryption-key",
};

typedef struct update {
	update_kind kind;
	const char *str;  /* uuid, location, ref name, key id */
	int64_t num;      /* format version, ids */
	ice_schema *schema;
	ice_partition_spec spec;
	ice_sort_order order;
	ice_snapshot snapshot;
	ice_ref ref;
	ice_properties props;
	size_t nlist;
	const int64_t *ids;
	const char **keys;
	ice_statistics_file stats;
	ice_partition_statistics_file part_stats;
	ice_encryption_key key;
} update;

struct ice_table_updates {
	ice_arena arena;
	update *items;
	size_t n;
};

static int parse_id_list(ice_arena *a, ice_jr *r, const ice_json *obj, const char *key, update *u)
{
	ice_json *arr;
	int rc = ice_jr__req_array(r, obj, key, &arr);
	if (rc)
		return rc;
	size_t n = ice_json__size(arr);
	int64_t *ids = n ? ice_arena__allocarray(a, n, sizeof(int64_t)) : NULL;
	if (n && !ids)
		return ICE_ERROR;
	ice_jr__push_key(r, key);
	for (size_t i = 0; i < n && !rc; i++) {
		ice_jr__push_index(r, i);
		rc = ice_jr__as_int64(r, ice_json__at(arr, i), &ids[i]);
		ice_jr__pop(r);
	}
	ice_jr__pop(r);
	u->ids = ids;
	u->nlist = n;
	return rc;
}

static int parse_member(ice_jr *r, const ice_json *obj, const char *key, ice_json **out)
{
	return ice_jr__req_object(r, obj, key, out);
}

static int dup_str(ice_arena *a, ice_jr *r, const ice_json *obj, const char *key, const char **out)
{
	const char *s;
	int rc = ice_jr__req_string(r, obj, key, &s, NULL);
	if (rc)
		return rc;
	return (*out = ice_arena__strdup(a, s)) ? 0 : ICE_ERROR;
}

static int parse_update(ice_arena *a, ice_jr *r, const ice_json *obj, update *u)
{
	const char *action;
	ice_json *sub;
	int32_t i32;
	int rc;
	size_t k;
	if (ice_json__type(obj) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected an update object, found %s", ice_json__type_name(obj));
	if ((rc = ice_jr__req_string(r, obj, "action", &action, NULL)) != 0)
		return rc;
	for (k = 0; k < sizeof(actions) / sizeof(actions[0]) && strcmp(actions[k], action) != 0; k++)
		;
	if (k == sizeof(actions) / sizeof(actions[0]))
		return ice_jr__error_at(r, "action", ICE_EUNSUPPORTED, "unknown update action '%s'", action);
	u->kind = (update_kind)k;
	switch (u->kind) {
	case UP_ASSIGN_UUID: return dup_str(a, r, obj, "uuid", &u->str);
	case UP_UPGRADE_FORMAT_VERSION:
		if ((rc = ice_jr__req_int32(r, obj, "format-version", &i32)) == 0)
			u->num = i32;
		return rc;
	case UP_ADD_SCHEMA:
		if ((rc = parse_member(r, obj, "schema", &sub)) != 0)
			return rc;
		if (!(u->schema = ice_arena__alloc(a, sizeof(ice_schema))))
			return ICE_ERROR;
		ice_jr__push_key(r, "schema");
		rc = ice_schema__parse(u->schema, a, r, sub, false);
		ice_jr__pop(r);
		return rc;
	case UP_SET_CURRENT_SCHEMA:
	case UP_SET_DEFAULT_SPEC:
	case UP_SET_DEFAULT_SORT_ORDER: {
		const char *key = u->kind == UP_SET_CURRENT_SCHEMA ? "schema-id"
		                  : u->kind == UP_SET_DEFAULT_SPEC ? "spec-id"
		                                                   : "sort-order-id";
		if ((rc = ice_jr__req_int32(r, obj, key, &i32)) == 0)
			u->num = i32;
		return rc;
	}
	case UP_ADD_SPEC: {
		ice_json *fields;
		if ((rc = parse_member(r, obj, "spec", &sub)) != 0)
			return rc;
		ice_jr__push_key(r, "spec");
		if ((rc = ice_jr__req_array(r, sub, "fields", &fields)) == 0) {
			int32_t id = 0;
			ice_jr__opt_int32(r, sub, "spec-id", &id, NULL);
			ice_jr__push_key(r, "fields");
			rc = ice_partition_spec__parse_fields(&u->spec, a, r, fields, id, NULL);
			ice_jr__pop(r);
		}
		ice_jr__pop(r);
		return rc;
	}
	case UP_ADD_SORT_ORDER:
		if ((rc = parse_member(r, obj, "sort-order", &sub)) != 0)
			return rc;
		ice_jr__push_key(r, "sort-order");
		rc = ice_sort_order__parse(&u->order, a, r, sub);
		ice_jr__pop(r);
		return rc;
	case UP_ADD_SNAPSHOT:
		if ((rc = parse_member(r, obj, "snapshot", &sub)) != 0)
			return rc;
		ice_jr__push_key(r, "snapshot");
		/* Parsed leniently (version 0: any); the builder checks what the
		 * table's version needs. */
		rc = ice_snapshot__parse(&u->snapshot, a, r, sub, 0);
		ice_jr__pop(r);
		return rc;
	case UP_SET_SNAPSHOT_REF:
		if ((rc = dup_str(a, r, obj, "ref-name", &u->str)) != 0)
			return rc;
		return ice_ref__parse(&u->ref, a, r, u->str, obj);
	case UP_REMOVE_SNAPSHOTS: return parse_id_list(a, r, obj, "snapshot-ids", u);
	case UP_REMOVE_SNAPSHOT_REF: return dup_str(a, r, obj, "ref-name", &u->str);
	case UP_SET_LOCATION: return dup_str(a, r, obj, "location", &u->str);
	case UP_SET_PROPERTIES:
		if ((rc = parse_member(r, obj, "updates", &sub)) != 0)
			return rc;
		ice_jr__push_key(r, "updates");
		rc = ice_properties__parse(&u->props, a, r, sub);
		ice_jr__pop(r);
		return rc;
	case UP_REMOVE_PROPERTIES: {
		ice_json *arr;
		if ((rc = ice_jr__req_array(r, obj, "removals", &arr)) != 0)
			return rc;
		size_t n = ice_json__size(arr);
		const char **keys = n ? ice_arena__allocarray(a, n, sizeof(char *)) : NULL;
		if (n && !keys)
			return ICE_ERROR;
		ice_jr__push_key(r, "removals");
		for (size_t i = 0; i < n && !rc; i++) {
			const char *s;
			ice_jr__push_index(r, i);
			rc = ice_jr__as_string(r, ice_json__at(arr, i), &s, NULL);
			if (!rc && !(keys[i] = ice_arena__strdup(a, s)))
				rc = ICE_ERROR;
			ice_jr__pop(r);
		}
		ice_jr__pop(r);
		u->keys = keys;
		u->nlist = n;
		return rc;
	}
	case UP_SET_STATISTICS:
		if ((rc = parse_member(r, obj, "statistics", &sub)) != 0)
			return rc;
		ice_jr__push_key(r, "statistics");
		rc = ice_statistics__parse(&u->stats, a, r, sub);
		ice_jr__pop(r);
		return rc;
	case UP_REMOVE_STATISTICS:
	case UP_REMOVE_PARTITION_STATISTICS:
		return ice_jr__req_int64(r, obj, "snapshot-id", &u->num);
	case UP_SET_PARTITION_STATISTICS:
		if ((rc = parse_member(r, obj, "partition-statistics", &sub)) != 0)
			return rc;
		ice_jr__push_key(r, "partition-statistics");
		rc = ice_partition_statistics__parse(&u->part_stats, a, r, sub);
		ice_jr__pop(r);
		return rc;
	case UP_REMOVE_PARTITION_SPECS: return parse_id_list(a, r, obj, "spec-ids", u);
	case UP_REMOVE_SCHEMAS: return parse_id_list(a, r, obj, "schema-ids", u);
	case UP_ADD_ENCRYPTION_KEY:
		if ((rc = parse_member(r, obj, "encryption-key", &sub)) != 0)
			return rc;
		ice_jr__push_key(r, "encryption-key");
		rc = ice_encryption_key__parse(&u->key, a, r, sub);
		ice_jr__pop(r);
		return rc;
	case UP_REMOVE_ENCRYPTION_KEY: return dup_str(a, r, obj, "key-id", &u->str);
	}
	return 0;
}

void ice_table_updates_free(ice_table_updates *ups)
{
	if (!ups)
		return;
	for (size_t i = 0; i < ups->n; i++)
		if (ups->items[i].schema)
			ice_schema__release(ups->items[i].schema);
	ice_arena__free(&ups->arena);
	ice__free(ups);
}

int ice_table_updates_from_json(ice_table_updates **out, const char *json, size_t len, const char *source)
{
	ice_table_updates *ups;
	ice_json *root;
	ice_jr r;
	int rc;
	*out = NULL;
	if (!source)
		source = "<updates>";
	if ((rc = ice_json__parse(&root, json, len, source)) != 0)
		return rc;
	ice_jr__init(&r, source, ICE_ERRCLASS_COMMIT);
	if (ice_json__type(root) != ICE_JSON_ARRAY) {
		rc = ice_jr__error(&r, ICE_EINVALID, "expected an array of updates, found %s", ice_json__type_name(root));
		ice_json__free(root);
		return rc;
	}
	if (!(ups = ice__calloc(1, sizeof(*ups)))) {
		ice_json__free(root);
		return ICE_ERROR;
	}
	ice_arena__init(&ups->arena, 4096);
	size_t n = ice_json__size(root);
	if (n && !(ups->items = ice_arena__allocarray(&ups->arena, n, sizeof(update))))
		rc = ICE_ERROR;
	for (size_t i = 0; i < n && !rc; i++) {
		ice_jr__push_index(&r, i);
		rc = parse_update(&ups->arena, &r, ice_json__at(root, i), &ups->items[i]);
		ice_jr__pop(&r);
		ups->n = i + 1;
	}
	ice_json__free(root);
	if (rc) {
		ice_table_updates_free(ups);
		return rc;
	}
	*out = ups;
	return 0;
}

size_t ice_table_updates_count(const ice_table_updates *ups)
{
	return ups->n;
}

const char *ice_table_updates_action(const ice_table_updates *ups, size_t i)
{
	return i < ups->n ? actions[ups->items[i].kind] : NULL;
}

static int apply_one(ice_metadata_builder *b, const update *u)
{
	switch (u->kind) {
	case UP_ASSIGN_UUID: return ice_metadata_builder_assign_uuid(b, u->str);
	case UP_UPGRADE_FORMAT_VERSION: return ice_metadata_builder_upgrade_format_version(b, (int)u->num);
	case UP_ADD_SCHEMA: return ice_metadata_builder_add_schema(b, u->schema, NULL);
	case UP_SET_CURRENT_SCHEMA: return ice_metadata_builder_set_current_schema(b, (int32_t)u->num);
	case UP_ADD_SPEC: return ice_metadata_builder_add_spec(b, &u->spec, NULL);
	case UP_SET_DEFAULT_SPEC: return ice_metadata_builder_set_default_spec(b, (int32_t)u->num);
	case UP_ADD_SORT_ORDER: return ice_metadata_builder_add_sort_order(b, &u->order, NULL);
	case UP_SET_DEFAULT_SORT_ORDER: return ice_metadata_builder_set_default_sort_order(b, (int32_t)u->num);
	case UP_ADD_SNAPSHOT: return ice_metadata_builder_add_snapshot(b, &u->snapshot);
	case UP_SET_SNAPSHOT_REF: return ice_metadata_builder_set_ref(b, u->str, &u->ref);
	case UP_REMOVE_SNAPSHOTS: return ice_metadata_builder_remove_snapshots(b, u->ids, u->nlist);
	case UP_REMOVE_SNAPSHOT_REF: return ice_metadata_builder_remove_ref(b, u->str);
	case UP_SET_LOCATION: return ice_metadata_builder_set_location(b, u->str);
	case UP_SET_PROPERTIES: return ice_metadata_builder_set_properties(b, &u->props);
	case UP_REMOVE_PROPERTIES: return ice_metadata_builder_remove_properties(b, u->keys, u->nlist);
	case UP_SET_STATISTICS: return ice_metadata_builder_set_statistics(b, &u->stats);
	case UP_REMOVE_STATISTICS: return ice_metadata_builder_remove_statistics(b, u->num);
	case UP_SET_PARTITION_STATISTICS: return ice_metadata_builder_set_partition_statistics(b, &u->part_stats);
	case UP_REMOVE_PARTITION_STATISTICS: return ice_metadata_builder_remove_partition_statistics(b, u->num);
	case UP_REMOVE_PARTITION_SPECS:
	case UP_REMOVE_SCHEMAS: {
		int32_t small[64], *ids = u->nlist <= 64 ? small : ice__mallocarray(u->nlist, sizeof(int32_t));
		int rc;
		if (!ids)
			return ICE_ERROR;
		for (size_t i = 0; i < u->nlist; i++)
			ids[i] = (int32_t)u->ids[i];
		rc = u->kind == UP_REMOVE_SCHEMAS ? ice_metadata_builder_remove_schemas(b, ids, u->nlist)
		                                  : ice_metadata_builder_remove_specs(b, ids, u->nlist);
		if (ids != small)
			ice__free(ids);
		return rc;
	}
	case UP_ADD_ENCRYPTION_KEY: return ice_metadata_builder_add_encryption_key(b, &u->key);
	case UP_REMOVE_ENCRYPTION_KEY: return ice_metadata_builder_remove_encryption_key(b, u->str);
	}
	return ICE_ERROR;
}

int ice_metadata_builder_apply(ice_metadata_builder *b, const ice_table_updates *ups)
{
	for (size_t i = 0; i < ups->n; i++) {
		int rc = apply_one(b, &ups->items[i]);
		if (rc)
			return ice_error__prefix("update %zu (%s)", i, actions[ups->items[i].kind]);
	}
	return 0;
}

/* ---- requirements ------------------------------------------------------------------ */

typedef enum req_kind {
	REQ_CREATE,
	REQ_TABLE_UUID,
	REQ_REF_SNAPSHOT_ID,
	REQ_LAST_ASSIGNED_FIELD_ID,
	REQ_CURRENT_SCHEMA_ID,
	REQ_LAST_ASSIGNED_PARTITION_ID,
	REQ_DEFAULT_SPEC_ID,
	REQ_DEFAULT_SORT_ORDER_ID,
} req_kind;

static const char *const req_types[] = {
	"assert-create",         "assert-table-uuid",       "assert-ref-snapshot-id",
	"assert-last-assigned-field-id", "assert-current-schema-id", "assert-last-assigned-partition-id",
	"assert-default-spec-id", "assert-default-sort-order-id",
};

static const char *const req_keys[] = {
	NULL, "uuid", "snapshot-id", "last-assigned-field-id", "current-schema-id", "last-assigned-partition-id",
	"default-spec-id", "default-sort-order-id",
};

typedef struct requirement {
	req_kind kind;
	const char *str; /* uuid or ref name */
	bool has_num;    /* snapshot-id may be null */
	int64_t num;
} requirement;

struct ice_table_requirements {
	ice_arena arena;
	requirement *items;
	size_t n;
};

void ice_table_requirements_free(ice_table_requirements *reqs)
{
	if (!reqs)
		return;
	ice_arena__free(&reqs->arena);
	ice__free(reqs);
}

static int parse_requirement(ice_arena *a, ice_jr *r, const ice_json *obj, requirement *q)
{
	const char *type;
	size_t k;
	int rc;
	if (ice_json__type(obj) != ICE_JSON_OBJECT)
		return ice_jr__error(r, ICE_EINVALID, "expected a requirement object, found %s", ice_json__type_name(obj));
	if ((rc = ice_jr__req_string(r, obj, "type", &type, NULL)) != 0)
		return rc;
	for (k = 0; k < sizeof(req_types) / sizeof(req_types[0]) && strcmp(req_types[k], type) != 0; k++)
		;
	if (k == sizeof(req_types) / sizeof(req_types[0]))
		return ice_jr__error_at(r, "type", ICE_EUNSUPPORTED, "unknown requirement type '%s'", type);
	q->kind = (req_kind)k;
	switch (q->kind) {
	case REQ_CREATE:
		return 0;
	case REQ_TABLE_UUID:
		return dup_str(a, r, obj, "uuid", &q->str);
	case REQ_REF_SNAPSHOT_ID:
		if ((rc = dup_str(a, r, obj, "ref", &q->str)) != 0)
			return rc;
		if (!ice_json__get(obj, "snapshot-id"))
			return ice_jr__error(r, ICE_EINVALID, "missing required field 'snapshot-id' (null is allowed)");
		return ice_jr__opt_int64(r, obj, "snapshot-id", &q->num, &q->has_num);
	default:
		q->has_num = true;
		return ice_jr__req_int64(r, obj, req_keys[k], &q->num);
	}
}

int ice_table_requirements_from_json(ice_table_requirements **out, const char *json, size_t len, const char *source)
{
	ice_table_requirements *reqs;
	ice_json *root;
	ice_jr r;
	int rc;
	*out = NULL;
	if (!source)
		source = "<requirements>";
	if ((rc = ice_json__parse(&root, json, len, source)) != 0)
		return rc;
	ice_jr__init(&r, source, ICE_ERRCLASS_COMMIT);
	if (ice_json__type(root) != ICE_JSON_ARRAY) {
		rc = ice_jr__error(&r, ICE_EINVALID, "expected an array of requirements, found %s", ice_json__type_name(root));
		ice_json__free(root);
		return rc;
	}
	if (!(reqs = ice__calloc(1, sizeof(*reqs)))) {
		ice_json__free(root);
		return ICE_ERROR;
	}
	ice_arena__init(&reqs->arena, 1024);
	size_t n = ice_json__size(root);
	if (n && !(reqs->items = ice_arena__allocarray(&reqs->arena, n, sizeof(requirement))))
		rc = ICE_ERROR;
	for (size_t i = 0; i < n && !rc; i++) {
		ice_jr__push_index(&r, i);
		rc = parse_requirement(&reqs->arena, &r, ice_json__at(root, i), &reqs->items[i]);
		ice_jr__pop(&r);
		reqs->n = i + 1;
	}
	ice_json__free(root);
	if (rc) {
		ice_table_requirements_free(reqs);
		return rc;
	}
	*out = reqs;
	return 0;
}

static int conflict(const char *fmt, ...) ICE_PRINTF(1, 2);

static int conflict(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ice_error__vset(ICE_ECONFLICT, ICE_ERRCLASS_COMMIT, fmt, ap);
	va_end(ap);
	return ICE_ECONFLICT;
}

static int check_one(const requirement *q, const ice_table_metadata *md)
{
	if (q->kind == REQ_CREATE)
		return md ? conflict("requirement failed: the table already exists") : 0;
	if (!md)
		return conflict("requirement failed (%s): the table does not exist", req_types[q->kind]);
	switch (q->kind) {
	case REQ_TABLE_UUID: {
		uint8_t u[16];
		char canon[ICE_UUID_STRLEN + 1];
		if (!ice_uuid__parse(q->str, strlen(q->str), u))
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "assert-table-uuid: '%s' is not a UUID", q->str);
		ice_uuid__format(u, canon);
		if (!md->table_uuid || strcmp(md->table_uuid, canon) != 0)
			return conflict("requirement failed: table uuid is %s, expected %s",
			                md->table_uuid ? md->table_uuid : "(none)", canon);
		return 0;
	}
	case REQ_REF_SNAPSHOT_ID: {
		const ice_ref *ref = ice_table_metadata_ref(md, q->str);
		if (!q->has_num) {
			if (ref)
				return conflict("requirement failed: branch or tag '%s' was created concurrently", q->str);
			return 0;
		}
		if (!ref)
			return conflict("requirement failed: branch or tag '%s' is missing, expected %lld", q->str,
			                (long long)q->num);
		if (ref->snapshot_id != q->num)
			return conflict("requirement failed: %s '%s' has changed: expected id %lld != %lld",
			                ref->type == ICE_REF_BRANCH ? "branch" : "tag", q->str, (long long)q->num,
			                (long long)ref->snapshot_id);
		return 0;
	}
	case REQ_LAST_ASSIGNED_FIELD_ID:
		if (md->last_column_id != q->num)
			return conflict("requirement failed: last assigned field id changed: expected %lld != %d",
			                (long long)q->num, (int)md->last_column_id);
		return 0;
	case REQ_CURRENT_SCHEMA_ID:
		if (md->current_schema_id != q->num)
			return conflict("requirement failed: current schema changed: expected id %lld != %d", (long long)q->num,
			                (int)md->current_schema_id);
		return 0;
	case REQ_LAST_ASSIGNED_PARTITION_ID:
		if (md->last_partition_id != q->num)
			return conflict("requirement failed: last assigned partition id changed: expected %lld != %d",
			                (long long)q->num, (int)md->last_partition_id);
		return 0;
	case REQ_DEFAULT_SPEC_ID:
		if (md->default_spec_id != q->num)
			return conflict("requirement failed: default partition spec changed: expected id %lld != %d",
			                (long long)q->num, (int)md->default_spec_id);
		return 0;
	case REQ_DEFAULT_SORT_ORDER_ID:
		if (md->default_sort_order_id != q->num)
			return conflict("requirement failed: default sort order changed: expected id %lld != %d",
			                (long long)q->num, (int)md->default_sort_order_id);
		return 0;
	default:
		return 0;
	}
}

int ice_table_requirements_check(const ice_table_requirements *reqs, const ice_table_metadata *current)
{
	for (size_t i = 0; i < reqs->n; i++) {
		int rc = check_one(&reqs->items[i], current);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- requirements as JSON ---------------------------------------------------------- */

int ice_requirement__write(ice_json_writer *w, int kind, const char *str, bool has_value, int64_t value)
{
	if (kind < 0 || kind > REQ_DEFAULT_SORT_ORDER_ID)
		return ice_jw__fail(w, ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "unknown requirement kind %d",
		                                      kind));
	ice_json_begin_object(w);
	ice_json_key(w, "type");
	ice_json_string(w, req_types[kind]);
	switch ((req_kind)kind) {
	case REQ_CREATE:
		break;
	case REQ_TABLE_UUID:
		ice_json_key(w, "uuid");
		ice_json_string(w, str ? str : "");
		break;
	case REQ_REF_SNAPSHOT_ID:
		ice_json_key(w, "ref");
		ice_json_string(w, str ? str : "");
		ice_json_key(w, "snapshot-id");
		if (has_value)
			ice_json_int(w, value);
		else
			ice_json_null(w);
		break;
	default:
		ice_json_key(w, req_keys[kind]);
		ice_json_int(w, value);
		break;
	}
	return ice_json_end_object(w);
}

int ice_table_requirements__write_items(const ice_table_requirements *reqs, ice_json_writer *w)
{
	int rc = 0;
	for (size_t i = 0; reqs && i < reqs->n && !rc; i++) {
		const requirement *q = &reqs->items[i];
		rc = ice_requirement__write(w, (int)q->kind, q->str, q->has_num, q->num);
	}
	return rc;
}

bool ice_table_requirements__has(const ice_table_requirements *reqs, int kind, const char *str)
{
	for (size_t i = 0; reqs && i < reqs->n; i++) {
		const requirement *q = &reqs->items[i];
		if ((int)q->kind == kind && (kind != REQ_REF_SNAPSHOT_ID || (str && q->str && strcmp(q->str, str) == 0)))
			return true;
	}
	return false;
}
