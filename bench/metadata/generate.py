#!/usr/bin/env python3
"""Writes a large, valid v2 table metadata document, deterministically:
  generate.py OUT [--snapshots 10000] [--schemas 1000]
Schemas evolve by adding a column each; snapshots form one long history with
realistic summaries; the snapshot log and a metadata log go with them."""
import argparse
import json
import random

TYPES = ["long", "int", "string", "double", "timestamptz", "date", "boolean", "decimal(12, 2)", "binary", "uuid"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--snapshots", type=int, default=10000)
    ap.add_argument("--schemas", type=int, default=1000)
    a = ap.parse_args()
    rng = random.Random(42)

    base_fields = [{"id": i + 1, "name": f"col_{i}", "required": i == 0, "type": TYPES[i % len(TYPES)]}
                   for i in range(12)]
    schemas = []
    fields = list(base_fields)
    for s in range(a.schemas):
        if s:
            fid = 12 + s
            fields = fields + [{"id": fid, "name": f"added_{s}", "required": False, "type": TYPES[s % len(TYPES)],
                                "doc": f"column added by schema {s}"}]
        schemas.append({"type": "struct", "schema-id": s, "identifier-field-ids": [1], "fields": fields})
    last_column_id = fields[-1]["id"]

    t0 = 1_600_000_000_000
    snapshots, log = [], []
    parent = None
    total_files = total_records = total_size = 0
    for n in range(a.snapshots):
        sid = rng.getrandbits(62)
        ts = t0 + n * 60_000
        files = rng.randint(1, 20)
        records = files * rng.randint(1000, 100000)
        size = records * 37
        total_files += files
        total_records += records
        total_size += size
        snap = {
            "sequence-number": n + 1, "snapshot-id": sid, "timestamp-ms": ts,
            "summary": {"operation": "append", "spark.app.id": f"local-{ts}", "added-data-files": str(files),
                        "added-records": str(records), "added-files-size": str(size),
                        "changed-partition-count": str(rng.randint(1, 5)), "total-records": str(total_records),
                        "total-files-size": str(total_size), "total-data-files": str(total_files),
                        "total-delete-files": "0", "total-position-deletes": "0", "total-equality-deletes": "0"},
            "manifest-list": f"s3://warehouse/db/big/metadata/snap-{sid}-1-{rng.getrandbits(128):032x}.avro",
            "schema-id": min(a.schemas - 1, n * a.schemas // a.snapshots),
        }
        if parent is not None:
            snap["parent-snapshot-id"] = parent
        parent = sid
        snapshots.append(snap)
        log.append({"timestamp-ms": ts, "snapshot-id": sid})

    last_ts = t0 + a.snapshots * 60_000
    doc = {
        "format-version": 2,
        "table-uuid": "5f4e9f0c-2a6b-4c51-9a6e-7d1c2b3a4f50",
        "location": "s3://warehouse/db/big",
        "last-sequence-number": a.snapshots,
        "last-updated-ms": last_ts,
        "last-column-id": last_column_id,
        "current-schema-id": a.schemas - 1,
        "schemas": schemas,
        "default-spec-id": 1,
        "partition-specs": [
            {"spec-id": 0, "fields": [{"name": "col_4_day", "transform": "day", "source-id": 5, "field-id": 1000}]},
            {"spec-id": 1, "fields": [{"name": "col_4_day", "transform": "day", "source-id": 5, "field-id": 1000},
                                      {"name": "col_0_bucket", "transform": "bucket[16]", "source-id": 1,
                                       "field-id": 1001}]}],
        "last-partition-id": 1001,
        "default-sort-order-id": 1,
        "sort-orders": [{"order-id": 0, "fields": []},
                        {"order-id": 1, "fields": [{"transform": "identity", "source-id": 5, "direction": "asc",
                                                    "null-order": "nulls-first"}]}],
        "properties": {"owner": "bench", "write.parquet.compression-codec": "zstd",
                       "commit.manifest-merge.enabled": "true"},
        "current-snapshot-id": parent,
        "refs": {"main": {"snapshot-id": parent, "type": "branch"},
                 "audit": {"snapshot-id": snapshots[len(snapshots) // 2]["snapshot-id"], "type": "tag"}},
        "snapshots": snapshots,
        "statistics": [],
        "partition-statistics": [],
        "snapshot-log": log,
        "metadata-log": [{"timestamp-ms": t0 + i * 1000,
                          "metadata-file": f"s3://warehouse/db/big/metadata/{i:05d}-{rng.getrandbits(128):032x}.metadata.json"}
                         for i in range(100)],
    }
    with open(a.out, "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main()
