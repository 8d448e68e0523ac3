"""Tables Java upgraded from format v1 (spec-fixtures/upgraded, made by
Spark 3.5.9 + Iceberg 1.12.0: see generate.py there): their v1 snapshots
have no sequence-number in v2/v3 metadata, which reads as 0 (spec
"Sequence Numbers"), and files written at v1 carry deletes written later
(position delete files at v2, deletion vectors at v3). ice reads every
snapshot with the rows Spark read, inspects them, and writes the metadata
back in Java's shape; the other v2 requirements stay strict."""
import json
import pathlib

import pytest

from conftest import REPO, fails, load_json, ok, one_line_error

HERE = REPO / "spec-fixtures" / "upgraded"
EXPECTED = json.loads((HERE / "expected.json").read_text())
CASES = sorted(EXPECTED["cases"])


def table(case):
    return HERE / case


def path_map(case):
    return ["--path-map", f"{EXPECTED['warehouse']}/db/{case}={table(case)}"]


def current(case) -> pathlib.Path:
    files = sorted((table(case) / "metadata").glob("v*.metadata.json"), key=lambda p: int(p.name[1:].split(".")[0]))
    return files[-1]


def test_cases_are_upgraded_tables():
    assert CASES == ["v1_to_v2", "v1_to_v2_to_v3", "v1_to_v3"]
    for case in CASES:
        md = load_json(current(case))
        assert md["format-version"] >= 2
        first = md["snapshots"][0]
        assert "sequence-number" not in first, "the fixture is not in the shape Java writes"


@pytest.mark.parametrize("case", CASES)
def test_every_snapshot_reads_as_spark_read_it(case):
    exp = EXPECTED["cases"][case]
    for snap in exp["snapshots"]:
        out = ok(*path_map(case), "scan", table(case), "--snapshot", snap["snapshot-id"], "--format", "jsonl").out
        rows = sorted((json.loads(line) for line in out.splitlines()), key=lambda r: r["id"])
        assert [[r[c] for c in exp["columns"]] for r in rows] == snap["rows"], (case, snap["snapshot-id"])


@pytest.mark.parametrize("case", CASES)
def test_v1_snapshots_have_sequence_number_0(case):
    md = load_json(current(case))
    snaps = ok("--json", "snapshots", table(case)).json()
    assert [s["snapshot_id"] for s in snaps] == [s["snapshot-id"] for s in md["snapshots"]]
    for mine, theirs in zip(snaps, md["snapshots"]):
        assert mine["sequence_number"] == theirs.get("sequence-number", 0)
    assert snaps[0]["sequence_number"] == 0
    # files written at v1 keep data sequence number 0; the deletes over them are newer
    entries = ok(*path_map(case), "--json", "entries", table(case)).json()
    seqs = {e["entry"]["data_file"]["content"]: [] for e in entries}
    for e in entries:
        seqs[e["entry"]["data_file"]["content"]].append(e["entry"]["sequence_number"])
    assert 0 in seqs[0], seqs
    assert min(seqs[1]) > 0, seqs


@pytest.mark.parametrize("case", CASES)
def test_inspection_at_every_snapshot(case):
    for snap in EXPECTED["cases"][case]["snapshots"]:
        for cmd in ("files", "manifests", "entries", "partitions", "describe", "schema", "snapshots"):
            ok(*path_map(case), cmd, table(case), "--snapshot", snap["snapshot-id"])
        ok(*path_map(case), "scan", table(case), "--snapshot", snap["snapshot-id"], "--plan")


@pytest.mark.parametrize("case", CASES)
def test_written_back_in_javas_shape(case, tmp_path):
    src = load_json(current(case))
    out = ok("metadata", "--compact", current(case)).json()
    assert [s.get("sequence-number") for s in out["snapshots"]] == \
        [s.get("sequence-number") for s in src["snapshots"]]
    again = tmp_path / "again.metadata.json"
    again.write_text(json.dumps(out))
    assert ok("metadata", "--compact", again).json() == out
    up = ok("metadata", "--compact", "--upgrade", "3", current(case)).json()
    assert "sequence-number" not in up["snapshots"][0]


def test_other_v2_requirements_stay_strict(tmp_path):
    src = load_json(current("v1_to_v2"))
    cases = [
        (lambda d: d["snapshots"][0].pop("summary"), "missing required field 'summary'"),
        (lambda d: d.pop("last-sequence-number"), "missing required field 'last-sequence-number'"),
        (lambda d: d["snapshots"][2].__setitem__("sequence-number", 99),
         "snapshot sequence number 99 is above last-sequence-number"),
    ]
    for i, (break_it, message) in enumerate(cases):
        doc = json.loads(json.dumps(src))
        break_it(doc)
        bad = tmp_path / f"bad{i}.metadata.json"
        bad.write_text(json.dumps(doc))
        one_line_error(fails(1, "metadata", bad), message)
