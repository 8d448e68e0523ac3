"""Metadata builder golden cases (spec-fixtures/builder/*.json): a base
document (or none, for a create), requirements, a list of REST TableUpdate
objects, and the expected result: members of the new metadata, the effective
updates, or an error and its exit code. Run through `ice metadata --apply`."""
import json
import pathlib

import pytest

from conftest import REPO, fixtures, load_json, run

CASES = sorted((REPO / "spec-fixtures" / "builder").glob("*.json"))


def test_there_are_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_builder_case(case, tmp_path):
    c = json.loads(case.read_text())
    assert c["description"]
    updates = tmp_path / "updates.json"
    updates.write_text(json.dumps(c["updates"]))
    args = ["metadata", "--compact", "--apply", updates]
    if c["base"]:
        args.insert(1, fixtures() / c["base"])
    else:
        args.append("--new")
    if "now" in c:
        args += ["--now", c["now"]]
    if c.get("previous-location"):
        args.append("--previous-location")
    if "requirements" in c:
        reqs = tmp_path / "reqs.json"
        reqs.write_text(json.dumps(c["requirements"]))
        args += ["--requirements", reqs]

    r = run(*args)
    if "expect-error" in c:
        assert r.code == c.get("expect-exit", 1), (r.code, r.err)
        assert r.out == ""
        assert r.err.count("\n") == 1 and r.err.startswith("ice: "), r.err
        assert c["expect-error"] in r.err, r.err
        return
    assert r.code == 0, r.err
    out = r.json()
    for key, value in c.get("expect", {}).items():
        assert out.get(key) == value, f"{key}: {json.dumps(out.get(key))}"
    for key in c.get("expect-absent", []):
        assert key not in out, key
    if c.get("expect-metadata-log-last"):
        base = load_json(fixtures() / c["base"])
        assert out["metadata-log"] == [{"timestamp-ms": base["last-updated-ms"],
                                        "metadata-file": str(fixtures() / c["base"])}]
    if "expect-changes" in c:
        changes = run(*(args + ["--changes"]))
        assert changes.code == 0, changes.err
        assert changes.json() == c["expect-changes"]
    # The result is itself valid metadata that round-trips.
    again = tmp_path / "result.metadata.json"
    again.write_text(r.out)
    assert run("metadata", "--compact", again).json() == out
