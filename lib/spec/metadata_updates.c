/*
 * spec/metadata_updates.c - every REST TableUpdate applied to the builder's
 * working copy, validated as the spec and the reference implementation do:
 * schemas and their ids, partition specs and field-id reuse (spec "Partition
 * Evolution"), sort orders, snapshots with sequence numbers and row lineage
 * (spec "Row Lineage"), refs and the snapshot log, properties, statistics,
 * removals and encryption keys. A failed update changes nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "builder.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/strutil.h"
#include "util/uuid.h"

/* ---- updates ------------------------------------------------------------------------- */

int ice_metadata_builder_assign_uuid(ice_metadata_builder *b, const char *uuid)
{
	if (!b->md)
		return ice_builder__spent();
	uint8_t u[16];
	char canon[ICE_UUID_STRLEN + 1];
	recorder r;
	if (!uuid || !ice_uuid__parse(uuid, strlen(uuid), u))
		return ice_builder__fail(ICE_EINVALID, "assign-uuid: '%s' is not a UUID", uuid ? uuid : "(null)");
	ice_uuid__format(u, canon);
	if (b->md->table_uuid && strcmp(b->md->table_uuid, canon) == 0)
		return 0;
	if (b->base && b->base->table_uuid)
		return ice_builder__fail(ICE_EINVALID, "assign-uuid: the table already has uuid %s", b->base->table_uuid);
	if (!(b->md->table_uuid = ice_arena__strdup(&b->md->arena, canon)))
		return ICE_ERROR;
	ice_builder__rec_begin(&r, b, "assign-uuid");
	ice_json_key(&r.w, "uuid");
	ice_json_string(&r.w, canon);
	return ice_builder__rec_end(&r);
}

int ice_metadata_builder_upgrade_format_version(ice_metadata_builder *b, int v)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	recorder r;
	int rc;
	if (v > ICE_FORMAT_VERSION_MAX)
		return ice_builder__fail(ICE_EUNSUPPORTED, "upgrade-format-version: format version %d is not supported (max %d)", v,
		            ICE_FORMAT_VERSION_MAX);
	if (v < 1)
		return ice_builder__fail(ICE_EINVALID, "upgrade-format-version: invalid format version %d", v);
	if (v < md->format_version)
		return ice_builder__fail(ICE_EINVALID, "upgrade-format-version: cannot downgrade v%d to v%d", md->format_version, v);
	if (v == md->format_version && !b->creating)
		return 0;
	for (size_t i = 0; i < md->nschemas; i++)
		if ((rc = ice_schema__check_format_version(&md->schemas[i], v)) != 0)
			return rc;
	md->format_version = v;
	if (v >= 3 && !md->has_next_row_id) {
		/* Row lineage starts at 0 for upgraded tables. */
		md->has_next_row_id = true;
		md->next_row_id = 0;
	}
	ice_builder__rec_begin(&r, b, "upgrade-format-version");
	ice_json_key(&r.w, "format-version");
	ice_json_int(&r.w, v);
	return ice_builder__rec_end(&r);
}

int ice_metadata_builder_add_schema(ice_metadata_builder *b, const ice_schema *schema, int32_t *id_out)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	int32_t new_id = 0;
	recorder r;
	int rc;

	if ((rc = ice_schema__check_format_version(schema, md->format_version)) != 0)
		return rc;
	for (size_t i = 0; i < md->nschemas; i++) {
		if (ice_schema_same_structure(&md->schemas[i], schema)) {
			/* Reused: nothing changes, but it counts as "last added". */
			b->has_last_added_schema = true;
			b->new_schema = false;
			b->last_added_schema = md->schemas[i].schema_id;
			if (id_out)
				*id_out = md->schemas[i].schema_id;
			return 0;
		}
		if (md->schemas[i].schema_id >= new_id)
			new_id = md->schemas[i].schema_id + 1;
	}
	ice_schema *schemas = ice_builder__grow(&md->arena, md->schemas, md->nschemas, sizeof(ice_schema));
	if (!schemas)
		return ICE_ERROR;
	if ((rc = ice_schema__copy_into(&schemas[md->nschemas], &md->arena, schema)) != 0) {
		ice_schema__release(&schemas[md->nschemas]);
		return rc;
	}
	schemas[md->nschemas].schema_id = new_id;
	md->schemas = schemas;
	md->nschemas++;
	if (schema->highest_field_id > md->last_column_id)
		md->last_column_id = schema->highest_field_id;
	b->has_last_added_schema = true;
	b->new_schema = true;
	b->last_added_schema = new_id;
	if (id_out)
		*id_out = new_id;
	ice_builder__rec_begin(&r, b, "add-schema");
	ice_json_key(&r.w, "schema");
	ice_schema__write(&schemas[md->nschemas - 1], &r.w, true);
	return ice_builder__rec_end(&r);
}

