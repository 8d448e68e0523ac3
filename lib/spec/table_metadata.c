/*
 * spec/table_metadata.c - the immutable table metadata object: lifetime,
 * indexes and cross-reference validation (spec "Table Metadata"), accessors,
 * time travel by snapshot log, and deep equality.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "util/alloc.h"
#include "util/error.h"

#define ONE_MINUTE_MS 60000

ice_table_metadata *ice_table_metadata__alloc(void)
{
	ice_table_metadata *md = ice__calloc(1, sizeof(*md));
	if (!md)
		return NULL;
	ice_arena__init(&md->arena, 16384);
	ice_map__init(&md->snapshot_by_id, false);
	return md;
}

void ice_table_metadata_free(ice_table_metadata *md)
{
	if (!md)
		return;
	for (size_t i = 0; i < md->nschemas; i++)
		ice_schema__release(&md->schemas[i]);
	ice_map__free(&md->snapshot_by_id);
	ice_arena__free(&md->arena);
	ice__free(md);
}

static int invalid(ice_jr *r, const char *fmt, ...) ICE_PRINTF(2, 3);

static int invalid(ice_jr *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r)
		return ice_jr__error(r, ICE_EINVALID, "%s", msg);
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA, "%s", msg);
}

static int ref_by_name(const void *a, const void *b)
{
	return strcmp(((const ice_ref *)a)->name, ((const ice_ref *)b)->name);
}

int ice_table_metadata__finish(ice_table_metadata *md, ice_jr *r)
{
	const ice_ref *main_ref = NULL;

	if (md->format_version < 1 || md->format_version > ICE_FORMAT_VERSION_MAX)
		return invalid(r, "unsupported format version %lld", (long long)(md->format_version));
	if (md->format_version >= 2 && !md->table_uuid)
		return invalid(r, "table-uuid is required in format v%lld", (long long)(md->format_version));
	if (md->format_version == 1 && md->last_sequence_number != 0)
		return invalid(r, "last-sequence-number must be 0 in v1, found %lld", (long long)(md->last_sequence_number));

	/* schemas, specs and sort orders: unique ids, defaults exist */
	for (size_t i = 0; i < md->nschemas; i++)
		for (size_t j = 0; j < i; j++)
			if (md->schemas[i].schema_id == md->schemas[j].schema_id)
				return invalid(r, "duplicate schema id %lld", (long long)(md->schemas[i].schema_id));
	if (!ice_table_metadata_schema_by_id(md, md->current_schema_id))
		return invalid(r, "current schema %lld not found in schemas", (long long)(md->current_schema_id));
	if (md->nspecs == 0)
		return invalid(r, "no partition specs");
	for (size_t i = 0; i < md->nspecs; i++)
		for (size_t j = 0; j < i; j++)
			if (md->specs[i].spec_id == md->specs[j].spec_id)
				return invalid(r, "duplicate partition spec id %lld", (long long)(md->specs[i].spec_id));
	if (!ice_table_metadata_spec_by_id(md, md->default_spec_id))
		return invalid(r, "default partition spec %lld not found", (long long)(md->default_spec_id));
	for (size_t i = 0; i < md->nspecs; i++) {
		int32_t last = ice_partition_spec_last_field_id(&md->specs[i]);
		if (md->format_version >= 2 && last > md->last_partition_id)
			return invalid(r, "partition field id %lld is above last-partition-id %lld", (long long)(last), (long long)(md->last_partition_id));
	}
	if (md->nsort_orders == 0)
		return invalid(r, "no sort orders");
	for (size_t i = 0; i < md->nsort_orders; i++)
		for (size_t j = 0; j < i; j++)
			if (md->sort_orders[i].order_id == md->sort_orders[j].order_id)
				return invalid(r, "duplicate sort order id %lld", (long long)(md->sort_orders[i].order_id));
	if (!ice_table_metadata_sort_order_by_id(md, md->default_sort_order_id))
		return invalid(r, "default sort order %lld not found", (long long)(md->default_sort_order_id));

	/* snapshots: unique ids, sequence numbers within the table's */
	ice_map__free(&md->snapshot_by_id);
	ice_map__init(&md->snapshot_by_id, false);
	if (ice_map__reserve(&md->snapshot_by_id, md->nsnapshots))
		return ICE_ERROR;
	for (size_t i = 0; i < md->nsnapshots; i++) {
		ice_snapshot *s = &md->snapshots[i];
		if (ice_map__get_int(&md->snapshot_by_id, s->snapshot_id, NULL))
			return invalid(r, "duplicate snapshot id %lld", (long long)(s->snapshot_id));
		if (ice_map__put_int(&md->snapshot_by_id, s->snapshot_id, s))
			return ICE_ERROR;
		if (md->format_version >= 2 && s->sequence_number > md->last_sequence_number)
			return invalid(r, "snapshot sequence number %lld is above last-sequence-number %lld", (long long)(s->sequence_number), (long long)(md->last_sequence_number));
	}
	if (md->has_current_snapshot && !ice_map__get_int(&md->snapshot_by_id, md->current_snapshot_id, NULL))
		return invalid(r, "current snapshot %lld not found in snapshots", (long long)(md->current_snapshot_id));

	/* refs: point at snapshots; main agrees with current-snapshot-id */
	for (size_t i = 0; i < md->nrefs; i++) {
		if (!ice_map__get_int(&md->snapshot_by_id, md->refs[i].snapshot_id, NULL)) {
			if (r)
				return ice_jr__error(r, ICE_EINVALID, "ref '%s' points to unknown snapshot %lld",
				                     md->refs[i].name, (long long)md->refs[i].snapshot_id);
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA, "ref '%s' points to unknown snapshot %lld",
			                      md->refs[i].name, (long long)md->refs[i].snapshot_id);
		}
		if (strcmp(md->refs[i].name, "main") == 0)
			main_ref = &md->refs[i];
	}
	if (main_ref) {
		if (main_ref->type != ICE_REF_BRANCH)
			return invalid(r, "'main' must be a branch");
		if (!md->has_current_snapshot)
			return invalid(r, "current snapshot is not set, but branch main points to %lld", (long long)main_ref->snapshot_id);
		if (main_ref->snapshot_id != md->current_snapshot_id)
			return invalid(r, "current snapshot %lld does not match branch main (%lld)", (long long)(md->current_snapshot_id), (long long)(main_ref->snapshot_id));
	} else if (md->has_current_snapshot) {
		/* There is always a main branch for the current snapshot. */
		ice_ref *refs = ice_arena__allocarray(&md->arena, md->nrefs + 1, sizeof(ice_ref));
		if (!refs)
			return ICE_ERROR;
		if (md->nrefs)
			memcpy(refs, md->refs, md->nrefs * sizeof(ice_ref));
		memset(&refs[md->nrefs], 0, sizeof(ice_ref));
		refs[md->nrefs].name = "main";
		refs[md->nrefs].type = ICE_REF_BRANCH;
		refs[md->nrefs].snapshot_id = md->current_snapshot_id;
		md->refs = refs;
		md->nrefs++;
	}
	if (md->nrefs > 1)
		qsort(md->refs, md->nrefs, sizeof(ice_ref), ref_by_name);

	/* logs are in time order (one minute of clock skew tolerated) */
	for (size_t i = 1; i < md->nsnapshot_log; i++)
		if (md->snapshot_log[i].timestamp_ms - md->snapshot_log[i - 1].timestamp_ms < -ONE_MINUTE_MS)
			return invalid(r, "snapshot-log is not in time order at entry %lld", (long long)i);
	if (md->nsnapshot_log &&
	    md->last_updated_ms - md->snapshot_log[md->nsnapshot_log - 1].timestamp_ms < -ONE_MINUTE_MS)
		return invalid(r, "last-updated-ms %lld is before the last snapshot-log entry %lld", (long long)(md->last_updated_ms), (long long)(md->snapshot_log[md->nsnapshot_log - 1].timestamp_ms));
	for (size_t i = 1; i < md->nmetadata_log; i++)
		if (md->metadata_log[i].timestamp_ms - md->metadata_log[i - 1].timestamp_ms < -ONE_MINUTE_MS)
			return invalid(r, "metadata-log is not in time order at entry %lld", (long long)i);
	if (md->nmetadata_log &&
	    md->last_updated_ms - md->metadata_log[md->nmetadata_log - 1].timestamp_ms < -ONE_MINUTE_MS)
		return invalid(r, "last-updated-ms %lld is before the last metadata-log entry %lld", (long long)(md->last_updated_ms), (long long)(md->metadata_log[md->nmetadata_log - 1].timestamp_ms));

	return 0;
}

