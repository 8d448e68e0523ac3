"""A real PostgreSQL source (Debian's postgresql, started by
scripts/peers/postgres.sh on 127.0.0.1, stopped by PID): a table with every
common column type (smallint, int, bigint, numeric(p,s), real, double, text,
varchar, bool, date, timestamp, timestamptz, uuid, bytea, json, jsonb, int[],
text[], NULLs, and text that needs escaping) moved into ice through
`psql -c "\\copy (SELECT ...) TO STDOUT"` in PostgreSQL's text format
(`ice append --format pgtext -`) and in CSV; then incremental loads by an
updated_at watermark stored in the snapshot summary and read back with
`ice last-value`, with idempotency keys so a rerun appends nothing. Every
row is compared with what PostgreSQL itself returns (docs/guides/postgres.md
is this recipe)."""
import datetime
import decimal
import json
import os
import shutil
import signal
import struct
import subprocess
import time

import pytest

from support import REPO, ice_bin, ice_ok

COLUMNS = ("id int, sm int, i int, b long, n decimal(12, 3), r float, d double, t string, v string, bo boolean, "
           "dt date, ts timestamp, tz timestamptz, u uuid, by binary, j string, jb string, ia list<int>, "
           "ta list<string>, updated_at timestamptz")

CREATE = """
CREATE TABLE src (
  id int PRIMARY KEY, sm smallint, i int, b bigint, n numeric(12, 3), r real, d double precision,
  t text, v varchar(40), bo bool, dt date, ts timestamp, tz timestamptz, u uuid, by bytea,
  j json, jb jsonb, ia int[], ta text[], updated_at timestamptz NOT NULL);
INSERT INTO src VALUES
  (1, -32768, -2147483648, -9223372036854775808, -999999999.999, -3.4e38, -1.7976931348623157e308,
   E'tab\\there, newline\\nthere, backslash \\\\ and "quotes", \\u00e9\\u4e2d', 'varchar',
   true, '0001-01-01', '1900-01-01 00:00:00.000001', '1969-12-31 23:59:59.999999+00',
   '00000000-0000-0000-0000-000000000000', E'\\\\x00ff0a5c09', '{"a": [1, 2.5, "x\\ty"]}',
   '{"b": {"c": null}, "a": 1}', '{1,NULL,-3}', '{"a b","c,d","e\\"f",NULL,"NULL",""}',
   '2024-01-01 00:00:00+00'),
  (2, 32767, 2147483647, 9223372036854775807, 999999999.999, 1.17549435e-38, 2.2250738585072014e-308,
   '', '', false, '9999-12-31', '2262-04-11 23:47:16.854775', '2262-04-11 23:47:16.854775+00',
   'ffffffff-ffff-ffff-ffff-ffffffffffff', E'\\\\x', '[]', '[]', '{}', '{}', '2024-01-01 00:00:01+00'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, '2024-01-01 00:00:02+00'),
  (4, 0, 0, 0, 0.001, 0.1, 0.1, '\\N is not null here', 'ünïcödé', true, '2024-02-29',
   '2024-02-29 12:34:56', '2024-02-29 12:34:56.5+05:30', '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
   E'\\\\x5c4e', '"\\\\N"', '3', '{{1,2},{3,4}}', '{"{}","\\\\"}', '2024-01-01 00:00:03+00');
INSERT INTO src
SELECT g, (g % 100)::smallint, g * 7, g::bigint * 1000003, (g * 1.5)::numeric(12, 3), g / 7.0, g / 3.0,
       'row ' || g, 'v' || (g % 13), g % 2 = 0, DATE '2020-01-01' + g % 1000,
       TIMESTAMP '2020-01-01' + g * INTERVAL '1 minute', TIMESTAMPTZ '2020-01-01 00:00:00+00' + g * INTERVAL '1 second',
       md5(g::text)::uuid, decode(md5(g::text), 'hex'), json_build_object('g', g), jsonb_build_object('g', g),
       ARRAY[g, g + 1], ARRAY['x' || g], TIMESTAMPTZ '2024-01-01 00:01:00+00' + g * INTERVAL '1 millisecond'
FROM generate_series(5, 3000) g;
"""
# the int[] of row 4 is two-dimensional in PostgreSQL; a list<int> takes one dimension
FIX = "UPDATE src SET ia = '{1,2,3,4}' WHERE id = 4;"


