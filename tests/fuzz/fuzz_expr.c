/*
 * Fuzz target: the --where language and everything downstream of it. The
 * input is the expression text. Parsed expressions must print back to text
 * that parses to the same print; bound ones (to a schema of most types)
 * must project, evaluate and print without crashing, and keep the
 * evaluators' promises: a row value that matches has a partition that the
 * inclusive projection matches, what must match might match, and a
 * manifest summary of a matching value may match.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ice.h"

static const char *SCHEMA =
	"{\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
	"{\"id\": 1, \"name\": \"i\", \"required\": false, \"type\": \"int\"},"
	"{\"id\": 2, \"name\": \"l\", \"required\": true, \"type\": \"long\"},"
	"{\"id\": 3, \"name\": \"s\", \"required\": false, \"type\": \"string\"},"
	"{\"id\": 4, \"name\": \"d\", \"required\": false, \"type\": \"date\"},"
	"{\"id\": 5, \"name\": \"ts\", \"required\": false, \"type\": \"timestamp\"},"
	"{\"id\": 6, \"name\": \"tz\", \"required\": false, \"type\": \"timestamptz\"},"
	"{\"id\": 7, \"name\": \"dec\", \"required\": false, \"type\": \"decimal(9, 2)\"},"
	"{\"id\": 8, \"name\": \"f\", \"required\": false, \"type\": \"float\"},"
	"{\"id\": 9, \"name\": \"g\", \"required\": false, \"type\": \"double\"},"
	"{\"id\": 10, \"name\": \"u\", \"required\": false, \"type\": \"uuid\"},"
	"{\"id\": 11, \"name\": \"b\", \"required\": false, \"type\": \"binary\"},"
	"{\"id\": 12, \"name\": \"t\", \"required\": false, \"type\": \"time\"},"
	"{\"id\": 13, \"name\": \"ns\", \"required\": false, \"type\": \"timestamptz_ns\"},"
	"{\"id\": 14, \"name\": \"ok\", \"required\": false, \"type\": \"boolean\"},"
	"{\"id\": 15, \"name\": \"fx\", \"required\": false, \"type\": \"fixed[3]\"},"
	"{\"id\": 16, \"name\": \"st\", \"required\": false, \"type\": {\"type\": \"struct\", \"fields\": ["
	"  {\"id\": 17, \"name\": \"a\", \"required\": true, \"type\": \"int\"},"
	"  {\"id\": 18, \"name\": \"b\", \"required\": false, \"type\": \"string\"}]}},"
	"{\"id\": 19, \"name\": \"lst\", \"required\": false, \"type\": {\"type\": \"list\", \"element-id\": 20,"
	"  \"element\": \"int\", \"element-required\": false}}]}";

static const char *SPEC =
	"{\"spec-id\": 1, \"fields\": ["
	"{\"source-id\": 1, \"field-id\": 1000, \"name\": \"i_b\", \"transform\": \"bucket[7]\"},"
	"{\"source-id\": 1, \"field-id\": 1001, \"name\": \"i_t\", \"transform\": \"truncate[10]\"},"
	"{\"source-id\": 3, \"field-id\": 1002, \"name\": \"s_t\", \"transform\": \"truncate[2]\"},"
	"{\"source-id\": 4, \"field-id\": 1003, \"name\": \"d_m\", \"transform\": \"month\"},"
	"{\"source-id\": 5, \"field-id\": 1004, \"name\": \"ts_h\", \"transform\": \"hour\"},"
	"{\"source-id\": 6, \"field-id\": 1005, \"name\": \"tz_d\", \"transform\": \"day\"},"
	"{\"source-id\": 7, \"field-id\": 1006, \"name\": \"dec\", \"transform\": \"identity\"},"
	"{\"source-id\": 2, \"field-id\": 1007, \"name\": \"l_y\", \"transform\": \"void\"},"
	"{\"source-id\": 9, \"field-id\": 1008, \"name\": \"g\", \"transform\": \"identity\"}]}";

/* One row of values for fields 1..9 (and the partition tuple from it). */
static void row_values(uint64_t seed, ice_literal *v)
{
	v[0] = (seed & 7) == 0 ? ice_literal_null(ICE_TYPE_INT) : ice_literal_int((int32_t)(seed % 201) - 100);
	v[1] = ice_literal_long((int64_t)(seed % 10007) - 5000);
	static const char *strs[] = {"", "a", "ab", "abc", "b", "ba", "zz", "ab\xc3\xa9"};
	const char *s = strs[(seed >> 3) % 8];
	v[2] = (seed & 15) == 1 ? ice_literal_null(ICE_TYPE_STRING) : ice_literal_string(s, strlen(s));
	ice_literal d = {ICE_TYPE_DATE, false, 0, {0}};
	d.v.i32 = (int32_t)(seed % 2000) - 1000;
	v[3] = d;
	ice_literal ts = {ICE_TYPE_TIMESTAMP, false, 0, {0}};
	ts.v.i64 = ((int64_t)(seed % 100000) - 50000) * 3600000000LL / 7;
	v[4] = ts;
	ts.type = ICE_TYPE_TIMESTAMPTZ;
	v[5] = ts;
	ice_literal dec = {ICE_TYPE_DECIMAL, false, 2, {0}};
	dec.v.dec = ice_decimal128_from_int64((int64_t)(seed % 2001) - 1000);
	v[6] = dec;
	ice_literal f = {ICE_TYPE_FLOAT, false, 0, {0}};
	f.v.f32 = (float)((int64_t)(seed % 41) - 20) / 4;
	v[7] = f;
	ice_literal g = {ICE_TYPE_DOUBLE, false, 0, {0}};
	g.v.f64 = (seed % 13) == 5 ? __builtin_nan("") : (double)((int64_t)(seed % 41) - 20) / 8;
	v[8] = g;
}

