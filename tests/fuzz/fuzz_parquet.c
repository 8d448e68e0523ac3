/*
 * Fuzz target: a whole Parquet file from memory. Opening parses the footer
 * (Thrift, schema tree, row groups); a scan then reads every page of every
 * column (headers, decompression, levels, every encoding) and assembles
 * Arrow batches, with two batch sizes so records cross batch and page
 * boundaries differently; metrics come from the footer statistics. Any
 * input may be rejected, none may crash, leak or read out of bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ice.h"
#include "parquet/internal.h"

typedef struct mem_input {
	ice_input base;
	const uint8_t *data;
} mem_input;

static int mem_read_at(ice_input *in, uint64_t offset, void *dst, size_t len)
{
	mem_input *m = (mem_input *)in;
	if (offset > in->size || len > in->size - offset)
		return ice_error_set(ICE_EINVALID, "fuzz: unexpected end of file at offset %llu",
		                     (unsigned long long)offset);
	memcpy(dst, m->data + offset, len);
	return 0;
}

static void mem_close(ice_input *in)
{
	free(in);
}

static const ice_input_ops mem_ops = {mem_read_at, mem_close, NULL};

static void scan_all(ice_parquet_reader *r, size_t batch, int64_t start)
{
	ice_parquet_scan_options o;
	ice_parquet_scan *scan;
	struct ArrowArray a;
	struct ArrowSchema s;
	ice_parquet_scan_options_init(&o);
	o.batch_size = batch;
	o.row_start = start;
	if (ice_parquet_scan_open(&scan, r, &o) != 0)
		return;
	if (ice_parquet_scan_schema(scan, &s) == 0) {
		int rc;
		int64_t first;
		while ((rc = ice_parquet_scan_next(scan, &a, &first)) == 0) {
			FUZZ_ASSERT(a.release != NULL && a.length > 0 && first >= start);
			FUZZ_ASSERT(a.n_children == s.n_children);
			ice_arrow_array_release(&a);
		}
		FUZZ_ASSERT(rc != 0 && a.release == NULL);
		ice_arrow_schema_release(&s);
	}
	ice_parquet_scan_free(scan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mem_input *m = calloc(1, sizeof(*m));
	ice_parquet_reader *r;
	ice_parquet_file_metrics *metrics;
	if (!m)
		return 0;
	m->base.ops = &mem_ops;
	m->base.location = NULL;
	m->base.size = size;
	m->data = data;
	if (ice_parquet__reader_open_input(&r, &m->base, "fuzz.parquet") != 0)
		return 0;
	FUZZ_ASSERT(ice_parquet_reader_root(r) != NULL);
	if (ice_parquet_reader_metrics(&metrics, r) == 0)
		ice_parquet_file_metrics_free(metrics);
	scan_all(r, 0, 0);
	scan_all(r, 3, 1);
	ice_parquet_reader_free(r);
	return 0;
}
