/*
 * manifest/manifest_json.c - manifest entries, data files and manifest list
 * entries as JSON and text, for tools (--json output of `ice files` and
 * `ice manifests`). Field names are the spec's ("Manifest Entry Fields",
 * "Data File Fields", "Manifest Lists"); values in the single-value JSON
 * form (Appendix D) for partition values and bounds, so dates read as dates
 * and decimals as decimals; metrics maps are objects keyed by field id.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "util/strutil.h"

/* "POINT (x y)", "POINT Z (x y z)", "POINT M (x y m)", "POINT ZM (x y z m)". */
static void geo_point_text(ice_buf *b, ice_slice s)
{
	double c[4] = {0, 0, NAN, NAN};
	size_t n = s.len / 8;
	for (size_t i = 0; i < n && i < 4; i++) {
		uint64_t u = 0;
		for (int k = 7; k >= 0; k--)
			u = u << 8 | s.data[i * 8 + (size_t)k];
		memcpy(&c[i], &u, 8);
	}
	bool has_z = n >= 3 && !isnan(c[2]), has_m = n >= 4;
	ice_buf__printf(b, "POINT%s (%.17g %.17g", has_z && has_m ? " ZM" : has_z ? " Z" : has_m ? " M" : "", c[0], c[1]);
	if (has_z)
		ice_buf__printf(b, " %.17g", c[2]);
	if (has_m)
		ice_buf__printf(b, " %.17g", c[3]);
	ice_buf__putc(b, ')');
}

static bool non_finite(const ice_literal *v, const char **text)
{
	double d;
	if (v->is_null || (v->type != ICE_TYPE_FLOAT && v->type != ICE_TYPE_DOUBLE))
		return false;
	d = v->type == ICE_TYPE_FLOAT ? (double)v->v.f32 : v->v.f64;
	if (isfinite(d))
		return false;
	*text = isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
	return true;
}

char *ice_metric_bound_to_string(const ice_metric_bound *bound)
{
	ice_buf b = ICE_BUF_INIT;
	const char *nf;
	if (bound->value.type == ICE_TYPE_INVALID) {
		char *hex = ice__malloc(bound->bytes.len * 2 + 3);
		if (!hex)
			return NULL;
		hex[0] = '0';
		hex[1] = 'x';
		ice_hex__encode(bound->bytes.data, bound->bytes.len, hex + 2);
		return hex;
	}
	if (bound->value.type == ICE_TYPE_GEOMETRY || bound->value.type == ICE_TYPE_GEOGRAPHY) {
		geo_point_text(&b, bound->value.v.bytes);
		return ice_buf__detach(&b, NULL);
	}
	if (non_finite(&bound->value, &nf))
		return ice__strdup(nf);
	return ice_literal_to_string(&bound->value);
}

static int literal_json(const ice_literal *v, ice_json_writer *w)
{
	const char *nf;
	if (v->is_null)
		return ice_json_null(w);
	if (non_finite(v, &nf))
		return ice_json_string(w, nf);
	return ice_literal_write_json(v, w);
}

static int hex_json(ice_slice s, ice_json_writer *w)
{
	char small[130], *hex = small;
	int rc;
	if (s.len > 64 && !(hex = ice__malloc(s.len * 2 + 1)))
		return ice_jw__fail(w, ICE_ERROR);
	ice_hex__encode(s.data, s.len, hex);
	rc = ice_json_string_n(w, hex, s.len * 2);
	if (hex != small)
		ice__free(hex);
	return rc;
}

int ice_metric_bound_write_json(const ice_metric_bound *bound, ice_json_writer *w)
{
	if (bound->value.type == ICE_TYPE_INVALID) {
		ice_json_begin_object(w);
		ice_json_key(w, "bytes");
		hex_json(bound->bytes, w);
		return ice_json_end_object(w);
	}
	if (bound->value.type == ICE_TYPE_GEOMETRY || bound->value.type == ICE_TYPE_GEOGRAPHY) {
		ice_buf b = ICE_BUF_INIT;
		int rc;
		geo_point_text(&b, bound->value.v.bytes);
		rc = b.error ? ice_jw__fail(w, b.error) : ice_json_string_n(w, b.ptr, b.len);
		ice_buf__free(&b);
		return rc;
	}
	return literal_json(&bound->value, w);
}

