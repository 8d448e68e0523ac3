/*
 * expr/project.c - projecting a row filter onto a partition spec (spec
 * "Scan Planning": inclusive and strict projection) through each
 * transform's ice_transform_project.
 *
 * A predicate on a column becomes, for each partition field taken from
 * that column, a predicate on the partition value: inclusive projections
 * of one predicate are combined with AND (each must hold for a partition
 * that holds a match), strict ones with OR (any one proves every row
 * matches). IN and NOT IN go element by element: x in (a, b) is
 * x = a or x = b, x not in (a, b) is x != a and x != b, and the projected
 * equalities are merged back into one IN (or NOT IN) list. A column no
 * partition field uses projects to true (inclusive) or false (strict).
 */
#include <string.h>

#include "internal.h"

/* Collects the literals of projected equalities (or inequalities). */
typedef struct lit_set {
	ice_literal *items;
	size_t n, cap;
	ice_arena arena;
} lit_set;

static int set_add(lit_set *s, const ice_literal *lits, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 8;
			ice_literal *p = ice__reallocarray(s->items, cap, sizeof(ice_literal));
			if (!p)
				return ICE_ERROR;
			s->items = p;
			s->cap = cap;
		}
		/* payloads borrow from the predicate's literal; copy them to be safe */
		if (ice_expr__copy_literal(&s->items[s->n], &lits[i], &s->arena))
			return ICE_ERROR;
		s->n++;
	}
	return 0;
}

static void set_free(lit_set *s)
{
	ice__free(s->items);
	ice_arena__free(&s->arena);
}

/* One predicate through one partition field's transform. */
static int project_field(ice_expr **out, const ice_expr *p, const ice_partition_field *pf, const ice_type *ptype,
                         bool strict)
{
	ice_op op;
	ice_literal lits[2];
	size_t n;
	int rc;
	*out = NULL;
	if (p->op == ICE_OP_IN || p->op == ICE_OP_NOT_IN) {
		bool in = p->op == ICE_OP_IN;
		/* in: an OR of the elements' equalities (true decides, false drops
		 * out, nothing left is false); not in: an AND of the inequalities
		 * (false decides, true drops out, nothing left is true). */
		lit_set s;
		memset(&s, 0, sizeof(s));
		ice_arena__init(&s.arena, 256);
		rc = 0;
		for (size_t i = 0; rc == 0 && i < p->nlits; i++) {
			if ((rc = ice_transform_project(&pf->transform, in ? ICE_OP_EQ : ICE_OP_NOT_EQ, &p->lits[i], strict, &op,
			                                lits, &n)) != 0)
				break;
			if (op == ICE_OP_TRUE || op == ICE_OP_FALSE) {
				if ((op == ICE_OP_TRUE) == in) {
					set_free(&s);
					return ice_expr__const(out, in);
				}
				continue;
			}
			rc = set_add(&s, lits, n);
		}
		if (rc == 0) {
			if (s.n == 0)
				rc = ice_expr__const(out, !in);
			else
				rc = ice_expr__bound_pred(out, pf->field_id, pf->name, ptype, in ? ICE_OP_IN : ICE_OP_NOT_IN,
				                          s.items, s.n);
			if (rc == 0 && (*out)->kind == ICE_EXPR_PREDICATE && (*out)->nlits == 1)
				(*out)->op = in ? ICE_OP_EQ : ICE_OP_NOT_EQ;
		}
		set_free(&s);
		return rc;
	}
	if ((rc = ice_transform_project(&pf->transform, p->op, p->nlits ? &p->lits[0] : NULL, strict, &op, lits, &n)) != 0)
		return rc;
	if (op == ICE_OP_TRUE || op == ICE_OP_FALSE)
		return ice_expr__const(out, op == ICE_OP_TRUE);
	return ice_expr__bound_pred(out, pf->field_id, pf->name, ptype, op, lits, n);
}

static int project_pred(ice_expr **out, const ice_expr *p, const ice_partition_spec *spec, const ice_schema *schema,
                        bool strict)
{
	ice_expr *acc = NULL;
	int rc;
	*out = NULL;
	for (size_t i = 0; i < spec->nfields; i++) {
		const ice_partition_field *pf = &spec->fields[i];
		const ice_type *ptype;
		ice_expr *one;
		if (pf->source_id != p->field_id || pf->n_source_ids > 1 || pf->transform.kind == ICE_TRANSFORM_UNKNOWN ||
		    pf->transform.kind == ICE_TRANSFORM_VOID)
			continue;
		if (!(ptype = ice_partition_field_result_type(pf, schema)) || !ice_type_is_primitive(ptype))
			continue;
		if ((rc = project_field(&one, p, pf, ptype, strict)) != 0) {
			ice_expr_free(acc);
			return rc;
		}
		if (!acc)
			acc = one;
		else if ((rc = strict ? ice_expr__or(&acc, acc, one) : ice_expr__and(&acc, acc, one)) != 0)
			return rc;
	}
	if (!acc)
		return ice_expr__const(out, !strict);
	*out = acc;
	return 0;
}

static int project_tree(ice_expr **out, const ice_expr *e, const ice_partition_spec *spec, const ice_schema *schema,
                        bool strict)
{
	ice_expr *l = NULL, *r = NULL;
	int rc;
	*out = NULL;
	switch (e->kind) {
	case ICE_EXPR_TRUE:
	case ICE_EXPR_FALSE: return ice_expr__const(out, e->kind == ICE_EXPR_TRUE);
	case ICE_EXPR_PREDICATE:
		if (!e->bound)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: '%s' is not bound", e->column);
		return project_pred(out, e, spec, schema, strict);
	case ICE_EXPR_AND:
	case ICE_EXPR_OR:
		if ((rc = project_tree(&l, e->child[0], spec, schema, strict)) != 0)
			return rc;
		if ((rc = project_tree(&r, e->child[1], spec, schema, strict)) != 0) {
			ice_expr_free(l);
			return rc;
		}
		return e->kind == ICE_EXPR_AND ? ice_expr__and(out, l, r) : ice_expr__or(out, l, r);
	case ICE_EXPR_NOT: break; /* removed by the caller */
	}
	return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: cannot project this expression");
}

int ice_expr_project(ice_expr **out, const ice_expr *bound, const ice_partition_spec *spec, const ice_schema *schema,
                     bool strict)
{
	const ice_expr *e;
	ice_expr *owned;
	int rc;
	*out = NULL;
	if (!bound || !spec || !schema)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_EXPR, "where: projection needs an expression, a spec and a schema");
	if ((rc = ice_expr__without_not(&e, &owned, bound)) != 0)
		return rc;
	rc = project_tree(out, e, spec, schema, strict);
	ice_expr_free(owned);
	return rc;
}
