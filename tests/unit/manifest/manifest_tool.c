/*
 * tests/unit/manifest/manifest_tool.c - the helper tests/manifest drives, so
 * that Python peers (fastavro) can check what libicetable writes:
 *
 *   manifest-tool copy IN OUT [--table DIR] [--path-map OLD=NEW]...
 *       read IN (a manifest or a manifest list), write OUT with the same
 *       format version as ice copies files, read both back and compare;
 *       prints {"kind": ..., "records": N, "format_version": V}.
 *   manifest-tool write INTENT.json OUT
 *       write what INTENT.json describes (see tests/manifest/intent.py)
 *       with the public writer API; prints the manifest list entry the
 *       manifest writer returned ({"manifest_file": ...}) or, for a list,
 *       {"next_row_id": N}.
 *
 * Errors go to stderr as one line; the exit code is 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "ice.h"
#include "util/arena.h"
#include "util/json.h"
#include "util/strutil.h"

/* Everything the tool holds, released on every way out (sanitized builds
 * check for leaks). */
static struct {
	ice_io *io;
	ice_table_metadata *md;
	ice_arena *arena;
	ice_json *doc;
	char *text;
	ice_schema *schema;
	ice_partition_spec *spec;
} g;

static void cleanup(void)
{
	ice_schema_free(g.schema);
	ice_partition_spec_free(g.spec);
	ice_json__free(g.doc);
	free(g.text);
	ice_arena_free(g.arena);
	ice_table_metadata_free(g.md);
	ice_io_free(g.io);
	memset(&g, 0, sizeof(g));
}

static int fail(const char *what)
{
	const ice_error *e = ice_error_last();
	fprintf(stderr, "manifest-tool: %s%s%s\n", what, e ? ": " : "", e ? e->message : "");
	cleanup();
	return 1;
}

/* Zeroed memory that lives until cleanup(). */
static void *alloc(size_t n)
{
	void *p = ice_arena__alloc(g.arena, n ? n : 1);
	if (!p) {
		fprintf(stderr, "manifest-tool: out of memory\n");
		exit(1);
	}
	return p;
}

/* ---- reading the intent ---------------------------------------------------------- */

typedef struct intent {
	ice_arena *arena;
	ice_json *doc;
} intent;

static const ice_json *get(const ice_json *o, const char *k)
{
	const ice_json *v = o ? ice_json__get(o, k) : NULL;
	return v && ice_json__type(v) != ICE_JSON_NULL ? v : NULL;
}

static bool get_long(const ice_json *o, const char *k, int64_t *out)
{
	const ice_json *v = get(o, k);
	if (!v)
		return false;
	*out = ice_json__int(v);
	return true;
}

static const char *get_str(const ice_json *o, const char *k)
{
	const ice_json *v = get(o, k);
	return v ? ice_json__str(v, NULL) : NULL;
}

/* A JSON subtree as text in the arena. */
static const char *text_of(intent *in, const ice_json *j, size_t *len)
{
	ice_json_writer *w = NULL;
	const char *t, *copy = NULL;
	if (ice_json_writer_new(&w, ICE_JSON_COMPACT) != 0)
		return NULL;
	ice_json__write(j, w);
	if (ice_json_writer_finish(w, &t, len) == 0) {
		char *c = alloc(*len + 1);
		memcpy(c, t, *len + 1);
		copy = c;
	}
	ice_json_writer_free(w);
	(void)in;
	return copy;
}

static ice_slice hex_bytes(const char *hex)
{
	ice_slice s = {NULL, 0};
	size_t n = strlen(hex) / 2;
	uint8_t *b = alloc(n + 1);
	if (b && ice_hex__decode(hex, strlen(hex), b)) {
		s.data = b;
		s.len = n;
	}
	return s;
}

