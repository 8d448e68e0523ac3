/*
 * scan/read.h - what the files that turn planned tasks into rows share:
 * Arrow arrays built, viewed, converted and filtered (arrow_build.c,
 * arrow_ops.c), the projection of a data file onto the rows being read
 * (project.c), delete files (deletes.c), one task's reader (read.c) and the
 * scan's stream (stream.c). See docs/internals/reading.md.
 */
#ifndef ICE_SCAN_READ_H
#define ICE_SCAN_READ_H

#include <stdatomic.h>

#include "ice/arrow.h"
#include "ice/name_mapping.h"
#include "ice/parquet.h"
#include "ice/puffin.h"
#include "ice/scan.h"
#include "util/alloc.h"
#include "util/arrow.h"
#include "util/arena.h"
#include "util/error.h"

/* ---- arrow_build.c: arrays and schemas the reader makes ------------------- */

/* How values of an Arrow format are laid out. */
enum {
	RD_BOOL,     /* bit-packed values */
	RD_FIXED,    /* `width` bytes per value */
	RD_VAR32,    /* int32 offsets and bytes (u, z) */
	RD_VAR64,    /* int64 offsets and bytes (U, Z) */
	RD_NULL,     /* n: no buffers */
	RD_STRUCT,   /* +s */
	RD_LIST,     /* +l */
	RD_MAP,      /* +m */
	RD_OTHER,    /* anything else (not produced by ice) */
};

typedef struct rd_layout {
	int kind;
	int width; /* RD_FIXED */
} rd_layout;

rd_layout ice_read__layout(const char *format);

/* Arrays, holders and schemas are util/arrow.h's: ice_arrow__array_make,
 * ice_arrow__holder_new, ice_arrow__schema_make, ... */
/* The Arrow schema of an Iceberg field (its name, nullability, field id
 * metadata) and of a struct type (a "+s" named `name`). */
int ice_read__schema_for_field(struct ArrowSchema *out, const ice_field *field);
int ice_read__schema_for_struct(struct ArrowSchema *out, const ice_type *struct_type, const char *name);
/* The "PARQUET:field_id" metadata of a schema node, or 0 when it has none. */
int32_t ice_read__schema_field_id(const struct ArrowSchema *s);

/* ---- arrow_ops.c: making, converting and filtering values ------------------ */

/*
 * An array of `length` copies of `value` (NULL: nulls) for a field of
 * `type` laid out as `schema`. Struct values come from the literal's items
 * by field id, or, for a non-null struct without items (an initial-default
 * of {}), from each child field's initial-default.
 */
int ice_read__array_const(struct ArrowArray *out, const struct ArrowSchema *schema, const ice_type *type,
                          const ice_literal *value, int64_t length);

/*
 * Elements [start, start + n) of `a` (logical positions, before a's own
 * offset is added), keeping those whose bit is set in `keep` (indexed from
 * 0 for `start`; NULL keeps all): a new compact array with offset 0 that
 * owns its buffers.
 */
int ice_read__array_take(struct ArrowArray *out, const struct ArrowSchema *schema, const struct ArrowArray *a,
                         int64_t start, int64_t n, const uint8_t *keep);

/*
 * Values of a primitive array laid out as `from` re-laid as `to` when the
 * Iceberg promotion or unit needs it (int widths, float to double, date to
 * timestamp, milli/nano to micro and back). *converted is false (and *out
 * untouched) when the layouts are the same and a view will do.
 * ICE_EUNSUPPORTED when the formats cannot convert.
 */
int ice_read__array_convert(struct ArrowArray *out, bool *converted, const char *from, const char *to,
                            const struct ArrowArray *a, ice_arrow_holder *holder);

/* ---- project.c: a data file's columns as the rows being read ---------------- */

/* The rows a reader produces before deletes and filters: the projected
 * fields, then fields only deletes or the residual need. */
typedef struct rd_target {
	const ice_type *type;             /* struct type: the fields read */
	size_t nprojected;                /* the first nprojected fields are returned */
	struct ArrowSchema arrow;         /* "+s" of every field read */
} rd_target;

/* How one file's columns become the target (built per file). */
typedef struct rd_projection rd_projection;

