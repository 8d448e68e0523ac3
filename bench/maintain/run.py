"""Maintenance benchmark (issue 12): ice against Spark 3.5 + Iceberg 1.12
(local[2]) and PyIceberg on the same tables, in one run.

Expire: a table of SNAPSHOTS snapshots (10,000), each an overwrite of the
previous one's FILES data files (10: 100,000 data files over the history),
written by bench-maintain with ice's manifest writers; the oldest nine tenths
are expired with file cleanup:
  ice       ice expire-snapshots T --older-than MS
  Spark     CALL cat.system.expire_snapshots(table => ..., older_than => TIMESTAMP ...)
  PyIceberg tbl.maintenance.expire_snapshots().older_than(...).commit()
            (metadata only: PyIceberg deletes no files), against
            ice expire-snapshots --keep-files on its own copy
Orphans: ORPHAN_FILES files (100,000) under the table location, ORPHANS
(1,000) of them not referenced, all dated four days back:
  ice       ice remove-orphan-files T --older-than 3d
  Spark     CALL cat.system.remove_orphan_files(table => ..., older_than => now - 3 days)
--big: expiry over 1,000,000 files in 1,000 manifests and orphan removal
over 1,000,000 files on disk, ice only: peak RSS (aim: under 256 MB).

Each side runs on its own identical copy. Times are wall clock of the
operation (Spark's session start is printed apart) and CPU seconds (ice's
process; the Spark JVM's threads plus the driver; PyIceberg's process),
the fairer figure on a shared machine; peak RSS is ice's process
(/usr/bin/time) and the Spark JVM's high-water mark (VmHWM).

    .venv/bin/python bench/maintain/run.py [--dir DIR] [--build build] [--big]
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "write"))


def sh(*args, **kw):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True, **kw)


def timed_ice(ice, *args):
    """(seconds, CPU seconds, peak RSS MB, parsed --json output) of one ice run."""
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", ice, "--json", *map(str, args)], capture_output=True, text=True)
    secs = time.perf_counter() - t
    if p.returncode:
        raise SystemExit(f"ice {' '.join(map(str, args))} failed: {p.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", p.stderr).group(1)) for k in ("User", "System"))
    return secs, cpu, rss, json.loads(p.stdout)


def jvm_pid():
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read()
            status = open(f"/proc/{pid}/status").read()
        except OSError:
            continue
        if b"java" in cmd.split(b"\0")[0] and int(re.search(r"PPid:\s+(\d+)", status).group(1)) == os.getpid():
            return int(pid)
    return None


def jvm_cpu():
    """CPU seconds the Spark JVM has used (every thread)."""
    pid = jvm_pid()
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def python_cpu():
    t = os.times()
    return t.user + t.system


def jvm_peak_mb():
    """The Spark JVM's peak RSS (VmHWM)."""
    status = open(f"/proc/{jvm_pid()}/status").read()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024


