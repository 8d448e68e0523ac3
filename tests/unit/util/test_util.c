/*
 * Unit tests of the util layer: buffers, arenas, hash maps, murmur3, UUIDs,
 * date/time arithmetic and text, 128-bit helpers, UTF-8, URIs, codecs, JSON.
 */
#include <math.h>
#include <stdlib.h>

#include "test.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/compress.h"
#include "util/datetime.h"
#include "util/error.h"
#include "util/hashmap.h"
#include "util/int128.h"
#include "util/json.h"
#include "util/murmur3.h"
#include "util/strutil.h"
#include "util/uri.h"
#include "util/uuid.h"

TEST(test_util_buf__appends_and_caps)
{
	ice_buf b;
	ice_buf__init(&b, 16);
	CHECK_OK(ice_buf__puts(&b, "hello"));
	CHECK_OK(ice_buf__printf(&b, " %d", 42));
	CHECK_STR(ice_buf__cstr(&b), "hello 42");
	CHECK_RC(ice_buf__puts(&b, "this is far too long"), ICE_EINVALID);
	/* sticky */
	CHECK_RC(ice_buf__putc(&b, 'x'), ICE_EINVALID);
	ice_buf__free(&b);
}

TEST(test_util_arena__many_small_items)
{
	ice_arena a;
	ice_arena__init(&a, 64);
	for (int i = 0; i < 1000; i++) {
		char *s = ice_arena__strdup(&a, "abcdefghij");
		CHECK(s && strcmp(s, "abcdefghij") == 0);
	}
	void *big = ice_arena__alloc(&a, 100000);
	CHECK(big != NULL);
	ice_arena__free(&a);
}

TEST(test_util_arena__reset_keeps_chunks_for_the_next_items)
{
	ice_arena a;
	ice_arena__init(&a, 64);
	for (int round = 0; round < 3; round++) {
		char *first = NULL;
		for (int i = 0; i < 500; i++) {
			char *s = ice_arena__strdup(&a, round == 1 ? "round one" : "abcdefghij");
			CHECK(s != NULL);
			if (!first)
				first = s;
		}
		void *big = ice_arena__alloc(&a, 100000);
		CHECK(big != NULL && ((unsigned char *)big)[99999] == 0); /* zeroed, though a kept chunk was written */
		memset(big, 0xff, 100000);
		CHECK(strcmp(first, round == 1 ? "round one" : "abcdefghij") == 0);
		CHECK(a.used_total >= 500 * 10 + 100000);
		ice_arena__reset(&a);
		CHECK(a.head == NULL && a.used_total == 0);
	}
	ice_arena__free(&a);
	CHECK(a.head == NULL && a.spare == NULL);
}

TEST(test_util_hashmap__int_and_string_keys)
{
	ice_map m;
	void *v;
	ice_map__init(&m, false);
	for (int64_t i = -500; i < 500; i++)
		CHECK_OK(ice_map__put_int(&m, i * 7919, (void *)(intptr_t)(i + 1000)));
	CHECK_INT(m.count, 1000);
	for (int64_t i = -500; i < 500; i++) {
		CHECK(ice_map__get_int(&m, i * 7919, &v));
		CHECK_INT((intptr_t)v, i + 1000);
	}
	for (int64_t i = -500; i < 500; i += 2)
		CHECK(ice_map__remove_int(&m, i * 7919));
	CHECK_INT(m.count, 500);
	for (int64_t i = -500; i < 500; i++)
		CHECK(ice_map__get_int(&m, i * 7919, NULL) == (i % 2 != 0));
	ice_map__free(&m);

	static const char *words[] = {"alpha", "beta", "gamma", "delta", "epsilon"};
	ice_map__init(&m, true);
	for (int i = 0; i < 5; i++)
		CHECK_OK(ice_map__put_str(&m, words[i], strlen(words[i]), (void *)(intptr_t)i));
	CHECK(ice_map__get_str(&m, "gamma", 5, &v) && (intptr_t)v == 2);
	CHECK(!ice_map__get_str(&m, "gam", 3, NULL));
	ice_map__free(&m);
}

