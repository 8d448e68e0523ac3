#!/usr/bin/env python3
"""The PyIceberg side of the metadata benchmark: parse and re-write one
metadata file N times with PyIceberg's own model (pydantic), in-process.
  pyiceberg_parse.py FILE [ITERATIONS]"""
import json
import statistics
import sys
import time

from pyiceberg.table.metadata import TableMetadataUtil


def main():
    path = sys.argv[1]
    iters = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    raw = open(path, "rb").read()
    times = []
    out_len = 0
    for _ in range(iters):
        start = time.perf_counter()
        md = TableMetadataUtil.parse_raw(raw)
        out = md.model_dump_json()
        times.append((time.perf_counter() - start) * 1e3)
        out_len = len(out)
    # Sanity: PyIceberg read the same document.
    doc = json.loads(raw)
    assert len(md.snapshots) == len(doc["snapshots"]) and len(md.schemas) == len(doc["schemas"])
    print(json.dumps({"iterations": iters, "median_ms": round(statistics.median(times), 3),
                      "min_ms": round(min(times), 3), "input_bytes": len(raw), "output_bytes": out_len}))


if __name__ == "__main__":
    main()
