/*
 * util/dtoa.h - doubles as the shortest text that reads back as them
 * (dtoa.c: Ryū), fast enough for a column of a million values.
 */
#ifndef ICE_UTIL_DTOA_H
#define ICE_UTIL_DTOA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The shortest digits (no trailing zeros; "0" for zero) that read back as
 * |v| (finite), the closest to it among them: |v| = 0.d1d2d3... x 10^(X+1),
 * that is d1.d2d3... x 10^X with X in *exp10_out. Returns how many digits
 * (1..17). Thread-safe.
 */
int ice_dtoa__shortest(double v, char digits[18], int *exp10_out);

/*
 * What snprintf("%.*g", p, v) writes for the smallest p >= min_precision
 * at which strtod reads it back as v: the shortest digits, in fixed
 * notation unless the exponent is below -4 or at least p. NaN and the
 * infinities as printf writes them. `out` holds 32 bytes; returns the
 * length (NUL-terminated).
 */
size_t ice_dtoa__format_g(double v, int min_precision, char *out);

#endif
