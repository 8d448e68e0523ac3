/*
 * table/internal.h - what the snapshot producers (fast_append.c,
 * row_commit.c, rewrite_manifests.c) share from the commit protocol.
 */
#ifndef ICE_TABLE_INTERNAL_H
#define ICE_TABLE_INTERNAL_H

#include "ice/manifest.h"
#include "ice/table_metadata.h"

/*
 * The options of a new snapshot's manifest list on `base`: format
 * version, snapshot and parent ids, the next sequence number (v2+) and the
 * first row id (v3). ICE_EINVALID when the table has no sequence number
 * left (last-sequence-number is 2^63 - 1).
 */
int ice_table__list_options(ice_manifest_list_writer_options *out, const ice_table_metadata *base, int version,
                            int64_t snapshot_id, const ice_snapshot *parent);

#endif
