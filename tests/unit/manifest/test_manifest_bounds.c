/*
 * tests/unit/manifest/test_manifest_bounds.c - the project's bound cases
 * (spec-fixtures/bounds): every type's single-value serialization through
 * literals and through a manifest written and read back, bounds of promoted
 * columns, geo points, undecodable bytes, truncate(N) for strings and
 * binary, and metrics modes from table properties.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "manifest/internal.h"
#include "spec/model.h"
#include "test.h"
#include "util/json.h"
#include "util/strutil.h"

static ice_json *load_cases(const char *name, char **text_out)
{
	char path[4096];
	size_t len;
	ice_json *doc = NULL;
	snprintf(path, sizeof(path), "%s/spec-fixtures/bounds/%s", ice_test_source_root(), name);
	*text_out = ice_test_read_file(path, &len);
	if (!*text_out || ice_json__parse(&doc, *text_out, len, name) != 0)
		return NULL;
	return doc;
}

static const char *str_of(const ice_json *obj, const char *key)
{
	const ice_json *v = ice_json__get(obj, key);
	return v ? ice_json__str(v, NULL) : NULL;
}

/* bytes from hex (static buffer) */
static const uint8_t *unhex(const char *hex, size_t *len)
{
	static uint8_t buf[256];
	*len = strlen(hex) / 2;
	if (*len > sizeof(buf) || !ice_hex__decode(hex, strlen(hex), buf))
		return NULL;
	return buf;
}

/* A case's value as a literal of its type (JSON single-value form). */
static int case_literal(ice_literal *out, const ice_type **type, ice_arena *arena, const ice_json *c)
{
	const char *t = str_of(c, "type");
	ice_json_writer *w = NULL;
	const char *json;
	size_t len;
	int rc;
	if ((rc = ice_type__parse_primitive(type, arena, t, strlen(t))) != 0)
		return rc;
	if ((rc = ice_json_writer_new(&w, ICE_JSON_COMPACT)) != 0)
		return rc;
	ice_json__write(ice_json__get(c, "value"), w);
	if ((rc = ice_json_writer_finish(w, &json, &len)) == 0)
		rc = ice_literal_from_json(out, *type, json, len, arena);
	ice_json_writer_free(w);
	return rc;
}

TEST(test_manifest_bounds__every_type_round_trips)
{
	char *text;
	ice_json *doc = load_cases("bounds.json", &text);
	ice_arena *arena = NULL;
	CHECK(doc);
	CHECK_OK(ice_arena_new(&arena));
	ice_json *cases = ice_json__get(doc, "cases");
	for (size_t i = 0; i < ice_json__size(cases); i++) {
		const ice_json *c = ice_json__at(cases, i);
		const ice_type *type;
		ice_literal lit, back;
		uint8_t bytes[64];
		size_t n, hn;
		char hex[160];
		CHECK_MSG(case_literal(&lit, &type, arena, c) == 0, "case %zu (%s): %s", i, str_of(c, "type"), LAST_ERROR());
		CHECK_OK(ice_literal_to_bytes(&lit, bytes, sizeof(bytes), &n));
		ice_hex__encode(bytes, n, hex);
		CHECK_MSG(strcmp(hex, str_of(c, "hex")) == 0, "case %zu (%s): %s != %s", i, str_of(c, "type"), hex,
		          str_of(c, "hex"));
		const uint8_t *raw = unhex(str_of(c, "hex"), &hn);
		CHECK(raw);
		CHECK_OK(ice_literal_from_bytes(&back, type, raw, hn));
		CHECK_MSG(ice_literal_equal(&lit, &back), "case %zu (%s) does not decode to its value", i,
		          str_of(c, "type"));
	}
	ice_arena_free(arena);
	ice_json__free(doc);
	free(text);
}

