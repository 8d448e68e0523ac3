"""`ice metadata` writes every valid metadata document of the corpus back
with the same content: equal to the input modulo key order and the spec
defaults listed below, each stated as its own rule; and it rejects corrupt
input with one line naming the file and the place."""
import copy
import gzip
import json
import random

import pytest

from conftest import fails, fixtures, load_json, ok, one_line_error, run

NEGATIVE = ("Invalid", "Missing", "Unsupported", "NotFound", "NoValid", "/invalid/")
NOT_TABLES = ("/view/", "/udf/", "geo-schema")
UNREADABLE = ("big_query_error/metadata/v0.metadata.json", "/vfinal.metadata.json")


def documents():
    root = fixtures()
    docs = [p for p in (root / "metadata").rglob("*.json")
            if not any(n in str(p) for n in NEGATIVE + NOT_TABLES)]
    docs += [p for p in (root / "tables").rglob("*.metadata.json*") if not any(u in str(p) for u in UNREADABLE)]
    return sorted(docs)


# ---- the tolerated differences, one function per rule ------------------------

def rule_defaults_for_absent_members(doc, out):
    """Optional members that are absent are written with their empty value."""
    for key, empty in (("refs", {}), ("statistics", []), ("partition-statistics", []), ("snapshot-log", []),
                       ("metadata-log", []), ("properties", {}), ("snapshots", [])):
        if key not in doc and out.get(key) == empty:
            doc[key] = empty


def rule_statistics_names(doc, out):
    """"statistics-files" / "partition-statistics-files" (seen in the wild)
    are written with the spec's names."""
    for old, new in (("statistics-files", "statistics"), ("partition-statistics-files", "partition-statistics")):
        if old in doc:
            doc[new] = doc.pop(old)


def rule_no_current_snapshot(doc, out):
    """No current snapshot: -1 for v1/v2 (what the reference implementation
    reads), omitted for v3 (where -1 is deprecated)."""
    cur = doc.get("current-snapshot-id")
    if cur in (None, -1):
        doc.pop("current-snapshot-id", None)
        if doc["format-version"] < 3:
            doc["current-snapshot-id"] = -1


def rule_main_branch(doc, out):
    """There is always a main branch for the current snapshot."""
    cur = doc.get("current-snapshot-id")
    if cur not in (None, -1):
        refs = doc.setdefault("refs", {})
        refs.setdefault("main", {"snapshot-id": cur, "type": "branch"})


def rule_empty_identifier_fields(doc, out):
    """An empty identifier-field-ids list is omitted."""
    for s in doc.get("schemas", []) + ([doc["schema"]] if "schema" in doc else []):
        if s.get("identifier-field-ids") == []:
            del s["identifier-field-ids"]


def rule_v1_current_fields(doc, out):
    """v1 documents are written with both the deprecated and the current
    fields; the deprecated schema gets its schema-id and v1 partition fields
    their (sequentially assigned) field-ids."""
    if doc["format-version"] != 1:
        return
    for key in ("schemas", "current-schema-id", "partition-specs", "default-spec-id", "last-partition-id",
                "sort-orders", "default-sort-order-id", "schema", "partition-spec"):
        if key not in doc:
            doc[key] = copy.deepcopy(out[key])
    if "schema-id" not in doc["schema"]:
        doc["schema"]["schema-id"] = out["schema"]["schema-id"]
    for spec in [doc["partition-spec"]] + [s["fields"] for s in doc["partition-specs"]]:
        for i, f in enumerate(spec):
            f.setdefault("field-id", 1000 + i)


def rule_v2_drops_deprecated(doc, out):
    """v2+ documents omit the deprecated v1 "schema" and "partition-spec"."""
    if doc["format-version"] >= 2:
        doc.pop("schema", None)
        doc.pop("partition-spec", None)


def rule_v3_next_row_id(doc, out):
    """v3 requires next-row-id; a document without it reads as 0."""
    if doc["format-version"] >= 3:
        doc.setdefault("next-row-id", 0)


