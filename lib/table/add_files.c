/*
 * table/add_files.c - registering existing Parquet files (add-files)
 * without rewriting them: each file's schema must fit the table's current
 * schema (columns matched by field id when the file has ids, else by name;
 * types equal or promotable; required columns present), its metrics come
 * from the footer statistics, and its partition values from the
 * statistics of each partition source column: the transform of the lower
 * and of the upper bound must agree, or the file's rows span partitions
 * and it is refused. All files are committed as one fast-append snapshot.
 */
#include <stdlib.h>
#include <string.h>

#include "ice/parquet.h"
#include "ice/write.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"

static const ice_field *match(const ice_schema *schema, const ice_field *file_field)
{
	if (file_field->id > 0)
		return ice_schema_find_field(schema, file_field->id);
	const ice_type *st = ice_schema_struct(schema);
	return ice_struct_field_by_name(st, file_field->name);
}

static int check_schema(const char *file, const ice_type *file_type, const ice_schema *schema, int version)
{
	const ice_type *st = ice_schema_struct(schema);
	for (size_t i = 0; i < file_type->u.struct_.nfields; i++) {
		const ice_field *ff = &file_type->u.struct_.fields[i];
		const ice_field *tf = match(schema, ff);
		if (!tf)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                      "%s: column '%s': not in the table's schema", file, ff->name);
		if (ice_type_is_primitive(ff->type) && !ice_type_can_promote(ff->type, tf->type, version)) {
			char *a = ice_type_to_string(ff->type), *b = ice_type_to_string(tf->type);
			int rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                        "%s: column '%s': the file has %s, the table %s", file, ff->name, a ? a : "?",
			                        b ? b : "?");
			ice_free(a);
			ice_free(b);
			return rc;
		}
		if (!ice_type_is_primitive(ff->type) && ff->type->id != tf->type->id)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: column '%s': the file has a %s, the table a %s",
			                      file, ff->name, ice_type_id_name(ff->type->id), ice_type_id_name(tf->type->id));
	}
	for (size_t i = 0; i < st->u.struct_.nfields; i++) {
		const ice_field *tf = &st->u.struct_.fields[i];
		bool found = false;
		for (size_t k = 0; k < file_type->u.struct_.nfields && !found; k++)
			found = match(schema, &file_type->u.struct_.fields[k]) == tf;
		if (tf->required && !found)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                      "%s: required column '%s' is missing from the file", file, tf->name);
	}
	return 0;
}

/* Bounds and null count of a column over every row group, by name (files
 * without field ids). *has_out is false when a row group lacks bounds. */
static void column_range(const ice_parquet_reader *r, const char *name, ice_parquet_column_metrics *out)
{
	const ice_parquet_column *col = ice_parquet_reader_column_by_path(r, name);
	memset(out, 0, sizeof(*out));
	out->nan_count = -1;
	if (!col || col->leaf_index < 0)
		return;
	bool all = true;
	for (size_t g = 0; g < ice_parquet_reader_row_group_count(r); g++) {
		const ice_parquet_row_group *rg = ice_parquet_reader_row_group(r, g);
		const ice_parquet_column_chunk *cc = &rg->columns[col->leaf_index];
		out->value_count += rg->num_rows;
		if (!cc->has_statistics || !cc->statistics.has_null_count) {
			all = false;
			continue;
		}
		out->null_count += cc->statistics.null_count;
		if (cc->statistics.min_value.is_null || cc->statistics.max_value.is_null) {
			if (cc->statistics.null_count != rg->num_rows)
				all = false;
			continue;
		}
		if (!out->has_bounds || ice_literal_compare(&cc->statistics.min_value, &out->lower_bound) < 0)
			out->lower_bound = cc->statistics.min_value;
		if (!out->has_bounds || ice_literal_compare(&cc->statistics.max_value, &out->upper_bound) > 0)
			out->upper_bound = cc->statistics.max_value;
		out->has_bounds = true;
	}
	if (!all) {
		out->has_bounds = false;
		out->value_count = -1;
	}
}

