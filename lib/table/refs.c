/*
 * table/refs.c - tags, branches and rollback (ice/refs.h): each a
 * set-snapshot-ref or remove-snapshot-ref update committed with
 * assert-ref-snapshot-id holding the ref as the caller saw it, so a ref
 * moved by another writer meanwhile is a conflict, not overwritten.
 * Rollback follows the reference implementation: the target must be an
 * ancestor of the current snapshot (set-current allows any snapshot), and
 * the main branch keeps its retention settings.
 */
#include <stdio.h>
#include <string.h>

#include "ice/refs.h"
#include "util/alloc.h"
#include "util/error.h"

void ice_ref_options_init(ice_ref_options *o)
{
	memset(o, 0, sizeof(*o));
}

/* What the operation expects of the ref and what it does to it. */
typedef struct ref_op {
	const char *name;
	bool expect_exists;
	int64_t expect_snapshot;
	bool remove;
	ice_ref ref; /* the ref to set (when !remove) */
} ref_op;

static const char *kind_name(ice_ref_type t)
{
	return t == ICE_REF_TAG ? "tag" : "branch";
}

static int apply_ref(ice_commit_ctx *ctx, const ice_table_metadata *base, ice_metadata_builder *b, void *payload)
{
	ref_op *op = payload;
	const ice_ref *cur = ice_table_metadata_ref(base, op->name);
	ice_requirement req = {ICE_REQUIRE_REF_SNAPSHOT_ID, op->name, op->expect_exists, op->expect_snapshot};
	int rc;
	/* Checked here too, for a message that says what happened. */
	if ((cur != NULL) != op->expect_exists || (cur && cur->snapshot_id != op->expect_snapshot)) {
		if (cur)
			return ice_error__set(ICE_ECONFLICT, ICE_ERRCLASS_COMMIT,
			                      "%s: '%s' was %s by another writer (it points to snapshot %lld now)",
			                      ice_table_identifier(ice_commit_table(ctx)), op->name,
			                      op->expect_exists ? "moved" : "created", (long long)cur->snapshot_id);
		return ice_error__set(ICE_ECONFLICT, ICE_ERRCLASS_COMMIT, "%s: '%s' was removed by another writer",
		                      ice_table_identifier(ice_commit_table(ctx)), op->name);
	}
	if ((rc = ice_commit_require(ctx, &req)) != 0)
		return rc;
	if (op->remove)
		return ice_metadata_builder_remove_ref(b, op->name);
	if (!ice_table_metadata_snapshot_by_id(base, op->ref.snapshot_id))
		return ice_error__set(ICE_ECONFLICT, ICE_ERRCLASS_COMMIT, "%s: snapshot %lld was expired by another writer",
		                      ice_table_identifier(ice_commit_table(ctx)), (long long)op->ref.snapshot_id);
	return ice_metadata_builder_set_ref(b, op->name, &op->ref);
}

static int commit_ref(ice_table *t, ref_op *op, const char *what, ice_commit_result *result)
{
	ice_operation o = {what, apply_ref, op};
	return ice_table_commit(t, &o, NULL, result);
}

static void no_commit(ice_commit_result *result)
{
	if (result) {
		memset(result, 0, sizeof(*result));
		result->state = ICE_COMMIT_SUCCEEDED;
	}
}

static int create_ref(ice_table *t, const char *name, ice_ref_type type, const ice_ref_options *opts,
                      ice_commit_result *result)
{
	const ice_table_metadata *md = ice_table_current(t);
	const ice_ref *cur = name ? ice_table_metadata_ref(md, name) : NULL;
	ice_ref_options defaults;
	ref_op op;
	if (result)
		memset(result, 0, sizeof(*result));
	if (!opts) {
		ice_ref_options_init(&defaults);
		opts = &defaults;
	}
	if (!name || !*name)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "%s: a %s needs a name", ice_table_identifier(t),
		                      kind_name(type));
	if (cur && cur->type != type)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "%s: '%s' is a %s, not a %s", ice_table_identifier(t),
		                      name, kind_name(cur->type), kind_name(type));
	if (cur && !opts->replace)
		return ice_error__set(ICE_EEXISTS, ICE_ERRCLASS_COMMIT, "%s: %s '%s' exists already (at snapshot %lld)",
		                      ice_table_identifier(t), kind_name(type), name, (long long)cur->snapshot_id);
	if (type == ICE_REF_TAG && (opts->has_min_snapshots_to_keep || opts->has_max_snapshot_age_ms))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT,
		                      "%s: tag '%s': min-snapshots-to-keep and max-snapshot-age-ms are for branches",
		                      ice_table_identifier(t), name);
	if ((opts->has_min_snapshots_to_keep && opts->min_snapshots_to_keep <= 0) ||
	    (opts->has_max_snapshot_age_ms && opts->max_snapshot_age_ms <= 0) ||
	    (opts->has_max_ref_age_ms && opts->max_ref_age_ms <= 0))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "%s: %s '%s': retention values must be positive",
		                      ice_table_identifier(t), kind_name(type), name);
	memset(&op, 0, sizeof(op));
	op.name = name;
	op.expect_exists = cur != NULL;
	op.expect_snapshot = cur ? cur->snapshot_id : 0;
	op.ref.type = type;
	if (opts->has_snapshot_id) {
		if (!ice_table_metadata_snapshot_by_id(md, opts->snapshot_id))
			return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_COMMIT, "%s: no snapshot %lld", ice_table_identifier(t),
			                      (long long)opts->snapshot_id);
		op.ref.snapshot_id = opts->snapshot_id;
	} else {
		const ice_snapshot *s = ice_table_metadata_current_snapshot(md);
		if (!s)
			return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "%s: the table has no snapshot yet to %s",
			                      ice_table_identifier(t), type == ICE_REF_TAG ? "tag" : "branch from");
		op.ref.snapshot_id = s->snapshot_id;
	}
	op.ref.has_min_snapshots_to_keep = opts->has_min_snapshots_to_keep;
	op.ref.min_snapshots_to_keep = opts->min_snapshots_to_keep;
	op.ref.has_max_snapshot_age_ms = opts->has_max_snapshot_age_ms;
	op.ref.max_snapshot_age_ms = opts->max_snapshot_age_ms;
	op.ref.has_max_ref_age_ms = opts->has_max_ref_age_ms;
	op.ref.max_ref_age_ms = opts->max_ref_age_ms;
	return commit_ref(t, &op, type == ICE_REF_TAG ? (cur ? "replace tag" : "create tag")
	                                              : (cur ? "replace branch" : "create branch"),
	                  result);
}

