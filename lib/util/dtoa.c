/*
 * util/dtoa.c - the shortest decimal digits that read back as a given
 * double, by Ulf Adams' Ryū algorithm (PLDI 2018): the interval of
 * decimals that round to the double is scaled by a 128-bit approximation
 * of a power of five and the digits are cut while both ends still differ,
 * with exact trailing-zero tracking for the halfway and boundary cases.
 * Written here from the paper; the tables of 5^i and 2^k / 5^i (their top
 * 125 bits) are computed once, on first use, by exact big-integer
 * arithmetic rather than carried as constants.
 *
 * Why: printf's "%.17g" and strtod run glibc's multi-precision code for
 * most doubles, and finding the shortest text by trying precisions costs
 * several of each per value (microseconds: the bulk of writing a column
 * of doubles as CSV or JSON). ice_dtoa__format_g gives exactly what
 * trying snprintf("%.*g", p) for p = min_precision, min_precision + 1, ...
 * until strtod reads the value back gives - the same digits, the same
 * choice of fixed or exponent notation - at a small fraction of the cost.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtoa.h"
#include "int128.h"
#include "strutil.h"

#define POW5_INV_BITCOUNT 125
#define POW5_BITCOUNT 125
#define POW5_INV_TABLE 342
#define POW5_TABLE 326

static uint64_t pow5_split[POW5_TABLE][2]; /* [0]: low 64 bits, [1]: high */
static uint64_t pow5_inv_split[POW5_INV_TABLE][2];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* ---- the tables: exact big integers (little-endian 32-bit limbs) ---------------------- */

#define LIMBS 32 /* 1024 bits: 5^341 has 792 */

typedef struct big {
	uint32_t d[LIMBS];
} big;

static int big_bits(const big *a)
{
	for (int i = LIMBS - 1; i >= 0; i--)
		if (a->d[i])
			return i * 32 + 32 - __builtin_clz(a->d[i]);
	return 0;
}

static void big_mul_small(big *a, uint32_t m)
{
	uint64_t carry = 0;
	for (int i = 0; i < LIMBS; i++) {
		uint64_t t = (uint64_t)a->d[i] * m + carry;
		a->d[i] = (uint32_t)t;
		carry = t >> 32;
	}
}

static bool big_bit(const big *a, int bit)
{
	return bit >= 0 && bit < LIMBS * 32 && (a->d[bit / 32] >> (bit % 32)) & 1;
}

/* Bits [from, from + 128) of a (bits below 0 read as zeros). */
static void big_extract(const big *a, int from, uint64_t out[2])
{
	out[0] = out[1] = 0;
	for (int b = 0; b < 128; b++)
		if (big_bit(a, from + b))
			out[b / 64] |= (uint64_t)1 << (b % 64);
}

static void big_shl1(big *a, uint32_t in)
{
	for (int i = 0; i < LIMBS; i++) {
		uint32_t out = a->d[i] >> 31;
		a->d[i] = (a->d[i] << 1) | in;
		in = out;
	}
}

static int big_cmp(const big *a, const big *b)
{
	for (int i = LIMBS - 1; i >= 0; i--)
		if (a->d[i] != b->d[i])
			return a->d[i] < b->d[i] ? -1 : 1;
	return 0;
}

static void big_sub(big *a, const big *b)
{
	int64_t borrow = 0;
	for (int i = 0; i < LIMBS; i++) {
		int64_t t = (int64_t)a->d[i] - b->d[i] - borrow;
		borrow = t < 0;
		a->d[i] = (uint32_t)(t + (borrow ? ((int64_t)1 << 32) : 0));
	}
}

