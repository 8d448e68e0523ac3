#!/usr/bin/env bash
# Manifest benchmark (issue 3): decode a generated 100,000-entry manifest
# (deflate, 12 columns with counts and bounds, two partition fields) and a
# manifest list of 10,000 manifests with ice, fastavro and PyIceberg's own
# manifest reader on the same files, in-process and single-threaded; print
# entries per second and the ratios. Then the peak memory of streaming a
# 1,000,000-entry manifest (/usr/bin/time -v), which must stay flat.
#
#   bench/manifest/run.sh [BUILD_DIR]     (default: build, a release build)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
out=bench/out/manifest
mkdir -p "$out"
ninja -C "$build" bench/manifest/bench-manifest >/dev/null
ninja -C "$build" bench/manifest/bench-libavro >/dev/null 2>&1 || true
b="$build/bench/manifest"
py=.venv/bin/python

[ -f "$out/manifest-100k.avro" ] || "$b/bench-manifest" gen-manifest "$out/manifest-100k.avro" 100000
[ -f "$out/list-10k.avro" ] || "$b/bench-manifest" gen-list "$out/list-10k.avro" 10000
[ -f "$out/manifest-1m.avro" ] || "$b/bench-manifest" gen-manifest "$out/manifest-1m.avro" 1000000
echo "inputs: $out/manifest-100k.avro ($(du -h "$out/manifest-100k.avro" | cut -f1)), $out/list-10k.avro ($(du -h "$out/list-10k.avro" | cut -f1))"

ice_m=$("$b/bench-manifest" read-manifest "$out/manifest-100k.avro" 9)
ice_l=$("$b/bench-manifest" read-list "$out/list-10k.avro" 51)
fa_m=$($py bench/manifest/peers.py fastavro-manifest "$out/manifest-100k.avro" 3)
fa_l=$($py bench/manifest/peers.py fastavro-list "$out/list-10k.avro" 11)
pi_m=$($py bench/manifest/peers.py pyiceberg-manifest "$out/manifest-100k.avro" 3)
pi_l=$($py bench/manifest/peers.py pyiceberg-list "$out/list-10k.avro" 11)
la_m=""
if [ -x "$b/bench-libavro" ]; then
  la_m=$("$b/bench-libavro" "$out/manifest-100k.avro" 3)
fi

$py - "$ice_m" "$fa_m" "$pi_m" "$ice_l" "$fa_l" "$pi_l" "$la_m" <<'PY'
import json, sys
ice_m, fa_m, pi_m, ice_l, fa_l, pi_l = (json.loads(x) for x in sys.argv[1:7])
la_m = json.loads(sys.argv[7]) if sys.argv[7] else None
def row(name, r):
    return f"  {name:<34} {r['entries_per_s']:>14,.0f} entries/s   (median {r['median_s'] * 1e3:8.1f} ms, {r['entries']} entries)"
print("manifest, 100,000 entries (deflate):")
print(row("ice (typed bounds, inheritance)", ice_m))
print(row("fastavro", fa_m))
print(row("PyIceberg fetch_manifest_entry", pi_m))
if la_m:
    print(row("libavro generic value API", la_m))
print(f"  -> ice is {ice_m['entries_per_s'] / fa_m['entries_per_s']:.1f}x fastavro (aim >= 3x), "
      f"{ice_m['entries_per_s'] / pi_m['entries_per_s']:.1f}x PyIceberg (aim >= 10x)"
      + (f", {ice_m['entries_per_s'] / la_m['entries_per_s']:.1f}x libavro's generic API" if la_m else ""))
print("manifest list, 10,000 manifests (deflate):")
print(row("ice", ice_l))
print(row("fastavro", fa_l))
print(row("PyIceberg read_manifest_list", pi_l))
print(f"  -> ice is {ice_l['entries_per_s'] / fa_l['entries_per_s']:.1f}x fastavro (aim >= 3x), "
      f"{ice_l['entries_per_s'] / pi_l['entries_per_s']:.1f}x PyIceberg (aim >= 10x)")
PY

echo "peak memory streaming a manifest (/usr/bin/time -v, maximum resident set size):"
for f in manifest-100k manifest-1m; do
  rss=$(/usr/bin/time -v "$b/bench-manifest" stream "$out/$f.avro" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}')
  echo "  $f.avro ($(du -h "$out/$f.avro" | cut -f1)): ${rss} KiB"
done
