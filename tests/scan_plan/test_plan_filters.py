"""Filters and pruning on a table with several partition specs and many
files, built here: PyIceberg creates it, appends under identity(cat) and
then (cat, region), evolves the spec to (region, day(ts)) and then adds
bucket(4, id) and truncate(1, name); ice appends under the last two (PyIceberg
0.12 writes only identity partitions without pyiceberg-core).

For many predicates (curated and random), `ice scan --plan --where` must
plan every file that holds a matching row (the truth is computed here with
pyarrow over every data file, with the expressions spec's two-valued
semantics), a task without residual must hold only matching rows, and
selective filters must actually skip manifests or files (--stats)."""
import datetime
import math
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import plan_support as ps

UTC = datetime.timezone.utc
T0 = datetime.datetime(2024, 1, 1, tzinfo=UTC)
CATS = ["a", "b", "c", "dd", None]
REGIONS = ["eu", "us", "apac", None]
WORDS = ["ice", "iceberg", "icy", "snow", "sno", "s", "", "zebra", "Ice", None]


def arrow_schema():
    return pa.schema([
        pa.field("id", pa.int64(), nullable=False), pa.field("cat", pa.string()), pa.field("region", pa.string()),
        pa.field("ts", pa.timestamp("us", tz="UTC")), pa.field("price", pa.float64()), pa.field("qty", pa.int32()),
        pa.field("d", pa.date32()), pa.field("name", pa.string()),
    ])


def make_rows(rnd, k, n=25):
    """Append k: ids k*1000.., times in days [2k, 2k+3): files have tight id and ts ranges."""
    rows = []
    for i in range(n):
        ts = T0 + datetime.timedelta(days=2 * k, seconds=rnd.randrange(3 * 86400))
        rows.append({
            "id": k * 1000 + i,
            "cat": rnd.choice(CATS),
            "region": rnd.choice(REGIONS),
            "ts": ts if rnd.random() > 0.05 else None,
            "price": rnd.choice([float("nan"), None, -0.0, 0.0, round(rnd.uniform(-50, 150), 2)]),
            "qty": rnd.choice([None, rnd.randrange(-5, 50)]),
            "d": ts.date(),
            "name": rnd.choice(WORDS),
        })
    return rows


def csv_value(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return "NaN" if math.isnan(v) else repr(v)
    if isinstance(v, datetime.datetime):
        return v.isoformat()
    return str(v)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import BucketTransform, DayTransform, IdentityTransform, TruncateTransform
    from pyiceberg.types import (DateType, DoubleType, IntegerType, LongType, NestedField, StringType,
                                 TimestamptzType)

    root = tmp_path_factory.mktemp("filters")
    path = root / "t"
    schema = Schema(
        NestedField(1, "id", LongType(), required=True), NestedField(2, "cat", StringType()),
        NestedField(3, "region", StringType()), NestedField(4, "ts", TimestamptzType()),
        NestedField(5, "price", DoubleType()), NestedField(6, "qty", IntegerType()), NestedField(7, "d", DateType()),
        NestedField(8, "name", StringType()))
    spec = PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="cat"))
    cat, tbl = ps.create_pyiceberg_table(path, schema, spec, {"format-version": "2"})
    rnd = random.Random(20240101)
    k = 0
    for _ in range(8):
        tbl.append(pa.Table.from_pylist(make_rows(rnd, k), schema=arrow_schema()))
        k += 1
    with tbl.update_spec() as u:
        u.add_identity("region")
    tbl = cat.load_table(str(path))
    for _ in range(8):
        tbl.append(pa.Table.from_pylist(make_rows(rnd, k), schema=arrow_schema()))
        k += 1
    with tbl.update_spec() as u:
        u.remove_field("cat")
        u.add_field("ts", DayTransform(), "ts_day")
    tbl = cat.load_table(str(path))
    names = [f.name for f in arrow_schema()]

    def ice_append(rows):
        f = root / f"in{k}.csv"
        f.write_text(",".join(names) + "\n" + "".join(",".join(csv_value(r[n]) for n in names) + "\n" for r in rows))
        ps.ice_ok("-q", "append", path, f)

    for _ in range(6):
        ice_append(make_rows(rnd, k))
        k += 1
    tbl = cat.load_table(str(path))
    with tbl.update_spec() as u:
        u.add_field("id", BucketTransform(4), "id_bucket")
        u.add_field("name", TruncateTransform(1), "name_trunc")
    for _ in range(6):
        ice_append(make_rows(rnd, k))
        k += 1
    # every data file and its rows, as written
    plan, raw = ps.ice_plan(path)
    files = {}
    for f in plan:
        files[f] = pq.read_table(ps.rewrite(f)).to_pylist()
    specs = {t["spec_id"] for t in raw["tasks"]}
    assert specs == {0, 1, 2, 3}, specs
    return path, files


