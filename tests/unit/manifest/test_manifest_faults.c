/*
 * tests/unit/manifest/test_manifest_faults.c - what must never go wrong:
 * truncated and corrupted files give one-line errors naming the file and
 * the record or block (never a crash), every allocation failure is clean,
 * hostile schemas are refused, and the Avro primitives hold at their edges.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "manifest/avro.h"
#include "test.h"
#include "util/arena.h"

static const char *schema_json =
    "{\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
    "{\"id\": 1, \"name\": \"id\", \"required\": true, \"type\": \"long\"},"
    "{\"id\": 2, \"name\": \"s\", \"required\": false, \"type\": \"string\"}]}";
static const char *spec_json = "{\"spec-id\": 0, \"fields\": ["
                               "{\"name\": \"s\", \"transform\": \"identity\", \"source-id\": 2, \"field-id\": 1000}]}";

/* Write a manifest of `n` entries whose paths are `path_len` long. */
typedef struct sample {
	ice_schema *schema;
	ice_partition_spec *spec;
} sample;

static sample sample_new(void)
{
	sample s = {mt_schema(schema_json), mt_spec(spec_json)};
	return s;
}

static void sample_free(sample *s)
{
	ice_schema_free(s->schema);
	ice_partition_spec_free(s->spec);
}

static int write_sample(const ice_io *io, const sample *smp, const char *path, const char *codec, int n,
                        size_t path_len, ice_manifest_file **mf_out)
{
	ice_schema *schema = smp->schema;
	ice_partition_spec *spec = smp->spec;
	ice_manifest_writer_options o;
	ice_manifest_writer *w = NULL;
	char *fpath = malloc(path_len + 32);
	int rc;
	ice_manifest_writer_options_init(&o);
	o.format_version = 2;
	o.schema = schema;
	o.spec = spec;
	o.codec = codec;
	o.has_snapshot_id = true;
	o.snapshot_id = 1;
	if ((rc = ice_manifest_writer_open(&w, io, path, NULL, &o)) != 0)
		goto done;
	for (int i = 0; i < n && rc == 0; i++) {
		ice_data_file df;
		ice_literal part = ice_literal_string("abc", 3);
		ice_metric_count c = {1, i};
		ice_metric_bound b[2];
		memset(&df, 0, sizeof(df));
		memset(b, 0, sizeof(b));
		memset(fpath, 'p', path_len);
		snprintf(fpath + path_len, 32, "-%d.parquet", i);
		df.file_path = fpath;
		df.file_format = "PARQUET";
		df.n_partition = 1;
		df.partition = &part;
		df.record_count = i + 1;
		df.file_size_in_bytes = 100;
		df.value_counts.present = true;
		df.value_counts.n = 1;
		df.value_counts.items = &c;
		b[0].field_id = 1;
		b[0].value = ice_literal_long(i);
		b[1].field_id = 2;
		b[1].value = ice_literal_string("zzz", 3);
		df.lower_bounds.present = df.upper_bounds.present = true;
		df.lower_bounds.n = df.upper_bounds.n = 2;
		df.lower_bounds.items = df.upper_bounds.items = b;
		df.split_offsets.present = true;
		rc = ice_manifest_writer_add(w, &df, -1);
	}
	if (rc)
		ice_manifest_writer_abort(w);
	else
		rc = ice_manifest_writer_close(w, mf_out);
done:
	free(fpath);
	return rc;
}