static int own_bound(ice_arena *arena, ice_metric_bound *out, const ice_literal *v)
{
	size_t n = 0;
	int rc = ice_literal_to_bytes(v, NULL, 0, &n);
	if (rc)
		return rc;
	uint8_t *p = ice_arena__alloc(arena, n ? n : 1);
	if (!p)
		return ICE_ERROR;
	if ((rc = ice_literal_to_bytes(v, p, n, &n)) != 0)
		return rc;
	out->bytes.data = p;
	out->bytes.len = n;
	out->value = ice_literal_null(ICE_TYPE_INVALID); /* the bytes are what is written */
	return 0;
}

static int one_file(ice_append *append, ice_table *table, const char *file, ice_arena *arena, int64_t *bytes)
{
	const ice_table_metadata *md = ice_table_current(table);
	const ice_schema *schema = ice_table_metadata_current_schema(md);
	const ice_partition_spec *spec = ice_table_metadata_default_spec(md);
	ice_parquet_reader *r;
	ice_parquet_file_metrics *m = NULL;
	ice_data_file df;
	int rc = ice_parquet_reader_open(&r, ice_table_io(table), file);
	if (rc)
		return rc;
	memset(&df, 0, sizeof(df));
	const ice_type *ft = ice_parquet_reader_iceberg_schema(r);
	bool has_ids = ft->u.struct_.nfields > 0 && ft->u.struct_.fields[0].id > 0;
	if ((rc = check_schema(file, ft, schema, ice_table_metadata_format_version(md))) != 0)
		goto done;
	if (has_ids && (rc = ice_parquet_reader_metrics(&m, r)) != 0)
		goto done;
	df.content = ICE_FILE_CONTENT_DATA;
	df.file_path = file;
	df.file_format = "PARQUET";
	df.partition_spec_id = spec->spec_id;
	df.record_count = ice_parquet_reader_num_rows(r);
	df.file_size_in_bytes = (int64_t)ice_parquet_reader_file_size(r);
	df.n_partition = spec->nfields;
	ice_literal *parts = spec->nfields ? ice_arena__allocarray(arena, spec->nfields, sizeof(ice_literal)) : NULL;
	if (spec->nfields && !parts) {
		rc = ICE_ERROR;
		goto done;
	}
	df.partition = parts;
	for (size_t i = 0; i < spec->nfields && !rc; i++) {
		const ice_partition_field *pf = &spec->fields[i];
		const ice_field *src = ice_schema_find_field(schema, pf->source_id);
		const ice_parquet_column_metrics *cm = m ? ice_parquet_file_metrics_column(m, pf->source_id) : NULL;
		const char *name = src ? src->name : "?";
		ice_parquet_column_metrics by_name;
		if (!m && src) {
			column_range(r, ice_schema_field_name(schema, src->id), &by_name);
			if (by_name.value_count >= 0)
				cm = &by_name;
		}
		if (!cm) {
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                    "%s: column '%s': no statistics to take partition %s from", file, name, pf->name);
			break;
		}
		if (!cm->has_bounds) {
			if (cm->null_count == cm->value_count) {
				parts[i] = ice_literal_null(ice_partition_field_result_type(pf, schema)->id);
				continue;
			}
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                    "%s: column '%s': no bounds to take partition %s from", file, name, pf->name);
			break;
		}
		ice_literal lo, hi, plo, phi;
		if ((rc = ice_literal_promote(&lo, &cm->lower_bound, src->type)) != 0 ||
		    (rc = ice_literal_promote(&hi, &cm->upper_bound, src->type)) != 0 ||
		    (rc = ice_transform_apply(&pf->transform, &lo, &plo)) != 0 ||
		    (rc = ice_transform_apply(&pf->transform, &hi, &phi)) != 0)
			break;
		if (!ice_literal_equal(&plo, &phi) || (cm->null_count > 0)) {
			char *a = ice_transform_human_string(&pf->transform, &plo);
			char *b = ice_transform_human_string(&pf->transform, &phi);
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                    "%s: column '%s': the file's rows span partitions (%s=%s to %s%s)", file, name,
			                    pf->name, a ? a : "?", b ? b : "?", cm->null_count > 0 ? ", and null" : "");
			ice_free(a);
			ice_free(b);
			break;
		}
		parts[i] = plo;
		if (plo.type == ICE_TYPE_STRING || plo.type == ICE_TYPE_BINARY || plo.type == ICE_TYPE_FIXED ||
		    plo.type == ICE_TYPE_UUID) {
			void *p = ice_arena__memdup(arena, plo.v.bytes.data, plo.v.bytes.len ? plo.v.bytes.len : 1);
			if (!p) {
				rc = ICE_ERROR;
				break;
			}
			parts[i].v.bytes.data = p;
		}
	}
	if (rc)
		goto done;
	if (m) {
		size_t n = m->ncolumns;
		ice_metric_count *sizes = ice_arena__allocarray(arena, n + 1, sizeof(ice_metric_count));
		ice_metric_count *values = ice_arena__allocarray(arena, n + 1, sizeof(ice_metric_count));
		ice_metric_count *nulls = ice_arena__allocarray(arena, n + 1, sizeof(ice_metric_count));
		ice_metric_bound *lower = ice_arena__allocarray(arena, n + 1, sizeof(ice_metric_bound));
		ice_metric_bound *upper = ice_arena__allocarray(arena, n + 1, sizeof(ice_metric_bound));
		if (!sizes || !values || !nulls || !lower || !upper) {
			rc = ICE_ERROR;
			goto done;
		}
		size_t nb = 0;
		for (size_t i = 0; i < n; i++) {
			const ice_parquet_column_metrics *c = &m->columns[i];
			sizes[i] = (ice_metric_count){c->field_id, c->column_size};
			values[i] = (ice_metric_count){c->field_id, c->value_count};
			nulls[i] = (ice_metric_count){c->field_id, c->null_count};
			if (c->has_bounds && ice_schema_find_field(schema, c->field_id)) {
				memset(&lower[nb], 0, sizeof(lower[nb]));
				memset(&upper[nb], 0, sizeof(upper[nb]));
				lower[nb].field_id = upper[nb].field_id = c->field_id;
				/* Serialized into our arena: the copy ice_append keeps
				 * must not point into the metrics, freed below. */
				if ((rc = own_bound(arena, &lower[nb], &c->lower_bound)) != 0 ||
				    (rc = own_bound(arena, &upper[nb], &c->upper_bound)) != 0)
					goto done;
				nb++;
			}
		}
		df.column_sizes = (ice_metric_counts){true, n, sizes};
		df.value_counts = (ice_metric_counts){true, n, values};
		df.null_value_counts = (ice_metric_counts){true, n, nulls};
		df.lower_bounds = (ice_metric_bounds){true, nb, lower};
		df.upper_bounds = (ice_metric_bounds){true, nb, upper};
		int64_t *splits = ice_arena__allocarray(arena, m->nsplit_offsets + 1, sizeof(int64_t));
		if (!splits) {
			rc = ICE_ERROR;
			goto done;
		}
		if (m->nsplit_offsets)
			memcpy(splits, m->split_offsets, m->nsplit_offsets * sizeof(int64_t));
		df.split_offsets = (ice_int64_list){m->nsplit_offsets > 0, m->nsplit_offsets, splits};
	}
	rc = ice_append_add_file(append, &df);
	*bytes += df.file_size_in_bytes;
