"""The command line itself: help, version, usage errors and exit codes."""
from conftest import fails, ok, one_line_error, run

COMMANDS = ["describe", "schema", "snapshots", "history", "refs", "metadata"]


def test_help_lists_every_command():
    r = ok("--help")
    assert r.out.startswith("Usage: ice")
    for c in COMMANDS:
        assert f"  {c} " in r.out


def test_version():
    r = ok("--version")
    assert r.out.startswith("ice 0.1.0 (libicetable 0.1.0, Iceberg format v1-v3)")


def test_every_command_has_help():
    for c in COMMANDS:
        r = ok(c, "--help")
        assert r.out.startswith(f"Usage: ice {c}")
        assert "--path-map" in r.out


def test_usage_errors_exit_2():
    r = fails(2)
    assert "Usage: ice" in r.err
    fails(2, "no-such-command")
    fails(2, "--no-such-option")
    fails(2, "describe")                       # missing TABLE
    fails(2, "describe", "a", "b")             # too many
    fails(2, "describe", "--bogus", "x")
    fails(2, "metadata", "--upgrade", "4", "x")
    fails(2, "--path-map", "nonsense", "describe", "x")


def test_missing_table_is_one_line_error(tmp_path):
    r = fails(1, "describe", tmp_path / "nope")
    one_line_error(r, "nope", "no such table")
    (tmp_path / "empty").mkdir()
    r = fails(1, "describe", tmp_path / "empty")
    one_line_error(r, "not a table directory")


def test_json_flag_before_or_after_command(fx):
    table = fx / "metadata" / "iceberg-java" / "TableMetadataV2Valid.json"
    a = ok("--json", "refs", table).json()
    b = ok("refs", "--json", table).json()
    assert a == b == [{"name": "main", "type": "branch", "snapshot_id": 3055729675574597004,
                       "max_reference_age_in_ms": None, "min_snapshots_to_keep": None,
                       "max_snapshot_age_in_ms": None}]
