/*
 * ice/maintain.h - table maintenance that removes: expiring snapshots (the
 * reference implementation's ExpireSnapshots, Spark's expire_snapshots
 * procedure) and removing orphan files (DeleteOrphanFiles, Spark's
 * remove_orphan_files).
 *
 * Both decide what to delete from what the table's metadata reaches: the
 * manifest lists of its snapshots, the manifests they list and the data and
 * delete files those list as live (added or existing), statistics and
 * partition statistics files, and (for orphans) the metadata files of the
 * metadata log and version-hint.text. Every manifest is read at most once,
 * on several threads; paths are kept in hashed sets whose strings beyond a
 * memory budget go to a temporary file, so memory grows by about 30 bytes
 * per file, not by the length of its path.
 *
 * Nothing is ever deleted
 *   - outside the table's location (whatever a manifest says: another
 *     directory, "../", another scheme or bucket, a symbolic link leading
 *     out): such files are counted as kept outside;
 *   - that the table still reaches after the change (any retained snapshot
 *     of any branch or tag, any metadata file it names);
 *   - by expiry before the commit that made it unreachable has succeeded
 *     (commit state unknown: nothing is deleted);
 *   - by orphan removal when younger than the age guard.
 * A run stopped at any moment leaves a table that loads, every retained
 * snapshot readable, and at worst files no metadata reaches, which the next
 * orphan removal deletes.
 *
 * Deletes run in parallel and are counted by kind, as Spark's procedures
 * report them. A file already gone is counted as missing, not as an error;
 * files that could not be deleted are counted, and the call then fails with
 * the first such error after finishing the others.
 */
#ifndef ICE_MAINTAIN_H
#define ICE_MAINTAIN_H

#include "common.h"
#include "table.h"

ICE_BEGIN_DECL

/* What a file is to the table. */
typedef enum ice_file_kind {
	ICE_FILE_DATA = 0,              /* data file */
	ICE_FILE_POSITION_DELETES = 1,  /* position delete file or deletion vector file */
	ICE_FILE_EQUALITY_DELETES = 2,  /* equality delete file */
	ICE_FILE_MANIFEST = 3,
	ICE_FILE_MANIFEST_LIST = 4,
	ICE_FILE_STATISTICS = 5,        /* table statistics (Puffin) and partition statistics files */
	ICE_FILE_METADATA = 6,          /* metadata files, version-hint.text */
	ICE_FILE_OTHER = 7,             /* anything else (an orphan's kind is unknown) */
	ICE_FILE_KIND_COUNT = 8,
} ice_file_kind;

/* "data", "position-deletes", "equality-deletes", "manifest",
 * "manifest-list", "statistics", "metadata", "other". */
ICE_EXTERN const char *ice_file_kind_name(ice_file_kind kind);

/* Progress of a long run, for a terminal. `phase` is "listing", "reading
 * manifest lists", "reading manifests" or "deleting"; `total` is -1 when
 * not known yet. Calls are serialized but may come from worker threads;
 * they are spaced at least 100 ms apart within a phase, except the first
 * and last of each phase. */
typedef void (*ice_maintain_progress_fn)(const char *phase, int64_t done, int64_t total, void *payload);

/* Each file deleted (or, in a dry run, that would be deleted), from any
 * thread, serialized. Return 0; anything else stops the run with that code
 * (deletes already made stay made). */
typedef int (*ice_maintain_file_fn)(const char *location, ice_file_kind kind, void *payload);

/* Counts of a run's deletes. In a dry run, `deleted` counts what would be
 * deleted and nothing else is filled. */
typedef struct ice_delete_counts {
	int64_t deleted[ICE_FILE_KIND_COUNT];
	int64_t missing;  /* already gone */
	int64_t outside;  /* reached only outside the table location: kept */
	int64_t failed;   /* could not be deleted (the call fails) */
} ice_delete_counts;

