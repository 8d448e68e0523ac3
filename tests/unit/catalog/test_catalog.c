/*
 * tests/unit/catalog/test_catalog.c - the file-system catalog: namespaces
 * (create, list, properties, drop when empty), tables (create, list, load,
 * exists, drop, drop with purge), names, the configuration file, and the
 * publish-without-replace that commits rest on.
 */
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
	snprintf(dir, sizeof(dir), "/tmp/ice-catalog-%s-XXXXXX", tag);
	if (!mkdtemp(dir))
		return NULL;
	return dir;
}

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

TEST(test_catalog_io__write_new_never_replaces)
{
	ice_io *io;
	char path[256];
	uint8_t *data;
	size_t len;
	const char *dir = tmp_dir("io");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	snprintf(path, sizeof(path), "%s/a/b/v1.metadata.json", dir);
	CHECK_OK(ice_io_write_new(io, path, "first", 5));
	CHECK_RC(ice_io_write_new(io, path, "second", 6), ICE_EEXISTS);
	CHECK_OK(ice_io_read_all(io, path, 0, &data, &len));
	CHECK(len == 5 && memcmp(data, "first", 5) == 0);
	ice_free(data);
	CHECK_OK(ice_io_delete(io, path));
	CHECK_RC(ice_io_delete(io, path), ICE_ENOTFOUND);
	bool removed = false;
	CHECK_OK(ice_io_remove_empty_dirs(io, dir, &removed));
	CHECK(removed);
	CHECK(!file_exists(dir)); /* no temporaries were left behind */
	ice_io_free(io);
}

static int count_file(const ice_io_file_info *f, void *payload)
{
	(void)f;
	(*(int *)payload)++;
	return 0;
}

TEST(test_catalog_io__list_recursive)
{
	ice_io *io;
	char path[256];
	int n = 0;
	const char *dir = tmp_dir("walk");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	const char *names[] = {"x", "a/y", "a/b/z", "c/d/e/w"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		CHECK_OK(ice_io_write_new(io, path, "1", 1));
	}
	CHECK_OK(ice_io_list_recursive(io, dir, count_file, &n));
	CHECK_INT(n, 4);
	snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK_RC(ice_io_list_recursive(io, path, count_file, &n), ICE_ENOTFOUND);
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		CHECK_OK(ice_io_delete(io, path));
	}
	CHECK_OK(ice_io_remove_empty_dirs(io, dir, NULL));
	ice_io_free(io);
}

static ice_schema *simple_schema(void)
{
	ice_schema *s = NULL;
	ice_schema_parse_dsl(&s, "id long required, name string");
	return s;
}

TEST(test_catalog_fs__namespaces)
{
	ice_io *io;
	ice_catalog *c;
	ice_string_list list;
	ice_properties props;
	bool exists;
	const char *dir = tmp_dir("ns");
	CHECK(dir);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_catalog_open(&c, io, dir));
	CHECK_OK(ice_catalog_create_namespace(c, "db", NULL));
	CHECK_RC(ice_catalog_create_namespace(c, "db", NULL), ICE_EEXISTS);
	ice_property kv[] = {{"owner", "ice"}, {"comment", "test"}};
	ice_properties p2 = {2, kv};
	CHECK_OK(ice_catalog_create_namespace(c, "a.b", &p2));
	CHECK_OK(ice_catalog_list_namespaces(c, NULL, &list));
	CHECK_INT(list.n, 2);
	CHECK_STR(list.items[0], "a");
	CHECK_STR(list.items[1], "db");
	ice_string_list_free(&list);
	CHECK_OK(ice_catalog_list_namespaces(c, "a", &list));
	CHECK_INT(list.n, 1);
	CHECK_STR(list.items[0], "a.b");
	ice_string_list_free(&list);
	CHECK_OK(ice_catalog_namespace_exists(c, "a.b", &exists));
	CHECK(exists);
	CHECK_OK(ice_catalog_namespace_exists(c, "nope", &exists));
	CHECK(!exists);
	CHECK_OK(ice_catalog_load_namespace_properties(c, "a.b", &props));
	CHECK_STR(ice_properties_get(&props, "owner"), "ice");
	CHECK(ice_properties_get(&props, "location") != NULL);
	ice_catalog_properties_free(&props);
	ice_property upd[] = {{"owner", "someone"}};
	ice_properties set = {1, upd};
	const char *rm[] = {"comment"};
	CHECK_OK(ice_catalog_update_namespace_properties(c, "a.b", &set, rm, 1));
	CHECK_OK(ice_catalog_load_namespace_properties(c, "a.b", &props));
	CHECK_STR(ice_properties_get(&props, "owner"), "someone");
	CHECK(ice_properties_get(&props, "comment") == NULL);
	ice_catalog_properties_free(&props);
	ice_property loc[] = {{"location", "/elsewhere"}};
	ice_properties bad = {1, loc};
	CHECK_RC(ice_catalog_update_namespace_properties(c, "a.b", &bad, NULL, 0), ICE_EINVALID);
	CHECK_RC(ice_catalog_load_namespace_properties(c, "nope", &props), ICE_ENOTFOUND);
	/* not empty, then empty */
	CHECK_RC(ice_catalog_drop_namespace(c, "a"), ICE_EINVALID);
	CHECK_OK(ice_catalog_drop_namespace(c, "a.b"));
	CHECK_OK(ice_catalog_drop_namespace(c, "a"));
	CHECK_RC(ice_catalog_drop_namespace(c, "a"), ICE_ENOTFOUND);
	CHECK_RC(ice_catalog_create_namespace(c, "bad..name", NULL), ICE_EINVALID);
	CHECK_RC(ice_catalog_create_namespace(c, "x/y", NULL), ICE_EINVALID);
	CHECK_OK(ice_catalog_drop_namespace(c, "db"));
	ice_catalog_free(c);
	rmdir(dir);
	ice_io_free(io);
}

