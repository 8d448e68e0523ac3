/*
 * tests/unit/update/test_rows.c - row-level changes on directory tables
 * with real data: deletes dropping whole files, rewriting files
 * (copy-on-write), writing position deletes (v2) and deletion vectors (v3,
 * merged into one per data file), overwrites by filter, of everything and
 * of partitions, the snapshot summaries, validation against concurrent
 * commits per isolation level, and errors that leave nothing behind.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ice.h"
#include "test.h"

static const char *tmp_dir(const char *tag)
{
	static char dir[128];
	snprintf(dir, sizeof(dir), "/tmp/ice-rows-%s-XXXXXX", tag);
	return mkdtemp(dir);
}

static void cleanup(const char *dir)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* A table of `rows` rows: id, cat (a/b/c by id % 3) partitioned by cat, v = id / 2. */
static int make_table(ice_table **out, ice_io *io, const char *dir, int version, int rows, const char *mode)
{
	ice_schema *schema = NULL;
	ice_partition_spec *spec = NULL;
	ice_table_create_options opts;
	ice_property props[] = {{"write.delete.mode", mode}};
	ice_properties p = {1, props};
	char csv[300];
	int rc;
	if ((rc = ice_schema_parse_dsl(&schema, "id long required, cat string, v double")) != 0 ||
	    (rc = ice_partition_spec_parse_dsl(&spec, "cat", schema)) != 0)
		goto done;
	ice_table_create_options_init(&opts);
	opts.schema = schema;
	opts.spec = spec;
	opts.format_version = version;
	opts.location = dir;
	opts.properties = &p;
	if ((rc = ice_table_create(out, NULL, io, dir, &opts)) != 0)
		goto done;
	snprintf(csv, sizeof(csv), "%s.csv", dir);
	FILE *f = fopen(csv, "w");
	if (!f) {
		rc = ICE_ERROR;
		goto done;
	}
	fputs("id,cat,v\n", f);
	for (int i = 0; i < rows; i++)
		fprintf(f, "%d,%c,%g\n", i, "abc"[i % 3], i / 2.0);
	fclose(f);
	const char *in[] = {csv};
	rc = ice_table_append_files(*out, in, 1, NULL, NULL, NULL, NULL);
	remove(csv);
done:
	ice_partition_spec_free(spec);
	ice_schema_free(schema);
	return rc;
}

static int append_csv(ice_table *t, const char *dir, const char *text)
{
	char csv[300];
	snprintf(csv, sizeof(csv), "%s.extra.csv", dir);
	FILE *f = fopen(csv, "w");
	if (!f)
		return ICE_ERROR;
	fputs(text, f);
	fclose(f);
	const char *in[] = {csv};
	int rc = ice_table_append_files(t, in, 1, NULL, NULL, NULL, NULL);
	remove(csv);
	return rc;
}

/* Rows of the current snapshot matching `where` (NULL: all). */
static int64_t count(const ice_io *io, const ice_table *t, const char *where)
{
	ice_scan_options so;
	ice_scan *scan;
	struct ArrowArrayStream stream;
	struct ArrowArray b;
	int64_t n = 0;
	ice_scan_options_init(&so);
	so.filter = where;
	if (ice_scan_new(&scan, io, ice_table_current(t), &so) || ice_scan_to_stream(scan, &stream))
		return -1;
	while (stream.get_next(&stream, &b) == 0 && b.release) {
		n += b.length;
		b.release(&b);
	}
	stream.release(&stream);
	ice_scan_free(scan);
	return n;
}

static const char *summary(const ice_table *t, const char *key)
{
	const ice_snapshot *s = ice_table_metadata_current_snapshot(ice_table_current(t));
	return s ? ice_properties_get(&s->summary, key) : NULL;
}

