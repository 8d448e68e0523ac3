/*
 * manifest/manifest_write.c - writing manifests (spec "Manifests", "Manifest
 * Entry Fields", "Data File Fields", Appendix A "Avro") for format v1, v2
 * and v3, with the header keys the spec requires, the metrics modes of the
 * table applied to added files, and what the manifest list needs at the end:
 * file and row counts per status, the smallest data sequence number of a
 * live entry, and a summary per partition field (spec "Manifest Lists":
 * field_summary).
 */
#include <stdio.h>
#include <string.h>

#include "manifest_schema.h"

typedef struct summary {
	bool contains_null, contains_nan;
	bool has_bounds;
	ice_buf lower, upper; /* serialized */
	ice_literal lower_value, upper_value; /* decoded from the buffers */
} summary;

struct ice_manifest_writer {
	ice_avro_writer avro;
	ice_arena arena;
	const char *location;
	int format_version;
	ice_manifest_content content;
	bool has_snapshot_id;
	int64_t snapshot_id;
	const ice_schema *schema;
	const ice_partition_spec *spec;
	const ice_type **types;
	ice_manifest_types field_types; /* for truncating bounds */
	ice_metrics_config *metrics;
	bool keep_metrics;

	int32_t added_files, existing_files, deleted_files;
	int64_t added_rows, existing_rows, deleted_rows;
	bool has_min_seq;
	int64_t min_seq;
	summary *summaries;

	ice_buf bound;         /* one bound serialized from its value */
	ice_manifest_vec scratch; /* truncated upper bounds */
};

void ice_manifest_writer_options_init(ice_manifest_writer_options *opts)
{
	memset(opts, 0, sizeof(*opts));
}

/* The spec's fields array as the "partition-spec" header value. */
static const char *spec_fields_json(ice_arena *arena, const ice_partition_spec *spec)
{
	ice_json_writer w;
	const char *text, *copy = NULL;
	size_t len;
	ice_jw__init(&w, ICE_JSON_COMPACT);
	ice_json_begin_array(&w);
	for (size_t i = 0; i < spec->nfields; i++) {
		const ice_partition_field *pf = &spec->fields[i];
		char t[64];
		ice_transform_to_string(&pf->transform, t, sizeof(t));
		ice_json_begin_object(&w);
		ice_json_key(&w, "name");
		ice_json_string(&w, pf->name);
		ice_json_key(&w, "transform");
		ice_json_string(&w, pf->transform.kind == ICE_TRANSFORM_UNKNOWN && pf->transform.name ? pf->transform.name : t);
		if (pf->n_source_ids > 1) {
			ice_json_key(&w, "source-ids");
			ice_json_begin_array(&w);
			for (size_t k = 0; k < pf->n_source_ids; k++)
				ice_json_int(&w, pf->source_ids[k]);
			ice_json_end_array(&w);
		} else {
			ice_json_key(&w, "source-id");
			ice_json_int(&w, pf->source_id);
		}
		ice_json_key(&w, "field-id");
		ice_json_int(&w, pf->field_id);
		ice_json_end_object(&w);
	}
	ice_json_end_array(&w);
	if (ice_json_writer_finish(&w, &text, &len) == 0)
		copy = ice_arena__strndup(arena, text, len);
	ice_jw__free(&w);
	return copy;
}

static int open_error(const char *location, const char *what)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO, "%s: cannot write manifest: %s", location, what);
}

