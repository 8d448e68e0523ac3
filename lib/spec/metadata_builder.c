/*
 * spec/metadata_builder.c - the metadata builder: a working copy of the base
 * metadata, the record of effective updates (REST TableUpdate objects), and
 * build(): final checks, last-updated-ms, the metadata log (spec "Table
 * Metadata"). The updates themselves are in metadata_updates.c.
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

#define DEFAULT_PREVIOUS_VERSIONS_MAX 100

int64_t ice_builder__now(ice_metadata_builder *b)
{
	if (!b->now_set) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		b->now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		b->now_set = true;
	}
	return b->now_ms;
}

int ice_builder__fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ice_error__vset(code, ICE_ERRCLASS_COMMIT, fmt, ap);
	va_end(ap);
	return code;
}

int ice_builder__spent(void)
{
	return ice_builder__fail(ICE_EINVALID, "the metadata builder was already built");
}

/* ---- recording changes ------------------------------------------------------ */


void ice_builder__rec_begin(recorder *r, ice_metadata_builder *b, const char *action)
{
	r->b = b;
	ice_jw__init(&r->w, ICE_JSON_COMPACT);
	ice_json_begin_object(&r->w);
	ice_json_key(&r->w, "action");
	ice_json_string(&r->w, action);
}

int ice_builder__rec_end(recorder *r)
{
	ice_metadata_builder *b = r->b;
	const char *text;
	size_t len;
	int rc;
	ice_json_end_object(&r->w);
	rc = ice_json_writer_finish(&r->w, &text, &len);
	if (!rc) {
		change *c = ice__reallocarray(b->changes, b->nchanges + 1, sizeof(change));
		if (!c)
			rc = ICE_ERROR;
		else {
			b->changes = c;
			c[b->nchanges].offset = b->changes_text.len;
			c[b->nchanges].len = len;
			if ((rc = ice_buf__put(&b->changes_text, text, len)) == 0)
				b->nchanges++;
		}
	}
	ice_jw__free(&r->w);
	return rc;
}

size_t ice_metadata_builder_change_count(const ice_metadata_builder *b)
{
	return b->nchanges;
}

int ice_metadata_builder_write_changes(const ice_metadata_builder *b, ice_json_writer *w)
{
	ice_json_begin_array(w);
	for (size_t i = 0; i < b->nchanges; i++)
		ice_json_raw(w, b->changes_text.ptr + b->changes[i].offset, b->changes[i].len);
	return ice_json_end_array(w);
}

/* ---- deep copy of the base ------------------------------------------------------ */

#define COPY_ARRAY(dst, n_dst, src, n_src, T)                                                        \
	do {                                                                                         \
		(n_dst) = (n_src);                                                                   \
		(dst) = (n_src) ? ice_arena__allocarray(&md->arena, (n_src), sizeof(T)) : NULL;      \
		if ((n_src) && !(dst))                                                               \
			return ICE_ERROR;                                                            \
	} while (0)

