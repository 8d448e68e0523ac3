/*
 * maintain/retain.c - which refs and snapshots an expiry keeps (spec
 * "Snapshot Retention Policy"), as the reference implementation's
 * RemoveSnapshots decides:
 *
 *   - main stays; another ref stays while its snapshot is at most its
 *     max-ref-age-ms old (else history.expire.max-ref-age-ms, default
 *     forever); a ref whose snapshot does not exist goes;
 *   - every retained ref's snapshot stays;
 *   - a retained branch keeps its ancestors while fewer than its
 *     min-snapshots-to-keep are kept or they are not older than its
 *     expiry time (now minus its max-snapshot-age-ms, else the default:
 *     the --older-than time or now minus history.expire.max-snapshot-age-ms);
 *   - a snapshot that no retained branch's ancestry or tag reaches stays
 *     while not older than the default expiry time;
 *   - explicitly named snapshots go even when the rules above keep them,
 *     but never one a retained ref points at.
 *
 * With clean_metadata, partition specs no manifest of a kept snapshot
 * uses (the default spec always stays) and schemas no kept snapshot was
 * written with (the current schema always stays) are removed as well.
 */
#include <string.h>
#include <time.h>

#include "internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/hashmap.h"
#include "util/strutil.h"

#define DAY_MS 86400000LL

int64_t ice_maintain__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ice_maintain__property_long(const ice_table_metadata *md, const char *key, int64_t fallback, int64_t *out)
{
	const char *v = ice_table_metadata_property(md, key, NULL);
	*out = fallback;
	if (!v)
		return 0;
	const char *s = v;
	size_t len = strlen(v);
	ice_str__trim(&s, &len);
	if (!ice_str__to_int64(s, len, out))
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA, "table property %s: '%s' is not a number", key, v);
	return 0;
}

bool ice_maintain__gc_enabled(const ice_table_metadata *md)
{
	const char *v = ice_table_metadata_property(md, "gc.enabled", "true");
	return !ice_str__ieq(v, strlen(v), "false", 5);
}

void ice_expiry__plan_init(ice_expiry_plan *p)
{
	memset(p, 0, sizeof(*p));
	ice_arena__init(&p->arena, 1 << 14);
}

void ice_expiry__plan_free(ice_expiry_plan *p)
{
	ice_arena__free(&p->arena);
	memset(p, 0, sizeof(*p));
	ice_arena__init(&p->arena, 1 << 14);
}

bool ice_expiry__plan_empty(const ice_expiry_plan *p)
{
	return !p->nrefs && !p->nexpired && !p->nspecs && !p->nschemas;
}

typedef struct retain {
	const ice_table_metadata *md;
	size_t n;
	ice_map index; /* snapshot id -> index + 1 */
	bool *keep;
	bool *reached; /* by a retained branch's ancestry or tag */
} retain;

static const ice_snapshot *snap(const retain *r, int64_t id, size_t *i_out)
{
	void *v;
	if (!ice_map__get_int(&r->index, id, &v))
		return NULL;
	*i_out = (size_t)(uintptr_t)v - 1;
	return ice_table_metadata_snapshot_at(r->md, *i_out);
}

/* Keep a branch's ancestors per its age and count (computeBranchSnapshotsToRetain),
 * and mark its whole ancestry as reached. */
static void keep_branch(retain *r, int64_t head, int64_t expire_before, int64_t min_keep)
{
	size_t i = 0, kept = 0, steps = 0;
	bool keeping = true;
	for (const ice_snapshot *s = snap(r, head, &i); s && steps <= r->n; steps++) {
		if (keeping && ((int64_t)kept < min_keep || s->timestamp_ms >= expire_before)) {
			r->keep[i] = true;
			kept++;
		} else {
			keeping = false;
		}
		r->reached[i] = true;
		s = s->has_parent ? snap(r, s->parent_snapshot_id, &i) : NULL;
	}
}