static int writer_setup(ice_manifest_writer *w, const ice_io *io, const char *location, const ice_table_metadata *md,
                        const ice_manifest_writer_options *opts)
{
	const ice_properties *props = opts->properties ? opts->properties : md ? ice_table_metadata_properties(md) : NULL;
	char *schema_json = NULL;
	size_t schema_len;
	ice_avro_meta meta[7];
	size_t nmeta = 0;
	char num[3][24];
	ice_codec codec;
	int level, rc;

	w->format_version = opts->format_version ? opts->format_version : md ? ice_table_metadata_format_version(md) : 0;
	if (w->format_version < 1 || w->format_version > ICE_FORMAT_VERSION_MAX)
		return open_error(location, "format version must be 1, 2 or 3");
	w->content = opts->content;
	if (w->content != ICE_MANIFEST_CONTENT_DATA && w->content != ICE_MANIFEST_CONTENT_DELETES)
		return open_error(location, "content must be data or deletes");
	if (w->content == ICE_MANIFEST_CONTENT_DELETES && w->format_version < 2)
		return open_error(location, "v1 manifests cannot hold delete files");
	w->schema = opts->schema ? opts->schema : md ? ice_table_metadata_current_schema(md) : NULL;
	w->spec = opts->spec ? opts->spec : md ? ice_table_metadata_default_spec(md) : NULL;
	if (!w->schema || !w->spec)
		return open_error(location, "no schema or partition spec");
	w->has_snapshot_id = opts->has_snapshot_id;
	w->snapshot_id = opts->snapshot_id;
	w->keep_metrics = opts->keep_metrics;
	if (!(w->location = ice_arena__strdup(&w->arena, location)))
		return ICE_ERROR;
	if (!(w->types = ice_manifest__partition_types(&w->arena, w->spec, w->schema, NULL)))
		return ICE_ERROR;
	for (size_t i = 0; opts->partition_types && i < w->spec->nfields; i++)
		if (opts->partition_types[i])
			w->types[i] = opts->partition_types[i];
	for (size_t i = 0; i < w->spec->nfields; i++)
		if (!w->types[i])
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO,
			                      "%s: cannot write manifest: partition field '%s' has no type for the schema",
			                      location, w->spec->fields[i].name);
	if (w->spec->nfields && !(w->summaries = ice_arena__allocarray(&w->arena, w->spec->nfields, sizeof(summary))))
		return ICE_ERROR;
	for (size_t i = 0; i < w->spec->nfields; i++) {
		ice_buf__init(&w->summaries[i].lower, 0);
		ice_buf__init(&w->summaries[i].upper, 0);
	}
	if ((rc = ice_manifest__types_init(&w->field_types, NULL, w->schema)))
		return rc;
	if (!w->keep_metrics &&
	    (rc = ice_metrics_config_new(&w->metrics, props, w->schema,
	                                 md ? ice_table_metadata_default_sort_order(md) : NULL)))
		return rc;
	if ((rc = ice_manifest__writer_codec(&codec, &level, opts->codec, opts->compression_level, props)))
		return rc;

	if ((rc = ice_schema_to_json(&schema_json, &schema_len, w->schema, ICE_JSON_COMPACT)))
		return rc;
	meta[nmeta].key = "schema";
	meta[nmeta].value = ice_arena__strndup(&w->arena, schema_json, schema_len);
	meta[nmeta++].value_len = schema_len;
	ice_free(schema_json);
	snprintf(num[0], sizeof(num[0]), "%d", (int)ice_schema_id(w->schema));
	snprintf(num[1], sizeof(num[1]), "%d", (int)w->spec->spec_id);
	snprintf(num[2], sizeof(num[2]), "%d", w->format_version);
	meta[nmeta].key = "schema-id";
	meta[nmeta++].value = num[0];
	meta[nmeta].key = "partition-spec";
	meta[nmeta++].value = spec_fields_json(&w->arena, w->spec);
	meta[nmeta].key = "partition-spec-id";
	meta[nmeta++].value = num[1];
	meta[nmeta].key = "format-version";
	meta[nmeta++].value = num[2];
	if (w->format_version >= 2) {
		meta[nmeta].key = "content";
		meta[nmeta++].value = w->content == ICE_MANIFEST_CONTENT_DELETES ? "deletes" : "data";
	}
	meta[nmeta].key = "iceberg.schema";
	meta[nmeta++].value = ice_manifest__entry_iceberg_json(&w->arena, w->format_version, w->spec, w->types);
	for (size_t i = 0; i < nmeta; i++) {
		if (!meta[i].value)
			return ice_error__code();
		meta[i].value_len = strlen(meta[i].value);
	}
	const char *avro_schema = ice_manifest__entry_schema_json(&w->arena, w->format_version, w->spec, w->types);
	if (!avro_schema)
		return ice_error__code();
	return ice_avro__writer_open(&w->avro, io, location, avro_schema, meta, nmeta, codec, level);
}

