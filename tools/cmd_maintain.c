/*
 * tools/cmd_maintain.c - `ice expire-snapshots`, `ice remove-orphan-files`
 * and `ice maintain` (ice/maintain.h): options in, the library's report out
 * as one summary line (per table) or JSON, progress on a terminal. The
 * library decides and deletes.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum {
	OPT_OLDER_THAN = OPT_FIRST_COMMAND_OPTION,
	OPT_RETAIN_LAST,
	OPT_SNAPSHOT_ID,
	OPT_KEEP_FILES,
	OPT_CLEAN_METADATA,
	OPT_DRY_RUN,
	OPT_THREADS,
	OPT_LOCATION,
	OPT_PREFIX_MISMATCH,
	OPT_EQUAL_SCHEMES,
	OPT_EQUAL_AUTHORITIES,
	OPT_FORCE,
};

/* ---- shared: options, times, progress, file lists ------------------------------------ */

/* The options both commands take besides the common ones. */
#define MAINTAIN_OPTIONS                                                                       \
	{"older-than", required_argument, NULL, OPT_OLDER_THAN}, {"dry-run", no_argument, NULL, OPT_DRY_RUN}, \
	    {"threads", required_argument, NULL, OPT_THREADS}, {"metrics-file", required_argument, NULL, OPT_METRICS_FILE}

/* --older-than: a duration before now (3d, 12h, 90m, 30s, 500ms) or a time
 * (epoch milliseconds or ISO-8601). */
static bool parse_older_than(const char *s, int64_t now, int64_t *out)
{
	int64_t d;
	size_t n = strlen(s);
	if (n && (s[n - 1] < '0' || s[n - 1] > '9')) {
		/* "0s" is now; cli_parse_duration wants more than zero. */
		char one[16];
		bool zero = s[0] == '0' && (s[1] < '0' || s[1] > '9') && snprintf(one, sizeof(one), "1%s", s + 1) < 16 &&
		            cli_parse_duration(one, &d);
		if (zero || cli_parse_duration(s, &d)) {
			*out = zero ? now : now - d;
			return true;
		}
	}
	return cli_parse_time(s, out);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --metrics-file (one command runs per process), and when the run began. */
static const char *metrics_path;
static int64_t run_started_ms;

/* The JSON report's monitoring numbers: the run's time and commit attempts. */
static void json_run(ice_json_writer *w, int attempts, int64_t commit_ms)
{
	cli_json_run_numbers(w, attempts, now_ms() - run_started_ms, commit_ms);
}

static bool parse_count(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

typedef struct progress {
	const char *command;
	bool shown;
} progress;

/* On a terminal: one line, rewritten in place. */
static void show_progress(const char *phase, int64_t done, int64_t total, void *payload)
{
	progress *p = payload;
	if (total >= 0)
		fprintf(stderr, "\r\033[K%s: %s %lld/%lld", p->command, phase, (long long)done, (long long)total);
	else
		fprintf(stderr, "\r\033[K%s: %s %lld", p->command, phase, (long long)done);
	fflush(stderr);
	p->shown = true;
}

static void end_progress(progress *p)
{
	if (p->shown)
		fprintf(stderr, "\r\033[K");
	p->shown = false;
}

/* The files a run deletes (or would), kept for --json and -v. */
typedef struct file_list {
	char **locations;
	ice_file_kind *kinds;
	size_t n, cap;
	bool keep;       /* collect them */
	bool print;      /* print each as it goes (text, -v) */
	const char *verb;
	FILE *out;
} file_list;

static int on_file(const char *location, ice_file_kind kind, void *payload)
{
	file_list *l = payload;
	if (l->print)
		fprintf(l->out, "%s %s %s\n", l->verb, ice_file_kind_name(kind), location);
	if (!l->keep)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **loc = realloc(l->locations, cap * sizeof(char *));
		if (!loc)
			return ICE_ERROR;
		l->locations = loc;
		ice_file_kind *k = realloc(l->kinds, cap * sizeof(ice_file_kind));
		if (!k)
			return ICE_ERROR;
		l->kinds = k;
		l->cap = cap;
	}
	if (!(l->locations[l->n] = strdup(location)))
		return ICE_ERROR;
	l->kinds[l->n++] = kind;
	return 0;
}

static void file_list_free(file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->locations[i]);
	free(l->locations);
	free(l->kinds);
}

static void json_counts(ice_json_writer *w, const ice_delete_counts *c)
{
	ice_json_key(w, "files_missing");
	ice_json_int(w, c->missing);
	ice_json_key(w, "files_outside");
	ice_json_int(w, c->outside);
	ice_json_key(w, "files_failed");
	ice_json_int(w, c->failed);
}

static void print_counts(FILE *f, const ice_delete_counts *c)
{
	if (c->missing)
		fprintf(f, ", %lld already gone", (long long)c->missing);
	if (c->outside)
		fprintf(f, ", %lld outside the table location kept", (long long)c->outside);
	if (c->failed)
		fprintf(f, ", %lld could not be deleted", (long long)c->failed);
}

/* --older-than, --dry-run, --threads (both commands) and the common
 * options: 0 when `opt` is none of them, 1 when handled, 2 when the
 * command ends now with exit code *rc (a usage error, --help). */