TEST(test_util_murmur3__spec_values)
{
	/* Appendix B: hashLong(34) and hashBytes("iceberg") */
	uint8_t l[8] = {34, 0, 0, 0, 0, 0, 0, 0};
	CHECK_INT((int32_t)ice_murmur3__x86_32(l, 8, 0), 2017239379);
	CHECK_INT((int32_t)ice_murmur3__x86_32("iceberg", 7, 0), 1210000089);
}

TEST(test_util_uuid__round_trip)
{
	uint8_t u[16];
	char s[37];
	CHECK(ice_uuid__parse("F79C3E09-677C-4BBD-A479-3F349CB785E7", 36, u));
	ice_uuid__format(u, s);
	CHECK_STR(s, "f79c3e09-677c-4bbd-a479-3f349cb785e7");
	CHECK(!ice_uuid__parse("f79c3e09-677c-4bbd-a479-3f349cb785e", 35, u));
	CHECK(!ice_uuid__parse("f79c3e09x677c-4bbd-a479-3f349cb785e7", 36, u));
	ice_uuid__random(u);
	CHECK((u[6] >> 4) == 4);
}

TEST(test_util_datetime__civil_round_trip_including_pre_1970)
{
	for (int64_t d = -800000; d <= 800000; d += 97) {
		int64_t y;
		int m, dd;
		ice_dt__civil_from_days(d, &y, &m, &dd);
		CHECK(ice_dt__valid_date(y, m, dd));
		CHECK_INT(ice_dt__days_from_civil(y, m, dd), d);
	}
	CHECK_INT(ice_dt__days_from_civil(1970, 1, 1), 0);
	CHECK_INT(ice_dt__days_from_civil(2017, 11, 16), 17486);
	CHECK_INT(ice_dt__days_from_civil(1969, 12, 31), -1);
	CHECK_INT(ice_dt__year_from_days(-1), -1);
	CHECK_INT(ice_dt__month_from_days(-1), -1);
	CHECK_INT(ice_dt__month_from_days(ice_dt__days_from_civil(2024, 3, 3)), 650);
}

TEST(test_util_datetime__parse_and_format)
{
	int32_t days;
	int64_t v;
	bool zone;
	char out[64];
	CHECK(ice_dt__parse_date("2017-11-16", 10, &days));
	CHECK_INT(days, 17486);
	CHECK(!ice_dt__parse_date("2017-02-29", 10, &days));
	CHECK(ice_dt__parse_time("22:31:08", 8, false, &v));
	CHECK_INT(v, 81068000000LL);
	CHECK(ice_dt__parse_timestamp("2017-11-16T14:31:08-08:00", 25, false, &v, &zone));
	CHECK(zone);
	CHECK_INT(v, 1510871468000000LL);
	CHECK(ice_dt__parse_timestamp("2017-11-16T22:31:08.000001001", 29, true, &v, &zone));
	CHECK_INT(v, 1510871468000001001LL);
	/* nanosecond digits cannot be read as micros without loss */
	CHECK(!ice_dt__parse_timestamp("2017-11-16T22:31:08.000001001", 29, false, &v, &zone));
	/* a zone where none is allowed */
	CHECK(!ice_dt__parse_timestamp("2017-11-16T22:31:08Z", 20, false, &v, NULL));
	ice_dt__format_timestamp(-1, false, true, out);
	CHECK_STR(out, "1969-12-31T23:59:59.999999+00:00");
	ice_dt__format_date(-719528, out); /* 0000-01-01 */
	CHECK_STR(out, "0000-01-01");
	ice_dt__format_time(81068123456LL, false, out);
	CHECK_STR(out, "22:31:08.123456");
}

TEST(test_util_int128__minimal_big_endian)
{
	uint8_t b[16];
	ice_i128 v;
	CHECK_INT(ice_i128__to_min_be(1420, b), 2);
	CHECK(b[0] == 0x05 && b[1] == 0x8c);
	CHECK_INT(ice_i128__to_min_be(-500, b), 2);
	CHECK(b[0] == 0xfe && b[1] == 0x0c);
	CHECK_INT(ice_i128__to_min_be(0, b), 1);
	CHECK_INT(ice_i128__to_min_be(128, b), 2);
	CHECK(ice_i128__from_be((const uint8_t *)"\xfe\x0c", 2, &v) && v == -500);
	char s[48];
	ice_i128__to_string(ice_i128__pow10(38) - 1, s);
	CHECK_STR(s, "99999999999999999999999999999999999999");
}

