/*
 * expr/expr.c - the expression tree (ice/expr.h "building" and
 * "inspecting"): nodes and their constructors with constant folding,
 * copies, accessors, the --where text of a tree, the field ids it
 * references, and exact negation (expressions spec "Boolean logic").
 *
 * Every node is one allocation; a predicate keeps its column name and its
 * literals' payloads in its own small arena, so a tree can be copied,
 * shared between threads read-only and freed node by node.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util/buf.h"
#include "util/strutil.h"

/* ---- nodes ----------------------------------------------------------------- */

ice_expr *ice_expr__new(ice_expr_kind kind)
{
	ice_expr *e = ice__calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->kind = kind;
	e->bound = kind == ICE_EXPR_TRUE || kind == ICE_EXPR_FALSE;
	ice_arena__init(&e->arena, 128);
	return e;
}

void ice_expr_free(ice_expr *e)
{
	if (!e)
		return;
	ice_expr_free(e->child[0]);
	ice_expr_free(e->child[1]);
	ice_arena__free(&e->arena);
	ice__free(e);
}

int ice_expr__copy_literal(ice_literal *out, const ice_literal *in, ice_arena *arena)
{
	*out = *in;
	if (in->is_null)
		return 0;
	switch (in->type) {
	case ICE_TYPE_STRING:
	case ICE_TYPE_BINARY:
	case ICE_TYPE_FIXED:
	case ICE_TYPE_UUID:
	case ICE_TYPE_GEOMETRY:
	case ICE_TYPE_GEOGRAPHY:
		if (in->v.bytes.len == 0) {
			out->v.bytes.data = (const uint8_t *)"";
			return 0;
		}
		out->v.bytes.data = ice_arena__memdup(arena, in->v.bytes.data, in->v.bytes.len);
		return out->v.bytes.data ? 0 : ICE_ERROR;
	case ICE_TYPE_STRUCT:
	case ICE_TYPE_LIST:
	case ICE_TYPE_MAP:
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: nested values cannot be literals");
	default:
		return 0;
	}
}

static int set_literals(ice_expr *e, const ice_literal *lits, size_t nlits)
{
	if (nlits == 0)
		return 0;
	e->lits = ice_arena__allocarray(&e->arena, nlits, sizeof(ice_literal));
	if (!e->lits)
		return ICE_ERROR;
	for (size_t i = 0; i < nlits; i++)
		if (ice_expr__copy_literal(&e->lits[i], &lits[i], &e->arena))
			return ICE_ERROR;
	e->nlits = nlits;
	return 0;
}

static bool op_valid(ice_op op)
{
	return op >= ICE_OP_TRUE && op <= ICE_OP_NOT_IN;
}

bool ice_expr__op_has_literal(ice_op op)
{
	switch (op) {
	case ICE_OP_LT:
	case ICE_OP_LT_EQ:
	case ICE_OP_GT:
	case ICE_OP_GT_EQ:
	case ICE_OP_EQ:
	case ICE_OP_NOT_EQ:
	case ICE_OP_STARTS_WITH:
	case ICE_OP_NOT_STARTS_WITH:
	case ICE_OP_IN:
	case ICE_OP_NOT_IN: return true;
	default: return false;
	}
}

const char *ice_expr__op_name(ice_op op)
{
	switch (op) {
	case ICE_OP_TRUE: return "true";
	case ICE_OP_FALSE: return "false";
	case ICE_OP_IS_NULL: return "is null";
	case ICE_OP_NOT_NULL: return "is not null";
	case ICE_OP_IS_NAN: return "is nan";
	case ICE_OP_NOT_NAN: return "is not nan";
	case ICE_OP_LT: return "<";
	case ICE_OP_LT_EQ: return "<=";
	case ICE_OP_GT: return ">";
	case ICE_OP_GT_EQ: return ">=";
	case ICE_OP_EQ: return "=";
	case ICE_OP_NOT_EQ: return "!=";
	case ICE_OP_STARTS_WITH: return "starts with";
	case ICE_OP_NOT_STARTS_WITH: return "not starts with";
	case ICE_OP_IN: return "in";
	case ICE_OP_NOT_IN: return "not in";
	}
	return "?";
}

