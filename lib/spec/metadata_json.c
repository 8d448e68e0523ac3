/*
 * spec/metadata_json.c - table metadata documents: parsing v1, v2 and v3
 * (with v1's deprecated "schema" and "partition-spec", inline manifests,
 * current-snapshot-id -1, and name variants seen in the wild) and writing
 * them in the canonical form (Appendix C "Table Metadata and Snapshots",
 * Appendix E).
 */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/compress.h"
#include "util/error.h"
#include "util/uuid.h"

typedef struct parser {
	ice_table_metadata *md;
	ice_arena *arena;
	ice_jr *r;
	const ice_json *root;
	int v;
} parser;

/* Calls fn(p, element, index) for each element of an optional array member. */
typedef int (*elem_fn)(parser *p, const ice_json *elem, size_t i, void *out);

static int each(parser *p, const char *key, bool required, size_t elem_size, void **out, size_t *n_out, elem_fn fn)
{
	ice_json *arr;
	size_t done = 0;
	int rc = required ? ice_jr__req_array(p->r, p->root, key, &arr) : ice_jr__opt_array(p->r, p->root, key, &arr);
	*out = NULL;
	*n_out = 0;
	if (rc || !arr)
		return rc;
	size_t n = ice_json__size(arr);
	char *items = n ? ice_arena__allocarray(p->arena, n, elem_size) : NULL;
	if (n && !items)
		return ICE_ERROR;
	ice_jr__push_key(p->r, key);
	for (size_t i = 0; i < n && !rc; i++) {
		ice_jr__push_index(p->r, i);
		rc = fn(p, ice_json__at(arr, i), i, items + i * elem_size);
		ice_jr__pop(p->r);
		if (!rc)
			done++;
	}
	ice_jr__pop(p->r);
	/* Even on failure hand over what was parsed, so that it is released
	 * (a failed element releases itself). */
	*out = items;
	*n_out = done;
	return rc;
}

static int parse_schema_elem(parser *p, const ice_json *j, size_t i, void *out)
{
	(void)i;
	return ice_schema__parse(out, p->arena, p->r, j, p->v >= 2);
}

static int parse_spec_elem(parser *p, const ice_json *j, size_t i, void *out)
{
	(void)i;
	return ice_partition_spec__parse(out, p->arena, p->r, j, p->v == 1);
}

static int parse_order_elem(parser *p, const ice_json *j, size_t i, void *out)
{
	(void)i;
	return ice_sort_order__parse(out, p->arena, p->r, j);
}

static int parse_snapshot_elem(parser *p, const ice_json *j, size_t i, void *out)
{
	(void)i;
	return ice_snapshot__parse(out, p->arena, p->r, j, p->v);
}

static int parse_snapshot_log_elem(parser *p, const ice_json *j, size_t i, void *out)
{
	ice_snapshot_log_entry *e = out;
	int rc;
	(void)i;
	if (ice_json__type(j) != ICE_JSON_OBJECT)
		return ice_jr__error(p->r, ICE_EINVALID, "expected an object, found %s", ice_json__type_name(j));
	if ((rc = ice_jr__req_int64(p->r, j, "timestamp-ms", &e->timestamp_ms)) ||
	    (rc = ice_jr__req_int64(p->r, j, "snapshot-id", &e->snapshot_id)))
		return rc;
	return 0;
}

static int parse_metadata_log_elem(parser *p, const ice_json *j, size_t i, void *out)
{
	ice_metadata_log_entry *e = out;
	const char *file;
	size_t len;
	int rc;
	(void)i;
	if (ice_json__type(j) != ICE_JSON_OBJECT)
		return ice_jr__error(p->r, ICE_EINVALID, "expected an object, found %s", ice_json__type_name(j));
	if ((rc = ice_jr__req_int64(p->r, j, "timestamp-ms", &e->timestamp_ms)) ||
	    (rc = ice_jr__req_string(p->r, j, "metadata-file", &file, &len)))
		return rc;
	return (e->metadata_file = ice_arena__strndup(p->arena, file, len)) ? 0 : ICE_ERROR;
}

static int parse_stats_elem(parser *p, const ice_json *j, size_t i, void *out)
{
	(void)i;
	return ice_statistics__parse(out, p->arena, p->r, j);
}