static void write_bytes(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

/* Read a possibly damaged manifest all the way: 0 or an error that is one
 * line starting with the file's name. */
static bool read_damaged(const ice_io *io, const char *path, long *records)
{
	ice_manifest_reader *r = NULL;
	const ice_manifest_entry *e;
	int rc;
	*records = 0;
	if ((rc = ice_manifest_open_location(&r, io, NULL, path)) == 0) {
		while ((rc = ice_manifest_next(r, &e)) == 0)
			(*records)++;
		ice_manifest_reader_free(r);
		if (rc == ICE_ITEROVER)
			return true;
	}
	const char *m = LAST_ERROR();
	return strncmp(m, path, strlen(path)) == 0 && !strchr(m, '\n') && rc != ICE_ERROR;
}

TEST(test_manifest_faults__truncated_at_every_byte)
{
	static const char *codecs[] = {"deflate", "null", "snappy", "zstandard"};
	ice_io *io = NULL;
	char path[512], cut[512];
	sample smp = sample_new();
	CHECK_OK(ice_io_new(&io));
	for (size_t c = 0; c < 4; c++) {
		size_t len;
		char *data;
		mt_path("sample.avro", path, sizeof(path));
		mt_path("cut.avro", cut, sizeof(cut));
		/* Compressing codecs get long paths: several 64 KiB blocks in a few KiB. */
		bool packs = c == 0 || c == 3;
		CHECK_OK(write_sample(io, &smp, path, codecs[c], packs ? 40 : 12, packs ? 3000 : 60, NULL));
		CHECK((data = ice_test_read_file(path, &len)) != NULL);
		/* Every cut after the header (which ends at the first copy of the
		 * sync marker), every 7th inside it. */
		char *sync = memmem(data, len, data + len - 16, 16);
		size_t header_end = sync ? (size_t)(sync - data) : 0;
		for (size_t n = 0; n < len; n += n < header_end ? 7 : 1) {
			long records;
			write_bytes(cut, data, n);
			CHECK_MSG(read_damaged(io, cut, &records), "%s cut at %zu: %s", codecs[c], n, LAST_ERROR());
			/* a clean cut between blocks reads fewer records, never more */
			CHECK(records < (packs ? 40 : 12));
		}
		free(data);
	}
	unlink(path);
	unlink(cut);
	ice_io_free(io);
	sample_free(&smp);
}

TEST(test_manifest_faults__corrupted_bytes)
{
	ice_io *io = NULL;
	char path[512], bad[512];
	size_t len;
	char *data;
	int record_errors = 0, block_errors = 0;
	sample smp = sample_new();
	CHECK_OK(ice_io_new(&io));
	mt_path("sample.avro", path, sizeof(path));
	mt_path("bad.avro", bad, sizeof(bad));
	CHECK_OK(write_sample(io, &smp, path, "null", 6, 20, NULL));
	CHECK((data = ice_test_read_file(path, &len)) != NULL);
	/* The header ends at the first copy of the sync marker (the file's last
	 * 16 bytes): every byte after it, every 13th byte of the header. */
	char *sync = memmem(data, len, data + len - 16, 16);
	size_t header_end = sync ? (size_t)(sync - data) : 0;
	for (size_t i = 0; i < len; i += i < header_end ? 13 : 1) {
		static const uint8_t flips[] = {0xff, 0x80, 0x01, 0x7f};
		for (size_t f = 0; f < sizeof(flips); f++) {
			long records;
			char saved = data[i];
			data[i] = (char)(data[i] ^ flips[f]);
			write_bytes(bad, data, len);
			data[i] = saved;
			bool ok = read_damaged(io, bad, &records);
			CHECK_MSG(ok, "byte %zu ^ %02x: %s", i, flips[f], LAST_ERROR());
			if (strstr(LAST_ERROR(), ": record "))
				record_errors++;
			if (strstr(LAST_ERROR(), ": block at offset "))
				block_errors++;
			ice_error_clear();
		}
	}
	CHECK(record_errors > 0 && block_errors > 0);
	free(data);
	unlink(path);
	unlink(bad);
	ice_io_free(io);
	sample_free(&smp);
}

TEST(test_manifest_faults__error_names_file_and_record)
{
	ice_io *io = NULL;
	char path[512];
	size_t len;
	char *data, *hit;
	long records;
	sample smp = sample_new();
	CHECK_OK(ice_io_new(&io));
	mt_path("named.avro", path, sizeof(path));
	CHECK_OK(write_sample(io, &smp, path, "null", 3, 10, NULL));
	/* The third record claims a negative length for its file path. */
	CHECK((data = ice_test_read_file(path, &len)) != NULL);
	hit = memmem(data, len, "pppppppppp-2.parquet", 20);
	CHECK(hit);
	hit[-1] = 0x03; /* zigzag -2 */
	write_bytes(path, data, len);
	CHECK(read_damaged(io, path, &records));
	CHECK_INT(records, 2);
	CHECK_ERROR_CONTAINS(path);
	CHECK_ERROR_CONTAINS(": record 2: data_file.file_path: negative length");
	free(data);
	unlink(path);
	ice_io_free(io);
	sample_free(&smp);
}

/* ---- allocation failures --------------------------------------------------------- */

static int read_all(const ice_io *io, const ice_table_metadata *md, const char *list_path)
{
	ice_manifest_list *list = NULL;
	int rc = ice_manifest_list_read(&list, io, md, list_path);
	for (size_t i = 0; rc == 0 && i < list->n; i++) {
		ice_manifest_reader *r = NULL;
		const ice_manifest_entry *e;
		ice_data_file *copy = NULL;
		if ((rc = ice_manifest_open(&r, io, md, &list->items[i])) != 0)
			break;
		while ((rc = ice_manifest_next(r, &e)) == 0) {
			if ((rc = ice_data_file_copy(&copy, &e->data_file)) != 0)
				break;
			ice_data_file_free(copy);
			copy = NULL;
		}
		if (rc == ICE_ITEROVER)
			rc = 0;
		ice_manifest_reader_free(r);
	}
	ice_manifest_list_free(list);
	return rc;
}

/* A manifest, then a v3 manifest list naming it. */
static int write_both(const ice_io *io, const sample *smp, const char *path, const char *list_path)
{
	ice_manifest_file *mf = NULL;
	ice_manifest_list_writer *w = NULL;
	ice_manifest_list_writer_options o;
	int rc = write_sample(io, smp, path, "deflate", 5, 10, &mf);
	if (rc)
		return rc;
	ice_manifest_list_writer_options_init(&o);
	o.format_version = 3;
	o.snapshot_id = 1;
	o.sequence_number = 4;
	o.has_first_row_id = true;
	if ((rc = ice_manifest_list_writer_open(&w, io, list_path, &o)) == 0) {
		if ((rc = ice_manifest_list_writer_add(w, mf)) == 0)
			rc = ice_manifest_list_writer_close(w, NULL);
		else
			ice_manifest_list_writer_abort(w);
	}
	ice_manifest_file_free(mf);
	return rc;
}

TEST(test_manifest_faults__every_allocation_failure_is_clean)
{
	ice_io *io = NULL;
	ice_table_metadata *md = NULL;
	char table[4096], prefix[4096], out[512], out_list[512], list_path[4096];
	snprintf(table, sizeof(table), "%s", ice_test_fixture("tables/iceberg-cxx/partition_evolution"));
	snprintf(prefix, sizeof(prefix), "%s", ice_test_fixture("tables/iceberg-cxx/"));
	sample smp = sample_new();
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_io_add_path_map(io, "s3a://warehouse/", prefix));
	CHECK_OK(ice_io_add_path_map(io, "s3://warehouse/", prefix));
	CHECK_OK(ice_table_metadata_load(&md, io, table, NULL));
	snprintf(list_path, sizeof(list_path), "%s", ice_table_metadata_current_snapshot(md)->manifest_list);
	mt_path("oom.avro", out, sizeof(out));
	mt_path("oom-list.avro", out_list, sizeof(out_list));
	for (int what = 0; what < 2; what++) {
		for (uint64_t n = 1;; n++) {
			int64_t before = ice_alloc_outstanding();
			int rc;
			unlink(out);
			unlink(out_list);
			ice_alloc_fail_at(n, false);
			rc = what == 0 ? read_all(io, md, list_path) : write_both(io, &smp, out, out_list);
			bool injected = ice_alloc_injected_failure();
			ice_alloc_fail_at(0, false);
			CHECK_MSG(ice_alloc_outstanding() == before, "%s: leak after failing allocation %llu",
			          what ? "write" : "read", (unsigned long long)n);
			if (!injected) {
				CHECK_MSG(rc == 0, "%s", LAST_ERROR());
				CHECK(n > 10);
				break;
			}
			CHECK_MSG(rc != 0, "allocation %llu failed but the %s succeeded", (unsigned long long)n,
			          what ? "write" : "read");
			CHECK_OOM();
			CHECK(n < 200000);
		}
	}
	unlink(out);
	unlink(out_list);
	ice_table_metadata_free(md);
	ice_io_free(io);
	sample_free(&smp);
}

