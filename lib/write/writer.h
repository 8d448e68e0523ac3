/*
 * write/writer.h - the data writer: rows of a table's schema in, Parquet
 * data files out, one open file per partition (fanout), rolled at the
 * target file size, with bounded memory (data_writer.c).
 */
#ifndef ICE_WRITE_WRITER_H
#define ICE_WRITE_WRITER_H

#include "ice/arrow.h"
#include "ice/manifest.h"
#include "ice/table.h"
#include "ice/write.h"

typedef struct ice_data_writer ice_data_writer;

int ice_data_writer__new(ice_data_writer **out, const ice_io *io, const ice_table_metadata *md,
                         const ice_write_options *opts);
/* A batch of rows already in the table's types: a struct array of the
 * current schema's top-level fields, laid out as convert.c makes them.
 * Borrowed: copied or written before the call returns. */
int ice_data_writer__write_batch(ice_data_writer *w, const struct ArrowArray *batch, const struct ArrowSchema *schema);
/* Finish every open file. The data files stay owned by the writer. */
int ice_data_writer__close(ice_data_writer *w, const ice_data_file *const **files_out, size_t *n_out);
/* Rows a caller should hand over at most per batch (SIZE_MAX: no limit
 * beyond its own): fewer when the table's rows are wide (fixed columns), so
 * memory stays within the budget. */
size_t ice_data_writer__max_batch_rows(const ice_data_writer *w);
/* Delete every file written so far. */
void ice_data_writer__delete_files(ice_data_writer *w);
void ice_data_writer__free(ice_data_writer *w);
int64_t ice_data_writer__rows(const ice_data_writer *w);
/* The threads the writer runs its parallel steps on (NULL: only the
 * caller's); inputs may use them between calls. */
struct ice_workers *ice_data_writer__workers(const ice_data_writer *w);
/* Partitions that got at least one data file. */
int64_t ice_data_writer__partitions(const ice_data_writer *w);

#endif
