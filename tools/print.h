/*
 * tools/print.h - readable renderings shared by the inspection commands.
 */
#ifndef ICE_TOOLS_PRINT_H
#define ICE_TOOLS_PRINT_H

#include "cli.h"

/* Indented field tree: id, name, type, required/optional, doc, defaults. */
void print_schema_tree(FILE *f, const ice_schema *schema, int indent);
/* "bucket[16](id) AS id_bucket [1000], day(ts) AS ts_day [1001]" */
void print_partition_spec(FILE *f, const ice_partition_spec *spec, const ice_schema *schema);
/* "ts DESC NULLS LAST, bucket[4](id) ASC NULLS FIRST" */
void print_sort_order(FILE *f, const ice_sort_order *order, const ice_schema *schema);

/* A data file's partition tuple: "{ts_day=2024-01-01, id_bucket=3}". */
void print_partition_values(FILE *f, const ice_partition_spec *spec, const ice_data_file *df);

#endif
