/*
 * catalog/fs_catalog.c - the file-system catalog (Java's HadoopCatalog
 * layout, also iceberg-go's): namespaces are directories under the
 * warehouse, a table is a directory with metadata/v<N>.metadata.json, and
 * a commit publishes v<N+1>.metadata.json with ice_io_write_new, which
 * never replaces a file, so of two writers that started from v<N> exactly
 * one succeeds and the other gets ICE_ECONFLICT. version-hint.text is
 * rewritten afterwards, best effort (readers probe forward from it).
 *
 * In directory mode (ice_catalog_open_directory) identifiers are table
 * directories and there are no namespaces: what a TABLE argument naming a
 * directory uses.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "io/io.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strutil.h"
#include "util/uri.h"
#include "util/uuid.h"

#define NS_PROPERTIES_FILE ".ice-namespace.json"

typedef struct fs_catalog {
	ice_catalog base;
	bool directory_mode;
} fs_catalog;

static const ice_catalog_ops fs_ops;

static int unsupported_in_directory_mode(void)
{
	return ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_CATALOG,
	                      "namespaces need a catalog (--catalog PATH or ICE_CATALOG)");
}

/* <warehouse>/<level>/<level>... for a dotted name (allocated). */
static int name_dir(fs_catalog *c, const char *name, char **out)
{
	char **levels;
	size_t n;
	ice_buf b = ICE_BUF_INIT;
	int rc;
	*out = NULL;
	if ((rc = ice_catalog__split(name, &levels, &n)) != 0)
		return rc;
	ice_buf__puts(&b, c->base.uri);
	for (size_t i = 0; i < n; i++) {
		if (b.len && b.ptr[b.len - 1] != '/')
			ice_buf__putc(&b, '/');
		ice_buf__puts(&b, levels[i]);
	}
	ice_catalog__free_levels(levels, n);
	if (!(*out = ice_buf__detach(&b, NULL)))
		return ICE_ERROR;
	return 0;
}

static int table_dir(fs_catalog *c, const char *identifier, char **out)
{
	*out = NULL;
	if (c->directory_mode) {
		if (!identifier || !*identifier)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "empty table location");
		return (*out = ice__strdup(identifier)) ? 0 : ICE_ERROR;
	}
	if (!strchr(identifier, '.'))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG,
		                      "'%s': a table identifier is <namespace>.<table>", identifier);
	return name_dir(c, identifier, out);
}

/* Probes whose errors (out of memory) are passed on, never read as "no". */
static int dir_exists(const ice_io *io, const char *loc, bool *out)
{
	bool e = false, d = false;
	int rc = ice_io__stat(io, loc, &e, &d);
	*out = !rc && e && d;
	return rc;
}

/* A table directory: one whose metadata/ holds a metadata version. */
static int is_table_dir(const ice_io *io, const char *dir, bool *out)
{
	char *loc = NULL;
	int rc = ice_table_locate(&loc, io, dir);
	ice__free(loc);
	*out = rc == 0;
	if (rc == ICE_ENOTFOUND || rc == ICE_EINVALID) {
		ice_error_clear();
		rc = 0;
	}
	return rc;
}

