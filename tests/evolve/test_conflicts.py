"""Concurrent changes by separate ice processes: renames of one column land
exactly once (the others fail as conflicts or, when they start late, as
unknown columns), renames of different columns all land, and appends to a
branch race appends to main without losing either."""
import subprocess

from support import append_rows, canon, ice_bin, ice_ok, metadata, pyiceberg_rows


def run_all(argvs):
    procs = [subprocess.Popen([ice_bin(), *map(str, a)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for a in argvs]
    out = []
    for p in procs:
        o, e = p.communicate(timeout=600)
        out.append((p.returncode, e.decode()))
    return out


def test_renames_of_one_column_land_once(tmp_path, target):
    for trial in range(3):
        t = target(f"t{trial}")
        ice_ok("create", t, "--schema", "id long, x string")
        results = run_all([("alter", t, "--rename", f"x=x{i}") for i in range(6)])
        codes = [c for c, _ in results]
        assert codes.count(0) == 1, results
        for code, err in results:
            assert code in (0, 1, 3), (code, err)
            if code == 3:
                assert "changed concurrently" in err and "no column 'x'" in err, err
            if code == 1:
                assert "no column 'x'" in err, err
        names = [f["name"] for f in metadata(t)["schemas"][-1]["fields"]]
        winner = results[codes.index(0)]
        assert len(names) == 2 and names[0] == "id" and names[1].startswith("x") and names[1] != "x", names
        assert len(metadata(t)["schemas"]) == 2, winner


def test_renames_of_different_columns_all_land(tmp_path, target):
    t = target()
    cols = ", ".join(f"c{i} int" for i in range(5))
    ice_ok("create", t, "--schema", "id long, " + cols, "--property", "commit.retry.num-retries=20",
           "--property", "commit.retry.min-wait-ms=5", "--property", "commit.retry.max-wait-ms=200")
    results = run_all([("alter", t, "--rename", f"c{i}=d{i}") for i in range(5)])
    assert [c for c, _ in results] == [0] * 5, results
    names = [f["name"] for f in metadata(t)["schemas"][-1]["fields"]]
    assert names == ["id"] + [f"d{i}" for i in range(5)]


def test_branch_and_main_appends_race(tmp_path, target):
    t = target()
    ice_ok("create", t, "--schema", "id long", "--property", "commit.retry.num-retries=30",
           "--property", "commit.retry.min-wait-ms=5", "--property", "commit.retry.max-wait-ms=200")
    append_rows(t, [{"id": 0}], tmp_path)
    ice_ok("branch", "create", t, "b")
    files = []
    for i in range(1, 9):
        f = tmp_path / f"in{i}.csv"
        f.write_text(f"id\n{i}\n")
        files.append(f)
    argvs = [("append", t, f) + (("--branch", "b") if i % 2 else ()) for i, f in enumerate(files)]
    results = run_all(argvs)
    assert [c for c, _ in results] == [0] * 8, results
    md = metadata(t)
    main_rows = canon(pyiceberg_rows(t))
    b_rows = canon(pyiceberg_rows(t, md["refs"]["b"]["snapshot-id"]))
    assert main_rows == canon([{"id": 0}] + [{"id": i + 1} for i in range(8) if i % 2 == 0])
    assert b_rows == canon([{"id": 0}] + [{"id": i + 1} for i in range(8) if i % 2 == 1])
