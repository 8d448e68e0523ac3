/*
 * Unit tests of lib/parquet: the Thrift compact protocol, the RLE/bit-packed
 * hybrid and DELTA encodings, footer parsing of hostile input, reading the
 * fixture corpus, writing and reading back every Iceberg type (nested
 * included), metrics, and allocation failures at every point.
 */
#include <math.h>
#include <stdio.h>
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

/* ---- reading -------------------------------------------------------------------- */

static const char *data_file(const char *name)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/parquet/parquet-testing/data/%s", ice_test_fixtures(), name);
	return path;
}

static const char *seed_file(const char *name)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/parquet/%s", ice_test_source_root(), name);
	return path;
}

/* Every row of a scan rendered as JSON lines, into out (allocated). */
static int render(ice_parquet_reader *r, const ice_parquet_scan_options *o, ice_buf *out)
{
	ice_parquet_scan *scan;
	struct ArrowSchema s;
	struct ArrowArray a;
	int rc = ice_parquet_scan_open(&scan, r, o);
	if (rc)
		return rc;
	if ((rc = ice_parquet_scan_schema(scan, &s)) != 0) {
		ice_parquet_scan_free(scan);
		return rc;
	}
	while ((rc = ice_parquet_scan_next(scan, &a, NULL)) == 0) {
		for (int64_t i = 0; i < a.length && !rc; i++) {
			ice_json_writer *w;
			const char *text;
			size_t len;
			if ((rc = ice_json_writer_new(&w, ICE_JSON_COMPACT)) != 0)
				break;
			if ((rc = ice_arrow_write_json_row(w, &s, &a, i)) == 0 &&
			    (rc = ice_json_writer_finish(w, &text, &len)) == 0) {
				ice_buf__put(out, text, len);
				ice_buf__putc(out, '\n');
			}
			ice_json_writer_free(w);
		}
		ice_arrow_array_release(&a);
		if (rc)
			break;
	}
	ice_arrow_schema_release(&s);
	ice_parquet_scan_free(scan);
	return rc == ICE_ITEROVER ? out->error : rc;
}

TEST(test_parquet_read__alltypes_plain)
{
	ice_io *io;
	ice_parquet_reader *r;
	ice_buf out = ICE_BUF_INIT;
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_parquet_reader_open(&r, io, data_file("alltypes_plain.parquet")));
	CHECK_INT(ice_parquet_reader_num_rows(r), 8);
	CHECK_INT(ice_parquet_reader_leaf_count(r), 11);
	CHECK_INT(ice_parquet_reader_row_group_count(r), 1);
	const ice_parquet_column *id = ice_parquet_reader_column_by_path(r, "id");
	CHECK(id && id->physical_type == ICE_PARQUET_INT32 && id->repetition == ICE_PARQUET_OPTIONAL);
	CHECK(ice_parquet_reader_iceberg_schema(r)->u.struct_.nfields == 11);
	ice_parquet_scan_options o;
	ice_parquet_scan_options_init(&o);
	const char *cols[] = {"id", "timestamp_col"};
	o.columns = cols;
	o.ncolumns = 2;
	o.batch_size = 3;
	CHECK_OK(render(r, &o, &out));
	const char *first = "{\"id\":4,\"timestamp_col\":\"2009-03-01T00:00:00.000000000\"}\n";
	CHECK(strncmp(ice_buf__cstr(&out), first, strlen(first)) == 0);
	/* a range of rows */
	ice_buf__clear(&out);
	o.row_start = 6;
	o.row_end = 8;
	o.ncolumns = 1;
	CHECK_OK(render(r, &o, &out));
	CHECK_STR(ice_buf__cstr(&out), "{\"id\":0}\n{\"id\":1}\n");
	/* unknown columns */
	const char *bad[] = {"nope"};
	ice_parquet_scan *scan;
	o.columns = bad;
	CHECK_RC(ice_parquet_scan_open(&scan, r, &o), ICE_ENOTFOUND);
	ice_buf__free(&out);
	ice_parquet_reader_free(r);
	ice_io_free(io);
}