/* Resolves -1 to the last added id; records the change with -1 when it was. */
static int set_current(ice_metadata_builder *b, const char *action, const char *key, int32_t id, bool has_last,
                       int32_t last, bool last_is_new, bool (*exists)(ice_table_metadata *, int32_t),
                       int32_t *target)
{
	recorder r;
	bool was_last = false;
	if (id == ICE_LAST_ADDED) {
		if (!has_last)
			return ice_builder__fail(ICE_EINVALID, "%s: -1 means the last added one, and none was added", action);
		id = last;
	}
	was_last = has_last && last_is_new && id == last;
	if (!exists(b->md, id))
		return ice_builder__fail(ICE_EINVALID, "%s: %d does not exist", action, (int)id);
	if (*target == id)
		return 0;
	*target = id;
	ice_builder__rec_begin(&r, b, action);
	ice_json_key(&r.w, key);
	ice_json_int(&r.w, was_last ? ICE_LAST_ADDED : id);
	return ice_builder__rec_end(&r);
}

static bool schema_exists(ice_table_metadata *md, int32_t id)
{
	return ice_table_metadata_schema_by_id(md, id) != NULL;
}

static bool spec_exists(ice_table_metadata *md, int32_t id)
{
	return ice_table_metadata_spec_by_id(md, id) != NULL;
}

static bool order_exists(ice_table_metadata *md, int32_t id)
{
	return ice_table_metadata_sort_order_by_id(md, id) != NULL;
}

int ice_metadata_builder_set_current_schema(ice_metadata_builder *b, int32_t id)
{
	if (!b->md)
		return ice_builder__spent();
	return set_current(b, "set-current-schema", "schema-id", id, b->has_last_added_schema, b->last_added_schema,
	                   b->new_schema, schema_exists, &b->md->current_schema_id);
}

