/*
 * table/report.c - metrics reports (REST spec components ReportMetricsRequest,
 * CommitReport, ScanReport; the metrics Java's CommitMetricsResult and
 * ScanMetricsResult name): after a commit that added a snapshot, its
 * summary's counts, the attempts and the time taken; after a scan, what
 * planning read and skipped. Sent to the table's catalog when it takes
 * reports (a REST catalog that lists POST .../metrics), best effort: a
 * report that cannot be sent changes nothing and is not an error.
 */
#include <string.h>

#include "catalog/internal.h"
#include "ice/expr.h"
#include "ice/scan.h"
#include "report.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strutil.h"

/* Snapshot summary keys and the commit metrics they become. */
static const struct {
	const char *summary;
	const char *metric;
	const char *unit;
} commit_counters[] = {
	{"added-data-files", "added-data-files", "count"},
	{"deleted-data-files", "removed-data-files", "count"},
	{"total-data-files", "total-data-files", "count"},
	{"added-delete-files", "added-delete-files", "count"},
	{"added-equality-delete-files", "added-equality-delete-files", "count"},
	{"added-position-delete-files", "added-positional-delete-files", "count"},
	{"added-dvs", "added-dvs", "count"},
	{"removed-delete-files", "removed-delete-files", "count"},
	{"removed-dvs", "removed-dvs", "count"},
	{"total-delete-files", "total-delete-files", "count"},
	{"added-records", "added-records", "count"},
	{"deleted-records", "removed-records", "count"},
	{"total-records", "total-records", "count"},
	{"added-files-size", "added-files-size-bytes", "bytes"},
	{"removed-files-size", "removed-files-size-bytes", "bytes"},
	{"total-files-size", "total-files-size-bytes", "bytes"},
	{"added-position-deletes", "added-positional-deletes", "count"},
	{"removed-position-deletes", "removed-positional-deletes", "count"},
	{"total-position-deletes", "total-positional-deletes", "count"},
	{"added-equality-deletes", "added-equality-deletes", "count"},
	{"removed-equality-deletes", "removed-equality-deletes", "count"},
	{"total-equality-deletes", "total-equality-deletes", "count"},
	{"manifests-created", "manifests-created", "count"},
	{"manifests-kept", "manifests-kept", "count"},
	{"manifests-replaced", "manifests-replaced", "count"},
	{"entries-processed", "manifest-entries-processed", "count"},
};

static void counter(ice_json_writer *w, const char *name, const char *unit, int64_t value)
{
	ice_json_key(w, name);
	ice_json_begin_object(w);
	ice_json_key(w, "unit");
	ice_json_string(w, unit);
	ice_json_key(w, "value");
	ice_json_int(w, value);
	ice_json_end_object(w);
}

static void timer(ice_json_writer *w, const char *name, int64_t ns)
{
	ice_json_key(w, name);
	ice_json_begin_object(w);
	ice_json_key(w, "count");
	ice_json_int(w, 1);
	ice_json_key(w, "time-unit");
	ice_json_string(w, "nanoseconds");
	ice_json_key(w, "total-duration");
	ice_json_int(w, ns);
	ice_json_end_object(w);
}

static void engine(ice_json_writer *w)
{
	ice_json_key(w, "metadata");
	ice_json_begin_object(w);
	ice_json_key(w, "engine-name");
	ice_json_string(w, "ice");
	ice_json_key(w, "engine-version");
	ice_json_string(w, ICE_VERSION_STRING);
	ice_json_end_object(w);
}

static void send(ice_catalog *c, const char *identifier, ice_json_writer *w)
{
	const char *text;
	size_t len;
	if (ice_json_writer_finish(w, &text, &len) == 0)
		ice_catalog__report_metrics(c, identifier, text, len);
	/* Best effort: whatever went wrong stays unreported. */
	ice_error_clear();
}