/* Every case as a column of one schema, every bound through a manifest. */
TEST(test_manifest_bounds__through_a_manifest)
{
	char *text, path[512];
	ice_json *doc = load_cases("bounds.json", &text);
	ice_arena *arena = NULL;
	ice_buf schema = ICE_BUF_INIT;
	ice_schema *s = NULL;
	ice_partition_spec *spec = mt_spec("{\"spec-id\": 0, \"fields\": []}");
	ice_io *io = NULL;
	ice_manifest_writer *w = NULL;
	ice_manifest_reader *r = NULL;
	ice_manifest_writer_options o;
	const ice_manifest_entry *e;
	ice_property full = {"write.metadata.metrics.default", "full"};
	ice_properties props = {1, &full};
	CHECK(doc);
	CHECK_OK(ice_arena_new(&arena));
	CHECK_OK(ice_io_new(&io));
	ice_json *cases = ice_json__get(doc, "cases");
	size_t n = ice_json__size(cases);
	ice_metric_bound *bounds = calloc(n, sizeof(*bounds));
	ice_literal *lits = calloc(n, sizeof(*lits));
	ice_buf__puts(&schema, "{\"type\": \"struct\", \"schema-id\": 0, \"fields\": [");
	for (size_t i = 0; i < n; i++) {
		const ice_json *c = ice_json__at(cases, i);
		const ice_type *type;
		CHECK_OK(case_literal(&lits[i], &type, arena, c));
		ice_buf__printf(&schema, "%s{\"id\": %zu, \"name\": \"c%zu\", \"required\": false, \"type\": \"%s\"}",
		                i ? ", " : "", i + 1, i, str_of(c, "type"));
		bounds[i].field_id = (int32_t)(i + 1);
		bounds[i].value = lits[i];
	}
	ice_buf__puts(&schema, "]}");
	s = mt_schema(schema.ptr);
	ice_manifest_writer_options_init(&o);
	o.format_version = 2;
	o.schema = s;
	o.spec = spec;
	o.properties = &props;
	o.has_snapshot_id = true;
	o.snapshot_id = 5;
	mt_path("bounds.avro", path, sizeof(path));
	CHECK_OK(ice_manifest_writer_open(&w, io, path, NULL, &o));
	ice_data_file df;
	memset(&df, 0, sizeof(df));
	df.file_path = "x.parquet";
	df.file_format = "PARQUET";
	df.record_count = 1;
	df.file_size_in_bytes = 1;
	df.lower_bounds.present = df.upper_bounds.present = true;
	df.lower_bounds.n = df.upper_bounds.n = n;
	df.lower_bounds.items = df.upper_bounds.items = bounds;
	CHECK_OK(ice_manifest_writer_add(w, &df, -1));
	CHECK_OK(ice_manifest_writer_close(w, NULL));
	CHECK_OK(ice_manifest_open_location(&r, io, NULL, path)); /* types from the header's schema */
	CHECK_OK(ice_manifest_next(r, &e));
	CHECK_INT(e->data_file.lower_bounds.n, n);
	for (size_t i = 0; i < n; i++) {
		const ice_metric_bound *b = &e->data_file.upper_bounds.items[i];
		char hex[160];
		ice_hex__encode(b->bytes.data, b->bytes.len, hex);
		CHECK_INT(b->field_id, i + 1);
		CHECK_MSG(strcmp(hex, str_of(ice_json__at(cases, i), "hex")) == 0, "column %zu: %s", i, hex);
		CHECK_MSG(ice_literal_equal(&b->value, &lits[i]), "column %zu: value differs", i);
	}
	ice_manifest_reader_free(r);
	unlink(path);
	free(bounds);
	free(lits);
	ice_buf__free(&schema);
	ice_schema_free(s);
	ice_partition_spec_free(spec);
	ice_io_free(io);
	ice_arena_free(arena);
	ice_json__free(doc);
	free(text);
}