int ice_manifest_writer_open(ice_manifest_writer **out, const ice_io *io, const char *location,
                             const ice_table_metadata *md, const ice_manifest_writer_options *opts)
{
	ice_manifest_writer_options defaults;
	ice_manifest_writer *w = ice__calloc(1, sizeof(*w));
	int rc;
	*out = NULL;
	if (!w)
		return ICE_ERROR;
	if (!opts) {
		ice_manifest_writer_options_init(&defaults);
		opts = &defaults;
	}
	ice_arena__init(&w->arena, 4096);
	ice_map__init(&w->field_types.by_id, false);
	ice_buf__init(&w->bound, 0);
	if ((rc = writer_setup(w, io, location, md, opts)) != 0) {
		ice_manifest_writer_abort(w);
		return rc;
	}
	*out = w;
	return 0;
}

static void writer_free(ice_manifest_writer *w)
{
	for (size_t i = 0; w->summaries && i < w->spec->nfields; i++) {
		ice_buf__free(&w->summaries[i].lower);
		ice_buf__free(&w->summaries[i].upper);
	}
	ice_metrics_config_free(w->metrics);
	ice_manifest__types_free(&w->field_types);
	ice_buf__free(&w->bound);
	ice_manifest__vec_free(&w->scratch);
	ice_arena__free(&w->arena);
	ice__free(w);
}

void ice_manifest_writer_abort(ice_manifest_writer *w)
{
	if (!w)
		return;
	ice_avro__writer_abort(&w->avro);
	writer_free(w);
}

/* ---- one entry ------------------------------------------------------------------- */

static int entry_error(ice_manifest_writer *w, const char *what, const char *arg)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO, "%s: entry %d: %s%s", w->location,
	                      w->added_files + w->existing_files + w->deleted_files, what, arg);
}

static bool literal_fits(const ice_literal *v, const ice_type *t)
{
	if (v->is_null)
		return true;
	if (v->type != t->id)
		return false;
	if (t->id == ICE_TYPE_DECIMAL)
		return v->scale == t->u.decimal.scale;
	if (t->id == ICE_TYPE_FIXED)
		return v->v.bytes.len == (size_t)t->u.fixed.length;
	if (t->id == ICE_TYPE_UUID)
		return v->v.bytes.len == 16;
	return true;
}

static int check_entry(ice_manifest_writer *w, const ice_manifest_entry *e)
{
	const ice_data_file *df = &e->data_file;
	if (e->status < ICE_MANIFEST_ENTRY_EXISTING || e->status > ICE_MANIFEST_ENTRY_DELETED)
		return entry_error(w, "status is not 0, 1 or 2", "");
	if (!df->file_path || !df->file_format)
		return entry_error(w, "data file without ", !df->file_path ? "file_path" : "file_format");
	if (df->content < ICE_FILE_CONTENT_DATA || df->content > ICE_FILE_CONTENT_EQUALITY_DELETES)
		return entry_error(w, "data file content is not 0, 1 or 2", "");
	if ((df->content == ICE_FILE_CONTENT_DATA) != (w->content == ICE_MANIFEST_CONTENT_DATA))
		return entry_error(w, ice_file_content_name(df->content),
		                   w->content == ICE_MANIFEST_CONTENT_DATA ? " file in a data manifest"
		                                                           : " file in a delete manifest");
	if (df->n_partition != w->spec->nfields)
		return entry_error(w, "partition tuple does not match the partition spec's field count", "");
	for (size_t i = 0; i < df->n_partition; i++)
		if (!literal_fits(&df->partition[i], w->types[i]))
			return entry_error(w, "partition value does not have the type of field ", w->spec->fields[i].name);
	if (w->format_version == 1 && !e->has_snapshot_id && !w->has_snapshot_id)
		return entry_error(w, "v1 entries need a snapshot id", "");
	return 0;
}

static void put_opt_long(ice_buf *b, bool required, bool has, int64_t v)
{
	if (!required)
		ice_avro__put_long(b, has ? 1 : 0);
	if (has || required)
		ice_avro__put_long(b, v);
}

static void put_opt_bytes(ice_buf *b, bool required, bool has, const void *p, size_t n)
{
	if (!required)
		ice_avro__put_long(b, has ? 1 : 0);
	if (has || required)
		ice_avro__put_bytes(b, p, n);
}

