/*
 * table/add_files.c - registering existing Parquet files (add-files)
 * without rewriting them: each file's schema must fit the table's current
 * schema (types equal or promotable; required columns present), its
 * metrics come from the footer statistics, and its partition values from
 * the statistics of each partition source column: the transform of the
 * lower and of the upper bound must agree, or the file's rows span
 * partitions and it is refused. All files are committed as one
 * fast-append snapshot.
 *
 * Columns are matched by field id when the file has ids. Files written
 * without ids (by pyarrow, Hive, ...) are matched through the table's name
 * mapping (schema.name-mapping.default), or, when the table has none, by
 * the current column names; a mapping of the current schema is then stored
 * in the same commit, as PyIceberg's add_files does, so that every reader
 * (PyIceberg, DuckDB, ice) can give the file's columns their ids. Metrics
 * of such files are taken for columns outside lists and maps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ice/manifest.h"
#include "ice/name_mapping.h"
#include "ice/parquet.h"
#include "ice/write.h"
#include "new_snapshot.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/hashmap.h"
#include "util/uri.h"

typedef struct add_ctx {
	const ice_schema *schema;
	const ice_name_mapping *mapping; /* the table's, or one of the current schema */
	bool used_mapping;               /* some file had no field ids */
} add_ctx;

/* The field of table struct `ts` that file field `ff` is: by field id, or
 * through the mapping's children of `parent` (NULL: the top level).
 * *map_out receives the field's mapping (for its children). */
static const ice_field *match(const add_ctx *c, const ice_type *ts, const ice_mapped_field *parent,
                              const ice_field *ff, bool has_ids, const ice_mapped_field **map_out)
{
	int32_t id = 0;
	*map_out = NULL;
	if (has_ids) {
		id = ff->id;
	} else {
		const ice_mapped_field *m = ice_name_mapping_child(c->mapping, parent, ff->name);
		*map_out = m;
		if (m && m->has_field_id)
			id = m->field_id;
	}
	for (size_t i = 0; id > 0 && i < ts->u.struct_.nfields; i++)
		if (ts->u.struct_.fields[i].id == id)
			return &ts->u.struct_.fields[i];
	return NULL;
}

static bool file_has_ids(const ice_type *file_type)
{
	for (size_t i = 0; i < file_type->u.struct_.nfields; i++)
		if (file_type->u.struct_.fields[i].id > 0)
			return true;
	return false;
}

/*
 * The field id of each leaf of a file without ids, through the mapping
 * (names from the root down); 0 for leaves inside lists and maps, whose
 * Parquet shapes vary, and for unmapped ones.
 */
static int mapped_leaf_ids(const add_ctx *c, const ice_parquet_reader *r, int32_t **out)
{
	size_t n = ice_parquet_reader_leaf_count(r);
	int32_t *ids = ice__calloc(n ? n : 1, sizeof(int32_t));
	*out = ids;
	if (!ids)
		return ICE_ERROR;
	for (size_t i = 0; i < n; i++) {
		const char *path[64];
		size_t depth = 0;
		bool repeated = false;
		for (const ice_parquet_column *col = ice_parquet_reader_leaf(r, i); col && col->parent; col = col->parent) {
			repeated |= col->repetition == ICE_PARQUET_REPEATED;
			if (depth == 64)
				break;
			path[depth++] = col->name;
		}
		if (repeated || depth == 0 || depth == 64)
			continue;
		for (size_t k = 0; k < depth / 2; k++) {
			const char *t = path[k];
			path[k] = path[depth - 1 - k];
			path[depth - 1 - k] = t;
		}
		const ice_mapped_field *m = ice_name_mapping_find(c->mapping, path, depth);
		if (m && m->has_field_id && ice_schema_find_field(c->schema, m->field_id))
			ids[i] = m->field_id;
	}
	return 0;
}

static int check_struct(const add_ctx *c, const char *file, const char *prefix, const ice_type *fs,
                        const ice_type *ts, const ice_mapped_field *map, bool has_ids, int version);

