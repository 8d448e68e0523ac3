/*
 * manifest/manifest_list_write.c - writing manifest lists (spec "Manifest
 * Lists", "First Row ID Assignment") for format v1, v2 and v3: header keys
 * snapshot-id, parent-snapshot-id, sequence-number (v2+), first-row-id (v3)
 * and format-version; sequence numbers left unassigned by a manifest writer
 * become the snapshot's; v3 data manifests without a first_row_id get the
 * next range of row ids.
 */
#include <stdio.h>
#include <string.h>

#include "manifest_schema.h"

struct ice_manifest_list_writer {
	ice_avro_writer avro;
	ice_arena arena;
	const char *location;
	ice_manifest_list_writer_options opts;
	int64_t next_row_id;
	int64_t count;
};

void ice_manifest_list_writer_options_init(ice_manifest_list_writer_options *opts)
{
	memset(opts, 0, sizeof(*opts));
}

static int setup(ice_manifest_list_writer *w, const ice_io *io, const char *location)
{
	const ice_manifest_list_writer_options *o = &w->opts;
	char num[4][24];
	ice_avro_meta meta[6];
	size_t nmeta = 0;
	ice_codec codec;
	int level, rc;
	if (o->format_version < 1 || o->format_version > ICE_FORMAT_VERSION_MAX)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO,
		                      "%s: cannot write manifest list: format version must be 1, 2 or 3", location);
	if (o->format_version >= 3 && !o->has_first_row_id && !o->keep_first_row_ids)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO,
		                      "%s: cannot write manifest list: v3 needs the snapshot's first-row-id", location);
	if (!(w->location = ice_arena__strdup(&w->arena, location)))
		return ICE_ERROR;
	if ((rc = ice_manifest__writer_codec(&codec, &level, o->codec, o->compression_level, NULL)))
		return rc;
	snprintf(num[0], sizeof(num[0]), "%lld", (long long)o->snapshot_id);
	if (o->has_parent_snapshot_id)
		snprintf(num[1], sizeof(num[1]), "%lld", (long long)o->parent_snapshot_id);
	else
		snprintf(num[1], sizeof(num[1]), "null");
	snprintf(num[2], sizeof(num[2]), "%lld", (long long)o->sequence_number);
	snprintf(num[3], sizeof(num[3]), "%lld", (long long)o->first_row_id);
	meta[nmeta].key = "snapshot-id";
	meta[nmeta++].value = num[0];
	meta[nmeta].key = "parent-snapshot-id";
	meta[nmeta++].value = num[1];
	if (o->format_version >= 2) {
		meta[nmeta].key = "sequence-number";
		meta[nmeta++].value = num[2];
	}
	if (o->format_version >= 3 && o->has_first_row_id) {
		meta[nmeta].key = "first-row-id";
		meta[nmeta++].value = num[3];
	}
	meta[nmeta].key = "format-version";
	meta[nmeta++].value = o->format_version == 1 ? "1" : o->format_version == 2 ? "2" : "3";
	meta[nmeta].key = "iceberg.schema";
	meta[nmeta++].value = ice_manifest__list_iceberg_json(&w->arena, o->format_version);
	for (size_t i = 0; i < nmeta; i++) {
		if (!meta[i].value)
			return ice_error__code();
		meta[i].value_len = strlen(meta[i].value);
	}
	const char *schema = ice_manifest__list_schema_json(&w->arena, o->format_version);
	if (!schema)
		return ice_error__code();
	w->next_row_id = o->first_row_id;
	return ice_avro__writer_open(&w->avro, io, location, schema, meta, nmeta, codec, level);
}

int ice_manifest_list_writer_open(ice_manifest_list_writer **out, const ice_io *io, const char *location,
                                  const ice_manifest_list_writer_options *opts)
{
	ice_manifest_list_writer *w = ice__calloc(1, sizeof(*w));
	int rc;
	*out = NULL;
	if (!w)
		return ICE_ERROR;
	ice_arena__init(&w->arena, 2048);
	if (opts)
		w->opts = *opts;
	if ((rc = setup(w, io, location)) != 0) {
		ice_manifest_list_writer_abort(w);
		return rc;
	}
	*out = w;
	return 0;
}

static void writer_free(ice_manifest_list_writer *w)
{
	ice_arena__free(&w->arena);
	ice__free(w);
}

void ice_manifest_list_writer_abort(ice_manifest_list_writer *w)
{
	if (!w)
		return;
	ice_avro__writer_abort(&w->avro);
	writer_free(w);
}

static int add_error(ice_manifest_list_writer *w, const char *what)
{
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_AVRO, "%s: manifest %lld: %s", w->location,
	                      (long long)w->count, what);
}

static void put_opt_long(ice_buf *b, bool required, bool has, int64_t v)
{
	if (!required)
		ice_avro__put_long(b, has ? 1 : 0);
	if (has || required)
		ice_avro__put_long(b, v);
}

