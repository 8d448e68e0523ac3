/*
 * ice/table.h - the table handle and the commit protocol (DESIGN.md "The
 * commit protocol").
 *
 * A table handle holds a table's current metadata, the location of the
 * file it came from, its identifier and its catalog. Changing a table is
 * done by committing an *operation*: a function that, given the metadata
 * the commit starts from (the base), records table updates through a
 * metadata builder (the REST catalog's TableUpdate set) and, where it
 * depends on the base, table requirements, and that validates whatever it
 * needs from the base. ice_table_commit() runs it, builds the new metadata
 * and asks the catalog to swap versions. When another writer committed
 * first (ICE_ECONFLICT from the catalog), it refreshes the table, runs the
 * operation again on the new base, and retries with exponential backoff
 * and jitter, per the table properties
 *
 *   commit.retry.num-retries       (default 4: at most 5 attempts)
 *   commit.retry.min-wait-ms       (100)
 *   commit.retry.max-wait-ms       (60000)
 *   commit.retry.total-timeout-ms  (1800000)
 *
 * ICE_ECONFLICT (retry-safe: nothing changed) is kept apart from
 * ICE_ECOMMITUNKNOWN (the commit may have landed). Files an attempt
 * registers with ice_commit_track_file() are deleted when that attempt
 * definitely failed, and never when the outcome is unknown.
 */
#ifndef ICE_TABLE_H
#define ICE_TABLE_H

#include "catalog.h"
#include "common.h"
#include "io.h"
#include "metadata_builder.h"
#include "partition_spec.h"
#include "schema.h"
#include "table_metadata.h"

ICE_BEGIN_DECL

typedef struct ice_table ice_table;

/* ---- opening and creating ---------------------------------------------- */

/*
 * Load table `identifier` ("ns.table") from `catalog` (borrowed; it must
 * outlive the handle). ICE_ENOTFOUND if it does not exist.
 */
ICE_EXTERN int ice_table_load(ice_table **out, ice_catalog *catalog, const char *identifier);

/* Loading flags. */
enum {
	/*
	 * Snapshots that no branch or tag reaches may be left out (a REST
	 * catalog's snapshots=refs): enough to read the current state or
	 * append to it, and less to fetch. History, time travel to older
	 * snapshots, row-level changes that check concurrent commits and
	 * maintenance need the whole table (no flag).
	 */
	ICE_TABLE_LOAD_REFS = 1,
};
ICE_EXTERN int ice_table_load_with(ice_table **out, ice_catalog *catalog, const char *identifier,
                                   unsigned flags);

/*
 * Open the table in directory `location` without a catalog: its metadata/
 * directory is the source of truth and commits publish new versions there.
 * `io` is borrowed and must outlive the handle.
 */
ICE_EXTERN int ice_table_open(ice_table **out, const ice_io *io, const char *location);

typedef struct ice_table_create_options {
	const ice_schema *schema;         /* required; field ids as given */
	const ice_partition_spec *spec;   /* NULL: unpartitioned; field ids may be unassigned */
	const ice_sort_order *sort_order; /* NULL: unsorted */
	const ice_properties *properties; /* may be NULL */
	int format_version;               /* 1..3; 0: 2 */
	const char *location;             /* NULL: the catalog's default for the name */
} ice_table_create_options;

ICE_EXTERN void ice_table_create_options_init(ice_table_create_options *opts);

/*
 * Create a table: as `identifier` in `catalog`, or, with `catalog` NULL, in
 * the directory `identifier` (opened like ice_table_open, with `io`).
 * ICE_EEXISTS when the table exists; ICE_EINVALID for a spec or sort order
 * that does not fit the schema.
 */
ICE_EXTERN int ice_table_create(ice_table **out, ice_catalog *catalog, const ice_io *io, const char *identifier,
                                const ice_table_create_options *opts);

ICE_EXTERN void ice_table_free(ice_table *table);

/* The current metadata (borrowed: valid until the next refresh or commit). */
ICE_EXTERN const ice_table_metadata *ice_table_current(const ice_table *table);
/* Where the current metadata was read from or written to. */
ICE_EXTERN const char *ice_table_metadata_file(const ice_table *table);
/* The identifier (name in the catalog, or the directory). */
ICE_EXTERN const char *ice_table_identifier(const ice_table *table);
ICE_EXTERN const ice_io *ice_table_io(const ice_table *table);