TEST(test_util_utf8__validate_and_truncate)
{
	const uint8_t *ete = (const uint8_t *)"\xc3\xa9t\xc3\xa9s";
	CHECK(ice_utf8__valid(ete, 6));
	CHECK_INT(ice_utf8__prefix_len(ete, 6, 3), 5);
	CHECK(!ice_utf8__valid((const uint8_t *)"\xc0\xaf", 2));       /* overlong */
	CHECK(!ice_utf8__valid((const uint8_t *)"\xed\xa0\x80", 3));   /* surrogate */
	CHECK_INT(ice_utf8__count((const uint8_t *)"\xf0\x9f\x98\x80x", 5), 2);
}

TEST(test_util_uri__schemes_and_local_paths)
{
	char *p;
	CHECK_INT(ice_uri__scheme_len("s3://bucket/key"), 2);
	CHECK_INT(ice_uri__scheme_len("/abs/path"), 0);
	CHECK_INT(ice_uri__scheme_len("rel/path:x"), 0);
	p = ice_uri__local_path("file:///tmp/x");
	CHECK_STR(p, "/tmp/x");
	ice__free(p);
	p = ice_uri__local_path("file:/tmp/y");
	CHECK_STR(p, "/tmp/y");
	ice__free(p);
	CHECK(ice_uri__local_path("s3://b/k") == NULL);
	CHECK_INT(ice_error_last()->code, ICE_EUNSUPPORTED);
	p = ice_uri__join("s3://bucket/db/table", "data/0.parquet");
	CHECK_STR(p, "s3://bucket/db/table/data/0.parquet");
	ice__free(p);
}

TEST(test_util_compress__round_trip_every_codec)
{
	static const ice_codec codecs[] = {ICE_CODEC_NONE, ICE_CODEC_SNAPPY, ICE_CODEC_GZIP, ICE_CODEC_ZLIB,
	                                   ICE_CODEC_DEFLATE, ICE_CODEC_ZSTD, ICE_CODEC_LZ4_RAW, ICE_CODEC_BROTLI};
	char input[5000];
	for (size_t i = 0; i < sizeof(input); i++)
		input[i] = (char)("iceberg tables "[i % 15] + (i / 700));
	for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
		ice_buf z = ICE_BUF_INIT, back = ICE_BUF_INIT;
		CHECK_OK(ice_codec__compress(codecs[c], 0, (const uint8_t *)input, sizeof(input), &z));
		CHECK_OK(ice_codec__decompress(codecs[c], (const uint8_t *)z.ptr, z.len, sizeof(input), &back));
		CHECK_INT(back.len, sizeof(input));
		CHECK(memcmp(back.ptr, input, sizeof(input)) == 0);
		/* unknown size works too */
		ice_buf__clear(&back);
		CHECK_OK(ice_codec__decompress(codecs[c], (const uint8_t *)z.ptr, z.len, 0, &back));
		CHECK_INT(back.len, sizeof(input));
		/* truncated input is an error, not a crash */
		if (codecs[c] != ICE_CODEC_NONE) {
			ice_buf__clear(&back);
			CHECK(ice_codec__decompress(codecs[c], (const uint8_t *)z.ptr, z.len / 2, sizeof(input),
			                            &back) != 0);
		}
		ice_buf__free(&z);
		ice_buf__free(&back);
	}
}

TEST(test_util_compress__sniff)
{
	CHECK(ice_codec__sniff((const uint8_t *)"\x1f\x8b\x08", 3) == ICE_CODEC_GZIP);
	CHECK(ice_codec__sniff((const uint8_t *)"\x28\xb5\x2f\xfd", 4) == ICE_CODEC_ZSTD);
	CHECK(ice_codec__sniff((const uint8_t *)"{", 1) == ICE_CODEC_NONE);
}

