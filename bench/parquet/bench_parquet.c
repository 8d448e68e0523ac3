/*
 * bench/parquet/bench_parquet.c - the C side of the Parquet benchmarks
 * (bench/parquet/run.py drives it and the peers):
 *
 *   bench-parquet write OUT ROWS CODEC LEVEL [stream]
 *       build the lineitem rows as Arrow batches (all of them first, so only
 *       the writer is timed, as the peers write from memory; with "stream",
 *       one batch at a time, to show the writer's own memory) and write them
 *       with ice's writer. Prints {"seconds": S, "bytes": N}.
 *   bench-parquet read FILE [COL,COL...|-] [THREADS]
 *       scan every batch (or only the named columns; "-": all), decoding
 *       columns on THREADS threads (default 1). Prints
 *       {"seconds": S, "rows": N}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ice.h"
#include "lineitem.h"

#define BATCH 65536
#define NCOLS 16

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what)
{
	const ice_error *e = ice_error_last();
	fprintf(stderr, "bench-parquet: %s: %s\n", what, e ? e->message : "error");
	exit(1);
}

/* ---- the schema ---- */

static const char *const names[NCOLS] = {
	"l_orderkey", "l_partkey", "l_suppkey", "l_linenumber", "l_quantity", "l_extendedprice",
	"l_discount", "l_tax", "l_returnflag", "l_linestatus", "l_shipdate", "l_commitdate",
	"l_receiptdate", "l_shipinstruct", "l_shipmode", "l_comment",
};
static const char *const formats[NCOLS] = {"l", "l", "l", "i", "d:15,2", "d:15,2", "d:15,2", "d:15,2",
                                           "u", "u", "tdD", "tdD", "tdD", "u", "u", "u"};

static ice_type t_long = {ICE_TYPE_LONG, {{0, 0}}}, t_int = {ICE_TYPE_INT, {{0, 0}}},
                t_date = {ICE_TYPE_DATE, {{0, 0}}}, t_string = {ICE_TYPE_STRING, {{0, 0}}},
                t_dec = {ICE_TYPE_DECIMAL, {{15, 2}}};
static ice_field fields[NCOLS];
static ice_type table_type;

static void build_schema(void)
{
	const ice_type *types[NCOLS] = {&t_long, &t_long, &t_long, &t_int, &t_dec, &t_dec, &t_dec, &t_dec,
	                                &t_string, &t_string, &t_date, &t_date, &t_date, &t_string, &t_string,
	                                &t_string};
	for (int i = 0; i < NCOLS; i++) {
		fields[i].id = i + 1;
		fields[i].name = names[i];
		fields[i].required = true;
		fields[i].type = types[i];
	}
	table_type.id = ICE_TYPE_STRUCT;
	table_type.u.struct_.nfields = NCOLS;
	table_type.u.struct_.fields = fields;
}

/* ---- Arrow batches we own ---- */

typedef struct owned {
	void *bufs[NCOLS][3];
	const void *ptrs[NCOLS][3];
	struct ArrowArray cols[NCOLS];
	struct ArrowArray *colp[NCOLS];
	const void *top_bufs[1];
} owned;

static void release_child(struct ArrowArray *a)
{
	a->release = NULL;
}

static void release_batch(struct ArrowArray *a)
{
	owned *o = a->private_data;
	for (int c = 0; c < NCOLS; c++)
		for (int b = 0; b < 3; b++)
			free(o->bufs[c][b]);
	free(o);
	a->release = NULL;
}

static void release_schema(struct ArrowSchema *s)
{
	free(s->children);
	s->release = NULL;
}

static struct ArrowSchema child_schemas[NCOLS];

static void make_schema(struct ArrowSchema *s)
{
	struct ArrowSchema **kids = malloc(sizeof(*kids) * NCOLS);
	for (int i = 0; i < NCOLS; i++) {
		memset(&child_schemas[i], 0, sizeof(child_schemas[i]));
		child_schemas[i].format = formats[i];
		child_schemas[i].name = names[i];
		child_schemas[i].release = release_schema;
		kids[i] = &child_schemas[i];
	}
	memset(s, 0, sizeof(*s));
	s->format = "+s";
	s->name = "";
	s->n_children = NCOLS;
	s->children = kids;
	s->release = release_schema;
}

static char vocab[LINEITEM_VOCAB][12];

static void build_vocab(void)
{
	for (uint64_t w = 0; w < LINEITEM_VOCAB; w++) {
		uint64_t h1 = splitmix64(w * 7 + 1), h2 = splitmix64(w * 7 + 2);
		int len = 3 + (int)(h1 % 7);
		for (int k = 0; k < len; k++)
			vocab[w][k] = (char)('a' + (h2 >> (5 * k)) % 26);
		vocab[w][len] = '\0';
	}
}