static int parse_part_stats_elem(parser *p, const ice_json *j, size_t i, void *out)
{
	(void)i;
	return ice_partition_statistics__parse(out, p->arena, p->r, j);
}

static int parse_key_elem(parser *p, const ice_json *j, size_t i, void *out)
{
	(void)i;
	return ice_encryption_key__parse(out, p->arena, p->r, j);
}

/* v1: "schema" and/or "schemas" + "current-schema-id". */
static int parse_schemas(parser *p)
{
	ice_table_metadata *md = p->md;
	ice_json *single;
	bool has_current;
	int rc;

	if ((rc = ice_jr__opt_int32(p->r, p->root, "current-schema-id", &md->current_schema_id, &has_current)) ||
	    (rc = each(p, "schemas", p->v >= 2, sizeof(ice_schema), (void **)&md->schemas, &md->nschemas,
	               parse_schema_elem)))
		return rc;
	if (p->v >= 2) {
		if (!has_current)
			return ice_jr__error(p->r, ICE_EINVALID, "missing required field 'current-schema-id'");
		return 0;
	}
	if ((rc = ice_jr__opt_object(p->r, p->root, "schema", &single)) != 0)
		return rc;
	if (md->schemas && has_current)
		return 0;
	if (!single)
		return ice_jr__error(p->r, ICE_EINVALID, md->schemas ? "missing required field 'current-schema-id'"
		                                                      : "missing required field 'schemas' (or v1 'schema')");
	ice_schema *s = ice_arena__alloc(p->arena, sizeof(*s));
	if (!s)
		return ICE_ERROR;
	ice_jr__push_key(p->r, "schema");
	rc = ice_schema__parse(s, p->arena, p->r, single, false);
	ice_jr__pop(p->r);
	if (rc) {
		ice_schema__release(s);
		return rc;
	}
	if (md->schemas) {
		/* "schemas" without "current-schema-id": the current one is the
		 * entry that matches "schema". */
		for (size_t i = 0; i < md->nschemas; i++) {
			if (ice_schema_same_structure(&md->schemas[i], s)) {
				md->current_schema_id = md->schemas[i].schema_id;
				ice_schema__release(s);
				return 0;
			}
		}
		ice_schema__release(s);
		return ice_jr__error(p->r, ICE_EINVALID, "'schema' matches none of 'schemas' and 'current-schema-id' is missing");
	}
	md->schemas = s;
	md->nschemas = 1;
	md->current_schema_id = s->schema_id;
	return 0;
}

/* v1: "partition-spec" and/or "partition-specs" + "default-spec-id". */
static int parse_specs(parser *p)
{
	ice_table_metadata *md = p->md;
	ice_json *single;
	bool has_default, has_last;
	int rc;

	if ((rc = ice_jr__opt_int32(p->r, p->root, "default-spec-id", &md->default_spec_id, &has_default)) ||
	    (rc = ice_jr__opt_int32(p->r, p->root, "last-partition-id", &md->last_partition_id, &has_last)) ||
	    (rc = each(p, "partition-specs", p->v >= 2, sizeof(ice_partition_spec), (void **)&md->specs, &md->nspecs,
	               parse_spec_elem)))
		return rc;
	if (p->v >= 2) {
		if (!has_default)
			return ice_jr__error(p->r, ICE_EINVALID, "missing required field 'default-spec-id'");
		if (!has_last)
			return ice_jr__error(p->r, ICE_EINVALID, "missing required field 'last-partition-id'");
		return 0;
	}
	if ((rc = ice_jr__opt_array(p->r, p->root, "partition-spec", &single)) != 0)
		return rc;
	if (!md->specs) {
		ice_partition_spec *spec = ice_arena__alloc(p->arena, sizeof(*spec));
		int32_t next = ICE_PARTITION_DATA_ID_START;
		if (!spec)
			return ICE_ERROR;
		if (single) {
			ice_jr__push_key(p->r, "partition-spec");
			rc = ice_partition_spec__parse_fields(spec, p->arena, p->r, single, 0, &next);
			ice_jr__pop(p->r);
			if (rc)
				return rc;
		}
		md->specs = spec;
		md->nspecs = 1;
		md->default_spec_id = 0;
	} else if (!has_default) {
		/* Without default-spec-id: the spec matching "partition-spec", else
		 * the newest. */
		int32_t best = md->specs[0].spec_id;
		for (size_t i = 0; i < md->nspecs; i++)
			if (md->specs[i].spec_id > best)
				best = md->specs[i].spec_id;
		if (single) {
			ice_partition_spec tmp;
			int32_t next = ICE_PARTITION_DATA_ID_START;
			ice_jr__push_key(p->r, "partition-spec");
			rc = ice_partition_spec__parse_fields(&tmp, p->arena, p->r, single, 0, &next);
			ice_jr__pop(p->r);
			if (rc)
				return rc;
			for (size_t i = 0; i < md->nspecs; i++)
				if (ice_partition_spec_equivalent(&md->specs[i], &tmp, false))
					best = md->specs[i].spec_id;
		}
		md->default_spec_id = best;
	}
	if (!has_last) {
		md->last_partition_id = ICE_PARTITION_DATA_ID_START - 1;
		for (size_t i = 0; i < md->nspecs; i++) {
			int32_t last = ice_partition_spec_last_field_id(&md->specs[i]);
			if (last > md->last_partition_id)
				md->last_partition_id = last;
		}
	}
	return 0;
}