static ice_metric_counts counts_of(const ice_json *o, const char *k)
{
	ice_metric_counts m = {false, 0, NULL};
	const ice_json *v = get(o, k);
	ice_json_iter it;
	const char *key;
	ice_json *val;
	ice_metric_count *items;
	if (!v)
		return m;
	items = alloc((ice_json__size(v) + 1) * sizeof(*items));
	ice_json__iter_init(&it, v);
	while (ice_json__iter_next(&it, &key, &val)) {
		items[m.n].field_id = atoi(key);
		items[m.n].value = ice_json__int(val);
		m.n++;
	}
	m.present = true;
	m.items = items;
	return m;
}

/* Bounds: {"<id>": "hex"} or {"<id>": {"value": <JSON single value>}}. */
static int bounds_of(intent *in, const ice_json *o, const char *k, const ice_schema *schema, ice_metric_bounds *out)
{
	const ice_json *v = get(o, k);
	ice_json_iter it;
	const char *key;
	ice_json *val;
	ice_metric_bound *items;
	memset(out, 0, sizeof(*out));
	if (!v)
		return 0;
	items = alloc((ice_json__size(v) + 1) * sizeof(*items));
	ice_json__iter_init(&it, v);
	while (ice_json__iter_next(&it, &key, &val)) {
		ice_metric_bound *b = &items[out->n++];
		b->field_id = atoi(key);
		b->value.type = ICE_TYPE_INVALID;
		if (ice_json__type(val) == ICE_JSON_STRING) {
			b->bytes = hex_bytes(ice_json__str(val, NULL));
		} else {
			const ice_field *f = ice_schema_find_field(schema, b->field_id);
			size_t len;
			const char *t = text_of(in, ice_json__get(val, "value"), &len);
			int rc;
			if (!f)
				return ice_error_set(ICE_EINVALID, "bound for unknown field %d", (int)b->field_id);
			if ((rc = ice_literal_from_json(&b->value, f->type, t, len, in->arena)) != 0)
				return rc;
		}
	}
	out->present = true;
	out->items = items;
	return 0;
}

static int data_file_of(intent *in, const ice_json *o, const ice_schema *schema, const ice_partition_spec *spec,
                        ice_data_file *df)
{
	const ice_json *part = get(o, "partition"), *v;
	int64_t x;
	int rc;
	memset(df, 0, sizeof(*df));
	df->content = get_long(o, "content", &x) ? (ice_file_content)x : ICE_FILE_CONTENT_DATA;
	df->file_path = get_str(o, "file_path");
	df->file_format = get_str(o, "file_format");
	df->record_count = get_long(o, "record_count", &x) ? x : 0;
	df->file_size_in_bytes = get_long(o, "file_size_in_bytes", &x) ? x : 0;
	df->partition_spec_id = spec->spec_id;
	/* As many values as the intent gives: a mismatch is the library's to refuse. */
	df->n_partition = part ? ice_json__size(part) : spec->nfields;
	ice_literal *p = alloc((df->n_partition + 1) * sizeof(*p));
	for (size_t i = 0; i < df->n_partition && i < spec->nfields; i++) {
		const ice_type *t = ice_partition_field_result_type(&spec->fields[i], schema);
		const ice_json *pv = part ? ice_json__at(part, i) : NULL;
		if (!t)
			return ice_error_set(ICE_EINVALID, "partition field %zu has no type", i);
		if (!pv || ice_json__type(pv) == ICE_JSON_NULL) {
			p[i] = ice_literal_null(t->id);
		} else {
			size_t len;
			const char *text = text_of(in, pv, &len);
			if ((rc = ice_literal_from_json(&p[i], t, text, len, in->arena)) != 0)
				return rc;
		}
	}
	df->partition = p;
	df->column_sizes = counts_of(o, "column_sizes");
	df->value_counts = counts_of(o, "value_counts");
	df->null_value_counts = counts_of(o, "null_value_counts");
	df->nan_value_counts = counts_of(o, "nan_value_counts");
	if ((rc = bounds_of(in, o, "lower_bounds", schema, &df->lower_bounds)) != 0 ||
	    (rc = bounds_of(in, o, "upper_bounds", schema, &df->upper_bounds)) != 0)
		return rc;
	if (get_str(o, "key_metadata")) {
		df->has_key_metadata = true;
		df->key_metadata = hex_bytes(get_str(o, "key_metadata"));
	}
	if ((v = get(o, "split_offsets"))) {
		int64_t *items = alloc((ice_json__size(v) + 1) * sizeof(*items));
		for (size_t i = 0; i < ice_json__size(v); i++)
			items[i] = ice_json__int(ice_json__at(v, i));
		df->split_offsets = (ice_int64_list){true, ice_json__size(v), items};
	}
	if ((v = get(o, "equality_ids"))) {
		int32_t *items = alloc((ice_json__size(v) + 1) * sizeof(*items));
		for (size_t i = 0; i < ice_json__size(v); i++)
			items[i] = (int32_t)ice_json__int(ice_json__at(v, i));
		df->equality_ids = (ice_int32_list){true, ice_json__size(v), items};
	}
	if (get_long(o, "sort_order_id", &x)) {
		df->has_sort_order_id = true;
		df->sort_order_id = (int32_t)x;
	}
	df->has_first_row_id = get_long(o, "first_row_id", &df->first_row_id);
	df->referenced_data_file = get_str(o, "referenced_data_file");
	df->has_content_offset = get_long(o, "content_offset", &df->content_offset);
	df->has_content_size_in_bytes = get_long(o, "content_size_in_bytes", &df->content_size_in_bytes);
	return 0;
}

