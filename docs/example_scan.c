/*
 * docs/example_scan.c - streaming a table scan through the Arrow C stream
 * interface: every batch of the current snapshot (deletes applied), with
 * its row count, then the total and what the scan did.
 *
 *   cc example_scan.c $(pkg-config --cflags --libs icetable) -o example_scan
 *   ./example_scan warehouse/db/events ["id < 100"] [OLD=NEW path map]
 *
 * The test run builds it (tests/meson.build) and runs it on a corpus table,
 * so it keeps compiling and working as the library changes.
 */
#include <stdio.h>
#include <string.h>

#include <ice.h>

static int fail(const char *what)
{
	const ice_error *e = ice_error_last();
	fprintf(stderr, "%s: %s\n", what, e ? e->message : "error");
	return 1;
}

int main(int argc, char **argv)
{
	ice_io *io = NULL;
	ice_table_metadata *md = NULL;
	ice_scan *scan = NULL;
	ice_scan_options opts;
	struct ArrowArrayStream stream;
	struct ArrowSchema schema;
	int64_t rows = 0, batches = 0;
	int rc = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: %s TABLE [WHERE] [OLD=NEW]\n", argv[0]);
		return 2;
	}
	if (ice_io_new(&io) != 0)
		return fail("io");
	if (argc > 3) {
		/* --path-map: read locations the metadata names under OLD from NEW */
		char map[4096];
		snprintf(map, sizeof(map), "%s", argv[3]);
		char *eq = strchr(map, '=');
		if (!eq || (*eq = '\0', ice_io_add_path_map(io, map, eq + 1) != 0)) {
			fprintf(stderr, "bad path map '%s'\n", argv[3]);
			goto done;
		}
	}
	if (ice_table_metadata_load(&md, io, argv[1], NULL) != 0) {
		rc = fail(argv[1]);
		goto done;
	}
	ice_scan_options_init(&opts);
	opts.filter = argc > 2 && argv[2][0] ? argv[2] : NULL;
	opts.batch_size = 10000;
	if (ice_scan_new(&scan, io, md, &opts) != 0) {
		rc = fail("scan");
		goto done;
	}
	/* the stream plans lazily and reads data files as it goes */
	if (ice_scan_to_stream(scan, &stream) != 0) {
		rc = fail("stream");
		goto done;
	}
	if (stream.get_schema(&stream, &schema) != 0) {
		fprintf(stderr, "schema: %s\n", stream.get_last_error(&stream));
		stream.release(&stream);
		goto done;
	}
	printf("columns:");
	for (int64_t i = 0; i < schema.n_children; i++)
		printf(" %s (%s)", schema.children[i]->name, schema.children[i]->format);
	printf("\n");
	for (;;) {
		struct ArrowArray batch;
		if (stream.get_next(&stream, &batch) != 0) {
			fprintf(stderr, "reading: %s\n", stream.get_last_error(&stream));
			break;
		}
		if (!batch.release) { /* a released array: the end */
			rc = 0;
			break;
		}
		printf("batch %lld: %lld rows\n", (long long)batches++, (long long)batch.length);
		rows += batch.length;
		batch.release(&batch);
	}
	schema.release(&schema);
	stream.release(&stream); /* before the scan: the stream uses it */
	if (rc == 0) {
		ice_scan_stats st;
		ice_scan_get_stats(scan, &st);
		printf("%lld rows in %lld batches; %lld data files, %lld row groups (%lld skipped), "
		       "%lld rows read, %lld deleted, %lld filtered\n",
		       (long long)rows, (long long)batches, (long long)st.tasks, (long long)st.row_groups,
		       (long long)st.row_groups_skipped, (long long)st.rows_read, (long long)st.rows_deleted,
		       (long long)st.rows_filtered);
	}
done:
	ice_scan_free(scan);
	ice_table_metadata_free(md);
	ice_io_free(io);
	return rc;
}