/* ---- schemas ------------------------------------------------------------------------ */

TEST(test_manifest_avro__hostile_schemas_are_refused)
{
	static const struct {
		const char *json;
		const char *error;
	} cases[] = {
		{"{\"type\": \"record\", \"name\": \"r\", \"fields\": [{\"name\": \"next\", \"type\": [\"null\", \"r\"]}]}",
		 "recursive type"},
		{"[\"null\", [\"int\", \"long\"]]", "a union may not contain a union"},
		{"{\"type\": \"record\", \"name\": \"r\", \"fields\": [{\"name\": \"a\", \"type\": \"nosuch\"}]}",
		 "unknown type \"nosuch\""},
		{"{\"type\": \"record\", \"name\": \"r\", \"fields\": [{\"name\": \"a\", \"type\": "
		 "{\"type\": \"fixed\", \"name\": \"r\", \"size\": 2}}]}",
		 "defined twice"},
		{"{\"type\": \"record\", \"name\": \"r\", \"fields\": [{\"name\": \"a\", \"type\": \"int\"},"
		 "{\"name\": \"a\", \"type\": \"int\"}]}",
		 "appears twice"},
		{"{\"type\": \"fixed\", \"name\": \"f\", \"size\": -1}", "size >= 0"},
		{"{\"type\": \"array\"}", "without \"items\""},
		{"{\"type\": \"record\", \"name\": \"r\", \"fields\": [{\"name\": \"a\", \"field-id\": \"x\", \"type\": "
		 "\"int\"}]}",
		 "expected an integer"},
		{"[]", "empty union"},
		{"42", "expected a schema"},
		{"{\"type\": \"record\", \"name\": \"r\"", "line 1"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ice_arena arena;
		const ice_avro_node *n;
		ice_arena__init(&arena, 0);
		int rc = ice_avro__schema_parse(&n, &arena, cases[i].json, strlen(cases[i].json), "f.avro");
		ice_arena__free(&arena);
		CHECK_MSG(rc != 0, "case %zu parsed", i);
		CHECK_ERROR_CONTAINS("f.avro: avro.schema");
		CHECK_ERROR_CONTAINS(cases[i].error);
	}
	/* 40 nested arrays: deeper than the reader allows */
	char deep[2048] = "";
	for (int i = 0; i < 40; i++)
		strcat(deep, "{\"type\": \"array\", \"items\": ");
	strcat(deep, "\"int\"");
	for (int i = 0; i < 40; i++)
		strcat(deep, "}");
	ice_arena arena;
	const ice_avro_node *n;
	ice_arena__init(&arena, 0);
	CHECK_RC(ice_avro__schema_parse(&n, &arena, deep, strlen(deep), "f.avro"), ICE_EUNSUPPORTED);
	ice_arena__free(&arena);
	CHECK_ERROR_CONTAINS("nested deeper");
}

TEST(test_manifest_avro__varints_at_their_edges)
{
	static const struct {
		const char *bytes;
		size_t len;
		int64_t value;
		bool ok;
	} cases[] = {
		{"\x00", 1, 0, true},
		{"\x01", 1, -1, true},
		{"\x02", 1, 1, true},
		{"\x7f", 1, -64, true},
		{"\x80\x01", 2, 64, true},
		{"\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10, INT64_MAX, true},
		{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10, INT64_MIN, true},
		/* bits past the 64th are dropped (Java and Python do the same) */
		{"\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x03", 10, INT64_MAX, true},
		{"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11, 0, false},
		{"\x80", 1, 0, false},
		{"", 0, 0, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ice_avro_cursor c = {(const uint8_t *)cases[i].bytes, (const uint8_t *)cases[i].bytes + cases[i].len, NULL,
		                     NULL, false};
		int64_t v = ice_avro__long(&c);
		CHECK_MSG((c.error == NULL) == cases[i].ok, "case %zu: %s", i, c.error ? c.error : "no error");
		if (cases[i].ok)
			CHECK_MSG(v == cases[i].value, "case %zu: %lld", i, (long long)v);
	}
	/* encode -> decode over a spread of values */
	int64_t vals[] = {0, 1, -1, 63, -64, 64, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, 1234567890123LL};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint8_t buf[10];
		size_t n = ice_avro__encode_long(buf, vals[i]);
		ice_avro_cursor c = {buf, buf + n, NULL, NULL, false};
		CHECK(ice_avro__long(&c) == vals[i] && !c.error && c.p == c.end);
	}
	/* int range */
	uint8_t big[10];
	size_t n = ice_avro__encode_long(big, (int64_t)INT32_MAX + 1);
	ice_avro_cursor c = {big, big + n, NULL, NULL, false};
	(void)ice_avro__int(&c);
	CHECK(c.error != NULL);
	/* a byte string longer than the block */
	uint8_t s[] = {0x10, 'a', 'b'};
	ice_avro_cursor cs = {s, s + 3, NULL, NULL, false};
	(void)ice_avro__bytes(&cs);
	CHECK(cs.error != NULL && cs.underflow); /* more of a streamed block could complete it */
	/* an array count that the bytes left cannot hold */
	uint8_t arr[] = {0xc8, 0x01, 1, 2, 3};
	ice_avro_cursor ca = {arr, arr + 5, NULL, NULL, false};
	CHECK(ice_avro__block_count(&ca, 1) == 0 && ca.error != NULL);
}

TEST(test_manifest_faults__not_a_manifest)
{
	ice_io *io = NULL;
	ice_manifest_reader *r = NULL;
	ice_manifest_list_reader *lr = NULL;
	char path[512], list[512];
	sample smp = sample_new();
	CHECK_OK(ice_io_new(&io));
	mt_path("m.avro", path, sizeof(path));
	mt_path("l.avro", list, sizeof(list));
	CHECK_OK(write_sample(io, &smp, path, NULL, 1, 5, NULL));
	/* a manifest is no manifest list, and the other way around */
	CHECK_RC(ice_manifest_list_open(&lr, io, NULL, path), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("not a manifest list");
	ice_manifest_list_writer_options o;
	ice_manifest_list_writer *w = NULL;
	ice_manifest_list_writer_options_init(&o);
	o.format_version = 2;
	CHECK_OK(ice_manifest_list_writer_open(&w, io, list, &o));
	CHECK_OK(ice_manifest_list_writer_close(w, NULL));
	CHECK_RC(ice_manifest_open_location(&r, io, NULL, list), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("not a manifest");
	/* exclusive create */
	CHECK_OK(ice_manifest_list_writer_open(&w, io, list, &o) == ICE_EEXISTS ? 0 : -1);
	CHECK_RC(ice_manifest_open_location(&r, io, NULL, "/nonexistent/m.avro"), ICE_ENOTFOUND);
	unlink(path);
	unlink(list);
	ice_io_free(io);
	sample_free(&smp);
}
