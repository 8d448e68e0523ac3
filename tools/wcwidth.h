/*
 * tools/wcwidth.h - how many terminal columns UTF-8 text takes
 * (tools/wcwidth.c): East Asian wide and fullwidth characters take two,
 * combining marks and zero-width characters none, the rest one.
 */
#ifndef ICE_TOOLS_WCWIDTH_H
#define ICE_TOOLS_WCWIDTH_H

#include <stddef.h>
#include <stdint.h>

/* Columns of one code point: 0, 1 or 2. */
int cli_char_width(uint32_t cp);
/* Columns of `n` bytes of UTF-8 (a malformed byte counts as one column). */
size_t cli_text_width(const char *text, size_t n);
/* The bytes of `text` (a whole number of characters) that fit in `width`
 * columns; their width in *used. */
size_t cli_text_fit(const char *text, size_t n, size_t width, size_t *used);

#endif
