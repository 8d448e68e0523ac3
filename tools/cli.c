/*
 * tools/cli.c - shared helpers of the ice command line: common options,
 * error printing and exit codes, JSON output.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int cli_fail(int rc)
{
	const ice_error *e = ice_error_last();
	fprintf(stderr, "ice: %s\n", e ? e->message : ice_error_code_name(rc));
	switch (rc) {
	case ICE_ECONFLICT: return EXIT_CONFLICT;
	case ICE_ECOMMITUNKNOWN: return EXIT_UNKNOWN;
	default: return EXIT_ERROR;
	}
}

int cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("ice: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_ERROR;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "ice %s: ", cmd ? cmd->name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'ice %s --help'.\n", cmd ? cmd->name : "");
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
		return -1;
	case 'q':
		cli->quiet = true;
		return 0;
	case 'v':
		cli->verbose++;
		return 0;
	default:
		return cli_usage_error(cmd, "unknown option");
	}
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