/* Live delete files of the current snapshot, by format ("PARQUET"/"PUFFIN"). */
static int live_deletes(const ice_io *io, const ice_table *t, const char *format)
{
	const ice_table_metadata *md = ice_table_current(t);
	ice_manifest_list *l = NULL;
	int n = 0;
	if (ice_manifest_list_read_snapshot(&l, io, md, ice_table_metadata_current_snapshot(md)))
		return -1;
	for (size_t i = 0; i < l->n; i++) {
		ice_manifest_reader *r;
		const ice_manifest_entry *e;
		if (l->items[i].content != ICE_MANIFEST_CONTENT_DELETES || ice_manifest_open(&r, io, md, &l->items[i]))
			continue;
		while (ice_manifest_next(r, &e) == 0)
			n += e->status != ICE_MANIFEST_ENTRY_DELETED && !strcasecmp(e->data_file.file_format, format);
		ice_manifest_reader_free(r);
	}
	ice_manifest_list_free(l);
	return n;
}

static int count_files(const char *dir, const char *suffix)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "find '%s' -name '*%s' | wc -l", dir, suffix);
	FILE *p = popen(cmd, "r");
	int n = -1;
	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

TEST(test_update_rows__copy_on_write)
{
	ice_io *io;
	ice_table *t;
	ice_delete_report rep;
	const char *dir = tmp_dir("cow");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(make_table(&t, io, dir, 2, 90, "copy-on-write"));
	/* a partition: the file goes whole */
	CHECK_OK(ice_table_delete_where(t, "cat = 'a'", NULL, NULL, &rep, NULL));
	CHECK(rep.committed);
	CHECK_INT(rep.rows_deleted, 30);
	CHECK_INT(rep.files_removed, 1);
	CHECK_INT(rep.files_rewritten, 0);
	CHECK_STR(summary(t, "operation"), "delete");
	CHECK_STR(summary(t, "deleted-data-files"), "1");
	CHECK_STR(summary(t, "deleted-records"), "30");
	CHECK_STR(summary(t, "total-records"), "60");
	CHECK_INT(count(io, t, NULL), 60);
	/* some rows of two files: rewritten without them */
	CHECK_OK(ice_table_delete_where(t, "id < 10", NULL, NULL, &rep, NULL));
	CHECK_INT(rep.rows_deleted, 6);
	CHECK_INT(rep.files_rewritten, 2);
	CHECK_STR(summary(t, "operation"), "overwrite");
	CHECK_STR(summary(t, "added-data-files"), "2");
	CHECK_STR(summary(t, "deleted-data-files"), "2");
	CHECK_STR(summary(t, "total-records"), "54");
	CHECK_INT(count(io, t, NULL), 54);
	CHECK_INT(count(io, t, "id < 10"), 0);
	/* metrics rule every file out, or no row matches: nothing committed */
	char before[300];
	snprintf(before, sizeof(before), "%s", ice_table_metadata_file(t));
	CHECK_OK(ice_table_delete_where(t, "id > 1000", NULL, NULL, &rep, NULL));
	CHECK(!rep.committed);
	CHECK_OK(ice_table_delete_where(t, "v = 11.25", NULL, NULL, &rep, NULL));
	CHECK(!rep.committed);
	CHECK_STR(ice_table_metadata_file(t), before);
	/* the rewrite that found nothing left no file behind */
	CHECK_INT(count_files(dir, ".parquet"), 3 + 2);
	ice_table_free(t);
	cleanup(dir);
	ice_io_free(io);
}