TEST(test_catalog_fs__tables_create_load_drop)
{
	ice_io *io;
	ice_catalog *c;
	ice_table *t, *t2;
	ice_string_list list;
	ice_schema *schema = simple_schema();
	ice_table_create_options opts;
	ice_drop_report report;
	bool exists;
	char path[512];
	const char *dir = tmp_dir("tables");
	CHECK(dir && schema);
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_catalog_open(&c, io, dir));
	CHECK_OK(ice_catalog_create_namespace(c, "db", NULL));
	ice_table_create_options_init(&opts);
	opts.schema = schema;
	CHECK_OK(ice_table_create(&t, c, io, "db.events", &opts));
	CHECK_RC(ice_table_create(&t2, c, io, "db.events", &opts), ICE_EEXISTS);
	snprintf(path, sizeof(path), "%s/db/events/metadata/v1.metadata.json", dir);
	CHECK(file_exists(path));
	snprintf(path, sizeof(path), "%s/db/events/metadata/version-hint.text", dir);
	CHECK(file_exists(path));
	CHECK(strstr(ice_table_metadata_file(t), "/db/events/metadata/v1.metadata.json") != NULL);
	ice_table_free(t);
	CHECK_OK(ice_catalog_list_tables(c, "db", &list));
	CHECK_INT(list.n, 1);
	CHECK_STR(list.items[0], "events");
	ice_string_list_free(&list);
	/* a table is not a namespace */
	CHECK_OK(ice_catalog_list_namespaces(c, "db", &list));
	CHECK_INT(list.n, 0);
	ice_string_list_free(&list);
	CHECK_OK(ice_catalog_table_exists(c, "db.events", &exists));
	CHECK(exists);
	CHECK_OK(ice_table_load(&t, c, "db.events"));
	CHECK_INT(ice_table_metadata_format_version(ice_table_current(t)), 2);
	ice_table_free(t);
	CHECK_RC(ice_table_load(&t, c, "db.missing"), ICE_ENOTFOUND);
	CHECK_RC(ice_table_load(&t, c, "nodot"), ICE_EINVALID);
	CHECK_OK(ice_catalog_drop_table(c, "db.events", true, &report));
	CHECK_INT(report.files_deleted, 2); /* v1.metadata.json, version-hint.text */
	CHECK_INT(report.files_left, 0);
	CHECK_OK(ice_catalog_table_exists(c, "db.events", &exists));
	CHECK(!exists);
	CHECK_RC(ice_catalog_drop_table(c, "db.events", false, NULL), ICE_ENOTFOUND);
	CHECK_OK(ice_catalog_drop_namespace(c, "db"));
	ice_schema_free(schema);
	ice_catalog_free(c);
	rmdir(dir);
	ice_io_free(io);
}