done:
	ice_parquet_file_metrics_free(m);
	ice_parquet_reader_free(r);
	return rc;
}

int ice_table_add_files(ice_table *table, const char *const *files, size_t nfiles, const ice_commit_options *commit_opts,
                        ice_write_report *report, ice_commit_result *result)
{
	ice_append *append = NULL;
	ice_arena arena;
	ice_commit_result res = {ICE_COMMIT_FAILED, 0, 0};
	int64_t bytes = 0;
	int rc;
	ice_arena__init(&arena, 4096);
	if ((rc = ice_append_new(&append, table)) == 0) {
		for (size_t i = 0; i < nfiles && !rc; i++)
			rc = one_file(append, table, files[i], &arena, &bytes);
		if (!rc)
			rc = ice_append_commit(append, commit_opts, &res);
	}
	if (report) {
		memset(report, 0, sizeof(*report));
		report->snapshot_id = append ? ice_append_snapshot_id(append) : 0;
		report->files = rc ? 0 : (int64_t)nfiles;
		report->bytes = rc ? 0 : bytes;
		const ice_snapshot *cur = ice_table_metadata_current_snapshot(ice_table_current(table));
		const char *added = !rc && cur ? ice_properties_get(&cur->summary, "added-records") : NULL;
		report->rows = added ? strtoll(added, NULL, 10) : 0;
	}
	if (result)
		*result = res;
	ice_append_free(append);
	ice_arena__free(&arena);
	return rc;
}
