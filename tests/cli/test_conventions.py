"""The command line as scripts and people meet it: git-style help and
version, one-line errors that name the table and then the place, -v that
says what happened, --select in the order asked, one case rule, scan
--output by extension, the same float text everywhere, Parquet row numbers
from 1, and a table preview that lines up wide characters."""
import json
import os
import pty
import re
import subprocess
import unicodedata

import pytest

from conftest import fails, ice_bin, ok, one_line_error, run


@pytest.fixture(scope="module")
def t(tmp_path_factory):
    d = tmp_path_factory.mktemp("conv")
    t = d / "t"
    ok("create", t, "--schema", "id long, Name string, f double, g float")
    csv = d / "a.csv"
    csv.write_text("id,Name,f,g\n1,a,17,17\n2,b,1.5,0.1\n3,c,0.30000000000000004,3.4028235e38\n")
    ok("append", t, csv)
    return t


def test_help_and_version_git_style():
    top = ok("help").out
    assert top == ok("--help").out and "Commands:" in top and "  scan " in top
    scan = ok("help", "scan").out
    assert scan.startswith("Usage: ice scan TABLE") and scan == ok("scan", "-h").out == ok("scan", "--help").out
    v = ok("version").out
    assert re.fullmatch(r"ice \S+ \(libicetable \S+, Iceberg format v1-v\d\)\n", v) and v == ok("--version").out
    assert ok("version", "--json").json()["version"] == ok("--json", "version").json()["version"]
    r = fails(2, "help", "nope")
    one_line_error(r, "unknown command 'nope'")


@pytest.mark.parametrize("args,part", [
    (["scan", "T", "--nope"], "ice: scan: unknown option '--nope'"),
    (["scan", "T", "-x"], "ice: scan: unknown option '-x'"),
    (["scan", "T", "--where"], "ice: scan: option '--where' needs a value"),
    (["append", "T", "--bogus=1"], "ice: append: unknown option '--bogus'"),
    (["namespace", "list", "--zzz"], "ice: namespace: unknown option '--zzz'"),
    (["--nope", "scan"], "ice: unknown option '--nope'"),
])
def test_unknown_option_is_one_line_with_the_ice_prefix(t, args, part):
    r = fails(2, *[str(t) if a == "T" else a for a in args])
    line = one_line_error(r, part)
    assert line.startswith("ice: ")


def test_errors_name_the_table_then_the_place(t):
    r = fails(1, "scan", t, "--snapshot", "123")
    assert one_line_error(r) == f"ice: {t}: scan: no snapshot 123"
    r = fails(1, "files", t, "--ref", "nope")
    one_line_error(r, f"ice: {t}: files: ")


def test_verbose_says_what_happened(t, tmp_path):
    t2 = tmp_path / "v"
    ok("create", t2, "--schema", "id long")
    (tmp_path / "x.csv").write_text("id\n1\n")
    r = run("-v", "append", t2, tmp_path / "x.csv")
    assert r.code == 0
    lines = r.err.splitlines()
    assert any(ln.startswith(f"ice: {t2}: table directory") for ln in lines), r.err
    assert any(re.match(r"ice: wrote .*\.parquet: 1 rows, \d+ bytes$", ln) for ln in lines), r.err
    assert any(re.match(r"ice: .*: append committed as .*v2\.metadata\.json \(attempt 1, \d+ ms\)$", ln)
               for ln in lines), r.err
    assert re.match(r"ice: append: exit 0 after \d+\.\d{3} s$", lines[-1]), r.err
    r = run("scan", t2, "-v", "--format", "csv")
    assert r.code == 0 and any(re.match(r"ice: reading .*\.parquet: 1 rows, 0 delete files$", ln)
                               for ln in r.err.splitlines()), r.err
    # without -v: nothing on stderr
    assert run("scan", t2, "--format", "csv").err == ""


def test_select_keeps_order_and_repeats_add(t):
    out = ok("scan", t, "--select", "f,id", "--select", "Name", "--format", "csv", "--limit", "1").out
    assert out.splitlines()[0] == "f,id,Name"
    rows = [json.loads(x) for x in ok("scan", t, "--select", "Name, id", "--format", "jsonl").out.splitlines()]
    assert [list(r) for r in rows] == [["Name", "id"]] * 3


