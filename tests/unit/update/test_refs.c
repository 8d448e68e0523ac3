/*
 * tests/unit/update/test_refs.c - committed changes on directory tables:
 * tags, branches and their errors, rollback (ancestors only) and
 * set-current, appends to a branch, concurrent writers (a change the
 * operation depends on is a conflict, others are retried), and merging
 * manifests on append (counts, entry statuses, sequence numbers and v3
 * row ids carried over, merged-away manifests removed).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ice.h"
#include "test.h"

static const char *tmp_dir(const char *tag)
{
	static char dir[128];
	snprintf(dir, sizeof(dir), "/tmp/ice-update-%s-XXXXXX", tag);
	return mkdtemp(dir);
}

static void cleanup(ice_io *io, const char *dir)
{
	char cmd[300];
	(void)io;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static int create(ice_table **out, ice_io *io, const char *dir, const char *schema_text, int version)
{
	ice_schema *schema = NULL;
	ice_table_create_options opts;
	int rc = ice_schema_parse_dsl(&schema, schema_text);
	if (rc)
		return rc;
	ice_table_create_options_init(&opts);
	opts.schema = schema;
	opts.format_version = version;
	opts.location = dir;
	rc = ice_table_create(out, NULL, io, dir, &opts);
	ice_schema_free(schema);
	return rc;
}

/* Appends one (unpartitioned, never read) data file of `records` rows. */
static int append(ice_table *t, const char *branch, int64_t records, int64_t *snapshot_out)
{
	static int counter;
	ice_append *a;
	ice_data_file f;
	char path[512];
	int rc;
	memset(&f, 0, sizeof(f));
	snprintf(path, sizeof(path), "%s/data/f%d.parquet", ice_table_metadata_location(ice_table_current(t)), ++counter);
	f.content = ICE_FILE_CONTENT_DATA;
	f.file_path = path;
	f.file_format = "PARQUET";
	f.partition_spec_id = ice_table_metadata_default_spec(ice_table_current(t))->spec_id;
	f.record_count = records;
	f.file_size_in_bytes = 100 + records;
	if ((rc = ice_append_new(&a, t)) != 0)
		return rc;
	if ((rc = ice_append_set_branch(a, branch)) == 0 && (rc = ice_append_add_file(a, &f)) == 0)
		rc = ice_append_commit(a, NULL, NULL);
	if (snapshot_out)
		*snapshot_out = ice_append_snapshot_id(a);
	ice_append_free(a);
	return rc;
}

static int64_t current_id(const ice_table *t)
{
	const ice_snapshot *s = ice_table_metadata_current_snapshot(ice_table_current(t));
	return s ? s->snapshot_id : -1;
}

static const ice_ref *ref(const ice_table *t, const char *name)
{
	return ice_table_metadata_ref(ice_table_current(t), name);
}

