/*
 * tests/unit/parquet/parquet_roundtrip.c - a test helper for the Python
 * conformance tests: read a Parquet file with ice's reader and write its rows
 * again with ice's writer (the file's own Iceberg schema and field ids), then
 * print the writer's Iceberg metrics as JSON. Public API only.
 *
 *   parquet-roundtrip IN OUT [--property KEY=VALUE]... [--batch N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ice.h"

static int fail(const char *what)
{
	const ice_error *e = ice_error_last();
	fprintf(stderr, "parquet-roundtrip: %s: %s\n", what, e ? e->message : "error");
	return 1;
}

static void literal_json(ice_json_writer *w, const ice_literal *v)
{
	if (v->is_null) {
		ice_json_null(w);
		return;
	}
	char *s = ice_literal_to_string(v);
	if (s)
		ice_json_string(w, s);
	else
		ice_json_null(w);
	ice_free(s);
}

int main(int argc, char **argv)
{
	ice_io *io;
	ice_parquet_reader *r;
	ice_parquet_writer *w;
	ice_parquet_scan *scan;
	ice_parquet_write_options opts;
	ice_parquet_file_metrics *m;
	struct ArrowSchema schema;
	struct ArrowArray batch;
	size_t batch_size = 0;
	int rc;
	if (argc < 3) {
		fprintf(stderr, "usage: parquet-roundtrip IN OUT [--property K=V]... [--batch N]\n");
		return 2;
	}
	ice_parquet_write_options_init(&opts);
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--property") && i + 1 < argc) {
			char *kv = argv[++i], *eq = strchr(kv, '=');
			if (!eq)
				return 2;
			*eq = '\0';
			if (ice_parquet_write_options_set(&opts, kv, eq + 1))
				return fail("option");
		} else if (!strcmp(argv[i], "--batch") && i + 1 < argc) {
			batch_size = (size_t)atol(argv[++i]);
		} else if (!strcmp(argv[i], "--no-dictionary")) {
			opts.dictionary_enabled = false;
		} else {
			return 2;
		}
	}
	if (ice_io_new(&io))
		return fail("io");
	if (ice_parquet_reader_open(&r, io, argv[1]))
		return fail("open");
	ice_parquet_scan_options so;
	ice_parquet_scan_options_init(&so);
	so.batch_size = batch_size;
	if (ice_parquet_scan_open(&scan, r, &so) || ice_parquet_scan_schema(scan, &schema))
		return fail("scan");
	const char *what = NULL;
	if (ice_parquet_writer_open(&w, io, argv[2], ice_parquet_reader_iceberg_schema(r), &opts)) {
		what = "writer";
	} else {
		while ((rc = ice_parquet_scan_next(scan, &batch, NULL)) == 0) {
			rc = ice_parquet_writer_write(w, &batch, &schema);
			ice_arrow_array_release(&batch);
			if (rc) {
				what = "write";
				break;
			}
		}
		if (!what && rc != ICE_ITEROVER)
			what = "read";
		if (what)
			ice_parquet_writer_abort(w);
		else if (ice_parquet_writer_close(w, &m))
			what = "close";
	}
	if (what) {
		rc = fail(what);
		ice_arrow_schema_release(&schema);
		ice_parquet_scan_free(scan);
		ice_parquet_reader_free(r);
		ice_io_free(io);
		return rc;
	}
	ice_json_writer *j;
	const char *text;
	size_t len;
	ice_json_writer_new(&j, ICE_JSON_PRETTY);
	ice_json_begin_object(j);
	ice_json_key(j, "file-size");
	ice_json_int(j, m->file_size);
	ice_json_key(j, "record-count");
	ice_json_int(j, m->record_count);
	ice_json_key(j, "split-offsets");
	ice_json_begin_array(j);
	for (size_t i = 0; i < m->nsplit_offsets; i++)
		ice_json_int(j, m->split_offsets[i]);
	ice_json_end_array(j);
	ice_json_key(j, "columns");
	ice_json_begin_array(j);
	for (size_t i = 0; i < m->ncolumns; i++) {
		const ice_parquet_column_metrics *c = &m->columns[i];
		ice_json_begin_object(j);
		ice_json_key(j, "field-id");
		ice_json_int(j, c->field_id);
		ice_json_key(j, "column-size");
		ice_json_int(j, c->column_size);
		ice_json_key(j, "value-count");
		ice_json_int(j, c->value_count);
		ice_json_key(j, "null-count");
		ice_json_int(j, c->null_count);
		ice_json_key(j, "nan-count");
		c->nan_count >= 0 ? ice_json_int(j, c->nan_count) : ice_json_null(j);
		ice_json_key(j, "lower-bound");
		literal_json(j, &c->lower_bound);
		ice_json_key(j, "upper-bound");
		literal_json(j, &c->upper_bound);
		ice_json_end_object(j);
	}
	ice_json_end_array(j);
	ice_json_end_object(j);
	if (ice_json_writer_finish(j, &text, &len))
		return fail("json");
	fwrite(text, 1, len, stdout);
	ice_json_writer_free(j);
	ice_parquet_file_metrics_free(m);
	ice_arrow_schema_release(&schema);
	ice_parquet_scan_free(scan);
	ice_parquet_reader_free(r);
	ice_io_free(io);
	return 0;
}
