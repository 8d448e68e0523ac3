/*
 * tests/unit/manifest/copy.h - see copy.c.
 */
#ifndef ICE_TEST_MANIFEST_COPY_H
#define ICE_TEST_MANIFEST_COPY_H

#include "ice.h"

/* Copy `in` (a manifest or a manifest list) to `out` with the same format
 * version and compare the two record by record: 0 when equal (error set
 * otherwise). *records_out gets the record count, *is_list_out the kind. */
int mc_copy(const ice_io *io, const ice_table_metadata *md, const char *in, const char *out, long *records_out,
            bool *is_list_out);

#endif