@pytest.fixture(scope="module")
def pg():
    out = subprocess.run(["bash", str(REPO / "scripts" / "peers" / "postgres.sh"), "start"], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, f"PostgreSQL did not start: {out.stderr}"
    port, pid, d = out.stdout.split()
    try:
        yield Postgres(int(port))
    finally:
        os.kill(int(pid), signal.SIGINT)
        for _ in range(100):
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        shutil.rmtree(d, ignore_errors=True)


class Postgres:
    def __init__(self, port):
        self.port = port
        self.env = dict(os.environ, PGHOST="127.0.0.1", PGPORT=str(port), PGUSER="postgres", PGDATABASE="postgres",
                        PGTZ="UTC")

    def psql(self, *args, stdout=subprocess.PIPE):
        p = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-q", *args], env=self.env, stdout=stdout,
                           stderr=subprocess.PIPE, timeout=600)
        assert p.returncode == 0, p.stderr.decode()
        return p.stdout

    def sql(self, q):
        return self.psql("-c", q)

    def copy_into(self, select, fmt, *ice_args):
        """psql's \\copy of `select` piped into `ice append -`, streamed."""
        opts = "" if fmt == "text" else " WITH (FORMAT csv, HEADER)"
        src = subprocess.Popen(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-c", f"\\copy ({select}) TO STDOUT{opts}"],
                               env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        fmt_args = ["--format", "pgtext"] if fmt == "text" else ["--format", "csv"]
        ice = subprocess.run([ice_bin(), "--json", "append", *ice_args[:1], "-", *fmt_args, *ice_args[1:]],
                             stdin=src.stdout, capture_output=True, timeout=600)
        src.stdout.close()
        assert src.wait() == 0, src.stderr.read().decode()
        assert ice.returncode == 0, ice.stderr.decode()
        return json.loads(ice.stdout)

    def rows(self, where="true"):
        """PostgreSQL's own rows, as JSON (bytea as hex, numerics as text)."""
        q = (f"SELECT row_to_json(q) FROM (SELECT id, sm, i, b, n::text AS n, r::text AS r, d::text AS d, t, v, bo, "
             f"dt, ts, tz, u, encode(by, 'hex') AS by, j::text AS j, jb::text AS jb, ia, ta, updated_at "
             f"FROM src WHERE {where} ORDER BY id) q")
        return [canon_pg(json.loads(ln)) for ln in self.psql("-At", "-c", q).decode().splitlines()]


def f32(x):
    return struct.unpack("<f", struct.pack("<f", float(x)))[0]


def ts(s):
    return None if s is None else datetime.datetime.fromisoformat(s)


def canon_pg(r):
    return {**r, "n": None if r["n"] is None else decimal.Decimal(r["n"]),
            "r": None if r["r"] is None else f32(r["r"]), "d": None if r["d"] is None else float(r["d"]),
            "ts": ts(r["ts"]), "tz": ts(r["tz"]), "updated_at": ts(r["updated_at"]),
            "dt": r["dt"], "by": r["by"]}


def canon_ice(r):
    return {**r, "n": None if r["n"] is None else decimal.Decimal(r["n"]),
            "r": None if r["r"] is None else f32(r["r"]), "ts": ts(r["ts"]), "tz": ts(r["tz"]),
            "updated_at": ts(r["updated_at"])}


def ice_rows(t):
    out = ice_ok("scan", t, "--format", "jsonl").out
    return sorted((canon_ice(json.loads(ln)) for ln in out.splitlines()), key=lambda r: (r["id"], r["updated_at"]))


def test_every_type_through_text_and_csv(pg, tmp_path):
    pg.sql(CREATE)
    pg.sql(FIX)
    want = pg.rows()
    assert len(want) == 3000
    select = "SELECT id, sm, i, b, n, r, d, t, v, bo, dt, ts, tz, u, by, j, jb, ia, ta, updated_at FROM src"
    for fmt in ("text", "csv"):
        t = tmp_path / f"t_{fmt}"
        ice_ok("create", t, "--schema", COLUMNS)
        rep = pg.copy_into(select, fmt, str(t))
        assert rep["rows"] == 3000 and rep["rejected"] == 0, rep
        got = ice_rows(t)
        for w, g in zip(want, got):
            assert g == w, f"{fmt}: row {w['id']}:\n ice {g}\n  pg {w}"
        assert len(got) == len(want)


def test_incremental_loads_by_watermark_exactly_once(pg, tmp_path):
    t = tmp_path / "orders"
    ice_ok("create", t, "--schema", COLUMNS)
    cols = "id, sm, i, b, n, r, d, t, v, bo, dt, ts, tz, u, by, j, jb, ia, ta, updated_at"

    def load():
        """One run of the job: the watermark from the table, the rows after it
        (PostgreSQL decides the new watermark in the same statement), one
        append keyed by the watermark range."""
        wm = ice_ok("last-value", t, "updated_at", "--default", "-infinity").out.strip()
        new = pg.psql("-At", "-c", f"SELECT max(updated_at) FROM src WHERE updated_at > '{wm}'").decode().strip()
        if not new:
            return None
        select = f"SELECT {cols} FROM src WHERE updated_at > '{wm}' AND updated_at <= '{new}'"
        return pg.copy_into(select, "text", str(t), "--summary", f"updated_at={new}",
                            "--idempotency-key", f"src:{wm}..{new}")

    first = load()
    assert first["committed"] and first["rows"] == 3000
    assert load() is None  # nothing new
    # changes upstream: updates and inserts with later timestamps
    pg.sql("UPDATE src SET t = 'changed', updated_at = TIMESTAMPTZ '2025-01-01 00:00:00+00' + id * INTERVAL '1 s' "
           "WHERE id % 500 = 0")
    pg.sql("INSERT INTO src (id, t, updated_at) SELECT g, 'new ' || g, TIMESTAMPTZ '2025-02-01 00:00:00+00' "
           "+ g * INTERVAL '1 ms' FROM generate_series(3001, 3100) g")
    wm = ice_ok("last-value", t, "updated_at").out.strip()
    second = load()
    assert second["committed"] and second["rows"] == 6 + 100
    # the same run again (a retry after a crash that had committed): the key is found
    new = pg.psql("-At", "-c", "SELECT max(updated_at) FROM src").decode().strip()
    select = f"SELECT {cols} FROM src WHERE updated_at > '{wm}' AND updated_at <= '{new}'"
    again = pg.copy_into(select, "text", str(t), "--summary", f"updated_at={new}",
                         "--idempotency-key", f"src:{wm}..{new}")
    assert again["committed"] is False and again["skipped"] is True
    assert ts(ice_ok("last-value", t, "updated_at").out.strip()) == ts(new)
    # the table holds every version; the newest of each id is PostgreSQL's row
    got = ice_rows(t)
    assert len(got) == 3100 + 6
    newest = {}
    for r in got:
        newest[r["id"]] = r
    assert [newest[k] for k in sorted(newest)] == pg.rows()
    # the rows of the second load, read incrementally downstream
    snaps = json.loads(ice_ok("--json", "snapshots", t).out)
    out = ice_ok("scan", t, "--from-snapshot", snaps[0]["snapshot_id"],
                 "--format", "jsonl").out
    assert sorted(json.loads(ln)["id"] for ln in out.splitlines()) == \
        sorted([k for k in range(500, 3001, 500)] + list(range(3001, 3101)))
