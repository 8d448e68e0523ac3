/*
 * bench/compact/bench_compact.c - the floor of a compaction for
 * bench/compact/run.py: every row of a table's current snapshot read once
 * (deletes applied, ice's scan on `threads` threads) and written once under
 * its partition spec by ice's data writer, nothing committed.
 *
 *     bench-compact TABLE_DIR THREADS     prints {"seconds":..,"rows":..,"files":..,"bytes":..}
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ice.h"
#include "write/writer.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	const ice_error *e = ice_error_last();
	fprintf(stderr, "bench-compact: %s: %s\n", what, e && e->message ? e->message : "failed");
	return 1;
}

int main(int argc, char **argv)
{
	ice_io *io = NULL;
	ice_table_metadata *md = NULL;
	ice_scan *scan = NULL;
	ice_data_writer *w = NULL;
	ice_scan_options so;
	ice_write_options wo;
	struct ArrowArrayStream st;
	struct ArrowSchema schema;
	struct ArrowArray b;
	const ice_data_file *const *files = NULL;
	size_t nfiles = 0;
	int64_t rows = 0, bytes = 0;
	if (argc != 3)
		return fprintf(stderr, "usage: bench-compact TABLE_DIR THREADS\n"), 2;
	int threads = atoi(argv[2]);
	double t0 = now();
	if (ice_io_new(&io) != 0 || ice_table_metadata_load(&md, io, argv[1], NULL) != 0)
		return fail(argv[1]);
	ice_scan_options_init(&so);
	so.threads = (size_t)threads;
	ice_write_options_init(&wo);
	wo.threads = threads;
	if (ice_scan_new(&scan, io, md, &so) != 0 || ice_scan_to_stream(scan, &st) != 0)
		return fail("scan");
	if (st.get_schema(&st, &schema) != 0)
		return fail("schema");
	if (ice_data_writer__new(&w, io, md, &wo) != 0)
		return fail("writer");
	for (;;) {
		if (st.get_next(&st, &b) != 0)
			return fail("read");
		if (!b.release)
			break;
		rows += b.length;
		int rc = ice_data_writer__write_batch(w, &b, &schema);
		b.release(&b);
		if (rc)
			return fail("write");
	}
	if (ice_data_writer__close(w, &files, &nfiles) != 0)
		return fail("close");
	for (size_t i = 0; i < nfiles; i++)
		bytes += files[i]->file_size_in_bytes;
	printf("{\"seconds\": %.6f, \"rows\": %lld, \"files\": %zu, \"bytes\": %lld}\n", now() - t0, (long long)rows,
	       nfiles, (long long)bytes);
	ice_data_writer__free(w);
	schema.release(&schema);
	st.release(&st);
	ice_scan_free(scan);
	ice_table_metadata_free(md);
	ice_io_free(io);
	return 0;
}
