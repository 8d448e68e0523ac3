/*
 * Unit tests of lib/puffin: the reference Puffin files (Java: empty,
 * uncompressed, zstd; iceberg-go: deletion-vector blobs), the reference
 * deletion vectors and 64-bit Roaring bitmaps (decoded to the values the
 * reference tests state, and serialized back to the same bytes), the bare
 * vector of the legacy_bare_deletion_vector table, written files read back,
 * random vectors against a brute-force set, damaged input, and every
 * allocation failure.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ice.h"
#include "puffin/internal.h"
#include "test.h"

static const char *fx(const char *rel)
{
	return ice_test_fixture(rel);
}

TEST(test_puffin_read__empty_file)
{
	ice_io *io;
	ice_puffin_reader *r;
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_puffin_reader_open(&r, io, fx("puffin/java/v1/empty-puffin-uncompressed.bin")));
	CHECK_INT(ice_puffin_reader_blob_count(r), 0);
	CHECK_INT(ice_puffin_reader_property_count(r), 0);
	CHECK_INT(ice_puffin_reader_file_size(r), 32);
	ice_puffin_reader_free(r);
	ice_io_free(io);
}

static void check_sample(const char *rel)
{
	ice_io *io;
	ice_puffin_reader *r;
	uint8_t *data;
	size_t len;
	static const char other[] = "some blob \0 binary data \xf0\x9f\xa4\xaf that is not very very very very very very "
	                            "long, is it?";
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_puffin_reader_open(&r, io, fx(rel)));
	CHECK_INT(ice_puffin_reader_blob_count(r), 2);
	const ice_puffin_blob *b = ice_puffin_reader_blob(r, 0);
	CHECK_STR(b->type, "some-blob");
	CHECK_INT(b->nfields, 1);
	CHECK_INT(b->fields[0], 1);
	CHECK_INT(b->snapshot_id, 2);
	CHECK_INT(b->sequence_number, 1);
	CHECK_INT(b->offset, 4);
	CHECK_OK(ice_puffin_reader_read_blob(r, 0, 0, &data, &len));
	CHECK(len == 9 && !memcmp(data, "abcdefghi", 9));
	ice_free(data);
	b = ice_puffin_reader_blob(r, 1);
	CHECK_STR(b->type, "some-other-blob");
	CHECK_INT(b->fields[0], 2);
	CHECK_OK(ice_puffin_reader_read_blob(r, 1, 0, &data, &len));
	CHECK_INT(len, sizeof(other) - 1);
	CHECK(!memcmp(data, other, len));
	ice_free(data);
	CHECK_INT(ice_puffin_reader_property_count(r), 1);
	CHECK_STR(ice_puffin_reader_property(r, 0)->key, "created-by");
	CHECK_STR(ice_puffin_reader_property(r, 0)->value, "Test 1234");
	CHECK(ice_puffin_reader_blob(r, 2) == NULL);
	CHECK_RC(ice_puffin_reader_read_blob(r, 2, 0, &data, &len), ICE_EINVALID);
	ice_puffin_reader_free(r);
	ice_io_free(io);
}

TEST(test_puffin_read__sample_uncompressed)
{
	check_sample("puffin/java/v1/sample-metric-data-uncompressed.bin");
}

TEST(test_puffin_read__sample_zstd)
{
	check_sample("puffin/java/v1/sample-metric-data-compressed-zstd.bin");
	ice_io *io;
	ice_puffin_reader *r;
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_puffin_reader_open(&r, io, fx("puffin/java/v1/sample-metric-data-compressed-zstd.bin")));
	CHECK_STR(ice_puffin_reader_blob(r, 0)->compression_codec, "zstd");
	ice_puffin_reader_free(r);
	ice_io_free(io);
}

/* Every deletion-vector blob of a Puffin file decodes, with the
 * cardinality its properties state. */