/* clean_metadata: the specs and schemas kept snapshots still use. */
static int plan_clean_metadata(ice_expiry_plan *p, retain *r, const ice_io *io)
{
	const ice_table_metadata *md = r->md;
	size_t nspecs = ice_table_metadata_spec_count(md), nschemas = ice_table_metadata_schema_count(md);
	bool *spec_used = ice__calloc(nspecs + 1, sizeof(bool)), *schema_used = ice__calloc(nschemas + 1, sizeof(bool));
	size_t used_specs = 0;
	int rc = 0;
	if (!spec_used || !schema_used) {
		rc = ICE_ERROR;
		goto done;
	}
	const ice_partition_spec *def = ice_table_metadata_default_spec(md);
	const ice_schema *cur = ice_table_metadata_current_schema(md);
	for (size_t k = 0; k < nspecs; k++)
		if (def && ice_table_metadata_spec_at(md, k) == def) {
			spec_used[k] = true;
			used_specs++;
		}
	for (size_t k = 0; k < nschemas; k++)
		if (ice_table_metadata_schema_at(md, k) == cur)
			schema_used[k] = true;
	for (size_t i = 0; i < r->n && !rc; i++) {
		if (!r->keep[i])
			continue;
		const ice_snapshot *s = ice_table_metadata_snapshot_at(md, i);
		if (s->has_schema_id)
			for (size_t k = 0; k < nschemas; k++)
				if (ice_schema_id(ice_table_metadata_schema_at(md, k)) == s->schema_id)
					schema_used[k] = true;
		if (nspecs < 2 || used_specs == nspecs)
			continue;
		ice_manifest_list *list;
		if ((rc = ice_manifest_list_read_snapshot(&list, io, md, s)) != 0)
			break;
		for (size_t j = 0; j < list->n; j++)
			for (size_t k = 0; k < nspecs; k++)
				if (!spec_used[k] &&
				    ice_table_metadata_spec_at(md, k)->spec_id == list->items[j].partition_spec_id) {
					spec_used[k] = true;
					used_specs++;
				}
		ice_manifest_list_free(list);
	}
	if (rc)
		goto done;
	if (!(p->specs = ice_arena__allocarray(&p->arena, nspecs + 1, sizeof(int32_t))) ||
	    !(p->schemas = ice_arena__allocarray(&p->arena, nschemas + 1, sizeof(int32_t)))) {
		rc = ICE_ERROR;
		goto done;
	}
	for (size_t k = 0; k < nspecs; k++)
		if (!spec_used[k])
			p->specs[p->nspecs++] = ice_table_metadata_spec_at(md, k)->spec_id;
	for (size_t k = 0; k < nschemas; k++)
		if (!schema_used[k])
			p->schemas[p->nschemas++] = ice_schema_id(ice_table_metadata_schema_at(md, k));
done:
	ice__free(spec_used);
	ice__free(schema_used);
	return rc;
}

/* Copy what reading an expired snapshot's manifest list needs. */
static int copy_expired(ice_expiry_plan *p, const ice_snapshot *s)
{
	ice_snapshot *c = &p->expired[p->nexpired];
	memset(c, 0, sizeof(*c));
	c->snapshot_id = s->snapshot_id;
	c->has_parent = s->has_parent;
	c->parent_snapshot_id = s->parent_snapshot_id;
	c->sequence_number = s->sequence_number;
	c->timestamp_ms = s->timestamp_ms;
	if (s->manifest_list && !(c->manifest_list = ice_arena__strdup(&p->arena, s->manifest_list)))
		return ICE_ERROR;
	if (s->n_manifests) {
		const char **m = ice_arena__allocarray(&p->arena, s->n_manifests, sizeof(char *));
		if (!m)
			return ICE_ERROR;
		for (size_t k = 0; k < s->n_manifests; k++)
			if (!(m[k] = ice_arena__strdup(&p->arena, s->manifests[k])))
				return ICE_ERROR;
		c->manifests = m;
		c->n_manifests = s->n_manifests;
	}
	p->expired_ids[p->nexpired++] = s->snapshot_id;
	return 0;
}

