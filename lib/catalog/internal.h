/*
 * catalog/internal.h - the catalog vtable. ice/catalog.h dispatches every
 * call through it, so the file-system catalog (fs_catalog.c) and the REST
 * catalog (later) are interchangeable behind one set of functions.
 */
#ifndef ICE_CATALOG_INTERNAL_H
#define ICE_CATALOG_INTERNAL_H

#include "ice/catalog.h"

/* What a catalog hands back for a table it loaded, created or committed. */
typedef struct ice_catalog_table {
	ice_table_metadata *md;
	char *metadata_location; /* NULL for a staged table */
	ice_properties io_props; /* owned: FileIO properties the catalog vends for the table */
} ice_catalog_table;

void ice_catalog_table__free(ice_catalog_table *t);

/* Loading flags. */
enum {
	ICE_CATALOG_LOAD_REFS = 1, /* snapshots that refs reach are enough (REST snapshots=refs) */
};

/* One table's commit: swap `base` (read from `base_location`) for `next`,
 * the result of `changes`, if `requirements` hold. With `create`, `base`
 * is a staged table (a stage-create's answer) that does not exist yet. */
typedef struct ice_catalog_change {
	const char *identifier;
	const ice_table_metadata *base;
	const char *base_location;
	const ice_table_requirements *requirements; /* may be NULL */
	const ice_metadata_builder *changes;
	const ice_table_metadata *next;
	bool create;
} ice_catalog_change;

typedef struct ice_catalog_ops {
	int (*create_namespace)(ice_catalog *c, const char *ns, const ice_properties *props);
	int (*list_namespaces)(ice_catalog *c, const char *parent, ice_string_list *out);
	int (*namespace_exists)(ice_catalog *c, const char *ns, bool *exists_out);
	int (*drop_namespace)(ice_catalog *c, const char *ns);
	int (*load_namespace_properties)(ice_catalog *c, const char *ns, ice_properties *out);
	int (*update_namespace_properties)(ice_catalog *c, const char *ns, const ice_properties *set,
	                                   const char *const *remove, size_t nremove);
	int (*list_tables)(ice_catalog *c, const char *ns, ice_string_list *out);
	int (*table_exists)(ice_catalog *c, const char *identifier, bool *exists_out);
	int (*default_location)(ice_catalog *c, const char *identifier, char **out);
	int (*load_metadata)(ice_catalog *c, const char *identifier, ice_table_metadata **md_out, char **loc_out);
	int (*create_table)(ice_catalog *c, const char *identifier, const ice_table_metadata *md, char **loc_out);
	int (*commit)(ice_catalog *c, const char *identifier, const ice_table_metadata *base, const char *base_location,
	              const ice_table_requirements *reqs, const ice_metadata_builder *changes,
	              const ice_table_metadata *next, char **loc_out);
	int (*drop_table)(ice_catalog *c, const char *identifier, bool purge, ice_drop_report *report);
	/* `md`: what metadata_location holds, when the caller read it (else NULL). */
	int (*register_table)(ice_catalog *c, const char *identifier, const char *metadata_location,
	                      const ice_table_metadata *md, bool overwrite, char **loc_out);
	int (*rename_table)(ice_catalog *c, const char *from, const char *to);
	void (*free)(ice_catalog *c);
	/* Optional: NULL where a catalog has nothing more to say than the ops
	 * above (catalog.c then uses those, or reports ICE_EUNSUPPORTED). */
	int (*load_table)(ice_catalog *c, const char *identifier, unsigned flags, ice_catalog_table *out);
	/* A create that returns what the catalog made of it; `location_given`:
	 * md's location was chosen by the caller (else the catalog chooses);
	 * `stage`: nothing is created yet (a commit with create follows). */
	int (*create_table_ex)(ice_catalog *c, const char *identifier, const ice_table_metadata *md,
	                       bool location_given, bool stage, ice_catalog_table *out);
	int (*commit_ex)(ice_catalog *c, const ice_catalog_change *change, ice_catalog_table *out);
	int (*commit_transaction)(ice_catalog *c, const ice_catalog_change *changes, size_t n, ice_catalog_table *outs);
	int (*report_metrics)(ice_catalog *c, const char *identifier, const char *report, size_t len);
} ice_catalog_ops;

