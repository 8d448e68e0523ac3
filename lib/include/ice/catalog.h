/*
 * ice/catalog.h - catalogs: where tables are found by name, and the one
 * place a table's current metadata is swapped for a new version.
 *
 * A catalog is opened from a URI. A local path or file: URI opens the
 * file-system catalog, a warehouse directory laid out as Java's
 * HadoopCatalog and iceberg-go lay it out:
 *
 *   <warehouse>/<ns level>/.../<table>/metadata/v<N>.metadata.json
 *                                     /metadata/version-hint.text
 *                                     /data/...
 *
 * Namespaces are directories; a table is a directory whose metadata/ holds
 * version files. Publishing v<N+1>.metadata.json never replaces a file
 * (see ice_io_write_new; on S3 a PUT with If-None-Match: *, and where a
 * store ignores that header the catalog refuses to commit unless
 * s3.conditional-writes=unsafe says a single writer accepts the risk), so
 * two writers racing for the same version see one of them fail with
 * ICE_ECONFLICT. version-hint.text is written after,
 * best effort; readers probe forward from it (ice_table_locate).
 * Namespace properties, which HadoopCatalog does not store, are kept in
 * `<namespace dir>/.ice-namespace.json` (a file, which HadoopCatalog's
 * listings skip).
 *
 * An http:// or https:// URI opens an Iceberg REST catalog (Polaris,
 * Lakekeeper, Nessie, Unity, Gravitino, Glue's and S3 Tables' Iceberg
 * endpoints, the Apache Iceberg REST fixture, `ice serve`): the same
 * functions, answered by the server. Its settings use Java's and
 * PyIceberg's names - uri, warehouse, prefix, credential (client_id:secret
 * for OAuth2 client credentials), token, oauth2-server-uri, scope,
 * audience, resource, header.<name>, rest.sigv4-enabled,
 * rest.signing-region, rest.signing-name, ssl.ca-bundle,
 * rest.client.connection-timeout-ms, rest.client.socket-timeout-ms,
 * rest.client.max-retries, snapshot-loading-mode - and come from the
 * configuration file (catalog.<name>.<key> = value), the environment
 * (ICE_CATALOG__<NAME>__<KEY> for a configured name, ICE_REST_<KEY> for a
 * URI; see docs/internals/rest.md) or ice_catalog_open_with(). Secrets
 * never appear in messages. Other schemes (s3://) report ICE_EUNSUPPORTED
 * until their backends exist.
 *
 * Names: a namespace is a dotted string ("db" or "a.b"), a table identifier
 * is "<namespace>.<table>". Levels must be non-empty and may not contain
 * '/', be "." or "..", or start with '.'.
 *
 * Tables themselves are opened, created and committed to through the table
 * handle (ice/table.h), which calls into its catalog.
 */
#ifndef ICE_CATALOG_H
#define ICE_CATALOG_H

#include "common.h"
#include "io.h"
#include "metadata_builder.h"
#include "snapshot.h"
#include "table_metadata.h"

ICE_BEGIN_DECL

typedef struct ice_catalog ice_catalog;

/*
 * Open a catalog. `uri` is one of
 *   - NULL or "": the configuration file's default-catalog. ICE_ENOTFOUND
 *     when there is no configuration file where it is looked for by
 *     default, or it names no default; ICE_EINVALID when $ICE_CONFIG names
 *     a file that does not exist or the default it names is not configured;
 *   - a word without '/' or scheme: the catalog of that name in the
 *     configuration file, else an existing warehouse directory of that
 *     name; else ICE_ENOTFOUND naming the configured catalogs (a typo
 *     never creates anything);
 *   - a warehouse path (with a '/') or URI: opened as it is. A warehouse
 *     directory need not exist yet: creating its first namespace or table
 *     creates it, reading a missing one reports it (ice_catalog_init
 *     creates one explicitly).
 * An s3:// warehouse keeps namespaces and tables as prefixes (see ice/io.h
 * for how S3 is configured). A configured catalog's FileIO properties
 * apply to a copy of `io` the catalog keeps. `io` is borrowed and must
 * outlive the catalog. ICE_EUNSUPPORTED for schemes without a backend yet.
 */
