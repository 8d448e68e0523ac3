/*
 * Fuzz target: deletion vectors from memory, as a whole
 * `deletion-vector-v1` blob (length, magic, CRC) and as a bare 64-bit
 * portable Roaring bitmap (the CRC would stop most mutations before the
 * bitmap is parsed). Accepted vectors must iterate to their cardinality and
 * survive serializing and decoding again.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"

void fuzz_check_vector(const uint8_t *data, size_t size, bool bare);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_check_vector(data, size, false);
	/* the bitmap alone: skip the envelope when the input has one */
	if (size >= 12 && data[4] == 0xD1 && data[5] == 0xD3 && data[6] == 0x39 && data[7] == 0x64)
		fuzz_check_vector(data + 8, size - 12, true);
	else
		fuzz_check_vector(data, size, true);
	return 0;
}
