"""The project's bound cases (spec-fixtures/bounds) through a manifest ice
writes and fastavro reads: every type's bound bytes as Appendix D gives
them, and truncate(N) bounds as the table's metrics modes ask."""
import json
import pathlib

from manifest_support import REPO, tool_ok
from iceberg_avro import read_avro

CASES = pathlib.Path(REPO / "spec-fixtures" / "bounds")


def write_one_file(tmp, schema_fields, bounds_lower, bounds_upper, props):
    intent = {"kind": "manifest", "format_version": 2, "snapshot_id": 1,
              "schema": {"type": "struct", "schema-id": 0, "fields": schema_fields},
              "spec": {"spec-id": 0, "fields": []}, "properties": props,
              "entries": [{"status": 1, "data_file": {
                  "content": 0, "file_path": "x.parquet", "file_format": "PARQUET", "partition": [],
                  "record_count": 1, "file_size_in_bytes": 1,
                  "lower_bounds": bounds_lower, "upper_bounds": bounds_upper}}]}
    path = tmp / "intent.json"
    path.write_text(json.dumps(intent))
    tool_ok("write", path, tmp / "b.avro")
    _, _, records = read_avro(tmp / "b.avro")
    df = records[0]["data_file"]
    return ({x["key"]: x["value"] for x in df["lower_bounds"]}, {x["key"]: x["value"] for x in df["upper_bounds"]})


def test_every_type_as_fastavro_reads_it(tmp_path):
    cases = json.loads((CASES / "bounds.json").read_text())["cases"]
    assert len(cases) >= 30
    fields = [{"id": i + 1, "name": f"c{i}", "required": False, "type": c["type"]} for i, c in enumerate(cases)]
    values = {str(i + 1): {"value": c["value"]} for i, c in enumerate(cases)}
    lower, upper = write_one_file(tmp_path, fields, values, values, {"write.metadata.metrics.default": "full"})
    for i, c in enumerate(cases):
        assert lower[i + 1].hex() == c["hex"], f"{c['type']} {c['value']!r}: {lower[i + 1].hex()}"
        assert upper[i + 1].hex() == c["hex"]


def test_truncation_as_fastavro_reads_it(tmp_path):
    cases = json.loads((CASES / "truncate.json").read_text())["cases"]
    fields, values, props = [], {}, {"write.metadata.metrics.default": "full"}
    for i, c in enumerate(cases):
        fields.append({"id": i + 1, "name": f"c{i}", "required": False, "type": c["type"]})
        values[str(i + 1)] = {"value": c["value"]}
        props[f"write.metadata.metrics.column.c{i}"] = f"truncate({c['length']})"
    lower, upper = write_one_file(tmp_path, fields, values, values, props)

    def as_bytes(c, v):
        return None if v is None else (bytes.fromhex(v) if c["type"] == "binary" else v.encode())

    for i, c in enumerate(cases):
        assert lower.get(i + 1) == as_bytes(c, c["lower"]), f"case {i}: lower"
        assert upper.get(i + 1) == as_bytes(c, c["upper"]), f"case {i}: upper ({c.get('note', '')})"