static int write_manifest(intent *in, const ice_io *io, const char *out)
{
	const ice_json *doc = in->doc, *entries = get(doc, "entries"), *props = get(doc, "properties");
	ice_schema *schema = NULL;
	ice_partition_spec *spec = NULL;
	ice_manifest_writer_options o;
	ice_manifest_writer *w = NULL;
	ice_manifest_file *mf = NULL;
	ice_property *pv = NULL;
	ice_properties pp = {0, NULL};
	size_t len;
	const char *t;
	int64_t x;
	int rc;
	t = text_of(in, get(doc, "schema"), &len);
	if ((rc = ice_schema_from_json(&g.schema, t, len, "intent schema")) != 0)
		return fail("schema");
	schema = g.schema;
	t = text_of(in, get(doc, "spec"), &len);
	if ((rc = ice_partition_spec_from_json(&g.spec, t, len, "intent spec")) != 0)
		return fail("spec");
	spec = g.spec;
	ice_manifest_writer_options_init(&o);
	o.format_version = get_long(doc, "format_version", &x) ? (int)x : 2;
	o.content = get_str(doc, "content") && !strcmp(get_str(doc, "content"), "deletes") ? ICE_MANIFEST_CONTENT_DELETES
	                                                                                    : ICE_MANIFEST_CONTENT_DATA;
	o.has_snapshot_id = get_long(doc, "snapshot_id", &o.snapshot_id);
	o.schema = schema;
	o.spec = spec;
	o.codec = get_str(doc, "codec");
	o.keep_metrics = get(doc, "keep_metrics") && ice_json__type(get(doc, "keep_metrics")) == ICE_JSON_TRUE;
	if (props) {
		ice_json_iter it;
		const char *k;
		ice_json *v;
		pv = alloc((ice_json__size(props) + 1) * sizeof(*pv));
		ice_json__iter_init(&it, props);
		while (ice_json__iter_next(&it, &k, &v)) {
			pv[pp.n].key = k;
			pv[pp.n].value = ice_json__str(v, NULL);
			pp.n++;
		}
		pp.items = pv;
	}
	o.properties = &pp;
	if ((rc = ice_manifest_writer_open(&w, io, out, NULL, &o)) != 0)
		return fail("open");
	for (size_t i = 0; i < ice_json__size(entries); i++) {
		const ice_json *e = ice_json__at(entries, i);
		ice_manifest_entry entry;
		memset(&entry, 0, sizeof(entry));
		entry.status = get_long(e, "status", &x) ? (ice_manifest_entry_status)x : ICE_MANIFEST_ENTRY_ADDED;
		entry.has_snapshot_id = get_long(e, "snapshot_id", &entry.snapshot_id);
		entry.has_sequence_number = get_long(e, "sequence_number", &entry.sequence_number);
		entry.has_file_sequence_number = get_long(e, "file_sequence_number", &entry.file_sequence_number);
		if ((rc = data_file_of(in, get(e, "data_file"), schema, spec, &entry.data_file)) != 0 ||
		    (rc = ice_manifest_writer_add_entry(w, &entry)) != 0) {
			ice_manifest_writer_abort(w);
			return fail("entry");
		}
	}
	if ((rc = ice_manifest_writer_close(w, &mf)) != 0)
		return fail("close");
	ice_json_writer *jw = NULL;
	const char *text;
	ice_json_writer_new(&jw, ICE_JSON_COMPACT);
	ice_json_begin_object(jw);
	ice_json_key(jw, "manifest_file");
	ice_manifest_file_write_json(mf, jw);
	ice_json_end_object(jw);
	if (ice_json_writer_finish(jw, &text, &len) == 0)
		printf("%s\n", text);
	ice_json_writer_free(jw);
	ice_manifest_file_free(mf);
	cleanup();
	return 0;
}