int ice_metadata_builder_add_spec(ice_metadata_builder *b, const ice_partition_spec *spec, int32_t *id_out)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	const ice_schema *schema = ice_table_metadata_current_schema(md);
	int32_t new_id = 0, next_field = md->last_partition_id;
	ice_partition_spec fresh;
	recorder r;
	int rc;

	/* An unpartitioned spec binds to nothing: a create may add it before it
	 * sets the current schema (DuckDB does; Java's builder accepts it). */
	if (!schema && spec->nfields)
		return ice_builder__fail(ICE_EINVALID, "add-spec: the table has no current schema");
	for (size_t i = 0; i < spec->nfields; i++)
		if (spec->fields[i].transform.kind == ICE_TRANSFORM_UNKNOWN)
			return ice_builder__fail(ICE_EINVALID, "add-spec: unknown transform '%s'", spec->fields[i].transform.name);
	if (spec->nfields && (rc = ice_partition_spec_validate(spec, schema)) != 0)
		return ice_error__prefix("add-spec");
	for (size_t i = 0; i < md->nspecs; i++) {
		if (ice_partition_spec_equivalent(&md->specs[i], spec, false)) {
			b->has_last_added_spec = true;
			b->new_spec = false;
			b->last_added_spec = md->specs[i].spec_id;
			if (id_out)
				*id_out = md->specs[i].spec_id;
			return 0;
		}
		if (md->specs[i].spec_id >= new_id)
			new_id = md->specs[i].spec_id + 1;
	}
	if ((rc = ice_partition_spec__copy_into(&fresh, &md->arena, spec)) != 0)
		return rc;
	fresh.spec_id = new_id;
	/* Assign missing field ids: v1 counts from 1000 within the spec; later
	 * versions reuse the id of an equivalent field of an earlier spec, or
	 * take the next unused one. */
	for (size_t i = 0; i < fresh.nfields; i++) {
		ice_partition_field *f = (ice_partition_field *)&fresh.fields[i];
		if (md->format_version == 1) {
			if (f->field_id == ICE_UNASSIGNED_FIELD_ID)
				f->field_id = ICE_PARTITION_DATA_ID_START + (int32_t)i;
			else if (f->field_id != ICE_PARTITION_DATA_ID_START + (int32_t)i)
				return ice_builder__fail(ICE_EINVALID, "add-spec: v1 partition field ids must be sequential from %d",
				            ICE_PARTITION_DATA_ID_START);
			continue;
		}
		if (f->field_id != ICE_UNASSIGNED_FIELD_ID)
			continue;
		for (size_t s = 0; s < md->nspecs && f->field_id == ICE_UNASSIGNED_FIELD_ID; s++)
			for (size_t k = 0; k < md->specs[s].nfields; k++) {
				const ice_partition_field *old = &md->specs[s].fields[k];
				if (ice_transform_equal(&old->transform, &f->transform) && old->n_source_ids == f->n_source_ids &&
				    memcmp(old->source_ids, f->source_ids, f->n_source_ids * sizeof(int32_t)) == 0) {
					f->field_id = old->field_id;
					break;
				}
			}
		if (f->field_id == ICE_UNASSIGNED_FIELD_ID)
			f->field_id = ++next_field;
	}
	for (size_t i = 0; i < fresh.nfields; i++)
		for (size_t j = 0; j < i; j++)
			if (fresh.fields[i].field_id == fresh.fields[j].field_id)
				return ice_builder__fail(ICE_EINVALID, "add-spec: partition field id %d is used twice",
				            (int)fresh.fields[i].field_id);
	ice_partition_spec *specs = ice_builder__grow(&md->arena, md->specs, md->nspecs, sizeof(ice_partition_spec));
	if (!specs)
		return ICE_ERROR;
	specs[md->nspecs] = fresh;
	md->specs = specs;
	md->nspecs++;
	int32_t last = ice_partition_spec_last_field_id(&fresh);
	if (last > md->last_partition_id)
		md->last_partition_id = last;
	b->has_last_added_spec = true;
	b->new_spec = true;
	b->last_added_spec = new_id;
	if (id_out)
		*id_out = new_id;
	ice_builder__rec_begin(&r, b, "add-spec");
	ice_json_key(&r.w, "spec");
	ice_partition_spec_write_json(&fresh, &r.w);
	return ice_builder__rec_end(&r);
}

int ice_metadata_builder_set_default_spec(ice_metadata_builder *b, int32_t id)
{
	if (!b->md)
		return ice_builder__spent();
	return set_current(b, "set-default-spec", "spec-id", id, b->has_last_added_spec, b->last_added_spec,
	                   b->new_spec, spec_exists, &b->md->default_spec_id);
}

int ice_metadata_builder_add_sort_order(ice_metadata_builder *b, const ice_sort_order *order, int32_t *id_out)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	const ice_schema *schema = ice_table_metadata_current_schema(md);
	int32_t new_id = 1;
	ice_sort_order fresh;
	recorder r;
	int rc;

	if (order->nfields && !schema)
		return ice_builder__fail(ICE_EINVALID, "add-sort-order: the table has no current schema");
	if (order->nfields && (rc = ice_sort_order_validate(order, schema)) != 0)
		return ice_error__prefix("add-sort-order");
	for (size_t i = 0; i < md->nsort_orders; i++) {
		if (ice_sort_order_same_fields(&md->sort_orders[i], order)) {
			b->has_last_added_order = true;
			b->new_order = false;
			b->last_added_order = md->sort_orders[i].order_id;
			if (id_out)
				*id_out = md->sort_orders[i].order_id;
			return 0;
		}
		if (md->sort_orders[i].order_id >= new_id)
			new_id = md->sort_orders[i].order_id + 1;
	}
	if (order->nfields == 0)
		new_id = 0; /* the unsorted order is always 0 */
	if ((rc = ice_sort_order__copy_into(&fresh, &md->arena, order)) != 0)
		return rc;
	fresh.order_id = new_id;
	ice_sort_order *orders = ice_builder__grow(&md->arena, md->sort_orders, md->nsort_orders, sizeof(ice_sort_order));
	if (!orders)
		return ICE_ERROR;
	orders[md->nsort_orders] = fresh;
	md->sort_orders = orders;
	md->nsort_orders++;
	b->has_last_added_order = true;
	b->new_order = true;
	b->last_added_order = new_id;
	if (id_out)
		*id_out = new_id;
	ice_builder__rec_begin(&r, b, "add-sort-order");
	ice_json_key(&r.w, "sort-order");
	ice_sort_order_write_json(&fresh, &r.w);
	return ice_builder__rec_end(&r);
}