/* A directory holding metadata/ (a table, or what a drop without purge left). */
static int has_metadata_dir(const ice_io *io, const char *dir, bool *out)
{
	char *md = ice_uri__join(dir, "metadata");
	int rc = md ? dir_exists(io, md, out) : ICE_ERROR;
	ice__free(md);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_push(ice_string_list *out, const char *prefix, const char *name)
{
	char **items = ice__reallocarray(out->items, out->n + 1, sizeof(char *));
	size_t plen = prefix ? strlen(prefix) : 0, nlen = strlen(name);
	if (!items)
		return ICE_ERROR;
	out->items = items;
	char *s = ice__malloc(plen + nlen + 2);
	if (!s)
		return ICE_ERROR;
	if (plen) {
		memcpy(s, prefix, plen);
		s[plen] = '.';
		memcpy(s + plen + 1, name, nlen + 1);
	} else {
		memcpy(s, name, nlen + 1);
	}
	out->items[out->n++] = s;
	return 0;
}

/* Children of `dir` that are tables (want_tables) or namespaces. */
static int list_children(fs_catalog *c, const char *dir, const char *prefix, bool want_tables, ice_string_list *out)
{
	ice_arena arena;
	ice_dir_entry *entries;
	size_t n;
	int rc;
	ice_arena__init(&arena, 4096);
	if ((rc = ice_io__list(c->base.io, dir, &arena, &entries, &n)) != 0) {
		ice_arena__free(&arena);
		return rc;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		char *child;
		if (!entries[i].is_dir || entries[i].name[0] == '.' || strchr(entries[i].name, '.'))
			continue;
		if (!(child = ice_uri__join(dir, entries[i].name))) {
			rc = ICE_ERROR;
			break;
		}
		bool table = false, leftover = false;
		if ((rc = is_table_dir(c->base.io, child, &table)) == 0 && !table)
			rc = has_metadata_dir(c->base.io, child, &leftover);
		if (!rc && (want_tables ? table : (!table && !leftover)))
			rc = list_push(out, want_tables ? NULL : prefix, entries[i].name);
		ice__free(child);
	}
	ice_arena__free(&arena);
	if (rc) {
		ice_string_list_free(out);
		return rc;
	}
	if (out->n)
		qsort(out->items, out->n, sizeof(char *), cmp_str);
	return 0;
}

/* ---- namespaces ------------------------------------------------------------ */

static int ns_dir_checked(fs_catalog *c, const char *ns, char **dir_out)
{
	int rc;
	*dir_out = NULL;
	if (c->directory_mode)
		return unsupported_in_directory_mode();
	if ((rc = name_dir(c, ns, dir_out)) != 0)
		return rc;
	bool dir = false, table = false;
	if ((rc = dir_exists(c->base.io, *dir_out, &dir)) == 0 && dir)
		rc = is_table_dir(c->base.io, *dir_out, &table);
	if (rc || !dir || table) {
		ice__free(*dir_out);
		*dir_out = NULL;
		return rc ? rc : ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG, "%s: no such namespace", ns);
	}
	return 0;
}

static int write_properties(fs_catalog *c, const char *dir, const ice_properties *props)
{
	char *loc = ice_uri__join(dir, NS_PROPERTIES_FILE);
	ice_json_writer w;
	const char *text;
	size_t len;
	int rc;
	if (!loc)
		return ICE_ERROR;
	ice_jw__init(&w, ICE_JSON_PRETTY);
	ice_json_begin_object(&w);
	for (size_t i = 0; props && i < props->n; i++) {
		ice_json_key(&w, props->items[i].key);
		ice_json_string(&w, props->items[i].value);
	}
	ice_json_end_object(&w);
	/* Replaced atomically: readers see the old file or the new one. */
	if ((rc = ice_json_writer_finish(&w, &text, &len)) == 0)
		rc = ice_io__write_replace(c->base.io, loc, text, len);
	ice_jw__free(&w);
	ice__free(loc);
	return rc;
}

/* Reads the properties file (missing: none) into `out` (allocated items). */
static int read_properties(fs_catalog *c, const char *dir, ice_properties *out)
{
	char *loc = ice_uri__join(dir, NS_PROPERTIES_FILE);
	uint8_t *data = NULL;
	size_t len = 0;
	ice_json *root = NULL;
	ice_property *items = NULL;
	size_t n = 0;
	int rc;
	out->n = 0;
	out->items = NULL;
	if (!loc)
		return ICE_ERROR;
	rc = ice_io_read_all(c->base.io, loc, 1 << 24, &data, &len);
	if (rc == ICE_ENOTFOUND) {
		ice_error_clear();
		ice__free(loc);
		return 0;
	}
	if (!rc)
		rc = ice_json__parse(&root, (const char *)data, len, loc);
	if (!rc && ice_json__type(root) != ICE_JSON_OBJECT)
		rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "%s: $: expected an object of properties", loc);
	if (!rc) {
		ice_json_iter it;
		const char *key;
		ice_json *value;
		size_t count = ice_json__size(root);
		if (count && !(items = ice__calloc(count, sizeof(ice_property))))
			rc = ICE_ERROR;
		ice_json__iter_init(&it, root);
		while (!rc && ice_json__iter_next(&it, &key, &value)) {
			const char *v;
			if (ice_json__type(value) != ICE_JSON_STRING) {
				rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "%s: $.%s: expected a string", loc, key);
				break;
			}
			v = ice_json__str(value, NULL);
			items[n].key = ice__strdup(key);
			items[n].value = ice__strdup(v);
			n++;
			if (!items[n - 1].key || !items[n - 1].value)
				rc = ICE_ERROR;
		}
	}
	ice_json__free(root);
	ice__free(data);
	ice__free(loc);
	out->items = items;
	out->n = n;
	if (rc)
		ice_catalog_properties_free(out);
	return rc;
}

