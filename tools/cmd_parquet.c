/*
 * tools/cmd_parquet.c - `ice parquet FILE`: a Parquet inspector on the
 * public API. Shows the schema (Parquet and Iceberg types, field ids), the
 * file's metadata (row groups, column chunks with encodings, codecs, sizes
 * and statistics) or the rows (JSON Lines or CSV), as text or --json.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { MODE_SUMMARY, MODE_SCHEMA, MODE_METADATA, MODE_ROWS };

enum {
	OPT_SCHEMA = OPT_FIRST_COMMAND_OPTION,
	OPT_METADATA,
	OPT_ROWS,
	OPT_COLUMNS,
	OPT_FORMAT,
	OPT_OFFSET,
	OPT_LIMIT,
	OPT_BATCH,
	OPT_CRC,
};

static const char *repetition_name(ice_parquet_repetition r)
{
	return r == ICE_PARQUET_REQUIRED ? "required" : r == ICE_PARQUET_OPTIONAL ? "optional" : "repeated";
}

static void print_type_text(FILE *f, const ice_type *t)
{
	char *s = t ? ice_type_to_string(t) : NULL;
	fputs(s ? s : "-", f);
	ice_free(s);
}

static void schema_text(FILE *f, const ice_parquet_column *c, int depth)
{
	for (size_t i = 0; i < c->nchildren; i++) {
		const ice_parquet_column *ch = &c->children[i];
		fprintf(f, "%*s", depth * 2, "");
		if (ch->has_field_id)
			fprintf(f, "%d: ", (int)ch->field_id);
		fprintf(f, "%s %s %s", ch->name, repetition_name(ch->repetition),
		        ice_parquet_physical_type_name(ch->physical_type));
		if (ch->physical_type == ICE_PARQUET_FIXED_LEN_BYTE_ARRAY)
			fprintf(f, "(%d)", (int)ch->type_length);
		if (ch->logical_type)
			fprintf(f, " %s", ch->logical_type);
		else if (ch->converted_type)
			fprintf(f, " %s", ch->converted_type);
		if (ch->leaf_index >= 0 || !c->parent) {
			fputs("  -> ", f);
			print_type_text(f, ch->iceberg_type);
		}
		fputc('\n', f);
		schema_text(f, ch, depth + 1);
	}
}

static void schema_json(ice_json_writer *w, const ice_parquet_column *c)
{
	ice_json_begin_array(w);
	for (size_t i = 0; i < c->nchildren; i++) {
		const ice_parquet_column *ch = &c->children[i];
		ice_json_begin_object(w);
		ice_json_key(w, "name");
		ice_json_string(w, ch->name);
		ice_json_key(w, "path");
		ice_json_string(w, ch->path);
		ice_json_key(w, "field_id");
		if (ch->has_field_id)
			ice_json_int(w, ch->field_id);
		else
			ice_json_null(w);
		ice_json_key(w, "repetition");
		ice_json_string(w, repetition_name(ch->repetition));
		ice_json_key(w, "physical_type");
		ice_json_string(w, ice_parquet_physical_type_name(ch->physical_type));
		if (ch->physical_type == ICE_PARQUET_FIXED_LEN_BYTE_ARRAY) {
			ice_json_key(w, "type_length");
			ice_json_int(w, ch->type_length);
		}
		ice_json_key(w, "logical_type");
		ch->logical_type ? ice_json_string(w, ch->logical_type) : ice_json_null(w);
		ice_json_key(w, "converted_type");
		ch->converted_type ? ice_json_string(w, ch->converted_type) : ice_json_null(w);
		ice_json_key(w, "iceberg_type");
		char *t = ch->iceberg_type ? ice_type_to_string(ch->iceberg_type) : NULL;
		t ? ice_json_string(w, t) : ice_json_null(w);
		ice_free(t);
		ice_json_key(w, "max_definition_level");
		ice_json_int(w, ch->max_definition_level);
		ice_json_key(w, "max_repetition_level");
		ice_json_int(w, ch->max_repetition_level);
		if (ch->nchildren) {
			ice_json_key(w, "children");
			schema_json(w, ch);
		}
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
}

static char *bound_text(const ice_literal *v, ice_slice raw, bool has)
{
	if (!has)
		return NULL;
	if (!v->is_null)
		return ice_literal_to_string(v);
	char *hex = malloc(raw.len * 2 + 3);
	if (!hex)
		return NULL;
	strcpy(hex, "0x");
	for (size_t i = 0; i < raw.len; i++)
		snprintf(hex + 2 + i * 2, 3, "%02x", raw.data[i]);
	return hex;
}

static void free_bound(char *s, const ice_literal *v)
{
	if (v->is_null)
		free(s);
	else
		ice_free(s);
}

static void metadata_json(ice_json_writer *w, const ice_parquet_reader *r)
{
	ice_json_key(w, "row_groups");
	ice_json_begin_array(w);
	for (size_t g = 0; g < ice_parquet_reader_row_group_count(r); g++) {
		const ice_parquet_row_group *rg = ice_parquet_reader_row_group(r, g);
		ice_json_begin_object(w);
		ice_json_key(w, "num_rows");
		ice_json_int(w, rg->num_rows);
		ice_json_key(w, "first_row");
		ice_json_int(w, rg->first_row);
		ice_json_key(w, "file_offset");
		ice_json_int(w, rg->file_offset);
		ice_json_key(w, "total_byte_size");
		ice_json_int(w, rg->total_byte_size);
		ice_json_key(w, "total_compressed_size");
		ice_json_int(w, rg->total_compressed_size);
		ice_json_key(w, "columns");
		ice_json_begin_array(w);
		for (size_t c = 0; c < rg->ncolumns; c++) {
			const ice_parquet_column_chunk *cc = &rg->columns[c];
			ice_json_begin_object(w);
			ice_json_key(w, "path");
			ice_json_string(w, cc->column->path);
			ice_json_key(w, "codec");
			ice_json_string(w, ice_parquet_codec_name(cc->codec));
			ice_json_key(w, "encodings");
			ice_json_begin_array(w);
			for (size_t e = 0; e < cc->nencodings; e++)
				ice_json_string(w, ice_parquet_encoding_name(cc->encodings[e]));
			ice_json_end_array(w);
			ice_json_key(w, "num_values");
			ice_json_int(w, cc->num_values);
			ice_json_key(w, "total_compressed_size");
			ice_json_int(w, cc->total_compressed_size);
			ice_json_key(w, "total_uncompressed_size");
			ice_json_int(w, cc->total_uncompressed_size);
			ice_json_key(w, "data_page_offset");
			ice_json_int(w, cc->data_page_offset);
			ice_json_key(w, "dictionary_page_offset");
			cc->dictionary_page_offset >= 0 ? ice_json_int(w, cc->dictionary_page_offset) : ice_json_null(w);
			if (cc->has_statistics) {
				const ice_parquet_statistics *st = &cc->statistics;
				ice_json_key(w, "statistics");
				ice_json_begin_object(w);
				ice_json_key(w, "null_count");
				st->has_null_count ? ice_json_int(w, st->null_count) : ice_json_null(w);
				if (st->has_distinct_count) {
					ice_json_key(w, "distinct_count");
					ice_json_int(w, st->distinct_count);
				}
				char *mn = bound_text(&st->min_value, st->min, st->has_min);
				char *mx = bound_text(&st->max_value, st->max, st->has_max);
				ice_json_key(w, "min");
				mn ? ice_json_string(w, mn) : ice_json_null(w);
				ice_json_key(w, "max");
				mx ? ice_json_string(w, mx) : ice_json_null(w);
				ice_json_key(w, "min_exact");
				ice_json_bool(w, st->min_exact);
				ice_json_key(w, "max_exact");
				ice_json_bool(w, st->max_exact);
				free_bound(mn, &st->min_value);
				free_bound(mx, &st->max_value);
				ice_json_end_object(w);
			}
			ice_json_end_object(w);
		}
		ice_json_end_array(w);
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
}

static void metadata_text(FILE *f, const ice_parquet_reader *r)
{
	for (size_t g = 0; g < ice_parquet_reader_row_group_count(r); g++) {
		const ice_parquet_row_group *rg = ice_parquet_reader_row_group(r, g);
		fprintf(f, "Row group %zu: %lld rows from row %lld, offset %lld, %lld bytes (%lld uncompressed)\n", g,
		        (long long)rg->num_rows, (long long)rg->first_row, (long long)rg->file_offset,
		        (long long)rg->total_compressed_size, (long long)rg->total_byte_size);
		for (size_t c = 0; c < rg->ncolumns; c++) {
			const ice_parquet_column_chunk *cc = &rg->columns[c];
			fprintf(f, "  %s: %s", cc->column->path, ice_parquet_codec_name(cc->codec));
			for (size_t e = 0; e < cc->nencodings; e++)
				fprintf(f, "%s%s", e ? "," : " ", ice_parquet_encoding_name(cc->encodings[e]));
			fprintf(f, ", %lld values, %lld bytes (%lld uncompressed), data page at %lld", (long long)cc->num_values,
			        (long long)cc->total_compressed_size, (long long)cc->total_uncompressed_size,
			        (long long)cc->data_page_offset);
			if (cc->dictionary_page_offset >= 0)
				fprintf(f, ", dictionary at %lld", (long long)cc->dictionary_page_offset);
			fputc('\n', f);
			if (cc->has_statistics) {
				const ice_parquet_statistics *st = &cc->statistics;
				char *mn = bound_text(&st->min_value, st->min, st->has_min);
				char *mx = bound_text(&st->max_value, st->max, st->has_max);
				fprintf(f, "    statistics: nulls ");
				if (st->has_null_count)
					fprintf(f, "%lld", (long long)st->null_count);
				else
					fprintf(f, "?");
				fprintf(f, ", min %s%s, max %s%s\n", mn ? mn : "-", st->min_exact ? "" : " (truncated)",
				        mx ? mx : "-", st->max_exact ? "" : " (truncated)");
				free_bound(mn, &st->min_value);
				free_bound(mx, &st->max_value);
			}
		}
	}
}

static void file_header_text(FILE *f, const ice_parquet_reader *r)
{
	fprintf(f, "File:        %s\n", ice_parquet_reader_location(r));
	fprintf(f, "Size:        %llu bytes\n", (unsigned long long)ice_parquet_reader_file_size(r));
	fprintf(f, "Version:     %d\n", (int)ice_parquet_reader_version(r));
	fprintf(f, "Created by:  %s\n", ice_parquet_reader_created_by(r) ? ice_parquet_reader_created_by(r) : "-");
	fprintf(f, "Rows:        %lld\n", (long long)ice_parquet_reader_num_rows(r));
	fprintf(f, "Row groups:  %zu\n", ice_parquet_reader_row_group_count(r));
	fprintf(f, "Columns:     %zu\n", ice_parquet_reader_leaf_count(r));
}

static void file_header_json(ice_json_writer *w, const ice_parquet_reader *r)
{
	ice_json_key(w, "location");
	ice_json_string(w, ice_parquet_reader_location(r));
	ice_json_key(w, "file_size");
	ice_json_int(w, (int64_t)ice_parquet_reader_file_size(r));
	ice_json_key(w, "version");
	ice_json_int(w, ice_parquet_reader_version(r));
	ice_json_key(w, "created_by");
	ice_parquet_reader_created_by(r) ? ice_json_string(w, ice_parquet_reader_created_by(r)) : ice_json_null(w);
	ice_json_key(w, "num_rows");
	ice_json_int(w, ice_parquet_reader_num_rows(r));
	ice_json_key(w, "key_value_metadata");
	ice_json_begin_object(w);
	for (size_t i = 0; i < ice_parquet_reader_key_value_count(r); i++) {
		const ice_parquet_key_value *kv = ice_parquet_reader_key_value(r, i);
		ice_json_key(w, kv->key);
		kv->value ? ice_json_string(w, kv->value) : ice_json_null(w);
	}
	ice_json_end_object(w);
}

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int print_rows(ice_cli *cli, ice_parquet_reader *r, const ice_parquet_scan_options *opts, bool csv)
{
	ice_parquet_scan *scan;
	struct ArrowSchema schema;
	struct ArrowArray batch;
	int rc = ice_parquet_scan_open(&scan, r, opts);
	if (rc)
		return cli_fail(rc);
	if ((rc = ice_parquet_scan_schema(scan, &schema)) != 0) {
		ice_parquet_scan_free(scan);
		return cli_fail(rc);
	}
	if (csv) {
		for (int64_t c = 0; c < schema.n_children; c++) {
			if (c)
				fputc(',', cli->out);
			csv_field(cli->out, schema.children[c]->name);
		}
		fputc('\n', cli->out);
	}
	while ((rc = ice_parquet_scan_next(scan, &batch, NULL)) == 0) {
		for (int64_t row = 0; row < batch.length && rc == 0; row++) {
			if (csv) {
				for (int64_t c = 0; c < schema.n_children && rc == 0; c++) {
					char *text;
					if ((rc = ice_arrow_value_to_string(&text, schema.children[c], batch.children[c], row)))
						break;
					if (c)
						fputc(',', cli->out);
					if (text)
						csv_field(cli->out, text);
					ice_free(text);
				}
				fputc('\n', cli->out);
				continue;
			}
			ice_json_writer *w;
			const char *text;
			size_t len;
			if ((rc = ice_json_writer_new(&w, ICE_JSON_COMPACT)) != 0)
				break;
			if ((rc = ice_arrow_write_json_row(w, &schema, &batch, row)) == 0 &&
			    (rc = ice_json_writer_finish(w, &text, &len)) == 0) {
				fwrite(text, 1, len, cli->out);
				fputc('\n', cli->out);
			}
			ice_json_writer_free(w);
		}
		ice_arrow_array_release(&batch);
		if (rc)
			break;
	}
	ice_arrow_schema_release(&schema);
	ice_parquet_scan_free(scan);
	if (rc != ICE_ITEROVER)
		return cli_fail(rc);
	return EXIT_OK;
}

CLI_COMMAND(parquet)
{
	static const struct option longopts[] = {
		{"schema", no_argument, NULL, OPT_SCHEMA},
		{"metadata", no_argument, NULL, OPT_METADATA},
		{"rows", no_argument, NULL, OPT_ROWS},
		{"columns", required_argument, NULL, OPT_COLUMNS},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"offset", required_argument, NULL, OPT_OFFSET},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{"batch-size", required_argument, NULL, OPT_BATCH},
		{"verify-checksums", no_argument, NULL, OPT_CRC},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("parquet");
	int mode = MODE_SUMMARY, opt, rc;
	bool csv = false;
	char *columns = NULL;
	long long offset = 0, limit = -1, batch = 0;
	ice_parquet_scan_options so;
	ice_parquet_scan_options_init(&so);
	optind = 1;
	while ((opt = cli_getopt(argc, argv, longopts)) != -1) {
		switch (opt) {
		case OPT_SCHEMA: mode = MODE_SCHEMA; break;
		case OPT_METADATA: mode = MODE_METADATA; break;
		case OPT_ROWS: mode = MODE_ROWS; break;
		case OPT_COLUMNS: columns = optarg; break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "csv"))
				csv = true;
			else if (strcmp(optarg, "jsonl") != 0)
				return cli_usage_error(cmd, "--format is jsonl or csv, not '%s'", optarg);
			break;
		case OPT_OFFSET:
		case OPT_LIMIT:
		case OPT_BATCH: {
			char *end;
			long long v = strtoll(optarg, &end, 10);
			if (*end || v < 0)
				return cli_usage_error(cmd, "expected a non-negative number, got '%s'", optarg);
			*(opt == OPT_OFFSET ? &offset : opt == OPT_LIMIT ? &limit : &batch) = v;
			break;
		}
		case OPT_CRC: so.verify_checksums = true; break;
		default:
			rc = cli_common_option(cli, cmd, opt, optarg);
			if (rc == -1) {
				cli_print_usage(cmd, stdout);
				return EXIT_OK;
			}
			if (rc)
				return rc;
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(cmd, "expected one FILE");
	if ((columns || csv || limit >= 0 || offset) && mode != MODE_ROWS)
		return cli_usage_error(cmd, "--columns, --format, --offset and --limit go with --rows");
	const char *file = argv[optind];
	ice_parquet_reader *r;
	if ((rc = ice_parquet_reader_open(&r, cli->io, file)) != 0)
		return cli_fail(rc);

	if (mode == MODE_ROWS) {
		const char **names = NULL;
		char *copy = NULL;
		size_t n = 0;
		if (columns) {
			copy = strdup(columns);
			names = calloc(strlen(columns) + 1, sizeof(char *));
			if (!copy || !names) {
				free(copy);
				free(names);
				ice_parquet_reader_free(r);
				return cli_error("out of memory");
			}
			for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
				names[n++] = tok;
		}
		so.columns = names;
		so.ncolumns = n;
		so.row_start = offset;
		so.row_end = limit >= 0 ? offset + limit : -1;
		so.batch_size = (size_t)batch;
		rc = print_rows(cli, r, &so, csv);
		free(copy);
		free(names);
		ice_parquet_reader_free(r);
		return rc;
	}
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY)) {
			ice_parquet_reader_free(r);
			return cli_fail(ICE_ERROR);
		}
		ice_json_begin_object(w);
		file_header_json(w, r);
		if (mode != MODE_METADATA) {
			ice_json_key(w, "schema");
			schema_json(w, ice_parquet_reader_root(r));
		}
		if (mode != MODE_SCHEMA)
			metadata_json(w, r);
		ice_json_end_object(w);
		rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
	} else {
		if (mode != MODE_SCHEMA)
			file_header_text(cli->out, r);
		if (mode != MODE_METADATA) {
			if (mode != MODE_SCHEMA)
				fputs("\nSchema:\n", cli->out);
			schema_text(cli->out, ice_parquet_reader_root(r), mode == MODE_SCHEMA ? 0 : 1);
		}
		if (mode == MODE_METADATA) {
			fputc('\n', cli->out);
			metadata_text(cli->out, r);
		}
		rc = EXIT_OK;
	}
	ice_parquet_reader_free(r);
	return rc;
}
