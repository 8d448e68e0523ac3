/*
 * The spec's test vectors (../shared/fixtures/spec/, the JSON files): Appendix B hash
 * and bucket values, Appendix D binary and JSON single values and bounds seen
 * in tables, and the partition transform examples.
 */
#include <stdlib.h>

#include "ice.h"
#include "spec/model.h"
#include "test.h"
#include "util/arena.h"
#include "util/json.h"
#include "util/strutil.h"

typedef struct doc {
	char *text;
	ice_json *root;
} doc;

static bool load(doc *d, const char *name)
{
	size_t len;
	char rel[256];
	snprintf(rel, sizeof(rel), "spec/%s", name);
	d->text = ice_test_read_file(ice_test_fixture(rel), &len);
	if (!d->text)
		return false;
	return ice_json__parse(&d->root, d->text, len, name) == 0;
}

static void unload(doc *d)
{
	ice_json__free(d->root);
	free(d->text);
}

static const char *str(const ice_json *obj, const char *key)
{
	ice_json *j = ice_json__get(obj, key);
	return j ? ice_json__str(j, NULL) : NULL;
}

/* Vector inputs are written for people: "34L", "1.0F", "00 01 02 03",
 * "\"\" (empty)", "1.28 (unscaled 128)". Normalize to plain text. */
static void clean_input(const char *in, const char *type, char *out, size_t cap)
{
	size_t n = 0;
	const char *paren = strstr(in, " (");
	size_t len = paren ? (size_t)(paren - in) : strlen(in);
	if (len == 2 && in[0] == '"' && in[1] == '"')
		len = 0;
	for (size_t i = 0; i < len && n + 1 < cap; i++) {
		if ((strstr(type, "fixed") || strstr(type, "binary")) && in[i] == ' ')
			continue;
		out[n++] = in[i];
	}
	if (n && (out[n - 1] == 'L' || out[n - 1] == 'F' || out[n - 1] == 'D') &&
	    (!strcmp(type, "long") || !strcmp(type, "float") || !strcmp(type, "double")))
		n--;
	out[n] = '\0';
}

/* "decimal(P,S)" and "fixed(L)" in the vectors stand for concrete types. */
static const ice_type *vector_type(ice_arena *a, const char *name, const char *value)
{
	const ice_type *t = NULL;
	char buf[64];
	if (!strcmp(name, "decimal(P,S)") || !strcmp(name, "decimal(P, S)")) {
		/* the scale the text shows: digits after the point, minus an exponent */
		const char *dot = strchr(value, '.'), *e = strpbrk(value, "eE");
		int scale = dot ? (int)((e ? (size_t)(e - dot) : strlen(dot)) - 1) : 0;
		if (e)
			scale -= atoi(e + 1);
		snprintf(buf, sizeof(buf), "decimal(38, %d)", scale);
		name = buf;
	} else if (!strncmp(name, "decimal(P,", 10)) {
		snprintf(buf, sizeof(buf), "decimal(38, %d)", atoi(name + 10));
		name = buf;
	} else if (!strcmp(name, "fixed(L)")) {
		snprintf(buf, sizeof(buf), "fixed[%zu]", strlen(value) / 2);
		name = buf;
	} else if (!strncmp(name, "fixed(", 6)) {
		snprintf(buf, sizeof(buf), "fixed[%d]", atoi(name + 6));
		name = buf;
	}
	if (ice_type__parse_primitive(&t, a, name, strlen(name)) != 0)
		return NULL;
	return t;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	ice_hex__encode(b, n, out);
}