/* File type `ft` at `path` must be table type `tt` or promote to it. */
static int check_type(const add_ctx *c, const char *file, const char *path, const ice_type *ft, const ice_type *tt,
                      const ice_mapped_field *map, bool has_ids, int version)
{
	char child[512];
	int rc;
	if (ice_type_is_primitive(ft) && !ice_type_can_promote(ft, tt, version)) {
		char *a = ice_type_to_string(ft), *b = ice_type_to_string(tt);
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: column '%s': the file has %s, the table %s", file,
		                    path, a ? a : "?", b ? b : "?");
		ice_free(a);
		ice_free(b);
		return rc;
	}
	if (ice_type_is_primitive(ft))
		return 0;
	if (ft->id != tt->id)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: column '%s': the file has type %s, the table %s",
		                      file, path, ice_type_id_name(ft->id), ice_type_id_name(tt->id));
	switch (ft->id) {
	case ICE_TYPE_STRUCT: return check_struct(c, file, path, ft, tt, map, has_ids, version);
	case ICE_TYPE_LIST:
		snprintf(child, sizeof(child), "%s.element", path);
		return check_type(c, file, child, ft->u.list.element.type, tt->u.list.element.type,
		                  has_ids ? NULL : ice_name_mapping_child(c->mapping, map, "element"), has_ids, version);
	case ICE_TYPE_MAP:
		snprintf(child, sizeof(child), "%s.key", path);
		if ((rc = check_type(c, file, child, ft->u.map.key.type, tt->u.map.key.type,
		                     has_ids ? NULL : ice_name_mapping_child(c->mapping, map, "key"), has_ids, version)) != 0)
			return rc;
		snprintf(child, sizeof(child), "%s.value", path);
		return check_type(c, file, child, ft->u.map.value.type, tt->u.map.value.type,
		                  has_ids ? NULL : ice_name_mapping_child(c->mapping, map, "value"), has_ids, version);
	default: return 0;
	}
}

/* Every field of file struct `fs` is a field of table struct `ts` of a
 * fitting type, and every required field of `ts` is in the file. */
static int check_struct(const add_ctx *c, const char *file, const char *prefix, const ice_type *fs,
                        const ice_type *ts, const ice_mapped_field *map, bool has_ids, int version)
{
	char path[512];
	int rc;
	for (size_t i = 0; i < fs->u.struct_.nfields; i++) {
		const ice_field *ff = &fs->u.struct_.fields[i];
		const ice_mapped_field *fm;
		const ice_field *tf = match(c, ts, map, ff, has_ids, &fm);
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", ff->name);
		if (!tf)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                      "%s: column '%s': not in the table's schema", file, path);
		if ((rc = check_type(c, file, path, ff->type, tf->type, fm, has_ids, version)) != 0)
			return rc;
	}
	for (size_t i = 0; i < ts->u.struct_.nfields; i++) {
		const ice_field *tf = &ts->u.struct_.fields[i];
		bool found = false;
		for (size_t k = 0; k < fs->u.struct_.nfields && !found; k++) {
			const ice_mapped_field *fm;
			found = match(c, ts, map, &fs->u.struct_.fields[k], has_ids, &fm) == tf;
		}
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", tf->name);
		if (tf->required && !found)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
			                      "%s: required column '%s' is missing from the file", file, path);
	}
	return 0;
}

/* A bound in the table's type (promoted from the file's), serialized. */
static int own_bound(ice_arena *arena, ice_metric_bound *out, const ice_literal *file_value, const ice_type *type)
{
	ice_literal v;
	size_t n = 0;
	int rc = ice_literal_promote(&v, file_value, type);
	if (!rc)
		rc = ice_literal_to_bytes(&v, NULL, 0, &n);
	if (rc)
		return rc;
	uint8_t *p = ice_arena__alloc(arena, n ? n : 1);
	if (!p)
		return ICE_ERROR;
	if ((rc = ice_literal_to_bytes(&v, p, n, &n)) != 0)
		return rc;
	out->bytes.data = p;
	out->bytes.len = n;
	out->value = ice_literal_null(ICE_TYPE_INVALID); /* the bytes are what is written */
	return 0;
}

