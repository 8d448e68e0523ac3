"""Issue 11, item 11: SIGKILL at random moments of delete, overwrite,
alter and rewrite-manifests (appends are covered by tests/write): after
every kill the table loads and reads exactly the rows of the commands that
committed (all of a command or none of it), and a command that completed
leaves no temporary file behind in metadata/. Each command runs with the
fault library's ICE_FAULT_SLOW_US, so its time is spread over its I/O
steps and a kill drawn uniformly over that time lands between any two."""
import json
import os
import pathlib
import random
import signal
import subprocess
import time

from harden_support import REPO, csv_file, ice_bin, ice_ok, metadata_files

KILLS_PER_COMMAND = 25


def fault_env():
    roots = [os.environ["ICE_BUILD_ROOT"]] if os.environ.get("ICE_BUILD_ROOT") else []
    roots += [str(REPO / "build-asan"), str(REPO / "build")]
    shim = next(p for p in (pathlib.Path(r) / "tests" / "shim" / "libicefault.so" for r in roots) if p.is_file())
    env = dict(os.environ)
    env["LD_PRELOAD"] = str(shim)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
    env["ICE_FAULT_SLOW_US"] = "1000"
    return env


def temporaries(t):
    return {p.name for p in (pathlib.Path(t) / "metadata").iterdir() if p.name.endswith(".tmp")}


def rows(t):
    out = ice_ok("scan", t, "--format", "jsonl").out.splitlines()
    return sorted(json.loads(line)["id"] for line in out)


def columns(t):
    return [f["name"] for f in ice_ok("--json", "describe", t).json()["schema"]["fields"]]


def test_commands_killed_at_random_moments(tmp_path):
    t = tmp_path / "t"
    ice_ok("create", t, "--schema", "id long required, g int", "--partition", "g")
    model = set()
    for g in range(4):
        ids = [g * 1000 + i for i in range(50)]
        ice_ok("append", t, csv_file(tmp_path / "seed.csv", "id,g", [f"{i},{g}" for i in ids]))
        model |= set(ids)
    env = fault_env()
    rnd = random.Random(11)
    ncols = [len(columns(t))]

    # each command: (arguments, its effect on the model of the rows)
    def delete(k):
        victim = rnd.choice(sorted(model)) if model else 0
        return ["delete", t, "--where", f"id = {victim}"], lambda m: m - {victim}

    def overwrite(k):
        g = rnd.randrange(4)
        new = [5_000_000 + k * 10 + i for i in range(3)]
        f = csv_file(tmp_path / "ow.csv", "id,g", [f"{i},{g}" for i in new])
        return (["overwrite", t, f, "--where", f"g = {g}"],
                lambda m: {i for i in m if group[i] != g} | set(new), new, g)

    def alter(k):
        return ["alter", t, "--add-column", f"c{k} string"], lambda m: m

    def rewrite(k):
        return ["rewrite-manifests", t], lambda m: m

    group = {i: i // 1000 for i in model}
    commands = {"delete": delete, "overwrite": overwrite, "alter": alter, "rewrite-manifests": rewrite}
    typical = {}
    for name, make in commands.items():
        made = make(10_000 + len(typical))
        args, effect = made[0], made[1]
        if name == "overwrite":
            for i in made[2]:
                group[i] = made[3]
        start = time.monotonic()
        before = temporaries(t)
        ice_ok(*args, env=env)
        typical[name] = time.monotonic() - start
        model = effect(model)
        ncols[0] += name == "alter"
        assert temporaries(t) <= before, f"{name} left {temporaries(t) - before}"
    kills = {name: 0 for name in commands}
    committed = {name: 0 for name in commands}
    lost = {name: 0 for name in commands}  # killed before their commit point
    k = 0
    while min(kills.values()) < KILLS_PER_COMMAND:
        assert k < 12 * KILLS_PER_COMMAND * len(commands), f"too few kills landed: {kills}"
        name = [n for n in commands if kills[n] < KILLS_PER_COMMAND][k % sum(
            1 for n in commands if kills[n] < KILLS_PER_COMMAND)]
        made = commands[name](k)
        args, effect = made[0], made[1]
        if name == "overwrite":
            for i in made[2]:
                group[i] = made[3]
        nversions = len(metadata_files(t))
        before = temporaries(t)
        p = subprocess.Popen([ice_bin(), "-q", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env)
        time.sleep(rnd.uniform(0, typical[name] * 1.1))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
        _, err = p.communicate()
        if p.returncode == 0:
            assert temporaries(t) <= before, f"{name} completed and left {temporaries(t) - before}"
        else:
            assert p.returncode == -signal.SIGKILL, f"{name}: exit {p.returncode}: {err.decode()}"
            kills[name] += 1
        if len(metadata_files(t)) > nversions:
            committed[name] += 1
            model = effect(model)
            if name == "alter":
                ncols[0] += 1
        else:
            # (rewrite-manifests with nothing to merge commits nothing)
            assert p.returncode != 0 or name == "rewrite-manifests", f"{name}: success without a new version"
            lost[name] += p.returncode != 0
        # the table loads and holds exactly the committed commands' rows
        assert rows(t) == sorted(model), (name, k)
        assert len(columns(t)) == ncols[0], (name, k)
        k += 1
    print(f"\n{k} commands, kills {kills}, committed {committed}, killed before committing {lost}")
    # kills landed before the commit point of every command (not only
    # after it, where nothing can go wrong)
    assert all(lost[name] > 0 for name in commands), lost
