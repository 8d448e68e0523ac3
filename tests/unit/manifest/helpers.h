/*
 * tests/unit/manifest/helpers.h - what the manifest tests share: a scratch
 * directory, the corpus' .avro files, and building small schemas, specs and
 * data files for writers.
 */
#ifndef ICE_TEST_MANIFEST_HELPERS_H
#define ICE_TEST_MANIFEST_HELPERS_H

#include "ice.h"

/* A fresh path in the tests' scratch directory ("<dir>/<name>"), with any
 * earlier file of that name removed. Static buffer per call site. */
const char *mt_path(const char *name, char *buf, size_t cap);

/* Every .avro file under the fixtures (sorted); NULL-terminated, static. */
const char *const *mt_fixture_avros(void);
/* Whether INDEX.json says the file is unreadable (a negative case). */
bool mt_is_negative(const char *path);
/* The table directory holding `path` (its metadata/ parent), or NULL. */
char *mt_table_dir(const char *path);

/* Parse helpers that abort the test run on bad input (test bugs). */
ice_schema *mt_schema(const char *json);
ice_partition_spec *mt_spec(const char *json);

/* Read every record of a manifest or list: the count, or -1 (error set). */
long mt_count_manifest(const ice_io *io, const ice_table_metadata *md, const char *path);
long mt_count_list(const ice_io *io, const ice_table_metadata *md, const char *path);

/* Copy a manifest or list the way a round trip does: read `in`, write `out`
 * with the same format version (metrics kept, row ids kept), read `out`
 * and compare every record. 0 when equal; *records_out gets the count. */
int mt_roundtrip(const ice_io *io, const ice_table_metadata *md, const char *in, const char *out, long *records_out,
                 bool *is_list_out);

#endif