int ice_expr__pred(ice_expr **out, const char *column, ice_op op, const ice_literal *lits, size_t nlits)
{
	ice_expr *e;
	*out = NULL;
	if (!column || !*column)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: a predicate needs a column");
	if (!op_valid(op) || op == ICE_OP_TRUE || op == ICE_OP_FALSE)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: not a predicate operation (%d)", (int)op);
	if (ice_expr__op_has_literal(op)) {
		bool set = op == ICE_OP_IN || op == ICE_OP_NOT_IN;
		if (nlits == 0 || (!set && nlits != 1))
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: '%s' on '%s' takes %s",
			                      ice_expr__op_name(op), column, set ? "one or more literals" : "one literal");
		for (size_t i = 0; i < nlits; i++) {
			if (lits[i].is_null)
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR,
				                      "where: '%s' on '%s' with null: use 'is null' or 'is not null'",
				                      ice_expr__op_name(op), column);
			if (lits[i].type == ICE_TYPE_INVALID || lits[i].type >= ICE_TYPE_UNKNOWN)
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR,
				                      "where: '%s' on '%s': %s values cannot be literals",
				                      ice_expr__op_name(op), column, ice_type_id_name(lits[i].type));
		}
	} else if (nlits != 0) {
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: '%s' takes no literal",
		                      ice_expr__op_name(op));
	}
	if (!(e = ice_expr__new(ICE_EXPR_PREDICATE)))
		return ICE_ERROR;
	e->op = op;
	e->bound = false;
	if (!(e->column = ice_arena__strdup(&e->arena, column)) || set_literals(e, lits, nlits)) {
		ice_expr_free(e);
		return ICE_ERROR;
	}
	*out = e;
	return 0;
}

int ice_expr__bound_pred(ice_expr **out, int32_t id, const char *name, const ice_type *type, ice_op op,
                         const ice_literal *lits, size_t nlits)
{
	ice_expr *e = ice_expr__new(ICE_EXPR_PREDICATE);
	*out = NULL;
	if (!e)
		return ICE_ERROR;
	e->op = op;
	e->bound = true;
	e->field_id = id;
	e->type = *type;
	/* Only the parameters of primitive types are kept: nothing borrowed. */
	if (type->id == ICE_TYPE_GEOMETRY)
		e->type.u.geometry.crs = NULL;
	else if (type->id == ICE_TYPE_GEOGRAPHY)
		e->type.u.geography.crs = e->type.u.geography.algorithm = NULL;
	if (!(e->column = ice_arena__strdup(&e->arena, name ? name : "")) || set_literals(e, lits, nlits)) {
		ice_expr_free(e);
		return ICE_ERROR;
	}
	if (op == ICE_OP_IN || op == ICE_OP_NOT_IN)
		e->nlits = ice_expr__sort_literals(e->lits, e->nlits);
	*out = e;
	return 0;
}

int ice_expr__const(ice_expr **out, bool value)
{
	*out = ice_expr__new(value ? ICE_EXPR_TRUE : ICE_EXPR_FALSE);
	return *out ? 0 : ICE_ERROR;
}

static int combine(ice_expr **out, ice_expr_kind kind, ice_expr *l, ice_expr *r)
{
	ice_expr *e;
	*out = NULL;
	if (!l || !r) {
		ice_expr_free(l);
		ice_expr_free(r);
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: missing operand of %s",
		                      kind == ICE_EXPR_AND ? "and" : "or");
	}
	if (!(e = ice_expr__new(kind))) {
		ice_expr_free(l);
		ice_expr_free(r);
		return ICE_ERROR;
	}
	e->child[0] = l;
	e->child[1] = r;
	e->bound = l->bound && r->bound;
	*out = e;
	return 0;
}

int ice_expr__and(ice_expr **out, ice_expr *l, ice_expr *r)
{
	if (l && r) {
		if (l->kind == ICE_EXPR_FALSE || r->kind == ICE_EXPR_TRUE) {
			ice_expr_free(r);
			*out = l;
			return 0;
		}
		if (r->kind == ICE_EXPR_FALSE || l->kind == ICE_EXPR_TRUE) {
			ice_expr_free(l);
			*out = r;
			return 0;
		}
	}
	return combine(out, ICE_EXPR_AND, l, r);
}

