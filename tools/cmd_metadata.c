/*
 * tools/cmd_metadata.c - `ice metadata TABLE`: validate and print the
 * current metadata document exactly as libicetable writes it.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_COMPACT = OPT_FIRST_COMMAND_OPTION, OPT_UPGRADE };

CLI_COMMAND(metadata)
{
	static const struct option opts[] = {
		{"compact", no_argument, NULL, OPT_COMPACT},
		{"upgrade", required_argument, NULL, OPT_UPGRADE},
		CLI_COMMON_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("metadata");
	bool compact = false;
	int upgrade = 0, c, rc;
	ice_table_metadata *md = NULL, *upgraded = NULL;
	char *text = NULL;
	size_t len;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case OPT_COMPACT:
			compact = true;
			break;
		case OPT_UPGRADE:
			if (strcmp(optarg, "2") && strcmp(optarg, "3"))
				return cli_usage_error(cmd, "--upgrade takes 2 or 3, not '%s'", optarg);
			upgrade = atoi(optarg);
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
	if (optind != argc - 1)
		return cli_usage_error(cmd, "expected one TABLE argument");
	if ((rc = cli_load_metadata(cli, argv[optind], &md, NULL)) != 0)
		return rc;
	if (upgrade) {
		if ((rc = ice_table_metadata_upgrade(&upgraded, md, upgrade)) != 0) {
			ice_table_metadata_free(md);
			return cli_fail(rc);
		}
	}
	rc = ice_table_metadata_to_json(&text, &len, upgraded ? upgraded : md,
	                                compact ? ICE_JSON_COMPACT : ICE_JSON_PRETTY);
	ice_table_metadata_free(upgraded);
	ice_table_metadata_free(md);
	if (rc)
		return cli_fail(rc);
	fwrite(text, 1, len, cli->out);
	if (compact)
		fputc('\n', cli->out);
	ice_free(text);
	return EXIT_OK;
}