static int provide(void *payload, int32_t id, ice_column_stats *out, bool *found)
{
	const ice_literal *v = payload;
	if (id < 1 || id > 9)
		return 0;
	const ice_literal *x = &v[id - 1];
	*found = true;
	out->has_value_count = out->has_null_count = true;
	out->value_count = 1;
	out->null_count = x->is_null;
	bool nan = (x->type == ICE_TYPE_DOUBLE && x->v.f64 != x->v.f64) || (x->type == ICE_TYPE_FLOAT && x->v.f32 != x->v.f32);
	out->has_nan_count = x->type == ICE_TYPE_DOUBLE || x->type == ICE_TYPE_FLOAT;
	out->nan_count = nan;
	if (!x->is_null && !nan) {
		out->has_lower = out->has_upper = true;
		out->lower = out->upper = *x;
		out->lower_exact = out->upper_exact = true;
	}
	return 0;
}

static void exercise_bound(const ice_expr *b, const ice_schema *schema, const ice_partition_spec *spec,
                           const uint8_t *data, size_t size)
{
	ice_expr *incl = NULL, *strict = NULL, *copy = NULL, *res = NULL;
	int32_t *ids = NULL;
	size_t nids = 0;
	char *s = ice_expr_to_string(b);
	ice_free(s);
	if (ice_expr_field_ids(b, &ids, &nids) == 0)
		ice_free(ids);
	if (ice_expr_copy(&copy, b) == 0)
		ice_expr_free(copy);
	if (ice_expr_project(&incl, b, spec, schema, false) != 0 || ice_expr_project(&strict, b, spec, schema, true) != 0)
		goto done;
	s = ice_expr_to_string(incl);
	ice_free(s);
	int32_t ids_row[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	int32_t pids[9];
	for (size_t k = 0; k < spec->nfields; k++)
		pids[k] = spec->fields[k].field_id;
	uint64_t seed = 1469598103934665603ULL;
	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 1099511628211ULL;
	for (int r = 0; r < 24; r++) {
		ice_literal row[9], part[9];
		bool m = false, im = false, sm = false, might = true, must = false;
		row_values(seed + (uint64_t)r * 0x9e3779b97f4a7c15ULL, row);
		for (size_t k = 0; k < spec->nfields; k++) {
			const ice_partition_field *pf = &spec->fields[k];
			if (ice_transform_apply(&pf->transform, &row[pf->source_id - 1], &part[k]) != 0)
				part[k] = ice_literal_null(ICE_TYPE_INT);
		}
		if (ice_expr_eval_values(b, ids_row, row, 9, &m) != 0)
			continue;
		if (ice_expr_eval_values(incl, pids, part, spec->nfields, &im) == 0)
			FUZZ_ASSERT(!m || im);
		if (ice_expr_eval_values(strict, pids, part, spec->nfields, &sm) == 0)
			(void)sm;
		if (ice_expr_stats_might_match(b, 1, provide, row, &might) == 0)
			FUZZ_ASSERT(!m || might);
		if (ice_expr_stats_must_match(b, 1, provide, row, &must) == 0)
			FUZZ_ASSERT(!must || m);
		if (ice_expr_residual(&res, b, spec, schema, part, spec->nfields) == 0) {
			bool rm = false;
			/* the residual of a row's partition decides the row as the filter does */
			if (ice_expr_eval_values(res, ids_row, row, 9, &rm) == 0)
				FUZZ_ASSERT(rm == m);
			ice_expr_free(res);
			res = NULL;
		}
	}
done:
	ice_expr_free(incl);
	ice_expr_free(strict);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ice_schema *schema;
	static ice_partition_spec *spec;
	if (!schema && (ice_schema_from_json(&schema, SCHEMA, strlen(SCHEMA), "schema") != 0 ||
	                ice_partition_spec_from_json(&spec, SPEC, strlen(SPEC), "spec") != 0))
		__builtin_trap();
	if (size > 4096)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	ice_expr *e = NULL;
	if (ice_expr_parse(&e, text) != 0) {
		const ice_error *err = ice_error_last();
		FUZZ_ASSERT(err && strncmp(err->message, "where: ", 7) == 0);
		free(text);
		return 0;
	}
	/* printing is stable: print(parse(print(e))) == print(e) */
	char *once = ice_expr_to_string(e);
	if (once) {
		ice_expr *again = NULL;
		FUZZ_ASSERT(ice_expr_parse(&again, once) == 0);
		char *twice = ice_expr_to_string(again);
		FUZZ_ASSERT(twice && strcmp(once, twice) == 0);
		ice_free(twice);
		ice_expr_free(again);
	}
	ice_free(once);
	for (int cs = 0; cs < 2; cs++) {
		ice_expr *b = NULL;
		if (ice_expr_bind(&b, e, ice_schema_struct(schema), cs == 0) == 0) {
			FUZZ_ASSERT(ice_expr_is_bound(b));
			exercise_bound(b, schema, spec, data, size);
			ice_expr_free(b);
		}
	}
	ice_expr_free(e);
	free(text);
	return 0;
}