static int parse_sort_orders(parser *p)
{
	ice_table_metadata *md = p->md;
	bool has_default;
	int rc;
	if ((rc = ice_jr__opt_int32(p->r, p->root, "default-sort-order-id", &md->default_sort_order_id, &has_default)) ||
	    (rc = each(p, "sort-orders", p->v >= 2, sizeof(ice_sort_order), (void **)&md->sort_orders,
	               &md->nsort_orders, parse_order_elem)))
		return rc;
	if (p->v >= 2 && !has_default)
		return ice_jr__error(p->r, ICE_EINVALID, "missing required field 'default-sort-order-id'");
	if (!md->sort_orders) {
		/* v1 without sort orders: the unsorted order. */
		if (!(md->sort_orders = ice_arena__alloc(p->arena, sizeof(ice_sort_order))))
			return ICE_ERROR;
		md->nsort_orders = 1;
		md->default_sort_order_id = 0;
	} else if (!has_default) {
		md->default_sort_order_id = md->sort_orders[0].order_id;
	}
	return 0;
}

static int parse_refs(parser *p)
{
	ice_table_metadata *md = p->md;
	ice_json *refs;
	int rc = ice_jr__opt_object(p->r, p->root, "refs", &refs);
	if (rc || !refs)
		return rc;
	size_t n = ice_json__size(refs), i = 0;
	ice_ref *out = n ? ice_arena__allocarray(p->arena, n, sizeof(ice_ref)) : NULL;
	if (n && !out)
		return ICE_ERROR;
	ice_json_iter it;
	const char *name;
	ice_json *val;
	ice_jr__push_key(p->r, "refs");
	ice_json__iter_init(&it, refs);
	while (!rc && ice_json__iter_next(&it, &name, &val)) {
		ice_jr__push_key(p->r, name);
		rc = ice_ref__parse(&out[i++], p->arena, p->r, name, val);
		ice_jr__pop(p->r);
	}
	ice_jr__pop(p->r);
	md->refs = out;
	md->nrefs = i;
	return rc;
}

