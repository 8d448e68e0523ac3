/*
 * catalog/resolve.c - what a TABLE argument names (ice/catalog.h,
 * ice_catalog_resolve_table): a name <namespace>.<table> in the catalog
 * of --catalog, ICE_CATALOG or the configuration file's default-catalog;
 * a table directory or URI (or its metadata/ directory); for reading, a
 * metadata file. Every form ends as a catalog and an identifier in it, so
 * loading and committing go through the catalog vtable whatever the form.
 * Nothing is created here, and a new table is only ever named on purpose:
 * by a name in a catalog, or by a path.
 */
#include <string.h>

#include "internal.h"
#include "io/io.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/uri.h"

void ice_resolved_table_clear(ice_resolved_table *t)
{
	if (!t)
		return;
	ice_catalog_free(t->catalog);
	ice__free(t->identifier);
	ice__free(t->description);
	memset(t, 0, sizeof(*t));
}

/* A word that can only be a location: a scheme, a '/', or a leading '.'
 * (no catalog name has one). */
static bool path_like(const char *arg)
{
	return ice_uri__has_scheme(arg) || strchr(arg, '/') || arg[0] == '.';
}

/* <namespace>.<table>: at least two levels, each a valid name. */
static int is_identifier(const char *arg, bool *out)
{
	char **levels;
	size_t n;
	int rc = ice_catalog__split(arg, &levels, &n);
	*out = false;
	if (rc == ICE_EINVALID) {
		ice_error_clear();
		return 0;
	}
	if (rc)
		return rc;
	ice_catalog__free_levels(levels, n);
	*out = n >= 2;
	return 0;
}

/* "'local' (/tmp/wh)" or "/tmp/wh". */
static void catalog_label(ice_buf *b, const ice_catalog *c)
{
	if (c->name)
		ice_buf__printf(b, "'%s' (%s)", c->name, c->uri);
	else
		ice_buf__puts(b, c->uri);
}

/* A catalog behind a server (REST), where each question is a request. */
static bool remote_catalog(const ice_catalog *c)
{
	const char *u = ice_catalog_uri(c);
	return u && (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0);
}

/* Fills `out`, which takes `catalog` on success only. */
static int found(ice_resolved_table *out, ice_table_form form, ice_catalog *catalog, const char *identifier)
{
	ice_buf d = ICE_BUF_INIT;
	switch (form) {
	case ICE_TABLE_FORM_NAME:
		ice_buf__printf(&d, "table '%s' in catalog ", identifier);
		catalog_label(&d, catalog);
		break;
	case ICE_TABLE_FORM_DIRECTORY: ice_buf__printf(&d, "table directory %s", identifier); break;
	case ICE_TABLE_FORM_METADATA_FILE: ice_buf__printf(&d, "metadata file %s", identifier); break;
	}
	out->form = form;
	out->catalog = catalog;
	out->identifier = ice__strdup(identifier);
	out->description = ice_buf__detach(&d, NULL);
	if (!out->identifier || !out->description) {
		out->catalog = NULL; /* still the caller's */
		ice_resolved_table_clear(out);
		return ICE_ERROR;
	}
	return 0;
}

/* Whether `loc` is named as a metadata file (.metadata.json, also
 * compressed). */
static bool metadata_file_name(const char *loc)
{
	static const char *const ends[] = {".metadata.json", ".metadata.json.gz", ".gz.metadata.json"};
	size_t n = strlen(loc);
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		size_t e = strlen(ends[i]);
		if (n > e && strcmp(loc + n - e, ends[i]) == 0)
			return true;
	}
	return false;
}