static ice_metrics_mode mode_of(const ice_manifest_writer *w, bool apply, int32_t id)
{
	ice_metrics_mode full = {ICE_METRICS_FULL, 0};
	return apply ? ice_metrics_config_mode(w->metrics, id) : full;
}

static void put_counts(ice_manifest_writer *w, ice_buf *b, const ice_metric_counts *m, bool apply, bool is_size)
{
	size_t n = 0;
	if (!m->present) {
		ice_avro__put_long(b, 0);
		return;
	}
	ice_avro__put_long(b, 1);
	for (size_t i = 0; i < m->n; i++)
		if (is_size || mode_of(w, apply, m->items[i].field_id).kind != ICE_METRICS_NONE)
			n++;
	if (n) {
		ice_avro__put_long(b, (int64_t)n);
		for (size_t i = 0; i < m->n; i++) {
			if (!is_size && mode_of(w, apply, m->items[i].field_id).kind == ICE_METRICS_NONE)
				continue;
			ice_avro__put_long(b, m->items[i].field_id);
			ice_avro__put_long(b, m->items[i].value);
		}
	}
	ice_avro__put_long(b, 0);
}

/* The bytes to write for a bound after its column's metrics mode; false when
 * the bound is dropped. */
static int bound_bytes(ice_manifest_writer *w, const ice_metric_bound *mb, bool apply, bool upper, ice_slice *out,
                       bool *keep)
{
	ice_metrics_mode mode = mode_of(w, apply, mb->field_id);
	const ice_type *t;
	int rc;
	*keep = false;
	if (mode.kind == ICE_METRICS_NONE || mode.kind == ICE_METRICS_COUNTS)
		return 0;
	*out = mb->bytes;
	if (!mb->bytes.data && mb->value.type != ICE_TYPE_INVALID && !mb->value.is_null) {
		size_t n = 0;
		if ((rc = ice_literal_to_bytes(&mb->value, NULL, 0, &n)))
			return rc;
		w->bound.len = 0;
		w->bound.error = 0;
		if ((rc = ice_buf__grow(&w->bound, n)) || (rc = ice_literal_to_bytes(&mb->value, (uint8_t *)w->bound.ptr, n, &n)))
			return rc;
		out->data = (const uint8_t *)w->bound.ptr;
		out->len = n;
	}
	*keep = true;
	if (mode.kind != ICE_METRICS_TRUNCATE)
		return 0;
	t = ice_manifest__type_of(&w->field_types, mb->field_id);
	if (!t || (t->id != ICE_TYPE_STRING && t->id != ICE_TYPE_BINARY))
		return 0;
	if (!upper)
		return ice_metrics_truncate_lower(out, t->id, *out, mode.length);
	size_t cap = (size_t)mode.length * 4;
	uint8_t *scratch = ice_manifest__vec_reserve(&w->scratch, cap, 1);
	if (!scratch)
		return ICE_ERROR;
	return ice_metrics_truncate_upper(out, keep, t->id, *out, mode.length, scratch, cap);
}

static int put_bounds(ice_manifest_writer *w, ice_buf *b, const ice_metric_bounds *m, bool apply, bool upper)
{
	size_t n = 0;
	int rc;
	if (!m->present) {
		ice_avro__put_long(b, 0);
		return 0;
	}
	ice_avro__put_long(b, 1);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < m->n; i++) {
			ice_slice s;
			bool keep;
			if ((rc = bound_bytes(w, &m->items[i], apply, upper, &s, &keep)))
				return rc;
			if (!keep)
				continue;
			if (pass == 0) {
				n++;
			} else {
				ice_avro__put_long(b, m->items[i].field_id);
				ice_avro__put_bytes(b, s.data, s.len);
			}
		}
		if (pass == 0 && n)
			ice_avro__put_long(b, (int64_t)n);
		if (!n)
			break;
	}
	ice_avro__put_long(b, 0);
	return 0;
}

