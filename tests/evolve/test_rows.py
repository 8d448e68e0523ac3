"""Deletes and overwrites by ice, read by PyIceberg and DuckDB with the
expected rows at every snapshot (copy-on-write at v1/v2/v3, position
deletes at v2, deletion vectors at v3, overwrite by filter, dynamic and
whole); Java's summary fields; a delete racing four appending processes
either validates or fails with exit 3, and no acknowledged row is lost."""
import random
import subprocess

import pytest

from support import (append_rows, canon, duckdb_rows, ice, ice_bin, ice_fails, ice_ok, metadata,
                            peers_agree, pyiceberg_rows)


def rows(a, b):
    return [{"id": i, "cat": "abc"[i % 3], "v": i / 2} for i in range(a, b)]


def snapshot(md, sid):
    return [s for s in md["snapshots"] if s["snapshot-id"] == sid][0]


CASES = [(1, "copy-on-write"), (2, "copy-on-write"), (2, "merge-on-read"), (3, "copy-on-write"),
         (3, "merge-on-read")]


@pytest.mark.parametrize("version,mode", CASES, ids=[f"v{v}-{m}" for v, m in CASES])
def test_deletes_read_by_peers(tmp_path, version, mode):
    t = str(tmp_path / "t")
    ice_ok("create", t, "--schema", "id long required, cat string, v double", "--partition", "cat",
           "--format-version", version, "--property", f"write.delete.mode={mode}")
    state = rows(0, 60)
    expected = {append_rows(t, state, tmp_path): list(state)}
    steps = [
        ("cat = 'a'", lambda r: r["cat"] == "a"),                       # a partition: whole file
        ("id < 10 or id = 40", lambda r: r["id"] < 10 or r["id"] == 40),  # some rows of each file
        ("v >= 25", lambda r: r["v"] >= 25),                            # again, over deleted rows
        ("id > 1000", lambda r: False),                                 # nothing: no snapshot
    ]
    for where, match in steps:
        before = len(metadata(t)["snapshots"])
        r = ice_ok("--json", "delete", t, "--where", where).json()
        gone = [x for x in state if match(x)]
        assert r["rows_deleted"] == len(gone), (where, r)
        state = [x for x in state if not match(x)]
        if not gone:
            assert not r["committed"] and len(metadata(t)["snapshots"]) == before
            continue
        expected[r["snapshot_id"]] = list(state)
        summary = snapshot(metadata(t), r["snapshot_id"])["summary"]
        live = int(summary["total-records"]) - int(summary.get("total-position-deletes", 0))
        assert live == len(state), summary
        if r["files_rewritten"]:
            assert summary["operation"] == "overwrite" and summary["added-data-files"] == str(r["files_added"])
        else:
            assert summary["operation"] == "delete"
        if r["delete_files_added"]:
            key = "added-dvs" if version >= 3 else "added-position-delete-files"
            assert summary[key] == str(r["delete_files_added"])
    # appends continue after deletes
    more = rows(100, 110)
    state += more
    expected[append_rows(t, more, tmp_path)] = list(state)
    for sid, want in expected.items():
        peers_agree(t, sid, want)
    if mode == "merge-on-read":
        content = {f["entry"]["data_file"]["file_format"].upper()
                   for f in ice_ok("--json", "files", t, "--content", "deletes").json()}
        assert content == ({"PUFFIN"} if version >= 3 else {"PARQUET"})


def lineage(t):
    r = ice_ok("scan", t, "--select", "id,_row_id,_last_updated_sequence_number", "--format", "jsonl")
    import json
    return sorted((d["id"], d["_row_id"], d["_last_updated_sequence_number"])
                  for d in (json.loads(line) for line in r.out.splitlines() if line))


