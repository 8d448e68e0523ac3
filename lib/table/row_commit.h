/*
 * table/row_commit.h - the snapshot producer of row-level changes
 * (row_commit.c): data files removed and added, delete files (position
 * deletes, deletion vectors) added and removed, committed as one "delete"
 * or "overwrite" snapshot with validation against what other writers
 * committed since the change was planned.
 */
#ifndef ICE_TABLE_ROW_COMMIT_H
#define ICE_TABLE_ROW_COMMIT_H

#include "ice/expr.h"
#include "ice/manifest.h"
#include "ice/table.h"

typedef struct ice_row_change ice_row_change;

/* A change planned against `start` (the main branch's snapshot then, NULL
 * for a table without one). */
int ice_row_change__new(ice_row_change **out, ice_table *table, const ice_snapshot *start);
void ice_row_change__free(ice_row_change *c);
int64_t ice_row_change__snapshot_id(const ice_row_change *c);
/* The size of the data and delete files the change adds (a DV: its blob). */
int64_t ice_row_change__bytes_added(const ice_row_change *c);
/* The commit's uuid (for naming files it writes). */
const char *ice_row_change__uuid(const ice_row_change *c);

/* Files are deep-copied. A removed file must be live in `start`. */
int ice_row_change__remove_data(ice_row_change *c, const ice_data_file *file);
int ice_row_change__add_data(ice_row_change *c, const ice_data_file *file);
int ice_row_change__add_delete(ice_row_change *c, const ice_data_file *file);
/* A delete file that replaces others (a rewrite of position deletes): it
 * keeps their data sequence number (>= 0; Java's RewriteFiles.addFile(file,
 * dataSequenceNumber)) so it applies to the data files they applied to and
 * to none added after them; negative: the commit's, as add_delete. */
int ice_row_change__add_delete_seq(ice_row_change *c, const ice_data_file *file, int64_t data_sequence_number);
int ice_row_change__remove_delete(ice_row_change *c, const ice_data_file *file);
/* A data file whose rows the added deletes refer to: it must stay live. */
int ice_row_change__reference(ice_row_change *c, const ice_data_file *data_file);
/* A file this change wrote: deleted when the commit definitely fails. */
int ice_row_change__track(ice_row_change *c, const char *location);
/* Give up before committing: deletes every tracked file. */
void ice_row_change__abandon(ice_row_change *c);

/*
 * What concurrent commits must not have done, checked on every attempt
 * against the snapshots committed since `start`:
 *   - removed a file this change removes or refers to (always);
 *   - added delete files for such a file, or for its partition (always:
 *     rewriting it would bring those rows back);
 *   - with `serializable`, added data files that may hold rows matching
 *     `filter` (bound to the table schema; NULL: none) or that fall in one
 *     of the partitions added with ice_row_change__conflict_partition().
 * `filter` is borrowed and must outlive the commit; it also prunes the
 * manifests searched for removed files. A failed check ends the commit
 * with ICE_ECONFLICT.
 */
void ice_row_change__validate(ice_row_change *c, const ice_expr *filter, bool serializable);
/* The partition (spec and tuple) of `file` conflicts, as above. */
int ice_row_change__conflict_partition(ice_row_change *c, const ice_data_file *file);
/* Adds `key` = `value` to the snapshot summary (e.g. replace-partitions). */
int ice_row_change__summary(ice_row_change *c, const char *key, const char *value);

/*
 * A rewrite (compaction): the snapshot's operation is "replace" and the
 * data files it adds keep the data sequence number `data_sequence_number`
 * (the starting snapshot's; negative: inherit the new one), so that
 * equality deletes other writers commit meanwhile still apply to them and
 * are no conflict. Position deletes and deletion vectors added meanwhile
 * for a file this change removes (or for its partition, when they name no
 * file) remain conflicts: they would be lost.
 */
void ice_row_change__rewrite(ice_row_change *c, int64_t data_sequence_number);

/* Nothing to commit: no file added or removed. */
bool ice_row_change__empty(const ice_row_change *c);

/*
 * Commit: operation "delete" when no data file is added, else
 * "overwrite" ("replace" for a rewrite). Codes as for ice_table_commit. On a definite failure every
 * tracked file and every manifest written is deleted.
 */
int ice_row_change__commit(ice_row_change *c, const ice_commit_options *opts, ice_commit_result *result);

#endif
