/*
 * bench/maintain/bench_maintain.c - tables for the maintenance benchmark
 * (bench/maintain/run.py), written with ice's own manifest and manifest
 * list writers on the public API. Deterministic; snapshot times are fixed
 * (one minute apart from 2025-01-01) so a run names its expiry time.
 *
 *   bench-maintain history DIR SNAPSHOTS FILES [--no-files]
 *       SNAPSHOTS snapshots, each an overwrite: FILES new data files in a
 *       manifest of ADDED entries and the previous snapshot's FILES files
 *       as DELETED entries in a second manifest (a table refreshed every
 *       minute). SNAPSHOTS x FILES data files over the history, written
 *       as 16-byte files under DIR/data/ unless --no-files.
 *   bench-maintain orphans DIR FILES ORPHANS MANIFESTS
 *       one snapshot whose MANIFESTS manifests list FILES - ORPHANS data
 *       files, and ORPHANS more files nothing lists; every file written
 *       and dated four days back (older than the default guards).
 *   bench-maintain big DIR MANIFESTS PER_MANIFEST
 *       snapshot 1: MANIFESTS manifests of PER_MANIFEST added files;
 *       snapshot 2 rewrites them: every second file EXISTING, the others
 *       DELETED, in MANIFESTS new manifests. Expiring snapshot 1 then has
 *       MANIFESTS x PER_MANIFEST candidates, half of them struck again by
 *       snapshot 2's manifests. The data files are not written.
 *
 * Each prints the expiry time to use ("expire_before_ms") as JSON.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ice.h"

#define T0 INT64_C(1735689600000) /* 2025-01-01 */
#define MINUTE INT64_C(60000)
#define SNAP_BASE INT64_C(4000000000000000000)

static const char *SCHEMA_JSON =
	"{\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
	"{\"id\": 1, \"name\": \"id\", \"required\": true, \"type\": \"long\"}]}";

static const char *SPEC_JSON = "{\"spec-id\": 0, \"fields\": []}";

static ice_io *io;
static ice_schema *schema;
static ice_partition_spec *spec;
static char *dir;

static int fail(const char *what)
{
	const ice_error *e = ice_error_last();
	fprintf(stderr, "bench-maintain: %s: %s\n", what, e ? e->message : "?");
	exit(1);
}

static void mkdirs(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	mkdir(tmp, 0755);
}

/* A small file dated `age_s` seconds back. */
static void write_file(const char *path, int64_t age_s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		char d[4096];
		snprintf(d, sizeof(d), "%s", path);
		*strrchr(d, '/') = '\0';
		mkdirs(d);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	}
	if (fd < 0 || write(fd, "PAR1-bench-file\n", 16) != 16) {
		perror(path);
		exit(1);
	}
	if (age_s) {
		struct timespec ts[2];
		clock_gettime(CLOCK_REALTIME, &ts[0]);
		ts[0].tv_sec -= age_s;
		ts[1] = ts[0];
		futimens(fd, ts);
	}
	close(fd);
}

static void data_path(char *out, size_t cap, int64_t snapshot, int64_t f)
{
	snprintf(out, cap, "%s/data/%03" PRId64 "/%06" PRId64 "-%05" PRId64 "-bench.parquet", dir, snapshot / 100, snapshot, f);
}

static ice_data_file data_file(const char *path)
{
	ice_data_file df;
	memset(&df, 0, sizeof(df));
	df.content = ICE_FILE_CONTENT_DATA;
	df.file_path = path;
	df.file_format = "PARQUET";
	df.record_count = 100;
	df.file_size_in_bytes = 16;
	return df;
}

static ice_manifest_writer *open_manifest(const char *name, int64_t snapshot_id)
{
	ice_manifest_writer *w;
	ice_manifest_writer_options o;
	char path[4096];
	ice_manifest_writer_options_init(&o);
	o.format_version = 2;
	o.has_snapshot_id = true;
	o.snapshot_id = snapshot_id;
	o.schema = schema;
	o.spec = spec;
	o.keep_metrics = true;
	snprintf(path, sizeof(path), "%s/metadata/%s", dir, name);
	if (ice_manifest_writer_open(&w, io, path, NULL, &o) != 0)
		fail(path);
	return w;
}

typedef struct snap {
	int64_t id, parent, seq, ts;
	char list[512];
	const char *op;
} snap;

static ice_manifest_list_writer *open_list(snap *s)
{
	ice_manifest_list_writer *lw;
	ice_manifest_list_writer_options lo;
	ice_manifest_list_writer_options_init(&lo);
	lo.format_version = 2;
	lo.snapshot_id = s->id;
	lo.has_parent_snapshot_id = s->parent != 0;
	lo.parent_snapshot_id = s->parent;
	lo.sequence_number = s->seq;
	snprintf(s->list, sizeof(s->list), "%s/metadata/snap-%" PRId64 "-1-bench.avro", dir, s->id);
	if (ice_manifest_list_writer_open(&lw, io, s->list, &lo) != 0)
		fail(s->list);
	return lw;
}

