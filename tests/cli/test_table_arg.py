"""One rule for TABLE, walked over every command: each command `ice --help`
lists whose usage names TABLE is run, usage line by usage line, with the
table named every way the rule allows (docs/commands/README.md "TABLE"): a
name in the catalog of --catalog, ICE_CATALOG, the configuration file's
default-catalog or a configured catalog name; a table directory by absolute
path, by a word relative to the working directory, as a file: URI and as its
metadata/ directory; and for the commands whose --help says they only read,
a metadata file (the others must refuse it, changing nothing). Every run
must succeed, and `-v` must report the form that matched: the line comes
from the one CLI function every command resolves TABLE through, so a command
that resolves it any other way fails here. Commands added later are walked
the same way; a usage with a metavariable this file has no value for fails
loudly, naming it.

Then the typo cases: nothing is created, exit 1 (usage errors 2)."""
import os
import pathlib
import re
import shutil
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ice_bin


class Run:
    def __init__(self, p, args):
        self.code = p.returncode
        self.out = p.stdout
        self.err = p.stderr
        self.args = args

    def __str__(self):
        return f"ice {' '.join(self.args)}: exit {self.code}\n{self.out[-2000:]}{self.err[-2000:]}"


def base_env(home):
    env = {k: v for k, v in os.environ.items() if k not in ("ICE_CATALOG", "ICE_CONFIG", "XDG_CONFIG_HOME")}
    env["HOME"] = str(home)  # no configuration file unless a form sets ICE_CONFIG
    return env


def ice(*args, env, cwd=None, timeout=300):
    args = [str(a) for a in args]
    p = subprocess.run([ice_bin(), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    r = Run(p, args)
    assert 0 <= r.code <= 4, f"crashed: {r}"
    return r


def one_line(r, *parts):
    lines = [ln for ln in r.err.rstrip("\n").split("\n") if not ln.startswith("Try 'ice")]
    assert len(lines) == 1 and lines[0].startswith("ice"), str(r)
    for part in parts:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"
    return lines[0]


def tree(root):
    root = pathlib.Path(root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


# ---- the commands, from their help ------------------------------------------------------------------------


def commands(env):
    out = ice("--help", env=env).out
    names = re.findall(r"^  ([a-z][a-z-]*) ", out, re.M)
    assert len(names) >= 20, out
    return names


def usage_forms(cmd, env):
    """The usage lines of `ice CMD --help` (continuations joined), and how
    the command takes TABLE as its help states it (None, 'read', 'write',
    'create')."""
    text = ice(cmd, "--help", env=env).out
    forms, block = [], text.split("\n\n")[0]
    for line in block.split("\n"):
        s = line.strip()
        if s.startswith("Usage: ice ") or s.startswith("ice "):
            forms.append(s.removeprefix("Usage: "))
        elif s and forms:
            forms[-1] += " " + s
    m = re.search(r"^TABLE: (.*?)(?:\n\n|\Z)", text, re.M | re.S)
    kind = None
    if m:
        t = m.group(1)
        kind = "create" if "new table" in t else "read" if "metadata file" in t else "write"
    return forms, kind


def strip_optional(s):
    """Drops [...] groups (nested) and keeps the first alternative of (a | b)."""
    out, depth = [], 0
    for ch in s:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    s = "".join(out)
    while True:
        m = re.search(r"\(([^()]*)\)", s)
        if not m:
            return s
        s = s[: m.start()] + m.group(1).split("|")[0] + s[m.end():]


# ---- the table every command is walked over ---------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("walk")
    home = root / "home"
    home.mkdir()
    env = base_env(home)
    wh = root / "wh"
    path = wh / "db" / "t"
    ice("--catalog", wh, "create", "db.t", "--schema", "id long, s string", env=env)
    csv = root / "rows.csv"
    csv.write_text("id,s\n1,a\n2,b\n")
    # walk.key: a table property (properties set/remove) and a summary property (last-value)
    first = ice("--json", "append", path, csv, "--summary", "walk.key=1", env=env)
    assert first.code == 0, str(first)
    assert ice("append", path, csv, env=env).code == 0
    first_id = __import__("json").loads(first.out)["snapshot_id"]
    parquet = root / "rows.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": 7, "s": "z"}], schema=pa.schema([
        pa.field("id", pa.int64(), metadata={"PARQUET:field_id": "1"}),
        pa.field("s", pa.string(), metadata={"PARQUET:field_id": "2"})])), parquet)
    updates = root / "updates.json"
    updates.write_text("[]")
    cfg = root / "config"
    cfg.write_text(f"default-catalog = w\ncatalog.w.uri = {wh}\n")
    saved = root / "saved"
    shutil.copytree(path, saved)
    values = {
        "FILE": [csv], "FILE...": [csv], "FILE.parquet...": [parquet], "NAME": ["walk"],
        "CHANGE...": ["--set", "walk=1"], "EXPR": ["id = 1"], "ID": [first_id], "SCHEMA": ["id long, s string"],
        "UPDATES.json": [updates], "KEY": ["walk.key"], "VALUE": ["1"], "KEY...": ["walk.key"],
    }
    return dict(root=root, env=env, wh=wh, path=path, saved=saved, cfg=cfg, values=values)


