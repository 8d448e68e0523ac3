"""Ingestion: CSV read a block at a time with its columns converted in
parallel, and inputs as real-world files come.

- The same input appended with --threads 1 and --threads 2 gives the same
  rows (read by PyIceberg), whether its lines hold quotes (the record
  splitter) or not (lines split in parallel), across many blocks.
- A bad value deep in the input (past the first blocks) names its line, and
  rejected rows of several blocks reach the reject file in input order.
- Real-world files (issue 17): a UTF-8 byte-order mark, gzip and zstd input
  (by extension and by magic number on standard input; other compressions
  refused by name), PostgreSQL's COPY text format with arrays, JSON arrays
  of objects, --schema-from on .jsonl and .tsv, values that say why they
  are refused (--trim, --round-decimals, nanoseconds dropped, no hex
  floats), the reject file's reasons and --max-rejects, an append without
  rows, progress lines, and old metadata files deleted as Java does.
"""
import gzip
import json
import random
import re

from support import current_metadata, ice, ice_fails, ice_ok, metadata_files, pyiceberg_rows


def make(tmp_path, name="t", schema="id long required, price decimal(10,2), d date, s string", extra=()):
    t = tmp_path / name
    ice_ok("create", t, "--schema", schema, "--partition", "month(d)", *extra)
    return t


def big_csv(path, n, quoted_every=0, bad_rows=()):
    rng = random.Random(7)
    lines = ["id,price,d,s"]
    expected = []
    for i in range(n):
        day = f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        price = f"{rng.randrange(0, 100000) / 100:.2f}"
        s = f"w{rng.randrange(1000)} x"
        if quoted_every and i % quoted_every == 0:
            s = f'he said ""{i}"", then,\nleft'
            field = f'"{s}"'
            s = s.replace('""', '"')
        else:
            field = s
        if i in bad_rows:
            lines.append(f"{i},{price},notadate,{field}")
            continue
        lines.append(f"{i},{price},{day},{field}")
        expected.append((i, price, day, s))
    path.write_text("\n".join(lines) + "\n")
    return expected


def rows_of(t):
    return sorted((r["id"], f"{r['price']:.2f}", r["d"].isoformat(), r["s"]) for r in pyiceberg_rows(current_metadata(t)))


def same_rows_with_one_and_two_threads(tmp_path, f, expected, prefix, check=None):
    """`f` appended with --threads 1 and 2: each reports and holds the
    expected rows (`check` runs on each table too)."""
    got = []
    for threads in ("1", "2"):
        t = make(tmp_path, f"{prefix}{threads}")
        r = ice_ok("--json", "append", t, f, "--threads", threads).json()
        assert r["rows"] == len(expected)
        if check:
            check(t)
        got.append(rows_of(t))
    assert got[0] == got[1] == sorted(expected)


def test_threads_give_the_same_rows_with_and_without_quotes(tmp_path):
    for quoted_every in (0, 97):
        f = tmp_path / f"in{quoted_every}.csv"
        expected = big_csv(f, 30000, quoted_every=quoted_every)
        same_rows_with_one_and_two_threads(tmp_path, f, expected, f"t{quoted_every}_")


def test_bad_value_past_the_first_blocks_and_rejects_in_order(tmp_path):
    f = tmp_path / "in.csv"
    bad = (5, 20000, 20001, 29999)
    expected = big_csv(f, 30000, bad_rows=bad)
    t = make(tmp_path)
    e = ice_fails(1, "append", t, f, "--threads", "2")
    assert f"{f}: line 7, column 3 (d): cannot convert 'notadate' to date" in e.err
    rej = tmp_path / "rej.csv"
    r = ice_ok("--json", "append", t, f, "--reject-file", rej, "--threads", "2").json()
    assert r["rows"] == len(expected) and r["rejected"] == 4
    ids = [int(line.split(",")[0]) for line in rej.read_text().splitlines()[1:]]
    assert ids == list(bad)
    assert rows_of(t) == sorted(expected)


