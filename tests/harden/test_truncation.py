"""Issue 11, item 5: a manifest or manifest list cut right after an Avro
block is still a well-formed file, only shorter. Reading it is an error
naming the file (the entries of a manifest against its counts in the
manifest list; a list's totals against the snapshot summary), and no
commit is built on it: whatever reads it (append reads the parent's list;
delete, overwrite and rewrite-manifests read manifests) fails and the table
keeps its metadata."""
import json

from harden_support import csv_file, cut_after_blocks, ice_fails, ice_ok, make_table, metadata_files, reblock, tree


def three_appends(tmp_path):
    t = make_table(tmp_path, partition="s", rows=())
    for i in (1, 2, 3):
        ice_ok("append", t, csv_file(tmp_path / f"a{i}.csv", "id,s", [f"{i},a", f"{i + 10},b", f"{i + 20},c"]))
    return t


def current_list(t):
    md = json.loads(metadata_files(t)[-1].read_text())
    snap = [s for s in md["snapshots"] if s["snapshot-id"] == md["current-snapshot-id"]][0]
    return snap["manifest-list"]


def manifests_of(t):
    return [m["manifest_path"] for m in ice_ok("--json", "manifests", t).json()["manifests"]]


def every_command_refuses(tmp_path, t, name, append=True):
    before = tree(t)
    more = [["append", t, csv_file(tmp_path / "more.csv", "id,s", ["99,a"])]] if append else []
    for args in [["scan", t], ["files", t], ["entries", t]] + more + [
                 ["delete", t, "--where", "id = 1"],
                 ["overwrite", t, csv_file(tmp_path / "new.csv", "id,s", ["98,b"]), "--where", "id = 11"],
                 ["rewrite-manifests", t]]:
        e = ice_fails(1, *args)
        assert name in e.err and "truncated" in e.err, (args, e.err)
    assert tree(t) == before, "a command wrote something on a truncated table"


def test_a_truncated_manifest_list_is_an_error(tmp_path):
    t = three_appends(tmp_path)
    lst = current_list(t)
    assert reblock(lst) == 3
    cut_after_blocks(lst, 2)
    every_command_refuses(tmp_path, t, lst.rsplit("/", 1)[1])


def test_a_truncated_manifest_is_an_error(tmp_path):
    t = three_appends(tmp_path)
    m = [p for p in manifests_of(t)]
    assert len(m) == 3
    assert reblock(m[0]) == 3
    cut_after_blocks(m[0], 1)
    every_command_refuses(tmp_path, t, m[0].rsplit("/", 1)[1], append=False)
    # A fast append carries manifests without reading them (reading every
    # manifest on every append would cost the whole table): it commits, and
    # the loss stays visible to everything that reads the manifest.
    ice_ok("append", t, csv_file(tmp_path / "more.csv", "id,s", ["99,a"]))
    e = ice_fails(1, "scan", t)
    assert m[0].rsplit("/", 1)[1] in e.err and "truncated" in e.err


def test_a_truncated_delete_manifest_is_an_error(tmp_path):
    t = make_table(tmp_path, partition="s", rows=("1,a", "2,a", "3,b", "4,b", "5,c", "6,c"),
                   props=["write.delete.mode=merge-on-read"])
    ice_ok("delete", t, "--where", "id = 1 or id = 3 or id = 5")
    out = ice_ok("--json", "manifests", t).json()["manifests"]
    (dm,) = [m["manifest_path"] for m in out if m["content"] == 1]
    assert reblock(dm) == 3
    cut_after_blocks(dm, 2)
    e = ice_fails(1, "scan", t)
    assert dm.rsplit("/", 1)[1] in e.err and "truncated" in e.err