TEST(test_catalog_config__named_catalogs)
{
	char cfg[256];
	char *uri = NULL;
	const char *dir = tmp_dir("cfg");
	CHECK(dir);
	snprintf(cfg, sizeof(cfg), "%s/config", dir);
	FILE *f = fopen(cfg, "w");
	CHECK(f);
	fprintf(f, "# catalogs\ndefault-catalog = local\ncatalog.local.uri = %s/wh\ncatalog.other.uri=/x\n", dir);
	fclose(f);
	const char *old = getenv("ICE_CONFIG");
	setenv("ICE_CONFIG", cfg, 1);
	int rc1 = ice_catalog_config_lookup(&uri, NULL);
	char expect[256];
	snprintf(expect, sizeof(expect), "%s/wh", dir);
	bool ok1 = rc1 == 0 && uri && strcmp(uri, expect) == 0;
	ice_free(uri);
	uri = NULL;
	int rc2 = ice_catalog_config_lookup(&uri, "other");
	bool ok2 = rc2 == 0 && uri && strcmp(uri, "/x") == 0;
	ice_free(uri);
	uri = NULL;
	int rc3 = ice_catalog_config_lookup(&uri, "missing");
	if (old)
		setenv("ICE_CONFIG", old, 1);
	else
		unsetenv("ICE_CONFIG");
	unlink(cfg);
	rmdir(dir);
	CHECK(ok1);
	CHECK(ok2);
	CHECK_INT(rc3, ICE_ENOTFOUND);
}

/* ---- the TABLE resolver ----------------------------------------------------- */

/* Environment without any configuration file (restored by the caller). */
typedef struct saved_env {
	char *config, *xdg, *home;
} saved_env;

static char *dup_env(const char *name)
{
	const char *v = getenv(name);
	return v ? strdup(v) : NULL;
}

static void no_config(saved_env *s, const char *home)
{
	s->config = dup_env("ICE_CONFIG");
	s->xdg = dup_env("XDG_CONFIG_HOME");
	s->home = dup_env("HOME");
	unsetenv("ICE_CONFIG");
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", home, 1);
}

static void restore_env(saved_env *s)
{
	const char *names[] = {"ICE_CONFIG", "XDG_CONFIG_HOME", "HOME"};
	char *vals[] = {s->config, s->xdg, s->home};
	for (int i = 0; i < 3; i++) {
		if (vals[i])
			setenv(names[i], vals[i], 1);
		else
			unsetenv(names[i]);
		free(vals[i]);
	}
}

/* One resolution; checks the form and that the table loads through the
 * catalog it came with. */
static int resolve_and_load(ice_io *io, const char *arg, const char *catalog, ice_table_use use,
                            ice_table_form *form_out)
{
	ice_resolved_table t;
	ice_table_metadata *md = NULL;
	char *loc = NULL;
	int rc = ice_catalog_resolve_table(&t, io, arg, catalog, use);
	if (rc)
		return rc;
	*form_out = t.form;
	if (use != ICE_TABLE_USE_CREATE)
		rc = ice_catalog_load_metadata(t.catalog, t.identifier, &md, &loc);
	ice_table_metadata_free(md);
	ice_free(loc);
	ice_resolved_table_clear(&t);
	return rc;
}

