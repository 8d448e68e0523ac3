"""The lineitem-shaped table of bench_parquet.c, built with pyarrow compute
from the same splitmix64 formulas, so every peer writes identical rows."""
import pyarrow as pa
import pyarrow.compute as pc

M64 = pa.uint64()
C1, C2, C3 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def splitmix64(x):
    z = pc.add(x, pa.scalar(C1, M64))
    z = pc.multiply(pc.bit_wise_xor(z, pc.shift_right(z, pa.scalar(30, M64))), pa.scalar(C2, M64))
    z = pc.multiply(pc.bit_wise_xor(z, pc.shift_right(z, pa.scalar(27, M64))), pa.scalar(C3, M64))
    return pc.bit_wise_xor(z, pc.shift_right(z, pa.scalar(31, M64)))


def splitmix64_int(x):
    m = 2**64 - 1
    z = (x + C1) & m
    z = ((z ^ (z >> 30)) * C2) & m
    z = ((z ^ (z >> 27)) * C3) & m
    return z ^ (z >> 31)


def vocab():
    words = []
    for w in range(1000):
        h1, h2 = splitmix64_int(w * 7 + 1), splitmix64_int(w * 7 + 2)
        n = 3 + h1 % 7
        words.append("".join(chr(ord("a") + (h2 >> (5 * k)) % 26) for k in range(n)))
    return words


FLAGS = ["A", "N", "R"]
STATUS = ["O", "F"]
INSTRUCT = ["DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"]
MODES = ["REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB"]


def mod(a, n):
    # a - floor(a / n) * n on uint64 (no modulo kernel in pyarrow compute)
    return pc.subtract(a, pc.multiply(pc.divide(a, pa.scalar(n, M64)), pa.scalar(n, M64)))


def decimal_from_unscaled(unscaled, precision, scale):
    as_dec = pc.cast(unscaled, pa.decimal128(19, 0))
    return pa.Array.from_buffers(pa.decimal128(precision, scale), len(as_dec), as_dec.buffers())


def lineitem_chunk(first, n, words):
    rows = pa.array(range(first, first + n), type=M64)
    base = pc.multiply(rows, pa.scalar(64, M64))

    def cell(c):
        return splitmix64(pc.add(base, pa.scalar(c, M64)))

    i64 = pa.int64()
    cols = {}
    cols["l_orderkey"] = pc.cast(pc.add(pc.divide(rows, pa.scalar(4, M64)), pa.scalar(1, M64)), i64)
    cols["l_partkey"] = pc.cast(pc.add(mod(cell(1), 200000), pa.scalar(1, M64)), i64)
    cols["l_suppkey"] = pc.cast(pc.add(mod(cell(2), 10000), pa.scalar(1, M64)), i64)
    cols["l_linenumber"] = pc.cast(pc.add(mod(rows, 4), pa.scalar(1, M64)), pa.int32())
    q = pc.multiply(pc.add(mod(cell(4), 50), pa.scalar(1, M64)), pa.scalar(100, M64))
    cols["l_quantity"] = decimal_from_unscaled(pc.cast(q, i64), 15, 2)
    cols["l_extendedprice"] = decimal_from_unscaled(pc.cast(mod(cell(5), 10000000), i64), 15, 2)
    cols["l_discount"] = decimal_from_unscaled(pc.cast(mod(cell(6), 11), i64), 15, 2)
    cols["l_tax"] = decimal_from_unscaled(pc.cast(mod(cell(7), 9), i64), 15, 2)
    cols["l_returnflag"] = pc.take(pa.array(FLAGS), mod(cell(8), 3))
    cols["l_linestatus"] = pc.take(pa.array(STATUS), mod(cell(9), 2))
    ship = pc.add(pc.cast(mod(cell(10), 2526), pa.int32()), pa.scalar(8035, pa.int32()))
    commit = pc.subtract(pc.add(ship, pc.cast(mod(cell(11), 60), pa.int32())), pa.scalar(30, pa.int32()))
    receipt = pc.add(pc.add(ship, pc.cast(mod(cell(12), 30), pa.int32())), pa.scalar(1, pa.int32()))
    cols["l_shipdate"] = pc.cast(ship, pa.date32())
    cols["l_commitdate"] = pc.cast(commit, pa.date32())
    cols["l_receiptdate"] = pc.cast(receipt, pa.date32())
    cols["l_shipinstruct"] = pc.take(pa.array(INSTRUCT), mod(cell(13), 4))
    cols["l_shipmode"] = pc.take(pa.array(MODES), mod(cell(14), 7))
    nwords = pc.add(mod(cell(15), 4), pa.scalar(2, M64))
    vocab_arr = pa.array(words)
    parts = []
    for j in range(5):
        w = pc.take(vocab_arr, mod(cell(16 + j), 1000))
        keep = pc.greater(nwords, pa.scalar(j, M64))
        parts.append(pc.if_else(keep, w, pa.scalar(None, pa.string())))
    cols["l_comment"] = pc.binary_join_element_wise(*parts, " ", null_handling="skip")
    return cols


def fid(name, typ, i):
    return pa.field(name, typ, False, metadata={b"PARQUET:field_id": str(i).encode()})


def lineitem(rows, chunk=1 << 20):
    words = vocab()
    batches = []
    schema = None
    for first in range(0, rows, chunk):
        cols = lineitem_chunk(first, min(chunk, rows - first), words)
        if schema is None:
            schema = pa.schema([fid(k, v.type, i + 1) for i, (k, v) in enumerate(cols.items())])
        batches.append(pa.record_batch(list(cols.values()), schema=schema))
    return pa.Table.from_batches(batches, schema=schema)