static void strings(owned *o, int c, int64_t n, const char *(*pick)(uint64_t row, char *tmp), uint64_t first)
{
	int32_t *off = malloc(sizeof(int32_t) * (size_t)(n + 1));
	size_t cap = (size_t)n * 8 + 64, len = 0;
	char *data = malloc(cap), tmp[128];
	off[0] = 0;
	for (int64_t i = 0; i < n; i++) {
		const char *s = pick(first + (uint64_t)i, tmp);
		size_t l = strlen(s);
		if (len + l > cap) {
			cap = (cap + l) * 2;
			data = realloc(data, cap);
		}
		memcpy(data + len, s, l);
		len += l;
		off[i + 1] = (int32_t)len;
	}
	o->bufs[c][1] = off;
	o->bufs[c][2] = data;
}

static const char *pick_flag(uint64_t r, char *t)
{
	(void)t;
	return lineitem_flags[cell(r, 8) % 3];
}
static const char *pick_status(uint64_t r, char *t)
{
	(void)t;
	return lineitem_status[cell(r, 9) % 2];
}
static const char *pick_instruct(uint64_t r, char *t)
{
	(void)t;
	return lineitem_instruct[cell(r, 13) % 4];
}
static const char *pick_mode(uint64_t r, char *t)
{
	(void)t;
	return lineitem_modes[cell(r, 14) % 7];
}
static const char *pick_comment(uint64_t r, char *t)
{
	int words = 2 + (int)(cell(r, 15) % 4);
	size_t len = 0;
	for (int j = 0; j < words; j++) {
		const char *w = vocab[cell(r, 16 + (unsigned)j) % LINEITEM_VOCAB];
		if (j)
			t[len++] = ' ';
		size_t l = strlen(w);
		memcpy(t + len, w, l);
		len += l;
	}
	t[len] = '\0';
	return t;
}

static void make_batch(struct ArrowArray *out, uint64_t first, int64_t n)
{
	owned *o = calloc(1, sizeof(*o));
	int64_t *l0 = malloc(8 * (size_t)n), *l1 = malloc(8 * (size_t)n), *l2 = malloc(8 * (size_t)n);
	int32_t *ln = malloc(4 * (size_t)n), *d0 = malloc(4 * (size_t)n), *d1 = malloc(4 * (size_t)n),
	        *d2 = malloc(4 * (size_t)n);
	int64_t *dec[4];
	for (int k = 0; k < 4; k++)
		dec[k] = malloc(16 * (size_t)n);
	for (int64_t i = 0; i < n; i++) {
		uint64_t r = first + (uint64_t)i;
		l0[i] = (int64_t)(r / 4 + 1);
		l1[i] = (int64_t)(cell(r, 1) % 200000 + 1);
		l2[i] = (int64_t)(cell(r, 2) % 10000 + 1);
		ln[i] = (int32_t)(r % 4 + 1);
		int64_t q = (int64_t)(cell(r, 4) % 50 + 1) * 100, p = (int64_t)(cell(r, 5) % 10000000),
		        di = (int64_t)(cell(r, 6) % 11), tx = (int64_t)(cell(r, 7) % 9);
		int64_t v[4] = {q, p, di, tx};
		for (int k = 0; k < 4; k++) {
			dec[k][2 * i] = v[k];
			dec[k][2 * i + 1] = v[k] < 0 ? -1 : 0;
		}
		int32_t ship = 8035 + (int32_t)(cell(r, 10) % 2526);
		d0[i] = ship;
		d1[i] = ship + (int32_t)(cell(r, 11) % 60) - 30;
		d2[i] = ship + (int32_t)(cell(r, 12) % 30) + 1;
	}
	o->bufs[0][1] = l0;
	o->bufs[1][1] = l1;
	o->bufs[2][1] = l2;
	o->bufs[3][1] = ln;
	for (int k = 0; k < 4; k++)
		o->bufs[4 + k][1] = dec[k];
	strings(o, 8, n, pick_flag, first);
	strings(o, 9, n, pick_status, first);
	o->bufs[10][1] = d0;
	o->bufs[11][1] = d1;
	o->bufs[12][1] = d2;
	strings(o, 13, n, pick_instruct, first);
	strings(o, 14, n, pick_mode, first);
	strings(o, 15, n, pick_comment, first);
	for (int c = 0; c < NCOLS; c++) {
		struct ArrowArray *a = &o->cols[c];
		bool var = formats[c][0] == 'u';
		for (int b = 0; b < 3; b++)
			o->ptrs[c][b] = o->bufs[c][b];
		memset(a, 0, sizeof(*a));
		a->length = n;
		a->n_buffers = var ? 3 : 2;
		a->buffers = o->ptrs[c];
		a->release = release_child;
		o->colp[c] = a;
	}
	memset(out, 0, sizeof(*out));
	out->length = n;
	out->n_buffers = 1;
	o->top_bufs[0] = NULL;
	out->buffers = o->top_bufs;
	out->n_children = NCOLS;
	out->children = o->colp;
	out->release = release_batch;
	out->private_data = o;
}

