/*
 * Unit tests of lib/expr: the --where parser and printer, binding (names,
 * literal conversion, folding, NOT pushed down) and the error messages.
 */
#include <math.h>
#include <stdlib.h>

#include "ice.h"
#include "test.h"

/* parse, then print */
static char *roundtrip(const char *text)
{
	ice_expr *e = NULL;
	if (ice_expr_parse(&e, text) != 0)
		return NULL;
	char *s = ice_expr_to_string(e);
	ice_expr_free(e);
	return s;
}

#define CHECK_PRINTS(text, expected)                                                                \
	do {                                                                                        \
		char *got_ = roundtrip(text);                                                       \
		CHECK_MSG(got_ != NULL, "%s: %s", text, LAST_ERROR());                              \
		bool same_ = strcmp(got_, expected) == 0;                                           \
		if (!same_)                                                                         \
			ice_test_fail(__FILE__, __LINE__, "%s printed as \"%s\", expected \"%s\"", text, got_, \
			              expected);                                                    \
		ice_free(got_);                                                                     \
		if (!same_)                                                                         \
			return;                                                                     \
	} while (0)

#define CHECK_PARSE_ERROR(text, expected_msg)                                                            \
	do {                                                                                        \
		ice_expr *e_ = NULL;                                                                \
		CHECK_RC(ice_expr_parse(&e_, text), ICE_EINVALID);                                  \
		CHECK(e_ == NULL);                                                                  \
		CHECK_STR(ice_error_last()->message, expected_msg);                                 \
	} while (0)

TEST(test_expr_parse__every_operator)
{
	CHECK_PRINTS("a = 1", "a = 1");
	CHECK_PRINTS("a == 1", "a = 1");
	CHECK_PRINTS("a != 1", "a != 1");
	CHECK_PRINTS("a <> 1", "a != 1");
	CHECK_PRINTS("a < 1", "a < 1");
	CHECK_PRINTS("a <= 1", "a <= 1");
	CHECK_PRINTS("a > 1", "a > 1");
	CHECK_PRINTS("a >= -1", "a >= -1");
	CHECK_PRINTS("a in (3, 1, 2)", "a in (3, 1, 2)");
	CHECK_PRINTS("a not in (1)", "a not in (1)");
	CHECK_PRINTS("a is null", "a is null");
	CHECK_PRINTS("a IS NOT NULL", "a is not null");
	CHECK_PRINTS("f is nan", "f is nan");
	CHECK_PRINTS("f is not nan", "f is not nan");
	CHECK_PRINTS("f not nan", "f is not nan");
	CHECK_PRINTS("s starts with 'ab'", "s starts with 'ab'");
	CHECK_PRINTS("s NOT STARTS WITH 'ab'", "s not starts with 'ab'");
	CHECK_PRINTS("true", "true");
	CHECK_PRINTS("FALSE", "false");
	CHECK_PRINTS("not a = 1", "not a = 1");
}

TEST(test_expr_parse__precedence_and_parentheses)
{
	ice_expr *e;
	/* and binds tighter than or; both associate to the left */
	CHECK_OK(ice_expr_parse(&e, "a = 1 or b = 2 and c = 3"));
	CHECK_INT(ice_expr_get_kind(e), ICE_EXPR_OR);
	CHECK_INT(ice_expr_get_kind(ice_expr_child(e, 1)), ICE_EXPR_AND);
	ice_expr_free(e);
	CHECK_OK(ice_expr_parse(&e, "a = 1 and b = 2 and c = 3"));
	CHECK_INT(ice_expr_get_kind(ice_expr_child(e, 0)), ICE_EXPR_AND);
	CHECK_INT(ice_expr_get_kind(ice_expr_child(e, 1)), ICE_EXPR_PREDICATE);
	ice_expr_free(e);
	/* not binds to what follows it */
	CHECK_OK(ice_expr_parse(&e, "not a = 1 and b = 2"));
	CHECK_INT(ice_expr_get_kind(e), ICE_EXPR_AND);
	CHECK_INT(ice_expr_get_kind(ice_expr_child(e, 0)), ICE_EXPR_NOT);
	ice_expr_free(e);
	CHECK_PRINTS("(a = 1 or b = 2) and c = 3", "(a = 1 or b = 2) and c = 3");
	CHECK_PRINTS("a = 1 and (b = 2 and c = 3)", "a = 1 and (b = 2 and c = 3)");
	CHECK_PRINTS("((a = 1))", "a = 1");
	CHECK_PRINTS("not (a = 1 or b = 2)", "not (a = 1 or b = 2)");
	CHECK_PRINTS("not not a = 1", "not not a = 1");
	CHECK_PRINTS("a = 1 or (b = 2 or c = 3)", "a = 1 or (b = 2 or c = 3)");
}

