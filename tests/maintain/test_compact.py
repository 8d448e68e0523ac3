"""ice compact: data files bin-packed per partition with every kind of
delete applied, files of older specs moved into the current one, the
replace snapshot's sequence numbers, dangling deletes removed, options
(--where, --sort, --partial-progress, sizes, --dry-run, --json), --deletes,
usage errors, and appends and deletes racing compactions.

Rows are checked by PyIceberg and DuckDB at every snapshot (and by ice's
own scan); sequence numbers and file kinds are read with fastavro from the
manifests, not through ice."""
import json
import os
import pathlib
import subprocess
import sys
import threading

import pytest
from maintain_support import (_avro, age_tree, canon, current_metadata, disk_files, duckdb_rows, ice, ice_bin, ice_fails,
                              ice_ok, metadata, peers_agree_everywhere, pyiceberg_rows, reachable)


def csv_rows(path, rows, header="id,p,s"):
    path = pathlib.Path(path)
    path.write_text(header + "\n" + "".join(",".join(str(v) for v in r) + "\n" for r in rows))
    return str(path)


def small_table(t, tmp, appends=8, parts=2, version=2, mor=True, partition="p", per=50):
    args = ["create", t, "--schema", "id long, p int, s string", "--format-version", str(version)]
    if partition:
        args += ["--partition", partition]
    ice_ok(*args)
    if mor:
        ice_ok("alter", t, "--set", "write.delete.mode=merge-on-read")
    for k in range(appends):
        ice_ok("append", t, csv_rows(pathlib.Path(tmp) / f"a{k}.csv",
                                     [(1000 * k + j, j % parts, f"s{k}-{j}") for j in range(per)]))


def live_entries(t):
    """(content, sequence_number, spec_id, path, record_count) of the live files of the current snapshot."""
    md = metadata(t)
    cur = md.get("current-snapshot-id")
    snap = next(s for s in md["snapshots"] if s["snapshot-id"] == cur)
    out = []
    for m in _avro(snap["manifest-list"]):
        for e in _avro(m["manifest_path"]):
            if e["status"] == 2:
                continue
            seq = e["sequence_number"] if e["sequence_number"] is not None else m["sequence_number"]
            df = e["data_file"]
            out.append((df.get("content", 0) or 0, seq, m["partition_spec_id"], df["file_path"], df["record_count"]))
    return out


def ice_rows(t):
    r = ice_ok("scan", t, "--format", "jsonl")
    return canon([json.loads(line) for line in r.out.splitlines() if line])


def test_bin_pack_with_position_deletes(tmp_path):
    t = str(tmp_path / "t")
    small_table(t, tmp_path)
    ice_ok("delete", t, "--where", "id >= 1000 and id < 1010 or id = 3007")
    before_md = metadata(t)
    start = before_md["current-snapshot-id"]
    start_seq = next(s["sequence-number"] for s in before_md["snapshots"] if s["snapshot-id"] == start)
    rows = ice_rows(t)
    # dry run: the plan, nothing written
    files_before = set(p for p in reachable(t))
    plan = ice_ok("--json", "compact", t, "--dry-run").json()
    assert plan["dry_run"] and not plan["committed"] and plan["groups_planned"] == 2 and plan["candidates"] == 16
    assert {g["partition"] for g in plan["groups"]} == {"p=0", "p=1"}
    assert all(g["files"] == 8 and g["expected_files"] == 1 for g in plan["groups"])
    assert metadata(t)["current-snapshot-id"] == start and set(reachable(t)) == files_before
    got = ice_ok("--json", "compact", t).json()
    assert got["committed"] and got["commits"] == 1
    assert got["data_files_removed"] == 16 and got["data_files_added"] == 2
    assert got["delete_files_removed"] == 3  # every position delete file dangles now
    assert got["rows_written"] == len(rows)
    md = metadata(t)
    snap = md["snapshots"][-1]
    assert snap["summary"]["operation"] == "replace" and snap["parent-snapshot-id"] == start
    live = live_entries(t)
    assert [e[0] for e in live] == [0, 0]
    # the new files keep the starting sequence number
    assert {e[1] for e in live} == {start_seq}
    assert ice_rows(t) == rows
    seen = peers_agree_everywhere(t)
    assert seen[snap["snapshot-id"]] == seen[start] == rows
    # nothing left to do
    again = ice_ok("--json", "compact", t).json()
    assert not again["committed"] and again["groups_planned"] == 0


