/*
 * ingest/values.h - values of the table's types from text and JSON (values.c).
 */
#ifndef ICE_INGEST_VALUES_H
#define ICE_INGEST_VALUES_H

#include "ice/literal.h"
#include "util/arena.h"
#include "util/json.h"

/* Text to a value of `t` (no null handling; nested types from JSON text).
 * Payloads may borrow `s` or live in `a`. */
int ice_value__from_text(ice_literal *out, const ice_type *t, const char *s, size_t len, ice_arena *a);

/* A JSON value to a value of `t` (null for JSON null); `depth` starts at 0.
 * Payloads live in `a` or in the document. */
int ice_value__from_json(ice_literal *out, const ice_type *t, const ice_json *j, ice_arena *a, int depth);

#endif