static void close_into(ice_manifest_writer *w, ice_manifest_list_writer *lw)
{
	ice_manifest_file *mf;
	if (ice_manifest_writer_close(w, &mf) != 0 || ice_manifest_list_writer_add(lw, mf) != 0)
		fail("manifest");
	ice_manifest_file_free(mf);
}

static void write_metadata(const snap *snaps, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/metadata/v1.metadata.json", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		fail(path);
	const snap *cur = &snaps[n - 1];
	fprintf(f,
	        "{\"format-version\": 2, \"table-uuid\": \"0c4d6a2e-8f1b-4e3c-9d5a-7b6e5f4d3c2b\", \"location\": \"%s\",\n"
	        "\"last-sequence-number\": %" PRId64 ", \"last-updated-ms\": %" PRId64 ", \"last-column-id\": 1,\n"
	        "\"current-schema-id\": 0, \"schemas\": [%s],\n"
	        "\"default-spec-id\": 0, \"partition-specs\": [{\"spec-id\": 0, \"fields\": []}], \"last-partition-id\": 999,\n"
	        "\"default-sort-order-id\": 0, \"sort-orders\": [{\"order-id\": 0, \"fields\": []}],\n"
	        "\"properties\": {}, \"current-snapshot-id\": %" PRId64 ",\n"
	        "\"refs\": {\"main\": {\"snapshot-id\": %" PRId64 ", \"type\": \"branch\"}},\n\"snapshots\": [\n",
	        dir, cur->seq, cur->ts, SCHEMA_JSON, cur->id, cur->id);
	for (size_t i = 0; i < n; i++) {
		const snap *s = &snaps[i];
		fprintf(f, "%s{\"snapshot-id\": %" PRId64 ",", i ? ",\n" : "", s->id);
		if (s->parent)
			fprintf(f, " \"parent-snapshot-id\": %" PRId64 ",", s->parent);
		fprintf(f,
		        " \"sequence-number\": %" PRId64 ", \"timestamp-ms\": %" PRId64 ", \"manifest-list\": \"%s\","
		        " \"summary\": {\"operation\": \"%s\"}, \"schema-id\": 0}",
		        s->seq, s->ts, s->list, s->op);
	}
	fprintf(f, "],\n\"snapshot-log\": [");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s{\"timestamp-ms\": %" PRId64 ", \"snapshot-id\": %" PRId64 "}", i ? ", " : "", snaps[i].ts,
		        snaps[i].id);
	fprintf(f, "],\n\"metadata-log\": []}\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/metadata/version-hint.text", dir);
	f = fopen(path, "w");
	fputs("1", f);
	fclose(f);
}

static int history(int64_t nsnap, int64_t nfiles, bool files)
{
	snap *snaps = calloc((size_t)nsnap, sizeof(snap));
	char name[256], path[4096], prev_path[4096];
	for (int64_t k = 0; k < nsnap; k++) {
		snap *s = &snaps[k];
		s->id = SNAP_BASE + k;
		s->parent = k ? snaps[k - 1].id : 0;
		s->seq = k + 1;
		s->ts = T0 + k * MINUTE;
		s->op = k ? "overwrite" : "append";
		ice_manifest_list_writer *lw = open_list(s);
		snprintf(name, sizeof(name), "add-%06" PRId64 "-m0.avro", k);
		ice_manifest_writer *w = open_manifest(name, s->id);
		for (int64_t f = 0; f < nfiles; f++) {
			data_path(path, sizeof(path), k, f);
			ice_data_file df = data_file(path);
			if (ice_manifest_writer_add(w, &df, -1) != 0)
				fail(path);
			if (files)
				write_file(path, 0);
		}
		close_into(w, lw);
		if (k) {
			snprintf(name, sizeof(name), "del-%06" PRId64 "-m0.avro", k);
			w = open_manifest(name, s->id);
			for (int64_t f = 0; f < nfiles; f++) {
				data_path(prev_path, sizeof(prev_path), k - 1, f);
				ice_data_file df = data_file(prev_path);
				if (ice_manifest_writer_add_deleted(w, &df, k, k) != 0)
					fail(prev_path);
			}
			close_into(w, lw);
		}
		if (ice_manifest_list_writer_close(lw, NULL) != 0)
			fail(s->list);
	}
	write_metadata(snaps, (size_t)nsnap);
	/* expire everything but the last tenth */
	printf("{\"expire_before_ms\": %" PRId64 ", \"snapshots\": %" PRId64 ", \"data_files\": %" PRId64 "}\n",
	       T0 + (nsnap - nsnap / 10) * MINUTE, nsnap, nsnap * nfiles);
	free(snaps);
	return 0;
}