TEST(test_catalog_resolve__every_form)
{
	ice_io *io;
	ice_catalog *c;
	ice_table *t;
	ice_table_create_options opts;
	ice_schema *schema = NULL;
	ice_resolved_table r;
	ice_table_form form = 0;
	saved_env env;
	char path[512], md_file[600], home[256];
	const char *dir = tmp_dir("resolve");
	CHECK(dir);
	snprintf(home, sizeof(home), "%s/home", dir);
	mkdir(home, 0700);
	CHECK_OK(ice_schema_parse_dsl(&schema, "id long"));
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_catalog_open(&c, io, dir));
	ice_table_create_options_init(&opts);
	opts.schema = schema;
	CHECK_OK(ice_table_create(&t, c, io, "db.t", &opts));
	snprintf(md_file, sizeof(md_file), "%s", ice_table_metadata_file(t));
	ice_table_free(t);
	ice_catalog_free(c);
	no_config(&env, home);

	/* a name in the catalog */
	int rc = resolve_and_load(io, "db.t", dir, ICE_TABLE_USE_READ, &form);
	bool ok = rc == 0 && form == ICE_TABLE_FORM_NAME;
	/* a directory, its metadata/, a metadata file (reading only) */
	snprintf(path, sizeof(path), "%s/db/t", dir);
	ok = ok && resolve_and_load(io, path, NULL, ICE_TABLE_USE_WRITE, &form) == 0 && form == ICE_TABLE_FORM_DIRECTORY;
	snprintf(path, sizeof(path), "%s/db/t/metadata", dir);
	ok = ok && resolve_and_load(io, path, dir, ICE_TABLE_USE_READ, &form) == 0 && form == ICE_TABLE_FORM_DIRECTORY;
	ok = ok && resolve_and_load(io, md_file, NULL, ICE_TABLE_USE_READ, &form) == 0 &&
	     form == ICE_TABLE_FORM_METADATA_FILE;
	int rc_write_file = ice_catalog_resolve_table(&r, io, md_file, NULL, ICE_TABLE_USE_WRITE);
	/* not there: the error says what was tried */
	int rc_missing = ice_catalog_resolve_table(&r, io, "db.x", dir, ICE_TABLE_USE_READ);
	char missing_msg[512];
	snprintf(missing_msg, sizeof(missing_msg), "%s", LAST_ERROR());
	int rc_no_catalog = ice_catalog_resolve_table(&r, io, "my.events", NULL, ICE_TABLE_USE_CREATE);
	char no_catalog_msg[512];
	snprintf(no_catalog_msg, sizeof(no_catalog_msg), "%s", LAST_ERROR());
	int rc_typo = ice_catalog_resolve_table(&r, io, "db.t", "lcoal", ICE_TABLE_USE_READ);
	/* creating: a name need not exist; a new directory only by a path */
	int rc_new_name = resolve_and_load(io, "db.new", dir, ICE_TABLE_USE_CREATE, &form);
	bool new_name = rc_new_name == 0 && form == ICE_TABLE_FORM_NAME;
	snprintf(path, sizeof(path), "%s/fresh", dir);
	bool new_dir = resolve_and_load(io, path, NULL, ICE_TABLE_USE_CREATE, &form) == 0 &&
	               form == ICE_TABLE_FORM_DIRECTORY;
	/* every allocation failing, in every form */
	const char *args[] = {"db.t", md_file};
	bool faults_ok = true;
	for (size_t k = 0; k < 2 && faults_ok; k++) {
		bool done = false;
		for (uint64_t n = 1; n < 2000 && !done; n++) {
			ice_alloc_fail_at(n, false);
			int frc = resolve_and_load(io, args[k], dir, ICE_TABLE_USE_READ, &form);
			bool injected = ice_alloc_injected_failure();
			ice_alloc_fail_at(0, false);
			if (frc == 0)
				done = !injected;
			else if (frc != ICE_ERROR || !injected)
				faults_ok = false;
		}
		faults_ok = faults_ok && done;
	}
	restore_env(&env);
	CHECK(ok);
	CHECK_INT(rc_write_file, ICE_EINVALID);
	CHECK_INT(rc_missing, ICE_ENOTFOUND);
	CHECK_MSG(strstr(missing_msg, "no table 'db.x' in catalog") && strstr(missing_msg, "and no directory"), "%s",
	          missing_msg);
	CHECK_INT(rc_no_catalog, ICE_ENOTFOUND);
	CHECK_MSG(strstr(no_catalog_msg, "no catalog to create it in") != NULL, "%s", no_catalog_msg);
	CHECK_INT(rc_typo, ICE_ENOTFOUND);
	CHECK(new_name);
	CHECK(new_dir);
	CHECK(faults_ok);
	snprintf(path, sizeof(path), "%s/fresh", dir);
	CHECK(!file_exists(path)); /* resolving never creates */
	ice_schema_free(schema);
	ice_io_free(io);
}

TEST(test_catalog_resolve__snapshot_selection)
{
	ice_table_metadata *md = NULL;
	const ice_snapshot *snap;
	const ice_schema *schema;
	ice_snapshot_selector sel = {0};
	size_t len;
	char *text = ice_test_read_file(ice_test_fixture("metadata/iceberg-java/TableMetadataV2Valid.json"), &len);
	CHECK(text);
	int rc = ice_table_metadata_parse(&md, (const uint8_t *)text, len, "TableMetadataV2Valid.json");
	free(text);
	CHECK_OK(rc);
	CHECK_OK(ice_table_metadata_select_snapshot(&snap, &schema, md, NULL));
	CHECK(snap && snap->snapshot_id == 3055729675574597004);
	sel.has_snapshot_id = true;
	sel.snapshot_id = 3051729675574597004;
	CHECK_OK(ice_table_metadata_select_snapshot(&snap, &schema, md, &sel));
	CHECK(snap && snap->snapshot_id == 3051729675574597004);
	sel.ref = "main";
	CHECK_RC(ice_table_metadata_select_snapshot(&snap, &schema, md, &sel), ICE_EINVALID);
	sel.has_snapshot_id = false;
	CHECK_OK(ice_table_metadata_select_snapshot(&snap, &schema, md, &sel));
	CHECK(snap->snapshot_id == 3055729675574597004);
	sel.ref = "nope";
	CHECK_RC(ice_table_metadata_select_snapshot(&snap, &schema, md, &sel), ICE_ENOTFOUND);
	CHECK_STR(ice_error_last()->message, "no branch or tag 'nope'");
	sel.ref = NULL;
	sel.has_as_of_ms = true;
	sel.as_of_ms = 0;
	CHECK_RC(ice_table_metadata_select_snapshot(&snap, &schema, md, &sel), ICE_ENOTFOUND);
	ice_table_metadata_free(md);
}