TEST(test_update_refs__tags_and_branches)
{
	ice_io *io;
	ice_table *t;
	ice_ref_options o;
	ice_commit_result res;
	int64_t s1, s2;
	const char *dir = tmp_dir("refs");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(create(&t, io, dir, "id long", 2));
	CHECK_RC(ice_table_create_tag(t, "empty", NULL, NULL), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("no snapshot yet");
	CHECK_OK(append(t, NULL, 3, &s1));
	CHECK_OK(append(t, NULL, 4, &s2));
	CHECK_OK(ice_table_create_tag(t, "v1", NULL, &res));
	CHECK_INT(res.attempts, 1);
	CHECK_INT(ref(t, "v1")->snapshot_id, s2);
	CHECK_INT(ref(t, "v1")->type, ICE_REF_TAG);
	CHECK_RC(ice_table_create_tag(t, "v1", NULL, NULL), ICE_EEXISTS);
	ice_ref_options_init(&o);
	o.has_snapshot_id = true;
	o.snapshot_id = s1;
	o.replace = true;
	o.has_max_ref_age_ms = true;
	o.max_ref_age_ms = 86400000;
	CHECK_OK(ice_table_create_tag(t, "v1", &o, NULL));
	CHECK_INT(ref(t, "v1")->snapshot_id, s1);
	CHECK_INT(ref(t, "v1")->max_ref_age_ms, 86400000);
	/* branch retention is for branches */
	o.has_min_snapshots_to_keep = true;
	o.min_snapshots_to_keep = 2;
	CHECK_RC(ice_table_create_tag(t, "v1", &o, NULL), ICE_EINVALID);
	o.replace = false;
	o.has_max_snapshot_age_ms = true;
	o.max_snapshot_age_ms = 3600000;
	CHECK_OK(ice_table_create_branch(t, "dev", &o, NULL));
	CHECK_INT(ref(t, "dev")->snapshot_id, s1);
	CHECK_INT(ref(t, "dev")->min_snapshots_to_keep, 2);
	CHECK_INT(ref(t, "dev")->max_snapshot_age_ms, 3600000);
	CHECK_RC(ice_table_create_branch(t, "v1", NULL, NULL), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("'v1' is a tag, not a branch");
	o.min_snapshots_to_keep = 0;
	CHECK_RC(ice_table_create_branch(t, "b2", &o, NULL), ICE_EINVALID);
	o.has_snapshot_id = true;
	o.snapshot_id = 12345;
	o.min_snapshots_to_keep = 1;
	CHECK_RC(ice_table_create_branch(t, "b2", &o, NULL), ICE_ENOTFOUND);
	CHECK_RC(ice_table_drop_ref(t, "dev", ICE_REF_TAG, NULL), ICE_EINVALID);
	CHECK_RC(ice_table_drop_ref(t, "main", ICE_REF_BRANCH, NULL), ICE_EINVALID);
	CHECK_RC(ice_table_drop_ref(t, "nope", ICE_REF_TAG, NULL), ICE_ENOTFOUND);
	CHECK_OK(ice_table_drop_ref(t, "dev", ICE_REF_BRANCH, NULL));
	CHECK_OK(ice_table_drop_ref(t, "v1", ICE_REF_TAG, NULL));
	CHECK(ref(t, "dev") == NULL && ref(t, "v1") == NULL);
	CHECK_INT(current_id(t), s2);
	ice_table_free(t);
	cleanup(io, dir);
	ice_io_free(io);
}

TEST(test_update_refs__append_to_branch)
{
	ice_io *io;
	ice_table *t;
	int64_t s1, s2, s3;
	const char *dir = tmp_dir("branch");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(create(&t, io, dir, "id long", 2));
	CHECK_OK(append(t, NULL, 1, &s1));
	CHECK_OK(ice_table_create_branch(t, "dev", NULL, NULL));
	CHECK_OK(append(t, "dev", 2, &s2));
	CHECK_OK(append(t, NULL, 3, &s3));
	CHECK_INT(current_id(t), s3);
	CHECK_INT(ref(t, "dev")->snapshot_id, s2);
	const ice_snapshot *b = ice_table_metadata_snapshot_by_id(ice_table_current(t), s2);
	const ice_snapshot *m = ice_table_metadata_snapshot_by_id(ice_table_current(t), s3);
	CHECK(b->has_parent && b->parent_snapshot_id == s1);
	CHECK(m->has_parent && m->parent_snapshot_id == s1);
	CHECK_INT(b->sequence_number, 2);
	CHECK_INT(m->sequence_number, 3);
	CHECK_STR(ice_properties_get(&b->summary, "total-records"), "3");
	CHECK_STR(ice_properties_get(&m->summary, "total-records"), "4");
	CHECK_RC(append(t, "nope", 1, NULL), ICE_ENOTFOUND);
	CHECK_OK(ice_table_create_tag(t, "tg", NULL, NULL));
	CHECK_RC(append(t, "tg", 1, NULL), ICE_EINVALID);
	ice_table_free(t);
	cleanup(io, dir);
	ice_io_free(io);
}

TEST(test_update_refs__rollback)
{
	ice_io *io;
	ice_table *t;
	ice_commit_result res;
	int64_t s1, s2, s3, s4;
	const char *dir = tmp_dir("rollback");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(create(&t, io, dir, "id long", 2));
	CHECK_OK(append(t, NULL, 1, &s1));
	CHECK_OK(append(t, NULL, 1, &s2));
	CHECK_OK(ice_table_create_branch(t, "dev", NULL, NULL));
	CHECK_OK(append(t, "dev", 1, &s3));
	CHECK_OK(append(t, NULL, 1, &s4));
	/* not an ancestor: refused, nothing written */
	CHECK_RC(ice_table_rollback_to(t, s3, NULL), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("not an ancestor");
	CHECK_RC(ice_table_rollback_to(t, 999, NULL), ICE_ENOTFOUND);
	CHECK_OK(ice_table_rollback_to(t, s2, &res));
	CHECK_INT(current_id(t), s2);
	CHECK_INT(res.attempts, 1);
	/* already there: no commit */
	CHECK_OK(ice_table_rollback_to(t, s2, &res));
	CHECK_INT(res.attempts, 0);
	/* set-current takes any snapshot; rollback by time takes the ancestor */
	CHECK_OK(ice_table_set_current_snapshot(t, s4, NULL));
	CHECK_INT(current_id(t), s4);
	const ice_snapshot *snap2 = ice_table_metadata_snapshot_by_id(ice_table_current(t), s2);
	CHECK_OK(ice_table_rollback_to_time(t, snap2->timestamp_ms, NULL));
	CHECK_INT(current_id(t), s2);
	CHECK_OK(ice_table_set_current_snapshot(t, s3, NULL));
	CHECK_INT(current_id(t), s3);
	CHECK_RC(ice_table_rollback_to_time(t, 1, NULL), ICE_ENOTFOUND);
	/* the snapshot log records each move */
	CHECK_INT(ice_table_metadata_snapshot_log_count(ice_table_current(t)), 7);
	ice_table_free(t);
	cleanup(io, dir);
	ice_io_free(io);
}

TEST(test_update_refs__concurrent_changes)
{
	ice_io *io;
	ice_table *a, *b;
	ice_commit_result res;
	int64_t s1;
	const char *dir = tmp_dir("concurrent");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(create(&a, io, dir, "id long, x string, y string", 2));
	CHECK_OK(append(a, NULL, 1, &s1));
	CHECK_OK(ice_table_open(&b, io, dir));

	/* a tag created meanwhile: b's create is a conflict, not a replace */
	CHECK_OK(ice_table_create_tag(a, "t", NULL, NULL));
	CHECK_RC(ice_table_create_tag(b, "t", NULL, NULL), ICE_ECONFLICT);
	CHECK_ERROR_CONTAINS("created by another writer");
	CHECK_OK(ice_table_refresh(b));

	/* main moved meanwhile: b's rollback would discard it */
	CHECK_OK(append(a, NULL, 1, NULL));
	CHECK_OK(ice_table_refresh(b));
	CHECK_OK(append(a, NULL, 1, NULL));
	CHECK_RC(ice_table_rollback_to(b, s1, NULL), ICE_ECONFLICT);
	CHECK_ERROR_CONTAINS("'main' was moved by another writer");
	CHECK_OK(ice_table_refresh(b));

	/* an append to main does not disturb a branch change */
	CHECK_OK(append(a, NULL, 1, NULL));
	CHECK_OK(ice_table_create_branch(b, "dev", NULL, &res));
	CHECK_INT(res.attempts, 2);

	/* two renames of one column: exactly one lands */
	ice_alter *ra, *rb;
	CHECK_OK(ice_table_refresh(a));
	CHECK_OK(ice_alter_new(&ra));
	CHECK_OK(ice_alter_new(&rb));
	CHECK_OK(ice_alter_rename_column(ra, "x", "x1"));
	CHECK_OK(ice_alter_rename_column(rb, "x", "x2"));
	CHECK_OK(ice_alter_commit(ra, a, NULL, NULL));
	CHECK_RC(ice_alter_commit(rb, b, NULL, &res), ICE_ECONFLICT);
	CHECK_ERROR_CONTAINS("changed concurrently");
	CHECK_ERROR_CONTAINS("no column 'x'");
	CHECK_OK(ice_table_refresh(b));
	const ice_schema *s = ice_table_metadata_current_schema(ice_table_current(b));
	CHECK(ice_schema_find_field_by_name(s, "x1", true) != NULL);
	CHECK(ice_schema_find_field_by_name(s, "x2", true) == NULL);
	ice_alter_free(ra);
	ice_alter_free(rb);

	/* renames of different columns both land, the second after a retry */
	CHECK_OK(ice_alter_new(&ra));
	CHECK_OK(ice_alter_new(&rb));
	CHECK_OK(ice_alter_rename_column(ra, "x1", "xx"));
	CHECK_OK(ice_alter_rename_column(rb, "y", "yy"));
	CHECK_OK(ice_alter_commit(ra, a, NULL, NULL));
	CHECK_OK(ice_alter_commit(rb, b, NULL, &res));
	CHECK_INT(res.attempts, 2);
	s = ice_table_metadata_current_schema(ice_table_current(b));
	CHECK(ice_schema_find_field_by_name(s, "xx", true) && ice_schema_find_field_by_name(s, "yy", true));
	CHECK_INT(ice_schema_id(s), 3);
	ice_alter_free(ra);
	ice_alter_free(rb);

	/* an alter with no effect writes nothing */
	char before[300];
	snprintf(before, sizeof(before), "%s", ice_table_metadata_file(b));
	CHECK_OK(ice_alter_new(&ra));
	CHECK_OK(ice_alter_rename_column(ra, "xx", "xx"));
	CHECK_OK(ice_alter_commit(ra, b, NULL, &res));
	CHECK_INT(res.attempts, 0);
	ice_alter_free(ra);
	CHECK_OK(ice_table_refresh(b));
	CHECK_STR(ice_table_metadata_file(b), before);
	ice_table_free(a);
	ice_table_free(b);
	cleanup(io, dir);
	ice_io_free(io);
}

/* ---- merging manifests on append ------------------------------------------------------- */

static size_t manifest_count(ice_table *t, ice_io *io)
{
	ice_manifest_list *l = NULL;
	const ice_snapshot *s = ice_table_metadata_current_snapshot(ice_table_current(t));
	size_t n;
	if (ice_manifest_list_read_snapshot(&l, io, ice_table_current(t), s) != 0)
		return (size_t)-1;
	n = l->n;
	ice_manifest_list_free(l);
	return n;
}

/* Every live entry of the current snapshot: count, and checks per entry. */
static int live_entries(ice_table *t, ice_io *io, int64_t *records, int64_t *existing, bool *seq_ok, bool *row_ids)
{
	ice_manifest_list *l = NULL;
	const ice_table_metadata *md = ice_table_current(t);
	int rc = ice_manifest_list_read_snapshot(&l, io, md, ice_table_metadata_current_snapshot(md));
	*records = *existing = 0;
	*seq_ok = true;
	if (row_ids)
		*row_ids = true;
	for (size_t i = 0; !rc && i < l->n; i++) {
		ice_manifest_reader *r;
		const ice_manifest_entry *e;
		if ((rc = ice_manifest_open(&r, io, md, &l->items[i])) != 0)
			break;
		while ((rc = ice_manifest_next(r, &e)) == 0) {
			if (e->status == ICE_MANIFEST_ENTRY_DELETED)
				continue;
			const ice_snapshot *adder = ice_table_metadata_snapshot_by_id(md, e->snapshot_id);
			*records += e->data_file.record_count;
			*existing += e->status == ICE_MANIFEST_ENTRY_EXISTING;
			/* each file keeps the sequence number of the snapshot that added it */
			if (!adder || adder->sequence_number != e->sequence_number ||
			    e->file_sequence_number != e->sequence_number)
				*seq_ok = false;
			/* v3: row ids are those the adding snapshot assigned: ids are
			 * handed out in order, so a file's first row id lies in its
			 * snapshot's range */
			if (row_ids && (!e->data_file.has_first_row_id || !adder->has_first_row_id ||
			                e->data_file.first_row_id < adder->first_row_id ||
			                e->data_file.first_row_id + e->data_file.record_count >
			                    adder->first_row_id + adder->added_rows))
				*row_ids = false;
		}
		ice_manifest_reader_free(r);
		if (rc == ICE_ITEROVER)
			rc = 0;
	}
	ice_manifest_list_free(l);
	return rc;
}

static size_t count_avro(const char *dir)
{
	char path[300];
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/metadata", dir);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += strstr(e->d_name, "-m") && strstr(e->d_name, ".avro") && strncmp(e->d_name, "snap-", 5) != 0;
	if (d)
		closedir(d);
	return n;
}

static void merge_case(int version)
{
	ice_io *io;
	ice_table *t;
	int64_t records, existing;
	bool seq_ok, rows_ok;
	const char *dir = tmp_dir("merge");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(create(&t, io, dir, "id long", version));
	ice_property p[] = {{"commit.manifest.min-count-to-merge", "3"}};
	ice_properties set = {1, p};
	CHECK_OK(ice_table_update_properties(t, &set, NULL, 0, NULL));
	/* 1, 2, then 3 merge into 1; 2, then 3 merge into 1; ... */
	const size_t want[] = {1, 2, 1, 2, 1, 2, 1};
	for (int i = 0; i < 7; i++) {
		CHECK_OK(append(t, NULL, i + 1, NULL));
		CHECK_INT(manifest_count(t, io), want[i]);
	}
	CHECK_OK(live_entries(t, io, &records, &existing, &seq_ok, version >= 3 ? &rows_ok : NULL));
	CHECK_INT(records, 28);
	CHECK_INT(existing, 6); /* all but the last append's file */
	CHECK(seq_ok);
	if (version >= 3)
		CHECK(rows_ok);
	/* 7 new manifests and 3 merged ones; the new ones of appends 3, 5 and 7
	 * went into merged ones at once and were removed */
	CHECK_INT(count_avro(dir), 7);
	ice_table_free(t);
	cleanup(io, dir);
	ice_io_free(io);
}

TEST(test_update_merge__appends_merge_small_manifests)
{
	merge_case(2);
}

TEST(test_update_merge__v3_row_ids_survive_merging)
{
	merge_case(3);
}

TEST(test_update_merge__v1_tables_merge_too)
{
	merge_case(1);
}

TEST(test_update_merge__disabled_keeps_every_manifest)
{
	ice_io *io;
	ice_table *t;
	const char *dir = tmp_dir("nomerge");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(create(&t, io, dir, "id long", 2));
	ice_property p[] = {{"commit.manifest.min-count-to-merge", "2"}, {"commit.manifest-merge.enabled", "false"}};
	ice_properties set = {2, p};
	CHECK_OK(ice_table_update_properties(t, &set, NULL, 0, NULL));
	for (int i = 0; i < 5; i++)
		CHECK_OK(append(t, NULL, 1, NULL));
	CHECK_INT(manifest_count(t, io), 5);
	ice_table_free(t);
	cleanup(io, dir);
	ice_io_free(io);
}

TEST(test_update_merge__rewrite_manifests)
{
	ice_io *io;
	ice_table *t;
	ice_rewrite_manifests_report rep;
	int64_t records, existing;
	bool seq_ok, rows_ok;
	const char *dir = tmp_dir("rewrite");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(create(&t, io, dir, "id long", 3));
	CHECK_OK(ice_table_rewrite_manifests(t, NULL, &rep, NULL));
	CHECK(!rep.committed); /* no snapshot yet */
	ice_property p[] = {{"commit.manifest-merge.enabled", "false"}};
	ice_properties set = {1, p};
	CHECK_OK(ice_table_update_properties(t, &set, NULL, 0, NULL));
	for (int i = 0; i < 6; i++)
		CHECK_OK(append(t, NULL, i + 1, NULL));
	CHECK_INT(manifest_count(t, io), 6);
	CHECK_OK(ice_table_rewrite_manifests(t, NULL, &rep, NULL));
	CHECK(rep.committed);
	CHECK_INT(rep.manifests_before, 6);
	CHECK_INT(rep.manifests_replaced, 6);
	CHECK_INT(rep.manifests_after, 1);
	CHECK_INT(manifest_count(t, io), 1);
	const ice_snapshot *s = ice_table_metadata_current_snapshot(ice_table_current(t));
	CHECK_STR(s->operation, "replace");
	CHECK_STR(ice_properties_get(&s->summary, "manifests-created"), "1");
	CHECK_STR(ice_properties_get(&s->summary, "total-records"), "21");
	CHECK_OK(live_entries(t, io, &records, &existing, &seq_ok, &rows_ok));
	CHECK_INT(records, 21);
	CHECK_INT(existing, 6);
	CHECK(seq_ok && rows_ok);
	/* packed already: nothing to commit */
	CHECK_OK(ice_table_rewrite_manifests(t, NULL, &rep, NULL));
	CHECK(!rep.committed);
	ice_table_free(t);
	cleanup(io, dir);
	ice_io_free(io);
}