def restore(w):
    shutil.rmtree(w["path"], ignore_errors=True)
    shutil.copytree(w["saved"], w["path"])


def current_metadata_file(path):
    files = sorted((path / "metadata").glob("v*.metadata.json"), key=lambda p: int(p.name[1:].split(".")[0]))
    return files[-1]


def forms_of(w, kind):
    """(label, global args, env additions, cwd, TABLE, expected -v description start)."""
    wh, path, cfg = w["wh"], w["path"], w["cfg"]
    if kind == "create":
        new = wh / "db" / "fresh"
        return [
            ("name --catalog", ["--catalog", wh], {}, None, "db.fresh", "table 'db.fresh' in catalog"),
            ("name ICE_CATALOG", [], {"ICE_CATALOG": str(wh)}, None, "db.fresh", "table 'db.fresh' in catalog"),
            ("name default-catalog", [], {"ICE_CONFIG": str(cfg)}, None, "db.fresh", "table 'db.fresh' in catalog 'w'"),
            ("absolute path", [], {}, None, new, f"table directory {new}"),
            ("relative path", [], {}, wh / "db", "./fresh", f"table directory {new}"),
            ("file: URI", [], {}, None, f"file://{new}", f"table directory file://{new}"),
        ]
    forms = [
        ("name --catalog", ["--catalog", wh], {}, None, "db.t", "table 'db.t' in catalog"),
        ("name ICE_CATALOG", [], {"ICE_CATALOG": str(wh)}, None, "db.t", "table 'db.t' in catalog"),
        ("name default-catalog", [], {"ICE_CONFIG": str(cfg)}, None, "db.t", "table 'db.t' in catalog 'w'"),
        ("configured catalog name", ["--catalog", "w"], {"ICE_CONFIG": str(cfg)}, None, "db.t",
         "table 'db.t' in catalog 'w'"),
        ("absolute directory", [], {}, None, path, f"table directory {path}"),
        ("directory with a catalog", ["--catalog", wh], {}, None, path, f"table directory {path}"),
        ("word relative to the working directory", [], {}, path.parent, "t", f"table directory {path}"),
        ("file: URI", [], {}, None, f"file://{path}", f"table directory file://{path}"),
        ("metadata/ directory", [], {}, None, path / "metadata", f"table directory {path}"),
    ]
    if kind == "read":
        forms.append(("metadata file", [], {}, None, "@metadata-file", "metadata file "))
    return forms


def args_for(cmd, form, table, values):
    """The usage line `form` with TABLE and every required metavariable filled in."""
    tokens = strip_optional(form).split()
    assert tokens[:2] == ["ice", cmd], form
    out = [cmd]
    skipping = False
    for tok in tokens[2:]:
        if skipping:  # the other alternatives of a "(A | B)" group
            skipping = not tok.endswith(")")
            continue
        if tok.startswith("(") and not tok.endswith(")"):
            tok, skipping = tok[1:], True  # a group's first alternative stands for it
        tok = tok.split("|")[0] if tok != "|" else tok
        if tok == "...":
            continue  # the repetition of an optional group
        if tok.endswith("...") and tok != "..." and tok not in values:
            tok = tok[:-3]  # one of a repeated argument
        if tok == "TABLE":
            out.append(table)
        elif tok.startswith("-") or re.fullmatch(r"[a-z][a-z-]*", tok):
            out.append(tok)  # an option or a subcommand word
        elif tok in values:
            out.extend(values[tok])
        else:
            pytest.fail(f"`ice {cmd}` usage '{form}' has {tok!r}, which this test has no value for: "
                        f"add one to `values` in the world fixture")
    return out