typedef struct rd_file_context {
	const ice_name_mapping *mapping;  /* for files without field ids; may be NULL */
	const ice_partition_spec *spec;   /* the data file's spec; identity values fill missing columns */
	const ice_literal *partition;     /* the data file's partition tuple */
	size_t n_partition;
	const char *location;             /* for messages */
} rd_file_context;

/*
 * Match the target's fields to the file's columns (by field id, or by the
 * name mapping when the file has no ids) and open a Parquet scan of just
 * the columns needed, with `opts` supplying row groups, the row-group
 * filter, batch size and threads.
 */
int ice_read__projection_open(rd_projection **out, ice_parquet_scan **scan_out, ice_parquet_reader *r,
                              const rd_target *target, const rd_file_context *ctx,
                              const ice_parquet_scan_options *opts);
void ice_read__projection_free(rd_projection *p);
/* A file batch (moved in) as a batch of the target. */
int ice_read__projection_apply(rd_projection *p, struct ArrowArray *file_batch, struct ArrowArray *out);
/* The compressed bytes of the row group's columns the projection decodes. */
int64_t ice_read__projection_bytes(const rd_projection *p, const ice_parquet_row_group *rg);
/* The leaf column of the file holding field `field_id` (for statistics),
 * NULL when the file has none; *constant receives the value a missing
 * column reads as (NULL for null). */
const ice_parquet_column *ice_read__projection_column(const rd_projection *p, int32_t field_id,
                                                      const ice_literal **constant, bool *missing);

/* A struct type with only the fields of `t` whose ids are listed (whole)
 * and the structs leading to them (pruned), in `a`. NULL: out of memory. */
const ice_type *ice_read__prune(ice_arena *a, const ice_type *t, const int32_t *ids, size_t n);
/* The child indices leading from struct `t` to field `id` (through structs). */
bool ice_read__field_path(const ice_type *t, int32_t id, int *path, int *depth, int max);

/* ---- read.c ----------------------------------------------------------------- */

/* ice_scan_task_open with the number of threads that decode the columns of
 * a batch (the stream reads several tasks at once with 1 each); the stream
 * counts the rows it returns itself (`count_returned` false), since its
 * workers read ahead of what the consumer takes. Batch buffers come from
 * `pool` (NULL: the file's own), which the stream shares across files so
 * that released batches' memory is reused instead of faulted in again. */
int ice_scan__task_open(ice_scan_reader **out, ice_scan *scan, const ice_scan_task *task, size_t decode_threads,
                        bool count_returned, ice_arrow_pool *pool);

/* ---- read_deletes.c: the rows of one data file that deletes remove ----------------- */

typedef struct rd_deletes rd_deletes;

typedef struct rd_delete_context {
	const ice_io *io;
	const ice_name_mapping *mapping;  /* for delete files without field ids */
	const ice_table_metadata *md;
	const ice_schema *schema;         /* the scan's */
	size_t batch_size;
	_Atomic int64_t *bytes_read;      /* may be NULL */
} rd_delete_context;

/*
 * Load what applies to `data_file` (whose rows are [0, nrows)): position
 * delete files and deletion vectors into a bitmap of positions, equality
 * delete files into sets of keys, one per set of equality ids. Equality
 * fields the scan's schema lacks (dropped since) are typed from the newest
 * schema that has them.
 */
int ice_read__deletes_open(rd_deletes **out, const rd_delete_context *ctx, const ice_data_file *data_file,
                           const ice_scan_delete *deletes, size_t ndeletes, int64_t nrows);
void ice_read__deletes_free(rd_deletes *d);
/* The fields equality deletes compare (top-level fields of the data rows
 * to read for them; may repeat fields read for other reasons). */
const ice_type *ice_read__deletes_fields(const rd_deletes *d);
/* Clear the keep bit of rows [first_row, first_row + n) deleted by
 * position, and of rows whose equality fields (`eq`, a struct array of
 * ice_read__deletes_fields() with n rows) match a delete. */
int ice_read__deletes_apply(const rd_deletes *d, int64_t first_row, const struct ArrowArray *const *eq,
                            const struct ArrowSchema *const *eq_schema, int64_t n, uint8_t *keep);
bool ice_read__deletes_any(const rd_deletes *d);

#endif