static int skip_all(bool *skip, const ice_parquet_reader *r, const ice_parquet_row_group *rg, void *payload)
{
	(void)r;
	(*(int *)payload)++;
	*skip = rg->first_row > 0; /* keep only the first row group */
	return 0;
}

TEST(test_parquet_read__filter_hook_and_stream)
{
	ice_io *io;
	ice_parquet_reader *r;
	ice_parquet_scan *scan;
	int calls = 0;
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_parquet_reader_open(&r, io, data_file("sort_columns.parquet")));
	CHECK_INT(ice_parquet_reader_row_group_count(r), 2);
	ice_parquet_scan_options o;
	ice_parquet_scan_options_init(&o);
	o.filter = skip_all;
	o.filter_payload = &calls;
	CHECK_OK(ice_parquet_scan_open(&scan, r, &o));
	struct ArrowArrayStream st;
	struct ArrowSchema s;
	struct ArrowArray a;
	CHECK_OK(ice_parquet_scan_to_stream(scan, &st));
	CHECK(st.get_schema(&st, &s) == 0);
	CHECK_STR(s.format, "+s");
	CHECK_INT(s.n_children, 2);
	int64_t rows = 0;
	for (;;) {
		CHECK(st.get_next(&st, &a) == 0);
		if (!a.release)
			break;
		rows += a.length;
		a.release(&a);
	}
	CHECK_INT(rows, ice_parquet_reader_row_group(r, 0)->num_rows);
	CHECK_INT(calls, 2);
	s.release(&s);
	st.release(&st);
	ice_parquet_reader_free(r);
	ice_io_free(io);
}

TEST(test_parquet_read__nested_and_field_ids)
{
	ice_io *io;
	ice_parquet_reader *r;
	ice_buf out = ICE_BUF_INIT;
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_parquet_reader_open(&r, io, data_file("nested_maps.snappy.parquet")));
	CHECK_OK(render(r, NULL, &out));
	CHECK(strstr(ice_buf__cstr(&out), "{\"a\":[[\"a\",[[1,true],[2,false]]]],\"b\":1,\"c\":1.0") != NULL ||
	      strstr(ice_buf__cstr(&out), "{\"a\":[[\"a\",[[1,true],[2,false]]]],\"b\":1,\"c\":1") != NULL);
	const ice_type *t = ice_parquet_reader_iceberg_schema(r);
	CHECK(t->u.struct_.fields[0].type->id == ICE_TYPE_MAP);
	ice_parquet_reader_free(r);
	ice_buf__clear(&out);
	/* field ids select columns */
	CHECK_OK(ice_parquet_reader_open(&r, io, seed_file("ice_all_types.parquet")));
	const ice_parquet_column *st = ice_parquet_reader_column_by_field_id(r, 20);
	CHECK(st && !strcmp(st->path, "st"));
	ice_parquet_scan_options o;
	ice_parquet_scan_options_init(&o);
	int32_t ids[] = {1, 29}; /* id and the map's key: brings the whole map */
	o.field_ids = ids;
	o.nfield_ids = 2;
	o.row_end = 2;
	CHECK_OK(render(r, &o, &out));
	CHECK(strncmp(ice_buf__cstr(&out), "{\"id\":0,\"m\":", 12) == 0);
	int32_t missing = 999;
	ice_parquet_scan *scan;
	o.field_ids = &missing;
	o.nfield_ids = 1;
	CHECK_RC(ice_parquet_scan_open(&scan, r, &o), ICE_ENOTFOUND);
	ice_buf__free(&out);
	ice_parquet_reader_free(r);
	ice_io_free(io);
}

static int write_bytes(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, n, f);
	fclose(f);
	return w == n ? 0 : -1;
}