static int one_file(add_ctx *c, ice_append *append, ice_table *table, const char *file, ice_arena *arena,
                    int64_t *bytes)
{
	const ice_table_metadata *md = ice_table_current(table);
	const ice_schema *schema = c->schema;
	const ice_partition_spec *spec = ice_table_metadata_default_spec(md);
	ice_parquet_reader *r;
	ice_parquet_file_metrics *m = NULL;
	int32_t *leaf_ids = NULL;
	ice_data_file df;
	int rc = ice_parquet_reader_open(&r, ice_table_io(table), file);
	if (rc)
		return rc;
	memset(&df, 0, sizeof(df));
	const ice_type *ft = ice_parquet_reader_iceberg_schema(r);
	bool has_ids = file_has_ids(ft);
	if ((rc = check_struct(c, file, "", ft, ice_schema_struct(schema), NULL, has_ids,
	                       ice_table_metadata_format_version(md))) != 0)
		goto done;
	if (has_ids)
		rc = ice_parquet_reader_metrics(&m, r);
	else if ((rc = mapped_leaf_ids(c, r, &leaf_ids)) == 0)
		rc = ice_parquet_reader_metrics_by_leaf_ids(&m, r, leaf_ids);
	if (rc)
		goto done;
	c->used_mapping |= !has_ids;
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
		const ice_parquet_column_metrics *cm = ice_parquet_file_metrics_column(m, pf->source_id);
		const char *name = src ? src->name : "?";
		if (!cm || cm->null_count < 0) {
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
	{
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
		size_t nb = 0, nn = 0, nc = 0;
		for (size_t i = 0; i < n; i++) {
			const ice_parquet_column_metrics *cm = &m->columns[i];
			const ice_field *tf = ice_schema_find_field(schema, cm->field_id);
			if (!tf)
				continue;
			sizes[nc] = (ice_metric_count){cm->field_id, cm->column_size};
			values[nc++] = (ice_metric_count){cm->field_id, cm->value_count};
			if (cm->null_count >= 0) /* unknown when a chunk has no statistics */
				nulls[nn++] = (ice_metric_count){cm->field_id, cm->null_count};
			if (cm->has_bounds) {
				memset(&lower[nb], 0, sizeof(lower[nb]));
				memset(&upper[nb], 0, sizeof(upper[nb]));
				lower[nb].field_id = upper[nb].field_id = cm->field_id;
				/* Serialized into our arena: the copy ice_append keeps
				 * must not point into the metrics, freed below. */
				if ((rc = own_bound(arena, &lower[nb], &cm->lower_bound, tf->type)) != 0 ||
				    (rc = own_bound(arena, &upper[nb], &cm->upper_bound, tf->type)) != 0)
					goto done;
				nb++;
			}
		}
		df.column_sizes = (ice_metric_counts){true, nc, sizes};
		df.value_counts = (ice_metric_counts){true, nc, values};
		df.null_value_counts = (ice_metric_counts){true, nn, nulls};
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
	ice__free(leaf_ids);
	ice_parquet_file_metrics_free(m);
	ice_parquet_reader_free(r);
	return rc;
}

/* The location a manifest records for `file`: a relative path is made
 * absolute (readers do not share our working directory). */
static char *file_location(const char *file)
{
	char cwd[4096];
	if (ice_uri__has_scheme(file) || file[0] == '/')
		return ice__strdup(file);
	if (!getcwd(cwd, sizeof(cwd))) {
		ice_error__os(file, "getcwd");
		return NULL;
	}
	while (file[0] == '.' && file[1] == '/')
		file += 2;
	return ice_uri__join(cwd, file);
}

/* Refuses a file given twice (as Java's add_files with
 * check_duplicate_files): the same rows would be counted twice and no
 * later change could remove them. */
static int check_given_once(char *const *locs, size_t n)
{
	ice_map want;
	int rc = 0;
	ice_map__init(&want, true);
	for (size_t i = 0; i < n && !rc; i++) {
		if (ice_map__get_str(&want, locs[i], strlen(locs[i]), NULL))
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: given twice", locs[i]);
		else
			rc = ice_map__put_str(&want, locs[i], strlen(locs[i]), locs[i]);
	}
	ice_map__free(&want);
	return rc;
}

typedef struct listed_check {
	ice_table *table;
	char *const *locs;
	size_t n;
} listed_check;

/* Refuses a file the snapshot `md` is at already lists as live data, for
 * the same reason. Run before the first attempt and again on the base of
 * every retry, so two writers adding one file at once cannot both land. */
static int check_not_listed(const ice_table_metadata *md, void *payload)
{
	const listed_check *lc = payload;
	const ice_io *io = ice_table_io(lc->table);
	const ice_snapshot *head = ice_table_metadata_current_snapshot(md);
	ice_manifest_list *list = NULL;
	ice_map want;
	int rc = 0;
	ice_map__init(&want, true);
	for (size_t i = 0; i < lc->n && !rc; i++)
		rc = ice_map__put_str(&want, lc->locs[i], strlen(lc->locs[i]), lc->locs[i]);
	if (!rc && head)
		rc = ice_manifest_list_read_snapshot(&list, io, md, head);
	for (size_t i = 0; !rc && list && i < list->n; i++) {
		const ice_manifest_file *mf = &list->items[i];
		ice_manifest_reader *r;
		const ice_manifest_entry *e;
		if (mf->content != ICE_MANIFEST_CONTENT_DATA || (rc = ice_manifest_open(&r, io, md, mf)) != 0)
			continue;
		while ((rc = ice_manifest_next(r, &e)) == 0) {
			const char *path = e->data_file.file_path;
			if (e->status != ICE_MANIFEST_ENTRY_DELETED && path && ice_map__get_str(&want, path, strlen(path), NULL)) {
				rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
				                    "%s: already in table %s (listed by %s); adding it again would count its rows twice",
				                    path, ice_table_identifier(lc->table), mf->manifest_path);
				break;
			}
		}
		ice_manifest_reader_free(r);
		if (rc == ICE_ITEROVER)
			rc = 0;
	}
	ice_manifest_list_free(list);
	ice_map__free(&want);
	return rc;
}

/* The name mapping of the current schema, as the property's JSON text. */
static int mapping_json(const ice_name_mapping *nm, char **out)
{
	ice_json_writer *w;
	const char *data;
	size_t len;
	int rc = ice_json_writer_new(&w, 0);
	*out = NULL;
	if (rc)
		return rc;
	if ((rc = ice_name_mapping_write_json(nm, w)) == 0 && (rc = ice_json_writer_finish(w, &data, &len)) == 0 &&
	    !(*out = ice__strndup(data, len)))
		rc = ICE_ERROR;
	ice_json_writer_free(w);
	return rc;
}

int ice_table_add_files(ice_table *table, const char *const *files, size_t nfiles, const ice_commit_options *commit_opts,
                        ice_write_report *report, ice_commit_result *result)
{
	const ice_table_metadata *md = ice_table_current(table);
	ice_append *append = NULL;
	ice_name_mapping *mapping = NULL;
	ice_arena arena;
	ice_commit_result res = {ICE_COMMIT_FAILED, 0, 0, 0};
	add_ctx c = {ice_table_metadata_current_schema(md), NULL, false};
	bool own_mapping = false;
	char *json = NULL;
	int64_t bytes = 0;
	int rc;
	ice_arena__init(&arena, 4096);
	if (ice_table_idempotency_done(table, NULL, commit_opts, &res)) {
		if (report)
			memset(report, 0, sizeof(*report));
		if (result)
			*result = res;
		return 0;
	}
	rc = ice_name_mapping_from_table(&mapping, md);
	if (rc == ICE_ENOTFOUND) {
		ice_error_clear();
		own_mapping = true;
		rc = ice_name_mapping_from_schema(&mapping, c.schema);
	}
	c.mapping = mapping;
	char **locs = rc ? NULL : ice__calloc(nfiles + 1, sizeof(*locs));
	if (!rc && !locs)
		rc = ICE_ERROR;
	for (size_t i = 0; i < nfiles && !rc; i++)
		if (!(locs[i] = file_location(files[i])))
			rc = ICE_ERROR;
	listed_check lc = {table, locs, nfiles};
	if (!rc && (rc = check_given_once(locs, nfiles)) == 0)
		rc = check_not_listed(md, &lc);
	if (!rc && (rc = ice_append_new(&append, table)) == 0) {
		ice_append__set_check(append, check_not_listed, &lc);
		for (size_t i = 0; i < nfiles && !rc; i++)
			rc = one_file(&c, append, table, locs[i], &arena, &bytes);
		/* Files without ids were read through a mapping of the current
		 * names: keep it with the table so every reader can do the same. */
		if (!rc && c.used_mapping && own_mapping && (rc = mapping_json(mapping, &json)) == 0)
			rc = ice_append_set_property_if_absent(append, ICE_NAME_MAPPING_PROPERTY, json);
		if (!rc)
			rc = ice_append_commit(append, commit_opts, &res);
	}
	if (report) {
		bool ok = !rc && res.state == ICE_COMMIT_SUCCEEDED;
		memset(report, 0, sizeof(*report));
		report->snapshot_id = ok ? ice_append_snapshot_id(append) : 0;
		report->committed = ok;
		report->files = ok ? (int64_t)nfiles : 0;
		report->bytes = ok ? bytes : 0;
		const ice_snapshot *cur = ice_table_metadata_current_snapshot(ice_table_current(table));
		const char *added = ok && cur ? ice_properties_get(&cur->summary, "added-records") : NULL;
		const char *parts = ok && cur ? ice_properties_get(&cur->summary, "changed-partition-count") : NULL;
		report->rows = added ? strtoll(added, NULL, 10) : 0;
		report->partitions = parts ? strtoll(parts, NULL, 10) : 0;
	}
	if (result)
		*result = res;
	for (size_t i = 0; locs && i < nfiles; i++)
		ice__free(locs[i]);
	ice__free(locs);
	ice__free(json);
	ice_name_mapping_free(mapping);
	ice_append_free(append);
	ice_arena__free(&arena);
	return rc;
}
