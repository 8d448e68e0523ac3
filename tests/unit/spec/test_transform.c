/*
 * Transforms beyond the spec's vectors: result types, order relations,
 * human strings, and predicate projection (inclusive and strict) checked
 * against brute force: for every value in a range, a projected predicate
 * must hold for the partition of every matching value (inclusive), and a
 * value whose partition satisfies the strict projection must match.
 */
#include <stdlib.h>

#include "ice.h"
#include "test.h"

static ice_transform tr(const char *s)
{
	ice_transform t;
	ice_transform_parse(&t, s);
	return t;
}

TEST(test_spec_transform__parse_and_names)
{
	char buf[64];
	ice_transform t = tr("bucket[16]");
	CHECK(t.kind == ICE_TRANSFORM_BUCKET && t.param == 16);
	ice_transform_to_string(&t, buf, sizeof(buf));
	CHECK_STR(buf, "bucket[16]");
	CHECK(tr("truncate[4]").kind == ICE_TRANSFORM_TRUNCATE);
	CHECK(tr("days").kind == ICE_TRANSFORM_DAY); /* old writers */
	t = tr("bucket[0]");
	CHECK(t.kind == ICE_TRANSFORM_UNKNOWN);
	t = tr("zorder");
	CHECK(t.kind == ICE_TRANSFORM_UNKNOWN && !strcmp(t.name, "zorder"));
	ice_transform_to_string(&t, buf, sizeof(buf));
	CHECK_STR(buf, "zorder");
}

TEST(test_spec_transform__result_types)
{
	const ice_type *ts = ice_type_primitive(ICE_TYPE_TIMESTAMPTZ), *s = ice_type_primitive(ICE_TYPE_STRING);
	ice_transform t = tr("day");
	CHECK(ice_transform_result_type(&t, ts)->id == ICE_TYPE_DATE);
	t = tr("hour");
	CHECK(ice_transform_result_type(&t, ts)->id == ICE_TYPE_INT);
	CHECK(ice_transform_result_type(&t, ice_type_primitive(ICE_TYPE_DATE)) == NULL);
	t = tr("truncate[3]");
	CHECK(ice_transform_result_type(&t, s) == s);
	t = tr("bucket[4]");
	CHECK(ice_transform_result_type(&t, ice_type_primitive(ICE_TYPE_DOUBLE)) == NULL);
	t = tr("identity");
	CHECK(!ice_transform_can_apply(&t, ice_type_primitive(ICE_TYPE_VARIANT)));
	t = tr("void");
	CHECK(ice_transform_result_type(&t, s) == s);
}

TEST(test_spec_transform__order_relations)
{
	ice_transform id = tr("identity"), hour = tr("hour"), day = tr("day"), month = tr("month"), year = tr("year"),
	              b = tr("bucket[4]"), t3 = tr("truncate[3]");
	CHECK(ice_transform_satisfies_order_of(&hour, &day));
	CHECK(ice_transform_satisfies_order_of(&day, &year));
	CHECK(!ice_transform_satisfies_order_of(&month, &day));
	CHECK(ice_transform_satisfies_order_of(&id, &t3));
	CHECK(!ice_transform_satisfies_order_of(&id, &b));
	CHECK(ice_transform_satisfies_order_of(&b, &b));
	CHECK(!ice_transform_preserves_order(&b));
	CHECK(ice_transform_preserves_order(&month));
}

TEST(test_spec_transform__human_strings)
{
	ice_transform t;
	ice_literal v;
	char *s;
	t = tr("hour");
	v = ice_literal_int(419686); /* 2017-11-16 22:00 */
	s = ice_transform_human_string(&t, &v);
	CHECK_STR(s, "2017-11-16-22");
	ice_free(s);
	t = tr("month");
	v = ice_literal_int(-1);
	s = ice_transform_human_string(&t, &v);
	CHECK_STR(s, "1969-12");
	ice_free(s);
	t = tr("year");
	v = ice_literal_int(47);
	s = ice_transform_human_string(&t, &v);
	CHECK_STR(s, "2017");
	ice_free(s);
	t = tr("identity");
	v = ice_literal_null(ICE_TYPE_STRING);
	s = ice_transform_human_string(&t, &v);
	CHECK_STR(s, "null");
	ice_free(s);
	uint8_t raw[3] = {0xde, 0xad, 0xbe};
	v.type = ICE_TYPE_BINARY;
	v.is_null = false;
	v.v.bytes.data = raw;
	v.v.bytes.len = 3;
	s = ice_transform_human_string(&t, &v);
	CHECK_STR(s, "3q2+");
	ice_free(s);
}