static void put_list(ice_buf *b, bool present, size_t n, const int64_t *longs, const int32_t *ints)
{
	ice_avro__put_long(b, present ? 1 : 0);
	if (!present)
		return;
	if (n) {
		ice_avro__put_long(b, (int64_t)n);
		for (size_t i = 0; i < n; i++)
			ice_avro__put_long(b, longs ? longs[i] : ints[i]);
	}
	ice_avro__put_long(b, 0);
}

static int put_data_file(ice_manifest_writer *w, ice_buf *b, const ice_manifest_entry *e)
{
	const ice_data_file *df = &e->data_file;
	const int v = w->format_version;
	bool apply = !w->keep_metrics && e->status == ICE_MANIFEST_ENTRY_ADDED;
	size_t n;
	const ice_manifest_wfield *fs = ice_manifest__wfields(ICE_WREC_DATA_FILE, &n);
	int rc;
	for (size_t i = 0; i < n; i++) {
		const ice_manifest_wfield *f = &fs[i];
		bool req = ice_manifest__wfield_required(f, v);
		if (!ice_manifest__wfield_in(f, v))
			continue;
		switch (f->id) {
		case 134: ice_avro__put_long(b, df->content); break;
		case 100: ice_avro__put_string(b, df->file_path); break;
		case 101: ice_avro__put_string(b, df->file_format); break;
		case 102:
			for (size_t k = 0; k < w->spec->nfields; k++) {
				const ice_literal *pv = &df->partition[k];
				ice_avro__put_long(b, pv->is_null ? 0 : 1);
				if (!pv->is_null && (rc = ice_avro__put_literal(b, pv, w->types[k])))
					return rc;
			}
			break;
		case 103: ice_avro__put_long(b, df->record_count); break;
		case 104: ice_avro__put_long(b, df->file_size_in_bytes); break;
		case 105:
			ice_avro__put_long(b, df->has_block_size_in_bytes ? df->block_size_in_bytes : ICE_MANIFEST_V1_BLOCK_SIZE);
			break;
		case 108: put_counts(w, b, &df->column_sizes, apply, true); break;
		case 109: put_counts(w, b, &df->value_counts, apply, false); break;
		case 110: put_counts(w, b, &df->null_value_counts, apply, false); break;
		case 137: put_counts(w, b, &df->nan_value_counts, apply, false); break;
		case 125:
			if ((rc = put_bounds(w, b, &df->lower_bounds, apply, false)))
				return rc;
			break;
		case 128:
			if ((rc = put_bounds(w, b, &df->upper_bounds, apply, true)))
				return rc;
			break;
		case 131:
			put_opt_bytes(b, req, df->has_key_metadata, df->key_metadata.data, df->key_metadata.len);
			break;
		case 132: put_list(b, df->split_offsets.present, df->split_offsets.n, df->split_offsets.items, NULL); break;
		case 135: put_list(b, df->equality_ids.present, df->equality_ids.n, NULL, df->equality_ids.items); break;
		case 140: put_opt_long(b, req, df->has_sort_order_id, df->sort_order_id); break;
		case 142:
			put_opt_long(b, req, df->has_first_row_id && !(e->inherited & ICE_INHERITED_FIRST_ROW_ID),
			             df->first_row_id);
			break;
		case 143:
			put_opt_bytes(b, req, df->referenced_data_file != NULL, df->referenced_data_file,
			              df->referenced_data_file ? strlen(df->referenced_data_file) : 0);
			break;
		case 144: put_opt_long(b, req, df->has_content_offset, df->content_offset); break;
		case 145: put_opt_long(b, req, df->has_content_size_in_bytes, df->content_size_in_bytes); break;
		}
	}
	return 0;
}