def test_copy_on_write_keeps_row_lineage_v3(tmp_path):
    """v3, spec "Row Lineage": the rows a copy-on-write delete copies into
    a new file are not modified, so they keep their _row_id and
    _last_updated_sequence_number (the new file stores both columns)."""
    import pyarrow.parquet as pq
    t = str(tmp_path / "t")
    ice_ok("create", t, "--schema", "id long required, cat string, v double", "--partition", "cat",
           "--format-version", "3", "--property", "write.delete.mode=copy-on-write")
    append_rows(t, rows(0, 30), tmp_path)
    append_rows(t, rows(30, 60), tmp_path)
    before = lineage(t)
    assert len({r[1] for r in before}) == 60 and {r[2] for r in before} == {1, 2}
    gone = ", ".join(str(i) for i in range(1, 60, 4))
    r = ice_ok("--json", "delete", t, "--where", f"id in ({gone})").json()
    assert r["files_rewritten"] == 6, r
    assert lineage(t) == [x for x in before if x[0] % 4 != 1]
    added = [f["entry"]["data_file"]["file_path"] for f in ice_ok("--json", "files", t).json()
             if f["entry"]["snapshot_id"] == r["snapshot_id"]]
    assert len(added) == 6
    for f in added:
        tb = pq.read_table(f)
        assert tb.column("_row_id").null_count == 0 and tb.column("_last_updated_sequence_number").null_count == 0
    peers_agree(t, r["snapshot_id"], [x for x in rows(0, 60) if x["id"] % 4 != 1])


def test_overwrites_read_by_peers(tmp_path):
    t = str(tmp_path / "t")
    ice_ok("create", t, "--schema", "id long required, cat string, v double", "--partition", "cat")
    state = rows(0, 30)
    expected = {append_rows(t, state, tmp_path): list(state)}
    new = tmp_path / "new.csv"
    new.write_text("id,cat,v\n100,a,1\n101,d,2\n")
    added = [{"id": 100, "cat": "a", "v": 1.0}, {"id": 101, "cat": "d", "v": 2.0}]
    for args, keep in [(("--where", "v >= 10"), lambda r: r["v"] < 10),
                       (("--dynamic",), lambda r: r["cat"] not in ("a", "d")),
                       ((), lambda r: False)]:
        r = ice_ok("--json", "overwrite", t, new, *args).json()
        assert r["committed"] and r["rows_added"] == 2
        state = [x for x in state if keep(x)] + added
        expected[r["snapshot_id"]] = list(state)
        summary = snapshot(metadata(t), r["snapshot_id"])["summary"]
        assert summary["operation"] == "overwrite"
        assert summary.get("replace-partitions") == ("true" if args == ("--dynamic",) else None)
    for sid, want in expected.items():
        peers_agree(t, sid, want)


def test_bad_deletes_change_nothing(tmp_path):
    t = str(tmp_path / "t")
    ice_ok("create", t, "--schema", "id long, s string", "--format-version", 1)
    append_rows(t, [{"id": 1, "s": "a"}], tmp_path)
    before = metadata(t)
    for args, code, needle in [
        (("--where", "nope = 1"), 1, "nope"),
        (("--where", "id = "), 1, "where"),
        (("--where", "s > 5 and"), 1, "where"),
        (("--where", "id = 1", "--mode", "merge-on-read"), 1, "format version 2"),
        (("--where", "id = 1", "--mode", "sideways"), 2, "--mode wants"),
        ((), 2, "--where is required"),
    ]:
        r = ice_fails(code, "delete", t, *args)
        assert needle in r.err, (args, r.err)
    r = ice_fails(2, "overwrite", t, "x.csv", "--dynamic", "--where", "id = 1")
    assert metadata(t) == before