int ice_expr__or(ice_expr **out, ice_expr *l, ice_expr *r)
{
	if (l && r) {
		if (l->kind == ICE_EXPR_TRUE || r->kind == ICE_EXPR_FALSE) {
			ice_expr_free(r);
			*out = l;
			return 0;
		}
		if (r->kind == ICE_EXPR_TRUE || l->kind == ICE_EXPR_FALSE) {
			ice_expr_free(l);
			*out = r;
			return 0;
		}
	}
	return combine(out, ICE_EXPR_OR, l, r);
}

/* ---- public constructors ----------------------------------------------------- */

int ice_expr_true(ice_expr **out)
{
	return ice_expr__const(out, true);
}

int ice_expr_false(ice_expr **out)
{
	return ice_expr__const(out, false);
}

/* The public AND / OR keep the tree as given (no folding), so that a parsed
 * expression prints back as written. */
int ice_expr_and(ice_expr **out, ice_expr *left, ice_expr *right)
{
	return combine(out, ICE_EXPR_AND, left, right);
}

int ice_expr_or(ice_expr **out, ice_expr *left, ice_expr *right)
{
	return combine(out, ICE_EXPR_OR, left, right);
}

int ice_expr_not(ice_expr **out, ice_expr *child)
{
	ice_expr *e;
	*out = NULL;
	if (!child)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: missing operand of not");
	if (!(e = ice_expr__new(ICE_EXPR_NOT))) {
		ice_expr_free(child);
		return ICE_ERROR;
	}
	e->child[0] = child;
	e->bound = child->bound;
	*out = e;
	return 0;
}

int ice_expr_predicate(ice_expr **out, const char *column, ice_op op, const ice_literal *lits, size_t nlits)
{
	return ice_expr__pred(out, column, op, lits, nlits);
}

int ice_expr_copy(ice_expr **out, const ice_expr *e)
{
	ice_expr *c;
	*out = NULL;
	if (!e)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: no expression to copy");
	if (e->kind == ICE_EXPR_PREDICATE) {
		if (e->bound) {
			int rc = ice_expr__bound_pred(out, e->field_id, e->column, &e->type, e->op, e->lits, e->nlits);
			if (rc == 0)
				(*out)->never_null = e->never_null;
			return rc;
		}
		return ice_expr__pred(out, e->column, e->op, e->lits, e->nlits);
	}
	if (!(c = ice_expr__new(e->kind)))
		return ICE_ERROR;
	c->bound = e->bound;
	for (int i = 0; i < 2; i++) {
		if (e->child[i] && ice_expr_copy(&c->child[i], e->child[i]) != 0) {
			ice_expr_free(c);
			return ICE_ERROR;
		}
	}
	*out = c;
	return 0;
}

/* ---- inspecting -------------------------------------------------------------- */

ice_expr_kind ice_expr_get_kind(const ice_expr *e)
{
	return e->kind;
}

bool ice_expr_is_bound(const ice_expr *e)
{
	return e->bound;
}

size_t ice_expr_child_count(const ice_expr *e)
{
	return e->kind == ICE_EXPR_AND || e->kind == ICE_EXPR_OR ? 2 : e->kind == ICE_EXPR_NOT ? 1 : 0;
}

const ice_expr *ice_expr_child(const ice_expr *e, size_t i)
{
	return i < ice_expr_child_count(e) ? e->child[i] : NULL;
}

ice_op ice_expr_op(const ice_expr *e)
{
	if (e->kind == ICE_EXPR_PREDICATE)
		return e->op;
	return e->kind == ICE_EXPR_FALSE ? ICE_OP_FALSE : ICE_OP_TRUE;
}

const char *ice_expr_column(const ice_expr *e)
{
	return e->kind == ICE_EXPR_PREDICATE ? e->column : NULL;
}

int32_t ice_expr_field_id(const ice_expr *e)
{
	return e->kind == ICE_EXPR_PREDICATE && e->bound ? e->field_id : 0;
}

size_t ice_expr_literal_count(const ice_expr *e)
{
	return e->kind == ICE_EXPR_PREDICATE ? e->nlits : 0;
}

const ice_literal *ice_expr_literal(const ice_expr *e, size_t i)
{
	return e->kind == ICE_EXPR_PREDICATE && i < e->nlits ? &e->lits[i] : NULL;
}

/* ---- field ids ------------------------------------------------------------------ */

