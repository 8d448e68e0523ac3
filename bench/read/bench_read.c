/*
 * bench/read/bench_read.c - the C side of bench/read/run.py, on the public
 * API only. Each mode prints one JSON line with its time and a checksum,
 * so the peers' answers can be compared:
 *
 *   bench-read sum TABLE THREADS     a scan of l_quantity, l_extendedprice,
 *                                    l_discount and l_shipdate through the
 *                                    Arrow C stream, summed (an
 *                                    aggregation-style consumer)
 *   bench-read table TABLE THREADS   every column of every row through the
 *                                    stream (rows counted, values untouched)
 *   bench-read file FILE THREADS     the same for one Parquet file read by
 *                                    the Parquet reader alone
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ice.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	const ice_error *e = ice_error_last();
	fprintf(stderr, "bench-read: %s: %s\n", what, e ? e->message : "error");
	return 1;
}

static bool valid(const struct ArrowArray *a, int64_t i)
{
	const uint8_t *v = a->buffers[0];
	i += a->offset;
	return a->null_count == 0 || !v || ((v[i >> 3] >> (i & 7)) & 1);
}

/* Sums of decimal128 columns (their low 64 bits: the values fit) and a count of dates. */
typedef struct sums {
	int64_t quantity, price, discount, dates, rows;
} sums;

static void add_decimal(int64_t *sum, const struct ArrowArray *a)
{
	const int64_t *v = (const int64_t *)a->buffers[1] + 2 * a->offset;
	int64_t s = 0;
	if (a->null_count == 0) {
		for (int64_t i = 0; i < a->length; i++)
			s += v[2 * i];
	} else {
		for (int64_t i = 0; i < a->length; i++)
			if (valid(a, i))
				s += v[2 * i];
	}
	*sum += s;
}

static int run_stream(struct ArrowArrayStream *st, bool summing, sums *out)
{
	struct ArrowSchema schema;
	int idx[4] = {-1, -1, -1, -1};
	static const char *names[4] = {"l_quantity", "l_extendedprice", "l_discount", "l_shipdate"};
	if (st->get_schema(st, &schema) != 0)
		return 1;
	for (int64_t c = 0; c < schema.n_children; c++)
		for (int k = 0; k < 4; k++)
			if (!strcmp(schema.children[c]->name, names[k]))
				idx[k] = (int)c;
	schema.release(&schema);
	if (summing && (idx[0] < 0 || idx[1] < 0 || idx[2] < 0 || idx[3] < 0)) {
		fprintf(stderr, "bench-read: the table lacks the lineitem columns\n");
		return 1;
	}
	for (;;) {
		struct ArrowArray b;
		if (st->get_next(st, &b) != 0) {
			fprintf(stderr, "bench-read: %s\n", st->get_last_error(st));
			return 1;
		}
		if (!b.release)
			return 0;
		out->rows += b.length;
		if (summing) {
			add_decimal(&out->quantity, b.children[idx[0]]);
			add_decimal(&out->price, b.children[idx[1]]);
			add_decimal(&out->discount, b.children[idx[2]]);
			const struct ArrowArray *d = b.children[idx[3]];
			if (d->null_count == 0)
				out->dates += d->length;
			else
				for (int64_t i = 0; i < d->length; i++)
					out->dates += valid(d, i);
		}
		b.release(&b);
	}
}

int main(int argc, char **argv)
{
	ice_io *io = NULL;
	ice_table_metadata *md = NULL;
	ice_scan *scan = NULL;
	struct ArrowArrayStream st;
	sums s = {0};
	int rc = 1;
	/* the allocator settings `ice scan` runs with (ice/alloc.h) */
	ice_allocator_tune_c_library();
	ice_allocator_keep_freed_memory();
	if (argc != 4) {
		fprintf(stderr, "usage: bench-read sum|table|file TABLE|FILE THREADS\n");
		return 2;
	}
	const char *mode = argv[1];
	size_t threads = (size_t)atoi(argv[3]);
	if (ice_io_new(&io) != 0)
		return fail("io");
	double t0 = now();
	if (!strcmp(mode, "file")) {
		ice_parquet_reader *r;
		ice_parquet_scan *ps;
		ice_parquet_scan_options o;
		ice_parquet_scan_options_init(&o);
		o.threads = threads;
		if (ice_parquet_reader_open(&r, io, argv[2]) != 0)
			return fail(argv[2]);
		if (ice_parquet_scan_open(&ps, r, &o) != 0 || ice_parquet_scan_to_stream(ps, &st) != 0)
			return fail(argv[2]);
		rc = run_stream(&st, false, &s);
		st.release(&st);
		ice_parquet_reader_free(r);
	} else {
		ice_scan_options o;
		static const char *four[] = {"l_quantity", "l_extendedprice", "l_discount", "l_shipdate"};
		if (ice_table_metadata_load(&md, io, argv[2], NULL) != 0)
			return fail(argv[2]);
		ice_scan_options_init(&o);
		o.threads = threads;
		if (!strcmp(mode, "sum")) {
			o.select = four;
			o.nselect = 4;
		}
		if (ice_scan_new(&scan, io, md, &o) != 0 || ice_scan_to_stream(scan, &st) != 0)
			return fail("scan");
		rc = run_stream(&st, !strcmp(mode, "sum"), &s);
		st.release(&st);
	}
	double secs = now() - t0;
	if (!rc)
		printf("{\"mode\": \"%s\", \"seconds\": %.6f, \"rows\": %lld, \"quantity\": %lld, \"price\": %lld, "
		       "\"discount\": %lld, \"dates\": %lld}\n",
		       mode, secs, (long long)s.rows, (long long)s.quantity, (long long)s.price, (long long)s.discount,
		       (long long)s.dates);
	ice_scan_free(scan);
	ice_table_metadata_free(md);
	ice_io_free(io);
	return rc;
}