static void check_dv_file(const char *rel, size_t nblobs, const int64_t *expect, size_t nexpect)
{
	ice_io *io;
	ice_puffin_reader *r;
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_puffin_reader_open(&r, io, fx(rel)));
	CHECK_INT(ice_puffin_reader_blob_count(r), nblobs);
	for (size_t i = 0; i < nblobs; i++) {
		const ice_puffin_blob *b = ice_puffin_reader_blob(r, i);
		uint8_t *data;
		size_t len;
		ice_deletion_vector *dv, *dv2;
		CHECK_STR(b->type, ICE_PUFFIN_DELETION_VECTOR_V1);
		CHECK(ice_puffin_blob_property(b, "referenced-data-file") != NULL);
		CHECK_OK(ice_puffin_reader_read_blob(r, i, 0, &data, &len));
		CHECK_OK(ice_deletion_vector_decode(&dv, data, len, rel));
		CHECK_INT(ice_deletion_vector_cardinality(dv), atoll(ice_puffin_blob_property(b, "cardinality")));
		/* the same through the manifest's addressing */
		CHECK_OK(ice_deletion_vector_read(&dv2, io, fx(rel), b->offset, b->length));
		CHECK_INT(ice_deletion_vector_cardinality(dv2), ice_deletion_vector_cardinality(dv));
		if (i == 0 && expect) {
			int64_t p = ice_deletion_vector_next(dv, 0);
			for (size_t k = 0; k < nexpect; k++) {
				CHECK_INT(p, expect[k]);
				p = ice_deletion_vector_next(dv, p + 1);
			}
			CHECK_INT(p, -1);
		}
		/* serializing gives the writer's bytes back */
		uint8_t *again;
		size_t alen;
		CHECK_OK(ice_deletion_vector_serialize(dv, &again, &alen));
		CHECK(alen == len && !memcmp(again, data, len));
		ice_free(again);
		ice_deletion_vector_free(dv);
		ice_deletion_vector_free(dv2);
		ice_free(data);
	}
	ice_puffin_reader_free(r);
	ice_io_free(io);
}

TEST(test_puffin_dv__iceberg_go_files)
{
	static const int64_t odd[] = {1, 3, 5, 7, 9};
	check_dv_file("puffin/iceberg-go/deletion-vector-v1.puffin", 1, odd, 5);
	check_dv_file("puffin/iceberg-go/single-blob-dv.puffin", 1, NULL, 0);
	check_dv_file("puffin/iceberg-go/multi-blob-dv.puffin", 2, NULL, 0);
}

static ice_deletion_vector *decode_file(const char *rel, bool bare_bitmap)
{
	size_t len;
	char *data = ice_test_read_file(fx(rel), &len);
	ice_deletion_vector *dv = NULL;
	if (!data)
		return NULL;
	if (bare_bitmap)
		ice_deletion_vector_decode_bitmap(&dv, (const uint8_t *)data, len, rel);
	else
		ice_deletion_vector_decode(&dv, (const uint8_t *)data, len, rel);
	free(data);
	return dv;
}

/* The vector serializes to exactly the bytes of `rel`. */
static bool same_bytes(const ice_deletion_vector *dv, const char *rel)
{
	size_t len, glen;
	uint8_t *bytes;
	char *golden = ice_test_read_file(fx(rel), &glen);
	bool same = false;
	if (golden && ice_deletion_vector_serialize(dv, &bytes, &len) == 0) {
		same = len == glen && !memcmp(bytes, golden, len);
		ice_free(bytes);
	}
	free(golden);
	return same;
}