def test_every_command_taking_table_accepts_every_form(world):
    w = world
    env = w["env"]
    walked = []
    for cmd in commands(env):
        forms, kind = usage_forms(cmd, env)
        with_table = [f for f in forms if re.search(r"\bTABLE\b", f)]
        if not with_table:
            assert kind is None, f"ice {cmd} --help describes TABLE but no usage line takes one"
            continue
        assert kind, f"ice {cmd} takes TABLE but its --help does not state the forms (set .table in ice.c)"
        walked.append(cmd)
        for label, glob, extra, cwd, table, expect in forms_of(w, kind):
            restore(w)
            shutil.rmtree(w["wh"] / "db" / "fresh", ignore_errors=True)
            if table == "@metadata-file":
                table = current_metadata_file(w["path"])
            e = dict(env, **extra)
            for form in with_table:
                argv = args_for(cmd, form, table, w["values"])
                r = ice("-v", *glob, *argv, env=e, cwd=cwd)
                assert r.code == 0, f"[{label}] {r}"
                said = f"ice: {table}: {expect}"
                assert any(ln.startswith(said) for ln in r.err.splitlines()), \
                    f"[{label}] `ice {cmd}` did not resolve TABLE through the one resolver (no '{said}'):\n{r}"
        if kind == "write":
            # a metadata file names one version: refused, nothing changed
            restore(w)
            before = tree(w["path"])
            md = current_metadata_file(w["path"])
            r = ice(*args_for(cmd, with_table[0], md, w["values"]), env=env)
            assert r.code == 1, str(r)
            one_line(r, "read-only")
            assert tree(w["path"]) == before
    restore(w)
    for must in ("describe", "schema", "snapshots", "history", "refs", "metadata", "manifests", "files", "entries",
                 "partitions", "scan", "create", "append", "add-files", "alter", "tag", "branch", "rollback",
                 "delete", "overwrite", "rewrite-manifests", "drop"):
        assert must in walked, f"ice {must} was not walked"


# ---- typos create nothing ------------------------------------------------------------------------------