static int update_summary(ice_manifest_writer *w, const ice_data_file *df)
{
	for (size_t i = 0; i < w->spec->nfields; i++) {
		summary *s = &w->summaries[i];
		const ice_literal *v = &df->partition[i];
		const ice_type *t = w->types[i];
		int rc;
		if (v->is_null) {
			s->contains_null = true;
			continue;
		}
		if ((v->type == ICE_TYPE_FLOAT && v->v.f32 != v->v.f32) ||
		    (v->type == ICE_TYPE_DOUBLE && v->v.f64 != v->v.f64)) {
			s->contains_nan = true;
			continue;
		}
		for (int k = 0; k < 2; k++) {
			ice_buf *buf = k ? &s->upper : &s->lower;
			ice_literal *cur = k ? &s->upper_value : &s->lower_value;
			size_t n = 0;
			if (s->has_bounds && (k ? ice_literal_compare(v, cur) <= 0 : ice_literal_compare(v, cur) >= 0))
				continue;
			if ((rc = ice_literal_to_bytes(v, NULL, 0, &n)))
				return rc;
			buf->len = 0;
			buf->error = 0;
			if ((rc = ice_buf__grow(buf, n)) || (rc = ice_literal_to_bytes(v, (uint8_t *)buf->ptr, n, &n)))
				return rc;
			buf->len = n;
			if ((rc = ice_literal_from_bytes(cur, t, (const uint8_t *)buf->ptr, n)))
				return rc;
		}
		s->has_bounds = true;
	}
	return 0;
}