static int plan_stats(ice_expiry_plan *p, const ice_table_metadata *md, const ice_map *expired)
{
	size_t ns = ice_table_metadata_statistics_count(md), nps = ice_table_metadata_partition_statistics_count(md);
	if (!(p->stats = ice_arena__allocarray(&p->arena, ns + nps + 1, sizeof(char *))))
		return ICE_ERROR;
	for (size_t k = 0; k < ns; k++) {
		const ice_statistics_file *f = ice_table_metadata_statistics_at(md, k);
		if (ice_map__get_int(expired, f->snapshot_id, NULL) &&
		    !(p->stats[p->nstats++] = ice_arena__strdup(&p->arena, f->statistics_path)))
			return ICE_ERROR;
	}
	for (size_t k = 0; k < nps; k++) {
		const ice_partition_statistics_file *f = ice_table_metadata_partition_statistics_at(md, k);
		if (ice_map__get_int(expired, f->snapshot_id, NULL) &&
		    !(p->stats[p->nstats++] = ice_arena__strdup(&p->arena, f->statistics_path)))
			return ICE_ERROR;
	}
	return 0;
}

static int plan(ice_expiry_plan *p, retain *r, const ice_io *io, const ice_expire_options *o, int64_t now)
{
	const ice_table_metadata *md = r->md;
	int64_t max_age, min_keep_default, max_ref_age;
	int rc;
	if ((rc = ice_maintain__property_long(md, "history.expire.max-snapshot-age-ms", 5 * DAY_MS, &max_age)) != 0 ||
	    (rc = ice_maintain__property_long(md, "history.expire.min-snapshots-to-keep", 1, &min_keep_default)) != 0 ||
	    (rc = ice_maintain__property_long(md, "history.expire.max-ref-age-ms", INT64_MAX, &max_ref_age)) != 0)
		return rc;
	int64_t expire_before = o->has_older_than_ms ? o->older_than_ms : now - max_age;
	int64_t min_keep = o->has_retain_last ? o->retain_last : min_keep_default;
	if (o->has_retain_last && o->retain_last < 1)
		return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_INVALID,
		                      "the number of snapshots to retain must be at least 1, not %d", (int)o->retain_last);
	if (!r->n && !o->clean_metadata)
		return 0;

	/* Refs that stay. */
	size_t nrefs = ice_table_metadata_ref_count(md);
	if (!(p->refs = ice_arena__allocarray(&p->arena, nrefs + 1, sizeof(char *))) ||
	    !(p->kept_refs = ice_arena__allocarray(&p->arena, nrefs + 1, sizeof(char *))) ||
	    !(p->kept_ref_ids = ice_arena__allocarray(&p->arena, nrefs + 1, sizeof(int64_t))))
		return ICE_ERROR;
	for (size_t k = 0; k < nrefs; k++) {
		const ice_ref *ref = ice_table_metadata_ref_at(md, k);
		size_t i = 0;
		const ice_snapshot *s = snap(r, ref->snapshot_id, &i);
		bool stays = strcmp(ref->name, "main") == 0;
		if (!stays && s) {
			int64_t max = ref->has_max_ref_age_ms ? ref->max_ref_age_ms : max_ref_age;
			stays = now - s->timestamp_ms <= max;
		}
		if (!stays) {
			p->refs[p->nrefs++] = ref->name;
			continue;
		}
		p->kept_refs[p->nkept_refs] = ref->name;
		p->kept_ref_ids[p->nkept_refs++] = ref->snapshot_id;
		if (s)
			r->keep[i] = true;
	}
	/* Named snapshots must exist and no kept ref may point at them. */
	for (size_t k = 0; k < o->n_snapshot_ids; k++) {
		size_t i;
		if (!snap(r, o->snapshot_ids[k], &i))
			return ice_error__set(ICE_ENOTFOUND, ICE_ERRCLASS_METADATA, "cannot expire snapshot %lld: no such snapshot",
			                      (long long)o->snapshot_ids[k]);
		for (size_t j = 0; j < p->nkept_refs; j++)
			if (p->kept_ref_ids[j] == o->snapshot_ids[k])
				return ice_error__set(ICE_EINVALID, ICE_ERRCLASS_METADATA,
				                      "cannot expire snapshot %lld: ref '%s' still points at it",
				                      (long long)o->snapshot_ids[k], p->kept_refs[j]);
	}
	/* Branch histories, tags, and what nothing reaches. */
	for (size_t j = 0; j < p->nkept_refs; j++) {
		const ice_ref *ref = ice_table_metadata_ref(md, p->kept_refs[j]);
		size_t i;
		if (!ref || !snap(r, ref->snapshot_id, &i))
			continue;
		if (ref->type == ICE_REF_TAG) {
			r->reached[i] = true;
			continue;
		}
		int64_t before = ref->has_max_snapshot_age_ms ? now - ref->max_snapshot_age_ms : expire_before;
		int64_t keep_n = ref->has_min_snapshots_to_keep ? ref->min_snapshots_to_keep : min_keep;
		keep_branch(r, ref->snapshot_id, before, keep_n);
	}
	for (size_t i = 0; i < r->n; i++)
		if (!r->reached[i] && ice_table_metadata_snapshot_at(md, i)->timestamp_ms >= expire_before)
			r->keep[i] = true;
	if (o->clean_metadata && (rc = plan_clean_metadata(p, r, io)) != 0)
		return rc;
	for (size_t k = 0; k < o->n_snapshot_ids; k++) {
		size_t i;
		if (snap(r, o->snapshot_ids[k], &i))
			r->keep[i] = false;
	}

	/* The snapshots that go, and their statistics files. */
	ice_map expired;
	ice_map__init(&expired, false);
	if (!(p->expired = ice_arena__allocarray(&p->arena, r->n + 1, sizeof(ice_snapshot))) ||
	    !(p->expired_ids = ice_arena__allocarray(&p->arena, r->n + 1, sizeof(int64_t))))
		rc = ICE_ERROR;
	for (size_t i = 0; i < r->n && !rc; i++) {
		if (r->keep[i])
			continue;
		const ice_snapshot *s = ice_table_metadata_snapshot_at(md, i);
		if ((rc = copy_expired(p, s)) == 0)
			rc = ice_map__put_int(&expired, s->snapshot_id, NULL);
	}
	if (!rc)
		rc = plan_stats(p, md, &expired);
	ice_map__free(&expired);
	return rc;
}

