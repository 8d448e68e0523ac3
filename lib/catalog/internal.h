/*
 * catalog/internal.h - the catalog vtable. ice/catalog.h dispatches every
 * call through it, so the file-system catalog (fs_catalog.c) and the REST
 * catalog (later) are interchangeable behind one set of functions.
 */
#ifndef ICE_CATALOG_INTERNAL_H
#define ICE_CATALOG_INTERNAL_H

#include "ice/catalog.h"

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
	int (*register_table)(ice_catalog *c, const char *identifier, const ice_table_metadata *md, bool overwrite,
	                      char **loc_out);
	int (*rename_table)(ice_catalog *c, const char *from, const char *to);
	void (*free)(ice_catalog *c);
} ice_catalog_ops;

struct ice_catalog {
	const ice_catalog_ops *ops;
	const ice_io *io;
	char *uri;
	char *name; /* the configured name it was opened by, or NULL (freed by ice_catalog_free) */
	ice_io *owned_io; /* the io with a configured catalog's properties, when it has any */
};

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
