/*
 * manifest/manifest_schema.c - the schemas ice writes manifests and
 * manifest lists with (spec "Manifest Entry Fields", "Data File Fields",
 * "Manifest Lists"; Appendix A for the Avro forms): one table of fields per
 * record, in the reference implementation's order, with the versions each
 * field belongs to and whether it is required there. The same tables give
 * the Avro schema (header "avro.schema"), the Iceberg schema (header
 * "iceberg.schema") and the order the writers encode values in, so the
 * three cannot disagree.
 */
#include <stdio.h>
#include <string.h>

#include "manifest_schema.h"
#include "util/json.h"

#define V1 (1u << 1)
#define V2 (1u << 2)
#define V3 (1u << 3)
#define ALL (V1 | V2 | V3)

static const ice_manifest_wfield entry_fields[] = {
	{0, "status", W_INT, ALL, ALL, 0, 0, NULL},
	{1, "snapshot_id", W_LONG, ALL, V1, 0, 0, NULL},
	{3, "sequence_number", W_LONG, V2 | V3, 0, 0, 0, NULL},
	{4, "file_sequence_number", W_LONG, V2 | V3, 0, 0, 0, NULL},
	{2, "data_file", W_RECORD, ALL, ALL, 0, 0, NULL},
};

static const ice_manifest_wfield file_fields[] = {
	{134, "content", W_INT, V2 | V3, V2 | V3, 0, 0,
	 "Contents of the file: 0=data, 1=position deletes, 2=equality deletes"},
	{100, "file_path", W_STRING, ALL, ALL, 0, 0, "Location URI with FS scheme"},
	{101, "file_format", W_STRING, ALL, ALL, 0, 0, "File format name: avro, orc, or parquet"},
	{102, "partition", W_PARTITION, ALL, ALL, 0, 0, "Partition data tuple, schema based on the partition spec"},
	{103, "record_count", W_LONG, ALL, ALL, 0, 0, "Number of records in the file"},
	{104, "file_size_in_bytes", W_LONG, ALL, ALL, 0, 0, "Total file size in bytes"},
	{105, "block_size_in_bytes", W_LONG, V1, V1, 0, 0, "Deprecated. Always write a default in v1. Do not write in v2."},
	{108, "column_sizes", W_COUNTS, ALL, 0, 117, 118, "Map of column id to total size on disk"},
	{109, "value_counts", W_COUNTS, ALL, 0, 119, 120, "Map of column id to total count, including null and NaN"},
	{110, "null_value_counts", W_COUNTS, ALL, 0, 121, 122, "Map of column id to null value count"},
	{137, "nan_value_counts", W_COUNTS, ALL, 0, 138, 139, "Map of column id to number of NaN values in the column"},
	{125, "lower_bounds", W_BOUNDS, ALL, 0, 126, 127, "Map of column id to lower bound"},
	{128, "upper_bounds", W_BOUNDS, ALL, 0, 129, 130, "Map of column id to upper bound"},
	{131, "key_metadata", W_BYTES, ALL, 0, 0, 0, "Encryption key metadata blob"},
	{132, "split_offsets", W_LONG_LIST, ALL, 0, 133, 0, "Splittable offsets"},
	{135, "equality_ids", W_INT_LIST, V2 | V3, 0, 136, 0, "Equality comparison field IDs"},
	{140, "sort_order_id", W_INT, ALL, 0, 0, 0, "Sort order ID"},
	{142, "first_row_id", W_LONG, V3, 0, 0, 0, "The first row ID assigned to the first row in the data file"},
	{143, "referenced_data_file", W_STRING, V2 | V3, 0, 0, 0,
	 "Fully qualified location (URI with FS scheme) of a data file that all deletes reference"},
	{144, "content_offset", W_LONG, V3, 0, 0, 0, "The offset in the file where the content starts"},
	{145, "content_size_in_bytes", W_LONG, V3, 0, 0, 0, "The length of referenced content stored in the file"},
};