ICE_EXTERN int ice_catalog_open(ice_catalog **out, const ice_io *io, const char *uri);
/* Create the warehouse at `uri` (a directory, with its parents; nothing
 * when it exists) and open it. */
ICE_EXTERN int ice_catalog_init(ice_catalog **out, const ice_io *io, const char *uri);
/*
 * Open the catalog at `uri` with the properties `props` (for a REST
 * catalog: its settings, as named above; the environment still applies).
 * `props` is copied. ICE_EAUTH when the server refuses the credentials.
 */
ICE_EXTERN int ice_catalog_open_with(ice_catalog **out, const ice_io *io, const char *uri,
                                     const ice_properties *props);
ICE_EXTERN void ice_catalog_free(ice_catalog *catalog);
/* The warehouse URI the catalog was opened on (after name resolution). */
ICE_EXTERN const char *ice_catalog_uri(const ice_catalog *catalog);
/* The configured name it was opened by, or NULL. */
ICE_EXTERN const char *ice_catalog_name(const ice_catalog *catalog);

/*
 * The configuration file: $ICE_CONFIG, else $XDG_CONFIG_HOME/ice/config,
 * else $HOME/.config/ice/config (allocated; NULL when none can be named).
 * Its lines are `catalog.<name>.uri = <uri>` and `default-catalog = <name>`;
 * '#' starts a comment. *uri_out receives the URI configured for `name`
 * (or for the default catalog when `name` is NULL); ICE_ENOTFOUND when
 * there is none. Free the results with ice_free().
 */
ICE_EXTERN char *ice_catalog_config_path(void);
ICE_EXTERN int ice_catalog_config_lookup(char **uri_out, const char *name);

/*
 * FileIO properties of a configured catalog: every `catalog.<name>.<key> =
 * <value>` line whose key is a FileIO property (s3.endpoint,
 * s3.access-key-id, ...; see ice/io.h) is set on `io`. `name` NULL means
 * the default catalog. No configuration file, or no such catalog, sets
 * nothing and returns 0. ice_catalog_open() does the same for the io it
 * uses for a configured catalog; this is for files named outside it.
 */
ICE_EXTERN int ice_catalog_config_apply(ice_io *io, const char *name);

/* A list of names, owned by the caller (free with ice_string_list_free). */
typedef struct ice_string_list {
	size_t n;
	char **items;
} ice_string_list;
ICE_EXTERN void ice_string_list_free(ice_string_list *list);

/* The names of the configured catalogs in file order, and the
 * default-catalog setting (NULL when none; `default_out` may be NULL).
 * ICE_ENOTFOUND when there is no configuration file. */
ICE_EXTERN int ice_catalog_config_list(ice_string_list *names_out, char **default_out);

/* ---- naming a table (the TABLE argument) -------------------------------- */

/*
 * One resolver for whatever names a table, used by every command of the
 * ice tool that takes a TABLE. The rules (docs/commands/README.md):
 *
 *   1. A word without '/', scheme or leading '.' is first a name
 *      <namespace>.<table> in the catalog `catalog` (a configured name or a
 *      warehouse, as ice_catalog_open takes it; NULL: the configuration
 *      file's default-catalog, when there is one). A catalog that was given
 *      but cannot be opened is an error, not a fall-through.
 *   2. Otherwise, or when the catalog has no such table, the argument is a
 *      location: a table directory or URI (one holding metadata/), or the
 *      metadata/ directory itself; for ICE_TABLE_USE_READ also a metadata
 *      file (read-only: one version of a table).
 *   3. ICE_TABLE_USE_CREATE: a name in a catalog need not exist; a table
 *      directory that does not exist yet must be named by a path (with a
 *      '/', e.g. ./events) or URI, so a typo never creates anything.
 *
 * Every form ends as a catalog and an identifier in it: the catalog the
 * name was found in; the directory catalog (ice_catalog_open_directory)
 * with the absolute table location; or a read-only catalog of metadata
 * files with the file's location. ice_catalog_load_metadata, ice_table_load
 * (ice/table.h) and ice_table_create take them as they are. An error
 * (ICE_ENOTFOUND, ICE_EINVALID) says which forms were tried:
 * "db.t: no table 'db.t' in catalog /tmp/wh, and no directory 'db.t'".
 * Nothing is created.
 */
