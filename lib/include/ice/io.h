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

/* Read a whole file (allocated; free with ice_free()). ICE_ENOTFOUND if
 * missing. `max_len` caps the size (0: 1 GiB). */
ICE_EXTERN int ice_io_read_all(const ice_io *io, const char *location, size_t max_len, uint8_t **data_out,
                               size_t *len_out);
ICE_EXTERN int ice_io_exists(const ice_io *io, const char *location, bool *exists_out);

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
