/*
 * tools/cmd_metadata.c - `ice metadata TABLE`: validate and print the
 * current metadata document exactly as libicetable writes it; optionally the
 * document upgraded to a newer format version, or the result of applying
 * REST-style table updates through the metadata builder (a dry run: nothing
 * is written).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_COMPACT = OPT_FIRST_COMMAND_OPTION,
	OPT_UPGRADE,
	OPT_APPLY,
	OPT_REQUIREMENTS,
	OPT_NOW,
	OPT_NEW,
	OPT_CHANGES,
	OPT_PREVIOUS,
};

/* Reads a whole file, or stdin for "-". */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *data = NULL;
	size_t n = 0, cap = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 > cap) {
			char *p = realloc(data, cap = cap ? cap * 2 : 65536);
			if (!p) {
				free(data);
				data = NULL;
				break;
			}
			data = p;
		}
		size_t got = fread(data + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return data;
}

static int print_metadata(ice_cli *cli, const ice_table_metadata *md, bool compact)
{
	char *text;
	size_t len;
	int rc = ice_table_metadata_to_json(&text, &len, md, compact ? ICE_JSON_COMPACT : ICE_JSON_PRETTY);
	if (rc)
		return cli_fail(rc);
	fwrite(text, 1, len, cli->out);
	if (compact)
		fputc('\n', cli->out);
	ice_free(text);
	return EXIT_OK;
}

static int apply(ice_cli *cli, const ice_table_metadata *base, const char *location, const char *updates_path,
                 const char *reqs_path, int64_t now, bool has_now, bool previous, bool changes, bool compact)
{
	ice_table_updates *updates = NULL;
	ice_table_requirements *reqs = NULL;
	ice_metadata_builder *b = NULL;
	ice_table_metadata *result = NULL;
	char *text;
	size_t len;
	int rc;

	if (!(text = slurp(updates_path, &len)))
		return cli_error("%s: cannot read", updates_path);
	rc = ice_table_updates_from_json(&updates, text, len, updates_path);
	free(text);
	if (rc)
		return cli_fail(rc);
	if (reqs_path) {
		if (!(text = slurp(reqs_path, &len))) {
			ice_table_updates_free(updates);
			return cli_error("%s: cannot read", reqs_path);
		}
		rc = ice_table_requirements_from_json(&reqs, text, len, reqs_path);
		free(text);
		if (!rc)
			rc = ice_table_requirements_check(reqs, base);
		if (rc)
			goto done;
	}
	if ((rc = ice_metadata_builder_new(&b, base)) != 0)
		goto done;
	if (has_now)
		ice_metadata_builder_set_now(b, now);
	if (previous && location && (rc = ice_metadata_builder_set_previous_location(b, location)) != 0)
		goto done;
	if ((rc = ice_metadata_builder_apply(b, updates)) != 0)
		goto done;
	if (changes) {
		ice_json_writer *w;
		if ((rc = ice_json_writer_new(&w, compact ? ICE_JSON_COMPACT : ICE_JSON_PRETTY)) != 0)
			goto done;
		ice_metadata_builder_write_changes(b, w);
		int out = cli_print_json(cli, w);
		if (compact)
			fputc('\n', cli->out);
		ice_json_writer_free(w);
		if (out) {
			rc = ICE_ERROR;
			goto done;
		}
	}
	if ((rc = ice_metadata_builder_build(&result, b)) != 0)
		goto done;
	if (!changes)
		rc = print_metadata(cli, result, compact) ? ICE_ERROR : 0;
done:
	ice_table_metadata_free(result);
	ice_metadata_builder_free(b);
	ice_table_requirements_free(reqs);
	ice_table_updates_free(updates);
	return rc ? cli_fail(rc) : EXIT_OK;
}

/* A view or UDF document given as a file: validate and print it. Returns -1
 * when the file holds table metadata (the caller goes on). */