TEST(test_parquet_read__hostile_footers)
{
	ice_io *io;
	ice_parquet_reader *r;
	char path[] = "/tmp/ice-pq-hostileXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	CHECK_OK(ice_io_new(&io));
	/* too short, bad magic, footer longer than the file, garbage footer */
	uint8_t a[] = {'P', 'A', 'R', '1', 0, 0, 0, 0, 'P', 'A', 'R', '1'};
	CHECK_OK(write_bytes(path, a, sizeof(a)));
	CHECK_RC(ice_parquet_reader_open(&r, io, path), ICE_EINVALID);
	uint8_t b[] = {'P', 'A', 'R', '1', 1, 2, 3, 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'};
	CHECK_OK(write_bytes(path, b, sizeof(b)));
	CHECK_RC(ice_parquet_reader_open(&r, io, path), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("footer length");
	uint8_t c[] = {'P', 'A', 'R', '1', 0x19, 0xfc, 0xff, 0xff, 0xff, 0x0f, 0, 7, 0, 0, 0, 'P', 'A', 'R', '1'};
	CHECK_OK(write_bytes(path, c, sizeof(c)));
	CHECK_RC(ice_parquet_reader_open(&r, io, path), ICE_EINVALID);
	CHECK_ERROR_CONTAINS(": footer: offset ");
	uint8_t d[] = {'X', 'A', 'R', '1', 0, 0, 0, 0, 'P', 'A', 'R', 'E'};
	CHECK_OK(write_bytes(path, d, sizeof(d)));
	CHECK_RC(ice_parquet_reader_open(&r, io, path), ICE_EUNSUPPORTED);
	unlink(path);
	CHECK_RC(ice_parquet_reader_open(&r, io, path), ICE_ENOTFOUND);
	ice_io_free(io);
}

/* ---- writing ----------------------------------------------------------------------- */

/* Read `src` with the reader, write it with the writer, read the copy: the
 * renderings must be identical. */
static int copy_file(const char *src, const char *dst, const ice_parquet_write_options *opts, size_t batch,
                     ice_parquet_file_metrics **metrics)
{
	ice_io *io;
	ice_parquet_reader *r;
	ice_parquet_scan *scan = NULL;
	ice_parquet_writer *w = NULL;
	struct ArrowSchema s;
	struct ArrowArray a;
	int rc;
	if ((rc = ice_io_new(&io)) != 0)
		return rc;
	if ((rc = ice_parquet_reader_open(&r, io, src)) != 0) {
		ice_io_free(io);
		return rc;
	}
	ice_parquet_scan_options o;
	ice_parquet_scan_options_init(&o);
	o.batch_size = batch;
	s.release = NULL;
	if ((rc = ice_parquet_scan_open(&scan, r, &o)) != 0 || (rc = ice_parquet_scan_schema(scan, &s)) != 0)
		goto done;
	if ((rc = ice_parquet_writer_open(&w, io, dst, ice_parquet_reader_iceberg_schema(r), opts)) != 0)
		goto done;
	while ((rc = ice_parquet_scan_next(scan, &a, NULL)) == 0) {
		rc = ice_parquet_writer_write(w, &a, &s);
		ice_arrow_array_release(&a);
		if (rc)
			break;
	}
	if (rc != ICE_ITEROVER) {
		ice_parquet_writer_abort(w);
		goto done;
	}
	rc = ice_parquet_writer_close(w, metrics);
done:
	ice_arrow_schema_release(&s);
	ice_parquet_scan_free(scan);
	ice_parquet_reader_free(r);
	ice_io_free(io);
	return rc;
}

static int render_file(const char *path, ice_buf *out)
{
	ice_io *io;
	ice_parquet_reader *r;
	int rc = ice_io_new(&io);
	if (rc)
		return rc;
	if ((rc = ice_parquet_reader_open(&r, io, path)) == 0) {
		rc = render(r, NULL, out);
		ice_parquet_reader_free(r);
	}
	ice_io_free(io);
	return rc;
}

TEST(test_parquet_write__round_trip_every_type)
{
	static const int codecs[] = {ICE_PARQUET_ZSTD, ICE_PARQUET_SNAPPY, ICE_PARQUET_GZIP, ICE_PARQUET_LZ4_RAW,
	                             ICE_PARQUET_UNCOMPRESSED, ICE_PARQUET_BROTLI};
	ice_buf want = ICE_BUF_INIT, got = ICE_BUF_INIT;
	char path[] = "/tmp/ice-pq-writeXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	CHECK_OK(render_file(seed_file("ice_all_types.parquet"), &want));
	for (size_t k = 0; k < sizeof(codecs) / sizeof(codecs[0]); k++) {
		ice_parquet_write_options opts;
		ice_parquet_file_metrics *m;
		ice_parquet_write_options_init(&opts);
		opts.codec = codecs[k];
		opts.page_row_limit = 7;
		opts.row_group_size_bytes = 2000;
		opts.dictionary_enabled = k % 2 == 0;
		unlink(path);
		CHECK_OK(copy_file(seed_file("ice_all_types.parquet"), path, &opts, 5, &m));
		CHECK_INT(m->record_count, 60);
		CHECK(m->nsplit_offsets > 1);
		CHECK_INT(m->split_offsets[0], 4);
		const ice_parquet_column_metrics *id = ice_parquet_file_metrics_column(m, 1);
		CHECK(id && id->has_bounds && id->lower_bound.v.i64 == 0 && id->upper_bound.v.i64 == 59);
		CHECK_INT(id->null_count, 0);
		CHECK_INT(id->value_count, 60);
		const ice_parquet_column_metrics *s = ice_parquet_file_metrics_column(m, 16);
		CHECK(s && s->has_bounds && s->lower_bound.type == ICE_TYPE_STRING && s->upper_bound.v.bytes.len <= 16 * 4);
		CHECK(ice_parquet_file_metrics_column(m, 5)->nan_count >= 0);
		CHECK(!ice_parquet_file_metrics_column(m, 24)->has_bounds); /* inside a list */
		ice_parquet_file_metrics_free(m);
		ice_buf__clear(&got);
		CHECK_OK(render_file(path, &got));
		CHECK_MSG(got.len == want.len && !memcmp(got.ptr, want.ptr, got.len), "codec %d: rows differ", codecs[k]);
	}
	/* the file exists: exclusive creation refuses to replace it */
	ice_io *io;
	ice_parquet_writer *w;
	CHECK_OK(ice_io_new(&io));
	ice_parquet_reader *r;
	CHECK_OK(ice_parquet_reader_open(&r, io, path));
	CHECK_RC(ice_parquet_writer_open(&w, io, path, ice_parquet_reader_iceberg_schema(r), NULL), ICE_EEXISTS);
	ice_parquet_reader_free(r);
	ice_io_free(io);
	unlink(path);
	ice_buf__free(&want);
	ice_buf__free(&got);
}

TEST(test_parquet_write__options_from_properties)
{
	ice_parquet_write_options o;
	ice_parquet_write_options_init(&o);
	CHECK_INT(o.codec, ICE_PARQUET_ZSTD);
	CHECK_INT(o.row_group_size_bytes, 128 << 20);
	CHECK_OK(ice_parquet_write_options_set(&o, "write.parquet.compression-codec", "SNAPPY"));
	CHECK_INT(o.codec, ICE_PARQUET_SNAPPY);
	CHECK_OK(ice_parquet_write_options_set(&o, "write.parquet.compression-level", "3"));
	CHECK_INT(o.compression_level, 3);
	CHECK_OK(ice_parquet_write_options_set(&o, "write.target-file-size-bytes", "1000"));
	CHECK_INT(o.target_file_size_bytes, 1000);
	CHECK_OK(ice_parquet_write_options_set(&o, "write.format.default", "parquet"));
	CHECK_RC(ice_parquet_write_options_set(&o, "write.parquet.compression-codec", "lzo"), ICE_EINVALID);
	CHECK_RC(ice_parquet_write_options_set(&o, "write.parquet.page-size-bytes", "-1"), ICE_EINVALID);
}

TEST(test_parquet_write__hand_built_batch_and_mismatch)
{
	/* struct<1: id long required, 2: name string optional> from hand-made arrays
	 * with an offset and a validity bitmap */
	static ice_type t_long = {ICE_TYPE_LONG, {{0, 0}}}, t_str = {ICE_TYPE_STRING, {{0, 0}}};
	ice_field fields[2] = {{1, "id", true, &t_long, NULL, NULL, NULL}, {2, "name", false, &t_str, NULL, NULL, NULL}};
	ice_type schema;
	memset(&schema, 0, sizeof(schema));
	schema.id = ICE_TYPE_STRUCT;
	schema.u.struct_.nfields = 2;
	schema.u.struct_.fields = fields;
	int64_t ids[] = {99, 10, 11, 12};
	int32_t offs[] = {0, 1, 3, 3, 6};
	uint8_t valid = 0x0b; /* 1011: row 2 is null */
	const void *idb[2] = {NULL, ids}, *nb[3] = {&valid, offs, "xabbcde"};
	struct ArrowArray kids[2], *kp[2] = {&kids[0], &kids[1]}, batch;
	struct ArrowSchema ks[2], *ksp[2] = {&ks[0], &ks[1]}, bs;
	memset(kids, 0, sizeof(kids));
	memset(ks, 0, sizeof(ks));
	kids[0].length = 3;
	kids[0].offset = 1;
	kids[0].n_buffers = 2;
	kids[0].buffers = idb;
	kids[1].length = 4;
	kids[1].null_count = 1;
	kids[1].n_buffers = 3;
	kids[1].buffers = nb;
	memset(&batch, 0, sizeof(batch));
	batch.length = 3;
	batch.n_children = 2;
	batch.children = kp;
	batch.release = (void (*)(struct ArrowArray *))1; /* never called: owned here */
	ks[0].format = "l";
	ks[1].format = "u";
	memset(&bs, 0, sizeof(bs));
	bs.format = "+s";
	bs.n_children = 2;
	bs.children = ksp;
	kids[1].offset = 1; /* rows: "ab", null, "bcd" */

	char path[] = "/tmp/ice-pq-handXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	unlink(path);
	ice_io *io;
	ice_parquet_writer *w;
	ice_buf out = ICE_BUF_INIT;
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_parquet_writer_open(&w, io, path, &schema, NULL));
	CHECK_OK(ice_parquet_writer_write(w, &batch, &bs));
	/* the memory held counts what was allocated; an early row group frees
	 * what the empty one does not need, and writing goes on after it */
	int64_t held = ice_parquet_writer_buffered_bytes(w);
	CHECK(held > 0);
	CHECK_OK(ice_parquet_writer_flush_row_group(w));
	CHECK(ice_parquet_writer_buffered_bytes(w) < held);
	CHECK(ice_parquet_writer_buffered_bytes(w) <= 1024); /* the file's bounds so far */
	CHECK_OK(ice_parquet_writer_flush_row_group(w)); /* empty: nothing to do */
	CHECK_OK(ice_parquet_writer_write(w, &batch, &bs));
	/* a batch whose types do not fit is refused, and poisons nothing else */
	ks[0].format = "i";
	CHECK_RC(ice_parquet_writer_write(w, &batch, &bs), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("does not fit Iceberg type long");
	ks[0].format = "l";
	CHECK_OK(ice_parquet_writer_close(w, NULL));
	CHECK_OK(render_file(path, &out));
	CHECK_STR(ice_buf__cstr(&out), "{\"id\":10,\"name\":\"ab\"}\n{\"id\":11,\"name\":null}\n{\"id\":12,\"name\":\"bcd\"}\n"
	                               "{\"id\":10,\"name\":\"ab\"}\n{\"id\":11,\"name\":null}\n{\"id\":12,\"name\":\"bcd\"}\n");
	unlink(path);
	ice_buf__free(&out);
	ice_io_free(io);
}

/* ---- allocation failures ----------------------------------------------------------- */

TEST(test_parquet_alloc__every_failure_point_is_clean)
{
	char path[] = "/tmp/ice-pq-allocXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	ice_parquet_write_options opts;
	ice_parquet_write_options_init(&opts);
	opts.page_row_limit = 13;
	opts.row_group_size_bytes = 4000;
	bool succeeded = false;
	for (uint64_t n = 1; n < 20000 && !succeeded; n++) {
		unlink(path);
		ice_alloc_fail_at(n, false);
		ice_parquet_file_metrics *m = NULL;
		int rc = copy_file(seed_file("ice_all_types.parquet"), path, &opts, 16, &m);
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		if (rc == 0) {
			ice_parquet_file_metrics_free(m);
			succeeded = !injected;
		} else {
			CHECK_MSG(injected, "failure %d without an injected allocation failure: %s", rc, LAST_ERROR());
		}
	}
	CHECK(succeeded);
	unlink(path);
}

TEST(test_parquet_metrics__footer_metrics_match_writer)
{
	char path[] = "/tmp/ice-pq-metricsXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	unlink(path);
	ice_parquet_write_options opts;
	ice_parquet_file_metrics *wm, *rm;
	ice_parquet_write_options_init(&opts);
	opts.row_group_size_bytes = 3000;
	opts.metrics_truncate_length = 0; /* full bounds, comparable with the footer's */
	CHECK_OK(copy_file(seed_file("ice_all_types.parquet"), path, &opts, 0, &wm));
	ice_io *io;
	ice_parquet_reader *r;
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_parquet_reader_open(&r, io, path));
	CHECK_OK(ice_parquet_reader_metrics(&rm, r));
	CHECK_INT(rm->record_count, wm->record_count);
	CHECK_INT(rm->file_size, wm->file_size);
	CHECK_INT(rm->nsplit_offsets, wm->nsplit_offsets);
	for (size_t i = 0; i < wm->nsplit_offsets; i++)
		CHECK_INT(rm->split_offsets[i], wm->split_offsets[i]);
	for (size_t i = 0; i < wm->ncolumns; i++) {
		const ice_parquet_column_metrics *w = &wm->columns[i];
		const ice_parquet_column_metrics *f = ice_parquet_file_metrics_column(rm, w->field_id);
		CHECK_MSG(f != NULL, "field %d", w->field_id);
		CHECK_INT(f->column_size, w->column_size);
		CHECK_INT(f->value_count, w->value_count);
		CHECK_INT(f->null_count, w->null_count);
		CHECK_MSG(f->has_bounds == w->has_bounds, "field %d bounds", w->field_id);
		if (w->has_bounds) {
			CHECK_MSG(ice_parquet__literal_cmp(&f->lower_bound, &w->lower_bound) == 0, "field %d lower", w->field_id);
			CHECK_MSG(ice_parquet__literal_cmp(&f->upper_bound, &w->upper_bound) == 0, "field %d upper", w->field_id);
		}
	}
	ice_parquet_file_metrics_free(rm);
	ice_parquet_file_metrics_free(wm);
	ice_parquet_reader_free(r);
	ice_io_free(io);
	unlink(path);
}

TEST(test_parquet_read__threads_give_the_same_batches)
{
	ice_io *io;
	ice_parquet_reader *r;
	ice_buf one = ICE_BUF_INIT, three = ICE_BUF_INIT;
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_parquet_reader_open(&r, io, seed_file("ice_all_types.parquet")));
	ice_parquet_scan_options o;
	ice_parquet_scan_options_init(&o);
	o.batch_size = 7;
	CHECK_OK(render(r, &o, &one));
	o.threads = 3;
	CHECK_OK(render(r, &o, &three));
	CHECK(one.len > 0 && one.len == three.len && !memcmp(one.ptr, three.ptr, one.len));
	ice_parquet_reader_free(r);
	/* an error in a worker thread comes back with its message */
	CHECK_OK(ice_parquet_reader_open(&r, io, data_file("../bad_data/ARROW-RS-GH-6229-LEVELS.parquet")));
	ice_buf__clear(&three);
	CHECK(render(r, &o, &three) == ICE_EINVALID);
	CHECK_ERROR_CONTAINS("ARROW-RS-GH-6229-LEVELS.parquet: ");
	CHECK_ERROR_CONTAINS(": page ");
	ice_parquet_reader_free(r);
	ice_buf__free(&one);
	ice_buf__free(&three);
	ice_io_free(io);
}