/* Hash and bucket checks for one vector object. */
static bool check_hash_vector(const ice_json *v, ice_arena *a)
{
	const char *type = str(v, "type"), *input = str(v, "input");
	char clean[256], bytes_hex[80];
	ice_literal lit;
	int32_t h;
	if (!input) {
		ice_test_fail(__FILE__, __LINE__, "vector without input");
		return false;
	}
	clean_input(input, type, clean, sizeof(clean));
	const ice_type *t = vector_type(a, type, clean);
	if (!t || ice_literal_from_string(&lit, t, clean, strlen(clean), a) != 0) {
		ice_test_fail(__FILE__, __LINE__, "cannot parse %s value '%s': %s", type, clean, LAST_ERROR());
		return false;
	}
	if (ice_literal_hash(&lit, &h) != 0 || h != (int32_t)ice_json__int(ice_json__get(v, "hash"))) {
		ice_test_fail(__FILE__, __LINE__, "%s '%s': hash %d, expected %lld", type, clean, (int)h,
		              (long long)ice_json__int(ice_json__get(v, "hash")));
		return false;
	}
	/* The bytes the hash covers, for types whose binary form is what is
	 * hashed (strings, decimals, uuids, fixed, binary). */
	if (lit.type == ICE_TYPE_STRING || lit.type == ICE_TYPE_DECIMAL || lit.type == ICE_TYPE_UUID ||
	    lit.type == ICE_TYPE_FIXED || lit.type == ICE_TYPE_BINARY) {
		uint8_t b[64];
		size_t n;
		ice_literal_to_bytes(&lit, b, sizeof(b), &n);
		hex(b, n, bytes_hex);
		if (strcmp(bytes_hex, str(v, "hashed_bytes_hex")) != 0) {
			ice_test_fail(__FILE__, __LINE__, "%s '%s': bytes %s, expected %s", type, clean, bytes_hex,
			              str(v, "hashed_bytes_hex"));
			return false;
		}
	}
	/* bucket[16] and bucket[1000] through the transform, for bucketable types */
	static const int widths[] = {16, 1000};
	for (int i = 0; i < 2; i++) {
		ice_transform tr = {ICE_TRANSFORM_BUCKET, widths[i], NULL};
		ice_literal out;
		char key[16];
		snprintf(key, sizeof(key), "bucket_%d", widths[i]);
		if (!ice_transform_can_apply(&tr, t))
			continue;
		if (ice_transform_apply(&tr, &lit, &out) != 0 || out.v.i32 != ice_json__int(ice_json__get(v, key))) {
			ice_test_fail(__FILE__, __LINE__, "%s '%s': %s = %d, expected %lld", type, clean, key, out.v.i32,
			              (long long)ice_json__int(ice_json__get(v, key)));
			return false;
		}
	}
	return true;
}

TEST(test_spec_vectors__bucket_hashes)
{
	doc d;
	ice_arena a;
	static const char *groups[] = {"spec_vectors", "not_bucketable_vectors", "derived_edge_cases"};
	size_t total = 0;
	CHECK(load(&d, "bucket-hash-vectors.json"));
	ice_arena__init(&a, 0);
	for (int g = 0; g < 3; g++) {
		ice_json *arr = ice_json__get(d.root, groups[g]);
		CHECK(arr && ice_json__size(arr) > 0);
		for (size_t i = 0; i < ice_json__size(arr); i++, total++)
			if (!check_hash_vector(ice_json__at(arr, i), &a))
				break;
	}
	/* Values seen in a bucket-partitioned table written by Trino. */
	ice_json *rows = ice_json__get(ice_json__get(d.root, "observed_in_tables"), "rows");
	CHECK(rows && ice_json__size(rows) >= 10);
	for (size_t i = 0; i < ice_json__size(rows) && !ice_test_failed(); i++, total++) {
		ice_json *row = ice_json__at(rows, i);
		ice_json *value = ice_json__get(row, "value");
		const ice_type *t = vector_type(&a, str(row, "type"), "");
		ice_literal lit, out;
		ice_transform tr;
		char text[128];
		if (ice_json__type(value) == ICE_JSON_INT)
			snprintf(text, sizeof(text), "%lld", (long long)ice_json__int(value));
		else
			snprintf(text, sizeof(text), "%s", ice_json__str(value, NULL));
		CHECK(t);
		CHECK_OK(ice_literal_from_string(&lit, t, text, strlen(text), &a));
		ice_transform_parse(&tr, str(row, "transform"));
		CHECK_OK(ice_transform_apply(&tr, &lit, &out));
		CHECK_INT(out.v.i32, ice_json__int(ice_json__get(row, "partition_value")));
	}
	CHECK(total >= 49);
	ice_arena__free(&a);
	unload(&d);
}