def test_a_bad_row_found_while_earlier_blocks_are_written_leaves_nothing(tmp_path):
    """With two threads the blocks are parsed ahead of writing: a bad value
    in a late block fails the append after earlier blocks went to data
    files, which are deleted; the table is as it was."""
    f = tmp_path / "in.csv"
    big_csv(f, 60000, bad_rows=(52345,))
    t = make(tmp_path)
    before = sorted(p.name for p in (t / "metadata").iterdir())
    e = ice_fails(1, "append", t, f, "--threads", "2")
    assert f"{f}: line 52347, column 3 (d): cannot convert 'notadate' to date" in e.err, e.err
    assert sorted(p.name for p in (t / "metadata").iterdir()) == before
    assert not (t / "data").exists() or not [p for p in (t / "data").rglob("*") if p.is_file()]
    ice_ok("append", t, f, "--threads", "2", "--reject-file", tmp_path / "rej.csv")
    assert len(rows_of(t)) == 59999


def test_wrong_field_count_in_a_later_block(tmp_path):
    f = tmp_path / "in.csv"
    big_csv(f, 20000)
    lines = f.read_text().splitlines()
    lines[15000] += ",extra"
    f.write_text("\n".join(lines) + "\n")
    t = make(tmp_path)
    e = ice_fails(1, "append", t, f)
    assert f"{f}: line 15001: 5 fields, expected 4" in e.err


# ---- real-world files (issue 17) -------------------------------------------------------

def simple(tmp_path, name="t", schema="id long, s string"):
    t = tmp_path / name
    ice_ok("create", t, "--schema", schema)
    return t


def scan_rows(t):
    out = ice_ok("scan", t, "--format", "jsonl").out
    return [json.loads(line) for line in out.splitlines() if line]


def test_utf8_bom_is_skipped(tmp_path):
    t = simple(tmp_path)
    f = tmp_path / "excel.csv"
    f.write_bytes(b"\xef\xbb\xbfid,s\n1,a\n")
    ice_ok("append", t, f)
    assert scan_rows(t) == [{"id": 1, "s": "a"}]


def test_gzip_and_zstd_by_extension_and_by_magic_on_stdin(tmp_path):
    import zstandard
    t = simple(tmp_path)
    text = b"id,s\n1,a\n2,b\n"
    gz = tmp_path / "in.csv.gz"
    gz.write_bytes(gzip.compress(text) + gzip.compress(b"3,c\n"))  # two members
    zs = tmp_path / "in.csv.zst"
    zs.write_bytes(zstandard.ZstdCompressor().compress(text))
    ice_ok("append", t, gz)
    ice_ok("append", t, zs)
    ice_ok("append", t, "-", stdin=gzip.compress(text))
    ice_ok("append", t, "-", stdin=zstandard.ZstdCompressor().compress(text))
    jl = tmp_path / "in.jsonl.gz"
    jl.write_bytes(gzip.compress(b'{"id": 9, "s": "j"}\n'))
    ice_ok("append", t, jl)
    assert sorted(r["id"] for r in scan_rows(t)) == [1, 1, 1, 1, 2, 2, 2, 2, 3, 9]


def test_unknown_or_broken_compression_is_a_clear_error(tmp_path):
    import bz2
    t = simple(tmp_path)
    f = tmp_path / "in.csv.bz2"
    f.write_bytes(bz2.compress(b"id,s\n1,a\n"))
    e = ice_fails(1, "append", t, f)
    assert e.err.strip() == f"ice: {t}: append: {f}: bzip2-compressed input is not read (gzip and zstd are: decompress it first)"
    e = ice_fails(1, "append", t, "-", stdin=bz2.compress(b"id,s\n1,a\n"))
    assert "<stdin>: bzip2-compressed input is not read" in e.err
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(b"id,s\n" + b"1,a\n" * 1000)[:40])
    e = ice_fails(1, "append", t, cut)
    assert f"{cut}: " in e.err and ("cut short" in e.err or "corrupt" in e.err)
    notgz = tmp_path / "plain.csv.gz"
    notgz.write_text("id,s\n1,a\n")
    e = ice_fails(1, "append", t, notgz)
    assert "not gzip data" in e.err
    assert len(metadata_files(t)) == 1