static int shared_option(ice_cli *cli, const cli_command *cmd, int opt, bool *has_older_than, int64_t *older_than,
                         bool *dry_run, int *threads, int *rc);

static int common(ice_cli *cli, const cli_command *cmd, int opt, int *rc)
{
	*rc = cli_common_option(cli, cmd, opt, optarg);
	if (*rc == -1) {
		cli_print_usage(cmd, stdout);
		*rc = EXIT_OK;
		return 1;
	}
	return *rc != 0;
}

static int shared_option(ice_cli *cli, const cli_command *cmd, int opt, bool *has_older_than, int64_t *older_than,
                         bool *dry_run, int *threads, int *rc)
{
	int64_t v = 0;
	*rc = 0;
	switch (opt) {
	case OPT_OLDER_THAN:
		if (!parse_older_than(optarg, now_ms(), older_than)) {
			*rc = cli_usage_error(cmd, "--older-than wants a time (epoch ms or ISO-8601) or a duration (3d, 12h), not '%s'",
			                      optarg);
			return 2;
		}
		*has_older_than = true;
		return 1;
	case OPT_DRY_RUN: *dry_run = true; return 1;
	case OPT_METRICS_FILE: metrics_path = optarg; return 1;
	case OPT_THREADS:
		if (!parse_count(optarg, 1, 256, &v)) {
			*rc = cli_usage_error(cmd, "--threads wants a number from 1 to 256, not '%s'", optarg);
			return 2;
		}
		*threads = (int)v;
		return 1;
	case '?': case ':': *rc = cli_common_option(cli, cmd, opt, optarg); return 2;
	default:
		if (opt >= OPT_FIRST_COMMAND_OPTION)
			return 0; /* the command's own */
		/* common options: handled (go on), or --help / a bad value (end) */
		return common(cli, cmd, opt, rc) ? 2 : 1;
	}
}

/* Progress on a terminal and the file list for --json / -v. */
static void setup_output(ice_cli *cli, progress *prog, file_list *files, ice_maintain_progress_fn *progress_fn,
                         void **progress_payload)
{
	if (!cli->quiet && isatty(STDERR_FILENO)) {
		*progress_fn = show_progress;
		*progress_payload = prog;
	}
	files->out = cli->out;
}

/* ---- expire-snapshots ------------------------------------------------------------ */

static void expire_json(ice_cli *cli, const ice_expire_options *o, const ice_expire_report *r, const file_list *files)
{
	ice_json_writer *w;
	static const char *const keys[] = {
	    "deleted_data_files_count",     "deleted_position_delete_files_count", "deleted_equality_delete_files_count",
	    "deleted_manifest_files_count", "deleted_manifest_lists_count",        "deleted_statistics_files_count",
	};
	if (ice_json_writer_new(&w, ICE_JSON_PRETTY))
		return;
	ice_json_begin_object(w);
	ice_json_key(w, "dry_run");
	ice_json_bool(w, o->dry_run);
	ice_json_key(w, "committed");
	ice_json_bool(w, r->committed);
	ice_json_key(w, "snapshots_before");
	ice_json_int(w, r->snapshots_before);
	ice_json_key(w, "snapshots_expired");
	ice_json_int(w, r->snapshots_expired);
	ice_json_key(w, "snapshots_after");
	ice_json_int(w, r->snapshots_after);
	ice_json_key(w, "expired_snapshot_ids");
	ice_json_begin_array(w);
	for (int64_t i = 0; i < r->snapshots_expired && r->expired_ids; i++)
		ice_json_int(w, r->expired_ids[i]);
	ice_json_end_array(w);
	ice_json_key(w, "refs_removed");
	ice_json_int(w, r->refs_removed);
	ice_json_key(w, "specs_removed");
	ice_json_int(w, r->specs_removed);
	ice_json_key(w, "schemas_removed");
	ice_json_int(w, r->schemas_removed);
	for (int k = 0; k <= ICE_FILE_STATISTICS; k++) {
		ice_json_key(w, keys[k]);
		ice_json_int(w, r->files.deleted[k]);
	}
	json_counts(w, &r->files);
	ice_json_key(w, "manifest_lists_read");
	ice_json_int(w, r->manifest_lists_read);
	ice_json_key(w, "manifests_read");
	ice_json_int(w, r->manifests_read);
	if (files->keep) {
		ice_json_key(w, "files");
		ice_json_begin_array(w);
		for (size_t i = 0; i < files->n; i++) {
			ice_json_begin_object(w);
			ice_json_key(w, "kind");
			ice_json_string(w, ice_file_kind_name(files->kinds[i]));
			ice_json_key(w, "location");
			ice_json_string(w, files->locations[i]);
			ice_json_end_object(w);
		}
		ice_json_end_array(w);
	}
	json_run(w, r->commit.attempts, r->commit.elapsed_ms);
	ice_json_end_object(w);
	cli_print_json(cli, w);
	ice_json_writer_free(w);
}

