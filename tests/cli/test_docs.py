"""The docs stay true to the code: every source file appears in
docs/ARCHITECTURE.md, every command has its page in docs/commands/, and the
README's commands are the ones CI runs."""
import re

from conftest import REPO, ok


def test_architecture_lists_every_source_file():
    arch = (REPO / "docs" / "ARCHITECTURE.md").read_text()
    missing = []
    for path in sorted((REPO / "lib").rglob("*.[ch]")) + sorted((REPO / "tools").glob("*.[ch]")):
        names = [f"`{path.name}`", f"`ice/{path.name}`"]
        if path.suffix == ".h":  # a header goes with its .c file
            names.append(f"`{path.stem}.c`")
        if not any(n in arch for n in names):
            missing.append(str(path.relative_to(REPO)))
    assert not missing, f"not in docs/ARCHITECTURE.md: {missing}"


def test_every_command_has_a_page():
    help_text = ok("--help").out
    commands = re.findall(r"^  ([a-z-]+) ", help_text, re.M)
    assert len(commands) >= 6
    for c in commands:
        page = REPO / "docs" / "commands" / f"{c}.md"
        assert page.is_file(), f"no docs/commands/{c}.md"
        assert page.read_text().startswith(f"# ice {c}")


def test_readme_commands_are_what_ci_runs():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    first = re.search(r"```sh\n(.*?)```", readme, re.S).group(1).splitlines()
    setup, test = first[0].split("#")[0].strip(), first[1].split("#")[0].strip()
    assert setup == "bash scripts/setup.sh" and setup in ci
    assert test == "bash scripts/test.sh" and test in ci


def test_readme_example_runs(tmp_path):
    """The README's third command: the main job on a small example."""
    import os
    import subprocess
    readme = (REPO / "README.md").read_text()
    third = re.search(r"```sh\n(.*?)```", readme, re.S).group(1).splitlines()[2].split("#")[0].strip()
    assert third == "bash scripts/example.sh"
    env = dict(os.environ, ICE=os.environ.get("ICE_BIN", str(REPO / "build" / "tools" / "ice")))
    p = subprocess.run(["bash", "scripts/example.sh", str(tmp_path / "ex")], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert out.count("(5 rows)") == 1 and out.count("(3 rows)") == 1, out
    assert "2 rows deleted" in out and "3 snapshot(s)" in out
    assert '"amount":"100.00","tags":["big","new"]' in out  # the first snapshot, as JSON Lines
    assert "rows: 3 read, 0 deleted, 1 filtered, 2 returned" in p.stderr  # --stats
    assert (tmp_path / "ex" / "events" / "metadata" / "v4.metadata.json").is_file()


def test_example_never_deletes_a_directory_it_did_not_make(tmp_path):
    """scripts/example.sh DIR starts afresh only in a directory it made."""
    import os
    import subprocess
    env = dict(os.environ, ICE=os.environ.get("ICE_BIN", str(REPO / "build" / "tools" / "ice")))
    mine = tmp_path / "precious"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work")
    p = subprocess.run(["bash", "scripts/example.sh", str(mine)], cwd=REPO, env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 1 and "not made by this script" in p.stderr
    assert (mine / "thesis.txt").read_text() == "years of work"
    # its own directory it may run in again; an empty one it uses
    ex = tmp_path / "ex"
    for _ in range(2):
        p = subprocess.run(["bash", "scripts/example.sh", str(ex)], cwd=REPO, env=env, capture_output=True,
                           text=True, timeout=300)
        assert p.returncode == 0, p.stderr


def test_readme_reading_tables_others_wrote_runs_as_written():
    """The README's block after "Reading tables others wrote" runs line by
    line as printed (with the binary under test and the fixtures here)."""
    import os
    import subprocess
    from conftest import fixtures, ice_bin
    readme = (REPO / "README.md").read_text()
    block = re.search(r"Reading tables others wrote.*?```sh\n(.*?)```", readme, re.S).group(1)
    script = block.replace("build/tools/ice", ice_bin()).replace("../shared/fixtures", str(fixtures()))
    p = subprocess.run(["bash", "-eu", "-c", script], cwd=REPO, capture_output=True, text=True,
                       timeout=300, env=dict(os.environ, ICE_CATALOG=""))
    assert p.returncode == 0, p.stderr
    assert "no file system" not in p.stderr and "(5 rows)" in p.stdout and "task(s)" in p.stdout
