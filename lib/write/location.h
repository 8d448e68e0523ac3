/*
 * write/location.h - the table's location provider (location.c): where
 * every writer puts a new data or delete file.
 */
#ifndef ICE_WRITE_LOCATION_H
#define ICE_WRITE_LOCATION_H

#include "ice/partition_spec.h"
#include "ice/table_metadata.h"

/*
 * The location of a new file named `filename` (a plain name, no '/') of
 * the table `md`: under write.data.path (default <location>/data), in the
 * partition directory of `partition` (spec->nfields values of `spec`; NULL
 * or an unpartitioned spec: none), or, with write.object-storage.enabled,
 * behind the hashed prefix Java's ObjectStoreLocationProvider uses. Files
 * that belong to no partition (a Puffin file of deletion vectors) pass NULL.
 * Allocated into *out. ICE_EINVALID when the table location or the data
 * location is relative.
 */
int ice_write__new_file_location(char **out, const ice_table_metadata *md, const ice_partition_spec *spec,
                                 const ice_literal *partition, const char *filename);

/* PartitionSpec.partitionToPath: "a=1/b=x" ("" without fields) appended to `b`. */
struct ice_buf;
int ice_write__partition_path(struct ice_buf *b, const ice_partition_spec *spec, const ice_literal *partition);

/* ICE_EINVALID when the table's location is relative (or empty): no file
 * of it, data or metadata, can be written anywhere meaningful. */
int ice_write__check_table_location(const ice_table_metadata *md);

#endif