static int fs_create_namespace(ice_catalog *base, const char *ns, const ice_properties *props)
{
	fs_catalog *c = (fs_catalog *)base;
	char *dir;
	int rc;
	if (c->directory_mode)
		return unsupported_in_directory_mode();
	if ((rc = name_dir(c, ns, &dir)) != 0)
		return rc;
	bool there = false, table = false;
	if ((rc = dir_exists(base->io, dir, &there)) == 0 && there)
		rc = is_table_dir(base->io, dir, &table);
	if (rc || there) {
		ice__free(dir);
		return rc ? rc
		          : ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_CATALOG, "%s: %s already exists", ns,
		                           table ? "a table of that name" : "namespace");
	}
	rc = ice_io__make_dirs_at(base->io, dir);
	/* On an object store a prefix exists only while something is under
	 * it: the properties file (empty or not) is what makes the namespace. */
	if (!rc && ((props && props->n) || ice_io__is_object_store(base->io, dir)))
		rc = write_properties(c, dir, props);
	ice__free(dir);
	return rc;
}

static int fs_list_namespaces(ice_catalog *base, const char *parent, ice_string_list *out)
{
	fs_catalog *c = (fs_catalog *)base;
	char *dir = NULL;
	int rc;
	if (c->directory_mode)
		return unsupported_in_directory_mode();
	if (parent && *parent) {
		if ((rc = ns_dir_checked(c, parent, &dir)) != 0)
			return rc;
	} else {
		bool there = false;
		if ((rc = dir_exists(base->io, base->uri, &there)) != 0)
			return rc;
		if (!there)
			return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG,
			                      "%s: no such warehouse (ice catalog init PATH makes one)", base->uri);
		if (!(dir = ice__strdup(base->uri)))
			return ICE_ERROR;
	}
	rc = list_children(c, dir, parent && *parent ? parent : NULL, false, out);
	ice__free(dir);
	return rc;
}

static int fs_namespace_exists(ice_catalog *base, const char *ns, bool *exists_out)
{
	fs_catalog *c = (fs_catalog *)base;
	char *dir = NULL;
	int rc = ns_dir_checked(c, ns, &dir);
	*exists_out = rc == 0;
	ice__free(dir);
	if (rc == ICE_ENOTFOUND) {
		ice_error_clear();
		return 0;
	}
	return rc;
}

static int fs_drop_namespace(ice_catalog *base, const char *ns)
{
	fs_catalog *c = (fs_catalog *)base;
	ice_arena arena;
	ice_dir_entry *entries;
	size_t n;
	char *dir, *props;
	int rc;
	if ((rc = ns_dir_checked(c, ns, &dir)) != 0)
		return rc;
	ice_arena__init(&arena, 1024);
	if ((rc = ice_io__list(base->io, dir, &arena, &entries, &n)) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (strcmp(entries[i].name, NS_PROPERTIES_FILE) != 0) {
				rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG,
				                    "%s: namespace is not empty (holds '%s')", ns, entries[i].name);
				break;
			}
		}
	}
	ice_arena__free(&arena);
	if (!rc && (props = ice_uri__join(dir, NS_PROPERTIES_FILE)) != NULL) {
		ice_io__delete(base->io, props);
		ice_error_clear();
		ice__free(props);
		rc = ice_io__remove_dir(base->io, dir);
	}
	ice__free(dir);
	return rc;
}

