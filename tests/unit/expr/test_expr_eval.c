/*
 * Unit tests of lib/expr's evaluators: the semantics of each test on null,
 * NaN and values; projection through every transform checked by brute
 * force (inclusive: a matching value's partition matches; strict: a
 * matching partition holds only matching values); the inclusive and strict
 * metrics evaluators against brute force on random small value sets
 * (bounds from the set, sometimes truncated; counts sometimes missing);
 * manifest summaries; residuals; and rows of Arrow batches.
 */
#include <math.h>
#include <stdlib.h>

#include "ice.h"
#include "test.h"

/* A deterministic generator (xorshift). */
static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}
static int64_t rnd_range(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* A struct type of one optional field (id 1, name "c") of `t`. */
typedef struct one_field {
	ice_field field;
	ice_type st;
} one_field;

static void one_field_init(one_field *o, const ice_type *t)
{
	memset(o, 0, sizeof(*o));
	o->field.id = 1;
	o->field.name = "c";
	o->field.type = t;
	o->st.id = ICE_TYPE_STRUCT;
	o->st.u.struct_.nfields = 1;
	o->st.u.struct_.fields = &o->field;
}

static int bind_pred(ice_expr **out, const one_field *o, ice_op op, const ice_literal *lits, size_t n)
{
	ice_expr *e = NULL;
	int rc = ice_expr_predicate(&e, "c", op, lits, n);
	if (rc == 0)
		rc = ice_expr_bind(out, e, &o->st, true);
	ice_expr_free(e);
	return rc;
}

static bool holds(const ice_expr *e, int32_t id, const ice_literal *v)
{
	bool m = false;
	if (ice_expr_eval_values(e, &id, v, 1, &m) != 0)
		return false;
	return m;
}

/* ---- semantics on single values ---------------------------------------------------------- */

TEST(test_expr_eval__null_and_nan_semantics)
{
	one_field o;
	one_field_init(&o, ice_type_primitive(ICE_TYPE_DOUBLE));
	ice_literal five = {ICE_TYPE_DOUBLE, false, 0, {0}};
	five.v.f64 = 5;
	ice_literal null = ice_literal_null(ICE_TYPE_DOUBLE);
	ice_literal nan = five, val = five, negzero = five, zero = five;
	nan.v.f64 = NAN;
	val.v.f64 = 4;
	negzero.v.f64 = -0.0;
	zero.v.f64 = 0.0;
	static const struct {
		ice_op op;
		bool on_null, on_nan, on_4, on_5;
	} cases[] = {
		{ICE_OP_EQ, false, false, false, true},        {ICE_OP_NOT_EQ, true, true, true, false},
		{ICE_OP_LT, false, false, true, false},        {ICE_OP_LT_EQ, false, false, true, true},
		{ICE_OP_GT, false, false, false, false},       {ICE_OP_GT_EQ, false, false, false, true},
		{ICE_OP_IN, false, false, false, true},        {ICE_OP_NOT_IN, true, true, true, false},
		{ICE_OP_IS_NULL, true, false, false, false},   {ICE_OP_NOT_NULL, false, true, true, true},
		{ICE_OP_IS_NAN, false, true, false, false},    {ICE_OP_NOT_NAN, true, false, true, true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ice_expr *e = NULL;
		bool lit = cases[i].op != ICE_OP_IS_NULL && cases[i].op != ICE_OP_NOT_NULL && cases[i].op != ICE_OP_IS_NAN &&
		           cases[i].op != ICE_OP_NOT_NAN;
		CHECK_OK(bind_pred(&e, &o, cases[i].op, &five, lit ? 1 : 0));
		bool a = holds(e, 1, &null), b = holds(e, 1, &nan), c = holds(e, 1, &val), d = holds(e, 1, &five);
		ice_expr_free(e);
		CHECK_MSG(a == cases[i].on_null && b == cases[i].on_nan && c == cases[i].on_4 && d == cases[i].on_5,
		          "case %zu: %d %d %d %d", i, a, b, c, d);
	}
	/* IEEE order: -0 = 0 */
	ice_expr *e = NULL;
	CHECK_OK(bind_pred(&e, &o, ICE_OP_EQ, &zero, 1));
	CHECK(holds(e, 1, &negzero));
	ice_expr_free(e);
	/* not is boolean negation: not (c < 5) holds for null */
	ice_expr *p = NULL, *n = NULL, *b = NULL;
	CHECK_OK(ice_expr_parse(&p, "not c < 5"));
	CHECK_OK(ice_expr_bind(&b, p, &o.st, true));
	CHECK(holds(b, 1, &null));
	CHECK(holds(b, 1, &nan));
	CHECK(!holds(b, 1, &val));
	ice_expr_free(b);
	CHECK_OK(ice_expr_not(&n, p));
	CHECK_OK(ice_expr_bind(&b, n, &o.st, true));
	CHECK(!holds(b, 1, &null));
	ice_expr_free(b);
	ice_expr_free(n);
	/* starts with */
	one_field os;
	one_field_init(&os, ice_type_primitive(ICE_TYPE_STRING));
	ice_literal ab = ice_literal_string("ab", 2), abc = ice_literal_string("abc", 3), a = ice_literal_string("a", 1);
	ice_literal snull = ice_literal_null(ICE_TYPE_STRING);
	CHECK_OK(bind_pred(&e, &os, ICE_OP_STARTS_WITH, &ab, 1));
	CHECK(holds(e, 1, &abc) && holds(e, 1, &ab) && !holds(e, 1, &a) && !holds(e, 1, &snull));
	ice_expr_free(e);
	CHECK_OK(bind_pred(&e, &os, ICE_OP_NOT_STARTS_WITH, &ab, 1));
	CHECK(!holds(e, 1, &abc) && holds(e, 1, &a) && holds(e, 1, &snull));
	ice_expr_free(e);
}

/* ---- projection by brute force ---------------------------------------------------------------- */

typedef struct domain {
	ice_literal *values;
	size_t n;
} domain;

static ice_literal lit_of(ice_type_id t, int64_t v)
{
	ice_literal l = {t, false, 0, {0}};
	if (t == ICE_TYPE_INT || t == ICE_TYPE_DATE)
		l.v.i32 = (int32_t)v;
	else
		l.v.i64 = v;
	return l;
}

static const char *const alphabet_strings[] = {
	"", "a", "b", "c", "aa", "ab", "ac", "ba", "bb", "bc", "ca", "cb", "cc", "aaa", "aab", "aac", "aba", "abb",
	"abc", "aca", "acb", "acc", "baa", "bab", "bac", "bba", "bbb", "bbc", "bca", "bcb", "bcc", "caa", "cab", "cac",
	"cba", "cbb", "cbc", "cca", "ccb", "ccc", NULL};

static void make_domain(domain *d, const ice_type *t)
{
	size_t cap = 4096, n = 0;
	d->values = calloc(cap, sizeof(ice_literal));
	switch (t->id) {
	case ICE_TYPE_INT:
	case ICE_TYPE_LONG:
		for (int64_t v = -120; v <= 120; v++)
			d->values[n++] = lit_of(t->id, v);
		break;
	case ICE_TYPE_DECIMAL:
		for (int64_t v = -300; v <= 300; v += 3) {
			ice_literal l = {ICE_TYPE_DECIMAL, false, t->u.decimal.scale, {0}};
			l.v.dec = ice_decimal128_from_int64(v);
			d->values[n++] = l;
		}
		break;
	case ICE_TYPE_DATE:
		/* 1967-01-01 .. 1972-12-31: whole years and months */
		for (int64_t v = -1096; v <= 1095; v++)
			d->values[n++] = lit_of(ICE_TYPE_DATE, v);
		break;
	case ICE_TYPE_TIMESTAMP: {
		const int64_t H = INT64_C(3600000000), D = 24 * H;
		for (int64_t h = -72; h <= 72; h++)
			for (int k = -1; k <= 1; k++)
				d->values[n++] = lit_of(ICE_TYPE_TIMESTAMP, h * H + k);
		/* month and year boundaries around 1969/1970 */
		static const int64_t days[] = {-365, -334, -31, -30, 0, 31, 59, 365, 396};
		for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++)
			for (int k = -1; k <= 1; k++)
				d->values[n++] = lit_of(ICE_TYPE_TIMESTAMP, days[i] * D + k);
		while (n < 1200)
			d->values[n++] = lit_of(ICE_TYPE_TIMESTAMP, rnd_range(-400 * D, 400 * D));
		break;
	}
	case ICE_TYPE_STRING:
		for (int i = 0; alphabet_strings[i]; i++)
			d->values[n++] = ice_literal_string(alphabet_strings[i], strlen(alphabet_strings[i]));
		break;
	default: break;
	}
	d->values[n++] = ice_literal_null(t->id);
	d->n = n;
}

static ice_op random_op(bool strings)
{
	static const ice_op ops[] = {ICE_OP_LT, ICE_OP_LT_EQ, ICE_OP_GT, ICE_OP_GT_EQ, ICE_OP_EQ, ICE_OP_NOT_EQ,
	                             ICE_OP_IN, ICE_OP_NOT_IN, ICE_OP_IS_NULL, ICE_OP_NOT_NULL, ICE_OP_STARTS_WITH,
	                             ICE_OP_NOT_STARTS_WITH};
	return ops[rnd() % (strings ? 12 : 10)];
}

static size_t nlits_of(ice_op op)
{
	switch (op) {
	case ICE_OP_IS_NULL:
	case ICE_OP_NOT_NULL: return 0;
	case ICE_OP_IN:
	case ICE_OP_NOT_IN: return 1 + rnd() % 4;
	default: return 1;
	}
}

static int check_projection(const ice_type *type, const char *transform, int rounds)
{
	one_field o;
	domain d;
	ice_partition_spec *spec = NULL;
	char json[256];
	int bad = 0;
	one_field_init(&o, type);
	make_domain(&d, type);
	snprintf(json, sizeof(json),
	         "{\"spec-id\": 0, \"fields\": [{\"source-id\": 1, \"field-id\": 1000, \"name\": \"p\", \"transform\": \"%s\"}]}",
	         transform);
	ice_schema *schema = NULL;
	char sj[256];
	char *tname = ice_type_to_string(type);
	snprintf(sj, sizeof(sj),
	         "{\"type\": \"struct\", \"schema-id\": 0, \"fields\": [{\"id\": 1, \"name\": \"c\", \"required\": false, \"type\": \"%s\"}]}",
	         tname);
	ice_free(tname);
	if (ice_partition_spec_from_json(&spec, json, strlen(json), "spec") != 0 ||
	    ice_schema_from_json(&schema, sj, strlen(sj), "schema") != 0) {
		free(d.values);
		ice_partition_spec_free(spec);
		return -1;
	}
	ice_literal *part = calloc(d.n, sizeof(ice_literal));
	for (size_t i = 0; i < d.n; i++)
		if (ice_transform_apply(&spec->fields[0].transform, &d.values[i], &part[i]) != 0)
			bad = 1;
	for (int r = 0; r < rounds && !bad; r++) {
		ice_op op = random_op(type->id == ICE_TYPE_STRING);
		size_t n = nlits_of(op);
		ice_literal lits[4];
		for (size_t k = 0; k < n; k++) {
			lits[k] = d.values[rnd() % (d.n - 1)];
			if (type->id != ICE_TYPE_STRING && type->id != ICE_TYPE_DECIMAL && rnd() % 8 == 0)
				lits[k] = lit_of(type->id, (type->id == ICE_TYPE_INT || type->id == ICE_TYPE_DATE
				                                ? lits[k].v.i32 : lits[k].v.i64) + 1); /* off the grid */
		}
		ice_expr *b = NULL, *incl = NULL, *strict = NULL;
		if (bind_pred(&b, &o, op, lits, n) != 0 || ice_expr_project(&incl, b, spec, schema, false) != 0 ||
		    ice_expr_project(&strict, b, spec, schema, true) != 0) {
			fprintf(stderr, "    %s: %s\n", transform, LAST_ERROR());
			bad = 1;
		}
		for (size_t i = 0; i < d.n && !bad; i++) {
			bool truth = holds(b, 1, &d.values[i]);
			bool in = holds(incl, 1000, &part[i]);
			bool all = holds(strict, 1000, &part[i]);
			if ((truth && !in) || (all && !truth)) {
				char *pe = ice_expr_to_string(b), *pi = ice_expr_to_string(incl), *ps = ice_expr_to_string(strict);
				char *v = ice_literal_to_string(&d.values[i]), *pv = ice_literal_to_string(&part[i]);
				fprintf(stderr, "    %s of %s: value %s (partition %s): %s is %d, inclusive %s is %d, strict %s is %d\n",
				        transform, ice_type_id_name(type->id), v, pv, pe, truth, pi, in, ps, all);
				ice_free(pe);
				ice_free(pi);
				ice_free(ps);
				ice_free(v);
				ice_free(pv);
				bad = 1;
			}
		}
		ice_expr_free(b);
		ice_expr_free(incl);
		ice_expr_free(strict);
	}
	free(part);
	free(d.values);
	ice_partition_spec_free(spec);
	ice_schema_free(schema);
	return bad ? -1 : 0;
}

TEST(test_expr_project__brute_force_every_transform)
{
	ice_type dec = {.id = ICE_TYPE_DECIMAL};
	dec.u.decimal.precision = 9;
	dec.u.decimal.scale = 2;
	static const struct {
		ice_type_id type;
		const char *transforms[6];
	} cases[] = {
		{ICE_TYPE_INT, {"identity", "bucket[7]", "truncate[10]", "void", NULL}},
		{ICE_TYPE_LONG, {"identity", "bucket[5]", "truncate[7]", NULL}},
		{ICE_TYPE_DATE, {"identity", "year", "month", "day", "bucket[4]", NULL}},
		{ICE_TYPE_TIMESTAMP, {"year", "month", "day", "hour", "identity", "bucket[3]"}},
		{ICE_TYPE_STRING, {"identity", "truncate[2]", "truncate[1]", "bucket[4]", NULL}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int k = 0; k < 6 && cases[i].transforms[k]; k++)
			CHECK_MSG(check_projection(ice_type_primitive(cases[i].type), cases[i].transforms[k], 300) == 0,
			          "%s of %s", cases[i].transforms[k], ice_type_id_name(cases[i].type));
	CHECK(check_projection(&dec, "truncate[50]", 300) == 0);
	CHECK(check_projection(&dec, "identity", 200) == 0);
	CHECK(check_projection(&dec, "bucket[6]", 200) == 0);
}

TEST(test_expr_project__combinations_and_unpartitioned_columns)
{
	static const char *SJ = "{\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
	                        "{\"id\": 1, \"name\": \"a\", \"required\": false, \"type\": \"int\"},"
	                        "{\"id\": 2, \"name\": \"b\", \"required\": false, \"type\": \"string\"}]}";
	static const char *SPEC = "{\"spec-id\": 3, \"fields\": ["
	                          "{\"source-id\": 1, \"field-id\": 1000, \"name\": \"a_t\", \"transform\": \"truncate[10]\"},"
	                          "{\"source-id\": 1, \"field-id\": 1001, \"name\": \"a_b\", \"transform\": \"bucket[4]\"}]}";
	ice_schema *s;
	ice_partition_spec *spec;
	ice_expr *e, *b, *p;
	CHECK_OK(ice_schema_from_json(&s, SJ, strlen(SJ), "s"));
	CHECK_OK(ice_partition_spec_from_json(&spec, SPEC, strlen(SPEC), "spec"));
	CHECK_OK(ice_expr_parse(&e, "a = 15 and b = 'x' or a < 3"));
	CHECK_OK(ice_expr_bind(&b, e, ice_schema_struct(s), true));
	CHECK_OK(ice_expr_project(&p, b, spec, s, false));
	char *t = ice_expr_to_string(p);
	CHECK_STR(t, "a_t = int '10' and a_b = int '0' or a_t <= int '0'");
	ice_free(t);
	ice_expr_free(p);
	CHECK_OK(ice_expr_project(&p, b, spec, s, true));
	t = ice_expr_to_string(p);
	CHECK_STR(t, "a_t < int '0'");
	ice_free(t);
	ice_expr_free(p);
	ice_expr_free(b);
	ice_expr_free(e);
	ice_partition_spec_free(spec);
	ice_schema_free(s);
}

/* ---- metrics by brute force ---------------------------------------------------------------------- */

typedef struct stats_src {
	ice_column_stats s;
	bool found;
} stats_src;

static int provide(void *payload, int32_t id, ice_column_stats *out, bool *found)
{
	stats_src *src = payload;
	if (id != 1)
		return 0;
	*out = src->s;
	*found = src->found;
	return 0;
}

static ice_literal random_value(ice_type_id t, bool allow_nan)
{
	static const double doubles[] = {-2.5, -1, -0.0, 0.0, 1, 2.5, INFINITY, -INFINITY};
	static const char *const strings[] = {"", "a", "ab", "abc", "abd", "b", "ba", "bab", "bb", "c", "zz", "abz"};
	switch (t) {
	case ICE_TYPE_INT: return lit_of(ICE_TYPE_INT, rnd_range(-5, 5));
	case ICE_TYPE_DOUBLE: {
		ice_literal l = {ICE_TYPE_DOUBLE, false, 0, {0}};
		l.v.f64 = allow_nan && rnd() % 6 == 0 ? NAN : doubles[rnd() % 8];
		return l;
	}
	default: {
		const char *s = strings[rnd() % 12];
		return ice_literal_string(s, strlen(s));
	}
	}
}

static int check_metrics(ice_type_id type, int rounds)
{
	one_field o;
	one_field_init(&o, ice_type_primitive(type));
	uint8_t scratch[64];
	for (int r = 0; r < rounds; r++) {
		ice_literal values[6];
		size_t n = 1 + rnd() % 5;
		int64_t nulls = 0, nans = 0;
		stats_src src;
		memset(&src, 0, sizeof(src));
		for (size_t i = 0; i < n; i++) {
			values[i] = rnd() % 5 == 0 ? ice_literal_null(type) : random_value(type, true);
			if (values[i].is_null) {
				nulls++;
				continue;
			}
			if (type == ICE_TYPE_DOUBLE && isnan(values[i].v.f64)) {
				nans++;
				continue;
			}
			if (!src.s.has_lower || ice_literal_compare(&values[i], &src.s.lower) < 0)
				src.s.lower = values[i];
			if (!src.s.has_upper || ice_literal_compare(&values[i], &src.s.upper) > 0)
				src.s.upper = values[i];
			src.s.has_lower = src.s.has_upper = true;
		}
		src.found = true;
		src.s.has_value_count = rnd() % 4 != 0;
		src.s.value_count = (int64_t)n;
		src.s.has_null_count = rnd() % 4 != 0;
		src.s.null_count = nulls;
		src.s.has_nan_count = type == ICE_TYPE_DOUBLE && rnd() % 4 != 0;
		src.s.nan_count = nans;
		src.s.lower_exact = src.s.upper_exact = true;
		if (rnd() % 6 == 0)
			src.s.has_lower = src.s.has_upper = false;
		if (type == ICE_TYPE_STRING && src.s.has_lower && rnd() % 2 == 0) {
			/* truncate(1) or truncate(2) bounds, as metrics modes write them */
			int32_t w = 1 + (int32_t)(rnd() % 2);
			bool has_up = false;
			if (ice_metrics_truncate_lower(&src.s.lower.v.bytes, ICE_TYPE_STRING, src.s.lower.v.bytes, w) != 0 ||
			    ice_metrics_truncate_upper(&src.s.upper.v.bytes, &has_up, ICE_TYPE_STRING, src.s.upper.v.bytes, w,
			                               scratch, sizeof(scratch)) != 0)
				return -1;
			src.s.has_upper = has_up;
			src.s.lower_exact = src.s.upper_exact = false;
		}
		ice_op op = random_op(type == ICE_TYPE_STRING);
		if (type == ICE_TYPE_DOUBLE && rnd() % 5 == 0)
			op = rnd() % 2 ? ICE_OP_IS_NAN : ICE_OP_NOT_NAN;
		size_t nl = op == ICE_OP_IS_NAN || op == ICE_OP_NOT_NAN ? 0 : nlits_of(op);
		ice_literal lits[4];
		for (size_t k = 0; k < nl; k++)
			lits[k] = random_value(type, false);
		ice_expr *b = NULL;
		if (bind_pred(&b, &o, op, lits, nl) != 0)
			return -1;
		bool might = true, must = false, any = false, all = true;
		if (ice_expr_stats_might_match(b, (int64_t)n, provide, &src, &might) != 0 ||
		    ice_expr_stats_must_match(b, (int64_t)n, provide, &src, &must) != 0) {
			ice_expr_free(b);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			bool m = holds(b, 1, &values[i]);
			any |= m;
			all &= m;
		}
		if ((!might && any) || (must && !all)) {
			char *t = ice_expr_to_string(b);
			fprintf(stderr, "    %s over %zu values (%lld nulls, %lld NaN): might %d must %d, any %d all %d\n", t, n,
			        (long long)nulls, (long long)nans, might, must, any, all);
			for (size_t i = 0; i < n; i++) {
				char *v = ice_literal_to_string(&values[i]);
				fprintf(stderr, "      %s\n", v);
				ice_free(v);
			}
			ice_free(t);
			ice_expr_free(b);
			return -1;
		}
		ice_expr_free(b);
	}
	return 0;
}

TEST(test_expr_metrics__brute_force_inclusive_and_strict)
{
	CHECK(check_metrics(ICE_TYPE_INT, 20000) == 0);
	CHECK(check_metrics(ICE_TYPE_DOUBLE, 20000) == 0);
	CHECK(check_metrics(ICE_TYPE_STRING, 20000) == 0);
}

TEST(test_expr_metrics__pruning_happens)
{
	one_field o;
	one_field_init(&o, ice_type_primitive(ICE_TYPE_STRING));
	stats_src src;
	memset(&src, 0, sizeof(src));
	src.found = true;
	src.s.has_value_count = src.s.has_null_count = true;
	src.s.value_count = 10;
	src.s.has_lower = src.s.has_upper = true;
	src.s.lower = ice_literal_string("abc", 3);
	src.s.upper = ice_literal_string("abd", 3); /* truncated: rounded up */
	ice_expr *b;
	bool m;
	ice_literal ab = ice_literal_string("ab", 2), b_ = ice_literal_string("b", 1), abd = ice_literal_string("abd", 3);
	CHECK_OK(bind_pred(&b, &o, ICE_OP_STARTS_WITH, &b_, 1));
	CHECK_OK(ice_expr_stats_might_match(b, 10, provide, &src, &m));
	CHECK(!m);
	ice_expr_free(b);
	CHECK_OK(bind_pred(&b, &o, ICE_OP_STARTS_WITH, &ab, 1));
	CHECK_OK(ice_expr_stats_must_match(b, 10, provide, &src, &m));
	CHECK(m);
	ice_expr_free(b);
	/* the rounded-up upper bound does not prove every value starts with "abd" */
	CHECK_OK(bind_pred(&b, &o, ICE_OP_STARTS_WITH, &abd, 1));
	src.s.lower = abd;
	CHECK_OK(ice_expr_stats_must_match(b, 10, provide, &src, &m));
	CHECK(!m);
	src.s.upper_exact = true;
	CHECK_OK(ice_expr_stats_must_match(b, 10, provide, &src, &m));
	CHECK(m);
	ice_expr_free(b);
	/* no rows: nothing can match */
	CHECK_OK(bind_pred(&b, &o, ICE_OP_IS_NULL, NULL, 0));
	CHECK_OK(ice_expr_stats_might_match(b, 0, provide, &src, &m));
	CHECK(!m);
	ice_expr_free(b);
}

/* ---- residuals ------------------------------------------------------------------------------------ */

TEST(test_expr_residual__partition_decides_what_it_can)
{
	static const char *SJ = "{\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
	                        "{\"id\": 1, \"name\": \"ts\", \"required\": false, \"type\": \"timestamp\"},"
	                        "{\"id\": 2, \"name\": \"b\", \"required\": false, \"type\": \"string\"}]}";
	static const char *SPEC = "{\"spec-id\": 0, \"fields\": ["
	                          "{\"source-id\": 1, \"field-id\": 1000, \"name\": \"ts_day\", \"transform\": \"day\"}]}";
	ice_schema *s;
	ice_partition_spec *spec;
	ice_expr *e, *b, *r;
	CHECK_OK(ice_schema_from_json(&s, SJ, strlen(SJ), "s"));
	CHECK_OK(ice_partition_spec_from_json(&spec, SPEC, strlen(SPEC), "spec"));
	CHECK_OK(ice_expr_parse(&e, "ts >= '2024-01-02' and ts < '2024-01-05T12:00:00' and b = 'x'"));
	CHECK_OK(ice_expr_bind(&b, e, ice_schema_struct(s), true));
	ice_literal day = {ICE_TYPE_DATE, false, 0, {0}};
	day.v.i32 = 19725; /* 2024-01-03: both bounds hold for every row */
	CHECK_OK(ice_expr_residual(&r, b, spec, s, &day, 1));
	char *t = ice_expr_to_string(r);
	CHECK_STR(t, "b = 'x'");
	ice_free(t);
	ice_expr_free(r);
	day.v.i32 = 19727; /* 2024-01-05: the upper bound splits the day */
	CHECK_OK(ice_expr_residual(&r, b, spec, s, &day, 1));
	t = ice_expr_to_string(r);
	CHECK_STR(t, "ts < timestamp '2024-01-05T12:00:00.000000' and b = 'x'");
	ice_free(t);
	ice_expr_free(r);
	day.v.i32 = 19730; /* after the range */
	CHECK_OK(ice_expr_residual(&r, b, spec, s, &day, 1));
	CHECK_INT(ice_expr_get_kind(r), ICE_EXPR_FALSE);
	ice_expr_free(r);
	ice_expr_free(b);
	ice_expr_free(e);
	ice_partition_spec_free(spec);
	ice_schema_free(s);
}

/* ---- manifest summaries ----------------------------------------------------------------------------- */

TEST(test_expr_manifest__summaries)
{
	static const char *SPEC = "{\"spec-id\": 0, \"fields\": ["
	                          "{\"source-id\": 1, \"field-id\": 1000, \"name\": \"p\", \"transform\": \"identity\"}]}";
	ice_partition_spec *spec;
	one_field o;
	ice_field pf = {1000, "p", false, ice_type_primitive(ICE_TYPE_INT), NULL, NULL, NULL};
	ice_type pst = {.id = ICE_TYPE_STRUCT};
	pst.u.struct_.nfields = 1;
	pst.u.struct_.fields = &pf;
	(void)o;
	CHECK_OK(ice_partition_spec_from_json(&spec, SPEC, strlen(SPEC), "spec"));
	ice_partition_field_summary sum;
	memset(&sum, 0, sizeof(sum));
	sum.has_lower_bound = sum.has_upper_bound = true;
	sum.lower_value = lit_of(ICE_TYPE_INT, 10);
	sum.upper_value = lit_of(ICE_TYPE_INT, 20);
	ice_manifest_file mf;
	memset(&mf, 0, sizeof(mf));
	mf.has_partitions = true;
	mf.n_partitions = 1;
	mf.partitions = &sum;
	static const struct {
		const char *where;
		bool might;
	} cases[] = {
		{"p = 15", true},       {"p = 25", false},       {"p < 10", false},     {"p <= 10", true},
		{"p > 20", false},      {"p >= 20", true},       {"p in (1, 30)", false}, {"p in (1, 12)", true},
		{"p is null", false},   {"p is not null", true}, {"p != 15", true},     {"not p > 5", false},
		{"p = 25 or p = 15", true}, {"p = 15 and p = 25", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ice_expr *e, *b;
		bool m;
		CHECK_OK(ice_expr_parse(&e, cases[i].where));
		CHECK_OK(ice_expr_bind(&b, e, &pst, true));
		CHECK_OK(ice_expr_manifest_might_match(b, spec, &mf, &m));
		ice_expr_free(b);
		ice_expr_free(e);
		CHECK_MSG(m == cases[i].might, "%s: %d", cases[i].where, m);
	}
	/* all nulls: no lower bound */
	sum.has_lower_bound = sum.has_upper_bound = false;
	sum.contains_null = true;
	ice_expr *e, *b;
	bool m;
	CHECK_OK(ice_expr_parse(&e, "p = 1 or p is not null"));
	CHECK_OK(ice_expr_bind(&b, e, &pst, true));
	CHECK_OK(ice_expr_manifest_might_match(b, spec, &mf, &m));
	CHECK(!m);
	ice_expr_free(b);
	ice_expr_free(e);
	ice_partition_spec_free(spec);
}

/* ---- rows --------------------------------------------------------------------------------------------- */

static void no_release(struct ArrowArray *a)
{
	a->release = NULL;
}

static void arr(struct ArrowArray *a, int64_t len, int64_t nulls, const void *validity, const void *b1, const void *b2,
                const void **bufs)
{
	memset(a, 0, sizeof(*a));
	a->length = len;
	a->null_count = nulls;
	bufs[0] = validity;
	bufs[1] = b1;
	bufs[2] = b2;
	a->n_buffers = b2 ? 3 : 2;
	a->buffers = bufs;
	a->release = no_release;
}

TEST(test_expr_batch__rows_of_every_layout)
{
	static const char *SJ =
		"{\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
		"{\"id\": 1, \"name\": \"i\", \"required\": false, \"type\": \"int\"},"
		"{\"id\": 2, \"name\": \"s\", \"required\": false, \"type\": \"string\"},"
		"{\"id\": 3, \"name\": \"g\", \"required\": false, \"type\": \"double\"},"
		"{\"id\": 4, \"name\": \"st\", \"required\": false, \"type\": {\"type\": \"struct\", \"fields\": ["
		"  {\"id\": 5, \"name\": \"x\", \"required\": false, \"type\": \"long\"}]}},"
		"{\"id\": 6, \"name\": \"dec\", \"required\": false, \"type\": \"decimal(9, 2)\"},"
		"{\"id\": 7, \"name\": \"ts\", \"required\": false, \"type\": \"timestamptz\"},"
		"{\"id\": 8, \"name\": \"d\", \"required\": false, \"type\": \"date\"},"
		"{\"id\": 9, \"name\": \"b\", \"required\": false, \"type\": \"boolean\"}]}";
	ice_schema *schema;
	CHECK_OK(ice_schema_from_json(&schema, SJ, strlen(SJ), "s"));
	/* 4 rows */
	const uint8_t valid_i = 0x0b; /* row 2 null */
	const int32_t ints[] = {1, 5, 0, 9};
	const int32_t offs[] = {0, 3, 5, 5, 8};
	const char chars[] = "abcxyzab";
	const uint8_t valid_s = 0x0b;
	const double dbl[] = {1.5, NAN, -0.0, 3};
	const uint8_t valid_st = 0x0d; /* struct row 1 null */
	const int64_t xs[] = {10, 20, 30, 40};
	const uint8_t valid_x = 0x0b; /* x row 2 null */
	uint8_t decs[64];
	memset(decs, 0, sizeof(decs));
	const int64_t unscaled[] = {150, -25, 0, 100000};
	for (int i = 0; i < 4; i++) {
		int64_t v = unscaled[i], hi = v < 0 ? -1 : 0;
		memcpy(decs + 16 * i, &v, 8);
		memcpy(decs + 16 * i + 8, &hi, 8);
	}
	const int64_t tss[] = {0, 86400000000, -1, 1704067200000000};
	const int32_t days[] = {0, 19723, -1, 100};
	const uint8_t bools = 0x05; /* rows 0 and 2 true */

	struct ArrowArray a_i, a_s, a_g, a_st, a_x, a_dec, a_ts, a_d, a_b, batch;
	const void *b_i[3], *b_s[3], *b_g[3], *b_st[3], *b_x[3], *b_dec[3], *b_ts[3], *b_d[3], *b_b[3], *b_batch[3];
	arr(&a_i, 4, 1, &valid_i, ints, NULL, b_i);
	arr(&a_s, 4, 1, &valid_s, offs, chars, b_s);
	arr(&a_g, 4, 0, NULL, dbl, NULL, b_g);
	arr(&a_x, 4, 1, &valid_x, xs, NULL, b_x);
	arr(&a_st, 4, 1, &valid_st, NULL, NULL, b_st);
	a_st.n_buffers = 1;
	struct ArrowArray *st_kids[] = {&a_x};
	a_st.n_children = 1;
	a_st.children = st_kids;
	arr(&a_dec, 4, 0, NULL, decs, NULL, b_dec);
	arr(&a_ts, 4, 0, NULL, tss, NULL, b_ts);
	arr(&a_d, 4, 0, NULL, days, NULL, b_d);
	arr(&a_b, 4, 0, NULL, &bools, NULL, b_b);
	struct ArrowArray *kids[] = {&a_i, &a_s, &a_g, &a_st, &a_dec, &a_ts, &a_d, &a_b};
	arr(&batch, 4, 0, NULL, NULL, NULL, b_batch);
	batch.n_buffers = 1;
	batch.n_children = 8;
	batch.children = kids;

	struct ArrowSchema s_i = {.format = "i"}, s_s = {.format = "u"}, s_g = {.format = "g"}, s_x = {.format = "l"},
	                   s_st = {.format = "+s"}, s_dec = {.format = "d:9,2"}, s_ts = {.format = "tsu:UTC"},
	                   s_d = {.format = "tdD"}, s_b = {.format = "b"}, s_batch = {.format = "+s"};
	struct ArrowSchema *st_schema_kids[] = {&s_x};
	s_st.n_children = 1;
	s_st.children = st_schema_kids;
	struct ArrowSchema *schema_kids[] = {&s_i, &s_s, &s_g, &s_st, &s_dec, &s_ts, &s_d, &s_b};
	s_batch.n_children = 8;
	s_batch.children = schema_kids;

	static const struct {
		const char *where;
		const char *keep; /* '1' kept, '0' cleared */
	} cases[] = {
		{"i = 5", "0100"},
		{"i != 5", "1011"},
		{"i is null", "0010"},
		{"i > 0 and i < 9", "1100"},
		{"s = 'abc'", "1000"},
		{"s starts with 'a'", "1000"},
		{"s not starts with 'a'", "0111"},
		{"s is null", "0010"},
		{"g > 1", "1001"},
		{"g is nan", "0100"},
		{"g = 0", "0010"},
		{"g != 3", "1110"},
		{"st.x = 20", "0000"},
		{"st.x is null", "0110"},
		{"st.x >= 10", "1001"},
		{"dec > 1", "1001"},
		{"dec = -0.25", "0100"},
		{"dec in (1.5, 1000)", "1001"},
		{"ts >= '1970-01-02'", "0101"},
		{"ts < '1970-01-01'", "0010"},
		{"d = '2024-01-01'", "0100"},
		{"d < 0", "0010"},
		{"b = true", "1010"},
		{"not (i = 5 or g is nan)", "1011"},
		{"i in (1, 9) or s = 'xy'", "1101"},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		ice_expr *e = NULL, *b = NULL;
		uint8_t keep[4] = {1, 1, 1, 1};
		CHECK_OK(ice_expr_parse(&e, cases[c].where));
		CHECK_OK(ice_expr_bind(&b, e, ice_schema_struct(schema), true));
		CHECK_OK(ice_expr_eval_batch(b, ice_schema_struct(schema), &batch, &s_batch, keep));
		char got[5] = {0};
		for (int r = 0; r < 4; r++)
			got[r] = keep[r] ? '1' : '0';
		ice_expr_free(b);
		ice_expr_free(e);
		CHECK_MSG(strcmp(got, cases[c].keep) == 0, "%s: kept %s, expected %s", cases[c].where, got, cases[c].keep);
	}
	/* cleared rows stay cleared; offsets are honoured */
	ice_expr *e = NULL, *b = NULL;
	uint8_t keep[3] = {0, 1, 1};
	CHECK_OK(ice_expr_parse(&e, "i > 0"));
	CHECK_OK(ice_expr_bind(&b, e, ice_schema_struct(schema), true));
	batch.offset = 1;
	batch.length = 3;
	CHECK_OK(ice_expr_eval_batch(b, ice_schema_struct(schema), &batch, &s_batch, keep));
	CHECK(!keep[0] && !keep[1] && keep[2]);
	/* a missing column is an error */
	ice_type only_i = {.id = ICE_TYPE_STRUCT};
	only_i.u.struct_.nfields = 1;
	only_i.u.struct_.fields = ice_schema_find_field(schema, 3);
	CHECK_RC(ice_expr_eval_batch(b, &only_i, &batch, &s_batch, keep), ICE_EINVALID);
	ice_expr_free(b);
	ice_expr_free(e);
	ice_schema_free(schema);
}

TEST(test_expr_batch__more_layouts)
{
	static const char *SJ =
		"{\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
		"{\"id\": 1, \"name\": \"f\", \"required\": false, \"type\": \"float\"},"
		"{\"id\": 2, \"name\": \"t\", \"required\": false, \"type\": \"time\"},"
		"{\"id\": 3, \"name\": \"ts\", \"required\": false, \"type\": \"timestamp\"},"
		"{\"id\": 4, \"name\": \"ns\", \"required\": false, \"type\": \"timestamp_ns\"},"
		"{\"id\": 5, \"name\": \"ls\", \"required\": false, \"type\": \"string\"},"
		"{\"id\": 6, \"name\": \"bin\", \"required\": false, \"type\": \"binary\"},"
		"{\"id\": 7, \"name\": \"lbin\", \"required\": false, \"type\": \"binary\"},"
		"{\"id\": 8, \"name\": \"u\", \"required\": false, \"type\": \"uuid\"},"
		"{\"id\": 9, \"name\": \"fx\", \"required\": false, \"type\": \"fixed[2]\"},"
		"{\"id\": 10, \"name\": \"small\", \"required\": false, \"type\": \"int\"},"
		"{\"id\": 11, \"name\": \"big\", \"required\": false, \"type\": \"long\"},"
		"{\"id\": 12, \"name\": \"ms\", \"required\": false, \"type\": \"timestamptz\"},"
		"{\"id\": 13, \"name\": \"unk\", \"required\": false, \"type\": \"int\"},"
		"{\"id\": 14, \"name\": \"g\", \"required\": false, \"type\": \"double\"}]}";
	ice_schema *schema;
	CHECK_OK(ice_schema_from_json(&schema, SJ, strlen(SJ), "s"));
	/* 3 rows */
	const float fl[] = {1.5f, NAN, -2.0f};
	const int64_t times[] = {0, 36000000000, 86399999999};
	const int64_t tss[] = {-1, 0, 1000000};
	const int64_t nss[] = {1, 1000, -1};
	const int64_t loffs[] = {0, 2, 2, 5};
	const char lchars[] = "abxyz";
	const uint8_t valid_ls = 0x05; /* row 1 null */
	const int32_t boffs[] = {0, 1, 3, 3};
	const uint8_t bbytes[] = {0x00, 0xff, 0x01};
	const int64_t lboffs[] = {0, 0, 2, 3};
	const uint8_t lbbytes[] = {0x0a, 0x0b, 0xff};
	uint8_t uuids[48];
	for (int i = 0; i < 48; i++)
		uuids[i] = (uint8_t)(i / 16 * 17 + i % 16);
	const uint8_t fxs[] = {1, 2, 1, 3, 9, 9};
	const int8_t smalls[] = {-5, 0, 127};
	const uint64_t bigs[] = {1, UINT64_MAX, 42};
	const int64_t mss[] = {0, 86400000, -1}; /* tsm:UTC */
	const float fdbl[] = {0.5f, 1.0f, 2.5f}; /* a float file column read as double */

	struct ArrowArray a[14], batch;
	const void *bufs[15][3];
	arr(&a[0], 3, 0, NULL, fl, NULL, bufs[0]);
	arr(&a[1], 3, 0, NULL, times, NULL, bufs[1]);
	arr(&a[2], 3, 0, NULL, tss, NULL, bufs[2]);
	arr(&a[3], 3, 0, NULL, nss, NULL, bufs[3]);
	arr(&a[4], 3, 1, &valid_ls, loffs, lchars, bufs[4]);
	arr(&a[5], 3, 0, NULL, boffs, bbytes, bufs[5]);
	arr(&a[6], 3, 0, NULL, lboffs, lbbytes, bufs[6]);
	arr(&a[7], 3, 0, NULL, uuids, NULL, bufs[7]);
	arr(&a[8], 3, 0, NULL, fxs, NULL, bufs[8]);
	arr(&a[9], 3, 0, NULL, smalls, NULL, bufs[9]);
	arr(&a[10], 3, 0, NULL, bigs, NULL, bufs[10]);
	arr(&a[11], 3, 0, NULL, mss, NULL, bufs[11]);
	arr(&a[12], 3, 3, NULL, NULL, NULL, bufs[12]);
	a[12].n_buffers = 0;
	arr(&a[13], 3, 0, NULL, fdbl, NULL, bufs[13]);
	struct ArrowArray *kids[14];
	for (int i = 0; i < 14; i++)
		kids[i] = &a[i];
	arr(&batch, 3, 0, NULL, NULL, NULL, bufs[14]);
	batch.n_buffers = 1;
	batch.n_children = 14;
	batch.children = kids;
	static const char *formats[] = {"f", "ttu", "tsu:", "tsn:", "U", "z", "Z", "w:16", "w:2", "c", "L", "tsm:UTC", "n", "f"};
	struct ArrowSchema s[14], s_batch = {.format = "+s"};
	struct ArrowSchema *skids[14];
	for (int i = 0; i < 14; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].format = formats[i];
		skids[i] = &s[i];
	}
	s_batch.n_children = 14;
	s_batch.children = skids;

	static const struct {
		const char *where;
		const char *keep;
	} cases[] = {
		{"f > 0", "100"},
		{"f is nan", "010"},
		{"f != 1.5", "011"},
		{"t >= '10:00:00'", "011"},
		{"t < time '00:00:00.000001'", "100"},
		{"ts < '1970-01-01'", "100"},
		{"ts = '1970-01-01T00:00:01'", "001"},
		{"ns > timestamp_ns '1970-01-01T00:00:00.000000001'", "010"},
		{"ns >= '1970-01-01'", "110"},
		{"ls = 'ab'", "100"},
		{"ls starts with 'x'", "001"},
		{"ls is null", "010"},
		{"bin = X'00'", "100"},
		{"bin > X'00'", "010"},
		{"bin = X''", "001"},
		{"lbin = X'0a0b'", "010"},
		{"u = '11111111-1111-1111-1111-111111111111'", "000"},
		{"u = '00010203-0405-0607-0809-0a0b0c0d0e0f'", "100"},
		{"fx = X'0103'", "010"},
		{"fx >= X'0103'", "011"},
		{"small < 0", "100"},
		{"small = 127", "001"},
		{"big > 100", "010"},
		{"ms >= '1970-01-02T00:00:00Z'", "010"},
		{"ms < '1970-01-01'", "001"},
		{"unk is null", "111"},
		{"unk = 1", "000"},
		{"g > 1", "001"},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		ice_expr *e = NULL, *b = NULL;
		uint8_t keep[3] = {1, 1, 1};
		CHECK_OK(ice_expr_parse(&e, cases[c].where));
		CHECK_MSG(ice_expr_bind(&b, e, ice_schema_struct(schema), true) == 0, "%s: %s", cases[c].where, LAST_ERROR());
		int rc = ice_expr_eval_batch(b, ice_schema_struct(schema), &batch, &s_batch, keep);
		ice_expr_free(b);
		ice_expr_free(e);
		CHECK_MSG(rc == 0, "%s: %s", cases[c].where, LAST_ERROR());
		char got[4] = {0};
		for (int r = 0; r < 3; r++)
			got[r] = keep[r] ? '1' : '0';
		CHECK_MSG(strcmp(got, cases[c].keep) == 0, "%s: kept %s, expected %s", cases[c].where, got, cases[c].keep);
	}
	/* dictionary-encoded and unknown layouts are refused, not misread */
	ice_expr *e = NULL, *b = NULL;
	uint8_t keep[3] = {1, 1, 1};
	CHECK_OK(ice_expr_parse(&e, "f > 0"));
	CHECK_OK(ice_expr_bind(&b, e, ice_schema_struct(schema), true));
	s[0].format = "+l";
	CHECK_RC(ice_expr_eval_batch(b, ice_schema_struct(schema), &batch, &s_batch, keep), ICE_EUNSUPPORTED);
	s[0].format = "f";
	struct ArrowArray dict = a[0];
	a[0].dictionary = &dict;
	CHECK_RC(ice_expr_eval_batch(b, ice_schema_struct(schema), &batch, &s_batch, keep), ICE_EUNSUPPORTED);
	a[0].dictionary = NULL;
	ice_expr_free(b);
	ice_expr_free(e);
	ice_schema_free(schema);
}
