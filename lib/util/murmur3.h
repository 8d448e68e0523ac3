/*
 * util/murmur3.h - 32-bit MurmurHash3, x86 variant, seed 0: the hash the
 * Iceberg spec's bucket transform is defined on (Appendix B).
 */
#ifndef ICE_UTIL_MURMUR3_H
#define ICE_UTIL_MURMUR3_H

#include <stddef.h>
#include <stdint.h>

uint32_t ice_murmur3__x86_32(const void *data, size_t len, uint32_t seed);

#endif
