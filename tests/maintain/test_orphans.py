"""ice remove-orphan-files with the real binary: files no metadata reaches
are found and deleted once older than the guard; what the metadata reaches
(every snapshot of every ref, the metadata log, version-hint.text,
statistics files) stays; hidden names stay (ice's own commit temporaries
excepted); --location, the prefix-mismatch modes and equal schemes; the
guard's floor; the files a killed append left behind."""
import json
import os
import pathlib
import shutil

from maintain_support import (_read_avro, _write_avro, age, age_tree, assert_whole, disk_files, history, ice, ice_fails, ice_ok, metadata,
                              peers_agree_everywhere, reachable, write_csv)

DAY = 86400


def orphans(t, *args):
    return ice_ok("--json", "remove-orphan-files", t, *args).json()


def test_orphans_found_and_deleted_after_the_guard(tmp_path):
    t = str(tmp_path / "t")
    history(t, tmp_path, appends=4, delete_ids=(0,))
    ice_ok("tag", "create", t, "first", "--snapshot", str(metadata(t)["snapshots"][0]["snapshot-id"]))
    stray = [pathlib.Path(t, "data", "stray-1.parquet"), pathlib.Path(t, "metadata", "stray-m0.avro"),
             pathlib.Path(t, "data", "day=2024-01-01", "deep", "stray-2.parquet")]
    for p in stray:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"PAR1")
    rows = peers_agree_everywhere(t)
    # the default guard (3 days) keeps everything written just now
    r = orphans(t)
    assert r["orphans"] == 0 and r["files_too_new"] == r["files_listed"] > 0
    age_tree(t, 4 * DAY)
    reach = reachable(t)
    r = orphans(t, "--dry-run")
    assert sorted(r["orphan_file_locations"]) == sorted(str(p) for p in stray)
    assert all(p.exists() for p in stray)
    assert r["files_reachable"] == len(reach) and r["files_listed"] == len(reach) + len(stray)
    r = orphans(t)
    assert r["deleted"] == 3 and not any(p.exists() for p in stray)
    assert disk_files(t) == set(reach)
    assert_whole(t)
    assert peers_agree_everywhere(t) == rows
    # nothing left to find
    assert orphans(t)["orphans"] == 0


def test_guard_floor_and_force(tmp_path):
    t = str(tmp_path / "t")
    history(t, tmp_path, appends=1)
    stray = pathlib.Path(t, "data", "stray.parquet")
    stray.write_bytes(b"x")
    r = ice_fails(1, "remove-orphan-files", t, "--older-than", "30m")
    assert "refusing an age guard under one hour" in r.err and stray.exists()
    r = orphans(t, "--older-than", "0s", "--force")
    assert r["orphan_file_locations"] == [str(stray)] and not stray.exists()
    # a guard of exactly one hour is fine
    orphans(t, "--older-than", "1h")


def test_hidden_names_and_partition_directories(tmp_path):
    """Names starting with '.' or '_' are never orphans (Java hides them),
    except partition directories of fields named so, and ice's commit
    temporaries (.UUID.tmp)."""
    t = str(tmp_path / "t")
    ice_ok("create", t, "--schema", "_k int, v string", "--partition", "identity(_k)")
    (tmp_path / "a.csv").write_text("_k,v\n1,a\n2,b\n")
    ice_ok("append", t, tmp_path / "a.csv")
    assert any(p.name.startswith("_k=") for p in pathlib.Path(t, "data").iterdir())
    extra = {
        "data/_k=1/stray.parquet": True,              # partition directory of field _k: listed
        "data/_temporary/0/part-0.parquet": False,   # hidden directory
        "data/.stray.parquet.crc": False,            # hidden file
        "metadata/.6f9619ff-8b86-4d01-b42d-00cf4fc964ff.tmp": True,  # a killed commit's temporary
        "metadata/.6f9619ff-8b86-4d01-b42d-00cf4fc964ff.tmpx": False,
    }
    for rel in extra:
        p = pathlib.Path(t, rel)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    age_tree(t, 4 * DAY)
    r = orphans(t)
    assert sorted(r["orphan_file_locations"]) == sorted(str(pathlib.Path(t, k)) for k, v in extra.items() if v)
    assert r["files_hidden"] == 3
    assert all(pathlib.Path(t, k).exists() != v for k, v in extra.items())
    assert_whole(t)


def test_location_inside_the_table_only(tmp_path):
    t = str(tmp_path / "t")
    history(t, tmp_path, appends=2)
    pathlib.Path(t, "data", "stray.parquet").write_bytes(b"x")
    pathlib.Path(t, "metadata", "stray.avro").write_bytes(b"x")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.parquet").write_bytes(b"x")
    age_tree(t, 4 * DAY)
    age_tree(outside, 4 * DAY)
    r = orphans(t, "--location", str(pathlib.Path(t, "data")))
    assert r["orphan_file_locations"] == [str(pathlib.Path(t, "data", "stray.parquet"))]
    assert pathlib.Path(t, "metadata", "stray.avro").exists()
    for loc in (str(outside), str(pathlib.Path(t, "..", "elsewhere")), str(tmp_path)):
        r = ice_fails(1, "remove-orphan-files", t, "--location", loc)
        assert "outside the table location" in r.err
    assert (outside / "x.parquet").exists()


def _rewrite_manifest_paths(manifest, fn):
    """Rewrite the file_path of every entry of a manifest in place."""
    schema, meta, records = _read_avro(manifest)
    for r in records:
        r["data_file"]["file_path"] = fn(r["data_file"]["file_path"])
    _write_avro(manifest, schema, meta, records)