def test_one_case_rule(t, tmp_path):
    # exact by default: scan --select / --where, append headers, delete
    one_line_error(fails(1, "scan", t, "--select", "name"), "name")
    one_line_error(fails(1, "scan", t, "--where", "NAME = 'a'"), "NAME")
    out = ok("scan", t, "--select", "name", "--where", "NAME = 'a'", "--case-insensitive", "--format", "csv").out
    assert out == "Name\na\n"
    t2 = tmp_path / "c"
    ok("create", t2, "--schema", "id long, Name string")
    (tmp_path / "h.csv").write_text("ID,name\n1,x\n")
    r = fails(1, "append", t2, tmp_path / "h.csv")
    one_line_error(r, "unknown column 'ID'", "'id' differs in case: --case-insensitive")
    (tmp_path / "h.jsonl").write_text('{"ID": 2, "NAME": "y"}\n')
    one_line_error(fails(1, "append", t2, tmp_path / "h.jsonl"), "unknown column 'ID'")
    ok("append", t2, tmp_path / "h.csv", "--case-insensitive")
    ok("append", t2, tmp_path / "h.jsonl", "--case-insensitive")
    pq = tmp_path / "h.parquet"
    ok("scan", t2, "--output", pq)  # columns id, Name
    t3 = tmp_path / "p"
    ok("create", t3, "--schema", "ID long, NAME string")
    one_line_error(fails(1, "append", t3, pq), "unknown column")
    ok("append", t3, pq, "--case-insensitive")
    assert sorted(ok("scan", t3, "--format", "csv").out.splitlines()) == ["1,x", "2,y", "ID,NAME"]
    one_line_error(fails(1, "delete", t2, "--where", "ID = 1"), "ID")
    ok("delete", t2, "--where", "ID = 1", "--case-insensitive")
    assert ok("scan", t2, "--format", "csv").out == "id,Name\n2,y\n"


def test_output_format_follows_the_extension(t, tmp_path):
    for name, check in [("o.parquet", lambda b: b[:4] == b"PAR1" and b[-4:] == b"PAR1"),
                        ("o.jsonl", lambda b: json.loads(b.splitlines()[0])["id"] == 1),
                        ("o.ndjson", lambda b: json.loads(b.splitlines()[0])["id"] == 1),
                        ("o.csv", lambda b: b.startswith(b"id,Name,f,g\n")),
                        ("o.txt", lambda b: b.startswith(b"id,Name,f,g\n"))]:
        out = tmp_path / name
        ok("scan", t, "--output", out)
        assert check(out.read_bytes()), name
    out = tmp_path / "forced.parquet"
    ok("scan", t, "--output", out, "--format", "csv")  # --format wins
    assert out.read_bytes().startswith(b"id,")


def test_parquet_to_a_terminal_is_refused(t):
    master, slave = pty.openpty()
    try:
        p = subprocess.run([ice_bin(), "scan", str(t), "--format", "parquet"], stdout=slave,
                           stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    err = p.stderr.decode()
    assert p.returncode == 2 and err.count("\n") == 1 and "--output FILE.parquet" in err, err


def test_float_text_is_the_same_in_scan_and_parquet_rows(t, tmp_path):
    scan = [json.loads(x) for x in ok("scan", t, "--format", "jsonl").out.splitlines()]
    pq = tmp_path / "f.parquet"
    ok("scan", t, "--output", pq)
    rows_text = ok("parquet", pq, "--rows").out
    assert [json.loads(x) for x in rows_text.splitlines()] == scan
    scan_text = ok("scan", t, "--format", "jsonl").out
    for token in ['"f":17.0', '"g":17.0', '"f":0.30000000000000004', '"g":0.1', '"g":3.4028235e+38']:
        assert token in scan_text and token in rows_text, token


def test_parquet_error_rows_count_from_1(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    t = tmp_path / "t"
    ok("create", t, "--schema", "n int")
    f = tmp_path / "big.parquet"
    pq.write_table(pa.table({"n": pa.array([1, 2, 2**40], pa.int64())}), f)
    one_line_error(fails(1, "append", t, f), f"{f}: row 3, column 'n': 1099511627776 does not fit an int")


def width(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def test_table_preview_aligns_wide_characters(tmp_path):
    t = tmp_path / "t"
    ok("create", t, "--schema", "id int, name string, n int")
    long = "這是一個非常長的中文字符串用來測試截斷的功能是否正確工作吧真的很長很長很長"
    (tmp_path / "w.csv").write_text(f"id,name,n\n1,東京タワー,1\n2,abc,2\n3,e\u0301t\u00e9,3\n4,{long},4\n5,😀x,5\n")
    ok("append", t, tmp_path / "w.csv")
    out = ok("scan", t, "--format", "table").out.splitlines()
    grid = [ln for ln in out if not ln.startswith("(")]
    assert len({width(ln.rstrip()) for ln in grid if ln.strip()} | {width(grid[0].rstrip())}) == 1, "\n".join(out)
    # the column after the wide text starts at the same column on every line
    starts = {width(ln[:ln.rindex(" ") + 1]) for ln in grid}
    assert len(starts) == 1, "\n".join(out)
    assert "…" in "\n".join(out)


def test_s3a_locations_hint_at_path_map(fx, tmp_path):
    """A table copied from S3 without S3 configured (no credentials, no
    endpoint): the error says how to read it from the copy."""
    T = fx / "tables" / "iceberg-cxx" / "partition_evolution"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(tmp_path), ICE_CONFIG=str(tmp_path / "none"), AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    p = subprocess.run([ice_bin(), "scan", str(T), "--limit", "1"], capture_output=True, text=True, env=env,
                       timeout=120)
    assert p.returncode == 1 and p.stderr.count("\n") == 1, p.stderr
    line = p.stderr.strip()
    assert line.startswith(f"ice: {T}: scan: s3a://warehouse/partition_evolution/metadata/"), line
    assert "--path-map s3a://warehouse/partition_evolution=DIR" in line
    ok("--path-map", f"s3a://warehouse/partition_evolution={T}", "scan", T, "--limit", "1")