TEST(test_update_rows__merge_on_read_v2_position_deletes)
{
	ice_io *io;
	ice_table *t;
	ice_delete_report rep;
	const char *dir = tmp_dir("mor2");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(make_table(&t, io, dir, 2, 90, "merge-on-read"));
	CHECK_OK(ice_table_delete_where(t, "id < 10 or id = 50", NULL, NULL, &rep, NULL));
	CHECK_INT(rep.rows_deleted, 11);
	CHECK_INT(rep.delete_files_added, 3);
	CHECK_STR(summary(t, "operation"), "delete");
	CHECK_STR(summary(t, "added-position-delete-files"), "3");
	CHECK_STR(summary(t, "added-position-deletes"), "11");
	CHECK_STR(summary(t, "total-position-deletes"), "11");
	CHECK_STR(summary(t, "total-delete-files"), "3");
	CHECK_INT(count(io, t, NULL), 79);
	/* again over rows already deleted: only the new ones count */
	CHECK_OK(ice_table_delete_where(t, "id < 12", NULL, NULL, &rep, NULL));
	CHECK_INT(rep.rows_deleted, 2);
	CHECK_INT(count(io, t, NULL), 77);
	CHECK_INT(live_deletes(io, t, "PARQUET"), 5);
	ice_table_free(t);
	/* v1 tables have no delete files */
	ice_table *t1;
	const char *dir1 = tmp_dir("mor1");
	CHECK(dir1);
	CHECK_OK(make_table(&t1, io, dir1, 1, 9, "merge-on-read"));
	CHECK_RC(ice_table_delete_where(t1, "id = 1", NULL, NULL, NULL, NULL), ICE_EUNSUPPORTED);
	ice_delete_options o;
	ice_delete_options_init(&o);
	o.mode = ICE_DELETE_COPY_ON_WRITE;
	CHECK_OK(ice_table_delete_where(t1, "id = 1", &o, NULL, &rep, NULL));
	CHECK_INT(count(io, t1, NULL), 8);
	ice_table_free(t1);
	cleanup(dir1);
	cleanup(dir);
	ice_io_free(io);
}

TEST(test_update_rows__merge_on_read_v3_deletion_vectors)
{
	ice_io *io;
	ice_table *t;
	ice_delete_report rep;
	const char *dir = tmp_dir("mor3");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(make_table(&t, io, dir, 3, 90, "merge-on-read"));
	CHECK_OK(ice_table_delete_where(t, "id < 10", NULL, NULL, &rep, NULL));
	CHECK_INT(rep.rows_deleted, 10);
	CHECK_STR(summary(t, "added-dvs"), "3");
	CHECK_INT(live_deletes(io, t, "PUFFIN"), 3);
	/* a second delete replaces each file's vector with the union */
	CHECK_OK(ice_table_delete_where(t, "id >= 80", NULL, NULL, &rep, NULL));
	CHECK_INT(rep.rows_deleted, 10);
	CHECK_STR(summary(t, "added-dvs"), "3");
	CHECK_STR(summary(t, "removed-dvs"), "3");
	CHECK_STR(summary(t, "total-position-deletes"), "20");
	CHECK_INT(live_deletes(io, t, "PUFFIN"), 3);
	CHECK_INT(count(io, t, NULL), 70);
	/* a file whose live rows all match goes whole, with its vector */
	CHECK_OK(ice_table_delete_where(t, "cat = 'b' and id < 100", NULL, NULL, &rep, NULL));
	CHECK_INT(rep.rows_deleted, 24);
	CHECK_INT(rep.files_removed, 1);
	CHECK_INT(live_deletes(io, t, "PUFFIN"), 2);
	CHECK_INT(count(io, t, NULL), 46);
	ice_table_free(t);
	cleanup(dir);
	ice_io_free(io);
}