int ice_expiry__plan(ice_expiry_plan *p, const ice_table_metadata *base, const ice_io *io,
                     const ice_expire_options *opts, int64_t now_ms)
{
	retain r;
	int rc = 0;
	memset(&r, 0, sizeof(r));
	r.md = base;
	r.n = ice_table_metadata_snapshot_count(base);
	ice_map__init(&r.index, false);
	if (!(r.keep = ice__calloc(r.n + 1, sizeof(bool))) || !(r.reached = ice__calloc(r.n + 1, sizeof(bool))))
		rc = ICE_ERROR;
	for (size_t i = 0; i < r.n && !rc; i++)
		rc = ice_map__put_int(&r.index, ice_table_metadata_snapshot_at(base, i)->snapshot_id, (void *)(uintptr_t)(i + 1));
	if (!rc)
		rc = plan(p, &r, io, opts, now_ms);
	ice_map__free(&r.index);
	ice__free(r.keep);
	ice__free(r.reached);
	return rc;
}

int ice_expiry__record(const ice_expiry_plan *p, ice_metadata_builder *b)
{
	int rc = 0;
	for (size_t k = 0; k < p->nrefs && !rc; k++)
		rc = ice_metadata_builder_remove_ref(b, p->refs[k]);
	if (!rc && p->nexpired)
		rc = ice_metadata_builder_remove_snapshots(b, p->expired_ids, p->nexpired);
	if (!rc && p->nspecs)
		rc = ice_metadata_builder_remove_specs(b, p->specs, p->nspecs);
	if (!rc && p->nschemas)
		rc = ice_metadata_builder_remove_schemas(b, p->schemas, p->nschemas);
	return rc;
}