typedef enum ice_table_use {
	ICE_TABLE_USE_READ = 1, /* reading: a metadata file names a table too */
	ICE_TABLE_USE_WRITE,    /* committing to an existing table */
	ICE_TABLE_USE_CREATE,   /* creating a new table */
} ice_table_use;

typedef enum ice_table_form {
	ICE_TABLE_FORM_NAME = 1,      /* <namespace>.<table> in a catalog */
	ICE_TABLE_FORM_DIRECTORY,     /* a table directory or URI */
	ICE_TABLE_FORM_METADATA_FILE, /* one metadata file (read-only) */
} ice_table_form;

typedef struct ice_resolved_table {
	ice_table_form form;
	ice_catalog *catalog; /* owned (take it and set NULL to keep it) */
	char *identifier;     /* the table in `catalog` */
	char *description;    /* "table 'db.t' in catalog /tmp/wh", "table directory /x/t", "metadata file /x/v3.metadata.json" */
} ice_resolved_table;

ICE_EXTERN int ice_catalog_resolve_table(ice_resolved_table *out, const ice_io *io, const char *arg,
                                         const char *catalog, ice_table_use use);
/* Frees what `t` holds (the catalog too, unless taken); NULL is fine. */
ICE_EXTERN void ice_resolved_table_clear(ice_resolved_table *t);

/* ---- namespaces -------------------------------------------------------- */

/* ICE_EEXISTS if it exists. Parents are created as needed. */
ICE_EXTERN int ice_catalog_create_namespace(ice_catalog *catalog, const char *ns, const ice_properties *props);
/* Child namespaces of `parent` (NULL or "": the top level), full names, sorted. */
ICE_EXTERN int ice_catalog_list_namespaces(ice_catalog *catalog, const char *parent, ice_string_list *out);
ICE_EXTERN int ice_catalog_namespace_exists(ice_catalog *catalog, const char *ns, bool *exists_out);
/* ICE_ENOTFOUND if missing; ICE_EINVALID when it still holds tables or
 * namespaces (or any other file). */
ICE_EXTERN int ice_catalog_drop_namespace(ice_catalog *catalog, const char *ns);
/*
 * The namespace's properties, plus "location" (its directory) as
 * HadoopCatalog reports it. Free with ice_catalog_properties_free().
 */
ICE_EXTERN int ice_catalog_load_namespace_properties(ice_catalog *catalog, const char *ns, ice_properties *out);
ICE_EXTERN void ice_catalog_properties_free(ice_properties *props);
/* Set and remove properties ("location" cannot be changed). */
ICE_EXTERN int ice_catalog_update_namespace_properties(ice_catalog *catalog, const char *ns,
                                                       const ice_properties *set, const char *const *remove,
                                                       size_t nremove);

/* ---- tables ------------------------------------------------------------ */

/* Table names (without the namespace) in `ns`, sorted. */
ICE_EXTERN int ice_catalog_list_tables(ice_catalog *catalog, const char *ns, ice_string_list *out);
ICE_EXTERN int ice_catalog_table_exists(ice_catalog *catalog, const char *identifier, bool *exists_out);
/* The location a new table `identifier` gets (allocated). */
ICE_EXTERN int ice_catalog_default_location(ice_catalog *catalog, const char *identifier, char **out);

/*
 * The table's current metadata and the location of the file it was read
 * from (both owned by the caller). ICE_ENOTFOUND if there is no such table.
 */