def run(argv):
    return subprocess.Popen([ice_bin(), *map(str, argv)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


RACES = [("copy-on-write", "serializable"), ("merge-on-read", "serializable"), ("copy-on-write", "snapshot")]


@pytest.mark.parametrize("mode,isolation", RACES, ids=[f"{m}-{i}" for m, i in RACES])
def test_delete_racing_four_appenders(tmp_path, mode, isolation):
    t = str(tmp_path / "t")
    ice_ok("create", t, "--schema", "id long required, flag int, w long", "--partition", "bucket(2, id)",
           "--property", "commit.retry.num-retries=60", "--property", "commit.retry.min-wait-ms=5",
           "--property", "commit.retry.max-wait-ms=100", "--property", f"write.delete.mode={mode}")
    rng = random.Random(7)
    seed = [{"id": i, "flag": i % 2, "w": 0} for i in range(200)]
    append_rows(t, seed, tmp_path)
    # 4 appenders x 8 appends, while deletes of flag = 1 run one after another
    batches = []
    for w in range(4):
        for k in range(8):
            ids = range(1000 * (w + 1) + 10 * k, 1000 * (w + 1) + 10 * k + 10)
            f = tmp_path / f"a{w}-{k}.csv"
            # appenders 0 and 1 add rows the delete cannot match (the
            # files' metrics say so): it validates past those
            f.write_text("id,flag,w\n" + "".join(f"{i},{rng.randrange(2) if w >= 2 else 0},{w + 1}\n" for i in ids))
            batches.append((w, f))
    appenders = []
    for w in range(4):
        script = " && ".join(f"{ice_bin()} append {t} {f}" for ww, f in batches if ww == w)
        appenders.append(subprocess.Popen(["sh", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    codes = []
    while any(p.poll() is None for p in appenders) and len(codes) < 40:
        d = run(["delete", t, "--where", "flag = 1", "--isolation", isolation])
        out, err = d.communicate(timeout=600)
        codes.append((d.returncode, err.decode()))
    for p in appenders:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err.decode()
    for code, err in codes:
        assert code in (0, 3), err
        if code == 3:
            assert "committed meanwhile" in err or "giving up" in err, err
    assert codes, "no delete ran while the appends did"
    print("delete exit codes while appending:", [c for c, _ in codes])
    # with the appenders done, a delete has nothing to race
    ice_ok("delete", t, "--where", "flag = 1", "--isolation", isolation)

    md = metadata(t)
    by_id = {s["snapshot-id"]: s for s in md["snapshots"]}
    seen = {}

    def snap_rows(sid):
        if sid not in seen:
            seen[sid] = {(r["id"], r["flag"]) for r in pyiceberg_rows(t, sid)}
        return seen[sid]

    # every snapshot is its parent plus its rows (append), or its parent
    # without flag = 1 rows (a delete that validated: it saw them all)
    for s in md["snapshots"]:
        parent = s.get("parent-snapshot-id")
        if parent is None:
            continue
        now, before = snap_rows(s["snapshot-id"]), snap_rows(parent)
        if s["summary"]["operation"] == "append":
            assert before <= now and len(now) - len(before) == int(s["summary"]["added-records"])
        elif isolation == "serializable":
            # it validated: no flag = 1 row appeared that it did not see
            assert now == {r for r in before if r[1] == 0}, s["summary"]
        else:
            # snapshot isolation: rows appended meanwhile may stay
            assert now <= before and {r for r in now if r[1] == 0} == {r for r in before if r[1] == 0}
    # nothing acknowledged is lost: every appended row with flag 0 is there
    final = snap_rows(md["current-snapshot-id"])
    appended = {(i["id"], i["flag"]) for i in seed if i["flag"] == 0}
    for w, f in batches:
        for line in f.read_text().splitlines()[1:]:
            i, flag, _ = map(int, line.split(","))
            if flag == 0:
                appended.add((i, 0))
    assert appended <= final
    assert not any(r[1] == 1 for r in final)
    assert canon(pyiceberg_rows(t)) == canon(duckdb_rows(t))


def test_rewrite_manifests_read_by_peers(tmp_path):
    t = str(tmp_path / "t")
    ice_ok("create", t, "--schema", "id long required, cat string, v double", "--partition", "cat",
           "--format-version", 3, "--property", "commit.manifest-merge.enabled=false",
           "--property", "write.delete.mode=merge-on-read")
    state = []
    for k in range(6):
        more = rows(10 * k, 10 * k + 10)
        append_rows(t, more, tmp_path)
        state += more
    ice_ok("delete", t, "--where", "id < 5")
    state = [r for r in state if r["id"] >= 5]
    r = ice_ok("--json", "rewrite-manifests", t).json()
    assert r["committed"] and r["manifests_before"] == 7 and r["manifests_after"] == 2  # data + deletes
    summary = snapshot(metadata(t), r["snapshot_id"])["summary"]
    assert summary["operation"] == "replace" and summary["manifests-replaced"] == "6"
    peers_agree(t, r["snapshot_id"], state)
    assert not ice_ok("--json", "rewrite-manifests", t).json()["committed"]