static int write_list(intent *in, const ice_io *io, const char *out)
{
	const ice_json *doc = in->doc, *ms = get(doc, "manifests");
	ice_manifest_list_writer_options o;
	ice_manifest_list_writer *w = NULL;
	int64_t x, next = 0;
	ice_manifest_list_writer_options_init(&o);
	o.format_version = get_long(doc, "format_version", &x) ? (int)x : 2;
	o.snapshot_id = get_long(doc, "snapshot_id", &x) ? x : 0;
	o.has_parent_snapshot_id = get_long(doc, "parent_snapshot_id", &o.parent_snapshot_id);
	o.sequence_number = get_long(doc, "sequence_number", &x) ? x : 0;
	o.has_first_row_id = get_long(doc, "first_row_id", &o.first_row_id);
	o.codec = get_str(doc, "codec");
	if (ice_manifest_list_writer_open(&w, io, out, &o) != 0)
		return fail("open");
	for (size_t i = 0; i < ice_json__size(ms); i++) {
		const ice_json *m = ice_json__at(ms, i), *parts = get(m, "partitions");
		ice_manifest_file mf;
		memset(&mf, 0, sizeof(mf));
		mf.manifest_path = get_str(m, "manifest_path");
		mf.manifest_length = get_long(m, "manifest_length", &x) ? x : 0;
		mf.partition_spec_id = get_long(m, "partition_spec_id", &x) ? (int32_t)x : 0;
		mf.content = get_long(m, "content", &x) ? (ice_manifest_content)x : ICE_MANIFEST_CONTENT_DATA;
		mf.sequence_number = get_long(m, "sequence_number", &x) ? x : ICE_SEQUENCE_NUMBER_UNASSIGNED;
		mf.min_sequence_number = get_long(m, "min_sequence_number", &x) ? x : ICE_SEQUENCE_NUMBER_UNASSIGNED;
		mf.has_added_snapshot_id = get_long(m, "added_snapshot_id", &mf.added_snapshot_id);
		mf.added_files_count = get_long(m, "added_files_count", &x) ? (int32_t)x : -1;
		mf.existing_files_count = get_long(m, "existing_files_count", &x) ? (int32_t)x : -1;
		mf.deleted_files_count = get_long(m, "deleted_files_count", &x) ? (int32_t)x : -1;
		mf.added_rows_count = get_long(m, "added_rows_count", &x) ? x : -1;
		mf.existing_rows_count = get_long(m, "existing_rows_count", &x) ? x : -1;
		mf.deleted_rows_count = get_long(m, "deleted_rows_count", &x) ? x : -1;
		if (parts) {
			ice_partition_field_summary *ps = alloc((ice_json__size(parts) + 1) * sizeof(*ps));
			for (size_t k = 0; k < ice_json__size(parts); k++) {
				const ice_json *p = ice_json__at(parts, k), *nan = get(p, "contains_nan");
				ps[k].contains_null = get(p, "contains_null") && ice_json__type(get(p, "contains_null")) == ICE_JSON_TRUE;
				ps[k].has_contains_nan = nan != NULL;
				ps[k].contains_nan = nan && ice_json__type(nan) == ICE_JSON_TRUE;
				if (get_str(p, "lower_bound")) {
					ps[k].has_lower_bound = true;
					ps[k].lower_bound = hex_bytes(get_str(p, "lower_bound"));
				}
				if (get_str(p, "upper_bound")) {
					ps[k].has_upper_bound = true;
					ps[k].upper_bound = hex_bytes(get_str(p, "upper_bound"));
				}
			}
			mf.has_partitions = true;
			mf.n_partitions = ice_json__size(parts);
			mf.partitions = ps;
		}
		if (get_str(m, "key_metadata")) {
			mf.has_key_metadata = true;
			mf.key_metadata = hex_bytes(get_str(m, "key_metadata"));
		}
		mf.has_first_row_id = get_long(m, "first_row_id", &mf.first_row_id);
		if (ice_manifest_list_writer_add(w, &mf) != 0) {
			ice_manifest_list_writer_abort(w);
			return fail("manifest");
		}
	}
	if (ice_manifest_list_writer_close(w, &next) != 0)
		return fail("close");
	printf("{\"next_row_id\": %lld}\n", (long long)next);
	cleanup();
	return 0;
}

