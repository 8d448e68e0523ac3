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

static int write_file(const char *path, const char *command, const char *table, const char *const *tables,
                      const cli_metric *m, size_t n)
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
		const char *t = !tables ? table : i < n ? tables[i] : NULL;
		fprintf(f, "%s{", x->name);
		if (t) {
			fputs("table=\"", f);
			label(f, t);
			fputs("\",", f);
		}
		fprintf(f, "command=\"%s\"", command);
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

int cli_metrics_write(const char *path, const char *command, const char *table, const cli_metric *m, size_t n)
{
	return write_file(path, command, table, NULL, m, n);
}

int cli_metrics_write_tables(const char *path, const char *command, const char *const *tables, const cli_metric *m,
                             size_t n)
{
	return write_file(path, command, NULL, tables, m, n);
}

int cli_metrics_write_numbers(const char *path, const char *command, const char *table, const cli_write_numbers *n)
{
	cli_metric m[16];
	size_t k = 0;
#define METRIC(NAME, HELP, PHASE, VALUE) m[k++] = (cli_metric){NAME, HELP, PHASE, (double)(VALUE)}
	METRIC("ice_run_success", "1 when the run ended well (committed, or nothing to commit)", NULL, n->ok);
	METRIC("ice_committed", "1 when the run committed a snapshot", NULL, n->ok && n->committed);
	METRIC("ice_skipped", "1 when the idempotency key was found: nothing committed", NULL, n->ok && n->skipped);
	METRIC("ice_rows_in_total", "rows read from the input", NULL, n->rows_written + n->rows_rejected);
	METRIC("ice_rows_appended_total", "rows written to the table from the input", NULL, n->rows_written);
	METRIC("ice_rows_rejected_total", "rows sent to the reject file", NULL, n->rows_rejected);
	METRIC("ice_rows_deleted_total", "rows removed", NULL, n->rows_deleted);
	METRIC("ice_bytes_read_total", "bytes of input read", NULL, n->bytes_read);
	METRIC("ice_bytes_written_total", "bytes of data and delete files written", NULL, n->bytes_written);
	METRIC("ice_files_written_total", "data and delete files written", NULL, n->files_written);
	METRIC("ice_files_removed_total", "data files removed or rewritten", NULL, n->files_removed);
	if (n->partitions >= 0)
		METRIC("ice_partitions_written", "partitions written to", NULL, n->partitions);
	METRIC("ice_commit_attempts", "commit attempts (1 without a conflict)", NULL, n->attempts);
	METRIC("ice_phase_seconds", "time spent per phase", "write", (double)n->write_ms / 1000.0);
	METRIC("ice_phase_seconds", "time spent per phase", "commit", (double)n->commit_ms / 1000.0);
#undef METRIC
	return cli_metrics_write(path, command, table, m, k);
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

void cli_json_run_numbers(ice_json_writer *w, int attempts, int64_t run_ms, int64_t commit_ms)
{
	ice_json_key(w, "commit_attempts");
	ice_json_int(w, attempts);
	ice_json_key(w, "phase_ms");
	ice_json_begin_object(w);
	ice_json_key(w, "run");
	ice_json_int(w, run_ms);
	ice_json_key(w, "commit");
	ice_json_int(w, commit_ms);
	ice_json_end_object(w);
}

int cli_metrics_write_rewrite(const char *path, const char *command, const char *table, const cli_rewrite_numbers *r)
{
	cli_metric m[] = {
		{"ice_run_success", "1 when the run ended well", NULL, r->ok},
		{"ice_committed", "1 when the run committed", NULL, r->ok && r->committed},
		{"ice_files_removed_total", "files (data, delete or manifest) the run replaced", NULL, (double)r->files_removed},
		{"ice_files_written_total", "files (data, delete or manifest) the run wrote", NULL, (double)r->files_written},
		{"ice_bytes_removed_total", "bytes of the files replaced", NULL, (double)r->bytes_removed},
		{"ice_bytes_written_total", "bytes of the files written", NULL, (double)r->bytes_written},
		{"ice_rows_written_total", "rows written", NULL, (double)r->rows_written},
		{"ice_commit_attempts", "commit attempts", NULL, r->attempts},
		{"ice_phase_seconds", "time spent per phase", "run", (double)r->run_ms / 1000.0},
		{"ice_phase_seconds", "time spent per phase", "commit", (double)r->commit_ms / 1000.0},
	};
	return cli_metrics_write(path, command, table, m, sizeof(m) / sizeof(m[0]));
}

int64_t cli_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