# ---- predicates: text for ice, evaluation here (two-valued semantics) ---------------------

def lit_text(col, v):
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    if col == "ts":
        return f"timestamptz '{v.isoformat()}'"
    if col == "d":
        return f"date '{v.isoformat()}'"
    return repr(v)


def text(p):
    kind = p[0]
    if kind in ("and", "or"):
        return f"({text(p[1])} {kind} {text(p[2])})"
    if kind == "not":
        return f"not ({text(p[1])})"
    col = p[1]
    if kind == "cmp":
        return f"{col} {p[2]} {lit_text(col, p[3])}"
    if kind in ("in", "not in"):
        return f"{col} {kind} ({', '.join(lit_text(col, v) for v in p[2])})"
    if kind in ("starts with", "not starts with"):
        return f"{col} {kind} {lit_text(col, p[2])}"
    return f"{col} {kind}"  # is null, is not null, is nan, is not nan


def isnan(v):
    return isinstance(v, float) and math.isnan(v)


def eq(v, lit):
    return v is not None and not isnan(v) and v == lit


def holds(p, row):
    kind = p[0]
    if kind == "and":
        return holds(p[1], row) and holds(p[2], row)
    if kind == "or":
        return holds(p[1], row) or holds(p[2], row)
    if kind == "not":
        return not holds(p[1], row)
    v = row[p[1]]
    if kind == "is null":
        return v is None
    if kind == "is not null":
        return v is not None
    if kind == "is nan":
        return isnan(v)
    if kind == "is not nan":
        return not isnan(v)
    if kind == "in":
        return any(eq(v, x) for x in p[2])
    if kind == "not in":
        return not any(eq(v, x) for x in p[2])
    if kind == "starts with":
        return v is not None and v.startswith(p[2])
    if kind == "not starts with":
        return not (v is not None and v.startswith(p[2]))
    op, lit = p[2], p[3]
    if op == "!=":
        return not eq(v, lit)
    if v is None or isnan(v):
        return False
    return {"=": v == lit, "<": v < lit, "<=": v <= lit, ">": v > lit, ">=": v >= lit}[op]


def random_literal(rnd, col, k_max):
    if col == "id":
        return rnd.randrange(-10, k_max * 1000 + 40)
    if col == "qty":
        return rnd.randrange(-8, 55)
    if col == "price":
        return rnd.choice([0.0, -0.0, 10.5, 99.99, -50.0, 150.0, round(rnd.uniform(-60, 160), 2)])
    if col == "ts":
        return T0 + datetime.timedelta(seconds=rnd.randrange(-86400, (2 * k_max + 4) * 86400))
    if col == "d":
        return (T0 + datetime.timedelta(days=rnd.randrange(-2, 2 * k_max + 4))).date()
    if col == "cat":
        return rnd.choice([c for c in CATS if c] + ["e", ""])
    if col == "region":
        return rnd.choice([r for r in REGIONS if r] + ["af"])
    return rnd.choice([w for w in WORDS if w is not None] + ["ic", "zz"])


def random_predicate(rnd, k_max, depth=0):
    r = rnd.random()
    if depth < 2 and r < 0.35:
        return (rnd.choice(["and", "or"]), random_predicate(rnd, k_max, depth + 1),
                random_predicate(rnd, k_max, depth + 1))
    if depth < 2 and r < 0.42:
        return ("not", random_predicate(rnd, k_max, depth + 1))
    col = rnd.choice(["id", "qty", "price", "ts", "d", "cat", "region", "name"])
    kinds = ["cmp"] * 6 + ["in", "not in", "is null", "is not null"]
    if col == "price":
        kinds += ["is nan", "is not nan"]
    if col in ("cat", "region", "name"):
        kinds += ["starts with", "not starts with"]
    kind = rnd.choice(kinds)
    if kind == "cmp":
        return ("cmp", col, rnd.choice(["=", "!=", "<", "<=", ">", ">="]), random_literal(rnd, col, k_max))
    if kind in ("in", "not in"):
        return (kind, col, [random_literal(rnd, col, k_max) for _ in range(rnd.randrange(1, 4))])
    if kind in ("starts with", "not starts with"):
        return (kind, col, random_literal(rnd, col, k_max)[:2])
    return (kind, col)