TEST(test_puffin_dv__java_position_indexes)
{
	ice_deletion_vector *dv = decode_file("puffin/java/deletes/empty-position-index.bin", false);
	CHECK(dv);
	CHECK_INT(ice_deletion_vector_cardinality(dv), 0);
	CHECK_INT(ice_deletion_vector_next(dv, 0), -1);
	CHECK(same_bytes(dv, "puffin/java/deletes/empty-position-index.bin"));
	ice_deletion_vector_free(dv);

	dv = decode_file("puffin/java/deletes/small-alternating-values-position-index.bin", false);
	CHECK(dv);
	CHECK_INT(ice_deletion_vector_cardinality(dv), 5);
	for (int64_t p = 0; p < 12; p++)
		CHECK(ice_deletion_vector_contains(dv, p) == (p % 2 == 1 && p < 10));
	ice_deletion_vector_free(dv);

	dv = decode_file("puffin/java/deletes/small-and-large-values-position-index.bin", false);
	CHECK(dv);
	CHECK_INT(ice_deletion_vector_cardinality(dv), 4);
	int64_t big = 2147483647LL;
	CHECK(ice_deletion_vector_contains(dv, 100) && ice_deletion_vector_contains(dv, 101));
	CHECK(ice_deletion_vector_contains(dv, big + 100) && ice_deletion_vector_contains(dv, big + 101));
	CHECK(!ice_deletion_vector_contains(dv, 102) && !ice_deletion_vector_contains(dv, big + 102));
	ice_deletion_vector_free(dv);

	/* the reference test's set: per 32-bit key, an array, a run and a
	 * full-ish container, built here and compared byte for byte */
	dv = decode_file("puffin/java/deletes/all-container-types-position-index.bin", false);
	CHECK(dv);
	CHECK_INT(ice_deletion_vector_cardinality(dv), 132561);
	ice_deletion_vector *built;
	CHECK_OK(ice_deletion_vector_new(&built));
	for (int64_t key = 0; key < 2; key++) {
		int64_t base = key << 32;
		CHECK_OK(ice_deletion_vector_add(built, base + (key ? 10 : 5)));
		CHECK_OK(ice_deletion_vector_add(built, base + (key ? 20 : 7)));
		CHECK_OK(ice_deletion_vector_add_range(built, base + 65536 + (key ? 10 : 1), base + 65536 + (key ? 500 : 1000)));
		CHECK_OK(ice_deletion_vector_add_range(built, base + 2 * 65536 + 1, base + 3 * 65536 - 1));
	}
	CHECK_INT(ice_deletion_vector_cardinality(built), 132561);
	for (int64_t p = ice_deletion_vector_next(dv, 0); p >= 0; p = ice_deletion_vector_next(dv, p + 1))
		CHECK(ice_deletion_vector_contains(built, p));
	CHECK(same_bytes(built, "puffin/java/deletes/all-container-types-position-index.bin"));
	ice_deletion_vector_free(built);
	ice_deletion_vector_free(dv);
}

TEST(test_puffin_dv__roaring_reference_bitmaps)
{
	ice_deletion_vector *dv = decode_file("puffin/java/deletes/64mapempty.bin", true);
	CHECK(dv);
	CHECK_INT(ice_deletion_vector_cardinality(dv), 0);
	ice_deletion_vector_free(dv);

	dv = decode_file("puffin/java/deletes/64map32bitvals.bin", true);
	CHECK(dv);
	CHECK_INT(ice_deletion_vector_cardinality(dv), 10);
	for (int64_t p = 0; p < 10; p++)
		CHECK(ice_deletion_vector_contains(dv, p));
	ice_deletion_vector_free(dv);

	dv = decode_file("puffin/java/deletes/64mapspreadvals.bin", true);
	CHECK(dv);
	CHECK_INT(ice_deletion_vector_cardinality(dv), 100);
	int64_t p = ice_deletion_vector_next(dv, 0);
	for (int64_t key = 0; key < 10; key++)
		for (int64_t v = 0; v < 10; v++) {
			CHECK_INT(p, (key << 32) + v);
			p = ice_deletion_vector_next(dv, p + 1);
		}
	CHECK_INT(p, -1);
	ice_deletion_vector_free(dv);

	/* keys with the sign bit set are not positions */
	size_t len;
	char *data = ice_test_read_file(fx("puffin/java/deletes/64maphighvals.bin"), &len);
	CHECK(data);
	int rc = ice_deletion_vector_decode_bitmap(&dv, (const uint8_t *)data, len, "64maphighvals.bin");
	free(data);
	CHECK_INT(rc, ICE_EINVALID);
	CHECK(dv == NULL);
	CHECK_ERROR_CONTAINS("key too large");
}