def test_human_summary_and_nothing_to_do(tmp_path):
    t = str(tmp_path / "t")
    small_table(t, tmp_path, appends=3)
    r = ice_ok("compact", t)
    assert "nothing to compact" in r.out and "6 candidate data files" in r.out
    r = ice_ok("compact", t, "--min-input-files", "3")
    assert "6 data files rewritten into 2" in r.out and "1 commit " in r.out


def test_deletion_vectors_v3(tmp_path):
    t = str(tmp_path / "t")
    small_table(t, tmp_path, version=3)
    ice_ok("delete", t, "--where", "id >= 1000 and id < 1020")
    ice_ok("delete", t, "--where", "s = 's5-7'")
    rows = ice_rows(t)
    assert any(e[0] == 1 for e in live_entries(t))
    got = ice_ok("--json", "compact", t).json()
    assert got["committed"] and got["delete_files_removed"] >= 2
    assert all(e[0] == 0 for e in live_entries(t))
    assert ice_rows(t) == rows
    peers_agree_everywhere(t)
    # v3: the rewritten rows got row ids (next-row-id moved on)
    md = metadata(t)
    assert md["next-row-id"] >= sum(e[4] for e in live_entries(t))


def lineage_rows(t, snapshot=None):
    args = ["scan", t, "--select", "id,_row_id,_last_updated_sequence_number", "--format", "jsonl"]
    if snapshot:
        args += ["--snapshot", str(snapshot)]
    return sorted((r["id"], r["_row_id"], r["_last_updated_sequence_number"])
                  for r in (json.loads(line) for line in ice_ok(*args).out.splitlines() if line))


def test_row_lineage_kept_v3(tmp_path):
    """v3 (spec "Row Lineage"): rewritten rows keep their _row_id and
    _last_updated_sequence_number: the new files hold both columns (field
    ids 2147483540 and 2147483539, every value set), and a scan reads the
    same values before and after; rows the compaction did not touch keep
    inheriting theirs."""
    import pyarrow.parquet as pq
    t = str(tmp_path / "t")
    small_table(t, tmp_path, version=3, appends=6, per=20)
    ice_ok("delete", t, "--where", "id >= 1000 and id < 1005")
    ice_ok("append", t, csv_rows(tmp_path / "late.csv", [(9000 + j, j % 2, f"late-{j}") for j in range(4)]))
    before, rows = lineage_rows(t), ice_rows(t)
    assert len(before) == 6 * 20 - 5 + 4
    ids = [r[1] for r in before]
    assert len(set(ids)) == len(ids) and None not in ids
    seqs = {r[2] for r in before}
    assert len(seqs) == 7  # the appends' own data sequence numbers
    next_before = metadata(t)["next-row-id"]
    got = ice_ok("--json", "compact", t, "--min-input-files", "2").json()
    assert got["committed"] and got["data_files_added"] == 2
    assert lineage_rows(t) == before
    # the files written carry both columns, every value explicit
    new = [e for e in live_entries(t) if e[0] == 0]
    assert len(new) == 2
    written = {}
    for e in new:
        f = pq.ParquetFile(e[3])
        fid = {f.schema_arrow.field(i).name: f.schema_arrow.field(i).metadata[b"PARQUET:field_id"]
               for i in range(len(f.schema_arrow))}
        assert fid["_row_id"] == b"2147483540" and fid["_last_updated_sequence_number"] == b"2147483539", fid
        tb = f.read()
        assert tb.column("_row_id").null_count == 0 and tb.column("_last_updated_sequence_number").null_count == 0
        for i, rid, seq in zip(tb.column("id").to_pylist(), tb.column("_row_id").to_pylist(),
                               tb.column("_last_updated_sequence_number").to_pylist()):
            written[i] = (rid, seq)
    assert sorted((i, *v) for i, v in written.items()) == before
    # the new files still got row ids of their own (the next-row-id moved on)
    assert metadata(t)["next-row-id"] == next_before + len(before)
    assert ice_rows(t) == rows
    peers_agree_everywhere(t)
    # a later append's rows inherit theirs again; the compacted rows keep theirs
    ice_ok("append", t, csv_rows(tmp_path / "later.csv", [(9500, 0, "later")]))
    after = lineage_rows(t)
    assert [r for r in after if r[0] != 9500] == before
    (later,) = [r for r in after if r[0] == 9500]
    assert later[1] == next_before + len(before) and later[2] == metadata(t)["snapshots"][-1]["sequence-number"]