TEST(test_spec_vectors__binary_single_values)
{
	doc d;
	ice_arena a;
	CHECK(load(&d, "single-value-serialization.json"));
	ice_arena__init(&a, 0);
	ice_json *arr = ice_json__get(d.root, "binary_examples");
	CHECK(arr && ice_json__size(arr) >= 20);
	for (size_t i = 0; i < ice_json__size(arr); i++) {
		ice_json *v = ice_json__at(arr, i);
		const char *type = str(v, "type"), *value = str(v, "value"), *want = str(v, "hex");
		char clean[128], got[80];
		uint8_t b[64], raw[64];
		size_t n;
		ice_literal lit, back;
		clean_input(value, type, clean, sizeof(clean));
		const ice_type *t = vector_type(&a, type, clean);
		CHECK_MSG(t, "type %s", type);
		/* timestamptz vectors are written "+00:00"; timestamp ones without. */
		CHECK_OK(ice_literal_from_string(&lit, t, clean, strlen(clean), &a));
		CHECK_OK(ice_literal_to_bytes(&lit, b, sizeof(b), &n));
		hex(b, n, got);
		CHECK_MSG(strcmp(got, want) == 0, "%s %s: %s != %s", type, value, got, want);
		CHECK(ice_hex__decode(want, strlen(want), raw));
		CHECK_OK(ice_literal_from_bytes(&back, t, raw, strlen(want) / 2));
		CHECK_MSG(ice_literal_equal(&back, &lit), "%s %s does not decode back", type, value);
	}
	ice_arena__free(&a);
	unload(&d);
}

TEST(test_spec_vectors__bounds_seen_in_tables)
{
	doc d;
	ice_arena a;
	CHECK(load(&d, "single-value-serialization.json"));
	ice_arena__init(&a, 0);
	ice_json *arr = ice_json__get(d.root, "observed_bounds");
	CHECK(arr && ice_json__size(arr) >= 9);
	for (size_t i = 0; i < ice_json__size(arr); i++) {
		ice_json *v = ice_json__at(arr, i);
		const char *type = str(v, "type"), *value = str(v, "value"), *bound = str(v, "bound_hex");
		uint8_t raw[64];
		ice_literal lit, expect;
		char clean[128];
		const ice_type *t = vector_type(&a, type, "");
		CHECK(t && ice_hex__decode(bound, strlen(bound), raw));
		CHECK_OK(ice_literal_from_bytes(&lit, t, raw, strlen(bound) / 2));
		clean_input(value, type, clean, sizeof(clean));
		CHECK_OK(ice_literal_from_string(&expect, t, clean, strlen(clean), &a));
		/* -0.0 and 0.0 are distinct bit patterns, equal values */
		if (t->id == ICE_TYPE_DOUBLE)
			CHECK(lit.v.f64 == expect.v.f64);
		else
			CHECK_MSG(ice_literal_compare(&lit, &expect) == 0, "%s %s from %s", type, value, bound);
	}
	ice_arena__free(&a);
	unload(&d);
}

