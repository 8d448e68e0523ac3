"""The peers' side of the manifest benchmark (bench/manifest/run.sh): read
the same manifest / manifest list with fastavro and with PyIceberg's own
manifest reader, in-process, and print the median time per full read.

    peers.py fastavro-manifest|fastavro-list|pyiceberg-manifest|pyiceberg-list FILE ITERATIONS
"""
import json
import statistics
import sys
import time

import fastavro


def fastavro_read(path):
    n = 0
    with open(path, "rb") as f:
        for _ in fastavro.reader(f):
            n += 1
    return n


def pyiceberg_manifest(path):
    from pyiceberg.io.pyarrow import PyArrowFileIO
    from pyiceberg.manifest import ManifestContent, ManifestFile

    io = PyArrowFileIO()
    mf = ManifestFile.from_args(manifest_path=path, manifest_length=0, partition_spec_id=0,
                                content=ManifestContent.DATA, sequence_number=1, min_sequence_number=1,
                                added_snapshot_id=1)
    return len(mf.fetch_manifest_entry(io, discard_deleted=False))


def pyiceberg_list(path):
    from pyiceberg.io.pyarrow import PyArrowFileIO
    from pyiceberg.manifest import read_manifest_list

    io = PyArrowFileIO()
    return sum(1 for _ in read_manifest_list(io.new_input(path)))


def main():
    mode, path, iters = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fn = {"fastavro-manifest": fastavro_read, "fastavro-list": fastavro_read,
          "pyiceberg-manifest": pyiceberg_manifest, "pyiceberg-list": pyiceberg_list}[mode]
    times, n = [], 0
    for _ in range(iters):
        start = time.perf_counter()
        n = fn(path)
        times.append(time.perf_counter() - start)
    med = statistics.median(times)
    print(json.dumps({"entries": n, "iterations": iters, "median_s": med, "min_s": min(times),
                      "entries_per_s": n / med}))


if __name__ == "__main__":
    main()