def test_row_lineage_columns_need_v3(tmp_path):
    t = str(tmp_path / "t")
    small_table(t, tmp_path, appends=1)
    r = ice_fails(1, "scan", t, "--select", "id,_row_id")
    assert "format version 3" in r.err, r.err


def test_equality_deletes_applied_and_removed(tmp_path):
    from test_spark import add_equality_delete
    t = str(tmp_path / "t")
    small_table(t, tmp_path, appends=5, partition=None)
    add_equality_delete(t, [{"id": 1003}, {"id": 4010}])
    rows = ice_rows(t)
    assert len(rows) == 5 * 50 - 2
    assert any(e[0] == 2 for e in live_entries(t))
    got = ice_ok("--json", "compact", t).json()
    assert got["committed"] and got["delete_files_removed"] == 1
    assert [e[0] for e in live_entries(t)] == [0]
    assert ice_rows(t) == rows == canon(duckdb_rows(current_metadata(t)))


def test_old_spec_files_move_to_the_current_spec(tmp_path):
    t = str(tmp_path / "t")
    small_table(t, tmp_path, appends=2, partition=None)
    ice_ok("alter", t, "--add-partition", "p")
    ice_ok("append", t, csv_rows(tmp_path / "late.csv", [(9000 + j, j % 2, "late") for j in range(10)]))
    rows = ice_rows(t)
    cur_spec = metadata(t)["default-spec-id"]
    assert {e[2] for e in live_entries(t)} == {0, cur_spec}
    got = ice_ok("--json", "compact", t).json()
    assert got["committed"]
    # the files of the old spec form one group of their own, rewritten although only two
    assert any(g["spec_id"] is None and g["files"] == 2 for g in got["groups"])
    assert {e[2] for e in live_entries(t)} == {cur_spec}
    parts = {pathlib.Path(e[3]).parent.name for e in live_entries(t)}
    assert parts == {"p=0", "p=1"}
    assert ice_rows(t) == rows
    peers_agree_everywhere(t)


def test_target_size_where_sort_and_partial_progress(tmp_path):
    t = str(tmp_path / "t")
    small_table(t, tmp_path, appends=6, parts=4, per=400)
    rows = ice_rows(t)
    # --where: only the partitions that may match
    got = ice_ok("--json", "compact", t, "--where", "p = 1").json()
    assert [g["partition"] for g in got["groups"]] == ["p=1"]
    assert sum(1 for e in live_entries(t) if "/p=1/" in e[3]) == 1
    # --partial-progress: the other three partitions in up to two commits
    n = len(metadata(t)["snapshots"])
    got = ice_ok("--json", "compact", t, "--partial-progress", "--max-commits", "2").json()
    assert got["commits"] == 2 and got["groups_rewritten"] == 3
    md = metadata(t)
    assert len(md["snapshots"]) == n + 2 and all(s["summary"]["operation"] == "replace" for s in md["snapshots"][-2:])
    assert ice_rows(t) == rows
    # --rewrite-all: every group, one file alone too (Spark's rewrite-all)
    got = ice_ok("--json", "compact", t, "--rewrite-all").json()
    assert got["committed"] and got["groups_rewritten"] == 4 and got["data_files_added"] == 4
    # sorted: each written file's ids descend
    got = ice_ok("--json", "compact", t, "--rewrite-all", "--sort=id desc").json()
    assert got["committed"] and got["data_files_added"] == 4
    import pyarrow.parquet as pq
    for e in live_entries(t):
        ids = pq.read_table(e[3]).column("id").to_pylist()
        assert ids == sorted(ids, reverse=True)
    assert ice_rows(t) == rows
    peers_agree_everywhere(t)


