/*
 * tools/ice.c - the ice command line: global options, then one subcommand.
 *
 *   ice [global options] <command> [options] [arguments]
 *
 * Each subcommand lives in its own cmd_<name>.c and uses only the public
 * libicetable API.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* The commit options' part of the help of every command that makes a snapshot. */
#define COMMIT_HELP                                                                           \
	"--summary KEY=VALUE (repeatable) stores KEY in the snapshot summary (ice last-value\n"   \
	"reads it back). --idempotency-key K: when a snapshot on the branch's history has\n"      \
	"K, nothing is committed and the snapshot is named, exit 0 (checked again on every\n"    \
	"commit retry: of runs racing with one key, one commits). --metrics-file PATH writes\n" \
	"the run's numbers (rows, bytes, files, attempts, time per phase) in Prometheus'\n"    \
	"text format, atomically, for node_exporter's textfile collector.\n"

const cli_command cli_commands[] = {
	{"describe", cmd_describe, "summarize a table (or a namespace): schema, partitioning, snapshots, properties",
	 "Usage: ice describe TABLE [--snapshot ID | --as-of TS | --ref NAME] [--json]\n"
	 "       ice describe [--namespace] NAMESPACE [--json]\n"
	 "\n"
	 "Print a summary of a table: format version, uuid, location, current schema,\n"
	 "partition spec, sort order, current snapshot and properties. With a snapshot\n"
	 "selected, also that snapshot, and the schema is the one it is read with.\n"
	 "--snapshot ID, --as-of TS (epoch ms or ISO-8601; UTC without an offset) or --ref NAME\n"
	 "(a branch or tag) choose another snapshot, as for ice scan.\n"
	 "A name the catalog has as a namespace (and not as a table), or any name with\n"
	 "--namespace, describes that namespace: its properties, tables and namespaces.\n", ICE_TABLE_USE_READ},
	{"schema", cmd_schema, "print a table's schema",
	 "Usage: ice schema TABLE [--schema-id ID | --all | --snapshot ID | --as-of TS | --ref NAME] [--json]\n"
	 "\n"
	 "Print the current schema (or schema ID, or every schema with --all, or the one\n"
	 "a snapshot is read with: its own for an id, a time or a tag, the table's for a\n"
	 "branch) as an indented tree of fields with ids, types and requiredness.\n"
	 "--snapshot ID, --as-of TS (epoch ms or ISO-8601; UTC without an offset) or --ref NAME\n"
	 "(a branch or tag) choose another snapshot, as for ice scan.\n", ICE_TABLE_USE_READ},
	{"snapshots", cmd_snapshots, "list a table's snapshots",
	 "Usage: ice snapshots TABLE [--snapshot ID | --as-of TS | --ref NAME] [--json]\n"
	 "\n"
	 "List every snapshot: commit time, id, parent, operation, summary counts and\n"
	 "manifest list. With a snapshot selected, that snapshot and its ancestors.\n"
	 "--snapshot ID, --as-of TS (epoch ms or ISO-8601; UTC without an offset) or --ref NAME\n"
	 "(a branch or tag) choose another snapshot, as for ice scan.\n", ICE_TABLE_USE_READ},
	{"history", cmd_history, "show when each snapshot became current",
	 "Usage: ice history TABLE [--json]\n"
	 "\n"
	 "The snapshot log: when each snapshot was made current, its parent, and whether\n"
	 "it is an ancestor of the current snapshot.\n", ICE_TABLE_USE_READ},
	{"last-value", cmd_last_value, "print the newest value of a snapshot summary property on a branch",
	 "Usage: ice last-value TABLE KEY [--ref NAME | --snapshot ID | --as-of TS] [--default VALUE] [--json]\n"
	 "\n"
	 "Print the value of summary property KEY of the newest snapshot that has it\n"
	 "among the current snapshot of main (or the selected snapshot, or the head of\n"
	 "branch --ref NAME) and its ancestors: what `ice append --summary KEY=VALUE`\n"
	 "stored, such as a watermark or a checkpoint. Without one: --default VALUE is\n"
	 "printed, else an error (exit 1). --json: key, value, snapshot_id, committed_at_ms.\n",
	 ICE_TABLE_USE_READ},
	{"refs", cmd_refs, "list branches and tags",
	 "Usage: ice refs TABLE [--json]\n"
	 "\n"
	 "List branches and tags with their snapshot and retention settings.\n", ICE_TABLE_USE_READ},
	{"metadata", cmd_metadata, "validate and print a table's metadata JSON",
	 "Usage: ice metadata TABLE [--compact] [--upgrade 2|3]\n"
	 "       ice metadata TABLE|--new --apply UPDATES.json [--requirements REQS.json]\n"
	 "                    [--now MS] [--previous-location] [--changes] [--compact]\n"
	 "\n"
	 "Parse and validate the table's current metadata file and print it exactly as\n"
	 "libicetable writes metadata (pretty-printed unless --compact). A view or UDF\n"
	 "metadata file is validated and printed the same way. With --upgrade, print the\n"
	 "document upgraded to that format version.\n"
	 "\n"
	 "With --apply, run a JSON array of REST TableUpdate objects through the metadata\n"
	 "builder (after checking --requirements, an array of TableRequirement objects)\n"
	 "and print the resulting metadata, or with --changes the effective updates.\n"
	 "--new starts from no table (a create); --now fixes the clock;\n"
	 "--previous-location records TABLE's metadata file in the metadata log.\n"
	 "Nothing is ever written.\n", ICE_TABLE_USE_READ},
	{"spec", cmd_spec, "print a table's partition spec",
	 "Usage: ice spec TABLE [--json]\n"
	 "\n"
	 "Print the table's default partition spec: each field's transform, source column,\n"
	 "name and field id (--json: the spec's own JSON, as in the metadata file).\n", ICE_TABLE_USE_READ},
	{"uuid", cmd_uuid, "print a table's uuid",
	 "Usage: ice uuid TABLE [--json]\n"
	 "\n"
	 "Print the table-uuid of the table's metadata.\n", ICE_TABLE_USE_READ},
	{"location", cmd_location, "print a table's location",
	 "Usage: ice location TABLE [--json]\n"
	 "\n"
	 "Print the table's base location (where its data and metadata directories are).\n", ICE_TABLE_USE_READ},
	{"properties", cmd_properties, "get, set or remove properties of a table or a namespace",
	 "Usage: ice properties get [--table | --namespace] TABLE|NAMESPACE [KEY] [--json]\n"
	 "       ice properties set [--table | --namespace] TABLE|NAMESPACE KEY VALUE [--json]\n"
	 "       ice properties remove [--table | --namespace] TABLE|NAMESPACE KEY... [--json]\n"
	 "\n"
	 "Print every property (or KEY's value), or set (KEY VALUE, or KEY=VALUE...) or\n"
	 "remove some in one commit, and print the properties after. A name the catalog\n"
	 "has as a namespace and not as a table is a namespace unless --table says\n"
	 "otherwise. get of a missing KEY is an error.\n",
	 ICE_TABLE_USE_WRITE},
	{"parquet", cmd_parquet, "inspect a Parquet file: schema, metadata, statistics or rows",
	 "Usage: ice parquet FILE [--schema | --metadata | --rows [--columns A,B] [--format jsonl|csv]\n"
	 "                         [--offset N] [--limit N]] [--json]\n"
	 "\n"
	 "Without a mode, print a summary and the schema. --schema prints the schema tree\n"
	 "(field ids, Parquet physical and logical types, Iceberg types); --metadata the\n"
	 "row groups and column chunks (codec, encodings, sizes, statistics); --rows the\n"
	 "rows as JSON Lines (default) or CSV, optionally only some columns (dotted paths)\n"
	 "and a range of rows. --verify-checksums checks page CRCs while reading rows.\n", 0},
	{"presign", cmd_presign, "print a presigned URL that reads one object store file without credentials",
	 "Usage: ice presign s3://BUCKET/KEY [--expires DURATION] [--json]\n"
	 "\n"
	 "Print a URL with which any HTTP client can GET the object for a while\n"
	 "without AWS credentials (SigV4 query authentication, as `aws s3 presign`).\n"
	 "--expires: seconds (a whole number) or a duration (90s, 15m, 12h, 7d); 1 s to\n"
	 "7 days, default 3600. Signed here with the S3 configuration of every other\n"
	 "request (the catalog's s3.* settings, AWS_* variables, the AWS profile); no\n"
	 "request is sent, so a missing object gets a URL too (its GET answers 404).\n"
	 "The URL holds the access key id (and with temporary credentials the session\n"
	 "token, which S3 needs to check it), never the secret key: anyone who has the\n"
	 "URL can read the object until it expires.\n"
	 "--json: location, method, expires_s, url.\n", 0},
	{"manifests", cmd_manifests, "list a snapshot's manifests: counts, sequence numbers, partition summaries", 
	 "Usage: ice manifests TABLE [--snapshot ID | --as-of TS | --ref NAME] [--json]\n"
	 "\n"
	 "List the manifests in the manifest list of the current snapshot (or another):\n"
	 "content, partition spec, sequence numbers, added/existing/deleted file and row\n"
	 "counts, first row id, length and path, then each partition field's summary\n"
	 "(contains_null, contains_nan, lower and upper bound as typed values).\n"
	 "--snapshot ID, --as-of TS (epoch ms or ISO-8601; UTC without an offset) or --ref NAME\n"
	 "(a branch or tag) choose another snapshot, as for ice scan.\n", ICE_TABLE_USE_READ},
	{"files", cmd_files, "list a snapshot's live data and delete files with partitions and metrics", 
	 "Usage: ice files TABLE [--snapshot ID | --as-of TS | --ref NAME] [--content data|deletes|all] [--json]\n"
	 "\n"
	 "List the live data and delete files of the current snapshot (or another):\n"
	 "content, format, record count, size, spec, data sequence number, partition\n"
	 "values and path, then per column the value, null and NaN counts, size and\n"
	 "lower/upper bounds as typed values. --content keeps data or delete files only.\n"
	 "--snapshot ID, --as-of TS (epoch ms or ISO-8601; UTC without an offset) or --ref NAME\n"
	 "(a branch or tag) choose another snapshot, as for ice scan.\n", ICE_TABLE_USE_READ},
	{"scan", cmd_scan, "read a table's rows (or plan the scan: file tasks, deletes, residual filters)",
	 "Usage: ice scan TABLE [--snapshot ID | --as-of TS | --ref NAME] [--select A,B.C]\n"
	 "                [--where EXPR] [--case-insensitive] [--limit N] [--threads N] [--plan] [--stats]\n"
	 "                [--format csv|jsonl|table|parquet] [--output FILE] [--json]\n"
	 "       ice scan TABLE --from-snapshot ID [--to-snapshot ID] [--appends-only] [options above]\n"
	 "\n"
	 "Scan the current snapshot, or snapshot ID, or the one current at TS (epoch\n"
	 "milliseconds or ISO-8601, UTC without an offset), or branch/tag NAME. --where\n"
	 "filters rows: \"ts >= '2024-01-01' and (id in (1, 2) or name starts with 'a')\"\n"
	 "(=, !=, <, <=, >, >=, in, not in, is [not] null, is [not] nan, [not] starts with,\n"
	 "and, or, not, typed literals such as date '2024-01-31' or decimal '1.50').\n"
	 "--plan prints the planned tasks: each data file that may hold matching rows,\n"
	 "the delete files that apply to it and the filter its rows must still pass.\n"
	 "--limit N stops once N rows are certain. --stats adds planning statistics.\n"
	 "--select keeps the order given (a repeated --select adds columns); names in\n"
	 "--select and --where match exactly, or ignoring case with --case-insensitive.\n"
	 "\n"
	 "Without --plan, print the rows with deletes applied: --format csv (default when\n"
	 "stdout is not a terminal; a header line), jsonl (one object per row), table (an\n"
	 "aligned preview of the first 100 rows; default on a terminal) or parquet (one\n"
	 "file). Values take the Iceberg spec's JSON forms (dates 2024-01-31, timestamps\n"
	 "2024-01-31T10:00:00.000001[+00:00], decimals as exact text, binary as hex).\n"
	 "Maps with string keys print as objects, others as arrays of {\"key\", \"value\"}.\n"
	 "--output FILE writes FILE (replaced only when the scan succeeds) in the format\n"
	 "its extension names (.csv, .jsonl, .ndjson, .json, .parquet) unless --format\n"
	 "says; Parquet is never written to a terminal. --json alone prints JSON Lines.\n"
	 "--stats then prints the reading statistics to stderr (as JSON with --json).\n"
	 "\n"
	 "Incremental: with --from-snapshot (or --from-ref NAME, --from-time TS), only the\n"
	 "rows appended after that snapshot (exclusive) up to --to-snapshot (or --to-ref,\n"
	 "--to-time; inclusive; default the current snapshot), on one line of history,\n"
	 "read with the current schema; planning opens only the manifests those snapshots\n"
	 "added. An overwrite or delete in the range is an error naming it, unless\n"
	 "--appends-only skips it (the rows it removed or added are then not reported).\n",
	 ICE_TABLE_USE_READ},
	{"changes", cmd_changes, "the rows each snapshot after one inserted and deleted (a changelog)",
	 "Usage: ice changes TABLE --from-snapshot ID [--to-snapshot ID] [--select A,B]\n"
	 "                   [--format csv|jsonl|table|parquet] [--output FILE] [--json]\n"
	 "\n"
	 "The changelog of the snapshots after --from-snapshot (or --from-ref NAME, --from-time\n"
	 "TS) up to --to-snapshot (or --to-ref, --to-time; default the current one), as\n"
	 "Spark's create_changelog_view gives it: the table's columns, then _change_type\n"
	 "(INSERT or DELETE), _change_ordinal (0 for the first snapshot of the range that is\n"
	 "not a compaction, 1, ...) and _commit_snapshot_id. Appended files are INSERTs;\n"
	 "removed files, position deletes, deletion vectors and equality deletes are\n"
	 "DELETEs; rows a copy-on-write rewrite carried over unchanged are left out.\n"
	 "Output as for ice scan (--json alone: JSON Lines).\n", ICE_TABLE_USE_READ},
	{"partitions", cmd_partitions, "list a snapshot's partitions: files, records, deletes, last update",
	 "Usage: ice partitions TABLE [--snapshot ID | --as-of TS | --ref NAME] [--json]\n"
	 "\n"
	 "One row per partition of the current snapshot (or another), for each partition\n"
	 "spec the table's files were written with: records, data files and bytes, position\n"
	 "delete files and records (deletion vectors included), equality delete files and\n"
	 "records, and when and by which snapshot a live file was last added to it.\n"
	 "--snapshot ID, --as-of TS (epoch ms or ISO-8601; UTC without an offset) or --ref NAME\n"
	 "(a branch or tag) choose another snapshot, as for ice scan.\n", ICE_TABLE_USE_READ},
	{"entries", cmd_entries, "list a snapshot's manifest entries with their status",
	 "Usage: ice entries TABLE [--snapshot ID | --as-of TS | --ref NAME] [--all] [--json]\n"
	 "\n"
	 "The entries of every manifest of the current snapshot (or another): status\n"
	 "(added, existing), snapshot id, data and file sequence numbers, content, record\n"
	 "count, spec, partition and path. --all also lists deleted entries. --json prints\n"
	 "every field of each entry with the manifest it is in.\n"
	 "--snapshot ID, --as-of TS (epoch ms or ISO-8601; UTC without an offset) or --ref NAME\n"
	 "(a branch or tag) choose another snapshot, as for ice scan.\n", ICE_TABLE_USE_READ},
	{"create", cmd_create, "create a table from a schema (typed, or inferred from a CSV/Parquet file)",
	 "Usage: ice create TABLE (--schema SCHEMA | --schema-from FILE [--delimiter C])\n"
	 "                  [--partition EXPRS] [--sort EXPRS] [--property K=V]... [--format-version 1|2|3]\n"
	 "                  [--append FILE]...\n"
	 "\n"
	 "Create a table. SCHEMA is a list of columns:\n"
	 "  'id long required, ts timestamptz, name string comment '\\''who'\\'', tags list<string>,\n"
	 "   m map<string, int>, s struct<a: int, b: string>, d decimal(10,2), f fixed[16]'\n"
	 "--schema-from infers one from a CSV header and sample rows, or a Parquet file.\n"
	 "--partition: 'day(ts), bucket(16, id), truncate(4, name), x' (identity; year, month,\n"
	 "hour, void too; 'EXPR as NAME' renames). --sort: 'ts desc nulls last, id'.\n"
	 "--append FILE (repeatable) makes the table appear with FILE's rows as its first\n"
	 "snapshot, or not at all (a REST catalog stages the create and commits both).\n", ICE_TABLE_USE_CREATE},
	{"append", cmd_append, "append CSV, JSON, PostgreSQL text or Parquet input as one snapshot",
	 "Usage: ice append TABLE FILE...|- [--format csv|jsonl|pgtext|parquet] [--delimiter C]\n"
	 "                  [--null TOKEN] [--no-header] [--header] [--reject-file FILE]\n"
	 "                  [--max-rejects N] [--trim] [--round-decimals] [--branch NAME] [--no-sort]\n"
	 "                  [--memory SIZE] [--threads N] [--max-record-size SIZE] [--progress]\n"
	 "                  [--case-insensitive] [--summary KEY=VALUE]... [--idempotency-key K]\n"
	 "                  [--metrics-file PATH] [--json]\n"
	 "\n"
	 "Convert the rows of each FILE (- is standard input, CSV unless --format says\n"
	 "otherwise; else the format follows the extension; .gz and .zst, or gzip/zstd\n"
	 "data on standard input, are decompressed) to the table's schema, write them\n"
	 "as Parquet data files per partition, and commit one snapshot. CSV files have\n"
	 "a header naming columns unless --no-header (schema order); an unquoted field\n"
	 "equal to --null (default: empty) is null. pgtext is PostgreSQL's COPY text\n"
	 "format (tab, \\N, backslash escapes; no header unless --header). JSON input\n"
	 "is one object per line or an array of objects. A value that does not convert\n"
	 "fails the append naming file, line, column and why, unless --reject-file takes\n"
	 "the row (reasons in FILE.errors.jsonl; --max-rejects N fails past N). --trim\n"
	 "drops spaces around unquoted values; --round-decimals rounds extra decimal\n"
	 "digits half up. --branch commits to that branch instead of main. A table with\n"
	 "a sort order gets sorted files (runs of half of --memory, default 256M, the\n"
	 "bytes held across partitions) unless --no-sort. Column names (header, JSON\n"
	 "keys, Parquet fields) match exactly, or ignoring case with --case-insensitive.\n"
	 "--threads: threads parsing, encoding and compressing (default 0: one per\n"
	 "core). A CSV record or JSON line longer than --max-record-size (default 16M,\n"
	 "at most 1G) is an error. Progress shows on a\n"
	 "terminal; --progress writes a line every 5 s (for logs); -q silences it.\n"
	 "Prints one summary line (--json: a report). No row: nothing committed, exit 0,\n"
	 "said on stderr. Exit 3: conflict after retries; 4: commit state unknown.\n"
	 COMMIT_HELP, ICE_TABLE_USE_WRITE},
	{"add-files", cmd_add_files, "register existing Parquet files without rewriting them",
	 "Usage: ice add-files TABLE FILE.parquet... [--summary KEY=VALUE]... [--idempotency-key K] [--metrics-file PATH] [--json]\n"
	 "\n"
	 "Add Parquet files to the table as one snapshot, as they are: metrics come from\n"
	 "their footers and partition values from their column statistics. A file whose\n"
	 "schema does not fit the table, or whose rows span partitions, is refused.\n" COMMIT_HELP,
	 ICE_TABLE_USE_WRITE},
	{"catalog", cmd_catalog, "make a new warehouse; list the configured catalogs",
	 "Usage: ice catalog init PATH\n"
	 "       ice catalog list [--json]\n"
	 "\n"
	 "init creates the warehouse directory PATH (and its parents) for a file-system\n"
	 "catalog, and does nothing when it exists. Other commands never create a\n"
	 "warehouse for a --catalog given as a bare word: it must be a configured catalog\n"
	 "or an existing directory. A warehouse given as a path (with a '/') is created by\n"
	 "the first namespace or table made in it.\n"
	 "list prints the catalogs of the configuration file ($ICE_CONFIG, else\n"
	 "$XDG_CONFIG_HOME/ice/config or ~/.config/ice/config), lines such as\n"
	 "  catalog.local.uri = /data/warehouse\n"
	 "  default-catalog = local\n",
	 0},
	{"namespace", cmd_namespace, "create, list, drop namespaces; show and set their properties",
	 "Usage: ice namespace create NS [--property K=V]...\n"
	 "       ice namespace list [NS]\n"
	 "       ice namespace drop NS\n"
	 "       ice namespace properties NS [--set K=V]... [--remove K]...\n"
	 "\n"
	 "Manage namespaces of the catalog (--catalog, ICE_CATALOG or the configuration\n"
	 "file). A namespace is dropped only when it is empty.\n", 0},
	{"list", cmd_list, "list namespaces, or the tables of a namespace",
	 "Usage: ice list [NS]\n"
	 "\n"
	 "Without NS, the top-level namespaces of the catalog; with NS, its tables.\n", 0},
	{"drop", cmd_drop, "drop a table (with --purge: and every file it references)",
	 "Usage: ice drop TABLE [--purge]\n"
	 "\n"
	 "Remove the table's metadata files so the catalog no longer has it. With --purge,\n"
	 "also delete every file its metadata references (data, delete, manifest, manifest\n"
	 "list, statistics and old metadata files) that lies under the table location.\n", ICE_TABLE_USE_WRITE},
	{"register", cmd_register, "add a table to the catalog by its metadata file",
	 "Usage: ice register NAME METADATA_LOCATION [--overwrite] [--json]\n"
	 "\n"
	 "Make the catalog's table NAME (<namespace>.<table>) the table whose current\n"
	 "metadata file is METADATA_LOCATION, written by any Iceberg writer: the table keeps\n"
	 "its location and files. METADATA_LOCATION is a URI, a metadata file, or a local\n"
	 "table directory (its current metadata file is found as for TABLE arguments).\n"
	 "--overwrite points an existing NAME at it instead of failing.\n", 0},
	{"rename", cmd_rename, "rename a table in its catalog",
	 "Usage: ice rename FROM TO [--json]\n"
	 "\n"
	 "Give the catalog's table FROM the name TO (both <namespace>.<table>; a REST\n"
	 "server may refuse a move to another namespace). The table keeps its location\n"
	 "and files.\n", 0},
	{"alter", cmd_alter, "evolve a table: columns, partition fields, sort order, properties, format",
	 "Usage: ice alter TABLE CHANGE... [--allow-incompatible] [--dry-run] [--json]\n"
	 "\n"
	 "Apply changes in the order given and commit them as one metadata update:\n"
	 "  --add-column 'NAME TYPE [required] [comment \'TEXT\'] [default V]'  (s.x adds to struct s)\n"
	 "      followed by --first, --after COL or --before COL to place it\n"
	 "  --rename COL=NEW   --drop COL   --move COL (--first | --after COL | --before COL)\n"
	 "  --widen COL=TYPE (int->long, float->double, decimal precision; v3: date->timestamp)\n"
	 "  --optional COL   --required COL (needs --allow-incompatible)   --doc COL=TEXT\n"
	 "  --default COL=VALUE   --drop-default COL   (write-default, format v3)\n"
	 "  --identifier 'COL, COL'   ('' clears the identifier fields)\n"
	 "  --add-partition 'bucket(8, id) [as NAME]'   --drop-partition NAME|TRANSFORM\n"
	 "  --rename-partition NAME=NEW   --sort 'ts desc nulls last, id' ('' unsorted)\n"
	 "  --set KEY=VALUE   --unset KEY   --format-version 2|3\n"
	 "Columns are named by their full dotted name ('s.x', 'points.element.x' or\n"
	 "'points.x'). --dry-run prints the table updates instead of committing.\n"
	 "Exit 3: a concurrent change conflicts after retries; 4: commit state unknown.\n", ICE_TABLE_USE_WRITE},
	{"tag", cmd_tag, "create, drop or list tags (named snapshots, with retention)",
	 "Usage: ice tag create TABLE NAME [--snapshot ID] [--max-ref-age AGE] [--force]\n"
	 "       ice tag drop TABLE NAME\n"
	 "       ice tag list TABLE [--json]\n"
	 "\n"
	 "Create a tag at the current snapshot (or snapshot ID), replace one with --force,\n"
	 "drop one, or list them. AGE is milliseconds or a number with ms, s, m, h or d.\n"
	 "Exit 3: another writer changed the tag meanwhile.\n", ICE_TABLE_USE_WRITE},
	{"branch", cmd_branch, "create, drop or list branches (with retention)",
	 "Usage: ice branch create TABLE NAME [--snapshot ID] [--max-ref-age AGE]\n"
	 "                         [--min-snapshots-to-keep N] [--max-snapshot-age AGE] [--force]\n"
	 "       ice branch drop TABLE NAME\n"
	 "       ice branch list TABLE [--json]\n"
	 "\n"
	 "Create a branch at the current snapshot (or snapshot ID), replace one (moving it\n"
	 "and setting its retention) with --force, drop one (never main), or list them.\n"
	 "ice append --branch NAME writes to a branch. AGE as for ice tag.\n", ICE_TABLE_USE_WRITE},
	{"rollback", cmd_rollback, "make an earlier snapshot current again",
	 "Usage: ice rollback TABLE (--to ID | --as-of TIME | --set-current ID) [--json]\n"
	 "\n"
	 "Point the main branch back to snapshot ID, which must be an ancestor of the\n"
	 "current snapshot, or to the last ancestor committed at or before TIME (epoch\n"
	 "milliseconds or ISO-8601; UTC without a zone). --set-current makes any snapshot\n"
	 "current. No snapshot is written. Exit 3: another writer moved main meanwhile.\n", ICE_TABLE_USE_WRITE},
	{"delete", cmd_delete, "delete the rows a filter matches (whole files, copy-on-write or delete files)",
	 "Usage: ice delete TABLE --where EXPR [--mode copy-on-write|merge-on-read]\n"
	 "                  [--isolation serializable|snapshot] [--case-insensitive]\n"
	 "                  [--summary KEY=VALUE]... [--idempotency-key K] [--metrics-file PATH] [--json]\n"
	 "\n"
	 "Delete the rows matching EXPR (the --where language of ice scan; 'true' for every\n"
	 "row) in one snapshot. Files whose rows all match are dropped; other files with\n"
	 "matching rows are rewritten without them (copy-on-write), or get position delete\n"
	 "files (v2) or deletion vectors (v3) with --mode merge-on-read (default: the\n"
	 "table's write.delete.mode). A concurrent commit that conflicts (serializable:\n"
	 "data it added may match) makes the delete fail with exit 3; nothing is lost.\n" COMMIT_HELP,
	 ICE_TABLE_USE_WRITE},
	{"overwrite", cmd_overwrite, "replace rows (matching a filter, or whole partitions) with new input",
	 "Usage: ice overwrite TABLE FILE...|- [--where EXPR | --dynamic] [--isolation serializable|snapshot]\n"
	 "                     [--format csv|jsonl|parquet] [--delimiter C] [--null TOKEN] [--no-header]\n"
	 "                     [--max-record-size SIZE] [--case-insensitive] [--summary KEY=VALUE]...\n"
	 "                     [--idempotency-key K] [--metrics-file PATH] [--json]\n"
	 "\n"
	 "Write the input as new data files and remove, in the same snapshot, the rows\n"
	 "matching EXPR (every row without --where), or with --dynamic every row of the\n"
	 "partitions the input writes to. Input as for ice append; --case-insensitive\n"
	 "matches the input's and EXPR's column names ignoring case. Exit 3: a concurrent\n"
	 "commit conflicts (serializable: it added data the overwrite covers).\n" COMMIT_HELP,
	 ICE_TABLE_USE_WRITE},
	{"rewrite-manifests", cmd_rewrite_manifests, "pack a table's manifests into few, full ones",
	 "Usage: ice rewrite-manifests TABLE [--metrics-file PATH] [--json]\n"
	 "\n"
	 "Rewrite the current snapshot's data and delete manifests, per partition spec,\n"
	 "into manifests of up to commit.manifest.target-size-bytes (8 MiB), as one\n"
	 "'replace' snapshot. Files keep their snapshot ids and sequence numbers; no data\n"
	 "file is read or written. A table already packed commits nothing.\n", ICE_TABLE_USE_WRITE},
	{"compact", cmd_compact, "rewrite small data files into target-sized ones, deletes applied; or rewrite delete files",
	 "Usage: ice compact TABLE [--where EXPR] [--target-file-size SIZE] [--min-file-size SIZE]\n"
	 "                   [--max-file-size SIZE] [--min-input-files N] [--delete-file-threshold N]\n"
	 "                   [--delete-ratio-threshold R] [--max-file-group-size SIZE] [--rewrite-all]\n"
	 "                   [--sort[=ORDER]] [--partial-progress [--max-commits N]] [--threads N]\n"
	 "                   [--memory SIZE] [--dry-run] [--metrics-file PATH] [--json]\n"
	 "       ice compact TABLE --deletes [--where EXPR] [size options] [--dry-run] [--json]\n"
	 "\n"
	 "Bin-pack the data files of each partition into files of the target size\n"
	 "(write.target-file-size-bytes, 512M), with the options and defaults of Spark's\n"
	 "rewrite_data_files: files below --min-file-size (75% of the target) or above\n"
	 "--max-file-size (180%), with --delete-file-threshold delete files or more, with\n"
	 "--delete-ratio-threshold (0.3) of their rows deleted, or written under an older\n"
	 "partition spec are candidates; a partition's candidates are rewritten when they\n"
	 "are at least --min-input-files (5), more than the target, or any is one of the\n"
	 "last three kinds. --rewrite-all makes every file a candidate. Rows are read with\n"
	 "every delete applied and written under the current partition spec, sorted with\n"
	 "--sort (the table's order, or ORDER in the sort language). One 'replace'\n"
	 "snapshot keeps the starting sequence number and removes dangling deletes;\n"
	 "--partial-progress commits groups in up to --max-commits (10) snapshots.\n"
	 "--deletes rewrites position delete files instead (v2: into fewer, dropping\n"
	 "those whose data files are gone; v3: into deletion vectors), target\n"
	 "write.delete.target-file-size-bytes (64M). Exit 3: a concurrent commit removed\n"
	 "a file being rewritten or added position deletes for one.\n", ICE_TABLE_USE_WRITE},
	{"expire-snapshots", cmd_expire_snapshots, "expire old snapshots and delete the files only they reach",
	 "Usage: ice expire-snapshots TABLE [--older-than TIME|DURATION] [--retain-last N]\n"
	 "                            [--snapshot-id ID[,ID...]]... [--keep-files] [--clean-metadata]\n"
	 "                            [--dry-run] [--threads N] [--metrics-file PATH] [--json] [-v]\n"
	 "\n"
	 "Expire snapshots older than --older-than (a time, or a duration before now such\n"
	 "as 5d; default: history.expire.max-snapshot-age-ms, 5 days), keeping at least\n"
	 "--retain-last ancestors of each branch (default history.expire.min-snapshots-\n"
	 "to-keep, 1); branches and tags keep their own retention, refs older than their\n"
	 "max-ref-age are removed (never main). --snapshot-id expires those snapshots too.\n"
	 "After the commit, the data and delete files, manifests, manifest lists and\n"
	 "statistics files only expired snapshots reached are deleted (never a file\n"
	 "outside the table location), unless --keep-files. --clean-metadata also removes\n"
	 "partition specs and schemas no remaining snapshot uses. --dry-run commits and\n"
	 "deletes nothing and says what would go (-v or --json lists the files).\n", ICE_TABLE_USE_WRITE},
	{"remove-orphan-files", cmd_remove_orphan_files, "delete files under the table location that no metadata reaches",
	 "Usage: ice remove-orphan-files TABLE [--older-than TIME|DURATION] [--location PREFIX]\n"
	 "                               [--prefix-mismatch error|ignore|delete]\n"
	 "                               [--equal-schemes s3,s3a,...] [--equal-authorities a,b,...]\n"
	 "                               [--force] [--dry-run] [--threads N] [--metrics-file PATH] [--json] [-v]\n"
	 "\n"
	 "List every file under the table location (or PREFIX inside it), subtract what\n"
	 "the metadata reaches (every snapshot of every branch and tag, the metadata log,\n"
	 "version-hint.text, statistics files) and delete the rest that is older than\n"
	 "--older-than (default 3 days: the guard keeps the files of commits in flight; a\n"
	 "guard under one hour needs --force). Files referenced under another scheme or\n"
	 "authority stop the run (error), are kept (ignore) or deleted (delete); s3a and\n"
	 "s3n always mean s3. --dry-run lists the orphans and deletes nothing.\n", ICE_TABLE_USE_WRITE},
	{"maintain", cmd_maintain, "the one cron entry: compact, rewrite manifests, expire snapshots, remove orphans",
	 "Usage: ice maintain (TABLE... | --all) [--skip STEPS] [--only STEPS] [--older-than TIME|DURATION]\n"
	 "                    [--retain-last N] [--orphan-older-than TIME|DURATION] [--min-input-files N]\n"
	 "                    [--target-file-size SIZE] [--dry-run] [--threads N] [--metrics-file PATH] [--json]\n"
	 "\n"
	 "The one cron entry: maintain each table (or --all: every table of the catalog)\n"
	 "in four steps, each as its own command does it: compact (where a partition has\n"
	 "--min-input-files small files, Spark's rules), rewrite-manifests (when at least\n"
	 "commit.manifest.min-count-to-merge, 100, manifests are smaller than\n"
	 "commit.manifest.target-size-bytes), expire-snapshots (history.expire.*;\n"
	 "--older-than, --retain-last) and remove-orphan-files (older than\n"
	 "--orphan-older-than, default 3 days). STEPS: a comma list of those names. Table\n"
	 "properties ice.maintain.enabled and ice.maintain.<step> = false turn a table or\n"
	 "a step off; gc.enabled=false skips expiry and orphan removal. A failed step or\n"
	 "table does not stop the others; the report (--json: per table and step, files\n"
	 "and bytes removed and written, time, errors) names it, and the exit code is\n"
	 "1 (4 when a commit's outcome is unknown) when any table failed.\n", ICE_TABLE_USE_WRITE},
	{"serve", cmd_serve, "serve the catalog to Spark, Trino, PyIceberg, DuckDB: an Iceberg REST catalog server",
	 "Usage: ice serve [--catalog WAREHOUSE] [--listen HOST:PORT] [--config FILE] [--auth none|bearer]\n"
	 "                 [--access-log FILE|-|none] [--grace SECONDS] [--set KEY=VALUE]... [--json]\n"
	 "\n"
	 "Serve the warehouse as an Iceberg REST catalog (the REST OpenAPI spec's catalog\n"
	 "endpoints: config, OAuth2 tokens, namespaces, tables, commits, multi-table\n"
	 "transactions, metrics). Commits are checked and applied by the metadata builder\n"
	 "and published without replacing a file, so concurrent writers never both win.\n"
	 "Listens on 127.0.0.1:8181 unless told otherwise; authentication may be off\n"
	 "(--auth none) only on a loopback address. The configuration file (and --set)\n"
	 "holds tokens, OAuth2 clients, grants, TLS certificate and key, vended\n"
	 "credentials and limits: see docs/commands/serve.md. Prints the port it listens\n"
	 "on, then one access log line per request to stderr (or --access-log FILE).\n"
	 "SIGTERM or SIGINT: stop taking connections, let requests in flight finish (up\n"
	 "to --grace seconds, 30), exit 0.\n", 0},
	{NULL, NULL, NULL, NULL, 0},
};