/* ---- accessors ------------------------------------------------------------- */

int ice_table_metadata_format_version(const ice_table_metadata *md) { return md->format_version; }
const char *ice_table_metadata_uuid(const ice_table_metadata *md) { return md->table_uuid; }
const char *ice_table_metadata_location(const ice_table_metadata *md) { return md->location; }
int64_t ice_table_metadata_last_sequence_number(const ice_table_metadata *md) { return md->last_sequence_number; }
int64_t ice_table_metadata_last_updated_ms(const ice_table_metadata *md) { return md->last_updated_ms; }
int32_t ice_table_metadata_last_column_id(const ice_table_metadata *md) { return md->last_column_id; }
int32_t ice_table_metadata_last_partition_id(const ice_table_metadata *md) { return md->last_partition_id; }
const ice_properties *ice_table_metadata_properties(const ice_table_metadata *md) { return &md->properties; }

bool ice_table_metadata_next_row_id(const ice_table_metadata *md, int64_t *out)
{
	if (md->has_next_row_id && out)
		*out = md->next_row_id;
	return md->has_next_row_id;
}

const char *ice_table_metadata_property(const ice_table_metadata *md, const char *key, const char *fallback)
{
	const char *v = ice_properties_get(&md->properties, key);
	return v ? v : fallback;
}