static int collect_ids(const ice_expr *e, int32_t **ids, size_t *n, size_t *cap)
{
	if (e->kind == ICE_EXPR_PREDICATE) {
		if (!e->bound)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: '%s' is not bound", e->column);
		for (size_t i = 0; i < *n; i++)
			if ((*ids)[i] == e->field_id)
				return 0;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 8;
			int32_t *p = ice__reallocarray(*ids, nc, sizeof(int32_t));
			if (!p)
				return ICE_ERROR;
			*ids = p;
			*cap = nc;
		}
		(*ids)[(*n)++] = e->field_id;
		return 0;
	}
	for (int i = 0; i < 2; i++)
		if (e->child[i] && collect_ids(e->child[i], ids, n, cap))
			return ICE_ERROR;
	return 0;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return x < y ? -1 : x > y;
}

int ice_expr_field_ids(const ice_expr *e, int32_t **ids_out, size_t *n_out)
{
	int32_t *ids = NULL;
	size_t n = 0, cap = 0;
	*ids_out = NULL;
	*n_out = 0;
	if (collect_ids(e, &ids, &n, &cap)) {
		ice__free(ids);
		return ice_error__code();
	}
	if (n)
		qsort(ids, n, sizeof(int32_t), cmp_i32);
	*ids_out = ids;
	*n_out = n;
	return 0;
}

/* ---- literal lists ------------------------------------------------------------- */

static int literal_order(const void *a, const void *b)
{
	return ice_literal_compare(a, b);
}

size_t ice_expr__sort_literals(ice_literal *lits, size_t n)
{
	size_t m = 0;
	if (n < 2)
		return n;
	qsort(lits, n, sizeof(ice_literal), literal_order);
	for (size_t i = 0; i < n; i++) {
		int c;
		if (m > 0 && ice_expr__cmp(&lits[m - 1], &lits[i], &c) && c == 0)
			continue;
		lits[m++] = lits[i];
	}
	return m;
}

/* ---- negation ------------------------------------------------------------------- */

static ice_op negated_op(ice_op op)
{
	switch (op) {
	case ICE_OP_TRUE: return ICE_OP_FALSE;
	case ICE_OP_FALSE: return ICE_OP_TRUE;
	case ICE_OP_IS_NULL: return ICE_OP_NOT_NULL;
	case ICE_OP_NOT_NULL: return ICE_OP_IS_NULL;
	case ICE_OP_IS_NAN: return ICE_OP_NOT_NAN;
	case ICE_OP_NOT_NAN: return ICE_OP_IS_NAN;
	case ICE_OP_LT: return ICE_OP_GT_EQ;
	case ICE_OP_LT_EQ: return ICE_OP_GT;
	case ICE_OP_GT: return ICE_OP_LT_EQ;
	case ICE_OP_GT_EQ: return ICE_OP_LT;
	case ICE_OP_EQ: return ICE_OP_NOT_EQ;
	case ICE_OP_NOT_EQ: return ICE_OP_EQ;
	case ICE_OP_STARTS_WITH: return ICE_OP_NOT_STARTS_WITH;
	case ICE_OP_NOT_STARTS_WITH: return ICE_OP_STARTS_WITH;
	case ICE_OP_IN: return ICE_OP_NOT_IN;
	case ICE_OP_NOT_IN: return ICE_OP_IN;
	}
	return op;
}

static bool is_order_op(ice_op op)
{
	return op == ICE_OP_LT || op == ICE_OP_LT_EQ || op == ICE_OP_GT || op == ICE_OP_GT_EQ;
}

static int negate_pred(ice_expr **out, const ice_expr *p)
{
	ice_expr *e = NULL, *n = NULL;
	int rc = ice_expr__bound_pred(&e, p->field_id, p->column, &p->type, negated_op(p->op), p->lits, p->nlits);
	if (rc)
		return *out = NULL, rc;
	e->never_null = p->never_null;
	if (!is_order_op(p->op))
		return *out = e, 0;
	/* x < c is false for null (and NaN), so its negation holds for them. */
	if (ice_expr__is_float(p->type.id)) {
		if ((rc = ice_expr__bound_pred(&n, p->field_id, p->column, &p->type, ICE_OP_IS_NAN, NULL, 0)) != 0) {
			ice_expr_free(e);
			return *out = NULL, rc;
		}
		n->never_null = p->never_null;
		if ((rc = ice_expr__or(&e, e, n)) != 0)
			return *out = NULL, rc;
	}
	if (p->never_null)
		return *out = e, 0;
	if ((rc = ice_expr__bound_pred(&n, p->field_id, p->column, &p->type, ICE_OP_IS_NULL, NULL, 0)) != 0) {
		ice_expr_free(e);
		return *out = NULL, rc;
	}
	return ice_expr__or(out, e, n);
}