static int fs_load_namespace_properties(ice_catalog *base, const char *ns, ice_properties *out)
{
	fs_catalog *c = (fs_catalog *)base;
	char *dir;
	int rc;
	if ((rc = ns_dir_checked(c, ns, &dir)) != 0)
		return rc;
	if ((rc = read_properties(c, dir, out)) == 0) {
		ice_property *items = ice__reallocarray((ice_property *)out->items, out->n + 1, sizeof(ice_property));
		if (!items) {
			rc = ICE_ERROR;
		} else {
			out->items = items;
			items[out->n].key = ice__strdup("location");
			items[out->n].value = ice__strdup(dir);
			out->n++;
			if (!items[out->n - 1].key || !items[out->n - 1].value)
				rc = ICE_ERROR;
		}
		if (rc)
			ice_catalog_properties_free(out);
	}
	ice__free(dir);
	return rc;
}

static int fs_update_namespace_properties(ice_catalog *base, const char *ns, const ice_properties *set,
                                          const char *const *remove, size_t nremove)
{
	fs_catalog *c = (fs_catalog *)base;
	ice_properties cur;
	ice_property *items = NULL;
	size_t n = 0;
	char *dir;
	int rc;
	if ((rc = ns_dir_checked(c, ns, &dir)) != 0)
		return rc;
	for (size_t i = 0; set && i < set->n; i++)
		if (strcmp(set->items[i].key, "location") == 0) {
			ice__free(dir);
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG,
			                      "%s: the location of a namespace in a file-system catalog cannot be set", ns);
		}
	if ((rc = read_properties(c, dir, &cur)) != 0) {
		ice__free(dir);
		return rc;
	}
	size_t cap = cur.n + (set ? set->n : 0);
	if (cap && !(items = ice__calloc(cap, sizeof(ice_property))))
		rc = ICE_ERROR;
	/* Kept: current entries neither removed nor overwritten; then the new ones. */
	for (size_t i = 0; !rc && i < cur.n; i++) {
		bool drop = false;
		for (size_t j = 0; j < nremove && !drop; j++)
			drop = strcmp(remove[j], cur.items[i].key) == 0;
		for (size_t j = 0; set && j < set->n && !drop; j++)
			drop = strcmp(set->items[j].key, cur.items[i].key) == 0;
		if (!drop)
			items[n++] = cur.items[i];
	}
	for (size_t j = 0; !rc && set && j < set->n; j++)
		items[n++] = set->items[j];
	if (!rc) {
		ice_properties next = {n, items};
		rc = write_properties(c, dir, &next);
	}
	ice__free(items);
	ice_catalog_properties_free(&cur);
	ice__free(dir);
	return rc;
}

/* ---- tables ----------------------------------------------------------------- */

static int fs_list_tables(ice_catalog *base, const char *ns, ice_string_list *out)
{
	fs_catalog *c = (fs_catalog *)base;
	char *dir;
	int rc;
	if ((rc = ns_dir_checked(c, ns, &dir)) != 0)
		return rc;
	rc = list_children(c, dir, NULL, true, out);
	ice__free(dir);
	return rc;
}

static int fs_table_exists(ice_catalog *base, const char *identifier, bool *exists_out)
{
	char *dir;
	int rc = table_dir((fs_catalog *)base, identifier, &dir);
	*exists_out = false;
	if (rc)
		return rc;
	rc = is_table_dir(base->io, dir, exists_out);
	ice__free(dir);
	return rc;
}

static int fs_default_location(ice_catalog *base, const char *identifier, char **out)
{
	return table_dir((fs_catalog *)base, identifier, out);
}

static int fs_load_metadata(ice_catalog *base, const char *identifier, ice_table_metadata **md_out, char **loc_out)
{
	char *dir, *loc = NULL;
	uint8_t *data = NULL;
	size_t len;
	int rc;
	if ((rc = table_dir((fs_catalog *)base, identifier, &dir)) != 0)
		return rc;
	rc = ice_table_locate(&loc, base->io, dir);
	if (rc == ICE_ENOTFOUND)
		rc = ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG, "%s: no such table", identifier);
	if (!rc)
		rc = ice_io_read_all(base->io, loc, 0, &data, &len);
	if (!rc)
		rc = ice_table_metadata_parse(md_out, data, len, loc);
	ice__free(data);
	ice__free(dir);
	if (rc) {
		ice__free(loc);
		return rc;
	}
	*loc_out = loc;
	return 0;
}