size_t ice_table_metadata_schema_count(const ice_table_metadata *md) { return md->nschemas; }

const ice_schema *ice_table_metadata_schema_at(const ice_table_metadata *md, size_t i)
{
	return i < md->nschemas ? &md->schemas[i] : NULL;
}

const ice_schema *ice_table_metadata_schema_by_id(const ice_table_metadata *md, int32_t id)
{
	for (size_t i = 0; i < md->nschemas; i++)
		if (md->schemas[i].schema_id == id)
			return &md->schemas[i];
	return NULL;
}

const ice_schema *ice_table_metadata_current_schema(const ice_table_metadata *md)
{
	return ice_table_metadata_schema_by_id(md, md->current_schema_id);
}

size_t ice_table_metadata_spec_count(const ice_table_metadata *md) { return md->nspecs; }

const ice_partition_spec *ice_table_metadata_spec_at(const ice_table_metadata *md, size_t i)
{
	return i < md->nspecs ? &md->specs[i] : NULL;
}

const ice_partition_spec *ice_table_metadata_spec_by_id(const ice_table_metadata *md, int32_t id)
{
	for (size_t i = 0; i < md->nspecs; i++)
		if (md->specs[i].spec_id == id)
			return &md->specs[i];
	return NULL;
}

const ice_partition_spec *ice_table_metadata_default_spec(const ice_table_metadata *md)
{
	return ice_table_metadata_spec_by_id(md, md->default_spec_id);
}

size_t ice_table_metadata_sort_order_count(const ice_table_metadata *md) { return md->nsort_orders; }

const ice_sort_order *ice_table_metadata_sort_order_at(const ice_table_metadata *md, size_t i)
{
	return i < md->nsort_orders ? &md->sort_orders[i] : NULL;
}

const ice_sort_order *ice_table_metadata_sort_order_by_id(const ice_table_metadata *md, int32_t id)
{
	for (size_t i = 0; i < md->nsort_orders; i++)
		if (md->sort_orders[i].order_id == id)
			return &md->sort_orders[i];
	return NULL;
}

const ice_sort_order *ice_table_metadata_default_sort_order(const ice_table_metadata *md)
{
	return ice_table_metadata_sort_order_by_id(md, md->default_sort_order_id);
}

const ice_snapshot *ice_table_metadata_current_snapshot(const ice_table_metadata *md)
{
	return md->has_current_snapshot ? ice_table_metadata_snapshot_by_id(md, md->current_snapshot_id) : NULL;
}

size_t ice_table_metadata_snapshot_count(const ice_table_metadata *md) { return md->nsnapshots; }

const ice_snapshot *ice_table_metadata_snapshot_at(const ice_table_metadata *md, size_t i)
{
	return i < md->nsnapshots ? &md->snapshots[i] : NULL;
}