TEST(test_expr_parse__quoting_and_columns)
{
	ice_expr *e;
	CHECK_PRINTS("s = 'it''s'", "s = 'it''s'");
	CHECK_PRINTS("s = ''", "s = ''");
	CHECK_PRINTS("`weird name` = 1", "`weird name` = 1");
	CHECK_PRINTS("`a``b` = 1", "`a``b` = 1");
	CHECK_PRINTS("\"dq\" = 1", "dq = 1");
	CHECK_PRINTS("`in` = 1", "`in` = 1");
	CHECK_PRINTS("a.b.c = 1", "a.b.c = 1");
	CHECK_PRINTS("a.`b c` = 1", "`a.b c` = 1");
	CHECK_PRINTS("AND_x = 1", "AND_x = 1");
	CHECK_PRINTS("s = 'ü€'", "s = 'ü€'");
	CHECK_OK(ice_expr_parse(&e, "a.`b c` = 1"));
	CHECK_STR(ice_expr_column(e), "a.b c");
	CHECK_INT(ice_expr_op(e), ICE_OP_EQ);
	CHECK_INT(ice_expr_literal_count(e), 1);
	CHECK(!ice_expr_is_bound(e));
	ice_expr_free(e);
}

static int check_literal(const char *text, ice_type_id type, const char *printed)
{
	ice_expr *e = NULL;
	int rc = ice_expr_parse(&e, text);
	if (rc)
		return rc;
	const ice_literal *l = ice_expr_literal(e, 0);
	char *s = ice_expr_to_string(e);
	int bad = l->type != type || strcmp(s, printed) != 0;
	if (bad)
		fprintf(stderr, "    %s: type %s, printed %s\n", text, ice_type_id_name(l->type), s);
	/* what is printed parses back to the same literal */
	ice_expr *again = NULL;
	if (!bad && ice_expr_parse(&again, s) == 0) {
		bad = !ice_literal_equal(ice_expr_literal(again, 0), l);
		if (bad)
			fprintf(stderr, "    %s: reparsed to another value\n", s);
	}
	ice_expr_free(again);
	ice_free(s);
	ice_expr_free(e);
	return bad ? ICE_ERROR : 0;
}

