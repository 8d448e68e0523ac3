/*
 * expr/parse.c - the --where language (grammar in ice/expr.h): a
 * tokenizer that remembers each token's column, and a recursive-descent
 * parser producing an unbound tree. Errors are ICE_EINVALID with
 * "where: column N: <what>" (N counts characters from 1).
 *
 * Literals keep the type they were written with: integers are long (or a
 * decimal beyond 64 bits), numbers with a fraction are decimals (exact:
 * 0.1 stays 0.1), numbers with an exponent are doubles, 'text' is a
 * string, and `type 'text'` (date '2024-01-31', timestamptz '...+01:00',
 * uuid '...', decimal '1.50', X'0a1b', ...) has that type. Binding
 * converts them to the column's type.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "util/int128.h"
#include "util/strutil.h"

/* Nesting deeper than this is refused (stack safety on hostile input). */
#define MAX_DEPTH 200

typedef enum tok_kind {
	T_END,
	T_IDENT,
	T_QUOTED_IDENT, /* `any text` */
	T_NUMBER,
	T_STRING,       /* 'text' */
	T_HEX,          /* X'0a1b' */
	T_LPAREN,
	T_RPAREN,
	T_COMMA,
	T_DOT,
	T_OP,
} tok_kind;

typedef struct token {
	tok_kind kind;
	size_t pos;       /* byte offset in the input */
	const char *text; /* identifiers, numbers, operators: into the input; strings: unescaped in the arena */
	size_t len;
	ice_op op;        /* T_OP */
} token;

typedef struct parser {
	const char *src;
	size_t len;
	size_t pos;       /* next byte to tokenize */
	token tok;        /* the current token */
	ice_arena arena;  /* unescaped strings, literal payloads */
	int depth;
} parser;

/* Column of a byte offset: characters (UTF-8 sequences) from 1. */
static size_t column_of(const parser *p, size_t pos)
{
	size_t col = 1;
	for (size_t i = 0; i < pos && i < p->len; i++)
		if (((unsigned char)p->src[i] & 0xc0) != 0x80)
			col++;
	return col;
}

static int fail(const parser *p, size_t pos, const char *fmt, ...) ICE_PRINTF(3, 4);

static int fail(const parser *p, size_t pos, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: column %zu: %s", column_of(p, pos), what);
}

/* A token's text for messages (bounded). */
static const char *describe(const token *t, char *buf, size_t cap)
{
	switch (t->kind) {
	case T_END: return "the end of the expression";
	case T_STRING: snprintf(buf, cap, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->text); return buf;
	case T_QUOTED_IDENT: snprintf(buf, cap, "`%.*s`", (int)(t->len > 40 ? 40 : t->len), t->text); return buf;
	case T_HEX: return "a hex literal";
	default: snprintf(buf, cap, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->text); return buf;
	}
}

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (unsigned char)c >= 0x80;
}