int ice_metadata_builder_set_default_sort_order(ice_metadata_builder *b, int32_t id)
{
	if (!b->md)
		return ice_builder__spent();
	return set_current(b, "set-default-sort-order", "sort-order-id", id, b->has_last_added_order,
	                   b->last_added_order, b->new_order, order_exists, &b->md->default_sort_order_id);
}

int ice_metadata_builder_add_snapshot(ice_metadata_builder *b, const ice_snapshot *s)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	recorder r;
	int rc;

	if (ice_builder__find_snapshot(md, s->snapshot_id))
		return ice_builder__fail(ICE_EINVALID, "add-snapshot: snapshot %lld already exists", (long long)s->snapshot_id);
	if (!s->manifest_list && md->format_version >= 2)
		return ice_builder__fail(ICE_EINVALID, "add-snapshot: snapshot %lld has no manifest list", (long long)s->snapshot_id);
	if (md->format_version >= 2 && s->sequence_number <= md->last_sequence_number && s->has_parent)
		return ice_builder__fail(ICE_EINVALID,
		            "add-snapshot: sequence number %lld is not above the table's last sequence number %lld",
		            (long long)s->sequence_number, (long long)md->last_sequence_number);
	if (md->format_version >= 3) {
		if (!s->has_first_row_id || !s->has_added_rows)
			return ice_builder__fail(ICE_EINVALID, "add-snapshot: v3 snapshots need first-row-id and added-rows");
		if (s->first_row_id < md->next_row_id)
			return ice_builder__fail(ICE_EINVALID, "add-snapshot: first-row-id %lld is behind the table's next-row-id %lld",
			            (long long)s->first_row_id, (long long)md->next_row_id);
		if (s->added_rows < 0)
			return ice_builder__fail(ICE_EINVALID, "add-snapshot: added-rows must not be negative");
	}
	if (!s->operation && md->format_version >= 2)
		return ice_builder__fail(ICE_EINVALID, "add-snapshot: the summary needs an operation");
	ice_snapshot *snaps = ice_builder__grow(&md->arena, md->snapshots, md->nsnapshots, sizeof(ice_snapshot));
	int64_t *added = ice__reallocarray(b->added_snapshots, b->nadded_snapshots + 1, sizeof(int64_t));
	if (!snaps || !added) {
		if (added)
			b->added_snapshots = added;
		return ICE_ERROR;
	}
	b->added_snapshots = added;
	if ((rc = ice_snapshot__copy(&snaps[md->nsnapshots], &md->arena, s)) != 0)
		return rc;
	if (md->format_version < 2)
		snaps[md->nsnapshots].sequence_number = 0;
	md->snapshots = snaps;
	md->nsnapshots++;
	added[b->nadded_snapshots++] = s->snapshot_id;
	if (md->format_version >= 2 && s->sequence_number > md->last_sequence_number)
		md->last_sequence_number = s->sequence_number;
	if (md->format_version >= 3)
		md->next_row_id = s->first_row_id + s->added_rows;
	/* last-updated-ms is the time of the commit (build), not the snapshot's
	 * own timestamp, as the reference builder has it: a writer whose clock
	 * runs behind must not make the metadata older than its log. */
	ice_builder__rec_begin(&r, b, "add-snapshot");
	ice_json_key(&r.w, "snapshot");
	ice_snapshot__write(&snaps[md->nsnapshots - 1], &r.w, md->format_version);
	return ice_builder__rec_end(&r);
}

static bool refs_same(const ice_ref *a, const ice_ref *b)
{
	return a->snapshot_id == b->snapshot_id && a->type == b->type &&
	       a->has_min_snapshots_to_keep == b->has_min_snapshots_to_keep &&
	       (!a->has_min_snapshots_to_keep || a->min_snapshots_to_keep == b->min_snapshots_to_keep) &&
	       a->has_max_snapshot_age_ms == b->has_max_snapshot_age_ms &&
	       (!a->has_max_snapshot_age_ms || a->max_snapshot_age_ms == b->max_snapshot_age_ms) &&
	       a->has_max_ref_age_ms == b->has_max_ref_age_ms && (!a->has_max_ref_age_ms || a->max_ref_age_ms == b->max_ref_age_ms);
}