/* The version of a metadata file name: v<N>... or <N>-...; -1 if none. */
static int64_t version_of(const char *location)
{
	const char *name = ice_uri__basename(location);
	const char *end = strstr(name, ".metadata.json");
	int64_t v;
	if (!end)
		end = strstr(name, ".gz.metadata.json");
	if (!end)
		return -1;
	if (name[0] == 'v') {
		const char *p = name + 1, *q = p;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q > p && ice_str__to_int64(p, (size_t)(q - p), &v))
			return v;
		return -1;
	}
	const char *dash = strchr(name, '-');
	if (dash && dash < end && ice_str__to_int64(name, (size_t)(dash - name), &v))
		return v;
	return -1;
}

/* version-hint.text := N, replaced atomically; best effort. */
static void write_hint(const ice_io *io, const char *metadata_dir, int64_t version)
{
	char text[32];
	char *hint = ice_uri__join(metadata_dir, "version-hint.text");
	int n = snprintf(text, sizeof(text), "%lld", (long long)version);
	if (hint)
		ice_io__write_replace(io, hint, text, (size_t)n);
	ice__free(hint);
	ice_error_clear();
}

static char *version_location(const char *metadata_dir, int64_t version)
{
	char name[64];
	snprintf(name, sizeof(name), "v%lld.metadata.json", (long long)version);
	return ice_uri__join(metadata_dir, name);
}

/*
 * Publish `md` as version `version` in `dir`/metadata. ICE_EEXISTS when the
 * version exists already. When publishing fails otherwise, look: our bytes
 * there mean it landed, other bytes mean we lost, nothing means it failed;
 * not being able to look means the outcome is unknown, and so does a
 * version in place whose directory could not be synced.
 */
static int publish(const ice_io *io, const char *dir, const ice_table_metadata *md, int64_t version, char **loc_out)
{
	char *mdir = ice_uri__join(dir, "metadata"), *loc = NULL, *text = NULL;
	size_t len;
	int rc;
	*loc_out = NULL;
	if (!mdir || !(loc = version_location(mdir, version))) {
		ice__free(mdir);
		return ICE_ERROR;
	}
	if ((rc = ice_table_metadata_to_json(&text, &len, md, ICE_JSON_COMPACT)) != 0)
		goto done;
	rc = ice_io_write_new(io, loc, text, len);
	if (rc == ICE_ECOMMITUNKNOWN) {
		ice_error__prefix("commit state unknown");
	} else if (rc && rc != ICE_EEXISTS && rc != ICE_EUNSUPPORTED && !ice_error__is_oom()) {
		/* The error may have come after the name was given (EIO from
		 * link): look at what is there. */
		uint8_t *data = NULL;
		size_t dlen = 0;
		char why[512];
		const ice_error *e = ice_error_last();
		int saved = rc, saved_class = e ? e->klass : ICE_ERRCLASS_IO;
		snprintf(why, sizeof(why), "%s", e ? e->message : "");
		int rrc = ice_io_read_all(io, loc, 0, &data, &dlen);
		if (rrc == 0 && dlen == len && memcmp(data, text, len) == 0)
			rc = 0;
		else if (rrc == 0)
			rc = ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_COMMIT, "%s: written by another commit", loc);
		else if (rrc == ICE_ENOTFOUND)
			rc = ice_error__set(saved, saved_class, "%s", why);
		else
			rc = ice_error__set(ICE_ECOMMITUNKNOWN, ICE_ERRCLASS_COMMIT,
			                    "commit state unknown: %s, and reading it back failed too", why);
		ice__free(data);
		if (!rc)
			ice_error_clear();
	}
	if (!rc) {
		write_hint(io, mdir, version);
		*loc_out = loc;
		loc = NULL;
	}
done:
	ice__free(text);
	ice__free(loc);
	ice__free(mdir);
	return rc;
}