static int copy_metadata(ice_table_metadata *md, const ice_table_metadata *src)
{
	ice_arena *a = &md->arena;
	md->format_version = src->format_version;
	if ((src->table_uuid && !(md->table_uuid = ice_arena__strdup(a, src->table_uuid))) ||
	    (src->location && !(md->location = ice_arena__strdup(a, src->location))))
		return ICE_ERROR;
	md->last_sequence_number = src->last_sequence_number;
	md->last_updated_ms = src->last_updated_ms;
	md->last_column_id = src->last_column_id;
	md->last_partition_id = src->last_partition_id;
	md->has_next_row_id = src->has_next_row_id;
	md->next_row_id = src->next_row_id;
	md->current_schema_id = src->current_schema_id;
	md->default_spec_id = src->default_spec_id;
	md->default_sort_order_id = src->default_sort_order_id;
	md->has_current_snapshot = src->has_current_snapshot;
	md->current_snapshot_id = src->current_snapshot_id;

	COPY_ARRAY(md->schemas, md->nschemas, src->schemas, src->nschemas, ice_schema);
	for (size_t i = 0; i < src->nschemas; i++) {
		if (ice_schema__copy_into(&md->schemas[i], a, &src->schemas[i])) {
			md->nschemas = i + 1; /* release what was built */
			return ICE_ERROR;
		}
	}
	COPY_ARRAY(md->specs, md->nspecs, src->specs, src->nspecs, ice_partition_spec);
	for (size_t i = 0; i < src->nspecs; i++)
		if (ice_partition_spec__copy_into(&md->specs[i], a, &src->specs[i]))
			return ICE_ERROR;
	COPY_ARRAY(md->sort_orders, md->nsort_orders, src->sort_orders, src->nsort_orders, ice_sort_order);
	for (size_t i = 0; i < src->nsort_orders; i++)
		if (ice_sort_order__copy_into(&md->sort_orders[i], a, &src->sort_orders[i]))
			return ICE_ERROR;
	if (ice_properties__copy(&md->properties, a, &src->properties))
		return ICE_ERROR;
	COPY_ARRAY(md->snapshots, md->nsnapshots, src->snapshots, src->nsnapshots, ice_snapshot);
	for (size_t i = 0; i < src->nsnapshots; i++)
		if (ice_snapshot__copy(&md->snapshots[i], a, &src->snapshots[i]))
			return ICE_ERROR;
	COPY_ARRAY(md->snapshot_log, md->nsnapshot_log, src->snapshot_log, src->nsnapshot_log, ice_snapshot_log_entry);
	if (src->nsnapshot_log)
		memcpy(md->snapshot_log, src->snapshot_log, src->nsnapshot_log * sizeof(ice_snapshot_log_entry));
	COPY_ARRAY(md->metadata_log, md->nmetadata_log, src->metadata_log, src->nmetadata_log, ice_metadata_log_entry);
	for (size_t i = 0; i < src->nmetadata_log; i++) {
		md->metadata_log[i].timestamp_ms = src->metadata_log[i].timestamp_ms;
		if (!(md->metadata_log[i].metadata_file = ice_arena__strdup(a, src->metadata_log[i].metadata_file)))
			return ICE_ERROR;
	}
	COPY_ARRAY(md->refs, md->nrefs, src->refs, src->nrefs, ice_ref);
	for (size_t i = 0; i < src->nrefs; i++) {
		md->refs[i] = src->refs[i];
		if (!(md->refs[i].name = ice_arena__strdup(a, src->refs[i].name)))
			return ICE_ERROR;
	}
	COPY_ARRAY(md->statistics, md->nstatistics, src->statistics, src->nstatistics, ice_statistics_file);
	for (size_t i = 0; i < src->nstatistics; i++)
		if (ice_statistics__copy(&md->statistics[i], a, &src->statistics[i]))
			return ICE_ERROR;
	COPY_ARRAY(md->partition_statistics, md->npartition_statistics, src->partition_statistics,
	           src->npartition_statistics, ice_partition_statistics_file);
	for (size_t i = 0; i < src->npartition_statistics; i++) {
		md->partition_statistics[i] = src->partition_statistics[i];
		if (!(md->partition_statistics[i].statistics_path =
		          ice_arena__strdup(a, src->partition_statistics[i].statistics_path)))
			return ICE_ERROR;
	}
	COPY_ARRAY(md->encryption_keys, md->nencryption_keys, src->encryption_keys, src->nencryption_keys,
	           ice_encryption_key);
	for (size_t i = 0; i < src->nencryption_keys; i++)
		if (ice_encryption_key__copy(&md->encryption_keys[i], a, &src->encryption_keys[i]))
			return ICE_ERROR;
	return 0;
}

/* Grows an arena array by one element (the old array stays in the arena). */
void *ice_builder__grow(ice_arena *a, void *arr, size_t n, size_t size)
{
	void *p = ice_arena__allocarray(a, n + 1, size);
	if (p && n)
		memcpy(p, arr, n * size);
	return p;
}

