/*
 * util/datetime.h - proleptic Gregorian calendar arithmetic on days, micros
 * and nanos from the Unix epoch, pre-1970 included (floor division
 * everywhere), and ISO-8601 parsing and formatting in the forms the Iceberg
 * spec uses for JSON single values (Appendix D).
 */
#ifndef ICE_UTIL_DATETIME_H
#define ICE_UTIL_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICE_MICROS_PER_SECOND INT64_C(1000000)
#define ICE_MICROS_PER_DAY INT64_C(86400000000)
#define ICE_MICROS_PER_HOUR INT64_C(3600000000)
#define ICE_NANOS_PER_MICRO INT64_C(1000)

static inline int64_t ice_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static inline int64_t ice_floormod(int64_t a, int64_t b)
{
	return a - ice_floordiv(a, b) * b;
}

int64_t ice_dt__days_from_civil(int64_t y, int m, int d);
void ice_dt__civil_from_days(int64_t days, int64_t *y, int *m, int *d);
bool ice_dt__valid_date(int64_t y, int m, int d);

/* Transform helpers (spec "Partition Transforms"): results relative to 1970. */
int32_t ice_dt__year_from_days(int64_t days);
int32_t ice_dt__month_from_days(int64_t days);

/*
 * Parsing. Each parses the whole string or fails.
 *  date:       [+-]YYYY-MM-DD
 *  time:       HH:MM[:SS[.fffffffff]]
 *  timestamp:  date('T'|' ')time [zone], zone = Z | ±HH:MM | ±HHMM | ±HH
 * Units are chosen by `nanos`: false gives micros (extra digits must be 0 or
 * are rejected), true gives nanos. `zone_out` tells whether a zone was given
 * (pass NULL to reject zones); the result is always UTC-adjusted.
 */
bool ice_dt__parse_date(const char *s, size_t len, int32_t *days_out);
bool ice_dt__parse_time(const char *s, size_t len, bool nanos, int64_t *out);
bool ice_dt__parse_timestamp(const char *s, size_t len, bool nanos, int64_t *out, bool *zone_out);

/*
 * Formatting into out (at least 48 bytes); returns the length.
 *  date:      2017-11-16 (years beyond 9999 get a '+', negative a '-')
 *  time:      22:31:08.123456 (always 6 digits, 9 for nanos)
 *  timestamp: 2017-11-16T22:31:08.123456, with "+00:00" when `zone`
 */
size_t ice_dt__format_date(int64_t days, char *out);
size_t ice_dt__format_time(int64_t value, bool nanos, char *out);
size_t ice_dt__format_timestamp(int64_t value, bool nanos, bool zone, char *out);

#endif
