/*
 * tests/fuzz/fuzz.h - the libFuzzer entry point every target defines. The
 * same targets are linked with replay.c for the normal test run, which feeds
 * them the seed corpus.
 */
#ifndef ICE_FUZZ_H
#define ICE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the library promises was broken: crash loudly. */
#define FUZZ_ASSERT(cond)                                                                           \
	do {                                                                                        \
		if (!(cond))                                                                        \
			__builtin_trap();                                                           \
	} while (0)

#endif
