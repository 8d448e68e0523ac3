"""Ingestion: CSV read a block at a time with its columns converted in
parallel, and inputs as real-world files come.

- The same input appended with --threads 1 and --threads 2 gives the same
  rows (read by PyIceberg), whether its lines hold quotes (the record
  splitter) or not (lines split in parallel), across many blocks.
- A bad value deep in the input (past the first blocks) names its line, and
  rejected rows of several blocks reach the reject file in input order.
"""
import random

from write_support import current_metadata, ice_fails, ice_ok, pyiceberg_rows


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


def test_threads_give_the_same_rows_with_and_without_quotes(tmp_path):
    for quoted_every in (0, 97):
        f = tmp_path / f"in{quoted_every}.csv"
        expected = big_csv(f, 30000, quoted_every=quoted_every)
        got = []
        for threads in ("1", "2"):
            t = make(tmp_path, f"t{quoted_every}_{threads}")
            r = ice_ok("--json", "append", t, f, "--threads", threads).json()
            assert r["rows"] == len(expected)
            got.append(rows_of(t))
        assert got[0] == got[1] == sorted(expected)


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


def test_wrong_field_count_in_a_later_block(tmp_path):
    f = tmp_path / "in.csv"
    big_csv(f, 20000)
    lines = f.read_text().splitlines()
    lines[15000] += ",extra"
    f.write_text("\n".join(lines) + "\n")
    t = make(tmp_path)
    e = ice_fails(1, "append", t, f)
    assert f"{f}: line 15001: 5 fields, expected 4" in e.err