int ice_metadata_builder_new(ice_metadata_builder **out, const ice_table_metadata *base)
{
	ice_metadata_builder *b = ice__calloc(1, sizeof(*b));
	*out = NULL;
	if (!b)
		return ICE_ERROR;
	ice_buf__init(&b->changes_text, 0);
	b->base = base;
	b->creating = base == NULL;
	if (!(b->md = ice_table_metadata__alloc())) {
		ice__free(b);
		return ICE_ERROR;
	}
	if (base) {
		if (copy_metadata(b->md, base)) {
			ice_metadata_builder_free(b);
			return ICE_ERROR;
		}
	} else {
		b->md->format_version = 2;
		b->md->last_partition_id = ICE_PARTITION_DATA_ID_START - 1;
		b->md->current_schema_id = -1;
		b->md->default_spec_id = -1;
		b->md->default_sort_order_id = -1;
	}
	*out = b;
	return 0;
}

int ice_metadata_builder_new_table(ice_metadata_builder **out, int format_version)
{
	int rc;
	*out = NULL;
	if (format_version < 1 || format_version > ICE_FORMAT_VERSION_MAX)
		return ice_builder__fail(format_version < 1 ? ICE_EINVALID : ICE_EUNSUPPORTED,
		                         "format version %d is not supported (1 to %d)", format_version,
		                         ICE_FORMAT_VERSION_MAX);
	if ((rc = ice_metadata_builder_new(out, NULL)) != 0)
		return rc;
	if (format_version < (*out)->md->format_version)
		(*out)->md->format_version = format_version;
	if ((rc = ice_metadata_builder_upgrade_format_version(*out, format_version)) != 0) {
		ice_metadata_builder_free(*out);
		*out = NULL;
	}
	return rc;
}

void ice_metadata_builder_free(ice_metadata_builder *b)
{
	if (!b)
		return;
	ice_table_metadata_free(b->md);
	ice__free(b->previous_location);
	ice__free(b->added_snapshots);
	ice__free(b->changes);
	ice_buf__free(&b->changes_text);
	ice__free(b);
}

void ice_metadata_builder_set_now(ice_metadata_builder *b, int64_t now_ms)
{
	b->now_ms = now_ms;
	b->now_set = true;
}

int ice_metadata_builder_set_previous_location(ice_metadata_builder *b, const char *location)
{
	char *copy = ice__strdup(location);
	if (!copy)
		return ICE_ERROR;
	ice__free(b->previous_location);
	b->previous_location = copy;
	return 0;
}

/* ---- lookups on the working copy ----------------------------------------------- */

ice_snapshot *ice_builder__find_snapshot(ice_table_metadata *md, int64_t id)
{
	for (size_t i = 0; i < md->nsnapshots; i++)
		if (md->snapshots[i].snapshot_id == id)
			return &md->snapshots[i];
	return NULL;
}

ice_ref *ice_builder__find_ref(ice_table_metadata *md, const char *name)
{
	for (size_t i = 0; i < md->nrefs; i++)
		if (strcmp(md->refs[i].name, name) == 0)
			return &md->refs[i];
	return NULL;
}

bool ice_builder__was_added(const ice_metadata_builder *b, int64_t id)
{
	for (size_t i = 0; i < b->nadded_snapshots; i++)
		if (b->added_snapshots[i] == id)
			return true;
	return false;
}

/* ---- build ------------------------------------------------------------------------- */

/* Drops log entries up to the last one whose snapshot no longer exists. */
static void trim_snapshot_log(ice_table_metadata *md)
{
	size_t keep_from = 0;
	for (size_t i = 0; i < md->nsnapshot_log; i++)
		if (!ice_builder__find_snapshot(md, md->snapshot_log[i].snapshot_id))
			keep_from = i + 1;
	if (keep_from) {
		memmove(md->snapshot_log, md->snapshot_log + keep_from,
		        (md->nsnapshot_log - keep_from) * sizeof(ice_snapshot_log_entry));
		md->nsnapshot_log -= keep_from;
	}
}

