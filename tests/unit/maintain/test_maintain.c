/*
 * tests/unit/maintain/test_maintain.c - lib/reach and lib/maintain: path
 * sets stay exact when their strings spill to disk; the retention rules of
 * an expiry (refs, branch retention, tags, unreferenced snapshots, named
 * snapshots) on metadata with known timestamps; expiry and orphan removal
 * end to end through the public API; and every allocation failing in turn
 * in both, after which the table loads and every file it reaches exists.
 * Compaction: Spark's size rules, data and delete compaction end to end
 * (v2 and v3), and every allocation failing in both: same rows, nothing
 * reachable lost, nothing left behind by a failed commit.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ice.h"
#include "maintain/compact_plan.h"
#include "maintain/internal.h"
#include "test.h"

/* ---- path sets ------------------------------------------------------------------- */

static void key_of(char *buf, size_t cap, size_t i, const char *salt)
{
	snprintf(buf, cap, "s3://bucket/warehouse/db/events/data/day=2024-01-%02zu/%s-%08zu-5f0c8b7e.parquet", i % 28 + 1,
	         salt, i);
}

TEST(test_maintain_pathset__exact_when_spilled)
{
	ice_pathset *s;
	char key[256], back[ICE_PATHSET_MAX_KEY + 1];
	const size_t n = 60000; /* ~5 MB of strings, a 1 MiB budget: most spill */
	CHECK_OK(ice_pathset__new(&s, 1 << 20));
	for (size_t i = 0; i < n; i++) {
		size_t idx;
		bool added;
		key_of(key, sizeof(key), i, "part");
		CHECK_OK(ice_pathset__add(s, key, strlen(key), (uint8_t)(i % 7), &idx, &added));
		CHECK(added && idx == i);
	}
	/* Adding again finds the entry, keeps its tag. */
	for (size_t i = 0; i < n; i += 997) {
		size_t idx;
		bool added = true;
		key_of(key, sizeof(key), i, "part");
		CHECK_OK(ice_pathset__add(s, key, strlen(key), 99, &idx, &added));
		CHECK(!added && idx == i && ice_pathset__tag(s, idx) == i % 7);
	}
	CHECK(ice_pathset__count(s) == n);
	CHECK(ice_pathset__spilled(s) > 0);
	CHECK_OK(ice_pathset__seal(s));
	CHECK_RC(ice_pathset__add(s, "x", 1, 0, NULL, NULL), ICE_EINVALID);
	ice_error_clear();
	for (size_t i = 0; i < n; i++) {
		size_t idx, len;
		key_of(key, sizeof(key), i, "part");
		CHECK_OK(ice_pathset__find(s, key, strlen(key), &idx));
		CHECK(idx == i);
		CHECK_OK(ice_pathset__key(s, idx, back, &len));
		CHECK(len == strlen(key) && strcmp(back, key) == 0);
		/* near misses: another salt, a prefix, one byte longer */
		key_of(key, sizeof(key), i, "parT");
		CHECK_RC(ice_pathset__find(s, key, strlen(key), NULL), ICE_ENOTFOUND);
		key_of(key, sizeof(key), i, "part");
		CHECK_RC(ice_pathset__find(s, key, strlen(key) - 1, NULL), ICE_ENOTFOUND);
		if (i % 3 == 0)
			ice_pathset__mark(s, idx, 2);
	}
	for (size_t i = 0; i < n; i++)
		CHECK(ice_pathset__marks(s, i) == (i % 3 == 0 ? 2 : 0));
	ice_pathset__free(s);
	ice_error_clear();
}

TEST(test_maintain_pathset__every_allocation_failure)
{
	char key[256];
	for (uint64_t f = 1;; f++) {
		ice_pathset *s = NULL;
		int64_t before = ice_alloc_outstanding();
		int rc;
		ice_alloc_fail_at(f, false);
		if ((rc = ice_pathset__new(&s, 1 << 20)) == 0)
			for (size_t i = 0; i < 20000 && !rc; i++) {
				key_of(key, sizeof(key), i, "f");
				rc = ice_pathset__add(s, key, strlen(key), 0, NULL, NULL);
			}
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		if (!rc) {
			for (size_t i = 0; i < 20000; i++) {
				key_of(key, sizeof(key), i, "f");
				CHECK_OK(ice_pathset__find(s, key, strlen(key), NULL));
			}
		}
		ice_pathset__free(s);
		ice_error_clear();
		CHECK_MSG(ice_alloc_outstanding() == before, "leak after failing allocation %llu", (unsigned long long)f);
		if (!injected)
			break;
		CHECK(rc == ICE_ERROR);
	}
}

/* ---- retention rules ------------------------------------------------------------------ */

#define NOW INT64_C(2000000000000)
#define DAY INT64_C(86400000)

typedef struct snap_spec {
	int64_t id, parent, age_days_x10; /* age in tenths of days */
} snap_spec;

/* Metadata with these snapshots, main at `main_id`, refs and properties as
 * JSON members. */
