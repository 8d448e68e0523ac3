/*
 * tests/unit/util/test_dtoa.c - util/dtoa.c: the shortest text of doubles
 * is exactly what the printf/strtod loop it replaced wrote.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util/dtoa.h"

/* What ice_dtoa__format_g promises: printf's "%.*g" at the first precision
 * from min_precision that strtod reads back. */
static void printf_loop(double v, int min_precision, char *out)
{
	for (int p = min_precision; p <= 17; p++) {
		snprintf(out, 40, "%.*g", p, v);
		if (p == 17 || strtod(out, NULL) == v)
			return;
	}
}

TEST(test_util_dtoa__same_text_as_printf_and_strtod)
{
	static const double fixed[] = {0.0, -0.0, 1.0, -1.5, 0.1, 0.3, 6.21, 100.0, 1e15, 1e16, 1e17, 1e21, 1e22, 1e23,
	                               123456789012345678.0, 9007199254740993.0, 0.0001, 0.00001, 1.2345e-5,
	                               5e-324, 2.2250738585072009e-308, 2.2250738585072014e-308,
	                               1.7976931348623157e308, 4.35, 2.5, 0.5, 1.0 / 3.0, 2.0 / 3.0, 1e-7, 299792458.0};
	char want[40], got[40];
	uint64_t s = 88172645463325252ULL;
	size_t bad = 0;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		for (int mp = 1; mp <= 15; mp += 14) {
			printf_loop(fixed[i], mp, want);
			ice_dtoa__format_g(fixed[i], mp, got);
			CHECK_STR(got, want);
		}
	/* Random bit patterns (every exponent), subnormals, the neighbours of
	 * powers of two (the uneven intervals), decimal fractions, integers. */
	for (long i = 0; i < 200000 && bad < 5; i++) {
		uint64_t bits;
		double v;
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		switch (i % 5) {
		case 0: bits = s; break;
		case 1: bits = s & 0x800FFFFFFFFFFFFFULL; break;
		case 2: bits = (s & 0xFFF0000000000000ULL) | ((s >> 7) & 3); break;
		case 3: v = (double)(int64_t)(s % 2000000) / (double)(1 + (s >> 40) % 1000); memcpy(&bits, &v, 8); break;
		default: v = (double)(int64_t)(s >> (s % 64)); memcpy(&bits, &v, 8); break;
		}
		memcpy(&v, &bits, 8);
		if (!isfinite(v))
			continue;
		for (int mp = 1; mp <= 15; mp += 14) {
			printf_loop(v, mp, want);
			ice_dtoa__format_g(v, mp, got);
			if (strcmp(got, want) != 0 && bad++ < 5)
				fprintf(stderr, "    %a (min precision %d): printf %s, dtoa %s\n", v, mp, want, got);
		}
	}
	CHECK(bad == 0);
	/* NaN and infinities as printf writes them. */
	ice_dtoa__format_g(INFINITY, 1, got);
	CHECK_STR(got, "inf");
	ice_dtoa__format_g(-INFINITY, 15, got);
	CHECK_STR(got, "-inf");
}