static int parse_document(parser *p)
{
	ice_table_metadata *md = p->md;
	const char *uuid = NULL, *location;
	size_t uuid_len = 0, loc_len;
	int64_t version, current = -1;
	bool has_seq, has_current;
	ice_json *props;
	int rc;

	if (ice_json__type(p->root) != ICE_JSON_OBJECT)
		return ice_jr__error(p->r, ICE_EINVALID, "expected a table metadata object, found %s",
		                     ice_json__type_name(p->root));
	if ((rc = ice_jr__req_int64(p->r, p->root, "format-version", &version)) != 0)
		return rc;
	if (version > ICE_FORMAT_VERSION_MAX)
		return ice_jr__error_at(p->r, "format-version", ICE_EUNSUPPORTED,
		                        "format version %lld is not supported (this build reads v1 to v%d)",
		                        (long long)version, ICE_FORMAT_VERSION_MAX);
	if (version < 1)
		return ice_jr__error_at(p->r, "format-version", ICE_EINVALID, "invalid format version %lld",
		                        (long long)version);
	md->format_version = p->v = (int)version;

	if ((rc = (p->v >= 2 ? ice_jr__req_string(p->r, p->root, "table-uuid", &uuid, &uuid_len)
	                     : ice_jr__opt_string(p->r, p->root, "table-uuid", &uuid, &uuid_len))) != 0)
		return rc;
	if (uuid) {
		uint8_t u[16];
		char canon[ICE_UUID_STRLEN + 1];
		if (!ice_uuid__parse(uuid, uuid_len, u))
			return ice_jr__error_at(p->r, "table-uuid", ICE_EINVALID, "'%s' is not a UUID", uuid);
		ice_uuid__format(u, canon);
		if (!(md->table_uuid = ice_arena__strdup(p->arena, canon)))
			return ICE_ERROR;
	}
	if ((rc = ice_jr__req_string(p->r, p->root, "location", &location, &loc_len)) ||
	    (rc = ice_jr__opt_int64(p->r, p->root, "last-sequence-number", &md->last_sequence_number, &has_seq)) ||
	    (rc = ice_jr__req_int64(p->r, p->root, "last-updated-ms", &md->last_updated_ms)) ||
	    (rc = ice_jr__req_int32(p->r, p->root, "last-column-id", &md->last_column_id)))
		return rc;
	if (!has_seq && p->v >= 2)
		return ice_jr__error(p->r, ICE_EINVALID, "missing required field 'last-sequence-number'");
	if (!(md->location = ice_arena__strndup(p->arena, location, loc_len)))
		return ICE_ERROR;

	if ((rc = parse_schemas(p)) || (rc = parse_specs(p)) || (rc = parse_sort_orders(p)))
		return rc;

	if ((rc = ice_jr__opt_object(p->r, p->root, "properties", &props)) != 0)
		return rc;
	if (props) {
		ice_jr__push_key(p->r, "properties");
		rc = ice_properties__parse(&md->properties, p->arena, p->r, props);
		ice_jr__pop(p->r);
		if (rc)
			return rc;
	}
	if ((rc = ice_jr__opt_int64(p->r, p->root, "current-snapshot-id", &current, &has_current)) != 0)
		return rc;
	/* -1 is the reference implementation's "no current snapshot". */
	md->has_current_snapshot = has_current && current != -1;
	md->current_snapshot_id = md->has_current_snapshot ? current : 0;

	if ((rc = each(p, "snapshots", false, sizeof(ice_snapshot), (void **)&md->snapshots, &md->nsnapshots,
	               parse_snapshot_elem)) ||
	    (rc = each(p, "snapshot-log", false, sizeof(ice_snapshot_log_entry), (void **)&md->snapshot_log,
	               &md->nsnapshot_log, parse_snapshot_log_elem)) ||
	    (rc = each(p, "metadata-log", false, sizeof(ice_metadata_log_entry), (void **)&md->metadata_log,
	               &md->nmetadata_log, parse_metadata_log_elem)) ||
	    (rc = parse_refs(p)))
		return rc;
	/* "statistics" per the spec; some writers used "statistics-files". */
	const char *stats_key = ice_json__get(p->root, "statistics") ? "statistics" : "statistics-files";
	const char *pstats_key =
	    ice_json__get(p->root, "partition-statistics") ? "partition-statistics" : "partition-statistics-files";
	if ((rc = each(p, stats_key, false, sizeof(ice_statistics_file), (void **)&md->statistics, &md->nstatistics,
	               parse_stats_elem)) ||
	    (rc = each(p, pstats_key, false, sizeof(ice_partition_statistics_file), (void **)&md->partition_statistics,
	               &md->npartition_statistics, parse_part_stats_elem)) ||
	    (rc = each(p, "encryption-keys", false, sizeof(ice_encryption_key), (void **)&md->encryption_keys,
	               &md->nencryption_keys, parse_key_elem)) ||
	    (rc = ice_jr__opt_int64(p->r, p->root, "next-row-id", &md->next_row_id, &md->has_next_row_id)))
		return rc;
	if (md->has_next_row_id && md->next_row_id < 0)
		return ice_jr__error_at(p->r, "next-row-id", ICE_EINVALID, "negative row id %lld",
		                        (long long)md->next_row_id);
	if (p->v < 3) {
		/* v3 members in older versions are ignored (writers omit them). */
		md->has_next_row_id = false;
		md->nencryption_keys = 0;
	}
	else if (!md->has_next_row_id) {
		/* Required in v3, but some writers omit it; as for an upgraded
		 * table, row ids then start at 0. */
		md->has_next_row_id = true;
		md->next_row_id = 0;
	}
	/* Types newer than the format version (v3 types in a v2 table) are read:
	 * the reference implementation checks them when schemas are added, not
	 * when metadata is read. */
	return ice_table_metadata__finish(md, p->r);
}