TEST(test_manifest_bounds__promoted_geo_and_undecodable)
{
	char *text;
	ice_json *doc = load_cases("bounds.json", &text);
	ice_arena *arena = NULL;
	CHECK(doc);
	CHECK_OK(ice_arena_new(&arena));
	const ice_json *promoted = ice_json__get(ice_json__get(doc, "promoted"), "cases");
	for (size_t i = 0; i < ice_json__size(promoted); i++) {
		const ice_json *c = ice_json__at(promoted, i);
		const ice_type *type;
		ice_literal want;
		ice_metric_bound b;
		CHECK_OK(case_literal(&want, &type, arena, c));
		b.bytes.data = unhex(str_of(c, "hex"), &b.bytes.len);
		ice_manifest__decode_bound(&b, type);
		CHECK_MSG(ice_literal_equal(&b.value, &want), "promoted case %zu (%s)", i, str_of(c, "note"));
	}
	const ice_json *geo = ice_json__get(ice_json__get(doc, "geo"), "cases");
	for (size_t i = 0; i < ice_json__size(geo); i++) {
		const ice_json *c = ice_json__at(geo, i);
		const ice_type *type;
		ice_metric_bound b;
		const char *t = str_of(c, "type");
		CHECK_OK(ice_type__parse_primitive(&type, arena, t, strlen(t)));
		b.bytes.data = unhex(str_of(c, "hex"), &b.bytes.len);
		ice_manifest__decode_bound(&b, type);
		char *s = ice_metric_bound_to_string(&b);
		CHECK_MSG(s && strcmp(s, str_of(c, "text")) == 0, "geo case %zu: %s", i, s ? s : "(null)");
		ice_free(s);
	}
	const ice_json *bad = ice_json__get(ice_json__get(doc, "undecodable"), "cases");
	for (size_t i = 0; i < ice_json__size(bad); i++) {
		const ice_json *c = ice_json__at(bad, i);
		const ice_type *type;
		ice_metric_bound b;
		const char *t = str_of(c, "type");
		CHECK_OK(ice_type__parse_primitive(&type, arena, t, strlen(t)));
		b.bytes.data = unhex(str_of(c, "hex"), &b.bytes.len);
		ice_manifest__decode_bound(&b, type);
		CHECK_MSG(b.value.type == ICE_TYPE_INVALID, "undecodable case %zu decoded", i);
		char *s = ice_metric_bound_to_string(&b);
		CHECK(s && strncmp(s, "0x", 2) == 0);
		ice_free(s);
	}
	ice_error_clear();
	ice_arena_free(arena);
	ice_json__free(doc);
	free(text);
}

/* A case's string or hex as bytes (static buffer per slot). */
static ice_slice case_bytes(const ice_json *c, const char *key, bool binary, int slot)
{
	static uint8_t bufs[3][256];
	ice_slice s = {NULL, 0};
	size_t len;
	const char *v = str_of(c, key);
	if (!v)
		return s;
	if (binary) {
		ice_hex__decode(v, strlen(v), bufs[slot]);
		s.len = strlen(v) / 2;
	} else {
		len = strlen(v);
		memcpy(bufs[slot], v, len);
		s.len = len;
	}
	s.data = bufs[slot];
	return s;
}

TEST(test_manifest_bounds__truncation)
{
	char *text;
	ice_json *doc = load_cases("truncate.json", &text);
	CHECK(doc);
	const ice_json *cases = ice_json__get(doc, "cases");
	CHECK(ice_json__size(cases) >= 10);
	for (size_t i = 0; i < ice_json__size(cases); i++) {
		const ice_json *c = ice_json__at(cases, i);
		bool binary = strcmp(str_of(c, "type"), "binary") == 0;
		ice_type_id t = binary ? ICE_TYPE_BINARY : ICE_TYPE_STRING;
		int32_t len = (int32_t)ice_json__int(ice_json__get(c, "length"));
		ice_slice value = case_bytes(c, "value", binary, 0), lower = case_bytes(c, "lower", binary, 1);
		ice_slice upper = case_bytes(c, "upper", binary, 2), got;
		uint8_t scratch[256];
		bool has;
		CHECK_OK(ice_metrics_truncate_lower(&got, t, value, len));
		CHECK_MSG(got.len == lower.len && memcmp(got.data, lower.data, got.len) == 0, "case %zu: lower", i);
		CHECK_OK(ice_metrics_truncate_upper(&got, &has, t, value, len, scratch, sizeof(scratch)));
		CHECK_MSG(has == (upper.data != NULL), "case %zu: upper present %d", i, has);
		if (has)
			CHECK_MSG(got.len == upper.len && memcmp(got.data, upper.data, got.len) == 0, "case %zu: upper", i);
	}
	/* invalid UTF-8 is refused */
	ice_slice bad = {(const uint8_t *)"\xc3\x28xyz", 5}, got;
	CHECK_RC(ice_metrics_truncate_lower(&got, ICE_TYPE_STRING, bad, 2), ICE_EINVALID);
	ice_json__free(doc);
	free(text);
}

