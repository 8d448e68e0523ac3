"""Output a script can rely on: every command of `ice --help` honours
--json with valid JSON on success, and the JSON ice invents has one key
style, snake_case (the column names of Iceberg's metadata tables). Spec
JSON (the metadata file, schemas, partition specs, sort orders) keeps the
spec's keys; maps whose keys are data (properties, snapshot summaries,
partition tuples, column metrics, rows) are not checked."""
import json
import os
import re
import subprocess
import time

import pytest

from conftest import REPO, ice_bin, ok, run

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")

# Values whose keys are the spec's (kebab-case) or data, not ice's words.
SPEC_VALUED = {"schema", "schemas", "partition_spec", "sort_order"}
DATA_VALUED = {"properties", "summary", "partition", "column_sizes", "value_counts", "null_value_counts",
               "nan_value_counts", "lower_bounds", "upper_bounds", "key_value_metadata", "readable_metrics"}
# Commands whose whole output is spec JSON (docs/commands/README.md "JSON output").
SPEC_COMMANDS = {"metadata", "schema", "spec"}
# Runs whose --json output is JSON Lines (one object per row): rows.
def json_lines(cmd, args):
    return (cmd == "scan" and "--plan" not in args) or (cmd == "parquet" and "--rows" in args) or cmd == "changes"


