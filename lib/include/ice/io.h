/*
 * ice/io.h - file access by location (FileIO), and finding a table's
 * current metadata file.
 *
 * An ice_io reads and lists files named by locations: plain paths and file:
 * URIs for now (S3 arrives with its own backend). Path maps rewrite the
 * prefix of every location before it is opened, so tables whose metadata
 * names another machine's paths can be read where they are (--path-map).
 */
#ifndef ICE_IO_H
#define ICE_IO_H

#include "common.h"
#include "table_metadata.h"

ICE_BEGIN_DECL

typedef struct ice_io ice_io;

ICE_EXTERN int ice_io_new(ice_io **out);
ICE_EXTERN void ice_io_free(ice_io *io);

/*
 * Rewrite locations starting with `from` to start with `to` instead. Maps are
 * tried in the order added; the first match wins.
 */
ICE_EXTERN int ice_io_add_path_map(ice_io *io, const char *from, const char *to);
/* The location after path mapping (allocated; free with ice_free()). */
ICE_EXTERN char *ice_io_resolve(const ice_io *io, const char *location);

/*
 * FileIO properties: the settings a storage backend reads, by Iceberg's
 * names (s3.endpoint, s3.access-key-id, s3.secret-access-key,
 * s3.session-token, client.region, ...). A catalog that vends credentials
 * for a table (a REST catalog's LoadTableResult `config` and
 * `storage-credentials`) hands them to the table through a derived FileIO.
 * Values may be secrets: they are never printed and are wiped when freed.
 * ice_io_property's result is borrowed until the property is set again.
 */
ICE_EXTERN int ice_io_set_property(ice_io *io, const char *key, const char *value);
ICE_EXTERN const char *ice_io_property(const ice_io *io, const char *key);
/* A new FileIO that reads like `base` (its path maps and properties) with
 * `props` (may be NULL) set over base's properties. */
ICE_EXTERN int ice_io_new_derived(ice_io **out, const ice_io *base, const ice_properties *props);

/* Read a whole file (allocated; free with ice_free()). ICE_ENOTFOUND if
 * missing. `max_len` caps the size (0: 1 GiB). */
ICE_EXTERN int ice_io_read_all(const ice_io *io, const char *location, size_t max_len, uint8_t **data_out,
                               size_t *len_out);
ICE_EXTERN int ice_io_exists(const ice_io *io, const char *location, bool *exists_out);

/*
 * Write a whole file at `location` only if nothing exists there, never
 * replacing a file: the bytes go to a uniquely named temporary in the same
 * directory, which is made durable and then linked to its name (link(2),
 * or renameat2(RENAME_NOREPLACE) where hard links are not supported).
 * Parent directories are created. ICE_EEXISTS when the name is taken
 * (nothing of ours is left behind); ICE_EUNSUPPORTED when the file system
 * can do neither; ICE_ECOMMITUNKNOWN when the file was given its name but
 * syncing its directory failed (it exists, but may not survive a crash).
 * After other errors from the final step (EIO from link or renameat2) the
 * name may or may not exist: look before concluding.
 */
ICE_EXTERN int ice_io_write_new(const ice_io *io, const char *location, const void *data, size_t len);

/* Delete a file. ICE_ENOTFOUND if it does not exist. */
ICE_EXTERN int ice_io_delete(const ice_io *io, const char *location);

/* Remove an empty directory: ICE_ENOTFOUND if missing, ICE_EEXISTS if it
 * is not empty. */
ICE_EXTERN int ice_io_remove_dir(const ice_io *io, const char *location);

/* Remove every empty directory at and below `location`, deepest first;
 * *removed_out (may be NULL) tells whether `location` itself went. */
ICE_EXTERN int ice_io_remove_empty_dirs(const ice_io *io, const char *location, bool *removed_out);

/* One file found by ice_io_list_recursive (borrowed for the callback). */
typedef struct ice_io_file_info {
	const char *location; /* `location` joined with the relative path */
	uint64_t size;
	int64_t mtime_ms;
} ice_io_file_info;

/* Return 0 to go on; anything else stops the walk and is returned. */
typedef int (*ice_io_list_fn)(const ice_io_file_info *file, void *payload);

/*
 * Call `fn` for every file below the directory `location`, depth first.
 * Symbolic links are reported as files and never followed.
 * ICE_ENOTFOUND when the directory does not exist.
 */
ICE_EXTERN int ice_io_list_recursive(const ice_io *io, const char *location, ice_io_list_fn fn, void *payload);

/*
 * Find the current metadata file of the table at `table_location` (a
 * directory holding metadata/): read metadata/version-hint.text (a version
 * number N meaning vN.metadata.json, or a metadata file stem), then probe
 * forward for newer versions; without a usable hint, take the highest
 * vN.metadata.json (also .gz.metadata.json, .metadata.json.gz) or, for
 * catalog-style names, the highest NNNNN-<uuid>.metadata.json.
 * *metadata_location_out is allocated (free with ice_free()).
 */
ICE_EXTERN int ice_table_locate(char **metadata_location_out, const ice_io *io, const char *table_location);

/*
 * Load table metadata from a TABLE argument: a table directory (located as
 * above), its metadata/ directory, or a metadata file. The location of the
 * file read is returned in *metadata_location_out when not NULL.
 */
ICE_EXTERN int ice_table_metadata_load(ice_table_metadata **out, const ice_io *io, const char *table,
                                       char **metadata_location_out);

ICE_END_DECL

#endif