int main(int argc, char **argv)
{
	int rc;
	if (ice_io_new(&g.io) != 0 || ice_arena_new(&g.arena) != 0)
		return fail("setup");
	if (argc >= 4 && !strcmp(argv[1], "copy")) {
		long records = 0;
		bool is_list = false;
		for (int i = 4; i + 1 < argc; i += 2) {
			if (!strcmp(argv[i], "--path-map")) {
				char *eq = strchr(argv[i + 1], '=');
				if (!eq)
					return fail("--path-map wants OLD=NEW");
				*eq = '\0';
				if (ice_io_add_path_map(g.io, argv[i + 1], eq + 1) != 0)
					return fail("path map");
			} else if (!strcmp(argv[i], "--table")) {
				if (ice_table_metadata_load(&g.md, g.io, argv[i + 1], NULL) != 0)
					return fail("table");
			}
		}
		if ((rc = mc_copy(g.io, g.md, argv[2], argv[3], &records, &is_list)) != 0)
			return fail("copy");
		printf("{\"kind\": \"%s\", \"records\": %ld}\n", is_list ? "manifest-list" : "manifest", records);
		cleanup();
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "write")) {
		intent in;
		size_t len;
		FILE *f = fopen(argv[2], "rb");
		if (!f)
			return fail("cannot open the intent");
		fseek(f, 0, SEEK_END);
		len = (size_t)ftell(f);
		fseek(f, 0, SEEK_SET);
		g.text = malloc(len + 1);
		if (!g.text || fread(g.text, 1, len, f) != len) {
			fclose(f);
			return fail("cannot read the intent");
		}
		fclose(f);
		if (ice_json__parse(&g.doc, g.text, len, argv[2]) != 0)
			return fail("intent");
		in.arena = g.arena;
		in.doc = g.doc;
		const char *kind = get_str(in.doc, "kind");
		return kind && !strcmp(kind, "list") ? write_list(&in, g.io, argv[3]) : write_manifest(&in, g.io, argv[3]);
	}
	cleanup();
	fprintf(stderr, "usage: manifest-tool copy IN OUT [--table DIR] [--path-map OLD=NEW]...\n"
	                "       manifest-tool write INTENT.json OUT\n");
	return 2;
}