const ice_snapshot *ice_table_metadata_snapshot_by_id(const ice_table_metadata *md, int64_t id)
{
	void *p;
	return ice_map__get_int(&md->snapshot_by_id, id, &p) ? p : NULL;
}

const ice_snapshot *ice_table_metadata_snapshot_as_of(const ice_table_metadata *md, int64_t timestamp_ms)
{
	const ice_snapshot *found = NULL;
	for (size_t i = 0; i < md->nsnapshot_log; i++) {
		if (md->snapshot_log[i].timestamp_ms > timestamp_ms)
			break;
		const ice_snapshot *s = ice_table_metadata_snapshot_by_id(md, md->snapshot_log[i].snapshot_id);
		if (s)
			found = s;
	}
	return found;
}

bool ice_table_metadata_is_ancestor(const ice_table_metadata *md, int64_t snapshot_id, int64_t ancestor_id)
{
	const ice_snapshot *s = ice_table_metadata_snapshot_by_id(md, snapshot_id);
	size_t steps = 0;
	while (s && steps++ <= md->nsnapshots) {
		if (s->snapshot_id == ancestor_id)
			return true;
		if (!s->has_parent)
			break;
		s = ice_table_metadata_snapshot_by_id(md, s->parent_snapshot_id);
	}
	return false;
}

const ice_snapshot *ice_table_metadata_find_summary(const ice_table_metadata *md, const ice_snapshot *from,
                                                    const char *key, const char *value)
{
	size_t steps = 0;
	for (const ice_snapshot *s = from; s && steps++ <= md->nsnapshots;) {
		const char *v = ice_properties_get(&s->summary, key);
		if (v && (!value || strcmp(v, value) == 0))
			return s;
		if (!s->has_parent)
			break;
		s = ice_table_metadata_snapshot_by_id(md, s->parent_snapshot_id);
	}
	return NULL;
}

const ice_schema *ice_table_metadata_snapshot_schema(const ice_table_metadata *md, const ice_snapshot *s)
{
	const ice_schema *schema = s && s->has_schema_id ? ice_table_metadata_schema_by_id(md, s->schema_id) : NULL;
	return schema ? schema : ice_table_metadata_current_schema(md);
}

int ice_table_metadata_select_snapshot(const ice_snapshot **snapshot_out, const ice_schema **schema_out,
                                       const ice_table_metadata *md, const ice_snapshot_selector *sel)
{
	const ice_snapshot *snap = NULL;
	const ice_schema *schema = ice_table_metadata_current_schema(md);
	ice_snapshot_selector none = {0};
	if (!sel)
		sel = &none;
	*snapshot_out = NULL;
	if (schema_out)
		*schema_out = NULL;
	if ((int)sel->has_snapshot_id + (int)sel->has_as_of_ms + (sel->ref != NULL) > 1)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                      "choose at most one of a snapshot id, a time and a ref");
	if (sel->has_snapshot_id) {
		if (!(snap = ice_table_metadata_snapshot_by_id(md, sel->snapshot_id)))
			return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_INVALID, "no snapshot %lld",
			                      (long long)sel->snapshot_id);
		schema = ice_table_metadata_snapshot_schema(md, snap);
	} else if (sel->has_as_of_ms) {
		if (!(snap = ice_table_metadata_snapshot_as_of(md, sel->as_of_ms)))
			return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_INVALID,
			                      "no snapshot was current at %lld ms (before the first one)",
			                      (long long)sel->as_of_ms);
		schema = ice_table_metadata_snapshot_schema(md, snap);
	} else if (sel->ref) {
		const ice_ref *ref = ice_table_metadata_ref(md, sel->ref);
		if (!ref)
			return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_INVALID, "no branch or tag '%s'", sel->ref);
		if (!(snap = ice_table_metadata_snapshot_by_id(md, ref->snapshot_id)))
			return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_INVALID,
			                      "%s '%s' names snapshot %lld, which is not in the table",
			                      ref->type == ICE_REF_TAG ? "tag" : "branch", sel->ref, (long long)ref->snapshot_id);
		/* a tag reads as of its snapshot; a branch with the table's schema */
		if (ref->type == ICE_REF_TAG)
			schema = ice_table_metadata_snapshot_schema(md, snap);
	} else {
		snap = ice_table_metadata_current_snapshot(md);
	}
	if (!schema)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA, "the table has no schema");
	*snapshot_out = snap;
	if (schema_out)
		*schema_out = schema;
	return 0;
}