def test_postgres_copy_text_format(tmp_path):
    t = simple(tmp_path, schema="id long, s string, ts timestamptz, b boolean, tags list<string>, n list<int>")
    f = tmp_path / "copy.txt"
    # as COPY ... TO STDOUT (text) writes it: tabs, \N, backslash escapes, arrays
    f.write_bytes(b"1\tann\\tx\t\\N\tt\t{a,\"b c\",NULL,\"q\\\\\"x\"}\t{1,2}\n"
                  b"2\t\\\\back\\012slash\\x41\t2024-01-01 10:00:00+02\tf\t{}\t\\N\n"
                  b"3\t\t2024-01-01 10:00:00 UTC\ttrue\t\\N\t{3}")
    ice_ok("append", t, "--format", "pgtext", f)
    rows = sorted(scan_rows(t), key=lambda r: r["id"])
    assert rows[0]["s"] == "ann\tx" and rows[0]["ts"] is None and rows[0]["b"] is True
    assert rows[0]["tags"] == ["a", "b c", None, 'q"x'] and rows[0]["n"] == [1, 2]
    assert rows[1]["s"] == "\\back\nslashA" and rows[1]["ts"] == "2024-01-01T08:00:00.000000+00:00"
    assert rows[1]["b"] is False and rows[1]["tags"] == [] and rows[1]["n"] is None
    assert rows[2]["s"] == "" and rows[2]["ts"] == "2024-01-01T10:00:00.000000+00:00" and rows[2]["n"] == [3]
    # PostgreSQL's CSV form of arrays (COPY ... CSV): a quoted field holding {..}
    c = tmp_path / "copy.csv"
    c.write_text('id,tags,b\n4,"{x,""y z""}",yes\n5,{},0\n')
    t2 = simple(tmp_path, "t2", "id long, tags list<string>, b boolean")
    ice_ok("append", t2, c)
    assert sorted(scan_rows(t2), key=lambda r: r["id"]) == [{"id": 4, "tags": ["x", "y z"], "b": True},
                                                          {"id": 5, "tags": [], "b": False}]


def test_json_array_of_objects(tmp_path):
    t = simple(tmp_path)
    f = tmp_path / "in.json"
    f.write_text('[\n  {"id": 1, "s": "a,]"},\n  {"id": 2, "s": "b"}\n]\n')
    ice_ok("append", t, f)
    assert sorted(r["id"] for r in scan_rows(t)) == [1, 2]
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": 1},\n {"id": "x"}]')
    e = ice_fails(1, "append", t, bad)
    assert f"{bad}: line 2 (id)" in e.err
    e = ice_fails(1, "append", t, "-", "--format", "jsonl", stdin=b'[{"id": 1}')
    assert "the JSON array is not closed" in e.err


def test_schema_from_jsonl_and_tsv_as_append_reads_them(tmp_path):
    tsv = tmp_path / "in.tsv"
    tsv.write_text("id\tname\tts\n1\tann\t2024-01-01 10:00:00\n")
    t = tmp_path / "t"
    ice_ok("create", t, "--schema-from", tsv)
    out = ice_ok("schema", t).out
    assert "name" in out and "\t" not in out.replace("    ", "")
    ice_ok("append", t, tsv)
    jl = tmp_path / "in.jsonl"
    jl.write_text('{"id": 1, "name": "a", "tags": [1, 2], "d": "2024-01-02", "x": 1.5, "ok": true}\n'
                  '{"id": 2, "x": 2, "tags": null}\n')
    t2 = tmp_path / "t2"
    ice_ok("create", t2, "--schema-from", jl)
    sch = ice_ok("--json", "schema", t2).out
    for want in ('"long"', '"double"', '"date"', '"boolean"', '"list"'):
        assert want in sch
    ice_ok("append", t2, jl)
    assert sorted(r["id"] for r in scan_rows(t2)) == [1, 2]