static ice_table_metadata *retention_table(const snap_spec *snaps, size_t n, int64_t main_id, const char *refs,
                                           const char *props)
{
	char *json = malloc(65536);
	size_t off = 0;
	off += (size_t)snprintf(json + off, 65536 - off,
	                        "{\"format-version\":2,\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\","
	                        "\"location\":\"/tmp/retention\",\"last-sequence-number\":%zu,"
	                        "\"last-updated-ms\":%lld,\"last-column-id\":1,\"current-schema-id\":0,"
	                        "\"schemas\":[{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"id\","
	                        "\"required\":true,\"type\":\"long\"}]}],\"default-spec-id\":0,"
	                        "\"partition-specs\":[{\"spec-id\":0,\"fields\":[]}],\"last-partition-id\":999,"
	                        "\"default-sort-order-id\":0,\"sort-orders\":[{\"order-id\":0,\"fields\":[]}],"
	                        "\"properties\":{%s},\"current-snapshot-id\":%lld,\"refs\":{%s},\"snapshots\":[",
	                        n, (long long)NOW, props, (long long)main_id, refs);
	for (size_t i = 0; i < n; i++) {
		char parent[64] = "";
		if (snaps[i].parent)
			snprintf(parent, sizeof(parent), "\"parent-snapshot-id\":%lld,", (long long)snaps[i].parent);
		off += (size_t)snprintf(json + off, 65536 - off,
		                        "%s{\"snapshot-id\":%lld,%s\"sequence-number\":%zu,\"timestamp-ms\":%lld,"
		                        "\"manifest-list\":\"/tmp/retention/metadata/snap-%lld.avro\","
		                        "\"summary\":{\"operation\":\"append\"},\"schema-id\":0}",
		                        i ? "," : "", (long long)snaps[i].id, parent, i + 1,
		                        (long long)(NOW - snaps[i].age_days_x10 * DAY / 10), (long long)snaps[i].id);
	}
	snprintf(json + off, 65536 - off, "],\"snapshot-log\":[],\"metadata-log\":[]}");
	ice_table_metadata *md = NULL;
	if (ice_table_metadata_parse(&md, json, strlen(json), "retention.json") != 0)
		md = NULL;
	free(json);
	return md;
}

static bool expired_are(const ice_expiry_plan *p, const int64_t *ids, size_t n)
{
	if (p->nexpired != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (size_t k = 0; k < p->nexpired; k++)
			found |= p->expired_ids[k] == ids[i];
		if (!found)
			return false;
	}
	return true;
}

/*
 * main: 1 (10d) <- 2 (8d) <- 3 (6d) <- 4 (4d) <- 5 (1d)
 * branch b: 2 <- 6 (9d) <- 7 (7d), retention: keep 1, max snapshot age 1d
 * tag old -> 1 (max ref age 5d: goes); tag keep -> 3
 * unreferenced: 8 (2d, parent 4), 9 (20d)
 */
static const snap_spec history[] = {{1, 0, 100}, {2, 1, 80}, {3, 2, 60}, {4, 3, 40}, {5, 4, 10},
                                    {6, 2, 90},  {7, 6, 70}, {8, 4, 20}, {9, 0, 200}};
static const char *history_refs =
    "\"main\":{\"snapshot-id\":5,\"type\":\"branch\"},"
    "\"b\":{\"snapshot-id\":7,\"type\":\"branch\",\"min-snapshots-to-keep\":1,\"max-snapshot-age-ms\":86400000},"
    "\"old\":{\"snapshot-id\":1,\"type\":\"tag\",\"max-ref-age-ms\":432000000},"
    "\"keep\":{\"snapshot-id\":3,\"type\":\"tag\"}";

