/*
 * dsl/dsl.h - the tokenizer shared by the schema, partition and sort
 * expression parsers (schema_dsl.c, spec_dsl.c). Errors name the
 * expression and the column (1-based) where the problem starts.
 */
#ifndef ICE_TABLE_DSL_INTERNAL_H
#define ICE_TABLE_DSL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "ice/common.h"

typedef enum dsl_tok {
	T_END,
	T_IDENT,  /* a word or a `quoted`/"quoted" name */
	T_NUMBER, /* an integer, possibly signed */
	T_STRING, /* 'text' with '' for a quote */
	T_PUNCT,  /* one of ( ) [ ] < > , : = */
} dsl_tok;

typedef struct dsl {
	const char *what; /* "schema", "partition", "sort order" */
	const char *s;
	size_t len, pos;
	/* the current token */
	dsl_tok tok;
	size_t tok_pos;
	const char *text; /* T_IDENT (unquoted): into s; quoted and strings: decoded into buf */
	size_t text_len;
	bool quoted;
	char punct;
	char buf[1024];
} dsl;

void ice_dsl__init(dsl *d, const char *what, const char *s, size_t len);
/* Reads the next token; ICE_EINVALID for an unterminated quote or a bad character. */
int ice_dsl__next(dsl *d);
/* "<what>: column N: <message>", ICE_EINVALID. */
int ice_dsl__error(dsl *d, const char *fmt, ...) ICE_PRINTF(2, 3);
bool ice_dsl__is_word(const dsl *d, const char *word); /* unquoted identifier, ASCII case-insensitive */
bool ice_dsl__is_punct(const dsl *d, char c);
/* Requires punctuation `c` and reads past it. */
int ice_dsl__expect(dsl *d, char c, const char *context);
/* The current token as readable text for messages ("end of input" at the end). */
const char *ice_dsl__describe(dsl *d, char *out, size_t cap);

#endif
