"""Inspection commands on every complete table of the corpus: the right
metadata file is found (version-hint.text in both forms, probing forward,
highest version), and describe/schema/snapshots/history/refs report what the
metadata JSON (read here by Python, independently) says."""
import json
import re

import pytest

from conftest import fails, fixtures, load_json, ok, one_line_error, table_index

SUFFIXES = (".metadata.json", ".gz.metadata.json", ".metadata.json.gz")

# Tables whose current metadata no conforming reader accepts (see
# tests/unit/spec/test_metadata.c for the reasons).
UNREADABLE = {
    "tables/duckdb-iceberg/equality_delete_cross_partition/warehouse/ns/t": "out of the 64-bit range",
}


def expected_metadata(table):
    """The current metadata file, by the rules of a Hadoop-style table."""
    mdir = fixtures() / table / "metadata"
    names = [p.name for p in mdir.iterdir() if p.is_file()]

    def find(stem):
        for s in SUFFIXES:
            if stem + s in names:
                return stem + s
        return None

    def version(name):
        for s in SUFFIXES:
            if name.endswith(s):
                stem = name[: -len(s)]
                m = re.fullmatch(r"v(\d+)", stem)
                if m:
                    return ("v", int(m.group(1)))
                m = re.fullmatch(r"(\d+)-.*", stem)
                if m:
                    return ("seq", int(m.group(1)))
        return None

    hint = (mdir / "version-hint.text").read_text().strip() if "version-hint.text" in names else None
    if hint and hint.isdigit():
        n = int(hint)
        found = find(f"v{n}")
        if found:
            while find(f"v{n + 1}"):
                n += 1
            return find(f"v{n}")
    elif hint:
        found = find(hint.removesuffix(".metadata.json"))
        if found:
            seqs = [version(x) for x in names if version(x) and version(x)[0] == "seq"]
            if version(found) and seqs and max(seqs)[1] > version(found)[1]:
                return max((v for v in map(lambda x: (version(x), x), names) if v[0] and v[0][0] == "seq"))[1]
            return found
    versioned = [(version(x), x) for x in names if version(x)]
    vs = [v for v in versioned if v[0][0] == "v"]
    if vs:
        return max(vs)[1]
    if versioned:
        return max(versioned)[1]
    plain = [x for x in names if x.endswith(".metadata.json")]
    assert len(plain) == 1, plain
    return plain[0]


TABLES = [t["table"] for t in table_index()["tables"]]


def test_corpus_has_tables():
    assert len(TABLES) >= 60


@pytest.mark.parametrize("table", TABLES)
def test_describe_finds_current_metadata(table):
    path = fixtures() / table
    if table in UNREADABLE:
        one_line_error(fails(1, "describe", path), UNREADABLE[table])
        return
    d = ok("describe", "--json", path).json()
    want = expected_metadata(table)
    assert d["metadata_location"].endswith("/metadata/" + want), (d["metadata_location"], want)
    md = load_json(d["metadata_location"])
    assert d["format_version"] == md["format-version"]
    assert d["location"] == md["location"]
    assert d["table_uuid"] == md.get("table-uuid")
    cur = md.get("current-snapshot-id")
    assert d["current_snapshot_id"] == (None if cur in (None, -1) else cur)
    assert d["snapshot_count"] == len(md.get("snapshots", []))
    assert d["properties"] == md.get("properties", {})
    # The metadata/ directory and the file itself name the same table.
    def timeless(j):  # the newest snapshot's age grows between runs
        return {k: v for k, v in j.items() if k != "newest_snapshot_age_ms"}
    assert timeless(ok("describe", "--json", path / "metadata").json()) == timeless(d)
    assert timeless(ok("describe", "--json", d["metadata_location"]).json()) == timeless(d)
    # Text output works too.
    assert ok("describe", path).out.startswith("Table:")


def readable(table):
    return table not in UNREADABLE