TEST(test_manifest_metrics__modes_from_properties)
{
	ice_schema *s = mt_schema("{\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
	                          "{\"id\": 1, \"name\": \"a\", \"required\": true, \"type\": \"long\"},"
	                          "{\"id\": 2, \"name\": \"b\", \"required\": false, \"type\": \"string\"},"
	                          "{\"id\": 3, \"name\": \"s\", \"required\": false, \"type\": {\"type\": \"struct\", "
	                          "\"fields\": [{\"id\": 4, \"name\": \"c\", \"required\": false, \"type\": \"int\"}]}},"
	                          "{\"id\": 5, \"name\": \"d\", \"required\": false, \"type\": \"double\"}]}");
	ice_sort_order *order = NULL;
	ice_metrics_config *c = NULL;
	ice_metrics_mode m;
	static const char *order_json =
	    "{\"order-id\": 1, \"fields\": [{\"transform\": \"identity\", \"source-id\": 5, \"direction\": \"asc\", "
	    "\"null-order\": \"nulls-first\"}]}";
	CHECK_OK(ice_sort_order_from_json(&order, order_json, strlen(order_json), "order"));

	CHECK_OK(ice_metrics_mode_parse(&m, " Truncate( 8 ) "));
	CHECK(m.kind == ICE_METRICS_TRUNCATE && m.length == 8);
	CHECK_RC(ice_metrics_mode_parse(&m, "truncate(0)"), ICE_EINVALID);
	CHECK_RC(ice_metrics_mode_parse(&m, "sometimes"), ICE_EINVALID);

	/* no properties: truncate(16) everywhere */
	CHECK_OK(ice_metrics_config_new(&c, NULL, s, NULL));
	m = ice_metrics_config_mode(c, 2);
	CHECK(m.kind == ICE_METRICS_TRUNCATE && m.length == 16);
	ice_metrics_config_free(c);

	/* default none, one column full, a nested column counts, a bad value ignored */
	ice_property p1[] = {{"write.metadata.metrics.default", "none"},
	                     {"write.metadata.metrics.column.b", "full"},
	                     {"write.metadata.metrics.column.s.c", "counts"},
	                     {"write.metadata.metrics.column.a", "bogus"},
	                     {"write.metadata.metrics.column.nosuch", "full"}};
	ice_properties props1 = {5, p1};
	CHECK_OK(ice_metrics_config_new(&c, &props1, s, order));
	CHECK(ice_metrics_config_mode(c, 1).kind == ICE_METRICS_NONE); /* bogus: the default */
	CHECK(ice_metrics_config_mode(c, 2).kind == ICE_METRICS_FULL);
	CHECK(ice_metrics_config_mode(c, 4).kind == ICE_METRICS_COUNTS);
	m = ice_metrics_config_mode(c, 5); /* sorted column: at least truncate(16) */
	CHECK(m.kind == ICE_METRICS_TRUNCATE && m.length == 16);
	ice_metrics_config_free(c);

	/* more columns than max-inferred-column-defaults and no default: the first ones only */
	ice_property p2[] = {{"write.metadata.metrics.max-inferred-column-defaults", "2"}};
	ice_properties props2 = {1, p2};
	CHECK_OK(ice_metrics_config_new(&c, &props2, s, NULL));
	CHECK(ice_metrics_config_mode(c, 1).kind == ICE_METRICS_TRUNCATE);
	CHECK(ice_metrics_config_mode(c, 2).kind == ICE_METRICS_TRUNCATE);
	CHECK(ice_metrics_config_mode(c, 4).kind == ICE_METRICS_NONE);
	CHECK(ice_metrics_config_mode(c, 5).kind == ICE_METRICS_NONE);
	ice_metrics_config_free(c);

	ice_sort_order_free(order);
	ice_schema_free(s);
}