static const ice_manifest_wfield list_fields[] = {
	{500, "manifest_path", W_STRING, ALL, ALL, 0, 0, "Location URI with FS scheme"},
	{501, "manifest_length", W_LONG, ALL, ALL, 0, 0, "Total file size in bytes"},
	{502, "partition_spec_id", W_INT, ALL, ALL, 0, 0, "Spec ID used to write"},
	{517, "content", W_INT, V2 | V3, V2 | V3, 0, 0, "Contents of the manifest: 0=data, 1=deletes"},
	{515, "sequence_number", W_LONG, V2 | V3, V2 | V3, 0, 0, "Sequence number when the manifest was added"},
	{516, "min_sequence_number", W_LONG, V2 | V3, V2 | V3, 0, 0, "Lowest sequence number in the manifest"},
	{503, "added_snapshot_id", W_LONG, ALL, ALL, 0, 0, "Snapshot ID that added the manifest"},
	{504, "added_files_count", W_INT, ALL, V2 | V3, 0, 0, "Added entry count"},
	{505, "existing_files_count", W_INT, ALL, V2 | V3, 0, 0, "Existing entry count"},
	{506, "deleted_files_count", W_INT, ALL, V2 | V3, 0, 0, "Deleted entry count"},
	{512, "added_rows_count", W_LONG, ALL, V2 | V3, 0, 0, "Added rows count"},
	{513, "existing_rows_count", W_LONG, ALL, V2 | V3, 0, 0, "Existing rows count"},
	{514, "deleted_rows_count", W_LONG, ALL, V2 | V3, 0, 0, "Deleted rows count"},
	{507, "partitions", W_SUMMARIES, ALL, 0, 508, 0, "Summary for each partition"},
	{519, "key_metadata", W_BYTES, ALL, 0, 0, 0, "Encryption key metadata blob"},
	{520, "first_row_id", W_LONG, V3, 0, 0, 0, "Starting row ID to assign to new rows in ADDED data files"},
};

