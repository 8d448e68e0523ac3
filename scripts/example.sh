#!/usr/bin/env bash
# The main job on a small example, with the build from scripts/setup.sh: a
# local table without a catalog server (a directory), created partitioned by
# day, two appends from CSV, a scan with a filter, a scan as of the first
# snapshot, a delete, and what the snapshots say. The table is left in
# ${1:-/tmp/ice-example}/events for PyIceberg, DuckDB or Spark to read.
set -euo pipefail
cd "$(dirname "$0")/.."
ice=${ICE:-build/tools/ice}
dir=${1:-/tmp/ice-example}
# Start afresh only in a directory this script made (it leaves a marker
# file); any other directory that is not empty is refused, never deleted.
marker=.made-by-ice-example
if [[ -e $dir && ! -d $dir ]]; then
  echo "example.sh: $dir is not a directory" >&2; exit 1
elif [[ -d $dir && -n $(ls -A "$dir") ]]; then
  if [[ ! -f $dir/$marker ]]; then
    echo "example.sh: $dir is not empty and was not made by this script: give a new or empty directory" >&2
    exit 1
  fi
  rm -rf "$dir"
fi
mkdir -p "$dir"
: >"$dir/$marker"
t=$dir/events

run() { # print the command (the example's directory as $DIR), then run it
  local a shown=""
  for a in "$@"; do
    a=${a//$dir/\$DIR}
    if [[ $a == *\'* && $a != *[\"\\\`]* && ${a//\$DIR/} != *\$* ]]; then a="\"$a\""
    elif [[ $a =~ [^A-Za-z0-9_./=\$-] ]]; then a="'${a//\'/\'\\\'\'}'"; fi
    shown+="$a "
  done
  printf '\n$ %s\n' "$shown"
  "$@"
}

cat >"$dir/monday.csv" <<'EOF'
id,ts,user,amount,tags
1,2024-03-04T09:15:00+00:00,ada,12.50,"[""new""]"
2,2024-03-04T11:40:00+00:00,grace,3.75,
3,2024-03-04T23:59:59+00:00,ada,100.00,"[""big"",""new""]"
EOF
cat >"$dir/tuesday.csv" <<'EOF'
id,ts,user,amount,tags
4,2024-03-05T08:00:00+00:00,linus,7.25,[]
5,2024-03-05T12:30:00+00:00,grace,42.00,"[""big""]"
EOF

run $ice create "$t" --schema 'id long required, ts timestamptz, user string, amount decimal(10,2), tags list<string>' \
  --partition 'day(ts)' --format-version 2
run $ice append "$t" "$dir/monday.csv"
first=$($ice --json snapshots "$t" | sed -n 's/.*"snapshot_id": *\([0-9]*\).*/\1/p' | head -1)
run $ice append "$t" "$dir/tuesday.csv"
run $ice scan "$t" --format table
run $ice scan "$t" --where "amount >= 10 and ts < '2024-03-05T00:00:00+00:00'" --format csv --stats
run $ice scan "$t" --snapshot "$first" --format jsonl
run $ice delete "$t" --where "user = 'grace'"
run $ice scan "$t" --format table
run $ice snapshots "$t"
run $ice files "$t"