def test_sort_by_the_tables_order(tmp_path):
    t = str(tmp_path / "t")
    small_table(t, tmp_path, appends=5, partition=None)
    ice_fails(1, "compact", t, "--sort")  # unsorted table, no order given
    ice_ok("alter", t, "--sort", "s")
    got = ice_ok("--json", "compact", t, "--sort").json()
    assert got["committed"]
    import pyarrow.parquet as pq
    (e,) = live_entries(t)
    s = pq.read_table(e[3]).column("s").to_pylist()
    assert s == sorted(s)


def test_position_delete_files_rewritten(tmp_path):
    t = str(tmp_path / "t")
    small_table(t, tmp_path, appends=3)
    for k in range(6):
        ice_ok("delete", t, "--where", f"s = 's{k % 3}-{k}' or s = 's{k % 3}-{11 + k}'")
    rows = ice_rows(t)
    dels = [e for e in live_entries(t) if e[0] == 1]
    assert len(dels) >= 6
    plan = ice_ok("--json", "compact", t, "--deletes", "--dry-run").json()
    assert plan["groups_planned"] == 2 and not plan["committed"]
    got = ice_ok("--json", "compact", t, "--deletes").json()
    assert got["committed"] and got["delete_files_removed"] == len(dels) and got["delete_files_added"] == 2
    after = [e for e in live_entries(t) if e[0] == 1]
    assert len(after) == 2 and sum(e[4] for e in after) == sum(e[4] for e in dels)
    assert ice_rows(t) == rows
    peers_agree_everywhere(t)
    # data compaction then leaves no delete file behind
    ice_ok("compact", t, "--min-input-files", "2")
    assert all(e[0] == 0 for e in live_entries(t))
    assert ice_rows(t) == rows


def test_rewritten_deletes_keep_their_data_sequence_number(tmp_path):
    """Rewritten position deletes keep the newest data sequence number of
    the files they replace (Java's rewrite_position_delete_files): they
    apply to the data files those applied to and never to a data file
    appended after them, which keeps every row (and plans no delete)."""
    t = str(tmp_path / "t")
    small_table(t, tmp_path, appends=3)
    for k in range(6):
        ice_ok("delete", t, "--where", f"s = 's{k % 3}-{k}' or s = 's{k % 3}-{11 + k}'")
    dels = [e for e in live_entries(t) if e[0] == 1]
    newest = {}
    for e in dels:
        part = pathlib.Path(e[3]).parent.name
        newest[part] = max(newest.get(part, 0), e[1])
    # appended after the deletes: a newer data sequence number than any of them
    ice_ok("append", t, csv_rows(tmp_path / "late.csv", [(9000 + j, j % 2, f"late-{j}") for j in range(10)]))
    late = {e[3] for e in live_entries(t) if e[0] == 0 and e[1] > max(newest.values())}
    assert len(late) == 2
    rows = ice_rows(t)
    got = ice_ok("--json", "compact", t, "--deletes").json()
    assert got["committed"] and got["delete_files_added"] == 2
    after = [e for e in live_entries(t) if e[0] == 1]
    assert len(after) == 2
    assert sorted((pathlib.Path(e[3]).parent.name, e[1]) for e in after) == sorted(newest.items()), (after, newest)
    plan = ice_ok("--json", "scan", t, "--plan").json()
    late_tasks = [tk for tk in plan["tasks"] if tk["file_path"] in late]
    assert len(late_tasks) == 2 and all(tk["deletes"] == [] for tk in late_tasks), late_tasks
    assert ice_rows(t) == rows
    assert len([r for r in rows if r["s"].startswith("late-")]) == 10
    peers_agree_everywhere(t)