static void make_tables(void)
{
	big p5;
	memset(&p5, 0, sizeof(p5));
	p5.d[0] = 1;
	for (int i = 0; i < POW5_INV_TABLE; i++) {
		int len = big_bits(&p5); /* = pow5bits(i) */
		if (i < POW5_TABLE) {
			/* floor(5^i * 2^(125 - len)): its top 125 bits. */
			big_extract(&p5, len - POW5_BITCOUNT, pow5_split[i]);
		}
		/* floor(2^j / 5^i) + 1 with j = len - 1 + 125, by long division.
		 * The quotient is at most 2^125, so no quotient bit above 126 is
		 * set: the remainder before bit 126 is the dividend's bits above
		 * it, 2^(j - 127) (when j >= 127), and 127 steps follow. */
		int j = len - 1 + POW5_INV_BITCOUNT;
		big r;
		uint64_t q[2] = {0, 0};
		memset(&r, 0, sizeof(r));
		if (j >= 127)
			r.d[(j - 127) / 32] = (uint32_t)1 << ((j - 127) % 32);
		for (int b = 126; b >= 0; b--) {
			big_shl1(&r, b == j ? 1 : 0);
			if (big_cmp(&r, &p5) >= 0) {
				big_sub(&r, &p5);
				q[b / 64] |= (uint64_t)1 << (b % 64);
			}
		}
		/* + 1 */
		if (++q[0] == 0)
			q[1]++;
		pow5_inv_split[i][0] = q[0];
		pow5_inv_split[i][1] = q[1];
		big_mul_small(&p5, 5);
	}
}

/* ---- Ryū ----------------------------------------------------------------------------- */

static inline int pow5bits(int e)
{
	return (int)(((uint32_t)e * 1217359) >> 19) + 1;
}

static inline int log10_pow2(int e)
{
	return (int)(((uint32_t)e * 78913) >> 18);
}

static inline int log10_pow5(int e)
{
	return (int)(((uint32_t)e * 732923) >> 20);
}

static inline int pow5_factor(uint64_t v)
{
	int n = 0;
	while (v % 5 == 0) {
		v /= 5;
		n++;
	}
	return n;
}

static inline bool multiple_of_pow5(uint64_t v, int p)
{
	return pow5_factor(v) >= p;
}

static inline bool multiple_of_pow2(uint64_t v, int p)
{
	return (v & (((uint64_t)1 << p) - 1)) == 0;
}

static inline uint64_t mul_shift(uint64_t m, const uint64_t mul[2], int j)
{
	ice_u128 b0 = (ice_u128)m * mul[0];
	ice_u128 b2 = (ice_u128)m * mul[1];
	return (uint64_t)(((b0 >> 64) + b2) >> (j - 64));
}

int ice_dtoa__shortest(double v, char digits[18], int *exp10_out)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	uint64_t mant = bits & (((uint64_t)1 << 52) - 1);
	uint32_t exp = (uint32_t)((bits >> 52) & 0x7ff);
	if (exp == 0 && mant == 0) {
		digits[0] = '0';
		digits[1] = '\0';
		*exp10_out = 0;
		return 1;
	}
	pthread_once(&tables_once, make_tables);
	int e2;
	uint64_t m2;
	if (exp == 0) {
		e2 = 1 - 1023 - 52 - 2;
		m2 = mant;
	} else {
		e2 = (int)exp - 1023 - 52 - 2;
		m2 = ((uint64_t)1 << 52) | mant;
	}
	bool accept_bounds = (m2 & 1) == 0;
	uint64_t mv = 4 * m2;
	uint32_t mm_shift = mant != 0 || exp <= 1;
	uint64_t vr, vp, vm;
	int e10;
	bool vm_tz = false, vr_tz = false;
	if (e2 >= 0) {
		int q = log10_pow2(e2) - (e2 > 3);
		e10 = q;
		int k = POW5_INV_BITCOUNT + pow5bits(q) - 1;
		int i = -e2 + q + k;
		vr = mul_shift(4 * m2, pow5_inv_split[q], i);
		vp = mul_shift(4 * m2 + 2, pow5_inv_split[q], i);
		vm = mul_shift(4 * m2 - 1 - mm_shift, pow5_inv_split[q], i);
		if (q <= 21) {
			if (mv % 5 == 0)
				vr_tz = multiple_of_pow5(mv, q);
			else if (accept_bounds)
				vm_tz = multiple_of_pow5(mv - 1 - mm_shift, q);
			else
				vp -= multiple_of_pow5(mv + 2, q);
		}
	} else {
		int q = log10_pow5(-e2) - (-e2 > 1);
		e10 = q + e2;
		int i = -e2 - q;
		int k = pow5bits(i) - POW5_BITCOUNT;
		int j = q - k;
		vr = mul_shift(4 * m2, pow5_split[i], j);
		vp = mul_shift(4 * m2 + 2, pow5_split[i], j);
		vm = mul_shift(4 * m2 - 1 - mm_shift, pow5_split[i], j);
		if (q <= 1) {
			vr_tz = true;
			if (accept_bounds)
				vm_tz = mm_shift == 1;
			else
				vp--;
		} else if (q < 63) {
			vr_tz = multiple_of_pow2(mv, q);
		}
	}
	int removed = 0;
	int last = 0;
	uint64_t out;
	if (vm_tz || vr_tz) {
		while (vp / 10 > vm / 10) {
			vm_tz &= vm % 10 == 0;
			vr_tz &= last == 0;
			last = (int)(vr % 10);
			vr /= 10;
			vp /= 10;
			vm /= 10;
			removed++;
		}
		if (vm_tz) {
			while (vm % 10 == 0) {
				vr_tz &= last == 0;
				last = (int)(vr % 10);
				vr /= 10;
				vp /= 10;
				vm /= 10;
				removed++;
			}
		}
		if (vr_tz && last == 5 && vr % 2 == 0)
			last = 4; /* a tie: round to even */
		out = vr + ((vr == vm && (!accept_bounds || !vm_tz)) || last >= 5);
	} else {
		bool round_up = false;
		while (vp / 10 > vm / 10) {
			round_up = vr % 10 >= 5;
			vr /= 10;
			vp /= 10;
			vm /= 10;
			removed++;
		}
		out = vr + (vr == vm || round_up);
	}
	int e = e10 + removed;
	while (out >= 10 && out % 10 == 0) {
		out /= 10;
		e++;
	}
	int n = (int)ice_str__from_uint64(digits, out);
	*exp10_out = e + n - 1;
	return n;
}