int ice_spec__parse_document(ice_json **out, const void *data, size_t len, const char *source)
{
	ice_buf plain = ICE_BUF_INIT;
	const char *text = data;
	int rc;
	ice_codec codec = ice_codec__sniff(data, len);
	if (codec != ICE_CODEC_NONE) {
		ice_buf__init(&plain, (size_t)1 << 30);
		if ((rc = ice_codec__decompress(codec, data, len, 0, &plain)) != 0) {
			ice_buf__free(&plain);
			return ice_error__prefix("%s", source);
		}
		text = ice_buf__cstr(&plain);
		len = plain.len;
	}
	rc = ice_json__parse(out, text, len, source);
	ice_buf__free(&plain);
	return rc;
}

int ice_table_metadata__from_json(ice_table_metadata **out, ice_jr *r, const ice_json *obj)
{
	ice_table_metadata *md;
	parser p;
	int rc;
	*out = NULL;
	if (!(md = ice_table_metadata__alloc()))
		return ICE_ERROR;
	p.md = md;
	p.arena = &md->arena;
	p.r = r;
	p.root = obj;
	p.v = 0;
	if ((rc = parse_document(&p)) != 0) {
		ice_table_metadata_free(md);
		return rc;
	}
	*out = md;
	return 0;
}

int ice_table_metadata_parse(ice_table_metadata **out, const void *data, size_t len, const char *source)
{
	ice_table_metadata *md;
	ice_json *root;
	ice_jr r;
	parser p;
	int rc;

	*out = NULL;
	if (!source)
		source = "<metadata>";
	if ((rc = ice_spec__parse_document(&root, data, len, source)) != 0)
		return rc;
	if (!(md = ice_table_metadata__alloc())) {
		ice_json__free(root);
		return ICE_ERROR;
	}
	ice_jr__init(&r, source, ICE_ERRCLASS_METADATA);
	p.md = md;
	p.arena = &md->arena;
	p.r = &r;
	p.root = root;
	p.v = 0;
	rc = parse_document(&p);
	ice_json__free(root);
	if (rc) {
		ice_table_metadata_free(md);
		return rc;
	}
	*out = md;
	return 0;
}

/* ---- writing ------------------------------------------------------------------ */