static int slurp(const char *path, ice_buf *out)
{
	FILE *f = fopen(path, "rb");
	char b[65536];
	size_t n;
	if (!f)
		return ICE_ERROR;
	while ((n = fread(b, 1, sizeof(b), f)) > 0)
		if (ice_buf__put(out, b, n) != 0)
			break;
	fclose(f);
	return 0;
}

TEST(test_parquet_write__threads_write_the_same_bytes)
{
	ice_buf one = ICE_BUF_INIT, three = ICE_BUF_INIT;
	char path[] = "/tmp/ice-pq-threadsXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	for (size_t threads = 1; threads <= 3; threads += 2) {
		ice_parquet_write_options opts;
		ice_parquet_file_metrics *m;
		ice_parquet_write_options_init(&opts);
		opts.page_row_limit = 7;
		opts.row_group_size_bytes = 2000;
		opts.threads = threads;
		unlink(path);
		CHECK_OK(copy_file(seed_file("ice_all_types.parquet"), path, &opts, 5, &m));
		CHECK_INT(m->record_count, 60);
		ice_parquet_file_metrics_free(m);
		CHECK_OK(slurp(path, threads == 1 ? &one : &three));
	}
	CHECK(one.len > 0 && one.len == three.len && !memcmp(one.ptr, three.ptr, one.len));
	unlink(path);
	ice_buf__free(&one);
	ice_buf__free(&three);
}