int ice_metadata_builder_set_ref(ice_metadata_builder *b, const char *name, const ice_ref *ref)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	ice_snapshot *snap = ice_builder__find_snapshot(md, ref->snapshot_id);
	ice_ref *existing = ice_builder__find_ref(md, name);
	recorder r;

	if (!name || !*name)
		return ice_builder__fail(ICE_EINVALID, "set-snapshot-ref: a ref needs a name");
	if (!snap)
		return ice_builder__fail(ICE_EINVALID, "set-snapshot-ref: ref '%s' points to unknown snapshot %lld", name,
		            (long long)ref->snapshot_id);
	if (ref->type == ICE_REF_TAG && (ref->has_min_snapshots_to_keep || ref->has_max_snapshot_age_ms))
		return ice_builder__fail(ICE_EINVALID, "set-snapshot-ref: tag '%s' cannot have branch retention settings", name);
	if ((ref->has_min_snapshots_to_keep && ref->min_snapshots_to_keep <= 0) ||
	    (ref->has_max_snapshot_age_ms && ref->max_snapshot_age_ms <= 0) ||
	    (ref->has_max_ref_age_ms && ref->max_ref_age_ms <= 0))
		return ice_builder__fail(ICE_EINVALID, "set-snapshot-ref: retention settings of '%s' must be positive", name);
	if (strcmp(name, "main") == 0 && ref->type != ICE_REF_BRANCH)
		return ice_builder__fail(ICE_EINVALID, "set-snapshot-ref: 'main' must be a branch");
	if (existing && refs_same(existing, ref))
		return 0;
	if (!existing) {
		ice_ref *refs = ice_builder__grow(&md->arena, md->refs, md->nrefs, sizeof(ice_ref));
		if (!refs)
			return ICE_ERROR;
		md->refs = refs;
		existing = &refs[md->nrefs++];
		if (!(existing->name = ice_arena__strdup(&md->arena, name))) {
			md->nrefs--;
			return ICE_ERROR;
		}
	}
	const char *kept_name = existing->name;
	*existing = *ref;
	existing->name = kept_name;
	if (strcmp(name, "main") == 0) {
		int64_t ts = ice_builder__was_added(b, snap->snapshot_id) ? snap->timestamp_ms : ice_builder__now(b);
		ice_snapshot_log_entry *log = ice_builder__grow(&md->arena, md->snapshot_log, md->nsnapshot_log, sizeof(*log));
		if (!log)
			return ICE_ERROR;
		log[md->nsnapshot_log].timestamp_ms = ts;
		log[md->nsnapshot_log].snapshot_id = snap->snapshot_id;
		md->snapshot_log = log;
		md->nsnapshot_log++;
		md->has_current_snapshot = true;
		md->current_snapshot_id = snap->snapshot_id;
	}
	ice_builder__rec_begin(&r, b, "set-snapshot-ref");
	ice_json_key(&r.w, "ref-name");
	ice_json_string(&r.w, name);
	ice_json_key(&r.w, "snapshot-id");
	ice_json_int(&r.w, ref->snapshot_id);
	ice_json_key(&r.w, "type");
	ice_json_string(&r.w, ref->type == ICE_REF_BRANCH ? "branch" : "tag");
	if (ref->has_min_snapshots_to_keep) {
		ice_json_key(&r.w, "min-snapshots-to-keep");
		ice_json_int(&r.w, ref->min_snapshots_to_keep);
	}
	if (ref->has_max_snapshot_age_ms) {
		ice_json_key(&r.w, "max-snapshot-age-ms");
		ice_json_int(&r.w, ref->max_snapshot_age_ms);
	}
	if (ref->has_max_ref_age_ms) {
		ice_json_key(&r.w, "max-ref-age-ms");
		ice_json_int(&r.w, ref->max_ref_age_ms);
	}
	return ice_builder__rec_end(&r);
}

static void drop_ref(ice_table_metadata *md, size_t i)
{
	if (strcmp(md->refs[i].name, "main") == 0)
		md->has_current_snapshot = false;
	memmove(&md->refs[i], &md->refs[i + 1], (md->nrefs - i - 1) * sizeof(ice_ref));
	md->nrefs--;
}

