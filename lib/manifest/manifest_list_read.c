/*
 * manifest/manifest_list_read.c - reading manifest lists (spec "Manifest
 * Lists": manifest_file and field_summary), one entry at a time, and
 * whole lists for the snapshot of a table (spec "Snapshots": v1 snapshots
 * may list manifests inline instead).
 *
 * v1 lists have no content or sequence numbers: they read as data manifests
 * with sequence numbers 0 (spec "Manifest Lists", Appendix E). Counts that
 * are null in v1 lists read as -1 ("assumed to be non-zero").
 */
#include <string.h>

#include "internal.h"

static const ice_manifest_known list_fields[] = {
	{500, {"manifest_path"}, K_SCALAR, ICE_SHAPE_STRING, -1, 0, 0, "manifest_path"},
	{501, {"manifest_length"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "manifest_length"},
	{502, {"partition_spec_id"}, K_SCALAR, ICE_SHAPE_INT, -1, 0, 0, "partition_spec_id"},
	{517, {"content"}, K_SCALAR, ICE_SHAPE_INT, -1, 0, 0, "content"},
	{515, {"sequence_number"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "sequence_number"},
	{516, {"min_sequence_number"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "min_sequence_number"},
	{503, {"added_snapshot_id"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "added_snapshot_id"},
	{504, {"added_files_count", "added_data_files_count"}, K_SCALAR, ICE_SHAPE_INT, -1, 0, 0, "added_files_count"},
	{505, {"existing_files_count", "existing_data_files_count"}, K_SCALAR, ICE_SHAPE_INT, -1, 0, 0,
	 "existing_files_count"},
	{506, {"deleted_files_count", "deleted_data_files_count"}, K_SCALAR, ICE_SHAPE_INT, -1, 0, 0,
	 "deleted_files_count"},
	{512, {"added_rows_count"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "added_rows_count"},
	{513, {"existing_rows_count"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "existing_rows_count"},
	{514, {"deleted_rows_count"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "deleted_rows_count"},
	{507, {"partitions"}, K_SUMMARIES, ICE_SHAPE_BYTES, -1, 508, 0, "partitions"},
	{519, {"key_metadata"}, K_SCALAR, ICE_SHAPE_BYTES, -1, 0, 0, "key_metadata"},
	{520, {"first_row_id"}, K_SCALAR, ICE_SHAPE_LONG, -1, 0, 0, "first_row_id"},
};

static const ice_manifest_known summary_fields[] = {
	{509, {"contains_null"}, K_SCALAR, ICE_SHAPE_BOOL, -1, 0, 0, "partitions.contains_null"},
	{518, {"contains_nan"}, K_SCALAR, ICE_SHAPE_BOOL, -1, 0, 0, "partitions.contains_nan"},
	{510, {"lower_bound"}, K_SCALAR, ICE_SHAPE_BYTES, -1, 0, 0, "partitions.lower_bound"},
	{511, {"upper_bound"}, K_SCALAR, ICE_SHAPE_BYTES, -1, 0, 0, "partitions.upper_bound"},
};

#define N_LIST_FIELDS (sizeof(list_fields) / sizeof(list_fields[0]))
#define N_SUMMARY_FIELDS (sizeof(summary_fields) / sizeof(summary_fields[0]))

struct ice_manifest_list_reader {
	ice_avro_reader avro;
	ice_arena arena;
	const ice_table_metadata *md;
	int format_version;
	ice_manifest_field_plan *plan;
	size_t nplan;
	ice_manifest_field_plan *summary_plan; /* for the partitions records */
	ice_map spec_types; /* spec id -> const ice_type ** (NULL entry: spec unknown) */
	ice_manifest_vec summaries;
	ice_buf path;
	ice_manifest_file mf;
};

static int resolve(ice_manifest_list_reader *r)
{
	const ice_avro_node *root = r->avro.schema;
	const char *s;
	int64_t v;
	int rc;
	if (root->kind != ICE_AVRO_RECORD)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO, "%s: schema: not a record, not a manifest list",
		                      r->avro.file);
	if (!(r->plan = ice_arena__allocarray(&r->arena, root->n ? root->n : 1, sizeof(*r->plan))))
		return ICE_ERROR;
	if ((rc = ice_manifest__plan_record(r->avro.file, root, list_fields, N_LIST_FIELDS, "manifest_file",
	                                    r->plan)))
		return rc;
	r->nplan = root->n;
	static const int32_t required[] = {500, 501, 502};
	for (size_t i = 0; i < 3; i++)
		if (!ice_manifest__plan_has(r->plan, root->n, required[i]))
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO,
			                      "%s: schema: manifest_file has no %s field, not a manifest list",
			                      r->avro.file, list_fields[i].names[0]);
	for (size_t i = 0; i < root->n; i++) {
		const ice_manifest_field_plan *fp = &r->plan[i];
		if (!fp->known || fp->known->kind != K_SUMMARIES)
			continue;
		if (!(r->summary_plan = ice_arena__allocarray(&r->arena, fp->rec->n ? fp->rec->n : 1,
		                                               sizeof(*r->summary_plan))))
			return ICE_ERROR;
		if ((rc = ice_manifest__plan_record(r->avro.file, fp->rec, summary_fields, N_SUMMARY_FIELDS,
		                                    "manifest_file.partitions", r->summary_plan)))
			return rc;
	}
	if ((s = ice_avro__reader_meta(&r->avro, "format-version", NULL)) && ice_manifest__meta_long(s, &v)) {
		if (v < 1 || v > ICE_FORMAT_VERSION_MAX)
			return ice_error__set(v > ICE_FORMAT_VERSION_MAX ? ICE_EUNSUPPORTED : ICE_EINVALID,
			                      ICE_ERRCLASS_AVRO, "%s: header: format-version %lld is not supported",
			                      r->avro.file, (long long)v);
		r->format_version = (int)v;
	} else if (ice_manifest__plan_has(r->plan, root->n, 520)) {
		r->format_version = 3;
	} else if (ice_manifest__plan_has(r->plan, root->n, 515)) {
		r->format_version = 2;
	} else {
		r->format_version = 1;
	}
	return 0;
}

static int open_common(ice_manifest_list_reader **out, const ice_io *io, ice_input *input,
                       const ice_table_metadata *md, const char *location)
{
	ice_manifest_list_reader *r = ice__calloc(1, sizeof(*r));
	int rc;
	*out = NULL;
	if (!r) {
		ice_input__close(input);
		return ICE_ERROR;
	}
	ice_arena__init(&r->arena, 2048);
	ice_map__init(&r->spec_types, false);
	ice_buf__init(&r->path, 0);
	r->md = md;
	rc = input ? ice_avro__reader_open_input(&r->avro, input) : ice_avro__reader_open(&r->avro, io, location, ICE_IO_SIZE_UNKNOWN);
	if (rc != 0 || (rc = resolve(r)) != 0) {
		ice_manifest_list_reader_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int ice_manifest_list_open(ice_manifest_list_reader **out, const ice_io *io, const ice_table_metadata *md,
                           const char *location)
{
	return open_common(out, io, NULL, md, location);
}

int ice_manifest__list_open_input(ice_manifest_list_reader **out, ice_input *in, const ice_table_metadata *md)
{
	return open_common(out, NULL, in, md, NULL);
}

void ice_manifest_list_reader_free(ice_manifest_list_reader *r)
{
	if (!r)
		return;
	ice_avro__reader_close(&r->avro);
	ice_map__free(&r->spec_types);
	ice_manifest__vec_free(&r->summaries);
	ice_buf__free(&r->path);
	ice_arena__free(&r->arena);
	ice__free(r);
}

/* The partition field types of a spec, cached per spec id. */
static const ice_type **spec_types(ice_manifest_list_reader *r, int32_t spec_id, size_t *n_out)
{
	const ice_partition_spec *spec;
	void *v = NULL;
	*n_out = 0;
	if (!r->md || !(spec = ice_table_metadata_spec_by_id(r->md, spec_id)))
		return NULL;
	*n_out = spec->nfields;
	if (ice_map__get_int(&r->spec_types, spec_id, &v))
		return v;
	v = (void *)ice_manifest__partition_types(&r->arena, spec, ice_table_metadata_current_schema(r->md), NULL);
	if (v && ice_map__put_int(&r->spec_types, spec_id, v) != 0)
		return NULL;
	return v;
}

static void read_summaries(ice_manifest_list_reader *r, ice_avro_cursor *c, const ice_manifest_field_plan *fp)
{
	ice_manifest_file *mf = &r->mf;
	const ice_avro_node *b = ice_avro__branch(c, fp->field->type);
	size_t n = 0;
	if (!b || b->kind == ICE_AVRO_NULL)
		return;
	for (;;) {
		int64_t k = ice_avro__block_count(c, fp->item->min_size);
		ice_partition_field_summary *items;
		if (k <= 0)
			break;
		if (!(items = ice_manifest__vec_reserve(&r->summaries, n + (size_t)k, sizeof(*items)))) {
			ice_avro__fail_oom(c);
			return;
		}
		for (int64_t i = 0; i < k && !c->error; i++) {
			const ice_avro_node *it = ice_avro__branch(c, fp->item);
			ice_partition_field_summary *s = &items[n];
			bool is_null = true;
			if (!it || it->kind == ICE_AVRO_NULL)
				continue;
			memset(s, 0, sizeof(*s));
			for (size_t f = 0; f < fp->rec->n; f++) {
				const ice_manifest_field_plan *sp = &r->summary_plan[f];
				const ice_avro_node *t = sp->field->type;
				switch (sp->known ? sp->known->id : -1) {
				case 509: s->contains_null = ice_manifest__read_bool(c, t, &is_null); break;
				case 518:
					s->contains_nan = ice_manifest__read_bool(c, t, &is_null);
					s->has_contains_nan = !is_null;
					break;
				case 510:
					s->lower_bound = ice_manifest__read_bytes(c, t, &is_null);
					s->has_lower_bound = !is_null;
					break;
				case 511:
					s->upper_bound = ice_manifest__read_bytes(c, t, &is_null);
					s->has_upper_bound = !is_null;
					break;
				default: ice_avro__skip(c, t); break;
				}
			}
			s->lower_value.type = s->upper_value.type = ICE_TYPE_INVALID;
			n++;
		}
	}
	mf->has_partitions = true;
	mf->n_partitions = n;
	mf->partitions = r->summaries.p;
}

/* Type the summaries' bounds by the manifest's spec, when the table has it. */
static int type_summaries(ice_manifest_list_reader *r)
{
	ice_manifest_file *mf = &r->mf;
	size_t nfields;
	const ice_type **types;
	if (!mf->n_partitions || !r->md)
		return 0;
	types = spec_types(r, mf->partition_spec_id, &nfields);
	if (!types)
		return ice_error__is_oom() ? ICE_ERROR : 0;
	for (size_t i = 0; i < mf->n_partitions && i < nfields; i++) {
		ice_partition_field_summary *s = (ice_partition_field_summary *)&mf->partitions[i];
		ice_metric_bound b;
		if (s->has_lower_bound) {
			b.bytes = s->lower_bound;
			ice_manifest__decode_bound(&b, types[i]);
			s->lower_value = b.value;
		}
		if (s->has_upper_bound) {
			b.bytes = s->upper_bound;
			ice_manifest__decode_bound(&b, types[i]);
			s->upper_value = b.value;
		}
	}
	return 0;
}

/* One list entry decoded from the cursor; the reader's verdict on it. */
static int decode_entry(ice_manifest_list_reader *r)
{
	ice_manifest_file *mf = &r->mf;
	ice_avro_cursor *c = &r->avro.cur;
	unsigned seen = 0;
	memset(mf, 0, sizeof(*mf));
	mf->added_files_count = mf->existing_files_count = mf->deleted_files_count = -1;
	mf->added_rows_count = mf->existing_rows_count = mf->deleted_rows_count = -1;
	for (size_t i = 0; i < r->nplan && !c->error; i++) {
		const ice_manifest_field_plan *fp = &r->plan[i];
		const ice_avro_node *t = fp->field->type;
		bool is_null = false;
		int64_t v;
		c->field = fp->known ? fp->known->label : fp->field->name;
		if (!fp->known) {
			ice_avro__skip(c, t);
			continue;
		}
		switch (fp->known->id) {
		case 500: {
			ice_slice s = ice_manifest__read_bytes(c, t, &is_null);
			if (!is_null && !c->error) {
				if (!(mf->manifest_path = ice_manifest__cstr(&r->path, s)))
					ice_avro__fail_oom(c);
				seen |= 1;
			}
			break;
		}
		case 501: mf->manifest_length = ice_manifest__read_long(c, t, &is_null); seen |= is_null ? 0 : 2; break;
		case 502: mf->partition_spec_id = ice_manifest__read_int(c, t, &is_null); seen |= is_null ? 0 : 4; break;
		case 517:
			v = ice_manifest__read_int(c, t, &is_null);
			if (!is_null && v != 0 && v != 1)
				ice_avro__fail(c, "content is not 0 or 1");
			mf->content = is_null ? ICE_MANIFEST_CONTENT_DATA : (ice_manifest_content)v;
			break;
		case 515: mf->sequence_number = ice_manifest__read_long(c, t, &is_null); break;
		case 516: mf->min_sequence_number = ice_manifest__read_long(c, t, &is_null); break;
		case 503:
			mf->added_snapshot_id = ice_manifest__read_long(c, t, &is_null);
			mf->has_added_snapshot_id = !is_null;
			break;
		case 504: v = ice_manifest__read_int(c, t, &is_null); mf->added_files_count = is_null ? -1 : (int32_t)v; break;
		case 505:
			v = ice_manifest__read_int(c, t, &is_null);
			mf->existing_files_count = is_null ? -1 : (int32_t)v;
			break;
		case 506:
			v = ice_manifest__read_int(c, t, &is_null);
			mf->deleted_files_count = is_null ? -1 : (int32_t)v;
			break;
		case 512: v = ice_manifest__read_long(c, t, &is_null); mf->added_rows_count = is_null ? -1 : v; break;
		case 513: v = ice_manifest__read_long(c, t, &is_null); mf->existing_rows_count = is_null ? -1 : v; break;
		case 514: v = ice_manifest__read_long(c, t, &is_null); mf->deleted_rows_count = is_null ? -1 : v; break;
		case 507: read_summaries(r, c, fp); break;
		case 519:
			mf->key_metadata = ice_manifest__read_bytes(c, t, &is_null);
			mf->has_key_metadata = !is_null;
			break;
		case 520:
			mf->first_row_id = ice_manifest__read_long(c, t, &is_null);
			mf->has_first_row_id = !is_null;
			break;
		}
	}
	if (!c->error && seen != 7) {
		c->field = (seen & 1) ? (seen & 2) ? "partition_spec_id" : "manifest_length" : "manifest_path";
		ice_avro__fail(c, "value is null");
	}
	if (!c->error && mf->manifest_length < 0) {
		c->field = "manifest_length";
		ice_avro__fail(c, "negative length");
	}
	return ice_avro__reader_done(&r->avro);
}

int ice_manifest_list_next(ice_manifest_list_reader *r, const ice_manifest_file **out)
{
	ice_manifest_file *mf = &r->mf;
	int rc;
	*out = NULL;
	if ((rc = ice_avro__reader_next(&r->avro)) != 0)
		return rc;
	/* A record that runs past what has been decompressed is decoded again. */
	while ((rc = decode_entry(r)) == ICE_AVRO__AGAIN)
		;
	if (rc || (rc = type_summaries(r)) != 0)
		return ice_error__oom_in("%s", r->avro.file), rc;
	*out = mf;
	return 0;
}

int ice_manifest_list_reader_format_version(const ice_manifest_list_reader *r)
{
	return r->format_version;
}

bool ice_manifest_list_reader_header_long(const ice_manifest_list_reader *r, const char *key, int64_t *out)
{
	return ice_manifest__meta_long(ice_avro__reader_meta(&r->avro, key, NULL), out);
}

const char *ice_manifest_list_reader_meta(const ice_manifest_list_reader *r, const char *key)
{
	return ice_avro__reader_meta(&r->avro, key, NULL);
}
