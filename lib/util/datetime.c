/*
 * util/datetime.c - calendar arithmetic (Howard Hinnant's days_from_civil /
 * civil_from_days) and ISO-8601 text for dates, times and timestamps.
 */
#include <stdio.h>
#include <string.h>

#include "datetime.h"

int64_t ice_dt__days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	const int64_t era = ice_floordiv(y, 400);
	const int64_t yoe = y - era * 400;
	const int64_t mp = (m + 9) % 12;
	const int64_t doy = (153 * mp + 2) / 5 + d - 1;
	const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void ice_dt__civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	const int64_t era = ice_floordiv(z, 146097);
	const int64_t doe = z - era * 146097;
	const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool ice_dt__valid_date(int64_t y, int m, int d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m < 1 || m > 12 || d < 1)
		return false;
	int max = mdays[m - 1] + (m == 2 && is_leap(y));
	return d <= max;
}

int32_t ice_dt__year_from_days(int64_t days)
{
	int64_t y;
	int m, d;
	ice_dt__civil_from_days(days, &y, &m, &d);
	return (int32_t)(y - 1970);
}

int32_t ice_dt__month_from_days(int64_t days)
{
	int64_t y;
	int m, d;
	ice_dt__civil_from_days(days, &y, &m, &d);
	return (int32_t)((y - 1970) * 12 + (m - 1));
}

/* Reads exactly n digits. */
static bool digits(const char *s, size_t len, size_t *pos, int n, int64_t *out)
{
	int64_t v = 0;
	if (*pos + (size_t)n > len)
		return false;
	for (int i = 0; i < n; i++) {
		char c = s[*pos + (size_t)i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*pos += (size_t)n;
	*out = v;
	return true;
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool parse_date_at(const char *s, size_t len, size_t *pos, int64_t *days)
{
	int64_t y = 0, m, d;
	bool neg = false;
	size_t start;
	/* the common form, YYYY-MM-DD, at once (what follows is the caller's) */
	const char *q = s + *pos;
	if (*pos <= len && len - *pos >= 10 && is_digit(q[0]) && is_digit(q[1]) && is_digit(q[2]) && is_digit(q[3]) && q[4] == '-' &&
	    is_digit(q[5]) && is_digit(q[6]) && q[7] == '-' && is_digit(q[8]) && is_digit(q[9])) {
		y = (q[0] - '0') * 1000 + (q[1] - '0') * 100 + (q[2] - '0') * 10 + (q[3] - '0');
		m = (q[5] - '0') * 10 + (q[6] - '0');
		d = (q[8] - '0') * 10 + (q[9] - '0');
		if (!ice_dt__valid_date(y, (int)m, (int)d))
			return false;
		*days = ice_dt__days_from_civil(y, (int)m, (int)d);
		*pos += 10;
		return true;
	}
	if (*pos < len && (s[*pos] == '+' || s[*pos] == '-')) {
		neg = s[*pos] == '-';
		(*pos)++;
	}
	start = *pos;
	while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
		y = y * 10 + (s[*pos] - '0');
		(*pos)++;
		if (*pos - start > 9)
			return false;
	}
	if (*pos - start < 4)
		return false;
	if (neg)
		y = -y;
	if (*pos >= len || s[*pos] != '-')
		return false;
	(*pos)++;
	if (!digits(s, len, pos, 2, &m) || *pos >= len || s[*pos] != '-')
		return false;
	(*pos)++;
	if (!digits(s, len, pos, 2, &d))
		return false;
	if (!ice_dt__valid_date(y, (int)m, (int)d))
		return false;
	*days = ice_dt__days_from_civil(y, (int)m, (int)d);
	return true;
}

/* HH:MM[:SS[.f{1,9}]] -> nanoseconds of day */
static bool parse_time_at(const char *s, size_t len, size_t *pos, int64_t *nanos)
{
	int64_t h, mi, sec = 0, frac = 0;
	int nfrac = 0;
	if (!digits(s, len, pos, 2, &h) || *pos >= len || s[*pos] != ':')
		return false;
	(*pos)++;
	if (!digits(s, len, pos, 2, &mi))
		return false;
	if (*pos < len && s[*pos] == ':') {
		(*pos)++;
		if (!digits(s, len, pos, 2, &sec))
			return false;
		if (*pos < len && s[*pos] == '.') {
			(*pos)++;
			while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
				if (nfrac >= 9)
					return false;
				frac = frac * 10 + (s[*pos] - '0');
				nfrac++;
				(*pos)++;
			}
			if (nfrac == 0)
				return false;
		}
	}
	if (h > 23 || mi > 59 || sec > 59)
		return false;
	for (int i = nfrac; i < 9; i++)
		frac *= 10;
	*nanos = ((h * 60 + mi) * 60 + sec) * INT64_C(1000000000) + frac;
	return true;
}

static bool to_unit(int64_t nanos, bool want_nanos, int64_t *out)
{
	if (want_nanos) {
		*out = nanos;
		return true;
	}
	if (nanos % 1000 != 0)
		return false; /* would lose precision */
	*out = nanos / 1000;
	return true;
}

bool ice_dt__parse_date(const char *s, size_t len, int32_t *days_out)
{
	size_t pos = 0;
	int64_t days;
	if (!parse_date_at(s, len, &pos, &days) || pos != len)
		return false;
	if (days < INT32_MIN || days > INT32_MAX)
		return false;
	*days_out = (int32_t)days;
	return true;
}

bool ice_dt__parse_time(const char *s, size_t len, bool nanos, int64_t *out)
{
	size_t pos = 0;
	int64_t ns;
	if (!parse_time_at(s, len, &pos, &ns) || pos != len)
		return false;
	return to_unit(ns, nanos, out);
}

bool ice_dt__parse_timestamp(const char *s, size_t len, bool nanos, int64_t *out, bool *zone_out)
{
	size_t pos = 0;
	int64_t days, tod, offset_min = 0, value;
	bool zone = false;
	if (!parse_date_at(s, len, &pos, &days))
		return false;
	if (pos >= len || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' '))
		return false;
	pos++;
	if (!parse_time_at(s, len, &pos, &tod))
		return false;
	if (pos < len) {
		if (s[pos] == 'Z' || s[pos] == 'z') {
			pos++;
			zone = true;
		} else if (s[pos] == '+' || s[pos] == '-') {
			int sign = s[pos] == '-' ? -1 : 1;
			int64_t oh, om = 0;
			pos++;
			if (!digits(s, len, &pos, 2, &oh))
				return false;
			if (pos < len && s[pos] == ':')
				pos++;
			if (pos < len && !digits(s, len, &pos, 2, &om))
				return false;
			if (oh > 18 || om > 59)
				return false;
			offset_min = sign * (oh * 60 + om);
			zone = true;
		}
	}
	if (pos != len)
		return false;
	if (zone && !zone_out)
		return false;
	if (zone_out)
		*zone_out = zone;
	/* days * 86400e9 overflows int64 beyond ~292 years for nanos; check. */
	int64_t day_ns;
	if (__builtin_mul_overflow(days, INT64_C(86400000000000), &day_ns)) {
		/* Fall back to micros arithmetic when nanos are not wanted. */
		if (nanos || tod % 1000 != 0)
			return false;
		int64_t day_us;
		if (__builtin_mul_overflow(days, ICE_MICROS_PER_DAY, &day_us))
			return false;
		value = day_us + tod / 1000 - offset_min * 60 * ICE_MICROS_PER_SECOND;
		*out = value;
		return true;
	}
	int64_t total;
	if (__builtin_add_overflow(day_ns, tod, &total) ||
	    __builtin_sub_overflow(total, offset_min * 60 * INT64_C(1000000000), &total))
		return false;
	return to_unit(total, nanos, out);
}

