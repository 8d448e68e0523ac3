/*
 * tools/cli.c - shared helpers of the ice command line: common options,
 * error printing and exit codes, JSON output.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char *ctx_table, *ctx_command;

void cli_set_context(const char *table, const char *command)
{
	ctx_table = table;
	ctx_command = command;
}

/* "ice: db.t: scan: " once the table is known; a message that already
 * starts with the table's name gets the command after it instead. */
static void error_prefix(const char **msg)
{
	size_t n;
	fputs("ice: ", stderr);
	if (!ctx_table || !ctx_command)
		return;
	n = strlen(ctx_table);
	if (!strncmp(*msg, ctx_table, n) && (*msg)[n] == ':' && (*msg)[n + 1] == ' ')
		*msg += n + 2;
	n = strlen(ctx_command);
	if (!strncmp(*msg, ctx_command, n) && (*msg)[n] == ':' && (*msg)[n + 1] == ' ')
		*msg += n + 2;
	fprintf(stderr, "%s: %s: ", ctx_table, ctx_command);
}

/* A location this machine cannot read - a scheme nothing here reads, or
 * s3:// without credentials (s3a://... of a table copied from elsewhere):
 * say how to read it from where the copy is. */
static void path_map_hint(const char *msg)
{
	if (!strstr(msg, ": no file system for scheme '") && !strstr(msg, ": no AWS credentials"))
		return;
	const char *sep = strstr(msg, "://");
	if (!sep)
		return;
	const char *uri = sep;
	while (uri > msg && uri[-1] != ' ')
		uri--;
	const char *end = strstr(sep, ": ");
	if (!end)
		return;
	for (const char *p = sep + 3; p < end; p++)
		if (!strncmp(p, "/metadata/", 10) || !strncmp(p, "/data/", 6)) {
			end = p;
			break;
		}
	fprintf(stderr, " (a table copied from elsewhere? read its locations from the copy: --path-map %.*s=DIR)",
	        (int)(end - uri), uri);
}

int cli_fail(int rc)
{
	const ice_error *e = ice_error_last();
	const char *msg = e ? e->message : ice_error_code_name(rc);
	error_prefix(&msg);
	fputs(msg, stderr);
	path_map_hint(msg);
	fputc('\n', stderr);
	switch (rc) {
	case ICE_ECONFLICT: return EXIT_CONFLICT;
	case ICE_ECOMMITUNKNOWN: return EXIT_UNKNOWN;
	default: return EXIT_ERROR;
	}
}