TEST(test_spec_vectors__json_single_values)
{
	doc d;
	ice_arena a;
	CHECK(load(&d, "single-value-serialization.json"));
	ice_arena__init(&a, 0);
	ice_json *arr = ice_json__get(d.root, "json_examples");
	size_t checked = 0;
	CHECK(arr);
	for (size_t i = 0; i < ice_json__size(arr); i++) {
		ice_json *v = ice_json__at(arr, i);
		const char *type = str(v, "type"), *json = str(v, "json");
		const ice_type *t;
		ice_literal lit;
		ice_schema *schema = NULL;
		char doc_text[512];
		/* Nested examples need a type: build one through a schema. */
		if (!strcmp(type, "struct") || !strcmp(type, "list") || !strcmp(type, "map")) {
			const char *tj = !strcmp(type, "struct")
			                     ? "{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"a\",\"required\":false,\"type\":\"int\"},"
			                       "{\"id\":2,\"name\":\"b\",\"required\":false,\"type\":\"string\"}]}"
			                 : !strcmp(type, "list")
			                     ? "{\"type\":\"list\",\"element-id\":2,\"element\":\"int\",\"element-required\":false}"
			                     : "{\"type\":\"map\",\"key-id\":2,\"key\":\"string\",\"value-id\":3,\"value\":\"int\","
			                       "\"value-required\":false}";
			snprintf(doc_text, sizeof(doc_text),
			         "{\"type\":\"struct\",\"fields\":[{\"id\":1000,\"name\":\"x\",\"required\":false,\"type\":%s}]}", tj);
			CHECK_OK(ice_schema_from_json(&schema, doc_text, strlen(doc_text), "vector"));
			t = ice_schema_field_at(schema, 0)->type;
		} else if (!strcmp(type, "geometry") || !strcmp(type, "geography")) {
			/* The spec shows WKT without JSON quotes; as a JSON string: */
			const ice_type *geo = vector_type(&a, type, "");
			snprintf(doc_text, sizeof(doc_text), "\"%s\"", json);
			CHECK_OK(ice_literal_from_json(&lit, geo, doc_text, strlen(doc_text), &a));
			char *wkt = ice_literal_to_string(&lit);
			CHECK_STR(wkt, json);
			ice_free(wkt);
			checked++;
			continue;
		} else {
			char clean[128];
			const char *q = strchr(json, '"');
			snprintf(clean, sizeof(clean), "%s", q ? q + 1 : json);
			if (q)
				clean[strlen(clean) - 1] = '\0';
			t = vector_type(&a, type, clean);
		}
		CHECK_MSG(t, "type %s", type);
		CHECK_OK(ice_literal_from_json(&lit, t, json, strlen(json), &a));
		/* Write back and compare modulo whitespace. */
		ice_json_writer *w;
		const char *out;
		CHECK_OK(ice_json_writer_new(&w, ICE_JSON_COMPACT));
		ice_literal_write_json(&lit, w);
		CHECK_OK(ice_json_writer_finish(w, &out, NULL));
		char want[256];
		size_t n = 0;
		for (const char *p = json; *p && n + 1 < sizeof(want); p++)
			if (*p != ' ' || (strchr(json, '"') && p > strchr(json, '"') && p < strrchr(json, '"') &&
			                  strcmp(type, "map") != 0 && strcmp(type, "struct") != 0))
				want[n++] = *p;
		want[n] = '\0';
		CHECK_MSG(strcmp(out, want) == 0, "%s: wrote %s, expected %s", type, out, want);
		ice_json_writer_free(w);
		ice_schema_free(schema);
		checked++;
	}
	CHECK_INT(checked, ice_json__size(arr));
	ice_arena__free(&a);
	unload(&d);
}