int ice_table_metadata_write_json(const ice_table_metadata *md, ice_json_writer *w)
{
	const int v = md->format_version;
	ice_json_begin_object(w);
	ice_json_key(w, "format-version");
	ice_json_int(w, v);
	if (md->table_uuid) {
		ice_json_key(w, "table-uuid");
		ice_json_string(w, md->table_uuid);
	}
	ice_json_key(w, "location");
	ice_json_string(w, md->location);
	if (v >= 2) {
		ice_json_key(w, "last-sequence-number");
		ice_json_int(w, md->last_sequence_number);
	}
	ice_json_key(w, "last-updated-ms");
	ice_json_int(w, md->last_updated_ms);
	ice_json_key(w, "last-column-id");
	ice_json_int(w, md->last_column_id);
	if (v == 1) {
		/* v1 readers look for the deprecated single schema. */
		ice_json_key(w, "schema");
		ice_schema__write(ice_table_metadata_current_schema(md), w, true);
	}
	ice_json_key(w, "current-schema-id");
	ice_json_int(w, md->current_schema_id);
	ice_json_key(w, "schemas");
	ice_json_begin_array(w);
	for (size_t i = 0; i < md->nschemas; i++)
		ice_schema__write(&md->schemas[i], w, true);
	ice_json_end_array(w);
	if (v == 1) {
		ice_json_key(w, "partition-spec");
		ice_partition_spec__write_fields(ice_table_metadata_default_spec(md), w);
	}
	ice_json_key(w, "default-spec-id");
	ice_json_int(w, md->default_spec_id);
	ice_json_key(w, "partition-specs");
	ice_json_begin_array(w);
	for (size_t i = 0; i < md->nspecs; i++)
		ice_partition_spec_write_json(&md->specs[i], w);
	ice_json_end_array(w);
	ice_json_key(w, "last-partition-id");
	ice_json_int(w, md->last_partition_id);
	ice_json_key(w, "default-sort-order-id");
	ice_json_int(w, md->default_sort_order_id);
	ice_json_key(w, "sort-orders");
	ice_json_begin_array(w);
	for (size_t i = 0; i < md->nsort_orders; i++)
		ice_sort_order_write_json(&md->sort_orders[i], w);
	ice_json_end_array(w);
	ice_json_key(w, "properties");
	ice_properties__write(&md->properties, w);
	if (md->has_current_snapshot) {
		ice_json_key(w, "current-snapshot-id");
		ice_json_int(w, md->current_snapshot_id);
	} else if (v < 3) {
		/* v1/v2 readers of the reference implementation expect -1. */
		ice_json_key(w, "current-snapshot-id");
		ice_json_int(w, -1);
	}
	ice_json_key(w, "refs");
	ice_json_begin_object(w);
	for (size_t i = 0; i < md->nrefs; i++) {
		ice_json_key(w, md->refs[i].name);
		ice_ref__write(&md->refs[i], w);
	}
	ice_json_end_object(w);
	ice_json_key(w, "snapshots");
	ice_json_begin_array(w);
	for (size_t i = 0; i < md->nsnapshots; i++)
		ice_snapshot__write(&md->snapshots[i], w, v);
	ice_json_end_array(w);
	ice_json_key(w, "statistics");
	ice_json_begin_array(w);
	for (size_t i = 0; i < md->nstatistics; i++)
		ice_statistics__write(&md->statistics[i], w);
	ice_json_end_array(w);
	ice_json_key(w, "partition-statistics");
	ice_json_begin_array(w);
	for (size_t i = 0; i < md->npartition_statistics; i++)
		ice_partition_statistics__write(&md->partition_statistics[i], w);
	ice_json_end_array(w);
	ice_json_key(w, "snapshot-log");
	ice_json_begin_array(w);
	for (size_t i = 0; i < md->nsnapshot_log; i++) {
		ice_json_begin_object(w);
		ice_json_key(w, "timestamp-ms");
		ice_json_int(w, md->snapshot_log[i].timestamp_ms);
		ice_json_key(w, "snapshot-id");
		ice_json_int(w, md->snapshot_log[i].snapshot_id);
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
	ice_json_key(w, "metadata-log");
	ice_json_begin_array(w);
	for (size_t i = 0; i < md->nmetadata_log; i++) {
		ice_json_begin_object(w);
		ice_json_key(w, "timestamp-ms");
		ice_json_int(w, md->metadata_log[i].timestamp_ms);
		ice_json_key(w, "metadata-file");
		ice_json_string(w, md->metadata_log[i].metadata_file);
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
	if (v >= 3) {
		ice_json_key(w, "next-row-id");
		ice_json_int(w, md->next_row_id);
		if (md->nencryption_keys) {
			ice_json_key(w, "encryption-keys");
			ice_json_begin_array(w);
			for (size_t i = 0; i < md->nencryption_keys; i++)
				ice_encryption_key__write(&md->encryption_keys[i], w);
			ice_json_end_array(w);
		}
	}
	return ice_json_end_object(w);
}

int ice_table_metadata_to_json(char **out, size_t *len_out, const ice_table_metadata *md, int flags)
{
	ice_json_writer w;
	int rc;
	*out = NULL;
	ice_jw__init(&w, flags);
	ice_table_metadata_write_json(md, &w);
	rc = ice_json_writer_finish(&w, NULL, NULL);
	if (!rc && !(*out = ice_buf__detach(&w.buf, len_out)))
		rc = ICE_ERROR;
	ice_jw__free(&w);
	return rc;
}
