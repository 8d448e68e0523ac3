"""Concurrent writers on S3: 8 processes append 25 times each to one table.
Every version is published with a conditional PUT (If-None-Match: *), so
of two writers racing for v<N+1> one gets 412, refreshes and retries: every
commit lands, every row is there, no version was replaced."""
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from conftest import ice_bin

WRITERS = 8
APPENDS = 25


def test_eight_writers_twenty_five_appends_each(ice, moto, bucket, tmp_path):
    wh = f"s3://{bucket}/wh"
    ice.ok("--catalog", wh, "namespace", "create", "db")
    ice.ok("--catalog", wh, "create", "db.t", "--schema", "writer int, n int",
           "--property", "commit.retry.num-retries=100", "--property", "commit.retry.min-wait-ms=10",
           "--property", "commit.retry.max-wait-ms=500")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(moto.env())
    env["HOME"] = str(ice.home)

    def writer(w):
        results = []
        for n in range(APPENDS):
            src = tmp_path / f"w{w}-{n}.csv"
            src.write_text(f"writer,n\n{w},{n}\n")
            p = subprocess.run([ice_bin(), "--catalog", wh, "append", "db.t", str(src), "--json"],
                               capture_output=True, env=env, timeout=600)
            results.append((p.returncode, p.stdout.decode(), p.stderr.decode()))
        return results

    with ThreadPoolExecutor(WRITERS) as pool:
        outcomes = [r for rs in pool.map(writer, range(WRITERS)) for r in rs]
    failed = [o for o in outcomes if o[0] != 0]
    assert not failed, failed[:3]
    attempts = sum(json.loads(o[1]).get("attempts", 1) for o in outcomes)
    print(f"{len(outcomes)} commits in {attempts} attempts", file=sys.stderr)

    table = f"{wh}/db/t"
    snaps = ice.ok("snapshots", table, "--json").json()
    assert len(snaps) == WRITERS * APPENDS
    rows = [json.loads(x) for x in ice.ok("scan", table, "--format", "jsonl").out.splitlines()]
    assert sorted((r["writer"], r["n"]) for r in rows) == [(w, n) for w in range(WRITERS) for n in range(APPENDS)]
    # One metadata file per version, none missing, none replaced: each
    # version's parent is the version before it.
    versions = [k for k in moto.keys(bucket, "wh/db/t/metadata/") if k.endswith(".metadata.json")]
    assert len(versions) == WRITERS * APPENDS + 1
    prev = None
    for v in range(1, WRITERS * APPENDS + 2):
        md = json.loads(moto.get(bucket, f"wh/db/t/metadata/v{v}.metadata.json"))
        cur = md.get("current-snapshot-id")
        if prev is not None:
            parent = [s for s in md["snapshots"] if s["snapshot-id"] == cur][0].get("parent-snapshot-id")
            assert parent == prev, f"v{v} does not build on v{v - 1}"
        prev = cur if cur not in (None, -1) else None
