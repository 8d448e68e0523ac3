/*
 * Fuzz target: a manifest or manifest list from memory. The bytes are read
 * as a manifest list and as a manifest (container header, schema JSON and
 * its resolution against manifest_file / manifest_entry, every block and
 * codec, every record); each accepted entry is copied, compared with its
 * copy, and rendered as JSON and text the way the tools do, so every
 * decoded value is touched. The truncation cross-checks run too: the
 * manifest against counts taken from the input's last bytes, the list's
 * totals against a snapshot summary that agrees or is off by one. Any
 * input may be rejected, none may crash, leak or read out of bounds, and
 * every error is one line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ice.h"
#include "io/io.h"
#include "manifest/internal.h"

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

static ice_input *mem_open(const uint8_t *data, size_t size)
{
	mem_input *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->base.ops = &mem_ops;
	m->base.location = (char *)"fuzz.avro";
	m->base.size = size;
	m->data = data;
	return &m->base;
}

static void error_is_one_line(int rc)
{
	const ice_error *e = ice_error_last();
	FUZZ_ASSERT(rc != 0 && e && e->message && !strchr(e->message, '\n'));
}

static void render(void (*write)(ice_json_writer *, const void *, const void *), const void *item,
                   const void *extra)
{
	ice_json_writer *w = NULL;
	const char *text;
	size_t len;
	if (ice_json_writer_new(&w, ICE_JSON_COMPACT) != 0)
		return;
	write(w, item, extra);
	(void)ice_json_writer_finish(w, &text, &len); /* may fail: NaN and such are JSON's limits */
	ice_json_writer_free(w);
}

static void write_entry(ice_json_writer *w, const void *e, const void *spec)
{
	ice_manifest_entry_write_json(e, spec, w);
}

static void write_manifest_file(ice_json_writer *w, const void *mf, const void *unused)
{
	(void)unused;
	ice_manifest_file_write_json(mf, w);
}

static void as_list(const uint8_t *data, size_t size)
{
	ice_manifest_list_reader *r = NULL;
	const ice_manifest_file *mf;
	ice_input *in = mem_open(data, size);
	int rc;
	if (!in)
		return;
	if ((rc = ice_manifest__list_open_input(&r, in, NULL)) != 0) {
		error_is_one_line(rc);
		return;
	}
	ice_manifest_file **copies = NULL, *items = NULL;
	size_t n = 0;
	while ((rc = ice_manifest_list_next(r, &mf)) == 0) {
		ice_manifest_file *copy = NULL;
		render(write_manifest_file, mf, NULL);
		if (ice_manifest_file_copy(&copy, mf) == 0) {
			FUZZ_ASSERT(ice_manifest_file_equal(copy, mf));
			ice_manifest_file **nc = realloc(copies, (n + 1) * sizeof(*copies));
			if (!nc) {
				ice_manifest_file_free(copy);
				break;
			}
			copies = nc;
			copies[n++] = copy;
		}
	}
	if (rc != ICE_ITEROVER && rc != 0)
		error_is_one_line(rc);
	ice_manifest_list_reader_free(r);
	/* the totals against a summary: what the entries add up to (so the
	 * check passes), or one more data file than that (so it fails) */
	if (rc == ICE_ITEROVER && (items = calloc(n ? n : 1, sizeof(*items))) != NULL) {
		int64_t sum[3] = {0, 0, 0};
		bool known[3] = {true, true, true};
		for (size_t i = 0; i < n; i++) {
			items[i] = *copies[i];
			const ice_manifest_file *m = &items[i];
			int k = m->content == ICE_MANIFEST_CONTENT_DATA ? 0 : 1;
			if (m->added_files_count < 0 || m->existing_files_count < 0)
				known[k] = false;
			else
				sum[k] += (int64_t)m->added_files_count + m->existing_files_count;
			if (k == 0 && (m->added_rows_count < 0 || m->existing_rows_count < 0 ||
			               __builtin_add_overflow(sum[2], m->added_rows_count, &sum[2]) ||
			               __builtin_add_overflow(sum[2], m->existing_rows_count, &sum[2])))
				known[2] = false;
		}
		static const char *const keys[3] = {"total-data-files", "total-delete-files", "total-records"};
		bool off = size % 2 == 1;
		char v[3][32];
		ice_property props[3];
		size_t np = 0;
		for (int k = 0; k < 3; k++)
			if (known[k]) {
				snprintf(v[k], sizeof(v[k]), "%lld", (long long)(sum[k] + (k == 0 && off)));
				props[np++] = (ice_property){keys[k], v[k]};
			}
		ice_snapshot snap;
		memset(&snap, 0, sizeof(snap));
		snap.snapshot_id = 1;
		snap.manifest_list = "fuzz.avro";
		snap.summary.n = np;
		snap.summary.items = props;
		ice_manifest_list list = {2, n, items};
		rc = ice_manifest__check_totals(&list, &snap);
		if (rc)
			error_is_one_line(rc);
		FUZZ_ASSERT((rc != 0) == (off && known[0]));
		free(items);
	}
	for (size_t i = 0; i < n; i++)
		ice_manifest_file_free(copies[i]);
	free(copies);
}

static void as_manifest(const uint8_t *data, size_t size)
{
	ice_manifest_reader *r = NULL;
	const ice_manifest_entry *e;
	ice_manifest_file mf;
	ice_input *in = mem_open(data, size);
	int rc;
	if (!in)
		return;
	/* as a manifest list entry would name it: everything to inherit */
	memset(&mf, 0, sizeof(mf));
	mf.manifest_path = "fuzz.avro";
	mf.sequence_number = 7;
	mf.has_added_snapshot_id = true;
	mf.added_snapshot_id = 42;
	mf.has_first_row_id = true;
	mf.first_row_id = 1000;
	/* the list's counts of existing/added/deleted entries, from the last
	 * bytes (-1: unknown); what the manifest holds must agree */
	mf.existing_files_count = size > 0 ? (int32_t)data[size - 1] - 1 : -1;
	mf.added_files_count = size > 1 ? (int32_t)data[size - 2] - 1 : -1;
	mf.deleted_files_count = size > 2 ? (int32_t)data[size - 3] - 1 : -1;
	if ((rc = ice_manifest__open_input(&r, in, NULL, &mf)) != 0) {
		error_is_one_line(rc);
		return;
	}
	const ice_partition_spec *spec = ice_manifest_reader_spec(r);
	for (size_t i = 0; i < spec->nfields; i++)
		(void)ice_manifest_reader_partition_type(r, i);
	while ((rc = ice_manifest_next(r, &e)) == 0) {
		ice_data_file *copy = NULL;
		FUZZ_ASSERT(e->data_file.file_path && e->data_file.file_format);
		FUZZ_ASSERT(e->data_file.n_partition == spec->nfields);
		FUZZ_ASSERT(e->has_snapshot_id); /* inherited when null */
		render(write_entry, e, spec);
		for (size_t i = 0; i < e->data_file.lower_bounds.n; i++) {
			char *s = ice_metric_bound_to_string(&e->data_file.lower_bounds.items[i]);
			ice_free(s);
		}
		if (ice_data_file_copy(&copy, &e->data_file) == 0) {
			FUZZ_ASSERT(ice_data_file_equal(copy, &e->data_file));
			ice_data_file_free(copy);
		}
	}
	if (rc != ICE_ITEROVER)
		error_is_one_line(rc);
	ice_manifest_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_list(data, size);
	as_manifest(data, size);
	return 0;
}
