/*
 * dsl/dsl.c - the tokenizer of the small text languages a user types on
 * the command line: schemas ("id long required, tags list<string>"),
 * partition expressions ("day(ts), bucket(16, id)") and sort orders
 * ("ts desc nulls last"). Names may be quoted with backquotes or double
 * quotes; strings use single quotes ('it''s').
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dsl.h"
#include "util/error.h"
#include "util/strutil.h"

void ice_dsl__init(dsl *d, const char *what, const char *s, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->what = what;
	d->s = s;
	d->len = len;
}

int ice_dsl__error(dsl *d, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID, "%s: column %zu: %s", d->what, d->tok_pos + 1, msg);
}

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
	       c == '$' || (unsigned char)c >= 0x80;
}

static int quoted(dsl *d, char q, dsl_tok tok)
{
	size_t n = 0;
	d->pos++;
	for (;;) {
		if (d->pos >= d->len)
			return ice_dsl__error(d, "unterminated %s", q == '\'' ? "string" : "quoted name");
		char c = d->s[d->pos++];
		if (c == q) {
			if (d->pos < d->len && d->s[d->pos] == q) {
				d->pos++;
			} else {
				break;
			}
		}
		if (n + 1 >= sizeof(d->buf))
			return ice_dsl__error(d, "%s longer than %zu bytes", tok == T_STRING ? "string" : "name",
			                      sizeof(d->buf) - 1);
		d->buf[n++] = c;
	}
	d->buf[n] = '\0';
	d->tok = tok;
	d->text = d->buf;
	d->text_len = n;
	d->quoted = true;
	return 0;
}

int ice_dsl__next(dsl *d)
{
	while (d->pos < d->len && (d->s[d->pos] == ' ' || d->s[d->pos] == '\t' || d->s[d->pos] == '\n' ||
	                           d->s[d->pos] == '\r'))
		d->pos++;
	d->tok_pos = d->pos;
	d->quoted = false;
	d->text = NULL;
	d->text_len = 0;
	if (d->pos >= d->len) {
		d->tok = T_END;
		return 0;
	}
	char c = d->s[d->pos];
	if (c == '`' || c == '"')
		return quoted(d, c, T_IDENT);
	if (c == '\'')
		return quoted(d, c, T_STRING);
	if (strchr("()[]<>,:=", c)) {
		d->tok = T_PUNCT;
		d->punct = c;
		d->pos++;
		return 0;
	}
	if ((c >= '0' && c <= '9') || ((c == '-' || c == '+') && d->pos + 1 < d->len && d->s[d->pos + 1] >= '0' &&
	                               d->s[d->pos + 1] <= '9')) {
		size_t start = d->pos++;
		while (d->pos < d->len && ((d->s[d->pos] >= '0' && d->s[d->pos] <= '9') || d->s[d->pos] == '.' ||
		                           d->s[d->pos] == 'e' || d->s[d->pos] == 'E'))
			d->pos++;
		d->tok = T_NUMBER;
		d->text = d->s + start;
		d->text_len = d->pos - start;
		return 0;
	}
	if (is_word_char(c)) {
		size_t start = d->pos;
		while (d->pos < d->len && (is_word_char(d->s[d->pos]) || d->s[d->pos] == '.'))
			d->pos++;
		d->tok = T_IDENT;
		d->text = d->s + start;
		d->text_len = d->pos - start;
		return 0;
	}
	return ice_dsl__error(d, "unexpected character '%c'", c);
}

bool ice_dsl__is_word(const dsl *d, const char *word)
{
	return d->tok == T_IDENT && !d->quoted && ice_str__ieq(d->text, d->text_len, word, strlen(word));
}

bool ice_dsl__is_punct(const dsl *d, char c)
{
	return d->tok == T_PUNCT && d->punct == c;
}

const char *ice_dsl__describe(dsl *d, char *out, size_t cap)
{
	switch (d->tok) {
	case T_END:
		snprintf(out, cap, "end of input");
		break;
	case T_PUNCT:
		snprintf(out, cap, "'%c'", d->punct);
		break;
	default:
		snprintf(out, cap, "'%.*s'", (int)(d->text_len > 64 ? 64 : d->text_len), d->text);
		break;
	}
	return out;
}

int ice_dsl__expect(dsl *d, char c, const char *context)
{
	char found[96];
	if (!ice_dsl__is_punct(d, c))
		return ice_dsl__error(d, "expected '%c' %s, found %s", c, context, ice_dsl__describe(d, found, sizeof(found)));
	return ice_dsl__next(d);
}