def test_values_say_why_and_follow_the_options(tmp_path):
    t = simple(tmp_path, schema="i int, d decimal(5,2), f double, ts timestamp, tn timestamp")
    f = tmp_path / "in.csv"

    def fails(line):
        f.write_text("i,d,f,ts,tn\n" + line + "\n")
        return ice_fails(1, "append", t, f).err.strip()

    assert fails("1,1.234,1,,").endswith(
        "(d): cannot convert '1.234' to decimal(5, 2): it has 3 digits after the point; decimal(5, 2) takes 2 "
        "(--round-decimals rounds)")
    assert fails("1,1234.5,1,,").endswith("it has more than 3 digits before the point; decimal(5, 2) takes 3")
    assert fails("99999999999,1,1,,").endswith("(i): cannot convert '99999999999' to int: out of range for int "
                                               "(-2147483648 to 2147483647)")
    assert fails("1,1,0x10,,").endswith("(f): cannot convert '0x10' to double: a hexadecimal number (write it in "
                                        "decimal)")
    assert fails(" 12,1,1,,").endswith("(i): cannot convert ' 12' to int: spaces around the value (--trim drops "
                                       "them)")
    assert fails("1,1,1,2024-13-01,").endswith("not a timestamp (YYYY-MM-DD[ HH:MM[:SS[.fraction]]] with Z, "
                                               "+HH:MM or UTC for a zone)")
    assert len(metadata_files(t)) == 1
    f.write_text("i,d,f,ts,tn\n 12 ,1.235,1e3, 2024-01-01 10:00:00.123456789 ,2024-01-01\n")
    ice_ok("append", t, f, "--trim", "--round-decimals")
    (r,) = scan_rows(t)
    assert r["i"] == 12 and r["d"] == "1.24" and r["f"] == 1000.0
    assert r["ts"] == "2024-01-01T10:00:00.123456"  # digits past microseconds dropped


def test_json_type_mismatch_message_reads_well(tmp_path):
    t = simple(tmp_path, schema="id int")
    f = tmp_path / "in.jsonl"
    f.write_text('{"id": [1]}\n')
    e = ice_fails(1, "append", t, f)
    assert "found an array where the column wants int" in e.err and "a JSON an" not in e.err


def test_reject_file_reasons_max_rejects_and_summary(tmp_path):
    t = simple(tmp_path, schema="id long, d date")
    f = tmp_path / "in.csv"
    f.write_text("id,d\n1,2024-01-01\nx,2024-01-02\n3,nodate\n4,2024-01-04,extra\n5,2024-01-05\n")
    rej = tmp_path / "rej.csv"
    r = ice("--json", "append", t, f, "--reject-file", rej)
    assert r.code == 0, r.err
    assert r.json()["rows"] == 2 and r.json()["rejected"] == 3
    assert f"ice: 3 rows rejected: in {rej}, why in {rej}.errors.jsonl" in r.err
    assert rej.read_text() == "id,d\nx,2024-01-02\n3,nodate\n4,2024-01-04,extra\n"
    errs = [json.loads(x) for x in (tmp_path / "rej.csv.errors.jsonl").read_text().splitlines()]
    assert [(e["file"], e["line"], e["column"], e["column_name"]) for e in errs] == [
        (str(f), 3, 1, "id"), (str(f), 4, 2, "d"), (str(f), 5, None, None)]
    assert errs[0]["reason"] == "not a whole number" and errs[0]["row"] == "x,2024-01-02"
    assert errs[2]["reason"] == "3 fields, expected 2"
    before = len(metadata_files(t))
    rej.unlink()
    (tmp_path / "rej.csv.errors.jsonl").unlink()
    e = ice_fails(1, "append", t, f, "--reject-file", rej, "--max-rejects", "2")
    assert "more than 2 rows rejected (--max-rejects); nothing appended" in e.err
    assert len(metadata_files(t)) == before
    r = ice("append", t, f, "--max-rejects", "2")
    assert r.code == 2 and "--max-rejects goes with --reject-file" in r.err