TEST(test_parquet_write__geometry_variant_unknown)
{
	/* struct<1: id long, 2: g geometry, 3: v variant, 4: u unknown> */
	static ice_type t_long = {ICE_TYPE_LONG, {{0, 0}}}, t_geo = {ICE_TYPE_GEOMETRY, {{0, 0}}},
	                t_var = {ICE_TYPE_VARIANT, {{0, 0}}}, t_unk = {ICE_TYPE_UNKNOWN, {{0, 0}}};
	ice_field fields[4] = {{1, "id", true, &t_long, NULL, NULL, NULL},
	                       {2, "g", false, &t_geo, NULL, NULL, NULL},
	                       {3, "v", false, &t_var, NULL, NULL, NULL},
	                       {4, "u", false, &t_unk, NULL, NULL, NULL}};
	ice_type schema;
	memset(&schema, 0, sizeof(schema));
	schema.id = ICE_TYPE_STRUCT;
	schema.u.struct_.nfields = 4;
	schema.u.struct_.fields = fields;
	int64_t ids[] = {1, 2};
	int32_t goffs[] = {0, 2, 4}, moffs[] = {0, 1, 2}, voffs[] = {0, 1, 3};
	const void *idb[2] = {NULL, ids}, *gb[3] = {NULL, goffs, "\x01\x02\x03\x04"}, *mb[3] = {NULL, moffs, "\x01\x01"},
	           *vb[3] = {NULL, voffs, "\x0c\x10\x11"}, *sb[1] = {NULL}, *nb[1] = {NULL};
	struct ArrowArray kids[4], vkids[2], *kp[4] = {&kids[0], &kids[1], &kids[2], &kids[3]},
	                                     *vkp[2] = {&vkids[0], &vkids[1]}, batch;
	struct ArrowSchema ks[4], vks[2], *ksp[4] = {&ks[0], &ks[1], &ks[2], &ks[3]}, *vksp[2] = {&vks[0], &vks[1]}, bs;
	memset(kids, 0, sizeof(kids));
	memset(vkids, 0, sizeof(vkids));
	memset(ks, 0, sizeof(ks));
	memset(vks, 0, sizeof(vks));
	for (int i = 0; i < 4; i++)
		kids[i].length = 2;
	kids[0].n_buffers = 2;
	kids[0].buffers = idb;
	kids[1].n_buffers = 3;
	kids[1].buffers = gb;
	kids[2].n_buffers = 1;
	kids[2].buffers = sb;
	kids[2].n_children = 2;
	kids[2].children = vkp;
	vkids[0].length = vkids[1].length = 2;
	vkids[0].n_buffers = vkids[1].n_buffers = 3;
	vkids[0].buffers = mb;
	vkids[1].buffers = vb;
	kids[3].null_count = 2;
	kids[3].buffers = nb;
	ks[0].format = "l";
	ks[1].format = "z";
	ks[2].format = "+s";
	ks[2].n_children = 2;
	ks[2].children = vksp;
	vks[0].format = vks[1].format = "z";
	ks[3].format = "n";
	memset(&batch, 0, sizeof(batch));
	batch.length = 2;
	batch.n_children = 4;
	batch.children = kp;
	batch.release = (void (*)(struct ArrowArray *))1;
	memset(&bs, 0, sizeof(bs));
	bs.format = "+s";
	bs.n_children = 4;
	bs.children = ksp;

	char path[] = "/tmp/ice-pq-geoXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	unlink(path);
	ice_io *io;
	ice_parquet_writer *w;
	ice_parquet_file_metrics *m;
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_parquet_writer_open(&w, io, path, &schema, NULL));
	CHECK_OK(ice_parquet_writer_write(w, &batch, &bs));
	CHECK_OK(ice_parquet_writer_close(w, &m));
	CHECK_INT(m->ncolumns, 2); /* id and g; the variant's parts have no ids, u is not stored */
	ice_parquet_file_metrics_free(m);
	ice_parquet_reader *r;
	CHECK_OK(ice_parquet_reader_open(&r, io, path));
	const ice_type *t = ice_parquet_reader_iceberg_schema(r);
	CHECK_INT(t->u.struct_.nfields, 3);
	CHECK(t->u.struct_.fields[1].type->id == ICE_TYPE_GEOMETRY);
	CHECK(t->u.struct_.fields[2].type->id == ICE_TYPE_VARIANT && t->u.struct_.fields[2].id == 3);
	CHECK_STR(ice_parquet_reader_column_by_path(r, "g")->logical_type, "GEOMETRY");
	ice_buf out = ICE_BUF_INIT;
	CHECK_OK(render(r, NULL, &out));
	CHECK_STR(ice_buf__cstr(&out), "{\"id\":1,\"g\":\"0102\",\"v\":{\"metadata\":\"01\",\"value\":\"0c\"}}\n"
	                               "{\"id\":2,\"g\":\"0304\",\"v\":{\"metadata\":\"01\",\"value\":\"1011\"}}\n");
	ice_buf__free(&out);
	ice_parquet_reader_free(r);
	/* an unknown field must be optional */
	fields[3].required = true;
	CHECK_RC(ice_parquet_writer_open(&w, io, path, &schema, NULL), ICE_EINVALID);
	unlink(path);
	ice_io_free(io);
}
