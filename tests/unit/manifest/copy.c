/*
 * tests/unit/manifest/copy.c - copying a manifest or manifest list the way
 * a round trip does (read, write with the same format version, metrics and
 * row ids kept as they are, read both and compare record by record). Used
 * by the unit tests and by manifest-tool.
 */
#include <stdio.h>
#include <string.h>

#include "copy.h"

static int roundtrip_list(const ice_io *io, ice_manifest_list_reader *r, const char *out)
{
	ice_manifest_list_writer_options o;
	ice_manifest_list_writer *w = NULL;
	const ice_manifest_file *mf;
	int64_t v;
	int rc;
	ice_manifest_list_writer_options_init(&o);
	o.format_version = ice_manifest_list_reader_format_version(r);
	o.snapshot_id = ice_manifest_list_reader_header_long(r, "snapshot-id", &v) ? v : 0;
	o.has_parent_snapshot_id = ice_manifest_list_reader_header_long(r, "parent-snapshot-id", &o.parent_snapshot_id);
	o.sequence_number = ice_manifest_list_reader_header_long(r, "sequence-number", &v) ? v : 0;
	o.has_first_row_id = ice_manifest_list_reader_header_long(r, "first-row-id", &o.first_row_id);
	o.keep_first_row_ids = true;
	if ((rc = ice_manifest_list_writer_open(&w, io, out, &o)) != 0)
		return rc;
	while ((rc = ice_manifest_list_next(r, &mf)) == 0)
		if ((rc = ice_manifest_list_writer_add(w, mf)) != 0) {
			ice_manifest_list_writer_abort(w);
			return rc;
		}
	if (rc != ICE_ITEROVER) {
		ice_manifest_list_writer_abort(w);
		return rc;
	}
	return ice_manifest_list_writer_close(w, NULL);
}

static int roundtrip_manifest(const ice_io *io, const ice_table_metadata *md, const char *in, const char *out)
{
	ice_manifest_reader *r = NULL;
	ice_manifest_writer *w = NULL;
	ice_manifest_writer_options o;
	const ice_manifest_entry *e;
	const ice_type *types[64];
	ice_schema *empty = NULL;
	int rc;
	if ((rc = ice_manifest_open_location(&r, io, md, in)) != 0)
		return rc;
	ice_manifest_writer_options_init(&o);
	o.format_version = ice_manifest_reader_format_version(r);
	o.content = ice_manifest_reader_content(r);
	o.spec = ice_manifest_reader_spec(r);
	o.schema = md ? ice_table_metadata_current_schema(md) : ice_manifest_reader_header_schema(r);
	if (!o.schema) {
		static const char none[] = "{\"type\": \"struct\", \"schema-id\": 0, \"fields\": []}";
		if ((rc = ice_schema_from_json(&empty, none, sizeof(none) - 1, "empty schema")) != 0)
			goto done;
		o.schema = empty;
	}
	for (size_t i = 0; i < o.spec->nfields && i < 64; i++)
		types[i] = ice_manifest_reader_partition_type(r, i);
	o.partition_types = types;
	o.keep_metrics = true;
	if ((rc = ice_manifest_writer_open(&w, io, out, md, &o)) != 0)
		goto done;
	while ((rc = ice_manifest_next(r, &e)) == 0)
		if ((rc = ice_manifest_writer_add_entry(w, e)) != 0)
			break;
	if (rc != ICE_ITEROVER) {
		ice_manifest_writer_abort(w);
		goto done;
	}
	rc = ice_manifest_writer_close(w, NULL);
done:
	ice_manifest_reader_free(r);
	ice_schema_free(empty);
	return rc;
}

/* Compare two manifests record by record (entries are copied: one reader's
 * entry does not survive the other's next call). */
static int compare_manifests(const ice_io *io, const ice_table_metadata *md, const char *a, const char *b,
                             long *records)
{
	ice_manifest_reader *ra = NULL, *rb = NULL;
	const ice_manifest_entry *ea, *eb;
	int rc, rcb;
	*records = 0;
	if ((rc = ice_manifest_open_location(&ra, io, md, a)) != 0 ||
	    (rc = ice_manifest_open_location(&rb, io, md, b)) != 0)
		goto done;
	for (;;) {
		ice_manifest_entry copy;
		ice_data_file *df = NULL;
		rc = ice_manifest_next(ra, &ea);
		if (rc == 0) {
			copy = *ea;
			if ((rc = ice_data_file_copy(&df, &ea->data_file)) != 0)
				break;
			copy.data_file = *df;
		}
		rcb = ice_manifest_next(rb, &eb);
		if (rc != rcb) {
			ice_data_file_free(df);
			rc = ice_error_set(ICE_ERROR, "record %ld: one file ends before the other (%d, %d)", *records, rc,
			                   rcb);
			break;
		}
		if (rc) {
			ice_data_file_free(df);
			break;
		}
		bool eq = ice_manifest_entry_equal(&copy, eb) && copy.inherited == eb->inherited;
		ice_data_file_free(df);
		if (!eq) {
			rc = ice_error_set(ICE_ERROR, "record %ld differs after the round trip", *records);
			break;
		}
		(*records)++;
	}
	if (rc == ICE_ITEROVER)
		rc = 0;
done:
	ice_manifest_reader_free(ra);
	ice_manifest_reader_free(rb);
	return rc;
}

static int compare_lists(const ice_io *io, const ice_table_metadata *md, const char *a, const char *b, long *records)
{
	ice_manifest_list *la = NULL, *lb = NULL;
	int rc;
	*records = 0;
	if ((rc = ice_manifest_list_read(&la, io, md, a)) != 0 || (rc = ice_manifest_list_read(&lb, io, md, b)) != 0)
		goto done;
	if (la->n != lb->n || la->format_version != lb->format_version) {
		rc = ice_error_set(ICE_ERROR, "%zu vs %zu entries, v%d vs v%d", la->n, lb->n, la->format_version,
		                   lb->format_version);
		goto done;
	}
	for (size_t i = 0; i < la->n; i++)
		if (!ice_manifest_file_equal(&la->items[i], &lb->items[i])) {
			rc = ice_error_set(ICE_ERROR, "manifest list record %zu differs after the round trip", i);
			goto done;
		}
	*records = (long)la->n;
done:
	ice_manifest_list_free(la);
	ice_manifest_list_free(lb);
	return rc;
}

int mc_copy(const ice_io *io, const ice_table_metadata *md, const char *in, const char *out, long *records_out,
            bool *is_list_out)
{
	ice_manifest_list_reader *lr = NULL;
	int rc;
	*records_out = 0;
	*is_list_out = false;
	if (ice_manifest_list_open(&lr, io, md, in) == 0) {
		*is_list_out = true;
		rc = roundtrip_list(io, lr, out);
		ice_manifest_list_reader_free(lr);
		if (rc == 0)
			rc = compare_lists(io, md, in, out, records_out);
		return rc;
	}
	if ((rc = roundtrip_manifest(io, md, in, out)) != 0)
		return rc;
	return compare_manifests(io, md, in, out, records_out);
}