@pytest.mark.parametrize("table", [t for t in TABLES if readable(t)])
def test_snapshots_history_refs_schema(table):
    path = fixtures() / table
    d = ok("describe", "--json", path).json()
    md = load_json(d["metadata_location"])
    v = md["format-version"]

    snaps = ok("snapshots", "--json", path).json()
    # rows of the snapshots metadata table (snake_case), from the spec's snapshots
    assert [s["snapshot_id"] for s in snaps] == [s["snapshot-id"] for s in md.get("snapshots", [])]
    for mine, theirs in zip(snaps, md.get("snapshots", [])):
        assert mine["committed_at_ms"] == theirs["timestamp-ms"]
        assert mine["parent_id"] == theirs.get("parent-snapshot-id")
        assert mine["manifest_list"] == theirs.get("manifest-list")
        assert mine["summary"] == theirs.get("summary", {})
        assert mine["operation"] == theirs.get("summary", {}).get("operation")
        if v >= 2:
            assert mine["sequence_number"] == theirs["sequence-number"]

    hist = ok("history", "--json", path).json()
    assert [(h["made_current_at_ms"], h["snapshot_id"]) for h in hist] == \
        [(e["timestamp-ms"], e["snapshot-id"]) for e in md.get("snapshot-log", [])]

    refs = ok("refs", "--json", path).json()
    want = dict(md.get("refs") or {})
    cur = md.get("current-snapshot-id")
    if cur not in (None, -1) and "main" not in want:
        want["main"] = {"snapshot-id": cur, "type": "branch"}
    assert {r["name"]: r for r in refs} == {
        name: {"name": name, "type": r["type"], "snapshot_id": r["snapshot-id"],
               "max_reference_age_in_ms": r.get("max-ref-age-ms"),
               "min_snapshots_to_keep": r.get("min-snapshots-to-keep"),
               "max_snapshot_age_in_ms": r.get("max-snapshot-age-ms")} for name, r in want.items()}

    schema = ok("schema", "--json", path).json()
    current = [s for s in md.get("schemas", [md.get("schema")])
               if s.get("schema-id", 0) == md.get("current-schema-id", s.get("schema-id", 0))][0]
    expect = dict(current)
    if expect.get("identifier-field-ids") == []:
        del expect["identifier-field-ids"]
    expect.setdefault("schema-id", 0)
    assert schema == expect
    assert ok("schema", path).out  # the readable tree
    assert ok("snapshots", path).out.startswith("committed_at")
    assert ok("history", path).out.startswith("made_current_at")
    assert ok("refs", path).out.startswith("name")


def test_version_hint_forms(tmp_path):
    """A numeric hint, a stem hint, a stale hint (probe forward) and no hint."""
    src = load_json(fixtures() / "metadata" / "iceberg-java" / "TableMetadataV2Valid.json")
    mdir = tmp_path / "t" / "metadata"
    mdir.mkdir(parents=True)
    for n in (1, 2, 3):
        doc = dict(src, **{"last-updated-ms": src["last-updated-ms"] + n})
        (mdir / f"v{n}.metadata.json").write_text(json.dumps(doc))
    (mdir / "version-hint.text").write_text("1\n")           # stale: probe to v3
    assert ok("describe", "--json", tmp_path / "t").json()["metadata_location"].endswith("v3.metadata.json")
    (mdir / "version-hint.text").write_text("garbage")       # unusable: highest
    assert ok("describe", "--json", tmp_path / "t").json()["metadata_location"].endswith("v3.metadata.json")
    (mdir / "version-hint.text").unlink()
    assert ok("describe", "--json", tmp_path / "t").json()["metadata_location"].endswith("v3.metadata.json")

    cat = tmp_path / "c" / "metadata"
    cat.mkdir(parents=True)
    for i, u in enumerate(["aaaa", "bbbb", "cccc"]):
        (cat / f"{i:05d}-{u}.metadata.json").write_text(json.dumps(src))
    (cat / "version-hint.text").write_text("00001-bbbb")      # stem hint, newer exists
    assert ok("describe", "--json", tmp_path / "c").json()["metadata_location"].endswith("00002-cccc.metadata.json")


def test_path_map_rewrites_locations(tmp_path):
    """--path-map applies to every location the tool opens."""
    src = fixtures() / "metadata" / "iceberg-java" / "TableMetadataV2Valid.json"
    r = ok("--path-map", f"/nowhere/={src.parent}/", "describe", "--json", "/nowhere/" + src.name)
    assert r.json()["metadata_location"] == "/nowhere/" + src.name