static void put_summaries(ice_buf *b, const ice_manifest_file *mf)
{
	ice_avro__put_long(b, mf->has_partitions ? 1 : 0);
	if (!mf->has_partitions)
		return;
	if (mf->n_partitions) {
		ice_avro__put_long(b, (int64_t)mf->n_partitions);
		for (size_t i = 0; i < mf->n_partitions; i++) {
			const ice_partition_field_summary *s = &mf->partitions[i];
			ice_avro__put_bool(b, s->contains_null);
			ice_avro__put_long(b, s->has_contains_nan ? 1 : 0);
			if (s->has_contains_nan)
				ice_avro__put_bool(b, s->contains_nan);
			ice_avro__put_long(b, s->has_lower_bound ? 1 : 0);
			if (s->has_lower_bound)
				ice_avro__put_bytes(b, s->lower_bound.data, s->lower_bound.len);
			ice_avro__put_long(b, s->has_upper_bound ? 1 : 0);
			if (s->has_upper_bound)
				ice_avro__put_bytes(b, s->upper_bound.data, s->upper_bound.len);
		}
	}
	ice_avro__put_long(b, 0);
}

int ice_manifest_list_writer_add(ice_manifest_list_writer *w, const ice_manifest_file *mf)
{
	const int v = w->opts.format_version;
	ice_buf *b = &w->avro.block;
	size_t n;
	const ice_manifest_wfield *fs = ice_manifest__wfields(ICE_WREC_LIST, &n);
	int64_t seq = mf->sequence_number, min_seq = mf->min_sequence_number;
	bool has_first_row_id = mf->has_first_row_id;
	int64_t first_row_id = mf->first_row_id;
	if (w->avro.error)
		return w->avro.error;
	if (!mf->manifest_path)
		return add_error(w, "no manifest_path");
	if (!mf->has_added_snapshot_id)
		return add_error(w, "no added_snapshot_id");
	if (mf->content != ICE_MANIFEST_CONTENT_DATA && (mf->content != ICE_MANIFEST_CONTENT_DELETES || v < 2))
		return add_error(w, "content must be data (or deletes in v2+)");
	if (v >= 2) {
		if (seq == ICE_SEQUENCE_NUMBER_UNASSIGNED || min_seq == ICE_SEQUENCE_NUMBER_UNASSIGNED) {
			/* Only the snapshot being written may leave them to the list. */
			if (mf->added_snapshot_id != w->opts.snapshot_id)
				return add_error(w, "unassigned sequence number in a manifest of another snapshot");
			if (seq == ICE_SEQUENCE_NUMBER_UNASSIGNED)
				seq = w->opts.sequence_number;
			if (min_seq == ICE_SEQUENCE_NUMBER_UNASSIGNED)
				min_seq = w->opts.sequence_number;
		}
		if (mf->added_files_count < 0 || mf->existing_files_count < 0 || mf->deleted_files_count < 0 ||
		    mf->added_rows_count < 0 || mf->existing_rows_count < 0 || mf->deleted_rows_count < 0)
			return add_error(w, "v2 and v3 manifest lists need every file and row count");
	}
	if (v >= 3 && !w->opts.keep_first_row_ids) {
		if (mf->content == ICE_MANIFEST_CONTENT_DELETES) {
			has_first_row_id = false;
		} else if (!has_first_row_id) {
			int64_t next;
			has_first_row_id = true;
			first_row_id = w->next_row_id;
			if (__builtin_add_overflow(w->next_row_id, mf->added_rows_count, &next) ||
			    __builtin_add_overflow(next, mf->existing_rows_count, &next))
				return add_error(w, "row ids overflow");
			w->next_row_id = next;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const ice_manifest_wfield *f = &fs[i];
		bool req = ice_manifest__wfield_required(f, v);
		if (!ice_manifest__wfield_in(f, v))
			continue;
		switch (f->id) {
		case 500: ice_avro__put_string(b, mf->manifest_path); break;
		case 501: ice_avro__put_long(b, mf->manifest_length); break;
		case 502: ice_avro__put_long(b, mf->partition_spec_id); break;
		case 517: ice_avro__put_long(b, mf->content); break;
		case 515: ice_avro__put_long(b, seq); break;
		case 516: ice_avro__put_long(b, min_seq); break;
		case 503: ice_avro__put_long(b, mf->added_snapshot_id); break;
		case 504: put_opt_long(b, req, mf->added_files_count >= 0, mf->added_files_count); break;
		case 505: put_opt_long(b, req, mf->existing_files_count >= 0, mf->existing_files_count); break;
		case 506: put_opt_long(b, req, mf->deleted_files_count >= 0, mf->deleted_files_count); break;
		case 512: put_opt_long(b, req, mf->added_rows_count >= 0, mf->added_rows_count); break;
		case 513: put_opt_long(b, req, mf->existing_rows_count >= 0, mf->existing_rows_count); break;
		case 514: put_opt_long(b, req, mf->deleted_rows_count >= 0, mf->deleted_rows_count); break;
		case 507: put_summaries(b, mf); break;
		case 519:
			ice_avro__put_long(b, mf->has_key_metadata ? 1 : 0);
			if (mf->has_key_metadata)
				ice_avro__put_bytes(b, mf->key_metadata.data, mf->key_metadata.len);
			break;
		case 520: put_opt_long(b, req, has_first_row_id, first_row_id); break;
		}
	}
	w->count++;
	return ice_avro__writer_record_done(&w->avro);
}

int ice_manifest_list_writer_close(ice_manifest_list_writer *w, int64_t *next_row_id_out)
{
	int rc;
	if (!w)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "ice_manifest_list_writer_close: no writer");
	rc = ice_avro__writer_close(&w->avro, NULL);
	if (rc == 0 && next_row_id_out)
		*next_row_id_out = w->next_row_id;
	writer_free(w);
	return rc;
}