static void key_id(ice_json_writer *w, int32_t id)
{
	char k[16];
	snprintf(k, sizeof(k), "%d", (int)id);
	ice_json_key(w, k);
}

static void opt_long(ice_json_writer *w, const char *key, bool has, int64_t v)
{
	ice_json_key(w, key);
	if (has)
		ice_json_int(w, v);
	else
		ice_json_null(w);
}

static void counts_json(ice_json_writer *w, const char *key, const ice_metric_counts *m)
{
	ice_json_key(w, key);
	if (!m->present) {
		ice_json_null(w);
		return;
	}
	ice_json_begin_object(w);
	for (size_t i = 0; i < m->n; i++) {
		key_id(w, m->items[i].field_id);
		ice_json_int(w, m->items[i].value);
	}
	ice_json_end_object(w);
}

static void bounds_json(ice_json_writer *w, const char *key, const ice_metric_bounds *m)
{
	ice_json_key(w, key);
	if (!m->present) {
		ice_json_null(w);
		return;
	}
	ice_json_begin_object(w);
	for (size_t i = 0; i < m->n; i++) {
		key_id(w, m->items[i].field_id);
		ice_metric_bound_write_json(&m->items[i], w);
	}
	ice_json_end_object(w);
}

int ice_data_file_write_json(const ice_data_file *df, const ice_partition_spec *spec, ice_json_writer *w)
{
	ice_json_begin_object(w);
	ice_json_key(w, "content");
	ice_json_int(w, df->content);
	ice_json_key(w, "file_path");
	ice_json_string(w, df->file_path ? df->file_path : "");
	ice_json_key(w, "file_format");
	ice_json_string(w, df->file_format ? df->file_format : "");
	ice_json_key(w, "spec_id");
	ice_json_int(w, df->partition_spec_id);
	ice_json_key(w, "partition");
	ice_json_begin_object(w);
	for (size_t i = 0; i < df->n_partition; i++) {
		if (spec && i < spec->nfields)
			ice_json_key(w, spec->fields[i].name);
		else
			key_id(w, (int32_t)(ICE_PARTITION_DATA_ID_START + (int32_t)i));
		literal_json(&df->partition[i], w);
	}
	ice_json_end_object(w);
	ice_json_key(w, "record_count");
	ice_json_int(w, df->record_count);
	ice_json_key(w, "file_size_in_bytes");
	ice_json_int(w, df->file_size_in_bytes);
	counts_json(w, "column_sizes", &df->column_sizes);
	counts_json(w, "value_counts", &df->value_counts);
	counts_json(w, "null_value_counts", &df->null_value_counts);
	counts_json(w, "nan_value_counts", &df->nan_value_counts);
	bounds_json(w, "lower_bounds", &df->lower_bounds);
	bounds_json(w, "upper_bounds", &df->upper_bounds);
	ice_json_key(w, "key_metadata");
	if (df->has_key_metadata)
		hex_json(df->key_metadata, w);
	else
		ice_json_null(w);
	ice_json_key(w, "split_offsets");
	if (df->split_offsets.present) {
		ice_json_begin_array(w);
		for (size_t i = 0; i < df->split_offsets.n; i++)
			ice_json_int(w, df->split_offsets.items[i]);
		ice_json_end_array(w);
	} else {
		ice_json_null(w);
	}
	ice_json_key(w, "equality_ids");
	if (df->equality_ids.present) {
		ice_json_begin_array(w);
		for (size_t i = 0; i < df->equality_ids.n; i++)
			ice_json_int(w, df->equality_ids.items[i]);
		ice_json_end_array(w);
	} else {
		ice_json_null(w);
	}
	opt_long(w, "sort_order_id", df->has_sort_order_id, df->sort_order_id);
	opt_long(w, "first_row_id", df->has_first_row_id, df->first_row_id);
	ice_json_key(w, "referenced_data_file");
	if (df->referenced_data_file)
		ice_json_string(w, df->referenced_data_file);
	else
		ice_json_null(w);
	opt_long(w, "content_offset", df->has_content_offset, df->content_offset);
	opt_long(w, "content_size_in_bytes", df->has_content_size_in_bytes, df->content_size_in_bytes);
	return ice_json_end_object(w);
}