TEST(test_expr_parse__typed_literals_of_every_type)
{
	CHECK_OK(check_literal("x = 42", ICE_TYPE_LONG, "x = 42"));
	CHECK_OK(check_literal("x = -9223372036854775808", ICE_TYPE_LONG, "x = -9223372036854775808"));
	CHECK_OK(check_literal("x = 1.50", ICE_TYPE_DECIMAL, "x = 1.50"));
	CHECK_OK(check_literal("x = .5", ICE_TYPE_DECIMAL, "x = 0.5"));
	CHECK_OK(check_literal("x = 12345678901234567890123", ICE_TYPE_DECIMAL, "x = decimal '12345678901234567890123'"));
	CHECK_OK(check_literal("x = 1.5e3", ICE_TYPE_DOUBLE, "x = double '1.5e+03'"));
	CHECK_OK(check_literal("x = true", ICE_TYPE_BOOLEAN, "x = true"));
	CHECK_OK(check_literal("x = 'text'", ICE_TYPE_STRING, "x = 'text'"));
	CHECK_OK(check_literal("x = boolean 'false'", ICE_TYPE_BOOLEAN, "x = false"));
	CHECK_OK(check_literal("x = int '7'", ICE_TYPE_INT, "x = int '7'"));
	CHECK_OK(check_literal("x = long '7'", ICE_TYPE_LONG, "x = 7"));
	CHECK_OK(check_literal("x = float '1.5'", ICE_TYPE_FLOAT, "x = float '1.5'"));
	CHECK_OK(check_literal("x = double 'NaN'", ICE_TYPE_DOUBLE, "x = double 'NaN'"));
	CHECK_OK(check_literal("x = double '-Infinity'", ICE_TYPE_DOUBLE, "x = double '-Infinity'"));
	CHECK_OK(check_literal("x = decimal '-12.340'", ICE_TYPE_DECIMAL, "x = -12.340"));
	CHECK_OK(check_literal("x = decimal '12'", ICE_TYPE_DECIMAL, "x = decimal '12'"));
	CHECK_OK(check_literal("x = date '2024-01-31'", ICE_TYPE_DATE, "x = date '2024-01-31'"));
	CHECK_OK(check_literal("x = date '1969-12-31'", ICE_TYPE_DATE, "x = date '1969-12-31'"));
	CHECK_OK(check_literal("x = time '10:11:12.5'", ICE_TYPE_TIME, "x = time '10:11:12.500000'"));
	CHECK_OK(check_literal("x = timestamp '2024-01-31T10:11:12'", ICE_TYPE_TIMESTAMP,
	                       "x = timestamp '2024-01-31T10:11:12.000000'"));
	CHECK_OK(check_literal("x = timestamptz '2024-01-31T10:11:12+01:00'", ICE_TYPE_TIMESTAMPTZ,
	                       "x = timestamptz '2024-01-31T09:11:12.000000+00:00'"));
	CHECK_OK(check_literal("x = timestamp_ns '2024-01-31T10:11:12.123456789'", ICE_TYPE_TIMESTAMP_NS,
	                       "x = timestamp_ns '2024-01-31T10:11:12.123456789'"));
	CHECK_OK(check_literal("x = timestamptz_ns '2024-01-31T10:11:12.000000001Z'", ICE_TYPE_TIMESTAMPTZ_NS,
	                       "x = timestamptz_ns '2024-01-31T10:11:12.000000001+00:00'"));
	CHECK_OK(check_literal("x = string 'a'", ICE_TYPE_STRING, "x = 'a'"));
	CHECK_OK(check_literal("x = uuid 'F79C3E09-677C-4BBD-A479-3F349CB785E7'", ICE_TYPE_UUID,
	                       "x = uuid 'f79c3e09-677c-4bbd-a479-3f349cb785e7'"));
	CHECK_OK(check_literal("x = X'0A1b'", ICE_TYPE_BINARY, "x = X'0a1b'"));
	CHECK_OK(check_literal("x = binary '0a1b'", ICE_TYPE_BINARY, "x = X'0a1b'"));
	CHECK_OK(check_literal("x = fixed X'0a1b2c'", ICE_TYPE_FIXED, "x = fixed X'0a1b2c'"));
}

