#!/usr/bin/env bash
# Metadata benchmark (issue 2): parse + re-write a generated metadata file
# with 10,000 snapshots and 1,000 schemas, ice against PyIceberg's own parser
# on the same file, in-process timings, then whole commands with hyperfine.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/out
mkdir -p "$out"
file="$out/metadata-10k-snapshots-1k-schemas.json"
[ -f "$file" ] || .venv/bin/python bench/metadata/generate.py "$file" --snapshots 10000 --schemas 1000
ninja -C build bench/bench-metadata tools/ice >/dev/null
echo "input: $file ($(du -h "$file" | cut -f1))"

ice=$(build/bench/bench-metadata "$file" 20)
py=$(.venv/bin/python bench/metadata/pyiceberg_parse.py "$file" 5)
echo "ice:       $ice"
echo "pyiceberg: $py"
python3 - "$ice" "$py" <<'PY'
import json, sys
ice, py = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"parse+write median: ice {ice['median_ms']:.1f} ms, PyIceberg {py['median_ms']:.1f} ms "
      f"-> ice is {py['median_ms'] / ice['median_ms']:.1f}x faster (aim: >= 20x)")
PY

if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 2 --runs 10 --export-json "$out/metadata-hyperfine.json" \
    "build/tools/ice metadata --compact $file" \
    ".venv/bin/python -c \"from pyiceberg.table.metadata import TableMetadataUtil as T; T.parse_raw(open('$file','rb').read()).model_dump_json()\"" \
    >/dev/null
  python3 - "$out/metadata-hyperfine.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
a, b = r[0]["median"], r[1]["median"]
print(f"whole command (process start included): ice {a*1e3:.1f} ms, python+PyIceberg {b*1e3:.1f} ms -> {b/a:.1f}x")
PY
fi