TEST(test_spec_vectors__transforms)
{
	doc d;
	ice_arena a;
	static const char *groups[] = {"truncate_spec_examples", "truncate_derived"};
	CHECK(load(&d, "partition-transform-vectors.json"));
	ice_arena__init(&a, 0);
	for (int g = 0; g < 2; g++) {
		ice_json *arr = ice_json__get(d.root, groups[g]);
		CHECK(arr && ice_json__size(arr) > 0);
		for (size_t i = 0; i < ice_json__size(arr); i++) {
			ice_json *v = ice_json__at(arr, i);
			const char *type = str(v, "type");
			ice_transform tr = {ICE_TRANSFORM_TRUNCATE, (int32_t)ice_json__int(ice_json__get(v, "width")), NULL};
			ice_json *in = ice_json__get(v, "input"), *want = ice_json__get(v, "output");
			char text[128], wtext[128];
			const char *hex_in = str(v, "input_hex");
			if (hex_in) {
				snprintf(text, sizeof(text), "%s", hex_in);
				snprintf(wtext, sizeof(wtext), "%s", str(v, "output_hex"));
			} else if (ice_json__type(in) == ICE_JSON_INT) {
				snprintf(text, sizeof(text), "%lld", (long long)ice_json__int(in));
				snprintf(wtext, sizeof(wtext), "%lld", (long long)ice_json__int(want));
			} else {
				snprintf(text, sizeof(text), "%s", ice_json__str(in, NULL));
				snprintf(wtext, sizeof(wtext), "%s", ice_json__str(want, NULL));
			}
			const ice_type *t = vector_type(&a, type, text);
			ice_literal lit, out, expect;
			CHECK(t);
			CHECK_OK(ice_literal_from_string(&lit, t, text, strlen(text), &a));
			CHECK_OK(ice_literal_from_string(&expect, t, wtext, strlen(wtext), &a));
			CHECK_OK(ice_transform_apply(&tr, &lit, &out));
			CHECK_MSG(ice_literal_equal(&out, &expect), "truncate[%d](%s %s)", (int)tr.param, type, text);
		}
	}
	ice_json *arr = ice_json__get(d.root, "temporal_derived");
	CHECK(arr && ice_json__size(arr) >= 10);
	for (size_t i = 0; i < ice_json__size(arr); i++) {
		ice_json *v = ice_json__at(arr, i);
		const char *type = str(v, "type"), *input = str(v, "input");
		const ice_type *t = vector_type(&a, type, "");
		static const char *names[] = {"year", "month", "day", "hour"};
		ice_literal lit;
		CHECK_OK(ice_literal_from_string(&lit, t, input, strlen(input), &a));
		for (int k = 0; k < 4; k++) {
			ice_json *want = ice_json__get(v, names[k]);
			ice_transform tr;
			ice_literal out;
			if (!want)
				continue;
			ice_transform_parse(&tr, names[k]);
			CHECK_OK(ice_transform_apply(&tr, &lit, &out));
			CHECK_MSG(out.v.i32 == ice_json__int(want), "%s(%s) = %d, expected %lld", names[k], input, out.v.i32,
			          (long long)ice_json__int(want));
			if (k == 2) {
				char *human = ice_transform_human_string(&tr, &out);
				CHECK_STR(human, str(v, "day_as_date"));
				ice_free(human);
			}
		}
	}
	arr = ice_json__get(d.root, "temporal_observed_in_tables");
	CHECK(arr && ice_json__size(arr) >= 13);
	for (size_t i = 0; i < ice_json__size(arr); i++) {
		ice_json *v = ice_json__at(arr, i);
		const char *type = str(v, "type"), *input = str(v, "input");
		const ice_type *t = vector_type(&a, type, "");
		ice_transform tr;
		ice_literal lit, out;
		char first[64];
		ice_transform_parse(&tr, str(v, "transform"));
		if (!input) {
			lit = ice_literal_null(t->id);
		} else {
			/* "a .. b" ranges: the first value stands for them */
			const char *dots = strstr(input, " ..");
			snprintf(first, sizeof(first), "%.*s", dots ? (int)(dots - input) : (int)strlen(input), input);
			CHECK_OK(ice_literal_from_string(&lit, t, first, strlen(first), &a));
		}
		CHECK_OK(ice_transform_apply(&tr, &lit, &out));
		ice_json *want = ice_json__get(v, "partition_value");
		if (ice_json__type(want) == ICE_JSON_NULL) {
			CHECK(out.is_null);
		} else if (ice_json__type(want) == ICE_JSON_STRING) {
			CHECK_INT(out.v.i32, ice_json__int(ice_json__get(v, "partition_value_days")));
		} else {
			CHECK_INT(out.v.i32, ice_json__int(want));
		}
	}
	ice_arena__free(&a);
	unload(&d);
}