TEST(test_expr_parse__errors_name_the_column)
{
	CHECK_PARSE_ERROR("", "where: column 1: empty expression");
	CHECK_PARSE_ERROR("a =", "where: column 4: expected a value, found the end of the expression");
	CHECK_PARSE_ERROR("a = 1 and", "where: column 10: expected a column name, found the end of the expression");
	CHECK_PARSE_ERROR("(a = 1", "where: column 1: '(' is never closed");
	CHECK_PARSE_ERROR("(a = 1 b", "where: column 8: expected ')', found 'b'");
	CHECK_PARSE_ERROR("a = 1 b = 2", "where: column 7: unexpected 'b'");
	CHECK_PARSE_ERROR("a ! 1", "where: column 3: unexpected '!' (did you mean '!='?)");
	CHECK_PARSE_ERROR("a = 'open", "where: column 5: unterminated string");
	CHECK_PARSE_ERROR("`a = 1", "where: column 1: unterminated quoted column name");
	CHECK_PARSE_ERROR("a in 1", "where: column 6: expected '(' after in, found '1'");
	CHECK_PARSE_ERROR("a in (1 2)", "where: column 9: expected ',' or ')' in the list, found '2'");
	CHECK_PARSE_ERROR("a is 5", "where: column 6: expected 'null' or 'nan' after 'is', found '5'");
	CHECK_PARSE_ERROR("a starts 'x'", "where: column 10: expected 'with', found 'x'");
	CHECK_PARSE_ERROR("a not = 1", "where: column 7: expected 'in', 'starts with' or 'nan' after 'not', found '='");
	CHECK_PARSE_ERROR("a = null", "where: column 5: null is not a value to compare with: use 'is null' or 'is not null'");
	CHECK_PARSE_ERROR("a = date 5", "where: column 10: expected a quoted value after 'date', found '5'");
	CHECK_PARSE_ERROR("a = date '2024-13-01'",
	                  "where: column 5: date literal: '2024-13-01' is not a valid date value");
	CHECK_PARSE_ERROR("a = 12abc", "where: column 5: malformed number '12a'");
	CHECK_PARSE_ERROR("a = 1 # 2", "where: column 7: unexpected character '#'");
	CHECK_PARSE_ERROR("é = 1 # 2", "where: column 7: unexpected character '#'");
	CHECK_PARSE_ERROR("a = X'0g'", "where: column 5: malformed hex literal X'0g'");
	CHECK_PARSE_ERROR("a", "where: column 2: expected an operator after column 'a', found the end of the expression");
	CHECK_PARSE_ERROR("= 1", "where: column 1: expected a column name, found '='");
	/* nesting is bounded */
	char deep[1200];
	memset(deep, '(', 1000);
	strcpy(deep + 1000, "a = 1");
	CHECK_RC(ice_expr_parse(&(ice_expr *){NULL}, deep), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("nested more than");
}

TEST(test_expr_parse__constructors)
{
	ice_expr *a, *b, *e, *c;
	ice_literal lits[2] = {ice_literal_long(1), ice_literal_string("x", 1)};
	CHECK_OK(ice_expr_predicate(&a, "a", ICE_OP_EQ, &lits[0], 1));
	CHECK_OK(ice_expr_predicate(&b, "b", ICE_OP_IN, lits, 2));
	CHECK_OK(ice_expr_or(&e, a, b));
	CHECK_OK(ice_expr_not(&e, e));
	CHECK_OK(ice_expr_copy(&c, e));
	char *s = ice_expr_to_string(c);
	CHECK_STR(s, "not (a = 1 or b in (1, 'x'))");
	ice_free(s);
	ice_expr_free(c);
	ice_expr_free(e);
	/* wrong literal counts and nulls are refused */
	CHECK_RC(ice_expr_predicate(&a, "a", ICE_OP_EQ, lits, 2), ICE_EINVALID);
	CHECK_RC(ice_expr_predicate(&a, "a", ICE_OP_IS_NULL, lits, 1), ICE_EINVALID);
	ice_literal null = ice_literal_null(ICE_TYPE_LONG);
	CHECK_RC(ice_expr_predicate(&a, "a", ICE_OP_LT, &null, 1), ICE_EINVALID);
	CHECK_RC(ice_expr_predicate(&a, "", ICE_OP_IS_NULL, NULL, 0), ICE_EINVALID);
	/* consumed on failure */
	CHECK_OK(ice_expr_true(&a));
	CHECK_RC(ice_expr_and(&e, a, NULL), ICE_EINVALID);
}

/* ---- binding -------------------------------------------------------------------------- */

static const char *SCHEMA =
	"{\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
	"{\"id\": 1, \"name\": \"id\", \"required\": true, \"type\": \"long\"},"
	"{\"id\": 2, \"name\": \"i\", \"required\": false, \"type\": \"int\"},"
	"{\"id\": 3, \"name\": \"s\", \"required\": false, \"type\": \"string\"},"
	"{\"id\": 4, \"name\": \"d\", \"required\": false, \"type\": \"date\"},"
	"{\"id\": 5, \"name\": \"ts\", \"required\": false, \"type\": \"timestamp\"},"
	"{\"id\": 6, \"name\": \"tz\", \"required\": false, \"type\": \"timestamptz\"},"
	"{\"id\": 7, \"name\": \"dec\", \"required\": false, \"type\": \"decimal(9, 2)\"},"
	"{\"id\": 8, \"name\": \"f\", \"required\": false, \"type\": \"float\"},"
	"{\"id\": 9, \"name\": \"g\", \"required\": false, \"type\": \"double\"},"
	"{\"id\": 10, \"name\": \"u\", \"required\": false, \"type\": \"uuid\"},"
	"{\"id\": 11, \"name\": \"b\", \"required\": false, \"type\": \"binary\"},"
	"{\"id\": 12, \"name\": \"fx\", \"required\": false, \"type\": \"fixed[2]\"},"
	"{\"id\": 13, \"name\": \"t\", \"required\": false, \"type\": \"time\"},"
	"{\"id\": 14, \"name\": \"ns\", \"required\": false, \"type\": \"timestamp_ns\"},"
	"{\"id\": 15, \"name\": \"ok\", \"required\": false, \"type\": \"boolean\"},"
	"{\"id\": 16, \"name\": \"st\", \"required\": true, \"type\": {\"type\": \"struct\", \"fields\": ["
	"  {\"id\": 17, \"name\": \"a\", \"required\": true, \"type\": \"int\"},"
	"  {\"id\": 18, \"name\": \"Mixed\", \"required\": false, \"type\": \"string\"}]}},"
	"{\"id\": 19, \"name\": \"l\", \"required\": false, \"type\": {\"type\": \"list\", \"element-id\": 20,"
	"  \"element\": {\"type\": \"struct\", \"fields\": [{\"id\": 21, \"name\": \"x\", \"required\": false, \"type\": \"int\"}]},"
	"  \"element-required\": false}},"
	"{\"id\": 22, \"name\": \"opt\", \"required\": false, \"type\": {\"type\": \"struct\", \"fields\": ["
	"  {\"id\": 23, \"name\": \"r\", \"required\": true, \"type\": \"int\"}]}}"
	"]}";

static ice_schema *test_schema(void)
{
	ice_schema *s = NULL;
	if (ice_schema_from_json(&s, SCHEMA, strlen(SCHEMA), "test") != 0)
		return NULL;
	return s;
}

/* bind `text` and print the bound expression (NULL and the error on failure) */
static char *bound_text(const ice_schema *schema, const char *text, bool cs, int *rc_out)
{
	ice_expr *e = NULL, *b = NULL;
	char *s = NULL;
	int rc = ice_expr_parse(&e, text);
	if (rc == 0)
		rc = ice_expr_bind(&b, e, ice_schema_struct(schema), cs);
	if (rc == 0)
		s = ice_expr_to_string(b);
	ice_expr_free(e);
	ice_expr_free(b);
	if (rc_out)
		*rc_out = rc;
	return s;
}

#define CHECK_BINDS(schema, text, expected)                                                         \
	do {                                                                                        \
		int rc_;                                                                            \
		char *got_ = bound_text(schema, text, true, &rc_);                                  \
		if (!got_) {                                                                        \
			ice_test_fail(__FILE__, __LINE__, "%s: %s", text, LAST_ERROR());            \
			ice_schema_free(schema);                                                    \
			return;                                                                     \
		}                                                                                   \
		bool same_ = strcmp(got_, expected) == 0;                                           \
		if (!same_)                                                                         \
			ice_test_fail(__FILE__, __LINE__, "%s bound to \"%s\", expected \"%s\"", text, got_, \
			              expected);                                                    \
		ice_free(got_);                                                                     \
		if (!same_) {                                                                       \
			ice_schema_free(schema);                                                    \
			return;                                                                     \
		}                                                                                   \
	} while (0)

#define CHECK_BIND_ERROR(schema, text, expected_msg)                                                    \
	do {                                                                                        \
		int rc_;                                                                            \
		char *got_ = bound_text(schema, text, true, &rc_);                                  \
		ice_free(got_);                                                                     \
		if (rc_ != ICE_EINVALID || strcmp(LAST_ERROR(), expected_msg) != 0) {                    \
			ice_test_fail(__FILE__, __LINE__, "%s: rc %d \"%s\", expected \"%s\"", text, rc_, \
			              LAST_ERROR(), expected_msg);                                       \
			ice_schema_free(schema);                                                    \
			return;                                                                     \
		}                                                                                   \
	} while (0)

TEST(test_expr_bind__converts_literals_to_the_column_type)
{
	ice_schema *s = test_schema();
	CHECK(s != NULL);
	CHECK_BINDS(s, "i = 5", "i = int '5'");
	CHECK_BINDS(s, "id = '5'", "id = 5");
	CHECK_BINDS(s, "d >= '2024-01-31'", "d >= date '2024-01-31'");
	CHECK_BINDS(s, "ts >= '2024-01-31'", "ts >= timestamp '2024-01-31T00:00:00.000000'");
	CHECK_BINDS(s, "ts < '2024-01-31 10:00:00'", "ts < timestamp '2024-01-31T10:00:00.000000'");
	CHECK_BINDS(s, "tz >= '2024-01-31'", "tz >= timestamptz '2024-01-31T00:00:00.000000+00:00'");
	CHECK_BINDS(s, "tz = '2024-01-31T01:00:00+01:00'", "tz = timestamptz '2024-01-31T00:00:00.000000+00:00'");
	CHECK_BINDS(s, "ts >= date '2024-01-31'", "ts >= timestamp '2024-01-31T00:00:00.000000'");
	CHECK_BINDS(s, "ns >= '2024-01-31T00:00:00.000000001'", "ns >= timestamp_ns '2024-01-31T00:00:00.000000001'");
	CHECK_BINDS(s, "dec = 1.5", "dec = 1.50");
	CHECK_BINDS(s, "dec = '1.5'", "dec = 1.50");
	CHECK_BINDS(s, "g < 1", "g < double '1.0'");
	CHECK_BINDS(s, "f = 0.1", "f = float '0.1'");
	CHECK_BINDS(s, "u = 'f79c3e09-677c-4bbd-a479-3f349cb785e7'", "u = uuid 'f79c3e09-677c-4bbd-a479-3f349cb785e7'");
	CHECK_BINDS(s, "b = X'00ff'", "b = X'00ff'");
	CHECK_BINDS(s, "b = '00ff'", "b = X'00ff'");
	CHECK_BINDS(s, "fx = X'00ff'", "fx = fixed X'00ff'");
	CHECK_BINDS(s, "t < '10:00:00'", "t < time '10:00:00.000000'");
	CHECK_BINDS(s, "ok = true", "ok = true");
	CHECK_BINDS(s, "ok = 'true'", "ok = true");
	CHECK_BINDS(s, "s starts with 'ab'", "s starts with 'ab'");
	CHECK_BINDS(s, "st.a = 1", "st.a = int '1'");
	CHECK_BINDS(s, "i in (3, 1, 2, 1)", "i in (int '1', int '2', int '3')");
	CHECK_BINDS(s, "i in (3)", "i = int '3'");
	ice_schema_free(s);
}

TEST(test_expr_bind__inexact_and_out_of_range_literals)
{
	ice_schema *s = test_schema();
	CHECK(s != NULL);
	/* the neighbours in the column's type */
	CHECK_BINDS(s, "i < 5.5", "i < int '6'");
	CHECK_BINDS(s, "i <= 5.5", "i <= int '5'");
	CHECK_BINDS(s, "i > 5.5", "i > int '5'");
	CHECK_BINDS(s, "i >= 5.5", "i >= int '6'");
	CHECK_BINDS(s, "i > -5.5", "i > int '-6'");
	CHECK_BINDS(s, "i = 5.5", "false");
	CHECK_BINDS(s, "i != 5.5", "true");
	CHECK_BINDS(s, "i in (5.5, 6)", "i = int '6'");
	CHECK_BINDS(s, "i in (5.5, 6.5)", "false");
	CHECK_BINDS(s, "i not in (5.5, 6.5)", "true");
	CHECK_BINDS(s, "dec < 1.234", "dec < 1.24");
	CHECK_BINDS(s, "dec >= 1.234", "dec >= 1.24");
	CHECK_BINDS(s, "dec <= -1.234", "dec <= -1.24");
	CHECK_BINDS(s, "d < '2024-01-31T10:00:00'", "d < date '2024-02-01'");
	CHECK_BINDS(s, "d <= '2024-01-31T10:00:00'", "d <= date '2024-01-31'");
	CHECK_BINDS(s, "ts < timestamp_ns '2024-01-31T00:00:00.000000500'", "ts < timestamp '2024-01-31T00:00:00.000001'");
	/* beyond the range: every non-null value, or none */
	CHECK_BINDS(s, "i < 3000000000", "i is not null");
	CHECK_BINDS(s, "i > 3000000000", "false");
	CHECK_BINDS(s, "i >= -3000000000", "i is not null");
	CHECK_BINDS(s, "i = 3000000000", "false");
	CHECK_BINDS(s, "i != 3000000000", "true");
	CHECK_BINDS(s, "id < 1e30", "true"); /* id is required */
	CHECK_BINDS(s, "dec < 10000000", "dec is not null");
	CHECK_BINDS(s, "dec > 10000000", "false");
	ice_schema_free(s);
}

TEST(test_expr_bind__folding_and_not)
{
	ice_schema *s = test_schema();
	CHECK(s != NULL);
	CHECK_BINDS(s, "id is null", "false");
	CHECK_BINDS(s, "id is not null or s = 'x'", "true");
	CHECK_BINDS(s, "st.a is null", "false");
	CHECK_BINDS(s, "opt.r is null", "opt.r is null"); /* required, but inside an optional struct */
	CHECK_BINDS(s, "i = 1 and false", "false");
	CHECK_BINDS(s, "i = 1 or false", "i = int '1'");
	CHECK_BINDS(s, "not true", "false");
	/* not is pushed down, exactly: x < c is false for nulls, so its negation is true for them */
	CHECK_BINDS(s, "not i < 5", "i >= int '5' or i is null");
	CHECK_BINDS(s, "not id < 5", "id >= 5");
	CHECK_BINDS(s, "not g < 5", "g >= double '5.0' or g is nan or g is null");
	CHECK_BINDS(s, "not (i = 1 and s = 'a')", "i != int '1' or s != 'a'");
	CHECK_BINDS(s, "not (i in (1, 2) or s starts with 'a')", "i not in (int '1', int '2') and s not starts with 'a'");
	CHECK_BINDS(s, "not not i = 1", "i = int '1'");
	CHECK_BINDS(s, "not g is nan", "g is not nan");
	CHECK_BINDS(s, "not s is null", "s is not null");
	ice_schema_free(s);
}

TEST(test_expr_bind__errors)
{
	ice_schema *s = test_schema();
	CHECK(s != NULL);
	CHECK_BIND_ERROR(s, "nope = 1", "where: unknown column 'nope'");
	CHECK_BIND_ERROR(s, "st.nope = 1", "where: unknown column 'st.nope'");
	CHECK_BIND_ERROR(s, "ID = 1", "where: unknown column 'ID'");
	CHECK_BIND_ERROR(s, "d = 'abc'", "where: column 'd' (date): cannot compare with 'abc': not an ISO-8601 date or timestamp");
	CHECK_BIND_ERROR(s, "i = 'abc'", "where: column 'i' (int): cannot compare with 'abc': 'abc' is not a valid int value");
	CHECK_BIND_ERROR(s, "s = 5", "where: column 's' (string): cannot compare with 5 (long)");
	CHECK_BIND_ERROR(s, "i = true", "where: column 'i' (int): cannot compare with true (boolean)");
	CHECK_BIND_ERROR(s, "ts = '2024-01-01T00:00:00+01:00'",
	                 "where: column 'ts' (timestamp): cannot compare with '2024-01-01T00:00:00+01:00': a timestamp without time zone takes no offset");
	CHECK_BIND_ERROR(s, "fx = X'00'", "where: column 'fx' (fixed[2]): cannot compare with 00: a fixed[2] value has 2 bytes");
	CHECK_BIND_ERROR(s, "g = double 'NaN'",
	                 "where: column 'g': NaN is not a value to compare with: use 'is nan' or 'is not nan'");
	CHECK_BIND_ERROR(s, "i is nan", "where: column 'i' (int) cannot be used with 'is nan'");
	CHECK_BIND_ERROR(s, "i starts with '1'", "where: column 'i' (int) cannot be used with 'starts with'");
	CHECK_BIND_ERROR(s, "st = 1", "where: column 'st' (struct<a: int not null, Mixed: string>) cannot be used with '='");
	CHECK_BIND_ERROR(s, "l.x = 1", "where: column 'l.x' is inside a list or map, which filters cannot reach");
	CHECK_BIND_ERROR(s, "l.element.x = 1", "where: column 'l.element.x' is inside a list or map, which filters cannot reach");
	/* case-insensitive binding */
	int rc;
	char *t = bound_text(s, "ID = 1 and ST.mixed = 'x'", false, &rc);
	CHECK_MSG(t != NULL, "%s", LAST_ERROR());
	CHECK_STR(t, "id = 1 and st.Mixed = 'x'");
	ice_free(t);
	ice_schema_free(s);
}

TEST(test_expr_bind__field_ids_and_rebinding)
{
	ice_schema *s = test_schema();
	ice_expr *e, *b, *again;
	int32_t *ids;
	size_t n;
	CHECK(s != NULL);
	CHECK_OK(ice_expr_parse(&e, "s = 'a' or (i > 1 and st.a = 2) or s is null"));
	CHECK_OK(ice_expr_bind(&b, e, ice_schema_struct(s), true));
	CHECK(ice_expr_is_bound(b));
	CHECK_OK(ice_expr_field_ids(b, &ids, &n));
	CHECK_INT(n, 3);
	CHECK_INT(ids[0], 2);
	CHECK_INT(ids[1], 3);
	CHECK_INT(ids[2], 17);
	ice_free(ids);
	CHECK_RC(ice_expr_field_ids(e, &ids, &n), ICE_EINVALID);
	/* binding a bound expression checks the ids */
	CHECK_OK(ice_expr_bind(&again, b, ice_schema_struct(s), true));
	ice_expr_free(again);
	ice_type only_i = {.id = ICE_TYPE_STRUCT};
	only_i.u.struct_.nfields = 1;
	only_i.u.struct_.fields = ice_schema_find_field(s, 2);
	CHECK_RC(ice_expr_bind(&again, b, &only_i, true), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("is not in the schema");
	ice_expr_free(b);
	ice_expr_free(e);
	ice_schema_free(s);
}

/* every allocation failing in turn: parse, bind, project, print */
TEST(test_expr_faults__every_allocation_failure)
{
	ice_schema *s = test_schema();
	ice_partition_spec *spec = NULL;
	static const char *SPEC = "{\"spec-id\": 1, \"fields\": ["
	                          "{\"source-id\": 5, \"field-id\": 1000, \"name\": \"ts_day\", \"transform\": \"day\"},"
	                          "{\"source-id\": 3, \"field-id\": 1001, \"name\": \"s_trunc\", \"transform\": \"truncate[2]\"},"
	                          "{\"source-id\": 2, \"field-id\": 1002, \"name\": \"i_bucket\", \"transform\": \"bucket[8]\"}]}";
	const char *text = "(ts >= '1969-12-31' and s starts with 'abc') or not (i in (1, 2, 3) and dec < 1.5) "
	                   "or u = 'f79c3e09-677c-4bbd-a479-3f349cb785e7'";
	CHECK(s != NULL);
	CHECK_OK(ice_partition_spec_from_json(&spec, SPEC, strlen(SPEC), "spec"));
	for (uint64_t n = 1;; n++) {
		int64_t before = ice_alloc_outstanding();
		ice_expr *e = NULL, *b = NULL, *p = NULL, *q = NULL;
		char *str = NULL;
		ice_alloc_fail_at(n, false);
		int rc = ice_expr_parse(&e, text);
		if (rc == 0)
			rc = ice_expr_bind(&b, e, ice_schema_struct(s), true);
		if (rc == 0)
			rc = ice_expr_project(&p, b, spec, s, false);
		if (rc == 0)
			rc = ice_expr_project(&q, b, spec, s, true);
		if (rc == 0 && !(str = ice_expr_to_string(b)))
			rc = ICE_ERROR;
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		ice_free(str);
		ice_expr_free(e);
		ice_expr_free(b);
		ice_expr_free(p);
		ice_expr_free(q);
		CHECK_MSG(ice_alloc_outstanding() == before, "leak after failing allocation %llu", (unsigned long long)n);
		if (!injected) {
			CHECK_MSG(rc == 0, "%s", LAST_ERROR());
			CHECK(n > 20);
			break;
		}
		CHECK_MSG(rc != 0, "allocation %llu failed but the work succeeded", (unsigned long long)n);
		CHECK_OOM();
		CHECK(n < 100000);
	}
	ice_partition_spec_free(spec);
	ice_schema_free(s);
}