TEST(test_util_json__errors_name_file_and_position)
{
	ice_json *j;
	CHECK_RC(ice_json__parse(&j, "{\"a\": [1, 2,]}", 14, "x.json"), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("x.json: line 1, column");
	CHECK_RC(ice_json__parse(&j, "", 0, "empty.json"), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("empty.json: empty file");
}

TEST(test_util_json__path_reader)
{
	ice_json *j;
	ice_jr r;
	ice_json *arr;
	int64_t v;
	const char *doc = "{\"schemas\": [{\"fields\": [{\"id\": \"x\"}]}]}";
	CHECK_OK(ice_json__parse(&j, doc, strlen(doc), "m.json"));
	ice_jr__init(&r, "m.json", ICE_ERRCLASS_METADATA);
	CHECK_OK(ice_jr__req_array(&r, j, "schemas", &arr));
	ice_jr__push_key(&r, "schemas");
	ice_jr__push_index(&r, 0);
	ice_json *fields = ice_json__get(ice_json__at(arr, 0), "fields");
	ice_jr__push_key(&r, "fields");
	ice_jr__push_index(&r, 0);
	CHECK_RC(ice_jr__req_int64(&r, ice_json__at(fields, 0), "id", &v), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("m.json: $.schemas[0].fields[0].id: expected an integer, found a string");
	ice_json__free(j);
}

TEST(test_util_json__writer_formats)
{
	ice_json_writer *w;
	const char *out;
	CHECK_OK(ice_json_writer_new(&w, ICE_JSON_COMPACT));
	ice_json_begin_object(w);
	ice_json_key(w, "s");
	ice_json_string(w, "a\"b\\c\n\x01");
	ice_json_key(w, "d");
	ice_json_double(w, 6.21);
	ice_json_key(w, "f");
	ice_json_float(w, 3.5f);
	ice_json_key(w, "one");
	ice_json_double(w, 1.0);
	ice_json_key(w, "l");
	ice_json_begin_array(w);
	ice_json_int(w, -9007199254740993LL);
	ice_json_null(w);
	ice_json_end_array(w);
	ice_json_end_object(w);
	CHECK_OK(ice_json_writer_finish(w, &out, NULL));
	CHECK_STR(out, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"d\":6.21,\"f\":3.5,\"one\":1.0,\"l\":[-9007199254740993,null]}");
	ice_json_writer_free(w);

	CHECK_OK(ice_json_writer_new(&w, ICE_JSON_PRETTY));
	ice_json_begin_object(w);
	ice_json_key(w, "a");
	ice_json_begin_array(w);
	ice_json_end_array(w);
	ice_json_key(w, "b");
	ice_json_bool(w, true);
	ice_json_end_object(w);
	CHECK_OK(ice_json_writer_finish(w, &out, NULL));
	CHECK_STR(out, "{\n  \"a\": [],\n  \"b\": true\n}\n");
	ice_json_writer_free(w);
}

TEST(test_util_alloc__fault_injection_is_clean)
{
	/* Every allocation of a JSON parse fails in turn; no leak, no crash. */
	const char *doc = "{\"a\": [1, 2, {\"b\": \"c\"}], \"d\": \"eeeeeeeeeeeeeeeeeeee\"}";
	for (uint64_t n = 1;; n++) {
		ice_json *j = NULL;
		ice_alloc_fail_at(n, true);
		int rc = ice_json__parse(&j, doc, strlen(doc), "doc.json");
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		if (rc == 0) {
			ice_json__free(j);
			CHECK(!injected);
			break;
		}
		CHECK(injected);
		CHECK_OOM();
		CHECK(n < 1000);
	}
}

TEST(test_util_strutil__numbers)
{
	int64_t v;
	int32_t i;
	CHECK(ice_str__to_int64("-9223372036854775808", 20, &v) && v == INT64_MIN);
	CHECK(!ice_str__to_int64("9223372036854775808", 19, &v));
	CHECK(!ice_str__to_int64("12a", 3, &v));
	CHECK(!ice_str__to_int32("2147483648", 10, &i));
	CHECK(ice_str__to_int32("-2147483648", 11, &i) && i == INT32_MIN);
}