void ice_table__report_commit(ice_table *t, int64_t snapshot_id, int attempts, int64_t elapsed_ms)
{
	ice_catalog *c = ice_table__catalog(t);
	const ice_table_metadata *md = ice_table_current(t);
	const ice_snapshot *s = md ? ice_table_metadata_snapshot_by_id(md, snapshot_id) : NULL;
	ice_json_writer w;
	if (!c || !s || !ice_catalog__takes_metrics(c))
		return;
	ice_jw__init(&w, ICE_JSON_COMPACT);
	ice_json_begin_object(&w);
	ice_json_key(&w, "report-type");
	ice_json_string(&w, "commit-report");
	ice_json_key(&w, "table-name");
	ice_json_string(&w, ice_table_identifier(t));
	ice_json_key(&w, "snapshot-id");
	ice_json_int(&w, s->snapshot_id);
	ice_json_key(&w, "sequence-number");
	ice_json_int(&w, s->sequence_number);
	ice_json_key(&w, "operation");
	ice_json_string(&w, s->operation ? s->operation : "append");
	ice_json_key(&w, "metrics");
	ice_json_begin_object(&w);
	timer(&w, "total-duration", elapsed_ms * 1000000);
	counter(&w, "attempts", "count", attempts);
	for (size_t i = 0; i < sizeof(commit_counters) / sizeof(commit_counters[0]); i++) {
		const char *v = ice_properties_get(&s->summary, commit_counters[i].summary);
		int64_t n;
		if (v && ice_str__to_int64(v, strlen(v), &n))
			counter(&w, commit_counters[i].metric, commit_counters[i].unit, n);
	}
	ice_json_end_object(&w);
	engine(&w);
	ice_json_end_object(&w);
	send(c, ice_table_identifier(t), &w);
	ice_jw__free(&w);
}

/* ---- scans ------------------------------------------------------------------------------- */

static const char *const op_types[] = {
	[ICE_OP_TRUE] = "true",         [ICE_OP_FALSE] = "false",           [ICE_OP_IS_NULL] = "is-null",
	[ICE_OP_NOT_NULL] = "not-null", [ICE_OP_IS_NAN] = "is-nan",         [ICE_OP_NOT_NAN] = "not-nan",
	[ICE_OP_LT] = "lt",             [ICE_OP_LT_EQ] = "lt-eq",           [ICE_OP_GT] = "gt",
	[ICE_OP_GT_EQ] = "gt-eq",       [ICE_OP_EQ] = "eq",                 [ICE_OP_NOT_EQ] = "not-eq",
	[ICE_OP_STARTS_WITH] = "starts-with", [ICE_OP_NOT_STARTS_WITH] = "not-starts-with",
	[ICE_OP_IN] = "in",             [ICE_OP_NOT_IN] = "not-in",
};

/* A filter as the spec's Expression JSON. */
static int write_expr(ice_json_writer *w, const ice_expr *e, int depth)
{
	if (depth > 200)
		return ice_jw__fail(w, ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "filter nested too deeply"));
	switch (ice_expr_get_kind(e)) {
	case ICE_EXPR_TRUE:
		return ice_json_bool(w, true);
	case ICE_EXPR_FALSE:
		return ice_json_bool(w, false);
	case ICE_EXPR_AND:
	case ICE_EXPR_OR:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, ice_expr_get_kind(e) == ICE_EXPR_AND ? "and" : "or");
		ice_json_key(w, "left");
		write_expr(w, ice_expr_child(e, 0), depth + 1);
		ice_json_key(w, "right");
		write_expr(w, ice_expr_child(e, 1), depth + 1);
		return ice_json_end_object(w);
	case ICE_EXPR_NOT:
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, "not");
		ice_json_key(w, "child");
		write_expr(w, ice_expr_child(e, 0), depth + 1);
		return ice_json_end_object(w);
	case ICE_EXPR_PREDICATE: {
		ice_op op = ice_expr_op(e);
		size_t n = ice_expr_literal_count(e);
		if ((unsigned)op >= sizeof(op_types) / sizeof(op_types[0]) || !op_types[op])
			return ice_jw__fail(w, ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "unknown operation"));
		ice_json_begin_object(w);
		ice_json_key(w, "type");
		ice_json_string(w, op_types[op]);
		ice_json_key(w, "term");
		ice_json_string(w, ice_expr_column(e) ? ice_expr_column(e) : "");
		if (op == ICE_OP_IN || op == ICE_OP_NOT_IN) {
			ice_json_key(w, "values");
			ice_json_begin_array(w);
			for (size_t i = 0; i < n; i++)
				ice_literal_write_json(ice_expr_literal(e, i), w);
			ice_json_end_array(w);
		} else if (n > 0) {
			ice_json_key(w, "value");
			ice_literal_write_json(ice_expr_literal(e, 0), w);
		}
		return ice_json_end_object(w);
	}
	}
	return ice_jw__fail(w, ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "unknown expression"));
}