/* Files deleted over all kinds. */
ICE_EXTERN int64_t ice_delete_counts_total(const ice_delete_counts *counts);

/* ---- expiring snapshots --------------------------------------------------- */

typedef struct ice_expire_options {
	/* Expire snapshots older than this (epoch ms). Default: now minus the
	 * table property history.expire.max-snapshot-age-ms (5 days). A
	 * branch's own max-snapshot-age-ms overrides either. */
	bool has_older_than_ms;
	int64_t older_than_ms;
	/* Keep at least this many ancestors of each branch whatever their age
	 * (>= 1). Default: history.expire.min-snapshots-to-keep (1); a branch's
	 * own min-snapshots-to-keep overrides either. */
	bool has_retain_last;
	int32_t retain_last;
	/* Also expire these snapshots (each must exist and no retained branch
	 * or tag may point at it). */
	const int64_t *snapshot_ids;
	size_t n_snapshot_ids;
	/* Commit the expiry but delete no file. */
	bool keep_files;
	/* Also remove partition specs and schemas no retained snapshot uses
	 * (Java's cleanExpiredMetadata): specs of no manifest of a retained
	 * snapshot other than the default spec, schemas of no retained snapshot
	 * other than the current schema. */
	bool clean_metadata;
	/* Compute what would be expired and deleted; commit and delete nothing. */
	bool dry_run;
	int threads;          /* manifest readers and deleters; 0: 2 readers per core, 8 deleters */
	int64_t now_ms;       /* 0: the clock */
	size_t memory_bytes;  /* path strings kept in memory before spilling; 0: 64 MiB */
	const ice_commit_options *commit; /* NULL: the table's commit.retry.* */
	ice_maintain_progress_fn progress;
	void *progress_payload;
	ice_maintain_file_fn on_file;
	void *file_payload;
} ice_expire_options;

ICE_EXTERN void ice_expire_options_init(ice_expire_options *opts);

typedef struct ice_expire_report {
	bool committed;             /* false: nothing to expire, or a dry run */
	int64_t snapshots_before;
	int64_t snapshots_expired;
	int64_t snapshots_after;
	int64_t refs_removed;       /* branches and tags past their max-ref-age-ms */
	int64_t specs_removed;      /* clean_metadata */
	int64_t schemas_removed;
	const int64_t *expired_ids; /* snapshots_expired ids, valid until ice_expire_report_free */
	int64_t manifest_lists_read;
	int64_t manifests_read;
	ice_delete_counts files;
	ice_commit_result commit;
	void *internal_;
} ice_expire_report;

/*
 * Expire snapshots of `table`, per the spec's retention policy as the
 * reference implementation applies it:
 *   - refs: main always stays; another branch or tag stays while its
 *     snapshot is younger than its max-ref-age-ms (else the table's
 *     history.expire.max-ref-age-ms, default forever), else it is removed;
 *   - each retained branch keeps the ancestors of its snapshot that are
 *     newer than its max snapshot age, and at least its minimum number;
 *   - each retained tag keeps its snapshot;
 *   - a snapshot no retained ref reaches stays while younger than the
 *     default age;
 *   - everything else, and the snapshots named in opts, is expired.
 * The change is committed (redone on the new metadata when another writer
 * commits first). Then the files only expired snapshots reached are
 * deleted: data and delete files that no manifest of a remaining snapshot
 * lists as live, manifests and manifest lists no remaining snapshot uses,
 * statistics files of expired snapshots. gc.enabled=false refuses (as Java
 * does) unless opts->keep_files.
 *
 * Returns 0; ICE_EINVALID for bad options, gc.enabled=false, or a snapshot
 * to expire that a retained ref points at; ICE_ENOTFOUND for an unknown
 * snapshot id; commit codes as ice_table_commit (after ICE_ECOMMITUNKNOWN
 * nothing is deleted); after a committed expiry, an error from the
 * cleanup (a remaining manifest that cannot be read stops every data file
 * delete; files that could not be deleted) with report->committed true.
 * Free the report with ice_expire_report_free (also after errors).
 */