size_t ice_dt__format_date(int64_t days, char *out)
{
	int64_t y;
	int m, d;
	ice_dt__civil_from_days(days, &y, &m, &d);
	if (y > 9999)
		return (size_t)snprintf(out, 48, "+%lld-%02d-%02d", (long long)y, m, d);
	if (y < 0)
		return (size_t)snprintf(out, 48, "-%04lld-%02d-%02d", (long long)-y, m, d);
	return (size_t)snprintf(out, 48, "%04lld-%02d-%02d", (long long)y, m, d);
}

static size_t format_tod(int64_t nanos_of_day, bool nanos, char *out)
{
	int64_t secs = nanos_of_day / INT64_C(1000000000);
	int64_t frac = nanos_of_day % INT64_C(1000000000);
	int h = (int)(secs / 3600), mi = (int)(secs / 60 % 60), s = (int)(secs % 60);
	if (nanos)
		return (size_t)snprintf(out, 48, "%02d:%02d:%02d.%09lld", h, mi, s, (long long)frac);
	return (size_t)snprintf(out, 48, "%02d:%02d:%02d.%06lld", h, mi, s, (long long)(frac / 1000));
}

size_t ice_dt__format_time(int64_t value, bool nanos, char *out)
{
	/* The time of day first: any long (a bound in a manifest) is formatted. */
	int64_t ns = nanos ? ice_floormod(value, INT64_C(86400000000000)) : ice_floormod(value, ICE_MICROS_PER_DAY) * 1000;
	return format_tod(ns, nanos, out);
}

size_t ice_dt__format_timestamp(int64_t value, bool nanos, bool zone, char *out)
{
	int64_t per_day = nanos ? INT64_C(86400000000000) : ICE_MICROS_PER_DAY;
	int64_t days = ice_floordiv(value, per_day);
	int64_t rem = ice_floormod(value, per_day);
	size_t n = ice_dt__format_date(days, out);
	out[n++] = 'T';
	n += format_tod(nanos ? rem : rem * 1000, nanos, out + n);
	if (zone) {
		memcpy(out + n, "+00:00", 7);
		n += 6;
	}
	return n;
}