def rule_initial_sequence_number(doc, out):
    """A snapshot's sequence-number 0 (one committed while the table was v1)
    is left out, as Java's SnapshotParser writes it; absent, it reads as 0."""
    for snap in doc.get("snapshots", []):
        if snap.get("sequence-number") == 0:
            del snap["sequence-number"]


RULES = [rule_statistics_names, rule_defaults_for_absent_members, rule_no_current_snapshot, rule_main_branch,
         rule_empty_identifier_fields, rule_v1_current_fields, rule_v2_drops_deprecated, rule_v3_next_row_id,
         rule_initial_sequence_number]


def test_rules_are_documented():
    for r in RULES:
        assert r.__doc__


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(fixtures())))
def test_written_json_equals_input(path):
    out = ok("metadata", "--compact", path).json()
    doc = load_json(path)
    for rule in RULES:
        rule(doc, out)
    assert out == doc
    # Pretty and compact are the same document; writing is stable.
    assert ok("metadata", path).json() == out


@pytest.mark.parametrize("path", [p for p in documents() if load_json(p)["format-version"] < 3][:12],
                         ids=lambda p: p.name)
def test_upgrade_to_v3(path):
    src = load_json(path)
    up = ok("metadata", "--compact", "--upgrade", "3", path).json()
    assert up["format-version"] == 3
    assert up["next-row-id"] == 0
    assert up["last-updated-ms"] == src["last-updated-ms"]
    assert [s["snapshot-id"] for s in up["snapshots"]] == [s["snapshot-id"] for s in src.get("snapshots", [])]


def test_upgrade_never_downgrades(fx):
    r = fails(1, "metadata", "--upgrade", "2", fx / "metadata/iceberg-java/TableMetadataV3ValidMinimal.json")
    one_line_error(r, "cannot downgrade v3 to v2")


# ---- corrupt input -----------------------------------------------------------

SAMPLES = ["metadata/iceberg-java/TableMetadataV2Valid.json", "metadata/iceberg-rust/TableMetadataV1Compat.json",
           "metadata/iceberg-rust/TableMetadataV3ValidEncryption.json", "metadata/iceberg-cxx/SchemaWithDefaults.json"]