def _set_location(t, location):
    md_file = sorted(pathlib.Path(t, "metadata").glob("v*.metadata.json"),
                     key=lambda p: int(p.name[1:].split(".")[0]))[-1]
    md = json.loads(md_file.read_text())
    md["location"] = location
    md_file.write_text(json.dumps(md))


def test_prefix_mismatch_modes_and_equal_schemes(tmp_path):
    """A data file the metadata names as hdfs://nn/<path> while the listing
    (location file:<path>) finds file:<path>: a conflict. error stops the
    run, ignore keeps it, delete deletes it; --equal-schemes file,hdfs and
    --equal-authorities make it the same file."""
    t = str(tmp_path / "t")
    history(t, tmp_path, appends=1)
    manifests = [m for m in reachable(t) if m.endswith("-m0.avro")]
    _rewrite_manifest_paths(manifests[0], lambda p: "hdfs://nn" + p)
    _set_location(t, "file://localhost" + str(pathlib.Path(t).resolve()))
    data = sorted(pathlib.Path(t, "data").rglob("*.parquet"))
    assert len(data) == 1
    (pathlib.Path(t, "data") / "stray.parquet").write_bytes(b"x")
    age_tree(t, 4 * DAY)
    r = ice_fails(1, "remove-orphan-files", t)
    assert "referenced under another scheme or authority" in r.err and "scheme 'hdfs' referenced, 'file' listed" in r.err
    assert "authority 'nn' referenced, 'localhost' listed" in r.err
    assert data[0].exists() and (pathlib.Path(t, "data") / "stray.parquet").exists()
    # the same schemes: still another authority
    r = ice_fails(1, "remove-orphan-files", t, "--equal-schemes", "file,hdfs")
    assert "authority 'nn' referenced" in r.err and "scheme 'hdfs'" not in r.err
    r = orphans(t, "--equal-schemes", "file,hdfs", "--equal-authorities", "localhost,nn", "--dry-run")
    assert r["prefix_conflicts"] == 0 and r["orphans"] == 1  # the stray file only
    r = orphans(t, "--prefix-mismatch", "ignore")
    assert r["deleted"] == 1 and data[0].exists() and r["prefix_conflicts"] == 1
    r = orphans(t, "--prefix-mismatch", "delete")
    assert r["orphan_file_locations"] == ["file://localhost" + str(data[0].resolve())] and not data[0].exists()
    r = ice("remove-orphan-files", t, "--prefix-mismatch", "sometimes")
    assert r.code == 2


def test_metadata_log_and_old_versions(tmp_path):
    """Metadata files in the log stay; versions dropped from the log (past
    write.metadata.previous-versions-max) are orphans, as Spark finds them."""
    t = str(tmp_path / "t")
    history(t, tmp_path, appends=1)
    ice_ok("alter", t, "--set", "write.metadata.previous-versions-max=2")
    for k in range(4):
        ice_ok("alter", t, "--set", f"k{k}=v")
    md = metadata(t)
    in_log = {pathlib.Path(e["metadata-file"]).name for e in md["metadata-log"]}
    assert len(in_log) == 2
    age_tree(t, 4 * DAY)
    r = orphans(t)
    gone = {pathlib.Path(p).name for p in r["orphan_file_locations"]}
    on_disk = {p.name for p in pathlib.Path(t, "metadata").glob("v*.metadata.json")}
    assert gone and not gone & in_log and in_log <= on_disk
    assert all(n.endswith(".metadata.json") for n in gone)
    assert pathlib.Path(t, "metadata", "version-hint.text").exists()
    assert_whole(t)


def test_files_of_a_killed_append_are_removed(tmp_path):
    """A data file written by an append that never committed is an orphan
    once older than the guard; the committed table is untouched."""
    t = str(tmp_path / "t")
    history(t, tmp_path, appends=2)
    rows = peers_agree_everywhere(t)
    # a second table's data files stand in for the killed append's
    u = str(tmp_path / "u")
    history(u, tmp_path, appends=1)
    for p in pathlib.Path(u, "data").rglob("*.parquet"):
        shutil.copy(p, pathlib.Path(t, "data", "killed-" + p.name))
    for p in pathlib.Path(u, "metadata").glob("*-m0.avro"):
        shutil.copy(p, pathlib.Path(t, "metadata", p.name))
    age_tree(t, 4 * DAY)
    r = orphans(t)
    assert r["deleted"] == 2
    assert disk_files(t) == set(reachable(t))
    assert peers_agree_everywhere(t) == rows


def test_nothing_outside_the_location_even_through_links(tmp_path):
    """A directory inside the table that is a symbolic link to another
    place is listed as a file (never followed): nothing behind it goes."""
    t = str(tmp_path / "t")
    history(t, tmp_path, appends=1)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.parquet").write_bytes(b"x")
    os.symlink(outside, pathlib.Path(t, "data", "linked"))
    os.symlink(outside / "precious.parquet", pathlib.Path(t, "data", "link.parquet"))
    age_tree(t, 4 * DAY)
    age([str(outside / "precious.parquet"), str(outside)], 4 * DAY)
    r = orphans(t)
    # the links themselves are files of the table no metadata reaches: they
    # go, what they point at stays
    assert sorted(r["orphan_file_locations"]) == [str(pathlib.Path(t, "data", n)) for n in ("link.parquet", "linked")]
    assert not os.path.lexists(pathlib.Path(t, "data", "linked"))
    assert (outside / "precious.parquet").exists()
    assert_whole(t)
