/*
 * bench/parquet/lineitem.h - the deterministic lineitem-shaped rows the
 * Parquet benchmarks write and read: value j of column c at row i comes from
 * splitmix64(i * 64 + c), so gen_lineitem.py builds exactly the same table
 * with pyarrow for the peers.
 */
#ifndef ICE_BENCH_LINEITEM_H
#define ICE_BENCH_LINEITEM_H

#include <stdint.h>

static inline uint64_t splitmix64(uint64_t x)
{
	uint64_t z = x + UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint64_t cell(uint64_t row, unsigned col)
{
	return splitmix64(row * 64 + col);
}

#define LINEITEM_VOCAB 1000

static const char *const lineitem_flags[] = {"A", "N", "R"};
static const char *const lineitem_status[] = {"O", "F"};
static const char *const lineitem_instruct[] = {"DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"};
static const char *const lineitem_modes[] = {"REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"};

#endif
