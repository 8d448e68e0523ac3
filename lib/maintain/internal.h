/*
 * maintain/internal.h - what the maintenance operations share: the
 * retention plan of an expiry (retain.c) that the commit (expire.c)
 * records and the cleanup uses, and table properties read strictly.
 */
#ifndef ICE_MAINTAIN_INTERNAL_H
#define ICE_MAINTAIN_INTERNAL_H

#include "ice/maintain.h"
#include "ice/metadata_builder.h"
#include "reach/reach.h"
#include "util/arena.h"

/*
 * What one expiry removes from a base: refs, snapshots (copied with what
 * reading their manifest lists needs, since the base goes away with the
 * commit), the statistics files of those snapshots, and with
 * clean_metadata unused specs and schemas.
 */
typedef struct ice_expiry_plan {
	ice_arena arena;
	const char **refs;        /* refs to remove */
	size_t nrefs;
	ice_snapshot *expired;    /* copies: id, timestamp, manifest list or inline manifests */
	int64_t *expired_ids;
	size_t nexpired;
	const char **stats;       /* statistics and partition statistics files of expired snapshots */
	size_t nstats;
	int32_t *specs;           /* clean_metadata */
	size_t nspecs;
	int32_t *schemas;
	size_t nschemas;
	/* Refs that stay, with the snapshot each pointed at (for requirements). */
	const char **kept_refs;
	int64_t *kept_ref_ids;
	size_t nkept_refs;
} ice_expiry_plan;

void ice_expiry__plan_init(ice_expiry_plan *p);
void ice_expiry__plan_free(ice_expiry_plan *p);
/* Whether the plan changes anything. */
bool ice_expiry__plan_empty(const ice_expiry_plan *p);

/*
 * Compute what expiring `base` at `now_ms` with `opts` removes (the
 * reference implementation's RemoveSnapshots rules, see ice/maintain.h).
 * Reads manifest lists only for clean_metadata with several specs.
 */
int ice_expiry__plan(ice_expiry_plan *p, const ice_table_metadata *base, const ice_io *io,
                     const ice_expire_options *opts, int64_t now_ms);
/* Record the plan's changes on `b` (started from the same base). */
int ice_expiry__record(const ice_expiry_plan *p, ice_metadata_builder *b);

/* A table property as a long: `fallback` when unset, ICE_EINVALID naming
 * the property when it is not a number. */
int ice_maintain__property_long(const ice_table_metadata *md, const char *key, int64_t fallback, int64_t *out);
/* gc.enabled (default true). */
bool ice_maintain__gc_enabled(const ice_table_metadata *md);
int64_t ice_maintain__now_ms(void);

#endif