/* Does `lit op value` hold? (value compared on the left) */
static bool holds(ice_op op, const ice_literal *value, const ice_literal *lits, size_t n)
{
	int c = n ? ice_literal_compare(value, &lits[0]) : 0;
	switch (op) {
	case ICE_OP_TRUE: return true;
	case ICE_OP_FALSE: return false;
	case ICE_OP_LT: return c < 0;
	case ICE_OP_LT_EQ: return c <= 0;
	case ICE_OP_GT: return c > 0;
	case ICE_OP_GT_EQ: return c >= 0;
	case ICE_OP_EQ: return c == 0;
	case ICE_OP_NOT_EQ: return c != 0;
	case ICE_OP_IN:
		for (size_t i = 0; i < n; i++)
			if (ice_literal_compare(value, &lits[i]) == 0)
				return true;
		return false;
	case ICE_OP_NOT_IN:
		for (size_t i = 0; i < n; i++)
			if (ice_literal_compare(value, &lits[i]) == 0)
				return false;
		return true;
	case ICE_OP_STARTS_WITH:
		return value->v.bytes.len >= lits[0].v.bytes.len &&
		       memcmp(value->v.bytes.data, lits[0].v.bytes.data, lits[0].v.bytes.len) == 0;
	case ICE_OP_NOT_STARTS_WITH:
		return !(value->v.bytes.len >= lits[0].v.bytes.len &&
		         memcmp(value->v.bytes.data, lits[0].v.bytes.data, lits[0].v.bytes.len) == 0);
	default: return true;
	}
}

/* Brute-force check of both projections for integer-like sources. */
static bool check_projection(const char *transform, ice_type_id type, int64_t lo, int64_t hi, int64_t step)
{
	static const ice_op ops[] = {ICE_OP_LT, ICE_OP_LT_EQ, ICE_OP_GT, ICE_OP_GT_EQ, ICE_OP_EQ, ICE_OP_NOT_EQ};
	ice_transform t = tr(transform);
	for (int64_t bound = lo; bound <= hi; bound += step * 7) {
		ice_literal b = {type, false, 0, {0}};
		if (type == ICE_TYPE_INT || type == ICE_TYPE_DATE)
			b.v.i32 = (int32_t)bound;
		else
			b.v.i64 = bound;
		for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
			ice_op inc_op, str_op;
			ice_literal inc[2], str[2];
			size_t ninc, nstr;
			if (ice_transform_project(&t, ops[k], &b, false, &inc_op, inc, &ninc) ||
			    ice_transform_project(&t, ops[k], &b, true, &str_op, str, &nstr))
				return false;
			for (int64_t x = lo - 3 * step; x <= hi + 3 * step; x += step) {
				ice_literal v = b, part;
				if (type == ICE_TYPE_INT || type == ICE_TYPE_DATE)
					v.v.i32 = (int32_t)x;
				else
					v.v.i64 = x;
				if (ice_transform_apply(&t, &v, &part))
					return false;
				bool match = holds(ops[k], &v, &b, 1);
				if (match && !holds(inc_op, &part, inc, ninc)) {
					ice_test_fail(__FILE__, __LINE__, "%s: inclusive projection of op %d %lld drops %lld",
					              transform, (int)ops[k], (long long)bound, (long long)x);
					return false;
				}
				if (holds(str_op, &part, str, nstr) && !match) {
					ice_test_fail(__FILE__, __LINE__, "%s: strict projection of op %d %lld admits %lld",
					              transform, (int)ops[k], (long long)bound, (long long)x);
					return false;
				}
			}
		}
	}
	return true;
}

TEST(test_spec_transform__projection_matches_brute_force)
{
	CHECK(check_projection("identity", ICE_TYPE_INT, -40, 40, 1));
	CHECK(check_projection("truncate[10]", ICE_TYPE_INT, -40, 40, 1));
	CHECK(check_projection("truncate[7]", ICE_TYPE_LONG, -50, 50, 1));
	CHECK(check_projection("bucket[5]", ICE_TYPE_LONG, -30, 30, 1));
	CHECK(check_projection("year", ICE_TYPE_DATE, -800, 800, 13));
	CHECK(check_projection("month", ICE_TYPE_DATE, -400, 400, 3));
	CHECK(check_projection("day", ICE_TYPE_TIMESTAMP, -3 * 86400000000LL, 3 * 86400000000LL, 3600000000LL));
	CHECK(check_projection("hour", ICE_TYPE_TIMESTAMP, -10 * 3600000000LL, 10 * 3600000000LL, 600000000LL));
}

TEST(test_spec_transform__string_prefix_projection)
{
	static const char *words[] = {"", "a", "ab", "abc", "abcd", "abd", "b", "aa", "abcde", "abz", "zz"};
	static const ice_op ops[] = {ICE_OP_LT,  ICE_OP_LT_EQ, ICE_OP_GT,          ICE_OP_GT_EQ,
	                             ICE_OP_EQ,  ICE_OP_NOT_EQ, ICE_OP_STARTS_WITH, ICE_OP_NOT_STARTS_WITH};
	ice_transform t = tr("truncate[3]");
	size_t n = sizeof(words) / sizeof(words[0]);
	for (size_t bi = 0; bi < n; bi++) {
		ice_literal b = ice_literal_string(words[bi], strlen(words[bi]));
		for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
			ice_op inc_op, str_op;
			ice_literal inc[2], str[2];
			size_t ninc, nstr;
			CHECK_OK(ice_transform_project(&t, ops[k], &b, false, &inc_op, inc, &ninc));
			CHECK_OK(ice_transform_project(&t, ops[k], &b, true, &str_op, str, &nstr));
			for (size_t vi = 0; vi < n; vi++) {
				ice_literal v = ice_literal_string(words[vi], strlen(words[vi])), part;
				CHECK_OK(ice_transform_apply(&t, &v, &part));
				bool match = holds(ops[k], &v, &b, 1);
				CHECK_MSG(!match || holds(inc_op, &part, inc, ninc), "inclusive op %d '%s' drops '%s'", (int)ops[k],
				          words[bi], words[vi]);
				CHECK_MSG(match || !holds(str_op, &part, str, nstr), "strict op %d '%s' admits '%s'", (int)ops[k],
				          words[bi], words[vi]);
			}
		}
	}
}