/* The location forms: `loc` is the argument made absolute. */
static int resolve_location(ice_resolved_table *out, const ice_io *io, const char *arg, const char *loc,
                            ice_table_use use, bool named, const char *tried)
{
	bool exists = false, is_dir = false;
	ice_catalog *c = NULL;
	int rc;
	if ((rc = ice_io__stat(io, loc, &exists, &is_dir)) != 0)
		return rc;
	if (exists && is_dir) {
		char *md = ice_uri__join(loc, "metadata"), *parent = NULL;
		bool has_md = false, md_is_dir = false;
		if (!md)
			return ICE_ERROR;
		rc = ice_io__stat(io, md, &has_md, &md_is_dir);
		ice__free(md);
		if (rc)
			return rc;
		if (!(has_md && md_is_dir) && strcmp(ice_uri__basename(loc), "metadata") == 0) {
			/* the metadata/ directory of a table: the table is its parent */
			if (!(parent = ice_uri__dirname(loc)))
				return ICE_ERROR;
			has_md = md_is_dir = true;
		}
		if (!(has_md && md_is_dir) && use != ICE_TABLE_USE_CREATE)
			return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG, "%s: not a table directory (no metadata/ inside)%s%s",
			                      arg, tried ? "; " : "", tried ? tried : "");
		if ((rc = ice_catalog_open_directory(&c, io)) == 0)
			rc = found(out, ICE_TABLE_FORM_DIRECTORY, c, parent && *parent ? parent : loc);
		else
			c = NULL;
		if (rc)
			ice_catalog_free(c);
		ice__free(parent);
		return rc;
	}
	/* A metadata file's name that is not there is read anyway, so the
	 * error is the file system's or the store's own (GET: 404 NoSuchKey). */
	if (exists || (use == ICE_TABLE_USE_READ && metadata_file_name(loc))) {
		if (use != ICE_TABLE_USE_READ)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG,
			                      "%s: a metadata file is one version of a table and read-only; name the table "
			                      "by its directory or catalog name",
			                      arg);
		if ((rc = ice_static_catalog__open(&c, io)) == 0 && (rc = found(out, ICE_TABLE_FORM_METADATA_FILE, c, loc)))
			ice_catalog_free(c);
		return rc;
	}
	/* Nothing there. A new table directory is named by a path only. */
	if (use == ICE_TABLE_USE_CREATE && !named) {
		if ((rc = ice_catalog_open_directory(&c, io)) == 0 && (rc = found(out, ICE_TABLE_FORM_DIRECTORY, c, loc)))
			ice_catalog_free(c);
		return rc;
	}
	if (!named)
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG, "%s: no such table directory%s", arg,
		                      use == ICE_TABLE_USE_READ ? " or metadata file" : "");
	if (use == ICE_TABLE_USE_CREATE)
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG,
		                      "%s: %s, and a new table directory is named by a path (./%s)", arg, tried, arg);
	return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_CATALOG, "%s: %s, and no directory%s '%s'", arg, tried,
	                      use == ICE_TABLE_USE_READ ? " or metadata file" : "", arg);
}

int ice_catalog_resolve_table(ice_resolved_table *out, const ice_io *io, const char *arg, const char *catalog,
                              ice_table_use use)
{
	ice_catalog *c = NULL;
	ice_buf tried = ICE_BUF_INIT;
	char *loc = NULL;
	bool named = !path_like(arg ? arg : ""), ident = false;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (!arg || !*arg)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_CATALOG, "an empty TABLE argument");
	if (catalog && !*catalog)
		catalog = NULL;
	if (named) {
		/* A word: a name in the catalog first. */
		rc = ice_catalog_open(&c, io, catalog);
		if (rc == ICE_ENOTFOUND && !catalog) {
			char *path = ice_catalog_config_path();
			ice_error_clear();
			rc = 0;
			ice_buf__printf(&tried, "no catalog to %s it %s (give --catalog, set ICE_CATALOG, or set default-catalog in %s)",
			                use == ICE_TABLE_USE_CREATE ? "create" : "look", use == ICE_TABLE_USE_CREATE ? "in" : "up in",
			                path ? path : "~/.config/ice/config");
			ice__free(path);
		} else if (rc) {
			return rc;
		} else if ((rc = is_identifier(arg, &ident)) != 0) {
			goto done;
		} else if (!ident) {
			ice_buf__printf(&tried, "'%s' is not a table name in a catalog (<namespace>.<table>)", arg);
		} else {
			bool exists = false, local = false, local_dir = false;
			/* A remote catalog is asked only when a local path of that name
			 * makes the name ambiguous: otherwise loading the table is the
			 * question (one request, and the server's own answer). */
			if (remote_catalog(c) && use != ICE_TABLE_USE_CREATE &&
			    (rc = ice_io__stat(io, arg, &local, &local_dir)) != 0)
				goto done;
			if (remote_catalog(c) && !local)
				exists = true;
			else if ((rc = ice_catalog_table_exists(c, arg, &exists)) != 0)
				goto done;
			if (exists || use == ICE_TABLE_USE_CREATE) {
				if ((rc = found(out, ICE_TABLE_FORM_NAME, c, arg)) == 0)
					c = NULL;
				goto done;
			}
			ice_buf__printf(&tried, "no table '%s' in catalog ", arg);
			catalog_label(&tried, c);
		}
		if (tried.error) {
			rc = ICE_ERROR;
			goto done;
		}
	}
	/* Then a location. */
	if (!(loc = ice_uri__absolute(arg))) {
		rc = ice_error__code();
		goto done;
	}
	rc = resolve_location(out, io, arg, loc, use, named, named ? ice_buf__cstr(&tried) : NULL);
done:
	ice_catalog_free(c);
	ice_buf__free(&tried);
	ice__free(loc);
	return rc;
}