def test_an_append_without_rows_commits_nothing_and_says_so(tmp_path):
    t = simple(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header = tmp_path / "header.csv"
    header.write_text("id,s\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,s\nx,a\n")
    for args in ((empty,), (header,), (bad, "--reject-file", tmp_path / "r.csv")):
        r = ice("append", t, *args)
        assert r.code == 0 and "nothing appended" in r.err and "no snapshot committed" in r.err
    r = ice_ok("--json", "append", t, header).json()
    assert r["committed"] is False and r["snapshot_id"] is None
    assert len(metadata_files(t)) == 1


def test_progress_lines_for_logs_and_quiet(tmp_path):
    t = simple(tmp_path)
    f = tmp_path / "in.csv"
    f.write_text("id,s\n" + "".join(f"{i},x\n" for i in range(300000)))
    r = ice("append", t, f, "--progress", "--threads", "1")
    assert r.code == 0
    # one line every 5 seconds (a quick append prints none); each names rows,
    # megabytes and the share of the input with the time left
    for line in r.err.splitlines():
        assert re.match(r"ice: append: \d+ rows, [\d.]+ MB of [\d.]+ MB \(\d+%\), \d+:\d\d left$", line), line
    r = ice("-q", "append", t, f, "--progress")
    assert r.code == 0 and r.err == ""


def test_old_metadata_files_deleted_after_commit_as_java_does(tmp_path):
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long", "--property", "write.metadata.delete-after-commit.enabled=true",
           "--property", "write.metadata.previous-versions-max=2")
    f = tmp_path / "in.csv"
    f.write_text("id\n1\n")
    for _ in range(6):
        ice_ok("append", t, f)
    assert [p.name for p in metadata_files(t)] == ["v5.metadata.json", "v6.metadata.json", "v7.metadata.json"]
    assert len(scan_rows(t)) == 6


def test_hour_partition_of_a_timestamp_past_the_int_range_is_refused(tmp_path):
    """hour(ts) of a timestamp after the year ~246,000 does not fit the
    partition's int: the append fails naming the field (it wrapped to a
    negative hour, filing the row under the wrong partition), and a filter
    on such a timestamp plans without pruning wrongly."""
    t = simple(tmp_path, schema="id long, ts timestamp")
    ice_ok("alter", t, "--add-partition", "hour(ts)")
    ok = tmp_path / "ok.csv"
    ok.write_text("id,ts\n1,2024-01-01 10:00:00\n")
    ice_ok("append", t, ok)
    far = tmp_path / "far.csv"
    far.write_text("id,ts\n2,+284485-03-30T01:46:40\n")
    e = ice_fails(1, "append", t, far)
    assert "partition field ts_hour: hour of 8915320000000000000 overflows an int" in e.err, e.err
    assert ice_ok("scan", t, "--where", "ts > 8915320000000000000").out.splitlines() == ["id,ts"]
    assert len(ice_ok("scan", t, "--where", "ts < 8915320000000000000").out.splitlines()) == 2


def test_partitions_keep_input_order_when_parsing_runs_ahead(tmp_path):
    """With threads, blocks are parsed on their own thread ahead of the
    writing. With few partition keys and nulls, and with many keys: the same
    rows as one thread, and within each partition in input order."""
    for nkeys in (23, 3000):
        f = tmp_path / f"in{nkeys}.csv"
        lines = ["id,k,s"]
        for i in range(40000):
            k = "" if i % 7 == 0 else str((i * 7919) % nkeys)
            lines.append(f"{i},{k},v{i % 13}")
        f.write_text("\n".join(lines) + "\n")
        seen = []
        for threads in ("1", "2"):
            t = tmp_path / f"t{nkeys}_{threads}"
            ice_ok("create", t, "--schema", "id long, k int, s string", "--partition", "k")
            ice_ok("append", t, f, "--threads", threads)
            rows = scan_rows(t)
            by_key = {}
            for r in rows:
                by_key.setdefault(r["k"], []).append(r["id"])
            assert all(ids == sorted(ids) for ids in by_key.values())  # input order inside a partition
            assert len(by_key) == nkeys + 1
            seen.append(sorted((r["id"], r["k"], r["s"]) for r in rows))
        assert seen[0] == seen[1] and len(seen[0]) == 40000