def check(table_path, files, p):
    where = text(p)
    plan, raw = ps.ice_plan(table_path, "--where", where)
    matching = {f for f, rows in files.items() if any(holds(p, r) for r in rows)}
    missing = matching - set(plan)
    assert not missing, f"{where}: files with matching rows not planned: {sorted(missing)[:3]}"
    for t in raw["tasks"]:
        if t["residual"] is None:
            rows = files[t["file_path"]]
            assert all(holds(p, r) for r in rows), f"{where}: {t['file_path']} has no residual but rows that fail"
    return plan, raw["stats"]


K_MAX = 28

CURATED = [
    # (predicate, must skip something)
    (("cmp", "id", "=", 5), True),
    (("cmp", "id", ">=", 27000), True),
    (("cmp", "ts", ">=", T0 + datetime.timedelta(days=40)), True),
    (("and", ("cmp", "ts", ">=", T0 + datetime.timedelta(days=10)),
      ("cmp", "ts", "<", T0 + datetime.timedelta(days=11))), True),
    (("cmp", "d", "=", (T0 + datetime.timedelta(days=50)).date()), True),
    (("cmp", "cat", "=", "a"), True),
    (("and", ("cmp", "region", "=", "eu"), ("cmp", "cat", "=", "b")), True),
    (("in", "region", ["us", "apac"]), True),
    (("is null", "region"), True),
    (("starts with", "name", "ic"), True),
    (("in", "id", [17001, 24010, 3]), True),
    (("cmp", "price", ">", 1000.0), True),
    (("is nan", "price"), False),
    (("not", ("cmp", "ts", "<", T0 + datetime.timedelta(days=50))), True),
    (("cmp", "cat", "!=", "a"), False),
    (("not in", "region", ["eu"]), False),
    (("not starts with", "name", "ic"), False),
    (("is not nan", "price"), False),
    (("or", ("cmp", "id", "<", 100), ("cmp", "id", ">", 27500)), True),
]


@pytest.mark.parametrize("case", range(len(CURATED)))
def test_curated_filters_plan_a_superset_and_prune(table, case):
    path, files = table
    p, selective = CURATED[case]
    plan, stats = check(path, files, p)
    if selective:
        skipped = stats["manifests_skipped"] + stats["data_files_skipped_partition"] + stats["data_files_skipped_metrics"]
        assert skipped > 0, f"{text(p)}: nothing skipped: {stats}"
        assert len(plan) < len(files), text(p)


def test_random_filters_plan_a_superset(table):
    path, files = table
    rnd = random.Random(5)
    pruned = 0
    for _ in range(150):
        p = random_predicate(rnd, K_MAX)
        plan, _ = check(path, files, p)
        pruned += len(plan) < len(files)
    assert pruned > 30, "random filters should prune often"


def test_partition_pruning_through_each_spec(table):
    """A one-day filter prunes by day(ts) partitions (spec 2 and 3), by metrics
    elsewhere; cat and region filters prune by identity partitions (specs 0, 1)."""
    path, files = table
    day = T0 + datetime.timedelta(days=36)
    p = ("and", ("cmp", "ts", ">=", day), ("cmp", "ts", "<", day + datetime.timedelta(days=1)))
    plan, stats = check(path, files, p)
    assert stats["data_files_skipped_partition"] > 0 and stats["data_files_skipped_metrics"] > 0, stats
    plan, stats = check(path, files, ("cmp", "region", "=", "apac"))
    assert stats["data_files_skipped_partition"] > 0, stats
    plan, stats = check(path, files, ("cmp", "id", "=", 26003))
    # bucket(4, id) prunes spec 3's files, id bounds the rest
    assert stats["data_files_skipped_partition"] > 0 and stats["data_files_skipped_metrics"] > 0, stats
    assert len(plan) <= 3