static int fs_create_table(ice_catalog *base, const char *identifier, const ice_table_metadata *md, char **loc_out)
{
	fs_catalog *c = (fs_catalog *)base;
	char *dir;
	int rc;
	if ((rc = table_dir(c, identifier, &dir)) != 0)
		return rc;
	if (!c->directory_mode) {
		const char *loc = ice_table_metadata_location(md);
		char *a = NULL, *b = NULL;
		if (ice_io__is_object_store(base->io, dir)) {
			/* Locations compared as written, trailing slashes aside. */
			size_t la = strlen(loc), lb = strlen(dir);
			while (la && loc[la - 1] == '/')
				la--;
			while (lb && dir[lb - 1] == '/')
				lb--;
			if (la != lb || strncmp(loc, dir, la) != 0)
				rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG,
				                    "%s: the file-system catalog keeps a table at %s, not %s", identifier, dir, loc);
		} else if ((rc = ice_io__local_path(&a, base->io, loc)) == 0 &&
		           (rc = ice_io__local_path(&b, base->io, dir)) == 0 && strcmp(a, b) != 0)
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG,
			                    "%s: the file-system catalog keeps a table at %s, not %s", identifier, dir, loc);
		ice__free(a);
		ice__free(b);
		bool table = false, there = false, leftover = false;
		if (!rc && (rc = is_table_dir(base->io, dir, &table)) == 0 && !table &&
		    (rc = dir_exists(base->io, dir, &there)) == 0 && there)
			rc = has_metadata_dir(base->io, dir, &leftover);
		if (!rc && !table && there && !leftover) {
			/* A non-empty directory there is a namespace of that name. */
			ice_arena arena;
			ice_dir_entry *e;
			size_t n = 0;
			ice_arena__init(&arena, 1024);
			int lrc = ice_io__list(base->io, dir, &arena, &e, &n);
			ice_arena__free(&arena);
			if (lrc && ice_error__is_oom())
				rc = lrc;
			else if (lrc)
				ice_error_clear();
			if (lrc == 0 && n > 0)
				rc = ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_CATALOG, "%s: a namespace of that name exists",
				                    identifier);
		}
		if (rc) {
			ice__free(dir);
			return rc;
		}
	}
	bool table = false;
	if ((rc = is_table_dir(base->io, dir, &table)) != 0 || table) {
		ice__free(dir);
		return rc ? rc : ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_CATALOG, "%s: table already exists", identifier);
	}
	rc = publish(base->io, dir, md, 1, loc_out);
	if (rc == ICE_EEXISTS)
		rc = ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_CATALOG, "%s: table already exists", identifier);
	ice__free(dir);
	return rc;
}

static int fs_commit(ice_catalog *base, const char *identifier, const ice_table_metadata *md_base,
                     const char *base_location, const ice_table_requirements *reqs,
                     const ice_metadata_builder *changes, const ice_table_metadata *next, char **loc_out)
{
	fs_catalog *c = (fs_catalog *)base;
	char *dir;
	int64_t version = version_of(base_location);
	int rc;
	(void)changes;
	if (reqs && (rc = ice_table_requirements_check(reqs, md_base)) != 0)
		return rc;
	if (version < 0)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG,
		                      "%s: cannot tell the version of the metadata file name", base_location);
	if ((rc = table_dir(c, identifier, &dir)) != 0)
		return rc;
	rc = publish(base->io, dir, next, version + 1, loc_out);
	if (rc == ICE_EEXISTS)
		rc = ice_error__set(ICE_ECONFLICT, ICE_ERRCLASS_COMMIT,
		                    "%s: commit conflict: version %lld was committed by another writer", identifier,
		                    (long long)(version + 1));
	ice__free(dir);
	return rc;
}

/* Deletes metadata/v<N>... and version-hint.text of the table in `dir`. */
static int delete_versions(const ice_io *io, const char *dir, ice_drop_report *report)
{
	char *mdir = ice_uri__join(dir, "metadata");
	ice_arena arena;
	ice_dir_entry *entries;
	size_t n;
	int rc;
	if (!mdir)
		return ICE_ERROR;
	ice_arena__init(&arena, 4096);
	if ((rc = ice_io__list(io, mdir, &arena, &entries, &n)) == 0) {
		for (size_t i = 0; i < n && !rc; i++) {
			const char *name = entries[i].name;
			bool versioned = version_of(name) >= 0 || ice_str__ends_with(name, ".metadata.json");
			if (entries[i].is_dir || (!versioned && strcmp(name, "version-hint.text") != 0))
				continue;
			char *loc = ice_uri__join(mdir, name);
			if (!loc) {
				rc = ICE_ERROR;
				break;
			}
			/* Inside the table only: metadata/ may be a link to elsewhere. */
			int drc = ice_io__delete_within(io, dir, loc);
			if (drc == 0) {
				report->files_deleted++;
				report->bytes_deleted += (int64_t)entries[i].size;
			} else if (drc != ICE_ENOTFOUND) {
				rc = drc;
			}
			ice__free(loc);
		}
	}
	ice_arena__free(&arena);
	ice__free(mdir);
	if (!rc)
		ice_error_clear();
	return rc;
}

