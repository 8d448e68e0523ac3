/*
 * tools/cmd_create.c - `ice create TABLE --schema ...`: create a table in a
 * catalog or a directory, from a schema written in the schema language
 * (ice/table_dsl.h) or inferred from a CSV or Parquet file.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_SCHEMA = OPT_FIRST_COMMAND_OPTION,
	OPT_SCHEMA_FROM,
	OPT_PARTITION,
	OPT_SORT,
	OPT_PROPERTY,
	OPT_FORMAT_VERSION,
	OPT_DELIMITER,
	OPT_APPEND,
};

CLI_COMMAND(create)
{
	static const struct option options[] = {
		{"schema", required_argument, NULL, OPT_SCHEMA},
		{"schema-from", required_argument, NULL, OPT_SCHEMA_FROM},
		{"partition", required_argument, NULL, OPT_PARTITION},
		{"sort", required_argument, NULL, OPT_SORT},
		{"property", required_argument, NULL, OPT_PROPERTY},
		{"format-version", required_argument, NULL, OPT_FORMAT_VERSION},
		{"delimiter", required_argument, NULL, OPT_DELIMITER},
		{"append", required_argument, NULL, OPT_APPEND},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("create");
	const char *schema_text = NULL, *schema_from = NULL, *partition = NULL, *sort = NULL;
	char delimiter = 0; /* by extension: tab for .tsv */
	ice_property *props = NULL;
	size_t nprops = 0;
	int format_version = 2, opt, rc = EXIT_OK;
	ice_schema *schema = NULL;
	ice_partition_spec *spec = NULL;
	ice_sort_order *order = NULL;
	ice_catalog *catalog = NULL;
	ice_table *table = NULL;
	ice_resolved_table target = {0};
	const char **inputs = NULL;
	size_t ninputs = 0;
	ice_write_report wr;
	memset(&wr, 0, sizeof(wr));

	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		switch (opt) {
		case OPT_SCHEMA: schema_text = optarg; break;
		case OPT_SCHEMA_FROM: schema_from = optarg; break;
		case OPT_PARTITION: partition = optarg; break;
		case OPT_SORT: sort = optarg; break;
		case OPT_DELIMITER:
			if (strlen(optarg) != 1) {
				rc = cli_usage_error(cmd, "--delimiter wants one character");
				goto done;
			}
			delimiter = optarg[0];
			break;
		case OPT_PROPERTY:
			if ((rc = cli_parse_property(cmd, optarg, &props, &nprops)) != 0)
				goto done;
			break;
		case OPT_APPEND: {
			const char **in = realloc(inputs, (ninputs + 1) * sizeof(char *));
			if (!in) {
				rc = cli_error("out of memory");
				goto done;
			}
			inputs = in;
			inputs[ninputs++] = optarg;
			break;
		}
		case OPT_FORMAT_VERSION:
			if (strlen(optarg) != 1 || optarg[0] < '1' || optarg[0] > '3') {
				rc = cli_usage_error(cmd, "--format-version wants 1, 2 or 3, got '%s'", optarg);
				goto done;
			}
			format_version = optarg[0] - '0';
			break;
		case '?':
		case ':':
			rc = cli_common_option(cli, cmd, opt, optarg);
			goto done;
		default:
			if ((rc = cli_common_option(cli, cmd, opt, optarg)) != 0) {
				if (rc == -1) {
					cli_print_usage(cmd, stdout);
					rc = EXIT_OK;
				}
				goto done;
			}
		}
	}
	if (optind + 1 != argc) {
		rc = cli_usage_error(cmd, "expected one TABLE");
		goto done;
	}
	if (!!schema_text == !!schema_from) {
		rc = cli_usage_error(cmd, "give one of --schema or --schema-from");
		goto done;
	}
	const char *arg = argv[optind];
	if (schema_text)
		rc = ice_schema_parse_dsl(&schema, schema_text);
	else
		rc = ice_schema_infer(&schema, cli->io, schema_from, delimiter);
	if (rc) {
		rc = cli_fail(rc);
		goto done;
	}
	if (partition && (rc = ice_partition_spec_parse_dsl(&spec, partition, schema)) != 0) {
		rc = cli_fail(rc);
		goto done;
	}
	if (sort && (rc = ice_sort_order_parse_dsl(&order, sort, schema)) != 0) {
		rc = cli_fail(rc);
		goto done;
	}
	if ((rc = cli_resolve_table(cli, arg, ICE_TABLE_USE_CREATE, &target)) != 0)
		goto done;
	catalog = target.catalog; /* the table borrows it */
	target.catalog = NULL;
	ice_table_create_options opts;
	ice_properties properties = {nprops, props};
	ice_table_create_options_init(&opts);
	opts.schema = schema;
	opts.spec = spec;
	opts.sort_order = order;
	opts.properties = &properties;
	opts.format_version = format_version;
	if (ninputs) {
		/* The table appears with its first snapshot, or not at all. */
		ice_write_options wo;
		ice_write_options_init(&wo);
		if ((rc = ice_table_create_staged(&table, catalog, cli->io, target.identifier, &opts)) != 0 ||
		    (rc = ice_table_append_files(table, inputs, ninputs, &wo, NULL, &wr, NULL)) != 0) {
			rc = cli_fail(rc);
			goto done;
		}
	} else if ((rc = ice_table_create(&table, catalog, cli->io, target.identifier, &opts)) != 0) {
		rc = cli_fail(rc);
		goto done;
	}
	const ice_table_metadata *md = ice_table_current(table);
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY)) {
			rc = cli_fail(ICE_ERROR);
			goto done;
		}
		ice_json_begin_object(w);
		ice_json_key(w, "table");
		ice_json_string(w, arg);
		ice_json_key(w, "location");
		ice_json_string(w, ice_table_metadata_location(md));
		ice_json_key(w, "metadata_location");
		ice_json_string(w, ice_table_metadata_file(table));
		ice_json_key(w, "format_version");
		ice_json_int(w, ice_table_metadata_format_version(md));
		ice_json_key(w, "table_uuid");
		ice_json_string(w, ice_table_metadata_uuid(md));
		ice_json_key(w, "schema");
		ice_schema_write_json(ice_table_metadata_current_schema(md), w);
		ice_json_key(w, "partition_spec");
		ice_partition_spec_write_json(ice_table_metadata_default_spec(md), w);
		ice_json_key(w, "sort_order");
		ice_sort_order_write_json(ice_table_metadata_default_sort_order(md), w);
		if (ninputs) {
			ice_json_key(w, "snapshot_id");
			ice_json_int(w, wr.snapshot_id);
			ice_json_key(w, "rows");
			ice_json_int(w, wr.rows);
			ice_json_key(w, "files");
			ice_json_int(w, wr.files);
		}
		ice_json_end_object(w);
		rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
	} else if (!cli->quiet) {
		fprintf(cli->out, "created %s: format v%d, %zu columns, %zu partition fields, at %s\n", arg,
		        ice_table_metadata_format_version(md),
		        ice_schema_field_count(ice_table_metadata_current_schema(md)),
		        ice_table_metadata_default_spec(md)->nfields, ice_table_metadata_location(md));
		if (ninputs)
			fprintf(cli->out, "appended %lld rows in %lld files as snapshot %lld\n", (long long)wr.rows,
			        (long long)wr.files, (long long)wr.snapshot_id);
	}
done:
	free(inputs);
	ice_table_free(table);
	ice_catalog_free(catalog);
	ice_sort_order_free(order);
	ice_partition_spec_free(spec);
	ice_schema_free(schema);
	ice_resolved_table_clear(&target);
	cli_free_properties(props, nprops);
	return rc;
}