def test_usage_and_errors(tmp_path):
    t = str(tmp_path / "t")
    small_table(t, tmp_path, appends=1)
    for args in (("--max-commits", "2"), ("--target-file-size", "lots"), ("--min-input-files", "0"),
                 ("--deletes", "--sort"), ("--delete-ratio-threshold", "2")):
        r = ice("compact", t, *args)
        assert r.code == 2 and r.err.startswith("ice: compact: "), (args, r.err)
    assert ice("compact").code == 2
    r = ice_fails(1, "compact", t, "--target-file-size", "1000", "--min-file-size", "2000")
    assert "min file size" in r.err
    r = ice_fails(1, "compact", t, "--where", "nope = 1")
    assert "nope" in r.err
    r = ice_ok("compact", "--help")
    assert "rewrite_data_files" in r.out
    ice_fails(1, "compact", str(tmp_path / "missing"))


def test_appends_and_deletes_racing_compaction(tmp_path):
    """Four processes append and one deletes while compactions run: every
    acknowledged row is there at the end, every compaction commits or fails
    with a conflict (exit 3), and each replace snapshot holds exactly its
    parent's rows."""
    t = str(tmp_path / "t")
    small_table(t, tmp_path, appends=6, per=20)
    acked, deleted, codes = [], [], []
    lock = threading.Lock()
    stop = threading.Event()

    def appender(w):
        k = 0
        while not stop.is_set() and k < 12:
            rows = [(100000 * (w + 1) + 100 * k + j, j % 2, f"w{w}") for j in range(5)]
            r = ice("append", t, csv_rows(tmp_path / f"w{w}-{k}.csv", rows))
            if r.code == 0:
                with lock:
                    acked.extend(r_[0] for r_ in rows)
            else:
                assert r.code == 3, r.err
            k += 1

    def deleter():
        for k in range(6):
            victim = 1000 * (k % 6) + 7
            r = ice("delete", t, "--where", f"id = {victim}")
            assert r.code in (0, 3), r.err
            if r.code == 0:
                with lock:
                    deleted.append(victim)

    def compactor():
        for _ in range(4):
            # partial progress: a partition whose files got new deletes
            # meanwhile conflicts, the other one commits
            r = ice("compact", t, "--min-input-files", "2", "--partial-progress")
            codes.append((r.code, r.err))

    threads = [threading.Thread(target=appender, args=(w,)) for w in range(4)]
    threads += [threading.Thread(target=deleter), threading.Thread(target=compactor)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    ice_ok("compact", t, "--min-input-files", "2")
    ids = {r["id"] for r in ice_rows(t)}
    assert set(acked) <= ids, f"lost {sorted(set(acked) - ids)[:10]}"
    assert not (set(deleted) & ids)
    assert all(c in (0, 3) for c, _ in codes) and len(codes) == 4, codes
    md_file = current_metadata(t)
    md = json.loads(md_file.read_text())
    by_id = {s["snapshot-id"]: s for s in md["snapshots"]}
    replaced = 0
    for s in md["snapshots"]:
        if s["summary"]["operation"] == "replace":
            replaced += 1
            assert canon(duckdb_rows(md_file, s["snapshot-id"])) == canon(
                duckdb_rows(md_file, by_id[s["parent-snapshot-id"]]["snapshot-id"]))
    assert replaced >= 2
    assert canon(pyiceberg_rows(md_file)) == ice_rows(t)


def test_killed_compaction_leaves_the_table_whole(tmp_path):
    """SIGKILL at many moments: the table loads with the same rows."""
    import random
    import signal
    import time
    t = str(tmp_path / "t")
    small_table(t, tmp_path, appends=8, per=200)
    ice_ok("delete", t, "--where", "id < 1050")
    rows = ice_rows(t)
    rnd = random.Random(7)
    for i in range(12):
        p = subprocess.Popen([ice_bin(), "compact", t, "--rewrite-all", "--min-input-files", "2"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0.0, 0.25))
        p.send_signal(signal.SIGKILL)
        p.wait()
        assert ice_rows(t) == rows
    assert canon(duckdb_rows(current_metadata(t))) == rows
    # what the killed runs left, the next maintain removes (once past the guard)
    age_tree(t, 4 * 86400)
    ice_ok("maintain", t, "--only", "remove-orphan-files")
    assert disk_files(t) == set(reachable(t)) - {p for p in reachable(t) if not os.path.exists(p)}
    assert ice_rows(t) == rows