static int cmd_write(const char *path, int64_t rows, const char *codec, const char *level, bool stream)
{
	ice_io *io;
	ice_parquet_writer *w;
	ice_parquet_write_options opts;
	ice_parquet_file_metrics *m;
	struct ArrowSchema schema;
	build_schema();
	build_vocab();
	make_schema(&schema);
	ice_parquet_write_options_init(&opts);
	if (ice_parquet_write_options_set(&opts, "write.parquet.compression-codec", codec) ||
	    ice_parquet_write_options_set(&opts, "write.parquet.compression-level", level))
		die("options");
	if (ice_io_new(&io))
		die("io");
	int64_t nb = (rows + BATCH - 1) / BATCH;
	struct ArrowArray *batches = calloc((size_t)nb, sizeof(*batches));
	if (!stream)
		for (int64_t b = 0; b < nb; b++)
			make_batch(&batches[b], (uint64_t)(b * BATCH), rows - b * BATCH < BATCH ? rows - b * BATCH : BATCH);
	remove(path);
	double t0 = now();
	if (ice_parquet_writer_open(&w, io, path, &table_type, &opts))
		die("open");
	for (int64_t b = 0; b < nb; b++) {
		if (stream)
			make_batch(&batches[b], (uint64_t)(b * BATCH), rows - b * BATCH < BATCH ? rows - b * BATCH : BATCH);
		if (ice_parquet_writer_write(w, &batches[b], &schema))
			die("write");
		if (stream)
			batches[b].release(&batches[b]);
	}
	if (ice_parquet_writer_close(w, &m))
		die("close");
	double t1 = now();
	printf("{\"seconds\": %.4f, \"bytes\": %lld}\n", t1 - t0, (long long)m->file_size);
	ice_parquet_file_metrics_free(m);
	if (!stream)
		for (int64_t b = 0; b < nb; b++)
			batches[b].release(&batches[b]);
	free(batches);
	schema.release(&schema);
	ice_io_free(io);
	return 0;
}

static int cmd_read(const char *path, const char *columns, size_t threads)
{
	ice_io *io;
	ice_parquet_reader *r;
	ice_parquet_scan *scan;
	ice_parquet_scan_options o;
	struct ArrowArray a;
	const char *cols[64];
	char *copy = columns && strcmp(columns, "-") ? strdup(columns) : NULL;
	size_t ncols = 0;
	int64_t rows = 0;
	int rc;
	for (char *save = NULL, *t = copy ? strtok_r(copy, ",", &save) : NULL; t && ncols < 64;
	     t = strtok_r(NULL, ",", &save))
		cols[ncols++] = t;
	if (ice_io_new(&io))
		die("io");
	double t0 = now();
	if (ice_parquet_reader_open(&r, io, path))
		die("open");
	ice_parquet_scan_options_init(&o);
	o.columns = cols;
	o.ncolumns = ncols;
	o.threads = threads;
	if (ice_parquet_scan_open(&scan, r, &o))
		die("scan");
	while ((rc = ice_parquet_scan_next(scan, &a, NULL)) == 0) {
		rows += a.length;
		ice_arrow_array_release(&a);
	}
	if (rc != ICE_ITEROVER)
		die("read");
	ice_parquet_scan_free(scan);
	ice_parquet_reader_free(r);
	double t1 = now();
	printf("{\"seconds\": %.4f, \"rows\": %lld}\n", t1 - t0, (long long)rows);
	free(copy);
	ice_io_free(io);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && !strcmp(argv[1], "write"))
		return cmd_write(argv[2], atoll(argv[3]), argv[4], argv[5], argc > 6 && !strcmp(argv[6], "stream"));
	if (argc >= 3 && !strcmp(argv[1], "read"))
		return cmd_read(argv[2], argc > 3 ? argv[3] : NULL, argc > 4 ? (size_t)atoi(argv[4]) : 1);
	fprintf(stderr, "usage: bench-parquet write OUT ROWS CODEC LEVEL [stream] | read FILE [COLS|-] [THREADS]\n");
	return 2;
}