/* Metrics modes applied by the writer to added files, not to existing ones. */
TEST(test_manifest_metrics__writer_applies_modes_to_added_files)
{
	ice_schema *s = mt_schema("{\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
	                          "{\"id\": 1, \"name\": \"a\", \"required\": true, \"type\": \"long\"},"
	                          "{\"id\": 2, \"name\": \"b\", \"required\": false, \"type\": \"string\"},"
	                          "{\"id\": 3, \"name\": \"c\", \"required\": false, \"type\": \"binary\"}]}");
	ice_partition_spec *spec = mt_spec("{\"spec-id\": 0, \"fields\": []}");
	ice_property p[] = {{"write.metadata.metrics.default", "truncate(2)"},
	                    {"write.metadata.metrics.column.a", "none"},
	                    {"write.metadata.metrics.column.c", "counts"}};
	ice_properties props = {3, p};
	ice_io *io = NULL;
	ice_manifest_writer *w = NULL;
	ice_manifest_reader *r = NULL;
	ice_manifest_writer_options o;
	const ice_manifest_entry *e;
	char path[512];
	ice_metric_count counts[3] = {{1, 10}, {2, 10}, {3, 10}};
	ice_metric_bound lo[3], hi[3];
	ice_data_file df;
	memset(lo, 0, sizeof(lo));
	memset(hi, 0, sizeof(hi));
	lo[0].field_id = hi[0].field_id = 1;
	lo[0].value = ice_literal_long(1);
	hi[0].value = ice_literal_long(9);
	lo[1].field_id = hi[1].field_id = 2;
	lo[1].value = ice_literal_string("apple", 5);
	hi[1].value = ice_literal_string("azzz", 4);
	lo[2].field_id = hi[2].field_id = 3;
	lo[2].bytes.data = hi[2].bytes.data = (const uint8_t *)"\x01\x02\x03";
	lo[2].bytes.len = hi[2].bytes.len = 3;
	lo[2].value.type = hi[2].value.type = ICE_TYPE_INVALID;
	memset(&df, 0, sizeof(df));
	df.file_path = "f.parquet";
	df.file_format = "PARQUET";
	df.record_count = 10;
	df.file_size_in_bytes = 100;
	df.column_sizes = (ice_metric_counts){true, 3, counts};
	df.value_counts = df.null_value_counts = df.column_sizes;
	df.lower_bounds = (ice_metric_bounds){true, 3, lo};
	df.upper_bounds = (ice_metric_bounds){true, 3, hi};
	CHECK_OK(ice_io_new(&io));
	ice_manifest_writer_options_init(&o);
	o.format_version = 2;
	o.schema = s;
	o.spec = spec;
	o.properties = &props;
	o.has_snapshot_id = true;
	o.snapshot_id = 1;
	mt_path("modes.avro", path, sizeof(path));
	CHECK_OK(ice_manifest_writer_open(&w, io, path, NULL, &o));
	CHECK_OK(ice_manifest_writer_add(w, &df, -1));
	CHECK_OK(ice_manifest_writer_add_existing(w, &df, 1, 1, 1));
	CHECK_OK(ice_manifest_writer_close(w, NULL));
	CHECK_OK(ice_manifest_open_location(&r, io, NULL, path));
	CHECK_OK(ice_manifest_next(r, &e));
	/* a: none (column size kept, counts and bounds dropped); b: truncate(2); c: counts */
	CHECK_INT(e->data_file.column_sizes.n, 3);
	CHECK_INT(e->data_file.value_counts.n, 2);
	CHECK(!ice_metric_counts_get(&e->data_file.value_counts, 1));
	CHECK_INT(e->data_file.lower_bounds.n, 1);
	const ice_metric_bound *b = ice_metric_bounds_get(&e->data_file.lower_bounds, 2);
	CHECK(b && b->bytes.len == 2 && memcmp(b->bytes.data, "ap", 2) == 0);
	b = ice_metric_bounds_get(&e->data_file.upper_bounds, 2);
	CHECK(b && b->bytes.len == 2 && memcmp(b->bytes.data, "a{", 2) == 0); /* "azzz" -> "az" -> "a{" */
	/* the existing entry keeps what it had */
	CHECK_OK(ice_manifest_next(r, &e));
	CHECK_INT(e->data_file.value_counts.n, 3);
	CHECK_INT(e->data_file.lower_bounds.n, 3);
	b = ice_metric_bounds_get(&e->data_file.lower_bounds, 2);
	CHECK(b && b->bytes.len == 5);
	ice_manifest_reader_free(r);
	unlink(path);
	ice_io_free(io);
	ice_schema_free(s);
	ice_partition_spec_free(spec);
}