static int add_previous_file(ice_metadata_builder *b)
{
	ice_table_metadata *md = b->md;
	const char *max_s = ice_properties_get(&md->properties, "write.metadata.previous-versions-max");
	int64_t max = DEFAULT_PREVIOUS_VERSIONS_MAX;
	if (max_s && (!ice_str__to_int64(max_s, strlen(max_s), &max) || max < 1))
		max = 1;
	ice_metadata_log_entry *log = ice_builder__grow(&md->arena, md->metadata_log, md->nmetadata_log, sizeof(*log));
	if (!log)
		return ICE_ERROR;
	log[md->nmetadata_log].timestamp_ms = b->base->last_updated_ms;
	if (!(log[md->nmetadata_log].metadata_file = ice_arena__strdup(&md->arena, b->previous_location)))
		return ICE_ERROR;
	md->metadata_log = log;
	md->nmetadata_log++;
	if ((int64_t)md->nmetadata_log > max) {
		size_t drop = md->nmetadata_log - (size_t)max;
		md->metadata_log += drop;
		md->nmetadata_log -= drop;
	}
	return 0;
}

int ice_metadata_builder_build(ice_table_metadata **out, ice_metadata_builder *b)
{
	ice_table_metadata *md = b->md;
	int rc;
	*out = NULL;

	if (b->creating) {
		uint8_t u[16];
		char canon[ICE_UUID_STRLEN + 1];
		if (!md->table_uuid) {
			ice_uuid__random(u);
			ice_uuid__format(u, canon);
			if (!(md->table_uuid = ice_arena__strdup(&md->arena, canon)))
				return ICE_ERROR;
		}
		if (!md->location)
			return ice_builder__fail(ICE_EINVALID, "cannot create a table without a location");
		if (md->nschemas == 0)
			return ice_builder__fail(ICE_EINVALID, "cannot create a table without a schema");
		if (md->current_schema_id < 0)
			md->current_schema_id = md->schemas[md->nschemas - 1].schema_id;
		if (md->nspecs == 0) {
			ice_partition_spec unpartitioned = {0, 0, NULL};
			if ((rc = ice_metadata_builder_add_spec(b, &unpartitioned, NULL)) != 0)
				return rc;
		}
		if (md->default_spec_id < 0)
			md->default_spec_id = md->specs[md->nspecs - 1].spec_id;
		if (md->nsort_orders == 0) {
			ice_sort_order unsorted = {0, 0, NULL};
			if ((rc = ice_metadata_builder_add_sort_order(b, &unsorted, NULL)) != 0)
				return rc;
		}
		if (md->default_sort_order_id < 0)
			md->default_sort_order_id = md->sort_orders[md->nsort_orders - 1].order_id;
		if (md->format_version >= 3 && !md->has_next_row_id) {
			md->has_next_row_id = true;
			md->next_row_id = 0;
		}
	}
	if (b->nchanges > 0 || b->creating) {
		/* The default spec and sort order must bind to the current schema
		 * (a schema change cannot drop what they use), as the reference
		 * checks on build. */
		const ice_schema *schema = ice_table_metadata_current_schema(md);
		const ice_partition_spec *spec = ice_table_metadata_default_spec(md);
		const ice_sort_order *order = ice_table_metadata_default_sort_order(md);
		if (schema && spec && spec->nfields && (rc = ice_partition_spec_validate(spec, schema)) != 0)
			return ice_error__prefix("the default partition spec does not fit the current schema");
		if (schema && order && order->nfields && (rc = ice_sort_order_validate(order, schema)) != 0)
			return ice_error__prefix("the default sort order does not fit the current schema");
	}
	if (b->removed_snapshots)
		trim_snapshot_log(md);
	if (b->nchanges > 0 || b->creating) {
		if (!b->last_updated_set)
			md->last_updated_ms = ice_builder__now(b);
		if (b->base && b->previous_location && (rc = add_previous_file(b)) != 0)
			return rc;
	}
	if ((rc = ice_table_metadata__finish(md, NULL)) != 0)
		return rc;
	/* The builder is spent: the result no longer depends on it. */
	*out = md;
	b->md = NULL;
	return 0;
}

int ice_table_metadata_upgrade(ice_table_metadata **out, const ice_table_metadata *md, int format_version)
{
	ice_metadata_builder *b;
	int rc = ice_metadata_builder_new(&b, md);
	if (rc)
		return rc;
	ice_metadata_builder_set_now(b, md->last_updated_ms);
	rc = ice_metadata_builder_upgrade_format_version(b, format_version);
	if (!rc)
		rc = ice_metadata_builder_build(out, b);
	ice_metadata_builder_free(b);
	return rc;
}