static int fs_drop_table(ice_catalog *base, const char *identifier, bool purge, ice_drop_report *report)
{
	fs_catalog *c = (fs_catalog *)base;
	ice_table_metadata *md = NULL;
	char *dir = NULL, *loc = NULL;
	int rc;
	if ((rc = fs_load_metadata(base, identifier, &md, &loc)) != 0)
		return rc;
	if ((rc = table_dir(c, identifier, &dir)) != 0)
		goto done;
	/* A metadata/ that leads out of the table (a symbolic link) is refused
	 * before anything is deleted: its files are not the table's to delete. */
	if ((rc = ice_io__check_within(base->io, dir, loc)) != 0)
		goto done;
	/* A renamed or registered table keeps its files at its location, which
	 * may be another directory of the warehouse: purge there (never outside
	 * the warehouse). */
	const char *where = dir, *location = ice_table_metadata_location(md);
	if (!c->directory_mode && location && ice_io__check_within(base->io, base->uri, location) == 0)
		where = location;
	ice_error_clear();
	if (purge && (rc = ice_catalog__purge(base->io, where, md, loc, report)) != 0)
		goto done;
	if ((rc = delete_versions(base->io, dir, report)) != 0)
		goto done;
	if (purge) {
		bool removed = false;
		if ((rc = ice_catalog__count_files(base->io, where, &report->files_left)) == 0)
			rc = ice_io_remove_empty_dirs(base->io, where, &removed);
		if (!rc && where != dir && (rc = ice_io_remove_empty_dirs(base->io, dir, &removed)) == ICE_ENOTFOUND) {
			ice_error_clear();
			rc = 0;
		}
	}
done:
	ice_table_metadata_free(md);
	ice__free(loc);
	ice__free(dir);
	return rc;
}

/* The namespace directory of a table identifier must exist. */
static int check_table_namespace(fs_catalog *c, const char *identifier)
{
	const char *dot = strrchr(identifier, '.');
	char *ns, *dir = NULL;
	int rc;
	if (c->directory_mode)
		return unsupported_in_directory_mode();
	if (!dot)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG,
		                      "'%s': a table identifier is <namespace>.<table>", identifier);
	if (!(ns = ice__strndup(identifier, (size_t)(dot - identifier))))
		return ICE_ERROR;
	rc = ns_dir_checked(c, ns, &dir);
	ice__free(dir);
	ice__free(ns);
	return rc;
}

static int fs_register_md(ice_catalog *base, const char *identifier, const ice_table_metadata *md, bool overwrite,
                          char **loc_out)
{
	fs_catalog *c = (fs_catalog *)base;
	char *dir = NULL, *cur = NULL;
	bool table = false, leftover = false, there = false;
	int64_t version = 1;
	int rc;
	if ((rc = check_table_namespace(c, identifier)) != 0 || (rc = table_dir(c, identifier, &dir)) != 0)
		return rc;
	if ((rc = is_table_dir(base->io, dir, &table)) != 0)
		goto done;
	if (table && !overwrite) {
		rc = ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_CATALOG, "%s: table already exists", identifier);
		goto done;
	}
	if (table) {
		if ((rc = ice_table_locate(&cur, base->io, dir)) != 0)
			goto done;
		if ((version = version_of(cur)) < 0) {
			rc = ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG,
			                    "%s: cannot tell the version of the metadata file name", cur);
			goto done;
		}
		version++;
	} else if ((rc = dir_exists(base->io, dir, &there)) == 0 && there &&
	           (rc = has_metadata_dir(base->io, dir, &leftover)) == 0 && !leftover) {
		rc = ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_CATALOG, "%s: a namespace of that name exists", identifier);
	}
	if (rc)
		goto done;
	rc = publish(base->io, dir, md, version, loc_out);
	if (rc == ICE_EEXISTS)
		rc = table ? ice_error__set(ICE_ECONFLICT, ICE_ERRCLASS_COMMIT,
		                            "%s: commit conflict: version %lld was committed by another writer", identifier,
		                            (long long)version)
		           : ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_CATALOG, "%s: table already exists", identifier);