int ice_metadata_builder_remove_ref(ice_metadata_builder *b, const char *name)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	recorder r;
	for (size_t i = 0; i < md->nrefs; i++) {
		if (strcmp(md->refs[i].name, name) == 0) {
			drop_ref(md, i);
			ice_builder__rec_begin(&r, b, "remove-snapshot-ref");
			ice_json_key(&r.w, "ref-name");
			ice_json_string(&r.w, name);
			return ice_builder__rec_end(&r);
		}
	}
	return 0;
}

int ice_metadata_builder_remove_snapshots(ice_metadata_builder *b, const int64_t *ids, size_t n)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	recorder r;
	size_t removed = 0;
	ice_builder__rec_begin(&r, b, "remove-snapshots");
	ice_json_key(&r.w, "snapshot-ids");
	ice_json_begin_array(&r.w);
	for (size_t k = 0; k < n; k++) {
		ice_snapshot *s = ice_builder__find_snapshot(md, ids[k]);
		if (!s)
			continue;
		size_t i = (size_t)(s - md->snapshots);
		memmove(&md->snapshots[i], &md->snapshots[i + 1], (md->nsnapshots - i - 1) * sizeof(ice_snapshot));
		md->nsnapshots--;
		/* Refs, statistics and partition statistics of the snapshot go too. */
		for (size_t j = md->nrefs; j-- > 0;)
			if (md->refs[j].snapshot_id == ids[k])
				drop_ref(md, j);
		for (size_t j = md->nstatistics; j-- > 0;)
			if (md->statistics[j].snapshot_id == ids[k]) {
				memmove(&md->statistics[j], &md->statistics[j + 1],
				        (md->nstatistics - j - 1) * sizeof(ice_statistics_file));
				md->nstatistics--;
			}
		for (size_t j = md->npartition_statistics; j-- > 0;)
			if (md->partition_statistics[j].snapshot_id == ids[k]) {
				memmove(&md->partition_statistics[j], &md->partition_statistics[j + 1],
				        (md->npartition_statistics - j - 1) * sizeof(ice_partition_statistics_file));
				md->npartition_statistics--;
			}
		ice_json_int(&r.w, ids[k]);
		removed++;
	}
	ice_json_end_array(&r.w);
	if (!removed) {
		ice_jw__free(&r.w);
		return 0;
	}
	b->removed_snapshots = true;
	return ice_builder__rec_end(&r);
}

int ice_metadata_builder_set_location(ice_metadata_builder *b, const char *location)
{
	if (!b->md)
		return ice_builder__spent();
	recorder r;
	if (!location || !*location)
		return ice_builder__fail(ICE_EINVALID, "set-location: the location is empty");
	if (b->md->location && strcmp(b->md->location, location) == 0)
		return 0;
	if (!(b->md->location = ice_arena__strdup(&b->md->arena, location)))
		return ICE_ERROR;
	ice_builder__rec_begin(&r, b, "set-location");
	ice_json_key(&r.w, "location");
	ice_json_string(&r.w, location);
	return ice_builder__rec_end(&r);
}

int ice_metadata_builder_set_properties(ice_metadata_builder *b, const ice_properties *updates)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	recorder r;
	if (!updates->n)
		return 0;
	ice_property *items = ice_arena__allocarray(&md->arena, md->properties.n + updates->n, sizeof(ice_property));
	if (!items)
		return ICE_ERROR;
	size_t n = md->properties.n;
	if (n)
		memcpy(items, md->properties.items, n * sizeof(ice_property));
	for (size_t i = 0; i < updates->n; i++) {
		const char *k = ice_arena__strdup(&md->arena, updates->items[i].key);
		const char *v = ice_arena__strdup(&md->arena, updates->items[i].value);
		size_t j;
		if (!k || !v)
			return ICE_ERROR;
		for (j = 0; j < n && strcmp(items[j].key, k) != 0; j++)
			;
		items[j].key = k;
		items[j].value = v;
		if (j == n)
			n++;
	}
	md->properties.items = items;
	md->properties.n = n;
	ice_builder__rec_begin(&r, b, "set-properties");
	ice_json_key(&r.w, "updates");
	ice_properties__write(updates, &r.w);
	return ice_builder__rec_end(&r);
}