static const ice_manifest_wfield summary_fields[] = {
	{509, "contains_null", W_BOOL, ALL, ALL, 0, 0, "True if any file has a null partition value"},
	{518, "contains_nan", W_BOOL, ALL, 0, 0, 0, "True if any file has a nan partition value"},
	{510, "lower_bound", W_BYTES, ALL, 0, 0, 0, "Partition lower bound for all files"},
	{511, "upper_bound", W_BYTES, ALL, 0, 0, 0, "Partition upper bound for all files"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const ice_manifest_wfield *ice_manifest__wfields(int record, size_t *n)
{
	switch (record) {
	case ICE_WREC_ENTRY: *n = COUNT(entry_fields); return entry_fields;
	case ICE_WREC_DATA_FILE: *n = COUNT(file_fields); return file_fields;
	case ICE_WREC_LIST: *n = COUNT(list_fields); return list_fields;
	default: *n = COUNT(summary_fields); return summary_fields;
	}
}

/* ---- Avro schema JSON ----------------------------------------------------------- */

typedef struct emitter {
	ice_json_writer w;
	const ice_partition_spec *spec;
	const ice_type *const *types;
	ice_arena *arena;
	char named[64][32]; /* fixed types already defined (later uses are by name) */
	size_t nnamed;
} emitter;

static void avro_fixed(emitter *e, const char *name, int32_t size, const char *logical, const ice_type *t)
{
	for (size_t i = 0; i < e->nnamed; i++)
		if (strcmp(e->named[i], name) == 0) {
			ice_json_string(&e->w, name);
			return;
		}
	if (e->nnamed < 64)
		snprintf(e->named[e->nnamed++], sizeof(e->named[0]), "%s", name);
	ice_json_begin_object(&e->w);
	ice_json_key(&e->w, "type");
	ice_json_string(&e->w, "fixed");
	ice_json_key(&e->w, "name");
	ice_json_string(&e->w, name);
	ice_json_key(&e->w, "size");
	ice_json_int(&e->w, size);
	if (logical) {
		ice_json_key(&e->w, "logicalType");
		ice_json_string(&e->w, logical);
	}
	if (t && t->id == ICE_TYPE_DECIMAL) {
		ice_json_key(&e->w, "precision");
		ice_json_int(&e->w, t->u.decimal.precision);
		ice_json_key(&e->w, "scale");
		ice_json_int(&e->w, t->u.decimal.scale);
	}
	ice_json_end_object(&e->w);
}

static void avro_logical(emitter *e, const char *type, const char *logical, int utc)
{
	ice_json_begin_object(&e->w);
	ice_json_key(&e->w, "type");
	ice_json_string(&e->w, type);
	ice_json_key(&e->w, "logicalType");
	ice_json_string(&e->w, logical);
	if (utc >= 0) {
		ice_json_key(&e->w, "adjust-to-utc");
		ice_json_bool(&e->w, utc != 0);
	}
	ice_json_end_object(&e->w);
}

/* The Avro form of a partition value's type (Appendix A). */
static int avro_type_of(emitter *e, const ice_type *t)
{
	char name[32];
	switch (t->id) {
	case ICE_TYPE_BOOLEAN: ice_json_string(&e->w, "boolean"); return 0;
	case ICE_TYPE_INT: ice_json_string(&e->w, "int"); return 0;
	case ICE_TYPE_LONG: ice_json_string(&e->w, "long"); return 0;
	case ICE_TYPE_FLOAT: ice_json_string(&e->w, "float"); return 0;
	case ICE_TYPE_DOUBLE: ice_json_string(&e->w, "double"); return 0;
	case ICE_TYPE_STRING: ice_json_string(&e->w, "string"); return 0;
	case ICE_TYPE_BINARY:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY: ice_json_string(&e->w, "bytes"); return 0;
	case ICE_TYPE_DATE: avro_logical(e, "int", "date", -1); return 0;
	case ICE_TYPE_TIME: avro_logical(e, "long", "time-micros", -1); return 0;
	case ICE_TYPE_TIMESTAMP: avro_logical(e, "long", "timestamp-micros", 0); return 0;
	case ICE_TYPE_TIMESTAMPTZ: avro_logical(e, "long", "timestamp-micros", 1); return 0;
	case ICE_TYPE_TIMESTAMP_NS: avro_logical(e, "long", "timestamp-nanos", 0); return 0;
	case ICE_TYPE_TIMESTAMPTZ_NS: avro_logical(e, "long", "timestamp-nanos", 1); return 0;
	case ICE_TYPE_UUID: avro_fixed(e, "uuid_fixed", 16, "uuid", NULL); return 0;
	case ICE_TYPE_FIXED:
		snprintf(name, sizeof(name), "fixed_%d", (int)t->u.fixed.length);
		avro_fixed(e, name, t->u.fixed.length, NULL, NULL);
		return 0;
	case ICE_TYPE_DECIMAL:
		snprintf(name, sizeof(name), "decimal_%d_%d", (int)t->u.decimal.precision, (int)t->u.decimal.scale);
		avro_fixed(e, name, ice_avro__decimal_size(t->u.decimal.precision), "decimal", t);
		return 0;
	default:
		return ice_jw__fail(&e->w, ice_error__set(ICE_EUNSUPPORTED, ICE_ERRCLASS_AVRO,
		                                          "partition values of type %s cannot be written",
		                                          ice_type_id_name(t->id)));
	}
}

static void avro_kv_array(emitter *e, int32_t key_id, int32_t value_id, const char *value_type)
{
	char name[32];
	snprintf(name, sizeof(name), "k%d_v%d", (int)key_id, (int)value_id);
	ice_json_begin_object(&e->w);
	ice_json_key(&e->w, "type");
	ice_json_string(&e->w, "array");
	ice_json_key(&e->w, "items");
	ice_json_begin_object(&e->w);
	ice_json_key(&e->w, "type");
	ice_json_string(&e->w, "record");
	ice_json_key(&e->w, "name");
	ice_json_string(&e->w, name);
	ice_json_key(&e->w, "fields");
	ice_json_begin_array(&e->w);
	for (int k = 0; k < 2; k++) {
		ice_json_begin_object(&e->w);
		ice_json_key(&e->w, "name");
		ice_json_string(&e->w, k ? "value" : "key");
		ice_json_key(&e->w, "type");
		ice_json_string(&e->w, k ? value_type : "int");
		ice_json_key(&e->w, "field-id");
		ice_json_int(&e->w, k ? value_id : key_id);
		ice_json_end_object(&e->w);
	}
	ice_json_end_array(&e->w);
	ice_json_end_object(&e->w);
	ice_json_key(&e->w, "logicalType");
	ice_json_string(&e->w, "map");
	ice_json_end_object(&e->w);
}

static void avro_record(emitter *e, int record, int version, const char *name);

const char *ice_manifest__avro_name(ice_arena *arena, const char *name)
{
	ice_buf b = ICE_BUF_INIT;
	const char *out;
	size_t n = strlen(name);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
		bool digit = ch >= '0' && ch <= '9';
		if (alpha || (digit && i > 0)) {
			ice_buf__putc(&b, (char)ch);
		} else if (digit) {
			ice_buf__putc(&b, '_');
			ice_buf__putc(&b, (char)ch);
		} else {
			/* One code point of UTF-8 (bytes of invalid UTF-8 one by one). */
			uint32_t cp = ch;
			size_t extra = ch >= 0xf0 ? 3 : ch >= 0xe0 ? 2 : ch >= 0xc0 ? 1 : 0;
			if (extra && i + extra < n) {
				cp = ch & (0x3f >> extra);
				for (size_t k = 1; k <= extra; k++)
					cp = cp << 6 | ((unsigned char)name[i + k] & 0x3f);
				i += extra;
			}
			ice_buf__printf(&b, "_x%X", (unsigned)cp);
		}
	}
	if (b.error) {
		ice_buf__free(&b);
		return NULL;
	}
	out = ice_arena__strndup(arena, b.ptr ? b.ptr : "", b.len);
	ice_buf__free(&b);
	return out;
}

static void avro_partition(emitter *e)
{
	ice_json_begin_object(&e->w);
	ice_json_key(&e->w, "type");
	ice_json_string(&e->w, "record");
	ice_json_key(&e->w, "name");
	ice_json_string(&e->w, "r102");
	ice_json_key(&e->w, "fields");
	ice_json_begin_array(&e->w);
	for (size_t i = 0; i < e->spec->nfields; i++) {
		ice_json_begin_object(&e->w);
		const char *name = ice_manifest__avro_name(e->arena, e->spec->fields[i].name);
		if (!name) {
			ice_jw__fail(&e->w, ICE_ERROR);
			return;
		}
		ice_json_key(&e->w, "name");
		ice_json_string(&e->w, name);
		ice_json_key(&e->w, "type");
		ice_json_begin_array(&e->w);
		ice_json_string(&e->w, "null");
		avro_type_of(e, e->types[i]);
		ice_json_end_array(&e->w);
		ice_json_key(&e->w, "default");
		ice_json_null(&e->w);
		ice_json_key(&e->w, "field-id");
		ice_json_int(&e->w, e->spec->fields[i].field_id);
		ice_json_end_object(&e->w);
	}
	ice_json_end_array(&e->w);
	ice_json_end_object(&e->w);
}

static void avro_value_type(emitter *e, const ice_manifest_wfield *f, int version)
{
	switch (f->kind) {
	case W_INT: ice_json_string(&e->w, "int"); break;
	case W_LONG: ice_json_string(&e->w, "long"); break;
	case W_BOOL: ice_json_string(&e->w, "boolean"); break;
	case W_STRING: ice_json_string(&e->w, "string"); break;
	case W_BYTES: ice_json_string(&e->w, "bytes"); break;
	case W_COUNTS: avro_kv_array(e, f->key_id, f->value_id, "long"); break;
	case W_BOUNDS: avro_kv_array(e, f->key_id, f->value_id, "bytes"); break;
	case W_LONG_LIST:
	case W_INT_LIST:
	case W_SUMMARIES:
		ice_json_begin_object(&e->w);
		ice_json_key(&e->w, "type");
		ice_json_string(&e->w, "array");
		ice_json_key(&e->w, "items");
		if (f->kind == W_SUMMARIES)
			avro_record(e, ICE_WREC_SUMMARY, version, "r508");
		else
			ice_json_string(&e->w, f->kind == W_LONG_LIST ? "long" : "int");
		ice_json_key(&e->w, "element-id");
		ice_json_int(&e->w, f->key_id);
		ice_json_end_object(&e->w);
		break;
	case W_PARTITION: avro_partition(e); break;
	case W_RECORD: avro_record(e, ICE_WREC_DATA_FILE, version, "r2"); break;
	}
}

static void avro_record(emitter *e, int record, int version, const char *name)
{
	size_t n;
	const ice_manifest_wfield *fs = ice_manifest__wfields(record, &n);
	ice_json_begin_object(&e->w);
	ice_json_key(&e->w, "type");
	ice_json_string(&e->w, "record");
	ice_json_key(&e->w, "name");
	ice_json_string(&e->w, name);
	ice_json_key(&e->w, "fields");
	ice_json_begin_array(&e->w);
	for (size_t i = 0; i < n; i++) {
		const ice_manifest_wfield *f = &fs[i];
		bool required = ice_manifest__wfield_required(f, version);
		if (!ice_manifest__wfield_in(f, version))
			continue;
		ice_json_begin_object(&e->w);
		ice_json_key(&e->w, "name");
		ice_json_string(&e->w, f->name);
		ice_json_key(&e->w, "type");
		if (!required) {
			ice_json_begin_array(&e->w);
			ice_json_string(&e->w, "null");
		}
		avro_value_type(e, f, version);
		if (!required)
			ice_json_end_array(&e->w);
		if (f->doc) {
			ice_json_key(&e->w, "doc");
			ice_json_string(&e->w, f->doc);
		}
		if (!required) {
			ice_json_key(&e->w, "default");
			ice_json_null(&e->w);
		} else if (f->id == 105) {
			ice_json_key(&e->w, "default");
			ice_json_int(&e->w, ICE_MANIFEST_V1_BLOCK_SIZE);
		}
		ice_json_key(&e->w, "field-id");
		ice_json_int(&e->w, f->id);
		ice_json_end_object(&e->w);
	}
	ice_json_end_array(&e->w);
	ice_json_end_object(&e->w);
}

/* ---- Iceberg schema JSON ------------------------------------------------------- */

static void iceberg_type_of(emitter *e, const ice_type *t)
{
	char *s = ice_type_to_string(t);
	if (!s) {
		ice_jw__fail(&e->w, ICE_ERROR);
		return;
	}
	ice_json_string(&e->w, s);
	ice_free(s);
}

static void iceberg_record(emitter *e, int record, int version);

static void iceberg_value_type(emitter *e, const ice_manifest_wfield *f, int version)
{
	switch (f->kind) {
	case W_INT: ice_json_string(&e->w, "int"); break;
	case W_LONG: ice_json_string(&e->w, "long"); break;
	case W_BOOL: ice_json_string(&e->w, "boolean"); break;
	case W_STRING: ice_json_string(&e->w, "string"); break;
	case W_BYTES: ice_json_string(&e->w, "binary"); break;
	case W_COUNTS:
	case W_BOUNDS:
		ice_json_begin_object(&e->w);
		ice_json_key(&e->w, "type");
		ice_json_string(&e->w, "map");
		ice_json_key(&e->w, "key-id");
		ice_json_int(&e->w, f->key_id);
		ice_json_key(&e->w, "key");
		ice_json_string(&e->w, "int");
		ice_json_key(&e->w, "value-id");
		ice_json_int(&e->w, f->value_id);
		ice_json_key(&e->w, "value");
		ice_json_string(&e->w, f->kind == W_COUNTS ? "long" : "binary");
		ice_json_key(&e->w, "value-required");
		ice_json_bool(&e->w, true);
		ice_json_end_object(&e->w);
		break;
	case W_LONG_LIST:
	case W_INT_LIST:
	case W_SUMMARIES:
		ice_json_begin_object(&e->w);
		ice_json_key(&e->w, "type");
		ice_json_string(&e->w, "list");
		ice_json_key(&e->w, "element-id");
		ice_json_int(&e->w, f->key_id);
		ice_json_key(&e->w, "element");
		if (f->kind == W_SUMMARIES)
			iceberg_record(e, ICE_WREC_SUMMARY, version);
		else
			ice_json_string(&e->w, f->kind == W_LONG_LIST ? "long" : "int");
		ice_json_key(&e->w, "element-required");
		ice_json_bool(&e->w, true);
		ice_json_end_object(&e->w);
		break;
	case W_PARTITION:
		ice_json_begin_object(&e->w);
		ice_json_key(&e->w, "type");
		ice_json_string(&e->w, "struct");
		ice_json_key(&e->w, "fields");
		ice_json_begin_array(&e->w);
		for (size_t i = 0; i < e->spec->nfields; i++) {
			ice_json_begin_object(&e->w);
			ice_json_key(&e->w, "id");
			ice_json_int(&e->w, e->spec->fields[i].field_id);
			ice_json_key(&e->w, "name");
			ice_json_string(&e->w, e->spec->fields[i].name);
			ice_json_key(&e->w, "required");
			ice_json_bool(&e->w, false);
			ice_json_key(&e->w, "type");
			iceberg_type_of(e, e->types[i]);
			ice_json_end_object(&e->w);
		}
		ice_json_end_array(&e->w);
		ice_json_end_object(&e->w);
		break;
	case W_RECORD: iceberg_record(e, ICE_WREC_DATA_FILE, version); break;
	}
}

static void iceberg_fields(emitter *e, int record, int version)
{
	size_t n;
	const ice_manifest_wfield *fs = ice_manifest__wfields(record, &n);
	ice_json_key(&e->w, "fields");
	ice_json_begin_array(&e->w);
	for (size_t i = 0; i < n; i++) {
		const ice_manifest_wfield *f = &fs[i];
		if (!ice_manifest__wfield_in(f, version))
			continue;
		ice_json_begin_object(&e->w);
		ice_json_key(&e->w, "id");
		ice_json_int(&e->w, f->id);
		ice_json_key(&e->w, "name");
		ice_json_string(&e->w, f->name);
		ice_json_key(&e->w, "required");
		ice_json_bool(&e->w, ice_manifest__wfield_required(f, version));
		ice_json_key(&e->w, "type");
		iceberg_value_type(e, f, version);
		if (f->doc) {
			ice_json_key(&e->w, "doc");
			ice_json_string(&e->w, f->doc);
		}
		ice_json_end_object(&e->w);
	}
	ice_json_end_array(&e->w);
}

static void iceberg_record(emitter *e, int record, int version)
{
	ice_json_begin_object(&e->w);
	ice_json_key(&e->w, "type");
	ice_json_string(&e->w, "struct");
	iceberg_fields(e, record, version);
	ice_json_end_object(&e->w);
}

static const char *finish(emitter *e, ice_arena *arena)
{
	const char *text;
	size_t len;
	const char *copy = NULL;
	if (ice_json_writer_finish(&e->w, &text, &len) == 0)
		copy = ice_arena__strndup(arena, text, len);
	ice_jw__free(&e->w);
	return copy;
}

const char *ice_manifest__entry_schema_json(ice_arena *arena, int format_version, const ice_partition_spec *spec,
                                            const ice_type *const *types)
{
	emitter e;
	memset(&e, 0, sizeof(e));
	ice_jw__init(&e.w, ICE_JSON_COMPACT);
	e.spec = spec;
	e.types = types;
	e.arena = arena;
	avro_record(&e, ICE_WREC_ENTRY, format_version, "manifest_entry");
	return finish(&e, arena);
}

const char *ice_manifest__list_schema_json(ice_arena *arena, int format_version)
{
	emitter e;
	memset(&e, 0, sizeof(e));
	ice_jw__init(&e.w, ICE_JSON_COMPACT);
	avro_record(&e, ICE_WREC_LIST, format_version, "manifest_file");
	return finish(&e, arena);
}

static const char *iceberg_schema(ice_arena *arena, int record, int version, const ice_partition_spec *spec,
                                  const ice_type *const *types)
{
	emitter e;
	memset(&e, 0, sizeof(e));
	ice_jw__init(&e.w, ICE_JSON_COMPACT);
	e.spec = spec;
	e.types = types;
	ice_json_begin_object(&e.w);
	ice_json_key(&e.w, "type");
	ice_json_string(&e.w, "struct");
	ice_json_key(&e.w, "schema-id");
	ice_json_int(&e.w, 0);
	iceberg_fields(&e, record, version);
	ice_json_end_object(&e.w);
	return finish(&e, arena);
}

const char *ice_manifest__entry_iceberg_json(ice_arena *arena, int format_version, const ice_partition_spec *spec,
                                             const ice_type *const *types)
{
	return iceberg_schema(arena, ICE_WREC_ENTRY, format_version, spec, types);
}

const char *ice_manifest__list_iceberg_json(ice_arena *arena, int format_version)
{
	return iceberg_schema(arena, ICE_WREC_LIST, format_version, NULL, NULL);
}