@pytest.mark.parametrize("sample", SAMPLES)
def test_truncated_documents(sample, tmp_path):
    data = (fixtures() / sample).read_bytes()
    bad = tmp_path / "cut.metadata.json"
    for cut in range(0, len(data) - 1, max(1, len(data) // 23)):
        bad.write_bytes(data[:cut])
        r = fails(1, "metadata", bad)
        one_line_error(r, str(bad))
        if cut:
            assert "line " in r.err and "column " in r.err, r.err


@pytest.mark.parametrize("sample", SAMPLES)
def test_flipped_bytes_never_crash(sample, tmp_path):
    data = bytearray((fixtures() / sample).read_bytes())
    rng = random.Random(sample)
    bad = tmp_path / "flip.metadata.json"
    for _ in range(40):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        bad.write_bytes(bytes(mutated))
        r = run("metadata", bad)
        if r.code != 0:
            assert r.code == 1
            one_line_error(r, str(bad))


def test_wrong_types_name_the_json_path(tmp_path):
    doc = load_json(fixtures() / SAMPLES[0])
    cases = [
        (("format-version",), "2", "$.format-version: expected an integer, found a string"),
        (("schemas", 1, "fields", 2, "type"), "lng", "$.schemas[1].fields[2].type: unknown type 'lng'"),
        (("snapshots", 0, "snapshot-id"), None, "$.snapshots[0]: missing required field 'snapshot-id'"),
        (("sort-orders", 0, "fields", 0, "direction"), "up", "$.sort-orders[0].fields[0].direction: expected 'asc'"),
        (("refs",), {"main": {"snapshot-id": 1, "type": "branch"}}, "ref 'main' points to unknown snapshot 1"),
        (("table-uuid",), "not-a-uuid", "$.table-uuid: 'not-a-uuid' is not a UUID"),
    ]
    for keys, value, message in cases:
        d = copy.deepcopy(doc)
        target = d
        for k in keys[:-1]:
            target = target[k]
        if value is None:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
        bad = tmp_path / "bad.metadata.json"
        bad.write_text(json.dumps(d))
        one_line_error(fails(1, "metadata", bad), str(bad), message)


def test_corrupt_gzip_metadata(tmp_path):
    raw = (fixtures() / SAMPLES[0]).read_bytes()
    z = gzip.compress(raw)
    good = tmp_path / "v1.gz.metadata.json"
    good.write_bytes(z)
    assert ok("metadata", "--compact", good).json()["format-version"] == 2
    bad = tmp_path / "v2.gz.metadata.json"
    bad.write_bytes(z[: len(z) // 2])
    one_line_error(fails(1, "metadata", bad), str(bad), "gzip: corrupt compressed data")


# ---- view and UDF metadata -----------------------------------------------------

def view_and_udf_documents():
    root = fixtures() / "metadata"
    return sorted(p for p in list(root.rglob("view/*.json")) + list(root.rglob("udf/*.json"))
                  if not any(n in str(p) for n in NEGATIVE))


def view_defaults(doc, out):
    """Views: "properties" is written even when empty; the legacy top-level
    "current-schema-id" some writers add is not part of the view spec."""
    doc.setdefault("properties", {})
    doc.pop("current-schema-id", None)


def udf_defaults(doc, out):
    """UDFs: a version's "deterministic" is written with its default, false."""
    for d in doc.get("definitions", []):
        for v in d.get("versions", []):
            v.setdefault("deterministic", False)


@pytest.mark.parametrize("path", view_and_udf_documents(), ids=lambda p: str(p.relative_to(fixtures())))
def test_view_and_udf_documents_round_trip(path):
    out = ok("metadata", "--compact", path).json()
    doc = load_json(path)
    (view_defaults if "view-uuid" in doc else udf_defaults)(doc, out)
    assert out == doc


VIEW_NEGATIVES = {
    "iceberg-java/view/ViewMetadataInvalidCurrentSchema.json": "schema 1234 of view version 2 not found",
    "iceberg-java/view/ViewMetadataInvalidCurrentVersion.json": "current version 1234 not found in versions",
    "iceberg-java/view/ViewMetadataMissingCurrentVersion.json": "missing required field 'current-version-id'",
    "iceberg-java/view/ViewMetadataMissingLocation.json": "missing required field 'location'",
    "iceberg-rust/view/ViewMetadataUnsupportedVersion.json": "view format version 2 is not supported",
    "iceberg-rust/view/ViewMetadataV1CurrentVersionNotFound.json": "current version 2 not found in versions",
    "iceberg-rust/view/ViewMetadataV1MissingCurrentVersion.json": "missing required field 'current-version-id'",
    "iceberg-rust/view/ViewMetadataV1MissingSchema.json": "missing required field 'current-version-id'",
    "iceberg-rust/view/ViewMetadataV1SchemaNotFound.json": "schema 2 of view version 1 not found",
}


def test_every_view_negative_is_listed():
    found = {str(p.relative_to(fixtures() / "metadata")) for p in (fixtures() / "metadata").rglob("view/*.json")
             if any(n in str(p) for n in NEGATIVE)}
    assert found == set(VIEW_NEGATIVES)


@pytest.mark.parametrize("rel", sorted(VIEW_NEGATIVES))
def test_view_negatives_rejected(rel):
    path = fixtures() / "metadata" / rel
    one_line_error(fails(1, "metadata", path), str(path), VIEW_NEGATIVES[rel])


def test_udf_signature_must_match_definition_id(tmp_path):
    doc = load_json(fixtures() / "metadata" / "iceberg-go" / "udf" / "udf-metadata-scalar.json")
    doc["definitions"][0]["definition-id"] = "long"
    bad = tmp_path / "f.metadata.json"
    bad.write_text(json.dumps(doc))
    one_line_error(fails(1, "metadata", bad), "$.definitions[0].definition-id: 'long' is not the signature")
    doc = load_json(fixtures() / "metadata" / "iceberg-go" / "udf" / "udf-metadata-table.json")
    doc["definitions"][0]["return-type"] = "string"
    bad.write_text(json.dumps(doc))
    one_line_error(fails(1, "metadata", bad), "a udtf must return a struct")