static void expire_summary(ice_cli *cli, const char *table, const ice_expire_options *o, const ice_expire_report *r)
{
	const ice_delete_counts *c = &r->files;
	FILE *f = cli->out;
	if (!r->snapshots_expired && !r->refs_removed && !r->specs_removed && !r->schemas_removed) {
		fprintf(f, "%s: nothing to expire (%lld snapshots kept)\n", table, (long long)r->snapshots_before);
		return;
	}
	fprintf(f, "%s: %s%lld snapshot%s expired, %lld kept", table, o->dry_run ? "dry run: " : "",
	        (long long)r->snapshots_expired, r->snapshots_expired == 1 ? "" : "s", (long long)r->snapshots_after);
	if (r->refs_removed)
		fprintf(f, ", %lld ref%s removed", (long long)r->refs_removed, r->refs_removed == 1 ? "" : "s");
	if (r->specs_removed || r->schemas_removed)
		fprintf(f, ", %lld specs and %lld schemas removed", (long long)r->specs_removed, (long long)r->schemas_removed);
	if (o->keep_files) {
		fprintf(f, "; files kept\n");
		return;
	}
	fprintf(f, "; %s %lld data, %lld position delete, %lld equality delete files, %lld manifests, %lld manifest lists, "
	           "%lld statistics files",
	        o->dry_run ? "would delete" : "deleted", (long long)c->deleted[ICE_FILE_DATA],
	        (long long)c->deleted[ICE_FILE_POSITION_DELETES], (long long)c->deleted[ICE_FILE_EQUALITY_DELETES],
	        (long long)c->deleted[ICE_FILE_MANIFEST], (long long)c->deleted[ICE_FILE_MANIFEST_LIST],
	        (long long)c->deleted[ICE_FILE_STATISTICS]);
	print_counts(f, c);
	fprintf(f, "\n");
}