/* Re-read the current metadata from the catalog. */
ICE_EXTERN int ice_table_refresh(ice_table *table);

/* ---- requirements ----------------------------------------------------- */

typedef enum ice_requirement_kind {
	ICE_REQUIRE_CREATE,                   /* the table does not exist */
	ICE_REQUIRE_TABLE_UUID,               /* str: the uuid */
	ICE_REQUIRE_REF_SNAPSHOT_ID,          /* str: ref name; value (has_value false: the ref must not exist) */
	ICE_REQUIRE_LAST_ASSIGNED_FIELD_ID,   /* value */
	ICE_REQUIRE_CURRENT_SCHEMA_ID,        /* value */
	ICE_REQUIRE_LAST_ASSIGNED_PARTITION_ID, /* value */
	ICE_REQUIRE_DEFAULT_SPEC_ID,          /* value */
	ICE_REQUIRE_DEFAULT_SORT_ORDER_ID,    /* value */
} ice_requirement_kind;

/* One TableRequirement of the REST catalog. */
typedef struct ice_requirement {
	ice_requirement_kind kind;
	const char *str;
	bool has_value;
	int64_t value;
} ice_requirement;

/*
 * Requirements as data (what ice_table_requirements_from_json parses),
 * made from typed values. Strings are copied.
 */
ICE_EXTERN int ice_table_requirements_make(ice_table_requirements **out, const ice_requirement *items, size_t n);
/* The requirements as a JSON array of TableRequirement objects. */
ICE_EXTERN int ice_requirements_write_json(const ice_requirement *items, size_t n, ice_json_writer *w);

/* ---- committing operations -------------------------------------------- */

typedef struct ice_commit_ctx ice_commit_ctx;

/*
 * An operation's body: record updates on `builder` (started from `base`),
 * add requirements and track the files this attempt writes through `ctx`.
 * Runs once per attempt, each time on the then current base. Return 0, or
 * an error to end the commit without retrying (return ICE_ECONFLICT when a
 * validation against the base fails: a concurrent change the operation
 * cannot accept).
 */
typedef int (*ice_operation_fn)(ice_commit_ctx *ctx, const ice_table_metadata *base, ice_metadata_builder *builder,
                                void *payload);

typedef struct ice_operation {
	const char *name;       /* for messages: "append", "set properties", ... */
	ice_operation_fn apply;
	void *payload;
} ice_operation;

/* Require something of the base the updates are applied to. A requirement
 * that does not hold ends the commit with ICE_ECONFLICT (not retried). */
ICE_EXTERN int ice_commit_require(ice_commit_ctx *ctx, const ice_requirement *req);
/* A file written by this attempt only: deleted if the attempt definitely
 * fails (also when it lost a race and the operation is retried). */
ICE_EXTERN int ice_commit_track_file(ice_commit_ctx *ctx, const char *location);
/* 0 for the first attempt, 1 for the first retry, ... */
ICE_EXTERN int ice_commit_attempt(const ice_commit_ctx *ctx);
ICE_EXTERN const ice_table *ice_commit_table(const ice_commit_ctx *ctx);

/* The snapshot summary property that carries an idempotency key. */
#define ICE_IDEMPOTENCY_KEY_PROPERTY "ice.idempotency-key"

typedef struct ice_commit_options {
	/* Override the table's commit.retry.* properties (-1: use them). */
	int num_retries;
	int64_t min_wait_ms;
	int64_t max_wait_ms;
	int64_t total_timeout_ms;
	/* Properties added to the summary of the snapshot the operation makes
	 * (how Flink and Kafka Connect store checkpoints and watermarks); a
	 * key the operation writes itself ("operation", "added-records", ...)
	 * is refused (ICE_EINVALID). NULL: none. Copied per attempt. */
	const ice_properties *summary;
	/*
	 * Exactly once: when a snapshot in the history of the branch the
	 * operation commits to carries this key (summary property
	 * ICE_IDEMPOTENCY_KEY_PROPERTY), nothing is committed: the result's
	 * state is ICE_COMMIT_SKIPPED and existing_snapshot_id names that
	 * snapshot, and the call returns 0. The check runs on the base of
	 * every attempt, so of racing commits with one key exactly one lands.
	 * Otherwise the new snapshot carries the key. NULL: none.
	 */
	const char *idempotency_key;
} ice_commit_options;