ICE_EXTERN int ice_table_expire_snapshots(ice_table *table, const ice_expire_options *opts,
                                          ice_expire_report *report);
ICE_EXTERN void ice_expire_report_free(ice_expire_report *report);

/* ---- removing orphan files -------------------------------------------------- */

/* What to do with a file whose path a metadata reference names under
 * another scheme or authority (s3://a/x listed, s3a://b/x referenced). */
typedef enum ice_prefix_mismatch {
	ICE_PREFIX_MISMATCH_ERROR = 0,  /* fail, naming the conflicting schemes/authorities; delete nothing */
	ICE_PREFIX_MISMATCH_IGNORE = 1, /* keep such files */
	ICE_PREFIX_MISMATCH_DELETE = 2, /* delete them (unless also referenced under the listed prefix) */
} ice_prefix_mismatch;

/* Names that mean the same: `from` is read as `to`. */
typedef struct ice_name_alias {
	const char *from;
	const char *to;
} ice_name_alias;

typedef struct ice_orphan_options {
	/* Files modified at or after this time (epoch ms) are kept. Default:
	 * now minus 3 days. Less than an hour before now is refused
	 * (ICE_EINVALID) unless `force`: the guard is what protects the files
	 * of commits in flight. */
	bool has_older_than_ms;
	int64_t older_than_ms;
	bool force;
	/* List this location (within the table location) instead of the table
	 * location. */
	const char *location;
	ice_prefix_mismatch prefix_mismatch;
	/* Schemes and authorities that are the same; s3a and s3n always mean
	 * s3, as in Java. */
	const ice_name_alias *equal_schemes;
	size_t n_equal_schemes;
	const ice_name_alias *equal_authorities;
	size_t n_equal_authorities;
	bool dry_run;
	int threads;
	int64_t now_ms;
	size_t memory_bytes;
	ice_maintain_progress_fn progress;
	void *progress_payload;
	ice_maintain_file_fn on_file; /* each orphan (kind ICE_FILE_OTHER) */
	void *file_payload;
} ice_orphan_options;

ICE_EXTERN void ice_orphan_options_init(ice_orphan_options *opts);

typedef struct ice_orphan_report {
	int64_t files_listed;     /* files under the location */
	int64_t files_too_new;    /* kept by the age guard */
	int64_t files_hidden;     /* under a name starting with '.' or '_' (not a partition directory): never orphans */
	int64_t files_reachable;  /* old enough, and reached by the metadata */
	int64_t prefix_conflicts; /* reached only under another scheme or authority */
	int64_t orphans;          /* found */
	int64_t metadata_versions; /* metadata versions read (more than one when the table changed meanwhile) */
	int64_t manifest_lists_read;
	int64_t manifests_read;
	ice_delete_counts files;  /* orphans deleted count as ICE_FILE_OTHER */
} ice_orphan_report;

/*
 * List every file under the table location (or opts->location), subtract
 * what the metadata reaches (all snapshots of all refs, the metadata files
 * of the metadata log, version-hint.text, statistics files), and delete the
 * rest that is older than the guard. Paths compare as Java compares them:
 * by path, with scheme and authority compared separately (a reference
 * without a scheme or authority matches any). Files and directories whose
 * name starts with '.' or '_' are never listed as orphans (Hadoop's hidden
 * files, as in Java), except partition directories of such partition
 * fields and the temporaries ice's commits leave when killed (.UUID.tmp).
 * Should the table change while its metadata is read, the new version's
 * files are kept too.
 *
 * Returns 0; ICE_EINVALID for bad options, gc.enabled=false, a location
 * outside the table, or (prefix_mismatch ERROR) conflicting prefixes; a
 * metadata or manifest that cannot be read stops the run before anything
 * is deleted.
 */
ICE_EXTERN int ice_table_remove_orphan_files(ice_table *table, const ice_orphan_options *opts,
                                             ice_orphan_report *report);