int ice_expr__negate(ice_expr **out, const ice_expr *e)
{
	ice_expr *l = NULL, *r = NULL;
	int rc;
	*out = NULL;
	switch (e->kind) {
	case ICE_EXPR_TRUE: return ice_expr__const(out, false);
	case ICE_EXPR_FALSE: return ice_expr__const(out, true);
	case ICE_EXPR_NOT: return ice_expr__without_not_copy(out, e->child[0]);
	case ICE_EXPR_PREDICATE:
		if (!e->bound)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: '%s' is not bound", e->column);
		return negate_pred(out, e);
	case ICE_EXPR_AND:
	case ICE_EXPR_OR:
		if ((rc = ice_expr__negate(&l, e->child[0])) != 0)
			return rc;
		if ((rc = ice_expr__negate(&r, e->child[1])) != 0) {
			ice_expr_free(l);
			return rc;
		}
		return e->kind == ICE_EXPR_AND ? ice_expr__or(out, l, r) : ice_expr__and(out, l, r);
	}
	return ICE_ERROR;
}

int ice_expr__without_not_copy(ice_expr **out, const ice_expr *e)
{
	ice_expr *l = NULL, *r = NULL;
	int rc;
	*out = NULL;
	switch (e->kind) {
	case ICE_EXPR_NOT: return ice_expr__negate(out, e->child[0]);
	case ICE_EXPR_AND:
	case ICE_EXPR_OR:
		if ((rc = ice_expr__without_not_copy(&l, e->child[0])) != 0)
			return rc;
		if ((rc = ice_expr__without_not_copy(&r, e->child[1])) != 0) {
			ice_expr_free(l);
			return rc;
		}
		return e->kind == ICE_EXPR_AND ? ice_expr__and(out, l, r) : ice_expr__or(out, l, r);
	default: return ice_expr_copy(out, e);
	}
}

static bool has_not(const ice_expr *e)
{
	if (e->kind == ICE_EXPR_NOT)
		return true;
	return (e->child[0] && has_not(e->child[0])) || (e->child[1] && has_not(e->child[1]));
}

int ice_expr__without_not(const ice_expr **out, ice_expr **owned, const ice_expr *e)
{
	*owned = NULL;
	*out = e;
	if (!has_not(e))
		return 0;
	int rc = ice_expr__without_not_copy(owned, e);
	*out = *owned;
	return rc;
}

/* ---- printing -------------------------------------------------------------------- */

static bool is_keyword(const char *s, size_t n);

static bool plain_identifier(const char *s)
{
	size_t start = 0, i = 0;
	if (!*s)
		return false;
	for (;; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (i == start || is_keyword(s + start, i - start))
				return false;
			if (c == '\0')
				return true;
			start = i + 1;
			continue;
		}
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		bool digit = c >= '0' && c <= '9';
		if (!alpha && !(digit && i > start))
			return false;
	}
}

static const char *const keywords[] = {"and", "or", "not", "in", "is", "null", "nan", "starts", "with", "true",
                                       "false", NULL};

static bool is_keyword(const char *s, size_t n)
{
	for (int k = 0; keywords[k]; k++)
		if (ice_str__ieq(s, n, keywords[k], strlen(keywords[k])))
			return true;
	return false;
}

static void put_quoted(ice_buf *b, const char *s, size_t n, char q)
{
	ice_buf__putc(b, q);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == q)
			ice_buf__putc(b, q);
		ice_buf__putc(b, s[i]);
	}
	ice_buf__putc(b, q);
}