TEST(test_spec_transform__pre_1970_fix_widens)
{
	/* day(1969-12-31T10:00) is -1; values written by Iceberg 0.10 may say 0 */
	ice_transform t = tr("day");
	ice_literal b = {ICE_TYPE_TIMESTAMP, false, 0, {0}}, out[2];
	ice_op op;
	size_t n;
	b.v.i64 = -14 * 3600000000LL;
	CHECK_OK(ice_transform_project(&t, ICE_OP_EQ, &b, false, &op, out, &n));
	CHECK(op == ICE_OP_IN && n == 2 && out[0].v.i32 == -1 && out[1].v.i32 == 0);
}

TEST(test_spec_literal__ordering)
{
	ice_literal a = {ICE_TYPE_DOUBLE, false, 0, {0}}, b = a;
	a.v.f64 = -0.0;
	b.v.f64 = 0.0;
	CHECK(ice_literal_compare(&a, &b) < 0); /* -0 < 0 */
	b.v.f64 = __builtin_nan("");
	a.v.f64 = __builtin_inf();
	CHECK(ice_literal_compare(&a, &b) < 0); /* inf < NaN */
	a.v.f64 = -__builtin_nan("");
	b.v.f64 = -__builtin_inf();
	CHECK(ice_literal_compare(&a, &b) < 0); /* -NaN < -inf */
	ice_literal n = ice_literal_null(ICE_TYPE_DOUBLE);
	CHECK(ice_literal_compare(&n, &a) < 0); /* nulls first */
	/* decimals of different scales compare by value */
	ice_literal d1 = {ICE_TYPE_DECIMAL, false, 2, {0}}, d2 = {ICE_TYPE_DECIMAL, false, 3, {0}};
	d1.v.dec = ice_decimal128_from_int64(1420);  /* 14.20 */
	d2.v.dec = ice_decimal128_from_int64(14199); /* 14.199 */
	CHECK(ice_literal_compare(&d1, &d2) > 0);
	/* strings by code point, i.e. unsigned UTF-8 bytes */
	ice_literal s1 = ice_literal_string("z", 1), s2 = ice_literal_string("\xc3\xa9", 2);
	CHECK(ice_literal_compare(&s1, &s2) < 0);
}

TEST(test_spec_literal__text_forms)
{
	ice_arena *a;
	ice_literal v;
	char *s;
	CHECK_OK(ice_arena_new(&a));
	CHECK_OK(ice_literal_from_string(&v, ice_type_primitive(ICE_TYPE_TIMESTAMPTZ), "2017-11-16T14:31:08-08:00", 25, a));
	s = ice_literal_to_string(&v);
	CHECK_STR(s, "2017-11-16T22:31:08.000000+00:00");
	ice_free(s);
	/* a zone is needed for timestamptz and refused for timestamp */
	CHECK_RC(ice_literal_from_string(&v, ice_type_primitive(ICE_TYPE_TIMESTAMPTZ), "2017-11-16T14:31:08", 19, a),
	         ICE_EINVALID);
	CHECK_ERROR_CONTAINS("need a zone offset");
	CHECK_RC(ice_literal_from_string(&v, ice_type_primitive(ICE_TYPE_TIMESTAMP), "2017-11-16T14:31:08Z", 20, a),
	         ICE_EINVALID);
	/* decimals keep their scale and never round */
	ice_schema *sc;
	const char *doc = "{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"d\",\"required\":false,\"type\":\"decimal(5, 2)\"}]}";
	CHECK_OK(ice_schema_from_json(&sc, doc, strlen(doc), "s"));
	const ice_type *dt = ice_schema_field_at(sc, 0)->type;
	CHECK_OK(ice_literal_from_string(&v, dt, "-1.5", 4, a));
	s = ice_literal_to_string(&v);
	CHECK_STR(s, "-1.50");
	ice_free(s);
	CHECK_RC(ice_literal_from_string(&v, dt, "1.005", 5, a), ICE_EINVALID);
	CHECK_RC(ice_literal_from_string(&v, dt, "1234.5", 6, a), ICE_EINVALID); /* 6 digits > precision 5 */
	ice_schema_free(sc);
	ice_arena_free(a);
}