/* ---- the one cron entry ------------------------------------------------------ */

/* The steps of ice_table_maintain, in the order they run. */
typedef enum ice_maintain_step_id {
	ICE_MAINTAIN_COMPACT = 0,           /* ice_table_compact */
	ICE_MAINTAIN_REWRITE_MANIFESTS = 1, /* ice_table_rewrite_manifests */
	ICE_MAINTAIN_EXPIRE_SNAPSHOTS = 2,  /* ice_table_expire_snapshots */
	ICE_MAINTAIN_REMOVE_ORPHANS = 3,    /* ice_table_remove_orphan_files */
	ICE_MAINTAIN_STEP_COUNT = 4,
} ice_maintain_step_id;

/* "compact", "rewrite-manifests", "expire-snapshots", "remove-orphan-files". */
ICE_EXTERN const char *ice_maintain_step_name(ice_maintain_step_id step);

typedef struct ice_maintain_options {
	/* Steps to consider (all by default). A step also stays off when the
	 * table property ice.maintain.<step name> is false, and every step when
	 * ice.maintain.enabled is false. */
	bool steps[ICE_MAINTAIN_STEP_COUNT];
	/* Compaction's options (NULL: the defaults, from table properties);
	 * dry_run and threads below override theirs. */
	const struct ice_compact_options *compact;
	/* Manifests are rewritten when the current snapshot has at least this
	 * many smaller than commit.manifest.target-size-bytes (0: the table's
	 * commit.manifest.min-count-to-merge, default 100). */
	int64_t manifest_min_count;
	/* Expiry's and orphan removal's options (NULL: the defaults, from table
	 * properties: history.expire.*, a guard of 3 days). */
	const ice_expire_options *expire;
	const ice_orphan_options *orphans;
	bool dry_run;   /* plan every step, change nothing */
	int threads;    /* 0: the steps' defaults */
	ice_maintain_progress_fn progress; /* phase names are prefixed "<step>: " */
	void *progress_payload;
} ice_maintain_options;

ICE_EXTERN void ice_maintain_options_init(ice_maintain_options *opts);

typedef struct ice_maintain_step {
	bool ran;                   /* false: skipped */
	const char *skipped;        /* why (static text), when not run */
	bool changed;               /* committed (expiry, compaction, manifests) or deleted files */
	int rc;                     /* 0, or the step's error code */
	char *error;                /* its message */
	int64_t files_removed;      /* data and delete files rewritten, manifests replaced, files deleted */
	int64_t bytes_removed;      /* where known (compaction) */
	int64_t files_written;      /* data files or manifests written */
	int64_t bytes_written;      /* where known (compaction) */
	int64_t elapsed_ms;
} ice_maintain_step;

typedef struct ice_maintain_report {
	ice_maintain_step steps[ICE_MAINTAIN_STEP_COUNT];
	int failed;                 /* steps that failed */
	int64_t elapsed_ms;
} ice_maintain_report;

ICE_EXTERN void ice_maintain_report_free(ice_maintain_report *report);

/*
 * Maintain `table`: compact data files where a partition has enough small
 * ones (ice_table_compact with Spark's rules: nothing is rewritten where
 * nothing is worth it), rewrite the manifests when many are small, expire
 * snapshots by the table's retention properties, and remove orphan files
 * older than the guard - each step as its own function does it, in this
 * order. A failed step does not stop the others, except when a commit's
 * outcome is unknown (ICE_ECOMMITUNKNOWN): then nothing further runs.
 * gc.enabled=false skips expiry and orphan removal (reported as skipped).
 * Returns 0 when every step that ran succeeded, else the first failed
 * step's code (its message stays the thread's error). `report` is filled in
 * any case (free it with ice_maintain_report_free).
 */
ICE_EXTERN int ice_table_maintain(ice_table *table, const ice_maintain_options *opts, ice_maintain_report *report);

ICE_END_DECL

#endif