TEST(test_update_rows__overwrite)
{
	ice_io *io;
	ice_table *t;
	ice_delete_report rep;
	ice_overwrite_options o;
	char csv[300];
	const char *dir = tmp_dir("overwrite");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(make_table(&t, io, dir, 2, 30, "copy-on-write"));
	snprintf(csv, sizeof(csv), "%s.new.csv", dir);
	FILE *f = fopen(csv, "w");
	CHECK(f);
	fputs("id,cat,v\n100,a,1\n101,d,2\n", f);
	fclose(f);
	const char *in[] = {csv};
	/* by filter: the matching rows go, the input comes */
	ice_overwrite_options_init(&o);
	o.filter = "v >= 10";
	CHECK_OK(ice_table_overwrite_files(t, in, 1, &o, NULL, &rep, NULL));
	CHECK_INT(rep.rows_deleted, 10);
	CHECK_INT(rep.rows_added, 2);
	CHECK_STR(summary(t, "operation"), "overwrite");
	CHECK_INT(count(io, t, NULL), 22);
	/* dynamic: the partitions the input writes to (a and d) */
	ice_overwrite_options_init(&o);
	o.dynamic = true;
	CHECK_OK(ice_table_overwrite_files(t, in, 1, &o, NULL, &rep, NULL));
	CHECK_STR(summary(t, "replace-partitions"), "true");
	CHECK_INT(count(io, t, "cat = 'a'"), 1);
	CHECK_INT(count(io, t, "cat = 'd'"), 1);
	CHECK_INT(count(io, t, "cat = 'b'"), 7);
	/* everything */
	ice_overwrite_options_init(&o);
	CHECK_OK(ice_table_overwrite_files(t, in, 1, &o, NULL, &rep, NULL));
	CHECK_INT(count(io, t, NULL), 2);
	CHECK_STR(summary(t, "total-records"), "2");
	/* bad filters commit nothing and leave no files */
	int files = count_files(dir, ".parquet");
	o.filter = "nope = 1";
	CHECK_RC(ice_table_overwrite_files(t, in, 1, &o, NULL, &rep, NULL), ICE_EINVALID);
	CHECK_INT(count_files(dir, ".parquet"), files);
	remove(csv);
	ice_table_free(t);
	cleanup(dir);
	ice_io_free(io);
}

TEST(test_update_rows__validation_by_isolation_level)
{
	ice_io *io;
	ice_table *a, *b;
	ice_delete_report rep;
	ice_commit_result res;
	ice_delete_options o;
	const char *dir = tmp_dir("isolation");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(make_table(&a, io, dir, 2, 30, "copy-on-write"));
	CHECK_OK(ice_table_open(&b, io, dir));
	ice_delete_options_init(&o);

	/* serializable: data added meanwhile that may match is a conflict */
	CHECK_OK(append_csv(a, dir, "id,cat,v\n5,b,100\n"));
	CHECK_RC(ice_table_delete_where(b, "v >= 14", &o, NULL, &rep, &res), ICE_ECONFLICT);
	CHECK_ERROR_CONTAINS("may hold rows matching the filter");
	CHECK_INT(res.state, ICE_COMMIT_FAILED);
	/* data that cannot match (other partition) is fine */
	CHECK_OK(ice_table_refresh(b));
	CHECK_OK(append_csv(a, dir, "id,cat,v\n6,c,-1\n"));
	CHECK_OK(ice_table_delete_where(b, "cat = 'b' and v >= 100", &o, NULL, &rep, &res));
	CHECK_INT(res.attempts, 2);
	CHECK_INT(count(io, b, "v >= 100"), 0);
	/* snapshot isolation: the delete applies to what it saw */
	CHECK_OK(ice_table_refresh(a));
	CHECK_OK(append_csv(a, dir, "id,cat,v\n7,b,200\n"));
	o.isolation = ICE_ISOLATION_SNAPSHOT;
	CHECK_OK(ice_table_delete_where(b, "v >= 150 or id = 0", &o, NULL, &rep, &res));
	CHECK_INT(res.attempts, 2);
	CHECK_INT(count(io, b, "v >= 150"), 1); /* the concurrent row is kept */
	/* a file rewritten meanwhile is a conflict whatever the isolation */
	CHECK_OK(ice_table_refresh(a));
	CHECK_OK(ice_table_delete_where(a, "id = 3", NULL, NULL, &rep, NULL));
	CHECK_RC(ice_table_delete_where(b, "id = 9", &o, NULL, &rep, &res), ICE_ECONFLICT);
	CHECK_ERROR_CONTAINS("which this change relies on");
	CHECK_OK(ice_table_refresh(b));
	CHECK_INT(count(io, b, "id = 9"), 1);
	CHECK_INT(count(io, b, "id = 3"), 0);
	ice_table_free(a);
	ice_table_free(b);
	cleanup(dir);
	ice_io_free(io);
}