static void put_literal(ice_buf *b, const ice_literal *l)
{
	char *text;
	switch (l->type) {
	case ICE_TYPE_BOOLEAN: ice_buf__puts(b, l->v.b ? "true" : "false"); return;
	case ICE_TYPE_LONG: ice_buf__printf(b, "%lld", (long long)l->v.i64); return;
	case ICE_TYPE_STRING: put_quoted(b, (const char *)l->v.bytes.data, l->v.bytes.len, '\''); return;
	case ICE_TYPE_BINARY:
	case ICE_TYPE_FIXED: {
		if (l->type == ICE_TYPE_FIXED)
			ice_buf__puts(b, "fixed ");
		ice_buf__puts(b, "X'");
		uint8_t *p = ice_buf__reserve(b, l->v.bytes.len * 2 + 1);
		if (p) {
			ice_hex__encode(l->v.bytes.data, l->v.bytes.len, (char *)p);
			ice_buf__truncate(b, b->len - 1);
		}
		ice_buf__putc(b, '\'');
		return;
	}
	default: break;
	}
	text = ice_literal_to_string(l);
	if (!text) {
		b->error = ICE_ERROR;
		return;
	}
	if (l->type == ICE_TYPE_DECIMAL && strchr(text, '.')) {
		ice_buf__puts(b, text); /* an untyped number with a fraction is a decimal */
	} else {
		ice_buf__puts(b, ice_type_id_name(l->type));
		ice_buf__putc(b, ' ');
		put_quoted(b, text, strlen(text), '\'');
	}
	ice_free(text);
}

static void put_column(ice_buf *b, const char *column)
{
	if (plain_identifier(column))
		ice_buf__puts(b, column);
	else
		put_quoted(b, column, strlen(column), '`');
}

static void put_expr(ice_buf *b, const ice_expr *e, ice_expr_kind parent, bool right);

static void put_pred(ice_buf *b, const ice_expr *e)
{
	put_column(b, e->column);
	switch (e->op) {
	case ICE_OP_IS_NULL:
	case ICE_OP_NOT_NULL:
	case ICE_OP_IS_NAN:
	case ICE_OP_NOT_NAN:
		ice_buf__putc(b, ' ');
		ice_buf__puts(b, ice_expr__op_name(e->op));
		return;
	case ICE_OP_IN:
	case ICE_OP_NOT_IN:
		ice_buf__puts(b, e->op == ICE_OP_IN ? " in (" : " not in (");
		for (size_t i = 0; i < e->nlits; i++) {
			if (i)
				ice_buf__puts(b, ", ");
			put_literal(b, &e->lits[i]);
		}
		ice_buf__putc(b, ')');
		return;
	default:
		ice_buf__putc(b, ' ');
		ice_buf__puts(b, ice_expr__op_name(e->op));
		ice_buf__putc(b, ' ');
		if (e->nlits)
			put_literal(b, &e->lits[0]);
		return;
	}
}

static void put_expr(ice_buf *b, const ice_expr *e, ice_expr_kind parent, bool right)
{
	switch (e->kind) {
	case ICE_EXPR_TRUE: ice_buf__puts(b, "true"); return;
	case ICE_EXPR_FALSE: ice_buf__puts(b, "false"); return;
	case ICE_EXPR_PREDICATE: put_pred(b, e); return;
	case ICE_EXPR_NOT:
		ice_buf__puts(b, "not ");
		put_expr(b, e->child[0], ICE_EXPR_NOT, false); /* and / or under not get parentheses */
		return;
	case ICE_EXPR_AND:
	case ICE_EXPR_OR: {
		/* Parentheses where the grammar (and binds tighter, both associate
		 * to the left) would otherwise read another tree. */
		bool paren = parent == ICE_EXPR_NOT || (parent == ICE_EXPR_AND && e->kind == ICE_EXPR_OR) ||
		             (parent == e->kind && right);
		if (paren)
			ice_buf__putc(b, '(');
		put_expr(b, e->child[0], e->kind, false);
		ice_buf__puts(b, e->kind == ICE_EXPR_AND ? " and " : " or ");
		put_expr(b, e->child[1], e->kind, true);
		if (paren)
			ice_buf__putc(b, ')');
		return;
	}
	}
}

char *ice_expr_to_string(const ice_expr *e)
{
	ice_buf b = ICE_BUF_INIT;
	put_expr(&b, e, ICE_EXPR_TRUE, false);
	return ice_buf__detach(&b, NULL); /* NULL when an append failed */
}
