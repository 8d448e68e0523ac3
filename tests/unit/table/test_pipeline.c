/*
 * tests/unit/table/test_pipeline.c - the pipeline paths of the library:
 * snapshot summary properties and idempotency keys through the commit
 * (ice_commit_options.summary / .idempotency_key, ICE_COMMIT_SKIPPED,
 * ice_table_metadata_find_summary), the incremental scan's range and the
 * changelog (ice_changes_*), each with every allocation failing in turn:
 * an error, no leak, and nothing committed or left behind.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ice.h"
#include "test.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static char *scratch(const char *tag)
{
	static char dir[128];
	snprintf(dir, sizeof(dir), "/tmp/ice-pipeline-%s-XXXXXX", tag);
	return mkdtemp(dir);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void make_table(ice_io *io, const char *dir, int version)
{
	ice_schema *schema = NULL;
	ice_table_create_options o;
	ice_table *t = NULL;
	CHECK_OK(ice_schema_parse_dsl(&schema, "id long, s string"));
	ice_table_create_options_init(&o);
	o.schema = schema;
	o.location = dir;
	o.format_version = version;
	CHECK_OK(ice_table_create(&t, NULL, io, dir, &o));
	ice_table_free(t);
	ice_schema_free(schema);
}

static int append(ice_io *io, const char *dir, const char *csv, const ice_commit_options *co, ice_commit_result *res)
{
	ice_table *t;
	ice_write_report r;
	int rc = ice_table_open(&t, io, dir);
	if (rc)
		return rc;
	rc = ice_table_append_files(t, &csv, 1, NULL, co, &r, res);
	ice_table_free(t);
	return rc;
}

static size_t snapshots(ice_io *io, const char *dir)
{
	ice_table *t;
	if (ice_table_open(&t, io, dir) != 0)
		return (size_t)-1;
	size_t n = ice_table_metadata_snapshot_count(ice_table_current(t));
	ice_table_free(t);
	return n;
}

TEST(test_table_pipeline__idempotent_append_every_allocation)
{
	ice_io *io;
	char *root = scratch("idem"), dir[256], csv[256];
	CHECK(root);
	CHECK_OK(ice_io_new(&io));
	snprintf(dir, sizeof(dir), "%s/t", root);
	snprintf(csv, sizeof(csv), "%s/in.csv", root);
	write_text(csv, "id,s\n1,a\n2,b\n");
	make_table(io, dir, 2);
	ice_property items[] = {{"wm", "2024-01-01"}, {"job", "load"}};
	ice_properties props = {2, items};
	ice_commit_options co;
	ice_commit_options_init(&co);
	co.summary = &props;
	co.idempotency_key = "batch-1";
	ice_commit_result res;
	/* the first run, every allocation failing: nothing committed until it works */
	for (uint64_t n = 1;; n++) {
		int64_t before = ice_alloc_outstanding();
		ice_alloc_fail_at(n, false);
		int rc = append(io, dir, csv, &co, &res);
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		CHECK_MSG(ice_alloc_outstanding() == before, "leak after failing allocation %llu", (unsigned long long)n);
		if (!injected || rc == 0) {
			CHECK_OK(rc);
			CHECK(res.state == ICE_COMMIT_SUCCEEDED);
			break;
		}
		CHECK_INT(snapshots(io, dir), 0);
		CHECK(n < 100000);
	}
	ice_table *t;
	CHECK_OK(ice_table_open(&t, io, dir));
	const ice_table_metadata *md = ice_table_current(t);
	const ice_snapshot *cur = ice_table_metadata_current_snapshot(md);
	CHECK(cur);
	CHECK_STR(ice_properties_get(&cur->summary, "wm"), "2024-01-01");
	CHECK_STR(ice_properties_get(&cur->summary, ICE_IDEMPOTENCY_KEY_PROPERTY), "batch-1");
	CHECK(ice_table_metadata_find_summary(md, cur, "job", "load") == cur);
	CHECK(ice_table_metadata_find_summary(md, cur, "job", "other") == NULL);
	CHECK(ice_table_metadata_find_summary(md, NULL, "job", NULL) == NULL);
	int64_t first = cur->snapshot_id;
	ice_table_free(t);
	/* the rerun: skipped, every allocation failing or not */
	for (uint64_t n = 1;; n++) {
		int64_t before = ice_alloc_outstanding();
		ice_alloc_fail_at(n, false);
		int rc = append(io, dir, csv, &co, &res);
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		CHECK_MSG(ice_alloc_outstanding() == before, "leak after failing allocation %llu", (unsigned long long)n);
		if (!injected) {
			CHECK_OK(rc);
			CHECK(res.state == ICE_COMMIT_SKIPPED);
			CHECK(res.existing_snapshot_id == first);
			break;
		}
		CHECK(n < 100000);
	}
	CHECK_INT(snapshots(io, dir), 1);
	/* a summary key ice writes itself is refused */
	ice_property bad[] = {{"operation", "x"}};
	ice_properties badp = {1, bad};
	ice_commit_options co2;
	ice_commit_options_init(&co2);
	co2.summary = &badp;
	CHECK(append(io, dir, csv, &co2, &res) == ICE_EINVALID);
	CHECK_INT(snapshots(io, dir), 1);
	ice_io_free(io);
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	ice_error_clear();
}