int ice_manifest_entry_write_json(const ice_manifest_entry *e, const ice_partition_spec *spec, ice_json_writer *w)
{
	ice_json_begin_object(w);
	ice_json_key(w, "status");
	ice_json_int(w, e->status);
	opt_long(w, "snapshot_id", e->has_snapshot_id, e->snapshot_id);
	opt_long(w, "sequence_number", e->has_sequence_number, e->sequence_number);
	opt_long(w, "file_sequence_number", e->has_file_sequence_number, e->file_sequence_number);
	ice_json_key(w, "data_file");
	ice_data_file_write_json(&e->data_file, spec, w);
	return ice_json_end_object(w);
}

static void summary_bound(ice_json_writer *w, const char *key, bool has, ice_slice bytes, const ice_literal *value)
{
	ice_metric_bound b;
	ice_json_key(w, key);
	if (!has) {
		ice_json_null(w);
		return;
	}
	b.field_id = 0;
	b.bytes = bytes;
	b.value = *value;
	ice_metric_bound_write_json(&b, w);
}

int ice_manifest_file_write_json(const ice_manifest_file *mf, ice_json_writer *w)
{
	ice_json_begin_object(w);
	ice_json_key(w, "manifest_path");
	ice_json_string(w, mf->manifest_path ? mf->manifest_path : "");
	ice_json_key(w, "manifest_length");
	ice_json_int(w, mf->manifest_length);
	ice_json_key(w, "partition_spec_id");
	ice_json_int(w, mf->partition_spec_id);
	ice_json_key(w, "content");
	ice_json_int(w, mf->content);
	ice_json_key(w, "sequence_number");
	ice_json_int(w, mf->sequence_number);
	ice_json_key(w, "min_sequence_number");
	ice_json_int(w, mf->min_sequence_number);
	opt_long(w, "added_snapshot_id", mf->has_added_snapshot_id, mf->added_snapshot_id);
	opt_long(w, "added_files_count", mf->added_files_count >= 0, mf->added_files_count);
	opt_long(w, "existing_files_count", mf->existing_files_count >= 0, mf->existing_files_count);
	opt_long(w, "deleted_files_count", mf->deleted_files_count >= 0, mf->deleted_files_count);
	opt_long(w, "added_rows_count", mf->added_rows_count >= 0, mf->added_rows_count);
	opt_long(w, "existing_rows_count", mf->existing_rows_count >= 0, mf->existing_rows_count);
	opt_long(w, "deleted_rows_count", mf->deleted_rows_count >= 0, mf->deleted_rows_count);
	ice_json_key(w, "partitions");
	if (mf->has_partitions) {
		ice_json_begin_array(w);
		for (size_t i = 0; i < mf->n_partitions; i++) {
			const ice_partition_field_summary *s = &mf->partitions[i];
			ice_json_begin_object(w);
			ice_json_key(w, "contains_null");
			ice_json_bool(w, s->contains_null);
			ice_json_key(w, "contains_nan");
			if (s->has_contains_nan)
				ice_json_bool(w, s->contains_nan);
			else
				ice_json_null(w);
			summary_bound(w, "lower_bound", s->has_lower_bound, s->lower_bound, &s->lower_value);
			summary_bound(w, "upper_bound", s->has_upper_bound, s->upper_bound, &s->upper_value);
			ice_json_end_object(w);
		}
		ice_json_end_array(w);
	} else {
		ice_json_null(w);
	}
	ice_json_key(w, "key_metadata");
	if (mf->has_key_metadata)
		hex_json(mf->key_metadata, w);
	else
		ice_json_null(w);
	opt_long(w, "first_row_id", mf->has_first_row_id, mf->first_row_id);
	return ice_json_end_object(w);
}