static int other_document(ice_cli *cli, const char *path, bool compact)
{
	uint8_t *data;
	size_t len;
	ice_document_kind kind;
	char *text = NULL;
	int rc;
	if (ice_io_read_all(cli->io, path, 0, &data, &len) != 0) {
		ice_error_clear();
		return -1; /* a directory, or missing: the table loader reports it */
	}
	rc = ice_document_kind_of(&kind, data, len, path);
	if (rc == 0 && kind == ICE_DOCUMENT_VIEW) {
		ice_view_metadata *vm;
		if ((rc = ice_view_metadata_parse(&vm, data, len, path)) == 0) {
			rc = ice_view_metadata_to_json(&text, &len, vm, compact ? ICE_JSON_COMPACT : ICE_JSON_PRETTY);
			ice_view_metadata_free(vm);
		}
	} else if (rc == 0 && kind == ICE_DOCUMENT_UDF) {
		ice_udf_metadata *um;
		if ((rc = ice_udf_metadata_parse(&um, data, len, path)) == 0) {
			rc = ice_udf_metadata_to_json(&text, &len, um, compact ? ICE_JSON_COMPACT : ICE_JSON_PRETTY);
			ice_udf_metadata_free(um);
		}
	} else if (rc == 0) {
		ice_free(data);
		return -1;
	}
	ice_free(data);
	if (rc)
		return cli_fail(rc);
	fwrite(text, 1, len, cli->out);
	if (compact)
		fputc('\n', cli->out);
	ice_free(text);
	return EXIT_OK;
}

CLI_COMMAND(metadata)
{
	static const struct option opts[] = {
		{"compact", no_argument, NULL, OPT_COMPACT},
		{"upgrade", required_argument, NULL, OPT_UPGRADE},
		{"apply", required_argument, NULL, OPT_APPLY},
		{"requirements", required_argument, NULL, OPT_REQUIREMENTS},
		{"now", required_argument, NULL, OPT_NOW},
		{"new", no_argument, NULL, OPT_NEW},
		{"changes", no_argument, NULL, OPT_CHANGES},
		{"previous-location", no_argument, NULL, OPT_PREVIOUS},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("metadata");
	bool compact = false, is_new = false, has_now = false, changes = false, previous = false;
	const char *updates = NULL, *reqs = NULL;
	int64_t now = 0;
	int upgrade = 0, c, rc;
	char *end;
	ice_table_metadata *md = NULL, *upgraded = NULL;
	char *location = NULL;

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_COMPACT:
			compact = true;
			break;
		case OPT_UPGRADE:
			if (strcmp(optarg, "2") && strcmp(optarg, "3"))
				return cli_usage_error(cmd, "--upgrade takes 2 or 3, not '%s'", optarg);
			upgrade = atoi(optarg);
			break;
		case OPT_APPLY:
			updates = optarg;
			break;
		case OPT_REQUIREMENTS:
			reqs = optarg;
			break;
		case OPT_NOW:
			now = strtoll(optarg, &end, 10);
			if (*end || !*optarg)
				return cli_usage_error(cmd, "--now wants epoch milliseconds, not '%s'", optarg);
			has_now = true;
			break;
		case OPT_NEW:
			is_new = true;
			break;
		case OPT_CHANGES:
			changes = true;
			break;
		case OPT_PREVIOUS:
			previous = true;
			break;
		default:
			if ((rc = cli_common_option(cli, cmd, c, optarg)) != 0) {
				if (rc < 0) {
					cli_print_usage(cmd, stdout);
					return EXIT_OK;
				}
				return rc;
			}
		}
	}
	if (is_new ? optind != argc : optind != argc - 1)
		return cli_usage_error(cmd, is_new ? "--new takes no TABLE argument" : "expected one TABLE argument");
	if ((reqs || has_now || changes || previous || is_new) && !updates)
		return cli_usage_error(cmd, "--new, --requirements, --now, --changes and --previous-location go with --apply");
	if (upgrade && updates)
		return cli_usage_error(cmd, "use --upgrade or --apply, not both");
	if (!is_new && !updates && !upgrade && (rc = other_document(cli, argv[optind], compact)) >= 0)
		return rc;
	if (!is_new && (rc = cli_load_metadata(cli, argv[optind], &md, &location)) != 0)
		return rc;
	if (updates)
		rc = apply(cli, md, location, updates, reqs, now, has_now, previous, changes, compact);
	else if (upgrade && (rc = ice_table_metadata_upgrade(&upgraded, md, upgrade)) != 0)
		rc = cli_fail(rc);
	else
		rc = print_metadata(cli, upgraded ? upgraded : md, compact);
	ice_table_metadata_free(upgraded);
	ice_table_metadata_free(md);
	ice_free(location);
	return rc;
}