static int64_t nfiles;

static int count_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)st;
	(void)ftw;
	nfiles += flag == FTW_F;
	return 0;
}

/* Files under dir (0 when it does not exist). */
static int64_t count_files(const char *dir)
{
	nfiles = 0;
	nftw(dir, count_entry, 16, FTW_PHYS);
	return nfiles;
}

/*
 * The key checked inside the commit, on the base of every attempt: a handle
 * opened before another run committed the key passes the check made before
 * any work (its metadata does not have the key), writes its files, and its
 * commit finds the key on the newer base: skipped, nothing committed, the
 * files it wrote deleted. Append, delete and overwrite alike.
 */
TEST(test_table_pipeline__idempotency_key_checked_inside_the_commit)
{
	ice_io *io;
	char *root = scratch("race"), dir[256], csv[256], data[300];
	CHECK(root);
	CHECK_OK(ice_io_new(&io));
	snprintf(dir, sizeof(dir), "%s/t", root);
	snprintf(csv, sizeof(csv), "%s/in.csv", root);
	snprintf(data, sizeof(data), "%s/data", dir);
	write_text(csv, "id,s\n1,a\n2,b\n3,c\n");
	make_table(io, dir, 2);
	CHECK_OK(append(io, dir, csv, NULL, NULL));
	ice_commit_options co;
	ice_commit_options_init(&co);
	ice_commit_result res;
	const char *keys[] = {"append-1", "delete-1", "overwrite-1"};
	for (int op = 0; op < 3; op++) {
		ice_table *stale, *t;
		ice_write_report wr;
		ice_delete_report dr;
		CHECK_OK(ice_table_open(&stale, io, dir));
		co.idempotency_key = keys[op];
		/* the run that wins: another handle commits the key */
		CHECK_OK(ice_table_open(&t, io, dir));
		if (op == 0) {
			CHECK_OK(ice_table_append_files(t, (const char *const[]){csv}, 1, NULL, &co, &wr, &res));
		} else if (op == 1) {
			ice_delete_options d;
			ice_delete_options_init(&d);
			CHECK_OK(ice_table_delete_where(t, "id = 1", &d, &co, &dr, &res));
		} else {
			ice_overwrite_options o;
			ice_overwrite_options_init(&o);
			o.filter = "id = 2";
			CHECK_OK(ice_table_overwrite_files(t, (const char *const[]){csv}, 1, &o, &co, &dr, &res));
		}
		CHECK(res.state == ICE_COMMIT_SUCCEEDED);
		int64_t winner = ice_table_metadata_current_snapshot(ice_table_current(t))->snapshot_id;
		ice_table_free(t);
		size_t nsnap = snapshots(io, dir);
		int64_t files = count_files(data);
		CHECK(ice_table_idempotency_done(stale, NULL, &co, NULL) == false); /* the stale handle's view */
		/* the late run: through the commit, which finds the key on the new base */
		if (op == 0) {
			CHECK_OK(ice_table_append_files(stale, (const char *const[]){csv}, 1, NULL, &co, &wr, &res));
		} else if (op == 1) {
			ice_delete_options d;
			ice_delete_options_init(&d);
			d.mode = ICE_DELETE_COPY_ON_WRITE;
			CHECK_OK(ice_table_delete_where(stale, "id = 3", &d, &co, &dr, &res));
		} else {
			ice_overwrite_options o;
			ice_overwrite_options_init(&o);
			o.filter = "id = 3";
			CHECK_OK(ice_table_overwrite_files(stale, (const char *const[]){csv}, 1, &o, &co, &dr, &res));
		}
		CHECK_MSG(res.state == ICE_COMMIT_SKIPPED, "%s: not skipped (state %d)", keys[op], (int)res.state);
		CHECK(res.existing_snapshot_id == winner);
		CHECK_MSG(res.attempts >= 1, "%s: skipped before the commit", keys[op]);
		ice_table_free(stale);
		CHECK_INT(snapshots(io, dir), nsnap);
		CHECK_MSG(count_files(data) == files, "%s: files left behind: %lld, were %lld", keys[op],
		          (long long)count_files(data), (long long)files);
	}
	ice_io_free(io);
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	ice_error_clear();
}

