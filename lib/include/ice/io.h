/*
 * ice/io.h - file access by location (FileIO), and finding a table's
 * current metadata file.
 *
 * An ice_io reads and lists files named by locations: plain paths and file:
 * URIs on the local file system, and s3:// (also s3a://, s3n://) on S3 or
 * any S3-compatible store. Path maps rewrite the prefix of every location
 * before it is opened, so tables whose metadata names another machine's
 * paths can be read where they are (--path-map).
 *
 * Object stores are configured per ice_io with Iceberg's FileIO property
 * names (s3.endpoint, s3.region, s3.access-key-id, s3.secret-access-key,
 * s3.session-token, s3.path-style-access, s3.multipart.part-size,
 * s3.retry.num-retries, ...; docs/internals/s3.md lists them all), then the
 * standard AWS sources (AWS_* environment variables, the AWS_PROFILE
 * profile in ~/.aws/credentials and ~/.aws/config). The S3 client is made
 * on first use; setting a property afterwards makes a new one for later
 * requests. Credentials never appear in errors or logs.
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
 * Set a FileIO property (a NULL value removes it): the settings a storage
 * backend reads, by Iceberg's names (s3.endpoint, s3.access-key-id,
 * s3.secret-access-key, s3.session-token, client.region, ...).
 * ICE_EINVALID for a key that is not a FileIO property (s3.*,
 * client.region). Values may be secrets: they are never printed and are
 * wiped when freed. The io must not be in use by another thread meanwhile.
 */
ICE_EXTERN int ice_io_set_property(ice_io *io, const char *key, const char *value);
/* The value set for `key`, or NULL (borrowed until it changes). */
ICE_EXTERN const char *ice_io_property(const ice_io *io, const char *key);

/*
 * A new io with the same path maps, properties and log as `src`, and its
 * own clients: for a table whose catalog hands it credentials of its own.
 */
ICE_EXTERN int ice_io_clone(ice_io **out, const ice_io *src);
/* A clone of `base` with `props` (may be NULL) set over its properties;
 * keys that are not FileIO properties are passed over. A catalog that vends
 * credentials for a table (a REST catalog's LoadTableResult `config` and
 * `storage-credentials`) hands them to the table through one. */
ICE_EXTERN int ice_io_new_derived(ice_io **out, const ice_io *base, const ice_properties *props);

/* One line per request an object store answered (method, location, status,
 * bytes, time; never a credential or a signature), for -v. `fn` may be
 * called from several threads at once. */
typedef void (*ice_io_log_fn)(const char *line, void *payload);
ICE_EXTERN void ice_io_set_log(ice_io *io, ice_io_log_fn fn, void *payload);

/* Requests made to object stores so far (attempts, retries included). */
typedef struct ice_io_stats {
	uint64_t requests;
	uint64_t retries;
	uint64_t bytes_sent;
	uint64_t bytes_received;
	uint64_t connections;
} ice_io_stats;
ICE_EXTERN void ice_io_stats_get(const ice_io *io, ice_io_stats *out);

/*
 * Rewrite locations starting with `from` to start with `to` instead. Maps are
 * tried in the order added; the first match wins.
 */
ICE_EXTERN int ice_io_add_path_map(ice_io *io, const char *from, const char *to);
/* The location after path mapping (allocated; free with ice_free()). */
ICE_EXTERN char *ice_io_resolve(const ice_io *io, const char *location);

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

/*
 * A presigned URL for reading the object at `location` (s3://, s3a://,
 * s3n://, after path maps): any HTTP client may GET it without credentials
 * for `expires_s` seconds (1 to 604800, 7 days, as S3 allows). Signed
 * locally with SigV4 query authentication by the io's S3 configuration
 * (endpoint, region, addressing, credentials); no request is sent, so an
 * object that does not exist gets a URL too (its GET answers 404). The URL
 * carries the access key id (a key's public name, as in every signed
 * request) and with temporary credentials the session token, as AWS's own
 * presigned URLs do; never the secret key. *url_out is allocated (free with
 * ice_free()). ICE_EUNSUPPORTED for a location on no object store,
 * ICE_EAUTH without credentials, ICE_EINVALID for an expiry out of range.
 */
ICE_EXTERN int ice_io_presign(char **url_out, const ice_io *io, const char *location, int64_t expires_s);

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
