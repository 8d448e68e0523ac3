/*
 * table/row_delete.h - finding and removing the rows a filter matches
 * (row_delete.c), for ice delete and ice overwrite (row_overwrite.c).
 */
#ifndef ICE_TABLE_ROW_DELETE_H
#define ICE_TABLE_ROW_DELETE_H

#include "ice/delete.h"
#include "ice/expr.h"
#include "ice/parquet.h"
#include "ice/puffin.h"
#include "row_commit.h"

/*
 * Record on `change` the removal of every row of the table's current
 * snapshot that `filter` (bound to the current schema; NULL: every row)
 * matches: whole data files (with their deletion vectors) where every
 * live row matches, and for the others rewritten files (copy-on-write) or
 * delete files (merge-on-read: position deletes in v2, deletion vectors in
 * v3). Counts go to `report`.
 */
int ice_rows__remove_matching(ice_table *table, ice_row_change *change, const ice_expr *filter,
                              ice_delete_mode mode, ice_delete_report *report);

/* Drop whole every live data file `select` chooses, with its deletion
 * vectors (dynamic overwrites). */
int ice_rows__remove_files(ice_table *table, ice_row_change *change, bool (*select)(const ice_data_file *, void *),
                           void *payload, ice_delete_report *report);

/* A position delete file at `location`: for each of the n data files (in
 * path order), rows (file_path, pos) of the positions its vector holds;
 * bounds keep whole paths. Its metrics in *out. The file is tracked on
 * `track` once this process created it (never before: a name already
 * taken is someone's committed file, not ours to delete). */
int ice_rows__write_positions(ice_parquet_file_metrics **out, ice_row_change *track, const ice_io *io,
                              const char *location, const ice_parquet_write_options *opts, const char *const *paths,
                              const ice_deletion_vector *const *dvs, size_t n);
/* The manifest entry of a written file (data content; partition of
 * `like`), values in `a`. */
int ice_rows__file_entry(struct ice_arena *a, ice_data_file *df, const char *location, const ice_data_file *like,
                         const ice_parquet_file_metrics *m);

/* The manifest entry of a deletion vector of data file `f`: `length`
 * bytes at `offset` in the Puffin file `puffin` (values borrowed). */
void ice_rows__dv_entry(ice_data_file *df, const ice_data_file *f, const char *puffin, int64_t puffin_size,
                        int64_t cardinality, int64_t offset, int64_t length);

/* write.delete.isolation-level / write.update.isolation-level: true for
 * serializable (the default). */
bool ice_rows__serializable(const ice_table_metadata *md, const char *property, ice_isolation isolation);

#endif
