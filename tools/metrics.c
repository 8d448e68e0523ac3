/*
 * tools/metrics.c - --metrics-file PATH: a command's numbers in Prometheus'
 * text exposition format, as the node_exporter textfile collector reads
 * them (`ice_rows_appended_total{table="db.t",command="append"} 123`), so a
 * cron job is monitored without a daemon. The file is written whole under
 * a temporary name beside PATH, synced and renamed over PATH: a collector
 * never reads half a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f), fputc(*s, f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

int cli_metrics_write(const char *path, const char *command, const char *table, const cli_metric *m, size_t n)
{
	char *tmp = NULL;
	size_t len = strlen(path) + 32;
	FILE *f;
	if (!(tmp = malloc(len)))
		return cli_error("out of memory");
	snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
	if (!(f = fopen(tmp, "w"))) {
		int e = errno;
		free(tmp);
		return cli_error("%s: --metrics-file: %s", path, strerror(e));
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	for (size_t i = 0; i <= n; i++) {
		cli_metric last = {"ice_last_run_timestamp_seconds", "when the run that wrote this file ended (Unix time)",
		                   NULL, (double)now.tv_sec + (double)now.tv_nsec / 1e9};
		const cli_metric *x = i < n ? &m[i] : &last;
		/* HELP and TYPE once per name (a name may repeat with other labels) */
		bool first = true;
		for (size_t k = 0; k < i && first; k++)
			first = strcmp(m[k].name, x->name) != 0;
		if (first)
			fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", x->name, x->help, x->name);
		fprintf(f, "%s{table=\"", x->name);
		label(f, table);
		fprintf(f, "\",command=\"%s\"", command);
		if (x->phase)
			fprintf(f, ",phase=\"%s\"", x->phase);
		if (x->value == (double)(long long)x->value)
			fprintf(f, "} %lld\n", (long long)x->value);
		else
			fprintf(f, "} %.6f\n", x->value);
	}
	int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp); /* our own temporary, never published */
		free(tmp);
		return cli_error("%s: --metrics-file: %s", path, strerror(e));
	}
	free(tmp);
	return EXIT_OK;
}

void cli_json_write_numbers(ice_json_writer *w, const cli_write_numbers *n)
{
	ice_json_key(w, "rows_in");
	ice_json_int(w, n->rows_written + n->rows_rejected);
	ice_json_key(w, "rows_written");
	ice_json_int(w, n->rows_written);
	ice_json_key(w, "rows_rejected");
	ice_json_int(w, n->rows_rejected);
	ice_json_key(w, "bytes_read");
	ice_json_int(w, n->bytes_read);
	ice_json_key(w, "bytes_written");
	ice_json_int(w, n->bytes_written);
	ice_json_key(w, "commit_attempts");
	ice_json_int(w, n->attempts);
	ice_json_key(w, "phase_ms");
	ice_json_begin_object(w);
	ice_json_key(w, "write");
	ice_json_int(w, n->write_ms);
	ice_json_key(w, "commit");
	ice_json_int(w, n->commit_ms);
	ice_json_end_object(w);
}
