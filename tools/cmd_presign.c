/*
 * tools/cmd_presign.c - `ice presign s3://bucket/key [--expires DURATION]`:
 * a URL that lets anyone holding it GET one object without credentials for
 * a while (ice_io_presign), like `aws s3 presign`: to hand a data file or a
 * metadata file to a tool or a person that has no AWS access of its own.
 * Signed locally with the same configuration every other S3 request of ice
 * uses; nothing is sent.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_EXPIRES = OPT_FIRST_COMMAND_OPTION };

#define DEFAULT_EXPIRES 3600
#define MAX_EXPIRES 604800

/* Seconds: a whole number, or a duration with a unit (90s, 15m, 12h, 7d). */
static bool parse_expires(const char *s, int64_t *out)
{
	int64_t ms;
	if (*s && strspn(s, "0123456789") == strlen(s)) {
		if (strlen(s) > 12)
			return false;
		*out = strtoll(s, NULL, 10);
		return true;
	}
	if (!cli_parse_duration(s, &ms) || ms % 1000 != 0)
		return false;
	*out = ms / 1000;
	return true;
}

static int option(void *ctx, const cli_command *cmd, int opt, const char *arg)
{
	int64_t *expires = ctx;
	if (opt == OPT_EXPIRES) {
		if (!parse_expires(arg, expires))
			return cli_usage_error(cmd, "--expires: '%s' is not a number of seconds or a duration (90s, 15m, 12h, 7d)",
			                       arg);
		if (*expires < 1 || *expires > MAX_EXPIRES)
			return cli_usage_error(cmd, "--expires: %s is out of range: 1 s to 7 days (604800 s)", arg);
	}
	return 0;
}

CLI_COMMAND(presign)
{
	static const struct option options[] = {
		{"expires", required_argument, NULL, OPT_EXPIRES},
		{NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("presign");
	int64_t expires = DEFAULT_EXPIRES;
	char *url = NULL;
	int rc = cli_parse_args(cli, cmd, argc, argv, options, option, &expires, NULL, NULL);
	if (rc >= 0)
		return rc;
	if (optind != argc - 1)
		return cli_usage_error(cmd, "expected one LOCATION (s3://bucket/key)");
	const char *location = argv[optind];
	if ((rc = ice_io_presign(&url, cli->io, location, expires)) != 0)
		return cli_fail(rc);
	if (cli->json) {
		ice_json_writer *w;
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY)) {
			ice_free(url);
			return cli_fail(ICE_ERROR);
		}
		ice_json_begin_object(w);
		ice_json_key(w, "location");
		ice_json_string(w, location);
		ice_json_key(w, "method");
		ice_json_string(w, "GET");
		ice_json_key(w, "expires_s");
		ice_json_int(w, expires);
		ice_json_key(w, "url");
		ice_json_string(w, url);
		ice_json_end_object(w);
		rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
	} else {
		fprintf(cli->out, "%s\n", url);
	}
	ice_free(url);
	return rc;
}
