/*
 * Checks shared by the Puffin and deletion-vector fuzz targets (no entry
 * point of its own).
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "ice.h"

void fuzz_error_is_one_line(int rc);
void fuzz_error_is_one_line(int rc)
{
	const ice_error *e = ice_error_last();
	FUZZ_ASSERT(rc != 0 && e && e->message && !strchr(e->message, '\n'));
}

/* Decode a vector, serialize it, decode again: the same positions. */
void fuzz_check_vector(const uint8_t *data, size_t size, bool bare);
void fuzz_check_vector(const uint8_t *data, size_t size, bool bare)
{
	ice_deletion_vector *dv, *again;
	uint8_t *bytes;
	size_t len;
	int rc = bare ? ice_deletion_vector_decode_bitmap(&dv, data, size, "fuzz")
	              : ice_deletion_vector_decode(&dv, data, size, "fuzz");
	if (rc) {
		fuzz_error_is_one_line(rc);
		return;
	}
	int64_t count = 0;
	for (int64_t p = ice_deletion_vector_next(dv, 0); p >= 0 && count < 200000; p = ice_deletion_vector_next(dv, p + 1)) {
		FUZZ_ASSERT(ice_deletion_vector_contains(dv, p));
		count++;
	}
	FUZZ_ASSERT(count == ice_deletion_vector_cardinality(dv) || count == 200000);
	if (ice_deletion_vector_serialize(dv, &bytes, &len) == 0) {
		if (ice_deletion_vector_decode(&again, bytes, len, "again") == 0) {
			FUZZ_ASSERT(ice_deletion_vector_cardinality(again) == ice_deletion_vector_cardinality(dv));
			for (int64_t p = ice_deletion_vector_next(dv, 0), k = 0; p >= 0 && k < 1000;
			     p = ice_deletion_vector_next(dv, p + 1), k++)
				FUZZ_ASSERT(ice_deletion_vector_contains(again, p));
			ice_deletion_vector_free(again);
		}
		ice_free(bytes);
	}
	uint8_t bits[64] = {0};
	ice_deletion_vector_mark(dv, bits, 500);
	ice_deletion_vector_free(dv);
}