static int orphans(int64_t nfiles, int64_t norphans, int64_t nmanifests)
{
	snap s = {SNAP_BASE, 0, 1, T0, "", "append"};
	char name[256], path[4096];
	int64_t listed = nfiles - norphans, per = (listed + nmanifests - 1) / nmanifests;
	const int64_t age = 4 * 86400;
	ice_manifest_list_writer *lw = open_list(&s);
	for (int64_t m = 0; m < nmanifests; m++) {
		snprintf(name, sizeof(name), "bench-%05" PRId64 "-m0.avro", m);
		ice_manifest_writer *w = open_manifest(name, s.id);
		for (int64_t f = m * per; f < (m + 1) * per && f < listed; f++) {
			data_path(path, sizeof(path), f / 1000, f);
			ice_data_file df = data_file(path);
			if (ice_manifest_writer_add(w, &df, -1) != 0)
				fail(path);
			write_file(path, age);
		}
		close_into(w, lw);
	}
	if (ice_manifest_list_writer_close(lw, NULL) != 0)
		fail(s.list);
	for (int64_t f = 0; f < norphans; f++) {
		snprintf(path, sizeof(path), "%s/data/%03" PRId64 "/orphan-%06" PRId64 ".parquet", dir, (f * 7919) % 100, f);
		write_file(path, age);
	}
	write_metadata(&s, 1);
	/* the metadata files are as old as the rest */
	const char *meta[] = {"v1.metadata.json", "version-hint.text"};
	for (int i = 0; i < 2; i++) {
		struct timespec ts[2];
		snprintf(path, sizeof(path), "%s/metadata/%s", dir, meta[i]);
		clock_gettime(CLOCK_REALTIME, &ts[0]);
		ts[0].tv_sec -= age;
		ts[1] = ts[0];
		utimensat(AT_FDCWD, path, ts, 0);
	}
	printf("{\"files\": %" PRId64 ", \"orphans\": %" PRId64 ", \"manifests\": %" PRId64 "}\n", nfiles, norphans,
	       nmanifests);
	return 0;
}

static int big(int64_t nmanifests, int64_t per)
{
	snap s[2] = {{SNAP_BASE, 0, 1, T0, "", "append"}, {SNAP_BASE + 1, SNAP_BASE, 2, T0 + 10 * MINUTE, "", "overwrite"}};
	char name[256], path[4096];
	for (int k = 0; k < 2; k++) {
		ice_manifest_list_writer *lw = open_list(&s[k]);
		for (int64_t m = 0; m < nmanifests; m++) {
			snprintf(name, sizeof(name), "big-%d-%05" PRId64 "-m0.avro", k, m);
			ice_manifest_writer *w = open_manifest(name, s[k].id);
			for (int64_t f = 0; f < per; f++) {
				data_path(path, sizeof(path), m, f);
				ice_data_file df = data_file(path);
				int rc = k == 0 ? ice_manifest_writer_add(w, &df, -1)
				         : f % 2 ? ice_manifest_writer_add_deleted(w, &df, 1, 1)
				                 : ice_manifest_writer_add_existing(w, &df, s[0].id, 1, 1);
				if (rc)
					fail(path);
			}
			close_into(w, lw);
		}
		if (ice_manifest_list_writer_close(lw, NULL) != 0)
			fail(s[k].list);
	}
	write_metadata(s, 2);
	printf("{\"expire_before_ms\": %" PRId64 ", \"candidates\": %" PRId64 "}\n", T0 + 5 * MINUTE, nmanifests * per);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench-maintain history DIR SNAPSHOTS FILES [--no-files]\n"
		                "       bench-maintain orphans DIR FILES ORPHANS MANIFESTS\n"
		                "       bench-maintain big DIR MANIFESTS PER_MANIFEST\n");
		return 2;
	}
	dir = argv[2];
	char md[4096];
	snprintf(md, sizeof(md), "%s/metadata", dir);
	mkdirs(md);
	if (ice_io_new(&io) || ice_schema_from_json(&schema, SCHEMA_JSON, strlen(SCHEMA_JSON), "schema") ||
	    ice_partition_spec_from_json(&spec, SPEC_JSON, strlen(SPEC_JSON), "spec"))
		fail("setup");
	if (!strcmp(argv[1], "history"))
		return history(atoll(argv[3]), atoll(argv[4]), !(argc > 5 && !strcmp(argv[5], "--no-files")));
	if (!strcmp(argv[1], "orphans") && argc == 6)
		return orphans(atoll(argv[3]), atoll(argv[4]), atoll(argv[5]));
	if (!strcmp(argv[1], "big") && argc == 5)
		return big(atoll(argv[3]), atoll(argv[4]));
	fprintf(stderr, "bench-maintain: bad arguments\n");
	return 2;
}
