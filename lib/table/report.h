/*
 * table/report.h - metrics reports of commits and scans (the REST spec's
 * CommitReport and ScanReport), sent to catalogs that take them.
 */
#ifndef ICE_TABLE_REPORT_H
#define ICE_TABLE_REPORT_H

#include "ice/table.h"

/* The table's catalog (table.c). */
ice_catalog *ice_table__catalog(const ice_table *t);

/* After a commit that added `snapshot_id` (now in the table's metadata):
 * a commit report, best effort (a failure to report changes nothing). */
void ice_table__report_commit(ice_table *t, int64_t snapshot_id, int attempts, int64_t elapsed_ms);

#endif