TEST(test_maintain_retain__java_rules)
{
	ice_table_metadata *md = retention_table(history, 9, 5, history_refs, "");
	ice_expire_options o;
	ice_expiry_plan p;
	CHECK_MSG(md != NULL, "metadata: %s", LAST_ERROR());
	ice_expire_options_init(&o);
	ice_expiry__plan_init(&p);

	/* Defaults: 5 days, keep 1. */
	CHECK_OK(ice_expiry__plan(&p, md, NULL, &o, NOW));
	static const int64_t want1[] = {1, 2, 6, 9};
	CHECK(expired_are(&p, want1, 4));
	CHECK(p.nrefs == 1 && strcmp(p.refs[0], "old") == 0);
	CHECK(p.nkept_refs == 3);

	/* retain_last 3 keeps three of each branch whose own setting is unset:
	 * main 5,4,3; b keeps its own 1. */
	ice_expiry__plan_free(&p);
	o.has_retain_last = true;
	o.retain_last = 3;
	CHECK_OK(ice_expiry__plan(&p, md, NULL, &o, NOW));
	static const int64_t want2[] = {1, 2, 6, 9};
	CHECK(expired_are(&p, want2, 4));

	/* Older than 8.5 days: main keeps 5,4,3,2; 9 still goes. */
	ice_expiry__plan_free(&p);
	o.has_retain_last = false;
	o.has_older_than_ms = true;
	o.older_than_ms = NOW - 85 * DAY / 10;
	CHECK_OK(ice_expiry__plan(&p, md, NULL, &o, NOW));
	static const int64_t want3[] = {1, 6, 9};
	CHECK(expired_are(&p, want3, 3));

	/* Named snapshots go even when kept by age; never one a ref points at. */
	ice_expiry__plan_free(&p);
	o.has_older_than_ms = false;
	int64_t named[] = {4};
	o.snapshot_ids = named;
	o.n_snapshot_ids = 1;
	CHECK_OK(ice_expiry__plan(&p, md, NULL, &o, NOW));
	static const int64_t want4[] = {1, 2, 4, 6, 9};
	CHECK(expired_are(&p, want4, 5));
	ice_expiry__plan_free(&p);
	named[0] = 7;
	CHECK_RC(ice_expiry__plan(&p, md, NULL, &o, NOW), ICE_EINVALID);
	CHECK(strstr(LAST_ERROR(), "ref 'b' still points at it") != NULL);
	ice_expiry__plan_free(&p);
	named[0] = 12345;
	CHECK_RC(ice_expiry__plan(&p, md, NULL, &o, NOW), ICE_ENOTFOUND);
	ice_expiry__plan_free(&p);
	o.n_snapshot_ids = 0;

	/* retain_last must be positive. */
	o.has_retain_last = true;
	o.retain_last = 0;
	CHECK_RC(ice_expiry__plan(&p, md, NULL, &o, NOW), ICE_EINVALID);
	ice_expiry__plan_free(&p);
	ice_table_metadata_free(md);
	ice_error_clear();
}

TEST(test_maintain_retain__table_properties)
{
	/* history.expire.*: 2 days, keep 2, refs older than 3 days go. */
	ice_table_metadata *md =
	    retention_table(history, 9, 5, history_refs,
	                    "\"history.expire.max-snapshot-age-ms\":\"172800000\",\"history.expire.min-snapshots-to-keep\":"
	                    "\"2\",\"history.expire.max-ref-age-ms\":\"259200000\"");
	ice_expire_options o;
	ice_expiry_plan p;
	CHECK_MSG(md != NULL, "metadata: %s", LAST_ERROR());
	ice_expire_options_init(&o);
	ice_expiry__plan_init(&p);
	CHECK_OK(ice_expiry__plan(&p, md, NULL, &o, NOW));
	/* main keeps 5 and 4 (two); b (7d old) and tag keep (6d) are past 3 days:
	 * removed with tag old; 8 (2d, unreferenced) is at the limit and stays. */
	CHECK(p.nrefs == 3);
	static const int64_t want[] = {1, 2, 3, 6, 7, 9};
	CHECK(expired_are(&p, want, 6));
	ice_expiry__plan_free(&p);
	ice_table_metadata_free(md);

	md = retention_table(history, 9, 5, history_refs, "\"history.expire.min-snapshots-to-keep\":\"lots\"");
	CHECK(md != NULL);
	CHECK_RC(ice_expiry__plan(&p, md, NULL, &o, NOW), ICE_EINVALID);
	CHECK(strstr(LAST_ERROR(), "history.expire.min-snapshots-to-keep") != NULL);
	ice_expiry__plan_free(&p);
	ice_table_metadata_free(md);
	ice_arena__free(&p.arena);
	ice_error_clear();
}

/* ---- end to end ------------------------------------------------------------------------ */

/* A scratch directory, on tmpfs where there is one: the fault loops commit
 * thousands of times and fsync costs nothing there. */
static bool scratch_dir(char *out, size_t cap, const char *tag)
{
	struct stat st;
	const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0
	                       ? "/dev/shm"
	                       : "/tmp";
	snprintf(out, cap, "%s/ice-maintain-%s-XXXXXX", base, tag);
	return mkdtemp(out) != NULL;
}

static bool errno_is_exist(void)
{
	return errno == EEXIST;
}

static int count_cb(const ice_io_file_info *f, void *payload)
{
	(void)f;
	(*(int *)payload)++;
	return 0;
}

