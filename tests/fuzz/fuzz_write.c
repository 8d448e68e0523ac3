/*
 * Fuzz target: the write path's parsers. The first byte picks one:
 * even - the schema, partition and sort languages (three lines of text:
 * a schema, then a partition expression and a sort order over it; what
 * parses must validate); odd - a CSV file (written to a temporary file),
 * read through schema inference, which runs the CSV reader over the header
 * and sample rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "ice.h"

static void dsl(const char *text, size_t n)
{
	char *buf = malloc(n + 1);
	if (!buf)
		return;
	memcpy(buf, text, n);
	buf[n] = '\0';
	char *partition = strchr(buf, '\n');
	char *sort = NULL;
	if (partition) {
		*partition++ = '\0';
		if ((sort = strchr(partition, '\n')) != NULL)
			*sort++ = '\0';
	}
	ice_schema *s = NULL;
	if (ice_schema_parse_dsl(&s, buf) == 0) {
		FUZZ_ASSERT(ice_schema_field_count(s) > 0);
		ice_partition_spec *spec = NULL;
		ice_sort_order *order = NULL;
		if (partition && ice_partition_spec_parse_dsl(&spec, partition, s) == 0)
			FUZZ_ASSERT(ice_partition_spec_validate(spec, s) == 0);
		if (sort && ice_sort_order_parse_dsl(&order, sort, s) == 0)
			FUZZ_ASSERT(ice_sort_order_validate(order, s) == 0);
		ice_partition_spec_free(spec);
		ice_sort_order_free(order);
	} else {
		FUZZ_ASSERT(ice_error_last() != NULL);
	}
	ice_schema_free(s);
	free(buf);
}

static void csv(const uint8_t *data, size_t n)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/ice-fuzz-csv-%d.csv", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(data, 1, n, f);
	fclose(f);
	ice_io *io;
	if (ice_io_new(&io) == 0) {
		ice_schema *s = NULL;
		if (ice_schema_infer(&s, io, path, ',') == 0)
			FUZZ_ASSERT(ice_schema_field_count(s) > 0);
		ice_schema_free(s);
		ice_io_free(io);
	}
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] % 2 == 0)
		dsl((const char *)data + 1, size - 1);
	else
		csv(data + 1, size - 1);
	ice_error_clear();
	return 0;
}