@pytest.fixture
def place(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    return dict(env=base_env(home), cwd=cwd, root=tmp_path)


def test_misspelled_catalog_name_is_an_error_naming_the_configured_ones(place):
    cfg = place["root"] / "config"
    wh = place["root"] / "wh"
    cfg.write_text(f"catalog.local.uri = {wh}\ncatalog.prod.uri = {place['root'] / 'prod'}\n")
    env = dict(place["env"], ICE_CONFIG=str(cfg))
    before = tree(place["root"])
    r = ice("--catalog", "lcoal", "create", "db.x", "--schema", "x int", env=env, cwd=place["cwd"])
    assert r.code == 1
    one_line(r, "lcoal", "configured: local, prod", "ice catalog init")
    for cmd in (["list"], ["namespace", "create", "db"], ["describe", "db.x"], ["append", "db.x", "a.csv"]):
        r = ice("--catalog", "lcoal", *cmd, env=env, cwd=place["cwd"])
        assert r.code == 1, str(r)
        one_line(r, "no catalog 'lcoal'")
    r = ice("create", "db.x", "--schema", "x int", env=dict(env, ICE_CATALOG="lcoal"), cwd=place["cwd"])
    assert r.code == 1
    assert tree(place["root"]) == before
    # the configured name works
    assert ice("--catalog", "local", "create", "db.x", "--schema", "x int", env=env).code == 0
    assert (wh / "db" / "x" / "metadata" / "v1.metadata.json").is_file()


def test_unknown_catalog_word_lists_nothing_and_fails(place):
    before = tree(place["root"])
    r = ice("--catalog", "nonexist", "list", env=place["env"], cwd=place["cwd"])
    assert r.code == 1 and r.out == ""
    one_line(r, "nonexist", "no warehouse directory")
    # a path that does not exist: reading says so, and creates nothing
    r = ice("--catalog", place["root"] / "nope" / "wh", "list", env=place["env"])
    assert r.code == 1
    one_line(r, "no such warehouse")
    r = ice("--catalog", place["root"] / "nope" / "wh", "describe", "db.t", env=place["env"])
    assert r.code == 1
    one_line(r, "no table 'db.t' in catalog", "and no directory or metadata file 'db.t'")
    assert tree(place["root"]) == before


def test_bare_name_without_catalog_creates_nothing(place):
    before = tree(place["root"])
    r = ice("create", "my.events", "--schema", "x int", env=place["env"], cwd=place["cwd"])
    assert r.code == 1
    one_line(r, "my.events", "no catalog to create it in", "named by a path (./my.events)")
    r = ice("create", "events", "--schema", "x int", env=place["env"], cwd=place["cwd"])
    assert r.code == 1
    assert tree(place["root"]) == before
    # named as a path it is created
    assert ice("create", "./my.events", "--schema", "x int", env=place["env"], cwd=place["cwd"]).code == 0
    assert (place["cwd"] / "my.events" / "metadata" / "v1.metadata.json").is_file()
    # and found again by its name relative to the working directory
    r = ice("-v", "describe", "my.events", env=place["env"], cwd=place["cwd"])
    assert r.code == 0
    assert f"table directory {place['cwd'] / 'my.events'}" in r.err


def test_config_mistakes_say_exactly_that(place):
    root = place["root"]
    missing = root / "no-such-config"
    r = ice("snapshots", "db.t", env=dict(place["env"], ICE_CONFIG=str(missing)), cwd=place["cwd"])
    assert r.code == 1
    one_line(r, str(missing), "no such configuration file", "ICE_CONFIG")
    cfg = root / "config"
    cfg.write_text(f"default-catalog = nope\ncatalog.main.uri = {root / 'wh'}\n")
    r = ice("list", env=dict(place["env"], ICE_CONFIG=str(cfg)), cwd=place["cwd"])
    assert r.code == 1
    one_line(r, "default-catalog 'nope' is not configured", "configured: main")
    r = ice("create", "db.t", "--schema", "x int", env=dict(place["env"], ICE_CONFIG=str(cfg)), cwd=place["cwd"])
    assert r.code == 1
    one_line(r, "default-catalog 'nope'")
    cfg.write_text("this line has no equals sign\n")
    r = ice("list", env=dict(place["env"], ICE_CONFIG=str(cfg)))
    assert r.code == 1
    one_line(r, f"{cfg}: line 1: expected 'key = value'")
    assert not (root / "wh").exists()


def test_usage_errors_stay_exit_2(place):
    assert ice("create", env=place["env"]).code == 2
    assert ice("describe", env=place["env"]).code == 2
    assert ice("catalog", env=place["env"]).code == 2
    assert ice("catalog", "init", env=place["env"]).code == 2
    assert ice("catalog", "frobnicate", env=place["env"]).code == 2


def test_catalog_init_makes_a_warehouse_and_list_shows_configured_catalogs(place):
    root = place["root"]
    wh = root / "a" / "b" / "wh"
    r = ice("--json", "catalog", "init", wh, env=place["env"])
    assert r.code == 0 and __import__("json").loads(r.out) == {"warehouse": str(wh)}
    assert wh.is_dir()
    assert ice("catalog", "init", wh, env=place["env"]).code == 0  # exists: nothing to do
    r = ice("--catalog", wh, "--json", "list", env=place["env"])
    assert r.code == 0 and __import__("json").loads(r.out) == {"namespaces": []}
    # a bare word naming an existing directory is a warehouse
    assert ice("catalog", "init", "wh2", env=place["env"], cwd=place["cwd"]).code == 0
    assert ice("--catalog", "wh2", "namespace", "create", "db", env=place["env"], cwd=place["cwd"]).code == 0
    assert (place["cwd"] / "wh2" / "db").is_dir()
    cfg = root / "config"
    cfg.write_text(f"catalog.one.uri = {wh}\ndefault-catalog = one\ncatalog.two.uri = file:///x\n")
    r = ice("--json", "catalog", "list", env=dict(place["env"], ICE_CONFIG=str(cfg)))
    assert r.code == 0
    assert __import__("json").loads(r.out) == {
        "config": str(cfg), "default_catalog": "one",
        "catalogs": [{"name": "one", "uri": str(wh), "default": True},
                     {"name": "two", "uri": "file:///x", "default": False}]}
    r = ice("catalog", "list", env=place["env"])
    assert r.code == 0 and "no catalogs configured" in r.out


def test_catalog_name_wins_over_a_directory_of_the_same_name(place):
    """The order of the rule: a word is a name in the catalog first, then a
    directory relative to the working directory."""
    env, cwd, wh = place["env"], place["cwd"], place["root"] / "wh"
    assert ice("--catalog", wh, "create", "db.t", "--schema", "x int", env=env).code == 0
    assert ice("create", "./db.t", "--schema", "y string", env=env, cwd=cwd).code == 0
    r = ice("-v", "--catalog", wh, "--json", "schema", "db.t", env=env, cwd=cwd)
    assert r.code == 0 and "table 'db.t' in catalog" in r.err
    assert [f["name"] for f in __import__("json").loads(r.out)["fields"]] == ["x"]
    r = ice("-v", "--json", "schema", "db.t", env=env, cwd=cwd)
    assert r.code == 0 and "table directory" in r.err
    assert [f["name"] for f in __import__("json").loads(r.out)["fields"]] == ["y"]
    # not in the catalog: the directory
    assert ice("create", "./db.u", "--schema", "z int", env=env, cwd=cwd).code == 0
    r = ice("-v", "--catalog", wh, "describe", "db.u", env=env, cwd=cwd)
    assert r.code == 0 and "table directory" in r.err