size_t ice_table_metadata_ref_count(const ice_table_metadata *md) { return md->nrefs; }

const ice_ref *ice_table_metadata_ref_at(const ice_table_metadata *md, size_t i)
{
	return i < md->nrefs ? &md->refs[i] : NULL;
}

const ice_ref *ice_table_metadata_ref(const ice_table_metadata *md, const char *name)
{
	for (size_t i = 0; i < md->nrefs; i++)
		if (strcmp(md->refs[i].name, name) == 0)
			return &md->refs[i];
	return NULL;
}

size_t ice_table_metadata_snapshot_log_count(const ice_table_metadata *md) { return md->nsnapshot_log; }

const ice_snapshot_log_entry *ice_table_metadata_snapshot_log_at(const ice_table_metadata *md, size_t i)
{
	return i < md->nsnapshot_log ? &md->snapshot_log[i] : NULL;
}

size_t ice_table_metadata_metadata_log_count(const ice_table_metadata *md) { return md->nmetadata_log; }

const ice_metadata_log_entry *ice_table_metadata_metadata_log_at(const ice_table_metadata *md, size_t i)
{
	return i < md->nmetadata_log ? &md->metadata_log[i] : NULL;
}

size_t ice_table_metadata_statistics_count(const ice_table_metadata *md) { return md->nstatistics; }

const ice_statistics_file *ice_table_metadata_statistics_at(const ice_table_metadata *md, size_t i)
{
	return i < md->nstatistics ? &md->statistics[i] : NULL;
}

size_t ice_table_metadata_partition_statistics_count(const ice_table_metadata *md)
{
	return md->npartition_statistics;
}

const ice_partition_statistics_file *ice_table_metadata_partition_statistics_at(const ice_table_metadata *md,
                                                                                 size_t i)
{
	return i < md->npartition_statistics ? &md->partition_statistics[i] : NULL;
}

size_t ice_table_metadata_encryption_key_count(const ice_table_metadata *md) { return md->nencryption_keys; }

const ice_encryption_key *ice_table_metadata_encryption_key_at(const ice_table_metadata *md, size_t i)
{
	return i < md->nencryption_keys ? &md->encryption_keys[i] : NULL;
}

/* ---- equality ---------------------------------------------------------------- */

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool refs_equal(const ice_ref *a, const ice_ref *b)
{
	return str_eq(a->name, b->name) && a->snapshot_id == b->snapshot_id && a->type == b->type &&
	       a->has_min_snapshots_to_keep == b->has_min_snapshots_to_keep &&
	       (!a->has_min_snapshots_to_keep || a->min_snapshots_to_keep == b->min_snapshots_to_keep) &&
	       a->has_max_snapshot_age_ms == b->has_max_snapshot_age_ms &&
	       (!a->has_max_snapshot_age_ms || a->max_snapshot_age_ms == b->max_snapshot_age_ms) &&
	       a->has_max_ref_age_ms == b->has_max_ref_age_ms &&
	       (!a->has_max_ref_age_ms || a->max_ref_age_ms == b->max_ref_age_ms);
}

static bool stats_equal(const ice_statistics_file *a, const ice_statistics_file *b)
{
	if (a->snapshot_id != b->snapshot_id || !str_eq(a->statistics_path, b->statistics_path) ||
	    a->file_size_in_bytes != b->file_size_in_bytes ||
	    a->file_footer_size_in_bytes != b->file_footer_size_in_bytes || !str_eq(a->key_metadata, b->key_metadata) ||
	    a->n_blobs != b->n_blobs)
		return false;
	for (size_t i = 0; i < a->n_blobs; i++) {
		const ice_blob_metadata *x = &a->blobs[i], *y = &b->blobs[i];
		if (!str_eq(x->type, y->type) || x->snapshot_id != y->snapshot_id ||
		    x->sequence_number != y->sequence_number || x->n_fields != y->n_fields ||
		    (x->n_fields && memcmp(x->fields, y->fields, x->n_fields * sizeof(int32_t)) != 0) ||
		    !ice_properties__equal(&x->properties, &y->properties))
			return false;
	}
	return true;
}

