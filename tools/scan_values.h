/*
 * tools/scan_values.h - rendering Arrow values of scanned rows as text
 * (tools/scan_values.c), shared by the output formats of tools/scan_output.c.
 */
#ifndef ICE_TOOLS_SCAN_VALUES_H
#define ICE_TOOLS_SCAN_VALUES_H

#include "cli.h"

/* A growable output buffer (written out by its owner). */
typedef struct sink {
	FILE *f;
	char *buf;
	size_t len, cap;
	size_t hold;  /* hold everything until this many bytes (0: stream) */
	bool failed;
} sink;

void sink_put(sink *s, const void *p, size_t n);
void sink_puts(sink *s, const char *str);
static inline void sink_putc(sink *s, char c)
{
	if (s->len < s->cap)
		s->buf[s->len++] = c;
	else
		sink_put(s, &c, 1);
}
/* Room for n more bytes at s->buf + s->len (false when out of memory). */
bool sink_reserve(sink *s, size_t n);

/* How one column's values are rendered, decided once per column. */
typedef struct col_plan {
	int kind;
	int scale;        /* decimals */
	int width;        /* fixed */
	int64_t unit;     /* per second: timestamps and times */
	bool zone;        /* timestamptz */
	const struct ArrowSchema *schema;
	const ice_type *type;
} col_plan;

/* The plan of a column of Arrow format `schema` and Iceberg type `type`
 * (may be NULL); false for a format nothing renders. */
bool col_plan_of(col_plan *out, const struct ArrowSchema *schema, const ice_type *type);
/* Whether the plan's text never needs CSV quoting (numbers, dates, hex). */
bool col_plan_plain(const col_plan *p);
bool col_plan_numeric(const col_plan *p);

bool value_is_null(const struct ArrowArray *a, int64_t row);
/*
 * Element `row` (logical) of `a`: JSON when `json`, else plain text for
 * primitives (nested values are always JSON). A null is "null" in JSON and
 * nothing in text. False when a nested child's format cannot be rendered.
 */
bool put_value(sink *s, const col_plan *p, const struct ArrowArray *a, int64_t row, bool json);
/* The same as one CSV cell: quoted when it holds , " CR LF or is empty. */
bool put_csv_cell(sink *s, const col_plan *p, const struct ArrowArray *a, int64_t row);
/* A string as JSON (escaped; invalid UTF-8 as U+FFFD) or raw. */
void put_string(sink *s, const uint8_t *p, size_t n, bool json);

#endif
