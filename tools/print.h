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

/*
 * The JSON rows ice invents use one key style: snake_case, the column
 * names of Iceberg's metadata tables as Spark and PyIceberg show them
 * (docs/commands/README.md "JSON output"). Spec JSON keeps the spec's keys.
 *
 * A ref as a row of the refs table: name, type, snapshot_id,
 * max_reference_age_in_ms, min_snapshots_to_keep, max_snapshot_age_in_ms
 * (null when unset).
 */
void cli_json_ref(ice_json_writer *w, const ice_ref *ref);
/* A snapshot as a row of the snapshots table: committed_at_ms,
 * snapshot_id, parent_id, operation, manifest_list, summary (the spec's
 * summary map), sequence_number, schema_id. */
void cli_json_snapshot(ice_json_writer *w, const ice_snapshot *s);
/* A properties map as one JSON object. */
void cli_json_properties(ice_json_writer *w, const ice_properties *props);

#endif