done:
	ice__free(cur);
	ice__free(dir);
	return rc;
}

/* The metadata file's contents become the table's next version (`md`:
 * read from metadata_location by the caller, or here when NULL). */
static int fs_register_table(ice_catalog *base, const char *identifier, const char *metadata_location,
                             const ice_table_metadata *md, bool overwrite, char **loc_out)
{
	ice_table_metadata *read = NULL;
	int rc;
	if (!md) {
		if ((rc = ice_table_metadata_load(&read, base->io, metadata_location, NULL)) != 0)
			return rc;
		md = read;
	}
	rc = fs_register_md(base, identifier, md, overwrite, loc_out);
	ice_table_metadata_free(read);
	return rc;
}

/*
 * A rename moves the name, not the files: `to` gets the current metadata as
 * its version 1 (published without replace, so a table created there
 * meanwhile wins), then `from` loses its metadata files. The table keeps its
 * location (the directory of `from`, which holds its data and manifests).
 */
static int fs_rename_table(ice_catalog *base, const char *from, const char *to)
{
	fs_catalog *c = (fs_catalog *)base;
	ice_table_metadata *md = NULL;
	char *loc = NULL, *new_loc = NULL, *from_dir = NULL;
	ice_drop_report report;
	int rc;
	memset(&report, 0, sizeof(report));
	if ((rc = fs_load_metadata(base, from, &md, &loc)) != 0)
		return rc;
	if ((rc = table_dir(c, from, &from_dir)) == 0 && (rc = fs_register_md(base, to, md, false, &new_loc)) == 0)
		rc = delete_versions(base->io, from_dir, &report);
	ice_table_metadata_free(md);
	ice__free(loc);
	ice__free(new_loc);
	ice__free(from_dir);
	return rc;
}

static void fs_free(ice_catalog *base)
{
	ice__free(base->uri);
	ice__free(base);
}

static const ice_catalog_ops fs_ops = {
	.create_namespace = fs_create_namespace,
	.list_namespaces = fs_list_namespaces,
	.namespace_exists = fs_namespace_exists,
	.drop_namespace = fs_drop_namespace,
	.load_namespace_properties = fs_load_namespace_properties,
	.update_namespace_properties = fs_update_namespace_properties,
	.list_tables = fs_list_tables,
	.table_exists = fs_table_exists,
	.default_location = fs_default_location,
	.load_metadata = fs_load_metadata,
	.create_table = fs_create_table,
	.commit = fs_commit,
	.drop_table = fs_drop_table,
	.register_table = fs_register_table,
	.rename_table = fs_rename_table,
	.free = fs_free,
};

int ice_fs_catalog__open(ice_catalog **out, const ice_io *io, const char *warehouse, bool directory_mode)
{
	fs_catalog *c;
	char *absolute = NULL;
	*out = NULL;
	if (!directory_mode && !ice_io__is_object_store(io, warehouse)) {
		/* Tables record absolute locations, so a relative warehouse path
		 * is made absolute (URIs are kept as they are). Nothing is
		 * created here: the first namespace or table creates it. */
		if (!(absolute = ice_uri__absolute(warehouse)))
			return ice_error__code();
		warehouse = absolute;
	}
	if (!(c = ice__calloc(1, sizeof(*c)))) {
		ice__free(absolute);
		return ICE_ERROR;
	}
	c->base.ops = &fs_ops;
	c->base.io = io;
	c->directory_mode = directory_mode;
	/* Without a trailing slash, so joined names have exactly one. */
	size_t n = strlen(warehouse);
	while (n > 1 && warehouse[n - 1] == '/')
		n--;
	c->base.uri = ice__strndup(warehouse, n);
	ice__free(absolute);
	if (!c->base.uri) {
		ice__free(c);
		return ICE_ERROR;
	}
	*out = &c->base;
	return 0;
}