ICE_EXTERN void ice_commit_options_init(ice_commit_options *opts);

/* How a commit went: the outcome and what it took. */
typedef enum ice_commit_state {
	ICE_COMMIT_SUCCEEDED,
	ICE_COMMIT_FAILED,  /* definitely not committed */
	ICE_COMMIT_UNKNOWN, /* may have been committed */
	ICE_COMMIT_SKIPPED, /* the idempotency key was found: nothing committed */
} ice_commit_state;

typedef struct ice_commit_result {
	ice_commit_state state;
	int attempts;
	int64_t elapsed_ms;
	int64_t existing_snapshot_id; /* ICE_COMMIT_SKIPPED: the snapshot with the key */
} ice_commit_result;

/*
 * Commit `op` as described at the top. On success the handle holds the new
 * metadata. Returns 0; ICE_ECONFLICT when retries are exhausted or the
 * timeout passed (the message says after how many attempts), or when a
 * requirement or the operation's validation failed; ICE_ECOMMITUNKNOWN
 * when the outcome cannot be known (the handle is then stale: refresh it);
 * or the operation's error. `opts` and `result` may be NULL.
 */
ICE_EXTERN int ice_table_commit(ice_table *table, const ice_operation *op, const ice_commit_options *opts,
                                ice_commit_result *result);

/*
 * Whether the idempotency key of `opts` (may be NULL) is on the history of
 * `branch` (NULL: main) in the table's current metadata; then *result says
 * ICE_COMMIT_SKIPPED with the snapshot. Operations ask this before doing
 * any work (the commit asks again on every attempt's base).
 */
ICE_EXTERN bool ice_table_idempotency_done(const ice_table *table, const char *branch, const ice_commit_options *opts,
                                           ice_commit_result *result);

/*
 * Start creating a table without creating it: the handle holds the metadata
 * the table will have (from a REST catalog, what the server staged with
 * stage-create: its uuid, location and ids), data can be written to its
 * location, and the first commit (ice_table_commit, or any operation built
 * on it such as ice_table_append_files) creates the table with that
 * commit's changes in one step: the table appears with its first snapshot
 * or not at all. A REST catalog commits with assert-create and the
 * creation's updates first; the file-system catalog publishes the changed
 * metadata as version 1. ICE_EEXISTS at that commit when the table was
 * created meanwhile (the files it wrote are deleted). Freeing the handle
 * before committing creates nothing. ice_table_refresh fails until then.
 */
ICE_EXTERN int ice_table_create_staged(ice_table **out, ice_catalog *catalog, const ice_io *io,
                                       const char *identifier, const ice_table_create_options *opts);

/*
 * Commit ops[i] to tables[i] for every i in one atomic step (a REST
 * catalog's POST /v1/{prefix}/transactions/commit): all land or none does.
 * The tables must share one catalog; catalogs that cannot commit several
 * tables at once report ICE_EUNSUPPORTED. Lost races are retried as for
 * ice_table_commit (every table refreshed, every operation run again), per
 * the first table's commit.retry.* properties.
 */
ICE_EXTERN int ice_table_commit_transaction(ice_table *const *tables, const ice_operation *ops, size_t n,
                                            const ice_commit_options *opts, ice_commit_result *result);

/*
 * Send a scan report (planning time and what planning read and skipped)
 * to the table's catalog when it takes metrics reports (a REST catalog
 * listing POST .../metrics; rest-metrics-reporting-enabled). Best effort:
 * returns 0 also when nothing could be sent.
 */
struct ice_scan;
ICE_EXTERN int ice_table_report_scan(ice_table *table, const struct ice_scan *scan, int64_t planning_ns);

/* ---- metadata-only operations ------------------------------------------- */

/* Set and remove table properties in one commit. */
ICE_EXTERN int ice_table_update_properties(ice_table *table, const ice_properties *set, const char *const *remove,
                                           size_t nremove, ice_commit_result *result);

ICE_END_DECL

#endif