def big_jsonl(path, n, bad_rows=()):
    rng = random.Random(11)
    out, expected = [], []
    for i in range(n):
        day = f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        price = f"{rng.randrange(0, 100000) / 100:.2f}"
        s = f"w{rng.randrange(1000)} \"x\"\n" if i % 5 == 0 else f"w{rng.randrange(1000)}"
        if i in bad_rows:
            out.append(json.dumps({"id": i, "price": price, "d": "notadate", "s": s}))
            continue
        out.append(json.dumps({"id": i, "price": price, "d": day, "s": s}))
        expected.append((i, price, day, s))
    path.write_text("\n".join(out) + "\n")
    return expected


def test_jsonl_parsed_ahead_gives_the_rows_of_one_thread_in_input_order(tmp_path):
    """JSON Lines run through the same pipeline as CSV with threads: a
    parser thread turns the next blocks into batches while the last is
    written. Same rows as one thread, in input order inside each partition,
    across many blocks."""
    f = tmp_path / "in.jsonl"
    expected = big_jsonl(f, 50000)
    def input_order_inside_partitions(t):
        by_month = {}
        for row in scan_rows(t):
            by_month.setdefault(row["d"][:7], []).append(int(row["id"]))
        assert all(ids == sorted(ids) for ids in by_month.values())

    same_rows_with_one_and_two_threads(tmp_path, f, expected, "t", input_order_inside_partitions)


def test_jsonl_bad_line_in_a_late_block_leaves_nothing_and_rejects_keep_order(tmp_path):
    f = tmp_path / "in.jsonl"
    bad = (3, 41234, 41235, 49999)
    expected = big_jsonl(f, 50000, bad_rows=bad)
    t = make(tmp_path)
    before = sorted(p.name for p in (t / "metadata").iterdir())
    e = ice_fails(1, "append", t, f, "--threads", "2")
    assert f"{f}: line 4 (d): not a date" in e.err, e.err
    f2 = tmp_path / "late.jsonl"
    f2.write_text("\n".join(line for i, line in enumerate(f.read_text().splitlines()) if i != 3) + "\n")
    e = ice_fails(1, "append", t, f2, "--threads", "2")
    assert f"{f2}: line 41234 (d): not a date" in e.err, e.err
    assert sorted(p.name for p in (t / "metadata").iterdir()) == before
    assert not (t / "data").exists() or not [p for p in (t / "data").rglob("*") if p.is_file()]
    rej = tmp_path / "rej.jsonl"
    r = ice_ok("--json", "append", t, f, "--reject-file", rej, "--threads", "2").json()
    assert r["rows"] == len(expected) and r["rejected"] == 4
    assert [json.loads(line)["id"] for line in rej.read_text().splitlines()] == list(bad)
    assert rows_of(t) == sorted(expected)


def test_rows_sorted_by_partition_are_copied_as_runs(tmp_path):
    """Input already in partition order (as exports by date often are): each
    partition's rows of a batch follow each other and are copied as one
    range. Strings with nulls and empty values, decimals and dates, at one
    and two threads, read back by PyIceberg as written, in input order."""
    rng = random.Random(11)
    lines = ["id,price,d,s"]
    expected = []
    for i in range(30000):
        month = 1 + i * 12 // 30000
        day = f"2024-{month:02d}-{1 + i % 28:02d}"
        price = f"{rng.randrange(-100000, 100000) / 100:.2f}"
        s = None if i % 11 == 0 else "" if i % 13 == 0 else f"v{i}" * (i % 5)
        field = "" if s is None else '""' if s == "" else s
        lines.append(f"{i},{price},{day},{field}")
        expected.append((i, price, day, s))
    f = tmp_path / "sorted.csv"
    f.write_text("\n".join(lines) + "\n")
    for threads in ("1", "2"):
        t = make(tmp_path, f"runs{threads}")
        ice_ok("append", t, f, "--threads", threads)
        rows = [(r["id"], f"{r['price']:.2f}", r["d"].isoformat(), r["s"]) for r in pyiceberg_rows(current_metadata(t))]
        assert sorted(rows, key=lambda r: r[0]) == expected  # an unquoted empty field is null, "" is empty
        assert [r[0] for r in rows] == sorted(r[0] for r in rows)  # input order, partition after partition