int ice_metadata_builder_remove_properties(ice_metadata_builder *b, const char *const *keys, size_t n)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	ice_property *items = (ice_property *)md->properties.items;
	recorder r;
	if (!n)
		return 0;
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < md->properties.n; i++)
			if (strcmp(items[i].key, keys[k]) == 0) {
				memmove(&items[i], &items[i + 1], (md->properties.n - i - 1) * sizeof(ice_property));
				md->properties.n--;
				break;
			}
	ice_builder__rec_begin(&r, b, "remove-properties");
	ice_json_key(&r.w, "removals");
	ice_json_begin_array(&r.w);
	for (size_t k = 0; k < n; k++)
		ice_json_string(&r.w, keys[k]);
	ice_json_end_array(&r.w);
	return ice_builder__rec_end(&r);
}

int ice_metadata_builder_set_statistics(ice_metadata_builder *b, const ice_statistics_file *stats)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	ice_statistics_file copy;
	recorder r;
	size_t i;
	if (ice_statistics__copy(&copy, &md->arena, stats))
		return ICE_ERROR;
	for (i = 0; i < md->nstatistics && md->statistics[i].snapshot_id != stats->snapshot_id; i++)
		;
	if (i == md->nstatistics) {
		ice_statistics_file *arr = ice_builder__grow(&md->arena, md->statistics, md->nstatistics, sizeof(*arr));
		if (!arr)
			return ICE_ERROR;
		md->statistics = arr;
		md->nstatistics++;
	}
	md->statistics[i] = copy;
	ice_builder__rec_begin(&r, b, "set-statistics");
	ice_json_key(&r.w, "statistics");
	ice_statistics__write(&copy, &r.w);
	return ice_builder__rec_end(&r);
}

int ice_metadata_builder_remove_statistics(ice_metadata_builder *b, int64_t snapshot_id)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	recorder r;
	for (size_t i = 0; i < md->nstatistics; i++) {
		if (md->statistics[i].snapshot_id != snapshot_id)
			continue;
		memmove(&md->statistics[i], &md->statistics[i + 1], (md->nstatistics - i - 1) * sizeof(ice_statistics_file));
		md->nstatistics--;
		ice_builder__rec_begin(&r, b, "remove-statistics");
		ice_json_key(&r.w, "snapshot-id");
		ice_json_int(&r.w, snapshot_id);
		return ice_builder__rec_end(&r);
	}
	return 0;
}

int ice_metadata_builder_set_partition_statistics(ice_metadata_builder *b, const ice_partition_statistics_file *stats)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	recorder r;
	size_t i;
	const char *path = ice_arena__strdup(&md->arena, stats->statistics_path);
	if (!path)
		return ICE_ERROR;
	for (i = 0; i < md->npartition_statistics && md->partition_statistics[i].snapshot_id != stats->snapshot_id; i++)
		;
	if (i == md->npartition_statistics) {
		ice_partition_statistics_file *arr =
		    ice_builder__grow(&md->arena, md->partition_statistics, md->npartition_statistics, sizeof(*arr));
		if (!arr)
			return ICE_ERROR;
		md->partition_statistics = arr;
		md->npartition_statistics++;
	}
	md->partition_statistics[i] = *stats;
	md->partition_statistics[i].statistics_path = path;
	ice_builder__rec_begin(&r, b, "set-partition-statistics");
	ice_json_key(&r.w, "partition-statistics");
	ice_partition_statistics__write(&md->partition_statistics[i], &r.w);
	return ice_builder__rec_end(&r);
}

int ice_metadata_builder_remove_partition_statistics(ice_metadata_builder *b, int64_t snapshot_id)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	recorder r;
	for (size_t i = 0; i < md->npartition_statistics; i++) {
		if (md->partition_statistics[i].snapshot_id != snapshot_id)
			continue;
		memmove(&md->partition_statistics[i], &md->partition_statistics[i + 1],
		        (md->npartition_statistics - i - 1) * sizeof(ice_partition_statistics_file));
		md->npartition_statistics--;
		ice_builder__rec_begin(&r, b, "remove-partition-statistics");
		ice_json_key(&r.w, "snapshot-id");
		ice_json_int(&r.w, snapshot_id);
		return ice_builder__rec_end(&r);
	}
	return 0;
}