ICE_EXTERN int ice_catalog_load_metadata(ice_catalog *catalog, const char *identifier, ice_table_metadata **md_out,
                                         char **metadata_location_out);

/*
 * Register a new table whose first metadata is `md` (built by a metadata
 * builder from nothing): writes version 1. ICE_EEXISTS if the table exists
 * (also when another writer created it first).
 */
ICE_EXTERN int ice_catalog_create_table(ice_catalog *catalog, const char *identifier, const ice_table_metadata *md,
                                        char **metadata_location_out);

/*
 * Swap the table's metadata from `base` (read from `base_location`) to
 * `next`, the result of `changes` (a builder started from `base`), if
 * `requirements` (may be NULL) hold. ICE_ECONFLICT when another commit got
 * there first or a requirement fails: nothing was changed and it is safe to
 * refresh and retry. ICE_ECOMMITUNKNOWN when it cannot be known whether the
 * swap happened. Other codes: nothing was changed.
 */
ICE_EXTERN int ice_catalog_commit(ice_catalog *catalog, const char *identifier, const ice_table_metadata *base,
                                  const char *base_location, const ice_table_requirements *requirements,
                                  const ice_metadata_builder *changes, const ice_table_metadata *next,
                                  char **metadata_location_out);

/* What a drop removed. */
typedef struct ice_drop_report {
	int64_t files_deleted;   /* data, delete, manifest, list, statistics and metadata files */
	int64_t bytes_deleted;
	int64_t files_missing;   /* referenced but already gone */
	int64_t files_outside;   /* referenced but outside the table location: kept */
	int64_t files_left;      /* unreferenced files left under the table location */
} ice_drop_report;

/*
 * Drop a table. Without `purge`, the table's metadata files
 * (metadata/v<N>.metadata.json and version-hint.text) are deleted, which
 * removes it from the catalog; data and manifest files stay. With `purge`,
 * every file the table's metadata files reference is deleted too: each
 * snapshot's manifest list, manifests, data and delete files, statistics
 * and partition statistics files, and the metadata files of the metadata
 * log, as long as it lies under the table location (nothing outside it is
 * ever deleted); then empty directories are removed. `report` may be NULL.
 */
ICE_EXTERN int ice_catalog_drop_table(ice_catalog *catalog, const char *identifier, bool purge,
                                      ice_drop_report *report);

/*
 * Register the table whose current metadata file is `metadata_location`
 * (written by any Iceberg writer) as `identifier`, keeping its location:
 * the table's files stay where they are. `md` is what the file holds when
 * the caller has read it already (NULL: the catalog reads it if it needs
 * to; a REST catalog hands the location to its server). ICE_EEXISTS when
 * the table exists, unless `overwrite`, which makes the file's metadata its
 * next version. ICE_ENOTFOUND when the namespace does not exist;
 * ICE_EUNSUPPORTED for catalogs that cannot register.
 * *metadata_location_out: the metadata file the catalog now points at.
 */
ICE_EXTERN int ice_catalog_register_table(ice_catalog *catalog, const char *identifier,
                                          const char *metadata_location, const ice_table_metadata *md,
                                          bool overwrite, char **metadata_location_out);

/*
 * Rename table `from` to `to` (the namespace may change; a server may
 * refuse that). The table keeps its location and its files; in the
 * file-system catalog the name `to` gets the current metadata as its first
 * version and the name `from` loses its metadata files. ICE_ENOTFOUND when
 * `from` or the namespace of `to` does not exist, ICE_EEXISTS when `to` does.
 */
ICE_EXTERN int ice_catalog_rename_table(ice_catalog *catalog, const char *from, const char *to);

/*
 * A catalog whose identifiers are table directories (locations) rather
 * than names: what a TABLE argument that is a directory uses. Namespace
 * functions report ICE_EUNSUPPORTED.
 */
ICE_EXTERN int ice_catalog_open_directory(ice_catalog **out, const ice_io *io);

ICE_END_DECL

#endif