const cli_command *cli_find_command(const char *name)
{
	for (const cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: ice [--json] [--path-map OLD=NEW] [--catalog URI] <command> [options]\n"
	           "\n"
	           "ice reads, writes and maintains Apache Iceberg tables.\n"
	           "\n"
	           "Commands:\n");
	for (const cli_command *c = cli_commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fprintf(f, "  %-12s %s\n", "help", "this text; 'ice help COMMAND' shows a command's options");
	fprintf(f, "  %-12s %s\n", "version", "print ice's version");
	fprintf(f, "\n"
	           "Run 'ice help <command>' or 'ice <command> --help' for a command's options.\n"
	           "-v (before or after the command) says which table a name resolved to, what\n"
	           "each commit did and how long the command took.\n"
	           "Exit codes: 0 ok, 1 error, 2 usage, 3 commit conflict, 4 commit state unknown.\n");
}

/* -v: the library's trace lines (ice_set_trace) on stderr. */
static void trace(const char *message, void *payload)
{
	const ice_cli *cli = payload;
	if (cli->verbose)
		fprintf(stderr, "ice: %s\n", message);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int print_version(ice_cli *cli)
{
	ice_json_writer *w;
	int rc;
	if (!cli->json) {
		printf("ice %s (libicetable %s, Iceberg format v1-v%d)\n", ICE_VERSION_STRING, ice_version(),
		       ICE_FORMAT_VERSION_MAX);
		return EXIT_OK;
	}
	if ((rc = ice_json_writer_new(&w, ICE_JSON_PRETTY)) != 0)
		return cli_fail(rc);
	ice_json_begin_object(w);
	ice_json_key(w, "version");
	ice_json_string(w, ICE_VERSION_STRING);
	ice_json_key(w, "libicetable");
	ice_json_string(w, ice_version());
	ice_json_key(w, "format_version_max");
	ice_json_int(w, ICE_FORMAT_VERSION_MAX);
	ice_json_end_object(w);
	rc = cli_print_json(cli, w);
	ice_json_writer_free(w);
	return rc;
}

static int unknown_command(const char *name)
{
	fprintf(stderr, "ice: unknown command '%s' (try 'ice help')\n", name);
	return EXIT_USAGE;
}

/* -v: one line per object store request. */
static void log_request(const char *line, void *payload)
{
	const ice_cli *cli = payload;
	if (cli->verbose)
		fprintf(stderr, "ice: %s\n", line);
}

int main(int argc, char **argv)
{
	ice_cli cli;
	int i, rc;

	/* one malloc arena (ice/alloc.h) */
	ice_allocator_tune_c_library();
	memset(&cli, 0, sizeof(cli));
	cli.out = stdout;
	cli.catalog = getenv("ICE_CATALOG");
	if (ice_io_new(&cli.io))
		return cli_fail(ICE_ERROR);

	/* Global options come before the command. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			ice_io_free(cli.io);
			return EXIT_OK;
		} else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
			rc = print_version(&cli);
			ice_io_free(cli.io);
			return rc;
		} else if (!strcmp(a, "--json")) {
			cli.json = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			cli.quiet = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			cli.verbose++;
		} else if ((!strcmp(a, "--path-map") || !strcmp(a, "--catalog")) && i + 1 < argc) {
			int code = !strcmp(a, "--path-map") ? OPT_PATH_MAP : OPT_CATALOG;
			if ((rc = cli_common_option(&cli, NULL, code, argv[++i])) != 0) {
				ice_io_free(cli.io);
				return rc;
			}
		} else if (!strncmp(a, "--path-map=", 11) || !strncmp(a, "--catalog=", 10)) {
			int code = a[2] == 'p' ? OPT_PATH_MAP : OPT_CATALOG;
			if ((rc = cli_common_option(&cli, NULL, code, strchr(a, '=') + 1)) != 0) {
				ice_io_free(cli.io);
				return rc;
			}
		} else {
			fprintf(stderr, "ice: unknown option '%s' (try 'ice --help')\n", a);
			ice_io_free(cli.io);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		ice_io_free(cli.io);
		return EXIT_USAGE;
	}
	/* git-style: `ice help`, `ice help CMD`, `ice version`. */
	if (!strcmp(argv[i], "help")) {
		const cli_command *about = i + 1 < argc ? cli_find_command(argv[i + 1]) : NULL;
		rc = EXIT_OK;
		if (i + 1 >= argc)
			usage(stdout);
		else if (about)
			cli_print_usage(about, stdout);
		else
			rc = unknown_command(argv[i + 1]);
		ice_io_free(cli.io);
		return rc;
	}
	if (!strcmp(argv[i], "version")) {
		if (i + 1 < argc && !strcmp(argv[i + 1], "--json"))
			cli.json = true;
		else if (i + 1 < argc) {
			ice_io_free(cli.io);
			fprintf(stderr, "ice: version: unknown option '%s' (try 'ice --help')\n", argv[i + 1]);
			return EXIT_USAGE;
		}
		rc = print_version(&cli);
		ice_io_free(cli.io);
		return rc;
	}
	/* -v may come after the command too: the log checks it per line. */
	ice_io_set_log(cli.io, log_request, &cli);
	/* The FileIO properties of the catalog named by --catalog or
	 * ICE_CATALOG (or the default one), for every file a command reads. */
	{
		const char *name = cli.catalog;
		bool named = name && *name && !strchr(name, '/') && !strchr(name, ':');
		if ((named || !name || !*name) && (rc = ice_catalog_config_apply(cli.io, named ? name : NULL)) != 0) {
			rc = cli_fail(rc);
			ice_io_free(cli.io);
			return rc;
		}
	}
	const cli_command *cmd = cli_find_command(argv[i]);
	if (!cmd) {
		ice_io_free(cli.io);
		return unknown_command(argv[i]);
	}
	cli.command = cmd->name;
	if (!strcmp(cmd->name, "scan"))
		ice_allocator_keep_freed_memory(); /* reused by the next batches (ice/alloc.h) */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ice_set_trace(trace, &cli);
	/* The command parses its own arguments; argv[0] is the command name. */
	rc = cmd->fn(&cli, argc - i, argv + i);
	ice_set_trace(NULL, NULL);
	if (cli.verbose) {
		ice_io_stats st;
		ice_io_stats_get(cli.io, &st);
		if (st.requests)
			fprintf(stderr,
			        "ice: object store: %llu requests (%llu retries), %llu bytes received, %llu bytes sent, "
			        "%llu connections\n",
			        (unsigned long long)st.requests, (unsigned long long)st.retries,
			        (unsigned long long)st.bytes_received, (unsigned long long)st.bytes_sent,
			        (unsigned long long)st.connections);
	}
	ice_io_free(cli.io);
	if (fflush(stdout) != 0 && rc == EXIT_OK)
		rc = EXIT_ERROR;
	if (cli.verbose)
		fprintf(stderr, "ice: %s: exit %d after %.3f s\n", cmd->name, rc, seconds_since(&t0));
	return rc;
}