int ice_table_report_scan(ice_table *t, const ice_scan *scan, int64_t planning_ns)
{
	ice_catalog *c = ice_table__catalog(t);
	const ice_snapshot *snap = ice_scan_snapshot(scan);
	const ice_schema *schema = ice_scan_schema(scan);
	const ice_type *proj = ice_scan_projected_type(scan);
	const ice_expr *filter = ice_scan_filter(scan);
	ice_scan_stats st;
	ice_json_writer w;
	if (!c || !snap || !schema || !ice_catalog__takes_metrics(c))
		return 0;
	ice_scan_get_stats(scan, &st);
	ice_jw__init(&w, ICE_JSON_COMPACT);
	ice_json_begin_object(&w);
	ice_json_key(&w, "report-type");
	ice_json_string(&w, "scan-report");
	ice_json_key(&w, "table-name");
	ice_json_string(&w, ice_table_identifier(t));
	ice_json_key(&w, "snapshot-id");
	ice_json_int(&w, snap->snapshot_id);
	ice_json_key(&w, "filter");
	if (filter)
		write_expr(&w, filter, 0);
	else
		ice_json_bool(&w, true);
	ice_json_key(&w, "schema-id");
	ice_json_int(&w, ice_schema_id(schema));
	ice_json_key(&w, "projected-field-ids");
	ice_json_begin_array(&w);
	for (size_t i = 0; proj && proj->id == ICE_TYPE_STRUCT && i < proj->u.struct_.nfields; i++)
		ice_json_int(&w, proj->u.struct_.fields[i].id);
	ice_json_end_array(&w);
	ice_json_key(&w, "projected-field-names");
	ice_json_begin_array(&w);
	for (size_t i = 0; proj && proj->id == ICE_TYPE_STRUCT && i < proj->u.struct_.nfields; i++)
		ice_json_string(&w, proj->u.struct_.fields[i].name);
	ice_json_end_array(&w);
	ice_json_key(&w, "metrics");
	ice_json_begin_object(&w);
	timer(&w, "total-planning-duration", planning_ns);
	counter(&w, "result-data-files", "count", st.tasks);
	counter(&w, "result-delete-files", "count", st.delete_files);
	counter(&w, "total-data-manifests", "count", st.manifests - st.delete_manifests);
	counter(&w, "total-delete-manifests", "count", st.delete_manifests);
	counter(&w, "scanned-data-manifests", "count", st.manifests - st.delete_manifests - st.manifests_skipped);
	counter(&w, "skipped-data-manifests", "count", st.manifests_skipped);
	counter(&w, "skipped-data-files", "count", st.data_files_skipped_partition + st.data_files_skipped_metrics);
	ice_json_end_object(&w);
	engine(&w);
	ice_json_end_object(&w);
	send(c, ice_table_identifier(t), &w);
	ice_jw__free(&w);
	return 0;
}