CLI_COMMAND(expire_snapshots)
{
	static const struct option options[] = {
	    CLI_COMMON_OPTIONS,
	    MAINTAIN_OPTIONS,
	    {"retain-last", required_argument, NULL, OPT_RETAIN_LAST},
	    {"snapshot-id", required_argument, NULL, OPT_SNAPSHOT_ID},
	    {"keep-files", no_argument, NULL, OPT_KEEP_FILES},
	    {"clean-metadata", no_argument, NULL, OPT_CLEAN_METADATA},
	    {NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("expire-snapshots");
	ice_expire_options o;
	int64_t ids[1024], v;
	size_t nids = 0;
	int opt, rc;
	ice_expire_options_init(&o);
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		int shared = shared_option(cli, cmd, opt, &o.has_older_than_ms, &o.older_than_ms, &o.dry_run, &o.threads, &rc);
		if (shared == 2)
			return rc;
		if (shared)
			continue;
		switch (opt) {
		case OPT_RETAIN_LAST:
			if (!parse_count(optarg, 1, INT32_MAX, &v))
				return cli_usage_error(cmd, "--retain-last wants a number of at least 1, not '%s'", optarg);
			o.has_retain_last = true;
			o.retain_last = (int32_t)v;
			break;
		case OPT_SNAPSHOT_ID:
			for (char *s = optarg, *comma; s; s = comma ? comma + 1 : NULL) {
				comma = strchr(s, ',');
				if (comma)
					*comma = '\0';
				if (nids == sizeof(ids) / sizeof(ids[0]) || !parse_count(s, INT64_MIN, INT64_MAX, &ids[nids]))
					return cli_usage_error(cmd, "--snapshot-id wants snapshot ids (at most 1024), not '%s'", s);
				nids++;
			}
			break;
		case OPT_KEEP_FILES: o.keep_files = true; break;
		case OPT_CLEAN_METADATA: o.clean_metadata = true; break;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(cmd, "expected one TABLE");
	o.snapshot_ids = ids;
	o.n_snapshot_ids = nids;
	progress prog = {"expire-snapshots", false};
	file_list files = {0};
	setup_output(cli, &prog, &files, &o.progress, &o.progress_payload);
	files.keep = cli->json && o.dry_run;
	files.print = !cli->json && cli->verbose > 0;
	files.verb = o.dry_run ? "would delete" : "deleted";
	o.on_file = on_file;
	o.file_payload = &files;

	ice_table *table;
	ice_catalog *catalog;
	ice_expire_report r;
	if ((rc = cli_open_table(cli, argv[optind], &table, &catalog)) != 0)
		return rc;
	run_started_ms = now_ms();
	int lrc = ice_table_expire_snapshots(table, &o, &r);
	end_progress(&prog);
	int mrc = 0;
	if (metrics_path) {
		bool ok = lrc == 0;
		cli_metric m[] = {
			{"ice_run_success", "1 when the run ended well", NULL, ok},
			{"ice_committed", "1 when the run committed", NULL, ok && r.committed},
			{"ice_snapshots_expired_total", "snapshots expired", NULL, ok ? (double)r.snapshots_expired : 0},
			{"ice_snapshots_remaining", "snapshots left", NULL, ok ? (double)r.snapshots_after : 0},
			{"ice_files_deleted_total", "files deleted", NULL, ok ? (double)ice_delete_counts_total(&r.files) : 0},
			{"ice_files_failed_total", "files that could not be deleted", NULL, (double)r.files.failed},
			{"ice_manifests_read_total", "manifests read", NULL, ok ? (double)r.manifests_read : 0},
			{"ice_commit_attempts", "commit attempts", NULL, ok ? (double)r.commit.attempts : 0},
			{"ice_phase_seconds", "time spent per phase", "run", (double)(now_ms() - run_started_ms) / 1000.0},
			{"ice_phase_seconds", "time spent per phase", "commit", ok ? (double)r.commit.elapsed_ms / 1000.0 : 0},
		};
		mrc = cli_metrics_write(metrics_path, "expire-snapshots", argv[optind], m, sizeof(m) / sizeof(m[0]));
	}
	/* What happened is reported even when the cleanup after a commit failed. */
	if (!lrc || r.committed) {
		if (cli->json)
			expire_json(cli, &o, &r, &files);
		else if (!cli->quiet)
			expire_summary(cli, argv[optind], &o, &r);
	}
	rc = lrc ? cli_fail(lrc) : mrc;
	ice_expire_report_free(&r);
	file_list_free(&files);
	ice_table_free(table);
	ice_catalog_free(catalog);
	return rc;
}

/* ---- remove-orphan-files ------------------------------------------------------------- */

/* "s3,s3a,s3n": every name after the first means the first. */
static int add_aliases(char *arg, ice_name_alias *out, size_t *n, size_t cap)
{
	char *first = arg, *comma = strchr(arg, ',');
	if (!comma || !*first || first == comma)
		return -1;
	*comma = '\0';
	for (char *s = comma + 1; s; s = comma ? comma + 1 : NULL) {
		comma = strchr(s, ',');
		if (comma)
			*comma = '\0';
		if (!*s || *n == cap)
			return -1;
		out[(*n)++] = (ice_name_alias){s, first};
	}
	return 0;
}

static void orphans_json(ice_cli *cli, const ice_orphan_options *o, const ice_orphan_report *r, const file_list *files)
{
	ice_json_writer *w;
	if (ice_json_writer_new(&w, ICE_JSON_PRETTY))
		return;
	ice_json_begin_object(w);
	ice_json_key(w, "dry_run");
	ice_json_bool(w, o->dry_run);
	ice_json_key(w, "orphan_file_locations");
	ice_json_begin_array(w);
	for (size_t i = 0; i < files->n; i++)
		ice_json_string(w, files->locations[i]);
	ice_json_end_array(w);
	ice_json_key(w, "orphans");
	ice_json_int(w, r->orphans);
	ice_json_key(w, "deleted");
	ice_json_int(w, r->files.deleted[ICE_FILE_OTHER]);
	ice_json_key(w, "files_listed");
	ice_json_int(w, r->files_listed);
	ice_json_key(w, "files_too_new");
	ice_json_int(w, r->files_too_new);
	ice_json_key(w, "files_hidden");
	ice_json_int(w, r->files_hidden);
	ice_json_key(w, "files_reachable");
	ice_json_int(w, r->files_reachable);
	ice_json_key(w, "prefix_conflicts");
	ice_json_int(w, r->prefix_conflicts);
	json_counts(w, &r->files);
	ice_json_key(w, "metadata_versions");
	ice_json_int(w, r->metadata_versions);
	ice_json_key(w, "manifest_lists_read");
	ice_json_int(w, r->manifest_lists_read);
	ice_json_key(w, "manifests_read");
	ice_json_int(w, r->manifests_read);
	json_run(w, 0, 0);
	ice_json_end_object(w);
	cli_print_json(cli, w);
	ice_json_writer_free(w);
}

CLI_COMMAND(remove_orphan_files)
{
	static const struct option options[] = {
	    CLI_COMMON_OPTIONS,
	    MAINTAIN_OPTIONS,
	    {"location", required_argument, NULL, OPT_LOCATION},
	    {"prefix-mismatch", required_argument, NULL, OPT_PREFIX_MISMATCH},
	    {"equal-schemes", required_argument, NULL, OPT_EQUAL_SCHEMES},
	    {"equal-authorities", required_argument, NULL, OPT_EQUAL_AUTHORITIES},
	    {"force", no_argument, NULL, OPT_FORCE},
	    {NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("remove-orphan-files");
	ice_orphan_options o;
	ice_name_alias schemes[64], authorities[64];
	size_t nschemes = 0, nauthorities = 0;
	int opt, rc;
	ice_orphan_options_init(&o);
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		int shared = shared_option(cli, cmd, opt, &o.has_older_than_ms, &o.older_than_ms, &o.dry_run, &o.threads, &rc);
		if (shared == 2)
			return rc;
		if (shared)
			continue;
		switch (opt) {
		case OPT_LOCATION: o.location = optarg; break;
		case OPT_PREFIX_MISMATCH:
			if (!strcmp(optarg, "error"))
				o.prefix_mismatch = ICE_PREFIX_MISMATCH_ERROR;
			else if (!strcmp(optarg, "ignore"))
				o.prefix_mismatch = ICE_PREFIX_MISMATCH_IGNORE;
			else if (!strcmp(optarg, "delete"))
				o.prefix_mismatch = ICE_PREFIX_MISMATCH_DELETE;
			else
				return cli_usage_error(cmd, "--prefix-mismatch wants error, ignore or delete, not '%s'", optarg);
			break;
		case OPT_EQUAL_SCHEMES:
		case OPT_EQUAL_AUTHORITIES: {
			bool s = opt == OPT_EQUAL_SCHEMES;
			if (add_aliases(optarg, s ? schemes : authorities, s ? &nschemes : &nauthorities, 64) != 0)
				return cli_usage_error(cmd, "%s wants two or more names separated by commas (s3,s3a,s3n)",
				                       s ? "--equal-schemes" : "--equal-authorities");
			break;
		}
		case OPT_FORCE: o.force = true; break;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(cmd, "expected one TABLE");
	o.equal_schemes = schemes;
	o.n_equal_schemes = nschemes;
	o.equal_authorities = authorities;
	o.n_equal_authorities = nauthorities;
	progress prog = {"remove-orphan-files", false};
	file_list files = {0};
	setup_output(cli, &prog, &files, &o.progress, &o.progress_payload);
	files.keep = cli->json;
	files.print = !cli->json && (cli->verbose > 0 || o.dry_run) && !cli->quiet;
	files.verb = o.dry_run ? "orphan" : "deleted";
	o.on_file = on_file;
	o.file_payload = &files;

	ice_table *table;
	ice_catalog *catalog;
	ice_orphan_report r;
	if ((rc = cli_open_table(cli, argv[optind], &table, &catalog)) != 0)
		return rc;
	run_started_ms = now_ms();
	int lrc = ice_table_remove_orphan_files(table, &o, &r);
	end_progress(&prog);
	int mrc = 0;
	if (metrics_path) {
		bool ok = lrc == 0;
		cli_metric m[] = {
			{"ice_run_success", "1 when the run ended well", NULL, ok},
			{"ice_files_listed_total", "files listed under the location", NULL, ok ? (double)r.files_listed : 0},
			{"ice_orphans_total", "orphan files found", NULL, ok ? (double)r.orphans : 0},
			{"ice_files_deleted_total", "files deleted", NULL, ok ? (double)ice_delete_counts_total(&r.files) : 0},
			{"ice_files_failed_total", "files that could not be deleted", NULL, ok ? (double)r.files.failed : 0},
			{"ice_manifests_read_total", "manifests read", NULL, ok ? (double)r.manifests_read : 0},
			{"ice_phase_seconds", "time spent per phase", "run", (double)(now_ms() - run_started_ms) / 1000.0},
		};
		mrc = cli_metrics_write(metrics_path, "remove-orphan-files", argv[optind], m, sizeof(m) / sizeof(m[0]));
	}
	if (lrc) {
		rc = cli_fail(lrc);
	} else if (cli->json) {
		orphans_json(cli, &o, &r, &files);
		rc = mrc;
	} else {
		if (!cli->quiet) {
			fprintf(cli->out, "%s: %s%lld orphan file%s %s of %lld listed (%lld reachable, %lld newer than the guard, %lld hidden",
			        argv[optind], o.dry_run ? "dry run: " : "", (long long)r.orphans, r.orphans == 1 ? "" : "s",
			        o.dry_run ? "found" : "deleted", (long long)r.files_listed, (long long)r.files_reachable,
			        (long long)r.files_too_new, (long long)r.files_hidden);
			if (r.prefix_conflicts)
				fprintf(cli->out, ", %lld under another prefix", (long long)r.prefix_conflicts);
			fprintf(cli->out, ")");
			print_counts(cli->out, &r.files);
			fprintf(cli->out, "\n");
		}
		rc = mrc;
	}
	file_list_free(&files);
	ice_table_free(table);
	ice_catalog_free(catalog);
	return rc;
}

/* ---- maintain: the one cron entry ----------------------------------------------------- */

enum {
	OPT_ALL = OPT_FORCE + 1,
	OPT_SKIP,
	OPT_ONLY,
	OPT_ORPHAN_AGE,
	OPT_MIN_INPUT_FILES,
	OPT_TARGET_SIZE,
};

/* "compact,expire-snapshots": the steps named on (true) in steps[]. */
static bool parse_steps(char *arg, bool *steps)
{
	for (char *s = arg, *comma; s; s = comma ? comma + 1 : NULL) {
		int i;
		comma = strchr(s, ',');
		if (comma)
			*comma = '\0';
		for (i = 0; i < ICE_MAINTAIN_STEP_COUNT && strcmp(s, ice_maintain_step_name((ice_maintain_step_id)i)); i++)
			;
		if (i == ICE_MAINTAIN_STEP_COUNT)
			return false;
		steps[i] = true;
	}
	return true;
}

/* Every table of the catalog: namespaces walked from `parent` down. */
static int all_tables(ice_catalog *c, const char *parent, ice_string_list *out)
{
	ice_string_list ns = {0, NULL}, tables = {0, NULL};
	int rc = ice_catalog_list_namespaces(c, parent, &ns);
	for (size_t i = 0; i < ns.n && !rc; i++) {
		if ((rc = ice_catalog_list_tables(c, ns.items[i], &tables)) != 0)
			break;
		for (size_t k = 0; k < tables.n && !rc; k++) {
			char **items = realloc(out->items, (out->n + 1) * sizeof(char *));
			size_t len = strlen(ns.items[i]) + strlen(tables.items[k]) + 2;
			char *id = items ? malloc(len) : NULL;
			if (items)
				out->items = items;
			if (!id) {
				rc = cli_error("out of memory");
				break;
			}
			snprintf(id, len, "%s.%s", ns.items[i], tables.items[k]);
			out->items[out->n++] = id;
		}
		ice_string_list_free(&tables);
		if (!rc)
			rc = all_tables(c, ns.items[i], out);
	}
	ice_string_list_free(&ns);
	return rc;
}

static void maintain_json_table(ice_json_writer *w, const char *table, int rc, const char *error,
                                const ice_maintain_report *r)
{
	ice_json_begin_object(w);
	ice_json_key(w, "table");
	ice_json_string(w, table);
	ice_json_key(w, "ok");
	ice_json_bool(w, rc == 0);
	ice_json_key(w, "error");
	if (error)
		ice_json_string(w, error);
	else
		ice_json_null(w);
	ice_json_key(w, "elapsed_ms");
	ice_json_int(w, r ? r->elapsed_ms : 0);
	/* the monitoring numbers: the time of each step that ran, and the run */
	ice_json_key(w, "phase_ms");
	ice_json_begin_object(w);
	for (int i = 0; r && i < ICE_MAINTAIN_STEP_COUNT; i++) {
		if (!r->steps[i].ran)
			continue;
		char key[32]; /* the step's name in the keys' snake_case */
		snprintf(key, sizeof(key), "%s", ice_maintain_step_name((ice_maintain_step_id)i));
		for (char *c = key; *c; c++)
			*c = *c == '-' ? '_' : *c;
		ice_json_key(w, key);
		ice_json_int(w, r->steps[i].elapsed_ms);
	}
	ice_json_key(w, "run");
	ice_json_int(w, r ? r->elapsed_ms : 0);
	ice_json_end_object(w);
	ice_json_key(w, "steps");
	ice_json_begin_array(w);
	for (int i = 0; r && i < ICE_MAINTAIN_STEP_COUNT; i++) {
		const ice_maintain_step *s = &r->steps[i];
		ice_json_begin_object(w);
		ice_json_key(w, "step");
		ice_json_string(w, ice_maintain_step_name((ice_maintain_step_id)i));
		ice_json_key(w, "ran");
		ice_json_bool(w, s->ran);
		ice_json_key(w, "skipped");
		if (s->skipped)
			ice_json_string(w, s->skipped);
		else
			ice_json_null(w);
		ice_json_key(w, "changed");
		ice_json_bool(w, s->changed);
		ice_json_key(w, "files_removed");
		ice_json_int(w, s->files_removed);
		ice_json_key(w, "bytes_removed");
		ice_json_int(w, s->bytes_removed);
		ice_json_key(w, "files_written");
		ice_json_int(w, s->files_written);
		ice_json_key(w, "bytes_written");
		ice_json_int(w, s->bytes_written);
		ice_json_key(w, "elapsed_ms");
		ice_json_int(w, s->elapsed_ms);
		ice_json_key(w, "error");
		if (s->error)
			ice_json_string(w, s->error);
		else
			ice_json_null(w);
		ice_json_end_object(w);
	}
	ice_json_end_array(w);
	ice_json_end_object(w);
}

static void maintain_summary(ice_cli *cli, const char *table, int rc, const char *error, const ice_maintain_report *r,
                             bool dry_run)
{
	if (!r) { /* the table did not load */
		fprintf(stderr, "ice: %s: %s\n", table, error ? error : "error");
		return;
	}
	fprintf(cli->out, "%s:", table);
	for (int i = 0; i < ICE_MAINTAIN_STEP_COUNT; i++) {
		const ice_maintain_step *s = &r->steps[i];
		const char *name = ice_maintain_step_name((ice_maintain_step_id)i);
		if (!s->ran)
			fprintf(cli->out, " %s skipped (%s);", name, s->skipped ? s->skipped : "-");
		else if (s->error)
			fprintf(cli->out, " %s FAILED;", name);
		else if (s->skipped)
			fprintf(cli->out, " %s: %s;", name, s->skipped);
		else if (dry_run)
			fprintf(cli->out, " %s would remove %lld files, write %lld;", name, (long long)s->files_removed,
			        (long long)s->files_written);
		else
			fprintf(cli->out, " %s %lld files removed, %lld written%s;", name, (long long)s->files_removed,
			        (long long)s->files_written, s->changed ? "" : " (no change)");
	}
	fprintf(cli->out, " %.1f s%s\n", (double)r->elapsed_ms / 1000, rc ? ", failed" : "");
	for (int i = 0; i < ICE_MAINTAIN_STEP_COUNT; i++)
		if (r->steps[i].error)
			fprintf(stderr, "ice: %s: %s: %s\n", table, ice_maintain_step_name((ice_maintain_step_id)i),
			        r->steps[i].error);
}

/* What --metrics-file reports of one table of `ice maintain`. */
typedef struct maintained {
	const char *name;
	bool ok;
	int steps_failed;
	int64_t files_removed, bytes_removed, files_written, bytes_written, elapsed_ms;
	int64_t step_ms[ICE_MAINTAIN_STEP_COUNT];
	bool ran[ICE_MAINTAIN_STEP_COUNT];
} maintained;

static void maintained_of(maintained *m, const char *name, int rc, const ice_maintain_report *r)
{
	memset(m, 0, sizeof(*m));
	m->name = name;
	m->ok = rc == 0;
	for (int i = 0; r && i < ICE_MAINTAIN_STEP_COUNT; i++) {
		const ice_maintain_step *s = &r->steps[i];
		m->steps_failed += s->ran && s->rc != 0;
		m->files_removed += s->files_removed;
		m->bytes_removed += s->bytes_removed;
		m->files_written += s->files_written;
		m->bytes_written += s->bytes_written;
		m->step_ms[i] = s->elapsed_ms;
		m->ran[i] = s->ran;
	}
	m->elapsed_ms = r ? r->elapsed_ms : 0;
}

/* One file for the run: each metric's lines together, one per table (and
 * per step for the phases). */
static int maintain_metrics(const char *path, const maintained *t, size_t n)
{
	enum { PER_TABLE = 6 + ICE_MAINTAIN_STEP_COUNT + 1 };
	cli_metric *m = calloc(n * PER_TABLE + 1, sizeof(*m));
	const char **names = calloc(n * PER_TABLE + 1, sizeof(*names));
	size_t k = 0;
	if (!m || !names) {
		free(m);
		free(names);
		return cli_error("%s: --metrics-file: out of memory", path);
	}
#define EACH(NAME, HELP, PHASE, VALUE)                                             \
	for (size_t i = 0; i < n; i++, k++) {                                          \
		m[k] = (cli_metric){NAME, HELP, PHASE, (double)(VALUE)};                  \
		names[k] = t[i].name;                                                      \
	}
	EACH("ice_run_success", "1 when every step that ran ended well", NULL, t[i].ok)
	EACH("ice_steps_failed", "steps that failed", NULL, t[i].steps_failed)
	EACH("ice_files_removed_total", "files rewritten, replaced or deleted", NULL, t[i].files_removed)
	EACH("ice_bytes_removed_total", "bytes of the files removed (where known)", NULL, t[i].bytes_removed)
	EACH("ice_files_written_total", "data files and manifests written", NULL, t[i].files_written)
	EACH("ice_bytes_written_total", "bytes of the files written (where known)", NULL, t[i].bytes_written)
	for (size_t i = 0; i < n; i++) {
		for (int s = 0; s < ICE_MAINTAIN_STEP_COUNT; s++) {
			if (!t[i].ran[s])
				continue;
			m[k] = (cli_metric){"ice_phase_seconds", "time spent per phase (step)",
			                    ice_maintain_step_name((ice_maintain_step_id)s), (double)t[i].step_ms[s] / 1000.0};
			names[k++] = t[i].name;
		}
		m[k] = (cli_metric){"ice_phase_seconds", "time spent per phase (step)", "run", (double)t[i].elapsed_ms / 1000.0};
		names[k++] = t[i].name;
	}
#undef EACH
	int rc = cli_metrics_write_tables(path, "maintain", names, m, k);
	free(m);
	free(names);
	return rc;
}

CLI_COMMAND(maintain)
{
	static const struct option options[] = {
	    CLI_COMMON_OPTIONS,
	    MAINTAIN_OPTIONS,
	    {"all", no_argument, NULL, OPT_ALL},
	    {"skip", required_argument, NULL, OPT_SKIP},
	    {"only", required_argument, NULL, OPT_ONLY},
	    {"retain-last", required_argument, NULL, OPT_RETAIN_LAST},
	    {"orphan-older-than", required_argument, NULL, OPT_ORPHAN_AGE},
	    {"min-input-files", required_argument, NULL, OPT_MIN_INPUT_FILES},
	    {"target-file-size", required_argument, NULL, OPT_TARGET_SIZE},
	    {NULL, 0, NULL, 0},
	};
	const cli_command *cmd = cli_find_command("maintain");
	ice_maintain_options mo;
	ice_expire_options eo;
	ice_orphan_options oo;
	ice_compact_options co;
	bool all = false, skip[ICE_MAINTAIN_STEP_COUNT] = {false}, only[ICE_MAINTAIN_STEP_COUNT] = {false}, has_only = false;
	int opt, rc;
	int64_t v;
	ice_maintain_options_init(&mo);
	ice_expire_options_init(&eo);
	ice_orphan_options_init(&oo);
	ice_compact_options_init(&co);
	optind = 1;
	while ((opt = cli_getopt(argc, argv, options)) != -1) {
		int shared = shared_option(cli, cmd, opt, &eo.has_older_than_ms, &eo.older_than_ms, &mo.dry_run,
		                           &mo.threads, &rc);
		if (shared == 2)
			return rc;
		if (shared)
			continue;
		switch (opt) {
		case OPT_ALL: all = true; break;
		case OPT_SKIP:
			if (!parse_steps(optarg, skip))
				return cli_usage_error(cmd, "--skip wants steps among compact, rewrite-manifests, "
				                            "expire-snapshots, remove-orphan-files");
			break;
		case OPT_ONLY:
			if (!parse_steps(optarg, only))
				return cli_usage_error(cmd, "--only wants steps among compact, rewrite-manifests, "
				                            "expire-snapshots, remove-orphan-files");
			has_only = true;
			break;
		case OPT_RETAIN_LAST:
			if (!parse_count(optarg, 1, INT32_MAX, &v))
				return cli_usage_error(cmd, "--retain-last wants a number of at least 1, not '%s'", optarg);
			eo.has_retain_last = true;
			eo.retain_last = (int32_t)v;
			break;
		case OPT_ORPHAN_AGE:
			if (!parse_older_than(optarg, now_ms(), &oo.older_than_ms))
				return cli_usage_error(cmd, "--orphan-older-than wants a time or a duration (3d, 12h), not '%s'",
				                       optarg);
			oo.has_older_than_ms = true;
			break;
		case OPT_MIN_INPUT_FILES:
			if (!parse_count(optarg, 1, 1000000, &v))
				return cli_usage_error(cmd, "--min-input-files wants a positive number, not '%s'", optarg);
			co.min_input_files = (int)v;
			break;
		case OPT_TARGET_SIZE:
			if (!cli_parse_size(optarg, &co.target_file_size))
				return cli_usage_error(cmd, "--target-file-size wants a size such as 512M, not '%s'", optarg);
			break;
		}
	}
	if (all == (argc - optind > 0))
		return cli_usage_error(cmd, all ? "--all takes no TABLE" : "expected TABLE... or --all");
	for (int i = 0; i < ICE_MAINTAIN_STEP_COUNT; i++)
		mo.steps[i] = (!has_only || only[i]) && !skip[i];
	mo.compact = &co;
	mo.expire = &eo;
	mo.orphans = &oo;
	progress prog = {"maintain", false};
	file_list unused = {0};
	setup_output(cli, &prog, &unused, &mo.progress, &mo.progress_payload);

	ice_catalog *catalog = NULL;
	ice_string_list tables = {0, NULL};
	if (all) {
		if ((rc = cli_open_catalog(cli, &catalog)) != 0)
			return rc;
		if (all_tables(catalog, NULL, &tables) != 0) {
			ice_catalog_free(catalog);
			ice_string_list_free(&tables);
			return cli_fail(ICE_ERROR);
		}
	}
	ice_json_writer *w = NULL;
	if (cli->json) {
		if (ice_json_writer_new(&w, ICE_JSON_PRETTY)) {
			ice_catalog_free(catalog);
			ice_string_list_free(&tables);
			return cli_fail(ICE_ERROR);
		}
		ice_json_begin_object(w);
		ice_json_key(w, "tables");
		ice_json_begin_array(w);
	}
	size_t n = all ? tables.n : (size_t)(argc - optind);
	int failed = 0, worst = EXIT_OK;
	maintained *numbers = metrics_path ? calloc(n + 1, sizeof(*numbers)) : NULL;
	if (metrics_path && !numbers) {
		ice_json_writer_free(w);
		ice_catalog_free(catalog);
		ice_string_list_free(&tables);
		return cli_error("out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = all ? tables.items[i] : argv[optind + (int)i];
		ice_table *t = NULL;
		ice_catalog *own = NULL; /* the catalog a TABLE argument resolved to */
		ice_maintain_report r;
		char *error = NULL;
		int lrc = all ? ice_table_load(&t, catalog, name) : cli_load_table(cli, name, &t, &own);
		if (lrc) {
			const ice_error *e = ice_error_last();
			error = strdup(e && e->message ? e->message : "cannot load the table");
		} else {
			lrc = ice_table_maintain(t, &mo, &r);
			end_progress(&prog);
			if (lrc) {
				const ice_error *e = ice_error_last();
				error = strdup(e && e->message ? e->message : "a step failed");
			}
		}
		if (numbers)
			maintained_of(&numbers[i], name, lrc, t ? &r : NULL);
		if (cli->json)
			maintain_json_table(w, name, lrc, error, t ? &r : NULL);
		else if (!cli->quiet || lrc)
			maintain_summary(cli, name, lrc, error, t ? &r : NULL, mo.dry_run);
		if (lrc) {
			failed++;
			if (lrc == ICE_ECOMMITUNKNOWN)
				worst = EXIT_UNKNOWN;
			else if (worst == EXIT_OK)
				worst = EXIT_ERROR;
		}
		if (t)
			ice_maintain_report_free(&r);
		free(error);
		ice_table_free(t);
		ice_catalog_free(own);
		ice_error_clear();
	}
	if (cli->json) {
		ice_json_end_array(w);
		ice_json_key(w, "tables_failed");
		ice_json_int(w, failed);
		ice_json_end_object(w);
		rc = cli_print_json(cli, w);
		ice_json_writer_free(w);
		if (rc)
			worst = rc;
	} else if (failed && n > 1) {
		fprintf(stderr, "ice: maintain: %d of %zu tables failed\n", failed, n);
	}
	if (numbers) {
		int mrc = maintain_metrics(metrics_path, numbers, n);
		if (mrc && worst == EXIT_OK)
			worst = mrc;
		free(numbers);
	}
	ice_string_list_free(&tables);
	ice_catalog_free(catalog);
	return worst;
}