def row(name, ice_s, ice_cpu, peer, peer_s, peer_cpu, ice_rss=None, peer_rss=None):
    rss = f"   peak RSS ice {ice_rss:.0f} MB" if ice_rss else ""
    if peer_rss:
        rss += f", {peer} {peer_rss:.0f} MB"
    print(f"{name:<24} ice {ice_s:7.3f} s ({ice_cpu:6.2f} s CPU)   {peer:<9} {peer_s:8.3f} s ({peer_cpu:7.2f} s CPU)"
          f"   {peer}/ice {peer_s / ice_s:6.1f}x wall, {peer_cpu / max(ice_cpu, 0.01):6.1f}x CPU{rss}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=str(REPO / "bench" / "out" / "maintain"))
    ap.add_argument("--build", default=str(REPO / "build"))
    ap.add_argument("--snapshots", type=int, default=10000)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--orphan-files", type=int, default=100000)
    ap.add_argument("--orphans", type=int, default=1000)
    ap.add_argument("--big", action="store_true")
    ap.add_argument("--no-spark", action="store_true")
    a = ap.parse_args()

    build = pathlib.Path(a.build)
    subprocess.run(["ninja", "-C", str(build), "tools/ice", "bench/maintain/bench-maintain"], check=True,
                   capture_output=True)
    ice, gen = str(build / "tools" / "ice"), str(build / "bench" / "maintain" / "bench-maintain")
    out = pathlib.Path(a.dir)
    shutil.rmtree(out, ignore_errors=True)
    wh = out / "wh"
    wh.mkdir(parents=True)
    print(f"tables under {out} ({sh('df', '-hT', str(wh)).stdout.splitlines()[-1].split()[1]} file system; "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f})")

    # ---- expire -----------------------------------------------------------------------------
    t = time.perf_counter()
    for name, extra in (("hist_ice", []), ("hist_spark", []), ("hist_py", ["--no-files"]), ("hist_keep", ["--no-files"])):
        info = json.loads(sh(gen, "history", wh / "db" / name, a.snapshots, a.files, *extra).stdout)
    print(f"expire: {info['snapshots']} snapshots, {info['data_files']} data files over the history "
          f"(generated in {time.perf_counter() - t:.1f} s)")
    before = info["expire_before_ms"]
    ice_s, ice_cpu, ice_rss, ice_r = timed_ice(ice, "expire-snapshots", wh / "db" / "hist_ice", "--older-than", before)
    keep_s, keep_cpu, keep_rss, keep_r = timed_ice(ice, "expire-snapshots", wh / "db" / "hist_keep", "--older-than", before,
                                         "--keep-files")
    assert ice_r["snapshots_expired"] == keep_r["snapshots_expired"] == a.snapshots - a.snapshots // 10

    # PyIceberg: the metadata part (it deletes no files)
    from support import DirectoryCatalog  # noqa: E402
    import datetime
    cat = DirectoryCatalog()
    t, c = time.perf_counter(), python_cpu()
    tbl = cat.load_table(str(wh / "db" / "hist_py"))
    tbl.maintenance.expire_snapshots().older_than(
        datetime.datetime.fromtimestamp(before / 1000, tz=datetime.timezone.utc)).commit()
    py_s, py_cpu = time.perf_counter() - t, python_cpu() - c
    py_left = len(cat.load_table(str(wh / "db" / "hist_py")).metadata.snapshots)
    assert py_left == a.snapshots // 10, py_left

    results = []
    if not a.no_spark:
        from peers import spark as S
        t = time.perf_counter()
        S.session()
        S.hadoop_catalog("cat", wh)
        start_s = time.perf_counter() - t
        t, c = time.perf_counter(), jvm_cpu() + python_cpu()
        srow = S.rows(f"CALL cat.system.expire_snapshots(table => 'db.hist_spark', older_than => {S.ts_literal(before)})")[0]
        spark_s, spark_cpu = time.perf_counter() - t, jvm_cpu() + python_cpu() - c
        counts = (ice_r["deleted_data_files_count"], ice_r["deleted_position_delete_files_count"],
                  ice_r["deleted_equality_delete_files_count"], ice_r["deleted_manifest_files_count"],
                  ice_r["deleted_manifest_lists_count"], ice_r["deleted_statistics_files_count"])
        assert tuple(srow) == counts, (tuple(srow), counts)
        results.append(("expire (file cleanup)", ice_s, ice_cpu, "Spark", spark_s, spark_cpu, ice_rss, jvm_peak_mb()))
        print(f"  Spark session start {start_s:.1f} s (not counted); both deleted {counts[0]} data files, "
              f"{counts[3]} manifests, {counts[4]} manifest lists")
    results.append(("expire (metadata only)", keep_s, keep_cpu, "PyIceberg", py_s, py_cpu, keep_rss, None))

    # ---- orphans ------------------------------------------------------------------------------
    t = time.perf_counter()
    for name in ("orph_ice", "orph_spark"):
        info = json.loads(sh(gen, "orphans", wh / "db" / name, a.orphan_files, a.orphans, 100).stdout)
    print(f"orphans: {info['files']} files under the location, {info['orphans']} orphans "
          f"(generated in {time.perf_counter() - t:.1f} s)")
    o_s, o_cpu, o_rss, o_r = timed_ice(ice, "remove-orphan-files", wh / "db" / "orph_ice", "--older-than", "3d")
    assert o_r["orphans"] == a.orphans and o_r["deleted"] == a.orphans, o_r
    if not a.no_spark:
        from peers import spark as S
        older = S.ts_literal(int((time.time() - 3 * 86400) * 1000))
        t, c = time.perf_counter(), jvm_cpu() + python_cpu()
        found = S.rows(f"CALL cat.system.remove_orphan_files(table => 'db.orph_spark', older_than => {older})")
        so_s, so_cpu = time.perf_counter() - t, jvm_cpu() + python_cpu() - c
        assert len(found) == a.orphans, len(found)
        results.append(("orphans", o_s, o_cpu, "Spark", so_s, so_cpu, o_rss, jvm_peak_mb()))

    print()
    for r in results:
        row(*r)

    # ---- a million files -----------------------------------------------------------------------
    if a.big:
        big = out / "big"
        t = time.perf_counter()
        info = json.loads(sh(gen, "big", big / "expire", 1000, 1000).stdout)
        print(f"\nbig: 1,000,000 files in 1,000 manifests (generated in {time.perf_counter() - t:.1f} s)")
        s, cpu, rss, r = timed_ice(ice, "expire-snapshots", big / "expire", "--older-than", info["expire_before_ms"])
        print(f"  expire: {r['snapshots-expired']} snapshot, {r['manifests-read']} manifests read, "
              f"{r['files-missing']} data files already gone (never written): {s:.2f} s ({cpu:.2f} s CPU), "
              f"peak RSS {rss:.0f} MB")
        t = time.perf_counter()
        sh(gen, "orphans", big / "orphans", 1000000, 1000, 1000)
        print(f"  (1,000,000 files written in {time.perf_counter() - t:.1f} s)")
        s, cpu, rss, r = timed_ice(ice, "remove-orphan-files", big / "orphans", "--older-than", "3d")
        print(f"  orphans: {r['files-listed']} listed, {r['files-reachable']} reachable, {r['orphans']} orphans: "
              f"{s:.2f} s ({cpu:.2f} s CPU), peak RSS {rss:.0f} MB")
        shutil.rmtree(big, ignore_errors=True)


if __name__ == "__main__":
    main()
