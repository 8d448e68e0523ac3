/*
 * Unit tests of lib/parquet: the Thrift compact protocol, the RLE/bit-packed
 * hybrid and DELTA encodings, footer parsing of hostile input, reading the
 * fixture corpus, writing and reading back every Iceberg type (nested
 * included), metrics, and allocation failures at every point.
 */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "ice.h"
#include "parquet/internal.h"
#include "test.h"

TEST(test_parquet_rle__round_trip)
{
	ice_buf b = ICE_BUF_INIT;
	uint32_t in[3000], out[3000];
	for (int bw = 1; bw <= 20; bw++) {
		ice_buf__clear(&b);
		pq_rle_enc e;
		ice_parquet__rle_enc_init(&e, &b, bw);
		uint32_t mask = (uint32_t)((1ull << bw) - 1);
		for (int i = 0; i < 3000; i++) {
			in[i] = (i / 37) % 3 == 0 ? 5u & mask : ((uint32_t)i * 2654435761u) & mask;
			ice_parquet__rle_enc_put(&e, in[i]);
		}
		ice_parquet__rle_enc_flush(&e);
		CHECK_OK(b.error);
		pq_rle d;
		const char *what = NULL;
		ice_parquet__rle_init(&d, (const uint8_t *)b.ptr, b.len, bw);
		/* decode in uneven pieces to cross run boundaries */
		size_t pos = 0, step = 1;
		while (pos < 3000) {
			size_t k = step < 3000 - pos ? step : 3000 - pos;
			CHECK(ice_parquet__rle_u32(&d, out + pos, k, &what) == 0);
			pos += k;
			step = step * 3 % 97 + 1;
		}
		for (int i = 0; i < 3000; i++)
			CHECK_MSG(in[i] == out[i], "bw %d value %d: %u != %u", bw, i, in[i], out[i]);
	}
	ice_buf__free(&b);
}

TEST(test_parquet_rle__truncated_input_fails)
{
	/* a bit-packed run header announcing 4 groups of 8 at width 8, 3 bytes */
	const uint8_t data[] = {0x09, 1, 2, 3};
	uint32_t out[64];
	const char *what = NULL;
	pq_rle d;
	ice_parquet__rle_init(&d, data, sizeof(data), 8);
	CHECK(ice_parquet__rle_u32(&d, out, 3, &what) == 0);
	CHECK(out[0] == 1 && out[2] == 3);
	CHECK(ice_parquet__rle_u32(&d, out, 10, &what) == -1);
	CHECK(what != NULL);
}

TEST(test_parquet_delta__decodes_spec_example)
{
	/* DELTA_BINARY_PACKED of 1..5 (block 128, 4 miniblocks, min delta 1, width 0) */
	const uint8_t data[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00};
	ice_buf out = ICE_BUF_INIT;
	size_t count, used;
	const char *what = NULL;
	CHECK(ice_parquet__delta_decode(data, sizeof(data), false, 100, &out, &count, &used, &what) == 0);
	CHECK_INT(count, 5);
	const int64_t *v = (const int64_t *)(void *)out.ptr;
	for (int i = 0; i < 5; i++)
		CHECK_INT(v[i], i + 1);
	/* more values than the page allows */
	CHECK(ice_parquet__delta_decode(data, sizeof(data), false, 4, &out, &count, &used, &what) == -1);
	ice_buf__free(&out);
}

TEST(test_parquet_thrift__skips_unknown_and_rejects_garbage)
{
	/* struct { 1: i32 7, 20: binary "ab", 2: list<i32>[1,2] } */
	ice_buf b = ICE_BUF_INIT;
	tc_writer w;
	ice_parquet__tw_init(&w, &b);
	ice_parquet__tw_i32(&w, 1, 7);
	ice_parquet__tw_binary(&w, 20, "ab", 2);
	ice_parquet__tw_list_begin(&w, 2, TC_I32, 2);
	ice_parquet__tw_zigzag(&w, 1);
	ice_parquet__tw_zigzag(&w, 2);
	ice_parquet__tw_stop(&w);
	CHECK_OK(b.error);
	tc_reader t;
	ice_parquet__tc_init(&t, (const uint8_t *)b.ptr, b.len, 0);
	CHECK(ice_parquet__tc_skip(&t, TC_STRUCT) == 0);
	CHECK(t.p == t.end);
	/* every truncation fails cleanly */
	for (size_t n = 0; n < b.len; n++) {
		ice_parquet__tc_init(&t, (const uint8_t *)b.ptr, n, 0);
		CHECK(ice_parquet__tc_skip(&t, TC_STRUCT) == -1);
		CHECK(t.truncated);
	}
	/* a list claiming a billion elements */
	const uint8_t huge[] = {0x19, 0xf5, 0xff, 0xff, 0xff, 0x03, 0x00};
	ice_parquet__tc_init(&t, huge, sizeof(huge), 0);
	CHECK(ice_parquet__tc_skip(&t, TC_STRUCT) == -1);
	ice_buf__free(&b);
}
