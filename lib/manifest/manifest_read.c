/*
 * manifest/manifest_read.c - reading manifests (spec "Manifests", "Manifest
 * Entry Fields", "Data File Fields", "Sequence Number Inheritance", "First
 * Row ID Inheritance") one entry at a time.
 *
 * On open, the writer's Avro schema is resolved once against what ice
 * reads: each field of manifest_entry, data_file, the partition record and
 * the metrics maps is matched by field id (by name when the file has no ids),
 * its type is checked, and the result is a plan that decoding follows
 * without looking anything up. Entries point into the current block; the
 * reader reuses its arrays from entry to entry, so memory stays at one block
 * plus the largest entry whatever the manifest's length.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Scratch slots for the variable-length fields of a data file. */
enum { V_COLUMN_SIZES, V_VALUE_COUNTS, V_NULL_COUNTS, V_NAN_COUNTS, V_LOWER, V_UPPER, V_SPLITS, V_EQ_IDS, V_N };
enum { S_PATH, S_FORMAT, S_REFERENCED, S_N };

static const ice_manifest_known entry_fields[] = {
	{0, {"status"}, K_SCALAR, ICE_SHAPE_INT, -1, 0, 0, "status"},
	{1, {"snapshot_id"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "snapshot_id"},
	{3, {"sequence_number"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "sequence_number"},
	{4, {"file_sequence_number"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "file_sequence_number"},
	{2, {"data_file"}, K_PARTITION /* the nested record */, ICE_SHAPE_INT, -1, 0, 0, "data_file"},
};

static const ice_manifest_known file_fields[] = {
	{134, {"content"}, K_SCALAR, ICE_SHAPE_INT, -1, 0, 0, "data_file.content"},
	{100, {"file_path"}, K_SCALAR, ICE_SHAPE_STRING, S_PATH, 0, 0, "data_file.file_path"},
	{101, {"file_format"}, K_SCALAR, ICE_SHAPE_STRING, S_FORMAT, 0, 0, "data_file.file_format"},
	{102, {"partition"}, K_PARTITION, ICE_SHAPE_INT, -1, 0, 0, "data_file.partition"},
	{103, {"record_count"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "data_file.record_count"},
	{104, {"file_size_in_bytes"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "data_file.file_size_in_bytes"},
	{105, {"block_size_in_bytes"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "data_file.block_size_in_bytes"},
	{108, {"column_sizes"}, K_COUNTS, ICE_SHAPE_LONG, V_COLUMN_SIZES, 117, 118, "data_file.column_sizes"},
	{109, {"value_counts"}, K_COUNTS, ICE_SHAPE_LONG, V_VALUE_COUNTS, 119, 120, "data_file.value_counts"},
	{110, {"null_value_counts"}, K_COUNTS, ICE_SHAPE_LONG, V_NULL_COUNTS, 121, 122, "data_file.null_value_counts"},
	{137, {"nan_value_counts"}, K_COUNTS, ICE_SHAPE_LONG, V_NAN_COUNTS, 138, 139, "data_file.nan_value_counts"},
	{125, {"lower_bounds"}, K_BOUNDS, ICE_SHAPE_BYTES, V_LOWER, 126, 127, "data_file.lower_bounds"},
	{128, {"upper_bounds"}, K_BOUNDS, ICE_SHAPE_BYTES, V_UPPER, 129, 130, "data_file.upper_bounds"},
	{131, {"key_metadata"}, K_SCALAR, ICE_SHAPE_BYTES, -1, 0, 0, "data_file.key_metadata"},
	{132, {"split_offsets"}, K_LONGS, ICE_SHAPE_LONG, V_SPLITS, 133, 0, "data_file.split_offsets"},
	{135, {"equality_ids"}, K_INTS, ICE_SHAPE_INT, V_EQ_IDS, 136, 0, "data_file.equality_ids"},
	{140, {"sort_order_id"}, K_SCALAR, ICE_SHAPE_INT, -1, 0, 0, "data_file.sort_order_id"},
	{142, {"first_row_id"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "data_file.first_row_id"},
	{143, {"referenced_data_file"}, K_SCALAR, ICE_SHAPE_STRING, S_REFERENCED, 0, 0, "data_file.referenced_data_file"},
	{144, {"content_offset"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "data_file.content_offset"},
	{145, {"content_size_in_bytes"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "data_file.content_size_in_bytes"},
};

#define N_ENTRY_FIELDS (sizeof(entry_fields) / sizeof(entry_fields[0]))
#define N_FILE_FIELDS (sizeof(file_fields) / sizeof(file_fields[0]))

typedef struct part_plan {
	const ice_avro_node *node;
	int index; /* spec field, or -1 to skip */
	const ice_type *natural;
} part_plan;

struct ice_manifest_reader {
	ice_avro_reader avro;
	ice_arena arena;
	int format_version;
	ice_manifest_content content;
	const ice_partition_spec *spec;
	ice_partition_spec *owned_spec; /* parsed from the header */
	ice_schema *header_schema;
	const ice_type **part_types;
	ice_manifest_types types;

	/* what entries inherit */
	bool has_mf;
	bool has_snapshot_id;
	int64_t snapshot_id;
	int64_t sequence_number;
	bool seq_zero; /* no sequence numbers in the file and nothing to inherit: 0 */
	bool has_first_row_id;
	int64_t next_row_id;

	/* cross-checks against the manifest list entry: entries read per
	 * status (EXISTING, ADDED, DELETED) and what the list counts (-1: null) */
	int64_t seen[3];
	int64_t expected[3];
	int64_t length; /* manifest_length */
	bool counted;

	ice_manifest_field_plan entry_plan[16];
	size_t n_entry_plan;
	ice_manifest_field_plan *file_plan;
	size_t n_file_plan;
	const ice_avro_node *file_node;
	const ice_avro_node *part_node;
	part_plan *part_plan;
	size_t n_part_plan;

	ice_manifest_vec vec[V_N];
	ice_buf str[S_N];
	ice_literal *partition;
	ice_manifest_entry entry;
};

/* ---- resolution --------------------------------------------------------------- */

static int schema_error(ice_manifest_reader *r, const char *where, const ice_avro_field *f, const char *what)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO, "%s: schema: %s%s%s: %s", r->avro.file, where,
	                      f ? "." : "", f ? f->name : "", what);
}

static int parse_header_spec(ice_manifest_reader *r, int32_t spec_id)
{
	const char *fields = ice_avro__reader_meta(&r->avro, "partition-spec", NULL);
	ice_buf b = ICE_BUF_INIT;
	int rc;
	if (!fields)
		return 0;
	ice_buf__printf(&b, "{\"spec-id\": %d, \"fields\": %s}", (int)spec_id, fields);
	if (b.error)
		return b.error;
	rc = ice_partition_spec_from_json(&r->owned_spec, b.ptr, b.len, r->avro.file);
	ice_buf__free(&b);
	if (rc) {
		if (ice_error__is_oom())
			return rc;
		ice_error_clear(); /* an unreadable header spec: fall back to the Avro record */
		r->owned_spec = NULL;
		return 0;
	}
	/* Old writers left field ids out; v1 assigned them from 1000. */
	for (size_t i = 0; i < r->owned_spec->nfields; i++) {
		ice_partition_field *pf = (ice_partition_field *)&r->owned_spec->fields[i];
		if (pf->field_id == ICE_UNASSIGNED_FIELD_ID)
			pf->field_id = ICE_PARTITION_DATA_ID_START + (int32_t)i;
	}
	r->spec = r->owned_spec;
	return 0;
}

/* A spec made from the partition record itself (no metadata, no header). */
static int synthesize_spec(ice_manifest_reader *r, const ice_avro_node *part, int32_t spec_id)
{
	ice_partition_spec *spec = ice_arena__alloc(&r->arena, sizeof(*spec));
	ice_partition_field *fs = NULL;
	static const int32_t no_source = 0;
	size_t n = part ? part->n : 0;
	if (!spec || (n && !(fs = ice_arena__allocarray(&r->arena, n, sizeof(*fs)))))
		return ICE_ERROR;
	for (size_t i = 0; i < n; i++) {
		const ice_avro_field *f = &part->fields[i];
		fs[i].field_id = f->has_field_id ? f->field_id : ICE_PARTITION_DATA_ID_START + (int32_t)i;
		fs[i].name = f->name;
		fs[i].transform.kind = ICE_TRANSFORM_UNKNOWN;
		fs[i].transform.name = "unknown";
		fs[i].n_source_ids = 1;
		fs[i].source_ids = &no_source;
	}
	spec->spec_id = spec_id;
	spec->nfields = n;
	spec->fields = fs;
	r->spec = spec;
	return 0;
}

static int plan_partition(ice_manifest_reader *r, const ice_avro_node *part)
{
	const ice_partition_spec *spec = r->spec;
	size_t n = part ? part->n : 0;
	if (n && !(r->part_plan = ice_arena__allocarray(&r->arena, n, sizeof(*r->part_plan))))
		return ICE_ERROR;
	r->n_part_plan = n;
	for (size_t i = 0; i < n; i++) {
		const ice_avro_field *f = &part->fields[i];
		part_plan *pp = &r->part_plan[i];
		int idx = -1;
		pp->node = f->type;
		for (size_t k = 0; f->has_field_id && k < spec->nfields && idx < 0; k++)
			if (spec->fields[k].field_id == f->field_id)
				idx = (int)k;
		for (size_t k = 0; !f->has_field_id && k < spec->nfields && idx < 0; k++)
			if (strcmp(spec->fields[k].name, f->name) == 0)
				idx = (int)k;
		if (idx < 0 && !f->has_field_id && i < spec->nfields && part->n == spec->nfields)
			idx = (int)i; /* no ids and other names: by position */
		for (size_t j = 0; idx >= 0 && j < i; j++)
			if (r->part_plan[j].index == idx)
				idx = -1;
		pp->index = idx;
		if (!(pp->natural = ice_avro__iceberg_type(f->type, &r->arena))) {
			if (ice_error__is_oom())
				return ICE_ERROR;
			return schema_error(r, "data_file.partition", f, "not a primitive Avro type");
		}
		if (idx >= 0) {
			const ice_type *t = r->part_types[idx];
			/* The file's own type unless the spec's type is the same or a promotion of it. */
			if (!t || !ice_type_can_promote(pp->natural, t, ICE_FORMAT_VERSION_MAX))
				r->part_types[idx] = pp->natural;
		}
	}
	return 0;
}

static int resolve(ice_manifest_reader *r, const ice_table_metadata *md, bool has_spec_id, int32_t spec_id)
{
	const ice_avro_node *root = r->avro.schema;
	const ice_avro_node *file, *part = NULL;
	const char *s;
	int64_t v;
	int rc;
	if (root->kind != ICE_AVRO_RECORD)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO, "%s: schema: not a record, not a manifest",
		                      r->avro.file);
	if (root->n > sizeof(r->entry_plan) / sizeof(r->entry_plan[0]))
		return schema_error(r, "manifest_entry", NULL, "too many fields");
	if ((rc = ice_manifest__plan_record(r->avro.file, root, entry_fields, N_ENTRY_FIELDS, "manifest_entry", r->entry_plan)))
		return rc;
	r->n_entry_plan = root->n;
	if (!ice_manifest__plan_has(r->entry_plan, root->n, 0) || !ice_manifest__plan_has(r->entry_plan, root->n, 2))
		return schema_error(r, "manifest_entry", NULL, "no status or data_file field, not a manifest");
	for (size_t i = 0; i < root->n; i++)
		if (r->entry_plan[i].known && r->entry_plan[i].known->id == 2)
			r->file_node = r->entry_plan[i].field->type;
	file = ice_avro__non_null(r->file_node);
	if (!(r->file_plan = ice_arena__allocarray(&r->arena, file->n ? file->n : 1, sizeof(*r->file_plan))))
		return ICE_ERROR;
	if ((rc = ice_manifest__plan_record(r->avro.file, file, file_fields, N_FILE_FIELDS, "data_file", r->file_plan)))
		return rc;
	r->n_file_plan = file->n;
	static const int32_t required[] = {100, 101, 103, 104};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!ice_manifest__plan_has(r->file_plan, file->n, required[i])) {
			const ice_manifest_known *k = NULL;
			for (size_t j = 0; j < N_FILE_FIELDS; j++)
				if (file_fields[j].id == required[i])
					k = &file_fields[j];
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO, "%s: schema: data_file has no %s field",
			                      r->avro.file, k->names[0]);
		}
	for (size_t i = 0; i < file->n; i++)
		if (r->file_plan[i].known && r->file_plan[i].known->id == 102) {
			r->part_node = r->file_plan[i].field->type;
			part = ice_avro__non_null(r->part_node);
		}

	/* The format version: the header's, else what the fields say. */
	if ((s = ice_avro__reader_meta(&r->avro, "format-version", NULL)) && ice_manifest__meta_long(s, &v)) {
		if (v < 1 || v > ICE_FORMAT_VERSION_MAX)
			return ice_error__set(v > ICE_FORMAT_VERSION_MAX ? ICE_EUNSUPPORTED : ICE_EINVALID,
			                      ICE_ERRCLASS_AVRO, "%s: header: format-version %lld is not supported",
			                      r->avro.file, (long long)v);
		r->format_version = (int)v;
	} else if (ice_manifest__plan_has(r->file_plan, file->n, 142)) {
		r->format_version = 3;
	} else if (ice_manifest__plan_has(r->entry_plan, root->n, 3) || ice_manifest__plan_has(r->file_plan, file->n, 134)) {
		r->format_version = 2;
	} else {
		r->format_version = 1;
	}
	if ((s = ice_avro__reader_meta(&r->avro, "content", NULL)))
		r->content = strcmp(s, "deletes") == 0 ? ICE_MANIFEST_CONTENT_DELETES : ICE_MANIFEST_CONTENT_DATA;

	/* Schema for bounds, spec and types for the partition tuple. */
	if ((s = ice_avro__reader_meta(&r->avro, "schema", NULL))) {
		if (ice_schema_from_json(&r->header_schema, s, strlen(s), r->avro.file) != 0) {
			if (ice_error__is_oom())
				return ICE_ERROR;
			ice_error_clear();
			r->header_schema = NULL;
		}
	}
	if (!has_spec_id) {
		spec_id = 0;
		if ((s = ice_avro__reader_meta(&r->avro, "partition-spec-id", NULL)) && ice_manifest__meta_long(s, &v) &&
		    v >= INT32_MIN && v <= INT32_MAX)
			spec_id = (int32_t)v;
	}
	if (md)
		r->spec = ice_table_metadata_spec_by_id(md, spec_id);
	if (!r->spec && (rc = parse_header_spec(r, spec_id)) != 0)
		return rc;
	if (!r->spec && (rc = synthesize_spec(r, part, spec_id)) != 0)
		return rc;
	if ((rc = ice_manifest__types_init(&r->types, md, r->header_schema)) != 0)
		return rc;
	r->part_types = ice_manifest__partition_types(&r->arena, r->spec,
	                                              md ? ice_table_metadata_current_schema(md) : r->header_schema,
	                                              r->header_schema);
	if (!r->part_types)
		return ICE_ERROR;
	if ((rc = plan_partition(r, part)) != 0)
		return rc;
	if (r->spec->nfields &&
	    !(r->partition = ice_arena__allocarray(&r->arena, r->spec->nfields, sizeof(*r->partition))))
		return ICE_ERROR;
	r->seq_zero = r->format_version == 1; /* v1: null sequence numbers read as 0 */
	return 0;
}

/*
 * Truncation. An Avro file cut right after a block reads as valid and
 * shorter, so the entries read are checked against what the manifest list
 * counts (existing, added, deleted) once the last one has been read: every
 * writer seen gets these counts exactly right. manifest_length is not a
 * usable check on its own: tables rewritten by tools (the corpus's DuckDB
 * test tables, BigQuery's) carry lengths off by up to a few hundred bytes
 * while every count is right; it is reported beside a count that
 * disagrees (docs/internals/truncation.md).
 */
static int check_counts(ice_manifest_reader *r)
{
	static const char *const status[3] = {"EXISTING", "ADDED", "DELETED"};
	static const char *const field[3] = {"existing_files_count", "added_files_count", "deleted_files_count"};
	if (!r->has_mf || r->counted)
		return 0;
	r->counted = true;
	for (int i = 0; i < 3; i++)
		if (r->expected[i] >= 0 && r->seen[i] != r->expected[i])
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO,
			                      "%s: %lld %s entries, the manifest list says %lld (%s; the file has %llu "
			                      "bytes, the list says %lld): truncated or replaced",
			                      r->avro.file, (long long)r->seen[i], status[i], (long long)r->expected[i],
			                      field[i], (unsigned long long)r->avro.size, (long long)r->length);
	return 0;
}

static int open_common(ice_manifest_reader **out, const ice_io *io, ice_input *input,
                       const ice_table_metadata *md, const char *location, const ice_manifest_file *mf)
{
	ice_manifest_reader *r = ice__calloc(1, sizeof(*r));
	int rc;
	*out = NULL;
	if (!r) {
		ice_input__close(input);
		return ICE_ERROR;
	}
	ice_arena__init(&r->arena, 4096);
	ice_map__init(&r->types.by_id, false);
	for (int i = 0; i < S_N; i++)
		ice_buf__init(&r->str[i], 0);
	r->expected[0] = r->expected[1] = r->expected[2] = -1;
	if (mf) {
		r->has_mf = true;
		r->content = mf->content;
		r->has_snapshot_id = mf->has_added_snapshot_id;
		r->snapshot_id = mf->added_snapshot_id;
		r->sequence_number = mf->sequence_number;
		r->has_first_row_id = mf->has_first_row_id && mf->content == ICE_MANIFEST_CONTENT_DATA;
		r->next_row_id = mf->first_row_id;
		r->expected[ICE_MANIFEST_ENTRY_EXISTING] = mf->existing_files_count;
		r->expected[ICE_MANIFEST_ENTRY_ADDED] = mf->added_files_count;
		r->expected[ICE_MANIFEST_ENTRY_DELETED] = mf->deleted_files_count;
		r->length = mf->manifest_length;
	}
	if ((rc = input ? ice_avro__reader_open_input(&r->avro, input) : ice_avro__reader_open(&r->avro, io, location,
	                                                          mf && mf->manifest_length > 0 ? (uint64_t)mf->manifest_length
	                                                                                        : ICE_IO_SIZE_UNKNOWN)) !=
	        0 ||
	    (rc = resolve(r, md, mf != NULL, mf ? mf->partition_spec_id : 0)) != 0) {
		ice_manifest_reader_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int ice_manifest_open(ice_manifest_reader **out, const ice_io *io, const ice_table_metadata *md,
                      const ice_manifest_file *mf)
{
	if (!mf || !mf->manifest_path) {
		*out = NULL;
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "ice_manifest_open: no manifest file");
	}
	return open_common(out, io, NULL, md, mf->manifest_path, mf);
}

int ice_manifest_open_location(ice_manifest_reader **out, const ice_io *io, const ice_table_metadata *md,
                               const char *location)
{
	return open_common(out, io, NULL, md, location, NULL);
}

int ice_manifest__open_input(ice_manifest_reader **out, ice_input *in, const ice_table_metadata *md,
                             const ice_manifest_file *mf)
{
	return open_common(out, NULL, in, md, NULL, mf);
}

void ice_manifest_reader_free(ice_manifest_reader *r)
{
	if (!r)
		return;
	ice_avro__reader_close(&r->avro);
	for (int i = 0; i < V_N; i++)
		ice_manifest__vec_free(&r->vec[i]);
	for (int i = 0; i < S_N; i++)
		ice_buf__free(&r->str[i]);
	ice_manifest__types_free(&r->types);
	ice_partition_spec_free(r->owned_spec);
	ice_schema_free(r->header_schema);
	ice_arena__free(&r->arena);
	ice__free(r);
}

/* ---- decoding ------------------------------------------------------------------ */

static void read_counts(ice_manifest_reader *r, ice_avro_cursor *c, const ice_manifest_field_plan *fp, ice_metric_counts *out)
{
	ice_manifest_vec *vec = &r->vec[fp->known->slot];
	const ice_avro_node *b = ice_avro__branch(c, fp->field->type);
	size_t n = 0;
	out->present = false;
	out->n = 0;
	out->items = NULL;
	if (!b || b->kind == ICE_AVRO_NULL)
		return;
	for (;;) {
		int64_t k = ice_avro__block_count(c, fp->item->min_size);
		ice_metric_count *items;
		if (k <= 0)
			break;
		if (!(items = ice_manifest__vec_reserve(vec, n + (size_t)k, sizeof(*items)))) {
			ice_avro__fail_oom(c);
			return;
		}
		if (fp->simple) {
			/* The usual form: required {key: int, value: long} items. */
			for (int64_t i = 0; i < k; i++) {
				items[n].field_id = ice_avro__int(c);
				items[n].value = ice_avro__long(c);
				n++;
			}
			continue;
		}
		for (int64_t i = 0; i < k && !c->error; i++) {
			const ice_avro_node *it = ice_avro__branch(c, fp->item);
			bool key_null = true, value_null = true;
			int32_t key = 0;
			int64_t value = 0;
			if (!it || it->kind == ICE_AVRO_NULL)
				continue;
			for (size_t f = 0; f < fp->rec->n; f++) {
				if ((int)f == fp->key)
					key = ice_manifest__read_int(c, fp->rec->fields[f].type, &key_null);
				else if ((int)f == fp->value)
					value = ice_manifest__read_long(c, fp->rec->fields[f].type, &value_null);
				else
					ice_avro__skip(c, fp->rec->fields[f].type);
			}
			if (!key_null && !value_null) {
				items[n].field_id = key;
				items[n].value = value;
				n++;
			}
		}
	}
	out->present = true;
	out->n = n;
	out->items = vec->p;
}

static void read_bounds(ice_manifest_reader *r, ice_avro_cursor *c, const ice_manifest_field_plan *fp, ice_metric_bounds *out)
{
	ice_manifest_vec *vec = &r->vec[fp->known->slot];
	const ice_avro_node *b = ice_avro__branch(c, fp->field->type);
	size_t n = 0;
	out->present = false;
	out->n = 0;
	out->items = NULL;
	if (!b || b->kind == ICE_AVRO_NULL)
		return;
	for (;;) {
		int64_t k = ice_avro__block_count(c, fp->item->min_size);
		ice_metric_bound *items;
		if (k <= 0)
			break;
		if (!(items = ice_manifest__vec_reserve(vec, n + (size_t)k, sizeof(*items)))) {
			ice_avro__fail_oom(c);
			return;
		}
		if (fp->simple) {
			/* The usual form: required {key: int, value: bytes} items. */
			for (int64_t i = 0; i < k && !c->error; i++) {
				ice_metric_bound *mb = &items[n++];
				mb->field_id = ice_avro__int(c);
				mb->bytes = ice_avro__bytes(c);
				ice_manifest__decode_bound(mb, ice_manifest__type_of(&r->types, mb->field_id));
			}
			continue;
		}
		for (int64_t i = 0; i < k && !c->error; i++) {
			const ice_avro_node *it = ice_avro__branch(c, fp->item);
			bool key_null = true, value_null = true;
			int32_t key = 0;
			ice_slice value = {NULL, 0};
			if (!it || it->kind == ICE_AVRO_NULL)
				continue;
			for (size_t f = 0; f < fp->rec->n; f++) {
				if ((int)f == fp->key)
					key = ice_manifest__read_int(c, fp->rec->fields[f].type, &key_null);
				else if ((int)f == fp->value)
					value = ice_manifest__read_bytes(c, fp->rec->fields[f].type, &value_null);
				else
					ice_avro__skip(c, fp->rec->fields[f].type);
			}
			if (!key_null && !value_null && !c->error) {
				ice_metric_bound *mb = &items[n++];
				mb->field_id = key;
				mb->bytes = value;
				ice_manifest__decode_bound(mb, ice_manifest__type_of(&r->types, key));
			}
		}
	}
	out->present = true;
	out->n = n;
	out->items = vec->p;
}

/* split_offsets (longs) and equality_ids (ints). */
static void read_list(ice_manifest_reader *r, ice_avro_cursor *c, const ice_manifest_field_plan *fp, bool ints, bool *present,
                      size_t *n_out, const void **items_out)
{
	ice_manifest_vec *vec = &r->vec[fp->known->slot];
	const ice_avro_node *b = ice_avro__branch(c, fp->field->type);
	size_t n = 0, size = ints ? sizeof(int32_t) : sizeof(int64_t);
	*present = false;
	*n_out = 0;
	*items_out = NULL;
	if (!b || b->kind == ICE_AVRO_NULL)
		return;
	for (;;) {
		int64_t k = ice_avro__block_count(c, fp->item->min_size);
		void *items;
		if (k <= 0)
			break;
		if (!(items = ice_manifest__vec_reserve(vec, n + (size_t)k, size))) {
			ice_avro__fail_oom(c);
			return;
		}
		for (int64_t i = 0; i < k && !c->error; i++) {
			bool is_null;
			if (ints) {
				int32_t v = ice_manifest__read_int(c, fp->item, &is_null);
				if (!is_null)
					((int32_t *)items)[n++] = v;
			} else {
				int64_t v = ice_manifest__read_long(c, fp->item, &is_null);
				if (!is_null)
					((int64_t *)items)[n++] = v;
			}
		}
	}
	*present = true;
	*n_out = n;
	*items_out = vec->p;
}

static void read_partition(ice_manifest_reader *r, ice_avro_cursor *c, ice_data_file *df)
{
	const ice_avro_node *b = r->part_node ? ice_avro__branch(c, r->part_node) : NULL;
	for (size_t i = 0; i < r->spec->nfields; i++)
		r->partition[i] = ice_literal_null(r->part_types[i] ? r->part_types[i]->id : ICE_TYPE_UNKNOWN);
	df->n_partition = r->spec->nfields;
	df->partition = r->partition;
	if (!b || b->kind == ICE_AVRO_NULL)
		return;
	for (size_t i = 0; i < r->n_part_plan && !c->error; i++) {
		const part_plan *pp = &r->part_plan[i];
		if (pp->index < 0) {
			ice_avro__skip(c, pp->node);
			continue;
		}
		c->field = "data_file.partition";
		ice_avro__read_literal(c, pp->node, pp->natural, r->part_types[pp->index], &r->partition[pp->index]);
	}
}

static int64_t required_long(ice_avro_cursor *c, const ice_manifest_field_plan *fp)
{
	bool is_null;
	int64_t v = ice_manifest__read_long(c, fp->field->type, &is_null);
	if (is_null && !c->error) {
		ice_avro__fail(c, "value is null");
	}
	return v;
}

static void read_file_field(ice_manifest_reader *r, ice_avro_cursor *c, const ice_manifest_field_plan *fp, ice_data_file *df,
                            unsigned *seen)
{
	bool is_null = false;
	ice_slice s;
	switch (fp->known->id) {
	case 134: {
		int32_t v = ice_manifest__read_int(c, fp->field->type, &is_null);
		if (!is_null && (v < 0 || v > 2))
			ice_avro__fail(c, "content is not 0, 1 or 2");
		df->content = is_null ? ICE_FILE_CONTENT_DATA : (ice_file_content)v;
		return;
	}
	case 100:
	case 101:
	case 143:
		s = ice_manifest__read_bytes(c, fp->field->type, &is_null);
		if (c->error)
			return;
		if (is_null) {
			if (fp->known->id != 143)
				ice_avro__fail(c, "value is null");
			return;
		}
		{
			const char *str = ice_manifest__cstr(&r->str[fp->known->slot], s);
			if (!str) {
				ice_avro__fail_oom(c);
				return;
			}
			if (fp->known->id == 100) {
				df->file_path = str;
				*seen |= 1;
			} else if (fp->known->id == 101) {
				df->file_format = str;
				*seen |= 2;
			} else {
				df->referenced_data_file = str;
			}
		}
		return;
	case 102: read_partition(r, c, df); return;
	case 103: df->record_count = required_long(c, fp); *seen |= 4; return;
	case 104: df->file_size_in_bytes = required_long(c, fp); *seen |= 8; return;
	case 105:
		df->block_size_in_bytes = ice_manifest__read_long(c, fp->field->type, &is_null);
		df->has_block_size_in_bytes = !is_null;
		return;
	case 108: read_counts(r, c, fp, &df->column_sizes); return;
	case 109: read_counts(r, c, fp, &df->value_counts); return;
	case 110: read_counts(r, c, fp, &df->null_value_counts); return;
	case 137: read_counts(r, c, fp, &df->nan_value_counts); return;
	case 125: read_bounds(r, c, fp, &df->lower_bounds); return;
	case 128: read_bounds(r, c, fp, &df->upper_bounds); return;
	case 131:
		df->key_metadata = ice_manifest__read_bytes(c, fp->field->type, &is_null);
		df->has_key_metadata = !is_null;
		return;
	case 132:
		read_list(r, c, fp, false, &df->split_offsets.present, &df->split_offsets.n,
		          (const void **)&df->split_offsets.items);
		return;
	case 135:
		read_list(r, c, fp, true, &df->equality_ids.present, &df->equality_ids.n,
		          (const void **)&df->equality_ids.items);
		return;
	case 140:
		df->sort_order_id = ice_manifest__read_int(c, fp->field->type, &is_null);
		df->has_sort_order_id = !is_null;
		return;
	case 142:
		df->first_row_id = ice_manifest__read_long(c, fp->field->type, &is_null);
		df->has_first_row_id = !is_null;
		return;
	case 144:
		df->content_offset = ice_manifest__read_long(c, fp->field->type, &is_null);
		df->has_content_offset = !is_null;
		return;
	case 145:
		df->content_size_in_bytes = ice_manifest__read_long(c, fp->field->type, &is_null);
		df->has_content_size_in_bytes = !is_null;
		return;
	default: ice_avro__skip(c, fp->field->type); return;
	}
}

static void read_data_file(ice_manifest_reader *r, ice_avro_cursor *c, ice_data_file *df)
{
	const ice_avro_node *b = ice_avro__branch(c, r->file_node);
	unsigned seen = 0;
	memset(df, 0, sizeof(*df));
	df->partition_spec_id = r->spec->spec_id;
	if (!b || b->kind == ICE_AVRO_NULL) {
		ice_avro__fail(c, "data_file is null");
		return;
	}
	if (!r->part_node)
		read_partition(r, c, df); /* no partition field: all null */
	for (size_t i = 0; i < r->n_file_plan && !c->error; i++) {
		const ice_manifest_field_plan *fp = &r->file_plan[i];
		c->field = fp->known ? fp->known->label : fp->field->name;
		if (!fp->known)
			ice_avro__skip(c, fp->field->type);
		else
			read_file_field(r, c, fp, df, &seen);
	}
	if (!c->error && seen != 15)
		ice_avro__fail(c, "a required data_file field is null");
}

/* Inheritance (spec "Sequence Number Inheritance", "First Row ID Inheritance"). */
static int inherit(ice_manifest_reader *r, ice_manifest_entry *e)
{
	ice_data_file *df = &e->data_file;
	bool may_inherit_seq = r->has_mf && r->sequence_number != ICE_SEQUENCE_NUMBER_UNASSIGNED &&
	                       (e->status == ICE_MANIFEST_ENTRY_ADDED || r->sequence_number == 0);
	if (!e->has_snapshot_id && r->has_snapshot_id) {
		e->has_snapshot_id = true;
		e->snapshot_id = r->snapshot_id;
		e->inherited |= ICE_INHERITED_SNAPSHOT_ID;
	}
	if (!e->has_sequence_number && (may_inherit_seq || (!r->has_mf && r->seq_zero))) {
		e->has_sequence_number = true;
		e->sequence_number = r->has_mf ? r->sequence_number : 0;
		e->inherited |= ICE_INHERITED_SEQUENCE_NUMBER;
	}
	if (!e->has_file_sequence_number && (may_inherit_seq || (!r->has_mf && r->seq_zero))) {
		e->has_file_sequence_number = true;
		e->file_sequence_number = r->has_mf ? r->sequence_number : 0;
		e->inherited |= ICE_INHERITED_FILE_SEQUENCE_NUMBER;
	}
	if (r->has_first_row_id && df->content == ICE_FILE_CONTENT_DATA && e->status != ICE_MANIFEST_ENTRY_DELETED &&
	    !df->has_first_row_id) {
		df->has_first_row_id = true;
		df->first_row_id = r->next_row_id;
		e->inherited |= ICE_INHERITED_FIRST_ROW_ID;
		if (df->record_count < 0 || __builtin_add_overflow(r->next_row_id, df->record_count, &r->next_row_id))
			return ice_avro__record_error(&r->avro, ICE_EINVALID, "first_row_id overflows");
	}
	return 0;
}

/* One entry decoded from the cursor; the reader's verdict on it. */
static int decode_entry(ice_manifest_reader *r)
{
	ice_manifest_entry *e = &r->entry;
	ice_avro_cursor *c = &r->avro.cur;
	bool status_null = true;
	memset(e, 0, sizeof(*e) - sizeof(e->data_file));
	for (size_t i = 0; i < r->n_entry_plan && !c->error; i++) {
		const ice_manifest_field_plan *fp = &r->entry_plan[i];
		bool is_null = false;
		c->field = fp->known ? fp->known->label : fp->field->name;
		if (!fp->known) {
			ice_avro__skip(c, fp->field->type);
			continue;
		}
		switch (fp->known->id) {
		case 0: e->status = (ice_manifest_entry_status)ice_manifest__read_int(c, fp->field->type, &status_null); break;
		case 1:
			e->snapshot_id = ice_manifest__read_long(c, fp->field->type, &is_null);
			e->has_snapshot_id = !is_null;
			break;
		case 3:
			e->sequence_number = ice_manifest__read_long(c, fp->field->type, &is_null);
			e->has_sequence_number = !is_null;
			break;
		case 4:
			e->file_sequence_number = ice_manifest__read_long(c, fp->field->type, &is_null);
			e->has_file_sequence_number = !is_null;
			break;
		case 2: read_data_file(r, c, &e->data_file); break;
		}
	}
	if (!c->error && status_null)
		ice_avro__fail(c, "status is null");
	else if (!c->error && (e->status < 0 || e->status > 2))
		ice_avro__fail(c, "status is not 0, 1 or 2");
	return ice_avro__reader_done(&r->avro);
}

int ice_manifest_next(ice_manifest_reader *r, const ice_manifest_entry **out)
{
	ice_manifest_entry *e = &r->entry;
	int rc;
	*out = NULL;
	if ((rc = ice_avro__reader_next(&r->avro)) != 0)
		return rc == ICE_ITEROVER && (rc = check_counts(r)) == 0 ? ICE_ITEROVER : rc;
	/* A record that runs past what has been decompressed is decoded again. */
	while ((rc = decode_entry(r)) == ICE_AVRO__AGAIN)
		;
	if (rc)
		return ice_error__oom_in("%s", r->avro.file), rc;
	r->avro.record--; /* messages below name this record */
	rc = inherit(r, e);
	r->avro.record++;
	if (rc)
		return rc;
	r->seen[e->status]++;
	*out = e;
	return 0;
}

/* ---- accessors ------------------------------------------------------------------ */

int ice_manifest_reader_format_version(const ice_manifest_reader *r)
{
	return r->format_version;
}

ice_manifest_content ice_manifest_reader_content(const ice_manifest_reader *r)
{
	return r->content;
}

const ice_partition_spec *ice_manifest_reader_spec(const ice_manifest_reader *r)
{
	return r->spec;
}

const ice_type *ice_manifest_reader_partition_type(const ice_manifest_reader *r, size_t i)
{
	return i < r->spec->nfields ? r->part_types[i] : NULL;
}

const ice_schema *ice_manifest_reader_header_schema(const ice_manifest_reader *r)
{
	return r->header_schema;
}

const char *ice_manifest_reader_meta(const ice_manifest_reader *r, const char *key)
{
	return ice_avro__reader_meta(&r->avro, key, NULL);
}