static int count_files(ice_io *io, const char *dir)
{
	int n = 0;
	ice_io_list_recursive(io, dir, count_cb, &n);
	ice_error_clear();
	return n;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A table with four appends and a delete of the first append's rows. */
static int make_table(ice_io *io, const char *dir)
{
	ice_schema *schema = NULL;
	ice_table_create_options co;
	ice_table *t = NULL;
	char csv[300];
	int rc;
	ice_test_rm_tree(dir);
	if ((rc = ice_schema_parse_dsl(&schema, "id long, name string")) != 0)
		return rc;
	ice_table_create_options_init(&co);
	co.schema = schema;
	rc = ice_table_create(&t, NULL, io, dir, &co);
	ice_schema_free(schema);
	snprintf(csv, sizeof(csv), "%s.csv", dir);
	for (int i = 1; i <= 4 && !rc; i++) {
		char text[64];
		const char *in = csv;
		snprintf(text, sizeof(text), "id,name\n%d,n%d\n", i, i);
		write_text(csv, text);
		rc = ice_table_append_files(t, &in, 1, NULL, NULL, NULL, NULL);
	}
	if (!rc)
		rc = ice_table_delete_where(t, "id = 1", NULL, NULL, NULL, NULL);
	unlink(csv);
	ice_table_free(t);
	return rc;
}

/* Copy a directory tree of small files (no fsync: a pristine table is
 * restored from it in every round of the fault loops). */
static const char *copy_from, *copy_to;

static int copy_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	char dst[512];
	snprintf(dst, sizeof(dst), "%s%s", copy_to, path + strlen(copy_from));
	if (flag == FTW_D)
		return mkdir(dst, 0777) == 0 || errno_is_exist() ? 0 : -1;
	FILE *in = fopen(path, "rb"), *out = fopen(dst, "wb");
	char buf[8192];
	size_t n;
	int rc = in && out ? 0 : -1;
	while (!rc && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		rc = fwrite(buf, 1, n, out) == n ? 0 : -1;
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	(void)st;
	return rc;
}

static int copy_tree(const char *from, const char *to)
{
	copy_from = from;
	copy_to = to;
	ice_test_rm_tree(to);
	return nftw(from, copy_entry, 16, FTW_PHYS);
}

/* Every file the table's snapshots reach exists. */
static bool all_reachable_exist(ice_io *io, const char *dir)
{
	ice_table *t;
	bool ok = true;
	if (ice_table_open(&t, io, dir) != 0) {
		fprintf(stderr, "reachable files: opening the table: %s\n", ice_error_last() ? ice_error_last()->message : "?");
		return false;
	}
	const ice_table_metadata *md = ice_table_current(t);
	for (size_t i = 0; i < ice_table_metadata_snapshot_count(md) && ok; i++) {
		ice_manifest_list *list;
		if (ice_manifest_list_read_snapshot(&list, io, md, ice_table_metadata_snapshot_at(md, i)) != 0) {
			fprintf(stderr, "reachable files: %s\n", ice_error_last() ? ice_error_last()->message : "?");
			ok = false;
			break;
		}
		for (size_t j = 0; j < list->n && ok; j++) {
			ice_manifest_reader *r;
			const ice_manifest_entry *e;
			if (ice_manifest_open(&r, io, md, &list->items[j]) != 0) {
				fprintf(stderr, "reachable files: %s\n", ice_error_last() ? ice_error_last()->message : "?");
				ok = false;
				break;
			}
			int rc;
			while ((rc = ice_manifest_next(r, &e)) == 0) {
				bool exists = false;
				if (e->status != ICE_MANIFEST_ENTRY_DELETED &&
				    (ice_io_exists(io, e->data_file.file_path, &exists) != 0 || !exists)) {
					fprintf(stderr, "reachable files: %s is gone\n", e->data_file.file_path);
					ok = false;
				}
			}
			if (rc != ICE_ITEROVER)
				fprintf(stderr, "reachable files: %s\n", ice_error_last() ? ice_error_last()->message : "?");
			ok = ok && rc == ICE_ITEROVER;
			ice_manifest_reader_free(r);
		}
		ice_manifest_list_free(list);
	}
	ice_table_free(t);
	ice_error_clear();
	return ok;
}

TEST(test_maintain_expire__end_to_end)
{
	ice_io *io;
	ice_table *t;
	ice_expire_options o;
	ice_expire_report r;
	char dir[128];
	CHECK(scratch_dir(dir, sizeof(dir), "e2e"));
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(make_table(io, dir));
	int before = count_files(io, dir);
	CHECK_OK(ice_table_open(&t, io, dir));
	ice_expire_options_init(&o);
	o.has_older_than_ms = true;
	o.older_than_ms = ice_maintain__now_ms() + 1000;
	/* A dry run changes nothing. */
	o.dry_run = true;
	CHECK_OK(ice_table_expire_snapshots(t, &o, &r));
	CHECK(!r.committed && r.snapshots_expired == 4 && r.snapshots_after == 1);
	CHECK(r.files.deleted[ICE_FILE_DATA] == 1 && r.files.deleted[ICE_FILE_MANIFEST_LIST] == 4);
	int64_t would = ice_delete_counts_total(&r.files);
	ice_expire_report_free(&r);
	CHECK(count_files(io, dir) == before);
	CHECK(ice_table_metadata_snapshot_count(ice_table_current(t)) == 5);
	o.dry_run = false;
	CHECK_OK(ice_table_expire_snapshots(t, &o, &r));
	CHECK(r.committed && r.snapshots_expired == 4 && ice_delete_counts_total(&r.files) == would);
	CHECK(r.files.missing == 0 && r.files.outside == 0 && r.files.failed == 0);
	ice_expire_report_free(&r);
	/* the files it deleted are gone, one metadata version more */
	CHECK(count_files(io, dir) == before - (int)would + 1);
	CHECK(all_reachable_exist(io, dir));
	/* Again: nothing to expire, nothing committed. */
	CHECK_OK(ice_table_expire_snapshots(t, &o, &r));
	CHECK(!r.committed && r.snapshots_expired == 0);
	ice_expire_report_free(&r);
	ice_table_free(t);

	/* Orphans: a stray file, a hidden one, a young one. */
	char path[256];
	snprintf(path, sizeof(path), "%s/data/stray.parquet", dir);
	write_text(path, "x");
	snprintf(path, sizeof(path), "%s/data/.hidden", dir);
	write_text(path, "x");
	CHECK_OK(ice_table_open(&t, io, dir));
	ice_orphan_options oo;
	ice_orphan_report orep;
	ice_orphan_options_init(&oo);
	CHECK_RC(ice_table_remove_orphan_files(t, &oo, &orep), 0); /* default guard: 3 days, nothing that old */
	CHECK(orep.orphans == 0 && orep.files_too_new > 0);
	oo.has_older_than_ms = true;
	oo.older_than_ms = ice_maintain__now_ms() + 1000;
	CHECK_RC(ice_table_remove_orphan_files(t, &oo, &orep), ICE_EINVALID); /* under an hour */
	ice_error_clear();
	oo.force = true;
	CHECK_OK(ice_table_remove_orphan_files(t, &oo, &orep));
	CHECK(orep.orphans == 1 && orep.files.deleted[ICE_FILE_OTHER] == 1 && orep.files_hidden == 1);
	CHECK(all_reachable_exist(io, dir));
	ice_table_free(t);
	ice_test_rm_tree(dir);
	ice_io_free(io);
}

/* Every allocation failing in turn: no leak, an error, the table loads and
 * reaches only files that exist; after a failure past the commit the next
 * run finishes the job. */
TEST(test_maintain_expire__every_allocation_failure)
{
	ice_io *io;
	char dir[128], pristine[160];
	CHECK(scratch_dir(dir, sizeof(dir), "faults"));
	snprintf(pristine, sizeof(pristine), "%s.pristine", dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(make_table(io, dir));
	CHECK(copy_tree(dir, pristine) == 0);
	/* What a whole run leaves. */
	int expected_after;
	{
		ice_table *t;
		ice_expire_options o;
		ice_expire_report r;
		ice_expire_options_init(&o);
		o.has_older_than_ms = true;
		o.older_than_ms = ice_maintain__now_ms() + 1000;
		CHECK_OK(ice_table_open(&t, io, dir));
		CHECK_OK(ice_table_expire_snapshots(t, &o, &r));
		ice_expire_report_free(&r);
		ice_table_free(t);
		expected_after = count_files(io, dir);
		CHECK(copy_tree(pristine, dir) == 0);
	}
	for (uint64_t n = 1;; n++) {
		ice_table *t;
		ice_expire_options o;
		ice_expire_report r;
		ice_expire_options_init(&o);
		o.has_older_than_ms = true;
		o.older_than_ms = ice_maintain__now_ms() + 1000;
		o.threads = 1 + (int)(n % 3);
		int64_t before = ice_alloc_outstanding();
		CHECK_OK(ice_table_open(&t, io, dir));
		ice_alloc_fail_at(n, false);
		int rc = ice_table_expire_snapshots(t, &o, &r);
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		bool committed = r.committed, has_error = ice_error_last() != NULL;
		ice_expire_report_free(&r);
		ice_table_free(t);
		CHECK_MSG(ice_alloc_outstanding() == before, "allocation %llu: leak", (unsigned long long)n);
		CHECK_MSG(all_reachable_exist(io, dir), "allocation %llu: a reachable file is gone", (unsigned long long)n);
		if (!injected) {
			CHECK_OK(rc);
			CHECK(count_files(io, dir) == expected_after);
			break;
		}
		/* Only a best-effort step (version-hint.text) may fail unnoticed:
		 * the run is then whole. */
		CHECK_MSG(rc != 0 || count_files(io, dir) == expected_after, "allocation %llu failed unnoticed",
		          (unsigned long long)n);
		if (rc == 0 || committed) {
			/* committed: start over from the table as it was */
			CHECK_MSG(rc == 0 || has_error, "allocation %llu: %d without an error",
			          (unsigned long long)n, rc);
			CHECK(copy_tree(pristine, dir) == 0);
		}
		ice_error_clear();
		CHECK(n < 100000);
	}
	ice_test_rm_tree(dir);
	ice_test_rm_tree(pristine);
	ice_io_free(io);
}

TEST(test_maintain_orphans__every_allocation_failure)
{
	ice_io *io;
	char dir[128], path[300];
	CHECK(scratch_dir(dir, sizeof(dir), "ofaults"));
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(make_table(io, dir));
	for (uint64_t n = 1;; n++) {
		ice_table *t;
		ice_orphan_options o;
		ice_orphan_report r;
		snprintf(path, sizeof(path), "%s/data/stray.parquet", dir);
		write_text(path, "x");
		ice_orphan_options_init(&o);
		o.has_older_than_ms = true;
		o.older_than_ms = ice_maintain__now_ms() + 1000;
		o.force = true;
		o.threads = 1 + (int)(n % 2);
		int64_t before = ice_alloc_outstanding();
		CHECK_OK(ice_table_open(&t, io, dir));
		ice_alloc_fail_at(n, false);
		int rc = ice_table_remove_orphan_files(t, &o, &r);
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		ice_table_free(t);
		CHECK_MSG(ice_alloc_outstanding() == before, "allocation %llu: leak", (unsigned long long)n);
		CHECK_MSG(all_reachable_exist(io, dir), "allocation %llu: a reachable file is gone", (unsigned long long)n);
		ice_error_clear();
		if (!injected) {
			CHECK_OK(rc);
			CHECK(r.orphans >= 1);
			break;
		}
		CHECK(n < 100000);
	}
	ice_test_rm_tree(dir);
	ice_io_free(io);
}

/* ---- compaction ------------------------------------------------------------------------ */

/* Spark's SizeBasedFileRewritePlanner numbers: defaults from the target,
 * expected output files and the split size a group's files roll at. */
TEST(test_maintain_compact__spark_size_rules)
{
	ice_table_metadata *md = NULL;
	ice_compact_options o;
	cp_sizes s;
	static const char json[] =
	    "{\"format-version\":2,\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\",\"location\":\"/t\","
	    "\"last-sequence-number\":0,\"last-updated-ms\":1,\"last-column-id\":1,\"current-schema-id\":0,"
	    "\"schemas\":[{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"id\",\"required\":true,"
	    "\"type\":\"long\"}]}],\"default-spec-id\":0,\"partition-specs\":[{\"spec-id\":0,\"fields\":[]}],"
	    "\"last-partition-id\":999,\"default-sort-order-id\":0,\"sort-orders\":[{\"order-id\":0,\"fields\":[]}],"
	    "\"properties\":{\"write.target-file-size-bytes\":\"1000000\"}}";
	const int64_t mib = 1 << 20;
	CHECK_OK(ice_table_metadata_parse(&md, json, sizeof(json) - 1, "t"));
	ice_compact_options_init(&o);
	CHECK_OK(ice_compact__sizes(&s, md, &o, "write.target-file-size-bytes", 512 * mib));
	CHECK_INT(s.target, 1000000);
	CHECK_INT(s.min, 750000);
	CHECK_INT(s.max, 1800000);
	CHECK_INT(s.min_input_files, 5);
	CHECK_INT(s.max_group, (int64_t)100 << 30);
	o.target_file_size = 512 * mib;
	CHECK_OK(ice_compact__sizes(&s, md, &o, "write.target-file-size-bytes", 512 * mib));
	CHECK_INT(s.min, 384 * mib);
	/* under the target: one file; a remainder above the min: one more */
	CHECK_INT(ice_compact__expected_files(&s, 100 * mib), 1);
	CHECK_INT(ice_compact__expected_files(&s, 1024 * mib + 400 * mib), 3);
	/* a small remainder goes into the others while they stay under 1.1 x the target */
	CHECK_INT(ice_compact__expected_files(&s, 1024 * mib + 10 * mib), 2);
	CHECK_INT(ice_compact__expected_files(&s, 512 * mib + 300 * mib), 2);
	/* split: at least the target, at most half-way to the max */
	CHECK_INT(ice_compact__split_size(&s, 100 * mib), 512 * mib);
	CHECK_INT(ice_compact__split_size(&s, 1034 * mib), 517 * mib + 5 * 1024);
	/* inconsistent sizes are refused */
	o.min_file_size = 600 * mib;
	CHECK_RC(ice_compact__sizes(&s, md, &o, "write.target-file-size-bytes", 512 * mib), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("min file size");
	ice_error_clear();
	ice_table_metadata_free(md);
}

/* A table partitioned by bucket(2, id), merge-on-read: `appends` appends
 * of four rows, a delete of two of them (position deletes). */
static int make_compact_table(ice_io *io, const char *dir, int version, int appends)
{
	ice_schema *schema = NULL;
	ice_partition_spec *spec = NULL;
	ice_table_create_options co;
	ice_table *t = NULL;
	ice_delete_options dopt;
	static const ice_property props[] = {{"write.delete.mode", "merge-on-read"}};
	ice_properties p = {1, props};
	char csv[300];
	int rc;
	ice_test_rm_tree(dir);
	if ((rc = ice_schema_parse_dsl(&schema, "id long, name string")) != 0 ||
	    (rc = ice_partition_spec_parse_dsl(&spec, "bucket(2, id)", schema)) != 0) {
		ice_schema_free(schema);
		return rc;
	}
	ice_table_create_options_init(&co);
	co.schema = schema;
	co.spec = spec;
	co.properties = &p;
	co.format_version = version;
	rc = ice_table_create(&t, NULL, io, dir, &co);
	ice_schema_free(schema);
	ice_partition_spec_free(spec);
	snprintf(csv, sizeof(csv), "%s.csv", dir);
	for (int i = 0; i < appends && !rc; i++) {
		char text[128];
		const char *in = csv;
		snprintf(text, sizeof(text), "id,name\n%d,a\n%d,b\n%d,c\n%d,d\n", 10 * i, 10 * i + 1, 10 * i + 2, 10 * i + 3);
		write_text(csv, text);
		rc = ice_table_append_files(t, &in, 1, NULL, NULL, NULL, NULL);
	}
	ice_delete_options_init(&dopt);
	if (!rc)
		rc = ice_table_delete_where(t, "id = 11 or id = 32", &dopt, NULL, NULL, NULL);
	unlink(csv);
	ice_table_free(t);
	return rc;
}

/* Rows of the current snapshot and the sum of their ids. */
static int64_t scan_rows(ice_io *io, const char *dir, int64_t *sum)
{
	ice_table *t;
	ice_scan *scan = NULL;
	ice_scan_options so;
	struct ArrowArrayStream st;
	struct ArrowArray b;
	int64_t n = 0;
	*sum = 0;
	if (ice_table_open(&t, io, dir) != 0)
		return -1;
	ice_scan_options_init(&so);
	if (ice_scan_new(&scan, io, ice_table_current(t), &so) != 0 || ice_scan_to_stream(scan, &st) != 0) {
		ice_scan_free(scan);
		ice_table_free(t);
		return -1;
	}
	while (st.get_next(&st, &b) == 0 && b.release) {
		const int64_t *ids = (const int64_t *)b.children[0]->buffers[1];
		for (int64_t i = 0; i < b.length; i++)
			*sum += ids[b.children[0]->offset + i];
		n += b.length;
		b.release(&b);
	}
	st.release(&st);
	ice_scan_free(scan);
	ice_table_free(t);
	return n;
}

TEST(test_maintain_compact__end_to_end)
{
	for (int version = 2; version <= 3; version++) {
		ice_io *io;
		ice_table *t;
		ice_compact_options o;
		ice_compact_report r;
		char dir[128];
		int64_t sum0, sum;
		CHECK(scratch_dir(dir, sizeof(dir), "compact"));
		CHECK_OK(ice_io_new(&io));
		CHECK_OK(make_compact_table(io, dir, version, 6));
		int64_t rows = scan_rows(io, dir, &sum0);
		CHECK_INT(rows, 22);
		int before = count_files(io, dir);
		CHECK_OK(ice_table_open(&t, io, dir));
		ice_compact_options_init(&o);
		o.dry_run = true;
		/* ten data files: six appends, four of them into both buckets */
		CHECK_OK(ice_table_compact(t, &o, NULL, &r, NULL));
		CHECK_MSG(r.ngroups == 1 && r.candidates == 10, "%zu groups, %lld candidates", r.ngroups,
		          (long long)r.candidates);
		ice_compact_report_free(&r);
		o.min_input_files = 2;
		CHECK_OK(ice_table_compact(t, &o, NULL, &r, NULL));
		CHECK(!r.committed && r.ngroups == 2 && r.candidates == 10);
		ice_compact_report_free(&r);
		CHECK(count_files(io, dir) == before);
		o.dry_run = false;
		CHECK_OK(ice_table_compact(t, &o, NULL, &r, NULL));
		CHECK(r.committed && r.commits == 1 && r.data_files_removed == 10 && r.data_files_added == 2);
		CHECK(r.delete_files_removed >= 1 && r.rows_written == 22 && r.groups_rewritten == 2);
		ice_compact_report_free(&r);
		const ice_snapshot *s = ice_table_metadata_current_snapshot(ice_table_current(t));
		CHECK_STR(ice_properties_get(&s->summary, "operation"), "replace");
		CHECK_INT(scan_rows(io, dir, &sum), rows);
		CHECK_INT(sum, sum0);
		CHECK(all_reachable_exist(io, dir));
		/* again: nothing worth rewriting */
		CHECK_OK(ice_table_compact(t, &o, NULL, &r, NULL));
		CHECK(!r.committed && r.ngroups == 0);
		ice_compact_report_free(&r);
		ice_table_free(t);
		ice_test_rm_tree(dir);
		ice_io_free(io);
	}
}

/* Every allocation failing in turn, in data and delete compaction: no
 * leak, an error, the same rows, every reachable file there, and after a
 * definite failure no file left behind. */
TEST(test_maintain_compact__every_allocation_failure)
{
	for (int deletes = 0; deletes <= 1; deletes++) {
		ice_io *io;
		char dir[128], pristine[160];
		int64_t sum0, sum;
		CHECK(scratch_dir(dir, sizeof(dir), "cfaults"));
		snprintf(pristine, sizeof(pristine), "%s.pristine", dir);
		CHECK_OK(ice_io_new(&io));
		CHECK_OK(make_compact_table(io, dir, 2, 3));
		CHECK(copy_tree(dir, pristine) == 0);
		int64_t rows = scan_rows(io, dir, &sum0);
		int before = count_files(io, dir);
		/* Every allocation of the first 200 (opening, planning), then every
		 * 5th (data) or 2nd (deletes): under ASan each round costs a tenth
		 * of a second, and the stride still walks every phase.
		 * ICE_TEST_FAULT_STRIDE=1 tries every one. */
		const char *env = getenv("ICE_TEST_FAULT_STRIDE");
		uint64_t stride = env && atoi(env) > 0 ? (uint64_t)atoi(env) : deletes ? 2 : 5;
		for (uint64_t n = 1;; n += n < 200 ? 1 : stride) {
			ice_table *t;
			ice_compact_options o;
			ice_compact_report r;
			ice_commit_result cr;
			ice_compact_options_init(&o);
			o.threads = 1 + (int)(n % 2);
			o.min_input_files = 2;
			o.rewrite_all = deletes; /* every position delete file */
			int64_t outstanding = ice_alloc_outstanding();
			CHECK_OK(ice_table_open(&t, io, dir));
			ice_alloc_fail_at(n, false);
			int rc = deletes ? ice_table_compact_deletes(t, &o, NULL, &r, &cr) : ice_table_compact(t, &o, NULL, &r, &cr);
			bool injected = ice_alloc_injected_failure();
			ice_alloc_fail_at(0, false);
			bool committed = r.committed;
			ice_compact_report_free(&r);
			ice_table_free(t);
			CHECK_MSG(ice_alloc_outstanding() == outstanding, "allocation %llu: leak", (unsigned long long)n);
			CHECK_MSG(all_reachable_exist(io, dir), "allocation %llu: a reachable file is gone",
			          (unsigned long long)n);
			int64_t got = scan_rows(io, dir, &sum);
			CHECK_MSG(got == rows && sum == sum0, "allocation %llu (%s): %lld rows (ids sum to %lld), not %lld (%lld)",
			          (unsigned long long)n, deletes ? "deletes" : "data", (long long)got, (long long)sum,
			          (long long)rows, (long long)sum0);
			if (!injected) {
				CHECK_OK(rc);
				CHECK(committed);
				break;
			}
			if (rc && !committed && cr.state == ICE_COMMIT_FAILED)
				CHECK_MSG(count_files(io, dir) == before, "allocation %llu: files left behind (%d, not %d)",
				          (unsigned long long)n, count_files(io, dir), before);
			if (rc == 0 || committed)
				CHECK(copy_tree(pristine, dir) == 0);
			ice_error_clear();
			CHECK(n < 200000);
			if (ice_test_failed())
				break;
		}
		ice_test_rm_tree(dir);
		ice_test_rm_tree(pristine);
		ice_io_free(io);
	}
}

/* ice_table_maintain: compaction, then expiry of what it replaced, then
 * orphans; steps turned off by options and properties; a dry run. */
TEST(test_maintain_cron__steps_in_order)
{
	ice_io *io;
	ice_table *t;
	ice_maintain_options mo;
	ice_maintain_report r;
	ice_expire_options eo;
	ice_compact_options co;
	char dir[128];
	int64_t sum0, sum;
	CHECK(scratch_dir(dir, sizeof(dir), "cron"));
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(make_compact_table(io, dir, 2, 6));
	int64_t rows = scan_rows(io, dir, &sum0);
	int before = count_files(io, dir);
	CHECK_OK(ice_table_open(&t, io, dir));
	ice_maintain_options_init(&mo);
	ice_expire_options_init(&eo);
	ice_compact_options_init(&co);
	co.min_input_files = 2;
	eo.has_older_than_ms = true;
	eo.older_than_ms = ice_maintain__now_ms() + 1000;
	mo.compact = &co;
	mo.expire = &eo;
	mo.dry_run = true;
	CHECK_OK(ice_table_maintain(t, &mo, &r));
	CHECK(r.failed == 0 && r.steps[ICE_MAINTAIN_COMPACT].ran && r.steps[ICE_MAINTAIN_COMPACT].files_removed == 10);
	CHECK(!r.steps[ICE_MAINTAIN_COMPACT].changed && !r.steps[ICE_MAINTAIN_REWRITE_MANIFESTS].ran);
	ice_maintain_report_free(&r);
	CHECK(count_files(io, dir) == before);
	mo.dry_run = false;
	mo.steps[ICE_MAINTAIN_REMOVE_ORPHANS] = false;
	CHECK_OK(ice_table_maintain(t, &mo, &r));
	CHECK(r.steps[ICE_MAINTAIN_COMPACT].changed && r.steps[ICE_MAINTAIN_COMPACT].files_written == 2);
	CHECK(r.steps[ICE_MAINTAIN_EXPIRE_SNAPSHOTS].changed && r.steps[ICE_MAINTAIN_EXPIRE_SNAPSHOTS].files_removed > 10);
	CHECK(!r.steps[ICE_MAINTAIN_REMOVE_ORPHANS].ran);
	CHECK_STR(r.steps[ICE_MAINTAIN_REMOVE_ORPHANS].skipped, "not asked for");
	ice_maintain_report_free(&r);
	CHECK_INT(ice_table_metadata_snapshot_count(ice_table_current(t)), 1);
	CHECK_INT(scan_rows(io, dir, &sum), rows);
	CHECK_INT(sum, sum0);
	CHECK(all_reachable_exist(io, dir));
	ice_table_free(t);
	ice_test_rm_tree(dir);
	ice_io_free(io);
}