static bool is_ident_char(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A quoted run ('...' or `...`, the quote doubled inside) unescaped into the arena. */
static int quoted(parser *p, char q, token *t)
{
	size_t start = p->pos, i = p->pos + 1, n = 0;
	char *out = ice_arena__alloc_raw(&p->arena, p->len - p->pos + 1);
	if (!out)
		return ICE_ERROR;
	for (;;) {
		if (i >= p->len)
			return fail(p, start, "unterminated %s", q == '\'' ? "string" : "quoted column name");
		if (p->src[i] == q) {
			if (i + 1 < p->len && p->src[i + 1] == q) {
				out[n++] = q;
				i += 2;
				continue;
			}
			i++;
			break;
		}
		out[n++] = p->src[i++];
	}
	out[n] = '\0';
	t->text = out;
	t->len = n;
	p->pos = i;
	return 0;
}

static int next_token(parser *p)
{
	token *t = &p->tok;
	const char *s = p->src;
	while (p->pos < p->len && (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' || s[p->pos] == '\r'))
		p->pos++;
	memset(t, 0, sizeof(*t));
	t->pos = p->pos;
	t->text = s + p->pos;
	if (p->pos >= p->len) {
		t->kind = T_END;
		return 0;
	}
	char c = s[p->pos];
	char d = p->pos + 1 < p->len ? s[p->pos + 1] : '\0';
	if (c == '\0')
		return fail(p, p->pos, "unexpected NUL byte");
	if ((c == 'X' || c == 'x') && d == '\'') {
		t->kind = T_HEX;
		p->pos++;
		return quoted(p, '\'', t);
	}
	if (is_ident_start(c)) {
		size_t i = p->pos;
		while (i < p->len && is_ident_char(s[i]))
			i++;
		t->kind = T_IDENT;
		t->len = i - p->pos;
		p->pos = i;
		return 0;
	}
	if (is_digit(c) || ((c == '-' || c == '+' || c == '.') && (is_digit(d) || (d == '.' && c != '.')))) {
		size_t i = p->pos + (c == '-' || c == '+');
		while (i < p->len && is_digit(s[i]))
			i++;
		if (i < p->len && s[i] == '.') {
			i++;
			while (i < p->len && is_digit(s[i]))
				i++;
		}
		if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
			size_t j = i + 1;
			if (j < p->len && (s[j] == '-' || s[j] == '+'))
				j++;
			if (j < p->len && is_digit(s[j])) {
				while (j < p->len && is_digit(s[j]))
					j++;
				i = j;
			}
		}
		if (i < p->len && is_ident_char(s[i]))
			return fail(p, p->pos, "malformed number '%.*s'", (int)(i + 1 - p->pos), s + p->pos);
		t->kind = T_NUMBER;
		t->len = i - p->pos;
		p->pos = i;
		return 0;
	}
	switch (c) {
	case '\'': t->kind = T_STRING; return quoted(p, '\'', t);
	case '`': t->kind = T_QUOTED_IDENT; return quoted(p, '`', t);
	case '"': t->kind = T_QUOTED_IDENT; return quoted(p, '"', t);
	case '(': t->kind = T_LPAREN; break;
	case ')': t->kind = T_RPAREN; break;
	case ',': t->kind = T_COMMA; break;
	case '.': t->kind = T_DOT; break;
	case '=':
		t->kind = T_OP;
		t->op = ICE_OP_EQ;
		if (d == '=')
			p->pos++, t->len++;
		break;
	case '!':
		if (d != '=')
			return fail(p, p->pos, "unexpected '!' (did you mean '!='?)");
		t->kind = T_OP;
		t->op = ICE_OP_NOT_EQ;
		p->pos++, t->len++;
		break;
	case '<':
		t->kind = T_OP;
		t->op = ICE_OP_LT;
		if (d == '=')
			t->op = ICE_OP_LT_EQ, p->pos++, t->len++;
		else if (d == '>')
			t->op = ICE_OP_NOT_EQ, p->pos++, t->len++;
		break;
	case '>':
		t->kind = T_OP;
		t->op = ICE_OP_GT;
		if (d == '=')
			t->op = ICE_OP_GT_EQ, p->pos++, t->len++;
		break;
	default: {
		size_t n = 1;
		while (n < 4 && p->pos + n < p->len && ((unsigned char)s[p->pos + n] & 0xc0) == 0x80)
			n++;
		return fail(p, p->pos, "unexpected character '%.*s'", (int)n, s + p->pos);
	}
	}
	p->pos++;
	t->len++;
	return 0;
}

static bool is_word(const token *t, const char *word)
{
	return t->kind == T_IDENT && ice_str__ieq(t->text, t->len, word, strlen(word));
}

static int expect_word(parser *p, const char *word)
{
	char buf[64];
	if (!is_word(&p->tok, word))
		return fail(p, p->tok.pos, "expected '%s', found %s", word, describe(&p->tok, buf, sizeof(buf)));
	return next_token(p);
}

/* ---- literals ------------------------------------------------------------------ */

static const struct {
	const char *name;
	ice_type_id id;
} type_names[] = {
	{"boolean", ICE_TYPE_BOOLEAN},
	{"int", ICE_TYPE_INT},
	{"long", ICE_TYPE_LONG},
	{"float", ICE_TYPE_FLOAT},
	{"double", ICE_TYPE_DOUBLE},
	{"decimal", ICE_TYPE_DECIMAL},
	{"date", ICE_TYPE_DATE},
	{"time", ICE_TYPE_TIME},
	{"timestamp", ICE_TYPE_TIMESTAMP},
	{"timestamptz", ICE_TYPE_TIMESTAMPTZ},
	{"timestamp_ns", ICE_TYPE_TIMESTAMP_NS},
	{"timestamptz_ns", ICE_TYPE_TIMESTAMPTZ_NS},
	{"string", ICE_TYPE_STRING},
	{"uuid", ICE_TYPE_UUID},
	{"fixed", ICE_TYPE_FIXED},
	{"binary", ICE_TYPE_BINARY},
	{NULL, ICE_TYPE_INVALID},
};

static ice_type_id type_name(const token *t)
{
	if (t->kind != T_IDENT)
		return ICE_TYPE_INVALID;
	for (int i = 0; type_names[i].name; i++)
		if (ice_str__ieq(t->text, t->len, type_names[i].name, strlen(type_names[i].name)))
			return type_names[i].id;
	return ICE_TYPE_INVALID;
}

/* An untyped number: long, decimal (a fraction, or too long for a long) or double (an exponent). */
static int number_literal(parser *p, const token *t, ice_literal *out)
{
	const char *s = t->text;
	size_t n = t->len, i = 0;
	bool neg = false, exponent = false;
	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < n; k++)
		if (s[k] == 'e' || s[k] == 'E')
			exponent = true;
	if (!exponent && !memchr(s, '.', n) && ice_str__to_int64(s, n, &out->v.i64)) {
		out->type = ICE_TYPE_LONG;
		return 0;
	}
	if (!exponent) {
		ice_i128 v = 0;
		int digits = 0, scale = 0;
		bool frac = false;
		if (s[i] == '-' || s[i] == '+')
			neg = s[i++] == '-';
		for (; i < n; i++) {
			if (s[i] == '.') {
				frac = true;
				continue;
			}
			if (digits > 0 || s[i] != '0')
				digits++;
			if (digits > 38)
				break;
			v = v * 10 + (s[i] - '0');
			if (frac)
				scale++;
		}
		if (digits <= 38) {
			out->type = ICE_TYPE_DECIMAL;
			out->scale = scale;
			out->v.dec = (ice_decimal128){(uint64_t)(neg ? -v : v), (int64_t)((neg ? -v : v) >> 64)};
			return 0;
		}
	}
	if (!ice_str__to_double(s, n, &out->v.f64))
		return fail(p, t->pos, "malformed number '%.*s'", (int)n, s);
	out->type = ICE_TYPE_DOUBLE;
	return 0;
}

/* `type 'text'`: the text read as a value of that type. */
static int typed_literal(parser *p, ice_type_id id, const token *name, const token *text, ice_literal *out)
{
	ice_type type;
	memset(&type, 0, sizeof(type));
	type.id = id;
	if (id == ICE_TYPE_DECIMAL) {
		const char *dot = memchr(text->text, '.', text->len);
		type.u.decimal.precision = 38;
		type.u.decimal.scale = dot ? (int32_t)(text->text + text->len - dot - 1) : 0;
	} else if (id == ICE_TYPE_FIXED) {
		type.u.fixed.length = (int32_t)(text->len / 2);
	}
	int rc = ice_literal_from_string(out, &type, text->text, text->len, &p->arena);
	if (rc == 0)
		return 0;
	if (ice_error__is_oom())
		return rc;
	char msg[400];
	snprintf(msg, sizeof(msg), "%s", ice_error_last()->message);
	return fail(p, name->pos, "%.*s literal: %s", (int)name->len, name->text, msg);
}

static int literal(parser *p, ice_literal *out)
{
	token t = p->tok;
	char buf[64];
	int rc;
	memset(out, 0, sizeof(*out));
	switch (t.kind) {
	case T_NUMBER:
		if ((rc = number_literal(p, &t, out)) != 0)
			return rc;
		return next_token(p);
	case T_STRING:
		*out = ice_literal_string(t.text, t.len);
		if (!ice_utf8__valid((const uint8_t *)t.text, t.len))
			return fail(p, t.pos, "a string literal must be valid UTF-8");
		return next_token(p);
	case T_HEX: {
		ice_type bin;
		memset(&bin, 0, sizeof(bin));
		bin.id = ICE_TYPE_BINARY;
		if (ice_literal_from_string(out, &bin, t.text, t.len, &p->arena) != 0)
			return ice_error__is_oom() ? ICE_ERROR : fail(p, t.pos, "malformed hex literal X'%.*s'",
			                                               (int)(t.len > 40 ? 40 : t.len), t.text);
		return next_token(p);
	}
	case T_IDENT: {
		ice_type_id id = type_name(&t);
		if (is_word(&t, "true") || is_word(&t, "false")) {
			*out = ice_literal_bool(is_word(&t, "true"));
			return next_token(p);
		}
		if (is_word(&t, "null"))
			return fail(p, t.pos, "null is not a value to compare with: use 'is null' or 'is not null'");
		if (id != ICE_TYPE_INVALID) {
			if ((rc = next_token(p)) != 0)
				return rc;
			token text = p->tok;
			if (text.kind == T_HEX && (id == ICE_TYPE_BINARY || id == ICE_TYPE_FIXED)) {
				text.kind = T_STRING;
			} else if (text.kind != T_STRING) {
				return fail(p, text.pos, "expected a quoted value after '%.*s', found %s", (int)t.len, t.text,
				            describe(&text, buf, sizeof(buf)));
			}
			if ((rc = typed_literal(p, id, &t, &text, out)) != 0)
				return rc;
			return next_token(p);
		}
		break;
	}
	default: break;
	}
	return fail(p, t.pos, "expected a value, found %s", describe(&t, buf, sizeof(buf)));
}

/* ---- columns and predicates ------------------------------------------------------ */

static bool reserved(const token *t)
{
	static const char *const words[] = {"and", "or", "not", "in", "is", "starts", "with", "true", "false", "null",
	                                    NULL};
	for (int i = 0; words[i]; i++)
		if (is_word(t, words[i]))
			return true;
	return false;
}

/* identifier ("." identifier)*, any part may be `quoted`; the dotted name goes into the arena. */
static int column(parser *p, const char **out, size_t *pos_out)
{
	char buf[64];
	size_t n = 0, cap = 64;
	char *name = ice_arena__alloc_raw(&p->arena, cap);
	int rc;
	*pos_out = p->tok.pos;
	if (!name)
		return ICE_ERROR;
	for (;;) {
		token t = p->tok;
		if (!(t.kind == T_QUOTED_IDENT || (t.kind == T_IDENT && !reserved(&t))))
			return fail(p, t.pos, "expected a column name, found %s", describe(&t, buf, sizeof(buf)));
		if (t.kind == T_QUOTED_IDENT && t.len == 0)
			return fail(p, t.pos, "empty column name");
		if (n + t.len + 2 > cap) {
			size_t ncap = (n + t.len + 2) * 2;
			char *grown = ice_arena__alloc_raw(&p->arena, ncap);
			if (!grown)
				return ICE_ERROR;
			memcpy(grown, name, n);
			name = grown;
			cap = ncap;
		}
		if (n)
			name[n++] = '.';
		memcpy(name + n, t.text, t.len);
		n += t.len;
		if ((rc = next_token(p)) != 0)
			return rc;
		if (p->tok.kind != T_DOT)
			break;
		if ((rc = next_token(p)) != 0)
			return rc;
	}
	name[n] = '\0';
	*out = name;
	return 0;
}

static int literal_list(parser *p, ice_literal **lits, size_t *n)
{
	char buf[64];
	size_t cap = 8;
	int rc;
	if (p->tok.kind != T_LPAREN)
		return fail(p, p->tok.pos, "expected '(' after in, found %s", describe(&p->tok, buf, sizeof(buf)));
	if ((rc = next_token(p)) != 0)
		return rc;
	*n = 0;
	if (!(*lits = ice_arena__allocarray(&p->arena, cap, sizeof(ice_literal))))
		return ICE_ERROR;
	for (;;) {
		if (*n == cap) {
			ice_literal *grown = ice_arena__allocarray(&p->arena, cap * 2, sizeof(ice_literal));
			if (!grown)
				return ICE_ERROR;
			memcpy(grown, *lits, cap * sizeof(ice_literal));
			*lits = grown;
			cap *= 2;
		}
		if ((rc = literal(p, &(*lits)[*n])) != 0)
			return rc;
		(*n)++;
		if (p->tok.kind == T_RPAREN)
			return next_token(p);
		if (p->tok.kind != T_COMMA)
			return fail(p, p->tok.pos, "expected ',' or ')' in the list, found %s",
			            describe(&p->tok, buf, sizeof(buf)));
		if ((rc = next_token(p)) != 0)
			return rc;
	}
}

static int predicate(parser *p, ice_expr **out)
{
	const char *col = NULL;
	size_t col_pos;
	ice_literal lit, *lits = NULL;
	size_t nlits = 0;
	char buf[64];
	int rc;
	*out = NULL;
	if ((rc = column(p, &col, &col_pos)) != 0)
		return rc;
	token t = p->tok;
	if (t.kind == T_OP) {
		if ((rc = next_token(p)) != 0 || (rc = literal(p, &lit)) != 0)
			return rc;
		return ice_expr__pred(out, col, t.op, &lit, 1);
	}
	if (is_word(&t, "is")) {
		bool negated = false;
		if ((rc = next_token(p)) != 0)
			return rc;
		if (is_word(&p->tok, "not")) {
			negated = true;
			if ((rc = next_token(p)) != 0)
				return rc;
		}
		if (is_word(&p->tok, "null") || is_word(&p->tok, "nan")) {
			bool nan = is_word(&p->tok, "nan");
			if ((rc = next_token(p)) != 0)
				return rc;
			ice_op op = nan ? (negated ? ICE_OP_NOT_NAN : ICE_OP_IS_NAN) : (negated ? ICE_OP_NOT_NULL : ICE_OP_IS_NULL);
			return ice_expr__pred(out, col, op, NULL, 0);
		}
		return fail(p, p->tok.pos, "expected 'null' or 'nan' after 'is%s', found %s", negated ? " not" : "",
		            describe(&p->tok, buf, sizeof(buf)));
	}
	bool negated = false;
	if (is_word(&t, "not")) {
		negated = true;
		if ((rc = next_token(p)) != 0)
			return rc;
		if (is_word(&p->tok, "nan")) {
			if ((rc = next_token(p)) != 0)
				return rc;
			return ice_expr__pred(out, col, ICE_OP_NOT_NAN, NULL, 0);
		}
	}
	if (is_word(&p->tok, "in")) {
		if ((rc = next_token(p)) != 0 || (rc = literal_list(p, &lits, &nlits)) != 0)
			return rc;
		return ice_expr__pred(out, col, negated ? ICE_OP_NOT_IN : ICE_OP_IN, lits, nlits);
	}
	if (is_word(&p->tok, "starts")) {
		if ((rc = next_token(p)) != 0 || (rc = expect_word(p, "with")) != 0 || (rc = literal(p, &lit)) != 0)
			return rc;
		return ice_expr__pred(out, col, negated ? ICE_OP_NOT_STARTS_WITH : ICE_OP_STARTS_WITH, &lit, 1);
	}
	if (negated)
		return fail(p, p->tok.pos, "expected 'in', 'starts with' or 'nan' after 'not', found %s",
		            describe(&p->tok, buf, sizeof(buf)));
	return fail(p, t.pos, "expected an operator after column '%s', found %s", col, describe(&t, buf, sizeof(buf)));
}

/* ---- boolean structure ------------------------------------------------------------ */

static int or_expr(parser *p, ice_expr **out);

static int unary(parser *p, ice_expr **out)
{
	int rc;
	*out = NULL;
	if (++p->depth > MAX_DEPTH)
		return fail(p, p->tok.pos, "nested more than %d levels deep", MAX_DEPTH);
	if (is_word(&p->tok, "not")) {
		ice_expr *child;
		if ((rc = next_token(p)) != 0 || (rc = unary(p, &child)) != 0)
			return rc;
		rc = ice_expr_not(out, child);
	} else if (p->tok.kind == T_LPAREN) {
		size_t open = p->tok.pos;
		if ((rc = next_token(p)) != 0 || (rc = or_expr(p, out)) != 0)
			return rc;
		if (p->tok.kind != T_RPAREN) {
			ice_expr_free(*out);
			*out = NULL;
			char buf[64];
			if (p->tok.kind == T_END)
				return fail(p, open, "'(' is never closed");
			return fail(p, p->tok.pos, "expected ')', found %s", describe(&p->tok, buf, sizeof(buf)));
		}
		if ((rc = next_token(p)) != 0) {
			ice_expr_free(*out);
			*out = NULL;
		}
	} else if (is_word(&p->tok, "true") || is_word(&p->tok, "false")) {
		bool v = is_word(&p->tok, "true");
		if ((rc = next_token(p)) == 0)
			rc = ice_expr__const(out, v);
	} else {
		rc = predicate(p, out);
	}
	p->depth--;
	return rc;
}

static int and_expr(parser *p, ice_expr **out)
{
	ice_expr *left, *right;
	int rc = unary(p, &left);
	while (rc == 0 && is_word(&p->tok, "and")) {
		if ((rc = next_token(p)) != 0 || (rc = unary(p, &right)) != 0) {
			ice_expr_free(left);
			return *out = NULL, rc;
		}
		rc = ice_expr_and(&left, left, right);
	}
	*out = rc ? NULL : left;
	return rc;
}

static int or_expr(parser *p, ice_expr **out)
{
	ice_expr *left, *right;
	int rc = and_expr(p, &left);
	while (rc == 0 && is_word(&p->tok, "or")) {
		if ((rc = next_token(p)) != 0 || (rc = and_expr(p, &right)) != 0) {
			ice_expr_free(left);
			return *out = NULL, rc;
		}
		rc = ice_expr_or(&left, left, right);
	}
	*out = rc ? NULL : left;
	return rc;
}

int ice_expr_parse(ice_expr **out, const char *text)
{
	parser p;
	char buf[64];
	int rc;
	*out = NULL;
	if (!text)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: no expression");
	memset(&p, 0, sizeof(p));
	p.src = text;
	p.len = strlen(text);
	ice_arena__init(&p.arena, 256);
	if ((rc = next_token(&p)) == 0) {
		if (p.tok.kind == T_END)
			rc = fail(&p, 0, "empty expression");
		else
			rc = or_expr(&p, out);
	}
	if (rc == 0 && p.tok.kind != T_END) {
		rc = fail(&p, p.tok.pos, "unexpected %s", describe(&p.tok, buf, sizeof(buf)));
		ice_expr_free(*out);
		*out = NULL;
	}
	ice_arena__free(&p.arena);
	return rc;
}
