/*
 * table/new_snapshot.h - what every snapshot producer (fast_append.c,
 * row_commit.c, rewrite_manifests.c) does alike: open the new snapshot's
 * manifest list with the base's writer options (format version, snapshot
 * id, parent, the next sequence number from v2, the next row id from v3)
 * under metadata/snap-<id>-<attempt>-<uuid>.avro, tracked for the attempt,
 * and close it into the snapshot record (timestamp after the base's last
 * update, schema id, v3 row range). Summary, operation and refs stay the
 * producer's.
 */
#ifndef ICE_TABLE_NEW_SNAPSHOT_H
#define ICE_TABLE_NEW_SNAPSHOT_H

#include "ice/manifest.h"
#include "ice/table.h"
#include "ice/write.h"

typedef struct ice_new_list {
	ice_manifest_list_writer *writer; /* NULL once closed or aborted */
	char *location;                   /* the manifest list */
	int64_t snapshot_id;
	int64_t sequence_number;          /* 0 in v1 */
	int64_t first_row_id;             /* v3: the base's next row id */
	int format_version;
	const ice_snapshot *parent;       /* borrowed from the base; may be NULL */
} ice_new_list;

/* <table location>/metadata/<name> (allocated). */
char *ice_table__metadata_file(const ice_table_metadata *md, const char *name);

/* Opens the list (and tracks it on `ctx`); on failure nothing is open. */
int ice_table__new_list_open(ice_new_list *nl, ice_commit_ctx *ctx, const ice_table_metadata *base, const ice_io *io,
                             int64_t snapshot_id, const char *uuid, const ice_snapshot *parent);
/* Closes the list and fills `snap` but its summary and operation;
 * snap->manifest_list borrows nl->location. */
int ice_table__new_list_close(ice_new_list *nl, const ice_table_metadata *base, ice_snapshot *snap);
/*
 * Inside an operation's attempt (table.c): the commit's summary properties
 * and idempotency key added to snap->summary (the items live until the
 * attempt ends); and the idempotency check on the history from `parent`
 * (the head of the branch committed to): found, it marks the attempt
 * skipped and returns an error that ends it (ice_table_commit then returns
 * 0 with ICE_COMMIT_SKIPPED). ice_table__new_list_open checks.
 */
int ice_table__summary_extend(ice_commit_ctx *ctx, ice_snapshot *snap);
int ice_table__check_idempotency(ice_commit_ctx *ctx, const ice_table_metadata *base, const ice_snapshot *parent);
/* Milliseconds of a monotonic clock since `since` (0: the clock itself). */
int64_t ice_table__elapsed_ms(int64_t since);
/* Abandons an open list (a no-op after close) and frees the location. */
void ice_table__new_list_free(ice_new_list *nl);

/* fast_append.c: a check of each retried attempt's base, run before the
 * append's snapshot is built on it (add_files.c refuses a file another
 * writer's commit listed since the check made before the first attempt). */
typedef int (*ice_append_check_fn)(const ice_table_metadata *base, void *payload);
void ice_append__set_check(ice_append *a, ice_append_check_fn fn, void *payload);

#endif