size_t ice_dtoa__format_g(double v, int min_precision, char *out)
{
	char d[18];
	int x;
	size_t n = 0;
	if (v != v || v - v != 0) /* NaN, infinities: as printf writes them */
		return (size_t)snprintf(out, 32, "%g", v);
	if (signbit(v)) {
		out[n++] = '-';
		v = -v;
	}
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	if (v != 0 && ((bits & (((uint64_t)1 << 52) - 1)) == 0 || v < 2.2250738585072014e-308)) {
		/* A power of two (the interval of decimals that read back is
		 * uneven: the shortest may be a digit shorter than printf's
		 * correctly rounded text at the first precision that reads back)
		 * or a subnormal (digits far beyond the double's precision):
		 * rare, so ask printf, as the promise is its text. */
		for (int p = min_precision; p <= 17; p++) {
			int k = snprintf(out + n, 31 - n, "%.*g", p, v);
			if (p == 17 || strtod(out + n, NULL) == v)
				return n + (size_t)k;
		}
	}
	int nd = ice_dtoa__shortest(v, d, &x);
	int p = nd > min_precision ? nd : min_precision;
	if (x < -4 || x >= p) {
		/* d.ddde+XX */
		out[n++] = d[0];
		if (nd > 1) {
			out[n++] = '.';
			memcpy(out + n, d + 1, (size_t)nd - 1);
			n += (size_t)nd - 1;
		}
		int ax = x < 0 ? -x : x;
		out[n++] = 'e';
		out[n++] = x < 0 ? '-' : '+';
		if (ax >= 100)
			out[n++] = (char)('0' + ax / 100);
		out[n++] = (char)('0' + ax / 10 % 10);
		out[n++] = (char)('0' + ax % 10);
		out[n] = '\0';
		return n;
	}
	if (x < 0) {
		out[n++] = '0';
		out[n++] = '.';
		for (int i = 0; i < -x - 1; i++)
			out[n++] = '0';
		memcpy(out + n, d, (size_t)nd);
		n += (size_t)nd;
	} else {
		for (int i = 0; i <= x; i++)
			out[n++] = i < nd ? d[i] : '0';
		if (nd > x + 1) {
			out[n++] = '.';
			memcpy(out + n, d + x + 1, (size_t)(nd - x - 1));
			n += (size_t)(nd - x - 1);
		}
	}
	out[n] = '\0';
	return n;
}