int ice_table_create_tag(ice_table *t, const char *name, const ice_ref_options *opts, ice_commit_result *result)
{
	return create_ref(t, name, ICE_REF_TAG, opts, result);
}

int ice_table_create_branch(ice_table *t, const char *name, const ice_ref_options *opts, ice_commit_result *result)
{
	return create_ref(t, name, ICE_REF_BRANCH, opts, result);
}

int ice_table_drop_ref(ice_table *t, const char *name, ice_ref_type type, ice_commit_result *result)
{
	const ice_ref *cur = name ? ice_table_metadata_ref(ice_table_current(t), name) : NULL;
	ref_op op;
	if (result)
		memset(result, 0, sizeof(*result));
	if (!cur)
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_COMMIT, "%s: no %s '%s'", ice_table_identifier(t),
		                      kind_name(type), name ? name : "");
	if (cur->type != type)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "%s: '%s' is a %s, not a %s", ice_table_identifier(t),
		                      name, kind_name(cur->type), kind_name(type));
	if (!strcmp(name, "main"))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT, "%s: the main branch cannot be dropped",
		                      ice_table_identifier(t));
	memset(&op, 0, sizeof(op));
	op.name = name;
	op.expect_exists = true;
	op.expect_snapshot = cur->snapshot_id;
	op.remove = true;
	return commit_ref(t, &op, type == ICE_REF_TAG ? "drop tag" : "drop branch", result);
}

/* Points main at `target`, expecting it where the handle saw it. */
static int move_main(ice_table *t, int64_t target, const char *what, ice_commit_result *result)
{
	const ice_table_metadata *md = ice_table_current(t);
	const ice_ref *main_ref = ice_table_metadata_ref(md, "main");
	ref_op op;
	memset(&op, 0, sizeof(op));
	op.name = "main";
	op.expect_exists = main_ref != NULL;
	op.expect_snapshot = main_ref ? main_ref->snapshot_id : 0;
	if (main_ref)
		op.ref = *main_ref;
	op.ref.name = "main";
	op.ref.type = ICE_REF_BRANCH;
	op.ref.snapshot_id = target;
	if (main_ref && main_ref->snapshot_id == target) {
		no_commit(result);
		return 0;
	}
	return commit_ref(t, &op, what, result);
}

int ice_table_rollback_to(ice_table *t, int64_t snapshot_id, ice_commit_result *result)
{
	const ice_table_metadata *md = ice_table_current(t);
	const ice_snapshot *cur = ice_table_metadata_current_snapshot(md);
	if (result)
		memset(result, 0, sizeof(*result));
	if (!ice_table_metadata_snapshot_by_id(md, snapshot_id))
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_COMMIT, "%s: rollback: no snapshot %lld",
		                      ice_table_identifier(t), (long long)snapshot_id);
	if (!cur || !ice_table_metadata_is_ancestor(md, cur->snapshot_id, snapshot_id))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_COMMIT,
		                      "%s: rollback: snapshot %lld is not an ancestor of the current snapshot %lld "
		                      "(use set-current to make any snapshot current)",
		                      ice_table_identifier(t), (long long)snapshot_id,
		                      (long long)(cur ? cur->snapshot_id : -1));
	return move_main(t, snapshot_id, "rollback", result);
}

int ice_table_rollback_to_time(ice_table *t, int64_t ts, ice_commit_result *result)
{
	const ice_table_metadata *md = ice_table_current(t);
	const ice_snapshot *s = ice_table_metadata_current_snapshot(md);
	if (result)
		memset(result, 0, sizeof(*result));
	/* The current snapshot's ancestry, newest first: the first one at or
	 * before the time. */
	while (s && s->timestamp_ms > ts)
		s = s->has_parent ? ice_table_metadata_snapshot_by_id(md, s->parent_snapshot_id) : NULL;
	if (!s)
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_COMMIT,
		                      "%s: rollback: no ancestor of the current snapshot was committed at or before %lld",
		                      ice_table_identifier(t), (long long)ts);
	return move_main(t, s->snapshot_id, "rollback", result);
}

int ice_table_set_current_snapshot(ice_table *t, int64_t snapshot_id, ice_commit_result *result)
{
	if (result)
		memset(result, 0, sizeof(*result));
	if (!ice_table_metadata_snapshot_by_id(ice_table_current(t), snapshot_id))
		return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_COMMIT, "%s: set-current: no snapshot %lld",
		                      ice_table_identifier(t), (long long)snapshot_id);
	return move_main(t, snapshot_id, "set current snapshot", result);
}