struct ice_catalog {
	const ice_catalog_ops *ops;
	const ice_io *io;
	char *uri;
	char *name; /* the configured name it was opened by, or NULL (freed by ice_catalog_free) */
	ice_io *owned_io; /* the io with a configured catalog's properties, when it has any */
};

/*
 * Dispatch with fallbacks (catalog.c): what the table layer calls. A
 * catalog without load_table loads metadata only; out->md NULL after a
 * create or commit means what was created or committed is the caller's own
 * metadata (`md`, `next`). `out` is cleared first and owned by the caller
 * after success (ice_catalog_table__free).
 */
int ice_catalog__load_table(ice_catalog *c, const char *identifier, unsigned flags, ice_catalog_table *out);
int ice_catalog__create_table(ice_catalog *c, const char *identifier, const ice_table_metadata *md,
                              bool location_given, ice_catalog_table *out);
/* Whether the catalog stages creates (then ice_catalog__stage_create and a
 * commit with `create` make a table and its first changes in one step). */
bool ice_catalog__stages_creates(const ice_catalog *c);
int ice_catalog__stage_create(ice_catalog *c, const char *identifier, const ice_table_metadata *md,
                              bool location_given, ice_catalog_table *out);
int ice_catalog__commit(ice_catalog *c, const ice_catalog_change *change, ice_catalog_table *out);
/* ICE_EUNSUPPORTED for catalogs that cannot commit several tables at once. */
int ice_catalog__commit_transaction(ice_catalog *c, const ice_catalog_change *changes, size_t n,
                                    ice_catalog_table *outs);
/* Best effort: 0 when the catalog takes no reports. */
int ice_catalog__report_metrics(ice_catalog *c, const char *identifier, const char *report, size_t len);
bool ice_catalog__takes_metrics(const ice_catalog *c);

/* rest/config.c: the REST catalog at the http(s) URL `uri`; `name` is the
 * configured name (NULL when opened by URL), `props` its client properties
 * (the configuration file's catalog.<name>.* keys; may be NULL). */
int ice_rest_catalog__open(ice_catalog **out, const ice_io *io, const char *uri, const char *name,
                           const ice_properties *props);

/* catalog.c: a catalog by warehouse URI (the backend follows the scheme);
 * `name` (may be NULL) is the configured name it goes by. */
int ice_catalog__open_uri(ice_catalog **out, const ice_io *io, const char *uri, const char *name);

/* fs_catalog.c: a warehouse need not exist yet (its first namespace or
 * table creates it); reads of a missing one say so. */
int ice_fs_catalog__open(ice_catalog **out, const ice_io *io, const char *warehouse, bool directory_mode);

/* static_catalog.c: a catalog of metadata files, each identifier one file,
 * read-only (what a TABLE argument naming a metadata file uses). */
int ice_static_catalog__open(ice_catalog **out, const ice_io *io);

/* purge.c: delete what the metadata files of the table at `location`
 * reference, inside `location` only; `md` is the current metadata. */
int ice_catalog__purge(const ice_io *io, const char *location, const ice_table_metadata *md,
                       const char *metadata_location, ice_drop_report *report);

/* The number of files below `location` (0 when it does not exist). */
int ice_catalog__count_files(const ice_io *io, const char *location, int64_t *n_out);

/* Names: split a dotted name into levels (allocated array of allocated
 * strings); each level checked as a directory name. */
int ice_catalog__split(const char *name, char ***levels_out, size_t *n_out);
void ice_catalog__free_levels(char **levels, size_t n);

#endif
