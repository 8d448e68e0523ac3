"""Issue 11, item 4: a writer whose new file's name is taken (an existing
file, however unlikely with random UUIDs) fails without deleting the file
it collided with: only what this process created is ever removed. The
fault library makes every random UUID the same, so a second writer
collides with everything the first one committed."""
from harden_support import csv_file, ice, ice_ok, make_table, tree
from support import fault_env


def scan_ids(t):
    return sorted(int(line.split(",")[0]) for line in ice_ok("scan", t, "--format", "csv").out.splitlines()[1:])


def test_colliding_writers_never_delete_a_committed_file(tmp_path):
    env = fault_env(ICE_FAULT_UUID=1)
    t = make_table(tmp_path, partition="s", rows=())
    ice_ok("append", t, csv_file(tmp_path / "a.csv", "id,s", ["1,a", "2,b"]), env=env)
    committed = tree(t)
    for args in (["append", t, csv_file(tmp_path / "b.csv", "id,s", ["3,a", "4,b"])],
                 ["delete", t, "--where", "id = 1"],
                 ["overwrite", t, csv_file(tmp_path / "c.csv", "id,s", ["5,a"]), "--where", "id = 2"]):
        r = ice(*args, env=env)
        assert r.code == 1 and "File exists" in r.err, (args, r.code, r.err)
        assert tree(t) == committed, (args, r.err, set(committed) ^ set(tree(t)))
    assert scan_ids(t) == [1, 2]


def test_colliding_delete_files_never_delete_a_committed_one(tmp_path):
    """Merge-on-read: a position delete file (delete, compact --deletes) is
    tracked for clean-up once this process created it, not before: a name
    taken by a committed delete file fails the command and leaves that file
    (it deleted it: the table lost its deletes and then failed to scan)."""
    env = fault_env(ICE_FAULT_UUID=1)
    t = make_table(tmp_path, partition="s", rows=("1,a", "2,a", "3,a"),
                   props=("write.delete.mode=merge-on-read",))
    ice_ok("delete", t, "--where", "id = 1", env=env)
    committed = tree(t)
    for args in (["delete", t, "--where", "id = 2"], ["compact", t, "--deletes", "--rewrite-all"]):
        r = ice(*args, env=env)
        assert r.code == 1 and "-deletes.parquet: create: File exists" in r.err, (args, r.code, r.err)
        assert tree(t) == committed, (args, r.err, set(committed) ^ set(tree(t)))
    assert scan_ids(t) == [2, 3]
