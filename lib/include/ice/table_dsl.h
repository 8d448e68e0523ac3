/*
 * ice/table_dsl.h - schemas, partition specs and sort orders from the text
 * a user types on the command line (see docs/commands/create.md):
 *
 *   schema:     id long required, ts timestamptz, name string comment 'who',
 *               tags list<string>, m map<string, int>, s struct<a: int, b: string>,
 *               d decimal(10,2), f fixed[16], n int default 0
 *   partition:  day(ts), bucket(16, id), truncate(4, name), identity(x) or x,
 *               year/month/hour(ts), void(x), each optionally `as NAME`
 *   sort order: ts desc nulls last, id
 *
 * Errors are ICE_EINVALID with a one-line message naming the expression and
 * the column where the problem starts: "schema: column 9: unknown type 'lng'".
 * Results belong to the caller (free with ice_schema_free,
 * ice_partition_spec_free, ice_sort_order_free).
 */
#ifndef ICE_TABLE_DSL_H
#define ICE_TABLE_DSL_H

#include "common.h"
#include "io.h"
#include "partition_spec.h"
#include "schema.h"

ICE_BEGIN_DECL

/*
 * A schema with fresh field ids (a struct's fields first, then what is
 * nested in them, as the reference implementation assigns them), schema
 * id 0. `default V` sets a field's write-default (format v3 only).
 */
ICE_EXTERN int ice_schema_parse_dsl(ice_schema **out, const char *text);

/* A spec over `schema` (spec id 0, field ids unassigned: the builder
 * assigns them); an empty text is the unpartitioned spec. */
ICE_EXTERN int ice_partition_spec_parse_dsl(ice_partition_spec **out, const char *text, const ice_schema *schema);

/* A sort order over `schema` (order id 1; an empty text: unsorted, id 0). */
ICE_EXTERN int ice_sort_order_parse_dsl(ice_sort_order **out, const char *text, const ice_schema *schema);

/*
 * A schema inferred from a sample file: a .parquet file's schema (with
 * fresh field ids), else a CSV file (header, then up to 1000 rows; fields
 * separated by `delimiter`, 0 meaning ','): each column boolean, long,
 * double, date, timestamp or timestamptz when every non-empty sampled value
 * parses as one, else string; all optional.
 */
ICE_EXTERN int ice_schema_infer(ice_schema **out, const ice_io *io, const char *location, char delimiter);

ICE_END_DECL

#endif
