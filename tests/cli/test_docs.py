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
