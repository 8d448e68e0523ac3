/*
 * Fuzz target: REST table updates and requirements, applied through the
 * metadata builder to a fixed v2 table (and to no table, as a create). The
 * builder either refuses an update with an error or produces metadata that
 * writes and re-parses.
 */
#include <string.h>

#include "fuzz.h"
#include "ice.h"

static const char base_json[] =
	"{\"format-version\":2,\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\",\"location\":\"s3://b/t\","
	"\"last-sequence-number\":2,\"last-updated-ms\":1600000000000,\"last-column-id\":3,\"current-schema-id\":0,"
	"\"schemas\":[{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"x\",\"required\":true,"
	"\"type\":\"long\"},{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},{\"id\":3,\"name\":"
	"\"s\",\"required\":false,\"type\":\"string\"}]}],\"default-spec-id\":0,\"partition-specs\":[{\"spec-id\":0,"
	"\"fields\":[{\"name\":\"ts_day\",\"transform\":\"day\",\"source-id\":2,\"field-id\":1000}]}],"
	"\"last-partition-id\":1000,\"default-sort-order-id\":0,\"sort-orders\":[{\"order-id\":0,\"fields\":[]}],"
	"\"properties\":{},\"current-snapshot-id\":7,\"snapshots\":[{\"snapshot-id\":7,\"sequence-number\":2,"
	"\"timestamp-ms\":1600000000000,\"summary\":{\"operation\":\"append\"},\"manifest-list\":\"s3://b/t/m.avro\"}],"
	"\"snapshot-log\":[{\"timestamp-ms\":1600000000000,\"snapshot-id\":7}],\"metadata-log\":[]}";

static void apply(const ice_table_metadata *base, const ice_table_updates *ups)
{
	ice_metadata_builder *b;
	ice_table_metadata *out = NULL, *back = NULL;
	char *json;
	size_t len;
	if (ice_metadata_builder_new(&b, base) != 0)
		return;
	ice_metadata_builder_set_now(b, 1700000000000);
	if (ice_metadata_builder_apply(b, ups) == 0 && ice_metadata_builder_build(&out, b) == 0) {
		FUZZ_ASSERT(ice_table_metadata_to_json(&json, &len, out, ICE_JSON_COMPACT) == 0);
		FUZZ_ASSERT(ice_table_metadata_parse(&back, json, len, "built") == 0);
		FUZZ_ASSERT(ice_table_metadata_equal(out, back));
		ice_free(json);
	}
	ice_table_metadata_free(back);
	ice_table_metadata_free(out);
	ice_metadata_builder_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ice_table_metadata *base;
	ice_table_updates *ups = NULL;
	ice_table_requirements *reqs = NULL;
	if (!base && ice_table_metadata_parse(&base, base_json, strlen(base_json), "base") != 0)
		__builtin_trap();
	if (ice_table_requirements_from_json(&reqs, (const char *)data, size, "fuzz") == 0) {
		(void)ice_table_requirements_check(reqs, base);
		(void)ice_table_requirements_check(reqs, NULL);
		ice_table_requirements_free(reqs);
	}
	if (ice_table_updates_from_json(&ups, (const char *)data, size, "fuzz") != 0)
		return 0;
	apply(base, ups);
	apply(NULL, ups);
	ice_table_updates_free(ups);
	return 0;
}