int ice_manifest_writer_add_entry(ice_manifest_writer *w, const ice_manifest_entry *e)
{
	ice_buf *b = &w->avro.block;
	size_t mark = b->len, n;
	const ice_manifest_wfield *fs = ice_manifest__wfields(ICE_WREC_ENTRY, &n);
	const int v = w->format_version;
	const bool added = e->status == ICE_MANIFEST_ENTRY_ADDED;
	int rc;
	if (w->avro.error)
		return w->avro.error;
	if ((rc = check_entry(w, e)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		const ice_manifest_wfield *f = &fs[i];
		bool req = ice_manifest__wfield_required(f, v);
		if (!ice_manifest__wfield_in(f, v))
			continue;
		switch (f->id) {
		case 0: ice_avro__put_long(b, e->status); break;
		case 1: {
			bool has = e->has_snapshot_id && !(e->inherited & ICE_INHERITED_SNAPSHOT_ID);
			put_opt_long(b, req, has || req, has ? e->snapshot_id : w->snapshot_id);
			break;
		}
		case 3:
			/* Only added entries leave sequence numbers to inheritance; existing
			 * and deleted ones carry them explicitly (spec "Manifest Entry Fields"). */
			put_opt_long(b, req,
			             e->has_sequence_number && (!(e->inherited & ICE_INHERITED_SEQUENCE_NUMBER) || !added),
			             e->sequence_number);
			break;
		case 4:
			put_opt_long(b, req,
			             e->has_file_sequence_number &&
			                 (!(e->inherited & ICE_INHERITED_FILE_SEQUENCE_NUMBER) || !added),
			             e->file_sequence_number);
			break;
		case 2:
			if ((rc = put_data_file(w, b, e))) {
				b->len = mark; /* drop the partial record; the writer stays usable */
				b->error = 0;
				return rc;
			}
			break;
		}
	}
	if (b->error)
		return w->avro.error = b->error;
	if ((rc = update_summary(w, &e->data_file)))
		return rc;
	switch (e->status) {
	case ICE_MANIFEST_ENTRY_ADDED:
		w->added_files++;
		w->added_rows += e->data_file.record_count;
		break;
	case ICE_MANIFEST_ENTRY_EXISTING:
		w->existing_files++;
		w->existing_rows += e->data_file.record_count;
		break;
	default:
		w->deleted_files++;
		w->deleted_rows += e->data_file.record_count;
		break;
	}
	if (e->status != ICE_MANIFEST_ENTRY_DELETED && e->has_sequence_number &&
	    (!added || !(e->inherited & ICE_INHERITED_SEQUENCE_NUMBER)) &&
	    (!w->has_min_seq || e->sequence_number < w->min_seq)) {
		w->has_min_seq = true;
		w->min_seq = e->sequence_number;
	}
	return ice_avro__writer_record_done(&w->avro);
}

int ice_manifest_writer_add(ice_manifest_writer *w, const ice_data_file *file, int64_t data_sequence_number)
{
	ice_manifest_entry e;
	memset(&e, 0, sizeof(e));
	e.status = ICE_MANIFEST_ENTRY_ADDED;
	e.has_snapshot_id = w->has_snapshot_id;
	e.snapshot_id = w->snapshot_id;
	e.has_sequence_number = data_sequence_number >= 0;
	e.sequence_number = data_sequence_number;
	e.data_file = *file;
	e.data_file.has_first_row_id = false; /* assigned by inheritance */
	return ice_manifest_writer_add_entry(w, &e);
}

int ice_manifest_writer_add_existing(ice_manifest_writer *w, const ice_data_file *file, int64_t snapshot_id,
                                     int64_t sequence_number, int64_t file_sequence_number)
{
	ice_manifest_entry e;
	memset(&e, 0, sizeof(e));
	e.status = ICE_MANIFEST_ENTRY_EXISTING;
	e.has_snapshot_id = true;
	e.snapshot_id = snapshot_id;
	e.has_sequence_number = e.has_file_sequence_number = true;
	e.sequence_number = sequence_number;
	e.file_sequence_number = file_sequence_number;
	e.data_file = *file;
	return ice_manifest_writer_add_entry(w, &e);
}

int ice_manifest_writer_add_deleted(ice_manifest_writer *w, const ice_data_file *file, int64_t sequence_number,
                                    int64_t file_sequence_number)
{
	ice_manifest_entry e;
	memset(&e, 0, sizeof(e));
	e.status = ICE_MANIFEST_ENTRY_DELETED;
	e.has_snapshot_id = w->has_snapshot_id;
	e.snapshot_id = w->snapshot_id;
	e.has_sequence_number = e.has_file_sequence_number = true;
	e.sequence_number = sequence_number;
	e.file_sequence_number = file_sequence_number;
	e.data_file = *file;
	return ice_manifest_writer_add_entry(w, &e);
}

int ice_manifest_writer_close(ice_manifest_writer *w, ice_manifest_file **out)
{
	ice_manifest_file mf;
	ice_partition_field_summary *ps = NULL;
	uint64_t length = 0;
	int rc;
	if (out)
		*out = NULL;
	if (!w)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "ice_manifest_writer_close: no writer");
	if ((rc = ice_avro__writer_close(&w->avro, &length)) != 0) {
		writer_free(w);
		return rc;
	}
	memset(&mf, 0, sizeof(mf));
	mf.manifest_path = w->location;
	mf.manifest_length = (int64_t)length;
	mf.partition_spec_id = w->spec->spec_id;
	mf.content = w->content;
	mf.sequence_number = ICE_SEQUENCE_NUMBER_UNASSIGNED;
	mf.min_sequence_number = w->has_min_seq ? w->min_seq : ICE_SEQUENCE_NUMBER_UNASSIGNED;
	mf.has_added_snapshot_id = w->has_snapshot_id;
	mf.added_snapshot_id = w->snapshot_id;
	mf.added_files_count = w->added_files;
	mf.existing_files_count = w->existing_files;
	mf.deleted_files_count = w->deleted_files;
	mf.added_rows_count = w->added_rows;
	mf.existing_rows_count = w->existing_rows;
	mf.deleted_rows_count = w->deleted_rows;
	mf.has_partitions = true;
	mf.n_partitions = w->spec->nfields;
	if (mf.n_partitions && !(ps = ice_arena__allocarray(&w->arena, mf.n_partitions, sizeof(*ps)))) {
		writer_free(w);
		return ICE_ERROR;
	}
	for (size_t i = 0; i < mf.n_partitions; i++) {
		const summary *s = &w->summaries[i];
		ps[i].contains_null = s->contains_null;
		ps[i].has_contains_nan = true;
		ps[i].contains_nan = s->contains_nan;
		ps[i].has_lower_bound = ps[i].has_upper_bound = s->has_bounds;
		ps[i].lower_bound.data = (const uint8_t *)s->lower.ptr;
		ps[i].lower_bound.len = s->has_bounds ? s->lower.len : 0;
		ps[i].upper_bound.data = (const uint8_t *)s->upper.ptr;
		ps[i].upper_bound.len = s->has_bounds ? s->upper.len : 0;
		ps[i].lower_value = s->lower_value;
		ps[i].upper_value = s->upper_value;
		if (!s->has_bounds)
			ps[i].lower_value.type = ps[i].upper_value.type = ICE_TYPE_INVALID;
	}
	mf.partitions = ps;
	rc = out ? ice_manifest_file_copy(out, &mf) : 0;
	writer_free(w);
	return rc;
}