bool ice_table_metadata_equal(const ice_table_metadata *a, const ice_table_metadata *b)
{
	if (a->format_version != b->format_version || !str_eq(a->table_uuid, b->table_uuid) ||
	    !str_eq(a->location, b->location) || a->last_sequence_number != b->last_sequence_number ||
	    a->last_updated_ms != b->last_updated_ms || a->last_column_id != b->last_column_id ||
	    a->last_partition_id != b->last_partition_id || a->has_next_row_id != b->has_next_row_id ||
	    (a->has_next_row_id && a->next_row_id != b->next_row_id) || a->current_schema_id != b->current_schema_id ||
	    a->default_spec_id != b->default_spec_id || a->default_sort_order_id != b->default_sort_order_id ||
	    a->has_current_snapshot != b->has_current_snapshot ||
	    (a->has_current_snapshot && a->current_snapshot_id != b->current_snapshot_id) ||
	    a->nschemas != b->nschemas || a->nspecs != b->nspecs || a->nsort_orders != b->nsort_orders ||
	    a->nsnapshots != b->nsnapshots || a->nsnapshot_log != b->nsnapshot_log ||
	    a->nmetadata_log != b->nmetadata_log || a->nrefs != b->nrefs || a->nstatistics != b->nstatistics ||
	    a->npartition_statistics != b->npartition_statistics || a->nencryption_keys != b->nencryption_keys ||
	    !ice_properties__equal(&a->properties, &b->properties))
		return false;
	for (size_t i = 0; i < a->nschemas; i++)
		if (a->schemas[i].schema_id != b->schemas[i].schema_id ||
		    !ice_schema_same_structure(&a->schemas[i], &b->schemas[i]))
			return false;
	for (size_t i = 0; i < a->nspecs; i++)
		if (a->specs[i].spec_id != b->specs[i].spec_id ||
		    !ice_partition_spec_equivalent(&a->specs[i], &b->specs[i], true))
			return false;
	for (size_t i = 0; i < a->nsort_orders; i++)
		if (a->sort_orders[i].order_id != b->sort_orders[i].order_id ||
		    !ice_sort_order_same_fields(&a->sort_orders[i], &b->sort_orders[i]))
			return false;
	for (size_t i = 0; i < a->nsnapshots; i++)
		if (!ice_snapshot__equal(&a->snapshots[i], &b->snapshots[i]))
			return false;
	for (size_t i = 0; i < a->nsnapshot_log; i++)
		if (a->snapshot_log[i].timestamp_ms != b->snapshot_log[i].timestamp_ms ||
		    a->snapshot_log[i].snapshot_id != b->snapshot_log[i].snapshot_id)
			return false;
	for (size_t i = 0; i < a->nmetadata_log; i++)
		if (a->metadata_log[i].timestamp_ms != b->metadata_log[i].timestamp_ms ||
		    !str_eq(a->metadata_log[i].metadata_file, b->metadata_log[i].metadata_file))
			return false;
	for (size_t i = 0; i < a->nrefs; i++)
		if (!refs_equal(&a->refs[i], &b->refs[i]))
			return false;
	for (size_t i = 0; i < a->nstatistics; i++)
		if (!stats_equal(&a->statistics[i], &b->statistics[i]))
			return false;
	for (size_t i = 0; i < a->npartition_statistics; i++) {
		const ice_partition_statistics_file *x = &a->partition_statistics[i], *y = &b->partition_statistics[i];
		if (x->snapshot_id != y->snapshot_id || !str_eq(x->statistics_path, y->statistics_path) ||
		    x->file_size_in_bytes != y->file_size_in_bytes)
			return false;
	}
	for (size_t i = 0; i < a->nencryption_keys; i++) {
		const ice_encryption_key *x = &a->encryption_keys[i], *y = &b->encryption_keys[i];
		if (!str_eq(x->key_id, y->key_id) || !str_eq(x->encrypted_key_metadata, y->encrypted_key_metadata) ||
		    !str_eq(x->encrypted_by_id, y->encrypted_by_id) || !ice_properties__equal(&x->properties, &y->properties))
			return false;
	}
	return true;
}