int ice_metadata_builder_remove_specs(ice_metadata_builder *b, const int32_t *ids, size_t n)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	recorder r;
	size_t removed = 0;
	for (size_t k = 0; k < n; k++)
		if (ids[k] == md->default_spec_id)
			return ice_builder__fail(ICE_EINVALID, "remove-partition-specs: cannot remove the default spec %d", (int)ids[k]);
	ice_builder__rec_begin(&r, b, "remove-partition-specs");
	ice_json_key(&r.w, "spec-ids");
	ice_json_begin_array(&r.w);
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < md->nspecs; i++)
			if (md->specs[i].spec_id == ids[k]) {
				memmove(&md->specs[i], &md->specs[i + 1], (md->nspecs - i - 1) * sizeof(ice_partition_spec));
				md->nspecs--;
				ice_json_int(&r.w, ids[k]);
				removed++;
				break;
			}
	ice_json_end_array(&r.w);
	if (!removed) {
		ice_jw__free(&r.w);
		return 0;
	}
	return ice_builder__rec_end(&r);
}

int ice_metadata_builder_remove_schemas(ice_metadata_builder *b, const int32_t *ids, size_t n)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	recorder r;
	size_t removed = 0;
	for (size_t k = 0; k < n; k++)
		if (ids[k] == md->current_schema_id)
			return ice_builder__fail(ICE_EINVALID, "remove-schemas: cannot remove the current schema %d", (int)ids[k]);
	ice_builder__rec_begin(&r, b, "remove-schemas");
	ice_json_key(&r.w, "schema-ids");
	ice_json_begin_array(&r.w);
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < md->nschemas; i++)
			if (md->schemas[i].schema_id == ids[k]) {
				ice_schema__release(&md->schemas[i]);
				memmove(&md->schemas[i], &md->schemas[i + 1], (md->nschemas - i - 1) * sizeof(ice_schema));
				md->nschemas--;
				ice_json_int(&r.w, ids[k]);
				removed++;
				break;
			}
	ice_json_end_array(&r.w);
	if (!removed) {
		ice_jw__free(&r.w);
		return 0;
	}
	return ice_builder__rec_end(&r);
}

int ice_metadata_builder_add_encryption_key(ice_metadata_builder *b, const ice_encryption_key *key)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	recorder r;
	if (md->format_version < 3)
		return ice_builder__fail(ICE_EINVALID, "add-encryption-key: encryption keys need format version 3");
	if (!key->key_id || !key->encrypted_key_metadata)
		return ice_builder__fail(ICE_EINVALID, "add-encryption-key: a key needs key-id and encrypted-key-metadata");
	for (size_t i = 0; i < md->nencryption_keys; i++)
		if (strcmp(md->encryption_keys[i].key_id, key->key_id) == 0)
			return ice_builder__fail(ICE_EINVALID, "add-encryption-key: key '%s' already exists", key->key_id);
	ice_encryption_key *keys = ice_builder__grow(&md->arena, md->encryption_keys, md->nencryption_keys, sizeof(*keys));
	if (!keys || ice_encryption_key__copy(&keys[md->nencryption_keys], &md->arena, key))
		return ICE_ERROR;
	md->encryption_keys = keys;
	md->nencryption_keys++;
	ice_builder__rec_begin(&r, b, "add-encryption-key");
	ice_json_key(&r.w, "encryption-key");
	ice_encryption_key__write(key, &r.w);
	return ice_builder__rec_end(&r);
}

int ice_metadata_builder_remove_encryption_key(ice_metadata_builder *b, const char *key_id)
{
	if (!b->md)
		return ice_builder__spent();
	ice_table_metadata *md = b->md;
	recorder r;
	for (size_t i = 0; i < md->nencryption_keys; i++) {
		if (strcmp(md->encryption_keys[i].key_id, key_id) != 0)
			continue;
		memmove(&md->encryption_keys[i], &md->encryption_keys[i + 1],
		        (md->nencryption_keys - i - 1) * sizeof(ice_encryption_key));
		md->nencryption_keys--;
		ice_builder__rec_begin(&r, b, "remove-encryption-key");
		ice_json_key(&r.w, "key-id");
		ice_json_string(&r.w, key_id);
		return ice_builder__rec_end(&r);
	}
	return 0;
}