TEST(test_puffin_dv__legacy_bare_vector)
{
	/* the table's delete entry points at the whole file: content_offset 0,
	 * content_size_in_bytes 42, no Puffin container around it */
	const char *loc = fx("tables/duckdb-iceberg/legacy_bare_deletion_vector/warehouse/default/"
	                     "legacy_bare_deletion_vector/data/legacy-bare-deletion-vector.puffin");
	ice_io *io;
	ice_deletion_vector *dv;
	ice_puffin_reader *r;
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_deletion_vector_read(&dv, io, loc, 0, 42));
	CHECK_INT(ice_deletion_vector_cardinality(dv), 1);
	CHECK(ice_deletion_vector_contains(dv, 1));
	ice_deletion_vector_free(dv);
	/* as a Puffin file it is refused, naming the file */
	CHECK_RC(ice_puffin_reader_open(&r, io, loc), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("legacy-bare-deletion-vector.puffin: footer");
	CHECK_RC(ice_deletion_vector_read(&dv, io, loc, 0, 43), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("outside the file");
	CHECK_RC(ice_deletion_vector_read(&dv, io, "/nonexistent/dv.puffin", 0, 42), ICE_ENOTFOUND);
	ice_io_free(io);
}

/* ---- writing -------------------------------------------------------------------- */

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
	static char path[128];
	if (!tmpdir[0]) {
		strcpy(tmpdir, "/tmp/ice-puffinXXXXXX");
		if (!mkdtemp(tmpdir))
			return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	return path;
}

TEST(test_puffin_write__round_trip)
{
	static const char *codecs[] = {NULL, "zstd", "lz4"};
	for (int compress_footer = 0; compress_footer < 2; compress_footer++) {
		ice_io *io;
		ice_puffin_writer *w;
		ice_puffin_reader *r;
		const char *path = tmp_path(compress_footer ? "lz4-footer.puffin" : "plain.puffin");
		int64_t off[4], len[4];
		uint8_t payload[3000];
		for (size_t i = 0; i < sizeof(payload); i++)
			payload[i] = (uint8_t)(i % 7 == 0 ? i : 'x');
		CHECK_OK(ice_io_new(&io));
		CHECK_OK(ice_puffin_writer_open(&w, io, path));
		CHECK_OK(ice_puffin_writer_set_property(w, "created-by", "ice test"));
		CHECK_OK(ice_puffin_writer_set_property(w, "created-by", "ice unit test"));
		for (int c = 0; c < 3; c++) {
			int32_t fields[2] = {1, 2 + c};
			ice_puffin_property props[1] = {{"ndv", "12"}};
			ice_puffin_blob meta = {"apache-datasketches-theta-v1", 2, fields, 77, 3, 0, 0, codecs[c], 1, props};
			CHECK_OK(ice_puffin_writer_add(w, &meta, payload, sizeof(payload) - (size_t)c, &off[c], &len[c]));
		}
		ice_deletion_vector *dv;
		CHECK_OK(ice_deletion_vector_new(&dv));
		CHECK_OK(ice_deletion_vector_add(dv, 3));
		CHECK_OK(ice_deletion_vector_add(dv, (int64_t)5 << 33));
		CHECK_OK(ice_puffin_writer_add_deletion_vector(w, dv, "s3://b/data/f.parquet", &off[3], &len[3]));
		uint64_t size;
		CHECK_OK(ice_puffin_writer_close(w, compress_footer, &size));
		CHECK(off[0] == 4 && off[1] == 4 + len[0]);
		CHECK(len[1] < (int64_t)sizeof(payload) && len[2] < (int64_t)sizeof(payload));

		CHECK_OK(ice_puffin_reader_open(&r, io, path));
		CHECK_INT(ice_puffin_reader_file_size(r), size);
		CHECK_INT(ice_puffin_reader_blob_count(r), 4);
		CHECK_STR(ice_puffin_reader_property(r, 0)->value, "ice unit test");
		for (size_t c = 0; c < 3; c++) {
			const ice_puffin_blob *b = ice_puffin_reader_blob(r, c);
			uint8_t *data;
			size_t n;
			CHECK_INT(b->offset, off[c]);
			CHECK_INT(b->length, len[c]);
			CHECK_INT(b->snapshot_id, 77);
			CHECK_INT(b->fields[1], 2 + (int)c);
			CHECK_STR(ice_puffin_blob_property(b, "ndv"), "12");
			CHECK(codecs[c] ? b->compression_codec && !strcmp(b->compression_codec, codecs[c])
			                : !b->compression_codec);
			CHECK_OK(ice_puffin_reader_read_blob(r, c, 0, &data, &n));
			CHECK(n == sizeof(payload) - c && !memcmp(data, payload, n));
			ice_free(data);
		}
		const ice_puffin_blob *b = ice_puffin_reader_blob(r, 3);
		CHECK_STR(b->type, "deletion-vector-v1");
		CHECK_STR(ice_puffin_blob_property(b, "referenced-data-file"), "s3://b/data/f.parquet");
		CHECK_STR(ice_puffin_blob_property(b, "cardinality"), "2");
		CHECK_INT(b->snapshot_id, -1);
		CHECK_INT(b->fields[0], ICE_PUFFIN_ROW_POSITION_FIELD_ID);
		ice_deletion_vector *back;
		CHECK_OK(ice_deletion_vector_read(&back, io, path, off[3], len[3]));
		CHECK_INT(ice_deletion_vector_cardinality(back), 2);
		CHECK(ice_deletion_vector_contains(back, (int64_t)5 << 33) && ice_deletion_vector_contains(back, 3));
		ice_deletion_vector_free(back);
		ice_deletion_vector_free(dv);
		ice_puffin_reader_free(r);
		/* the file exists now: writers never replace */
		CHECK_RC(ice_puffin_writer_open(&w, io, path), ICE_EEXISTS);
		ice_io_free(io);
	}
	/* an unknown codec is refused and leaves the writer usable */
	ice_io *io;
	ice_puffin_writer *w;
	CHECK_OK(ice_io_new(&io));
	CHECK_OK(ice_puffin_writer_open(&w, io, tmp_path("aborted.puffin")));
	ice_puffin_blob meta = {"x", 0, NULL, 1, 1, 0, 0, "snappy", 0, NULL};
	CHECK_RC(ice_puffin_writer_add(w, &meta, (const uint8_t *)"a", 1, NULL, NULL), ICE_EUNSUPPORTED);
	ice_puffin_writer_abort(w);
	CHECK(access(tmp_path("aborted.puffin"), F_OK) != 0);
	ice_io_free(io);
}

/* ---- vectors against brute force ----------------------------------------------------------- */

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

TEST(test_puffin_dv__random_sets)
{
	for (int round = 0; round < 40; round++) {
		size_t n = (size_t)(next_rand() % 20000);
		int64_t *pos = malloc((n ? n : 1) * sizeof(int64_t));
		ice_deletion_vector *dv;
		CHECK(pos);
		CHECK_OK(ice_deletion_vector_new(&dv));
		int shape = round % 4;
		for (size_t i = 0; i < n; i++) {
			uint64_t r = next_rand();
			int64_t p = shape == 0   ? (int64_t)(r % 100000)                          /* dense: bitmaps */
			            : shape == 1 ? (int64_t)(r % 5000000)                         /* sparse: arrays */
			            : shape == 2 ? (int64_t)((r % 40) * 1000 + (r >> 40) % 300)   /* runs */
			                         : (int64_t)((r % 3) << 32) + (int64_t)(r >> 44); /* several keys */
			pos[i] = p;
			CHECK_OK(ice_deletion_vector_add(dv, p));
		}
		qsort(pos, n, sizeof(int64_t), cmp_i64);
		size_t distinct = 0;
		for (size_t i = 0; i < n; i++)
			if (i == 0 || pos[i] != pos[i - 1])
				pos[distinct++] = pos[i];
		CHECK_INT(ice_deletion_vector_cardinality(dv), distinct);
		int64_t p = ice_deletion_vector_next(dv, 0);
		for (size_t i = 0; i < distinct; i++) {
			CHECK_INT(p, pos[i]);
			p = ice_deletion_vector_next(dv, p + 1);
		}
		CHECK_INT(p, -1);
		for (int k = 0; k < 2000 && distinct; k++) {
			int64_t q = pos[next_rand() % distinct] + (int64_t)(next_rand() % 3) - 1;
			bool in = bsearch(&q, pos, distinct, sizeof(int64_t), cmp_i64) != NULL;
			CHECK(ice_deletion_vector_contains(dv, q) == in);
		}
		/* through bytes and back */
		uint8_t *bytes;
		size_t len;
		ice_deletion_vector *back;
		CHECK_OK(ice_deletion_vector_serialize(dv, &bytes, &len));
		CHECK_OK(ice_deletion_vector_decode(&back, bytes, len, NULL));
		CHECK_INT(ice_deletion_vector_cardinality(back), distinct);
		for (size_t i = 0; i < distinct; i += 7)
			CHECK(ice_deletion_vector_contains(back, pos[i]));
		/* marking a bitmap */
		uint64_t nbits = 200000;
		uint8_t *bits = calloc(nbits / 8 + 1, 1);
		CHECK(bits);
		ice_deletion_vector_mark(back, bits, nbits);
		size_t set = 0, expect = 0;
		for (uint64_t b = 0; b < nbits; b++)
			set += (bits[b / 8] >> (b % 8)) & 1;
		for (size_t i = 0; i < distinct; i++)
			expect += pos[i] < (int64_t)nbits;
		CHECK_INT(set, expect);
		free(bits);
		/* merging into an empty vector copies it */
		ice_deletion_vector *merged;
		CHECK_OK(ice_deletion_vector_new(&merged));
		CHECK_OK(ice_deletion_vector_merge(merged, back));
		CHECK_INT(ice_deletion_vector_cardinality(merged), distinct);
		ice_deletion_vector_free(merged);
		ice_deletion_vector_free(back);
		ice_free(bytes);
		ice_deletion_vector_free(dv);
		free(pos);
	}
	ice_deletion_vector *dv;
	CHECK_OK(ice_deletion_vector_new(&dv));
	CHECK_RC(ice_deletion_vector_add(dv, -1), ICE_EINVALID);
	CHECK(!ice_deletion_vector_contains(dv, -5));
	ice_deletion_vector_free(dv);
}

/* ---- damage ------------------------------------------------------------------------------ */

static void one_line_error(int rc)
{
	CHECK(rc != 0);
	CHECK(ice_error_last() && !strchr(ice_error_last()->message, '\n'));
}

/* Read a Puffin file from memory: footer, then every blob. */
static int read_mem(const uint8_t *data, size_t len)
{
	ice_io *io;
	ice_puffin_reader *r;
	int rc;
	const char *path = tmp_path("damaged.puffin");
	FILE *f = fopen(path, "wb");
	if (!f)
		return ICE_ERROR;
	fwrite(data, 1, len, f);
	fclose(f);
	if ((rc = ice_io_new(&io)) != 0)
		return rc;
	if ((rc = ice_puffin_reader_open(&r, io, path)) == 0) {
		for (size_t i = 0; i < ice_puffin_reader_blob_count(r) && !rc; i++) {
			uint8_t *blob;
			size_t n;
			if ((rc = ice_puffin_reader_read_blob(r, i, 0, &blob, &n)) == 0) {
				ice_deletion_vector *dv;
				if (!strcmp(ice_puffin_reader_blob(r, i)->type, "deletion-vector-v1"))
					rc = ice_deletion_vector_decode(&dv, blob, n, "blob");
				if (!rc && !strcmp(ice_puffin_reader_blob(r, i)->type, "deletion-vector-v1"))
					ice_deletion_vector_free(dv);
				ice_free(blob);
			}
		}
		ice_puffin_reader_free(r);
	}
	ice_io_free(io);
	return rc;
}

TEST(test_puffin_damage__truncation_and_flips)
{
	static const char *files[] = {"puffin/java/v1/sample-metric-data-compressed-zstd.bin",
	                              "puffin/iceberg-go/multi-blob-dv.puffin"};
	for (size_t f = 0; f < 2; f++) {
		size_t len;
		uint8_t *data = (uint8_t *)ice_test_read_file(fx(files[f]), &len);
		CHECK(data);
		CHECK_OK(read_mem(data, len));
		for (size_t cut = 0; cut < len; cut++) {
			int rc = read_mem(data, cut);
			one_line_error(rc);
			if (ice_test_failed())
				break;
		}
		/* a flipped byte either still reads (JSON whitespace, a property
		 * value) or fails with one line; never crashes */
		for (size_t at = 0; at < len; at++) {
			data[at] ^= 0x41;
			int rc = read_mem(data, len);
			if (rc)
				one_line_error(rc);
			data[at] ^= 0x41;
		}
		free(data);
	}
	/* a flipped bit inside a vector is caught by its CRC */
	size_t len;
	uint8_t *dvb = (uint8_t *)ice_test_read_file(fx("puffin/iceberg-go/deletion-vector-v1-payload.bin"), &len);
	CHECK(dvb);
	for (size_t at = 4; at < len; at++) {
		ice_deletion_vector *dv;
		dvb[at] ^= 0x10;
		CHECK_RC(ice_deletion_vector_decode(&dv, dvb, len, "payload.bin"), ICE_EINVALID);
		dvb[at] ^= 0x10;
	}
	ice_deletion_vector *dv;
	CHECK_OK(ice_deletion_vector_decode(&dv, dvb, len, "payload.bin"));
	ice_deletion_vector_free(dv);
	dvb[len - 1] ^= 1;
	CHECK_RC(ice_deletion_vector_decode(&dv, dvb, len, "payload.bin"), ICE_EINVALID);
	CHECK_ERROR_CONTAINS("payload.bin: offset 46: deletion vector CRC");
	free(dvb);
}

TEST(test_puffin_damage__hostile_bitmaps)
{
	/* hand-made bitmaps: each must be refused with a message */
	static const struct {
		const char *name;
		uint8_t bytes[40];
		size_t len;
		const char *error;
	} cases[] = {
		{"unknown cookie", {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x39, 0x30, 0, 0}, 16, "unknown Roaring cookie"},
		{"keys out of order",
		 {2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x3a, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x3a, 0x30, 0, 0, 0, 0, 0, 0},
		 32, "out of order"},
		{"too many containers", {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x3a, 0x30, 0, 0, 1, 0, 2, 0}, 20,
		 "container count"},
		{"array out of order",
		 {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x3a, 0x30, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 20, 0, 0, 0, 5, 0, 4, 0},
		 32, "values out of order"},
		{"run past the container",
		 {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x3b, 0x30, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0xff, 0xff, 2, 0}, 27,
		 "out-of-range run"},
		{"truncated", {5, 0, 0, 0, 0, 0, 0, 0}, 8, "truncated"},
		{"trailing bytes", {0, 0, 0, 0, 0, 0, 0, 0, 7}, 9, "bytes left"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ice_deletion_vector *dv;
		int rc = ice_deletion_vector_decode_bitmap(&dv, cases[i].bytes, cases[i].len, cases[i].name);
		CHECK_MSG(rc == ICE_EINVALID, "%s: %d", cases[i].name, rc);
		CHECK_MSG(strstr(LAST_ERROR(), cases[i].error), "%s: %s", cases[i].name, LAST_ERROR());
	}
}

/* ---- allocation failures ---------------------------------------------------------------- */

static int read_everything(ice_io *io)
{
	ice_puffin_reader *r;
	ice_deletion_vector *dv;
	uint8_t *data;
	size_t len;
	int rc;
	if ((rc = ice_puffin_reader_open(&r, io, fx("puffin/iceberg-go/multi-blob-dv.puffin"))) != 0)
		return rc;
	for (size_t i = 0; i < ice_puffin_reader_blob_count(r) && !rc; i++) {
		if ((rc = ice_puffin_reader_read_blob(r, i, 0, &data, &len)) != 0)
			break;
		if ((rc = ice_deletion_vector_decode(&dv, data, len, NULL)) == 0) {
			uint8_t *again;
			if ((rc = ice_deletion_vector_serialize(dv, &again, &len)) == 0)
				ice_free(again);
			ice_deletion_vector_free(dv);
		}
		ice_free(data);
	}
	ice_puffin_reader_free(r);
	if (rc)
		return rc;
	if ((rc = ice_puffin_reader_open(&r, io, fx("puffin/java/v1/sample-metric-data-compressed-zstd.bin"))) != 0)
		return rc;
	if ((rc = ice_puffin_reader_read_blob(r, 1, 0, &data, &len)) == 0)
		ice_free(data);
	ice_puffin_reader_free(r);
	if (rc)
		return rc;
	ice_deletion_vector *big;
	if ((rc = ice_deletion_vector_new(&big)) != 0)
		return rc;
	if ((rc = ice_deletion_vector_add_range(big, 0, 70000)) == 0 && (rc = ice_deletion_vector_add(big, 1ll << 40)) == 0)
		rc = ice_deletion_vector_add(big, 5ll << 16);
	ice_deletion_vector_free(big);
	if (rc)
		return rc;
	ice_puffin_writer *w;
	const char *path = tmp_path("alloc.puffin");
	if ((rc = ice_puffin_writer_open(&w, io, path)) != 0)
		return rc;
	ice_puffin_blob meta = {"t", 0, NULL, 1, 1, 0, 0, "zstd", 0, NULL};
	if ((rc = ice_puffin_writer_set_property(w, "k", "v")) != 0 ||
	    (rc = ice_puffin_writer_add(w, &meta, (const uint8_t *)"abc", 3, NULL, NULL)) != 0) {
		ice_puffin_writer_abort(w);
		return rc;
	}
	return ice_puffin_writer_close(w, true, NULL);
}

TEST(test_puffin_alloc__every_failure)
{
	ice_io *io;
	CHECK_OK(ice_io_new(&io));
	for (uint64_t n = 1;; n++) {
		int64_t before = ice_alloc_outstanding();
		ice_alloc_fail_at(n, false);
		int rc = read_everything(io);
		bool injected = ice_alloc_injected_failure();
		ice_alloc_fail_at(0, false);
		CHECK_MSG(ice_alloc_outstanding() == before, "leak after failing allocation %llu", (unsigned long long)n);
		if (!injected) {
			CHECK_OK(rc);
			break;
		}
		CHECK_MSG(rc != 0, "allocation %llu failed but reading succeeded", (unsigned long long)n);
		CHECK_OOM();
	}
	ice_io_free(io);
}