int cli_error(const char *fmt, ...)
{
	va_list ap;
	char buf[4096];
	const char *msg = buf;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	error_prefix(&msg);
	fprintf(stderr, "%s\n", msg);
	return EXIT_ERROR;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
	va_list ap;
	if (cmd)
		fprintf(stderr, "ice: %s: ", cmd->name);
	else
		fputs("ice: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, " (try 'ice %s --help')\n", cmd->name);
	else
		fputs(" (try 'ice --help')\n", stderr);
	return EXIT_USAGE;
}

void cli_print_usage(const cli_command *cmd, FILE *f)
{
	fputs(cmd->usage, f);
	/* The forms of TABLE, from the one rule (docs/commands/README.md). */
	switch (cmd->table) {
	case ICE_TABLE_USE_READ:
		fputs("\nTABLE: a table name NS.TABLE in the catalog (--catalog, ICE_CATALOG or the\n"
		      "  configuration file's default-catalog), a table directory or URI, or a\n"
		      "  metadata file (read-only). Rules: docs/commands/README.md.\n",
		      f);
		break;
	case ICE_TABLE_USE_WRITE:
		fputs("\nTABLE: a table name NS.TABLE in the catalog (--catalog, ICE_CATALOG or the\n"
		      "  configuration file's default-catalog), or a table directory or URI.\n"
		      "  Rules: docs/commands/README.md.\n",
		      f);
		break;
	case ICE_TABLE_USE_CREATE:
		fputs("\nTABLE: the new table's name NS.TABLE in the catalog (--catalog, ICE_CATALOG or\n"
		      "  the configuration file's default-catalog), or a path for a new table\n"
		      "  directory (with a '/': ./events). Rules: docs/commands/README.md.\n",
		      f);
		break;
	}
	fputs("\nCommon options:\n"
	      "  --json              machine-readable output\n"
	      "  --path-map OLD=NEW  read locations starting with OLD from NEW instead\n"
	      "  --catalog URI       catalog to resolve namespace.table names (or ICE_CATALOG)\n"
	      "  -q, --quiet         less output;  -v, --verbose  more output\n"
	      "  --help              this text\n",
	      f);
}

static const char *last_option(void);

int cli_common_option(ice_cli *cli, const cli_command *cmd, int opt, const char *arg)
{
	switch (opt) {
	case OPT_JSON:
		cli->json = true;
		return 0;
	case OPT_CATALOG:
		cli->catalog = arg;
		return 0;
	case OPT_PATH_MAP: {
		const char *eq = strchr(arg, '=');
		if (!eq || eq == arg)
			return cli_usage_error(cmd, "--path-map wants OLD=NEW, got '%s'", arg);
		char *from = strndup(arg, (size_t)(eq - arg));
		int rc = from ? ice_io_add_path_map(cli->io, from, eq + 1) : ICE_ERROR;
		free(from);
		if (rc)
			return cli_fail(rc);
		return 0;
	}
	case OPT_HELP:
	case 'h':
		return -1;
	case 'q':
		cli->quiet = true;
		return 0;
	case 'v':
		cli->verbose++;
		return 0;
	case ':':
		return cli_usage_error(cmd, "option '%s' needs a value", last_option());
	default:
		return cli_usage_error(cmd, "unknown option '%s'", last_option());
	}
}

static char **opt_argv;
static char short_opt[3];

int cli_getopt(int argc, char **argv, const struct option *options)
{
	opt_argv = argv;
	opterr = 0;
	return getopt_long(argc, argv, ":" CLI_COMMON_SHORT, options, NULL);
}

/* The option getopt just refused, as the user wrote it. */
static const char *last_option(void)
{
	if (optopt > 0 && optopt < 128) {
		short_opt[0] = '-';
		short_opt[1] = (char)optopt;
		return short_opt;
	}
	if (opt_argv && optind > 0 && opt_argv[optind - 1]) {
		const char *a = opt_argv[optind - 1];
		const char *eq = strchr(a, '=');
		static char buf[128];
		if (eq && (size_t)(eq - a) < sizeof(buf)) {
			memcpy(buf, a, (size_t)(eq - a));
			buf[eq - a] = 0;
			return buf;
		}
		return a;
	}
	return "?";
}

int cli_print_json(ice_cli *cli, ice_json_writer *w)
{
	const char *text;
	size_t len;
	int rc = ice_json_writer_finish(w, &text, &len);
	if (rc)
		return cli_fail(rc);
	fwrite(text, 1, len, cli->out);
	return EXIT_OK;
}

const char *cli_format_ms(int64_t ms, char *out)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int millis = (int)(ms - (int64_t)secs * 1000);
	struct tm tm;
	if (!gmtime_r(&secs, &tm)) {
		snprintf(out, 40, "%lld", (long long)ms);
		return out;
	}
	snprintf(out, 40, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	         tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
	return out;
}

/* "256M", "1G", "65536": bytes (K, M, G are powers of 1024). */
bool cli_parse_size(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	int64_t mul = 1;
	if (end == s || v <= 0)
		return false;
	if (*end == 'K' || *end == 'k')
		mul = 1 << 10, end++;
	else if (*end == 'M' || *end == 'm')
		mul = 1 << 20, end++;
	else if (*end == 'G' || *end == 'g')
		mul = (int64_t)1 << 30, end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > INT64_MAX / mul)
		return false;
	*out = v * mul;
	return true;
}