/* Every batch of the changelog, as rows counted by change type. */
static int read_changes(ice_io *io, const char *dir, int64_t from, int64_t *inserts, int64_t *deletes)
{
	ice_table *t;
	ice_changes *c = NULL;
	ice_scan_options o;
	struct ArrowArray b;
	int rc = ice_table_open(&t, io, dir);
	*inserts = *deletes = 0;
	if (rc)
		return rc;
	ice_scan_options_init(&o);
	o.has_from_snapshot_id = true;
	o.from_snapshot_id = from;
	o.threads = 1;
	rc = ice_changes_new(&c, io, ice_table_current(t), &o);
	while (!rc && (rc = ice_changes_next(c, &b)) == 0) {
		/* _change_type is the third column: "INSERT" or "DELETE" */
		const int32_t *off = b.children[2]->buffers[1];
		const char *data = b.children[2]->buffers[2];
		for (int64_t i = 0; i < b.length; i++)
			*(data[off[i]] == 'I' ? inserts : deletes) += 1;
		b.release(&b);
	}
	ice_changes_free(c);
	ice_table_free(t);
	return rc == ICE_ITEROVER ? 0 : rc;
}

TEST(test_table_pipeline__changes_and_incremental_every_allocation)
{
	ice_io *io;
	char *root = scratch("changes"), dir[256], csv[256];
	CHECK(root);
	CHECK_OK(ice_io_new(&io));
	snprintf(dir, sizeof(dir), "%s/t", root);
	snprintf(csv, sizeof(csv), "%s/in.csv", root);
	make_table(io, dir, 2);
	write_text(csv, "id,s\n1,a\n2,b\n3,c\n");
	CHECK_OK(append(io, dir, csv, NULL, NULL));
	write_text(csv, "id,s\n4,d\n5,e\n");
	CHECK_OK(append(io, dir, csv, NULL, NULL));
	ice_table *t;
	CHECK_OK(ice_table_open(&t, io, dir));
	int64_t first = ice_table_metadata_snapshot_at(ice_table_current(t), 0)->snapshot_id;
	ice_delete_options dopts;
	ice_delete_options_init(&dopts);
	CHECK_OK(ice_table_delete_where(t, "id = 2", &dopts, NULL, NULL, NULL)); /* copy-on-write */
	dopts.mode = ICE_DELETE_MERGE_ON_READ;
	CHECK_OK(ice_table_delete_where(t, "id = 5", &dopts, NULL, NULL, NULL)); /* position deletes */
	ice_table_free(t);
	int64_t ins, del;
	CHECK_OK(read_changes(io, dir, first, &ins, &del));
	CHECK_INT(ins, 2);
	CHECK_INT(del, 2);
	for (uint64_t n = 1;; n++) {
		int64_t before = ice_alloc_outstanding();
		ice_alloc_fail_at(n, false);
		int rc = read_changes(io, dir, first, &ins, &del);
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		CHECK_MSG(ice_alloc_outstanding() == before, "leak after failing allocation %llu", (unsigned long long)n);
		if (!injected) {
			CHECK_OK(rc);
			CHECK_INT(ins, 2);
			CHECK_INT(del, 2);
			break;
		}
		if (rc == 0) {
			/* a best-effort allocation (finding the metadata) failed: the result is whole */
			CHECK_INT(ins, 2);
			CHECK_INT(del, 2);
			continue;
		}
		CHECK_MSG(ice_error_last() != NULL, "allocation %llu: no error", (unsigned long long)n);
		CHECK(n < 100000);
	}
	/* the incremental scan of the same range refuses the deletes, or skips them */
	CHECK_OK(ice_table_open(&t, io, dir));
	ice_scan_options o;
	ice_scan *scan = NULL;
	ice_scan_options_init(&o);
	o.has_from_snapshot_id = true;
	o.from_snapshot_id = first;
	CHECK(ice_scan_new(&scan, io, ice_table_current(t), &o) == ICE_EUNSUPPORTED);
	o.appends_only = true;
	CHECK_OK(ice_scan_new(&scan, io, ice_table_current(t), &o));
	size_t nrange;
	ice_scan_range(scan, &nrange);
	CHECK_INT(nrange, 1);
	ice_scan_free(scan);
	ice_table_free(t);
	ice_io_free(io);
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	ice_error_clear();
}