def bad_keys(value, path="$"):
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            if not SNAKE.match(k):
                out.append(f"{path}.{k}")
            if k in SPEC_VALUED or k in DATA_VALUED:
                continue
            out += bad_keys(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += bad_keys(v, f"{path}[{i}]")
    return out


def commands():
    text = ok("--help").out
    return re.findall(r"^  ([a-z-]+) ", text, re.M)


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    d = tmp_path_factory.mktemp("json")
    w = str(d / "wh")
    ok("catalog", "init", w)
    ok("--catalog", w, "namespace", "create", "db")
    ok("--catalog", w, "create", "db.t", "--schema", "id long, name string, m map<string, int>, f double",
       "--partition", "bucket(4, id)")
    ok("--catalog", w, "create", "db.e", "--schema", "id long")
    ok("--catalog", w, "create", "db.r", "--schema", "id long")
    csv = d / "a.csv"
    csv.write_text("id,name,f\n1,a,17\n2,b,1.5\n3,c,2.25\n")
    for _ in range(3):
        ok("--catalog", w, "append", "db.t", csv, "--summary", "job=load")
    ok("--catalog", w, "tag", "create", "db.t", "v1")
    return d, w, csv


def invocations(d, w, csv, cmd, parquet):
    """The --json runs of each command (each must exit 0)."""
    c = ["--catalog", w]
    table = {
        "describe": [["db.t"], ["db"]],
        "schema": [["db.t"]],
        "snapshots": [["db.t"]],
        "last-value": [["db.t", "job"]],
        "changes": [["db.t", "--from-snapshot", "FIRST"]],
        "history": [["db.t"]],
        "refs": [["db.t"]],
        "metadata": [["db.t"]],
        "spec": [["db.t"]],
        "uuid": [["db.t"]],
        "location": [["db.t"]],
        "properties": [["get", "db.t"], ["set", "db.t", "k", "v"], ["get", "db.t", "k"], ["remove", "db.t", "k"],
                       ["set", "db", "owner=me"], ["get", "db"]],
        "parquet": [[parquet], [parquet, "--schema"], [parquet, "--metadata"], [parquet, "--rows"]],
        "manifests": [["db.t"]],
        "files": [["db.t"]],
        "scan": [["db.t"], ["db.t", "--plan"], ["db.t", "--select", "name,id", "--limit", "2"]],
        "partitions": [["db.t"]],
        "entries": [["db.t"]],
        "create": [["db.n", "--schema", "id long"]],
        "append": [["db.t", csv], ["db.t", csv, "--idempotency-key", "k1"], ["db.t", csv, "--idempotency-key", "k1"]],
        "add-files": [["db.t", parquet]],
        "catalog": [["list"], ["init", str(d / "wh2")]],
        "namespace": [["create", "ns2"], ["list"], ["properties", "ns2"], ["drop", "ns2"]],
        "list": [[], ["db"]],
        "rename": [["db.r", "db.r2"]],
        "drop": [["db.n"]],
        "register": [["db.reg", sorted((d / "wh" / "db" / "e" / "metadata").glob("v*.metadata.json"))[-1]]],
        "alter": [["db.t", "--set", "a=b"]],
        "tag": [["create", "db.t", "v2"], ["list", "db.t"], ["drop", "db.t", "v2"]],
        "branch": [["create", "db.t", "b1"], ["list", "db.t"], ["drop", "db.t", "b1"]],
        "rollback": [["db.t", "--set-current", "CURRENT"]],
        "delete": [["db.t", "--where", "id = 3"]],
        "overwrite": [["db.t", csv, "--where", "id = 1"]],
        "rewrite-manifests": [["db.t"]],
        "compact": [["db.t", "--dry-run"], ["db.t", "--rewrite-all"]],
        "maintain": [["db.t", "--dry-run"]],
        "expire-snapshots": [["db.t", "--retain-last", "1", "--older-than", "1ms", "--dry-run"]],
        "remove-orphan-files": [["db.t", "--dry-run"]],
        "serve": "server",
        "presign": "aws",
        "help": "none",
        "version": [[]],
    }
    return c, table.get(cmd)


def top_keys(cmd, args, out):
    """The keys of the object (or of the rows) a run printed, for the docs."""
    if json_lines(cmd, args) or cmd in SPEC_COMMANDS:
        return set()
    doc = json.loads(out)
    rows = doc if isinstance(doc, list) else [doc]
    return {k for r in rows if isinstance(r, dict) for k in r}


def check(cmd, args, out):
    if json_lines(cmd, args):
        docs = [json.loads(line) for line in out.splitlines()]
        assert docs, f"ice {cmd} --json printed nothing"
        return []  # rows: keys are column names
    doc = json.loads(out)
    if cmd in SPEC_COMMANDS:
        return []
    return bad_keys(doc)


def test_every_command_prints_json_with_snake_case_keys(wh):
    d, w, csv = wh
    src = next((d / "wh" / "db" / "t" / "data").rglob("*.parquet"))
    parquet = d / "wh" / "db" / "t" / "data" / "copy.parquet"  # add-files: a file the table does not have yet
    parquet.write_bytes(src.read_bytes())
    problems, seen, keys = [], [], {}
    for cmd in commands():
        c, runs = invocations(d, w, csv, cmd, parquet)
        assert runs is not None, f"ice {cmd}: no --json run here: add one to tests/cli/test_json_output.py"
        if runs == "none":
            continue
        if runs == "server":
            p = subprocess.Popen([ice_bin(), *c, "--json", "serve", "--listen", "127.0.0.1:0"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            try:
                line = p.stdout.readline()
            finally:
                p.terminate()
                p.wait(timeout=60)
            problems += [f"serve: {k}" for k in bad_keys(json.loads(line))]
            seen.append(cmd)
            continue
        if runs == "aws":
            # Signed here, nothing sent: keys and an endpoint nobody listens on.
            env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="not-a-real-secret",
                       AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_REGION="us-east-1")
            p = subprocess.run([ice_bin(), *c, "--json", cmd, "s3://bucket/db/t/data/x.parquet"], env=env,
                               capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stderr
            problems += [f"{cmd}: {k}" for k in check(cmd, [], p.stdout)]
            keys.setdefault(cmd, set()).update(top_keys(cmd, [], p.stdout))
            seen.append(cmd)
            continue
        for args in runs:
            if "CURRENT" in args:
                cur = ok(*c, "--json", "describe", "db.t").json()["current_snapshot_id"]
                args = [str(cur) if a == "CURRENT" else a for a in args]
            if "FIRST" in args:
                first = ok(*c, "--json", "snapshots", "db.t").json()[0]["snapshot_id"]
                args = [str(first) if a == "FIRST" else a for a in args]
            r = ok(*c, "--json", cmd, *args)
            try:
                problems += [f"{cmd} {' '.join(map(str, args))}: {k}" for k in check(cmd, args, r.out)]
                keys.setdefault(cmd, set()).update(top_keys(cmd, args, r.out))
            except json.JSONDecodeError as e:
                problems.append(f"{cmd} {' '.join(map(str, args))}: not JSON ({e}): {r.out[:200]!r}")
        seen.append(cmd)
    assert not problems, "\n".join(problems)
    assert {"scan", "namespace", "properties", "rename"} <= set(seen)
    # each command's page documents its JSON: a "## JSON" section naming every key
    undocumented = []
    for cmd in commands():
        page = (REPO / "docs" / "commands" / f"{cmd}.md").read_text()
        section = page.split("\n## JSON\n", 1)
        if len(section) != 2:
            undocumented.append(f"{cmd}: no '## JSON' section")
            continue
        undocumented += [f"{cmd}: `{k}`" for k in sorted(keys.get(cmd, ())) if f"`{k}`" not in section[1]
                         and f'"{k}"' not in section[1]]
    assert not undocumented, "docs/commands pages miss JSON keys:\n" + "\n".join(undocumented)


def test_json_after_the_command_too(wh):
    d, w, csv = wh
    assert ok("--catalog", w, "namespace", "create", "nsj", "--json").json() == {"namespace": "nsj",
                                                                                "created": True}
    assert ok("--catalog", w, "namespace", "drop", "nsj", "--json").json() == {"namespace": "nsj", "dropped": True}


def test_scan_json_is_json_lines(wh):
    d, w, csv = wh
    r = ok("--catalog", w, "--json", "scan", "db.t", "--where", "id = 2", "--select", "f,id")
    rows = [json.loads(line) for line in r.out.splitlines()]
    assert rows and all(list(x) == ["f", "id"] and x == {"f": 1.5, "id": 2} for x in rows)


def test_rows_tables_use_metadata_table_columns(wh):
    d, w, csv = wh
    c = ["--catalog", w]
    snaps = ok(*c, "--json", "snapshots", "db.t").json()
    assert set(snaps[0]) >= {"committed_at_ms", "snapshot_id", "parent_id", "operation", "manifest_list", "summary"}
    assert snaps[0]["summary"]["operation"] == "append"
    refs = ok(*c, "--json", "refs", "db.t").json()
    assert {r["name"]: r["type"] for r in refs} == {"main": "branch", "v1": "tag"}
    assert set(refs[0]) == {"name", "type", "snapshot_id", "max_reference_age_in_ms", "min_snapshots_to_keep",
                            "max_snapshot_age_in_ms"}
    hist = ok(*c, "--json", "history", "db.t").json()
    assert set(hist[0]) == {"made_current_at_ms", "snapshot_id", "parent_id", "is_current_ancestor"}
    ids = d / "ids.csv"
    ids.write_text("id\n7\n")
    r = ok(*c, "--json", "append", "db.e", ids)
    assert "snapshot_id" in r.json() and "snapshot-id" not in r.out
