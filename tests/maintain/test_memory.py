"""Memory stays bounded for large tables: expiry over 1,000,000 files in
1,000 manifests and orphan removal over 1,000,000 files on disk, each
within 256 MB of peak RSS. Measured on the optimized build (build/, as
setup makes it: sanitizers multiply memory), with tables written by
bench-maintain (ice's manifest writers); on tmpfs when the machine has one.

How: every path costs a 16-byte entry and 4-8 bytes of index; the strings
stay in memory up to 64 MiB and go to an unlinked temporary file beyond
(lib/reach/pathset.c); manifests are read one block at a time."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import pytest
from maintain_support import REPO

LIMIT_MB = 256


def release(name):
    p = REPO / "build" / name
    if not p.is_file():
        raise RuntimeError(f"{p} is missing: scripts/setup.sh builds build/ (ninja -C build)")
    return str(p)


def peak(*args):
    p = subprocess.run(["/usr/bin/time", "-v", release("tools/ice"), "--json", *map(str, args)],
                       capture_output=True, text=True, timeout=1800)
    assert p.returncode == 0, p.stderr[-2000:]
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    return rss, json.loads(p.stdout)


@pytest.fixture
def scratch(tmp_path):
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else str(tmp_path)
    d = tempfile.mkdtemp(prefix="ice-memory-", dir=base)
    yield pathlib.Path(d)
    shutil.rmtree(d, ignore_errors=True)


def test_expire_a_million_files(scratch):
    gen = release("bench/maintain/bench-maintain")
    info = json.loads(subprocess.run([gen, "big", str(scratch / "t"), "1000", "1000"], check=True,
                                     capture_output=True, text=True).stdout)
    rss, r = peak("expire-snapshots", scratch / "t", "--older-than", info["expire_before_ms"])
    # 1,000,000 candidates from the expired snapshot's 1,000 manifests, half
    # of them struck by the 1,000 manifests that remain; the data files were
    # never written, so the other half counts as already gone
    assert r["snapshots_expired"] == 1 and r["manifests_read"] == 2000
    assert r["files_missing"] == 500000 and r["deleted_manifest_files_count"] == 1000
    assert rss < LIMIT_MB, f"peak RSS {rss:.0f} MB"
    print(f"\nexpire over 1,000,000 files: peak RSS {rss:.0f} MB")


def test_orphans_among_a_million_files(scratch):
    gen = release("bench/maintain/bench-maintain")
    subprocess.run([gen, "orphans", str(scratch / "t"), "1000000", "1000", "1000"], check=True, capture_output=True)
    rss, r = peak("remove-orphan-files", scratch / "t", "--older-than", "3d", "--dry-run")
    assert r["files_listed"] == 1000000 + 1000 + 3 and r["orphans"] == 1000 and r["manifests_read"] == 1000
    assert rss < LIMIT_MB, f"peak RSS {rss:.0f} MB"
    print(f"\norphan removal over 1,000,000 files: peak RSS {rss:.0f} MB")
